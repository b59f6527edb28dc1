//! Which zone times are shown and typed in.
//!
//! The state holds a [`Zone`], never an offset worked out once: a
//! long-running session crosses daylight-saving changes, so the process's
//! zone is kept as [`Zone::Local`] and each instant gets its own offset
//! from `chrono::Local` when it is formatted or resolved (the tz database,
//! not the clock: time still arrives only as `Action::Tick`). Tests, and
//! anything that must be deterministic, use [`Zone::Fixed`] or
//! [`Zone::Utc`].

use chrono::{
    DateTime, Days, FixedOffset, Local, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Utc,
};

const DAY_MS: i64 = 86_400_000;

/// A time zone for showing and reading times.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Zone {
    /// UTC.
    #[default]
    Utc,
    /// The process's zone (`TZ`, else the system's), offset per instant.
    Local,
    /// A fixed offset east of UTC in seconds, with a name for headings
    /// (empty: the offset is shown).
    Fixed {
        offset_secs: i32,
        name: &'static str,
    },
}

impl Zone {
    /// The offset from UTC at the instant `ms`.
    pub fn offset_at(self, ms: i64) -> FixedOffset {
        let utc = FixedOffset::east_opt(0).expect("zero offset");
        match self {
            Zone::Utc => utc,
            Zone::Fixed { offset_secs, .. } => FixedOffset::east_opt(offset_secs).unwrap_or(utc),
            Zone::Local => DateTime::<Utc>::from_timestamp_millis(ms).map_or(utc, |t| {
                Local.offset_from_utc_datetime(&t.naive_utc()).fix()
            }),
        }
    }

    /// The wall-clock time at `ms` in this zone.
    pub fn wall(self, ms: i64) -> Option<NaiveDateTime> {
        let t = DateTime::<Utc>::from_timestamp_millis(ms)?;
        Some(t.with_timezone(&self.offset_at(ms)).naive_local())
    }

    /// The instant a wall-clock time in this zone names: in a
    /// daylight-saving gap, the wall time an hour later; when the clocks go
    /// back, the earlier of the two.
    pub fn instant(self, wall: NaiveDateTime) -> Option<i64> {
        match self {
            Zone::Utc | Zone::Fixed { .. } => self
                .offset_at(0)
                .from_local_datetime(&wall)
                .single()
                .map(|t| t.timestamp_millis()),
            Zone::Local => Local
                .from_local_datetime(&wall)
                .earliest()
                .or_else(|| {
                    Local
                        .from_local_datetime(&(wall + chrono::Duration::hours(1)))
                        .earliest()
                })
                .map(|t| t.timestamp_millis()),
        }
    }

    /// The name a column heading shows: `UTC`, a fixed zone's name, or the
    /// offset at `ms` (`+01`, `-03:30`).
    pub fn label(self, ms: i64) -> String {
        match self {
            Zone::Utc => "UTC".into(),
            Zone::Fixed { name, .. } if !name.is_empty() => name.into(),
            Zone::Fixed { .. } | Zone::Local => offset_label(self.offset_at(ms)),
        }
    }
}

/// `+01`, `-03:30`, `+00`.
fn offset_label(offset: FixedOffset) -> String {
    let secs = offset.local_minus_utc();
    let sign = if secs < 0 { '-' } else { '+' };
    let (h, m) = (secs.abs() / 3600, secs.abs() % 3600 / 60);
    if m == 0 {
        format!("{sign}{h:02}")
    } else {
        format!("{sign}{h:02}:{m:02}")
    }
}

/// Whether times spanning `first_ms..=last_ms` need their date shown: more
/// than a day apart, or either not on `now_ms`'s day in `zone` (yesterday
/// evening's records without a date read as a time still to come today).
pub fn needs_date(first_ms: i64, last_ms: i64, now_ms: i64, zone: Zone) -> bool {
    let day = |ms| zone.wall(ms).map(|t| t.date());
    first_ms.abs_diff(last_ms) > DAY_MS as u64
        || day(first_ms) != day(now_ms)
        || day(last_ms) != day(now_ms)
}

