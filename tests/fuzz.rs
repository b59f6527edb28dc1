//! Property-based fuzzing of everything that reads upstream bytes or user
//! text: the SSE decoder, the domain-log payload parser, the record and
//! WebSocket event parsers, the filter language, the sanitizer and the
//! table's width-aware cell fitting.
//!
//! `cargo fuzz` needs a nightly toolchain, which this project does not use;
//! proptest with generators biased toward the hostile cases does the same
//! job on stable. CI runs a modest number of cases (the whole file takes a
//! few seconds in a debug build). For a long run, set `PROPTEST_CASES`:
//!
//! ```text
//! PROPTEST_CASES=2000000 cargo test --release --features test-hooks --test fuzz -- sse_
//! ```
//!
//! A failing input found this way is kept below as a plain `#[test]`
//! (section "Regressions").
//!
//! The parser's and the decoder's fuzz entry points are test hooks: built
//! with `--features test-hooks` only, as the README's test command does.
#![cfg(feature = "test-hooks")]

use std::borrow::Cow;

use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::{Map, Value, json};
use unicode_width::UnicodeWidthStr;

use misar_dash::app::filter;
use misar_dash::model::log::{TypeNameError, TypeNames, parse_type_name};
use misar_dash::model::{CampaignUpdate, InboxEvent, LogEventType, LogRecord, SendProgress};
use misar_dash::sanitize::{clean, is_unsafe};
use misar_dash::upstream::domain_logs::{ParsedEvent, parse_event};
use misar_dash::upstream::sse::{SseDecoder, SseError, SseEvent};

/// `default` cases unless `PROPTEST_CASES` says otherwise. No failure files:
/// a failing input is turned into a regression test by hand.
fn cases(default: u32) -> Config {
    let mut config = Config {
        failure_persistence: None,
        ..Config::default()
    };
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = default;
    }
    config
}

/// `value` written as JSON and read back.
fn round_trip<T: serde::Serialize + serde::de::DeserializeOwned>(value: &T) -> T {
    let text = serde_json::to_string(value).expect("it serializes");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

// ---- generators ----------------------------------------------------------

/// Characters that break terminals and parsers, mixed with ordinary ones.
const NASTY: &[char] = &[
    '\u{1b}',
    '\u{7}',
    '\u{9c}',
    '\u{9b}',
    '\u{9d}',
    '\u{90}',
    '\u{98}',
    '\u{9e}',
    '\u{9f}',
    '[',
    ']',
    '\\',
    'P',
    '_',
    '^',
    'X',
    ';',
    '0',
    '2',
    '5',
    '2',
    'm',
    'c',
    '\n',
    '\r',
    '\t',
    '\u{0}',
    '\u{8}',
    '\u{7f}',
    '\u{85}',
    '\u{ad}',
    '\u{202e}',
    '\u{202a}',
    '\u{2066}',
    '\u{2069}',
    '\u{200e}',
    '\u{61c}',
    '\u{200b}',
    '\u{200d}',
    '\u{2060}',
    '\u{2063}',
    '\u{feff}',
    '\u{2028}',
    '\u{180e}',
    '\u{3164}',
    '\u{e0041}',
    '\u{301}',
    '\u{fe0f}',
    '\u{fe0e}',
    '\u{1f3fb}',
    '\u{ff9e}',
    'ﾃ',
    'ل',
    'ا',
    '\u{1100}',
    '\u{1161}',
    '漢',
    'ｆ',
    '😀',
    '❤',
    '👨',
    'a',
    ' ',
    '"',
    ',',
    ':',
    '-',
    '\u{3000}',
];

fn nasty_char() -> impl Strategy<Value = char> {
    prop_oneof![
        3 => prop::sample::select(NASTY),
        1 => any::<char>(),
        1 => prop::char::range(' ', '~'),
    ]
}

fn nasty_string(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(nasty_char(), 0..max).prop_map(|v| v.into_iter().collect())
}

/// Bytes that look like an event stream, broken in every way.
fn sse_bytes() -> impl Strategy<Value = Vec<u8>> {
    let token = prop_oneof![
        4 => prop::sample::select(vec![
            &b"data:"[..], b"data: ", b"event:", b"event: logs", b"id:", b"id: 7", b"retry:",
            b"retry: 10", b":", b": keepalive", b"\n", b"\n", b"\r", b"\r\n", b"\n\n",
            b"\r\r", b"\xEF\xBB\xBF", b"\xEF\xBB", b"\xEF", b"\xFF", b"\x00", b"{\"logs\":[",
            b"]}", b"[DONE]", b"data", b"\xE6\xBC\xA2",
        ])
        .prop_map(<[u8]>::to_vec),
        2 => prop::collection::vec(any::<u8>(), 0..12),
        1 => (1usize..400).prop_map(|n| vec![b'a'; n]),
    ];
    prop::collection::vec(token, 0..60).prop_map(|parts| parts.concat())
}

/// Cut points into a stream of `len` bytes.
fn chunks<'a>(bytes: &'a [u8], cuts: &[prop::sample::Index]) -> Vec<&'a [u8]> {
    let mut points: Vec<usize> = cuts.iter().map(|i| i.index(bytes.len() + 1)).collect();
    points.sort_unstable();
    let mut out = Vec::new();
    let mut start = 0;
    for p in points {
        out.push(&bytes[start..p]);
        start = p;
    }
    out.push(&bytes[start..]);
    out
}

