//! `asyncfiles hash` and `asyncfiles stats`: a BLAKE3 hash, or lines and bytes, of every file of
//! the given paths, and the b3sum manifest format (writing lines, parsing them, `--check`).
//!
//! Files go through the same walker and pool as `convert`. A lane (a thread of tokio's blocking
//! pool, see [`crate::pipeline`]) reads a small file in one read and hashes it right there; a
//! large one is read one 1 MiB chunk ahead ([`Prefetch`]) while the lane hashes the chunk before,
//! so hashing never runs on the runtime's workers. Results are printed sorted by path (held until
//! the end), or as they come with `--unsorted`.

use std::collections::HashSet;
use std::io::{self, Cursor, Write as _};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context as _, Result, anyhow, bail};
use blake3::hazmat::{ChainingValue, HasherExt as _, Mode};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::runtime::Handle;
use tokio::sync::mpsc;
use tokio_stream::{Stream, StreamExt};
use tokio_util::sync::CancellationToken;

use crate::codec::{self, CodecConfig, Format, Reader};
use crate::config::{DigestConfig, DigestKind};
use crate::input::{
    CountingReader, MAX_BUFFER, Opened, Prefetch, buffer_size, open_source, throttle,
};
use crate::interrupt::Interrupt;
use crate::pipeline::{self, LaneHandle, Work};
use crate::report::{ExitCode, Progress, escape_path};
use crate::walk::{self, Entry, SkipReason};

/// Batches of entries buffered between the walker and the pool.
const ENTRY_QUEUE: usize = 4;
/// Batches of results buffered between the pool and the printer.
const RESULT_QUEUE: usize = 16;
/// Files from this size on are hashed on two threads ([`Digester::digest_wide`]).
const WIDE_HASH: u64 = 16 << 20;
/// Largest subtree one thread hashes in one go.
const LEAF: u64 = 4 << 20;
/// Chunk size for large files (fits in a core's cache).
const LARGE_CHUNK: usize = 64 << 10;
/// Chunks read ahead of the hashing.
const CHUNKS_AHEAD: usize = 4;

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

/// Sums up what a file's bytes are as they stream by.
struct Summer {
    hasher: Option<blake3::Hasher>,
    lines: bool,
    digest: Digest,
    last: Option<u8>,
}

impl Summer {
    fn new(kind: DigestKind) -> Self {
        Self {
            hasher: (kind == DigestKind::Hash).then(blake3::Hasher::new),
            lines: kind != DigestKind::Hash,
            digest: Digest::default(),
            last: None,
        }
    }

    fn update(&mut self, bytes: &[u8]) {
        if let Some(hasher) = &mut self.hasher {
            hasher.update(bytes);
        }
        if self.lines {
            self.digest.lines += memchr::memchr_iter(b'\n', bytes).count() as u64;
        }
        self.digest.bytes += bytes.len() as u64;
        self.last = bytes.last().copied().or(self.last);
    }

    fn finish(mut self) -> Digest {
        self.digest.hash = self.hasher.map(|hasher| hasher.finalize());
        if self.lines && self.last.is_some_and(|last| last != b'\n') {
            self.digest.lines += 1;
        }
        self.digest
    }
}

/// Why a file has no digest.
enum Failure {
    Cancelled,
    Failed(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(error: anyhow::Error) -> Self {
        Failure::Failed(error)
    }
}

/// The per-file job of `hash` and `stats`.
#[derive(Clone)]
struct Digester {
    kind: DigestKind,
    fail_fast: bool,
    timeout: Option<std::time::Duration>,
    retries: u32,
    retry_delay: std::time::Duration,
    decompressed: bool,
    codec: CodecConfig,
    cancel: CancellationToken,
}

impl Digester {
    /// [`Digester::digest`] under `--timeout`: a timer cancels this file's own token (a child of
    /// the run's), and a file cut short that way fails as timed out. Runs on a lane.
    fn digest_within_timeout(&self, path: &Path, lane: &dyn LaneHandle) -> Result<Digest, Failure> {
        let Some(limit) = self.timeout else {
            return self.digest(path, lane);
        };
        let mut job = self.clone();
        job.cancel = self.cancel.child_token();
        let token = job.cancel.clone();
        let timer = Handle::current().spawn(async move {
            tokio::time::sleep(limit).await;
            token.cancel();
        });
        let digested = job.digest(path, lane);
        timer.abort();
        match digested {
            Err(Failure::Cancelled) if !self.cancel.is_cancelled() => Err(Failure::Failed(
                anyhow!("timed out after {}", crate::cli::format_duration(limit)),
            )),
            digested => digested,
        }
    }

