//! Send health on screen: the mark a send row or a domain title carries
//! while it has an active alert (`▲ bounces 11.2%`, a glyph and a word, so
//! it reads without colour), and the alert list overlay (`!`): newest
//! first, when each began, about what, what crossed which line, the latest
//! value and whether it is still active.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::overlay::{inside, popup};
use super::theme::{Theme, Tone};
use super::widgets::{self, cell, display_width, fit, fit_spans};
use crate::app::AppState;
use crate::app::alert_list::{listed, subject_name, value_against_threshold};
use crate::app::alerts::{Alert, format_value};
use crate::app::timezone::format_time;
use crate::model::Source;
use crate::model::alert::{AlertRules, AlertUnit};

/// The glyph of an active alert, wherever one is shown.
pub const GLYPH: &str = "▲";

/// A subject's mark while it has active alerts, longest form first:
/// `▲ bounces 11.2% +1`, then without the number (`▲ bounces +1`). The
/// first alert raised is named; `+N` counts the others.
pub(super) fn mark_forms(state: &AppState, source: &Source) -> Option<[String; 2]> {
    // The first raised is named (by rule among those raised together).
    let first = state
        .alerts
        .active_for(source)
        .min_by_key(|a| (a.since_ms, a.kind))?;
    let others = state.alerts.active_for(source).count() - 1;
    let more = if others > 0 {
        format!(" +{others}")
    } else {
        String::new()
    };
    let label = first.kind.label();
    let short = format!("{GLYPH} {label}{more}");
    let long = match first.unit {
        // Rates and counts say how bad; a stall's seconds and a failure
        // have nothing to add to the word.
        AlertUnit::Percent | AlertUnit::Count => format!(
            "{GLYPH} {label} {}{more}",
            format_value(first.latest, first.unit)
        ),
        AlertUnit::Seconds | AlertUnit::None => short.clone(),
    };
    Some([long, short])
}

/// The longest of `forms` that fits `width`, else the shortest.
pub(super) fn longest_fitting(forms: &[String], width: usize) -> &str {
    forms
        .iter()
        .find(|f| display_width(f) <= width)
        .or(forms.last())
        .map_or("", String::as_str)
}

/// The status bar's count: `▲ 3 alerts · ! list`; nothing when none.
pub(super) fn count_text(state: &AppState) -> Option<String> {
    let n = state.alerts.active().count();
    let noun = if n == 1 { "alert" } else { "alerts" };
    (n > 0).then(|| format!("{GLYPH} {n} {noun} · ! list"))
}

/// The overlay's box.
fn rect(area: Rect) -> Rect {
    widgets::centered(
        area,
        area.width.saturating_sub(6).min(140),
        area.height.saturating_sub(4),
    )
}

/// One line per alert, under a header, when the box is this wide; two
/// lines per alert below it.
const WIDE: usize = 100;
/// The marker column: `▸ ` on the selected alert.
const MARKER: usize = 2;
const TIME: usize = 8;
const GAP: usize = 2;

/// Lines each alert takes, and how many alerts a page shows, in `inner`.
fn shape(inner: Rect) -> (usize, usize) {
    if usize::from(inner.width) >= WIDE {
        (1, usize::from(inner.height.saturating_sub(1)))
    } else {
        (2, usize::from(inner.height) / 2)
    }
}

/// Alerts the list shows at once on a screen of `area`.
pub fn page_height(area: Rect) -> u16 {
    u16::try_from(shape(inside(rect(area))).1).unwrap_or(u16::MAX)
}

/// What one alert's row says, column by column.
struct Row {
    began: String,
    subject: String,
    alert: &'static str,
    crossed: String,
    latest: String,
    state: String,
    active: bool,
}

