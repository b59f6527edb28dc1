//! How the simulator puts Server-Sent Events on the wire, in each of the
//! shapes the contract tells clients to tolerate.

use std::convert::Infallible;
use std::fmt;
use std::pin::Pin;
use std::str::FromStr;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::Stream;
use tokio::sync::mpsc;

use super::event_types;
use super::server::ConnGuard;
use super::timestamp;
use crate::model::LogRecord;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LineEnding {
    #[default]
    Lf,
    CrLf,
    Cr,
}

impl LineEnding {
    pub fn as_bytes(self) -> &'static [u8] {
        match self {
            LineEnding::Lf => b"\n",
            LineEnding::CrLf => b"\r\n",
            LineEnding::Cr => b"\r",
        }
    }
}

/// The byte-level shape of both SSE APIs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WireMode {
    pub line_ending: LineEnding,
    /// Every byte its own body chunk, flushed on its own.
    pub byte_per_write: bool,
    /// A BOM, comment lines, `id:`/`retry:`/`event:` fields and JSON split
    /// over several `data:` lines.
    pub comments: bool,
}

impl FromStr for WireMode {
    type Err = String;

    fn from_str(s: &str) -> Result<WireMode, String> {
        let mut mode = WireMode::default();
        let mut ending: Option<&str> = None;
        let mut set_ending = |word: &str, le: LineEnding, mode: &mut WireMode| {
            if let Some(prev) = ending
                && prev != word
            {
                return Err(format!(
                    "wire modes {prev:?} and {word:?} cannot be combined"
                ));
            }
            ending = Some(match le {
                LineEnding::CrLf => "crlf",
                LineEnding::Cr => "cr",
                LineEnding::Lf => "plain",
            });
            mode.line_ending = le;
            Ok(())
        };
        for word in s.split(',').map(str::trim) {
            match word.to_ascii_lowercase().as_str() {
                "plain" => {}
                "crlf" => set_ending("crlf", LineEnding::CrLf, &mut mode)?,
                "cr" => set_ending("cr", LineEnding::Cr, &mut mode)?,
                "bytes" => mode.byte_per_write = true,
                "comments" => mode.comments = true,
                "all" => {
                    set_ending("crlf", LineEnding::CrLf, &mut mode)?;
                    mode.byte_per_write = true;
                    mode.comments = true;
                }
                _ => {
                    return Err(format!(
                        "unknown wire mode {word:?}: expected plain, crlf, cr, bytes, comments or all (comma-separated)"
                    ));
                }
            }
        }
        Ok(mode)
    }
}

impl fmt::Display for WireMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut words = Vec::new();
        match self.line_ending {
            LineEnding::Lf => {}
            LineEnding::CrLf => words.push("crlf"),
            LineEnding::Cr => words.push("cr"),
        }
        if self.byte_per_write {
            words.push("bytes");
        }
        if self.comments {
            words.push("comments");
        }
        if words.is_empty() {
            words.push("plain");
        }
        f.write_str(&words.join(","))
    }
}

const BOM: &[u8] = "\u{feff}".as_bytes();
/// What the `retry:` field advises, in milliseconds.
const RETRY_MS: u32 = 3000;

/// Formats one SSE response's events, remembering what it already wrote
/// (the BOM goes first, `retry:` on the first event only).
#[derive(Debug)]
pub(crate) struct SseWriter {
    mode: WireMode,
    started: bool,
    events: u64,
}

impl SseWriter {
    pub(crate) fn new(mode: WireMode) -> SseWriter {
        SseWriter {
            mode,
            started: false,
            events: 0,
        }
    }

    pub(crate) fn comments(&self) -> bool {
        self.mode.comments
    }

    fn line(&self, out: &mut Vec<u8>, parts: &[&[u8]]) {
        for p in parts {
            out.extend_from_slice(p);
        }
        out.extend_from_slice(self.mode.line_ending.as_bytes());
    }

