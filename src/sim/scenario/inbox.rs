//! Inbox traffic: mail received, bounces, complaints and unsubscribes at a
//! steady random rate, plus the campaigns' start and completion events.

use serde_json::{Map, Value};

use super::account::Account;
use super::campaigns::{
    Campaign, CampaignFate, complaint_campaign, demo_campaigns_touching, other_campaign,
};
use super::epoch::Epoch;
use super::people::address;
use super::rng::{Rng, SALT_COMPLAINT, SALT_INBOX, hash};
use crate::model::InboxEvent;
use crate::model::mail::{InboxContact, InboxMail};

const INBOX_SUBJECTS: &[&str] = &[
    "Re: Order #{order}: wrong size",
    "Question about shipping to Canada",
    "Invoice INV-2026-0{order}",
    "Partnership inquiry",
    "Re: Your weekly digest",
    "Automatic reply: Spring Sale: 30% off everything",
    "Out of office until Monday",
    "Re: Refund processed for order #{order}",
    "Can I change my delivery address?",
    "Feedback on the new checkout",
    "Grüße aus München: Frage zur Bestellung",
    "Re: Webinar recording?",
    "Wholesale pricing for 200 units",
    "注文の確認について",
];
const INBOX_TO: &[&str] = &[
    "support@shop.example.com",
    "hello@shop.example.com",
    "orders@shop.example.com",
    "newsletter@shop.example.com",
];
const INBOX_BOUNCES: &[&str] = &[
    "550 5.1.1 User unknown",
    "552 5.2.2 Mailbox full",
    "550 5.7.1 Blocked by recipient policy",
    "554 5.7.1 Message rejected as spam",
    "550 5.1.2 Host unknown: domain does not exist",
];
const INBOX_COMPLAINTS: &[&str] = &[
    "Marked as spam (Yahoo FBL)",
    "Marked as spam (Outlook JMRP)",
    "abuse report via ARF",
];
const INBOX_UNSUBSCRIBES: &[&str] = &[
    "List-Unsubscribe one-click",
    "Preference center: all marketing",
    "Replied STOP",
    "Too many emails",
];

/// Probability, per simulated second, of a contact or mail event: about one
/// every 1.5 simulated seconds.
const INBOX_CHANCE: f64 = 0.65;

fn inbox_random_event(
    seed: u64,
    account: Account,
    slot: i64,
    epoch: Epoch,
) -> Option<(f64, InboxEvent)> {
    let salt = SALT_INBOX ^ (account as u64) << 32;
    let mut rng = Rng::new(hash(seed, salt, slot as u64));
    if rng.unit() >= INBOX_CHANCE {
        return None;
    }
    let t = slot as f64 + rng.range(0.02, 0.98);
    let at = Some(epoch.rfc3339(t));
    let (name, email) = address(&mut rng);
    let order = 40_000 + rng.below(9_000);
    let event = match rng.weighted(&[52, 21, 8, 19]) {
        0 => {
            let mut extra = Map::new();
            extra.insert("fromName".into(), Value::String(name));
            InboxEvent::EmailReceived(InboxMail {
                from: email,
                to: Some((*rng.pick(INBOX_TO)).to_string()),
                subject: rng
                    .pick(INBOX_SUBJECTS)
                    .replace("{order}", &order.to_string()),
                received_at: at,
                extra,
            })
        }
        kind => {
            // Contact events usually come from a running campaign.
            let running: Vec<Campaign> = match account {
                Account::Demo => demo_campaigns_touching(seed, t - 1.0, t)
                    .into_iter()
                    .filter(|c| c.start <= t && t < c.end + 60.0)
                    .collect(),
                Account::Other => vec![other_campaign(seed)],
            };
            let campaign = (!running.is_empty() && rng.below(10) < 8)
                .then(|| running[rng.below(running.len() as u64) as usize].clone());
            let contact = InboxContact {
                email,
                reason: Some(
                    (*rng.pick(match kind {
                        1 => INBOX_BOUNCES,
                        2 => INBOX_COMPLAINTS,
                        _ => INBOX_UNSUBSCRIBES,
                    }))
                    .to_string(),
                ),
                campaign_id: campaign.as_ref().map(|c| c.id.clone()),
                campaign_name: campaign.map(|c| c.name),
                at,
                extra: Map::new(),
            };
            match kind {
                1 => InboxEvent::Bounce(contact),
                2 => InboxEvent::Complaint(contact),
                _ => InboxEvent::Unsubscribe(contact),
            }
        }
    };
    Some((t, event))
}

/// The complaint campaign's complaints come one in each slot of this many
/// simulated seconds from start, for as long as it sends: with ~62 sent a
/// second that is ~0.4% of sent, four times the dashboard's 0.1% alert.
const COMPLAINT_EVERY: f64 = 4.0;

/// The complaint campaign's complaints in `(a, b]`, in order: one at a
/// jittered point of every slot from start until the campaign ends.
fn complaint_events(seed: u64, epoch: Epoch, a: f64, b: f64, out: &mut Vec<(f64, InboxEvent)>) {
    let campaign = complaint_campaign(seed);
    let b = b.min(campaign.end);
    if b <= a || b <= 0.0 {
        return;
    }
    let first = (a.max(0.0) / COMPLAINT_EVERY).floor() as u64;
    let last = (b / COMPLAINT_EVERY).floor() as u64;
    for slot in first..=last {
        let mut rng = Rng::new(hash(seed, SALT_COMPLAINT, slot));
        let t = (slot as f64 + rng.range(0.1, 0.9)) * COMPLAINT_EVERY;
        if t <= a || t > b {
            continue;
        }
        let (_, email) = address(&mut rng);
        let contact = InboxContact {
            email,
            reason: Some((*rng.pick(INBOX_COMPLAINTS)).to_string()),
            campaign_id: Some(campaign.id.clone()),
            campaign_name: Some(campaign.name.clone()),
            at: Some(epoch.rfc3339(t)),
            extra: Map::new(),
        };
        out.push((t, InboxEvent::Complaint(contact)));
    }
}

