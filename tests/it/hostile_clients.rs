//! The clients against the simulator's hostile domain and hostile
//! WebSocket mode, over real sockets on 127.0.0.1: every valid record and
//! event is delivered with its text intact (sanitizing is the app's job),
//! everything else is counted as `Malformed` and skipped, the oversized
//! frame costs one reconnect, and nothing panics.

use std::time::Duration;

use crate::support::*;
use misar_dash::model::{ConnState, InboxEvent, LogEventType, LogQuery, Source, UpstreamBody};
use misar_dash::sim::hostile::{self, WsFrame};
use misar_dash::sim::{self, Account, CampaignFate, SimConfig};

const T: Duration = Duration::from_secs(40);

fn epoch_ms(sim_cfg: &SimConfig) -> i64 {
    sim_cfg.epoch.expect("a fixed epoch").timestamp_millis()
}

/// How many of `details` say `what`.
fn count(details: &[&str], what: &str) -> usize {
    details.iter().filter(|d| d.contains(what)).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_domain_delivers_every_valid_record_and_counts_the_rest() {
    for wire in ["plain", "crlf,comments", "cr"] {
        let cfg = sim_config_with(|c| c.wire = wire.parse().expect("a wire mode"));
        let expected = hostile::expected_logs(epoch_ms(&cfg));
        let sim = start_sim(cfg).await;
        let run = run_client(
            raw_options(&sim),
            domain(hostile::DOMAIN),
            LogQuery::default(),
            T,
        )
        .await;
        let reason = format!("complete: {} records", expected.records.len());
        assert_eq!(run.finished_reason(), reason, "{wire}");
        let got: Vec<_> = run.records();
        assert_eq!(got.len(), expected.records.len(), "{wire}");
        assert_eq!(
            got, expected.records,
            "{wire}: records arrive whole and in order"
        );
        let details = run.malformed_details();
        assert_eq!(details.len(), expected.malformed(), "{wire}: {details:#?}");
        for (what, want) in [
            ("log record skipped", expected.skipped_records),
            ("not JSON", expected.malformed_batches),
            ("larger than", expected.oversized_events),
        ] {
            assert_eq!(count(&details, what), want, "{wire}: {what}");
        }
        // The text is raw here: the client keeps what the server said.
        assert!(got.iter().any(|r| r.subject.contains("\u{1b}[31m")));
        assert!(got.iter().any(|r| r.subject.chars().count() == 10_000));
        assert!(
            got.iter()
                .any(|r| r.event_type == Some(LogEventType::Other))
        );
        assert!(got.iter().any(|r| !r.extra.is_empty()));
        // No detail quotes the hostile text back.
        assert!(details.iter().all(|d| !d.contains('\u{1b}')), "{details:?}");
        sim.shutdown().await;
    }
}

/// Batches with the records as the client parsed them, as the headless
/// mode gets them: the dashboard's keep only what its store reads, cleaned.
fn raw_options(sim: &misar_dash::sim::Sim) -> misar_dash::upstream::options::ClientOptions {
    misar_dash::upstream::options::ClientOptions {
        prepare_for_store: false,
        ..fast_options(sim)
    }
}

/// The server filters the valid records; the junk still comes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_domain_filters_valid_records_and_still_sends_junk() {
    let cfg = sim_config();
    let expected = hostile::expected_logs(epoch_ms(&cfg));
    let sim = start_sim(cfg).await;
    let query = LogQuery {
        event_type: Some(LogEventType::Bounced),
        ..LogQuery::default()
    };
    let run = run_client(raw_options(&sim), domain(hostile::DOMAIN), query, T).await;
    let want: Vec<_> = expected
        .records
        .iter()
        .filter(|r| r.event_type == Some(LogEventType::Bounced))
        .cloned()
        .collect();
    assert_eq!(want.len(), 1);
    let got: Vec<_> = run.records();
    assert_eq!(got, want);
    // The oversized record is delivered-typed, so it is filtered out.
    assert_eq!(
        run.malformed(),
        expected.skipped_records + expected.malformed_batches
    );
    assert!(matches!(run.last_state(), Some(ConnState::Finished { .. })));
    sim.shutdown().await;
}

fn is_hostile_inbox_event(e: &InboxEvent) -> bool {
    match e {
        InboxEvent::EmailReceived(m) => m.from.ends_with("evil@example.com"),
        InboxEvent::Bounce(c) => c
            .campaign_id
            .as_deref()
            .is_some_and(|id| id.starts_with("cmp-hostile")),
        InboxEvent::CampaignStarted(c) => c.campaign_id.starts_with("cmp-hostile"),
        _ => false,
    }
}