    fn preamble(&mut self, out: &mut Vec<u8>) {
        if self.started {
            return;
        }
        self.started = true;
        if self.mode.comments {
            out.extend_from_slice(BOM);
            self.line(out, &[b": misar-dash simulator"]);
        }
    }

    /// A `: keepalive` comment, in comments mode only. Returns whether it
    /// wrote anything.
    pub(crate) fn keepalive(&mut self, out: &mut Vec<u8>) -> bool {
        if !self.mode.comments {
            return false;
        }
        self.preamble(out);
        self.line(out, &[b": keepalive"]);
        true
    }

    /// A comment line, `:` and `text`, in any mode.
    pub(crate) fn comment(&mut self, out: &mut Vec<u8>, text: &str) {
        self.preamble(out);
        self.line(out, &[b":", text.as_bytes()]);
    }

    fn begin(&mut self, out: &mut Vec<u8>, name: Option<&str>, id: Option<&str>) {
        self.preamble(out);
        if self.mode.comments {
            if self.events > 0 {
                self.line(out, &[b": keepalive"]);
            }
            if self.events == 0 {
                self.line(out, &[b"retry: ", RETRY_MS.to_string().as_bytes()]);
            }
            // Ids on every other event: a client must cope with both.
            if self.events.is_multiple_of(2) {
                let fallback = self.events.to_string();
                let id = id.unwrap_or(&fallback);
                self.line(out, &[b"id: ", id.as_bytes()]);
            }
        }
        if let Some(name) = name {
            self.line(out, &[b"event: ", name.as_bytes()]);
        }
        self.events += 1;
    }

    fn end(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.mode.line_ending.as_bytes());
    }

    /// One event. Every `\n` in `data` starts another `data:` line, which the
    /// reader joins back with `\n`.
    pub(crate) fn event(&mut self, out: &mut Vec<u8>, name: Option<&str>, data: &str) {
        self.begin(out, name, None);
        for line in data.split('\n') {
            self.line(out, &[b"data: ", line.as_bytes()]);
        }
        self.end(out);
    }

    /// A JSON event: one compact `data:` line, or in comments mode the
    /// pretty-printed JSON over several.
    pub(crate) fn json_event<T: serde::Serialize>(
        &mut self,
        out: &mut Vec<u8>,
        name: Option<&str>,
        value: &T,
    ) {
        let text = if self.mode.comments {
            serde_json::to_string_pretty(value)
        } else {
            serde_json::to_string(value)
        };
        // Our own types always serialize; an empty object beats a panic.
        self.event(out, name, &text.unwrap_or_else(|_| "{}".into()));
    }

    /// `event: logs` with `data: {"logs":[…]}`. In comments mode each record
    /// has its own `data:` line, and the event's id is its last record's.
    pub(crate) fn logs_event(&mut self, out: &mut Vec<u8>, batch: &Batch) {
        let id = (batch.count > 0).then_some(batch.last_id.as_str());
        self.begin(out, Some("logs"), id);
        let le = self.mode.line_ending.as_bytes();
        out.extend_from_slice(b"data: {\"logs\":[");
        out.extend_from_slice(&batch.body);
        if self.mode.comments {
            out.extend_from_slice(le);
            out.extend_from_slice(b"data: ");
        }
        out.extend_from_slice(b"]}");
        out.extend_from_slice(le);
        self.end(out);
    }

    /// `event: complete` with `data: {"total":N}`.
    pub(crate) fn complete_event(&mut self, out: &mut Vec<u8>, total: u64) {
        self.event(out, Some("complete"), &format!("{{\"total\":{total}}}"));
    }
}

/// Records serialized for one `event: logs`, laid out for the wire mode.
#[derive(Debug)]
pub(crate) struct Batch {
    body: Vec<u8>,
    count: usize,
    last_id: String,
    /// Goes before every record: in comments mode each starts a `data:` line.
    lead: Vec<u8>,
}

