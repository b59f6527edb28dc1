//! `misar-dash bench …`: measurements of the domain-log path that need a
//! real network stream, so they cannot be criterion benches (those are in
//! `benches/`). `scripts/bench-ingest.sh` runs `ingest` against a separate
//! simulator process next to curl and jq; BENCHMARKS.md has the numbers.
//!
//! Nothing here is used by the dashboard itself.

use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use color_eyre::eyre::{Result, bail, eyre};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::{CrosstermBackend, TestBackend};
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};
use tokio::sync::mpsc;

use crate::app::{Action, AppOptions, AppState, update};
use crate::cli::{BenchWhat, IngestArgs, KeysArgs, StagesArgs, UpstreamArgs};
use crate::config::{ApiKey, ClientOptions, FileConfig};
use crate::dashboard::{self, Channels, DashOptions, FrameInfo, WatchList};
use crate::upstream::{ConnState, LogQuery, Source, Upstream, UpstreamBody, Watches};

/// `println!` that hands back a failed write instead of panicking, so that
/// a reader that goes away (`bench ingest --json | head -1`) ends the run
/// quietly (see [`run`]).
macro_rules! say {
    ($($arg:tt)*) => {
        writeln!(io::stdout(), $($arg)*)?
    };
}

/// Runs one benchmark; returns the exit code.
pub async fn run(upstream: &UpstreamArgs, file: &FileConfig, what: BenchWhat) -> Result<i32> {
    let (opts, sim) = setup(upstream, file).await?;
    let outcome = match what {
        BenchWhat::Ingest(args) => ingest(&opts, &args).await,
        BenchWhat::Keys(args) => keys(opts, &args).await,
        BenchWhat::Stages(args) => stages(&opts, &args).await,
    };
    if let Some(sim) = sim {
        sim.shutdown().await;
    }
    match outcome {
        Err(e) if is_broken_pipe(&e) => Ok(0),
        outcome => outcome.map(|()| 0),
    }
}

/// Whether the measurement stopped because whoever read its output had
/// gone: what a pipe into `head` does, and no failure.
fn is_broken_pipe(e: &color_eyre::eyre::Report) -> bool {
    e.downcast_ref::<io::Error>()
        .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
}

/// Client options for the simulator at `--mail-url`, or for one started
/// here with its stream pre-generated. The key is the environment's or the
/// config's, else the simulator's demo key.
async fn setup(
    args: &UpstreamArgs,
    file: &FileConfig,
) -> Result<(ClientOptions, Option<crate::sim::Sim>)> {
    let mut opts = crate::client_options(args, file)?;
    // One failure is a failed measurement, not something to ride out.
    opts.max_retries = Some(0);
    if opts.mail_key.is_none() {
        opts.mail_key = Some(ApiKey::new(crate::sim::DEMO_MAIL_KEY));
    }
    if args.mail_url.is_some() && !args.sim {
        return Ok((opts, None));
    }
    eprintln!("starting a simulator in this process (pre-generating the stream)…");
    let config = crate::sim::SimConfig {
        prebuilt_logs: true,
        ..Default::default()
    };
    let sim = crate::start_simulator(&mut opts, config).await?;
    Ok((opts, Some(sim)))
}

/// The median of some durations (the mean of the middle two for an even
/// count).
pub fn median(samples: &[Duration]) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    match sorted.len() {
        0 => Duration::ZERO,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2,
    }
}

/// The `p`-th percentile (0..=100), nearest rank.
pub fn percentile(samples: &[Duration], p: f64) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

// ---------------------------------------------------------------------------
// ingest

/// One timed stream.
struct IngestRun {
    elapsed: Duration,
    /// CPU time of the whole process over the run: steadier than the wall
    /// clock on a shared machine.
    cpu: Option<Duration>,
    /// CPU time of the thread that applies the batches to the store (as
    /// the dashboard's UI task does): what a second core cannot share.
    reducer_cpu: Option<Duration>,
    held: usize,
}

