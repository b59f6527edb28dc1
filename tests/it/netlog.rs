//! The network log: the file that says, after the fact, what each stream's
//! link did. The real binary against real servers on 127.0.0.1; then the
//! file is read.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::support::*;
use tokio::process::Command;

const CANARY_KEY: &str = "mbk_canary_SECRET123";

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("misar-dash-netlog-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temp dir");
    dir
}

async fn run(cmd: &mut Command, args: &[&str]) -> Output {
    tokio::time::timeout(Duration::from_secs(60), cmd.args(args).output())
        .await
        .expect("the command ends")
        .expect("the command runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The log's lines without their time and level, after checking that each
/// has both: `2026-12-07T01:30:00.123Z  INFO issue iss-1: live`.
fn messages(log: &Path) -> Vec<String> {
    let all = std::fs::read_to_string(log).expect("the log file exists");
    all.lines()
        .map(|line| {
            let (time, rest) = line.split_once(' ').expect("a time, then the rest");
            assert_eq!(time.len(), "2026-12-07T01:30:00.123Z".len(), "{line}");
            assert!(
                time.ends_with('Z') && chrono::DateTime::parse_from_rfc3339(time).is_ok(),
                "{line}"
            );
            let message = rest
                .strip_prefix(" INFO ")
                .unwrap_or_else(|| panic!("level INFO: {line}"));
            message.to_string()
        })
        .collect()
}

/// The blog API's send-stream, misbehaving in turn: a 429 with
/// `Retry-After: 0`, a stream that sends one event and drops, then a 401
/// whose body quotes the Authorization header it was sent.
async fn flaky_blog_api() -> String {
    let requests = Arc::new(AtomicUsize::new(0));
    http_server(move |head| {
        assert!(
            head.starts_with("GET /newsletter/issues/iss-1/send-stream "),
            "{head}"
        );
        match requests.fetch_add(1, Ordering::SeqCst) {
            0 => "HTTP/1.1 429 Too Many Requests\r\nretry-after: 0\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".to_string(),
            1 => concat!(
                "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n",
                "data: {\"status\":\"sending\",\"sent\":5,\"total\":100,\"opened\":0,\"bounced\":0}\n\n"
            )
            .to_string(),
            _ => {
                let auth = header_value(head, "authorization").unwrap_or_default();
                let body = serde_json::json!({ "error": format!("refused {auth}") }).to_string();
                format!(
                    "HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                )
            }
        }
    })
    .await
}

/// What a line is about, how many times it comes, and how to know it.
type Milestone = (&'static str, usize, fn(&str) -> bool);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_tells_what_each_connection_did_in_order() {
    let addr = flaky_blog_api().await;
    let dir = temp_dir("order");
    let log = dir.join("net.log");
    let mut cmd = misar_dash();
    cmd.env("MISAR_BLOG_URL", format!("http://{addr}"))
        .env("MISAR_BLOG_KEY", CANARY_KEY);
    let log_arg = log.display().to_string();
    let out = run(
        &mut cmd,
        &[
            "stream",
            "send-progress",
            "iss-1",
            "--log-file",
            &log_arg,
            "--max-retries",
            "5",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));

    let lines = messages(&log);
    let all = lines.join("\n");
    // The milestones, in this order, each once; other lines (on other
    // attempts) may come between. A rate limit spends no retry, so the
    // attempt after it is the first again: "connecting" twice.
    let milestones: [Milestone; 5] = [
        ("connecting", 2, |l| l == "issue iss-1: connecting"),
        ("the rate limit", 1, |l| {
            l == "issue iss-1: rate-limited: waiting 1s"
        }),
        ("live", 1, |l| l == "issue iss-1: live"),
        ("the dropped link", 1, |l| {
            l.starts_with("issue iss-1: reconnecting (attempt 2) in ")
                && l.ends_with(": the server closed the stream")
        }),
        ("the refused key", 1, |l| {
            l.starts_with("issue iss-1: stopped: key refused: HTTP 401 from the blog API")
        }),
    ];
    let mut firsts = Vec::new();
    for (what, times, is) in milestones {
        let at: Vec<usize> = (0..lines.len()).filter(|&i| is(&lines[i])).collect();
        assert_eq!(at.len(), times, "{what}:\n{all}");
        firsts.push(at[0]);
    }
    assert!(firsts.is_sorted(), "out of order: {firsts:?}\n{all}");
    assert_eq!(
        firsts.last(),
        Some(&(lines.len() - 1)),
        "the stop ends it:\n{all}"
    );
    // The server quoted the key back; the log has it redacted.
    assert!(all.contains("<redacted>"), "{all}");
    let raw = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        !raw.contains(CANARY_KEY) && !raw.contains("SECRET123"),
        "{raw}"
    );
    assert!(!text(&out.stderr).contains(CANARY_KEY));
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_file_creates_a_private_file_and_its_directory() {
    // A port nothing listens on: one attempt, then giving up.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let dir = temp_dir("mode");
    let log = dir.join("new").join("net.log");
    let log_arg = log.display().to_string();
    let mut cmd = misar_dash();
    cmd.env("MISAR_BLOG_URL", format!("http://127.0.0.1:{port}"))
        .env("MISAR_BLOG_KEY", CANARY_KEY);
    // Before the subcommand, as the other global flags work.
    let out = run(
        &mut cmd,
        &[
            "--log-file",
            &log_arg,
            "stream",
            "send-progress",
            "iss-1",
            "--max-retries",
            "0",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(5), "{}", text(&out.stderr));
    let mode = std::fs::metadata(&log)
        .expect("the log")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    let lines = messages(&log);
    assert_eq!(
        lines.first().map(String::as_str),
        Some("issue iss-1: connecting")
    );
    assert!(
        lines
            .last()
            .is_some_and(|l| l.contains("stopped: gave up after 1 attempts")),
        "{lines:?}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_path_says_where_the_log_is_and_stream_writes_none_unasked() {
    let state = temp_dir("state");
    let with_state = || {
        let mut cmd = misar_dash();
        cmd.env("XDG_STATE_HOME", &state);
        cmd
    };
    let out = run(&mut with_state(), &["config", "path"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let log = state.join("misar-dash").join("misar-dash.log");
    assert!(stdout.starts_with("config: "), "{stdout}");
    assert!(
        stdout
            .lines()
            .any(|l| l == format!("log:    {}", log.display())),
        "{stdout}"
    );
    let out = run(
        &mut with_state(),
        &["config", "path", "--log-file", "/tmp/x.log"],
    )
    .await;
    assert!(text(&out.stdout).contains("log:    /tmp/x.log\n"));

    // Headless without --log-file: its stderr is the log; no file.
    let out = run(
        &mut with_state(),
        &["stream", "send-progress", "iss-may-newsletter", "--sim"],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(!state.join("misar-dash").exists(), "no log was asked for");
    std::fs::remove_dir_all(&state).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_filter_is_one_clear_line() {
    let dir = temp_dir("filter");
    let log_arg = dir.join("net.log").display().to_string();
    let mut cmd = misar_dash();
    cmd.env("MISAR_DASH_LOG", "misar_dash=loud");
    let out = run(
        &mut cmd,
        &["stream", "inbox", "--sim", "--log-file", &log_arg],
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("MISAR_DASH_LOG") && err.contains("loud"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");

    // A good one is obeyed: `off` leaves an empty file.
    let mut cmd = misar_dash();
    cmd.env("MISAR_DASH_LOG", "off");
    let out = run(
        &mut cmd,
        &[
            "stream",
            "send-progress",
            "iss-may-newsletter",
            "--sim",
            "--log-file",
            &log_arg,
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(std::fs::read_to_string(&log_arg).ok().as_deref(), Some(""));
    std::fs::remove_dir_all(&dir).ok();
}
