//! One `logs` event's records, read in place.
//!
//! A batch keeps the event's text whole and each record's strings as ranges
//! of it, so parsing a thousand records costs a handful of allocations, not
//! ten per record: the parser only notes where each string starts and ends.
//! A string the text cannot lend as it is (one with JSON escapes, a numeric
//! id, or any string of a record built in memory) is copied once into the
//! batch's side buffer instead.

use std::fmt;
use std::hash::BuildHasher;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{
    LogEventType, LogRecord, Payload, format_timestamp_ms, is_completion, parse_timestamp_ms,
};

mod clean;
mod scan;

use crate::sanitize::is_printable_ascii;

pub use clean::{
    CleanRecord, CleanString, Cleaned, ExtraFields, HAS_IP, HAS_SMTP, HAS_URL, MAX_FIELD_BYTES,
    NO_STRING, SEPARATOR,
};

/// Set in a span's start: the string is in the side buffer, not the text.
const SPILLED: u32 = 1 << 31;

/// Where one string of a batch is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Span {
    start: u32,
    len: u32,
}

impl Span {
    const EMPTY: Span = Span { start: 0, len: 0 };
    /// An optional field that was missing or null.
    const ABSENT: Span = Span {
        start: u32::MAX,
        len: u32::MAX,
    };
}

/// One record of a batch: its strings as spans.
#[derive(Clone, Copy, Debug)]
struct RawRecord {
    timestamp_ms: i64,
    id: Span,
    sender: Span,
    recipient: Span,
    subject: Span,
    message_id: Span,
    smtp_response: Span,
    ip: Span,
    user_agent: Span,
    url: Span,
    /// The record's tags are `tags[tags_start..tags_start + tags_len]`.
    tags_start: u32,
    tags_len: u32,
    /// 1 + the index of its unknown fields in `extras`; 0 for none.
    extra: u32,
    event_type: Option<LogEventType>,
}

impl RawRecord {
    /// Bytes of its recipient and the detail fields kept as text (see
    /// [`Cleaned::text`]), as read.
    fn detail_bytes(&self) -> usize {
        [
            self.recipient,
            self.id,
            self.message_id,
            self.smtp_response,
            self.ip,
            self.url,
        ]
        .iter()
        .filter(|span| **span != Span::ABSENT)
        .map(|span| span.len as usize)
        .sum()
    }

    const EMPTY: RawRecord = RawRecord {
        timestamp_ms: 0,
        id: Span::EMPTY,
        sender: Span::EMPTY,
        recipient: Span::EMPTY,
        subject: Span::EMPTY,
        message_id: Span::EMPTY,
        smtp_response: Span::ABSENT,
        ip: Span::ABSENT,
        user_agent: Span::ABSENT,
        url: Span::ABSENT,
        tags_start: 0,
        tags_len: 0,
        extra: 0,
        event_type: None,
    };
}

/// Domain-log records in arrival order, as one event of the stream carried
/// them (or as built from [`LogRecord`]s).
#[derive(Clone, Default)]
pub struct LogBatch {
    /// The event's data, as received.
    text: String,
    /// Strings that are not a plain range of `text`.
    spill: String,
    records: Vec<RawRecord>,
    tags: Vec<Span>,
    extras: Vec<Vec<(String, Value)>>,
    /// The records again, sanitized for the log store (see [`Cleaned`]).
    cleaned: Box<Cleaned>,
    /// Each record's key, once [`LogBatch::find_keys`] has run.
    keys: Vec<RecordKey>,
}

/// One record of a [`LogBatch`] (or of a [`LogRecord`]), borrowed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LogRecordRef<'a> {
    pub id: &'a str,
    /// Milliseconds since the Unix epoch, UTC.
    pub timestamp_ms: i64,
    pub event_type: Option<LogEventType>,
    pub sender: &'a str,
    pub recipient: &'a str,
    pub subject: &'a str,
    pub tags: Tags<'a>,
    pub message_id: &'a str,
    pub smtp_response: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    pub url: Option<&'a str>,
    /// Fields this client does not know, in arrival order.
    pub extra: &'a [(String, Value)],
}

/// What tells records apart, as a resumed stream's bookkeeping reads it:
/// the record's time and a hash of its id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordKey {
    pub timestamp_ms: i64,
    pub id_hash: u64,
}

/// A record's tags, borrowed.
#[derive(Clone, Copy)]
pub struct Tags<'a>(TagsInner<'a>);

#[derive(Clone, Copy)]
enum TagsInner<'a> {
    Batch(&'a LogBatch, &'a [Span]),
    Owned(&'a [String]),
}

impl<'a> Tags<'a> {
    pub fn iter(&self) -> impl Iterator<Item = &'a str> + use<'a> {
        let (batch, spans, owned) = match self.0 {
            TagsInner::Batch(batch, spans) => (Some(batch), spans, &[][..]),
            TagsInner::Owned(owned) => (None, &[][..], owned),
        };
        spans
            .iter()
            .filter_map(move |&span| batch.map(|b| b.str(span)))
            .chain(owned.iter().map(String::as_str))
    }

