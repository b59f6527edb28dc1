//! Screens a new user meets in the first minutes (issue 16): the smallest
//! terminal, a watch that failed, an error that was resolved, a domain
//! that has sent nothing yet, the quotas, and what a k9s or lnav user
//! reaches for: a zoomed pane, the detail of any row. Built like `ui_snapshots.rs`: fixed clock,
//! fixed data, actions through `update`.

use crossterm::event::KeyCode;

use misar_dash::upstream::mail_ws::InboxMail;
use misar_dash::upstream::{
    ConnState, InboxEvent, LogEventType, LogRecord, SendProgress, SendStatus, Source, UpstreamBody,
};

use crate::support::fixture::{Fixture, now};
use crate::support::screen::{draw, snapshot, text};
use crate::support::{domain, issue};

fn progress(sent: u64, total: u64) -> UpstreamBody {
    UpstreamBody::Progress(SendProgress {
        status: SendStatus::Sending,
        sent,
        total,
        opened: sent / 4,
        bounced: sent / 200,
    })
}

fn mail(i: i64) -> UpstreamBody {
    UpstreamBody::Inbox(InboxEvent::EmailReceived(InboxMail {
        from: format!("reader{i}@example.org"),
        subject: format!("Re: weekly digest #{i}"),
        received_at: Some(misar_dash::upstream::domain_logs::format_timestamp_ms(
            now() - (10 - i) * 1000,
        )),
        ..InboxMail::default()
    }))
}

fn records(n: u64) -> UpstreamBody {
    UpstreamBody::Logs(
        (0..n)
            .map(|i| LogRecord {
                id: format!("log_{i}"),
                timestamp_ms: now() - (n - i) as i64 * 1000,
                event_type: Some(LogEventType::Delivered),
                sender: "news@acme.io".into(),
                recipient: format!("reader{i}@example.org"),
                subject: "Weekly digest #212".into(),
                ..LogRecord::default()
            })
            .collect(),
    )
}

/// Three sends a minute in, a few mails, a domain with records: everything
/// live.
fn three_sends() -> Fixture {
    let mut f = Fixture::plain();
    let sources = [issue("1041"), issue("1042"), issue("1043")];
    f.tick(-60_000);
    for source in sources.iter().chain([&Source::Inbox, &domain("acme.io")]) {
        f.conn(source, ConnState::Live);
    }
    for second in 0..=60 {
        f.tick(-60_000 + second * 1000);
        for (i, source) in sources.iter().enumerate() {
            let per_second = 40 * (i as u64 + 1);
            f.event(source, progress(second as u64 * per_second, 20_000));
        }
    }
    for i in 0..6 {
        f.event(&Source::Inbox, mail(i));
    }
    f.event(&domain("acme.io"), records(20));
    f
}

/// At the smallest size the focused pane is never the smallest: the Sends
/// pane focused shows two cards where it showed one (and the logs three
/// records), the feed focused three lines where it showed one.
#[test]
fn smallest_size_focused_pane_gets_the_room() {
    let mut f = three_sends();
    f.size(60, 16);
    snapshot("first_minutes_60x16_sends_focused", &f.state, 60, 16);
    f.key(KeyCode::Char('2'));
    snapshot("first_minutes_60x16_feed_focused", &f.state, 60, 16);
}

/// A watch that failed before any progress: the phase column says nothing
/// is coming (a dash, not `waiting`), the connection column why.
#[test]
fn a_failed_watch_is_not_waiting() {
    let mut f = three_sends();
    let missing = issue("9999");
    f.conn(&missing, ConnState::Connecting { attempt: 1 });
    f.conn(
        &missing,
        ConnState::Stopped(misar_dash::upstream::StopReason::NotFound {
            detail: "issue_not_found".into(),
        }),
    );
    f.size(80, 24);
    f.key(KeyCode::Char('G'));
    snapshot("first_minutes_failed_watch_80x24", &f.state, 80, 24);
}

