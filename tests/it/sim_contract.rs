//! The simulator against the contract, over real sockets on 127.0.0.1, with
//! plain reqwest and tokio-tungstenite (not the project's clients).

use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use misar_dash::model::{CampaignUpdate, InboxEvent, LogRecord, SendProgress};
use misar_dash::sim::{
    Account, CampaignFate, DEMO_BLOG_KEY, DEMO_MAIL_KEY, NOSCOPE_BLOG_KEY, OTHER_BLOG_KEY,
    OTHER_MAIL_KEY, Sim, SimConfig, WireMode, WsRefusal,
};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

const LONG: Duration = Duration::from_secs(10);

fn epoch() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-05-27T10:00:00Z")
        .expect("a valid epoch")
        .with_timezone(&Utc)
}

fn cfg(speed: f64) -> SimConfig {
    SimConfig {
        speed,
        epoch: Some(epoch()),
        heartbeat: Duration::from_secs(5),
        ..SimConfig::default()
    }
}

/// [`cfg`] at `speed`, changed by `change`.
fn cfg_with(speed: f64, change: impl FnOnce(&mut SimConfig)) -> SimConfig {
    let mut cfg = cfg(speed);
    change(&mut cfg);
    cfg
}

async fn start(cfg: SimConfig) -> Sim {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Sim::start(cfg).await.expect("the simulator starts")
}

async fn shutdown(sims: impl IntoIterator<Item = Sim>) {
    for sim in sims {
        sim.shutdown().await;
    }
}

/// `text` parsed as JSON, or a panic that shows it.
fn json<T: serde::de::DeserializeOwned>(text: &str) -> T {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

async fn get(url: &str, key: Option<&str>) -> reqwest::Response {
    let mut req = http().get(url);
    if let Some(key) = key {
        req = req.bearer_auth(key);
    }
    timeout(LONG, req.send())
        .await
        .unwrap_or_else(|_| panic!("no answer from {url} in {LONG:?}"))
        .unwrap_or_else(|e| panic!("{url}: {e}"))
}

async fn body(resp: reqwest::Response) -> String {
    timeout(LONG, resp.text())
        .await
        .expect("the whole body in time")
        .expect("a body of text")
}

/// The raw body of an issue's send stream, read with the demo blog key.
async fn issue_body(sim: &Sim, id: &str) -> String {
    body(get(&issue_url(sim, id), Some(DEMO_BLOG_KEY)).await).await
}

/// The raw body of a domain's log stream, read with the demo mail key.
async fn logs_body(sim: &Sim, domain: &str, query: &str) -> String {
    body(get(&logs_url(sim, domain, query), Some(DEMO_MAIL_KEY)).await).await
}

fn issue_url(sim: &Sim, id: &str) -> String {
    format!(
        "{}/newsletter/issues/{id}/send-stream",
        sim.endpoints().blog_url
    )
}

fn logs_url(sim: &Sim, domain: &str, query: &str) -> String {
    format!(
        "{}/api/domains/{domain}/log/stream?{query}",
        sim.endpoints().mail_url
    )
}

// ---------------------------------------------------------------------------
// A small SSE reader, lenient as the contract asks of clients.

#[derive(Clone, Debug, Default)]
struct Ev {
    event: Option<String>,
    id: Option<String>,
    data: String,
}

/// Complete events in `text` (an unterminated last event is left out).
fn parse_sse(text: &str) -> Vec<Ev> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let norm = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut out = Vec::new();
    let mut cur = Ev::default();
    let mut data: Vec<&str> = Vec::new();
    for line in norm.split('\n') {
        if line.is_empty() {
            if !data.is_empty() {
                cur.data = data.join("\n");
                out.push(std::mem::take(&mut cur));
            }
            cur = Ev::default();
            data.clear();
            continue;
        }
        if line.starts_with(':') {
            continue;
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "data" => data.push(value),
            "event" => cur.event = Some(value.to_string()),
            "id" => cur.id = Some(value.to_string()),
            _ => {}
        }
    }
    out
}

/// Reads a stream until `enough` says so (or it ends); returns what came.
async fn read_until(resp: &mut reqwest::Response, enough: impl Fn(&[Ev]) -> bool) -> String {
    let mut text = String::new();
    let deadline = Instant::now() + LONG;
    loop {
        let chunk = tokio::time::timeout_at(deadline, resp.chunk())
            .await
            .expect("more of the stream, or its end, in time");
        match chunk {
            Ok(Some(bytes)) => text
                .push_str(std::str::from_utf8(&bytes).expect("chunks of whole UTF-8 characters")),
            Ok(None) | Err(_) => return text,
        }
        if enough(&parse_sse(&text)) {
            return text;
        }
    }
}

fn progress_events(events: &[Ev]) -> Vec<SendProgress> {
    events
        .iter()
        .filter(|e| e.data.contains("status"))
        .map(|e| json(&e.data))
        .collect()
}

// ---------------------------------------------------------------------------
// Send progress

async fn issue_stream(sim: &Sim, id: &str) -> Vec<Ev> {
    let resp = get(&issue_url(sim, id), Some(DEMO_BLOG_KEY)).await;
    assert_eq!(resp.status(), 200);
    parse_sse(&body(resp).await)
}

fn assert_ends_with(events: &[Ev], status: &str) -> SendProgress {
    let n = events.len();
    assert!(n >= 2, "{events:?}");
    assert_eq!(events[n - 1].data, "[DONE]");
    let last: SendProgress = json(&events[n - 2].data);
    assert_eq!(last.status.as_str(), status, "{events:?}");
    let all = progress_events(events);
    assert!(all.windows(2).all(|w| w[0].sent <= w[1].sent));
    assert!(
        all[..all.len() - 1]
            .iter()
            .all(|p| p.status.as_str() == "sending")
    );
    last
}

