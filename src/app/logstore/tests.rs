//! The store against what it promises: records read back as they came,
//! sanitized; eviction; the match index against a full pass.

use super::codes::TYPE_MISSING;
use super::*;
use crate::app::filter::{Filter, TermKind, TimeBound, parse};
use proptest::prelude::*;
use serde_json::Value;

use crate::model::log::smtp::smtp_group;
use crate::model::log::store_ready::MAX_FIELD_BYTES;

pub(super) const NOW: i64 = 1_780_000_000_000;

pub(super) fn record(
    i: u64,
    event: Option<LogEventType>,
    sender: &str,
    subject: &str,
    tags: &[&str],
) -> LogRecord {
    LogRecord {
        id: format!("id-{i}"),
        timestamp_ms: NOW - 1_000_000 + i as i64 * 1000,
        event_type: event,
        sender: sender.into(),
        recipient: format!("user{}@example.org", i % 7),
        subject: subject.into(),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        message_id: format!("<m{i}@mail>"),
        ..LogRecord::default()
    }
}

pub(super) fn matched_ids(store: &LogStore) -> Vec<String> {
    (0..store.match_count())
        .map(|i| store.full_record(store.match_seq(i).unwrap()).unwrap().id)
        .collect()
}

/// A recipient without capitals is held once, in the lowercased column;
/// one with capitals keeps its own copy in the record's text. Either reads
/// back as it came, in small and bulk batches, before and after evicting.
#[test]
fn recipients_read_back_as_they_came_from_the_column_or_the_text() {
    let mut store = LogStore::new(3_000);
    let recipient = |i: u64| match i % 3 {
        0 => format!("plain{i}@example.org"),
        1 => format!("Cased{i}@Example.ORG"),
        _ => format!("ünïcode{i}@exämple.de"),
    };
    let make = |i: u64| LogRecord {
        recipient: recipient(i),
        smtp_response: i.is_multiple_of(2).then(|| format!("250 ok {i}")),
        ..record(i, Some(LogEventType::Delivered), "s@x", "Hi", &["t"])
    };
    // A bulk batch, then single records (a live tail), then bulk again.
    store.append((0..1_000).map(make).collect());
    for i in 1_000..1_500 {
        store.append(LogBatch::from(vec![make(i)]));
    }
    store.append((1_500..4_000).map(make).collect());
    assert_eq!(store.evicted(), 1_000);
    for seq in [1_000, 1_001, 1_002, 1_499, 1_500, 2_222, 3_999] {
        let back = store.full_record(seq).expect("held");
        assert_eq!(back.recipient, recipient(seq), "{seq}");
        assert_eq!(store.view(seq).expect("held").recipient, recipient(seq));
        assert_eq!(back.id, format!("id-{seq}"));
        assert_eq!(back.message_id, format!("<m{seq}@mail>"));
        let smtp = (seq % 2 == 0).then(|| format!("250 ok {seq}"));
        assert_eq!(back.smtp_response, smtp, "{seq}");
    }
}

/// Only recipients with capitals take room in the hot text.
#[test]
fn a_recipient_without_capitals_takes_no_room_in_the_text() {
    let text_bytes = |recipient: fn(u64) -> String| {
        let mut store = LogStore::new(10_000);
        let records: Vec<LogRecord> = (0..2_000)
            .map(|i| LogRecord {
                recipient: recipient(i),
                ..record(i, Some(LogEventType::Delivered), "s@x", "Hi", &["t"])
            })
            .collect();
        store.append(records.into_iter().collect());
        store.footprint().hot
    };
    let lower = text_bytes(|i| format!("reader{i:05}@example.org"));
    let cased = text_bytes(|i| format!("Reader{i:05}@example.org"));
    assert_eq!(lower, 0);
    // Each with two separators and its end (in a chunk with room for
    // more).
    assert!(cased >= 2_000 * ("Reader00000@example.org".len() + 3));
}

#[test]
fn small_batches_share_chunks_and_read_back_whole() {
    let mut store = LogStore::new(10_000);
    for i in 0..2_000 {
        let r = record(i, Some(LogEventType::Delivered), "s@x", "Hi", &["t"]);
        store.append(LogBatch::from(vec![r]));
    }
    let chunks = store.arena.hot.len();
    assert!(chunks < 10, "{chunks}");
    for seq in [0, 999, 1_999] {
        let back = store.full_record(seq).unwrap();
        assert_eq!(back.id, format!("id-{seq}"));
        assert_eq!(back.message_id, format!("<m{seq}@mail>"));
    }
}

