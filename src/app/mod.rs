//! The dashboard's state and the reducer that changes it.
//!
//! Everything here is pure: [`update`] takes an [`Action`] (a key, a mouse
//! event, a resize, an upstream event or a clock tick) and returns the
//! [`Command`]s the event loop must carry out. The reducer never reads the
//! system clock; time is what the last [`Action::Tick`] said.

pub mod alert_list;
pub mod alerts;
pub mod connlog;
pub mod cursor;
pub mod detail;
pub mod export;
pub mod feed;
pub mod filter;
pub mod filter_history;
pub mod geometry;
pub mod histogram;
pub mod keymap;
pub mod logcols;
pub mod logs;
pub mod logstore;
pub mod rate;
mod reducer;
pub mod sends;
pub mod timezone;
pub mod top_values;
mod unwatch;
pub mod watch_prompt;
pub mod zoom;

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::time::Duration;

use crossterm::event::{KeyEvent, MouseEvent};
use tui_input::Input;

use crate::model::LogQuery;
use crate::model::UpstreamEvent;
use crate::model::alert::{AlertRules, Notify};
use crate::model::log::DEFAULT_LIMIT;
use crate::model::{ConnState, Source};
use crate::sanitize::clean;

pub use connlog::{ConnEvent, FailureRun};
pub use detail::DetailItem;
pub use feed::FeedPane;
pub use geometry::{Geometry, Viewports};
pub use logs::LogsPane;
pub use reducer::update;
pub use sends::SendsPane;

/// How the app starts.
#[derive(Clone, Debug)]
pub struct AppOptions {
    /// Show the DEMO badge: the data comes from the simulator.
    pub demo: bool,
    /// No colours, only bold/underline/reverse (`NO_COLOR`).
    pub no_color: bool,
    /// Mouse capture is on, so wheel and click events will come.
    pub mouse: bool,
    /// The clock at start, in milliseconds since the Unix epoch.
    pub now_ms: i64,
    /// The `limit` that `WatchLogs` queries carry.
    pub log_limit: u32,
    /// Records held per domain; the oldest are evicted past it.
    pub max_log_records: usize,
    /// The proxy the streams go through, as `host:port` (never with its
    /// credentials), for the status bar.
    pub proxy: Option<String>,
    /// Where the full log is written, named under the connection log.
    pub log_file: Option<String>,
    /// Filters applied in earlier runs, per domain (the state directory's
    /// file, read by the dashboard).
    pub filter_history: filter_history::FilterHistory,
    /// The zone times are shown and typed in unless `z` switches to UTC:
    /// the dashboard's is `Local`; tests use a fixed one.
    pub zone: timezone::Zone,
    /// What makes an alert, and how one is announced (`[alerts]`).
    pub alert_rules: AlertRules,
}

impl Default for AppOptions {
    fn default() -> Self {
        AppOptions {
            demo: false,
            no_color: false,
            mouse: false,
            now_ms: 0,
            log_limit: DEFAULT_LIMIT,
            max_log_records: 1_000_000,
            proxy: None,
            log_file: None,
            filter_history: Default::default(),
            zone: timezone::Zone::Utc,
            alert_rules: AlertRules::default(),
        }
    }
}

/// Something that happened, for [`update`].
// An upstream event is by far the largest variant, and the common one; an
// action lives for one `update` call, so boxing it would only add a
// pointer chase to the hot path.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum Action {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Resize(u16, u16),
    /// The screen's answers for the state as it is now, from `ui`.
    Layout(geometry::Geometry),
    Upstream(UpstreamEvent),
    /// A stream is being started: its row or tab takes its place now, in
    /// the order they were asked for, not when its first event arrives.
    Watching(Source),
    /// The clock; the only source of time the reducer knows.
    Tick {
        now_ms: i64,
    },
    /// What the event loop reports of an export (`x`).
    Export(export::ExportEvent),
}

