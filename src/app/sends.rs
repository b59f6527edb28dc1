//! The Sends pane: one row per newsletter issue and per campaign.

use std::collections::HashMap;

use super::cursor::ListCursor;
pub use super::rate::{RATE_HISTORY_SECS, RateMeter};
use crate::model::{CampaignUpdate, CampaignUpdateKind, SendProgress, SendStatus, Source};
use crate::sanitize::{MAX_TEXT_BYTES, clean_capped};

/// Campaign names remembered for campaigns not (yet) watched.
const MAX_CAMPAIGN_NAMES: usize = 4096;

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

    /// Milliseconds left at the windowed rate, while sending over a live
    /// stream. None while the stream is down (the rate it held is no
    /// longer news, and a rate decaying towards zero would only make the
    /// ETA grow without bound) and while the rate is unknown or zero.
    pub fn eta_ms(&self, stream_live: bool) -> Option<i64> {
        if self.phase != SendPhase::Sending || !stream_live {
            return None;
        }
        let left = self.total?.saturating_sub(self.sent);
        let rate = self.rate.per_second()?;
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

    /// The clock moved: the sparklines of running sends scroll on. Their
    /// rates do not change: only progress events move them.
    pub fn tick(&mut self, now_ms: i64) {
        for row in &mut self.rows {
            if row.phase == SendPhase::Sending {
                row.rate.advance(now_ms);
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
        assert!(row.eta_ms(true).is_some());
        assert_eq!(row.eta_ms(false), None);
        assert_eq!(row.elapsed_ms(20_000), Some(10_000));
        pane.apply_progress(&issue(), &progress(SendStatus::Sent, 1000, 1000), 21_000);
        let row = &pane.rows[0];
        assert_eq!(row.phase, SendPhase::Ended(Outcome::Sent));
        assert_eq!(row.ended_ms, Some(21_000));
        assert_eq!(row.elapsed_ms(99_000), Some(11_000));
        assert_eq!(row.eta_ms(true), None);
        assert_eq!(row.rate.per_second(), None);
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
