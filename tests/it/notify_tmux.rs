//! The dashboard's alert notifications in a real terminal (tmux): the raw
//! bytes it writes to the pane, taken with `pipe-pane`, hold one bell, or
//! one OSC 9 and one OSC 777 (in tmux's passthrough, as `TMUX` is set in
//! the pane), for the one alert raised; none with `notify` off.
//!
//! `.ci/run` installs tmux; without it these tests fail and say so.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::TempDir;
use crate::support::tmux::{Tmux, dashboard};

/// Every rule off but the bounce rate, which `iss-cold-list` trips from
/// its first progress: one alert.
const ONE_RULE: &str = "complaint_rate_pct = false\ncomplaint_count = false\n\
                        stall_secs = false\nfailed_or_cancelled = false\n\
                        domain_bounce_rate_pct = false\nstream_down_secs = false\n";

/// How long the output is watched after the alert (or, with nothing to
/// wait for, after the send shows): a second bell would come by then, as
/// the rules are judged on every tick.
const AFTER: Duration = Duration::from_secs(4);

/// Runs the dashboard on the cold list with `notify` and [`ONE_RULE`],
/// its pane's output piped into a file from before it starts; returns
/// what it wrote once `done` holds for it (or after a time) plus [`AFTER`].
fn pane_output(name: &str, notify: &str, done: impl Fn(&[u8]) -> bool) -> Vec<u8> {
    let dir = TempDir::new(name);
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        format!("[alerts]\nnotify = \"{notify}\"\n{ONE_RULE}"),
    )
    .expect("the config file");
    let out = dir.join("pane.out");
    let ready = dir.join("ready");
    // The dashboard starts only once the pipe is in place.
    let command = format!(
        "while [ ! -e {ready} ]; do sleep 0.05; done; {}; sleep 60",
        dashboard(
            &format!("MISAR_DASH_CONFIG={}", config.display()),
            "--sim --issue iss-cold-list --no-follow-campaigns",
        ),
        ready = ready.display(),
    );
    let tmux = Tmux::start(name, 100, 30, &command);
    tmux.tmux(&["pipe-pane", "-o", &format!("cat >> {}", out.display())]);
    std::fs::write(&ready, "").expect("the ready file");
    tmux.wait_for("the cold list's row", |s| s.contains("iss-cold-list"));
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done(&read(&out)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(AFTER);
    let bytes = read(&out);
    tmux.key("q");
    bytes
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_default()
}

fn count(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .filter(|w| *w == needle)
        .count()
}

const BEL: &[u8] = b"\x07";
const OSC9: &[u8] = b"\x1bPtmux;\x1b\x1b]9;";
const OSC777: &[u8] = b"\x1bPtmux;\x1b\x1b]777;notify;misar-dash;";

#[test]
fn notify_bell_rings_once_for_the_one_alert() {
    let bytes = pane_output("alert-bell", "bell", |b| count(b, BEL) > 0);
    assert!(!bytes.is_empty(), "the pane's output was captured");
    assert_eq!(count(&bytes, BEL), 1, "{}", String::from_utf8_lossy(&bytes));
    assert_eq!(count(&bytes, b"]9;"), 0);
}

#[test]
fn notify_osc_sends_one_osc_9_and_one_osc_777_through_tmux() {
    let bytes = pane_output("alert-osc", "osc", |b| count(b, OSC777) > 0);
    let text = String::from_utf8_lossy(&bytes);
    assert_eq!(count(&bytes, OSC9), 1, "{text:?}");
    assert_eq!(count(&bytes, OSC777), 1, "{text:?}");
    // Each sequence is whole: its text, its BEL, the passthrough's end;
    // those two BELs are the only ones.
    let start = text.find("]9;").expect("OSC 9");
    let osc9 = &text[start..];
    let end = osc9
        .find("\x07\x1b\\")
        .expect("OSC 9 ends inside the passthrough");
    assert!(
        osc9[..end].contains("iss-cold-list") && osc9[..end].contains("bounce rate"),
        "{:?}",
        &osc9[..end]
    );
    assert_eq!(count(&bytes, BEL), 2, "{text:?}");
}

#[test]
fn notify_off_writes_no_bell_and_no_notification() {
    let bytes = pane_output("alert-off", "off", |_| true);
    assert!(!bytes.is_empty(), "the pane's output was captured");
    assert_eq!(count(&bytes, BEL), 0);
    assert_eq!(count(&bytes, b"]9;"), 0);
    assert_eq!(count(&bytes, b"]777;"), 0);
}
