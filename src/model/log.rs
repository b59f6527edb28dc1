//! Domain-log records as the API sends them, their event types and
//! timestamps, and the query the server filters by, with its validation.

use std::fmt;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;

pub mod batch;
pub mod smtp;
pub mod store_ready;
mod type_names;

pub use batch::{ExtraValue, Extras, LogBatch, LogRecordRef, RecordKey, Records, Tags};
pub use store_ready::{
    ColdEntry, HAS_SMTP, HAS_URL, MAX_FIELD_BYTES, NO_STRING, ReadyRecord, ReadyString, SEPARATOR,
    StoreReady,
};
pub use type_names::{TypeNameError, TypeNames, parse_type_name};

/// The API's default and largest `limit`.
pub const DEFAULT_LIMIT: u32 = 50_000;
pub const MAX_LIMIT: u32 = 500_000;

/// The event types the API filters by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LogEventType {
    Queued,
    Delivered,
    Bounced,
    Failed,
    Opened,
    Clicked,
    Unsubscribed,
    TemporaryFail,
    PermanentFail,
    Deferred,
    /// Anything else the server sends; the original name is kept in the
    /// record's `extra` under `event_type`.
    Other,
}

impl LogEventType {
    /// The ten documented types, in the doc's order.
    pub const KNOWN: [LogEventType; 10] = [
        LogEventType::Queued,
        LogEventType::Delivered,
        LogEventType::Bounced,
        LogEventType::Failed,
        LogEventType::Opened,
        LogEventType::Clicked,
        LogEventType::Unsubscribed,
        LogEventType::TemporaryFail,
        LogEventType::PermanentFail,
        LogEventType::Deferred,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LogEventType::Queued => "queued",
            LogEventType::Delivered => "delivered",
            LogEventType::Bounced => "bounced",
            LogEventType::Failed => "failed",
            LogEventType::Opened => "opened",
            LogEventType::Clicked => "clicked",
            LogEventType::Unsubscribed => "unsubscribed",
            LogEventType::TemporaryFail => "temporary_fail",
            LogEventType::PermanentFail => "permanent_fail",
            LogEventType::Deferred => "deferred",
            LogEventType::Other => "other",
        }
    }

    /// A documented type by its wire name.
    pub fn from_wire(s: &str) -> Option<LogEventType> {
        // A match, not a search of `KNOWN`: it runs for every record, and
        // compiles to a switch on the length and a compare or two.
        Some(match s {
            "queued" => LogEventType::Queued,
            "delivered" => LogEventType::Delivered,
            "bounced" => LogEventType::Bounced,
            "failed" => LogEventType::Failed,
            "opened" => LogEventType::Opened,
            "clicked" => LogEventType::Clicked,
            "unsubscribed" => LogEventType::Unsubscribed,
            "temporary_fail" => LogEventType::TemporaryFail,
            "permanent_fail" => LogEventType::PermanentFail,
            "deferred" => LogEventType::Deferred,
            _ => return None,
        })
    }
}

impl fmt::Display for LogEventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One log record. `id` and `timestamp` are required (they are what a
/// reconnect resumes from); everything else may be missing.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LogRecord {
    pub id: String,
    /// Milliseconds since the Unix epoch, UTC.
    pub timestamp_ms: i64,
    pub event_type: Option<LogEventType>,
    pub sender: String,
    pub recipient: String,
    pub subject: String,
    pub tags: Vec<String>,
    pub message_id: String,
    pub smtp_response: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub url: Option<String>,
    /// Fields this client does not know, in arrival order, for the detail
    /// view and the headless output.
    pub extra: Vec<(String, Value)>,
}

impl LogRecord {
    /// The timestamp as RFC 3339 (UTC, milliseconds only when present).
    pub fn timestamp_rfc3339(&self) -> String {
        format_timestamp_ms(self.timestamp_ms)
    }
}

/// Appends [`format_timestamp_ms`]'s text to `out`, without chrono or an
/// allocation: the headless mode writes one per record.
pub fn write_timestamp_ms(out: &mut Vec<u8>, ms: i64) {
    // Years 0..=9999 print as four digits; anything else takes chrono's
    // path, whatever it prints.
    const MIN_MS: i64 = -62_167_219_200_000; // 0000-01-01T00:00:00Z
    const MAX_MS: i64 = 253_402_300_799_999; // 9999-12-31T23:59:59.999Z
    if !(MIN_MS..=MAX_MS).contains(&ms) {
        out.extend_from_slice(format_timestamp_ms(ms).as_bytes());
        return;
    }
    let (days, ms_of_day) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let digits = |out: &mut Vec<u8>, n: i64, width: u32| {
        for p in (0..width).rev() {
            out.push(b'0' + (n / 10i64.pow(p) % 10) as u8);
        }
    };
    digits(out, year, 4);
    out.push(b'-');
    digits(out, month, 2);
    out.push(b'-');
    digits(out, day, 2);
    out.push(b'T');
    digits(out, ms_of_day / 3_600_000, 2);
    out.push(b':');
    digits(out, ms_of_day / 60_000 % 60, 2);
    out.push(b':');
    digits(out, ms_of_day / 1000 % 60, 2);
    if ms_of_day % 1000 != 0 {
        out.push(b'.');
        digits(out, ms_of_day % 1000, 3);
    }
    out.push(b'Z');
}

