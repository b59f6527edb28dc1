//! The top-values panel (`t`): for one field of the current matches, the
//! values seen most with their counts, so that "which ISP, which sender,
//! which SMTP answer" is read off one list. Enter on a value narrows the
//! filter to it, `e` excludes it.
//!
//! The counts are kept by the log store ([`LogStore::top_values`]): the
//! matches added since the last look are counted, the evicted ones taken
//! off, and a filter change recounts once. The reducer refreshes the list
//! kept here after each action while the panel is open, so drawing it
//! reads no record.
//!
//! [`LogStore::top_values`]: super::logstore::LogStore::top_values

use crate::model::LogEventType;

/// How many values the panel lists; the rest are "N others".
pub const TOP_ROWS: usize = 20;

/// A field the panel counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum TopField {
    /// The recipient's domain, lowercased: what an ISP's block is about.
    #[default]
    RecipientDomain,
    Sender,
    Subject,
    /// The SMTP response grouped by its status codes and leading words
    /// ([`smtp_group`](crate::model::log::smtp::smtp_group)).
    Smtp,
    /// Each tag of a record counts once.
    Tag,
    EventType,
    Ip,
}

impl TopField {
    /// `h`/`l` cycle in this order.
    pub const ALL: [TopField; 7] = [
        TopField::RecipientDomain,
        TopField::Sender,
        TopField::Subject,
        TopField::Smtp,
        TopField::Tag,
        TopField::EventType,
        TopField::Ip,
    ];

    pub fn label(self) -> &'static str {
        match self {
            TopField::RecipientDomain => "domain",
            TopField::Sender => "sender",
            TopField::Subject => "subject",
            TopField::Smtp => "smtp",
            TopField::Tag => "tag",
            TopField::EventType => "type",
            TopField::Ip => "ip",
        }
    }

    /// The next field (`l`), or the previous one (`h`), wrapping.
    pub fn cycle(self, forward: bool) -> TopField {
        let n = TopField::ALL.len();
        let at = TopField::ALL.iter().position(|f| *f == self).unwrap_or(0);
        TopField::ALL[if forward {
            (at + 1) % n
        } else {
            (at + n - 1) % n
        }]
    }

    /// The filter term that keeps records with `value` in this field
    /// (without the `-` of an exclusion): `to:@gmail.com`,
    /// `smtp:"550 5.7.1"`. `value` is as [`TopRow::value`] holds it.
    pub fn filter_term(self, value: &str) -> String {
        match self {
            TopField::RecipientDomain => format!("to:{}", quoted(&format!("@{value}"))),
            TopField::Sender => format!("from:{}", quoted(value)),
            TopField::Subject => format!("subject:{}", quoted(value)),
            TopField::Smtp => format!("smtp:{}", quoted(value)),
            TopField::Tag => format!("tag:{}", quoted(value)),
            TopField::EventType => format!("type:{value}"),
            TopField::Ip => format!("ip:{}", quoted(value)),
        }
    }
}

/// A value as one filter item: quoted when it holds a space, a comma or
/// starts with `-`. A filter value cannot hold `"`: a value with one is cut
/// to its longest part without, which the field still contains (this is
/// for contains-fields only; domains, IPs and types hold no quote).
fn quoted(value: &str) -> String {
    let value = if value.contains('"') {
        value.split('"').max_by_key(|part| part.len()).unwrap_or("")
    } else {
        value
    };
    if value.is_empty()
        || value.contains(|c: char| c.is_whitespace() || c == ',' || c == ':')
        || value.starts_with('-')
    {
        format!("\"{value}\"")
    } else {
        value.to_string()
    }
}

/// One listed value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopRow {
    /// As shown, and what [`TopField::filter_term`] takes: a domain
    /// without `@`, an event type's short name, an SMTP group.
    pub value: String,
    pub count: usize,
}

/// The top values of one field over the current matches.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TopValues {
    pub field: TopField,
    /// Matches counted: the share's denominator.
    pub matches: usize,
    /// Most first; ties by value.
    pub rows: Vec<TopRow>,
    /// Distinct values past the listed ones, and how often they occur.
    pub other_values: usize,
    pub other_count: usize,
    /// Matches without the field (no SMTP response, no IP, no tag, a
    /// recipient without `@`).
    pub without: usize,
}

impl TopValues {
    /// `count` as a share of the matches, 0 to 1.
    pub fn share(&self, count: usize) -> f64 {
        if self.matches == 0 {
            0.0
        } else {
            count as f64 / self.matches as f64
        }
    }
}

