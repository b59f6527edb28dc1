//! The network log: a file that answers "why is this pane dark" after the
//! fact. Each client writes one line per connection state through
//! `tracing` (see `Emitter::conn`); this module says where the file is,
//! what a line looks like, and keeps the file under a size cap by
//! rotating it: `misar-dash.log`, then `.1`, then `.2`, the oldest removed.
//! (tracing-appender only rotates by time; a dashboard left open for weeks
//! needs a size cap.)

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use color_eyre::eyre::{Context, Result, eyre};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::FormatTime;

/// The log file's name in the state directory.
pub const FILE_NAME: &str = "misar-dash.log";
/// The size a log file may reach before it is rotated away.
pub const MAX_BYTES: u64 = 5 * 1024 * 1024;
/// Rotated files kept besides the current one: `.1` and `.2`.
pub const KEEP: usize = 2;
/// The environment variable that sets the log's level filter, in
/// `RUST_LOG` syntax.
pub const FILTER_VAR: &str = "MISAR_DASH_LOG";
/// Our own lines at `info`, everyone else's (hyper, reqwest, rustls) only
/// when something is wrong.
const DEFAULT_FILTER: &str = "warn,misar_dash=info";

/// The log file's default path: `misar-dash.log` in the platform's state
/// directory (`$XDG_STATE_HOME/misar-dash` on Linux), or its local data
/// directory where there is no state directory (macOS, Windows). `None`
/// when there is no home directory to find either.
pub fn default_path() -> Option<PathBuf> {
    state_file(FILE_NAME)
}

/// A file named `name` in the platform's state directory (or its local
/// data directory where there is none): where the dashboard keeps what
/// outlives a run, the log and the filter history.
pub fn state_file(name: &str) -> Option<PathBuf> {
    let dirs = directories::ProjectDirs::from("io", "misar", "misar-dash")?;
    let dir = dirs.state_dir().unwrap_or_else(|| dirs.data_local_dir());
    Some(dir.join(name))
}

/// The log's path: `--log-file`, else the default.
pub fn path(flag: Option<&Path>) -> Option<PathBuf> {
    flag.map(Path::to_path_buf).or_else(default_path)
}

/// The current time as RFC 3339 in UTC with milliseconds,
/// `2026-12-07T01:30:00.123Z`: the time of a log line and of a headless
/// `--timestamps` line.
pub fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The log's level filter: [`FILTER_VAR`] when set, else the default. A
/// filter that does not parse is an error naming it.
pub fn filter_from_env() -> Result<EnvFilter> {
    match std::env::var_os(FILTER_VAR) {
        Some(value) if !value.is_empty() => EnvFilter::try_from_env(FILTER_VAR)
            .map_err(|e| eyre!("{FILTER_VAR}={value:?} is not a valid log filter: {e}")),
        _ => Ok(EnvFilter::new(DEFAULT_FILTER)),
    }
}

/// Starts writing the network log to `path` for the rest of the process.
/// Writes are synchronous and unbuffered (a line per state change is
/// little), so nothing is held that would need flushing at exit.
pub fn init(path: &Path, filter: EnvFilter) -> Result<()> {
    let file = RotatingFile::open(path, MAX_BYTES)
        .wrap_err_with(|| format!("could not open the log file {}", path.display()))?;
    tracing_subscriber::fmt()
        .with_writer(LogWriter::new(file))
        .with_env_filter(filter)
        .with_ansi(false)
        .with_target(false)
        .with_timer(Rfc3339Utc)
        // Its fallback for a failed write is stderr, which the dashboard's
        // screen owns: a full disk loses log lines, never the screen.
        .log_internal_errors(false)
        .try_init()
        .map_err(|e| eyre!("could not start the log: {e}"))
}

/// Log times as [`now_rfc3339`].
struct Rfc3339Utc;

impl FormatTime for Rfc3339Utc {
    fn format_time(&self, w: &mut Writer<'_>) -> std::fmt::Result {
        w.write_str(&now_rfc3339())
    }
}

/// A log file that is rotated when a write would take it past `cap`
/// bytes. A write goes whole into one file, so a line is never split
/// between two.
pub struct RotatingFile {
    path: PathBuf,
    file: File,
    len: u64,
    cap: u64,
}

