//! Domain email logs: `GET {mail}/api/domains/{domain}/log/stream`
//! (Server-Sent Events), with the query the server filters by.

use std::fmt;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;

mod batch;
mod parse_threads;
mod type_names;

pub use type_names::{TypeNameError, TypeNames, parse_type_name};

pub use batch::{
    CleanRecord, CleanString, Cleaned, ExtraFields, HAS_IP, HAS_SMTP, HAS_URL, LogBatch,
    LogRecordRef, MAX_FIELD_BYTES, NO_STRING, RecordKey, Records, SEPARATOR, Tags,
};

/// The API's default and largest `limit`.
pub const DEFAULT_LIMIT: u32 = 50_000;
pub const MAX_LIMIT: u32 = 500_000;

/// The event types the API filters by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LogEventType {
    Queued,
    Delivered,
    Bounced,
    Failed,
    Opened,
    Clicked,
    Unsubscribed,
    TemporaryFail,
    PermanentFail,
    Deferred,
    /// Anything else the server sends; the original name is kept in the
    /// record's `extra` under `event_type`.
    Other,
}

impl LogEventType {
    /// The ten documented types, in the doc's order.
    pub const KNOWN: [LogEventType; 10] = [
        LogEventType::Queued,
        LogEventType::Delivered,
        LogEventType::Bounced,
        LogEventType::Failed,
        LogEventType::Opened,
        LogEventType::Clicked,
        LogEventType::Unsubscribed,
        LogEventType::TemporaryFail,
        LogEventType::PermanentFail,
        LogEventType::Deferred,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LogEventType::Queued => "queued",
            LogEventType::Delivered => "delivered",
            LogEventType::Bounced => "bounced",
            LogEventType::Failed => "failed",
            LogEventType::Opened => "opened",
            LogEventType::Clicked => "clicked",
            LogEventType::Unsubscribed => "unsubscribed",
            LogEventType::TemporaryFail => "temporary_fail",
            LogEventType::PermanentFail => "permanent_fail",
            LogEventType::Deferred => "deferred",
            LogEventType::Other => "other",
        }
    }

    /// A documented type by its wire name.
    pub fn from_wire(s: &str) -> Option<LogEventType> {
        // A match, not a search of `KNOWN`: it runs for every record, and
        // compiles to a switch on the length and a compare or two.
        Some(match s {
            "queued" => LogEventType::Queued,
            "delivered" => LogEventType::Delivered,
            "bounced" => LogEventType::Bounced,
            "failed" => LogEventType::Failed,
            "opened" => LogEventType::Opened,
            "clicked" => LogEventType::Clicked,
            "unsubscribed" => LogEventType::Unsubscribed,
            "temporary_fail" => LogEventType::TemporaryFail,
            "permanent_fail" => LogEventType::PermanentFail,
            "deferred" => LogEventType::Deferred,
            _ => return None,
        })
    }
}

impl fmt::Display for LogEventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One log record. `id` and `timestamp` are required (they are what a
/// reconnect resumes from); everything else may be missing.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LogRecord {
    pub id: String,
    /// Milliseconds since the Unix epoch, UTC.
    pub timestamp_ms: i64,
    pub event_type: Option<LogEventType>,
    pub sender: String,
    pub recipient: String,
    pub subject: String,
    pub tags: Vec<String>,
    pub message_id: String,
    pub smtp_response: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub url: Option<String>,
    /// Fields this client does not know, in arrival order, for the detail
    /// view and the headless output.
    pub extra: Vec<(String, Value)>,
}

impl LogRecord {
    /// The timestamp as RFC 3339 (UTC, milliseconds only when present).
    pub fn timestamp_rfc3339(&self) -> String {
        format_timestamp_ms(self.timestamp_ms)
    }
}

/// Formats milliseconds since the epoch as RFC 3339 UTC.
pub fn format_timestamp_ms(ms: i64) -> String {
    match DateTime::<Utc>::from_timestamp_millis(ms) {
        Some(t) => t.to_rfc3339_opts(SecondsFormat::AutoSi, true),
        None => ms.to_string(),
    }
}

/// Parses an RFC 3339 timestamp into milliseconds since the epoch.
pub fn parse_timestamp_ms(s: &str) -> Option<i64> {
    TimestampReader::default().read(s)
}

/// Reads a stream's timestamps, remembering the last date: records come in
/// time order, so nearly all of a batch's share one, and only the time of
/// day is left to read.
#[derive(Debug, Default)]
pub(crate) struct TimestampReader {
    last_date: Option<([u8; 10], i64)>,
}

