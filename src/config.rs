//! The checked configuration: raw command-line options turned, once, into values workers can trust.
//!
//! Everything that can be refused before any work starts is refused here (a missing IN, an OUT
//! inside IN, a bad glob, an unreadable `--files-from` list), so that a usage error never leaves a
//! half-made output tree behind. Workers receive an `Arc<ConvertConfig>` and never see clap types.
//! `convert`, `hash`/`stats` and the shared checks live here; `cat` and `grep` have theirs in
//! `config/cat.rs` and `config/grep.rs`.

use std::ffi::OsString;
use std::fs;
use std::os::unix::fs::FileTypeExt as _;
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::cli::{
    ConvertArgs, EolArg, FromArg, LineArg, LineArgs, PoolArgs, RedactArg, ToArg, WalkArgs,
};
use crate::codec::{CodecConfig, Decoding, Format};
use crate::shard::Shard;
use crate::transform::Eol;
use crate::transform::lines::{DropEmpty, Grep, LineOp, Replace, Rewriter, Trim, line_regex};
use crate::transform::redact::{Key, Kind, Mask, Redact};
use crate::walk::{Root, ShardFilter, ShardKey, WalkConfig};

mod cat;
mod grep;

pub use cat::CatConfig;
pub use grep::{GrepConfig, GrepMode};

/// Environment variable that slows every chunk down by this many milliseconds.
///
/// For tests only: it makes interruption and resource tests deterministic on any machine. It is
/// documented as such in the README and has no other effect.
pub const TEST_DELAY_ENV: &str = "ASYNCFILES_TEST_DELAY_MS";
/// For tests only: blocks of this many bytes (and files from this size on cut into blocks), so
/// that a test sees many blocks in a small file. Documented as such in the README.
pub const TEST_BLOCK_SIZE_ENV: &str = "ASYNCFILES_TEST_BLOCK_SIZE";

/// Environment variable that makes opening each file hang this many milliseconds on the blocking
/// pool, where no cancellation reaches: a stand-in for a hung network file system.
///
/// For tests only: it lets a test show that a second Ctrl-C exits at once even when the first
/// cannot drain. Documented as such in the README; no other effect.
pub const TEST_STALL_ENV: &str = "ASYNCFILES_TEST_STALL_MS";

/// Environment variable that replaces the memory limit the encoders in flight must fit in
/// (bytes; normally half of the machine's memory).
///
/// For tests only: it lets a test see `--jobs` lowered on any machine. Documented as such in the
/// README; no other effect.
pub const TEST_MEMORY_LIMIT_ENV: &str = "ASYNCFILES_TEST_MEMORY_LIMIT";

/// Where the bytes come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A directory tree, walked recursively.
    Dir(PathBuf),
    /// One regular file.
    File(PathBuf),
    /// A stream, read once as it comes: standard input (`-`), or a named pipe given as IN
    /// (`convert <(zcat x.gz) out.log`).
    Stream(PathBuf),
    /// Several INs (`convert A B DIR OUT/`), as given, or any INs with `--in-place`: walked
    /// through [`ConvertConfig::roots`].
    Several(Vec<PathBuf>),
}

/// Where the bytes go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dest {
    /// A directory mirroring the layout of a source directory.
    Dir(PathBuf),
    /// One output file (the source is a single file or stdin).
    File(PathBuf),
    /// Standard output (`-`).
    Stdout,
    /// `--in-place`: each output beside its input.
    InPlace,
}

/// `--in-place`: what becomes of inputs and of outputs that exist already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InPlace {
    /// Remove each input once its output is committed and synced (not `--keep`).
    pub remove: bool,
    /// `--force`: replace an output name that exists already (otherwise that file fails).
    pub replace: bool,
}

/// The checked configuration of one `convert` run.
#[derive(Debug)]
pub struct ConvertConfig {
    /// What to read.
    pub source: Source,
    /// Where to write.
    pub dest: Dest,
    /// How to walk a source directory (`None` for a single file or stdin, and for
    /// [`Source::Several`]).
    pub walk: Option<WalkConfig>,
    /// [`Source::Several`]: what the walker goes through, in command-line order (each tree's
    /// [`WalkConfig::prefix`] is its name under OUT; each file is named after itself).
    pub roots: Vec<crate::walk::Root>,
    /// `--in-place` (`None`: outputs go to OUT).
    pub in_place: Option<InPlace>,
    /// Line-ending normalisation.
    pub eol: Eol,
    /// Line transforms, in command-line order (`None`: there are none).
    pub lines: Option<LineTransforms>,
    /// `--manifest`: where to write the b3sum manifest of the outputs (`%K` and `%N` replaced).
    pub manifest: Option<PathBuf>,
    /// `--shard`: the piece of the tree this run converts (`None`: all of it).
    pub shard: Option<Shard>,
    /// `--min-size`, `--max-size`, `--changed-within`, `--changed-before` for a file IN (a
    /// walk's files meet them in the walk), as `hash` applies them to files named as PATHs.
    pub file_filter: crate::walk::MetaFilter,
    /// `--incremental` (and no `--force`): skip outputs that are up to date.
    pub incremental: bool,
    /// `--fail-fast`.
    pub fail_fast: bool,
    /// `--dry-run`: decide, print, write nothing.
    pub dry_run: bool,
    /// `--timeout`: longest one file may take.
    pub timeout: Option<Duration>,
    /// `--json`: one object per file on stdout.
    pub json: bool,
    /// `--progress`, resolved: draw the bar.
    pub progress: bool,
    /// `--max-rate`: input bytes per second.
    pub max_rate: Option<u64>,
    /// `--retries`: tries after a transient error.
    pub retries: u32,
    /// `--retry-delay`: the first wait before a retry.
    pub retry_delay: Duration,
    /// Input decoding and output encoding.
    pub codec: CodecConfig,
    /// `--jobs`: files in flight at once (a tree gets fewer when that many encoders would not
    /// fit in [`Self::memory_limit`]: see [`Self::lanes`]).
    pub jobs: usize,
    /// `--threads`: the CPU budget (see [`crate::cpu`]); above 1, large files go block-parallel.
    pub threads: usize,
    /// What the encoders in flight may use together (`None`: unknown, no limit).
    pub memory_limit: Option<MemoryLimit>,
    /// fsync each output and its directory.
    pub fsync: bool,
    /// `--archive`: keep owner, group and extended attributes (ACLs) of files and directories.
    pub archive: bool,
    /// Test-only slowdown per chunk (see [`TEST_DELAY_ENV`]).
    pub test_delay: Option<Duration>,
    /// Test-only block size (see [`TEST_BLOCK_SIZE_ENV`]).
    pub test_block_size: Option<usize>,
    /// Test-only hang when opening each file (see [`TEST_STALL_ENV`]).
    pub test_stall: Option<Duration>,
}

