//! Which files a walk selects: gitignore-style `--include`/`--exclude` patterns (and the
//! `--include-from`/`--exclude-from` files they come in), the tally behind the "matched nothing"
//! warning, and the size and age tests (`--min-size`, `--max-size`, `--changed-within`,
//! `--changed-before`), decided from a file's metadata (a `stat`, never an open).
//!
//! Patterns follow gitignore's rules (the `ignore` crate's gitignore matcher, ripgrep's): a
//! pattern without a `/` matches a name at any depth, a leading `/` anchors it to the root of the
//! walk, a trailing `/` matches directories only, `**` spans directories, `!` takes a match back
//! (the last matching pattern of a list wins), and a directory's match covers everything below it.
//! A path is matched by a list exactly when git, with that list as a `.gitignore` at the root,
//! would ignore it: that is what `--exclude` leaves out and what `--include` takes.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::SystemTime;

use anyhow::{Context as _, Result, bail};
use ignore::Match;
use ignore::gitignore::{Gitignore, GitignoreBuilder};

use super::SkipReason;
use crate::cli::WalkArgs;

/// One list of patterns (`--include` and `--include-from`, or `--exclude` and `--exclude-from`).
#[derive(Debug, Clone)]
pub struct Patterns {
    matcher: Gitignore,
}

impl Patterns {
    /// Whether `rel` itself (not a directory above it) is matched: its last matching pattern is
    /// not a `!` one. A walk asks this of each directory before it enters it, so that the
    /// directories above a path have been asked already.
    pub fn matches_itself(&self, rel: &Path, is_dir: bool) -> bool {
        matches!(self.matcher.matched(rel, is_dir), Match::Ignore(_))
    }

    /// Whether `rel` is matched, by itself or through a directory it is in (git's rule: nothing
    /// below a matched directory can be taken back). Directories are asked from the top down.
    pub fn matches(&self, rel: &Path, is_dir: bool) -> bool {
        let mut dirs: Vec<&Path> = super::parents(rel).collect();
        dirs.reverse();
        dirs.into_iter().any(|dir| self.matches_itself(dir, true))
            || self.matches_itself(rel, is_dir)
    }
}

/// The patterns of one walk's `--include`/`--exclude` options, compiled.
#[derive(Debug, Clone)]
pub struct PatternLists {
    /// `--include` and `--include-from` (`None`: every file is included).
    pub include: Option<Patterns>,
    /// `--exclude` and `--exclude-from`.
    pub exclude: Option<Patterns>,
    /// Which of them matched something (shared by every walk of the run).
    pub tally: Arc<PatternTally>,
}

impl PatternLists {
    /// Compiles the patterns, the files' ones first (the command line's come later, so they win,
    /// as later lines of a `.gitignore` do). A bad pattern or an unreadable file is a usage error
    /// naming it.
    pub fn new(
        include: &[String],
        include_from: &[PathBuf],
        exclude: &[String],
        exclude_from: &[PathBuf],
    ) -> Result<Self> {
        let mut units = Vec::new();
        let include = compile(
            ("--include", include),
            ("--include-from", include_from),
            &mut units,
        )?;
        let exclude = compile(
            ("--exclude", exclude),
            ("--exclude-from", exclude_from),
            &mut units,
        )?;
        Ok(Self {
            include,
            exclude,
            tally: Arc::new(PatternTally::new(units)),
        })
    }

    /// The lists of a walk's options.
    pub fn from_args(args: &WalkArgs) -> Result<Self> {
        Self::new(
            &args.include,
            &args.include_from,
            &args.exclude,
            &args.exclude_from,
        )
    }
}

