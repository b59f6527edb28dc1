//! A batch's records as the log store takes them: every string sanitized
//! and capped, the repeated senders, subjects, tag sets, SMTP groups,
//! recipient domains and IPs listed once, and the rest of each record's text side by side. The
//! client prepares it on the thread that parsed the batch; the store
//! adopts it.

use std::borrow::Cow;

use serde_json::Value;

use super::LogEventType;
use super::batch::ExtraValue;

mod by_field;

/// Longest text kept per field. Hostile upstreams send 10,000-character
/// subjects; no cell or detail view needs more than this.
pub const MAX_FIELD_BYTES: usize = 4096;

/// Joins a record's tags into one string and its detail fields into one
/// text. Sanitized text never holds it.
pub const SEPARATOR: char = '\u{1f}';

/// Ends each record's entry in [`StoreReady::hot`] and [`ColdText`]. Nor
/// does sanitized text (or JSON, which escapes control characters) hold it.
pub const RECORD_END: u8 = 0x1e;

/// A [`ReadyRecord`] string index for a field the record does not have.
pub const NO_STRING: u32 = u32::MAX;

/// Which optional detail fields of its text a record has
/// (`ReadyRecord::flags`).
pub const HAS_SMTP: u8 = 1;
pub const HAS_URL: u8 = 1 << 2;
pub const HAS_USER_AGENT: u8 = 1 << 4;
/// The SMTP response in the record's hot entry is only what follows its
/// group ([`ReadyRecord::smtp_group`], interned): the group is most of a
/// response and repeats, what follows (queue ids, times) does not.
pub const SMTP_AFTER_GROUP: u8 = 1 << 5;
/// The record's hot entry starts with its recipient: it has capitals,
/// which [`StoreReady::recipients`] (lowercased) does not keep. Without it
/// the recipient is read from the recipients alone.
pub const RECIPIENT_IN_TEXT: u8 = 1 << 3;
/// Whether the record has an entry in [`StoreReady::hot`] at all.
pub const HOT: u8 = HAS_SMTP | RECIPIENT_IN_TEXT;

/// Ends each recipient in [`StoreReady::recipients`]: no needle a filter
/// looks for (which never holds a control character) is found across two.
pub const RECIPIENT_END: u8 = SEPARATOR as u8;
const _: () = assert!(SEPARATOR.is_ascii());

/// A record's entry in [`StoreReady::hot`]: what the table draws and the
/// filters read.
pub struct HotEntry;

impl HotEntry {
    /// Its fields, for [`HotEntry::field`].
    pub const RECIPIENT: usize = 0;
    pub const SMTP: usize = 1;

    /// Appends an entry: the recipient (empty unless it has capitals) and
    /// the SMTP response (or what follows its group, [`SMTP_AFTER_GROUP`];
    /// empty when absent: the record's flags say which it has), between
    /// separators, then [`RECORD_END`].
    pub fn write(out: &mut Vec<u8>, [recipient, smtp]: [&str; 2]) {
        out.extend_from_slice(recipient.as_bytes());
        out.push(SEPARATOR as u8);
        out.extend_from_slice(smtp.as_bytes());
        out.push(RECORD_END);
    }

    /// Field `n` (0 recipient, 1 SMTP response) of the entry at the
    /// start of `bytes`, as bytes: what a filter pass reads of every
    /// record, without checking the entry is UTF-8 (it was written from
    /// `str`s, and is split only at ASCII bytes).
    #[inline]
    pub fn field(bytes: &[u8], n: usize) -> &[u8] {
        let mut rest = bytes;
        for _ in 0..n {
            match memchr::memchr2(SEPARATOR as u8, RECORD_END, rest) {
                Some(at) if rest[at] == SEPARATOR as u8 => rest = &rest[at + 1..],
                _ => return &[],
            }
        }
        memchr::memchr2(SEPARATOR as u8, RECORD_END, rest).map_or(rest, |end| &rest[..end])
    }
}

/// A record's entry in [`ColdText`]: what only the detail view and
/// exports read.
pub struct ColdEntry;

