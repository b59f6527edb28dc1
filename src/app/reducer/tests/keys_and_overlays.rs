//! Focus, quitting, help, detail, the watch prompt, the clock and the mouse.

use super::*;

#[test]
fn focus_moves_with_tab_shift_tab_and_numbers() {
    let mut s = state();
    assert_eq!(s.focus, Pane::Sends);
    update(&mut s, press(KeyCode::Tab));
    assert_eq!(s.focus, Pane::Feed);
    update(&mut s, press(KeyCode::Tab));
    update(&mut s, press(KeyCode::Tab));
    assert_eq!(s.focus, Pane::Sends);
    update(&mut s, press(KeyCode::BackTab));
    assert_eq!(s.focus, Pane::Logs);
    update(&mut s, ch('2'));
    assert_eq!(s.focus, Pane::Feed);
    update(&mut s, ch('1'));
    assert_eq!(s.focus, Pane::Sends);
}

#[test]
fn quit_from_everywhere() {
    let mut s = state();
    assert_eq!(update(&mut s, ch('q')), [Command::Quit]);
    assert_eq!(update(&mut s, ctrl('c')), [Command::Quit]);
    let mut s = with_logs(3);
    update(&mut s, ch('/'));
    // q is text in the filter bar; Ctrl-C still quits.
    assert!(update(&mut s, ch('q')).is_empty());
    assert_eq!(update(&mut s, ctrl('c')), [Command::Quit]);
    let mut s = state();
    update(&mut s, ch('a'));
    assert!(update(&mut s, ch('q')).is_empty());
    assert_eq!(update(&mut s, ctrl('c')), [Command::Quit]);
}

#[test]
fn help_opens_scrolls_and_closes() {
    let mut s = state();
    update(&mut s, ch('?'));
    assert!(matches!(s.overlay, Overlay::Help { scroll: 0 }));
    overlay_scrolls(&mut s, 0, 40);
    update(&mut s, ch('j'));
    update(&mut s, ch('j'));
    update(&mut s, ch('k'));
    assert!(matches!(s.overlay, Overlay::Help { scroll: 1 }));
    // Keys of the main view do nothing while help is open.
    update(&mut s, press(KeyCode::Tab));
    assert_eq!(s.focus, Pane::Sends);
    update(&mut s, ch('?'));
    assert!(matches!(s.overlay, Overlay::None));
    // Scrolling stops at the end of the help.
    update(&mut s, ch('?'));
    for _ in 0..500 {
        update(&mut s, ch('j'));
    }
    let Overlay::Help { scroll } = s.overlay else {
        panic!("help closed")
    };
    assert_eq!(scroll, 40);
    update(&mut s, ch('k'));
    assert!(matches!(s.overlay, Overlay::Help { scroll: s2 } if s2 == scroll - 1));
    update(&mut s, press(KeyCode::Esc));
    assert!(matches!(s.overlay, Overlay::None));
}

#[test]
fn detail_opens_on_enter_and_closes_on_esc() {
    let mut s = with_logs(5);
    update(&mut s, ch('k'));
    update(&mut s, press(KeyCode::Enter));
    match &s.overlay {
        Overlay::Detail { item, scroll } => {
            let expected = crate::app::DetailItem::Record {
                domain: "acme.io".into(),
                seq: 3,
            };
            assert_eq!((item, *scroll), (&expected, 0));
        }
        other => panic!("{other:?}"),
    }
    // Everything fits: nothing to scroll.
    update(&mut s, ch('j'));
    assert!(matches!(s.overlay, Overlay::Detail { scroll: 0, .. }));
    overlay_scrolls(&mut s, 10, 2);
    for _ in 0..10 {
        update(&mut s, ch('j'));
    }
    assert!(matches!(s.overlay, Overlay::Detail { scroll: 2, .. }));
    update(&mut s, press(KeyCode::Esc));
    assert!(matches!(s.overlay, Overlay::None));
    // Nothing to show: Enter does nothing.
    let mut s = state();
    update(&mut s, ch('3'));
    update(&mut s, press(KeyCode::Enter));
    assert!(matches!(s.overlay, Overlay::None));
}