impl Batch {
    pub(crate) fn new(mode: WireMode) -> Batch {
        let mut lead = Vec::new();
        if mode.comments {
            lead.extend_from_slice(mode.line_ending.as_bytes());
            lead.extend_from_slice(b"data: ");
        }
        Batch {
            body: Vec::new(),
            count: 0,
            last_id: String::new(),
            lead,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.count
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.count == 0
    }

    pub(crate) fn clear(&mut self) {
        self.body.clear();
        self.count = 0;
        self.last_id.clear();
    }

    pub(crate) fn push(&mut self, r: &LogRecord) {
        if self.count > 0 {
            self.body.push(b',');
        }
        self.body.extend_from_slice(&self.lead);
        write_record_json(&mut self.body, r);
        self.count += 1;
        self.last_id.clear();
        self.last_id.push_str(&r.id);
    }
}

/// Writes exactly what `serde_json::to_writer(out, record)` writes through
/// `LogRecord`'s `Serialize` impl, several times faster: the bulk domain's
/// 150 MB must render in about a second. A unit test holds the two equal.
pub(crate) fn write_record_json(out: &mut Vec<u8>, r: &LogRecord) {
    out.extend_from_slice(b"{\"id\":");
    push_json_str(out, &r.id);
    out.extend_from_slice(b",\"timestamp\":");
    push_timestamp(out, r.timestamp_ms);
    if let Some(name) = r.event_type.and_then(event_types::wire_name) {
        out.extend_from_slice(b",\"event_type\":");
        push_json_str(out, name);
    }
    for (key, value) in [
        (&b",\"sender\":"[..], &r.sender),
        (b",\"recipient\":", &r.recipient),
        (b",\"subject\":", &r.subject),
    ] {
        out.extend_from_slice(key);
        push_json_str(out, value);
    }
    out.extend_from_slice(b",\"tags\":[");
    for (n, tag) in r.tags.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        push_json_str(out, tag);
    }
    out.extend_from_slice(b"],\"message_id\":");
    push_json_str(out, &r.message_id);
    for (key, value) in [
        (&b",\"smtp_response\":"[..], &r.smtp_response),
        (b",\"ip\":", &r.ip),
        (b",\"user_agent\":", &r.user_agent),
        (b",\"url\":", &r.url),
    ] {
        if let Some(v) = value {
            out.extend_from_slice(key);
            push_json_str(out, v);
        }
    }
    for (name, value) in &r.extra {
        out.push(b',');
        push_json_str(out, name);
        out.push(b':');
        // Writing into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, value);
    }
    out.push(b'}');
}

/// A JSON string; only text that needs escaping goes through serde_json.
fn push_json_str(out: &mut Vec<u8>, s: &str) {
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        let _ = serde_json::to_writer(&mut *out, s);
    }
}

/// The quoted timestamp exactly as [`timestamp::format_ms`] writes it,
/// without its allocation and chrono's formatter: RFC 3339 UTC,
/// milliseconds only when not zero.
fn push_timestamp(out: &mut Vec<u8>, ms: i64) {
    let secs = ms.div_euclid(1000);
    let milli = ms.rem_euclid(1000);
    let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
    if !(0..=9999).contains(&year) {
        // chrono's own formatting for the far past and future.
        let _ = serde_json::to_writer(&mut *out, &timestamp::format_ms(ms));
        return;
    }
    let sod = secs.rem_euclid(86_400);
    fn digits(out: &mut Vec<u8>, n: i64, width: u32) {
        for k in (0..width).rev() {
            out.push(b'0' + ((n / 10i64.pow(k)) % 10) as u8);
        }
    }
    out.push(b'"');
    digits(out, year, 4);
    out.push(b'-');
    digits(out, month, 2);
    out.push(b'-');
    digits(out, day, 2);
    out.push(b'T');
    digits(out, sod / 3600, 2);
    out.push(b':');
    digits(out, sod / 60 % 60, 2);
    out.push(b':');
    digits(out, sod % 60, 2);
    if milli != 0 {
        out.push(b'.');
        digits(out, milli, 3);
    }
    out.extend_from_slice(b"Z\"");
}

