//! What the integration tests share: clients run against a real server
//! on 127.0.0.1 (the simulator, or a small server the test starts), the
//! real binary, app states and the screens drawn from them, a TLS front
//! and a proxy, and tmux.

use std::time::{Duration, Instant};

pub mod bin;
pub mod fixture;
pub mod net;
pub mod screen;
pub mod server;
pub mod tmux;

pub use bin::*;
pub use server::*;

use misar_dash::upstream::options::{ApiKey, Backoff, ClientOptions};

use misar_dash::app::logstore::LogStore;
use misar_dash::model::endpoints::Endpoints;
use misar_dash::model::{
    CampaignUpdate, ConnState, InboxEvent, LogBatch, LogQuery, LogRecord, SendProgress, Source,
    StopReason, UpstreamBody, UpstreamEvent,
};
use misar_dash::sim::{self, Account, CampaignFate, CatalogCampaign, Sim, SimConfig};
use misar_dash::upstream::{ClientTask, Upstream};
use tokio::sync::mpsc;

/// A character that must never reach a terminal: the sanitizer's own rule
/// ([`misar_dash::sanitize::is_unsafe`]), not a list of the tests' own
/// that could drift from it.
pub fn forbidden(c: char) -> bool {
    misar_dash::sanitize::is_unsafe(c)
}

/// No line of `text` holds a [`forbidden`] character; `what` names the text.
#[track_caller]
pub fn assert_terminal_safe(what: &str, text: &str) {
    let bad: Vec<char> = text
        .split('\n')
        .flat_map(str::chars)
        .filter(|&c| forbidden(c))
        .collect();
    assert!(bad.is_empty(), "{what} holds {bad:?}:\n{text}");
}

/// The columns of a CSV export, `x` or `stream logs --format csv`, as
/// the README promises them.
pub const CSV_HEADER: &str = "time,type,sender,recipient,subject,tags,smtp_response,message_id";

/// A CSV export's first row is [`CSV_HEADER`].
#[track_caller]
pub fn assert_csv_header<R: std::io::Read>(reader: &mut csv::Reader<R>) {
    let header = reader.headers().expect("a CSV header row");
    assert_eq!(header.iter().collect::<Vec<_>>().join(","), CSV_HEADER);
}

/// Each line of an NDJSON file, parsed.
pub fn read_ndjson(path: &std::path::Path) -> Vec<serde_json::Value> {
    let written =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    written
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect()
}

/// `text` holds each of `parts`; the message shows the text.
#[track_caller]
pub fn assert_contains(text: &str, parts: &[&str]) {
    for part in parts {
        assert!(text.contains(part), "no {part:?} in:\n{text}");
    }
}

/// The detail of a client's stop, which must be of the kind named:
/// `stop_detail!(run, Tls)`, or with the field that holds it,
/// `stop_detail!(run, GaveUp { last_error })`; either may end with a
/// message that tells the case, `stop_detail!(run, Tls, "{flaw:?}")`.
/// Else a panic with the case, the source and what the client did.
macro_rules! stop_detail {
    ($run:expr, $kind:ident) => {
        stop_detail!($run, $kind { detail }, "")
    };
    ($run:expr, $kind:ident, $($case:tt)+) => {
        stop_detail!($run, $kind { detail }, $($case)+)
    };
    ($run:expr, $kind:ident { $field:ident }) => {
        stop_detail!($run, $kind { $field }, "")
    };
    ($run:expr, $kind:ident { $field:ident }, $($case:tt)+) => {
        match $run.stop_reason() {
            Some(misar_dash::model::StopReason::$kind { $field, .. }) => $field.as_str(),
            _ => $run.not_a_stop(stringify!($kind), &format!($($case)+)),
        }
    };
}
pub(crate) use stop_detail;

