//! Newsletter issues: the catalog of sends and their progress at any
//! simulated moment.

use super::account::Account;
use crate::model::{SendProgress, SendStatus};

/// What happens to an issue, for the catalog.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IssueFate {
    /// Sends for longer than a demo lasts.
    LongRunning,
    /// Finishes as `sent` shortly after start.
    Sent,
    /// Ends as `failed` partway.
    Failed,
    /// Ends as `cancelled` partway.
    Cancelled,
    /// Was `sent` before the simulator started.
    AlreadySent,
    /// Odd-numbered connections fail with `poll_failed`.
    Flaky,
    /// Sends steadily with ~11% of what it sent bounced from the start:
    /// trips the dashboard's bounce-rate alert.
    HighBounce,
    /// Progresses for ~10 simulated s after start, then stays `sending`
    /// with unchanged numbers forever: trips the stall alert.
    Stalls,
}

impl IssueFate {
    pub fn describe(self) -> &'static str {
        match self {
            IssueFate::LongRunning => {
                "sending; outlasts a demo (ends `sent` after ~28 simulated min)"
            }
            IssueFate::Sent => "sending; ends `sent` within ~30 simulated s",
            IssueFate::Failed => "sending; ends `failed` at ~40% within ~50 simulated s",
            IssueFate::Cancelled => "sending; ends `cancelled` at ~25% within ~60 simulated s",
            IssueFate::AlreadySent => "already `sent`: one terminal event, then [DONE]",
            IssueFate::Flaky => {
                "odd-numbered connections: one event, then poll_failed and [DONE]; even ones normal"
            }
            IssueFate::HighBounce => {
                "sending for ~25 simulated min; ~11% of sent bounced from the start (alert: bounce rate)"
            }
            IssueFate::Stalls => {
                "sending; progress until ~10 simulated s, then the same numbers forever, stream open (alert: stall)"
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Stop {
    Complete,
    Fail(f64),
    Cancel(f64),
}

#[derive(Clone, Debug)]
pub(crate) struct Issue {
    pub(crate) id: &'static str,
    pub(crate) account: Account,
    pub(crate) fate: IssueFate,
    pub(crate) total: u64,
    /// Simulated time the send began (negative: before the simulator).
    start: f64,
    /// Recipients per simulated second.
    rate: f64,
    stop: Stop,
    open_share: f64,
    /// How long after delivery opens trail, in simulated seconds.
    open_lag: f64,
    bounce_share: f64,
    /// Simulated time the issue reaches its terminal state.
    end: f64,
    /// Simulated time after which its numbers never change again and it
    /// never ends: a send stuck upstream.
    stall: Option<f64>,
}

/// The sending rate wobbles by ±10% with this period, so progress does not
/// look machine-made; the wobble's slope never exceeds the rate, so `sent`
/// never goes backwards.
const WOBBLE_PERIOD: f64 = 23.0;

/// When `iss-stuck-import` stops moving, in simulated seconds from start.
const STALL_AT: f64 = 10.0;

impl Issue {
    fn new(
        id: &'static str,
        account: Account,
        fate: IssueFate,
        total: u64,
        start: f64,
        rate: f64,
        stop: Stop,
    ) -> Issue {
        let mut issue = Issue {
            id,
            account,
            fate,
            total,
            start,
            rate,
            stop,
            open_share: 0.35,
            open_lag: 240.0,
            bounce_share: 0.01,
            end: 0.0,
            stall: None,
        };
        if total < 20_000 {
            issue.open_lag = 45.0;
        }
        let target = issue.stop_sent() as f64;
        // raw() is increasing, so bisection finds when the target is reached.
        let (mut lo, mut hi) = (0.0f64, 2.0 * target / rate + 10.0);
        for _ in 0..80 {
            let mid = (lo + hi) / 2.0;
            if issue.raw_sent(mid) >= target {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        issue.end = start + hi;
        issue
    }

    fn stop_sent(&self) -> u64 {
        match self.stop {
            Stop::Complete => self.total,
            Stop::Fail(f) | Stop::Cancel(f) => (self.total as f64 * f).round() as u64,
        }
    }

    fn raw_sent(&self, u: f64) -> f64 {
        if u <= 0.0 {
            return 0.0;
        }
        let w = std::f64::consts::TAU / WOBBLE_PERIOD;
        self.rate * u + 0.1 * self.rate / w * (w * u).sin()
    }

    fn sent_at(&self, t: f64) -> u64 {
        if t >= self.end {
            return self.stop_sent();
        }
        (self.raw_sent(t - self.start).floor() as u64).min(self.stop_sent())
    }

    /// Opens trail sends: each send opens with probability `open_share`,
    /// after an exponentially distributed delay. With sends treated as
    /// uniform over the send window this integrates in closed form, and it
    /// keeps growing after the send ends, as opens do.
    fn opened_at(&self, t: f64) -> u64 {
        let duration = (self.end - self.start).max(1e-9);
        let r = self.stop_sent() as f64 / duration;
        let a = self.start;
        let b = t.min(self.end);
        if b <= a {
            return 0;
        }
        let tau = self.open_lag;
        let opened = self.open_share
            * r
            * ((b - a) - tau * ((-(t - b) / tau).exp() - (-(t - a) / tau).exp()));
        (opened.max(0.0).floor() as u64).min(self.sent_at(t))
    }

    fn bounced_at(&self, t: f64) -> u64 {
        // Bounces come back a few seconds after the send.
        (self.sent_at(t - 4.0) as f64 * self.bounce_share).floor() as u64
    }

    pub(crate) fn progress(&self, t: f64) -> SendProgress {
        // A stalled send is frozen at its stall moment, opens and bounces
        // included, and never reaches its end.
        let t = self.stall.map_or(t, |s| t.min(s));
        let status = if t < self.end {
            SendStatus::Sending
        } else {
            match self.stop {
                Stop::Complete => SendStatus::Sent,
                Stop::Fail(_) => SendStatus::Failed,
                Stop::Cancel(_) => SendStatus::Cancelled,
            }
        };
        SendProgress {
            status,
            sent: self.sent_at(t),
            total: self.total,
            opened: self.opened_at(t),
            bounced: self.bounced_at(t),
        }
    }

    pub(crate) fn is_flaky(&self) -> bool {
        self.fate == IssueFate::Flaky
    }
}

pub(crate) fn issues() -> Vec<Issue> {
    use Account::*;
    vec![
        Issue::new(
            "iss-weekly-digest",
            Demo,
            IssueFate::LongRunning,
            250_000,
            -120.0,
            150.0,
            Stop::Complete,
        ),
        Issue::new(
            "iss-spring-sale",
            Demo,
            IssueFate::Sent,
            4_200,
            -5.0,
            150.0,
            Stop::Complete,
        ),
        Issue::new(
            "iss-partner-update",
            Demo,
            IssueFate::Failed,
            12_000,
            0.0,
            100.0,
            Stop::Fail(0.4),
        ),
        Issue::new(
            "iss-flash-sale-reminder",
            Demo,
            IssueFate::Cancelled,
            20_000,
            0.0,
            90.0,
            Stop::Cancel(0.25),
        ),
        Issue::new(
            "iss-may-newsletter",
            Demo,
            IssueFate::AlreadySent,
            8_450,
            -7_200.0,
            120.0,
            Stop::Complete,
        ),
        Issue::new(
            "iss-flaky",
            Demo,
            IssueFate::Flaky,
            30_000,
            -60.0,
            60.0,
            Stop::Complete,
        ),
        // Issue 19's send-health alerts: a bounce rate well over 5% once
        // past 200 sent, and a send that stops moving.
        Issue {
            bounce_share: 0.11,
            ..Issue::new(
                "iss-cold-list",
                Demo,
                IssueFate::HighBounce,
                48_000,
                -60.0,
                30.0,
                Stop::Complete,
            )
        },
        Issue {
            stall: Some(STALL_AT),
            ..Issue::new(
                "iss-stuck-import",
                Demo,
                IssueFate::Stalls,
                25_000,
                -50.0,
                40.0,
                Stop::Complete,
            )
        },
        Issue::new(
            "iss-acme-quarterly",
            Other,
            IssueFate::LongRunning,
            150_000,
            -30.0,
            80.0,
            Stop::Complete,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issues_reach_their_fates_when_promised() {
        let all = issues();
        let by = |id: &str| all.iter().find(|i| i.id == id).unwrap().clone();
        assert_eq!(
            by("iss-spring-sale").progress(30.0).status,
            SendStatus::Sent
        );
        assert_eq!(
            by("iss-spring-sale").progress(0.0).status,
            SendStatus::Sending
        );
        let failed = by("iss-partner-update").progress(60.0);
        assert_eq!(failed.status, SendStatus::Failed);
        assert_eq!(failed.sent, 4_800);
        let cancelled = by("iss-flash-sale-reminder").progress(60.0);
        assert_eq!(cancelled.status, SendStatus::Cancelled);
        assert_eq!(cancelled.sent, 5_000);
        assert_eq!(
            by("iss-may-newsletter").progress(0.0).status,
            SendStatus::Sent
        );
        let digest = by("iss-weekly-digest");
        assert_eq!(digest.progress(900.0).status, SendStatus::Sending);
        let late = digest.progress(100_000.0);
        assert_eq!(late.status, SendStatus::Sent);
        assert!((0.33..0.36).contains(&(late.opened as f64 / late.total as f64)));
        assert!((0.009..0.011).contains(&(late.bounced as f64 / late.total as f64)));
    }

    #[test]
    fn issue_numbers_never_go_backwards() {
        for issue in issues() {
            let mut prev = issue.progress(-10.0);
            for step in 0..4000 {
                let p = issue.progress(step as f64 * 0.5);
                assert!(p.sent >= prev.sent, "{} sent went back", issue.id);
                assert!(p.opened >= prev.opened, "{} opened went back", issue.id);
                assert!(p.bounced >= prev.bounced, "{} bounced went back", issue.id);
                assert!(p.sent <= p.total && p.opened <= p.sent);
                prev = p;
            }
        }
    }

    fn by_id(id: &str) -> Issue {
        issues().into_iter().find(|i| i.id == id).unwrap()
    }

    #[test]
    fn cold_list_bounces_over_five_percent_from_the_start() {
        let issue = by_id("iss-cold-list");
        assert_eq!(issue.account, Account::Demo);
        for t in [0.0, 5.0, 30.0, 60.0, 300.0, 1_500.0] {
            let p = issue.progress(t);
            assert_eq!(p.status, SendStatus::Sending, "at {t}");
            assert!(p.sent >= 200, "at {t}: {p:?}");
            let share = p.bounced as f64 / p.sent as f64;
            assert!((0.09..=0.12).contains(&share), "at {t}: {share}");
        }
        // A visible rate: hundreds more sent every ten seconds.
        assert!(issue.progress(30.0).sent - issue.progress(20.0).sent > 200);
    }

    #[test]
    fn stuck_import_moves_then_freezes_while_sending() {
        let issue = by_id("iss-stuck-import");
        assert_eq!(issue.account, Account::Demo);
        let early = issue.progress(0.0);
        let stuck = issue.progress(15.0);
        assert!(stuck.sent > early.sent + 200, "{early:?} {stuck:?}");
        for step in 0..=570 {
            let t = 15.0 + step as f64 * 0.5;
            assert_eq!(issue.progress(t), stuck, "at {t}");
        }
        assert_eq!(stuck.status, SendStatus::Sending);
        assert_eq!(issue.progress(1e7), stuck);
        assert!(stuck.sent < stuck.total);
    }

    #[test]
    fn failed_and_cancelled_sends_end_within_the_first_minute() {
        for id in ["iss-partner-update", "iss-flash-sale-reminder"] {
            assert!(by_id(id).progress(59.0).status.is_terminal(), "{id}");
        }
    }
}
