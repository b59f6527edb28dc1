//! `bench ingest`: a domain's stream through the client and the reducer
//! into the log store, as the dashboard takes it in, timed; then a
//! re-filter and a frame of the records it holds.

use std::io::{self, Write};
use std::time::{Duration, Instant};

use color_eyre::eyre::{Result, bail, eyre};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::mpsc;

use super::procfs::{peak_rss_kb, process_cpu_time, thread_cpu_time};
use super::stats::{median, ms, percentile};
use crate::app::{Action, AppOptions, AppState};
use crate::cli::IngestArgs;
use crate::dashboard::{self, dispatch};
use crate::model::{ConnState, LogQuery, Source, UpstreamBody};
use crate::upstream::options::ClientOptions;
use crate::upstream::{Upstream, Watches};

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

pub(super) async fn ingest(opts: &ClientOptions, args: &IngestArgs) -> Result<()> {
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
    let footprint = last_state
        .as_ref()
        .and_then(|s| s.logs.get(&args.stream.domain))
        .map(|view| view.store.footprint())
        .unwrap_or_default();
    let per_record = footprint.total() as f64 / f64::from(args.stream.limit.max(1));
    if !args.json {
        say!(
            "median: {:.3} s = {rate:.0} records/s; peak RSS after ingest {ingest_peak_mb:.1} MB",
            median_time.as_secs_f64()
        );
        let part = |bytes: usize| bytes as f64 / f64::from(args.stream.limit.max(1));
        say!(
            "store: {per_record:.0} B/record on the heap (records {:.0}, strings {:.0}, hot text {:.0}, cold text {:.0}, recipients {:.0}, matches {:.0})",
            part(footprint.records),
            part(footprint.strings),
            part(footprint.hot),
            part(footprint.cold),
            part(footprint.recipients),
            part(footprint.matches),
        );
    }
    if args.ingest_only {
        if args.json {
            say!(
                "{{\"summary\":true,\"records\":{},\"median_secs\":{:.6},\"records_per_sec\":{rate:.0},\"ingest_peak_rss_mb\":{ingest_peak_mb:.1},\"store_bytes_per_record\":{per_record:.1}}}",
                args.stream.limit,
                median_time.as_secs_f64(),
            );
        }
        return Ok(());
    }

    // The store the last run filled: how the filter and the pane do on
    // real records (benches/ has the same on synthetic ones).
    let mut state = last_state.ok_or_else(|| eyre!("no run"))?;
    let by_term = refilter_times(&mut state, &args.stream.domain);
    let refilter: Vec<Duration> = by_term
        .iter()
        .flat_map(|(_, t)| t.iter().copied())
        .collect();
    // The term whose own median is the highest: "any term" is the bound.
    let slowest = by_term
        .iter()
        .map(|(term, times)| (*term, median(times)))
        .max_by_key(|(_, t)| *t);
    let render = render_times(&mut state, 200, 60, 200)?;
    if args.json {
        say!(
            "{{\"summary\":true,\"records\":{},\"median_secs\":{:.6},\"records_per_sec\":{rate:.0},\"ingest_peak_rss_mb\":{ingest_peak_mb:.1},\
             \"store_bytes_per_record\":{per_record:.1},\"refilter_median_ms\":{:.3},\"render_median_ms\":{:.3}}}",
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
        if let Some((term, time)) = slowest {
            say!(
                "  slowest term, median of its runs: {term:?} {:.2} ms",
                ms(time)
            );
        }
        let each: Vec<String> = by_term
            .iter()
            .map(|(term, times)| format!("{term:?} {:.1}", ms(median(times))))
            .collect();
        say!("  each term's median, ms: {}", each.join(", "));
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
    dispatch(&mut state, Action::Resize(200, 60));
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
        dispatch(&mut state, Action::Upstream(event));
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

/// Filters none of which narrows the one before it, so each one tests
/// every held record: the full re-filter a keystroke can cost (one that
/// narrows the filter tests only the current matches). The empty filter
/// tests none (every record matches), and every filter narrows it, but
/// its matches are every held record.
const REFILTERS: [&str; 9] = [
    "b",
    "digest",
    "type:bounced",
    "from:news -type:opened",
    "tag:weekly subject:digest",
    "bounce",
    "smtp:\"ok 1\"",
    "ip:113.1",
    "",
];

/// Each filter's times, five rounds of them all in turn.
fn refilter_times(state: &mut AppState, domain: &str) -> Vec<(&'static str, Vec<Duration>)> {
    let now_ms = state.now_ms;
    let Some(view) = state.logs.get_mut(domain) else {
        return Vec::new();
    };
    let mut times: Vec<(&str, Vec<Duration>)> = REFILTERS.map(|text| (text, Vec::new())).into();
    for _round in 0..5 {
        for (text, times) in &mut times {
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
    dispatch(state, Action::Resize(width, height));
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
