//! `misar-dash stream …`: one stream as NDJSON on stdout, the way scripts
//! and runbooks use `kubectl logs -f -o json`. Connection states go to
//! stderr, one line each; the exit code says how it ended.

mod alert_line;
pub mod log_lines;

use std::collections::{HashMap, HashSet};
use std::io::{self, Write};
use std::time::Duration;

use color_eyre::eyre::Result;
use serde_json::{Map, Value};
use tokio::sync::mpsc;

use crate::app::alerts::Watchdog;
use crate::app::filter::Filter;
use crate::cli::{LogsFormat, StreamWhat};
use crate::logfile::now_rfc3339;
use crate::model::alert::AlertRules;
use crate::model::{
    ConnState, InboxEvent, LogQuery, LogRecordRef, Source, UpstreamBody, UpstreamEvent,
};
use crate::sanitize::{clean, write_json};
use crate::upstream::options::ClientOptions;
use crate::upstream::{Upstream, Watches, campaign_to_follow};

/// Exit codes of the headless mode.
pub mod exit {
    pub const OK: i32 = 0;
    pub const USAGE: i32 = 2;
    pub const KEY_REFUSED: i32 = 3;
    pub const NOT_FOUND: i32 = 4;
    pub const GAVE_UP: i32 = 5;
    pub const TLS: i32 = 6;
    pub const PROXY: i32 = 7;
    pub const REDIRECTED: i32 = 8;
    /// `--fail-on-alert`: an alert was raised.
    pub const ALERT: i32 = 9;
    pub const INTERRUPTED: i32 = 130;
}

/// Ctrl-C (SIGINT), listened for from the moment this is made:
/// `tokio::signal::ctrl_c()` installs its handler only when first polled,
/// and a SIGINT before that (while the in-process simulator starts, say)
/// would end the process with no reason line.
pub struct Interrupt {
    #[cfg(unix)]
    int: Option<tokio::signal::unix::Signal>,
}

impl Interrupt {
    /// Must be called inside the runtime.
    pub fn listen() -> Interrupt {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Interrupt {
                int: signal(SignalKind::interrupt()).ok(),
            }
        }
        #[cfg(not(unix))]
        Interrupt {}
    }

    /// Resolves on the next Ctrl-C; never, if no handler could be had.
    async fn recv(&mut self) {
        #[cfg(unix)]
        if let Some(int) = &mut self.int
            && int.recv().await.is_some()
        {
            return;
        }
        #[cfg(not(unix))]
        if tokio::signal::ctrl_c().await.is_ok() {
            return;
        }
        std::future::pending::<()>().await
    }
}

/// The config's `[alerts]` rules, and `--fail-on-alert`.
#[derive(Clone, Debug, Default)]
pub struct Alerting {
    pub rules: AlertRules,
    pub fail_on_alert: bool,
}

/// How often the rules are judged besides after each event: a stall or a
/// stream that stays down is news without any event.
const JUDGE_EVERY: Duration = Duration::from_secs(1);

