//! A batch's records as the log store takes them: every string sanitized
//! and capped, the repeated senders, subjects, tag sets and user agents
//! listed once, and the rest of each record's text side by side. The
//! client prepares it on the thread that parsed the batch; the store
//! adopts it.

use std::borrow::Cow;

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

/// Ends each record's entry in [`StoreReady::hot`] and [`ColdText`]. Nor
/// does sanitized text (or JSON, which escapes control characters) hold it.
pub const RECORD_END: u8 = 0x1e;

/// A [`ReadyRecord`] string index for a field the record does not have.
pub const NO_STRING: u32 = u32::MAX;

/// Which optional detail fields of its text a record has
/// (`ReadyRecord::flags`); its user agent is [`ReadyRecord::user_agent`].
pub const HAS_SMTP: u8 = 1;
pub const HAS_IP: u8 = 1 << 1;
pub const HAS_URL: u8 = 1 << 2;
/// The record's hot entry starts with its recipient: it has capitals,
/// which [`StoreReady::recipients`] (lowercased) does not keep. Without it
/// the recipient is read from the recipients alone.
pub const RECIPIENT_IN_TEXT: u8 = 1 << 3;
/// Whether the record has an entry in [`StoreReady::hot`] at all.
pub const HOT: u8 = HAS_SMTP | HAS_IP | RECIPIENT_IN_TEXT;

/// Ends each recipient in [`StoreReady::recipients`]: no needle a filter
/// looks for (which never holds a control character) is found across two.
pub const RECIPIENT_END: u8 = SEPARATOR as u8;
const _: () = assert!(SEPARATOR.is_ascii());

/// A record's unknown fields, sanitized, held as the JSON text of one
/// object in its [`ColdText`] entry: a few integers as `Value`s in a boxed
/// list cost 240 bytes a record, their text a fifth of that before it is
/// compressed. Read back in their order, repeats included.
pub struct ExtraFields;

impl ExtraFields {
    /// Appends `fields` to `out` as one JSON object, every name and string
    /// in them as `clean` makes it; nothing for none. `scratch` is room
    /// for the JSON, kept by the caller from one record to the next.
    pub fn write<'a>(
        out: &mut String,
        scratch: &mut Vec<u8>,
        fields: impl IntoIterator<Item = (&'a str, &'a Value)>,
        clean: &impl Fn(&str) -> Cow<'_, str>,
    ) {
        scratch.clear();
        for (name, value) in fields {
            scratch.push(if scratch.is_empty() { b'{' } else { b',' });
            write_string(scratch, &clean(name));
            scratch.push(b':');
            write_value(scratch, value, clean);
        }
        if !scratch.is_empty() {
            scratch.push(b'}');
            out.push_str(std::str::from_utf8(scratch).unwrap_or_default());
        }
    }

    /// The fields [`ExtraFields::write`] wrote, in their order.
    pub fn read(text: &str) -> Vec<(String, Value)> {
        if text.is_empty() {
            return Vec::new();
        }
        serde_json::from_str::<Pairs>(text).map_or_else(|_| Vec::new(), |p| p.0)
    }
}

fn write_string(out: &mut Vec<u8>, text: &str) {
    // Into a Vec, a string serializes infallibly.
    let _ = serde_json::to_writer(out, text);
}

fn write_value(out: &mut Vec<u8>, value: &Value, clean: &impl Fn(&str) -> Cow<'_, str>) {
    match value {
        Value::String(text) => write_string(out, &clean(text)),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(out, item, clean);
            }
            out.push(b']');
        }
        Value::Object(members) => {
            out.push(b'{');
            for (i, (name, item)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(out, &clean(name));
                out.push(b':');
                write_value(out, item, clean);
            }
            out.push(b'}');
        }
        // Numbers, booleans and null, which serialize infallibly.
        other => {
            let _ = serde_json::to_writer(out, other);
        }
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
    /// What the table draws and the filters read of the records that have
    /// any of it ([`HOT`]): the recipient where it has capitals
    /// ([`RECIPIENT_IN_TEXT`]), then [`SEPARATOR`], the SMTP response,
    /// [`SEPARATOR`], the IP and [`RECORD_END`]. A record whose entry is
    /// the one before's shares it. User agents are among the strings
    /// instead: a busy domain's opens and clicks come from a handful of
    /// them.
    pub hot: Vec<u8>,
    /// What only the detail view and exports read.
    pub cold: ColdText,
    /// Every record's recipient, ASCII-lowercased and ended by
    /// [`RECIPIENT_END`], in record order: the log store keeps this as its
    /// recipients column, where filters search all of them at once, and
    /// reads a recipient without capitals from here alone.
    pub recipients: Vec<u8>,
}