#[test]
fn watch_prompt_parses_and_reports() {
    let mut s = state();
    update(&mut s, ch('a'));
    typed(&mut s, "isue 4");
    assert!(update(&mut s, press(KeyCode::Enter)).is_empty());
    match &s.overlay {
        Overlay::Watch { error: Some(e), .. } => assert!(e.starts_with("unknown kind \"isue\"")),
        other => panic!("{other:?}"),
    }
    update(&mut s, ctrl('u'));
    typed(&mut s, "campaign c7");
    assert_eq!(
        update(&mut s, press(KeyCode::Enter)),
        [Command::Watch(campaign("c7"))]
    );
    assert!(matches!(s.overlay, Overlay::None));
    assert_eq!(s.sends.rows.len(), 1);

    update(&mut s, ch('a'));
    typed(&mut s, "domain acme.io");
    assert_eq!(
        update(&mut s, press(KeyCode::Enter)),
        [Command::WatchLogs {
            domain: "acme.io".into(),
            query: LogQuery {
                limit: Some(1000),
                ..LogQuery::default()
            }
        }]
    );
    assert_eq!(s.logs.domains.len(), 1);

    update(&mut s, ch('a'));
    typed(&mut s, "inbox");
    assert_eq!(
        update(&mut s, press(KeyCode::Enter)),
        [Command::Watch(Source::Inbox)]
    );

    update(&mut s, ch('a'));
    typed(&mut s, "issue");
    update(&mut s, press(KeyCode::Enter));
    assert!(
        matches!(&s.overlay, Overlay::Watch { error: Some(e), .. } if e.contains("which issue"))
    );
    update(&mut s, press(KeyCode::Esc));
    assert!(matches!(s.overlay, Overlay::None));
}

/// Issue 16: `a` → `domain Shop.Example.COM` opened a second stream of
/// `shop.example.com`, and `a inbox` a second inbox. A watch already
/// running is focused instead; one that stopped is started again.
#[test]
fn a_watch_already_running_is_focused_not_opened_twice() {
    let mut s = state();
    update(&mut s, Action::Watching(domain("shop.example.com")));
    update(&mut s, Action::Watching(domain("b.example")));
    update(&mut s, Action::Watching(issue("1")));
    update(&mut s, Action::Watching(issue("2")));
    update(&mut s, Action::Watching(Source::Inbox));
    s.logs.current = 1;
    let watch = |s: &mut AppState, text: &str| {
        update(s, ch('a'));
        typed(s, text);
        update(s, press(KeyCode::Enter))
    };
    assert!(watch(&mut s, "domain Shop.Example.COM.").is_empty());
    assert_eq!(s.focus, Pane::Logs);
    assert_eq!(
        s.logs.current().map(|v| v.domain.as_str()),
        Some("shop.example.com")
    );
    assert!(
        s.current_notice()
            .is_some_and(|n| n.contains("already watching"))
    );

    assert!(watch(&mut s, "issue 1").is_empty());
    assert_eq!(s.focus, Pane::Sends);
    assert_eq!(s.sends.selected_row().map(|r| &r.source), Some(&issue("1")));
    assert!(watch(&mut s, "inbox").is_empty());
    assert_eq!(s.focus, Pane::Feed);

    // A stream that stopped is started again.
    update(
        &mut s,
        upstream(
            &issue("2"),
            UpstreamBody::Conn(ConnState::Stopped(StopReason::NotFound {
                detail: "x".into(),
            })),
        ),
    );
    assert_eq!(watch(&mut s, "issue 2"), [Command::Watch(issue("2"))]);
    // A malformed domain is refused in the prompt.
    assert!(watch(&mut s, "domain foo..com").is_empty());
    assert!(matches!(&s.overlay, Overlay::Watch { error: Some(e), .. } if e.contains("two dots")));
}

#[test]
fn tick_and_resize_mark_dirty() {
    let mut s = state();
    s.dirty = false;
    update(&mut s, Action::Tick { now_ms: NOW });
    assert!(!s.dirty, "same clock, nothing to redraw");
    update(&mut s, Action::Tick { now_ms: NOW + 1000 });
    assert!(s.dirty);
    assert_eq!(s.now_ms, NOW + 1000);
    s.dirty = false;
    update(&mut s, Action::Resize(160, 48));
    assert!(s.dirty);
    assert_eq!(s.size, (160, 48));
    s.dirty = false;
    update(&mut s, inbox(mail("x")));
    assert!(s.dirty);
    s.dirty = false;
    update(&mut s, ch('x'));
    assert!(!s.dirty, "an unbound key changes nothing");
}

#[test]
fn mouse_wheel_and_click() {
    let mut s = with_logs(100);
    let mouse = |kind, column, row| {
        Action::Mouse(MouseEvent {
            kind,
            column,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    let logs_row = SCREEN.panes[2].y + 3;
    // Mouse capture off: ignored.
    update(&mut s, mouse(MouseEventKind::ScrollUp, 10, logs_row));
    assert_eq!(selected(&s), 99);
    s.mouse = true;
    update(&mut s, mouse(MouseEventKind::ScrollUp, 10, logs_row));
    assert_eq!(selected(&s), 96);
    assert!(!s.logs.current().unwrap().follow);
    update(
        &mut s,
        mouse(MouseEventKind::Down(MouseButton::Left), 10, 1),
    );
    assert_eq!(s.focus, Pane::Sends);
}
