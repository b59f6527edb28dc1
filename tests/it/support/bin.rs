//! The real binary, run as a script or a person runs it, and the
//! directories its runs write into.

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::Duration;

use misar_dash::model::endpoints::Endpoints;
use misar_dash::sim;
use tokio::process::Command;

/// The real binary, with nothing of this machine's environment that would
/// change what it does (keys, URLs, backtraces, the user's config file and
/// state directory).
pub fn misar_dash() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_misar-dash"));
    for var in [
        "MISAR_BLOG_KEY",
        "MISAR_MAIL_KEY",
        "MISAR_BLOG_URL",
        "MISAR_MAIL_URL",
        "MISAR_MAIL_WS_URL",
        "RUST_BACKTRACE",
        "RUST_LIB_BACKTRACE",
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
        "NO_PROXY",
        "no_proxy",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("MISAR_DASH_CONFIG", "/nonexistent/misar-dash-test.toml");
    // The dashboard's network log goes here, not into the user's state.
    cmd.env(
        "XDG_STATE_HOME",
        std::env::temp_dir().join("misar-dash-test-state"),
    );
    cmd.stdin(Stdio::null());
    cmd.kill_on_drop(true);
    cmd
}

/// The real binary pointed at `endpoints` with the simulator's demo keys.
pub fn misar_dash_against(endpoints: &Endpoints) -> Command {
    let mut cmd = misar_dash();
    cmd.env("MISAR_BLOG_URL", &endpoints.blog_url)
        .env("MISAR_MAIL_URL", &endpoints.mail_url)
        .env("MISAR_MAIL_WS_URL", &endpoints.mail_ws_url)
        .env("MISAR_BLOG_KEY", sim::DEMO_BLOG_KEY)
        .env("MISAR_MAIL_KEY", sim::DEMO_MAIL_KEY);
    cmd
}

/// One run of the binary: its arguments, how it ended, and what it wrote
/// (as text; invalid UTF-8 replaced).
#[derive(Clone, Debug)]
pub struct Ran {
    pub args: Vec<String>,
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Ran {
    pub fn new(args: &[&str], out: Output) -> Ran {
        Ran {
            args: args.iter().map(|a| a.to_string()).collect(),
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Asserts the exit code; the message names the run and shows stderr.
    #[track_caller]
    pub fn assert_exit(&self, code: i32) -> &Ran {
        assert_eq!(
            self.code,
            Some(code),
            "{:?} exited {:?}, not {code}; stderr:\n{}",
            self.args,
            self.code,
            self.stderr
        );
        self
    }

    /// Asserts that the run failed (any exit but 0, or a signal).
    #[track_caller]
    pub fn assert_fails(&self) -> &Ran {
        assert_ne!(
            self.code,
            Some(0),
            "{:?} succeeded; stderr:\n{}",
            self.args,
            self.stderr
        );
        self
    }

    /// stderr's lines that start with `prefix`.
    pub fn stderr_lines(&self, prefix: &str) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| l.starts_with(prefix))
            .collect()
    }

    /// The one line on stderr that explains a non-zero exit.
    pub fn stop_line(&self) -> String {
        let lines: Vec<&str> = self
            .stderr_lines("misar-dash")
            .into_iter()
            .filter(|l| !l.starts_with("misar-dash: warning:"))
            .collect();
        assert_eq!(lines.len(), 1, "one line says why: {}", self.stderr);
        lines[0].to_string()
    }

    /// stdout as NDJSON: every line parsed.
    pub fn json_lines(&self) -> Vec<serde_json::Value> {
        self.stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .collect()
    }
}

/// Runs `cmd` with `args` to its end, which must come within a minute.
pub async fn run(cmd: Command, args: &[&str]) -> Ran {
    run_within(cmd, args, Duration::from_secs(60)).await
}

/// Runs `cmd` with `args` to its end, which must come within `limit`.
pub async fn run_within(mut cmd: Command, args: &[&str], limit: Duration) -> Ran {
    let out = tokio::time::timeout(limit, cmd.args(args).output())
        .await
        .unwrap_or_else(|_| panic!("{args:?} did not end within {limit:?}"))
        .unwrap_or_else(|e| panic!("{args:?} did not run: {e}"));
    Ran::new(args, out)
}

/// A directory of one test's own under the system's temp dir, empty when
/// made and removed when dropped. All tests run in one process: `name`
/// tells this test's from the others'.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("misar-dash-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a temp dir");
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn join(&self, path: impl AsRef<Path>) -> PathBuf {
        self.0.join(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A file's permission bits (`0o600`…).
pub fn file_mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    meta.permissions().mode() & 0o777
}

/// An address on 127.0.0.1 where nothing listens: connecting is refused.
pub fn closed_addr() -> std::net::SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
}