async fn ingest(opts: &ClientOptions, args: &IngestArgs) -> Result<()> {
    if args.stream.runs == 0 {
        bail!("--runs must be at least 1");
    }
    if !args.json {
        say!(
            "ingest: {} records of {} from {}, {} runs",
            args.stream.limit,
            args.stream.domain,
            opts.endpoints.mail_url,
            args.stream.runs
        );
    }
    let mut times = Vec::new();
    let mut last_state = None;
    for run in 1..=args.stream.runs {
        // The previous run's records are freed before the next is timed.
        drop(last_state.take());
        let (result, state) = ingest_once(opts, args).await?;
        let rate = result.held as f64 / result.elapsed.as_secs_f64();
        let cpu = result.cpu.map_or(-1.0, |c| c.as_secs_f64());
        let reducer_cpu = result.reducer_cpu.map_or(-1.0, |c| c.as_secs_f64());
        if args.json {
            say!(
                "{{\"run\":{run},\"records\":{},\"secs\":{:.6},\"records_per_sec\":{:.0},\"cpu_secs\":{cpu:.2},\"reducer_cpu_secs\":{reducer_cpu:.2}}}",
                result.held,
                result.elapsed.as_secs_f64(),
                rate
            );
        } else {
            say!(
                "  run {run}: {} records in {:.3} s = {:.0} records/s (CPU: process {cpu:.2} s, reducer thread {reducer_cpu:.2} s)",
                result.held,
                result.elapsed.as_secs_f64(),
                rate
            );
        }
        if result.held != args.stream.limit as usize {
            bail!(
                "run {run} held {} records, not {}: is the stream that large?",
                result.held,
                args.stream.limit
            );
        }
        times.push(result.elapsed);
        last_state = Some(state);
    }
    let median_time = median(&times);
    let rate = f64::from(args.stream.limit) / median_time.as_secs_f64();
    // The peak so far, before the re-filter and render measurements add
    // their own.
    let ingest_peak_mb = peak_rss_kb().map_or(-1.0, |kb| kb as f64 / 1024.0);
    if !args.json {
        say!(
            "median: {:.3} s = {rate:.0} records/s; peak RSS after ingest {ingest_peak_mb:.1} MB",
            median_time.as_secs_f64()
        );
    }
    if args.ingest_only {
        if args.json {
            say!(
                "{{\"summary\":true,\"records\":{},\"median_secs\":{:.6},\"records_per_sec\":{rate:.0},\"ingest_peak_rss_mb\":{ingest_peak_mb:.1}}}",
                args.stream.limit,
                median_time.as_secs_f64(),
            );
        }
        return Ok(());
    }

    // The store the last run filled: how the filter and the pane do on
    // real records (benches/ has the same on synthetic ones).
    let mut state = last_state.ok_or_else(|| eyre!("no run"))?;
    let refilter = refilter_times(&mut state, &args.stream.domain);
    let render = render_times(&mut state, 200, 60, 200)?;
    if args.json {
        say!(
            "{{\"summary\":true,\"records\":{},\"median_secs\":{:.6},\"records_per_sec\":{rate:.0},\"ingest_peak_rss_mb\":{ingest_peak_mb:.1},\
             \"refilter_median_ms\":{:.3},\"render_median_ms\":{:.3}}}",
            args.stream.limit,
            median_time.as_secs_f64(),
            ms(median(&refilter)),
            ms(median(&render)),
        );
    } else {
        say!(
            "re-filter of the held records, median of {}: {:.2} ms (max {:.2} ms)",
            refilter.len(),
            ms(median(&refilter)),
            ms(percentile(&refilter, 100.0))
        );
        say!(
            "log pane frame at 200x60, median of {}: {:.3} ms",
            render.len(),
            ms(median(&render))
        );
    }
    Ok(())
}

