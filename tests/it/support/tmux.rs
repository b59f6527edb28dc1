//! A detached tmux session running one command: how the end-to-end tests
//! drive the real binary in a real terminal, as a person would. `.ci/run`
//! installs tmux; without it these tests fail and say so.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A shell command that runs the real dashboard with `args`, with none of
/// this machine's keys, URLs, backtrace or stats settings, no config file
/// and the test state directory (as [`super::misar_dash`] does), and then
/// with `env` (`NAME=value` words, which win).
pub fn dashboard(env: &str, args: &str) -> String {
    let bin = env!("CARGO_BIN_EXE_misar-dash");
    format!(
        "env -u MISAR_BLOG_KEY -u MISAR_MAIL_KEY -u MISAR_BLOG_URL -u MISAR_MAIL_URL \
         -u MISAR_MAIL_WS_URL -u MISAR_DASH_STATS_FILE -u RUST_BACKTRACE -u RUST_LIB_BACKTRACE \
         XDG_STATE_HOME=/tmp/misar-dash-test-state MISAR_DASH_CONFIG=/nonexistent {env} {bin} {args}"
    )
}

/// Shell words for after the program: the exit code (`EXITED=n`) and the
/// terminal's input modes (`icanon` or `-icanon`, `echo` or `-echo`) on a
/// line that ends with `marker`; then the pane stays open.
pub fn report_exit_and_modes(marker: &str) -> String {
    format!(
        "echo EXITED=$?; stty -a | tr ' ' '\\n' | grep -x -e icanon -e -icanon -e echo -e -echo \
         | tr '\\n' ' '; echo {marker}; sleep 60"
    )
}

/// How long [`Tmux::wait_for`] waits for the screen.
const WAIT: Duration = Duration::from_secs(40);

/// One tmux server (its own socket) with one pane; killed when dropped.
pub struct Tmux {
    socket: String,
}

impl Tmux {
    /// Starts `command` in a `width`x`height` pane. `name` tells this
    /// session from the others a test binary starts at the same time.
    pub fn start(name: &str, width: u16, height: u16, command: &str) -> Tmux {
        let tmux = Tmux {
            socket: format!("misar-{name}-{}", std::process::id()),
        };
        let status = Command::new("tmux")
            .args(["-L", &tmux.socket, "-f", "/dev/null", "new-session", "-d"])
            .args(["-x", &width.to_string(), "-y", &height.to_string()])
            .arg(command)
            .status()
            .expect("tmux is installed (.ci/run installs it: apt-get install tmux)");
        assert!(status.success());
        tmux
    }

    /// Runs a tmux command against this session; its standard output.
    pub fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("tmux runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p"])
    }

    /// The screen with its attributes, as SGR sequences.
    pub fn screen_with_styles(&self) -> String {
        self.tmux(&["capture-pane", "-e", "-p"])
    }

    /// A tmux format (`#{pane_pid}`, `#{alternate_on}`…) for the pane.
    pub fn format(&self, format: &str) -> String {
        self.tmux(&["display-message", "-p", format])
            .trim_end()
            .to_string()
    }

    pub fn title(&self) -> String {
        self.format("#{pane_title}")
    }

    /// tmux's paste buffers: where an OSC 52 clipboard write would land.
    pub fn buffers(&self) -> String {
        self.tmux(&["list-buffers"])
    }

    pub fn key(&self, key: &str) {
        let status = Command::new("tmux")
            .args(["-L", &self.socket, "send-keys", key])
            .status()
            .expect("send-keys");
        assert!(status.success());
    }

    /// Keys one at a time, as separate writes, so that Esc followed by a
    /// key is not read as Alt+key.
    pub fn keys(&self, keys: &[&str]) {
        for key in keys {
            self.key(key);
            std::thread::sleep(Duration::from_millis(150));
        }
    }

    /// Text typed as it is (no key names).
    pub fn type_text(&self, text: &str) {
        let status = Command::new("tmux")
            .args(["-L", &self.socket, "send-keys", "-l", text])
            .status()
            .expect("send-keys");
        assert!(status.success());
    }

    /// Waits until the screen satisfies `ok`; panics with the screen if not.
    pub fn wait_for(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + WAIT;
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

    /// The dashboard's pid: the `misar-dash` child of the pane's shell.
    pub fn dashboard_pid(&self) -> u32 {
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
            .stderr(Stdio::null())
            .status();
    }
}

/// A child of `parent` whose command name is `name`.
pub fn child_named(parent: u32, name: &str) -> Option<u32> {
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