type Decoded = Vec<Result<SseEvent, SseError>>;

fn decode(chunks: &[&[u8]], cap: usize) -> (Decoded, usize) {
    let mut decoder = SseDecoder::new(cap);
    let mut out = Vec::new();
    let mut most_held = 0;
    for chunk in chunks {
        decoder.feed(chunk, &mut |e| out.push(e));
        most_held = most_held.max(decoder.held_bytes());
    }
    (out, most_held)
}

/// JSON leaves, biased toward values the parsers look at.
fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        prop::sample::select(vec![0.5f64, -1.25, 1e300, 3.0]).prop_map(|f| json!(f)),
        nasty_string(24).prop_map(Value::String),
        prop::sample::select(vec![
            "2026-05-27T10:15:00Z",
            "2026-05-27T10:15:00.250+02:00",
            "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999Z",
            "2026-13-01T00:00:00Z",
            "yesterday",
            "bounced",
            "delivered",
            "sending",
            "sent",
            "progress",
            "completed",
            "email_received",
            "campaign_started",
            "[DONE]",
            "",
        ])
        .prop_map(|s| Value::String(s.into())),
    ]
}

const KEYS: &[&str] = &[
    "type",
    "id",
    "timestamp",
    "event_type",
    "sender",
    "recipient",
    "subject",
    "tags",
    "message_id",
    "smtp_response",
    "ip",
    "user_agent",
    "url",
    "logs",
    "data",
    "status",
    "sent",
    "total",
    "opened",
    "bounced",
    "delivered",
    "from",
    "to",
    "receivedAt",
    "email",
    "reason",
    "error",
    "campaignId",
    "campaignName",
    "at",
    "startedAt",
    "completedAt",
];

const TYPES: &[&str] = &[
    "email_received",
    "bounce",
    "complaint",
    "unsubscribe",
    "campaign_started",
    "campaign_completed",
    "progress",
    "completed",
    "failed",
    "cancelled",
    "sending",
    "sent",
    "quantum_flux",
];

