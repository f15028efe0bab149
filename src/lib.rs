//! asyncfiles: batch processing of large log trees, streaming and atomic.
//!
//! # Layout
//! - [`cli`]: clap definitions of the command line, nothing else.
//! - [`config`]: options checked once into the configuration workers see.
//! - [`dialect`]: `-1` … `-19` turned into `--level` before clap parses the command line.
//! - [`size`]: sizes as users write them (`64M`, `50MB`), printed back in the same units.
//! - [`walk`]: the directory walker, on its own thread, feeding a bounded channel, and its
//!   settings (`walk::WalkConfig`: filters, `--files-from`, depth, links).
//! - [`pipeline`]: the bounded pool: `--jobs` lanes on tokio's blocking pool, a file at a time.
//! - [`convert`]: the `convert` command: per-file job and orchestration, and its `--manifest`
//!   (`convert::manifest`: merged with the previous one under `--incremental`).
//! - [`cpu`]: `--threads`: the run's CPU budget, one permit per busy thread.
//! - [`blocks`]: one large file cut into blocks worked on side by side, written in order.
//! - [`deadline`]: `--timeout`: a file's own cancellation token, fired by a timer.
//! - [`codec`]: compression formats: detection, names, decoders and encoders.
//! - [`transform`]: the byte stages between reader and writer: line transforms, line endings.
//! - [`input`]: opening inputs, their first chunk, reading ahead, `--max-rate`, retry rules.
//! - [`output`]: atomic output files (temp file, rename) and stdout.
//! - [`report`]: per-file outcomes, messages, `--json`, the progress bar, the summary, exit codes.
//! - [`ordered`]: output of files worked on in parallel, written in the files' order, bounded.
//! - [`stdout`]: the writer of standard output: a closed pipe is quiet, a write error fails the run.
//! - [`interrupt`]: signals (Ctrl-C, SIGTERM, SIGHUP, SIGQUIT): drain, then exit at once.
//! - [`hash`]: the `hash` and `stats` commands: per-file digests (`hash::digest`), the listing
//!   (`hash::listing`), the b3sum manifest format (`hash::manifest`), `--check` (`hash::check`)
//!   and `--merge` (`hash::merge`: sorted manifests merged, as `sort -m` does).
//! - [`grep`]: the `grep` command: patterns (`grep::matcher`), the line engine over decoded
//!   chunks (`grep::search`), plain, colour and JSON output (`grep::printer`), each file's output
//!   contiguous on stdout (`grep::writer`).
//! - [`cat`]: the `cat` command: decoded files in path order on stdout, through [`ordered`].
//! - [`generate`]: man pages and shell completions from the clap definitions.

pub mod blocks;
pub mod cat;
pub mod cli;
pub mod codec;
pub mod config;
pub mod convert;
pub mod cpu;
pub mod deadline;
pub mod dialect;
pub mod generate;
pub mod grep;
pub mod hash;
pub mod input;
pub mod interrupt;
pub mod ordered;
pub mod output;
pub mod pipeline;
pub mod report;
pub mod shard;
pub mod size;
pub mod stdout;
pub mod transform;
pub mod walk;

use cli::{Cli, Command};
use config::ConvertConfig;
use interrupt::Interrupt;
use output::TempRegistry;
use report::{ExitCode, ReportOptions};

/// Runs the parsed command line and returns the process exit code: the command's, unless
/// writing standard output failed (then at least 1).
pub fn run(cli: Cli) -> ExitCode {
    init_tracing(cli.is_quiet(), cli.verbosity());
    let grep = matches!(cli.command, Command::Grep(_));
    let code = stdout::exit_code(run_command(cli));
    // For grep, 1 means "no line selected": a write error is an error, 2, as GNU grep says.
    if grep && stdout::has_failed() {
        return ExitCode::Fatal;
    }
    code
}

fn run_command(cli: Cli) -> ExitCode {
    let (quiet, verbose) = (cli.is_quiet(), cli.verbosity());
    let report = |command, json, progress, shard| ReportOptions {
        quiet,
        json,
        progress,
        command,
        shard,
        removes: false,
        summary: true,
    };
    match cli.command {
        Command::Convert(args) => match ConvertConfig::from_args(*args) {
            Ok(config) => {
                let command = if config.dry_run {
                    "convert --dry-run"
                } else {
                    "convert"
                };
                let (json, progress) = (config.json, config.progress && !quiet);
                let shard = config.shard;
                let tally = config.tally();
                let removes = config.in_place.is_some_and(|in_place| in_place.remove);
                let mut options = ReportOptions {
                    removes,
                    ..report(command, json, progress, shard)
                };
                // A filter (OUT -) is silent, like zcat, unless -v asks for lines.
                options.summary = config.dest != config::Dest::Stdout || verbose > 0;
                let code = run_convert(config, options);
                warn_unmatched(tally, quiet, code)
            }
            Err(error) => fatal(&error),
        },
        Command::Hash(args) if args.merge => match config::MergeConfig::for_hash(args) {
            // Reading and writing line by line, in order: no runtime, no pool.
            Ok(config) => hash::merge(&config.inputs),
            Err(error) => fatal(&error),
        },
        Command::Hash(args) => match config::DigestConfig::for_hash(args) {
            Ok(config) => {
                let tally = config.tally();
                warn_unmatched(tally, quiet, run_digest(config, quiet))
            }
            Err(error) => fatal(&error),
        },
        Command::Stats(args) => match config::DigestConfig::for_stats(args) {
            Ok(config) => {
                let tally = config.tally();
                warn_unmatched(tally, quiet, run_digest(config, quiet))
            }
            Err(error) => fatal(&error),
        },
        Command::Grep(args) => match config::GrepConfig::from_args(*args) {
            Ok(config) => run_grep(config),
            Err(error) => fatal(&error),
        },
        Command::Cat(args) => match config::CatConfig::from_args(args) {
            Ok(config) => {
                let tally = config.tally();
                warn_unmatched(tally, quiet, run_cat(config, quiet))
            }
            Err(error) => fatal(&error),
        },
        Command::Generate(args) => match generate::run(args) {
            Ok(()) => ExitCode::Success,
            Err(error) => fatal(&error),
        },
    }
}

