//! `asyncfiles convert`: wires the walker, the pool and the reporter together, and holds the
//! per-file job (open, stream through the chain, commit atomically).
//!
//! One file's life, on a pool lane (a blocking-pool thread, see [`pipeline`]): open the input,
//! read its first chunk (up to 1 MiB), detect its format and create the temp output. A file that
//! fit in that chunk is converted right there: decoded, run through the stage [`Chain`], encoded
//! and written with plain blocking writes, then committed (mode, times, rename). A larger file is
//! streamed on the runtime: read through a large `BufReader` over `tokio::fs::File` (one blocking
//! hop moves up to 1 MiB), written through a `BufWriter`, committed in one more blocking trip.
//! Both paths run the same async [`FileJob::process`], which looks at the file's cancellation
//! token (Ctrl-C, `--timeout`: see [`crate::deadline`]) between chunks and feeds the encoder in
//! pieces, since the work on a lane never waits for the runtime. Any failure discards the temp
//! file.
//!
//! One difference: a write on the small-file path blocks its lane, so a Ctrl-C during a write
//! that hangs (a dead network file system) waits for it; the streaming path abandons it at once.
//! A second Ctrl-C still exits at once on either path.

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;

use anyhow::{Context, anyhow, bail};
use tokio::io::{AsyncBufReadExt, AsyncWrite, AsyncWriteExt};
use tokio::runtime::Handle;
use tokio::sync::mpsc;
use tokio_stream::{Stream, StreamExt};
use tokio_util::sync::CancellationToken;

use crate::blocks::{self, BlockReader, Engine};
use crate::codec::{self, Decoding, FilePlan, Format, KeepOpen, Reader};
use crate::config::{ConvertConfig, Dest, Source};
use crate::cpu;
use crate::deadline::FileDeadline;
use crate::input::{self, CountingReader, Opened, Prefetch, buffer_size, open_source};
use crate::interrupt::Interrupt;
use crate::output::{Archived, DirMirror, OutputOptions, Sink, SourceMeta, TempFile, TempRegistry};
use crate::pipeline::{self, LaneHandle, Work};
use crate::report::{
    ExitCode, FileReport, FileStats, Outcome, ReportOptions, Reporter, error_chain,
};
use crate::transform::Chain;
use crate::transform::lines::LineCounts;
use crate::walk::{self, Entry, Input, SkipReason};

mod manifest;

use manifest::{UpToDate, write_manifest};

/// Batches of outcomes (of up to `pipeline::OUTCOME_BATCH`) buffered between the pool and the
/// reporter.
const REPORT_QUEUE: usize = 16;
/// Most bytes handed to the writer (the encoder, if any) at once: the work between two looks at
/// the cancellation token. An encoder compresses all it is given before it returns (brotli -11
/// takes seconds over 1 MiB), so a chunk is fed in pieces.
const WRITE_PIECE: usize = 64 * 1024;

/// Runs a whole conversion and returns its exit code.
pub async fn run(
    mut config: ConvertConfig,
    interrupt: &Interrupt,
    temps: TempRegistry,
    report: ReportOptions,
) -> ExitCode {
    let started = std::time::Instant::now();
    if let Err(code) = create_manifest_dir(&config).await {
        return code;
    }
    let dirs = match create_output_dir(&config).await {
        Ok(dirs) => dirs,
        Err(code) => return code,
    };
    let prepare = |mut walk: walk::WalkConfig| {
        walk.skip_temp_files = true;
        // Several INs: each tree is mirrored under its name in OUT.
        walk.dirs = dirs
            .as_ref()
            .map(|dirs| Box::new(dirs.under(&walk.prefix)) as Box<dyn walk::DirVisitor>);
        walk
    };
    let walk = config.walk.take().map(prepare);
    let roots: Vec<walk::Root> = std::mem::take(&mut config.roots)
        .into_iter()
        .map(|root| match root {
            walk::Root::Tree(walk) => walk::Root::Tree(Box::new(prepare(*walk))),
            root => root,
        })
        .collect();
    let config = Arc::new(config);
    // Entries handed over by the walk so far: the progress bar's total.
    let found = Arc::new(AtomicU64::new(0));
    let (items, walker) = match planned_items(&config, walk, roots, found.clone()) {
        Ok(planned) => planned,
        Err(error) => {
            eprintln!("asyncfiles: {}", error_chain(&error));
            return give_back(dirs).await;
        }
    };
    let (report_tx, report_rx) = mpsc::channel(REPORT_QUEUE);
    // What stops taking new files: a signal, or (--fail-fast) the first failure.
    let stop = interrupt.token().child_token();
    let reporter = Reporter::spawn(report_rx, report, found);
    let up_to_date = match (&config.manifest, config.incremental && !config.dry_run) {
        (Some(manifest), true) => {
            let (manifest, dest) = (manifest.clone(), config.dest.clone());
            let load = tokio::task::spawn_blocking(move || UpToDate::load(&manifest, &dest));
            match load.await {
                Ok(loaded) => Some(Arc::new(loaded)),
                Err(error) => {
                    eprintln!("asyncfiles: internal error: reading the manifest failed: {error}");
                    return give_back(dirs.clone()).await;
                }
            }
        }
        _ => None,
    };
    let converter = Converter {
        config: config.clone(),
        cancel: stop.clone(),
        outputs: OutputOptions {
            // In place, an input is removed only once its output is on disk.
            fsync: config.fsync || config.in_place.is_some(),
            temps: temps.clone(),
            replace: config.in_place.is_none_or(|in_place| in_place.replace),
        },
        up_to_date: up_to_date.clone(),
    };
    // One input needs one lane; a tree as many as `--jobs` and the memory limit allow.
    let lanes = match config.source {
        Source::Dir(_) | Source::Several(_) => {
            let (lanes, lowered) = config.lanes();
            if let Some(lowered) = lowered {
                tracing::info!("{lowered}");
            }
            lanes
        }
        Source::File(_) | Source::Stream(_) => 1,
    };
    let left = pipeline::run(Arc::new(converter), items, lanes, &stop, &report_tx).await;
    if stop.is_cancelled() && !interrupt.token().is_cancelled() {
        // --fail-fast stopped the run: name what the walk had found and the pool never took.
        let not_started = left.map_or_else(Vec::new, not_started);
        if !not_started.is_empty() {
            let _ = report_tx.send(not_started).await;
        }
    }
    if let Some(failure) = walker.and_then(|walker| walker_failure(walker, &config.source)) {
        let _ = report_tx.send(vec![failure]).await;
    }
    drop(report_tx);
    let signal = interrupt.exit_code();
    let mut finished = reporter.finish().await;
    let code = finished.summary.exit_code(signal);
    let code = match (&config.manifest, signal) {
        (Some(manifest), None) if !config.dry_run => {
            let mut outputs = std::mem::take(&mut finished.summary.written);
            if let Some(up_to_date) = &up_to_date {
                outputs.extend(up_to_date.finish(manifest));
            }
            let written = write_manifest(
                manifest.clone(),
                &config.dest,
                outputs,
                config.fsync,
                temps.clone(),
            )
            .await;
            match written {
                Ok(()) => code,
                Err(error) => {
                    eprintln!(
                        "asyncfiles: {}: {}",
                        manifest.display(),
                        error_chain(&error)
                    );
                    // The files are written; the run did not do all it was asked.
                    match code {
                        ExitCode::Success => ExitCode::Failure,
                        code => code,
                    }
                }
            }
        }
        _ => code,
    };
    // Last: a rename into a directory (the manifest's too) changes its modification time.
    let code = match dirs {
        Some(dirs) if !stop.is_cancelled() => finish_dirs(dirs, code, DirMirror::finish).await,
        Some(dirs) => finish_dirs(dirs, code, DirMirror::abandon).await,
        None => code,
    };
    finished.print(signal.is_some()).await;
    if config.json {
        let summary = &finished.summary;
        crate::report::print_stdout(summary.json_line(started.elapsed(), code, config.shard)).await;
    }
    code
}

