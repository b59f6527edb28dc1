//! `x` and `y` in the domain-logs pane: export the current matches to a
//! file, copy the selected record to the clipboard.
//!
//! Pure like the rest of `app`: the prompt asks for a path, the event loop
//! says whether it exists ([`Command::CheckExportPath`]), and the export
//! starts with a [`Command::Export`] that the dashboard carries out on a
//! blocking task, reporting back through [`Action::Export`]. The matches
//! are taken as sequence numbers when it starts; the records themselves
//! leave in [`Command::ExportChunk`]s of [`CHUNK`], each made when the
//! writer has written the one before, so that the event loop never stops
//! for more than a chunk's worth of copying (a 500,000-record export taken
//! at once held it for most of a second).
//!
//! [`Action::Export`]: super::Action::Export

use chrono::{DateTime, Utc};
use crossterm::event::{Event, KeyEvent};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use super::feed::group_digits;
use super::keymap::{Context, KeyAction};
use super::{AppState, Command, Notice, Overlay};
use crate::model::LogRecord;
use crate::sanitize::clean;

/// How long the status bar keeps a failed export's line: it is news the
/// user must not miss.
const ERROR_NOTICE_MS: i64 = 60_000;
/// How long the other export lines stay.
const NOTICE_MS: i64 = 5_000;
/// How long a progress line stays: until the next replaces it, or the
/// end; a slow disk may take more than a few seconds per chunk.
const PROGRESS_NOTICE_MS: i64 = 60_000;

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

/// Records per [`ExportChunk`].
pub const CHUNK: usize = 10_000;

/// An export to start: the file to write. Its records follow in chunks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportJob {
    pub path: String,
    pub format: ExportFormat,
    /// The user said to replace a file of that name.
    pub overwrite: bool,
    /// Records it will hold, at most.
    pub total: usize,
}

/// The next records of the export being written.
#[derive(Clone, Debug, PartialEq)]
pub struct ExportChunk {
    pub records: Vec<LogRecord>,
    /// The end: the file is complete after these.
    pub last: bool,
}

// `LogRecord`'s JSON values compare as equals do (no NaN in JSON).
impl Eq for ExportChunk {}

/// What the event loop reports of an export.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExportEvent {
    /// The answer to [`Command::CheckExportPath`].
    PathChecked { path: String, exists: bool },
    /// A chunk is written: `written` records in all. The next is wanted.
    Progress { written: usize, total: usize },
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
    /// Whose matches, and the store's generation then.
    pub domain: String,
    pub generation: u64,
    /// The matches when it started, oldest first.
    pub seqs: Vec<u64>,
    /// The first of `seqs` not yet sent.
    pub next: usize,
    /// Records no longer held when their chunk was made (evicted, or the
    /// stream re-opened).
    pub lost: usize,
}

impl ExportRun {
    fn done_sending(&self) -> bool {
        self.next >= self.seqs.len()
    }
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
                let text = format!(
                    "exporting {}/{}…",
                    group_digits(written as u64),
                    group_digits(total as u64)
                );
                notice(state, text, PROGRESS_NOTICE_MS);
                commands.extend(next_chunk(state));
            }
        }
        ExportEvent::Done { path, result } => {
            let lost = state.export.take().map_or(0, |run| run.lost);
            let path = clean(&path).into_owned();
            match result {
                Ok(count) => {
                    let mut text =
                        format!("exported {} records to {path}", group_digits(count as u64));
                    if lost > 0 {
                        text.push_str(&format!(
                            " ({} no longer held when their turn came)",
                            group_digits(lost as u64)
                        ));
                    }
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

/// Takes the matches and starts the export: the file, then two chunks, so
/// the writer has the second while the loop makes the third.
fn start(state: &mut AppState, path: String, overwrite: bool, commands: &mut Vec<Command>) {
    state.overlay = Overlay::None;
    let Some(view) = state.logs.current() else {
        return;
    };
    let store = &view.store;
    let seqs: Vec<u64> = (0..store.match_count())
        .filter_map(|i| store.match_seq(i))
        .collect();
    let total = seqs.len();
    state.export = Some(ExportRun {
        path: path.clone(),
        total,
        domain: view.domain.clone(),
        generation: store.generation(),
        seqs,
        next: 0,
        lost: 0,
    });
    let text = format!("exporting 0/{}…", group_digits(total as u64));
    notice(state, text, PROGRESS_NOTICE_MS);
    commands.push(Command::Export(ExportJob {
        format: ExportFormat::for_path(&path),
        path,
        overwrite,
        total,
    }));
    commands.extend(next_chunk(state));
    commands.extend(next_chunk(state));
}

/// The next [`CHUNK`] of the export's records, if any are left to send.
/// Records the store no longer holds are counted, not sent; after the
/// store was cleared (the stream re-opened) none of the rest are.
fn next_chunk(state: &mut AppState) -> Option<Command> {
    let run = state.export.as_mut()?;
    if run.done_sending() {
        return None;
    }
    let view = state
        .logs
        .index_of(&run.domain)
        .and_then(|i| state.logs.domains.get(i))
        .filter(|view| view.store.generation() == run.generation);
    let (end, records) = match view {
        Some(view) => {
            let end = (run.next + CHUNK).min(run.seqs.len());
            let records: Vec<LogRecord> = run.seqs[run.next..end]
                .iter()
                .filter_map(|&seq| view.store.full_record(seq))
                .collect();
            (end, records)
        }
        None => (run.seqs.len(), Vec::new()),
    };
    run.lost += end - run.next - records.len();
    run.next = end;
    Some(Command::ExportChunk(ExportChunk {
        records,
        last: run.done_sending(),
    }))
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

#[cfg(test)]
mod tests;
