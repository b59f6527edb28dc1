//! Send health on screen (issue 19): send rows and a domain's title marked
//! while they have an active alert, the status bar's count, and the alert
//! list (`!`) with active and cleared alerts, or none yet. The alerts are
//! raised by the dashboard's own watchdog from upstream events and ticks,
//! on the fixtures' fixed clock (10:00:00 UTC).

use ratatui::style::Modifier;

use misar_dash::app::{AppOptions, Pane};
use misar_dash::model::log::LogBatch;
use misar_dash::model::mail::{InboxCampaign, InboxContact};
use misar_dash::model::{
    CampaignUpdate, CampaignUpdateKind, InboxEvent, LogEventType, LogRecord, SendProgress,
    SendStatus, Source, UpstreamBody,
};

use crate::support::fixture::{Fixture, now, record};
use crate::support::screen::{draw, snapshot, text};
use crate::support::{campaign, domain, issue};

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

const REACTIVATION: &str = "cmp-reactivation";

fn sending(sent: u64, bounced: u64) -> UpstreamBody {
    UpstreamBody::Progress(SendProgress {
        status: SendStatus::Sending,
        sent,
        total: 5_000,
        opened: sent / 4,
        bounced,
    })
}

fn campaign_progress(sent: u64) -> UpstreamBody {
    UpstreamBody::Campaign(CampaignUpdate {
        kind: CampaignUpdateKind::Progress,
        campaign_id: REACTIVATION.into(),
        sent,
        total: Some(8_000),
        delivered: sent * 98 / 100,
        bounced: sent / 100,
        opened: sent / 6,
        ..CampaignUpdate::default()
    })
}

fn complaint(i: u32) -> InboxEvent {
    InboxEvent::Complaint(InboxContact {
        email: format!("dormant{i}@example.net"),
        campaign_id: Some(REACTIVATION.into()),
        ..InboxContact::default()
    })
}

/// 40 records of the domain a few seconds before `at`, one in four
/// bounced or failed (25% > 10%).
fn bouncing_records(at: i64) -> UpstreamBody {
    let records: LogBatch = (0..40u64)
        .map(|i| {
            let event_type = match i % 8 {
                0 => LogEventType::Bounced,
                4 => LogEventType::Failed,
                _ => LogEventType::Delivered,
            };
            LogRecord {
                event_type: Some(event_type),
                recipient: format!("reader{i}@bounces.example.com"),
                ..record(i, at - 5_000 + i as i64 * 100)
            }
        })
        .collect();
    UpstreamBody::Logs(records)
}

/// A minute of trouble, oldest first:
/// - 09:59:05 the first progress; no send stops moving for a minute;
/// - 09:59:10 iss-cold-list bounces 11.2% and iss-recovering 10% (raised);
/// - 09:59:15 iss-recovering back to 1% (false from now), three
///   complaints about the Reactivation campaign: 0.30% of 1,000 (raised);
/// - 09:59:20 bounces.example.com at 25% bounced+failed (raised);
/// - 09:59:50 iss-recovering's alert clears (35 s false);
/// - 09:59:55 iss-partner-update fails (raised).
fn a_minute_of_trouble(options: AppOptions) -> Fixture {
    let mut f = Fixture::new(options);
    let sends = [
        issue("iss-cold-list"),
        issue("iss-recovering"),
        issue("iss-partner-update"),
        campaign(REACTIVATION),
    ];
    let domains = [domain("bounces.example.com"), domain("acme.io")];
    f.tick(-55_000);
    for source in sends.iter().chain(&domains).chain([&Source::Inbox]) {
        f.up(source);
    }
    f.feed(InboxEvent::CampaignStarted(InboxCampaign {
        campaign_id: REACTIVATION.into(),
        campaign_name: "Reactivation: Dormant Subscribers".into(),
        ..InboxCampaign::default()
    }));
    f.event(&sends[0], sending(1_200, 135))
        .event(&sends[1], sending(300, 30))
        .event(&sends[2], sending(900, 4))
        .event(&sends[3], campaign_progress(1_000))
        .tick(-50_000);
    f.event(&sends[1], sending(3_000, 30));
    for i in 0..3 {
        f.feed(complaint(i));
    }
    f.tick(-45_000);
    f.event(&domains[0], bouncing_records(now() - 40_000))
        .event(
            &domains[1],
            UpstreamBody::Logs(vec![record(1, now() - 39_000)].into()),
        )
        .tick(-40_000)
        .tick(-10_000);
    f.event(
        &sends[2],
        UpstreamBody::Progress(SendProgress {
            status: SendStatus::Failed,
            sent: 1_000,
            total: 5_000,
            opened: 240,
            bounced: 5,
        }),
    )
    .tick(-5_000)
    .tick(0);
    f
}

fn no_color() -> AppOptions {
    AppOptions {
        no_color: true,
        ..AppOptions::default()
    }
}