fn json_key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(KEYS).prop_map(String::from),
        1 => nasty_string(8),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(3, 48, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((json_key(), inner), 0..10)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// An object shaped like an upstream event: often a real `type`, the real
/// field names, values of the right and the wrong kinds.
fn event_object() -> impl Strategy<Value = Value> {
    (
        prop::option::weighted(0.8, prop::sample::select(TYPES)),
        prop::collection::vec((json_key(), json_value()), 0..10),
    )
        .prop_map(|(kind, fields)| {
            let mut map: Map<String, Value> = fields.into_iter().collect();
            if let Some(kind) = kind {
                map.insert("type".into(), Value::String(kind.into()));
                map.insert("status".into(), Value::String(kind.into()));
            }
            Value::Object(map)
        })
}

/// A log record that is valid, then maybe broken: a field dropped, a field
/// of the wrong type, an unknown field, hostile text anywhere.
fn record_object() -> impl Strategy<Value = Value> {
    (
        nasty_string(16),
        nasty_string(40),
        prop::collection::vec(nasty_string(8), 0..4),
        prop::option::of(prop::sample::select(KEYS)),
        prop::option::of((prop::sample::select(KEYS), json_leaf())),
        prop::option::of((nasty_string(6), json_value())),
        0u32..100_000,
    )
        .prop_map(|(text, subject, tags, drop, wrong, unknown, n)| {
            let mut r = json!({
                "id": format!("r{n}"),
                "timestamp": format!("2026-05-27T10:{:02}:{:02}.{:03}Z", n % 60, n / 60 % 60, n % 1000),
                "event_type": "delivered",
                "sender": text,
                "recipient": "r@example.org",
                "subject": subject,
                "tags": tags,
                "message_id": "<m@x>",
            });
            if let Value::Object(map) = &mut r {
                if let Some(key) = drop {
                    map.remove(key);
                }
                if let Some((key, value)) = wrong {
                    map.insert(key.into(), value);
                }
                if let Some((key, value)) = unknown {
                    map.insert(key, value);
                }
            }
            r
        })
}

// ---- the properties ------------------------------------------------------

proptest! {
    #![proptest_config(cases(384))]

    /// Arbitrary bytes, cut anywhere: the decoder never panics, holds memory
    /// bounded by its cap between reads, emits nothing larger than its cap,
    /// and the cuts change nothing.
    #[test]
    fn sse_decoder_is_bounded_and_chunking_changes_nothing(
        bytes in sse_bytes(),
        cap in 1usize..300,
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..40),
    ) {
        let (whole, held_whole) = decode(&[&bytes], cap);
        let (cut, held_cut) = decode(&chunks(&bytes, &cuts), cap);
        let bytewise: Vec<&[u8]> = bytes.chunks(1).collect();
        let (single, held_single) = decode(&bytewise, cap);
        // Two buffers of at most `cap` bytes (amortised doubling), and two
        // strings that lossy UTF-8 decoding may triple.
        let bound = 10 * cap + 64;
        for held in [held_whole, held_cut, held_single] {
            prop_assert!(held <= bound, "held {held} bytes with cap {cap}");
        }
        for event in whole.iter().flatten() {
            prop_assert!(event.data.len() <= 3 * cap);
            prop_assert!(event.event.len() <= 3 * cap);
            prop_assert!(event.id.as_ref().is_none_or(|id| id.len() <= 3 * cap));
        }
        prop_assert_eq!(&cut, &whole);
        prop_assert_eq!(&single, &whole);
    }

    /// A payload of any shape: never a panic, and an array of N items is
    /// N records plus one malformed detail per item that was not a record.
    #[test]
    fn log_payloads_account_for_every_item(
        items in prop::collection::vec(
            prop_oneof![3 => record_object(), 1 => json_value()],
            0..8,
        ),
        envelope in 0u8..3,
        name in prop::sample::select(vec!["", "logs", "message", "weird"]),
    ) {
        let array = Value::Array(items.clone());
        let data = match envelope {
            0 => array.to_string(),
            1 => json!({ "logs": array }).to_string(),
            _ => json!({ "data": array }).to_string(),
        };
        let event = SseEvent { event: name.into(), data, id: None, retry: None };
        let (parsed, bad) = parse_event(&event);
        match parsed {
            ParsedEvent::Records(records) => {
                prop_assert_eq!(records.len() + bad.len(), items.len(), "{:?}", bad);
                for r in records.to_records() {
                    prop_assert_eq!(round_trip(&r), r);
                }
            }
            other => prop_assert!(false, "{other:?} for an array"),
        }
    }

    /// Any text at all as a domain-log event: never a panic.
    #[test]
    fn log_payload_of_any_text_never_panics(
        data in prop_oneof![
            nasty_string(80),
            json_value().prop_map(|v| v.to_string()),
            (json_value(), 0usize..64).prop_map(|(v, cut)| {
                let s = v.to_string();
                let mut end = cut.min(s.len());
                while !s.is_char_boundary(end) { end -= 1; }
                s[..end].to_string()
            }),
        ],
        name in prop::sample::select(vec!["", "logs", "complete", "done", "x"]),
    ) {
        let event = SseEvent { event: name.into(), data, id: None, retry: None };
        let _ = parse_event(&event);
    }

    /// Records survive the trip through the headless output unchanged.
    #[test]
    fn log_records_parse_and_round_trip(value in prop_oneof![record_object(), json_value()]) {
        let text = value.to_string();
        if let Ok(record) = serde_json::from_str::<LogRecord>(&text) {
            prop_assert_eq!(round_trip(&record), record);
        }
        let _ = serde_json::from_value::<LogRecord>(value);
    }

    /// WebSocket and send-stream events of any shape: never a panic, and
    /// what parses re-serializes to something that parses the same.
    #[test]
    fn events_parse_and_round_trip(value in prop_oneof![event_object(), json_value()]) {
        let text = value.to_string();
        if let Ok(e) = serde_json::from_str::<InboxEvent>(&text) {
            prop_assert_eq!(round_trip(&e), e);
        }
        if let Ok(u) = serde_json::from_str::<CampaignUpdate>(&text) {
            prop_assert_eq!(round_trip(&u), u);
        }
        if let Ok(p) = serde_json::from_str::<SendProgress>(&text) {
            prop_assert_eq!(round_trip(&p), p);
        }
    }

    /// Raw text frames: never a panic.
    #[test]
    fn events_of_any_text_never_panic(text in nasty_string(120)) {
        let _ = serde_json::from_str::<InboxEvent>(&text);
        let _ = serde_json::from_str::<CampaignUpdate>(&text);
        let _ = serde_json::from_str::<SendProgress>(&text);
        let _ = serde_json::from_str::<LogRecord>(&text);
    }

    /// The filter language: never a panic; spans are in bounds, on char
    /// boundaries, in order; the server query builds at any clock.
    #[test]
    fn filter_parse_spans_are_sound(
        input in prop::collection::vec(
            prop_oneof![
                3 => nasty_char().prop_map(String::from),
                2 => prop::sample::select(vec![
                    "from:", "to:", "subject:", "tag:", "type:", "since:", "until:", "-",
                    "\"", ",", " ", "bounced", "opened,deferred", "15m", "1h30m",
                    "2026-05-27", "2026-05-27T10:00:00Z", "99999999999999999999d", "é", "漢字",
                    "\u{2003}", "\u{85}", "other", ":", "permfail", "unsub", "bou", "de",
                ]).prop_map(String::from),
            ],
            0..24,
        ).prop_map(|parts| parts.concat()),
        now_ms in prop_oneof![any::<i64>(), Just(i64::MIN), Just(i64::MAX), Just(0i64)],
        limit in any::<u32>(),
    ) {
        let sound = |span: &std::ops::Range<usize>| {
            span.start <= span.end
                && span.end <= input.len()
                && input.is_char_boundary(span.start)
                && input.is_char_boundary(span.end)
        };
        match filter::parse(&input) {
            Ok(f) => {
                let mut after = 0;
                for term in &f.terms {
                    prop_assert!(sound(&term.span), "{:?} in {input:?}", term.span);
                    prop_assert!(term.span.start >= after && term.span.start < term.span.end);
                    after = term.span.end;
                }
                let _ = f.server_query(now_ms, limit);
            }
            Err(e) => {
                prop_assert!(sound(&e.span), "{:?} in {input:?}", e.span);
                prop_assert!(!e.reason.is_empty());
            }
        }
    }

    /// Typed event types: never a panic, any text; an error short enough
    /// to read beside a filter; each prefix of a type's names (the table's
    /// short one or the wire one) names that type or, when ambiguous,
    /// lists it among the candidates.
    #[test]
    fn type_names_read_back_and_errors_stay_short(
        text in prop_oneof![
            nasty_string(40),
            (prop::sample::select(LogEventType::KNOWN.to_vec()), any::<bool>(), 1usize..16)
                .prop_map(|(t, short, len)| {
                    let name = if short { t.short_name() } else { t.as_str() };
                    name[..len.min(name.len())].to_uppercase()
                }),
        ],
        with_other in any::<bool>(),
    ) {
        let accept = if with_other { TypeNames::WithOther } else { TypeNames::Documented };
        match parse_type_name(&text, accept) {
            Ok(t) => {
                let typed = text.trim().to_lowercase();
                let named = |name: &str| name.starts_with(&typed);
                prop_assert!(
                    named(t.short_name()) || named(t.as_str()),
                    "{text:?} read as {t:?}"
                );
            }
            Err(e) => {
                let message = e.to_string();
                prop_assert!(message.chars().count() <= 64, "{message}");
                if let TypeNameError::Ambiguous { candidates, .. } = &e {
                    prop_assert!(candidates.len() >= 2);
                }
                for t in LogEventType::KNOWN {
                    let typed = text.trim().to_lowercase();
                    if !typed.is_empty() && (t.short_name() == typed || t.as_str() == typed) {
                        prop_assert!(false, "{text:?} is {t:?}'s name, refused: {message}");
                    }
                    if !typed.is_empty() && t.short_name().starts_with(&typed) {
                        prop_assert!(
                            matches!(&e, TypeNameError::Ambiguous { candidates, .. }
                                if candidates.contains(&t.short_name())),
                            "{text:?}: {message}"
                        );
                    }
                }
            }
        }
    }

    /// The sanitizer: nothing forbidden comes out, clean text comes back
    /// borrowed and unchanged, and the output is never longer.
    #[test]
    fn sanitize_lets_nothing_through(s in nasty_string(200)) {
        let out = clean(&s);
        prop_assert!(!out.chars().any(is_unsafe), "{s:?} -> {out:?}");
        prop_assert!(out.len() <= s.len());
        prop_assert_eq!(clean(&out), out.clone());
        if !s.chars().any(is_unsafe) {
            prop_assert!(matches!(out, Cow::Borrowed(_)));
            prop_assert_eq!(out.as_ref(), s.as_str());
        }
    }

    /// A table cell is exactly its column's width, whatever the text, and
    /// rendering cells side by side puts every glyph inside its column.
    #[test]
    fn cells_fill_exactly_their_columns(
        texts in prop::collection::vec(nasty_string(40), 1..5),
        widths in prop::collection::vec(0usize..24, 1..5),
    ) {
        use misar_dash::ui::widgets::{cell, display_width, fit};
        let n = texts.len().min(widths.len());
        for (text, width) in texts.iter().zip(&widths).take(n) {
            let safe = clean(text);
            prop_assert!(display_width(&fit(&safe, *width)) <= *width);
            let fitted = cell(&safe, *width);
            prop_assert_eq!(display_width(&fitted), *width, "{:?} at {}", safe, width);
        }
        assert_columns_render_aligned(&texts[..n], &widths[..n])?;
    }
}

