//! Faults and load (issue 6): a server killed and restarted mid-stream, a
//! link that goes silent at every stage of a connection, a slow upstream
//! next to fast ones, and 429 storms. The simulator plays the healthy
//! server; where a server must misbehave in a way the simulator cannot, the
//! test starts a small one of its own on 127.0.0.1 that speaks just enough
//! HTTP, SSE or WebSocket.
//!
//! Timing assertions are lower bounds (never early) and generous upper
//! bounds (a loaded two-core machine), never tight windows.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::screen::{draw, text};
use crate::support::*;
use misar_dash::app::{Action, AppOptions, AppState};
use misar_dash::dashboard::dispatch;
use misar_dash::model::{ConnState, LogQuery, Source, StopReason, UpstreamBody, UpstreamEvent};
use misar_dash::sim::SimConfig;
use misar_dash::upstream::Upstream;
use misar_dash::upstream::options::ClientOptions;
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

// ---- what the test servers send ---------------------------------------------------

/// A log record at `2026-11-23T09:00:00Z + secs`.
fn record_json(id: &str, secs: u32) -> String {
    format!(
        r#"{{"id":"{id}","timestamp":"2026-11-23T09:{:02}:{:02}Z","event_type":"delivered","sender":"s@shop.example.com","recipient":"r@example.net","subject":"Hello","tags":[],"message_id":"<{id}@x>"}}"#,
        secs / 60,
        secs % 60
    )
}

/// Options for clients of `server`, with the demo keys, retrying forever.
fn opts_for(server: &Server) -> ClientOptions {
    ClientOptions {
        endpoints: endpoints("http", "127.0.0.1", server.addr.port()),
        max_retries: None,
        ..keyed(fast_defaults())
    }
}

/// A client of `server` for `source`, run to its end or for `secs`.
async fn client_of(server: &Server, source: Source, secs: u64) -> Run {
    let limit = Duration::from_secs(secs);
    run_client(opts_for(server), source, LogQuery::default(), limit).await
}

/// Silence was noticed `after` it began: not before `window` (less 50 ms
/// for the two clocks), and not more than 4 s after it (a loaded machine).
#[track_caller]
fn assert_noticed(after: Duration, window: Duration) {
    let early = after + Duration::from_millis(50) < window;
    assert!(!early, "noticed after only {after:?} of silence");
    let late = after >= window + Duration::from_secs(4);
    assert!(!late, "took {after:?}");
}

/// The longest wait between two instants in a row.
fn longest_gap(times: &[Instant]) -> Duration {
    times
        .windows(2)
        .map(|w| w[1] - w[0])
        .max()
        .unwrap_or_default()
}

// ---- the view through the reducer ---------------------------------------------------

/// The app state fed the way the dashboard feeds it: a tick with the real
/// clock, then the event.
struct App {
    state: AppState,
}

impl App {
    fn new(max_log_records: usize) -> App {
        App {
            state: AppState::new(AppOptions {
                max_log_records,
                now_ms: now_ms(),
                ..AppOptions::default()
            }),
        }
    }

    fn apply(&mut self, event: UpstreamEvent) {
        dispatch(&mut self.state, Action::Tick { now_ms: now_ms() });
        dispatch(&mut self.state, Action::Upstream(event));
    }

    /// The ids the domain's log view holds, oldest first.
    fn view_ids(&self, domain: &str) -> Vec<String> {
        let Some(view) = self.state.logs.get(domain) else {
            return Vec::new();
        };
        let store = &view.store;
        (store.evicted()..store.streamed())
            .map(|seq| store.full_record(seq).expect("held record").id)
            .collect()
    }

    fn complete(&self, domain: &str) -> Option<Option<u64>> {
        self.state.logs.get(domain).and_then(|v| v.complete)
    }

    fn conn(&self, source: &Source) -> Option<&ConnState> {
        self.state.streams.get(source).map(|s| &s.conn)
    }

