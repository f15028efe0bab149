//! The bounded pool: at most `jobs` files in flight, whatever the size of the tree.
//!
//! Items arrive on a stream (the walker's bounded channel). Each becomes one task in a `JoinSet`;
//! a new task is spawned only while fewer than `jobs` run, and finished tasks are reaped as they
//! complete, their outcomes forwarded as values to the reporter's bounded channel. So open files,
//! buffers and tasks are bounded by `jobs`, not by the number of files. When the run is
//! cancelled, no new item is taken; tasks in flight see the same token and wind down themselves.

use std::collections::HashMap;
use std::future::Future;

use tokio::sync::mpsc;
use tokio::task::{JoinError, JoinSet};
use tokio_stream::{Stream, StreamExt};
use tokio_util::sync::CancellationToken;

/// How the pool runs one kind of item.
pub trait Work: Send + Sync + 'static {
    /// What the walker produces.
    type Item: Send + 'static;
    /// What the reporter receives, one per item.
    type Outcome: Send + 'static;

    /// The task for one item.
    fn start(&self, item: Self::Item) -> impl Future<Output = Self::Outcome> + Send + 'static;

    /// A short label for an item, kept while it runs so that a crashed task can still be named.
    fn label(&self, item: &Self::Item) -> String;

    /// The outcome reported for a task that panicked.
    fn crashed(&self, label: String, error: JoinError) -> Self::Outcome;
}

/// Runs every item of `items` through `work`, at most `jobs` at once, sending each outcome to
/// `outcomes`. Returns when the stream ends (or `cancel` fires) and every started task is done.
pub async fn run<W: Work>(
    work: &W,
    mut items: impl Stream<Item = W::Item> + Unpin,
    jobs: usize,
    cancel: &CancellationToken,
    outcomes: &mpsc::Sender<W::Outcome>,
) {
    let jobs = jobs.max(1);
    let mut running = JoinSet::new();
    let mut labels = HashMap::with_capacity(jobs);
    loop {
        if running.len() >= jobs {
            reap(
                work,
                running.join_next_with_id().await,
                &mut labels,
                outcomes,
            )
            .await;
            continue;
        }
        let next = tokio::select! {
            biased;
            () = cancel.cancelled() => break,
            done = running.join_next_with_id(), if !running.is_empty() => {
                reap(work, done, &mut labels, outcomes).await;
                continue;
            }
            next = items.next() => next,
        };
        let Some(item) = next else { break };
        let label = work.label(&item);
        let handle = running.spawn(work.start(item));
        labels.insert(handle.id(), label);
    }
    while let Some(done) = running.join_next_with_id().await {
        reap(work, Some(done), &mut labels, outcomes).await;
    }
}

async fn reap<W: Work>(
    work: &W,
    done: Option<Result<(tokio::task::Id, W::Outcome), JoinError>>,
    labels: &mut HashMap<tokio::task::Id, String>,
    outcomes: &mpsc::Sender<W::Outcome>,
) {
    let outcome = match done {
        None => return,
        Some(Ok((id, outcome))) => {
            labels.remove(&id);
            outcome
        }
        Some(Err(error)) => {
            let label = labels.remove(&error.id()).unwrap_or_default();
            work.crashed(label, error)
        }
    };
    // A closed reporter means the run is being torn down: nothing left to tell.
    let _ = outcomes.send(outcome).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    /// Counts how many items run at once.
    struct Probe {
        now: Arc<AtomicUsize>,
        peak: Arc<AtomicUsize>,
    }

    impl Work for Probe {
        type Item = u32;
        type Outcome = u32;

        fn start(&self, item: u32) -> impl Future<Output = u32> + Send + 'static {
            let (now, peak) = (self.now.clone(), self.peak.clone());
            async move {
                let running = now.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(running, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(u64::from(item % 3))).await;
                now.fetch_sub(1, Ordering::SeqCst);
                assert_ne!(item, 13, "unlucky item");
                item
            }
        }

        fn label(&self, item: &u32) -> String {
            item.to_string()
        }

        fn crashed(&self, label: String, _: JoinError) -> u32 {
            label.parse::<u32>().unwrap() + 1000
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn never_exceeds_jobs_and_reports_every_item() {
        let probe = Probe {
            now: Arc::default(),
            peak: Arc::default(),
        };
        let (tx, mut rx) = mpsc::channel(4);
        let collector = tokio::spawn(async move {
            let mut seen = Vec::new();
            while let Some(outcome) = rx.recv().await {
                seen.push(outcome);
            }
            seen
        });
        let items = tokio_stream::iter(0..50u32);
        run(&probe, items, 3, &CancellationToken::new(), &tx).await;
        drop(tx);
        let mut seen = collector.await.unwrap();
        seen.sort_unstable();
        let mut expected: Vec<u32> = (0..50).map(|i| if i == 13 { 1013 } else { i }).collect();
        expected.sort_unstable();
        assert_eq!(seen, expected);
        assert_eq!(probe.peak.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn cancelled_pool_takes_no_new_items() {
        let probe = Probe {
            now: Arc::default(),
            peak: Arc::default(),
        };
        let (tx, mut rx) = mpsc::channel(64);
        let cancel = CancellationToken::new();
        cancel.cancel();
        run(&probe, tokio_stream::iter(0..50u32), 2, &cancel, &tx).await;
        drop(tx);
        assert_eq!(rx.recv().await, None);
    }
}