impl TimestampReader {
    /// [`parse_timestamp_ms`].
    pub(crate) fn read(&mut self, s: &str) -> Option<i64> {
        self.read_utc(s.as_bytes()).or_else(|| {
            DateTime::parse_from_rfc3339(s)
                .ok()
                .map(|t| t.timestamp_millis())
        })
    }

    /// The shape every record's timestamp has, `2026-05-27T10:15:00.250Z`
    /// (fraction optional, up to nine digits), read without chrono's
    /// general parser: it runs half a million times per stream. Anything
    /// else (offsets, a lower-case `t`, a leap second) is `None` and left
    /// to chrono.
    fn read_utc(&mut self, b: &[u8]) -> Option<i64> {
        let date: [u8; 10] = *b.first_chunk()?;
        let days = match self.last_date {
            Some((last, days)) if last == date => days,
            _ => {
                let days = utc_date_days(&date)?;
                self.last_date = Some((date, days));
                days
            }
        };
        Some(days * MS_PER_DAY + utc_time_of_day_ms(b)?)
    }
}

const MS_PER_DAY: i64 = 86_400_000;

/// Digits as a number, `None` at anything else.
fn number(digits: &[u8]) -> Option<i64> {
    digits.iter().try_fold(0i64, |n, &d| {
        d.is_ascii_digit().then(|| n * 10 + i64::from(d - b'0'))
    })
}

/// `YYYY-MM-DD` as days since 1970-01-01.
fn utc_date_days(b: &[u8]) -> Option<i64> {
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (year, month, day) = (number(&b[0..4])?, number(&b[5..7])?, number(&b[8..10])?);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    Some(days_from_civil(year, month, day))
}

/// The `THH:MM:SS[.fraction]Z` after a timestamp's date, as milliseconds
/// into the day.
fn utc_time_of_day_ms(b: &[u8]) -> Option<i64> {
    let (hour, minute, second, millis) =
        time_at_fixed_places(b).or_else(|| time_of_any_shape(b))?;
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    Some(((hour * 60 + minute) * 60 + second) * 1000 + millis)
}

/// Hour, minute, second and millisecond of the shape the service sends, to
/// the millisecond, read at fixed places.
fn time_at_fixed_places(b: &[u8]) -> Option<(i64, i64, i64, i64)> {
    let &[
        b'T',
        h1,
        h0,
        b':',
        m1,
        m0,
        b':',
        s1,
        s0,
        b'.',
        f2,
        f1,
        f0,
        b'Z',
    ] = b.get(10..)?
    else {
        return None;
    };
    let digits = [h1, h0, m1, m0, s1, s0, f2, f1, f0].map(|d| d.wrapping_sub(b'0'));
    if digits.iter().any(|&d| d > 9) {
        return None;
    }
    let [h1, h0, m1, m0, s1, s0, f2, f1, f0] = digits.map(i64::from);
    Some((
        h1 * 10 + h0,
        m1 * 10 + m0,
        s1 * 10 + s0,
        f2 * 100 + f1 * 10 + f0,
    ))
}

/// [`time_at_fixed_places`] with the fraction optional, up to nine digits.
fn time_of_any_shape(b: &[u8]) -> Option<(i64, i64, i64, i64)> {
    if b.len() < 20 || b[10] != b'T' || b[13] != b':' || b[16] != b':' || b[b.len() - 1] != b'Z' {
        return None;
    }
    let (hour, minute, second) = (
        number(&b[11..13])?,
        number(&b[14..16])?,
        number(&b[17..19])?,
    );
    let millis = match &b[19..b.len() - 1] {
        [] => 0,
        [b'.', digits @ ..] if (1..=9).contains(&digits.len()) => {
            let mut ms = 0;
            for i in 0..3 {
                let digit = match digits.get(i) {
                    Some(d) if d.is_ascii_digit() => i64::from(d - b'0'),
                    Some(_) => return None,
                    None => 0,
                };
                ms = ms * 10 + digit;
            }
            // Digits past the millisecond are checked, then dropped, as
            // chrono's timestamp_millis drops them.
            if !digits.iter().all(u8::is_ascii_digit) {
                return None;
            }
            ms
        }
        _ => return None,
    };
    Some((hour, minute, second, millis))
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let shifted_month = (month + 9) % 12;
    let day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// What to ask the server for. Every field is validated on the way in (see
/// the `parse_*` functions), so a bad value never reaches a request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogQuery {
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    pub sender: Option<String>,
    pub recipient: Option<String>,
    pub subject: Option<String>,
    pub event_type: Option<LogEventType>,
    pub tags: Option<String>,
    pub limit: Option<u32>,
}

