//! Outcomes, the summary and the exit code: the one place that writes per-file messages.
//!
//! Workers send a [`FileReport`] per file through a bounded channel; the reporter, on its own
//! thread (stderr writes are blocking I/O and must not stall the runtime), prints errors as
//! `asyncfiles: PATH: cause`, skip notes, `-v` per-file lines, and the closing summary, and counts
//! everything into a [`Summary`] from which the exit code follows.

use std::fmt::Write as _;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use crate::transform::LineCounts;
use crate::walk::SkipReason;

/// The process exit status, as documented in the README.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// Every file was processed.
    Success = 0,
    /// At least one file failed; the others were processed.
    Failure = 1,
    /// Usage error or fatal setup error: nothing was processed.
    Fatal = 2,
    /// Stopped by SIGHUP (the terminal or ssh session went away).
    HungUp = 129,
    /// Stopped by SIGINT (Ctrl-C).
    Interrupted = 130,
    /// Stopped by SIGQUIT (Ctrl-\\).
    Quit = 131,
    /// Stopped by SIGTERM.
    Terminated = 143,
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(code: ExitCode) -> Self {
        std::process::ExitCode::from(code as u8)
    }
}

/// Byte counts of one processed file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FileStats {
    /// Bytes read from the input.
    pub bytes_in: u64,
    /// Bytes written to the output.
    pub bytes_out: u64,
    /// Lines read and written by the line transforms, when there are any.
    pub lines: Option<LineCounts>,
    /// BLAKE3 of the bytes written (`--manifest`, `--json`).
    pub hash: Option<blake3::Hash>,
    /// Time from taking the file to committing its output.
    pub elapsed: Duration,
}

/// How one file ended.
#[derive(Debug)]
pub enum Outcome {
    /// Processed and written.
    Done(FileStats),
    /// Not processed, on purpose.
    Skipped(SkipReason),
    /// Failed; the cause chain is printed.
    Failed(anyhow::Error),
    /// Abandoned because the run was interrupted (not an error of the file).
    Cancelled,
    /// Found by the walk but never started: `--fail-fast` stopped the run first.
    NotStarted,
    /// Standard output was closed by its reader (`| head`): the run ends quietly.
    BrokenPipe,
    /// `--dry-run`: would be written to the report's output; `bytes`: the input's size (0 for
    /// a stream).
    Planned { bytes: u64 },
}

/// One file's outcome, sent from a worker to the reporter.
#[derive(Debug)]
pub struct FileReport {
    /// The input as the user would name it.
    pub path: PathBuf,
    /// The output written (or that would have been).
    pub output: Option<PathBuf>,
    /// How it ended.
    pub outcome: Outcome,
    /// `--in-place`: whether the input was removed (with `--dry-run`: would be); `None` in
    /// other runs.
    pub removed: Option<bool>,
}

/// What the reporter prints besides errors.
#[derive(Debug, Clone, Copy)]
pub struct ReportOptions {
    /// No skip notes and no summary.
    pub quiet: bool,
    /// One JSON object per file on stdout (`--json`).
    pub json: bool,
    /// Draw the progress bar on stderr (`--progress`).
    pub progress: bool,
    /// The command named in the summary line.
    pub command: &'static str,
    /// `--shard`: named in the summary line and the `--json` summary.
    pub shard: Option<crate::shard::Shard>,
    /// `convert --in-place` (without `--keep`): the summary counts the inputs removed.
    pub removes: bool,
    /// Print the summary line of a run that finished. `false` for a filter (`convert` to OUT
    /// `-` without `-v`), silent as `zcat` is: its errors still show, and an interrupted run
    /// still says so, since its output stopped short.
    pub summary: bool,
}

/// Counts over a whole run.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Files processed.
    pub done: u64,
    /// Entries skipped.
    pub skipped: u64,
    /// Files that failed.
    pub failed: u64,
    /// Files a dry run would write.
    pub planned: u64,
    /// Files abandoned by an interruption.
    pub cancelled: u64,
    /// Files found but never started (`--fail-fast`).
    pub not_started: u64,
    /// Standard output was closed by its reader.
    pub broken_pipe: bool,
    /// Bytes read.
    pub bytes_in: u64,
    /// Bytes written.
    pub bytes_out: u64,
    /// Lines read and written by line transforms (`None`: the run had none).
    pub lines: Option<LineCounts>,
    /// Each output written and the hash of its bytes (`--manifest` only).
    pub written: Vec<(PathBuf, blake3::Hash)>,
    /// A part of asyncfiles itself failed (a crashed thread); the run cannot claim success.
    pub internal_errors: u64,
    /// `--in-place`: inputs removed (with `--dry-run`: that would be); `None` in other runs.
    pub removed: Option<u64>,
}

