//! The histogram strip over the log table: one column per time bucket,
//! stacked by outcome from the bottom (delivered, deferred, bounced,
//! unsubscribed, other), a time axis under it with the selected record's
//! bucket marked, and a legend when there is room. Without colour the
//! outcomes are told apart by glyphs.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use super::theme::{Theme, Tone};
use super::widgets::{self, fit_spans};
use crate::app::AppState;
use crate::app::feed::group_digits;
use crate::app::histogram::{Histogram, Outcome, bucket_label};
use crate::app::logs::DomainView;
use crate::app::timezone::Zone;

/// Columns left of the bars: the tallest bucket's count, the bucket size.
const MARGIN: u16 = 6;
/// Rows the strip takes at most, and at least when shown.
const MAX_ROWS: u16 = 8;
const MIN_ROWS: u16 = 2;

/// Rows the strip takes of `room` rows under the pane's header lines: a
/// third of them, leaving the table at least two.
pub fn rows(state: &AppState, room: u16) -> u16 {
    if !state.logs.histogram.shown || state.logs.current().is_none() {
        return 0;
    }
    (room / 3)
        .clamp(MIN_ROWS, MAX_ROWS)
        .min(room.saturating_sub(2))
}

/// Buckets a strip in a pane of inner width `width` has room for.
pub fn columns(width: u16) -> usize {
    usize::from(width.saturating_sub(MARGIN)).max(1)
}

/// How an outcome's cells look: a colour, or without colour a glyph.
fn cell(theme: Theme, outcome: Outcome) -> (&'static str, Style) {
    let tone = match outcome {
        Outcome::Delivered => Tone::Good,
        Outcome::Deferred => Tone::Warn,
        Outcome::Bounced => Tone::Bad,
        Outcome::Complaint => Tone::Info,
        Outcome::Other => Tone::Muted,
    };
    if !theme.no_color {
        return ("█", theme.tone(tone));
    }
    let glyph = match outcome {
        Outcome::Delivered => "█",
        Outcome::Deferred => "░",
        Outcome::Bounced => "#",
        Outcome::Complaint => "!",
        Outcome::Other => ":",
    };
    (glyph, Style::default())
}

/// The outcomes of one bucket's `cells` cells, bottom up, shared by count
/// (largest remainder). A bounce or an unsubscribe that its share rounds
/// away still gets a cell, taken from the largest outcome while that keeps
/// one: a lone bounce among thousands of deliveries is news.
fn stack(counts: &[u32; 5], cells: usize) -> Vec<Outcome> {
    let total: u64 = counts.iter().map(|c| u64::from(*c)).sum();
    let mut given = [0usize; 5];
    if total == 0 || cells == 0 {
        return Vec::new();
    }
    let share = |o: Outcome| u64::from(counts[o.index()]) * cells as u64;
    for o in Outcome::ALL {
        given[o.index()] = (share(o) / total) as usize;
    }
    let mut left = cells - given.iter().sum::<usize>();
    let mut by_remainder = Outcome::ALL;
    by_remainder.sort_by_key(|o| std::cmp::Reverse(share(*o) % total));
    for o in by_remainder {
        if left == 0 {
            break;
        }
        if counts[o.index()] > 0 {
            given[o.index()] += 1;
            left -= 1;
        }
    }
    for news in [Outcome::Bounced, Outcome::Complaint] {
        let largest = (0..5).max_by_key(|i| given[*i]).unwrap_or(0);
        if counts[news.index()] > 0 && given[news.index()] == 0 && given[largest] >= 2 {
            given[largest] -= 1;
            given[news.index()] += 1;
        }
    }
    Outcome::ALL
        .into_iter()
        .flat_map(|o| std::iter::repeat_n(o, given[o.index()]))
        .collect()
}

/// A bucket's start as the axis labels it, in the zone the table shows:
/// the date for day buckets, the date and time when the strip spans more
/// than a day (times alone would repeat), the seconds for buckets under a
/// minute.
fn axis_label(start_ms: i64, bucket_ms: i64, zone: Zone, window_ms: i64) -> String {
    const DAY: i64 = 24 * 3_600_000;
    let Some(t) = zone.wall(start_ms) else {
        return String::new();
    };
    let format = if bucket_ms >= DAY {
        "%m-%d"
    } else if window_ms > DAY {
        "%m-%d %H:%M"
    } else if bucket_ms < 60_000 {
        "%H:%M:%S"
    } else {
        "%H:%M"
    };
    t.format(format).to_string()
}

