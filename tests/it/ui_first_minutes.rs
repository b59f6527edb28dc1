//! Screens a new user meets in the first minutes (issue 16): the smallest
//! terminal, a watch that failed, an error that was resolved, a domain
//! that has sent nothing yet, the quotas, and what a k9s or lnav user
//! reaches for: a zoomed pane, the detail of any row. Built like `ui_snapshots.rs`: fixed clock,
//! fixed data, actions through `update`.

use crossterm::event::KeyCode;

use misar_dash::model::mail::InboxMail;
use misar_dash::model::{ConnState, InboxEvent, SendProgress, SendStatus, Source, UpstreamBody};

use crate::support::fixture::{Fixture, now, record};
use crate::support::screen::{draw, text};
use crate::support::{assert_terminal_safe, domain, issue};

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
        received_at: Some(misar_dash::model::log::format_timestamp_ms(
            now() - (10 - i) * 1000,
        )),
        ..InboxMail::default()
    }))
}

fn records(n: u64) -> UpstreamBody {
    UpstreamBody::Logs(
        (0..n)
            .map(|i| record(i, now() - (n - i) as i64 * 1000))
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

/// A link dropped by the peer, to try again after two seconds.
fn reset_by_peer(attempt: u32) -> ConnState {
    ConnState::Reconnecting {
        attempt,
        delay: std::time::Duration::from_secs(2),
        reason: "stream dropped: connection reset by peer".into(),
    }
}

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

/// At the smallest size the focused pane is never the smallest: the Sends
/// pane focused shows two cards where it showed one (and the logs three
/// records), the feed focused three lines where it showed one.
#[test]
fn smallest_size_focused_pane_gets_the_room() {
    three_sends()
        .size(60, 16)
        .snapshot("first_minutes_60x16_sends_focused")
        .keys("2")
        .snapshot("first_minutes_60x16_feed_focused");
}

/// A watch that failed before any progress: the phase column says nothing
/// is coming (a dash, not `waiting`), the connection column why.
#[test]
fn a_failed_watch_is_not_waiting() {
    let missing = issue("9999");
    let not_found = misar_dash::model::StopReason::NotFound {
        detail: "issue_not_found".into(),
    };
    three_sends()
        .conn(&missing, ConnState::Connecting { attempt: 1 })
        .conn(&missing, ConnState::Stopped(not_found))
        .size(80, 24)
        .keys("G")
        .snapshot("first_minutes_failed_watch_80x24");
}

/// A domain's link dropped and came back: once it delivers again, the
/// status bar no longer shows its error.
#[test]
fn a_resolved_error_leaves_the_status_bar() {
    let logs = domain("acme.io");
    three_sends()
        .tick(1_000)
        .conn(&logs, reset_by_peer(1))
        .size(80, 24)
        .snapshot("first_minutes_error_shown_80x24")
        .tick(3_000)
        .conn(&logs, ConnState::Connecting { attempt: 2 })
        .conn(&logs, ConnState::Live)
        .event(&logs, records(21))
        .snapshot("first_minutes_error_resolved_80x24");
}

/// A domain whose stream is up but has sent no record yet says so, rather
/// than a green `live` over an empty table.
#[test]
fn a_silent_domain_is_not_called_live() {
    three_sends()
        .up(&domain("stalled.example.com"))
        .tick(90_000)
        .size(100, 30)
        .keys("3]")
        .snapshot("first_minutes_silent_domain_100x30");
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
        let quota = UpstreamBody::RateLimit {
            limit: Some(120),
            remaining: Some(remaining),
        };
        f.event(&source, quota);
    }
    f.size(80, 24)
        .keys("3")
        .snapshot("first_minutes_quotas_80x24");
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
    for (width, height) in SIZES {
        f.size(width, height)
            .keys("2")
            .snapshot(&format!(
                "first_minutes_titles_feed_focused_{width}x{height}"
            ))
            .keys("3k")
            .snapshot(&format!("first_minutes_titles_follow_off_{width}x{height}"))
            .keys("f");
    }
}

/// A filter that does not parse: the bar shows what it can, the help line
/// the whole reason with its hint (it was cut to `(use 30s, 15…`).
#[test]
fn a_filter_error_is_read_whole() {
    let mut f = three_sends();
    for (width, height) in SIZES {
        f.size(width, height)
            .keys("3/since:xyz")
            .snapshot(&format!("first_minutes_filter_error_{width}x{height}"))
            .key(KeyCode::Esc);
    }
    // A long filter leaves the reason half the bar: the help line has it.
    f.size(80, 24)
        .keys("/subject:\"weekly digest\" -tag:internal from:news since:xyz")
        .snapshot("first_minutes_filter_error_long_80x24")
        .key(KeyCode::Esc);
}

/// `d` asks before a watch stops.
#[test]
fn d_asks_before_it_stops_a_watch() {
    three_sends()
        .size(80, 24)
        .keys("jd")
        .snapshot("first_minutes_confirm_unwatch_80x24");
}

/// `Z` zooms the focused pane over the others; `1` `2` `3` bring another
/// pane to the front, still zoomed. The title says so and how to restore.
#[test]
fn a_zoomed_pane_fills_the_screen() {
    let mut f = three_sends();
    for (width, height) in SIZES {
        f.size(width, height).keys("1Z");
        for (key, name) in [("1", "sends"), ("2", "feed"), ("3", "logs")] {
            f.keys(key)
                .snapshot(&format!("first_minutes_zoomed_{name}_{width}x{height}"));
        }
        f.keys("Z");
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
            f.conn(&source, reset_by_peer(2));
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
    f.keys("\n");
    f
}

/// Enter on a send: every count, time and connection state, the rate
/// over the last minute and a half, and the connection history.
#[test]
fn a_send_in_detail_shows_everything_held() {
    a_send_in_detail()
        .snapshots("first_minutes_send_detail", &SIZES)
        // The history is below the first page at 80x24.
        .size(80, 24)
        .keys("G")
        .snapshot("first_minutes_send_detail_end_80x24");
}

/// Enter on a feed event: every field as received, the unknown ones
/// after the rest, and hostile text cleaned (no escape reaches the
/// screen; the title change and the colours are gone, not shown).
#[test]
fn a_feed_event_in_detail_shows_every_field_cleaned() {
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
    let mut f = three_sends();
    f.feed(bounce).keys("2\n");
    for (width, height) in SIZES {
        f.size(width, height);
        let screen = text(&draw(&f.state, width, height));
        assert_terminal_safe("the event's detail", &screen);
        assert!(screen.contains("x-mailer"), "{screen}");
        f.snapshot(&format!("first_minutes_event_detail_{width}x{height}"));
    }
}