    pub fn len(&self) -> usize {
        match self.0 {
            TagsInner::Batch(_, spans) => spans.len(),
            TagsInner::Owned(owned) => owned.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl PartialEq for Tags<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl fmt::Debug for Tags<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl LogRecordRef<'_> {
    pub fn to_record(&self) -> LogRecord {
        LogRecord {
            id: self.id.to_string(),
            timestamp_ms: self.timestamp_ms,
            event_type: self.event_type,
            sender: self.sender.to_string(),
            recipient: self.recipient.to_string(),
            subject: self.subject.to_string(),
            tags: self.tags.iter().map(str::to_string).collect(),
            message_id: self.message_id.to_string(),
            smtp_response: self.smtp_response.map(str::to_string),
            ip: self.ip.map(str::to_string),
            user_agent: self.user_agent.map(str::to_string),
            url: self.url.map(str::to_string),
            extra: self.extra.to_vec(),
        }
    }

    /// Writes the record's fields into a map being serialized, so a caller
    /// can put its own fields first (the headless `{"type":"log",…}`).
    pub fn serialize_fields<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
        map.serialize_entry("id", self.id)?;
        map.serialize_entry("timestamp", &format_timestamp_ms(self.timestamp_ms))?;
        if let Some(t) = self.event_type.filter(|t| *t != LogEventType::Other) {
            map.serialize_entry("event_type", t.as_str())?;
        }
        map.serialize_entry("sender", self.sender)?;
        map.serialize_entry("recipient", self.recipient)?;
        map.serialize_entry("subject", self.subject)?;
        map.serialize_entry("tags", &TagList(self.tags))?;
        map.serialize_entry("message_id", self.message_id)?;
        for (name, value) in [
            ("smtp_response", self.smtp_response),
            ("ip", self.ip),
            ("user_agent", self.user_agent),
            ("url", self.url),
        ] {
            if let Some(v) = value {
                map.serialize_entry(name, v)?;
            }
        }
        for (name, value) in self.extra {
            map.serialize_entry(name, value)?;
        }
        Ok(())
    }
}

struct TagList<'a>(Tags<'a>);

impl Serialize for TagList<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter())
    }
}

impl Serialize for LogRecordRef<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        self.serialize_fields(&mut map)?;
        map.end()
    }
}

impl LogRecord {
    pub fn borrowed(&self) -> LogRecordRef<'_> {
        LogRecordRef {
            id: &self.id,
            timestamp_ms: self.timestamp_ms,
            event_type: self.event_type,
            sender: &self.sender,
            recipient: &self.recipient,
            subject: &self.subject,
            tags: Tags(TagsInner::Owned(&self.tags)),
            message_id: &self.message_id,
            smtp_response: self.smtp_response.as_deref(),
            ip: self.ip.as_deref(),
            user_agent: self.user_agent.as_deref(),
            url: self.url.as_deref(),
            extra: &self.extra,
        }
    }
}

impl Serialize for LogRecord {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.borrowed().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for LogRecord {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut builder = Builder::new("", 1);
        RecordSeed(&mut builder).deserialize(deserializer)?;
        let batch = builder.finish(String::new());
        batch
            .get(0)
            .map(|r| r.to_record())
            .ok_or_else(|| de::Error::custom("no record"))
    }
}