/// A count in the margin's few columns: `999`, `12k`, `3.4M`.
fn short_count(n: u32) -> String {
    match n {
        0..1_000 => n.to_string(),
        1_000..10_000 => format!("{:.1}k", f64::from(n) / 1e3),
        10_000..1_000_000 => format!("{}k", n / 1_000),
        _ => format!("{:.1}M", f64::from(n) / 1e6),
    }
}

pub fn draw(buf: &mut Buffer, area: Rect, state: &AppState, view: &DomainView) {
    if area.height < MIN_ROWS || area.width <= MARGIN {
        return;
    }
    let theme = Theme::of(state);
    let store = &view.store;
    let focus = view
        .cursor
        .selected_in(store.match_count())
        .and_then(|i| store.match_at(i))
        .map(|r| r.timestamp_ms);
    // Counted by the reducer for the pane's width (`Geometry`).
    let Some(h) = state.logs.strip.as_ref().map(|s| &s.histogram) else {
        return;
    };
    let legend = area.height >= 4;
    let bar_rows = area.height - 1 - u16::from(legend);
    draw_bars(buf, area, bar_rows, h, theme);
    let axis_y = area.y + bar_rows;
    let zone = state.logs.shown_zone();
    let axis = Rect::new(area.x, axis_y, area.width, 1);
    draw_axis(buf, axis, h, focus, zone, theme);
    if legend {
        let line = legend_line(h, theme, usize::from(area.width));
        let row = Rect::new(area.x, axis_y + 1, area.width, 1);
        widgets::draw_lines(buf, row, &[line]);
    }
}

fn draw_bars(buf: &mut Buffer, area: Rect, bar_rows: u16, h: &Histogram, theme: Theme) {
    let tallest = h.tallest();
    let muted = theme.tone(Tone::Muted);
    let top = Line::styled(format!("{:>5} ", short_count(tallest)), muted);
    widgets::draw_lines(buf, Rect::new(area.x, area.y, MARGIN, 1), &[top]);
    if tallest == 0 {
        let text = Line::styled("no matches to count", muted);
        let row = Rect::new(area.x + MARGIN, area.y, area.width - MARGIN, 1);
        widgets::draw_lines(buf, row, &[text]);
        return;
    }
    let rows = usize::from(bar_rows);
    for (column, counts) in h.counts.iter().enumerate() {
        let total: u32 = counts.iter().sum();
        // Any count shows at least one cell: a lone bounce is news.
        let cells = (u64::from(total) * rows as u64).div_ceil(u64::from(tallest)) as usize;
        let x = area.x + MARGIN + column as u16;
        for (level, outcome) in stack(counts, cells.min(rows)).into_iter().enumerate() {
            let y = area.y + bar_rows - 1 - level as u16;
            let (glyph, style) = cell(theme, outcome);
            if let Some(c) = buf.cell_mut((x, y)) {
                c.set_symbol(glyph).set_style(style);
            }
        }
    }
}