/// Formats milliseconds since the epoch as RFC 3339 UTC.
pub fn format_timestamp_ms(ms: i64) -> String {
    match DateTime::<Utc>::from_timestamp_millis(ms) {
        Some(t) => t.to_rfc3339_opts(SecondsFormat::AutoSi, true),
        None => ms.to_string(),
    }
}

/// Parses an RFC 3339 timestamp into milliseconds since the epoch.
pub fn parse_timestamp_ms(s: &str) -> Option<i64> {
    TimestampReader::default().read(s)
}

/// Reads a stream's timestamps, remembering the last date: records come in
/// time order, so nearly all of a batch's share one, and only the time of
/// day is left to read.
#[derive(Debug, Default)]
pub(crate) struct TimestampReader {
    last_date: Option<([u8; 10], i64)>,
}

impl TimestampReader {
    /// [`parse_timestamp_ms`].
    pub(crate) fn read(&mut self, s: &str) -> Option<i64> {
        self.read_utc(s.as_bytes()).or_else(|| {
            DateTime::parse_from_rfc3339(s)
                .ok()
                .map(|t| t.timestamp_millis())
        })
    }

    /// The shape every record's timestamp has, `2026-05-27T10:15:00.250Z`
    /// (fraction optional, up to nine digits), read without chrono's
    /// general parser: it runs half a million times per stream. Anything
    /// else (offsets, a lower-case `t`, a leap second) is `None` and left
    /// to chrono.
    fn read_utc(&mut self, b: &[u8]) -> Option<i64> {
        let date: [u8; 10] = *b.first_chunk()?;
        let days = match self.last_date {
            Some((last, days)) if last == date => days,
            _ => {
                let days = utc_date_days(&date)?;
                self.last_date = Some((date, days));
                days
            }
        };
        Some(days * MS_PER_DAY + utc_time_of_day_ms(b)?)
    }
}

const MS_PER_DAY: i64 = 86_400_000;

/// Digits as a number, `None` at anything else.
fn number(digits: &[u8]) -> Option<i64> {
    digits.iter().try_fold(0i64, |n, &d| {
        d.is_ascii_digit().then(|| n * 10 + i64::from(d - b'0'))
    })
}

/// `YYYY-MM-DD` as days since 1970-01-01.
fn utc_date_days(b: &[u8]) -> Option<i64> {
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (year, month, day) = (number(&b[0..4])?, number(&b[5..7])?, number(&b[8..10])?);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    Some(days_from_civil(year, month, day))
}

/// The `THH:MM:SS[.fraction]Z` after a timestamp's date, as milliseconds
/// into the day.
fn utc_time_of_day_ms(b: &[u8]) -> Option<i64> {
    let (hour, minute, second, millis) =
        time_at_fixed_places(b).or_else(|| time_of_any_shape(b))?;
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    Some(((hour * 60 + minute) * 60 + second) * 1000 + millis)
}

/// Hour, minute, second and millisecond of the shape the service sends, to
/// the millisecond, read at fixed places.
fn time_at_fixed_places(b: &[u8]) -> Option<(i64, i64, i64, i64)> {
    let &[
        b'T',
        h1,
        h0,
        b':',
        m1,
        m0,
        b':',
        s1,
        s0,
        b'.',
        f2,
        f1,
        f0,
        b'Z',
    ] = b.get(10..)?
    else {
        return None;
    };
    let digits = [h1, h0, m1, m0, s1, s0, f2, f1, f0].map(|d| d.wrapping_sub(b'0'));
    if digits.iter().any(|&d| d > 9) {
        return None;
    }
    let [h1, h0, m1, m0, s1, s0, f2, f1, f0] = digits.map(i64::from);
    Some((
        h1 * 10 + h0,
        m1 * 10 + m0,
        s1 * 10 + s0,
        f2 * 100 + f1 * 10 + f0,
    ))
}

