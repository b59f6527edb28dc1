//! `bench keys`: keystrokes typed into the filter bar while a domain's
//! stream pours in, timed from the key to the screen, then the dashboard's
//! CPU while it sits idle.

use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use color_eyre::eyre::{Result, eyre};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};
use tokio::sync::mpsc;

use super::procfs::process_cpu_time;
use super::stats::{median, ms, percentile};
use crate::app::AppState;
use crate::cli::KeysArgs;
use crate::dashboard::{self, DashOptions, FrameInfo, LoopParts, WatchList};
use crate::upstream::options::ClientOptions;
use crate::upstream::{Upstream, Watches};

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
pub(super) async fn keys(opts: ClientOptions, args: &KeysArgs) -> Result<()> {
    let (width, height) = parse_size(&args.size)?;
    let (tx, mut rx) = mpsc::channel(dashboard::CHANNEL);
    let mut watches = Watches::new(Upstream::new(opts, tx)?);
    let dash = DashOptions {
        demo: false,
        mouse: false,
        limit: crate::model::log::MAX_LIMIT,
        follow_campaigns: false,
        max_log_records: 1_000_000,
        warning: None,
        log_file: None,
        filter_history: None,
        alert_rules: Default::default(),
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
        LoopParts {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("200x60").ok(), Some((200, 60)));
        assert!(parse_size("200").is_err());
        assert!(parse_size("ax60").is_err());
    }
}