/// Something the event loop must do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    Quit,
    Watch(Source),
    Unwatch(Source),
    /// (Re)open a domain's log stream with this server-side query. The
    /// domain's held records were cleared when this was issued.
    WatchLogs {
        domain: String,
        query: LogQuery,
    },
    /// Say (with [`Action::Export`]) whether a file exists at `path`.
    CheckExportPath {
        path: String,
    },
    /// Start writing a file, off the event loop, reporting progress and
    /// the end with [`Action::Export`]; its records follow.
    Export(export::ExportJob),
    /// The next records of the file being written.
    ExportChunk(export::ExportChunk),
    /// Put this text on the clipboard (OSC 52).
    CopyToClipboard(String),
    /// Announce a raised alert: the bell or a desktop notification.
    Notify {
        how: Notify,
        /// Sanitized, one line.
        text: String,
    },
}

/// The three panes, in focus order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pane {
    Sends,
    Feed,
    Logs,
}

impl Pane {
    pub const ALL: [Pane; 3] = [Pane::Sends, Pane::Feed, Pane::Logs];

    pub fn title(self) -> &'static str {
        match self {
            Pane::Sends => "Sends",
            Pane::Feed => "Live feed",
            Pane::Logs => "Domain logs",
        }
    }

    pub fn number(self) -> usize {
        match self {
            Pane::Sends => 1,
            Pane::Feed => 2,
            Pane::Logs => 3,
        }
    }
}

/// What is drawn over the panes, and takes the keys while it is open.
#[derive(Clone, Debug, Default)]
pub enum Overlay {
    #[default]
    None,
    Help {
        scroll: u16,
    },
    /// Everything about one send, feed event or log record (Enter).
    Detail {
        item: DetailItem,
        scroll: u16,
    },
    /// One stream's connection history (`L`).
    ConnLog {
        source: Source,
        /// Lines scrolled up from the newest: at 0 the newest is at the
        /// bottom, and stays there as events arrive.
        from_bottom: u16,
    },
    /// The `a` prompt: what to watch.
    Watch {
        input: Input,
        error: Option<String>,
    },
    /// `d` asks before a watch stops: its rows, records and quota spent
    /// would be lost to a stray key.
    ConfirmUnwatch {
        source: Source,
    },
    /// The `x` prompt: where to export the matches.
    Export(export::ExportPrompt),
    /// The alert list (`!`): active and cleared alerts, newest first.
    Alerts {
        /// Index into the list, newest first.
        selected: usize,
        /// The first alert shown.
        scroll: usize,
    },
}

/// One stream's connection as last reported, and since when.
#[derive(Clone, Debug, PartialEq)]
pub struct StreamStatus {
    pub conn: ConnState,
    pub since_ms: i64,
    /// Rate-limit headers of the latest response (domain logs only).
    pub rate_limit: Option<RateLimitInfo>,
    /// Every state reported, oldest first, at most
    /// [`connlog::MAX_CONN_HISTORY`].
    pub history: VecDeque<ConnEvent>,
    /// The failed connections in a row the stream is in, if any.
    pub failing: Option<FailureRun>,
}

impl StreamStatus {
    /// Time left of a wait that started at `since_ms` (reconnect delay or
    /// rate-limit), at `now_ms`.
    pub fn remaining(&self, now_ms: i64) -> Option<Duration> {
        let wait = match &self.conn {
            ConnState::Reconnecting { delay, .. } => *delay,
            ConnState::RateLimited { wait } => *wait,
            _ => return None,
        };
        let elapsed = u64::try_from(now_ms.saturating_sub(self.since_ms)).unwrap_or(0);
        Some(wait.saturating_sub(Duration::from_millis(elapsed)))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimitInfo {
    pub limit: Option<u64>,
    pub remaining: Option<u64>,
}

/// Upstream events that could not be understood and were skipped.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MalformedStats {
    pub count: u64,
    /// The latest one: which stream, and what was wrong (sanitized).
    pub last: Option<(Source, String)>,
}

/// The latest failure any stream reported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LastError {
    pub at_ms: i64,
    pub source: Source,
    /// Sanitized.
    pub text: String,
}

