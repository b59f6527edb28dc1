//! `x` and `y` in the domain-logs pane: export the current matches to a
//! file, copy the selected record to the clipboard.
//!
//! Pure like the rest of `app`: the prompt asks for a path, the event loop
//! says whether it exists ([`Command::CheckExportPath`]), and the records
//! to write leave here as a [`Command::Export`] that the dashboard carries
//! out on a blocking task, reporting back through [`Action::Export`].
//!
//! [`Action::Export`]: super::Action::Export

use chrono::{DateTime, Utc};
use crossterm::event::{Event, KeyEvent};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use super::keymap::{Context, KeyAction};
use super::{AppState, Command, Notice, Overlay};
use crate::model::LogRecord;
use crate::sanitize::clean;

/// How long the status bar keeps a failed export's line: it is news the
/// user must not miss.
const ERROR_NOTICE_MS: i64 = 60_000;
/// How long the other export lines stay.
const NOTICE_MS: i64 = 5_000;

/// What an export file holds, picked by its extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    /// One record per line, as the API sent it (unknown fields too).
    Ndjson,
    /// A header, then the table's columns plus the SMTP response and the
    /// message id.
    Csv,
}

impl ExportFormat {
    /// `.csv` (any case) is CSV; anything else NDJSON.
    pub fn for_path(path: &str) -> ExportFormat {
        let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
        match name.rsplit_once('.') {
            Some((_, ext)) if ext.eq_ignore_ascii_case("csv") => ExportFormat::Csv,
            _ => ExportFormat::Ndjson,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ExportFormat::Ndjson => "NDJSON",
            ExportFormat::Csv => "CSV",
        }
    }
}

/// The records to write, taken when the export started: the store goes
/// on changing while the file is written.
#[derive(Clone, Debug, PartialEq)]
pub struct ExportJob {
    pub path: String,
    pub format: ExportFormat,
    /// The user said to replace a file of that name.
    pub overwrite: bool,
    pub records: Vec<LogRecord>,
}

// `LogRecord`'s JSON values compare as equals do (no NaN in JSON).
impl Eq for ExportJob {}

/// What the event loop reports of an export.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExportEvent {
    /// The answer to [`Command::CheckExportPath`].
    PathChecked {
        path: String,
        exists: bool,
    },
    Progress {
        written: usize,
        total: usize,
    },
    /// The file is complete under its name (`Ok(records)`), or nothing
    /// was left under it (`Err(why)`, with the OS error).
    Done {
        path: String,
        result: Result<usize, String>,
    },
}

/// An export being written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportRun {
    pub path: String,
    pub total: usize,
}

/// Where the `x` prompt is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Typing the path.
    Path,
    /// Waiting for the event loop to say whether the path exists.
    Checking { path: String },
    /// The file exists: replace it?
    Overwrite { path: String },
}

/// The `x` prompt.
#[derive(Clone, Debug)]
pub struct ExportPrompt {
    pub input: Input,
    pub stage: Stage,
    pub error: Option<String>,
    /// The matches it would write, for the prompt's title.
    pub count: usize,
}

/// `./<domain>-<UTC time>.ndjson`, in the working directory.
pub fn default_path(domain: &str, now_ms: i64) -> String {
    let time = DateTime::<Utc>::from_timestamp_millis(now_ms)
        .unwrap_or_default()
        .format("%Y%m%dT%H%M%SZ");
    // A domain is letters, digits, '-', '_' and '.'; anything else (from a
    // config file) does not go into a file name.
    let domain: String = domain
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("./{domain}-{time}.ndjson")
}

/// The keys' context while the prompt is open.
pub fn context(prompt: &ExportPrompt) -> Context {
    match prompt.stage {
        Stage::Overwrite { .. } => Context::ConfirmOverwrite,
        _ => Context::ExportPrompt,
    }
}

/// `x`: opens the prompt over the current domain's matches.
pub fn open(state: &mut AppState) {
    if let Some(run) = &state.export {
        let text = format!("an export to {} is still being written", clean(&run.path));
        notice(state, text, NOTICE_MS);
        return;
    }
    let Some(view) = state.logs.current() else {
        notice(state, "no domain to export".into(), NOTICE_MS);
        return;
    };
    let count = view.store.match_count();
    if count == 0 {
        notice(state, "no matching records to export".into(), NOTICE_MS);
        return;
    }
    let path = default_path(&view.domain, state.now_ms);
    state.overlay = Overlay::Export(ExportPrompt {
        input: Input::new(path),
        stage: Stage::Path,
        error: None,
        count,
    });
}

