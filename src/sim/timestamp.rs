//! The simulator's own reading and writing of RFC 3339 timestamps.
//!
//! The clients have their own (and a fast path of their own); the simulator
//! does not borrow them, so that a misreading of the contract cannot sit in
//! both sides and pass every test. chrono does the calendar work here.

use chrono::{DateTime, SecondsFormat, Utc};

/// Milliseconds since the epoch as a log record's `timestamp`: RFC 3339 in
/// UTC with `Z`, with a three-digit fraction only when there are
/// milliseconds (`2026-05-27T10:15:00Z`, `2026-05-27T10:15:00.250Z`), as
/// the vendor doc's examples write whole seconds. A year outside 0..=9999
/// is written as chrono writes it, sign and all; a value past chrono's
/// range, as the bare number.
pub(crate) fn format_ms(ms: i64) -> String {
    let precision = if ms.rem_euclid(1000) == 0 {
        SecondsFormat::Secs
    } else {
        SecondsFormat::Millis
    };
    match DateTime::<Utc>::from_timestamp_millis(ms) {
        Some(t) => t.to_rfc3339_opts(precision, true),
        None => ms.to_string(),
    }
}

/// A `start`/`end` query value as milliseconds since the epoch, or `None`
/// when it is not RFC 3339 (the doc's `date-time`). What chrono accepts is
/// accepted: `Z` or an offset, `T`, `t` or a space before the time, any
/// number of fraction digits, of which the milliseconds count. Epoch
/// numbers are not RFC 3339 and are refused.
pub(crate) fn parse_ms(text: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_written_to_the_millisecond_and_whole_seconds_without_a_fraction() {
        for (ms, text) in [
            (0, "1970-01-01T00:00:00Z"),
            (1, "1970-01-01T00:00:00.001Z"),
            (-1, "1969-12-31T23:59:59.999Z"),
            (-1000, "1969-12-31T23:59:59Z"),
            (-1001, "1969-12-31T23:59:58.999Z"),
            (1_780_000_000_000, "2026-05-28T20:26:40Z"),
            (1_780_000_000_123, "2026-05-28T20:26:40.123Z"),
            (1_780_000_000_120, "2026-05-28T20:26:40.120Z"),
            (946_684_799_999, "1999-12-31T23:59:59.999Z"),
            (946_684_800_000, "2000-01-01T00:00:00Z"),
            (951_782_400_000, "2000-02-29T00:00:00Z"),
            (-62_167_219_200_000, "0000-01-01T00:00:00Z"),
            (-62_167_219_200_001, "-0001-12-31T23:59:59.999Z"),
            (253_402_300_799_999, "9999-12-31T23:59:59.999Z"),
            (253_402_300_800_000, "+10000-01-01T00:00:00Z"),
            (i64::MAX, "9223372036854775807"),
        ] {
            assert_eq!(format_ms(ms), text, "{ms}");
        }
    }

    #[test]
    fn query_times_read_as_rfc_3339_and_nothing_else() {
        let at = 1_780_000_000_000;
        for (text, ms) in [
            ("2026-05-28T20:26:40Z", at),
            ("2026-05-28T20:26:40.123Z", at + 123),
            ("2026-05-28T20:26:40.1239Z", at + 123),
            ("2026-05-28T20:26:40.123456789Z", at + 123),
            ("2026-05-28T22:26:40+02:00", at),
            ("2026-05-28T20:26:40-00:00", at),
            ("2026-05-28t20:26:40z", at),
            ("2026-05-28 20:26:40Z", at),
            ("1969-12-31T23:59:59.999Z", -1),
            ("0000-01-01T00:00:00Z", -62_167_219_200_000),
            ("9999-12-31T23:59:59.999Z", 253_402_300_799_999),
        ] {
            assert_eq!(parse_ms(text), Some(ms), "{text}");
        }
        for text in [
            "yesterday",
            "",
            "1780000000000",
            "2026-05-28",
            "2026-05-28T20:26:40",
            "2026-05-28T20:26Z",
            "2026-02-30T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-05-28T24:00:00Z",
            "2026-05-28T20:26:40.Z",
            " 2026-05-28T20:26:40Z",
        ] {
            assert_eq!(parse_ms(text), None, "{text}");
        }
    }

    #[test]
    fn what_is_written_reads_back() {
        for ms in [
            -62_167_219_200_000,
            -1,
            0,
            1,
            1_780_000_000_000,
            1_780_000_000_123,
            253_402_300_799_999,
        ] {
            assert_eq!(parse_ms(&format_ms(ms)), Some(ms), "{ms}");
        }
    }
}