/// Draws one row of cells with ratatui and checks that each column starts
/// where the widths say and that no glyph straddles a column gap.
fn assert_columns_render_aligned(texts: &[String], widths: &[usize]) -> Result<(), TestCaseError> {
    use misar_dash::ui::widgets::columns;
    use ratatui::buffer::Buffer;
    use ratatui::layout::Rect;
    use ratatui::style::Style;
    use ratatui::widgets::{Paragraph, Widget};

    let safe: Vec<String> = texts.iter().map(|t| clean(t).into_owned()).collect();
    let total: usize = widths.iter().sum::<usize>() + widths.len().saturating_sub(1);
    let width = u16::try_from(total.max(1)).unwrap_or(u16::MAX);
    let area = Rect::new(0, 0, width, 1);
    let mut buffer = Buffer::empty(area);
    let line = columns(safe.iter().map(|t| (t.as_str(), Style::default())), widths);
    Paragraph::new(line).render(area, &mut buffer);
    // Where each glyph starts and how wide it is.
    let mut glyphs = Vec::new();
    let mut x = 0usize;
    while x < usize::from(width) {
        let symbol = buffer[(x as u16, 0)].symbol();
        let w = symbol.width().max(1);
        glyphs.push((x, w, symbol.to_string()));
        x += w;
    }
    let mut gap = 0;
    for (i, w) in widths.iter().enumerate() {
        gap += w;
        if i + 1 == widths.len() {
            break;
        }
        // `gap` is the column of the space between column i and i + 1.
        for (start, w, symbol) in &glyphs {
            prop_assert!(
                !(*start < gap && gap < start + w),
                "glyph {symbol:?} at {start} (width {w}) straddles the gap at {gap}: {safe:?} in {widths:?}"
            );
            if *start == gap {
                prop_assert_eq!(
                    symbol.as_str(),
                    " ",
                    "gap at {} in {:?} {:?}",
                    gap,
                    safe,
                    widths
                );
            }
        }
        gap += 1;
    }
    Ok(())
}