/// Streams once into a fresh app state through the reducer, the way the
/// dashboard's loop does, and times it from the request to the completion
/// event.
async fn ingest_once(opts: &ClientOptions, args: &IngestArgs) -> Result<(IngestRun, AppState)> {
    let (tx, mut rx) = mpsc::channel(dashboard::CHANNEL);
    let mut watches = Watches::new(Upstream::new(opts.clone(), tx)?);
    let mut state = AppState::new(AppOptions {
        now_ms: chrono::Utc::now().timestamp_millis(),
        log_limit: args.stream.limit,
        ..AppOptions::default()
    });
    update(&mut state, Action::Resize(200, 60));
    let source = Source::DomainLogs {
        domain: args.stream.domain.clone(),
    };
    let cpu_before = process_cpu_time();
    let reducer_cpu_before = thread_cpu_time();
    let started = Instant::now();
    watches.watch(
        source.clone(),
        LogQuery {
            limit: Some(args.stream.limit),
            ..LogQuery::default()
        },
    );
    let mut completed = None;
    while let Some(event) = rx.recv().await {
        match &event.body {
            UpstreamBody::LogsComplete { .. } => completed = Some(started.elapsed()),
            UpstreamBody::Conn(ConnState::Stopped(reason)) => bail!("the stream stopped: {reason}"),
            UpstreamBody::Conn(ConnState::Reconnecting { reason, .. }) => {
                bail!("the stream broke: {reason}")
            }
            UpstreamBody::Conn(state) if state.is_final() => break,
            _ => {}
        }
        update(&mut state, Action::Upstream(event));
    }
    let elapsed = completed.ok_or_else(|| eyre!("the stream ended without completing"))?;
    let cpu = process_cpu_time()
        .zip(cpu_before)
        .map(|(after, before)| after.saturating_sub(before));
    let reducer_cpu = thread_cpu_time()
        .zip(reducer_cpu_before)
        .map(|(after, before)| after.saturating_sub(before));
    let held = state
        .logs
        .get(&args.stream.domain)
        .map_or(0, |v| v.store.len());
    Ok((
        IngestRun {
            elapsed,
            cpu,
            reducer_cpu,
            held,
        },
        state,
    ))
}

/// How far into the ingest one stage goes; each includes the ones before.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    /// The HTTP body read and dropped: the client's side of `curl`.
    Drain,
    /// Also split into SSE events.
    Decode,
    /// Also every batch parsed and cleaned, as the client does on its
    /// parse threads (here all on one thread).
    Parse,
}

impl Stage {
    const ALL: [Stage; 3] = [Stage::Drain, Stage::Decode, Stage::Parse];

    fn label(self) -> &'static str {
        match self {
            Stage::Drain => "drain the HTTP body",
            Stage::Decode => "+ decode SSE events",
            Stage::Parse => "+ parse and clean batches",
        }
    }
}

async fn stages(opts: &ClientOptions, args: &StagesArgs) -> Result<()> {
    if args.stream.runs == 0 {
        bail!("--runs must be at least 1");
    }
    say!(
        "stages: {} records of {} from {}, {} runs of each, interleaved",
        args.stream.limit,
        args.stream.domain,
        opts.endpoints.mail_url,
        args.stream.runs
    );
    let net = crate::upstream::network::Network::new(opts)?;
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); Stage::ALL.len()];
    let mut cpus: Vec<Vec<Duration>> = vec![Vec::new(); Stage::ALL.len()];
    for _ in 0..args.stream.runs {
        for (i, stage) in Stage::ALL.into_iter().enumerate() {
            let cpu_before = process_cpu_time();
            let started = Instant::now();
            let records = stage_once(&net, opts, args, stage).await?;
            times[i].push(started.elapsed());
            if let Some((after, before)) = process_cpu_time().zip(cpu_before) {
                cpus[i].push(after.saturating_sub(before));
            }
            if stage == Stage::Parse && records != u64::from(args.stream.limit) {
                bail!("parsed {records} records, not {}", args.stream.limit);
            }
        }
    }
    let drain = median(&times[0]).as_secs_f64();
    for (i, stage) in Stage::ALL.into_iter().enumerate() {
        let secs = median(&times[i]).as_secs_f64();
        say!(
            "  {:<28} {secs:.3} s  (process CPU {:.2} s; {:.1}x the drain)",
            stage.label(),
            median(&cpus[i]).as_secs_f64(),
            secs / drain
        );
    }
    Ok(())
}

