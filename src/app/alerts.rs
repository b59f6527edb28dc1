//! Send health: the streams' events judged by [`AlertRules`], alerts
//! raised when a rule's condition holds and cleared once it has stayed
//! false for `clear_after_secs`. Pure: time comes in as `now_ms`. The
//! reducer feeds it for the dashboard, the headless mode for its lines.

use std::collections::{BTreeMap, HashMap};

use crate::model::alert::{AlertKind, AlertNotice, AlertRules, AlertUnit};
use crate::model::mail::InboxContact;
use crate::model::{
    CampaignUpdateKind, ConnState, InboxEvent, LogEventType, SendStatus, Source, UpstreamBody,
    UpstreamEvent,
};

/// Cleared alerts kept for the list, besides the active ones.
const MAX_CLEARED: usize = 200;

/// One alert, active or cleared.
#[derive(Clone, Debug, PartialEq)]
pub struct Alert {
    pub source: Source,
    pub kind: AlertKind,
    /// When the condition became true.
    pub since_ms: i64,
    /// The value when it was raised.
    pub value: f64,
    /// The value as last judged.
    pub latest: f64,
    pub threshold: f64,
    pub unit: AlertUnit,
    pub cleared_ms: Option<i64>,
    /// Since when the condition has been false, while it is still active.
    false_since_ms: Option<i64>,
}

impl Alert {
    pub fn is_active(&self) -> bool {
        self.cleared_ms.is_none()
    }

    fn notice(&self, raised: bool) -> AlertNotice {
        AlertNotice {
            source: self.source.clone(),
            kind: self.kind,
            raised,
            value: if raised { self.value } else { self.latest },
            threshold: self.threshold,
            unit: self.unit,
            since_ms: self.since_ms,
        }
    }
}

/// Where a send stands, from its own stream.
#[derive(Clone, Debug, Default)]
struct SendWatch {
    sent: u64,
    bounced: u64,
    status: Option<SendStatus>,
    /// When `sent` last moved (or the send was first seen).
    moved_ms: i64,
}

/// A domain's records by the second they are timed at, within the window.
#[derive(Clone, Debug, Default)]
struct DomainWindow {
    /// The watch's generation: a re-opened stream sends its records again.
    generation: u64,
    /// False while the domain's query filters on the server: its records
    /// are then not the domain's whole log, and their share says nothing.
    judged: bool,
    /// Second → (records, bounced or failed).
    seconds: BTreeMap<i64, (u32, u32)>,
}

/// A stream's connection: up since, or down since.
#[derive(Clone, Copy, Debug)]
struct Link {
    up: bool,
    since_ms: i64,
}

/// What the rules judge, and the alerts they raised.
#[derive(Clone, Debug, Default)]
pub struct Watchdog {
    rules: AlertRules,
    sends: HashMap<Source, SendWatch>,
    /// Complaints the inbox attributed to each send.
    complaints: HashMap<Source, u64>,
    domains: HashMap<String, DomainWindow>,
    links: HashMap<Source, Link>,
    /// Active and cleared, in the order they were raised.
    alerts: Vec<Alert>,
}

/// One rule's verdict on one subject.
struct Verdict {
    source: Source,
    kind: AlertKind,
    holds: bool,
    value: f64,
    threshold: f64,
    unit: AlertUnit,
    /// The condition cannot come back (the send ended, the subject left):
    /// an alert it held clears at once rather than after the hysteresis.
    settled: bool,
}

impl Watchdog {
    pub fn new(rules: AlertRules) -> Watchdog {
        Watchdog {
            rules,
            ..Watchdog::default()
        }
    }

    pub fn rules(&self) -> &AlertRules {
        &self.rules
    }

    /// Active and cleared alerts, oldest first.
    pub fn alerts(&self) -> &[Alert] {
        &self.alerts
    }

    pub fn active(&self) -> impl Iterator<Item = &Alert> {
        self.alerts.iter().filter(|a| a.is_active())
    }

