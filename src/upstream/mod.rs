//! The clients of the three upstream APIs, and the registry of the ones
//! running ([`Watches`]). Each client is a tokio task that sends
//! [`UpstreamEvent`]s into one channel; the app reducer (or the headless
//! printer) consumes them.

pub mod connection;
pub mod domain_logs;
pub mod mail_ws;
pub mod network;
pub mod options;
pub mod proxy;
pub mod redact;
pub mod send_progress;
pub mod sse;
pub mod tls;

use crate::model::{
    ConnState, InboxEvent, LogQuery, Source, StopReason, UpstreamBody, UpstreamEvent,
};

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use color_eyre::eyre::Result;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use connection::Emitter;
use options::ClientOptions;

/// The way to start clients: options, the network setup they share (one
/// TLS config, one proxy choice, one HTTP connection pool), and the channel
/// every client reports into.
#[derive(Clone)]
pub struct Upstream {
    opts: Arc<ClientOptions>,
    net: Arc<network::Network>,
    tx: mpsc::Sender<UpstreamEvent>,
    next_generation: Arc<AtomicU64>,
}

/// A running client task.
pub struct ClientTask {
    pub generation: u64,
    handle: JoinHandle<()>,
}

impl ClientTask {
    pub fn abort(&self) {
        self.handle.abort();
    }

    pub fn is_finished(&self) -> bool {
        self.handle.is_finished()
    }
}

impl Upstream {
    /// Fails, saying why, on a `ca_file` that cannot be read or a proxy
    /// setting that is not an `http://` proxy.
    pub fn new(opts: ClientOptions, tx: mpsc::Sender<UpstreamEvent>) -> Result<Self> {
        Ok(Upstream {
            net: Arc::new(network::Network::new(&opts)?),
            opts: Arc::new(opts),
            tx,
            next_generation: Arc::new(AtomicU64::new(1)),
        })
    }

    /// The proxy any of the three APIs goes through, as `host:port`.
    pub fn proxy_label(&self) -> Option<String> {
        let e = &self.opts.endpoints;
        self.net.proxy_label([
            e.blog_url.as_str(),
            e.mail_url.as_str(),
            e.mail_ws_url.as_str(),
        ])
    }

    pub fn options(&self) -> &ClientOptions {
        &self.opts
    }

    /// Everything that must never be shown: both keys and every proxy
    /// password.
    fn secrets(&self) -> Arc<Vec<String>> {
        let keys = [self.opts.blog_key.as_ref(), self.opts.mail_key.as_ref()]
            .into_iter()
            .flatten()
            .map(|k| k.expose().to_string());
        Arc::new(keys.chain(self.net.proxies.secrets()).collect())
    }

    /// Starts the client for `source`. Domain logs use `query`.
    pub fn spawn(&self, source: Source, query: LogQuery) -> ClientTask {
        let generation = self.next_generation.fetch_add(1, Ordering::Relaxed);
        let out = Emitter::new(source.clone(), generation, self.tx.clone());
        let opts = self.opts.clone();
        let net = self.net.clone();
        let secrets = self.secrets();
        let handle = match source {
            Source::SendProgress { issue_id } => tokio::spawn(async move {
                let client = send_progress::SendProgressClient::new(opts.clone(), net, issue_id);
                connection::drive(client, out, &opts, &secrets).await;
            }),
            Source::Inbox => tokio::spawn(async move {
                let client = mail_ws::MailWsClient::inbox(opts.clone(), net);
                connection::drive(client, out, &opts, &secrets).await;
            }),
            Source::Campaign { campaign_id } => tokio::spawn(async move {
                let client = mail_ws::MailWsClient::campaign(opts.clone(), net, campaign_id);
                connection::drive(client, out, &opts, &secrets).await;
            }),
            Source::DomainLogs { domain } => tokio::spawn(async move {
                let client = domain_logs::DomainLogsClient::new(opts.clone(), net, domain, query);
                connection::drive(client, out, &opts, &secrets).await;
            }),
        };
        ClientTask { generation, handle }
    }
}