#[test]
fn rows_and_the_domain_title_are_marked_and_the_bar_counts() {
    let mut f = a_minute_of_trouble(AppOptions::default());
    assert_eq!(f.state.alerts.active().count(), 4);
    assert_eq!(f.state.alerts.alerts().len(), 5, "one cleared");
    f.snapshots("alerts_screen", &SIZES);
    for (width, height) in SIZES {
        let screen = text(&draw(&f.state, width, height));
        // At 80 columns a row's mark is the word alone: its number is
        // on the card's second line.
        let bounces = if width >= 120 {
            "▲ bounces 11.2%"
        } else {
            "▲ bounces "
        };
        for mark in [
            bounces,
            "▲ complaints",
            "▲ failed",
            "bounces.example.com ▲ bounces ",
            "▲ 4 alerts · ! list",
        ] {
            assert!(
                screen.contains(mark),
                "{mark} at {width}x{height}:\n{screen}"
            );
        }
        assert!(
            !screen.contains("iss-recovering  ▲"),
            "a cleared alert marks nothing"
        );
    }
}

#[test]
fn without_colour_the_marks_are_bold_words() {
    let mut f = a_minute_of_trouble(no_color());
    f.size(120, 40);
    snapshot("alerts_screen_120x40_no_color", &f.state, 120, 40);
    let buffer = draw(&f.state, 120, 40);
    let marks: Vec<_> = buffer
        .content
        .iter()
        .filter(|c| c.symbol() == "▲")
        .collect();
    assert!(marks.len() >= 5, "{} marks", marks.len());
    for cell in marks {
        assert!(cell.modifier.contains(Modifier::BOLD), "{cell:?}");
    }
}

#[test]
fn the_list_shows_active_and_cleared_newest_first() {
    let mut f = a_minute_of_trouble(AppOptions::default());
    f.keys("!");
    f.snapshots("alerts_list", &SIZES);
    let screen = text(&draw(&f.state, 120, 40));
    let order: Vec<usize> = [
        "issue iss-partner-update",
        "bounces.example.com",
        "campaign Reactivation",
        "issue iss-recovering",
    ]
    .iter()
    .map(|s| {
        screen
            .find(s)
            .unwrap_or_else(|| panic!("{s} listed:\n{screen}"))
    })
    .collect();
    assert!(order.is_sorted(), "newest first: {order:?}\n{screen}");
    assert!(screen.contains("cleared 09:59:50"), "{screen}");
    assert!(screen.contains("0.30% > 0.10%"), "{screen}");
    // Down twice and Enter: the campaign's row, in the Sends pane.
    f.keys("jj\n");
    assert_eq!(f.state.focus, Pane::Sends);
    let row = f.state.sends.selected_row().expect("a row selected");
    assert_eq!(row.source, campaign(REACTIVATION));
}

#[test]
fn the_list_without_colour() {
    let mut f = a_minute_of_trouble(no_color());
    f.size(80, 24).keys("!");
    snapshot("alerts_list_80x24_no_color", &f.state, 80, 24);
}

#[test]
fn an_empty_list_says_which_rules_are_on() {
    let mut f = Fixture::plain();
    f.up(&issue("iss-quiet"))
        .event(&issue("iss-quiet"), sending(500, 2))
        .tick(1_000)
        .keys("!");
    f.snapshots("alerts_list_empty", &SIZES);
    let screen = text(&draw(&f.state, 120, 40));
    assert!(screen.contains("No alerts yet"), "{screen}");
    assert!(!screen.contains("▲ "), "no mark, no count: {screen}");
}

/// A send that stopped moving has no ETA: its last rate says nothing of
/// when it will end.
#[test]
fn a_stalled_send_tells_no_eta() {
    let stuck = issue("iss-stuck-import");
    let mut f = Fixture::plain();
    f.tick(-100_000)
        .up(&stuck)
        .event(&stuck, sending(1_000, 2))
        .tick(-90_000)
        .event(&stuck, sending(1_600, 3))
        .tick(-80_000);
    let row = |f: &Fixture| {
        let screen = text(&draw(&f.state, 120, 40));
        let line = screen.lines().find(|l| l.contains("iss-stuck-import"));
        line.map(str::to_string).unwrap_or_default()
    };
    assert!(row(&f).contains("eta "), "{}", row(&f));
    assert!(!row(&f).contains("eta —"), "moving: {}", row(&f));
    f.tick(0);
    assert!(row(&f).contains("▲ stalled"), "{}", row(&f));
    assert!(row(&f).contains("eta —"), "{}", row(&f));
}

/// An alert on a domain tab out of sight is counted beside the tab
/// position, so that switching away from it does not hide it.
#[test]
fn an_alert_on_another_domain_tab_is_counted_in_the_title() {
    let mut f = a_minute_of_trouble(AppOptions::default());
    f.keys("3]");
    let logs = &f.state.logs;
    assert_eq!(logs.domains[logs.current].domain, "acme.io");
    f.snapshots("alerts_other_tab", &SIZES);
    for (width, height, form) in [
        (80, 24, "(2/2 ▲1)"),
        (120, 40, "(2/2 ▲1)"),
        (200, 50, "(2/2, ▲ 1 on other tabs, [ ] to switch)"),
    ] {
        let screen = text(&draw(&f.state, width, height));
        let title = screen
            .lines()
            .find(|l| l.contains("acme.io"))
            .unwrap_or_default();
        assert!(title.contains(form), "{width}x{height}: {title}");
    }
    // Back on the alerting tab, its own mark names it and nothing is
    // counted elsewhere.
    f.keys("[");
    let screen = text(&draw(&f.state, 120, 40));
    assert!(screen.contains("bounces.example.com ▲ bounces"), "{screen}");
    assert!(!screen.contains("on other tabs"), "{screen}");
}
