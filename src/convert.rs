//! `asyncfiles convert`: wires the walker, the pool and the reporter together, and holds the
//! per-file job (open, stream through the chain, commit atomically).
//!
//! One file's life: open the input and create the temp output in a single trip to the blocking
//! pool; read it through a large `BufReader` over `tokio::fs::File` (one blocking hop moves up to
//! 1 MiB); run each chunk through the stage [`Chain`]; write through a `BufWriter`; then commit
//! (mode, times, rename) in one more blocking trip. Any failure discards the temp file.

use std::fs::{File, OpenOptions};
use std::io::{Cursor, Read as _};
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::thread::JoinHandle;

use anyhow::{Context, anyhow, bail};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;
use tokio::task::JoinError;
use tokio_stream::{Stream, StreamExt};
use tokio_util::sync::CancellationToken;

use crate::config::{ConvertConfig, Dest, Source};
use crate::interrupt::Interrupt;
use crate::output::{OutputOptions, Sink, SourceMeta, TempFile, TempRegistry};
use crate::pipeline::{self, Work};
use crate::report::{ExitCode, FileReport, FileStats, Outcome, ReportOptions, Reporter};
use crate::transform::Chain;
use crate::walk::{self, Entry, Input};

/// Batches of entries (of up to `walk::TREE_BATCH`) buffered between the walker and the pool.
const ENTRY_QUEUE: usize = 4;
/// Outcomes buffered between the pool and the reporter.
const REPORT_QUEUE: usize = 64;
/// Smallest and largest I/O buffer per file. Every `tokio::fs` call is a trip to the blocking
/// pool, so a trip should move as much as possible; small files get small buffers so that 10,000
/// files do not each allocate a megabyte.
const MIN_BUFFER: usize = 64 * 1024;
const MAX_BUFFER: usize = 1024 * 1024;

/// Runs a whole conversion and returns its exit code.
pub async fn run(
    mut config: ConvertConfig,
    interrupt: &Interrupt,
    temps: TempRegistry,
    report: ReportOptions,
) -> ExitCode {
    if let Dest::Dir(dir) = &config.dest {
        if let Err(error) = tokio::fs::create_dir_all(dir).await {
            eprintln!("asyncfiles: {}: {error}", dir.display());
            return ExitCode::Fatal;
        }
    }
    let walk = config.walk.take();
    let config = Arc::new(config);
    let (items, walker) = match planned_items(&config, walk) {
        Ok(planned) => planned,
        Err(error) => {
            eprintln!("asyncfiles: {error:#}");
            return ExitCode::Fatal;
        }
    };
    let (report_tx, report_rx) = mpsc::channel(REPORT_QUEUE);
    let reporter = Reporter::spawn(report_rx, report);
    let converter = Converter {
        config: config.clone(),
        cancel: interrupt.token().clone(),
        outputs: OutputOptions {
            fsync: config.fsync,
            temps,
        },
    };
    pipeline::run(
        &converter,
        items,
        config.jobs,
        interrupt.token(),
        &report_tx,
    )
    .await;
    if let Some(failure) = walker.and_then(|walker| walker_failure(walker, &config.source)) {
        let _ = report_tx.send(failure).await;
    }
    drop(report_tx);
    let signal = interrupt.exit_code();
    reporter.finish(signal.is_some()).await.exit_code(signal)
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
    /// An atomic output file at this path.
    File(PathBuf),
    /// Standard output.
    Stdout,
}

type Items = Pin<Box<dyn Stream<Item = Planned> + Send>>;

/// The stream of work: the walker's entries for a directory (with the walker thread's handle),
/// or one task for a file or stdin.
fn planned_items(
    config: &Arc<ConvertConfig>,
    walk: Option<crate::config::WalkConfig>,
) -> anyhow::Result<(Items, Option<JoinHandle<()>>)> {
    let single = |input: Input, display: PathBuf| -> (Items, Option<JoinHandle<()>>) {
        let task = Task {
            input,
            display,
            output: output_for(&config.dest, None),
        };
        (Box::pin(tokio_stream::iter([Planned::Convert(task)])), None)
    };
    match (&config.source, walk) {
        (Source::Dir(_), Some(walk)) => {
            let (tx, rx) = mpsc::channel(ENTRY_QUEUE);
            let walker = walk::spawn(walk, tx).context("cannot start the walker")?;
            let config = config.clone();
            let items = walk::EntryStream::new(rx).map(move |entry| plan(&config.dest, entry));
            Ok((Box::pin(items), Some(walker)))
        }
        (Source::Dir(_), None) => bail!("internal error: a directory source without a walk"),
        (Source::File(path), _) => Ok(single(Input::Path(path.clone()), path.clone())),
        (Source::Stdin, _) => Ok(single(Input::Stdin, PathBuf::from("-"))),
    }
}

