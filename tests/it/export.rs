//! `x` from a state built through the public API: the prompt (drawn at
//! 80x24, with its overwrite question), then the export carried out as the
//! dashboard does, and the file read back and compared with the held
//! matches record by record. And `y`'s clipboard text.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::{Value, json};

use misar_dash::app::export::{ExportEvent, ExportFormat};
use misar_dash::app::{Action, AppState, Command, Overlay};
use misar_dash::dashboard::dispatch;
use misar_dash::export::{FileExport, describe_error, osc52};
use misar_dash::model::{LogEventType, LogRecord, UpstreamBody};

use crate::support::fixture::{Fixture, now};
use crate::support::screen::snapshot as screen_snapshot;
use crate::support::{assert_csv_header, domain, read_ndjson};

/// The screen at 80x24 and at 120x40 must be snapshots `{name}_80x24`
/// and `{name}_120x40`.
fn snapshot(name: &str, state: &AppState) {
    screen_snapshot(&format!("{name}_80x24"), state, 80, 24);
    screen_snapshot(&format!("{name}_120x40"), state, 120, 40);
}

/// Forty records of acme.io, every fifth bounced, with text a CSV must
/// quote and fields this client does not know.
fn records() -> UpstreamBody {
    let records = (0..40)
        .map(|i: i64| LogRecord {
            id: format!("log_{i}"),
            timestamp_ms: now() - 600_000 + i * 1_000,
            event_type: Some(if i % 5 == 0 {
                LogEventType::Bounced
            } else {
                LogEventType::Delivered
            }),
            sender: "news@acme.io".into(),
            recipient: format!("reader{i:02}@example.org"),
            subject: format!("Deals, \"deals\" and more #{i}"),
            tags: vec!["spring".into(), "a,b".into()],
            message_id: format!("<{i}@acme.io>"),
            smtp_response: (i % 5 == 0).then(|| "550 5.1.1 user unknown, sorry".into()),
            extra: vec![
                ("campaign_ref".into(), json!({"id": i, "ab": "B"})),
                ("future_field".into(), json!([1, null, "x"])),
            ],
            ..LogRecord::default()
        })
        .collect();
    UpstreamBody::Logs(records)
}

fn fixture() -> Fixture {
    let mut f = Fixture::plain();
    f.size(80, 24)
        .event(&domain("acme.io"), records())
        .keys("3");
    f
}

fn press(f: &mut Fixture, code: KeyCode, modifiers: KeyModifiers) -> Vec<Command> {
    dispatch(&mut f.state, Action::Key(KeyEvent::new(code, modifiers)))
}

fn type_path(f: &mut Fixture, path: &str) {
    press(f, KeyCode::Char('u'), KeyModifiers::CONTROL);
    f.keys(path);
}

/// What the dashboard's loop and its export task do with the commands,
/// synchronously, with relative paths taken from `base` (the process's
/// working directory is not the test's to change).
fn carry_out_in(f: &mut Fixture, base: &Path, commands: Vec<Command>) {
    let mut queue: VecDeque<Command> = commands.into();
    let mut file: Option<(String, FileExport)> = None;
    let report = |f: &mut Fixture, queue: &mut VecDeque<Command>, event| {
        queue.extend(dispatch(&mut f.state, Action::Export(event)));
    };
    while let Some(command) = queue.pop_front() {
        match command {
            Command::CheckExportPath { path } => {
                let exists = base.join(&path).exists();
                report(f, &mut queue, ExportEvent::PathChecked { path, exists });
            }
            Command::Export(job) => {
                match FileExport::create(&base.join(&job.path), job.format, job.overwrite) {
                    Ok(created) => file = Some((job.path, created)),
                    Err(e) => {
                        let result = Err(describe_error(&e));
                        let path = job.path;
                        report(f, &mut queue, ExportEvent::Done { path, result });
                    }
                }
            }
            Command::ExportChunk(chunk) => {
                let Some((path, mut export)) = file.take() else {
                    continue;
                };
                export.write(&chunk.records).unwrap();
                let event = if chunk.last {
                    let result = export.finish().map_err(|e| describe_error(&e));
                    ExportEvent::Done { path, result }
                } else {
                    let written = export.written();
                    file = Some((path, export));
                    ExportEvent::Progress { written, total: 0 }
                };
                report(f, &mut queue, event);
            }
            other => panic!("{other:?}"),
        }
    }
}

fn carry_out(f: &mut Fixture, commands: Vec<Command>) {
    carry_out_in(f, Path::new("/"), commands);
}

