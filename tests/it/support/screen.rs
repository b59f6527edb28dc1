//! Drawing a state on a test terminal and reading the screen back: as
//! text (what the snapshot tests compare and the other tests search), as
//! glyphs with their columns, and as runs of styled cells.

use std::fmt::Write as _;

use misar_dash::app::AppState;
use misar_dash::ui::render;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::{Buffer, Cell};
use ratatui::style::{Color, Modifier, Style};

pub fn draw(state: &AppState, width: u16, height: u16) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("a test terminal");
    terminal
        .draw(|frame| render(state, frame))
        .expect("a test terminal draws");
    terminal.backend().buffer().clone()
}

/// One glyph of a row: where it starts, how wide it is, what it is.
pub struct Glyph {
    pub x: usize,
    pub width: usize,
    pub symbol: String,
}

/// Row `y` as the terminal shows it: each glyph once, at its column (a
/// wide glyph covers the cells after it, and a glyph of no width still
/// takes its cell).
pub fn glyphs(buffer: &Buffer, y: u16) -> Vec<Glyph> {
    let mut out = Vec::new();
    let mut x = 0usize;
    while x < usize::from(buffer.area.width) {
        let symbol = buffer[(x as u16, y)].symbol().to_string();
        let width = unicode_width(&symbol).max(1);
        out.push(Glyph { x, width, symbol });
        x += width;
    }
    out
}

pub fn row_text(buffer: &Buffer, y: u16) -> String {
    glyphs(buffer, y).into_iter().map(|g| g.symbol).collect()
}

/// The screen as text, one line per row, trailing spaces trimmed.
pub fn text(buffer: &Buffer) -> String {
    (0..buffer.area.height)
        .map(|y| row_text(buffer, y).trim_end().to_string() + "\n")
        .collect()
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

pub fn assert_no_color(buffer: &Buffer) {
    for cell in &buffer.content {
        assert_eq!(cell.fg, Color::Reset, "colour with NO_COLOR: {cell:?}");
        assert_eq!(cell.bg, Color::Reset, "colour with NO_COLOR: {cell:?}");
    }
}

/// Every run of cells with a non-default style: row, columns, style, text.
pub fn styles(buffer: &Buffer) -> String {
    let mut out = String::new();
    for y in 0..buffer.area.height {
        let mut x = 0;
        while x < buffer.area.width {
            let style = cell_style(&buffer[(x, y)]);
            let start = x;
            let mut run = String::new();
            while x < buffer.area.width && cell_style(&buffer[(x, y)]) == style {
                run.push_str(buffer[(x, y)].symbol());
                x += 1;
            }
            if style != Style::default() && !run.trim().is_empty() {
                let _ = writeln!(
                    out,
                    "{y:>2} {start:>3}-{:<3} {:<40} {:?}",
                    x - 1,
                    describe(style),
                    run.trim_end()
                );
            }
        }
    }
    out
}

fn cell_style(cell: &Cell) -> Style {
    let mut style = Style::default();
    if cell.fg != Color::Reset {
        style = style.fg(cell.fg);
    }
    if cell.bg != Color::Reset {
        style = style.bg(cell.bg);
    }
    style.add_modifier(cell.modifier)
}

fn describe(style: Style) -> String {
    let mut parts = Vec::new();
    if let Some(fg) = style.fg {
        parts.push(format!("fg={fg:?}"));
    }
    if let Some(bg) = style.bg {
        parts.push(format!("bg={bg:?}"));
    }
    if style.add_modifier != Modifier::empty() {
        parts.push(format!("{:?}", style.add_modifier));
    }
    parts.join(" ")
}

/// Where the snapshots live (`snapshots/NAME.snap` at the crate's root),
/// named by `name` alone.
fn snapshot_settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings
}

/// The screen's text must be snapshot `name`.
pub fn assert_screen(name: &str, buffer: &Buffer) {
    snapshot_settings().bind(|| insta::assert_snapshot!(name, text(buffer)));
}

/// `state` drawn at `width`x`height`, within the palette (and with no
/// colour at all under NO_COLOR), must be snapshot `name`.
pub fn snapshot(name: &str, state: &AppState, width: u16, height: u16) {
    let buffer = draw(state, width, height);
    assert_palette(&buffer);
    if state.no_color {
        assert_no_color(&buffer);
    }
    assert_screen(name, &buffer);
}

/// The styled runs of `state` drawn at `width`x`height` must be snapshot
/// `name`.
pub fn snapshot_styles(name: &str, state: &AppState, width: u16, height: u16) {
    let buffer = draw(state, width, height);
    snapshot_settings().bind(|| insta::assert_snapshot!(name, styles(&buffer)));
}
