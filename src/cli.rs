//! The command line.

use clap::{Args, Parser, Subcommand};

use crate::app::filter::{self, Filter};
use crate::app::watch_prompt::normalize_domain;
use crate::model::log::{parse_event_type, parse_limit, parse_text, parse_time};
use crate::model::{LogEventType, LogQuery};

/// A terminal dashboard for email sends: newsletter progress, live mail
/// events and domain logs. With no keys and no URLs configured it runs a
/// demo against its built-in simulator.
#[derive(Debug, Parser)]
#[command(name = "misar-dash", version, about, long_about = None)]
#[command(
    after_help = "Keys come from MISAR_BLOG_KEY and MISAR_MAIL_KEY (or the config file), never from flags.\nPress ? in the dashboard for its keys."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub upstream: UpstreamArgs,
    #[command(flatten)]
    pub dash: DashArgs,
    #[command(flatten)]
    pub log: LogArgs,
}

impl Cli {
    /// The async runtime's worker threads: `None` for one a core. `stream`
    /// against a server of its own gets one: its printer runs on the main
    /// thread and a log batch is parsed on the parse threads, so a worker
    /// only reads the sockets; a second one to steal that work from it cost
    /// `stream logs` 4% of its time (BENCHMARKS.md). With `--sim` the
    /// simulator's servers run on the workers too.
    pub fn runtime_workers(&self) -> Option<usize> {
        match self.command {
            Some(Command::Stream(_)) if !self.upstream.sim => Some(1),
            _ => None,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print one stream as NDJSON on stdout, for scripts and runbooks.
    Stream(StreamArgs),
    /// Run the simulator of the three APIs alone and print where it listens.
    Sim(SimArgs),
    /// Measure the domain-log path against a simulator (see BENCHMARKS.md).
    Bench {
        #[command(subcommand)]
        what: BenchWhat,
    },
    /// Show or create the config file.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Print the config file's path and the network log's.
    Path,
    /// Write a commented example config file (refuses to overwrite).
    Init,
}

/// Where the upstream APIs are. These work before or after a subcommand.
#[derive(Debug, Clone, Default, Args)]
pub struct UpstreamArgs {
    /// Base URL of the blog API (send progress).
    #[arg(long, global = true, env = "MISAR_BLOG_URL", value_name = "URL")]
    pub blog_url: Option<String>,
    /// Base URL of the mail API (domain logs).
    #[arg(long, global = true, env = "MISAR_MAIL_URL", value_name = "URL")]
    pub mail_url: Option<String>,
    /// Base URL of the mail WebSocket API (inbox and campaigns).
    #[arg(long, global = true, env = "MISAR_MAIL_WS_URL", value_name = "URL")]
    pub mail_ws_url: Option<String>,
    /// Send keys as ?token= instead of an Authorization header, for proxies
    /// that strip headers. The key then shows in proxy logs.
    #[arg(long, global = true)]
    pub token_in_query: bool,
    /// Start the simulator in-process and point everything at it.
    #[arg(long, global = true)]
    pub sim: bool,
}

/// Where the network log goes. Works before or after a subcommand.
#[derive(Debug, Clone, Default, Args)]
pub struct LogArgs {
    /// Write the network log (each stream's connection states) to this
    /// file. The dashboard always writes one, by default in the state
    /// directory (`misar-dash config path` shows where); `stream` writes
    /// one only when given this.
    #[arg(long, global = true, value_name = "PATH")]
    pub log_file: Option<std::path::PathBuf>,
}

/// What the dashboard watches (added to what the config file lists).
#[derive(Debug, Clone, Default, Args)]
pub struct DashArgs {
    /// A newsletter issue to follow (repeatable).
    #[arg(long = "issue", value_name = "ID")]
    pub issues: Vec<String>,
    /// A campaign to follow (repeatable).
    #[arg(long = "campaign", value_name = "ID")]
    pub campaigns: Vec<String>,
    /// A domain whose logs to stream (repeatable).
    #[arg(long = "domain", value_name = "NAME", value_parser = normalize_domain)]
    pub domains: Vec<String>,
    /// Most log records to ask for per domain (1..=500000; the API's default is 50000).
    #[arg(long, value_parser = parse_limit, value_name = "N")]
    pub limit: Option<u32>,
    /// Capture the mouse for wheel scrolling (breaks text selection over SSH).
    #[arg(long)]
    pub mouse: bool,
    /// Do not add a row for each campaign the inbox announces; show only
    /// the sends asked for.
    #[arg(long)]
    pub no_follow_campaigns: bool,
}

#[derive(Debug, Args)]
pub struct StreamArgs {
    #[command(subcommand)]
    pub what: StreamWhat,
    /// Consecutive failed connection attempts before giving up (exit 5).
    #[arg(long, default_value_t = 5, value_name = "N", global = true)]
    pub max_retries: u32,
    /// Start each stderr line with its time (RFC 3339, UTC, milliseconds).
    #[arg(long, global = true)]
    pub timestamps: bool,
    /// Exit (code 9) on the first alert the config's `[alerts]` rules
    /// raise, after printing its line.
    #[arg(long, global = true)]
    pub fail_on_alert: bool,
}

#[derive(Debug, Subcommand)]
// One value per run, parsed once: its size does not matter.
#[allow(clippy::large_enum_variant)]
pub enum StreamWhat {
    /// Send progress of newsletter issues, until each reaches a terminal state.
    SendProgress {
        #[arg(required = true, value_name = "ISSUE_ID")]
        issue_ids: Vec<String>,
    },
    /// The live inbox feed (runs until interrupted).
    Inbox {
        /// Also stream each campaign that a campaign_started event announces.
        #[arg(long)]
        follow_campaigns: bool,
    },
    /// Delivery progress of campaigns, until each ends.
    Campaign {
        #[arg(required = true, value_name = "CAMPAIGN_ID")]
        campaign_ids: Vec<String>,
    },
    /// A domain's email logs, one line per record, then a completion line.
    Logs(LogsArgs),
}

#[derive(Debug, Clone, Args)]
pub struct LogsArgs {
    #[arg(value_parser = normalize_domain)]
    pub domain: String,
    /// Only records at or after this time (RFC 3339).
    #[arg(long, value_parser = parse_time, value_name = "TIME")]
    pub start: Option<chrono::DateTime<chrono::Utc>>,
    /// Only records at or before this time (RFC 3339).
    #[arg(long, value_parser = parse_time, value_name = "TIME")]
    pub end: Option<chrono::DateTime<chrono::Utc>>,
    /// Only records from this sender address (matched whole, not in part).
    #[arg(long, value_parser = parse_text, value_name = "ADDRESS")]
    pub sender: Option<String>,
    /// Only records to this recipient address (matched whole, not in part).
    #[arg(long, value_parser = parse_text, value_name = "ADDRESS")]
    pub recipient: Option<String>,
    /// Only records whose subject contains this.
    #[arg(long, value_parser = parse_text)]
    pub subject: Option<String>,
    /// Only records of this event type: queued, delivered, bounced, failed,
    /// opened, clicked, unsub(scribed), tempfail (temporary_fail), permfail
    /// (permanent_fail), deferred, or a prefix of one (bou).
    #[arg(long, value_parser = parse_event_type, value_name = "TYPE")]
    pub event_type: Option<LogEventType>,
    /// Only records with a tag containing this.
    #[arg(long, value_parser = parse_text)]
    pub tags: Option<String>,
    /// Most records to stream (1..=500000; the API's default is 50000).
    #[arg(long, value_parser = parse_limit, value_name = "N")]
    pub limit: Option<u32>,
    /// Only records at or after this: a duration back from now (30s, 15m,
    /// 2h, 1d) or an RFC 3339 time, as the dashboard's `since:`.
    #[arg(long, value_parser = parse_since, value_name = "WHEN", conflicts_with = "start")]
    pub since: Option<String>,
    /// Only records at or before this, likewise (the dashboard's `until:`).
    #[arg(long, value_parser = parse_until, value_name = "WHEN", conflicts_with = "end")]
    pub until: Option<String>,
    /// Only records the dashboard's filter language matches, e.g.
    /// 'type:bounced to:@gmail.com -tag:test'. What the API can apply is
    /// sent to it; the rest is applied here, to each record.
    #[arg(long, value_parser = parse_filter, value_name = "QUERY")]
    pub filter: Option<String>,
    /// What stdout carries: ndjson (a line per record, then a completion
    /// line) or csv (a header, then a row per record, as the dashboard's
    /// `x` export writes; the completion goes to stderr).
    #[arg(long, value_enum, default_value = "ndjson")]
    pub format: LogsFormat,
}

/// `stream logs --format`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogsFormat {
    #[default]
    Ndjson,
    Csv,
}

impl LogsArgs {
    /// `--filter`, `--since` and `--until` as one filter (empty without them).
    pub fn filter(&self) -> Filter {
        let mut text = self.filter.clone().unwrap_or_default();
        for (field, value) in [("since", &self.since), ("until", &self.until)] {
            if let Some(value) = value {
                text.push_str(&format!(" {field}:{value}"));
            }
        }
        // Each part was checked as it was parsed; together they parse too.
        filter::parse(&text).unwrap_or_default()
    }

