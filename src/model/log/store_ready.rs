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
/// The record's text starts with its recipient: it has capitals, which
/// [`StoreReady::recipients`] (lowercased) does not keep. Without it the
/// text starts at the separator before the detail fields, and the
/// recipient is read from the recipients alone.
pub const RECIPIENT_IN_TEXT: u8 = 1 << 3;

/// Ends each recipient in [`StoreReady::recipients`]: no needle a filter
/// looks for (which never holds a control character) is found across two.
pub const RECIPIENT_END: u8 = SEPARATOR as u8;
const _: () = assert!(SEPARATOR.is_ascii());

/// A record's unknown fields, sanitized, held as the JSON text of one
/// object: a few integers as `Value`s in a boxed list cost 240 bytes a
/// record, their text a fifth of that. Read back in their order, repeats
/// included.
#[derive(Clone, Debug, PartialEq)]
pub struct ExtraFields(Box<str>);

impl ExtraFields {
    pub fn new<'a>(fields: impl IntoIterator<Item = (&'a str, &'a Value)>) -> ExtraFields {
        let mut text = vec![b'{'];
        for (i, (name, value)) in fields.into_iter().enumerate() {
            if i > 0 {
                text.push(b',');
            }
            // Into a Vec, strings and values serialize infallibly.
            let _ = serde_json::to_writer(&mut text, name);
            text.push(b':');
            let _ = serde_json::to_writer(&mut text, value);
        }
        text.push(b'}');
        ExtraFields(String::from_utf8(text).unwrap_or_default().into_boxed_str())
    }

    /// The fields, in their order.
    pub fn to_vec(&self) -> Vec<(String, Value)> {
        serde_json::from_str::<Pairs>(&self.0).map_or_else(|_| Vec::new(), |p| p.0)
    }

    /// Bytes on the heap.
    pub fn heap_bytes(&self) -> usize {
        self.0.len()
    }
}

/// An object's members in order, repeats kept (a map would drop them).
struct Pairs(Vec<(String, Value)>);

impl<'de> serde::Deserialize<'de> for Pairs {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Pairs, D::Error> {
        struct Members;
        impl<'de> serde::de::Visitor<'de> for Members {
            type Value = Pairs;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Pairs, A::Error> {
                let mut pairs = Vec::new();
                while let Some(pair) = map.next_entry()? {
                    pairs.push(pair);
                }
                Ok(Pairs(pairs))
            }
        }
        deserializer.deserialize_map(Members)
    }
}

/// The records of a batch with all their text sanitized and capped.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StoreReady {
    /// The distinct senders, subjects, tag sets, user agents and SMTP
    /// groups the records name.
    pub strings: Vec<ReadyString>,
    pub records: Vec<ReadyRecord>,
    /// Each record's recipient where it has capitals
    /// ([`RECIPIENT_IN_TEXT`]), then [`SEPARATOR`] and its detail fields
    /// (id, message id, SMTP response, IP, URL) between separators, one
    /// record after another. User agents are among the strings instead: a
    /// busy domain's opens and clicks come from a handful of them, and
    /// they were a sixth of this text.
    pub text: String,
    /// Unknown fields of the records that have any.
    pub extras: Vec<ExtraFields>,
    /// Every record's recipient, ASCII-lowercased and ended by
    /// [`RECIPIENT_END`], in record order: the log store keeps this as its
    /// recipients column, where filters search all of them at once, and
    /// reads a recipient without capitals from here alone.
    pub recipients: Vec<u8>,
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
    /// Bytes of the recipient (in the text, when [`RECIPIENT_IN_TEXT`], and
    /// in [`StoreReady::recipients`]).
    pub recipient_len: u16,
    /// Where the recipient starts in [`StoreReady::recipients`].
    pub recipient_at: u32,
    /// [`char_mask`] of the recipient.
    pub recipient_mask: u64,
    pub event_type: Option<LogEventType>,
    /// `HAS_*` bits.
    pub flags: u8,
    /// 1 + the index of its unknown fields in [`StoreReady::extras`]; 0 for
    /// none.
    pub extra: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extra_fields_read_back_in_order_with_repeats() {
        let fields = vec![
            ("zeta".to_string(), Value::from(2)),
            (
                "alpha".to_string(),
                serde_json::json!({"deep": [1, "two", null]}),
            ),
            ("zeta".to_string(), Value::from("again")),
            ("score".to_string(), serde_json::json!(1e300)),
            ("quote\"d".to_string(), Value::from("line\nbreak")),
        ];
        let extra = ExtraFields::new(fields.iter().map(|(n, v)| (n.as_str(), v)));
        assert_eq!(extra.to_vec(), fields);
        assert!(ExtraFields::new([]).to_vec().is_empty());
    }
}
