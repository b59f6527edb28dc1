//! `misar-dash stream logs --format csv` against the simulator: stdout is
//! CSV and nothing else, the same records as the NDJSON output.

use std::process::Output;

use crate::support::*;

async fn run(sim: &misar_dash::sim::Sim, args: &[&str]) -> Output {
    let mut cmd = misar_dash_against(&sim.endpoints());
    tokio::time::timeout(std::time::Duration::from_secs(60), cmd.args(args).output())
        .await
        .expect("the command ends")
        .expect("the command runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A NDJSON line as the CSV's cells.
fn as_row(line: &serde_json::Value) -> Vec<String> {
    let s = |name: &str| line[name].as_str().unwrap_or("").to_string();
    let tags: Vec<&str> = line["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    vec![
        s("timestamp"),
        s("event_type"),
        s("sender"),
        s("recipient"),
        s("subject"),
        tags.join(";"),
        s("smtp_response"),
        s("message_id"),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csv_is_a_header_then_one_row_per_record_and_nothing_else() {
    let sim = start_sim(sim_config()).await;
    let domain = "flaky.example.com";
    let want = sim
        .catalog()
        .domains
        .iter()
        .find(|d| d.name == domain)
        .unwrap()
        .records;
    let csv_out = run(&sim, &["stream", "logs", domain, "--format", "csv"]).await;
    assert_eq!(csv_out.status.code(), Some(0), "{}", text(&csv_out.stderr));
    let json_out = run(&sim, &["stream", "logs", domain]).await;
    assert_eq!(
        json_out.status.code(),
        Some(0),
        "{}",
        text(&json_out.stderr)
    );

    let mut reader = csv::Reader::from_reader(csv_out.stdout.as_slice());
    assert_csv_header(&mut reader);
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    assert_eq!(rows.len() as u64, want, "one row per record, no other line");

    let json_rows: Vec<Vec<String>> = text(&json_out.stdout)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|l| l["type"] == "log")
        .map(|l| as_row(&l))
        .collect();
    assert_eq!(rows, json_rows);
    for row in &rows {
        assert!(
            chrono::DateTime::parse_from_rfc3339(&row[0]).is_ok(),
            "{row:?}"
        );
    }
    // The completion, which NDJSON puts on stdout, is on stderr.
    let err = text(&csv_out.stderr);
    assert!(err.contains(&format!("complete, {want} records")), "{err}");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_format_is_a_usage_error() {
    let sim = start_sim(sim_config()).await;
    let out = run(
        &sim,
        &["stream", "logs", "flaky.example.com", "--format", "xml"],
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty());
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_records_as_csv_cannot_drive_the_terminal() {
    let sim = start_sim(sim_config()).await;
    let domain = misar_dash::sim::hostile::DOMAIN;
    let out = run(&sim, &["stream", "logs", domain, "--format", "csv"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = String::from_utf8(out.stdout.clone()).expect("UTF-8");
    let mut chars = stdout.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => assert_eq!(chars.peek(), Some(&'\n'), "a CR only ends a row"),
            '\n' | '\t' => {}
            c => assert!(!misar_dash::sanitize::is_unsafe(c), "{:?} on stdout", c),
        }
    }
    // A flag is its letters, as on screen.
    assert!(stdout.contains(" JP "), "{stdout}");
    // Every record is still a row.
    let rows = csv::Reader::from_reader(out.stdout.as_slice())
        .records()
        .map(Result::unwrap)
        .count();
    let json = run(&sim, &["stream", "logs", domain]).await;
    let records = text(&json.stdout)
        .lines()
        .filter(|l| l.starts_with("{\"type\":\"log\""))
        .count();
    assert!(rows > 0);
    assert_eq!(rows, records);
    sim.shutdown().await;
}

/// `stream logs` writes printable-ASCII records by hand and the rest
/// through serde_json: every record of the hostile domain (escapes,
/// control characters, other scripts, unknown fields, nulls) reads back
/// as the value serde_json makes of the record, and stdout stays
/// terminal-safe.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_records_read_back_as_serde_writes_them() {
    let cfg = sim_config();
    let epoch_ms = cfg.epoch.expect("a fixed epoch").timestamp_millis();
    let expected = misar_dash::sim::hostile::expected_logs(epoch_ms);
    let sim = start_sim(cfg).await;
    let domain = misar_dash::sim::hostile::DOMAIN;
    let out = run(&sim, &["stream", "logs", domain]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert_terminal_safe("stdout", &stdout);
    let got: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .filter(|l: &serde_json::Value| l["type"] == "log")
        .collect();
    let want: Vec<serde_json::Value> = expected
        .records
        .iter()
        .map(|record| {
            let mut line = serde_json::json!({"type": "log", "domain": domain});
            let fields = serde_json::to_value(record).expect("a record serializes");
            for (name, value) in fields.as_object().expect("an object") {
                line[name] = value.clone();
            }
            line
        })
        .collect();
    assert!(want.len() > 5, "{} records", want.len());
    assert_eq!(got.len(), want.len(), "{stdout}");
    for (got, want) in got.iter().zip(&want) {
        assert_eq!(got, want);
    }
    sim.shutdown().await;
}
