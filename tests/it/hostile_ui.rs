//! The simulator's hostile fixture through the reducer and the renderer:
//! no cell holds an escape, a control, a bidi control or an invisible
//! character; the log table's columns stay where its header puts them
//! whatever the text; long text is cut with an ellipsis; and the count of
//! evicted records is on screen. Asserted on the buffer, and kept as
//! snapshots for a person to read.

use crossterm::event::KeyCode;
use proptest::prelude::*;
use ratatui::buffer::Buffer;

use misar_dash::app::AppOptions;
use misar_dash::model::log::format_timestamp_ms;
use misar_dash::model::{
    CampaignUpdate, CampaignUpdateKind, ConnState, LogEventType, LogRecord, Source, StopReason,
    UpstreamBody,
};
use misar_dash::sim::hostile;

use crate::support::fixture::{Fixture, now, record};
use crate::support::screen::{Glyph, assert_screen, draw, glyphs, text};
use crate::support::{domain, forbidden};

/// Everything the hostile simulator sends, as the reducer would get it
/// from the clients: the domain's records and skips, the inbox's hostile
/// events and junk, a hostile campaign update, and the refusal of the
/// campaign id the inbox announced (whose detail quotes that id).
fn hostile_world(options: AppOptions) -> Fixture {
    let mut f = Fixture::new(options);
    let logs = domain(hostile::DOMAIN);
    let expected = hostile::expected_logs(now());
    f.event(&logs, UpstreamBody::Conn(ConnState::Live));
    for chunk in expected.records.chunks(5) {
        f.event(&logs, UpstreamBody::Logs(chunk.to_vec().into()));
    }
    for _ in 0..expected.malformed() {
        f.event(
            &logs,
            UpstreamBody::Malformed {
                detail: "log record skipped: missing field `id`".into(),
            },
        );
    }
    f.event(
        &logs,
        UpstreamBody::LogsComplete {
            total: Some(expected.records.len() as u64),
        },
    );

    f.event(&Source::Inbox, UpstreamBody::Conn(ConnState::Live));
    let at = format_timestamp_ms(now() - 2000);
    for event in hostile::ws_inbox_events(&at) {
        f.event(&Source::Inbox, UpstreamBody::Inbox(event));
    }
    f.event(
        &Source::Inbox,
        UpstreamBody::Malformed {
            detail: format!("inbox message skipped: {}", hostile::nasty_strings()[2].1),
        },
    );

    let followed = Source::Campaign {
        campaign_id: format!("cmp-hostile{}", hostile::nasty_strings()[2].1),
    };
    f.event(
        &followed,
        UpstreamBody::Conn(ConnState::Connecting { attempt: 1 }),
    );
    f.event(
        &followed,
        UpstreamBody::Conn(ConnState::Stopped(StopReason::NotFound {
            detail: format!(
                "HTTP 403 from the mail WebSocket: Forbidden (campaign {} is not this account's)",
                hostile::nasty_strings()[2].1
            ),
        })),
    );
    let running = Source::Campaign {
        campaign_id: "cmp-running".into(),
    };
    f.event(&running, UpstreamBody::Conn(ConnState::Live));
    f.event(
        &running,
        UpstreamBody::Campaign(hostile::ws_campaign_update(CampaignUpdate {
            kind: CampaignUpdateKind::Progress,
            campaign_id: "cmp-running".into(),
            sent: 1200,
            total: Some(4000),
            delivered: 1150,
            bounced: 12,
            opened: 300,
            ..CampaignUpdate::default()
        })),
    );
    f.event(
        &running,
        UpstreamBody::Campaign(CampaignUpdate {
            kind: CampaignUpdateKind::Failed,
            campaign_id: "cmp-running".into(),
            sent: 1300,
            total: Some(4000),
            reason: Some(hostile::nasty_strings()[1].1.clone()),
            ..CampaignUpdate::default()
        }),
    );
    f
}

fn assert_cells_are_safe(buffer: &Buffer) {
    for y in 0..buffer.area.height {
        for x in 0..buffer.area.width {
            let symbol = buffer[(x, y)].symbol();
            assert!(
                !symbol.chars().any(forbidden),
                "cell ({x}, {y}) holds {symbol:?}:\n{}",
                text(buffer)
            );
        }
    }
}

/// In drawing order; a narrow table drops some (tags, sender, smtp).
const HEADINGS: [&str; 7] = [
    "time",
    "type",
    "sender",
    "recipient",
    "subject",
    "tags",
    "smtp response",
];

/// The log table: its header row, the x of each column, and its rows.
struct Table {
    columns: Vec<usize>,
    right_border: usize,
    rows: Vec<u16>,
}