#[test]
fn append_and_read_back() {
    let mut store = LogStore::new(100);
    let mut r = record(
        1,
        Some(LogEventType::Bounced),
        "a@x.io",
        "Hello",
        &["news", "weekly"],
    );
    r.smtp_response = Some("550 no such user".into());
    r.url = Some(String::new());
    r.extra = vec![("campaign".into(), Value::String("c\u{1b}[31m1".into()))];
    let out = store.append(LogBatch::from(vec![
        r.clone(),
        record(2, None, "b@x.io", "Bye", &[]),
    ]));
    assert_eq!(
        out,
        Appended {
            records: 2,
            matched: 2,
            evicted: 0,
            matches_evicted: 0
        }
    );
    let back = store.full_record(0).unwrap();
    let mut expected = r;
    expected.extra = vec![("campaign".into(), Value::String("c1".into()))];
    assert_eq!(back, expected);
    let second = store.full_record(1).unwrap();
    assert_eq!(second.event_type, None);
    assert!(second.tags.is_empty());
    assert_eq!(second.smtp_response, None);
    let view = store.match_at(0).unwrap();
    assert_eq!(view.tags().collect::<Vec<_>>(), ["news", "weekly"]);
    assert_eq!(
        store.counts_by_type()[usize::from(type_code(Some(LogEventType::Bounced)))],
        1
    );
    assert_eq!(store.counts_by_type()[usize::from(TYPE_MISSING)], 1);
}

#[test]
fn text_is_sanitized_and_capped_on_ingest() {
    let mut store = LogStore::new(10);
    let long = "x".repeat(10_000);
    let r = record(
        1,
        None,
        "evil\u{1b}]0;title\u{7}@x.io",
        &long,
        &["t\u{202e}ag"],
    );
    store.append(LogBatch::from(vec![r]));
    let v = store.match_at(0).unwrap();
    assert_eq!(v.sender, "evil@x.io");
    assert_eq!(v.subject.len(), MAX_FIELD_BYTES + '…'.len_utf8());
    assert_eq!(v.tags().collect::<Vec<_>>(), ["tag"]);
}

/// Upstream text as hostile servers send it: plain words, escape
/// sequences, the store's own separator, non-ASCII, long runs.
fn arb_field() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[ -~]{0,12}",
        1 => any::<String>(),
        1 => "[a-z]{0,3}(\u{1f}|\u{1e}|\u{1b}\\[2J|\u{9b}|\u{202e}|é|\t)[a-z]{0,3}",
        1 => (0usize..3).prop_map(|n| "y".repeat(MAX_FIELD_BYTES - 1 + n)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Whichever way a record's detail fields are stored (copied as
    /// they are when plain, else sanitized one by one; a batch's cold
    /// text compressed when it is long), each reads back as its
    /// sanitized text, in its own place.
    #[test]
    fn detail_fields_read_back_sanitized(
        fields in prop::collection::vec(arb_field(), 8),
        present in prop::collection::vec(any::<bool>(), 4),
        copies in prop::sample::select(vec![2u64, 400]),
    ) {
        let optional = |i: usize| present[i - 3].then(|| fields[i].clone());
        let r = LogRecord {
            recipient: fields[0].clone(),
            id: fields[1].clone(),
            message_id: fields[2].clone(),
            smtp_response: optional(3),
            ip: optional(4),
            user_agent: optional(5),
            url: optional(6),
            extra: vec![
                (fields[7].clone(), Value::String(fields[7].clone())),
                ("padding".into(), Value::String("p".repeat(40))),
            ],
            ..LogRecord::default()
        };
        let mut store = LogStore::new(1_000);
        store.append((0..copies).map(|_| r.clone()).collect());
        for seq in [0, copies - 1] {
            let back = store.full_record(seq).unwrap();
            let want = |s: &str| crate::sanitize::clean_capped(s, MAX_FIELD_BYTES + '…'.len_utf8()).into_owned();
            let want_opt = |s: &Option<String>| s.as_deref().map(want);
            prop_assert_eq!(&back.recipient, &want(&r.recipient));
            prop_assert_eq!(store.view(seq).unwrap().recipient, want(&r.recipient));
            prop_assert_eq!(&back.id, &want(&r.id));
            prop_assert_eq!(&back.message_id, &want(&r.message_id));
            prop_assert_eq!(&back.smtp_response, &want_opt(&r.smtp_response));
            prop_assert_eq!(&back.ip, &want_opt(&r.ip));
            prop_assert_eq!(&back.user_agent, &want_opt(&r.user_agent));
            prop_assert_eq!(&back.url, &want_opt(&r.url));
            let extra = vec![
                (want(&fields[7]), Value::String(want(&fields[7]))),
                ("padding".to_string(), Value::String("p".repeat(40))),
            ];
            prop_assert_eq!(&back.extra, &extra);
        }
    }
}

