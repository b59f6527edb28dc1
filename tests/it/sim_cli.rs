//! `misar-dash sim`, the standalone simulator, as a user runs it: what it
//! prints is enough to point another misar-dash at it.

use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::Duration;

use crate::support::{assert_contains, misar_dash, run_within};
use tokio::io::{AsyncBufReadExt, BufReader};

const T: Duration = Duration::from_secs(60);

/// The `export NAME=VALUE` lines it prints parse, name every setting, point
/// at the running simulator, and work: pasted into another environment they
/// make `misar-dash stream` reach it with the demo keys.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sim_prints_export_lines_that_point_at_it() {
    let mut sim = misar_dash()
        .args(["sim", "--speed", "40"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the simulator starts");
    let mut lines = BufReader::new(sim.stdout.take().expect("stdout")).lines();
    let mut printed = Vec::new();
    let deadline = tokio::time::Instant::now() + T;
    while let Ok(Ok(Some(line))) = tokio::time::timeout_at(deadline, lines.next_line()).await {
        let done = line.starts_with("Serving until Ctrl-C");
        printed.push(line);
        if done {
            break;
        }
    }
    let addr = printed
        .first()
        .and_then(|l| l.strip_prefix("misar-dash simulator on "))
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or_else(|| panic!("no address line: {printed:?}"))
        .to_string();
    let mut exports = BTreeMap::new();
    for line in printed.iter().filter(|l| l.starts_with("export ")) {
        let (name, value) = line["export ".len()..]
            .split_once('=')
            .unwrap_or_else(|| panic!("not NAME=VALUE: {line}"));
        assert!(
            name.chars().all(|c| c.is_ascii_uppercase() || c == '_'),
            "{line}"
        );
        // Nothing a shell would read specially: the line pastes as it is.
        assert!(
            value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ":/._-".contains(c)),
            "{line}"
        );
        assert!(
            exports
                .insert(name.to_string(), value.to_string())
                .is_none()
        );
    }
    let names: Vec<&str> = exports.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "MISAR_BLOG_KEY",
            "MISAR_BLOG_URL",
            "MISAR_MAIL_KEY",
            "MISAR_MAIL_URL",
            "MISAR_MAIL_WS_URL"
        ],
        "{printed:#?}"
    );
    assert_eq!(exports["MISAR_BLOG_URL"], format!("http://{addr}/blog"));
    assert_eq!(exports["MISAR_MAIL_URL"], format!("http://{addr}/mail"));
    assert_eq!(exports["MISAR_MAIL_WS_URL"], format!("ws://{addr}/mail/ws"));
    assert_eq!(exports["MISAR_BLOG_KEY"], misar_dash::sim::DEMO_BLOG_KEY);
    assert_eq!(exports["MISAR_MAIL_KEY"], misar_dash::sim::DEMO_MAIL_KEY);

    // Each API, reached through the exported settings alone.
    for args in [
        &["stream", "send-progress", "iss-may-newsletter"][..],
        &["stream", "logs", "shop.example.com", "--limit", "10"][..],
        &["stream", "campaign", "cmp-nosuch"][..],
    ] {
        let mut cmd = misar_dash();
        cmd.envs(&exports);
        let out = run_within(cmd, args, T).await;
        // An unknown campaign: the simulator's own 403, so the WebSocket
        // reached it and was answered.
        if args[1] == "campaign" {
            out.assert_exit(4);
            assert_contains(&out.stderr, &["HTTP 403 from the mail WebSocket"]);
        } else {
            out.assert_exit(0);
            assert_contains(&out.stdout, &["\"type\":\"complete\""]);
        }
    }
    sim.kill().await.ok();
}