/// The streams being watched, by source: what `a` and `d` in the dashboard
/// add and remove. Dropping it stops every client.
pub struct Watches {
    upstream: Upstream,
    running: HashMap<Source, ClientTask>,
}

impl Watches {
    pub fn new(upstream: Upstream) -> Self {
        Watches {
            upstream,
            running: HashMap::new(),
        }
    }

    /// Starts watching `source`, restarting it if it was already watched
    /// (a new log query re-opens the stream).
    pub fn watch(&mut self, source: Source, query: LogQuery) {
        self.unwatch(&source);
        let stream = self.upstream.spawn(source.clone(), query);
        self.running.insert(source, stream);
    }

    pub fn unwatch(&mut self, source: &Source) {
        if let Some(stream) = self.running.remove(source) {
            stream.abort();
        }
    }

    /// True when `event` comes from the stream now watched for its source,
    /// not from one since replaced or stopped.
    pub fn is_current(&self, event: &UpstreamEvent) -> bool {
        self.running
            .get(&event.source)
            .is_some_and(|s| s.generation == event.generation)
    }

    pub fn is_watching(&self, source: &Source) -> bool {
        self.running.contains_key(source)
    }

    /// Client tasks still running, for leak checks.
    pub fn running(&self) -> usize {
        self.running.values().filter(|s| !s.is_finished()).count()
    }

    /// Whether another campaign may be followed: fewer than
    /// [`MAX_FOLLOWED_CAMPAIGNS`] campaign streams are running.
    pub fn may_follow(&self) -> bool {
        let campaigns = self
            .running
            .iter()
            .filter(|(source, s)| matches!(source, Source::Campaign { .. }) && !s.is_finished())
            .count();
        campaigns < MAX_FOLLOWED_CAMPAIGNS
    }
}

impl Drop for Watches {
    fn drop(&mut self) {
        for stream in self.running.values() {
            stream.abort();
        }
    }
}

/// Longest campaign id followed from an inbox announcement.
const MAX_FOLLOWED_ID_BYTES: usize = 128;
/// Campaign streams that may be open at once before announcements stop
/// being followed: a hostile inbox must not make the dashboard open
/// thousands of connections.
pub const MAX_FOLLOWED_CAMPAIGNS: usize = 64;

/// With `follow campaigns` on, a `campaign_started` on the inbox names a
/// campaign to start watching. An id no real campaign has (blank, longer
/// than 128 bytes, holding spaces, controls or other characters that
/// [`crate::sanitize::clean`] removes) is not followed.
pub fn campaign_to_follow(event: &UpstreamEvent) -> Option<Source> {
    match &event.body {
        UpstreamBody::Inbox(InboxEvent::CampaignStarted(c)) => {
            let id = c.campaign_id.as_str();
            let plausible = !id.is_empty()
                && id.len() <= MAX_FOLLOWED_ID_BYTES
                && !id.chars().any(char::is_whitespace)
                && crate::sanitize::clean(id) == id;
            plausible.then(|| Source::Campaign {
                campaign_id: id.to_string(),
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plausible_campaign_ids_are_followed() {
        let started = |id: &str| UpstreamEvent {
            source: Source::Inbox,
            generation: 1,
            body: UpstreamBody::Inbox(InboxEvent::CampaignStarted(
                crate::model::mail::InboxCampaign {
                    campaign_id: id.into(),
                    ..Default::default()
                },
            )),
        };
        assert_eq!(
            campaign_to_follow(&started("cmp-2585859f")),
            Some(Source::Campaign {
                campaign_id: "cmp-2585859f".into()
            })
        );
        let long = "c".repeat(129);
        for id in [
            "",
            "cmp x",
            "cmp\u{1b}]0;t\u{7}",
            "cmp\u{202e}1",
            long.as_str(),
        ] {
            assert_eq!(campaign_to_follow(&started(id)), None, "{id:?}");
        }
    }
}
