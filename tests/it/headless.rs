//! The `stream` command as a script uses it: the real binary, its stdout,
//! stderr and exit code, against the simulator on 127.0.0.1.

use std::process::Output;

use crate::support::*;
use misar_dash::sim;
use tokio::process::Command;

/// The binary pointed at `sim` with the demo keys.
fn against(sim: &sim::Sim) -> Command {
    misar_dash_against(&sim.endpoints())
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

/// A refused mail key exits 3 with the key message however the refusal
/// comes: 403 before the handshake (the vendor's, and the simulator's),
/// close code 4401 after it, or 401 from a server that answers as the SSE
/// APIs do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_mail_key_exits_3_on_403_4401_and_401() {
    let secret = "msk_wrong_0123456789abcdef";
    for (refusal, code) in [
        (sim::WsRefusal::HttpStatus, "HTTP 403"),
        (sim::WsRefusal::CloseCode, "4401"),
    ] {
        let sim = start_sim(sim::SimConfig {
            ws_refusal: refusal,
            ..sim_config()
        })
        .await;
        let mut cmd = against(&sim);
        cmd.env("MISAR_MAIL_KEY", secret);
        let out = run(&mut cmd, &["stream", "inbox"]).await;
        assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
        let line = stop_line(&out);
        assert!(
            line.contains("key refused") && line.contains(code),
            "{line}"
        );
        assert!(line.contains("check the key"), "{line}");
        assert!(!text(&out.stderr).contains(secret));
        sim.shutdown().await;
    }
    let addr = http_server(|_| {
        "HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".into()
    })
    .await;
    let mut cmd = misar_dash();
    cmd.env("MISAR_MAIL_KEY", secret)
        .env("MISAR_MAIL_WS_URL", format!("ws://{addr}/mail/ws"));
    let out = run(&mut cmd, &["stream", "inbox"]).await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let line = stop_line(&out);
    assert!(
        line.contains("key refused") && line.contains("HTTP 401"),
        "{line}"
    );
}

/// The domain-log doc matches sender and recipient exactly (only subject
/// and tags are "(partial match)"): a fragment matches nothing, and the
/// user is told so. Each stream the server completes still ends with its
/// `complete` line and exit 0, past ranges and a live domain's range alike.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partial_sender_is_warned_about_and_the_stream_still_completes() {
    let sim = start_sim(sim_config()).await;
    // sim_config's epoch is 09:00: the first window is all past, the second
    // ends 20 simulated seconds into the live stream.
    let past = [
        "--start",
        "2026-11-23T08:00:00Z",
        "--end",
        "2026-11-23T08:30:00Z",
    ];
    let live = ["--end", "2026-11-23T09:00:20Z"];
    let complete = |out: &Output| -> (Vec<serde_json::Value>, serde_json::Value) {
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let mut lines: Vec<serde_json::Value> = text(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect();
        let last = lines.pop().expect("a complete line");
        assert_eq!(last["type"], "complete", "{last}");
        (lines, last)
    };
    for (flag, value, window) in [
        ("--sender", "marketing", &past[..]),
        ("--sender", "marketing", &live[..]),
        ("--recipient", "orange.fr", &past[..]),
    ] {
        let mut args = vec!["stream", "logs", "shop.example.com", flag, value];
        args.extend_from_slice(window);
        let out = run(&mut against(&sim), &args).await;
        let (records, last) = complete(&out);
        assert!(records.is_empty(), "{args:?}");
        assert_eq!(last["total"], 0, "{args:?}");
        let err = text(&out.stderr);
        let warnings: Vec<&str> = err
            .lines()
            .filter(|l| l.starts_with("misar-dash: warning:"))
            .collect();
        assert_eq!(warnings.len(), 1, "{err}");
        assert!(
            warnings[0].contains(&format!("{flag} \"{value}\" is not a full address")),
            "{err}"
        );
    }
    // The full address: no warning, and its records.
    let mut args = vec![
        "stream",
        "logs",
        "shop.example.com",
        "--sender",
        "marketing@shop.example.com",
    ];
    args.extend_from_slice(&past);
    let out = run(&mut against(&sim), &args).await;
    let (records, last) = complete(&out);
    assert!(!records.is_empty());
    assert_eq!(last["total"], records.len());
    assert!(
        records
            .iter()
            .all(|r| r["sender"] == "marketing@shop.example.com")
    );
    assert!(
        !text(&out.stderr).contains("warning"),
        "{}",
        text(&out.stderr)
    );
    sim.shutdown().await;
}