/// A key while the prompt is open.
pub fn prompt_key(
    state: &mut AppState,
    action: KeyAction,
    key: KeyEvent,
    commands: &mut Vec<Command>,
) {
    let Overlay::Export(prompt) = &mut state.overlay else {
        return;
    };
    if action == KeyAction::Quit {
        commands.push(Command::Quit);
        return;
    }
    match (&prompt.stage, action) {
        (Stage::Path, KeyAction::Edit)
            if prompt
                .input
                .handle_event(&Event::Key(key))
                .is_some_and(|c| c.value) =>
        {
            prompt.error = None;
        }
        (Stage::Path | Stage::Checking { .. }, KeyAction::Cancel) => {
            state.overlay = Overlay::None;
        }
        (Stage::Path, KeyAction::Submit) => {
            let path = prompt.input.value().trim();
            if path.is_empty() {
                prompt.error = Some("which file? type a path".into());
                return;
            }
            if path.ends_with(['/', '\\']) {
                prompt.error = Some("that names a directory; add a file name".into());
                return;
            }
            let path = path.to_string();
            prompt.stage = Stage::Checking { path: path.clone() };
            commands.push(Command::CheckExportPath { path });
        }
        (Stage::Overwrite { path }, KeyAction::Submit) => {
            let path = path.clone();
            start(state, path, true, commands);
        }
        (Stage::Overwrite { .. }, KeyAction::Cancel) => {
            prompt.stage = Stage::Path;
            prompt.error = Some("not replaced; pick another name".into());
        }
        _ => {}
    }
}

/// What the event loop reports.
pub fn on_event(state: &mut AppState, event: ExportEvent, commands: &mut Vec<Command>) {
    state.dirty = true;
    match event {
        ExportEvent::PathChecked { path, exists } => {
            let Overlay::Export(prompt) = &mut state.overlay else {
                return;
            };
            // An answer for a path no longer asked about is stale.
            if prompt.stage != (Stage::Checking { path: path.clone() }) {
                return;
            }
            if exists {
                prompt.stage = Stage::Overwrite { path };
            } else {
                start(state, path, false, commands);
            }
        }
        ExportEvent::Progress { written, total } => {
            if state.export.is_some() {
                let text = format!("exporting {}/{}…", thousands(written), thousands(total));
                notice(state, text, NOTICE_MS);
            }
        }
        ExportEvent::Done { path, result } => {
            state.export = None;
            let path = clean(&path).into_owned();
            match result {
                Ok(count) => {
                    let text = format!("exported {} records to {path}", thousands(count));
                    notice(state, text, NOTICE_MS);
                }
                Err(why) => {
                    let text = format!("export failed: {path}: {}", clean(&why));
                    notice(state, text, ERROR_NOTICE_MS);
                }
            }
        }
    }
}

/// Takes the records and hands them to the event loop.
fn start(state: &mut AppState, path: String, overwrite: bool, commands: &mut Vec<Command>) {
    state.overlay = Overlay::None;
    let Some(view) = state.logs.current() else {
        return;
    };
    let store = &view.store;
    let records: Vec<LogRecord> = (0..store.match_count())
        .filter_map(|i| store.full_record(store.match_seq(i)?))
        .collect();
    let total = records.len();
    state.export = Some(ExportRun {
        path: path.clone(),
        total,
    });
    let text = format!("exporting 0/{}…", thousands(total));
    notice(state, text, NOTICE_MS);
    commands.push(Command::Export(ExportJob {
        format: ExportFormat::for_path(&path),
        path,
        overwrite,
        records,
    }));
}

/// `y`: the selected record's JSON, one line, to the clipboard.
pub fn copy_selected(state: &mut AppState, commands: &mut Vec<Command>) {
    let record = state.logs.current().and_then(|view| {
        let index = view.cursor.selected_in(view.store.match_count())?;
        view.store.full_record(view.store.match_seq(index)?)
    });
    let Some(record) = record else {
        notice(state, "no record selected".into(), NOTICE_MS);
        return;
    };
    let Ok(json) = serde_json::to_string(&record) else {
        return;
    };
    let text = format!("copied record {} (OSC 52)", clean(&record.id));
    notice(state, text, NOTICE_MS);
    commands.push(Command::CopyToClipboard(json));
}

fn notice(state: &mut AppState, text: String, for_ms: i64) {
    state.notice = Some(Notice {
        text,
        until_ms: state.now_ms + for_ms,
    });
    state.dirty = true;
}

/// `120000` as `120,000`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests;
