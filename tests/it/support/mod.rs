//! What the integration tests share: clients run against a real server
//! on 127.0.0.1 (the simulator, or a small server the test starts), the
//! real binary, app states and the screens drawn from them, a TLS front
//! and a proxy, and tmux.

use std::time::Duration;

pub mod fixture;
pub mod net;
pub mod screen;
pub mod tmux;

use misar_dash::config::{ApiKey, Backoff, ClientOptions};
use misar_dash::sim::{self, Sim, SimConfig};
use misar_dash::upstream::{
    ConnState, LogQuery, LogRecord, Source, StopReason, Upstream, UpstreamBody, UpstreamEvent,
};
use tokio::sync::mpsc;

/// Fast reconnects and heartbeats so a test runs in seconds.
pub fn fast_options(sim: &Sim) -> ClientOptions {
    ClientOptions {
        endpoints: sim.endpoints(),
        blog_key: Some(ApiKey::new(sim::DEMO_BLOG_KEY)),
        mail_key: Some(ApiKey::new(sim::DEMO_MAIL_KEY)),
        ..fast_defaults()
    }
}

/// [`fast_options`] without a simulator: no endpoints, no keys.
pub fn fast_defaults() -> ClientOptions {
    ClientOptions {
        backoff: Backoff {
            initial: Duration::from_millis(20),
            max: Duration::from_millis(200),
        },
        max_retries: Some(5),
        heartbeat: Duration::from_millis(300),
        sse_read_timeout: Duration::from_millis(800),
        ..ClientOptions::default()
    }
}

/// The real binary, with nothing of this machine's environment that would
/// change what it does (keys, URLs, backtraces, the user's config file and
/// state directory).
pub fn misar_dash() -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_misar-dash"));
    for var in [
        "MISAR_BLOG_KEY",
        "MISAR_MAIL_KEY",
        "MISAR_BLOG_URL",
        "MISAR_MAIL_URL",
        "MISAR_MAIL_WS_URL",
        "RUST_BACKTRACE",
        "RUST_LIB_BACKTRACE",
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
        "NO_PROXY",
        "no_proxy",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("MISAR_DASH_CONFIG", "/nonexistent/misar-dash-test.toml");
    // The dashboard's network log goes here, not into the user's state.
    cmd.env(
        "XDG_STATE_HOME",
        std::env::temp_dir().join("misar-dash-test-state"),
    );
    cmd.stdin(std::process::Stdio::null());
    cmd.kill_on_drop(true);
    cmd
}

/// The real binary pointed at `endpoints` with the simulator's demo keys.
pub fn misar_dash_against(endpoints: &misar_dash::config::Endpoints) -> tokio::process::Command {
    let mut cmd = misar_dash();
    cmd.env("MISAR_BLOG_URL", &endpoints.blog_url)
        .env("MISAR_MAIL_URL", &endpoints.mail_url)
        .env("MISAR_MAIL_WS_URL", &endpoints.mail_ws_url)
        .env("MISAR_BLOG_KEY", sim::DEMO_BLOG_KEY)
        .env("MISAR_MAIL_KEY", sim::DEMO_MAIL_KEY);
    cmd
}

/// The value of header `name` (any case) in a request's head.
pub fn header_value(head: &str, name: &str) -> Option<String> {
    head.lines().find_map(|l| {
        let (n, value) = l.split_once(':')?;
        n.trim()
            .eq_ignore_ascii_case(name)
            .then(|| value.trim().to_string())
    })
}

/// A fixed epoch: two simulators started at different moments serve the
/// same records.
pub fn sim_config() -> SimConfig {
    SimConfig {
        speed: 40.0,
        epoch: chrono::DateTime::parse_from_rfc3339("2026-11-23T09:00:00Z")
            .ok()
            .map(|t| t.to_utc()),
        heartbeat: Duration::from_millis(300),
        ..SimConfig::default()
    }
}

