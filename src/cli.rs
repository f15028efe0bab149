//! The command-line surface: clap derive types and nothing else.
//!
//! These types are parsed once in `main` (by [`parse`]) and turned into a checked configuration by
//! [`crate::config`]; no worker ever sees them. Man page and shell completions are generated from
//! these same definitions (see [`crate::generate`]).

use std::path::PathBuf;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

pub use crate::size::Size;

/// Top-level options and the subcommand to run.
#[derive(Debug, Parser)]
#[command(
    name = "asyncfiles",
    version,
    about = "Batch processing of large log trees: mirror, transform and re-encode files, streaming and atomic",
    long_about = "Batch processing of large log trees.\n\n\
        asyncfiles walks a tree of files and streams each one through a pipeline, a bounded \
        number of files at a time, without ever loading a file whole. Outputs are written \
        atomically: a file appears under its final name only when it is complete.\n\n\
        Exit codes: 0 all files ok, 1 at least one file failed, 2 usage or fatal error, \
        130 interrupted (Ctrl-C), 143 terminated (SIGTERM), 129 hung up (SIGHUP), \
        131 quit (SIGQUIT).",
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    /// Print nothing but errors (no skip notes, no summary)
    // Not global: `grep` has -q and -v of its own; convert, hash and stats take these after
    // their name too ([`Verbosity`]), so `asyncfiles convert -q` still works.
    #[arg(short, long, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Print a line per file (-v); -vv adds walker decisions
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// `-q`, given before the subcommand or after it (convert, hash, stats).
    pub fn is_quiet(&self) -> bool {
        self.quiet || self.command.verbosity().is_some_and(|v| v.quiet)
    }

    /// `-v`'s count, before the subcommand and after it added up.
    pub fn verbosity(&self) -> u8 {
        let after = self.command.verbosity().map_or(0, |v| v.verbose);
        self.verbose.saturating_add(after)
    }
}

impl Command {
    /// The `-q`/`-v` given after the subcommand's name, for the commands that take them there.
    fn verbosity(&self) -> Option<&Verbosity> {
        match self {
            Command::Convert(args) => Some(&args.verbosity),
            Command::Hash(args) => Some(&args.verbosity),
            Command::Stats(args) => Some(&args.verbosity),
            Command::Cat(args) => Some(&args.verbosity),
            Command::Grep(_) | Command::Generate(_) => None,
        }
    }
}

/// `-q` and `-v` after the name of convert, hash, stats and cat (they were global options; grep gives
/// both letters other meanings).
#[derive(Debug, Clone, Copy, Default, Args)]
pub struct Verbosity {
    /// Print nothing but errors (no skip notes, no summary)
    #[arg(short, long, conflicts_with = "verbose", help_heading = GLOBAL_HEADING)]
    pub quiet: bool,

    /// Print a line per file (-v); -vv adds walker decisions
    #[arg(short, long, action = clap::ArgAction::Count, help_heading = GLOBAL_HEADING)]
    pub verbose: u8,
}

/// The heading of `-q`/`-v` in the help and man page of convert, hash and stats (the options
/// of `asyncfiles` itself, taken after the command's name too).
pub const GLOBAL_HEADING: &str = "Global options";

