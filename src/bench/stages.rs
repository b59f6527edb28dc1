//! `bench stages`: the same stream drained, decoded, parsed, and then
//! either written as `stream logs` writes it or cleaned for the store as
//! the dashboard does, on one thread, stage by stage, to show where the
//! time of `stream logs` and of an ingest goes.

use std::io::{self, Write};
use std::time::{Duration, Instant};

use color_eyre::eyre::{Result, bail, eyre};

use super::procfs::process_cpu_time;
use super::stats::median;
use crate::cli::StagesArgs;
use crate::model::LogQuery;
use crate::upstream::options::ClientOptions;

/// How far into the stream one stage goes; each includes the drain, the
/// decoding and the parse.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    /// The HTTP body read and dropped: the client's side of `curl`.
    Drain,
    /// Also split into SSE events.
    Decode,
    /// Also every batch parsed, as `stream logs` parses it.
    Parse,
    /// Also every batch's NDJSON lines written (into memory), as
    /// `stream logs` writes them.
    Lines,
    /// Every batch parsed and cleaned for the log store, as the dashboard's
    /// parse threads do (here all on one thread).
    Clean,
}

impl Stage {
    const ALL: [Stage; 5] = [
        Stage::Drain,
        Stage::Decode,
        Stage::Parse,
        Stage::Lines,
        Stage::Clean,
    ];

    fn label(self) -> &'static str {
        match self {
            Stage::Drain => "drain the HTTP body",
            Stage::Decode => "+ decode SSE events",
            Stage::Parse => "+ parse batches",
            Stage::Lines => "+ parse, write NDJSON lines",
            Stage::Clean => "+ parse, clean for the store",
        }
    }
}

pub(super) async fn stages(opts: &ClientOptions, args: &StagesArgs) -> Result<()> {
    if args.stream.runs == 0 {
        bail!("--runs must be at least 1");
    }
    say!(
        "stages: {} records of {} from {}, {} runs of each, interleaved",
        args.stream.limit,
        args.stream.domain,
        opts.endpoints.mail_url,
        args.stream.runs
    );
    let net = crate::upstream::network::Network::new(opts)?;
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); Stage::ALL.len()];
    let mut cpus: Vec<Vec<Duration>> = vec![Vec::new(); Stage::ALL.len()];
    for _ in 0..args.stream.runs {
        for (i, stage) in Stage::ALL.into_iter().enumerate() {
            let cpu_before = process_cpu_time();
            let started = Instant::now();
            let records = stage_once(&net, opts, args, stage).await?;
            times[i].push(started.elapsed());
            if let Some((after, before)) = process_cpu_time().zip(cpu_before) {
                cpus[i].push(after.saturating_sub(before));
            }
            let parsed = !matches!(stage, Stage::Drain | Stage::Decode);
            if parsed && records != u64::from(args.stream.limit) {
                bail!("parsed {records} records, not {}", args.stream.limit);
            }
        }
    }
    let drain = median(&times[0]).as_secs_f64();
    for (i, stage) in Stage::ALL.into_iter().enumerate() {
        let secs = median(&times[i]).as_secs_f64();
        say!(
            "  {:<28} {secs:.3} s  (process CPU {:.2} s; {:.1}x the drain)",
            stage.label(),
            median(&cpus[i]).as_secs_f64(),
            secs / drain
        );
    }
    Ok(())
}

/// Streams once, going as far as `stage`; returns the records parsed.
async fn stage_once(
    net: &crate::upstream::network::Network,
    opts: &ClientOptions,
    args: &StagesArgs,
    stage: Stage,
) -> Result<u64> {
    use futures_util::StreamExt;

    use crate::headless::log_lines::write_batch;
    use crate::upstream::domain_logs::{is_completion, parse_log_batch};
    use crate::upstream::network::{endpoint_url, sse_request};
    use crate::upstream::redact::redact;
    use crate::upstream::sse::SseDecoder;

    let key = opts.mail_key.as_ref().ok_or_else(|| eyre!("no mail key"))?;
    let url = endpoint_url(
        &opts.endpoints.mail_url,
        &["api", "domains", &args.stream.domain, "log", "stream"],
    )
    .map_err(|e| eyre!(e))?;
    let query = LogQuery {
        limit: Some(args.stream.limit),
        ..LogQuery::default()
    };
    let request = sse_request(
        &net.http,
        url.clone(),
        key,
        opts.token_in_query,
        &query.params(),
    );
    let fail = |e: reqwest::Error| eyre!(redact(net.http_failure(&e, &url).reason(), Some(key)));
    let response = request.send().await.map_err(fail)?;
    if !response.status().is_success() {
        bail!("the server answered {}", response.status());
    }
    let mut body = response.bytes_stream();
    let mut decoder = SseDecoder::new(opts.max_message_bytes);
    let mut records = 0u64;
    let mut lines = Vec::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(fail)?;
        if stage == Stage::Drain {
            continue;
        }
        decoder.feed_borrowed(&chunk, &mut |event| {
            if stage != Stage::Decode
                && let Ok(event) = event
                // Any event but the completion may carry records, as the
                // client reads them (a server may name none: "message").
                && !is_completion(event.event_type())
            {
                let (batch, _) = parse_log_batch(event.data.into_owned(), stage == Stage::Clean);
                if stage == Stage::Lines {
                    lines.clear();
                    // Into memory, which cannot fail.
                    let _ = write_batch(&mut lines, &args.stream.domain, &batch, |_| true);
                }
                records += batch.len() as u64;
            }
        });
    }
    Ok(records)
}
