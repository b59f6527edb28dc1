//! `MISAR_DASH_STATS_FILE=<path>`: the dashboard describes itself in that
//! file, one line rewritten about once a second, for long runs that watch
//! for leaks (`scripts/soak.sh`). The line is `key=value` pairs:
//!
//! - `unix_ms`: when it was written;
//! - `alive_tasks`, `workers`: tokio's count of tasks not yet ended, and
//!   its worker threads;
//! - `watches`: client tasks still running; `streams`: streams the app
//!   knows of;
//! - `send_rows`, `feed_items`, `log_records` (held), `log_streamed`
//!   (received since each stream was opened);
//! - `frames` drawn and `inputs` (keys, mouse, resizes) handled.
//!
//! The loop only hands a snapshot over on its one-second tick; a task of
//! its own writes the file (to a `.tmp` beside it, then renamed, so a
//! reader never sees half a line). Unset, nothing of this runs.

use std::ffi::OsString;
use std::path::PathBuf;

use tokio::sync::watch;

use crate::app::AppState;
use crate::upstream::Watches;

/// What the loop counts for the stats line.
#[derive(Clone, Copy, Debug, Default)]
pub struct Counters {
    pub frames: u64,
    pub inputs: u64,
}

#[derive(Clone, Copy, Debug, Default)]
#[cfg_attr(not(feature = "test-hooks"), allow(dead_code))]
struct Snapshot {
    watches: usize,
    streams: usize,
    send_rows: usize,
    feed_items: usize,
    log_records: usize,
    log_streamed: u64,
    counters: Counters,
}

pub struct StatsFile {
    tx: watch::Sender<Snapshot>,
}

impl StatsFile {
    /// Starts the writer when `MISAR_DASH_STATS_FILE` names a file (a test
    /// hook: without the feature there is none).
    #[cfg(not(feature = "test-hooks"))]
    pub fn from_env() -> Option<StatsFile> {
        None
    }

    /// Starts the writer when `MISAR_DASH_STATS_FILE` names a file.
    #[cfg(feature = "test-hooks")]
    pub fn from_env() -> Option<StatsFile> {
        let path = std::env::var_os("MISAR_DASH_STATS_FILE").filter(|p| !p.is_empty())?;
        let (tx, rx) = watch::channel(Snapshot::default());
        tokio::spawn(write_loop(PathBuf::from(path), rx));
        Some(StatsFile { tx })
    }

    pub fn publish(&self, state: &AppState, watches: &Watches, counters: &Counters) {
        let stores = state.logs.domains.iter().map(|d| &d.store);
        self.tx.send_replace(Snapshot {
            watches: watches.running(),
            streams: state.streams.len(),
            send_rows: state.sends.rows.len(),
            feed_items: state.feed.items.len(),
            log_records: stores.clone().map(|s| s.len()).sum(),
            log_streamed: stores.map(|s| s.streamed()).sum(),
            counters: *counters,
        });
    }
}

#[cfg_attr(not(feature = "test-hooks"), allow(dead_code))]
async fn write_loop(path: PathBuf, mut rx: watch::Receiver<Snapshot>) {
    let mut tmp = OsString::from(path.as_os_str());
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    while rx.changed().await.is_ok() {
        let s = *rx.borrow_and_update();
        let metrics = tokio::runtime::Handle::current().metrics();
        let line = format!(
            "unix_ms={} alive_tasks={} workers={} watches={} streams={} send_rows={} \
             feed_items={} log_records={} log_streamed={} frames={} inputs={}\n",
            chrono::Utc::now().timestamp_millis(),
            metrics.num_alive_tasks(),
            metrics.num_workers(),
            s.watches,
            s.streams,
            s.send_rows,
            s.feed_items,
            s.log_records,
            s.log_streamed,
            s.counters.frames,
            s.counters.inputs,
        );
        // A failed write is skipped; the next tick tries again.
        if tokio::fs::write(&tmp, line).await.is_ok() {
            let _ = tokio::fs::rename(&tmp, &path).await;
        }
    }
}
