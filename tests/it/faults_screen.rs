//! The screen keeps answering under load: the real binary in tmux streams
//! 200,000 records of one domain into the log view (the demo, with
//! `--limit 200000`), and while the records pour in it keeps drawing
//! frames, a key changes the screen promptly, and memory stays bounded by
//! the short queue between the clients and the loop. Its counters come from
//! `MISAR_DASH_STATS_FILE` (see `src/dashboard/stats.rs`).
//!
//! `.ci/run` installs tmux; without it this test fails and says so.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::support::TempDir;
use crate::support::tmux::{Tmux, dashboard};

fn read_stats(path: &std::path::Path) -> Option<HashMap<String, u64>> {
    let line = std::fs::read_to_string(path).ok()?;
    Some(
        line.split_whitespace()
            .filter_map(|kv| kv.split_once('='))
            .filter_map(|(k, v)| Some((k.to_string(), v.parse().ok()?)))
            .collect(),
    )
}

/// Records asked of bulk.example.com: a flood of several seconds in a
/// debug build.
const LIMIT: u32 = 200_000;

#[test]
fn a_flood_of_records_does_not_freeze_the_screen() {
    let dir = TempDir::new("flood");
    let config = dir.join("config.toml");
    std::fs::write(&config, "max_log_records = 20000\n").expect("write the config");
    let stats = dir.join("stats.txt");
    let env = format!(
        "MISAR_DASH_CONFIG={} MISAR_DASH_STATS_FILE={}",
        config.display(),
        stats.display()
    );
    let command = format!("{}; sleep 30", dashboard(&env, &format!("--limit {LIMIT}")));
    let tmux = Tmux::start("flood", 120, 40, &command);
    let pid = tmux.dashboard_pid();

    // Samples of (when, records received, frames drawn) while the flood
    // lasts; a key pressed in the middle of it.
    let mut samples: Vec<(Instant, u64, u64)> = Vec::new();
    let mut key_answer: Option<Duration> = None;
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        assert!(
            Instant::now() < deadline,
            "the flood never ended: {samples:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
        let Some(s) = read_stats(&stats) else {
            continue;
        };
        let (streamed, frames) = (s["log_streamed"], s["frames"]);
        if samples
            .last()
            .is_none_or(|l| (l.1, l.2) != (streamed, frames))
        {
            samples.push((Instant::now(), streamed, frames));
        }
        // bulk.example.com's records (and shop.example.com's backlog).
        if streamed >= u64::from(LIMIT) {
            break;
        }
        if key_answer.is_none() && streamed >= 50_000 {
            let pressed = Instant::now();
            tmux.key("3");
            while !tmux.screen().contains("▶ 3 Domain logs") {
                assert!(
                    pressed.elapsed() < Duration::from_secs(10),
                    "a key went unanswered during the flood:\n{}",
                    tmux.screen()
                );
                std::thread::sleep(Duration::from_millis(20));
            }
            key_answer = Some(pressed.elapsed());
        }
    }
    // From the first records to the last of the flood, frames kept coming:
    // at least 3 a second (the loop draws up to 30). Before the fix none
    // were drawn until the flood was over.
    let first = samples.iter().find(|s| s.1 > 0).expect("records arrived");
    let last = samples.last().expect("samples");
    let seconds = last.0.duration_since(first.0).as_secs_f64();
    let frames = last.2 - first.2;
    eprintln!("{frames} frames in {seconds:.1} s of flood");
    assert!(
        seconds < 1.0 || frames as f64 >= 3.0 * seconds,
        "{frames} frames in {seconds:.1} s of flood: {samples:?}"
    );
    // The most memory the process ever held (VmHWM, kB).
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .expect("the dashboard is still running");
    let peak_kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .expect("VmHWM");
    eprintln!("peak RSS {} MB", peak_kb / 1024);
    // Records wait for the loop in a short queue: with 1024 batches of up
    // to 1000 records allowed in flight, this run peaked at 139 MB and the
    // allocator kept most of it for good.
    assert!(peak_kb < 96 * 1024, "peak RSS {} MB", peak_kb / 1024);
    let key_answer = key_answer.expect("a key was pressed during the flood");
    assert!(key_answer < Duration::from_secs(3), "{key_answer:?}");
}