// ---- regressions -----------------------------------------------------------

/// Found by `sse_decoder_is_bounded_and_chunking_changes_nothing`: a line
/// over the cap that arrived in one read was processed (an `event:` or
/// `id:` line of any length was kept), while the same line cut into reads
/// was refused.
#[test]
fn regression_an_oversized_line_in_one_read_is_refused_like_a_cut_one() {
    let input = b"aaaaaaaaaaaa\n\nevent: 0123456789abcdef\ndata: x\n\ndata: ok\n\n";
    let bytewise: Vec<&[u8]> = input.chunks(1).collect();
    let (whole, _) = decode(&[input], 8);
    let (single, _) = decode(&bytewise, 8);
    let ok = |data: &str| {
        Ok(SseEvent {
            event: String::new(),
            data: data.into(),
            id: None,
            retry: None,
        })
    };
    let want = vec![
        Err(SseError::TooLarge { limit: 8 }),
        Err(SseError::TooLarge { limit: 8 }),
        ok("ok"),
    ];
    assert_eq!(whole, want);
    assert_eq!(single, want);
}

/// Found by `cells_fill_exactly_their_columns`: `0` followed by the emoji
/// presentation selector is one character wide counted per character but
/// two as a whole, so the cut cell came out one column too wide and pushed
/// the next column right.
/// Found by the long run of `sanitize_lets_nothing_through`: the sanitizer
/// drops every invisible format character it knows (here U+1BCA0, a
/// shorthand format control), but this file's list of what it must drop
/// was shorter, so a string the list called clean came back changed. The
/// list now names the sanitizer's whole set.
#[test]
fn regression_every_invisible_format_character_counts_as_forbidden() {
    for c in [
        '\u{1bca0}',
        '\u{34f}',
        '\u{600}',
        '\u{6dd}',
        '\u{70f}',
        '\u{890}',
        '\u{8e2}',
        '\u{17b4}',
        '\u{180b}',
        '\u{2065}',
        '\u{110bd}',
        '\u{13430}',
        '\u{1d173}',
        '\u{e0000}',
    ] {
        let text = format!("a{c}b");
        assert_eq!(clean(&text), "ab", "{c:?}");
        assert!(is_unsafe(c), "{c:?}");
    }
}

