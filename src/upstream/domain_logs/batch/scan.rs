//! A scanner for the batch shape the service sends, ahead of serde_json.
//!
//! Nearly every event is `{"logs":[…]}` (or `{"data":[…]}`, or a bare list)
//! of records whose keys are the known ones, each once, and whose values
//! are strings, null or lists of them. This reads exactly that, byte by
//! byte, at a fraction of a general parser's cost: serde_json was a third
//! of an ingest's CPU time. The service's own shape takes a straight-line
//! path; any other order or spacing, strings with escapes (decoded into the
//! builder's side buffer) and unknown fields (their values read by
//! serde_json, alone) take the general one, so that a server writing JSON
//! its own way is not on the slow path. A record that is anything else (a
//! numeric id, an escaped key, a duplicate known key) is handed to
//! serde_json whole, and a batch whose frame is anything else is left to
//! the caller's serde_json path, so what comes out is what serde_json alone
//! would give. The property test in the parent module checks that on
//! generated batches.

use serde::de::DeserializeSeed;

use super::{Builder, LogEventType, RawRecord, RecordSeed, Span};
use crate::upstream::domain_logs::TimestampReader;

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
}

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
        let mut extra = Vec::new();
        self.skip_ws();
        if !self.eat(b'}') {
            loop {
                let (field, name) = self.key()?;
                self.skip_ws();
                if seen & field & !OTHER != 0 {
                    return None;
                }
                seen |= field;
                match field {
                    OTHER => {
                        let value = self.any_value()?;
                        extra.push((self.str(name).to_string(), value));
                    }
                    ID => record.id = self.string_in(builder)?,
                    TIMESTAMP => {
                        let span = self.string()?;
                        record.timestamp_ms = self.timestamps.read(self.str(span))?;
                    }
                    EVENT_TYPE => {
                        let span = self.string()?;
                        record.event_type = Some(LogEventType::from_wire(self.str(span))?);
                    }
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
                if self.list_ends(b'}')? {
                    break;
                }
            }
        }
        // Without them serde_json refuses the record, and says why.
        if seen & (ID | TIMESTAMP) != ID | TIMESTAMP {
            return None;
        }
        if !extra.is_empty() {
            builder.extras.push(extra);
            record.extra = builder.extras.len() as u32;
        }
        builder.records.push(record);
        Some(())
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

    /// Any JSON value, read by serde_json: an unknown field's. A number,
    /// the most common, is read without a deserializer of its own.
    fn any_value(&mut self) -> Option<serde_json::Value> {
        let rest = self.text.get(self.at..)?;
        if let Some(b'-' | b'0'..=b'9') = rest.as_bytes().first() {
            let len = rest
                .bytes()
                .position(|b| !matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
                .unwrap_or(rest.len());
            if let Ok(number) = rest[..len].parse::<serde_json::Number>() {
                self.at += len;
                return Some(serde_json::Value::Number(number));
            }
        }
        let mut values = serde_json::Deserializer::from_str(rest).into_iter();
        let value = values.next()?.ok()?;
        self.at += values.byte_offset();
        Some(value)
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

/// The character an escape stands for, from the byte after its backslash,
/// and how many bytes it took from there; `None` where serde_json refuses
/// it (an unknown escape, a lone surrogate).
fn unescape(bytes: &[u8]) -> Option<(char, usize)> {
    let c = match bytes.first()? {
        b'"' => '"',
        b'\\' => '\\',
        b'/' => '/',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        b'u' => {
            let high = hex4(bytes.get(1..5)?)?;
            if !(0xD800..0xDC00).contains(&high) {
                return Some((char::from_u32(high)?, 5));
            }
            // A surrogate pair: the low half must follow as its own escape.
            if bytes.get(5..7)? != b"\\u" {
                return None;
            }
            let low = hex4(bytes.get(7..11)?)?;
            if !(0xDC00..0xE000).contains(&low) {
                return None;
            }
            let c = char::from_u32(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))?;
            return Some((c, 11));
        }
        _ => return None,
    };
    Some((c, 1))
}

/// Four hex digits' value.
fn hex4(digits: &[u8]) -> Option<u32> {
    digits
        .iter()
        .try_fold(0u32, |n, &d| Some(n * 16 + char::from(d).to_digit(16)?))
}

/// Where the first `"`, `\\` or control character of `bytes` is; with
/// `plain` (the text is printable ASCII) only quotes and backslashes are
/// looked for.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn first_special(bytes: &[u8], plain: bool) -> Option<usize> {
    use safe_arch::{
        cmp_eq_mask_i8_m128i, m128i, min_u8_m128i, move_mask_i8_m128i, set_splat_i8_m128i,
    };
    // Sixteen bytes at a time (SSE2 is part of x86_64): strings are short,
    // and most end within the first one or two of these.
    let quote = set_splat_i8_m128i(b'"' as i8);
    let backslash = set_splat_i8_m128i(b'\\' as i8);
    let below_space = set_splat_i8_m128i(0x1f);
    let mut tail = bytes;
    while let Some((chunk, after)) = tail.split_first_chunk::<16>() {
        let v = m128i::from(*chunk);
        let mut hits = cmp_eq_mask_i8_m128i(v, quote) | cmp_eq_mask_i8_m128i(v, backslash);
        if !plain {
            // A byte is at most 0x1f when the unsigned minimum leaves it.
            hits |= cmp_eq_mask_i8_m128i(min_u8_m128i(v, below_space), v);
        }
        let mask = move_mask_i8_m128i(hits);
        if mask != 0 {
            return Some(bytes.len() - tail.len() + mask.trailing_zeros() as usize);
        }
        tail = after;
    }
    first_special_by_words(bytes, bytes.len() - tail.len(), plain)
}

#[cfg(not(target_arch = "x86_64"))]
fn first_special(bytes: &[u8], plain: bool) -> Option<usize> {
    first_special_by_words(bytes, 0, plain)
}

/// [`first_special`] from `from` on, eight bytes at a time.
fn first_special_by_words(bytes: &[u8], from: usize, plain: bool) -> Option<usize> {
    let stops = if plain {
        quote_or_backslash
    } else {
        special_bytes
    };
    let mut tail = bytes.get(from..)?;
    while let Some((word, after)) = tail.split_first_chunk::<8>() {
        let special = stops(u64::from_le_bytes(*word));
        if special != 0 {
            return Some(bytes.len() - tail.len() + (special.trailing_zeros() / 8) as usize);
        }
        tail = after;
    }
    // The last few bytes of the text, one at a time.
    Some(bytes.len() - tail.len() + tail.iter().position(|&b| is_special(b))?)
}

fn is_special(b: u8) -> bool {
    matches!(b, b'"' | b'\\' | 0..0x20)
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The high bit of each zero byte of `word`, and possibly of bytes above
/// such a one: the lowest bit set is exact (a borrow only runs upwards),
/// which is all the callers read.
fn zero_bytes(word: u64) -> u64 {
    word.wrapping_sub(ONES) & !word & HIGHS
}

/// [`zero_bytes`] for the bytes of `word` that are `"` or `\`.
fn quote_or_backslash(word: u64) -> u64 {
    zero_bytes(word ^ (ONES * u64::from(b'"'))) | zero_bytes(word ^ (ONES * u64::from(b'\\')))
}

/// [`zero_bytes`] for the bytes of `word` that are `"`, `\` or a control
/// character.
fn special_bytes(word: u64) -> u64 {
    // Bytes below 0x20 (a byte of 0x80 or more has its high bit, and is
    // ruled out by `!word`).
    let control = word.wrapping_sub(ONES * 0x20) & !word & HIGHS;
    quote_or_backslash(word) | control
}

/// Where the JSON value starting at `at` ends, by its brackets and
/// strings; serde_json then reads exactly that much and checks it.
fn skip_value(bytes: &[u8], at: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = at;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'"' => {
                i += 1;
                loop {
                    match bytes.get(i)? {
                        b'"' => break,
                        b'\\' => i += 2,
                        _ => i += 1,
                    }
                }
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            b',' if depth == 0 => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests;