/// Creates the directory `--manifest` is written into, with its parents, unless this is a dry
/// run: a manifest is written at the end, and a missing directory (`manifests/shard-%K.b3` on
/// every node of a sharded run) must not fail a run after all its work. A failure is fatal.
async fn create_manifest_dir(config: &ConvertConfig) -> Result<(), ExitCode> {
    let Some(dir) = config
        .manifest
        .as_deref()
        .and_then(Path::parent)
        .filter(|dir| !dir.as_os_str().is_empty() && !config.dry_run)
    else {
        return Ok(());
    };
    tokio::fs::create_dir_all(dir).await.map_err(|error| {
        eprintln!(
            "asyncfiles: {}: cannot create the manifest's directory: {error}",
            dir.display()
        );
        ExitCode::Fatal
    })
}

/// Creates OUT unless this is a dry run: for a tree, as the mirror of IN (see [`DirMirror`]),
/// whose directories are then mirrored as the walk finds them. A failure is fatal.
async fn create_output_dir(config: &ConvertConfig) -> Result<Option<DirMirror>, ExitCode> {
    let (source, Dest::Dir(dir), false) = (&config.source, &config.dest, config.dry_run) else {
        return Ok(None);
    };
    let created = match source {
        Source::Dir(root) => {
            let dirs = DirMirror::new(dir.clone());
            let dirs = if config.shard.is_some() {
                dirs.shared()
            } else {
                dirs
            };
            let dirs = match config.archive {
                true => dirs.archiving(root.clone()),
                false => dirs,
            };
            let root = root.clone();
            let mirror = dirs.clone();
            tokio::task::spawn_blocking(move || mirror.create_root(&root))
                .await
                .unwrap_or_else(|error| Err(anyhow!("internal error: {error}")))
                .map(|()| Some(dirs))
        }
        Source::Several(_) => {
            let dirs = DirMirror::new(dir.clone());
            let dirs = if config.shard.is_some() {
                dirs.shared()
            } else {
                dirs
            };
            // OUT is made as for a file IN; each tree IN is mirrored as OUT/NAME.
            let trees: Vec<(PathBuf, PathBuf)> = config
                .roots
                .iter()
                .filter_map(|root| match root {
                    walk::Root::Tree(walk) => Some((walk.root.clone(), walk.prefix.clone())),
                    _ => None,
                })
                .collect();
            let (out, mirror) = (dir.clone(), dirs.clone());
            tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
                std::fs::create_dir_all(&out)?;
                for (source, name) in trees {
                    mirror.under(&name).create_root(&source)?;
                }
                Ok(())
            })
            .await
            .unwrap_or_else(|error| Err(anyhow!("internal error: {error}")))
            .map(|()| Some(dirs))
        }
        _ => tokio::fs::create_dir_all(dir)
            .await
            .map(|()| None)
            .map_err(anyhow::Error::new),
    };
    created.map_err(|error| {
        eprintln!("asyncfiles: {}: {}", dir.display(), error_chain(&error));
        ExitCode::Fatal
    })
}

/// A run that ends before its first file: an existing OUT gets back the mode it had.
async fn give_back(dirs: Option<DirMirror>) -> ExitCode {
    match dirs {
        Some(dirs) => finish_dirs(dirs, ExitCode::Fatal, DirMirror::abandon).await,
        None => ExitCode::Fatal,
    }
}

/// Gives the directories of a run their final modes and times with `settle` ([`DirMirror::finish`]
/// after a complete run, [`DirMirror::abandon`] after one that stopped early); one that fails
/// makes a successful run fail.
async fn finish_dirs(
    dirs: DirMirror,
    code: ExitCode,
    settle: fn(&DirMirror) -> Vec<String>,
) -> ExitCode {
    let finished = tokio::task::spawn_blocking(move || {
        let errors = settle(&dirs);
        for error in &errors {
            eprintln!("{error}");
        }
        errors.is_empty()
    })
    .await;
    match (finished, code) {
        (Ok(true), code) => code,
        (_, ExitCode::Success) => ExitCode::Failure,
        (_, code) => code,
    }
}

/// Whether the output at `dest` is a finished output of this input: it exists with the input's
/// modification time (set on every output when it is committed). Blocking.
fn up_to_date(dest: &Option<PathBuf>, input: &SourceMeta) -> bool {
    let Some(dest) = dest else { return false };
    let Some(input_time) = input.modified else {
        return false;
    };
    std::fs::metadata(dest)
        .ok()
        .filter(std::fs::Metadata::is_file)
        .and_then(|meta| meta.modified().ok())
        .is_some_and(|output_time| output_time == input_time)
}

