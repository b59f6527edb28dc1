//! The connection log overlay (`L`): one stream's connection states, oldest
//! first, each as `HH:MM:SS  state`, long ones wrapped under their text.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::overlay::{inside, popup};
use super::theme::{Theme, Tone, conn_tone};
use super::widgets::{self, display_width, fit, fit_spans, wrap};
use crate::app::{AppState, StreamStatus};
use crate::model::Source;
use crate::sanitize::clean;

/// `HH:MM:SS` and two spaces; wrapped text lines up after it.
const TIME_WIDTH: usize = 10;

/// The overlay's box: the record detail's size, so the two feel alike.
fn rect(area: Rect) -> Rect {
    widgets::centered(
        area,
        area.width.saturating_sub(6).min(120),
        area.height.saturating_sub(4),
    )
}

/// The scrolled lines' area and the footer's, inside the box.
fn split(state: &AppState, inner: Rect) -> (Rect, Option<Rect>) {
    if state.log_file.is_none() {
        return (inner, None);
    }
    let [body, footer] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(1)]).areas(inner);
    (body, Some(footer))
}

/// Rows of history the overlay shows at once on a screen of `area`.
pub fn page_height(state: &AppState, area: Rect) -> u16 {
    split(state, inside(rect(area))).0.height
}

/// How far the history can scroll: its lines past the first screenful.
pub fn scroll_limit(state: &AppState, source: &Source, area: Rect) -> u16 {
    let body = split(state, inside(rect(area))).0;
    let lines = state.streams.get(source).map_or(0, |s| {
        history_lines(state, s, usize::from(body.width)).len()
    });
    u16::try_from(lines.saturating_sub(usize::from(body.height))).unwrap_or(u16::MAX)
}

/// Every event of the stream, wrapped to `width`.
pub(super) fn history_lines(
    state: &AppState,
    status: &StreamStatus,
    width: usize,
) -> Vec<Line<'static>> {
    let theme = Theme::of(state);
    let text_width = width.saturating_sub(TIME_WIDTH).max(8);
    let mut lines = Vec::with_capacity(status.history.len());
    for event in &status.history {
        let style = theme.tone(conn_tone(Some(&event.conn)));
        let text = event.conn.to_string();
        for (i, chunk) in wrap_words(&text, text_width).into_iter().enumerate() {
            let time = if i == 0 {
                format!("{:<TIME_WIDTH$}", widgets::clock(event.at_ms))
            } else {
                " ".repeat(TIME_WIDTH)
            };
            lines.push(fit_spans(
                vec![
                    Span::styled(time, theme.tone(Tone::Muted)),
                    Span::styled(chunk, style),
                ],
                width,
            ));
        }
    }
    lines
}

/// `text` in lines of at most `width` columns, broken after spaces where
/// it can be; a word longer than a line is cut where the line ends.
fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_inclusive(' ') {
        if display_width(&line) + display_width(word.trim_end()) > width && !line.is_empty() {
            lines.push(std::mem::take(&mut line).trim_end().to_string());
        }
        line.push_str(word);
        let word_end = line.trim_end().len();
        if display_width(&line[..word_end]) > width {
            let mut pieces = wrap(&line[..word_end], width);
            let mut rest = pieces.pop().unwrap_or_default();
            rest.push_str(&line[word_end..]);
            line = rest;
            lines.extend(pieces);
        }
    }
    lines.push(line.trim_end().to_string());
    lines
}

pub fn draw(frame: &mut Frame, area: Rect, state: &AppState, source: &Source, from_bottom: u16) {
    let theme = Theme::of(state);
    let rect = rect(area);
    let status = state.streams.get(source).filter(|s| !s.history.is_empty());
    let events = status.map_or(0, |s| s.history.len());
    let noun = if events == 1 { "event" } else { "events" };
    let title = format!(
        "Connection log · {} · {events} {noun}",
        clean(&source.to_string())
    );
    // The border's corners and the title's padding take four columns.
    let title = fit(&title, usize::from(rect.width).saturating_sub(4)).into_owned();
    let inner = popup(
        frame,
        rect,
        &title,
        "j/k PgUp/PgDn g/G scroll · L or Esc close",
        theme,
    );
    let (body, footer) = split(state, inner);
    let width = usize::from(body.width);
    if let (Some(footer), Some(path)) = (footer, &state.log_file) {
        let line = fit_spans(
            vec![
                Span::styled("full log: ", theme.tone(Tone::Muted)),
                Span::raw(path.clone()),
            ],
            usize::from(footer.width),
        );
        frame.render_widget(Paragraph::new(line), footer);
    }
    let Some(status) = status else {
        let text = format!(
            "No connection events for {} yet.",
            clean(&source.to_string())
        );
        let line = fit_spans(vec![Span::styled(text, theme.tone(Tone::Muted))], width);
        frame.render_widget(Paragraph::new(line), body);
        return;
    };
    let lines = history_lines(state, status, width);
    let height = usize::from(body.height);
    let limit = lines.len().saturating_sub(height);
    let top = limit - usize::from(from_bottom).min(limit);
    let visible: Vec<Line> = lines.into_iter().skip(top).take(height).collect();
    frame.render_widget(Paragraph::new(visible), body);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_wrap_at_spaces_and_long_ones_are_cut() {
        assert_eq!(wrap_words("reset by peer", 20), ["reset by peer"]);
        assert_eq!(
            wrap_words("connection reset by peer", 12),
            ["connection", "reset by", "peer"]
        );
        assert_eq!(
            wrap_words("a https://x.example/abcdef b", 8),
            ["a", "https://", "x.exampl", "e/abcdef", "b"]
        );
        assert_eq!(wrap_words("", 8), [""]);
        for line in wrap_words("漢字漢字 漢字漢字漢字漢字 x", 5) {
            assert!(display_width(&line) <= 5, "{line}");
        }
    }
}
