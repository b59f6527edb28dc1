//! A Server-Sent Events decoder that follows the WHATWG event-stream rules.
//!
//! It is incremental: bytes may arrive split anywhere, down to one byte per
//! read, and the same events come out. LF, CRLF and CR end lines (a CR at the
//! end of one read and an LF at the start of the next are one line ending).
//! A leading UTF-8 BOM is skipped. Lines and events larger than the cap are
//! not buffered: the decoder drops their bytes and reports one
//! [`SseError::TooLarge`] in place of the event, then carries on.
//!
//! No maintained crate covered all of this (incremental CR handling, the BOM
//! split across reads, and a size cap that discards instead of allocating),
//! so this is the one small module.

use std::borrow::Cow;
use std::fmt;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Event data of this size or more is handed over by
/// [`SseDecoder::feed_borrowed`] instead of lent.
const HAND_OVER_BYTES: usize = 32 * 1024;

/// One dispatched event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event:` field; empty means the default type, "message".
    pub event: String,
    /// The `data:` lines joined with "\n".
    pub data: String,
    /// The last event ID seen on the stream, if any.
    pub id: Option<String>,
    /// A `retry:` value that came with this event, in milliseconds.
    pub retry: Option<u64>,
}

impl SseEvent {
    /// The event type with the spec's default applied.
    pub fn event_type(&self) -> &str {
        if self.event.is_empty() {
            "message"
        } else {
            &self.event
        }
    }
}

/// One dispatched event, borrowed from the decoder: what
/// [`SseDecoder::feed_borrowed`] hands out, so that `data` is read where it
/// was assembled instead of being copied into a fresh string per event (or,
/// when large, is handed over whole).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SseEventRef<'a> {
    pub event: &'a str,
    pub data: Cow<'a, str>,
    pub id: Option<&'a str>,
    pub retry: Option<u64>,
}

impl SseEventRef<'_> {
    /// The event type with the spec's default applied.
    pub fn event_type(&self) -> &str {
        if self.event.is_empty() {
            "message"
        } else {
            self.event
        }
    }

    pub fn to_event(&self) -> SseEvent {
        SseEvent {
            event: self.event.to_string(),
            data: self.data.clone().into_owned(),
            id: self.id.map(str::to_string),
            retry: self.retry,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SseError {
    /// A line or an event was larger than the cap; its bytes were dropped.
    TooLarge { limit: usize },
}

impl fmt::Display for SseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SseError::TooLarge { limit } => {
                write!(f, "event larger than {limit} bytes was dropped")
            }
        }
    }
}

impl std::error::Error for SseError {}

/// The value of a `data:` line begun in `input`, when `input` holds the
/// field name and what follows the colon (so that its optional space is
/// known).
fn data_value(input: &[u8]) -> Option<&[u8]> {
    let value = input.strip_prefix(b"data:").filter(|v| !v.is_empty())?;
    Some(value.strip_prefix(b" ").unwrap_or(value))
}

pub struct SseDecoder {
    max_bytes: usize,
    /// Bytes of a line not yet terminated: of a data line only its value,
    /// when the line began with its field name in one read.
    line: Vec<u8>,
    /// Bytes of the current line left out of `line` (`data:` and its
    /// space); not zero means `line` holds a data line's value.
    line_prefix: usize,
    data: Vec<u8>,
    event: String,
    last_id: Option<String>,
    retry: Option<u64>,
    /// How many bytes of a leading BOM have been matched; `None` once the
    /// stream's first bytes are past.
    bom_matched: Option<usize>,
    /// The previous read ended in CR: an LF at the start of the next read is
    /// the same line ending.
    after_cr: bool,
    /// The current line went over the cap; drop bytes until its end.
    discarding_line: bool,
    /// The current event lost bytes to the cap.
    oversized: bool,
}

impl SseDecoder {
    /// A decoder that refuses lines and events over `max_bytes`.
    pub fn new(max_bytes: usize) -> Self {
        SseDecoder {
            max_bytes,
            line: Vec::new(),
            line_prefix: 0,
            data: Vec::new(),
            event: String::new(),
            last_id: None,
            retry: None,
            bom_matched: Some(0),
            after_cr: false,
            discarding_line: false,
            oversized: false,
        }
    }