/// Compiles one list from its command-line patterns and its files; records a tally unit for
/// each pattern given on the command line and for each file.
fn compile(
    (flag, patterns): (&str, &[String]),
    (from_flag, files): (&str, &[PathBuf]),
    units: &mut Vec<Unit>,
) -> Result<Option<Patterns>> {
    if patterns.is_empty() && files.is_empty() {
        return Ok(None);
    }
    let mut all = builder();
    for file in files {
        let label = format!("{from_flag} {}", file.display());
        let text = fs::read_to_string(file).with_context(|| label.clone())?;
        let mut own = builder();
        for (number, line) in text.lines().enumerate() {
            // Lists written on Windows end lines in CRLF; gitignore's parser skips `#` lines
            // and blank ones, and trims trailing blanks unless escaped.
            let line = line.strip_suffix('\r').unwrap_or(line);
            let context = || format!("{}:{}", label, number + 1);
            add(&mut all, line).with_context(context)?;
            add(&mut own, line).with_context(context)?;
        }
        units.push(Unit::new(label, &own)?);
    }
    for pattern in patterns {
        let label = format!("{flag} '{pattern}'");
        if pattern.trim().is_empty() {
            bail!("{label}: an empty pattern matches nothing");
        }
        // On the command line, `#` starts a name (`#draft.log#`), not a comment.
        let line = match pattern.starts_with('#') {
            true => format!("\\{pattern}"),
            false => pattern.clone(),
        };
        let mut own = builder();
        add(&mut all, &line).with_context(|| label.clone())?;
        add(&mut own, &line).with_context(|| label.clone())?;
        units.push(Unit::new(label, &own)?);
    }
    Ok(Some(Patterns {
        matcher: all.build()?,
    }))
}

/// A builder for one list. git reads an unclosed `[` literally; here it is refused, as it was
/// before these rules, since it is more often a typo than a file name.
fn builder() -> GitignoreBuilder {
    let mut builder = GitignoreBuilder::new(".");
    builder.allow_unclosed_class(false);
    builder
}

fn add(builder: &mut GitignoreBuilder, line: &str) -> Result<()> {
    match builder.add_line(None, line) {
        Ok(_) => Ok(()),
        // The crate's message names the glob again; the caller's context names it already.
        Err(ignore::Error::Glob { err, .. }) => bail!("{err}"),
        Err(error) => Err(error.into()),
    }
}

/// A pattern given on the command line, or the patterns of one file, as the warning names them.
#[derive(Debug)]
struct Unit {
    label: String,
    matcher: Gitignore,
}

impl Unit {
    fn new(label: String, builder: &GitignoreBuilder) -> Result<Self> {
        Ok(Self {
            label,
            matcher: builder.build()?,
        })
    }
}

/// Which patterns matched a path the run looked at (a file or a directory, whether or not it
/// ended up processed, in any shard): those that never did get a warning after the run. A
/// pattern is tested only until it first matches, so the tally costs nothing once all have.
#[derive(Debug)]
pub struct PatternTally {
    units: Vec<Unit>,
    matched: Vec<AtomicBool>,
    pending: AtomicUsize,
    /// Every walk of the run went to its end (the warnings would be guesses otherwise).
    complete: AtomicBool,
}

impl PatternTally {
    fn new(units: Vec<Unit>) -> Self {
        Self {
            matched: units.iter().map(|_| AtomicBool::new(false)).collect(),
            pending: AtomicUsize::new(units.len()),
            units,
            complete: AtomicBool::new(false),
        }
    }

    /// Notes a path the walk looked at (`rel`, relative to the root).
    pub fn note(&self, rel: &Path, is_dir: bool) {
        if self.pending.load(Ordering::Relaxed) == 0 {
            return;
        }
        for (unit, matched) in self.units.iter().zip(&self.matched) {
            if matched.load(Ordering::Relaxed) || unit.matcher.matched(rel, is_dir).is_none() {
                continue;
            }
            if !matched.swap(true, Ordering::Relaxed) {
                self.pending.fetch_sub(1, Ordering::Relaxed);
            }
        }
    }

    /// Notes a listed path and the directories it is in.
    pub fn note_with_parents(&self, rel: &Path) {
        for dir in super::parents(rel) {
            self.note(dir, true);
        }
        self.note(rel, false);
    }

