//! The domain-log path, piece by piece: SSE decoding, record parsing, store
//! append, re-filter (field terms, free words, substrings), the histogram's
//! count, the top-values panel's recount, a frame of the log pane at two
//! store sizes (and with the histogram strip), `stream logs`' line writer,
//! and the heap bytes per held record.
//!
//! The records are synthetic but shaped like the simulator's bulk domain
//! (about 380 bytes each on the wire; a few senders, subjects and tag sets,
//! many recipients); the parse and the line writer are measured on them
//! also as another server writes them (`other_batch_json`). End-to-end
//! ingest over a socket is
//! `scripts/bench-ingest.sh`. Quick run:
//!
//! ```sh
//! cargo bench --bench log_path -- --quick
//! ```

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;

use misar_dash::app::filter::parse;
use misar_dash::app::histogram::count;
use misar_dash::app::logstore::LogStore;
use misar_dash::app::top_values::TopField;
use misar_dash::app::{Action, AppOptions, AppState, Pane};
use misar_dash::dashboard::dispatch;
use misar_dash::headless::log_lines::{write_batch, write_line_by_serializer};
use misar_dash::model::log::format_timestamp_ms;
use misar_dash::model::{LogBatch, LogEventType, LogRecord, Source, UpstreamBody, UpstreamEvent};
use misar_dash::upstream::domain_logs::parse_log_batch;
use misar_dash::upstream::sse::SseDecoder;

const BATCH: usize = 1000;
const NOW_MS: i64 = 1_780_000_000_000;

const SENDERS: [&str; 5] = [
    "newsletter@bulk.example.com",
    "orders@bulk.example.com",
    "marketing@bulk.example.com",
    "noreply@bulk.example.com",
    "support@bulk.example.com",
];
const SUBJECTS: [&str; 8] = [
    "The May edition is here",
    "3 tips to get more from your account",
    "This week at Example Shop",
    "Your weekly digest: 5 stories worth your time",
    "New arrivals you'll love",
    "Your package is out for delivery",
    "Reset your password",
    "We miss you, here's 20% off",
];
const TAGS: [[&str; 2]; 6] = [
    ["newsletter", "monthly"],
    ["newsletter", "weekly"],
    ["transactional", "order"],
    ["transactional", "receipt"],
    ["account", "security"],
    ["promo", "spring-sale"],
];
const NAMES: [&str; 8] = [
    "noah", "liam", "beatriz", "tomoko", "ana", "kofi", "ines", "wei",
];
const MAILBOXES: [&str; 5] = [
    "fastmail.com",
    "icloud.com",
    "web.de",
    "contoso.org",
    "example.net",
];

/// The `i`-th record: events of one message come in runs of three.
fn record(i: u64) -> LogRecord {
    let message = i / 3;
    let person = message.wrapping_mul(2_654_435_761) % 60_000;
    let event = LogEventType::KNOWN[(i % 10) as usize];
    let mut r = LogRecord {
        id: format!("bulk-{i:08}"),
        timestamp_ms: NOW_MS - 86_400_000 + i as i64 * 137,
        event_type: Some(event),
        sender: SENDERS[(message % 5) as usize].to_string(),
        recipient: format!(
            "{}{}@{}",
            NAMES[(person % 8) as usize],
            person,
            MAILBOXES[(person % 5) as usize]
        ),
        subject: if message.is_multiple_of(4) {
            format!(
                "Your receipt from Example Shop (#{})",
                40_000 + message % 20_000
            )
        } else {
            SUBJECTS[(message % 8) as usize].to_string()
        },
        tags: TAGS[(message % 6) as usize]
            .iter()
            .map(|t| t.to_string())
            .collect(),
        message_id: format!("<{:016x}.{message}@mail.bulk.example.com>", person * 7919),
        ..LogRecord::default()
    };
    match event {
        LogEventType::Delivered => {
            r.smtp_response = Some(format!("250 2.0.0 Ok: queued as {:010X}", person * 31));
            r.ip = Some("192.0.2.10".into());
        }
        LogEventType::Opened | LogEventType::Clicked => {
            r.ip = Some("198.51.100.221".into());
            r.user_agent = Some(
                "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 \
                 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36"
                    .into(),
            );
            if event == LogEventType::Clicked {
                r.url = Some("https://bulk.example.com/account/preferences?utm_source=news".into());
            }
        }
        _ => {}
    }
    r
}

