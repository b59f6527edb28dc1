//! Connection history on screen: the `L` overlay, the "died N× since"
//! badges, and the proxy in the status bar. States are built through the
//! public API on the fixtures' fixed clock, as in `ui_snapshots.rs`.

use std::time::Duration;

use crossterm::event::KeyCode;

use misar_dash::app::{Action, AppOptions};
use misar_dash::upstream::{
    ConnState, LogEventType, LogRecord, SendProgress, SendStatus, Source, StopReason, UpstreamBody,
};

use crate::support::fixture::{Fixture, now};
use crate::support::screen::{assert_palette, draw, snapshot, text};
use crate::support::{domain, issue};

const LOG_FILE: &str = "/home/ana/.local/state/misar-dash/misar-dash.log";

fn reconnecting(attempt: u32, delay_ms: u64, reason: &str) -> ConnState {
    ConnState::Reconnecting {
        attempt,
        delay: Duration::from_millis(delay_ms),
        reason: reason.into(),
    }
}

fn connecting(attempt: u32) -> ConnState {
    ConnState::Connecting { attempt }
}

fn progress(sent: u64, total: u64) -> UpstreamBody {
    UpstreamBody::Progress(SendProgress {
        status: SendStatus::Sending,
        sent,
        total,
        opened: sent / 8,
        bounced: sent / 120,
    })
}

fn records(n: u64) -> UpstreamBody {
    UpstreamBody::Logs(
        (0..n)
            .map(|i| LogRecord {
                id: format!("log_{i}"),
                timestamp_ms: now() - 600_000 + i as i64 * 1000,
                event_type: Some(if i % 5 == 0 {
                    LogEventType::Bounced
                } else {
                    LogEventType::Delivered
                }),
                sender: "news@acme.io".into(),
                recipient: format!("reader{i:03}@example.org"),
                subject: "Weekly digest #212".into(),
                ..LogRecord::default()
            })
            .collect(),
    )
}

// ---- rendering (as ui_snapshots.rs does) -----------------------------------

// ---- states ----------------------------------------------------------------

/// A weekly digest whose link had a bad ten minutes: drops, gateway
/// errors, a rate limit, a failed TLS handshake, a resume, then the key
/// refused. 37 events.
fn troubled_history(options: AppOptions) -> Fixture {
    let mut f = Fixture::new(options);
    let source = issue("iss-weekly-digest");
    let events: Vec<(i64, ConnState)> = vec![
        (-600, connecting(1)),
        (-599, ConnState::Live),
        (
            -540,
            reconnecting(2, 1_000, "stream dropped: connection reset by peer"),
        ),
        (-539, connecting(2)),
        (-538, ConnState::Live),
        (-480, reconnecting(2, 1_100, "HTTP 502 Bad Gateway")),
        (-479, connecting(2)),
        (
            -478,
            reconnecting(
                3,
                2_300,
                "HTTP 503 Service Unavailable: upstream maintenance",
            ),
        ),
        (-476, connecting(3)),
        (
            -475,
            ConnState::RateLimited {
                wait: Duration::from_secs(30),
            },
        ),
        (-445, connecting(3)),
        (
            -444,
            reconnecting(4, 4_100, "connect: connection refused (os error 111)"),
        ),
        (-440, connecting(4)),
        (
            -439,
            reconnecting(
                5,
                8_400,
                "TLS handshake with blog.example.com:443 failed: invalid peer certificate: \
                 certificate expired (notAfter 2026-05-27T09:00:00Z); check the proxy's \
                 interception certificate or the server's chain",
            ),
        ),
        (-431, connecting(5)),
        (-430, ConnState::Live),
        (
            -360,
            reconnecting(1, 0, "the server ended the stream (time cap)"),
        ),
        (-360, connecting(1)),
        (-359, ConnState::Live),
        (-300, reconnecting(2, 900, "read timeout: no data for 90s")),
        (-299, connecting(2)),
        (-298, reconnecting(3, 2_200, "HTTP 504 Gateway Timeout")),
        (-296, connecting(3)),
        (-295, reconnecting(4, 3_900, "HTTP 504 Gateway Timeout")),
        (-291, connecting(4)),
        (
            -290,
            reconnecting(5, 8_200, "HTTP 500 Internal Server Error"),
        ),
        (-282, connecting(5)),
        (-281, ConnState::Live),
        (
            -200,
            reconnecting(2, 1_000, "stream dropped: unexpected end of body"),
        ),
        (-199, connecting(2)),
        (-198, ConnState::Live),
        (
            -120,
            reconnecting(1, 0, "the server ended the stream (time cap)"),
        ),
        (-120, connecting(1)),
        (-119, ConnState::Live),
        (-60, reconnecting(2, 1_000, "HTTP 401 Unauthorized")),
        (-59, connecting(2)),
        (
            -58,
            ConnState::Stopped(StopReason::KeyRefused {
                detail: "HTTP 401: the key was revoked".into(),
            }),
        ),
    ];
    assert_eq!(events.len(), 37);
    for (offset_s, state) in events {
        f.tick(offset_s * 1000);
        f.conn(&source, state);
    }
    f.tick(0);
    f
}

