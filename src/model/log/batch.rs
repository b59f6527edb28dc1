//! One `logs` event's records, read in place.
//!
//! A batch keeps the event's text whole and each record's strings as ranges
//! of it, so parsing a thousand records costs a handful of allocations, not
//! ten per record: the parser only notes where each string starts and ends.
//! A string the text cannot lend as it is (one with JSON escapes, a numeric
//! id, or any string of a record built in memory) is copied once into the
//! batch's side buffer instead. The client's parser builds batches
//! (`upstream::domain_logs`); this is what every other part reads.

use std::borrow::Cow;
use std::fmt;
use std::hash::BuildHasher;

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::Value;

use super::store_ready::StoreReady;
use super::{LogEventType, LogRecord, format_timestamp_ms};

pub(crate) const SPILLED: u32 = 1 << 31;

/// Where one string of a batch is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Span {
    pub(crate) start: u32,
    pub(crate) len: u32,
}

impl Span {
    pub(crate) const EMPTY: Span = Span { start: 0, len: 0 };
    /// An optional field that was missing or null.
    pub(crate) const ABSENT: Span = Span {
        start: u32::MAX,
        len: u32::MAX,
    };
}

/// One record of a batch: its strings as spans.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RawRecord {
    pub(crate) timestamp_ms: i64,
    pub(crate) id: Span,
    pub(crate) sender: Span,
    pub(crate) recipient: Span,
    pub(crate) subject: Span,
    pub(crate) message_id: Span,
    pub(crate) smtp_response: Span,
    pub(crate) ip: Span,
    pub(crate) user_agent: Span,
    pub(crate) url: Span,
    /// The record's tags are `tags[tags_start..tags_start + tags_len]`.
    pub(crate) tags_start: u32,
    pub(crate) tags_len: u32,
    /// The record's unknown fields are `extras[extras_start..extras_start
    /// + extras_len]`.
    pub(crate) extras_start: u32,
    pub(crate) extras_len: u32,
    pub(crate) event_type: Option<LogEventType>,
}

impl RawRecord {
    pub(crate) const EMPTY: RawRecord = RawRecord {
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
        extras_start: 0,
        extras_len: 0,
        event_type: None,
    };
}

/// An unknown field of a batch's record: its name, and its value as read.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ExtraField {
    pub(crate) name: Span,
    pub(crate) value: ExtraSpan,
}

/// An unknown field's value in a batch. Scalars are kept as they are and a
/// string by its span, so that a server's counts and flags cost no
/// allocation a record (a `String` name and a `Value` each, in a list a
/// record, were a sixth of `stream logs`' CPU time against
/// other-server.py, which sends two); anything else (a fraction, a list,
/// an object) as its JSON text, read when asked for.
#[derive(Clone, Copy, Debug)]
pub(crate) enum ExtraSpan {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Str(Span),
    Json(Span),
}

/// Domain-log records in arrival order, as one event of the stream carried
/// them (or as built from [`LogRecord`]s).
#[derive(Clone, Default)]
pub struct LogBatch {
    /// The event's data, as received.
    pub(crate) text: String,
    /// Strings that are not a plain range of `text`.
    pub(crate) spill: String,
    pub(crate) records: Vec<RawRecord>,
    pub(crate) tags: Vec<Span>,
    pub(crate) extras: Vec<ExtraField>,
    /// The records again, sanitized for the log store (see [`StoreReady`]),
    /// once the client has prepared them (`prepared`). The headless mode
    /// never stores a batch and skips that work.
    pub(crate) ready: Box<StoreReady>,
    pub(crate) prepared: bool,
    /// The raw text and spans are dropped ([`LogBatch::shed_raw`]): the
    /// records are only in `ready`.
    pub(crate) shed: bool,
    /// Each record's key, once [`LogBatch::find_keys`] has run.
    pub(crate) keys: Vec<RecordKey>,
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
    pub extra: Extras<'a>,
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
pub struct Tags<'a>(pub(crate) TagsInner<'a>);

