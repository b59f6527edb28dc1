//! Send throughput, from progress events alone.
//!
//! The rate is the sends counted over the last [`RATE_WINDOW_MS`] of
//! progress events divided by the time those events span: a time-weighted
//! moving average of the rate between consecutive events. Only a progress
//! event changes it. A clock tick must not: an upstream that polls every
//! few seconds would otherwise see the rate sag between its events and jump
//! back at each one, and the ETA swing with it.

use std::collections::VecDeque;

/// How many seconds of per-second throughput the sparkline keeps.
pub const RATE_HISTORY_SECS: usize = 120;

/// How far back the rate looks: long enough to smooth over an upstream
/// that reports every few seconds, short enough to follow a real change in
/// throughput within a minute.
pub const RATE_WINDOW_MS: i64 = 45_000;

/// Events closer together than this share one sample (the newest wins), so
/// an upstream that reports hundreds of times a second keeps the sample
/// list to a few dozen entries; the rate uses only the window's two ends.
const MIN_SAMPLE_SPACING_MS: i64 = 500;

/// Send throughput: a windowed rate and a per-second history.
#[derive(Clone, Debug, Default)]
pub struct RateMeter {
    /// Progress samples, oldest first: when each event was applied, and
    /// `sent` then. The oldest may lie before the window: it is the one
    /// the window's rate is measured from.
    samples: VecDeque<(i64, u64)>,
    /// Sends counted in each of the latest seconds, oldest first; the last
    /// entry is the second `history_end_sec`.
    pub history: VecDeque<u64>,
    history_end_sec: i64,
}

impl RateMeter {
    /// Takes a progress event's `sent` counter, applied at `now_ms`.
    pub fn sample(&mut self, now_ms: i64, sent: u64) {
        let Some(&(then_ms, then_sent)) = self.samples.back() else {
            self.samples.push_back((now_ms, sent));
            self.history_end_sec = now_ms.div_euclid(1000);
            return;
        };
        // A counter that goes down (a stream re-opened on another count)
        // is a fresh start: a rate across it would mean nothing.
        if sent < then_sent || now_ms < then_ms {
            self.samples.clear();
            self.samples.push_back((now_ms, sent));
            return;
        }
        let delta = sent - then_sent;
        let previous_ms = self
            .samples
            .len()
            .checked_sub(2)
            .and_then(|i| self.samples.get(i))
            .map(|&(t, _)| t);
        if previous_ms.is_some_and(|t| now_ms - t < MIN_SAMPLE_SPACING_MS) || now_ms == then_ms {
            // Merged into the newest sample: the rate is measured from the
            // window's oldest sample, so nothing is lost.
            if let Some(last) = self.samples.back_mut() {
                *last = (now_ms, sent);
            }
        } else {
            self.samples.push_back((now_ms, sent));
        }
        // Keep one sample at or before the window's start: the rate is
        // measured from it.
        while self
            .samples
            .get(1)
            .is_some_and(|&(t, _)| t <= now_ms - RATE_WINDOW_MS)
        {
            self.samples.pop_front();
        }
        self.record(now_ms.div_euclid(1000), delta);
    }

    /// Sends per second over the window, once two samples at different
    /// times are known.
    pub fn per_second(&self) -> Option<f64> {
        let (&(first_ms, first_sent), &(last_ms, last_sent)) =
            (self.samples.front()?, self.samples.back()?);
        let span_ms = last_ms - first_ms;
        (span_ms > 0).then(|| last_sent.saturating_sub(first_sent) as f64 * 1000.0 / span_ms as f64)
    }

    /// The clock moved: the sparkline's seconds go by, with nothing counted
    /// in them. The rate stays what the events said.
    pub fn advance(&mut self, now_ms: i64) {
        if !self.history.is_empty() {
            self.record(now_ms.div_euclid(1000), 0);
        }
    }

    fn record(&mut self, second: i64, delta: u64) {
        let gap = second.saturating_sub(self.history_end_sec);
        if gap > 0 || self.history.is_empty() {
            let zeros = usize::try_from(gap).unwrap_or(0).min(RATE_HISTORY_SECS);
            self.history.extend(std::iter::repeat_n(0, zeros.max(1)));
            self.history_end_sec = second.max(self.history_end_sec);
        }
        if let Some(last) = self.history.back_mut() {
            *last += delta;
        }
        while self.history.len() > RATE_HISTORY_SECS {
            self.history.pop_front();
        }
    }