    /// Reads `path` (`-`: standard input) and sums it up. Runs on a lane.
    fn digest(&self, path: &Path, lane: &dyn LaneHandle) -> Result<Digest, Failure> {
        if self.cancel.is_cancelled() {
            return Err(Failure::Cancelled);
        }
        if path.as_os_str() == "-" {
            let stdin = BufReader::with_capacity(MAX_BUFFER, tokio::io::stdin());
            return Handle::current().block_on(self.digest_stdin(Box::new(stdin)));
        }
        let (file, meta) = open_source(path)?;
        let opened = Opened::read_first_chunk(file, meta.len)?;
        let format = self
            .decompressed
            .then(|| self.codec.detect(opened.prefix(), path.file_name()))
            .flatten();
        if matches!(opened, Opened::Partial(..)) {
            // A large file may take a while: what the lane has done is reported first.
            lane.flush();
        }
        let raw: Reader = match opened {
            Opened::Whole(chunk) if format.is_none() => {
                // All of a small file is here: no reader needed.
                let mut sum = Summer::new(self.kind);
                sum.update(&chunk);
                return Ok(sum.finish());
            }
            Opened::Whole(chunk) => Box::new(Cursor::new(chunk)),
            Opened::Partial(_, file) if format.is_none() && self.wide(meta.len) => {
                return self.digest_wide(file, meta.len);
            }
            Opened::Partial(chunk, file) if format.is_none() => {
                return self.digest_large(chunk, file, meta.len);
            }
            Opened::Partial(chunk, file) => {
                let limit = (meta.len > 0).then(|| meta.len - chunk.len() as u64);
                let rest = Prefetch::new(file, buffer_size(Some(meta.len)), limit);
                Box::new(tokio::io::AsyncReadExt::chain(Cursor::new(chunk), rest))
            }
            Opened::Stdin => unreachable!("standard input is read above"),
        };
        let size = (meta.len > 0).then_some(meta.len);
        Handle::current().block_on(self.digest_reader(raw, format, size))
    }

    /// A large file, not decoded: a blocking-pool task reads it in chunks small enough to stay
    /// in cache, a couple ahead, while this lane hashes them. (Handing each chunk to the
    /// blocking pool in turn costs a thread hop per chunk, and 1 MiB chunks are slower to copy
    /// while another core reads them.) Blocking.
    fn digest_large(
        &self,
        first: Vec<u8>,
        file: std::fs::File,
        len: u64,
    ) -> Result<Digest, Failure> {
        let (full_tx, full_rx) = std::sync::mpsc::sync_channel(CHUNKS_AHEAD);
        let (empty_tx, empty_rx) = std::sync::mpsc::sync_channel(CHUNKS_AHEAD + 1);
        // Read up to the size seen at open (0: unknown, read to the end).
        let left = (len > 0).then(|| len - first.len() as u64);
        let _reader =
            tokio::task::spawn_blocking(move || read_chunks(file, left, &full_tx, &empty_rx));
        let mut sum = Summer::new(self.kind);
        sum.update(&first);
        loop {
            // A read that hangs must not hold up cancellation (or --timeout): wait in slices.
            let chunk = match full_rx.recv_timeout(std::time::Duration::from_millis(50)) {
                Ok(chunk) => chunk,
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                    if self.cancel.is_cancelled() {
                        return Err(Failure::Cancelled); // dropping the receiver stops the reader
                    }
                    continue;
                }
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
            };
            if self.cancel.is_cancelled() {
                return Err(Failure::Cancelled);
            }
            let chunk: Vec<u8> =
                chunk.map_err(|error| anyhow::Error::new(error).context("read error"))?;
            sum.update(&chunk);
            let _ = empty_tx.try_send(chunk); // the reader reuses it
        }
        Ok(sum.finish())
    }

    /// Whether a file of `len` bytes is hashed by [`Digester::digest_wide`].
    fn wide(&self, len: u64) -> bool {
        self.kind == DigestKind::Hash && len >= WIDE_HASH
    }

    /// A large file hashed on two threads (this lane and a helper on the blocking pool): BLAKE3
    /// is a tree, so the file is cut into whole subtrees of at most [`LEAF`] bytes, each hashed
    /// on its own (read with `pread` into a buffer that stays in its core's cache), and their
    /// chaining values merged back up the tree. The file is read up to its size at open; one
    /// that shrinks meanwhile fails. Blocking.
    fn digest_wide(&self, file: std::fs::File, len: u64) -> Result<Digest, Failure> {
        let mut leaves = Vec::new();
        subtrees(0, len, &mut leaves);
        let work = Arc::new(Leaves {
            file,
            leaves,
            next: std::sync::atomic::AtomicUsize::new(0),
            cancel: self.cancel.clone(),
        });
        let helper = {
            let work = work.clone();
            tokio::task::spawn_blocking(move || work.hash_some())
        };
        let mine = work.hash_some();
        let theirs = Handle::current()
            .block_on(helper)
            .map_err(|error| anyhow!("internal error: the hashing helper failed: {error}"))?;
        let mut values = vec![None; work.leaves.len()];
        for (index, value) in mine?.into_iter().chain(theirs?) {
            values[index] = Some(value);
        }
        let values: Option<Vec<ChainingValue>> = values.into_iter().collect();
        let values = values.ok_or_else(|| anyhow!("internal error: a subtree was not hashed"))?;
        let mut values = values.into_iter();
        let left = blake3::hazmat::left_subtree_len(len);
        let left_value = merge(left, &mut values);
        let right_value = merge(len - left, &mut values);
        let hash = blake3::hazmat::merge_subtrees_root(&left_value, &right_value, Mode::Hash);
        Ok(Digest {
            hash: Some(hash),
            bytes: len,
            ..Digest::default()
        })
    }