/// The jobs asyncfiles can do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Mirror a tree (or one file, or stdin) into another, streaming each file through the pipeline
    #[command(
        long_about = "Mirror a tree (or one file, or stdin) into another, streaming each \
        file through the pipeline and writing each output atomically.\n\n\
        IN is a directory, a regular file, or - for stdin. OUT is a directory (created with its \
        parents if missing), a file path, or - for stdout. A directory is mirrored into OUT with \
        the same relative layout; a file given with an existing directory (or a path ending in /) \
        as OUT is written to OUT/<file name>. Files in OUT that the run does not write are left \
        alone; existing outputs are replaced atomically.\n\n\
        With several INs (as cp and rsync take them), OUT is a directory and each IN is written \
        under its own name: `convert logs/app logs/web out` writes out/app/… and out/web/…, a \
        file IN is written to OUT/<file name>.\n\n\
        With --in-place (no OUT), each output is written beside its input and the input is \
        removed once the output is complete and synced (--keep keeps it), as gzip and zstd --rm \
        do; an output name that exists already fails that file unless --force.\n\n\
        Compressed inputs (gzip, zstd, xz, bzip2 by content; brotli, lzma by name) are decoded \
        transparently when an output format or a transform needs it; --to re-encodes.\n\n\
        Examples:\n  \
        asyncfiles convert /var/log/app /backup/app\n  \
        asyncfiles convert --to zst --level 19 /var/log/archive /backup/archive\n  \
        asyncfiles convert --to none logs.tar.gz - | tar t\n  \
        asyncfiles convert --eol lf --include '*.log' ./in ./out\n  \
        asyncfiles convert --grep-v 'GET /health' --redact ipv4 --to gz logs shipped\n  \
        asyncfiles convert --incremental --progress always --json logs out | jq .status\n  \
        find logs -name '*.log' -mtime -1 -printf '%P\\0' | asyncfiles convert --files-from - -0 logs out\n  \
        asyncfiles convert --shard auto --to zst --manifest m/shard-%K.b3 /shared/logs /shared/archive\n  \
        asyncfiles convert --to zst logs/app logs/web /backup/\n  \
        asyncfiles convert --in-place --to zst --changed-before 1d /var/log/app",
        override_usage = "asyncfiles convert [OPTIONS] IN... OUT\n       \
        asyncfiles convert --in-place [OPTIONS] IN..."
    )]
    Convert(Box<ConvertArgs>),

    /// Print BLAKE3 hashes of files and trees in b3sum's format, or check them (--check)
    #[command(
        long_about = "Print the BLAKE3 hash of every file, in b3sum's format: 64 hex digits, \
        two spaces, the path (as you would name it: logs/app/a.log for `hash logs`), sorted by \
        path. Directories are walked with the same options as convert; - reads standard input.\n\n\
        With --check MANIFEST, reads b3sum-format lines (also ones b3sum wrote) and prints \
        `path: OK`, `path: FAILED` or `path: FAILED (missing)` for each; with directories given \
        as well, files under them that the manifest does not list are reported as `path: NEW`. \
        Exit code 0 when everything matches, 1 on any failure or new file, 2 on a malformed \
        manifest.\n\n\
        With --merge, the PATHs are manifests, each sorted by path (as hash and convert \
        --manifest write them; not hash --unsorted's), merged as sort -m would into one sorted \
        manifest on stdout, its lines as they were: the manifests of a run's shards (--shard K/N) \
        give the bytes of the unsharded run's. A path listed twice is reported and its first \
        line kept (exit 1); a malformed or unsorted line stops the merge (exit 2).\n\n\
        Examples:\n  \
        asyncfiles hash logs > logs.b3\n  \
        asyncfiles hash --check logs.b3 logs\n  \
        asyncfiles hash --decompressed app.log app.log.gz\n  \
        asyncfiles hash --merge manifests/shard-*.b3 > all.b3"
    )]
    Hash(HashArgs),

    /// Count lines and bytes of files and trees, decoded (wc -lc for compressed logs)
    #[command(
        long_about = "Print lines and bytes of every file, decoded as convert would decode it \
        (gzip, zstd, xz, bzip2 by content, brotli and lzma by name), sorted by path, and a total \
        line. An unterminated last line counts as a line. --json prints one JSON object per \
        file and one for the total.\n\n\
        Examples:\n  \
        asyncfiles stats /var/log/nginx\n  \
        asyncfiles stats --json archive | jq -s 'map(select(.total)) | .[0].lines'"
    )]
    Stats(StatsArgs),

    /// Search the decoded content of files and trees for lines matching a pattern (grep for compressed logs)
    #[command(
        long_about = "Search the decoded content of every file under the PATHs (default ., - \
        for standard input) for lines that match PATTERN, as grep and rg do: gzip, zstd, xz and \
        bzip2 files are decoded by their content, brotli and lzma by name, in process and in \
        parallel. PATTERN is a regular expression of the regex crate on bytes (Unicode off \
        unless (?u)), so invalid UTF-8 never fails a file.\n\n\
        Lines print as PATH:LINE:TEXT (PATH:TEXT without -n; the PATH as you would name it); \
        each file's output is contiguous. A file whose decoded content holds a NUL byte is \
        binary: its lines are not printed, `PATH: binary file matches` is said on stderr \
        instead (-a prints them).\n\n\
        Exit codes as grep: 0 a line matched, 1 none matched, 2 an error (a file that cannot be \
        read or decoded is reported and makes the exit 2 even when others matched).\n\n\
        Examples:\n  \
        asyncfiles grep ' 500 ' /var/log/nginx\n  \
        asyncfiles grep -c -F 'timeout' archive/\n  \
        asyncfiles grep -l -i 'error' --include '*.gz' logs\n  \
        asyncfiles grep --json -e panic -e fatal logs | jq -c 'select(.type == \"match\")'\n  \
        asyncfiles grep -C 2 --sort path 'OutOfMemory' logs"
    )]
    Grep(Box<GrepArgs>),

    /// Write the decoded content of files and trees to stdout, in path order (zcat -r)
    #[command(
        long_about = "Write the decoded content of every file to standard output, in path \
        order: directories are walked in sorted order (byte order of names, as sort in the C \
        locale), several PATHs in the order given, - is standard input. Formats are found as \
        convert finds them (gzip, zstd, xz, bzip2 by content, brotli and lzma by name; --from \
        forces one). Files are decoded side by side ahead of the writer, in bounded memory. The \
        line transforms of convert and --eol apply to each file. A file that fails is reported \
        (asyncfiles: PATH: cause) and the others are still written; exit 1 at the end.\n\n\
        Examples:\n  \
        asyncfiles cat /var/log/nginx | less\n  \
        asyncfiles cat --redact ipv4 --grep-v health logs/ | gzip > shipped.gz\n  \
        asyncfiles cat --include '*.gz' archive | wc -l"
    )]
    Cat(CatArgs),

    /// Write the man pages or shell completions generated from these definitions
    #[command(hide = true)]
    Generate(GenerateArgs),
}

/// Options of `asyncfiles convert`.
#[derive(Debug, Args)]
pub struct ConvertArgs {
    /// IN… OUT: inputs (directories, regular files, or - for stdin alone), then the output (a
    /// directory, a file path, or - for stdout); with --in-place, every PATH is an input
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,

    /// Write each output beside its input (a.log -> a.log.zst with --to zst) and remove the
    /// input once the output is complete and synced to disk; no OUT
    #[arg(long, help_heading = "In place")]
    pub in_place: bool,

    /// With --in-place: keep the inputs
    #[arg(short, long, requires = "in_place", help_heading = "In place")]
    pub keep: bool,

    #[command(flatten)]
    pub walk: WalkArgs,

    /// Line endings of the output: keep them, or normalise to LF or CRLF
    #[arg(long, value_enum, default_value_t = EolArg::Keep, value_name = "MODE")]
    pub eol: EolArg,

