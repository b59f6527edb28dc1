//! The domain-log view: following, scrolling, the filter bar, domains and eviction.

use super::*;

#[test]
fn logs_follow_and_scroll_keys() {
    let mut s = with_logs(100);
    let height = s.geometry.viewports.logs;
    assert!(height > 2);
    assert!(s.logs.current().unwrap().follow);
    assert_eq!(selected(&s), 99);
    update(&mut s, upstream(&domain("acme.io"), logs(10)));
    assert_eq!(selected(&s), 109);

    update(&mut s, ch('k'));
    assert!(!s.logs.current().unwrap().follow);
    assert_eq!(s.current_notice(), Some("follow off — f to resume"));
    assert_eq!(selected(&s), 108);
    // New records no longer move the selection.
    update(&mut s, upstream(&domain("acme.io"), logs(5)));
    assert_eq!(selected(&s), 108);

    update(&mut s, press(KeyCode::PageUp));
    assert_eq!(selected(&s), 108 - height);
    update(&mut s, press(KeyCode::PageDown));
    assert_eq!(selected(&s), 108);
    update(&mut s, ctrl('u'));
    assert_eq!(selected(&s), 108 - (height / 2).max(1));
    update(&mut s, ctrl('d'));
    assert_eq!(selected(&s), 108);
    update(&mut s, ch('g'));
    assert_eq!(selected(&s), 0);
    update(&mut s, ch('G'));
    assert_eq!(selected(&s), 114);
    assert!(!s.logs.current().unwrap().follow);
    update(&mut s, press(KeyCode::Up));
    update(&mut s, ch('f'));
    assert!(s.logs.current().unwrap().follow);
    assert_eq!(selected(&s), 114);
    update(&mut s, ch('k'));
    update(&mut s, press(KeyCode::End));
    assert!(s.logs.current().unwrap().follow);
}

#[test]
fn filter_narrows_as_you_type_and_enter_requeries() {
    let mut s = with_logs(30);
    update(&mut s, ch('/'));
    assert!(s.logs.filter_bar.is_some());
    typed(&mut s, "type:bounced");
    assert_eq!(current_matches(&s), 10);
    // "type:bounced frm" was the last valid text: a free word nothing
    // holds. While the text is invalid, that filter stays applied.
    typed(&mut s, " frm:x");
    let error = s.logs.filter_bar.as_ref().unwrap().error.clone().unwrap();
    assert_eq!(error.span, 13..18);
    assert!(error.reason.starts_with("unknown field \"frm\""));
    assert_eq!(current_matches(&s), 0);
    // Enter on an invalid filter keeps the bar open.
    assert!(update(&mut s, press(KeyCode::Enter)).is_empty());
    assert!(s.logs.filter_bar.is_some());
    for _ in 0..6 {
        update(&mut s, press(KeyCode::Backspace));
    }
    assert!(s.logs.filter_bar.as_ref().unwrap().error.is_none());
    assert_eq!(current_matches(&s), 10);
    let commands = update(&mut s, press(KeyCode::Enter));
    let view = s.logs.current().unwrap();
    assert_eq!(view.filter_text, "type:bounced");
    assert_eq!(
        commands,
        [Command::WatchLogs {
            domain: "acme.io".into(),
            query: LogQuery {
                event_type: Some(LogEventType::Bounced),
                limit: Some(1000),
                ..LogQuery::default()
            },
        }]
    );
    // The stream is re-opened: what was held came from the old query.
    assert_eq!(view.store.len(), 0);
    assert_eq!(view.server_query.event_type, Some(LogEventType::Bounced));
    assert!(s.logs.filter_bar.is_none());
    // The new stream's records are filtered as they arrive.
    update(&mut s, upstream(&domain("acme.io"), logs(6)));
    assert_eq!(current_matches(&s), 2);
}

#[test]
fn enter_without_a_new_server_query_keeps_the_records() {
    let mut s = with_logs(30);
    update(&mut s, ch('/'));
    typed(&mut s, "digest");
    assert!(update(&mut s, press(KeyCode::Enter)).is_empty());
    assert_eq!(current_matches(&s), 15);
    assert_eq!(s.logs.current().unwrap().store.len(), 30);
}

#[test]
fn esc_cancels_back_to_the_previous_filter() {
    let mut s = with_logs(30);
    update(&mut s, ch('/'));
    typed(&mut s, "digest");
    update(&mut s, press(KeyCode::Enter));
    update(&mut s, ch('/'));
    typed(&mut s, " type:bounced");
    assert_eq!(current_matches(&s), 5);
    update(&mut s, press(KeyCode::Esc));
    assert!(s.logs.filter_bar.is_none());
    assert_eq!(current_matches(&s), 15);
    assert_eq!(s.logs.current().unwrap().filter_text, "digest");
}

#[test]
fn an_empty_range_is_refused_before_it_reaches_the_server() {
    let mut s = with_logs(3);
    update(&mut s, ch('/'));
    typed(&mut s, "since:1h until:2h");
    assert!(update(&mut s, press(KeyCode::Enter)).is_empty());
    let error = s.logs.filter_bar.as_ref().unwrap().error.clone().unwrap();
    assert!(error.reason.contains("is after end"), "{}", error.reason);
}