/// Inbox events of `account` that happen in `(a, b]` simulated time, in
/// order.
pub(crate) fn inbox_events(
    seed: u64,
    account: Account,
    epoch: Epoch,
    a: f64,
    b: f64,
) -> Vec<(f64, InboxEvent)> {
    let mut out = Vec::new();
    if b <= a {
        return out;
    }
    for slot in a.floor() as i64..=b.floor() as i64 {
        if let Some((t, e)) = inbox_random_event(seed, account, slot, epoch)
            && t > a
            && t <= b
        {
            out.push((t, e));
        }
    }
    let campaigns = match account {
        Account::Demo => {
            complaint_events(seed, epoch, a, b, &mut out);
            let mut cs = demo_campaigns_touching(seed, a, b);
            cs.push(complaint_campaign(seed));
            cs
        }
        Account::Other => vec![other_campaign(seed)],
    };
    for c in campaigns {
        if c.start > a && c.start <= b {
            out.push((c.start, c.started_event(epoch)));
        }
        if c.fate == CampaignFate::Completed && c.end > a && c.end <= b {
            out.push((c.end, c.completed_event(epoch)));
        }
    }
    out.sort_by(|x, y| x.0.total_cmp(&y.0));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::scenario::campaigns::{COMPLAINT_CAMPAIGN_NAME, demo_campaign};
    use crate::sim::scenario::epoch::TEST_EPOCH;

    #[test]
    fn inbox_flow_is_steady_and_covers_every_type() {
        let events = inbox_events(1, Account::Demo, TEST_EPOCH, 0.0, 600.0);
        let per_second = events.len() as f64 / 600.0;
        assert!((0.5..1.0).contains(&per_second), "{per_second}");
        let mut names: Vec<&str> = events.iter().map(|(_, e)| e.type_name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 6, "{names:?}");
        assert!(events.windows(2).all(|w| w[0].0 <= w[1].0));
        // Failed and cancelled campaigns end on their own channel only.
        for (_, e) in &events {
            if let InboxEvent::CampaignCompleted(c) = e
                && c.campaign_id != complaint_campaign(1).id
            {
                let k = (0..20)
                    .find(|k| demo_campaign(1, *k).id == c.campaign_id)
                    .unwrap();
                assert_eq!(demo_campaign(1, k).fate, CampaignFate::Completed);
            }
        }
        let completed = events
            .iter()
            .filter(|(_, e)| matches!(e, InboxEvent::CampaignCompleted(_)))
            .count();
        let started = events
            .iter()
            .filter(|(_, e)| matches!(e, InboxEvent::CampaignStarted(_)))
            .count();
        assert!(completed >= 8 && started >= 10, "{completed} {started}");
        // Splitting the window changes nothing.
        let mut halves = inbox_events(1, Account::Demo, TEST_EPOCH, 0.0, 250.5);
        halves.extend(inbox_events(1, Account::Demo, TEST_EPOCH, 250.5, 600.0));
        assert_eq!(halves, events);
    }

    #[test]
    fn complaint_campaign_complains_over_a_tenth_of_a_percent_on_the_inbox() {
        let campaign = complaint_campaign(1);
        assert!(campaign.start <= 0.0 && campaign.end > 60.0);
        // The schedule's running campaigns stay the first and last to end.
        let (k0, k1) = (demo_campaign(1, 0), demo_campaign(1, 1));
        assert!(k0.end < campaign.end && campaign.end < k1.end);
        let its_complaint = |e: &InboxEvent| match e {
            InboxEvent::Complaint(c) => c.campaign_id.as_ref() == Some(&campaign.id),
            _ => false,
        };
        let complaints_by = |t: f64| {
            inbox_events(1, Account::Demo, TEST_EPOCH, 0.0, t)
                .into_iter()
                .filter(|(_, e)| its_complaint(e))
                .collect::<Vec<_>>()
        };
        let by_30 = complaints_by(30.0);
        assert!(by_30.len() >= 5, "{}", by_30.len());
        for (_, e) in &by_30 {
            let InboxEvent::Complaint(c) = e else {
                unreachable!()
            };
            assert_eq!(c.campaign_name.as_deref(), Some(COMPLAINT_CAMPAIGN_NAME));
            assert!(c.email.contains('@') && c.reason.is_some());
        }
        let sent = campaign.numbers(30.0).sent;
        assert!((1_500..2_500).contains(&sent), "{sent}");
        let share = by_30.len() as f64 / sent as f64;
        assert!(share > 0.002, "{share}");
        // Over the threshold within the first ten seconds already.
        let by_10 = complaints_by(10.0).len() as f64;
        assert!(by_10 / campaign.numbers(10.0).sent as f64 > 0.001);
        // None after it ends; its completion is announced once.
        let late = inbox_events(1, Account::Demo, TEST_EPOCH, campaign.end, 600.0);
        assert!(!late.iter().any(|(_, e)| its_complaint(e)));
        let whole = inbox_events(1, Account::Demo, TEST_EPOCH, 0.0, 600.0);
        let ours = |e: &InboxEvent| match e {
            InboxEvent::CampaignCompleted(c) => c.campaign_id == campaign.id,
            e => its_complaint(e),
        };
        let added = whole.iter().filter(|(_, e)| ours(e)).count();
        assert_eq!(added, 20, "19 complaints and a completion");
    }
}
