//! The alert list (`!`): opening and closing it, moving in it, and Enter
//! going to where an alert's subject is shown. The alerts are raised by
//! the real watchdog from upstream events and ticks.

use super::*;
use crate::model::alert::AlertKind;

/// Progress with `bounced` of `sent` bounced.
fn bouncing(sent: u64, bounced: u64) -> UpstreamBody {
    UpstreamBody::Progress(SendProgress {
        status: SendStatus::Sending,
        sent,
        total: 5_000,
        opened: 0,
        bounced,
    })
}

fn tick(s: &mut AppState, at_ms: i64) {
    update(s, Action::Tick { now_ms: at_ms });
}

/// Three sends and a domain: iss-cold bounces 12% (raised first), the
/// domain bounces 50% (second), iss-late fails (third, the newest).
fn with_alerts() -> AppState {
    let mut s = state();
    update(&mut s, upstream(&issue("iss-ok"), bouncing(400, 2)));
    update(&mut s, upstream(&issue("iss-cold"), bouncing(500, 60)));
    tick(&mut s, NOW + 1_000);
    let records = (0..40)
        .map(|i| {
            let t = if i % 2 == 0 {
                LogEventType::Bounced
            } else {
                LogEventType::Delivered
            };
            LogRecord {
                timestamp_ms: NOW,
                ..record(i, t)
            }
        })
        .collect();
    update(
        &mut s,
        upstream(&domain("bounces.example.com"), UpstreamBody::Logs(records)),
    );
    update(&mut s, upstream(&domain("acme.io"), logs(3)));
    tick(&mut s, NOW + 2_000);
    update(
        &mut s,
        upstream(&issue("iss-late"), progress(SendStatus::Failed, 300)),
    );
    tick(&mut s, NOW + 3_000);
    s
}

fn selected_alert(s: &AppState) -> usize {
    match s.overlay {
        Overlay::Alerts { selected, .. } => selected,
        _ => panic!("the alert list is not open: {:?}", s.overlay),
    }
}

#[test]
fn the_watchdog_raised_what_the_list_shows_newest_first() {
    let s = with_alerts();
    let kinds: Vec<(AlertKind, Source)> = crate::app::alert_list::listed(&s)
        .into_iter()
        .map(|a| (a.kind, a.source.clone()))
        .collect();
    assert_eq!(
        kinds,
        [
            (AlertKind::Failed, issue("iss-late")),
            (AlertKind::DomainBounces, domain("bounces.example.com")),
            (AlertKind::BounceRate, issue("iss-cold")),
        ]
    );
}

#[test]
fn bang_opens_and_bang_esc_or_q_close() {
    let mut s = with_alerts();
    for close in [ch('!'), press(KeyCode::Esc), ch('q')] {
        assert!(update(&mut s, ch('!')).is_empty());
        assert_eq!(selected_alert(&s), 0);
        // Keys of the main view do nothing while the list is open.
        update(&mut s, press(KeyCode::Tab));
        assert_eq!(s.focus, Pane::Sends);
        // q closes the list, as it closes help; it does not quit.
        assert!(update(&mut s, close).is_empty());
        assert!(matches!(s.overlay, Overlay::None));
    }
    // Ctrl-C still quits from the list.
    update(&mut s, ch('!'));
    assert_eq!(update(&mut s, ctrl('c')), [Command::Quit]);
}

#[test]
fn moving_stops_at_both_ends_and_keeps_the_selection_in_view() {
    let mut s = with_alerts();
    overlay_scrolls(&mut s, 2, 0);
    update(&mut s, ch('!'));
    update(&mut s, ch('k'));
    assert_eq!(selected_alert(&s), 0, "no row above the newest");
    update(&mut s, ch('j'));
    update(&mut s, press(KeyCode::Down));
    update(&mut s, ch('j'));
    assert_eq!(selected_alert(&s), 2, "no row below the oldest");
    assert!(
        matches!(s.overlay, Overlay::Alerts { scroll: 1, .. }),
        "a page of two shows the third: {:?}",
        s.overlay
    );
    update(&mut s, press(KeyCode::Up));
    update(&mut s, ch('k'));
    assert!(matches!(
        s.overlay,
        Overlay::Alerts {
            selected: 0,
            scroll: 0
        }
    ));
    update(&mut s, ch('G'));
    assert_eq!(selected_alert(&s), 2);
    update(&mut s, ch('g'));
    assert_eq!(selected_alert(&s), 0);
}

