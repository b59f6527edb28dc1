//! A scanner for the batch shape the service sends, ahead of serde_json.
//!
//! Nearly every event is `{"logs":[…]}` (or `{"data":[…]}`, or a bare list)
//! of records whose keys are the known ones, each once, and whose values
//! are strings, null or lists of them. This reads exactly that, byte by
//! byte, at a fraction of a general parser's cost: serde_json was a third
//! of an ingest's CPU time. The service's own shape takes a straight-line
//! path; any other order or spacing, strings with escapes (decoded into the
//! builder's side buffer), integer ids, event types of other names and
//! unknown fields (scalars and strings kept as read, anything else checked
//! by serde_json and kept as its text) take the general one, which reads
//! each key by comparing it with the key in its place in the record before,
//! so that a server writing JSON its own way is not on the slow path. A
//! record that is anything else (a float id,
//! an escaped key, a duplicate known key) is handed to serde_json whole,
//! and a batch whose frame is anything else is left to
//! the caller's serde_json path, so what comes out is what serde_json alone
//! would give. The property test in the parent module checks that on
//! generated batches.

use serde::de::{DeserializeSeed, IgnoredAny};
use serde_json::Number;

use super::{Builder, ExtraField, ExtraSpan, LogEventType, RawRecord, RecordSeed, Span};
use crate::upstream::domain_logs::TimestampReader;
use bytes::{first_special, same_bytes, skip_value, unescape};

pub(super) mod bytes;

/// Reads `{"logs":[…]}`, `{"data":[…]}` or `[…]` into `builder`. `None` when the text is
/// not that, or holds a record serde_json would refuse: the builder may
/// then hold part of the batch and must be dropped.
pub(super) fn batch(text: &str, builder: &mut Builder) -> Option<()> {
    // Spans are 31-bit offsets; the builder copies the strings of a longer
    // text instead (never, with the SSE message cap).
    if text.len() >= super::SPILLED as usize {
        return None;
    }
    let mut s = Scanner {
        text,
        at: 0,
        plain: builder.text_plain,
        timestamps: TimestampReader::default(),
        keys: Vec::new(),
    };
    s.skip_ws();
    let enveloped = s.eat(b'{');
    if enveloped {
        s.skip_ws();
        if !(s.eat_str(b"\"logs\"") || s.eat_str(b"\"data\"")) {
            return None;
        }
        s.skip_ws();
        if !s.eat(b':') {
            return None;
        }
        s.skip_ws();
    }
    if !s.eat(b'[') {
        return None;
    }
    s.skip_ws();
    if !s.eat(b']') {
        loop {
            let (start, mark) = (s.at, builder.mark());
            if s.service_record(builder).is_none() {
                builder.rollback(mark);
                s.at = start;
                if s.record(builder).is_none() {
                    builder.rollback(mark);
                    s.at = start;
                    s.record_by_serde(builder)?;
                }
            }
            if s.list_ends(b']')? {
                break;
            }
        }
    }
    s.skip_ws();
    if enveloped && !s.eat(b'}') {
        return None;
    }
    s.skip_ws();
    (s.at == s.bytes().len()).then_some(())
}

struct Scanner<'t> {
    text: &'t str,
    at: usize,
    /// The text is printable ASCII.
    plain: bool,
    timestamps: TimestampReader,
    /// The `i`-th key of the last record read by [`Scanner::record`], for
    /// the next one to be read with a compare instead of a key lookup.
    keys: Vec<KnownKey>,
}

/// A key as a record wrote it: the bytes from the end of the value before
/// (or the record's `{`) to the start of its value, such as `, "recipient": `
/// (or to past the record's `}`, for [`END`]), which field it is for, and
/// where its name lies among those bytes. A server writes its records
/// alike: another server's keys are read by this one compare each, where
/// the whole key read cost about as much again as its value.
#[derive(Clone, Copy)]
struct KnownKey {
    bytes: Span,
    field: u16,
    name_at: u32,
    name_len: u32,
}

/// The most keys of a record that are kept as [`KnownKey`]s.
const KNOWN_KEYS: usize = 32;

/// A value the scanner reads in place: a string's span, or null.
enum Plain {
    Str(Span),
    Null,
}

