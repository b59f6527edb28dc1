//! The network log: the file that says, after the fact, what each stream's
//! link did. The real binary against real servers on 127.0.0.1; then the
//! file is read.

use std::path::Path;

use crate::support::*;

const CANARY_KEY: &str = "mbk_canary_SECRET123";

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
async fn flaky_blog_api() -> Server {
    Server::answering(|n, hit| {
        assert!(
            hit.head
                .starts_with("GET /newsletter/issues/iss-1/send-stream "),
            "{}",
            hit.head
        );
        match n {
            0 => "HTTP/1.1 429 Too Many Requests\r\nretry-after: 0\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".to_string(),
            1 => format!(
                "{SSE_HEAD}{}",
                "data: {\"status\":\"sending\",\"sent\":5,\"total\":100,\"opened\":0,\"bounced\":0}\n\n"
            ),
            _ => {
                let auth = hit.header("authorization").unwrap_or_default();
                let body = serde_json::json!({ "error": format!("refused {auth}") }).to_string();
                answer("401 Unauthorized", "application/json", &body)
            }
        }
    })
    .await
}

/// What a line is about, how many times it comes, and how to know it.
type Milestone = (&'static str, usize, fn(&str) -> bool);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_tells_what_each_connection_did_in_order() {
    let server = flaky_blog_api().await;
    let dir = TempDir::new("netlog-order");
    let log = dir.join("net.log");
    let mut cmd = misar_dash();
    cmd.env("MISAR_BLOG_URL", server.url())
        .env("MISAR_BLOG_KEY", CANARY_KEY);
    let log_arg = log.display().to_string();
    let args = [
        "stream",
        "send-progress",
        "iss-1",
        "--log-file",
        &log_arg,
        "--max-retries",
        "5",
    ];
    let out = run(cmd, &args).await;
    out.assert_exit(3);

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
    assert!(!out.stderr.contains(CANARY_KEY));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_file_creates_a_private_file_and_its_directory() {
    // A port nothing listens on: one attempt, then giving up.
    let closed = closed_addr();
    let dir = TempDir::new("netlog-mode");
    let log = dir.join("new").join("net.log");
    let mut cmd = misar_dash();
    cmd.env("MISAR_BLOG_URL", format!("http://{closed}"))
        .env("MISAR_BLOG_KEY", CANARY_KEY);
    // Before the subcommand, as the other global flags work.
    let log_arg = log.display().to_string();
    let args = [
        "--log-file",
        &log_arg,
        "stream",
        "send-progress",
        "iss-1",
        "--max-retries",
        "0",
    ];
    run(cmd, &args).await.assert_exit(5);
    assert_eq!(file_mode(&log), 0o600);
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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_path_says_where_the_log_is_and_stream_writes_none_unasked() {
    let state = TempDir::new("netlog-state");
    let with_state = || {
        let mut cmd = misar_dash();
        cmd.env("XDG_STATE_HOME", state.path());
        cmd
    };
    let out = run(with_state(), &["config", "path"]).await;
    out.assert_exit(0);
    let log = state.join("misar-dash").join("misar-dash.log");
    assert!(out.stdout.starts_with("config: "), "{}", out.stdout);
    let said = format!("log:    {}", log.display());
    assert!(out.stdout.lines().any(|l| l == said), "{}", out.stdout);
    let out = run(
        with_state(),
        &["config", "path", "--log-file", "/tmp/x.log"],
    )
    .await;
    assert!(out.stdout.contains("log:    /tmp/x.log\n"));

    // Headless without --log-file: its stderr is the log; no file.
    let args = ["stream", "send-progress", "iss-may-newsletter", "--sim"];
    run(with_state(), &args).await.assert_exit(0);
    assert!(!state.join("misar-dash").exists(), "no log was asked for");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_filter_is_one_clear_line() {
    let dir = TempDir::new("netlog-filter");
    let log = dir.join("net.log");
    let log_arg = log.display().to_string();
    let with_filter = |filter: &str| {
        let mut cmd = misar_dash();
        cmd.env("MISAR_DASH_LOG", filter);
        cmd
    };
    let args = ["stream", "inbox", "--sim", "--log-file", &log_arg];
    let out = run(with_filter("misar_dash=loud"), &args).await;
    out.assert_exit(2);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert_contains(&out.stderr, &["MISAR_DASH_LOG", "loud"]);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);

    // A good one is obeyed: `off` leaves an empty file.
    let args = [
        "stream",
        "send-progress",
        "iss-may-newsletter",
        "--sim",
        "--log-file",
        &log_arg,
    ];
    run(with_filter("off"), &args).await.assert_exit(0);
    assert_eq!(std::fs::read_to_string(&log).ok().as_deref(), Some(""));
}
