//! The detail views (Enter): every field of a log record, a send or a feed
//! event, one per line, long values wrapped under their value column. A
//! send's also shows its rate over time, drawn larger than the card's
//! sparkline, and its connection history as `L` shows it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use serde_json::Value;

use super::overlay::{inside, popup};
use super::theme::{Theme, Tone};
use super::widgets::{self, cell, centered, conn_label, fit, percent, wrap};
use crate::app::feed::{FEED_CAPACITY, FeedItem, group_digits};
use crate::app::sends::{SendPhase, SendRow};
use crate::app::{AppState, DetailItem};
use crate::model::LogRecord;
use crate::model::log::format_timestamp_ms;
use crate::model::{ConnState, Source};
use crate::sanitize::clean;

/// The names' column; values start one column after it.
const NAME_WIDTH: usize = 15;
/// Rows of the rate chart: eight levels each.
const CHART_ROWS: usize = 4;
/// How to scroll and close, in the frame's bottom border.
const HINT: &str = "j/k PgUp/PgDn g/G scroll · Enter or Esc close";

/// The box: most of the screen, at most 120 columns wide.
pub(super) fn rect(area: Rect) -> Rect {
    centered(
        area,
        area.width.saturating_sub(6).min(120),
        area.height.saturating_sub(4),
    )
}

/// Lines a page is, on a screen of `area`.
pub fn page_height(area: Rect) -> u16 {
    inside(rect(area)).height
}

/// How far the detail can scroll on a screen of `area`: its lines past
/// the first screenful.
pub fn scroll_limit(state: &AppState, item: &DetailItem, area: Rect) -> u16 {
    let inner = inside(rect(area));
    let lines = lines(state, item, usize::from(inner.width)).map_or(0, |l| l.len());
    u16::try_from(lines.saturating_sub(usize::from(inner.height))).unwrap_or(u16::MAX)
}

pub fn draw(frame: &mut Frame, area: Rect, state: &AppState, item: &DetailItem, scroll: u16) {
    let theme = Theme::of(state);
    let rect = rect(area);
    // The border's corners and the title's padding take four columns.
    let title = fit(
        &title(state, item),
        usize::from(rect.width).saturating_sub(4),
    )
    .into_owned();
    let inner = popup(frame, rect, &title, HINT, theme);
    let lines = match lines(state, item, usize::from(inner.width)) {
        Ok(lines) => lines,
        Err(gone) => {
            let line = Line::styled(gone, theme.tone(Tone::Warn));
            frame.render_widget(Paragraph::new(line), inner);
            return;
        }
    };
    let height = usize::from(inner.height);
    let scroll = usize::from(scroll).min(lines.len().saturating_sub(height));
    let visible: Vec<Line> = lines.into_iter().skip(scroll).take(height).collect();
    frame.render_widget(Paragraph::new(visible), inner);
}

/// What the detail is of, sanitized.
fn title(state: &AppState, item: &DetailItem) -> String {
    match item {
        DetailItem::Record { domain, .. } => format!("Record · {}", clean(domain)),
        DetailItem::Send(source) => format!("Send · {}", clean(&source.to_string())),
        DetailItem::FeedEvent(id) => match state.feed.get(*id) {
            Some(event) => {
                let kind = event.fields.first().map_or("", |f| f.value.as_str());
                format!("Event · {kind} · {}", widgets::clock(event.at_ms))
            }
            None => "Event".to_string(),
        },
    }
}

/// The detail's lines at `width`, or why there are none: the item is no
/// longer held.
fn lines(state: &AppState, item: &DetailItem, width: usize) -> Result<Vec<Line<'static>>, String> {
    match item {
        DetailItem::Record { domain, seq } => state
            .logs
            .get(domain)
            .and_then(|view| view.store.full_record(*seq))
            .map(|record| record_lines(&record, width, Theme::of(state)))
            .ok_or_else(|| {
                "This record is no longer held (evicted, or the stream was re-opened).".into()
            }),
        DetailItem::Send(source) => state
            .sends
            .rows
            .iter()
            .find(|row| &row.source == source)
            .map(|row| send_lines(state, row, width))
            .ok_or_else(|| "This send is no longer watched.".into()),
        DetailItem::FeedEvent(id) => state
            .feed
            .get(*id)
            .map(|event| event_lines(event, width, Theme::of(state)))
            .ok_or_else(|| {
                format!(
                    "This event is no longer held (the feed keeps the newest {}).",
                    group_digits(FEED_CAPACITY as u64)
                )
            }),
    }
}

/// One field: its name, its value, and how the value is drawn.
struct Field {
    name: String,
    value: String,
    style: Style,
}

impl Field {
    fn new(name: &str, value: impl Into<String>) -> Field {
        Field {
            name: name.to_string(),
            value: value.into(),
            style: Style::default(),
        }
    }

