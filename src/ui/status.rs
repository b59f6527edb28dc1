//! The two-line status bar: every stream's state on the first line (the
//! troubled ones spelled out first, the live ones counted), messages on the
//! second.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::Paragraph;

use super::theme::{Theme, Tone};
use super::widgets::{self, conn_badge, display_width, fit_spans};
use crate::app::AppState;
use crate::model::{ConnState, Source};
use crate::sanitize::clean;

fn severity(tone: Tone) -> u8 {
    match tone {
        Tone::Bad => 0,
        Tone::Warn => 1,
        Tone::Info => 2,
        Tone::Muted | Tone::Plain => 3,
        Tone::Good => 4,
    }
}

pub fn draw(frame: &mut Frame, area: Rect, state: &AppState) {
    let width = usize::from(area.width);
    let mut streams = streams_line(state);
    push_proxy(state, &mut streams, width);
    let lines = vec![
        fit_spans(streams, width),
        fit_spans(messages_line(state), width),
    ];
    frame.render_widget(Paragraph::new(lines), area);
}

fn streams_line(state: &AppState) -> Vec<Span<'static>> {
    let theme = Theme::of(state);
    let muted = theme.tone(Tone::Muted);
    let mut spans = Vec::new();
    if state.demo {
        spans.push(Span::styled(" DEMO ", theme.badge()));
        spans.push(Span::raw(" "));
    }
    let start = spans.len();
    // Alerts first: on a narrow terminal the streams' details are cut
    // before the count is.
    if let Some(count) = super::alerts::count_text(state) {
        spans.push(Span::styled(count, theme.tone(Tone::Bad)));
    }
    let mut troubled: Vec<(u8, String, String, Tone)> = Vec::new();
    let (mut live, mut finished) = (0, 0);
    for (source, status) in &state.streams {
        match status.conn {
            ConnState::Live => {
                live += 1;
                continue;
            }
            ConnState::Finished { .. } => {
                finished += 1;
                continue;
            }
            _ => {}
        }
        // Several may share the line: the failure count, not its start.
        let (text, tone) = conn_badge(Some(status), state.now_ms, 0);
        troubled.push((
            severity(tone),
            clean(&source.to_string()).into_owned(),
            text,
            tone,
        ));
    }
    troubled.sort_by_key(|(severity, ..)| *severity);
    let separate = |spans: &mut Vec<Span<'static>>| {
        if spans.len() > start {
            spans.push(Span::styled(" │ ", muted));
        }
    };
    if state.streams.is_empty() {
        separate(&mut spans);
        spans.push(Span::styled("no streams yet", muted));
    }
    for (_, label, text, tone) in troubled {
        separate(&mut spans);
        spans.push(Span::raw(format!("{label} ")));
        spans.push(Span::styled(text, theme.tone(tone)));
    }
    // Healthy and finished streams are counted, not listed: the ones that
    // need attention stay in view on a narrow terminal.
    for (count, symbol, text, tone) in [
        (live, "●", "live", Tone::Good),
        (finished, "■", "finished", Tone::Muted),
    ] {
        if count == 0 {
            continue;
        }
        separate(&mut spans);
        let noun = if count == 1 { "stream" } else { "streams" };
        spans.push(Span::styled(
            format!("{symbol} {count} {noun} {text}"),
            theme.tone(tone),
        ));
    }
    // The domain nearest its rate limit, named: the logs header shows the
    // current domain's own quota, and two bare figures side by side read
    // as one that disagrees with itself.
    let lowest_quota = state
        .streams
        .iter()
        .filter_map(|(source, s)| Some((source, s.rate_limit?)))
        .filter_map(|(source, r)| Some((r.remaining?, r.limit, source)))
        .min_by_key(|(remaining, ..)| *remaining);
    if let Some((remaining, limit, source)) = lowest_quota {
        let of = limit.map_or(String::new(), |l| format!("/{l}"));
        let who = match source {
            Source::DomainLogs { domain } => clean(domain).into_owned(),
            other => clean(&other.to_string()).into_owned(),
        };
        let tone = if remaining == 0 {
            Tone::Bad
        } else {
            Tone::Muted
        };
        spans.push(Span::styled(
            format!(" │ {who} quota {remaining}{of} left"),
            theme.tone(tone),
        ));
    }
    spans
}

/// `│ via proxy host:port` at the end of the streams line, shortened to
/// `│ proxy host:port` or left out rather than cut: the streams' states
/// matter more.
fn push_proxy(state: &AppState, spans: &mut Vec<Span<'static>>, width: usize) {
    let Some(proxy) = &state.proxy else { return };
    let used: usize = spans.iter().map(Span::width).sum();
    let fits = |text: &String| used + display_width(text) <= width;
    let Some(text) = [format!(" │ via proxy {proxy}"), format!(" │ proxy {proxy}")]
        .into_iter()
        .find(fits)
    else {
        return;
    };
    spans.push(Span::styled(text, Theme::of(state).tone(Tone::Muted)));
}

fn messages_line(state: &AppState) -> Vec<Span<'static>> {
    let theme = Theme::of(state);
    let muted = theme.tone(Tone::Muted);
    // The hint first: a long error must not push it off the screen.
    let mut spans = vec![
        Span::styled("?", theme.key()),
        Span::styled(" help ", muted),
        Span::styled("q", theme.key()),
        Span::styled(" quit", muted),
    ];
    let separate = |spans: &mut Vec<Span<'static>>| spans.push(Span::styled(" │ ", muted));
    // Why a filter does not parse, when the bar cannot show it whole (a
    // long filter leaves it half a line): its hint ("use 30s, 15m, …") is
    // read here.
    if let Some(bar) = &state.logs.filter_bar
        && let Some(error) = &bar.error
        && !reason_fits_in_bar(state, bar.input.value(), &error.reason)
    {
        separate(&mut spans);
        spans.push(Span::styled(
            format!("✖ {}", error.reason),
            theme.tone(Tone::Bad),
        ));
    }
    if let Some(notice) = state.current_notice() {
        separate(&mut spans);
        spans.push(Span::styled(notice.to_string(), theme.tone(Tone::Info)));
    }
    // The malformed count goes before the error, its detail after: a long
    // error may push the detail off a narrow screen, never the count.
    if state.malformed.count > 0 {
        separate(&mut spans);
        spans.push(Span::styled(
            format!("⚠ {} malformed skipped", state.malformed.count),
            theme.tone(Tone::Warn),
        ));
    }
    if let Some(error) = state.current_error() {
        separate(&mut spans);
        spans.push(Span::styled(
            format!(
                "error {} {}: {}",
                widgets::clock(error.at_ms),
                clean(&error.source.to_string()),
                error.text
            ),
            theme.tone(Tone::Bad),
        ));
    }
    if let Some((source, detail)) = &state.malformed.last {
        separate(&mut spans);
        spans.push(Span::styled(
            format!("last malformed: {}: {detail}", clean(&source.to_string())),
            theme.tone(Tone::Warn),
        ));
    }
    spans
}

/// Whether the filter bar shows `reason` whole beside `text`, as
/// [`widgets::input_line`] lays them out in the logs pane.
fn reason_fits_in_bar(state: &AppState, text: &str, reason: &str) -> bool {
    let screen = ratatui::layout::Rect::new(0, 0, state.size.0, state.size.1);
    let Some(areas) = super::layout::areas(screen, state) else {
        return false;
    };
    let width = usize::from(areas.logs.width.saturating_sub(2));
    display_width(reason) + 3 <= widgets::input_reason_room(super::logs::FILTER_PROMPT, text, width)
}
