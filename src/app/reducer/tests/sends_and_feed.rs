//! Send rows, their progress and the live feed.

use super::*;

#[test]
fn a_source_first_seen_creates_its_row() {
    let mut s = state();
    let connecting = UpstreamBody::Conn(ConnState::Connecting { attempt: 1 });
    update(&mut s, upstream(&issue("42"), connecting.clone()));
    update(&mut s, upstream(&campaign("c1"), connecting.clone()));
    update(&mut s, upstream(&domain("acme.io"), connecting.clone()));
    update(&mut s, upstream(&Source::Inbox, connecting));
    assert_eq!(s.sends.rows.len(), 2);
    assert_eq!(s.sends.rows[0].phase, SendPhase::Waiting);
    assert_eq!(s.logs.domains.len(), 1);
    assert_eq!(s.streams.len(), 4);
}

#[test]
fn data_on_a_connecting_stream_means_it_is_live() {
    let mut s = state();
    update(&mut s, inbox(mail("hi")));
    assert_eq!(s.streams[&Source::Inbox].conn, ConnState::Live);
    let logs = domain("acme.io");
    update(
        &mut s,
        upstream(&logs, UpstreamBody::Malformed { detail: "x".into() }),
    );
    assert_eq!(s.streams[&logs].conn, ConnState::Connecting { attempt: 1 });
}

#[test]
fn progress_events_and_rate() {
    let mut s = state();
    update(
        &mut s,
        upstream(&issue("42"), progress(SendStatus::Sending, 0)),
    );
    for i in 1..=10 {
        update(
            &mut s,
            Action::Tick {
                now_ms: NOW + i * 1000,
            },
        );
        update(
            &mut s,
            upstream(&issue("42"), progress(SendStatus::Sending, i as u64 * 50)),
        );
    }
    let row = &s.sends.rows[0];
    assert_eq!(row.sent, 500);
    let rate = row.rate.per_second().expect("a rate");
    assert!((rate - 50.0).abs() < 0.01, "{rate}");
    assert!(row.eta_ms(s.stream_live(&issue("42"))).is_some());
    // Nothing arrives for a while: the rate holds; ticks do not move it.
    update(
        &mut s,
        Action::Tick {
            now_ms: NOW + 20_000,
        },
    );
    assert_eq!(s.sends.rows[0].rate.per_second(), Some(rate));
    update(
        &mut s,
        upstream(&issue("42"), progress(SendStatus::Failed, 600)),
    );
    let row = &s.sends.rows[0];
    assert_eq!(row.phase, SendPhase::Ended(Outcome::Failed));
    assert_eq!(row.ended_ms, Some(NOW + 20_000));
}

#[test]
fn sends_selection_and_unwatch() {
    let mut s = state();
    for id in ["1", "2", "3"] {
        update(
            &mut s,
            upstream(&issue(id), progress(SendStatus::Sending, 5)),
        );
    }
    update(&mut s, ch('j'));
    update(&mut s, press(KeyCode::Down));
    update(&mut s, ch('k'));
    assert_eq!(s.sends.cursor.selected, 1);
    // `d` asks first; n (or Esc) keeps the watch, y stops it.
    assert!(update(&mut s, ch('d')).is_empty());
    assert!(matches!(&s.overlay, Overlay::ConfirmUnwatch { source } if *source == issue("2")));
    assert!(update(&mut s, ch('n')).is_empty());
    assert!(matches!(s.overlay, Overlay::None));
    assert_eq!(s.sends.rows.len(), 3);
    update(&mut s, ch('d'));
    assert!(update(&mut s, press(KeyCode::Esc)).is_empty());
    assert_eq!(s.sends.rows.len(), 3);
    update(&mut s, ch('d'));
    assert_eq!(update(&mut s, ch('y')), [Command::Unwatch(issue("2"))]);
    assert!(matches!(s.overlay, Overlay::None));
    assert_eq!(s.sends.rows.len(), 2);
    assert!(!s.streams.contains_key(&issue("2")));
    // A late event from the unwatched stream does not bring the row back.
    update(
        &mut s,
        upstream(&issue("2"), progress(SendStatus::Sending, 9)),
    );
    assert_eq!(s.sends.rows.len(), 2);
    // Watching it again does.
    update(&mut s, ch('a'));
    let commands = typed(&mut s, "issue 2");
    assert!(commands.is_empty());
    assert_eq!(
        update(&mut s, press(KeyCode::Enter)),
        [Command::Watch(issue("2"))]
    );
    assert_eq!(s.sends.rows.len(), 3);
    update(
        &mut s,
        upstream(&issue("2"), progress(SendStatus::Sending, 9)),
    );
    assert_eq!(s.sends.rows[2].sent, 9);
}

