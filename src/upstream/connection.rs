//! The reconnect loop every client shares: connection states, exponential
//! backoff with jitter, the retry budget, and what an HTTP error status means.

use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use tokio::sync::mpsc;

use super::options::{Backoff, ClientOptions};
use super::{ConnState, Source, StopReason, UpstreamBody, UpstreamEvent};

/// The `tracing` target of the network log's lines.
pub const NET_LOG_TARGET: &str = "misar_dash::net";

/// The consumer hung up; the client task ends quietly.
#[derive(Debug)]
pub struct ConsumerGone;

/// The channel end a client reports through, stamped with its source.
#[derive(Clone)]
pub struct Emitter {
    source: Source,
    generation: u64,
    tx: mpsc::Sender<UpstreamEvent>,
}

impl Emitter {
    pub fn new(source: Source, generation: u64, tx: mpsc::Sender<UpstreamEvent>) -> Self {
        Emitter {
            source,
            generation,
            tx,
        }
    }

    pub fn source(&self) -> &Source {
        &self.source
    }

    pub async fn send(&self, body: UpstreamBody) -> Result<(), ConsumerGone> {
        let event = UpstreamEvent {
            source: self.source.clone(),
            generation: self.generation,
            body,
        };
        self.tx.send(event).await.map_err(|_| ConsumerGone)
    }

    /// Reports a connection state, and writes it to the network log: the
    /// record of what each stream's link did, read after the fact.
    pub async fn conn(&self, state: ConnState) -> Result<(), ConsumerGone> {
        self.log(&state.to_string());
        self.send(UpstreamBody::Conn(state)).await
    }

    /// One line in the network log about this stream. `text` must already
    /// be scrubbed of keys; upstream text in it is made safe here.
    pub fn log(&self, text: &str) {
        tracing::info!(
            target: NET_LOG_TARGET,
            "{}: {}",
            crate::sanitize::clean(&self.source.to_string()),
            crate::sanitize::clean(text)
        );
    }

    pub async fn malformed(&self, detail: impl Into<String>) -> Result<(), ConsumerGone> {
        self.send(UpstreamBody::Malformed {
            detail: detail.into(),
        })
        .await
    }
}

/// How one connection ended, and so what the loop does next.
#[derive(Debug)]
pub enum Next {
    /// Connect again after a backoff delay; counts against the budget.
    Retry {
        reason: String,
    },
    /// Connect again at once: the server ended the stream on purpose (the
    /// send-stream's time cap) and nothing is wrong.
    Resume {
        reason: String,
    },
    /// The server asked us to wait (429).
    Wait {
        delay: Duration,
    },
    /// The stream ended by itself.
    Finished {
        reason: String,
    },
    Stop(StopReason),
    ConsumerGone,
}

impl Next {
    /// What ended the connection, as one line (for the benchmarks, which
    /// have no reconnect loop).
    pub fn reason(&self) -> String {
        match self {
            Next::Retry { reason } | Next::Resume { reason } | Next::Finished { reason } => {
                reason.clone()
            }
            Next::Wait { delay } => format!("rate-limited for {}s", delay.as_secs()),
            Next::Stop(stop) => stop.to_string(),
            Next::ConsumerGone => "the consumer went away".into(),
        }
    }
}

impl From<ConsumerGone> for Next {
    fn from(_: ConsumerGone) -> Self {
        Next::ConsumerGone
    }
}

/// One connection attempt of one client.
pub trait Connect: Send {
    /// Runs one connection to its end. Sets `*fresh` once the connection
    /// has delivered something new since the previous one (a changed
    /// progress, a record not seen before, an inbox event), which resets
    /// the retry budget. Pings, a snapshot the same as the last one and a
    /// handshake alone do not: a link that keeps dying without bringing
    /// anything new runs the budget out.
    fn connect(&mut self, out: &Emitter, fresh: &mut bool) -> impl Future<Output = Next> + Send;
}

/// The shortest wait after a 429. `Retry-After` is in whole seconds, so 0
/// means "under a second"; taken literally, a server answering
/// `Retry-After: 0` to every request would get a busy loop of requests.
pub const MIN_RATE_LIMIT_WAIT: Duration = Duration::from_secs(1);

/// A connection that stayed up this long was a working link, even if it
/// brought nothing new (a quiet inbox between restarts of its server).
pub const STABLE_LINK: Duration = Duration::from_secs(300);