#[test]
fn strings_are_found_by_upstream_text_and_shown_sanitized() {
    let mut store = LogStore::new(10);
    store.append(LogBatch::from(vec![
        record(0, None, "x\u{7}@y.io", "s", &["a", "b"]),
        record(1, None, "x@y.io", "s", &["a\u{1f}b"]),
        record(2, None, "x\u{7}@y.io", "s", &["a", "b"]),
        record(3, None, "x@y.io", "s", &["a\u{1f}b"]),
    ]));
    let tags = |i| store.match_at(i).unwrap().tags().collect::<Vec<_>>();
    let sender = |i| store.match_at(i).unwrap().sender;
    assert_eq!(
        (sender(0), sender(1), sender(2)),
        ("x@y.io", "x@y.io", "x@y.io")
    );
    assert_eq!((tags(0), tags(1)), (vec!["a", "b"], vec!["ab"]));
    assert_eq!((tags(2), tags(3)), (vec!["a", "b"], vec!["ab"]));
    store.set_filter(&parse("from:x@y tag:ab").unwrap(), NOW);
    assert_eq!(matched_ids(&store), ["id-1", "id-3"]);
}

/// A full store whose subjects are all distinct frees a string for every
/// one it takes: its string table stays the same size, and the strings it
/// holds read back and filter right through the compactions of its texts.
#[test]
fn a_full_store_of_distinct_subjects_keeps_its_string_table_bounded() {
    let mut store = LogStore::new(2_000);
    let subject = |i: u64| format!("Your order o{i}x has shipped");
    for batch in 0..100 {
        let records: Vec<LogRecord> = (batch * 1_000..(batch + 1) * 1_000)
            .map(|i| record(i, Some(LogEventType::Delivered), "s@x", &subject(i), &[]))
            .collect();
        store.append(LogBatch::from(records));
        let strings = store.footprint().strings;
        assert!(strings < 512 * 1024, "batch {batch}: {strings} bytes");
    }
    for seq in [98_000, 98_001, 99_000, 99_999] {
        assert_eq!(store.full_record(seq).expect("held").subject, subject(seq));
    }
    store.set_filter(&parse("o98765x").unwrap(), NOW);
    assert_eq!(matched_ids(&store), ["id-98765"]);
}

#[test]
fn incremental_index_matches_a_full_rescan() {
    let filter = parse("type:bounced,opened -from:b@").unwrap();
    let mut incremental = LogStore::new(1000);
    incremental.set_filter(&filter, NOW);
    let mut rescanned = LogStore::new(1000);
    let senders = ["a@x.io", "b@x.io", "c@y.io"];
    for batch in 0..10 {
        let records: Vec<LogRecord> = (0..20)
            .map(|i| {
                let n = batch * 20 + i;
                let t = LogEventType::KNOWN[(n % 10) as usize];
                record(n, Some(t), senders[(n % 3) as usize], "s", &[])
            })
            .collect();
        incremental.append(LogBatch::from(records.clone()));
        rescanned.append(LogBatch::from(records));
    }
    rescanned.set_filter(&filter, NOW);
    assert!(incremental.match_count() > 0);
    assert_eq!(matched_ids(&incremental), matched_ids(&rescanned));
}

