//! Medians and percentiles of timed samples, as the reports give them.

use std::time::Duration;

/// The median of some durations (the mean of the middle two for an even
/// count).
pub fn median(samples: &[Duration]) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    match sorted.len() {
        0 => Duration::ZERO,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2,
    }
}

/// The `p`-th percentile (0..=100), nearest rank.
pub fn percentile(samples: &[Duration], p: f64) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

pub(super) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_and_percentiles() {
        let d = |v: &[u64]| {
            v.iter()
                .map(|&ms| Duration::from_millis(ms))
                .collect::<Vec<_>>()
        };
        assert_eq!(median(&d(&[3, 1, 2])), Duration::from_millis(2));
        assert_eq!(median(&d(&[4, 1, 2, 3])), Duration::from_micros(2500));
        assert_eq!(median(&[]), Duration::ZERO);
        let hundred = d(&(1..=100).collect::<Vec<_>>());
        assert_eq!(percentile(&hundred, 99.0), Duration::from_millis(99));
        assert_eq!(percentile(&hundred, 100.0), Duration::from_millis(100));
        assert_eq!(percentile(&d(&[5]), 99.0), Duration::from_millis(5));
    }
}