impl LogQuery {
    /// Checks what single-field parsing cannot: that the range is not empty.
    pub fn validate(&self) -> Result<(), String> {
        if let (Some(start), Some(end)) = (self.start, self.end)
            && start > end
        {
            return Err(format!(
                "start {} is after end {}",
                start.to_rfc3339_opts(SecondsFormat::AutoSi, true),
                end.to_rfc3339_opts(SecondsFormat::AutoSi, true)
            ));
        }
        Ok(())
    }

    /// The limit the server applies.
    pub fn effective_limit(&self) -> u32 {
        self.limit.unwrap_or(DEFAULT_LIMIT)
    }

    /// Query-string pairs, in a fixed order.
    pub fn params(&self) -> Vec<(&'static str, String)> {
        let mut params = Vec::new();
        let time = |t: &DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::AutoSi, true);
        if let Some(t) = &self.start {
            params.push(("start", time(t)));
        }
        if let Some(t) = &self.end {
            params.push(("end", time(t)));
        }
        for (name, value) in [
            ("sender", &self.sender),
            ("recipient", &self.recipient),
            ("subject", &self.subject),
        ] {
            if let Some(v) = value {
                params.push((name, v.clone()));
            }
        }
        if let Some(t) = self.event_type {
            params.push(("event_type", t.as_str().to_string()));
        }
        if let Some(t) = &self.tags {
            params.push(("tags", t.clone()));
        }
        if let Some(l) = self.limit {
            params.push(("limit", l.to_string()));
        }
        params
    }
}

/// Parses a `start`/`end` value: RFC 3339.
pub fn parse_time(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("invalid time {s:?}: expected RFC 3339, like 2026-05-27T10:15:00Z"))
}

/// Parses an `event_type` value: one of the ten documented types, by its
/// wire name, the short name the log table shows, or a prefix of one type.
pub fn parse_event_type(s: &str) -> Result<LogEventType, String> {
    parse_type_name(s, TypeNames::Documented).map_err(|e| e.to_string())
}

/// Parses a `limit` value: 1..=500000.
pub fn parse_limit(s: &str) -> Result<u32, String> {
    match s.trim().parse::<u64>() {
        Ok(n) if (1..=u64::from(MAX_LIMIT)).contains(&n) => Ok(n as u32),
        _ => Err(format!(
            "invalid limit {s:?}: expected a whole number from 1 to {MAX_LIMIT}"
        )),
    }
}

/// Parses a free-text filter value (sender, recipient, subject, tags): any
/// non-empty text without control characters.
pub fn parse_text(s: &str) -> Result<String, String> {
    if s.is_empty() {
        return Err("empty value: leave the option out instead".into());
    }
    if s.chars().any(char::is_control) {
        return Err(format!("value {s:?} holds control characters"));
    }
    Ok(s.to_string())
}

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

use tokio::sync::oneshot;

use super::connection::{Connect, ConsumerGone, Emitter, Next, header_u64, read_body_chunk};
use super::sse::{SseDecoder, SseEvent};
use super::{ConnState, StopReason, UpstreamBody, endpoint_url};
use crate::config::ClientOptions;
use parse_threads::{Failed, ParseThreads, Running};

/// Streams one domain's logs. A reconnect resumes from the last timestamp
/// seen and drops the records it already delivered, so the consumer gets
/// every record once.
pub struct DomainLogsClient {
    opts: Arc<ClientOptions>,
    net: Arc<super::network::Network>,
    domain: String,
    query: LogQuery,
    /// Records delivered to the consumer over all connections.
    delivered: u64,
    /// The newest timestamp delivered, and the ids delivered at exactly that
    /// time (hashed: a resumed stream repeats only those). The first such
    /// id is kept apart from the rest: timestamps seldom tie, so a newer
    /// record replaces one hash instead of emptying and refilling a set.
    newest_ms: Option<i64>,
    first_id_at_newest: u64,
    more_ids_at_newest: HashSet<u64, foldhash::fast::RandomState>,
    /// Where this connection resumed from; older records are repeats.
    resumed_from: Option<i64>,
}

/// What one event on the stream carries.
enum Payload {
    Records(LogBatch),
    Complete,
    Ignore,
}

