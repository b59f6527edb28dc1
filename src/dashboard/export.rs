//! The dashboard's side of `x` and `y`: the file is written on a blocking
//! task, which reports its progress and end back into the loop as
//! actions; the clipboard sequence goes to the terminal.

use std::io::Write;
use std::path::Path;

use tokio::sync::mpsc::UnboundedSender;

use crate::app::export::{ExportEvent, ExportJob};
use crate::app::{Action, Command};

/// Carries out an export or clipboard command. Others are handed back.
pub(super) fn carry_out(
    command: Command,
    jobs: &UnboundedSender<Action>,
    terminal: &mut dyn Write,
) -> Option<Command> {
    match command {
        Command::CheckExportPath { path } => {
            let jobs = jobs.clone();
            // A stat can hang on a network file system: not on the loop.
            tokio::task::spawn_blocking(move || {
                let exists = Path::new(&path).symlink_metadata().is_ok();
                let _ = jobs.send(Action::Export(ExportEvent::PathChecked { path, exists }));
            });
            None
        }
        Command::Export(job) => {
            let jobs = jobs.clone();
            tokio::task::spawn_blocking(move || write(job, &jobs));
            None
        }
        Command::CopyToClipboard(text) => {
            let in_tmux = std::env::var_os("TMUX").is_some_and(|v| !v.is_empty());
            let bytes = crate::export::osc52(&text, in_tmux);
            // Nothing to tell the user if the terminal will not take it:
            // OSC 52 has no answer.
            let _ = terminal.write_all(&bytes).and_then(|()| terminal.flush());
            None
        }
        other => Some(other),
    }
}

fn write(job: ExportJob, jobs: &UnboundedSender<Action>) {
    let ExportJob {
        path,
        format,
        overwrite,
        records,
    } = job;
    let total = records.len();
    let result =
        crate::export::export_to_file(Path::new(&path), format, overwrite, &records, |written| {
            let _ = jobs.send(Action::Export(ExportEvent::Progress { written, total }));
        });
    // The records are freed here, off the loop.
    drop(records);
    let _ = jobs.send(Action::Export(ExportEvent::Done { path, result }));
}
