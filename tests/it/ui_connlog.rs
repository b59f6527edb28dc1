//! Connection history on screen: the `L` overlay, the "died N× since"
//! badges, and the proxy in the status bar. States are built through the
//! public API on the fixtures' fixed clock, as in `ui_snapshots.rs`.

use std::time::Duration;

use misar_dash::app::AppOptions;
use misar_dash::model::{
    ConnState, LogEventType, LogRecord, SendProgress, SendStatus, Source, StopReason, UpstreamBody,
};

use crate::support::fixture::{Fixture, now, record};
use crate::support::screen::{draw, text};
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
                event_type: Some(if i % 5 == 0 {
                    LogEventType::Bounced
                } else {
                    LogEventType::Delivered
                }),
                recipient: format!("reader{i:03}@example.org"),
                ..record(i, now() - 600_000 + i as i64 * 1000)
            })
            .collect(),
    )
}

// ---- states ----------------------------------------------------------------

/// One link's states, each at its second on the fixtures' clock (negative:
/// before now), built as the client goes through them: after a drop, the
/// next attempt starts once the delay is over (to the nearest second),
/// and an attempt that succeeds is live a second after it started.
struct History(Vec<(i64, ConnState)>);

impl History {
    /// The first attempt at `at`, live a second later.
    fn starts(at: i64) -> History {
        History(vec![(at, connecting(1)), (at + 1, ConnState::Live)])
    }

    fn push(mut self, at: i64, state: ConnState) -> History {
        self.0.push((at, state));
        self
    }

    /// Dropped at `at` for `reason`, and attempt `attempt` after `delay_ms`.
    fn drops(self, at: i64, attempt: u32, delay_ms: u64, reason: &str) -> History {
        let next = at + (delay_ms as i64 + 500) / 1000;
        self.push(at, reconnecting(attempt, delay_ms, reason))
            .push(next, connecting(attempt))
    }

    /// Told to wait `wait_s` at `at`, and attempt `attempt` after it.
    fn rate_limited(self, at: i64, wait_s: u64, attempt: u32) -> History {
        let wait = Duration::from_secs(wait_s);
        self.push(at, ConnState::RateLimited { wait })
            .push(at + wait_s as i64, connecting(attempt))
    }

    /// The latest attempt succeeds.
    fn live(self) -> History {
        let at = self.0.last().map_or(0, |(at, _)| at + 1);
        self.push(at, ConnState::Live)
    }
}

/// A weekly digest whose link had a bad ten minutes: drops, gateway
/// errors, a rate limit, a failed TLS handshake, a resume, then the key
/// refused. 37 events.
fn troubled_history(options: AppOptions) -> Fixture {
    let mut f = Fixture::new(options);
    let source = issue("iss-weekly-digest");
    let tls = "TLS handshake with blog.example.com:443 failed: invalid peer certificate: \
               certificate expired (notAfter 2026-05-27T09:00:00Z); check the proxy's \
               interception certificate or the server's chain";
    let time_cap = "the server ended the stream (time cap)";
    let gateway_timeout = "HTTP 504 Gateway Timeout";
    let History(events) = History::starts(-600)
        .drops(-540, 2, 1_000, "stream dropped: connection reset by peer")
        .live()
        .drops(-480, 2, 1_100, "HTTP 502 Bad Gateway")
        .drops(
            -478,
            3,
            2_300,
            "HTTP 503 Service Unavailable: upstream maintenance",
        )
        .rate_limited(-475, 30, 3)
        .drops(-444, 4, 4_100, "connect: connection refused (os error 111)")
        .drops(-439, 5, 8_400, tls)
        .live()
        .drops(-360, 1, 0, time_cap)
        .live()
        .drops(-300, 2, 900, "read timeout: no data for 90s")
        .drops(-298, 3, 2_200, gateway_timeout)
        .drops(-295, 4, 3_900, gateway_timeout)
        .drops(-290, 5, 8_200, "HTTP 500 Internal Server Error")
        .live()
        .drops(-200, 2, 1_000, "stream dropped: unexpected end of body")
        .live()
        .drops(-120, 1, 0, time_cap)
        .live()
        .drops(-60, 2, 1_000, "HTTP 401 Unauthorized")
        .push(
            -58,
            ConnState::Stopped(StopReason::KeyRefused {
                detail: "HTTP 401: the key was revoked".into(),
            }),
        );
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
        f.up(source);
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

/// [`troubled_history`] with the overlay open, naming the log file.
fn overlay() -> Fixture {
    let mut f = troubled_history(AppOptions {
        log_file: Some(LOG_FILE.into()),
        ..AppOptions::default()
    });
    f.keys("L");
    f
}

/// No connection yet, the feed focused and the overlay open.
fn empty_overlay() -> Fixture {
    let mut f = Fixture::plain();
    f.keys("2L");
    f
}

// ---- the snapshots ---------------------------------------------------------

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

#[test]
fn connection_log_overlay() {
    let mut f = troubled_history(AppOptions {
        log_file: Some(LOG_FILE.into()),
        ..AppOptions::default()
    });
    f.size(80, 24).keys("L").snapshot("connlog_80x24");
    f.snapshots("connlog", &SIZES[1..]);
}

#[test]
fn connection_log_scrolled_to_the_oldest() {
    let mut f = troubled_history(AppOptions::default());
    f.size(80, 24).keys("Lg");
    let screen = text(&draw(&f.state, 80, 24));
    assert!(screen.contains("09:50:00  connecting"), "{screen}");
    assert!(!screen.contains("09:59:02  stopped"), "{screen}");
    // No log file named: no footer.
    assert!(!screen.contains("full log"), "{screen}");
}

#[test]
fn connection_log_when_empty() {
    let mut f = Fixture::plain();
    f.size(80, 24).keys("2L").snapshot("connlog_empty_80x24");
    f.snapshots("connlog_empty", &SIZES[1..]);
}

#[test]
fn died_counts_on_rows_and_tabs() {
    dying_links().snapshots("died_count", &SIZES);
}

#[test]
fn proxy_in_the_status_bar() {
    let mut f = Fixture::new(AppOptions {
        proxy: Some("corp-proxy:3128".into()),
        ..AppOptions::default()
    });
    for source in [issue("iss-weekly-digest"), Source::Inbox, domain("acme.io")] {
        f.up(&source);
    }
    f.event(&issue("iss-weekly-digest"), progress(19_374, 250_000))
        .snapshots("status_proxy", &SIZES);
}

/// Any size: the overlay and the badges draw without panicking and within
/// the palette.
#[test]
fn every_size_draws() {
    let sizes = [(0, 0), (1, 1), (20, 5), (60, 16), (80, 24), (250, 80)];
    for mut f in [overlay(), empty_overlay(), dying_links()] {
        f.draws_at(&sizes);
    }
}