    /// Marks the run's walks finished.
    pub fn finish(&self) {
        self.complete.store(true, Ordering::Relaxed);
    }

    /// The warnings to print after the run: one per pattern (or file of patterns) that matched
    /// nothing; none when the walks did not finish.
    pub fn warnings(&self) -> Vec<String> {
        if !self.complete.load(Ordering::Relaxed) {
            return Vec::new();
        }
        self.units
            .iter()
            .zip(&self.matched)
            .filter(|(_, matched)| !matched.load(Ordering::Relaxed))
            .map(|(unit, _)| format!("asyncfiles: warning: {} matched nothing", unit.label))
            .collect()
    }
}

/// The size and age tests of a walk (`--min-size`, `--max-size`, `--changed-within`,
/// `--changed-before`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MetaFilter {
    /// Smallest size taken (inclusive, as fd's `--size +N`).
    pub min_size: Option<u64>,
    /// Largest size taken (inclusive, as fd's `--size -N`).
    pub max_size: Option<u64>,
    /// Oldest modification time taken (inclusive).
    pub changed_within: Option<SystemTime>,
    /// Modification times from this one on are left out (exclusive), so that `--changed-within
    /// T` and `--changed-before T` split a tree: every file is in exactly one of them.
    pub changed_before: Option<SystemTime>,
}

impl MetaFilter {
    /// The tests of a walk's options.
    pub fn from_args(args: &WalkArgs) -> Self {
        Self {
            min_size: args.min_size,
            max_size: args.max_size,
            changed_within: args.changed_within,
            changed_before: args.changed_before,
        }
    }

    /// Whether any test is given (then each file of the shard is `stat`ed for them).
    pub fn is_active(&self) -> bool {
        *self != Self::default()
    }

    /// Why a file with this metadata is left out (`None`: it is taken).
    pub fn verdict(&self, meta: &fs::Metadata) -> Option<SkipReason> {
        let size = meta.len();
        if self.min_size.is_some_and(|min| size < min)
            || self.max_size.is_some_and(|max| size > max)
        {
            return Some(SkipReason::Size);
        }
        if self.changed_within.is_none() && self.changed_before.is_none() {
            return None;
        }
        // Linux and the BSDs always have a modification time; a file without one is taken.
        let Ok(modified) = meta.modified() else {
            return None;
        };
        let too_old = self.changed_within.is_some_and(|limit| modified < limit);
        let too_new = self.changed_before.is_some_and(|limit| modified >= limit);
        (too_old || too_new).then_some(SkipReason::Age)
    }
}