#[test]
fn eviction_drops_the_oldest_and_counts() {
    let mut store = LogStore::new(5);
    store.set_filter(&parse("type:bounced").unwrap(), NOW);
    let records: Vec<LogRecord> = (0..8)
        .map(|i| {
            let t = if i % 2 == 0 {
                LogEventType::Bounced
            } else {
                LogEventType::Opened
            };
            record(i, Some(t), &format!("s{i}@x.io"), "subj", &["t"])
        })
        .collect();
    let out = store.append(LogBatch::from(records));
    assert_eq!(out.evicted, 3);
    // Records 0 and 2 were bounces.
    assert_eq!(out.matches_evicted, 2);
    assert_eq!(store.len(), 5);
    assert_eq!(store.evicted(), 3);
    assert_eq!(store.streamed(), 8);
    assert_eq!(matched_ids(&store), ["id-4", "id-6"]);
    assert_eq!(store.counts_by_type().iter().sum::<u64>(), 5);
    assert!(store.full_record(2).is_none());
    assert_eq!(store.full_record(3).unwrap().id, "id-3");
    // Senders of evicted records are freed: 5 senders + the shared
    // subject, tag set and recipients' domain.
    assert_eq!(store.distinct_strings(), 5 + 3);
    assert_eq!(store.distinct_profiles(), 5);
    // The histogram's view of the matches agrees with the records.
    let times: Vec<_> = store.match_times().collect();
    let views: Vec<_> = (0..store.match_count())
        .filter_map(|i| store.match_at(i))
        .map(|r| (r.timestamp_ms, r.event_type))
        .collect();
    assert_eq!(times, views);
    assert_eq!(times.len(), 2);
}

#[test]
fn reused_string_ids_do_not_keep_old_verdicts() {
    let mut store = LogStore::new(1);
    store.set_filter(&parse("from:alice").unwrap(), NOW);
    store.append(LogBatch::from(vec![record(
        0,
        None,
        "alice@x.io",
        "s",
        &[],
    )]));
    assert_eq!(store.match_count(), 1);
    // alice's id is freed and handed to bob.
    store.append(LogBatch::from(vec![record(1, None, "bob@x.io", "s", &[])]));
    assert_eq!(store.match_count(), 0);
    store.append(LogBatch::from(vec![record(
        2,
        None,
        "alice@x.io",
        "s",
        &[],
    )]));
    assert_eq!(store.match_count(), 1);
}

#[test]
fn clear_keeps_the_filter() {
    let mut store = LogStore::new(10);
    store.set_filter(&parse("type:opened").unwrap(), NOW);
    store.append(LogBatch::from(vec![record(
        0,
        Some(LogEventType::Opened),
        "a@x.io",
        "s",
        &[],
    )]));
    store.clear();
    assert_eq!(
        (store.len(), store.streamed(), store.match_count()),
        (0, 0, 0)
    );
    store.append(LogBatch::from(vec![
        record(1, Some(LogEventType::Opened), "a@x.io", "s", &[]),
        record(2, Some(LogEventType::Queued), "a@x.io", "s", &[]),
    ]));
    assert_eq!(matched_ids(&store), ["id-1"]);
}

#[test]
fn match_position_finds_neighbours() {
    let mut store = LogStore::new(100);
    store.set_filter(&parse("type:bounced").unwrap(), NOW);
    store.append(LogBatch::from(
        (0..10)
            .map(|i| {
                let t = if i % 3 == 0 {
                    LogEventType::Bounced
                } else {
                    LogEventType::Queued
                };
                record(i, Some(t), "a@x.io", "s", &[])
            })
            .collect::<Vec<_>>(),
    ));
    // Matches are seqs 0, 3, 6, 9.
    assert_eq!(store.match_position(0), 0);
    assert_eq!(store.match_position(4), 2);
    assert_eq!(store.match_position(6), 2);
    assert_eq!(store.match_position(100), 4);
}

#[test]
fn time_terms_resolve_at_filter_time() {
    let mut store = LogStore::new(100);
    store.append(LogBatch::from(
        (0..10)
            .map(|i| record(i, None, "a@x.io", "s", &[]))
            .collect::<Vec<_>>(),
    ));
    let filter = Filter {
        terms: vec![crate::app::filter::Term {
            negated: false,
            kind: TermKind::Since(TimeBound::Ago(1_000_000 - 5_000)),
            span: 0..0,
        }],
    };
    store.set_filter(&filter, NOW);
    assert_eq!(
        matched_ids(&store),
        ["id-5", "id-6", "id-7", "id-8", "id-9"]
    );
}

