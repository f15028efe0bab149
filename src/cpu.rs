//! `-T/--threads`: the run's CPU budget. Every piece of CPU work (decoding, line transforms,
//! encoding, hashing) holds one of `--threads` permits while it runs, whichever lane or block
//! job does it, so that a run never keeps more threads busy than `--threads` (plus the brief
//! system calls of reads and writes), whatever `--jobs` is. `--jobs` says how many files are in
//! flight; `--threads` how many cores work on them, a big file's blocks and the small files of
//! other lanes alike.
//!
//! The budget is process-wide (one run per process), set once by the command before its pool
//! starts; until then it is one permit per CPU.

use std::sync::{Arc, OnceLock};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The permits of this process.
static BUDGET: OnceLock<Budget> = OnceLock::new();

/// The run's CPU budget: `threads` permits.
#[derive(Debug)]
struct Budget {
    permits: Arc<Semaphore>,
    threads: usize,
}

/// One CPU's worth of work may run while this is held.
pub type Permit = OwnedSemaphorePermit;

/// The number of CPUs of this machine (the default of `--threads` and `--jobs`).
pub fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

/// Sets the budget of this run to `threads` (at least 1); a later call changes nothing.
pub fn init(threads: usize) {
    let _ = BUDGET.set(Budget::new(threads));
    if threads > 1 {
        return_large_buffers();
    }
}

/// Blocks (MiB each) are allocated on one thread and freed on another. glibc's malloc would
/// keep the freed ones in per-thread arenas (its mmap threshold rises with every large free),
/// so peak RSS would grow with the number of threads that ever held a block, not with the
/// blocks alive. Buffers of 4 MiB and up (blocks and their outputs; not the encoders of small
/// files) are mapped and unmapped instead, so what is freed goes back to the system at once.
/// Fixing that threshold also fixes the trim threshold at its 128 KiB default, which would
/// hand the heap back and forth to the system for every small file: it is raised to 32 MiB.
fn return_large_buffers() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator settings; it is called before the run's threads
    // allocate (and glibc serialises it with allocations anyway).
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 4 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 32 << 20);
    }
}

fn budget() -> &'static Budget {
    BUDGET.get_or_init(|| Budget::new(cpus()))
}

impl Budget {
    fn new(threads: usize) -> Self {
        let threads = threads.max(1);
        Self {
            permits: Arc::new(Semaphore::new(threads)),
            threads,
        }
    }
}

/// `--threads`: how many CPU permits the run has.
pub fn threads() -> usize {
    budget().threads
}

/// Waits for a CPU permit.
pub async fn acquire() -> Permit {
    // The semaphore is never closed.
    budget()
        .permits
        .clone()
        .acquire_owned()
        .await
        .expect("the CPU budget is never closed")
}

/// Up to `most` more permits if they are free now, without waiting (for work that sizes its own
/// thread count when it starts, as liblzma's threaded decoder does).
pub fn try_acquire_up_to(most: usize) -> Vec<Permit> {
    let permits = &budget().permits;
    (0..most)
        .map_while(|_| permits.clone().try_acquire_owned().ok())
        .collect()
}

/// Waits for a permit from a blocking thread (a pool lane), never from a runtime worker.
pub fn acquire_blocking() -> Permit {
    tokio::runtime::Handle::current().block_on(acquire())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn permits_are_given_back_when_dropped() {
        let budget = Budget::new(2);
        let first = budget.permits.clone().try_acquire_owned().unwrap();
        let _second = budget.permits.clone().try_acquire_owned().unwrap();
        assert!(budget.permits.clone().try_acquire_owned().is_err());
        drop(first);
        assert!(budget.permits.clone().try_acquire_owned().is_ok());
        assert_eq!(Budget::new(0).threads, 1);
    }
}