/// A walker that panicked ended the stream early: the run must not look complete. Only a finished
/// thread is joined (after an interruption the walker may still be blocked reading a list).
fn walker_failure(walker: JoinHandle<()>, source: &Source) -> Option<FileReport> {
    if !walker.is_finished() || walker.join().is_ok() {
        return None;
    }
    let path = match source {
        Source::Dir(root) => root.clone(),
        _ => PathBuf::from("-"),
    };
    let error = anyhow!("internal error: the walker crashed; the walk is incomplete");
    Some(FileReport {
        path,
        output: None,
        outcome: Outcome::Failed(error),
    })
}

fn plan(dest: &Dest, entry: Entry) -> Planned {
    match entry {
        Entry::File { path, rel } => Planned::Convert(Task {
            output: output_for(dest, Some(&rel)),
            input: Input::Path(path.clone()),
            display: path,
        }),
        Entry::Skipped { path, reason } => Planned::Report(FileReport {
            path,
            output: None,
            outcome: Outcome::Skipped(reason),
        }),
        Entry::Failed { path, error } => Planned::Report(FileReport {
            path,
            output: None,
            outcome: Outcome::Failed(error),
        }),
    }
}

/// The output of a file at `rel` below the source root (`None` for a single file or stdin).
fn output_for(dest: &Dest, rel: Option<&std::path::Path>) -> Output {
    match (dest, rel) {
        (Dest::Dir(dir), Some(rel)) => Output::File(dir.join(rel)),
        (Dest::Dir(dir), None) | (Dest::File(dir), _) => Output::File(dir.clone()),
        (Dest::Stdout, _) => Output::Stdout,
    }
}

/// Why a file did not complete, as far as the caller needs to tell.
#[derive(Debug)]
enum FileError {
    /// The run was interrupted.
    Cancelled,
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
}

impl Work for Converter {
    type Item = Planned;
    type Outcome = FileReport;

    fn start(&self, item: Planned) -> impl Future<Output = FileReport> + Send + 'static {
        let job = FileJob {
            config: self.config.clone(),
            cancel: self.cancel.clone(),
            outputs: self.outputs.clone(),
        };
        async move {
            match item {
                Planned::Report(report) => report,
                Planned::Convert(task) => job.run(task).await,
            }
        }
    }

    fn label(&self, item: &Planned) -> String {
        match item {
            Planned::Convert(task) => task.display.display().to_string(),
            Planned::Report(report) => report.path.display().to_string(),
        }
    }

    fn crashed(&self, label: String, error: JoinError) -> FileReport {
        FileReport {
            path: label.into(),
            output: None,
            outcome: Outcome::Failed(anyhow!("internal error: the worker crashed: {error}")),
        }
    }
}

/// Everything one file's task needs, owned so the task is `'static`.
struct FileJob {
    config: Arc<ConvertConfig>,
    cancel: CancellationToken,
    outputs: OutputOptions,
}

type Reader = Box<dyn AsyncBufRead + Unpin + Send>;

impl FileJob {
    async fn run(self, task: Task) -> FileReport {
        let outcome = match self.convert(&task).await {
            Ok(stats) => Outcome::Done(stats),
            Err(FileError::Cancelled) => Outcome::Cancelled,
            Err(FileError::BrokenPipe) => Outcome::BrokenPipe,
            Err(FileError::Failed(error)) => Outcome::Failed(error),
        };
        let output = match task.output {
            Output::File(path) => Some(path),
            Output::Stdout => None,
        };
        FileReport {
            path: task.display,
            output,
            outcome,
        }
    }

