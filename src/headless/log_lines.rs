//! `{"type":"log","domain":…, <the record's fields>}` lines, a batch at a
//! time: the hot path of `stream logs`.
//!
//! The bytes are exactly what serde_json with [`TerminalSafeJson`](crate::sanitize::TerminalSafeJson) writes
//! for [`LogRecordRef::serialize_fields`] (the tests hold the two
//! together), but each string is copied in runs between the bytes that
//! need a look (`"`, `\`, controls, anything beyond ASCII), instead of
//! going through the serializer character by character; unknown fields'
//! scalars are written directly too. Timestamps are written without
//! chrono, their date once a day.

use std::io::{self, Write};

use serde_json::Value;

use crate::model::log::ExtraValue;
use crate::model::log::write_timestamp_ms;
use crate::model::{LogBatch, LogEventType, LogRecordRef};
use crate::sanitize::{first_json_special, is_unsafe, write_json};

/// Appends the lines of `batch`'s records that `keep` accepts to `out`.
/// `domain` is the stream's domain.
pub fn write_batch(
    out: &mut Vec<u8>,
    domain: &str,
    batch: &LogBatch,
    mut keep: impl FnMut(&LogRecordRef<'_>) -> bool,
) -> io::Result<()> {
    let mut prefix = b"{\"type\":\"log\",\"domain\":".to_vec();
    put_str(&mut prefix, domain);
    let mut times = Timestamps::default();
    for record in batch.iter().filter(|r| keep(r)) {
        out.extend_from_slice(&prefix);
        write_fields(out, &record, &mut times)?;
        out.extend_from_slice(b"}\n");
    }
    Ok(())
}

/// The fields of [`LogRecordRef::serialize_fields`], each after a comma.
fn write_fields(out: &mut Vec<u8>, r: &LogRecordRef<'_>, times: &mut Timestamps) -> io::Result<()> {
    field(out, b",\"id\":", r.id);
    out.extend_from_slice(b",\"timestamp\":\"");
    times.write(out, r.timestamp_ms);
    out.push(b'"');
    if let Some(t) = r.event_type.filter(|t| *t != LogEventType::Other) {
        field(out, b",\"event_type\":", t.as_str());
    }
    field(out, b",\"sender\":", r.sender);
    field(out, b",\"recipient\":", r.recipient);
    field(out, b",\"subject\":", r.subject);
    out.extend_from_slice(b",\"tags\":[");
    for (i, tag) in r.tags.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        put_str(out, tag);
    }
    out.push(b']');
    field(out, b",\"message_id\":", r.message_id);
    if let Some(value) = r.smtp_response {
        field(out, b",\"smtp_response\":", value);
    }
    if let Some(value) = r.ip {
        field(out, b",\"ip\":", value);
    }
    if let Some(value) = r.user_agent {
        field(out, b",\"user_agent\":", value);
    }
    if let Some(value) = r.url {
        field(out, b",\"url\":", value);
    }
    for (name, value) in r.extra.iter() {
        out.push(b',');
        put_str(out, name);
        out.push(b':');
        match value {
            ExtraValue::Str(text) => put_str(out, text),
            ExtraValue::Json(value) => put_value(out, &value)?,
        }
    }
    Ok(())
}

/// `key` (one of ours, `,"name":`), then `value` as a JSON string. Inlined
/// with the key's length known, its copy is a move or two, not a call.
#[inline(always)]
fn field<const N: usize>(out: &mut Vec<u8>, key: &[u8; N], value: &str) {
    out.extend_from_slice(key);
    put_str(out, value);
}

/// An unknown field's value. Scalars, what other servers put in such
/// fields, are written here (a float's `Display` is how serde_json writes
/// it); anything else goes through the serializer.
fn put_value(out: &mut Vec<u8>, value: &Value) -> io::Result<()> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(n), _) => put_integer(out, n, false),
            (None, Some(n)) => put_integer(out, n.unsigned_abs(), n < 0),
            _ => write!(out, "{n}")?,
        },
        Value::String(s) => put_str(out, s),
        other => write_json(&mut *out, other)?,
    }
    Ok(())
}

