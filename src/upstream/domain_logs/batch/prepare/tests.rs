//! The store-ready form against the records it came from: capped,
//! cleaned, repeated strings once, recipients in the column's form.

use super::*;
use crate::model::log::batch::Tags;
use crate::model::log::store_ready::{HOT, RECORD_END, SMTP_AFTER_GROUP};
use crate::model::{LogEventType, LogRecord};

/// The batch of `json` and its store-ready form, as the client makes it.
fn cleaned(json: &str) -> (LogBatch, StoreReady) {
    let mut bad = Vec::new();
    match super::super::parse_data(json.to_string(), 0, true, &mut bad) {
        super::super::ParsedEvent::Records(batch) => {
            assert!(bad.is_empty(), "{bad:?}");
            let cleaned = (*batch.ready).clone();
            (batch, cleaned)
        }
        _ => panic!("not a batch: {json}"),
    }
}

/// The reference [`store_ready`] is held to: every string of each record's
/// borrowed view cleaned and capped, with nothing known of where it lies.
fn by_views(batch: &LogBatch) -> StoreReady {
    let mut out = StoreReady {
        records: Vec::with_capacity(batch.len()),
        recipients: Vec::with_capacity(recipient_bytes(batch)),
        ..StoreReady::default()
    };
    let mut texts = Texts::for_batch(batch);
    let mut dedup = Dedup::default();
    let mut joined = String::new();
    let join = |out: &mut String, tags: Tags<'_>, clean: bool| {
        for (i, tag) in tags.iter().enumerate() {
            if i > 0 {
                out.push(SEPARATOR);
            }
            match clean {
                true => out.push_str(&clean_field(tag)),
                false => out.push_str(tag),
            }
        }
    };
    for record in batch.iter() {
        let sender = dedup.index(&mut out.strings, SENDER, record.sender, || {
            changed(record.sender, clean_field(record.sender))
        });
        let subject = dedup.index(&mut out.strings, SUBJECT, record.subject, || {
            changed(record.subject, clean_field(record.subject))
        });
        joined.clear();
        join(&mut joined, record.tags, false);
        let separators = joined.bytes().filter(|&b| b == SEPARATOR as u8).count();
        if separators > record.tags.len().saturating_sub(1) {
            joined.clear();
            join(&mut joined, record.tags, true);
        }
        let tags = dedup.index(&mut out.strings, TAGS, &joined, || {
            let mut text = String::with_capacity(joined.len());
            join(&mut text, record.tags, true);
            (text != joined).then_some(text)
        });
        let recipient = clean_field(record.recipient);
        let recipient_mask = narrow_char_mask(&recipient);
        let (recipient_at, recipient_domain, cased) =
            push_recipient(&mut out, &mut dedup, &recipient);
        let mut flags = if cased { RECIPIENT_IN_TEXT } else { 0 };
        let smtp = record.smtp_response.map(clean_field);
        let ip = record.ip.map(clean_field);
        let url = record.url.map(clean_field);
        let agent = record.user_agent.map(clean_field);
        for (present, flag) in [
            (smtp.is_some(), HAS_SMTP),
            (url.is_some(), HAS_URL),
            (agent.is_some(), HAS_USER_AGENT),
        ] {
            if present {
                flags |= flag;
            }
        }
        let split = smtp.as_deref().map(SmtpSplit::of);
        flags |= split.as_ref().map_or(0, SmtpSplit::flag);
        let kept = smtp
            .as_deref()
            .zip(split.as_ref())
            .map(|(smtp, split)| split.kept(smtp));
        let hot_at = texts.push_hot(cased.then_some(&*recipient), kept);
        texts.push_cold(
            [
                &clean_field(record.id),
                &clean_field(record.message_id),
                url.as_deref().unwrap_or_default(),
                agent.as_deref().unwrap_or_default(),
            ],
            record.extra.iter(),
        );
        let smtp_group = match (&smtp, &split) {
            (Some(smtp), Some(split)) if !split.group.is_empty() => dedup.index(
                &mut out.strings,
                SMTP_GROUP,
                &smtp[split.group.clone()],
                || None,
            ),
            _ => NO_STRING,
        };
        let ip = match ip {
            Some(ip) => dedup.index(&mut out.strings, IP, &ip, || None),
            None => NO_STRING,
        };
        out.records.push(ReadyRecord {
            timestamp_ms: record.timestamp_ms,
            sender,
            subject,
            tags,
            smtp_group,
            hot_at,
            recipient_at,
            recipient_domain,
            recipient_mask,
            ip,
            event_type: record.event_type,
            flags,
        });
    }
    texts.finish(&mut out);
    out
}

