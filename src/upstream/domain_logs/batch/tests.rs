//! The batch reader against serde_json and by hand.

use super::*;
use proptest::prelude::*;

const REC: &str = r#"{"id":"a1","timestamp":"2026-05-27T10:15:00.250Z","event_type":"bounced","sender":"s@x","recipient":"r\u0040y","subject":"Hi","tags":["t","\"q\""],"message_id":"<m>","smtp_response":"550","ip":null,"mystery":{"k":1}}"#;

fn parse(text: &str) -> (Option<LogBatch>, Vec<String>) {
    let mut bad = Vec::new();
    match parse_data(text.to_string(), 0, &mut bad) {
        ParsedEvent::Records(batch) => (Some(batch), bad),
        ParsedEvent::Complete | ParsedEvent::Ignore => (None, bad),
    }
}

#[test]
fn strings_are_lent_by_the_text_or_copied_when_escaped() {
    let (batch, bad) = parse(&format!(r#"{{"logs":[{REC},{REC}]}}"#));
    let batch = batch.unwrap();
    assert!(bad.is_empty());
    assert_eq!(batch.len(), 2);
    let r = batch.get(1).unwrap();
    assert_eq!(r.id, "a1");
    assert_eq!(r.recipient, "r@y");
    assert_eq!(r.tags.iter().collect::<Vec<_>>(), ["t", "\"q\""]);
    assert_eq!(r.smtp_response, Some("550"));
    assert_eq!(r.ip, None);
    assert_eq!(
        r.extra,
        [("mystery".to_string(), serde_json::json!({"k":1}))]
    );
    // Only the two escaped strings of each record were copied.
    assert_eq!(batch.spill, "r@y\"q\"r@y\"q\"");
}

#[test]
fn a_bad_record_leaves_nothing_behind() {
    let (batch, bad) = parse(&format!(
        r#"[{{"id":"x","sender":"\u0041","tags":["\u0042"],"timestamp":"never"}},{REC}]"#
    ));
    let batch = batch.unwrap();
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert_eq!(batch.len(), 1);
    assert_eq!(
        batch.get(0).unwrap().to_record(),
        parse(REC).0.unwrap().to_records()[0]
    );
    assert_eq!(batch.tags.len(), 2);
}

#[test]
fn owned_records_round_trip_through_a_batch() {
    let (batch, _) = parse(&format!("[{REC}]"));
    let records = batch.unwrap().to_records();
    let rebuilt = LogBatch::from(records.clone());
    assert_eq!(rebuilt.to_records(), records);
    let json = serde_json::to_string(&records[0]).unwrap();
    let back: LogRecord = serde_json::from_str(&json).unwrap();
    assert_eq!(back, records[0]);
}

/// What a parse came to, comparable.
fn outcome(payload: ParsedEvent, bad: Vec<String>) -> (String, Vec<LogRecord>, Vec<String>) {
    match payload {
        ParsedEvent::Records(batch) => ("records".into(), batch.to_records(), bad),
        ParsedEvent::Complete => ("complete".into(), Vec::new(), bad),
        ParsedEvent::Ignore => ("ignore".into(), Vec::new(), bad),
    }
}

/// JSON whitespace, or none.
fn ws() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["", "", "", " ", "\n", " \t\r\n "])
}

/// A string value: plain, or with what the scanner leaves to serde_json
/// (escapes, raw control characters, which are invalid JSON).
fn string_value() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-zA-Z0-9@.<> +#-]{0,12}".prop_map(|s| format!("\"{s}\"")),
        2 => any::<String>().prop_map(|s| serde_json::to_string(&s).unwrap()),
        3 => prop::collection::vec(escape(), 1..4).prop_map(|parts| format!("\"{}\"", parts.concat())),
        1 => "[a-z]{0,3}[\\x00-\\x1f][a-z]{0,3}".prop_map(|s| format!("\"{s}\"")),
        1 => Just("null".to_string()),
        1 => Just("12".to_string()),
    ]
}

/// Text and escapes as another server may write them, valid or not: every
/// short escape, `\u` in either case, a surrogate pair, and the ones
/// serde_json refuses (a lone surrogate, an unknown letter, too few digits).
fn escape() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "ab",
        "é",
        r#"\""#,
        r"\\",
        r"\/",
        r"\b",
        r"\f",
        r"\n",
        r"\r",
        r"\t",
        r"\u00e9",
        r"\u00E9",
        r"\u0000",
        r"\u001b",
        r"\u2028",
        r"\ud83d\ude00",
        r"\uD83D\uDE00",
        r"\ud800",
        r"\udc00",
        r"\ud800\u0041",
        r"\x",
        r"\u12",
        r"\u12g4",
    ])
    .prop_map(str::to_string)
}

/// A tag list of any [`string_value`]s, or null.
fn tags_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("null".to_string()),
        prop::collection::vec(string_value(), 0..3).prop_map(|t| format!("[{}]", t.join(","))),
    ]
}

