//! The histogram strip over the log table (`i`): an hour of a domain's
//! records with a burst of bounces at 09:40, drawn at 80x24 and 120x40,
//! in colour and without, with the selected record's bucket marked.

use crossterm::event::KeyCode;
use ratatui::style::Color;

use misar_dash::app::AppOptions;
use misar_dash::app::histogram::{self, BUCKETS_MS};
use misar_dash::model::{LogEventType, LogRecord, UpstreamBody};

use crate::support::domain;
use crate::support::fixture::{Fixture, now};
use crate::support::screen::{draw, snapshot, text};

/// One record every 10 s over the hour before the fixtures' clock: mostly
/// delivered and opened, some deferred, an unsubscribe now and then, and
/// from 09:40 to 09:45 one bounce in two.
fn an_hour_with_a_bounce_burst() -> UpstreamBody {
    let start = now() - 3_600_000;
    let records = (0..360)
        .map(|i: i64| {
            let at = start + i * 10_000;
            let burst = (240..270).contains(&i);
            let event = match i {
                _ if burst && i % 2 == 0 => LogEventType::Bounced,
                _ if i % 37 == 0 => LogEventType::Unsubscribed,
                _ if i % 11 == 0 => LogEventType::Deferred,
                _ if i % 3 == 0 => LogEventType::Opened,
                _ => LogEventType::Delivered,
            };
            LogRecord {
                id: format!("log_{i}"),
                timestamp_ms: at,
                event_type: Some(event),
                sender: "news@acme.io".into(),
                recipient: format!("reader{i:03}@gmail.com"),
                subject: "Weekly digest #212".into(),
                tags: vec!["newsletter".into()],
                ..LogRecord::default()
            }
        })
        .collect();
    UpstreamBody::Logs(records)
}

fn with_histogram(options: AppOptions, width: u16, height: u16) -> Fixture {
    let mut f = Fixture::new(options);
    f.size(width, height)
        .event(&domain("acme.io"), an_hour_with_a_bounce_burst())
        .keys("3i");
    f
}

#[test]
fn the_strip_at_80x24_and_120x40() {
    with_histogram(AppOptions::default(), 80, 24).snapshot("histogram_80x24");
    let mut f = with_histogram(AppOptions::default(), 120, 40);
    f.snapshot("histogram_120x40");
    let buffer = draw(&f.state, 120, 40);
    // In colour every outcome is a block; bounces are the red ones.
    let red = buffer
        .content
        .iter()
        .filter(|c| c.symbol() == "█" && c.fg == Color::Red)
        .count();
    assert!(red >= 3, "{red} red cells");
}

#[test]
fn without_colour_the_outcomes_are_glyphs() {
    let options = AppOptions {
        no_color: true,
        ..AppOptions::default()
    };
    let f = with_histogram(options, 120, 40);
    let screen = text(&draw(&f.state, 120, 40));
    assert!(screen.contains('#'), "bounces");
    assert!(screen.contains("# bounced"), "the legend");
    snapshot("histogram_120x40_no_color", &f.state, 120, 40);
}

/// The bucket size the strip fits to the matches' span at this size.
fn fitted_bucket_ms(f: &Fixture) -> i64 {
    let view = f.state.logs.current().expect("a domain");
    let columns = f.state.geometry.histogram_columns;
    histogram::count(view.store.match_times(), columns, None, None).bucket_ms
}

/// Smaller buckets, then the table moved back two buckets with `{`: the
/// mark under the axis follows the selection; `i` hides the strip again.
#[test]
fn zoom_and_bucket_jumps() {
    let mut f = with_histogram(AppOptions::default(), 120, 40);
    let fitted = fitted_bucket_ms(&f);
    f.keys("-").keys("{{");
    let view = f.state.logs.current().expect("a domain");
    assert!(!view.follow, "a jump stops following");
    let chosen = f.state.logs.histogram.bucket.expect("- chooses a size");
    assert_eq!(BUCKETS_MS[chosen + 1], fitted, "one size smaller");
    f.snapshot("histogram_120x40_zoomed_jumped");
    f.keys("}");
    let after = f.state.logs.current().expect("a domain").cursor.selected;
    f.keys("{");
    assert!(
        f.state.logs.current().expect("a domain").cursor.selected < after,
        "{{ goes back"
    );
    f.keys("i");
    assert!(!f.state.logs.histogram.shown);
    assert_eq!(
        f.state.logs.histogram.bucket, None,
        "hiding forgets the size"
    );
    f.key(KeyCode::Char('+'));
    assert_eq!(
        f.state.logs.histogram.bucket, None,
        "+ does nothing while hidden"
    );
}

/// A size chosen with `-` stays while records keep widening the span: the
/// fitted size grows under it, the chosen one does not move.
#[test]
fn a_chosen_size_stays_as_the_span_grows() {
    let mut f = with_histogram(AppOptions::default(), 120, 40);
    f.keys("-");
    let chosen = f.state.logs.histogram.bucket;
    let shown = |f: &Fixture| text(&draw(&f.state, 120, 40));
    let label = format!(
        "/{}",
        histogram::bucket_label(BUCKETS_MS[chosen.expect("chosen")])
    );
    assert!(shown(&f).contains(&label), "{}", shown(&f));
    let fitted_before = fitted_bucket_ms(&f);
    let a_day_earlier = LogRecord {
        id: "log_old".into(),
        timestamp_ms: now() - 26 * 3_600_000,
        event_type: Some(LogEventType::Delivered),
        sender: "news@acme.io".into(),
        recipient: "old@gmail.com".into(),
        ..LogRecord::default()
    };
    f.event(
        &domain("acme.io"),
        UpstreamBody::Logs(vec![a_day_earlier].into()),
    );
    assert!(fitted_bucket_ms(&f) > fitted_before, "the span grew");
    assert_eq!(f.state.logs.histogram.bucket, chosen);
    assert!(shown(&f).contains(&label), "{}", shown(&f));
}