/// Runs a client until it finishes, stops, or its consumer goes away.
/// `secrets` (keys, proxy passwords) are taken out of every text it reports.
pub async fn drive(
    mut client: impl Connect,
    out: Emitter,
    opts: &ClientOptions,
    secrets: &[String],
) {
    let mut retry = Retry::new(opts.backoff, opts.max_retries);
    loop {
        if out
            .conn(ConnState::Connecting {
                attempt: retry.attempt(),
            })
            .await
            .is_err()
        {
            return;
        }
        let mut fresh = false;
        let started = tokio::time::Instant::now();
        let next = scrub(client.connect(&out, &mut fresh).await, secrets);
        if fresh || started.elapsed() >= STABLE_LINK {
            retry.reset();
        }
        let state = match next {
            Next::ConsumerGone => return,
            Next::Finished { reason } => {
                let _ = out.conn(ConnState::Finished { reason }).await;
                return;
            }
            Next::Stop(reason) => {
                let _ = out.conn(ConnState::Stopped(reason)).await;
                return;
            }
            Next::Resume { reason } => {
                retry.reset();
                ConnState::Reconnecting {
                    attempt: 1,
                    delay: Duration::ZERO,
                    reason,
                }
            }
            Next::Wait { delay } => ConnState::RateLimited {
                wait: delay.max(MIN_RATE_LIMIT_WAIT),
            },
            Next::Retry { reason } => match retry.fail() {
                Some(delay) => ConnState::Reconnecting {
                    attempt: retry.attempt(),
                    delay,
                    reason,
                },
                None => {
                    let gave_up = StopReason::GaveUp {
                        attempts: retry.failures,
                        last_error: reason,
                    };
                    let _ = out.conn(ConnState::Stopped(gave_up)).await;
                    return;
                }
            },
        };
        let delay = match &state {
            ConnState::Reconnecting { delay, .. } => *delay,
            ConnState::RateLimited { wait } => *wait,
            _ => Duration::ZERO,
        };
        if out.conn(state).await.is_err() {
            return;
        }
        tokio::time::sleep(delay).await;
    }
}

/// Takes the secrets, and anything that looks like a credential, out of
/// the text a connection's end carries: a server or proxy may quote the
/// request (its URL with `?token=`, its `Authorization` header) in an error
/// body, and that text goes to the screen, to stderr and to the log.
fn scrub(next: Next, secrets: &[String]) -> Next {
    let r = |text: String| super::redact::redact_secrets(&text, secrets);
    match next {
        Next::Retry { reason } => Next::Retry { reason: r(reason) },
        Next::Resume { reason } => Next::Resume { reason: r(reason) },
        Next::Finished { reason } => Next::Finished { reason: r(reason) },
        Next::Stop(stop) => Next::Stop(stop.map_text(r)),
        other => other,
    }
}

/// The retry budget and the backoff delays.
pub struct Retry {
    backoff: Backoff,
    max_retries: Option<u32>,
    failures: u32,
    jitter: Jitter,
}

impl Retry {
    pub fn new(backoff: Backoff, max_retries: Option<u32>) -> Self {
        Retry {
            backoff,
            max_retries,
            failures: 0,
            jitter: Jitter::new(),
        }
    }

    /// The number of the next attempt, from 1 after a success.
    pub fn attempt(&self) -> u32 {
        self.failures + 1
    }

    pub fn reset(&mut self) {
        self.failures = 0;
    }

    /// Records a failed attempt: the delay before the next one, or `None`
    /// when the budget is spent.
    pub fn fail(&mut self) -> Option<Duration> {
        self.failures += 1;
        if self.max_retries.is_some_and(|max| self.failures > max) {
            return None;
        }
        Some(backoff_delay(
            self.backoff,
            self.failures,
            self.jitter.next(),
        ))
    }
}

/// Exponential backoff with "equal jitter": half the delay is fixed, half
/// random, so clients that dropped together do not come back together.
/// `unit` is a random number in [0, 1).
pub fn backoff_delay(backoff: Backoff, failures: u32, unit: f64) -> Duration {
    let exp = failures.saturating_sub(1).min(20);
    let full = backoff.initial.saturating_mul(1u32 << exp).min(backoff.max);
    full / 2 + full.mul_f64(unit.clamp(0.0, 1.0) / 2.0)
}

/// A small random source for jitter; cryptographic quality is not needed.
struct Jitter(u64);

impl Jitter {
    fn new() -> Self {
        let seed = std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish();
        Jitter(seed | 1)
    }

