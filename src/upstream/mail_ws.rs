//! Mail events over WebSocket: the inbox channel (`{ws}/inbox`) and one
//! channel per campaign (`{ws}/campaigns/{id}`).

use crate::model::mail::{CampaignUpdate, CampaignUpdateKind, InboxEvent};

use std::sync::Arc;

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{self, Message};

use super::connection::{Connect, ConsumerGone, Emitter, Next, error_message};
use super::network::endpoint_url;
use super::network::{MAX_REDIRECTS, Network, host_port, redirect_stop, same_origin, secs};
use super::options::ClientOptions;
use super::redact::redact;
use super::{StopReason, UpstreamBody};

/// Which channel a [`MailWsClient`] follows.
enum Channel {
    Inbox,
    Campaign {
        id: String,
        /// The terminal update, once seen; the close that follows it is the
        /// normal end.
        terminal: Option<CampaignUpdateKind>,
        /// The last update delivered, on this connection or an earlier
        /// one: the snapshot sent on connect is nothing new if it is this.
        last: Option<Box<CampaignUpdate>>,
    },
}

/// Follows the inbox channel or one campaign channel.
pub struct MailWsClient {
    opts: Arc<ClientOptions>,
    net: Arc<Network>,
    channel: Channel,
}

impl MailWsClient {
    pub fn inbox(opts: Arc<ClientOptions>, net: Arc<Network>) -> Self {
        MailWsClient {
            opts,
            net,
            channel: Channel::Inbox,
        }
    }

    pub fn campaign(opts: Arc<ClientOptions>, net: Arc<Network>, campaign_id: String) -> Self {
        MailWsClient {
            opts,
            net,
            channel: Channel::Campaign {
                id: campaign_id,
                terminal: None,
                last: None,
            },
        }
    }

    fn what(&self) -> String {
        match &self.channel {
            Channel::Inbox => "the inbox".into(),
            Channel::Campaign { id, .. } => format!("campaign {id}"),
        }
    }

    fn finished(&self) -> Option<Next> {
        match &self.channel {
            Channel::Campaign {
                terminal: Some(kind),
                ..
            } => Some(Next::Finished {
                reason: format!("campaign {}", kind.as_str()),
            }),
            _ => None,
        }
    }

    /// A refusal before the handshake: 401/403, or 404 for a campaign.
    ///
    /// The vendor doc gives a campaign channel one answer for two causes:
    /// "An unauthenticated or unauthorized request receives HTTP 403 before
    /// the WebSocket handshake completes". A 403 there stays "not this
    /// account's" (exit 4, as 4403 is), but its message names the key too,
    /// since the status cannot tell a bad key from another account's
    /// campaign. On the inbox, which has no owner to check, 403 is the key.
    fn refused(&self, status: u16, body: &[u8]) -> Next {
        let message = error_message(body);
        let mut detail = format!("HTTP {status} from the mail WebSocket");
        if !message.is_empty() {
            detail.push_str(&format!(": {message}"));
        }
        match (&self.channel, status) {
            (Channel::Campaign { id, .. }, 403) => Next::Stop(StopReason::NotFound {
                detail: format!(
                    "{detail} (campaign {id} is not this account's, or the mail key is missing \
                     or invalid: the API answers 403 to both; check the key)"
                ),
            }),
            (Channel::Campaign { id, .. }, 404) => Next::Stop(StopReason::NotFound {
                detail: format!("{detail} (campaign {id} is not this account's)"),
            }),
            (_, 401 | 403) => Next::Stop(StopReason::KeyRefused {
                detail: format!("{detail} (check the key)"),
            }),
            _ => Next::Retry { reason: detail },
        }
    }