#[tokio::test]
async fn issues_reach_each_fate() {
    // Slow enough that a client connecting late (a loaded machine) still
    // sees several polls before the end.
    let sim = start(cfg(50.0)).await;
    let (sent, failed, cancelled, already) = tokio::join!(
        issue_stream(&sim, "iss-spring-sale"),
        issue_stream(&sim, "iss-partner-update"),
        issue_stream(&sim, "iss-flash-sale-reminder"),
        issue_stream(&sim, "iss-may-newsletter"),
    );
    let last = assert_ends_with(&sent, "sent");
    assert_eq!(last.sent, last.total);
    assert!(last.opened > 0 && last.bounced > 0);
    assert!(sent.len() >= 3, "progress every 3 simulated s: {sent:?}");
    let last = assert_ends_with(&failed, "failed");
    assert_eq!(last.sent * 10, last.total * 4);
    let last = assert_ends_with(&cancelled, "cancelled");
    assert_eq!(last.sent * 4, last.total);
    assert_eq!(already.len(), 2, "one terminal event, then [DONE]");
    assert_ends_with(&already, "sent");

    // The long one keeps sending, at a believable pace.
    let mut resp = get(&issue_url(&sim, "iss-weekly-digest"), Some(DEMO_BLOG_KEY)).await;
    let text = read_until(&mut resp, |e| e.len() >= 3).await;
    let ps = progress_events(&parse_sse(&text));
    assert_eq!(ps[0].total, 250_000);
    assert_eq!(ps[2].status.as_str(), "sending");
    assert!(ps[2].sent > ps[0].sent);
    sim.shutdown().await;
}