    /// Decode inputs: auto finds gzip, zstd, xz and bzip2 by their content, else by their name,
    /// and brotli and lzma by a .br or .lzma name; none reads bytes as they are; a format decodes
    /// every input as that format
    #[arg(long, value_enum, default_value_t = FromArg::Auto, value_name = "FORMAT")]
    pub from: FromArg,

    /// Encode outputs: keep each file's own format (and name), none for plain text, or a
    /// format; a decoded file loses its compression extension, an encoded one gains its own
    #[arg(long, value_enum, default_value_t = ToArg::Keep, value_name = "FORMAT")]
    pub to: ToArg,

    /// Compression level on the format's own scale: gz 1-9 (default 6), zst 1-19 (3),
    /// xz 0-9 (6), bz2 1-9 (9), br 0-11 (11), lzma 0-9 (6). -1 … -19 say the same, as for gzip
    /// and zstd (-0 is --null: write --level 0); the last level given wins
    #[arg(
        long,
        value_name = "N",
        allow_negative_numbers = true,
        overrides_with = "level"
    )]
    pub level: Option<i32>,

    #[command(flatten)]
    pub pool: PoolArgs,

    /// Sync each output file and its directory to disk before moving on (slower; for durability)
    #[arg(long)]
    pub fsync: bool,

    /// Keep owner and group (as root; otherwise the group, if you are a member of it), extended
    /// attributes and ACLs as well as mode and times, for files and directories, as cp -a does
    #[arg(short = 'a', long)]
    pub archive: bool,

    /// Print what would be written (IN -> OUT, on stdout) and what skipped, and why; write
    /// nothing, create no directory
    #[arg(short = 'n', long)]
    pub dry_run: bool,

    /// Skip a file whose output exists with the input's modification time (a finished output
    /// has it), so that a rerun after an interruption does only what is left
    #[arg(long)]
    pub incremental: bool,

    /// Convert every file, even with --incremental; with --in-place, also replace an output
    /// that exists already (a.log.zst beside a.log)
    #[arg(long)]
    pub force: bool,

    /// Write one JSON object per file to stdout ({"path","output","status","bytes_in",…}) and a
    /// final {"type":"summary",…}; human messages stay on stderr
    #[arg(long)]
    pub json: bool,

    /// Write a b3sum-format manifest of the outputs to FILE (paths relative to OUT, sorted),
    /// hashed as they are written; verify it with `cd OUT && asyncfiles hash --check FILE`
    #[arg(long, value_name = "FILE", conflicts_with = "in_place")]
    pub manifest: Option<PathBuf>,

    #[command(flatten)]
    pub run: RunArgs,

    #[command(flatten)]
    pub lines: LineArgs,

    #[command(flatten)]
    pub verbosity: Verbosity,
}

/// Options of `asyncfiles hash`.
#[derive(Debug, Args)]
pub struct HashArgs {
    /// Files and directories to hash (- for standard input) [default: .]; with --merge, the
    /// manifests to merge
    #[arg(value_name = "PATH", required_if_eq("merge", "true"))]
    pub paths: Vec<PathBuf>,

    /// Merge the manifests given as PATHs (b3sum format, each sorted by path, as hash and
    /// convert --manifest write them; - for standard input) into one on stdout, sorted by path:
    /// the manifests of the shards of a run merge into the one an unsharded run writes
    #[arg(
        long,
        conflicts_with_all = [
            "check", "decompressed", "unsorted", "json",
            "include", "exclude", "max_depth", "follow", "files_from", "null", "shard", "shards",
            "include_from", "exclude_from", "min_size", "max_size", "changed_within",
            "changed_before",
            "jobs", "threads",
            "fail_fast", "max_rate", "timeout", "retries", "retry_delay", "progress",
        ]
    )]
    pub merge: bool,

    /// Check the hashes listed in MANIFEST (b3sum format; - for standard input) instead; files
    /// under the PATHs given that MANIFEST does not list are reported as NEW
    #[arg(short, long, value_name = "MANIFEST")]
    pub check: Option<PathBuf>,

    #[command(flatten)]
    pub check_options: CheckArgs,

    /// Hash the decoded content of compressed files (gzip, zstd, xz, bzip2 by content, brotli
    /// and lzma by name), so that a.log and a.log.gz of the same text hash the same
    #[arg(long)]
    pub decompressed: bool,

    /// Print each line as its file is done instead of sorted by path (for trees too large to
    /// hold their list of names in memory)
    #[arg(long, conflicts_with = "check")]
    pub unsorted: bool,

    #[command(flatten)]
    pub run: RunArgs,

    /// One JSON object per file on stdout ({"path","status","blake3","bytes","ms"}, or
    /// "reason"/"error"), then {"type":"summary",…}, instead of b3sum lines
    #[arg(long, conflicts_with = "check")]
    pub json: bool,

    #[command(flatten)]
    pub walk: WalkArgs,

    #[command(flatten)]
    pub pool: PoolArgs,

    #[command(flatten)]
    pub verbosity: Verbosity,
}

/// sha256sum's options of `hash --check`.
#[derive(Debug, Clone, Copy, Args)]
pub struct CheckArgs {
    /// With --check: a listed file that does not exist is neither reported nor a failure (but a
    /// check that verifies no file at all fails: run in the wrong directory, it would pass)
    #[arg(long, requires = "check")]
    pub ignore_missing: bool,

    /// With --check: print nothing, let the exit code tell (only an error that stops the check,
    /// exit 2, such as a malformed manifest, is still said on stderr)
    #[arg(long, requires = "check")]
    pub status: bool,

    /// With --check: a malformed manifest line fails the check (exit 2, before anything is
    /// hashed). Always so, as with b3sum; accepted for sha256sum's command lines
    #[arg(long, requires = "check")]
    pub strict: bool,
}