/// A point in time given as `--changed-within`/`--changed-before` take it: a duration back from
/// now (`1d`, `12h`, `30m`, `2w`, `1d12h`: jiff's friendly format, or ISO 8601 `P1D`; calendar
/// days in local time, as fd), a local date or date and time (`2026-11-30`, `2026-11-30T12:00:00`,
/// `2026-11-30 12:00:00`), an instant with an offset (`2026-11-30T12:00:00Z`), or `@` and Unix
/// seconds.
pub fn parse_time_limit(text: &str) -> Result<SystemTime, String> {
    let text = text.trim();
    // A bare number is seconds, as for every duration of asyncfiles (GNU timeout's rule).
    let seconds;
    let text = if !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit()) {
        seconds = format!("{text}s");
        seconds.as_str()
    } else {
        text
    };
    let instant = if let Ok(span) = text.parse::<jiff::Span>() {
        jiff::ZonedDateTime::now()
            .checked_sub(span)
            .map_err(|error| format!("{text:?}: {error}"))?
            .timestamp()
    } else if let Ok(timestamp) = text.parse::<jiff::Timestamp>() {
        timestamp
    } else if let Ok(datetime) = text.parse::<jiff::civil::DateTime>() {
        jiff::tz::TimeZone::system()
            .to_ambiguous_zoned_datetime(datetime)
            .compatible()
            .map_err(|error| format!("{text:?}: {error}"))?
            .timestamp()
    } else if let Some(seconds) = text.strip_prefix('@').and_then(|s| s.parse::<i64>().ok()) {
        jiff::Timestamp::from_second(seconds).map_err(|error| format!("{text:?}: {error}"))?
    } else {
        return Err(format!(
            "{text:?} is neither a duration (1d, 12h, 30m, 2w) nor a date \
             (2026-11-30, 2026-11-30T12:00:00, 2026-11-30 12:00:00)"
        ));
    };
    SystemTime::try_from(instant).map_err(|error| format!("{text:?}: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lists(include: &[&str], exclude: &[&str]) -> PatternLists {
        let strings =
            |patterns: &[&str]| patterns.iter().map(|p| p.to_string()).collect::<Vec<_>>();
        PatternLists::new(&strings(include), &[], &strings(exclude), &[]).unwrap()
    }

    #[test]
    fn a_directory_match_covers_everything_below_it() {
        let lists = lists(&["logs/", "!logs/keep.txt"], &[]);
        let include = lists.include.unwrap();
        assert!(include.matches(Path::new("a/logs/x.txt"), false));
        assert!(
            include.matches(Path::new("a/logs/keep.txt"), false),
            "as git"
        );
        assert!(
            !include.matches(Path::new("a/logs"), false),
            "a file named logs"
        );
        assert!(!include.matches(Path::new("a/x.txt"), false));
    }

    #[test]
    fn the_tally_tests_each_pattern_until_it_matches() {
        let lists = lists(&["*.log", "acess*"], &["tmp/"]);
        let tally = &lists.tally;
        tally.note(Path::new("a/b.log"), false);
        tally.note(Path::new("a/tmp"), false);
        tally.finish();
        assert_eq!(
            tally.warnings(),
            [
                "asyncfiles: warning: --include 'acess*' matched nothing",
                "asyncfiles: warning: --exclude 'tmp/' matched nothing",
            ]
        );
        tally.note_with_parents(Path::new("x/tmp/acess.log"));
        assert_eq!(tally.warnings(), Vec::<String>::new());
        assert_eq!(tally.pending.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn bad_patterns_name_the_flag_and_pattern() {
        let error = PatternLists::new(&["a[".into()], &[], &[], &[]).unwrap_err();
        assert_eq!(
            format!("{error:#}"),
            "--include 'a[': unclosed character class; missing ']'"
        );
        let error = PatternLists::new(&[], &[], &[" ".into()], &[]).unwrap_err();
        assert_eq!(
            format!("{error:#}"),
            "--exclude ' ': an empty pattern matches nothing"
        );
    }

    #[test]
    fn time_limits_take_durations_and_dates() {
        let now = SystemTime::now();
        let day = parse_time_limit("1d").unwrap();
        let hours = now.duration_since(day).unwrap().as_secs();
        // A calendar day: 23 to 25 hours across a DST change.
        assert!((23 * 3600..=25 * 3600 + 60).contains(&hours), "{hours}");
        for text in ["12h", "30m", "2w", "1d12h", "P1D"] {
            assert!(parse_time_limit(text).unwrap() < now, "{text}");
        }
        assert_eq!(
            parse_time_limit("2026-11-30T12:00:00Z"),
            Ok(SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_796_040_000))
        );
        assert_eq!(
            parse_time_limit("@1796040000"),
            parse_time_limit("2026-11-30T12:00:00Z")
        );
        for text in ["2026-11-30", "2026-11-30T12:00:00", "2026-11-30 12:00:00"] {
            assert!(parse_time_limit(text).is_ok(), "{text}");
        }
        for bad in ["yesterday", "30x", "2026-13-01", ""] {
            assert!(parse_time_limit(bad).is_err(), "{bad}");
        }
        // A bare number is seconds, as for --timeout.
        let thirty = parse_time_limit("30").unwrap();
        let thirty_s = parse_time_limit("30s").unwrap();
        assert!(
            thirty_s.duration_since(thirty).unwrap_or_default() < std::time::Duration::from_secs(1)
        );
    }
}
