//! Real networks, on 127.0.0.1: the simulator behind a TLS front with a CA
//! made in the test (https:// and wss://), a CONNECT proxy with
//! credentials, redirects to another port, and a campaign link that goes
//! silent after its snapshot. Nothing is mocked: every client dials a real
//! socket.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::support::net::{self, CertFlaw, ConnectProxy, TestCa};
use crate::support::*;
use misar_dash::model::endpoints::Endpoints;
use misar_dash::model::{ConnState, LogQuery, Source, UpstreamBody};
use misar_dash::sim::Sim;
use misar_dash::upstream::options::{ApiKey, ClientOptions};

const T: Duration = Duration::from_secs(20);
const USER: &str = "ops";
const PASSWORD: &str = "pr0xy-S3cret-canary";
const WRONG_PASSWORD: &str = "wrong-Password-canary";

/// The four clients' sources, with things the simulator serves.
fn four_sources(sim: &Sim) -> Vec<Source> {
    vec![
        issue("iss-weekly-digest"),
        Source::Inbox,
        campaign(&longest_running_campaign(sim)),
        domain("shop.example.com"),
    ]
}

/// The simulator behind a TLS front whose certificate a CA made for the
/// test signed; the CA's PEM is in a temp dir of the test's own.
struct Tls {
    sim: Sim,
    ca: TestCa,
    front: SocketAddr,
    dir: TempDir,
}

impl Tls {
    async fn start(name: &str) -> Tls {
        let sim = start_sim(sim_config()).await;
        let ca = TestCa::new();
        let front = net::tls_front(&ca, CertFlaw::None, sim.addr()).await;
        Tls {
            sim,
            ca,
            front,
            dir: TempDir::new(name),
        }
    }

    /// Another front before the same simulator, with a certificate of the
    /// same CA that has `flaw`.
    async fn flawed_front(&self, flaw: CertFlaw) -> SocketAddr {
        net::tls_front(&self.ca, flaw, self.sim.addr()).await
    }

    fn ca_file(&self) -> PathBuf {
        self.ca.write_pem(self.dir.path())
    }

    /// Clients of `front` that trust the CA through `ca_file`.
    fn trusting(&self, front: SocketAddr) -> ClientOptions {
        ClientOptions {
            ca_file: Some(self.ca_file()),
            ..untrusting(front)
        }
    }
}

