//! `{"type":"log","domain":…, <the record's fields>}` lines, a batch at a
//! time: the hot path of `stream logs`.
//!
//! The bytes are exactly what serde_json with [`TerminalSafeJson`] writes
//! for [`LogRecordRef::serialize_fields`] (the tests hold the two
//! together), but a string of printable ASCII, nearly every string the
//! service sends, is copied with only `"` and `\` escaped, instead of going
//! through the serializer character by character; anything else takes the
//! serializer. Timestamps are written without chrono.

use std::io;

use crate::model::log::write_timestamp_ms;
use crate::model::{LogBatch, LogEventType, LogRecordRef};
use crate::sanitize::{TerminalSafeJson, is_printable_ascii, write_json};

/// Appends the lines of `batch`'s records that `keep` accepts to `out`.
/// `domain` is the stream's domain.
pub fn write_batch(
    out: &mut Vec<u8>,
    domain: &str,
    batch: &LogBatch,
    mut keep: impl FnMut(&LogRecordRef<'_>) -> bool,
) -> io::Result<()> {
    let mut prefix = b"{\"type\":\"log\",\"domain\":".to_vec();
    put_str(&mut prefix, domain, false)?;
    let plain = batch.is_plain();
    for record in batch.iter().filter(|r| keep(r)) {
        out.extend_from_slice(&prefix);
        write_fields(out, &record, plain)?;
        out.extend_from_slice(b"}\n");
    }
    Ok(())
}

/// The fields of [`LogRecordRef::serialize_fields`], each after a comma.
fn write_fields(out: &mut Vec<u8>, r: &LogRecordRef<'_>, plain: bool) -> io::Result<()> {
    field(out, "id", r.id, plain)?;
    out.extend_from_slice(b",\"timestamp\":\"");
    write_timestamp_ms(out, r.timestamp_ms);
    out.push(b'"');
    if let Some(t) = r.event_type.filter(|t| *t != LogEventType::Other) {
        field(out, "event_type", t.as_str(), true)?;
    }
    field(out, "sender", r.sender, plain)?;
    field(out, "recipient", r.recipient, plain)?;
    field(out, "subject", r.subject, plain)?;
    out.extend_from_slice(b",\"tags\":[");
    for (i, tag) in r.tags.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        put_str(out, tag, plain)?;
    }
    out.push(b']');
    field(out, "message_id", r.message_id, plain)?;
    for (name, value) in [
        ("smtp_response", r.smtp_response),
        ("ip", r.ip),
        ("user_agent", r.user_agent),
        ("url", r.url),
    ] {
        if let Some(value) = value {
            field(out, name, value, plain)?;
        }
    }
    for (name, value) in r.extra {
        out.push(b',');
        put_str(out, name, false)?;
        out.push(b':');
        write_json(&mut *out, value)?;
    }
    Ok(())
}

/// `,"name":"value"`; `name` is one of ours.
fn field(out: &mut Vec<u8>, name: &str, value: &str, plain: bool) -> io::Result<()> {
    out.extend_from_slice(b",\"");
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\":");
    put_str(out, value, plain)
}