/// `13:02:55`, or `05-27 13:02:55` with the date, in `zone`.
pub fn format_time(ms: i64, zone: Zone, with_date: bool) -> String {
    match zone.wall(ms) {
        Some(t) if with_date => t.format("%m-%d %H:%M:%S").to_string(),
        Some(t) => t.format("%H:%M:%S").to_string(),
        None if with_date => "--:-- --:--:--".into(),
        None => "--:--:--".into(),
    }
}

/// A wall-clock bound of the filter (`since:09:00`, `since:today`), to be
/// resolved against a clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LocalBound {
    /// Seconds after midnight: the last such time at or before the clock
    /// (today's, or yesterday's when today's is still to come).
    TimeOfDay(u32),
    /// Midnight starting the clock's day.
    Today,
    /// Midnight starting the day before.
    Yesterday,
}

impl LocalBound {
    /// The instant this bound names at the clock `now_ms`, in `zone`.
    pub fn resolve(self, now_ms: i64, zone: Zone) -> i64 {
        let Some(now) = zone.wall(now_ms) else {
            return now_ms;
        };
        let today = now.date();
        let at = |date: NaiveDate, secs: u32| {
            let time = NaiveTime::from_num_seconds_from_midnight_opt(secs, 0)?;
            zone.instant(date.and_time(time))
        };
        let resolved = match self {
            LocalBound::Today => at(today, 0),
            LocalBound::Yesterday => today.checked_sub_days(Days::new(1)).and_then(|d| at(d, 0)),
            LocalBound::TimeOfDay(secs) => match at(today, secs) {
                Some(ms) if ms > now_ms => today
                    .checked_sub_days(Days::new(1))
                    .and_then(|d| at(d, secs)),
                other => other,
            },
        };
        resolved.unwrap_or(now_ms)
    }