/// Days since 1970-01-01 to (year, month, day): Howard Hinnant's
/// `civil_from_days`.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// A response with the headers both SSE APIs send.
pub(crate) fn sse_response(body: Body) -> Response {
    let mut resp = body.into_response();
    *resp.status_mut() = StatusCode::OK;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache, no-transform"),
    );
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    resp
}

/// An SSE body fed by a channel: the producer task writes, the connection
/// reads. The guard counts the stream as open until the body is dropped,
/// which happens when it ends or the connection is torn down.
pub(crate) fn channel_body(rx: mpsc::Receiver<Bytes>, mode: WireMode, guard: ConnGuard) -> Body {
    let stream = futures_util::stream::unfold((rx, guard), |(mut rx, guard)| async move {
        rx.recv()
            .await
            .map(|b| (Ok::<Bytes, Infallible>(b), (rx, guard)))
    });
    if mode.byte_per_write {
        Body::from_stream(ByteWise::new(Box::pin(stream)))
    } else {
        Body::from_stream(stream)
    }
}

type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, Infallible>> + Send>>;

/// Splits a body into one-byte chunks and yields to the connection between
/// them: a body that is not ready makes hyper flush, so each byte leaves in
/// its own write.
pub(crate) struct ByteWise {
    inner: ByteStream,
    pending: Bytes,
    just_yielded: bool,
}

impl ByteWise {
    pub(crate) fn new(inner: ByteStream) -> ByteWise {
        ByteWise {
            inner,
            pending: Bytes::new(),
            just_yielded: false,
        }
    }
}

