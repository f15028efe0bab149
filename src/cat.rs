//! `asyncfiles cat`: the decoded content of every file, in path order, on standard output.
//!
//! The walker (sorted, see [`crate::walk::WalkConfig::sorted`]) numbers its entries as they
//! come; the pool's lanes decode and transform files side by side, each writing its chunks to its
//! own bounded stream of an [`crate::ordered`] output; one writer thread takes the streams in
//! order and writes them to stdout. A failed file's message is printed when the writer reaches
//! it, between the files before and after it. A reader that closes stdout (`| head`) closes the
//! ordered output, which stops the lanes and the walk.

use std::io::{Cursor, Write as _};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use anyhow::{Context as _, anyhow};
use tokio::io::AsyncBufReadExt as _;
use tokio::runtime::Handle;
use tokio::sync::mpsc;
use tokio_stream::StreamExt as _;
use tokio_util::sync::CancellationToken;

use crate::codec::{self, CodecConfig, Format, Reader};
use crate::config::{CatConfig, LineTransforms};
use crate::input::{Opened, Prefetch, buffer_size, open_source};
use crate::interrupt::Interrupt;
use crate::ordered::{Event, FileOutput, Ordered, OrderedReader, ordered};
use crate::pipeline::{LaneHandle, Work};
use crate::report::{ExitCode, error_chain, escape_path};
use crate::transform::{Chain, Eol};
use crate::walk::{Entry, EntryStream};

/// Largest chunk a file passes to the writer (bigger decoded chunks are cut).
const PIECE: usize = 128 << 10;
/// Chunks a file holds ahead of the writer: with [`PIECE`], 512 KiB per file begun.
const PIECES_PER_FILE: usize = 4;
/// Files begun ahead of the writer, per lane: a lane that finished a file may start the next
/// while the writer is still on an earlier one.
const FILES_PER_LANE: usize = 2;

/// How one file ended, as the writer reports it when it gets there.
#[derive(Debug)]
pub enum FileEnd {
    /// Written whole.
    Done,
    /// Left out (a symbolic link without `-L`, …): a note on stderr unless `-q`.
    Skipped(String),
    /// Failed: `asyncfiles: PATH: cause`, and the run exits 1.
    Failed(String),
    /// Stopped by Ctrl-C or a closed stdout: nothing to say.
    Stopped,
}

/// Runs `cat`: walks, decodes on the lanes, writes in order. Returns the exit code.
pub async fn run(config: CatConfig, interrupt: &Interrupt, quiet: bool) -> ExitCode {
    let cancel = interrupt.token().child_token();
    let (tx, rx) = mpsc::channel(16);
    let walker = match crate::walk::spawn_roots(config.roots, tx) {
        Ok(walker) => walker,
        Err(error) => {
            eprintln!("asyncfiles: cannot start the walk: {error}");
            return ExitCode::Fatal;
        }
    };
    let mut seq = 0u64;
    let items = EntryStream::new(rx).map(move |entry| {
        seq += 1;
        (seq - 1, entry)
    });
    let jobs = config.jobs.max(1);
    let (output, reader) = ordered(jobs * FILES_PER_LANE, PIECES_PER_FILE);
    let writer = {
        let cancel = cancel.clone();
        tokio::task::spawn_blocking(move || write_in_order(reader, quiet, &cancel))
    };
    let work = Arc::new(Catter {
        output,
        codec: config.codec,
        lines: config.lines,
        eol: config.eol,
        streams: config.streams.into(),
        cancel: cancel.clone(),
    });
    let (outcomes, mut crashes) = mpsc::channel::<Vec<Option<String>>>(4);
    let reporter = tokio::spawn(async move {
        while let Some(batch) = crashes.recv().await {
            for message in batch.into_iter().flatten() {
                eprintln!("{message}");
            }
        }
    });
    let left = crate::pipeline::run(work, items, jobs, &cancel, &outcomes).await;
    // The last producer goes with the pool's work: the writer ends after the files begun.
    drop(outcomes);
    drop(left);
    let failed = writer.await.unwrap_or(1);
    let _ = reporter.await;
    let _ = walker.join();
    if let Some(code) = interrupt.exit_code() {
        return code;
    }
    if failed > 0 {
        ExitCode::Failure
    } else {
        ExitCode::Success
    }
}

