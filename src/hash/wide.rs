//! Hashing one wide file (16 MiB and up) on up to `--threads` threads: BLAKE3 is a tree, so the
//! file is cut into whole subtrees of at most [`LEAF`] bytes, each hashed on its own (read with
//! `pread` into a buffer that stays in its core's cache), and their chaining values merged back
//! up the tree.
//!
//! Subtrees are hashed under CPU permits ([`crate::cpu`]): the lane takes subtrees once it holds
//! one, and so do up to `--threads` - 1 helpers on the blocking pool, each waiting for its permit
//! on the runtime (not on a blocking thread) and starting its blocking job only once it holds
//! one. A worker keeps its permit while subtrees of its file are left: a permit handed over
//! every few milliseconds would wake threads (the next holder, a runtime worker) while others
//! hash. So a run's wide files never keep more threads busy than `--threads`, however many
//! lanes hash them, and `--threads 1` hashes on the lane alone.

use std::io;
use std::ops::Range;
use std::os::unix::fs::FileExt as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender};
use std::time::Duration;

use anyhow::anyhow;
use blake3::hazmat::{ChainingValue, HasherExt as _, Mode};
use tokio::runtime::Handle;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::cpu;
use crate::input::throttle;

use super::digest::{Failure, LARGE_CHUNK};

/// Files from this size on are hashed as subtrees ([`hash`]).
pub(super) const WIDE_HASH: u64 = 16 << 20;
/// Largest subtree one thread hashes in one go.
pub(super) const LEAF: u64 = 4 << 20;

/// One subtree's index and chaining value, from whichever worker hashed it.
type Hashed = (usize, Result<ChainingValue, Failure>);

/// The BLAKE3 hash of the first `len` bytes of `file` (its size at open; a file that shrinks
/// meanwhile fails), hashed by up to `workers` threads (this one included) while they hold CPU
/// permits. Blocking: runs on a lane.
pub(super) fn hash(
    file: std::fs::File,
    len: u64,
    workers: usize,
    cancel: &CancellationToken,
) -> Result<blake3::Hash, Failure> {
    let mut leaves = Vec::new();
    subtrees(0, len, &mut leaves);
    let count = leaves.len();
    let work = Arc::new(Leaves {
        file,
        leaves,
        next: AtomicUsize::new(0),
        cancel: cancel.clone(),
    });
    // Every subtree sends exactly one value, so no send ever waits.
    let (tx, rx) = std::sync::mpsc::sync_channel(count);
    // Dropped on return: helpers still waiting for a permit go away.
    let _helpers = work.spawn_helpers(workers.min(count).saturating_sub(1), &tx);
    // Stops the helpers taking more subtrees however this returns (a failure, cancellation).
    let _stop = Stop(&work);
    if work.any_left() {
        work.hash_all(&cpu::acquire_blocking(), &tx);
    }
    let values = work.collect(&rx)?;
    let mut values = values.into_iter();
    let left = blake3::hazmat::left_subtree_len(len);
    let left_value = merge(left, &mut values);
    let right_value = merge(len - left, &mut values);
    Ok(blake3::hazmat::merge_subtrees_root(
        &left_value,
        &right_value,
        Mode::Hash,
    ))
}

/// The subtrees of a wide hash, hashed by whichever worker takes them first.
struct Leaves {
    file: std::fs::File,
    /// Byte ranges of whole BLAKE3 subtrees, in order.
    leaves: Vec<Range<u64>>,
    /// The next subtree to take (past the end: none left, or the hash stopped).
    next: AtomicUsize,
    cancel: CancellationToken,
}

/// Makes [`Leaves`] give out no more subtrees when dropped.
struct Stop<'a>(&'a Leaves);

impl Drop for Stop<'_> {
    fn drop(&mut self) {
        self.0.next.store(self.0.leaves.len(), Ordering::Relaxed);
    }
}

impl Leaves {
    /// Whether subtrees are left to take.
    fn any_left(&self) -> bool {
        self.next.load(Ordering::Relaxed) < self.leaves.len()
    }

    /// Hashes subtrees, while `_permit` is held, until none is left, sending each one's value.
    /// Blocking.
    fn hash_all(&self, _permit: &cpu::Permit, tx: &SyncSender<Hashed>) {
        loop {
            let index = self.next.fetch_add(1, Ordering::Relaxed);
            let Some(range) = self.leaves.get(index) else {
                return;
            };
            let value = self.hash_leaf(range.clone());
            if value.is_err() {
                // The others need not go on: the file has no hash.
                self.next.store(self.leaves.len(), Ordering::Relaxed);
            }
            if tx.try_send((index, value)).is_err() {
                return; // the lane has given up on the file
            }
        }
    }