fn lives(run: &Run) -> usize {
    run.count_states(|s| matches!(s, ConnState::Live))
}

/// The hostile WebSocket mode's simulator.
async fn hostile_websockets() -> misar_dash::sim::Sim {
    start_sim(sim_config_with(|c| c.ws_hostile = true)).await
}

/// Clients of the hostile channels. The simulator builds a session's
/// opening (its junk, and the first time a frame of over 1 MiB) before it
/// sends any of it; on a loaded machine that took longer than the fast
/// options' dead-link window (two heartbeats, at least a second), the
/// client redialled, and the junk and the big frame moved from one session
/// to the other. These tests are not about heartbeats: the window is long.
fn patient_options(sim: &misar_dash::sim::Sim) -> misar_dash::upstream::options::ClientOptions {
    misar_dash::upstream::options::ClientOptions {
        heartbeat: Duration::from_secs(5),
        ..fast_options(sim)
    }
}

/// Two sessions of a hostile channel: the first brings its junk and the
/// frame over the cap, which ends it; the second brings the junk again.
/// The message says what each session did.
#[track_caller]
fn assert_two_hostile_sessions(run: &Run) {
    let junk = hostile::ws_junk().len();
    let details = run.malformed_details();
    let said = format!("{:#?}\n{:?}", details, run.states());
    assert_eq!(lives(run), 2, "{said}");
    assert_eq!(details.len(), 2 * junk + 1, "{said}");
    assert_eq!(count(&details, "binary frame"), 2, "{said}");
    assert_eq!(count(&details, "size cap"), 1, "{said}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_inbox_skips_junk_and_recovers_from_the_oversized_frame() {
    let sim = hostile_websockets().await;
    let per_session = hostile::ws_inbox_events("x").len();
    let hostile_events = |run: &Run| -> usize {
        run.inbox()
            .into_iter()
            .filter(|e| is_hostile_inbox_event(e))
            .count()
    };
    let run = run_until(
        patient_options(&sim),
        Source::Inbox,
        LogQuery::default(),
        T,
        |run| hostile_events(run) >= 2 * per_session,
    )
    .await;
    assert_eq!(hostile_events(&run), 2 * per_session, "{:?}", run.states());
    // Two sessions: the first ended by the oversized frame.
    assert_two_hostile_sessions(&run);
    let reasons = run.reconnect_reasons();
    assert_eq!(reasons.len(), 1, "{reasons:?}");
    assert!(reasons[0].contains("size cap"), "{reasons:?}");
    assert!(
        !run.inbox().iter().any(|e| matches!(e,
            InboxEvent::EmailReceived(m) if m.from == "huge@example.com")),
        "the oversized event was not taken"
    );
    // Valid events keep their text as sent.
    let want = hostile::ws_inbox_events("");
    let InboxEvent::EmailReceived(sent) = &want[0] else {
        panic!("the first hostile event is a mail")
    };
    assert!(run.inbox().iter().any(|e| matches!(e,
        InboxEvent::EmailReceived(m) if m.subject == sent.subject && m.from == sent.from)));
    assert!(!matches!(run.last_state(), Some(ConnState::Stopped(_))));
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_campaign_channel_skips_junk_and_still_finishes() {
    let sim = hostile_websockets().await;
    let c = sim
        .catalog()
        .campaigns
        .into_iter()
        .filter(|c| c.account == Account::Demo && c.fate == CampaignFate::Completed)
        .filter(|c| c.start_secs <= 0.0 && c.end_secs > 20.0)
        .min_by(|a, b| a.end_secs.total_cmp(&b.end_secs))
        .expect("a running campaign");
    let opts = patient_options(&sim);
    let run = run_client(opts, campaign(&c.id), LogQuery::default(), T).await;
    assert_eq!(run.finished_reason(), "campaign completed");
    assert_two_hostile_sessions(&run);
    let dressed = run
        .campaign_updates()
        .iter()
        .filter(|u| u.extra.contains_key("x-hostile"))
        .count();
    assert!(dressed >= 1, "hostile updates are delivered");
    sim.shutdown().await;
}

/// The frames the mode promises really are what the client sees: the
/// oversized one is over the client's cap.
#[test]
fn the_oversized_frame_is_over_the_default_cap() {
    let WsFrame::Text(text) = hostile::ws_oversized("2026-05-27T10:00:00Z") else {
        panic!("a text frame")
    };
    let cap = misar_dash::upstream::options::ClientOptions::default().max_message_bytes;
    assert!(text.len() > cap, "{} <= {cap}", text.len());
    assert!(hostile::OVERSIZED_BYTES > cap);
    let _ = sim::DEMO_MAIL_KEY;
}

/// A WebSocket server that sends its first client one text message in
/// frames each under `cap` but over it together, and every later client one
/// small valid event.
async fn fragmenting_server(cap: usize) -> WsServer {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::protocol::frame::Frame;
    use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};

    WsServer::start(move |n, mut ws| async move {
        if n == 0 {
            let part = vec![b'x'; cap / 4];
            let frames = 8;
            for i in 0..frames {
                let opcode = if i == 0 {
                    OpCode::Data(Data::Text)
                } else {
                    OpCode::Data(Data::Continue)
                };
                let frame = Frame::message(part.clone(), opcode, i == frames - 1);
                if ws.send(Message::Frame(frame)).await.is_err() {
                    return;
                }
            }
        } else {
            let event = serde_json::json!({
                "type": "email_received",
                "from": "ok@example.com",
                "subject": "after the big one",
            });
            let _ = ws.send(Message::Text(event.to_string().into())).await;
        }
        while let Some(Ok(_)) = ws.next().await {}
    })
    .await
}

/// The message cap holds for a message of many small frames, not only for
/// one big frame; the client reconnects and carries on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_over_the_cap_in_small_frames_is_refused() {
    let cap = 64 * 1024;
    let sim = start_sim(sim_config()).await;
    let mut opts = fast_options(&sim);
    let server = fragmenting_server(cap).await;
    opts.endpoints.mail_ws_url = server.url();
    opts.max_message_bytes = cap;
    let run = run_until(opts, Source::Inbox, LogQuery::default(), T, |run| {
        run.inbox()
            .iter()
            .any(|e| matches!(e, InboxEvent::EmailReceived(m) if m.subject == "after the big one"))
    })
    .await;
    let details = run.malformed_details();
    assert_eq!(details.len(), 1, "{details:?}");
    assert!(details[0].contains("size cap"), "{details:?}");
    assert!(
        run.reconnect_reasons()
            .first()
            .is_some_and(|r| r.contains("size cap")),
        "{:?}",
        run.states()
    );
    assert_eq!(run.inbox().len(), 1, "only the small event arrived");
    sim.shutdown().await;
}