/// What the pool receives: a file to convert, or an entry to report as it is.
pub enum Planned {
    /// Convert `input` into `output`.
    Convert(Task),
    /// Nothing to run: report this (a skip or a walk error).
    Report(FileReport),
}

/// One file to convert.
#[derive(Debug, Clone)]
pub struct Task {
    /// Where the bytes come from.
    pub input: Input,
    /// How messages name the input.
    pub display: PathBuf,
    /// Where the bytes go.
    pub output: Output,
}

/// Where one file's converted bytes go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// An atomic output file at this path. With `rename`, the name is ours to choose: it follows
    /// the file's format (`--to`); otherwise the user named the file and it is kept.
    File { path: PathBuf, rename: bool },
    /// Standard output.
    Stdout,
}

type Items = Pin<Box<dyn Stream<Item = Planned> + Send>>;

/// The stream of work: the walker's entries for a directory (with the walker thread's handle),
/// or one task for a file or stdin.
fn planned_items(
    config: &Arc<ConvertConfig>,
    walk: Option<crate::walk::WalkConfig>,
    roots: Vec<walk::Root>,
    found: Arc<AtomicU64>,
) -> anyhow::Result<(Items, Option<JoinHandle<()>>)> {
    let single = |input: Input, display: PathBuf| -> (Items, Option<JoinHandle<()>>) {
        let name = display.file_name().map(Path::new);
        let task = Task {
            input,
            output: output_for(&config.dest, &display, name),
            display,
        };
        found.store(1, Ordering::Relaxed);
        (Box::pin(tokio_stream::iter([Planned::Convert(task)])), None)
    };
    match (&config.source, walk) {
        (Source::Dir(_), Some(walk)) => {
            let (tx, rx) = mpsc::channel(walk::ENTRY_QUEUE);
            let walker = walk::spawn(walk, tx).context("cannot start the walker")?;
            let config = config.clone();
            let items =
                walk::EntryStream::counted(rx, found).map(move |entry| plan(&config.dest, entry));
            Ok((Box::pin(items), Some(walker)))
        }
        (Source::Dir(_), None) => bail!("internal error: a directory source without a walk"),
        (Source::Several(_), _) => {
            let (tx, rx) = mpsc::channel(walk::ENTRY_QUEUE);
            let walker = walk::spawn_roots(roots, tx).context("cannot start the walker")?;
            let config = config.clone();
            let items =
                walk::EntryStream::counted(rx, found).map(move |entry| plan(&config.dest, entry));
            Ok((Box::pin(items), Some(walker)))
        }
        (Source::File(path), _) => {
            match crate::walk::named_file_verdict(path, config.file_filter) {
                // Not selected: said as for a listed file, since the user named it.
                Some(reason) => {
                    let report = FileReport {
                        path: path.clone(),
                        output: None,
                        outcome: Outcome::Skipped(reason),
                        removed: None,
                    };
                    found.store(1, Ordering::Relaxed);
                    Ok((
                        Box::pin(tokio_stream::iter([Planned::Report(report)])),
                        None,
                    ))
                }
                None => Ok(single(Input::Path(path.clone()), path.clone())),
            }
        }
        (Source::Stream(path), _) => Ok(single(Input::Stream(path.clone()), path.clone())),
    }
}

/// Reports for the items `items` holds ready (at most what the walker's queue holds): files the
/// run found but never started.
fn not_started(mut items: Items) -> Vec<FileReport> {
    let most = (walk::ENTRY_QUEUE + 1) * walk::TREE_BATCH;
    pipeline::ready_items(&mut items, most)
        .into_iter()
        .map(|item| {
            let (path, output) = match item {
                Planned::Convert(task) => (task.display, None),
                // A skip or failure the walker found is what it is, started or not.
                Planned::Report(report) => return report,
            };
            FileReport {
                path,
                output,
                outcome: Outcome::NotStarted,
                removed: None,
            }
        })
        .collect()
}

/// A walker that panicked ended the stream early: the run must not look complete. Only a finished
/// thread is joined (after an interruption the walker may still be blocked reading a list).
fn walker_failure(walker: JoinHandle<()>, source: &Source) -> Option<FileReport> {
    if !walker.is_finished() || walker.join().is_ok() {
        return None;
    }
    let path = match source {
        Source::Dir(root) => root.clone(),
        Source::Several(paths) => paths.first().cloned().unwrap_or_default(),
        _ => PathBuf::from("-"),
    };
    let error = anyhow!("internal error: the walker crashed; the walk is incomplete");
    Some(FileReport {
        path,
        output: None,
        outcome: Outcome::Failed(error),
        removed: None,
    })
}

fn plan(dest: &Dest, entry: Entry) -> Planned {
    match entry {
        Entry::File { path, rel } => Planned::Convert(Task {
            output: output_for(dest, &path, Some(&rel)),
            input: Input::Path(path.clone()),
            display: path,
        }),
        Entry::Skipped { path, reason } => Planned::Report(FileReport {
            path,
            output: None,
            outcome: Outcome::Skipped(reason),
            removed: None,
        }),
        Entry::Failed { path, error } => Planned::Report(FileReport {
            path,
            output: None,
            outcome: Outcome::Failed(error),
            removed: None,
        }),
    }
}

/// The output of the file at `input`, `rel` below the source root (for a single file, its
/// name; `None` for stdin); in place, beside the input.
fn output_for(dest: &Dest, input: &Path, rel: Option<&Path>) -> Output {
    match (dest, rel) {
        (Dest::InPlace, _) => Output::File {
            path: input.to_path_buf(),
            rename: true,
        },
        (Dest::Dir(dir), Some(rel)) => Output::File {
            path: dir.join(rel),
            rename: true,
        },
        (Dest::Dir(dir), None) | (Dest::File(dir), _) => Output::File {
            path: dir.clone(),
            rename: false,
        },
        (Dest::Stdout, _) => Output::Stdout,
    }
}

/// The stages of a file, or of a block of one that starts after `first_line` lines: line
/// transforms first, then line endings (so that transforms see the terminators as they came,
/// and `--eol` writes every terminator that is left).
fn chain_for(config: &ConvertConfig, first_line: u64) -> Chain {
    Chain::of(config.lines.as_ref(), config.eol, first_line)
}

/// What a file cut into blocks goes through: its output's block form (none for plain output)
/// and its stages (none without transforms).
struct BlockParts {
    codec: Option<Arc<dyn blocks::BlockCodec>>,
    chain: Option<blocks::ChainFactory>,
}

