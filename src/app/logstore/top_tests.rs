//! The top-values counts kept as matches come and go against a count
//! from scratch and against the records themselves.

use std::collections::HashMap;

use proptest::prelude::*;

use super::LogStore;
use crate::app::filter::parse;
use crate::app::top_values::{TopField, TopValues, type_label};
use crate::model::log::smtp::smtp_group;
use crate::model::{LogBatch, LogEventType, LogRecord};

const NOW: i64 = 1_780_000_000_000;

fn record(i: u64, recipient: &str, smtp: Option<&str>, tags: &[&str]) -> LogRecord {
    LogRecord {
        id: format!("id-{i}"),
        timestamp_ms: NOW - 1_000_000 + i as i64,
        event_type: Some(LogEventType::KNOWN[(i % 3) as usize]),
        // Empty values now and then: the panel counts them with the
        // records that lack the field.
        sender: match i % 7 {
            3 => String::new(),
            _ => format!("s{}@a.io", i % 2),
        },
        recipient: recipient.into(),
        subject: "hi".into(),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        smtp_response: smtp.map(String::from),
        ip: match i % 4 {
            0 => None,
            1 => Some(String::new()),
            _ => Some(format!("10.0.0.{}", i % 3)),
        },
        ..LogRecord::default()
    }
}

/// The field's values in `r`, as the panel counts them.
fn values_of(field: TopField, r: &LogRecord) -> Vec<String> {
    match field {
        TopField::RecipientDomain => r
            .recipient
            .rsplit_once('@')
            .map(|(_, d)| d.to_lowercase())
            .into_iter()
            .collect(),
        TopField::Sender => vec![r.sender.clone()],
        TopField::Subject => vec![r.subject.clone()],
        TopField::Smtp => r
            .smtp_response
            .as_deref()
            .map(|s| smtp_group(s).to_string())
            .into_iter()
            .collect(),
        TopField::Tag => r.tags.clone(),
        TopField::EventType => vec![type_label(r.event_type).to_string()],
        TopField::Ip => r.ip.clone().into_iter().collect(),
    }
    .into_iter()
    .filter(|v| !v.is_empty())
    .collect()
}

/// Every value's count, read off the records one by one.
fn naive(field: TopField, records: &[&LogRecord]) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for r in records {
        for v in values_of(field, r) {
            *counts.entry(v).or_default() += 1;
        }
    }
    counts
}

fn as_map(top: &TopValues) -> HashMap<String, usize> {
    top.rows
        .iter()
        .map(|r| (r.value.clone(), r.count))
        .collect()
}

#[test]
fn domains_smtp_groups_and_others() {
    let mut store = LogStore::new(100);
    let records: Vec<LogRecord> = (0..10)
        .map(|i| {
            let (to, smtp) = match i % 5 {
                0..=2 => ("a@Gmail.com", Some("550 5.7.1 [10.0.0.9] blocked")),
                3 => ("b@yahoo.com", Some("550 5.7.1 [10.0.0.7] blocked")),
                _ => ("nodomain", None),
            };
            record(i, to, smtp, &["news", "x"])
        })
        .collect();
    store.append(LogBatch::from(records));
    let top = store.top_values(TopField::RecipientDomain, 1);
    assert_eq!(top.matches, 10);
    assert_eq!(top.rows.len(), 1);
    assert_eq!(top.rows[0].value, "gmail.com");
    assert_eq!(top.rows[0].count, 6);
    assert_eq!((top.other_values, top.other_count, top.without), (1, 2, 2));
    let top = store.top_values(TopField::Smtp, 10);
    assert_eq!(top.rows.len(), 1);
    assert_eq!(top.rows[0].value, "550 5.7.1");
    assert_eq!(top.rows[0].count, 8);
    assert_eq!(top.without, 2);
    let top = store.top_values(TopField::Tag, 10);
    assert_eq!(
        as_map(&top),
        HashMap::from([("news".into(), 10), ("x".into(), 10)])
    );
    // Ties go by value.
    let top = store.top_values(TopField::Sender, 10);
    assert_eq!(top.rows[0].value, "s0@a.io");
    assert_eq!(top.share(top.rows[0].count), 0.5);
}