/// Clients of the TLS front at `front`, with the demo keys and the system's
/// trust store only.
fn untrusting(front: SocketAddr) -> ClientOptions {
    ClientOptions {
        endpoints: endpoints("https", "127.0.0.1", front.port()),
        ..keyed(fast_defaults())
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

/// Runs a client of each source until it delivers something.
async fn deliveries(opts: &ClientOptions, sources: Vec<Source>) -> Vec<Run> {
    let mut runs = Vec::new();
    for source in sources {
        let run = run_until(opts.clone(), source, LogQuery::default(), T, delivered).await;
        assert!(
            delivered(&run),
            "{} delivered: {:?}",
            run.source,
            run.states()
        );
        runs.push(run);
    }
    runs
}

/// Runs a client of each source to its stop, which must come on the first
/// attempt.
async fn first_attempt_stops(opts: &ClientOptions, sources: Vec<Source>) -> Vec<Run> {
    let mut runs = Vec::new();
    for source in sources {
        let run = run_client(opts.clone(), source, LogQuery::default(), T).await;
        let attempts = run.count_states(|s| matches!(s, ConnState::Connecting { .. }));
        assert_eq!(
            attempts,
            1,
            "{}: one attempt only: {:?}",
            run.source,
            run.states()
        );
        runs.push(run);
    }
    runs
}

// ---- TLS --------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_four_clients_stream_over_tls_with_the_ca_in_ca_file() {
    let tls = Tls::start("net-ca-file").await;
    deliveries(&tls.trusting(tls.front), four_sources(&tls.sim)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_ca_each_client_stops_at_once_naming_the_host_and_the_fix() {
    let tls = Tls::start("net-no-ca").await;
    let host = format!("127.0.0.1:{}", tls.front.port());
    for run in first_attempt_stops(&untrusting(tls.front), four_sources(&tls.sim)).await {
        let detail = stop_detail!(run, Tls);
        assert_contains(detail, &[&host, "unknown CA", "ca_file", "SSL_CERT_FILE"]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_or_wrong_host_certificate_is_a_stop_that_says_which() {
    let tls = Tls::start("net-flaws").await;
    for (flaw, words) in [
        (CertFlaw::Expired, "expired"),
        (CertFlaw::OtherHost, "another host name"),
    ] {
        let opts = tls.trusting(tls.flawed_front(flaw).await);
        for run in first_attempt_stops(&opts, vec![issue("iss-weekly-digest"), Source::Inbox]).await
        {
            let detail = stop_detail!(run, Tls, "{flaw:?}");
            assert!(detail.contains(words), "{flaw:?} {}: {detail}", run.source);
        }
    }
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_trusts_ssl_cert_file_and_stops_with_exit_6_without_it() {
    let tls = Tls::start("net-ssl-cert-file").await;
    let ca_file = tls.ca_file();
    let e = endpoints("https", "127.0.0.1", tls.front.port());
    let trusting = || {
        let mut cmd = misar_dash_against(&e);
        cmd.env("SSL_CERT_FILE", &ca_file);
        cmd
    };
    let campaign = longest_running_campaign(&tls.sim);
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
        let out = run_within(misar_dash_against(&e), args, T).await;
        out.assert_exit(6);
        let stop = out.stderr_lines("misar-dash:");
        assert_eq!(stop.len(), 1, "{}", out.stderr);
        assert_contains(stop[0], &["TLS", "unknown CA", "ca_file"]);
        let attempts = out.stderr.matches("connecting").count();
        assert_eq!(attempts, 1, "one attempt: {}", out.stderr);
    }
}

// ---- proxies ----------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_four_clients_go_through_a_connect_proxy_with_credentials() {
    let tls = Tls::start("net-proxy").await;
    let proxy = ConnectProxy::start(USER, PASSWORD).await;
    let opts = ClientOptions {
        proxy: Some(proxy.url(USER, PASSWORD)),
        ..tls.trusting(tls.front)
    };
    for run in deliveries(&opts, four_sources(&tls.sim)).await {
        assert!(!format!("{run:?}").contains(PASSWORD));
    }
    let log = proxy.log();
    assert!(log.tunnels >= 4, "{log:?}");
    let target = format!("CONNECT 127.0.0.1:{} HTTP/1.1", tls.front.port());
    assert!(log.requests.iter().all(|r| *r == target), "{log:?}");
    assert_eq!(log.authorizations.len(), log.requests.len(), "{log:?}");
}

/// Each of the four clients through a proxy that refuses the wrong
/// password with `refusal` (a status code and reason): each stops on its
/// first attempt, and none shows the password. Returns their runs and the
/// proxy.
async fn refused_by_the_proxy(name: &str, refusal: &'static str) -> (Vec<Run>, ConnectProxy) {
    let tls = Tls::start(name).await;
    let proxy = ConnectProxy::refusing_with(USER, PASSWORD, refusal).await;
    let opts = ClientOptions {
        proxy: Some(proxy.url(USER, WRONG_PASSWORD)),
        ..tls.trusting(tls.front)
    };
    let runs = first_attempt_stops(&opts, four_sources(&tls.sim)).await;
    for run in &runs {
        assert!(!format!("{run:?}").contains(WRONG_PASSWORD));
    }
    (runs, proxy)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_proxy_password_is_a_407_stop_naming_the_proxy() {
    let (runs, proxy) =
        refused_by_the_proxy("net-proxy-407", "407 Proxy Authentication Required").await;
    for run in runs {
        assert_contains(stop_detail!(run, Proxy), &["407", &proxy.addr.to_string()]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proxy_that_refuses_with_401_like_tinyproxy_is_a_credentials_stop_too() {
    let (runs, _) = refused_by_the_proxy("net-proxy-401", "401 Unauthorized").await;
    for run in runs {
        let detail = stop_detail!(run, Proxy);
        assert_contains(
            detail,
            &["401 Unauthorized", "refused the user and password"],
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_reads_https_proxy_and_no_proxy_from_the_environment() {
    let tls = Tls::start("net-proxy-env").await;
    let proxy = ConnectProxy::start(USER, PASSWORD).await;
    let ca_file = tls.ca_file();
    let e = endpoints("https", "localhost", tls.front.port());

    let log = tls.dir.join("net.log");
    let with_proxy = |password: &str| {
        let mut cmd = misar_dash_against(&e);
        cmd.env("SSL_CERT_FILE", &ca_file)
            .env("HTTPS_PROXY", proxy.url(USER, password))
            .arg("--log-file")
            .arg(&log);
        cmd
    };
    let send = ["stream", "send-progress", "iss-spring-sale"];
    let out = run_within(with_proxy(PASSWORD), &send, T).await;
    out.assert_exit(0);
    assert!(out.stdout.contains("\"type\":\"progress\""));
    let through = proxy.log().tunnels;
    assert!(through >= 1, "{:?}", proxy.log());
    assert!(!out.stdout.contains(PASSWORD) && !out.stderr.contains(PASSWORD));

    let out = run_within(with_proxy(WRONG_PASSWORD), &["stream", "inbox"], T).await;
    out.assert_exit(7);
    assert_contains(&out.stderr, &["407", &proxy.addr.to_string()]);
    assert!(!out.stdout.contains("wrong-Password") && !out.stderr.contains("wrong-Password"));

    let mut bypass = with_proxy(PASSWORD);
    bypass.env("NO_PROXY", "localhost");
    let before = proxy.log().requests.len();
    run_within(bypass, &send, T).await.assert_exit(0);
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
}

// ---- redirects --------------------------------------------------------------

#[tokio::test]
async fn a_redirect_to_another_port_never_carries_the_key() {
    let elsewhere =
        Server::answering(|_, _| "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".into()).await;
    let to = elsewhere.addr;
    let origin = Server::answering(move |_, _| {
        format!("HTTP/1.1 307 Temporary Redirect\r\nLocation: http://{to}/moved?x=1\r\nContent-Length: 0\r\n\r\n")
    })
    .await;
    for token_in_query in [false, true] {
        let opts = ClientOptions {
            endpoints: endpoints("http", "127.0.0.1", origin.addr.port()),
            blog_key: Some(ApiKey::new("mbk_redirect_canary_1")),
            mail_key: Some(ApiKey::new("msk_redirect_canary_2")),
            token_in_query,
            ..fast_defaults()
        };
        for source in [issue("iss-1"), domain("d.example"), Source::Inbox] {
            let run = run_client(opts.clone(), source, LogQuery::default(), T).await;
            let detail = stop_detail!(run, Redirected, "token_in_query: {token_in_query}");
            assert!(detail.contains(&format!("http://{to}/moved")), "{detail}");
            assert!(!detail.contains("canary"), "{detail}");
        }
    }
    assert!(elsewhere.hits().is_empty(), "the other server saw nothing");
}

#[tokio::test]
async fn a_same_origin_redirect_is_followed_with_the_key() {
    let origin = Server::answering(|_, hit| {
        if hit.head.starts_with("GET /blog/") {
            "HTTP/1.1 308 Permanent Redirect\r\nLocation: /v2/send\r\nContent-Length: 0\r\n\r\n"
                .into()
        } else {
            "HTTP/1.1 401 Unauthorized\r\nContent-Length: 15\r\n\r\n{\"error\":\"no\"}".into()
        }
    })
    .await;
    let opts = ClientOptions {
        endpoints: endpoints("http", "127.0.0.1", origin.addr.port()),
        blog_key: Some(ApiKey::new("mbk_same_origin")),
        ..fast_defaults()
    };
    let run = run_client(opts, issue("iss-1"), LogQuery::default(), T).await;
    stop_detail!(run, KeyRefused);
    let seen = origin.hits();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert!(seen[1].head.starts_with("GET /v2/send"), "{}", seen[1].head);
    let auth = seen[1].header("authorization").unwrap_or_default();
    assert_eq!(
        auth.to_ascii_lowercase(),
        "bearer mbk_same_origin",
        "{}",
        seen[1].head
    );
}

// ---- links that die quietly -------------------------------------------------

/// A campaign channel that sends the same snapshot on every connection and
/// then says nothing at all, not even pings.
async fn silent_after_snapshot() -> WsServer {
    use futures_util::SinkExt;
    WsServer::start(|_, mut ws| async move {
        let snapshot = r#"{"type":"progress","campaignId":"cmp-quiet","sent":10,"total":100,"delivered":9,"bounced":0,"opened":1}"#;
        let _ = ws
            .send(tokio_tungstenite::tungstenite::Message::text(snapshot))
            .await;
        // Hold the link open and silent.
        tokio::time::sleep(Duration::from_secs(600)).await;
        drop(ws);
    })
    .await
}

#[tokio::test]
async fn a_campaign_link_silent_after_its_snapshot_runs_the_budget_out() {
    let server = silent_after_snapshot().await;
    let opts = ClientOptions {
        endpoints: Endpoints {
            mail_ws_url: format!("{}/mail/ws", server.url()),
            ..Endpoints::default()
        },
        mail_key: Some(ApiKey::new("msk_quiet")),
        max_retries: Some(1),
        ..fast_defaults()
    };
    let run = run_client(opts, campaign("cmp-quiet"), LogQuery::default(), T).await;
    stop_detail!(run, GaveUp { last_error });
    assert_eq!(server.connections(), 2);
}

#[tokio::test]
async fn the_binary_exits_5_on_a_silent_campaign_after_two_dead_link_windows() {
    let server = silent_after_snapshot().await;
    let dir = TempDir::new("net-silent");
    let config = dir.join("config.toml");
    std::fs::write(&config, "heartbeat_secs = 1\n").expect("write the config");
    let mut cmd = misar_dash();
    cmd.env("MISAR_DASH_CONFIG", &config)
        .env("MISAR_MAIL_WS_URL", format!("{}/mail/ws", server.url()))
        .env("MISAR_MAIL_KEY", "msk_quiet");
    let started = std::time::Instant::now();
    let args = ["stream", "campaign", "cmp-quiet", "--max-retries", "1"];
    let out = run_within(cmd, &args, T).await;
    out.assert_exit(5);
    assert_eq!(server.connections(), 2, "{}", out.stderr);
    // Two windows of two heartbeats, and a backoff between them.
    assert!(
        started.elapsed() >= Duration::from_secs(4),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("link looks dead"), "{}", out.stderr);
}

// ---- timeouts ---------------------------------------------------------------

#[tokio::test]
async fn a_server_that_never_answers_is_named_with_its_timeout() {
    // Accepts and reads, never answers.
    let server = Server::start(|_, _, stream| hold_silently(stream)).await;
    let opts = ClientOptions {
        endpoints: endpoints("http", "127.0.0.1", server.addr.port()),
        blog_key: Some(ApiKey::new("mbk_x")),
        mail_key: Some(ApiKey::new("msk_x")),
        header_timeout: Duration::from_millis(300),
        max_retries: Some(0),
        ..fast_defaults()
    };
    let run = run_client(opts.clone(), issue("iss-1"), LogQuery::default(), T).await;
    let waited = format!(
        "no response headers from 127.0.0.1:{} in 0.3 s",
        server.addr.port()
    );
    assert_contains(&format!("{:?}", run.stop_reason()), &[&waited]);
    let run = run_client(opts, Source::Inbox, LogQuery::default(), T).await;
    let reason = format!("{:?}", run.stop_reason());
    assert_contains(&reason, &["no WebSocket handshake answer from"]);
}

#[tokio::test]
async fn an_unreachable_proxy_is_named_as_the_thing_that_failed() {
    // A port nothing listens on.
    let closed = closed_addr();
    let opts = ClientOptions {
        endpoints: endpoints("https", "api.example", 443),
        blog_key: Some(ApiKey::new("mbk_x")),
        mail_key: Some(ApiKey::new("msk_x")),
        proxy: Some(format!("http://{USER}:{PASSWORD}@{closed}")),
        max_retries: Some(0),
        ..fast_defaults()
    };
    for source in [issue("iss-1"), Source::Inbox, domain("d.example")] {
        let run = run_client(opts.clone(), source, LogQuery::default(), T).await;
        let last_error = stop_detail!(run, GaveUp { last_error });
        let named = format!("could not connect to the proxy {closed}: ");
        assert!(
            last_error.starts_with(&named),
            "{}: {last_error}",
            run.source
        );
        assert!(last_error.contains("refused"), "{last_error}");
        assert!(!format!("{run:?}").contains(PASSWORD));
    }
}