    fn next(&mut self) -> f64 {
        // xorshift64
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// What an HTTP error status means for an SSE client. `api` names the API
/// in messages ("blog", "domain-log"); `what` names the thing asked for.
pub fn classify_status(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    api: &str,
    what: &str,
) -> Next {
    let message = error_message(body);
    let detail = |hint: &str| {
        let mut s = format!("HTTP {} from the {api} API", status.as_u16());
        if !message.is_empty() {
            s.push_str(&format!(": {message}"));
        }
        if !hint.is_empty() {
            s.push_str(&format!(" ({hint})"));
        }
        s
    };
    match status.as_u16() {
        400 => Next::Stop(StopReason::BadQuery { detail: detail("") }),
        401 | 403 => Next::Stop(StopReason::KeyRefused {
            detail: detail("check the key"),
        }),
        404 => Next::Stop(StopReason::NotFound {
            detail: detail(&format!("{what} does not exist or is not this account's")),
        }),
        429 => Next::Wait {
            delay: retry_after(headers).unwrap_or(Duration::from_secs(60)),
        },
        _ => Next::Retry { reason: detail("") },
    }
}

/// One read of an SSE body, with the read timeout applied: a chunk, the
/// end of the body, or why the connection is given up (silence past the
/// timeout, a transport error).
pub(super) async fn read_body_chunk(
    body: &mut (impl futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Unpin),
    timeout: Duration,
    net: &super::network::Network,
    url: &reqwest::Url,
) -> Result<Option<bytes::Bytes>, Next> {
    use futures_util::StreamExt;
    match tokio::time::timeout(timeout, body.next()).await {
        Err(_) => Err(Next::Retry {
            reason: format!("no data for {}s: the link looks dead", timeout.as_secs()),
        }),
        Ok(None) => Ok(None),
        Ok(Some(Err(e))) => Err(net.http_failure(&e, url)),
        Ok(Some(Ok(chunk))) => Ok(Some(chunk)),
    }
}

/// `Retry-After` as seconds (the only form this API sends).
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    header_u64(headers, "retry-after").map(Duration::from_secs)
}

pub fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

/// The human part of an error body: `error` or `message` of a JSON object,
/// else the text itself; cleaned and cut short either way.
pub fn error_message(body: &[u8]) -> String {
    let parsed: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let text = match parsed
        .as_ref()
        .and_then(|v| v.get("error").or_else(|| v.get("message")))
    {
        Some(serde_json::Value::String(s)) => s.clone(),
        _ => String::from_utf8_lossy(body).trim().to_string(),
    };
    let clean: String = text.chars().filter(|c| !c.is_control()).take(200).collect();
    clean
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_with_half_jitter() {
        let b = Backoff {
            initial: Duration::from_millis(100),
            max: Duration::from_secs(1),
        };
        assert_eq!(backoff_delay(b, 1, 0.0), Duration::from_millis(50));
        assert_eq!(
            backoff_delay(b, 1, 0.999_999),
            Duration::from_micros(99_999) + Duration::from_nanos(950)
        );
        assert_eq!(backoff_delay(b, 3, 0.0), Duration::from_millis(200));
        assert_eq!(backoff_delay(b, 30, 0.0), Duration::from_millis(500));
        assert!(backoff_delay(b, 30, 0.5) <= b.max);
    }

    #[test]
    fn retry_budget_runs_out_after_max_retries() {
        let mut r = Retry::new(Backoff::default(), Some(2));
        assert!(r.fail().is_some());
        assert!(r.fail().is_some());
        assert!(r.fail().is_none());
        r.reset();
        assert_eq!(r.attempt(), 1);
    }

    #[test]
    fn status_classification_follows_the_contract() {
        let h = HeaderMap::new();
        let next = |s: u16| {
            classify_status(
                StatusCode::from_u16(s).unwrap(),
                &h,
                b"{\"error\":\"Nope\"}",
                "domain-log",
                "domain x",
            )
        };
        assert!(matches!(next(400), Next::Stop(StopReason::BadQuery { .. })));
        assert!(matches!(
            next(401),
            Next::Stop(StopReason::KeyRefused { .. })
        ));
        assert!(matches!(
            next(403),
            Next::Stop(StopReason::KeyRefused { .. })
        ));
        assert!(matches!(next(404), Next::Stop(StopReason::NotFound { .. })));
        assert!(matches!(next(500), Next::Retry { .. }));
        let mut h = HeaderMap::new();
        h.insert("retry-after", "7".parse().unwrap());
        let n = classify_status(StatusCode::TOO_MANY_REQUESTS, &h, b"", "x", "y");
        assert!(matches!(n, Next::Wait { delay } if delay == Duration::from_secs(7)));
    }

    #[test]
    fn error_message_prefers_the_json_error_and_strips_controls() {
        assert_eq!(
            error_message(b"{\"error\":\"Unknown\\u001b[31m\"}"),
            "Unknown[31m"
        );
        assert_eq!(
            error_message(b"{\"success\":false,\"message\":\"Too many\"}"),
            "Too many"
        );
        assert_eq!(error_message(b"plain"), "plain");
    }
}
