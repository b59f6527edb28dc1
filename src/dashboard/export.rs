//! The dashboard's side of `x` and `y`: the file is written on a blocking
//! task, which takes the records chunk by chunk as the reducer makes them
//! and reports its progress and end back into the loop as actions; the
//! clipboard sequence goes to the terminal.

use std::io::Write;
use std::sync::mpsc as std_mpsc;

use tokio::sync::mpsc::UnboundedSender;

use crate::app::export::{ExportChunk, ExportEvent, ExportJob};
use crate::app::{Action, Command};
use crate::export::{FileExport, describe_error, expand_home};

/// What the loop keeps for the blocking tasks.
pub(super) struct Jobs {
    /// Their reports, into the loop.
    reports: UnboundedSender<Action>,
    /// The chunks of the export being written, to its task.
    chunks: Option<std_mpsc::Sender<ExportChunk>>,
}

impl Jobs {
    pub(super) fn new(reports: UnboundedSender<Action>) -> Jobs {
        Jobs {
            reports,
            chunks: None,
        }
    }

    /// Carries out an export or clipboard command. Others are handed back.
    pub(super) fn carry_out(
        &mut self,
        command: Command,
        terminal: &mut dyn Write,
    ) -> Option<Command> {
        match command {
            Command::CheckExportPath { path } => {
                let reports = self.reports.clone();
                // A stat can hang on a network file system: not on the loop.
                tokio::task::spawn_blocking(move || {
                    let exists = expand_home(&path).symlink_metadata().is_ok();
                    let _ = reports.send(Action::Export(ExportEvent::PathChecked { path, exists }));
                });
                None
            }
            Command::Export(job) => {
                let reports = self.reports.clone();
                let (tx, rx) = std_mpsc::channel();
                // A previous export's sender, if any, goes: its task ends.
                self.chunks = Some(tx);
                tokio::task::spawn_blocking(move || write(job, &rx, &reports));
                None
            }
            Command::ExportChunk(chunk) => {
                let last = chunk.last;
                if let Some(tx) = &self.chunks {
                    // A task that failed has reported so and gone.
                    let _ = tx.send(chunk);
                }
                if last {
                    self.chunks = None;
                }
                None
            }
            Command::CopyToClipboard(text) => {
                let bytes = crate::export::osc52(&text, crate::notify::in_tmux());
                // Nothing to tell the user if the terminal will not take it:
                // OSC 52 has no answer.
                let _ = terminal.write_all(&bytes).and_then(|()| terminal.flush());
                None
            }
            Command::Notify { how, text } => {
                let bytes = crate::notify::notification(how, &text, crate::notify::in_tmux());
                let _ = terminal.write_all(&bytes).and_then(|()| terminal.flush());
                None
            }
            other => Some(other),
        }
    }
}

/// The blocking task: the file, chunk by chunk, a progress report after
/// each (which asks the reducer for the next), then the end.
fn write(
    job: ExportJob,
    chunks: &std_mpsc::Receiver<ExportChunk>,
    reports: &UnboundedSender<Action>,
) {
    let ExportJob {
        path,
        format,
        overwrite,
        total,
    } = job;
    let run = || {
        let mut file = FileExport::create(&expand_home(&path), format, overwrite)?;
        loop {
            // The loop gone (the program quitting): the temporary file goes
            // with `file`.
            let chunk = chunks
                .recv()
                .map_err(|_| std::io::Error::other("the export was abandoned"))?;
            file.write(&chunk.records)?;
            if chunk.last {
                return file.finish();
            }
            let written = file.written();
            let _ = reports.send(Action::Export(ExportEvent::Progress { written, total }));
        }
    };
    let result = run().map_err(|e| describe_error(&e));
    let _ = reports.send(Action::Export(ExportEvent::Done { path, result }));
}
