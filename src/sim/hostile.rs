//! The hostile corner of the simulated world: `hostile.example.com`'s log
//! stream, and the junk that [`SimConfig::ws_hostile`](super::SimConfig)
//! mixes into the mail WebSockets.
//!
//! Everything a real server (or a mail sender who controls a subject line)
//! could throw at a terminal client: escape sequences that recolour the
//! screen, change the window title, write the clipboard or ask the terminal
//! to answer; C0 and C1 controls; bidi overrides and isolates; zero-width
//! and other invisible characters; wide, emoji and combining text;
//! 10,000-character subjects; records with missing, null, mistyped and
//! unknown fields; a batch that is not JSON; an event and a WebSocket frame
//! over the clients' 1 MiB cap. Tests use the same fixture through
//! [`expected_logs`] and [`nasty_strings`].

use serde_json::{Value, json};

use super::timestamp;
use crate::model::LogRecord;
use crate::model::mail::{InboxCampaign, InboxContact, InboxMail};
use crate::model::{CampaignUpdate, InboxEvent};

/// The hostile demo domain.
pub const DOMAIN: &str = "hostile.example.com";

/// Size of the oversized log event and WebSocket frame: over the clients'
/// default 1 MiB cap.
pub const OVERSIZED_BYTES: usize = (1 << 20) + 64 * 1024;

/// The client cap [`expected_logs`] assumes: the default.
const CLIENT_CAP: usize = 1 << 20;

/// Strings that attack a terminal or a reader, each with a name.
pub fn nasty_strings() -> Vec<(&'static str, String)> {
    let s = |name, text: &str| (name, text.to_string());
    vec![
        s(
            "sgr-colours",
            "\u{1b}[31mRED\u{1b}[0m \u{1b}[41;97mon red\u{1b}[0m \u{1b}[38;5;196m256\u{1b}[48;2;255;0;0mtrue\u{1b}[m \u{1b}[101mbright-bg",
        ),
        s(
            "screen-wreckers",
            "\u{1b}[2J\u{1b}[H\u{1b}[?1049l\u{1b}[?25l\u{1b}[5mblink\u{1b}[8mhidden\u{1b}[7mreverse\u{1b}c\u{1b}[3Jcleared",
        ),
        s("osc0-title-bel", "\u{1b}]0;PWNED-TITLE-BEL\u{7}after-osc0"),
        s("osc2-title-st", "\u{1b}]2;PWNED-TITLE-ST\u{1b}\\after-osc2"),
        // base64 of `rm -rf ~`
        s(
            "osc52-clipboard",
            "\u{1b}]52;c;cm0gLXJmIH4=\u{7}after-osc52",
        ),
        s(
            "osc8-hyperlink",
            "\u{1b}]8;;https://evil.example/\u{1b}\\click me\u{1b}]8;;\u{1b}\\",
        ),
        // XTGETTCAP and DECRQSS: a terminal that obeyed would type its
        // answer into the program's input.
        s(
            "dcs-requests",
            "\u{1b}P+q544e\u{1b}\\\u{1b}P$qm\u{1b}\\after-dcs",
        ),
        s("unterminated-osc", "before\u{1b}]0;never ends"),
        s(
            "c1-controls",
            "\u{9b}31mc1-csi\u{9b}0m \u{9d}0;c1-title\u{9c} \u{85}nel \u{90}c1-dcs\u{9c}x",
        ),
        s(
            "c0-controls",
            "bell\u{7} bs\u{8}\u{8} nul\u{0} vt\u{b} ff\u{c} del\u{7f} cr\rlf\n tab\t so\u{e}si\u{f}",
        ),
        s(
            "bidi",
            "admin\u{202e}gpj.exe\u{202c} \u{2066}isolated\u{2069} \u{200f}rlm \u{202b}rle\u{202c}",
        ),
        s(
            "zero-width",
            "pay\u{200b}pal\u{200d}.com\u{feff}\u{2060}\u{200c}",
        ),
        s(
            "invisible",
            "\u{3164}\u{ad}admin\u{e0001}\u{e0041}\u{e0042}\u{2062}",
        ),
        s("wide-cjk", "件名：週刊ダイジェスト第212号のお知らせ"),
        s("fullwidth", "ｆｕｌｌｗｉｄｔｈ＠ｅｘａｍｐｌｅ．ｏｒｇ"),
        s(
            "emoji",
            "😀 👨\u{200d}👩\u{200d}👧 ❤\u{fe0f} 👍\u{1f3fd} 🇯🇵 0\u{fe0f}\u{20e3}",
        ),
        s(
            "combining",
            "e\u{301}le\u{300}ve Z\u{35b}\u{327}a\u{34f}l\u{336}g\u{489}o",
        ),
    ]
}

