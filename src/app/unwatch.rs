//! `d`: stopping a watch, after asking.

use super::keymap::KeyAction;
use super::reducer::{set_notice, settle_sends_cursor};
use super::{AppState, Command, Overlay, Pane};
use crate::model::Source;
use crate::sanitize::clean;

/// `d`: asks whether to stop watching the selected send or the current
/// domain.
pub(super) fn ask_to_unwatch_selected(state: &mut AppState) {
    let source = match state.focus {
        Pane::Sends => state.sends.selected_row().map(|r| r.source.clone()),
        Pane::Logs => state.logs.current().map(|v| Source::DomainLogs {
            domain: v.domain.clone(),
        }),
        Pane::Feed => None,
    };
    if let Some(source) = source {
        state.overlay = Overlay::ConfirmUnwatch { source };
    }
}

pub(super) fn confirm_unwatch_key(
    state: &mut AppState,
    action: KeyAction,
    commands: &mut Vec<Command>,
) {
    let Overlay::ConfirmUnwatch { source } = &state.overlay else {
        return;
    };
    match action {
        KeyAction::Quit => commands.push(Command::Quit),
        KeyAction::Submit => {
            let source = source.clone();
            state.overlay = Overlay::None;
            unwatch(state, source, commands);
        }
        KeyAction::Cancel => state.overlay = Overlay::None,
        _ => {}
    }
}

fn unwatch(state: &mut AppState, source: Source, commands: &mut Vec<Command>) {
    match &source {
        Source::DomainLogs { domain } => {
            state.logs.remove(domain);
        }
        _ => {
            state.sends.remove(&source);
            settle_sends_cursor(state);
        }
    }
    state.streams.remove(&source);
    state.alerts.forget(&source);
    set_notice(
        state,
        format!("stopped watching {}", clean(&source.to_string())),
    );
    state.unwatched.insert(source.clone());
    commands.push(Command::Unwatch(source));
}
