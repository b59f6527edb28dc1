//! Rendered screens, as text, for fixed states built through the public
//! API (`update` with actions, then `render`). The clock and the data are
//! fixed, so the snapshots never depend on when or where they run.

use std::time::Duration;

use crossterm::event::KeyCode;
use serde_json::json;

use misar_dash::app::AppOptions;
use misar_dash::model::mail::{InboxCampaign, InboxContact, InboxMail};
use misar_dash::model::{
    CampaignUpdate, CampaignUpdateKind, ConnState, InboxEvent, LogEventType, LogRecord,
    SendProgress, SendStatus, Source, StopReason, UpstreamBody,
};

use crate::support::fixture::{Fixture, now};
use crate::support::screen::snapshot;
use crate::support::{campaign, domain, issue};

fn at(offset_s: i64) -> String {
    misar_dash::model::log::format_timestamp_ms(now() + offset_s * 1000)
}

// ---- building states -------------------------------------------------------

fn progress(status: SendStatus, sent: u64, total: u64) -> UpstreamBody {
    UpstreamBody::Progress(SendProgress {
        status,
        sent,
        total,
        opened: sent * 3 / 10,
        bounced: sent / 180,
    })
}

fn campaign_update(kind: CampaignUpdateKind, id: &str, sent: u64, total: u64) -> UpstreamBody {
    UpstreamBody::Campaign(CampaignUpdate {
        kind,
        campaign_id: id.into(),
        sent,
        total: Some(total),
        delivered: sent * 97 / 100,
        bounced: sent / 90,
        opened: sent / 5,
        reason: match kind {
            CampaignUpdateKind::Failed => Some("smtp relay refused the batch".into()),
            CampaignUpdateKind::Cancelled => Some("cancelled by ana@acme.io".into()),
            _ => None,
        },
        ..CampaignUpdate::default()
    })
}

const SENDERS: [&str; 3] = ["news@acme.io", "billing@acme.io", "hello@acme.io"];
const SUBJECTS: [&str; 4] = [
    "Weekly digest #212",
    "Your receipt for May",
    "Spring sale: 30% off everything in the store this weekend only",
    "Password reset",
];
const TAGS: [&[&str]; 3] = [
    &["newsletter", "weekly"],
    &["billing"],
    &["promo", "spring"],
];

fn log_record(i: u64) -> LogRecord {
    let event = match i % 10 {
        0 => LogEventType::Bounced,
        1 | 2 => LogEventType::Opened,
        3 => LogEventType::Clicked,
        4 => LogEventType::Deferred,
        5 => LogEventType::Queued,
        6 => LogEventType::TemporaryFail,
        _ => LogEventType::Delivered,
    };
    LogRecord {
        id: format!("log_{i:05}"),
        timestamp_ms: now() - (400 - i as i64) * 1500,
        event_type: Some(event),
        sender: SENDERS[(i % 3) as usize].into(),
        recipient: format!("reader{:03}@example.org", i * 7 % 1000),
        subject: SUBJECTS[(i % 4) as usize].into(),
        tags: TAGS[(i % 3) as usize]
            .iter()
            .map(|t| t.to_string())
            .collect(),
        message_id: format!("<{i}.msg@acme.io>"),
        smtp_response: (event == LogEventType::Bounced)
            .then(|| "550 5.1.1 mailbox does not exist".to_string()),
        ip: Some("203.0.113.9".into()),
        ..LogRecord::default()
    }
}

fn log_batch(range: std::ops::Range<u64>) -> UpstreamBody {
    UpstreamBody::Logs(range.map(log_record).collect())
}

fn contact(email: &str, reason: Option<&str>, offset_s: i64) -> InboxContact {
    InboxContact {
        email: email.into(),
        reason: reason.map(str::to_string),
        campaign_id: Some("c-77".into()),
        campaign_name: Some("Spring sale".into()),
        at: Some(at(offset_s)),
        ..InboxContact::default()
    }
}