    fn closed(&self, code: u16, reason: &str) -> Next {
        if let Some(done) = self.finished() {
            return done;
        }
        let said = if reason.is_empty() {
            String::new()
        } else {
            format!(
                ": {}",
                reason
                    .chars()
                    .filter(|c| !c.is_control())
                    .take(120)
                    .collect::<String>()
            )
        };
        match code {
            4401 => Next::Stop(StopReason::KeyRefused {
                detail: format!(
                    "the mail WebSocket closed with 4401 unauthorized{said} (check the key)"
                ),
            }),
            4403 => Next::Stop(StopReason::NotFound {
                detail: format!(
                    "the mail WebSocket closed with 4403 forbidden{said} ({} is not this account's)",
                    self.what()
                ),
            }),
            1001 => Next::Retry {
                reason: format!("server restart or missed heartbeat (1001){said}"),
            },
            _ => Next::Retry {
                reason: format!("the server closed the connection ({code}){said}"),
            },
        }
    }

    async fn on_text(
        &mut self,
        text: &str,
        out: &Emitter,
        fresh: &mut bool,
    ) -> Result<(), ConsumerGone> {
        match &mut self.channel {
            Channel::Inbox => match serde_json::from_str::<InboxEvent>(text) {
                Ok(event) => {
                    *fresh = true;
                    out.send(UpstreamBody::Inbox(event)).await
                }
                Err(e) => out.malformed(format!("inbox message skipped: {e}")).await,
            },
            Channel::Campaign { terminal, last, .. } => {
                match serde_json::from_str::<CampaignUpdate>(text) {
                    Ok(update) => {
                        if last.as_deref() != Some(&update) {
                            *fresh = true;
                            *last = Some(Box::new(update.clone()));
                        }
                        if update.kind.is_terminal() {
                            *terminal = Some(update.kind);
                        }
                        out.send(UpstreamBody::Campaign(update)).await
                    }
                    Err(e) => {
                        out.malformed(format!("campaign message skipped: {e}"))
                            .await
                    }
                }
            }
        }
    }
}

impl MailWsClient {
    /// The handshake request for `url`: the key as a header, or in the
    /// query when the user opted into that.
    fn request(
        &self,
        mut url: reqwest::Url,
        key: &super::options::ApiKey,
    ) -> Result<tungstenite::handshake::client::Request, Next> {
        if self.opts.token_in_query && !url.query_pairs().any(|(k, _)| k == "token") {
            url.query_pairs_mut().append_pair("token", key.expose());
        }
        let mut request = url.as_str().into_client_request().map_err(|e| {
            Next::Stop(StopReason::BadQuery {
                detail: redact(format!("bad WebSocket URL: {e}"), Some(key)),
            })
        })?;
        if !self.opts.token_in_query {
            let value = format!("Bearer {}", key.expose()).parse().map_err(|_| {
                Next::Stop(StopReason::KeyRefused {
                    detail: "the key holds characters a header cannot carry".into(),
                })
            })?;
            request.headers_mut().insert("authorization", value);
        }
        Ok(request)
    }

    /// Opens the channel at `url`: the transport (proxy, TLS), then the
    /// WebSocket handshake, following same-origin redirects.
    async fn open(
        &self,
        mut url: reqwest::Url,
        key: &super::options::ApiKey,
        out: &Emitter,
    ) -> Result<tokio_tungstenite::WebSocketStream<Box<dyn super::network::Io>>, Next> {
        let config = WebSocketConfig::default()
            .max_message_size(Some(self.opts.max_message_bytes))
            .max_frame_size(Some(self.opts.max_message_bytes));
        for _ in 0..=MAX_REDIRECTS {
            let stream = self.net.open(&url).await?;
            let request = self.request(url.clone(), key)?;
            let handshake =
                tokio_tungstenite::client_async_with_config(request, stream, Some(config));
            let timeout = self.net.header_timeout;
            let response = match tokio::time::timeout(timeout, handshake).await {
                Err(_) => {
                    return Err(Next::Retry {
                        reason: format!(
                            "no WebSocket handshake answer from {} in {}",
                            host_port(&url),
                            secs(timeout)
                        ),
                    });
                }
                Ok(Ok((ws, _))) => {
                    out.log(&format!("HTTP 101 from {}", host_port(&url)));
                    return Ok(ws);
                }
                Ok(Err(tungstenite::Error::Http(response))) => response,
                Ok(Err(e)) => {
                    return Err(Next::Retry {
                        reason: redact(describe_ws_error(&e), Some(key)),
                    });
                }
            };
            let status = response.status().as_u16();
            out.log(&format!("HTTP {status} from {}", host_port(&url)));
            if !response.status().is_redirection() {
                let body = response.body().clone().unwrap_or_default();
                return Err(self.refused(status, &body));
            }
            let location = response
                .headers()
                .get("location")
                .and_then(|l| l.to_str().ok());
            match location.and_then(|l| url.join(l).ok()) {
                Some(to) if same_origin(&url, &to) => url = to,
                _ => return Err(Next::Stop(redirect_stop("mail WebSocket", &url, location))),
            }
        }
        Err(Next::Stop(redirect_stop(
            "mail WebSocket",
            &url,
            Some(url.as_str()),
        )))
    }
}

