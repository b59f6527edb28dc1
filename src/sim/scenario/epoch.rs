//! The epoch: how simulated seconds map to wall-clock time.

use chrono::{DateTime, SecondsFormat, Utc};

/// Simulated time, as seconds since the simulator started, mapped to wall
/// time through the epoch.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Epoch {
    pub(crate) ms: i64,
}

impl Epoch {
    pub(crate) fn from_datetime(t: DateTime<Utc>) -> Epoch {
        Epoch {
            ms: t.timestamp_millis(),
        }
    }

    pub(crate) fn wall_ms(self, t: f64) -> i64 {
        // `as` saturates, and so does the sum: times beyond any record's
        // (a past-only domain asked past its end) stay well defined.
        self.ms.saturating_add((t * 1000.0).floor() as i64)
    }

    /// Wall time of simulated time `t`, to the second, as the mail API's
    /// examples write it.
    pub(crate) fn rfc3339(self, t: f64) -> String {
        DateTime::<Utc>::from_timestamp_millis(self.wall_ms(t))
            .map(|d| d.to_rfc3339_opts(SecondsFormat::Secs, true))
            .unwrap_or_default()
    }

    /// Simulated time of a wall time in milliseconds.
    pub(crate) fn sim_of_ms(self, ms: i64) -> f64 {
        (ms - self.ms) as f64 / 1000.0
    }
}

/// A fixed epoch for tests (2026-05-28T20:26:40Z), so that record times do
/// not depend on when the tests run.
#[cfg(test)]
pub(super) const TEST_EPOCH: Epoch = Epoch {
    ms: 1_780_000_000_000,
};