fn inbox_events() -> Vec<InboxEvent> {
    vec![
        InboxEvent::CampaignStarted(InboxCampaign {
            campaign_id: "c-77".into(),
            campaign_name: "Spring sale".into(),
            total: Some(40_000),
            started_at: Some(at(-300)),
            ..InboxCampaign::default()
        }),
        InboxEvent::EmailReceived(InboxMail {
            from: "maria@example.org".into(),
            to: Some("support@acme.io".into()),
            subject: "Re: Weekly digest #211".into(),
            received_at: Some(at(-200)),
            ..InboxMail::default()
        }),
        InboxEvent::Bounce(contact(
            "old.address@example.net",
            Some("mailbox full"),
            -150,
        )),
        InboxEvent::Complaint(contact("angry@example.com", Some("abuse"), -120)),
        InboxEvent::Unsubscribe(contact("bye@example.com", None, -90)),
        InboxEvent::CampaignCompleted(InboxCampaign {
            campaign_id: "c-70".into(),
            campaign_name: "April recap".into(),
            sent: Some(12_000),
            delivered: Some(11_850),
            opened: Some(4_100),
            completed_at: Some(at(-60)),
            ..InboxCampaign::default()
        }),
        InboxEvent::EmailReceived(InboxMail {
            from: "jo@example.org".into(),
            subject: "Question about my invoice".into(),
            received_at: Some(at(-30)),
            ..InboxMail::default()
        }),
    ]
}

/// Two issues and a campaign running for two minutes, a busy feed, 400 log
/// records: the dashboard on an ordinary day.
fn live(options: AppOptions) -> Fixture {
    let mut f = Fixture::new(options);
    let (i1, i2, c1, logs) = (
        issue("1041"),
        issue("1042"),
        campaign("c-77"),
        domain("acme.io"),
    );
    f.tick(-120_000);
    for source in [&i1, &i2, &c1, &Source::Inbox, &logs] {
        f.conn(source, ConnState::Connecting { attempt: 1 });
        f.conn(source, ConnState::Live);
    }
    for event in inbox_events().into_iter().take(1) {
        f.event(&Source::Inbox, UpstreamBody::Inbox(event));
    }
    // Throughput that wanders, so the sparkline has a shape.
    let mut sent = [0u64; 3];
    for second in 0..=120i64 {
        f.tick(-120_000 + second * 1000);
        sent[0] += 40 + (second as u64 * 7 % 30);
        f.event(&i1, progress(SendStatus::Sending, sent[0], 12_000));
        if second >= 60 {
            sent[1] += 15 + (second as u64 % 5) * 4;
            f.event(&i2, progress(SendStatus::Sending, sent[1], 30_000));
        }
        sent[2] += 90 + (second as u64 * 13 % 60);
        f.event(
            &c1,
            campaign_update(CampaignUpdateKind::Progress, "c-77", sent[2], 40_000),
        );
    }
    for event in inbox_events().into_iter().skip(1) {
        f.event(&Source::Inbox, UpstreamBody::Inbox(event));
    }
    f.event(&logs, log_batch(0..400));
    f.event(
        &logs,
        UpstreamBody::RateLimit {
            limit: Some(120),
            remaining: Some(117),
        },
    );
    f
}

// ---- the snapshots -------------------------------------------------------

#[test]
fn empty() {
    Fixture::plain().snapshot("empty_80x24");
}

#[test]
fn demo_badge() {
    let mut f = Fixture::new(AppOptions {
        demo: true,
        ..AppOptions::default()
    });
    f.conn(&Source::Inbox, ConnState::Live)
        .snapshot("demo_80x24");
}

#[test]
fn connecting() {
    let mut f = Fixture::plain();
    for source in [
        issue("1041"),
        campaign("c-77"),
        Source::Inbox,
        domain("acme.io"),
    ] {
        f.conn(&source, ConnState::Connecting { attempt: 1 });
    }
    f.conn(&domain("acme.io"), ConnState::Connecting { attempt: 3 })
        .snapshot("connecting_80x24");
}

#[test]
fn live_80x24() {
    live(AppOptions::default()).snapshots("live", &[(80, 24)]);
}

#[test]
fn live_160x48() {
    live(AppOptions::default()).snapshots("live", &[(160, 48)]);
}

#[test]
fn live_styles() {
    live(AppOptions::default())
        .size(80, 24)
        .keys("3")
        .snapshot_styles("live_80x24_styles");
}

#[test]
fn no_color() {
    live(AppOptions {
        no_color: true,
        ..AppOptions::default()
    })
    .size(80, 24)
    .keys("3k")
    .snapshot("no_color_80x24")
    .snapshot_styles("no_color_80x24_styles");
}