/// One `"key":value` pair of a record, known keys most often.
fn entry() -> impl Strategy<Value = String> {
    let key = prop::sample::select(vec![
        "id",
        "id",
        "timestamp",
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
        "mystery",
        "\\u0069d",
    ]);
    let timestamp = prop::sample::select(vec![
        "\"2026-05-27T10:15:00.250Z\"",
        "\"2026-05-27T10:15:00Z\"",
        "\"2026-05-27T12:15:00+02:00\"",
        "\"yesterday\"",
        "\"2026-05-27T10:15:00.250\\u005a\"",
        "1780000000",
    ]);
    let event_type = prop::sample::select(vec![
        "\"bounced\"",
        "\"opened\"",
        "\"teleported\"",
        "null",
        "\"b\\u006funced\"",
    ]);
    let tags = tags_value();
    // An unknown field's value: numbers (read without serde_json's
    // deserializer), valid or not, and anything else.
    let mystery = prop::sample::select(vec![
        "{\"k\":[1,\"}\"]}",
        "12",
        "-0.5e3",
        "2E+2",
        "0",
        "01",
        "-",
        "1.",
        "+1",
        "1e999",
        "18446744073709551616",
        "true",
    ]);
    (
        key,
        string_value(),
        timestamp,
        event_type,
        tags,
        mystery,
        (ws(), ws()),
    )
        .prop_map(
            |(key, string, timestamp, event_type, tags, mystery, (ws1, ws2))| {
                let value = match key {
                    "timestamp" => timestamp.to_string(),
                    "event_type" => event_type.to_string(),
                    "tags" => tags,
                    "mystery" => mystery.to_string(),
                    _ => string,
                };
                format!("\"{key}\"{ws1}:{ws2}{value}")
            },
        )
}

/// A record in the exact shape the service writes (the scanner's
/// straight-line path), its values anything [`string_value`] makes.
fn service_record_text() -> impl Strategy<Value = String> {
    let timestamp = prop::sample::select(vec![
        "\"2026-05-27T10:15:00.250Z\"",
        "\"2026-05-27T10:15:00.250Z\"",
        "\"2026-05-27T10:15:00Z\"",
        "\"yesterday\"",
    ]);
    let event_type = prop::sample::select(vec![
        "\"bounced\"",
        "\"delivered\"",
        "\"teleported\"",
        "null",
    ]);
    let tags = tags_value();
    // Mostly plain, so that whole records take the path; sometimes
    // anything, so that a record leaves it midway.
    let value = || {
        prop_oneof![
            12 => "[a-zA-Z0-9@.<> +#-]{0,20}".prop_map(|s| format!("\"{s}\"")),
            1 => Just("null".to_string()),
            1 => string_value(),
        ]
    };
    let tags = prop_oneof![
        8 => prop::collection::vec(value(), 0..3).prop_map(|t| format!("[{}]", t.join(","))),
        1 => tags,
    ];
    let detail = || proptest::option::of(value());
    (
        (value(), timestamp, event_type, tags),
        (value(), value(), value(), value()),
        (detail(), detail(), detail(), detail()),
    )
        .prop_map(
            |((id, timestamp, event_type, tags), (sender, recipient, subject, message_id), details)| {
                let mut text = format!(
                    "{{\"id\":{id},\"timestamp\":{timestamp},\"event_type\":{event_type},\"sender\":{sender},\"recipient\":{recipient},\"subject\":{subject},\"tags\":{tags},\"message_id\":{message_id}"
                );
                let (smtp, ip, agent, url) = details;
                for (key, value) in [("smtp_response", smtp), ("ip", ip), ("user_agent", agent), ("url", url)] {
                    if let Some(value) = value {
                        text.push_str(&format!(",\"{key}\":{value}"));
                    }
                }
                text.push('}');
                text
            },
        )
}

fn record_text() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => service_record_text(),
        12 => (prop::collection::vec(entry(), 0..9), ws()).prop_map(|(entries, ws)| {
            // Most records have the two keys they need.
            format!(
                "{{{ws}\"id\":\"r\",\"timestamp\":\"2026-05-27T10:15:00.250Z\"{}{}{ws}}}",
                if entries.is_empty() { "" } else { "," },
                entries.join(",")
            )
        }),
        2 => (prop::collection::vec(entry(), 0..9), ws())
            .prop_map(|(entries, ws)| format!("{{{ws}{}{ws}}}", entries.join(&format!("{ws},")))),
        1 => Just("\"a record?\"".to_string()),
        1 => Just("{\"id\":\"r\",\"timestamp\":\"2026-05-27T10:15:00Z\"".to_string()),
    ]
}

fn batch_text() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(record_text(), 0..6),
        ws(),
        ws(),
        prop::sample::select(vec![0u8, 0, 0, 1, 2, 3, 4]),
    )
        .prop_map(|(records, ws1, ws2, frame)| {
            let list = format!("[{ws1}{}{ws1}]", records.join(&format!("{ws2},{ws1}")));
            match frame {
                0 => format!("{ws1}{{{ws2}\"logs\"{ws1}:{ws2}{list}{ws1}}}{ws2}"),
                1 => list,
                2 => format!("{{\"logs\":{list},\"next\":null}}"),
                3 => format!("{{\"logs\":{list}}} trailing"),
                _ => format!("{{\"data\":{list}}}"),
            }
        })
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

    /// The scanner changes the speed, not the result: every batch
    /// parses as serde_json alone parses it.
    #[test]
    fn the_scanner_agrees_with_serde_json(text in batch_text()) {
        let mut bad = Vec::new();
        let scanned = outcome(parse_data(text.clone(), 0, &mut bad), bad);
        let mut bad = Vec::new();
        let by_serde = outcome(parse_data_by_serde(text.clone(), 0, &mut bad), bad);
        proptest::prop_assert_eq!(scanned, by_serde, "{}", text);
    }
}

#[test]
fn retain_and_truncate_keep_the_order() {
    let records: Vec<LogRecord> = (0..10)
        .map(|i| LogRecord {
            id: format!("r{i}"),
            ..LogRecord::default()
        })
        .collect();
    let mut batch = LogBatch::from(records);
    let kept: Vec<bool> = batch.iter().map(|r| r.id != "r3").collect();
    batch.retain(&kept);
    batch.truncate(4);
    let ids: Vec<String> = batch.iter().map(|r| r.id.to_string()).collect();
    assert_eq!(ids, ["r0", "r1", "r2", "r4"]);
}