    fn screen(&self, width: u16, height: u16) -> String {
        text(&draw(&self.state, width, height))
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

// ---- killed and restarted mid-stream ------------------------------------------------

/// Streams a domain's logs through the reducer into the log view while the
/// server is killed and restarted on the same port, twice, mid-stream; the
/// inbox, a send and a campaign ride along. Every client comes back by
/// itself, and the view ends with exactly the records of an undisturbed
/// run: same ids, same order, none lost, none twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_server_leaves_the_log_view_exactly_as_sent() {
    const N: u32 = 20_000;
    const DOMAIN: &str = "bulk.example.com";
    let query = LogQuery {
        limit: Some(N),
        ..Default::default()
    };

    // Undisturbed.
    let sim = start_sim(sim_config()).await;
    let mut app = App::new(N as usize * 2);
    let mut clients = Clients::start(fast_options(&sim), 64);
    clients.spawn(domain(DOMAIN), query.clone());
    while app.complete(DOMAIN).is_none() {
        let event = clients
            .next(Duration::from_secs(60))
            .await
            .expect("the undisturbed stream completes");
        app.apply(event);
    }
    drop(clients);
    let want = app.view_ids(DOMAIN);
    assert_eq!(want.len(), N as usize);
    let port = sim.addr().port();
    let running_campaign = longest_running_campaign(&sim);
    sim.shutdown().await;

    // Disturbed: the same world, killed twice while the stream is under way.
    let mut sim = Some(
        start_sim(SimConfig {
            port,
            ..sim_config()
        })
        .await,
    );
    let mut opts = fast_options(sim.as_ref().expect("the simulator"));
    opts.max_retries = None;
    let mut app = App::new(N as usize * 2);
    // A small channel: the client is at most a few batches ahead of the
    // view, so a kill lands in the middle of the stream.
    let mut clients = Clients::start(opts, 4);
    let sources = [
        domain(DOMAIN),
        Source::Inbox,
        issue("iss-weekly-digest"),
        campaign(&running_campaign),
    ];
    for source in &sources {
        clients.spawn(source.clone(), query.clone());
    }
    let mut batches = 0;
    let mut restarts = Vec::new();
    // Per source: came back (live again, or ended normally) since the
    // latest restart. One that had ended before it has nothing to come
    // back from.
    let mut back = [false; 4];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    loop {
        let done = app.complete(DOMAIN).is_some() && restarts.len() == 2 && back.iter().all(|b| *b);
        if done {
            break;
        }
        let event = clients.next_by(deadline).await.unwrap_or_else(|| {
            panic!(
                "not every client came back: {back:?}, {:?}",
                app.state.streams
            )
        });
        let index = sources
            .iter()
            .position(|s| *s == event.source)
            .expect("one of the sources");
        match &event.body {
            UpstreamBody::Conn(ConnState::Live) => back[index] = true,
            UpstreamBody::Conn(ConnState::Finished { .. }) => back[index] = true,
            UpstreamBody::Conn(ConnState::Stopped(reason)) => {
                panic!("{}: stopped: {reason}", event.source)
            }
            UpstreamBody::Logs(_) => batches += 1,
            _ => {}
        }
        app.apply(event);
        let held = app.view_ids(DOMAIN).len();
        if (batches == 3 && restarts.is_empty()) || (batches == 12 && restarts.len() == 1) {
            assert!(held < N as usize, "the kill must land mid-stream");
            restarts.push(held);
            restart_sim(&mut sim, port).await;
            back = sources
                .each_ref()
                .map(|s| matches!(app.conn(s), Some(ConnState::Finished { .. })));
        }
    }
    let got = app.view_ids(DOMAIN);
    assert_eq!(restarts.len(), 2, "killed twice, at {restarts:?} records");
    assert_eq!(got.len(), want.len(), "nothing lost, nothing twice");
    assert!(got == want, "the same records in the same order");
    assert_eq!(app.complete(DOMAIN), Some(Some(u64::from(N))));
    // Every stream came back after each restart (above); on a loaded
    // machine a WebSocket may miss its heartbeats and reconnect once more
    // since, so each is waited for to be up, not taken at one instant.
    let settled = |app: &App| {
        sources.iter().all(|source| {
            matches!(
                app.conn(source),
                Some(ConnState::Live | ConnState::Finished { .. })
            )
        })
    };
    while !settled(&app) {
        let event = clients
            .next_by(deadline)
            .await
            .unwrap_or_else(|| panic!("a stream did not come back: {:?}", app.state.streams));
        if let UpstreamBody::Conn(ConnState::Stopped(reason)) = &event.body {
            panic!("{}: stopped: {reason}", event.source)
        }
        app.apply(event);
    }
    assert!(app.view_ids(DOMAIN) == want, "nothing more arrived");
    if let Some(sim) = sim {
        sim.shutdown().await;
    }
}

// ---- a link that goes silent ------------------------------------------------------

/// A WebSocket that was healthy (pings answered with pongs) and then goes
/// silent without closing is declared dead two heartbeat periods after the
/// last thing heard, not before, and redialled.
#[tokio::test]
async fn a_websocket_gone_silent_is_dropped_after_two_heartbeats() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    // (pongs received, when the last ping went out)
    let seen = Arc::new(Mutex::new((0usize, None::<Instant>)));
    let server_seen = seen.clone();
    let server = WsServer::start(move |n, ws| {
        let seen = server_seen.clone();
        async move {
            let (mut sink, mut read) = ws.split();
            let reader_seen = seen.clone();
            let reader = tokio::spawn(async move {
                while let Some(Ok(message)) = read.next().await {
                    if matches!(message, Message::Pong(_)) {
                        reader_seen.lock().expect("the pong count").0 += 1;
                    }
                }
            });
            if n == 0 {
                for _ in 0..3 {
                    let ping = Message::Ping(vec![1].into());
                    sink.send(ping).await.expect("a ping goes out");
                    seen.lock().expect("the ping time").1 = Some(Instant::now());
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
            // Then nothing at all, and no close either.
            let _ = tokio::time::timeout(Duration::from_secs(60), reader).await;
            drop(sink);
        }
    })
    .await;
    let mut opts = ClientOptions {
        max_retries: None,
        ..keyed(fast_defaults())
    };
    opts.endpoints.mail_ws_url = server.url();
    // The client keeps running after the first reconnect: it must dial again.
    let mut client = Client::start(opts, Source::Inbox, LogQuery::default());
    let run = client
        .run_until(Duration::from_secs(20), |run| {
            run.first_reconnect().is_some()
        })
        .await;
    let (detected, reason) = run.first_reconnect().expect("the silence was noticed");
    assert!(reason.contains("no ping"), "{reason}");
    let (pongs, last_ping) = *seen.lock().expect("what the server saw");
    let last_ping = last_ping.expect("pings were sent");
    let heartbeat = Duration::from_millis(300);
    assert_noticed(detected.duration_since(last_ping), heartbeat * 2);
    assert_eq!(pongs, 3, "every ping was answered");
    // And it dials again.
    wait_until(Duration::from_secs(10), || server.connections() >= 2).await;
    assert!(server.connections() >= 2, "no second connection");
}

/// A log stream that delivered records and then went silent, open: after
/// the read timeout it is redialled from the newest timestamp, and the
/// records come out once each.
#[tokio::test]
async fn a_log_stream_gone_silent_times_out_and_resumes_where_it_was() {
    let last_byte = Arc::new(Mutex::new(None::<Instant>));
    let marker = last_byte.clone();
    let server = Server::start(move |n, _, mut stream| {
        let marker = marker.clone();
        async move {
            if n == 0 {
                let ids = [("r1", 0), ("r2", 1), ("r3", 2)];
                let body = logs_event(&ids.map(|(id, s)| record_json(id, s)));
                send(&mut stream, &[SSE_HEAD, &body]).await;
                *marker.lock().expect("the time of the last byte") = Some(Instant::now());
                hold_silently(stream).await;
            } else {
                // From the resume point: the record at that time again, then
                // a new one.
                let again = logs_event(&[record_json("r3", 2), record_json("r4", 3)]);
                send(&mut stream, &[SSE_HEAD, &again, &complete_event(2)]).await;
            }
        }
    })
    .await;
    let run = client_of(&server, domain("quiet.example.com"), 20).await;
    let (detected, reason) = run.first_reconnect().expect("the silence was noticed");
    assert!(reason.contains("no data"), "{reason}");
    let last = last_byte.lock().expect("the time of the last byte");
    let silence = detected.duration_since(last.expect("the records went out"));
    assert_noticed(silence, Duration::from_millis(800));
    assert_eq!(run.record_ids(), ["r1", "r2", "r3", "r4"]);
    run.finished_reason();
    let hits = server.hits();
    assert_eq!(hits.len(), 2);
    assert_eq!(
        hits[1].param("start").as_deref(),
        Some("2026-11-23T09:00:02Z"),
        "resumed from the newest timestamp"
    );
}

/// The same for the send-progress stream.
#[tokio::test]
async fn a_send_stream_gone_silent_times_out_and_carries_on() {
    let server = Server::start(|n, _, mut stream| async move {
        if n == 0 {
            let sending = "data: {\"status\":\"sending\",\"sent\":10,\"total\":100}\n\n";
            send(&mut stream, &[SSE_HEAD, sending]).await;
            hold_silently(stream).await;
        } else {
            let sent = "data: {\"status\":\"sent\",\"sent\":100,\"total\":100}\n\ndata: [DONE]\n\n";
            send(&mut stream, &[SSE_HEAD, sent]).await;
        }
    })
    .await;
    let run = client_of(&server, issue("iss-quiet"), 20).await;
    let (_, reason) = run.first_reconnect().expect("the silence was noticed");
    assert!(reason.contains("no data"), "{reason}");
    assert_eq!(run.finished_reason(), "send sent");
}

/// Silence before the response head: the server (or a proxy in front of
/// it) accepted the connection and read the request, then said nothing.
/// The read timeout covers this too, for both SSE clients.
#[tokio::test]
async fn silence_before_the_response_head_times_out_too() {
    let server = Server::start(|_, _, stream| hold_silently(stream)).await;
    for source in [domain("mute.example.com"), issue("iss-mute")] {
        let started = Instant::now();
        let run = run_until(
            opts_for(&server),
            source.clone(),
            LogQuery::default(),
            Duration::from_secs(15),
            |run| run.first_reconnect().is_some(),
        )
        .await;
        let (detected, reason) = run
            .first_reconnect()
            .unwrap_or_else(|| panic!("{source}: never gave up waiting: {:?}", run.events));
        assert!(reason.contains("timed out"), "{source}: {reason}");
        let waited = detected.duration_since(started);
        assert!(waited >= Duration::from_millis(800), "{source}: {waited:?}");
        assert!(waited < Duration::from_secs(6), "{source}: {waited:?}");
    }
}

/// An error status whose body never comes: the client neither hangs on the
/// body nor loses the status.
#[tokio::test]
async fn an_error_body_that_never_arrives_times_out() {
    let server = Server::start(|n, _, mut stream| async move {
        if n == 0 {
            let head = "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"err";
            send(&mut stream, &[head]).await;
            hold_silently(stream).await;
        } else {
            send(&mut stream, &[SSE_HEAD, &complete_event(0)]).await;
        }
    })
    .await;
    let run = client_of(&server, domain("half.example.com"), 15).await;
    let (_, reason) = run
        .first_reconnect()
        .expect("the stalled body was given up on");
    assert!(reason.contains("500"), "{reason}");
    run.finished_reason();
}

/// A WebSocket upgrade that is never answered: the handshake times out and
/// is tried again.
#[tokio::test]
async fn an_unanswered_websocket_handshake_times_out() {
    let server = Server::start(|_, _, stream| hold_silently(stream)).await;
    let started = Instant::now();
    let opts = ClientOptions {
        header_timeout: Duration::from_secs(2),
        ..opts_for(&server)
    };
    // The client keeps running after the first reconnect: it must dial again.
    let mut client = Client::start(opts, Source::Inbox, LogQuery::default());
    let run = client
        .run_until(Duration::from_secs(40), |run| {
            run.first_reconnect().is_some()
        })
        .await;
    let (detected, reason) = run
        .first_reconnect()
        .expect("the handshake was given up on");
    assert_contains(
        &reason,
        &["no WebSocket handshake answer from 127.0.0.1:", "in 2 s"],
    );
    assert!(detected.duration_since(started) < Duration::from_secs(10));
    wait_until(Duration::from_secs(10), || server.hits().len() >= 2).await;
    assert!(server.hits().len() >= 2, "dialled again");
}

// ---- a slow upstream ---------------------------------------------------------------

/// One domain's server trickles its stream a byte every 50 ms while the
/// simulator serves the inbox and another domain at full speed, all into
/// one channel and one reducer, drawn after every event as the dashboard
/// does. The fast streams never wait for the slow one, the loop never
/// stalls, and the slow stream's records come out whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_upstream_stalls_neither_the_screen_nor_other_streams() {
    const BYTE_EVERY: Duration = Duration::from_millis(50);
    let slow = Server::start(|_, _, mut stream| async move {
        let tiny =
            |id: &str, s: u32| format!(r#"{{"id":"{id}","timestamp":"2026-11-23T09:00:0{s}Z"}}"#);
        let body = format!(
            "event: logs\ndata: [{},{}]\n\n{}",
            tiny("s1", 1),
            tiny("s2", 2),
            complete_event(2)
        );
        // The head at once (its time is bounded as a whole, see
        // RELIABILITY.md), then the body a byte at a time.
        if !send(&mut stream, &[SSE_HEAD]).await {
            return;
        }
        for byte in body.as_bytes() {
            if stream.write_all(&[*byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(BYTE_EVERY).await;
        }
    })
    .await;
    let sim = start_sim(SimConfig {
        speed: 100.0,
        ..sim_config()
    })
    .await;
    let fast = fast_options(&sim);
    let mut slow_opts = opts_for(&slow);
    // Far shorter than the whole trickle: the timeout is for silence, and
    // a byte every 50 ms is not silence.
    slow_opts.sse_read_timeout = Duration::from_secs(1);
    let (tx, mut rx) = mpsc::channel(1024);
    let fast_upstream = Upstream::new(fast, tx.clone()).expect("client setup");
    let slow_upstream = Upstream::new(slow_opts, tx).expect("client setup");
    let _fast_tasks = [
        fast_upstream.spawn(Source::Inbox, LogQuery::default()),
        fast_upstream.spawn(domain("shop.example.com"), LogQuery::default()),
    ];
    let started = Instant::now();
    let _slow_task = slow_upstream.spawn(domain("slow.example.com"), LogQuery::default());

    let mut app = App::new(100_000);
    let mut frames: Vec<Instant> = Vec::new();
    let mut inbox_at: Vec<Instant> = Vec::new();
    let mut shop_batches = 0usize;
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while app.complete("slow.example.com").is_none() {
        tokio::select! {
            _ = tokio::time::sleep_until(deadline) => panic!("the slow stream never completed"),
            _ = tick.tick() => {
                dispatch(&mut app.state, Action::Tick { now_ms: now_ms() });
            }
            Some(event) = rx.recv() => {
                match (&event.source, &event.body) {
                    (Source::Inbox, UpstreamBody::Inbox(_)) => inbox_at.push(Instant::now()),
                    (Source::DomainLogs { domain }, UpstreamBody::Logs(_)) if domain == "shop.example.com" => {
                        shop_batches += 1
                    }
                    _ => {}
                }
                app.apply(event);
            }
        }
        app.screen(120, 40);
        frames.push(Instant::now());
    }
    let trickle = started.elapsed();
    assert!(
        trickle >= BYTE_EVERY * 100,
        "the stream really was slow: {trickle:?}"
    );
    assert_eq!(app.view_ids("slow.example.com"), ["s1", "s2"]);
    assert_eq!(
        slow.hits().len(),
        1,
        "the slow stream was never taken for dead"
    );
    // The loop drew all along: no gap between frames near the trickle's
    // length (ticks alone make one every 100 ms).
    let longest_frame_gap = longest_gap(&frames);
    assert!(
        longest_frame_gap < Duration::from_secs(2),
        "the loop stalled for {longest_frame_gap:?}"
    );
    // The inbox kept coming at its own pace while the slow stream crawled.
    assert!(inbox_at.len() >= 10, "{} inbox events", inbox_at.len());
    let longest_inbox_gap = longest_gap(&inbox_at);
    assert!(
        longest_inbox_gap < trickle / 3,
        "the inbox waited {longest_inbox_gap:?} during a {trickle:?} trickle"
    );
    assert!(
        shop_batches >= 5,
        "{shop_batches} batches from the fast domain"
    );
    assert!(matches!(
        app.conn(&domain("shop.example.com")),
        Some(ConnState::Live | ConnState::Finished { .. })
    ));
    sim.shutdown().await;
}

// ---- 429 storms ----------------------------------------------------------------------

/// A 429 answer with this `Retry-After`.
fn too_many(retry_after: &str) -> String {
    let body = r#"{"success":false,"message":"Too many attempts. Please try again later."}"#;
    format!(
        "HTTP/1.1 429 Too Many Requests\r\nRetry-After: {retry_after}\r\nX-RateLimit-Limit: 60\r\nX-RateLimit-Remaining: 0\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// Five 429s in a row (one asking for two seconds), then the stream: no
/// request comes before its `Retry-After` is over, each wait is on screen
/// as a countdown, and the storm does not use up the retry budget.
#[tokio::test]
async fn a_429_storm_is_waited_out_request_by_request() {
    const WAITS: [u64; 5] = [1, 1, 2, 1, 1];
    let server = Server::answering(|n, _| match WAITS.get(n) {
        Some(wait) => too_many(&wait.to_string()),
        None => {
            let records = logs_event(&[record_json("a", 0), record_json("b", 1)]);
            format!("{SSE_HEAD}{records}{}", complete_event(2))
        }
    })
    .await;
    let mut opts = opts_for(&server);
    // A storm is not a failure: one retry would be spent by the second 429.
    opts.max_retries = Some(1);
    let source = domain("storm.example.com");
    let mut clients = Clients::start(opts, 64);
    clients.spawn(source.clone(), LogQuery::default());
    let mut app = App::new(1000);
    let mut countdowns = Vec::new();
    let mut waits = Vec::new();
    loop {
        let event = clients
            .next(Duration::from_secs(30))
            .await
            .expect("the storm ends");
        let body = event.body.clone();
        app.apply(event);
        match body {
            UpstreamBody::Conn(ConnState::RateLimited { wait }) => {
                waits.push(wait.as_secs());
                let screen = app.screen(120, 40);
                let shown = screen
                    .lines()
                    .find(|l| l.contains("storm.example.com") && l.contains("rate-limited"))
                    .map(|l| l.trim().to_string());
                countdowns.push(shown.unwrap_or_else(|| panic!("no countdown on:\n{screen}")));
            }
            UpstreamBody::Conn(state) if state.is_final() => {
                assert!(
                    matches!(state, ConnState::Finished { .. }),
                    "the storm made it give up: {state}"
                );
                break;
            }
            _ => {}
        }
    }
    assert_eq!(waits, WAITS);
    for (shown, wait) in countdowns.iter().zip(WAITS) {
        assert!(shown.contains(&format!("rate-limited {wait}s")), "{shown}");
    }
    assert_eq!(app.view_ids("storm.example.com"), ["a", "b"]);
    let hits = server.hits();
    assert_eq!(hits.len(), WAITS.len() + 1);
    for (i, pair) in hits.windows(2).enumerate() {
        let gap = pair[1].at - pair[0].at;
        assert!(
            gap >= Duration::from_secs(WAITS[i]),
            "request {} came {gap:?} after a Retry-After of {}s",
            i + 1,
            WAITS[i]
        );
    }
    let rate = app.state.streams[&source]
        .rate_limit
        .expect("rate-limit headers kept");
    assert_eq!(rate.remaining, Some(0));
}

/// `Retry-After: 0` in a storm must not turn into a tight loop of requests.
#[tokio::test]
async fn retry_after_zero_is_not_a_busy_loop() {
    const STORM: usize = 3;
    let server = Server::answering(|n, _| {
        if n < STORM {
            too_many("0")
        } else {
            format!("{SSE_HEAD}{}", complete_event(0))
        }
    })
    .await;
    let run = client_of(&server, domain("zero.example.com"), 20).await;
    run.finished_reason();
    let hits = server.hits();
    assert_eq!(hits.len(), STORM + 1);
    for pair in hits.windows(2) {
        let gap = pair[1].at - pair[0].at;
        assert!(gap >= Duration::from_secs(1), "a retry after only {gap:?}");
    }
}

/// The simulator's rate-limited domain, opened again and again as a person
/// re-filtering would: every sequence of 429s is waited out, and the
/// simulator counts no request that came before its `Retry-After`.
#[tokio::test]
async fn the_simulators_rate_limit_is_never_hit_early() {
    let sim = start_sim(sim_config()).await;
    for round in 0..3 {
        let opts = fast_options(&sim);
        let limited = domain("limited.example.com");
        let run = run_client(opts, limited, at_most(20), Duration::from_secs(20)).await;
        let finished = matches!(run.last_state(), Some(ConnState::Finished { .. }));
        assert!(finished, "round {round}: {:?}", run.states());
        assert_eq!(run.records().len(), 20, "round {round}");
        let waits = run.count_states(|s| matches!(s, ConnState::RateLimited { .. }));
        assert_eq!(waits, 2, "round {round}");
    }
    assert_rate_limited(&sim, 6);
    sim.shutdown().await;
}

/// A stop is a stop: a refused key in the middle of a storm of drops is not
/// retried (the restart test's counterpart).
#[tokio::test]
async fn a_refusal_after_a_drop_is_not_retried() {
    let server = Server::start(|n, _, mut stream| async move {
        if n == 0 {
            // One record, then the connection drops.
            let records = logs_event(&[record_json("a", 0)]);
            send(&mut stream, &[SSE_HEAD, &records]).await;
        } else {
            let body = r#"{"error":"Invalid API key"}"#;
            let refused = answer("401 Unauthorized", "application/json", body);
            send(&mut stream, &[&refused]).await;
        }
    })
    .await;
    let run = client_of(&server, domain("revoked.example.com"), 15).await;
    assert!(matches!(
        run.events.last(),
        Some(UpstreamBody::Conn(ConnState::Stopped(
            StopReason::KeyRefused { .. }
        )))
    ));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(server.hits().len(), 2, "no retry after the refusal");
}
