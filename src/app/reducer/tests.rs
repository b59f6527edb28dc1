use std::time::Duration;

use crossterm::event::{KeyCode, KeyModifiers, MouseEventKind};
use ratatui::layout::Rect;

use super::*;
use crate::app::feed::FeedGroup;
use crate::app::sends::{Outcome, SendPhase};
use crate::app::{AppOptions, Geometry, Overlay, Viewports};
use crate::model::mail::{InboxCampaign, InboxContact, InboxMail};
use crate::model::{
    CampaignUpdate, CampaignUpdateKind, InboxEvent, SendProgress, SendStatus, StopReason,
};
use crate::model::{LogEventType, LogRecord};

/// The rate and ETA of sends, and how long an error stays news (issue 16).
mod rate_and_errors;

const NOW: i64 = 1_780_000_000_000;

/// The reducer's world in these tests: panes stacked on an 80x24 screen,
/// as `ui` lays them out there with the Sends pane focused. It stays put:
/// the event loop's re-layout after each action is `dashboard`'s to test.
const SCREEN: Geometry = Geometry {
    viewports: Viewports {
        sends: 2,
        feed: 3,
        logs: 6,
    },
    panes: [
        Rect::new(0, 0, 80, 6),
        Rect::new(0, 6, 80, 5),
        Rect::new(0, 11, 80, 11),
    ],
    overlay_page: 0,
    overlay_scroll_limit: 0,
};

fn state() -> AppState {
    with_options(AppOptions::default())
}

fn with_options(options: AppOptions) -> AppState {
    let mut s = AppState::new(AppOptions {
        now_ms: NOW,
        log_limit: 1000,
        ..options
    });
    s.geometry = SCREEN;
    s
}

/// An overlay that scrolls `limit` lines past its first page of `page`.
fn overlay_scrolls(s: &mut AppState, page: u16, limit: u16) {
    s.geometry.overlay_page = page;
    s.geometry.overlay_scroll_limit = limit;
}

