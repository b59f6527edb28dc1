//! Each stream's connection history, and the run of failures it is in.
//!
//! The dashboard retries forever, so a link that keeps dying never stops:
//! what tells the user it is sick is how many times in a row it died and
//! since when. That is derived here from the connection states alone, the
//! way the client counts: `Reconnecting { attempt }` names the next
//! attempt, and the client restarts its count (at attempt 2) after any
//! connection that delivered something new.
//!
//! Also the `L` overlay's keys: which stream it shows and how it scrolls.

use super::keymap::KeyAction;
use super::{AppState, Command, Overlay, Pane, StreamStatus};
use crate::model::{ConnState, Source};

/// Connection events kept per stream; the oldest go first.
pub const MAX_CONN_HISTORY: usize = 200;

/// A run is shown from this many failures on: a single drop already shows
/// as "reconnecting"; the count says something only once it repeats.
pub const SHOWN_FROM: u32 = 2;

/// One connection state a stream reported (sanitized), and when.
#[derive(Clone, Debug, PartialEq)]
pub struct ConnEvent {
    pub at_ms: i64,
    pub conn: ConnState,
}

/// Consecutive failed connections, and when the first of them failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FailureRun {
    pub count: u32,
    pub since_ms: i64,
}

/// Appends `conn` (already sanitized) to the stream's history and updates
/// its run of failures. Call before `status.conn` takes the new state.
pub fn record(status: &mut StreamStatus, conn: &ConnState, now_ms: i64) {
    if status.history.len() >= MAX_CONN_HISTORY {
        status.history.pop_front();
    }
    status.history.push_back(ConnEvent {
        at_ms: now_ms,
        conn: conn.clone(),
    });
    match conn {
        // The first failure since the last connection that delivered.
        ConnState::Reconnecting { attempt: 2, .. } => {
            status.failing = Some(FailureRun {
                count: 1,
                since_ms: now_ms,
            });
        }
        // The same run; its start may have been missed (the dashboard
        // started, or the event was dropped, mid-run).
        ConnState::Reconnecting { attempt, .. } if *attempt > 2 => {
            let since_ms = status.failing.map_or(now_ms, |run| run.since_ms);
            status.failing = Some(FailureRun {
                count: attempt - 1,
                since_ms,
            });
        }
        // The server ended the stream on purpose and the client resumes at
        // once: nothing failed.
        ConnState::Reconnecting {
            attempt: 1, delay, ..
        } if delay.is_zero() => status.failing = None,
        ConnState::Finished { .. } => status.failing = None,
        // A rate limit is the server asking to wait, not a failure; Live
        // does not end a run either: only the client knows whether the
        // connection delivered anything new, and it says so with the next
        // attempt number.
        _ => {}
    }
}

impl StreamStatus {
    /// The run of failures worth showing now: repeated, and the link not
    /// up at the moment.
    pub fn dying(&self) -> Option<FailureRun> {
        self.failing
            .filter(|run| run.count >= SHOWN_FROM && self.conn != ConnState::Live)
    }
}

/// The stream `L` shows: the selected send's, the inbox's, or the current
/// domain's, by the focused pane.
pub fn selected_source(state: &AppState) -> Option<Source> {
    match state.focus {
        Pane::Sends => state.sends.selected_row().map(|row| row.source.clone()),
        Pane::Feed => Some(Source::Inbox),
        Pane::Logs => state.logs.current().map(|view| Source::DomainLogs {
            domain: view.domain.clone(),
        }),
    }
}

/// Opens the overlay on the selected stream, at its newest events. False
/// when no stream is selected.
pub fn open(state: &mut AppState) -> bool {
    let Some(source) = selected_source(state) else {
        return false;
    };
    state.overlay = Overlay::ConnLog {
        source,
        from_bottom: 0,
    };
    true
}

/// A key while the overlay is open.
pub fn overlay_key(state: &mut AppState, action: KeyAction, commands: &mut Vec<Command>) {
    let limit = state.geometry.overlay_scroll_limit;
    let page = state.geometry.overlay_page.max(1);
    let Overlay::ConnLog { from_bottom, .. } = &mut state.overlay else {
        return;
    };
    // Scrolling counts up from the newest line, so that at 0 the view
    // keeps showing the newest as events arrive.
    let up = |n: u16, from: u16| from.saturating_add(n).min(limit);
    match action {
        KeyAction::Up => *from_bottom = up(1, *from_bottom),
        KeyAction::Down => *from_bottom = from_bottom.saturating_sub(1),
        KeyAction::PageUp => *from_bottom = up(page, *from_bottom),
        KeyAction::PageDown => *from_bottom = from_bottom.saturating_sub(page),
        KeyAction::Top => *from_bottom = limit,
        KeyAction::Bottom => *from_bottom = 0,
        KeyAction::Close => state.overlay = Overlay::None,
        KeyAction::Quit => commands.push(Command::Quit),
        _ => {}
    }
}

#[cfg(test)]
mod tests;