/// Streams `what` until every stream has ended (or Ctrl-C), printing to
/// `stdout` and `stderr`, with an alert line for each alert the rules
/// raise or clear. Returns the exit code.
pub async fn run(
    opts: ClientOptions,
    what: StreamWhat,
    alerting: Alerting,
    mut interrupt: Interrupt,
    stdout: &mut impl Write,
    stderr: &mut impl Write,
) -> Result<i32> {
    // A few batches in flight, as the dashboard keeps: a full channel makes
    // the client wait (backpressure into TCP); 256 held 100+ MB of batches
    // while stdout drained.
    let (tx, mut rx) = mpsc::channel(crate::dashboard::CHANNEL);
    // Nothing is stored: no batch is readied for a log store.
    let opts = ClientOptions {
        prepare_for_store: false,
        ..opts
    };
    let upstream = match Upstream::new(opts, tx) {
        Ok(upstream) => upstream,
        Err(e) => {
            // A ca_file or proxy setting that cannot be used: a usage error.
            writeln!(stderr, "misar-dash: {e:#}")?;
            return Ok(exit::USAGE);
        }
    };
    let mut watches = Watches::new(upstream);
    // Relative times (`--since 15m`) count back from the start of the run.
    let now_ms = chrono::Utc::now().timestamp_millis();
    let (sources, query, follow_campaigns) = sources_of(&what, now_ms);
    let log_filter = match &what {
        StreamWhat::Logs(args) => args.filter(),
        _ => Filter::default(),
    };
    if let Err(detail) = query.validate() {
        writeln!(stderr, "misar-dash: bad query: {detail}")?;
        return Ok(exit::USAGE);
    }
    if let Some(warning) = partial_address_warning(&query) {
        writeln!(stderr, "misar-dash: warning: {warning}")?;
    }
    let mut open: HashSet<Source> = HashSet::new();
    for source in sources {
        watches.watch(source.clone(), query.clone());
        open.insert(source);
    }
    let csv = matches!(&what, StreamWhat::Logs(args) if args.format == LogsFormat::Csv);
    if csv {
        crate::export::write_csv_header(stdout)?;
    }
    let mut printer = Printer {
        log_filter,
        now_ms,
        csv,
        ..Printer::default()
    };
    let alert_out = alert_line::AlertOut {
        csv,
        fail_on_alert: alerting.fail_on_alert,
    };
    let domain_rule_on = alerting.rules.domain_bounce_rate_pct.is_some();
    let mut watchdog = Watchdog::new(alerting.rules);
    if let StreamWhat::Logs(args) = &what
        && (query.narrows_records() || !domain_rule_on)
    {
        // A server-side filter: the records are not the domain's whole
        // log, so their bounce share means nothing. (With the rule off,
        // this spares timing each record of a long stream.)
        watchdog.judge_domain(&args.domain, false);
    }
    let mut clock = tokio::time::interval(JUDGE_EVERY);
    clock.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut code = exit::OK;
    while !open.is_empty() {
        let event = tokio::select! {
            event = rx.recv() => event,
            _ = clock.tick() => {
                let notices = watchdog.evaluate(chrono::Utc::now().timestamp_millis());
                if notices.is_empty() {
                    continue;
                }
                let written = alert_out
                    .write(&notices, stdout, stderr)
                    .and_then(|failed| stdout.flush().map(|()| failed));
                match written {
                    Ok(true) => return Ok(exit::ALERT),
                    Ok(false) => continue,
                    Err(e) => return write_failed(e, code),
                }
            }
            () = interrupt.recv() => {
                stdout.flush().ok();
                // README: each non-zero exit comes with one line saying why.
                let _ = writeln!(stderr, "misar-dash: interrupted");
                return Ok(exit::INTERRUPTED);
            }
        };
        let Some(event) = event else { break };
        if follow_campaigns
            && let Some(campaign) = campaign_to_follow(&event)
            && !watches.is_watching(&campaign)
            && watches.may_follow()
        {
            watches.watch(campaign.clone(), LogQuery::default());
            open.insert(campaign);
        }
        if let UpstreamBody::Conn(state) = &event.body
            && state.is_final()
        {
            open.remove(&event.source);
            if let ConnState::Stopped(reason) = state
                && code == exit::OK
            {
                code = reason.exit_code();
            }
        }
        let now_ms = chrono::Utc::now().timestamp_millis();
        watchdog.observe(&event, now_ms);
        let mut written = printer.print(&event, stdout, stderr);
        if written.is_ok() {
            let notices = watchdog.evaluate(now_ms);
            match alert_out.write(&notices, stdout, stderr) {
                Ok(true) => return Ok(exit::ALERT),
                Ok(false) => {}
                Err(e) => written = Err(e),
            }
        }
        if rx.is_empty() {
            // Flush only when caught up: fast streams go out in big writes,
            // slow ones line by line.
            if written.is_ok() {
                written = stdout.flush().map(|_| ());
            }
        }
        if let Err(e) = written {
            return write_failed(e, code);
        }
    }
    stdout.flush()?;
    Ok(code)
}

