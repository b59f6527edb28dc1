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

struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(name: &str, command: &str) -> Tmux {
        let socket = format!("misar-sig-{}-{name}", std::process::id());
        let tmux = Tmux { socket };
        let status = Command::new("tmux")
            .args(["-L", &tmux.socket, "-f", "/dev/null", "new-session", "-d"])
            .args(["-x", "120", "-y", "40", command])
            .status()
            .expect("tmux is installed (.ci/run installs it: apt-get install tmux)");
        assert!(status.success());
        tmux
    }

    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("tmux runs");
        String::from_utf8_lossy(&out.stdout).trim_end().to_string()
    }

    fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p"])
    }

    fn format(&self, format: &str) -> String {
        self.tmux(&["display-message", "-p", format])
    }

    /// Waits until the screen satisfies `ok`; panics with the screen if not.
    fn wait_for(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(40);
        loop {
            let screen = self.screen();
            if ok(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The dashboard's pid: the child of the pane's shell.
    fn dashboard_pid(&self) -> u32 {
        let shell: u32 = self.format("#{pane_pid}").parse().expect("pane pid");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(pid) = child_named(shell, "misar-dash") {
                return pid;
            }
            assert!(Instant::now() < deadline, "no misar-dash under {shell}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .stderr(std::process::Stdio::null())
            .status();
    }
}

/// A child of `parent` whose command name is `name`.
fn child_named(parent: u32, name: &str) -> Option<u32> {
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // pid (comm) state ppid ...: comm may hold spaces, so split at ')'.
        let Some((head, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let comm = head.split_once('(').map(|(_, c)| c);
        let ppid = rest.split_whitespace().nth(1).and_then(|p| p.parse().ok());
        if comm == Some(name) && ppid == Some(parent) {
            return Some(pid);
        }
    }
    None
}

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
    let bin = env!("CARGO_BIN_EXE_misar-dash");
    format!(
        "env -u MISAR_BLOG_KEY -u MISAR_MAIL_KEY -u MISAR_DASH_STATS_FILE -u RUST_BACKTRACE -u RUST_LIB_BACKTRACE \
         MISAR_DASH_CONFIG=/nonexistent {env} {bin}; \
         echo EXITED=$?; stty -a | tr ' ' '\\n' | grep -x -e icanon -e -icanon -e echo -e -echo | tr '\\n' ' '; \
         echo MODES; sleep 60"
    )
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
    let tmux = Tmux::start(name, &demo_command(""));
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
    let tmux = Tmux::start("gone", &demo_command(""));
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

fn panics(name: &str, env: &str, message: &str) {
    let tmux = Tmux::start(name, &demo_command(env));
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
#[test]
fn a_panic_on_a_task_gives_the_terminal_back_too() {
    panics(
        "task-panic",
        "MISAR_DASH_PANIC_AFTER_MS=8000 MISAR_DASH_PANIC_IN_TASK=1",
        "a panic on purpose on a task",
    );
}
