//! Reading one `logs` event's data into a [`LogBatch`]: the scanner for
//! the shape the service sends, serde_json for anything else, and the
//! builder both fill, which notes each string as a range of the event's
//! text where it can.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::{LogEventType, LogRecord, ParsedEvent, is_completion, parse_timestamp_ms};
use crate::model::log::batch::{LogBatch, LogRecordRef, RawRecord, SPILLED, Span};
use crate::sanitize::is_printable_ascii;
use prepare::Plain;

mod prepare;
mod scan;
#[cfg(test)]
mod tests;

impl<'de> Deserialize<'de> for LogRecord {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut builder = Builder::new("", 1);
        RecordSeed(&mut builder).deserialize(deserializer)?;
        let batch = builder.finish(String::new(), false);
        batch
            .get(0)
            .map(|r| r.to_record())
            .ok_or_else(|| de::Error::custom("no record"))
    }
}

/// Reads one event's data: a batch (`{"logs":[…]}`, `{"data":[…]}`, `[…]`),
/// a lone record, or a completion object. Records that do not parse are
/// skipped, each reported in `bad`. `expected` is how many records the
/// batch probably holds (the previous one's count), so the list is
/// allocated once. `prepare` readies the batch for the log store too.
pub(super) fn parse_data(
    text: String,
    expected: usize,
    prepare: bool,
    bad: &mut Vec<String>,
) -> ParsedEvent {
    let mut builder = Builder::new(&text, expected);
    if scan::batch(&text, &mut builder).is_some() {
        return ParsedEvent::Records(builder.finish(text, prepare));
    }
    parse_data_by_serde(text, expected, prepare, bad)
}

/// [`parse_data`] without the scanner: serde_json reads it all.
fn parse_data_by_serde(
    text: String,
    expected: usize,
    prepare: bool,
    bad: &mut Vec<String>,
) -> ParsedEvent {
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
        return ParsedEvent::Records(builder.finish(text, prepare));
    }
    // The slow path: one bad record must not cost the batch.
    let value: Value = match serde_json::from_str(data) {
        Ok(v) => v,
        Err(e) => {
            bad.push(format!("log event is not JSON: {e}"));
            return ParsedEvent::Ignore;
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
                return ParsedEvent::Complete;
            }
            match map.remove("logs").or_else(|| map.remove("data")) {
                Some(Value::Array(items)) => items,
                Some(_) => {
                    bad.push("log batch is not an array".into());
                    return ParsedEvent::Ignore;
                }
                None => vec![Value::Object(map)],
            }
        }
        _ => {
            bad.push("log event is neither a batch nor a record".into());
            return ParsedEvent::Ignore;
        }
    };
    let mut builder = Builder::new("", items.len());
    for item in items {
        if let Err(e) = RecordSeed(&mut builder).deserialize(item) {
            bad.push(format!("log record skipped: {e}"));
        }
    }
    ParsedEvent::Records(builder.finish(String::new(), prepare))
}

impl From<Vec<LogRecord>> for LogBatch {
    fn from(records: Vec<LogRecord>) -> LogBatch {
        let mut builder = Builder::new("", records.len());
        for r in &records {
            builder.push_owned(r.borrowed());
        }
        builder.finish(String::new(), true)
    }
}

impl FromIterator<LogRecord> for LogBatch {
    fn from_iter<I: IntoIterator<Item = LogRecord>>(iter: I) -> LogBatch {
        LogBatch::from(iter.into_iter().collect::<Vec<_>>())
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

    /// The batch, its records sanitized for the log store when `prepare`
    /// says so: here, on the thread that parsed it, while its text is in
    /// the cache, and by what the builder knows already of which text is
    /// printable ASCII.
    fn finish(self, text: String, prepare: bool) -> LogBatch {
        let mut batch = LogBatch {
            text,
            spill: self.spill,
            records: self.records,
            tags: self.tags,
            extras: self.extras,
            plain: false,
            ready: Box::default(),
            prepared: false,
            shed: false,
            keys: Vec::new(),
        };
        let plain = Plain {
            text: self.text_plain,
            spill: is_printable_ascii(&batch.spill),
        };
        batch.plain = plain.text && plain.spill;
        if prepare {
            *batch.ready = prepare::store_ready(&batch, plain);
            batch.prepared = true;
        }
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
