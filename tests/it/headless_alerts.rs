//! Alerts in `misar-dash stream`: the real binary against the simulator's
//! sends that trip them, with the config's `[alerts]` rules (the config
//! file is named by `MISAR_DASH_CONFIG`).

use std::process::Stdio;
use std::time::Duration;

use crate::support::*;
use misar_dash::sim;
use serde_json::Value;
use tokio::process::Command;

/// The binary pointed at `sim`, reading `config` as its config file.
fn against(sim: &sim::Sim, config: Option<&std::path::Path>) -> Command {
    let mut cmd = misar_dash_against(&sim.endpoints());
    if let Some(path) = config {
        cmd.env("MISAR_DASH_CONFIG", path);
    }
    cmd
}

/// A config file holding `alerts` as its `[alerts]` table.
fn config(dir: &TempDir, alerts: &str) -> std::path::PathBuf {
    let path = dir.join("config.toml");
    std::fs::write(&path, format!("[alerts]\n{alerts}\n")).expect("the config file");
    path
}

fn alert_lines(lines: &[Value]) -> Vec<&Value> {
    lines.iter().filter(|l| l["type"] == "alert").collect()
}

/// `stream send-progress issue` (plus `more` arguments) against a fresh
/// simulator, run to its end; its JSON lines.
async fn stream_send(
    config: Option<&std::path::Path>,
    issue: &str,
    more: &[&str],
) -> (Ran, Vec<Value>) {
    let sim = start_sim(sim_config()).await;
    let mut args = vec!["stream", "send-progress", issue];
    args.extend_from_slice(more);
    let out = run_within(against(&sim, config), &args, Duration::from_secs(30)).await;
    sim.shutdown().await;
    let lines = out.json_lines();
    (out, lines)
}

/// Runs `cmd` with `args` for `long`, checks that nothing ended it, then
/// stops it: its stdout and JSON lines.
async fn runs_on(mut cmd: Command, args: &[&str], long: Duration) -> (String, Vec<Value>) {
    let mut child = cmd
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    tokio::time::sleep(long).await;
    assert!(
        child.try_wait().expect("its status").is_none(),
        "it ran on: no alert ended it"
    );
    child.start_kill().expect("kill");
    let out = child.wait_with_output().await.expect("its output");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let lines = stdout
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    (stdout, lines)
}

