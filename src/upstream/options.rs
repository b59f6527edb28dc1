//! What a client needs besides what it watches: the keys, the endpoints,
//! the retry budget, timeouts and network settings. `config` builds them
//! from flags, the environment and the config file.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use crate::model::endpoints::Endpoints;

/// An API key. It never prints: `Debug` and `Display` show only its kind, so
/// a key cannot leak through an error message, a log line or a panic.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn new(key: impl Into<String>) -> Self {
        ApiKey(key.into().trim().to_string())
    }

    /// The secret itself, for an `Authorization` header and nothing else.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for ApiKey {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(ApiKey::new)
    }
}

impl From<&str> for ApiKey {
    fn from(key: &str) -> Self {
        ApiKey::new(key)
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// How long to wait between reconnect attempts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Backoff {
    pub initial: Duration,
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            initial: Duration::from_millis(500),
            max: Duration::from_secs(30),
        }
    }
}

/// Everything a client task needs besides what it watches.
#[derive(Clone, Debug)]
pub struct ClientOptions {
    pub endpoints: Endpoints,
    pub blog_key: Option<ApiKey>,
    pub mail_key: Option<ApiKey>,
    /// Send the key as `?token=` instead of a header, for proxies that strip
    /// headers. It puts the key into proxy logs, so it is opt-in.
    pub token_in_query: bool,
    /// Consecutive failed attempts before a client gives up; `None` retries
    /// for as long as the dashboard runs.
    pub max_retries: Option<u32>,
    pub backoff: Backoff,
    /// The WebSocket server's ping period; two periods of silence mean the
    /// link is dead.
    pub heartbeat: Duration,
    /// An SSE stream that sends no byte for this long is treated as dead.
    pub sse_read_timeout: Duration,
    /// Largest SSE line/event or WebSocket message accepted.
    pub max_message_bytes: usize,
    /// A PEM file of CA certificates trusted besides the system's.
    pub ca_file: Option<PathBuf>,
    /// The config's `proxy` (overrides the environment; `none` for none).
    pub proxy: Option<String>,
    /// The config's `no_proxy` (overrides `NO_PROXY`).
    pub no_proxy: Option<String>,
    /// Longest wait for a TCP connection (and TLS handshake).
    pub connect_timeout: Duration,
    /// Longest wait for response headers (or a WebSocket handshake's
    /// answer, or a proxy's answer to `CONNECT`).
    pub header_timeout: Duration,
    /// Ready each domain-log batch for the log store on its parse thread.
    /// The headless mode, which stores nothing, turns it off.
    pub prepare_for_store: bool,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            endpoints: Endpoints::default(),
            blog_key: None,
            mail_key: None,
            token_in_query: false,
            max_retries: None,
            backoff: Backoff::default(),
            heartbeat: Duration::from_secs(30),
            sse_read_timeout: Duration::from_secs(90),
            max_message_bytes: 1 << 20,
            ca_file: None,
            proxy: None,
            no_proxy: None,
            connect_timeout: Duration::from_secs(10),
            header_timeout: Duration::from_secs(30),
            prepare_for_store: true,
        }
    }
}