    /// The server-side query: the flags, and what of [`LogsArgs::filter`]
    /// the API can apply itself where no flag says otherwise, with relative
    /// times resolved at `now_ms`.
    pub fn query(&self, now_ms: i64) -> LogQuery {
        let pushed = self.filter().server_query(now_ms, self.limit.unwrap_or(1));
        LogQuery {
            start: self.start.or(pushed.start),
            end: self.end.or(pushed.end),
            sender: self.sender.clone().or(pushed.sender),
            recipient: self.recipient.clone().or(pushed.recipient),
            subject: self.subject.clone().or(pushed.subject),
            event_type: self.event_type.or(pushed.event_type),
            tags: self.tags.clone().or(pushed.tags),
            limit: self.limit,
        }
    }
}

fn parse_filter(text: &str) -> Result<String, String> {
    filter::parse(text)
        .map(|_| text.to_string())
        .map_err(|e| e.reason)
}

fn parse_since(text: &str) -> Result<String, String> {
    parse_filter(&format!("since:{text}")).map(|_| text.to_string())
}

fn parse_until(text: &str) -> Result<String, String> {
    parse_filter(&format!("until:{text}")).map(|_| text.to_string())
}

#[derive(Debug, Args)]
pub struct SimArgs {
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Seed of the simulated data.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Simulated seconds per real second.
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// SSE wire quirks: plain, crlf, cr, bytes, comments, all (comma-separated).
    #[arg(long, default_value = "plain")]
    pub wire: String,
    /// Start every WebSocket with junk frames and hostile text, and send
    /// one frame over the client's size cap per channel.
    #[arg(long)]
    pub ws_hostile: bool,
    /// Pre-generate bulk.example.com's unfiltered 500,000-record stream at
    /// start and serve it from memory, so the server is never the
    /// bottleneck of a benchmark (takes a few seconds and ~150 MB).
    #[arg(long)]
    pub prebuilt: bool,
}

#[derive(Debug, Subcommand)]
pub enum BenchWhat {
    /// Stream a domain's logs into the dashboard's log store, as the
    /// dashboard does minus the terminal, and report records per second.
    /// Without --mail-url it starts a prebuilt simulator in-process.
    Ingest(IngestArgs),
    /// Drive the dashboard's event loop on a virtual terminal while it
    /// ingests at full speed: keystroke-to-screen latency, frame cost and
    /// idle redraws. Without --mail-url it starts a prebuilt simulator.
    Keys(KeysArgs),
    /// The same stream taken apart, each stage on one thread: the HTTP body
    /// drained, then also decoded as SSE, then also every batch parsed and
    /// cleaned as the client does. Where an ingest's time goes.
    Stages(StagesArgs),
}

/// The stream a benchmark times, and how often.
#[derive(Debug, Clone, Args)]
pub struct StreamRuns {
    /// The domain whose logs to stream.
    #[arg(long, default_value = "bulk.example.com")]
    pub domain: String,
    /// Records to ask for.
    #[arg(long, default_value_t = 500_000, value_parser = parse_limit, value_name = "N")]
    pub limit: u32,
    /// Timed runs (for stages: of each stage, interleaved); medians are
    /// reported.
    #[arg(long, default_value_t = 5, value_name = "N")]
    pub runs: u32,
}

#[derive(Debug, Clone, Args)]
pub struct StagesArgs {
    #[command(flatten)]
    pub stream: StreamRuns,
}

#[derive(Debug, Clone, Args)]
pub struct IngestArgs {
    #[command(flatten)]
    pub stream: StreamRuns,
    /// Print one JSON object per run and one summary line, for scripts.
    #[arg(long)]
    pub json: bool,
    /// Skip the re-filter and frame timings after the runs, so that a
    /// profiler attached to the process sees only the ingest.
    #[arg(long)]
    pub ingest_only: bool,
}

#[derive(Debug, Clone, Args)]
pub struct KeysArgs {
    /// The domain whose logs to stream.
    #[arg(long, default_value = "bulk.example.com")]
    pub domain: String,
    /// Keystrokes to time.
    #[arg(long, default_value_t = 300, value_name = "N")]
    pub keys: u32,
    /// Milliseconds between keystrokes (80: a very fast typist, 150 wpm).
    #[arg(long, default_value_t = 80, value_name = "MS")]
    pub every_ms: u64,
    /// Virtual terminal size, COLSxROWS.
    #[arg(long, default_value = "200x60")]
    pub size: String,
    /// Seconds to watch the idle dashboard after the keystrokes.
    #[arg(long, default_value_t = 5, value_name = "S")]
    pub idle_secs: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn upstream_flags_work_after_the_subcommand() {
        let cli = Cli::try_parse_from([
            "misar-dash",
            "stream",
            "logs",
            "d.example",
            "--sim",
            "--limit",
            "10",
        ])
        .unwrap();
        assert!(cli.upstream.sim);
        let Some(Command::Stream(s)) = cli.command else {
            panic!()
        };
        let StreamWhat::Logs(l) = s.what else {
            panic!()
        };
        assert_eq!(l.limit, Some(10));
    }

