//! The live feed pane.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::theme::{Theme, Tone};
use super::widgets::{self, PaneHeading, column_widths, columns, conn_badge, display_width};
use crate::app::feed::{FeedGroup, FeedPane};
use crate::app::{AppState, Pane};
use crate::model::Source;

const COLUMNS: [Constraint; 4] = [
    Constraint::Length(8),
    Constraint::Length(5),
    Constraint::Fill(2),
    Constraint::Fill(3),
];

pub fn draw(frame: &mut Frame, area: Rect, state: &AppState) {
    let theme = Theme::of(state);
    let feed = &state.feed;
    let focused = super::is_focused(state, Pane::Feed);
    let mut title = Vec::new();
    if feed.paused {
        title.push(Span::styled(
            format!(" ⏸ paused: {} new ", feed.pending),
            theme
                .tone(Tone::Warn)
                .add_modifier(ratatui::style::Modifier::BOLD),
        ));
    }
    if !focused && feed.unread > 0 {
        title.push(Span::styled(
            format!(" {} unread ", feed.unread),
            theme
                .tone(Tone::Info)
                .add_modifier(ratatui::style::Modifier::BOLD),
        ));
    }
    // The connection goes first; what it may take is what the pane's name
    // and the other marks leave of the top border. The name is measured
    // with the focus mark either way, so the badge keeps its form as the
    // focus moves.
    let heading = PaneHeading::new(state, Pane::Feed, area.width);
    let focus_mark = if focused { 0 } else { display_width("▶ ") };
    let taken = heading.width() + focus_mark + title.iter().map(Span::width).sum::<usize>() + 4;
    let (conn_text, conn_tone) = conn_badge(
        state.streams.get(&Source::Inbox),
        state.now_ms,
        usize::from(area.width).saturating_sub(taken),
    );
    title.insert(
        0,
        Span::styled(format!(" {conn_text} "), theme.tone(conn_tone)),
    );
    // The legend in the longest form the bottom border holds: every
    // toggle must stay readable, so the words shrink before any is cut.
    let border = usize::from(area.width).saturating_sub(2);
    let legend = LEGEND_FORMS
        .iter()
        .map(|form| legend(feed, *form, theme))
        .find(|spans| spans.iter().map(Span::width).sum::<usize>() <= border)
        .unwrap_or_else(|| legend(feed, LegendForm::Keys, theme));
    let block = widgets::pane_block(&heading, title, theme).title_bottom(Line::from(legend));
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let height = usize::from(inner.height);
    let len = feed.visible_len();
    if len == 0 {
        let text = if feed.items.len() > feed.pending {
            "No events of the shown types (A shows all)"
        } else if feed.paused {
            "Paused; nothing before the pause"
        } else {
            "Waiting for inbox and campaign events…"
        };
        frame.render_widget(
            Paragraph::new(Line::styled(text, theme.tone(Tone::Muted))),
            inner,
        );
        return;
    }
    let widths = column_widths(&COLUMNS, inner.width);
    let top = feed.cursor.window_top(len, height);
    let selected = feed.cursor.selected_in(len);
    let lines: Vec<Line> = feed
        .visible()
        .enumerate()
        .skip(top)
        .take(height)
        .map(|(index, item)| {
            let time = widgets::clock(item.at_ms);
            let line = columns(
                [
                    (time.as_str(), theme.tone(Tone::Muted)),
                    (item.kind.marker(), theme.feed_kind(item.kind)),
                    (item.who.as_str(), Default::default()),
                    (item.what.as_str(), Default::default()),
                ],
                &widths,
            );
            if focused && selected == Some(index) {
                line.patch_style(theme.selected())
            } else {
                line
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The toggle key of a group, from the keymap the handler uses.
fn keymap_key(group: FeedGroup) -> String {
    use crate::app::keymap::{KEYMAP, KeyAction, key_label};
    KEYMAP
        .iter()
        .find(|b| b.action == KeyAction::ToggleFeed(group))
        .and_then(|b| b.keys.first())
        .map(key_label)
        .unwrap_or_default()
}

/// How much of each toggle the feed's legend says.
#[derive(Clone, Copy)]
enum LegendForm {
    /// `✓b bounce`
    Words,
    /// `✓b bnc`
    Short,
    /// `✓b`
    Keys,
}

const LEGEND_FORMS: [LegendForm; 3] = [LegendForm::Words, LegendForm::Short, LegendForm::Keys];

fn legend(feed: &FeedPane, form: LegendForm, theme: Theme) -> Vec<Span<'static>> {
    FeedGroup::ALL
        .iter()
        .map(|group| {
            let key = keymap_key(*group);
            let (mark, style) = if feed.is_shown(*group) {
                ("✓", theme.tone(Tone::Plain))
            } else {
                ("✗", theme.tone(Tone::Muted))
            };
            let text = match form {
                LegendForm::Words => format!(" {mark}{key} {}", group.label()),
                LegendForm::Short => format!(" {mark}{key} {}", group.short_label()),
                LegendForm::Keys => format!(" {mark}{key}"),
            };
            Span::styled(text, style)
        })
        .chain([Span::raw(" ")])
        .collect()
}
