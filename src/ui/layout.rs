//! Where each pane goes, and the [`Geometry`] that tells the reducer how
//! many rows a page is and where a mouse click landed.

use ratatui::layout::{Constraint, Layout, Rect};

use crate::app::{AppState, Geometry, Overlay, Pane, Viewports};

/// Below this the panes cannot show anything useful.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 16;

/// From this size on, the feed and the logs sit side by side.
const WIDE_WIDTH: u16 = 120;
const WIDE_HEIGHT: u16 = 30;

pub const STATUS_HEIGHT: u16 = 2;
/// Each send is drawn as a two-line card.
pub const SEND_CARD_HEIGHT: u16 = 2;

/// Stacked layout: what each pane gets when another has the focus, room
/// permitting (the Sends pane no more than its cards need)...
const SENDS_UNFOCUSED_MAX: u16 = 2 + 2 * SEND_CARD_HEIGHT;
const FEED_UNFOCUSED: u16 = 5;
const LOGS_UNFOCUSED: u16 = 7;
/// ...and what it keeps at the least: one card, one feed line, the logs'
/// header, column names and one record.
const SENDS_FLOOR: u16 = 2 + SEND_CARD_HEIGHT;
const FEED_FLOOR: u16 = 3;
const LOGS_FLOOR: u16 = 5;

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

    fn pane_mut(&mut self, pane: Pane) -> &mut Rect {
        match pane {
            Pane::Sends => &mut self.sends,
            Pane::Feed => &mut self.feed,
            Pane::Logs => &mut self.logs,
        }
    }
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
    if state.zoomed {
        // The focused pane alone; the others have no room, so they are
        // not drawn, scroll by no rows and catch no clicks.
        let hidden = Rect::new(main.x, main.y, 0, 0);
        let mut areas = Areas {
            sends: hidden,
            feed: hidden,
            logs: hidden,
            status,
        };
        *areas.pane_mut(state.focus) = main;
        return Some(areas);
    }
    let cards = state.sends.rows.len().clamp(1, usize::from(u16::MAX / 4)) as u16;
    let sends_natural = 2 + SEND_CARD_HEIGHT.saturating_mul(cards);

    if area.width >= WIDE_WIDTH && area.height >= WIDE_HEIGHT {
        // The focused pane gets the larger share here too: the Sends pane
        // up to half the height (a third otherwise), the feed or the logs
        // the wider side.
        let sends_share = if state.focus == Pane::Sends { 2 } else { 3 };
        let sends_height = sends_natural.clamp(4, (main.height / sends_share).max(4));
        let [sends, bottom] =
            Layout::vertical([Constraint::Length(sends_height), Constraint::Fill(1)]).areas(main);
        let feed_share = if state.focus == Pane::Feed { 60 } else { 40 };
        let [feed, logs] = Layout::horizontal([
            Constraint::Percentage(feed_share),
            Constraint::Percentage(100 - feed_share),
        ])
        .areas(bottom);
        return Some(Areas {
            sends,
            feed,
            logs,
            status,
        });
    }

    let [sends, feed] = stacked_heights(main.height, sends_natural, state.focus);
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