/// Why a file did not complete, as far as the caller needs to tell.
#[derive(Debug)]
enum FileError {
    /// The run was interrupted.
    Cancelled,
    /// `--incremental`: the output is already there.
    UpToDate,
    /// Not converted, on purpose (`--in-place`: the file has its output's name already).
    Skipped(SkipReason),
    /// Standard output was closed by its reader.
    BrokenPipe,
    /// The file failed; the chain says why.
    Failed(anyhow::Error),
}

impl From<anyhow::Error> for FileError {
    fn from(error: anyhow::Error) -> Self {
        let broken_pipe = error.chain().any(|cause| {
            cause
                .downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
        });
        if broken_pipe {
            FileError::BrokenPipe
        } else {
            FileError::Failed(error)
        }
    }
}

/// The per-file job of `convert`.
struct Converter {
    config: Arc<ConvertConfig>,
    cancel: CancellationToken,
    outputs: OutputOptions,
    /// `--incremental --manifest`: the manifest lines of outputs found up to date.
    up_to_date: Option<Arc<UpToDate>>,
}

impl Converter {
    /// Keeps the manifest line of a file skipped as up to date (`--incremental --manifest`); an
    /// output that cannot be hashed for it fails the file, as the manifest would miss it.
    fn keep_line(&self, mut report: FileReport) -> FileReport {
        if let (Some(up_to_date), Outcome::Skipped(SkipReason::UpToDate), Some(output)) =
            (&self.up_to_date, &report.outcome, &report.output)
        {
            if let Err(error) = up_to_date.keep(output) {
                report.outcome = Outcome::Failed(error);
            }
        }
        report
    }
}

impl Converter {
    /// `--in-place`: removes the input of a file whose output is committed and synced, unless
    /// `--keep`. `None` when nothing is to be removed (an output found up to date by
    /// `--incremental` included); an error fails the file, and the input stays.
    ///
    /// The input goes only if it is still the file that was converted: the same inode, size and
    /// modification time as when it was opened (a log appended to, or replaced by its rotation,
    /// in the meantime is kept). After the unlink the directory is synced, so that a removal
    /// that was reported stays done after a crash. (Never neither: the output and its
    /// directory entry are on disk before the unlink is even asked for; a crash before the
    /// directory's sync can only bring the input back beside its output.) Blocking.
    fn remove_input(
        &self,
        task: &Task,
        job: &FileJob,
        converted: &Result<Converted, FileError>,
    ) -> Option<anyhow::Result<()>> {
        self.config.in_place.filter(|in_place| in_place.remove)?;
        let Input::Path(input) = &task.input else {
            return None;
        };
        let output = job.destination(task)?;
        if output == *input {
            return None;
        }
        let removed = match converted {
            Ok((_, _, opened)) => unchanged_since(input, opened)
                .and_then(|()| remove_and_sync(input))
                .map_err(|error| {
                    error.context(format!(
                        "written to {}, but the input is kept",
                        crate::report::escape_path(&output)
                    ))
                }),
            // An output found up to date keeps its input: its time alone cannot prove that it
            // holds this input (an earlier run may have filtered it; it may be a link).
            Err(_) => return None,
        };
        Some(removed)
    }
}

/// Fails unless the file at `path` is still the one described by `opened`: same device and
/// inode, size and modification time. Blocking.
fn unchanged_since(path: &Path, opened: &SourceMeta) -> anyhow::Result<()> {
    let now = SourceMeta::from_metadata(&std::fs::metadata(path).context("cannot read metadata")?);
    let same = (now.dev, now.ino, now.len, now.modified)
        == (opened.dev, opened.ino, opened.len, opened.modified);
    if !same {
        bail!("it changed while it was converted (the output holds it as it was when opened)");
    }
    Ok(())
}

/// Unlinks `path`, then syncs its directory so that the removal is on disk. Blocking.
fn remove_and_sync(path: &Path) -> anyhow::Result<()> {
    std::fs::remove_file(path).context("cannot remove it")?;
    sync_dir_of(path)
}

fn sync_dir_of(path: &Path) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|dir| !dir.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::File::open(dir)
        .and_then(|dir| dir.sync_all())
        .with_context(|| format!("cannot sync {}", dir.display()))
}

impl Work for Converter {
    type Item = Planned;
    type Outcome = FileReport;

    fn start(&self, item: Planned, lane: &dyn LaneHandle) -> FileReport {
        let task = match item {
            Planned::Report(report) => return report,
            Planned::Convert(task) => task,
        };
        let started = std::time::Instant::now();
        // --timeout counts from when the file was taken (retries included).
        let deadline = FileDeadline::start(&self.cancel, started, self.config.timeout);
        let job = FileJob {
            started,
            config: self.config.clone(),
            cancel: deadline.token().clone(),
            outputs: self.outputs.clone(),
        };
        if self.config.dry_run {
            return job.plan(task);
        }
        let mut retried = 0;
        loop {
            let converted = match job.attempt(&task, lane) {
                Err(FileError::Cancelled) => match deadline.timed_out() {
                    Some(error) => Err(FileError::Failed(error)),
                    None => Err(FileError::Cancelled),
                },
                converted => converted,
            };
            // Standard input cannot be read again, nor standard output taken back: no retry.
            let retryable = !task.input.is_stream() && task.output != Output::Stdout;
            match &converted {
                Err(FileError::Failed(error))
                    if retryable
                        && retried < self.config.retries
                        && crate::input::is_transient(error) =>
                {
                    retried += 1;
                    let retry = (retried, self.config.retries);
                    let first = self.config.retry_delay;
                    if !input::wait_before_retry(&task.display, retry, first, error, &job.cancel) {
                        let stopped = deadline
                            .timed_out()
                            .map_or(FileError::Cancelled, FileError::Failed);
                        return job.report(task, Err(stopped));
                    }
                }
                _ => {
                    let removal = self.remove_input(&task, &job, &converted);
                    let mut report = self.keep_line(job.report(task, converted));
                    match removal {
                        Some(Ok(())) => report.removed = Some(true),
                        Some(Err(error)) => report.outcome = Outcome::Failed(error),
                        None => {}
                    }
                    return report;
                }
            }
        }
    }

