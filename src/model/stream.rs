//! Which stream, what its connection is doing, and the events a stream
//! sends: the words every part uses about a stream (the clients report
//! them, the reducer keeps them, the panes and the headless mode show
//! them).

use std::fmt;
use std::time::Duration;

use crate::model::log::LogBatch;
use crate::model::mail::{CampaignUpdate, InboxEvent};
use crate::model::send::SendProgress;

/// Which stream an event came from. One client task per source.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Source {
    SendProgress { issue_id: String },
    Inbox,
    Campaign { campaign_id: String },
    DomainLogs { domain: String },
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::SendProgress { issue_id } => write!(f, "issue {issue_id}"),
            Source::Inbox => f.write_str("inbox"),
            Source::Campaign { campaign_id } => write!(f, "campaign {campaign_id}"),
            Source::DomainLogs { domain } => write!(f, "logs {domain}"),
        }
    }
}

/// The state of one stream's connection, as a person would want to know it.
#[derive(Clone, Debug, PartialEq)]
pub enum ConnState {
    /// Opening a connection; `attempt` counts from 1 since the last success.
    Connecting { attempt: u32 },
    /// Connected and receiving.
    Live,
    /// The connection failed or dropped; the next attempt starts after
    /// `delay`.
    Reconnecting {
        attempt: u32,
        delay: Duration,
        reason: String,
    },
    /// The server said to wait (HTTP 429 `Retry-After`).
    RateLimited { wait: Duration },
    /// The stream ended by itself (terminal state, completion). Not retried.
    Finished { reason: String },
    /// The client gave up. Not retried.
    Stopped(StopReason),
}

impl ConnState {
    /// True when no more events will come from this stream.
    pub fn is_final(&self) -> bool {
        matches!(self, ConnState::Finished { .. } | ConnState::Stopped(_))
    }

    /// The same state with each text it carries passed through `f`, as
    /// [`StopReason::map_text`] does for a stop.
    pub fn map_text(self, mut f: impl FnMut(String) -> String) -> ConnState {
        match self {
            ConnState::Reconnecting {
                attempt,
                delay,
                reason,
            } => ConnState::Reconnecting {
                attempt,
                delay,
                reason: f(reason),
            },
            ConnState::Finished { reason } => ConnState::Finished { reason: f(reason) },
            ConnState::Stopped(reason) => ConnState::Stopped(reason.map_text(f)),
            other => other,
        }
    }
}

/// Why a client stopped, in terms a person can act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// No key configured for this API.
    NoKey { detail: String },
    /// HTTP 401/403 or close code 4401: the key was refused.
    KeyRefused { detail: String },
    /// The issue, campaign or domain does not exist or is another account's.
    NotFound { detail: String },
    /// The query was rejected (by validation or HTTP 400).
    BadQuery { detail: String },
    /// `max_retries` consecutive attempts failed.
    GaveUp { attempts: u32, last_error: String },
    /// The server's certificate is not trusted (unknown issuer, expired,
    /// for another host) or TLS could not be agreed: not a flaky link.
    Tls { detail: String },
    /// The proxy refused us (407: its credentials are missing or wrong) or
    /// cannot be used as configured.
    Proxy { detail: String },
    /// The API redirected to another origin; following would send the key
    /// there.
    Redirected { detail: String },
}

impl StopReason {
    /// The headless mode's exit code for this reason.
    pub fn exit_code(&self) -> i32 {
        match self {
            StopReason::BadQuery { .. } => 2,
            StopReason::NoKey { .. } | StopReason::KeyRefused { .. } => 3,
            StopReason::NotFound { .. } => 4,
            StopReason::GaveUp { .. } => 5,
            StopReason::Tls { .. } => 6,
            StopReason::Proxy { .. } => 7,
            StopReason::Redirected { .. } => 8,
        }
    }

    /// The same reason with each text it carries passed through `f`: how
    /// keys are scrubbed from it and upstream text is made safe.
    pub fn map_text(self, mut f: impl FnMut(String) -> String) -> StopReason {
        match self {
            StopReason::NoKey { detail } => StopReason::NoKey { detail: f(detail) },
            StopReason::KeyRefused { detail } => StopReason::KeyRefused { detail: f(detail) },
            StopReason::NotFound { detail } => StopReason::NotFound { detail: f(detail) },
            StopReason::BadQuery { detail } => StopReason::BadQuery { detail: f(detail) },
            StopReason::GaveUp {
                attempts,
                last_error,
            } => StopReason::GaveUp {
                attempts,
                last_error: f(last_error),
            },
            StopReason::Tls { detail } => StopReason::Tls { detail: f(detail) },
            StopReason::Proxy { detail } => StopReason::Proxy { detail: f(detail) },
            StopReason::Redirected { detail } => StopReason::Redirected { detail: f(detail) },
        }
    }
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StopReason::NoKey { detail } => write!(f, "no key: {detail}"),
            StopReason::KeyRefused { detail } => write!(f, "key refused: {detail}"),
            StopReason::NotFound { detail } => write!(f, "not found or not yours: {detail}"),
            StopReason::BadQuery { detail } => write!(f, "bad query: {detail}"),
            StopReason::GaveUp {
                attempts,
                last_error,
            } => write!(f, "gave up after {attempts} attempts: {last_error}"),
            StopReason::Tls { detail } => write!(f, "TLS: {detail}"),
            StopReason::Proxy { detail } => write!(f, "proxy: {detail}"),
            StopReason::Redirected { detail } => write!(f, "redirect not followed: {detail}"),
        }
    }
}

impl fmt::Display for ConnState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnState::Connecting { attempt: 1 } => f.write_str("connecting"),
            ConnState::Connecting { attempt } => write!(f, "connecting (attempt {attempt})"),
            ConnState::Live => f.write_str("live"),
            ConnState::Reconnecting {
                attempt,
                delay,
                reason,
            } => write!(
                f,
                "reconnecting (attempt {attempt}) in {:.1}s: {reason}",
                delay.as_secs_f64()
            ),
            ConnState::RateLimited { wait } => {
                write!(f, "rate-limited: waiting {}s", wait.as_secs_f64().ceil())
            }
            ConnState::Finished { reason } => write!(f, "finished: {reason}"),
            ConnState::Stopped(reason) => write!(f, "stopped: {reason}"),
        }
    }
}

/// One thing that happened on one stream.
#[derive(Clone, Debug, PartialEq)]
pub struct UpstreamEvent {
    pub source: Source,
    /// Which start of this source's stream sent it. A stream re-opened with
    /// a new query (or stopped) may still have events in the channel; the
    /// loop drops those by generation (see `upstream::Watches::is_current`).
    pub generation: u64,
    pub body: UpstreamBody,
}

#[derive(Clone, Debug, PartialEq)]
pub enum UpstreamBody {
    /// The connection changed state.
    Conn(ConnState),
    Progress(SendProgress),
    Inbox(InboxEvent),
    Campaign(CampaignUpdate),
    /// Domain-log records, in the order received, deduplicated across
    /// reconnects.
    Logs(LogBatch),
    /// The domain-log stream said it is complete; `total` is what the server
    /// counted, when it said.
    LogsComplete {
        total: Option<u64>,
    },
    /// Rate-limit headers of the latest domain-log response.
    RateLimit {
        limit: Option<u64>,
        remaining: Option<u64>,
    },
    /// Something arrived that could not be understood. It was skipped.
    Malformed {
        detail: String,
    },
}
