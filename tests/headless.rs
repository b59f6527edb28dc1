//! The `stream` command as a script uses it: the real binary, its stdout,
//! stderr and exit code, against the simulator on 127.0.0.1.

mod support;

use std::process::Output;

use misar_dash::sim;
use support::*;
use tokio::process::Command;

/// The binary pointed at `sim` with the demo keys.
fn against(sim: &sim::Sim) -> Command {
    let e = sim.endpoints();
    let mut cmd = misar_dash();
    cmd.env("MISAR_BLOG_URL", e.blog_url)
        .env("MISAR_MAIL_URL", e.mail_url)
        .env("MISAR_MAIL_WS_URL", e.mail_ws_url)
        .env("MISAR_BLOG_KEY", sim::DEMO_BLOG_KEY)
        .env("MISAR_MAIL_KEY", sim::DEMO_MAIL_KEY);
    cmd
}

async fn run(cmd: &mut Command, args: &[&str]) -> Output {
    tokio::time::timeout(std::time::Duration::from_secs(60), cmd.args(args).output())
        .await
        .expect("the command ends")
        .expect("the command runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The one line that explains a non-zero exit.
fn stop_line(out: &Output) -> String {
    let err = text(&out.stderr);
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("misar-dash") && !l.starts_with("misar-dash: warning:"))
        .collect();
    assert_eq!(lines.len(), 1, "one line says why: {err}");
    lines[0].to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_print_one_line_per_record_then_the_completion() {
    let sim = start_sim(sim_config()).await;
    let want = sim
        .catalog()
        .domains
        .iter()
        .find(|d| d.name == "flaky.example.com")
        .unwrap()
        .records;
    let out = run(&mut against(&sim), &["stream", "logs", "flaky.example.com"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len() as u64, want + 1);
    assert!(
        lines[..lines.len() - 1]
            .iter()
            .all(|l| l["type"] == "log" && l["domain"] == "flaky.example.com")
    );
    assert!(stdout.starts_with("{\"type\":\"log\""), "type comes first");
    let last = lines.last().unwrap();
    assert_eq!(last["type"], "complete");
    assert_eq!(last["total"], want);
    // The first request got a 500: the state changes are on stderr.
    let err = text(&out.stderr);
    assert!(err.contains("reconnecting") && err.contains("500"), "{err}");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_progress_ends_with_a_complete_line() {
    let sim = start_sim(sim_config()).await;
    let out = run(
        &mut against(&sim),
        &[
            "stream",
            "send-progress",
            "iss-may-newsletter",
            "iss-spring-sale",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let lines: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    for id in ["iss-may-newsletter", "iss-spring-sale"] {
        let mine: Vec<_> = lines.iter().filter(|l| l["issue_id"] == id).collect();
        assert_eq!(mine.last().unwrap()["type"], "complete");
        assert_eq!(mine.last().unwrap()["status"], "sent");
        assert!(
            mine.iter()
                .any(|l| l["type"] == "progress" && l["total"].as_u64() > Some(0))
        );
    }
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_query_exits_2_naming_the_value_and_sends_nothing() {
    // A listener that would see any request.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    for (flag, value) in [
        ("--event-type", "bouncd"),
        ("--limit", "0"),
        ("--limit", "900000"),
        ("--start", "yesterday"),
        ("--sender", ""),
    ] {
        let mut cmd = misar_dash();
        cmd.env("MISAR_MAIL_KEY", "msk_x");
        let out = run(
            &mut cmd,
            &[
                "stream",
                "logs",
                "d.example",
                "--mail-url",
                &url,
                flag,
                value,
            ],
        )
        .await;
        assert_eq!(out.status.code(), Some(2), "{flag} {value}");
        let err = text(&out.stderr);
        let named = if value.is_empty() {
            "empty value".to_string()
        } else {
            format!("\"{value}\"")
        };
        assert!(err.contains(&named), "{flag}: {err}");
    }
    let mut cmd = misar_dash();
    cmd.env("MISAR_MAIL_KEY", "msk_x");
    let args = [
        "stream",
        "logs",
        "d.example",
        "--mail-url",
        &url,
        "--start",
        "2026-02-01T00:00:00Z",
        "--end",
        "2026-01-01T00:00:00Z",
    ];
    let out = run(&mut cmd, &args).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(stop_line(&out).contains("after"), "{}", text(&out.stderr));
    assert!(listener.accept().is_err(), "no request was sent");
}

/// `--event-type` takes the names the dashboard's table shows and a prefix
/// of one type; an ambiguous prefix is a usage error naming the candidates.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_type_takes_the_tables_short_names_and_rejects_an_ambiguous_prefix() {
    let sim = start_sim(sim_config()).await;
    for typed in ["permfail", "PERM", "permanent_fail"] {
        let out = run(
            &mut against(&sim),
            &["stream", "logs", "flaky.example.com", "--event-type", typed],
        )
        .await;
        assert_eq!(out.status.code(), Some(0), "{typed}: {}", text(&out.stderr));
        let records: Vec<serde_json::Value> = text(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .filter(|l: &serde_json::Value| l["type"] == "log")
            .collect();
        assert!(!records.is_empty(), "{typed}: some permanent failures");
        assert!(
            records.iter().all(|r| r["event_type"] == "permanent_fail"),
            "{typed}: only permanent failures"
        );
    }
    let out = run(
        &mut against(&sim),
        &["stream", "logs", "flaky.example.com", "--event-type", "de"],
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("\"de\"") && err.contains("delivered or deferred"),
        "{err}"
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_stop_reason_has_its_exit_code_and_one_line() {
    let sim = start_sim(sim_config()).await;
    let secret = "msk_wrong_0123456789abcdef";
    // Key refused (401), in both key transports; the key is in no output.
    for extra in [&[][..], &["--token-in-query"][..]] {
        let mut cmd = against(&sim);
        cmd.env("MISAR_MAIL_KEY", secret);
        let mut args = vec!["stream", "logs", "shop.example.com"];
        args.extend_from_slice(extra);
        let out = run(&mut cmd, &args).await;
        assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
        assert!(stop_line(&out).contains("401"));
        assert!(!text(&out.stderr).contains(secret) && !text(&out.stdout).contains(secret));
    }
    // Key refused on the WebSocket.
    let mut cmd = against(&sim);
    cmd.env("MISAR_MAIL_KEY", secret);
    let out = run(&mut cmd, &["stream", "inbox"]).await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(!text(&out.stderr).contains(secret));
    // No key at all.
    let mut cmd = against(&sim);
    cmd.env_remove("MISAR_BLOG_KEY");
    let out = run(&mut cmd, &["stream", "send-progress", "iss-spring-sale"]).await;
    assert_eq!(out.status.code(), Some(3));
    assert!(stop_line(&out).contains("MISAR_BLOG_KEY"));
    // Not found or not yours, on each API.
    let other_campaign = sim
        .catalog()
        .campaigns
        .into_iter()
        .find(|c| c.account == sim::Account::Other)
        .unwrap()
        .id;
    for args in [
        vec!["stream", "send-progress", "iss-acme-quarterly"],
        vec!["stream", "logs", "other.example.org"],
        vec!["stream", "campaign", other_campaign.as_str()],
    ] {
        let out = run(&mut against(&sim), &args).await;
        assert_eq!(
            out.status.code(),
            Some(4),
            "{args:?}: {}",
            text(&out.stderr)
        );
        stop_line(&out);
    }
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn giving_up_after_max_retries_exits_5() {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut cmd = misar_dash();
    cmd.env("MISAR_MAIL_KEY", "msk_x");
    let url = format!("http://127.0.0.1:{port}");
    let out = run(
        &mut cmd,
        &[
            "stream",
            "logs",
            "d.example",
            "--mail-url",
            &url,
            "--max-retries",
            "1",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(5), "{}", text(&out.stderr));
    assert!(stop_line(&out).contains("gave up after 2 attempts"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_in_process_simulator_needs_no_keys() {
    let out = run(
        &mut misar_dash(),
        &["stream", "send-progress", "iss-may-newsletter", "--sim"],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("\"type\":\"complete\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inbox_can_follow_the_campaigns_it_announces() {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let sim = start_sim(sim::SimConfig {
        speed: 300.0,
        ..sim_config()
    })
    .await;
    let mut child = against(&sim)
        .args(["stream", "inbox", "--follow-campaigns"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut announced, mut followed) = (None::<String>, false);
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    while let Ok(Ok(Some(line))) = tokio::time::timeout_at(deadline, lines.next_line()).await {
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        if v["type"] == "inbox" && v["event"] == "campaign_started" && announced.is_none() {
            announced = v["campaignId"].as_str().map(String::from);
        }
        if v["type"] == "campaign"
            && announced
                .as_deref()
                .is_some_and(|id| v["campaign_id"] == id)
        {
            followed = true;
            break;
        }
    }
    child.kill().await.ok();
    assert!(announced.is_some(), "a campaign_started arrived");
    assert!(followed, "its campaign channel was streamed");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timestamps_start_each_stderr_line_and_leave_stdout_alone() {
    // --token-in-query: a `misar-dash: warning` line before the stream's.
    let out = run(
        &mut misar_dash(),
        &[
            "stream",
            "send-progress",
            "iss-may-newsletter",
            "--sim",
            "--timestamps",
            "--token-in-query",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    let mut times = Vec::new();
    let mut rest = Vec::new();
    for line in err.lines() {
        let (time, after) = line.split_once(' ').expect("a time first");
        assert_eq!(time.len(), "2026-12-07T01:30:00.123Z".len(), "{line}");
        let time =
            chrono::DateTime::parse_from_rfc3339(time).unwrap_or_else(|e| panic!("{line}: {e}"));
        assert!(line.starts_with(&format!("{} ", time.format("%Y-%m-%dT%H:%M:%S%.3fZ"))));
        times.push(time);
        rest.push(after);
    }
    assert!(times.is_sorted(), "{err}");
    assert!(
        rest[0].starts_with("misar-dash: warning: --token-in-query"),
        "{err}"
    );
    assert!(rest.contains(&"issue iss-may-newsletter: live"), "{err}");
    // stdout is the same NDJSON as without the flag.
    let stdout = text(&out.stdout);
    assert!(!stdout.is_empty());
    for line in stdout.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        assert_eq!(v["issue_id"], "iss-may-newsletter");
    }
}