/// How a run goes: the operator options every command shares.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Stop taking new files after the first failure (files in flight are abandoned cleanly)
    #[arg(long)]
    pub fail_fast: bool,

    /// Read input at most RATE bytes per second across all files (e.g. 50M; K, M, G, T are KiB,
    /// MiB, GiB, TiB; KB, MB, GB, TB powers of 1000), for runs on shared disks, like rsync's
    /// --bwlimit
    #[arg(long, value_name = "RATE", value_parser = parse_size)]
    pub max_rate: Option<u64>,

    /// Fail a file (standard input included) that takes longer than DURATION (e.g. 500ms, 30s,
    /// 5m, 1h; a bare number is seconds, as for timeout); its temp output is removed and the
    /// run goes on
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub timeout: Option<std::time::Duration>,

    /// Retry a file up to N times after a transient I/O error (interrupted, would block, timed
    /// out, stale NFS handle); never after a permanent one
    #[arg(long, value_name = "N", default_value_t = 2)]
    pub retries: u32,

    /// First wait before a retry (e.g. 100ms, 2s; a bare number is seconds); it doubles with
    /// each retry, with some jitter
    #[arg(long, value_name = "DURATION", default_value = "100ms", value_parser = parse_duration)]
    pub retry_delay: std::time::Duration,

    /// Show a progress bar on stderr: auto (only when stderr is a terminal), always, never
    #[arg(long, value_enum, default_value_t = ProgressArg::Auto, value_name = "WHEN")]
    pub progress: ProgressArg,
}

/// Options of `asyncfiles stats`.
#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Files and directories to count (- for standard input) [default: .]
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// One JSON object per line: {"path":…,"lines":…,"bytes":…} per file, then the total
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub run: RunArgs,

    #[command(flatten)]
    pub walk: WalkArgs,

    #[command(flatten)]
    pub pool: PoolArgs,

    #[command(flatten)]
    pub verbosity: Verbosity,
}

/// Options of `asyncfiles grep` (grep's and rg's letters). `-L` and `-0` are grep's here (files
/// without a match, NUL after names): [`command`] takes them from the walk's --follow and
/// --files-from separator, which keep their long names (the separator's is --files-null).
#[derive(Debug, Args)]
pub struct GrepArgs {
    /// The regular expression (regex crate syntax on bytes); with -e or -f, a PATH instead
    #[arg(value_name = "PATTERN", required_unless_present_any = ["regexp", "file"])]
    pub pattern: Option<String>,

    /// Files and directories to search (- for standard input) [default: .]
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// A pattern to search for (repeatable: a line matching any of them matches)
    #[arg(
        short = 'e',
        long = "regexp",
        value_name = "PATTERN",
        allow_hyphen_values = true,
        help_heading = "Patterns"
    )]
    pub regexp: Vec<String>,

    /// Read patterns from FILE, one a line (repeatable; an empty file matches nothing)
    #[arg(
        short = 'f',
        long = "file",
        value_name = "FILE",
        help_heading = "Patterns"
    )]
    pub file: Vec<PathBuf>,

    /// The patterns are fixed strings, not regular expressions
    #[arg(short = 'F', long, help_heading = "Patterns")]
    pub fixed_strings: bool,

    /// Match case-insensitively
    #[arg(short = 'i', long, help_heading = "Patterns")]
    pub ignore_case: bool,

    /// Match case-insensitively unless a pattern has an upper-case letter
    #[arg(short = 'S', long, help_heading = "Patterns")]
    pub smart_case: bool,

    /// Only match whole words (the match between non-word characters or line ends)
    #[arg(short = 'w', long, help_heading = "Patterns")]
    pub word_regexp: bool,

    /// Only match whole lines
    #[arg(short = 'x', long, help_heading = "Patterns")]
    pub line_regexp: bool,

    /// Select the lines that do not match
    #[arg(short = 'v', long, help_heading = "Patterns")]
    pub invert_match: bool,

    /// Print only a count of selected lines per file (PATH:COUNT)
    #[arg(short = 'c', long, help_heading = "Output")]
    pub count: bool,

    /// Print only the names of files with a selected line
    #[arg(short = 'l', long, conflicts_with = "count", help_heading = "Output")]
    pub files_with_matches: bool,

    /// Print only the names of files without a selected line (-L)
    #[arg(long, conflicts_with_all = ["count", "files_with_matches"], help_heading = "Output")]
    pub files_without_match: bool,

    /// Print only the matched parts of lines, each on a line of its own
    #[arg(short = 'o', long, help_heading = "Output")]
    pub only_matching: bool,

    /// Print nothing; exit 0 at the first selected line (the search stops there)
    #[arg(short = 'q', long, help_heading = "Output")]
    pub quiet: bool,

    /// Stop reading a file after NUM selected lines
    #[arg(short = 'm', long, value_name = "NUM", help_heading = "Output")]
    pub max_count: Option<u64>,

    /// Print line numbers (the default when stdout is a terminal)
    #[arg(
        short = 'n',
        long,
        overrides_with = "no_line_number",
        help_heading = "Output"
    )]
    pub line_number: bool,

    /// Do not print line numbers
    #[arg(
        short = 'N',
        long,
        overrides_with = "line_number",
        help_heading = "Output"
    )]
    pub no_line_number: bool,

    /// Print the file name with each line (the default when more than one file is searched)
    #[arg(
        short = 'H',
        long,
        overrides_with = "no_filename",
        help_heading = "Output"
    )]
    pub with_filename: bool,

    /// Never print file names
    #[arg(long, overrides_with = "with_filename", help_heading = "Output")]
    pub no_filename: bool,

    /// Print NUM lines of context after each selected line
    #[arg(short = 'A', long, value_name = "NUM", help_heading = "Output")]
    pub after_context: Option<usize>,

    /// Print NUM lines of context before each selected line
    #[arg(short = 'B', long, value_name = "NUM", help_heading = "Output")]
    pub before_context: Option<usize>,

    /// Print NUM lines of context before and after each selected line (groups apart are
    /// separated by --)
    #[arg(short = 'C', long, value_name = "NUM", help_heading = "Output")]
    pub context: Option<usize>,

    /// Highlight matches, file names and line numbers: auto (when stdout is a terminal and
    /// NO_COLOR is unset), always, never
    #[arg(long, value_enum, default_value_t = ColorArg::Auto, value_name = "WHEN",
        help_heading = "Output")]
    pub color: ColorArg,

    /// Write a NUL byte after each file name instead of : or a newline (-0)
    #[arg(long = "null-names", help_heading = "Output")]
    pub null_names: bool,

    /// Search binary files (decoded content with a NUL byte) as text
    #[arg(short = 'a', long, help_heading = "Output")]
    pub text: bool,

    /// Print JSON lines as rg --json does: begin, match, context, end per file, then summary
    #[arg(long, conflicts_with_all = ["count", "files_with_matches", "files_without_match", "quiet"],
        help_heading = "Output")]
    pub json: bool,

    /// Print files in this order (the search still runs in parallel): path, or none (as they
    /// finish)
    #[arg(long, value_enum, default_value_t = SortArg::None, value_name = "BY",
        help_heading = "Output")]
    pub sort: SortArg,

    /// Fail a file that has a line longer than SIZE (bytes, or with K, M, G, T: KiB … TiB;
    /// KB … TB: powers of 1000)
    #[arg(long, value_name = "SIZE", default_value = "64M", value_parser = Size::parse)]
    pub max_line_bytes: Size,

    /// Decode inputs: auto finds gzip, zstd, xz and bzip2 by their content, brotli and lzma by
    /// a .br or .lzma name; none searches bytes as they are; a format decodes every input as it
    #[arg(long, value_enum, default_value_t = FromArg::Auto, value_name = "FORMAT")]
    pub from: FromArg,

    #[command(flatten)]
    pub walk: WalkArgs,

    #[command(flatten)]
    pub pool: PoolArgs,

    #[command(flatten)]
    pub run: RunArgs,
}

