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
use std::process::Stdio;
use std::time::Duration;

use crate::support::*;
use misar_dash::config::FileConfig;
use misar_dash::sim::{self, SimConfig};
use misar_dash::upstream::options::{ApiKey, ClientOptions};
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

/// `text` holds no key, nor the distinctive middle of one.
#[track_caller]
fn assert_no_key(what: &str, text: &str) {
    for key in secrets() {
        assert!(
            !text.contains(key) && !text.contains(fragment(key)),
            "{what} holds the key {key:?}:\n{text}"
        );
    }
}

fn against(endpoints: &misar_dash::model::endpoints::Endpoints) -> Command {
    misar_dash_against(endpoints)
}

/// Every run's output, by what was run.
#[derive(Default)]
struct Transcript {
    runs: Vec<(String, Ran)>,
    /// Holds the network log every run is given as `--log-file`, searched
    /// with the output.
    log_dir: Option<TempDir>,
}

impl Transcript {
    /// Every run writes the network log into a temp dir named `name`.
    fn with_log(name: &str) -> Transcript {
        Transcript {
            log_dir: Some(TempDir::new(name)),
            ..Transcript::default()
        }
    }

    fn log_to(&self, cmd: &mut Command) {
        if let Some(dir) = &self.log_dir {
            cmd.arg("--log-file").arg(dir.join("net.log"));
        }
    }

    /// Runs to the end (at most 60 s).
    async fn run(&mut self, what: &str, mut cmd: Command, args: &[&str]) -> Ran {
        self.log_to(&mut cmd);
        let out = run(cmd, args).await;
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
    ) -> Ran {
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
        let out = Ran::new(args, out);
        self.runs.push((format!("{what}: {args:?}"), out.clone()));
        out
    }

