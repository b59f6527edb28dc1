//! Drawing helpers every pane shares: width-aware truncation, columns,
//! pane frames, gauges, sparklines, time and connection labels.

use std::borrow::Cow;
use std::ops::Range;

use ratatui::buffer::{Buffer, CellWidth};
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType};
use unicode_segmentation::UnicodeSegmentation;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::theme::{Theme, Tone, conn_tone};
use crate::app::{AppState, Pane, StreamStatus};
use crate::model::{ConnState, StopReason};
use crate::sanitize::is_printable_ascii;

pub const ELLIPSIS: char = '…';

/// The columns `text` takes when a paragraph draws it: ratatui places it
/// grapheme by grapheme, each as wide as [`CellWidth`] says. That is not
/// always the string's Unicode width: an emoji presentation selector
/// (`0\u{fe0f}`) or a skin-tone modifier makes a cluster wider than its
/// characters, a lam-alef pair is two clusters but one column as a string,
/// and a halfwidth voicing mark (U+FF9E) is a column of its own.
pub fn display_width(text: &str) -> usize {
    if is_printable_ascii(text) {
        return text.len();
    }
    text.graphemes(true)
        .filter(|g| !g.contains(char::is_control))
        .map(|g| usize::from(g.cell_width()))
        .sum()
}

/// `text` cut to `width` terminal columns, ending in `…` when cut. Wide
/// characters count two columns and combining marks none, so columns stay
/// aligned; widths are measured as [`display_width`] does, and the cut
/// falls between grapheme clusters, never inside one.
pub fn fit(text: &str, width: usize) -> Cow<'_, str> {
    if display_width(text) <= width {
        return Cow::Borrowed(text);
    }
    if width == 0 {
        return Cow::Borrowed("");
    }
    let budget = width - 1;
    let mut used = 0;
    let mut end = 0;
    for (i, g) in text.grapheme_indices(true) {
        let w = display_width(g);
        if used + w > budget {
            break;
        }
        used += w;
        end = i + g.len();
    }
    let mut cut = String::with_capacity(end + ELLIPSIS.len_utf8());
    cut.push_str(&text[..end]);
    cut.push(ELLIPSIS);
    Cow::Owned(cut)
}

/// `text` fitted to exactly `width` columns: cut or padded with spaces.
pub fn cell(text: &str, width: usize) -> String {
    let fitted = fit(text, width);
    let pad = width.saturating_sub(display_width(&fitted));
    let mut out = String::with_capacity(fitted.len() + pad);
    out.push_str(&fitted);
    out.extend(std::iter::repeat_n(' ', pad));
    out
}

/// Lines drawn from the top of `area`, one per row, cut at its right edge:
/// what a `Paragraph` of them draws, without splitting printable ASCII
/// into grapheme clusters cell by cell. A full table of records is almost
/// all ASCII, and segmenting it was most of a frame's cost.
pub fn draw_lines(buf: &mut Buffer, area: Rect, lines: &[Line<'_>]) {
    let right = area.right();
    for (line, y) in lines.iter().zip(area.top()..area.bottom()) {
        let mut x = area.left();
        for span in &line.spans {
            if x >= right {
                break;
            }
            let style = line.style.patch(span.style);
            let text: &str = &span.content;
            if is_printable_ascii(text) {
                for c in text.chars().take(usize::from(right - x)) {
                    buf[(x, y)].set_char(c).set_style(style);
                    x += 1;
                }
            } else {
                x = buf.set_stringn(x, y, text, usize::from(right - x), style).0;
            }
        }
    }
}

/// Column widths for `constraints` across `width`, one space apart.
pub fn column_widths(constraints: &[Constraint], width: u16) -> Vec<usize> {
    Layout::horizontal(constraints.iter().copied())
        .spacing(1)
        .split(Rect::new(0, 0, width, 1))
        .iter()
        .map(|r| usize::from(r.width))
        .collect()
}

/// One table row: each cell fitted to its column, one space apart.
pub fn columns<'a>(
    cells: impl IntoIterator<Item = (&'a str, Style)>,
    widths: &[usize],
) -> Line<'static> {
    let mut spans = Vec::with_capacity(widths.len() * 2);
    for (i, ((text, style), width)) in cells.into_iter().zip(widths).enumerate() {
        if i > 0 {
            spans.push(Span::raw(" "));
        }
        spans.push(Span::styled(cell(text, *width), style));
    }
    Line::from(spans)
}