    /// The active alerts about `source`.
    pub fn active_for<'a>(&'a self, source: &'a Source) -> impl Iterator<Item = &'a Alert> {
        self.active().filter(move |a| &a.source == source)
    }

    /// Takes in what an event says about a send, a domain or a stream.
    pub fn observe(&mut self, event: &UpstreamEvent, now_ms: i64) {
        let source = &event.source;
        match &event.body {
            UpstreamBody::Progress(p) => {
                self.send_numbers(source, p.sent, p.bounced, p.status, now_ms);
            }
            UpstreamBody::Campaign(c) => {
                let status = match c.kind {
                    CampaignUpdateKind::Progress => SendStatus::Sending,
                    CampaignUpdateKind::Completed => SendStatus::Sent,
                    CampaignUpdateKind::Failed => SendStatus::Failed,
                    CampaignUpdateKind::Cancelled => SendStatus::Cancelled,
                };
                self.send_numbers(source, c.sent, c.bounced, status, now_ms);
            }
            UpstreamBody::Inbox(InboxEvent::Complaint(contact)) => {
                if let Some(send) = named_send(contact) {
                    *self.complaints.entry(send).or_default() += 1;
                }
            }
            UpstreamBody::Logs(batch) => {
                let Source::DomainLogs { domain } = source else {
                    return;
                };
                let window = self.domains.entry(domain.clone()).or_insert(DomainWindow {
                    judged: true,
                    ..DomainWindow::default()
                });
                if window.generation != event.generation {
                    window.generation = event.generation;
                    window.seconds.clear();
                }
                if !window.judged {
                    return;
                }
                let oldest = now_ms.saturating_sub(self.rules.domain_window_secs as i64 * 1000);
                for (at, event_type) in batch.times().filter(|(at, _)| *at >= oldest) {
                    let counts = window.seconds.entry(at.div_euclid(1000)).or_default();
                    counts.0 = counts.0.saturating_add(1);
                    if is_bad(event_type) {
                        counts.1 = counts.1.saturating_add(1);
                    }
                }
            }
            UpstreamBody::Conn(state) => {
                let up = match state {
                    ConnState::Live => Some(true),
                    ConnState::Finished { .. } => None,
                    _ => Some(false),
                };
                match up {
                    None => {
                        self.links.remove(source);
                    }
                    Some(up) => {
                        let link = self.links.entry(source.clone()).or_insert(Link {
                            up: !up,
                            since_ms: now_ms,
                        });
                        if link.up != up {
                            *link = Link {
                                up,
                                since_ms: now_ms,
                            };
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// Whether a domain's records are its whole log (no server-side
    /// filter), so that their bounce share means something.
    pub fn judge_domain(&mut self, domain: &str, judged: bool) {
        let window = self.domains.entry(domain.to_string()).or_default();
        window.judged = judged;
        if !judged {
            window.seconds.clear();
        }
    }

    /// Stops judging `source` (unwatched, or its row dropped): its alerts
    /// go with it.
    pub fn forget(&mut self, source: &Source) {
        self.sends.remove(source);
        self.complaints.remove(source);
        self.links.remove(source);
        if let Source::DomainLogs { domain } = source {
            self.domains.remove(domain);
        }
        self.alerts.retain(|a| &a.source != source);
    }

    fn send_numbers(
        &mut self,
        source: &Source,
        sent: u64,
        bounced: u64,
        status: SendStatus,
        now_ms: i64,
    ) {
        let watch = self.sends.entry(source.clone()).or_insert(SendWatch {
            moved_ms: now_ms,
            ..SendWatch::default()
        });
        if sent != watch.sent {
            watch.moved_ms = now_ms;
        }
        watch.sent = sent;
        watch.bounced = bounced;
        watch.status = Some(status);
    }

    /// Judges every subject at `now_ms`: what was raised and what cleared.
    pub fn evaluate(&mut self, now_ms: i64) -> Vec<AlertNotice> {
        let verdicts = self.verdicts(now_ms);
        let clear_after = self.rules.clear_after_secs as i64 * 1000;
        let mut notices = Vec::new();
        for v in verdicts {
            let active = self
                .alerts
                .iter_mut()
                .find(|a| a.is_active() && a.source == v.source && a.kind == v.kind);
            match (active, v.holds) {
                (Some(alert), true) => {
                    alert.latest = v.value;
                    alert.false_since_ms = None;
                }
                (Some(alert), false) => {
                    alert.latest = v.value;
                    let since = *alert.false_since_ms.get_or_insert(now_ms);
                    if v.settled || now_ms - since >= clear_after {
                        alert.cleared_ms = Some(now_ms);
                        notices.push(alert.notice(false));
                    }
                }
                (None, true) => {
                    let alert = Alert {
                        source: v.source,
                        kind: v.kind,
                        since_ms: now_ms,
                        value: v.value,
                        latest: v.value,
                        threshold: v.threshold,
                        unit: v.unit,
                        cleared_ms: None,
                        false_since_ms: None,
                    };
                    notices.push(alert.notice(true));
                    self.alerts.push(alert);
                }
                (None, false) => {}
            }
        }
        self.drop_old_cleared();
        notices
    }

    fn drop_old_cleared(&mut self) {
        let cleared = self.alerts.iter().filter(|a| !a.is_active()).count();
        let mut extra = cleared.saturating_sub(MAX_CLEARED);
        self.alerts.retain(|a| {
            let drop = extra > 0 && !a.is_active();
            extra -= usize::from(drop);
            !drop
        });
    }

    fn verdicts(&mut self, now_ms: i64) -> Vec<Verdict> {
        let rules = &self.rules;
        let mut out = Vec::new();
        let percent = |part: u64, whole: u64| part as f64 * 100.0 / whole.max(1) as f64;
        for (source, send) in &self.sends {
            let verdict = |kind, holds, value, threshold, unit| Verdict {
                source: source.clone(),
                kind,
                holds,
                value,
                threshold,
                unit,
                settled: false,
            };
            let rated = send.sent >= rules.min_sent;
            if let Some(th) = rules.bounce_rate_pct {
                let rate = percent(send.bounced, send.sent);
                out.push(verdict(
                    AlertKind::BounceRate,
                    rated && rate > th,
                    rate,
                    th,
                    AlertUnit::Percent,
                ));
            }
            let complaints = self.complaints.get(source).copied().unwrap_or(0);
            if let Some(th) = rules.complaint_rate_pct {
                let rate = percent(complaints, send.sent);
                out.push(verdict(
                    AlertKind::ComplaintRate,
                    rated && rate > th,
                    rate,
                    th,
                    AlertUnit::Percent,
                ));
            }
            if let Some(th) = rules.stall_secs {
                let live_since = match self.links.get(source) {
                    Some(link) if link.up => Some(link.since_ms),
                    Some(_) => None,
                    // A source this watchdog never saw connect (tests,
                    // a replay): its progress alone says.
                    None => Some(i64::MIN),
                };
                let still = live_since.map_or(0.0, |since| {
                    (now_ms - send.moved_ms.max(since)) as f64 / 1000.0
                });
                let sending = send.status == Some(SendStatus::Sending);
                let ended = send.status.is_some_and(|s| s.is_terminal());
                out.push(Verdict {
                    settled: ended,
                    ..verdict(
                        AlertKind::Stalled,
                        sending && still >= th,
                        still,
                        th,
                        AlertUnit::Seconds,
                    )
                });
            }
            if rules.failed_or_cancelled {
                for (kind, status) in [
                    (AlertKind::Failed, SendStatus::Failed),
                    (AlertKind::Cancelled, SendStatus::Cancelled),
                ] {
                    let holds = send.status == Some(status);
                    out.push(verdict(kind, holds, 0.0, 0.0, AlertUnit::None));
                }
            }
        }
        if let Some(th) = rules.complaint_count {
            for (source, n) in &self.complaints {
                out.push(Verdict {
                    source: source.clone(),
                    kind: AlertKind::Complaints,
                    holds: *n as f64 >= th,
                    value: *n as f64,
                    threshold: th,
                    unit: AlertUnit::Count,
                    settled: false,
                });
            }
        }
        let oldest_second = (now_ms - rules.domain_window_secs as i64 * 1000).div_euclid(1000);
        for (domain, window) in &mut self.domains {
            // Seconds that left the window are gone for good.
            window.seconds = window.seconds.split_off(&oldest_second);
            let Some(th) = rules.domain_bounce_rate_pct else {
                continue;
            };
            let (total, bad) = window
                .seconds
                .values()
                .fold((0u64, 0u64), |(t, b), (n, k)| {
                    (t + u64::from(*n), b + u64::from(*k))
                });
            let rate = percent(bad, total);
            out.push(Verdict {
                source: Source::DomainLogs {
                    domain: domain.clone(),
                },
                kind: AlertKind::DomainBounces,
                holds: window.judged && total >= rules.domain_min_records && rate > th,
                value: rate,
                threshold: th,
                unit: AlertUnit::Percent,
                settled: false,
            });
        }
        if let Some(th) = rules.stream_down_secs {
            for (source, link) in &self.links {
                let down = if link.up {
                    0.0
                } else {
                    (now_ms - link.since_ms) as f64 / 1000.0
                };
                out.push(Verdict {
                    source: source.clone(),
                    kind: AlertKind::StreamDown,
                    holds: !link.up && down >= th,
                    value: down,
                    threshold: th,
                    unit: AlertUnit::Seconds,
                    settled: false,
                });
            }
        }
        // Subjects that left (a stream that finished) have nothing more to
        // judge: their alerts clear at once.
        for alert in self.alerts.iter().filter(|a| a.is_active()) {
            if !out
                .iter()
                .any(|v| v.source == alert.source && v.kind == alert.kind)
            {
                out.push(Verdict {
                    source: alert.source.clone(),
                    kind: alert.kind,
                    holds: false,
                    value: alert.latest,
                    threshold: alert.threshold,
                    unit: alert.unit,
                    settled: true,
                });
            }
        }
        // The maps' order is arbitrary: notices of one tick come out in
        // one order, the same every run.
        out.sort_by(|a, b| (&a.source, a.kind).cmp(&(&b.source, b.kind)));
        out
    }
}

/// The send a complaint names: a campaign by `campaignId`, or an issue by
/// an `issueId` the event may carry among its other fields.
fn named_send(contact: &InboxContact) -> Option<Source> {
    if let Some(id) = contact.campaign_id.as_deref().filter(|id| !id.is_empty()) {
        return Some(Source::Campaign {
            campaign_id: id.to_string(),
        });
    }
    ["issueId", "issue_id"]
        .iter()
        .find_map(|key| contact.extra.get(*key)?.as_str())
        .filter(|id| !id.is_empty())
        .map(|id| Source::SendProgress {
            issue_id: id.to_string(),
        })
}

/// Bounced, failed and permanent_fail: the records a domain rule counts.
fn is_bad(event_type: Option<LogEventType>) -> bool {
    matches!(
        event_type,
        Some(LogEventType::Bounced | LogEventType::Failed | LogEventType::PermanentFail)
    )
}

/// An alert's value as a person reads it: `11.2%`, `7`, `1m 05s`.
pub fn format_value(value: f64, unit: AlertUnit) -> String {
    match unit {
        AlertUnit::Percent if value < 1.0 => format!("{value:.2}%"),
        AlertUnit::Percent => format!("{value:.1}%"),
        AlertUnit::Count => format!("{value:.0}"),
        AlertUnit::Seconds => {
            let secs = value.max(0.0) as u64;
            if secs >= 60 {
                format!("{}m {:02}s", secs / 60, secs % 60)
            } else {
                format!("{secs}s")
            }
        }
        AlertUnit::None => String::new(),
    }
}

#[cfg(test)]
mod tests;
