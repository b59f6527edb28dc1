//! Where the upstreams are and the keys that open them.

use std::fmt;
use std::time::Duration;

pub const DEFAULT_BLOG_URL: &str = "https://api.misar.io/blog";
pub const DEFAULT_MAIL_URL: &str = "https://api.misar.io/mail";
pub const DEFAULT_MAIL_WS_URL: &str = "wss://api.misar.io/mail/ws";

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

/// Base URLs of the three APIs, without a trailing slash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoints {
    pub blog_url: String,
    pub mail_url: String,
    pub mail_ws_url: String,
}

impl Default for Endpoints {
    fn default() -> Self {
        Endpoints {
            blog_url: DEFAULT_BLOG_URL.into(),
            mail_url: DEFAULT_MAIL_URL.into(),
            mail_ws_url: DEFAULT_MAIL_WS_URL.into(),
        }
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
        }
    }
}
