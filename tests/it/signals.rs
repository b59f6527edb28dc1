//! The terminal comes back however the dashboard ends: SIGTERM, SIGHUP,
//! SIGINT and SIGQUIT sent from outside, a panic on the event loop or on a
//! client task, and the terminal itself going away (tmux closing the pane
//! sends SIGHUP, as a dropped SSH link does). The real binary runs the demo
//! in tmux; after it ends, the shell in the same pane reports the exit
//! code and the terminal modes, and tmux reports the cursor and the
//! alternate screen.
//!
//! `.ci/run` installs tmux; without it these tests fail and say so.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::tmux::{Tmux, dashboard, report_exit_and_modes};

fn alive(pid: u32) -> bool {
    // A zombie has ended; only its parent has not collected it yet.
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            s.rsplit_once(')')
                .map(|(_, rest)| !rest.trim_start().starts_with('Z'))
        })
        .unwrap_or(false)
}

fn kill(pid: u32, signal: &str) {
    let status = Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
}

/// The demo (no keys, no config), then the shell's report on what the
/// program left behind. `env` is extra `NAME=value` words.
fn demo_command(env: &str) -> String {
    format!("{}; {}", dashboard(env, ""), report_exit_and_modes("MODES"))
}

fn demo_is_up(screen: &str) -> bool {
    screen.contains("DEMO") && screen.contains("Live feed") && screen.contains("Domain logs")
}

/// After the program ended: canonical input and echo back, the cursor
/// shown, the alternate screen left and nothing of the dashboard on the
/// screen.
fn assert_terminal_restored(tmux: &Tmux, screen: &str) {
    let modes = screen
        .lines()
        .find(|l| l.contains("MODES"))
        .unwrap_or_else(|| panic!("no stty report:\n{screen}"));
    assert!(
        modes.contains("icanon") && !modes.contains("-icanon"),
        "{screen}"
    );
    assert!(
        modes.split_whitespace().any(|w| w == "echo"),
        "echo is off:\n{screen}"
    );
    assert_eq!(
        tmux.format("#{alternate_on}"),
        "0",
        "still on the alternate screen"
    );
    assert_eq!(tmux.format("#{cursor_flag}"), "1", "the cursor is hidden");
    assert!(!screen.contains("Domain logs"), "{screen}");
}

fn ends_on_signal(name: &str, signal: &str) {
    let tmux = Tmux::start(&format!("sig-{name}"), 120, 40, &demo_command(""));
    tmux.wait_for("the demo", demo_is_up);
    let pid = tmux.dashboard_pid();
    let sent = Instant::now();
    kill(pid, signal);
    let screen = tmux.wait_for("the program to exit", |s| s.contains("MODES"));
    assert!(
        sent.elapsed() < Duration::from_secs(15),
        "took {:?}",
        sent.elapsed()
    );
    assert!(screen.contains("EXITED=0"), "SIG{signal}:\n{screen}");
    assert_terminal_restored(&tmux, &screen);
}

#[test]
fn sigterm_gives_the_terminal_back() {
    ends_on_signal("term", "TERM");
}

/// SIGHUP sent directly, so the pane (the terminal) survives to be checked.
#[test]
fn sighup_gives_the_terminal_back() {
    ends_on_signal("hup", "HUP");
}

/// In raw mode Ctrl-C is a key; these come from outside (`kill`, `timeout`).
#[test]
fn sigint_and_sigquit_from_outside_give_the_terminal_back() {
    ends_on_signal("int", "INT");
    ends_on_signal("quit", "QUIT");
}

/// The terminal going away (tmux closing the pane, as sshd does when the
/// link drops) sends SIGHUP: the process ends promptly instead of running
/// on without a terminal.
#[test]
fn closing_the_terminal_ends_the_process() {
    let tmux = Tmux::start("sig-gone", 120, 40, &demo_command(""));
    tmux.wait_for("the demo", demo_is_up);
    let pid = tmux.dashboard_pid();
    let _ = tmux.tmux(&["kill-pane"]);
    let deadline = Instant::now() + Duration::from_secs(15);
    while alive(pid) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let still = alive(pid);
    if still {
        kill(pid, "KILL");
    }
    assert!(!still, "misar-dash ran on after its terminal closed");
}

#[cfg(feature = "test-hooks")]
fn panics(name: &str, env: &str, message: &str) {
    let tmux = Tmux::start(&format!("sig-{name}"), 120, 40, &demo_command(env));
    // The dashboard must be up (raw mode, alternate screen) when it panics.
    let screen = tmux.wait_for("the demo", |s| demo_is_up(s) || s.contains("EXITED="));
    assert!(
        demo_is_up(&screen),
        "it panicked before the dashboard was up; raise the delay:\n{screen}"
    );
    let screen = tmux.wait_for("the program to exit", |s| s.contains("MODES"));
    assert!(screen.contains("EXITED=101"), "{screen}");
    assert_terminal_restored(&tmux, &screen);
    // The report is on the normal screen and reads as lines: each starts at
    // the left edge, not where the previous one ended (raw mode would
    // print a staircase).
    assert!(screen.contains("The application panicked"), "{screen}");
    assert!(screen.contains(message), "{screen}");
    assert!(
        screen.lines().any(|l| l.starts_with("Location:")),
        "{screen}"
    );
}

// The panic on purpose is a test hook (`--features test-hooks`).
#[cfg(feature = "test-hooks")]
#[test]
fn a_panic_gives_the_terminal_back_with_a_readable_report() {
    panics(
        "panic",
        "MISAR_DASH_PANIC_AFTER_MS=8000",
        "a panic on purpose, for a test",
    );
}

/// A panic on a spawned task is caught by tokio; left alone, the dashboard
/// would go on drawing into a terminal no longer set up for it.
#[cfg(feature = "test-hooks")]
#[test]
fn a_panic_on_a_task_gives_the_terminal_back_too() {
    panics(
        "task-panic",
        "MISAR_DASH_PANIC_AFTER_MS=8000 MISAR_DASH_PANIC_IN_TASK=1",
        "a panic on purpose on a task",
    );
}