#[derive(Clone, Copy)]
pub(crate) enum TagsInner<'a> {
    Batch(&'a LogBatch, &'a [Span]),
    Owned(&'a [String]),
}

/// A record's unknown fields, borrowed.
#[derive(Clone, Copy)]
pub struct Extras<'a>(ExtrasInner<'a>);

#[derive(Clone, Copy)]
enum ExtrasInner<'a> {
    Batch(&'a LogBatch, &'a [ExtraField]),
    Owned(&'a [(String, Value)]),
}

/// An unknown field's value, borrowed: a string as it is, anything else as
/// a JSON value (made when asked for, but for an owned record's).
#[derive(Clone, Debug, PartialEq)]
pub enum ExtraValue<'a> {
    Str(&'a str),
    Json(Cow<'a, Value>),
}

impl<'a> ExtraValue<'a> {
    fn of(value: &'a Value) -> ExtraValue<'a> {
        match value {
            Value::String(s) => ExtraValue::Str(s),
            other => ExtraValue::Json(Cow::Borrowed(other)),
        }
    }

    pub fn into_value(self) -> Value {
        match self {
            ExtraValue::Str(s) => Value::String(s.to_string()),
            ExtraValue::Json(value) => value.into_owned(),
        }
    }
}

impl Serialize for ExtraValue<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            ExtraValue::Str(s) => serializer.serialize_str(s),
            ExtraValue::Json(value) => value.serialize(serializer),
        }
    }
}

impl<'a> Extras<'a> {
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, ExtraValue<'a>)> + use<'a> {
        let (batch, fields, owned) = match self.0 {
            ExtrasInner::Batch(batch, fields) => (Some(batch), fields, &[][..]),
            ExtrasInner::Owned(owned) => (None, &[][..], owned),
        };
        fields
            .iter()
            .filter_map(move |f| batch.map(|b| (b.str(f.name), b.extra_value(f.value))))
            .chain(
                owned
                    .iter()
                    .map(|(name, value)| (name.as_str(), ExtraValue::of(value))),
            )
    }

    pub fn len(&self) -> usize {
        match self.0 {
            ExtrasInner::Batch(_, fields) => fields.len(),
            ExtrasInner::Owned(owned) => owned.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn to_vec(&self) -> Vec<(String, Value)> {
        self.iter()
            .map(|(name, value)| (name.to_string(), value.into_value()))
            .collect()
    }
}

impl PartialEq for Extras<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl fmt::Debug for Extras<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
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
        for (name, value) in self.extra.iter() {
            map.serialize_entry(name, &value)?;
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
            extra: Extras(ExtrasInner::Owned(&self.extra)),
        }
    }
}

impl Serialize for LogRecord {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.borrowed().serialize(serializer)
    }
}

impl LogBatch {
    pub fn len(&self) -> usize {
        if self.shed {
            self.ready.records.len()
        } else {
            self.records.len()
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    #[inline]
    pub fn get(&self, i: usize) -> Option<LogRecordRef<'_>> {
        debug_assert!(!self.shed, "the batch's raw records were dropped");
        self.records.get(i).map(|r| self.view(r))
    }

    /// Each record's time and type, without a view of the rest.
    pub fn times(&self) -> impl Iterator<Item = (i64, Option<LogEventType>)> + '_ {
        let ready: &[_] = if self.shed { &self.ready.records } else { &[] };
        let raw = self.records.iter().map(|r| (r.timestamp_ms, r.event_type));
        raw.chain(ready.iter().map(|r| (r.timestamp_ms, r.event_type)))
    }

    /// Whether the records as they came are here: not after
    /// [`LogBatch::shed_raw`].
    pub fn has_raw_records(&self) -> bool {
        !self.shed
    }