    fn label(&self, item: &Planned) -> String {
        match item {
            Planned::Convert(task) => task.display.display().to_string(),
            Planned::Report(report) => report.path.display().to_string(),
        }
    }

    fn halts(&self, outcome: &FileReport) -> bool {
        self.config.fail_fast && matches!(outcome.outcome, Outcome::Failed(_))
    }

    fn crashed(&self, label: String, cause: &str) -> FileReport {
        FileReport {
            path: label.into(),
            output: None,
            outcome: Outcome::Failed(anyhow!("internal error: the worker crashed: {cause}")),
            removed: None,
        }
    }
}

/// Everything one file's task needs, owned so that its streaming future is `'static`.
struct FileJob {
    /// When the file was taken (for `--json`'s `ms`).
    started: std::time::Instant,
    config: Arc<ConvertConfig>,
    /// The file's token (the run's, or under `--timeout` its own: see [`FileDeadline`]),
    /// looked at between chunks of work and waited on wherever the file waits.
    cancel: CancellationToken,
    outputs: OutputOptions,
}

/// A file after the open trip: its raw reader, metadata, output and what to do with it.
struct OpenFile {
    raw: Reader,
    meta: SourceMeta,
    sink: Sink,
    /// Known once the first bytes are seen: for files in the open trip, for stdin after a peek.
    plan: Option<FilePlan>,
    /// Large enough (or a stream) to be worked on in blocks, if its plan has a block form.
    parallel: bool,
}

/// A file's counts, the path it was written to (which `--to` may rename), and what its input
/// was when opened.
type Converted = (FileStats, Option<PathBuf>, SourceMeta);

/// What the open trip achieved.
enum Opening {
    /// The file was converted (or failed) there and then.
    Finished(Result<Converted, FileError>),
    /// The file is open; it is streamed on the runtime.
    Stream(OpenedParts),
}

/// A file as the open trip leaves it for streaming: input, metadata, plan, temp output (none for
/// stdout).
struct OpenedParts {
    source: Opened,
    meta: SourceMeta,
    plan: Option<FilePlan>,
    temp: Option<TempFile>,
}

impl FileJob {
    /// The report of a file from how its conversion ended. It names the output the file was
    /// written to, or would have been (a failed or skipped file too).
    fn report(&self, task: Task, converted: Result<Converted, FileError>) -> FileReport {
        let (outcome, written) = match converted {
            Ok((stats, written, _)) => (Outcome::Done(stats), written),
            Err(FileError::Cancelled) => (Outcome::Cancelled, None),
            Err(FileError::UpToDate) => (Outcome::Skipped(SkipReason::UpToDate), None),
            Err(FileError::Skipped(reason)) => (Outcome::Skipped(reason), None),
            Err(FileError::BrokenPipe) => (Outcome::BrokenPipe, None),
            Err(FileError::Failed(error)) => (Outcome::Failed(error), None),
        };
        let output = written.or_else(|| self.destination(&task));
        FileReport {
            path: task.display,
            output,
            outcome,
            removed: self.config.in_place.map(|_| false),
        }
    }

    /// Runs an opened file through decoder, stage chain and encoder into its sink, then commits
    /// the output (or discards it on any error).
    async fn process(&self, task: &Task, open: OpenFile) -> Result<Converted, FileError> {
        let OpenFile {
            raw,
            meta,
            mut sink,
            plan,
            parallel,
        } = open;
        let raw_in = Arc::new(AtomicU64::new(0));
        let raw: Reader = Box::new(CountingReader {
            inner: raw,
            count: raw_in.clone(),
        });
        let (raw, plan) = match plan {
            Some(plan) => (raw, plan),
            None => self.plan_stdin(raw).await?,
        };
        let dest = sink.dest().map(Path::to_path_buf);
        let mut reader = match plan.decode {
            Some(format) => codec::decoder(format, raw, Some(meta.len).filter(|&len| len > 0)),
            None => raw,
        };
        let mut chain = self.chain();
        let mut written = 0;
        let hashed = self.config.manifest.is_some() || self.config.json;
        let mut hasher = hashed.then(blake3::Hasher::new);
        let mut output = KeepOpen {
            inner: sink.writer(),
            written: &mut written,
            hasher: hasher.as_mut(),
        };
        let block_parts = self.block_parts(&plan, parallel);
        let mut block_lines = None;
        let pumped = async {
            if let Some(parts) = block_parts {
                let lines = self
                    .pump_blocks(&mut reader, parts, &mut output, plan.decode)
                    .await?;
                block_lines = lines;
                return Ok(());
            }
            match plan.encode {
                None => {
                    self.pump(&mut reader, &mut chain, &mut output, plan.decode)
                        .await
                }
                Some((format, level)) => {
                    let size = Some(meta.len).filter(|&len| len > 0 && !task.input.is_stream());
                    let mut encoder = codec::encoder(format, level, size, output);
                    match self
                        .pump(&mut reader, &mut chain, &mut encoder, plan.decode)
                        .await
                    {
                        // Exactly once: this writes the format's trailer.
                        Ok(()) => self.finish_encoder(&mut encoder).await,
                        Err(error) => Err(error),
                    }
                }
            }
        };
        // --timeout stops the pumping (through `self.cancel`, the file's own token); the commit
        // is never cut short, so an output renamed into place is reported as written.
        let result = pumped.await;
        drop(reader);
        let result = result.and_then(|()| {
            let consumed = raw_in.load(Ordering::Relaxed);
            match plan.decode {
                // A decoder that stopped before the end of the file left data it does not
                // understand: trailing garbage is an error, never dropped silently.
                Some(format) if !task.input.is_stream() && consumed < meta.len => {
                    Err(FileError::Failed(anyhow!(
                        "trailing data after the {} stream ({} bytes)",
                        format.name(),
                        meta.len - consumed
                    )))
                }
                _ => Ok(()),
            }
        });
        match result {
            Ok(()) => {
                let stats = FileStats {
                    bytes_in: raw_in.load(Ordering::Relaxed),
                    bytes_out: written,
                    lines: block_lines.or_else(|| chain.line_counts()),
                    hash: hasher.map(|hasher| hasher.finalize()),
                    elapsed: self.started.elapsed(),
                };
                sink.commit(meta, self.outputs.fsync).await?;
                Ok((stats, dest, meta))
            }
            Err(error) => {
                sink.discard().await;
                Err(error)
            }
        }
    }

