//! The top-values panel (`t`) and the filter's words marked in the log
//! table: a domain's bounces and deferrals across a few ISPs, the panel
//! at 80x24 (a box over the screen) and 120x40 (beside the table), Enter
//! and `e` narrowing the filter, and `n`/`N` between matches.

use crossterm::event::KeyCode;
use ratatui::buffer::Buffer;
use ratatui::style::Modifier;

use misar_dash::app::top_values::TopField;
use misar_dash::app::{AppOptions, AppState};
use misar_dash::model::{LogEventType, LogRecord, UpstreamBody};

use crate::support::domain;
use crate::support::fixture::{Fixture, now};
use crate::support::screen::{draw, snapshot as screen_snapshot};

/// The screen must be snapshot `name`; the buffer, for checks of style.
fn snapshot(name: &str, state: &AppState, width: u16, height: u16) -> Buffer {
    screen_snapshot(name, state, width, height);
    draw(state, width, height)
}

/// 60 records over ten minutes: half to gmail.com, the rest to yahoo,
/// outlook and a tail of small domains; gmail's bounces blocked with
/// 550 5.7.1, yahoo deferred with 421 4.7.0, the rest delivered.
fn a_block_at_gmail() -> UpstreamBody {
    let records = (0..60)
        .map(|i: i64| {
            let isp = match i % 10 {
                0..=4 => "gmail.com",
                5 | 6 => "yahoo.com",
                7 => "Outlook.com",
                _ => ["a.io", "b.io", "c.io", "d.io"][(i % 4) as usize],
            };
            let (event, smtp) = match isp {
                "gmail.com" if i % 2 == 0 => (
                    LogEventType::Bounced,
                    format!("550 5.7.1 [203.0.113.{i}] Message blocked as spam"),
                ),
                "yahoo.com" => (
                    LogEventType::Deferred,
                    "421 4.7.0 [TSS04] Messages temporarily deferred".to_string(),
                ),
                _ => (LogEventType::Delivered, format!("250 2.0.0 OK {i} - gsmtp")),
            };
            LogRecord {
                id: format!("log_{i}"),
                timestamp_ms: now() - 600_000 + i * 10_000,
                event_type: Some(event),
                sender: if i % 3 == 0 {
                    "news@acme.io"
                } else {
                    "orders@acme.io"
                }
                .into(),
                recipient: format!("reader{i:02}@{isp}"),
                subject: if i % 2 == 0 {
                    "Weekly digest #212"
                } else {
                    "Your order shipped"
                }
                .into(),
                tags: vec!["newsletter".into()],
                smtp_response: Some(smtp),
                ip: Some(format!("192.0.2.{}", i % 3)),
                ..LogRecord::default()
            }
        })
        .collect();
    UpstreamBody::Logs(records)
}

fn with_records(width: u16, height: u16) -> Fixture {
    let mut f = Fixture::new(AppOptions::default());
    f.size(width, height)
        .event(&domain("acme.io"), a_block_at_gmail())
        .keys("3");
    f
}

fn panel_field(f: &Fixture) -> TopField {
    f.state.logs.top.as_ref().expect("the panel is open").field
}

#[test]
fn the_panel_at_80x24_and_120x40() {
    let mut f = with_records(80, 24);
    f.keys("t");
    snapshot("top_values_80x24", &f.state, 80, 24);
    let mut f = with_records(120, 40);
    f.keys("t");
    snapshot("top_values_120x40", &f.state, 120, 40);
    // Zoomed, the pane is wide enough for the panel beside the table; the
    // SMTP responses grouped by their codes and stable words.
    f.keys("tZt").keys("lll");
    assert_eq!(panel_field(&f), TopField::Smtp);
    snapshot("top_values_smtp_120x40", &f.state, 120, 40);
    f.key(KeyCode::Left);
    assert_eq!(panel_field(&f), TopField::Subject);
    f.key(KeyCode::Esc);
    assert!(f.state.logs.top.is_none());
}

#[test]
fn enter_narrows_the_filter_and_e_excludes() {
    let mut f = with_records(120, 40);
    f.keys("t").key(KeyCode::Enter);
    let view = f.state.logs.current().unwrap();
    assert_eq!(view.filter_text, "to:@gmail.com");
    assert_eq!(view.store.match_count(), 30);
    // The panel counts the new matches: gmail.com only now.
    let top = &f.state.logs.top.as_ref().unwrap().values;
    assert_eq!(top.matches, 30);
    assert_eq!(top.rows.len(), 1);
    // To the SMTP groups (550 5.7.1: 18, 250 2.0.0 OK: 12), the second
    // excluded.
    f.keys("llljj").keys("e");
    let view = f.state.logs.current().unwrap();
    assert_eq!(view.filter_text, "to:@gmail.com -smtp:\"250 2.0.0 OK\"");
    assert_eq!(view.store.match_count(), 18);
    assert!((0..18).all(|i| {
        view.store
            .match_at(i)
            .is_some_and(|r| r.event_type == Some(LogEventType::Bounced))
    }));
    // `t` closes; the filter stays.
    f.keys("t");
    assert!(f.state.logs.top.is_none());
    assert_eq!(f.state.logs.current().unwrap().store.match_count(), 18);
}

#[test]
fn the_filters_words_are_marked_in_the_cells() {
    let mut f = with_records(120, 40);
    f.keys("/weekly to:@gmail.com").key(KeyCode::Enter);
    let buffer = snapshot("top_values_marked_rows_120x40", &f.state, 120, 40);
    // Marked cells are bold and underlined: "weekly" and "@gmail.com"
    // (whole, in the recipient column at this width), row after row under
    // the column names.
    let header = (0..buffer.area.height)
        .find(|&y| row_text(&buffer, y).contains("recipient"))
        .expect("the column names");
    let marked: String = buffer
        .content
        .iter()
        .skip(usize::from(buffer.area.width) * usize::from(header + 1))
        .filter(|c| c.modifier.contains(Modifier::BOLD | Modifier::UNDERLINED))
        .map(|c| c.symbol())
        .collect();
    assert!(
        marked.starts_with("@gmail.comWeekly@gmail.comWeekly"),
        "{marked}"
    );
    assert!(!marked.contains("reader"), "{marked}");
    // At 80x24 the same words, in the narrower columns.
    let mut f = with_records(80, 24);
    f.keys("/weekly to:@gmail.com").key(KeyCode::Enter);
    snapshot("top_values_marked_rows_80x24", &f.state, 80, 24);
}

fn row_text(buffer: &Buffer, y: u16) -> String {
    (0..buffer.area.width)
        .map(|x| buffer[(x, y)].symbol())
        .collect()
}

#[test]
fn n_and_shift_n_move_between_matches() {
    let mut f = with_records(120, 40);
    // No filter: a notice, and the selection stays.
    let before = f.state.logs.current().unwrap().cursor.selected;
    f.keys("N");
    assert_eq!(f.state.logs.current().unwrap().cursor.selected, before);
    assert!(f.state.current_notice().unwrap().contains("no filter"));
    f.keys("/to:@yahoo.com").key(KeyCode::Enter);
    let last = f.state.logs.current().unwrap().store.match_count() - 1;
    assert_eq!(f.state.logs.current().unwrap().cursor.selected, last);
    f.keys("NN");
    assert_eq!(f.state.logs.current().unwrap().cursor.selected, last - 2);
    f.keys("n");
    assert_eq!(f.state.logs.current().unwrap().cursor.selected, last - 1);
    f.keys("nn");
    assert_eq!(f.state.logs.current().unwrap().cursor.selected, last);
    assert!(f.state.current_notice().unwrap().contains("last match"));
}