    /// Feeds one read's bytes; calls `emit` for each event completed by them.
    pub fn feed(&mut self, input: &[u8], emit: &mut impl FnMut(Result<SseEvent, SseError>)) {
        self.feed_borrowed(input, &mut |event| emit(event.map(|e| e.to_event())));
    }

    /// Like [`SseDecoder::feed`], with each event borrowed from the
    /// decoder's buffers, which are kept from one event to the next.
    pub fn feed_borrowed(
        &mut self,
        mut input: &[u8],
        emit: &mut impl FnMut(Result<SseEventRef<'_>, SseError>),
    ) {
        if let Some(matched) = self.bom_matched {
            input = self.skip_bom(matched, input);
        }
        while !input.is_empty() {
            if self.after_cr {
                self.after_cr = false;
                if input[0] == b'\n' {
                    input = &input[1..];
                    continue;
                }
            }
            match memchr::memchr2(b'\n', b'\r', input) {
                Some(end) => {
                    let part = &input[..end];
                    if self.discarding_line {
                        self.discarding_line = false;
                    } else if self.line.is_empty() && self.line_prefix == 0 {
                        // The same cap as for a line that came in pieces:
                        // how the bytes were cut must not change the result.
                        if part.len() > self.max_bytes {
                            self.oversized = true;
                        } else {
                            self.process_line(part, emit);
                        }
                    } else if self.line_prefix + self.line.len() + part.len() > self.max_bytes {
                        self.line.clear();
                        self.line_prefix = 0;
                        self.oversized = true;
                    } else {
                        let mut line = std::mem::take(&mut self.line);
                        line.extend_from_slice(part);
                        if std::mem::take(&mut self.line_prefix) > 0 {
                            self.take_data_value(line);
                        } else {
                            self.process_line(&line, emit);
                            line.clear();
                            self.line = line;
                        }
                    }
                    self.after_cr = input[end] == b'\r';
                    input = &input[end + 1..];
                }
                None => {
                    if !self.discarding_line {
                        if self.line_prefix + self.line.len() + input.len() > self.max_bytes {
                            self.line.clear();
                            self.line_prefix = 0;
                            self.discarding_line = true;
                            self.oversized = true;
                        } else if self.line.is_empty()
                            && self.line_prefix == 0
                            && let Some(value) = data_value(input)
                        {
                            // A data line that goes on past this read (a log
                            // batch spans dozens): only its value is kept,
                            // so that at its end it becomes the event's data
                            // without being copied again.
                            self.line_prefix = input.len() - value.len();
                            self.line.extend_from_slice(value);
                        } else {
                            self.line.extend_from_slice(input);
                        }
                    }
                    break;
                }
            }
        }
    }

    /// Bytes the decoder holds between reads (buffer capacities), for the
    /// fuzz tests' memory bound.
    #[cfg(feature = "test-hooks")]
    pub fn held_bytes(&self) -> usize {
        self.line.capacity()
            + self.data.capacity()
            + self.event.capacity()
            + self.last_id.as_ref().map_or(0, String::capacity)
    }

    /// Strips a BOM that may arrive split across reads. Bytes that turn out
    /// not to be a BOM are fed as ordinary input.
    fn skip_bom<'a>(&mut self, matched: usize, input: &'a [u8]) -> &'a [u8] {
        let want = &BOM[matched..];
        let n = want.len().min(input.len());
        if input[..n] == want[..n] {
            if matched + n == BOM.len() {
                self.bom_matched = None;
            } else {
                self.bom_matched = Some(matched + n);
            }
            return &input[n..];
        }
        // Not a BOM after all: the partial match (at most two bytes of an
        // invalid UTF-8 prefix) belongs to the first line.
        self.bom_matched = None;
        self.line.extend_from_slice(&BOM[..matched]);
        input
    }

    fn process_line(
        &mut self,
        line: &[u8],
        emit: &mut impl FnMut(Result<SseEventRef<'_>, SseError>),
    ) {
        if line.is_empty() {
            self.dispatch(emit);
            return;
        }
        if line[0] == b':' {
            return;
        }
        let (field, value) = match memchr::memchr(b':', line) {
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &b""[..]),
        };
        match field {
            b"data" => self.push_data_value(value),
            b"event" => {
                self.event.clear();
                self.event.push_str(&String::from_utf8_lossy(value));
            }
            // An id holding NUL is ignored, per the spec.
            b"id" if !value.contains(&0) => {
                self.last_id = Some(String::from_utf8_lossy(value).into_owned());
            }
            b"retry" if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                self.retry = std::str::from_utf8(value).ok().and_then(|s| s.parse().ok());
            }
            _ => {}
        }
    }

    /// Adds one data line's value to the event's data.
    fn push_data_value(&mut self, value: &[u8]) {
        if self.data.len() + value.len() + 1 > self.max_bytes {
            self.oversized = true;
            self.data.clear();
        } else if !self.oversized {
            self.data.extend_from_slice(value);
            self.data.push(b'\n');
        }
    }

    /// [`SseDecoder::push_data_value`] for a value assembled in the line
    /// buffer: as the event's first data line it becomes the data itself.
    fn take_data_value(&mut self, mut value: Vec<u8>) {
        let fits = value.len() < self.max_bytes;
        if self.data.is_empty() && fits && !self.oversized {
            std::mem::swap(&mut self.data, &mut value);
            self.data.push(b'\n');
        } else {
            self.push_data_value(&value);
        }
        // The other buffer is the next line's.
        value.clear();
        self.line = value;
    }

    fn dispatch(&mut self, emit: &mut impl FnMut(Result<SseEventRef<'_>, SseError>)) {
        let retry = self.retry.take();
        if std::mem::take(&mut self.oversized) {
            self.data.clear();
            self.event.clear();
            emit(Err(SseError::TooLarge {
                limit: self.max_bytes,
            }));
            return;
        }
        if self.data.is_empty() {
            self.event.clear();
            return;
        }
        // The last data line's "\n" is not part of the data.
        self.data.pop();
        // A large event's data is handed over, not lent: its reader keeps
        // it (a log batch is parsed elsewhere and stored), and would
        // otherwise copy it. A small one is lent, and the room reused.
        let data = if self.data.len() >= HAND_OVER_BYTES {
            // The next batch is likely about as large. The buffer made here
            // is swapped into the line buffer at the next data line's end
            // and gathers the batch after that: sized now, with an eighth
            // more for a batch a little larger, it is not grown by doubling
            // (which copies it).
            let room = Vec::with_capacity(self.data.len() + self.data.len() / 8 + 1);
            match String::from_utf8(std::mem::replace(&mut self.data, room)) {
                Ok(text) => Cow::Owned(text),
                Err(e) => Cow::Owned(String::from_utf8_lossy(e.as_bytes()).into_owned()),
            }
        } else {
            // from_utf8 checks in wide strides; the lossy walk is only
            // for data that turns out not to be UTF-8.
            match std::str::from_utf8(&self.data) {
                Ok(text) => Cow::Borrowed(text),
                Err(_) => String::from_utf8_lossy(&self.data),
            }
        };
        emit(Ok(SseEventRef {
            event: &self.event,
            data,
            id: self.last_id.as_deref(),
            retry,
        }));
        self.data.clear();
        self.event.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn decode_chunks(chunks: &[&[u8]], max: usize) -> Vec<Result<SseEvent, SseError>> {
        let mut decoder = SseDecoder::new(max);
        let mut out = Vec::new();
        for chunk in chunks {
            decoder.feed(chunk, &mut |e| out.push(e));
        }
        out
    }

    fn decode(input: &[u8]) -> Vec<Result<SseEvent, SseError>> {
        decode_chunks(&[input], 1 << 20)
    }

    fn ev(event: &str, data: &str, id: Option<&str>) -> Result<SseEvent, SseError> {
        Ok(SseEvent {
            event: event.into(),
            data: data.into(),
            id: id.map(Into::into),
            retry: None,
        })
    }

    #[test]
    fn data_lines_and_blank_line_dispatch() {
        assert_eq!(
            decode(b"data: {\"a\":1}\n\ndata: [DONE]\n\n"),
            vec![ev("", "{\"a\":1}", None), ev("", "[DONE]", None)]
        );
    }

    #[test]
    fn every_line_ending_works() {
        let want = vec![ev("logs", "x", None), ev("", "y", None)];
        assert_eq!(decode(b"event: logs\ndata: x\n\ndata: y\n\n"), want);
        assert_eq!(
            decode(b"event: logs\r\ndata: x\r\n\r\ndata: y\r\n\r\n"),
            want
        );
        assert_eq!(decode(b"event: logs\rdata: x\r\rdata: y\r\r"), want);
    }

    #[test]
    fn multi_line_data_joins_with_newline() {
        assert_eq!(
            decode(b"data: {\"a\":\ndata: 1}\n\n"),
            vec![ev("", "{\"a\":\n1}", None)]
        );
    }

    #[test]
    fn comments_unknown_fields_and_no_space_after_colon() {
        assert_eq!(
            decode(b": keepalive\nfoo: bar\ndata:x\n\n"),
            vec![ev("", "x", None)]
        );
    }

    #[test]
    fn id_persists_and_retry_is_reported_once() {
        let out = decode(b"id: 7\nretry: 1500\ndata: a\n\ndata: b\n\n");
        assert_eq!(
            out,
            vec![
                Ok(SseEvent {
                    event: String::new(),
                    data: "a".into(),
                    id: Some("7".into()),
                    retry: Some(1500)
                }),
                ev("", "b", Some("7")),
            ]
        );
    }

    #[test]
    fn event_without_data_is_not_dispatched_and_its_type_resets() {
        assert_eq!(
            decode(b"event: ping\n\ndata: x\n\n"),
            vec![ev("", "x", None)]
        );
    }

    #[test]
    fn bom_is_skipped_even_split_across_reads() {
        let stream = b"\xEF\xBB\xBFdata: x\n\n";
        assert_eq!(decode(stream), vec![ev("", "x", None)]);
        let chunks: Vec<&[u8]> = stream.chunks(1).collect();
        assert_eq!(decode_chunks(&chunks, 1 << 20), vec![ev("", "x", None)]);
    }

    #[test]
    fn crlf_split_between_reads_is_one_line_ending() {
        let out = decode_chunks(&[b"data: x\r", b"\n\r", b"\n"], 1 << 20);
        assert_eq!(out, vec![ev("", "x", None)]);
    }

    #[test]
    fn unterminated_event_at_eof_is_dropped() {
        assert_eq!(decode(b"data: x\n"), vec![]);
    }

    #[test]
    fn oversized_line_is_an_error_not_an_allocation_and_decoding_resumes() {
        let mut input = b"data: ".to_vec();
        input.extend(std::iter::repeat_n(b'a', 100));
        input.extend_from_slice(b"\n\ndata: ok\n\n");
        for chunking in [input.len(), 7, 1] {
            let chunks: Vec<&[u8]> = input.chunks(chunking).collect();
            let mut decoder = SseDecoder::new(32);
            let mut out = Vec::new();
            for chunk in &chunks {
                decoder.feed(chunk, &mut |e| out.push(e));
                assert!(
                    decoder.line.capacity() <= 64,
                    "line buffer grew past the cap"
                );
            }
            assert_eq!(
                out,
                vec![Err(SseError::TooLarge { limit: 32 }), ev("", "ok", None)]
            );
        }
    }

    #[test]
    fn oversized_event_of_many_small_lines_is_an_error() {
        let input = b"data: 0123456789\ndata: 0123456789\ndata: 0123456789\n\ndata: ok\n\n";
        assert_eq!(
            decode_chunks(&[input], 24),
            vec![Err(SseError::TooLarge { limit: 24 }), ev("", "ok", None)]
        );
    }

    #[test]
    fn invalid_utf8_is_replaced_not_fatal() {
        assert_eq!(
            decode(b"data: a\xFFb\n\n"),
            vec![ev("", "a\u{FFFD}b", None)]
        );
    }

    /// A stream built from parts, written with a chosen line ending.
    #[derive(Clone, Debug)]
    enum Part {
        Data(String),
        DataNoSpace(String),
        Event(String),
        Id(String),
        Comment(String),
        Blank,
    }

    fn part() -> impl Strategy<Value = Part> {
        let text = "[a-zA-Z0-9 {}\":,é漢]{0,12}";
        prop_oneof![
            3 => text.prop_map(Part::Data),
            1 => text.prop_map(Part::DataNoSpace),
            1 => "[a-z]{1,6}".prop_map(Part::Event),
            1 => "[0-9]{1,4}".prop_map(Part::Id),
            1 => text.prop_map(Part::Comment),
            3 => Just(Part::Blank),
        ]
    }

    fn render(parts: &[Part], eol: &str, bom: bool) -> Vec<u8> {
        let mut s = String::new();
        if bom {
            s.push('\u{FEFF}');
        }
        for p in parts {
            match p {
                Part::Data(d) => s.push_str(&format!("data: {d}{eol}")),
                Part::DataNoSpace(d) => s.push_str(&format!("data:{d}{eol}")),
                Part::Event(e) => s.push_str(&format!("event: {e}{eol}")),
                Part::Id(i) => s.push_str(&format!("id: {i}{eol}")),
                Part::Comment(c) => s.push_str(&format!(":{c}{eol}")),
                Part::Blank => s.push_str(eol),
            }
        }
        s.into_bytes()
    }

    /// What the spec says the parts mean, computed without the decoder.
    fn expected(parts: &[Part]) -> Vec<Result<SseEvent, SseError>> {
        let (mut out, mut data, mut event, mut id) =
            (Vec::new(), None::<String>, String::new(), None);
        for p in parts {
            match p {
                Part::Data(d) | Part::DataNoSpace(d) => {
                    // Without the usual space, a value's own leading space
                    // is the one the spec strips.
                    let d = match p {
                        Part::DataNoSpace(d) => d.strip_prefix(' ').unwrap_or(d),
                        _ => d,
                    };
                    match &mut data {
                        Some(buf) => {
                            buf.push('\n');
                            buf.push_str(d);
                        }
                        None => data = Some(d.to_string()),
                    }
                }
                Part::Event(e) => event = e.clone(),
                Part::Id(i) => id = Some(i.clone()),
                Part::Comment(_) => {}
                Part::Blank => {
                    if let Some(d) = data.take() {
                        out.push(Ok(SseEvent {
                            event: std::mem::take(&mut event),
                            data: d,
                            id: id.clone(),
                            retry: None,
                        }));
                    }
                    event.clear();
                }
            }
        }
        out
    }

    #[test]
    fn large_data_is_handed_over_and_small_data_lent() {
        let large = "x".repeat(HAND_OVER_BYTES);
        let stream = format!("data: {large}\n\ndata: small\n\ndata: {large}\n\n");
        let mut decoder = SseDecoder::new(1 << 20);
        let mut seen = Vec::new();
        for read in stream.as_bytes().chunks(1000) {
            decoder.feed_borrowed(read, &mut |event| {
                let data = event.unwrap().data;
                seen.push((matches!(data, Cow::Owned(_)), data.len()));
            });
        }
        let (handed, lent) = ((true, HAND_OVER_BYTES), (false, 5));
        assert_eq!(seen, [handed, lent, handed]);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Every way of chunking a stream yields the same events, and they
        /// are the events the spec says.
        #[test]
        fn any_chunking_gives_the_same_events(
            parts in prop::collection::vec(part(), 0..40),
            eol in prop_oneof![Just("\n"), Just("\r\n"), Just("\r")],
            bom in any::<bool>(),
            cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..30),
            cap in 4usize..40,
        ) {
            let bytes = render(&parts, eol, bom);
            let whole = decode(&bytes);
            prop_assert_eq!(&whole, &expected(&parts));

            let mut points: Vec<usize> = cuts.iter().map(|i| i.index(bytes.len() + 1)).collect();
            points.sort_unstable();
            let mut chunks = Vec::new();
            let mut start = 0;
            for p in points {
                chunks.push(&bytes[start..p]);
                start = p;
            }
            chunks.push(&bytes[start..]);
            prop_assert_eq!(&decode_chunks(&chunks, 1 << 20), &whole);

            let bytewise: Vec<&[u8]> = bytes.chunks(1).collect();
            prop_assert_eq!(&decode_chunks(&bytewise, 1 << 20), &whole);

            // Under a cap that lines and events run into, the cuts still
            // change nothing.
            let capped = decode_chunks(&[&bytes], cap);
            prop_assert_eq!(&decode_chunks(&chunks, cap), &capped);
            prop_assert_eq!(&decode_chunks(&bytewise, cap), &capped);
        }
    }
}
