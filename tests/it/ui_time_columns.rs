//! The log table's times and columns: local time with the zone in the
//! heading, `z` for UTC, the date once the matches span more than a day,
//! and the column sets `c` cycles through, at 80x24 and 120x40.

use crossterm::event::KeyCode;

use misar_dash::app::timezone::Zone;
use misar_dash::app::{AppOptions, AppState};
use misar_dash::model::{LogEventType, LogRecord, UpstreamBody};

use crate::support::domain;
use crate::support::fixture::{Fixture, now};
use crate::support::screen::{draw, snapshot as screen_snapshot, text};

const CET: Zone = Zone::Fixed {
    offset_secs: 3600,
    name: "CET",
};

/// The screen must be snapshot `name`; its text, for further checks.
fn snapshot(name: &str, state: &AppState, width: u16, height: u16) -> String {
    screen_snapshot(name, state, width, height);
    text(&draw(state, width, height))
}

/// `count` records `step_ms` apart, ending a minute before the fixtures'
/// clock: deliveries with the receiving server's answer, deferrals and
/// bounces with theirs.
fn records(count: i64, step_ms: i64) -> UpstreamBody {
    let start = now() - 60_000 - (count - 1) * step_ms;
    let records = (0..count)
        .map(|i: i64| {
            let (event, smtp) = match i % 5 {
                3 => (
                    LogEventType::Deferred,
                    "421 4.7.0 Try again later, closing connection",
                ),
                4 => (
                    LogEventType::Bounced,
                    "550 5.1.1 The email account does not exist",
                ),
                _ => (LogEventType::Delivered, "250 2.0.0 OK 1716800000 queued"),
            };
            LogRecord {
                id: format!("log_{i}"),
                timestamp_ms: start + i * step_ms,
                event_type: Some(event),
                sender: "news@acme.io".into(),
                recipient: format!("reader{i:03}@example.org"),
                subject: format!("Weekly digest #{}", 200 + i % 3),
                tags: vec!["newsletter".into(), format!("week{}", 20 + i % 2)],
                smtp_response: Some(smtp.into()),
                ip: Some(format!("192.0.2.{}", 10 + i % 7)),
                ..LogRecord::default()
            }
        })
        .collect();
    UpstreamBody::Logs(records)
}

fn pane(width: u16, height: u16, body: UpstreamBody, keys: &str) -> Fixture {
    let mut f = Fixture::new(AppOptions {
        zone: CET,
        ..AppOptions::default()
    });
    f.size(width, height)
        .event(&domain("acme.io"), body)
        .keys("3Z")
        .keys(keys);
    f
}

fn an_hour() -> UpstreamBody {
    records(40, 90_000)
}

#[test]
fn local_time_with_the_zone_in_the_heading() {
    let f = pane(120, 40, an_hour(), "");
    let screen = snapshot("time_columns_default_120x40", &f.state, 120, 40);
    assert!(screen.contains("time CET"), "{screen}");
    // The newest record is at 09:59:00Z, 10:59:00 CET.
    assert!(screen.contains("10:59:00"), "{screen}");
    assert!(!screen.contains("05-27"), "no date within a day");
    for heading in ["sender", "recipient", "subject", "tags", "smtp response"] {
        assert!(screen.contains(heading), "{heading} at 120 columns");
    }
    assert!(screen.contains("550 5.1.1"), "the SMTP response");

    let f = pane(80, 24, an_hour(), "");
    let screen = snapshot("time_columns_default_80x24", &f.state, 80, 24);
    assert!(screen.contains("time CET"));
    assert!(screen.contains("recipient") && screen.contains("subject"));
    assert!(
        !screen.contains("tags") && !screen.contains("sender"),
        "{screen}"
    );
}

