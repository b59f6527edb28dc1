//! Newsletter send progress: `GET {blog}/newsletter/issues/{id}/send-stream`
//! (Server-Sent Events).

use crate::model::send::{SendProgress, SendStatus};

use std::sync::Arc;

use super::connection::{Connect, Emitter, Next, read_body_chunk};
use super::network::Network;
use super::network::{endpoint_url, sse_request};
use super::options::ClientOptions;
use super::sse::{SseDecoder, SseEvent};
use super::{StopReason, UpstreamBody};

/// Follows one issue's send-stream until a terminal status.
pub struct SendProgressClient {
    opts: Arc<ClientOptions>,
    net: Arc<Network>,
    issue_id: String,
    /// The last progress delivered, on this connection or an earlier one:
    /// the same snapshot again is nothing new.
    last: Option<SendProgress>,
    /// The terminal status, once seen: `[DONE]` after it means the send is
    /// over; `[DONE]` without it is the server's time cap.
    terminal: Option<SendStatus>,
}

/// What one send-stream event means.
enum Signal {
    Continue,
    Done,
    PollFailed,
    Stop(StopReason),
}

impl SendProgressClient {
    pub fn new(opts: Arc<ClientOptions>, net: Arc<Network>, issue_id: String) -> Self {
        SendProgressClient {
            opts,
            net,
            issue_id,
            last: None,
            terminal: None,
        }
    }

    async fn on_event(
        &mut self,
        event: SseEvent,
        out: &Emitter,
        fresh: &mut bool,
    ) -> Result<Signal, super::connection::ConsumerGone> {
        let data = event.data.trim();
        if data == "[DONE]" {
            return Ok(Signal::Done);
        }
        let value: serde_json::Value = match serde_json::from_str(data) {
            Ok(v) => v,
            Err(e) => {
                out.malformed(format!("send-stream event is not JSON: {e}"))
                    .await?;
                return Ok(Signal::Continue);
            }
        };
        if let Some(error) = value.get("error") {
            let error = error.as_str().unwrap_or("unknown error");
            return Ok(match error {
                "issue_not_found" => Signal::Stop(StopReason::NotFound {
                    detail: format!(
                        "issue {} is not found or not this account's (issue_not_found)",
                        self.issue_id
                    ),
                }),
                _ => Signal::PollFailed,
            });
        }
        match serde_json::from_value::<SendProgress>(value) {
            Ok(progress) => {
                if self.last.as_ref() != Some(&progress) {
                    *fresh = true;
                    self.last = Some(progress.clone());
                }
                if progress.status.is_terminal() {
                    self.terminal = Some(progress.status);
                }
                out.send(UpstreamBody::Progress(progress)).await?;
            }
            Err(e) => out.malformed(format!("send-stream event: {e}")).await?,
        }
        Ok(Signal::Continue)
    }

    fn finished(&self, status: SendStatus) -> Next {
        Next::Finished {
            reason: format!("send {}", status.as_str()),
        }
    }
}

impl Connect for SendProgressClient {
    async fn connect(&mut self, out: &Emitter, fresh: &mut bool) -> Next {
        let opts = self.opts.clone();
        let Some(key) = opts.blog_key.as_ref() else {
            return Next::Stop(StopReason::NoKey {
                detail: "set MISAR_BLOG_KEY (or blog_key in the config file)".into(),
            });
        };
        let url = match endpoint_url(
            &opts.endpoints.blog_url,
            &["newsletter", "issues", &self.issue_id, "send-stream"],
        ) {
            Ok(url) => url,
            Err(e) => return Next::Stop(StopReason::BadQuery { detail: e }),
        };
        let request = sse_request(&self.net.http, url.clone(), key, opts.token_in_query, &[]);
        let response = match self.net.send(request, &url, out).await {
            Ok(r) => r,
            Err(next) => return next,
        };
        if !response.status().is_success() {
            let what = format!("issue {}", self.issue_id);
            return self.net.refused(response, "blog", &what).await;
        }
        if out.conn(super::ConnState::Live).await.is_err() {
            return Next::ConsumerGone;
        }
        let mut body = response.bytes_stream();
        let mut decoder = SseDecoder::new(opts.max_message_bytes);
        let mut events = Vec::new();
        let mut poll_failed = false;
        loop {
            let chunk =
                match read_body_chunk(&mut body, opts.sse_read_timeout, &self.net, &url).await {
                    Ok(Some(chunk)) => chunk,
                    Ok(None) => break,
                    Err(next) => return next,
                };
            decoder.feed(&chunk, &mut |e| events.push(e));
            for event in events.drain(..) {
                let event = match event {
                    Ok(event) => event,
                    Err(e) => {
                        if out.malformed(format!("send-stream: {e}")).await.is_err() {
                            return Next::ConsumerGone;
                        }
                        continue;
                    }
                };
                match self.on_event(event, out, fresh).await {
                    Err(_) => return Next::ConsumerGone,
                    Ok(Signal::Continue) => {}
                    Ok(Signal::PollFailed) => poll_failed = true,
                    Ok(Signal::Stop(reason)) => return Next::Stop(reason),
                    Ok(Signal::Done) => {
                        return match (self.terminal, poll_failed) {
                            (Some(status), _) => self.finished(status),
                            (None, true) => Next::Retry {
                                reason: "the server could not poll the issue (poll_failed)".into(),
                            },
                            (None, false) => Next::Resume {
                                reason: "the server's stream time cap ended it; resuming".into(),
                            },
                        };
                    }
                }
            }
        }
        match self.terminal {
            Some(status) => self.finished(status),
            None => Next::Retry {
                reason: if poll_failed {
                    "the server could not poll the issue (poll_failed)".into()
                } else {
                    "the server closed the stream".into()
                },
            },
        }
    }
}
