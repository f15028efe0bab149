//! `asyncfiles grep`: the lines of the decoded content of files and trees that match a pattern.
//!
//! Files go through the walker and the pool of `hash` and `stats` ([`crate::pipeline`]). A lane
//! reads a small file in one read, decodes it in process (magic detection, as `stats`) and
//! searches it right there ([`search`]); a large file or a stream is decoded one thread ahead of
//! the lane that searches it, through a bounded channel of chunks whose buffers come back to be
//! reused. Each file's lines are collected in the lane's buffer and written whole ([`writer`]),
//! so that files never interleave. What is printed and how is [`printer`]'s; the patterns are
//! [`matcher`]'s. The run's loop here tallies outcomes, says errors on stderr, writes
//! `--sort path`'s buffers in order and `--json`'s summary, and picks grep's exit code.

mod matcher;
mod printer;
mod search;
mod writer;

pub use matcher::{MatchOptions, Matcher};
pub use printer::Stats;
pub use search::Found;

use std::cell::RefCell;
use std::io::{Cursor, Write as _};
use std::os::unix::ffi::OsStrExt as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TryRecvError, TrySendError};
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow};
use tokio::io::AsyncBufReadExt as _;
use tokio::runtime::Handle;
use tokio::sync::mpsc;
use tokio_stream::StreamExt as _;
use tokio_util::sync::CancellationToken;

use crate::codec::{self, Format, Reader};
use crate::config::{GrepConfig, GrepMode};
use crate::deadline::FileDeadline;
use crate::hash::budget::{LanePermit, PermitReader};
use crate::input::{Opened, Prefetch, buffer_size, open_source};
use crate::interrupt::Interrupt;
use crate::ordered::{FileOutput, Ordered, ordered};
use crate::pipeline::{self, LaneHandle, Work};
use crate::report::{ExitCode, error_chain, escape_path};
use crate::walk::{self, Entry, SkipReason};

/// Decoded chunks a large file's decoder runs ahead of its search.
const CHUNKS_AHEAD: usize = 4;
/// `--sort path`: files a lane may search ahead of the one being written.
const FILES_AHEAD_PER_LANE: usize = 4;
/// `--sort path`: output chunks (of up to `writer::STREAM_CHUNK`) a file holds before it waits.
const CHUNKS_PER_FILE: usize = 4;

/// How one file ended.
#[derive(Debug)]
pub enum GrepOutcome {
    /// Searched.
    Searched(Found),
    /// Not a file this run reads.
    Skipped(SkipReason),
    /// Could not be read or decoded.
    Failed(anyhow::Error),
    /// Abandoned: the run was interrupted, or `-q` found its line, or stdout was closed.
    Cancelled,
}

/// One file's result, from a lane to the run's loop.
#[derive(Debug)]
pub struct GrepReport {
    /// The path as the user named it.
    pub path: PathBuf,
    /// How it ended.
    pub outcome: GrepOutcome,
}

