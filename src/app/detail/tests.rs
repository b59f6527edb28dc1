use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::json;

use super::*;
use crate::app::{Action, AppOptions, update};
use crate::model::LogRecord;
use crate::model::mail::InboxMail;
use crate::model::{CampaignUpdateKind, SendProgress, SendStatus};
use crate::model::{UpstreamBody, UpstreamEvent};

fn key(state: &mut AppState, code: KeyCode) {
    update(state, Action::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

fn event(state: &mut AppState, source: &Source, body: UpstreamBody) {
    update(
        state,
        Action::Upstream(UpstreamEvent {
            source: source.clone(),
            generation: 1,
            body,
        }),
    );
}

fn issue(id: &str) -> Source {
    Source::SendProgress {
        issue_id: id.into(),
    }
}

fn mail(subject: &str) -> InboxEvent {
    InboxEvent::EmailReceived(InboxMail {
        from: "a@x.io".into(),
        subject: subject.into(),
        ..InboxMail::default()
    })
}

/// Two sends, three mails, three records, at 80x24.
fn state() -> AppState {
    let mut state = AppState::new(AppOptions::default());
    update(&mut state, Action::Resize(80, 24));
    for id in ["a", "b"] {
        let progress = SendProgress {
            status: SendStatus::Sending,
            sent: 1,
            total: 10,
            opened: 0,
            bounced: 0,
        };
        event(&mut state, &issue(id), UpstreamBody::Progress(progress));
    }
    for subject in ["one", "two", "three"] {
        event(
            &mut state,
            &Source::Inbox,
            UpstreamBody::Inbox(mail(subject)),
        );
    }
    let records = (0..3)
        .map(|i| LogRecord {
            id: format!("r{i}"),
            ..LogRecord::default()
        })
        .collect();
    let domain = Source::DomainLogs {
        domain: "acme.io".into(),
    };
    event(&mut state, &domain, UpstreamBody::Logs(records));
    state
}

fn opened(state: &AppState) -> Option<&DetailItem> {
    match &state.overlay {
        Overlay::Detail { item, .. } => Some(item),
        _ => None,
    }
}

#[test]
fn enter_opens_the_selected_row_of_each_pane() {
    let mut state = state();
    key(&mut state, KeyCode::Char('j'));
    key(&mut state, KeyCode::Enter);
    assert_eq!(opened(&state), Some(&DetailItem::Send(issue("b"))));
    key(&mut state, KeyCode::Esc);
    assert_eq!(opened(&state), None);

    // Newest first: the second row is the second newest, `two`, the
    // feed's event number 1.
    key(&mut state, KeyCode::Char('2'));
    key(&mut state, KeyCode::Char('j'));
    key(&mut state, KeyCode::Enter);
    assert_eq!(opened(&state), Some(&DetailItem::FeedEvent(1)));
    key(&mut state, KeyCode::Enter);
    assert_eq!(opened(&state), None, "Enter closes too");

    key(&mut state, KeyCode::Char('3'));
    key(&mut state, KeyCode::Char('g'));
    key(&mut state, KeyCode::Enter);
    let record = DetailItem::Record {
        domain: "acme.io".into(),
        seq: 0,
    };
    assert_eq!(opened(&state), Some(&record));
    key(&mut state, KeyCode::Char('q'));
    assert_eq!(opened(&state), None, "q closes, not quits");
}

#[test]
fn enter_on_an_empty_pane_opens_nothing() {
    let mut state = AppState::new(AppOptions::default());
    for pane in ['1', '2', '3'] {
        key(&mut state, KeyCode::Char(pane));
        key(&mut state, KeyCode::Enter);
        assert_eq!(opened(&state), None);
    }
}

/// The event stays the one opened as newer ones push it down the feed.
#[test]
fn a_feed_event_is_found_again_after_newer_ones() {
    let mut state = state();
    key(&mut state, KeyCode::Char('2'));
    key(&mut state, KeyCode::Enter);
    for subject in ["four", "five"] {
        event(
            &mut state,
            &Source::Inbox,
            UpstreamBody::Inbox(mail(subject)),
        );
    }
    let Some(DetailItem::FeedEvent(id)) = opened(&state) else {
        panic!("{:?}", state.overlay);
    };
    let item = state.feed.get(*id).expect("still held");
    assert_eq!(item.what, "three");
    assert_eq!(state.feed.get(99), None);
}

/// A send's detail holds its connection history too: long enough to
/// scroll at 80x24, by line, by page and to either end.
#[test]
fn the_detail_scrolls() {
    let mut state = state();
    for attempt in 2..30 {
        let conn = crate::model::ConnState::Reconnecting {
            attempt,
            delay: std::time::Duration::from_secs(1),
            reason: "connection reset by peer".into(),
        };
        event(&mut state, &issue("a"), UpstreamBody::Conn(conn));
    }
    key(&mut state, KeyCode::Enter);
    // Pages of 18 lines, as `ui` lays the detail out at 80x24.
    state.geometry.overlay_page = 18;
    state.geometry.overlay_scroll_limit = 30;
    let scroll = |state: &AppState| match state.overlay {
        Overlay::Detail { scroll, .. } => scroll,
        _ => panic!("closed"),
    };
    key(&mut state, KeyCode::Char('j'));
    assert_eq!(scroll(&state), 1);
    key(&mut state, KeyCode::PageDown);
    assert_eq!(scroll(&state), 1 + 18);
    key(&mut state, KeyCode::Char('G'));
    let bottom = scroll(&state);
    assert_eq!(bottom, 30);
    key(&mut state, KeyCode::Char('j'));
    assert_eq!(scroll(&state), bottom, "no further than the last line");
    key(&mut state, KeyCode::PageUp);
    assert_eq!(scroll(&state), bottom - 18);
    key(&mut state, KeyCode::Home);
    assert_eq!(scroll(&state), 0);
}

#[test]
fn event_fields_are_all_kept_and_cleaned() {
    let event: InboxEvent = serde_json::from_value(json!({
        "type": "bounce",
        "email": "b@y.io",
        "reason": "550 \u{1b}[31mblocked\u{1b}[0m",
        "severity": "hard",
        "attempts": 3,
        "x-\u{1b}]0;title\u{7}": "\u{202e}evil",
    }))
    .expect("a bounce");
    let fields = inbox_fields(&event);
    let pairs: Vec<(&str, &str, bool)> = fields
        .iter()
        .map(|f| (f.name.as_str(), f.value.as_str(), f.unknown))
        .collect();
    assert_eq!(
        pairs,
        [
            ("type", "bounce", false),
            ("email", "b@y.io", false),
            ("reason", "550 blocked", false),
            ("campaignId", "—", false),
            ("campaignName", "—", false),
            ("at", "—", false),
            ("severity", "hard", true),
            ("attempts", "3", true),
            ("x-", "evil", true),
        ]
    );
}

/// A hostile event's thousands of fields are counted past the budget,
/// not kept.
#[test]
fn an_event_keeps_at_most_its_budget() {
    let mut update = CampaignUpdate {
        kind: CampaignUpdateKind::Failed,
        campaign_id: "c1".into(),
        ..CampaignUpdate::default()
    };
    for i in 0..1000 {
        update
            .extra
            .insert(format!("field{i}"), Value::String("x".repeat(100)));
    }
    let fields = campaign_update_fields(&update);
    let bytes: usize = fields.iter().map(|f| f.name.len() + f.value.len()).sum();
    assert!(bytes <= MAX_EVENT_BYTES + 100, "{bytes}");
    let last = fields.last().expect("fields");
    assert!(last.value.ends_with("more fields, not kept (over 8 KiB)"));
    assert_eq!(fields[0].value, "failed");
}
