use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::json;

use super::*;
use crate::app::{Action, AppOptions, Pane, update};
use crate::model::{LogEventType, Source, UpstreamBody, UpstreamEvent};

/// 2026-05-27T10:00:00Z.
const NOW_MS: i64 = 1_779_876_000_000;

fn key(state: &mut AppState, code: KeyCode) -> Vec<Command> {
    update(state, Action::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn record(i: usize, event_type: LogEventType) -> LogRecord {
    LogRecord {
        id: format!("r{i}"),
        timestamp_ms: NOW_MS - 60_000 + i as i64,
        event_type: Some(event_type),
        sender: "news@acme.io".into(),
        recipient: format!("u{i}@example.org"),
        subject: "Hello".into(),
        tags: vec!["a".into()],
        message_id: format!("<m{i}@acme.io>"),
        extra: vec![("campaign_ref".into(), json!({"n": i}))],
        ..LogRecord::default()
    }
}

/// Four records of acme.io (two bounced), the logs pane focused.
fn state() -> AppState {
    let mut state = AppState::new(AppOptions {
        now_ms: NOW_MS,
        ..AppOptions::default()
    });
    update(&mut state, Action::Resize(80, 24));
    deliver(&mut state);
    state.focus = Pane::Logs;
    state
}

/// The four records, as the stream sends them.
fn deliver(state: &mut AppState) {
    let records = (0..4)
        .map(|i| {
            let t = if i % 2 == 0 {
                LogEventType::Bounced
            } else {
                LogEventType::Delivered
            };
            record(i, t)
        })
        .collect();
    update(
        state,
        Action::Upstream(UpstreamEvent {
            source: Source::DomainLogs {
                domain: "acme.io".into(),
            },
            generation: 1,
            body: UpstreamBody::Logs(records),
        }),
    );
}

fn prompt(state: &AppState) -> &ExportPrompt {
    match &state.overlay {
        Overlay::Export(prompt) => prompt,
        other => panic!("no export prompt: {other:?}"),
    }
}

fn type_text(state: &mut AppState, text: &str) {
    for c in text.chars() {
        key(state, KeyCode::Char(c));
    }
}

#[test]
fn the_format_follows_the_extension() {
    assert_eq!(ExportFormat::for_path("./a.csv"), ExportFormat::Csv);
    assert_eq!(ExportFormat::for_path("OUT.CSV"), ExportFormat::Csv);
    assert_eq!(ExportFormat::for_path("a.ndjson"), ExportFormat::Ndjson);
    assert_eq!(ExportFormat::for_path("a.json"), ExportFormat::Ndjson);
    assert_eq!(ExportFormat::for_path("csv"), ExportFormat::Ndjson);
    assert_eq!(ExportFormat::for_path("dir.csv/out"), ExportFormat::Ndjson);
}

#[test]
fn the_default_path_is_the_domain_and_the_utc_time_in_the_working_directory() {
    assert_eq!(
        default_path("acme.io", NOW_MS),
        "./acme.io-20260527T100000Z.ndjson"
    );
    assert_eq!(
        default_path("a/../b\u{1b}", NOW_MS),
        "./a_.._b_-20260527T100000Z.ndjson"
    );
}

#[test]
fn x_opens_the_prompt_with_the_default_path() {
    let mut s = state();
    assert!(key(&mut s, KeyCode::Char('x')).is_empty());
    let p = prompt(&s);
    assert_eq!(p.input.value(), "./acme.io-20260527T100000Z.ndjson");
    assert_eq!(p.stage, Stage::Path);
    assert_eq!(p.count, 4);
}

#[test]
fn x_elsewhere_or_without_matches_opens_nothing() {
    let mut s = state();
    s.focus = Pane::Sends;
    key(&mut s, KeyCode::Char('x'));
    assert!(matches!(s.overlay, Overlay::None));
    let mut empty = AppState::new(AppOptions::default());
    empty.focus = Pane::Logs;
    key(&mut empty, KeyCode::Char('x'));
    assert!(matches!(empty.overlay, Overlay::None));
    assert_eq!(empty.current_notice(), Some("no domain to export"));
}

#[test]
fn enter_asks_whether_the_file_exists_then_exports_the_matches() {
    let mut s = state();
    key(&mut s, KeyCode::Char('x'));
    let commands = key(&mut s, KeyCode::Enter);
    let path = "./acme.io-20260527T100000Z.ndjson".to_string();
    assert_eq!(
        commands,
        vec![Command::CheckExportPath { path: path.clone() }]
    );
    let commands = update(
        &mut s,
        Action::Export(ExportEvent::PathChecked {
            path: path.clone(),
            exists: false,
        }),
    );
    assert!(matches!(s.overlay, Overlay::None));
    let [Command::Export(job), Command::ExportChunk(chunk)] = commands.as_slice() else {
        panic!("{commands:?}");
    };
    assert_eq!(job.path, path);
    assert_eq!(job.format, ExportFormat::Ndjson);
    assert!(!job.overwrite);
    assert_eq!(job.total, 4);
    assert!(chunk.last);
    let ids: Vec<&str> = chunk.records.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["r0", "r1", "r2", "r3"]);
    assert_eq!(chunk.records[2], record(2, LogEventType::Bounced));
    assert_eq!(s.current_notice(), Some("exporting 0/4…"));
    // A second `x` while it is written is refused.
    key(&mut s, KeyCode::Char('x'));
    assert!(matches!(s.overlay, Overlay::None));
    assert!(s.current_notice().unwrap().contains("still being written"));
}

#[test]
fn only_the_current_filters_matches_are_exported_and_csv_by_extension() {
    let mut s = state();
    key(&mut s, KeyCode::Char('/'));
    type_text(&mut s, "type:bounced");
    // The type is asked of the server: the stream is opened again, and
    // brings what matches (here: everything again, filtered here too).
    let reopened = key(&mut s, KeyCode::Enter);
    assert!(matches!(reopened.as_slice(), [Command::WatchLogs { .. }]));
    deliver(&mut s);
    key(&mut s, KeyCode::Char('x'));
    clear(&mut s);
    type_text(&mut s, "out.csv");
    let commands = key(&mut s, KeyCode::Enter);
    assert_eq!(
        commands,
        vec![Command::CheckExportPath {
            path: "out.csv".into()
        }]
    );
    let commands = update(
        &mut s,
        Action::Export(ExportEvent::PathChecked {
            path: "out.csv".into(),
            exists: false,
        }),
    );
    let [Command::Export(job), Command::ExportChunk(chunk)] = commands.as_slice() else {
        panic!("{commands:?}");
    };
    assert_eq!(job.format, ExportFormat::Csv);
    let ids: Vec<&str> = chunk.records.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["r0", "r2"]);
}