/// Three streams that keep dying and one that is fine, the proxy set.
fn dying_links() -> Fixture {
    let mut f = Fixture::new(AppOptions {
        proxy: Some("corp-proxy.internal.example:3128".into()),
        ..AppOptions::default()
    });
    let (digest, sale, logs) = (
        issue("iss-weekly-digest"),
        issue("iss-spring-sale"),
        domain("acme.io"),
    );
    f.tick(-600_000);
    for source in [&digest, &sale, &Source::Inbox, &logs] {
        f.conn(source, connecting(1));
        f.conn(source, ConnState::Live);
    }
    f.event(&digest, progress(19_374, 250_000));
    f.event(&sale, progress(2_067, 4_200));
    f.event(&logs, records(40));
    // The digest has died five times in a row since 09:58:00.
    for (i, attempt) in (2..=5).enumerate() {
        f.tick(-120_000 + i as i64 * 20_000);
        f.conn(
            &digest,
            reconnecting(attempt, 8_000, "HTTP 502 Bad Gateway"),
        );
        f.tick(-120_000 + i as i64 * 20_000 + 8_000);
        f.conn(&digest, connecting(attempt));
    }
    f.tick(-4_000);
    f.conn(&digest, reconnecting(6, 10_000, "HTTP 502 Bad Gateway"));
    // The inbox three times, trying again now.
    for attempt in 2..=4 {
        f.tick(-50_000 + i64::from(attempt) * 5_000);
        f.conn(&Source::Inbox, reconnecting(attempt, 2_000, "close 1006"));
    }
    f.conn(&Source::Inbox, connecting(4));
    // The domain's log stream twice, then rate-limited.
    f.tick(-30_000);
    f.conn(&logs, reconnecting(2, 1_000, "read timeout"));
    f.tick(-25_000);
    f.conn(&logs, reconnecting(3, 2_000, "read timeout"));
    f.tick(-20_000);
    f.conn(
        &logs,
        ConnState::RateLimited {
            wait: Duration::from_secs(60),
        },
    );
    f.tick(0);
    f
}

// ---- the snapshots ---------------------------------------------------------

#[test]
fn connection_log_overlay() {
    let mut f = troubled_history(AppOptions {
        log_file: Some(LOG_FILE.into()),
        ..AppOptions::default()
    });
    f.size(80, 24).key(KeyCode::Char('L'));
    snapshot("connlog_80x24", &f.state, 80, 24);
    f.size(120, 40);
    snapshot("connlog_120x40", &f.state, 120, 40);
}

#[test]
fn connection_log_scrolled_to_the_oldest() {
    let mut f = troubled_history(AppOptions::default());
    f.size(80, 24)
        .key(KeyCode::Char('L'))
        .key(KeyCode::Char('g'));
    let screen = text(&draw(&f.state, 80, 24));
    assert!(screen.contains("09:50:00  connecting"), "{screen}");
    assert!(!screen.contains("09:59:02  stopped"), "{screen}");
    // No log file named: no footer.
    assert!(!screen.contains("full log"), "{screen}");
}

#[test]
fn connection_log_when_empty() {
    let mut f = Fixture::plain();
    f.size(80, 24)
        .key(KeyCode::Char('2'))
        .key(KeyCode::Char('L'));
    snapshot("connlog_empty_80x24", &f.state, 80, 24);
    f.size(120, 40);
    snapshot("connlog_empty_120x40", &f.state, 120, 40);
}

#[test]
fn died_counts_on_rows_and_tabs() {
    let mut f = dying_links();
    f.size(80, 24);
    snapshot("died_count_80x24", &f.state, 80, 24);
    f.size(120, 40);
    snapshot("died_count_120x40", &f.state, 120, 40);
}

#[test]
fn proxy_in_the_status_bar() {
    let mut f = Fixture::new(AppOptions {
        proxy: Some("corp-proxy:3128".into()),
        ..AppOptions::default()
    });
    for source in [issue("iss-weekly-digest"), Source::Inbox, domain("acme.io")] {
        f.conn(&source, connecting(1));
        f.conn(&source, ConnState::Live);
    }
    f.event(&issue("iss-weekly-digest"), progress(19_374, 250_000));
    f.size(80, 24);
    snapshot("status_proxy_80x24", &f.state, 80, 24);
    f.size(120, 40);
    snapshot("status_proxy_120x40", &f.state, 120, 40);
}

/// Any size: the overlay and the badges draw without panicking and within
/// the palette.
#[test]
fn every_size_draws() {
    let mut overlay = troubled_history(AppOptions {
        log_file: Some(LOG_FILE.into()),
        ..AppOptions::default()
    });
    overlay.key(KeyCode::Char('L'));
    let mut empty = Fixture::plain();
    empty.key(KeyCode::Char('2')).key(KeyCode::Char('L'));
    let mut states = [overlay, empty, dying_links()];
    for f in &mut states {
        for (width, height) in [(0, 0), (1, 1), (20, 5), (60, 16), (80, 24), (250, 80)] {
            f.act(Action::Resize(width, height));
            assert_palette(&draw(&f.state, width, height));
        }
    }
}
