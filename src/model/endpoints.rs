//! Where the three APIs are.

pub const DEFAULT_BLOG_URL: &str = "https://api.misar.io/blog";
pub const DEFAULT_MAIL_URL: &str = "https://api.misar.io/mail";
pub const DEFAULT_MAIL_WS_URL: &str = "wss://api.misar.io/mail/ws";

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