/// Ctrl-u: clears the input.
fn clear(state: &mut AppState) {
    update(
        state,
        Action::Key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL)),
    );
}

#[test]
fn an_existing_file_is_replaced_only_after_y() {
    let mut s = state();
    key(&mut s, KeyCode::Char('x'));
    clear(&mut s);
    type_text(&mut s, "taken.ndjson");
    key(&mut s, KeyCode::Enter);
    let commands = update(
        &mut s,
        Action::Export(ExportEvent::PathChecked {
            path: "taken.ndjson".into(),
            exists: true,
        }),
    );
    assert!(commands.is_empty());
    assert_eq!(
        prompt(&s).stage,
        Stage::Overwrite {
            path: "taken.ndjson".into()
        }
    );
    // Enter is no answer: a second Enter must not replace a file.
    assert!(key(&mut s, KeyCode::Enter).is_empty());
    // n: back to the name, to pick another.
    assert!(key(&mut s, KeyCode::Char('n')).is_empty());
    assert_eq!(prompt(&s).stage, Stage::Path);
    assert_eq!(prompt(&s).input.value(), "taken.ndjson");
    key(&mut s, KeyCode::Enter);
    update(
        &mut s,
        Action::Export(ExportEvent::PathChecked {
            path: "taken.ndjson".into(),
            exists: true,
        }),
    );
    let commands = key(&mut s, KeyCode::Char('y'));
    let [Command::Export(job), Command::ExportChunk(_)] = commands.as_slice() else {
        panic!("{commands:?}");
    };
    assert!(job.overwrite);
    assert_eq!(job.path, "taken.ndjson");
}

