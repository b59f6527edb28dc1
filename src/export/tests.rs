use serde_json::json;

use super::*;
use crate::model::LogEventType;

fn record() -> LogRecord {
    LogRecord {
        id: "r1".into(),
        timestamp_ms: 1_779_876_000_123,
        event_type: Some(LogEventType::Bounced),
        sender: "news@acme.io".into(),
        recipient: "bob@example.org".into(),
        subject: "Hi, \"Bob\"\nsecond line".into(),
        tags: vec!["spring".into(), "a,b".into()],
        message_id: "<m1@acme.io>".into(),
        smtp_response: Some("550 5.1.1 no such user".into()),
        ip: Some("192.0.2.7".into()),
        extra: vec![
            ("campaign_ref".into(), json!({"id": 7, "ab": [1, 2]})),
            ("zz_new".into(), json!(null)),
        ],
        ..LogRecord::default()
    }
}

fn csv_of(records: &[LogRecord]) -> String {
    let mut out = Vec::new();
    write_csv_header(&mut out).unwrap();
    write_records(&mut out, ExportFormat::Csv, records).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn csv_cells_with_commas_quotes_and_newlines_are_quoted() {
    let mut out = Vec::new();
    write_csv_row(
        &mut out,
        ["plain", "a,b", "say \"hi\"", "two\nlines", "cr\r", ""],
    )
    .unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\"cr\r\",\r\n"
    );
}

#[test]
fn csv_has_a_header_and_the_tables_columns() {
    let text = csv_of(&[record()]);
    assert_eq!(
        text,
        "time,type,sender,recipient,subject,tags,smtp_response,message_id\r\n\
         2026-05-27T10:00:00.123Z,bounced,news@acme.io,bob@example.org,\
         \"Hi, \"\"Bob\"\"\nsecond line\",\"spring;a,b\",550 5.1.1 no such user,<m1@acme.io>\r\n"
    );
}