impl LogBatch {
    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    pub fn get(&self, i: usize) -> Option<LogRecordRef<'_>> {
        self.records.get(i).map(|r| self.view(r))
    }

    pub fn iter(&self) -> Records<'_> {
        Records {
            batch: self,
            raw: self.records.iter(),
        }
    }

    /// Every record, owned (tests and tools).
    pub fn to_records(&self) -> Vec<LogRecord> {
        self.iter().map(|r| r.to_record()).collect()
    }

    /// Works out each record's [`RecordKey`] with `ids` hashing the ids,
    /// for [`LogBatch::take_keys`]: done on the thread that parsed the
    /// batch, while its records are in that core's cache, so that the
    /// reader, which admits them in order, reads a short list instead.
    pub fn find_keys(&mut self, ids: &impl BuildHasher) {
        self.keys = self
            .records
            .iter()
            .map(|r| RecordKey {
                timestamp_ms: r.timestamp_ms,
                id_hash: ids.hash_one(self.str(r.id)),
            })
            .collect();
    }

    /// Each record's key, in order: those [`LogBatch::find_keys`] found
    /// with the same `ids`, else worked out now.
    pub fn take_keys(&mut self, ids: &impl BuildHasher) -> Vec<RecordKey> {
        if self.keys.len() != self.records.len() {
            self.find_keys(ids);
        }
        std::mem::take(&mut self.keys)
    }

    /// Keeps the records whose entry of `kept` (one per record, in order)
    /// is true.
    pub fn retain(&mut self, kept: &[bool]) {
        // On a stream that is not resuming, every record is kept.
        if !kept.contains(&false) {
            return;
        }
        self.keys.clear();
        let mut kept_raw = kept.iter();
        self.records.retain(|_| kept_raw.next() == Some(&true));
        let mut kept_clean = kept.iter();
        self.cleaned
            .records
            .retain(|_| kept_clean.next() == Some(&true));
    }

    pub fn truncate(&mut self, len: usize) {
        self.keys.truncate(len);
        self.records.truncate(len);
        self.cleaned.records.truncate(len);
    }

    /// The records sanitized for the log store; the batch is done with.
    pub fn into_cleaned(self) -> Cleaned {
        *self.cleaned
    }

    fn view(&self, r: &RawRecord) -> LogRecordRef<'_> {
        let optional = |span: Span| (span != Span::ABSENT).then(|| self.str(span));
        let tags_start = r.tags_start as usize;
        let tags = self
            .tags
            .get(tags_start..tags_start + r.tags_len as usize)
            .unwrap_or_default();
        let extra = match r.extra {
            0 => &[][..],
            i => self
                .extras
                .get(i as usize - 1)
                .map_or(&[][..], Vec::as_slice),
        };
        LogRecordRef {
            id: self.str(r.id),
            timestamp_ms: r.timestamp_ms,
            event_type: r.event_type,
            sender: self.str(r.sender),
            recipient: self.str(r.recipient),
            subject: self.str(r.subject),
            tags: Tags(TagsInner::Batch(self, tags)),
            message_id: self.str(r.message_id),
            smtp_response: optional(r.smtp_response),
            ip: optional(r.ip),
            user_agent: optional(r.user_agent),
            url: optional(r.url),
            extra,
        }
    }

    fn str(&self, span: Span) -> &str {
        let (source, start) = if span.start & SPILLED != 0 {
            (&self.spill, span.start & !SPILLED)
        } else {
            (&self.text, span.start)
        };
        let start = start as usize;
        source.get(start..start + span.len as usize).unwrap_or("")
    }
}

/// Reads one event's data: a batch (`{"logs":[…]}`, `{"data":[…]}`, `[…]`),
/// a lone record, or a completion object. Records that do not parse are
/// skipped, each reported in `bad`. `expected` is how many records the
/// batch probably holds (the previous one's count), so the list is
/// allocated once.
pub(super) fn parse_data(text: String, expected: usize, bad: &mut Vec<String>) -> Payload {
    let mut builder = Builder::new(&text, expected);
    if scan::batch(&text, &mut builder).is_some() {
        return Payload::Records(builder.finish(text));
    }
    parse_data_by_serde(text, expected, bad)
}

/// [`parse_data`] without the scanner: serde_json reads it all.
fn parse_data_by_serde(text: String, expected: usize, bad: &mut Vec<String>) -> Payload {
    // The fast path: the batch parses whole, with every string read in
    // place.
    let mut builder = Builder::new(&text, expected);
    let data = text.trim();
    let mut de = serde_json::Deserializer::from_str(data);
    let parsed = if data.starts_with('[') {
        RecordsSeed(&mut builder).deserialize(&mut de).map(Some)
    } else {
        EnvelopeSeed(&mut builder).deserialize(&mut de)
    };
    if let Ok(Some(())) = parsed
        && de.end().is_ok()
    {
        return Payload::Records(builder.finish(text));
    }
    // The slow path: one bad record must not cost the batch.
    let value: Value = match serde_json::from_str(data) {
        Ok(v) => v,
        Err(e) => {
            bad.push(format!("log event is not JSON: {e}"));
            return Payload::Ignore;
        }
    };
    let items = match value {
        Value::Array(items) => items,
        Value::Object(mut map) => {
            if map
                .get("type")
                .and_then(Value::as_str)
                .is_some_and(is_completion)
            {
                return Payload::Complete;
            }
            match map.remove("logs").or_else(|| map.remove("data")) {
                Some(Value::Array(items)) => items,
                Some(_) => {
                    bad.push("log batch is not an array".into());
                    return Payload::Ignore;
                }
                None => vec![Value::Object(map)],
            }
        }
        _ => {
            bad.push("log event is neither a batch nor a record".into());
            return Payload::Ignore;
        }
    };
    let mut builder = Builder::new("", items.len());
    for item in items {
        if let Err(e) = RecordSeed(&mut builder).deserialize(item) {
            bad.push(format!("log record skipped: {e}"));
        }
    }
    Payload::Records(builder.finish(String::new()))
}

impl From<Vec<LogRecord>> for LogBatch {
    fn from(records: Vec<LogRecord>) -> LogBatch {
        let mut builder = Builder::new("", records.len());
        for r in &records {
            builder.push_owned(r.borrowed());
        }
        builder.finish(String::new())
    }
}

