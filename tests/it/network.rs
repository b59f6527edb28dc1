//! Real networks, on 127.0.0.1: the simulator behind a TLS front with a CA
//! made in the test (https:// and wss://), a CONNECT proxy with
//! credentials, redirects to another port, and a campaign link that goes
//! silent after its snapshot. Nothing is mocked: every client dials a real
//! socket.

use std::net::SocketAddr;
use std::process::Output;
use std::time::Duration;

use crate::support::net::{CertFlaw, ConnectProxy, TestCa};
use crate::support::*;
use misar_dash::config::{ApiKey, ClientOptions, Endpoints};
use misar_dash::sim::{self, Account, Sim};
use misar_dash::upstream::{ConnState, LogQuery, Source, StopReason, UpstreamBody};

const T: Duration = Duration::from_secs(20);
const USER: &str = "ops";
const PASSWORD: &str = "pr0xy-S3cret-canary";

/// The four clients' sources, with things the simulator serves.
fn four_sources(sim: &Sim) -> Vec<Source> {
    let campaign = sim
        .catalog()
        .campaigns
        .into_iter()
        .filter(|c| c.account == Account::Demo && c.start_secs <= 0.0)
        .min_by(|a, b| b.end_secs.total_cmp(&a.end_secs))
        .expect("a running demo campaign")
        .id;
    vec![
        issue("iss-weekly-digest"),
        Source::Inbox,
        self::campaign(&campaign),
        logs("shop.example.com"),
    ]
}

/// `host` (an address or `localhost`) and `port` as the three API bases.
fn endpoints(scheme: &str, host: &str, port: u16) -> Endpoints {
    let ws = if scheme == "https" { "wss" } else { "ws" };
    Endpoints {
        blog_url: format!("{scheme}://{host}:{port}/blog"),
        mail_url: format!("{scheme}://{host}:{port}/mail"),
        mail_ws_url: format!("{ws}://{host}:{port}/mail/ws"),
    }
}

fn tls_options(front: SocketAddr) -> ClientOptions {
    ClientOptions {
        endpoints: endpoints("https", "127.0.0.1", front.port()),
        blog_key: Some(ApiKey::new(sim::DEMO_BLOG_KEY)),
        mail_key: Some(ApiKey::new(sim::DEMO_MAIL_KEY)),
        ..fast_defaults()
    }
}

/// True once a client has delivered something (not only states).
fn delivered(run: &Run) -> bool {
    run.events.iter().any(|b| {
        matches!(
            b,
            UpstreamBody::Progress(_)
                | UpstreamBody::Inbox(_)
                | UpstreamBody::Campaign(_)
                | UpstreamBody::Logs(_)
        )
    })
}