#[test]
fn ndjson_keeps_unknown_fields_in_the_apis_shape() {
    let mut out = Vec::new();
    write_records(&mut out, ExportFormat::Ndjson, &[record(), record()]).unwrap();
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2);
    let value: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(
        value,
        json!({
            "id": "r1",
            "timestamp": "2026-05-27T10:00:00.123Z",
            "event_type": "bounced",
            "sender": "news@acme.io",
            "recipient": "bob@example.org",
            "subject": "Hi, \"Bob\"\nsecond line",
            "tags": ["spring", "a,b"],
            "message_id": "<m1@acme.io>",
            "smtp_response": "550 5.1.1 no such user",
            "ip": "192.0.2.7",
            "campaign_ref": {"id": 7, "ab": [1, 2]},
            "zz_new": null,
        })
    );
    // In the order they came, unknown fields last.
    assert!(lines[0].ends_with(r#""campaign_ref":{"id":7,"ab":[1,2]},"zz_new":null}"#));
}

#[test]
fn progress_is_reported_while_writing() {
    let dir = scratch("progress");
    let records = vec![record(); PROGRESS_EVERY * 2 + 5];
    let mut seen = Vec::new();
    let path = dir.join("big.ndjson");
    let written = export_to_file(&path, ExportFormat::Ndjson, false, &records, |n| {
        seen.push(n)
    });
    assert_eq!(written, Ok(records.len()));
    assert_eq!(seen, [PROGRESS_EVERY, PROGRESS_EVERY * 2]);
    fs::remove_dir_all(dir).unwrap();
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("misar-export-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_complete_file_appears_under_its_name_and_nothing_else_is_left() {
    let dir = scratch("ok");
    let path = dir.join("out.ndjson");
    assert_eq!(
        export_to_file(&path, ExportFormat::Ndjson, false, &[record()], |_| {}),
        Ok(1)
    );
    assert_eq!(names(&dir), ["out.ndjson"]);
    assert_eq!(fs::read_to_string(&path).unwrap().lines().count(), 1);
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn an_unfinished_file_leaves_nothing_under_the_name() {
    let dir = scratch("fail");
    let path = dir.join("out.csv");
    let mut file = FileExport::create(&path, ExportFormat::Csv, false).unwrap();
    file.write(&[record(), record()]).unwrap();
    assert_eq!(file.written(), 2);
    assert_eq!(names(&dir).len(), 1, "the temporary file");
    assert!(!path.exists());
    // An error, or the program quitting, drops it unfinished.
    drop(file);
    assert!(names(&dir).is_empty(), "{:?}", names(&dir));
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_missing_directory_is_an_os_error_and_no_file() {
    let dir = scratch("missing");
    let path = dir.join("no/such/dir/out.csv");
    let err = export_to_file(&path, ExportFormat::Csv, false, &[record()], |_| {}).unwrap_err();
    assert!(err.contains("os error 2"), "{err}");
    assert!(!path.exists());
    assert!(names(&dir).is_empty());
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn an_existing_file_is_kept_unless_overwrite() {
    let dir = scratch("exists");
    let path = dir.join("out.ndjson");
    fs::write(&path, "old\n").unwrap();
    let err = export_to_file(&path, ExportFormat::Ndjson, false, &[record()], |_| {}).unwrap_err();
    assert!(err.contains("exists"), "{err}");
    assert_eq!(fs::read_to_string(&path).unwrap(), "old\n");
    assert_eq!(names(&dir), ["out.ndjson"]);
    assert_eq!(
        export_to_file(&path, ExportFormat::Ndjson, true, &[record()], |_| {}),
        Ok(1)
    );
    assert!(
        fs::read_to_string(&path)
            .unwrap()
            .starts_with("{\"id\":\"r1\"")
    );
    assert_eq!(names(&dir), ["out.ndjson"]);
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn osc52_plain_and_inside_tmux() {
    // "hi" in base64 is aGk=.
    assert_eq!(osc52("hi", false), b"\x1b]52;c;aGk=\x07");
    assert_eq!(
        osc52("hi", true),
        b"\x1bPtmux;\x1b\x1b]52;c;aGk=\x07\x1b\\".to_vec()
    );
    let json = r#"{"id":"r1","subject":"é"}"#;
    let plain = osc52(json, false);
    let inner = &plain[7..plain.len() - 1];
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(inner)
        .unwrap();
    assert_eq!(decoded, json.as_bytes());
}

#[test]
fn a_parent_that_is_a_file_or_a_name_that_is_a_directory_leaves_nothing() {
    // Root may write anywhere, so no permission is tried: these fail for
    // anyone.
    let dir = scratch("notdir");
    fs::write(dir.join("plain"), "x").unwrap();
    let under_file = dir.join("plain/out.ndjson");
    let err = export_to_file(
        &under_file,
        ExportFormat::Ndjson,
        false,
        &[record()],
        |_| {},
    )
    .unwrap_err();
    assert!(err.contains("os error 20"), "{err}");
    let taken = dir.join("taken");
    fs::create_dir(&taken).unwrap();
    // Even told to replace it, a directory is not replaced by a file.
    let err = export_to_file(&taken, ExportFormat::Csv, true, &[record()], |_| {}).unwrap_err();
    assert!(err.contains("os error"), "{err}");
    assert!(taken.is_dir());
    assert_eq!(names(&dir), ["plain", "taken"]);
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_leading_tilde_is_the_home_directory() {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    if let Some(home) = home.filter(|h| !h.as_os_str().is_empty()) {
        assert_eq!(expand_home("~/logs/a.csv"), home.join("logs/a.csv"));
    }
    assert_eq!(expand_home("./~/a.csv"), PathBuf::from("./~/a.csv"));
    assert_eq!(expand_home("~user/a"), PathBuf::from("~user/a"));
    assert_eq!(expand_home("/tmp/a"), PathBuf::from("/tmp/a"));
}