impl ConvertConfig {
    /// Turns `convert` options into a checked configuration, refusing anything that cannot work
    /// before a single byte is written.
    pub fn from_args(mut args: ConvertArgs) -> Result<Self> {
        let codec = codec_config(args.from, args.to, args.level)?;
        let lines = LineTransforms::from_args(&args.lines)?;
        let paths = std::mem::take(&mut args.paths);
        if args.in_place {
            let transforms = args.eol != EolArg::Keep || lines.is_some();
            return Self::in_place(args, paths, codec, lines, transforms);
        }
        let Some((output, inputs)) = paths.split_last() else {
            bail!("give IN and OUT");
        };
        match inputs {
            [] => bail!("give OUT after IN (or --in-place to write each output beside its input)"),
            [input] => {
                let (input, output) = (input.clone(), output.clone());
                Self::one_source(args, &input, &output, codec, lines)
            }
            _ => Self::several(args, inputs, output, codec, lines),
        }
    }

    /// `convert IN OUT`: one source, as it always was.
    fn one_source(
        args: ConvertArgs,
        input: &Path,
        output: &Path,
        codec: CodecConfig,
        lines: Option<LineTransforms>,
    ) -> Result<Self> {
        let source = resolve_source(input)?;
        let dest = resolve_dest(output, &source)?;
        let output_root = check_no_overlap(&source, &dest, &codec)?;
        if args.json && dest == Dest::Stdout {
            bail!("--json writes to standard output: OUT cannot be - as well");
        }
        if args.manifest.is_some() && dest == Dest::Stdout {
            bail!("--manifest lists output files: OUT cannot be - (standard output)");
        }
        let shard = shard(&args.walk)?;
        if shard.is_some() && !matches!(source, Source::Dir(_)) {
            bail!("--shard splits the files of a directory tree: IN must be a directory");
        }
        let walk = match &source {
            Source::Dir(root) => {
                let walk_args = args.walk.clone();
                let mut walk = WalkConfig::from_args(walk_args, root.clone(), output_root, codec)?;
                walk.shard = shard.map(|shard| ShardFilter {
                    shard,
                    key: ShardKey::OutputPath,
                });
                Some(walk)
            }
            _ if args.walk.files_from.is_some() => {
                bail!(
                    "--files-from needs IN to be a directory (the listed paths are relative to it)"
                )
            }
            _ => None,
        };
        Self::checked(args, source, dest, walk, Vec::new(), None, codec, lines)
    }

    /// `convert A B DIR… OUT`: OUT is a directory, and each source is written under its own
    /// name, as rsync does for a source without a trailing slash (`logs/app` → `OUT/app/…`, a
    /// file → `OUT/NAME`). Two sources that would land on one name are refused.
    fn several(
        args: ConvertArgs,
        inputs: &[PathBuf],
        output: &Path,
        codec: CodecConfig,
        lines: Option<LineTransforms>,
    ) -> Result<Self> {
        if fs::symlink_metadata(output).is_ok_and(|meta| meta.is_symlink()) && !output.exists() {
            bail!("{}: is a symbolic link to nothing", output.display());
        }
        if output.exists() && !output.is_dir() {
            bail!(
                "{}: is not a directory (with several INs, OUT must be one)",
                output.display()
            );
        }
        let out = output.to_path_buf();
        let output_root = canonical_lenient(&out)?;
        let mut names: Vec<(OsString, &Path)> = Vec::new();
        let mut sources = Vec::with_capacity(inputs.len());
        for input in inputs {
            let source = resolve_source(input)?;
            let name = match &source {
                Source::Stream(_) => bail!(
                    "{}: a stream cannot be one of several INs (give it alone, with an output file)",
                    input.display()
                ),
                Source::Dir(_) => source_name(input)?,
                Source::File(_) => codec.output_name(&source_name(input)?),
                Source::Several(_) => unreachable!("resolve_source gives one source"),
            };
            if let Some((_, other)) = names.iter().find(|(taken, _)| *taken == name) {
                bail!(
                    "{} and {} would both be written as {}",
                    other.display(),
                    input.display(),
                    out.join(&name).display()
                );
            }
            check_no_overlap(&source, &Dest::Dir(out.clone()), &codec)?;
            names.push((name, input));
            sources.push(source);
        }
        let roots = roots(&args, sources, Some(output_root), codec, false)?;
        let source = Source::Several(inputs.to_vec());
        Self::checked(
            args,
            source,
            Dest::Dir(out),
            None,
            roots,
            None,
            codec,
            lines,
        )
    }