    /// The send is over: nothing more is coming.
    pub fn stop(&mut self) {
        self.samples.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_converges_on_steady_throughput() {
        let mut meter = RateMeter::default();
        for s in 0..60 {
            meter.sample(s * 1000, s as u64 * 100);
        }
        let rate = meter.per_second().expect("a rate");
        assert!((rate - 100.0).abs() < 1.0, "{rate}");
        assert_eq!(meter.history.len(), 59);
        assert!(meter.history.iter().all(|&n| n == 100));
    }

    #[test]
    fn one_sample_or_one_instant_is_no_rate() {
        let mut meter = RateMeter::default();
        assert_eq!(meter.per_second(), None);
        meter.sample(0, 0);
        assert_eq!(meter.per_second(), None);
        // Two readings at one instant: the later one is the count then.
        meter.sample(0, 50);
        assert_eq!(meter.per_second(), None);
        meter.sample(1000, 100);
        assert_eq!(meter.per_second(), Some(50.0));
        assert_eq!(Vec::from(meter.history.clone()), [50, 50]);
    }

    #[test]
    fn history_fills_gaps_with_zeros() {
        let mut meter = RateMeter::default();
        meter.sample(0, 0);
        meter.sample(1000, 10);
        meter.sample(4000, 40);
        assert_eq!(Vec::from(meter.history.clone()), [10, 0, 0, 30]);
        meter.advance(6500);
        assert_eq!(Vec::from(meter.history.clone()), [10, 0, 0, 30, 0, 0]);
        assert_eq!(meter.per_second(), Some(10.0));
    }

    /// A true 170/s reported by events 1 to 3 s apart, each arriving up to
    /// 0.3 s after the server counted it, with the clock ticking every
    /// 250 ms: the rate stays within 3% of the truth, and never moves
    /// between two events.
    #[test]
    fn a_steady_rate_holds_between_events() {
        let mut meter = RateMeter::default();
        let mut rate_at_last_event = None;
        let mut next_event_ms = 0;
        let mut step = 0u64;
        for now_ms in (0..300_000).step_by(250) {
            meter.advance(now_ms);
            if now_ms == next_event_ms {
                // Pseudo-random but fixed gaps and delays.
                step += 1;
                let delay_ms = (step * 7919 % 4) as i64 * 100;
                let counted_ms = (now_ms - delay_ms).max(0);
                meter.sample(now_ms, (counted_ms as u64 * 170) / 1000);
                next_event_ms += 1000 * (1 + (step * 31 % 3) as i64);
                rate_at_last_event = meter.per_second();
            } else {
                assert_eq!(meter.per_second(), rate_at_last_event, "at {now_ms} ms");
            }
            if now_ms >= 20_000 {
                let rate = meter.per_second().expect("a rate");
                assert!((rate - 170.0).abs() < 170.0 * 0.03, "{rate} at {now_ms} ms");
            }
        }
        assert!(meter.samples.len() <= 2 + (RATE_WINDOW_MS / 1000) as usize);
    }

    #[test]
    fn the_rate_follows_a_change_within_the_window() {
        let mut meter = RateMeter::default();
        for s in 0..=60 {
            meter.sample(s * 1000, s as u64 * 100);
        }
        for s in 61..=120 {
            meter.sample(s * 1000, 6000 + (s as u64 - 60) * 300);
        }
        let rate = meter.per_second().expect("a rate");
        assert!((rate - 300.0).abs() < 300.0 * 0.03, "{rate}");
    }

    #[test]
    fn a_flood_of_events_keeps_few_samples() {
        let mut meter = RateMeter::default();
        for ms in 0..100_000 {
            meter.sample(ms, ms as u64);
        }
        assert!(meter.samples.len() < 100, "{}", meter.samples.len());
        let rate = meter.per_second().expect("a rate");
        assert!((rate - 1000.0).abs() < 1.0, "{rate}");
    }

    #[test]
    fn a_counter_going_down_starts_afresh() {
        let mut meter = RateMeter::default();
        meter.sample(0, 500);
        meter.sample(1000, 600);
        meter.sample(2000, 10);
        assert_eq!(meter.per_second(), None);
        meter.sample(3000, 60);
        assert_eq!(meter.per_second(), Some(50.0));
    }
}