    /// Starts `count` helpers on the runtime, each waiting for a permit, then hashing subtrees
    /// on the blocking pool.
    fn spawn_helpers(self: &Arc<Self>, count: usize, tx: &SyncSender<Hashed>) -> JoinSet<()> {
        let mut helpers = JoinSet::new();
        for _ in 0..count {
            let (work, tx) = (self.clone(), tx.clone());
            helpers.spawn_on(work.help(tx), &Handle::current());
        }
        helpers
    }

    /// A helper: the permit is awaited here, so that a waiting helper holds no thread.
    async fn help(self: Arc<Self>, tx: SyncSender<Hashed>) {
        let permit = cpu::acquire().await;
        if !self.any_left() {
            return; // the others took them all meanwhile
        }
        let (work, sent) = (self.clone(), tx.clone());
        let job = tokio::task::spawn_blocking(move || work.hash_all(&permit, &sent));
        if let Err(error) = job.await {
            // Its subtree has no value: the lane's wait ends on this error.
            self.next.store(self.leaves.len(), Ordering::Relaxed);
            let error = anyhow!("internal error: a hashing helper failed: {error}");
            let _ = tx.try_send((usize::MAX, Err(error.into())));
        }
    }

    /// Every subtree's value, in order, as the workers send them; the first failure ends the
    /// wait. Blocking.
    fn collect(&self, rx: &Receiver<Hashed>) -> Result<Vec<ChainingValue>, Failure> {
        let mut values = vec![None; self.leaves.len()];
        let mut missing = values.len();
        while missing > 0 {
            // Helpers may be waiting for permits behind other lanes: wait in slices, so that
            // cancellation (and --timeout) is seen.
            let (index, value) = match rx.recv_timeout(Duration::from_millis(50)) {
                Ok(hashed) => hashed,
                Err(RecvTimeoutError::Timeout) if self.cancel.is_cancelled() => {
                    return Err(Failure::Cancelled);
                }
                Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(anyhow!("internal error: a subtree was not hashed").into());
                }
            };
            let value = value?;
            values[index] = Some(value);
            missing -= 1;
        }
        Ok(values.into_iter().flatten().collect())
    }

    /// The chaining value of the subtree `range`. Blocking.
    fn hash_leaf(&self, range: Range<u64>) -> Result<ChainingValue, Failure> {
        let mut buffer = vec![0; LARGE_CHUNK];
        let mut hasher = blake3::Hasher::new();
        hasher.set_input_offset(range.start);
        let mut at = range.start;
        while at < range.end {
            if self.cancel.is_cancelled() {
                return Err(Failure::Cancelled);
            }
            let want = (range.end - at).min(LARGE_CHUNK as u64) as usize;
            let read = match self.file.read_at(&mut buffer[..want], at) {
                Ok(0) => {
                    let shrank = anyhow::Error::new(crate::input::shrank());
                    return Err(shrank.context("read error").into());
                }
                Ok(read) => read,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => return Err(anyhow::Error::new(error).context("read error").into()),
            };
            // Counts the bytes read (the progress bar); a run with --max-rate hashes no file
            // this way, so this never sleeps while holding a permit.
            throttle(read);
            hasher.update(&buffer[..read]);
            at += read as u64;
        }
        Ok(hasher.finalize_non_root())
    }
}

/// Cuts `start..start + len` into whole BLAKE3 subtrees of at most [`LEAF`] bytes, in order.
fn subtrees(start: u64, len: u64, out: &mut Vec<Range<u64>>) {
    if len <= LEAF {
        out.push(start..start + len);
        return;
    }
    let left = blake3::hazmat::left_subtree_len(len);
    subtrees(start, left, out);
    subtrees(start + left, len - left, out);
}

/// The chaining value of a subtree of `len` bytes, from its leaves' values (taken in order).
fn merge(len: u64, values: &mut impl Iterator<Item = ChainingValue>) -> ChainingValue {
    if len <= LEAF {
        return values.next().expect("one value per subtree");
    }
    let left = blake3::hazmat::left_subtree_len(len);
    let left_value = merge(left, values);
    let right_value = merge(len - left, values);
    blake3::hazmat::merge_subtrees_non_root(&left_value, &right_value, Mode::Hash)
}
