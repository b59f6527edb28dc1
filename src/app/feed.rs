//! The live feed: inbox events and campaign endings, newest first.

use std::collections::VecDeque;

use super::cursor::ListCursor;
use super::detail::{EventField, campaign_update_fields, inbox_fields};
use crate::model::log::parse_timestamp_ms;
use crate::model::{CampaignUpdate, CampaignUpdateKind, InboxEvent};
use crate::sanitize::{MAX_TEXT_BYTES, clean_capped};

/// Events kept; older ones fall off the end.
pub const FEED_CAPACITY: usize = 5_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FeedKind {
    Email,
    Bounce,
    Complaint,
    Unsubscribe,
    CampaignStarted,
    CampaignCompleted,
    CampaignFailed,
    CampaignCancelled,
}

/// What the type toggles act on: the four contact events, and campaigns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FeedGroup {
    Email,
    Bounce,
    Complaint,
    Unsubscribe,
    Campaign,
}

impl FeedGroup {
    pub const ALL: [FeedGroup; 5] = [
        FeedGroup::Email,
        FeedGroup::Bounce,
        FeedGroup::Complaint,
        FeedGroup::Unsubscribe,
        FeedGroup::Campaign,
    ];

    pub fn label(self) -> &'static str {
        match self {
            FeedGroup::Email => "email",
            FeedGroup::Bounce => "bounce",
            FeedGroup::Complaint => "complaint",
            FeedGroup::Unsubscribe => "unsubscribe",
            FeedGroup::Campaign => "campaigns",
        }
    }

    /// The label where the legend is short of room.
    pub fn short_label(self) -> &'static str {
        match self {
            FeedGroup::Email => "mail",
            FeedGroup::Bounce => "bnc",
            FeedGroup::Complaint => "compl",
            FeedGroup::Unsubscribe => "unsub",
            FeedGroup::Campaign => "camp",
        }
    }

    fn bit(self) -> u8 {
        1 << self as u8
    }
}

impl FeedKind {
    pub fn group(self) -> FeedGroup {
        match self {
            FeedKind::Email => FeedGroup::Email,
            FeedKind::Bounce => FeedGroup::Bounce,
            FeedKind::Complaint => FeedGroup::Complaint,
            FeedKind::Unsubscribe => FeedGroup::Unsubscribe,
            FeedKind::CampaignStarted
            | FeedKind::CampaignCompleted
            | FeedKind::CampaignFailed
            | FeedKind::CampaignCancelled => FeedGroup::Campaign,
        }
    }

    /// The type marker, fixed width so rows line up.
    pub fn marker(self) -> &'static str {
        match self {
            FeedKind::Email => "MAIL ",
            FeedKind::Bounce => "BOUNC",
            FeedKind::Complaint => "COMPL",
            FeedKind::Unsubscribe => "UNSUB",
            FeedKind::CampaignStarted => "CAMP▶",
            FeedKind::CampaignCompleted => "CAMP✓",
            FeedKind::CampaignFailed => "CAMP✗",
            FeedKind::CampaignCancelled => "CAMP■",
        }
    }
}

/// One feed row, sanitized when it was made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedItem {
    /// Its number among the events the feed received, from 0: how the
    /// detail view finds it again as newer events push it down.
    pub id: u64,
    /// When it happened: the event's own time if it said, else when it
    /// arrived.
    pub at_ms: i64,
    pub kind: FeedKind,
    /// Who: sender, affected address, or campaign.
    pub who: String,
    /// What: subject, reason, or campaign counts.
    pub what: String,
    /// Every field of the event as received, for the detail view.
    pub fields: Vec<EventField>,
}