/// [`time_at_fixed_places`] with the fraction optional, up to nine digits.
fn time_of_any_shape(b: &[u8]) -> Option<(i64, i64, i64, i64)> {
    if b.len() < 20 || b[10] != b'T' || b[13] != b':' || b[16] != b':' || b[b.len() - 1] != b'Z' {
        return None;
    }
    let (hour, minute, second) = (
        number(&b[11..13])?,
        number(&b[14..16])?,
        number(&b[17..19])?,
    );
    let millis = match &b[19..b.len() - 1] {
        [] => 0,
        [b'.', digits @ ..] if (1..=9).contains(&digits.len()) => {
            let mut ms = 0;
            for i in 0..3 {
                let digit = match digits.get(i) {
                    Some(d) if d.is_ascii_digit() => i64::from(d - b'0'),
                    Some(_) => return None,
                    None => 0,
                };
                ms = ms * 10 + digit;
            }
            // Digits past the millisecond are checked, then dropped, as
            // chrono's timestamp_millis drops them.
            if !digits.iter().all(u8::is_ascii_digit) {
                return None;
            }
            ms
        }
        _ => return None,
    };
    Some((hour, minute, second, millis))
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let shifted_month = (month + 9) % 12;
    let day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// What to ask the server for. Every field is validated on the way in (see
/// the `parse_*` functions), so a bad value never reaches a request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogQuery {
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    pub sender: Option<String>,
    pub recipient: Option<String>,
    pub subject: Option<String>,
    pub event_type: Option<LogEventType>,
    pub tags: Option<String>,
    pub limit: Option<u32>,
}

impl LogQuery {
    /// True when the server sends only some kinds of record (by sender,
    /// recipient, subject, type or tag), not the domain's whole log.
    pub fn narrows_records(&self) -> bool {
        self.sender.is_some()
            || self.recipient.is_some()
            || self.subject.is_some()
            || self.event_type.is_some()
            || self.tags.is_some()
    }

    /// Checks what single-field parsing cannot: that the range is not empty.
    pub fn validate(&self) -> Result<(), String> {
        if let (Some(start), Some(end)) = (self.start, self.end)
            && start > end
        {
            return Err(format!(
                "start {} is after end {}",
                start.to_rfc3339_opts(SecondsFormat::AutoSi, true),
                end.to_rfc3339_opts(SecondsFormat::AutoSi, true)
            ));
        }
        Ok(())
    }

    /// The limit the server applies.
    pub fn effective_limit(&self) -> u32 {
        self.limit.unwrap_or(DEFAULT_LIMIT)
    }

    /// Query-string pairs, in a fixed order.
    pub fn params(&self) -> Vec<(&'static str, String)> {
        let mut params = Vec::new();
        let time = |t: &DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::AutoSi, true);
        if let Some(t) = &self.start {
            params.push(("start", time(t)));
        }
        if let Some(t) = &self.end {
            params.push(("end", time(t)));
        }
        for (name, value) in [
            ("sender", &self.sender),
            ("recipient", &self.recipient),
            ("subject", &self.subject),
        ] {
            if let Some(v) = value {
                params.push((name, v.clone()));
            }
        }
        if let Some(t) = self.event_type {
            params.push(("event_type", t.as_str().to_string()));
        }
        if let Some(t) = &self.tags {
            params.push(("tags", t.clone()));
        }
        if let Some(l) = self.limit {
            params.push(("limit", l.to_string()));
        }
        params
    }
}

/// Parses a `start`/`end` value: RFC 3339.
pub fn parse_time(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("invalid time {s:?}: expected RFC 3339, like 2026-05-27T10:15:00Z"))
}

/// Parses an `event_type` value: one of the ten documented types, by its
/// wire name, the short name the log table shows, or a prefix of one type.
pub fn parse_event_type(s: &str) -> Result<LogEventType, String> {
    parse_type_name(s, TypeNames::Documented).map_err(|e| e.to_string())
}

/// Parses a `limit` value: 1..=500000.
pub fn parse_limit(s: &str) -> Result<u32, String> {
    match s.trim().parse::<u64>() {
        Ok(n) if (1..=u64::from(MAX_LIMIT)).contains(&n) => Ok(n as u32),
        _ => Err(format!(
            "invalid limit {s:?}: expected a whole number from 1 to {MAX_LIMIT}"
        )),
    }
}