/// After a run that went to its end: a warning for each `--include`/`--exclude` pattern (or
/// pattern file) that matched nothing, unless `-q`. The exit code stays what it was.
fn warn_unmatched(
    tally: Option<std::sync::Arc<walk::PatternTally>>,
    quiet: bool,
    code: ExitCode,
) -> ExitCode {
    let finished = matches!(code, ExitCode::Success | ExitCode::Failure);
    if let Some(tally) = tally.filter(|_| finished && !quiet) {
        let mut stderr = std::io::stderr().lock();
        for warning in tally.warnings() {
            // A closed stderr has no one to warn.
            let _ = std::io::Write::write_all(&mut stderr, format!("{warning}\n").as_bytes());
        }
    }
    code
}

fn fatal(error: &anyhow::Error) -> ExitCode {
    eprintln!("asyncfiles: {}", report::error_chain(error));
    ExitCode::Fatal
}

fn run_digest(mut config: config::DigestConfig, quiet: bool) -> ExitCode {
    config.progress &= !quiet;
    let (jobs, threads) = (config.jobs, config.threads);
    cpu::init(threads);
    let rate = config.max_rate;
    on_runtime(jobs + threads, TempRegistry::default(), |interrupt| {
        if let Some(rate) = rate {
            input::set_max_rate(rate, interrupt.token().clone());
        }
        Box::pin(hash::run(config, interrupt, quiet))
    })
}

fn run_grep(config: config::GrepConfig) -> ExitCode {
    let (jobs, threads) = (config.walk.jobs, config.walk.threads);
    cpu::init(threads);
    let rate = config.walk.max_rate;
    // A large file's decoder runs beside its lane: up to two blocking threads per job.
    on_runtime(2 * jobs + threads, TempRegistry::default(), |interrupt| {
        if let Some(rate) = rate {
            input::set_max_rate(rate, interrupt.token().clone());
        }
        Box::pin(grep::run(config, interrupt))
    })
}

fn run_convert(config: ConvertConfig, report: ReportOptions) -> ExitCode {
    let (jobs, temps) = (config.jobs, TempRegistry::default());
    cpu::init(config.threads);
    let rate = config.max_rate;
    // Block jobs run on the blocking pool beside the lanes, one per CPU permit at most.
    on_runtime(jobs + config.threads, temps.clone(), |interrupt| {
        if let Some(rate) = rate {
            input::set_max_rate(rate, interrupt.token().clone());
        }
        Box::pin(convert::run(config, interrupt, temps, report))
    })
}

fn run_cat(config: config::CatConfig, quiet: bool) -> ExitCode {
    let (jobs, threads) = (config.jobs, config.threads);
    cpu::init(threads);
    on_runtime(jobs + threads, TempRegistry::default(), |interrupt| {
        Box::pin(cat::run(config, interrupt, quiet))
    })
}

/// A command's run, borrowing the run's signal handling.
type CommandRun<'a> = std::pin::Pin<Box<dyn Future<Output = ExitCode> + 'a>>;

/// Runs a command on a fresh runtime with signal handling. A second Ctrl-C ends the run at once
/// (the command's future is dropped): the temp files in `temps` are removed and the signal's
/// exit code returned.
fn on_runtime(
    jobs: usize,
    temps: TempRegistry,
    command: impl for<'a> FnOnce(&'a Interrupt) -> CommandRun<'a>,
) -> ExitCode {
    let runtime = match runtime(jobs) {
        Ok(runtime) => runtime,
        Err(error) => return fatal(&error.into()),
    };
    let code = runtime.block_on(async {
        let interrupt = match Interrupt::install() {
            Ok(interrupt) => interrupt,
            Err(error) => {
                return fatal(&anyhow::Error::new(error).context("cannot handle signals"));
            }
        };
        tokio::select! {
            code = command(&interrupt) => code,
            () = interrupt.forced() => {
                temps.remove_all();
                interrupt.exit_code().unwrap_or(ExitCode::Interrupted)
            }
        }
    });
    // Do not wait for blocking tasks: after a forced exit one may be stuck reading stdin.
    runtime.shutdown_background();
    // A worker racing the forced exit may have registered one more temp file.
    temps.remove_all();
    code
}

/// The runtime: one worker per CPU; the blocking pool sized for the pool's lanes (one thread per
/// job, see `pipeline`), plus, for each streaming file, a read and a write outstanding, plus the
/// reporter's stderr writes.
fn runtime(jobs: usize) -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(jobs.saturating_mul(3).saturating_add(4))
        .thread_name("asyncfiles")
        .build()
}

/// `-v` shows per-file lines (info), `-vv` walker decisions (debug); messages go to stderr bare.
fn init_tracing(quiet: bool, verbose: u8) {
    let level = match (quiet, verbose) {
        (true, _) => tracing::Level::ERROR,
        (false, 0) => tracing::Level::WARN,
        (false, 1) => tracing::Level::INFO,
        (false, _) => tracing::Level::DEBUG,
    };
    let _ = tracing_subscriber::fmt()
        .with_writer(report::log_writer)
        .with_max_level(level)
        .without_time()
        .with_target(false)
        .with_level(false)
        .with_ansi(false)
        .try_init();
}