/// Why a file has no result.
enum Failure {
    Cancelled,
    Failed(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(error: anyhow::Error) -> Self {
        Failure::Failed(error)
    }
}

thread_local! {
    /// A lane's buffers (output, carried line), reused from file to file.
    static SCRATCH: RefCell<(Vec<u8>, Vec<u8>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

/// The per-file job of `grep`.
struct Searcher {
    config: Arc<GrepConfig>,
    /// The run's stop: Ctrl-C, `-q`'s first line, a closed stdout.
    stop: CancellationToken,
    /// `--sort path`: the output that puts files in walk order.
    ordered: Option<Ordered<()>>,
}

impl Searcher {
    fn is_stream(&self, path: &Path) -> bool {
        self.config.walk.streams.iter().any(|stream| stream == path)
    }

    /// Reads, decodes and searches `path`. Runs on a lane.
    fn search(
        &self,
        path: &Path,
        cancel: &CancellationToken,
        (out, carry): &mut (Vec<u8>, Vec<u8>),
        lane: &dyn LaneHandle,
        ordered: Option<FileOutput<()>>,
    ) -> Result<Found, Failure> {
        let config = &*self.config;
        let shown = shown_path(path, config.default_root);
        let permit = LanePermit::default();
        let mut sink = writer::Sink::new(out, ordered, separator(config), Some(permit.clone()));
        if self.is_stream(path) {
            sink.set_eager();
        }
        let mut search = search::FileSearch::new(config, &shown, sink, carry);
        match self.read_and_search(path, cancel, lane, &mut search, &permit) {
            Ok(()) => {}
            Err(Failure::Failed(error)) => {
                search.abandon();
                return Err(Failure::Failed(error));
            }
            Err(failure) => return Err(failure),
        }
        let found = search.finish()?;
        permit.release();
        Ok(found)
    }

    /// Opens `path`, decodes it and feeds `search`, on the lane or with a decoder ahead.
    fn read_and_search(
        &self,
        path: &Path,
        cancel: &CancellationToken,
        lane: &dyn LaneHandle,
        search: &mut search::FileSearch<'_>,
        permit: &LanePermit,
    ) -> Result<(), Failure> {
        let config = &*self.config;
        if self.is_stream(path) {
            let Some(stream) = crate::input::open_stream(path, cancel)? else {
                return Err(Failure::Cancelled);
            };
            lane.flush();
            let peeked = Handle::current()
                .block_on(crate::input::peek_magic(stream, cancel))
                .context("read error")?;
            let Some((raw, prefix)) = peeked else {
                return Err(Failure::Cancelled);
            };
            let format = config.walk.codec.detect(&prefix, None);
            ahead(raw, format, None, search, permit, cancel)?;
        } else {
            let (file, meta) = open_source(path)?;
            let opened = Opened::read_first_chunk(file, meta.len)?;
            let format = config.walk.codec.detect(opened.prefix(), path.file_name());
            let size = (meta.len > 0).then_some(meta.len);
            match opened {
                Opened::Whole(chunk) if format.is_none() => {
                    permit.hold_blocking();
                    search.feed(&chunk)?;
                }
                Opened::Whole(chunk) => {
                    let format = format.unwrap_or(Format::Gzip);
                    inline(
                        Box::new(Cursor::new(chunk)),
                        format,
                        size,
                        search,
                        permit,
                        cancel,
                    )?;
                }
                Opened::Partial(chunk, file) => {
                    lane.flush(); // a large file: what the lane has done is reported first
                    let limit = size.map(|len| len - chunk.len() as u64);
                    let rest = Prefetch::new(file, buffer_size(size), limit);
                    let raw: Reader =
                        Box::new(tokio::io::AsyncReadExt::chain(Cursor::new(chunk), rest));
                    ahead(raw, format, size, search, permit, cancel)?;
                }
                Opened::Stream(_) => unreachable!("streams are read above"),
            }
        }
        Ok(())
    }
}

/// `--` (coloured as grep colours it) between files' groups, when context is printed.
fn separator(config: &GrepConfig) -> Option<Vec<u8>> {
    if config.json || config.mode != GrepMode::Lines || !config.context {
        return None;
    }
    let mut separator = Vec::new();
    printer::Printer::new(config, b"").group_separator(&mut separator);
    Some(separator)
}

/// The path as printed: as named, `(standard input)` for `-` (as grep names it); below the
/// default `.`, without `./` (as rg prints it).
fn shown_path(path: &Path, default_root: bool) -> Vec<u8> {
    match path.as_os_str().as_bytes() {
        b"-" => b"(standard input)".to_vec(),
        bytes if default_root => bytes.strip_prefix(b"./").unwrap_or(bytes).to_vec(),
        bytes => bytes.to_vec(),
    }
}

/// A small compressed file, all read: decoded and searched on the lane. Blocking.
fn inline(
    raw: Reader,
    format: Format,
    size: Option<u64>,
    search: &mut search::FileSearch<'_>,
    permit: &LanePermit,
    cancel: &CancellationToken,
) -> Result<(), Failure> {
    let raw: Reader = Box::new(PermitReader::new(raw, permit.clone()));
    let (mut reader, consumed) = crate::input::counted_decoder(raw, Some(format), size);
    let mut decoded = 0;
    while !search.is_done() {
        if cancel.is_cancelled() {
            return Err(Failure::Cancelled);
        }
        let chunk = Handle::current()
            .block_on(reader.fill_buf())
            .map_err(|error| codec::describe_read_error(Some(format), error, decoded))?;
        if chunk.is_empty() {
            break;
        }
        let read = chunk.len();
        search.feed(chunk)?;
        decoded += read as u64;
        reader.consume(read);
    }
    let done = search.is_done();
    drop(reader);
    if !done {
        trailing(format, size, &consumed)?;
    }
    Ok(())
}

/// Fails a file whose decoder stopped before its end (brotli and lzma have no members).
fn trailing(format: Format, size: Option<u64>, consumed: &AtomicU64) -> anyhow::Result<()> {
    let consumed = consumed.load(Ordering::Relaxed);
    match size {
        Some(size) if consumed < size => Err(anyhow!(
            "trailing data after the {} stream ({} bytes)",
            format.name(),
            size - consumed
        )),
        _ => Ok(()),
    }
}

/// A large file or a stream: a blocking-pool thread decodes it ([`decode_ahead`]) a few chunks
/// ahead while the lane searches. Each side holds a CPU permit while it works and gives it back
/// before it waits for the other. Blocking.
fn ahead(
    raw: Reader,
    format: Option<Format>,
    size: Option<u64>,
    search: &mut search::FileSearch<'_>,
    permit: &LanePermit,
    cancel: &CancellationToken,
) -> Result<(), Failure> {
    let (full_tx, full_rx) = std::sync::mpsc::sync_channel(CHUNKS_AHEAD);
    let (empty_tx, empty_rx) = std::sync::mpsc::sync_channel(CHUNKS_AHEAD + 1);
    let token = cancel.clone();
    let _decoder = tokio::task::spawn_blocking(move || {
        decode_ahead(raw, format, size, &full_tx, &empty_rx, &token);
    });
    while !search.is_done() {
        let chunk = match full_rx.try_recv() {
            Ok(chunk) => chunk,
            Err(TryRecvError::Disconnected) => break,
            Err(TryRecvError::Empty) => {
                permit.release();
                // A read that hangs must not hold up cancellation: wait in slices.
                match full_rx.recv_timeout(Duration::from_millis(50)) {
                    Ok(chunk) => chunk,
                    Err(RecvTimeoutError::Timeout) if cancel.is_cancelled() => {
                        return Err(Failure::Cancelled);
                    }
                    Err(RecvTimeoutError::Timeout) => continue,
                    Err(RecvTimeoutError::Disconnected) => break,
                }
            }
        };
        if cancel.is_cancelled() {
            return Err(Failure::Cancelled);
        }
        let chunk: Vec<u8> = chunk?;
        permit.hold_blocking();
        search.feed(&chunk)?;
        let _ = empty_tx.try_send(chunk); // the decoder reuses it
    }
    if cancel.is_cancelled() && !search.is_done() {
        return Err(Failure::Cancelled);
    }
    Ok(())
}

/// The decoding side of [`ahead`]: decoded chunks (or the error that ended them) to `full`,
/// in buffers that come back on `empty`. Stops at the end, on an error, on `cancel`, or when the
/// search hangs up (it needs no more). Blocking.
fn decode_ahead(
    raw: Reader,
    format: Option<Format>,
    size: Option<u64>,
    full: &SyncSender<anyhow::Result<Vec<u8>>>,
    empty: &Receiver<Vec<u8>>,
    cancel: &CancellationToken,
) {
    let permit = LanePermit::default();
    let raw: Reader = Box::new(PermitReader::new(raw, permit.clone()));
    let (mut reader, consumed) = crate::input::counted_decoder(raw, format, size);
    let mut decoded = 0;
    loop {
        let filled = Handle::current().block_on(async {
            tokio::select! {
                biased;
                () = cancel.cancelled() => None,
                chunk = reader.fill_buf() => Some(chunk.map(|chunk| {
                    let mut buffer = empty.try_recv().unwrap_or_default();
                    buffer.clear();
                    buffer.extend_from_slice(chunk);
                    buffer
                })),
            }
        });
        let buffer = match filled {
            None => return,
            Some(Err(error)) => {
                let _ = full.send(Err(codec::describe_read_error(format, error, decoded)));
                return;
            }
            Some(Ok(buffer)) if buffer.is_empty() => break,
            Some(Ok(buffer)) => buffer,
        };
        reader.consume(buffer.len());
        decoded += buffer.len() as u64;
        match full.try_send(Ok(buffer)) {
            Ok(()) => {}
            Err(TrySendError::Full(buffer)) => {
                permit.release(); // waiting for the search: no permit held
                if full.send(buffer).is_err() {
                    return;
                }
            }
            Err(TrySendError::Disconnected(_)) => return,
        }
    }
    permit.release();
    drop(reader);
    if let Some(format) = format
        && let Err(error) = trailing(format, size, &consumed)
    {
        let _ = full.send(Err(error));
    }
}

impl Work for Searcher {
    type Item = (u64, Entry);
    type Outcome = GrepReport;

    fn start(&self, (seq, item): (u64, Entry), lane: &dyn LaneHandle) -> GrepReport {
        // Under --sort path every entry takes its turn, those with nothing to print too.
        let output = match &self.ordered {
            Some(ordered) => match ordered.begin(seq) {
                Some(output) => Some(output),
                None => {
                    return GrepReport {
                        path: entry_path(item),
                        outcome: GrepOutcome::Cancelled,
                    };
                }
            },
            None => None,
        };
        let path = match item {
            Entry::File { path, .. } => path,
            Entry::Skipped { path, reason } => {
                return GrepReport {
                    path,
                    outcome: GrepOutcome::Skipped(reason),
                };
            }
            Entry::Failed { path, error } => {
                return GrepReport {
                    path,
                    outcome: GrepOutcome::Failed(error),
                };
            }
        };
        if self.stop.is_cancelled() {
            return GrepReport {
                path,
                outcome: GrepOutcome::Cancelled,
            };
        }
        let deadline = FileDeadline::start(&self.stop, Instant::now(), self.config.walk.timeout);
        let searched = SCRATCH.with_borrow_mut(|scratch| {
            let searched = self.search(&path, deadline.token(), scratch, lane, output);
            for buffer in [&mut scratch.0, &mut scratch.1] {
                // A lane keeps at most its share of the output budget from file to file.
                if buffer.capacity() > writer::hold_limit() + writer::STREAM_CHUNK {
                    *buffer = Vec::new();
                }
            }
            searched
        });
        let outcome = match searched {
            Ok(found) => {
                let quiet_hit = self.config.mode == GrepMode::Quiet && found.selected > 0;
                if quiet_hit || found.closed {
                    self.stop.cancel();
                }
                GrepOutcome::Searched(found)
            }
            Err(Failure::Cancelled) => match deadline.timed_out() {
                Some(error) => GrepOutcome::Failed(error),
                None => GrepOutcome::Cancelled,
            },
            Err(Failure::Failed(error)) => GrepOutcome::Failed(error),
        };
        GrepReport { path, outcome }
    }

    fn label(&self, (_, item): &(u64, Entry)) -> String {
        match item {
            Entry::File { path, .. } | Entry::Skipped { path, .. } | Entry::Failed { path, .. } => {
                path.display().to_string()
            }
        }
    }

    fn halts(&self, outcome: &GrepReport) -> bool {
        self.config.walk.fail_fast && matches!(outcome.outcome, GrepOutcome::Failed(_))
    }

    fn crashed(&self, label: String, cause: &str) -> GrepReport {
        GrepReport {
            path: label.into(),
            outcome: GrepOutcome::Failed(anyhow!("internal error: the worker crashed: {cause}")),
        }
    }
}

fn entry_path(entry: Entry) -> PathBuf {
    match entry {
        Entry::File { path, .. } | Entry::Skipped { path, .. } | Entry::Failed { path, .. } => path,
    }
}

/// What the run's loop counts.
#[derive(Default)]
struct Tally {
    /// Files with a selected line.
    matched: u64,
    /// Files listed by `-L`.
    listed: u64,
    failed: u64,
    stats: Stats,
}

impl Tally {
    /// Counts `report`; its messages go to `errors`.
    fn note(&mut self, report: GrepReport, mode: GrepMode, errors: &mut Vec<u8>) {
        let path = report.path;
        match report.outcome {
            GrepOutcome::Searched(found) => {
                self.matched += u64::from(found.selected > 0);
                self.listed +=
                    u64::from(mode == GrepMode::FilesWithoutMatch && found.selected == 0);
                self.stats.add(&found.stats);
                if found.binary_matched {
                    let line = format!("asyncfiles: {}: binary file matches\n", escape_path(&path));
                    errors.extend_from_slice(line.as_bytes());
                }
            }
            GrepOutcome::Failed(error) => {
                self.failed += 1;
                let line = format!(
                    "asyncfiles: {}: {}\n",
                    escape_path(&path),
                    error_chain(&error)
                );
                errors.extend_from_slice(line.as_bytes());
            }
            // grep and rg pass over what they do not search in silence.
            GrepOutcome::Skipped(_) | GrepOutcome::Cancelled => {}
        }
    }

    /// grep's exit code: 0 a line selected (with -L too, as GNU grep 3.8: not "a file listed",
    /// which is rg's rule), 1 none, 2 an error (unless -q found its line).
    fn exit_code(&self, mode: GrepMode) -> ExitCode {
        let success = self.matched > 0;
        match () {
            () if mode == GrepMode::Quiet && success => ExitCode::Success,
            () if self.failed > 0 => ExitCode::Fatal,
            () if success => ExitCode::Success,
            () => ExitCode::Failure,
        }
    }
}

/// Runs `grep` and returns its exit code.
pub async fn run(mut config: GrepConfig, interrupt: &Interrupt) -> ExitCode {
    let started = Instant::now();
    let roots = std::mem::take(&mut config.walk.roots);
    let config = Arc::new(config);
    let (entries, found) = mpsc::channel(walk::ENTRY_QUEUE);
    if let Err(error) = walk::spawn_roots(roots, entries) {
        let error = anyhow::Error::new(error).context("cannot start the walker");
        eprintln!("asyncfiles: {}", error_chain(&error));
        return ExitCode::Fatal;
    }
    let mut seq = 0u64;
    let items = walk::EntryStream::new(found).map(move |entry| {
        seq += 1;
        (seq - 1, entry)
    });
    let stop = interrupt.token().child_token();
    let jobs = config.walk.jobs;
    writer::set_lanes(jobs);
    // --sort path: a bounded window of files ahead of the one being written, each holding a few
    // chunks (see `crate::ordered`).
    let (ordered, in_order) = match config.sort {
        true => {
            let (output, reader) = ordered(jobs * FILES_AHEAD_PER_LANE, CHUNKS_PER_FILE);
            (Some(output), Some(reader))
        }
        false => (None, None),
    };
    let separator = separator(&config);
    let in_order = in_order.map(|reader| {
        let (stop, separator) = (stop.clone(), separator.clone());
        tokio::task::spawn_blocking(move || {
            if !writer::write_in_order(reader, separator.as_deref()) {
                stop.cancel();
            }
        })
    });
    let searcher = Arc::new(Searcher {
        config: config.clone(),
        stop: stop.clone(),
        ordered,
    });
    let (tx, mut results) = mpsc::channel(16);
    tokio::spawn(async move {
        // The last producer of the ordered output goes with the pool's work.
        pipeline::run(searcher, items, jobs, &stop, &tx).await;
    });
    let mut tally = Tally::default();
    while let Some(batch) = results.recv().await {
        let mut errors = Vec::new();
        for report in batch {
            tally.note(report, config.mode, &mut errors);
        }
        if !errors.is_empty() {
            // A closed stderr has no one to tell.
            let _ = std::io::stderr().lock().write_all(&errors);
        }
    }
    if let Some(in_order) = in_order {
        let _ = in_order.await;
    }
    let code = tally.exit_code(config.mode);
    if config.json {
        let summary = summary(&tally, started.elapsed());
        let _ = tokio::task::spawn_blocking(move || writer::write_file(&summary, None)).await;
    }
    interrupt.exit_code().unwrap_or(code)
}

/// rg's `summary` message.
fn summary(tally: &Tally, elapsed: Duration) -> Vec<u8> {
    let data = serde_json::json!({
        "elapsed_total": printer::elapsed_json(elapsed),
        "stats": tally.stats.json(elapsed),
    });
    let mut message = Vec::new();
    printer::push_json(&mut message, "summary", &data);
    message
}
