//! Campaigns: the demo account's endless schedule, the second account's
//! one, their numbers at any simulated moment and the inbox events that
//! announce them.

use serde_json::Map;

use super::account::Account;
use super::epoch::Epoch;
use super::rng::{Rng, SALT_CAMPAIGN, SALT_CAMPAIGN_ID, SALT_COMPLAINT, hash};
use crate::model::mail::InboxCampaign;
use crate::model::{CampaignUpdate, CampaignUpdateKind, InboxEvent};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CampaignFate {
    Completed,
    Failed,
    Cancelled,
}

impl CampaignFate {
    pub fn as_str(self) -> &'static str {
        match self {
            CampaignFate::Completed => "completed",
            CampaignFate::Failed => "failed",
            CampaignFate::Cancelled => "cancelled",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Campaign {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) account: Account,
    pub(crate) start: f64,
    /// Simulated time it ends (completes, fails or is cancelled).
    pub(crate) end: f64,
    pub(crate) total: u64,
    pub(crate) fate: CampaignFate,
    /// Share of `total` sent when it ends.
    stop_share: f64,
    reason: Option<&'static str>,
}

const CAMPAIGN_NAMES: &[&str] = &[
    "May Newsletter",
    "Spring Sale: Last Call",
    "Product Update: Faster Checkout",
    "Webinar Invite: Deliverability 101",
    "Customer Survey 2026",
    "Weekly Digest",
    "New Arrivals: Summer Collection",
    "Win-back: We Miss You",
    "Loyalty Points Reminder",
    "Onboarding Day 3: Tips",
    "Black Friday Early Access",
    "Price Drop Alert",
];

/// Demo campaigns: two already running at start, then one about every 45
/// simulated seconds. The fourth fails and the sixth is cancelled, so both
/// endings show within the first few minutes of a demo.
const CAMPAIGN_EVERY: f64 = 45.0;
const CAMPAIGN_FAILS: u64 = 3;
const CAMPAIGN_CANCELLED: u64 = 5;
/// Longest campaign run, in simulated seconds.
const CAMPAIGN_MAX_RUN: f64 = 180.0;

pub(crate) fn demo_campaign(seed: u64, k: u64) -> Campaign {
    let mut rng = Rng::new(hash(seed, SALT_CAMPAIGN, k));
    let (start, run) = match k {
        0 => (-rng.range(85.0, 105.0), rng.range(125.0, 150.0)),
        1 => (-rng.range(20.0, 40.0), rng.range(100.0, 160.0)),
        _ => (
            CAMPAIGN_EVERY * (k - 1) as f64 + rng.range(-8.0, 8.0),
            rng.range(60.0, CAMPAIGN_MAX_RUN),
        ),
    };
    let total = (2_000 + rng.below(58_001)) / 10 * 10;
    let (fate, stop_share, reason) = match k {
        CAMPAIGN_FAILS => (
            CampaignFate::Failed,
            rng.range(0.35, 0.6),
            Some("SMTP relay rejected the sender: 535 5.7.8 authentication credentials invalid"),
        ),
        CAMPAIGN_CANCELLED => (
            CampaignFate::Cancelled,
            rng.range(0.2, 0.5),
            Some("Cancelled by maria@shop.example.com"),
        ),
        _ => (CampaignFate::Completed, 1.0, None),
    };
    let base = CAMPAIGN_NAMES[(k as usize) % CAMPAIGN_NAMES.len()];
    let name = if base == "Weekly Digest" {
        format!("{base} #{}", 214 + k / CAMPAIGN_NAMES.len() as u64)
    } else if k as usize >= CAMPAIGN_NAMES.len() {
        format!("{base} ({})", k as usize / CAMPAIGN_NAMES.len() + 1)
    } else {
        base.to_string()
    };
    Campaign {
        id: format!("cmp-{:08x}", hash(seed, SALT_CAMPAIGN_ID, k) as u32),
        name,
        account: Account::Demo,
        start,
        end: start + run,
        total,
        fate,
        stop_share,
        reason,
    }
}

pub(crate) fn other_campaign(seed: u64) -> Campaign {
    Campaign {
        id: format!(
            "cmp-{:08x}",
            hash(seed ^ 0x07be, SALT_CAMPAIGN_ID, 0) as u32
        ),
        name: "Acme Quarterly Update".into(),
        account: Account::Other,
        start: -30.0,
        end: 570.0,
        total: 15_000,
        fate: CampaignFate::Completed,
        stop_share: 1.0,
        reason: None,
    }
}

/// The demo's complaint-prone campaign (issue 19's complaint-rate alert):
/// running at start, so the demo watches it, and outside the schedule, so
/// the schedule and the inbox's random traffic are what they always were.
/// Its complaints come on the inbox (see `inbox::complaint_events`). It
/// ends between the schedule's two running campaigns, which stay the
/// soonest and the latest to end among those running at start.
pub(crate) fn complaint_campaign(seed: u64) -> Campaign {
    Campaign {
        id: format!(
            "cmp-{:08x}",
            hash(seed ^ SALT_COMPLAINT, SALT_CAMPAIGN_ID, 0) as u32
        ),
        name: COMPLAINT_CAMPAIGN_NAME.into(),
        account: Account::Demo,
        start: -2.0,
        end: 76.0,
        total: 4_800,
        fate: CampaignFate::Completed,
        stop_share: 1.0,
        reason: None,
    }
}

pub(crate) const COMPLAINT_CAMPAIGN_NAME: &str = "Reactivation: Dormant Subscribers";

/// Demo campaigns whose lifetime touches `(a, b]`, in schedule order.
pub(crate) fn demo_campaigns_touching(seed: u64, a: f64, b: f64) -> Vec<Campaign> {
    let first = ((a - CAMPAIGN_MAX_RUN - 8.0) / CAMPAIGN_EVERY)
        .floor()
        .max(0.0) as u64;
    let last = ((b + 8.0) / CAMPAIGN_EVERY).ceil().max(0.0) as u64 + 2;
    (first..=last)
        .map(|k| demo_campaign(seed, k))
        .filter(|c| c.end > a && c.start <= b)
        .collect()
}

/// Campaign numbers at a moment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct CampaignNumbers {
    pub(crate) sent: u64,
    pub(crate) delivered: u64,
    pub(crate) bounced: u64,
    pub(crate) opened: u64,
}

