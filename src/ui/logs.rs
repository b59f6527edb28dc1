//! The domain-logs pane: counts, filter bar, table.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::logcols::fit_columns;
use super::theme::{Theme, Tone};
use super::widgets::{self, PaneHeading, columns, conn_badge, fit, fit_spans};
use crate::app::feed::group_digits;
use crate::app::logcols::{ColumnSet, LogColumn};
use crate::app::logs::DomainView;
use crate::app::logstore::{LogStore, RecordView, TYPE_CODES, count_slot_type};
use crate::app::timezone::{Zone, format_time, needs_date};
use crate::app::{AppState, Pane};
use crate::model::LogEventType;
use crate::model::{ConnState, Source};
use crate::sanitize::clean;
use unicode_width::UnicodeWidthStr;

/// Columns the connection badge takes at least in the title (`● live `).
const MIN_CONN_WIDTH: usize = 7;

/// The table's columns as they fit the pane, and how times are written.
struct TableLayout {
    columns: Vec<(LogColumn, usize)>,
    widths: Vec<usize>,
    zone: Zone,
    /// The matches span more than a day: `05-27 13:02:55`.
    with_date: bool,
}

impl TableLayout {
    fn new(state: &AppState, view: &DomainView, width: u16) -> (TableLayout, String) {
        let zone = state.logs.shown_zone();
        let store = &view.store;
        // The first and last matches, in arrival order: O(1) per frame.
        let first = store.match_at(0).map(|r| r.timestamp_ms);
        let last = store
            .match_at(store.match_count().saturating_sub(1))
            .map(|r| r.timestamp_ms);
        let with_date = first
            .zip(last)
            .is_some_and(|(a, b)| needs_date(a, b, state.now_ms, zone));
        // The zone's name at the newest match (or now): a DST change shows
        // once records from after it arrive.
        let heading = format!("time {}", zone.label(last.unwrap_or(state.now_ms)));
        let time_width = if with_date { 14 } else { 8 }.max(heading.width());
        let columns = fit_columns(state.logs.columns, usize::from(width), time_width);
        let layout = TableLayout {
            widths: columns.iter().map(|(_, w)| *w).collect(),
            columns,
            zone,
            with_date,
        };
        (layout, heading)
    }

    fn width_of(&self, column: LogColumn) -> usize {
        self.columns
            .iter()
            .find(|(c, _)| *c == column)
            .map_or(0, |(_, w)| *w)
    }

