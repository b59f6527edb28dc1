//! The domain-log API's event type names, as the vendor doc lists them for
//! the `event_type` filter, kept apart from the clients' table so that a
//! misspelt name cannot hide in both sides.

use crate::model::LogEventType;

/// The doc's ten names, in its order.
const NAMES: [(LogEventType, &str); 10] = [
    (LogEventType::Queued, "queued"),
    (LogEventType::Delivered, "delivered"),
    (LogEventType::Bounced, "bounced"),
    (LogEventType::Failed, "failed"),
    (LogEventType::Opened, "opened"),
    (LogEventType::Clicked, "clicked"),
    (LogEventType::Unsubscribed, "unsubscribed"),
    (LogEventType::TemporaryFail, "temporary_fail"),
    (LogEventType::PermanentFail, "permanent_fail"),
    (LogEventType::Deferred, "deferred"),
];

/// The name a record carries for `event_type`; `None` for a type the doc
/// does not name, which a record then goes without.
pub(crate) fn wire_name(event_type: LogEventType) -> Option<&'static str> {
    NAMES
        .iter()
        .find(|(t, _)| *t == event_type)
        .map(|(_, name)| *name)
}

/// The type an `event_type` query value names: exactly one of the doc's
/// names, case and all.
pub(crate) fn parse(name: &str) -> Option<LogEventType> {
    NAMES.iter().find(|(_, n)| *n == name).map(|(t, _)| *t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_name_reads_back_and_nothing_else_reads() {
        for (t, name) in NAMES {
            assert_eq!(wire_name(t), Some(name));
            assert_eq!(parse(name), Some(t));
        }
        assert_eq!(wire_name(LogEventType::Other), None);
        for name in ["other", "Delivered", "delivered ", "", "temp_fail", "sent"] {
            assert_eq!(parse(name), None, "{name:?}");
        }
    }
}
