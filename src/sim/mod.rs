//! A stand-in for the three upstream APIs: real HTTP and WebSocket servers
//! on 127.0.0.1, one port, behaving as `shared/upstream/CONTRACT.md` says,
//! auth and ownership included. Its data is deterministic from the seed, so
//! demos and tests see the same world every time.
//!
//! Paths: `/blog/newsletter/issues/{id}/send-stream` (SSE),
//! `/mail/ws/inbox` and `/mail/ws/campaigns/{id}` (WebSocket),
//! `/mail/api/domains/{domain}/log/stream` (SSE).

mod blog;
mod domain_logs;
mod event_types;
pub mod hostile;
mod mail_ws;
mod scenario;
mod server;
mod timestamp;
mod wire;

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::task::JoinHandle;

pub use scenario::{Account, CampaignFate, DomainBehavior, IssueFate};
pub use wire::{LineEnding, WireMode};

use crate::model::endpoints::Endpoints;
use scenario::Epoch;
use server::Shared;

pub const DEMO_BLOG_KEY: &str = "mbk_demo_7f3c9a21e4b84d05a6c1f2e9d8b7a654";
pub const DEMO_MAIL_KEY: &str = "msk_demo_2b8e4f1a9c7d4e63b5a0f9e8d7c6b543";
pub const OTHER_BLOG_KEY: &str = "mbk_other_5d1a7e3c9b2f4a86c4e0d9f8a7b6c321";
pub const OTHER_MAIL_KEY: &str = "msk_other_8c2f6a4e1d9b4c75a3f2e1d0c9b8a765";
/// A known blog key without read scope: answered with 403.
pub const NOSCOPE_BLOG_KEY: &str = "mbk_noscope_1e9d3b7f5a2c4e98b6d4c3a2f1e0d987";

#[derive(Clone, Debug)]
pub struct SimConfig {
    /// 0: any free port.
    pub port: u16,
    pub seed: u64,
    /// Simulated seconds per real second (1.0: demo pace).
    pub speed: f64,
    pub wire: WireMode,
    /// How WebSocket refusals are sent.
    pub ws_refusal: WsRefusal,
    /// Real-time WebSocket ping period.
    pub heartbeat: Duration,
    /// Real time after which a send-stream says `[DONE]` without a terminal
    /// state.
    pub send_stream_cap: Duration,
    /// Accept WebSockets, then never send anything: a dead link.
    pub ws_silent: bool,
    /// Start every WebSocket session with junk (unknown types, invalid
    /// JSON, binary frames), then valid events full of hostile text; the
    /// first session of each channel also gets one frame over the client's
    /// 1 MiB cap. See [`hostile`].
    pub ws_hostile: bool,
    /// Serve bulk.example.com's unfiltered stream from bytes pre-generated
    /// at start (benchmarks).
    pub prebuilt_logs: bool,
    /// The simulated "now" at start; `None`: the wall clock.
    pub epoch: Option<DateTime<Utc>>,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            port: 0,
            seed: 1,
            speed: 1.0,
            wire: WireMode::default(),
            ws_refusal: WsRefusal::default(),
            heartbeat: Duration::from_secs(30),
            send_stream_cap: Duration::from_secs(600),
            ws_silent: false,
            ws_hostile: false,
            prebuilt_logs: false,
            epoch: None,
        }
    }
}

/// How a WebSocket that will not be served is refused. The contract says
/// clients must understand both.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum WsRefusal {
    /// HTTP 403 before the handshake, for a bad key as for another
    /// account's campaign (the vendor doc's words).
    #[default]
    HttpStatus,
    /// Accept, then close with 4401/4403.
    CloseCode,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SimStats {
    /// HTTP requests received, WebSocket upgrades included.
    pub requests: u64,
    /// 429 answers.
    pub rate_limited: u64,
    /// Requests for limited.example.com that came before the last
    /// `Retry-After` had elapsed.
    pub early_requests: u64,
    /// SSE streams and WebSockets open now.
    pub open_connections: u64,
}

/// A running simulator.
pub struct Sim {
    shared: Arc<Shared>,
    addr: SocketAddr,
    accept: JoinHandle<()>,
}

