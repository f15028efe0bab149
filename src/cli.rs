//! The command-line surface: clap derive types and nothing else.
//!
//! These types are parsed once in `main` and turned into a checked configuration by
//! [`crate::config`]; no worker ever sees them. Man page and shell completions are generated from
//! these same definitions (see [`crate::generate`]).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

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
        130 interrupted (Ctrl-C), 143 terminated (SIGTERM).",
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    /// Print nothing but errors (no skip notes, no summary)
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Print a line per file (-v); -vv adds walker decisions
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

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
        Compressed inputs (gzip, zstd, xz, bzip2 by content; brotli by name) are decoded \
        transparently when an output format or a transform needs it; --to re-encodes.\n\n\
        Examples:\n  \
        asyncfiles convert /var/log/app /backup/app\n  \
        asyncfiles convert --to zst --level 19 /var/log/archive /backup/archive\n  \
        asyncfiles convert --to none logs.tar.gz - | tar t\n  \
        asyncfiles convert --eol lf --include '*.log' ./in ./out\n  \
        find logs -name '*.log' -mtime -1 -printf '%P\\0' | asyncfiles convert --files-from - -0 logs out"
    )]
    Convert(ConvertArgs),

    /// Write the man pages or shell completions generated from these definitions
    #[command(hide = true)]
    Generate(GenerateArgs),
}

/// Options of `asyncfiles convert`.
#[derive(Debug, Args)]
pub struct ConvertArgs {
    /// Input: a directory, a regular file, or - for stdin
    #[arg(value_name = "IN")]
    pub input: PathBuf,

    /// Output: a directory, a file path, or - for stdout
    #[arg(value_name = "OUT")]
    pub output: PathBuf,

    #[command(flatten)]
    pub walk: WalkArgs,

    /// Line endings of the output: keep them, or normalise to LF or CRLF
    #[arg(long, value_enum, default_value_t = EolArg::Keep, value_name = "MODE")]
    pub eol: EolArg,

    /// Decode inputs: auto finds gzip, zstd, xz and bzip2 by their content and brotli by a .br
    /// name; none reads bytes as they are; a format decodes every input as that format
    #[arg(long, value_enum, default_value_t = FromArg::Auto, value_name = "FORMAT")]
    pub from: FromArg,

    /// Encode outputs: keep each file's own format (and name), none for plain text, or a
    /// format; a decoded file loses its compression extension, an encoded one gains its own
    #[arg(long, value_enum, default_value_t = ToArg::Keep, value_name = "FORMAT")]
    pub to: ToArg,

    /// Compression level on the format's own scale: gz 1-9 (default 6), zst 1-19 (3),
    /// xz 0-9 (6), bz2 1-9 (9), br 0-11 (11)
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub level: Option<i32>,

    #[command(flatten)]
    pub pool: PoolArgs,

    /// Sync each output file and its directory to disk before moving on (slower; for durability)
    #[arg(long)]
    pub fsync: bool,
}

/// Which files a walk visits; shared by every command that walks a tree.
#[derive(Debug, Args)]
pub struct WalkArgs {
    /// Only process files whose path relative to IN matches GLOB (repeatable)
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,

    /// Skip files (and do not enter directories) whose path relative to IN matches GLOB
    /// (repeatable; wins over --include)
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,

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
}

/// How many files are processed at once.
#[derive(Debug, Args)]
pub struct PoolArgs {
    /// Process at most N files at once [default: number of CPUs]
    #[arg(short, long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub jobs: Option<u32>,
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
    /// Detect by content (brotli by a .br name); anything else is plain
    Auto,
    /// Read bytes as they are
    None,
    /// gzip
    Gz,
    /// Zstandard
    Zst,
    /// xz
    Xz,
    /// bzip2
    Bz2,
    /// brotli
    Br,
}

/// Output formats for `--to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ToArg {
    /// Each file in the format it came in
    Keep,
    /// Plain, decoded
    None,
    /// gzip
    Gz,
    /// Zstandard
    Zst,
    /// xz
    Xz,
    /// bzip2
    Bz2,
    /// brotli
    Br,
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
    use clap::CommandFactory;

    #[test]
    fn clap_definitions_are_consistent() {
        Cli::command().debug_assert();
    }
}