#[test]
fn esc_cancels_and_nothing_is_written() {
    let mut s = state();
    key(&mut s, KeyCode::Char('x'));
    assert!(key(&mut s, KeyCode::Esc).is_empty());
    assert!(matches!(s.overlay, Overlay::None));
    // An answer arriving after the prompt closed starts nothing.
    let commands = update(
        &mut s,
        Action::Export(ExportEvent::PathChecked {
            path: "./acme.io-20260527T100000Z.ndjson".into(),
            exists: false,
        }),
    );
    assert!(commands.is_empty());
    assert!(s.export.is_none());
}

#[test]
fn an_empty_path_is_refused_saying_why() {
    let mut s = state();
    key(&mut s, KeyCode::Char('x'));
    clear(&mut s);
    assert!(key(&mut s, KeyCode::Enter).is_empty());
    assert!(prompt(&s).error.as_deref().unwrap().contains("which file"));
    type_text(&mut s, "dir/");
    assert!(key(&mut s, KeyCode::Enter).is_empty());
    assert!(prompt(&s).error.as_deref().unwrap().contains("directory"));
}

#[test]
fn progress_and_the_end_are_one_status_line() {
    let mut s = state();
    s.export = Some(ExportRun {
        path: "big.ndjson".into(),
        total: 500_000,
        domain: "acme.io".into(),
        generation: 0,
        seqs: Vec::new(),
        next: 0,
        lost: 0,
    });
    update(
        &mut s,
        Action::Export(ExportEvent::Progress {
            written: 120_000,
            total: 500_000,
        }),
    );
    assert_eq!(s.current_notice(), Some("exporting 120,000/500,000…"));
    // A slow disk: the line stays until the next chunk is written.
    update(
        &mut s,
        Action::Tick {
            now_ms: NOW_MS + 20_000,
        },
    );
    assert_eq!(s.current_notice(), Some("exporting 120,000/500,000…"));
    update(
        &mut s,
        Action::Export(ExportEvent::Done {
            path: "/ro/big\u{1b}[2J.ndjson".into(),
            result: Err("Permission denied (os error 13)".into()),
        }),
    );
    assert!(s.export.is_none());
    let line = s.current_notice().unwrap();
    assert!(
        line.starts_with("export failed: /ro/big") && line.ends_with("(os error 13)"),
        "{line}"
    );
    assert!(!line.contains('\u{1b}'), "{line}");
    update(
        &mut s,
        Action::Export(ExportEvent::Done {
            path: "big.ndjson".into(),
            result: Ok(500_000),
        }),
    );
    assert_eq!(
        s.current_notice(),
        Some("exported 500,000 records to big.ndjson")
    );
}

#[test]
fn y_copies_the_selected_record_as_one_line_of_json() {
    let mut s = state();
    key(&mut s, KeyCode::Char('g'));
    key(&mut s, KeyCode::Char('j'));
    let commands = key(&mut s, KeyCode::Char('y'));
    let [Command::CopyToClipboard(text)] = commands.as_slice() else {
        panic!("{commands:?}");
    };
    assert!(!text.contains('\n'));
    let back: serde_json::Value = serde_json::from_str(text).unwrap();
    assert_eq!(back["id"], "r1");
    assert_eq!(back["campaign_ref"], json!({"n": 1}));
    assert_eq!(s.current_notice(), Some("copied record r1 (OSC 52)"));
}

/// `n` delivered records of acme.io.
fn delivered(n: usize) -> Action {
    let records = (0..n).map(|i| record(i, LogEventType::Delivered)).collect();
    Action::Upstream(UpstreamEvent {
        source: Source::DomainLogs {
            domain: "acme.io".into(),
        },
        generation: 1,
        body: UpstreamBody::Logs(records),
    })
}

