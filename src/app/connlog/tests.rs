use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::*;
use crate::app::{Action, AppOptions, update};
use crate::model::{SendProgress, SendStatus, StopReason};
use crate::model::{UpstreamBody, UpstreamEvent};

const NOW: i64 = 1_780_000_000_000;

fn state() -> AppState {
    AppState::new(AppOptions {
        now_ms: NOW,
        ..AppOptions::default()
    })
}

fn issue(id: &str) -> Source {
    Source::SendProgress {
        issue_id: id.into(),
    }
}

fn domain(name: &str) -> Source {
    Source::DomainLogs {
        domain: name.into(),
    }
}

fn upstream(source: &Source, body: UpstreamBody) -> Action {
    Action::Upstream(UpstreamEvent {
        source: source.clone(),
        generation: 1,
        body,
    })
}

fn conn(state: &mut AppState, source: &Source, conn: ConnState) {
    update(state, upstream(source, UpstreamBody::Conn(conn)));
}

fn at(state: &mut AppState, offset_ms: i64) {
    update(
        state,
        Action::Tick {
            now_ms: NOW + offset_ms,
        },
    );
}

fn press(state: &mut AppState, code: KeyCode) -> Vec<Command> {
    update(state, Action::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn reconnecting(attempt: u32, delay_ms: u64, reason: &str) -> ConnState {
    ConnState::Reconnecting {
        attempt,
        delay: Duration::from_millis(delay_ms),
        reason: reason.into(),
    }
}

fn failing(state: &AppState, source: &Source) -> Option<FailureRun> {
    state.streams[source].failing
}

fn run(count: u32, since_offset_ms: i64) -> Option<FailureRun> {
    Some(FailureRun {
        count,
        since_ms: NOW + since_offset_ms,
    })
}

#[test]
fn history_keeps_the_newest_200_in_order_with_their_times() {
    let mut s = state();
    let source = issue("1041");
    for i in 0..250 {
        at(&mut s, i * 1000);
        conn(&mut s, &source, ConnState::Connecting { attempt: i as u32 });
    }
    let history = &s.streams[&source].history;
    assert_eq!(history.len(), MAX_CONN_HISTORY);
    // The oldest 50 went; the rest are oldest first.
    assert_eq!(history[0].at_ms, NOW + 50_000);
    assert_eq!(history[0].conn.to_string(), "connecting (attempt 50)");
    assert_eq!(history[199].at_ms, NOW + 249_000);
    assert_eq!(history[199].conn.to_string(), "connecting (attempt 249)");
    assert!(
        history
            .iter()
            .zip(history.iter().skip(1))
            .all(|(a, b)| a.at_ms < b.at_ms)
    );
}

#[test]
fn history_holds_the_sanitized_text_and_only_reported_states() {
    let mut s = state();
    let source = issue("1041");
    // Data on a connecting stream makes it live, but no client said so.
    conn(&mut s, &source, ConnState::Connecting { attempt: 1 });
    update(
        &mut s,
        upstream(
            &source,
            UpstreamBody::Progress(SendProgress {
                status: SendStatus::Sending,
                sent: 1,
                total: 10,
                opened: 0,
                bounced: 0,
            }),
        ),
    );
    assert_eq!(s.streams[&source].conn, ConnState::Live);
    conn(
        &mut s,
        &source,
        reconnecting(2, 1500, "reset\u{1b}[2J by peer"),
    );
    let texts: Vec<String> = s.streams[&source]
        .history
        .iter()
        .map(|e| e.conn.to_string())
        .collect();
    assert_eq!(
        texts,
        [
            "connecting",
            "reconnecting (attempt 2) in 1.5s: reset by peer"
        ]
    );
}

#[test]
fn a_run_starts_at_attempt_2_and_counts_the_failures() {
    let mut s = state();
    let source = issue("1041");
    conn(&mut s, &source, ConnState::Connecting { attempt: 1 });
    conn(&mut s, &source, ConnState::Live);
    assert_eq!(failing(&s, &source), None);
    at(&mut s, 1000);
    conn(&mut s, &source, reconnecting(2, 1000, "HTTP 502"));
    assert_eq!(failing(&s, &source), run(1, 1000));
    // One failure is shown as "reconnecting" alone.
    assert_eq!(s.streams[&source].dying(), None);
    for attempt in 3..=6 {
        at(&mut s, i64::from(attempt) * 1000);
        conn(&mut s, &source, ConnState::Connecting { attempt });
        conn(&mut s, &source, reconnecting(attempt, 2000, "HTTP 503"));
    }
    assert_eq!(failing(&s, &source), run(5, 1000));
    assert_eq!(s.streams[&source].dying(), run(5, 1000));
    // A rate limit neither counts nor ends the run.
    conn(
        &mut s,
        &source,
        ConnState::RateLimited {
            wait: Duration::from_secs(30),
        },
    );
    assert_eq!(failing(&s, &source), run(5, 1000));
    // Live hides it but does not end it: only the client knows whether the
    // connection delivered, and a seventh failure continues the run.
    conn(&mut s, &source, ConnState::Live);
    assert_eq!(s.streams[&source].dying(), None);
    at(&mut s, 9000);
    conn(&mut s, &source, reconnecting(7, 4000, "reset"));
    assert_eq!(failing(&s, &source), run(6, 1000));
}

#[test]
fn a_run_joined_midway_starts_when_first_seen() {
    let mut s = state();
    let source = domain("acme.io");
    at(&mut s, 5000);
    conn(&mut s, &source, reconnecting(4, 8000, "timeout"));
    assert_eq!(failing(&s, &source), run(3, 5000));
}

#[test]
fn a_fresh_run_restarts_the_count() {
    let mut s = state();
    let source = issue("1041");
    for attempt in 2..=5 {
        conn(&mut s, &source, reconnecting(attempt, 1000, "refused"));
    }
    assert_eq!(failing(&s, &source), run(4, 0));
    // The next connection delivered: the client starts again at 2.
    conn(&mut s, &source, ConnState::Connecting { attempt: 5 });
    conn(&mut s, &source, ConnState::Live);
    at(&mut s, 60_000);
    conn(&mut s, &source, reconnecting(2, 1000, "reset"));
    assert_eq!(failing(&s, &source), run(1, 60_000));
}

#[test]
fn a_resume_and_a_finish_end_the_run() {
    let mut s = state();
    let source = issue("1041");
    for attempt in 2..=4 {
        conn(&mut s, &source, reconnecting(attempt, 1000, "refused"));
    }
    // Attempt 1 after a delay is no resume (the client never sends it):
    // the run stays.
    conn(&mut s, &source, reconnecting(1, 500, "odd"));
    assert_eq!(failing(&s, &source), run(3, 0));
    conn(&mut s, &source, reconnecting(1, 0, "send-stream time cap"));
    assert_eq!(failing(&s, &source), None);

    for attempt in 2..=4 {
        conn(&mut s, &source, reconnecting(attempt, 1000, "refused"));
    }
    conn(
        &mut s,
        &source,
        ConnState::Finished {
            reason: "sent".into(),
        },
    );
    assert_eq!(failing(&s, &source), None);
}

#[test]
fn a_stop_keeps_the_run_on_show() {
    let mut s = state();
    let source = issue("1041");
    for attempt in 2..=4 {
        conn(&mut s, &source, reconnecting(attempt, 1000, "refused"));
    }
    conn(
        &mut s,
        &source,
        ConnState::Stopped(StopReason::GaveUp {
            attempts: 3,
            last_error: "refused".into(),
        }),
    );
    assert_eq!(s.streams[&source].dying(), run(3, 0));
}

fn open_source(s: &AppState) -> Option<&Source> {
    match &s.overlay {
        Overlay::ConnLog { source, .. } => Some(source),
        _ => None,
    }
}

#[test]
fn l_opens_the_focused_panes_stream_and_closes() {
    let mut s = state();
    for source in [issue("a"), issue("b"), domain("one.io"), domain("two.io")] {
        update(&mut s, Action::Watching(source));
    }
    // Sends: the selected row.
    press(&mut s, KeyCode::Char('j'));
    press(&mut s, KeyCode::Char('L'));
    assert_eq!(open_source(&s), Some(&issue("b")));
    // L, Esc and q close it; q does not quit from there.
    press(&mut s, KeyCode::Char('L'));
    assert!(matches!(s.overlay, Overlay::None));
    // Live feed: the inbox, watched or not.
    press(&mut s, KeyCode::Char('2'));
    press(&mut s, KeyCode::Char('L'));
    assert_eq!(open_source(&s), Some(&Source::Inbox));
    press(&mut s, KeyCode::Esc);
    assert!(matches!(s.overlay, Overlay::None));
    // Domain logs: the current domain.
    press(&mut s, KeyCode::Char('3'));
    press(&mut s, KeyCode::Char(']'));
    press(&mut s, KeyCode::Char('L'));
    assert_eq!(open_source(&s), Some(&domain("two.io")));
    assert!(press(&mut s, KeyCode::Char('q')).is_empty());
    assert!(matches!(s.overlay, Overlay::None));
    // Nothing selected: a notice instead.
    let mut s = state();
    press(&mut s, KeyCode::Char('L'));
    assert!(matches!(s.overlay, Overlay::None));
    assert_eq!(s.current_notice(), Some("no stream selected"));
}

fn from_bottom(s: &AppState) -> u16 {
    match s.overlay {
        Overlay::ConnLog { from_bottom, .. } => from_bottom,
        _ => panic!("{:?}", s.overlay),
    }
}

#[test]
fn the_log_opens_at_the_newest_and_scrolls_within_it() {
    let mut s = state();
    let source = issue("1041");
    for attempt in 2..=61 {
        conn(&mut s, &source, reconnecting(attempt, 1000, "refused"));
    }
    press(&mut s, KeyCode::Char('L'));
    assert_eq!(from_bottom(&s), 0);
    // 60 one-line events in a box of 18 rows (80x24, as `ui` says).
    let limit = 60 - 18;
    s.geometry.overlay_page = 18;
    s.geometry.overlay_scroll_limit = limit;
    press(&mut s, KeyCode::Char('k'));
    press(&mut s, KeyCode::Up);
    assert_eq!(from_bottom(&s), 2);
    press(&mut s, KeyCode::Char('j'));
    assert_eq!(from_bottom(&s), 1);
    press(&mut s, KeyCode::PageUp);
    assert_eq!(from_bottom(&s), 19);
    press(&mut s, KeyCode::PageDown);
    press(&mut s, KeyCode::PageDown);
    assert_eq!(from_bottom(&s), 0);
    press(&mut s, KeyCode::Char('g'));
    assert_eq!(from_bottom(&s), limit);
    press(&mut s, KeyCode::Char('k'));
    assert_eq!(from_bottom(&s), limit);
    press(&mut s, KeyCode::Char('G'));
    assert_eq!(from_bottom(&s), 0);
    press(&mut s, KeyCode::Down);
    assert_eq!(from_bottom(&s), 0);
}