fn log_table(buffer: &Buffer) -> Table {
    let (header_y, header) = (0..buffer.area.height)
        .map(|y| (y, glyphs(buffer, y)))
        .find(|(_, g)| {
            let row: String = g.iter().map(|g| g.symbol.as_str()).collect();
            row.contains("time UTC type")
                && ["recipient", "subject"].iter().all(|h| row.contains(h))
        })
        .unwrap_or_else(|| panic!("no log table header in:\n{}", text(buffer)));
    let row: String = header.iter().map(|g| g.symbol.as_str()).collect();
    // The header is ASCII between the borders, so byte offsets of the
    // header text are cell offsets from the start of its first glyph.
    // The pane's left border: the last one before the `time` heading.
    let time_at = (0..header.len())
        .find(|&i| {
            header[i..]
                .iter()
                .take(4)
                .map(|g| g.symbol.as_str())
                .collect::<String>()
                == "time"
        })
        .expect("the time heading");
    let left = (0..time_at)
        .rev()
        .find(|&i| header[i].symbol == "┃" || header[i].symbol == "│")
        .expect("a left border");
    let base = header[left].x + 1;
    let inside: String = header[left + 1..]
        .iter()
        .map(|g| g.symbol.as_str())
        .collect();
    let mut columns = Vec::new();
    let mut from = 0;
    for h in HEADINGS.into_iter().filter(|h| inside.contains(h)) {
        let at = inside[from..]
            .find(h)
            .unwrap_or_else(|| panic!("{h} in {row:?}"))
            + from;
        columns.push(base + at);
        from = at + h.len();
    }
    let right_border = header
        .iter()
        .skip(left + 1)
        .find(|g| g.symbol == "┃" || g.symbol == "│")
        .expect("a right border")
        .x;
    // Rows of the pane (its left border where the header's is) that start
    // with a time.
    let left_x = header[left].x;
    let rows = (header_y + 1..buffer.area.height)
        .map_while(|y| {
            let g = glyphs(buffer, y);
            let inside = g
                .iter()
                .any(|g| g.x == left_x && (g.symbol == "┃" || g.symbol == "│"));
            inside.then_some((y, g))
        })
        .filter(|(_, g)| {
            g.iter().any(|g| g.x == columns[0] + 2 && g.symbol == ":")
                && g.iter().any(|g| g.x == columns[0] + 5 && g.symbol == ":")
        })
        .map(|(y, _)| y)
        .collect();
    Table {
        columns,
        right_border,
        rows,
    }
}

/// Every table row: no glyph straddles a column gap or the border, each
/// gap is a space, and the border is where the header's is.
fn assert_table_aligned(buffer: &Buffer) -> usize {
    let table = log_table(buffer);
    assert!(!table.rows.is_empty(), "no rows in:\n{}", text(buffer));
    let mut edges: Vec<usize> = table.columns[1..].iter().map(|x| x - 1).collect();
    edges.push(table.right_border);
    for &y in &table.rows {
        let row = glyphs(buffer, y);
        for &edge in &edges {
            for g in &row {
                assert!(
                    !(g.x < edge && edge < g.x + g.width),
                    "row {y}: {:?} at {} (width {}) straddles column edge {edge}:\n{}",
                    g.symbol,
                    g.x,
                    g.width,
                    text(buffer)
                );
            }
            let at = row
                .iter()
                .find(|g| g.x == edge)
                .unwrap_or_else(|| panic!("row {y}: no glyph starts at {edge}:\n{}", text(buffer)));
            let want = if edge == table.right_border {
                at.symbol == "┃" || at.symbol == "│"
            } else {
                at.symbol == " "
            };
            assert!(
                want,
                "row {y}: {:?} at edge {edge}:\n{}",
                at.symbol,
                text(buffer)
            );
        }
    }
    table.rows.len()
}

/// The outermost vertical borders of every pane row sit on columns where
/// some pane or overlay has a corner: nothing pushed a border sideways.
/// (Inner `│` may be text separators, so only the first and last count.)
fn assert_borders_in_place(buffer: &Buffer) {
    let corners: std::collections::HashSet<usize> = (0..buffer.area.height)
        .flat_map(|y| glyphs(buffer, y))
        .filter(|g| "┌┐└┘┏┓┗┛╔╗╚╝".contains(g.symbol.as_str()))
        .map(|g| g.x)
        .collect();
    let vertical = |g: &&Glyph| matches!(g.symbol.as_str(), "│" | "┃" | "║");
    for y in 0..buffer.area.height {
        let row = glyphs(buffer, y);
        // Rows inside panes; the status bar uses `│` as a separator.
        if !row.first().is_some_and(|g| vertical(&g)) {
            continue;
        }
        let borders: Vec<&Glyph> = row.iter().filter(vertical).collect();
        for g in [borders.first(), borders.last()].into_iter().flatten() {
            assert!(
                corners.contains(&g.x),
                "row {y}: border at {} is off its pane's edge:\n{}",
                g.x,
                text(buffer)
            );
        }
    }
}

