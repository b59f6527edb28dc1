//! The dashboard's event loop. One task owns the [`AppState`]; it merges
//! terminal input, the upstream channel, a clock tick and signals into
//! actions for the reducer, carries out the reducer's commands, and draws
//! when the state changed: at most 30 frames a second however fast events
//! arrive, and once a second when nothing happens. No network or file I/O
//! happens here; the clients do theirs on their own tasks.

use crate::model::alert::AlertRules;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use color_eyre::eyre::{Result, WrapErr, eyre};
use crossterm::event::{Event, EventStream};
use futures_util::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use tokio::sync::mpsc;

use crate::app::filter_history::FilterHistory;
use crate::app::watch_prompt::normalize_domain;
use crate::app::{Action, AppOptions, AppState, Command};
use crate::cli::DashArgs;
use crate::config::FileConfig;
use crate::model::log::DEFAULT_LIMIT;
use crate::model::{LogQuery, Source, UpstreamEvent};
use crate::terminal::TerminalGuard;
use crate::upstream::options::ClientOptions;
use crate::upstream::{Upstream, Watches, campaign_to_follow};

mod export;
mod stats;
#[cfg(test)]
mod tests;

/// How long a start-up warning (--token-in-query, no log file) stays in
/// the status bar.
const WARNING_MS: i64 = 30_000;
/// The shortest time between two frames.
const FRAME: Duration = Duration::from_millis(33);
/// Time spent applying upstream events before input is looked at again, so
/// a flood of log batches cannot starve the keyboard.
const UPSTREAM_BURST: Duration = Duration::from_millis(4);

/// What the dashboard watches at start-up.
#[derive(Clone, Debug, Default)]
pub struct WatchList {
    pub issues: Vec<String>,
    pub campaigns: Vec<String>,
    pub domains: Vec<String>,
    pub inbox: bool,
}