    /// Whether the stage chain changes bytes (then a kept format must still be decoded).
    fn transforms(&self) -> bool {
        self.config.transforms()
    }

    /// The file's stages (see [`chain_for`]).
    fn chain(&self) -> Chain {
        chain_for(&self.config, 0)
    }

    /// How a large file is cut into blocks worked on side by side (see [`crate::blocks`]):
    /// the block form of its output format, and its stages. `None` when it streams on one
    /// thread: `--threads 1`, a file below the threshold, an output format without a block
    /// form (brotli, lzma), or nothing to do but decode.
    fn block_parts(&self, plan: &FilePlan, parallel: bool) -> Option<BlockParts> {
        if !parallel || self.config.threads < 2 {
            return None;
        }
        let codec = match plan.encode {
            Some((format, level)) => Some(blocks::codec(format, level)?),
            None => None,
        };
        let chain = self.transforms().then(|| {
            let config = self.config.clone();
            Arc::new(move |first_line| chain_for(&config, first_line)) as blocks::ChainFactory
        });
        (codec.is_some() || chain.is_some()).then_some(BlockParts { codec, chain })
    }

    /// Standard input has no first chunk yet: peek at its magic bytes when the plan needs them.
    async fn plan_stdin(&self, raw: Reader) -> Result<(Reader, FilePlan), FileError> {
        let codec = &self.config.codec;
        // Detection matters only when a compressed input would be handled differently.
        let transforms = self.transforms();
        let needs_magic = codec.decoding == Decoding::Auto
            && codec.plan(None, transforms) != codec.plan(Some(Format::Gzip), transforms);
        if !needs_magic {
            return Ok((raw, codec.plan(codec.detect(&[], None), self.transforms())));
        }
        let peeked = input::peek_magic(raw, &self.cancel)
            .await
            .context("read error")?;
        let Some((raw, prefix)) = peeked else {
            return Err(FileError::Cancelled);
        };
        Ok((
            raw,
            codec.plan(codec.detect(&prefix, None), self.transforms()),
        ))
    }