fn record(subject: &str, recipient: &str) -> String {
    format!(
        r#"{{"id":"a","timestamp":"2026-05-27T10:15:00Z","sender":"s@x","recipient":"{recipient}","subject":"{subject}","tags":["t","u"],"message_id":"<m>","ip":"10.0.0.1"}}"#
    )
}

impl StoreReady {
    /// A record's recipient: from its hot entry where it has capitals,
    /// else from the recipients (lowercased) and its domain.
    fn recipient(&self, record: &ReadyRecord) -> String {
        if record.flags & RECIPIENT_IN_TEXT != 0 {
            let entry = self.hot.get(record.hot_at as usize..).unwrap_or_default();
            let cased = HotEntry::field(entry, HotEntry::RECIPIENT);
            return String::from_utf8_lossy(cased).into_owned();
        }
        let from = self
            .recipients
            .get(record.recipient_at as usize..)
            .unwrap_or_default();
        let local = &from[..from.iter().position(|&b| b == RECIPIENT_END).unwrap()];
        let domain = match record.recipient_domain {
            NO_STRING => "",
            i => &self.strings[i as usize].key,
        };
        format!("{}{domain}", String::from_utf8_lossy(local))
    }

    /// Record `index`'s hot entry without its recipient: its SMTP
    /// response; empty when it has none.
    fn hot_fields(&self, index: usize) -> String {
        let record = &self.records[index];
        if record.flags & HOT == 0 {
            return String::new();
        }
        let entry = &self.hot[record.hot_at as usize..];
        let end = entry.iter().position(|&b| b == RECORD_END).unwrap();
        let entry = std::str::from_utf8(&entry[..end]).unwrap();
        entry.split_once(SEPARATOR).unwrap().1.to_string()
    }

    /// Record `index`'s cold entry: id, message id, URL, unknown fields.
    fn cold_entry(&self, index: usize) -> String {
        let cold = self.cold.unpack();
        cold.split(RECORD_END as char)
            .nth(index)
            .unwrap()
            .to_string()
    }
}

/// Subject, tags, and every text field of record `index` in one string:
/// recipient, id, message id, SMTP response, IP, URL and unknown fields,
/// each before a separator.
fn strings_of(cleaned: &StoreReady, index: usize) -> (String, String, String) {
    let record = &cleaned.records[index];
    let text = |i: u32| {
        let s = &cleaned.strings[i as usize];
        s.cleaned.as_deref().unwrap_or(&s.key).to_string()
    };
    let cold = cleaned.cold_entry(index);
    let mut cold = cold.split(SEPARATOR);
    let (id, message_id, url, extra) = (
        cold.next().unwrap(),
        cold.next().unwrap(),
        cold.next().unwrap(),
        cold.next().unwrap(),
    );
    let smtp = cleaned.hot_fields(index);
    let ip = match record.ip {
        NO_STRING => String::new(),
        i => text(i),
    };
    let details = format!(
        "{}\u{1f}{id}\u{1f}{message_id}\u{1f}{smtp}\u{1f}{ip}\u{1f}{url}\u{1f}{extra}",
        cleaned.recipient(record)
    );
    (text(record.subject), text(record.tags), details)
}

