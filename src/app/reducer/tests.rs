//! The reducer, action by action: what the fixtures below build on.

use std::time::Duration;

use crossterm::event::{KeyCode, KeyModifiers, MouseEventKind};
use ratatui::layout::Rect;

use super::*;
use crate::app::feed::FeedGroup;
use crate::app::sends::{Outcome, SendPhase};
use crate::app::{AppOptions, Geometry, Overlay, Viewports};
use crate::model::mail::{InboxCampaign, InboxContact, InboxMail};
use crate::model::{
    CampaignUpdate, CampaignUpdateKind, InboxEvent, SendProgress, SendStatus, StopReason,
};
use crate::model::{LogEventType, LogRecord};

/// The alert list (`!`).
mod alerts;
mod keys_and_overlays;
mod logs;
/// The rate and ETA of sends, and how long an error stays news (issue 16).
mod rate_and_errors;
mod sends_and_feed;

const NOW: i64 = 1_780_000_000_000;

/// The reducer's world in these tests: panes stacked on an 80x24 screen,
/// as `ui` lays them out there with the Sends pane focused. It stays put:
/// the event loop's re-layout after each action is `dashboard`'s to test.
const SCREEN: Geometry = Geometry {
    viewports: Viewports {
        sends: 2,
        feed: 3,
        logs: 6,
    },
    panes: [
        Rect::new(0, 0, 80, 6),
        Rect::new(0, 6, 80, 5),
        Rect::new(0, 11, 80, 11),
    ],
    overlay_page: 0,
    overlay_scroll_limit: 0,
    histogram_columns: 72,
};

fn state() -> AppState {
    with_options(AppOptions::default())
}

fn with_options(options: AppOptions) -> AppState {
    let mut s = AppState::new(AppOptions {
        now_ms: NOW,
        log_limit: 1000,
        ..options
    });
    s.geometry = SCREEN;
    s
}

/// An overlay that scrolls `limit` lines past its first page of `page`.
fn overlay_scrolls(s: &mut AppState, page: u16, limit: u16) {
    s.geometry.overlay_page = page;
    s.geometry.overlay_scroll_limit = limit;
}

fn press(code: KeyCode) -> Action {
    Action::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn ch(c: char) -> Action {
    press(KeyCode::Char(c))
}

fn ctrl(c: char) -> Action {
    Action::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

fn typed(state: &mut AppState, text: &str) -> Vec<Command> {
    text.chars().flat_map(|c| update(state, ch(c))).collect()
}

fn upstream(source: &Source, body: UpstreamBody) -> Action {
    Action::Upstream(UpstreamEvent {
        source: source.clone(),
        generation: 1,
        body,
    })
}

fn issue(id: &str) -> Source {
    Source::SendProgress {
        issue_id: id.into(),
    }
}

fn campaign(id: &str) -> Source {
    Source::Campaign {
        campaign_id: id.into(),
    }
}

fn domain(name: &str) -> Source {
    Source::DomainLogs {
        domain: name.into(),
    }
}

fn progress(status: SendStatus, sent: u64) -> UpstreamBody {
    UpstreamBody::Progress(SendProgress {
        status,
        sent,
        total: 1000,
        opened: 10,
        bounced: 1,
    })
}

fn record(i: u64, event: LogEventType) -> LogRecord {
    LogRecord {
        id: format!("r{i}"),
        timestamp_ms: NOW - 100_000 + i as i64,
        event_type: Some(event),
        sender: "news@acme.io".into(),
        recipient: format!("user{i}@example.org"),
        subject: if i.is_multiple_of(2) {
            "Weekly digest"
        } else {
            "Receipt"
        }
        .into(),
        tags: vec!["newsletter".into()],
        message_id: format!("<m{i}>"),
        ..LogRecord::default()
    }
}

fn logs(n: u64) -> UpstreamBody {
    UpstreamBody::Logs(
        (0..n)
            .map(|i| {
                let t = if i % 3 == 0 {
                    LogEventType::Bounced
                } else {
                    LogEventType::Delivered
                };
                record(i, t)
            })
            .collect(),
    )
}

fn inbox(event: InboxEvent) -> Action {
    upstream(&Source::Inbox, UpstreamBody::Inbox(event))
}

fn mail(subject: &str) -> InboxEvent {
    InboxEvent::EmailReceived(InboxMail {
        from: "a@x.io".into(),
        subject: subject.into(),
        ..InboxMail::default()
    })
}

fn with_logs(n: u64) -> AppState {
    let mut s = state();
    update(&mut s, upstream(&domain("acme.io"), logs(n)));
    update(&mut s, ch('3'));
    s
}

fn current_matches(s: &AppState) -> usize {
    s.logs.current().unwrap().store.match_count()
}

fn selected(s: &AppState) -> usize {
    s.logs.current().unwrap().cursor.selected
}
