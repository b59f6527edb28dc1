//! Taking over the terminal and always giving it back: on quit, on error,
//! on panic (on any thread) and on SIGTERM/SIGHUP/SIGINT/SIGQUIT (the loop
//! turns those into a quit). `tests/it/signals.rs` checks each in a real
//! terminal.

use std::io::{self, BufWriter, Stdout, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use crossterm::terminal::{
    Clear, ClearType, EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use crossterm::{cursor, execute};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

/// Frames are written through one buffer and flushed once per frame, so a
/// frame is one write on the wire (what an SSH link wants).
pub type Tui = Terminal<CrosstermBackend<BufWriter<Stdout>>>;

/// Whether mouse capture is on, for the panic hook's restore.
static MOUSE: AtomicBool = AtomicBool::new(false);
/// Whether the terminal is ours (raw mode, alternate screen): what
/// [`restore`] undoes, once.
static ACTIVE: AtomicBool = AtomicBool::new(false);

/// Restores the terminal when dropped.
pub struct TerminalGuard {
    pub terminal: Tui,
}

impl TerminalGuard {
    pub fn enter(mouse: bool) -> io::Result<TerminalGuard> {
        install_panic_hook();
        MOUSE.store(mouse, Ordering::SeqCst);
        ACTIVE.store(true, Ordering::SeqCst);
        if let Err(e) = enable_raw_mode() {
            restore();
            return Err(e);
        }
        let mut stdout = io::stdout();
        let entered = execute!(stdout, EnterAlternateScreen, cursor::Hide).and_then(|_| {
            if mouse {
                execute!(stdout, EnableMouseCapture)
            } else {
                Ok(())
            }
        });
        if let Err(e) = entered {
            restore();
            return Err(e);
        }
        let backend = CrosstermBackend::new(BufWriter::with_capacity(1 << 16, io::stdout()));
        match Terminal::new(backend) {
            Ok(terminal) => Ok(TerminalGuard { terminal }),
            Err(e) => {
                restore();
                Err(e)
            }
        }
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        let _ = self.terminal.backend_mut().flush();
        restore();
    }
}

/// Clears and leaves the alternate screen, leaves raw mode, shows the
/// cursor. The clear is for tmux (3.3): after a resize it can bring what
/// was drawn on the alternate screen back onto the main one when we leave
/// it, so a dozen dashboard lines stayed above the prompt. Only the
/// first call after [`TerminalGuard::enter`] does anything, so it is safe to
/// call more than once, and it writes nothing to a terminal that is not
/// ours. Errors are ignored: after SIGHUP the terminal may be gone.
pub fn restore() {
    if !ACTIVE.swap(false, Ordering::SeqCst) {
        return;
    }
    let mut stdout = io::stdout();
    if MOUSE.swap(false, Ordering::SeqCst) {
        let _ = execute!(stdout, DisableMouseCapture);
    }
    let _ = execute!(
        stdout,
        Clear(ClearType::All),
        LeaveAlternateScreen,
        cursor::Show
    );
    let _ = disable_raw_mode();
}

/// Restores the terminal before the previous hook (color-eyre's) prints the
/// panic, so the report is readable and the shell is usable after it.
///
/// A panic while the dashboard owns the terminal then ends the process
/// (exit code 101, as an unwinding panic of `main` gives). A panic on a
/// client task would otherwise be caught by tokio, and the dashboard would
/// go on drawing over the report into a terminal no longer in raw mode or
/// on the alternate screen.
fn install_panic_hook() {
    static INSTALLED: AtomicBool = AtomicBool::new(false);
    if INSTALLED.swap(true, Ordering::SeqCst) {
        return;
    }
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let owned = ACTIVE.load(Ordering::SeqCst);
        restore();
        previous(info);
        if owned {
            std::process::exit(101);
        }
    }));
}