/// Every way a send ends, for issues and campaigns, with the sends pane
/// focused so all six rows show.
#[test]
fn finished_sends() {
    let mut f = Fixture::plain();
    f.tick(-600_000);
    let ends = [
        (issue("1001"), SendStatus::Sent),
        (issue("1002"), SendStatus::Failed),
        (issue("1003"), SendStatus::Cancelled),
    ];
    for (i, (source, _)) in ends.iter().enumerate() {
        f.conn(source, ConnState::Live);
        f.event(source, progress(SendStatus::Sending, 100 * i as u64, 5_000));
    }
    let campaigns = [
        ("c-1", CampaignUpdateKind::Completed),
        ("c-2", CampaignUpdateKind::Failed),
        ("c-3", CampaignUpdateKind::Cancelled),
    ];
    for (id, _) in campaigns {
        f.conn(&campaign(id), ConnState::Live);
        f.event(
            &campaign(id),
            campaign_update(CampaignUpdateKind::Progress, id, 50, 8_000),
        );
    }
    f.tick(-240_000);
    for (source, status) in &ends {
        let sent = if *status == SendStatus::Sent {
            5_000
        } else {
            2_150
        };
        f.event(source, progress(*status, sent, 5_000));
        f.conn(source, finished("send over"));
    }
    f.tick(-200_000);
    for (id, kind) in campaigns {
        let sent = if kind == CampaignUpdateKind::Completed {
            8_000
        } else {
            3_333
        };
        f.event(&campaign(id), campaign_update(kind, id, sent, 8_000));
        f.conn(&campaign(id), finished(kind.as_str()));
    }
    f.tick(0)
        .snapshots("finished_sends", &[(160, 48), (80, 24)]);
}

fn finished(reason: &str) -> ConnState {
    ConnState::Finished {
        reason: reason.into(),
    }
}

#[test]
fn stopped_with_each_reason() {
    let mut f = Fixture::plain();
    let stops = [
        (
            issue("1041"),
            StopReason::NoKey {
                detail: "set MISAR_BLOG_KEY or blog_key in the config".into(),
            },
        ),
        (
            campaign("c-77"),
            StopReason::KeyRefused {
                detail: "close code 4401".into(),
            },
        ),
        (
            Source::Inbox,
            StopReason::GaveUp {
                attempts: 8,
                last_error: "connection refused".into(),
            },
        ),
        (
            domain("acme.io"),
            StopReason::NotFound {
                detail: "Domain not found or you do not own this domain".into(),
            },
        ),
        (
            domain("beta.acme.io"),
            StopReason::BadQuery {
                detail: "HTTP 400: limit must be <= 500000".into(),
            },
        ),
    ];
    for (i, (source, reason)) in stops.into_iter().enumerate() {
        f.tick(i as i64 * 1000 - 10_000);
        f.conn(&source, ConnState::Connecting { attempt: 1 });
        f.conn(&source, ConnState::Stopped(reason));
    }
    f.tick(0)
        .snapshots("stopped_each_reason", &[(160, 48), (80, 24)]);
}

#[test]
fn reconnecting_and_rate_limited() {
    let mut f = live(AppOptions::default());
    let dropped = ConnState::Reconnecting {
        attempt: 2,
        delay: Duration::from_millis(4_200),
        reason: "stream dropped: connection reset by peer".into(),
    };
    let waiting = ConnState::RateLimited {
        wait: Duration::from_secs(30),
    };
    let none_left = UpstreamBody::RateLimit {
        limit: Some(120),
        remaining: Some(0),
    };
    let junk = UpstreamBody::Malformed {
        detail: "frame is not JSON: expected value at line 1 column 1".into(),
    };
    f.tick(1_000)
        .conn(&issue("1041"), dropped)
        .conn(&domain("acme.io"), waiting)
        .event(&domain("acme.io"), none_left)
        .event(&Source::Inbox, junk)
        .tick(3_000)
        .snapshots("reconnecting_rate_limited", &[(80, 24)]);
}

/// The logs pane at `width`x`height` with the filter bar open and `typed`
/// typed.
fn filtering(width: u16, height: u16, typed: &str) -> Fixture {
    let mut f = live(AppOptions::default());
    f.size(width, height).keys("3/").keys(typed);
    f
}

#[test]
fn filter_bar_valid() {
    filtering(80, 24, "type:bounced,deferred -from:billing").snapshot("filter_bar_valid_80x24");
}

#[test]
fn filter_bar_invalid() {
    // A typo made while editing: the filter before it stays applied.
    filtering(80, 24, "subject:digest type:bounced")
        .key(KeyCode::Backspace)
        .key(KeyCode::Backspace)
        .keys("d")
        .snapshot("filter_bar_invalid_80x24")
        .snapshot_styles("filter_bar_invalid_80x24_styles");
}

#[test]
fn filter_applied() {
    filtering(160, 48, "digest -type:opened\n").snapshot("filter_applied_160x48");
}

#[test]
fn detail_view() {
    let mut f = live(AppOptions::default());
    let mut odd = log_record(400);
    odd.event_type = Some(LogEventType::Other);
    odd.extra = vec![
        ("event_type".into(), json!("spam_trap")),
        ("campaign".into(), json!({"id": "c-77", "variant": "B"})),
        ("retries".into(), json!(3)),
    ];
    odd.user_agent = Some("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15".into());
    f.event(&domain("acme.io"), UpstreamBody::Logs(vec![odd].into()))
        .size(80, 24)
        .keys("3\n")
        .snapshot("detail_80x24")
        .snapshots("detail", &[(160, 48)]);
}