fn arb_record() -> impl Strategy<Value = LogRecord> {
    let words = prop::sample::select(vec![
        "alice",
        "Bob",
        "news",
        "weekly digest",
        "ÉTÉ",
        "x",
        "r2d2",
        "c-3po",
    ]);
    (
        0u64..1000,
        prop::option::of(prop::sample::select(LogEventType::KNOWN.to_vec())),
        words.clone(),
        words.clone(),
        words.clone(),
        prop::collection::vec(words.clone(), 0..3),
        prop::option::of(words),
        (
            prop::sample::select(vec![
                "",
                "@Gmail.com",
                "@mail.gmail.com",
                "@a.io",
                "@été.fr",
            ]),
            prop::option::of(prop::sample::select(vec![
                "550 5.7.1 [10.0.0.1] Blocked",
                "250 2.0.0 OK 17 x - gsmtp",
                "421 4.7.0 try later",
                "Mailbox FULL",
            ])),
            prop::option::of(prop::sample::select(vec!["10.0.0.1", "10.0.1.2", "::1"])),
        ),
    )
        .prop_map(
            |(t, event, sender, recipient, subject, tags, agent, (domain, smtp, ip))| LogRecord {
                id: format!("{t}"),
                timestamp_ms: NOW - t as i64 * 1000,
                event_type: event,
                sender: format!("{sender}@a.io"),
                recipient: format!("{recipient}{domain}"),
                subject: subject.into(),
                tags: tags.into_iter().map(String::from).collect(),
                user_agent: agent.map(|a| format!("{a}/1.0")),
                smtp_response: smtp.map(String::from),
                ip: ip.map(String::from),
                ..LogRecord::default()
            },
        )
}

fn arb_filter() -> impl Strategy<Value = String> {
    let term = prop::sample::select(vec![
        "alice",
        "bob",
        "news",
        "\"weekly digest\"",
        "été",
        "type:bounced",
        "type:opened,queued",
        "from:alice",
        "to:bob",
        "subject:weekly",
        "tag:news",
        "tag:x,digest",
        "since:500s",
        "until:200s",
        "-type:opened",
        "-news",
        "-tag:x",
        "to:@gmail.com",
        "to:@GMAIL.COM,@a.io",
        "to:@été.fr",
        "-to:@a.io",
        "to:gmail",
        "smtp:\"550 5.7.1\"",
        "smtp:full,421",
        // Across a response's group and what follows it.
        "smtp:\"ok 17\"",
        "smtp:\"7.1 [\"",
        "-smtp:ok",
        "ip:10.0.",
        "-ip:::1",
        // One character: a letter the recipient's mask decides, a digit
        // and a sign it does not.
        "x",
        "to:d",
        "2",
        "-3",
        "to:-",
    ]);
    prop::collection::vec(term, 0..4).prop_map(|terms| terms.join(" "))
}

