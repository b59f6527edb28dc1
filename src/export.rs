//! Log records out of the program: NDJSON and CSV writers (the `x` export
//! and `stream logs --format`), the file write that leaves nothing
//! half-written under its name, and the OSC 52 sequence of `y`.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use base64::Engine as _;

pub use crate::app::export::ExportFormat;
use crate::model::log::format_timestamp_ms;
use crate::model::{LogRecord, LogRecordRef};

/// The CSV columns: the table's, then the SMTP response and message id.
pub const CSV_HEADER: [&str; 8] = [
    "time",
    "type",
    "sender",
    "recipient",
    "subject",
    "tags",
    "smtp_response",
    "message_id",
];

/// Records between two progress reports.
pub const PROGRESS_EVERY: usize = 20_000;

/// One record as a line of JSON, in the API's shape (unknown fields kept).
pub fn write_ndjson_record(out: &mut impl Write, record: &LogRecordRef<'_>) -> io::Result<()> {
    serde_json::to_writer(&mut *out, record).map_err(io::Error::from)?;
    out.write_all(b"\n")
}

/// The CSV header row.
pub fn write_csv_header(out: &mut impl Write) -> io::Result<()> {
    write_csv_row(out, CSV_HEADER)
}

/// One record as a CSV row of [`CSV_HEADER`]'s columns. Times are RFC 3339
/// (UTC); tags are joined with `;`; the type is the API's name (empty when
/// the record has none we know). `cell` is applied to each text field
/// (the identity for a file; a cleaner for a terminal).
pub fn write_csv_record(
    out: &mut impl Write,
    record: &LogRecordRef<'_>,
    cell: impl Fn(&str) -> String,
) -> io::Result<()> {
    let event_type = record
        .event_type
        .filter(|t| *t != crate::model::LogEventType::Other)
        .map_or("", |t| t.as_str());
    let tags: Vec<&str> = record.tags.iter().collect();
    let cells = [
        format_timestamp_ms(record.timestamp_ms),
        event_type.to_string(),
        cell(record.sender),
        cell(record.recipient),
        cell(record.subject),
        cell(&tags.join(";")),
        cell(record.smtp_response.unwrap_or("")),
        cell(record.message_id),
    ];
    write_csv_row(out, cells.iter().map(String::as_str))
}

/// One row (RFC 4180): cells holding a comma, a quote, CR or LF are
/// quoted, their quotes doubled; rows end with CRLF.
pub fn write_csv_row<'a>(
    out: &mut impl Write,
    cells: impl IntoIterator<Item = &'a str>,
) -> io::Result<()> {
    for (i, cell) in cells.into_iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        if cell.contains([',', '"', '\r', '\n']) {
            out.write_all(b"\"")?;
            out.write_all(cell.replace('"', "\"\"").as_bytes())?;
            out.write_all(b"\"")?;
        } else {
            out.write_all(cell.as_bytes())?;
        }
    }
    out.write_all(b"\r\n")
}

/// Writes `records` in `format` (rows only: no CSV header) to `out`.
pub fn write_records(
    out: &mut impl Write,
    format: ExportFormat,
    records: &[LogRecord],
) -> io::Result<()> {
    for record in records {
        let record = record.borrowed();
        match format {
            ExportFormat::Ndjson => write_ndjson_record(out, &record)?,
            ExportFormat::Csv => write_csv_record(out, &record, str::to_string)?,
        }
    }
    Ok(())
}

/// A file being written so that its name holds either all of it or what
/// it held before: the bytes go to a temporary file in the same directory,
/// which [`FileExport::finish`] syncs and renames to the name. Dropped
/// unfinished (an error, the program quitting), the temporary file goes.
pub struct FileExport {
    path: PathBuf,
    temp: PathBuf,
    format: ExportFormat,
    overwrite: bool,
    out: BufWriter<File>,
    written: usize,
    finished: bool,
}