#[test]
fn help_overlay() {
    Fixture::plain()
        .size(80, 24)
        .keys("?")
        .snapshot("help_80x24")
        .snapshots("help", &[(160, 48)]);
}

#[test]
fn paused_feed() {
    let mut f = live(AppOptions::default());
    f.size(80, 24)
        .keys("2 ")
        .feed(InboxEvent::Bounce(contact(
            "late@example.net",
            Some("no such user"),
            5,
        )))
        .feed(InboxEvent::Unsubscribe(contact(
            "later@example.net",
            None,
            6,
        )))
        .keys("e")
        .snapshot("feed_paused_80x24");
}

#[test]
fn follow_off_and_unread() {
    let mut f = live(AppOptions::default());
    f.size(80, 24)
        .keys("3")
        .key(KeyCode::PageUp)
        .feed(InboxEvent::Complaint(contact(
            "x@example.com",
            Some("spam"),
            2,
        )))
        .snapshot("follow_off_unread_80x24");
}

#[test]
fn watch_prompt() {
    Fixture::plain()
        .size(80, 24)
        .keys("aissue\n")
        .snapshot("watch_prompt_error_80x24");
}

/// Escape sequences, bidi overrides, zero-width and wide characters and a
/// 10,000-character subject: the table stays aligned and nothing raw gets
/// through.
#[test]
fn hostile_text() {
    let mut f = Fixture::plain();
    let logs = domain("acme.io");
    f.conn(&logs, ConnState::Live);
    // Per record: its type, sender, recipient, subject and tags.
    let texts = [
        (
            LogEventType::Delivered,
            "admin\u{202e}moc.live@acme.io",
            "\u{1b}]0;pwned\u{7}victim@example.org",
            format!("\u{1b}[31mRED\u{1b}[0m {}", "x".repeat(10_000)),
            &["t\u{200b}ag"][..],
        ),
        (
            LogEventType::Opened,
            "山田太郎@例え.jp",
            "ｆｕｌｌｗｉｄｔｈ@example.org",
            "件名：週刊ダイジェスト第212号のお知らせ".into(),
            &["ニュース", "週刊"],
        ),
        (
            LogEventType::Clicked,
            "e\u{301}le\u{300}ve@example.fr",
            "tab\there@example.org",
            "line one\nline two\r\n\u{8}\u{8}".into(),
            &[],
        ),
    ];
    let hostile: Vec<LogRecord> = (1i64..)
        .zip(texts)
        .map(|(n, (kind, sender, recipient, subject, tags))| LogRecord {
            id: format!("h{n}"),
            timestamp_ms: now() - (4 - n) * 1000,
            event_type: Some(kind),
            sender: sender.into(),
            recipient: recipient.into(),
            subject,
            tags: tags.iter().map(|t| t.to_string()).collect(),
            ..LogRecord::default()
        })
        .collect();
    f.event(&logs, UpstreamBody::Logs(hostile.into()))
        .feed(InboxEvent::EmailReceived(InboxMail {
            from: "\u{1b}[2Jevil@example.com".into(),
            subject: "\u{1b}P+q\u{1b}\\hello 😀 wörld".into(),
            received_at: Some(at(-1)),
            ..InboxMail::default()
        }))
        .size(80, 24)
        .keys("3")
        .snapshot("hostile_text_80x24");
}

#[test]
fn too_small() {
    // Drawn at sizes the state was never told of: the frame decides.
    let f = Fixture::plain();
    snapshot("too_small_59x16", &f.state, 59, 16);
    snapshot("too_small_60x15", &f.state, 60, 15);
}

#[test]
fn smallest_supported() {
    live(AppOptions::default()).snapshots("live", &[(60, 16)]);
}

/// Any size, any overlay: drawing never panics and never paints outside
/// the palette.
#[test]
fn every_size_draws() {
    let sizes = [
        (0, 0),
        (1, 1),
        (20, 5),
        (59, 16),
        (60, 16),
        (61, 17),
        (80, 24),
        (100, 30),
        (119, 29),
        (120, 30),
        (250, 80),
    ];
    Fixture::plain().draws_at(&sizes);
    // Help, a record's detail, a filter that does not parse, the prompt.
    for keys in ["?", "3\n", "3/type:nope \"open", "adomain"] {
        live(AppOptions::default()).keys(keys).draws_at(&sizes);
    }
}