impl DomainLogsClient {
    pub fn new(
        opts: Arc<ClientOptions>,
        net: Arc<super::network::Network>,
        domain: String,
        query: LogQuery,
    ) -> Self {
        DomainLogsClient {
            opts,
            net,
            domain,
            query,
            delivered: 0,
            newest_ms: None,
            first_id_at_newest: 0,
            more_ids_at_newest: HashSet::default(),
            resumed_from: None,
        }
    }

    fn remaining(&self) -> u64 {
        u64::from(self.query.effective_limit()).saturating_sub(self.delivered)
    }

    /// The query for the next request: the user's, moved forward past what
    /// was already delivered.
    fn next_query(&self) -> LogQuery {
        let mut query = self.query.clone();
        if let Some(newest) = self
            .newest_ms
            .and_then(DateTime::<Utc>::from_timestamp_millis)
        {
            query.start = Some(query.start.map_or(newest, |s| s.max(newest)));
        }
        if self.delivered > 0 {
            // The server counts the repeats at the resume timestamp against
            // its limit; we drop them, so ask for that many more.
            let repeats = self
                .newest_ms
                .map_or(0, |_| 1 + self.more_ids_at_newest.len() as u64);
            query.limit = Some((self.remaining() + repeats).min(u64::from(MAX_LIMIT)) as u32);
        }
        query
    }

    /// True for a record not delivered before.
    fn admit(&mut self, record: RecordKey) -> bool {
        if self
            .resumed_from
            .is_some_and(|from| record.timestamp_ms < from)
        {
            return false;
        }
        match self.newest_ms {
            Some(newest) if record.timestamp_ms == newest => {
                record.id_hash != self.first_id_at_newest
                    && self.more_ids_at_newest.insert(record.id_hash)
            }
            // Out of order within one connection: not a repeat.
            Some(newest) if record.timestamp_ms < newest => true,
            _ => {
                self.newest_ms = Some(record.timestamp_ms);
                self.first_id_at_newest = record.id_hash;
                if !self.more_ids_at_newest.is_empty() {
                    self.more_ids_at_newest.clear();
                }
                true
            }
        }
    }

    /// Sends the records not delivered before; true when there were any.
    async fn deliver(
        &mut self,
        mut records: LogBatch,
        out: &Emitter,
    ) -> Result<bool, ConsumerGone> {
        let keys = records.take_keys(self.more_ids_at_newest.hasher());
        let kept: Vec<bool> = keys.into_iter().map(|key| self.admit(key)).collect();
        records.retain(&kept);
        let room = self.remaining();
        if records.len() as u64 > room {
            records.truncate(room as usize);
        }
        if records.is_empty() {
            return Ok(false);
        }
        self.delivered += records.len() as u64;
        out.send(UpstreamBody::Logs(records)).await.map(|()| true)
    }

    async fn complete(&self, out: &Emitter) -> Next {
        let total = Some(self.delivered);
        if out
            .send(UpstreamBody::LogsComplete { total })
            .await
            .is_err()
        {
            return Next::ConsumerGone;
        }
        Next::Finished {
            reason: format!("complete: {} records", self.delivered),
        }
    }
}

/// Reads one event of the domain-log stream in any of the shapes the
/// contract tolerates. Records that fail to parse are counted in `bad`.
fn parse_payload(event: &SseEvent, bad: &mut Vec<String>) -> Payload {
    parse_log_event(event.event_type(), event.data.to_string(), 0, bad)
}

/// The records of one `logs` event's data, parsed as the client parses
/// them, and the number that were skipped as malformed (benchmarks).
pub fn parse_log_batch(data: String) -> (LogBatch, usize) {
    let mut bad = Vec::new();
    match parse_log_event("logs", data, 0, &mut bad) {
        Payload::Records(records) => (records, bad.len()),
        Payload::Complete | Payload::Ignore => (LogBatch::default(), bad.len()),
    }
}

/// The names a completion goes by, as an event name or a `type` field.
fn is_completion(name: &str) -> bool {
    matches!(name, "complete" | "completed" | "done" | "end")
}

/// Reads one event: its name, then its data (see [`batch::parse_data`]).
/// `expected` is how many records the batch probably holds.
fn parse_log_event(name: &str, data: String, expected: usize, bad: &mut Vec<String>) -> Payload {
    if is_completion(name) {
        return Payload::Complete;
    }
    match data.trim() {
        "[DONE]" => Payload::Complete,
        "" => Payload::Ignore,
        _ => batch::parse_data(data, expected, bad),
    }
}