    /// `convert --in-place IN…`: each output beside its input. Refused when there is nothing
    /// to do (`--to keep` and no transform), for a stream, and for INs given twice (one inside
    /// another), which would convert a file twice at once.
    fn in_place(
        args: ConvertArgs,
        inputs: Vec<PathBuf>,
        codec: CodecConfig,
        lines: Option<LineTransforms>,
        transforms: bool,
    ) -> Result<Self> {
        if args.to == ToArg::Keep && !transforms {
            bail!(
                "--in-place with --to keep and no transform has nothing to do: give --to FORMAT (or a line transform)"
            );
        }
        if args.to == ToArg::Keep && args.incremental && !args.force {
            bail!(
                "--in-place with --to keep rewrites each file under its own name: --incremental \
                 cannot tell a rewritten file from one still to rewrite"
            );
        }
        let mut sources = Vec::with_capacity(inputs.len());
        let mut seen: Vec<(PathBuf, &Path)> = Vec::new();
        // Files named side by side that would get one output name (`a.log` and `a.log.gz`
        // with --to none): refused, as the walk refuses such rivals in a tree.
        let mut outputs: Vec<(PathBuf, &Path)> = Vec::new();
        for input in &inputs {
            let source = resolve_source(input)?;
            if let Source::Stream(_) = source {
                bail!(
                    "{}: --in-place writes each output beside its input: a stream has no place (give an OUT)",
                    input.display()
                );
            }
            let real = canonical(input)?;
            if let Some((_, other)) = seen
                .iter()
                .find(|(taken, _)| real.starts_with(taken) || taken.starts_with(&real))
            {
                bail!(
                    "{} and {} overlap: each file would be converted twice at once; give each once",
                    other.display(),
                    input.display()
                );
            }
            if let (Source::File(_), Some(name)) = (&source, input.file_name()) {
                // Beside the name given (a link's output goes beside the link).
                let dir = input.parent().filter(|dir| !dir.as_os_str().is_empty());
                let dir = fs::canonicalize(dir.unwrap_or(Path::new(".")))
                    .with_context(|| input.display().to_string())?;
                let output = dir.join(codec.output_name(name));
                if let Some((_, other)) = outputs.iter().find(|(taken, _)| *taken == output) {
                    bail!(
                        "{} and {} would both be written as {}: give one of them",
                        other.display(),
                        input.display(),
                        input.with_file_name(codec.output_name(name)).display()
                    );
                }
                outputs.push((output, input));
            }
            seen.push((real, input));
            sources.push(source);
        }
        let in_place = InPlace {
            remove: !args.keep,
            replace: args.force,
        };
        let several = sources.len() > 1;
        let mut roots = roots(&args, sources, None, codec, true)?;
        // One IN keeps the one-source paths of the run (a tree's walk, a file's single task).
        let (source, walk) = match (several, roots.pop()) {
            (false, Some(Root::Tree(walk))) => (Source::Dir(walk.root.clone()), Some(*walk)),
            (false, Some(Root::Named { path, .. })) => (Source::File(path), None),
            (_, last) => {
                roots.extend(last);
                (Source::Several(inputs.clone()), None)
            }
        };
        let in_place = Some(in_place);
        Self::checked(
            args,
            source,
            Dest::InPlace,
            walk,
            roots,
            in_place,
            codec,
            lines,
        )
    }

    /// The options every kind of run shares, checked, around its sources and destination.
    #[allow(
        clippy::too_many_arguments,
        reason = "one call per kind of run, each names all"
    )]
    fn checked(
        args: ConvertArgs,
        source: Source,
        dest: Dest,
        walk: Option<WalkConfig>,
        roots: Vec<crate::walk::Root>,
        in_place: Option<InPlace>,
        codec: CodecConfig,
        lines: Option<LineTransforms>,
    ) -> Result<Self> {
        let shard = shard(&args.walk)?;
        let from_engine = args.walk.shard.as_deref() == Some("auto");
        let file_filter = crate::walk::MetaFilter::from_args(&args.walk);
        Ok(Self {
            source,
            dest,
            walk,
            roots,
            in_place,
            file_filter,
            eol: match args.eol {
                EolArg::Keep => Eol::Keep,
                EolArg::Lf => Eol::Lf,
                EolArg::Crlf => Eol::Crlf,
            },
            lines,
            manifest: shard_manifest(args.manifest, shard, from_engine)?,
            shard,
            incremental: args.incremental && !args.force,
            fail_fast: args.run.fail_fast,
            dry_run: args.dry_run,
            timeout: args.run.timeout,
            json: args.json,
            progress: progress(args.run.progress),
            max_rate: args.run.max_rate,
            retries: args.run.retries,
            retry_delay: args.run.retry_delay,
            codec,
            jobs: jobs(&args.pool),
            threads: threads(&args.pool),
            memory_limit: MemoryLimit::of_this_machine()?,
            fsync: args.fsync,
            archive: args.archive,
            test_delay: test_duration(TEST_DELAY_ENV)?,
            test_block_size: test_number(TEST_BLOCK_SIZE_ENV)?,
            test_stall: test_duration(TEST_STALL_ENV)?,
        })
    }
}

impl ConvertConfig {
    /// The pattern tally of the run's walks (they share one), if it walks a directory.
    pub fn tally(&self) -> Option<std::sync::Arc<crate::walk::PatternTally>> {
        let mut trees = self
            .walk
            .iter()
            .chain(self.roots.iter().filter_map(|root| match root {
                crate::walk::Root::Tree(walk) => Some(&**walk),
                _ => None,
            }));
        trees.next().map(|walk| walk.filter.tally().clone())
    }

    /// Whether the stage chain changes bytes (then a kept format must still be decoded, and
    /// encoded again).
    pub fn transforms(&self) -> bool {
        self.eol != Eol::Keep || self.lines.is_some()
    }

    /// How many files of a tree are converted at once: `--jobs`, or fewer when that many of the
    /// run's encoders would need more than the memory limit together (then the reason is
    /// returned too). Every file of a run uses the same encoder, or one of the formats' defaults
    /// with `--to keep`, so the run is sized for the largest; file sizes are not known yet.
    pub fn lanes(&self) -> (usize, Option<Lowered>) {
        let encoder = self.codec.largest_encoder(self.transforms());
        let (Some((format, level)), Some(limit)) = (encoder, self.memory_limit) else {
            return (self.jobs, None);
        };
        let each = crate::codec::encoder_memory(format, level);
        let lanes = lanes_within(self.jobs, each, limit.bytes);
        let lowered = (lanes < self.jobs).then_some(Lowered {
            jobs: self.jobs,
            lanes,
            encoder: (format, level),
            each,
            limit,
        });
        (lanes, lowered)
    }
}