/// Spans cut to `width` columns, the last visible one ending in `…`.
pub fn fit_spans(spans: Vec<Span<'static>>, width: usize) -> Line<'static> {
    let total: usize = spans.iter().map(|s| s.width()).sum();
    if total <= width {
        return Line::from(spans);
    }
    let mut out = Vec::with_capacity(spans.len());
    let mut left = width;
    for span in spans {
        let w = span.width();
        if w < left {
            left -= w;
            out.push(span);
            continue;
        }
        let cut = fit(&span.content, left).into_owned();
        out.push(Span::styled(cut, span.style));
        break;
    }
    Line::from(out)
}

/// Segments joined by `separator`, dropping whole segments that do not
/// fit: the highest `priority` number first, the rightmost of equals first.
/// What remains keeps its order.
pub fn fit_segments(
    segments: Vec<(u8, Vec<Span<'static>>)>,
    separator: Span<'static>,
    width: usize,
) -> Line<'static> {
    let widths: Vec<usize> = segments
        .iter()
        .map(|(_, spans)| spans.iter().map(Span::width).sum())
        .collect();
    let mut kept = vec![true; segments.len()];
    let total = |kept: &[bool]| {
        let shown: Vec<usize> = (0..widths.len())
            .filter(|i| kept[*i])
            .map(|i| widths[i])
            .collect();
        shown.iter().sum::<usize>() + separator.width() * shown.len().saturating_sub(1)
    };
    while total(&kept) > width {
        let drop = (0..segments.len())
            .filter(|i| kept[*i])
            .max_by_key(|i| (segments[*i].0, *i));
        match drop {
            Some(i) if kept.iter().filter(|k| **k).count() > 1 => kept[i] = false,
            _ => break,
        }
    }
    let mut spans = Vec::new();
    for (_, (_, segment)) in segments.into_iter().enumerate().filter(|(i, _)| kept[*i]) {
        if !spans.is_empty() {
            spans.push(separator.clone());
        }
        spans.extend(segment);
    }
    fit_spans(spans, width)
}

/// The forms of a zoomed pane's mark, longest first.
const ZOOM_FORMS: [&str; 3] = ["⤢ zoomed · Z to restore", "⤢ zoomed · Z", "⤢ Z"];

/// The start of a pane's title: ` ▶ 1 Sends `, and while the pane is
/// zoomed, that it is and how to get the other panes back. The panes
/// measure it to share out the rest of the border.
pub struct PaneHeading {
    name: String,
    focused: bool,
    zoom: Option<&'static str>,
}

impl PaneHeading {
    /// The heading of `pane`, drawn `width` columns wide. The zoom mark
    /// takes at most a third of the border, in the longest form that fits:
    /// the pane's own state words come after it and need the rest.
    pub fn new(state: &AppState, pane: Pane, width: u16) -> PaneHeading {
        let focused = state.focus == pane;
        let marker = if focused { "▶ " } else { "" };
        let zoom = (state.zoomed && focused).then(|| {
            let room = usize::from(width) / 3;
            ZOOM_FORMS
                .into_iter()
                .find(|form| display_width(form) < room)
                .unwrap_or(ZOOM_FORMS[ZOOM_FORMS.len() - 1])
        });
        PaneHeading {
            name: format!(" {marker}{} {} ", pane.number(), pane.title()),
            focused,
            zoom,
        }
    }

    /// Columns it takes.
    pub fn width(&self) -> usize {
        display_width(&self.name) + self.zoom.map_or(0, |z| display_width(z) + 1)
    }

    fn spans(&self, theme: Theme) -> Vec<Span<'static>> {
        let mut spans = vec![Span::styled(self.name.clone(), theme.title(self.focused))];
        if let Some(zoom) = self.zoom {
            spans.push(Span::styled(
                format!("{zoom} "),
                theme.tone(Tone::Info).add_modifier(Modifier::BOLD),
            ));
        }
        spans
    }
}