    /// Standard input: decoded when its first bytes say so.
    async fn digest_stdin(&self, raw: Reader) -> Result<Digest, Failure> {
        if !self.decompressed {
            return self.digest_reader(raw, None, None).await;
        }
        let peeked = crate::input::peek_magic(raw, &self.cancel)
            .await
            .context("read error")?;
        let Some((raw, prefix)) = peeked else {
            return Err(Failure::Cancelled);
        };
        let format = self.codec.detect(&prefix, None);
        self.digest_reader(raw, format, None).await
    }

    /// Streams `raw` (decoded as `format`, if any) through a [`Summer`]; with a known `size`, a
    /// decoder that stops before the end of the file is an error (trailing data).
    async fn digest_reader(
        &self,
        raw: Reader,
        format: Option<Format>,
        size: Option<u64>,
    ) -> Result<Digest, Failure> {
        let consumed = Arc::new(AtomicU64::new(0));
        let raw: Reader = Box::new(CountingReader {
            inner: raw,
            count: consumed.clone(),
        });
        let mut reader = match format {
            Some(format) => codec::decoder(format, raw, size),
            None => raw,
        };
        let mut sum = Summer::new(self.kind);
        let mut decoded = 0;
        loop {
            let chunk = tokio::select! {
                biased;
                () = self.cancel.cancelled() => return Err(Failure::Cancelled),
                chunk = reader.fill_buf() => chunk
                    .map_err(|error| codec::describe_read_error(format, error, decoded))?,
            };
            if chunk.is_empty() {
                break;
            }
            let read = chunk.len();
            sum.update(chunk);
            decoded += read as u64;
            reader.consume(read);
        }
        drop(reader);
        if let (Some(format), Some(size)) = (format, size) {
            let consumed = consumed.load(Ordering::Relaxed);
            if consumed < size {
                return Err(Failure::Failed(anyhow!(
                    "trailing data after the {} stream ({} bytes)",
                    format.name(),
                    size - consumed
                )));
            }
        }
        Ok(sum.finish())
    }
}

impl Work for Digester {
    type Item = DigestItem;
    type Outcome = DigestReport;

    fn start(&self, item: DigestItem, lane: &dyn LaneHandle) -> DigestReport {
        let (path, entry) = match item {
            DigestItem::Walked(Entry::File { path, .. }) => (path, None),
            DigestItem::Listed { index, path } => (path, Some(index)),
            DigestItem::Walked(Entry::Skipped { path, reason }) => {
                let outcome = DigestOutcome::Skipped(reason);
                return DigestReport {
                    path,
                    entry: None,
                    outcome,
                };
            }
            DigestItem::Walked(Entry::Failed { path, error }) => {
                let outcome = DigestOutcome::Failed(error);
                return DigestReport {
                    path,
                    entry: None,
                    outcome,
                };
            }
        };
        let started = std::time::Instant::now();
        let mut retried = 0;
        let outcome = loop {
            match self.digest_within_timeout(&path, lane) {
                Ok(digest) => {
                    break DigestOutcome::Done(Digest {
                        elapsed: started.elapsed(),
                        ..digest
                    });
                }
                Err(Failure::Cancelled) => break DigestOutcome::Cancelled,
                // Standard input cannot be read again: no retry.
                Err(Failure::Failed(error))
                    if path.as_os_str() != "-"
                        && retried < self.retries
                        && crate::input::is_transient(&error) =>
                {
                    retried += 1;
                    let retry = (retried, self.retries);
                    let (first, cancel) = (self.retry_delay, &self.cancel);
                    if !crate::input::wait_before_retry(&path, retry, first, &error, cancel) {
                        break DigestOutcome::Cancelled;
                    }
                }
                Err(Failure::Failed(error)) => break DigestOutcome::Failed(error),
            }
        };
        DigestReport {
            path,
            entry,
            outcome,
        }
    }

    fn label(&self, item: &DigestItem) -> String {
        match item {
            DigestItem::Walked(
                Entry::File { path, .. } | Entry::Skipped { path, .. } | Entry::Failed { path, .. },
            )
            | DigestItem::Listed { path, .. } => path.display().to_string(),
        }
    }

    fn halts(&self, outcome: &DigestReport) -> bool {
        self.fail_fast && matches!(outcome.outcome, DigestOutcome::Failed(_))
    }

    fn crashed(&self, label: String, cause: &str) -> DigestReport {
        DigestReport {
            path: label.into(),
            entry: None,
            outcome: DigestOutcome::Failed(anyhow!("internal error: the worker crashed: {cause}")),
        }
    }
}

/// Runs `items` through the pool; returns the receiving end of the results.
fn start_pool(
    config: &Arc<DigestConfig>,
    items: impl Stream<Item = DigestItem> + Unpin + Send + 'static,
    stop: &CancellationToken,
) -> mpsc::Receiver<Vec<DigestReport>> {
    let (tx, rx) = mpsc::channel(RESULT_QUEUE);
    let digester = Arc::new(Digester {
        kind: config.kind,
        fail_fast: config.fail_fast,
        timeout: config.timeout,
        retries: config.retries,
        retry_delay: config.retry_delay,
        decompressed: config.decompressed,
        codec: config.codec,
        cancel: stop.clone(),
    });
    let (jobs, cancel) = (config.jobs, stop.clone());
    tokio::spawn(async move {
        pipeline::run(digester, items, jobs, &cancel, &tx).await;
    });
    rx
}