/// At most `jobs`, at least 1: as many encoders needing `each` bytes as fit in `limit`.
fn lanes_within(jobs: usize, each: u64, limit: u64) -> usize {
    let fit = usize::try_from(limit / each.max(1)).unwrap_or(usize::MAX);
    jobs.min(fit).max(1)
}

/// The memory the encoders in flight may use together: half of the machine's memory (or of the
/// cgroup's limit, in a container), so that the rest is left for the page cache and the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryLimit {
    /// Bytes.
    pub bytes: u64,
    /// Where the figure comes from, for messages (`half of memory`).
    pub origin: &'static str,
}

impl MemoryLimit {
    /// The limit of this machine (or the test override, [`TEST_MEMORY_LIMIT_ENV`]); `None` when
    /// the memory size cannot be read.
    fn of_this_machine() -> Result<Option<Self>> {
        if let Ok(bytes) = std::env::var(TEST_MEMORY_LIMIT_ENV) {
            let bytes = bytes
                .parse()
                .with_context(|| format!("{TEST_MEMORY_LIMIT_ENV}={bytes:?}"))?;
            return Ok(Some(Self {
                bytes,
                origin: TEST_MEMORY_LIMIT_ENV,
            }));
        }
        let physical = fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|info| mem_total(&info));
        let cgroup = fs::read_to_string("/sys/fs/cgroup/memory.max")
            .ok()
            .and_then(|max| max.trim().parse::<u64>().ok());
        Ok(match (physical, cgroup) {
            (Some(physical), Some(cgroup)) if cgroup < physical => Some(Self {
                bytes: cgroup / 2,
                origin: "half of the cgroup's memory.max",
            }),
            (Some(physical), _) => Some(Self {
                bytes: physical / 2,
                origin: "half of memory",
            }),
            (None, cgroup) => cgroup.map(|cgroup| Self {
                bytes: cgroup / 2,
                origin: "half of the cgroup's memory.max",
            }),
        })
    }
}

/// `MemTotal` of `/proc/meminfo`, in bytes.
fn mem_total(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|line| line.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

/// `--jobs` lowered to fit the encoders in the memory limit; displays as the `-v` note.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lowered {
    /// `--jobs` (or its default).
    pub jobs: usize,
    /// Files converted at once instead.
    pub lanes: usize,
    /// The encoder the run was sized for.
    pub encoder: (Format, i32),
    /// Its estimated memory per file.
    pub each: u64,
    /// The limit.
    pub limit: MemoryLimit,
}

impl std::fmt::Display for Lowered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (format, level) = self.encoder;
        write!(
            f,
            "--jobs {} lowered to {} in flight: {} -{level} needs ~{} per file, the limit is {} ({})",
            self.jobs,
            match self.lanes {
                1 => "1 file".to_owned(),
                lanes => format!("{lanes} files"),
            },
            format.name(),
            binary_size(self.each),
            binary_size(self.limit.bytes),
            self.limit.origin,
        )
    }
}

/// `674 MiB`, `12.0 GiB`: the units of the memory table in the README.
fn binary_size(bytes: u64) -> String {
    const MIB: u64 = 1 << 20;
    if bytes < 1024 * MIB {
        format!("{} MiB", bytes.div_ceil(MIB))
    } else {
        format!("{:.1} GiB", bytes as f64 / (1024 * MIB) as f64)
    }
}

/// What `hash` or `stats` computes for each file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigestKind {
    /// BLAKE3 hashes (`hash`).
    Hash,
    /// Lines and bytes (`stats`), as JSON lines or as columns.
    Stats { json: bool },
}

/// The checked configuration of a `hash` or `stats` run.
#[derive(Debug)]
pub struct DigestConfig {
    /// What to compute.
    pub kind: DigestKind,
    /// What the walker goes through, in command-line order.
    pub roots: Vec<crate::walk::Root>,
    /// Decode compressed files first (`--decompressed`; always for `stats`).
    pub decompressed: bool,
    /// Lines as files finish, not sorted (`--unsorted`).
    pub unsorted: bool,
    /// `--check MANIFEST`.
    pub check: Option<PathBuf>,
    /// Directories given with `--check`, walked for files the manifest does not list.
    pub check_dirs: bool,
    /// `--check`'s sha256sum options (`--ignore-missing`, `--status`).
    pub check_options: CheckOptions,
    /// How inputs are recognised (gzip, zstd, xz, bzip2 by content; brotli, lzma by name).
    pub codec: CodecConfig,
    /// Files in flight at once.
    pub jobs: usize,
    /// `--threads`: the CPU budget (see [`crate::cpu`]).
    pub threads: usize,
    /// `--fail-fast`.
    pub fail_fast: bool,
    /// `--max-rate`: input bytes per second.
    pub max_rate: Option<u64>,
    /// `--timeout`: longest one file may take.
    pub timeout: Option<Duration>,
    /// `--retries` and `--retry-delay`.
    pub retries: u32,
    /// The first wait before a retry.
    pub retry_delay: Duration,
    /// `--progress`, resolved: draw the bar.
    pub progress: bool,
    /// `hash --json`: JSON lines instead of b3sum lines.
    pub json: bool,
    /// The PATHs read as streams, as they come: `-` and named pipes (`hash <(zcat x.gz)`).
    pub streams: Vec<PathBuf>,
    /// `--shard`: the piece of the PATHs this run reads (`None`: all of them).
    pub shard: Option<Shard>,
}

/// How `hash --check` reports, beyond `-q` (sha256sum's options).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CheckOptions {
    /// `--ignore-missing`: listed files that do not exist are passed over in silence.
    pub ignore_missing: bool,
    /// `--status`: no output; only errors that stop the check (exit 2) reach stderr.
    pub status: bool,
}

/// The checked configuration of `hash --merge`.
#[derive(Debug)]
pub struct MergeConfig {
    /// The manifests to merge, in command-line order (`-`: standard input).
    pub inputs: Vec<PathBuf>,
}

