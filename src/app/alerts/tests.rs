//! Each rule, the hysteresis, and what resets a subject.

use super::*;
use crate::model::alert::Notify;
use crate::model::mail::InboxContact;
use crate::model::{CampaignUpdate, LogRecord, SendProgress};

const T0: i64 = 1_780_000_000_000;
const SEC: i64 = 1000;

fn issue() -> Source {
    Source::SendProgress {
        issue_id: "iss-1".into(),
    }
}

fn campaign() -> Source {
    Source::Campaign {
        campaign_id: "cmp-1".into(),
    }
}

fn event(source: Source, body: UpstreamBody) -> UpstreamEvent {
    UpstreamEvent {
        source,
        generation: 1,
        body,
    }
}

fn progress(status: SendStatus, sent: u64, bounced: u64) -> UpstreamEvent {
    event(
        issue(),
        UpstreamBody::Progress(SendProgress {
            status,
            sent,
            total: 10_000,
            opened: 0,
            bounced,
        }),
    )
}

fn complaint(campaign_id: Option<&str>) -> UpstreamEvent {
    event(
        Source::Inbox,
        UpstreamBody::Inbox(InboxEvent::Complaint(InboxContact {
            email: "a@b.io".into(),
            campaign_id: campaign_id.map(String::from),
            ..InboxContact::default()
        })),
    )
}

fn domain_records(generation: u64, at_ms: i64, good: usize, bad: usize) -> UpstreamEvent {
    let record = |i: usize, t| LogRecord {
        id: format!("r{i}"),
        timestamp_ms: at_ms,
        event_type: Some(t),
        ..LogRecord::default()
    };
    let records: Vec<LogRecord> = (0..good)
        .map(|i| record(i, LogEventType::Delivered))
        .chain((0..bad).map(|i| record(good + i, LogEventType::Bounced)))
        .collect();
    UpstreamEvent {
        source: Source::DomainLogs {
            domain: "acme.io".into(),
        },
        generation,
        body: UpstreamBody::Logs(records.into()),
    }
}

fn kinds(notices: &[AlertNotice]) -> Vec<(AlertKind, bool)> {
    notices.iter().map(|n| (n.kind, n.raised)).collect()
}

fn only(rules: AlertRules) -> Watchdog {
    Watchdog::new(rules)
}

fn no_rules() -> AlertRules {
    AlertRules {
        bounce_rate_pct: None,
        complaint_rate_pct: None,
        complaint_count: None,
        stall_secs: None,
        failed_or_cancelled: false,
        domain_bounce_rate_pct: None,
        stream_down_secs: None,
        notify: Notify::Off,
        ..AlertRules::default()
    }
}

#[test]
fn bounce_rate_waits_for_enough_sent_then_raises_once() {
    let mut w = only(AlertRules {
        bounce_rate_pct: Some(5.0),
        ..no_rules()
    });
    w.observe(&progress(SendStatus::Sending, 100, 50), T0);
    assert!(w.evaluate(T0).is_empty(), "50% of 100 sent is not judged");
    w.observe(&progress(SendStatus::Sending, 200, 11), T0 + SEC);
    let raised = w.evaluate(T0 + SEC);
    assert_eq!(kinds(&raised), [(AlertKind::BounceRate, true)]);
    assert_eq!(raised[0].value, 5.5);
    assert_eq!(raised[0].threshold, 5.0);
    w.observe(&progress(SendStatus::Sending, 400, 30), T0 + 2 * SEC);
    assert!(w.evaluate(T0 + 2 * SEC).is_empty(), "raised once");
    assert_eq!(w.active().count(), 1);
    assert_eq!(w.active().next().unwrap().latest, 7.5);
}

