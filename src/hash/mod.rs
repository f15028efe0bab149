//! `asyncfiles hash` and `asyncfiles stats`: a BLAKE3 hash, or lines and bytes, of every file of
//! the given paths, and the b3sum manifest format (writing lines, parsing them, `--check`,
//! `--merge`).
//!
//! Files go through the same walker and pool as `convert`. A lane (a thread of tokio's blocking
//! pool, see [`crate::pipeline`]) reads a small file in one read and hashes it right there; a
//! large one is read one 1 MiB chunk ahead ([`Prefetch`]) while the lane hashes the chunk before,
//! so hashing never runs on the runtime's workers; a wide one (16 MiB and up) is hashed as BLAKE3
//! subtrees on up to `--threads` threads (`wide`). All this CPU work holds permits of the run's
//! budget (`budget`). Results are printed sorted by path (held until the end), or as they come
//! with `--unsorted`. `--merge` (`merge`) reads manifests only: no walk, no pool.

pub(crate) mod budget;
mod check;
mod digest;
mod listing;
mod manifest;
mod merge;
mod wide;
mod writer;

pub use manifest::{ManifestEntry, manifest_line, parse_manifest_line};
pub use merge::merge;

use check::check;
use digest::Digester;
use listing::list;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use anyhow::{Context as _, Result};
use tokio::sync::mpsc;
use tokio_stream::{Stream, StreamExt};
use tokio_util::sync::CancellationToken;

use crate::config::DigestConfig;
use crate::interrupt::Interrupt;
use crate::pipeline::{self};
use crate::report::ExitCode;
use crate::walk::{self, Entry, SkipReason};

/// Batches of results buffered between the pool and the printer.
pub(super) const RESULT_QUEUE: usize = 16;
/// What was computed for one file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Digest {
    /// The BLAKE3 hash (`hash` only).
    pub hash: Option<blake3::Hash>,
    /// Bytes (decoded when decoding).
    pub bytes: u64,
    /// Lines (`stats` only; an unterminated last line counts).
    pub lines: u64,
    /// Time taken (`--json`'s `ms`).
    pub elapsed: std::time::Duration,
}

/// How one file ended.
#[derive(Debug)]
pub enum DigestOutcome {
    /// Computed.
    Done(Digest),
    /// Not a file this run reads, on purpose.
    Skipped(SkipReason),
    /// Failed; the cause chain says why.
    Failed(anyhow::Error),
    /// Abandoned because the run was interrupted.
    Cancelled,
}

/// One file's result, from a lane to the printer.
#[derive(Debug)]
pub struct DigestReport {
    /// The path as the user named it (as the walker found it).
    pub path: PathBuf,
    /// For `--check`: the manifest entry this file answers.
    pub entry: Option<usize>,
    /// How it ended.
    pub outcome: DigestOutcome,
}

/// What the pool receives: a walked entry, or a file named by a manifest line.
pub enum DigestItem {
    /// From the walker (or a PATH given as it is).
    Walked(Entry),
    /// Manifest entry `index` names this path.
    Listed { index: usize, path: PathBuf },
}

/// Runs `hash` or `stats` and returns the exit code.
pub async fn run(mut config: DigestConfig, interrupt: &Interrupt, quiet: bool) -> ExitCode {
    // The walk's roots go to the walker (a `--files-from` list can be read once).
    let roots = std::mem::take(&mut config.roots);
    let config = Arc::new(config);
    let code = match &config.check {
        Some(manifest) => check(&config, roots, manifest.clone(), interrupt, quiet).await,
        None => list(&config, roots, interrupt, quiet).await,
    };
    interrupt.exit_code().unwrap_or(code)
}

/// Runs `items` through the pool; returns the receiving end of the results.
pub(super) fn start_pool(
    config: &Arc<DigestConfig>,
    items: impl Stream<Item = DigestItem> + Unpin + Send + 'static,
    stop: &CancellationToken,
) -> mpsc::Receiver<Vec<DigestReport>> {
    let (tx, rx) = mpsc::channel(RESULT_QUEUE);
    let digester = Arc::new(Digester::new(config, stop));
    let (jobs, cancel) = (config.jobs, stop.clone());
    tokio::spawn(async move {
        pipeline::run(digester, items, jobs, &cancel, &tx).await;
    });
    rx
}

/// The walked entries of `roots`, as pool items; `found` counts them (the progress bar's total).
pub(super) fn walked(
    roots: Vec<walk::Root>,
    found: Arc<AtomicU64>,
) -> Result<impl Stream<Item = DigestItem> + Unpin + Send> {
    let (tx, rx) = mpsc::channel(walk::ENTRY_QUEUE);
    walk::spawn_roots(roots, tx).context("cannot start the walker")?;
    Ok(walk::EntryStream::counted(rx, found).map(DigestItem::Walked))
}
