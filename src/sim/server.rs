//! The listener, the connections and the state every handler shares.
//!
//! The simulator runs its own accept loop instead of `axum::serve` because it
//! must be able to cut every connection at once, without a goodbye: each
//! connection is its own task whose abort handle is kept here.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::Bytes;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::watch;
use tokio::task::AbortHandle;
use tokio::time::Instant;

use super::scenario::{self, Account, Campaign, DomainSpec, Epoch, Issue};
use super::{
    DEMO_BLOG_KEY, DEMO_MAIL_KEY, NOSCOPE_BLOG_KEY, OTHER_BLOG_KEY, OTHER_MAIL_KEY, SimConfig,
    blog, domain_logs, mail_ws,
};

/// Simulated time runs `speed` times faster than real time from `start`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Clock {
    start: Instant,
    speed: f64,
    pub(crate) epoch: Epoch,
}

impl Clock {
    /// Simulated seconds since start.
    pub(crate) fn now(&self) -> f64 {
        self.start.elapsed().as_secs_f64() * self.speed
    }

    /// The real instant simulated time `t` comes (or came).
    pub(crate) fn instant_at(&self, t: f64) -> Instant {
        let real = (t / self.speed).clamp(0.0, 1e9);
        self.start + Duration::from_secs_f64(real)
    }

    /// A real duration for `sim` simulated seconds, but at least `floor`.
    pub(crate) fn real(&self, sim: f64, floor: Duration) -> Duration {
        Duration::from_secs_f64((sim / self.speed).clamp(0.0, 1e9)).max(floor)
    }
}

/// Per-key requests in the current minute of the domain-log API.
#[derive(Debug)]
struct Window {
    started: Instant,
    count: u32,
}

/// Where a sequence against limited.example.com stands.
#[derive(Debug, Default)]
pub(crate) struct LimitedState {
    strikes: u32,
    last_429: Option<Instant>,
}

pub(crate) const RATE_LIMIT: u32 = 120;
const RATE_WINDOW: Duration = Duration::from_secs(60);
/// What limited.example.com says in `Retry-After`, in seconds.
pub(crate) const LIMITED_RETRY_AFTER: u64 = 1;

pub(crate) struct Shared {
    pub(crate) cfg: SimConfig,
    pub(crate) clock: Clock,
    pub(crate) issues: Vec<Issue>,
    pub(crate) domains: Vec<DomainSpec>,
    pub(crate) requests: AtomicU64,
    pub(crate) rate_limited: AtomicU64,
    pub(crate) early_requests: AtomicU64,
    pub(crate) open: AtomicU64,
    /// Bumped to end every WebSocket session at once.
    pub(crate) kill: watch::Sender<u64>,
    conns: Mutex<HashMap<u64, AbortHandle>>,
    next_conn: AtomicU64,
    /// Connections to iss-flaky so far: odd-numbered ones fail.
    pub(crate) flaky_issue_conns: AtomicU64,
    /// Whether flaky.example.com has had its failing first request.
    pub(crate) flaky_domain_failed: AtomicBool,
    windows: Mutex<HashMap<Option<Account>, Window>>,
    limited: Mutex<HashMap<Account, LimitedState>>,
    /// bulk.example.com's unfiltered stream, when pre-generated.
    pub(crate) prebuilt: Option<Bytes>,
    /// WebSocket channels that had their oversized hostile frame.
    hostile_sessions: Mutex<HashSet<String>>,
}

/// Locks a mutex even if a handler panicked while holding it: the data
/// (counters and timestamps) stays usable.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    pub(crate) fn new(cfg: SimConfig, epoch: Epoch, prebuilt: Option<Bytes>) -> Shared {
        Shared {
            clock: Clock {
                start: Instant::now(),
                speed: cfg.speed,
                epoch,
            },
            cfg,
            issues: scenario::issues(),
            domains: scenario::domains(),
            requests: AtomicU64::new(0),
            rate_limited: AtomicU64::new(0),
            early_requests: AtomicU64::new(0),
            open: AtomicU64::new(0),
            kill: watch::channel(0).0,
            conns: Mutex::new(HashMap::new()),
            next_conn: AtomicU64::new(0),
            flaky_issue_conns: AtomicU64::new(0),
            flaky_domain_failed: AtomicBool::new(false),
            windows: Mutex::new(HashMap::new()),
            limited: Mutex::new(HashMap::new()),
            prebuilt,
            hostile_sessions: Mutex::new(HashSet::new()),
        }
    }

    /// True the first time a hostile session opens `channel`.
    pub(crate) fn first_hostile_session(&self, channel: &str) -> bool {
        lock(&self.hostile_sessions).insert(channel.to_string())
    }

    pub(crate) fn seed(&self) -> u64 {
        self.cfg.seed
    }

    /// Ends every connection now: HTTP connections (and the SSE streams on
    /// them) by aborting their tasks, WebSocket sessions through `kill`.
    pub(crate) fn drop_connections(&self) {
        let handles: Vec<AbortHandle> = lock(&self.conns).drain().map(|(_, h)| h).collect();
        for h in handles {
            h.abort();
        }
        self.kill.send_modify(|g| *g += 1);
    }

    /// The campaign `id` if it exists now or is scheduled within the next
    /// simulated hour.
    pub(crate) fn campaign(&self, id: &str) -> Option<Campaign> {
        let other = scenario::other_campaign(self.seed());
        if other.id == id {
            return Some(other);
        }
        let complaints = scenario::complaint_campaign(self.seed());
        if complaints.id == id {
            return Some(complaints);
        }
        let horizon = self.clock.now() + 3600.0;
        scenario::demo_campaigns_touching(self.seed(), -1e9, horizon)
            .into_iter()
            .find(|c| c.id == id)
    }

    /// Counts a domain-log request against its key's minute. Returns what is
    /// left, or how long to wait when nothing is.
    pub(crate) fn rate_window(&self, key: Option<Account>) -> Result<u32, Duration> {
        let now = Instant::now();
        let mut windows = lock(&self.windows);
        let w = windows.entry(key).or_insert(Window {
            started: now,
            count: 0,
        });
        if now.duration_since(w.started) >= RATE_WINDOW {
            w.started = now;
            w.count = 0;
        }
        if w.count >= RATE_LIMIT {
            return Err(RATE_WINDOW.saturating_sub(now.duration_since(w.started)));
        }
        w.count += 1;
        Ok(RATE_LIMIT - w.count)
    }

    /// limited.example.com: whether this request is served. Every sequence
    /// starts with two 429s; a request at least `Retry-After` after the
    /// latest 429 is then served and starts a new sequence.
    pub(crate) fn limited_gate(&self, account: Account) -> bool {
        let now = Instant::now();
        let mut states = lock(&self.limited);
        let st = states.entry(account).or_default();
        let early = st
            .last_429
            .is_some_and(|t| now.duration_since(t) < Duration::from_secs(LIMITED_RETRY_AFTER));
        if early {
            self.early_requests.fetch_add(1, Ordering::Relaxed);
        }
        if st.strikes >= 2 && !early {
            *st = LimitedState::default();
            true
        } else {
            st.strikes += 1;
            st.last_429 = Some(now);
            false
        }
    }
}