#[test]
fn regression_an_emoji_presentation_selector_keeps_the_cell_width() {
    use misar_dash::ui::widgets::{cell, display_width, fit};
    for (text, width) in [
        ("[[[ [[¡0\u{fe0f}a[[[", 10),
        ("0\u{fe0f}0\u{fe0f}0\u{fe0f}", 4),
        ("👍\u{1f3fd}👍\u{1f3fd}👍\u{1f3fd}", 5),
        ("❤\u{fe0f}❤\u{fe0f}❤\u{fe0f}", 3),
    ] {
        assert!(
            display_width(&fit(text, width)) <= width,
            "{text:?} {width}"
        );
        assert_eq!(display_width(&cell(text, width)), width, "{text:?} {width}");
        assert_columns_render_aligned(&[text.to_string(), "x".into()], &[width, 1])
            .unwrap_or_else(|e| panic!("{e}"));
    }
}

/// Found by `any_hostile_records_render_safe_and_aligned` (tests/hostile_ui.rs):
/// a halfwidth voicing mark (U+FF9E) measures zero columns as a string but
/// ratatui draws it in a column of its own, so a sender of `ﾞ` pushed every
/// later column one to the right. Likewise a lam-alef pair is one column
/// as a string and two as drawn.
#[test]
fn regression_cells_are_measured_as_ratatui_draws_them() {
    use misar_dash::ui::widgets::{cell, display_width};
    for text in ["\u{ff9e}", "ﾃﾞ", "لا", "ﾞﾞﾞﾞﾞﾞﾞﾞﾞﾞﾞﾞ", "لالالالالالا"]
    {
        for width in [0, 1, 2, 3, 5, 9] {
            assert_eq!(display_width(&cell(text, width)), width, "{text:?} {width}");
            assert_columns_render_aligned(&[text.to_string(), "after".into()], &[width, 5])
                .unwrap_or_else(|e| panic!("{e}"));
        }
    }
}