/// The walked entries of `roots`, as pool items.
/// The walked entries of `roots`, as pool items; `found` counts them (the progress bar's total).
fn walked(
    roots: Vec<walk::Root>,
    found: Arc<AtomicU64>,
) -> Result<impl Stream<Item = DigestItem> + Unpin + Send> {
    let (tx, rx) = mpsc::channel(ENTRY_QUEUE);
    walk::spawn_roots(roots, tx).context("cannot start the walker")?;
    Ok(walk::EntryStream::counted(rx, found).map(DigestItem::Walked))
}

/// The subtrees of a wide hash, hashed by whichever thread takes them first.
struct Leaves {
    file: std::fs::File,
    /// Byte ranges of whole BLAKE3 subtrees, in order.
    leaves: Vec<std::ops::Range<u64>>,
    next: std::sync::atomic::AtomicUsize,
    cancel: CancellationToken,
}

impl Leaves {
    /// Hashes subtrees until none is left; returns each one's index and chaining value.
    /// Blocking.
    fn hash_some(&self) -> Result<Vec<(usize, ChainingValue)>, Failure> {
        let mut buffer = vec![0; LARGE_CHUNK];
        let mut done = Vec::new();
        loop {
            let index = self.next.fetch_add(1, Ordering::Relaxed);
            let Some(range) = self.leaves.get(index) else {
                return Ok(done);
            };
            let mut hasher = blake3::Hasher::new();
            hasher.set_input_offset(range.start);
            let mut at = range.start;
            while at < range.end {
                if self.cancel.is_cancelled() {
                    return Err(Failure::Cancelled);
                }
                let want = (range.end - at).min(LARGE_CHUNK as u64) as usize;
                let read = match std::os::unix::fs::FileExt::read_at(
                    &self.file,
                    &mut buffer[..want],
                    at,
                ) {
                    Ok(0) => return Err(anyhow!("the file shrank while it was read").into()),
                    Ok(read) => read,
                    Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                    Err(error) => {
                        return Err(anyhow::Error::new(error).context("read error").into());
                    }
                };
                throttle(read);
                hasher.update(&buffer[..read]);
                at += read as u64;
            }
            done.push((index, hasher.finalize_non_root()));
        }
    }
}

