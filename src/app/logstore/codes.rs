//! Event-type codes: the byte a record keeps for its event type, and the
//! slots of the store's per-type counts.

use crate::model::LogEventType;

/// Event-type codes: the ten documented types by their `KNOWN` index, then
/// these two.
const TYPE_OTHER: u8 = 10;
pub(super) const TYPE_MISSING: u8 = 11;
/// How many distinct event-type codes there are.
pub const TYPE_CODES: usize = 12;

pub(super) fn type_code(t: Option<LogEventType>) -> u8 {
    match t {
        None => TYPE_MISSING,
        Some(LogEventType::Other) => TYPE_OTHER,
        Some(t) => LogEventType::KNOWN
            .iter()
            .position(|k| *k == t)
            .map_or(TYPE_OTHER, |i| i as u8),
    }
}

pub(super) fn type_of_code(code: u8) -> Option<LogEventType> {
    match code {
        TYPE_MISSING => None,
        TYPE_OTHER => Some(LogEventType::Other),
        i => LogEventType::KNOWN.get(usize::from(i)).copied(),
    }
}

/// The event type a count slot of
/// [`LogStore::counts_by_type`](super::LogStore::counts_by_type) stands for.
pub fn count_slot_type(slot: usize) -> Option<LogEventType> {
    type_of_code(slot as u8)
}
