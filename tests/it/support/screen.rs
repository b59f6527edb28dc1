//! Drawing a state on a test terminal and reading the screen back as text:
//! what the snapshot tests compare.

use misar_dash::app::AppState;
use misar_dash::ui::render;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Color;

pub fn draw(state: &AppState, width: u16, height: u16) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("a test terminal");
    terminal
        .draw(|frame| render(state, frame))
        .expect("a test terminal draws");
    terminal.backend().buffer().clone()
}

/// The screen as text, one line per row, trailing spaces trimmed.
pub fn text(buffer: &Buffer) -> String {
    let mut out = String::new();
    for y in 0..buffer.area.height {
        let mut line = String::new();
        let mut skip = 0;
        for x in 0..buffer.area.width {
            let cell = &buffer[(x, y)];
            if skip == 0 {
                line.push_str(cell.symbol());
            }
            skip = skip.max(unicode_width(cell.symbol())).saturating_sub(1);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

pub fn unicode_width(symbol: &str) -> usize {
    ratatui::text::Span::raw(symbol).width()
}

/// The terminal's own background must show everywhere, and only the 16
/// ANSI colours may appear.
pub fn assert_palette(buffer: &Buffer) {
    for cell in &buffer.content {
        assert_eq!(cell.bg, Color::Reset, "a background was painted: {cell:?}");
        assert!(
            !matches!(cell.fg, Color::Rgb(..) | Color::Indexed(_)),
            "not a 16-colour: {cell:?}"
        );
    }
}