/// Cuts `start..start + len` into whole BLAKE3 subtrees of at most [`LEAF`] bytes, in order.
fn subtrees(start: u64, len: u64, out: &mut Vec<std::ops::Range<u64>>) {
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

/// The reading side of [`Digester::digest_large`]: reads `file` (at most `left` bytes) in
/// chunks, sending each to `full`, reusing the buffers that come back on `empty`. Stops at the
/// end, on an error (which it sends), or when the hashing side hangs up. Blocking.
fn read_chunks(
    mut file: std::fs::File,
    mut left: Option<u64>,
    full: &std::sync::mpsc::SyncSender<io::Result<Vec<u8>>>,
    empty: &std::sync::mpsc::Receiver<Vec<u8>>,
) {
    loop {
        let want = left.map_or(LARGE_CHUNK, |left| left.min(LARGE_CHUNK as u64) as usize);
        if want == 0 {
            return;
        }
        let mut buffer = empty.try_recv().unwrap_or_default();
        buffer.resize(want, 0);
        let read = loop {
            match io::Read::read(&mut file, &mut buffer) {
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                read => break read,
            }
        };
        match read {
            Ok(0) if left.is_some() => {
                let _ = full.send(Err(crate::input::shrank()));
                return;
            }
            Ok(0) => return,
            Ok(read) => {
                throttle(read);
                buffer.truncate(read);
                if let Some(left) = &mut left {
                    *left -= read as u64;
                }
                if full.send(Ok(buffer)).is_err() {
                    return;
                }
            }
            Err(error) => {
                let _ = full.send(Err(error));
                return;
            }
        }
    }
}

/// What the printer tells stderr about a file that has no digest, and how it counts.
#[derive(Default)]
struct Tally {
    ok: u64,
    skipped: u64,
    failed: u64,
    cancelled: u64,
    bytes: u64,
}

impl Tally {
    /// Notes a result without a digest; returns the digest otherwise.
    fn note(
        &mut self,
        report: DigestReport,
        quiet: bool,
        errors: &mut Vec<String>,
    ) -> Option<(PathBuf, Digest)> {
        if matches!(report.outcome, DigestOutcome::Skipped(_)) {
            self.skipped += 1;
        }
        match report.outcome {
            DigestOutcome::Done(digest) => {
                self.ok += 1;
                self.bytes += digest.bytes;
                return Some((report.path, digest));
            }
            DigestOutcome::Skipped(reason) if !quiet => errors.push(format!(
                "asyncfiles: {}: skipped: {reason}",
                escape_path(&report.path)
            )),
            DigestOutcome::Skipped(_) => {}
            DigestOutcome::Failed(error) => {
                self.failed += 1;
                errors.push(format!(
                    "asyncfiles: {}: {error:#}",
                    escape_path(&report.path)
                ));
            }
            DigestOutcome::Cancelled => self.cancelled += 1,
        }
        None
    }
}

/// `hash` and `stats` without `--check`: a line per file, sorted unless `--unsorted`.
async fn list(
    config: &Arc<DigestConfig>,
    roots: Vec<walk::Root>,
    interrupt: &Interrupt,
    quiet: bool,
) -> ExitCode {
    let started = std::time::Instant::now();
    let found = Arc::new(AtomicU64::new(0));
    let items = match walked(roots, found.clone()) {
        Ok(items) => items,
        Err(error) => {
            eprintln!("asyncfiles: {error:#}");
            return ExitCode::Fatal;
        }
    };
    // What stops taking new files: a signal, or (--fail-fast) the first failure.
    let stop = interrupt.token().child_token();
    let mut results = start_pool(config, items, &stop);
    let mut tally = Tally::default();
    let mut held: Vec<(PathBuf, Digest)> = Vec::new();
    let mut held_json: Vec<(PathBuf, String)> = Vec::new();
    let mut out = Output::with_progress(config.progress.then(|| Progress::new(found)));
    while let Some(batch) = results.recv().await {
        let mut errors = Vec::new();
        let mut lines = Vec::new();
        for report in batch {
            let json = config
                .json
                .then(|| (report.path.clone(), json_line(&report)));
            let digested = tally.note(report, quiet, &mut errors);
            match json {
                Some((_, Some(line))) if config.unsorted => {
                    lines.extend(format!("{line}\n").into_bytes());
                }
                Some((path, Some(line))) => held_json.push((path, line)),
                Some((_, None)) => {}
                None => match digested {
                    Some((path, digest)) if config.unsorted => {
                        lines.extend(render(config.kind, &path, &digest));
                    }
                    Some(done) => held.push(done),
                    None => {}
                },
            }
        }
        let processed = tally.ok + tally.skipped + tally.failed + tally.cancelled;
        out.counts = (processed, tally.bytes);
        out.write(lines, errors).await;
    }
    out.clear_progress().await;
    if config.json {
        held_json.sort_by(|(a, _), (b, _)| a.as_os_str().as_bytes().cmp(b.as_os_str().as_bytes()));
        let mut lines: Vec<u8> = held_json
            .into_iter()
            .flat_map(|(_, line)| format!("{line}\n").into_bytes())
            .collect();
        let code = interrupt.exit_code().unwrap_or(exit_code(&tally));
        let summary = serde_json::json!({
            "type": "summary",
            "ok": tally.ok,
            "skipped": tally.skipped,
            "failed": tally.failed,
            "cancelled": tally.cancelled,
            "bytes": tally.bytes,
            "elapsed_ms": started.elapsed().as_millis() as u64,
            "exit_code": code as u8,
        });
        lines.extend(format!("{summary}\n").into_bytes());
        out.write(lines, Vec::new()).await;
    } else if !config.unsorted {
        held.sort_by(|(a, _), (b, _)| a.as_os_str().as_bytes().cmp(b.as_os_str().as_bytes()));
        let mut lines: Vec<u8> = Vec::new();
        if let DigestKind::Stats { json: false } = config.kind {
            lines = stats_table(&held);
        } else {
            for (path, digest) in &held {
                lines.extend(render(config.kind, path, digest));
            }
            if let DigestKind::Stats { json: true } = config.kind {
                lines.extend(stats_total_json(&held));
            }
        }
        out.write(lines, Vec::new()).await;
    }
    exit_code(&tally)
}

fn exit_code(tally: &Tally) -> ExitCode {
    if tally.failed > 0 {
        ExitCode::Failure
    } else {
        ExitCode::Success
    }
}

/// `hash --json`'s object for one file (none for one abandoned by an interruption).
fn json_line(report: &DigestReport) -> Option<String> {
    use serde_json::json;
    let path = report.path.to_string_lossy();
    let object = match &report.outcome {
        DigestOutcome::Done(digest) => json!({
            "path": path,
            "status": "ok",
            "blake3": digest.hash.map(|hash| hash.to_hex().to_string()),
            "bytes": digest.bytes,
            "ms": digest.elapsed.as_millis() as u64,
        }),
        DigestOutcome::Skipped(reason) => {
            json!({"path": path, "status": "skipped", "reason": reason.to_string()})
        }
        DigestOutcome::Failed(error) => {
            json!({"path": path, "status": "failed", "error": format!("{error:#}")})
        }
        DigestOutcome::Cancelled => return None,
    };
    Some(object.to_string())
}

/// One output line for a file: b3sum's, or a JSON object for `stats --json`.
fn render(kind: DigestKind, path: &Path, digest: &Digest) -> Vec<u8> {
    match (kind, digest.hash) {
        (DigestKind::Hash, Some(hash)) => manifest_line(&hash, path).into_bytes(),
        (DigestKind::Stats { .. }, _) => {
            let object = serde_json::json!({
                "path": path.to_string_lossy(),
                "lines": digest.lines,
                "bytes": digest.bytes,
            });
            format!("{object}\n").into_bytes()
        }
        (DigestKind::Hash, None) => Vec::new(),
    }
}

/// `stats` columns: lines and bytes right-aligned, then the path; a total line last.
fn stats_table(rows: &[(PathBuf, Digest)]) -> Vec<u8> {
    let (lines, bytes) = totals(rows);
    let lines_width = lines.to_string().len();
    let bytes_width = bytes.to_string().len();
    let mut out = String::new();
    for (path, digest) in rows {
        out.push_str(&format!(
            "{:>lines_width$} {:>bytes_width$} {}\n",
            digest.lines,
            digest.bytes,
            escape_path(path)
        ));
    }
    out.push_str(&format!(
        "{lines:>lines_width$} {bytes:>bytes_width$} total\n"
    ));
    out.into_bytes()
}

fn stats_total_json(rows: &[(PathBuf, Digest)]) -> Vec<u8> {
    let (lines, bytes) = totals(rows);
    let object = serde_json::json!({
        "total": true,
        "files": rows.len(),
        "lines": lines,
        "bytes": bytes,
    });
    format!("{object}\n").into_bytes()
}

fn totals(rows: &[(PathBuf, Digest)]) -> (u64, u64) {
    rows.iter().fold((0, 0), |(lines, bytes), (_, digest)| {
        (lines + digest.lines, bytes + digest.bytes)
    })
}

/// A line in b3sum's format: `<64 hex>  <path>`. As b3sum does, a path holding a backslash or a
/// newline is escaped (`\\`, `\n`) and the line starts with `\`. (A carriage return is left as it
/// is: b3sum's `--check` refuses a `\r` escape; parsing accepts one.)
pub fn manifest_line(hash: &blake3::Hash, path: &Path) -> String {
    let name = path.to_string_lossy();
    if name.contains(['\\', '\n']) {
        let escaped = name.replace('\\', "\\\\").replace('\n', "\\n");
        format!("\\{}  {escaped}\n", hash.to_hex())
    } else {
        format!("{}  {name}\n", hash.to_hex())
    }
}

/// Writes to stdout and stderr off the runtime; stops writing stdout once its reader is gone.
/// With `--progress`, messages go above the bar, which shows the counts after each write.
#[derive(Default)]
struct Output {
    closed: bool,
    progress: Option<Progress>,
    /// Files done and bytes read so far, for the bar.
    counts: (u64, u64),
}

impl Output {
    fn with_progress(progress: Option<Progress>) -> Self {
        Self {
            progress,
            ..Self::default()
        }
    }

    async fn write(&mut self, stdout: Vec<u8>, stderr: Vec<String>) {
        if (stdout.is_empty() || self.closed) && stderr.is_empty() && self.progress.is_none() {
            return;
        }
        let (closed, progress, counts) = (self.closed, self.progress.clone(), self.counts);
        let written = tokio::task::spawn_blocking(move || {
            if let Some(progress) = &progress {
                progress.above(&stderr);
                progress.show_counts(counts.0, counts.1);
            } else if !stderr.is_empty() {
                let mut err = io::stderr().lock();
                for line in stderr {
                    let _ = writeln!(err, "{line}");
                }
            }
            if closed || stdout.is_empty() {
                return true;
            }
            let mut out = io::stdout().lock();
            out.write_all(&stdout).and_then(|()| out.flush()).is_ok()
        })
        .await;
        self.closed |= !matches!(written, Ok(true));
    }

    /// Removes the progress bar, if any, before the last lines.
    async fn clear_progress(&mut self) {
        if let Some(progress) = self.progress.take() {
            let _ = tokio::task::spawn_blocking(move || progress.clear()).await;
        }
    }
}

/// One line of a manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestEntry {
    /// The path as the line shows it (escaped, with the leading `\` if it had one): how
    /// `--check` names it.
    pub shown: String,
    /// The file it names.
    pub path: PathBuf,
    /// The hash it should have.
    pub expected: blake3::Hash,
}

