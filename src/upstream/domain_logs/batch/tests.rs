//! The batch reader against serde_json and by hand.

use super::*;
use proptest::prelude::*;

const REC: &str = r#"{"id":"a1","timestamp":"2026-05-27T10:15:00.250Z","event_type":"bounced","sender":"s@x","recipient":"r\u0040y","subject":"Hi","tags":["t","\"q\""],"message_id":"<m>","smtp_response":"550","ip":null,"mystery":{"k":1}}"#;

fn parse(text: &str) -> (Option<LogBatch>, Vec<String>) {
    let mut bad = Vec::new();
    match parse_data(text.to_string(), 0, false, &mut bad) {
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
        r.extra.to_vec(),
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

/// An unknown field's value: scalars (read without serde_json's
/// deserializer), valid or not, and anything else.
fn mystery() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
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
        "18446744073709551615",
        "12345678901234567890",
        "9223372036854775808",
        "-9223372036854775808",
        "-9223372036854775809",
        "-12",
        "-0",
        "-01",
        "7 ",
        "3x",
        "true",
        "false",
        "null",
        "nul",
        "\"text\"",
        "\"caf\\u00e9\"",
        "\"\"",
        "[1,2]",
    ])
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
        "\"complained\"",
        "null",
        "\"b\\u006funced\"",
        "7",
    ]);
    let tags = tags_value();
    let mystery = mystery();
    // Ids as other servers write them: strings, integers, and what
    // serde_json reads as floats or refuses.
    let id = prop::sample::select(vec![
        "7",
        "-7",
        "0",
        "-0",
        "1.5",
        "1e3",
        "007",
        "99999999999999999999",
    ]);
    (
        key,
        (string_value(), id, any::<bool>()),
        timestamp,
        event_type,
        tags,
        mystery,
        (ws(), ws()),
    )
        .prop_map(
            |(key, (string, id, numeric_id), timestamp, event_type, tags, mystery, (ws1, ws2))| {
                let value = match key {
                    "id" if numeric_id => id.to_string(),
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

pub(super) fn batch_text() -> impl Strategy<Value = String> {
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
        let scanned = outcome(parse_data(text.clone(), 0, false, &mut bad), bad);
        let mut bad = Vec::new();
        let by_serde = outcome(parse_data_by_serde(text.clone(), 0, false, &mut bad), bad);
        proptest::prop_assert_eq!(scanned, by_serde, "{}", text);
    }
}

/// A record another server may write: valid known fields and unknown
/// ones in any order and spacing, ids and unknown values of every kind
/// (mostly valid, so that the record reaches the end of its reading).
pub(super) fn other_server_record() -> impl Strategy<Value = String> {
    let id = prop::sample::select(vec!["\"evt_1\"", "\"e\\/1\"", "7", "-7", "0", "1.5", "-0"]);
    let known = (
        id,
        prop::sample::select(vec![
            "\"2026-12-05T20:27:42Z\"",
            "\"2026-12-05T20:27:42.5Z\"",
        ]),
        prop::sample::select(vec!["\"delivered\"", "\"complained\"", "null"]),
        prop::sample::select(vec!["\"s\\/x@y\"", "\"caf\\u00e9\"", "null", "\"plain\""]),
        prop::sample::select(vec!["[]", "null", "[\"a\", \"b\\/c\"]"]),
        prop::sample::select(vec!["null", "\"250 OK\"", "\"5\\u00e9\""]),
    )
        .prop_map(|(id, ts, ev, sender, tags, smtp)| {
            vec![
                format!("\"id\":{id}"),
                format!("\"timestamp\":{ts}"),
                format!("\"event_type\":{ev}"),
                format!("\"sender\":{sender}"),
                format!("\"tags\":{tags}"),
                format!("\"smtp_response\":{smtp}"),
            ]
        });
    let unknown = prop::collection::vec(
        (
            prop::sample::select(vec!["attempt", "size_bytes", "x"]),
            mystery(),
        ),
        0..4,
    );
    (known, unknown, ws(), ws(), any::<u64>()).prop_map(|(mut fields, unknown, ws1, ws2, seed)| {
        fields.extend(unknown.into_iter().map(|(k, v)| format!("\"{k}\":{v}")));
        // A permutation of the fields by the seed.
        let mut order = Vec::new();
        let mut seed = seed;
        while !fields.is_empty() {
            let at = (seed % fields.len() as u64) as usize;
            seed = seed / fields.len() as u64 + 1;
            order.push(fields.remove(at).replacen(':', &format!("{ws1}:{ws2}"), 1));
        }
        format!("{{{ws1}{}{ws2}}}", order.join(&format!("{ws1},{ws2}")))
    })
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

    /// Records of another server's shape: what the scanner reads in place
    /// (unknown scalars, integer ids, unknown event types) is what
    /// serde_json reads.
    #[test]
    fn another_servers_records_read_as_serde_json_reads_them(
        records in prop::collection::vec(other_server_record(), 1..4),
        ws in ws(),
    ) {
        let text = format!("{{\"data\":[{}]}}", records.join(&format!(",{ws}")));
        let mut bad = Vec::new();
        let scanned = outcome(parse_data(text.clone(), 0, false, &mut bad), bad);
        let mut bad = Vec::new();
        let by_serde = outcome(parse_data_by_serde(text.clone(), 0, false, &mut bad), bad);
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

/// `value` as JSON with `comma` and `colon` between items, every `/`
/// escaped and everything beyond ASCII as `\u` escapes when `escaped`: a
/// server's way of writing what another writes plainly.
fn written(value: &serde_json::Value, comma: &str, colon: &str, escaped: bool) -> String {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            let items: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("\"{k}\"{colon}{}", written(v, comma, colon, escaped)))
                .collect();
            format!("{{{}}}", items.join(comma))
        }
        Value::Array(items) => {
            let items: Vec<String> = items
                .iter()
                .map(|v| written(v, comma, colon, escaped))
                .collect();
            format!("[{}]", items.join(comma))
        }
        Value::String(s) if escaped => {
            let mut out = String::new();
            for c in serde_json::to_string(s).unwrap().chars() {
                match c {
                    '/' => out.push_str("\\/"),
                    c if c.is_ascii() => out.push(c),
                    c => {
                        for unit in c.encode_utf16(&mut [0; 2]) {
                            out.push_str(&format!("\\u{unit:04x}"));
                        }
                    }
                }
            }
            out
        }
        other => other.to_string(),
    }
}

#[test]
fn any_order_spacing_and_escaping_gives_the_same_records() {
    use serde_json::{Value, json};
    let records = [
        json!({"id": "evt_1", "timestamp": "2026-12-05T20:27:42Z", "event_type": "delivered",
            "sender": "café@bulk.example.com", "recipient": "josé.larsen13@yahoo.co.jp",
            "subject": "50/50 \"sale\" \\ ends 😀", "tags": ["promo", "sale/autumn"],
            "message_id": "<1720a.0@mx>", "smtp_response": "250 2.0.0 OK", "ip": "203.0.113.85",
            "user_agent": "Mozilla/5.0", "url": "https://shop.example.com/p/1?utm=mail",
            "attempt": 1, "size_bytes": 12660, "flag": false, "note": null, "delta": -5}),
        json!({"id": 42, "timestamp": "2026-12-05T20:27:43.5Z", "event_type": "complained",
            "sender": "news@bulk.example.com", "recipient": "li.kim@web.de", "subject": "Hi",
            "tags": [], "message_id": "<m2>", "smtp_response": null, "ip": null,
            "user_agent": null, "url": null, "ratio": 0.25, "meta": {"k": [1, "é"]}}),
        json!({"id": "evt_3", "timestamp": "2026-12-05T20:27:44.120Z", "event_type": null,
            "sender": "", "recipient": "r@x", "subject": "Tab\there", "tags": null,
            "message_id": ""}),
    ];
    type Fields = Vec<(String, Value)>;
    let reordered = |order: fn(Fields) -> Fields| {
        records
            .iter()
            .map(|r| {
                let fields = r.as_object().unwrap().clone().into_iter().collect();
                Value::Object(order(fields).into_iter().collect())
            })
            .collect::<Vec<_>>()
    };
    let as_sent = reordered(|fields| fields);
    let reversed = reordered(|mut fields| {
        fields.reverse();
        fields
    });
    let rotated = reordered(|mut fields| {
        fields.rotate_left(5);
        fields
    });
    let shapes = [
        written(&json!({ "logs": as_sent }), ",", ":", false),
        written(&json!({ "data": reversed }), ", ", ": ", true),
        written(&json!(rotated), ",\r\n\t", " : ", true),
        written(&json!({ "logs": reversed }), " ,\n", ":\r\n", false),
    ];
    let expected = parse_data_by_serde(shapes[0].clone(), 0, false, &mut Vec::new());
    let (_, expected, _) = outcome(expected, Vec::new());
    assert_eq!(expected.len(), 3);
    assert_eq!(expected[1].id, "42");
    assert_eq!(expected[1].event_type, Some(LogEventType::Other));
    for shape in shapes {
        let (batch, bad) = parse(&shape);
        assert!(bad.is_empty(), "{bad:?}");
        let mut got = batch.unwrap().to_records();
        let mut want = expected.clone();
        // The unknown fields come in the order they were written.
        for r in got.iter_mut().chain(want.iter_mut()) {
            r.extra.sort_by(|a, b| a.0.cmp(&b.0));
        }
        assert_eq!(got, want, "{shape}");
    }
}

#[test]
fn unknown_scalars_are_read_as_serde_json_reads_them() {
    let text = r#"[{"id":"a","timestamp":"2026-12-05T20:27:42Z","u":18446744073709551615,"i":-9223372036854775808,"f":-0,"e":1e2,"s":"x\/y","t":true,"n":null}]"#;
    let (batch, bad) = parse(text);
    assert!(bad.is_empty());
    let extra = batch.unwrap().to_records().remove(0).extra;
    let by_serde: serde_json::Value = serde_json::from_str(&text[1..text.len() - 1]).unwrap();
    for (name, value) in &extra {
        assert_eq!(Some(value), by_serde.get(name), "{name}");
    }
    assert_eq!(extra.len(), 7);
    assert!(extra[2].1.is_f64(), "-0 is a float to serde_json");
}

/// The scanner reads a record's keys by comparing them with the record
/// before's: records that depart from it anywhere (more space, a key
/// fewer or more, another order, a key's name a prefix of the one
/// before's, a duplicate) read as serde_json reads them.
#[test]
fn records_that_depart_from_the_one_before_read_as_serde_json_reads_them() {
    let first = r#"{"n": 1, "id": "a", "timestamp": "2026-12-05T20:27:42Z", "sender": "s"}"#;
    let departures = [
        first,
        r#"{"n": 2, "id": "b", "timestamp": "2026-12-05T20:27:42Z", "sender": "t"}"#,
        r#"{"n":  3, "id": "c", "timestamp": "2026-12-05T20:27:42Z", "sender": "u"}"#,
        r#"{"n": 4, "id": "d", "timestamp": "2026-12-05T20:27:42Z"}"#,
        r#"{"n": 5, "id": "e", "timestamp": "2026-12-05T20:27:42Z", "sender": "v", "m": [1]}"#,
        r#"{"id": "f", "n": 6, "timestamp": "2026-12-05T20:27:42Z", "sender": "w"}"#,
        r#"{"nn": 7, "id": "g", "timestamp": "2026-12-05T20:27:42Z", "sender": "x"}"#,
        r#"{"n": 8, "id": "h", "timestamp": "2026-12-05T20:27:42Z", "id": "i"}"#,
        r#"{"n": 9, "id": "j", "timestamp": "2026-12-05T20:27:42Z" , "sender": "y" }"#,
        r#"{ }"#,
        first,
    ];
    for (i, second) in departures.iter().enumerate() {
        let text = format!("{{\"data\": [{first}, {second}, {first}]}}");
        let mut bad = Vec::new();
        let scanned = outcome(parse_data(text.clone(), 0, false, &mut bad), bad);
        let mut bad = Vec::new();
        let by_serde = outcome(parse_data_by_serde(text.clone(), 0, false, &mut bad), bad);
        assert_eq!(scanned, by_serde, "{i}: {text}");
        assert_eq!(scanned.1.len(), if i == 9 { 2 } else { 3 }, "{i}");
    }
}
