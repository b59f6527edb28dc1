//! The reducer and the layout together, as the event loop runs them:
//! each action is followed by the screen's new geometry. Zoom (`Z`) is
//! where the two meet most: the panes change size under the views.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};

use super::dispatch;
use crate::app::{Action, AppOptions, AppState, Pane};
use crate::model::LogRecord;
use crate::model::mail::InboxMail;
use crate::model::{InboxEvent, SendProgress, SendStatus, Source};
use crate::model::{UpstreamBody, UpstreamEvent};

fn key(state: &mut AppState, code: KeyCode) {
    dispatch(state, Action::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

fn ch(state: &mut AppState, c: char) {
    key(state, KeyCode::Char(c));
}

fn event(state: &mut AppState, source: Source, body: UpstreamBody) {
    dispatch(
        state,
        Action::Upstream(UpstreamEvent {
            source,
            generation: 1,
            body,
        }),
    );
}

/// 30 sends, 100 feed events and 500 log records, at 80x24.
fn busy() -> AppState {
    let mut state = AppState::new(AppOptions {
        mouse: true,
        ..AppOptions::default()
    });
    dispatch(&mut state, Action::Resize(80, 24));
    for i in 0..30 {
        let progress = SendProgress {
            status: SendStatus::Sending,
            sent: 10,
            total: 100,
            opened: 0,
            bounced: 0,
        };
        let source = Source::SendProgress {
            issue_id: format!("iss-{i}"),
        };
        event(&mut state, source, UpstreamBody::Progress(progress));
    }
    for i in 0..100 {
        let mail = InboxEvent::EmailReceived(InboxMail {
            from: format!("a{i}@x.io"),
            ..InboxMail::default()
        });
        event(&mut state, Source::Inbox, UpstreamBody::Inbox(mail));
    }
    let records = (0..500)
        .map(|i| LogRecord {
            id: format!("r{i}"),
            timestamp_ms: i,
            ..LogRecord::default()
        })
        .collect();
    let domain = Source::DomainLogs {
        domain: "acme.io".into(),
    };
    event(&mut state, domain, UpstreamBody::Logs(records));
    state
}

#[test]
fn z_zooms_the_focused_pane_and_focus_keys_keep_the_zoom() {
    let mut state = busy();
    ch(&mut state, 'Z');
    assert!(state.zoomed);
    assert_eq!(state.focus, Pane::Sends);
    key(&mut state, KeyCode::Tab);
    assert!(state.zoomed);
    assert_eq!(state.focus, Pane::Feed);
    ch(&mut state, '3');
    assert!(state.zoomed);
    assert_eq!(state.focus, Pane::Logs);
    key(&mut state, KeyCode::BackTab);
    assert_eq!(state.focus, Pane::Feed);
    ch(&mut state, '1');
    assert_eq!((state.zoomed, state.focus), (true, Pane::Sends));
    ch(&mut state, 'Z');
    assert!(!state.zoomed);
    assert_eq!(state.focus, Pane::Sends);
}

/// PgDn moves by the zoomed pane's rows: 80x24 leaves 22 rows above
/// the status bar, 20 inside the border: 10 send cards, 20 feed lines,
/// 18 log records under the logs' two header lines.
#[test]
fn pages_are_the_zoomed_height() {
    let mut state = busy();
    key(&mut state, KeyCode::PageDown);
    let unzoomed = state.sends.cursor.selected;
    key(&mut state, KeyCode::Home);
    ch(&mut state, 'Z');
    key(&mut state, KeyCode::PageDown);
    assert_eq!(state.sends.cursor.selected, 10);
    assert!(unzoomed < 10, "unzoomed page {unzoomed}");

    ch(&mut state, '2');
    key(&mut state, KeyCode::PageDown);
    assert_eq!(state.feed.cursor.selected, 20);

    ch(&mut state, '3');
    key(&mut state, KeyCode::PageUp);
    let view = state.logs.current().expect("a domain");
    // As unzoomed: a page up from the newest, the selection on top.
    assert_eq!(view.cursor.selected, 499 - 18);
    assert_eq!(view.cursor.top, 499 - 18);
}

/// Restoring the layout keeps a following log view on its newest
/// record in the smaller pane.
#[test]
fn restoring_keeps_following_views_at_the_newest() {
    let mut state = busy();
    ch(&mut state, '3');
    ch(&mut state, 'Z');
    ch(&mut state, 'Z');
    let height = state.geometry.viewports.logs;
    let view = state.logs.current().expect("a domain");
    assert!(view.follow);
    assert_eq!(view.cursor.selected, 499);
    assert_eq!(view.cursor.top, 500 - height);
}

/// Every click and wheel notch above the status bar lands on the
/// zoomed pane.
#[test]
fn the_mouse_hits_the_zoomed_pane() {
    let mut state = busy();
    ch(&mut state, '2');
    ch(&mut state, 'Z');
    let mouse = |kind, column, row| {
        Action::Mouse(MouseEvent {
            kind,
            column,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    // Where the Sends pane is when not zoomed.
    dispatch(
        &mut state,
        mouse(MouseEventKind::Down(MouseButton::Left), 5, 1),
    );
    assert_eq!(state.focus, Pane::Feed);
    dispatch(&mut state, mouse(MouseEventKind::ScrollDown, 40, 20));
    assert_eq!(state.feed.cursor.selected, 3);
    assert_eq!(state.sends.cursor.selected, 0);
}

/// The overlays' pages and scroll limits come from what they hold at this
/// screen size: 60 one-line connection events in a box of 18 rows.
#[test]
fn an_overlay_scrolls_as_far_as_its_content_goes() {
    let mut state = AppState::new(AppOptions::default());
    dispatch(&mut state, Action::Resize(80, 24));
    let source = Source::SendProgress {
        issue_id: "1041".into(),
    };
    for attempt in 2..=61 {
        let conn = crate::model::ConnState::Reconnecting {
            attempt,
            delay: std::time::Duration::from_secs(1),
            reason: "refused".into(),
        };
        event(&mut state, source.clone(), UpstreamBody::Conn(conn));
    }
    assert_eq!(state.geometry.overlay_scroll_limit, 0, "nothing open");
    ch(&mut state, 'L');
    assert_eq!(state.geometry.overlay_page, 18);
    assert_eq!(state.geometry.overlay_scroll_limit, 60 - 18);
    ch(&mut state, 'g');
    assert!(
        matches!(state.overlay, crate::app::Overlay::ConnLog { from_bottom, .. } if from_bottom == 42)
    );
    // A smaller screen: a smaller page, further to scroll.
    dispatch(&mut state, Action::Resize(80, 16));
    assert_eq!(state.geometry.overlay_page, 10);
    assert_eq!(state.geometry.overlay_scroll_limit, 60 - 10);
    key(&mut state, KeyCode::Esc);
    assert_eq!(state.geometry.overlay_scroll_limit, 0);
}