/// Which keys a record has had, so a duplicate goes to serde_json.
const ID: u16 = 1;
const TIMESTAMP: u16 = 1 << 1;
const EVENT_TYPE: u16 = 1 << 2;
const SENDER: u16 = 1 << 3;
const RECIPIENT: u16 = 1 << 4;
const SUBJECT: u16 = 1 << 5;
const TAGS: u16 = 1 << 6;
const MESSAGE_ID: u16 = 1 << 7;
const SMTP_RESPONSE: u16 = 1 << 8;
const IP: u16 = 1 << 9;
const USER_AGENT: u16 = 1 << 10;
const URL: u16 = 1 << 11;
/// A key the record type does not know: kept with its value as an extra
/// field, as often as it comes.
const OTHER: u16 = 1 << 12;
/// Not a key: the record's end.
const END: u16 = 1 << 13;

impl<'t> Scanner<'t> {
    fn bytes(&self) -> &'t [u8] {
        self.text.as_bytes()
    }

    fn peek(&self) -> Option<u8> {
        self.bytes().get(self.at).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        let hit = self.peek() == Some(b);
        if hit {
            self.at += 1;
        }
        hit
    }

    /// Past `s`, when the text has it here. The length is known when
    /// compiled, so the comparison is a few inline word compares instead
    /// of a call to memcmp: the service's record shape is read as a dozen
    /// literals a record, and those calls were a tenth of the scan.
    #[inline(always)]
    fn eat_str<const N: usize>(&mut self, s: &[u8; N]) -> bool {
        let hit = self
            .bytes()
            .get(self.at..)
            .and_then(<[u8]>::first_chunk::<N>)
            == Some(s);
        if hit {
            self.at += N;
        }
        hit
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.at += 1;
        }
    }

    /// After an item of an array or object: `Some(true)` past its `close`,
    /// `Some(false)` past the comma before the next item, `None` at
    /// anything else.
    fn list_ends(&mut self, close: u8) -> Option<bool> {
        self.skip_ws();
        if self.eat(close) {
            return Some(true);
        }
        if !self.eat(b',') {
            return None;
        }
        self.skip_ws();
        Some(false)
    }

    /// One record exactly as the service writes it: its keys in its order,
    /// no spaces, each value a plain string or (where the field allows it)
    /// null, tags a list, the optional detail fields present or not. Straight-line
    /// reading with no key lookup; `None` at anything else, and
    /// [`Scanner::record`] reads it instead. Either gives the same record.
    fn service_record(&mut self, builder: &mut Builder) -> Option<()> {
        let mut record = RawRecord::EMPTY;
        self.literal(b"{\"id\":")?;
        record.id = self.string()?;
        self.literal(b",\"timestamp\":")?;
        let span = self.string()?;
        record.timestamp_ms = self.timestamps.read(self.str(span))?;
        self.literal(b",\"event_type\":")?;
        let span = self.string()?;
        record.event_type = Some(LogEventType::from_wire(self.str(span))?);
        self.literal(b",\"sender\":")?;
        record.sender = self.plain_or(Span::EMPTY)?;
        self.literal(b",\"recipient\":")?;
        record.recipient = self.plain_or(Span::EMPTY)?;
        self.literal(b",\"subject\":")?;
        record.subject = self.plain_or(Span::EMPTY)?;
        self.literal(b",\"tags\":[")?;
        record.tags_start = builder.tags.len() as u32;
        if !self.eat(b']') {
            loop {
                builder.tags.push(self.string()?);
                if self.eat(b']') {
                    break;
                }
                self.literal(b",")?;
            }
        }
        record.tags_len = builder.tags.len() as u32 - record.tags_start;
        self.literal(b",\"message_id\":")?;
        record.message_id = self.plain_or(Span::EMPTY)?;
        self.detail(b",\"smtp_response\":", &mut record.smtp_response)?;
        self.detail(b",\"ip\":", &mut record.ip)?;
        self.detail(b",\"user_agent\":", &mut record.user_agent)?;
        self.detail(b",\"url\":", &mut record.url)?;
        self.literal(b"}")?;
        builder.records.push(record);
        Some(())
    }

    /// Past `literal`, when the text has it here.
    #[inline(always)]
    fn literal<const N: usize>(&mut self, literal: &[u8; N]) -> Option<()> {
        self.eat_str(literal).then_some(())
    }

    /// An optional detail field of the service's shape: its value when
    /// `key` is next, else nothing read and the span left absent.
    #[inline(always)]
    fn detail<const N: usize>(&mut self, key: &[u8; N], span: &mut Span) -> Option<()> {
        if self.eat_str(key) {
            *span = self.plain_or(Span::ABSENT)?;
        }
        Some(())
    }

    /// A plain string's span, or `null_span` for null.
    #[inline(always)]
    fn plain_or(&mut self, null_span: Span) -> Option<Span> {
        match self.plain()? {
            Plain::Str(span) => Some(span),
            Plain::Null => Some(null_span),
        }
    }

    /// One record, all of it plain; `None` at anything else.
    fn record(&mut self, builder: &mut Builder) -> Option<()> {
        if !self.eat(b'{') {
            return None;
        }
        let mut record = RawRecord::EMPTY;
        let mut seen = 0u16;
        let extras_start = builder.extras.len();
        for i in 0.. {
            let (field, name) = match self.known_key(i) {
                Some(key) => key,
                None => self.key_after(i)?,
            };
            if field == END {
                break;
            }
            if seen & field & !OTHER != 0 {
                return None;
            }
            seen |= field;
            match field {
                OTHER => {
                    let value = self.any_value(builder)?;
                    builder.extras.push(ExtraField { name, value });
                }
                ID => record.id = self.id(builder)?,
                TIMESTAMP => {
                    let span = self.string()?;
                    record.timestamp_ms = self.timestamps.read(self.str(span))?;
                }
                EVENT_TYPE => record.event_type = self.event_type(builder, name)?,
                TAGS => {
                    record.tags_start = builder.tags.len() as u32;
                    self.tags(builder)?;
                    record.tags_len = builder.tags.len() as u32 - record.tags_start;
                }
                _ => {
                    let value = self.plain_in(builder)?;
                    let span = match value {
                        Plain::Str(span) => span,
                        Plain::Null if field & (SMTP_RESPONSE | IP | USER_AGENT | URL) != 0 => {
                            Span::ABSENT
                        }
                        Plain::Null => Span::EMPTY,
                    };
                    match field {
                        SENDER => record.sender = span,
                        RECIPIENT => record.recipient = span,
                        SUBJECT => record.subject = span,
                        MESSAGE_ID => record.message_id = span,
                        SMTP_RESPONSE => record.smtp_response = span,
                        IP => record.ip = span,
                        USER_AGENT => record.user_agent = span,
                        _ => record.url = span,
                    }
                }
            }
        }
        // Without them serde_json refuses the record, and says why.
        if seen & (ID | TIMESTAMP) != ID | TIMESTAMP {
            return None;
        }
        record.extras_start = extras_start as u32;
        record.extras_len = (builder.extras.len() - extras_start) as u32;
        builder.records.push(record);
        Some(())
    }

    /// The `i`-th key of a record, when it is written as the last record's
    /// was, and the scanner past it and any space after it.
    #[inline]
    fn known_key(&mut self, i: usize) -> Option<(u16, Span)> {
        let key = *self.keys.get(i)?;
        let bytes = self.bytes();
        let (start, len) = (key.bytes.start as usize, key.bytes.len as usize);
        let same = same_bytes(
            bytes.get(start..start + len)?,
            bytes.get(self.at..self.at + len)?,
        );
        if !same {
            return None;
        }
        let name = Span {
            start: (self.at as u32).wrapping_add(key.name_at),
            len: key.name_len,
        };
        self.at += len;
        if key.field != END {
            self.skip_ws();
        }
        Some((key.field, name))
    }

    /// The `i`-th key of a record, read and noted as a [`KnownKey`] for the
    /// next record: after the record's `{` (`i` 0) or a value, the comma
    /// before it (or the record's `}`, [`END`]) and the key.
    fn key_after(&mut self, i: usize) -> Option<(u16, Span)> {
        let from = self.at;
        let end = if i == 0 {
            self.skip_ws();
            self.eat(b'}')
        } else {
            self.list_ends(b'}')?
        };
        let (field, name) = if end {
            (END, Span::EMPTY)
        } else {
            let key = self.key()?;
            self.skip_ws();
            key
        };
        let known = KnownKey {
            bytes: Span {
                start: from as u32,
                len: (self.at - from) as u32,
            },
            field,
            name_at: name.start.wrapping_sub(from as u32),
            name_len: name.len,
        };
        match self.keys.get_mut(i) {
            Some(slot) => *slot = known,
            None if i < KNOWN_KEYS => self.keys.push(known),
            None => {}
        }
        Some((field, name))
    }

    /// A key without escapes, in any order or spacing, and its colon: the
    /// field it is for ([`OTHER`] when none), and its name.
    fn key(&mut self) -> Option<(u16, Span)> {
        let key = self.string()?;
        self.skip_ws();
        if !self.eat(b':') {
            return None;
        }
        let name = &self.bytes()[key.start as usize..][..key.len as usize];
        // A match on the bytes: by length first, then a compare or two.
        let field = match name {
            b"id" => ID,
            b"timestamp" => TIMESTAMP,
            b"event_type" => EVENT_TYPE,
            b"sender" => SENDER,
            b"recipient" => RECIPIENT,
            b"subject" => SUBJECT,
            b"tags" => TAGS,
            b"message_id" => MESSAGE_ID,
            b"smtp_response" => SMTP_RESPONSE,
            b"ip" => IP,
            b"user_agent" => USER_AGENT,
            b"url" => URL,
            _ => OTHER,
        };
        Some((field, key))
    }

    /// An id: a string, or an integer, kept as its decimal text (serde_json
    /// prints an integer as it is written here, so the text lends it).
    fn id(&mut self, builder: &mut Builder) -> Option<Span> {
        if self.peek() == Some(b'"') {
            return self.string_in(builder);
        }
        let start = self.at;
        self.integer()?;
        Some(Span {
            start: start as u32,
            len: (self.at - start) as u32,
        })
    }

    /// An event type, or null. A name this client does not know is kept
    /// among the unknown fields (under the key's own name, `key`), in its
    /// place, as serde_json's path keeps it: a server with more event
    /// types than ours (or one rare type) does not send each such record
    /// to serde_json whole.
    fn event_type(&mut self, builder: &mut Builder, key: Span) -> Option<Option<LogEventType>> {
        if self.eat_str(b"null") {
            return Some(None);
        }
        let span = self.string()?;
        let known = LogEventType::from_wire(self.str(span)).unwrap_or_else(|| {
            builder.extras.push(ExtraField {
                name: key,
                value: ExtraSpan::Str(span),
            });
            LogEventType::Other
        });
        Some(Some(known))
    }

    /// Any JSON value: an unknown field's. Scalars, what other servers put
    /// in such fields (counts, sizes, flags, nulls), are kept as they are,
    /// a string by its span; anything else (a fraction, a list, an object)
    /// as its text, which serde_json checks here and reads again when the
    /// value is asked for. `None`, for serde_json to say why, at what it
    /// would refuse.
    fn any_value(&mut self, builder: &mut Builder) -> Option<ExtraSpan> {
        let start = self.at;
        let end = match self.peek()? {
            b'n' => return self.eat_str(b"null").then_some(ExtraSpan::Null),
            b't' => return self.eat_str(b"true").then_some(ExtraSpan::Bool(true)),
            b'f' => return self.eat_str(b"false").then_some(ExtraSpan::Bool(false)),
            b'"' => return self.string_in(builder).map(ExtraSpan::Str),
            b'-' | b'0'..=b'9' => {
                if let Some(number) = self.integer() {
                    return match (number.as_u64(), number.as_i64()) {
                        (Some(n), _) => Some(ExtraSpan::UInt(n)),
                        (None, n) => n.map(ExtraSpan::Int),
                    };
                }
                let rest = self.bytes().get(start..)?;
                let len = rest
                    .iter()
                    .position(|b| !matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
                    .unwrap_or(rest.len());
                self.text.get(start..start + len)?.parse::<Number>().ok()?;
                start + len
            }
            b'{' | b'[' => {
                let end = skip_value(self.bytes(), start)?;
                serde_json::from_str::<IgnoredAny>(self.text.get(start..end)?).ok()?;
                end
            }
            _ => return None,
        };
        self.at = end;
        Some(ExtraSpan::Json(Span {
            start: start as u32,
            len: (end - start) as u32,
        }))
    }

    /// An integer as serde_json reads one into a [`Number`]: `None`, and
    /// nothing read, for anything it would read otherwise or refuse (a
    /// fraction or exponent, which make a float; `-0`, a float to it; a
    /// leading zero; more digits than 64 bits hold), which serde_json then
    /// reads.
    fn integer(&mut self) -> Option<Number> {
        let rest = self.bytes().get(self.at..)?;
        let (negative, digits) = match rest.split_first()? {
            (b'-', digits) => (true, digits),
            _ => (false, rest),
        };
        let len = digits
            .iter()
            .position(|b| !b.is_ascii_digit())
            .unwrap_or(digits.len());
        let leading_zero = len > 1 && digits.first() == Some(&b'0');
        let float = matches!(digits.get(len), Some(b'.' | b'e' | b'E'));
        // Nineteen digits always fit in a u64.
        if len == 0 || len > 19 || leading_zero || float {
            return None;
        }
        let value = digits[..len]
            .iter()
            .fold(0u64, |n, &d| n * 10 + u64::from(d - b'0'));
        let number = if negative {
            if value == 0 || value > i64::MIN.unsigned_abs() {
                return None;
            }
            // -2^63 is its own negation in two's complement.
            Number::from((value as i64).wrapping_neg())
        } else {
            Number::from(value)
        };
        self.at += usize::from(negative) + len;
        Some(number)
    }

    /// A string or null, its escapes decoded where it has any.
    fn plain_in(&mut self, builder: &mut Builder) -> Option<Plain> {
        if self.eat_str(b"null") {
            return Some(Plain::Null);
        }
        self.string_in(builder).map(Plain::Str)
    }

    /// A string: lent by the text where it has no escape, else decoded
    /// into the builder's side buffer. `None` at a raw control character
    /// or a bad escape (serde_json then says which).
    fn string_in(&mut self, builder: &mut Builder) -> Option<Span> {
        if !self.eat(b'"') {
            return None;
        }
        let start = self.at;
        self.string_body()
            .or_else(|| self.escaped_body(builder, start))
    }

    /// The rest of a string with escapes, from `start` (past its opening
    /// quote), decoded as serde_json decodes it.
    fn escaped_body(&mut self, builder: &mut Builder, start: usize) -> Option<Span> {
        let bytes = self.bytes();
        let from = builder.spill.len();
        let mut at = start;
        loop {
            let run = first_special(bytes.get(at..)?, self.plain)?;
            builder.spill.push_str(self.text.get(at..at + run)?);
            at += run;
            match bytes.get(at)? {
                b'"' => break,
                b'\\' => {
                    let (c, used) = unescape(bytes.get(at + 1..)?)?;
                    builder.spill.push(c);
                    at += 1 + used;
                }
                _ => return None,
            }
        }
        if builder.spill.len() >= super::SPILLED as usize {
            return None;
        }
        self.at = at + 1;
        Some(Span {
            start: from as u32 | super::SPILLED,
            len: (builder.spill.len() - from) as u32,
        })
    }

    /// A string without escapes.
    #[inline(always)]
    fn string(&mut self) -> Option<Span> {
        if !self.eat(b'"') {
            return None;
        }
        self.string_body()
    }

    #[inline(always)]
    fn plain(&mut self) -> Option<Plain> {
        if self.eat_str(b"null") {
            return Some(Plain::Null);
        }
        self.string().map(Plain::Str)
    }

    /// `[…]` of strings, or null.
    fn tags(&mut self, builder: &mut Builder) -> Option<()> {
        if self.eat_str(b"null") {
            return Some(());
        }
        if !self.eat(b'[') {
            return None;
        }
        self.skip_ws();
        if self.eat(b']') {
            return Some(());
        }
        loop {
            let tag = self.string_in(builder)?;
            builder.tags.push(tag);
            if self.list_ends(b']')? {
                return Some(());
            }
        }
    }

    /// The rest of a string whose opening quote was read: its span, if it
    /// ends before any escape or control character (which JSON forbids
    /// raw, and serde_json refuses). In printable-ASCII text there are no
    /// control characters to look for.
    #[inline(always)]
    fn string_body(&mut self) -> Option<Span> {
        let start = self.at;
        let rest = self.bytes().get(start..)?;
        let end = first_special(rest, self.plain)?;
        if rest.get(end) != Some(&b'"') {
            return None;
        }
        self.at = start + end + 1;
        Some(Span {
            start: start as u32,
            len: end as u32,
        })
    }

    fn str(&self, span: Span) -> &'t str {
        let start = span.start as usize;
        self.text
            .get(start..start + span.len as usize)
            .unwrap_or("")
    }

    /// The record at the scanner, read by serde_json; the scanner moves
    /// past it.
    fn record_by_serde(&mut self, builder: &mut Builder) -> Option<()> {
        let end = skip_value(self.bytes(), self.at)?;
        let mut de = serde_json::Deserializer::from_str(self.text.get(self.at..end)?);
        RecordSeed(builder).deserialize(&mut de).ok()?;
        de.end().ok()?;
        self.at = end;
        Some(())
    }
}

#[cfg(test)]
mod tests;