fn nasty(name: &str) -> String {
    nasty_strings()
        .into_iter()
        .find(|(n, _)| *n == name)
        .map(|(_, s)| s)
        .unwrap_or_default()
}

/// A subject of exactly `chars` characters built from `unit`.
fn long(unit: &str, chars: usize) -> String {
    unit.chars().cycle().take(chars).collect()
}

/// How a batch of records is wrapped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// `{"logs":[…]}`, what the simulator sends everywhere else.
    Logs,
    /// `{"data":[…]}`
    Data,
    /// `[…]`
    Bare,
}

/// One event of the hostile domain's stream, before filtering.
#[derive(Clone, Debug)]
pub enum LogEvent {
    /// A comment line (`: …`), sent before the next event.
    Comment(String),
    /// Records, each a JSON value that may or may not be a valid record.
    Batch {
        name: String,
        shape: Shape,
        items: Vec<Value>,
    },
    /// An event whose data is sent as is.
    Raw { name: String, data: String },
}

impl LogEvent {
    /// The event's `data:` text for these items.
    pub fn batch_data(shape: Shape, items: &[Value]) -> String {
        let array = Value::Array(items.to_vec());
        match shape {
            Shape::Logs => json!({ "logs": array }).to_string(),
            Shape::Data => json!({ "data": array }).to_string(),
            Shape::Bare => array.to_string(),
        }
    }
}