impl FeedItem {
    pub fn from_inbox(event: &InboxEvent, now_ms: i64) -> FeedItem {
        let at_ms = event.at().and_then(parse_timestamp_ms).unwrap_or(now_ms);
        let (kind, who, what) = match event {
            InboxEvent::EmailReceived(mail) => {
                let what = match &mail.to {
                    Some(to) if !to.is_empty() => format!("{} → {}", mail.subject, to),
                    _ => mail.subject.clone(),
                };
                (FeedKind::Email, mail.from.clone(), what)
            }
            InboxEvent::Bounce(c) | InboxEvent::Complaint(c) | InboxEvent::Unsubscribe(c) => {
                let kind = match event {
                    InboxEvent::Bounce(_) => FeedKind::Bounce,
                    InboxEvent::Complaint(_) => FeedKind::Complaint,
                    _ => FeedKind::Unsubscribe,
                };
                let campaign = c.campaign_name.as_deref().or(c.campaign_id.as_deref());
                let what = match (c.reason.as_deref(), campaign) {
                    (Some(reason), Some(campaign)) => format!("{reason} · {campaign}"),
                    (Some(reason), None) => reason.to_string(),
                    (None, Some(campaign)) => campaign.to_string(),
                    (None, None) => String::new(),
                };
                (kind, c.email.clone(), what)
            }
            InboxEvent::CampaignStarted(c) => {
                let what = match c.total {
                    Some(total) => format!("started · {} recipients", group_digits(total)),
                    None => "started".to_string(),
                };
                (
                    FeedKind::CampaignStarted,
                    campaign_label(&c.campaign_name, &c.campaign_id),
                    what,
                )
            }
            InboxEvent::CampaignCompleted(c) => {
                let mut what = String::from("completed");
                for (name, value) in [
                    ("sent", c.sent),
                    ("delivered", c.delivered),
                    ("opened", c.opened),
                ] {
                    if let Some(v) = value {
                        what.push_str(&format!(" · {name} {}", group_digits(v)));
                    }
                }
                (
                    FeedKind::CampaignCompleted,
                    campaign_label(&c.campaign_name, &c.campaign_id),
                    what,
                )
            }
        };
        FeedItem::new(at_ms, kind, &who, &what, inbox_fields(event))
    }

    /// A campaign's terminal update; `None` for progress.
    pub fn from_campaign(
        update: &CampaignUpdate,
        name: Option<&str>,
        now_ms: i64,
    ) -> Option<FeedItem> {
        let kind = match update.kind {
            CampaignUpdateKind::Progress => return None,
            CampaignUpdateKind::Completed => FeedKind::CampaignCompleted,
            CampaignUpdateKind::Failed => FeedKind::CampaignFailed,
            CampaignUpdateKind::Cancelled => FeedKind::CampaignCancelled,
        };
        let who = campaign_label(name.unwrap_or(""), &update.campaign_id);
        let sent = match update.total {
            Some(total) => format!("{}/{}", group_digits(update.sent), group_digits(total)),
            None => group_digits(update.sent),
        };
        let mut what = format!(
            "{} · sent {sent} · delivered {} · bounced {} · opened {}",
            update.kind.as_str(),
            group_digits(update.delivered),
            group_digits(update.bounced),
            group_digits(update.opened),
        );
        if let Some(reason) = &update.reason {
            what.push_str(&format!(" · {reason}"));
        }
        Some(FeedItem::new(
            now_ms,
            kind,
            &who,
            &what,
            campaign_update_fields(update),
        ))
    }

    fn new(at_ms: i64, kind: FeedKind, who: &str, what: &str, fields: Vec<EventField>) -> FeedItem {
        FeedItem {
            // Numbered when the feed takes it.
            id: 0,
            at_ms,
            kind,
            who: clean_capped(who, MAX_TEXT_BYTES).into_owned(),
            what: clean_capped(what, MAX_TEXT_BYTES).into_owned(),
            fields,
        }
    }
}

fn campaign_label(name: &str, id: &str) -> String {
    match (name.is_empty(), id.is_empty()) {
        (false, _) => name.to_string(),
        (true, false) => format!("campaign {id}"),
        (true, true) => "campaign".to_string(),
    }
}

