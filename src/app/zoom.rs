//! `Z`: the focused pane fills the screen, as in k9s or tmux, for reading a
//! long list without the other panes' share of the rows. Focus moves keep
//! the zoom and bring another pane to the front; `Z` again restores.
//!
//! The layout does the rest: the hidden panes get no area, so paging, the
//! viewports and mouse hit-testing all follow, and the views are fitted to
//! their new heights when the new [`Geometry`](super::Geometry) arrives.

use super::AppState;

/// Zooms the focused pane, or restores the layout.
pub fn toggle(state: &mut AppState) {
    state.zoomed = !state.zoomed;
}