/// When `grep --color` highlights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorArg {
    /// When stdout is a terminal and NO_COLOR is unset or empty
    Auto,
    /// Always (even with NO_COLOR)
    Always,
    /// Never
    Never,
}

/// `grep --sort`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SortArg {
    /// As files finish
    None,
    /// By path, byte by byte
    Path,
}

/// Options of `asyncfiles cat`.
#[derive(Debug, Args)]
pub struct CatArgs {
    /// Files and directories to write, decoded, in path order (- for standard input)
    /// [default: .]
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    #[command(flatten)]
    pub walk: WalkArgs,

    /// Line endings of the output: keep them, or normalise to LF or CRLF
    #[arg(long, value_enum, default_value_t = EolArg::Keep, value_name = "MODE")]
    pub eol: EolArg,

    /// Decode inputs: auto finds gzip, zstd, xz and bzip2 by their content, else by their name,
    /// and brotli and lzma by a .br or .lzma name; none writes bytes as they are; a format decodes
    /// every input as that format
    #[arg(long, value_enum, default_value_t = FromArg::Auto, value_name = "FORMAT")]
    pub from: FromArg,

    #[command(flatten)]
    pub pool: PoolArgs,

    #[command(flatten)]
    pub lines: LineArgs,

    #[command(flatten)]
    pub verbosity: Verbosity,
}

/// The line transforms of `convert`. clap keeps each option's values apart; [`parse`] puts them
/// back in command-line order in [`LineArgs::ordered`].
#[derive(Debug, Args)]
#[command(next_help_heading = "Line transforms (applied in command-line order)")]
pub struct LineArgs {
    /// Keep only lines matching RE (regex::bytes syntax, Unicode off unless (?u); repeatable)
    #[arg(long, value_name = "RE")]
    pub grep: Vec<String>,

    /// Drop lines matching RE (repeatable)
    #[arg(long = "grep-v", value_name = "RE")]
    pub grep_v: Vec<String>,

    /// Replace every match of RE in each line by REPL ($1, ${name} and $$ expand; repeatable)
    #[arg(long, num_args = 2, value_names = ["RE", "REPL"], allow_hyphen_values = true)]
    pub replace: Vec<String>,

    /// Mask values of KIND in each line as [KIND] (repeatable)
    #[arg(long, value_enum, value_name = "KIND")]
    pub redact: Vec<RedactArg>,

    /// With --redact: replace values by pseudonyms, KIND-<12 hex digits of a BLAKE3 hash keyed
    /// with FILE> (32 raw bytes, or 64 hex digits), the same for the same value in every run
    #[arg(long, value_name = "FILE", env = "ASYNCFILES_REDACT_KEY")]
    pub redact_key: Option<PathBuf>,

    /// Remove spaces and tabs at the end of each line
    // Appended (one empty value per use), not counted: each use keeps its own index, so that
    // `--trim` can stand twice in the chain.
    #[arg(long, action = clap::ArgAction::Append, num_args = 0, default_missing_value = "")]
    pub trim: Vec<String>,

    /// Drop lines that are empty (after the transforms before this one)
    #[arg(long, action = clap::ArgAction::Append, num_args = 0, default_missing_value = "")]
    pub drop_empty: Vec<String>,