/// `text` as a JSON string. `plain` says it is printable ASCII already (the
/// batch's text all is); otherwise that is checked here.
fn put_str(out: &mut Vec<u8>, text: &str, plain: bool) -> io::Result<()> {
    if !plain && !is_printable_ascii(text) {
        let mut ser = serde_json::Serializer::with_formatter(&mut *out, TerminalSafeJson);
        return serde::Serialize::serialize(text, &mut ser).map_err(io::Error::from);
    }
    // Printable ASCII: serde_json escapes only these two of it.
    out.push(b'"');
    let bytes = text.as_bytes();
    let mut start = 0;
    for at in memchr::memchr2_iter(b'"', b'\\', bytes) {
        out.extend_from_slice(&bytes[start..at]);
        out.push(b'\\');
        out.push(bytes[at]);
        start = at + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
    Ok(())
}

/// One record's line through serde_json, character by character: what
/// [`write_batch`] must equal byte for byte (the tests), and the baseline
/// it is measured against (`cargo bench`).
pub fn write_line_by_serializer(
    out: &mut Vec<u8>,
    domain: &str,
    record: &LogRecordRef<'_>,
) -> io::Result<()> {
    struct Line<'a> {
        domain: &'a str,
        record: &'a LogRecordRef<'a>,
    }
    impl serde::Serialize for Line<'_> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeMap;
            let mut map = s.serialize_map(None)?;
            map.serialize_entry("type", "log")?;
            map.serialize_entry("domain", self.domain)?;
            self.record.serialize_fields(&mut map)?;
            map.end()
        }
    }
    write_json(&mut *out, &Line { domain, record })?;
    out.push(b'\n');
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::LogRecord;
    use proptest::prelude::*;

    fn same_as_serde(domain: &str, batch: &LogBatch) {
        let mut fast = Vec::new();
        write_batch(&mut fast, domain, batch, |_| true).unwrap();
        let mut slow = Vec::new();
        for record in batch.iter() {
            write_line_by_serializer(&mut slow, domain, &record).unwrap();
        }
        assert_eq!(
            String::from_utf8_lossy(&fast),
            String::from_utf8_lossy(&slow)
        );
    }

    #[test]
    fn a_plain_batch_escapes_quotes_and_backslashes_as_serde_does() {
        let json = r#"{"logs":[{"id":"a\"1","timestamp":"2026-12-07T05:00:00.120Z","event_type":"bounced","sender":"x@a.io","recipient":"y@b.io","subject":"say \"hi\" C:\\dir \/ ok","tags":["t1","t\\2"],"message_id":"<m>","smtp_response":"550 5.1.1","ip":"10.0.0.1","attempt":2,"note":null,"nested":{"k":[1,"\u00e9"]}},{"id":"b","timestamp":"2026-12-07T05:00:01Z","event_type":"weird","sender":"","recipient":"","subject":"","tags":[],"message_id":""}]}"#;
        let (batch, bad) = crate::upstream::domain_logs::parse_log_batch(json.to_string());
        assert_eq!(bad, 0);
        assert!(batch.is_plain());
        same_as_serde("acme.io", &batch);
        let mut fast = Vec::new();
        write_batch(&mut fast, "acme.io", &batch, |_| true).unwrap();
        for line in String::from_utf8(fast).unwrap().lines() {
            let value: serde_json::Value = serde_json::from_str(line).unwrap();
            assert_eq!(value["type"], "log");
        }
    }

    #[test]
    fn hostile_text_takes_the_serializer_and_stays_terminal_safe() {
        let record = LogRecord {
            id: "h1".into(),
            timestamp_ms: 1_780_000_000_000,
            sender: "evil\u{1b}[2J@x.io".into(),
            recipient: "bidi\u{202e}@y.io".into(),
            subject: "C1 \u{9b}31m and \u{7f} and é and \"q\"".into(),
            tags: vec!["ok".into(), "\u{7}bell".into()],
            ..LogRecord::default()
        };
        let batch = LogBatch::from(vec![record]);
        assert!(!batch.is_plain());
        same_as_serde("acme.io", &batch);
        let mut fast = Vec::new();
        write_batch(&mut fast, "dom\u{1b}ain", &batch, |_| true).unwrap();
        let text = String::from_utf8(fast).unwrap();
        assert!(
            text.chars()
                .all(|c| !crate::sanitize::is_unsafe(c) || c == '\n'),
            "{text:?}"
        );
    }

    proptest! {
        #[test]
        fn any_record_is_written_as_serde_writes_it(
            texts in prop::collection::vec(any::<String>(), 9),
            plain in prop::collection::vec("[ -~]{0,12}", 9),
            use_plain in any::<bool>(),
            ms in -100_000_000_000_000i64..100_000_000_000_000,
            has_optional in any::<bool>(),
        ) {
            let t = if use_plain { &plain } else { &texts };
            let optional = |i: usize| has_optional.then(|| t[i].clone());
            let record = LogRecord {
                id: t[0].clone(),
                timestamp_ms: ms,
                event_type: Some(LogEventType::Delivered),
                sender: t[1].clone(),
                recipient: t[2].clone(),
                subject: t[3].clone(),
                tags: vec![t[4].clone(), t[5].clone()],
                message_id: t[6].clone(),
                smtp_response: optional(7),
                ip: optional(8),
                ..LogRecord::default()
            };
            same_as_serde("acme.io", &LogBatch::from(vec![record]));
        }
    }
}
