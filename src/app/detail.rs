//! Enter: everything known about the selected row, in every pane, as lnav
//! shows a log line's fields. A send's every counter, time and connection
//! state; a feed event's every field as received, unknown ones included; a
//! log record's likewise (`ui::detail` draws them).
//!
//! Also the overlay's keys, and the fields of an upstream event as the
//! feed keeps them for it.

use serde_json::{Map, Value};

use super::keymap::KeyAction;
use super::{AppState, Command, Overlay, Pane};
use crate::model::mail::{InboxCampaign, InboxContact};
use crate::model::{CampaignUpdate, InboxEvent, Source};
use crate::sanitize::clean_capped;

/// What a detail view shows. It is looked up again at each frame, so a
/// send's detail follows its progress; an item that went (evicted, no
/// longer watched) says so.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DetailItem {
    /// A domain-log record, by its sequence number in the domain's store.
    Record { domain: String, seq: u64 },
    /// A send's row.
    Send(Source),
    /// A feed event, by [`super::feed::FeedItem::id`].
    FeedEvent(u64),
}

/// One field of an upstream event, sanitized when the event arrived.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventField {
    pub name: String,
    pub value: String,
    /// Not a field the client knows: kept from the event's `extra`.
    pub unknown: bool,
}

/// Bytes kept of one field's value: the detail wraps long values, but a
/// feed holds thousands of events and each keeps its fields.
const MAX_VALUE_BYTES: usize = 2048;
/// Bytes kept of one event's fields in all. A hostile inbox can send
/// events of a megabyte with thousands of unknown fields; past this the
/// rest are counted, not kept, so the feed's 5,000 events stay a few
/// megabytes at most.
const MAX_EVENT_BYTES: usize = 8192;
/// Bytes kept of a field's name.
const MAX_NAME_BYTES: usize = 64;

/// Collects an event's fields within [`MAX_EVENT_BYTES`].
struct Fields {
    fields: Vec<EventField>,
    bytes: usize,
    dropped: usize,
}

impl Fields {
    fn new(type_name: &str) -> Fields {
        let mut fields = Fields {
            fields: Vec::new(),
            bytes: 0,
            dropped: 0,
        };
        fields.known("type", Some(type_name));
        fields
    }

    fn push(&mut self, name: &str, value: &str, unknown: bool) {
        let name = clean_capped(name, MAX_NAME_BYTES);
        let value = clean_capped(value, MAX_VALUE_BYTES);
        let size = name.len() + value.len();
        if self.bytes + size > MAX_EVENT_BYTES {
            self.dropped += 1;
            return;
        }
        self.bytes += size;
        self.fields.push(EventField {
            name: name.into_owned(),
            value: value.into_owned(),
            unknown,
        });
    }

    /// A documented field; absent ones show as a dash, as a record's do.
    fn known(&mut self, name: &str, value: Option<&str>) {
        self.push(name, value.unwrap_or("—"), false);
    }

    fn number(&mut self, name: &str, value: Option<u64>) {
        self.known(name, value.map(|n| n.to_string()).as_deref());
    }

    fn finish(mut self, extra: &Map<String, Value>) -> Vec<EventField> {
        for (name, value) in extra {
            let text = match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            self.push(name, &text, true);
        }
        if self.dropped > 0 {
            let note = format!("{} more fields, not kept (over 8 KiB)", self.dropped);
            self.fields.push(EventField {
                name: "…".into(),
                value: note,
                unknown: true,
            });
        }
        self.fields
    }
}

/// Every field of an inbox event, with the names it has on the wire.
pub fn inbox_fields(event: &InboxEvent) -> Vec<EventField> {
    let mut fields = Fields::new(event.type_name());
    let extra = match event {
        InboxEvent::EmailReceived(mail) => {
            fields.known("from", Some(&mail.from));
            fields.known("to", mail.to.as_deref());
            fields.known("subject", Some(&mail.subject));
            fields.known("receivedAt", mail.received_at.as_deref());
            &mail.extra
        }
        InboxEvent::Bounce(c) | InboxEvent::Complaint(c) | InboxEvent::Unsubscribe(c) => {
            contact_fields(&mut fields, c);
            &c.extra
        }
        InboxEvent::CampaignStarted(c) | InboxEvent::CampaignCompleted(c) => {
            campaign_fields(&mut fields, c);
            &c.extra
        }
    };
    fields.finish(extra)
}

fn contact_fields(fields: &mut Fields, c: &InboxContact) {
    fields.known("email", Some(&c.email));
    fields.known("reason", c.reason.as_deref());
    fields.known("campaignId", c.campaign_id.as_deref());
    fields.known("campaignName", c.campaign_name.as_deref());
    fields.known("at", c.at.as_deref());
}

fn campaign_fields(fields: &mut Fields, c: &InboxCampaign) {
    fields.known("campaignId", Some(&c.campaign_id));
    fields.known("campaignName", Some(&c.campaign_name));
    fields.number("total", c.total);
    fields.number("sent", c.sent);
    fields.number("delivered", c.delivered);
    fields.number("opened", c.opened);
    fields.known("startedAt", c.started_at.as_deref());
    fields.known("completedAt", c.completed_at.as_deref());
}

/// Every field of a campaign channel's update.
pub fn campaign_update_fields(update: &CampaignUpdate) -> Vec<EventField> {
    let mut fields = Fields::new(update.kind.as_str());
    fields.known("campaignId", Some(&update.campaign_id));
    fields.number("sent", Some(update.sent));
    fields.number("total", update.total);
    fields.number("delivered", Some(update.delivered));
    fields.number("bounced", Some(update.bounced));
    fields.number("opened", Some(update.opened));
    fields.known("reason", update.reason.as_deref());
    fields.finish(&update.extra)
}

/// The selected row of the focused pane, if there is one.
fn selected(state: &AppState) -> Option<DetailItem> {
    match state.focus {
        Pane::Sends => Some(DetailItem::Send(state.sends.selected_row()?.source.clone())),
        Pane::Feed => {
            let index = state.feed.cursor.selected_in(state.feed.visible_len())?;
            Some(DetailItem::FeedEvent(state.feed.visible().nth(index)?.id))
        }
        Pane::Logs => {
            let view = state.logs.current()?;
            let index = view.cursor.selected_in(view.store.match_count())?;
            Some(DetailItem::Record {
                domain: view.domain.clone(),
                seq: view.store.match_seq(index)?,
            })
        }
    }
}

/// Opens the detail of the focused pane's selected row. False when there
/// is none.
pub fn open(state: &mut AppState) -> bool {
    let Some(item) = selected(state) else {
        return false;
    };
    state.overlay = Overlay::Detail { item, scroll: 0 };
    true
}

/// A key while a detail is open.
pub fn overlay_key(state: &mut AppState, action: KeyAction, commands: &mut Vec<Command>) {
    let limit = state.geometry.overlay_scroll_limit;
    let page = state.geometry.overlay_page.max(1);
    let Overlay::Detail { scroll, .. } = &mut state.overlay else {
        return;
    };
    match action {
        KeyAction::Up => *scroll = scroll.saturating_sub(1),
        KeyAction::Down => *scroll = scroll.saturating_add(1).min(limit),
        KeyAction::PageUp => *scroll = scroll.saturating_sub(page),
        KeyAction::PageDown => *scroll = scroll.saturating_add(page).min(limit),
        KeyAction::Top => *scroll = 0,
        KeyAction::Bottom => *scroll = limit,
        KeyAction::Close => state.overlay = Overlay::None,
        KeyAction::Quit => commands.push(Command::Quit),
        _ => {}
    }
}

#[cfg(test)]
mod tests;