/// Counts an open SSE stream or WebSocket for as long as it lives.
pub(crate) struct ConnGuard(Arc<Shared>);

impl ConnGuard {
    pub(crate) fn new(shared: &Arc<Shared>) -> ConnGuard {
        shared.open.fetch_add(1, Ordering::Relaxed);
        ConnGuard(shared.clone())
    }
}

impl Drop for ConnGuard {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::Relaxed);
    }
}

// ---------------------------------------------------------------------------
// Auth

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Api {
    Blog,
    Mail,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    /// Missing, unknown, or not a key of this API.
    Unauthorized,
    /// Known, but without read scope.
    Forbidden,
}

impl Refused {
    pub(crate) fn response(self) -> Response {
        match self {
            Refused::Unauthorized => json_error(StatusCode::UNAUTHORIZED, "Unauthorized"),
            Refused::Forbidden => {
                json_error(StatusCode::FORBIDDEN, "Forbidden: key lacks read scope")
            }
        }
    }
}

/// The query's pairs, last value winning. A query that does not decode
/// counts as empty: the handlers then see missing parameters.
pub(crate) fn query_pairs(uri: &Uri) -> HashMap<String, String> {
    Query::<Vec<(String, String)>>::try_from_uri(uri)
        .map(|q| q.0.into_iter().collect())
        .unwrap_or_default()
}

/// The account a request's key opens on `api`: `Authorization: Bearer`
/// first, else `?token=`.
pub(crate) fn authenticate(
    headers: &HeaderMap,
    query: &HashMap<String, String>,
    api: Api,
) -> Result<Account, Refused> {
    let from_header = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, key) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| key.trim())
        });
    let key = from_header.or_else(|| query.get("token").map(|s| s.trim()));
    match (api, key) {
        (Api::Blog, Some(DEMO_BLOG_KEY)) | (Api::Mail, Some(DEMO_MAIL_KEY)) => Ok(Account::Demo),
        (Api::Blog, Some(OTHER_BLOG_KEY)) | (Api::Mail, Some(OTHER_MAIL_KEY)) => Ok(Account::Other),
        (Api::Blog, Some(NOSCOPE_BLOG_KEY)) => Err(Refused::Forbidden),
        _ => Err(Refused::Unauthorized),
    }
}

pub(crate) fn json_error(status: StatusCode, message: &str) -> Response {
    json_response(status, serde_json::json!({ "error": message }).to_string())
}

pub(crate) fn json_response(status: StatusCode, body: String) -> Response {
    let mut resp = (status, body).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

// ---------------------------------------------------------------------------
// Serving

async fn count_request(State(shared): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    shared.requests.fetch_add(1, Ordering::Relaxed);
    next.run(req).await
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(
            "/blog/newsletter/issues/{id}/send-stream",
            get(blog::send_stream),
        )
        .route("/mail/ws/inbox", get(mail_ws::inbox))
        .route("/mail/ws/campaigns/{id}", get(mail_ws::campaign))
        .route(
            "/mail/api/domains/{domain}/log/stream",
            get(domain_logs::log_stream),
        )
        .fallback(|| async { json_error(StatusCode::NOT_FOUND, "Not found") })
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            count_request,
        ))
        .with_state(shared)
}

/// Binds with `SO_REUSEADDR`, so a restarted simulator gets its port back
/// while the old connections linger in TIME_WAIT.
pub(crate) fn bind(port: u16) -> std::io::Result<TcpListener> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let socket = TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(1024)
}

pub(crate) async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let app = router(shared.clone());
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(_) => {
                // Out of file descriptors and the like: wait, then go on.
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let conn = hyper::server::conn::http1::Builder::new()
            .serve_connection(TokioIo::new(stream), TowerToHyperService::new(app.clone()))
            .with_upgrades();
        let id = shared.next_conn.fetch_add(1, Ordering::Relaxed);
        let task_shared = shared.clone();
        // The task removes its own entry; holding the lock across spawn and
        // insert makes sure the insert comes first.
        let mut conns = lock(&shared.conns);
        let handle = tokio::spawn(async move {
            let _ = conn.await;
            lock(&task_shared.conns).remove(&id);
        });
        conns.insert(id, handle.abort_handle());
    }
}