impl FileExport {
    /// Creates the temporary file (and writes the CSV header). Unless
    /// `overwrite`, [`FileExport::finish`] will not replace a file at
    /// `path`.
    pub fn create(path: &Path, format: ExportFormat, overwrite: bool) -> io::Result<FileExport> {
        let temp = temp_path(path);
        let file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)?;
        let mut export = FileExport {
            path: path.to_path_buf(),
            temp,
            format,
            overwrite,
            out: BufWriter::with_capacity(1 << 16, file),
            written: 0,
            finished: false,
        };
        if format == ExportFormat::Csv {
            write_csv_header(&mut export.out)?;
        }
        Ok(export)
    }

    /// Appends records.
    pub fn write(&mut self, records: &[LogRecord]) -> io::Result<()> {
        write_records(&mut self.out, self.format, records)?;
        self.written += records.len();
        Ok(())
    }

    /// Records written so far.
    pub fn written(&self) -> usize {
        self.written
    }

    /// Syncs the file and gives it its name. `Ok` is the records written.
    pub fn finish(mut self) -> io::Result<usize> {
        self.out.flush()?;
        self.out.get_ref().sync_all()?;
        if self.overwrite {
            fs::rename(&self.temp, &self.path)?;
        } else {
            // A link fails if the name was taken since the prompt asked;
            // a rename would replace it silently.
            match fs::hard_link(&self.temp, &self.path) {
                Ok(()) => fs::remove_file(&self.temp)?,
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Err(e),
                // No hard links here (some network and FAT file systems).
                Err(_) if self.path.exists() => return Err(io::ErrorKind::AlreadyExists.into()),
                Err(_) => fs::rename(&self.temp, &self.path)?,
            }
        }
        self.finished = true;
        Ok(self.written)
    }
}

impl Drop for FileExport {
    fn drop(&mut self) {
        if !self.finished {
            let _ = fs::remove_file(&self.temp);
        }
    }
}

/// `dir/.name.<pid>.tmp`, beside `path`.
fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "export".into());
    path.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
}

/// The path typed at the prompt as the file system takes it: a leading
/// `~/` is the home directory (`HOME`), as a shell would have it.
pub fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) if !home.is_empty() => Path::new(&home).join(rest),
        _ => PathBuf::from(path),
    }
}

/// An export's error as the status bar says it (the OS error; a name
/// taken since the prompt asked).
pub fn describe_error(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::AlreadyExists => "the file exists now; not replaced".to_string(),
        _ => e.to_string(),
    }
}

/// Writes `records` to `path` in `format`, atomically, calling
/// `progress(written)` every [`PROGRESS_EVERY`] records (tests and tools;
/// the dashboard writes chunk by chunk). `Err` is [`describe_error`]'s.
pub fn export_to_file(
    path: &Path,
    format: ExportFormat,
    overwrite: bool,
    records: &[LogRecord],
    mut progress: impl FnMut(usize),
) -> Result<usize, String> {
    let mut run = || {
        let mut file = FileExport::create(path, format, overwrite)?;
        for chunk in records.chunks(PROGRESS_EVERY) {
            if file.written() > 0 {
                progress(file.written());
            }
            file.write(chunk)?;
        }
        file.finish()
    };
    run().map_err(|e| describe_error(&e))
}

/// The OSC 52 sequence that puts `text` on the system clipboard:
/// `ESC ] 52 ; c ; <base64> BEL`, inside tmux (`in_tmux`) through its
/// passthrough ([`crate::notify::wrap`]); with `set-clipboard on` tmux
/// also takes OSC 52 itself.
pub fn osc52(text: &str, in_tmux: bool) -> Vec<u8> {
    let encoded = base64::engine::general_purpose::STANDARD.encode(text);
    crate::notify::wrap(format!("\x1b]52;c;{encoded}\x07").as_bytes(), in_tmux)
}

#[cfg(test)]
mod tests;