#[test]
fn campaign_updates_make_rows_and_feed_items() {
    let mut s = state();
    let started = InboxEvent::CampaignStarted(InboxCampaign {
        campaign_id: "c1".into(),
        campaign_name: "Spring".into(),
        ..InboxCampaign::default()
    });
    update(&mut s, inbox(started));
    let update_of = |kind| {
        UpstreamBody::Campaign(CampaignUpdate {
            kind,
            campaign_id: "c1".into(),
            sent: 10,
            total: Some(20),
            delivered: 9,
            ..CampaignUpdate::default()
        })
    };
    update(
        &mut s,
        upstream(&campaign("c1"), update_of(CampaignUpdateKind::Progress)),
    );
    assert_eq!(s.sends.rows[0].name.as_deref(), Some("Spring"));
    assert_eq!(s.feed.items.len(), 1);
    update(
        &mut s,
        upstream(&campaign("c1"), update_of(CampaignUpdateKind::Completed)),
    );
    assert_eq!(s.sends.rows[0].phase, SendPhase::Ended(Outcome::Completed));
    assert_eq!(s.feed.items.len(), 2);
    assert_eq!(s.feed.items[0].who, "Spring");
}

#[test]
fn every_inbox_type_reaches_the_feed() {
    let mut s = state();
    let contact = InboxContact {
        email: "b@y.io".into(),
        ..InboxContact::default()
    };
    for event in [
        mail("hi"),
        InboxEvent::Bounce(contact.clone()),
        InboxEvent::Complaint(contact.clone()),
        InboxEvent::Unsubscribe(contact),
        InboxEvent::CampaignStarted(InboxCampaign::default()),
        InboxEvent::CampaignCompleted(InboxCampaign::default()),
    ] {
        update(&mut s, inbox(event));
    }
    assert_eq!(s.feed.items.len(), 6);
    assert_eq!(s.feed.unread, 6);
    update(&mut s, ch('2'));
    assert_eq!(s.feed.unread, 0);
    update(&mut s, inbox(mail("seen")));
    assert_eq!(s.feed.unread, 0);
}

#[test]
fn feed_pause_resume_and_toggles() {
    let mut s = state();
    update(&mut s, ch('2'));
    update(&mut s, inbox(mail("one")));
    update(&mut s, ch(' '));
    assert!(s.feed.paused);
    update(&mut s, inbox(mail("two")));
    update(&mut s, inbox(mail("three")));
    assert_eq!(s.feed.pending, 2);
    assert_eq!(s.feed.visible_len(), 1);
    update(&mut s, ch(' '));
    assert!(!s.feed.paused);
    assert_eq!(s.feed.visible_len(), 3);

    update(&mut s, ch('e'));
    assert!(!s.feed.is_shown(FeedGroup::Email));
    assert_eq!(s.feed.visible_len(), 0);
    for (key, group) in [
        ('b', FeedGroup::Bounce),
        ('c', FeedGroup::Complaint),
        ('u', FeedGroup::Unsubscribe),
        ('s', FeedGroup::Campaign),
    ] {
        update(&mut s, ch(key));
        assert!(!s.feed.is_shown(group));
    }
    update(&mut s, ch('A'));
    assert!(s.feed.all_shown());
    // Feed keys mean nothing in other panes.
    update(&mut s, ch('1'));
    update(&mut s, ch('e'));
    assert!(s.feed.all_shown());
}

#[test]
fn d_in_the_feed_does_nothing() {
    let mut s = state();
    update(&mut s, ch('2'));
    assert!(update(&mut s, ch('d')).is_empty());
}

#[test]
fn rows_and_tabs_keep_the_order_streams_were_started_in() {
    let mut s = state();
    for source in [issue("a"), issue("b"), domain("one.io"), domain("two.io")] {
        update(&mut s, Action::Watching(source));
    }
    // The later streams answer first.
    for source in [domain("two.io"), issue("b"), domain("one.io"), issue("a")] {
        update(&mut s, upstream(&source, logs(1)));
    }
    let tabs: Vec<&str> = s.logs.domains.iter().map(|v| v.domain.as_str()).collect();
    assert_eq!(tabs, ["one.io", "two.io"]);
    assert_eq!(s.logs.current().map(|v| v.domain.as_str()), Some("one.io"));
    let rows: Vec<&Source> = s.sends.rows.iter().map(|r| &r.source).collect();
    assert_eq!(rows, [&issue("a"), &issue("b")]);
}