impl FromIterator<LogRecord> for LogBatch {
    fn from_iter<I: IntoIterator<Item = LogRecord>>(iter: I) -> LogBatch {
        LogBatch::from(iter.into_iter().collect::<Vec<_>>())
    }
}

impl<'a> IntoIterator for &'a LogBatch {
    type Item = LogRecordRef<'a>;
    type IntoIter = Records<'a>;

    fn into_iter(self) -> Records<'a> {
        self.iter()
    }
}

/// The records of a batch, in order.
pub struct Records<'a> {
    batch: &'a LogBatch,
    raw: std::slice::Iter<'a, RawRecord>,
}

impl<'a> Iterator for Records<'a> {
    type Item = LogRecordRef<'a>;

    fn next(&mut self) -> Option<LogRecordRef<'a>> {
        self.raw.next().map(|r| self.batch.view(r))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.raw.size_hint()
    }
}

impl ExactSizeIterator for Records<'_> {}

impl PartialEq for LogBatch {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl fmt::Debug for LogBatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// A batch being parsed. It knows where the text it reads lies in memory,
/// so that a string the deserializer lends from that text is kept as a
/// span of it; anything else is copied to the side buffer.
struct Builder {
    text_at: usize,
    text_len: usize,
    /// The text is printable ASCII: no string in it can hold a control
    /// character, and none lent from it needs sanitizing.
    text_plain: bool,
    spill: String,
    records: Vec<RawRecord>,
    tags: Vec<Span>,
    extras: Vec<Vec<(String, Value)>>,
}

/// The most records a batch's list is allocated for up front.
const MAX_BATCH_HINT: usize = 10_000;

impl Builder {
    fn new(text: &str, expected: usize) -> Builder {
        // Spans hold 31-bit offsets; text longer than that (never, with the
        // SSE message cap) is copied instead of lent.
        let lendable = text.len() < SPILLED as usize;
        Builder {
            text_at: text.as_ptr() as usize,
            text_len: if lendable { text.len() } else { 0 },
            text_plain: is_printable_ascii(text),
            spill: String::new(),
            records: Vec::with_capacity(expected.min(MAX_BATCH_HINT)),
            tags: Vec::with_capacity(expected.min(MAX_BATCH_HINT) * 2),
            extras: Vec::new(),
        }
    }

    fn finish(self, text: String) -> LogBatch {
        let mut batch = LogBatch {
            text,
            spill: self.spill,
            records: self.records,
            tags: self.tags,
            extras: self.extras,
            cleaned: Box::default(),
            keys: Vec::new(),
        };
        let plain = self.text_plain && is_printable_ascii(&batch.spill);
        *batch.cleaned = clean::clean(&batch, plain);
        batch
    }

    /// Where a record being read starts adding strings and tags.
    fn mark(&self) -> (usize, usize) {
        (self.spill.len(), self.tags.len())
    }

    /// Takes back what a record that failed to read added since `mark`
    /// (a record is pushed only once it is whole).
    fn rollback(&mut self, (spill, tags): (usize, usize)) {
        self.spill.truncate(spill);
        self.tags.truncate(tags);
    }

    /// A span for a string the deserializer lent: in place when it lies in
    /// the text, else copied.
    fn lent<E: de::Error>(&mut self, s: &str) -> Result<Span, E> {
        let at = s.as_ptr() as usize;
        if at >= self.text_at && at + s.len() <= self.text_at + self.text_len {
            return Ok(Span {
                start: (at - self.text_at) as u32,
                len: s.len() as u32,
            });
        }
        self.copied(s)
    }

    fn copied<E: de::Error>(&mut self, s: &str) -> Result<Span, E> {
        let start = self.spill.len();
        if start + s.len() >= SPILLED as usize {
            return Err(E::custom("log batch too large"));
        }
        self.spill.push_str(s);
        Ok(Span {
            start: start as u32 | SPILLED,
            len: s.len() as u32,
        })
    }

    fn push_owned(&mut self, r: LogRecordRef<'_>) {
        fn copy(b: &mut Builder, s: &str) -> Span {
            b.copied::<de::value::Error>(s).unwrap_or(Span::EMPTY)
        }
        fn optional(b: &mut Builder, s: Option<&str>) -> Span {
            s.map_or(Span::ABSENT, |s| copy(b, s))
        }
        let mut raw = RawRecord {
            timestamp_ms: r.timestamp_ms,
            event_type: r.event_type,
            id: copy(self, r.id),
            sender: copy(self, r.sender),
            recipient: copy(self, r.recipient),
            subject: copy(self, r.subject),
            message_id: copy(self, r.message_id),
            smtp_response: optional(self, r.smtp_response),
            ip: optional(self, r.ip),
            user_agent: optional(self, r.user_agent),
            url: optional(self, r.url),
            tags_start: self.tags.len() as u32,
            tags_len: r.tags.len() as u32,
            extra: 0,
        };
        for tag in r.tags.iter() {
            let span = copy(self, tag);
            self.tags.push(span);
        }
        if !r.extra.is_empty() {
            self.extras.push(r.extra.to_vec());
            raw.extra = self.extras.len() as u32;
        }
        self.records.push(raw);
    }
}

/// A batch's records, each pushed into the builder.
struct RecordsSeed<'b>(&'b mut Builder);

