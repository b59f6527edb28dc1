//! The benchmark commands a user runs (`misar-dash bench …`), on a small
//! stream from the simulator, so they keep working; what they measure is
//! in BENCHMARKS.md, never asserted here.

use crate::support::*;
use misar_dash::sim;

async fn bench(sim: &sim::Sim, args: &[&str]) -> String {
    let mail_url = sim.endpoints().mail_url;
    let mut cmd = misar_dash();
    cmd.env("MISAR_MAIL_KEY", sim::DEMO_MAIL_KEY);
    let args = [
        &["bench"],
        args,
        &["--mail-url", &mail_url, "--limit", "3000"],
    ]
    .concat();
    let out = run(cmd, &args).await;
    out.assert_exit(0);
    assert!(!out.stdout.contains(sim::DEMO_MAIL_KEY), "{}", out.stdout);
    out.stdout
}

#[tokio::test]
async fn bench_ingest_and_stages_run_against_a_server() {
    let sim = start_sim(sim_config()).await;
    let ingest = bench(&sim, &["ingest", "--runs", "2"]).await;
    assert!(ingest.contains("run 2: 3000 records in"), "{ingest}");
    assert!(ingest.contains("re-filter of the held records"), "{ingest}");
    let stages = bench(&sim, &["stages", "--runs", "2"]).await;
    for label in [
        "drain the HTTP body",
        "+ decode SSE events",
        "+ parse batches",
        "+ parse, write NDJSON lines",
        "+ parse, clean for the store",
    ] {
        assert!(stages.contains(label), "{stages}");
    }
    sim.shutdown().await;
}