/// Parses one manifest line (without its newline), by b3sum's rules.
pub fn parse_manifest_line(line: &[u8]) -> Result<ManifestEntry> {
    let line = std::str::from_utf8(line).map_err(|_| anyhow!("not UTF-8"))?;
    let (escaped, rest) = match line.strip_prefix('\\') {
        Some(rest) => (true, rest),
        None => (false, line),
    };
    const HEX: usize = 2 * blake3::OUT_LEN;
    if rest.len() <= HEX + 2 || !rest.is_char_boundary(HEX) || !rest.is_char_boundary(HEX + 2) {
        bail!("expected 64 hex digits, two spaces and a path");
    }
    let (hex, tail) = rest.split_at(HEX);
    if !hex
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        bail!("the hash is not 64 lowercase hex digits");
    }
    let Some(shown_path) = tail.strip_prefix("  ") else {
        bail!("expected two spaces after the hash");
    };
    let expected = blake3::Hash::from_hex(hex).map_err(|error| anyhow!("{error}"))?;
    let path = if escaped {
        unescape(shown_path)?
    } else {
        shown_path.to_owned()
    };
    if path.contains('\0') {
        bail!("NUL byte in the path");
    }
    if path.contains('\u{FFFD}') {
        bail!("Unicode replacement character in the path (a name that is not UTF-8)");
    }
    let shown = if escaped {
        format!("\\{shown_path}")
    } else {
        shown_path.to_owned()
    };
    Ok(ManifestEntry {
        shown,
        path: PathBuf::from(path),
        expected,
    })
}

fn unescape(text: &str) -> Result<String> {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('\\') => out.push('\\'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            _ => bail!("invalid backslash escape"),
        }
    }
    Ok(out)
}

