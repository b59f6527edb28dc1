//! The mail API's WebSockets: `GET /mail/ws/inbox` and
//! `GET /mail/ws/campaigns/{id}`.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use tokio::time::{Instant, sleep_until};

use super::WsRefusal;
use super::hostile::{self, WsFrame};
use super::scenario::{self, Account, Campaign};
use super::server::{Api, ConnGuard, Shared, authenticate, json_error, query_pairs};

/// The inbox is checked four times per simulated second, but never more
/// often than every 50 ms of real time.
const INBOX_TICK: f64 = 0.25;
const CAMPAIGN_TICK: f64 = 1.0;
const MIN_TICK: Duration = Duration::from_millis(50);
/// How long a close waits for the client's answering close.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

const CLOSE_NORMAL: u16 = 1000;
const CLOSE_GOING_AWAY: u16 = 1001;
const CLOSE_UNAUTHORIZED: u16 = 4401;
const CLOSE_FORBIDDEN: u16 = 4403;

type Upgrade = Result<WebSocketUpgrade, WebSocketUpgradeRejection>;

pub(crate) async fn inbox(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    uri: Uri,
    ws: Upgrade,
) -> Response {
    let query = query_pairs(&uri);
    match authenticate(&headers, &query, Api::Mail) {
        Ok(account) => upgrade(shared, ws, Feed::Inbox(account)),
        Err(_) => refuse(&shared, ws, key_refused(), CLOSE_UNAUTHORIZED),
    }
}

pub(crate) async fn campaign(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
    ws: Upgrade,
) -> Response {
    let query = query_pairs(&uri);
    let account = match authenticate(&headers, &query, Api::Mail) {
        Ok(a) => a,
        Err(_) => return refuse(&shared, ws, key_refused(), CLOSE_UNAUTHORIZED),
    };
    // Ownership is settled before the upgrade, as the vendor promises; an
    // unknown id and another account's id get the same answer.
    match shared.campaign(&id).filter(|c| c.account == account) {
        Some(c) => upgrade(shared, ws, Feed::Campaign(Box::new(c))),
        None => refuse(
            &shared,
            ws,
            json_error(StatusCode::FORBIDDEN, "Forbidden"),
            CLOSE_FORBIDDEN,
        ),
    }
}

/// The answer before the handshake to a missing, unknown or wrong-API key.
/// The vendor doc: "An unauthenticated or unauthorized request receives
/// HTTP 403 before the WebSocket handshake completes": 403, not the 401 the
/// SSE APIs send. On a campaign channel it is the same status as "not this
/// account's campaign"; only the body (which the doc does not fix) differs.
fn key_refused() -> Response {
    json_error(StatusCode::FORBIDDEN, "Unauthorized")
}

enum Feed {
    Inbox(Account),
    Campaign(Box<Campaign>),
}

fn upgrade(shared: Arc<Shared>, ws: Upgrade, feed: Feed) -> Response {
    match ws {
        Ok(ws) => ws.on_upgrade(move |sock| session(shared, sock, feed)),
        Err(rejection) => rejection.into_response(),
    }
}

/// Refuses as configured: the HTTP answer before the handshake, or a
/// handshake and then the close code. A request that is not an upgrade gets
/// the HTTP answer either way.
fn refuse(shared: &Arc<Shared>, ws: Upgrade, http: Response, code: u16) -> Response {
    match (shared.cfg.ws_refusal, ws) {
        (WsRefusal::CloseCode, Ok(ws)) => {
            let shared = shared.clone();
            let reason = if code == CLOSE_UNAUTHORIZED {
                "Unauthorized"
            } else {
                "Forbidden"
            };
            ws.on_upgrade(move |sock| async move {
                let _guard = ConnGuard::new(&shared);
                close(sock, code, reason).await;
            })
        }
        _ => http,
    }
}

/// Sends a close frame, then waits briefly for the client's: closing the
/// socket with the client's last frames unread would reset the connection
/// and could lose our close frame on the way.
async fn close(mut sock: WebSocket, code: u16, reason: &'static str) {
    let frame = CloseFrame {
        code,
        reason: reason.into(),
    };
    if sock.send(Message::Close(Some(frame))).await.is_err() {
        return;
    }
    let _ = tokio::time::timeout(CLOSE_GRACE, async {
        while let Some(Ok(_)) = sock.recv().await {}
    })
    .await;
}

/// What the feed says at one moment.
struct Step {
    messages: Vec<String>,
    terminal: bool,
    next: Instant,
}

struct Stepper {
    feed: Feed,
    /// Inbox events up to this simulated time were sent (or predate the
    /// connection: the inbox has no backlog).
    last: f64,
}