/// The one alert line among `lines`.
fn only_alert<'a>(lines: &'a [Value], stdout: &str) -> &'a Value {
    let alerts = alert_lines(lines);
    assert_eq!(alerts.len(), 1, "{stdout}");
    alerts[0]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fail_on_alert_exits_9_on_the_cold_lists_bounce_rate() {
    let (out, lines) = stream_send(None, "iss-cold-list", &["--fail-on-alert"]).await;
    out.assert_exit(9);
    let alert = only_alert(&lines, &out.stdout);
    assert_eq!(lines.last(), Some(alert), "the alert is the last line");
    assert_eq!(alert["issue_id"], "iss-cold-list");
    assert_eq!(alert["state"], "raised");
    assert_eq!(alert["alert"], "bounce_rate");
    assert_eq!(alert["what"], "bounce rate");
    assert_eq!(alert["threshold"], 5.0);
    assert_eq!(alert["unit"], "percent");
    let value = alert["value"].as_f64().expect("a number");
    assert!((9.0..=12.0).contains(&value), "{value}");
    let since = alert["since"].as_str().expect("a time");
    assert!(
        chrono::DateTime::parse_from_rfc3339(since).is_ok() && since.ends_with('Z'),
        "{since}"
    );
    assert_eq!(since.len(), 24, "milliseconds: {since}");
    // The progress line that tripped it came first.
    let progress = &lines[lines.len() - 2];
    assert_eq!(progress["type"], "progress");
    let (sent, bounced) = (progress["sent"].as_f64(), progress["bounced"].as_f64());
    if let (Some(sent), Some(bounced)) = (sent, bounced) {
        assert!((bounced * 100.0 / sent - value).abs() < 0.01, "{progress}");
    }
    let why = out.stop_line();
    assert_contains(
        &why,
        &["alert", "iss-cold-list", "bounce rate", "--fail-on-alert"],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clean_send_prints_no_alert_line_and_exits_0() {
    let (out, lines) = stream_send(None, "iss-spring-sale", &[]).await;
    out.assert_exit(0);
    assert!(alert_lines(&lines).is_empty(), "{}", out.stdout);
    let last = lines.last().expect("lines");
    assert_eq!(
        (&last["type"], &last["status"]),
        (&"complete".into(), &"sent".into())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_send_prints_a_failed_alert_line() {
    let (out, lines) = stream_send(None, "iss-partner-update", &[]).await;
    // Without --fail-on-alert an alert does not change how the run ends.
    out.assert_exit(0);
    let alert = only_alert(&lines, &out.stdout);
    assert_eq!(alert["issue_id"], "iss-partner-update");
    assert_eq!(alert["state"], "raised");
    assert_eq!(alert["alert"], "failed");
    assert_eq!(alert["what"], "send failed");
    assert_eq!(alert["unit"], "none");
    assert_eq!(alert["value"], Value::Null);
    let last = lines.last().expect("lines");
    assert_eq!(last["status"], "failed", "the completion comes last");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rule_set_to_false_raises_nothing() {
    let sim = start_sim(sim_config()).await;
    let dir = TempDir::new("hl-alerts-off");
    let path = config(&dir, "bounce_rate_pct = false");
    let cmd = against(&sim, Some(&path));
    let args = [
        "stream",
        "send-progress",
        "iss-cold-list",
        "--fail-on-alert",
    ];
    // The cold list sends for many minutes: watch it for three seconds
    // (two simulated minutes), far past 200 sent, then stop it.
    let (stdout, lines) = runs_on(cmd, &args, Duration::from_secs(3)).await;
    assert!(alert_lines(&lines).is_empty(), "{stdout}");
    let judged = lines.iter().any(|l| {
        l["type"] == "progress"
            && l["sent"].as_u64() >= Some(200)
            && l["bounced"].as_u64() > Some(0)
    });
    assert!(judged, "progress past min_sent with bounces: {stdout}");
    sim.shutdown().await;
}

/// A stream is down while it connects: with `stream_down_secs = 0` that
/// is an alert at once, and with `clear_after_secs = 0` it clears as soon
/// as the stream is live.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alert_that_stops_holding_prints_a_cleared_line() {
    let dir = TempDir::new("hl-alerts-cleared");
    let path = config(&dir, "stream_down_secs = 0\nclear_after_secs = 0");
    let (out, lines) = stream_send(Some(&path), "iss-spring-sale", &[]).await;
    out.assert_exit(0);
    let alerts = alert_lines(&lines);
    let states: Vec<(&Value, &Value)> = alerts.iter().map(|a| (&a["alert"], &a["state"])).collect();
    assert_eq!(
        states,
        [
            (&"stream_down".into(), &"raised".into()),
            (&"stream_down".into(), &"cleared".into())
        ],
        "{}",
        out.stdout
    );
    assert_eq!(alerts[0]["since"], alerts[1]["since"], "the same alert");
    assert_eq!(alerts[1]["unit"], "seconds");
    assert_eq!(alerts[1]["issue_id"], "iss-spring-sale");
}

/// A domain whose recent log is a quarter bounces: the simulator on the
/// wall clock (the rule judges the last minutes of real time), the
/// domain's whole log (no server-side filter), and the run ends on the
/// alert. The same domain filtered on the server is not judged at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bouncing_domain_raises_a_domain_alert_unless_filtered_on_the_server() {
    let sim = start_sim(sim_config_with(|c| {
        c.epoch = None;
        c.speed = 1.0;
    }))
    .await;
    let args = ["stream", "logs", "bounces.example.com", "--fail-on-alert"];
    let out = run_within(against(&sim, None), &args, Duration::from_secs(30)).await;
    out.assert_exit(9);
    let lines = out.json_lines();
    let alert = only_alert(&lines, &out.stdout);
    assert_eq!(lines.last(), Some(alert), "the alert is the last line");
    assert_eq!(alert["domain"], "bounces.example.com", "{alert}");
    assert_eq!(alert["alert"], "domain_bounces");
    assert_eq!(alert["unit"], "percent");
    let value = alert["value"].as_f64().expect("a number");
    assert!(value > 10.0, "{value}");
    assert_contains(&out.stop_line(), &["alert", "bounces.example.com"]);

    // Filtered on the server, the records are not the domain's log: the
    // same stream runs on, with no alert, until it is stopped.
    let filtered = [
        "stream",
        "logs",
        "bounces.example.com",
        "--event-type",
        "bounced",
        "--fail-on-alert",
    ];
    let cmd = against(&sim, None);
    let (stdout, lines) = runs_on(cmd, &filtered, Duration::from_secs(4)).await;
    assert!(alert_lines(&lines).is_empty(), "{stdout}");
    assert!(
        lines.iter().filter(|l| l["type"] == "log").count() > 10,
        "records came: {stdout}"
    );
    sim.shutdown().await;
}