/// The margin's bucket size, then time labels every dozen columns or so,
/// and `▲` under the selected record's bucket.
fn draw_axis(
    buf: &mut Buffer,
    row: Rect,
    h: &Histogram,
    focus: Option<i64>,
    zone: Zone,
    theme: Theme,
) {
    let muted = theme.tone(Tone::Muted);
    let size = format!("{:>5} ", format!("/{}", bucket_label(h.bucket_ms)));
    widgets::draw_lines(
        buf,
        Rect::new(row.x, row.y, MARGIN, 1),
        &[Line::styled(size, muted)],
    );
    let width = usize::from(row.width - MARGIN);
    let mut text = vec![' '; width];
    let window_ms = h.counts.len() as i64 * h.bucket_ms;
    let label = |start_ms| axis_label(start_ms, h.bucket_ms, zone, window_ms);
    let sample = label(h.start_ms);
    let step = (sample.len() + 4).max(8);
    let mut column = 0;
    while column + sample.len() <= width.min(h.counts.len().max(1) + sample.len()) {
        let label = label(h.start_ms + column as i64 * h.bucket_ms);
        if column + label.len() > width {
            break;
        }
        for (i, c) in label.chars().enumerate() {
            text[column + i] = c;
        }
        column += step;
    }
    let mut spans = vec![Span::styled(text.iter().collect::<String>(), muted)];
    if let Some(mark) = focus.and_then(|t| h.column_of(t)) {
        // A label the mark would cut is left out.
        let word = |i: usize| text.get(i).is_some_and(|c| *c != ' ');
        let (mut from, mut to) = (mark, mark + 1);
        while from > 0 && word(from - 1) {
            from -= 1;
        }
        while word(to) {
            to += 1;
        }
        for c in &mut text[from..to.min(width)] {
            *c = ' ';
        }
        let before: String = text[..mark].iter().collect();
        let after: String = text[(mark + 1).min(width)..].iter().collect();
        spans = vec![
            Span::styled(before, muted),
            Span::styled("▲", theme.tone(Tone::Info).add_modifier(Modifier::BOLD)),
            Span::styled(after, muted),
        ];
    }
    let area = Rect::new(row.x + MARGIN, row.y, row.width - MARGIN, 1);
    widgets::draw_lines(buf, area, &[Line::from(spans)]);
}

fn legend_line(h: &Histogram, theme: Theme, width: usize) -> Line<'static> {
    let muted = theme.tone(Tone::Muted);
    let mut spans = vec![Span::styled("      ", muted)];
    for outcome in Outcome::ALL {
        let (glyph, style) = cell(theme, outcome);
        spans.push(Span::styled(glyph, style));
        spans.push(Span::styled(format!(" {}  ", outcome.label()), muted));
    }
    if h.outside > 0 {
        spans.push(Span::styled(
            format!("{} outside the strip", group_digits(h.outside)),
            muted,
        ));
    }
    fit_spans(spans, width)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_shared_by_count_and_bounces_are_never_rounded_away() {
        let counts = [1000, 0, 3, 0, 0];
        assert_eq!(stack(&counts, 1), [Outcome::Delivered]);
        assert_eq!(stack(&counts, 2), [Outcome::Delivered, Outcome::Bounced]);
        let tall = stack(&counts, 6);
        assert_eq!(tall.iter().filter(|o| **o == Outcome::Bounced).count(), 1);
        assert_eq!(tall.len(), 6);
        // Mostly delivered, a few bounces and unsubscribes: two cells show
        // the deliveries and the bounces, three all of them.
        let mixed = [400, 0, 10, 3, 0];
        assert_eq!(stack(&mixed, 2), [Outcome::Delivered, Outcome::Bounced]);
        assert_eq!(
            stack(&mixed, 3),
            [Outcome::Delivered, Outcome::Bounced, Outcome::Complaint]
        );
        assert!(stack(&[0; 5], 4).is_empty());
        let even = stack(&[2, 2, 0, 0, 0], 4);
        assert_eq!(
            even,
            [
                Outcome::Delivered,
                Outcome::Delivered,
                Outcome::Deferred,
                Outcome::Deferred
            ]
        );
    }

    #[test]
    fn counts_and_labels_fit_the_margin() {
        assert_eq!(short_count(999), "999");
        assert_eq!(short_count(1_234), "1.2k");
        assert_eq!(short_count(56_789), "56k");
        assert_eq!(short_count(2_500_000), "2.5M");
        let t = 1_780_000_000_000;
        let hour = 3_600_000;
        assert_eq!(axis_label(t, 60_000, Zone::Utc, hour), "20:26");
        assert_eq!(axis_label(t, 1_000, Zone::Utc, 60_000), "20:26:40");
        assert_eq!(axis_label(t, 24 * hour, Zone::Utc, 30 * 24 * hour), "05-28");
        // Over a day of 2 h buckets, times alone would repeat.
        assert_eq!(axis_label(t, 2 * hour, Zone::Utc, 48 * hour), "05-28 20:26");
        let cet = Zone::Fixed {
            offset_secs: 3600,
            name: "CET",
        };
        assert_eq!(axis_label(t, 60_000, cet, hour), "21:26");
    }
}