fn row(state: &AppState, alert: &Alert) -> Row {
    let zone = state.logs.shown_zone();
    let crossed = value_against_threshold(alert.kind, alert.value, alert.threshold, alert.unit);
    let latest = format_value(alert.latest, alert.unit);
    Row {
        began: format_time(alert.since_ms, zone, false),
        subject: subject_name(state, &alert.source),
        alert: alert.kind.describe(),
        crossed: if crossed.is_empty() {
            "—".into()
        } else {
            crossed
        },
        latest: if latest.is_empty() {
            "—".into()
        } else {
            latest
        },
        state: match alert.cleared_ms {
            None => "active".into(),
            Some(at) => format!("cleared {}", format_time(at, zone, false)),
        },
        active: alert.is_active(),
    }
}

pub fn draw(frame: &mut Frame, area: Rect, state: &AppState, selected: usize, scroll: usize) {
    let theme = Theme::of(state);
    let rect = rect(area);
    let rows: Vec<Row> = listed(state).into_iter().map(|a| row(state, a)).collect();
    let active = rows.iter().filter(|r| r.active).count();
    let title = match rows.len() {
        0 => "Alerts · none yet".to_string(),
        n => format!("Alerts · {active} active · {} cleared", n - active),
    };
    let title = fit(&title, usize::from(rect.width).saturating_sub(4)).into_owned();
    let inner = popup(
        frame,
        rect,
        &title,
        "j/k move · Enter go to it · ! or Esc close",
        theme,
    );
    let width = usize::from(inner.width);
    if rows.is_empty() {
        let lines: Vec<Line> = empty_lines(state.alerts.rules())
            .into_iter()
            .enumerate()
            .map(|(i, text)| {
                let tone = if i == 0 { Tone::Plain } else { Tone::Muted };
                fit_spans(vec![Span::styled(text, theme.tone(tone))], width)
            })
            .collect();
        frame.render_widget(Paragraph::new(lines), inner);
        return;
    }
    let (per_alert, page) = shape(inner);
    let page = page.max(1);
    let selected = selected.min(rows.len() - 1);
    // The selection in view, and no empty page below the last alert.
    let top = scroll
        .min(selected)
        .max((selected + 1).saturating_sub(page))
        .min(rows.len().saturating_sub(page));
    let columns = Columns::measure(&rows, width);
    let mut lines = Vec::new();
    if per_alert == 1 {
        lines.push(columns.header(theme));
    }
    for (index, r) in rows.iter().enumerate().skip(top).take(page) {
        let is_selected = index == selected;
        let mut row_lines = if per_alert == 1 {
            vec![columns.wide(r, is_selected, theme)]
        } else {
            narrow(r, is_selected, width, theme)
        };
        if is_selected {
            for line in &mut row_lines {
                *line = std::mem::take(line).patch_style(theme.selected());
            }
        }
        lines.extend(row_lines);
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The columns of the one-line form: every column as wide as its widest
/// cell; the subject takes what is left.
struct Columns {
    width: usize,
    subject: usize,
    alert: usize,
    crossed: usize,
    latest: usize,
    state: usize,
}

const HEADERS: [&str; 6] = ["began", "subject", "alert", "crossed", "latest", "state"];

impl Columns {
    fn measure(rows: &[Row], width: usize) -> Columns {
        let widest = |header: &str, cell: fn(&Row) -> &str| {
            rows.iter()
                .map(|r| display_width(cell(r)))
                .chain([display_width(header)])
                .max()
                .unwrap_or(0)
        };
        let alert = widest(HEADERS[2], |r| r.alert);
        let crossed = widest(HEADERS[3], |r| &r.crossed);
        let latest = widest(HEADERS[4], |r| &r.latest);
        let state = widest(HEADERS[5], |r| &r.state);
        let fixed = MARKER + TIME + GAP * 5 + alert + crossed + latest + state;
        let subject = width
            .saturating_sub(fixed)
            .min(widest(HEADERS[1], |r| &r.subject))
            .max(12);
        Columns {
            width,
            subject,
            alert,
            crossed,
            latest,
            state,
        }
    }

    fn cells(&self, texts: [&str; 6]) -> [String; 6] {
        let widths = [
            TIME,
            self.subject,
            self.alert,
            self.crossed,
            self.latest,
            self.state,
        ];
        std::array::from_fn(|i| cell(texts[i], widths[i]))
    }

    fn header(&self, theme: Theme) -> Line<'static> {
        let text = " ".repeat(MARKER) + &self.cells(HEADERS).join(&" ".repeat(GAP));
        fit_spans(vec![Span::styled(text, theme.header())], self.width)
    }

    fn wide(&self, r: &Row, selected: bool, theme: Theme) -> Line<'static> {
        let [began, subject, alert, crossed, latest, state] = self.cells([
            &r.began, &r.subject, r.alert, &r.crossed, &r.latest, &r.state,
        ]);
        let gap = || Span::raw(" ".repeat(GAP));
        fit_spans(
            vec![
                Span::raw(if selected { "▸ " } else { "  " }),
                Span::styled(began, theme.tone(Tone::Muted)),
                gap(),
                Span::raw(subject),
                gap(),
                Span::raw(alert),
                gap(),
                Span::raw(crossed),
                gap(),
                Span::raw(latest),
                gap(),
                Span::styled(state, state_style(r, theme)),
            ],
            self.width,
        )
    }
}

