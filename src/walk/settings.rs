//! The walk's settings: which paths are visited (`--include`/`--exclude`, `--max-depth`, `-L`),
//! an explicit `--files-from` list, and what the walker must know of the output (its root, how
//! names change). Checked once from the command line, before anything is walked.

use std::fs;
use std::io::{self, BufRead, BufReader};
use std::path::{Path, PathBuf};

use std::sync::Arc;

use anyhow::{Context, Result, bail};

use super::select::{MetaFilter, PatternLists, PatternTally};
use crate::cli::WalkArgs;
use crate::codec::CodecConfig;
use crate::shard::Shard;

/// Which paths under the source directory are visited: `--include`/`--exclude` and their
/// `-from` files, with gitignore's rules (see [`super::select`]).
#[derive(Debug, Clone)]
pub struct PathFilter {
    lists: PatternLists,
}

impl PathFilter {
    /// Compiles the walk's patterns; a bad pattern or an unreadable pattern file is a usage error
    /// naming it.
    pub fn from_args(args: &WalkArgs) -> Result<Self> {
        Ok(Self {
            lists: PatternLists::from_args(args)?,
        })
    }

    /// Whether a file at `rel` (relative to the source root) is processed. The directories above
    /// it are asked for `--include` (a matched one takes all below it), and for `--exclude` by
    /// the caller: a walk does not enter an excluded directory, a list checks [`Self::excludes`].
    pub fn accepts_file(&self, rel: &Path) -> bool {
        let excluded = self
            .lists
            .exclude
            .as_ref()
            .is_some_and(|exclude| exclude.matches_itself(rel, false));
        !excluded
            && self
                .lists
                .include
                .as_ref()
                .is_none_or(|include| include.matches(rel, false))
    }

    /// Whether `--include` names the files to process (then directories are mirrored only on
    /// the way to one).
    pub fn has_include(&self) -> bool {
        self.lists.include.is_some()
    }

    /// Whether the directory `rel` is excluded (not entered by the walk).
    pub fn excludes(&self, rel: &Path) -> bool {
        self.lists
            .exclude
            .as_ref()
            .is_some_and(|exclude| exclude.matches_itself(rel, true))
    }

    /// Which patterns matched something, for the warning after the run (shared by the clones
    /// of this filter).
    pub fn tally(&self) -> &Arc<PatternTally> {
        &self.lists.tally
    }
}

/// An explicit list of files (`--files-from`), already opened so that a missing list is a usage
/// error rather than a failure discovered mid-run.
pub struct FileList {
    /// The list's name as the user gave it, for messages.
    pub name: PathBuf,
    /// The opened list.
    pub reader: Box<dyn BufRead + Send + Sync>,
    /// `b'\n'`, or `b'\0'` with `-0`.
    pub separator: u8,
}

impl std::fmt::Debug for FileList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileList")
            .field("name", &self.name)
            .field("separator", &self.separator)
            .finish_non_exhaustive()
    }
}

/// Mirrors the directories of a walked tree (`convert` creates them in OUT). The walker calls it
/// on its own thread, parents before children, and before any file inside is passed on: a
/// file's directory exists, with its source's mode, before the file is written.
pub trait DirVisitor: Send + Sync + std::fmt::Debug {
    /// Mirrors the directory `rel` (relative to the root, never empty), whose metadata is `meta`.
    /// An error means that nothing inside it is passed on (its files would have nowhere to go).
    fn visit(&mut self, rel: &Path, meta: &fs::Metadata) -> Result<()>;
}

/// `--shard`: the files of the walk that are this process's.
#[derive(Debug, Clone, Copy)]
pub struct ShardFilter {
    /// K of N.
    pub shard: Shard,
    /// Which path of a file decides its shard.
    pub key: ShardKey,
}

/// The path a file's shard is computed from (see [`crate::shard`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShardKey {
    /// `convert`: its output path relative to OUT, so that rivals share a shard.
    OutputPath,
    /// `hash`, `stats`: the path as printed (the root as given, joined with the relative path).
    Printed,
}