#[test]
fn a_plain_batch_is_only_capped_and_an_escaped_one_is_cleaned() {
    let long = "x".repeat(MAX_FIELD_BYTES * 2);
    let json = format!(
        r#"{{"logs":[{},{}]}}"#,
        record(&long, &long),
        record("Hi", "r@y")
    );
    let (_, plain) = cleaned(&json);
    let (subject, tags, details) = strings_of(&plain, 0);
    let capped = format!("{}…", "x".repeat(MAX_FIELD_BYTES));
    assert_eq!(subject, capped);
    assert_eq!(tags, "t\u{1f}u");
    assert_eq!(
        details,
        format!("{capped}\u{1f}a\u{1f}<m>\u{1f}\u{1f}10.0.0.1\u{1f}\u{1f}")
    );
    // The IP is one of the strings, not in the hot text.
    assert_eq!(plain.records[0].flags, 0);
    assert_ne!(plain.records[0].ip, NO_STRING);
    // No `@`: all of it in the recipients column.
    assert_eq!(plain.records[0].recipient_domain, NO_STRING);
    assert_eq!(plain.recipient(&plain.records[0]), capped);
    assert_eq!(plain.recipient(&plain.records[1]), "r@y");

    // The same records with escapes the text shows only as `\u001b`:
    // the side buffer holds what they stand for, and that is cleaned.
    let json = format!(
        r#"{{"logs":[{},{}]}}"#,
        record(&long, &long),
        record(r"H\u001b[31mi", r"r\u0007@y")
    );
    let (_, mixed) = cleaned(&json);
    assert_eq!(strings_of(&mixed, 0).0, capped);
    assert_eq!(strings_of(&mixed, 1).0, "Hi");
    assert_eq!(mixed.recipient(&mixed.records[1]), "r@y");
}

use proptest::prelude::*;

/// A string of a plain batch: short ones from a few letters, so that
/// they repeat; now and then one longer than the cap.
fn plain_string() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => "[ab ]{0,3}",
        4 => "[a-z0-9@.<> +#-]{0,40}",
        1 => (MAX_FIELD_BYTES - 2..MAX_FIELD_BYTES + 3).prop_map(|n| "x".repeat(n)),
    ]
}

fn plain_record() -> impl Strategy<Value = LogRecord> {
    let optional = || proptest::option::of(plain_string());
    (
        (
            plain_string(),
            plain_string(),
            plain_string(),
            plain_string(),
        ),
        (plain_string(), prop::collection::vec("[ab]{0,2}", 0..3)),
        (optional(), optional(), optional(), optional()),
    )
        .prop_map(
            |((id, sender, recipient, subject), (message_id, tags), (smtp, ip, agent, url))| {
                LogRecord {
                    id,
                    timestamp_ms: 1_780_000_000_000,
                    event_type: Some(LogEventType::Delivered),
                    sender,
                    recipient,
                    subject,
                    tags,
                    message_id,
                    smtp_response: smtp,
                    ip,
                    user_agent: agent,
                    url,
                    extra: Vec::new(),
                }
            },
        )
}

proptest::proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// The plain batch's shortcut changes the speed, not the result.
    #[test]
    fn a_plain_batch_is_cleaned_as_any_batch_is(
        records in prop::collection::vec(plain_record(), 0..12),
    ) {
        let json = serde_json::json!({ "logs": records }).to_string();
        let (batch, cleaned) = cleaned(&json);
        prop_assert_eq!(&cleaned, &by_views(&batch));
    }
}

