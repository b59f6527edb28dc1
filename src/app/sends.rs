//! The Sends pane: one row per newsletter issue and per campaign.

use std::collections::{HashMap, VecDeque};

use super::cursor::ListCursor;
use crate::sanitize::{MAX_TEXT_BYTES, clean_capped};
use crate::upstream::{CampaignUpdate, CampaignUpdateKind, SendProgress, SendStatus, Source};

/// How many seconds of per-second throughput the sparkline keeps.
pub const RATE_HISTORY_SECS: usize = 120;
/// Campaign names remembered for campaigns not (yet) watched.
const MAX_CAMPAIGN_NAMES: usize = 4096;

/// Time constant of the smoothed rate: a change in throughput shows fully
/// after about three of these.
const RATE_TAU_MS: f64 = 5_000.0;

#[derive(Debug, Default)]
pub struct SendsPane {
    /// In the order they were first seen.
    pub rows: Vec<SendRow>,
    pub cursor: ListCursor,
    /// Campaign names learnt from inbox lifecycle events, by campaign id,
    /// for campaign rows that appear later.
    pub campaign_names: HashMap<String, String>,
}

/// Where a send is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendPhase {
    /// Watched, no progress yet.
    Waiting,
    Sending,
    /// A status this client does not know (not terminal).
    Unknown,
    Ended(Outcome),
}

/// How a send ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// A newsletter issue: all sent.
    Sent,
    /// A campaign: completed.
    Completed,
    Failed,
    Cancelled,
}

impl SendPhase {
    pub fn label(self) -> &'static str {
        match self {
            SendPhase::Waiting => "waiting",
            SendPhase::Sending => "sending",
            SendPhase::Unknown => "unknown",
            SendPhase::Ended(Outcome::Sent) => "sent",
            SendPhase::Ended(Outcome::Completed) => "completed",
            SendPhase::Ended(Outcome::Failed) => "failed",
            SendPhase::Ended(Outcome::Cancelled) => "cancelled",
        }
    }
}

#[derive(Debug)]
pub struct SendRow {
    /// `SendProgress` or `Campaign`.
    pub source: Source,
    /// The campaign's name, once an inbox event told it (sanitized).
    pub name: Option<String>,
    pub phase: SendPhase,
    pub sent: u64,
    pub total: Option<u64>,
    pub opened: u64,
    pub bounced: u64,
    /// Campaigns only.
    pub delivered: Option<u64>,
    /// Why a campaign failed or was cancelled (sanitized).
    pub reason: Option<String>,
    /// First progress event.
    pub started_ms: Option<i64>,
    /// When the terminal status arrived.
    pub ended_ms: Option<i64>,
    pub rate: RateMeter,
}

impl SendRow {
    fn new(source: Source, name: Option<String>) -> SendRow {
        SendRow {
            source,
            name,
            phase: SendPhase::Waiting,
            sent: 0,
            total: None,
            opened: 0,
            bounced: 0,
            delivered: None,
            reason: None,
            started_ms: None,
            ended_ms: None,
            rate: RateMeter::default(),
        }
    }

    /// Fraction sent, 0..=1, when the total is known.
    pub fn ratio(&self) -> Option<f64> {
        match self.total {
            Some(total) if total > 0 => Some((self.sent as f64 / total as f64).clamp(0.0, 1.0)),
            _ => None,
        }
    }

    /// Milliseconds from the first progress to the end (or to `now_ms`).
    pub fn elapsed_ms(&self, now_ms: i64) -> Option<i64> {
        let start = self.started_ms?;
        Some(self.ended_ms.unwrap_or(now_ms).saturating_sub(start).max(0))
    }

    /// Milliseconds left at the current smoothed rate, while sending.
    pub fn eta_ms(&self) -> Option<i64> {
        if self.phase != SendPhase::Sending {
            return None;
        }
        let left = self.total?.saturating_sub(self.sent);
        let rate = self.rate.per_second;
        (rate > 0.01).then(|| (left as f64 / rate * 1000.0).round() as i64)
    }

    fn start(&mut self, now_ms: i64, terminal: Option<Outcome>) {
        match terminal {
            Some(outcome) => {
                // When it ended and how long it took are known only for a
                // send seen running: one first seen already over has
                // neither (the API gives no times), rather than "took 0s".
                if self.started_ms.is_some()
                    && (self.ended_ms.is_none() || self.phase != SendPhase::Ended(outcome))
                {
                    self.ended_ms = Some(now_ms);
                }
                self.phase = SendPhase::Ended(outcome);
                self.rate.stop();
            }
            None => {
                self.started_ms.get_or_insert(now_ms);
                self.ended_ms = None;
            }
        }
    }
}

