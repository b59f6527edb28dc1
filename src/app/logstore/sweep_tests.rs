//! The sweeps against the straightforward match: free words and `to:`
//! terms over the recipients, `smtp:` and `ip:` over the hot text, tested
//! on each record's own text by `Filter::matches` (the headless mode's
//! per-record match), case folded as `contains_ci` folds it.

use proptest::prelude::*;

use super::LogStore;
use crate::app::filter::{Filter, parse};
use crate::model::LogBatch;
use crate::model::{LogEventType, LogRecord};

const NOW: i64 = 1_780_000_000_000;

fn matched(store: &LogStore) -> Vec<String> {
    (0..store.match_count())
        .filter_map(|i| store.full_record(store.match_seq(i)?))
        .map(|r| r.id)
        .collect()
}

/// Pieces of text in either case, with the characters whose case folding
/// differs between ASCII and Unicode rules: the Kelvin sign lowercases to
/// an ASCII `k`, `İ` to two characters, `ß` uppercases to two.
fn piece() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "ana", "ANA", "Ana", "wei", "kofi", "12", "@", ".", "com", "example", "ex", "é", "É",
        "\u{212a}", "k", "K", "İ", "i", "ß", "ss", " ", "-", "x",
    ])
    .prop_map(String::from)
}

fn text(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(piece(), 0..max).prop_map(|p| p.concat())
}

fn arb_record() -> impl Strategy<Value = LogRecord> {
    (
        0u64..1_000_000,
        text(4),
        text(6),
        text(3),
        prop::collection::vec(text(2), 0..3),
    )
        .prop_map(|(n, sender, recipient, subject, tags)| LogRecord {
            id: format!("r{n}"),
            timestamp_ms: NOW,
            sender,
            recipient,
            subject,
            tags,
            ..LogRecord::default()
        })
}

/// One to three terms: free words, quoted phrases, comma lists, `to:`,
/// `to:@` (a domain: the recipient's end), some negated. Words are made of the same pieces as the records.
fn word() -> impl Strategy<Value = String> {
    prop::collection::vec(piece(), 1..3)
        .prop_map(|p| p.concat().replace(' ', ""))
        .prop_filter("a word", |w| !w.is_empty() && !w.starts_with('-'))
}

fn arb_filter() -> impl Strategy<Value = Filter> {
    let term = (word(), prop::option::of(word()), 0..5u8, any::<bool>()).prop_map(
        |(a, b, shape, negated)| {
            let sign = if negated { "-" } else { "" };
            match (shape, b) {
                (0, Some(b)) => format!("{sign}\"{a} {b}\""),
                (1, Some(b)) => format!("{sign}{a},{b}"),
                (2, _) => format!("{sign}to:{a}"),
                (3, _) => format!("{sign}to:@{}", a.trim_start_matches('@')),
                _ => format!("{sign}{a}"),
            }
        },
    );
    prop::collection::vec(term, 1..4).prop_map(|terms| parse(&terms.join(" ")).unwrap_or_default())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Records arriving, a filter set (a full pass, which sweeps), then a
    /// narrower one (which sweeps when it tests many), then more records
    /// (tested one by one): the matches are those of the straightforward
    /// test every time.
    #[test]
    fn sweep_agrees_with_the_straightforward_match(
        batches in prop::collection::vec(prop::collection::vec(arb_record(), 0..30), 1..4),
        later in prop::collection::vec(arb_record(), 0..10),
        filter in arb_filter(),
        extra in arb_filter(),
        cap in 1usize..80,
    ) {
        let mut store = LogStore::new(cap);
        let mut all: Vec<LogRecord> = Vec::new();
        for batch in batches {
            all.extend(batch.iter().cloned());
            store.append(LogBatch::from(batch));
        }
        let narrower = Filter {
            terms: filter.terms.iter().chain(&extra.terms).cloned().collect(),
        };
        for step in [&filter, &narrower] {
            store.set_filter(step, NOW);
            let held = &all[all.len().saturating_sub(cap)..];
            let want: Vec<String> =
                held.iter().filter(|r| step.matches(&r.borrowed(), NOW)).map(|r| r.id.clone()).collect();
            prop_assert_eq!(matched(&store), want);
        }
        all.extend(later.iter().cloned());
        store.append(LogBatch::from(later));
        let held = &all[all.len().saturating_sub(cap)..];
        let want: Vec<String> =
            held.iter().filter(|r| narrower.matches(&r.borrowed(), NOW)).map(|r| r.id.clone()).collect();
        prop_assert_eq!(matched(&store), want);
    }
}