/// A send-stream server that answers every request with the same hostile
/// stream: escapes in a comment and an event name, an event that is not
/// JSON, a mistyped field, an array, an unknown status, an event over the
/// cap, then `sent` and `[DONE]`.
async fn hostile_send_stream_server() -> Server {
    Server::answering(|_, _| {
        let big = "x".repeat(hostile::OVERSIZED_BYTES);
        let body = format!(
            ": \u{1b}]0;PWNED\u{7}\n\
             data: not json \u{1b}[2J\n\n\
             data: {{\"status\":\"sending\",\"sent\":\"many\"}}\n\n\
             data: [1,2]\n\n\
             data: {{\"status\":\"exploding\",\"sent\":1,\"total\":10}}\n\n\
             event: weird\u{1b}[31m\ndata: {{\"status\":\"sending\",\"sent\":5,\"total\":10}}\n\n\
             data: {{\"status\":\"sending\",\"note\":\"{big}\"}}\n\n\
             data: {{\"status\":\"sent\",\"sent\":10,\"total\":10,\"x\":\"\\u001b]0;t\\u0007\"}}\n\n\
             data: [DONE]\n\n"
        );
        format!("{SSE_HEAD}{body}")
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_send_stream_skips_junk_and_still_finishes() {
    use misar_dash::model::SendStatus;
    let sim = start_sim(sim_config()).await;
    let mut opts = fast_options(&sim);
    let server = hostile_send_stream_server().await;
    opts.endpoints.blog_url = format!("{}/blog", server.url());
    let run = run_client(opts, issue("iss-hostile"), LogQuery::default(), T).await;
    assert_eq!(
        run.last_state(),
        Some(&ConnState::Finished {
            reason: "send sent".into()
        }),
        "{:?}",
        run.states()
    );
    let statuses: Vec<SendStatus> = run
        .events
        .iter()
        .filter_map(|b| match b {
            UpstreamBody::Progress(p) => Some(p.status),
            _ => None,
        })
        .collect();
    assert_eq!(
        statuses,
        [SendStatus::Unknown, SendStatus::Sending, SendStatus::Sent]
    );
    let details = run.malformed_details();
    assert_eq!(details.len(), 4, "{details:#?}");
    assert_eq!(
        details.iter().filter(|d| d.contains("larger than")).count(),
        1
    );
    assert!(details.iter().all(|d| !d.contains('\u{1b}')), "{details:?}");
    sim.shutdown().await;
}