/// Ctrl-C (SIGINT from outside, as a terminal sends it to the foreground
/// job): exit 130, with the one line that says why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_exits_130_saying_interrupted() {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let sim = start_sim(sim_config()).await;
    let mut child = against(&sim)
        .args(["stream", "inbox"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    while let Ok(Ok(Some(line))) = tokio::time::timeout_at(deadline, stderr.next_line()).await {
        let live = line == "inbox: live";
        seen.push(line);
        if live {
            break;
        }
    }
    assert_eq!(
        seen.last().map(String::as_str),
        Some("inbox: live"),
        "{seen:?}"
    );
    let pid = child.id().expect("still running").to_string();
    let killed = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    while let Ok(Ok(Some(line))) = tokio::time::timeout_at(deadline, stderr.next_line()).await {
        seen.push(line);
    }
    let status = tokio::time::timeout_at(deadline, child.wait())
        .await
        .expect("it ends")
        .unwrap();
    assert_eq!(status.code(), Some(130), "{seen:?}");
    let reasons: Vec<&String> = seen
        .iter()
        .filter(|l| l.starts_with("misar-dash"))
        .collect();
    assert_eq!(reasons, ["misar-dash: interrupted"], "{seen:?}");
    sim.shutdown().await;
}

/// README's `jq` example, with jq's selection done here: every line it
/// selects has a status, a sent count and a total (the `complete` line,
/// which has no counts, is not selected). The stream runs against a fast
/// simulator; `--sim` would run it at demo pace.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_jq_example_selects_lines_with_its_fields() {
    const EXAMPLE: &str = "misar-dash stream send-progress iss-spring-sale --sim \
        | jq -c 'select(.type==\"progress\") | [.status, .sent, .total]'";
    let readme = include_str!("../../README.md");
    assert!(readme.contains(EXAMPLE), "README's example changed");
    let sim = start_sim(sim_config()).await;
    let out = run(
        &mut against(&sim),
        &["stream", "send-progress", "iss-spring-sale"],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let lines: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    let selected: Vec<[&serde_json::Value; 3]> = lines
        .iter()
        .filter(|l| l["type"] == "progress")
        .map(|l| [&l["status"], &l["sent"], &l["total"]])
        .collect();
    assert!(!selected.is_empty());
    for [status, sent, total] in &selected {
        assert!(status.is_string(), "{status}");
        assert!(sent.is_u64() && total.is_u64(), "{sent} {total}");
    }
    assert_eq!(selected.last().unwrap()[0], "sent");
    // What the selection leaves out: the completion, which has no counts.
    assert_eq!(lines.len(), selected.len() + 1);
    assert_eq!(lines.last().unwrap()["type"], "complete");
    sim.shutdown().await;
}

/// Issue 16: the headless mode speaks the dashboard's filter language.
/// What the API can apply is sent (here `type:`), the rest (a partial
/// sender, an exclusion) is applied to each record as it arrives, and the
/// stream still completes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_take_the_dashboards_filter_since_and_until() {
    let sim = start_sim(sim_config()).await;
    let records = |out: &Output| -> Vec<serde_json::Value> {
        text(&out.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|v| v["type"] == "log")
            .collect()
    };
    let args = [
        "stream",
        "logs",
        "shop.example.com",
        "--limit",
        "2000",
        "--filter",
        "type:delivered,bounced from:marketing -tag:cart-recovery",
    ];
    let out = run(&mut against(&sim), &args).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let got = records(&out);
    assert!(!got.is_empty(), "some records match");
    for r in &got {
        let kind = r["event_type"].as_str().unwrap_or_default();
        assert!(kind == "delivered" || kind == "bounced", "{r}");
        assert!(
            r["sender"]
                .as_str()
                .unwrap_or_default()
                .contains("marketing"),
            "{r}"
        );
        let tags = r["tags"].as_array().cloned().unwrap_or_default();
        assert!(!tags.iter().any(|t| t == "cart-recovery"), "{r}");
    }
    assert!(text(&out.stdout).contains("\"type\":\"complete\""));

    // The test simulator's clock starts on a fixed past day: the demo's
    // (--sim) has records from the last ten minutes.
    let out = run(
        &mut misar_dash(),
        &[
            "stream",
            "logs",
            "shop.example.com",
            "--since",
            "10m",
            "--until",
            "1m",
            "--sim",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let earliest = chrono::Utc::now() - chrono::Duration::minutes(11);
    let latest = chrono::Utc::now() - chrono::Duration::seconds(59);
    let got = records(&out);
    assert!(!got.is_empty());
    for r in &got {
        let at = chrono::DateTime::parse_from_rfc3339(r["timestamp"].as_str().unwrap()).unwrap();
        assert!(at >= earliest && at <= latest, "{r}");
    }

    for bad in [
        &["stream", "logs", "d.example", "--filter", "frm:x"][..],
        &["stream", "logs", "d.example", "--since", "yesterdayish"][..],
    ] {
        let out = run(&mut against(&sim), bad).await;
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
    }
}