#[test]
fn z_shows_utc() {
    let mut f = pane(120, 40, an_hour(), "z");
    assert!(f.state.logs.utc);
    let screen = snapshot("time_columns_utc_120x40", &f.state, 120, 40);
    assert!(screen.contains("time UTC"));
    assert!(screen.contains("09:59:00") && !screen.contains("10:59:00"));
    f.keys("z");
    assert!(text(&draw(&f.state, 120, 40)).contains("time CET"));

    let f = pane(80, 24, an_hour(), "z");
    snapshot("time_columns_utc_80x24", &f.state, 80, 24);
}

#[test]
fn c_cycles_the_column_sets() {
    // Each set: the keys that reach it, what it shows, what it leaves out.
    let sets = [
        ("c", "delivery", ["smtp response", "192.0.2."], "subject"),
        ("cc", "content", ["sender", "tags"], "recipient"),
    ];
    for (keys, set, shown, left_out) in sets {
        let f = pane(120, 40, an_hour(), keys);
        let screen = snapshot(&format!("time_columns_{set}_120x40"), &f.state, 120, 40);
        assert!(screen.contains(&format!("{set} columns")), "{set}");
        for text in shown {
            assert!(screen.contains(text), "{set} shows {text}");
        }
        assert!(!screen.contains(left_out), "{set} leaves out {left_out}");
        let f = pane(80, 24, an_hour(), keys);
        snapshot(&format!("time_columns_{set}_80x24"), &f.state, 80, 24);
    }

    let f = pane(120, 40, an_hour(), "ccc");
    assert!(!text(&draw(&f.state, 120, 40)).contains("columns"));
}

#[test]
fn the_date_shows_past_a_day() {
    // 40 records two hours apart: 78 hours.
    let f = pane(120, 40, records(40, 7_200_000), "");
    let screen = snapshot("time_columns_three_days_120x40", &f.state, 120, 40);
    assert!(screen.contains("05-27 10:59:00"), "{screen}");
    let f = pane(80, 24, records(40, 7_200_000), "z");
    let screen = snapshot("time_columns_three_days_utc_80x24", &f.state, 80, 24);
    assert!(screen.contains("05-27 09:59:00"), "{screen}");
}

#[test]
fn since_a_local_time_of_day() {
    // The clock is 11:00 CET; records from 10:00:30 to 10:59:00 CET.
    let mut f = pane(120, 40, an_hour(), "/since:10:30");
    // Previewed as typed: 10:30 CET is 09:30Z, so 09:30:30 … 09:59:00Z.
    let view = f.state.logs.current().expect("a domain");
    let first = view.store.match_at(0).expect("a match").timestamp_ms;
    assert_eq!(first, now() - 29 * 60_000 - 30_000);
    assert_eq!(view.store.match_count(), 20);
    // Enter re-opens the stream from that instant, sent in UTC.
    f.key(KeyCode::Enter);
    let view = f.state.logs.current().expect("a domain");
    assert_eq!(view.filter_text, "since:10:30");
    assert_eq!(
        view.server_query.start.map(|t| t.to_rfc3339()),
        Some("2026-05-27T09:30:00+00:00".to_string())
    );

    let mut f = pane(80, 24, an_hour(), "/since:25:00");
    let bar = f.state.logs.filter_bar.as_ref().expect("the bar");
    let error = bar.error.as_ref().expect("an error");
    assert!(error.reason.starts_with("bad time of day \"25:00\""));
    f.key(KeyCode::Esc);
}

#[test]
fn after_z_local_times_are_read_in_utc() {
    // 09:30 UTC is half an hour before the fixtures' clock.
    let mut f = pane(120, 40, an_hour(), "z/since:09:30");
    let view = f.state.logs.current().expect("a domain");
    assert_eq!(view.store.match_count(), 20);
    f.key(KeyCode::Enter);
    let view = f.state.logs.current().expect("a domain");
    assert_eq!(
        view.server_query.start.map(|t| t.to_rfc3339()),
        Some("2026-05-27T09:30:00+00:00".to_string())
    );
}