impl ColdEntry {
    /// Appends an entry: id, message id, URL and user agent (empty when
    /// absent), each followed by [`SEPARATOR`], then the unknown fields, every name and
    /// string in them as `clean` makes it, then [`RECORD_END`]. The unknown
    /// fields are held as JSON text: a few integers as `Value`s in a boxed
    /// list cost 240 bytes a record, their text a fifth of that before it
    /// is compressed. `scratch` is room for that JSON, kept by the caller
    /// from one record to the next.
    pub fn write<'a>(
        out: &mut String,
        scratch: &mut Vec<u8>,
        fields: [&str; 4],
        extra: impl IntoIterator<Item = (&'a str, ExtraValue<'a>)>,
        clean: &impl Fn(&str) -> Cow<'_, str>,
    ) {
        for field in fields {
            out.push_str(field);
            out.push(SEPARATOR);
        }
        // Each name and value a JSON text of its own, one after another:
        // read back one at a time, a value nests no deeper than it did in
        // the record, where serde_json read it with the same depth limit.
        scratch.clear();
        for (name, value) in extra {
            if !scratch.is_empty() {
                scratch.push(b' ');
            }
            write_string(scratch, &clean(name));
            scratch.push(b' ');
            match value {
                ExtraValue::Str(text) => write_string(scratch, &clean(text)),
                ExtraValue::Json(value) => write_value(scratch, &value, clean),
            }
        }
        out.push_str(std::str::from_utf8(scratch).unwrap_or_default());
        out.push(RECORD_END as char);
    }

    /// An entry (without its end): id, message id, URL, user agent, and
    /// the text of the unknown fields, which [`ColdEntry::extra`] reads.
    pub fn read(entry: &str) -> [&str; 5] {
        let mut fields = entry.splitn(5, SEPARATOR);
        [(); 5].map(|()| fields.next().unwrap_or_default())
    }

    /// The unknown fields of an entry's text, in their order, repeats
    /// included.
    pub fn extra(text: &str) -> Vec<(String, Value)> {
        let mut values = serde_json::Deserializer::from_str(text).into_iter::<Value>();
        let mut fields = Vec::new();
        while let (Some(Ok(Value::String(name))), Some(Ok(value))) = (values.next(), values.next())
        {
            fields.push((name, value));
        }
        fields
    }
}