/// Send throughput: a smoothed rate and a per-second history.
#[derive(Clone, Debug, Default)]
pub struct RateMeter {
    /// Exponentially weighted moving average of sends per second.
    pub per_second: f64,
    /// The last sample: clock and `sent` then.
    last: Option<(i64, u64)>,
    /// Sends counted in each of the latest seconds, oldest first; the last
    /// entry is the second `history_end_sec`.
    pub history: VecDeque<u64>,
    history_end_sec: i64,
}

impl RateMeter {
    /// Takes a sample of the `sent` counter at `now_ms`. Samples at one
    /// clock instant are merged: the delta waits for the clock to move.
    pub fn sample(&mut self, now_ms: i64, sent: u64) {
        let Some((then_ms, then_sent)) = self.last else {
            self.last = Some((now_ms, sent));
            self.history_end_sec = now_ms.div_euclid(1000);
            return;
        };
        let dt_ms = now_ms - then_ms;
        if dt_ms <= 0 {
            return;
        }
        // A counter that goes down (a stream re-opened) is a fresh start.
        let delta = sent.saturating_sub(then_sent);
        let instant = delta as f64 * 1000.0 / dt_ms as f64;
        let alpha = 1.0 - (-(dt_ms as f64) / RATE_TAU_MS).exp();
        self.per_second += alpha * (instant - self.per_second);
        self.last = Some((now_ms, sent));
        self.record(now_ms.div_euclid(1000), delta);
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
    fn stop(&mut self) {
        self.per_second = 0.0;
        self.last = None;
    }
}

impl SendsPane {
    /// The row for `source`, created if it is new.
    pub fn row_mut(&mut self, source: &Source) -> &mut SendRow {
        let index = match self.rows.iter().position(|r| &r.source == source) {
            Some(i) => i,
            None => {
                let name = match source {
                    Source::Campaign { campaign_id } => {
                        self.campaign_names.get(campaign_id).cloned()
                    }
                    _ => None,
                };
                self.rows.push(SendRow::new(source.clone(), name));
                self.rows.len() - 1
            }
        };
        &mut self.rows[index]
    }

    pub fn remove(&mut self, source: &Source) -> bool {
        let before = self.rows.len();
        self.rows.retain(|r| &r.source != source);
        self.rows.len() != before
    }

    /// Selects `source`'s row, if it has one, keeping it in a view of
    /// `height` rows.
    pub fn select(&mut self, source: &Source, height: usize) {
        if let Some(index) = self.rows.iter().position(|r| &r.source == source) {
            self.cursor.selected = index;
            self.cursor.top = self.cursor.window_top(self.rows.len(), height);
        }
    }

    pub fn selected_row(&self) -> Option<&SendRow> {
        self.rows.get(self.cursor.selected_in(self.rows.len())?)
    }

    pub fn apply_progress(&mut self, source: &Source, progress: &SendProgress, now_ms: i64) {
        let row = self.row_mut(source);
        row.sent = progress.sent;
        row.total = (progress.total > 0).then_some(progress.total);
        row.opened = progress.opened;
        row.bounced = progress.bounced;
        let terminal = match progress.status {
            SendStatus::Sent => Some(Outcome::Sent),
            SendStatus::Failed => Some(Outcome::Failed),
            SendStatus::Cancelled => Some(Outcome::Cancelled),
            SendStatus::Sending | SendStatus::Unknown => None,
        };
        if terminal.is_none() {
            row.phase = if progress.status == SendStatus::Sending {
                SendPhase::Sending
            } else {
                SendPhase::Unknown
            };
            row.rate.sample(now_ms, progress.sent);
        }
        row.start(now_ms, terminal);
    }

    pub fn apply_campaign(&mut self, source: &Source, update: &CampaignUpdate, now_ms: i64) {
        let row = self.row_mut(source);
        row.sent = update.sent;
        if update.total.is_some() {
            row.total = update.total;
        }
        row.delivered = Some(update.delivered);
        row.bounced = update.bounced;
        row.opened = update.opened;
        if let Some(reason) = &update.reason {
            row.reason = Some(clean_capped(reason, MAX_TEXT_BYTES).into_owned());
        }
        let terminal = match update.kind {
            CampaignUpdateKind::Progress => None,
            CampaignUpdateKind::Completed => Some(Outcome::Completed),
            CampaignUpdateKind::Failed => Some(Outcome::Failed),
            CampaignUpdateKind::Cancelled => Some(Outcome::Cancelled),
        };
        if terminal.is_none() {
            row.phase = SendPhase::Sending;
            row.rate.sample(now_ms, update.sent);
        }
        row.start(now_ms, terminal);
    }

