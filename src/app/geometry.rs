//! What the reducer knows of the screen: how many rows each pane shows,
//! where each pane is, and how far the open overlay scrolls.
//!
//! The screen's arithmetic belongs to `ui`; the reducer only needs its
//! answers, so the event loop asks `ui` for a [`Geometry`] after every
//! change and hands it back as [`Action::Layout`](super::Action::Layout)
//! when it differs. A pane that is not drawn (zoomed away, or a terminal
//! too small) has no rows and no area.

use ratatui::layout::{Position, Rect};

use super::{AppState, Pane};

/// Rows of content each pane can show.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Viewports {
    /// Send cards.
    pub sends: usize,
    pub feed: usize,
    /// Table rows.
    pub logs: usize,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Geometry {
    pub viewports: Viewports,
    /// Where each pane is drawn, in [`Pane::ALL`] order: what a mouse click
    /// lands on.
    pub panes: [Rect; 3],
    /// Rows of text the open overlay shows at once (a page of it).
    pub overlay_page: u16,
    /// How far the open overlay can scroll: its lines past the first page.
    pub overlay_scroll_limit: u16,
    /// Buckets the logs pane's histogram strip has room for.
    pub histogram_columns: usize,
}

impl Geometry {
    /// The pane under a screen position.
    pub fn pane_at(&self, column: u16, row: u16) -> Option<Pane> {
        let position = Position::new(column, row);
        Pane::ALL
            .into_iter()
            .zip(self.panes)
            .find(|(_, area)| area.contains(position))
            .map(|(pane, _)| pane)
    }
}

/// Takes a new geometry. When the panes changed size, each shown pane's
/// view is fitted to the height it has now, as after a resize: a view kept
/// at no height while its pane was hidden (new records and events still
/// move it) would otherwise start from a stale window, and its first page
/// key jump from there.
pub(super) fn apply(state: &mut AppState, geometry: Geometry) {
    let resized = geometry.viewports != state.geometry.viewports;
    state.geometry = geometry;
    if resized {
        refit(state);
    }
    state.dirty = true;
}

fn refit(state: &mut AppState) {
    let viewports = state.geometry.viewports;
    if viewports.sends > 0 {
        let len = state.sends.rows.len();
        state.sends.cursor.move_by(0, len, viewports.sends);
    }
    if viewports.feed > 0 {
        let len = state.feed.visible_len();
        state.feed.cursor.move_by(0, len, viewports.feed);
    }
    if viewports.logs > 0 {
        for view in &mut state.logs.domains {
            let len = view.store.match_count();
            view.cursor.move_by(0, len, viewports.logs);
            // A view following the newest keeps it at the bottom.
            view.settle(viewports.logs);
        }
    }
}
