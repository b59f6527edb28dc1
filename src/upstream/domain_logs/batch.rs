//! Reading one `logs` event's data into a [`LogBatch`]: the scanner for
//! the shape the service sends, serde_json for anything else, and the
//! builder both fill, which notes each string as a range of the event's
//! text where it can.

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer};
use serde_json::Value;

use super::{LogEventType, LogRecord, ParsedEvent, is_completion};
use crate::model::log::batch::{
    ExtraField, ExtraSpan, ExtraValue, LogBatch, LogRecordRef, RawRecord, SPILLED, Span,
};
use crate::sanitize::is_printable_ascii;
use by_serde::{EnvelopeSeed, RecordSeed, RecordsSeed};
use prepare::Plain;

mod by_serde;
mod prepare;
mod scan;
#[cfg(test)]
mod tests;

impl<'de> Deserialize<'de> for LogRecord {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut builder = Builder::new("", 1, false);
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
    let mut builder = Builder::new(&text, expected, prepare);
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
    let mut builder = Builder::new(&text, expected, prepare);
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
    let mut builder = Builder::new("", items.len(), prepare);
    for item in items {
        if let Err(e) = RecordSeed(&mut builder).deserialize(item) {
            bad.push(format!("log record skipped: {e}"));
        }
    }
    ParsedEvent::Records(builder.finish(String::new(), prepare))
}

impl From<Vec<LogRecord>> for LogBatch {
    fn from(records: Vec<LogRecord>) -> LogBatch {
        let mut builder = Builder::new("", records.len(), true);
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
    /// The text is known to be printable ASCII: no string in it can hold a
    /// control character, and none lent from it needs sanitizing.
    text_plain: bool,
    spill: String,
    records: Vec<RawRecord>,
    tags: Vec<Span>,
    extras: Vec<ExtraField>,
}

/// The most records a batch's list is allocated for up front.
const MAX_BATCH_HINT: usize = 10_000;

impl Builder {
    /// `find_plain`: find out whether the text is printable ASCII, a pass
    /// over all of it: what readies a batch for the store reads it (and the
    /// scanner then looks for no control characters). `stream logs` has no
    /// use for it.
    fn new(text: &str, expected: usize, find_plain: bool) -> Builder {
        // Spans hold 31-bit offsets; text longer than that (never, with the
        // SSE message cap) is copied instead of lent.
        let lendable = text.len() < SPILLED as usize;
        Builder {
            text_at: text.as_ptr() as usize,
            text_len: if lendable { text.len() } else { 0 },
            text_plain: find_plain && is_printable_ascii(text),
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
            ready: Box::default(),
            prepared: false,
            shed: false,
            keys: Vec::new(),
        };
        if prepare {
            let plain = Plain {
                text: self.text_plain,
                spill: is_printable_ascii(&batch.spill),
            };
            *batch.ready = prepare::store_ready(&batch, plain);
            batch.prepared = true;
        }
        batch
    }

    /// Where a record being read starts adding strings, tags and unknown
    /// fields.
    fn mark(&self) -> (usize, usize, usize) {
        (self.spill.len(), self.tags.len(), self.extras.len())
    }

    /// Takes back what a record that failed to read added since `mark`
    /// (a record is pushed only once it is whole).
    fn rollback(&mut self, (spill, tags, extras): (usize, usize, usize)) {
        self.spill.truncate(spill);
        self.tags.truncate(tags);
        self.extras.truncate(extras);
    }

    /// Keeps an unknown field whose value was read as a whole (by
    /// serde_json, or in a record built in memory), its strings copied.
    fn push_extra<E: de::Error>(&mut self, name: &str, value: ExtraValue<'_>) -> Result<(), E> {
        let name = self.copied(name)?;
        let value = match value {
            ExtraValue::Str(s) => ExtraSpan::Str(self.copied(s)?),
            ExtraValue::Json(value) => match &*value {
                Value::Null => ExtraSpan::Null,
                Value::Bool(b) => ExtraSpan::Bool(*b),
                Value::String(s) => ExtraSpan::Str(self.copied(s)?),
                other => match (other.as_u64(), other.as_i64()) {
                    (Some(n), _) => ExtraSpan::UInt(n),
                    (None, Some(n)) => ExtraSpan::Int(n),
                    _ => ExtraSpan::Json(self.copied(&other.to_string())?),
                },
            },
        };
        self.extras.push(ExtraField { name, value });
        Ok(())
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
            extras_start: self.extras.len() as u32,
            extras_len: 0,
        };
        for tag in r.tags.iter() {
            let span = copy(self, tag);
            self.tags.push(span);
        }
        for (name, value) in r.extra.iter() {
            if self.push_extra::<de::value::Error>(name, value).is_ok() {
                raw.extras_len += 1;
            }
        }
        self.records.push(raw);
    }
}