/// The fix for issue 16's frozen space bar: a free word over every held
/// record reads no record's recipient from the arena; the sweep of the
/// recipient column answers for all of them. (Before, each record's
/// recipient was read and searched: 20,000 reads here.)
#[test]
fn a_free_word_over_every_record_reads_no_recipient_text() {
    let mut store = LogStore::new(100_000);
    for batch in 0..20u64 {
        let records: Vec<LogRecord> = (0..1000u64)
            .map(|i| {
                let n = batch * 1000 + i;
                LogRecord {
                    id: format!("r{n}"),
                    timestamp_ms: NOW,
                    sender: "news@shop.example.com".into(),
                    recipient: format!("Ana{n}@Example.org"),
                    subject: "Weekly digest".into(),
                    tags: vec!["newsletter".into()],
                    ..LogRecord::default()
                }
            })
            .collect();
        store.append(LogBatch::from(records));
    }
    let read = |store: &LogStore| store.arena.recipients_read.get();
    for text in [
        "ana1999",
        "to:ana1",
        "ana 19 \"example.org\"",
        "-to:ana,digest",
    ] {
        let before = read(&store);
        let filter = parse(text).unwrap_or_default();
        store.set_filter(&filter, NOW);
        assert_eq!(read(&store) - before, 0, "{text}");
    }
    store.set_filter(&parse("ana1999").unwrap_or_default(), NOW);
    assert_eq!(
        matched(&store),
        [
            "r1999", "r19990", "r19991", "r19992", "r19993", "r19994", "r19995", "r19996",
            "r19997", "r19998", "r19999"
        ]
    );
}

/// `smtp:` and `ip:` over hot text of several chunks, shared entries,
/// responses kept after their group and needles across the join: the
/// sweep finds what a test of each record finds.
#[test]
fn smtp_and_ip_sweeps_agree_with_the_naive_filter() {
    let long = "x".repeat(3_900);
    let records: Vec<LogRecord> = (0..3_000u64)
        .map(|i| {
            let smtp = match i % 6 {
                0 => Some(format!("250 2.0.0 OK {i} {long}")),
                1 => Some(format!("550 5.7.1 [10.0.{}.9] Blocked", i % 4)),
                2 => Some("421 4.7.0 Try again later".to_string()),
                3 => Some(format!(" 250 ok {i}")),
                _ => None,
            };
            LogRecord {
                id: format!("id-{i}"),
                timestamp_ms: NOW + i as i64,
                event_type: Some(LogEventType::Delivered),
                sender: "s@x.io".into(),
                recipient: format!("r{}@example.org", i % 9),
                subject: "s".into(),
                smtp_response: smtp,
                ip: (i % 5 != 0).then(|| format!("10.0.{}.{}", i % 3, i % 7)),
                ..LogRecord::default()
            }
        })
        .collect();
    let mut store = LogStore::new(2_500);
    for batch in records.chunks(70) {
        store.append(LogBatch::from(batch.to_vec()));
    }
    assert!(store.arena.hot.len() >= 2, "the hot text spans chunks");
    let held = &records[records.len() - 2_500..];
    for text in [
        "smtp:\"ok 1\"",
        "smtp:\"k 12\"",
        "smtp:blocked",
        "smtp:\"7.0 try\"",
        "smtp:AGAIN,xxxx",
        "ip:0.2.",
        "ip:10.0.1.6",
        "-smtp:ok",
        "smtp:été",
    ] {
        let filter = parse(text).unwrap();
        store.set_filter(&parse("").unwrap(), NOW);
        store.set_filter(&filter, NOW);
        let expected: Vec<String> = held
            .iter()
            .filter(|r| filter.matches(&r.borrowed(), NOW))
            .map(|r| r.id.clone())
            .collect();
        assert!(!expected.is_empty() || text.contains("été"), "{text}");
        assert_eq!(matched(&store), expected, "{text}");
    }
}

/// A recipient is kept in two parts, through its last `@` and its domain:
/// every way a needle can lie in them, swept (many records) and tested
/// one by one (records appended after the filter), as the
/// straightforward match says.
#[test]
fn needles_in_either_part_of_a_recipient_or_across_its_at() {
    let recipients = [
        "ana@gmail.com",
        "Ana@Mail.Gmail.com",
        "a@b@x.io",
        "bob@",
        "nobody",
        "kofi@GMAIL.COM",
        "wei@example.org",
    ];
    let record = |i: usize| LogRecord {
        id: format!("r{i}"),
        timestamp_ms: NOW,
        recipient: recipients[i % recipients.len()].to_string(),
        ..LogRecord::default()
    };
    for text in [
        "@gmail",
        "ana@gm",
        "a@b",
        "b@x",
        "@",
        "bob@",
        "gmail.com",
        "to:@gmail.com",
        "to:@mail.gmail.com",
        "to:a@mail.gmail.com",
        "to:@x.io",
        "to:@",
        "mail",
        "-@gmail",
        "to:ana@",
        "nobody",
        "x.io,ana@",
        "i@",
        "o",
    ] {
        let filter = parse(text).unwrap();
        let mut store = LogStore::new(1_000);
        store.append(LogBatch::from((0..700).map(record).collect::<Vec<_>>()));
        store.set_filter(&filter, NOW);
        store.append(LogBatch::from((700..770).map(record).collect::<Vec<_>>()));
        let want: Vec<String> = (0..770)
            .map(record)
            .filter(|r| filter.matches(&r.borrowed(), NOW))
            .map(|r| r.id)
            .collect();
        assert!(!want.is_empty() || text.starts_with('-'), "{text}");
        assert_eq!(matched(&store), want, "{text}");
    }
}
