//! Where each pane goes. The reducer uses the same arithmetic to know how
//! many rows a page is and where a mouse click landed.

use ratatui::layout::{Constraint, Layout, Position, Rect};

use crate::app::{AppState, Pane};

/// Below this the panes cannot show anything useful.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 16;

/// From this size on, the feed and the logs sit side by side.
const WIDE_WIDTH: u16 = 120;
const WIDE_HEIGHT: u16 = 30;

pub const STATUS_HEIGHT: u16 = 2;
/// Each send is drawn as a two-line card.
pub const SEND_CARD_HEIGHT: u16 = 2;

/// Stacked layout: what each pane gets when another has the focus.
const SENDS_UNFOCUSED_MAX: u16 = 2 + 2 * SEND_CARD_HEIGHT;
const FEED_UNFOCUSED: u16 = 5;
const LOGS_MIN: u16 = 7;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Areas {
    pub sends: Rect,
    pub feed: Rect,
    pub logs: Rect,
    pub status: Rect,
}

impl Areas {
    pub fn pane(&self, pane: Pane) -> Rect {
        match pane {
            Pane::Sends => self.sends,
            Pane::Feed => self.feed,
            Pane::Logs => self.logs,
        }
    }
}

/// Rows of content each pane can show.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Viewports {
    /// Send cards.
    pub sends: usize,
    pub feed: usize,
    /// Table rows.
    pub logs: usize,
}

pub fn too_small(area: Rect) -> bool {
    area.width < MIN_WIDTH || area.height < MIN_HEIGHT
}

/// The pane areas, or `None` when the terminal is too small.
pub fn areas(area: Rect, state: &AppState) -> Option<Areas> {
    if too_small(area) {
        return None;
    }
    let [main, status] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(STATUS_HEIGHT)]).areas(area);
    let cards = state.sends.rows.len().clamp(1, usize::from(u16::MAX / 4)) as u16;
    let sends_natural = 2 + SEND_CARD_HEIGHT.saturating_mul(cards);

    if area.width >= WIDE_WIDTH && area.height >= WIDE_HEIGHT {
        let sends_height = sends_natural.clamp(4, (main.height / 3).max(4));
        let [sends, bottom] =
            Layout::vertical([Constraint::Length(sends_height), Constraint::Fill(1)]).areas(main);
        let [feed, logs] =
            Layout::horizontal([Constraint::Percentage(40), Constraint::Percentage(60)])
                .areas(bottom);
        return Some(Areas {
            sends,
            feed,
            logs,
            status,
        });
    }

    // Stacked: the focused pane gets the room the others do not need.
    let height = main.height;
    let (mut sends, mut feed) = (sends_natural.min(SENDS_UNFOCUSED_MAX), FEED_UNFOCUSED);
    if sends + feed + LOGS_MIN > height {
        (sends, feed) = (2 + SEND_CARD_HEIGHT, 3);
    }
    let spare = height.saturating_sub(sends + feed + LOGS_MIN);
    match state.focus {
        Pane::Sends => sends += spare.min(sends_natural.saturating_sub(sends)),
        Pane::Feed => feed += spare,
        Pane::Logs => {}
    }
    let [sends, feed, logs] = Layout::vertical([
        Constraint::Length(sends),
        Constraint::Length(feed),
        Constraint::Fill(1),
    ])
    .areas(main);
    Some(Areas {
        sends,
        feed,
        logs,
        status,
    })
}

fn screen(state: &AppState) -> Rect {
    Rect::new(0, 0, state.size.0, state.size.1)
}

/// Lines above the logs table inside its border: the counts header, the
/// filter line when there is a filter, and the column header.
pub fn logs_chrome_lines(state: &AppState) -> u16 {
    let filter_line = state.logs.filter_bar.is_some()
        || state
            .logs
            .current()
            .is_some_and(|v| !v.filter_text.is_empty());
    2 + u16::from(filter_line)
}

pub fn viewports(state: &AppState) -> Viewports {
    let Some(areas) = areas(screen(state), state) else {
        return Viewports::default();
    };
    let inner = |r: Rect| r.height.saturating_sub(2);
    Viewports {
        sends: usize::from(inner(areas.sends) / SEND_CARD_HEIGHT),
        feed: usize::from(inner(areas.feed)),
        logs: usize::from(inner(areas.logs).saturating_sub(logs_chrome_lines(state))),
    }
}

/// The pane under a screen position.
pub fn pane_at(state: &AppState, column: u16, row: u16) -> Option<Pane> {
    let areas = areas(screen(state), state)?;
    let position = Position::new(column, row);
    Pane::ALL
        .into_iter()
        .find(|pane| areas.pane(*pane).contains(position))
}