impl Sim {
    /// Binds 127.0.0.1 (with `SO_REUSEADDR`, so a restart can take the same
    /// port at once) and starts serving.
    pub async fn start(cfg: SimConfig) -> std::io::Result<Sim> {
        if !(cfg.speed.is_finite() && cfg.speed > 0.0) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("speed must be a positive number, not {}", cfg.speed),
            ));
        }
        if cfg.heartbeat.is_zero() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "heartbeat must be longer than zero",
            ));
        }
        let listener = server::bind(cfg.port)?;
        let addr = listener.local_addr()?;
        let epoch = Epoch::from_datetime(cfg.epoch.unwrap_or_else(Utc::now));
        let prebuilt = if cfg.prebuilt_logs {
            let (seed, mode) = (cfg.seed, cfg.wire);
            let spec = scenario::domains()
                .into_iter()
                .find(|d| d.name == domain_logs::PREBUILT_DOMAIN);
            match spec {
                Some(spec) => Some(
                    tokio::task::spawn_blocking(move || {
                        domain_logs::render_all(&spec, seed, epoch, mode)
                    })
                    .await
                    .map_err(std::io::Error::other)?
                    .into(),
                ),
                None => None,
            }
        } else {
            None
        };
        let shared = Arc::new(Shared::new(cfg, epoch, prebuilt));
        let accept = tokio::spawn(server::accept_loop(listener, shared.clone()));
        Ok(Sim {
            shared,
            addr,
            accept,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn endpoints(&self) -> Endpoints {
        let a = self.addr;
        Endpoints {
            blog_url: format!("http://{a}/blog"),
            mail_url: format!("http://{a}/mail"),
            mail_ws_url: format!("ws://{a}/mail/ws"),
        }
    }

    pub fn stats(&self) -> SimStats {
        let s = &self.shared;
        SimStats {
            requests: s.requests.load(Ordering::Relaxed),
            rate_limited: s.rate_limited.load(Ordering::Relaxed),
            early_requests: s.early_requests.load(Ordering::Relaxed),
            open_connections: s.open.load(Ordering::Relaxed),
        }
    }

    /// Ends every open SSE stream and WebSocket abruptly (no close frame, no
    /// completion event) and keeps listening.
    pub fn drop_connections(&self) {
        self.shared.drop_connections();
    }

    /// Stops listening and ends every open connection abruptly. When this
    /// returns the port is free.
    pub async fn shutdown(mut self) {
        self.accept.abort();
        let _ = (&mut self.accept).await;
        self.shared.drop_connections();
    }

    /// What exists, for people and tests.
    pub fn catalog(&self) -> Catalog {
        catalog(&self.shared)
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        // A Sim dropped without shutdown() must not leave a listener behind.
        self.accept.abort();
    }
}

// ---------------------------------------------------------------------------
// Catalog

#[derive(Clone, Debug)]
pub struct Catalog {
    pub keys: Vec<CatalogKey>,
    pub issues: Vec<CatalogIssue>,
    pub campaigns: Vec<CatalogCampaign>,
    pub domains: Vec<CatalogDomain>,
}

#[derive(Clone, Debug)]
pub struct CatalogKey {
    pub key: &'static str,
    pub account: Account,
    /// `blog` or `mail`.
    pub api: &'static str,
    pub note: &'static str,
}

#[derive(Clone, Debug)]
pub struct CatalogIssue {
    pub id: &'static str,
    pub account: Account,
    pub total: u64,
    pub fate: IssueFate,
}

#[derive(Clone, Debug)]
pub struct CatalogCampaign {
    pub id: String,
    pub name: String,
    pub account: Account,
    /// Simulated seconds after start (negative: already running at start).
    pub start_secs: f64,
    /// Simulated seconds after start when it completes, fails or is
    /// cancelled.
    pub end_secs: f64,
    pub starts_at: String,
    pub total: u64,
    pub fate: CampaignFate,
    /// What is special about it, for the catalog; empty for most.
    pub note: &'static str,
}

#[derive(Clone, Debug)]
pub struct CatalogDomain {
    pub name: &'static str,
    pub account: Account,
    /// Records that exist at start.
    pub records: u64,
    /// New records per simulated second after start (0: none).
    pub live_per_sec: f64,
    pub behavior: DomainBehavior,
}

/// How many demo campaigns the catalog lists: the first ~8 simulated
/// minutes of the schedule, which goes on forever.
const CATALOG_CAMPAIGNS: u64 = 12;

/// The catalog's note on the complaint campaign.
const COMPLAINT_NOTE: &str = "its complaints (~0.4% of sent) come as inbox `complaint` events \
     naming it (alert: complaint rate)";

fn catalog(shared: &Shared) -> Catalog {
    let keys = vec![
        CatalogKey {
            key: DEMO_BLOG_KEY,
            account: Account::Demo,
            api: "blog",
            note: "demo account",
        },
        CatalogKey {
            key: DEMO_MAIL_KEY,
            account: Account::Demo,
            api: "mail",
            note: "demo account",
        },
        CatalogKey {
            key: OTHER_BLOG_KEY,
            account: Account::Other,
            api: "blog",
            note: "second account",
        },
        CatalogKey {
            key: OTHER_MAIL_KEY,
            account: Account::Other,
            api: "mail",
            note: "second account",
        },
        CatalogKey {
            key: NOSCOPE_BLOG_KEY,
            account: Account::Demo,
            api: "blog",
            note: "no read scope: 403",
        },
    ];
    let issues = shared
        .issues
        .iter()
        .map(|i| CatalogIssue {
            id: i.id,
            account: i.account,
            total: i.total,
            fate: i.fate,
        })
        .collect();
    let epoch = shared.clock.epoch;
    let campaigns = (0..CATALOG_CAMPAIGNS)
        .map(|k| scenario::demo_campaign(shared.seed(), k))
        .chain([
            scenario::complaint_campaign(shared.seed()),
            scenario::other_campaign(shared.seed()),
        ])
        .map(|c| CatalogCampaign {
            note: if c.name == scenario::COMPLAINT_CAMPAIGN_NAME {
                COMPLAINT_NOTE
            } else {
                ""
            },
            starts_at: epoch.rfc3339(c.start),
            id: c.id,
            name: c.name,
            account: c.account,
            start_secs: c.start,
            end_secs: c.end,
            total: c.total,
            fate: c.fate,
        })
        .collect();
    let domains = shared
        .domains
        .iter()
        .map(|d| CatalogDomain {
            name: d.name,
            account: d.account,
            records: d.backlog,
            live_per_sec: d.live_every.map_or(0.0, |e| 1.0 / e),
            behavior: d.behavior,
        })
        .collect();
    Catalog {
        keys,
        issues,
        campaigns,
        domains,
    }
}

impl fmt::Display for Catalog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Keys:")?;
        for k in &self.keys {
            writeln!(f, "  {:<48} {} API, {}", k.key, k.api, k.note)?;
        }
        writeln!(f, "\nNewsletter issues (send progress):")?;
        for i in &self.issues {
            let what = match i.account {
                Account::Demo => i.fate.describe(),
                Account::Other => "second account's: the demo key gets issue_not_found",
            };
            writeln!(f, "  {:<26} {:>8} recipients  {what}", i.id, i.total)?;
        }
        writeln!(
            f,
            "  (any other id)                          issue_not_found"
        )?;
        writeln!(
            f,
            "\nCampaigns (mail WebSocket; times in simulated seconds from start):"
        )?;
        for c in &self.campaigns {
            let owner = match c.account {
                Account::Demo if !c.note.is_empty() => format!("\n{:16}{}", "", c.note),
                Account::Demo => String::new(),
                Account::Other => "  [second account: 403/4403 for the demo key]".to_string(),
            };
            writeln!(
                f,
                "  {}  {:<36} {:>6} recipients  {:>6.0}s..{:>4.0}s  {}{owner}",
                c.id,
                c.name,
                c.total,
                c.start_secs,
                c.end_secs,
                c.fate.as_str()
            )?;
        }
        writeln!(f, "  (one more about every 45 s, forever; most complete)")?;
        writeln!(f, "\nDomains (log stream):")?;
        for d in &self.domains {
            let what = match (d.account, d.behavior) {
                (Account::Other, _) => "second account's: 404 for the demo key".to_string(),
                (_, DomainBehavior::Stalled) => "200, then never a byte".to_string(),
                (_, DomainBehavior::RateLimited) => {
                    "429 (Retry-After: 1) twice per sequence, then served".to_string()
                }
                (_, DomainBehavior::FailsFirst) => "500 on the first request".to_string(),
                (_, DomainBehavior::Hostile) => {
                    "escape sequences, bidi, broken records, a bad batch, >1 MiB event".to_string()
                }
                (_, DomainBehavior::HighBounce) => {
                    "live; ~25% bounced/failed/permanent_fail (alert: domain bounces+failures)"
                        .to_string()
                }
                (_, DomainBehavior::Normal) if d.live_per_sec > 0.0 => "live".to_string(),
                (_, DomainBehavior::Normal) => "past records only".to_string(),
            };
            let live = if d.live_per_sec > 0.0 {
                format!(" + {:.1}/s live", d.live_per_sec)
            } else {
                String::new()
            };
            writeln!(
                f,
                "  {:<22} {:>7} records{live:<14}  {what}",
                d.name, d.records
            )?;
        }
        writeln!(f, "  (any other domain)                      404")
    }
}