impl Summary {
    /// The exit code of the run; `signal` is the code of the signal that interrupted it, if any.
    pub fn exit_code(&self, signal: Option<ExitCode>) -> ExitCode {
        match signal {
            Some(code) => code,
            None if self.failed > 0 || self.internal_errors > 0 => ExitCode::Failure,
            None => ExitCode::Success,
        }
    }

    /// The counts of the closing line: `12 done, 1 skipped, 0 failed`, then `, 2 cancelled` when
    /// the run was interrupted or files were abandoned, and `, 5 not started` when there are any.
    pub fn counts(&self, interrupted: bool) -> String {
        let mut counts = format!(
            "{} done, {} skipped, {} failed",
            self.done, self.skipped, self.failed
        );
        if interrupted || self.cancelled > 0 {
            let _ = write!(counts, ", {} cancelled", self.cancelled);
        }
        if self.not_started > 0 {
            let _ = write!(counts, ", {} not started", self.not_started);
        }
        if let Some(removed) = self.removed {
            let _ = write!(counts, ", {removed} removed");
        }
        counts
    }

    /// The closing line, e.g. `convert: 12 done, 1 skipped, 0 failed; 3.1 MB in, 3.1 MB out; 0.02 s, 155.0 MB/s`.
    pub fn line(&self, command: &str, elapsed: Duration, interrupted: bool) -> String {
        let mut line = String::new();
        if self.planned > 0 || command.starts_with("convert --dry-run") {
            let _ = write!(
                line,
                "{command}{}: {} would be written ({} in), ",
                if interrupted { " interrupted" } else { "" },
                self.planned,
                human_bytes(self.bytes_in),
            );
            if let Some(removed) = self.removed {
                let _ = write!(line, "{removed} would be removed, ");
            }
            let _ = write!(line, "{} skipped, {} failed", self.skipped, self.failed);
            return line;
        }
        let _ = write!(
            line,
            "{command}{}: {}; {} in, {} out; ",
            if interrupted { " interrupted" } else { "" },
            self.counts(interrupted),
            human_bytes(self.bytes_in),
            human_bytes(self.bytes_out),
        );
        if let Some(lines) = self.lines {
            let _ = write!(
                line,
                "{} lines in, {} lines out; ",
                lines.read, lines.written
            );
        }
        let _ = write!(
            line,
            "{:.2} s, {}/s",
            elapsed.as_secs_f64(),
            human_bytes(rate(self.bytes_in, elapsed)),
        );
        line
    }

    fn count(&mut self, outcome: &Outcome) {
        match outcome {
            Outcome::Done(stats) => {
                self.done += 1;
                self.bytes_in += stats.bytes_in;
                self.bytes_out += stats.bytes_out;
                if let Some(lines) = stats.lines {
                    let total = self.lines.get_or_insert_default();
                    total.read += lines.read;
                    total.written += lines.written;
                }
            }
            Outcome::Skipped(_) => self.skipped += 1,
            Outcome::Failed(_) => self.failed += 1,
            Outcome::Cancelled => self.cancelled += 1,
            Outcome::NotStarted => self.not_started += 1,
            Outcome::Planned { bytes } => {
                self.planned += 1;
                self.bytes_in += bytes;
            }
            Outcome::BrokenPipe => self.broken_pipe = true,
        }
    }
}

fn rate(bytes: u64, elapsed: Duration) -> u64 {
    let seconds = elapsed.as_secs_f64();
    if seconds > 0.0 {
        (bytes as f64 / seconds) as u64
    } else {
        0
    }
}

/// Decimal units, one decimal place: `512 B`, `1.5 KB`, `310.2 MB`.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["KB", "MB", "GB", "TB", "PB"];
    if bytes < 1000 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1000.0;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// The `--progress` bar: files done of files found so far (the total grows while the walk