/// `text` as a JSON string, byte for byte as serde_json with
/// [`TerminalSafeJson`](crate::sanitize::TerminalSafeJson) writes it: runs that need nothing are copied
/// whole. Accented Latin letters, the most common text beyond ASCII, are
/// passed over with the rest of their run (see [`first_json_special`]).
fn put_str(out: &mut Vec<u8>, text: &str) {
    out.push(b'"');
    let bytes = text.as_bytes();
    // Copied up to `copied`; looked at up to `at`.
    let (mut copied, mut at) = (0, 0);
    while let Some(found) = bytes.get(at..).and_then(first_json_special) {
        let i = at + found;
        let Some(&b) = bytes.get(i) else { break };
        let Some(c) = text.get(i..).and_then(|rest| rest.chars().next()) else {
            break;
        };
        at = i + c.len_utf8();
        if !b.is_ascii() && !is_unsafe(c) {
            continue;
        }
        out.extend_from_slice(&bytes[copied..i]);
        copied = at;
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\u{8}' => out.extend_from_slice(b"\\b"),
            '\t' => out.extend_from_slice(b"\\t"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\u{c}' => out.extend_from_slice(b"\\f"),
            '\r' => out.extend_from_slice(b"\\r"),
            // Other controls as serde_json writes them, and what
            // TerminalSafeJson escapes: `\u` and four lower-case hex
            // digits for each UTF-16 unit.
            c => {
                for &mut unit in c.encode_utf16(&mut [0; 2]) {
                    let hex = |shift: u16| b"0123456789abcdef"[usize::from(unit >> shift & 0xf)];
                    out.extend_from_slice(&[b'\\', b'u', hex(12), hex(8), hex(4), hex(0)]);
                }
            }
        }
    }
    out.extend_from_slice(bytes.get(copied..).unwrap_or_default());
    out.push(b'"');
}

/// A timestamp's date, kept from the last one written: a batch's records
/// come in time order, nearly all in one day, and the date is most of the
/// cost of writing one.
#[derive(Default)]
struct Timestamps {
    /// The day (since 1970-01-01) `date` is for.
    day: Option<i64>,
    /// `YYYY-MM-DDT`.
    date: Vec<u8>,
}

/// The days of 0000-01-01 and 9999-12-31: [`write_timestamp_ms`] writes
/// the years between as four digits, and anything else its own way.
const FOUR_DIGIT_YEARS: std::ops::RangeInclusive<i64> = -719_528..=2_932_896;
const MS_PER_DAY: i64 = 86_400_000;

impl Timestamps {
    /// Writes what [`write_timestamp_ms`] writes for `ms`.
    fn write(&mut self, out: &mut Vec<u8>, ms: i64) {
        let (day, ms_of_day) = (ms.div_euclid(MS_PER_DAY), ms.rem_euclid(MS_PER_DAY));
        if self.day != Some(day) {
            self.day = None;
            self.date.clear();
            if FOUR_DIGIT_YEARS.contains(&day) {
                write_timestamp_ms(&mut self.date, day * MS_PER_DAY);
            }
            if !self.date.ends_with(b"T00:00:00Z") || self.date.len() != 20 {
                write_timestamp_ms(out, ms);
                return;
            }
            self.date.truncate(11);
            self.day = Some(day);
        }
        out.extend_from_slice(&self.date);
        let digits = |n: i64| [b'0' + (n / 10) as u8, b'0' + (n % 10) as u8];
        let (hour, minute) = (ms_of_day / 3_600_000, ms_of_day / 60_000 % 60);
        let (second, fraction) = (ms_of_day / 1000 % 60, ms_of_day % 1000);
        out.extend_from_slice(&digits(hour));
        out.push(b':');
        out.extend_from_slice(&digits(minute));
        out.push(b':');
        out.extend_from_slice(&digits(second));
        if fraction != 0 {
            out.push(b'.');
            out.push(b'0' + (fraction / 100) as u8);
            out.extend_from_slice(&digits(fraction % 100));
        }
        out.push(b'Z');
    }
}

