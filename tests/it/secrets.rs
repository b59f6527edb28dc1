//! No key in any output. The real binary is run through every path a key
//! could leak by (success and each error, both key transports, servers
//! that echo the request back, config and key files, help and version),
//! every byte of stdout and stderr is kept, and then all of it, and the
//! network log the runs wrote, is searched for every key used. `--token-in-query` must warn exactly once. Debug
//! output and panic messages of the option types are checked in-process.
//!
//! The simulator accepts only its demo keys, so the demo keys are the
//! secrets of the successful runs; the refused runs use keys of their own.
//! (`misar-dash sim` prints the demo keys on purpose and is not run here.)

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::Duration;

use crate::support::*;
use misar_dash::config::{ApiKey, ClientOptions, FileConfig};
use misar_dash::sim::{self, SimConfig};
use tokio::process::Command;

const WRONG_MAIL_KEY: &str = "msk_wrong_5f0e1d2c3b4a69788796a5b4c3d2e1f0";
const WRONG_BLOG_KEY: &str = "mbk_wrong_0a1b2c3d4e5f60718293a4b5c6d7e8f9";
/// A key a header cannot carry (a control character in it).
const BROKEN_KEY: &str = "msk_broken_77aa88bb99cc\u{1}x";

fn secrets() -> Vec<&'static str> {
    vec![
        sim::DEMO_BLOG_KEY,
        sim::DEMO_MAIL_KEY,
        sim::NOSCOPE_BLOG_KEY,
        WRONG_MAIL_KEY,
        WRONG_BLOG_KEY,
        BROKEN_KEY,
    ]
}

/// The distinctive middle of a key: a leak of part of it counts too.
fn fragment(key: &str) -> &str {
    let start = key.find('_').map_or(0, |i| i + 1);
    let start = key[start..].find('_').map_or(start, |i| start + i + 1);
    &key[start..(start + 12).min(key.len())]
}