    async fn finish_encoder(
        &self,
        encoder: &mut (dyn AsyncWrite + Unpin + Send + '_),
    ) -> Result<(), FileError> {
        let _cpu = self.cancellable(cpu::acquire()).await?;
        let done = self.cancellable(encoder.shutdown()).await?;
        Ok(done.context("write error")?)
    }

    /// Opens the input, reads its first chunk, decides the file's plan and output name from it,
    /// and creates the output. Runs on a pool lane (a blocking-pool thread). A file that fits in
    /// that first chunk is then converted and committed on the same thread: a small file costs
    /// no hand-off between threads, and its CPU work (decoding, encoding) stays off the runtime
    /// workers. A larger file goes back to the runtime to be streamed through `tokio::fs`.
    fn open(&self, task: &Task) -> Result<Opening, FileError> {
        if self.cancel.is_cancelled() {
            return Err(FileError::Cancelled);
        }
        let codec = self.config.codec;
        let (source, meta, plan, archived) = match &task.input {
            Input::Path(path) => {
                let (file, meta) = open_source(path)?;
                self.in_place_check(path, &self.destination(task), &meta)?;
                if self.config.incremental && up_to_date(&self.destination(task), &meta) {
                    return Err(FileError::UpToDate);
                }
                self.refuse_existing(path, &self.destination(task))?;
                let archived = match self.config.archive {
                    true => {
                        Some(Archived::read(&file).context("cannot read owner and attributes")?)
                    }
                    false => None,
                };
                let source = Opened::read_first_chunk(file, meta.len)?;
                let detected = codec.detect(source.prefix(), path.file_name());
                let plan = codec.plan(detected, self.transforms());
                (source, meta, Some(plan), archived)
            }
            Input::Stream(path) => {
                let Some(stream) = input::open_stream(path, &self.cancel)? else {
                    return Err(FileError::Cancelled);
                };
                (Opened::Stream(stream), SourceMeta::for_stdin(), None, None)
            }
        };
        let temp = match self.destination(task) {
            Some(dest) => Some(
                TempFile::create(&dest, meta.mode, &self.outputs_for(task, &dest))?
                    .keeping(archived),
            ),
            None => None,
        };
        if let Some(stall) = self.config.test_stall {
            std::thread::sleep(stall); // test seam: a hung file system (see config)
        }
        match (source, temp) {
            (Opened::Whole(chunk), Some(temp)) => {
                let open = OpenFile {
                    raw: Box::new(Cursor::new(chunk)),
                    meta,
                    sink: Sink::Blocking(temp.into_blocking(buffer_size(Some(meta.len)))),
                    plan,
                    parallel: false,
                };
                // Every read and write below completes at once (memory in, blocking file out),
                // so the future never waits on I/O; `block_on` still lets cancellation and the
                // test delay use the runtime's timers and wake-ups.
                let converted = Handle::current().block_on(self.process(task, open));
                Ok(Opening::Finished(converted))
            }
            (source, temp) => Ok(Opening::Stream(OpenedParts {
                source,
                meta,
                plan,
                temp,
            })),
        }
    }

    /// One try at converting `task`, on this lane: a small file is finished in the open trip, a
    /// larger one streamed from here. Blocking.
    fn attempt(&self, task: &Task, lane: &dyn LaneHandle) -> Result<Converted, FileError> {
        match self.open(task)? {
            Opening::Finished(converted) => converted,
            Opening::Stream(opened) => {
                // A large file may take minutes: what the lane has done is reported first.
                lane.flush();
                Handle::current().block_on(self.process(task, self.streaming(opened)))
            }
        }
    }

    /// `--dry-run`: what would become of `task`, without opening it. Blocking (one `stat`, two
    /// with `--incremental`).
    fn plan(&self, task: Task) -> FileReport {
        let destination = self.destination(&task);
        let outcome = match &task.input {
            Input::Path(path) => match std::fs::metadata(path) {
                Err(error) => Outcome::Failed(anyhow::Error::new(error).context("cannot open")),
                Ok(meta) if !meta.is_file() => Outcome::Failed(anyhow!("not a regular file")),
                Ok(meta) => self.plan_file(path, &destination, &SourceMeta::from_metadata(&meta)),
            },
            Input::Stream(_) => Outcome::Planned { bytes: 0 },
        };
        // In place, an input would be removed once written, or found up to date.
        let removes = self.config.in_place.is_some_and(|in_place| in_place.remove);
        let removed = match &outcome {
            Outcome::Planned { .. } | Outcome::Skipped(SkipReason::UpToDate) => removes,
            _ => false,
        };
        FileReport {
            path: task.display,
            output: destination,
            outcome,
            removed: self.config.in_place.map(|_| removed),
        }
    }

    /// The output options of `task`, written to `dest`: in place, a file rewritten under its
    /// own name (`--to keep` with a transform) replaces itself, `--force` or not.
    fn outputs_for(&self, task: &Task, dest: &Path) -> OutputOptions {
        let own_name = matches!(&task.input, Input::Path(path) if path == dest);
        OutputOptions {
            replace: self.outputs.replace || own_name,
            ..self.outputs.clone()
        }
    }

    /// `--dry-run`: what would become of the file at `path`, of metadata `meta`, decided as
    /// the run would decide it. Blocking.
    fn plan_file(&self, path: &Path, destination: &Option<PathBuf>, meta: &SourceMeta) -> Outcome {
        let checked = self.in_place_check(path, destination, meta).and_then(|()| {
            match self.config.incremental && up_to_date(destination, meta) {
                true => Err(FileError::UpToDate),
                false => self.refuse_existing(path, destination),
            }
        });
        match checked {
            Ok(()) => Outcome::Planned { bytes: meta.len },
            Err(FileError::UpToDate) => Outcome::Skipped(SkipReason::UpToDate),
            Err(FileError::Skipped(reason)) => Outcome::Skipped(reason),
            Err(FileError::Failed(error)) => Outcome::Failed(error),
            Err(FileError::Cancelled | FileError::BrokenPipe) => Outcome::Cancelled,
        }
    }

    /// `--in-place`: refuses what must not be converted beside itself, before any work: a file
    /// that has its output's name already (with `--to` a format; with `--to keep` and a
    /// transform, each file is rewritten under its own name and never removed), and, when
    /// inputs are removed, a file with other hard links (removing one name would not free its
    /// data, and the other names would still show the old content), as gzip refuses it.
    fn in_place_check(
        &self,
        path: &Path,
        destination: &Option<PathBuf>,
        meta: &SourceMeta,
    ) -> Result<(), FileError> {
        let Some(in_place) = self.config.in_place else {
            return Ok(());
        };
        // Only `--to keep` rewrites a file under its own name (with a transform: the config
        // refuses it without).
        let keeps_format = self.config.codec.encoding == codec::Encoding::Keep;
        if destination.as_deref() == Some(path) && !keeps_format {
            return Err(FileError::Skipped(SkipReason::OwnOutput));
        }
        let removes = in_place.remove && destination.as_deref() != Some(path);
        if removes && meta.nlink > 1 {
            return Err(FileError::Failed(anyhow!(
                "has {} other hard links: removing this name would not free its data \
                 (not converted in place; --keep converts it and keeps it)",
                meta.nlink - 1
            )));
        }
        // -L, or a link named on the command line: unlinking it would leave its file in place.
        let link = std::fs::symlink_metadata(path).is_ok_and(|meta| meta.file_type().is_symlink());
        if removes && link {
            return Err(FileError::Failed(anyhow!(
                "is a symbolic link: removing it would not remove its file (not converted in \
                 place; --keep converts the file it points to and keeps both)"
            )));
        }
        Ok(())
    }

    /// `--in-place` without `--force`: an output name that exists already fails the file, and
    /// both files are kept (as zstd does without -f). Checked before the work, to fail early;
    /// the commit checks again, atomically (see `OutputOptions::replace`). Blocking.
    fn refuse_existing(&self, path: &Path, destination: &Option<PathBuf>) -> Result<(), FileError> {
        let (Some(in_place), Some(dest)) = (self.config.in_place, destination) else {
            return Ok(());
        };
        if in_place.replace || dest == path || std::fs::symlink_metadata(dest).is_err() {
            return Ok(());
        }
        Err(FileError::Failed(anyhow!(
            "{} already exists (use --force to replace it)",
            crate::report::escape_path(dest)
        )))
    }

    /// The final path of a task's output (`None` for stdout): named after the input's name when
    /// the name is ours to choose.
    fn destination(&self, task: &Task) -> Option<PathBuf> {
        match &task.output {
            Output::File { path, rename: true } => {
                let name = path.file_name().unwrap_or_default();
                Some(path.with_file_name(self.config.codec.output_name(name)))
            }
            Output::File { path, .. } => Some(path.clone()),
            Output::Stdout => None,
        }
    }

    /// Wraps what the open trip left for async streaming: the rest of the input through a large
    /// `BufReader` over `tokio::fs::File` (one blocking hop moves up to 1 MiB), the output through
    /// a `BufWriter`.
    fn streaming(&self, opened: OpenedParts) -> OpenFile {
        let OpenedParts {
            source,
            meta,
            plan,
            temp,
        } = opened;
        let stream = matches!(source, Opened::Stream(_));
        let buffer = buffer_size((!stream).then_some(meta.len));
        let raw: Reader = match source {
            Opened::Whole(chunk) => Box::new(Cursor::new(chunk)),
            Opened::Partial(chunk, file) => {
                // A file is read up to the size it had when opened (a snapshot, like tar):
                // consistent with the modification time its output gets, and no extra trip to
                // confirm the end. Size 0 means unknown (`/proc`): read to the end.
                let left = meta.len.saturating_sub(chunk.len() as u64);
                let limit = (meta.len > 0).then_some(left);
                let rest = Prefetch::new(file, buffer, limit);
                Box::new(tokio::io::AsyncReadExt::chain(Cursor::new(chunk), rest))
            }
            Opened::Stream(stream) => stream,
        };
        let sink = match temp {
            Some(temp) => Sink::File(temp.into_async(buffer)),
            None => Sink::Stdout(tokio::io::stdout()),
        };
        // A compressed input decodes to several times its size.
        let threshold = match (
            self.config.test_block_size,
            plan.and_then(|plan| plan.decode),
        ) {
            (Some(size), _) => size as u64,
            (None, Some(_)) => blocks::BLOCK_THRESHOLD / 4,
            (None, None) => blocks::BLOCK_THRESHOLD,
        };
        OpenFile {
            raw,
            meta,
            sink,
            plan,
            parallel: stream || meta.len >= threshold,
        }
    }

    /// Streams the input through the chain into the writer, chunk by chunk, until the end.
    /// Read errors are described in terms of the format being decoded, if any. (Byte counts
    /// for the summary are raw ones, kept by `CountingReader` and `KeepOpen`.)
    async fn pump(
        &self,
        reader: &mut Reader,
        chain: &mut Chain,
        writer: &mut (dyn AsyncWrite + Unpin + Send + '_),
        decoding: Option<Format>,
    ) -> Result<(), FileError> {
        let mut decoded = 0;
        let mut transformed = Vec::new();
        loop {
            // A chunk's reading, decoding, transforms and encoding are CPU work: one permit.
            let cpu = self.cancellable(cpu::acquire()).await?;
            let chunk = self
                .cancellable(reader.fill_buf())
                .await?
                .map_err(|error| codec::describe_read_error(decoding, error, decoded))?;
            if chunk.is_empty() {
                break;
            }
            let consumed = chunk.len();
            decoded += consumed as u64;
            let bytes = if chain.is_passthrough() {
                chunk
            } else {
                transformed.clear();
                chain.process(chunk, &mut transformed)?;
                &transformed
            };
            self.write(writer, bytes).await?;
            reader.consume(consumed);
            drop(cpu);
            self.test_delay().await?;
        }
        let _cpu = self.cancellable(cpu::acquire()).await?;
        transformed.clear();
        chain.finish(&mut transformed)?;
        self.write(writer, &transformed).await
    }

    /// Streams the input through the chain and the encoder in blocks worked on side by side
    /// (see [`crate::blocks`]), writing their results in order; returns the line counts of
    /// the blocks' transforms. Reading (and decoding) stays on this lane, holding a CPU permit
    /// while it decodes.
    async fn pump_blocks(
        &self,
        reader: &mut Reader,
        parts: BlockParts,
        writer: &mut (dyn AsyncWrite + Unpin + Send + '_),
        decoding: Option<Format>,
    ) -> Result<Option<LineCounts>, FileError> {
        let BlockParts { codec, chain } = parts;
        let cut_lines = chain.is_some();
        let size = self.config.test_block_size.unwrap_or_else(|| {
            codec
                .as_ref()
                .map_or(blocks::BLOCK_SIZE, |codec| codec.block_size())
        });
        let window = Engine::window(self.config.threads, size);
        let mut engine = Engine::new(codec, chain, (window, size), self.cancel.clone());
        let lines = self.config.lines.as_ref();
        let max_line = lines.map_or(u64::MAX, |lines| lines.max_line.bytes);
        let mut cutter = BlockReader::new(size, cut_lines, max_line).with_spares(engine.spares());
        self.write(writer, &engine.header()).await?;
        let (mut lines_before, mut blocks) = (0, 0u64);
        loop {
            let decoding_permit = match decoding {
                Some(_) => Some(self.cancellable(cpu::acquire()).await?),
                None => None,
            };
            let read = self.cancellable(cutter.next(reader)).await?;
            drop(decoding_permit);
            let block =
                read.map_err(|error| codec::describe_read_error(decoding, error, cutter.decoded))?;
            let block = match block {
                Some(block) => block,
                None if blocks == 0 && engine.needs_a_block() => Vec::new(),
                None => break,
            };
            blocks += 1;
            let first_line = lines_before;
            if lines.is_some() {
                lines_before += crate::transform::lines::count_lines(&block);
            }
            self.cancellable(engine.submit(block, first_line)).await?;
            while engine.is_full() || engine.head_is_done() {
                self.write_next_block(&mut engine, writer).await?;
            }
            self.test_delay().await?;
        }
        while self.write_next_block(&mut engine, writer).await? {}
        let trailer = engine.trailer().context("write error")?;
        self.write(writer, &trailer).await?;
        Ok(engine.line_counts())
    }

    /// Writes the oldest block once it is done; `false` when none was in flight.
    async fn write_next_block(
        &self,
        engine: &mut Engine,
        writer: &mut (dyn AsyncWrite + Unpin + Send + '_),
    ) -> Result<bool, FileError> {
        let Some(done) = self.cancellable(engine.next()).await? else {
            return Ok(false);
        };
        let bytes = done?;
        self.write(writer, &bytes).await?;
        engine.give_back(bytes);
        Ok(true)
    }

    /// `work`, unless the file's token fires first.
    async fn cancellable<T>(&self, work: impl Future<Output = T>) -> Result<T, FileError> {
        tokio::select! {
            biased;
            () = self.cancel.cancelled() => Err(FileError::Cancelled),
            done = work => Ok(done),
        }
    }

    /// Writes `bytes` in pieces of [`WRITE_PIECE`], looking at the cancellation token (Ctrl-C,
    /// `--timeout`) before each one.
    async fn write(
        &self,
        writer: &mut (dyn AsyncWrite + Unpin + Send + '_),
        bytes: &[u8],
    ) -> Result<(), FileError> {
        for piece in bytes.chunks(WRITE_PIECE) {
            let written = self.cancellable(writer.write_all(piece)).await?;
            written.context("write error")?;
        }
        Ok(())
    }

    /// The test-only slowdown (see `config::TEST_DELAY_ENV`); cancellation cuts it short.
    async fn test_delay(&self) -> Result<(), FileError> {
        let Some(delay) = self.config.test_delay else {
            return Ok(());
        };
        self.cancellable(tokio::time::sleep(delay)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_mirror_the_relative_layout() {
        let dir = Dest::Dir("out".into());
        assert_eq!(
            output_for(&dir, Path::new("in/a/b.log"), Some(Path::new("a/b.log"))),
            Output::File {
                path: "out/a/b.log".into(),
                rename: true
            }
        );
        assert_eq!(
            output_for(&Dest::File("x.log".into()), Path::new("in.log"), None),
            Output::File {
                path: "x.log".into(),
                rename: false
            }
        );
        assert_eq!(
            output_for(&Dest::Stdout, Path::new("-"), None),
            Output::Stdout
        );
        assert_eq!(
            output_for(
                &Dest::InPlace,
                Path::new("in/a.log"),
                Some(Path::new("a.log"))
            ),
            Output::File {
                path: "in/a.log".into(),
                rename: true
            },
            "in place, beside the input whatever its path below IN"
        );
    }
}