/// A rate on the line flaps between over and under: the alert stays until
/// the condition has been false for the whole `clear_after_secs`.
#[test]
fn hysteresis_keeps_an_alert_through_a_flapping_rate() {
    let mut w = only(AlertRules {
        bounce_rate_pct: Some(5.0),
        clear_after_secs: 30,
        ..no_rules()
    });
    w.observe(&progress(SendStatus::Sending, 1000, 60), T0);
    assert_eq!(w.evaluate(T0).len(), 1);
    for s in 1..60 {
        // Under, over, under, ... every ten seconds.
        let bounced = if (s / 10) % 2 == 0 { 49 } else { 51 };
        w.observe(&progress(SendStatus::Sending, 1000, bounced), T0 + s * SEC);
        assert!(w.evaluate(T0 + s * SEC).is_empty(), "at {s}s");
    }
    // Under for good: cleared 30 s after it went under.
    w.observe(&progress(SendStatus::Sending, 1000, 40), T0 + 61 * SEC);
    for s in 61..91 {
        assert!(w.evaluate(T0 + s * SEC).is_empty(), "at {s}s");
    }
    let cleared = w.evaluate(T0 + 91 * SEC);
    assert_eq!(kinds(&cleared), [(AlertKind::BounceRate, false)]);
    assert_eq!(cleared[0].value, 4.0, "the latest value");
    assert_eq!(w.active().count(), 0);
    assert_eq!(w.alerts()[0].cleared_ms, Some(T0 + 91 * SEC));
    // Over again: a new alert.
    w.observe(&progress(SendStatus::Sending, 1000, 80), T0 + 100 * SEC);
    assert_eq!(
        kinds(&w.evaluate(T0 + 100 * SEC)),
        [(AlertKind::BounceRate, true)]
    );
    assert_eq!(w.alerts().len(), 2);
}

#[test]
fn complaints_named_by_the_inbox_count_against_their_campaign() {
    let mut w = only(AlertRules {
        complaint_rate_pct: Some(0.1),
        complaint_count: Some(10.0),
        ..no_rules()
    });
    let campaign_progress = |sent| {
        event(
            campaign(),
            UpstreamBody::Campaign(CampaignUpdate {
                campaign_id: "cmp-1".into(),
                sent,
                ..CampaignUpdate::default()
            }),
        )
    };
    w.observe(&campaign_progress(2000), T0);
    w.observe(&complaint(Some("cmp-1")), T0);
    w.observe(&complaint(None), T0);
    w.observe(&complaint(Some("cmp-other")), T0);
    assert!(w.evaluate(T0).is_empty(), "1 in 2000 is 0.05%");
    w.observe(&complaint(Some("cmp-1")), T0 + SEC);
    w.observe(&complaint(Some("cmp-1")), T0 + SEC);
    let raised = w.evaluate(T0 + SEC);
    assert_eq!(kinds(&raised), [(AlertKind::ComplaintRate, true)]);
    assert_eq!(raised[0].source, campaign());
    assert_eq!(raised[0].value, 0.15);
    // A campaign never watched has a count, not a rate.
    for _ in 0..10 {
        w.observe(&complaint(Some("cmp-other")), T0 + 2 * SEC);
    }
    let raised = w.evaluate(T0 + 2 * SEC);
    assert_eq!(kinds(&raised), [(AlertKind::Complaints, true)]);
    assert_eq!(raised[0].value, 11.0);
}

#[test]
fn an_issue_named_by_a_complaint_is_charged_too() {
    let mut w = only(AlertRules {
        complaint_count: Some(1.0),
        ..no_rules()
    });
    let mut contact = InboxContact::default();
    contact
        .extra
        .insert("issueId".into(), serde_json::json!("iss-1"));
    w.observe(
        &event(
            Source::Inbox,
            UpstreamBody::Inbox(InboxEvent::Complaint(contact)),
        ),
        T0,
    );
    assert_eq!(w.evaluate(T0)[0].source, issue());
}

