//! The Sends pane: a two-line card per issue or campaign.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::layout::SEND_CARD_HEIGHT;
use super::theme::{Theme, Tone};
use unicode_width::UnicodeWidthStr;

use super::widgets::{
    self, PaneHeading, cell, conn_badge, fit_segments, fit_spans, gauge, percent,
};
use crate::app::feed::group_digits;
use crate::app::sends::{Outcome, SendPhase, SendRow};
use crate::app::{AppState, Pane};
use crate::model::alert::AlertKind;
use crate::model::{ConnState, Source};
use crate::sanitize::clean;

pub fn draw(frame: &mut Frame, area: Rect, state: &AppState) {
    let theme = Theme::of(state);
    let focused = super::is_focused(state, Pane::Sends);
    let rows = &state.sends.rows;
    let count = |wanted: fn(SendPhase) -> bool| rows.iter().filter(|r| wanted(r.phase)).count();
    let sending = count(|p| p == SendPhase::Sending);
    let ended = count(|p| matches!(p, SendPhase::Ended(_)));
    let summary = match rows.len() {
        0 => String::new(),
        n => format!(" {n} watched · {sending} sending · {ended} ended "),
    };
    let block = widgets::pane_block(
        &PaneHeading::new(state, Pane::Sends, area.width),
        vec![Span::styled(summary, theme.tone(Tone::Muted))],
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
    let visible = || rows.iter().enumerate().skip(top).take(cards);
    // Columns shared by the visible cards, so their gauges line up.
    let mut columns = CardColumns {
        width,
        alert: 0,
        timing: visible()
            .map(|(_, row)| timing(state, row).width())
            .max()
            .unwrap_or(0),
        conn: visible()
            .map(|(_, row)| conn_text(state, row, width).0.width())
            .max()
            .unwrap_or(0)
            .min(width / 3),
    };
    // The alert mark's column, as wide as the widest mark shown: the
    // longest form of each that leaves the gauge some room, else one
    // that takes the gauge's place (the percentage stays).
    let room = width.saturating_sub(columns.fixed() + 1);
    let with_gauge = room.saturating_sub(MIN_GAUGE_WITH_ALERT);
    columns.alert = visible()
        .filter_map(|(_, row)| super::alerts::mark_forms(state, &row.source))
        .map(|forms| {
            let fits = |limit| forms.iter().map(|f| f.width()).find(|w| *w <= limit);
            fits(with_gauge).or(fits(room)).unwrap_or(room)
        })
        .max()
        .unwrap_or(0);
    let mut lines = Vec::with_capacity(cards * 2);
    for (index, row) in visible() {
        let is_selected = selected == Some(index);
        let [first, second] = card(state, row, &columns, is_selected);
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
            let more = format!("  +{} more (j/k)", rows.len() - top - cards);
            *last = fit_spans(vec![Span::styled(more, theme.tone(Tone::Muted))], width);
        }
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The row's connection badge, at most a third of the row.
fn conn_text(state: &AppState, row: &SendRow, width: usize) -> (String, Tone) {
    conn_badge(state.streams.get(&row.source), state.now_ms, width / 3)
}

struct CardColumns {
    width: usize,
    /// The alert mark's column; 0 when no visible send has an alert.
    alert: usize,
    timing: usize,
    conn: usize,
}

const STATUS_WIDTH: usize = 11;
const PERCENT_WIDTH: usize = 4;
const MIN_GAUGE: usize = 4;
/// The gauge a mark's longer form leaves at least.
const MIN_GAUGE_WITH_ALERT: usize = 6;

impl CardColumns {
    fn label(&self) -> usize {
        (self.width / 4).clamp(12, 34)
    }

    /// Columns of line one besides the gauge and the alert mark.
    fn fixed(&self) -> usize {
        2 + self.label()
            + 1
            + STATUS_WIDTH
            + 1
            + 1
            + PERCENT_WIDTH
            + 1
            + self.timing
            + 1
            + self.conn
    }
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

/// The phase column. A watch whose stream ended before any progress is not
/// waiting for anything: it shows a dash, and the connection column why.
pub(super) fn phase_text(state: &AppState, row: &SendRow) -> String {
    let phase = row.phase;
    let stream_over = matches!(
        state.streams.get(&row.source).map(|s| &s.conn),
        Some(ConnState::Stopped(_) | ConnState::Finished { .. })
    );
    if phase == SendPhase::Waiting && stream_over {
        return "—".into();
    }
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

/// `eta 1m37s` while sending, `eta —` while no ETA can be told (the
/// stream is down, the rate unknown or zero, the send stalled: its last
/// rate says nothing of when it ends), `ended 09:56:00` once over.
fn timing(state: &AppState, row: &SendRow) -> String {
    let stalled = state
        .alerts
        .active_for(&row.source)
        .any(|a| a.kind == AlertKind::Stalled);
    let eta = || {
        let live = state.stream_live(&row.source);
        row.eta_ms(live).filter(|_| !stalled)
    };
    match (row.phase, row.ended_ms) {
        (SendPhase::Ended(_), Some(ended)) => format!("ended {}", widgets::clock(ended)),
        (SendPhase::Sending, _) => eta().map_or("eta —".to_string(), |eta| {
            format!("eta {}", widgets::duration(eta))
        }),
        _ => String::new(),
    }
}

/// Line one: who, status, gauge, percentage, timing, connection. Line two:
/// counts, rate and sparkline, elapsed; what does not fit is left out whole,
/// least important first.
fn card(
    state: &AppState,
    row: &SendRow,
    columns: &CardColumns,
    selected: bool,
) -> [Line<'static>; 2] {
    let theme = Theme::of(state);
    let width = columns.width;
    let (conn_text, conn_tone) = conn_text(state, row, width);
    let label_width = columns.label();
    let alert_width = if columns.alert > 0 {
        columns.alert + 1
    } else {
        0
    };
    let gauge_width = width.saturating_sub(columns.fixed() + alert_width);
    // Beside an alert a gauge too short to read goes; alone it keeps 4.
    let gauge_width = match (alert_width, gauge_width) {
        (0, w) => w.max(MIN_GAUGE),
        (_, w) if w < MIN_GAUGE => 0,
        (_, w) => w,
    };
    // A glyph and a word, bold: an alert reads without colour too.
    let mark = super::alerts::mark_forms(state, &row.source).map_or(String::new(), |forms| {
        super::alerts::longest_fitting(&forms, columns.alert).to_string()
    });

    let (filled, empty) = gauge(row.ratio(), gauge_width);
    let pct = row.ratio().map_or("–".to_string(), |r| {
        format!("{:.0}%", (r * 100.0).floor())
    });
    let first = fit_spans(
        vec![
            Span::raw(if selected { "▸ " } else { "  " }),
            Span::raw(cell(&label(row), label_width)),
            Span::raw(" "),
            Span::styled(
                cell(&phase_text(state, row), STATUS_WIDTH),
                theme.phase(row.phase),
            ),
            Span::raw(" "),
            Span::styled(cell(&mark, columns.alert), theme.tone(Tone::Bad)),
            Span::raw(if alert_width > 0 { " " } else { "" }),
            Span::styled(filled, theme.gauge_filled(row.phase)),
            Span::styled(empty, theme.tone(Tone::Muted)),
            Span::raw(" "),
            Span::raw(format!("{pct:>PERCENT_WIDTH$}")),
            Span::raw(" "),
            Span::raw(cell(&timing(state, row), columns.timing)),
            Span::raw(" "),
            Span::styled(cell(&conn_text, columns.conn), theme.tone(conn_tone)),
        ],
        width,
    );

    let muted = theme.tone(Tone::Muted);
    if row.phase == SendPhase::Waiting {
        let second = match state.streams.get(&row.source).map(|s| &s.conn) {
            Some(ConnState::Stopped(reason)) => Span::styled(
                format!("  no progress received; {reason}"),
                theme.tone(Tone::Bad),
            ),
            _ => Span::styled("  waiting for the first progress event", muted),
        };
        return [first, fit_spans(vec![second], width)];
    }
    let total = row.total.map_or("?".to_string(), group_digits);
    let stat = |name: &'static str, n: u64, style| {
        vec![
            Span::styled(format!("{name} "), muted),
            Span::styled(
                format!("{} {}", group_digits(n), percent(n, row.sent)),
                style,
            ),
        ]
    };
    let bounced_style = if row.bounced > 0 {
        theme.tone(Tone::Warn)
    } else {
        Default::default()
    };
    let mut segments = vec![
        (
            0,
            vec![Span::raw(format!("  {}/{total}", group_digits(row.sent)))],
        ),
        (3, stat("opened", row.opened, Default::default())),
        (2, stat("bounced", row.bounced, bounced_style)),
    ];
    if let Some(delivered) = row.delivered {
        segments.push((2, stat("delivered", delivered, Default::default())));
    }
    if row.phase == SendPhase::Sending {
        let spark_width = if width >= 120 { 30 } else { 10 };
        let mut rate = vec![Span::raw(
            row.rate
                .per_second()
                .map_or("—/s".to_string(), widgets::rate),
        )];
        if !row.rate.history.is_empty() {
            rate.push(Span::raw(" "));
            rate.push(Span::styled(
                widgets::sparkline(row.rate.history.iter().copied(), spark_width),
                theme.tone(Tone::Info),
            ));
        }
        segments.push((1, rate));
    }
    if let Some(elapsed) = row.elapsed_ms(state.now_ms) {
        let text = if matches!(row.phase, SendPhase::Ended(_)) {
            format!("took {}", widgets::duration(elapsed))
        } else {
            format!("{} elapsed", widgets::duration(elapsed))
        };
        segments.push((4, vec![Span::styled(text, muted)]));
    }
    if let Some(reason) = &row.reason {
        segments.push((0, vec![Span::styled(reason.clone(), theme.tone(Tone::Bad))]));
    }
    [
        first,
        fit_segments(segments, Span::styled(" · ", muted), width),
    ]
}
