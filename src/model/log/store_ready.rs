//! A batch's records as the log store takes them: every string sanitized
//! and capped, the repeated senders, subjects, tag sets and user agents
//! listed once, and the rest of each record's text side by side. The
//! client prepares it on the thread that parsed the batch; the store
//! adopts it.

use serde_json::Value;

use super::LogEventType;

/// Longest text kept per field. Hostile upstreams send 10,000-character
/// subjects; no cell or detail view needs more than this.
pub const MAX_FIELD_BYTES: usize = 4096;
// A capped recipient's length fits `ReadyRecord::recipient_len`.
const _: () = assert!(MAX_FIELD_BYTES + '…'.len_utf8() <= u16::MAX as usize);

/// Joins a record's tags into one string and its detail fields into one
/// text. Sanitized text never holds it.
pub const SEPARATOR: char = '\u{1f}';

/// A [`ReadyRecord`] string index for a field the record does not have.
pub const NO_STRING: u32 = u32::MAX;

/// Which optional detail fields of its text a record has
/// (`ReadyRecord::flags`); its user agent is [`ReadyRecord::user_agent`].
pub const HAS_SMTP: u8 = 1;
pub const HAS_IP: u8 = 1 << 1;
pub const HAS_URL: u8 = 1 << 2;

/// A record's unknown fields, sanitized.
pub type ExtraFields = Box<[(String, Value)]>;

/// The records of a batch with all their text sanitized and capped.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StoreReady {
    /// The distinct senders, subjects, tag sets, user agents and SMTP
    /// groups the records name.
    pub strings: Vec<ReadyString>,
    pub records: Vec<ReadyRecord>,
    /// Each record's recipient, then [`SEPARATOR`] and its detail fields
    /// (id, message id, SMTP response, IP, URL) between separators, one
    /// record after another. User agents are among the strings instead: a
    /// busy domain's opens and clicks come from a handful of them, and
    /// they were a sixth of this text.
    pub text: String,
    /// Unknown fields of the records that have any.
    pub extras: Vec<ExtraFields>,
}

/// One distinct sender, subject, tag set or user agent of a batch.
#[derive(Clone, Debug, PartialEq)]
pub struct ReadyString {
    /// The upstream text (a tag set's tags joined by [`SEPARATOR`]): what a
    /// repeat is recognised by, without cleaning it again.
    pub key: Box<str>,
    /// What is drawn, when it differs from `key`.
    pub cleaned: Option<Box<str>>,
    /// The hash of `key` (foldhash, seeded once per process), found while
    /// the batch was cleaned, so that the log store looks the string up
    /// without hashing it again.
    pub hash: u64,
}

/// One record: its strings by index into [`StoreReady::strings`], its text as
/// a range of [`StoreReady::text`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReadyRecord {
    pub timestamp_ms: i64,
    pub sender: u32,
    pub subject: u32,
    pub tags: u32,
    /// [`NO_STRING`] when the record has none.
    pub user_agent: u32,
    /// The [`smtp_group`](super::smtp::smtp_group) of its SMTP response;
    /// [`NO_STRING`] when it has none (or the group is empty).
    pub smtp_group: u32,
    pub text_start: u32,
    pub text_len: u32,
    /// Bytes of the recipient at the start of the record's text.
    pub recipient_len: u16,
    /// [`char_mask`] of the recipient.
    pub recipient_mask: u64,
    pub event_type: Option<LogEventType>,
    /// `HAS_*` bits.
    pub flags: u8,
    /// 1 + the index of its unknown fields in [`StoreReady::extras`]; 0 for
    /// none.
    pub extra: u32,
}
