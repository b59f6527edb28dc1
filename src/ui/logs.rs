//! The domain-logs pane: counts, filter bar, table.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::theme::{Theme, Tone};
use super::widgets::{self, PaneHeading, column_widths, columns, conn_badge, fit, fit_spans};
use crate::app::feed::group_digits;
use crate::app::logs::DomainView;
use crate::app::logstore::{RecordView, TYPE_CODES, count_slot_type};
use crate::app::{AppState, Pane};
use crate::model::LogEventType;
use crate::model::{ConnState, Source};
use crate::sanitize::clean;
use unicode_width::UnicodeWidthStr;

const COLUMNS: [Constraint; 6] = [
    Constraint::Length(8),
    Constraint::Length(9),
    Constraint::Fill(3),
    Constraint::Fill(3),
    Constraint::Fill(4),
    Constraint::Fill(2),
];
const HEADINGS: [&str; 6] = ["time", "type", "sender", "recipient", "subject", "tags"];

/// Short enough for the type column; the header and detail use full names.
/// The filter's `type:` reads these back.
fn short_type(event: Option<LogEventType>) -> &'static str {
    event.map_or("—", LogEventType::short_name)
}

/// The filter bar's prompt.
pub const FILTER_PROMPT: &str = "/ ";

pub fn draw(frame: &mut Frame, area: Rect, state: &AppState) {
    let theme = Theme::of(state);
    let focused = super::is_focused(state, Pane::Logs);
    let logs = &state.logs;
    let Some(view) = logs.current() else {
        let block = widgets::pane_block(
            &PaneHeading::new(state, Pane::Logs, area.width),
            vec![],
            theme,
        );
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let hint = Line::styled(
            "No domain watched. Press a, then: domain example.com",
            theme.tone(Tone::Muted),
        );
        frame.render_widget(Paragraph::new(hint), inner);
        return;
    };

    let source = Source::DomainLogs {
        domain: view.domain.clone(),
    };
    let stream = state.streams.get(&source);
    // The state words (the connection, following or not) come before
    // decoration: the domain's position and the switching hint take only
    // what they leave of the top border, in the longest form that fits.
    let follow_forms: &[&str] = if view.follow {
        &["· following "]
    } else {
        &["· follow off — f to resume ", "· follow off (f) "]
    };
    let follow_tone = if view.follow {
        theme.tone(Tone::Good)
    } else {
        theme.tone(Tone::Warn).add_modifier(Modifier::BOLD)
    };
    let shortest_follow = follow_forms.last().map_or(0, |f| f.width());
    let heading = PaneHeading::new(state, Pane::Logs, area.width);
    let name_width = heading.width() + 3;
    let border = usize::from(area.width).saturating_sub(name_width);
    // A domain too long for the border keeps room for the state words.
    let name = clean(&view.domain);
    let domain = format!(
        "· {} ",
        fit(&name, border.saturating_sub(shortest_follow + 10))
    );
    let room = border.saturating_sub(domain.width() + shortest_follow);
    // Live but silent since the stream was opened: say so, rather than a
    // green `live` over an empty table (a stalled domain looks healthy).
    let silent = stream.is_some_and(|s| s.conn == ConnState::Live)
        && view.store.streamed() == 0
        && view.complete.is_none();
    let (conn_text, conn_tone) = if silent {
        let text = ["○ connected, nothing yet", "○ nothing yet"]
            .into_iter()
            .find(|form| form.width() <= room)
            .unwrap_or("○ nothing yet");
        (text.to_string(), Tone::Info)
    } else {
        conn_badge(stream, state.now_ms, room)
    };
    let mut left = room.saturating_sub(conn_text.width() + 1) + shortest_follow;
    let follow = follow_forms
        .iter()
        .find(|f| f.width() <= left)
        .or(follow_forms.last())
        .map_or(String::new(), |f| f.to_string());
    left = left.saturating_sub(follow.width());
    let mut title = vec![Span::styled(domain, theme.title(focused))];
    if logs.domains.len() > 1 {
        let (at, of) = (logs.current + 1, logs.domains.len());
        let position = [
            format!("({at}/{of}, [ ] to switch) "),
            format!("({at}/{of}) "),
        ]
        .into_iter()
        .find(|p| p.width() <= left);
        if let Some(position) = position {
            title.push(Span::styled(position, theme.tone(Tone::Muted)));
        }
    }
    let follow = Span::styled(follow, follow_tone);
    title.push(Span::styled(format!("{conn_text} "), theme.tone(conn_tone)));
    title.push(follow);
    let block = widgets::pane_block(&heading, title, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);

    // Counts and filter lines, the histogram strip, the column names,
    // the table.
    let chrome = super::layout::logs_chrome_lines(state);
    let strip = super::histogram::rows(state, inner.height.saturating_sub(chrome));
    let [top_lines, strip_area, column_names, table] = Layout::vertical([
        Constraint::Length(chrome - 1),
        Constraint::Length(strip),
        Constraint::Length(1),
        Constraint::Fill(1),
    ])
    .areas(inner);
    let width = usize::from(inner.width);
    let mut lines = vec![header_line(state, view, width)];
    if let Some(bar) = &logs.filter_bar {
        let (line, cursor) = widgets::input_line(
            FILTER_PROMPT,
            &bar.input,
            bar.error.as_ref().map(|e| e.span.clone()),
            bar.error.as_ref().map(|e| e.reason.as_str()),
            width,
            theme,
        );
        lines.push(line);
        frame.set_cursor_position((top_lines.x + cursor, top_lines.y + 1));
    } else if !view.filter_text.is_empty() {
        lines.push(fit_spans(
            vec![
                Span::styled("filter: ", theme.tone(Tone::Muted)),
                Span::styled(view.filter_text.clone(), theme.tone(Tone::Info)),
                Span::styled("  (/ to edit)", theme.tone(Tone::Muted)),
            ],
            width,
        ));
    }
    frame.render_widget(Paragraph::new(lines), top_lines);
    // The top-values panel (`t`) takes the right of the table when wide.
    let (column_names, side) = super::top_values::beside(column_names, state);
    let (table, _) = super::top_values::beside(table, state);
    let widths = column_widths(&COLUMNS, column_names.width);
    let names = columns(HEADINGS.iter().map(|h| (*h, theme.header())), &widths);
    frame.render_widget(Paragraph::new(names), column_names);

    if strip > 0 {
        super::histogram::draw(frame.buffer_mut(), strip_area, state, view);
    }
    draw_table(frame, table, state, view, &widths, focused);
    let side = side.map(|s| Rect {
        height: s.height + table.height,
        ..s
    });
    super::top_values::draw(frame, side, state);
}