proptest! {
    #[test]
    fn store_agrees_with_the_naive_filter(
        batches in prop::collection::vec(prop::collection::vec(arb_record(), 0..20), 1..6),
        filter_text in arb_filter(),
        cap in 1usize..60,
        filter_first in any::<bool>(),
    ) {
        let filter = parse(&filter_text).unwrap();
        let mut store = LogStore::new(cap);
        if filter_first {
            store.set_filter(&filter, NOW);
        }
        let mut all = Vec::new();
        let mut evicted_matches = 0;
        let mut matched_before = store.match_count();
        for batch in batches {
            all.extend(batch.clone());
            let out = store.append(LogBatch::from(batch));
            if filter_first {
                prop_assert_eq!(
                    store.match_count(),
                    matched_before + out.matched - out.matches_evicted
                );
                evicted_matches += out.matches_evicted;
            }
            matched_before = store.match_count();
        }
        if !filter_first {
            store.set_filter(&filter, NOW);
        }
        let held = &all[all.len().saturating_sub(cap)..];
        let expected: Vec<String> = held
            .iter()
            .filter(|r| filter.matches(&r.borrowed(), NOW))
            .map(|r| r.id.clone())
            .collect();
        prop_assert_eq!(matched_ids(&store), expected);
        let times: Vec<_> = store.match_times().collect();
        let views: Vec<_> = (0..store.match_count())
            .filter_map(|i| store.match_at(i))
            .map(|r| (r.timestamp_ms, r.event_type))
            .collect();
        prop_assert_eq!(times, views);
        prop_assert_eq!(store.len(), held.len());
        prop_assert_eq!(store.counts_by_type().iter().sum::<u64>(), held.len() as u64);
        // Each record's user agent reads back as its own, from its cold
        // entry.
        let agents: Vec<Option<String>> = (store.first_seq..store.next_seq())
            .filter_map(|seq| store.full_record(seq))
            .map(|r| r.user_agent)
            .collect();
        let want: Vec<Option<String>> = held.iter().map(|r| r.user_agent.clone()).collect();
        prop_assert_eq!(agents, want);
        // Strings shared by records come and go with them: each is freed
        // with the last record that names it.
        let named: std::collections::HashSet<String> = held
            .iter()
            .flat_map(|r| {
                let tags = r.tags.join(&SEPARATOR.to_string());
                let group = r.smtp_response.as_deref().map(smtp_group).filter(|g| !g.is_empty());
                let domain = r.recipient.rsplit_once('@').map(|(_, d)| d.to_ascii_lowercase());
                [
                    Some(r.sender.clone()),
                    Some(r.subject.clone()),
                    Some(tags),
                    group.map(String::from),
                    domain.filter(|d| !d.is_empty()),
                    r.ip.clone(),
                ]
            })
            .flatten()
            .collect();
        prop_assert_eq!(store.strings.live(), named.len());
        let _ = evicted_matches;
    }

    /// Typing a filter a character at a time (each prefix that parses),
    /// then deleting it again, with records arriving in between: the
    /// matches after each step are those of a full pass.
    #[test]
    fn filters_typed_key_by_key_match_a_full_pass(
        batches in prop::collection::vec(prop::collection::vec(arb_record(), 0..20), 1..4),
        filters in prop::collection::vec(arb_filter(), 1..3),
        cap in 1usize..60,
    ) {
        let mut store = LogStore::new(cap);
        let mut steps = Vec::new();
        for text in &filters {
            let prefixes: Vec<&str> = (0..=text.len())
                .filter(|&i| text.is_char_boundary(i))
                .map(|i| &text[..i])
                .collect();
            steps.extend(prefixes.iter().copied());
            steps.extend(prefixes.iter().rev().copied());
        }
        let mut batches = batches.into_iter();
        for (i, text) in steps.into_iter().enumerate() {
            let Ok(filter) = parse(text) else { continue };
            if i % 5 == 0 && let Some(batch) = batches.next() {
                store.append(LogBatch::from(batch));
            }
            store.set_filter(&filter, NOW);
            let mut fresh = LogStore::new(cap);
            fresh.set_filter(&filter, NOW);
            let held: Vec<LogRecord> = (store.first_seq..store.next_seq())
                .filter_map(|seq| store.full_record(seq))
                .collect();
            fresh.append(LogBatch::from(held));
            prop_assert_eq!(matched_ids(&store), matched_ids(&fresh), "after {:?}", text);
        }
    }
}

/// Not a benchmark (those are in `benches/` and `misar-dash bench`): a
/// scale check that the store holds half a million records and
/// re-filters them. Run with
/// `cargo test --release --lib half_a_million -- --ignored --nocapture`.
#[test]
#[ignore]
fn half_a_million_records() {
    let started = std::time::Instant::now();
    let mut store = LogStore::new(1_000_000);
    for batch in 0..500u64 {
        let records: Vec<LogRecord> = (0..1000u64)
            .map(|i| {
                let n = batch * 1000 + i;
                let t = LogEventType::KNOWN[(n % 10) as usize];
                let mut r = record(
                    n,
                    Some(t),
                    &format!("sender{}@x.io", n % 50),
                    "Weekly digest",
                    &["news"],
                );
                r.recipient = format!("user{n}@example.org");
                r
            })
            .collect();
        store.append(LogBatch::from(records));
    }
    let appended = started.elapsed();
    let started = std::time::Instant::now();
    store.set_filter(
        &parse("type:bounced,deferred -from:sender7 digest").unwrap(),
        NOW,
    );
    let (filtered, matched) = (started.elapsed(), store.match_count());
    let started = std::time::Instant::now();
    store.set_filter(&parse("user4999").unwrap(), NOW);
    let (filtered_unique, matched_unique) = (started.elapsed(), store.match_count());
    println!(
        "append 500k: {appended:?}; filter: {filtered:?} ({matched} matches); \
         filter on unique recipients: {filtered_unique:?} ({matched_unique} matches); \
         distinct strings: {}",
        store.distinct_strings()
    );
    assert_eq!(store.len(), 500_000);
}