#[test]
fn the_oldest_ended_sends_go_past_the_row_limit() {
    let mut s = state();
    // 250 ended campaigns, then 10 still sending, one selected in the middle.
    for i in 0..250 {
        update(
            &mut s,
            upstream(
                &issue(&format!("done-{i}")),
                progress(SendStatus::Sent, 1000),
            ),
        );
    }
    for i in 0..10 {
        update(
            &mut s,
            upstream(
                &issue(&format!("live-{i}")),
                progress(SendStatus::Sending, 5),
            ),
        );
    }
    s.sends.cursor.selected = 20;
    let commands = update(&mut s, Action::Tick { now_ms: NOW + 1000 });
    assert_eq!(s.sends.rows.len(), MAX_SEND_ROWS);
    let unwatched: Vec<&Command> = commands
        .iter()
        .filter(|c| matches!(c, Command::Unwatch(_)))
        .collect();
    assert_eq!(unwatched.len(), 60);
    // The oldest ended went, but not the selected one (done-20), which is
    // still selected; every running send stayed.
    assert!(!s.sends.rows.iter().any(|r| r.source == issue("done-0")));
    assert!(s.sends.rows.iter().any(|r| r.source == issue("done-61")));
    assert_eq!(
        s.sends.selected_row().map(|r| &r.source),
        Some(&issue("done-20"))
    );
    for i in 0..10 {
        assert!(
            s.sends
                .rows
                .iter()
                .any(|r| r.source == issue(&format!("live-{i}")))
        );
    }
    assert!(!s.streams.contains_key(&issue("done-0")));
    // Under the limit nothing more goes.
    assert!(update(&mut s, Action::Tick { now_ms: NOW + 2000 }).is_empty());
}

#[test]
fn connection_states_and_errors() {
    let mut s = state();
    let source = domain("acme.io");
    let conn = |state: ConnState| upstream(&source, UpstreamBody::Conn(state));
    update(&mut s, conn(ConnState::Live));
    assert_eq!(s.streams[&source].conn, ConnState::Live);
    assert!(s.last_error.is_none());
    update(&mut s, Action::Tick { now_ms: NOW + 1000 });
    update(
        &mut s,
        conn(ConnState::Reconnecting {
            attempt: 2,
            delay: Duration::from_secs(4),
            reason: "reset\u{1b}[31m by peer".into(),
        }),
    );
    let error = s.last_error.clone().unwrap();
    assert_eq!(
        (error.at_ms, error.text.as_str()),
        (NOW + 1000, "reset by peer")
    );
    update(&mut s, Action::Tick { now_ms: NOW + 2500 });
    assert_eq!(
        s.streams[&source].remaining(s.now_ms),
        Some(Duration::from_millis(2500))
    );
    update(
        &mut s,
        conn(ConnState::RateLimited {
            wait: Duration::from_secs(30),
        }),
    );
    assert_eq!(s.streams[&source].since_ms, NOW + 2500);
    update(
        &mut s,
        conn(ConnState::Finished {
            reason: "complete".into(),
        }),
    );
    update(
        &mut s,
        conn(ConnState::Stopped(StopReason::KeyRefused {
            detail: "HTTP 401\n".into(),
        })),
    );
    assert_eq!(
        s.streams[&source].conn,
        ConnState::Stopped(StopReason::KeyRefused {
            detail: "HTTP 401 ".into()
        })
    );
    assert_eq!(s.last_error.unwrap().text, "key refused: HTTP 401 ");
}

#[test]
fn malformed_rate_limit_and_completion() {
    let mut s = state();
    let source = domain("acme.io");
    update(
        &mut s,
        upstream(
            &source,
            UpstreamBody::Malformed {
                detail: "bad\u{7} json".into(),
            },
        ),
    );
    update(
        &mut s,
        upstream(
            &Source::Inbox,
            UpstreamBody::Malformed { detail: "x".into() },
        ),
    );
    assert_eq!(s.malformed.count, 2);
    assert_eq!(s.malformed.last, Some((Source::Inbox, "x".into())));
    update(
        &mut s,
        upstream(
            &source,
            UpstreamBody::RateLimit {
                limit: Some(100),
                remaining: Some(7),
            },
        ),
    );
    assert_eq!(
        s.streams[&source].rate_limit,
        Some(RateLimitInfo {
            limit: Some(100),
            remaining: Some(7)
        })
    );
    update(
        &mut s,
        upstream(&source, UpstreamBody::LogsComplete { total: Some(42) }),
    );
    assert_eq!(s.logs.current().unwrap().complete, Some(Some(42)));
}