/// The writer thread: every file's bytes to stdout in order, its message to stderr when its
/// turn comes. Returns how many files failed. A closed stdout stops the run (`cancel`).
fn write_in_order(reader: OrderedReader<FileEnd>, quiet: bool, cancel: &CancellationToken) -> u64 {
    let mut failed = 0;
    for event in reader {
        match event {
            Event::Bytes(_, bytes) => {
                if !crate::stdout::write(&bytes) {
                    cancel.cancel();
                    break;
                }
            }
            Event::End(_, Some(FileEnd::Failed(message))) => {
                failed += 1;
                let _ = writeln!(std::io::stderr().lock(), "{message}");
            }
            Event::End(_, Some(FileEnd::Skipped(message))) if !quiet => {
                let _ = writeln!(std::io::stderr().lock(), "{message}");
            }
            // A crashed lane: the pool reports it.
            Event::End(_, None) => failed += 1,
            Event::End(_, Some(_)) => {}
        }
    }
    failed
}

/// Why a file stopped before its end.
enum Stop {
    /// Ctrl-C, or the writer is gone.
    Stopped,
    Failed(anyhow::Error),
}

impl From<anyhow::Error> for Stop {
    fn from(error: anyhow::Error) -> Self {
        Stop::Failed(error)
    }
}

/// The per-file job of `cat`.
struct Catter {
    output: Ordered<FileEnd>,
    codec: CodecConfig,
    lines: Option<LineTransforms>,
    eol: Eol,
    /// The PATHs read as streams: `-` and named pipes.
    streams: Arc<[std::path::PathBuf]>,
    cancel: CancellationToken,
}

impl Work for Catter {
    type Item = (u64, Entry);
    /// Only a crash has something to say here; files speak through the writer.
    type Outcome = Option<String>;

    fn start(&self, (seq, entry): (u64, Entry), lane: &dyn LaneHandle) -> Option<String> {
        let out = self.output.begin(seq)?;
        let end = match entry {
            Entry::File { path, .. } => match self.cat(&path, &out, lane) {
                Ok(()) => FileEnd::Done,
                Err(Stop::Stopped) => FileEnd::Stopped,
                Err(Stop::Failed(error)) => FileEnd::Failed(format!(
                    "asyncfiles: {}: {}",
                    escape_path(&path),
                    error_chain(&error)
                )),
            },
            Entry::Skipped { path, reason } => FileEnd::Skipped(format!(
                "asyncfiles: {}: skipped: {reason}",
                escape_path(&path)
            )),
            Entry::Failed { path, error } => FileEnd::Failed(format!(
                "asyncfiles: {}: {}",
                escape_path(&path),
                error_chain(&error)
            )),
        };
        out.finish(end);
        None
    }

    fn label(&self, (_, entry): &(u64, Entry)) -> String {
        match entry {
            Entry::File { path, .. } | Entry::Skipped { path, .. } | Entry::Failed { path, .. } => {
                escape_path(path)
            }
        }
    }

    fn crashed(&self, label: String, cause: &str) -> Option<String> {
        Some(format!(
            "asyncfiles: {label}: internal error: the worker crashed: {cause}"
        ))
    }
}