/// Heights of the Sends and Feed panes in the stacked layout; the logs
/// take the rest. The panes without the focus get their usual room only
/// while the focused one still gets at least as much: on a short terminal
/// they shrink, down to their floors, before the focused pane does. The
/// Sends pane never takes more than its cards need.
fn stacked_heights(height: u16, sends_natural: u16, focus: Pane) -> [u16; 2] {
    let floors = [SENDS_FLOOR.min(sends_natural), FEED_FLOOR, LOGS_FLOOR];
    let usual = [
        sends_natural.min(SENDS_UNFOCUSED_MAX),
        FEED_UNFOCUSED,
        LOGS_UNFOCUSED,
    ];
    let focused = Pane::ALL.iter().position(|p| *p == focus).unwrap_or(0);
    // The largest cap on the unfocused panes that leaves the focused one
    // at least as tall as each of them; at the floors it always does, as
    // the smallest screen has room for them.
    let sized = |cap: u16| -> [u16; 3] {
        let mut heights = [0; 3];
        for (i, height) in heights.iter_mut().enumerate() {
            *height = usual[i].min(cap).max(floors[i]);
        }
        let others: u16 = (0..3).filter(|i| *i != focused).map(|i| heights[i]).sum();
        let rest = height.saturating_sub(others);
        if focus == Pane::Sends {
            // Whole cards, and no more than there are: a line that holds
            // no card goes to the logs.
            let cards = rest.min(sends_natural).saturating_sub(2) / SEND_CARD_HEIGHT;
            heights[0] = (2 + cards * SEND_CARD_HEIGHT).min(rest);
            heights[2] += rest - heights[0];
        } else {
            heights[focused] = rest;
        }
        heights
    };
    let fits = |heights: &[u16; 3]| {
        let tallest_other = (0..3)
            .filter(|i| *i != focused)
            .map(|i| heights[i])
            .max()
            .unwrap_or(0);
        heights[focused] >= tallest_other
            || (focus == Pane::Sends && heights[focused] >= sends_natural)
    };
    let cap_max = usual.into_iter().max().unwrap_or(0);
    let heights = (0..=cap_max)
        .rev()
        .map(sized)
        .find(fits)
        .unwrap_or_else(|| sized(0));
    [heights[0], heights[1]]
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

/// What the reducer needs to know of the screen for `state`.
pub fn geometry(state: &AppState) -> Geometry {
    let screen = screen(state);
    let (overlay_page, overlay_scroll_limit) = match &state.overlay {
        Overlay::Help { .. } => (0, super::overlay::scroll_limit(state, screen)),
        Overlay::Detail { .. } => (
            super::detail::page_height(screen),
            super::overlay::scroll_limit(state, screen),
        ),
        Overlay::ConnLog { .. } => (
            super::connlog::page_height(state, screen),
            super::overlay::scroll_limit(state, screen),
        ),
        Overlay::Alerts { .. } => (super::alerts::page_height(screen), 0),
        _ => (0, 0),
    };
    let Some(areas) = areas(screen, state) else {
        return Geometry {
            overlay_page,
            overlay_scroll_limit,
            ..Geometry::default()
        };
    };
    let inner = |r: Rect| r.height.saturating_sub(2);
    let logs_room = inner(areas.logs).saturating_sub(logs_chrome_lines(state));
    let strip = super::histogram::rows(state, logs_room);
    Geometry {
        viewports: Viewports {
            sends: usize::from(inner(areas.sends) / SEND_CARD_HEIGHT),
            feed: usize::from(inner(areas.feed)),
            logs: usize::from(logs_room - strip),
        },
        histogram_columns: super::histogram::columns(areas.logs.width.saturating_sub(2)),
        panes: Pane::ALL.map(|pane| areas.pane(pane)),
        overlay_page,
        overlay_scroll_limit,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::AppOptions;
    use crate::model::Source;

    fn state_with_sends(rows: usize, focus: Pane) -> AppState {
        let mut state = AppState::new(AppOptions::default());
        for i in 0..rows {
            state.sends.row_mut(&Source::SendProgress {
                issue_id: i.to_string(),
            });
        }
        state.focus = focus;
        state
    }

    fn cells(r: Rect) -> u32 {
        u32::from(r.width) * u32::from(r.height)
    }

    /// At every size, the focused pane has at least as much room as any
    /// other (rows when stacked, cells side by side), unless it is a Sends
    /// pane already showing every card.
    #[test]
    fn the_focused_pane_never_gets_less_room_than_another() {
        for rows in [1, 3, 10] {
            for focus in Pane::ALL {
                let state = state_with_sends(rows, focus);
                for width in [60, 80, 119, 120, 200] {
                    for height in (16..=60).step_by(1) {
                        let area = Rect::new(0, 0, width, height);
                        let areas = areas(area, &state).expect("big enough");
                        let wide = width >= WIDE_WIDTH && height >= WIDE_HEIGHT;
                        let room = |r: Rect| if wide { cells(r) } else { u32::from(r.height) };
                        let mine = areas.pane(focus);
                        let natural = 2 + SEND_CARD_HEIGHT * rows as u16;
                        if focus == Pane::Sends && mine.height >= natural {
                            continue;
                        }
                        for other in Pane::ALL.into_iter().filter(|p| *p != focus) {
                            assert!(
                                room(mine) >= room(areas.pane(other)),
                                "{width}x{height}, {rows} sends, {focus:?} focused: \
                                 {mine:?} vs {other:?} {:?}",
                                areas.pane(other)
                            );
                        }
                        let total: u16 = [areas.sends, areas.logs]
                            .iter()
                            .map(|r| r.height)
                            .sum::<u16>()
                            + if wide { 0 } else { areas.feed.height };
                        assert_eq!(total + STATUS_HEIGHT, height, "{width}x{height}");
                    }
                }
            }
        }
    }

    /// Zoomed, the focused pane has everything above the status bar, the
    /// others nothing: no rows to scroll and no cells to click.
    #[test]
    fn a_zoomed_pane_takes_the_whole_screen() {
        for focus in Pane::ALL {
            let mut state = state_with_sends(3, focus);
            state.zoomed = true;
            for (width, height) in [(60, 16), (80, 24), (120, 40)] {
                state.size = (width, height);
                let areas = areas(screen(&state), &state).expect("big enough");
                let main = Rect::new(0, 0, width, height - STATUS_HEIGHT);
                assert_eq!(areas.pane(focus), main);
                for other in Pane::ALL.into_iter().filter(|p| *p != focus) {
                    assert!(areas.pane(other).is_empty(), "{other:?}");
                }
                let geometry = geometry(&state);
                let viewports = geometry.viewports;
                let inner = usize::from(main.height - 2);
                let expected = match focus {
                    Pane::Sends => [inner / 2, 0, 0],
                    Pane::Feed => [0, inner, 0],
                    Pane::Logs => [0, 0, inner - 2],
                };
                assert_eq!(
                    [viewports.sends, viewports.feed, viewports.logs],
                    expected,
                    "{focus:?} {width}x{height}"
                );
                for (column, row) in [(0, 0), (width - 1, height - 3), (width / 2, height / 2)] {
                    assert_eq!(geometry.pane_at(column, row), Some(focus));
                }
                assert_eq!(geometry.pane_at(0, height - 1), None);
            }
        }
    }
}
