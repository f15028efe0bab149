//! The checked configuration of `asyncfiles grep`: what to search for, and how to print it.

// The parent's checks and helpers (roots, codec, line transforms), shared by every command.
use super::*;

/// The checked configuration of `asyncfiles grep`: the walk, pool and decoding of `stats` (a
/// [`DigestConfig`] that is never hashed), and what to search for and print.
#[derive(Debug)]
pub struct GrepConfig {
    /// Roots, `--from`, `--jobs`, `--threads`, `--timeout`…, as `stats` takes them.
    pub walk: DigestConfig,
    /// The patterns, compiled into one regex.
    pub matcher: crate::grep::Matcher,
    /// What is printed per file.
    pub mode: GrepMode,
    /// `-v`.
    pub invert: bool,
    /// `-o`.
    pub only_matching: bool,
    /// `-m NUM`: selected lines per file.
    pub max_count: Option<u64>,
    /// `-B` (or `-C`).
    pub before: usize,
    /// `-A` (or `-C`).
    pub after: usize,
    /// Any of `-A`, `-B`, `-C` given (even 0): groups apart are separated by `--`.
    pub context: bool,
    /// File names printed (`-H`, `--no-filename`, or more than one file to search).
    pub with_filename: bool,
    /// `-n` (the default on a terminal), `-N`.
    pub line_number: bool,
    /// `--color`, resolved.
    pub color: bool,
    /// `-0`/`--null`: NUL after file names.
    pub null: bool,
    /// `-a`: binary files searched as text.
    pub text: bool,
    /// `--json`.
    pub json: bool,
    /// `--sort path`.
    pub sort: bool,
    /// `--max-line-bytes`.
    pub max_line_bytes: crate::size::Size,
    /// No PATH was given: `.` is searched and its files printed without `./`, as rg does.
    pub default_root: bool,
}

/// What `grep` prints for a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrepMode {
    /// The selected lines (or, with `-o`, their matches).
    Lines,
    /// `-c`: the count of selected lines.
    Count,
    /// `-l`: the name of a file with a selected line.
    FilesWithMatches,
    /// `-L`: the name of a file without one.
    FilesWithoutMatch,
    /// `-q`: nothing; the first selected line ends the run.
    Quiet,
}

impl GrepConfig {
    /// `grep` options, checked; a pattern that does not compile is a usage error.
    pub fn from_args(args: crate::cli::GrepArgs) -> Result<Self> {
        let mut patterns = args.regexp;
        let mut paths = args.paths;
        match args.pattern {
            // With -e or -f, the first operand is a PATH.
            Some(first) if !patterns.is_empty() || !args.file.is_empty() => {
                paths.insert(0, first.into())
            }
            Some(pattern) => patterns.push(pattern),
            None => {}
        }
        for file in &args.file {
            let text = if is_dash(file) {
                let mut text = Vec::new();
                std::io::Read::read_to_end(&mut std::io::stdin(), &mut text).map(|_| text)
            } else {
                fs::read(file)
            }
            .with_context(|| format!("{}: cannot read patterns", file.display()))?;
            let text = String::from_utf8(text)
                .map_err(|_| anyhow::anyhow!("{}: patterns are not UTF-8", file.display()))?;
            patterns.extend(text.lines().map(str::to_owned));
        }
        let matcher = crate::grep::Matcher::new(
            &patterns,
            &crate::grep::MatchOptions {
                fixed: args.fixed_strings,
                ignore_case: args.ignore_case,
                smart_case: args.smart_case,
                word: args.word_regexp,
                line: args.line_regexp,
            },
        )?;
        let default_root = paths.is_empty();
        let several = paths.len() > 1
            || paths.is_empty()
            || paths.iter().any(|path| !is_dash(path) && path.is_dir());
        let with_filename = if args.no_filename {
            false
        } else {
            args.with_filename || several
        };
        let terminal = std::io::IsTerminal::is_terminal(&std::io::stdout());
        let color = match args.color {
            crate::cli::ColorArg::Always => true,
            crate::cli::ColorArg::Never => false,
            crate::cli::ColorArg::Auto => {
                terminal && std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty())
            }
        };
        let line_number = !args.no_line_number && (args.line_number || terminal);
        let mode = if args.quiet {
            GrepMode::Quiet
        } else if args.files_with_matches {
            GrepMode::FilesWithMatches
        } else if args.files_without_match {
            GrepMode::FilesWithoutMatch
        } else if args.count {
            GrepMode::Count
        } else {
            GrepMode::Lines
        };
        let mut walk = DigestConfig::new(
            DigestKind::Stats { json: false },
            paths,
            args.walk,
            &args.pool,
            true,
        )?;
        walk.apply(&args.run);
        walk.codec = codec_config(args.from, ToArg::Keep, None)?;
        let sort = args.sort == crate::cli::SortArg::Path;
        for root in &mut walk.roots {
            if let Root::Tree(tree) = root {
                // --sort path: directories listed in sorted order, entries numbered as walked.
                tree.sorted |= sort;
            }
        }
        // The bar would draw between the lines of a terminal's output.
        walk.progress = false;
        Ok(Self {
            walk,
            matcher,
            mode,
            invert: args.invert_match,
            only_matching: args.only_matching,
            max_count: args.max_count,
            before: args.before_context.or(args.context).unwrap_or(0),
            after: args.after_context.or(args.context).unwrap_or(0),
            context: [args.after_context, args.before_context, args.context]
                .iter()
                .any(Option::is_some),
            with_filename,
            line_number,
            color,
            null: args.null_names,
            text: args.text,
            json: args.json,
            sort,
            max_line_bytes: args.max_line_bytes,
            default_root,
        })
    }
}