/// How long the status bar shows an error no stream has repeated.
pub const ERROR_SHOWN_MS: i64 = 60_000;

/// A short message for the status bar, shown until `until_ms`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub text: String,
    pub until_ms: i64,
}

/// Everything the screen shows.
#[derive(Debug)]
pub struct AppState {
    pub demo: bool,
    /// Draw without colour (`NO_COLOR`): bold, underline and reverse only.
    pub no_color: bool,
    pub mouse: bool,
    /// Something visible changed since the event loop last drew.
    pub dirty: bool,
    pub now_ms: i64,
    /// Terminal size, columns × rows.
    pub size: (u16, u16),
    /// What `ui` worked out of the screen for this state (see
    /// [`geometry`]).
    pub geometry: geometry::Geometry,
    pub focus: Pane,
    /// The focused pane fills the screen (`Z`); focus moves keep it so.
    pub zoomed: bool,
    pub overlay: Overlay,
    pub sends: SendsPane,
    pub feed: FeedPane,
    pub logs: LogsPane,
    /// Every stream the app has heard of, in a stable order.
    pub streams: BTreeMap<Source, StreamStatus>,
    /// Sources the user stopped watching: their late events are dropped
    /// instead of bringing the row back.
    pub unwatched: HashSet<Source>,
    pub malformed: MalformedStats,
    pub last_error: Option<LastError>,
    pub notice: Option<Notice>,
    pub log_limit: u32,
    pub max_log_records: usize,
    /// `host:port` of the proxy, sanitized.
    pub proxy: Option<String>,
    /// The full log's path, sanitized.
    pub log_file: Option<String>,
    /// The export being written (`x`), if any.
    pub export: Option<export::ExportRun>,
    /// Send health: the rules, and the alerts they raised.
    pub alerts: alerts::Watchdog,
}

impl AppState {
    pub fn new(opts: AppOptions) -> AppState {
        AppState {
            demo: opts.demo,
            no_color: opts.no_color,
            mouse: opts.mouse,
            dirty: true,
            now_ms: opts.now_ms,
            size: (80, 24),
            geometry: Default::default(),
            focus: Pane::Sends,
            zoomed: false,
            overlay: Overlay::None,
            sends: SendsPane::default(),
            feed: FeedPane::default(),
            logs: LogsPane {
                history: opts.filter_history,
                zone: opts.zone,
                ..LogsPane::default()
            },
            streams: BTreeMap::new(),
            unwatched: HashSet::new(),
            malformed: MalformedStats::default(),
            last_error: None,
            notice: None,
            log_limit: opts.log_limit,
            max_log_records: opts.max_log_records,
            // Both are shown; a path may hold any character.
            proxy: opts.proxy.map(|p| clean(&p).into_owned()),
            log_file: opts.log_file.map(|p| clean(&p).into_owned()),
            export: None,
            alerts: alerts::Watchdog::new(opts.alert_rules),
        }
    }

    /// The query a domain stream is opened with when nothing narrows it.
    pub fn default_log_query(&self) -> LogQuery {
        LogQuery {
            limit: Some(self.log_limit),
            ..LogQuery::default()
        }
    }

    /// Whether `source`'s stream is connected and delivering now.
    pub fn stream_live(&self, source: &Source) -> bool {
        matches!(
            self.streams.get(source).map(|s| &s.conn),
            Some(ConnState::Live)
        )
    }

    /// The last error, while it is news: until its stream is back and
    /// delivering (the reducer then drops it), and for at most
    /// [`ERROR_SHOWN_MS`]. A stream still failing reports again, which
    /// makes its error new again.
    pub fn current_error(&self) -> Option<&LastError> {
        self.last_error
            .as_ref()
            .filter(|e| self.now_ms.saturating_sub(e.at_ms) < ERROR_SHOWN_MS)
    }

    /// The notice to show at the current clock, if any.
    pub fn current_notice(&self) -> Option<&str> {
        self.notice
            .as_ref()
            .filter(|n| n.until_ms > self.now_ms)
            .map(|n| n.text.as_str())
    }
}
