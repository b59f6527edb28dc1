use clap::Parser;
use color_eyre::eyre::Result;

use misar_dash::cli::Cli;

/// mimalloc, not the system allocator: a domain-log stream allocates about
/// ten small strings per record on the client task and frees them on the UI
/// task, half a million records a stream. glibc's malloc spent a third of
/// that time in malloc/free and serialised the two threads on its arena
/// locks; mimalloc's thread-local heaps and deferred cross-thread frees do
/// not (see BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> Result<()> {
    color_eyre::install()?;
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let code = runtime.block_on(misar_dash::run(cli))?;
    // Client tasks may still be mid-request; they hold nothing worth waiting for.
    runtime.shutdown_background();
    std::process::exit(code);
}
