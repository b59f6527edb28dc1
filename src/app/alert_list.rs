//! Alerts in the dashboard: judged on each tick, announced once when
//! raised (if the config asks), and named the way the panes name their
//! subjects. Also the alert list's keys (`!`): which alert is selected,
//! and where Enter goes.

use super::keymap::KeyAction;
use super::{AppState, Command, Overlay, Pane};
use crate::model::Source;
use crate::model::alert::{AlertKind, AlertNotice, AlertUnit, Notify};
use crate::sanitize::clean;

use super::alerts::{Alert, format_value};

/// On each tick: the rules judged at the new time. A raised alert is
/// announced once, as the config says; what changed is redrawn.
pub(super) fn judge(state: &mut AppState, commands: &mut Vec<Command>) {
    let notices = state.alerts.evaluate(state.now_ms);
    if notices.is_empty() {
        return;
    }
    state.dirty = true;
    // New alerts go to the top of an open list: the selection stays on
    // the alert it was on, so Enter goes where the user looked.
    let raised = notices.iter().filter(|n| n.raised).count();
    let listed = state.alerts.alerts().len();
    if let Overlay::Alerts { selected, scroll } = &mut state.overlay
        && raised > 0
        && listed > raised
    {
        *selected = (*selected + raised).min(listed - 1);
        *scroll += raised;
    }
    let how = state.alerts.rules().notify;
    if how == Notify::Off {
        return;
    }
    for notice in notices.iter().filter(|n| n.raised) {
        commands.push(Command::Notify {
            how,
            text: notice_text(state, notice),
        });
    }
}

/// What a send, domain or stream is called on screen: a campaign by its
/// name once known.
pub fn subject_name(state: &AppState, source: &Source) -> String {
    let name = match source {
        Source::SendProgress { issue_id } => format!("issue {issue_id}"),
        Source::Campaign { campaign_id } => {
            let named = state
                .sends
                .rows
                .iter()
                .find(|r| &r.source == source)
                .and_then(|r| r.name.as_deref());
            match named {
                Some(name) => format!("campaign {name}"),
                None => format!("campaign {campaign_id}"),
            }
        }
        Source::DomainLogs { domain } => domain.clone(),
        Source::Inbox => "inbox stream".into(),
    };
    clean(&name).into_owned()
}

/// `11.2% > 5%`, `stalled 1m 05s ≥ 60s`: the value against the line.
pub fn value_against_threshold(
    kind: AlertKind,
    value: f64,
    threshold: f64,
    unit: AlertUnit,
) -> String {
    let value_text = format_value(value, unit);
    let line = format_value(threshold, unit);
    match (kind, unit) {
        (_, AlertUnit::None) => String::new(),
        (_, AlertUnit::Percent) => format!("{value_text} > {line}"),
        _ => format!("{value_text} ≥ {line}"),
    }
}

/// One line for a notification: `misar-dash: issue iss-1 bounce rate
/// 11.2% > 5.0%`.
pub fn notice_text(state: &AppState, notice: &AlertNotice) -> String {
    let against = value_against_threshold(notice.kind, notice.value, notice.threshold, notice.unit);
    let text = format!(
        "{}: {} {against}",
        subject_name(state, &notice.source),
        notice.kind.describe()
    );
    clean(text.trim_end()).into_owned()
}

/// The alert list's rows: active and cleared, newest first; alerts raised
/// by the same tick in the order of their subjects, then rules.
pub fn listed(state: &AppState) -> Vec<&Alert> {
    let mut alerts: Vec<&Alert> = state.alerts.alerts().iter().collect();
    alerts.sort_by(|a, b| {
        b.since_ms
            .cmp(&a.since_ms)
            .then_with(|| a.source.cmp(&b.source))
            .then_with(|| a.kind.cmp(&b.kind))
    });
    alerts
}

/// `!`: the list, at its newest alert.
pub fn open(state: &mut AppState) {
    state.overlay = Overlay::Alerts {
        selected: 0,
        scroll: 0,
    };
}

/// A key while the list is open.
pub fn overlay_key(state: &mut AppState, action: KeyAction, commands: &mut Vec<Command>) {
    let len = state.alerts.alerts().len();
    let page = usize::from(state.geometry.overlay_page.max(1));
    let Overlay::Alerts { selected, scroll } = &mut state.overlay else {
        return;
    };
    let last = len.saturating_sub(1);
    match action {
        KeyAction::Up => *selected = selected.saturating_sub(1).min(last),
        KeyAction::Down => *selected = selected.saturating_add(1).min(last),
        KeyAction::Top => *selected = 0,
        KeyAction::Bottom => *selected = last,
        KeyAction::Close => {
            state.overlay = Overlay::None;
            return;
        }
        KeyAction::Quit => {
            commands.push(Command::Quit);
            return;
        }
        KeyAction::Submit => {
            jump(state);
            return;
        }
        _ => return,
    }
    // The selection stays in view.
    if *selected < *scroll {
        *scroll = *selected;
    } else if *selected >= *scroll + page {
        *scroll = *selected + 1 - page;
    }
}

/// Enter: to where the selected alert's subject is shown, the list
/// closed; a notice when it is no longer there.
fn jump(state: &mut AppState) {
    let Overlay::Alerts { selected, .. } = state.overlay else {
        return;
    };
    let Some(source) = listed(state).get(selected).map(|a| a.source.clone()) else {
        return;
    };
    let found = match &source {
        Source::SendProgress { .. } | Source::Campaign { .. } => {
            let shown = state.sends.rows.iter().any(|r| r.source == source);
            if shown {
                let height = state.geometry.viewports.sends;
                state.sends.select(&source, height);
                state.focus = Pane::Sends;
            }
            shown
        }
        Source::DomainLogs { domain } => match state.logs.index_of(domain) {
            Some(index) => {
                state.logs.current = index;
                state.focus = Pane::Logs;
                true
            }
            None => false,
        },
        Source::Inbox => {
            let shown = state.streams.contains_key(&source) && !state.unwatched.contains(&source);
            if shown {
                state.focus = Pane::Feed;
                state.feed.unread = 0;
            }
            shown
        }
    };
    if found {
        state.overlay = Overlay::None;
    } else {
        let text = format!("{} is no longer shown", subject_name(state, &source));
        super::reducer::set_notice(state, text);
    }
    state.dirty = true;
}