    async fn convert(&self, task: &Task) -> Result<FileStats, FileError> {
        if self.cancel.is_cancelled() {
            return Err(FileError::Cancelled);
        }
        let (mut reader, meta, mut sink) = self.open(task).await?;
        let mut chain = self.chain();
        // A file is read up to the size it had when opened (a snapshot, like tar): this saves
        // the trip that would only confirm end of file, and keeps the content consistent with
        // the modification time the output is given. Files that report size 0 (`/proc`) and
        // stdin are read to the end.
        let snapshot_len = match task.input {
            Input::Path(_) => Some(meta.len).filter(|&len| len > 0),
            Input::Stdin => None,
        };
        match self
            .pump(&mut reader, &mut chain, sink.writer(), snapshot_len)
            .await
        {
            Ok(stats) => {
                drop(reader);
                sink.commit(meta, self.config.fsync).await?;
                Ok(stats)
            }
            Err(error) => {
                drop(reader);
                sink.discard().await;
                Err(error)
            }
        }
    }

    fn chain(&self) -> Chain {
        let mut chain = Chain::default();
        if let Some(stage) = self.config.eol.stage() {
            chain.push(stage);
        }
        chain
    }

    /// Opens the input, reads its first chunk and creates the output, all in one trip to the
    /// blocking pool: a small file needs no further trip to be read (the read is the same
    /// `std` read that `tokio::fs` would run there, without a second hand-off).
    async fn open(&self, task: &Task) -> Result<(Reader, SourceMeta, Sink), FileError> {
        let (input, output) = (task.input.clone(), task.output.clone());
        let (outputs, stall) = (self.outputs.clone(), self.config.test_stall);
        let opened = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
            let (source, meta) = match &input {
                Input::Path(path) => {
                    let (file, meta) = open_source(path)?;
                    (Opened::read_first_chunk(file, meta.len)?, meta)
                }
                Input::Stdin => (Opened::Stdin, SourceMeta::for_stdin()),
            };
            let temp = match &output {
                Output::File(dest) => Some(TempFile::create(dest, meta.mode, &outputs)?),
                Output::Stdout => None,
            };
            if let Some(stall) = stall {
                std::thread::sleep(stall); // test seam: a hung file system (see config)
            }
            Ok((source, meta, temp))
        })
        .await
        .map_err(|error| anyhow!("internal error: the open task failed: {error}"))??;
        let (source, meta, temp) = opened;
        let buffer = buffer_size(match source {
            Opened::Stdin => None,
            _ => Some(meta.len),
        });
        let reader: Reader = match source {
            Opened::Whole(chunk) => Box::new(Cursor::new(chunk)),
            Opened::Partial(chunk, file) => {
                let mut file = tokio::fs::File::from_std(file);
                file.set_max_buf_size(buffer);
                let rest = BufReader::with_capacity(buffer, file);
                Box::new(tokio::io::AsyncReadExt::chain(Cursor::new(chunk), rest))
            }
            Opened::Stdin => Box::new(BufReader::with_capacity(buffer, tokio::io::stdin())),
        };
        let sink = match temp {
            Some(temp) => Sink::File(temp.into_async(buffer)),
            None => Sink::Stdout(tokio::io::stdout()),
        };
        Ok((reader, meta, sink))
    }

    /// Streams the input through the chain into the writer, chunk by chunk, until end of file or
    /// `snapshot_len` bytes.
    async fn pump(
        &self,
        reader: &mut Reader,
        chain: &mut Chain,
        writer: &mut (dyn AsyncWrite + Unpin + Send),
        snapshot_len: Option<u64>,
    ) -> Result<FileStats, FileError> {
        let mut stats = FileStats::default();
        let mut transformed = Vec::new();
        loop {
            let chunk = tokio::select! {
                biased;
                () = self.cancel.cancelled() => return Err(FileError::Cancelled),
                chunk = reader.fill_buf() => chunk.context("read error")?,
            };
            if chunk.is_empty() {
                break;
            }
            let consumed = chunk.len();
            stats.bytes_in += consumed as u64;
            let bytes = if chain.is_passthrough() {
                chunk
            } else {
                transformed.clear();
                chain.process(chunk, &mut transformed)?;
                &transformed
            };
            self.write(writer, bytes).await?;
            stats.bytes_out += bytes.len() as u64;
            reader.consume(consumed);
            self.test_delay().await?;
            if snapshot_len.is_some_and(|len| stats.bytes_in >= len) {
                break;
            }
        }
        transformed.clear();
        chain.finish(&mut transformed)?;
        self.write(writer, &transformed).await?;
        stats.bytes_out += transformed.len() as u64;
        Ok(stats)
    }

    async fn write(
        &self,
        writer: &mut (dyn AsyncWrite + Unpin + Send),
        bytes: &[u8],
    ) -> Result<(), FileError> {
        if bytes.is_empty() {
            return Ok(());
        }
        tokio::select! {
            biased;
            () = self.cancel.cancelled() => Err(FileError::Cancelled),
            written = writer.write_all(bytes) => Ok(written.context("write error")?),
        }
    }

    /// The test-only slowdown (see `config::TEST_DELAY_ENV`); cancellation cuts it short.
    async fn test_delay(&self) -> Result<(), FileError> {
        let Some(delay) = self.config.test_delay else {
            return Ok(());
        };
        tokio::select! {
            () = self.cancel.cancelled() => Err(FileError::Cancelled),
            () = tokio::time::sleep(delay) => Ok(()),
        }
    }
}

