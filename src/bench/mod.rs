//! `misar-dash bench …`: measurements of the domain-log path that need a
//! real network stream, so they cannot be criterion benches (those are in
//! `benches/`). `scripts/bench-ingest.sh` runs `ingest` against a separate
//! simulator process next to curl and jq; BENCHMARKS.md has the numbers.
//!
//! Nothing here is used by the dashboard itself.

use std::io;

use color_eyre::eyre::Result;

use crate::cli::{BenchWhat, UpstreamArgs};
use crate::config::FileConfig;
use crate::upstream::options::{ApiKey, ClientOptions};

/// `println!` that hands back a failed write instead of panicking, so that
/// a reader that goes away (`bench ingest --json | head -1`) ends the run
/// quietly (see [`run`]).
macro_rules! say {
    ($($arg:tt)*) => {
        writeln!(io::stdout(), $($arg)*)?
    };
}

mod ingest;
mod keys;
mod procfs;
mod stages;
mod stats;

pub use stats::{median, percentile};

/// Runs one benchmark; returns the exit code.
pub async fn run(upstream: &UpstreamArgs, file: &FileConfig, what: BenchWhat) -> Result<i32> {
    let (opts, sim) = setup(upstream, file).await?;
    let outcome = match what {
        BenchWhat::Ingest(args) => ingest::ingest(&opts, &args).await,
        BenchWhat::Keys(args) => keys::keys(opts, &args).await,
        BenchWhat::Stages(args) => stages::stages(&opts, &args).await,
    };
    if let Some(sim) = sim {
        sim.shutdown().await;
    }
    match outcome {
        Err(e) if is_broken_pipe(&e) => Ok(0),
        outcome => outcome.map(|()| 0),
    }
}

/// Whether the measurement stopped because whoever read its output had
/// gone: what a pipe into `head` does, and no failure.
fn is_broken_pipe(e: &color_eyre::eyre::Report) -> bool {
    e.downcast_ref::<io::Error>()
        .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
}

/// Client options for the simulator at `--mail-url`, or for one started
/// here with its stream pre-generated. The key is the environment's or the
/// config's, else the simulator's demo key.
async fn setup(
    args: &UpstreamArgs,
    file: &FileConfig,
) -> Result<(ClientOptions, Option<crate::sim::Sim>)> {
    let mut opts = crate::client_options(args, file)?;
    // One failure is a failed measurement, not something to ride out.
    opts.max_retries = Some(0);
    if opts.mail_key.is_none() {
        opts.mail_key = Some(ApiKey::new(crate::sim::DEMO_MAIL_KEY));
    }
    if args.mail_url.is_some() && !args.sim {
        return Ok((opts, None));
    }
    eprintln!("starting a simulator in this process (pre-generating the stream)…");
    let config = crate::sim::SimConfig {
        prebuilt_logs: true,
        ..Default::default()
    };
    let sim = crate::start_simulator(&mut opts, config).await?;
    Ok((opts, Some(sim)))
}