    /// The records as they came. None once [`LogBatch::shed_raw`] has run.
    pub fn iter(&self) -> Records<'_> {
        debug_assert!(!self.shed, "the batch's raw records were dropped");
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
        if self.keys.len() != self.len() {
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
        if self.prepared {
            self.ready.keep(kept);
        }
    }

    pub fn truncate(&mut self, len: usize) {
        if len >= self.len() {
            return;
        }
        self.keys.truncate(len);
        if self.prepared {
            let kept: Vec<bool> = (0..self.len()).map(|i| i < len).collect();
            self.ready.keep(&kept);
        }
        self.records.truncate(len);
    }

    /// Drops what a batch prepared for the store no longer needs once its
    /// keys are found: its text, its spans and its unknown fields. The
    /// store and the alerts read only `ready`, and parsed batches wait in
    /// the parse queue and the channel to the UI: three quarters of each
    /// one's memory, 4-5 MB at the peak of a 500,000-record ingest against
    /// other-server.py (BENCHMARKS.md). `len`, `times`, `retain` and
    /// `truncate` read `ready` from then on; `get` and `iter` have nothing
    /// to show.
    pub fn shed_raw(&mut self) {
        if !self.prepared || self.keys.len() != self.records.len() {
            return;
        }
        self.shed = true;
        self.text = String::new();
        self.spill = String::new();
        self.records = Vec::new();
        self.tags = Vec::new();
        self.extras = Vec::new();
    }

    /// The records sanitized for the log store; the batch is done with.
    pub fn into_store_ready(self) -> StoreReady {
        // Every client that feeds a store prepares its batches.
        debug_assert!(
            self.prepared || self.records.is_empty(),
            "batch not prepared"
        );
        *self.ready
    }

    #[inline]
    pub(crate) fn view(&self, r: &RawRecord) -> LogRecordRef<'_> {
        let optional = |span: Span| (span != Span::ABSENT).then(|| self.str(span));
        let tags_start = r.tags_start as usize;
        let tags = self
            .tags
            .get(tags_start..tags_start + r.tags_len as usize)
            .unwrap_or_default();
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
            extra: Extras(ExtrasInner::Batch(self, self.extras_of(r))),
        }
    }

    /// A record's unknown fields.
    #[inline]
    pub(crate) fn extras_of(&self, r: &RawRecord) -> &[ExtraField] {
        let start = r.extras_start as usize;
        self.extras
            .get(start..start + r.extras_len as usize)
            .unwrap_or_default()
    }

    /// An unknown field's value. The JSON text of a list, an object or a
    /// fraction was read whole by the parser, so it reads again here.
    pub(crate) fn extra_value(&self, value: ExtraSpan) -> ExtraValue<'_> {
        let json = |value: Value| ExtraValue::Json(Cow::Owned(value));
        match value {
            ExtraSpan::Null => json(Value::Null),
            ExtraSpan::Bool(b) => json(Value::Bool(b)),
            ExtraSpan::Int(n) => json(Value::from(n)),
            ExtraSpan::UInt(n) => json(Value::from(n)),
            ExtraSpan::Str(span) => ExtraValue::Str(self.str(span)),
            ExtraSpan::Json(span) => json(serde_json::from_str(self.str(span)).unwrap_or_default()),
        }
    }

    #[inline]
    pub(crate) fn str(&self, span: Span) -> &str {
        let (source, start) = if span.start & SPILLED != 0 {
            (&self.spill, span.start & !SPILLED)
        } else {
            (&self.text, span.start)
        };
        let start = start as usize;
        source.get(start..start + span.len as usize).unwrap_or("")
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

    #[inline]
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
        match (self.shed, other.shed) {
            (false, false) => self.iter().eq(other.iter()),
            (true, true) => self.ready == other.ready,
            _ => false,
        }
    }
}

impl fmt::Debug for LogBatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.shed {
            return write!(f, "LogBatch({} records, store-ready only)", self.len());
        }
        f.debug_list().entries(self.iter()).finish()
    }
}