/// How the walker visits a source directory.
#[derive(Debug)]
pub struct WalkConfig {
    /// The source directory as the user named it (paths in messages start with it).
    pub root: PathBuf,
    /// Follow symbolic links (`-L`).
    pub follow: bool,
    /// Deepest level visited below `root` (1: only its direct children).
    pub max_depth: Option<usize>,
    /// `--include`/`--exclude` (and their `-from` files).
    pub filter: PathFilter,
    /// `--min-size`, `--max-size`, `--changed-within`, `--changed-before`: decided from each
    /// file's metadata, after the shard check.
    pub meta: MetaFilter,
    /// `--files-from`: visit exactly these files instead of walking.
    pub list: Option<FileList>,
    /// The output directory, canonical: with `-L` a link could lead the walk into it, and the run
    /// would convert its own outputs (out/out/out…). Entries whose real path is in it are skipped.
    pub output_root: Option<PathBuf>,
    /// How names change (`--from`/`--to`): two inputs that would get the same output name are
    /// both refused, which the walker can tell from their siblings alone.
    pub codec: CodecConfig,
    /// `convert`: our own temp files (`.NAME.ID.asyncfiles-tmp`, a killed run's leftovers) are
    /// reported as skipped, never taken as input. `hash` and `stats` read every file, as b3sum
    /// and wc would: they write nothing into the tree.
    pub skip_temp_files: bool,
    /// `convert` (not `--dry-run`): what mirrors the tree's directories in OUT. Without
    /// `--include`, every directory the walk enters is mirrored, empty or not; with `--include`,
    /// only those on the way to a file passed on; with `--files-from`, the parents of listed files.
    pub dirs: Option<Box<dyn DirVisitor>>,
    /// `--shard`: only this shard's files are passed on; the others are left alone before they
    /// are examined (no `stat`, no open), as the directory listing names them.
    pub shard: Option<ShardFilter>,
    /// `convert` with several INs: the source's name under OUT, put before the relative path of
    /// each file passed on (and of its shard key), so that `rel` is the output's path relative
    /// to OUT. Empty for one IN: filters still match paths relative to the source's root.
    pub prefix: PathBuf,
    /// `convert --in-place`: outputs are written into the tree being walked, so each directory
    /// is listed whole before any of its files is passed on (a file written by this run is then
    /// never found as an input), and an output name that exists already is not a rival (the
    /// job refuses to replace it without `--force`).
    pub in_place: bool,
    /// `cat`: each directory's entries are visited in byte order of their names (as `sort` in
    /// the C locale), so that files come in path order; walkdir then reads one directory's
    /// names at a time per level. Off elsewhere: an unsorted walk starts sooner.
    pub sorted: bool,
}

impl WalkConfig {
    /// Checks walk options against a source directory (`root`).
    pub fn from_args(
        args: WalkArgs,
        root: PathBuf,
        output_root: Option<PathBuf>,
        codec: CodecConfig,
    ) -> Result<Self> {
        Self::sharing(args, root, output_root, codec, &mut None)
    }

    /// As [`WalkConfig::from_args`], for one of several trees of a run: they share one
    /// [`PathFilter`] (`shared`: compiled by the first, its pattern files read once), so that a
    /// pattern that matched in any tree is not warned about as unmatched.
    pub fn sharing(
        args: WalkArgs,
        root: PathBuf,
        output_root: Option<PathBuf>,
        codec: CodecConfig,
        shared: &mut Option<PathFilter>,
    ) -> Result<Self> {
        let filter = match shared {
            Some(filter) => filter.clone(),
            None => shared.insert(PathFilter::from_args(&args)?).clone(),
        };
        let meta = MetaFilter::from_args(&args);
        let list = match args.files_from {
            None => None,
            // IN is a directory here, so standard input is free for the list.
            Some(name) if name.as_os_str() == "-" => Some(FileList {
                name,
                reader: Box::new(BufReader::new(io::stdin())),
                separator: separator(args.null),
            }),
            Some(name) => {
                let context = || format!("--files-from {}", name.display());
                let file = fs::File::open(&name).with_context(context)?;
                if file.metadata().with_context(context)?.is_dir() {
                    bail!(
                        "--files-from {}: is a directory, not a list of files",
                        name.display()
                    );
                }
                Some(FileList {
                    name,
                    reader: Box::new(BufReader::with_capacity(64 * 1024, file)),
                    separator: separator(args.null),
                })
            }
        };
        Ok(Self {
            root,
            follow: args.follow,
            max_depth: args.max_depth.map(|depth| depth as usize),
            filter,
            meta,
            list,
            output_root,
            codec,
            skip_temp_files: false,
            dirs: None,
            shard: None,
            prefix: PathBuf::new(),
            in_place: false,
            sorted: false,
        })
    }
}

fn separator(null: bool) -> u8 {
    if null { b'\0' } else { b'\n' }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser as _;

    fn filter(args: &[&str]) -> PathFilter {
        let argv = ["asyncfiles", "hash"].iter().chain(args);
        match crate::cli::Cli::parse_from(argv).command {
            crate::cli::Command::Hash(hash) => PathFilter::from_args(&hash.walk).unwrap(),
            _ => unreachable!(),
        }
    }

    #[test]
    fn exclude_wins_over_include() {
        let filter = filter(&["--include", "*.log", "--exclude", "secret/*"]);
        assert!(filter.accepts_file(Path::new("a/b.log")));
        assert!(!filter.accepts_file(Path::new("secret/b.log")));
        assert!(!filter.accepts_file(Path::new("a/b.txt")));
        assert!(filter.excludes(Path::new("secret/sub")));
        assert!(
            !filter.excludes(Path::new("a/secret")),
            "anchored: it has a /"
        );
    }
}