impl Connect for DomainLogsClient {
    async fn connect(&mut self, out: &Emitter, fresh: &mut bool) -> Next {
        let opts = self.opts.clone();
        let Some(key) = opts.mail_key.as_ref() else {
            return Next::Stop(StopReason::NoKey {
                detail: "set MISAR_MAIL_KEY (or mail_key in the config file)".into(),
            });
        };
        if let Err(detail) = self.query.validate() {
            return Next::Stop(StopReason::BadQuery { detail });
        }
        if self.remaining() == 0 {
            return self.complete(out).await;
        }
        let url = match endpoint_url(
            &opts.endpoints.mail_url,
            &["api", "domains", &self.domain, "log", "stream"],
        ) {
            Ok(url) => url,
            Err(e) => return Next::Stop(StopReason::BadQuery { detail: e }),
        };
        let query = self.next_query();
        self.resumed_from = (self.delivered > 0).then_some(self.newest_ms).flatten();
        let request = super::sse_request(
            &self.net.http,
            url.clone(),
            key,
            opts.token_in_query,
            &query.params(),
        );
        let response = match self.net.send(request, &url, out).await {
            Ok(r) => r,
            Err(next) => return next,
        };
        let headers = response.headers();
        let (limit, remaining) = (
            header_u64(headers, "x-ratelimit-limit"),
            header_u64(headers, "x-ratelimit-remaining"),
        );
        if (limit.is_some() || remaining.is_some())
            && out
                .send(UpstreamBody::RateLimit { limit, remaining })
                .await
                .is_err()
        {
            return Next::ConsumerGone;
        }
        if !response.status().is_success() {
            let what = format!("domain {}", self.domain);
            return self.net.refused(response, "domain-log", &what).await;
        }
        if out.conn(ConnState::Live).await.is_err() {
            return Next::ConsumerGone;
        }
        let mut body = response.bytes_stream();
        let mut decoder = SseDecoder::new(opts.max_message_bytes);
        let mut queue: VecDeque<Parsing> = VecDeque::new();
        let mut parsers = ParseThreads::new(PARSE_THREADS);
        let mut batch_hint = 0;
        loop {
            // What is parsed goes out in stream order.
            while let Some(Parsing::Done(..)) = queue.front() {
                if let Some(Parsing::Done(payload, bad)) = queue.pop_front()
                    && let Some(next) = self.handle(payload, bad, out, fresh).await
                {
                    return next;
                }
            }
            let front_running = matches!(queue.front(), Some(Parsing::Running(_)));
            let read = tokio::select! {
                biased;
                joined = next_parsed(&mut queue), if front_running => {
                    queue.pop_front();
                    let (payload, bad) = joined;
                    if let Payload::Records(records) = &payload {
                        batch_hint = records.len();
                    }
                    if let Some(next) = self.handle(payload, bad, out, fresh).await {
                        return next;
                    }
                    continue;
                }
                read = read_body_chunk(&mut body, opts.sse_read_timeout, &self.net, &url),
                    if queue.len() < PARSE_IN_FLIGHT => read,
            };
            let chunk = match read {
                Ok(Some(chunk)) => chunk,
                Ok(None) => {
                    // What was read before the end may hold the completion.
                    while let Some(parsing) = queue.pop_front() {
                        let (payload, bad) = parsing.finish().await;
                        if let Some(next) = self.handle(payload, bad, out, fresh).await {
                            return next;
                        }
                    }
                    return Next::Retry {
                        reason: "the server closed the stream before completing it".into(),
                    };
                }
                Err(next) => return next,
            };
            decoder.feed_borrowed(&chunk, &mut |event| {
                queue.push_back(match event {
                    // A full batch is parsed on the parse threads, so the
                    // next read and the next batch's parse overlap with it:
                    // parsing is most of a stream's cost, and the UI task
                    // needs little of the second core.
                    Ok(event) => {
                        let name = event.event_type().to_string();
                        let data = event.data.into_owned();
                        let data_len = data.len();
                        let ids = self.more_ids_at_newest.hasher().clone();
                        let parse = move || {
                            let mut bad = Vec::new();
                            let mut payload = parse_log_event(&name, data, batch_hint, &mut bad);
                            if let Payload::Records(batch) = &mut payload {
                                batch.find_keys(&ids);
                            }
                            (payload, bad)
                        };
                        if data_len >= PARSE_ELSEWHERE_BYTES {
                            Parsing::Running(parsers.run(parse))
                        } else {
                            let (payload, bad) = parse();
                            Parsing::Done(payload, bad)
                        }
                    }
                    Err(e) => {
                        Parsing::Done(Payload::Ignore, vec![format!("domain-log stream: {e}")])
                    }
                });
            });
        }
    }
}