    fn styled(mut self, style: Style) -> Field {
        self.style = style;
        self
    }
}

/// The fields in two columns; from `unknown_from` on, under a heading
/// that says the client does not know them.
fn field_lines(
    fields: Vec<Field>,
    unknown_from: Option<usize>,
    width: usize,
    theme: Theme,
) -> Vec<Line<'static>> {
    let value_width = width.saturating_sub(NAME_WIDTH + 1).max(8);
    let mut lines = Vec::new();
    for (i, field) in fields.into_iter().enumerate() {
        if Some(i) == unknown_from {
            lines.push(Line::styled("unknown fields", theme.header()));
        }
        for (j, chunk) in wrap(&field.value, value_width).into_iter().enumerate() {
            let label = if j == 0 {
                cell(&field.name, NAME_WIDTH)
            } else {
                " ".repeat(NAME_WIDTH)
            };
            lines.push(Line::from(vec![
                Span::styled(label, theme.tone(Tone::Muted)),
                Span::raw(" "),
                Span::styled(chunk, field.style),
            ]));
        }
    }
    lines
}

/// A log record: the fields the API documents, then any others it sent.
fn record_lines(record: &LogRecord, width: usize, theme: Theme) -> Vec<Line<'static>> {
    let absent = || "—".to_string();
    let event_type = match record.event_type {
        Some(t) => t.as_str().to_string(),
        None => absent(),
    };
    let mut fields = vec![
        Field::new("id", record.id.clone()),
        Field::new("timestamp", record.timestamp_rfc3339()),
        Field::new("event_type", event_type).styled(theme.log_type(record.event_type)),
        Field::new("sender", record.sender.clone()),
        Field::new("recipient", record.recipient.clone()),
        Field::new("subject", record.subject.clone()),
        Field::new("tags", record.tags.join(", ")),
        Field::new("message_id", record.message_id.clone()),
    ];
    for (name, value) in [
        ("smtp_response", &record.smtp_response),
        ("ip", &record.ip),
        ("user_agent", &record.user_agent),
        ("url", &record.url),
    ] {
        fields.push(Field::new(name, value.clone().unwrap_or_else(absent)));
    }
    let known = fields.len();
    for (name, value) in &record.extra {
        let text = match value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        fields.push(Field::new(name, text).styled(theme.tone(Tone::Info)));
    }
    let unknown_from = (fields.len() > known).then_some(known);
    field_lines(fields, unknown_from, width, theme)
}

/// A feed event: every field as it arrived (sanitized then), the unknown
/// ones last.
fn event_lines(event: &FeedItem, width: usize, theme: Theme) -> Vec<Line<'static>> {
    let unknown_from = event.fields.iter().position(|f| f.unknown);
    let fields = event
        .fields
        .iter()
        .map(|f| {
            let field = Field::new(&f.name, f.value.clone());
            if f.unknown {
                field.styled(theme.tone(Tone::Info))
            } else {
                field
            }
        })
        .collect();
    field_lines(fields, unknown_from, width, theme)
}