/// A domain's link dropped and came back: once it delivers again, the
/// status bar no longer shows its error.
#[test]
fn a_resolved_error_leaves_the_status_bar() {
    let mut f = three_sends();
    let logs = domain("acme.io");
    f.tick(1_000);
    f.conn(
        &logs,
        ConnState::Reconnecting {
            attempt: 1,
            delay: std::time::Duration::from_secs(2),
            reason: "stream dropped: connection reset by peer".into(),
        },
    );
    f.size(80, 24);
    snapshot("first_minutes_error_shown_80x24", &f.state, 80, 24);
    f.tick(3_000);
    f.conn(&logs, ConnState::Connecting { attempt: 2 });
    f.conn(&logs, ConnState::Live);
    f.event(&logs, records(21));
    snapshot("first_minutes_error_resolved_80x24", &f.state, 80, 24);
}

/// A domain whose stream is up but has sent no record yet says so, rather
/// than a green `live` over an empty table.
#[test]
fn a_silent_domain_is_not_called_live() {
    let mut f = three_sends();
    let quiet = domain("stalled.example.com");
    f.conn(&quiet, ConnState::Connecting { attempt: 1 });
    f.conn(&quiet, ConnState::Live);
    f.tick(90_000);
    f.size(100, 30);
    f.key(KeyCode::Char('3')).key(KeyCode::Char(']'));
    snapshot("first_minutes_silent_domain_100x30", &f.state, 100, 30);
}

/// Two domains with different quotas left: the logs header says the
/// current domain's, and the status bar the lowest, with its domain.
#[test]
fn each_quota_says_whose_it_is() {
    let mut f = three_sends();
    let bulk = domain("bulk.example.com");
    f.conn(&bulk, ConnState::Live);
    f.event(&bulk, records(5));
    for (source, remaining) in [(domain("acme.io"), 118), (bulk, 115)] {
        f.event(
            &source,
            UpstreamBody::RateLimit {
                limit: Some(120),
                remaining: Some(remaining),
            },
        );
    }
    f.size(80, 24);
    f.key(KeyCode::Char('3'));
    snapshot("first_minutes_quotas_80x24", &f.state, 80, 24);
}

/// Three domains, the logs pane focused or not: the connection and follow
/// words stay whole, and the domain's position and the `[ ]` hint take
/// what they leave (at 120x40 the title ended `● live · foll┓`).
#[test]
fn state_words_come_before_decoration() {
    let mut f = three_sends();
    for name in ["bulk.example.com", "limited.example.com"] {
        f.conn(&domain(name), ConnState::Live);
        f.event(&domain(name), records(3));
    }
    for (width, height) in [(80, 24), (120, 40)] {
        f.size(width, height);
        f.key(KeyCode::Char('2'));
        snapshot(
            &format!("first_minutes_titles_feed_focused_{width}x{height}"),
            &f.state,
            width,
            height,
        );
        f.key(KeyCode::Char('3')).key(KeyCode::Char('k'));
        snapshot(
            &format!("first_minutes_titles_follow_off_{width}x{height}"),
            &f.state,
            width,
            height,
        );
        f.key(KeyCode::Char('f'));
    }
}

/// A filter that does not parse: the bar shows what it can, the help line
/// the whole reason with its hint (it was cut to `(use 30s, 15…`).
#[test]
fn a_filter_error_is_read_whole() {
    let mut f = three_sends();
    for (width, height) in [(80, 24), (120, 40)] {
        f.size(width, height);
        f.key(KeyCode::Char('3'))
            .key(KeyCode::Char('/'))
            .keys("since:xyz");
        snapshot(
            &format!("first_minutes_filter_error_{width}x{height}"),
            &f.state,
            width,
            height,
        );
        f.key(KeyCode::Esc);
    }
    // A long filter leaves the reason half the bar: the help line has it.
    f.size(80, 24);
    f.key(KeyCode::Char('/'))
        .keys("subject:\"weekly digest\" -tag:internal from:news since:xyz");
    snapshot("first_minutes_filter_error_long_80x24", &f.state, 80, 24);
    f.key(KeyCode::Esc);
}

/// `d` asks before a watch stops.
#[test]
fn d_asks_before_it_stops_a_watch() {
    let mut f = three_sends();
    f.size(80, 24);
    f.key(KeyCode::Char('j')).key(KeyCode::Char('d'));
    snapshot("first_minutes_confirm_unwatch_80x24", &f.state, 80, 24);
}