    /// With line transforms: fail a file that has a line longer than SIZE (bytes, or with K, M,
    /// G, T: KiB, MiB, GiB, TiB; KB, MB, GB, TB: powers of 1000)
    #[arg(long, value_name = "SIZE", default_value = "64M", value_parser = Size::parse)]
    pub max_line_bytes: Size,

    /// The transforms above in command-line order (filled by [`parse`]).
    #[arg(skip)]
    pub ordered: Vec<LineArg>,
}

/// One line transform as given on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineArg {
    /// `--grep RE`
    Grep(String),
    /// `--grep-v RE`
    GrepV(String),
    /// `--replace RE REPL`
    Replace(String, String),
    /// `--redact KIND`
    Redact(RedactArg),
    /// `--trim`
    Trim,
    /// `--drop-empty`
    DropEmpty,
}

/// What `--redact` masks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RedactArg {
    /// Dotted-quad IPv4 addresses (each octet at most 255)
    Ipv4,
    /// IPv6 addresses (compressed forms, embedded IPv4, %zone)
    Ipv6,
    /// E-mail addresses
    Email,
    /// UUIDs (8-4-4-4-12 hex digits)
    Uuid,
    /// Values of key=value or key: value pairs whose key contains password, passwd,
    /// passphrase, pwd, token, secret (so aws_secret_access_key), api_key, api-key, apikey,
    /// private_key, private-key, privatekey or authorization, or ends in cookie or in the word
    /// pass (db_pass, not bypass): a quoted value to its closing quote, an authorization or
    /// cookie value to the end of the line, any other to the next blank , ; & quote or
    /// escaped quote (a Bearer, Basic or Token word goes with it); the password of
    /// scheme://user:PASSWORD@host; and anywhere, unless glued to a letter, digit, _ . or -: AWS
    /// access key ids (AKIA or ASIA and 16 more), GitHub tokens (ghp_ gho_ ghu_ ghs_ ghr_
    /// github_pat_ and 30 or more), GitLab (glpat- and 20 or more), Slack (xoxb- xoxp- xoxa-
    /// xoxr- xoxs- xapp- and 10 or more) and JWTs (eyJ....eyJ.... and a signature, maybe empty)
    Secret,
}

/// A size in bytes: a number, optionally followed by a unit (K, M, G, T and KiB … TiB are
/// binary, KB … TB decimal: see [`Size::parse`]). [`Size::parse`] keeps the family of units too,
/// for options whose value is printed back.
fn parse_size(text: &str) -> Result<u64, String> {
    Size::parse(text).map(|size| size.bytes)
}

/// A duration: a number followed by ms, s, m or h (`500ms`, `30s`, `5m`, `1h`); a bare number
/// is seconds, as for GNU `timeout` (`--timeout 30`).
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    let digits = text.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit = &text[digits.len()..];
    let number: u64 = digits
        .parse()
        .map_err(|_| format!("{text:?} is not a duration (use e.g. 500ms, 30s, 5m, 1h)"))?;
    let millis = match unit {
        "ms" => Some(number),
        "" | "s" => number.checked_mul(1_000),
        "m" => number.checked_mul(60_000),
        "h" => number.checked_mul(3_600_000),
        _ => {
            return Err(format!(
                "unknown unit {unit:?} in {text:?} (use ms, s, m or h)"
            ));
        }
    };
    match millis {
        Some(0) | None => Err(format!("{text:?} is not a duration above zero")),
        Some(millis) => Ok(std::time::Duration::from_millis(millis)),
    }
}

/// Writes a duration the way it is given on the command line (`500ms`, `30s`, `5m`, `1h`).
pub fn format_duration(duration: std::time::Duration) -> String {
    let millis = duration.as_millis();
    for (unit, size) in [("h", 3_600_000), ("m", 60_000), ("s", 1_000)] {
        if millis >= size && millis % size == 0 {
            return format!("{}{unit}", millis / size);
        }
    }
    format!("{millis}ms")
}

/// The clap command of [`Cli`]: every subcommand's `-V` says `asyncfiles 0.1.0`, the program
/// one runs (clap's default names it `asyncfiles-convert`, a program that does not exist).
pub fn command() -> clap::Command {
    fn named(command: clap::Command) -> clap::Command {
        command.mut_subcommands(|sub| named(sub.display_name("asyncfiles")))
    }
    named(Cli::command()).mut_subcommand("grep", grep_letters)
}

/// grep's `-L` (files without match) and `-0` (NUL after names) instead of the walk's `-L`
/// (--follow) and `-0` (the --files-from separator, there --files-null).
fn grep_letters(grep: clap::Command) -> clap::Command {
    // Operator options grep does not use (no retries, no progress bar): not offered.
    let grep = ["retries", "retry_delay", "progress"]
        .into_iter()
        .fold(grep, |grep, id| grep.mut_arg(id, |arg| arg.hide(true)));
    grep.mut_arg("follow", |arg| arg.short(None))
        .mut_arg("null", |arg| arg.short(None).long("files-null"))
        .mut_arg("files_without_match", |arg| arg.short('L'))
        .mut_arg("null_names", |arg| arg.short('0').long("null"))
}

/// Parses the process's command line, exiting with clap's message and code 2 on a usage error.
pub fn parse() -> Cli {
    parse_from(std::env::args_os()).unwrap_or_else(|error| error.exit())
}

