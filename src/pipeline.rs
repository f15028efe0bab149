//! The bounded pool: at most `jobs` items in flight, whatever the size of the tree.
//!
//! The pool is `jobs` *lanes*. A lane is one thread of tokio's blocking pool that takes the next
//! item from the shared stream (the walker's bounded channel), runs it to its outcome, and only
//! then takes another; outcomes go to the reporter's bounded channel. The work may block (open,
//! read, create the output), so a tree of small files costs no hand-off between threads per
//! file, which on a small VM costs more than the file itself (`BENCHMARKS.md`). Work that streams
//! a large file drives its async readers and writers from the lane (`Handle::block_on`): their
//! I/O goes through tokio to the blocking pool, the CPU work (decoding, encoding, hashing) stays
//! on the lane, off the runtime's workers. Open files, buffers and tasks stay bounded by `jobs`.
//!
//! A lane passes outcomes on in batches (each send may wake a sleeping runtime thread, which
//! costs more than reporting a small file): a batch goes when it is full, when its oldest outcome
//! is `OUTCOME_DELAY` old as the next one arrives, before the lane waits for the walker, and when
//! the work asks for it before a long piece of work ([`LaneHandle::flush`]).
//!
//! When the run is cancelled no lane takes a new item; items in flight see the same token and
//! wind down themselves.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::runtime::Handle;
use tokio::sync::{Mutex, mpsc};
use tokio_stream::{Stream, StreamExt};
use tokio_util::sync::CancellationToken;

/// Most outcomes a lane holds before passing them on.
pub const OUTCOME_BATCH: usize = 64;
/// Longest a lane holds an outcome while it keeps busy (so that `-v` lines keep flowing).
const OUTCOME_DELAY: Duration = Duration::from_millis(100);

/// How the pool runs one kind of item.
pub trait Work: Send + Sync + 'static {
    /// What the walker produces.
    type Item: Send + 'static;
    /// What the reporter receives, one per item.
    type Outcome: Send + 'static;

    /// Runs one item to its outcome. Runs on a lane (a blocking-pool thread), so it may block,
    /// and may drive async work with `Handle::block_on`. `lane` lets the work pass on what the
    /// lane has done so far before a long piece of work (a large file), so that those outcomes
    /// are not held up behind it.
    fn start(&self, item: Self::Item, lane: &dyn LaneHandle) -> Self::Outcome;

    /// A short label for an item, kept while it runs so that a crashed item can still be named.
    fn label(&self, item: &Self::Item) -> String;

    /// The outcome reported for an item whose work panicked (`cause` is the panic message).
    fn crashed(&self, label: String, cause: &str) -> Self::Outcome;

    /// Whether this outcome stops the run: no new item is taken (`--fail-fast`).
    fn halts(&self, _outcome: &Self::Outcome) -> bool {
        false
    }
}

/// What an item's work may ask of the lane that runs it.
pub trait LaneHandle {
    /// Passes on the outcomes the lane holds now.
    fn flush(&self);
}

/// The [`LaneHandle`] of a lane holding `pending`.
struct Flusher<'a, W: Work, S> {
    lane: &'a Lane<W, S>,
    pending: &'a std::cell::RefCell<Pending<W::Outcome>>,
}

impl<W, S> LaneHandle for Flusher<'_, W, S>
where
    W: Work,
    S: Stream<Item = W::Item> + Unpin + Send + 'static,
{
    fn flush(&self) {
        let batch = self.pending.borrow_mut().take();
        self.lane.send(batch);
    }
}