impl<'de> DeserializeSeed<'de> for RecordsSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for RecordsSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of log records")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(RecordSeed(self.0))?.is_some() {}
        Ok(())
    }
}

/// `{"logs":[…]}` or `{"data":[…]}` (either may be null), other keys
/// skipped, or a lone record. `None` when neither key holds an array.
struct EnvelopeSeed<'b>(&'b mut Builder);

impl<'de> DeserializeSeed<'de> for EnvelopeSeed<'_> {
    type Value = Option<()>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for EnvelopeSeed<'_> {
    type Value = Option<()>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a log batch object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found = None;
        while let Some(key) = map.next_key::<EnvelopeKey>()? {
            if !key.0 {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            if found.is_some() {
                return Err(de::Error::duplicate_field("logs or data"));
            }
            found = Some(map.next_value_seed(OptionalRecords(&mut *self.0))?);
        }
        // Not a batch: the slow path reads the object as a lone record.
        Ok(found.flatten())
    }
}

/// Whether a key of the envelope is `logs` or `data`.
struct EnvelopeKey(bool);

impl<'de> Deserialize<'de> for EnvelopeKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = EnvelopeKey;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<EnvelopeKey, E> {
                Ok(EnvelopeKey(matches!(v, "logs" | "data")))
            }
        }
        deserializer.deserialize_identifier(KeyVisitor)
    }
}

/// A batch's records, or null.
struct OptionalRecords<'b>(&'b mut Builder);

impl<'de> DeserializeSeed<'de> for OptionalRecords<'_> {
    type Value = Option<()>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for OptionalRecords<'_> {
    type Value = Option<()>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of log records or null")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        RecordsSeed(self.0).deserialize(deserializer).map(Some)
    }
}

/// The fields a record may have.
enum Field {
    Id,
    Timestamp,
    EventType,
    Sender,
    Recipient,
    Subject,
    Tags,
    MessageId,
    SmtpResponse,
    Ip,
    UserAgent,
    Url,
    Other(String),
}

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FieldVisitor;
        impl Visitor<'_> for FieldVisitor {
            type Value = Field;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a field name")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Field, E> {
                Ok(match v {
                    "id" => Field::Id,
                    "timestamp" => Field::Timestamp,
                    "event_type" => Field::EventType,
                    "sender" => Field::Sender,
                    "recipient" => Field::Recipient,
                    "subject" => Field::Subject,
                    "tags" => Field::Tags,
                    "message_id" => Field::MessageId,
                    "smtp_response" => Field::SmtpResponse,
                    "ip" => Field::Ip,
                    "user_agent" => Field::UserAgent,
                    "url" => Field::Url,
                    other => Field::Other(other.to_string()),
                })
            }
        }
        deserializer.deserialize_identifier(FieldVisitor)
    }
}

/// One record, pushed into the builder. `id` and `timestamp` are required
/// (they are what a reconnect resumes from); everything else may be
/// missing. On an error, whatever the record had added is taken back.
struct RecordSeed<'b>(&'b mut Builder);

impl<'de> DeserializeSeed<'de> for RecordSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        let builder = self.0;
        let mark = builder.mark();
        let result = deserializer.deserialize_map(RecordSeed(&mut *builder));
        if result.is_err() {
            builder.rollback(mark);
        }
        result
    }
}