/// Parses `args` (the program name first), with the line transforms in command-line order.
pub fn parse_from<I, T>(args: I) -> Result<Cli, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    // `-19` is two digits, which clap cannot take as a short flag: it becomes `--level=19` first.
    let args = crate::dialect::expand_levels(&command(), args.into_iter().map(Into::into));
    let matches = command().try_get_matches_from(args)?;
    let mut cli = Cli::from_arg_matches(&matches)?;
    if let (Command::Convert(args), Some(("convert", convert))) =
        (&mut cli.command, matches.subcommand())
    {
        args.lines.ordered = ordered_line_args(convert);
    }
    if let (Command::Cat(args), Some(("cat", cat))) = (&mut cli.command, matches.subcommand()) {
        args.lines.ordered = ordered_line_args(cat);
    }
    Ok(cli)
}

/// The line transforms of `matches`, sorted by where they stood on the command line.
fn ordered_line_args(matches: &clap::ArgMatches) -> Vec<LineArg> {
    let mut found: Vec<(usize, LineArg)> = Vec::new();
    let mut each = |id: &str, make: &dyn Fn(&str) -> LineArg| {
        if let (Some(indices), Some(values)) =
            (matches.indices_of(id), matches.get_many::<String>(id))
        {
            found.extend(indices.zip(values.map(|value| make(value))));
        }
    };
    each("grep", &|re| LineArg::Grep(re.to_owned()));
    each("grep_v", &|re| LineArg::GrepV(re.to_owned()));
    each("trim", &|_| LineArg::Trim);
    each("drop_empty", &|_| LineArg::DropEmpty);
    if let (Some(indices), Some(values)) = (
        matches.indices_of("replace"),
        matches.get_many::<String>("replace"),
    ) {
        let indices: Vec<usize> = indices.collect();
        let values: Vec<&String> = values.collect();
        for (index, pair) in indices.chunks(2).zip(values.chunks(2)) {
            if let [regex, replacement] = pair {
                found.push((
                    index[0],
                    LineArg::Replace((*regex).clone(), (*replacement).clone()),
                ));
            }
        }
    }
    if let (Some(indices), Some(values)) = (
        matches.indices_of("redact"),
        matches.get_many::<RedactArg>("redact"),
    ) {
        found.extend(indices.zip(values.map(|kind| LineArg::Redact(*kind))));
    }
    found.sort_by_key(|(index, _)| *index);
    found.into_iter().map(|(_, arg)| arg).collect()
}

/// Which files a walk visits; shared by every command that walks a tree.
#[derive(Debug, Clone, Args)]
pub struct WalkArgs {
    /// Only process files that GLOB matches, with gitignore's rules: no / matches the name at
    /// any depth, a leading / anchors to IN, a trailing / matches directories (and takes all
    /// below), ** spans directories, ! takes back (repeatable; the last match wins)
    #[arg(long, value_name = "GLOB", help_heading = "Selecting files")]
    pub include: Vec<String>,

    /// Skip files, and do not enter directories, that GLOB matches (gitignore's rules, as
    /// --include; repeatable; wins over --include)
    #[arg(long, value_name = "GLOB", help_heading = "Selecting files")]
    pub exclude: Vec<String>,

    /// Read --include patterns from FILE, one a line (blank lines and # comments ignored, as in
    /// .gitignore); before the --include patterns (repeatable)
    #[arg(long, value_name = "FILE", help_heading = "Selecting files")]
    pub include_from: Vec<PathBuf>,

    /// Read --exclude patterns from FILE, one a line, as --include-from (repeatable)
    #[arg(long, value_name = "FILE", help_heading = "Selecting files")]
    pub exclude_from: Vec<PathBuf>,

    /// Only process files of at least SIZE bytes (K, M, G: KiB, MiB, GiB; KB, MB, GB: powers of 1000)
    #[arg(long, value_name = "SIZE", value_parser = parse_size, help_heading = "Selecting files")]
    pub min_size: Option<u64>,

    /// Only process files of at most SIZE bytes (--max-size 1M keeps a file of exactly 1 MiB)
    #[arg(long, value_name = "SIZE", value_parser = parse_size, help_heading = "Selecting files")]
    pub max_size: Option<u64>,

    /// Only process files modified at or after a time: a duration back from now (1d, 12h, 30m,
    /// 2w) or a local date (2026-11-30, 2026-11-30T12:00:00, 2026-11-30 12:00:00)
    #[arg(
        long,
        value_name = "DURATION|DATE",
        value_parser = crate::walk::parse_time_limit,
        help_heading = "Selecting files"
    )]
    pub changed_within: Option<std::time::SystemTime>,

    /// Only process files modified before a time (as --changed-within): --changed-before 1d
    /// leaves alone the logs still being written
    #[arg(
        long,
        value_name = "DURATION|DATE",
        value_parser = crate::walk::parse_time_limit,
        help_heading = "Selecting files"
    )]
    pub changed_before: Option<std::time::SystemTime>,

    /// Descend at most N directory levels below IN (1: only the files directly in IN)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_depth: Option<u32>,

    /// Follow symbolic links (by default they are skipped and reported)
    #[arg(short = 'L', long)]
    pub follow: bool,

    /// Read the files to process from FILE (- for stdin), one path relative to IN per line
    #[arg(long, value_name = "FILE")]
    pub files_from: Option<PathBuf>,

    /// The --files-from list is separated by NUL bytes, not newlines (as `find -print0` writes)
    #[arg(short = '0', long, requires = "files_from")]
    pub null: bool,

    /// Process only shard K of N (K from 0): the files whose output path (for hash and stats:
    /// the path as printed) hashes to K, so that N runs, on any machines, split the work
    /// exactly. auto takes K and N from a Slurm job array, a Kubernetes Indexed Job, an AWS Batch
    /// array job or GNU parallel. In --manifest, %K and %N are replaced by K and N
    #[arg(long, value_name = "K/N|auto", help_heading = "Sharding")]
    pub shard: Option<String>,

    /// With --shard auto: the number of shards, where the engine exports only the index
    /// (Kubernetes, AWS Batch, GNU parallel); or set ASYNCFILES_SHARDS
    #[arg(long, value_name = "N", requires = "shard", help_heading = "Sharding")]
    pub shards: Option<String>,
}

