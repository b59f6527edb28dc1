//! The four clients against the simulator (and, where the simulator cannot
//! misbehave in the way needed, a small server the test starts), all on
//! 127.0.0.1: every documented status, error and close code, every wire
//! mode, drops and restarts.

use std::time::Duration;

use crate::support::*;
use misar_dash::model::{
    CampaignUpdateKind, ConnState, InboxEvent, LogEventType, LogQuery, SendStatus, Source,
    StopReason, UpstreamBody,
};
use misar_dash::sim::{self, CampaignFate, Sim, WireMode, WsRefusal};
use misar_dash::upstream::options::{ApiKey, ClientOptions};

const T: Duration = Duration::from_secs(20);

/// A client of `sim` for `source` with the fast options, run to its end.
async fn stream(sim: &Sim, source: Source) -> Run {
    run_client(fast_options(sim), source, LogQuery::default(), T).await
}

/// [`stream`] with `query`.
async fn stream_query(sim: &Sim, source: Source, query: LogQuery) -> Run {
    run_client(fast_options(sim), source, query, T).await
}

/// [`stream`] until `until` says stop.
async fn stream_until(sim: &Sim, source: Source, until: impl FnMut(&Run) -> bool) -> Run {
    run_until(fast_options(sim), source, LogQuery::default(), T, until).await
}

/// The fast options for `sim` with `key` as the mail key.
fn with_mail_key(sim: &Sim, key: &str) -> ClientOptions {
    ClientOptions {
        mail_key: Some(ApiKey::new(key)),
        ..fast_options(sim)
    }
}

/// The client finished by itself (and did not stop on an error).
fn finished(run: &Run) -> bool {
    matches!(run.last_state(), Some(ConnState::Finished { .. }))
}

// ---- send progress ----------------------------------------------------------