impl<'de> Visitor<'de> for RecordSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a log record object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let b = self.0;
        let mut record = RawRecord::EMPTY;
        let (mut has_id, mut has_timestamp) = (false, false);
        let mut extra = Vec::new();
        while let Some(field) = map.next_key::<Field>()? {
            let string = |map: &mut A, b: &mut Builder| {
                map.next_value_seed(StringSeed(b))
                    .map(|s| s.unwrap_or(Span::EMPTY))
            };
            let optional = |map: &mut A, b: &mut Builder| {
                map.next_value_seed(StringSeed(b))
                    .map(|s| s.unwrap_or(Span::ABSENT))
            };
            match field {
                Field::Id => {
                    record.id = map.next_value_seed(IdSeed(b))?;
                    has_id = true;
                }
                Field::Timestamp => {
                    record.timestamp_ms = map.next_value::<Timestamp>()?.0;
                    has_timestamp = true;
                }
                Field::EventType => {
                    record.event_type = match map.next_value::<Option<EventType>>()? {
                        None => None,
                        Some(EventType::Known(t)) => Some(t),
                        Some(EventType::Other(name)) => {
                            // The original name, kept for the detail view
                            // and the headless output.
                            extra.push(("event_type".to_string(), Value::String(name)));
                            Some(LogEventType::Other)
                        }
                    };
                }
                Field::Sender => record.sender = string(&mut map, b)?,
                Field::Recipient => record.recipient = string(&mut map, b)?,
                Field::Subject => record.subject = string(&mut map, b)?,
                Field::MessageId => record.message_id = string(&mut map, b)?,
                Field::SmtpResponse => record.smtp_response = optional(&mut map, b)?,
                Field::Ip => record.ip = optional(&mut map, b)?,
                Field::UserAgent => record.user_agent = optional(&mut map, b)?,
                Field::Url => record.url = optional(&mut map, b)?,
                Field::Tags => {
                    let start = b.tags.len();
                    map.next_value_seed(TagsSeed(b))?;
                    record.tags_start = start as u32;
                    record.tags_len = (b.tags.len() - start) as u32;
                }
                Field::Other(name) => extra.push((name, map.next_value::<Value>()?)),
            }
        }
        if !has_id {
            return Err(de::Error::missing_field("id"));
        }
        if !has_timestamp {
            return Err(de::Error::missing_field("timestamp"));
        }
        if !extra.is_empty() {
            b.extras.push(extra);
            record.extra = b.extras.len() as u32;
        }
        b.records.push(record);
        Ok(())
    }
}

/// A string or null, as a span.
struct StringSeed<'b>(&'b mut Builder);

impl<'de> DeserializeSeed<'de> for StringSeed<'_> {
    type Value = Option<Span>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for StringSeed<'_> {
    type Value = Option<Span>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string or null")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        self.0.lent(v).map(Some)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        self.0.copied(v).map(Some)
    }
}

/// An id: a string, or a number kept as its decimal text.
struct IdSeed<'b>(&'b mut Builder);

impl<'de> DeserializeSeed<'de> for IdSeed<'_> {
    type Value = Span;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Span, D::Error> {
        deserializer
            .deserialize_any(self)
            .map_err(|_| de::Error::custom("id is not a string"))
    }
}

impl<'de> Visitor<'de> for IdSeed<'_> {
    type Value = Span;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an id (a string)")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Span, E> {
        self.0.lent(v)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Span, E> {
        self.0.copied(v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Span, E> {
        self.0.copied(&v.to_string())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Span, E> {
        self.0.copied(&v.to_string())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Span, E> {
        // As serde_json prints a float: `1.5`, `1e100`.
        self.0.copied(&Value::from(v).to_string())
    }
}

/// A list of tag strings, or null for none.
struct TagsSeed<'b>(&'b mut Builder);

impl<'de> DeserializeSeed<'de> for TagsSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for TagsSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of tags or null")
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(tag) = seq.next_element_seed(TagSeed(&mut *self.0))? {
            self.0.tags.push(tag);
        }
        Ok(())
    }
}

/// One tag: a string.
struct TagSeed<'b>(&'b mut Builder);

impl<'de> DeserializeSeed<'de> for TagSeed<'_> {
    type Value = Span;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Span, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for TagSeed<'_> {
    type Value = Span;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a tag (a string)")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Span, E> {
        self.0.lent(v)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Span, E> {
        self.0.copied(v)
    }
}

/// A timestamp, RFC 3339, as milliseconds since the epoch.
struct Timestamp(i64);

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TimestampVisitor;
        impl Visitor<'_> for TimestampVisitor {
            type Value = Timestamp;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an RFC 3339 timestamp")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Timestamp, E> {
                parse_timestamp_ms(v)
                    .map(Timestamp)
                    .ok_or_else(|| E::custom(format_args!("timestamp {v:?} is not RFC 3339")))
            }
        }
        deserializer.deserialize_str(TimestampVisitor)
    }
}

/// An event type: one of the documented ones, or another name, kept.
enum EventType {
    Known(LogEventType),
    Other(String),
}