fn records(start: u64) -> Vec<LogRecord> {
    (start..start + BATCH as u64).map(record).collect()
}

/// A batch as the client hands it over: parsed from the wire's JSON, its
/// strings read in place.
fn batch(start: u64) -> LogBatch {
    parse_log_batch(batch_json(&records(start)), true).0
}

fn batch_json(records: &[LogRecord]) -> String {
    #[derive(serde::Serialize)]
    struct Envelope<'a> {
        logs: &'a [LogRecord],
    }
    serde_json::to_string(&Envelope { logs: records }).unwrap_or_default()
}

/// The records as another server writes them, the shape of
/// `scripts/other-server.py`: keys in another order, a space after every
/// `:` and `,`, `/` escaped as `\/` and everything beyond ASCII as `\u`
/// escapes, absent fields as null, two unknown integer fields, timestamps
/// to the second; a third of the recipients and a quarter of the subjects
/// accented. The scanner was tuned on the simulator's bytes: this is the
/// same data in a shape it was not.
fn other_batch_json(records: &[LogRecord]) -> String {
    let text = |s: &str| {
        let mut out = String::from("\"");
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '/' => out.push_str("\\/"),
                ' '..='~' => out.push(c),
                c => {
                    for unit in c.encode_utf16(&mut [0; 2]) {
                        out.push_str(&format!("\\u{unit:04x}"));
                    }
                }
            }
        }
        out.push('"');
        out
    };
    let optional = |s: &Option<String>| s.as_deref().map_or("null".to_string(), text);
    let lines: Vec<String> = records
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let recipient = if i % 3 == 0 {
                format!("ren\u{e9}e.{}", r.recipient)
            } else {
                r.recipient.clone()
            };
            let subject = if i % 4 == 0 {
                "Caf\u{e9} news: our autumn blend \u{2014} 50/50".to_string()
            } else {
                r.subject.clone()
            };
            let tags: Vec<String> = r.tags.iter().map(|t| text(t)).collect();
            format!(
                "{{\"tags\": [{}], \"recipient\": {}, \"event_type\": {}, \"subject\": {}, \
                 \"sender\": {}, \"message_id\": {}, \"smtp_response\": {}, \"ip\": {}, \
                 \"user_agent\": {}, \"url\": {}, \"attempt\": {}, \"size_bytes\": {}, \
                 \"id\": {}, \"timestamp\": {}}}",
                tags.join(", "),
                text(&recipient),
                r.event_type
                    .map_or("null".to_string(), |t| text(t.as_str())),
                text(&subject),
                text(&r.sender),
                text(&r.message_id),
                optional(&r.smtp_response),
                optional(&r.ip),
                optional(&r.user_agent),
                optional(&r.url),
                1 + i % 3,
                2_000 + i * 37 % 88_000,
                text(&r.id),
                text(&format_timestamp_ms(r.timestamp_ms / 1000 * 1000)),
            )
        })
        .collect();
    format!("{{\"data\": [{}]}}", lines.join(", "))
}

/// A batch as the server sends it: one `logs` event.
fn sse_event(records: &[LogRecord]) -> String {
    format!("event: logs\ndata: {}\n\n", batch_json(records))
}

fn store_with(records: usize) -> LogStore {
    let mut store = LogStore::new(1_000_000);
    for start in (0..records as u64).step_by(BATCH) {
        store.append(batch(start));
    }
    store
}