#[test]
fn watching_a_held_domain_again_clears_it() {
    let mut s = with_logs(10);
    // Once its stream has ended: a running one is only focused.
    update(
        &mut s,
        upstream(
            &domain("acme.io"),
            UpstreamBody::Conn(ConnState::Finished {
                reason: "complete".into(),
            }),
        ),
    );
    update(&mut s, ch('a'));
    typed(&mut s, "domain acme.io");
    let commands = update(&mut s, press(KeyCode::Enter));
    assert!(matches!(&commands[..], [Command::WatchLogs { .. }]));
    assert_eq!(s.logs.current().unwrap().store.len(), 0);
    assert_eq!(s.logs.current().unwrap().store.streamed(), 0);
}

#[test]
fn domains_switch_and_unwatch() {
    let mut s = state();
    for name in ["a.io", "b.io", "c.io"] {
        update(&mut s, upstream(&domain(name), logs(2)));
    }
    update(&mut s, ch('3'));
    assert_eq!(s.logs.current().unwrap().domain, "a.io");
    update(&mut s, ch(']'));
    assert_eq!(s.logs.current().unwrap().domain, "b.io");
    update(&mut s, ch('['));
    update(&mut s, ch('['));
    assert_eq!(s.logs.current().unwrap().domain, "c.io");
    update(&mut s, ch('d'));
    assert_eq!(
        update(&mut s, press(KeyCode::Enter)),
        [Command::Unwatch(domain("c.io"))]
    );
    assert_eq!(s.logs.domains.len(), 2);
    assert_eq!(s.logs.current().unwrap().domain, "b.io");
    update(&mut s, upstream(&domain("c.io"), logs(2)));
    assert_eq!(s.logs.domains.len(), 2);
}

#[test]
fn eviction_keeps_the_selected_record() {
    let mut s = with_options(AppOptions {
        max_log_records: 20,
        ..AppOptions::default()
    });
    update(&mut s, upstream(&domain("acme.io"), logs(20)));
    update(&mut s, ch('3'));
    update(&mut s, ch('g'));
    update(&mut s, ch('j'));
    update(&mut s, ch('j'));
    update(&mut s, ch('j'));
    let seq = s.logs.current().unwrap().store.match_seq(selected(&s));
    update(&mut s, upstream(&domain("acme.io"), logs(2)));
    assert_eq!(s.logs.current().unwrap().store.match_seq(selected(&s)), seq);
    assert_eq!(s.logs.current().unwrap().store.evicted(), 2);
}

/// Issue 16: ↑/↓ in the filter bar walk the filters applied to the domain,
/// and ↓ past the newest brings back what was being typed.
#[test]
fn the_filter_bar_walks_the_domains_history() {
    let mut s = with_logs(10);
    let bar_text = |s: &AppState| {
        s.logs
            .filter_bar
            .as_ref()
            .map(|b| b.input.value().to_string())
    };
    for filter in ["type:bounced", "from:x@acme.io", "type:bounced"] {
        update(&mut s, ch('/'));
        update(&mut s, ctrl('u'));
        typed(&mut s, filter);
        update(&mut s, press(KeyCode::Enter));
    }
    assert_eq!(
        s.logs.history.entries("acme.io"),
        ["from:x@acme.io", "type:bounced"]
    );
    update(&mut s, ch('/'));
    update(&mut s, ctrl('u'));
    typed(&mut s, "sub");
    update(&mut s, press(KeyCode::Up));
    assert_eq!(bar_text(&s).as_deref(), Some("type:bounced"));
    update(&mut s, press(KeyCode::Up));
    assert_eq!(bar_text(&s).as_deref(), Some("from:x@acme.io"));
    update(&mut s, press(KeyCode::Up));
    assert_eq!(bar_text(&s).as_deref(), Some("from:x@acme.io"));
    update(&mut s, press(KeyCode::Down));
    assert_eq!(bar_text(&s).as_deref(), Some("type:bounced"));
    update(&mut s, press(KeyCode::Down));
    assert_eq!(bar_text(&s).as_deref(), Some("sub"));
    // The view shows what the browsed filter matches.
    update(&mut s, press(KeyCode::Up));
    assert!(current_matches(&s) < 10);
}

/// The strip's total: every match it counted, in the window or outside.
fn strip_total(s: &AppState) -> u64 {
    let strip = s.logs.strip.as_ref().expect("the strip is counted");
    let shown: u64 = strip
        .histogram
        .counts
        .iter()
        .flatten()
        .map(|n| u64::from(*n))
        .sum();
    shown + strip.histogram.outside
}

/// The reducer counts the strip, the screen only draws it: at once for a
/// small store or any change but new records; for a large one filling up,
/// once the clock has moved, so an ingest is not slowed by a pass per batch.
#[test]
fn the_strip_is_counted_by_the_reducer_and_at_most_once_a_second_while_a_large_store_fills() {
    let mut s = with_logs(100);
    assert!(s.logs.strip.is_none(), "not counted while hidden");
    update(&mut s, ch('i'));
    assert_eq!(strip_total(&s), 100);
    update(&mut s, upstream(&domain("acme.io"), logs(10)));
    assert_eq!(strip_total(&s), 110, "a small store: every batch");

    update(&mut s, upstream(&domain("acme.io"), logs(60_000)));
    // The first batch past the threshold arrives in the same second as
    // the last count: it waits for the clock.
    assert_eq!(strip_total(&s), 110);
    update(&mut s, Action::Tick { now_ms: NOW + 1000 });
    assert_eq!(strip_total(&s), 60_110);
    update(&mut s, upstream(&domain("acme.io"), logs(5)));
    assert_eq!(strip_total(&s), 60_110, "within the second");
    update(&mut s, ch('-'));
    assert_eq!(strip_total(&s), 60_115, "a new bucket size counts at once");
    update(&mut s, ch('i'));
    assert!(s.logs.strip.is_none(), "dropped when hidden");
}