/// Streams once, going as far as `stage`; returns the records parsed.
async fn stage_once(
    net: &crate::upstream::network::Network,
    opts: &ClientOptions,
    args: &StagesArgs,
    stage: Stage,
) -> Result<u64> {
    use futures_util::StreamExt;

    use crate::upstream::domain_logs::parse_log_batch;
    use crate::upstream::sse::SseDecoder;
    use crate::upstream::{endpoint_url, redact, sse_request};

    let key = opts.mail_key.as_ref().ok_or_else(|| eyre!("no mail key"))?;
    let url = endpoint_url(
        &opts.endpoints.mail_url,
        &["api", "domains", &args.stream.domain, "log", "stream"],
    )
    .map_err(|e| eyre!(e))?;
    let query = LogQuery {
        limit: Some(args.stream.limit),
        ..LogQuery::default()
    };
    let request = sse_request(
        &net.http,
        url.clone(),
        key,
        opts.token_in_query,
        &query.params(),
    );
    let fail = |e: reqwest::Error| eyre!(redact(net.http_failure(&e, &url).reason(), Some(key)));
    let response = request.send().await.map_err(fail)?;
    if !response.status().is_success() {
        bail!("the server answered {}", response.status());
    }
    let mut body = response.bytes_stream();
    let mut decoder = SseDecoder::new(opts.max_message_bytes);
    let mut records = 0u64;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(fail)?;
        if stage == Stage::Drain {
            continue;
        }
        decoder.feed_borrowed(&chunk, &mut |event| {
            if stage == Stage::Parse
                && let Ok(event) = event
                && event.event_type() == "logs"
            {
                records += parse_log_batch(event.data.into_owned()).0.len() as u64;
            }
        });
    }
    Ok(records)
}

/// Filters none of which narrows the one before it, so each one tests
/// every held record: the full re-filter a keystroke can cost (one that
/// narrows the filter tests only the current matches).
const REFILTERS: [&str; 7] = [
    "b",
    "digest",
    "type:bounced",
    "from:news -type:opened",
    "tag:weekly subject:digest",
    "bounce",
    "",
];

fn refilter_times(state: &mut AppState, domain: &str) -> Vec<Duration> {
    let now_ms = state.now_ms;
    let Some(view) = state.logs.get_mut(domain) else {
        return Vec::new();
    };
    let mut times = Vec::new();
    for _round in 0..5 {
        for text in REFILTERS {
            let Ok(filter) = crate::app::filter::parse(text) else {
                continue;
            };
            let started = Instant::now();
            view.preview(&filter, now_ms, 50);
            times.push(started.elapsed());
        }
    }
    times
}

/// Frames of the whole screen with the log pane focused and filling most
/// of it.
fn render_times(
    state: &mut AppState,
    width: u16,
    height: u16,
    frames: usize,
) -> Result<Vec<Duration>> {
    update(state, Action::Resize(width, height));
    state.focus = crate::app::Pane::Logs;
    let mut terminal = Terminal::new(TestBackend::new(width, height))?;
    let mut times = Vec::with_capacity(frames);
    for _ in 0..frames {
        let started = Instant::now();
        terminal.draw(|frame| crate::ui::render(state, frame))?;
        times.push(started.elapsed());
    }
    Ok(times)
}

// ---------------------------------------------------------------------------
// keys

/// A terminal that counts what is written to it and throws it away.
struct CountingSink(Arc<AtomicU64>);