/// `1234567` as `1,234,567`.
pub fn group_digits(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[derive(Debug, Default)]
pub struct FeedPane {
    /// Newest first.
    pub items: VecDeque<FeedItem>,
    /// Over the visible rows (after pausing and type filters).
    pub cursor: ListCursor,
    pub paused: bool,
    /// Items that arrived while paused; they sit at the front, hidden.
    pub pending: usize,
    /// Items that arrived while the pane was not focused.
    pub unread: usize,
    /// Bit per [`FeedGroup`]: set when that group is hidden.
    hidden: u8,
    /// Every event ever received, for the title.
    pub received: u64,
}

impl FeedPane {
    pub fn is_shown(&self, group: FeedGroup) -> bool {
        self.hidden & group.bit() == 0
    }

    pub fn toggle(&mut self, group: FeedGroup) {
        self.hidden ^= group.bit();
        self.cursor.to_first();
    }

    pub fn all_shown(&self) -> bool {
        self.hidden == 0
    }

    /// The rows to draw: not pending, not hidden; newest first.
    pub fn visible(&self) -> impl Iterator<Item = &FeedItem> {
        self.items
            .iter()
            .skip(self.pending)
            .filter(|item| self.is_shown(item.kind.group()))
    }

    pub fn visible_len(&self) -> usize {
        self.visible().count()
    }

    /// Adds the newest item. A reader who scrolled down keeps the same item
    /// selected; one at the top keeps seeing the newest.
    pub fn push(&mut self, mut item: FeedItem, focused: bool, height: usize) {
        let shown = self.is_shown(item.kind.group());
        item.id = self.received;
        self.items.push_front(item);
        self.received += 1;
        if self.paused {
            self.pending += 1;
        } else if shown && self.cursor.selected > 0 {
            let len = self.visible_len();
            self.cursor.shift(1, len, height);
        }
        if self.items.len() > FEED_CAPACITY {
            self.items.pop_back();
            self.pending = self.pending.min(self.items.len());
        }
        if !focused {
            self.unread += 1;
        }
    }

    /// The held item numbered `id`, if it is still held.
    pub fn get(&self, id: u64) -> Option<&FeedItem> {
        // Newest first, so numbered downwards: the offset from the front
        // is where it is, unless events were dropped in between.
        let newest = self.items.front()?.id;
        let at = usize::try_from(newest.checked_sub(id)?).ok()?;
        self.items.get(at).filter(|item| item.id == id)
    }

    pub fn toggle_pause(&mut self) {
        self.paused = !self.paused;
        if !self.paused {
            self.pending = 0;
            self.cursor.to_first();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::mail::{InboxCampaign, InboxContact, InboxMail};

    fn mail(subject: &str) -> InboxEvent {
        InboxEvent::EmailReceived(InboxMail {
            from: "a@x.io".into(),
            subject: subject.into(),
            ..InboxMail::default()
        })
    }

    #[test]
    fn items_from_every_inbox_type() {
        let at = "2026-05-27T10:00:00Z";
        let contact = InboxContact {
            email: "b@y.io".into(),
            reason: Some("mailbox full".into()),
            campaign_name: Some("Spring".into()),
            at: Some(at.into()),
            ..InboxContact::default()
        };
        let item = FeedItem::from_inbox(&InboxEvent::Bounce(contact.clone()), 5);
        assert_eq!(item.kind, FeedKind::Bounce);
        assert_eq!(item.who, "b@y.io");
        assert_eq!(item.what, "mailbox full · Spring");
        assert_eq!(item.at_ms, parse_timestamp_ms(at).unwrap());
        assert_eq!(
            FeedItem::from_inbox(&InboxEvent::Complaint(contact.clone()), 5).kind,
            FeedKind::Complaint
        );
        assert_eq!(
            FeedItem::from_inbox(&InboxEvent::Unsubscribe(contact), 5).kind,
            FeedKind::Unsubscribe
        );
        let started = InboxEvent::CampaignStarted(InboxCampaign {
            campaign_id: "c1".into(),
            total: Some(12_000),
            ..InboxCampaign::default()
        });
        let item = FeedItem::from_inbox(&started, 5);
        assert_eq!(
            (item.who.as_str(), item.what.as_str()),
            ("campaign c1", "started · 12,000 recipients")
        );
        assert_eq!(item.at_ms, 5);
        let completed = InboxEvent::CampaignCompleted(InboxCampaign {
            campaign_name: "Spring".into(),
            sent: Some(10),
            delivered: Some(9),
            ..InboxCampaign::default()
        });
        assert_eq!(
            FeedItem::from_inbox(&completed, 5).what,
            "completed · sent 10 · delivered 9"
        );
        let item = FeedItem::from_inbox(&mail("Hi\u{1b}[2J there"), 5);
        assert_eq!(
            (item.kind, item.what.as_str()),
            (FeedKind::Email, "Hi there")
        );
    }

    #[test]
    fn campaign_updates_only_when_terminal() {
        let mut update = CampaignUpdate {
            campaign_id: "c9".into(),
            sent: 5,
            total: Some(10),
            ..CampaignUpdate::default()
        };
        assert!(FeedItem::from_campaign(&update, None, 0).is_none());
        update.kind = CampaignUpdateKind::Cancelled;
        update.reason = Some("by user".into());
        let item = FeedItem::from_campaign(&update, Some("Spring"), 0).unwrap();
        assert_eq!(item.kind, FeedKind::CampaignCancelled);
        assert_eq!(item.who, "Spring");
        assert_eq!(
            item.what,
            "cancelled · sent 5/10 · delivered 0 · bounced 0 · opened 0 · by user"
        );
    }

    #[test]
    fn pause_hides_and_counts_new_items() {
        let mut feed = FeedPane::default();
        feed.push(FeedItem::from_inbox(&mail("one"), 0), true, 10);
        feed.toggle_pause();
        feed.push(FeedItem::from_inbox(&mail("two"), 0), true, 10);
        feed.push(FeedItem::from_inbox(&mail("three"), 0), true, 10);
        assert_eq!(feed.pending, 2);
        assert_eq!(
            feed.visible().map(|i| i.what.as_str()).collect::<Vec<_>>(),
            ["one"]
        );
        feed.toggle_pause();
        assert_eq!(feed.visible_len(), 3);
        assert_eq!(feed.visible().next().unwrap().what, "three");
    }

    #[test]
    fn a_scrolled_reader_keeps_the_selected_item() {
        let mut feed = FeedPane::default();
        for s in ["a", "b", "c"] {
            feed.push(FeedItem::from_inbox(&mail(s), 0), true, 10);
        }
        feed.cursor.move_by(1, 3, 10);
        assert_eq!(feed.visible().nth(feed.cursor.selected).unwrap().what, "b");
        feed.push(FeedItem::from_inbox(&mail("d"), 0), false, 10);
        assert_eq!(feed.visible().nth(feed.cursor.selected).unwrap().what, "b");
        assert_eq!(feed.unread, 1);
    }

    #[test]
    fn bounded() {
        let mut feed = FeedPane::default();
        for _ in 0..FEED_CAPACITY + 10 {
            feed.push(FeedItem::from_inbox(&mail("x"), 0), true, 10);
        }
        assert_eq!(feed.items.len(), FEED_CAPACITY);
        assert_eq!(feed.received, FEED_CAPACITY as u64 + 10);
    }

    #[test]
    fn type_toggles() {
        let mut feed = FeedPane::default();
        feed.push(FeedItem::from_inbox(&mail("x"), 0), true, 10);
        feed.toggle(FeedGroup::Email);
        assert!(!feed.is_shown(FeedGroup::Email));
        assert_eq!(feed.visible_len(), 0);
        feed.toggle(FeedGroup::Email);
        assert!(feed.all_shown());
    }

    #[test]
    fn digits() {
        assert_eq!(group_digits(0), "0");
        assert_eq!(group_digits(999), "999");
        assert_eq!(group_digits(1000), "1,000");
        assert_eq!(group_digits(1234567), "1,234,567");
    }
}