impl MergeConfig {
    /// `hash --merge` options, checked (clap has refused the options that make no sense here).
    pub fn for_hash(args: crate::cli::HashArgs) -> Result<Self> {
        if args.paths.iter().filter(|path| is_dash(path)).count() > 1 {
            bail!("- (standard input) can be given once");
        }
        Ok(Self { inputs: args.paths })
    }
}

/// `--progress`, resolved against whether stderr is a terminal.
fn progress(when: crate::cli::ProgressArg) -> bool {
    match when {
        crate::cli::ProgressArg::Always => true,
        crate::cli::ProgressArg::Never => false,
        crate::cli::ProgressArg::Auto => std::io::IsTerminal::is_terminal(&std::io::stderr()),
    }
}

impl DigestConfig {
    /// `hash` options, checked.
    pub fn for_hash(args: crate::cli::HashArgs) -> Result<Self> {
        // With --check, PATHs (when given) are directories to look for new files in.
        let check_dirs = args.check.is_some() && !args.paths.is_empty();
        if args.check.is_some() && args.walk.shard.is_some() {
            bail!(
                "--shard splits a walk, and --check reads a manifest: give the whole manifest to one run"
            );
        }
        let mut config = Self::new(
            DigestKind::Hash,
            args.paths,
            args.walk,
            &args.pool,
            args.decompressed,
        )?;
        config.unsorted = args.unsorted;
        config.apply(&args.run);
        config.json = args.json;
        config.check = args.check;
        config.check_dirs = check_dirs;
        // --strict is what --check always does (a malformed line is exit 2): nothing to keep.
        config.check_options = CheckOptions {
            ignore_missing: args.check_options.ignore_missing,
            status: args.check_options.status,
        };
        // --status: no output at all, the progress bar included.
        config.progress &= !config.check_options.status;
        if config.check_dirs
            && config.roots.iter().any(|root| {
                matches!(
                    root,
                    crate::walk::Root::Path(_) | crate::walk::Root::File(..)
                )
            })
        {
            bail!("with --check, the PATHs are directories to look for new files in");
        }
        Ok(config)
    }

    /// The pattern tally of the run's walks (they share one), if it walks a directory.
    pub fn tally(&self) -> Option<std::sync::Arc<crate::walk::PatternTally>> {
        self.roots.iter().find_map(|root| match root {
            crate::walk::Root::Tree(walk) => Some(walk.filter.tally().clone()),
            _ => None,
        })
    }

    /// `stats` options, checked.
    pub fn for_stats(args: crate::cli::StatsArgs) -> Result<Self> {
        Self::new(
            DigestKind::Stats { json: args.json },
            args.paths,
            args.walk,
            &args.pool,
            true,
        )
        .map(|mut config| {
            config.apply(&args.run);
            config
        })
    }

    /// Takes the operator options (`--fail-fast`, `--timeout`, …).
    fn apply(&mut self, run: &crate::cli::RunArgs) {
        self.fail_fast = run.fail_fast;
        self.max_rate = run.max_rate;
        self.timeout = run.timeout;
        self.retries = run.retries;
        self.retry_delay = run.retry_delay;
        self.progress = progress(run.progress);
    }

    pub(crate) fn new(
        kind: DigestKind,
        mut paths: Vec<PathBuf>,
        walk: WalkArgs,
        pool: &PoolArgs,
        decompressed: bool,
    ) -> Result<Self> {
        let codec = codec_config(FromArg::Auto, ToArg::Keep, None)?;
        if paths.is_empty() {
            paths.push(PathBuf::from("."));
        }
        let dirs = paths
            .iter()
            .filter(|path| !is_dash(path) && path.is_dir())
            .count();
        if walk.files_from.is_some() && (dirs != 1 || paths.len() != 1) {
            bail!(
                "--files-from needs exactly one PATH, a directory (the listed paths are relative to it)"
            );
        }
        let shard = shard(&walk)?;
        let mut list = walk.files_from.clone();
        // One filter for every directory: the pattern files are read once, and a pattern that
        // matched in any of them is not warned about.
        let mut filter: Option<crate::walk::PathFilter> = None;
        let mut roots = Vec::with_capacity(paths.len());
        let mut streams: Vec<PathBuf> = Vec::new();
        for path in paths {
            if is_dash(&path) || is_fifo(&path) {
                if shard.is_some() {
                    bail!(
                        "--shard splits files by name: {} is a stream, which cannot be split",
                        path.display()
                    );
                }
                if is_dash(&path) && streams.iter().any(|stream| is_dash(stream)) {
                    bail!("- (standard input) can be given once");
                }
                streams.push(path.clone());
                roots.push(crate::walk::Root::Path(path));
            } else if path.is_dir() {
                // Walk options apply to every directory (there is one when a list is given).
                let args = WalkArgs {
                    files_from: list.take(),
                    ..walk.clone()
                };
                let mut config = WalkConfig::sharing(args, path, None, codec, &mut filter)?;
                config.shard = shard.map(|shard| ShardFilter {
                    shard,
                    key: ShardKey::Printed,
                });
                roots.push(crate::walk::Root::Tree(Box::new(config)));
            } else if shard.is_none_or(|shard| shard.owns(&path)) {
                // A file named on the command line is sharded by its name as given (printed), and
                // meets the size and age tests (not the patterns, which name paths below a PATH).
                let meta = crate::walk::MetaFilter::from_args(&walk);
                roots.push(crate::walk::Root::File(path, meta));
            }
        }
        Ok(Self {
            kind,
            roots,
            decompressed,
            unsorted: false,
            check: None,
            check_dirs: false,
            check_options: CheckOptions::default(),
            codec,
            jobs: jobs(pool),
            threads: threads(pool),
            fail_fast: false,
            max_rate: None,
            timeout: None,
            retries: 0,
            retry_delay: Duration::ZERO,
            progress: false,
            json: false,
            streams,
            shard,
        })
    }
}