#[test]
fn domains_are_counted_by_id_and_only_new_matches_counted() {
    let mut store = LogStore::new(50);
    let batch = |from: u64| {
        LogBatch::from(
            (from..from + 20)
                .map(|i| record(i, &format!("u{i}@x{}.io", i % 3), None, &[]))
                .collect::<Vec<_>>(),
        )
    };
    let read = |store: &LogStore| store.arena.recipients_read.get();
    store.append(batch(0));
    let before = read(&store);
    let first = store.top_values(TopField::RecipientDomain, 10);
    // Domains are counted by their string ids: no recipient is read.
    assert_eq!(read(&store) - before, 0);
    // Asked again with nothing new: no record read, the same list.
    let before = read(&store);
    assert_eq!(store.top_values(TopField::RecipientDomain, 10), first);
    assert_eq!(read(&store), before);
    // 40 more, 10 of the first evicted (cap 50): the 40 new ones counted,
    // and the 10 leaving taken off.
    store.append(batch(20));
    store.append(batch(40));
    let before = read(&store);
    let top = store.top_values(TopField::RecipientDomain, 10);
    assert_eq!(read(&store) - before, 0);
    assert_eq!(top.matches, 50);
    let count = |top: &TopValues, domain: &str| {
        top.rows
            .iter()
            .find(|r| r.value == domain)
            .map_or(0, |r| r.count)
    };
    // Records 10 to 59: 16 of x0.io, 17 of x1.io, 17 of x2.io.
    assert_eq!(count(&top, "x0.io"), 16);
    assert_eq!(count(&top, "x1.io"), 17);
    assert_eq!(count(&top, "x2.io"), 17);
    // A filter change counts once more from the start.
    store.set_filter(&parse("to:@x1.io").unwrap(), NOW);
    let top = store.top_values(TopField::RecipientDomain, 10);
    assert_eq!(top.matches, store.match_count());
    assert_eq!(top.rows.len(), 1);
    assert_eq!(top.rows[0].value, "x1.io");
}

proptest! {
    #[test]
    fn incremental_counts_equal_a_recount(
        batches in prop::collection::vec(
            prop::collection::vec(
                (
                    prop::sample::select(vec!["a@Gmail.com", "b@gmail.com", "c@x.io", "d", "e@ÉTÉ.fr", "f@"]),
                    prop::option::of(prop::sample::select(vec![
                        "550 5.7.1 [1.2.3.4] no", "550 5.7.1 [5.6.7.8] no", "250 ok", "",
                    ])),
                    prop::collection::vec(prop::sample::select(vec!["news", "x"]), 0..3),
                ),
                0..15,
            ),
            1..6,
        ),
        cap in 1usize..40,
        field in prop::sample::select(TopField::ALL.to_vec()),
        filters in prop::collection::vec(
            prop::sample::select(vec!["", "to:@gmail.com", "-tag:x", "smtp:550", "type:delivered"]),
            1..3,
        ),
    ) {
        let mut store = LogStore::new(cap);
        let mut all = Vec::new();
        let mut n = 0u64;
        let mut filter = parse(filters[0]).unwrap();
        store.set_filter(&filter, NOW);
        for (b, batch) in batches.into_iter().enumerate() {
            let batch: Vec<LogRecord> = batch
                .into_iter()
                .map(|(to, smtp, tags)| {
                    n += 1;
                    record(n, to, smtp, &tags)
                })
                .collect();
            all.extend(batch.clone());
            store.append(LogBatch::from(batch));
            // A filter change between batches.
            if b % 2 == 1 {
                filter = parse(filters[b / 2 % filters.len()]).unwrap();
                store.set_filter(&filter, NOW);
            }
            let top = store.top_values(field, usize::MAX);
            let held: Vec<&LogRecord> = all[all.len().saturating_sub(cap)..]
                .iter()
                .filter(|r| filter.matches(&r.borrowed(), NOW))
                .collect();
            prop_assert_eq!(top.matches, held.len());
            prop_assert_eq!(as_map(&top), naive(field, &held));
            let mut fresh = LogStore::new(cap);
            fresh.set_filter(&filter, NOW);
            fresh.append(LogBatch::from(held.iter().map(|r| (*r).clone()).collect::<Vec<_>>()));
            prop_assert_eq!(&fresh.top_values(field, usize::MAX), &top);
        }
    }
}
