// Why jemalloc: see Cargo.toml.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

// jemalloc's options, read once at its start (see Cargo.toml for why one
// arena and a short decay). `_RJEM_MALLOC_CONF` in the environment still
// overrides them. To see that jemalloc reads this, put an unknown option
// in it: jemalloc prints "Invalid conf pair" at start.
#[cfg(not(target_env = "msvc"))]
#[unsafe(export_name = "_rjem_malloc_conf")]
static JEMALLOC_OPTIONS: &[u8; 29] = b"narenas:1,dirty_decay_ms:100\0";

use std::io::IsTerminal;

use clap::Parser;

use misar_dash::cli::Cli;

/// An error `run` returns is a user's to fix (a file that exists, a bad
/// setting): one plain line and exit 1. A panic is a bug: color-eyre's
/// report, with a backtrace when asked, in colour only where stderr is a
/// terminal and NO_COLOR is not set.
fn main() {
    let plain = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
        || !std::io::stderr().is_terminal();
    let theme = if plain {
        color_eyre::config::Theme::new()
    } else {
        color_eyre::config::Theme::dark()
    };
    // Without the hook a panic still gets Rust's own report.
    let _ = color_eyre::config::HookBuilder::default()
        .theme(theme)
        .install();
    let cli = Cli::parse();
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if let Some(workers) = cli.runtime_workers() {
        runtime.worker_threads(workers);
    }
    let code = match runtime.enable_all().build() {
        Ok(runtime) => {
            let result = runtime.block_on(misar_dash::run(cli));
            // Client tasks may still be mid-request; they hold nothing
            // worth waiting for.
            runtime.shutdown_background();
            match result {
                Ok(code) => code,
                Err(e) => {
                    eprintln!("misar-dash: {e:#}");
                    1
                }
            }
        }
        Err(e) => {
            eprintln!("misar-dash: could not start the async runtime: {e}");
            1
        }
    };
    std::process::exit(code);
}