/// The end of a run whose output could not be written.
fn write_failed(e: io::Error, code: i32) -> Result<i32> {
    if e.kind() == io::ErrorKind::BrokenPipe {
        // The reader (head, a closed pager) is gone: that is a normal end.
        return Ok(code);
    }
    Err(e.into())
}

fn sources_of(what: &StreamWhat, now_ms: i64) -> (Vec<Source>, LogQuery, bool) {
    match what {
        StreamWhat::SendProgress { issue_ids } => (
            issue_ids
                .iter()
                .map(|issue_id| Source::SendProgress {
                    issue_id: issue_id.clone(),
                })
                .collect(),
            LogQuery::default(),
            false,
        ),
        StreamWhat::Inbox { follow_campaigns } => {
            (vec![Source::Inbox], LogQuery::default(), *follow_campaigns)
        }
        StreamWhat::Campaign { campaign_ids } => (
            campaign_ids
                .iter()
                .map(|campaign_id| Source::Campaign {
                    campaign_id: campaign_id.clone(),
                })
                .collect(),
            LogQuery::default(),
            false,
        ),
        StreamWhat::Logs(args) => {
            let query = args.query(now_ms);
            (
                vec![Source::DomainLogs {
                    domain: args.domain.clone(),
                }],
                query,
                false,
            )
        }
    }
}

/// Said when `--sender` or `--recipient` is not a whole address. The
/// domain-log doc marks only subject and tags "(partial match)"; sender and
/// recipient are "Filter logs by sender email", matched exactly. A fragment
/// such as `marketing` then matches nothing: a past range completes with 0
/// records, and a live domain waits for records that never come.
fn partial_address_warning(query: &LogQuery) -> Option<String> {
    let fragments: Vec<String> = [
        ("--sender", &query.sender),
        ("--recipient", &query.recipient),
    ]
    .into_iter()
    .filter_map(|(flag, value)| {
        let value = value.as_deref()?;
        (!value.contains('@')).then(|| format!("{flag} \"{}\"", clean(value)))
    })
    .collect();
    let (named, verb) = match fragments.as_slice() {
        [] => return None,
        [one] => (one.clone(), "is not a full address"),
        many => (many.join(" and "), "are not full addresses"),
    };
    Some(format!(
        "{named} {verb}: the API matches sender and recipient exactly (only subject and \
         tags match partially), so this may match no record"
    ))
}

/// Turns events into NDJSON lines and stderr lines.
#[derive(Default)]
struct Printer {
    /// The last status of each send, for its completion line.
    last_status: HashMap<Source, String>,
    /// `--filter` (with `--since`/`--until`): records it does not match are
    /// not printed. The API applied what it could of it already.
    log_filter: Filter,
    /// The clock relative times in `log_filter` resolve at.
    now_ms: i64,
    /// `--format csv`: records as CSV rows, and stdout nothing else.
    csv: bool,
    /// A batch's lines, before they are written.
    lines: Vec<u8>,
}