/// `Z` zooms the focused pane over the others; `1` `2` `3` bring another
/// pane to the front, still zoomed. The title says so and how to restore.
#[test]
fn a_zoomed_pane_fills_the_screen() {
    let mut f = three_sends();
    for (width, height) in [(80, 24), (120, 40)] {
        f.size(width, height);
        f.key(KeyCode::Char('1')).key(KeyCode::Char('Z'));
        for (key, name) in [('1', "sends"), ('2', "feed"), ('3', "logs")] {
            f.key(KeyCode::Char(key));
            snapshot(
                &format!("first_minutes_zoomed_{name}_{width}x{height}"),
                &f.state,
                width,
                height,
            );
        }
        f.key(KeyCode::Char('Z'));
    }
}

/// One send over 90 seconds at a rate that rises and falls, its link
/// dropped once on the way, and the detail opened on it.
fn a_send_in_detail() -> Fixture {
    let mut f = Fixture::plain();
    let source = issue("1042");
    f.tick(-90_000);
    f.conn(&source, ConnState::Live);
    let mut sent = 0;
    for second in 0..=90 {
        f.tick(-90_000 + second * 1000);
        if second == 40 {
            f.conn(
                &source,
                ConnState::Reconnecting {
                    attempt: 2,
                    delay: std::time::Duration::from_secs(2),
                    reason: "stream dropped: connection reset by peer".into(),
                },
            );
        }
        if second == 42 {
            f.conn(&source, ConnState::Connecting { attempt: 2 });
            f.conn(&source, ConnState::Live);
        }
        if (40..42).contains(&second) {
            continue;
        }
        sent += (second as u64 % 30) * 4 + 20;
        f.event(&source, progress(sent, 20_000));
    }
    f.key(KeyCode::Enter);
    f
}

/// Enter on a send: every count, time and connection state, the rate
/// over the last minute and a half, and the connection history.
#[test]
fn a_send_in_detail_shows_everything_held() {
    let mut f = a_send_in_detail();
    for (width, height) in [(80, 24), (120, 40)] {
        f.size(width, height);
        snapshot(
            &format!("first_minutes_send_detail_{width}x{height}"),
            &f.state,
            width,
            height,
        );
    }
    // The history is below the first page at 80x24.
    f.size(80, 24).key(KeyCode::Char('G'));
    snapshot("first_minutes_send_detail_end_80x24", &f.state, 80, 24);
}

/// Enter on a feed event: every field as received, the unknown ones
/// after the rest, and hostile text cleaned (no escape reaches the
/// screen; the title change and the colours are gone, not shown).
#[test]
fn a_feed_event_in_detail_shows_every_field_cleaned() {
    let mut f = three_sends();
    let bounce: InboxEvent = serde_json::from_value(serde_json::json!({
        "type": "bounce",
        "email": "kpatel@yahoo.com",
        "reason": "\u{1b}[2J\u{1b}[31m550 5.7.1 Blocked\u{1b}[0m by policy",
        "campaignId": "cmp-68b0d6a0",
        "campaignName": "Spring \u{202e}elaS\u{202c} 30% off",
        "timestamp": "2026-05-27T09:59:58Z",
        "x-mailer": "Evil\u{1b}]0;pwned\u{7}Mailer 2.0",
        "attempts": 3,
        "diagnostic": {"code": 550, "mta": "mx1.yahoo.com"},
    }))
    .expect("a bounce");
    f.event(&Source::Inbox, UpstreamBody::Inbox(bounce));
    f.key(KeyCode::Char('2')).key(KeyCode::Enter);
    for (width, height) in [(80, 24), (120, 40)] {
        f.size(width, height);
        let name = format!("first_minutes_event_detail_{width}x{height}");
        let screen = text(&draw(&f.state, width, height));
        assert!(!screen.contains('\u{1b}'), "{screen}");
        assert!(screen.contains("x-mailer"), "{screen}");
        snapshot(&name, &f.state, width, height);
    }
}
