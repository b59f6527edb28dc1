// Why jemalloc: see Cargo.toml.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

use clap::Parser;
use color_eyre::eyre::Result;

use misar_dash::cli::Cli;

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