/// The walker's roots for several INs, or for `--in-place`: each directory a tree walked with
/// the walk options (and, for several INs into OUT, its name as the start of its outputs' paths
/// there), each file as itself. `--shard` keys are output paths relative to OUT (in place:
/// relative to IN), so a file IN is kept or left here by its output name.
fn roots(
    args: &ConvertArgs,
    sources: Vec<Source>,
    output_root: Option<PathBuf>,
    codec: CodecConfig,
    in_place: bool,
) -> Result<Vec<Root>> {
    let shard = shard(&args.walk)?;
    let dirs = sources
        .iter()
        .filter(|source| matches!(source, Source::Dir(_)))
        .count();
    if args.walk.files_from.is_some() && (dirs != 1 || sources.len() != 1) {
        bail!(
            "--files-from needs exactly one IN, a directory (the listed paths are relative to it)"
        );
    }
    let prefixed = sources.len() > 1 && !in_place;
    let mut roots = Vec::with_capacity(sources.len());
    // One filter for every tree: a pattern warned about as unmatched matched in none of them.
    let mut filter: Option<crate::walk::PathFilter> = None;
    for source in sources {
        match source {
            Source::Dir(root) => {
                let (walk_args, output_root) = (args.walk.clone(), output_root.clone());
                let root_path = root.clone();
                let mut walk =
                    WalkConfig::sharing(walk_args, root_path, output_root, codec, &mut filter)?;
                if prefixed {
                    walk.prefix = PathBuf::from(source_name(&root)?);
                }
                walk.in_place = in_place;
                walk.shard = shard.map(|shard| ShardFilter {
                    shard,
                    key: ShardKey::OutputPath,
                });
                roots.push(Root::Tree(Box::new(walk)));
            }
            Source::File(path) => {
                let name = source_name(&path)?;
                let output = codec.output_name(&name);
                if shard.is_none_or(|shard| shard.owns(Path::new(&output))) {
                    let rel = PathBuf::from(name);
                    let meta = crate::walk::MetaFilter::from_args(&args.walk);
                    roots.push(Root::Named { path, rel, meta });
                }
            }
            Source::Stream(_) | Source::Several(_) => {
                unreachable!("streams are refused before, and a source is one path")
            }
        }
    }
    Ok(roots)
}

/// The name a source is written under in OUT when there are several: its last component, as
/// rsync names a source without a trailing slash (`logs/app` and `logs/app/` alike: `app`);
/// `.` and `..` are named after the directory they are.
fn source_name(input: &Path) -> Result<OsString> {
    match input.file_name() {
        Some(name) => Ok(name.to_owned()),
        None => canonical(input)?
            .file_name()
            .map(ToOwned::to_owned)
            .with_context(|| format!("{}: has no name to be written under", input.display())),
    }
}

/// `--shard` with `--shards` (or `ASYNCFILES_SHARDS`), checked; `auto` is read from the
/// environment now. `None` without `--shard`.
fn shard(walk: &WalkArgs) -> Result<Option<Shard>> {
    let Some(value) = walk.shard.as_deref() else {
        return Ok(None);
    };
    Shard::from_args(value, walk.shards.as_deref(), |name| {
        std::env::var(name).ok()
    })
    .map(Some)
}

/// `--manifest`, expanded for the shard. With `--shard auto` (`from_engine`), every task of the
/// job runs the same command line, so a path without `%K` in a run of several shards is a usage
/// error: every shard would write it, the last one over the others'. (`--shard K/N` lines are
/// written per shard, as GNU parallel's `{}` does: the name may hold K already.)
fn shard_manifest(
    manifest: Option<PathBuf>,
    shard: Option<Shard>,
    from_engine: bool,
) -> Result<Option<PathBuf>> {
    let Some(pattern) = manifest else {
        return Ok(None);
    };
    let expanded = expand_shard_pattern(&pattern, shard);
    let alike = shard.filter(|shard| shard.count() > 1).map(|shard| {
        let other = Shard::new((shard.index() + 1) % shard.count(), shard.count());
        expand_shard_pattern(&pattern, other) == expanded
    });
    if from_engine && alike == Some(true) {
        bail!(
            "--manifest {}: every shard would write this file: put %K in its name \
             (e.g. manifests/shard-%K.b3), and merge them with `asyncfiles hash --merge`",
            pattern.display()
        );
    }
    Ok(Some(expanded))
}

/// `--manifest`'s path with `%K` and `%N` replaced by the shard's K and N (0 and 1 for a run
/// without `--shard`, which is the one shard of one) and `%%` by `%`; any other `%` stays.
fn expand_shard_pattern(path: &Path, shard: Option<Shard>) -> PathBuf {
    use std::os::unix::ffi::{OsStrExt, OsStringExt};
    let (index, count) = shard.map_or((0, 1), |shard| (shard.index(), shard.count()));
    let bytes = path.as_os_str().as_bytes();
    let mut expanded = Vec::with_capacity(bytes.len() + 8);
    let mut rest = bytes;
    while let Some((&byte, tail)) = rest.split_first() {
        match (byte, tail.first()) {
            (b'%', Some(b'K')) => expanded.extend_from_slice(index.to_string().as_bytes()),
            (b'%', Some(b'N')) => expanded.extend_from_slice(count.to_string().as_bytes()),
            (b'%', Some(b'%')) => expanded.push(b'%'),
            _ => {
                expanded.push(byte);
                rest = tail;
                continue;
            }
        }
        rest = &tail[1..];
    }
    PathBuf::from(std::ffi::OsString::from_vec(expanded))
}

/// The line transforms of a run, built once (regexes compiled, key read) and shared by every file.
#[derive(Clone)]
pub struct LineTransforms {
    /// The transforms, in command-line order.
    pub ops: std::sync::Arc<[Box<dyn LineOp>]>,
    /// `--max-line-bytes`, in the units it was given in (for the message).
    pub max_line: crate::size::Size,
}

impl std::fmt::Debug for LineTransforms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} line transforms", self.ops.len())
    }
}