impl Connect for MailWsClient {
    async fn connect(&mut self, out: &Emitter, fresh: &mut bool) -> Next {
        let opts = self.opts.clone();
        let Some(key) = opts.mail_key.as_ref() else {
            return Next::Stop(StopReason::NoKey {
                detail: "set MISAR_MAIL_KEY (or mail_key in the config file)".into(),
            });
        };
        let segments: Vec<&str> = match &self.channel {
            Channel::Inbox => vec!["inbox"],
            Channel::Campaign { id, .. } => vec!["campaigns", id],
        };
        let url = match endpoint_url(&opts.endpoints.mail_ws_url, &segments) {
            Ok(url) => url,
            Err(e) => return Next::Stop(StopReason::BadQuery { detail: e }),
        };
        let mut ws = match self.open(url, key, out).await {
            Ok(ws) => ws,
            Err(next) => return next,
        };
        if out.conn(super::ConnState::Live).await.is_err() {
            return Next::ConsumerGone;
        }
        // The server pings every heartbeat; two periods of silence mean the
        // link is dead even though TCP has not noticed.
        let silence = opts.heartbeat * 2;
        loop {
            let message = match tokio::time::timeout(silence, ws.next()).await {
                Err(_) => {
                    return Next::Retry {
                        reason: format!(
                            "no ping or message for {}s: the link looks dead",
                            silence.as_secs_f64().round()
                        ),
                    };
                }
                Ok(None) => {
                    return self.finished().unwrap_or(Next::Retry {
                        reason: "the connection dropped".into(),
                    });
                }
                Ok(Some(Err(e))) => {
                    let reason = redact(describe_ws_error(&e), Some(key));
                    if matches!(e, tungstenite::Error::Capacity(_)) {
                        let _ = out.malformed(reason.clone()).await;
                    }
                    return self.finished().unwrap_or(Next::Retry { reason });
                }
                Ok(Some(Ok(message))) => message,
            };
            let sent = match message {
                Message::Text(text) => self.on_text(text.as_str(), out, fresh).await,
                Message::Binary(bytes) => {
                    out.malformed(format!("binary frame of {} bytes skipped", bytes.len()))
                        .await
                }
                Message::Ping(_) | Message::Pong(_) => {
                    // tungstenite queues the pong; flushing sends it now
                    // rather than with the next read.
                    let _ = ws.flush().await;
                    Ok(())
                }
                Message::Close(frame) => {
                    let (code, reason) = frame
                        .map(|f| (u16::from(f.code), f.reason.to_string()))
                        .unwrap_or((1005, String::new()));
                    return self.closed(code, &reason);
                }
                Message::Frame(_) => Ok(()),
            };
            if sent.is_err() {
                let _ = ws.close(None).await;
                return Next::ConsumerGone;
            }
        }
    }
}

/// A tungstenite error as one line. Its messages carry no URL, but the
/// caller still passes them through `redact`.
fn describe_ws_error(e: &tungstenite::Error) -> String {
    use tungstenite::Error;
    match e {
        Error::ConnectionClosed | Error::AlreadyClosed => "the connection closed".into(),
        Error::Io(io) => format!("connection error: {io}"),
        Error::Capacity(c) => format!("message over the size cap: {c}"),
        Error::Protocol(p) => format!("WebSocket protocol error: {p}"),
        Error::Tls(t) => format!("TLS error: {t}"),
        Error::Url(_) => "bad WebSocket URL".into(),
        other => format!("WebSocket error: {other}"),
    }
}
