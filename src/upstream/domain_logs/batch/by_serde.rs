//! A batch read with serde_json, for what the scanner (`scan.rs`) does
//! not read: each record's fields by name into the [`Builder`], strings
//! as spans of the event's text where they have no escapes.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::super::{LogEventType, parse_timestamp_ms};
use super::Builder;
use crate::model::log::batch::{ExtraValue, RawRecord, Span};

/// A batch's records, each pushed into the builder.
pub(super) struct RecordsSeed<'b>(pub(super) &'b mut Builder);

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
pub(super) struct EnvelopeSeed<'b>(pub(super) &'b mut Builder);

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
pub(super) struct RecordSeed<'b>(pub(super) &'b mut Builder);

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
        let extras_start = b.extras.len();
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
                            b.push_extra("event_type", ExtraValue::Str(&name))?;
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
                Field::Other(name) => {
                    let value = map.next_value::<Value>()?;
                    b.push_extra(&name, ExtraValue::Json(Cow::Owned(value)))?;
                }
            }
        }
        if !has_id {
            return Err(de::Error::missing_field("id"));
        }
        if !has_timestamp {
            return Err(de::Error::missing_field("timestamp"));
        }
        record.extras_start = extras_start as u32;
        record.extras_len = (b.extras.len() - extras_start) as u32;
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