    /// Remembers a campaign's name for its row, now or later.
    pub fn learn_campaign_name(&mut self, campaign_id: &str, name: &str) {
        if campaign_id.is_empty() || name.is_empty() {
            return;
        }
        let name = clean_capped(name, MAX_TEXT_BYTES).into_owned();
        for row in &mut self.rows {
            if matches!(&row.source, Source::Campaign { campaign_id: id } if id == campaign_id) {
                row.name = Some(name.clone());
            }
        }
        // Names of campaigns nobody watches are kept for later, but not
        // without bound: a hostile inbox can announce endless campaigns.
        if self.campaign_names.len() < MAX_CAMPAIGN_NAMES
            || self.campaign_names.contains_key(campaign_id)
        {
            self.campaign_names.insert(campaign_id.to_string(), name);
        }
    }

    /// The clock moved: rates of running sends decay when nothing arrives.
    pub fn tick(&mut self, now_ms: i64) {
        for row in &mut self.rows {
            if row.phase == SendPhase::Sending {
                row.rate.sample(now_ms, row.sent);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issue() -> Source {
        Source::SendProgress {
            issue_id: "42".into(),
        }
    }

    fn progress(status: SendStatus, sent: u64, total: u64) -> SendProgress {
        SendProgress {
            status,
            sent,
            total,
            opened: sent / 4,
            bounced: sent / 100,
        }
    }

    #[test]
    fn rate_converges_on_steady_throughput() {
        let mut meter = RateMeter::default();
        for s in 0..60 {
            meter.sample(s * 1000, s as u64 * 100);
        }
        assert!(
            (meter.per_second - 100.0).abs() < 1.0,
            "{}",
            meter.per_second
        );
        assert_eq!(meter.history.len(), 59);
        assert!(meter.history.iter().all(|&n| n == 100));
    }

    #[test]
    fn samples_at_one_instant_wait_for_the_clock() {
        let mut meter = RateMeter::default();
        meter.sample(0, 0);
        meter.sample(0, 50);
        assert_eq!(meter.per_second, 0.0);
        meter.sample(1000, 100);
        assert!(meter.per_second > 0.0);
        assert_eq!(meter.history.back(), Some(&100));
    }

    #[test]
    fn history_fills_gaps_with_zeros() {
        let mut meter = RateMeter::default();
        meter.sample(0, 0);
        meter.sample(1000, 10);
        meter.sample(4000, 40);
        assert_eq!(Vec::from(meter.history.clone()), [10, 0, 0, 30]);
    }

    #[test]
    fn a_send_first_seen_over_has_no_times() {
        let mut pane = SendsPane::default();
        pane.apply_progress(&issue(), &progress(SendStatus::Sent, 1000, 1000), 10_000);
        let row = &pane.rows[0];
        assert_eq!(row.phase, SendPhase::Ended(Outcome::Sent));
        assert_eq!(row.ended_ms, None);
        assert_eq!(row.elapsed_ms(20_000), None);
    }

    #[test]
    fn progress_to_terminal() {
        let mut pane = SendsPane::default();
        pane.apply_progress(&issue(), &progress(SendStatus::Sending, 0, 1000), 10_000);
        pane.apply_progress(&issue(), &progress(SendStatus::Sending, 500, 1000), 15_000);
        let row = &pane.rows[0];
        assert_eq!(row.phase, SendPhase::Sending);
        assert_eq!(row.ratio(), Some(0.5));
        assert!(row.eta_ms().is_some());
        assert_eq!(row.elapsed_ms(20_000), Some(10_000));
        pane.apply_progress(&issue(), &progress(SendStatus::Sent, 1000, 1000), 21_000);
        let row = &pane.rows[0];
        assert_eq!(row.phase, SendPhase::Ended(Outcome::Sent));
        assert_eq!(row.ended_ms, Some(21_000));
        assert_eq!(row.elapsed_ms(99_000), Some(11_000));
        assert_eq!(row.eta_ms(), None);
        assert_eq!(row.rate.per_second, 0.0);
    }

    #[test]
    fn campaigns_learn_their_names() {
        let mut pane = SendsPane::default();
        let source = Source::Campaign {
            campaign_id: "c1".into(),
        };
        pane.learn_campaign_name("c1", "Spring \u{1b}[31msale");
        let update = CampaignUpdate {
            kind: CampaignUpdateKind::Failed,
            campaign_id: "c1".into(),
            sent: 10,
            total: Some(100),
            reason: Some("smtp\nrelay down".into()),
            ..CampaignUpdate::default()
        };
        pane.apply_campaign(&source, &update, 1000);
        let row = &pane.rows[0];
        assert_eq!(row.name.as_deref(), Some("Spring sale"));
        assert_eq!(row.reason.as_deref(), Some("smtp relay down"));
        assert_eq!(row.phase, SendPhase::Ended(Outcome::Failed));
        assert_eq!(row.delivered, Some(0));
    }
}
