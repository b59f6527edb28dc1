//! Domain email logs: `GET {mail}/api/domains/{domain}/log/stream`
//! (Server-Sent Events), with the query the server filters by.

mod batch;
mod parse_threads;

use crate::model::log::TimestampReader;
use crate::model::log::{
    LogBatch, LogEventType, LogQuery, LogRecord, MAX_LIMIT, RecordKey, parse_timestamp_ms,
};

use std::collections::{HashSet, VecDeque};

use chrono::{DateTime, Utc};
use std::sync::Arc;

use tokio::sync::oneshot;

use super::connection::{Connect, ConsumerGone, Emitter, Next, header_u64, read_body_chunk};
use super::network::{endpoint_url, sse_request};
use super::options::ClientOptions;
use super::sse::SseDecoder;
#[cfg(any(test, feature = "test-hooks"))]
use super::sse::SseEvent;
use super::{ConnState, StopReason, UpstreamBody};
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
#[derive(Debug)]
pub enum ParsedEvent {
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
#[cfg(any(test, feature = "test-hooks"))]
fn parse_payload(event: &SseEvent, bad: &mut Vec<String>) -> ParsedEvent {
    parse_log_event(event.event_type(), event.data.to_string(), 0, true, bad)
}

/// The records of one `logs` event's data, parsed as the client parses
/// them (and prepared for the log store when `prepare` says so, as for the
/// dashboard; `stream logs` does not), and the number that were skipped as
/// malformed (benchmarks).
pub fn parse_log_batch(data: String, prepare: bool) -> (LogBatch, usize) {
    let mut bad = Vec::new();
    match parse_log_event("logs", data, 0, prepare, &mut bad) {
        ParsedEvent::Records(records) => (records, bad.len()),
        ParsedEvent::Complete | ParsedEvent::Ignore => (LogBatch::default(), bad.len()),
    }
}

/// The names a completion goes by, as an event name or a `type` field.
pub(crate) fn is_completion(name: &str) -> bool {
    matches!(name, "complete" | "completed" | "done" | "end")
}

/// Reads one event: its name, then its data (see [`batch::parse_data`]).
/// `expected` is how many records the batch probably holds; `prepare`
/// readies them for the log store too.
fn parse_log_event(
    name: &str,
    data: String,
    expected: usize,
    prepare: bool,
    bad: &mut Vec<String>,
) -> ParsedEvent {
    if is_completion(name) {
        return ParsedEvent::Complete;
    }
    match data.trim() {
        "[DONE]" => ParsedEvent::Complete,
        "" => ParsedEvent::Ignore,
        _ => batch::parse_data(data, expected, prepare, bad),
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
        let request = sse_request(
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
                    if let ParsedEvent::Records(records) = &payload {
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
                        let prepare = self.opts.prepare_for_store;
                        let parse = move || {
                            let mut bad = Vec::new();
                            let mut payload =
                                parse_log_event(&name, data, batch_hint, prepare, &mut bad);
                            if let ParsedEvent::Records(batch) = &mut payload {
                                batch.find_keys(&ids);
                                batch.shed_raw();
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
                        Parsing::Done(ParsedEvent::Ignore, vec![format!("domain-log stream: {e}")])
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
    Done(ParsedEvent, Vec<String>),
    Running(Running<(ParsedEvent, Vec<String>)>),
}

impl Parsing {
    /// The parsed event, once its parse thread is done with it.
    async fn finish(self) -> (ParsedEvent, Vec<String>) {
        match self {
            Parsing::Done(payload, bad) => (payload, bad),
            Parsing::Running(result) => parsed(result.await),
        }
    }
}

/// Waits for the front of the queue to be parsed; the caller pops it.
async fn next_parsed(queue: &mut VecDeque<Parsing>) -> (ParsedEvent, Vec<String>) {
    match queue.front_mut() {
        Some(Parsing::Running(handle)) => parsed(handle.await),
        Some(Parsing::Done(..)) | None => std::future::pending().await,
    }
}

/// What a parse on a parse thread gave.
fn parsed(
    outcome: Result<Result<(ParsedEvent, Vec<String>), Failed>, oneshot::error::RecvError>,
) -> (ParsedEvent, Vec<String>) {
    let failed = match outcome {
        Ok(Ok(parsed)) => return parsed,
        Ok(Err(failed)) => failed,
        Err(gone) => gone.to_string(),
    };
    let detail = format!("log batch could not be parsed: {failed}");
    (ParsedEvent::Ignore, vec![detail])
}

impl DomainLogsClient {
    /// Delivers one parsed event: its malformed-record reports, then its
    /// records or its completion. `Some` ends the connection.
    async fn handle(
        &mut self,
        payload: ParsedEvent,
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
            ParsedEvent::Ignore => None,
            ParsedEvent::Complete => Some(self.complete(out).await),
            ParsedEvent::Records(records) => {
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

/// [`parse_payload`] for the fuzz tests (`tests/fuzz.rs`), which cannot
/// reach the private parser: the event's meaning and the malformed-record
/// details it counted.
#[cfg(feature = "test-hooks")]
pub fn parse_event(event: &SseEvent) -> (ParsedEvent, Vec<String>) {
    let mut bad = Vec::new();
    let parsed = parse_payload(event, &mut bad);
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

    fn records(p: ParsedEvent) -> Vec<LogRecord> {
        match p {
            ParsedEvent::Records(r) => r.to_records(),
            _ => panic!("not records"),
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
                    ParsedEvent::Complete
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
        crate::upstream::tls::install_crypto_provider();
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
        assert_eq!(
            c.next_query().limit,
            Some(crate::model::log::DEFAULT_LIMIT - 3 + 2)
        );
        assert!(!c.admit(rec("a", 1)));
        assert!(!c.admit(rec("b", 2)));
        assert!(!c.admit(rec("c", 2)));
        assert!(c.admit(rec("d", 2)));
        assert!(c.admit(rec("e", 3)));
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
}