#[test]
fn a_stall_is_time_without_progress_while_sending_and_live() {
    let mut w = only(AlertRules {
        stall_secs: Some(60.0),
        ..no_rules()
    });
    let live = |up: bool| {
        event(
            issue(),
            UpstreamBody::Conn(if up {
                ConnState::Live
            } else {
                ConnState::Connecting { attempt: 1 }
            }),
        )
    };
    w.observe(&live(true), T0);
    w.observe(&progress(SendStatus::Sending, 100, 0), T0);
    w.observe(&progress(SendStatus::Sending, 200, 0), T0 + 10 * SEC);
    // The same numbers again and again: no progress since T0 + 10 s.
    w.observe(&progress(SendStatus::Sending, 200, 0), T0 + 40 * SEC);
    assert!(w.evaluate(T0 + 69 * SEC).is_empty());
    let raised = w.evaluate(T0 + 70 * SEC);
    assert_eq!(kinds(&raised), [(AlertKind::Stalled, true)]);
    assert_eq!(format_value(raised[0].value, raised[0].unit), "1m 00s");
    // Progress again: cleared after the hold.
    w.observe(&progress(SendStatus::Sending, 300, 0), T0 + 80 * SEC);
    assert!(w.evaluate(T0 + 80 * SEC).is_empty());
    assert_eq!(
        kinds(&w.evaluate(T0 + 110 * SEC)),
        [(AlertKind::Stalled, false)]
    );
    // While the stream is down, silence is not a stall (that is the
    // stream-down rule's); the clock starts again when it is back.
    w.observe(&live(false), T0 + 120 * SEC);
    assert!(w.evaluate(T0 + 300 * SEC).is_empty());
    w.observe(&live(true), T0 + 300 * SEC);
    assert!(w.evaluate(T0 + 359 * SEC).is_empty());
    assert_eq!(
        kinds(&w.evaluate(T0 + 360 * SEC)),
        [(AlertKind::Stalled, true)]
    );
    // An ended send is not stalled, and cannot stall again: its alert
    // clears at once, without the hold.
    w.observe(&progress(SendStatus::Sent, 300, 0), T0 + 361 * SEC);
    assert_eq!(
        kinds(&w.evaluate(T0 + 361 * SEC)),
        [(AlertKind::Stalled, false)]
    );
    assert!(w.evaluate(T0 + 400 * SEC).is_empty());
}