/// `f`'s log table at `width`x`height`, scrolled to its top: every cell
/// safe, each row aligned, the borders in place. Returns the screen and
/// how many table rows it shows.
fn table_top(f: &mut Fixture, width: u16, height: u16) -> (Buffer, usize) {
    f.size(width, height).keys("3").key(KeyCode::Home);
    let buffer = draw(&f.state, width, height);
    assert_cells_are_safe(&buffer);
    let rows = assert_table_aligned(&buffer);
    assert_borders_in_place(&buffer);
    (buffer, rows)
}

#[test]
fn hostile_records_render_safe_and_aligned_at_80x24() {
    // The top of the table: the records with escapes and wide text.
    let (buffer, rows) = table_top(&mut hostile_world(AppOptions::default()), 80, 24);
    assert!(rows >= 5);
    let screen = text(&buffer);
    assert!(screen.contains("RED"), "{screen}");
    assert!(
        !screen.contains("PWNED"),
        "a title payload is shown:\n{screen}"
    );
    assert_screen("hostile_sim_80x24", &buffer);
}

#[test]
fn hostile_records_render_safe_and_aligned_at_160x48() {
    let (buffer, rows) = table_top(&mut hostile_world(AppOptions::default()), 160, 48);
    assert!(rows >= 18, "every record fits at this size: {rows}");
    let screen = text(&buffer);
    // The 10,000-character subjects are cut with an ellipsis.
    assert!(
        screen
            .lines()
            .any(|l| l.contains("Long subject, ten") && l.contains('…')),
        "{screen}"
    );
    assert!(screen.contains("件名"), "{screen}");
    assert!(!screen.contains("PWNED"), "{screen}");
    assert_screen("hostile_sim_160x48", &buffer);
}

/// The detail view shows every field, the unknown ones too, all cleaned.
#[test]
fn hostile_record_detail_is_safe() {
    let mut f = hostile_world(AppOptions::default());
    f.size(160, 48).key(KeyCode::Char('3')).key(KeyCode::Home);
    let expected = hostile::expected_logs(now());
    let with_extra = expected
        .records
        .iter()
        .position(|r| r.extra.iter().any(|(k, _)| k == "x-hostile"))
        .expect("a record with unknown fields");
    for _ in 0..with_extra {
        f.key(KeyCode::Down);
    }
    f.key(KeyCode::Enter);
    for (width, height) in [(160, 48), (80, 24)] {
        f.size(width, height);
        let buffer = draw(&f.state, width, height);
        assert_cells_are_safe(&buffer);
        assert_borders_in_place(&buffer);
        let screen = text(&buffer);
        assert!(screen.contains("Record ·"), "{screen}");
        if width == 160 {
            assert!(screen.contains("x-hostile"), "{screen}");
            assert_screen("hostile_detail_160x48", &buffer);
        }
    }
}

/// With a cap of 100 held records, 250 streamed: the header says how many
/// were evicted, and the table shows the newest.
#[test]
fn evicted_records_are_counted_on_screen() {
    let mut f = Fixture::new(AppOptions {
        max_log_records: 100,
        ..AppOptions::default()
    });
    let logs = domain("acme.io");
    f.event(&logs, UpstreamBody::Conn(ConnState::Live));
    let records: Vec<LogRecord> = (0..250u64)
        .map(|i| LogRecord {
            id: format!("r{i}"),
            subject: format!("Issue {i}"),
            ..record(i, now() - (250 - i as i64) * 1000)
        })
        .collect();
    for chunk in records.chunks(50) {
        f.event(&logs, UpstreamBody::Logs(chunk.to_vec().into()));
    }
    for (width, height) in [(80, 24), (160, 48)] {
        f.size(width, height).key(KeyCode::Char('3'));
        let buffer = draw(&f.state, width, height);
        let screen = text(&buffer);
        assert!(
            screen.contains("150 evicted (cap 100)"),
            "the eviction count is not shown at {width}x{height}:\n{screen}"
        );
        assert!(screen.contains("100 held"), "{screen}");
        assert!(
            screen.contains("Issue 249"),
            "the newest is shown:\n{screen}"
        );
        if width == 80 {
            assert_screen("evicted_80x24", &buffer);
        }
    }
}