/// Parses a free-text filter value (sender, recipient, subject, tags): any
/// non-empty text without control characters.
pub fn parse_text(s: &str) -> Result<String, String> {
    if s.is_empty() {
        return Err("empty value: leave the option out instead".into());
    }
    if s.chars().any(char::is_control) {
        return Err(format!("value {s:?} holds control characters"));
    }
    Ok(s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn the_fast_timestamp_is_chronos(ms in proptest::num::i64::ANY) {
            let mut out = Vec::new();
            write_timestamp_ms(&mut out, ms);
            proptest::prop_assert_eq!(String::from_utf8(out).unwrap(), format_timestamp_ms(ms));
        }

        #[test]
        fn the_fast_timestamp_is_chronos_in_our_centuries(
            ms in -2_208_988_800_000i64..4_102_444_800_000,
        ) {
            let mut out = Vec::new();
            write_timestamp_ms(&mut out, ms);
            proptest::prop_assert_eq!(String::from_utf8(out).unwrap(), format_timestamp_ms(ms));
        }
    }

    #[test]
    fn the_fast_timestamp_at_the_edges() {
        for ms in [
            0,
            -1,
            1,
            999,
            1000,
            951_782_400_000, // 2000-02-29
            -62_167_219_200_000,
            -62_167_219_200_001,
            253_402_300_799_999,
            253_402_300_800_000,
        ] {
            let mut out = Vec::new();
            write_timestamp_ms(&mut out, ms);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                format_timestamp_ms(ms),
                "{ms}"
            );
        }
    }

    #[test]
    fn every_known_type_reads_back_from_its_wire_name_and_nothing_else_does() {
        for t in LogEventType::KNOWN {
            assert_eq!(LogEventType::from_wire(t.as_str()), Some(t));
        }
        for name in ["other", "Queued", "queued ", "", "deliver"] {
            assert_eq!(LogEventType::from_wire(name), None, "{name:?}");
        }
    }

    #[test]
    fn the_timestamp_fast_path_agrees_with_chrono() {
        let chrono_ms = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .ok()
                .map(|t| t.timestamp_millis())
        };
        for s in [
            "2026-05-27T10:15:00.250Z",
            "2026-05-27T10:15:00Z",
            "2026-05-27T10:15:00.2Z",
            "2026-05-27T10:15:00.25Z",
            "2026-05-27T10:15:00.123456789Z",
            "1970-01-01T00:00:00Z",
            "1969-12-31T23:59:59.999Z",
            "0001-01-01T00:00:00Z",
            "2000-02-29T12:00:00Z",
            "2024-12-31T23:59:59.999Z",
        ] {
            let fast = TimestampReader::default().read_utc(s.as_bytes());
            assert_eq!(fast, chrono_ms(s), "{s}");
            assert!(chrono_ms(s).is_some(), "{s}");
        }
        // Shapes left to chrono, or refused by both.
        for s in [
            "2026-05-27T10:15:00+02:00",
            "2026-05-27t10:15:00Z",
            "2026-05-27 10:15:00Z",
            "2026-05-27T10:15:60Z",
            "2026-02-30T10:15:00Z",
            "2100-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-05-27T24:00:00Z",
            "2026-05-27T10:15:00.Z",
            "2026-05-27T10:15:00.1234567890Z",
            "2026-05-27T10:15:00.12aZ",
            "+026-05-27T10:15:00Z",
            "yesterday",
        ] {
            assert_eq!(
                TimestampReader::default().read_utc(s.as_bytes()),
                None,
                "{s}"
            );
            assert_eq!(parse_timestamp_ms(s), chrono_ms(s), "{s}");
        }
    }

    proptest::proptest! {
        #[test]
        /// One reader over several timestamps, as a stream's: the second
        /// is on the same date or a day or two on, so the remembered date
        /// is used, and replaced.
        fn every_utc_millisecond_parses_as_chrono_says(
            ms in -62_135_596_800_000i64..253_402_300_799_999,
            later in 0i64..2 * 86_400_000,
        ) {
            let mut reader = TimestampReader::default();
            for ms in [ms, ms + later] {
                let Some(t) = DateTime::<Utc>::from_timestamp_millis(ms) else { continue };
                for format in [SecondsFormat::Millis, SecondsFormat::Secs, SecondsFormat::Nanos] {
                    let text = t.to_rfc3339_opts(format, true);
                    let chrono = DateTime::parse_from_rfc3339(&text).ok().map(|t| t.timestamp_millis());
                    proptest::prop_assert_eq!(reader.read_utc(text.as_bytes()), chrono, "{}", text);
                }
            }
        }
    }

    #[test]
    fn query_values_are_validated_with_the_bad_value_named() {
        assert!(parse_limit("0").unwrap_err().contains("\"0\""));
        assert!(parse_limit("500001").is_err());
        assert_eq!(parse_limit("500000"), Ok(500_000));
        assert!(parse_event_type("bouncd").unwrap_err().contains("bouncd"));
        assert_eq!(
            parse_event_type("temporary_fail"),
            Ok(LogEventType::TemporaryFail)
        );
        assert_eq!(
            parse_event_type("permfail"),
            Ok(LogEventType::PermanentFail)
        );
        assert!(
            parse_event_type("de")
                .unwrap_err()
                .contains("delivered or deferred")
        );
        // The API has no `other` to filter on.
        assert!(parse_event_type("other").is_err());
        assert!(parse_time("yesterday").unwrap_err().contains("yesterday"));
        let q = LogQuery {
            start: parse_time("2026-01-02T00:00:00Z").ok(),
            end: parse_time("2026-01-01T00:00:00Z").ok(),
            ..Default::default()
        };
        assert!(q.validate().unwrap_err().contains("after"));
    }
}
