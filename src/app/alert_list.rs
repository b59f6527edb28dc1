//! Alerts in the dashboard: judged on each tick, announced once when
//! raised (if the config asks), and named the way the panes name their
//! subjects.

use super::{AppState, Command};
use crate::model::Source;
use crate::model::alert::{AlertKind, AlertNotice, AlertUnit, Notify};
use crate::sanitize::clean;

use super::alerts::format_value;

/// On each tick: the rules judged at the new time. A raised alert is
/// announced once, as the config says; what changed is redrawn.
pub(super) fn judge(state: &mut AppState, commands: &mut Vec<Command>) {
    let notices = state.alerts.evaluate(state.now_ms);
    if notices.is_empty() {
        return;
    }
    state.dirty = true;
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