    fn shows(&self, column: LogColumn) -> bool {
        self.columns.iter().any(|(c, _)| *c == column)
    }
}

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
    // An alert about the domain is named after it, a glyph and a word;
    // its number only where the name and the state words leave room.
    let name = clean(&view.domain);
    let spare = border.saturating_sub(name.width() + 3 + shortest_follow + MIN_CONN_WIDTH);
    let mark = super::alerts::mark_forms(state, &source).map_or(String::new(), |forms| {
        format!("{} ", super::alerts::longest_fitting(&forms, spare))
    });
    // A domain too long for the border keeps room for the state words.
    let domain = format!(
        "· {} ",
        fit(
            &name,
            border.saturating_sub(shortest_follow + 10 + mark.width())
        )
    );
    let room = border.saturating_sub(domain.width() + mark.width() + shortest_follow);
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
    if !mark.is_empty() {
        title.push(Span::styled(mark, theme.tone(Tone::Bad)));
    }
    if logs.domains.len() > 1 {
        let (at, of) = (logs.current + 1, logs.domains.len());
        // Alerts on the other tabs are counted beside the position, so
        // that one on a domain out of sight is not missed.
        let alerting = |domain: &str| {
            state.alerts.active().any(
                |a| matches!(&a.source, Source::DomainLogs { domain: d } if d.as_str() == domain),
            )
        };
        let elsewhere = logs
            .domains
            .iter()
            .enumerate()
            .filter(|(i, d)| *i != logs.current && alerting(&d.domain))
            .count();
        let glyph = super::alerts::GLYPH;
        let forms = if elsewhere > 0 {
            vec![
                format!("({at}/{of}, {glyph} {elsewhere} on other tabs, [ ] to switch) "),
                format!("({at}/{of} {glyph}{elsewhere}) "),
            ]
        } else {
            vec![
                format!("({at}/{of}, [ ] to switch) "),
                format!("({at}/{of}) "),
            ]
        };
        let tone = if elsewhere > 0 {
            Tone::Bad
        } else {
            Tone::Muted
        };
        if let Some(position) = forms.into_iter().find(|p| p.width() <= left) {
            title.push(Span::styled(position, theme.tone(tone)));
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
    let (layout, time_heading) = TableLayout::new(state, view, column_names.width);
    let names = columns(
        layout.columns.iter().map(|(column, _)| {
            let heading = match column {
                LogColumn::Time => time_heading.as_str(),
                other => other.heading(),
            };
            (heading, theme.header())
        }),
        &layout.widths,
    );
    frame.render_widget(Paragraph::new(names), column_names);

    if strip > 0 {
        super::histogram::draw(frame.buffer_mut(), strip_area, state, view);
    }
    draw_table(frame, table, state, view, &layout, focused);
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
    let set = state.logs.columns;
    if set != ColumnSet::Default {
        spans.push(Span::styled(format!(" · {} columns", set.name()), muted));
    }
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
    layout: &TableLayout,
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
    // The words marked in the cells: worked out once per frame, not per row.
    let columns: Vec<LogColumn> = layout.columns.iter().map(|(c, _)| *c).collect();
    let filter = super::highlight::shown_filter(state);
    let marked = super::highlight::words_by_column(filter.as_ref(), &columns);
    let lines: Vec<Line> = (top..len.min(top + height))
        .filter_map(|index| Some((index, store.match_at(index)?)))
        .map(|(index, record)| {
            let line = record_line(state, store, &record, layout, &marked);
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

fn record_line(
    state: &AppState,
    store: &LogStore,
    record: &RecordView<'_>,
    layout: &TableLayout,
    marked: &[Vec<String>],
) -> Line<'static> {
    let theme = Theme::of(state);
    let time = format_time(record.timestamp_ms, layout.zone, layout.with_date);
    let tags_width = layout.width_of(LogColumn::Tags);
    let mut tags = String::new();
    if tags_width > 0 {
        for tag in record.tags() {
            if !tags.is_empty() {
                tags.push(',');
            }
            tags.push_str(tag);
            if tags.len() > tags_width * 4 {
                break;
            }
        }
    }
    // Only the rows drawn, and only when a column shows them.
    let delivery = (layout.shows(LogColumn::Smtp) || layout.shows(LogColumn::Ip))
        .then(|| store.delivery(record.seq))
        .flatten()
        .unwrap_or_default();
    let cells: Vec<(LogColumn, &str, Style)> = layout
        .columns
        .iter()
        .map(|(column, _)| match column {
            LogColumn::Time => (*column, time.as_str(), theme.tone(Tone::Muted)),
            LogColumn::Type => (
                *column,
                short_type(record.event_type),
                theme.log_type(record.event_type),
            ),
            LogColumn::Sender => (*column, record.sender, Style::default()),
            LogColumn::Recipient => (*column, &*record.recipient, Style::default()),
            LogColumn::Subject => (*column, record.subject, Style::default()),
            LogColumn::Tags => (*column, tags.as_str(), theme.tone(Tone::Muted)),
            LogColumn::Smtp => (
                *column,
                delivery.smtp_response.as_deref().unwrap_or(""),
                Style::default(),
            ),
            LogColumn::Ip => (*column, delivery.ip.unwrap_or(""), theme.tone(Tone::Muted)),
        })
        .collect();
    let row = columns(
        cells.iter().map(|(_, text, style)| (*text, *style)),
        &layout.widths,
    );
    let texts: Vec<&str> = cells.iter().map(|(_, t, _)| *t).collect();
    super::highlight::mark_row(row, marked, &texts)
}
