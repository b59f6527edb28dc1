//! This process's CPU time and peak memory, read from /proc (Linux only).

use std::time::Duration;

/// The most memory this process has held (VmHWM, kB), from /proc (Linux
/// only).
pub(super) fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find_map(|l| l.strip_prefix("VmHWM:"))?;
    line.trim().trim_end_matches("kB").trim().parse().ok()
}

/// User plus system CPU time of this process, from /proc (Linux only).
pub(super) fn process_cpu_time() -> Option<Duration> {
    cpu_time("/proc/self/stat")
}

/// The same for the calling thread: the one the reducer runs on.
pub(super) fn thread_cpu_time() -> Option<Duration> {
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