/// Events larger than this are parsed off the client task.
const PARSE_ELSEWHERE_BYTES: usize = 32 * 1024;
/// Events being parsed at once, counting the one being read: parsing (and
/// cleaning) is the longer side of an ingest, so a batch can wait for each
/// parse thread while the next is read, without holding many in memory.
const PARSE_IN_FLIGHT: usize = 4;

/// Threads per connection that parse its batches: two keep both cores of a
/// small machine parsing; more would take the cores the reader and the UI
/// need.
const PARSE_THREADS: usize = 2;

/// One event of the stream on its way to being parsed.
enum Parsing {
    Done(Payload, Vec<String>),
    Running(Running<(Payload, Vec<String>)>),
}

impl Parsing {
    /// The parsed event, once its parse thread is done with it.
    async fn finish(self) -> (Payload, Vec<String>) {
        match self {
            Parsing::Done(payload, bad) => (payload, bad),
            Parsing::Running(result) => parsed(result.await),
        }
    }
}

/// Waits for the front of the queue to be parsed; the caller pops it.
async fn next_parsed(queue: &mut VecDeque<Parsing>) -> (Payload, Vec<String>) {
    match queue.front_mut() {
        Some(Parsing::Running(handle)) => parsed(handle.await),
        Some(Parsing::Done(..)) | None => std::future::pending().await,
    }
}

/// What a parse on a parse thread gave.
fn parsed(
    outcome: Result<Result<(Payload, Vec<String>), Failed>, oneshot::error::RecvError>,
) -> (Payload, Vec<String>) {
    let failed = match outcome {
        Ok(Ok(parsed)) => return parsed,
        Ok(Err(failed)) => failed,
        Err(gone) => gone.to_string(),
    };
    let detail = format!("log batch could not be parsed: {failed}");
    (Payload::Ignore, vec![detail])
}

impl DomainLogsClient {
    /// Delivers one parsed event: its malformed-record reports, then its
    /// records or its completion. `Some` ends the connection.
    async fn handle(
        &mut self,
        payload: Payload,
        bad: Vec<String>,
        out: &Emitter,
        fresh: &mut bool,
    ) -> Option<Next> {
        for detail in bad {
            if out.malformed(detail).await.is_err() {
                return Some(Next::ConsumerGone);
            }
        }
        match payload {
            Payload::Ignore => None,
            Payload::Complete => Some(self.complete(out).await),
            Payload::Records(records) => {
                match self.deliver(records, out).await {
                    Ok(new) => *fresh |= new,
                    Err(ConsumerGone) => return Some(Next::ConsumerGone),
                }
                if self.remaining() == 0 {
                    return Some(self.complete(out).await);
                }
                None
            }
        }
    }
}

/// What one domain-log event is, as the client reads it: for the fuzz tests
/// (`tests/fuzz.rs`), which cannot reach the private parser.
#[doc(hidden)]
#[derive(Debug)]
pub enum ParsedEvent {
    Records(LogBatch),
    Complete,
    Ignore,
}

/// [`parse_payload`] for the fuzz tests: the event's meaning and the
/// malformed-record details it counted.
#[doc(hidden)]
pub fn parse_event(event: &SseEvent) -> (ParsedEvent, Vec<String>) {
    let mut bad = Vec::new();
    let parsed = match parse_payload(event, &mut bad) {
        Payload::Records(r) => ParsedEvent::Records(r),
        Payload::Complete => ParsedEvent::Complete,
        Payload::Ignore => ParsedEvent::Ignore,
    };
    (parsed, bad)
}

#[cfg(test)]
mod tests {
    use std::hash::BuildHasher;

    use super::*;

    fn event(name: &str, data: &str) -> SseEvent {
        SseEvent {
            event: name.into(),
            data: data.into(),
            id: None,
            retry: None,
        }
    }

    const REC: &str = r#"{"id":"a1","timestamp":"2026-05-27T10:15:00.250Z","event_type":"bounced","sender":"s@x","recipient":"r@y","subject":"Hi","tags":["t"],"message_id":"<m>","smtp_response":"550","mystery":{"k":1}}"#;