impl RotatingFile {
    /// Opens `path` for appending, creating it (mode 0600) and its
    /// directory (mode 0700) if missing: which streams a person watches is
    /// their business.
    pub fn open(path: &Path, cap: u64) -> io::Result<RotatingFile> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            let mut builder = std::fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            builder.create(dir)?;
        }
        let file = open_append(path)?;
        let len = file.metadata()?.len();
        Ok(RotatingFile {
            path: path.to_path_buf(),
            file,
            len,
            cap,
        })
    }

    /// `path.N`: the Nth newest rotated file.
    fn rotated(&self, n: usize) -> PathBuf {
        let mut name = self.path.clone().into_os_string();
        name.push(format!(".{n}"));
        PathBuf::from(name)
    }

    /// `.1` becomes `.2` and so on, the oldest is removed, the current file
    /// becomes `.1`, and a new current file is started.
    fn rotate(&mut self) -> io::Result<()> {
        match std::fs::remove_file(self.rotated(KEEP)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        for n in (1..KEEP).rev() {
            match std::fs::rename(self.rotated(n), self.rotated(n + 1)) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
        std::fs::rename(&self.path, self.rotated(1))?;
        self.file = open_append(&self.path)?;
        self.len = 0;
        Ok(())
    }
}

impl Write for RotatingFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.len > 0 && self.len + buf.len() as u64 > self.cap {
            // A failed rotation loses this write, not the cap: the next
            // write tries again.
            self.rotate()?;
        }
        self.file.write_all(buf)?;
        self.len += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

fn open_append(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// The [`MakeWriter`] over one [`RotatingFile`] that every thread's log
/// lines go through.
pub struct LogWriter(Mutex<RotatingFile>);

impl LogWriter {
    pub fn new(file: RotatingFile) -> LogWriter {
        LogWriter(Mutex::new(file))
    }
}

impl<'a> MakeWriter<'a> for LogWriter {
    type Writer = LockedFile<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        // A thread that panicked mid-write left at worst half a line.
        LockedFile(self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// The log file, held for one line.
pub struct LockedFile<'a>(MutexGuard<'a, RotatingFile>);

impl Write for LockedFile<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("misar-dash-logfile-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    fn files_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn rotation_keeps_two_old_files_and_loses_no_line_of_theirs() {
        let dir = temp_dir("rotate");
        let path = dir.join("sub").join("net.log");
        let mut file = RotatingFile::open(&path, 100).unwrap();
        let lines: Vec<String> = (0..40)
            .map(|i| format!("line {i:03} of the log\n"))
            .collect();
        for (i, line) in lines.iter().enumerate() {
            file.write_all(line.as_bytes()).unwrap();
            let names = files_in(&dir.join("sub"));
            assert!(names.len() <= 1 + KEEP, "after line {i}: {names:?}");
        }
        assert_eq!(
            files_in(&dir.join("sub")),
            ["net.log", "net.log.1", "net.log.2"]
        );
        // Oldest first, the three files hold the newest lines without a gap.
        let mut kept = String::new();
        for name in ["net.log.2", "net.log.1", "net.log"] {
            let text = std::fs::read_to_string(dir.join("sub").join(name)).unwrap();
            assert!(text.len() <= 100, "{name} is {} bytes", text.len());
            assert!(text.ends_with('\n'), "{name} ends mid-line");
            kept.push_str(&text);
        }
        let all = lines.concat();
        assert!(all.ends_with(&kept), "a gap:\n{kept}");
        assert!(kept.len() > 200, "three files' worth: {kept}");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn a_line_longer_than_the_cap_goes_whole_into_its_own_file() {
        let dir = temp_dir("long");
        let path = dir.join("net.log");
        let mut file = RotatingFile::open(&path, 10).unwrap();
        file.write_all(b"short\n").unwrap();
        file.write_all(b"a line well over ten bytes\n").unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.join("net.log.1")).unwrap(),
            "short\n"
        );
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "a line well over ten bytes\n"
        );
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn reopening_appends_and_counts_what_is_there() {
        let dir = temp_dir("reopen");
        let path = dir.join("net.log");
        RotatingFile::open(&path, 20)
            .unwrap()
            .write_all(b"first run\n")
            .unwrap();
        let mut again = RotatingFile::open(&path, 20).unwrap();
        again.write_all(b"second run\n").unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.join("net.log.1")).unwrap(),
            "first run\n"
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "second run\n");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[cfg(unix)]
    #[test]
    fn the_file_and_its_directory_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = temp_dir("mode");
        let path = dir.join("state").join("net.log");
        let mut file = RotatingFile::open(&path, 8).unwrap();
        file.write_all(b"one line\n").unwrap();
        file.write_all(b"rotated\n").unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&dir.join("state").join("net.log.1")), 0o600);
        assert_eq!(mode(&dir.join("state")), 0o700);
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn times_are_rfc3339_utc_with_milliseconds() {
        let now = now_rfc3339();
        assert_eq!(now.len(), "2026-12-07T01:30:00.123Z".len(), "{now}");
        assert!(now.ends_with('Z') && now.as_bytes()[19] == b'.', "{now}");
        assert!(chrono::DateTime::parse_from_rfc3339(&now).is_ok(), "{now}");
    }
}
