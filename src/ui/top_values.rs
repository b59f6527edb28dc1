//! The top-values panel (`t`): beside the log table when the pane is wide
//! enough, else a box over the screen. It draws the list the reducer last
//! refreshed ([`TopPanel`]), reading no record.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::theme::{Theme, Tone};
use super::widgets::{self, cell, fit, fit_spans};
use crate::app::AppState;
use crate::app::feed::group_digits;
use crate::app::top_values::{TopField, TopPanel};
use crate::sanitize::clean;

/// The log pane's inner width from which the panel sits beside the table.
const SIDE_FROM: u16 = 100;
/// Columns of the bar after each value.
const BAR: usize = 8;

fn panel(state: &AppState) -> Option<&TopPanel> {
    state.logs.current()?;
    state.logs.top.as_ref()
}

/// Splits the log pane's rows under its header (column names and table)
/// into the table's part and the side panel's, when the panel is open and
/// the pane wide enough; `None` for the panel otherwise.
pub fn beside(area: Rect, state: &AppState) -> (Rect, Option<Rect>) {
    if panel(state).is_none() || area.width < SIDE_FROM {
        return (area, None);
    }
    let width = (area.width * 2 / 5).clamp(36, 60);
    let table = Rect {
        width: area.width - width,
        ..area
    };
    let side = Rect {
        x: area.x + table.width,
        width,
        ..area
    };
    (table, Some(side))
}

/// The panel in `side` (from [`beside`]), or, when the pane is narrow, as
/// a box over the screen.
pub fn draw(frame: &mut Frame, side: Option<Rect>, state: &AppState) {
    let Some(panel) = panel(state) else { return };
    let area = match side {
        Some(side) => side,
        None => {
            let screen = frame.area();
            let screen = Rect {
                height: screen.height.saturating_sub(1),
                ..screen
            };
            // Borders, the field and count lines, the rows, the others.
            let values = &panel.values;
            let rest = u16::from(values.other_values > 0 || values.without > 0);
            let rows = values.rows.len().max(1) as u16;
            widgets::centered(
                screen,
                screen.width.saturating_sub(4).min(72),
                rows + 4 + rest,
            )
        }
    };
    let theme = Theme::of(state);
    let block = Block::default()
        .borders(if side.is_some() {
            Borders::LEFT
        } else {
            Borders::ALL
        })
        .border_style(theme.border(true))
        .title(Span::styled(
            format!(" top {} ", panel.field.label()),
            theme.title(true),
        ));
    let inner = block.inner(area);
    frame.render_widget(Clear, area);
    frame.render_widget(block, area);
    let width = usize::from(inner.width);
    let mut lines = vec![field_line(theme, panel.field, width)];
    let values = &panel.values;
    lines.push(Line::styled(
        fit(
            &format!(
                "{} matches · h/l field · Enter filter · e exclude",
                group_digits(values.matches as u64)
            ),
            width,
        )
        .into_owned(),
        theme.tone(Tone::Muted),
    ));
    // Value, count, share, bar: the value takes what the rest leaves.
    let count_width = values
        .rows
        .first()
        .map_or(1, |r| group_digits(r.count as u64).len());
    let fixed = count_width + 1 + 6 + 1 + BAR;
    let value_width = width.saturating_sub(fixed + 1).max(4);
    let bar_width = if width > value_width + fixed { BAR } else { 0 };
    // Under the field and count lines; above the others line, if any.
    let rest_line = usize::from(values.other_values > 0 || values.without > 0);
    let list_rows = usize::from(inner.height).saturating_sub(2 + rest_line);
    let top = panel.selected.saturating_sub(list_rows.saturating_sub(1));
    if values.rows.is_empty() {
        lines.push(Line::styled("no values", theme.tone(Tone::Muted)));
    }
    let most = values.rows.first().map_or(1, |r| r.count.max(1));
    for (i, row) in values.rows.iter().enumerate().skip(top).take(list_rows) {
        let share = values.share(row.count);
        let filled = (row.count * bar_width).div_ceil(most).min(bar_width);
        let mut spans = vec![
            Span::raw(cell(&clean(&row.value), value_width)),
            Span::raw(format!(" {:>count_width$}", group_digits(row.count as u64))),
            Span::styled(format!(" {:>5.1}%", share * 100.0), theme.tone(Tone::Muted)),
        ];
        if bar_width > 0 {
            spans.push(Span::raw(" "));
            spans.push(Span::styled("█".repeat(filled), theme.tone(Tone::Info)));
            spans.push(Span::raw(" ".repeat(bar_width - filled)));
        }
        let line = fit_spans(spans, width);
        lines.push(if i == panel.selected {
            line.patch_style(theme.selected())
        } else {
            line
        });
    }
    let mut rest = Vec::new();
    if values.other_values > 0 {
        rest.push(format!(
            "{} others ({})",
            group_digits(values.other_values as u64),
            group_digits(values.other_count as u64)
        ));
    }
    if values.without > 0 {
        rest.push(format!("{} without", group_digits(values.without as u64)));
    }
    if !rest.is_empty() {
        lines.push(Line::styled(
            fit(&rest.join(" · "), width).into_owned(),
            theme.tone(Tone::Muted),
        ));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The fields, the current one marked (reversed, not by colour alone).
fn field_line(theme: Theme, current: TopField, width: usize) -> Line<'static> {
    let mut spans = Vec::new();
    for field in TopField::ALL {
        if !spans.is_empty() {
            spans.push(Span::raw(" "));
        }
        let style = if field == current {
            theme
                .tone(Tone::Info)
                .add_modifier(Modifier::REVERSED | Modifier::BOLD)
        } else {
            theme.tone(Tone::Muted)
        };
        spans.push(Span::styled(field.label(), style));
    }
    fit_spans(spans, width)
}
