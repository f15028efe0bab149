//! Hashing or counting one file on a lane: small files in one read, large ones read ahead
//! while hashed, wide ones (16 MiB and up) as BLAKE3 subtrees on up to `--threads` threads
//! ([`super::wide`]). The CPU work of each holds a permit of the run's budget ([`crate::cpu`]),
//! never across a wait for input ([`super::budget`]).

use std::io::{self, Cursor};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use anyhow::{Context as _, Result, anyhow};
use tokio::io::AsyncBufReadExt;
use tokio::runtime::Handle;
use tokio_util::sync::CancellationToken;

use crate::codec::{self, CodecConfig, Format, Reader};
use crate::config::{DigestConfig, DigestKind};
use crate::deadline::FileDeadline;
use crate::input::{Opened, Prefetch, buffer_size, open_source, throttle};
use crate::pipeline::{LaneHandle, Work};
use crate::walk::Entry;

use super::budget::{LanePermit, PermitReader};
use super::wide::{self, WIDE_HASH};
use super::{Digest, DigestItem, DigestOutcome, DigestReport};

/// Chunk size for large files (fits in a core's cache).
pub(super) const LARGE_CHUNK: usize = 64 << 10;
/// Chunks read ahead of the hashing.
pub(super) const CHUNKS_AHEAD: usize = 4;

/// Sums up what a file's bytes are as they stream by.
pub(super) struct Summer {
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
pub(super) enum Failure {
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
pub(super) struct Digester {
    kind: DigestKind,
    fail_fast: bool,
    timeout: Option<std::time::Duration>,
    retries: u32,
    retry_delay: std::time::Duration,
    decompressed: bool,
    codec: CodecConfig,
    /// `--threads`: how many threads may hash one wide file.
    threads: usize,
    /// Whether `--max-rate` limits reading (then no file is hashed wide: see [`Digester::wide`]).
    throttled: bool,
    /// The PATHs read as streams: `-` and named pipes.
    streams: Arc<[std::path::PathBuf]>,
    /// The run's token; in one file's job, the file's own (see [`FileDeadline`]).
    cancel: CancellationToken,
}

impl Digester {
    /// The per-file job of a run of `config`; `cancel` stops it (Ctrl-C, `--fail-fast`).
    pub(super) fn new(config: &DigestConfig, cancel: &CancellationToken) -> Self {
        Self {
            kind: config.kind,
            fail_fast: config.fail_fast,
            timeout: config.timeout,
            retries: config.retries,
            retry_delay: config.retry_delay,
            decompressed: config.decompressed,
            codec: config.codec,
            threads: config.threads,
            throttled: config.max_rate.is_some(),
            streams: config.streams.clone().into(),
            cancel: cancel.clone(),
        }
    }

    /// Whether `path` is one of the PATHs read as streams (`-`, a named pipe).
    fn is_stream(&self, path: &Path) -> bool {
        self.streams.iter().any(|stream| stream == path)
    }

    /// Reads `path` (`-`: standard input; a named pipe given as a PATH is read like it) and sums
    /// it up. Runs on a lane.
    fn digest(&self, path: &Path, lane: &dyn LaneHandle) -> Result<Digest, Failure> {
        if self.cancel.is_cancelled() {
            return Err(Failure::Cancelled);
        }
        if self.is_stream(path) {
            let Some(stream) = crate::input::open_stream(path, &self.cancel)? else {
                return Err(Failure::Cancelled);
            };
            return Handle::current().block_on(self.digest_stdin(stream));
        }
        let (file, meta) = open_source(path)?;
        if !self.decompressed && self.wide(meta.len) {
            // Read by subtrees from the start: a first chunk read here would be read twice.
            crate::input::count_started(meta.len);
            lane.flush(); // it may take a while: what the lane has done is reported first
            return self.digest_wide(file, meta.len);
        }
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
                let _permit = crate::cpu::acquire_blocking();
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
            Opened::Stream(_) => unreachable!("streams are read above"),
        };
        let size = (meta.len > 0).then_some(meta.len);
        Handle::current().block_on(self.digest_reader(raw, format, size))
    }