impl<'de> Deserialize<'de> for EventType {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EventTypeVisitor;
        impl Visitor<'_> for EventTypeVisitor {
            type Value = EventType;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an event type")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<EventType, E> {
                Ok(LogEventType::from_wire(v)
                    .map_or_else(|| EventType::Other(v.to_string()), EventType::Known))
            }
        }
        deserializer.deserialize_str(EventTypeVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const REC: &str = r#"{"id":"a1","timestamp":"2026-05-27T10:15:00.250Z","event_type":"bounced","sender":"s@x","recipient":"r\u0040y","subject":"Hi","tags":["t","\"q\""],"message_id":"<m>","smtp_response":"550","ip":null,"mystery":{"k":1}}"#;

    fn parse(text: &str) -> (Option<LogBatch>, Vec<String>) {
        let mut bad = Vec::new();
        match parse_data(text.to_string(), 0, &mut bad) {
            Payload::Records(batch) => (Some(batch), bad),
            Payload::Complete | Payload::Ignore => (None, bad),
        }
    }

    #[test]
    fn strings_are_lent_by_the_text_or_copied_when_escaped() {
        let (batch, bad) = parse(&format!(r#"{{"logs":[{REC},{REC}]}}"#));
        let batch = batch.unwrap();
        assert!(bad.is_empty());
        assert_eq!(batch.len(), 2);
        let r = batch.get(1).unwrap();
        assert_eq!(r.id, "a1");
        assert_eq!(r.recipient, "r@y");
        assert_eq!(r.tags.iter().collect::<Vec<_>>(), ["t", "\"q\""]);
        assert_eq!(r.smtp_response, Some("550"));
        assert_eq!(r.ip, None);
        assert_eq!(
            r.extra,
            [("mystery".to_string(), serde_json::json!({"k":1}))]
        );
        // Only the two escaped strings of each record were copied.
        assert_eq!(batch.spill, "r@y\"q\"r@y\"q\"");
    }

    #[test]
    fn a_bad_record_leaves_nothing_behind() {
        let (batch, bad) = parse(&format!(
            r#"[{{"id":"x","sender":"\u0041","tags":["\u0042"],"timestamp":"never"}},{REC}]"#
        ));
        let batch = batch.unwrap();
        assert_eq!(bad.len(), 1, "{bad:?}");
        assert_eq!(batch.len(), 1);
        assert_eq!(
            batch.get(0).unwrap().to_record(),
            parse(REC).0.unwrap().to_records()[0]
        );
        assert_eq!(batch.tags.len(), 2);
    }

    #[test]
    fn owned_records_round_trip_through_a_batch() {
        let (batch, _) = parse(&format!("[{REC}]"));
        let records = batch.unwrap().to_records();
        let rebuilt = LogBatch::from(records.clone());
        assert_eq!(rebuilt.to_records(), records);
        let json = serde_json::to_string(&records[0]).unwrap();
        let back: LogRecord = serde_json::from_str(&json).unwrap();
        assert_eq!(back, records[0]);
    }

    /// What a parse came to, comparable.
    fn outcome(payload: Payload, bad: Vec<String>) -> (String, Vec<LogRecord>, Vec<String>) {
        match payload {
            Payload::Records(batch) => ("records".into(), batch.to_records(), bad),
            Payload::Complete => ("complete".into(), Vec::new(), bad),
            Payload::Ignore => ("ignore".into(), Vec::new(), bad),
        }
    }

    /// JSON whitespace, or none.
    fn ws() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec!["", "", "", " ", "\n", " \t\r\n "])
    }

    /// A string value: plain, or with what the scanner leaves to serde_json
    /// (escapes, raw control characters, which are invalid JSON).
    fn string_value() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => "[a-zA-Z0-9@.<> +#-]{0,12}".prop_map(|s| format!("\"{s}\"")),
            2 => any::<String>().prop_map(|s| serde_json::to_string(&s).unwrap()),
            1 => "[a-z]{0,3}[\\x00-\\x1f][a-z]{0,3}".prop_map(|s| format!("\"{s}\"")),
            1 => Just("null".to_string()),
            1 => Just("12".to_string()),
        ]
    }

    /// A tag list of any [`string_value`]s, or null.
    fn tags_value() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("null".to_string()),
            prop::collection::vec(string_value(), 0..3).prop_map(|t| format!("[{}]", t.join(","))),
        ]
    }

    /// One `"key":value` pair of a record, known keys most often.
    fn entry() -> impl Strategy<Value = String> {
        let key = prop::sample::select(vec![
            "id",
            "id",
            "timestamp",
            "timestamp",
            "event_type",
            "sender",
            "recipient",
            "subject",
            "tags",
            "message_id",
            "smtp_response",
            "ip",
            "user_agent",
            "url",
            "mystery",
            "\\u0069d",
        ]);
        let timestamp = prop::sample::select(vec![
            "\"2026-05-27T10:15:00.250Z\"",
            "\"2026-05-27T10:15:00Z\"",
            "\"2026-05-27T12:15:00+02:00\"",
            "\"yesterday\"",
            "\"2026-05-27T10:15:00.250\\u005a\"",
            "1780000000",
        ]);
        let event_type = prop::sample::select(vec![
            "\"bounced\"",
            "\"opened\"",
            "\"teleported\"",
            "null",
            "\"b\\u006funced\"",
        ]);
        let tags = tags_value();
        (key, string_value(), timestamp, event_type, tags, ws(), ws()).prop_map(
            |(key, string, timestamp, event_type, tags, ws1, ws2)| {
                let value = match key {
                    "timestamp" => timestamp.to_string(),
                    "event_type" => event_type.to_string(),
                    "tags" => tags,
                    "mystery" => "{\"k\":[1,\"}\"]}".to_string(),
                    _ => string,
                };
                format!("\"{key}\"{ws1}:{ws2}{value}")
            },
        )
    }

    /// A record in the exact shape the service writes (the scanner's
    /// straight-line path), its values anything [`string_value`] makes.
    fn service_record_text() -> impl Strategy<Value = String> {
        let timestamp = prop::sample::select(vec![
            "\"2026-05-27T10:15:00.250Z\"",
            "\"2026-05-27T10:15:00.250Z\"",
            "\"2026-05-27T10:15:00Z\"",
            "\"yesterday\"",
        ]);
        let event_type = prop::sample::select(vec![
            "\"bounced\"",
            "\"delivered\"",
            "\"teleported\"",
            "null",
        ]);
        let tags = tags_value();
        // Mostly plain, so that whole records take the path; sometimes
        // anything, so that a record leaves it midway.
        let value = || {
            prop_oneof![
                12 => "[a-zA-Z0-9@.<> +#-]{0,20}".prop_map(|s| format!("\"{s}\"")),
                1 => Just("null".to_string()),
                1 => string_value(),
            ]
        };
        let tags = prop_oneof![
            8 => prop::collection::vec(value(), 0..3).prop_map(|t| format!("[{}]", t.join(","))),
            1 => tags,
        ];
        let detail = || proptest::option::of(value());
        (
            (value(), timestamp, event_type, tags),
            (value(), value(), value(), value()),
            (detail(), detail(), detail(), detail()),
        )
            .prop_map(
                |((id, timestamp, event_type, tags), (sender, recipient, subject, message_id), details)| {
                    let mut text = format!(
                        "{{\"id\":{id},\"timestamp\":{timestamp},\"event_type\":{event_type},\"sender\":{sender},\"recipient\":{recipient},\"subject\":{subject},\"tags\":{tags},\"message_id\":{message_id}"
                    );
                    let (smtp, ip, agent, url) = details;
                    for (key, value) in [("smtp_response", smtp), ("ip", ip), ("user_agent", agent), ("url", url)] {
                        if let Some(value) = value {
                            text.push_str(&format!(",\"{key}\":{value}"));
                        }
                    }
                    text.push('}');
                    text
                },
            )
    }

    fn record_text() -> impl Strategy<Value = String> {
        prop_oneof![
            8 => service_record_text(),
            12 => (prop::collection::vec(entry(), 0..9), ws()).prop_map(|(entries, ws)| {
                // Most records have the two keys they need.
                format!(
                    "{{{ws}\"id\":\"r\",\"timestamp\":\"2026-05-27T10:15:00.250Z\"{}{}{ws}}}",
                    if entries.is_empty() { "" } else { "," },
                    entries.join(",")
                )
            }),
            2 => (prop::collection::vec(entry(), 0..9), ws())
                .prop_map(|(entries, ws)| format!("{{{ws}{}{ws}}}", entries.join(&format!("{ws},")))),
            1 => Just("\"a record?\"".to_string()),
            1 => Just("{\"id\":\"r\",\"timestamp\":\"2026-05-27T10:15:00Z\"".to_string()),
        ]
    }

    fn batch_text() -> impl Strategy<Value = String> {
        (
            prop::collection::vec(record_text(), 0..6),
            ws(),
            ws(),
            prop::sample::select(vec![0u8, 0, 0, 1, 2, 3, 4]),
        )
            .prop_map(|(records, ws1, ws2, frame)| {
                let list = format!("[{ws1}{}{ws1}]", records.join(&format!("{ws2},{ws1}")));
                match frame {
                    0 => format!("{ws1}{{{ws2}\"logs\"{ws1}:{ws2}{list}{ws1}}}{ws2}"),
                    1 => list,
                    2 => format!("{{\"logs\":{list},\"next\":null}}"),
                    3 => format!("{{\"logs\":{list}}} trailing"),
                    _ => format!("{{\"data\":{list}}}"),
                }
            })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        /// The scanner changes the speed, not the result: every batch
        /// parses as serde_json alone parses it.
        #[test]
        fn the_scanner_agrees_with_serde_json(text in batch_text()) {
            let mut bad = Vec::new();
            let scanned = outcome(parse_data(text.clone(), 0, &mut bad), bad);
            let mut bad = Vec::new();
            let by_serde = outcome(parse_data_by_serde(text.clone(), 0, &mut bad), bad);
            proptest::prop_assert_eq!(scanned, by_serde, "{}", text);
        }
    }

    #[test]
    fn retain_and_truncate_keep_the_order() {
        let records: Vec<LogRecord> = (0..10)
            .map(|i| LogRecord {
                id: format!("r{i}"),
                ..LogRecord::default()
            })
            .collect();
        let mut batch = LogBatch::from(records);
        let kept: Vec<bool> = batch.iter().map(|r| r.id != "r3").collect();
        batch.retain(&kept);
        batch.truncate(4);
        let ids: Vec<String> = batch.iter().map(|r| r.id.to_string()).collect();
        assert_eq!(ids, ["r0", "r1", "r2", "r4"]);
    }
}