fn write_string(out: &mut Vec<u8>, text: &str) {
    // Printable ASCII but for `"` and `\` is written as it is; serde_json's
    // writer, character by character, cost more than the rest of an
    // unknown field's entry.
    let plain = |b: &u8| (0x20..0x7f).contains(b) && !matches!(b, b'"' | b'\\');
    if text.as_bytes().iter().all(plain) {
        out.push(b'"');
        out.extend_from_slice(text.as_bytes());
        out.push(b'"');
        return;
    }
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

/// The records of a batch with all their text sanitized and capped.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StoreReady {
    /// The distinct senders, subjects, tag sets, SMTP groups and recipient
    /// domains the records name.
    pub strings: Vec<ReadyString>,
    pub records: Vec<ReadyRecord>,
    /// The [`HotEntry`] of each record that has any of it ([`HOT`]): the
    /// recipient where it has capitals ([`RECIPIENT_IN_TEXT`]), the SMTP
    /// response (or what follows its group, [`SMTP_AFTER_GROUP`]), the
    /// IP. A record whose entry is the one before's shares it.
    pub hot: Vec<u8>,
    /// What only the detail view and exports read.
    pub cold: ColdText,
    /// Every record's recipient through its last `@` (all of it when it has
    /// none; its domain is among `strings`), ASCII-lowercased and ended by
    /// [`RECIPIENT_END`], in record order: the log store keeps this as its
    /// recipients column, where filters search all of them at once, and
    /// reads a recipient without capitals from here and its domain.
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
            let from = self
                .recipients
                .get(record.recipient_at as usize..)
                .unwrap_or_default();
            let own = memchr::memchr(RECIPIENT_END, from).map_or(from, |end| &from[..end]);
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

/// Each record's [`ColdEntry`], one after another: unique text nearly all
/// of it (ids and message ids are
/// half of what a record holds), and read only for one record at a time.
/// A bulk batch's is compressed with zstd on the thread that parsed it:
/// the ids of one stream share most of their bytes with those before, and
/// what is left is mostly digits and hex, which zstd's entropy coding
/// packs where LZ4 copies them byte for byte (BENCHMARKS.md: 25 -> 15
/// bytes a record against other-server.py, 12.6 laid out field by field).
#[derive(Clone, Debug, PartialEq)]
pub enum ColdText {
    Plain(String),
    /// `by_field` when the entries were laid out field by field before
    /// they were compressed ([`by_field`]), as every whole batch's are.
    Packed {
        bytes: Box<[u8]>,
        plain_len: u32,
        by_field: bool,
    },
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

    /// zstd's fastest level with its entropy coding: higher levels gained
    /// under 3% on these texts at twice the time; the negative ("fast")
    /// ones lose most of the gain over LZ4.
    const LEVEL: i32 = 1;

    /// `text`, compressed when it is long enough to gain.
    pub fn pack(text: String) -> ColdText {
        if text.len() < ColdText::PACK_BYTES {
            return ColdText::Plain(text);
        }
        // Compressed into room kept by the thread, with the thread's
        // compressor (its tables are allocated once), then copied out at
        // its size: shrinking a buffer sized for the worst case in place
        // left a hole in the heap per batch that the store's growth could
        // not fill.
        struct Packer {
            compressor: zstd::bulk::Compressor<'static>,
            fields: Vec<u8>,
            room: Vec<u8>,
        }
        thread_local! {
            static PACKER: std::cell::RefCell<Option<Packer>> =
                const { std::cell::RefCell::new(None) };
        }
        PACKER.with_borrow_mut(|packer| {
            if packer.is_none() {
                *packer = zstd::bulk::Compressor::new(ColdText::LEVEL)
                    .ok()
                    .map(|compressor| Packer {
                        compressor,
                        fields: Vec::new(),
                        room: Vec::new(),
                    });
            }
            let Some(Packer {
                compressor,
                fields,
                room,
            }) = packer.as_mut()
            else {
                return ColdText::Plain(text);
            };
            let by_field = by_field::to_fields(&text, fields);
            let plain = if by_field {
                fields.as_slice()
            } else {
                text.as_bytes()
            };
            room.clear();
            room.reserve(zstd::zstd_safe::compress_bound(plain.len()));
            match compressor.compress_to_buffer(plain, room) {
                Ok(n) if n < text.len() => ColdText::Packed {
                    bytes: Box::from(&room[..n]),
                    plain_len: text.len() as u32,
                    by_field,
                },
                _ => ColdText::Plain(text),
            }
        })
    }

    /// The text. Only what this process compressed is unpacked, so a
    /// failure (which cannot happen) reads as no text.
    pub fn unpack(&self) -> std::borrow::Cow<'_, str> {
        match self {
            ColdText::Plain(text) => std::borrow::Cow::Borrowed(text),
            ColdText::Packed {
                bytes,
                plain_len,
                by_field,
            } => {
                let plain = zstd::bulk::decompress(bytes, *plain_len as usize)
                    .ok()
                    .and_then(|bytes| String::from_utf8(bytes).ok())
                    .unwrap_or_default();
                std::borrow::Cow::Owned(match by_field {
                    true => by_field::from_fields(&plain),
                    false => plain,
                })
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

/// One distinct sender, subject, tag set or SMTP group of a batch.
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
    /// The [`smtp_group`](super::smtp::smtp_group) of its SMTP response,
    /// whether or not the hot entry leaves it out; [`NO_STRING`] when it
    /// has none (or the group is empty).
    pub smtp_group: u32,
    /// Where its entry starts in [`StoreReady::hot`], when it has one
    /// ([`HOT`]).
    pub hot_at: u32,
    /// Where the recipient starts in [`StoreReady::recipients`].
    pub recipient_at: u32,
    /// The recipient's domain, ASCII-lowercased: what follows its last `@`;
    /// [`NO_STRING`] when nothing does.
    pub recipient_domain: u32,
    /// [`narrow_char_mask`](crate::charmask::narrow_char_mask) of the recipient.
    pub recipient_mask: u32,
    /// Its IP: a server's or a reader's device's, which repeat across
    /// records as senders do; [`NO_STRING`] when it has none.
    pub ip: u32,
    pub event_type: Option<LogEventType>,
    /// `HAS_*` bits.
    pub flags: u8,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn as_is(s: &str) -> Cow<'_, str> {
        Cow::Borrowed(s)
    }

    #[test]
    fn strings_are_written_as_serde_json_writes_them() {
        for text in [
            "",
            "attempt",
            "a b~",
            "q\"",
            "b\\s",
            "\u{7f}",
            "\u{1f}",
            "caf\u{e9}",
            "\n",
        ] {
            let mut out = Vec::new();
            write_string(&mut out, text);
            assert_eq!(out, serde_json::to_vec(text).unwrap(), "{text:?}");
        }
    }

    /// Writes a cold entry with `fields`, and reads it back.
    fn round_trip(
        fields: &[(String, Value)],
        clean: &impl Fn(&str) -> Cow<'_, str>,
    ) -> (String, Vec<(String, Value)>) {
        let mut text = String::from("before");
        ColdEntry::write(
            &mut text,
            &mut Vec::new(),
            ["i", "m", "u", "a"],
            fields
                .iter()
                .map(|(n, v)| (n.as_str(), ExtraValue::Json(Cow::Borrowed(v)))),
            clean,
        );
        let entry = text.strip_prefix("before").unwrap().to_string();
        let end = entry.strip_suffix(RECORD_END as char).unwrap();
        let [id, message_id, url, agent, extra] = ColdEntry::read(end);
        assert_eq!([id, message_id, url, agent], ["i", "m", "u", "a"]);
        assert!(
            !extra
                .bytes()
                .any(|b| b == RECORD_END || b == SEPARATOR as u8)
        );
        (entry.clone(), ColdEntry::extra(extra))
    }

    #[test]
    fn unknown_fields_read_back_in_order_with_repeats() {
        let fields = vec![
            ("zeta".to_string(), Value::from(2)),
            (
                "alpha".to_string(),
                serde_json::json!({"deep": [1, "two", null]}),
            ),
            ("zeta".to_string(), Value::from("again")),
            ("score".to_string(), serde_json::json!(1e300)),
            (
                "quote\"d".to_string(),
                Value::from("line\nbreak\u{1e}\u{1f}"),
            ),
        ];
        assert_eq!(round_trip(&fields, &as_is).1, fields);
        assert!(round_trip(&[], &as_is).1.is_empty());
        // Every name and string, however deep, is cleaned.
        fn upper(s: &str) -> Cow<'_, str> {
            Cow::Owned(s.to_uppercase())
        }
        let nested = vec![(
            "n".to_string(),
            serde_json::json!({"k": ["v", 1, {"in": "x"}]}),
        )];
        let (entry, back) = round_trip(&nested, &upper);
        assert_eq!(
            back,
            vec![(
                "N".to_string(),
                serde_json::json!({"K": ["V", 1, {"IN": "X"}]})
            )]
        );
        assert!(entry.contains(r#""N" {"K":["V",1,{"IN":"X"}]}"#), "{entry}");
    }

    /// A value as deep as serde_json reads in a record reads back: the
    /// entry adds no level around it.
    #[test]
    fn an_unknown_field_as_deep_as_a_record_allows_reads_back() {
        let depth = 127;
        let deep: Value =
            serde_json::from_str(&format!("{}{}", "[".repeat(depth), "]".repeat(depth))).unwrap();
        let fields = vec![("deep".to_string(), deep)];
        assert_eq!(round_trip(&fields, &as_is).1, fields);
    }

    #[test]
    fn hot_entries_read_back_up_to_their_end() {
        let mut out = Vec::new();
        HotEntry::write(&mut out, ["R@x", "250 ok"]);
        HotEntry::write(&mut out, ["", "421 try later"]);
        let read = |bytes: &[u8]| -> [Vec<u8>; 3] {
            [0, 1, 2].map(|n| HotEntry::field(bytes, n).to_vec())
        };
        let fields = |f: [&str; 3]| f.map(|f| f.as_bytes().to_vec());
        assert_eq!(read(&out), fields(["R@x", "250 ok", ""]));
        let second = out.iter().position(|&b| b == RECORD_END).unwrap() + 1;
        assert_eq!(read(&out[second..]), fields(["", "421 try later", ""]));
        assert_eq!(read(b""), fields(["", "", ""]));
    }
}