/// `export NAME=VALUE` lines, one per setting, that point misar-dash at the
/// simulator with the demo keys. The values are left unquoted: they are
/// 127.0.0.1 URLs and fixed keys, none with a character a shell reads.
fn export_lines(ep: &Endpoints) -> String {
    [
        ("MISAR_BLOG_URL", ep.blog_url.as_str()),
        ("MISAR_MAIL_URL", ep.mail_url.as_str()),
        ("MISAR_MAIL_WS_URL", ep.mail_ws_url.as_str()),
        ("MISAR_BLOG_KEY", DEMO_BLOG_KEY),
        ("MISAR_MAIL_KEY", DEMO_MAIL_KEY),
    ]
    .iter()
    .map(|(name, value)| format!("export {name}={value}\n"))
    .collect()
}

/// `misar-dash sim`: serve until Ctrl-C, telling the user what is where.
pub async fn run_standalone(cfg: SimConfig) -> color_eyre::Result<()> {
    let (speed, seed, wire) = (cfg.speed, cfg.seed, cfg.wire);
    let hostile = if cfg.ws_hostile {
        ", hostile WebSockets"
    } else {
        ""
    };
    let sim = Sim::start(cfg).await?;
    let ep = sim.endpoints();
    println!(
        "misar-dash simulator on {} (seed {seed}, speed {speed}x, wire {wire}{hostile})",
        sim.addr()
    );
    println!("\nTo run misar-dash against it from another shell, paste there:\n");
    print!("{}", export_lines(&ep));
    println!(
        "\nthen run, say, `misar-dash --issue iss-spring-sale --domain shop.example.com`\n\
         or `misar-dash stream logs shop.example.com --limit 100`.\n"
    );
    print!("{}", sim.catalog());
    println!("\nServing until Ctrl-C.");
    tokio::signal::ctrl_c().await?;
    sim.shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn catalog_names_everything_a_demo_needs() {
        let sim = Sim::start(SimConfig::default()).await.unwrap();
        let c = sim.catalog();
        let fates: Vec<IssueFate> = c.issues.iter().map(|i| i.fate).collect();
        for fate in [
            IssueFate::LongRunning,
            IssueFate::Sent,
            IssueFate::Failed,
            IssueFate::Cancelled,
            IssueFate::AlreadySent,
            IssueFate::Flaky,
            IssueFate::HighBounce,
            IssueFate::Stalls,
        ] {
            assert!(fates.contains(&fate), "{fate:?}");
        }
        assert!(c.issues.iter().any(|i| i.account == Account::Other));
        assert!(c.campaigns.iter().any(|c| c.account == Account::Other));
        assert_eq!(c.campaigns.iter().filter(|c| c.start_secs < 0.0).count(), 4);
        assert_eq!(c.domains.len(), 8);
        let text = c.to_string();
        for needle in [
            DEMO_BLOG_KEY,
            NOSCOPE_BLOG_KEY,
            "iss-flaky",
            "bulk.example.com",
            "other.example.org",
            hostile::DOMAIN,
            "iss-cold-list",
            "iss-stuck-import",
            "bounces.example.com",
            "alert: complaint rate",
            "alert: bounce rate",
            "alert: stall",
            "alert: domain bounces",
            c.campaigns[0].id.as_str(),
        ] {
            assert!(text.contains(needle), "{needle} missing from:\n{text}");
        }
        assert!(sim.endpoints().mail_ws_url.starts_with("ws://127.0.0.1:"));
        sim.shutdown().await;
    }

    #[tokio::test]
    async fn bad_settings_are_refused() {
        for cfg in [
            SimConfig {
                speed: 0.0,
                ..SimConfig::default()
            },
            SimConfig {
                speed: f64::NAN,
                ..SimConfig::default()
            },
            SimConfig {
                heartbeat: Duration::ZERO,
                ..SimConfig::default()
            },
        ] {
            let err = Sim::start(cfg).await.err().unwrap();
            assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
        }
    }
}
