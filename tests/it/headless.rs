//! The `stream` command as a script uses it: the real binary, its stdout,
//! stderr and exit code, against the simulator on 127.0.0.1.

use crate::support::*;
use misar_dash::sim;
use tokio::process::Command;

/// The binary pointed at `sim` with the demo keys.
fn against(sim: &sim::Sim) -> Command {
    misar_dash_against(&sim.endpoints())
}

/// The binary with `key` as its mail key and nothing else set.
fn with_mail_key(key: &str) -> Command {
    let mut cmd = misar_dash();
    cmd.env("MISAR_MAIL_KEY", key);
    cmd
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_print_one_line_per_record_then_the_completion() {
    let sim = start_sim(sim_config()).await;
    let want = domain_records(&sim, "flaky.example.com");
    let out = run(against(&sim), &["stream", "logs", "flaky.example.com"]).await;
    out.assert_exit(0);
    let lines = out.json_lines();
    assert_eq!(lines.len() as u64, want + 1);
    assert!(
        lines[..lines.len() - 1]
            .iter()
            .all(|l| l["type"] == "log" && l["domain"] == "flaky.example.com")
    );
    assert!(
        out.stdout.starts_with("{\"type\":\"log\""),
        "type comes first"
    );
    let last = lines.last().expect("a completion");
    assert_eq!(last["type"], "complete");
    assert_eq!(last["total"], want);
    // The first request got a 500: the state changes are on stderr.
    assert_contains(&out.stderr, &["reconnecting", "500"]);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_progress_ends_with_a_complete_line() {
    let sim = start_sim(sim_config()).await;
    let ids = ["iss-may-newsletter", "iss-spring-sale"];
    let out = run(against(&sim), &["stream", "send-progress", ids[0], ids[1]]).await;
    out.assert_exit(0);
    let lines = out.json_lines();
    for id in ids {
        let mine: Vec<_> = lines.iter().filter(|l| l["issue_id"] == id).collect();
        let last = mine.last().unwrap_or_else(|| panic!("no line of {id}"));
        assert_eq!(last["type"], "complete");
        assert_eq!(last["status"], "sent");
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
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    listener
        .set_nonblocking(true)
        .expect("a non-blocking listener");
    let url = format!("http://{}", listener.local_addr().expect("an address"));
    let logs = ["stream", "logs", "d.example", "--mail-url", &url];
    for (flag, value) in [
        ("--event-type", "bouncd"),
        ("--limit", "0"),
        ("--limit", "900000"),
        ("--start", "yesterday"),
        ("--sender", ""),
    ] {
        let out = run(
            with_mail_key("msk_x"),
            &[&logs[..], &[flag, value]].concat(),
        )
        .await;
        out.assert_exit(2);
        let named = if value.is_empty() {
            "empty value".to_string()
        } else {
            format!("\"{value}\"")
        };
        assert!(out.stderr.contains(&named), "{flag}: {}", out.stderr);
    }
    let range = [
        "--start",
        "2026-02-01T00:00:00Z",
        "--end",
        "2026-01-01T00:00:00Z",
    ];
    let out = run(with_mail_key("msk_x"), &[&logs[..], &range].concat()).await;
    out.assert_exit(2);
    assert!(out.stop_line().contains("after"), "{}", out.stderr);
    assert!(listener.accept().is_err(), "no request was sent");
}

/// `--event-type` takes the names the dashboard's table shows and a prefix
/// of one type; an ambiguous prefix is a usage error naming the candidates.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_type_takes_the_tables_short_names_and_rejects_an_ambiguous_prefix() {
    let sim = start_sim(sim_config()).await;
    let logs = ["stream", "logs", "flaky.example.com", "--event-type"];
    for typed in ["permfail", "PERM", "permanent_fail"] {
        let out = run(against(&sim), &[&logs[..], &[typed]].concat()).await;
        out.assert_exit(0);
        let records: Vec<serde_json::Value> = out
            .json_lines()
            .into_iter()
            .filter(|l| l["type"] == "log")
            .collect();
        assert!(!records.is_empty(), "{typed}: some permanent failures");
        assert!(
            records.iter().all(|r| r["event_type"] == "permanent_fail"),
            "{typed}: only permanent failures"
        );
    }
    let out = run(against(&sim), &[&logs[..], &["de"]].concat()).await;
    out.assert_exit(2);
    assert_contains(&out.stderr, &["\"de\"", "delivered or deferred"]);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_stop_reason_has_its_exit_code_and_one_line() {
    let sim = start_sim(sim_config()).await;
    let secret = "msk_wrong_0123456789abcdef";
    let refused = || {
        let mut cmd = against(&sim);
        cmd.env("MISAR_MAIL_KEY", secret);
        cmd
    };
    // Key refused (401), in both key transports; the key is in no output.
    for args in [
        &["stream", "logs", "shop.example.com"][..],
        &["stream", "logs", "shop.example.com", "--token-in-query"][..],
    ] {
        let out = run(refused(), args).await;
        out.assert_exit(3);
        assert!(out.stop_line().contains("401"));
        assert!(!out.stderr.contains(secret) && !out.stdout.contains(secret));
    }
    // Key refused on the WebSocket.
    let out = run(refused(), &["stream", "inbox"]).await;
    out.assert_exit(3);
    assert!(!out.stderr.contains(secret));
    // No key at all.
    let mut cmd = against(&sim);
    cmd.env_remove("MISAR_BLOG_KEY");
    let out = run(cmd, &["stream", "send-progress", "iss-spring-sale"]).await;
    out.assert_exit(3);
    assert!(out.stop_line().contains("MISAR_BLOG_KEY"));
    // Not found or not yours, on each API.
    let other_campaign = other_accounts_campaign(&sim);
    for args in [
        &["stream", "send-progress", "iss-acme-quarterly"][..],
        &["stream", "logs", "other.example.org"],
        &["stream", "campaign", other_campaign.as_str()],
    ] {
        let out = run(against(&sim), args).await;
        out.assert_exit(4);
        out.stop_line();
    }
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn giving_up_after_max_retries_exits_5() {
    let url = format!("http://{}", closed_addr());
    let args = [
        "stream",
        "logs",
        "d.example",
        "--mail-url",
        &url,
        "--max-retries",
        "1",
    ];
    let out = run(with_mail_key("msk_x"), &args).await;
    out.assert_exit(5);
    assert!(out.stop_line().contains("gave up after 2 attempts"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_in_process_simulator_needs_no_keys() {
    let args = ["stream", "send-progress", "iss-may-newsletter", "--sim"];
    let out = run(misar_dash(), &args).await;
    out.assert_exit(0);
    assert!(out.stdout.contains("\"type\":\"complete\""));
}

/// A line reader over one of a child's outputs.
type Lines = tokio::io::Lines<tokio::io::BufReader<Box<dyn tokio::io::AsyncRead + Unpin + Send>>>;

/// Spawns `cmd` with `args`, its stdout piped if `stdout` (else its
/// stderr; the other output is dropped), and reads that output's lines
/// until `enough` says so or 30 s pass. Returns the child, still running,
/// the reader, for what comes next, and the lines read.
async fn lines_until(
    mut cmd: Command,
    args: &[&str],
    stdout: bool,
    mut enough: impl FnMut(&str) -> bool,
) -> (tokio::process::Child, Lines, Vec<String>) {
    use std::process::Stdio;
    use tokio::io::AsyncBufReadExt;
    let (out, err) = if stdout {
        (Stdio::piped(), Stdio::null())
    } else {
        (Stdio::null(), Stdio::piped())
    };
    let mut child = cmd
        .args(args)
        .stdout(out)
        .stderr(err)
        .spawn()
        .expect("the binary runs");
    let read: Box<dyn tokio::io::AsyncRead + Unpin + Send> = if stdout {
        Box::new(child.stdout.take().expect("piped stdout"))
    } else {
        Box::new(child.stderr.take().expect("piped stderr"))
    };
    let mut lines = tokio::io::BufReader::new(read).lines();
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    while let Ok(Ok(Some(line))) = tokio::time::timeout_at(deadline, lines.next_line()).await {
        let done = enough(&line);
        seen.push(line);
        if done {
            break;
        }
    }
    (child, lines, seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inbox_can_follow_the_campaigns_it_announces() {
    let sim = start_sim(sim::SimConfig {
        speed: 300.0,
        ..sim_config()
    })
    .await;
    let (mut announced, mut followed) = (None::<String>, false);
    let args = ["stream", "inbox", "--follow-campaigns"];
    let (mut child, _, _) = lines_until(against(&sim), &args, true, |line| {
        let v: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        if v["type"] == "inbox" && v["event"] == "campaign_started" && announced.is_none() {
            announced = v["campaignId"].as_str().map(String::from);
        }
        followed = v["type"] == "campaign"
            && announced
                .as_deref()
                .is_some_and(|id| v["campaign_id"] == id);
        followed
    })
    .await;
    child.kill().await.ok();
    assert!(announced.is_some(), "a campaign_started arrived");
    assert!(followed, "its campaign channel was streamed");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timestamps_start_each_stderr_line_and_leave_stdout_alone() {
    // --token-in-query: a `misar-dash: warning` line before the stream's.
    let args = [
        "stream",
        "send-progress",
        "iss-may-newsletter",
        "--sim",
        "--timestamps",
        "--token-in-query",
    ];
    let out = run(misar_dash(), &args).await;
    out.assert_exit(0);
    let err = &out.stderr;
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
    let lines = out.json_lines();
    assert!(!lines.is_empty());
    for v in lines {
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
        let out = run(cmd, &["stream", "inbox"]).await;
        out.assert_exit(3);
        assert_contains(&out.stop_line(), &["key refused", code, "check the key"]);
        assert!(!out.stderr.contains(secret));
        sim.shutdown().await;
    }
    let server = Server::answering(|_, _| {
        "HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".into()
    })
    .await;
    let mut cmd = with_mail_key(secret);
    cmd.env("MISAR_MAIL_WS_URL", format!("ws://{}/mail/ws", server.addr));
    let out = run(cmd, &["stream", "inbox"]).await;
    out.assert_exit(3);
    assert_contains(&out.stop_line(), &["key refused", "HTTP 401"]);
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
    let shop = ["stream", "logs", "shop.example.com"];
    let complete = |out: &Ran| -> (Vec<serde_json::Value>, serde_json::Value) {
        out.assert_exit(0);
        let mut lines = out.json_lines();
        let last = lines.pop().expect("a complete line");
        assert_eq!(last["type"], "complete", "{last}");
        (lines, last)
    };
    for (flag, value, window) in [
        ("--sender", "marketing", &past[..]),
        ("--sender", "marketing", &live[..]),
        ("--recipient", "orange.fr", &past[..]),
    ] {
        let args = [&shop[..], &[flag, value], window].concat();
        let out = run(against(&sim), &args).await;
        let (records, last) = complete(&out);
        assert!(records.is_empty(), "{args:?}");
        assert_eq!(last["total"], 0, "{args:?}");
        let warnings = out.stderr_lines("misar-dash: warning:");
        assert_eq!(warnings.len(), 1, "{}", out.stderr);
        let said = format!("{flag} \"{value}\" is not a full address");
        assert!(warnings[0].contains(&said), "{}", out.stderr);
    }
    // The full address: no warning, and its records.
    let args = [
        &shop[..],
        &["--sender", "marketing@shop.example.com"],
        &past,
    ]
    .concat();
    let out = run(against(&sim), &args).await;
    let (records, last) = complete(&out);
    assert!(!records.is_empty());
    assert_eq!(last["total"], records.len());
    assert!(
        records
            .iter()
            .all(|r| r["sender"] == "marketing@shop.example.com")
    );
    assert!(!out.stderr.contains("warning"), "{}", out.stderr);
    sim.shutdown().await;
}

/// Ctrl-C (SIGINT from outside, as a terminal sends it to the foreground
/// job): exit 130, with the one line that says why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_exits_130_saying_interrupted() {
    let sim = start_sim(sim_config()).await;
    let (mut child, mut stderr, mut seen) =
        lines_until(against(&sim), &["stream", "inbox"], false, |line| {
            line == "inbox: live"
        })
        .await;
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
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    while let Ok(Ok(Some(line))) = tokio::time::timeout_at(deadline, stderr.next_line()).await {
        seen.push(line);
    }
    let status = tokio::time::timeout_at(deadline, child.wait())
        .await
        .expect("it ends")
        .expect("its status");
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
        against(&sim),
        &["stream", "send-progress", "iss-spring-sale"],
    )
    .await;
    out.assert_exit(0);
    let lines = out.json_lines();
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
    assert_eq!(selected[selected.len() - 1][0], "sent");
    // What the selection leaves out: the completion, which has no counts.
    assert_eq!(lines.len(), selected.len() + 1);
    assert_eq!(lines[lines.len() - 1]["type"], "complete");
    sim.shutdown().await;
}

/// Issue 16: the headless mode speaks the dashboard's filter language.
/// What the API can apply is sent (here `type:`), the rest (a partial
/// sender, an exclusion) is applied to each record as it arrives, and the
/// stream still completes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_take_the_dashboards_filter_since_and_until() {
    let sim = start_sim(sim_config()).await;
    let records = |out: &Ran| -> Vec<serde_json::Value> {
        out.stdout
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|v| v["type"] == "log")
            .collect()
    };
    let filter = "type:delivered,bounced from:marketing -tag:cart-recovery";
    let args = [
        "stream",
        "logs",
        "shop.example.com",
        "--limit",
        "2000",
        "--filter",
        filter,
    ];
    let out = run(against(&sim), &args).await;
    out.assert_exit(0);
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
    assert!(out.stdout.contains("\"type\":\"complete\""));

    // The test simulator's clock starts on a fixed past day: the demo's
    // (--sim) has records from the last ten minutes.
    let args = [
        "stream",
        "logs",
        "shop.example.com",
        "--since",
        "10m",
        "--until",
        "1m",
        "--sim",
    ];
    let out = run(misar_dash(), &args).await;
    out.assert_exit(0);
    let earliest = chrono::Utc::now() - chrono::Duration::minutes(11);
    let latest = chrono::Utc::now() - chrono::Duration::seconds(59);
    let got = records(&out);
    assert!(!got.is_empty());
    for r in &got {
        let stamp = r["timestamp"].as_str().unwrap_or_default();
        let at = chrono::DateTime::parse_from_rfc3339(stamp).unwrap_or_else(|e| panic!("{e}: {r}"));
        assert!(at >= earliest && at <= latest, "{r}");
    }

    for bad in [
        &["stream", "logs", "d.example", "--filter", "frm:x"][..],
        &["stream", "logs", "d.example", "--since", "yesterdayish"][..],
    ] {
        run(against(&sim), bad).await.assert_exit(2);
    }
}