/// runs), bytes read and their rate, and an estimate of the time left. indicatif redraws it
/// from its own thread several times a second (not a runtime worker), each time with the bytes
/// read until then ([`crate::input::read_totals`]), so that it moves during a large file too;
/// messages are printed above it from the blocking pool, like every stderr write.
#[derive(Clone)]
pub struct Progress {
    bar: indicatif::ProgressBar,
    meter: Arc<Meter>,
}

/// Redraws per second.
const PROGRESS_HZ: u8 = 10;

/// What the bar shows, read at each redraw.
struct Meter {
    /// Files handed over by the walk so far.
    found: Arc<AtomicU64>,
    /// Files done (processed, skipped, failed or abandoned).
    done: AtomicU64,
    /// The process's read totals when the bar started (the bar counts this run's).
    base: crate::input::ReadTotals,
    started: Instant,
}

impl Meter {
    /// This run's read totals so far.
    fn read(&self) -> crate::input::ReadTotals {
        let now = crate::input::read_totals();
        crate::input::ReadTotals {
            bytes: now.bytes.saturating_sub(self.base.bytes),
            files: now.files.saturating_sub(self.base.files),
            sizes: now.sizes.saturating_sub(self.base.sizes),
        }
    }

    /// The time left at the rate bytes have been read so far: the rest of the files started
    /// (their sizes when opened, less what was read) and of the files found but not started
    /// yet, counted at the average size of those started. `None` until that can be told.
    fn eta(&self) -> Option<Duration> {
        let read = self.read();
        let rate = rate(read.bytes, self.started.elapsed());
        if read.files == 0 || rate == 0 {
            return None;
        }
        let found = self.found.load(Ordering::Relaxed);
        let taken = read.files.max(self.done.load(Ordering::Relaxed));
        let average = read.sizes / read.files;
        let left = read.sizes.saturating_sub(read.bytes)
            + found.saturating_sub(taken).saturating_mul(average);
        Some(Duration::from_secs_f64(left as f64 / rate as f64))
    }

    /// `3/20 files`.
    fn files(&self) -> String {
        let done = self.done.load(Ordering::Relaxed);
        let found = self.found.load(Ordering::Relaxed).max(done);
        format!("{done}/{found} files")
    }

    /// `12.6 MB in, 10.0 MB/s`.
    fn bytes(&self) -> String {
        let bytes = self.read().bytes;
        let rate = rate(bytes, self.started.elapsed());
        format!("{} in, {}/s", human_bytes(bytes), human_bytes(rate))
    }
}