/// The held matches of the current domain, every field.
fn held_matches(state: &AppState) -> Vec<LogRecord> {
    let store = &state.logs.current().unwrap().store;
    (0..store.match_count())
        .map(|i| store.full_record(store.match_seq(i).unwrap()).unwrap())
        .collect()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("misar-export-it-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn the_prompt_and_its_overwrite_question() {
    let mut f = fixture();
    f.key(KeyCode::Char('x'));
    snapshot("export_prompt", &f.state);
    let dir = scratch("snap");
    let taken = dir.join("taken.ndjson");
    std::fs::write(&taken, "old\n").unwrap();
    // A relative name, so the snapshot does not hold the temp dir's.
    type_path(&mut f, "taken.ndjson");
    let commands = press(&mut f, KeyCode::Enter, KeyModifiers::NONE);
    carry_out_in(&mut f, &dir, commands);
    assert!(matches!(f.state.overlay, Overlay::Export(_)));
    snapshot("export_overwrite", &f.state);
    // n keeps the file and goes back to the name.
    press(&mut f, KeyCode::Char('n'), KeyModifiers::NONE);
    assert_eq!(std::fs::read_to_string(&taken).unwrap(), "old\n");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn the_ndjson_file_holds_the_matches_record_by_record() {
    let dir = scratch("ndjson");
    let mut f = fixture();
    f.keys("/type:bounced");
    // The type goes to the server: the stream re-opens and brings the
    // records again.
    f.key(KeyCode::Enter).event(&domain("acme.io"), records());
    let held = held_matches(&f.state);
    assert_eq!(held.len(), 8);

    let path = dir.join("out.ndjson");
    f.key(KeyCode::Char('x'));
    type_path(&mut f, path.to_str().unwrap());
    let commands = press(&mut f, KeyCode::Enter, KeyModifiers::NONE);
    carry_out(&mut f, commands);
    let notice = f.state.current_notice().unwrap().to_string();
    assert!(notice.starts_with("exported 8 records to "), "{notice}");

    let lines = read_ndjson(&path);
    assert_eq!(lines.len(), held.len());
    for (line, record) in lines.iter().zip(&held) {
        assert_eq!(line, &serde_json::to_value(record).unwrap());
        assert_eq!(line["event_type"], "bounced");
        assert_eq!(line["future_field"], json!([1, null, "x"]));
        assert_eq!(line["campaign_ref"]["ab"], "B");
    }
    assert_eq!(lines[1]["id"], "log_5");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn the_csv_file_parses_with_the_tables_columns() {
    let dir = scratch("csv");
    let mut f = fixture();
    let held = held_matches(&f.state);
    let path = dir.join("out.csv");
    f.key(KeyCode::Char('x'));
    type_path(&mut f, path.to_str().unwrap());
    let commands = press(&mut f, KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(
        ExportFormat::for_path(path.to_str().unwrap()),
        ExportFormat::Csv
    );
    carry_out(&mut f, commands);

    let mut reader = csv::Reader::from_path(&path).unwrap();
    assert_csv_header(&mut reader);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), held.len());
    for (row, record) in rows.iter().zip(&held) {
        assert_eq!(&row[0], record.timestamp_rfc3339());
        assert_eq!(&row[1], record.event_type.unwrap().as_str());
        assert_eq!(&row[3], record.recipient);
        assert_eq!(&row[4], record.subject);
        assert_eq!(&row[5], "spring;a,b");
        assert_eq!(&row[6], record.smtp_response.as_deref().unwrap_or(""));
        assert_eq!(&row[7], record.message_id);
    }
    assert_eq!(&rows[7][4], "Deals, \"deals\" and more #7");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_failed_export_leaves_no_file_and_says_why_on_one_line() {
    let dir = scratch("fail");
    let mut f = fixture();
    let path = dir.join("no/such/dir/out.ndjson");
    f.key(KeyCode::Char('x'));
    type_path(&mut f, path.to_str().unwrap());
    let commands = press(&mut f, KeyCode::Enter, KeyModifiers::NONE);
    carry_out(&mut f, commands);
    assert!(!path.exists());
    let notice = f.state.current_notice().unwrap();
    assert!(notice.starts_with("export failed: "), "{notice}");
    assert!(notice.contains("no/such/dir/out.ndjson"), "{notice}");
    assert!(notice.contains("os error 2"), "{notice}");
    assert!(!notice.contains('\n'));
    assert!(f.state.export.is_none());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn y_puts_the_selected_records_json_on_the_clipboard() {
    let mut f = fixture();
    f.keys("g");
    let commands = press(&mut f, KeyCode::Char('y'), KeyModifiers::NONE);
    let [Command::CopyToClipboard(json)] = commands.as_slice() else {
        panic!("{commands:?}");
    };
    let value: Value = serde_json::from_str(json).unwrap();
    assert_eq!(value["id"], "log_0");
    assert_eq!(value["future_field"], json!([1, null, "x"]));
    assert_eq!(
        f.state.current_notice(),
        Some("copied record log_0 (OSC 52)")
    );
    let bytes = osc52(json, false);
    assert!(bytes.starts_with(b"\x1b]52;c;") && bytes.ends_with(b"\x07"));
}

#[test]
fn a_large_export_goes_in_chunks_and_loses_nothing() {
    let dir = scratch("large");
    let mut f = Fixture::plain();
    let n = misar_dash::app::export::CHUNK * 2 + 123;
    let many = (0..n as i64)
        .map(|i| LogRecord {
            id: format!("log_{i}"),
            timestamp_ms: now() - 3_600_000 + i,
            event_type: Some(LogEventType::Delivered),
            recipient: format!("r{i}@example.org"),
            extra: vec![("n".into(), json!(i))],
            ..LogRecord::default()
        })
        .collect();
    f.size(80, 24)
        .event(&domain("acme.io"), UpstreamBody::Logs(many))
        .keys("3");
    let held = held_matches(&f.state);
    assert_eq!(held.len(), n);
    let path = dir.join("large.ndjson");
    f.key(KeyCode::Char('x'));
    type_path(&mut f, path.to_str().unwrap());
    let commands = press(&mut f, KeyCode::Enter, KeyModifiers::NONE);
    carry_out(&mut f, commands);
    let notice = f.state.current_notice().unwrap();
    assert!(notice.starts_with("exported 20,123 records"), "{notice}");
    let lines = read_ndjson(&path);
    assert_eq!(lines.len(), n);
    for (line, record) in lines.iter().zip(&held) {
        assert_eq!(line, &serde_json::to_value(record).unwrap());
    }
    std::fs::remove_dir_all(dir).unwrap();
}