/// A pane's frame. The focused pane has a thick border and a `▶` before
/// its title, so focus shows without colour.
pub fn pane_block(
    heading: &PaneHeading,
    extra: Vec<Span<'static>>,
    theme: Theme,
) -> Block<'static> {
    let mut spans = heading.spans(theme);
    spans.extend(extra);
    Block::bordered()
        .border_type(if heading.focused {
            BorderType::Thick
        } else {
            BorderType::Plain
        })
        .border_style(theme.border(heading.focused))
        .title(Line::from(spans))
}

/// A centred box `width`×`height` (clamped to `area`).
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [rect] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(row);
    rect
}

/// A text gauge: `filled` and `empty` parts of a bar `width` cells wide.
pub fn gauge(ratio: Option<f64>, width: usize) -> (String, String) {
    const PARTIAL: [char; 8] = [' ', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
    let Some(ratio) = ratio else {
        return (String::new(), "·".repeat(width));
    };
    let eighths = (ratio.clamp(0.0, 1.0) * (width * 8) as f64).round() as usize;
    let full = eighths / 8;
    let mut filled = "█".repeat(full);
    let mut used = full;
    if full < width && !eighths.is_multiple_of(8) {
        filled.push(PARTIAL[eighths % 8]);
        used += 1;
    }
    (filled, "░".repeat(width - used))
}

/// A text sparkline of the last `width` values, scaled to the largest.
pub fn sparkline(values: impl ExactSizeIterator<Item = u64>, width: usize) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let skip = values.len().saturating_sub(width);
    let values: Vec<u64> = values.skip(skip).collect();
    let max = values.iter().copied().max().unwrap_or(0);
    values
        .iter()
        .map(|&v| {
            if max == 0 || v == 0 {
                ' '
            } else {
                BARS[(u128::from(v) * 7 / u128::from(max)) as usize]
            }
        })
        .collect()
}

/// `HH:MM:SS` in UTC.
pub fn clock(ms: i64) -> String {
    match chrono::DateTime::from_timestamp_millis(ms) {
        Some(t) => t.format("%H:%M:%S").to_string(),
        None => "--:--:--".into(),
    }
}

/// A short duration: `45s`, `2m10s`, `1h02m`, `3d04h`.
pub fn duration(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        3600..86_400 => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d{:02}h", s / 86_400, s % 86_400 / 3600),
    }
}

/// A rate per second, with one decimal below 100.
pub fn rate(per_second: f64) -> String {
    if per_second >= 100.0 {
        format!("{per_second:.0}/s")
    } else {
        format!("{per_second:.1}/s")
    }
}

/// `n` as a percentage of `of` (a decimal only below 10%), or a dash.
pub fn percent(n: u64, of: u64) -> String {
    if of == 0 {
        return "–".into();
    }
    let p = n as f64 * 100.0 / of as f64;
    if p < 10.0 {
        format!("{p:.1}%")
    } else {
        format!("{p:.0}%")
    }
}

/// A stream's state in words, led by a symbol: `● live`,
/// `↻ reconnecting in 3s`, `⏳ rate-limited 12s`, `✖ stopped: key refused`.
pub fn conn_label(status: Option<&StreamStatus>, now_ms: i64) -> (String, Tone) {
    let Some(status) = status else {
        return ("○ not connected".into(), Tone::Muted);
    };
    let tone = conn_tone(Some(&status.conn));
    let seconds_left = || {
        status
            .remaining(now_ms)
            .map_or(0, |d| d.as_secs_f64().ceil() as u64)
    };
    let text = match &status.conn {
        ConnState::Connecting { attempt: 1 } => "◌ connecting".to_string(),
        ConnState::Connecting { attempt } => format!("◌ connecting (try {attempt})"),
        ConnState::Live => "● live".into(),
        ConnState::Reconnecting { attempt, .. } => match seconds_left() {
            0 => format!("↻ reconnecting (try {attempt})"),
            s => format!("↻ reconnecting in {s}s"),
        },
        ConnState::RateLimited { .. } => format!("⏳ rate-limited {}s", seconds_left()),
        // How a send ended is on its card; how a log stream ended is in
        // its header. The stream's own words add nothing there.
        ConnState::Finished { .. } => "■ finished".into(),
        ConnState::Stopped(reason) => format!("✖ stopped: {}", stop_label(reason)),
    };
    (text, tone)
}