/// Reads and parses a whole manifest (`-`: standard input); every malformed line is reported
/// with its number.
fn read_manifest(name: &Path) -> Result<Vec<ManifestEntry>, Vec<String>> {
    let bytes = if name.as_os_str() == "-" {
        let mut bytes = Vec::new();
        io::Read::read_to_end(&mut io::stdin().lock(), &mut bytes).map(|_| bytes)
    } else {
        std::fs::read(name)
    };
    let shown = escape_path(name);
    let bytes = bytes.map_err(|error| vec![format!("asyncfiles: {shown}: {error}")])?;
    let mut entries = Vec::new();
    let mut errors = Vec::new();
    let body = bytes.strip_suffix(b"\n").unwrap_or(&bytes);
    if body.is_empty() {
        return Ok(entries);
    }
    for (number, line) in body.split(|&byte| byte == b'\n').enumerate() {
        match parse_manifest_line(line) {
            Ok(entry) => entries.push(entry),
            Err(error) => errors.push(format!("asyncfiles: {shown}:{}: {error}", number + 1)),
        }
    }
    if errors.is_empty() {
        Ok(entries)
    } else {
        Err(errors)
    }
}

/// `hash --check`: every manifest entry is hashed and compared; with directories, files under
/// them that the manifest does not list are NEW.
async fn check(
    config: &Arc<DigestConfig>,
    roots: Vec<walk::Root>,
    manifest: PathBuf,
    interrupt: &Interrupt,
    quiet: bool,
) -> ExitCode {
    let read = tokio::task::spawn_blocking(move || read_manifest(&manifest)).await;
    let entries = match read {
        Ok(Ok(entries)) => entries,
        Ok(Err(errors)) => {
            Output::default().write(Vec::new(), errors).await;
            return ExitCode::Fatal;
        }
        Err(error) => {
            eprintln!("asyncfiles: internal error: {error}");
            return ExitCode::Fatal;
        }
    };
    let mut out = Output::default();
    let (new, walk_failed) = if config.check_dirs {
        match new_files(roots, &entries, interrupt.token()).await {
            Ok(found) => {
                let failed = !found.errors.is_empty();
                out.write(Vec::new(), found.errors).await;
                (found.paths, failed)
            }
            Err(error) => {
                eprintln!("asyncfiles: {error:#}");
                return ExitCode::Fatal;
            }
        }
    } else {
        (Vec::new(), false)
    };
    let items = entries
        .iter()
        .enumerate()
        .map(|(index, entry)| DigestItem::Listed {
            index,
            path: entry.path.clone(),
        })
        .collect::<Vec<_>>();
    let stop = interrupt.token().child_token();
    let mut results = start_pool(config, tokio_stream::iter(items), &stop);
    let total = Arc::new(AtomicU64::new(entries.len() as u64));
    out.progress = config.progress.then(|| Progress::new(total));
    let mut checked = 0;
    let mut verdicts: Vec<Option<String>> = vec![None; entries.len()];
    let mut all_ok = new.is_empty() && !walk_failed;
    while let Some(batch) = results.recv().await {
        checked += batch.len() as u64;
        out.counts = (checked, 0);
        out.write(Vec::new(), Vec::new()).await;
        for report in batch {
            let Some(index) = report.entry else {
                // Only a crashed worker reports no entry: the run cannot pass.
                if let DigestOutcome::Failed(error) = &report.outcome {
                    let message = format!("asyncfiles: {}: {error:#}", escape_path(&report.path));
                    out.write(Vec::new(), vec![message]).await;
                }
                all_ok = false;
                continue;
            };
            let entry = &entries[index];
            let (ok, verdict) = match report.outcome {
                DigestOutcome::Done(digest) if digest.hash == Some(entry.expected) => {
                    (true, "OK".to_owned())
                }
                DigestOutcome::Done(_) => (false, "FAILED".to_owned()),
                DigestOutcome::Failed(error) if is_missing(&error) => {
                    (false, "FAILED (missing)".to_owned())
                }
                DigestOutcome::Failed(error) => (false, format!("FAILED ({error:#})")),
                DigestOutcome::Skipped(reason) => (false, format!("FAILED ({reason})")),
                DigestOutcome::Cancelled => continue,
            };
            all_ok &= ok;
            if config.fail_fast && !ok {
                stop.cancel(); // a mismatch is a failure too
            }
            if !(ok && quiet) {
                verdicts[index] = Some(format!("{}: {verdict}\n", entry.shown));
            }
        }
    }
    out.clear_progress().await;
    let mut lines: Vec<u8> = verdicts
        .into_iter()
        .flatten()
        .flat_map(String::into_bytes)
        .collect();
    for path in new {
        lines.extend(format!("{}: NEW\n", shown_path(&path)).into_bytes());
    }
    out.write(lines, Vec::new()).await;
    if interrupt.exit_code().is_some() || all_ok {
        ExitCode::Success
    } else {
        ExitCode::Failure
    }
}

/// A path as a manifest line would show it.
fn shown_path(path: &Path) -> String {
    let line = manifest_line(&blake3::Hash::from_bytes([0; 32]), path);
    let escaped = line.starts_with('\\');
    let name = &line[if escaped { 1 } else { 0 } + 2 * blake3::OUT_LEN + 2..line.len() - 1];
    if escaped {
        format!("\\{name}")
    } else {
        name.to_owned()
    }
}