async fn first_delivery(opts: &ClientOptions, source: Source) -> Run {
    run_until(opts.clone(), source, LogQuery::default(), T, delivered).await
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("misar-dash-net-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    dir
}

fn connecting_count(run: &Run) -> usize {
    run.states()
        .iter()
        .filter(|s| matches!(s, ConnState::Connecting { .. }))
        .count()
}

// ---- TLS --------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_four_clients_stream_over_tls_with_the_ca_in_ca_file() {
    let sim = start_sim(sim_config()).await;
    let ca = TestCa::new();
    let front = net::tls_front(&ca, CertFlaw::None, sim.addr()).await;
    let dir = temp_dir("ca-file");
    let opts = ClientOptions {
        ca_file: Some(ca.write_pem(&dir)),
        ..tls_options(front)
    };
    for source in four_sources(&sim) {
        let run = first_delivery(&opts, source.clone()).await;
        assert!(
            delivered(&run),
            "{source} streams over TLS: {:?}",
            run.states()
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_ca_each_client_stops_at_once_naming_the_host_and_the_fix() {
    let sim = start_sim(sim_config()).await;
    let ca = TestCa::new();
    let front = net::tls_front(&ca, CertFlaw::None, sim.addr()).await;
    for source in four_sources(&sim) {
        let run = run_client(tls_options(front), source.clone(), LogQuery::default(), T).await;
        let Some(StopReason::Tls { detail }) = run.stop_reason() else {
            panic!("{source}: a TLS stop, not {:?}", run.states());
        };
        assert_eq!(connecting_count(&run), 1, "{source}: one attempt only");
        assert!(
            detail.contains(&format!("127.0.0.1:{}", front.port())),
            "{detail}"
        );
        assert!(detail.contains("unknown CA"), "{detail}");
        assert!(
            detail.contains("ca_file") && detail.contains("SSL_CERT_FILE"),
            "{detail}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_or_wrong_host_certificate_is_a_stop_that_says_which() {
    let sim = start_sim(sim_config()).await;
    let ca = TestCa::new();
    let dir = temp_dir("flaws");
    let ca_file = ca.write_pem(&dir);
    for (flaw, words) in [
        (CertFlaw::Expired, "expired"),
        (CertFlaw::OtherHost, "another host name"),
    ] {
        let front = net::tls_front(&ca, flaw, sim.addr()).await;
        let opts = ClientOptions {
            ca_file: Some(ca_file.clone()),
            ..tls_options(front)
        };
        for source in [issue("iss-weekly-digest"), Source::Inbox] {
            let run = run_client(opts.clone(), source.clone(), LogQuery::default(), T).await;
            let Some(StopReason::Tls { detail }) = run.stop_reason() else {
                panic!("{flaw:?} {source}: {:?}", run.states());
            };
            assert!(detail.contains(words), "{flaw:?} {source}: {detail}");
            assert_eq!(connecting_count(&run), 1);
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// Runs the binary until it prints its first line on stdout, then stops
/// it (the inbox runs until interrupted). Returns that line.
async fn first_line(mut cmd: tokio::process::Command, args: &[&str]) -> String {
    use tokio::io::AsyncBufReadExt;
    cmd.args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().expect("the binary runs");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let line = tokio::time::timeout(T, lines.next_line()).await;
    let _ = child.kill().await;
    match line {
        Ok(Ok(Some(line))) => line,
        other => {
            let err = child
                .wait_with_output()
                .await
                .map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
                .unwrap_or_default();
            panic!("{args:?}: no line on stdout ({other:?}): {err}")
        }
    }
}

/// Runs the binary to its end: its exit code and what it wrote.
async fn run_for(
    mut cmd: tokio::process::Command,
    args: &[&str],
    limit: Duration,
) -> (Option<i32>, String, String) {
    let out: Output = tokio::time::timeout(limit, cmd.args(args).output())
        .await
        .expect("the binary ends by itself")
        .expect("the binary runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_trusts_ssl_cert_file_and_stops_with_exit_6_without_it() {
    let sim = start_sim(sim_config()).await;
    let ca = TestCa::new();
    let front = net::tls_front(&ca, CertFlaw::None, sim.addr()).await;
    let dir = temp_dir("ssl-cert-file");
    let ca_file = ca.write_pem(&dir);
    let e = endpoints("https", "127.0.0.1", front.port());

    let trusting = || {
        let mut cmd = misar_dash_against(&e);
        cmd.env("SSL_CERT_FILE", &ca_file);
        cmd
    };
    let campaign = four_sources(&sim)
        .into_iter()
        .find_map(|s| match s {
            Source::Campaign { campaign_id } => Some(campaign_id),
            _ => None,
        })
        .expect("a campaign");
    for (args, kind) in [
        (
            &["stream", "send-progress", "iss-spring-sale"][..],
            "progress",
        ),
        (
            &["stream", "logs", "shop.example.com", "--limit", "20"][..],
            "log",
        ),
        (&["stream", "inbox"][..], "inbox"),
        (&["stream", "campaign", campaign.as_str()][..], "campaign"),
    ] {
        let line = first_line(trusting(), args).await;
        assert!(
            line.contains(&format!("\"type\":\"{kind}\"")),
            "{args:?}: {line}"
        );
    }

    for args in [
        &["stream", "send-progress", "iss-spring-sale"][..],
        &["stream", "inbox"][..],
        &["stream", "logs", "shop.example.com"][..],
    ] {
        let (code, _, stderr) = run_for(misar_dash_against(&e), args, T).await;
        assert_eq!(code, Some(6), "{args:?}: {stderr}");
        let stop: Vec<&str> = stderr
            .lines()
            .filter(|l| l.starts_with("misar-dash:"))
            .collect();
        assert_eq!(stop.len(), 1, "{stderr}");
        assert!(
            stop[0].contains("TLS") && stop[0].contains("unknown CA"),
            "{}",
            stop[0]
        );
        assert!(stop[0].contains("ca_file"), "{}", stop[0]);
        assert_eq!(
            stderr.matches("connecting").count(),
            1,
            "one attempt: {stderr}"
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

// ---- proxies ----------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_four_clients_go_through_a_connect_proxy_with_credentials() {
    let sim = start_sim(sim_config()).await;
    let ca = TestCa::new();
    let front = net::tls_front(&ca, CertFlaw::None, sim.addr()).await;
    let proxy = ConnectProxy::start(USER, PASSWORD).await;
    let dir = temp_dir("proxy");
    let opts = ClientOptions {
        ca_file: Some(ca.write_pem(&dir)),
        proxy: Some(proxy.url(USER, PASSWORD)),
        ..tls_options(front)
    };
    for source in four_sources(&sim) {
        let run = first_delivery(&opts, source.clone()).await;
        assert!(
            delivered(&run),
            "{source} through the proxy: {:?}",
            run.states()
        );
        assert!(!format!("{run:?}").contains(PASSWORD));
    }
    let log = proxy.log();
    assert!(log.tunnels >= 4, "{log:?}");
    let target = format!("CONNECT 127.0.0.1:{} HTTP/1.1", front.port());
    assert!(log.requests.iter().all(|r| *r == target), "{log:?}");
    assert_eq!(log.authorizations.len(), log.requests.len(), "{log:?}");
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_proxy_password_is_a_407_stop_naming_the_proxy() {
    let sim = start_sim(sim_config()).await;
    let ca = TestCa::new();
    let front = net::tls_front(&ca, CertFlaw::None, sim.addr()).await;
    let proxy = ConnectProxy::start(USER, PASSWORD).await;
    let dir = temp_dir("proxy-407");
    let opts = ClientOptions {
        ca_file: Some(ca.write_pem(&dir)),
        proxy: Some(proxy.url(USER, "wrong-Password-canary")),
        ..tls_options(front)
    };
    for source in four_sources(&sim) {
        let run = run_client(opts.clone(), source.clone(), LogQuery::default(), T).await;
        let Some(StopReason::Proxy { detail }) = run.stop_reason() else {
            panic!("{source}: a proxy stop, not {:?}", run.states());
        };
        assert!(detail.contains("407"), "{detail}");
        assert!(detail.contains(&proxy.addr.to_string()), "{detail}");
        assert!(!format!("{run:?}").contains("wrong-Password-canary"));
        assert_eq!(connecting_count(&run), 1);
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proxy_that_refuses_with_401_like_tinyproxy_is_a_credentials_stop_too() {
    let sim = start_sim(sim_config()).await;
    let ca = TestCa::new();
    let front = net::tls_front(&ca, CertFlaw::None, sim.addr()).await;
    let proxy = ConnectProxy::refusing_with(USER, PASSWORD, "401 Unauthorized").await;
    let dir = temp_dir("proxy-401");
    let opts = ClientOptions {
        ca_file: Some(ca.write_pem(&dir)),
        proxy: Some(proxy.url(USER, "wrong-Password-canary")),
        ..tls_options(front)
    };
    for source in [issue("iss-weekly-digest"), Source::Inbox] {
        let run = run_client(opts.clone(), source.clone(), LogQuery::default(), T).await;
        let Some(StopReason::Proxy { detail }) = run.stop_reason() else {
            panic!("{source}: a proxy stop, not {:?}", run.states());
        };
        assert!(detail.contains("401 Unauthorized"), "{detail}");
        assert!(detail.contains("refused the user and password"), "{detail}");
        assert_eq!(connecting_count(&run), 1);
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_reads_https_proxy_and_no_proxy_from_the_environment() {
    let sim = start_sim(sim_config()).await;
    let ca = TestCa::new();
    let front = net::tls_front(&ca, CertFlaw::None, sim.addr()).await;
    let proxy = ConnectProxy::start(USER, PASSWORD).await;
    let dir = temp_dir("proxy-env");
    let ca_file = ca.write_pem(&dir);
    let e = endpoints("https", "localhost", front.port());

    let log = dir.join("net.log");
    let with_proxy = |password: &str| {
        let mut cmd = misar_dash_against(&e);
        cmd.env("SSL_CERT_FILE", &ca_file)
            .env("HTTPS_PROXY", proxy.url(USER, password))
            .arg("--log-file")
            .arg(&log);
        cmd
    };
    let (code, stdout, stderr) = run_for(
        with_proxy(PASSWORD),
        &["stream", "send-progress", "iss-spring-sale"],
        T,
    )
    .await;
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("\"type\":\"progress\""));
    let through = proxy.log().tunnels;
    assert!(through >= 1, "{:?}", proxy.log());
    assert!(!stdout.contains(PASSWORD) && !stderr.contains(PASSWORD));

    let (code, stdout, stderr) =
        run_for(with_proxy("wrong-Password-canary"), &["stream", "inbox"], T).await;
    assert_eq!(code, Some(7), "{stderr}");
    assert!(
        stderr.contains("407") && stderr.contains(&proxy.addr.to_string()),
        "{stderr}"
    );
    assert!(!stdout.contains("wrong-Password") && !stderr.contains("wrong-Password"));

    let mut bypass = with_proxy(PASSWORD);
    bypass.env("NO_PROXY", "localhost");
    let before = proxy.log().requests.len();
    let (code, _, stderr) =
        run_for(bypass, &["stream", "send-progress", "iss-spring-sale"], T).await;
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        proxy.log().requests.len(),
        before,
        "NO_PROXY bypassed the proxy"
    );
    let written = std::fs::read_to_string(&log).expect("the network log");
    assert!(written.contains("407"), "{written}");
    assert!(
        !written.contains(PASSWORD) && !written.contains("wrong-Password"),
        "{written}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

// ---- redirects --------------------------------------------------------------

/// A server that records each request's head.
async fn recording_server(
    answer: impl Fn(&str) -> String + Send + Sync + 'static,
) -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    let addr = http_server(move |head| {
        log.lock().expect("the request log").push(head.to_string());
        answer(head)
    })
    .await;
    (addr, seen)
}

#[tokio::test]
async fn a_redirect_to_another_port_never_carries_the_key() {
    let (elsewhere, seen_elsewhere) =
        recording_server(|_| "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".into()).await;
    let to = elsewhere.clone();
    let (origin, _) = recording_server(move |_| {
        format!("HTTP/1.1 307 Temporary Redirect\r\nLocation: http://{to}/moved?x=1\r\nContent-Length: 0\r\n\r\n")
    })
    .await;
    for token_in_query in [false, true] {
        let opts = ClientOptions {
            endpoints: endpoints("http", "127.0.0.1", port_of(&origin)),
            blog_key: Some(ApiKey::new("mbk_redirect_canary_1")),
            mail_key: Some(ApiKey::new("msk_redirect_canary_2")),
            token_in_query,
            ..fast_defaults()
        };
        for source in [issue("iss-1"), logs("d.example"), Source::Inbox] {
            let run = run_client(opts.clone(), source.clone(), LogQuery::default(), T).await;
            let Some(StopReason::Redirected { detail }) = run.stop_reason() else {
                panic!("{source}: {:?}", run.states());
            };
            assert!(
                detail.contains(&format!("http://{elsewhere}/moved")),
                "{detail}"
            );
            assert!(!detail.contains("canary"), "{detail}");
        }
    }
    assert!(
        seen_elsewhere.lock().expect("log").is_empty(),
        "the other server saw nothing"
    );
}

#[tokio::test]
async fn a_same_origin_redirect_is_followed_with_the_key() {
    let (origin, seen) = recording_server(|head| {
        if head.starts_with("GET /blog/") {
            "HTTP/1.1 308 Permanent Redirect\r\nLocation: /v2/send\r\nContent-Length: 0\r\n\r\n"
                .into()
        } else {
            "HTTP/1.1 401 Unauthorized\r\nContent-Length: 15\r\n\r\n{\"error\":\"no\"}".into()
        }
    })
    .await;
    let opts = ClientOptions {
        endpoints: endpoints("http", "127.0.0.1", port_of(&origin)),
        blog_key: Some(ApiKey::new("mbk_same_origin")),
        ..fast_defaults()
    };
    let run = run_client(opts, issue("iss-1"), LogQuery::default(), T).await;
    assert!(
        matches!(run.stop_reason(), Some(StopReason::KeyRefused { .. })),
        "{:?}",
        run.states()
    );
    let seen = seen.lock().expect("log");
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert!(seen[1].starts_with("GET /v2/send"), "{}", seen[1]);
    assert!(
        seen[1]
            .to_ascii_lowercase()
            .contains("authorization: bearer mbk_same_origin")
    );
}

fn port_of(addr: &str) -> u16 {
    addr.rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("a port")
}

// ---- links that die quietly -------------------------------------------------

/// A campaign channel that sends the same snapshot on every connection and
/// then says nothing at all, not even pings. Returns its ws:// base.
async fn silent_after_snapshot() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use futures_util::SinkExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("an address");
    let connections = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = connections.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            tokio::spawn(async move {
                let Ok(mut ws) = tokio_tungstenite::accept_async(tcp).await else {
                    return;
                };
                let snapshot = r#"{"type":"progress","campaignId":"cmp-quiet","sent":10,"total":100,"delivered":9,"bounced":0,"opened":1}"#;
                let _ = ws
                    .send(tokio_tungstenite::tungstenite::Message::text(snapshot))
                    .await;
                // Hold the link open and silent.
                tokio::time::sleep(Duration::from_secs(600)).await;
                drop(ws);
            });
        }
    });
    (format!("ws://{addr}/mail/ws"), connections)
}

#[tokio::test]
async fn a_campaign_link_silent_after_its_snapshot_runs_the_budget_out() {
    let (ws_url, connections) = silent_after_snapshot().await;
    let opts = ClientOptions {
        endpoints: Endpoints {
            mail_ws_url: ws_url,
            ..Endpoints::default()
        },
        mail_key: Some(ApiKey::new("msk_quiet")),
        max_retries: Some(1),
        ..fast_defaults()
    };
    let run = run_client(opts, campaign("cmp-quiet"), LogQuery::default(), T).await;
    assert!(
        matches!(run.stop_reason(), Some(StopReason::GaveUp { .. })),
        "{:?}",
        run.states()
    );
    assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 2);
}

#[tokio::test]
async fn the_binary_exits_5_on_a_silent_campaign_after_two_dead_link_windows() {
    let (ws_url, connections) = silent_after_snapshot().await;
    let dir = temp_dir("silent");
    let config = dir.join("config.toml");
    std::fs::write(&config, "heartbeat_secs = 1\n").expect("write the config");
    let mut cmd = misar_dash();
    cmd.env("MISAR_DASH_CONFIG", &config)
        .env("MISAR_MAIL_WS_URL", &ws_url)
        .env("MISAR_MAIL_KEY", "msk_quiet");
    let started = std::time::Instant::now();
    let (code, _, stderr) = run_for(
        cmd,
        &["stream", "campaign", "cmp-quiet", "--max-retries", "1"],
        T,
    )
    .await;
    assert_eq!(code, Some(5), "{stderr}");
    assert_eq!(
        connections.load(std::sync::atomic::Ordering::SeqCst),
        2,
        "{stderr}"
    );
    // Two windows of two heartbeats, and a backoff between them.
    assert!(started.elapsed() >= Duration::from_secs(4), "{stderr}");
    assert!(stderr.contains("link looks dead"), "{stderr}");
    std::fs::remove_dir_all(&dir).ok();
}

// ---- timeouts ---------------------------------------------------------------

#[tokio::test]
async fn a_server_that_never_answers_is_named_with_its_timeout() {
    // Accepts and reads, never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("an address");
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((tcp, _)) = listener.accept().await {
            held.push(tcp);
        }
    });
    let opts = ClientOptions {
        endpoints: endpoints("http", "127.0.0.1", addr.port()),
        blog_key: Some(ApiKey::new("mbk_x")),
        mail_key: Some(ApiKey::new("msk_x")),
        header_timeout: Duration::from_millis(300),
        max_retries: Some(0),
        ..fast_defaults()
    };
    let run = run_client(opts.clone(), issue("iss-1"), LogQuery::default(), T).await;
    let reasons = format!("{:?}", run.stop_reason());
    assert!(
        reasons.contains(&format!(
            "no response headers from 127.0.0.1:{} in 0.3 s",
            addr.port()
        )),
        "{reasons}"
    );
    let run = run_client(opts, Source::Inbox, LogQuery::default(), T).await;
    let reasons = format!("{:?}", run.stop_reason());
    assert!(
        reasons.contains("no WebSocket handshake answer from"),
        "{reasons}"
    );
}

#[tokio::test]
async fn an_unreachable_proxy_is_named_as_the_thing_that_failed() {
    // A port nothing listens on.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind")
        .local_addr()
        .expect("an address");
    let opts = ClientOptions {
        endpoints: endpoints("https", "api.example", 443),
        blog_key: Some(ApiKey::new("mbk_x")),
        mail_key: Some(ApiKey::new("msk_x")),
        proxy: Some(format!("http://{USER}:{PASSWORD}@{closed}")),
        max_retries: Some(0),
        ..fast_defaults()
    };
    for source in [issue("iss-1"), Source::Inbox, logs("d.example")] {
        let run = run_client(opts.clone(), source.clone(), LogQuery::default(), T).await;
        let Some(StopReason::GaveUp { last_error, .. }) = run.stop_reason() else {
            panic!("{source}: {:?}", run.states());
        };
        assert!(
            last_error.starts_with(&format!("could not connect to the proxy {closed}: ")),
            "{source}: {last_error}"
        );
        assert!(last_error.contains("refused"), "{last_error}");
        assert!(!format!("{run:?}").contains(PASSWORD));
    }
}