#[test]
fn an_alert_raised_while_the_list_is_open_leaves_the_selection_where_it_was() {
    let mut s = with_alerts();
    update(&mut s, ch('!'));
    update(&mut s, ch('j'));
    let before = crate::app::alert_list::listed(&s)[selected_alert(&s)].clone();
    update(
        &mut s,
        upstream(&issue("iss-ok"), progress(SendStatus::Cancelled, 400)),
    );
    tick(&mut s, NOW + 4_000);
    let listed = crate::app::alert_list::listed(&s);
    assert_eq!(listed[0].kind, AlertKind::Cancelled, "the new one on top");
    assert_eq!(listed[selected_alert(&s)], &before);
}

#[test]
fn enter_on_a_send_focuses_sends_and_selects_its_row() {
    let mut s = with_alerts();
    update(&mut s, ch('3'));
    update(&mut s, ch('!'));
    update(&mut s, ch('j'));
    update(&mut s, ch('j'));
    update(&mut s, press(KeyCode::Enter));
    assert!(matches!(s.overlay, Overlay::None));
    assert_eq!(s.focus, Pane::Sends);
    let row = s.sends.selected_row().expect("a row selected");
    assert_eq!(row.source, issue("iss-cold"));
}

#[test]
fn enter_on_a_domain_focuses_logs_on_its_tab() {
    let mut s = with_alerts();
    let acme = s.logs.index_of("acme.io").expect("acme.io has a tab");
    s.logs.current = acme;
    update(&mut s, ch('!'));
    update(&mut s, ch('j'));
    update(&mut s, press(KeyCode::Enter));
    assert!(matches!(s.overlay, Overlay::None));
    assert_eq!(s.focus, Pane::Logs);
    let view = s.logs.current().expect("a domain shown");
    assert_eq!(view.domain, "bounces.example.com");
}

#[test]
fn enter_on_a_subject_gone_says_so_and_stays() {
    let mut s = with_alerts();
    // The send's row went without the watchdog hearing of it.
    s.sends.remove(&issue("iss-late"));
    update(&mut s, ch('!'));
    update(&mut s, press(KeyCode::Enter));
    assert_eq!(selected_alert(&s), 0, "the list stays open");
    assert_eq!(
        s.current_notice(),
        Some("issue iss-late is no longer shown")
    );
}

#[test]
fn enter_on_an_empty_list_does_nothing() {
    let mut s = state();
    update(&mut s, ch('!'));
    update(&mut s, ch('j'));
    update(&mut s, press(KeyCode::Enter));
    assert!(matches!(
        s.overlay,
        Overlay::Alerts {
            selected: 0,
            scroll: 0
        }
    ));
    assert_eq!(s.focus, Pane::Sends);
}

#[test]
fn a_complaint_names_its_campaign_for_the_list() {
    let mut s = state();
    let source = campaign("cmp-338c07e2");
    update(
        &mut s,
        upstream(
            &source,
            UpstreamBody::Campaign(CampaignUpdate {
                kind: CampaignUpdateKind::Progress,
                campaign_id: "cmp-338c07e2".into(),
                sent: 1_000,
                ..CampaignUpdate::default()
            }),
        ),
    );
    for i in 0..3 {
        update(
            &mut s,
            inbox(InboxEvent::Complaint(InboxContact {
                email: format!("d{i}@example.net"),
                campaign_id: Some("cmp-338c07e2".into()),
                campaign_name: Some("Reactivation:\u{1b}[31m Dormant".into()),
                ..InboxContact::default()
            })),
        );
    }
    tick(&mut s, NOW + 1_000);
    let alert = s.alerts.active_for(&source).next().expect("raised");
    assert_eq!(alert.kind, AlertKind::ComplaintRate);
    let name = crate::app::alert_list::subject_name(&s, &source);
    assert!(name.starts_with("campaign Reactivation:"), "{name}");
    assert!(!name.contains('\u{1b}'), "sanitized: {name:?}");
}