#[test]
fn raw_text_outside_printable_ascii_is_cleaned_wherever_it_is() {
    // C1 controls and a bidi override are raw UTF-8 in the JSON (no
    // escape for the scanner to stop at): the scanner must see them.
    for raw in ["a\u{85}b", "x\u{202e}y", "\u{9b}31m", "ok\u{7f}"] {
        let drawn = clean_field(raw);
        assert_ne!(drawn, raw, "{raw:?} needs cleaning");
        for at in [0, 17] {
            let padded = format!("{}{raw}", "p".repeat(at));
            let json = format!(r#"{{"logs":[{}]}}"#, record(&padded, &padded));
            let (_, cleaned) = cleaned(&json);
            let want = clean_field(&padded);
            assert_eq!(strings_of(&cleaned, 0).0, want);
            assert_eq!(cleaned.recipient(&cleaned.records[0]), want);
        }
    }
}

#[test]
fn strings_differing_in_any_byte_or_length_are_different() {
    for len in 0..40 {
        let a: Vec<u8> = (0..len as u8).map(|i| b'a' + i % 26).collect();
        assert!(same_bytes(&a, &a.clone()), "{len}");
        for at in 0..len {
            let mut b = a.clone();
            b[at] ^= 0x20;
            assert!(!same_bytes(&a, &b), "byte {at} of {len}");
        }
        assert!(!same_bytes(&a, &a[..len.saturating_sub(1)]) || len == 0);
    }
}

#[test]
fn repeated_strings_are_kept_once_and_retain_keeps_both_forms_in_step() {
    let json = format!(
        r#"{{"logs":[{},{},{}]}}"#,
        record("A", "1@y"),
        record("B", "2@y"),
        record("A", "3@Y").replace(r#""id":"a""#, r#""id":"c""#)
    );
    let (mut batch, cleaned) = cleaned(&json);
    // s@x, A, t+u, y (every recipient's domain, lowercased), the IP, B.
    assert_eq!(cleaned.strings.len(), 6);
    assert_eq!(cleaned.records[0].subject, cleaned.records[2].subject);
    assert_eq!(cleaned.records[0].ip, cleaned.records[1].ip);
    assert_eq!(
        cleaned.records[0].recipient_domain,
        cleaned.records[2].recipient_domain
    );
    batch.retain(&[true, false, true]);
    let recipients: Vec<String> = batch.iter().map(|r| r.recipient.to_string()).collect();
    let cleaned = batch.into_store_ready();
    let kept: Vec<String> = cleaned
        .records
        .iter()
        .map(|r| cleaned.recipient(r))
        .collect();
    assert_eq!(recipients, ["1@y", "3@Y"]);
    assert_eq!(kept, ["1@y", "3@Y"]);
    // The recipients and the cold entries are found by their order (a
    // filter's sweep counts the recipients): the dropped record's are gone.
    // Each through its `@`: the domain is a string.
    assert_eq!(cleaned.recipients, b"1@\x1f3@\x1f");
    assert!(cleaned.cold_entry(1).starts_with("c\u{1f}"));
    // Its hot entry is its recipient with capitals alone.
    assert_eq!(cleaned.hot_fields(1), "");
    assert_eq!(cleaned.recipient(&cleaned.records[1]), "3@Y");
}

#[test]
fn a_record_with_the_same_hot_entry_as_the_one_before_shares_it() {
    let smtp = |subject, recipient| {
        record(subject, recipient).replace(
            r#""ip":"10.0.0.1""#,
            r#""smtp_response":"250 2.0.0 OK 17 x""#,
        )
    };
    let json = format!(
        r#"{{"logs":[{},{},{}]}}"#,
        smtp("A", "1@y"),
        smtp("B", "2@y"),
        smtp("A", "3@Y")
    );
    let (_, cleaned) = cleaned(&json);
    assert_eq!(cleaned.records[0].hot_at, cleaned.records[1].hot_at);
    assert_ne!(cleaned.records[1].hot_at, cleaned.records[2].hot_at);
    assert_eq!(
        cleaned.hot,
        "\u{1f} 17 x\u{1e}3@Y\u{1f} 17 x\u{1e}".as_bytes()
    );
    assert_eq!(cleaned.recipient(&cleaned.records[2]), "3@Y");
}

/// The hot entry keeps what follows an SMTP response's group, on both
/// cleaning paths; a response with nothing after its group takes no room.
#[test]
fn an_smtp_response_is_kept_after_its_group() {
    for escaped in [false, true] {
        let smtp = |response: &str| {
            let response = if escaped {
                response.replace('O', "\\u004f")
            } else {
                response.to_string()
            };
            record("A", "1@y").replace(
                r#""ip":"10.0.0.1""#,
                &format!(r#""smtp_response":"{response}""#),
            )
        };
        let json = format!(
            r#"{{"logs":[{},{},{}]}}"#,
            smtp("250 2.0.0 OK 17 x - gsmtp"),
            smtp("250 2.6.0 Queued mail for delivery"),
            smtp(" 250 OK 9")
        );
        let (_, cleaned) = cleaned(&json);
        let group = |i: usize| &*cleaned.strings[cleaned.records[i].smtp_group as usize].key;
        let after = |i: usize| cleaned.records[i].flags & SMTP_AFTER_GROUP != 0;
        assert_eq!((group(0), after(0)), ("250 2.0.0 OK", true));
        assert_eq!(cleaned.hot_fields(0), " 17 x - gsmtp");
        assert_eq!(group(1), "250 2.6.0 Queued mail for delivery");
        assert_eq!(cleaned.hot_fields(1), "");
        // A space before the group: kept whole, its group counted still.
        assert!(!after(2));
        assert_eq!(group(2), "250 OK");
        assert_eq!(cleaned.hot_fields(2), " 250 OK 9");
    }
}

#[test]
fn bulk_cold_text_is_packed_and_reads_back() {
    let records: Vec<String> = (0..1_000)
        .map(|i| record("A", "1@y").replace(r#""id":"a""#, &format!(r#""id":"evt-{i:08}""#)))
        .collect();
    let (_, cleaned) = cleaned(&format!(r#"{{"logs":[{}]}}"#, records.join(",")));
    // Laid out field by field before it was compressed.
    assert!(matches!(
        cleaned.cold,
        ColdText::Packed { by_field: true, .. }
    ));
    assert!(cleaned.cold.heap_bytes() * 3 < cleaned.cold.plain_len());
    assert_eq!(
        cleaned.cold_entry(999),
        "evt-00000999\u{1f}<m>\u{1f}\u{1f}\u{1f}"
    );
}

#[test]
fn retain_and_truncate_keep_a_packed_batch_in_step() {
    let records: Vec<String> = (0..1_000)
        .map(|i| {
            record("A", &format!("r{i}@y")).replace(r#""id":"a""#, &format!(r#""id":"evt-{i:08}""#))
        })
        .collect();
    let (mut batch, cleaned) = cleaned(&format!(r#"{{"logs":[{}]}}"#, records.join(",")));
    assert!(matches!(cleaned.cold, ColdText::Packed { .. }));
    // Every third record dropped, then the last 100 of those kept.
    let kept: Vec<bool> = (0..1_000).map(|i| i % 3 != 0).collect();
    batch.retain(&kept);
    batch.truncate(batch.len() - 100);
    let ids: Vec<String> = batch.iter().map(|r| r.id.to_string()).collect();
    let ready = batch.into_store_ready();
    assert_eq!(ready.records.len(), ids.len());
    assert!(matches!(ready.cold, ColdText::Packed { .. }));
    let ends = ready
        .recipients
        .iter()
        .filter(|&&b| b == RECIPIENT_END)
        .count();
    assert_eq!(ends, ids.len());
    for (i, id) in ids.iter().enumerate() {
        let n: u32 = id.trim_start_matches("evt-").parse().unwrap();
        assert_eq!(ready.recipient(&ready.records[i]), format!("r{n}@y"));
        assert!(
            ready.cold_entry(i).starts_with(&format!("{id}\u{1f}")),
            "{i}"
        );
    }
}

#[test]
fn a_batch_without_its_raw_records_keeps_and_counts_the_same() {
    let records: Vec<String> = (0..300)
        .map(|i| {
            let typed = format!(
                r#""id":"evt-{i}","event_type":"{}""#,
                ["bounced", "opened"][i % 2]
            );
            record("A", &format!("r{i}@y")).replace(r#""id":"a""#, &typed)
        })
        .collect();
    let (mut whole, _) = cleaned(&format!(r#"{{"logs":[{}]}}"#, records.join(",")));
    let ids = std::collections::hash_map::RandomState::new();
    whole.find_keys(&ids);
    let mut shed = whole.clone();
    shed.shed_raw();
    assert!(!shed.has_raw_records() && whole.has_raw_records());
    assert!(shed.text.is_empty() && shed.records.is_empty() && shed.extras.is_empty());
    assert_eq!(shed.len(), 300);
    assert!(shed.times().eq(whole.times()));
    assert_eq!(shed.take_keys(&ids), whole.take_keys(&ids));
    let kept: Vec<bool> = (0..300).map(|i| i % 5 != 0).collect();
    for batch in [&mut whole, &mut shed] {
        batch.retain(&kept);
        batch.truncate(200);
    }
    assert_eq!(shed.len(), 200);
    assert!(shed.times().eq(whole.times()));
    assert_eq!(shed.into_store_ready(), whole.into_store_ready());
}

#[test]
fn an_unprepared_batch_keeps_its_raw_records() {
    let mut bad = Vec::new();
    let json = format!(r#"{{"logs":[{}]}}"#, record("A", "r@y"));
    let super::super::ParsedEvent::Records(mut batch) =
        super::super::parse_data(json, 0, false, &mut bad)
    else {
        panic!("not a batch");
    };
    batch.find_keys(&std::collections::hash_map::RandomState::new());
    batch.shed_raw();
    assert!(batch.has_raw_records());
    assert_eq!(batch.iter().count(), 1);
}

/// A string of any batch: plain or short ones that repeat, text beyond
/// ASCII, controls, escape sequences, bidi overrides, the separator, and
/// now and then one longer than the cap.
fn any_string() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => "[ab ]{0,3}",
        3 => "[a-z0-9@./<> +#-]{0,30}",
        3 => "[aé/\u{1b}\u{1f}\u{85}\u{202e}\t\n]{0,6}",
        1 => any::<String>(),
        1 => (MAX_FIELD_BYTES - 2..MAX_FIELD_BYTES + 3).prop_map(|n| "é".repeat(n / 2)),
        1 => (MAX_FIELD_BYTES - 2..MAX_FIELD_BYTES + 3).prop_map(|n| "x".repeat(n)),
    ]
}

/// An unknown field's value, of every JSON type.
fn any_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::{Value, json};
    let scalar = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-1e6f64..1e6).prop_map(Value::from),
        any_string().prop_map(Value::String),
    ];
    scalar.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            (any_string(), inner).prop_map(|(k, v)| json!({ k: v })),
        ]
    })
}

fn any_record() -> impl Strategy<Value = LogRecord> {
    let optional = || proptest::option::of(any_string());
    (
        (any_string(), any_string(), any_string(), any_string()),
        (any_string(), prop::collection::vec(any_string(), 0..3)),
        (optional(), optional(), optional(), optional()),
        // Names no known field has (a known one would come twice).
        prop::collection::vec(("x_[a-z\u{1b}é]{0,5}", any_value()), 0..3),
    )
        .prop_map(
            |(
                (id, sender, recipient, subject),
                (message_id, tags),
                (smtp, ip, agent, url),
                extra,
            )| {
                LogRecord {
                    id,
                    timestamp_ms: 1_780_000_000_000,
                    event_type: Some(LogEventType::Opened),
                    sender,
                    recipient,
                    subject,
                    tags,
                    message_id,
                    smtp_response: smtp,
                    ip,
                    user_agent: agent,
                    url,
                    extra,
                }
            },
        )
}

/// JSON as an `ensure_ascii` encoder writes it (every character beyond
/// ASCII as `\u` escapes, a surrogate pair beyond the BMP), with `/`
/// escaped too: the text is printable ASCII, its side buffer is not.
fn ascii_escaped(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '/' => out.push_str("\\/"),
            c if c.is_ascii() => out.push(c),
            c => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out
}

proptest::proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// Each string is cleaned by where it lies (text or side buffer) and
    /// whether that is plain: the same as cleaning every string of each
    /// record's view, whatever the batch holds and however it is written.
    #[test]
    fn any_batch_is_cleaned_as_by_each_records_view(
        records in prop::collection::vec(any_record(), 0..8),
        escaped in any::<bool>(),
        shape in 0..3u8,
    ) {
        let json = match shape {
            0 => serde_json::json!({ "logs": records }).to_string(),
            1 => serde_json::to_string_pretty(&serde_json::json!({ "data": records })).unwrap(),
            _ => serde_json::to_string(&records).unwrap(),
        };
        let json = if escaped { ascii_escaped(&json) } else { json };
        let (batch, cleaned) = cleaned(&json);
        prop_assert_eq!(batch.len(), records.len());
        prop_assert_eq!(&cleaned, &by_views(&batch));
    }

    /// The same for batches of every shape the scanner and serde_json
    /// read, malformed records skipped.
    #[test]
    fn any_parsed_batch_is_cleaned_as_by_each_records_view(
        text in super::super::tests::batch_text(),
        other in prop::collection::vec(super::super::tests::other_server_record(), 1..4),
    ) {
        let other = format!("{{\"data\": [{}]}}", other.join(", "));
        for text in [text, other] {
            let mut bad = Vec::new();
            if let super::super::ParsedEvent::Records(batch) =
                super::super::parse_data(text, 0, true, &mut bad)
            {
                prop_assert_eq!(&*batch.ready, &by_views(&batch));
            }
        }
    }
}