fn sse_decoding(c: &mut Criterion) {
    let stream: String = (0..20)
        .map(|b| sse_event(&records(b * BATCH as u64)))
        .collect();
    let mut group = c.benchmark_group("sse_decode");
    group.throughput(Throughput::Bytes(stream.len() as u64));
    group.bench_function("20 batches in 64 KiB reads", |b| {
        b.iter(|| {
            let mut decoder = SseDecoder::new(1 << 20);
            let mut bytes = 0;
            for read in stream.as_bytes().chunks(64 * 1024) {
                decoder.feed_borrowed(read, &mut |event| {
                    bytes += event.map_or(0, |e| e.data.len());
                });
            }
            black_box(bytes)
        })
    });
    group.finish();
}

/// A batch of 1000 records parsed for the store (as the dashboard does)
/// and alone (as `stream logs` does), in the simulator's shape and in
/// another server's.
fn record_parsing(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse");
    group.throughput(Throughput::Elements(BATCH as u64));
    let shapes = [
        ("the simulator's shape", batch_json(&records(0))),
        ("another server's shape", other_batch_json(&records(0))),
    ];
    for (shape, data) in &shapes {
        let (batch, bad) = parse_log_batch(data.clone(), false);
        assert_eq!((batch.len(), bad), (BATCH, 0), "{shape}");
        for (prepare, purpose) in [(true, "for the store"), (false, "as stream logs")] {
            group.bench_function(format!("1000 records, {shape}, {purpose}"), |b| {
                b.iter_batched(
                    || data.clone(),
                    |data| black_box(parse_log_batch(data, prepare)),
                    BatchSize::SmallInput,
                )
            });
        }
    }
    group.finish();
}