/// A send: every counter, time and connection state the dashboard holds,
/// its rate over time, and its connection history.
fn send_lines(state: &AppState, row: &SendRow, width: usize) -> Vec<Line<'static>> {
    let theme = Theme::of(state);
    let dash = || "—".to_string();
    let (source, kind, id) = match &row.source {
        Source::SendProgress { issue_id } => {
            ("blog API, send progress", "newsletter issue", issue_id)
        }
        Source::Campaign { campaign_id } => ("mail API, campaign channel", "campaign", campaign_id),
        _ => ("", "", &String::new()),
    };
    let time = |ms: Option<i64>| ms.map_or_else(dash, format_timestamp_ms);
    let of_sent = |n: u64| format!("{} ({} of sent)", group_digits(n), percent(n, row.sent));
    let sent = match (row.total, row.ratio()) {
        (Some(total), Some(ratio)) => format!(
            "{} of {} ({:.0}%)",
            group_digits(row.sent),
            group_digits(total),
            (ratio * 100.0).floor()
        ),
        _ => format!("{} of ?", group_digits(row.sent)),
    };
    let live = state.stream_live(&row.source);
    let eta = match row.eta_ms(live) {
        Some(eta) => widgets::duration(eta),
        None if row.phase != SendPhase::Sending => dash(),
        None if !live => "— (the stream is not live)".into(),
        None => "— (no rate yet)".into(),
    };
    let elapsed = match row.elapsed_ms(state.now_ms) {
        Some(ms) if matches!(row.phase, SendPhase::Ended(_)) => {
            format!("took {}", widgets::duration(ms))
        }
        Some(ms) => widgets::duration(ms),
        None => dash(),
    };
    let stream = state.streams.get(&row.source);
    let (conn, conn_tone) = conn_label(stream, state.now_ms);
    let conn = match stream {
        Some(status) => format!("{conn} since {}", widgets::clock(status.since_ms)),
        None => conn,
    };
    // A run of failures is news while the link is down; once it is up
    // again the history below tells it.
    let failures = match stream
        .filter(|s| s.conn != ConnState::Live)
        .and_then(|s| s.failing)
    {
        Some(run) => format!(
            "{} in a row since {}",
            run.count,
            widgets::clock(run.since_ms)
        ),
        None => "none now".into(),
    };
    let mut fields = vec![
        Field::new("source", source),
        Field::new("kind", kind),
        Field::new("id", clean(id)),
        Field::new("name", row.name.clone().unwrap_or_else(dash)),
        Field::new("status", super::sends::phase_text(state, row)).styled(theme.phase(row.phase)),
        Field::new("sent", sent),
        Field::new("opened", of_sent(row.opened)),
        Field::new("bounced", of_sent(row.bounced)),
        Field::new(
            "delivered",
            row.delivered
                .map_or_else(|| "— (campaigns only)".into(), of_sent),
        ),
        Field::new(
            "rate",
            row.rate.per_second().map_or_else(dash, widgets::rate),
        ),
        Field::new("eta", eta),
        Field::new("started", time(row.started_ms)),
        Field::new("ended", time(row.ended_ms)),
        Field::new("elapsed", elapsed),
        Field::new("connection", conn).styled(theme.tone(conn_tone)),
        Field::new("failures", failures),
    ];
    if let Some(reason) = &row.reason {
        fields.insert(
            4,
            Field::new("reason", reason.clone()).styled(theme.tone(Tone::Bad)),
        );
    }
    // The state's own words, where they say more than the label: why it
    // retries, stopped or finished.
    if let Some(status) =
        stream.filter(|s| !matches!(s.conn, ConnState::Live | ConnState::Connecting { .. }))
    {
        let at = fields.len() - 1;
        fields.insert(at, Field::new("state", status.conn.to_string()));
    }
    let mut lines = field_lines(fields, None, width, theme);

    let history: Vec<u64> = row.rate.history.iter().copied().collect();
    let chart_width = width.saturating_sub(NAME_WIDTH + 1).max(8);
    let shown = &history[history.len().saturating_sub(chart_width)..];
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        format!("rate, sends each second, the last {}s", shown.len()),
        theme.header(),
    ));
    if shown.iter().all(|v| *v == 0) {
        lines.push(Line::styled(
            "nothing sent in that time",
            theme.tone(Tone::Muted),
        ));
    } else {
        lines.extend(rate_chart(shown, theme));
    }

    lines.push(Line::raw(""));
    let events = stream.map_or(0, |s| s.history.len());
    lines.push(Line::styled(
        format!("connection history, {events} events, oldest first"),
        theme.header(),
    ));
    match stream.filter(|s| !s.history.is_empty()) {
        Some(status) => lines.extend(super::connlog::history_lines(state, status, width)),
        None => lines.push(Line::styled(
            "no connection events yet",
            theme.tone(Tone::Muted),
        )),
    }
    lines
}

/// Sends per second as a bar chart [`CHART_ROWS`] rows tall, one column a
/// second, scaled to the busiest second; the scale on the left, the time
/// under it.
fn rate_chart(values: &[u64], theme: Theme) -> Vec<Line<'static>> {
    const PARTIAL: [char; 9] = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = values.iter().copied().max().unwrap_or(0).max(1);
    let levels = (CHART_ROWS * 8) as u64;
    // Eighths of a row each column fills; a second with any send shows.
    let heights: Vec<u64> = values
        .iter()
        .map(|v| match v {
            0 => 0,
            v => (u128::from(*v) * u128::from(levels)).div_ceil(u128::from(max)) as u64,
        })
        .collect();
    let muted = theme.tone(Tone::Muted);
    let mut lines = Vec::with_capacity(CHART_ROWS + 1);
    for row in (0..CHART_ROWS as u64).rev() {
        let bars: String = heights
            .iter()
            .map(|h| PARTIAL[h.saturating_sub(row * 8).min(8) as usize])
            .collect();
        let scale = match row {
            r if r + 1 == CHART_ROWS as u64 => format!("{}/s", group_digits(max)),
            0 => "0".to_string(),
            _ => String::new(),
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{scale:>NAME_WIDTH$} "), muted),
            Span::styled(bars, theme.tone(Tone::Info)),
        ]));
    }
    // The time axis, where the chart is wide enough to hold both ends.
    let start = format!("-{}s", values.len());
    if let Some(gap) = values.len().checked_sub(start.len() + 4) {
        lines.push(Line::styled(
            format!("{:NAME_WIDTH$} {start} {:gap$}now", "", ""),
            muted,
        ));
    }
    lines
}