impl Catter {
    /// Writes the decoded, transformed content of `path` to `out`. Runs on a lane (blocking).
    fn cat(
        &self,
        path: &Path,
        out: &FileOutput<FileEnd>,
        lane: &dyn LaneHandle,
    ) -> Result<(), Stop> {
        if self.cancel.is_cancelled() {
            return Err(Stop::Stopped);
        }
        if self.streams.iter().any(|stream| stream == path) {
            let Some(stream) = crate::input::open_stream(path, &self.cancel)? else {
                return Err(Stop::Stopped);
            };
            return Handle::current().block_on(async {
                let peeked = crate::input::peek_magic(stream, &self.cancel)
                    .await
                    .context("read error")?;
                let Some((raw, prefix)) = peeked else {
                    return Err(Stop::Stopped);
                };
                let format = self.codec.detect(&prefix, None);
                self.pump(raw, format, None, out).await
            });
        }
        let (file, meta) = open_source(path)?;
        let opened = Opened::read_first_chunk(file, meta.len)?;
        let format = self.codec.detect(opened.prefix(), path.file_name());
        let raw: Reader = match opened {
            Opened::Whole(chunk) if format.is_none() && self.chain().is_passthrough() => {
                // All of a small plain file is here: no reader needed.
                return send(out, &chunk);
            }
            Opened::Whole(chunk) => Box::new(Cursor::new(chunk)),
            Opened::Partial(chunk, file) => {
                // A large file may take a while: what the lane has done is reported first.
                lane.flush();
                let left = (meta.len > 0).then(|| meta.len.saturating_sub(chunk.len() as u64));
                let rest = Prefetch::new(file, buffer_size(Some(meta.len)), left);
                Box::new(tokio::io::AsyncReadExt::chain(Cursor::new(chunk), rest))
            }
            Opened::Stream(_) => unreachable!("streams are read above"),
        };
        let size = (meta.len > 0).then_some(meta.len);
        Handle::current().block_on(self.pump(raw, format, size, out))
    }

    /// The stages of a file: line transforms, then line endings (as `convert` chains them).
    fn chain(&self) -> Chain {
        Chain::of(self.lines.as_ref(), self.eol, 0)
    }

    /// Streams `raw`, decoded as `format` (if any), through the chain to `out`. Decoding and
    /// transforms hold a CPU permit; waiting for the writer does not. With a known `size`, a
    /// decoder that stops before the end of the file is an error (trailing data).
    async fn pump(
        &self,
        raw: Reader,
        format: Option<Format>,
        size: Option<u64>,
        out: &FileOutput<FileEnd>,
    ) -> Result<(), Stop> {
        let (mut reader, consumed) = crate::input::counted_decoder(raw, format, size);
        let mut chain = self.chain();
        let mut decoded = 0u64;
        loop {
            let cpu = self.cancellable(crate::cpu::acquire()).await?;
            let chunk = self
                .cancellable(reader.fill_buf())
                .await?
                .map_err(|error| codec::describe_read_error(format, error, decoded))?;
            if chunk.is_empty() {
                break;
            }
            let read = chunk.len();
            decoded += read as u64;
            let mut bytes = Vec::new();
            if chain.is_passthrough() {
                bytes.extend_from_slice(chunk);
            } else {
                chain.process(chunk, &mut bytes)?;
            }
            reader.consume(read);
            drop(cpu);
            send(out, &bytes)?;
        }
        let mut tail = Vec::new();
        chain.finish(&mut tail)?;
        send(out, &tail)?;
        drop(reader);
        if let (Some(format), Some(size)) = (format, size) {
            let consumed = consumed.load(Ordering::Relaxed);
            if consumed < size {
                return Err(Stop::Failed(anyhow!(
                    "trailing data after the {} stream ({} bytes)",
                    format.name(),
                    size - consumed
                )));
            }
        }
        Ok(())
    }

    /// `work`, unless the run's token fires first.
    async fn cancellable<T>(&self, work: impl Future<Output = T>) -> Result<T, Stop> {
        tokio::select! {
            biased;
            () = self.cancel.cancelled() => Err(Stop::Stopped),
            done = work => Ok(done),
        }
    }
}

/// Passes `bytes` to the writer in pieces of at most [`PIECE`] (waiting while the file's stream
/// is full); the writer gone stops the file.
fn send(out: &FileOutput<FileEnd>, bytes: &[u8]) -> Result<(), Stop> {
    for piece in bytes.chunks(PIECE) {
        if !out.write(piece.to_vec()) {
            return Err(Stop::Stopped);
        }
    }
    Ok(())
}