/// Runs every item of `items` through `work`, at most `jobs` at once, sending each outcome to
/// `outcomes` (in batches). Returns when the stream ends (or `cancel` fires) and every started
/// item is done, with what is left of the stream (`None` if a lane could not be joined).
pub async fn run<W, S>(
    work: Arc<W>,
    items: S,
    jobs: usize,
    cancel: &CancellationToken,
    outcomes: &mpsc::Sender<Vec<W::Outcome>>,
) -> Option<S>
where
    W: Work,
    S: Stream<Item = W::Item> + Unpin + Send + 'static,
{
    let lane = Lane {
        work,
        items: Arc::new(Mutex::new(items)),
        cancel: cancel.clone(),
        outcomes: outcomes.clone(),
        runtime: Handle::current(),
    };
    let lanes: Vec<_> = (0..jobs.max(1))
        .map(|_| {
            let lane = lane.clone();
            tokio::task::spawn_blocking(move || lane.run())
        })
        .collect();
    for handle in lanes {
        if let Err(error) = handle.await {
            // A lane catches its items' panics; this one failed outside any item.
            let outcome = lane
                .work
                .crashed(String::from("(pool)"), &error.to_string());
            let _ = outcomes.send(vec![outcome]).await;
        }
    }
    let Lane { items, .. } = lane;
    Arc::into_inner(items).map(Mutex::into_inner)
}

/// The items `items` holds ready now, at most `most`, without waiting for more: what a stopped
/// run has found but never started (the walk is not pushed to find more).
pub fn ready_items<S: Stream + Unpin>(items: &mut S, most: usize) -> Vec<S::Item> {
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    let mut ready = Vec::new();
    while ready.len() < most {
        match std::pin::Pin::new(&mut *items).poll_next(&mut context) {
            std::task::Poll::Ready(Some(item)) => ready.push(item),
            std::task::Poll::Ready(None) | std::task::Poll::Pending => break,
        }
    }
    ready
}

/// One lane of the pool: what its thread needs.
struct Lane<W: Work, S> {
    work: Arc<W>,
    items: Arc<Mutex<S>>,
    cancel: CancellationToken,
    outcomes: mpsc::Sender<Vec<W::Outcome>>,
    runtime: Handle,
}

impl<W: Work, S> Clone for Lane<W, S> {
    fn clone(&self) -> Self {
        Self {
            work: self.work.clone(),
            items: self.items.clone(),
            cancel: self.cancel.clone(),
            outcomes: self.outcomes.clone(),
            runtime: self.runtime.clone(),
        }
    }
}

impl<W, S> Lane<W, S>
where
    W: Work,
    S: Stream<Item = W::Item> + Unpin + Send + 'static,
{
    /// Takes items until the stream ends or the run is cancelled. Blocking.
    fn run(&self) {
        let mut pending = Pending::default();
        while let Some(item) = self.next(&mut pending) {
            let outcome = self.complete(item, &mut pending);
            if self.work.halts(&outcome) {
                self.cancel.cancel();
            }
            if pending.push(outcome) && !self.send(pending.take()) {
                return;
            }
        }
        self.send(pending.take());
    }

    /// Passes a batch of outcomes on; `false` when the reporter is gone. Blocking.
    fn send(&self, batch: Vec<W::Outcome>) -> bool {
        // A closed reporter means the run is being torn down: nothing left to tell.
        batch.is_empty() || self.outcomes.blocking_send(batch).is_ok()
    }

    /// The next item, waiting for the walker if it has none ready (after passing on the pending
    /// outcomes); `None` at the end or once the run is cancelled.
    fn next(&self, pending: &mut Pending<W::Outcome>) -> Option<W::Item> {
        if self.cancel.is_cancelled() {
            return None;
        }
        self.runtime.block_on(self.take(pending))
    }

    /// Only the waits for the walker (or for the lane that is waiting for it) give way to
    /// cancellation; passing on outcomes does not, so none is lost to a Ctrl-C.
    async fn take(&self, pending: &mut Pending<W::Outcome>) -> Option<W::Item> {
        let mut items = match self.items.try_lock() {
            Ok(items) => items,
            Err(_) => {
                self.flush(pending).await;
                tokio::select! {
                    biased;
                    () = self.cancel.cancelled() => return None,
                    items = self.items.lock() => items,
                }
            }
        };
        tokio::select! {
            biased;
            item = items.next() => return item,
            () = std::future::ready(()) => {}
        }
        self.flush(pending).await;
        tokio::select! {
            biased;
            () = self.cancel.cancelled() => None,
            item = items.next() => item,
        }
    }

    async fn flush(&self, pending: &mut Pending<W::Outcome>) {
        let batch = pending.take();
        if !batch.is_empty() {
            let _ = self.outcomes.send(batch).await;
        }
    }

    /// Runs one item to its outcome on this thread; a panic becomes the work's crash outcome.
    fn complete(&self, item: W::Item, pending: &mut Pending<W::Outcome>) -> W::Outcome {
        let label = self.work.label(&item);
        let held = std::cell::RefCell::new(std::mem::take(pending));
        let flusher = Flusher {
            lane: self,
            pending: &held,
        };
        let started = catch_unwind(AssertUnwindSafe(|| self.work.start(item, &flusher)));
        *pending = held.into_inner();
        started.unwrap_or_else(|panic| self.work.crashed(label, panic_message(&*panic)))
    }
}