    /// A large file, not decoded: a blocking-pool task reads it in chunks small enough to stay
    /// in cache, a couple ahead, while this lane hashes them. (Handing each chunk to the
    /// blocking pool in turn costs a thread hop per chunk, and 1 MiB chunks are slower to copy
    /// while another core reads them.) The lane holds a CPU permit while chunks are ready, and
    /// gives it back before it waits for the next. Blocking.
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
        let permit = LanePermit::default();
        permit.hold_blocking();
        sum.update(&first);
        loop {
            let chunk = match full_rx.try_recv() {
                Ok(chunk) => chunk,
                Err(std::sync::mpsc::TryRecvError::Disconnected) => break,
                Err(std::sync::mpsc::TryRecvError::Empty) => {
                    // Waiting for the reader (a read, a --max-rate sleep): no permit held.
                    permit.release();
                    // A read that hangs must not hold up cancellation (or --timeout): wait in
                    // slices.
                    match full_rx.recv_timeout(std::time::Duration::from_millis(50)) {
                        Ok(chunk) => chunk,
                        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                            if self.cancel.is_cancelled() {
                                return Err(Failure::Cancelled); // dropping the receiver stops the reader
                            }
                            continue;
                        }
                        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
                    }
                }
            };
            if self.cancel.is_cancelled() {
                return Err(Failure::Cancelled);
            }
            let chunk: Vec<u8> =
                chunk.map_err(|error| anyhow::Error::new(error).context("read error"))?;
            permit.hold_blocking();
            sum.update(&chunk);
            let _ = empty_tx.try_send(chunk); // the reader reuses it
        }
        Ok(sum.finish())
    }

    /// Whether a file of `len` bytes is hashed as subtrees ([`wide::hash`]). Not under
    /// `--max-rate`: the rate is the run's, so reading one file in several places gains
    /// nothing, and [`Digester::digest_large`] sleeps on its reader, not on a CPU permit.
    fn wide(&self, len: u64) -> bool {
        self.kind == DigestKind::Hash && len >= WIDE_HASH && !self.throttled
    }

    /// A large file hashed as BLAKE3 subtrees on up to `--threads` threads, this lane
    /// included; read up to its size at open. Blocking.
    fn digest_wide(&self, file: std::fs::File, len: u64) -> Result<Digest, Failure> {
        let hash = wide::hash(file, len, self.threads, &self.cancel)?;
        Ok(Digest {
            hash: Some(hash),
            bytes: len,
            ..Digest::default()
        })
    }

    /// A stream (standard input, a named pipe): decoded when its first bytes say so.
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
    /// decoder that stops before the end of the file is an error (trailing data). Decoding and
    /// summing hold a CPU permit, waiting for `raw` does not ([`PermitReader`]).
    async fn digest_reader(
        &self,
        raw: Reader,
        format: Option<Format>,
        size: Option<u64>,
    ) -> Result<Digest, Failure> {
        let permit = LanePermit::default();
        let raw: Reader = Box::new(PermitReader::new(raw, permit.clone()));
        let (mut reader, consumed) = crate::input::counted_decoder(raw, format, size);
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
            // Held already, unless the decoder handed on what it had when its input ran dry.
            permit.hold().await;
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
        // --timeout counts from when the file was taken (retries included): the file's work
        // obeys a token of its own, which a timer cancels.
        let deadline = FileDeadline::start(&self.cancel, started, self.timeout);
        let job = Digester {
            cancel: deadline.token().clone(),
            ..self.clone()
        };
        let stopped = || match deadline.timed_out() {
            Some(error) => DigestOutcome::Failed(error),
            None => DigestOutcome::Cancelled,
        };
        let mut retried = 0;
        let outcome = loop {
            match job.digest(&path, lane) {
                Ok(digest) => {
                    break DigestOutcome::Done(Digest {
                        elapsed: started.elapsed(),
                        ..digest
                    });
                }
                Err(Failure::Cancelled) => break stopped(),
                // A stream (standard input, a named pipe) cannot be read again: no retry.
                Err(Failure::Failed(error))
                    if !self.is_stream(&path)
                        && retried < self.retries
                        && crate::input::is_transient(&error) =>
                {
                    retried += 1;
                    let retry = (retried, self.retries);
                    let (first, cancel) = (self.retry_delay, &job.cancel);
                    if !crate::input::wait_before_retry(&path, retry, first, &error, cancel) {
                        break stopped();
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

/// The reading side of [`Digester::digest_large`]: reads `file` (at most `left` bytes) in
/// chunks, sending each to `full`, reusing the buffers that come back on `empty`. Stops at the
/// end, on an error (which it sends), or when the hashing side hangs up. Blocking.
pub(super) fn read_chunks(
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

#[cfg(test)]
mod tests {
    use super::*;

    struct NoLane;

    impl LaneHandle for NoLane {
        fn flush(&self) {}
    }

    /// Subtrees merged in the right order whoever hashed them: 1 (the lane alone), 2 and 3
    /// workers (more than this machine's permits, maybe: the third waits for one).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn wide_hashes_equal_blake3_whatever_the_size_and_the_workers() {
        let dir = tempfile::tempdir().unwrap();
        for len in [WIDE_HASH, WIDE_HASH + 1, 20_000_000, (33 << 20) + 1023] {
            let data: Vec<u8> = (0..len)
                .map(|i| (i % 251) as u8 ^ (i >> 16) as u8)
                .collect();
            let path = dir.path().join(format!("f{len}"));
            std::fs::write(&path, &data).unwrap();
            let expected = blake3::hash(&data);
            for threads in [1, 2, 3] {
                let digester = Digester {
                    kind: DigestKind::Hash,
                    fail_fast: false,
                    timeout: None,
                    retries: 0,
                    retry_delay: std::time::Duration::ZERO,
                    decompressed: false,
                    codec: CodecConfig::new(codec::Decoding::Auto, None, true, None).unwrap(),
                    threads,
                    throttled: false,
                    streams: Arc::new([]),
                    cancel: CancellationToken::new(),
                };
                let path = path.clone();
                let digest = tokio::task::spawn_blocking(move || digester.digest(&path, &NoLane))
                    .await
                    .unwrap();
                let Ok(digest) = digest else {
                    panic!("{len} bytes, {threads} threads: failed")
                };
                assert_eq!(
                    digest.hash,
                    Some(expected),
                    "{len} bytes, {threads} threads"
                );
                assert_eq!(digest.bytes, len);
            }
        }
    }
}