impl Printer {
    fn print(
        &mut self,
        event: &UpstreamEvent,
        out: &mut impl Write,
        err: &mut impl Write,
    ) -> io::Result<()> {
        let source = &event.source;
        match &event.body {
            UpstreamBody::Logs(records) => {
                let Source::DomainLogs { domain } = source else {
                    return Ok(());
                };
                // A batch's lines go out in one write: stdout is line
                // buffered, and a write per record was most of the cost.
                let lines = &mut self.lines;
                lines.clear();
                let (filter, now_ms) = (&self.log_filter, self.now_ms);
                let keep = |r: &LogRecordRef<'_>| filter.matches(r, now_ms);
                if self.csv {
                    for record in records.iter().filter(keep) {
                        crate::export::write_csv_record(&mut *lines, &record, csv_cell)?;
                    }
                } else {
                    log_lines::write_batch(lines, domain, records, keep)?;
                }
                out.write_all(lines)
            }
            UpstreamBody::Progress(p) => {
                self.last_status
                    .insert(source.clone(), p.status.as_str().to_string());
                let mut line = source_fields("progress", source);
                merge(&mut line, serde_json::to_value(p).unwrap_or_default());
                write_line(out, line)
            }
            UpstreamBody::Inbox(e) => {
                write_line(out, upstream_typed("inbox", source, inbox_value(e)))
            }
            UpstreamBody::Campaign(c) => {
                self.last_status
                    .insert(source.clone(), c.kind.as_str().to_string());
                write_line(
                    out,
                    upstream_typed(
                        "campaign",
                        source,
                        serde_json::to_value(c).unwrap_or_default(),
                    ),
                )
            }
            UpstreamBody::LogsComplete { total } if self.csv => {
                let total = total.map_or_else(|| "?".to_string(), |t| t.to_string());
                writeln!(
                    err,
                    "{}",
                    clean(&format!("{source}: complete, {total} records"))
                )
            }
            UpstreamBody::LogsComplete { total } => {
                let mut line = source_fields("complete", source);
                line.insert("total".into(), serde_json::json!(total));
                write_line(out, line)
            }
            UpstreamBody::Conn(state) => {
                if let ConnState::Finished { .. } = state
                    && !matches!(source, Source::DomainLogs { .. })
                {
                    let mut line = source_fields("complete", source);
                    let status = self.last_status.get(source).cloned().unwrap_or_default();
                    line.insert("status".into(), Value::String(status));
                    write_line(out, line)?;
                }
                let prefix = if matches!(state, ConnState::Stopped(_)) {
                    "misar-dash: "
                } else {
                    ""
                };
                // Sources and states carry upstream text (a followed
                // campaign's id, a server's error message).
                writeln!(err, "{}", clean(&format!("{prefix}{source}: {state}")))
            }
            UpstreamBody::RateLimit { limit, remaining } => {
                let show = |v: &Option<u64>| v.map_or("?".to_string(), |v| v.to_string());
                writeln!(
                    err,
                    "{source}: rate limit: {} of {} requests left",
                    show(remaining),
                    show(limit)
                )
            }
            UpstreamBody::Malformed { detail } => {
                writeln!(err, "{}", clean(&format!("{source}: skipped: {detail}")))
            }
        }
    }
}

/// A CSV cell for stdout, which may be a terminal: the NDJSON output
/// escapes what could drive one (`\u001b`); CSV has no escapes, so such
/// characters become U+FFFD, and a flag its letters, as on screen. Tabs
/// and line breaks stay (a quoted cell may hold them), but a carriage
/// return, which could overwrite a line, does not.
fn csv_cell(text: &str) -> String {
    text.chars()
        .map(|c| match crate::sanitize::flag_letter(c) {
            Some(letter) => letter,
            None if c != '\n' && c != '\t' && crate::sanitize::is_unsafe(c) => '\u{fffd}',
            None => c,
        })
        .collect()
}

/// The headless mode's stderr. With `--timestamps` each line starts with
/// the time its first byte was written ([`now_rfc3339`]), as a person
/// reading a runbook's output later wants to know when a link dropped.
pub struct Stderr<W> {
    out: W,
    timestamps: bool,
    /// The next byte written starts a line.
    line_start: bool,
}

impl<W: Write> Stderr<W> {
    pub fn new(out: W, timestamps: bool) -> Self {
        Stderr {
            out,
            timestamps,
            line_start: true,
        }
    }
}

impl<W: Write> Write for Stderr<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if !self.timestamps || buf.is_empty() {
            return self.out.write(buf);
        }
        if self.line_start {
            write!(self.out, "{} ", now_rfc3339())?;
            self.line_start = false;
        }
        // Up to the end of this line: the next one gets its own time.
        let end = memchr::memchr(b'\n', buf).map_or(buf.len(), |i| i + 1);
        let written = self.out.write(&buf[..end])?;
        self.line_start = written > 0 && buf[written - 1] == b'\n';
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// The first fields of a line: its type and which stream it is from.
fn source_fields(kind: &str, source: &Source) -> Map<String, Value> {
    let mut line = Map::new();
    line.insert("type".into(), Value::String(kind.into()));
    let (name, value) = match source {
        Source::SendProgress { issue_id } => ("issue_id", issue_id.as_str()),
        Source::Inbox => ("stream", "inbox"),
        Source::Campaign { campaign_id } => ("campaign_id", campaign_id.as_str()),
        Source::DomainLogs { domain } => ("domain", domain.as_str()),
    };
    line.insert(name.into(), Value::String(value.into()));
    line
}