fn store_append(c: &mut Criterion) {
    let mut group = c.benchmark_group("append");
    group.throughput(Throughput::Elements(BATCH as u64));
    // Steady state: a store at its cap, so every append also evicts.
    let mut store = store_with(100_000);
    let mut store_full = LogStore::new(100_000);
    for start in (0..100_000u64).step_by(BATCH) {
        store_full.append(batch(start));
    }
    let mut next = 100_000u64;
    group.bench_function("1000 records into 100k", |b| {
        b.iter_batched(
            || {
                next += BATCH as u64;
                batch(next)
            },
            |batch| black_box(store.append(batch)),
            BatchSize::SmallInput,
        )
    });
    group.bench_function("1000 records into a full store (evicting)", |b| {
        b.iter_batched(
            || {
                next += BATCH as u64;
                batch(next)
            },
            |batch| black_box(store_full.append(batch)),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn refilter(c: &mut Criterion) {
    let mut store = store_with(500_000);
    // No filter here narrows the one before it, so every step tests all
    // 500,000 records (a narrowing keystroke tests only the matches).
    let filters = [
        "b",
        "digest",
        "type:bounced",
        "from:news -type:opened",
        "tag:weekly subject:digest",
    ]
    .map(|text| parse(text).unwrap_or_default());
    let mut group = c.benchmark_group("refilter");
    group.throughput(Throughput::Elements(500_000));
    let mut which = 0;
    group.bench_function("500k records, one keystroke", |b| {
        b.iter(|| {
            which = (which + 1) % filters.len();
            store.set_filter(&filters[which], NOW_MS);
            black_box(store.match_count())
        })
    });
    group.finish();
}

/// Free words and substrings over every held record: a free word is tested
/// against the sender, recipient, subject and tags of each record, `to:`
/// against its recipient. As above, no filter in a list narrows the one
/// before it, so each step is a full pass over 500,000 records.
fn refilter_words(c: &mut Criterion) {
    let mut store = store_with(500_000);
    let mut group = c.benchmark_group("refilter_words");
    group.throughput(Throughput::Elements(500_000));
    let lists: [(&str, &[&str]); 4] = [
        // Letters most recipients and subjects hold, so few strings are
        // ruled out by their character masks alone.
        ("free word", &["ana", "com", "wei", "your"]),
        (
            "two free words",
            &["ana com", "wei your", "kofi 12", "noah web"],
        ),
        (
            "quoted phrase",
            &["\"weekly digest\"", "\"ines1\"", "\"for delivery\""],
        ),
        (
            "substring of the recipient (to:)",
            &["to:ana", "to:com", "to:wei1"],
        ),
    ];
    for (name, texts) in lists {
        let filters: Vec<_> = texts.iter().map(|t| parse(t).unwrap_or_default()).collect();
        let mut which = 0;
        group.bench_function(format!("500k records, {name}"), |b| {
            b.iter(|| {
                which = (which + 1) % filters.len();
                store.set_filter(&filters[which], NOW_MS);
                black_box(store.match_count())
            })
        });
    }
    group.finish();
}

/// An app state holding `records` of one domain, logs focused, at 200x60.
fn state_with(records: usize) -> AppState {
    let mut state = AppState::new(AppOptions {
        now_ms: NOW_MS,
        ..AppOptions::default()
    });
    dispatch(&mut state, Action::Resize(200, 60));
    let source = Source::DomainLogs {
        domain: "bulk.example.com".into(),
    };
    for start in (0..records as u64).step_by(BATCH) {
        let count = BATCH.min(records - start as usize) as u64;
        let body = UpstreamBody::Logs(
            parse_log_batch(
                batch_json(&(start..start + count).map(record).collect::<Vec<_>>()),
                true,
            )
            .0,
        );
        dispatch(
            &mut state,
            Action::Upstream(UpstreamEvent {
                source: source.clone(),
                generation: 1,
                body,
            }),
        );
    }
    state.focus = Pane::Logs;
    state
}

fn render(c: &mut Criterion) {
    let mut group = c.benchmark_group("render_log_pane_200x60");
    for records in [5_000, 500_000] {
        let state = state_with(records);
        let mut terminal = match Terminal::new(TestBackend::new(200, 60)) {
            Ok(t) => t,
            Err(e) => panic!("test backend: {e}"),
        };
        group.bench_function(format!("{records} records"), |b| {
            b.iter(|| {
                let drawn = terminal.draw(|frame| {
                    misar_dash::ui::draw_logs_pane(frame, Rect::new(0, 0, 200, 60), &state)
                });
                black_box(drawn.is_ok())
            })
        });
    }
    // The same frame with the histogram strip (`i`), as the reducer left
    // it counted (the count itself is the `histogram` group).
    let mut state = state_with(500_000);
    dispatch(
        &mut state,
        Action::Key(KeyEvent::new(KeyCode::Char('i'), KeyModifiers::NONE)),
    );
    assert!(state.logs.strip.is_some(), "the strip is counted");
    let mut terminal = match Terminal::new(TestBackend::new(200, 60)) {
        Ok(t) => t,
        Err(e) => panic!("test backend: {e}"),
    };
    group.bench_function("500000 records, histogram shown", |b| {
        b.iter(|| {
            let drawn = terminal.draw(|frame| {
                misar_dash::ui::draw_logs_pane(frame, Rect::new(0, 0, 200, 60), &state)
            });
            black_box(drawn.is_ok())
        })
    });
    group.finish();
}

/// The histogram's count alone, over 500,000 matches.
fn histogram(c: &mut Criterion) {
    let store = store_with(500_000);
    let mut group = c.benchmark_group("histogram");
    group.throughput(Throughput::Elements(500_000));
    group.bench_function("count 500k matches into 190 buckets", |b| {
        b.iter(|| black_box(count(store.match_times(), 190, None, None).tallest()))
    });
    group.finish();
}

/// The top-values panel's full recount (what a filter change costs it)
/// over 500,000 matches: recipient domains (each record's recipient read
/// and hashed) and SMTP groups (every record given a response here; the
/// client found each one's group as it parsed the batch, so the recount
/// counts string ids).
fn top_values(c: &mut Criterion) {
    let mut group = c.benchmark_group("top_values");
    group.throughput(Throughput::Elements(500_000));
    let mut store = store_with(500_000);
    group.bench_function("recount 500k, recipient domain", |b| {
        b.iter(|| {
            store.stop_top_values();
            black_box(store.top_values(TopField::RecipientDomain, 20).rows.len())
        })
    });
    drop(store);
    let mut store = LogStore::new(1_000_000);
    for start in (0..500_000u64).step_by(BATCH) {
        let records: Vec<LogRecord> = (start..start + BATCH as u64)
            .map(|i| {
                let mut r = record(i);
                r.smtp_response.get_or_insert_with(|| match i % 3 {
                    0 => format!("550 5.7.1 [192.0.2.{}] Message blocked", i % 250),
                    1 => format!("421 4.7.0 Try again later, closing connection. {i:x} - gsmtp"),
                    _ => "452 4.2.2 The email account that you tried to reach is over quota".into(),
                });
                r
            })
            .collect();
        store.append(LogBatch::from(records));
    }
    group.bench_function("recount 500k, smtp", |b| {
        b.iter(|| {
            store.stop_top_values();
            black_box(store.top_values(TopField::Smtp, 20).rows.len())
        })
    });
    group.finish();
}

/// `stream logs`' writer: a batch's lines by hand (plain ASCII, and with
/// one record in ten holding non-ASCII text, which each string of it then
/// takes the serializer for), against serde_json record by record, the
/// path it replaced.
fn headless_lines(c: &mut Criterion) {
    let plain = batch(0);
    let accented = parse_log_batch(
        batch_json(
            &records(0)
                .into_iter()
                .enumerate()
                .map(|(i, mut r)| {
                    if i % 10 == 0 {
                        r.subject = "Grüße aus München, café".into();
                    }
                    r
                })
                .collect::<Vec<_>>(),
        ),
        false,
    )
    .0;
    let other = parse_log_batch(other_batch_json(&records(0)), false).0;
    let mut group = c.benchmark_group("headless_lines");
    group.throughput(Throughput::Elements(BATCH as u64));
    let mut out = Vec::with_capacity(1 << 20);
    for (name, batch) in [
        ("plain", &plain),
        ("one in ten non-ASCII", &accented),
        ("another server's shape", &other),
    ] {
        group.bench_function(format!("1000 records, {name}, by hand"), |b| {
            b.iter(|| {
                out.clear();
                write_batch(&mut out, "bulk.example.com", batch, |_| true).ok();
                black_box(out.len())
            })
        });
    }
    group.bench_function("1000 records, plain, serde_json (baseline)", |b| {
        b.iter(|| {
            out.clear();
            for record in plain.iter() {
                write_line_by_serializer(&mut out, "bulk.example.com", &record).ok();
            }
            black_box(out.len())
        })
    });
    group.finish();
}

/// What 500,000 held records cost on the heap, by part, printed; and
/// what it costs to add them up.
fn store_bytes(c: &mut Criterion) {
    let store = store_with(500_000);
    let f = store.footprint();
    let per = |bytes: usize| bytes as f64 / store.len() as f64;
    println!(
        "store_bytes: {:.1} B/record for {} records (records {:.1}, strings {:.1}, hot text {:.1}, \
         cold text {:.1}, recipients {:.1}, matches {:.1})",
        per(f.total()),
        store.len(),
        per(f.records),
        per(f.strings),
        per(f.hot),
        per(f.cold),
        per(f.recipients),
        per(f.matches),
    );
    let mut group = c.benchmark_group("store_bytes");
    group.bench_function("footprint of 500k records", |b| {
        b.iter(|| black_box(store.footprint().total()))
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
}

criterion_group! {
    name = benches;
    config = config();
    targets = sse_decoding, record_parsing, store_append, refilter, refilter_words, render, histogram, top_values,
        headless_lines, store_bytes
}
criterion_main!(benches);