/// What the event type column shows, for the panel.
pub fn type_label(event: Option<LogEventType>) -> &'static str {
    event.map_or("(none)", LogEventType::short_name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::filter::{TextField, parse};

    #[test]
    fn filter_terms_parse_back() {
        for (field, value, term) in [
            (TopField::RecipientDomain, "gmail.com", "to:@gmail.com"),
            (TopField::Smtp, "550 5.7.1", "smtp:\"550 5.7.1\""),
            (TopField::Sender, "a@b.io", "from:a@b.io"),
            (TopField::Subject, "Hi, \"you\"", "subject:\"Hi, \""),
            (TopField::Tag, "-x", "tag:\"-x\""),
            (TopField::EventType, "permfail", "type:permfail"),
            (TopField::Ip, "10.0.0.1", "ip:10.0.0.1"),
        ] {
            assert_eq!(field.filter_term(value), term);
            assert!(parse(&field.filter_term(value)).is_ok(), "{term}");
        }
        let f = parse(&TopField::RecipientDomain.filter_term("gmail.com")).unwrap();
        assert!(matches!(
            &f.terms[0].kind,
            crate::app::filter::TermKind::Text {
                field: TextField::RecipientDomain,
                ..
            }
        ));
    }

    #[test]
    fn fields_cycle_both_ways() {
        let mut f = TopField::default();
        for _ in 0..TopField::ALL.len() {
            f = f.cycle(true);
        }
        assert_eq!(f, TopField::default());
        assert_eq!(TopField::RecipientDomain.cycle(false), TopField::Ip);
    }
}

/// The open panel: which field, which row is selected, and the list as the
/// reducer last refreshed it (the UI draws this, reading no record).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TopPanel {
    pub field: TopField,
    pub selected: usize,
    pub values: TopValues,
}

/// `t` in the log pane: opens the panel on the current domain, or closes
/// it.
pub(super) fn toggle(state: &mut super::AppState) {
    if state.logs.top.is_some() {
        close(state);
    } else if state.logs.current().is_some() {
        state.logs.top = Some(TopPanel::default());
        refresh(state);
    } else {
        super::reducer::set_notice(state, "no domain to count".into());
    }
}

fn close(state: &mut super::AppState) {
    state.logs.top = None;
    for view in &mut state.logs.domains {
        view.store.stop_top_values();
    }
}

/// Brings the open panel's list up to date with the current domain's
/// matches: only what changed since the last call is counted.
pub(super) fn refresh(state: &mut super::AppState) {
    let Some(panel) = state.logs.top.as_mut() else {
        return;
    };
    let Some(view) = state.logs.domains.get_mut(state.logs.current) else {
        state.logs.top = None;
        return;
    };
    let values = view.store.top_values(panel.field, TOP_ROWS);
    panel.selected = panel.selected.min(values.rows.len().saturating_sub(1));
    panel.values = values;
}

/// A key while the panel is open.
pub(super) fn key(
    state: &mut super::AppState,
    action: super::keymap::KeyAction,
    commands: &mut Vec<super::Command>,
) {
    use super::keymap::KeyAction as A;
    let Some(panel) = state.logs.top.as_mut() else {
        return;
    };
    match action {
        A::Quit => commands.push(super::Command::Quit),
        A::Close | A::ToggleTopValues => close(state),
        A::Up => panel.selected = panel.selected.saturating_sub(1),
        A::Down => {
            panel.selected = (panel.selected + 1).min(panel.values.rows.len().saturating_sub(1))
        }
        A::TopField(step) => {
            panel.field = panel.field.cycle(step > 0);
            panel.selected = 0;
        }
        A::Submit | A::TopExclude => {
            let Some(row) = panel.values.rows.get(panel.selected) else {
                super::reducer::set_notice(state, "no value to filter by".into());
                return;
            };
            let minus = if action == A::TopExclude { "-" } else { "" };
            let term = format!("{minus}{}", panel.field.filter_term(&row.value));
            panel.selected = 0;
            add_filter_term(state, &term, commands);
        }
        _ => {}
    }
}

/// Adds `term` to the current domain's filter, as if typed at the end of
/// the `/` bar and applied: the history records it, and the stream is
/// re-opened when the server's part of the filter changed.
pub(super) fn add_filter_term(
    state: &mut super::AppState,
    term: &str,
    commands: &mut Vec<super::Command>,
) {
    let (now_ms, log_limit) = (state.now_ms, state.log_limit);
    let height = state.geometry.viewports.logs;
    let Some(view) = state.logs.domains.get_mut(state.logs.current) else {
        return;
    };
    let text = if view.filter_text.is_empty() {
        term.to_string()
    } else {
        format!("{} {term}", view.filter_text)
    };
    let filter = match super::filter::parse(&text) {
        Ok(filter) => filter,
        Err(e) => {
            let reason = format!("cannot filter by it: {e}");
            super::reducer::set_notice(state, reason);
            return;
        }
    };
    let query = filter.server_query(now_ms, log_limit);
    if let Err(reason) = query.validate() {
        super::reducer::set_notice(state, reason);
        return;
    }
    view.filter_text = text;
    state.logs.history.record(&view.domain, &view.filter_text);
    view.filter = filter.clone();
    view.preview(&filter, now_ms, height);
    if query != view.server_query {
        let domain = view.domain.clone();
        commands.push(super::reducer::watch_logs(state, &domain, query));
    }
    super::reducer::set_notice(state, format!("filter: {term}"));
}