impl LineTransforms {
    /// Compiles the transforms; an invalid regex or key file is a usage error, reported before
    /// any file is touched.
    fn from_args(args: &LineArgs) -> Result<Option<Self>> {
        if args.ordered.is_empty() {
            return Ok(None);
        }
        let redacts = args
            .ordered
            .iter()
            .any(|arg| matches!(arg, LineArg::Redact(_)));
        // The key (perhaps set for every run in the environment) is read only when used.
        let mask = match &args.redact_key {
            Some(path) if redacts => Mask::Pseudonym(Key::from_file(path)?),
            _ => Mask::Label,
        };
        let regex = |pattern: &str| {
            line_regex(pattern).map_err(|error| anyhow::anyhow!("invalid regex: {error}"))
        };
        let ops = args
            .ordered
            .iter()
            .map(|arg| -> Result<Box<dyn LineOp>> {
                Ok(match arg {
                    LineArg::Grep(pattern) => Box::new(Grep::new(regex(pattern)?, true)),
                    LineArg::GrepV(pattern) => Box::new(Grep::new(regex(pattern)?, false)),
                    LineArg::Replace(pattern, replacement) => Box::new(Rewriter(Replace::new(
                        regex(pattern)?,
                        replacement.as_bytes(),
                    ))),
                    LineArg::Redact(kind) => {
                        Box::new(Rewriter(Redact::new(redact_kind(*kind), mask)))
                    }
                    LineArg::Trim => Box::new(Trim),
                    LineArg::DropEmpty => Box::new(DropEmpty),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Some(Self {
            ops: ops.into(),
            max_line: args.max_line_bytes,
        }))
    }
}

fn redact_kind(kind: RedactArg) -> Kind {
    match kind {
        RedactArg::Ipv4 => Kind::Ipv4,
        RedactArg::Ipv6 => Kind::Ipv6,
        RedactArg::Email => Kind::Email,
        RedactArg::Uuid => Kind::Uuid,
        RedactArg::Secret => Kind::Secret,
    }
}

/// `--from`, `--to` and `--level`, checked together.
fn codec_config(from: FromArg, to: ToArg, level: Option<i32>) -> Result<CodecConfig> {
    let decoding = match from {
        FromArg::Auto => Decoding::Auto,
        FromArg::None => Decoding::None,
        FromArg::Gz => Decoding::Format(Format::Gzip),
        FromArg::Zst => Decoding::Format(Format::Zstd),
        FromArg::Xz => Decoding::Format(Format::Xz),
        FromArg::Bz2 => Decoding::Format(Format::Bzip2),
        FromArg::Br => Decoding::Format(Format::Brotli),
        FromArg::Lzma => Decoding::Format(Format::Lzma),
    };
    let format = match to {
        ToArg::Keep | ToArg::None => None,
        ToArg::Gz => Some(Format::Gzip),
        ToArg::Zst => Some(Format::Zstd),
        ToArg::Xz => Some(Format::Xz),
        ToArg::Bz2 => Some(Format::Bzip2),
        ToArg::Br => Some(Format::Brotli),
        ToArg::Lzma => Some(Format::Lzma),
    };
    CodecConfig::new(decoding, format, to == ToArg::Keep, level)
}

/// `--jobs`, defaulting to the number of CPUs.
pub fn jobs(args: &PoolArgs) -> usize {
    args.jobs.map_or_else(crate::cpu::cpus, |n| n as usize)
}

/// `--threads`, defaulting to the number of CPUs.
pub fn threads(args: &PoolArgs) -> usize {
    args.threads.map_or_else(crate::cpu::cpus, |n| n as usize)
}

fn test_number(variable: &str) -> Result<Option<usize>> {
    match std::env::var(variable) {
        Err(_) => Ok(None),
        Ok(n) => Ok(Some(
            n.parse().with_context(|| format!("{variable}={n:?}"))?,
        )),
    }
}

fn test_duration(variable: &str) -> Result<Option<Duration>> {
    match std::env::var(variable) {
        Err(_) => Ok(None),
        Ok(ms) => {
            let ms: u64 = ms.parse().with_context(|| format!("{variable}={ms:?}"))?;
            Ok(Some(Duration::from_millis(ms)))
        }
    }
}

fn is_dash(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// A named pipe given on the command line is read like standard input (as b3sum, wc and zcat
/// read `<(…)`); inside a walked tree, the walker skips FIFOs.
fn is_fifo(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|meta| meta.file_type().is_fifo())
}

fn resolve_source(input: &Path) -> Result<Source> {
    if is_dash(input) {
        return Ok(Source::Stream(input.to_path_buf()));
    }
    let meta = fs::metadata(input).with_context(|| input.display().to_string())?;
    if meta.is_dir() {
        Ok(Source::Dir(input.to_path_buf()))
    } else if meta.is_file() {
        Ok(Source::File(input.to_path_buf()))
    } else if meta.file_type().is_fifo() {
        Ok(Source::Stream(input.to_path_buf()))
    } else {
        bail!(
            "{}: not a regular file, directory or named pipe (use - to read standard input)",
            input.display()
        )
    }
}

/// A path the user wrote with a trailing slash names a directory even if it does not exist yet.
fn names_directory(path: &Path) -> bool {
    path.as_os_str().as_encoded_bytes().ends_with(b"/") || path.is_dir()
}

fn resolve_dest(output: &Path, source: &Source) -> Result<Dest> {
    if is_dash(output) {
        return match source {
            Source::Dir(_) => {
                bail!("cannot write a directory tree to standard output; give an output directory")
            }
            _ => Ok(Dest::Stdout),
        };
    }
    if fs::symlink_metadata(output).is_ok_and(|meta| meta.is_symlink()) && !output.exists() {
        bail!("{}: is a symbolic link to nothing", output.display());
    }
    match source {
        Source::Dir(_) | Source::Several(_) => {
            if output.exists() && !output.is_dir() {
                bail!("{}: exists and is not a directory", output.display());
            }
            Ok(Dest::Dir(output.to_path_buf()))
        }
        // The output is named after the input (and its format), inside that directory.
        Source::File(_) if names_directory(output) => Ok(Dest::Dir(output.to_path_buf())),
        Source::Stream(input) if names_directory(output) => bail!(
            "{}: is a directory; {} needs an output file name or -",
            output.display(),
            if is_dash(input) {
                "standard input"
            } else {
                "a named pipe"
            }
        ),
        Source::File(_) | Source::Stream(_) => {
            let parent = output
                .parent()
                .filter(|parent| !parent.as_os_str().is_empty());
            if let Some(parent) = parent.filter(|parent| parent.exists() && !parent.is_dir()) {
                bail!("{}: exists and is not a directory", parent.display());
            }
            Ok(Dest::File(output.to_path_buf()))
        }
    }
}

/// Refuses trees that overlap: an output inside the input (`convert . ./out` must not produce
/// out/out/out…), an input inside the output (`IN/x/a.log` would be written to `OUT/x/a.log`,
/// which can be another input), or an output that is the input file itself. Returns the canonical
/// output directory for the walker.
fn check_no_overlap(source: &Source, dest: &Dest, codec: &CodecConfig) -> Result<Option<PathBuf>> {
    match (source, dest) {
        (Source::Dir(input), Dest::Dir(output)) => {
            let (input_abs, output_abs) = (canonical(input)?, canonical_lenient(output)?);
            if output_abs == input_abs {
                bail!(
                    "output directory {} is the input directory itself; choose an output outside it",
                    output.display()
                );
            }
            if output_abs.starts_with(&input_abs) {
                bail!(
                    "output directory {} is inside the input directory {}; choose an output outside it",
                    output.display(),
                    input.display()
                );
            }
            if input_abs.starts_with(&output_abs) {
                bail!(
                    "input directory {} is inside the output directory {}; outputs could replace inputs, choose an output outside it",
                    input.display(),
                    output.display()
                );
            }
            Ok(Some(output_abs))
        }
        (Source::File(input), Dest::File(output))
            if canonical_lenient(output)? == canonical(input)? =>
        {
            bail!(
                "output {} is the input file itself; choose another output",
                output.display()
            );
        }
        (Source::File(input), Dest::Dir(dir)) => {
            let name = input.file_name().context("input file has no file name")?;
            let output = dir.join(codec.output_name(name));
            if canonical_lenient(&output)? == canonical(input)? {
                bail!(
                    "output {} is the input file itself; choose another output",
                    output.display()
                );
            }
            Ok(None)
        }
        _ => Ok(None),
    }
}

fn canonical(path: &Path) -> Result<PathBuf> {
    fs::canonicalize(path).with_context(|| path.display().to_string())
}

/// Canonicalizes the longest existing ancestor of `path` and appends the rest, so that an output
/// that does not exist yet can still be compared with the input.
fn canonical_lenient(path: &Path) -> Result<PathBuf> {
    let absolute = std::path::absolute(path).with_context(|| path.display().to_string())?;
    let mut existing = absolute.as_path();
    let mut missing = Vec::new();
    while fs::symlink_metadata(existing).is_err() {
        // The last component may be `..` (no file name): keep it too and fold it lexically below.
        match (existing.parent(), existing.components().next_back()) {
            (Some(parent), Some(last)) => {
                missing.push(last.as_os_str().to_owned());
                existing = parent;
            }
            _ => break,
        }
    }
    let mut resolved = canonical(existing)?;
    for name in missing.into_iter().rev() {
        resolved.push(name);
    }
    Ok(normalize_lexically(&resolved))
}

/// Folds `.` and `..` in the part of a path that does not exist yet (it has no symlinks to honour).
fn normalize_lexically(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_patterns_name_the_shard() {
        let expand = |pattern: &str, shard| expand_shard_pattern(Path::new(pattern), shard);
        let shard = Shard::new(3, 16);
        assert_eq!(
            expand("m/shard-%K-of-%N.b3", shard),
            Path::new("m/shard-3-of-16.b3")
        );
        assert_eq!(expand("m/%%K-%K%", shard), Path::new("m/%K-3%"));
        assert_eq!(expand("m/%x.b3", shard), Path::new("m/%x.b3"));
        assert_eq!(expand("shard-%K.b3", None), Path::new("shard-0.b3"));
    }

    #[test]
    fn lanes_fit_the_encoders_in_the_limit() {
        const MIB: u64 = 1 << 20;
        assert_eq!(lanes_within(16, 674 * MIB, 12 * 1024 * MIB), 16);
        assert_eq!(lanes_within(16, 674 * MIB, 2048 * MIB), 3);
        assert_eq!(lanes_within(16, 674 * MIB, 100 * MIB), 1, "never below one");
        assert_eq!(lanes_within(4, 0, 100), 4);
        let lowered = Lowered {
            jobs: 16,
            lanes: 3,
            encoder: (Format::Xz, 9),
            each: 674 * MIB,
            limit: MemoryLimit {
                bytes: 12 * 1024 * MIB,
                origin: "half of memory",
            },
        };
        assert_eq!(
            lowered.to_string(),
            "--jobs 16 lowered to 3 files in flight: xz -9 needs ~674 MiB per file, \
             the limit is 12.0 GiB (half of memory)"
        );
        let meminfo = "MemTotal:       24683584 kB\nMemFree:        17429648 kB\n";
        assert_eq!(mem_total(meminfo), Some(24_683_584 * 1024));
        assert_eq!(mem_total("MemFree: 1 kB\n"), None);
    }

    #[test]
    fn trailing_slash_names_a_directory() {
        assert!(names_directory(Path::new("does-not-exist/")));
        assert!(!names_directory(Path::new("does-not-exist")));
    }

    #[test]
    fn lenient_canonical_folds_missing_components() {
        let cwd = fs::canonicalize(".").unwrap();
        assert_eq!(
            canonical_lenient(Path::new("no-such/../also-missing/x")).unwrap(),
            cwd.join("also-missing/x")
        );
    }
}