impl Write for CountingSink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.fetch_add(buf.len() as u64, Ordering::Relaxed);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// What the loop tells the typist, through atomics.
#[derive(Default)]
struct Progress {
    /// The domain's stream said it is complete.
    complete: AtomicBool,
    /// Records held by the domain's view.
    held: AtomicU64,
    /// Input events applied before the last frame.
    inputs: AtomicU64,
}

fn parse_size(text: &str) -> Result<(u16, u16)> {
    let (w, h) = text
        .split_once('x')
        .ok_or_else(|| eyre!("--size: expected COLSxROWS, like 200x60"))?;
    let parse = |v: &str| {
        v.trim()
            .parse::<u16>()
            .map_err(|_| eyre!("--size: {v:?} is not a number"))
    };
    Ok((parse(w)?, parse(h)?))
}

fn key(code: KeyCode) -> Event {
    Event::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

/// One keystroke sent: when, and whether a stream was being ingested then.
#[derive(Clone, Copy)]
struct Sent {
    at: Instant,
    /// Its index among all input events sent.
    index: u64,
    during_ingest: bool,
}

/// What the typist types into the filter bar, then deletes, over and over:
/// free words and spaces, as a user searching for someone types them. The
/// first words are in few senders, subjects or tags, so they are looked for
/// in nearly every record's recipient.
const TYPED: &str = "ana 12 digest";

/// Types into the filter bar while the domain's stream pours in, re-opening
/// the stream each time it completes, then stays idle.
async fn keys(opts: ClientOptions, args: &KeysArgs) -> Result<()> {
    let (width, height) = parse_size(&args.size)?;
    let (tx, mut rx) = mpsc::channel(dashboard::CHANNEL);
    let mut watches = Watches::new(Upstream::new(opts, tx)?);
    let dash = DashOptions {
        demo: false,
        mouse: false,
        limit: crate::upstream::domain_logs::MAX_LIMIT,
        follow_campaigns: false,
        max_log_records: 1_000_000,
        warning: None,
        log_file: None,
        filter_history: None,
    };
    let mut state = dashboard::initial_state(&dash, None);
    let watch = WatchList {
        domains: vec![args.domain.clone()],
        ..WatchList::default()
    };
    dashboard::start_watching(&mut state, watch, dash.limit, &mut watches);
    state.focus = crate::app::Pane::Logs;

    let written = Arc::new(AtomicU64::new(0));
    let backend = CrosstermBackend::new(io::BufWriter::with_capacity(
        1 << 16,
        CountingSink(written.clone()),
    ));
    let mut terminal = Terminal::with_options(
        backend,
        TerminalOptions {
            viewport: Viewport::Fixed(Rect::new(0, 0, width, height)),
        },
    )?;

    let (input_tx, mut input_rx) = mpsc::unbounded_channel::<Event>();
    let input =
        futures_util::stream::poll_fn(move |cx| input_rx.poll_recv(cx).map(|event| event.map(Ok)));
    let progress = Arc::new(Progress::default());
    let typist = tokio::spawn(type_keys(
        input_tx,
        progress.clone(),
        args.domain.clone(),
        args.keys,
        Duration::from_millis(args.every_ms.max(1)),
        Duration::from_secs(args.idle_secs),
    ));

    let mut frames: Vec<FrameInfo> = Vec::new();
    let domain = args.domain.clone();
    let mut on_frame = |state: &AppState, info: &FrameInfo| {
        if let Some(view) = state.logs.get(&domain) {
            progress
                .complete
                .store(view.complete.is_some(), Ordering::Relaxed);
            progress
                .held
                .store(view.store.len() as u64, Ordering::Relaxed);
        }
        progress.inputs.store(info.inputs, Ordering::Relaxed);
        frames.push(*info);
    };
    dashboard::event_loop(
        &mut terminal,
        input,
        std::pin::pin!(std::future::pending::<()>()),
        Channels {
            state: &mut state,
            watches: &mut watches,
            rx: &mut rx,
        },
        false,
        &mut on_frame,
    )
    .await?;
    let typed = typist.await??;
    report_keys(
        &typed,
        &frames,
        written.load(Ordering::Relaxed),
        width,
        height,
    )
}

/// What the typist did.
struct Typed {
    sent: Vec<Sent>,
    /// The idle period: when it started and ended, and the process's CPU
    /// time over it.
    idle: (Instant, Instant, Option<Duration>),
    restarts: u32,
}

/// The input channel, and what was sent into it.
struct Keyboard {
    input: mpsc::UnboundedSender<Event>,
    /// Input events sent so far.
    index: u64,
    /// The timed ones.
    sent: Vec<Sent>,
}

impl Keyboard {
    fn send(&mut self, event: Event, timed: bool, during_ingest: bool) -> Result<()> {
        let at = Instant::now();
        self.input
            .send(event)
            .map_err(|_| eyre!("the loop stopped early"))?;
        if timed {
            self.sent.push(Sent {
                at,
                index: self.index,
                during_ingest,
            });
        }
        self.index += 1;
        Ok(())
    }
}

async fn type_keys(
    input: mpsc::UnboundedSender<Event>,
    progress: Arc<Progress>,
    domain: String,
    count: u32,
    every: Duration,
    idle: Duration,
) -> Result<Typed> {
    let mut keyboard = Keyboard {
        input,
        index: 0,
        sent: Vec::new(),
    };
    // Wait for the first records, then open the filter bar.
    while progress.held.load(Ordering::Relaxed) == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    keyboard.send(key(KeyCode::Char('/')), false, false)?;
    let word = TYPED;
    let mut typed = 0;
    let mut restarts = 0;
    let mut interval = tokio::time::interval(every);
    while keyboard.sent.len() < count as usize {
        interval.tick().await;
        if progress.complete.load(Ordering::Relaxed) {
            // Re-open the stream the way a user would: close the bar, watch
            // the domain again (the store is cleared), open the bar.
            keyboard.send(key(KeyCode::Esc), false, false)?;
            keyboard.send(key(KeyCode::Char('a')), false, false)?;
            for c in format!("domain {domain}").chars() {
                keyboard.send(key(KeyCode::Char(c)), false, false)?;
            }
            keyboard.send(key(KeyCode::Enter), false, false)?;
            restarts += 1;
            // Until a frame shows the restart applied, the progress is the
            // old stream's.
            while progress.inputs.load(Ordering::Relaxed) < keyboard.index
                || progress.held.load(Ordering::Relaxed) == 0
            {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            keyboard.send(key(KeyCode::Char('/')), false, false)?;
            typed = 0;
            continue;
        }
        // Type the words, then delete them, over and over: every keystroke
        // but a space changes the filter.
        let during_ingest = !progress.complete.load(Ordering::Relaxed);
        let event = if typed < word.len() {
            key(KeyCode::Char(word.as_bytes()[typed] as char))
        } else {
            key(KeyCode::Backspace)
        };
        typed = (typed + 1) % (2 * word.len());
        keyboard.send(event, true, during_ingest)?;
    }
    keyboard.send(key(KeyCode::Esc), false, false)?;
    // Let the stream finish, then measure a quiet dashboard.
    while !progress.complete.load(Ordering::Relaxed) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let cpu_before = process_cpu_time();
    let idle_start = Instant::now();
    tokio::time::sleep(idle).await;
    let idle_end = Instant::now();
    let cpu = process_cpu_time()
        .zip(cpu_before)
        .map(|(after, before)| after.saturating_sub(before));
    keyboard.send(key(KeyCode::Char('q')), false, false)?;
    Ok(Typed {
        sent: keyboard.sent,
        idle: (idle_start, idle_end, cpu),
        restarts,
    })
}

fn report_keys(
    typed: &Typed,
    frames: &[FrameInfo],
    bytes: u64,
    width: u16,
    height: u16,
) -> Result<()> {
    // A keystroke is on screen with the first frame drawn after it was
    // applied.
    let latency = |s: &Sent| {
        frames
            .iter()
            .find(|f| f.inputs > s.index)
            .map(|f| f.flushed.saturating_duration_since(s.at))
    };
    let all: Vec<Duration> = typed.sent.iter().filter_map(latency).collect();
    let ingesting: Vec<Duration> = typed
        .sent
        .iter()
        .filter(|s| s.during_ingest)
        .filter_map(latency)
        .collect();
    let (idle_start, idle_end, idle_cpu) = typed.idle;
    let idle_frames = frames
        .iter()
        .filter(|f| f.flushed >= idle_start && f.flushed < idle_end)
        .count();
    let idle_secs = (idle_end - idle_start).as_secs_f64();
    let costs: Vec<Duration> = frames.iter().map(|f| f.cost).collect();
    say!(
        "keys: {} keystrokes typed into the filter bar at {width}x{height}, stream re-opened {} times",
        typed.sent.len(),
        typed.restarts
    );
    for (name, samples) in [("while ingesting", &ingesting), ("all", &all)] {
        say!(
            "  keystroke to screen, {name} ({}): median {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            samples.len(),
            ms(median(samples)),
            ms(percentile(samples, 99.0)),
            ms(percentile(samples, 100.0)),
        );
    }
    say!(
        "  frames: {} drawn, median cost {:.2} ms, p99 {:.2} ms; {} bytes written",
        frames.len(),
        ms(median(&costs)),
        ms(percentile(&costs, 99.0)),
        bytes
    );
    let cpu = idle_cpu.map_or("n/a".to_string(), |cpu| {
        format!("{:.2}%", cpu.as_secs_f64() / idle_secs * 100.0)
    });
    say!(
        "  idle for {idle_secs:.1} s: {idle_frames} frames ({:.2}/s), CPU {cpu}",
        idle_frames as f64 / idle_secs
    );
    Ok(())
}

/// The most memory this process has held (VmHWM, kB), from /proc (Linux
/// only).
fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find_map(|l| l.strip_prefix("VmHWM:"))?;
    line.trim().trim_end_matches("kB").trim().parse().ok()
}

/// User plus system CPU time of this process, from /proc (Linux only).
fn process_cpu_time() -> Option<Duration> {
    cpu_time("/proc/self/stat")
}

/// The same for the calling thread: the one the reducer runs on.
fn thread_cpu_time() -> Option<Duration> {
    cpu_time("/proc/thread-self/stat")
}

fn cpu_time(stat_file: &str) -> Option<Duration> {
    let stat = std::fs::read_to_string(stat_file).ok()?;
    // Fields after the command name, which is in parentheses and may hold
    // spaces: utime and stime are the 12th and 13th of them.
    let after_name = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    // The kernel's USER_HZ is 100 on every Linux this runs on.
    Some(Duration::from_millis((utime + stime) * 10))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_and_percentiles() {
        let d = |v: &[u64]| {
            v.iter()
                .map(|&ms| Duration::from_millis(ms))
                .collect::<Vec<_>>()
        };
        assert_eq!(median(&d(&[3, 1, 2])), Duration::from_millis(2));
        assert_eq!(median(&d(&[4, 1, 2, 3])), Duration::from_micros(2500));
        assert_eq!(median(&[]), Duration::ZERO);
        let hundred = d(&(1..=100).collect::<Vec<_>>());
        assert_eq!(percentile(&hundred, 99.0), Duration::from_millis(99));
        assert_eq!(percentile(&hundred, 100.0), Duration::from_millis(100));
        assert_eq!(percentile(&d(&[5]), 99.0), Duration::from_millis(5));
    }

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("200x60").ok(), Some((200, 60)));
        assert!(parse_size("200").is_err());
        assert!(parse_size("ax60").is_err());
    }
}
