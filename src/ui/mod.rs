//! Drawing. [`render`] is a pure function of the [`AppState`]: it reads the
//! state and the frame size and nothing else, and it builds only the rows
//! that are visible.

mod alerts;
pub mod connlog;
pub mod detail;
mod export;
mod feed;
mod highlight;
mod histogram;
pub mod layout;
mod logcols;
mod logs;
pub mod overlay;
mod sends;
mod status;
pub mod theme;
mod top_values;
pub mod widgets;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

use crate::app::{AppState, Overlay, Pane};

pub use theme::Theme;

/// The domain-logs pane alone, for benchmarks of its cost.
pub use logs::draw as draw_logs_pane;

/// Draws the whole screen.
pub fn render(state: &AppState, frame: &mut Frame) {
    let area = frame.area();
    let Some(areas) = layout::areas(area, state) else {
        draw_too_small(frame, area, state);
        return;
    };
    // Zoomed, only the focused pane has room.
    let shown = |pane: Pane| !state.zoomed || state.focus == pane;
    if shown(Pane::Sends) {
        sends::draw(frame, areas.sends, state);
    }
    if shown(Pane::Feed) {
        feed::draw(frame, areas.feed, state);
    }
    if shown(Pane::Logs) {
        logs::draw(frame, areas.logs, state);
    }
    status::draw(frame, areas.status, state);
    match &state.overlay {
        Overlay::None => {}
        Overlay::Help { scroll } => overlay::draw_help(frame, area, state, *scroll),
        Overlay::Detail { item, scroll } => detail::draw(frame, area, state, item, *scroll),
        Overlay::ConnLog {
            source,
            from_bottom,
        } => connlog::draw(frame, area, state, source, *from_bottom),
        Overlay::Watch { input, error } => {
            overlay::draw_watch_prompt(frame, area, state, input, error.as_deref())
        }
        Overlay::ConfirmUnwatch { source } => {
            overlay::draw_confirm_unwatch(frame, area, state, source)
        }
        Overlay::Export(prompt) => export::draw(frame, area, state, prompt),
        Overlay::Alerts { selected, scroll } => {
            alerts::draw(frame, area, state, *selected, *scroll)
        }
    }
}

fn draw_too_small(frame: &mut Frame, area: Rect, state: &AppState) {
    let message = format!(
        "terminal too small (need {}x{}, have {}x{})",
        layout::MIN_WIDTH,
        layout::MIN_HEIGHT,
        area.width,
        area.height
    );
    let line = Line::styled(message, theme::Theme::of(state).tone(theme::Tone::Warn));
    let rect = widgets::centered(area, area.width, 3.min(area.height));
    frame.render_widget(
        Paragraph::new(line).centered().wrap(Wrap { trim: true }),
        rect,
    );
}

fn is_focused(state: &AppState, pane: Pane) -> bool {
    state.focus == pane
}