impl WatchList {
    /// Flags first, then the config file; duplicates dropped. Domains are
    /// normalised (`Shop.Example.COM.` is `shop.example.com`); one in the
    /// config file that is no domain is an error naming it (the flag's
    /// value is checked as it is parsed).
    pub fn from_args(args: &DashArgs, file: &FileConfig) -> Result<WatchList> {
        let join = |a: &[String], b: &[String]| {
            let mut all: Vec<String> = Vec::new();
            for item in a.iter().chain(b) {
                if !all.contains(item) {
                    all.push(item.clone());
                }
            }
            all
        };
        let file_domains = file
            .domains
            .iter()
            .map(|d| normalize_domain(d).map_err(|e| eyre!("domains in the config file: {e}")))
            .collect::<Result<Vec<_>>>()?;
        Ok(WatchList {
            issues: join(&args.issues, &file.issues),
            campaigns: join(&args.campaigns, &file.campaigns),
            domains: join(&args.domains, &file_domains),
            inbox: true,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.issues.is_empty() && self.campaigns.is_empty() && self.domains.is_empty()
    }
}

pub struct DashOptions {
    pub demo: bool,
    pub mouse: bool,
    pub limit: u32,
    pub follow_campaigns: bool,
    pub max_log_records: usize,
    /// Said in the status bar at start (the log file could not be opened).
    pub warning: Option<String>,
    /// Where the network log is written, for the `L` overlay's footer.
    pub log_file: Option<String>,
    /// Where the filters applied are kept across runs.
    pub filter_history: Option<PathBuf>,
    /// The config's `[alerts]`.
    pub alert_rules: AlertRules,
}

impl DashOptions {
    pub fn new(args: &DashArgs, file: &FileConfig, demo: bool) -> DashOptions {
        DashOptions {
            demo,
            mouse: args.mouse || file.mouse,
            limit: args.limit.or(file.limit).unwrap_or(DEFAULT_LIMIT),
            follow_campaigns: !args.no_follow_campaigns && file.follow_campaigns.unwrap_or(true),
            max_log_records: file.max_log_records.unwrap_or(1_000_000),
            warning: None,
            log_file: None,
            filter_history: crate::logfile::state_file(FILTER_HISTORY_FILE),
            alert_rules: file.alerts.clone(),
        }
    }
}

/// The filter history's file in the state directory.
const FILTER_HISTORY_FILE: &str = "filter-history";

pub async fn run(client: ClientOptions, watch: WatchList, opts: DashOptions) -> Result<()> {
    let token_in_query = client.token_in_query;
    let (tx, mut rx) = mpsc::channel::<UpstreamEvent>(CHANNEL);
    let upstream = Upstream::new(client, tx)?;
    let mut state = initial_state(&opts, upstream.proxy_label());
    let mut watches = Watches::new(upstream);
    let warnings: Vec<&str> = token_in_query
        .then_some(crate::TOKEN_IN_QUERY_WARNING)
        .into_iter()
        .chain(opts.warning.as_deref())
        .collect();
    if !warnings.is_empty() {
        // Once, at start, where the user is looking.
        state.notice = Some(crate::app::Notice {
            text: crate::sanitize::clean(&warnings.join("; ")).into_owned(),
            until_ms: state.now_ms + WARNING_MS,
        });
    }
    start_watching(&mut state, watch, opts.limit, &mut watches);
    // Signal handlers first: a SIGTERM that came after the terminal was
    // taken but before they were installed would kill the process with the
    // terminal still raw.
    let mut signals = Signals::new()?;
    let panic_at = test_panic_trigger();
    let mut guard = TerminalGuard::enter(opts.mouse).wrap_err("could not set up the terminal")?;
    let stop = async {
        tokio::select! {
            _ = signals.recv() => {}
            _ = sleep_until_some(panic_at) => test_panic(),
        }
    };
    let result = event_loop(
        &mut guard.terminal,
        EventStream::new(),
        std::pin::pin!(stop),
        LoopParts {
            state: &mut state,
            watches: &mut watches,
            rx: &mut rx,
        },
        opts.follow_campaigns,
        &mut |_: &AppState, _: &FrameInfo| {},
    )
    .await;
    drop(guard);
    save_filter_history(&state, opts.filter_history.as_deref());
    result
}

/// Events the channel from the client tasks holds. A domain-log batch of
/// 1,000 records is 150-200 KB in memory (only its store-ready form; with
/// its text and spans it was three times that), so this bounds
/// what waits while the UI is busy (a re-filter, a frame) to a few MB; a
/// full channel makes the clients wait, which is backpressure into TCP, not
/// loss. With two batches being parsed as well, eight keep the reducer fed:
/// 64 held ~40 MB more at the peak of a 500,000-record stream and were no
/// faster.
pub(crate) const CHANNEL: usize = 8;

/// The state at start; `proxy` is the proxy the streams go through.
pub(crate) fn initial_state(opts: &DashOptions, proxy: Option<String>) -> AppState {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    AppState::new(AppOptions {
        demo: opts.demo,
        no_color,
        mouse: opts.mouse,
        now_ms: now_ms(),
        log_limit: opts.limit,
        max_log_records: opts.max_log_records,
        proxy,
        log_file: opts.log_file.clone(),
        zone: crate::app::timezone::Zone::Local,
        alert_rules: opts.alert_rules.clone(),
        filter_history: opts
            .filter_history
            .as_deref()
            .and_then(|path| std::fs::read_to_string(path).ok())
            .map(|text| FilterHistory::from_text(&text))
            .unwrap_or_default(),
    })
}

/// Keeps the filters applied for the next run. A history that cannot be
/// written is not worth an error at quit: the next run starts without it.
fn save_filter_history(state: &AppState, path: Option<&Path>) {
    let Some(path) = path else { return };
    let text = state.logs.history.to_text();
    if text.is_empty() {
        return;
    }
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    if let Err(e) = std::fs::write(path, text) {
        tracing::warn!(
            "could not keep the filter history in {}: {e}",
            path.display()
        );
    }
}

/// Starts the streams of `watch`, their rows and tabs in that order.
pub(crate) fn start_watching(
    state: &mut AppState,
    watch: WatchList,
    limit: u32,
    watches: &mut Watches,
) {
    let log_query = LogQuery {
        limit: Some(limit),
        ..LogQuery::default()
    };
    let sources = watch
        .inbox
        .then_some(Source::Inbox)
        .into_iter()
        .chain(
            watch
                .issues
                .into_iter()
                .map(|issue_id| Source::SendProgress { issue_id }),
        )
        .chain(
            watch
                .campaigns
                .into_iter()
                .map(|campaign_id| Source::Campaign { campaign_id }),
        )
        .chain(
            watch
                .domains
                .into_iter()
                .map(|domain| Source::DomainLogs { domain }),
        );
    for source in sources {
        let query = match source {
            Source::DomainLogs { .. } => log_query.clone(),
            _ => LogQuery::default(),
        };
        dispatch(state, Action::Watching(source.clone()));
        watches.watch(source, query);
    }
}

/// Applies one action, then hands the reducer the screen's answers for
/// the state it left (page heights, pane areas, overlay scroll limits)
/// when they changed. Every action the dashboard applies goes through
/// here, so the reducer never works from a stale layout.
pub fn dispatch(state: &mut AppState, action: Action) -> Vec<Command> {
    let commands = crate::app::update(state, action);
    let geometry = crate::ui::layout::geometry(state);
    if geometry != state.geometry {
        crate::app::update(state, Action::Layout(geometry));
    }
    commands
}

/// What the loop owns while it runs.
pub(crate) struct LoopParts<'a> {
    pub state: &'a mut AppState,
    pub watches: &'a mut Watches,
    pub rx: &'a mut mpsc::Receiver<UpstreamEvent>,
}

/// One frame that went out, for whoever watches the loop (benchmarks).
#[derive(Clone, Copy, Debug)]
pub(crate) struct FrameInfo {
    /// When the frame was flushed to the terminal.
    pub flushed: Instant,
    /// Time spent building and writing it.
    pub cost: Duration,
    /// Input events applied before it was drawn.
    pub inputs: u64,
}

/// The loop: input, upstream events and the clock in, frames out, until a
/// quit key, the end of input, or `stop`. `on_frame` sees every frame.
pub(crate) async fn event_loop<W, I>(
    terminal: &mut Terminal<CrosstermBackend<W>>,
    mut input: I,
    mut stop: std::pin::Pin<&mut impl Future<Output = ()>>,
    parts: LoopParts<'_>,
    follow_campaigns: bool,
    on_frame: &mut impl FnMut(&AppState, &FrameInfo),
) -> Result<()>
where
    W: std::io::Write,
    I: Stream<Item = std::io::Result<Event>> + Unpin,
{
    let LoopParts { state, watches, rx } = parts;
    // MISAR_DASH_STATS_FILE: a line about the loop once a second, for the soak.
    let stats = stats::StatsFile::from_env();
    let mut counters = stats::Counters::default();
    // The reducer lays out pages and scroll steps by the screen's size.
    let size = terminal.get_frame().area();
    dispatch(state, Action::Resize(size.width, size.height));
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_draw: Option<Instant> = None;
    state.dirty = true;
    // What blocking tasks (an export) report back.
    let (jobs, mut job_reports) = mpsc::unbounded_channel::<Action>();
    let mut jobs = export::Jobs::new(jobs);

    loop {
        // Drawn here, before anything else is looked at, not in a branch of
        // the select below: under `biased`, a channel that is never empty (a
        // domain's backlog pouring in) wins every round, a timer made anew
        // each round never fires, and the screen (with the user's last
        // keystroke) froze until the flood was over. A frame is due at most
        // FRAME after the last one, and no more often, so the events are not
        // starved in turn.
        let due = last_draw.map_or_else(Instant::now, |t| t + FRAME);
        if state.dirty && Instant::now() >= due {
            let started = Instant::now();
            terminal.draw(|frame| crate::ui::render(state, frame))?;
            use std::io::Write as _;
            terminal.backend_mut().flush()?;
            state.dirty = false;
            counters.frames += 1;
            let flushed = Instant::now();
            last_draw = Some(flushed);
            on_frame(
                state,
                &FrameInfo {
                    flushed,
                    cost: flushed - started,
                    inputs: counters.inputs,
                },
            );
            continue;
        }
        let mut commands = Vec::new();
        tokio::select! {
            biased;
            _ = &mut stop => break,
            event = input.next() => match event {
                Some(Ok(event)) => {
                    counters.inputs += 1;
                    // What the user does is drawn at once, not at the next
                    // frame slot: the 30 fps cap is for upstream floods.
                    last_draw = None;
                    if let Some(action) = input_action(event) {
                        commands.extend(dispatch(state, action));
                    }
                }
                Some(Err(e)) => return Err(e).wrap_err("reading the terminal failed"),
                None => break,
            },
            Some(action) = job_reports.recv() => {
                commands.extend(dispatch(state, action));
            }
            _ = tick.tick() => {
                commands.extend(dispatch(state, Action::Tick { now_ms: now_ms() }));
                if let Some(stats) = &stats {
                    stats.publish(state, watches, &counters);
                }
            }
            Some(event) = rx.recv() => {
                commands.extend(dispatch(state, Action::Tick { now_ms: now_ms() }));
                let started = Instant::now();
                let mut next = Some(event);
                while let Some(event) = next {
                    if !watches.is_current(&event) {
                        next = rx.try_recv().ok();
                        continue;
                    }
                    if follow_campaigns
                        && let Some(campaign) = campaign_to_follow(&event)
                        && !watches.is_watching(&campaign)
                        && watches.may_follow()
                    {
                        commands.push(Command::Watch(campaign));
                    }
                    commands.extend(dispatch(state, Action::Upstream(event)));
                    // Bounded by time, not count: a log batch costs a
                    // thousand times a feed event.
                    next = if started.elapsed() < UPSTREAM_BURST {
                        rx.try_recv().ok()
                    } else {
                        None
                    };
                }
            }
            _ = tokio::time::sleep_until(due.into()), if state.dirty => {}
        }
        let mut quit = false;
        for command in commands {
            quit |= matches!(command, Command::Quit);
            if let Some(command) = jobs.carry_out(command, terminal.backend_mut()) {
                carry_out(command, watches);
            }
        }
        if quit {
            break;
        }
    }
    Ok(())
}

fn carry_out(command: Command, watches: &mut Watches) {
    match command {
        Command::Quit => {}
        Command::Watch(source) => watches.watch(source, LogQuery::default()),
        Command::Unwatch(source) => watches.unwatch(&source),
        Command::WatchLogs { domain, query } => watches.watch(Source::DomainLogs { domain }, query),
        // Carried out by `export::Jobs::carry_out`.
        Command::CheckExportPath { .. }
        | Command::Export(_)
        | Command::ExportChunk(_)
        | Command::CopyToClipboard(_)
        | Command::Notify { .. } => {}
    }
}

fn input_action(event: Event) -> Option<Action> {
    match event {
        Event::Key(key) if key.kind != crossterm::event::KeyEventKind::Release => {
            Some(Action::Key(key))
        }
        Event::Mouse(mouse) => Some(Action::Mouse(mouse)),
        Event::Resize(w, h) => Some(Action::Resize(w, h)),
        _ => None,
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Test-only: `MISAR_DASH_PANIC_AFTER_MS=N` makes the dashboard panic N ms
/// after start, on the event loop, or on a spawned task instead when
/// `MISAR_DASH_PANIC_IN_TASK=1`. It exists so that `tests/it/signals.rs` can
/// check, on the real binary in a real terminal, that a panic gives the
/// terminal back and leaves a readable report. It is not a setting.
#[cfg(feature = "test-hooks")]
fn test_panic_trigger() -> Option<tokio::time::Instant> {
    let ms: u64 = std::env::var("MISAR_DASH_PANIC_AFTER_MS")
        .ok()?
        .trim()
        .parse()
        .ok()?;
    let at = tokio::time::Instant::now() + Duration::from_millis(ms);
    if std::env::var_os("MISAR_DASH_PANIC_IN_TASK").is_some_and(|v| v == "1") {
        tokio::spawn(async move {
            tokio::time::sleep_until(at).await;
            panic!("MISAR_DASH_PANIC_AFTER_MS: a panic on purpose on a task, for a test");
        });
        return None;
    }
    Some(at)
}

/// Without the test hooks, no panic on purpose.
#[cfg(not(feature = "test-hooks"))]
fn test_panic_trigger() -> Option<tokio::time::Instant> {
    None
}

#[cfg(feature = "test-hooks")]
fn test_panic() -> ! {
    panic!("MISAR_DASH_PANIC_AFTER_MS: a panic on purpose, for a test");
}

/// Never called: without the hooks the trigger is never set.
#[cfg(not(feature = "test-hooks"))]
fn test_panic() -> ! {
    unreachable!("no panic on purpose without the test hooks")
}

async fn sleep_until_some(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// SIGTERM, SIGHUP (the SSH link dropped), and SIGINT/SIGQUIT sent from
/// outside end the loop, so the terminal guard restores the terminal.
/// Ctrl-C and Ctrl-\ typed in the dashboard arrive as keys in raw mode.
struct Signals {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    hup: tokio::signal::unix::Signal,
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
    #[cfg(unix)]
    quit: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> Result<Signals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Signals {
                term: signal(SignalKind::terminate())?,
                hup: signal(SignalKind::hangup())?,
                int: signal(SignalKind::interrupt())?,
                quit: signal(SignalKind::quit())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Signals {})
    }

    async fn recv(&mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.hup.recv() => {}
            _ = self.int.recv() => {}
            _ = self.quit.recv() => {}
        }
        #[cfg(not(unix))]
        std::future::pending::<()>().await
    }
}
