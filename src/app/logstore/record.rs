//! `CompactRecord`: one held record, 26 bytes, pointing into the string
//! table and the text columns.

use super::interner::StrId;
use super::profiles::ProfileId;

/// Packed: aligned to its four-byte fields it would take 28 bytes, 1 MB
/// more for 500,000 records, and x86-64 and AArch64 read unaligned
/// fields at the same speed. Its fields are read by value, never borrowed.
#[derive(Clone, Copy, Debug)]
#[repr(Rust, packed(2))]
pub(super) struct CompactRecord {
    /// Its time, from its block's base ([`BlockBases`]); read it with
    /// [`Arena::timestamp_ms`](super::arena::Arena::timestamp_ms).
    ///
    /// [`BlockBases`]: super::block_bases::BlockBases
    pub(super) time_delta: i32,
    /// [`narrow_char_mask`](crate::charmask::narrow_char_mask) of the
    /// recipient.
    pub(super) recipient_mask: u32,
    /// Its sender, tag set, SMTP response's group and recipient's domain
    /// ([`Interner::profile`](super::interner::Interner::profile)); the
    /// recipients column holds the rest of the recipient.
    pub(super) profile: ProfileId,
    pub(super) subject: StrId,
    /// `StrId::MAX` for none.
    pub(super) ip: StrId,
    /// Where its hot entry starts in its chunk, when it has one
    /// ([`HOT`](crate::model::log::store_ready::HOT)), from its block's
    /// base: read it with [`Arena::hot_at`](super::arena::Arena::hot_at).
    pub(super) hot_at: u16,
    /// Where the recipient starts in its chunk of the recipients column
    /// (which ends it, as its hot entry does when it has capitals), from
    /// its block's base.
    pub(super) recipient_at: u16,
    pub(super) event: u8,
    pub(super) flags: u8,
}

// What the module's documentation promises, and what 500k records cost.
const _: () = assert!(size_of::<CompactRecord>() == 26);