impl StoreReady {
    /// Keeps the records whose entry of `kept` (one per record) is true,
    /// and their recipients and cold entries, which are found by their
    /// order. Rare: a resumed stream's records seen before, or the end of
    /// a stream's limit.
    pub fn keep(&mut self, kept: &[bool]) {
        let mut recipients = Vec::with_capacity(self.recipients.len());
        let mut cold = String::new();
        let all_cold = self.cold.unpack();
        let mut entries = all_cold.split_inclusive(RECORD_END as char);
        let mut flags = kept.iter();
        self.records.retain_mut(|record| {
            let entry = entries.next().unwrap_or_default();
            if flags.next() != Some(&true) {
                return false;
            }
            let at = record.recipient_at as usize;
            let own = self
                .recipients
                .get(at..at + usize::from(record.recipient_len))
                .unwrap_or_default();
            record.recipient_at = recipients.len() as u32;
            recipients.extend_from_slice(own);
            recipients.push(RECIPIENT_END);
            cold.push_str(entry);
            true
        });
        self.recipients = recipients;
        self.cold = ColdText::pack(cold);
    }
}

/// Each record's id, [`SEPARATOR`], message id, [`SEPARATOR`], URL,
/// [`SEPARATOR`] and unknown fields ([`ExtraFields`]), then
/// [`RECORD_END`]: unique text nearly all of it (ids and message ids are
/// half of what a record holds), and read only for one record at a time.
/// A bulk batch's is compressed with LZ4 on the thread that parsed it:
/// the ids of one stream share most of their bytes with those before.
#[derive(Clone, Debug, PartialEq)]
pub enum ColdText {
    Plain(String),
    Packed { bytes: Box<[u8]>, plain_len: u32 },
}

impl Default for ColdText {
    fn default() -> ColdText {
        ColdText::Plain(String::new())
    }
}

impl ColdText {
    /// Plain text shorter than this is left plain: compressing a live
    /// tail's record or two gains nothing, and the log store gathers such
    /// text into blocks of its own.
    pub const PACK_BYTES: usize = 8 * 1024;

    /// `text`, compressed when it is long enough to gain.
    pub fn pack(text: String) -> ColdText {
        if text.len() < ColdText::PACK_BYTES {
            return ColdText::Plain(text);
        }
        ColdText::Packed {
            bytes: lz4_flex::block::compress(text.as_bytes()).into_boxed_slice(),
            plain_len: text.len() as u32,
        }
    }

    /// The text. Only what this process compressed is unpacked, so a
    /// failure (which cannot happen) reads as no text.
    pub fn unpack(&self) -> std::borrow::Cow<'_, str> {
        match self {
            ColdText::Plain(text) => std::borrow::Cow::Borrowed(text),
            ColdText::Packed { bytes, plain_len } => {
                let plain = lz4_flex::block::decompress(bytes, *plain_len as usize)
                    .ok()
                    .and_then(|bytes| String::from_utf8(bytes).ok())
                    .unwrap_or_default();
                std::borrow::Cow::Owned(plain)
            }
        }
    }

    /// Bytes on the heap.
    pub fn heap_bytes(&self) -> usize {
        match self {
            ColdText::Plain(text) => text.capacity(),
            ColdText::Packed { bytes, .. } => bytes.len(),
        }
    }

    pub fn plain_len(&self) -> usize {
        match self {
            ColdText::Plain(text) => text.len(),
            ColdText::Packed { plain_len, .. } => *plain_len as usize,
        }
    }
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

/// One record: its strings by index into [`StoreReady::strings`], its hot
/// text by where it starts in [`StoreReady::hot`].
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
    /// Where its entry starts in [`StoreReady::hot`], when it has one
    /// ([`HOT`]).
    pub hot_at: u32,
    /// Bytes of the recipient (in the hot entry, when [`RECIPIENT_IN_TEXT`],
    /// and in [`StoreReady::recipients`]).
    pub recipient_len: u16,
    /// Where the recipient starts in [`StoreReady::recipients`].
    pub recipient_at: u32,
    /// [`char_mask`] of the recipient.
    pub recipient_mask: u64,
    pub event_type: Option<LogEventType>,
    /// `HAS_*` bits.
    pub flags: u8,
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
        fn as_is(s: &str) -> Cow<'_, str> {
            Cow::Borrowed(s)
        }
        fn upper(s: &str) -> Cow<'_, str> {
            Cow::Owned(s.to_uppercase())
        }
        let mut scratch = Vec::new();
        let mut text = String::from("before");
        ExtraFields::write(
            &mut text,
            &mut scratch,
            fields.iter().map(|(n, v)| (n.as_str(), v)),
            &as_is,
        );
        let text = text.strip_prefix("before").unwrap();
        assert!(
            !text
                .bytes()
                .any(|b| b == RECORD_END || b == SEPARATOR as u8)
        );
        assert_eq!(ExtraFields::read(text), fields);
        let mut none = String::new();
        ExtraFields::write(&mut none, &mut scratch, [], &as_is);
        assert_eq!(none, "");
        assert!(ExtraFields::read(&none).is_empty());
        // Every name and string, however deep, is cleaned.
        let nested = serde_json::json!({"k": ["v", 1, {"in": "x"}]});
        let mut text = String::new();
        ExtraFields::write(&mut text, &mut scratch, [("n", &nested)], &upper);
        assert_eq!(text, r#"{"N":{"K":["V",1,{"IN":"X"}]}}"#);
    }
}