/// An upstream object whose own `type` becomes `event`, under our `type`.
fn upstream_typed(kind: &str, source: &Source, upstream: Value) -> Map<String, Value> {
    let mut line = source_fields(kind, source);
    if let Value::Object(mut fields) = upstream {
        if let Some(t) = fields.remove("type") {
            line.insert("event".into(), t);
        }
        line.extend(fields);
    }
    line
}

fn inbox_value(event: &InboxEvent) -> Value {
    serde_json::to_value(event).unwrap_or_default()
}

fn merge(line: &mut Map<String, Value>, fields: Value) {
    if let Value::Object(fields) = fields {
        line.extend(fields);
    }
}

fn write_line(out: &mut impl Write, line: Map<String, Value>) -> io::Result<()> {
    write_json(&mut *out, &line)?;
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_timestamps_each_line_starts_with_its_time() {
        let mut err = Stderr::new(Vec::new(), true);
        write!(err, "issue iss-1: ").unwrap();
        writeln!(err, "live").unwrap();
        err.write_all(b"two\nlines\n").unwrap();
        let text = String::from_utf8(err.out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        for (line, want) in lines.iter().zip(["issue iss-1: live", "two", "lines"]) {
            let (time, rest) = line.split_once(' ').unwrap();
            assert!(chrono::DateTime::parse_from_rfc3339(time).is_ok(), "{line}");
            assert!(time.ends_with('Z') && time.len() == 24, "{line}");
            assert_eq!(rest, want);
        }
    }

    #[test]
    fn a_sender_or_recipient_without_at_is_warned_about() {
        let query = |sender: Option<&str>, recipient: Option<&str>| LogQuery {
            sender: sender.map(String::from),
            recipient: recipient.map(String::from),
            ..LogQuery::default()
        };
        assert_eq!(partial_address_warning(&query(None, None)), None);
        let whole = query(Some("marketing@shop.example.com"), Some("bob@example.org"));
        assert_eq!(partial_address_warning(&whole), None);
        let one = partial_address_warning(&query(Some("marketing"), None)).unwrap();
        assert!(
            one.starts_with("--sender \"marketing\" is not a full address: "),
            "{one}"
        );
        let both = partial_address_warning(&query(Some("marketing"), Some("bob"))).unwrap();
        assert!(
            both.starts_with("--sender \"marketing\" and --recipient \"bob\" are not full"),
            "{both}"
        );
        let hostile = partial_address_warning(&query(Some("a\u{1b}[2Jb"), None)).unwrap();
        assert!(!hostile.contains('\u{1b}'), "{hostile}");
    }

    #[test]
    fn csv_cells_keep_line_breaks_but_nothing_that_drives_a_terminal() {
        assert_eq!(csv_cell("a\nb\tc"), "a\nb\tc");
        assert_eq!(
            csv_cell("x\u{1b}[2Jy\rz\u{202e}"),
            "x\u{fffd}[2Jy\u{fffd}z\u{fffd}"
        );
        assert_eq!(csv_cell("café, \"ok\""), "café, \"ok\"");
        assert_eq!(csv_cell("hi \u{1f1ef}\u{1f1f5}"), "hi JP");
    }

    #[test]
    fn without_timestamps_lines_pass_unchanged() {
        let mut err = Stderr::new(Vec::new(), false);
        writeln!(err, "issue iss-1: live").unwrap();
        assert_eq!(err.out, b"issue iss-1: live\n");
    }
}