fn state_style(r: &Row, theme: Theme) -> ratatui::style::Style {
    theme.tone(if r.active { Tone::Bad } else { Tone::Muted })
}

/// The two-line form: when, who and the state; under it what crossed
/// which line and the latest value.
fn narrow(r: &Row, selected: bool, width: usize, theme: Theme) -> Vec<Line<'static>> {
    let state_width = display_width(&r.state);
    let subject_width = width.saturating_sub(MARKER + TIME + GAP * 2 + state_width);
    let first = fit_spans(
        vec![
            Span::raw(if selected { "▸ " } else { "  " }),
            Span::styled(r.began.clone(), theme.tone(Tone::Muted)),
            Span::raw(" ".repeat(GAP)),
            Span::raw(cell(&r.subject, subject_width)),
            Span::raw(" ".repeat(GAP)),
            Span::styled(r.state.clone(), state_style(r, theme)),
        ],
        width,
    );
    let mut detail = vec![
        Span::raw(" ".repeat(MARKER + TIME + GAP)),
        Span::raw(r.alert),
    ];
    if r.crossed != "—" {
        detail.push(Span::raw(format!(" {}", r.crossed)));
        detail.push(Span::styled(
            format!(" · latest {}", r.latest),
            theme.tone(Tone::Muted),
        ));
    }
    vec![first, fit_spans(detail, width)]
}

/// What the empty list says: no alerts yet, and the rules that could
/// raise one.
fn empty_lines(rules: &AlertRules) -> Vec<String> {
    let pct = |v: f64| format_value(v, AlertUnit::Percent);
    let mut on = Vec::new();
    if let Some(th) = rules.bounce_rate_pct {
        on.push(format!(
            "bounce rate > {} of a send's sent (from {} sent)",
            pct(th),
            rules.min_sent
        ));
    }
    if let Some(th) = rules.complaint_rate_pct {
        on.push(format!(
            "complaint rate > {} of a send's sent (from {} sent)",
            pct(th),
            rules.min_sent
        ));
    }
    if let Some(th) = rules.complaint_count {
        on.push(format!("complaints ≥ {th:.0} about one send"));
    }
    if let Some(th) = rules.stall_secs {
        on.push(format!("no progress while sending for {th:.0}s"));
    }
    if rules.failed_or_cancelled {
        on.push("a send failed or cancelled".into());
    }
    if let Some(th) = rules.domain_bounce_rate_pct {
        on.push(format!(
            "a domain's bounced+failed > {} over {}s (from {} records)",
            pct(th),
            rules.domain_window_secs,
            rules.domain_min_records
        ));
    }
    if let Some(th) = rules.stream_down_secs {
        on.push(format!("a stream down for {th:.0}s"));
    }
    if on.is_empty() {
        return vec!["No alerts yet, and every rule is off ([alerts] in the config).".into()];
    }
    let mut lines = vec!["No alerts yet. The rules on:".to_string()];
    lines.extend(on.into_iter().map(|rule| format!("  {rule}")));
    lines.push(format!(
        "An alert clears once its condition has been false for {}s.",
        rules.clear_after_secs
    ));
    lines
}