pub async fn start_sim(cfg: SimConfig) -> Sim {
    Sim::start(cfg).await.expect("the simulator starts")
}

/// A loopback HTTP server that reads each request's head and answers with
/// what `respond` makes of it (status line, headers and body), then closes
/// the connection. Returns its address, `127.0.0.1:port`.
pub async fn http_server(respond: impl Fn(&str) -> String + Send + Sync + 'static) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a loopback port");
    let addr = listener.local_addr().expect("a bound address");
    let respond = std::sync::Arc::new(respond);
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let respond = respond.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let response = respond(&String::from_utf8_lossy(&head));
                let _ = sock.write_all(response.as_bytes()).await;
                let _ = sock.shutdown().await;
            });
        }
    });
    addr.to_string()
}

/// Kills the simulator and starts a fresh one on the same port, after long
/// enough down for connection attempts to be refused.
pub async fn restart_sim(sim: &mut Option<Sim>, port: u16) {
    if let Some(old) = sim.take() {
        old.shutdown().await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    *sim = Some(
        start_sim(SimConfig {
            port,
            ..sim_config()
        })
        .await,
    );
}

/// Everything one client sent, up to its final state.
#[derive(Debug, Default)]
pub struct Run {
    pub events: Vec<UpstreamBody>,
}

impl Run {
    pub fn states(&self) -> Vec<&ConnState> {
        self.events
            .iter()
            .filter_map(|b| match b {
                UpstreamBody::Conn(s) => Some(s),
                _ => None,
            })
            .collect()
    }

    pub fn last_state(&self) -> Option<&ConnState> {
        self.states().last().copied()
    }

    pub fn stop_reason(&self) -> Option<&StopReason> {
        match self.last_state() {
            Some(ConnState::Stopped(r)) => Some(r),
            _ => None,
        }
    }

    pub fn records(&self) -> Vec<LogRecord> {
        self.events
            .iter()
            .flat_map(|b| match b {
                UpstreamBody::Logs(r) => r.to_records(),
                _ => Vec::new(),
            })
            .collect()
    }

    pub fn reconnect_reasons(&self) -> Vec<String> {
        self.states()
            .into_iter()
            .filter_map(|s| match s {
                ConnState::Reconnecting { reason, .. } => Some(reason.clone()),
                _ => None,
            })
            .collect()
    }

    pub fn malformed(&self) -> usize {
        self.events
            .iter()
            .filter(|b| matches!(b, UpstreamBody::Malformed { .. }))
            .count()
    }
}

/// Runs one client until it reaches a final state or `limit` passes.
pub async fn run_client(
    opts: ClientOptions,
    source: Source,
    query: LogQuery,
    limit: Duration,
) -> Run {
    run_until(opts, source, query, limit, |_| false).await
}

/// Runs a client until `until` says stop (or `limit` passes), then stops it.
pub async fn run_until(
    opts: ClientOptions,
    source: Source,
    query: LogQuery,
    limit: Duration,
    mut until: impl FnMut(&Run) -> bool,
) -> Run {
    let (tx, mut rx) = mpsc::channel::<UpstreamEvent>(64);
    let upstream = Upstream::new(opts, tx).expect("client setup");
    let task = upstream.spawn(source, query);
    let mut run = Run::default();
    let deadline = tokio::time::Instant::now() + limit;
    while let Ok(Some(event)) = tokio::time::timeout_at(deadline, rx.recv()).await {
        let done = matches!(&event.body, UpstreamBody::Conn(s) if s.is_final());
        run.events.push(event.body);
        if done || until(&run) {
            break;
        }
    }
    task.abort();
    run
}

pub fn logs(domain: &str) -> Source {
    Source::DomainLogs {
        domain: domain.into(),
    }
}

pub fn issue(id: &str) -> Source {
    Source::SendProgress {
        issue_id: id.into(),
    }
}

pub fn campaign(id: &str) -> Source {
    Source::Campaign {
        campaign_id: id.into(),
    }
}