/// [`conn_label`], and when the stream keeps dying, how many times in a row
/// and since when: `↻ reconnecting in 4s · died 5× since 13:02:11`. The
/// first of these forms that fits `max_width` columns, else the last:
/// that one, `↻ 4s · died 5× since 13:02:11`,
/// `↻ reconnecting in 4s · died 5×`, `↻ 4s · died 5×`.
pub fn conn_badge(status: Option<&StreamStatus>, now_ms: i64, max_width: usize) -> (String, Tone) {
    let (label, tone) = conn_label(status, now_ms);
    let Some((status, run)) = status.and_then(|s| Some((s, s.dying()?))) else {
        return (label, tone);
    };
    let short = conn_short(status, now_ms).unwrap_or_else(|| label.clone());
    let count = format!("died {}×", run.count);
    let since = format!("{count} since {}", clock(run.since_ms));
    let forms = [
        format!("{label} · {since}"),
        format!("{short} · {since}"),
        format!("{label} · {count}"),
        format!("{short} · {count}"),
    ];
    let last = forms.len() - 1;
    let text = forms
        .into_iter()
        .enumerate()
        .find(|(i, form)| *i == last || display_width(form) <= max_width)
        .map(|(_, form)| form)
        .unwrap_or_default();
    (text, tone)
}

/// The state in a symbol and a number, beside a failure count that says
/// the rest: `↻ 4s`, `◌ try 6`, `⏳ 12s`, `✖ gave up`.
fn conn_short(status: &StreamStatus, now_ms: i64) -> Option<String> {
    let seconds_left = status
        .remaining(now_ms)
        .map_or(0, |d| d.as_secs_f64().ceil() as u64);
    Some(match &status.conn {
        ConnState::Connecting { attempt } => format!("◌ try {attempt}"),
        ConnState::Reconnecting { .. } if seconds_left == 0 => "↻ now".into(),
        ConnState::Reconnecting { .. } => format!("↻ {seconds_left}s"),
        ConnState::RateLimited { .. } => format!("⏳ {seconds_left}s"),
        ConnState::Stopped(reason) => format!("✖ {}", stop_label(reason)),
        ConnState::Live | ConnState::Finished { .. } => return None,
    })
}

/// A stop reason in a few words; the detail goes to the status bar's error.
pub fn stop_label(reason: &StopReason) -> &'static str {
    match reason {
        StopReason::NoKey { .. } => "no key",
        StopReason::KeyRefused { .. } => "key refused",
        StopReason::NotFound { .. } => "not found",
        StopReason::BadQuery { .. } => "bad query",
        StopReason::GaveUp { .. } => "gave up",
        StopReason::Tls { .. } => "certificate",
        StopReason::Proxy { .. } => "proxy refused",
        StopReason::Redirected { .. } => "redirected",
    }
}

/// A text input on one line: `prompt`, the visible part of the text (the
/// `bad` byte range red and underlined), and `reason` after it. Returns the
/// line and the cursor's column within it.
/// Columns [`input_line`] gives the reason beside `text`, its marker
/// included: what the text and the cursor after it leave free, and half
/// the line whatever the text's length (a short filter leaves room for the
/// whole of why it is wrong).
pub fn input_reason_room(prompt: &str, text: &str, width: usize) -> usize {
    let text_needs = prompt.width() + text.width() + 1;
    width.saturating_sub(text_needs).max(width / 2)
}

