//! The `x` prompt: the path to export the matches to, and the question
//! before an existing file is replaced.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::Paragraph;

use super::overlay::popup;
use super::theme::{Theme, Tone};
use super::widgets::{centered, fit_spans, input_line};
use crate::app::AppState;
use crate::app::export::{ExportFormat, ExportPrompt, Stage};
use crate::app::feed::group_digits;
use crate::sanitize::clean;

pub fn draw(frame: &mut Frame, area: Rect, state: &AppState, prompt: &ExportPrompt) {
    let theme = Theme::of(state);
    let rect = centered(area, area.width.saturating_sub(4).min(76), 4);
    let title = format!("Export {} matches", group_digits(prompt.count as u64));
    let hint = match prompt.stage {
        Stage::Overwrite { .. } => "y replace · n no",
        _ => "Enter export · Esc cancel",
    };
    let inner = popup(frame, rect, &title, hint, theme);
    let width = usize::from(inner.width);
    let (line, cursor) = input_line("file: ", &prompt.input, None, None, width, theme);
    let second = match (&prompt.stage, &prompt.error) {
        (Stage::Overwrite { path }, _) => fit_spans(
            vec![
                Span::styled(clean(path).into_owned(), theme.title(true)),
                Span::styled(" exists. Replace it? (y/n)", theme.tone(Tone::Warn)),
            ],
            width,
        ),
        (Stage::Checking { .. }, _) => fit_spans(
            vec![Span::styled("checking…", theme.tone(Tone::Muted))],
            width,
        ),
        (Stage::Path, Some(error)) => fit_spans(
            vec![Span::styled(format!("✖ {error}"), theme.tone(Tone::Bad))],
            width,
        ),
        (Stage::Path, None) => {
            let format = ExportFormat::for_path(prompt.input.value());
            fit_spans(
                vec![Span::styled(
                    format!("as {} · .csv for CSV, anything else NDJSON", format.name()),
                    theme.tone(Tone::Muted),
                )],
                width,
            )
        }
    };
    frame.render_widget(Paragraph::new(vec![line, second]), inner);
    if prompt.stage == Stage::Path {
        frame.set_cursor_position((inner.x + cursor, inner.y));
    }
}