    fn records(p: Payload) -> Vec<LogRecord> {
        match p {
            Payload::Records(r) => r.to_records(),
            _ => panic!("not records"),
        }
    }

    #[test]
    fn every_known_type_reads_back_from_its_wire_name_and_nothing_else_does() {
        for t in LogEventType::KNOWN {
            assert_eq!(LogEventType::from_wire(t.as_str()), Some(t));
        }
        for name in ["other", "Queued", "queued ", "", "deliver"] {
            assert_eq!(LogEventType::from_wire(name), None, "{name:?}");
        }
    }

    #[test]
    fn every_batch_shape_parses() {
        let mut bad = Vec::new();
        for data in [
            format!(r#"{{"logs":[{REC}]}}"#),
            format!(r#"{{"data":[{REC}]}}"#),
            format!("[{REC}]"),
            REC.to_string(),
        ] {
            let r = records(parse_payload(&event("logs", &data), &mut bad));
            assert_eq!(r.len(), 1, "{data}");
            assert_eq!(r[0].id, "a1");
            assert_eq!(r[0].event_type, Some(LogEventType::Bounced));
            assert_eq!(r[0].timestamp_ms, 1_779_876_900_250);
            assert_eq!(
                r[0].extra,
                vec![("mystery".to_string(), serde_json::json!({"k":1}))]
            );
        }
        assert!(bad.is_empty());
    }

    #[test]
    fn every_completion_shape_is_recognised() {
        let mut bad = Vec::new();
        for (name, data) in [
            ("complete", r#"{"total":3}"#),
            ("completed", ""),
            ("done", "x"),
            ("end", "{}"),
            ("message", r#"{"type":"complete","total":3}"#),
            ("message", "[DONE]"),
        ] {
            assert!(
                matches!(
                    parse_payload(&event(name, data), &mut bad),
                    Payload::Complete
                ),
                "{name} {data}"
            );
        }
    }

    #[test]
    fn one_bad_record_costs_only_itself() {
        let mut bad = Vec::new();
        let data = format!(
            r#"{{"logs":[{REC},{{"timestamp":"2026-05-27T10:15:00Z"}},{{"id":"b","timestamp":"yesterday"}}]}}"#
        );
        let r = records(parse_payload(&event("logs", &data), &mut bad));
        assert_eq!(r.len(), 1);
        assert_eq!(bad.len(), 2);
        assert!(bad[0].contains("id"), "{bad:?}");
        assert!(bad[1].contains("yesterday"), "{bad:?}");
    }

    #[test]
    fn unknown_event_type_is_kept_and_round_trips() {
        let mut bad = Vec::new();
        let data = r#"{"id":"z","timestamp":"2026-05-27T10:15:00Z","event_type":"exploded"}"#;
        let r = records(parse_payload(&event("logs", data), &mut bad));
        assert_eq!(r[0].event_type, Some(LogEventType::Other));
        let json = serde_json::to_value(&r[0]).unwrap();
        assert_eq!(json["event_type"], "exploded");
        assert_eq!(json["timestamp"], "2026-05-27T10:15:00Z");
    }

    #[test]
    fn resume_drops_only_what_was_delivered() {
        crate::upstream::install_crypto_provider();
        let opts = Arc::new(ClientOptions::default());
        let net = Arc::new(crate::upstream::network::Network::new(&opts).unwrap());
        let mut c = DomainLogsClient::new(opts, net, "d".into(), LogQuery::default());
        let ids = c.more_ids_at_newest.hasher().clone();
        let rec = |id: &str, timestamp_ms| RecordKey {
            timestamp_ms,
            id_hash: ids.hash_one(id),
        };
        assert!(c.admit(rec("a", 1)));
        assert!(c.admit(rec("b", 2)));
        assert!(c.admit(rec("c", 2)));
        c.delivered = 3;
        // Reconnect: the server repeats everything from t=2.
        c.resumed_from = c.newest_ms;
        assert_eq!(c.next_query().start.map(|t| t.timestamp_millis()), Some(2));
        // Three delivered, two of them at t=2 that the server will repeat.
        assert_eq!(c.next_query().limit, Some(DEFAULT_LIMIT - 3 + 2));
        assert!(!c.admit(rec("a", 1)));
        assert!(!c.admit(rec("b", 2)));
        assert!(!c.admit(rec("c", 2)));
        assert!(c.admit(rec("d", 2)));
        assert!(c.admit(rec("e", 3)));
    }

    #[test]
    fn the_timestamp_fast_path_agrees_with_chrono() {
        let chrono_ms = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .ok()
                .map(|t| t.timestamp_millis())
        };
        for s in [
            "2026-05-27T10:15:00.250Z",
            "2026-05-27T10:15:00Z",
            "2026-05-27T10:15:00.2Z",
            "2026-05-27T10:15:00.25Z",
            "2026-05-27T10:15:00.123456789Z",
            "1970-01-01T00:00:00Z",
            "1969-12-31T23:59:59.999Z",
            "0001-01-01T00:00:00Z",
            "2000-02-29T12:00:00Z",
            "2024-12-31T23:59:59.999Z",
        ] {
            let fast = TimestampReader::default().read_utc(s.as_bytes());
            assert_eq!(fast, chrono_ms(s), "{s}");
            assert!(chrono_ms(s).is_some(), "{s}");
        }
        // Shapes left to chrono, or refused by both.
        for s in [
            "2026-05-27T10:15:00+02:00",
            "2026-05-27t10:15:00Z",
            "2026-05-27 10:15:00Z",
            "2026-05-27T10:15:60Z",
            "2026-02-30T10:15:00Z",
            "2100-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-05-27T24:00:00Z",
            "2026-05-27T10:15:00.Z",
            "2026-05-27T10:15:00.1234567890Z",
            "2026-05-27T10:15:00.12aZ",
            "+026-05-27T10:15:00Z",
            "yesterday",
        ] {
            assert_eq!(
                TimestampReader::default().read_utc(s.as_bytes()),
                None,
                "{s}"
            );
            assert_eq!(parse_timestamp_ms(s), chrono_ms(s), "{s}");
        }
    }

    proptest::proptest! {
        #[test]
        /// One reader over several timestamps, as a stream's: the second
        /// is on the same date or a day or two on, so the remembered date
        /// is used, and replaced.
        fn every_utc_millisecond_parses_as_chrono_says(
            ms in -62_135_596_800_000i64..253_402_300_799_999,
            later in 0i64..2 * 86_400_000,
        ) {
            let mut reader = TimestampReader::default();
            for ms in [ms, ms + later] {
                let Some(t) = DateTime::<Utc>::from_timestamp_millis(ms) else { continue };
                for format in [SecondsFormat::Millis, SecondsFormat::Secs, SecondsFormat::Nanos] {
                    let text = t.to_rfc3339_opts(format, true);
                    let chrono = DateTime::parse_from_rfc3339(&text).ok().map(|t| t.timestamp_millis());
                    proptest::prop_assert_eq!(reader.read_utc(text.as_bytes()), chrono, "{}", text);
                }
            }
        }
    }

    #[test]
    fn numeric_ids_are_kept_as_text_and_others_refused() {
        let mut bad = Vec::new();
        let data = r#"[{"id":42,"timestamp":"2026-05-27T10:15:00Z"},{"id":1.5,"timestamp":"2026-05-27T10:15:00Z"},{"id":true,"timestamp":"2026-05-27T10:15:00Z"}]"#;
        let r = records(parse_payload(&event("logs", data), &mut bad));
        assert_eq!(
            r.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
            ["42", "1.5"]
        );
        assert_eq!(bad.len(), 1);
        assert!(bad[0].contains("id is not a string"), "{bad:?}");
    }

    #[test]
    fn query_values_are_validated_with_the_bad_value_named() {
        assert!(parse_limit("0").unwrap_err().contains("\"0\""));
        assert!(parse_limit("500001").is_err());
        assert_eq!(parse_limit("500000"), Ok(500_000));
        assert!(parse_event_type("bouncd").unwrap_err().contains("bouncd"));
        assert_eq!(
            parse_event_type("temporary_fail"),
            Ok(LogEventType::TemporaryFail)
        );
        assert_eq!(
            parse_event_type("permfail"),
            Ok(LogEventType::PermanentFail)
        );
        assert!(
            parse_event_type("de")
                .unwrap_err()
                .contains("delivered or deferred")
        );
        // The API has no `other` to filter on.
        assert!(parse_event_type("other").is_err());
        assert!(parse_time("yesterday").unwrap_err().contains("yesterday"));
        let q = LogQuery {
            start: parse_time("2026-01-02T00:00:00Z").ok(),
            end: parse_time("2026-01-01T00:00:00Z").ok(),
            ..Default::default()
        };
        assert!(q.validate().unwrap_err().contains("after"));
    }
}