// ---- fuzzing the table -----------------------------------------------------

fn nasty_text() -> impl Strategy<Value = String> {
    let pieces: Vec<String> = hostile::nasty_strings()
        .into_iter()
        .map(|(_, s)| s)
        .chain(
            [
                "漢",
                "ｆ",
                "😀",
                "e\u{301}",
                "0\u{fe0f}",
                "👍\u{1f3fd}",
                "a",
                " ",
                "…",
                "\u{ff9e}",
                "ﾃﾞ",
                "لا",
                "\u{1100}\u{1161}",
            ]
            .into_iter()
            .map(String::from),
        )
        .collect();
    prop::collection::vec(prop::sample::select(pieces), 0..12).prop_map(|v| v.concat())
}

fn nasty_record() -> impl Strategy<Value = LogRecord> {
    (
        nasty_text(),
        nasty_text(),
        nasty_text(),
        prop::collection::vec(nasty_text(), 0..3),
        0i64..100_000,
    )
        .prop_map(|(sender, recipient, subject, tags, t)| LogRecord {
            id: format!("f{t}"),
            timestamp_ms: now() - t,
            event_type: Some(LogEventType::Opened),
            sender,
            recipient,
            subject,
            tags,
            ..LogRecord::default()
        })
}

proptest! {
    #![proptest_config(ProptestConfig {
        failure_persistence: None,
        cases: if std::env::var_os("PROPTEST_CASES").is_some() {
            ProptestConfig::default().cases
        } else {
            48
        },
        ..ProptestConfig::default()
    })]

    /// Random hostile records at random sizes: every cell is safe and the
    /// table stays aligned.
    #[test]
    fn any_hostile_records_render_safe_and_aligned(
        records in prop::collection::vec(nasty_record(), 1..12),
        size in prop::sample::select(vec![(80u16, 24u16), (100, 30), (160, 48), (61, 17)]),
    ) {
        let mut f = Fixture::new(AppOptions::default());
        let logs = domain("fuzz.example");
        f.event(&logs, UpstreamBody::Conn(ConnState::Live));
        f.event(&logs, UpstreamBody::Logs(records.into()));
        table_top(&mut f, size.0, size.1);
    }
}

/// The cap on held records: 1,000,000 unless the config file says.
#[test]
fn the_log_cap_defaults_to_a_million_and_the_config_file_sets_it() {
    use misar_dash::cli::DashArgs;
    use misar_dash::config::FileConfig;
    use misar_dash::dashboard::DashOptions;
    let default = DashOptions::new(&DashArgs::default(), &FileConfig::default(), false);
    assert_eq!(default.max_log_records, 1_000_000);
    assert_eq!(AppOptions::default().max_log_records, 1_000_000);
    let file: FileConfig = toml::from_str("max_log_records = 250\n").expect("a config file");
    let set = DashOptions::new(&DashArgs::default(), &file, false);
    assert_eq!(set.max_log_records, 250);
}

/// Upstream text outside the log store is capped too: a feed of thousands
/// of 1 MiB subjects, or endless announced campaigns, must not grow
/// without bound.
#[test]
fn feed_and_campaign_texts_are_capped() {
    use misar_dash::model::InboxEvent;
    use misar_dash::model::mail::{InboxCampaign, InboxMail};
    use misar_dash::sanitize::MAX_TEXT_BYTES;
    let mut f = Fixture::new(AppOptions::default());
    f.event(&Source::Inbox, UpstreamBody::Conn(ConnState::Live));
    let huge = "\u{1b}[31m漢".repeat(200_000);
    f.event(
        &Source::Inbox,
        UpstreamBody::Inbox(InboxEvent::EmailReceived(InboxMail {
            from: huge.clone(),
            subject: huge.clone(),
            ..InboxMail::default()
        })),
    );
    let item = f.state.feed.items.front().expect("a feed item");
    assert!(item.who.len() <= MAX_TEXT_BYTES && item.what.len() <= MAX_TEXT_BYTES);
    assert!(item.what.ends_with('…'));
    for i in 0..5000 {
        f.event(
            &Source::Inbox,
            UpstreamBody::Inbox(InboxEvent::CampaignStarted(InboxCampaign {
                campaign_id: format!("cmp-{i}"),
                campaign_name: huge[..4000].to_string(),
                ..InboxCampaign::default()
            })),
        );
    }
    let names = &f.state.sends.campaign_names;
    assert!(names.len() <= 4096, "{}", names.len());
    assert!(names.values().all(|n| n.len() <= MAX_TEXT_BYTES));
    let buffer = draw(&f.state, 80, 24);
    assert_cells_are_safe(&buffer);
}