#[test]
fn one_ticks_notices_come_in_one_order() {
    // The watchdog's maps iterate in an order that differs between maps:
    // many watchdogs each raise for five sends in the same tick.
    let ids: Vec<String> = (1..=5).map(|i| format!("iss-{i}")).collect();
    for _ in 0..20 {
        let mut w = only(AlertRules {
            failed_or_cancelled: true,
            ..no_rules()
        });
        for id in ids.iter().rev() {
            let mut failed = progress(SendStatus::Failed, 10, 0);
            failed.source = Source::SendProgress {
                issue_id: id.clone(),
            };
            w.observe(&failed, T0);
        }
        let raised: Vec<String> = w
            .evaluate(T0)
            .into_iter()
            .map(|n| match n.source {
                Source::SendProgress { issue_id } => issue_id,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(raised, ids);
    }
}

#[test]
fn failed_and_cancelled_sends_stay_alerts_until_forgotten() {
    let mut w = only(AlertRules {
        failed_or_cancelled: true,
        ..no_rules()
    });
    w.observe(&progress(SendStatus::Sending, 100, 0), T0);
    assert!(w.evaluate(T0).is_empty());
    w.observe(&progress(SendStatus::Failed, 100, 0), T0 + SEC);
    assert_eq!(kinds(&w.evaluate(T0 + SEC)), [(AlertKind::Failed, true)]);
    assert!(w.evaluate(T0 + 3600 * SEC).is_empty(), "it does not clear");
    w.forget(&issue());
    assert_eq!(w.alerts().len(), 0);
    let cancelled = event(
        campaign(),
        UpstreamBody::Campaign(CampaignUpdate {
            kind: CampaignUpdateKind::Cancelled,
            ..CampaignUpdate::default()
        }),
    );
    w.observe(&cancelled, T0);
    assert_eq!(kinds(&w.evaluate(T0)), [(AlertKind::Cancelled, true)]);
}

#[test]
fn a_domains_bounces_are_judged_over_the_recent_window_only() {
    let mut w = only(AlertRules {
        domain_bounce_rate_pct: Some(10.0),
        domain_window_secs: 300,
        domain_min_records: 20,
        ..no_rules()
    });
    // An hour-old backlog full of bounces is history, not news.
    w.observe(&domain_records(1, T0 - 3600 * SEC, 0, 500), T0);
    assert!(w.evaluate(T0).is_empty());
    // Too few recent records to judge.
    w.observe(&domain_records(1, T0, 10, 5), T0);
    assert!(w.evaluate(T0).is_empty());
    w.observe(&domain_records(1, T0 + SEC, 10, 0), T0 + SEC);
    let raised = w.evaluate(T0 + SEC);
    assert_eq!(kinds(&raised), [(AlertKind::DomainBounces, true)]);
    assert_eq!(raised[0].value, 20.0);
    // Five minutes later those records have left the window: 0 of 0 is
    // no longer over, and the alert clears after the hold.
    assert!(w.evaluate(T0 + 301 * SEC).is_empty());
    assert_eq!(
        kinds(&w.evaluate(T0 + 331 * SEC)),
        [(AlertKind::DomainBounces, false)]
    );
}

#[test]
fn a_reopened_or_filtered_domain_stream_is_not_counted_twice_or_skewed() {
    let mut w = only(AlertRules {
        domain_bounce_rate_pct: Some(10.0),
        domain_min_records: 20,
        ..no_rules()
    });
    w.observe(&domain_records(1, T0, 95, 5), T0);
    // The stream re-opened sends the same records again.
    w.observe(&domain_records(2, T0, 95, 5), T0);
    w.observe(&domain_records(2, T0, 0, 6), T0);
    // 11 of 106, not 16 of 206 nor 11 of 206.
    let raised = w.evaluate(T0);
    assert_eq!(raised[0].value, 11.0 * 100.0 / 106.0);
    // A query that filters on the server (type:bounced) says nothing of
    // the domain's share.
    let mut w = only(AlertRules {
        domain_bounce_rate_pct: Some(10.0),
        domain_min_records: 20,
        ..no_rules()
    });
    w.judge_domain("acme.io", false);
    w.observe(&domain_records(1, T0, 0, 100), T0);
    assert!(w.evaluate(T0).is_empty());
}

#[test]
fn a_stream_down_too_long_is_an_alert_until_it_is_back() {
    let mut w = only(AlertRules {
        stream_down_secs: Some(120.0),
        clear_after_secs: 0,
        ..no_rules()
    });
    let conn = |state| event(Source::Inbox, UpstreamBody::Conn(state));
    w.observe(&conn(ConnState::Live), T0);
    w.observe(
        &conn(ConnState::Reconnecting {
            attempt: 1,
            delay: std::time::Duration::from_secs(1),
            reason: "reset".into(),
        }),
        T0 + SEC,
    );
    w.observe(&conn(ConnState::Connecting { attempt: 2 }), T0 + 2 * SEC);
    assert!(w.evaluate(T0 + 120 * SEC).is_empty());
    let raised = w.evaluate(T0 + 121 * SEC);
    assert_eq!(kinds(&raised), [(AlertKind::StreamDown, true)]);
    assert_eq!(raised[0].source, Source::Inbox);
    w.observe(&conn(ConnState::Live), T0 + 200 * SEC);
    assert_eq!(
        kinds(&w.evaluate(T0 + 200 * SEC)),
        [(AlertKind::StreamDown, false)]
    );
    // A stream that finished is not down.
    w.observe(
        &conn(ConnState::Finished {
            reason: "done".into(),
        }),
        T0 + 300 * SEC,
    );
    assert!(w.evaluate(T0 + 1000 * SEC).is_empty());
}

#[test]
fn rules_turned_off_raise_nothing() {
    let mut w = only(no_rules());
    w.observe(&progress(SendStatus::Sending, 1000, 900), T0);
    w.observe(&progress(SendStatus::Failed, 1000, 900), T0 + SEC);
    for _ in 0..100 {
        w.observe(&complaint(Some("cmp-1")), T0);
    }
    w.observe(&domain_records(1, T0, 0, 100), T0);
    assert!(w.evaluate(T0 + 3600 * SEC).is_empty());
}

#[test]
fn values_read_as_people_write_them() {
    assert_eq!(format_value(11.234, AlertUnit::Percent), "11.2%");
    assert_eq!(format_value(0.15, AlertUnit::Percent), "0.15%");
    assert_eq!(format_value(7.0, AlertUnit::Count), "7");
    assert_eq!(format_value(65.0, AlertUnit::Seconds), "1m 05s");
    assert_eq!(format_value(42.0, AlertUnit::Seconds), "42s");
}
