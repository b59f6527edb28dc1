//! The threads a domain-log connection parses its batches on.
//!
//! Parsing and cleaning a batch is most of what an ingest costs, so it is
//! done off the reading task, and several batches at once. On tokio's
//! blocking pool each batch went to whichever idle thread, with cold caches
//! and a wake-up each time; two threads of the connection's own, taking the
//! batches in turn, used a sixth less CPU and cut an ingest's time by a
//! tenth (BENCHMARKS.md).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;

use tokio::sync::oneshot;

/// Work that could not be done: its thread panicked or went away.
pub(super) type Failed = String;

/// What [`ParseThreads::run`] hands back: the work's result when it is done.
pub(super) type Running<T> = oneshot::Receiver<Result<T, Failed>>;

type Job = Box<dyn FnOnce() + Send>;

pub(super) struct ParseThreads {
    /// Threads to start at the first work: a live tail's small events are
    /// parsed on the reader and never need them.
    to_start: usize,
    senders: Vec<mpsc::Sender<Job>>,
    next: usize,
}

impl ParseThreads {
    /// Up to `count` threads, started when first given work; they end once
    /// this is dropped and the work given to them is done. A thread that
    /// cannot be started is left out; with none, work is done on the
    /// caller.
    pub(super) fn new(count: usize) -> ParseThreads {
        ParseThreads {
            to_start: count,
            senders: Vec::new(),
            next: 0,
        }
    }

    fn start(&mut self) {
        self.senders = (0..std::mem::take(&mut self.to_start))
            .filter_map(|_| {
                let (sender, jobs) = mpsc::channel::<Job>();
                std::thread::Builder::new()
                    .name("misar-dash-parse".into())
                    .spawn(move || jobs.into_iter().for_each(|job| job()))
                    .ok()
                    .map(|_| sender)
            })
            .collect();
    }

    /// Gives `work` to the next thread in turn.
    pub(super) fn run<T: Send + 'static>(
        &mut self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Running<T> {
        let (done, result) = oneshot::channel();
        let job: Job = Box::new(move || {
            // One batch that panics the parser costs that batch, not the
            // thread and every batch after it.
            let outcome =
                catch_unwind(AssertUnwindSafe(work)).map_err(|_| "the parser panicked".to_string());
            let _ = done.send(outcome);
        });
        if self.to_start > 0 {
            self.start();
        }
        let thread = self.senders.get(self.next % self.senders.len().max(1));
        self.next = self.next.wrapping_add(1);
        match thread {
            Some(sender) => {
                if let Err(mpsc::SendError(job)) = sender.send(job) {
                    job();
                }
            }
            None => job(),
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn work_is_shared_out_and_a_panic_costs_only_its_own_result() {
        let mut threads = ParseThreads::new(2);
        assert!(threads.senders.is_empty(), "no thread before any work");
        let names: Vec<_> = (0..4)
            .map(|_| threads.run(|| std::thread::current().name().map(str::to_string)))
            .collect();
        let panicked = threads.run(|| -> u32 { panic!("a hostile batch") });
        let after = threads.run(|| 7);
        assert_eq!(threads.senders.len(), 2);
        for name in names {
            assert_eq!(
                name.await.ok().and_then(Result::ok).flatten().as_deref(),
                Some("misar-dash-parse")
            );
        }
        assert_eq!(
            panicked.await.ok(),
            Some(Err("the parser panicked".to_string()))
        );
        assert_eq!(after.await.ok(), Some(Ok(7)));
    }

    #[tokio::test]
    async fn without_threads_the_work_is_done_on_the_caller() {
        let mut threads = ParseThreads::new(0);
        let caller = std::thread::current().id();
        let ran_on = threads.run(move || std::thread::current().id() == caller);
        assert_eq!(ran_on.await.ok(), Some(Ok(true)));
    }
}