pub fn input_line(
    prompt: &str,
    input: &tui_input::Input,
    bad: Option<Range<usize>>,
    reason: Option<&str>,
    width: usize,
    theme: Theme,
) -> (Line<'static>, u16) {
    let prompt_width = prompt.width();
    let reason_room = input_reason_room(prompt, input.value(), width);
    let reason_width = reason.map_or(0, |r| (r.width() + 3).min(reason_room));
    let text_width = width.saturating_sub(prompt_width + reason_width).max(1);
    let scroll = input.visual_scroll(text_width);

    let mut spans = vec![Span::styled(prompt.to_string(), theme.key())];
    let mut run = String::new();
    let mut run_is_bad = false;
    let mut column = 0;
    for (byte, c) in input.value().char_indices() {
        // Typed text is the user's, but a pasted control character must not
        // reach the terminal either; one replacement keeps columns aligned.
        let c = if c.is_control() { '�' } else { c };
        let w = c.width().unwrap_or(0);
        let starts = column;
        column += w;
        if starts < scroll {
            continue;
        }
        if column > scroll + text_width {
            break;
        }
        let is_bad = bad.as_ref().is_some_and(|r| r.contains(&byte));
        if is_bad != run_is_bad && !run.is_empty() {
            spans.push(input_span(std::mem::take(&mut run), run_is_bad, theme));
        }
        run_is_bad = is_bad;
        run.push(c);
    }
    if !run.is_empty() {
        spans.push(input_span(run, run_is_bad, theme));
    }
    if let Some(reason) = reason {
        let used: usize = spans.iter().map(|s| s.width()).sum();
        let pad = (prompt_width + text_width).saturating_sub(used);
        spans.push(Span::raw(" ".repeat(pad)));
        spans.push(Span::styled(
            format!(" ✖ {}", fit(reason, reason_width.saturating_sub(3))),
            theme.tone(Tone::Bad),
        ));
    }
    let cursor = prompt_width + input.visual_cursor().saturating_sub(scroll);
    (
        fit_spans(spans, width),
        cursor.min(width.saturating_sub(1)) as u16,
    )
}

fn input_span(text: String, bad: bool, theme: Theme) -> Span<'static> {
    if bad {
        Span::styled(text, theme.bad_span())
    } else {
        Span::raw(text)
    }
}