#[tokio::test]
async fn send_progress_ends_with_each_terminal_state() {
    let sim = start_sim(sim_config()).await;
    for (id, want) in [
        ("iss-spring-sale", SendStatus::Sent),
        ("iss-partner-update", SendStatus::Failed),
        ("iss-flash-sale-reminder", SendStatus::Cancelled),
        ("iss-may-newsletter", SendStatus::Sent),
    ] {
        let run = stream(&sim, issue(id)).await;
        let progress = run.progress();
        let last = progress.last().expect("progress events");
        assert_eq!(last.status, want, "{id}");
        assert!(
            progress.windows(2).all(|w| w[0].sent <= w[1].sent),
            "{id}: sent never goes back"
        );
        let reason = format!("send {}", want.as_str());
        assert_eq!(run.finished_reason(), reason, "{id}");
        assert!(
            run.reconnect_reasons().is_empty(),
            "{id}: a terminal state is not reconnected"
        );
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn issue_not_found_stops_without_retrying() {
    let sim = start_sim(sim_config()).await;
    for id in ["iss-acme-quarterly", "no-such-issue"] {
        let before = sim.stats().requests;
        let run = stream(&sim, issue(id)).await;
        assert_contains(stop_detail!(run, NotFound, "{id}"), &[id]);
        let requests = sim.stats().requests - before;
        assert_eq!(requests, 1, "{id}: one request, no retry");
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn poll_failed_backs_off_and_carries_on() {
    let sim = start_sim(sim_config()).await;
    let run = stream_until(&sim, issue("iss-flaky"), |run| run.progress().len() >= 4).await;
    let reasons = run.reconnect_reasons();
    assert!(
        reasons.iter().any(|r| r.contains("poll_failed")),
        "{reasons:?}"
    );
    assert!(run.stop_reason().is_none());
    sim.shutdown().await;
}

#[tokio::test]
async fn done_without_a_terminal_state_resumes_at_once() {
    let sim = start_sim(sim_config_with(|c| {
        c.send_stream_cap = Duration::from_millis(300);
    }))
    .await;
    let run = stream_until(&sim, issue("iss-weekly-digest"), |run| {
        run.count_states(|s| matches!(s, ConnState::Live)) >= 3
    })
    .await;
    let resumes: Vec<_> = run
        .states()
        .into_iter()
        .filter(|s| matches!(s, ConnState::Reconnecting { .. }))
        .collect();
    assert!(resumes.len() >= 2, "{:?}", run.states());
    for r in resumes {
        assert!(
            matches!(r, ConnState::Reconnecting { attempt: 1, delay, .. } if delay.is_zero()),
            "{r:?}"
        );
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn refused_blog_keys_stop_without_retrying() {
    let sim = start_sim(sim_config()).await;
    for (key, status) in [
        ("mbk_wrong", "401"),
        (sim::NOSCOPE_BLOG_KEY, "403"),
        (sim::DEMO_MAIL_KEY, "401"),
    ] {
        let opts = ClientOptions {
            blog_key: Some(ApiKey::new(key)),
            ..fast_options(&sim)
        };
        let before = sim.stats().requests;
        let run = run_client(opts, issue("iss-spring-sale"), LogQuery::default(), T).await;
        let detail = stop_detail!(run, KeyRefused, "{key}");
        assert!(detail.contains(status), "{detail}");
        assert!(!detail.contains(key), "the key is not in the message");
        assert_eq!(sim.stats().requests - before, 1);
    }
    let opts = ClientOptions {
        blog_key: None,
        ..fast_options(&sim)
    };
    let run = run_client(opts, issue("iss-spring-sale"), LogQuery::default(), T).await;
    stop_detail!(run, NoKey);
    sim.shutdown().await;
}

// ---- mail WebSocket -----------------------------------------------------------

#[tokio::test]
async fn the_inbox_delivers_all_six_event_types() {
    let sim = start_sim(sim_config_with(|c| c.speed = 200.0)).await;
    let kinds = |run: &Run| {
        let mut seen: Vec<&'static str> = run.inbox().iter().map(|e| e.type_name()).collect();
        seen.sort_unstable();
        seen.dedup();
        seen
    };
    let run = stream_until(&sim, Source::Inbox, |run| kinds(run).len() == 6).await;
    assert_eq!(
        kinds(&run),
        [
            "bounce",
            "campaign_completed",
            "campaign_started",
            "complaint",
            "email_received",
            "unsubscribe"
        ]
    );
    let mail = run.inbox().into_iter().find_map(|e| match e {
        InboxEvent::EmailReceived(m) => Some(m),
        _ => None,
    });
    let mail = mail.expect("a received mail");
    assert!(mail.from.contains('@') && !mail.subject.is_empty());
    assert_eq!(run.malformed(), 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn campaigns_end_with_each_terminal_event() {
    let sim = start_sim(sim_config_with(|c| c.speed = 400.0)).await;
    for (fate, kind) in [
        (CampaignFate::Completed, CampaignUpdateKind::Completed),
        (CampaignFate::Failed, CampaignUpdateKind::Failed),
        (CampaignFate::Cancelled, CampaignUpdateKind::Cancelled),
    ] {
        let c = demo_campaign(&sim, fate);
        let limit = Duration::from_secs(30);
        let opts = fast_options(&sim);
        let run = run_client(opts, campaign(&c.id), LogQuery::default(), limit).await;
        let last = run.campaign_updates().last().map(|u| u.kind);
        assert_eq!(last, Some(kind), "{}", c.id);
        assert_eq!(run.finished_reason(), format!("campaign {}", kind.as_str()));
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn websocket_refusals_stop_both_ways() {
    for refusal in [WsRefusal::HttpStatus, WsRefusal::CloseCode] {
        let sim = start_sim(sim_config_with(|c| c.ws_refusal = refusal)).await;
        let before = sim.stats().requests;
        let by_http = refusal == WsRefusal::HttpStatus;
        let run = stream(&sim, campaign(&other_accounts_campaign(&sim))).await;
        let code = if by_http { "403" } else { "4403" };
        let detail = stop_detail!(run, NotFound, "{refusal:?}");
        assert!(detail.contains(code), "{refusal:?}: {detail}");
        // A wrong key, and a blog key where the mail key goes, on the inbox.
        for key in ["msk_wrong", sim::DEMO_BLOG_KEY] {
            let opts = with_mail_key(&sim, key);
            let run = run_client(opts, Source::Inbox, LogQuery::default(), T).await;
            let code = if by_http { "403" } else { "4401" };
            let detail = stop_detail!(run, KeyRefused, "{refusal:?} {key}");
            assert!(
                detail.contains(code) && detail.contains("check the key"),
                "{refusal:?} {key}: {detail}"
            );
        }
        // A wrong key on a campaign channel: a 403 there cannot say whether
        // the key or the campaign is wrong, so the message names both.
        let opts = with_mail_key(&sim, "msk_wrong");
        let id = demo_campaign(&sim, CampaignFate::Completed).id;
        let run = run_client(opts, campaign(&id), LogQuery::default(), T).await;
        if by_http {
            let detail = stop_detail!(run, NotFound, "{refusal:?}");
            let named = [
                "403",
                "not this account's",
                "mail key is missing or invalid",
            ];
            assert_contains(detail, &named);
        } else {
            assert_contains(stop_detail!(run, KeyRefused, "{refusal:?}"), &["4401"]);
        }
        assert_eq!(sim.stats().requests - before, 4, "{refusal:?}: no retries");
        sim.shutdown().await;
    }
}

/// Other servers may refuse the upgrade with 401, as the SSE APIs do: the
/// key message too, and no retry.
#[tokio::test]
async fn a_websocket_refused_with_401_is_a_key_stop() {
    let server = Server::answering(|_, _| {
        answer(
            "401 Unauthorized",
            "application/json",
            r#"{"error":"Unauthorized"}"#,
        )
    })
    .await;
    let mut opts = fast_defaults();
    opts.endpoints.mail_ws_url = format!("ws://{}/mail/ws", server.addr);
    opts.mail_key = Some(ApiKey::new("msk_wrong"));
    for source in [Source::Inbox, campaign("cmp-1")] {
        let run = run_client(opts.clone(), source, LogQuery::default(), T).await;
        assert_contains(stop_detail!(run, KeyRefused), &["401", "check the key"]);
    }
    assert_eq!(server.hits().len(), 2);
}

#[tokio::test]
async fn a_silent_websocket_is_declared_dead_and_redialled() {
    let sim = start_sim(sim_config_with(|c| c.ws_silent = true)).await;
    let started = tokio::time::Instant::now();
    let run = stream_until(&sim, Source::Inbox, |run| {
        !run.reconnect_reasons().is_empty()
    })
    .await;
    run.assert_first_reconnect("no ping");
    // Two heartbeat periods of 300 ms, with room for a slow machine.
    assert!(started.elapsed() < Duration::from_secs(5));
    sim.shutdown().await;
}

#[tokio::test]
async fn close_1001_reconnects_with_backoff() {
    use futures_util::SinkExt;
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::protocol::CloseFrame;
    use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
    // A server that accepts, then closes with 1001 as a restarting server does.
    let server = WsServer::start(|_, mut ws| async move {
        let frame = CloseFrame {
            code: CloseCode::Away,
            reason: "server restart".into(),
        };
        let _ = ws.send(Message::Close(Some(frame))).await;
    })
    .await;
    let sim = start_sim(sim_config()).await;
    let mut opts = fast_options(&sim);
    opts.endpoints.mail_ws_url = server.url();
    opts.max_retries = Some(2);
    let run = run_client(opts, Source::Inbox, LogQuery::default(), T).await;
    let reasons = run.reconnect_reasons();
    assert_eq!(reasons.len(), 2, "{:?}", run.states());
    assert!(reasons.iter().all(|r| r.contains("1001")), "{reasons:?}");
    assert!(matches!(
        run.stop_reason(),
        Some(StopReason::GaveUp { attempts: 3, .. })
    ));
    sim.shutdown().await;
}

// ---- domain logs -------------------------------------------------------------

/// A stream that sends its last batches, its completion and its end in
/// one go: the client reads the end while large batches before the
/// completion are still being parsed, and must not mistake it for a drop.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_completion_read_while_batches_are_parsing_is_kept() {
    const BATCHES: usize = 8;
    const PER_BATCH: usize = 4_000;
    let server = Server::answering(|_, _| {
        let mut body = String::new();
        for b in 0..BATCHES {
            let records: Vec<String> = (0..PER_BATCH)
                .map(|i| {
                    let n = b * PER_BATCH + i;
                    format!(
                        r#"{{"id":"r{n}","timestamp":"2026-05-27T10:15:00.{:03}Z","sender":"s@x","recipient":"r{n}@y","subject":"s","tags":[],"message_id":"<{n}>"}}"#,
                        n % 1000
                    )
                })
                .collect();
            body.push_str(&logs_event(&records));
        }
        body.push_str(&complete_event(BATCHES * PER_BATCH));
        format!("{SSE_HEAD}{body}")
    })
    .await;
    let mut opts = keyed(fast_defaults());
    opts.endpoints.mail_url = format!("{}/mail", server.url());
    opts.max_retries = Some(0);
    let run = run_client(opts, domain("big.example.com"), LogQuery::default(), T).await;
    let reason = format!("complete: {} records", BATCHES * PER_BATCH);
    assert_eq!(run.finished_reason(), reason, "{:?}", run.states());
    assert_eq!(run.records().len(), BATCHES * PER_BATCH);
}

#[tokio::test]
async fn a_domain_streams_completely_with_the_exact_count() {
    let sim = start_sim(sim_config()).await;
    let want = domain_records(&sim, "flaky.example.com");
    let run = stream(&sim, domain("flaky.example.com")).await;
    let records = run.records();
    assert_eq!(records.len() as u64, want);
    let mut ids: Vec<_> = records.iter().map(|r| r.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len() as u64, want, "no duplicates");
    assert!(
        run.events
            .contains(&UpstreamBody::LogsComplete { total: Some(want) })
    );
    assert!(
        records
            .windows(2)
            .all(|w| w[0].timestamp_ms <= w[1].timestamp_ms)
    );
    // The first attempt got a 500 and was retried with backoff.
    run.assert_first_reconnect("500");
    sim.shutdown().await;
}

#[tokio::test]
async fn the_500k_domain_streams_completely() {
    let sim = start_sim(sim_config()).await;
    let mut clients = Clients::start(fast_options(&sim), 64);
    clients.spawn(domain("bulk.example.com"), at_most(500_000));
    let (mut count, mut complete, mut last_ts, mut ordered) = (0u64, None, i64::MIN, true);
    loop {
        let event = clients
            .next(Duration::from_secs(120))
            .await
            .expect("no stall of two minutes");
        match event.body {
            UpstreamBody::Logs(records) => {
                count += records.len() as u64;
                for (at, _) in records.times() {
                    ordered &= at >= last_ts;
                    last_ts = at;
                }
            }
            UpstreamBody::LogsComplete { total } => complete = total,
            UpstreamBody::Conn(s) if s.is_final() => {
                assert!(matches!(s, ConnState::Finished { .. }), "{s:?}");
                break;
            }
            UpstreamBody::Malformed { detail } => panic!("{detail}"),
            _ => {}
        }
    }
    assert_eq!(count, 500_000);
    assert_eq!(complete, Some(500_000));
    assert!(ordered);
    sim.shutdown().await;
}

#[tokio::test]
async fn the_limit_and_server_side_filters_apply() {
    let sim = start_sim(sim_config()).await;
    let query = LogQuery {
        event_type: Some(LogEventType::Bounced),
        ..at_most(25)
    };
    let run = stream_query(&sim, domain("bulk.example.com"), query).await;
    let records = run.records();
    assert_eq!(records.len(), 25);
    assert!(
        records
            .iter()
            .all(|r| r.event_type == Some(LogEventType::Bounced))
    );
    assert!(finished(&run));
    sim.shutdown().await;
}

#[tokio::test]
async fn domain_log_errors_map_to_stops() {
    let sim = start_sim(sim_config()).await;
    let run = stream(&sim, domain("other.example.org")).await;
    assert_contains(stop_detail!(run, NotFound), &["404"]);
    let run = stream(&sim, domain("nowhere.example.net")).await;
    stop_detail!(run, NotFound);
    // A value the client's parsers would refuse, built by hand to reach the
    // server: its 400 stops the stream.
    let bad = LogQuery {
        event_type: Some(LogEventType::Other),
        ..Default::default()
    };
    let run = stream_query(&sim, domain("shop.example.com"), bad).await;
    assert_contains(stop_detail!(run, BadQuery), &["400"]);
    let opts = with_mail_key(&sim, "msk_nope");
    let run = run_client(opts, domain("shop.example.com"), LogQuery::default(), T).await;
    assert_contains(stop_detail!(run, KeyRefused), &["401"]);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_rate_limit_is_waited_out_and_never_hit_early() {
    let sim = start_sim(sim_config()).await;
    let run = stream_query(&sim, domain("limited.example.com"), at_most(50)).await;
    let waits: Vec<_> = run
        .states()
        .into_iter()
        .filter(|s| matches!(s, ConnState::RateLimited { .. }))
        .collect();
    assert_eq!(waits.len(), 2, "{:?}", run.states());
    assert!(
        waits.iter().all(
            |w| matches!(w, ConnState::RateLimited { wait } if *wait == Duration::from_secs(1))
        )
    );
    assert_eq!(run.records().len(), 50);
    assert!(run.events.iter().any(|b| matches!(
        b,
        UpstreamBody::RateLimit {
            remaining: Some(0),
            ..
        }
    )));
    assert_rate_limited(&sim, 2);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_stalled_stream_times_out_and_reconnects() {
    let sim = start_sim(sim_config()).await;
    let run = stream_until(&sim, domain("stalled.example.com"), |run| {
        !run.reconnect_reasons().is_empty()
    })
    .await;
    run.assert_first_reconnect("no data");
    sim.shutdown().await;
}

#[tokio::test]
async fn every_wire_mode_gives_the_same_events() {
    let plain = start_sim(sim_config()).await;
    let flaky = || domain("flaky.example.com");
    let newsletter = || issue("iss-may-newsletter");
    let want_logs = stream_query(&plain, flaky(), at_most(300)).await;
    let want_send = stream(&plain, newsletter()).await;
    plain.shutdown().await;
    assert_eq!(want_logs.records().len(), 300);
    for mode in ["crlf", "cr", "bytes", "comments", "all"] {
        let wire: WireMode = mode.parse().expect("a wire mode");
        let sim = start_sim(sim_config_with(|c| c.wire = wire)).await;
        let got = stream_query(&sim, flaky(), at_most(300)).await;
        assert!(
            got.records() == want_logs.records(),
            "{mode}: records differ"
        );
        assert_eq!(got.malformed(), 0, "{mode}");
        let got = stream(&sim, newsletter()).await;
        assert_eq!(got.events, want_send.events, "{mode}");
        sim.shutdown().await;
    }
}

#[tokio::test]
async fn the_key_can_travel_as_a_query_parameter() {
    let sim = start_sim(sim_config()).await;
    let opts = ClientOptions {
        token_in_query: true,
        ..fast_options(&sim)
    };
    let send = issue("iss-may-newsletter");
    let run = run_client(opts.clone(), send, LogQuery::default(), T).await;
    assert!(finished(&run), "{:?}", run.states());
    let run = run_until(opts, Source::Inbox, LogQuery::default(), T, |run| {
        run.states().contains(&&ConnState::Live)
    })
    .await;
    assert!(run.stop_reason().is_none());
    sim.shutdown().await;
}

// ---- drops and restarts ---------------------------------------------------------

/// Streams bulk.example.com while the server drops every connection a few
/// times: the records delivered are exactly those of an undisturbed run.
#[tokio::test]
async fn domain_logs_survive_drops_with_nothing_lost_or_repeated() {
    let sim = start_sim(sim_config()).await;
    let bulk = || domain("bulk.example.com");
    let want = stream_query(&sim, bulk(), at_most(20_000))
        .await
        .record_ids();
    assert_eq!(want.len(), 20_000);

    let opts = ClientOptions {
        max_retries: None,
        ..fast_options(&sim)
    };
    // The channel is small, so the server is at most a few batches ahead:
    // dropping cuts the stream mid-way.
    let mut clients = Clients::start(opts, 4);
    clients.spawn(bulk(), at_most(20_000));
    let (mut got, mut drops, mut batches) = (Vec::new(), 0, 0);
    loop {
        let event = clients.next(T).await.expect("the stream goes on");
        match event.body {
            UpstreamBody::Logs(records) => {
                got.extend(batch_records(&records).into_iter().map(|r| r.id));
                batches += 1;
                if batches % 4 == 0 && drops < 3 {
                    sim.drop_connections();
                    drops += 1;
                }
            }
            UpstreamBody::Conn(s) if s.is_final() => break,
            _ => {}
        }
    }
    assert_eq!(drops, 3);
    assert_eq!(got.len(), want.len(), "nothing lost, nothing twice");
    assert_eq!(got, want);
    sim.shutdown().await;
}

#[tokio::test]
async fn every_client_recovers_when_the_server_restarts_on_the_same_port() {
    let sim = start_sim(sim_config()).await;
    let port = sim.addr().port();
    let opts = ClientOptions {
        max_retries: None,
        ..fast_options(&sim)
    };
    let mut clients = Clients::start(opts, 256);
    let sources = [
        Source::Inbox,
        issue("iss-weekly-digest"),
        domain("shop.example.com"),
    ];
    for source in &sources {
        clients.spawn(source.clone(), LogQuery::default());
    }
    let live_count = |seen: &[(Source, ConnState)], s: &Source| {
        seen.iter()
            .filter(|(src, st)| src == s && *st == ConnState::Live)
            .count()
    };
    let mut seen = Vec::new();
    let mut restarted = false;
    let mut sim = Some(sim);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while let Some(event) = clients.next_by(deadline).await {
        if let UpstreamBody::Conn(state) = event.body {
            assert!(!state.is_final(), "{}: {state}", event.source);
            seen.push((event.source, state));
        }
        if !restarted && sources.iter().all(|s| live_count(&seen, s) >= 1) {
            restart_sim(&mut sim, port).await;
            restarted = true;
        }
        if restarted && sources.iter().all(|s| live_count(&seen, s) >= 2) {
            break;
        }
    }
    for s in &sources {
        assert!(live_count(&seen, s) >= 2, "{s} did not come back: {seen:?}");
    }
    if let Some(sim) = sim {
        sim.shutdown().await;
    }
}