/// `n` in decimal, as serde_json (and `Display`) write it, without the
/// formatting machinery: unknown fields are most often small counts.
fn put_integer(out: &mut Vec<u8>, n: u64, negative: bool) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = n;
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    if negative {
        out.push(b'-');
    }
    out.extend_from_slice(&digits[at..]);
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
        let (batch, bad) = crate::upstream::domain_logs::parse_log_batch(json.to_string(), false);
        assert_eq!(bad, 0);
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

    /// Text of the characters each path of [`put_str`] treats apart: plain
    /// ASCII, what JSON escapes, DEL and C1 controls, Latin letters taken
    /// on their lead byte, the soft hyphen and other characters a terminal
    /// must not get, and characters beyond the BMP.
    fn tricky_text() -> impl Strategy<Value = String> {
        let pieces = prop::sample::select(vec![
            "a",
            "Zq 9",
            "\"",
            "\\",
            "/",
            "\n",
            "\r\n",
            "\t",
            "\u{8}",
            "\u{c}",
            "\u{0}",
            "\u{1b}[31m",
            "\u{7f}",
            "\u{80}",
            "\u{9b}",
            "\u{a0}",
            "\u{a9}",
            "\u{ad}",
            "é",
            "ü",
            "\u{c0}",
            "\u{33f}",
            "e\u{301}",
            "\u{34f}",
            "\u{202e}",
            "\u{200b}",
            "漢",
            "😀",
            "👍\u{1f3fd}",
            "\u{e0041}",
            "\u{feff}",
            "\u{2028}",
        ]);
        prop::collection::vec(pieces, 0..24).prop_map(|p| p.concat())
    }

    #[test]
    fn unknown_fields_of_every_kind_are_written_as_serde_writes_them() {
        let record = LogRecord {
            id: "x1".into(),
            timestamp_ms: 1_780_000_000_500,
            extra: vec![
                ("n".into(), Value::Null),
                ("t".into(), Value::Bool(true)),
                ("f".into(), Value::Bool(false)),
                ("u".into(), Value::from(u64::MAX)),
                ("i".into(), Value::from(i64::MIN)),
                ("x".into(), Value::from(-0.0)),
                ("y".into(), Value::from(1e300)),
                ("z".into(), Value::from(0.1)),
                ("s\u{1b}".into(), Value::from("caf\u{e9} \u{9b}31m \"q\"")),
                ("o".into(), serde_json::json!({"k": [1, "\u{202e}", null]})),
            ],
            ..LogRecord::default()
        };
        same_as_serde("acme.io", &LogBatch::from(vec![record]));
    }

    proptest! {
        #[test]
        fn tricky_text_is_written_as_serde_writes_it(
            texts in prop::collection::vec(tricky_text(), 6),
            extra in tricky_text(),
        ) {
            let record = LogRecord {
                id: texts[0].clone(),
                timestamp_ms: 1_780_000_000_000,
                sender: texts[1].clone(),
                recipient: texts[2].clone(),
                subject: texts[3].clone(),
                tags: vec![texts[4].clone(), texts[5].clone()],
                smtp_response: Some(texts[5].clone()),
                extra: vec![(extra.clone(), Value::String(extra))],
                ..LogRecord::default()
            };
            same_as_serde("acme.io", &LogBatch::from(vec![record]));
        }

        /// The timestamps written with their date kept come out as each
        /// would alone: runs in one second, across seconds and days, before
        /// 1970 and beyond the four-digit years.
        #[test]
        fn timestamps_are_written_alike_one_by_one_or_in_a_run(
            start in prop_oneof![
                -100_000_000_000_000i64..300_000_000_000_000,
                Just(i64::MIN),
                Just(i64::MAX - 10_000),
                Just(253_402_300_799_000i64),
                Just(-62_167_219_200_500i64),
            ],
            steps in prop::collection::vec(prop_oneof![0i64..1500, 0i64..200_000_000], 1..12),
        ) {
            let mut times = Timestamps::default();
            let mut ms = start;
            for step in steps {
                ms = ms.saturating_add(step);
                let (mut kept, mut alone) = (Vec::new(), Vec::new());
                times.write(&mut kept, ms);
                write_timestamp_ms(&mut alone, ms);
                prop_assert_eq!(String::from_utf8_lossy(&kept), String::from_utf8_lossy(&alone));
            }
        }

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