/// Hard-wraps `text` into lines of at most `width` columns.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = vec![String::new()];
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > width {
            lines.push(String::new());
            used = 0;
        }
        if let Some(line) = lines.last_mut() {
            line.push(c);
        }
        used += w;
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_is_width_aware() {
        assert_eq!(fit("hello", 5), "hello");
        assert_eq!(fit("hello world", 5), "hell…");
        assert_eq!(fit("漢字漢字", 5), "漢字…");
        assert_eq!(fit("漢字漢字", 4), "漢…");
        assert_eq!(fit("e\u{301}e\u{301}e\u{301}", 2), "e\u{301}…");
        assert_eq!(fit("abc", 0), "");
        assert_eq!(fit("abc", 1), "…");
        for (s, w) in [("漢字漢字x", 6), ("a漢b", 3), ("😀😀😀", 4)] {
            assert!(fit(s, w).width() <= w, "{s} {w}");
        }
    }

    #[test]
    fn cell_pads_to_the_exact_width() {
        assert_eq!(cell("ab", 4), "ab  ");
        assert_eq!(cell("漢字漢字", 5), "漢字…");
        assert_eq!(cell("漢字漢字", 4).width(), 4);
        assert_eq!(cell("漢字漢字", 6).width(), 6);
    }

    #[test]
    fn gauges() {
        assert_eq!(gauge(Some(0.5), 4), ("██".into(), "░░".into()));
        assert_eq!(gauge(Some(1.0), 3), ("███".into(), String::new()));
        assert_eq!(gauge(Some(0.0), 3), (String::new(), "░░░".into()));
        let (filled, empty) = gauge(Some(0.3), 10);
        assert_eq!(filled.chars().count() + empty.chars().count(), 10);
        assert_eq!(gauge(None, 3), (String::new(), "···".into()));
    }

    #[test]
    fn sparklines() {
        assert_eq!(sparkline([0u64, 1, 2, 4, 8].into_iter(), 5), " ▁▂▄█");
        assert_eq!(sparkline([5u64, 5, 5].into_iter(), 2), "██");
        assert_eq!(sparkline(std::iter::empty::<u64>(), 4), "");
    }

    #[test]
    fn durations() {
        assert_eq!(duration(0), "0s");
        assert_eq!(duration(59_999), "59s");
        assert_eq!(duration(130_000), "2m10s");
        assert_eq!(duration(3_720_000), "1h02m");
        assert_eq!(duration(2 * 86_400_000 + 3_600_000), "2d01h");
    }

    #[test]
    fn clocks_and_numbers() {
        assert_eq!(clock(0), "00:00:00");
        assert_eq!(percent(1, 3), "33%");
        assert_eq!(percent(1, 30), "3.3%");
        assert_eq!(percent(1, 0), "–");
        assert_eq!(rate(12.345), "12.3/s");
        assert_eq!(rate(1234.5), "1234/s");
    }

    #[test]
    fn wrapping() {
        assert_eq!(wrap("abcdef", 4), ["abcd", "ef"]);
        assert_eq!(wrap("漢字漢", 4), ["漢字", "漢"]);
        assert_eq!(wrap("", 4), [""]);
    }

    #[test]
    fn a_short_input_leaves_its_reason_room_to_be_read_whole() {
        let reason = "unknown type \"x\": try bounced, deferred, permfail…";
        let shown = |value: &str, width: usize| {
            let input = tui_input::Input::new(value.into());
            let (line, _) = input_line(
                "/ ",
                &input,
                Some(0..6),
                Some(reason),
                width,
                Theme::color(),
            );
            let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
            assert!(line.width() <= width);
            text
        };
        // The filter bar's line in an 80-column terminal.
        assert!(shown("type:x", 78).ends_with(&format!(" ✖ {reason}")));
        // A long filter keeps at least half the line, the reason is cut.
        let long = format!("subject:\"{}\" type:x", "w".repeat(60));
        let text = shown(&long, 78);
        assert!(
            text.contains("✖ unknown type") && !text.contains(reason),
            "{text}"
        );
    }

    #[test]
    fn input_line_marks_the_bad_span_and_places_the_cursor() {
        let input = tui_input::Input::new("from:a frm:b".into());
        let (line, cursor) = input_line(
            "/ ",
            &input,
            Some(7..12),
            Some("unknown field"),
            60,
            Theme::color(),
        );
        let texts: Vec<&str> = line.spans.iter().map(|s| s.content.as_ref()).collect();
        assert_eq!(texts[..3], ["/ ", "from:a ", "frm:b"]);
        assert_eq!(line.spans[2].style, Theme::color().bad_span());
        assert_eq!(cursor, 14);
        assert!(line.width() <= 60);
    }

    #[test]
    fn segments_drop_whole_by_priority() {
        let seg = |p: u8, t: &'static str| (p, vec![Span::raw(t)]);
        let sep = Span::raw(" · ");
        let all = || {
            vec![
                seg(0, "aaaa"),
                seg(2, "bbbb"),
                seg(1, "cccc"),
                seg(2, "dddd"),
            ]
        };
        let text = |line: Line| {
            line.spans
                .iter()
                .map(|s| s.content.to_string())
                .collect::<String>()
        };
        assert_eq!(
            text(fit_segments(all(), sep.clone(), 100)),
            "aaaa · bbbb · cccc · dddd"
        );
        assert_eq!(
            text(fit_segments(all(), sep.clone(), 20)),
            "aaaa · bbbb · cccc"
        );
        assert_eq!(text(fit_segments(all(), sep.clone(), 12)), "aaaa · cccc");
        assert_eq!(text(fit_segments(all(), sep.clone(), 3)), "aa…");
    }
}