impl Progress {
    /// A bar whose total is read from `found` (files handed over by the walk so far).
    pub fn new(found: Arc<AtomicU64>) -> Self {
        let meter = Arc::new(Meter {
            found,
            done: AtomicU64::new(0),
            base: crate::input::read_totals(),
            started: Instant::now(),
        });
        let target = indicatif::ProgressDrawTarget::term_like_with_hz(
            Box::new(console::Term::stderr()),
            PROGRESS_HZ,
        );
        let bar = indicatif::ProgressBar::with_draw_target(None, target);
        let key = |show: fn(&Meter, &mut dyn std::fmt::Write)| {
            let meter = meter.clone();
            move |_: &indicatif::ProgressState, out: &mut dyn std::fmt::Write| show(&meter, out)
        };
        let style = indicatif::ProgressStyle::with_template(
            "{spinner} {files}  {bytes}  {elapsed}, ETA {left}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .with_key("files", key(|meter, out| _ = out.write_str(&meter.files())))
        .with_key("bytes", key(|meter, out| _ = out.write_str(&meter.bytes())))
        .with_key(
            "left",
            key(|meter, out| match meter.eta() {
                Some(left) => _ = write!(out, "{:#}", indicatif::HumanDuration(left)),
                None => _ = out.write_str("?"),
            }),
        );
        bar.set_style(style);
        bar.enable_steady_tick(Duration::from_millis(1000 / u64::from(PROGRESS_HZ)));
        *ACTIVE_BAR
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(bar.clone());
        Self { bar, meter }
    }

    /// Redraws with the run's counts. Blocking.
    fn show(&self, summary: &Summary) {
        let done = summary.done
            + summary.skipped
            + summary.failed
            + summary.cancelled
            + summary.not_started;
        self.show_files(done);
    }

    /// Redraws with `done` files done. Blocking.
    pub fn show_files(&self, done: u64) {
        self.meter.done.store(done, Ordering::Relaxed);
        self.bar.tick();
    }

    /// Prints `lines` to stderr above the bar. Blocking.
    pub fn above(&self, lines: &[String]) {
        self.suspend(|| {
            let mut stderr = io::stderr().lock();
            for line in lines {
                let _ = writeln!(stderr, "{line}");
            }
        });
    }

    /// Runs `write` with the bar taken off the screen (log lines written meanwhile go straight
    /// to stderr: the bar is already out of the way).
    fn suspend(&self, write: impl FnOnce()) {
        self.bar.suspend(|| {
            SUSPENDED.set(true);
            write();
            SUSPENDED.set(false);
        });
    }

    /// Removes the bar. Blocking.
    pub fn clear(&self) {
        *ACTIVE_BAR
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
        self.bar.finish_and_clear();
    }
}

/// The bar on screen, if any, so that log lines (`-v`) print above it too.
static ACTIVE_BAR: std::sync::Mutex<Option<indicatif::ProgressBar>> = std::sync::Mutex::new(None);

thread_local! {
    /// This thread has the bar off the screen already (suspending it again would deadlock).
    static SUSPENDED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The writer of log lines: each event's text is held, then written to stderr above the
/// progress bar when there is one.
pub struct LogWriter(Vec<u8>);

/// A [`LogWriter`] for one log event (for `tracing_subscriber`'s `with_writer`).
pub fn log_writer() -> LogWriter {
    LogWriter(Vec::new())
}

impl io::Write for LogWriter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for LogWriter {
    fn drop(&mut self) {
        let write = |text: &[u8]| {
            let _ = io::stderr().lock().write_all(text);
        };
        let bar = ACTIVE_BAR
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        match bar {
            Some(bar) if !SUSPENDED.get() => bar.suspend(|| write(&self.0)),
            _ => write(&self.0),
        }
    }
}

/// The running reporter; [`Reporter::finish`] waits for it, [`Finished::print`] prints the summary.
pub struct Reporter {
    handle: tokio::task::JoinHandle<Summary>,
    options: ReportOptions,
    started: Instant,
}

impl Reporter {
    /// Starts the reporter task on the receiving end of the workers' channel.
    /// `found` counts the files the walk has handed over so far (the progress bar's total).
    pub fn spawn(
        rx: mpsc::Receiver<Vec<FileReport>>,
        options: ReportOptions,
        found: Arc<AtomicU64>,
    ) -> Self {
        let started = Instant::now();
        let progress = options.progress.then(|| Progress::new(found));
        let handle = tokio::spawn(report_all(rx, options, progress));
        Self {
            handle,
            options,
            started,
        }
    }

    /// Waits until every report is in (all senders dropped) and returns the counts; the summary
    /// line is printed by [`Finished::print`].
    pub async fn finish(self) -> Finished {
        let Self {
            handle,
            options,
            started,
        } = self;
        let summary = match handle.await {
            Ok(summary) => summary,
            Err(_) => {
                let lost = "asyncfiles: internal error: the reporter crashed; counts are lost";
                write_lines(vec![Line::Message(lost.into())], None).await;
                Summary {
                    internal_errors: 1,
                    ..Summary::default()
                }
            }
        };
        Finished {
            summary,
            options,
            started,
        }
    }
}

/// A finished reporter: its counts, and the summary line still to print, once the run has done
/// what comes after its files (the manifest, directory times), so that their errors come first.
pub struct Finished {
    /// What the run's files came to.
    pub summary: Summary,
    options: ReportOptions,
    started: Instant,
}

impl Finished {
    /// Prints the summary line on stderr (not with `-q`, nor after stdout's reader went away).
    pub async fn print(&self, interrupted: bool) {
        if self.options.quiet || self.summary.broken_pipe || !(self.options.summary || interrupted)
        {
            return;
        }
        let command = match self.options.shard {
            Some(shard) => format!("{} --shard {shard}", self.options.command),
            None => self.options.command.to_owned(),
        };
        let line = self
            .summary
            .line(&command, self.started.elapsed(), interrupted);
        write_lines(vec![Line::Message(line)], None).await;
    }
}

/// One line for stderr: a message printed as it is, or a `-v` line that goes through tracing.
enum Line {
    Message(String),
    Info(String),
    /// For standard output (`--dry-run`'s plan).
    Stdout(String),
}

/// Most lines written in one trip to the blocking pool.
const LINES_PER_WRITE: usize = 256;

async fn report_all(
    mut rx: mpsc::Receiver<Vec<FileReport>>,
    options: ReportOptions,
    progress: Option<Progress>,
) -> Summary {
    let mut summary = Summary {
        removed: options.removes.then_some(0),
        ..Summary::default()
    };
    let verbose = tracing::enabled!(tracing::Level::INFO);
    let mut lines = Vec::new();
    while let Some(mut batch) = rx.recv().await {
        loop {
            for report in batch {
                summary.count(&report.outcome);
                if let (Some(removed), Some(count)) = (report.removed, &mut summary.removed) {
                    *count += u64::from(removed);
                }
                if options.json {
                    lines.extend(json_line(&report).map(Line::Stdout));
                }
                if let (
                    Outcome::Done(FileStats {
                        hash: Some(hash), ..
                    }),
                    Some(output),
                ) = (&report.outcome, &report.output)
                {
                    summary.written.push((output.clone(), *hash));
                }
                lines.extend(describe(&report, options, verbose));
            }
            // Take whatever else is already waiting, so that a burst costs one write.
            if lines.len() >= LINES_PER_WRITE {
                break;
            }
            let Ok(next) = rx.try_recv() else { break };
            batch = next;
        }
        let shown = progress.clone().map(|bar| (bar, summary.clone()));
        write_lines(std::mem::take(&mut lines), shown).await;
    }
    if let Some(progress) = progress {
        let _ = tokio::task::spawn_blocking(move || progress.clear()).await;
    }
    summary
}

/// What a report prints, if anything (most reports print nothing: no path is formatted then).
fn describe(report: &FileReport, options: ReportOptions, verbose: bool) -> Option<Line> {
    let path = || escape_path(&report.path);
    match &report.outcome {
        Outcome::Done(stats) if verbose => {
            let mut counts = format!("{} bytes in, {} bytes out", stats.bytes_in, stats.bytes_out);
            if let Some(lines) = stats.lines {
                let _ = write!(
                    counts,
                    ", {} lines in, {} lines out",
                    lines.read, lines.written
                );
            }
            if report.removed == Some(true) {
                counts.push_str("; input removed");
            }
            Some(Line::Info(match &report.output {
                Some(output) => format!("{} -> {}: {counts}", path(), escape_path(output)),
                None => format!("{}: {counts}", path()),
            }))
        }
        // A rerun may skip most of a tree (and an in-place run every file it compressed
        // before): those notes only with -v.
        Outcome::Skipped(reason @ (SkipReason::UpToDate | SkipReason::OwnOutput)) if verbose => {
            Some(Line::Info(format!(
                "{}: skipped: {reason}{}",
                path(),
                if report.removed == Some(true) {
                    "; input removed"
                } else {
                    ""
                }
            )))
        }
        Outcome::Skipped(SkipReason::UpToDate | SkipReason::OwnOutput) => None,
        Outcome::Skipped(reason) if !options.quiet => Some(Line::Message(format!(
            "asyncfiles: {}: skipped: {reason}",
            path()
        ))),
        Outcome::Failed(error) => Some(Line::Message(format!(
            "asyncfiles: {}: {}",
            path(),
            error_chain(error)
        ))),
        // The summary counts them; these lines say which files were not written.
        Outcome::Cancelled if !options.quiet => {
            Some(Line::Message(format!("asyncfiles: {}: cancelled", path())))
        }
        Outcome::NotStarted if !options.quiet => Some(Line::Message(format!(
            "asyncfiles: {}: not started",
            path()
        ))),
        // With --json, the plan is in the JSON objects: stdout holds nothing else.
        Outcome::Planned { .. } if options.json => None,
        Outcome::Planned { .. } => {
            let output = report
                .output
                .as_deref()
                .map_or_else(|| "-".into(), escape_path);
            let removed = match report.removed {
                Some(true) => " (input removed)",
                _ => "",
            };
            Some(Line::Stdout(format!("{} -> {output}{removed}", path())))
        }
        _ => None,
    }
}

/// Writes lines to stderr off the runtime (stderr is blocking I/O, and may be a slow pipe).
async fn write_lines(lines: Vec<Line>, progress: Option<(Progress, Summary)>) {
    if lines.is_empty() && progress.is_none() {
        return;
    }
    let _ = tokio::task::spawn_blocking(move || {
        let Some((progress, summary)) = progress else {
            print_lines(lines);
            return;
        };
        // Messages go above the bar, which is redrawn after them.
        progress.suspend(|| print_lines(lines));
        progress.show(&summary);
    })
    .await;
}

/// Writes lines to stderr (and `--json` objects and `--dry-run`'s plan to stdout). Blocking.
fn print_lines(lines: Vec<Line>) {
    let mut stdout = Vec::new();
    {
        let mut stderr = io::stderr().lock();
        for line in lines {
            match line {
                Line::Message(text) => {
                    let _ = writeln!(stderr, "{text}");
                }
                Line::Info(text) => tracing::info!("{text}"),
                Line::Stdout(text) => {
                    stdout.extend_from_slice(text.as_bytes());
                    stdout.push(b'\n');
                }
            }
        }
    }
    if !stdout.is_empty() {
        crate::stdout::write(&stdout);
    }
}

/// The `--json` object of one file (none for a file abandoned by an interruption).
fn json_line(report: &FileReport) -> Option<String> {
    use serde_json::{Value, json};
    let lossy = |path: &Path| Value::String(path.to_string_lossy().into_owned());
    let mut object = json!({
        "path": lossy(&report.path),
        "output": report.output.as_deref().map_or(Value::Null, lossy),
    });
    let fields = object.as_object_mut()?;
    let mut set = |key: &str, value: Value| {
        fields.insert(key.to_owned(), value);
    };
    match &report.outcome {
        Outcome::Done(stats) => {
            set("status", json!("ok"));
            set("bytes_in", json!(stats.bytes_in));
            set("bytes_out", json!(stats.bytes_out));
            if let Some(lines) = stats.lines {
                set("lines_in", json!(lines.read));
                set("lines_out", json!(lines.written));
            }
            if let Some(hash) = stats.hash {
                set("blake3", json!(hash.to_hex().as_str()));
            }
            set("ms", json!(stats.elapsed.as_millis() as u64));
        }
        Outcome::Skipped(reason) => {
            set("status", json!("skipped"));
            set("reason", json!(reason.to_string()));
        }
        Outcome::Failed(error) => {
            set("status", json!("failed"));
            set("error", json!(error_chain(error)));
        }
        Outcome::Planned { bytes } => {
            set("status", json!("planned"));
            set("bytes_in", json!(bytes));
        }
        Outcome::Cancelled | Outcome::NotStarted | Outcome::BrokenPipe => return None,
    }
    if let Some(removed) = report.removed {
        set("removed", json!(removed));
    }
    Some(object.to_string())
}

impl Summary {
    /// The `--json` summary object, with the run's exit code (and its shard, with `--shard`).
    pub fn json_line(
        &self,
        elapsed: Duration,
        code: ExitCode,
        shard: Option<crate::shard::Shard>,
    ) -> String {
        let lines = self.lines.unwrap_or_default();
        let mut summary = serde_json::json!({
            "type": "summary",
            "ok": self.done,
            "skipped": self.skipped,
            "failed": self.failed,
            "cancelled": self.cancelled,
            "not_started": self.not_started,
            "planned": self.planned,
            "bytes_in": self.bytes_in,
            "bytes_out": self.bytes_out,
            "lines_in": lines.read,
            "lines_out": lines.written,
            "elapsed_ms": elapsed.as_millis() as u64,
            "exit_code": code as u8,
        });
        add_shard(&mut summary, shard);
        if let (Some(removed), Some(fields)) = (self.removed, summary.as_object_mut()) {
            fields.insert("removed".into(), removed.into());
        }
        summary.to_string()
    }
}

/// Writes one line to stdout (blocking I/O, off the runtime; see [`crate::stdout`]).
pub async fn print_stdout(mut line: String) {
    line.push('\n');
    let _ = tokio::task::spawn_blocking(move || crate::stdout::write(line.as_bytes())).await;
}

/// An error and its causes, `: `-separated as anyhow's `{:#}` prints them, but with each
/// system error in coreutils' words: `No such file or directory`, not `… (os error 2)`.
pub fn error_chain(error: &anyhow::Error) -> String {
    let mut text = String::new();
    for (depth, cause) in error.chain().enumerate() {
        if depth > 0 {
            text.push_str(": ");
        }
        text.push_str(without_os_error(&cause.to_string()));
    }
    text
}

/// A system error as coreutils print it (`strerror`'s text alone).
pub fn io_error_text(error: &io::Error) -> String {
    without_os_error(&error.to_string()).to_owned()
}

/// `text` without the ` (os error N)` that std's `io::Error` appends to `strerror`'s text.
fn without_os_error(text: &str) -> &str {
    let Some(head) = text.strip_suffix(')') else {
        return text;
    };
    match head.rsplit_once(" (os error ") {
        Some((message, code)) if !code.is_empty() && code.bytes().all(|b| b.is_ascii_digit()) => {
            message
        }
        _ => text,
    }
}

/// A path for a one-line message: lossy UTF-8, with control characters escaped so that a file
/// name holding a newline cannot split or forge a line, and backslashes doubled (as b3sum does)
/// so that a name holding `\n` as two characters does not read like one holding a newline.
pub fn escape_path(path: &Path) -> String {
    let text = path.to_string_lossy();
    if !text.chars().any(|c| c.is_control() || c == '\\') {
        return text.into_owned();
    }
    let mut escaped = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\\' => escaped.push_str("\\\\"),
            '\n' => escaped.push_str("\\n"),
            '\r' => escaped.push_str("\\r"),
            '\t' => escaped.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(escaped, "\\x{:02x}", u32::from(c));
            }
            c => escaped.push(c),
        }
    }
    escaped
}

