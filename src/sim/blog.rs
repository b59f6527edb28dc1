//! The blog API: `GET /blog/newsletter/issues/{id}/send-stream`.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use bytes::Bytes;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::scenario::Issue;
use super::server::{Api, ConnGuard, Shared, authenticate, query_pairs};
use super::wire::{SseWriter, channel_body, sse_response};

/// The vendor's server polls every 3 seconds.
const POLL_EVERY: f64 = 3.0;
/// Fast simulations still leave clients room to breathe.
const MIN_POLL: Duration = Duration::from_millis(20);

pub(crate) async fn send_stream(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let query = query_pairs(&uri);
    let account = match authenticate(&headers, &query, Api::Blog) {
        Ok(a) => a,
        Err(refused) => return refused.response(),
    };
    // Another account's issue looks exactly like a missing one.
    let issue = shared
        .issues
        .iter()
        .find(|i| i.id == id && i.account == account)
        .cloned();
    let fails = issue.as_ref().is_some_and(|i| {
        i.is_flaky() && shared.flaky_issue_conns.fetch_add(1, Ordering::Relaxed) % 2 == 0
    });
    let (tx, rx) = mpsc::channel(8);
    let guard = ConnGuard::new(&shared);
    tokio::spawn(produce(shared.clone(), issue, fails, tx));
    sse_response(channel_body(rx, shared.cfg.wire, guard))
}

/// Writes the stream; returns when it is over or the client is gone.
async fn produce(shared: Arc<Shared>, issue: Option<Issue>, fails: bool, tx: mpsc::Sender<Bytes>) {
    let mut w = SseWriter::new(shared.cfg.wire);
    let mut out = Vec::new();
    let send = |out: &mut Vec<u8>| {
        let chunk = Bytes::from(std::mem::take(out));
        let tx = tx.clone();
        async move { tx.send(chunk).await.is_ok() }
    };

    let Some(issue) = issue else {
        w.event(&mut out, None, r#"{"error":"issue_not_found"}"#);
        w.event(&mut out, None, "[DONE]");
        send(&mut out).await;
        return;
    };

    let clock = shared.clock;
    let cap = Instant::now() + shared.cfg.send_stream_cap;
    let every = clock.real(POLL_EVERY, MIN_POLL);
    let name = w.comments().then_some("progress");
    let mut next = Instant::now();
    loop {
        let progress = issue.progress(clock.now());
        w.json_event(&mut out, name, &progress);
        if progress.status.is_terminal() {
            w.event(&mut out, None, "[DONE]");
            send(&mut out).await;
            return;
        }
        if !send(&mut out).await {
            return;
        }
        next = (next + every).max(Instant::now());
        let capped = tokio::select! {
            _ = tokio::time::sleep_until(next) => false,
            _ = tokio::time::sleep_until(cap) => true,
        };
        if capped {
            // The vendor's 10-minute cap: [DONE] without a terminal state.
            w.event(&mut out, None, "[DONE]");
            send(&mut out).await;
            return;
        }
        if fails {
            w.event(&mut out, None, r#"{"error":"poll_failed"}"#);
            w.event(&mut out, None, "[DONE]");
            send(&mut out).await;
            return;
        }
    }
}