/// `12 match · 340 held · 340 streamed · complete (server: 340) · counts`.
fn header_line(state: &AppState, view: &DomainView, width: usize) -> Line<'static> {
    let theme = Theme::of(state);
    let store = &view.store;
    let muted = theme.tone(Tone::Muted);
    let mut spans = vec![
        Span::styled(
            group_digits(store.match_count() as u64),
            theme.tone(Tone::Info).add_modifier(Modifier::BOLD),
        ),
        Span::styled(" match · ", muted),
        Span::raw(group_digits(store.len() as u64)),
        Span::styled(" held · ", muted),
        Span::raw(group_digits(store.streamed())),
        Span::styled(" streamed", muted),
    ];
    if store.evicted() > 0 {
        spans.push(Span::styled(
            format!(
                " · {} evicted (cap {})",
                group_digits(store.evicted()),
                group_digits(store.cap() as u64)
            ),
            theme.tone(Tone::Warn),
        ));
    }
    match view.complete {
        Some(Some(total)) => spans.push(Span::styled(
            format!(" · complete (server: {})", group_digits(total)),
            theme.tone(Tone::Good),
        )),
        Some(None) => spans.push(Span::styled(" · complete", theme.tone(Tone::Good))),
        None => {}
    }
    let source = Source::DomainLogs {
        domain: view.domain.clone(),
    };
    if let Some(rate_limit) = state.streams.get(&source).and_then(|s| s.rate_limit)
        && let Some(remaining) = rate_limit.remaining
    {
        let of = rate_limit.limit.map_or(String::new(), |l| format!("/{l}"));
        spans.push(Span::styled(
            format!(" · quota {remaining}{of} left"),
            muted,
        ));
    }
    let counts = store.counts_by_type();
    // The separator only with room for a count after it, not dangling at
    // the edge of a narrow pane.
    let used: usize = spans.iter().map(Span::width).sum();
    if counts.iter().any(|n| *n > 0) && used + " │ delivered".len() <= width {
        spans.push(Span::styled(" │", muted));
    } else {
        return fit_spans(spans, width);
    }
    for slot in (0..TYPE_CODES).filter(|slot| counts[*slot] > 0) {
        let event = count_slot_type(slot);
        spans.push(Span::styled(
            format!(" {}", short_type(event)),
            theme.log_type(event),
        ));
        spans.push(Span::raw(format!(" {}", group_digits(counts[slot]))));
    }
    fit_spans(spans, width)
}

fn draw_table(
    frame: &mut Frame,
    area: Rect,
    state: &AppState,
    view: &DomainView,
    widths: &[usize],
    focused: bool,
) {
    let theme = Theme::of(state);
    let store = &view.store;
    let len = store.match_count();
    let height = usize::from(area.height);
    if len == 0 {
        let text = if store.is_empty() {
            "No records yet"
        } else {
            "No record matches the filter"
        };
        frame.render_widget(
            Paragraph::new(Line::styled(text, theme.tone(Tone::Muted))),
            area,
        );
        return;
    }
    let top = view.cursor.window_top(len, height);
    let selected = view.cursor.selected_in(len);
    let lines: Vec<Line> = (top..len.min(top + height))
        .filter_map(|index| Some((index, store.match_at(index)?)))
        .map(|(index, record)| {
            let line = record_line(state, &record, widths);
            if selected == Some(index) {
                let style = if focused {
                    theme.selected()
                } else {
                    theme.selected_unfocused()
                };
                line.patch_style(style)
            } else {
                line
            }
        })
        .collect::<Vec<_>>();
    widgets::draw_lines(frame.buffer_mut(), area, &lines);
}

fn record_line(state: &AppState, record: &RecordView<'_>, widths: &[usize]) -> Line<'static> {
    let theme = Theme::of(state);
    let time = widgets::clock(record.timestamp_ms);
    let tags_width = widths.get(5).copied().unwrap_or(0);
    let mut tags = String::new();
    for tag in record.tags() {
        if !tags.is_empty() {
            tags.push(',');
        }
        tags.push_str(tag);
        if tags.len() > tags_width * 4 {
            break;
        }
    }
    let cells = [
        (time.as_str(), theme.tone(Tone::Muted)),
        (
            short_type(record.event_type),
            theme.log_type(record.event_type),
        ),
        (record.sender, Default::default()),
        (record.recipient, Default::default()),
        (record.subject, Default::default()),
        (tags.as_str(), theme.tone(Tone::Muted)),
    ];
    let row = columns(cells, widths);
    super::highlight::mark_row(row, state, cells.map(|(text, _)| text))
}
