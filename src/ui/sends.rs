//! The Sends pane: a two-line card per issue or campaign.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::layout::SEND_CARD_HEIGHT;
use super::theme::Tone;
use super::widgets::{self, cell, conn_label, fit_spans, gauge, percent};
use crate::app::feed::group_digits;
use crate::app::sends::{Outcome, SendPhase, SendRow};
use crate::app::{AppState, Pane};
use crate::sanitize::clean;
use crate::upstream::Source;

pub fn draw(frame: &mut Frame, area: Rect, state: &AppState) {
    let theme = state.theme;
    let focused = super::is_focused(state, Pane::Sends);
    let rows = &state.sends.rows;
    let ended = rows
        .iter()
        .filter(|r| matches!(r.phase, SendPhase::Ended(_)))
        .count();
    let summary = match rows.len() {
        0 => String::new(),
        n => format!(" {n} watched · {} running · {ended} ended ", n - ended),
    };
    let block = widgets::pane_block(
        Pane::Sends.number(),
        Pane::Sends.title(),
        vec![Span::styled(summary, theme.tone(Tone::Muted))],
        focused,
        theme,
    );
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if rows.is_empty() {
        let hint = Line::styled(
            "No sends watched. Press a, then: issue ID or campaign ID",
            theme.tone(Tone::Muted),
        );
        frame.render_widget(Paragraph::new(hint), inner);
        return;
    }

    let cards = usize::from(inner.height / SEND_CARD_HEIGHT);
    let top = state.sends.cursor.window_top(rows.len(), cards);
    let selected = state.sends.cursor.selected_in(rows.len());
    let width = usize::from(inner.width);
    let mut lines = Vec::with_capacity(cards * 2);
    for (index, row) in rows.iter().enumerate().skip(top).take(cards) {
        let is_selected = selected == Some(index);
        let [first, second] = card(state, row, width, is_selected);
        let style = match (is_selected, focused) {
            (true, true) => theme.selected(),
            (true, false) => theme.selected_unfocused(),
            _ => Default::default(),
        };
        lines.push(first.patch_style(style));
        lines.push(second);
    }
    if rows.len() > top + cards {
        // Say there is more below, on the last line, rather than hide it.
        if let Some(last) = lines.last_mut() {
            let more = format!(" +{} more (j/k) ", rows.len() - top - cards);
            *last = fit_spans(vec![Span::styled(more, theme.tone(Tone::Muted))], width);
        }
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

fn label(row: &SendRow) -> String {
    let base = match &row.source {
        Source::SendProgress { issue_id } => format!("issue {}", clean(issue_id)),
        Source::Campaign { campaign_id } => format!("campaign {}", clean(campaign_id)),
        other => clean(&other.to_string()).into_owned(),
    };
    match &row.name {
        Some(name) => format!("{base} · {name}"),
        None => base,
    }
}

fn phase_text(phase: SendPhase) -> String {
    let mark = match phase {
        SendPhase::Waiting => "…",
        SendPhase::Sending => "▶",
        SendPhase::Unknown => "?",
        SendPhase::Ended(Outcome::Sent | Outcome::Completed) => "✓",
        SendPhase::Ended(Outcome::Failed) => "✗",
        SendPhase::Ended(Outcome::Cancelled) => "■",
    };
    format!("{mark} {}", phase.label())
}

/// Line one: who, status, gauge, percentage, connection. Line two: counts,
/// rate and sparkline, timing.
fn card(state: &AppState, row: &SendRow, width: usize, selected: bool) -> [Line<'static>; 2] {
    let theme = state.theme;
    let (conn_text, conn_tone) = conn_label(state.streams.get(&row.source), state.now_ms);
    let label_width = (width / 4).clamp(12, 32);
    let conn_width = (width / 4).clamp(12, 30);
    const STATUS_WIDTH: usize = 11;
    const PERCENT_WIDTH: usize = 6;
    let fixed = 2 + label_width + 1 + STATUS_WIDTH + 1 + 1 + PERCENT_WIDTH + 1 + conn_width;
    let gauge_width = width.saturating_sub(fixed).max(4);

    let (filled, empty) = gauge(row.ratio(), gauge_width);
    let pct = row
        .ratio()
        .map_or("–".to_string(), |r| format!("{:.0}%", r * 100.0));
    let first = fit_spans(
        vec![
            Span::raw(if selected { "▸ " } else { "  " }),
            Span::raw(cell(&label(row), label_width)),
            Span::raw(" "),
            Span::styled(
                cell(&phase_text(row.phase), STATUS_WIDTH),
                theme.phase(row.phase),
            ),
            Span::raw(" "),
            Span::styled(filled, theme.gauge_filled(row.phase)),
            Span::styled(empty, theme.tone(Tone::Muted)),
            Span::raw(" "),
            Span::raw(format!("{pct:>PERCENT_WIDTH$}")),
            Span::raw(" "),
            Span::styled(cell(&conn_text, conn_width), theme.tone(conn_tone)),
        ],
        width,
    );

    let muted = theme.tone(Tone::Muted);
    let separator = || Span::styled(" · ", muted);
    let total = row.total.map_or("?".to_string(), group_digits);
    let mut spans = vec![
        Span::raw("  "),
        Span::raw(format!("{}/{total}", group_digits(row.sent))),
        separator(),
        Span::styled("opened ", muted),
        Span::raw(format!(
            "{} {}",
            group_digits(row.opened),
            percent(row.opened, row.sent)
        )),
        separator(),
        Span::styled("bounced ", muted),
        Span::styled(
            format!(
                "{} {}",
                group_digits(row.bounced),
                percent(row.bounced, row.sent)
            ),
            if row.bounced > 0 {
                theme.tone(Tone::Warn)
            } else {
                Default::default()
            },
        ),
    ];
    if let Some(delivered) = row.delivered {
        spans.extend([
            separator(),
            Span::styled("delivered ", muted),
            Span::raw(format!(
                "{} {}",
                group_digits(delivered),
                percent(delivered, row.sent)
            )),
        ]);
    }
    if row.phase == SendPhase::Sending {
        let spark_width = if width >= 120 { 30 } else { 10 };
        spans.extend([
            separator(),
            Span::raw(widgets::rate(row.rate.per_second)),
            Span::raw(" "),
            Span::styled(
                widgets::sparkline(row.rate.history.iter().copied(), spark_width),
                theme.tone(Tone::Info),
            ),
        ]);
    }
    let elapsed = row.elapsed_ms(state.now_ms).map(widgets::duration);
    match (row.phase, row.ended_ms, elapsed) {
        (SendPhase::Ended(_), Some(ended), elapsed) => {
            spans.extend([
                separator(),
                Span::styled(format!("ended {}", widgets::clock(ended)), muted),
            ]);
            if let Some(elapsed) = elapsed {
                spans.push(Span::styled(format!(" after {elapsed}"), muted));
            }
        }
        (_, _, Some(elapsed)) => {
            spans.extend([separator(), Span::raw(elapsed)]);
            if let Some(eta) = row.eta_ms() {
                spans.push(Span::raw(format!(" · eta {}", widgets::duration(eta))));
            }
        }
        _ => {}
    }
    if let Some(reason) = &row.reason {
        spans.extend([
            separator(),
            Span::styled(reason.clone(), theme.tone(Tone::Bad)),
        ]);
    }
    [first, fit_spans(spans, width)]
}
