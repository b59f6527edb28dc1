//! `CompactRecord`: one held record, 48 bytes, pointing into the string
//! table and the text columns.

use super::interner::StrId;

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
    /// Where its hot entry starts in its chunk, when it has one
    /// ([`HOT`](crate::model::log::store_ready::HOT)).
    pub(super) hot_at: u32,
    /// Where the recipient starts in its chunk of the recipients column.
    pub(super) recipient_at: u32,
    /// Bytes of the recipient (at the start of its hot entry too, when the
    /// record has [`RECIPIENT_IN_TEXT`](crate::model::log::store_ready::RECIPIENT_IN_TEXT)).
    pub(super) recipient_len: u16,
    pub(super) event: u8,
    pub(super) flags: u8,
}

// What the module's documentation promises, and what 500k records cost.
const _: () = assert!(size_of::<CompactRecord>() == 48);
