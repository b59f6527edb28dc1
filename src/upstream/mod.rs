//! The three upstream APIs. Each client is a tokio task that sends
//! [`UpstreamEvent`]s into one channel; the app reducer (or the headless
//! printer) consumes them.

pub mod backoff;
pub mod domain_logs;
pub mod mail_ws;
pub mod send_progress;
pub mod sse;

use std::fmt;
use std::time::Duration;

pub use domain_logs::{LogEventType, LogQuery, LogRecord};
pub use mail_ws::{CampaignUpdate, CampaignUpdateKind, InboxEvent};
pub use send_progress::{SendProgress, SendStatus};

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

/// One thing that happened on one stream.
#[derive(Clone, Debug, PartialEq)]
pub struct UpstreamEvent {
    pub source: Source,
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
    Logs(Vec<LogRecord>),
    /// The domain-log stream said it is complete; `total` is what the server
    /// counted, when it said.
    LogsComplete { total: Option<u64> },
    /// Rate-limit headers of the latest domain-log response.
    RateLimit {
        limit: Option<u64>,
        remaining: Option<u64>,
    },
    /// Something arrived that could not be understood. It was skipped.
    Malformed { detail: String },
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
}

impl StopReason {
    /// The headless mode's exit code for this reason.
    pub fn exit_code(&self) -> i32 {
        match self {
            StopReason::BadQuery { .. } => 2,
            StopReason::NoKey { .. } | StopReason::KeyRefused { .. } => 3,
            StopReason::NotFound { .. } => 4,
            StopReason::GaveUp { .. } => 5,
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