/// Outcomes a lane has not passed on yet.
struct Pending<O> {
    batch: Vec<O>,
    since: Instant,
}

impl<O> Default for Pending<O> {
    fn default() -> Self {
        Self {
            batch: Vec::new(),
            since: Instant::now(),
        }
    }
}

impl<O> Pending<O> {
    /// Adds an outcome; `true` when the batch should go now (full, or held too long).
    fn push(&mut self, outcome: O) -> bool {
        if self.batch.is_empty() {
            self.since = Instant::now();
        }
        self.batch.push(outcome);
        self.batch.len() >= OUTCOME_BATCH || self.since.elapsed() >= OUTCOME_DELAY
    }

    fn take(&mut self) -> Vec<O> {
        std::mem::take(&mut self.batch)
    }
}

/// The message a panic carried, if it was a string.
fn panic_message(panic: &(dyn Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("panic")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    /// Counts how many items run at once; odd items wait on the runtime's timer (driven from the
    /// lane), even ones sleep; item 13 panics before its wait and item 21 after it.
    struct Probe {
        now: Arc<AtomicUsize>,
        peak: Arc<AtomicUsize>,
    }

    impl Work for Probe {
        type Item = u32;
        type Outcome = u32;

        fn start(&self, item: u32, _: &dyn LaneHandle) -> u32 {
            let running = self.now.fetch_add(1, Ordering::SeqCst) + 1;
            self.peak.fetch_max(running, Ordering::SeqCst);
            let wait = Duration::from_millis(u64::from(item % 3));
            if item % 2 == 0 {
                std::thread::sleep(wait);
                self.now.fetch_sub(1, Ordering::SeqCst);
                return item;
            }
            if item == 13 {
                self.now.fetch_sub(1, Ordering::SeqCst);
                panic!("unlucky item");
            }
            Handle::current().block_on(tokio::time::sleep(wait));
            self.now.fetch_sub(1, Ordering::SeqCst);
            assert_ne!(item, 21, "unlucky after waiting");
            item
        }

        fn label(&self, item: &u32) -> String {
            item.to_string()
        }

        fn crashed(&self, label: String, _: &str) -> u32 {
            label.parse::<u32>().unwrap() + 1000
        }
    }

    fn probe() -> Arc<Probe> {
        Arc::new(Probe {
            now: Arc::default(),
            peak: Arc::default(),
        })
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn never_exceeds_jobs_and_reports_every_item() {
        let probe = probe();
        let (tx, mut rx) = mpsc::channel(4);
        let collector = tokio::spawn(async move {
            let mut seen = Vec::new();
            while let Some(batch) = rx.recv().await {
                seen.extend(batch);
            }
            seen
        });
        let items = tokio_stream::iter(0..50u32);
        run(probe.clone(), items, 3, &CancellationToken::new(), &tx).await;
        drop(tx);
        let mut seen = collector.await.unwrap();
        seen.sort_unstable();
        let crashed = |i| if i == 13 || i == 21 { i + 1000 } else { i };
        let mut expected: Vec<u32> = (0..50).map(crashed).collect();
        expected.sort_unstable();
        assert_eq!(seen, expected);
        assert_eq!(probe.peak.load(Ordering::SeqCst), 3);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn cancelled_pool_takes_no_new_items() {
        let (tx, mut rx) = mpsc::channel(64);
        let cancel = CancellationToken::new();
        cancel.cancel();
        run(probe(), tokio_stream::iter(0..50u32), 2, &cancel, &tx).await;
        drop(tx);
        assert_eq!(rx.recv().await, None);
    }
}
