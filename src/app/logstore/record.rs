//! `CompactRecord`: one held record, 56 bytes, pointing into the string
//! table and the text arena.

use super::interner::StrId;

/// Set in a record's flags beside the `HAS_*` bits of
/// [`ReadyRecord`](crate::model::log::store_ready::ReadyRecord):
/// it has unknown fields in the store's side table.
pub(super) const HAS_EXTRA: u8 = 1 << 4;

#[derive(Clone, Copy, Debug)]
pub(super) struct CompactRecord {
    pub(super) timestamp_ms: i64,
    /// [`char_mask`](crate::charmask::char_mask) of the recipient.
    pub(super) recipient_mask: u64,
    pub(super) sender: StrId,
    pub(super) subject: StrId,
    pub(super) tags: StrId,
    /// `StrId::MAX` for none.
    pub(super) user_agent: StrId,
    /// The SMTP response's group, for the top-values panel; `StrId::MAX`
    /// for none.
    pub(super) smtp_group: StrId,
    /// The recipient where it has capitals, then
    /// [`SEPARATOR`](crate::model::log::store_ready::SEPARATOR) and the
    /// detail fields.
    pub(super) cold: ColdRef,
    /// Where the recipient starts in its chunk of the recipients column.
    pub(super) recipient_at: u32,
    /// Bytes of the recipient (at the start of `cold` too, when the record
    /// has [`RECIPIENT_IN_TEXT`](crate::model::log::store_ready::RECIPIENT_IN_TEXT)).
    pub(super) recipient_len: u16,
    pub(super) event: u8,
    pub(super) flags: u8,
}

// What the module's documentation promises, and what 500k records cost.
const _: () = assert!(size_of::<CompactRecord>() == 56);

#[derive(Clone, Copy, Debug)]
pub(super) struct ColdRef {
    pub(super) chunk: u32,
    pub(super) offset: u32,
    pub(super) len: u32,
}