impl Campaign {
    fn sent_at(&self, t: f64) -> u64 {
        let run = (self.end - self.start).max(1e-9);
        let u = ((t - self.start) / run).clamp(0.0, 1.0);
        (self.total as f64 * self.stop_share * u).floor() as u64
    }

    pub(crate) fn numbers(&self, t: f64) -> CampaignNumbers {
        let t = t.min(self.end);
        let sent = self.sent_at(t);
        let bounced = (self.sent_at(t - 4.0) as f64 * 0.012).floor() as u64;
        let delivered = ((self.sent_at(t - 2.0) as f64 * 0.985).floor() as u64)
            .min(sent.saturating_sub(bounced));
        // Opens trail delivery by ~90 s; a simple lag keeps this monotone.
        let opened = (self.sent_at(t - 90.0) as f64 * 0.24 + self.sent_at(t - 20.0) as f64 * 0.04)
            .floor() as u64;
        CampaignNumbers {
            sent,
            delivered,
            bounced,
            opened: opened.min(delivered),
        }
    }

    pub(crate) fn update(&self, t: f64) -> CampaignUpdate {
        let kind = if t < self.end {
            CampaignUpdateKind::Progress
        } else {
            match self.fate {
                CampaignFate::Completed => CampaignUpdateKind::Completed,
                CampaignFate::Failed => CampaignUpdateKind::Failed,
                CampaignFate::Cancelled => CampaignUpdateKind::Cancelled,
            }
        };
        let n = self.numbers(t);
        CampaignUpdate {
            kind,
            campaign_id: self.id.clone(),
            sent: n.sent,
            total: Some(self.total),
            delivered: n.delivered,
            bounced: n.bounced,
            opened: n.opened,
            reason: if kind.is_terminal() {
                self.reason.map(str::to_string)
            } else {
                None
            },
            extra: Map::new(),
        }
    }

    pub(super) fn started_event(&self, epoch: Epoch) -> InboxEvent {
        InboxEvent::CampaignStarted(InboxCampaign {
            campaign_id: self.id.clone(),
            campaign_name: self.name.clone(),
            total: Some(self.total),
            started_at: Some(epoch.rfc3339(self.start)),
            ..InboxCampaign::default()
        })
    }

    pub(super) fn completed_event(&self, epoch: Epoch) -> InboxEvent {
        let n = self.numbers(self.end);
        InboxEvent::CampaignCompleted(InboxCampaign {
            campaign_id: self.id.clone(),
            campaign_name: self.name.clone(),
            total: Some(self.total),
            sent: Some(n.sent),
            delivered: Some(n.delivered),
            opened: Some(n.opened),
            started_at: Some(epoch.rfc3339(self.start)),
            completed_at: Some(epoch.rfc3339(self.end)),
            ..InboxCampaign::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn campaign_schedule_has_two_running_and_one_of_each_ending() {
        let cs: Vec<Campaign> = (0..12).map(|k| demo_campaign(1, k)).collect();
        assert!(cs[0].start < 0.0 && cs[0].end > 0.0);
        assert!(cs[1].start < 0.0 && cs[1].end > 0.0);
        for c in &cs[2..] {
            assert!(c.start > 0.0);
            let run = c.end - c.start;
            assert!((60.0..=180.0).contains(&run), "{run}");
            assert!((2_000..=60_000).contains(&c.total));
        }
        let fates: Vec<CampaignFate> = cs.iter().map(|c| c.fate).collect();
        assert_eq!(
            fates.iter().filter(|f| **f == CampaignFate::Failed).count(),
            1
        );
        assert_eq!(
            fates
                .iter()
                .filter(|f| **f == CampaignFate::Cancelled)
                .count(),
            1
        );
        let ids: std::collections::HashSet<_> = cs.iter().map(|c| c.id.clone()).collect();
        assert_eq!(ids.len(), cs.len());
        let done = cs[0].update(cs[0].end);
        assert_eq!(done.kind, CampaignUpdateKind::Completed);
        assert_eq!(done.sent, cs[0].total);
    }
}
