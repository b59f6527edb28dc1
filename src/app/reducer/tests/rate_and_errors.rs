//! Reducer tests of issue 16: the send rate comes from progress events
//! alone and the ETA needs a live stream; an error leaves the status bar
//! once its stream delivers again.

use std::time::Duration;

use super::*;

/// Events at fixed times, applied right after a tick at that time (their
/// arrival is the clock then), with ticks every `cadence_ms` between:
/// the rate after each tick.
fn rates_with_tick_cadence(cadence_ms: i64) -> Vec<Option<f64>> {
    let mut s = state();
    let source = campaign("c1");
    let events = [0, 1_000, 3_500, 4_000, 7_000, 8_200, 11_000, 12_000];
    let mut rates = Vec::new();
    let mut now = NOW;
    for (i, at) in events.into_iter().enumerate() {
        while now + cadence_ms < NOW + at {
            now += cadence_ms;
            update(&mut s, Action::Tick { now_ms: now });
        }
        now = NOW + at;
        update(&mut s, Action::Tick { now_ms: now });
        let update_body = UpstreamBody::Campaign(CampaignUpdate {
            kind: CampaignUpdateKind::Progress,
            campaign_id: "c1".into(),
            sent: (i as u64 + 1) * 170 + at as u64 / 10,
            total: Some(100_000),
            ..CampaignUpdate::default()
        });
        update(&mut s, upstream(&source, update_body));
        rates.push(s.sends.rows[0].rate.per_second());
    }
    rates
}

#[test]
fn the_rate_does_not_depend_on_the_tick_cadence() {
    let reference = rates_with_tick_cadence(60_000);
    assert_eq!(reference[0], None);
    assert!(reference[1..].iter().all(Option::is_some), "{reference:?}");
    for cadence_ms in [100, 250, 1_000, 3_000] {
        assert_eq!(
            rates_with_tick_cadence(cadence_ms),
            reference,
            "{cadence_ms}"
        );
    }
}

#[test]
fn no_eta_while_the_stream_is_down_or_the_rate_unknown() {
    let mut s = state();
    let source = issue("42");
    update(
        &mut s,
        upstream(&source, UpstreamBody::Conn(ConnState::Live)),
    );
    update(
        &mut s,
        upstream(&source, progress(SendStatus::Sending, 100)),
    );
    // One sample: no rate, so no ETA.
    assert_eq!(s.sends.rows[0].eta_ms(s.stream_live(&source)), None);
    update(
        &mut s,
        Action::Tick {
            now_ms: NOW + 2_000,
        },
    );
    update(
        &mut s,
        upstream(&source, progress(SendStatus::Sending, 300)),
    );
    assert_eq!(s.sends.rows[0].eta_ms(s.stream_live(&source)), Some(7_000));
    // The link drops: the ETA goes, however long it stays down.
    update(
        &mut s,
        upstream(
            &source,
            UpstreamBody::Conn(ConnState::Reconnecting {
                attempt: 1,
                delay: Duration::from_secs(2),
                reason: "stream dropped".into(),
            }),
        ),
    );
    for t in [3_000, 60_000, 3_600_000] {
        update(&mut s, Action::Tick { now_ms: NOW + t });
        assert_eq!(s.sends.rows[0].eta_ms(s.stream_live(&source)), None);
        assert_eq!(s.sends.rows[0].rate.per_second(), Some(100.0));
    }
    // Zero progress is no rate to tell an ETA by either.
    let stalled = issue("43");
    update(
        &mut s,
        upstream(&stalled, UpstreamBody::Conn(ConnState::Live)),
    );
    update(&mut s, upstream(&stalled, progress(SendStatus::Sending, 5)));
    update(
        &mut s,
        Action::Tick {
            now_ms: NOW + 3_610_000,
        },
    );
    update(&mut s, upstream(&stalled, progress(SendStatus::Sending, 5)));
    let row = s
        .sends
        .rows
        .iter()
        .find(|r| r.source == stalled)
        .expect("a row");
    assert_eq!(row.eta_ms(s.stream_live(&stalled)), None);
}

#[test]
fn an_error_goes_once_its_stream_delivers_again_or_after_a_minute() {
    let mut s = state();
    let (flaky, other) = (issue("1"), issue("2"));
    let conn = |source: &Source, state: ConnState| upstream(source, UpstreamBody::Conn(state));
    for source in [&flaky, &other] {
        update(&mut s, conn(source, ConnState::Live));
        update(&mut s, upstream(source, progress(SendStatus::Sending, 10)));
    }
    update(
        &mut s,
        conn(
            &flaky,
            ConnState::Reconnecting {
                attempt: 1,
                delay: Duration::from_secs(1),
                reason: "stream dropped".into(),
            },
        ),
    );
    assert!(s.current_error().is_some());
    // Another stream's data says nothing about this error.
    update(&mut s, upstream(&other, progress(SendStatus::Sending, 20)));
    assert!(s.current_error().is_some());
    // Connected again, but nothing delivered yet: not resolved.
    update(&mut s, conn(&flaky, ConnState::Connecting { attempt: 2 }));
    update(&mut s, conn(&flaky, ConnState::Live));
    assert!(s.current_error().is_some());
    update(&mut s, upstream(&flaky, progress(SendStatus::Sending, 30)));
    assert_eq!(s.current_error(), None);
    assert_eq!(s.last_error, None);

    // A stop is not resolved by anything: it fades after a minute.
    update(
        &mut s,
        conn(
            &other,
            ConnState::Stopped(StopReason::NotFound {
                detail: "issue_not_found".into(),
            }),
        ),
    );
    update(
        &mut s,
        Action::Tick {
            now_ms: NOW + 59_000,
        },
    );
    assert!(s.current_error().is_some());
    update(
        &mut s,
        Action::Tick {
            now_ms: NOW + 60_000,
        },
    );
    assert_eq!(s.current_error(), None);
}