impl Stepper {
    fn step(&mut self, shared: &Shared) -> Step {
        let clock = shared.clock;
        let now = Instant::now();
        match &self.feed {
            Feed::Inbox(account) => {
                let t = clock.now();
                let events =
                    scenario::inbox_events(shared.seed(), *account, clock.epoch, self.last, t);
                self.last = t;
                Step {
                    messages: events.iter().filter_map(|(_, e)| to_json(e)).collect(),
                    terminal: false,
                    next: now + clock.real(INBOX_TICK, MIN_TICK),
                }
            }
            Feed::Campaign(c) => {
                let end = clock.instant_at(c.end);
                // Float rounding must not keep us a hair short of the end.
                let t = if now >= end {
                    clock.now().max(c.end)
                } else {
                    clock.now()
                };
                let update = c.update(t);
                Step {
                    messages: to_json(&update).into_iter().collect(),
                    terminal: update.kind.is_terminal(),
                    next: (now + clock.real(CAMPAIGN_TICK, MIN_TICK)).min(end.max(now)),
                }
            }
        }
    }
}

/// The hostile mode's opening: junk, then valid events with hostile text,
/// then (once per channel) a frame over the client's cap. False when the
/// client is gone.
async fn send_hostile(shared: &Shared, sock: &mut WebSocket, feed: &Feed) -> bool {
    let now = shared.clock.now();
    let at = shared.clock.epoch.rfc3339(now);
    let mut frames = hostile::ws_junk();
    let channel = match feed {
        Feed::Inbox(account) => {
            let events = hostile::ws_inbox_events(&at);
            frames.extend(events.iter().filter_map(to_json).map(WsFrame::Text));
            format!("inbox/{}", account.as_str())
        }
        Feed::Campaign(c) => {
            let update = c.update(now);
            // A terminal update here would end the channel early.
            if !update.kind.is_terminal() {
                let update = hostile::ws_campaign_update(update);
                frames.extend(to_json(&update).map(WsFrame::Text));
            }
            format!("campaign/{}", c.id)
        }
    };
    if shared.first_hostile_session(&channel) {
        frames.push(hostile::ws_oversized(&at));
    }
    for frame in frames {
        let message = match frame {
            WsFrame::Text(text) => Message::Text(text.into()),
            WsFrame::Binary(bytes) => Message::Binary(bytes.into()),
        };
        if sock.send(message).await.is_err() {
            return false;
        }
    }
    true
}

fn to_json<T: serde::Serialize>(value: &T) -> Option<String> {
    serde_json::to_string(value).ok()
}

async fn session(shared: Arc<Shared>, mut sock: WebSocket, feed: Feed) {
    let _guard = ConnGuard::new(&shared);
    let mut kill = shared.kill.subscribe();
    kill.mark_unchanged();
    if shared.cfg.ws_silent {
        // A dead link: not a frame, not a pong, until the simulator drops it.
        let _ = kill.changed().await;
        return;
    }
    let heartbeat = shared.cfg.heartbeat;
    let mut next_ping = Instant::now() + heartbeat;
    let mut pong_due: Option<Instant> = None;
    let mut stepper = Stepper {
        feed,
        last: shared.clock.now(),
    };
    let mut next_step = Instant::now();
    if shared.cfg.ws_hostile && !send_hostile(&shared, &mut sock, &stepper.feed).await {
        return;
    }
    loop {
        tokio::select! {
            biased;
            // Dropped on purpose: no close frame, just gone.
            _ = kill.changed() => return,
            _ = sleep_until(pong_due.unwrap_or(next_ping)), if pong_due.is_some() => {
                close(sock, CLOSE_GOING_AWAY, "heartbeat timeout").await;
                return;
            }
            _ = sleep_until(next_ping) => {
                if sock.send(Message::Ping(Bytes::from_static(b"hb"))).await.is_err() {
                    return;
                }
                pong_due = Some(Instant::now() + heartbeat);
                next_ping = Instant::now() + heartbeat;
            }
            _ = sleep_until(next_step) => {
                let step = stepper.step(&shared);
                for m in step.messages {
                    if sock.send(Message::Text(m.into())).await.is_err() {
                        return;
                    }
                }
                if step.terminal {
                    close(sock, CLOSE_NORMAL, "").await;
                    return;
                }
                next_step = step.next;
            }
            msg = sock.recv() => match msg {
                Some(Ok(Message::Pong(_))) => pong_due = None,
                Some(Ok(Message::Close(_))) => {
                    // Reading once more sends our answering close.
                    let _ = tokio::time::timeout(CLOSE_GRACE, sock.recv()).await;
                    return;
                }
                Some(Ok(_)) => {}
                None | Some(Err(_)) => return,
            },
        }
    }
}