/// How many files are processed at once.
#[derive(Debug, Args)]
pub struct PoolArgs {
    /// Process at most N files at once [default: number of CPUs]
    #[arg(short, long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub jobs: Option<u32>,

    /// Keep at most N threads busy with CPU work (decoding, line transforms, encoding, hashing)
    /// across the whole run [default: number of CPUs]. A large file is cut into blocks that
    /// these threads work on side by side; brotli and lzma files stay on one thread each
    #[arg(short = 'T', long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub threads: Option<u32>,
}

/// When `--progress` draws its bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProgressArg {
    /// Only when stderr is a terminal (never in pipes, logs or CI)
    Auto,
    /// Always, even when stderr is not a terminal
    Always,
    /// Never
    Never,
}

/// Line-ending modes for `--eol`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EolArg {
    /// Leave line endings as they are
    Keep,
    /// Turn CRLF line endings into LF
    Lf,
    /// Turn LF line endings into CRLF
    Crlf,
}

/// Input formats for `--from`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FromArg {
    /// Detect by content, else by name (brotli by .br, lzma by .lzma); anything else is plain
    Auto,
    /// Read bytes as they are
    None,
    /// gzip (also: gzip)
    #[value(alias = "gzip")]
    Gz,
    /// Zstandard (also: zstd)
    #[value(alias = "zstd")]
    Zst,
    /// xz
    Xz,
    /// bzip2 (also: bzip2)
    #[value(alias = "bzip2")]
    Bz2,
    /// brotli (also: brotli)
    #[value(alias = "brotli")]
    Br,
    /// LZMA_Alone (.lzma)
    Lzma,
}

/// Output formats for `--to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ToArg {
    /// Each file in the format it came in
    Keep,
    /// Plain, decoded
    None,
    /// gzip (also: gzip)
    #[value(alias = "gzip")]
    Gz,
    /// Zstandard (also: zstd)
    #[value(alias = "zstd")]
    Zst,
    /// xz
    Xz,
    /// bzip2 (also: bzip2)
    #[value(alias = "bzip2")]
    Bz2,
    /// brotli (also: brotli)
    #[value(alias = "brotli")]
    Br,
    /// LZMA_Alone (.lzma)
    Lzma,
}

/// Options of the hidden `generate` command.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    #[command(subcommand)]
    pub what: GenerateWhat,
}

/// What `generate` writes.
#[derive(Debug, Subcommand)]
pub enum GenerateWhat {
    /// Write man pages (asyncfiles.1 and one per subcommand) into DIR
    Man {
        /// Directory to write into (created if missing)
        dir: PathBuf,
    },
    /// Write completion scripts for bash, zsh, fish, PowerShell and elvish into DIR
    Completions {
        /// Directory to write into (created if missing)
        dir: PathBuf,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clap_definitions_are_consistent() {
        Cli::command().debug_assert();
        command().debug_assert();
    }

    fn line_args(args: &[&str]) -> Vec<LineArg> {
        let argv = ["asyncfiles", "convert"]
            .iter()
            .chain(args)
            .chain(&["in", "out"]);
        match parse_from(argv).unwrap().command {
            Command::Convert(convert) => convert.lines.ordered,
            _ => unreachable!(),
        }
    }

    #[test]
    fn line_transforms_keep_command_line_order() {
        assert_eq!(
            line_args(&[
                "--trim",
                "--replace",
                "a",
                "-b",
                "--grep",
                "x",
                "--redact",
                "ipv4",
                "--trim",
                "--grep-v",
                "y",
                "--drop-empty",
                "--replace",
                "c",
                "d",
            ]),
            [
                LineArg::Trim,
                LineArg::Replace("a".into(), "-b".into()),
                LineArg::Grep("x".into()),
                LineArg::Redact(RedactArg::Ipv4),
                LineArg::Trim,
                LineArg::GrepV("y".into()),
                LineArg::DropEmpty,
                LineArg::Replace("c".into(), "d".into()),
            ]
        );
        assert_eq!(line_args(&[]), []);
    }

    #[test]
    fn durations_take_units_and_print_back() {
        for text in ["500ms", "30s", "5m", "1h"] {
            assert_eq!(format_duration(parse_duration(text).unwrap()), text);
        }
        assert_eq!(format_duration(parse_duration("1500ms").unwrap()), "1500ms");
        assert_eq!(parse_duration("30"), Ok(std::time::Duration::from_secs(30)));
        for bad in ["0", "0s", "x", "5d", "-1"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_default_line_limit_prints_as_documented() {
        match parse_from(["asyncfiles", "convert", "in", "out"])
            .unwrap()
            .command
        {
            Command::Convert(args) => assert_eq!(args.lines.max_line_bytes.to_string(), "64 MiB"),
            _ => unreachable!(),
        }
    }

    #[test]
    fn sizes_take_binary_and_decimal_units() {
        assert_eq!(parse_size("64M"), Ok(64 << 20));
        assert_eq!(parse_size("10kib"), Ok(10 << 10));
        assert_eq!(parse_size("50MB"), Ok(50_000_000));
        assert_eq!(parse_size("100"), Ok(100));
        assert_eq!(parse_size("1T"), Ok(1 << 40));
        assert!(parse_size("0").is_err());
        assert!(parse_size("x").is_err());
    }
}