    fn assert_no_secret(&self) {
        let mut checked = 0;
        for (what, out) in &self.runs {
            for (stream, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
                assert_no_key(&format!("{what}: {stream}"), text);
                checked += text.len();
            }
        }
        assert!(checked > 10_000, "too little output to mean anything");
        let Some(dir) = &self.log_dir else { return };
        // The current file and the rotated ones.
        let mut logged = String::new();
        for name in ["net.log", "net.log.1", "net.log.2"] {
            logged.push_str(&std::fs::read_to_string(dir.join(name)).unwrap_or_default());
        }
        assert_no_key("the log", &logged);
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
async fn echo_server() -> Server {
    Server::answering(|_, hit| {
        let target = hit.head.split_whitespace().nth(1).unwrap_or("");
        let auth = hit.header("authorization").unwrap_or_default();
        let body = serde_json::json!({
            "error": format!("refused {auth} for {target}")
        })
        .to_string();
        answer("401 Unauthorized", "application/json", &body)
    })
    .await
}

fn write_private(path: &std::path::Path, text: &str, mode: u32) {
    std::fs::write(path, text).expect("write a private file");
    set_mode(path, mode);
}

fn set_mode(path: &std::path::Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

fn warnings(out: &Ran) -> usize {
    out.stderr
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
    let mut t = Transcript::with_log("secrets-log");
    let campaign = soonest_ending_campaign(&sim);
    let other_campaign = other_accounts_campaign(&sim);
    // Servers that quote the request (URL with ?token=, the Authorization
    // header) in their error.
    let echo = echo_server().await;
    // Nothing listens there: connect errors, then giving up.
    let dead = closed_addr();
    let pointed_at = |addr: std::net::SocketAddr| {
        let mut cmd = against(&ep);
        cmd.env("MISAR_MAIL_URL", format!("http://{addr}/mail"))
            .env("MISAR_MAIL_WS_URL", format!("ws://{addr}/mail/ws"))
            .env("MISAR_BLOG_URL", format!("http://{addr}/blog"));
        cmd
    };
    let with_env = |vars: &[(&str, &str)]| {
        let mut cmd = against(&ep);
        cmd.envs(vars.iter().copied());
        cmd
    };

    for tq in [false, true] {
        let flag: &[&str] = if tq { &["--token-in-query"] } else { &[] };
        let with = |args: &[&'static str]| -> Vec<&'static str> { [args, flag].concat() };
        // Success, on every API.
        for args in [
            with(&["stream", "logs", "flaky.example.com", "--limit", "40"]),
            with(&["stream", "logs", "hostile.example.com"]),
            with(&["stream", "send-progress", "iss-may-newsletter", "iss-flaky"]),
            [&with(&["stream", "campaign"])[..], &[campaign.as_str()]].concat(),
        ] {
            let out = t.run("success", against(&ep), &args).await;
            out.assert_exit(0);
            assert_eq!(warnings(&out), usize::from(tq), "{args:?}");
        }
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
        assert!(out.stdout.contains("\"type\":\"inbox\""));
        assert_contains(&out.stderr, &["reconnecting"]);
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
        assert_contains(&out.stderr, &["reconnecting"]);

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
            let out = t.run("refused key", with_env(&[(var, key)]), &args).await;
            out.assert_fails();
        }
        // 403: a key without read scope; another account's campaign. 404 on
        // each SSE API.
        let noscope = with_env(&[("MISAR_BLOG_KEY", sim::NOSCOPE_BLOG_KEY)]);
        for (what, cmd, args, code) in [
            (
                "403",
                noscope,
                with(&["stream", "send-progress", "iss-spring-sale"]),
                3,
            ),
            (
                "403",
                against(&ep),
                [
                    &with(&["stream", "campaign"])[..],
                    &[other_campaign.as_str()],
                ]
                .concat(),
                4,
            ),
            (
                "404",
                against(&ep),
                with(&["stream", "logs", "nosuch.example.com"]),
                4,
            ),
            (
                "404",
                against(&ep),
                with(&["stream", "send-progress", "iss-nosuch"]),
                4,
            ),
        ] {
            t.run(what, cmd, &args).await.assert_exit(code);
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
            t.run("bad query", against(&ep), &args).await.assert_exit(2);
        }
        let bad_urls = [
            ("MISAR_MAIL_URL", "not a url"),
            ("MISAR_MAIL_WS_URL", "ws://[::1"),
        ];
        t.run(
            "bad URL",
            with_env(&bad_urls),
            &with(&["stream", "logs", "d.example"]),
        )
        .await;
        t.run(
            "bad URL",
            with_env(&bad_urls[1..]),
            &with(&["stream", "inbox"]),
        )
        .await;

        let out = t
            .run(
                "echoing server",
                pointed_at(echo.addr),
                &with(&["stream", "logs", "d.example"]),
            )
            .await;
        out.assert_exit(3);
        assert_contains(&out.stderr, &["refused", "<redacted>"]);
        let ws = format!("ws://{}/mail/ws", echo.addr);
        let out = t
            .run(
                "echoing server",
                with_env(&[("MISAR_MAIL_WS_URL", ws.as_str())]),
                &with(&["stream", "inbox"]),
            )
            .await;
        out.assert_exit(3);
        assert_contains(&out.stderr, &["<redacted>"]);
        let blog = format!("http://{}/blog", echo.addr);
        let args = with(&["stream", "send-progress", "iss-x"]);
        t.run(
            "echoing server",
            with_env(&[("MISAR_BLOG_URL", blog.as_str())]),
            &args,
        )
        .await;
    }

    // Nothing listens: connect errors, then giving up, with the key in the
    // URL.
    for args in [
        &["stream", "logs", "d.example"][..],
        &["stream", "inbox"],
        &["stream", "send-progress", "iss-x"],
    ] {
        let args = [args, &["--max-retries", "1", "--token-in-query"]].concat();
        let out = t.run("nothing listens", pointed_at(dead), &args).await;
        out.assert_exit(5);
        assert_eq!(warnings(&out), 1);
    }

    // Keys from a config file and a key file: used, never shown; refused
    // with the fix when others can read them; a mistyped line not echoed.
    let dir = TempDir::new("secrets");
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
    let from_file = || {
        let mut cmd = against(&ep);
        cmd.env_remove("MISAR_MAIL_KEY")
            .env_remove("MISAR_BLOG_KEY")
            .env("MISAR_DASH_CONFIG", &config);
        cmd
    };
    let five = ["stream", "logs", "flaky.example.com", "--limit", "5"];
    t.run("config file keys", from_file(), &five)
        .await
        .assert_exit(0);
    set_mode(&config, 0o644);
    for args in [
        &["stream", "inbox"][..],
        &[][..],
        &["--domain", "shop.example.com"][..],
    ] {
        let out = t.run("readable config", from_file(), args).await;
        out.assert_fails();
        assert_contains(&out.stderr, &["chmod 600"]);
    }
    write_private(
        &config,
        &format!("key_file = \"{}\"\n", keys.display()),
        0o600,
    );
    let key_line = |name: &str| format!("{name}={}\n", sim::DEMO_MAIL_KEY);
    write_private(&keys, &key_line("MISAR_MAIL_KEY"), 0o600);
    t.run("key file", from_file(), &five).await.assert_exit(0);
    set_mode(&keys, 0o640);
    let out = t
        .run("readable key file", from_file(), &["stream", "inbox"])
        .await;
    assert_contains(&out.stderr, &["chmod 600"]);
    write_private(&keys, &key_line("MISAR_MAIL_KYE"), 0o600);
    let out = t
        .run("mistyped key file", from_file(), &["stream", "inbox"])
        .await;
    out.assert_fails();
    // The dashboard without a terminal fails before drawing anything.
    t.run(
        "dashboard without a terminal",
        against(&ep),
        &["--domain", "shop.example.com"],
    )
    .await;

    // Keys are not flags: a key given as one is refused, and not echoed.
    for flag in ["--mail-key", "--blog-key", "--key", "--token"] {
        let args = ["stream", "inbox", flag, WRONG_MAIL_KEY];
        t.run("key as a flag", against(&ep), &args)
            .await
            .assert_exit(2);
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
    logs.assert_exit(0);
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
        assert_terminal_safe("stdout", &out.stdout);
        assert_terminal_safe("stderr", &out.stderr);
    }
    // The data survives: each line parses, and the records are the fixture's.
    let expected = sim::hostile::expected_logs(epoch);
    let lines = logs.json_lines();
    let subjects: Vec<&str> = lines.iter().filter_map(|l| l["subject"].as_str()).collect();
    let want: Vec<&str> = expected
        .records
        .iter()
        .map(|r| r.subject.as_str())
        .collect();
    assert_eq!(subjects, want);
    assert_eq!(
        logs.stderr.matches(": skipped: ").count(),
        expected.malformed(),
        "{}",
        logs.stderr
    );
    // The inbox announced a campaign whose id holds an OSC; following it
    // was refused, and the refusal is on stderr without the escape.
    assert_contains(&inbox.stderr, &["campaign cmp-hostile"]);
    assert!(
        inbox.stdout.contains("\\u001b]0;PWNED"),
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
    let mail_key = opts.mail_key.as_ref().expect("a mail key");
    let shown = [
        format!("{opts:?}"),
        format!("{opts:#?}"),
        format!("{file:?}"),
        format!("{file:#?}"),
        format!("{:?} {mail_key}", opts.mail_key),
    ];
    for s in &shown {
        assert_no_key("a Debug or Display", s);
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