impl Stream for ByteWise {
    type Item = Result<Bytes, Infallible>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.just_yielded {
            self.just_yielded = false;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        while self.pending.is_empty() {
            match self.inner.as_mut().poll_next(cx) {
                Poll::Ready(Some(Ok(b))) => self.pending = b,
                Poll::Ready(Some(Err(e))) => match e {},
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            }
        }
        let byte = self.pending.split_to(1);
        self.just_yielded = true;
        Poll::Ready(Some(Ok(byte)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::LogEventType;

    #[test]
    fn wire_mode_words_combine_and_name_the_bad_one() {
        assert_eq!("plain".parse::<WireMode>(), Ok(WireMode::default()));
        let m: WireMode = "crlf,bytes".parse().unwrap();
        assert_eq!(m.line_ending, LineEnding::CrLf);
        assert!(m.byte_per_write && !m.comments);
        let all: WireMode = "all".parse().unwrap();
        assert!(all.byte_per_write && all.comments);
        assert_eq!(all.line_ending, LineEnding::CrLf);
        let cr: WireMode = " cr , comments ".parse().unwrap();
        assert_eq!(cr.line_ending, LineEnding::Cr);
        assert!(cr.comments);
        let err = "crlf,bogus".parse::<WireMode>().unwrap_err();
        assert!(err.contains("\"bogus\""), "{err}");
        assert!("crlf,cr".parse::<WireMode>().is_err());
        assert_eq!(m.to_string().parse::<WireMode>(), Ok(m));
    }

    #[test]
    fn plain_events_are_one_data_line_and_a_blank_line() {
        let mut w = SseWriter::new(WireMode::default());
        let mut out = Vec::new();
        w.event(&mut out, None, "[DONE]");
        assert_eq!(out, b"data: [DONE]\n\n");
        out.clear();
        w.complete_event(&mut out, 3);
        assert_eq!(out, b"event: complete\ndata: {\"total\":3}\n\n");
    }

    #[test]
    fn comments_mode_adds_bom_fields_and_splits_json() {
        let mode = WireMode {
            line_ending: LineEnding::CrLf,
            comments: true,
            ..WireMode::default()
        };
        let mut w = SseWriter::new(mode);
        let mut out = Vec::new();
        w.json_event(
            &mut out,
            Some("progress"),
            &serde_json::json!({"a": 1, "b": 2}),
        );
        w.event(&mut out, None, "[DONE]");
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with('\u{feff}'));
        assert!(text.contains("retry: 3000\r\n"));
        assert!(text.contains("id: 0\r\n"));
        assert!(text.contains("event: progress\r\n"));
        assert!(text.contains(": keepalive\r\n"));
        assert!(!text.replace("\r\n", "").contains('\n'));
        let data: Vec<&str> = text
            .split("\r\n")
            .take_while(|l| !l.contains("[DONE]"))
            .filter_map(|l| l.strip_prefix("data: "))
            .collect();
        assert!(data.len() > 1);
        let v: serde_json::Value = serde_json::from_str(&data.join("\n")).unwrap();
        assert_eq!(v["b"], 2);
    }

    fn same_as_serde(r: &LogRecord) {
        let mut fast = Vec::new();
        write_record_json(&mut fast, r);
        let slow = serde_json::to_vec(r).unwrap();
        assert_eq!(
            String::from_utf8(fast).unwrap(),
            String::from_utf8(slow).unwrap()
        );
    }

    #[test]
    fn fast_record_json_is_byte_identical_to_serde() {
        let epoch = crate::sim::scenario::Epoch {
            ms: 1_780_000_000_123,
        };
        for d in crate::sim::scenario::domains() {
            for i in (0..3000).chain([d.backlog, d.backlog + 7, 123_456]) {
                same_as_serde(&d.record(5, epoch, i));
            }
        }
        let mut odd = LogRecord {
            id: "a\"b\\c\u{1}".into(),
            timestamp_ms: 0,
            event_type: Some(LogEventType::Other),
            sender: "\u{202e}évil\n".into(),
            subject: "注文 \u{1b}[31m".into(),
            tags: vec![],
            extra: vec![("x\"y".into(), serde_json::json!({"k": [1, null]}))],
            ..LogRecord::default()
        };
        for ms in [
            0,
            -1,
            -86_400_001,
            951_782_400_000,   // 2000-02-29
            4_107_542_399_999, // 2100-02-28T23:59:59.999
            253_402_300_799_000,
            253_402_300_800_000, // year 10000
            -62_167_219_200_001, // before year 0
            1_780_000_000_000,
        ] {
            odd.timestamp_ms = ms;
            same_as_serde(&odd);
        }
        odd.event_type = None;
        odd.url = Some("https://x/\"".into());
        same_as_serde(&odd);
    }

    #[test]
    fn batches_lay_out_records_per_wire_mode() {
        let epoch = crate::sim::scenario::Epoch {
            ms: 1_780_000_000_000,
        };
        let shop = &crate::sim::scenario::domains()[0];
        for mode in [WireMode::default(), "cr,comments".parse().unwrap()] {
            let mut batch = Batch::new(mode);
            let records: Vec<LogRecord> = (0..3).map(|i| shop.record(1, epoch, i)).collect();
            for r in &records {
                batch.push(r);
            }
            let mut w = SseWriter::new(mode);
            let mut out = Vec::new();
            w.logs_event(&mut out, &batch);
            let text = String::from_utf8(out).unwrap();
            let norm = text.trim_start_matches('\u{feff}').replace('\r', "\n");
            let data: Vec<&str> = norm
                .lines()
                .filter_map(|l| l.strip_prefix("data: "))
                .collect();
            let v: serde_json::Value = serde_json::from_str(&data.join("\n")).unwrap();
            let back: Vec<LogRecord> = serde_json::from_value(v["logs"].clone()).unwrap();
            assert_eq!(back, records);
            if mode.comments {
                assert!(norm.contains("id: shop-00000002\n"));
            }
        }
    }
}