/// `n` records of acme.io, the logs pane focused, an export of them asked
/// for: its commands.
fn exporting(n: usize) -> (AppState, Vec<Command>) {
    let mut state = AppState::new(AppOptions {
        now_ms: NOW_MS,
        ..AppOptions::default()
    });
    update(&mut state, Action::Resize(80, 24));
    update(&mut state, delivered(n));
    state.focus = Pane::Logs;
    key(&mut state, KeyCode::Char('x'));
    key(&mut state, KeyCode::Enter);
    let path = match &prompt(&state).stage {
        Stage::Checking { path } => path.clone(),
        other => panic!("{other:?}"),
    };
    let commands = update(
        &mut state,
        Action::Export(ExportEvent::PathChecked {
            path,
            exists: false,
        }),
    );
    (state, commands)
}

fn chunk_of(command: &Command) -> &ExportChunk {
    match command {
        Command::ExportChunk(chunk) => chunk,
        other => panic!("not a chunk: {other:?}"),
    }
}

fn progress(state: &mut AppState, written: usize, total: usize) -> Vec<Command> {
    update(
        state,
        Action::Export(ExportEvent::Progress { written, total }),
    )
}

#[test]
fn records_leave_in_chunks_one_ahead_of_the_writer() {
    let n = CHUNK * 3 + 7;
    let (mut s, commands) = exporting(n);
    // The file, then two chunks: the writer has the second while the
    // loop makes the third.
    assert_eq!(commands.len(), 3);
    assert!(matches!(&commands[0], Command::Export(job) if job.total == n));
    let first = chunk_of(&commands[1]);
    let second = chunk_of(&commands[2]);
    assert_eq!((first.records.len(), first.last), (CHUNK, false));
    assert_eq!((second.records.len(), second.last), (CHUNK, false));
    assert_eq!(first.records[0].id, "r0");
    assert_eq!(second.records[0].id, format!("r{CHUNK}"));
    // Each chunk written asks for one more.
    let third = progress(&mut s, CHUNK, n);
    assert_eq!(chunk_of(&third[0]).records[0].id, format!("r{}", CHUNK * 2));
    assert!(!chunk_of(&third[0]).last);
    let fourth = progress(&mut s, CHUNK * 2, n);
    assert_eq!(chunk_of(&fourth[0]).records.len(), 7);
    assert!(chunk_of(&fourth[0]).last);
    // All sent: nothing more.
    assert!(progress(&mut s, CHUNK * 3, n).is_empty());
    update(
        &mut s,
        Action::Export(ExportEvent::Done {
            path: "x.ndjson".into(),
            result: Ok(n),
        }),
    );
    assert!(s.export.is_none());
    assert_eq!(
        s.current_notice(),
        Some("exported 30,007 records to x.ndjson")
    );
}

#[test]
fn after_the_stream_is_reopened_the_rest_is_not_sent_and_the_end_says_so() {
    let n = CHUNK * 3;
    let (mut s, _) = exporting(n);
    // A filter the server applies: the records go, the stream re-opens
    // and brings others under the same sequence numbers.
    key(&mut s, KeyCode::Char('/'));
    type_text(&mut s, "type:delivered");
    key(&mut s, KeyCode::Enter);
    update(&mut s, delivered(n));
    assert_eq!(s.logs.current().unwrap().store.match_count(), n);
    let last = progress(&mut s, CHUNK, n);
    let chunk = chunk_of(&last[0]);
    assert!(chunk.records.is_empty() && chunk.last);
    update(
        &mut s,
        Action::Export(ExportEvent::Done {
            path: "x.ndjson".into(),
            result: Ok(CHUNK * 2),
        }),
    );
    assert_eq!(
        s.current_notice(),
        Some("exported 20,000 records to x.ndjson (10,000 no longer held when their turn came)")
    );
}
