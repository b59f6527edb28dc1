//! The domains whose logs stream: who owns each, how it misbehaves, how
//! many records it has and when each record happens.

use super::account::Account;
use super::epoch::Epoch;
use super::rng::{Rng, SALT_TIME, hash};

/// How a domain's stream behaves besides sending its records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DomainBehavior {
    Normal,
    /// 429 twice, then served.
    RateLimited,
    /// 500 on the first request.
    FailsFirst,
    /// 200 with SSE headers, then not a byte.
    Stalled,
    /// The fixed stream of [`crate::sim::hostile`]: hostile text, broken
    /// records, a batch that is not JSON and an event over the cap.
    Hostile,
    /// Served normally, but about a quarter of its records are `bounced`,
    /// `failed` or `permanent_fail`: trips the dashboard's domain
    /// bounce/failure alert (issue 19).
    HighBounce,
}

#[derive(Clone, Debug)]
pub(crate) struct DomainSpec {
    pub(crate) name: &'static str,
    /// Record ids are `{prefix}-{index:08}`.
    pub(super) prefix: &'static str,
    pub(crate) account: Account,
    pub(crate) behavior: DomainBehavior,
    /// Records before the simulator started.
    pub(crate) backlog: u64,
    /// The backlog spreads evenly over this many simulated seconds before
    /// start.
    span: f64,
    /// A live domain logs one record about every this many simulated
    /// seconds after start.
    pub(crate) live_every: Option<f64>,
    pub(super) salt: u64,
}

pub(crate) fn domains() -> Vec<DomainSpec> {
    let d = |name, prefix, account, behavior, backlog, span, live_every, salt| DomainSpec {
        name,
        prefix,
        account,
        behavior,
        backlog,
        span,
        live_every,
        salt,
    };
    use Account::*;
    use DomainBehavior::*;
    vec![
        d(
            "shop.example.com",
            "shop",
            Demo,
            Normal,
            20_000,
            86_400.0,
            Some(0.2),
            1,
        ),
        d(
            "bulk.example.com",
            "bulk",
            Demo,
            Normal,
            500_000,
            259_200.0,
            None,
            2,
        ),
        d(
            "limited.example.com",
            "limited",
            Demo,
            RateLimited,
            300,
            86_400.0,
            Some(2.0),
            3,
        ),
        d(
            "flaky.example.com",
            "flaky",
            Demo,
            FailsFirst,
            2_000,
            172_800.0,
            None,
            4,
        ),
        d(
            "stalled.example.com",
            "stalled",
            Demo,
            Stalled,
            0,
            86_400.0,
            None,
            5,
        ),
        d(
            "other.example.org",
            "other",
            Other,
            Normal,
            1_000,
            86_400.0,
            None,
            6,
        ),
        // Its records come from `hostile::log_events`, not from `fill`; the
        // backlog is how many of them are valid.
        d(
            crate::sim::hostile::DOMAIN,
            "hostile",
            Demo,
            Hostile,
            18,
            3_600.0,
            None,
            7,
        ),
        // A sender with a deliverability problem: live, an hour of backlog,
        // and a bounce and failure share far over 10% at any moment.
        d(
            "bounces.example.com",
            "bounces",
            Demo,
            HighBounce,
            1_200,
            3_600.0,
            Some(0.5),
            8,
        ),
    ]
}

impl DomainSpec {
    pub(crate) fn is_live(&self) -> bool {
        self.live_every.is_some()
    }

    /// Simulated time of record `i`. Each record sits at a jittered point in
    /// its own slot, so times ascend with the index.
    fn record_t(&self, seed: u64, i: u64) -> f64 {
        let jitter = 0.05 + 0.9 * Rng::new(hash(seed, SALT_TIME ^ self.salt, i)).unit();
        if i < self.backlog {
            -self.span + (i as f64 + jitter) * (self.span / self.backlog as f64)
        } else {
            let every = self.live_every.unwrap_or(f64::INFINITY);
            ((i - self.backlog) as f64 + jitter) * every
        }
    }

    /// Wall time of record `i`, in milliseconds. Never on a whole second, so
    /// every timestamp shows its milliseconds.
    pub(crate) fn record_ms(&self, seed: u64, epoch: Epoch, i: u64) -> i64 {
        let ms = epoch.wall_ms(self.record_t(seed, i));
        if ms.rem_euclid(1000) == 0 {
            ms.saturating_add(1)
        } else {
            ms
        }
    }

    /// How many records exist at simulated time `t`: indices `0..n`.
    pub(crate) fn available(&self, seed: u64, t: f64) -> u64 {
        let Some(every) = self.live_every else {
            return self.backlog;
        };
        if t <= 0.0 {
            return self.backlog;
        }
        // Live record j lies in [j*every, (j+1)*every): only the last slot is
        // in doubt.
        let j = (t / every).floor() as u64;
        let live = if self.record_t(seed, self.backlog + j) <= t {
            j + 1
        } else {
            j
        };
        self.backlog + live
    }

    /// The first index in `0..n` whose wall time is at or after `ms` (or `n`).
    pub(crate) fn first_at_or_after(&self, seed: u64, epoch: Epoch, ms: i64, n: u64) -> u64 {
        let (mut lo, mut hi) = (0u64, n);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.record_ms(seed, epoch, mid) < ms {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::scenario::epoch::TEST_EPOCH;

    #[test]
    fn availability_and_time_search_agree_with_record_times() {
        let shop = &domains()[0];
        assert_eq!(shop.available(1, 0.0), 20_000);
        let n = shop.available(1, 10.0);
        assert!((20_045..=20_055).contains(&n), "{n}");
        assert!(shop.record_t(1, n - 1) <= 10.0 && shop.record_t(1, n) > 10.0);
        let ms = TEST_EPOCH.wall_ms(-3600.0);
        let i = shop.first_at_or_after(1, TEST_EPOCH, ms, 20_000);
        assert!(shop.record_ms(1, TEST_EPOCH, i) >= ms);
        assert!(shop.record_ms(1, TEST_EPOCH, i - 1) < ms);
    }
}