/// Waits up to `limit` for `done`, looking every 20 ms.
pub async fn wait_until(limit: Duration, done: impl Fn() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

// ---- the simulator -----------------------------------------------------------

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

/// [`sim_config`] changed by `change`: `sim_config_with(|c| c.speed = 200.0)`.
pub fn sim_config_with(change: impl FnOnce(&mut SimConfig)) -> SimConfig {
    let mut cfg = sim_config();
    change(&mut cfg);
    cfg
}

pub async fn start_sim(cfg: SimConfig) -> Sim {
    Sim::start(cfg).await.expect("the simulator starts")
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

/// The simulator answered `times` requests with 429, and saw none come
/// before its `Retry-After` was over.
#[track_caller]
pub fn assert_rate_limited(sim: &Sim, times: u64) {
    let stats = sim.stats();
    let counts = (stats.rate_limited, stats.early_requests);
    assert_eq!(counts, (times, 0), "429s, and requests too early");
}

/// The demo account's campaigns already sending when the simulator starts.
fn running_campaigns(sim: &Sim) -> impl Iterator<Item = CatalogCampaign> {
    sim.catalog()
        .campaigns
        .into_iter()
        .filter(|c| c.account == Account::Demo && c.start_secs <= 0.0)
}

/// The running campaign that ends last: it outlasts a test.
pub fn longest_running_campaign(sim: &Sim) -> String {
    running_campaigns(sim)
        .max_by(|a, b| a.end_secs.total_cmp(&b.end_secs))
        .expect("a campaign running at start")
        .id
}

/// The running campaign that ends first: a stream of it completes soon.
pub fn soonest_ending_campaign(sim: &Sim) -> String {
    running_campaigns(sim)
        .min_by(|a, b| a.end_secs.total_cmp(&b.end_secs))
        .expect("a campaign running at start")
        .id
}

/// The demo account's campaign of this fate that ends first.
pub fn demo_campaign(sim: &Sim, fate: CampaignFate) -> CatalogCampaign {
    sim.catalog()
        .campaigns
        .into_iter()
        .filter(|c| c.account == Account::Demo && c.fate == fate)
        .min_by(|a, b| a.end_secs.total_cmp(&b.end_secs))
        .expect("the catalog has such a campaign")
}

/// A campaign of the other account: not the demo keys' to see.
pub fn other_accounts_campaign(sim: &Sim) -> String {
    sim.catalog()
        .campaigns
        .into_iter()
        .find(|c| c.account == Account::Other)
        .expect("the catalog lists another account's campaign")
        .id
}

/// How many records the simulator holds for domain `name`.
pub fn domain_records(sim: &Sim, name: &str) -> u64 {
    sim.catalog()
        .domains
        .iter()
        .find(|d| d.name == name)
        .expect("the catalog lists the domain")
        .records
}

// ---- the clients ---------------------------------------------------------------

/// Fast reconnects and heartbeats so a test runs in seconds.
pub fn fast_options(sim: &Sim) -> ClientOptions {
    ClientOptions {
        endpoints: sim.endpoints(),
        ..keyed(fast_defaults())
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

/// `opts` with the simulator's demo keys.
pub fn keyed(opts: ClientOptions) -> ClientOptions {
    ClientOptions {
        blog_key: Some(ApiKey::new(sim::DEMO_BLOG_KEY)),
        mail_key: Some(ApiKey::new(sim::DEMO_MAIL_KEY)),
        ..opts
    }
}

/// The three API bases on `host` (an address or `localhost`) and `port`:
/// `scheme` is `http` or `https` (and so `ws` or `wss`).
pub fn endpoints(scheme: &str, host: &str, port: u16) -> Endpoints {
    let ws = if scheme == "https" { "wss" } else { "ws" };
    Endpoints {
        blog_url: format!("{scheme}://{host}:{port}/blog"),
        mail_url: format!("{scheme}://{host}:{port}/mail"),
        mail_ws_url: format!("{ws}://{host}:{port}/mail/ws"),
    }
}

/// A query for at most `n` records.
pub fn at_most(n: u32) -> LogQuery {
    LogQuery {
        limit: Some(n),
        ..LogQuery::default()
    }
}

pub fn domain(name: &str) -> Source {
    Source::DomainLogs {
        domain: name.into(),
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

/// Everything one client of `source` sent, up to its final state, and
/// when each event arrived.
#[derive(Debug)]
pub struct Run {
    pub source: Source,
    pub events: Vec<UpstreamBody>,
    pub arrived: Vec<Instant>,
}

impl Run {
    pub fn new(source: Source) -> Run {
        Run {
            source,
            events: Vec::new(),
            arrived: Vec::new(),
        }
    }

    /// What `pick` takes from each event, in order.
    fn pick<'a, T>(&'a self, pick: impl Fn(&'a UpstreamBody) -> Option<T>) -> Vec<T> {
        self.events.iter().filter_map(pick).collect()
    }

    pub fn states(&self) -> Vec<&ConnState> {
        self.pick(|b| match b {
            UpstreamBody::Conn(s) => Some(s),
            _ => None,
        })
    }

    /// How many times the client was in a state that `is` matches.
    pub fn count_states(&self, is: impl Fn(&ConnState) -> bool) -> usize {
        self.states().into_iter().filter(|s| is(s)).count()
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

    /// For [`stop_detail!`]: the client did not stop as `kind`.
    #[track_caller]
    pub fn not_a_stop(&self, kind: &str, case: &str) -> ! {
        let case = if case.is_empty() {
            String::new()
        } else {
            format!("{case}: ")
        };
        panic!(
            "{case}{}: not a {kind} stop: {:?}",
            self.source,
            self.states()
        )
    }

    /// Why the client finished, asserting that finishing is the last thing
    /// it reported.
    pub fn finished_reason(&self) -> &str {
        match self.events.last() {
            Some(UpstreamBody::Conn(ConnState::Finished { reason })) => reason,
            _ => panic!("{}: did not finish: {:?}", self.source, self.states()),
        }
    }

    pub fn progress(&self) -> Vec<&SendProgress> {
        self.pick(|b| match b {
            UpstreamBody::Progress(p) => Some(p),
            _ => None,
        })
    }

    pub fn inbox(&self) -> Vec<&InboxEvent> {
        self.pick(|b| match b {
            UpstreamBody::Inbox(e) => Some(e),
            _ => None,
        })
    }

    pub fn campaign_updates(&self) -> Vec<&CampaignUpdate> {
        self.pick(|b| match b {
            UpstreamBody::Campaign(u) => Some(u),
            _ => None,
        })
    }

    pub fn records(&self) -> Vec<LogRecord> {
        self.events
            .iter()
            .flat_map(|b| match b {
                UpstreamBody::Logs(r) => batch_records(r),
                _ => Vec::new(),
            })
            .collect()
    }

    pub fn record_ids(&self) -> Vec<String> {
        self.records().into_iter().map(|r| r.id).collect()
    }

    pub fn reconnect_reasons(&self) -> Vec<String> {
        self.pick(|b| match b {
            UpstreamBody::Conn(ConnState::Reconnecting { reason, .. }) => Some(reason.clone()),
            _ => None,
        })
    }

    /// The client's first reconnect was for a reason that says `why`.
    #[track_caller]
    pub fn assert_first_reconnect(&self, why: &str) {
        let reasons = self.reconnect_reasons();
        assert!(
            reasons.first().is_some_and(|r| r.contains(why)),
            "{}: first reconnect not for {why:?}: {:?}",
            self.source,
            self.states()
        );
    }

    /// When the client first went to reconnect, and why.
    pub fn first_reconnect(&self) -> Option<(Instant, String)> {
        self.events
            .iter()
            .zip(&self.arrived)
            .find_map(|(b, at)| match b {
                UpstreamBody::Conn(ConnState::Reconnecting { reason, .. }) => {
                    Some((*at, reason.clone()))
                }
                _ => None,
            })
    }

    /// The details of the events it skipped as malformed.
    pub fn malformed_details(&self) -> Vec<&str> {
        self.pick(|b| match b {
            UpstreamBody::Malformed { detail } => Some(detail.as_str()),
            _ => None,
        })
    }

    pub fn malformed(&self) -> usize {
        self.malformed_details().len()
    }
}

/// One client streaming one source in the background until dropped. It
/// keeps the channel it reports into: a client whose consumer is gone ends
/// by itself.
pub struct Client {
    source: Source,
    task: ClientTask,
    rx: mpsc::Receiver<UpstreamEvent>,
}

impl Client {
    pub fn start(opts: ClientOptions, source: Source, query: LogQuery) -> Client {
        let (tx, rx) = mpsc::channel::<UpstreamEvent>(64);
        let upstream = Upstream::new(opts, tx).expect("client setup");
        let task = upstream.spawn(source.clone(), query);
        Client { source, task, rx }
    }

    /// What the client sends until a final state, until `until` says
    /// stop, or until `limit` passes, whichever comes first.
    pub async fn run_until(&mut self, limit: Duration, mut until: impl FnMut(&Run) -> bool) -> Run {
        let mut run = Run::new(self.source.clone());
        let deadline = tokio::time::Instant::now() + limit;
        while let Ok(Some(event)) = tokio::time::timeout_at(deadline, self.rx.recv()).await {
            let done = matches!(&event.body, UpstreamBody::Conn(s) if s.is_final());
            run.events.push(event.body);
            run.arrived.push(Instant::now());
            if done || until(&run) {
                break;
            }
        }
        run
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Clients of several sources reporting into one channel, as the
/// dashboard's do. They stop when this is dropped.
pub struct Clients {
    upstream: Upstream,
    tasks: Vec<ClientTask>,
    rx: mpsc::Receiver<UpstreamEvent>,
}

impl Clients {
    /// `capacity` is the channel's: a small one keeps the clients at most
    /// a few batches ahead of the test that reads it.
    pub fn start(opts: ClientOptions, capacity: usize) -> Clients {
        let (tx, rx) = mpsc::channel(capacity);
        let upstream = Upstream::new(opts, tx).expect("client setup");
        Clients {
            upstream,
            tasks: Vec::new(),
            rx,
        }
    }

    pub fn spawn(&mut self, source: Source, query: LogQuery) -> &mut Clients {
        self.tasks.push(self.upstream.spawn(source, query));
        self
    }

    /// The next event, if one comes by `deadline`.
    pub async fn next_by(&mut self, deadline: tokio::time::Instant) -> Option<UpstreamEvent> {
        tokio::time::timeout_at(deadline, self.rx.recv())
            .await
            .ok()
            .flatten()
    }

    /// The next event, if one comes within `limit`.
    pub async fn next(&mut self, limit: Duration) -> Option<UpstreamEvent> {
        self.next_by(tokio::time::Instant::now() + limit).await
    }
}

impl Drop for Clients {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
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
    until: impl FnMut(&Run) -> bool,
) -> Run {
    Client::start(opts, source, query)
        .run_until(limit, until)
        .await
}

/// A batch's records: as they came, or, from a batch the client prepared
/// for the log store and kept only that of, as a log store holds them
/// (sanitized), which is what the dashboard shows.
pub fn batch_records(batch: &LogBatch) -> Vec<LogRecord> {
    if batch.has_raw_records() {
        return batch.to_records();
    }
    let mut store = LogStore::new(batch.len());
    store.append(batch.clone());
    (0..store.streamed())
        .filter_map(|seq| store.full_record(seq))
        .collect()
}