/// Adds `"shard": K, "shards": N` to a `--json` summary object of a sharded run.
pub fn add_shard(summary: &mut serde_json::Value, shard: Option<crate::shard::Shard>) {
    if let (Some(shard), Some(fields)) = (shard, summary.as_object_mut()) {
        fields.insert("shard".into(), shard.index().into());
        fields.insert("shards".into(), shard.count().into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_in_messages_stay_on_one_line() {
        assert_eq!(
            escape_path(Path::new("in/a\nb\r\t\x1b.log")),
            "in/a\\nb\\r\\t\\x1b.log"
        );
        assert_eq!(escape_path(Path::new("in/plain é.log")), "in/plain é.log");
        assert_eq!(escape_path(Path::new("in/a\\nb")), "in/a\\\\nb");
    }

    #[test]
    fn system_errors_read_as_coreutils_print_them() {
        let missing = io::Error::from_raw_os_error(libc::ENOENT);
        assert_eq!(io_error_text(&missing), "No such file or directory");
        let chain = anyhow::Error::new(missing).context("cannot open");
        assert_eq!(
            error_chain(&chain),
            "cannot open: No such file or directory"
        );
        let custom = io::Error::other("odd (os error x)");
        assert_eq!(io_error_text(&custom), "odd (os error x)");
    }

    #[test]
    fn a_crash_is_never_success() {
        let summary = Summary {
            internal_errors: 1,
            ..Summary::default()
        };
        assert_eq!(summary.exit_code(None), ExitCode::Failure);
    }

    #[test]
    fn human_bytes_uses_decimal_units() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(1500), "1.5 KB");
        assert_eq!(human_bytes(310_200_000), "310.2 MB");
    }

    #[test]
    fn summary_line_and_exit_codes() {
        let summary = Summary {
            done: 3,
            skipped: 1,
            failed: 1,
            bytes_in: 2000,
            bytes_out: 1000,
            ..Summary::default()
        };
        assert_eq!(
            summary.line("convert", Duration::from_secs(2), false),
            "convert: 3 done, 1 skipped, 1 failed; 2.0 KB in, 1.0 KB out; 2.00 s, 1.0 KB/s"
        );
        assert_eq!(summary.exit_code(None), ExitCode::Failure);
        assert_eq!(
            summary.exit_code(Some(ExitCode::Interrupted)),
            ExitCode::Interrupted
        );
        assert_eq!(Summary::default().exit_code(None), ExitCode::Success);
        let stopped = Summary {
            cancelled: 1,
            not_started: 4,
            ..summary
        };
        assert_eq!(
            stopped.counts(true),
            "3 done, 1 skipped, 1 failed, 1 cancelled, 4 not started"
        );
        assert_eq!(
            Summary::default().counts(true),
            "0 done, 0 skipped, 0 failed, 0 cancelled"
        );
        assert_eq!(
            Summary::default().counts(false),
            "0 done, 0 skipped, 0 failed"
        );
    }
}