/// The hostile domain's whole stream (without the completion event), with
/// record times in the hour before `epoch_ms`.
pub fn log_events(epoch_ms: i64) -> Vec<LogEvent> {
    let mut n = 0i64;
    let mut record = |fields: Value| -> Value {
        n += 1;
        let mut r = json!({
            "id": format!("hostile-{n:04}"),
            "timestamp": timestamp::format_ms(epoch_ms - 3_600_000 + n * 60_000 + 123),
            "event_type": "delivered",
            "sender": "news@hostile.example.com",
            "recipient": format!("reader{n}@example.org"),
            "subject": format!("Hostile record {n}"),
            "tags": ["hostile"],
            "message_id": format!("<{n}@hostile.example.com>"),
        });
        if let (Value::Object(map), Value::Object(extra)) = (&mut r, fields) {
            for (k, v) in extra {
                if v == json!("<remove>") {
                    map.remove(&k);
                } else {
                    map.insert(k, v);
                }
            }
        }
        r
    };

    // Escape sequences and controls in every text field.
    let escapes = vec![
        record(json!({
            "event_type": "bounced",
            "sender": nasty("bidi"),
            "recipient": format!("{}victim@example.org", nasty("osc0-title-bel")),
            "subject": nasty("sgr-colours"),
            "tags": [nasty("screen-wreckers"), "t\u{200b}ag"],
            "smtp_response": format!("550 {}", nasty("osc2-title-st")),
        })),
        record(json!({
            "event_type": "clicked",
            "subject": nasty("osc52-clipboard"),
            "url": nasty("osc8-hyperlink"),
            "user_agent": nasty("dcs-requests"),
            "ip": nasty("c1-controls"),
        })),
        record(json!({
            "sender": nasty("c1-controls"),
            "recipient": nasty("c0-controls"),
            "subject": nasty("screen-wreckers"),
        })),
        record(json!({
            "event_type": "opened",
            "sender": nasty("zero-width"),
            "recipient": nasty("invisible"),
            "subject": nasty("osc2-title-st"),
            "tags": [nasty("osc0-title-bel")],
        })),
        record(json!({
            "sender": nasty("dcs-requests"),
            "subject": nasty("unterminated-osc"),
        })),
    ];
    // Text that is wide, joined, combined, or very long.
    let wide = vec![
        record(json!({
            "sender": "山田太郎@例え.jp",
            "recipient": nasty("fullwidth"),
            "subject": nasty("wide-cjk"),
            "tags": ["ニュース", "週刊"],
        })),
        record(json!({
            "event_type": "opened",
            "subject": nasty("emoji"),
            "tags": ["😀", "❤\u{fe0f}"],
        })),
        record(json!({
            "sender": "e\u{301}le\u{300}ve@example.fr",
            "subject": nasty("combining"),
        })),
        record(json!({ "subject": long("Long subject, ten thousand characters. ", 10_000) })),
        record(json!({ "subject": long("漢字かな交じり文", 10_000) })),
        record(json!({ "subject": long("\u{1b}[31mX\u{1b}[0m\u{202e}Y", 10_000) })),
    ];
    // Records a client must keep despite missing, null and unknown fields,
    // and records it must skip and count.
    let fields = vec![
        json!({
            "id": format!("hostile-{:04}", 100),
            "timestamp": timestamp::format_ms(epoch_ms - 1_800_000 + 7),
        }),
        record(json!({
            "sender": null,
            "recipient": null,
            "subject": null,
            "tags": null,
            "message_id": null,
            "event_type": null,
            "smtp_response": null,
        })),
        record(json!({
            "x-hostile": nasty("osc0-title-bel"),
            "nested": { "deep": [nasty("sgr-colours"), { "k": nasty("bidi") }] },
            "score": 1e300,
            "flag": true,
        })),
        record(json!({ "id": 4242, "event_type": format!("exploded{}", nasty("sgr-colours")) })),
        record(json!({
            "id": format!("hostile-id{}", nasty("osc0-title-bel")),
            "message_id": nasty("osc52-clipboard"),
        })),
        // Skipped: each is counted once.
        record(json!({ "id": "<remove>", "subject": "no id" })),
        record(json!({ "timestamp": "<remove>", "subject": "no timestamp" })),
        record(json!({ "timestamp": format!("yesterday{}", nasty("sgr-colours")) })),
        record(json!({ "id": { "nested": "object" } })),
        record(json!({ "tags": "not-a-list" })),
        record(json!({ "subject": 42 })),
        Value::String(nasty("osc0-title-bel")),
    ];
    // Printable ASCII that JSON must escape: a client may copy such text
    // as it is, but for its quotes and backslashes.
    let ascii = vec![
        record(json!({
            "sender": "\"quoted name\"@example.org",
            "subject": r#"He said "hi" \ C:\new\table \u0041 \"#,
            "tags": [r"back\slash", "quo\"te", "\\"],
        })),
        record(json!({
            "event_type": "failed",
            "smtp_response": r#"550 5.1.1 <a\b@example.org>: "no such user""#,
            "url": r"https://example.org/a\/b?q=\u00e9",
        })),
    ];
    let renamed = vec![record(
        json!({ "subject": "in an event of an unknown name" }),
    )];
    let oversized = vec![record(json!({
        "subject": long("oversized ", OVERSIZED_BYTES),
    }))];
    let last = vec![record(
        json!({ "subject": "the last record, after the oversized event" }),
    )];

    vec![
        LogEvent::Comment(format!(" {}", nasty("osc0-title-bel"))),
        LogEvent::Batch {
            name: "logs".into(),
            shape: Shape::Logs,
            items: escapes,
        },
        LogEvent::Batch {
            name: "logs".into(),
            shape: Shape::Logs,
            items: wide,
        },
        LogEvent::Batch {
            name: "logs".into(),
            shape: Shape::Logs,
            items: fields,
        },
        LogEvent::Batch {
            name: "logs".into(),
            shape: Shape::Logs,
            items: ascii,
        },
        // The malformed batch: cut off mid-record.
        LogEvent::Raw {
            name: "logs".into(),
            data: r#"{"logs":[{"id":"cut-off","timestamp":"2026-05-"#.into(),
        },
        LogEvent::Batch {
            name: format!("surprise{}", nasty("sgr-colours")),
            shape: Shape::Data,
            items: renamed,
        },
        LogEvent::Batch {
            name: "logs".into(),
            shape: Shape::Logs,
            items: oversized,
        },
        LogEvent::Batch {
            name: "logs".into(),
            shape: Shape::Bare,
            items: last,
        },
    ]
}