#[tokio::test]
async fn unknown_and_other_accounts_issues_are_not_found() {
    let sim = start(cfg(100.0)).await;
    for id in ["iss-acme-quarterly", "iss-does-not-exist"] {
        let events = issue_stream(&sim, id).await;
        let data: Vec<&str> = events.iter().map(|e| e.data.as_str()).collect();
        assert_eq!(data, [r#"{"error":"issue_not_found"}"#, "[DONE]"], "{id}");
    }
    // The other account sees its own issue, and not the demo's.
    let resp = get(&issue_url(&sim, "iss-acme-quarterly"), Some(OTHER_BLOG_KEY)).await;
    let mut resp = resp;
    let text = read_until(&mut resp, |e| !e.is_empty()).await;
    assert!(parse_sse(&text)[0].data.contains("\"sending\""));
    let resp = get(&issue_url(&sim, "iss-may-newsletter"), Some(OTHER_BLOG_KEY)).await;
    assert!(body(resp).await.contains("issue_not_found"));
    sim.shutdown().await;
}

#[tokio::test]
async fn flaky_issue_fails_on_odd_connections() {
    let sim = start(cfg(100.0)).await;
    let first = issue_stream(&sim, "iss-flaky").await;
    let data: Vec<&str> = first.iter().map(|e| e.data.as_str()).collect();
    assert_eq!(data.len(), 3, "{data:?}");
    assert!(data[0].contains("\"sending\""));
    assert_eq!(data[1..], [r#"{"error":"poll_failed"}"#, "[DONE]"]);

    let mut second = get(&issue_url(&sim, "iss-flaky"), Some(DEMO_BLOG_KEY)).await;
    let text = read_until(&mut second, |e| e.len() >= 4).await;
    assert!(!text.contains("poll_failed"));
    assert_eq!(progress_events(&parse_sse(&text)).len(), 4);
    drop(second);

    let third = issue_stream(&sim, "iss-flaky").await;
    assert!(third.iter().any(|e| e.data.contains("poll_failed")));
    sim.shutdown().await;
}

#[tokio::test]
async fn send_stream_is_capped_without_a_terminal_state() {
    let sim = start(cfg_with(100.0, |c| {
        c.send_stream_cap = Duration::from_millis(300)
    }))
    .await;
    let t = Instant::now();
    let events = issue_stream(&sim, "iss-weekly-digest").await;
    assert!(t.elapsed() >= Duration::from_millis(300));
    assert!(t.elapsed() < Duration::from_secs(3));
    assert_eq!(events.last().expect("events").data, "[DONE]");
    let ps = progress_events(&events);
    assert!(ps.len() >= 5, "{}", ps.len());
    assert!(ps.iter().all(|p| p.status.as_str() == "sending"));
    sim.shutdown().await;
}

#[tokio::test]
async fn blog_auth_and_headers() {
    let sim = start(cfg(100.0)).await;
    let url = issue_url(&sim, "iss-may-newsletter");
    for key in [None, Some("mbk_wrong"), Some(DEMO_MAIL_KEY)] {
        let resp = get(&url, key).await;
        assert_eq!(resp.status(), 401, "{key:?}");
        let v: Value = json(&body(resp).await);
        assert_eq!(v, serde_json::json!({"error": "Unauthorized"}));
    }
    let resp = get(&url, Some(NOSCOPE_BLOG_KEY)).await;
    assert_eq!(resp.status(), 403);
    assert_eq!(
        body(resp).await,
        r#"{"error":"Forbidden: key lacks read scope"}"#
    );

    let resp = get(&format!("{url}?token={DEMO_BLOG_KEY}"), None).await;
    assert_eq!(resp.status(), 200);
    let h = resp.headers();
    assert_eq!(h["content-type"], "text/event-stream");
    assert_eq!(h["cache-control"], "no-cache, no-transform");
    assert_eq!(h["x-accel-buffering"], "no");
    assert!(body(resp).await.ends_with("data: [DONE]\n\n"));
    assert_eq!(sim.stats().requests, 5);
    sim.shutdown().await;
}

// ---------------------------------------------------------------------------
// Mail WebSockets

async fn ws_connect(
    url: &str,
    key: Option<&str>,
) -> Result<Ws, Box<tokio_tungstenite::tungstenite::Error>> {
    let mut req = url.into_client_request().expect("a WebSocket URL");
    if let Some(key) = key {
        req.headers_mut().insert(
            "authorization",
            format!("Bearer {key}").parse().expect("a header value"),
        );
    }
    timeout(LONG, tokio_tungstenite::connect_async(req))
        .await
        .unwrap_or_else(|_| panic!("no handshake answer from {url} in {LONG:?}"))
        .map(|(ws, _)| ws)
        .map_err(Box::new)
}

fn http_status(err: &tungstenite::Error) -> u16 {
    match err {
        tungstenite::Error::Http(resp) => resp.status().as_u16(),
        other => panic!("expected an HTTP refusal, got {other}"),
    }
}

/// A WebSocket that must open.
async fn ws_open(url: &str, key: Option<&str>) -> Ws {
    ws_connect(url, key)
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"))
}

/// The next frame, or the end, within [`LONG`].
async fn next_frame(ws: &mut Ws) -> Option<Result<Message, tungstenite::Error>> {
    timeout(LONG, ws.next())
        .await
        .expect("a frame or the end in time")
}

/// The next frame that is not a ping or pong.
async fn next_msg(ws: &mut Ws) -> Option<Message> {
    loop {
        match next_frame(ws).await {
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(m)) => return Some(m),
            Some(Err(_)) | None => return None,
        }
    }
}

fn close_code(msg: &Option<Message>) -> Option<(u16, String)> {
    match msg {
        Some(Message::Close(Some(f))) => Some((u16::from(f.code), f.reason.to_string())),
        _ => None,
    }
}

fn campaign_url(sim: &Sim, id: &str) -> String {
    format!("{}/campaigns/{id}", sim.endpoints().mail_ws_url)
}

fn campaign_id(sim: &Sim, account: Account, fate: CampaignFate) -> String {
    sim.catalog()
        .campaigns
        .into_iter()
        .find(|c| c.account == account && c.fate == fate)
        .expect("the catalog has such a campaign")
        .id
}

#[tokio::test]
async fn websocket_refusals_before_the_handshake() {
    let sim = start(cfg(100.0)).await;
    let inbox = format!("{}/inbox", sim.endpoints().mail_ws_url);
    let other = campaign_id(&sim, Account::Other, CampaignFate::Completed);
    // The vendor doc: "An unauthenticated or unauthorized request receives
    // HTTP 403 before the WebSocket handshake completes" (the SSE APIs say
    // 401). A missing key, an unknown one and a blog key, on both channels.
    for url in [inbox.clone(), campaign_url(&sim, &other)] {
        for key in [None, Some("msk_nope"), Some(DEMO_BLOG_KEY)] {
            let err = ws_connect(&url, key).await.unwrap_err();
            assert_eq!(http_status(&err), 403, "{url} {key:?}");
            if let tungstenite::Error::Http(resp) = *err {
                let body = resp.body().clone().unwrap_or_default();
                assert_eq!(body, br#"{"error":"Unauthorized"}"#);
            }
        }
    }
    for id in [other.as_str(), "cmp-00000000"] {
        let err = ws_connect(&campaign_url(&sim, id), Some(DEMO_MAIL_KEY))
            .await
            .unwrap_err();
        assert_eq!(http_status(&err), 403, "{id}");
        if let tungstenite::Error::Http(resp) = *err {
            let body = resp.body().clone().unwrap_or_default();
            assert_eq!(body, br#"{"error":"Forbidden"}"#);
        }
    }
    // The owner gets in; the key also works as ?token=.
    let mut ws = ws_open(&campaign_url(&sim, &other), Some(OTHER_MAIL_KEY)).await;
    assert!(matches!(next_msg(&mut ws).await, Some(Message::Text(_))));
    let mut ws = ws_open(&format!("{inbox}?token={DEMO_MAIL_KEY}"), None).await;
    assert!(matches!(next_msg(&mut ws).await, Some(Message::Text(_))));
    sim.shutdown().await;
}

#[tokio::test]
async fn websocket_refusals_after_accept() {
    let sim = start(cfg_with(100.0, |c| c.ws_refusal = WsRefusal::CloseCode)).await;
    let inbox = format!("{}/inbox", sim.endpoints().mail_ws_url);
    let mut ws = ws_open(&inbox, Some("msk_nope")).await;
    assert_eq!(
        close_code(&next_msg(&mut ws).await),
        Some((4401, "Unauthorized".into()))
    );
    let other = campaign_id(&sim, Account::Other, CampaignFate::Completed);
    let mut ws = ws_open(&campaign_url(&sim, &other), Some(DEMO_MAIL_KEY)).await;
    assert_eq!(
        close_code(&next_msg(&mut ws).await),
        Some((4403, "Forbidden".into()))
    );
    let mut ws = ws_open(&campaign_url(&sim, &other), None).await;
    let close = close_code(&next_msg(&mut ws).await).expect("a close frame");
    assert_eq!(close.0, 4401);
    sim.shutdown().await;
}

#[tokio::test]
async fn inbox_shows_all_six_event_types() {
    let sim = start(cfg(300.0)).await;
    // 200 ms real is a simulated minute: nothing from before it may come.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let connected = epoch() + chrono::Duration::seconds(59);
    let url = format!("{}/inbox", sim.endpoints().mail_ws_url);
    let mut ws = ws_open(&url, Some(DEMO_MAIL_KEY)).await;
    let mut seen = std::collections::BTreeSet::new();
    let mut count = 0;
    let deadline = Instant::now() + Duration::from_secs(5);
    while seen.len() < 6 && Instant::now() < deadline {
        let Some(Message::Text(text)) = next_msg(&mut ws).await else {
            panic!("inbox ended");
        };
        let raw: Value = json(&text);
        let event: InboxEvent = json(&text);
        assert_eq!(raw["type"], event.type_name());
        match &event {
            InboxEvent::EmailReceived(m) => {
                assert!(m.from.contains('@') && m.to.is_some() && !m.subject.is_empty());
                assert!(
                    raw["receivedAt"]
                        .as_str()
                        .expect("receivedAt, a string")
                        .starts_with("2026-05-27T")
                );
            }
            InboxEvent::Bounce(c) => assert!(c.email.contains('@') && c.reason.is_some()),
            InboxEvent::CampaignStarted(c) | InboxEvent::CampaignCompleted(c) => {
                assert!(c.campaign_id.starts_with("cmp-") && !c.campaign_name.is_empty());
            }
            _ => {}
        }
        let at = event.at().expect("the event's time");
        let at = DateTime::parse_from_rfc3339(at).unwrap_or_else(|e| panic!("{at}: {e}"));
        assert!(at >= connected, "backlog event at {at}");
        seen.insert(event.type_name());
        count += 1;
    }
    assert_eq!(seen.len(), 6, "{seen:?} after {count} events");
    sim.shutdown().await;
}

async fn campaign_run(sim: &Sim, id: &str) -> (Vec<CampaignUpdate>, Option<(u16, String)>) {
    let mut ws = ws_open(&campaign_url(sim, id), Some(DEMO_MAIL_KEY)).await;
    let mut updates = Vec::new();
    loop {
        match next_msg(&mut ws).await {
            Some(Message::Text(t)) => updates.push(json(&t)),
            other => return (updates, close_code(&other)),
        }
    }
}

#[tokio::test]
async fn campaigns_end_with_a_terminal_event_and_close_1000() {
    let sim = start(cfg(400.0)).await;
    let normal = Some((1000, String::new()));
    let catalog = sim.catalog();
    let later = catalog
        .campaigns
        .iter()
        .find(|c| c.start_secs > 40.0 && c.fate == CampaignFate::Completed)
        .expect("a campaign that starts after 40 s and completes")
        .id
        .clone();
    let failed_id = campaign_id(&sim, Account::Demo, CampaignFate::Failed);
    let cancelled_id = campaign_id(&sim, Account::Demo, CampaignFate::Cancelled);
    let (completed, failed, cancelled, scheduled) = tokio::join!(
        campaign_run(&sim, &catalog.campaigns[0].id),
        campaign_run(&sim, &failed_id),
        campaign_run(&sim, &cancelled_id),
        campaign_run(&sim, &later),
    );
    for (run, kind) in [
        (&completed, "completed"),
        (&failed, "failed"),
        (&cancelled, "cancelled"),
        (&scheduled, "completed"),
    ] {
        let (updates, close) = run;
        assert_eq!(*close, normal, "{kind}");
        let last = updates
            .last()
            .unwrap_or_else(|| panic!("{kind}: no update"));
        assert_eq!(last.kind.as_str(), kind);
        assert!(updates.len() >= 2, "{kind}: {updates:?}");
        assert!(
            updates[..updates.len() - 1]
                .iter()
                .all(|u| u.kind.as_str() == "progress")
        );
        assert!(updates.windows(2).all(|w| w[0].sent <= w[1].sent));
    }
    assert_eq!(
        completed.0.last().expect("updates").sent,
        completed.0[0].total.expect("a total")
    );
    assert!(failed.0.last().expect("updates").reason.is_some());
    assert_eq!(scheduled.0[0].sent, 0, "not started yet: sent 0");
    assert!(
        scheduled.0.len() > 5,
        "progress about every simulated second"
    );

    // Connecting after the end: the terminal event at once, then 1000.
    let (updates, close) = campaign_run(&sim, &catalog.campaigns[0].id).await;
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0].kind.as_str(), "completed");
    assert_eq!(close, normal);
    sim.shutdown().await;
}

#[tokio::test]
async fn server_pings_and_closes_1001_without_a_pong() {
    let sim = start(cfg_with(10.0, |c| c.heartbeat = Duration::from_millis(100))).await;
    let url = format!("{}/inbox", sim.endpoints().mail_ws_url);

    // A client that reads (and so answers pings) stays connected.
    let mut ws = ws_open(&url, Some(DEMO_MAIL_KEY)).await;
    let t = Instant::now();
    let mut pings = 0;
    while t.elapsed() < Duration::from_millis(450) {
        match timeout(Duration::from_millis(100), ws.next()).await {
            Ok(Some(Ok(Message::Ping(_)))) => pings += 1,
            Ok(Some(Ok(Message::Close(f)))) => panic!("closed: {f:?}"),
            Ok(Some(Ok(_))) | Err(_) => {}
            Ok(Some(Err(e))) => panic!("{e}"),
            Ok(None) => panic!("the inbox ended"),
        }
    }
    assert!(pings >= 3, "{pings} pings");

    // One that does not read never pongs: 1001 after one heartbeat.
    let mut ws = ws_open(&url, Some(DEMO_MAIL_KEY)).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let mut saw_ping = false;
    let close = loop {
        match next_frame(&mut ws).await {
            Some(Ok(Message::Ping(_))) => saw_ping = true,
            Some(Ok(Message::Close(f))) => break f,
            Some(Ok(_)) => {}
            other => panic!("no close frame: {other:?}"),
        }
    };
    assert!(saw_ping);
    let f = close.expect("a close frame with a code");
    assert_eq!(u16::from(f.code), 1001);
    assert_eq!(f.reason.as_str(), "heartbeat timeout");
    sim.shutdown().await;
}

#[tokio::test]
async fn silent_websockets_send_nothing() {
    let sim = start(SimConfig {
        ws_silent: true,
        heartbeat: Duration::from_millis(50),
        ..cfg(300.0)
    })
    .await;
    let url = format!("{}/inbox", sim.endpoints().mail_ws_url);
    let mut ws = ws_open(&url, Some(DEMO_MAIL_KEY)).await;
    assert!(
        timeout(Duration::from_millis(400), ws.next())
            .await
            .is_err(),
        "a silent link sent something"
    );
    ws.close(None).await.ok();
    sim.shutdown().await;
}

// ---------------------------------------------------------------------------
// Domain logs

struct LogStream {
    batches: Vec<Vec<LogRecord>>,
    total: Option<u64>,
}

fn parse_logs(text: &str) -> LogStream {
    let mut out = LogStream {
        batches: Vec::new(),
        total: None,
    };
    for ev in parse_sse(text) {
        match ev.event.as_deref() {
            Some("logs") => {
                let v: Value = json(&ev.data);
                let records = serde_json::from_value(v["logs"].clone())
                    .unwrap_or_else(|e| panic!("{e}: {}", ev.data));
                out.batches.push(records);
            }
            Some("complete") => {
                let v: Value = json(&ev.data);
                out.total = v["total"].as_u64();
            }
            other => panic!("unexpected event {other:?}"),
        }
    }
    out
}

async fn logs(sim: &Sim, domain: &str, query: &str) -> LogStream {
    let resp = get(&logs_url(sim, domain, query), Some(DEMO_MAIL_KEY)).await;
    assert_eq!(resp.status(), 200, "{domain}?{query}");
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    assert_eq!(resp.headers()["x-ratelimit-limit"], "120");
    parse_logs(&body(resp).await)
}

fn rfc(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[tokio::test]
async fn bulk_comes_in_batches_with_a_total() {
    let sim = start(cfg(100.0)).await;
    let s = logs(&sim, "bulk.example.com", "limit=2500").await;
    let sizes: Vec<usize> = s.batches.iter().map(Vec::len).collect();
    assert_eq!(sizes, [1000, 1000, 500]);
    assert_eq!(s.total, Some(2500));
    let all: Vec<&LogRecord> = s.batches.iter().flatten().collect();
    assert!(
        all.windows(2)
            .all(|w| w[0].timestamp_ms <= w[1].timestamp_ms)
    );
    assert!(
        all.iter()
            .all(|r| r.timestamp_ms < epoch().timestamp_millis())
    );
    assert_eq!(all[0].id, "bulk-00000000");
    let ids: std::collections::HashSet<&str> = all.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids.len(), 2500);

    // The raw JSON has what the contract lists, milliseconds included.
    let resp = get(
        &logs_url(&sim, "bulk.example.com", "limit=1"),
        Some(DEMO_MAIL_KEY),
    )
    .await;
    let text = body(resp).await;
    let ev = &parse_sse(&text)[0];
    let v: Value = json(&ev.data);
    let r = &v["logs"][0];
    for field in "id timestamp event_type sender recipient subject message_id".split(' ') {
        assert!(r[field].is_string(), "{field} in {r}");
    }
    assert!(r["tags"].is_array());
    let ts = r["timestamp"].as_str().expect("a timestamp string");
    assert_eq!(ts.len(), "2026-05-24T10:00:00.123Z".len(), "{ts}");
    sim.shutdown().await;
}

#[tokio::test]
async fn same_seed_same_records() {
    let a = start(cfg(100.0)).await;
    let b = start(cfg(100.0)).await;
    let c = start(cfg_with(100.0, |c| c.seed = 2)).await;
    let fetch = |sim: &Sim| {
        let url = logs_url(sim, "bulk.example.com", "limit=1500");
        async move { body(get(&url, Some(DEMO_MAIL_KEY)).await).await }
    };
    let (x, y, z) = tokio::join!(fetch(&a), fetch(&b), fetch(&c));
    assert_eq!(x, y);
    assert_ne!(x, z);
    shutdown([a, b, c]).await;
}

#[tokio::test]
async fn flaky_domain_fails_once_then_serves() {
    let sim = start(cfg(100.0)).await;
    let url = logs_url(&sim, "flaky.example.com", "");
    let resp = get(&url, Some(DEMO_MAIL_KEY)).await;
    assert_eq!(resp.status(), 500);
    assert_eq!(body(resp).await, r#"{"error":"Unknown error"}"#);
    let s = logs(&sim, "flaky.example.com", "").await;
    assert_eq!(s.total, Some(2000));
    assert_eq!(s.batches.iter().map(Vec::len).sum::<usize>(), 2000);
    assert_eq!(logs(&sim, "flaky.example.com", "").await.total, Some(2000));
    sim.shutdown().await;
}

#[tokio::test]
async fn limited_domain_answers_429_twice_then_serves() {
    let sim = start(cfg(100.0)).await;
    let url = logs_url(&sim, "limited.example.com", "limit=5");
    let too_many = |resp: &reqwest::Response| {
        assert_eq!(resp.status(), 429);
        let h = resp.headers();
        assert_eq!(h["retry-after"], "1");
        assert_eq!(h["x-ratelimit-limit"], "120");
        assert_eq!(h["x-ratelimit-remaining"], "0");
    };
    let resp = get(&url, Some(DEMO_MAIL_KEY)).await;
    too_many(&resp);
    assert_eq!(
        body(resp).await,
        r#"{"success":false,"message":"Too many attempts. Please try again later."}"#
    );
    // Too early: refused again, and counted.
    too_many(&get(&url, Some(DEMO_MAIL_KEY)).await);
    assert_eq!(sim.stats().early_requests, 1);
    tokio::time::sleep(Duration::from_millis(1050)).await;
    let resp = get(&url, Some(DEMO_MAIL_KEY)).await;
    assert_eq!(resp.status(), 200);
    let remaining: u32 = resp.headers()["x-ratelimit-remaining"]
        .to_str()
        .ok()
        .and_then(|v| v.parse().ok())
        .expect("x-ratelimit-remaining, a number");
    assert_eq!(remaining, 117);
    assert_eq!(parse_logs(&body(resp).await).total, Some(5));
    let stats = sim.stats();
    assert_eq!((stats.rate_limited, stats.early_requests), (2, 1));
    // A new sequence starts with a 429.
    too_many(&get(&url, Some(DEMO_MAIL_KEY)).await);
    sim.shutdown().await;
}

#[tokio::test]
async fn log_query_validation_auth_and_ownership() {
    let sim = start(cfg(100.0)).await;
    for (query, message) in [
        ("start=yesterday", "invalid start: yesterday"),
        ("end=2026-05-27", "invalid end: 2026-05-27"),
        ("event_type=sent", "invalid event_type: sent"),
        ("limit=0", "invalid limit: 0"),
        ("limit=500001", "invalid limit: 500001"),
        ("limit=lots", "invalid limit: lots"),
    ] {
        let resp = get(
            &logs_url(&sim, "shop.example.com", query),
            Some(DEMO_MAIL_KEY),
        )
        .await;
        assert_eq!(resp.status(), 400, "{query}");
        assert!(resp.headers().contains_key("x-ratelimit-remaining"));
        let v: Value = json(&body(resp).await);
        assert_eq!(v["error"], message);
    }
    let not_found = r#"{"error":"Domain not found or you do not own this domain"}"#;
    for (domain, key) in [
        ("other.example.org", DEMO_MAIL_KEY),
        ("nope.example.net", DEMO_MAIL_KEY),
        ("shop.example.com", OTHER_MAIL_KEY),
    ] {
        let resp = get(&logs_url(&sim, domain, ""), Some(key)).await;
        assert_eq!(resp.status(), 404, "{domain}");
        assert_eq!(body(resp).await, not_found);
    }
    let resp = get(
        &logs_url(&sim, "other.example.org", "limit=10"),
        Some(OTHER_MAIL_KEY),
    )
    .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(parse_logs(&body(resp).await).total, Some(10));
    for key in [None, Some(DEMO_BLOG_KEY), Some("msk_nope")] {
        let resp = get(&logs_url(&sim, "shop.example.com", ""), key).await;
        assert_eq!(resp.status(), 401);
        assert_eq!(body(resp).await, r#"{"error":"Unauthorized"}"#);
    }
    let keyed_query = format!("limit=3&token={DEMO_MAIL_KEY}");
    let resp = get(&logs_url(&sim, "bulk.example.com", &keyed_query), None).await;
    assert_eq!(resp.status(), 200);
    sim.shutdown().await;
}

#[tokio::test]
async fn log_filters_are_applied() {
    let sim = start(cfg(100.0)).await;
    let hour = format!(
        "start={}&end={}",
        rfc(epoch() - chrono::Duration::hours(1)),
        rfc(epoch())
    );
    let flat = |s: LogStream| -> Vec<LogRecord> { s.batches.into_iter().flatten().collect() };
    let all = flat(logs(&sim, "shop.example.com", &hour).await);
    assert!((700..1000).contains(&all.len()), "{}", all.len());
    let (from, to) = (
        (epoch() - chrono::Duration::hours(1)).timestamp_millis(),
        epoch().timestamp_millis(),
    );
    assert!(
        all.iter()
            .all(|r| r.timestamp_ms >= from && r.timestamp_ms <= to)
    );

    let someone = all[5].recipient.clone();
    let q = format!("{hour}&recipient={}", someone.to_uppercase());
    let mine = flat(logs(&sim, "shop.example.com", &q).await);
    assert!(!mine.is_empty());
    assert!(mine.iter().all(|r| r.recipient == someone));

    let delivered = flat(
        logs(
            &sim,
            "shop.example.com",
            &format!("{hour}&event_type=delivered"),
        )
        .await,
    );
    assert!(delivered.len() > 100);
    assert!(
        delivered
            .iter()
            .all(|r| r.event_type.is_some_and(|t| t.as_str() == "delivered"))
    );
    assert!(delivered.iter().all(|r| {
        r.smtp_response
            .as_deref()
            .is_some_and(|s| s.starts_with("250"))
    }));

    let q = format!("{hour}&sender=Orders@Shop.Example.com&subject=ORDER&tags=ship");
    let some = flat(logs(&sim, "shop.example.com", &q).await);
    assert!(!some.is_empty());
    for r in &some {
        assert_eq!(r.sender, "orders@shop.example.com");
        assert!(r.subject.to_lowercase().contains("order"));
        assert!(r.tags.iter().any(|t| t.contains("ship")));
    }
    let s = logs(&sim, "shop.example.com", &format!("{hour}&limit=7")).await;
    assert_eq!(s.total, Some(7));
    sim.shutdown().await;
}

#[tokio::test]
async fn live_domain_streams_backlog_then_new_records() {
    let sim = start(cfg(100.0)).await;
    let since = epoch() - chrono::Duration::seconds(30);
    let backlog = logs(
        &sim,
        "shop.example.com",
        &format!("start={}&end={}", rfc(since), rfc(epoch())),
    )
    .await
    .total
    .expect("the backlog completes");
    // 5 new records per simulated second, 100 simulated seconds per real one.
    let want = backlog + 150;
    let t = Instant::now();
    let s = logs(
        &sim,
        "shop.example.com",
        &format!("start={}&limit={want}", rfc(since)),
    )
    .await;
    assert_eq!(s.total, Some(want));
    let records: Vec<&LogRecord> = s.batches.iter().flatten().collect();
    let live = records
        .iter()
        .filter(|r| r.timestamp_ms > epoch().timestamp_millis())
        .count();
    assert!(live >= 150, "{live}");
    assert!(s.batches.len() >= 3, "live records come in small batches");
    assert!(t.elapsed() < Duration::from_secs(3));

    // With `end` ahead of now, the stream completes once it has passed.
    let end = epoch() + chrono::Duration::seconds(80);
    let from = rfc(epoch() + chrono::Duration::seconds(60));
    let s = logs(
        &sim,
        "shop.example.com",
        &format!("start={from}&end={}", rfc(end)),
    )
    .await;
    let n = s.total.expect("the window completes");
    assert!((80..=120).contains(&n), "{n}");
    assert!(
        s.batches
            .iter()
            .flatten()
            .all(|r| r.timestamp_ms <= end.timestamp_millis())
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn stalled_domain_never_sends_a_byte() {
    let sim = start(cfg(100.0)).await;
    let mut resp = get(
        &logs_url(&sim, "stalled.example.com", ""),
        Some(DEMO_MAIL_KEY),
    )
    .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    assert!(
        timeout(Duration::from_millis(400), resp.chunk())
            .await
            .is_err(),
        "a byte arrived"
    );
    assert_eq!(sim.stats().open_connections, 1);
    sim.shutdown().await;
}

// ---------------------------------------------------------------------------
// Wire modes

async fn wire_sim(words: &str) -> Sim {
    let wire: WireMode = words.parse().expect("wire mode words");
    start(cfg_with(100.0, |c| c.wire = wire)).await
}

#[tokio::test]
async fn line_endings_are_as_configured() {
    let sim = wire_sim("crlf").await;
    let text = issue_body(&sim, "iss-may-newsletter").await;
    assert!(text.starts_with("data: {"));
    assert!(text.ends_with("\r\n\r\ndata: [DONE]\r\n\r\n"), "{text:?}");
    assert_eq!(text.matches('\n').count(), text.matches("\r\n").count());
    let logs_text = logs_body(&sim, "bulk.example.com", "limit=3").await;
    assert!(logs_text.contains("event: logs\r\ndata: {\"logs\":["));
    assert_eq!(parse_logs(&logs_text).total, Some(3));
    sim.shutdown().await;

    let sim = wire_sim("cr").await;
    let text = issue_body(&sim, "iss-may-newsletter").await;
    assert!(!text.contains('\n'));
    assert!(text.ends_with("\r\rdata: [DONE]\r\r"));
    let logs_text = logs_body(&sim, "bulk.example.com", "limit=3").await;
    assert!(!logs_text.contains('\n'));
    assert_eq!(parse_logs(&logs_text).total, Some(3));
    sim.shutdown().await;
}

#[tokio::test]
async fn byte_per_write_sends_one_byte_per_chunk() {
    let (sim, plain) = (wire_sim("bytes").await, start(cfg(100.0)).await);
    for url_of in [
        issue_url(&sim, "iss-may-newsletter"),
        logs_url(&sim, "bulk.example.com", "limit=2"),
    ] {
        let key = if url_of.contains("/blog/") {
            DEMO_BLOG_KEY
        } else {
            DEMO_MAIL_KEY
        };
        let mut resp = get(&url_of, Some(key)).await;
        let mut text = Vec::new();
        let mut chunks = 0;
        while let Some(c) = timeout(LONG, resp.chunk())
            .await
            .expect("a chunk in time")
            .expect("a readable body")
        {
            assert_eq!(c.len(), 1);
            chunks += 1;
            text.extend_from_slice(&c);
        }
        let same = url_of.replace(&sim.addr().to_string(), &plain.addr().to_string());
        let expected = body(get(&same, Some(key)).await).await;
        assert_eq!(chunks, expected.len());
        let text = String::from_utf8(text).expect("UTF-8");
        assert_eq!(text, expected);
    }
    shutdown([sim, plain]).await;
}

#[tokio::test]
async fn comments_mode_adds_bom_comments_ids_and_split_data() {
    let (sim, plain) = (wire_sim("comments").await, start(cfg(100.0)).await);
    let text = issue_body(&sim, "iss-spring-sale").await;
    assert!(text.starts_with('\u{feff}'));
    assert!(text.contains("\n: keepalive\n"));
    assert!(text.contains("\nretry: 3000\n"));
    assert!(text.contains("\nid: "));
    assert!(text.contains("\nevent: progress\n"));
    let events = parse_sse(&text);
    assert!(
        events[0].data.contains('\n'),
        "JSON over several data: lines"
    );
    assert_ends_with(&events, "sent");

    let q = "limit=1500";
    let commented = logs_body(&sim, "bulk.example.com", q).await;
    let straight = logs_body(&plain, "bulk.example.com", q).await;
    assert!(commented.starts_with('\u{feff}'));
    assert!(commented.contains("\nid: bulk-00000999\n"));
    let (a, b) = (parse_logs(&commented), parse_logs(&straight));
    assert_eq!(a.batches, b.batches);
    assert_eq!(a.total, b.total);
    shutdown([sim, plain]).await;
}

#[tokio::test]
async fn every_wire_mode_at_once_still_parses() {
    let (sim, plain) = (wire_sim("cr,bytes,comments").await, start(cfg(100.0)).await);
    let q = "limit=4&event_type=delivered";
    let odd = logs_body(&sim, "bulk.example.com", q).await;
    let straight = logs_body(&plain, "bulk.example.com", q).await;
    assert!(odd.starts_with('\u{feff}') && !odd.contains('\n'));
    assert_eq!(parse_logs(&odd).batches, parse_logs(&straight).batches);
    let text = issue_body(&sim, "iss-may-newsletter").await;
    assert_ends_with(&parse_sse(&text), "sent");
    shutdown([sim, plain]).await;
}

// ---------------------------------------------------------------------------
// Dropping and restarting

async fn wait_open(sim: &Sim, n: u64) {
    let deadline = Instant::now() + LONG;
    while sim.stats().open_connections != n {
        assert!(
            Instant::now() < deadline,
            "open_connections stuck at {}",
            sim.stats().open_connections
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Reads an SSE stream to its end; true if it ended cleanly.
async fn ends_cleanly(resp: &mut reqwest::Response) -> bool {
    loop {
        match timeout(LONG, resp.chunk()).await.expect("the end in time") {
            Ok(Some(_)) => {}
            Ok(None) => return true,
            Err(_) => return false,
        }
    }
}

#[tokio::test]
async fn drop_connections_cuts_streams_but_keeps_listening() {
    let sim = start(cfg(100.0)).await;
    let mut sse = get(&issue_url(&sim, "iss-weekly-digest"), Some(DEMO_BLOG_KEY)).await;
    let mut live = get(
        &logs_url(&sim, "shop.example.com", "start=2026-05-27T09:59:00Z"),
        Some(DEMO_MAIL_KEY),
    )
    .await;
    let inbox = format!("{}/inbox", sim.endpoints().mail_ws_url);
    let mut ws = ws_open(&inbox, Some(DEMO_MAIL_KEY)).await;
    wait_open(&sim, 3).await;
    let text = read_until(&mut sse, |e| !e.is_empty()).await;
    assert!(!text.is_empty());

    sim.drop_connections();
    assert!(
        !ends_cleanly(&mut sse).await,
        "the SSE body must end without completing"
    );
    assert!(!ends_cleanly(&mut live).await);
    loop {
        match next_frame(&mut ws).await {
            Some(Ok(Message::Close(f))) => panic!("a close frame came: {f:?}"),
            Some(Ok(_)) => {}
            Some(Err(_)) | None => break,
        }
    }
    wait_open(&sim, 0).await;

    // Still listening.
    let events = issue_stream(&sim, "iss-may-newsletter").await;
    assert_eq!(events.len(), 2);
    sim.shutdown().await;
}

#[tokio::test]
async fn shutdown_frees_the_port_for_a_restart() {
    let sim = start(cfg(100.0)).await;
    let addr = sim.addr();
    let mut sse = get(&issue_url(&sim, "iss-weekly-digest"), Some(DEMO_BLOG_KEY)).await;
    read_until(&mut sse, |e| !e.is_empty()).await;
    sim.shutdown().await;
    assert!(!ends_cleanly(&mut sse).await);
    assert!(TcpStream::connect(addr).await.is_err(), "still listening");

    let again = start(cfg_with(100.0, |c| c.port = addr.port())).await;
    assert_eq!(again.addr(), addr);
    let newsletter = issue_url(&again, "iss-may-newsletter");
    assert_eq!(get(&newsletter, Some(DEMO_BLOG_KEY)).await.status(), 200);
    again.shutdown().await;
}

#[tokio::test]
async fn streams_end_when_the_client_hangs_up() {
    let sim = start(cfg(100.0)).await;
    let stalled = get(
        &logs_url(&sim, "stalled.example.com", ""),
        Some(DEMO_MAIL_KEY),
    )
    .await;
    // A live stream whose filter matches nothing soon: it writes nothing.
    let quiet = logs_url(
        &sim,
        "shop.example.com",
        "event_type=failed&start=2026-05-27T11:00:00Z",
    );
    let quiet = get(&quiet, Some(DEMO_MAIL_KEY)).await;
    let digest = get(&issue_url(&sim, "iss-weekly-digest"), Some(DEMO_BLOG_KEY)).await;
    wait_open(&sim, 3).await;
    drop((stalled, quiet, digest));
    wait_open(&sim, 0).await;
    sim.shutdown().await;
}

/// The benchmark path: bulk.example.com's unfiltered stream served from
/// bytes built at start must equal the generated one. Building 500k
/// records is slow in a debug build, so this runs on request:
/// `cargo test --release --test it sim_contract -- --ignored`.
#[tokio::test]
#[ignore = "generates 500k records; run with --release -- --ignored"]
async fn prebuilt_bulk_stream_equals_the_generated_one() {
    use std::hash::{DefaultHasher, Hasher};
    let t = Instant::now();
    let pre = start(cfg_with(1.0, |c| c.prebuilt_logs = true)).await;
    eprintln!("prebuilt at start in {:?}", t.elapsed());
    let generated = start(cfg(1.0)).await;
    let mut digests = Vec::new();
    for sim in [&pre, &generated] {
        let t = Instant::now();
        let mut resp = get(
            &logs_url(sim, "bulk.example.com", "limit=500000"),
            Some(DEMO_MAIL_KEY),
        )
        .await;
        let (mut hasher, mut len, mut chunks) = (DefaultHasher::new(), 0usize, 0usize);
        let mut tail = Vec::new();
        while let Some(c) = timeout(LONG, resp.chunk())
            .await
            .expect("a chunk in time")
            .expect("a readable body")
        {
            hasher.write(&c);
            len += c.len();
            chunks += 1;
            tail = c.to_vec();
        }
        eprintln!("{len} bytes in {chunks} chunks, {:?}", t.elapsed());
        assert!(String::from_utf8_lossy(&tail).ends_with("data: {\"total\":500000}\n\n"));
        digests.push((hasher.finish(), len));
    }
    assert_eq!(digests[0], digests[1]);
    pre.shutdown().await;
    generated.shutdown().await;
}
