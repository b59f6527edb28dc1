//! What is drawn over the panes: help and the watch prompt. The detail
//! views (`super::detail`) and the connection log (`super::connlog`) use
//! the frame here.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};
use tui_input::Input;

use super::theme::{Theme, Tone};
use super::widgets::{centered, fit_spans, input_line};
use crate::app::keymap::{Context, KEYMAP, keys_label};
use crate::app::{AppState, Overlay};
use crate::model::Source;
use crate::sanitize::clean;

const KEYS_WIDTH: usize = 22;

pub(super) fn popup(frame: &mut Frame, rect: Rect, title: &str, hint: &str, theme: Theme) -> Rect {
    let block = Block::bordered()
        .border_type(BorderType::Double)
        .border_style(theme.border(true))
        .title(Span::styled(format!(" {title} "), theme.title(true)))
        .title_bottom(Span::styled(format!(" {hint} "), theme.tone(Tone::Muted)));
    let inner = block.inner(rect);
    frame.render_widget(Clear, rect);
    frame.render_widget(block, rect);
    inner
}

/// The help text: every binding of the keymap, by context, then the filter
/// language.
fn help_sections(theme: Theme) -> Vec<Vec<Line<'static>>> {
    let mut sections: Vec<Vec<Line<'static>>> = Context::ALL
        .iter()
        .map(|context| {
            let mut lines = vec![Line::styled(context.title(), theme.header())];
            for binding in KEYMAP.iter().filter(|b| b.context == *context) {
                lines.push(Line::from(vec![
                    Span::styled(
                        format!("  {:<KEYS_WIDTH$} ", keys_label(binding)),
                        theme.key(),
                    ),
                    Span::raw(binding.description),
                ]));
            }
            lines.push(Line::raw(""));
            lines
        })
        .collect();
    let example = |syntax: &'static str, meaning: &'static str| {
        Line::from(vec![
            Span::styled(format!("  {syntax:<KEYS_WIDTH$} "), theme.tone(Tone::Info)),
            Span::raw(meaning),
        ])
    };
    sections.push(vec![
        Line::styled("Filter language (/)", theme.header()),
        example(
            "word \"two words\"",
            "sender, recipient, subject or tags contain it",
        ),
        example("type:bounced,deferred", "event type is one of these"),
        example("from:ana to:bob", "sender / recipient contains"),
        example("to:@gmail.com", "recipient's domain (ends with @gmail.com)"),
        example("smtp:550 ip:10.0.", "SMTP response / IP contains"),
        example("subject:\"a b\" tag:news", "subject / some tag contains"),
        example("since:15m until:2h", "time window (s m h d w, or RFC 3339)"),
        example(
            "since:09:00 until:today",
            "local times (the last 09:00), midnights",
        ),
        example("-type:opened", "a leading - excludes"),
        example("all terms", "must hold (AND); matching ignores case"),
        Line::raw(""),
        Line::styled("Mouse (when captured)", theme.header()),
        example("wheel", "scroll the pane under the pointer"),
        example("click", "focus that pane"),
    ]);
    sections
}

/// The help box: wide terminals get two columns.
fn help_geometry(area: Rect) -> (Rect, bool) {
    let wide = area.width >= 140;
    let width = if wide {
        area.width.saturating_sub(4).min(160)
    } else {
        area.width.saturating_sub(4).min(84)
    };
    (centered(area, width, area.height.saturating_sub(2)), wide)
}

fn help_columns(theme: Theme, wide: bool) -> Vec<Vec<Line<'static>>> {
    let sections = help_sections(theme);
    if !wide {
        return vec![sections.into_iter().flatten().collect()];
    }
    // Two columns, split between sections near the middle.
    let total: usize = sections.iter().map(Vec::len).sum();
    let mut left = Vec::new();
    let mut right = Vec::new();
    for section in sections {
        if left.len() < total / 2 {
            left.extend(section);
        } else {
            right.extend(section);
        }
    }
    vec![left, right]
}

/// The space inside a popup's border.
pub(super) fn inside(rect: Rect) -> Rect {
    Block::bordered().inner(rect)
}

/// How far the open overlay can scroll on a screen of `area`: content
/// lines past the first screenful.
pub fn scroll_limit(state: &AppState, area: Rect) -> u16 {
    let (lines, height) = match &state.overlay {
        Overlay::Help { .. } => {
            let (rect, wide) = help_geometry(area);
            let longest = help_columns(Theme::of(state), wide)
                .iter()
                .map(Vec::len)
                .max()
                .unwrap_or(0);
            (longest, inside(rect).height)
        }
        Overlay::Detail { item, .. } => {
            return super::detail::scroll_limit(state, item, area);
        }
        Overlay::ConnLog { source, .. } => {
            return super::connlog::scroll_limit(state, source, area);
        }
        _ => return 0,
    };
    u16::try_from(lines.saturating_sub(usize::from(height))).unwrap_or(u16::MAX)
}

pub fn draw_help(frame: &mut Frame, area: Rect, state: &AppState, scroll: u16) {
    let theme = Theme::of(state);
    let (rect, wide) = help_geometry(area);
    let inner = popup(
        frame,
        rect,
        "Help: keys",
        "j/k scroll · ? or Esc close",
        theme,
    );
    let columns = help_columns(theme, wide);
    let height = usize::from(inner.height);
    let longest = columns.iter().map(Vec::len).max().unwrap_or(0);
    let scroll = usize::from(scroll).min(longest.saturating_sub(height));
    let rects = Layout::horizontal(vec![Constraint::Fill(1); columns.len()])
        .spacing(2)
        .split(inner);
    for (lines, rect) in columns.into_iter().zip(rects.iter()) {
        let width = usize::from(rect.width);
        let visible: Vec<Line> = lines
            .into_iter()
            .skip(scroll)
            .take(height)
            .map(|line| fit_spans(line.spans, width))
            .collect();
        frame.render_widget(Paragraph::new(visible), *rect);
    }
}

/// `d`'s question: stop watching `source`?
pub fn draw_confirm_unwatch(frame: &mut Frame, area: Rect, state: &AppState, source: &Source) {
    let theme = Theme::of(state);
    let rect = centered(area, area.width.saturating_sub(4).min(60), 3);
    let inner = popup(frame, rect, "Stop watching?", "y yes · n no", theme);
    let line = fit_spans(
        vec![
            Span::raw("Stop watching "),
            Span::styled(clean(&source.to_string()).into_owned(), theme.title(true)),
            Span::raw("? Its rows and records go."),
        ],
        usize::from(inner.width),
    );
    frame.render_widget(Paragraph::new(line), inner);
}

pub fn draw_watch_prompt(
    frame: &mut Frame,
    area: Rect,
    state: &AppState,
    input: &Input,
    error: Option<&str>,
) {
    let theme = Theme::of(state);
    let rect = centered(area, area.width.saturating_sub(4).min(70), 4);
    let inner = popup(frame, rect, "Watch", "Enter watch · Esc cancel", theme);
    let width = usize::from(inner.width);
    let (line, cursor) = input_line("watch: ", input, None, None, width, theme);
    let second = match error {
        Some(error) => fit_spans(
            vec![Span::styled(format!("✖ {error}"), theme.tone(Tone::Bad))],
            width,
        ),
        None => fit_spans(
            vec![Span::styled(
                "issue ID · campaign ID · domain NAME · inbox",
                theme.tone(Tone::Muted),
            )],
            width,
        ),
    };
    frame.render_widget(Paragraph::new(vec![line, second]), inner);
    frame.set_cursor_position((inner.x + cursor, inner.y));
}