fn press(code: KeyCode) -> Action {
    Action::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn ch(c: char) -> Action {
    press(KeyCode::Char(c))
}

fn ctrl(c: char) -> Action {
    Action::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

fn typed(state: &mut AppState, text: &str) -> Vec<Command> {
    text.chars().flat_map(|c| update(state, ch(c))).collect()
}

fn upstream(source: &Source, body: UpstreamBody) -> Action {
    Action::Upstream(UpstreamEvent {
        source: source.clone(),
        generation: 1,
        body,
    })
}

fn issue(id: &str) -> Source {
    Source::SendProgress {
        issue_id: id.into(),
    }
}

fn campaign(id: &str) -> Source {
    Source::Campaign {
        campaign_id: id.into(),
    }
}

fn domain(name: &str) -> Source {
    Source::DomainLogs {
        domain: name.into(),
    }
}

fn progress(status: SendStatus, sent: u64) -> UpstreamBody {
    UpstreamBody::Progress(SendProgress {
        status,
        sent,
        total: 1000,
        opened: 10,
        bounced: 1,
    })
}

fn record(i: u64, event: LogEventType) -> LogRecord {
    LogRecord {
        id: format!("r{i}"),
        timestamp_ms: NOW - 100_000 + i as i64,
        event_type: Some(event),
        sender: "news@acme.io".into(),
        recipient: format!("user{i}@example.org"),
        subject: if i % 2 == 0 {
            "Weekly digest"
        } else {
            "Receipt"
        }
        .into(),
        tags: vec!["newsletter".into()],
        message_id: format!("<m{i}>"),
        ..LogRecord::default()
    }
}

fn logs(n: u64) -> UpstreamBody {
    UpstreamBody::Logs(
        (0..n)
            .map(|i| {
                let t = if i % 3 == 0 {
                    LogEventType::Bounced
                } else {
                    LogEventType::Delivered
                };
                record(i, t)
            })
            .collect(),
    )
}

fn inbox(event: InboxEvent) -> Action {
    upstream(&Source::Inbox, UpstreamBody::Inbox(event))
}

fn mail(subject: &str) -> InboxEvent {
    InboxEvent::EmailReceived(InboxMail {
        from: "a@x.io".into(),
        subject: subject.into(),
        ..InboxMail::default()
    })
}

fn with_logs(n: u64) -> AppState {
    let mut s = state();
    update(&mut s, upstream(&domain("acme.io"), logs(n)));
    update(&mut s, ch('3'));
    s
}

fn current_matches(s: &AppState) -> usize {
    s.logs.current().unwrap().store.match_count()
}

fn selected(s: &AppState) -> usize {
    s.logs.current().unwrap().cursor.selected
}

#[test]
fn focus_moves_with_tab_shift_tab_and_numbers() {
    let mut s = state();
    assert_eq!(s.focus, Pane::Sends);
    update(&mut s, press(KeyCode::Tab));
    assert_eq!(s.focus, Pane::Feed);
    update(&mut s, press(KeyCode::Tab));
    update(&mut s, press(KeyCode::Tab));
    assert_eq!(s.focus, Pane::Sends);
    update(&mut s, press(KeyCode::BackTab));
    assert_eq!(s.focus, Pane::Logs);
    update(&mut s, ch('2'));
    assert_eq!(s.focus, Pane::Feed);
    update(&mut s, ch('1'));
    assert_eq!(s.focus, Pane::Sends);
}

#[test]
fn quit_from_everywhere() {
    let mut s = state();
    assert_eq!(update(&mut s, ch('q')), [Command::Quit]);
    assert_eq!(update(&mut s, ctrl('c')), [Command::Quit]);
    let mut s = with_logs(3);
    update(&mut s, ch('/'));
    // q is text in the filter bar; Ctrl-C still quits.
    assert!(update(&mut s, ch('q')).is_empty());
    assert_eq!(update(&mut s, ctrl('c')), [Command::Quit]);
    let mut s = state();
    update(&mut s, ch('a'));
    assert!(update(&mut s, ch('q')).is_empty());
    assert_eq!(update(&mut s, ctrl('c')), [Command::Quit]);
}

#[test]
fn help_opens_scrolls_and_closes() {
    let mut s = state();
    update(&mut s, ch('?'));
    assert!(matches!(s.overlay, Overlay::Help { scroll: 0 }));
    overlay_scrolls(&mut s, 0, 40);
    update(&mut s, ch('j'));
    update(&mut s, ch('j'));
    update(&mut s, ch('k'));
    assert!(matches!(s.overlay, Overlay::Help { scroll: 1 }));
    // Keys of the main view do nothing while help is open.
    update(&mut s, press(KeyCode::Tab));
    assert_eq!(s.focus, Pane::Sends);
    update(&mut s, ch('?'));
    assert!(matches!(s.overlay, Overlay::None));
    // Scrolling stops at the end of the help.
    update(&mut s, ch('?'));
    for _ in 0..500 {
        update(&mut s, ch('j'));
    }
    let Overlay::Help { scroll } = s.overlay else {
        panic!("help closed")
    };
    assert_eq!(scroll, 40);
    update(&mut s, ch('k'));
    assert!(matches!(s.overlay, Overlay::Help { scroll: s2 } if s2 == scroll - 1));
    update(&mut s, press(KeyCode::Esc));
    assert!(matches!(s.overlay, Overlay::None));
}

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
fn logs_follow_and_scroll_keys() {
    let mut s = with_logs(100);
    let height = s.geometry.viewports.logs;
    assert!(height > 2);
    assert!(s.logs.current().unwrap().follow);
    assert_eq!(selected(&s), 99);
    update(&mut s, upstream(&domain("acme.io"), logs(10)));
    assert_eq!(selected(&s), 109);

    update(&mut s, ch('k'));
    assert!(!s.logs.current().unwrap().follow);
    assert_eq!(s.current_notice(), Some("follow off — f to resume"));
    assert_eq!(selected(&s), 108);
    // New records no longer move the selection.
    update(&mut s, upstream(&domain("acme.io"), logs(5)));
    assert_eq!(selected(&s), 108);

    update(&mut s, press(KeyCode::PageUp));
    assert_eq!(selected(&s), 108 - height);
    update(&mut s, press(KeyCode::PageDown));
    assert_eq!(selected(&s), 108);
    update(&mut s, ctrl('u'));
    assert_eq!(selected(&s), 108 - (height / 2).max(1));
    update(&mut s, ctrl('d'));
    assert_eq!(selected(&s), 108);
    update(&mut s, ch('g'));
    assert_eq!(selected(&s), 0);
    update(&mut s, ch('G'));
    assert_eq!(selected(&s), 114);
    assert!(!s.logs.current().unwrap().follow);
    update(&mut s, press(KeyCode::Up));
    update(&mut s, ch('f'));
    assert!(s.logs.current().unwrap().follow);
    assert_eq!(selected(&s), 114);
    update(&mut s, ch('k'));
    update(&mut s, press(KeyCode::End));
    assert!(s.logs.current().unwrap().follow);
}

#[test]
fn filter_narrows_as_you_type_and_enter_requeries() {
    let mut s = with_logs(30);
    update(&mut s, ch('/'));
    assert!(s.logs.filter_bar.is_some());
    typed(&mut s, "type:bounced");
    assert_eq!(current_matches(&s), 10);
    // "type:bounced frm" was the last valid text: a free word nothing
    // holds. While the text is invalid, that filter stays applied.
    typed(&mut s, " frm:x");
    let error = s.logs.filter_bar.as_ref().unwrap().error.clone().unwrap();
    assert_eq!(error.span, 13..18);
    assert!(error.reason.starts_with("unknown field \"frm\""));
    assert_eq!(current_matches(&s), 0);
    // Enter on an invalid filter keeps the bar open.
    assert!(update(&mut s, press(KeyCode::Enter)).is_empty());
    assert!(s.logs.filter_bar.is_some());
    for _ in 0..6 {
        update(&mut s, press(KeyCode::Backspace));
    }
    assert!(s.logs.filter_bar.as_ref().unwrap().error.is_none());
    assert_eq!(current_matches(&s), 10);
    let commands = update(&mut s, press(KeyCode::Enter));
    let view = s.logs.current().unwrap();
    assert_eq!(view.filter_text, "type:bounced");
    assert_eq!(
        commands,
        [Command::WatchLogs {
            domain: "acme.io".into(),
            query: LogQuery {
                event_type: Some(LogEventType::Bounced),
                limit: Some(1000),
                ..LogQuery::default()
            },
        }]
    );
    // The stream is re-opened: what was held came from the old query.
    assert_eq!(view.store.len(), 0);
    assert_eq!(view.server_query.event_type, Some(LogEventType::Bounced));
    assert!(s.logs.filter_bar.is_none());
    // The new stream's records are filtered as they arrive.
    update(&mut s, upstream(&domain("acme.io"), logs(6)));
    assert_eq!(current_matches(&s), 2);
}

#[test]
fn enter_without_a_new_server_query_keeps_the_records() {
    let mut s = with_logs(30);
    update(&mut s, ch('/'));
    typed(&mut s, "digest");
    assert!(update(&mut s, press(KeyCode::Enter)).is_empty());
    assert_eq!(current_matches(&s), 15);
    assert_eq!(s.logs.current().unwrap().store.len(), 30);
}

#[test]
fn esc_cancels_back_to_the_previous_filter() {
    let mut s = with_logs(30);
    update(&mut s, ch('/'));
    typed(&mut s, "digest");
    update(&mut s, press(KeyCode::Enter));
    update(&mut s, ch('/'));
    typed(&mut s, " type:bounced");
    assert_eq!(current_matches(&s), 5);
    update(&mut s, press(KeyCode::Esc));
    assert!(s.logs.filter_bar.is_none());
    assert_eq!(current_matches(&s), 15);
    assert_eq!(s.logs.current().unwrap().filter_text, "digest");
}

#[test]
fn an_empty_range_is_refused_before_it_reaches_the_server() {
    let mut s = with_logs(3);
    update(&mut s, ch('/'));
    typed(&mut s, "since:1h until:2h");
    assert!(update(&mut s, press(KeyCode::Enter)).is_empty());
    let error = s.logs.filter_bar.as_ref().unwrap().error.clone().unwrap();
    assert!(error.reason.contains("is after end"), "{}", error.reason);
}

#[test]
fn detail_opens_on_enter_and_closes_on_esc() {
    let mut s = with_logs(5);
    update(&mut s, ch('k'));
    update(&mut s, press(KeyCode::Enter));
    match &s.overlay {
        Overlay::Detail { item, scroll } => {
            let expected = crate::app::DetailItem::Record {
                domain: "acme.io".into(),
                seq: 3,
            };
            assert_eq!((item, *scroll), (&expected, 0));
        }
        other => panic!("{other:?}"),
    }
    // Everything fits: nothing to scroll.
    update(&mut s, ch('j'));
    assert!(matches!(s.overlay, Overlay::Detail { scroll: 0, .. }));
    overlay_scrolls(&mut s, 10, 2);
    for _ in 0..10 {
        update(&mut s, ch('j'));
    }
    assert!(matches!(s.overlay, Overlay::Detail { scroll: 2, .. }));
    update(&mut s, press(KeyCode::Esc));
    assert!(matches!(s.overlay, Overlay::None));
    // Nothing to show: Enter does nothing.
    let mut s = state();
    update(&mut s, ch('3'));
    update(&mut s, press(KeyCode::Enter));
    assert!(matches!(s.overlay, Overlay::None));
}

#[test]
fn watch_prompt_parses_and_reports() {
    let mut s = state();
    update(&mut s, ch('a'));
    typed(&mut s, "isue 4");
    assert!(update(&mut s, press(KeyCode::Enter)).is_empty());
    match &s.overlay {
        Overlay::Watch { error: Some(e), .. } => assert!(e.starts_with("unknown kind \"isue\"")),
        other => panic!("{other:?}"),
    }
    update(&mut s, ctrl('u'));
    typed(&mut s, "campaign c7");
    assert_eq!(
        update(&mut s, press(KeyCode::Enter)),
        [Command::Watch(campaign("c7"))]
    );
    assert!(matches!(s.overlay, Overlay::None));
    assert_eq!(s.sends.rows.len(), 1);

    update(&mut s, ch('a'));
    typed(&mut s, "domain acme.io");
    assert_eq!(
        update(&mut s, press(KeyCode::Enter)),
        [Command::WatchLogs {
            domain: "acme.io".into(),
            query: LogQuery {
                limit: Some(1000),
                ..LogQuery::default()
            }
        }]
    );
    assert_eq!(s.logs.domains.len(), 1);

    update(&mut s, ch('a'));
    typed(&mut s, "inbox");
    assert_eq!(
        update(&mut s, press(KeyCode::Enter)),
        [Command::Watch(Source::Inbox)]
    );

    update(&mut s, ch('a'));
    typed(&mut s, "issue");
    update(&mut s, press(KeyCode::Enter));
    assert!(
        matches!(&s.overlay, Overlay::Watch { error: Some(e), .. } if e.contains("which issue"))
    );
    update(&mut s, press(KeyCode::Esc));
    assert!(matches!(s.overlay, Overlay::None));
}

#[test]
fn watching_a_held_domain_again_clears_it() {
    let mut s = with_logs(10);
    // Once its stream has ended: a running one is only focused.
    update(
        &mut s,
        upstream(
            &domain("acme.io"),
            UpstreamBody::Conn(ConnState::Finished {
                reason: "complete".into(),
            }),
        ),
    );
    update(&mut s, ch('a'));
    typed(&mut s, "domain acme.io");
    let commands = update(&mut s, press(KeyCode::Enter));
    assert!(matches!(&commands[..], [Command::WatchLogs { .. }]));
    assert_eq!(s.logs.current().unwrap().store.len(), 0);
    assert_eq!(s.logs.current().unwrap().store.streamed(), 0);
}

#[test]
fn domains_switch_and_unwatch() {
    let mut s = state();
    for name in ["a.io", "b.io", "c.io"] {
        update(&mut s, upstream(&domain(name), logs(2)));
    }
    update(&mut s, ch('3'));
    assert_eq!(s.logs.current().unwrap().domain, "a.io");
    update(&mut s, ch(']'));
    assert_eq!(s.logs.current().unwrap().domain, "b.io");
    update(&mut s, ch('['));
    update(&mut s, ch('['));
    assert_eq!(s.logs.current().unwrap().domain, "c.io");
    update(&mut s, ch('d'));
    assert_eq!(
        update(&mut s, press(KeyCode::Enter)),
        [Command::Unwatch(domain("c.io"))]
    );
    assert_eq!(s.logs.domains.len(), 2);
    assert_eq!(s.logs.current().unwrap().domain, "b.io");
    update(&mut s, upstream(&domain("c.io"), logs(2)));
    assert_eq!(s.logs.domains.len(), 2);
}

#[test]
fn d_in_the_feed_does_nothing() {
    let mut s = state();
    update(&mut s, ch('2'));
    assert!(update(&mut s, ch('d')).is_empty());
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

#[test]
fn tick_and_resize_mark_dirty() {
    let mut s = state();
    s.dirty = false;
    update(&mut s, Action::Tick { now_ms: NOW });
    assert!(!s.dirty, "same clock, nothing to redraw");
    update(&mut s, Action::Tick { now_ms: NOW + 1000 });
    assert!(s.dirty);
    assert_eq!(s.now_ms, NOW + 1000);
    s.dirty = false;
    update(&mut s, Action::Resize(160, 48));
    assert!(s.dirty);
    assert_eq!(s.size, (160, 48));
    s.dirty = false;
    update(&mut s, inbox(mail("x")));
    assert!(s.dirty);
    s.dirty = false;
    update(&mut s, ch('x'));
    assert!(!s.dirty, "an unbound key changes nothing");
}

#[test]
fn mouse_wheel_and_click() {
    let mut s = with_logs(100);
    let mouse = |kind, column, row| {
        Action::Mouse(MouseEvent {
            kind,
            column,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    let logs_row = SCREEN.panes[2].y + 3;
    // Mouse capture off: ignored.
    update(&mut s, mouse(MouseEventKind::ScrollUp, 10, logs_row));
    assert_eq!(selected(&s), 99);
    s.mouse = true;
    update(&mut s, mouse(MouseEventKind::ScrollUp, 10, logs_row));
    assert_eq!(selected(&s), 96);
    assert!(!s.logs.current().unwrap().follow);
    update(
        &mut s,
        mouse(MouseEventKind::Down(MouseButton::Left), 10, 1),
    );
    assert_eq!(s.focus, Pane::Sends);
}

#[test]
fn eviction_keeps_the_selected_record() {
    let mut s = with_options(AppOptions {
        max_log_records: 20,
        ..AppOptions::default()
    });
    update(&mut s, upstream(&domain("acme.io"), logs(20)));
    update(&mut s, ch('3'));
    update(&mut s, ch('g'));
    update(&mut s, ch('j'));
    update(&mut s, ch('j'));
    update(&mut s, ch('j'));
    let seq = s.logs.current().unwrap().store.match_seq(selected(&s));
    update(&mut s, upstream(&domain("acme.io"), logs(2)));
    assert_eq!(s.logs.current().unwrap().store.match_seq(selected(&s)), seq);
    assert_eq!(s.logs.current().unwrap().store.evicted(), 2);
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

/// Issue 16: `a` → `domain Shop.Example.COM` opened a second stream of
/// `shop.example.com`, and `a inbox` a second inbox. A watch already
/// running is focused instead; one that stopped is started again.
#[test]
fn a_watch_already_running_is_focused_not_opened_twice() {
    let mut s = state();
    update(&mut s, Action::Watching(domain("shop.example.com")));
    update(&mut s, Action::Watching(domain("b.example")));
    update(&mut s, Action::Watching(issue("1")));
    update(&mut s, Action::Watching(issue("2")));
    update(&mut s, Action::Watching(Source::Inbox));
    s.logs.current = 1;
    let watch = |s: &mut AppState, text: &str| {
        update(s, ch('a'));
        typed(s, text);
        update(s, press(KeyCode::Enter))
    };
    assert!(watch(&mut s, "domain Shop.Example.COM.").is_empty());
    assert_eq!(s.focus, Pane::Logs);
    assert_eq!(
        s.logs.current().map(|v| v.domain.as_str()),
        Some("shop.example.com")
    );
    assert!(
        s.current_notice()
            .is_some_and(|n| n.contains("already watching"))
    );

    assert!(watch(&mut s, "issue 1").is_empty());
    assert_eq!(s.focus, Pane::Sends);
    assert_eq!(s.sends.selected_row().map(|r| &r.source), Some(&issue("1")));
    assert!(watch(&mut s, "inbox").is_empty());
    assert_eq!(s.focus, Pane::Feed);

    // A stream that stopped is started again.
    update(
        &mut s,
        upstream(
            &issue("2"),
            UpstreamBody::Conn(ConnState::Stopped(StopReason::NotFound {
                detail: "x".into(),
            })),
        ),
    );
    assert_eq!(watch(&mut s, "issue 2"), [Command::Watch(issue("2"))]);
    // A malformed domain is refused in the prompt.
    assert!(watch(&mut s, "domain foo..com").is_empty());
    assert!(matches!(&s.overlay, Overlay::Watch { error: Some(e), .. } if e.contains("two dots")));
}

/// Issue 16: ↑/↓ in the filter bar walk the filters applied to the domain,
/// and ↓ past the newest brings back what was being typed.
#[test]
fn the_filter_bar_walks_the_domains_history() {
    let mut s = with_logs(10);
    let bar_text = |s: &AppState| {
        s.logs
            .filter_bar
            .as_ref()
            .map(|b| b.input.value().to_string())
    };
    for filter in ["type:bounced", "from:x@acme.io", "type:bounced"] {
        update(&mut s, ch('/'));
        update(&mut s, ctrl('u'));
        typed(&mut s, filter);
        update(&mut s, press(KeyCode::Enter));
    }
    assert_eq!(
        s.logs.history.entries("acme.io"),
        ["from:x@acme.io", "type:bounced"]
    );
    update(&mut s, ch('/'));
    update(&mut s, ctrl('u'));
    typed(&mut s, "sub");
    update(&mut s, press(KeyCode::Up));
    assert_eq!(bar_text(&s).as_deref(), Some("type:bounced"));
    update(&mut s, press(KeyCode::Up));
    assert_eq!(bar_text(&s).as_deref(), Some("from:x@acme.io"));
    update(&mut s, press(KeyCode::Up));
    assert_eq!(bar_text(&s).as_deref(), Some("from:x@acme.io"));
    update(&mut s, press(KeyCode::Down));
    assert_eq!(bar_text(&s).as_deref(), Some("type:bounced"));
    update(&mut s, press(KeyCode::Down));
    assert_eq!(bar_text(&s).as_deref(), Some("sub"));
    // The view shows what the browsed filter matches.
    update(&mut s, press(KeyCode::Up));
    assert!(current_matches(&s) < 10);
}
