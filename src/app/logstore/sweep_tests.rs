//! The sweeps against the straightforward match: free words and `to:`
//! terms over the recipients, `smtp:` over the hot text (and `ip:`,
//! decided once per string, beside it), tested
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

/// `smtp:` over hot text of several chunks, shared entries, responses
/// kept after their group and needles across the join, and `ip:` beside
/// it: the store finds what a test of each record finds.
#[test]
fn smtp_sweeps_and_ip_terms_agree_with_the_naive_filter() {
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

/// The held records' ids that `text` matches, tested one by one.
fn naive(held: &[LogRecord], text: &str) -> Vec<String> {
    let filter = parse(text).unwrap();
    held.iter()
        .filter(|r| filter.matches(&r.borrowed(), NOW))
        .map(|r| r.id.clone())
        .collect()
}

/// Sets `text` after a filter it does not narrow (a full pass, which
/// sweeps) and after the empty filter (a narrowing pass over every
/// record, which sweeps too): the matches are the naive filter's both
/// times.
fn assert_sweeps_agree(store: &mut LogStore, held: &[LogRecord], text: &str) {
    let want = naive(held, text);
    let filter = parse(text).unwrap();
    for before in ["type:bounced", ""] {
        store.set_filter(&parse(before).unwrap(), NOW);
        store.set_filter(&filter, NOW);
        assert_eq!(matched(store), want, "{text} after {before:?}");
    }
}

fn detail_record(i: usize, recipient: &str, smtp: Option<&str>, ip: Option<&str>) -> LogRecord {
    LogRecord {
        id: format!("id-{i}"),
        timestamp_ms: NOW,
        event_type: Some(LogEventType::Delivered),
        sender: "s@x.io".into(),
        recipient: recipient.into(),
        subject: "s".into(),
        smtp_response: smtp.map(String::from),
        ip: ip.map(String::from),
        ..LogRecord::default()
    }
}

/// Every needle that runs across a response's group ("250 2.0.0 OK")
/// and what follows it, split at every point, in either case: the sweep
/// finds it where a test of each record does (the join is a comparison
/// with the text after the group, not a search of the joined response).
#[test]
fn needles_across_the_group_join_at_every_split() {
    let responses = [
        "250 2.0.0 OK  1700000123 x1si - gsmtp",
        "250 2.0.0 OK 1 queued",
        "550 5.7.1 [203.0.113.9] blocked",
        "421 4.7.0 Try again later, closing connection. (EHLO) xq",
        "250 2.0.0 OK",
    ];
    let recipients = ["ana@example.org", "Ana@Example.org", "OK 1@X.io"];
    let records: Vec<LogRecord> = (0..60)
        .map(|i| {
            let smtp = responses[i % responses.len()];
            // Some without a response, and one with a response that
            // starts with a space (kept whole, its group not split off).
            let smtp = match i % 7 {
                6 => None,
                5 => Some(" 250 2.0.0 OK 1 spaced"),
                _ => Some(smtp),
            };
            detail_record(i, recipients[i % recipients.len()], smtp, Some("10.0.0.1"))
        })
        .collect();
    let mut store = LogStore::new(1000);
    store.append(LogBatch::from(records.clone()));
    for response in responses {
        let group = crate::model::log::smtp::smtp_group(response).len();
        for start in 0..group {
            for end in group + 1..=response.len() {
                let needle = &response[start..end];
                let shouted: String = needle
                    .chars()
                    .enumerate()
                    .map(|(i, c)| {
                        if i % 2 == 0 {
                            c.to_ascii_uppercase()
                        } else {
                            c
                        }
                    })
                    .collect();
                for text in [format!("smtp:\"{needle}\""), format!("smtp:\"{shouted}\"")] {
                    assert_sweeps_agree(&mut store, &records, &text);
                }
            }
        }
    }
}

/// Several needles at once, records without the term's field (or
/// without any hot entry), and recipients with capitals, whose hot entry
/// starts with the recipient: a needle found there is not in the SMTP
/// response or the IP.
#[test]
fn several_needles_fields_missing_and_recipients_in_the_entry() {
    let records: Vec<LogRecord> = (0..400)
        .map(|i| {
            let recipient = match i % 4 {
                0 => "ok 1.113.1@example.org".to_string(),
                1 => format!("OK 1.113.1-{i}@Example.org"),
                2 => format!("Blocked{i}@X.io"),
                _ => format!("r{i}@example.org"),
            };
            let smtp = match i % 5 {
                0 => Some(format!("250 2.0.0 OK {i} queued")),
                1 => Some("550 5.7.1 [203.0.113.1] Blocked".to_string()),
                2 => Some(format!("250 2.0.0 OK  17000{i} x - gsmtp")),
                _ => None,
            };
            let ip = match i % 3 {
                0 => Some(format!("203.0.113.{}", i % 256)),
                1 => Some("10.0.0.1".to_string()),
                _ => None,
            };
            detail_record(i, &recipient, smtp.as_deref(), ip.as_deref())
        })
        .collect();
    let mut store = LogStore::new(1000);
    for batch in records.chunks(33) {
        store.append(LogBatch::from(batch.to_vec()));
    }
    for text in [
        "smtp:\"ok 1\"",
        "smtp:\"OK 1\",blocked",
        "smtp:blocked,queued,gsmtp",
        "smtp:113.1",
        "smtp:\"k 17\",\"ok  1\"",
        "ip:113.1",
        "ip:113.1,10.0.0",
        "ip:\"0.113.1\",ok",
        "ip:1",
        "-ip:113",
        "-smtp:ok",
        "smtp:example",
        "ip:example",
    ] {
        assert_sweeps_agree(&mut store, &records, text);
    }
}

/// Records at the edges of the hot text's chunks (a batch larger than a
/// chunk has one of its own), the oldest chunk partly evicted, and
/// records appended after a sweep (tested one by one).
#[test]
fn detail_sweeps_at_chunk_edges() {
    let long = "y".repeat(4_000);
    let record = |i: usize| {
        let smtp = match i % 4 {
            0 => format!("250 2.0.0 OK 1{i} {long}"),
            1 => format!("250 2.0.0 OK {i} ok"),
            2 => "550 5.7.1 blocked".to_string(),
            _ => format!("[{long} ok 1"),
        };
        detail_record(i, "a@b.io", Some(&smtp), Some(&format!("10.0.{}.1", i % 3)))
    };
    let mut store = LogStore::new(1_500);
    let mut all: Vec<LogRecord> = Vec::new();
    for size in [1, 300, 700, 2, 1, 500] {
        let batch: Vec<LogRecord> = (all.len()..all.len() + size).map(record).collect();
        all.extend(batch.iter().cloned());
        store.append(LogBatch::from(batch));
    }
    assert!(store.arena.hot.len() >= 3, "the hot text spans chunks");
    let held = |all: &[LogRecord]| all[all.len().saturating_sub(1_500)..].to_vec();
    for text in [
        "smtp:\"ok 1\"",
        "smtp:\"k 1\"",
        "ip:0.1.",
        "smtp:yyyy,blocked",
    ] {
        assert_sweeps_agree(&mut store, &held(&all), text);
        let more: Vec<LogRecord> = (all.len()..all.len() + 3).map(record).collect();
        all.extend(more.iter().cloned());
        store.append(LogBatch::from(more));
        assert_eq!(
            matched(&store),
            naive(&held(&all), text),
            "{text}, then more"
        );
    }
}

/// A sweep's chunks asked for out of the records' order, or for a
/// record no chunk holds: each chunk is made once, and answers for its
/// own records.
#[test]
fn entry_hits_find_chunks_in_any_order() {
    use super::hits::{ChunkHits, EntryHits};
    let chunks = [
        (0u64, 10u64, [0usize, 5, 9]),
        (10, 20, [3, 4, 7]),
        (25, 30, [1, 1, 1]),
    ];
    let made = std::cell::Cell::new(0);
    let new_chunk = |seq: u64| {
        let &(first_seq, end_seq, marks) = chunks
            .iter()
            .find(|(first, end, _)| (*first..*end).contains(&seq))?;
        made.set(made.get() + 1);
        let mut chunk = ChunkHits::new(first_seq, end_seq, 100);
        marks.iter().for_each(|&at| chunk.mark(at));
        Some(chunk)
    };
    let mut hits = EntryHits::new(2, 28);
    let order = [
        0u64, 5, 9, 3, 12, 13, 14, 2, 9, 27, 22, 19, 10, 5, 26, 28, 30, 1, 13,
    ];
    for seq in order.into_iter().chain(0..32).chain((0..32).rev()) {
        let want = (2..28).contains(&seq).then(|| {
            chunks
                .iter()
                .find(|(first, end, _)| (*first..*end).contains(&seq))
                .map(|(first, end, marks)| (*first, *end, marks.contains(&((seq % 10) as usize))))
        });
        let got = hits.searched(seq).then(|| {
            (hits.current.has(seq) || hits.seek(seq, new_chunk)).then(|| {
                let c = &hits.current;
                (c.first_seq, c.end_seq, c.holds((seq % 10) as u32))
            })
        });
        assert_eq!(got, want, "{seq}");
    }
    assert_eq!(made.get(), 3);
}

/// An SMTP response made of a group's words, what may follow them, and
/// spaces, in either case.
fn arb_response() -> impl Strategy<Value = String> {
    let words = prop::sample::select(vec![
        "250",
        "2.0.0",
        "OK",
        "ok",
        "Ok",
        "1",
        "17",
        "k",
        "550",
        "5.7.1",
        "[10.0.1.1]",
        "blocked",
        "x1",
        "é",
        " ",
    ]);
    (any::<bool>(), prop::collection::vec(words, 1..7)).prop_map(|(spaced, words)| {
        let joined = words.join(" ");
        if spaced { format!(" {joined}") } else { joined }
    })
}

fn arb_detail_record() -> impl Strategy<Value = LogRecord> {
    (
        0u64..1_000_000,
        prop::sample::select(vec!["a@b.io", "Ok 1@B.io", "R17@x.io", "10.0.1.1@x.io"]),
        prop::option::of(arb_response()),
        prop::option::of(prop::sample::select(vec![
            "10.0.1.1",
            "203.0.113.17",
            "113.1",
            "::1",
        ])),
    )
        .prop_map(|(n, recipient, smtp, ip)| LogRecord {
            id: format!("r{n}"),
            ..detail_record(0, recipient, smtp.as_deref(), ip)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// `smtp:` and `ip:` terms made of a piece of a held record's field
    /// (so that most find something), in either case, alone or with
    /// another: the store's matches are those of a test of each record.
    #[test]
    fn detail_sweeps_agree_with_the_straightforward_match(
        batches in prop::collection::vec(prop::collection::vec(arb_detail_record(), 0..30), 1..4),
        pick in (any::<prop::sample::Index>(), any::<prop::sample::Index>(), any::<prop::sample::Index>()),
        other in prop::sample::select(vec!["", " smtp:ok", " ip:1", " smtp:\"k 1\",blocked", " -ip:113"]),
        ip in any::<bool>(),
        upper in any::<bool>(),
        cap in 1usize..100,
    ) {
        let mut store = LogStore::new(cap);
        let mut all: Vec<LogRecord> = Vec::new();
        for batch in batches {
            all.extend(batch.iter().cloned());
            store.append(LogBatch::from(batch));
        }
        let held = all[all.len().saturating_sub(cap)..].to_vec();
        let fields: Vec<&str> = held
            .iter()
            .filter_map(|r| if ip { r.ip.as_deref() } else { r.smtp_response.as_deref() })
            .collect();
        let field = if fields.is_empty() { "ok 1" } else { fields[pick.0.index(fields.len())] };
        let bounds: Vec<usize> = (0..=field.len()).filter(|&i| field.is_char_boundary(i)).collect();
        let (a, b) = (pick.1.index(bounds.len()), pick.2.index(bounds.len()));
        let needle = &field[bounds[a.min(b)]..bounds[a.max(b)]];
        let needle = if upper { needle.to_uppercase() } else { needle.to_string() };
        if needle.is_empty() {
            return Ok(());
        }
        let name = if ip { "ip" } else { "smtp" };
        let text = format!("{name}:\"{needle}\"{other}");
        for before in ["type:bounced", ""] {
            store.set_filter(&parse(before).unwrap(), NOW);
            store.set_filter(&parse(&text).unwrap(), NOW);
            prop_assert_eq!(matched(&store), naive(&held, &text), "{} after {:?}", text, before);
        }
    }
}