    /// `09:00`, `09:00:30`, `today`, `yesterday`; `Err` with a reason for
    /// something shaped like a time of day that is not one (`25:00`);
    /// `Ok(None)` for anything else.
    pub fn parse(value: &str) -> Result<Option<LocalBound>, String> {
        match value.to_ascii_lowercase().as_str() {
            "today" => return Ok(Some(LocalBound::Today)),
            "yesterday" => return Ok(Some(LocalBound::Yesterday)),
            _ => {}
        }
        let parts: Vec<&str> = value.split(':').collect();
        let shaped = (2..=3).contains(&parts.len())
            && parts
                .iter()
                .all(|p| (1..=2).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()));
        if !shaped {
            return Ok(None);
        }
        let number = |i: usize| parts.get(i).map_or(Ok(0), |p| p.parse::<u32>());
        let (Ok(h), Ok(m), Ok(s)) = (number(0), number(1), number(2)) else {
            return Ok(None);
        };
        if h > 23
            || m > 59
            || s > 59
            || parts[1].len() != 2
            || parts.get(2).is_some_and(|p| p.len() != 2)
        {
            return Err(format!(
                "bad time of day \"{value}\" (use HH:MM or HH:MM:SS, hours 00-23, minutes and seconds 00-59)"
            ));
        }
        Ok(Some(LocalBound::TimeOfDay(h * 3600 + m * 60 + s)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-05-27T12:00:00Z.
    const NOON_UTC: i64 = 1_779_883_200_000;
    const CET: Zone = Zone::Fixed {
        offset_secs: 3600,
        name: "CET",
    };

    #[test]
    fn formats_in_the_zone() {
        assert_eq!(format_time(NOON_UTC, Zone::Utc, false), "12:00:00");
        assert_eq!(format_time(NOON_UTC, CET, false), "13:00:00");
        assert_eq!(format_time(NOON_UTC, CET, true), "05-27 13:00:00");
        let west = Zone::Fixed {
            offset_secs: -(3 * 3600 + 1800),
            name: "",
        };
        assert_eq!(format_time(NOON_UTC, west, true), "05-27 08:30:00");
        assert_eq!(format_time(i64::MAX, Zone::Utc, false), "--:--:--");
    }

    #[test]
    fn labels() {
        assert_eq!(Zone::Utc.label(0), "UTC");
        assert_eq!(CET.label(0), "CET");
        let f = |offset_secs| Zone::Fixed {
            offset_secs,
            name: "",
        };
        assert_eq!(f(3600).label(0), "+01");
        assert_eq!(f(-(3 * 3600 + 1800)).label(0), "-03:30");
        assert_eq!(f(0).label(0), "+00");
    }

    #[test]
    fn a_date_past_a_day_or_off_today() {
        let noon = 20 * DAY_MS + DAY_MS / 2;
        let utc = Zone::Utc;
        assert!(!needs_date(noon - 3_600_000, noon, noon, utc));
        // Yesterday evening, an hour's records: not today.
        assert!(needs_date(
            noon - 16 * 3_600_000,
            noon - 15 * 3_600_000,
            noon,
            utc
        ));
        // Spanning more than a day, whatever the clock.
        assert!(needs_date(0, DAY_MS + 1, DAY_MS, utc));
        assert!(needs_date(DAY_MS + 1, 0, DAY_MS, utc));
        // The day is the zone's: 23:30 UTC is tomorrow at +01.
        let late = 21 * DAY_MS - 1_800_000;
        let plus_one = Zone::Fixed {
            offset_secs: 3600,
            name: "",
        };
        assert!(!needs_date(late - 60_000, late, late, utc));
        assert!(!needs_date(late - 60_000, late, late, plus_one));
        assert!(needs_date(late - 3_600_000, late, late, plus_one));
    }

    #[test]
    fn local_bounds_parse() {
        assert_eq!(
            LocalBound::parse("09:00"),
            Ok(Some(LocalBound::TimeOfDay(9 * 3600)))
        );
        assert_eq!(
            LocalBound::parse("9:00:30"),
            Ok(Some(LocalBound::TimeOfDay(9 * 3600 + 30)))
        );
        assert_eq!(LocalBound::parse("Today"), Ok(Some(LocalBound::Today)));
        assert_eq!(
            LocalBound::parse("yesterday"),
            Ok(Some(LocalBound::Yesterday))
        );
        assert_eq!(LocalBound::parse("15m"), Ok(None));
        assert_eq!(LocalBound::parse("2026-05-27T10:00:00Z"), Ok(None));
        for bad in ["25:00", "09:60", "09:00:61", "9:5"] {
            let e = LocalBound::parse(bad).unwrap_err();
            assert!(e.starts_with(&format!("bad time of day \"{bad}\"")), "{e}");
        }
    }

    #[test]
    fn local_bounds_resolve_in_the_zone() {
        // 13:00 CET on the 27th.
        let h = 3_600_000;
        let nine = LocalBound::TimeOfDay(9 * 3600);
        assert_eq!(nine.resolve(NOON_UTC, CET), NOON_UTC - 4 * h);
        assert_eq!(nine.resolve(NOON_UTC, Zone::Utc), NOON_UTC - 3 * h);
        // Later than the clock: yesterday's.
        let two_pm = LocalBound::TimeOfDay(14 * 3600);
        assert_eq!(two_pm.resolve(NOON_UTC, CET), NOON_UTC + h - DAY_MS);
        assert_eq!(LocalBound::Today.resolve(NOON_UTC, CET), NOON_UTC - 13 * h);
        assert_eq!(
            LocalBound::Yesterday.resolve(NOON_UTC, CET),
            NOON_UTC - 13 * h - DAY_MS
        );
        // Past midnight in the zone but not in UTC: the zone's day.
        let late = NOON_UTC + 11 * h + 30 * 60_000; // 23:30Z, 00:30 CET on the 28th
        assert_eq!(LocalBound::Today.resolve(late, CET), late - 30 * 60_000);
    }
}