fn is_missing(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::NotFound)
    })
}

/// Files under the `--check` directories that no manifest entry names, sorted.
async fn new_files(
    roots: Vec<walk::Root>,
    entries: &[ManifestEntry],
    cancel: &CancellationToken,
) -> Result<NewFiles> {
    // `./a.log` and `a.log` name the same file.
    let plain = |path: &Path| -> PathBuf {
        path.components()
            .filter(|part| *part != std::path::Component::CurDir)
            .collect()
    };
    let listed: HashSet<PathBuf> = entries.iter().map(|entry| plain(&entry.path)).collect();
    let mut walked = walked(roots, Arc::default())?;
    let mut found = NewFiles::default();
    loop {
        let item = tokio::select! {
            biased;
            () = cancel.cancelled() => break,
            item = walked.next() => item,
        };
        match item {
            None => break,
            Some(DigestItem::Walked(Entry::File { path, .. })) => {
                if !listed.contains(&plain(&path)) {
                    found.paths.push(path);
                }
            }
            // A part of the tree that cannot be read may hold new files: say so, and fail.
            Some(DigestItem::Walked(Entry::Failed { path, error })) => {
                let message = format!("asyncfiles: {}: {error:#}", escape_path(&path));
                found.errors.push(message);
            }
            Some(_) => {}
        }
    }
    found
        .paths
        .sort_by(|a, b| a.as_os_str().as_bytes().cmp(b.as_os_str().as_bytes()));
    Ok(found)
}

/// What the walk of `--check`'s directories found that the manifest does not list.
#[derive(Default)]
struct NewFiles {
    paths: Vec<PathBuf>,
    /// Entries that could not be examined.
    errors: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    struct NoLane;

    impl LaneHandle for NoLane {
        fn flush(&self) {}
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn wide_hashes_equal_blake3_whatever_the_size() {
        let dir = tempfile::tempdir().unwrap();
        let digester = Digester {
            kind: DigestKind::Hash,
            fail_fast: false,
            timeout: None,
            retries: 0,
            retry_delay: std::time::Duration::ZERO,
            decompressed: false,
            codec: CodecConfig::new(codec::Decoding::Auto, None, true, None).unwrap(),
            cancel: CancellationToken::new(),
        };
        let digester = Arc::new(digester);
        for len in [WIDE_HASH, WIDE_HASH + 1, 20_000_000, (33 << 20) + 1023] {
            let data: Vec<u8> = (0..len)
                .map(|i| (i % 251) as u8 ^ (i >> 16) as u8)
                .collect();
            let path = dir.path().join(format!("f{len}"));
            std::fs::write(&path, &data).unwrap();
            let digester = digester.clone();
            let digest = tokio::task::spawn_blocking(move || digester.digest(&path, &NoLane))
                .await
                .unwrap();
            let Ok(digest) = digest else {
                panic!("{len}: failed")
            };
            assert_eq!(digest.hash, Some(blake3::hash(&data)), "{len} bytes");
            assert_eq!(digest.bytes, len);
        }
    }

    #[test]
    fn manifest_lines_escape_like_b3sum() {
        let hash = blake3::hash(b"x");
        let hex = hash.to_hex();
        assert_eq!(
            manifest_line(&hash, Path::new("a b.log")),
            format!("{hex}  a b.log\n")
        );
        assert_eq!(
            manifest_line(&hash, Path::new("a\\b\nc")),
            format!("\\{hex}  a\\\\b\\nc\n")
        );
    }

    #[test]
    fn manifest_lines_parse_back() {
        let hash = blake3::hash(b"x");
        for name in ["plain.log", "sp ace", "back\\slash", "new\nline", "cr\rx"] {
            let line = manifest_line(&hash, Path::new(name));
            let entry = parse_manifest_line(line.trim_end_matches('\n').as_bytes()).unwrap();
            assert_eq!(entry.path, PathBuf::from(name));
            assert_eq!(entry.expected, hash);
            assert_eq!(format!("{}\n", entry.shown), shown_line_tail(&line));
        }
    }

    fn shown_line_tail(line: &str) -> String {
        let escaped = line.starts_with('\\');
        let tail = &line[usize::from(escaped) + 66..];
        if escaped {
            format!("\\{tail}")
        } else {
            tail.to_owned()
        }
    }

    #[test]
    fn malformed_lines_say_why() {
        let hex = blake3::hash(b"x").to_hex().to_string();
        let cases = [
            ("", "expected 64 hex digits, two spaces and a path"),
            (
                &format!("{hex} xy")[..],
                "expected two spaces after the hash",
            ),
            (
                &format!("{}  x", hex.to_uppercase())[..],
                "the hash is not 64 lowercase hex digits",
            ),
            (&format!("\\{hex}  a\\qb")[..], "invalid backslash escape"),
            (
                &format!("{hex}  ")[..],
                "expected 64 hex digits, two spaces and a path",
            ),
        ];
        for (line, message) in cases {
            let error = parse_manifest_line(line.as_bytes()).unwrap_err();
            assert_eq!(error.to_string(), message, "{line:?}");
        }
    }
}