/// An input as the open trip leaves it.
enum Opened {
    /// The whole file (up to its size when opened) was read; it is already closed.
    Whole(Vec<u8>),
    /// Its first chunk, and the open file for the rest.
    Partial(Vec<u8>, File),
    /// Standard input: nothing read yet.
    Stdin,
}

impl Opened {
    /// Reads up to one buffer of `file` (whose size was `len` when opened). Blocking.
    fn read_first_chunk(file: File, len: u64) -> anyhow::Result<Self> {
        // Size 0 may mean "unknown" (`/proc`): read a buffer's worth and see.
        let want = if len > 0 {
            buffer_size(Some(len)).min(len as usize)
        } else {
            MAX_BUFFER
        };
        let mut chunk = Vec::with_capacity(want);
        (&file)
            .take(want as u64)
            .read_to_end(&mut chunk)
            .context("read error")?;
        let complete = chunk.len() < want || (len > 0 && chunk.len() as u64 >= len);
        Ok(if complete {
            Self::Whole(chunk)
        } else {
            Self::Partial(chunk, file)
        })
    }
}

/// Opens a regular file for reading, with what the output keeps of it. Blocking.
fn open_source(path: &std::path::Path) -> anyhow::Result<(File, SourceMeta)> {
    // O_NONBLOCK: should the file have been replaced by a FIFO since the walk saw it, the open
    // must not hang waiting for a writer. It has no effect on regular files.
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .context("cannot open")?;
    let meta = file.metadata().context("cannot read metadata")?;
    if !meta.is_file() {
        bail!("not a regular file any more");
    }
    Ok((file, SourceMeta::from_metadata(&meta)))
}

/// A buffer as large as the file (plus one byte, so one read also sees the end), within bounds.
fn buffer_size(len: Option<u64>) -> usize {
    len.map_or(MAX_BUFFER, |len| {
        usize::try_from(len.saturating_add(1)).unwrap_or(MAX_BUFFER)
    })
    .clamp(MIN_BUFFER, MAX_BUFFER)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_fit_small_files_and_cap_large_ones() {
        assert_eq!(buffer_size(Some(0)), MIN_BUFFER);
        assert_eq!(buffer_size(Some(100_000)), 100_001);
        assert_eq!(buffer_size(Some(50 << 30)), MAX_BUFFER);
        assert_eq!(buffer_size(None), MAX_BUFFER);
    }

    #[test]
    fn outputs_mirror_the_relative_layout() {
        let dir = Dest::Dir("out".into());
        assert_eq!(
            output_for(&dir, Some(std::path::Path::new("a/b.log"))),
            Output::File("out/a/b.log".into())
        );
        assert_eq!(
            output_for(&Dest::File("x.log".into()), None),
            Output::File("x.log".into())
        );
        assert_eq!(output_for(&Dest::Stdout, None), Output::Stdout);
    }
}