/// What a client with the default 1 MiB cap makes of the whole stream.
#[derive(Clone, Debug)]
pub struct ExpectedLogs {
    /// Every record it must deliver, in order, as parsed.
    pub records: Vec<LogRecord>,
    /// Records skipped for missing or mistyped fields.
    pub skipped_records: usize,
    /// Events that are not JSON.
    pub malformed_batches: usize,
    /// Events over the cap.
    pub oversized_events: usize,
}

impl ExpectedLogs {
    /// `Malformed` reports the client sends: one per skipped record, bad
    /// batch and oversized event.
    pub fn malformed(&self) -> usize {
        self.skipped_records + self.malformed_batches + self.oversized_events
    }
}

pub fn expected_logs(epoch_ms: i64) -> ExpectedLogs {
    let mut out = ExpectedLogs {
        records: Vec::new(),
        skipped_records: 0,
        malformed_batches: 0,
        oversized_events: 0,
    };
    for event in log_events(epoch_ms) {
        match event {
            LogEvent::Comment(_) => {}
            LogEvent::Raw { data, .. } => {
                if serde_json::from_str::<Value>(&data).is_err() {
                    out.malformed_batches += 1;
                }
            }
            LogEvent::Batch { shape, items, .. } => {
                if LogEvent::batch_data(shape, &items).len() > CLIENT_CAP {
                    out.oversized_events += 1;
                    continue;
                }
                for item in items {
                    match serde_json::from_value::<LogRecord>(item) {
                        Ok(r) => out.records.push(r),
                        Err(_) => out.skipped_records += 1,
                    }
                }
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------
// WebSocket

/// One frame the hostile WebSocket mode sends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WsFrame {
    Text(String),
    Binary(Vec<u8>),
}

/// The frames every hostile session starts with, on either channel; each is
/// one `Malformed` for the client.
pub fn ws_junk() -> Vec<WsFrame> {
    vec![
        // A type nobody knows.
        WsFrame::Text(
            json!({ "type": "quantum_flux", "payload": nasty("osc0-title-bel") }).to_string(),
        ),
        // Cut off.
        WsFrame::Text(r#"{"type":"email_received","from":"#.into()),
        // Not JSON at all, and full of escapes.
        WsFrame::Text(format!(
            "{}{} not json",
            nasty("osc2-title-st"),
            nasty("screen-wreckers")
        )),
        WsFrame::Binary(b"\x1b]0;binary-title\x07\x00\xff\xfe{\"type\":\"bounce\"}".to_vec()),
        // JSON, but not an object.
        WsFrame::Text("[1,2,3]".into()),
        // A known type with a field of the wrong kind.
        WsFrame::Text(
            r#"{"type":"progress","sent":"many","email":7,"from":{"x":1},"campaignName":[]}"#
                .into(),
        ),
    ]
}

/// The valid inbox events with hostile text a hostile session sends after
/// the junk. Two campaigns start: one whose id holds an escape sequence (a
/// client must not follow it) and `cmp-hostile-404`, which the simulator
/// does not know, so a client that follows it gets a refusal.
pub fn ws_inbox_events(at: &str) -> Vec<InboxEvent> {
    let mut extra = serde_json::Map::new();
    extra.insert("fromName".into(), Value::String(nasty("bidi")));
    extra.insert("x-hostile".into(), Value::String(nasty("osc52-clipboard")));
    vec![
        InboxEvent::EmailReceived(InboxMail {
            from: format!("{}evil@example.com", nasty("sgr-colours")),
            to: Some(nasty("zero-width")),
            subject: format!("{} {}", nasty("osc0-title-bel"), nasty("emoji")),
            received_at: Some(at.to_string()),
            extra,
        }),
        InboxEvent::Bounce(InboxContact {
            email: nasty("c1-controls"),
            reason: Some(nasty("osc2-title-st")),
            campaign_id: Some(format!("cmp-hostile{}", nasty("osc0-title-bel"))),
            campaign_name: Some(nasty("screen-wreckers")),
            at: Some(at.to_string()),
            ..InboxContact::default()
        }),
        InboxEvent::CampaignStarted(InboxCampaign {
            campaign_id: format!("cmp-hostile{}", nasty("osc0-title-bel")),
            campaign_name: format!("{} {}", nasty("sgr-colours"), nasty("wide-cjk")),
            total: Some(10),
            started_at: Some(at.to_string()),
            ..InboxCampaign::default()
        }),
        InboxEvent::CampaignStarted(InboxCampaign {
            campaign_id: "cmp-hostile-404".into(),
            campaign_name: nasty("bidi"),
            total: Some(10),
            started_at: Some(at.to_string()),
            ..InboxCampaign::default()
        }),
    ]
}

/// A campaign's current update dressed with hostile text: a reason and an
/// unknown field.
pub fn ws_campaign_update(mut update: CampaignUpdate) -> CampaignUpdate {
    if update.reason.is_none() {
        update.reason = Some(nasty("osc0-title-bel"));
    }
    update
        .extra
        .insert("x-hostile".into(), Value::String(nasty("sgr-colours")));
    update
}

/// A frame over the cap: a valid inbox event with a huge subject, so a
/// client without a cap would take it.
pub fn ws_oversized(at: &str) -> WsFrame {
    let event = InboxEvent::EmailReceived(InboxMail {
        from: "huge@example.com".into(),
        subject: long("oversized ", OVERSIZED_BYTES),
        received_at: Some(at.to_string()),
        ..InboxMail::default()
    });
    WsFrame::Text(serde_json::to_string(&event).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fixture_counts_what_it_promises() {
        let e = expected_logs(1_780_000_000_000);
        assert_eq!(e.records.len(), 20);
        assert_eq!(e.skipped_records, 7);
        assert_eq!(e.malformed_batches, 1);
        assert_eq!(e.oversized_events, 1);
        let ids: std::collections::HashSet<&str> =
            e.records.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids.len(), e.records.len(), "ids are unique");
        let longest = e.records.iter().map(|r| r.subject.chars().count()).max();
        assert_eq!(longest, Some(10_000));
        assert!(e.records.iter().any(|r| r.id == "4242"));
        // Every batch but the oversized one fits the default cap.
        for event in log_events(1_780_000_000_000) {
            if let LogEvent::Batch { shape, items, .. } = event {
                let len = LogEvent::batch_data(shape, &items).len();
                assert!(!(200_000..=CLIENT_CAP).contains(&len), "{len}");
            }
        }
    }

    #[test]
    fn websocket_frames_are_what_they_claim() {
        for frame in ws_junk() {
            if let WsFrame::Text(t) = frame {
                assert!(serde_json::from_str::<InboxEvent>(&t).is_err(), "{t}");
                assert!(serde_json::from_str::<CampaignUpdate>(&t).is_err(), "{t}");
            }
        }
        let WsFrame::Text(big) = ws_oversized("2026-05-27T10:00:00Z") else {
            panic!("text")
        };
        assert!(big.len() > CLIENT_CAP);
        assert!(serde_json::from_str::<InboxEvent>(&big).is_ok());
        for e in ws_inbox_events("2026-05-27T10:00:00Z") {
            let text = serde_json::to_string(&e).unwrap();
            assert_eq!(serde_json::from_str::<InboxEvent>(&text).unwrap(), e);
        }
    }
}