    #[test]
    fn the_log_file_flag_works_before_and_after_a_subcommand() {
        for args in [
            &["misar-dash", "--log-file", "n.log", "stream", "inbox"][..],
            &["misar-dash", "stream", "inbox", "--log-file", "n.log"],
            &["misar-dash", "--log-file", "n.log"],
        ] {
            let cli = Cli::try_parse_from(args).unwrap();
            assert_eq!(cli.log.log_file, Some("n.log".into()), "{args:?}");
        }
    }

    #[test]
    fn following_campaigns_is_on_unless_the_flag_or_the_file_says_off() {
        use crate::config::FileConfig;
        use crate::dashboard::DashOptions;
        let follow = |args: &[&str], file: Option<bool>| {
            let cli = Cli::try_parse_from(args).unwrap();
            let file = FileConfig {
                follow_campaigns: file,
                ..FileConfig::default()
            };
            DashOptions::new(&cli.dash, &file, false).follow_campaigns
        };
        assert!(follow(&["misar-dash"], None));
        assert!(!follow(&["misar-dash", "--no-follow-campaigns"], None));
        assert!(!follow(&["misar-dash"], Some(false)));
        assert!(!follow(
            &["misar-dash", "--no-follow-campaigns"],
            Some(true)
        ));
    }

    #[test]
    fn a_bad_query_value_is_refused_naming_it() {
        let err = Cli::try_parse_from([
            "misar-dash",
            "stream",
            "logs",
            "d.example",
            "--event-type",
            "bouncd",
        ])
        .unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("bouncd"), "{err}");
    }

    #[test]
    fn domains_are_normalised_and_checked_as_they_are_parsed() {
        let cli = Cli::try_parse_from(["misar-dash", "--domain", "Shop.Example.COM."]).unwrap();
        assert_eq!(cli.dash.domains, ["shop.example.com"]);
        let err = Cli::try_parse_from(["misar-dash", "stream", "logs", "foo..com"]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("two dots"), "{err}");
    }
}