fn against(endpoints: &misar_dash::config::Endpoints) -> Command {
    misar_dash_against(endpoints)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Every run's output, by what was run.
#[derive(Default)]
struct Transcript {
    runs: Vec<(String, Output)>,
    /// Given to every run as `--log-file`, and searched with the output.
    log_file: Option<PathBuf>,
}

impl Transcript {
    /// Every run writes the network log into `dir`.
    fn with_log(dir: &Path) -> Transcript {
        let _ = std::fs::remove_dir_all(dir);
        Transcript {
            log_file: Some(dir.join("net.log")),
            ..Transcript::default()
        }
    }

    fn log_to(&self, cmd: &mut Command) {
        if let Some(log) = &self.log_file {
            cmd.arg("--log-file").arg(log);
        }
    }

    /// Runs to the end (at most 60 s).
    async fn run(&mut self, what: &str, mut cmd: Command, args: &[&str]) -> Output {
        self.log_to(&mut cmd);
        let out = tokio::time::timeout(Duration::from_secs(60), cmd.args(args).output())
            .await
            .unwrap_or_else(|_| panic!("{what}: the command ends"))
            .unwrap_or_else(|e| panic!("{what}: the command runs: {e}"));
        self.runs.push((format!("{what}: {args:?}"), out.clone()));
        out
    }

    /// Runs for `for_`, calls `meanwhile` three times in the second half,
    /// then interrupts it.
    async fn run_for(
        &mut self,
        what: &str,
        mut cmd: Command,
        args: &[&str],
        for_: Duration,
        meanwhile: impl Fn(),
    ) -> Output {
        self.log_to(&mut cmd);
        let child = cmd
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the command runs");
        let pid = child.id().expect("a pid");
        // Read as it comes: a full pipe would stall the program.
        let output = tokio::spawn(child.wait_with_output());
        // Three times, late enough that a slow start has connected by one.
        tokio::time::sleep(for_ * 2 / 5).await;
        for _ in 0..3 {
            meanwhile();
            tokio::time::sleep(for_ / 5).await;
        }
        // SIGINT, as a person's Ctrl-C: the program ends on its own.
        let _ = std::process::Command::new("kill")
            .args(["-INT", &pid.to_string()])
            .status();
        let out = tokio::time::timeout(Duration::from_secs(20), output)
            .await
            .unwrap_or_else(|_| panic!("{what}: ends after SIGINT"))
            .expect("the reader")
            .expect("output");
        self.runs.push((format!("{what}: {args:?}"), out.clone()));
        out
    }

    fn assert_no_secret(&self) {
        let mut checked = 0;
        for (what, out) in &self.runs {
            for (stream, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
                let all = text(bytes);
                for key in secrets() {
                    assert!(
                        !all.contains(key) && !all.contains(fragment(key)),
                        "{what}: {stream} holds the key {key:?}:\n{all}"
                    );
                }
                checked += bytes.len();
            }
        }
        assert!(checked > 10_000, "too little output to mean anything");
        let Some(log) = &self.log_file else { return };
        // The current file and the rotated ones.
        let mut logged = String::new();
        for suffix in ["", ".1", ".2"] {
            let mut path = log.clone().into_os_string();
            path.push(suffix);
            logged.push_str(&std::fs::read_to_string(path).unwrap_or_default());
        }
        for key in secrets() {
            assert!(
                !logged.contains(key) && !logged.contains(fragment(key)),
                "the log holds the key {key:?}:\n{logged}"
            );
        }
        // Refusals, drops and give-ups, each with its reason.
        for said in ["key refused", "reconnecting", "gave up", "<redacted>"] {
            assert!(
                logged.contains(said),
                "the log never says {said:?}:\n{logged}"
            );
        }
    }
}

/// Answers every request with 401 and a body that quotes the request's
/// target and `Authorization` header: a server (or proxy) that echoes.
async fn echo_server() -> String {
    http_server(|head| {
        let target = head.split_whitespace().nth(1).unwrap_or("").to_string();
        let auth = header_value(head, "authorization").unwrap_or_default();
        let body = serde_json::json!({
            "error": format!("refused {auth} for {target}")
        })
        .to_string();
        format!(
            "HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
    })
    .await
}

fn write_private(path: &std::path::Path, text: &str, mode: u32) {
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn warnings(out: &Output) -> usize {
    text(&out.stderr)
        .matches("--token-in-query puts keys in URLs")
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_output_of_any_path_holds_a_key() {
    let sim = start_sim(SimConfig {
        speed: 200.0,
        ..sim_config()
    })
    .await;
    let ep = sim.endpoints();
    let log_dir =
        std::env::temp_dir().join(format!("misar-dash-secrets-log-{}", std::process::id()));
    let mut t = Transcript::with_log(&log_dir);
    let campaign = sim
        .catalog()
        .campaigns
        .into_iter()
        .filter(|c| c.account == sim::Account::Demo && c.start_secs <= 0.0)
        .min_by(|a, b| a.end_secs.total_cmp(&b.end_secs))
        .expect("a running campaign")
        .id;
    let other_campaign = sim
        .catalog()
        .campaigns
        .into_iter()
        .find(|c| c.account == sim::Account::Other)
        .expect("another account's campaign")
        .id;

    for tq in [false, true] {
        let flag: &[&str] = if tq { &["--token-in-query"] } else { &[] };
        let with = |args: &[&'static str]| -> Vec<&'static str> {
            let mut v = args.to_vec();
            v.extend_from_slice(flag);
            v
        };
        // Success, on every API.
        for args in [
            with(&["stream", "logs", "flaky.example.com", "--limit", "40"]),
            with(&["stream", "logs", "hostile.example.com"]),
            with(&["stream", "send-progress", "iss-may-newsletter", "iss-flaky"]),
        ] {
            let out = t.run("success", against(&ep), &args).await;
            assert_eq!(
                out.status.code(),
                Some(0),
                "{args:?}: {}",
                text(&out.stderr)
            );
            assert_eq!(warnings(&out), usize::from(tq), "{args:?}");
        }
        let mut args = with(&["stream", "campaign"]);
        args.push(campaign.as_str());
        let out = t.run("success", against(&ep), &args).await;
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        // The inbox runs until interrupted; the connection drops halfway.
        let out = t
            .run_for(
                "inbox, dropped",
                against(&ep),
                &with(&["stream", "inbox", "--follow-campaigns"]),
                Duration::from_millis(3000),
                || sim.drop_connections(),
            )
            .await;
        assert!(text(&out.stdout).contains("\"type\":\"inbox\""));
        assert!(
            text(&out.stderr).contains("reconnecting"),
            "{}",
            text(&out.stderr)
        );
        assert_eq!(warnings(&out), usize::from(tq));
        let out = t
            .run_for(
                "live logs, dropped",
                against(&ep),
                &with(&["stream", "logs", "shop.example.com", "--limit", "400000"]),
                Duration::from_millis(3000),
                || sim.drop_connections(),
            )
            .await;
        assert!(
            text(&out.stderr).contains("reconnecting"),
            "{}",
            text(&out.stderr)
        );

        // 401: a wrong key on each API.
        for (var, key, args) in [
            (
                "MISAR_MAIL_KEY",
                WRONG_MAIL_KEY,
                with(&["stream", "logs", "shop.example.com"]),
            ),
            ("MISAR_MAIL_KEY", WRONG_MAIL_KEY, with(&["stream", "inbox"])),
            (
                "MISAR_BLOG_KEY",
                WRONG_BLOG_KEY,
                with(&["stream", "send-progress", "iss-spring-sale"]),
            ),
            (
                "MISAR_MAIL_KEY",
                BROKEN_KEY,
                with(&["stream", "logs", "shop.example.com", "--max-retries", "0"]),
            ),
            (
                "MISAR_MAIL_KEY",
                BROKEN_KEY,
                with(&["stream", "inbox", "--max-retries", "0"]),
            ),
        ] {
            let mut cmd = against(&ep);
            cmd.env(var, key);
            let out = t.run("refused key", cmd, &args).await;
            assert_ne!(out.status.code(), Some(0), "{args:?}");
        }
        // 403: a key without read scope; another account's campaign.
        let mut cmd = against(&ep);
        cmd.env("MISAR_BLOG_KEY", sim::NOSCOPE_BLOG_KEY);
        let out = t
            .run(
                "403",
                cmd,
                &with(&["stream", "send-progress", "iss-spring-sale"]),
            )
            .await;
        assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
        let mut args = with(&["stream", "campaign"]);
        args.push(other_campaign.as_str());
        let out = t.run("403", against(&ep), &args).await;
        assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
        // 404 on each SSE API.
        for args in [
            with(&["stream", "logs", "nosuch.example.com"]),
            with(&["stream", "send-progress", "iss-nosuch"]),
        ] {
            let out = t.run("404", against(&ep), &args).await;
            assert_eq!(
                out.status.code(),
                Some(4),
                "{args:?}: {}",
                text(&out.stderr)
            );
        }
        // Bad queries and a bad base URL.
        for args in [
            with(&[
                "stream",
                "logs",
                "d.example",
                "--start",
                "2026-02-01T00:00:00Z",
                "--end",
                "2026-01-01T00:00:00Z",
            ]),
            with(&["stream", "logs", "d.example", "--event-type", "bouncd"]),
            with(&["stream", "logs", "d.example", "--limit", "0"]),
        ] {
            let out = t.run("bad query", against(&ep), &args).await;
            assert_eq!(out.status.code(), Some(2), "{args:?}");
        }
        let mut cmd = against(&ep);
        cmd.env("MISAR_MAIL_URL", "not a url")
            .env("MISAR_MAIL_WS_URL", "ws://[::1");
        t.run("bad URL", cmd, &with(&["stream", "logs", "d.example"]))
            .await;
        let mut cmd = against(&ep);
        cmd.env("MISAR_MAIL_WS_URL", "ws://[::1");
        t.run("bad URL", cmd, &with(&["stream", "inbox"])).await;

        // Servers that quote the request (URL with ?token=, the
        // Authorization header) in their error.
        let echo = echo_server().await;
        let mut cmd = against(&ep);
        cmd.env("MISAR_MAIL_URL", format!("http://{echo}/mail"))
            .env("MISAR_MAIL_WS_URL", format!("ws://{echo}/mail/ws"))
            .env("MISAR_BLOG_URL", format!("http://{echo}/blog"));
        let out = t
            .run(
                "echoing server",
                cmd,
                &with(&["stream", "logs", "d.example"]),
            )
            .await;
        assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
        let err = text(&out.stderr);
        assert!(
            err.contains("refused") && err.contains("<redacted>"),
            "{err}"
        );
        let mut cmd = against(&ep);
        cmd.env("MISAR_MAIL_WS_URL", format!("ws://{echo}/mail/ws"));
        let out = t
            .run("echoing server", cmd, &with(&["stream", "inbox"]))
            .await;
        assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
        assert!(
            text(&out.stderr).contains("<redacted>"),
            "{}",
            text(&out.stderr)
        );
        let mut cmd = against(&ep);
        cmd.env("MISAR_BLOG_URL", format!("http://{echo}/blog"));
        t.run(
            "echoing server",
            cmd,
            &with(&["stream", "send-progress", "iss-x"]),
        )
        .await;
    }

    // Nothing listens: connect errors, then giving up, with the key in the
    // URL.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    for args in [
        vec![
            "stream",
            "logs",
            "d.example",
            "--max-retries",
            "1",
            "--token-in-query",
        ],
        vec!["stream", "inbox", "--max-retries", "1", "--token-in-query"],
        vec![
            "stream",
            "send-progress",
            "iss-x",
            "--max-retries",
            "1",
            "--token-in-query",
        ],
    ] {
        let mut cmd = against(&ep);
        cmd.env("MISAR_MAIL_URL", format!("http://{dead}/mail"))
            .env("MISAR_MAIL_WS_URL", format!("ws://{dead}/mail/ws"))
            .env("MISAR_BLOG_URL", format!("http://{dead}/blog"));
        let out = t.run("nothing listens", cmd, &args).await;
        assert_eq!(
            out.status.code(),
            Some(5),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert_eq!(warnings(&out), 1);
    }

    // Keys from a config file and a key file: used, never shown; refused
    // with the fix when others can read them; a mistyped line not echoed.
    let dir = std::env::temp_dir().join(format!("misar-dash-secrets-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("config.toml");
    let keys = dir.join("keys.env");
    write_private(
        &config,
        &format!(
            "mail_key = \"{}\"\nblog_key = \"{}\"\n",
            sim::DEMO_MAIL_KEY,
            sim::DEMO_BLOG_KEY
        ),
        0o600,
    );
    let from_file = |config: &std::path::Path| {
        let mut cmd = against(&ep);
        cmd.env_remove("MISAR_MAIL_KEY")
            .env_remove("MISAR_BLOG_KEY")
            .env("MISAR_DASH_CONFIG", config);
        cmd
    };
    let out = t
        .run(
            "config file keys",
            from_file(&config),
            &["stream", "logs", "flaky.example.com", "--limit", "5"],
        )
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o644)).unwrap();
    for args in [
        &["stream", "inbox"][..],
        &[][..],
        &["--domain", "shop.example.com"][..],
    ] {
        let out = t.run("readable config", from_file(&config), args).await;
        assert_ne!(out.status.code(), Some(0));
        assert!(
            text(&out.stderr).contains("chmod 600"),
            "{}",
            text(&out.stderr)
        );
    }
    write_private(
        &config,
        &format!("key_file = \"{}\"\n", keys.display()),
        0o600,
    );
    write_private(
        &keys,
        &format!("MISAR_MAIL_KEY={}\n", sim::DEMO_MAIL_KEY),
        0o600,
    );
    let out = t
        .run(
            "key file",
            from_file(&config),
            &["stream", "logs", "flaky.example.com", "--limit", "5"],
        )
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    std::fs::set_permissions(&keys, std::fs::Permissions::from_mode(0o640)).unwrap();
    let out = t
        .run(
            "readable key file",
            from_file(&config),
            &["stream", "inbox"],
        )
        .await;
    assert!(
        text(&out.stderr).contains("chmod 600"),
        "{}",
        text(&out.stderr)
    );
    write_private(
        &keys,
        &format!("MISAR_MAIL_KYE={}\n", sim::DEMO_MAIL_KEY),
        0o600,
    );
    let out = t
        .run(
            "mistyped key file",
            from_file(&config),
            &["stream", "inbox"],
        )
        .await;
    assert_ne!(out.status.code(), Some(0));
    // The dashboard without a terminal fails before drawing anything.
    t.run(
        "dashboard without a terminal",
        against(&ep),
        &["--domain", "shop.example.com"],
    )
    .await;
    std::fs::remove_dir_all(&dir).ok();

    // Keys are not flags: a key given as one is refused, and not echoed.
    for flag in ["--mail-key", "--blog-key", "--key", "--token"] {
        let out = t
            .run(
                "key as a flag",
                against(&ep),
                &["stream", "inbox", flag, WRONG_MAIL_KEY],
            )
            .await;
        assert_eq!(out.status.code(), Some(2), "{flag}: {}", text(&out.stderr));
    }

    // Help, version, config path.
    for args in [
        &["--help"][..],
        &["--version"],
        &["stream", "--help"],
        &["stream", "logs", "--help"],
        &["config", "path"],
        &["sim", "--help"],
    ] {
        t.run("help", against(&ep), args).await;
    }

    t.assert_no_secret();
    std::fs::remove_dir_all(&log_dir).ok();
    sim.shutdown().await;
}

/// Every line of headless output is safe to print on a terminal: stdout is
/// JSON with the dangerous characters escaped (and the data intact), and
/// stderr lines are cleaned, even when they quote a campaign id that the
/// hostile inbox announced.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headless_output_is_safe_for_a_terminal() {
    let cfg = SimConfig {
        ws_hostile: true,
        ..sim_config()
    };
    let epoch = cfg.epoch.map(|t| t.timestamp_millis()).unwrap_or_default();
    let sim = start_sim(cfg).await;
    let ep = sim.endpoints();
    let mut t = Transcript::default();
    let logs = t
        .run(
            "hostile logs",
            against(&ep),
            &["stream", "logs", sim::hostile::DOMAIN],
        )
        .await;
    assert_eq!(logs.status.code(), Some(0), "{}", text(&logs.stderr));
    let inbox = t
        .run_for(
            "hostile inbox",
            against(&ep),
            &["stream", "inbox", "--follow-campaigns"],
            Duration::from_millis(2000),
            || {},
        )
        .await;
    for out in [&logs, &inbox] {
        for (name, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
            let all = text(bytes);
            let bad: Vec<char> = all
                .chars()
                .filter(|&c| {
                    c != '\n' && misar_dash::sanitize::clean(&c.to_string()) != c.to_string()
                })
                .collect();
            assert!(bad.is_empty(), "{name} holds {bad:?}:\n{all}");
        }
    }
    // The data survives: each line parses, and the records are the fixture's.
    let expected = sim::hostile::expected_logs(epoch);
    let lines: Vec<serde_json::Value> = text(&logs.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    let subjects: Vec<&str> = lines.iter().filter_map(|l| l["subject"].as_str()).collect();
    let want: Vec<&str> = expected
        .records
        .iter()
        .map(|r| r.subject.as_str())
        .collect();
    assert_eq!(subjects, want);
    let err = text(&logs.stderr);
    assert_eq!(
        err.matches(": skipped: ").count(),
        expected.malformed(),
        "{err}"
    );
    // The inbox announced a campaign whose id holds an OSC; following it
    // was refused, and the refusal is on stderr without the escape.
    let err = text(&inbox.stderr);
    assert!(err.contains("campaign cmp-hostile"), "{err}");
    assert!(
        text(&inbox.stdout).contains("\\u001b]0;PWNED"),
        "escaped, not dropped"
    );
    sim.shutdown().await;
}

#[test]
fn debug_and_panic_messages_hold_no_key() {
    let opts = ClientOptions {
        blog_key: Some(ApiKey::new(sim::DEMO_BLOG_KEY)),
        mail_key: Some(ApiKey::new(sim::DEMO_MAIL_KEY)),
        ..ClientOptions::default()
    };
    let file = FileConfig {
        blog_key: Some(sim::DEMO_BLOG_KEY.into()),
        mail_key: Some(sim::DEMO_MAIL_KEY.into()),
        ..FileConfig::default()
    };
    let shown = [
        format!("{opts:?}"),
        format!("{opts:#?}"),
        format!("{file:?}"),
        format!("{file:#?}"),
        format!("{:?} {}", opts.mail_key, opts.mail_key.as_ref().unwrap()),
    ];
    for s in &shown {
        for key in secrets() {
            assert!(!s.contains(key) && !s.contains(fragment(key)), "{s}");
        }
    }
    assert!(shown[2].contains("<redacted>"), "{}", shown[2]);
    let panic = std::panic::catch_unwind(|| panic!("options were {opts:?} and {file:?}"))
        .expect_err("it panicked");
    let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(message.contains("options were"));
    for key in secrets() {
        assert!(!message.contains(key), "{message}");
    }
}
