//! `hash --check`: every manifest entry hashed and compared, and NEW files under the checked
//! directories, named as the manifest names its paths; sha256sum's `--ignore-missing` and
//! `--status` (`--strict` is the default: see [`crate::cli::CheckArgs`]).

use std::collections::HashSet;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use anyhow::Result;
use tokio_stream::StreamExt;
use tokio_util::sync::CancellationToken;

use crate::config::{CheckOptions, DigestConfig};
use crate::interrupt::Interrupt;
use crate::report::{ExitCode, Progress, Summary, error_chain, escape_path};
use crate::walk::{self, Entry};

use super::manifest::{ManifestEntry, manifest_line, read_manifest};
use super::writer::Output;
use super::{DigestItem, DigestOutcome, start_pool, walked};

/// `hash --check`: every manifest entry is hashed and compared; with directories, files under
/// them that the manifest does not list are NEW. `quiet` (`-q`, sha256sum's `--quiet`) leaves
/// out the OK lines; `--status` everything but the errors that stop the check.
pub(super) async fn check(
    config: &Arc<DigestConfig>,
    roots: Vec<walk::Root>,
    manifest: PathBuf,
    interrupt: &Interrupt,
    quiet: bool,
) -> ExitCode {
    let shown_manifest = escape_path(&manifest);
    let read = tokio::task::spawn_blocking(move || read_manifest(&manifest)).await;
    let entries = match read {
        Ok(Ok(entries)) => entries,
        Ok(Err(errors)) => {
            Output::default().write(Vec::new(), errors).await;
            return ExitCode::Fatal;
        }
        Err(error) => {
            eprintln!("asyncfiles: internal error: {error}");
            return ExitCode::Fatal;
        }
    };
    let options = config.check_options;
    let mut out = Output::default();
    let (new, walk_failed) = if config.check_dirs {
        match new_files(roots, &entries, interrupt.token()).await {
            Ok(found) => {
                let failed = !found.errors.is_empty();
                if !options.status {
                    out.write(Vec::new(), found.errors).await;
                }
                (found.paths, failed)
            }
            Err(error) => {
                eprintln!("asyncfiles: {}", error_chain(&error));
                return ExitCode::Fatal;
            }
        }
    } else {
        (Vec::new(), false)
    };
    let verdicts = Verdicts::new(&entries, quiet, options);
    let verdicts = compare(config, &entries, interrupt, &mut out, verdicts).await;
    out.clear_progress().await;
    let mut lines = verdicts.lines();
    if !options.status {
        for path in &new {
            lines.extend(format!("{}: NEW\n", shown_path(path)).into_bytes());
        }
    }
    out.write(lines, Vec::new()).await;
    // sha256sum's rule: with --ignore-missing, a check that verified nothing has checked nothing
    // (a manifest read in the wrong directory would otherwise pass).
    let none_verified = options.ignore_missing && verdicts.verified == 0;
    let interrupted = interrupt.exit_code().is_some();
    if none_verified && !interrupted && !options.status {
        let message = format!("asyncfiles: {shown_manifest}: no file was verified");
        out.write(Vec::new(), vec![message]).await;
    }
    if !(quiet || options.status) {
        out.write_interrupted(config.kind, interrupt, &verdicts.counts)
            .await;
    }
    let all_ok = verdicts.all_ok && new.is_empty() && !walk_failed && !none_verified;
    if interrupted || all_ok {
        ExitCode::Success
    } else {
        ExitCode::Failure
    }
}

/// Hashes every manifest entry and records its verdict.
async fn compare(
    config: &Arc<DigestConfig>,
    entries: &[ManifestEntry],
    interrupt: &Interrupt,
    out: &mut Output,
    mut verdicts: Verdicts,
) -> Verdicts {
    let items = entries
        .iter()
        .enumerate()
        .map(|(index, entry)| DigestItem::Listed {
            index,
            path: entry.path.clone(),
        })
        .collect::<Vec<_>>();
    let stop = interrupt.token().child_token();
    let mut results = start_pool(config, tokio_stream::iter(items), &stop);
    let total = Arc::new(AtomicU64::new(entries.len() as u64));
    out.progress = config.progress.then(|| Progress::new(total));
    let mut checked = 0;
    while let Some(batch) = results.recv().await {
        checked += batch.len() as u64;
        out.done = checked;
        out.write(Vec::new(), Vec::new()).await;
        for report in batch {
            let Some(index) = report.entry else {
                // Only a crashed worker reports no entry: the run cannot pass.
                if let DigestOutcome::Failed(error) = &report.outcome {
                    let path = escape_path(&report.path);
                    let message = format!("asyncfiles: {path}: {}", error_chain(error));
                    out.write(Vec::new(), vec![message]).await;
                }
                verdicts.all_ok = false;
                continue;
            };
            let entry = &entries[index];
            if let Some(message) = verdicts.record(index, entry, report.outcome) {
                out.write(Vec::new(), vec![message]).await;
            }
            if config.fail_fast && !verdicts.all_ok {
                stop.cancel(); // a mismatch is a failure too
            }
        }
    }
    verdicts
}

/// The verdicts of a check so far, in the manifest's order.
struct Verdicts {
    /// One line per entry that is reported (`None`: not, or not yet).
    lines: Vec<Option<String>>,
    /// Nothing has failed yet.
    all_ok: bool,
    /// Entries whose file was read and compared (OK or FAILED).
    verified: u64,
    /// For the interruption's summary.
    counts: Summary,
    quiet: bool,
    options: CheckOptions,
}

impl Verdicts {
    fn new(entries: &[ManifestEntry], quiet: bool, options: CheckOptions) -> Self {
        Self {
            lines: vec![None; entries.len()],
            all_ok: true,
            verified: 0,
            counts: Summary::default(),
            quiet,
            options,
        }
    }

    /// Records how entry `index` ended; returns a message for stderr, if any.
    fn record(
        &mut self,
        index: usize,
        entry: &ManifestEntry,
        outcome: DigestOutcome,
    ) -> Option<String> {
        let (ok, verdict) = match outcome {
            DigestOutcome::Done(digest) => {
                self.verified += 1;
                if digest.hash == Some(entry.expected) {
                    (true, "OK".to_owned())
                } else {
                    (false, "FAILED".to_owned())
                }
            }
            DigestOutcome::Failed(error) if is_missing(&error) => {
                if self.options.ignore_missing {
                    self.counts.skipped += 1;
                    return None;
                }
                (false, "FAILED (missing)".to_owned())
            }
            DigestOutcome::Failed(error) => (false, format!("FAILED ({})", error_chain(&error))),
            DigestOutcome::Skipped(reason) => (false, format!("FAILED ({reason})")),
            DigestOutcome::Cancelled => {
                self.counts.cancelled += 1;
                let silent = self.quiet || self.options.status;
                return (!silent).then(|| format!("asyncfiles: {}: cancelled", entry.shown));
            }
        };
        if ok {
            self.counts.done += 1;
        } else {
            self.counts.failed += 1;
        }
        self.all_ok &= ok;
        let shown = !(self.options.status || ok && self.quiet);
        if shown {
            self.lines[index] = Some(format!("{}: {verdict}\n", entry.shown));
        }
        None
    }

    /// The verdict lines, in the manifest's order.
    fn lines(&self) -> Vec<u8> {
        self.lines
            .iter()
            .flatten()
            .flat_map(|line| line.bytes())
            .collect()
    }
}

/// A path as a manifest line would show it.
pub(super) fn shown_path(path: &Path) -> String {
    let line = manifest_line(&blake3::Hash::from_bytes([0; 32]), path);
    let escaped = line.starts_with('\\');
    let name = &line[if escaped { 1 } else { 0 } + 2 * blake3::OUT_LEN + 2..line.len() - 1];
    if escaped {
        format!("\\{name}")
    } else {
        name.to_owned()
    }
}

pub(super) fn is_missing(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::NotFound)
    })
}

/// Files under the `--check` directories that no manifest entry names, sorted.
pub(super) async fn new_files(
    roots: Vec<walk::Root>,
    entries: &[ManifestEntry],
    cancel: &CancellationToken,
) -> Result<NewFiles> {
    // `./a.log` and `a.log` name the same file.
    let plain = |path: &Path| -> PathBuf {
        path.components()
            .filter(|part| *part != Component::CurDir)
            .collect()
    };
    let listed: HashSet<PathBuf> = entries.iter().map(|entry| plain(&entry.path)).collect();
    let mut walked = walked(roots, Arc::default())?;
    let mut found = NewFiles::default();
    loop {
        let item = tokio::select! {
            biased;
            () = cancel.cancelled() => break,
            item = walked.next() => item,
        };
        match item {
            None => break,
            Some(DigestItem::Walked(Entry::File { path, .. })) => {
                if !listed.contains(&plain(&path)) {
                    found.paths.push(path);
                }
            }
            // A part of the tree that cannot be read may hold new files: say so, and fail.
            Some(DigestItem::Walked(Entry::Failed { path, error })) => {
                let message = format!(
                    "asyncfiles: {}: {}",
                    escape_path(&path),
                    error_chain(&error)
                );
                found.errors.push(message);
            }
            Some(_) => {}
        }
    }
    let form = DotForm::of(entries);
    found.paths = found
        .paths
        .into_iter()
        .map(|path| form.apply(path))
        .collect();
    found
        .paths
        .sort_by(|a, b| a.as_os_str().as_bytes().cmp(b.as_os_str().as_bytes()));
    // `hash -c m.b3 . logs` walks logs twice (`./logs/b.log`, `logs/b.log`): one name once.
    found.paths.dedup();
    Ok(found)
}

/// Whether the manifest's relative paths start with `./`, so that NEW files are named as the
/// manifest names its files: `cd out && hash -c ../m.b3 .` walks `./b.log`, and a manifest that
/// `convert --manifest` or `hash logs` wrote says `b.log`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DotForm {
    /// Every relative path starts with `./` (`hash .` wrote it).
    Dotted,
    /// None does.
    Plain,
    /// Both kinds, or no relative path at all: nothing to follow, names stay as walked.
    AsWalked,
}

impl DotForm {
    fn of(entries: &[ManifestEntry]) -> Self {
        let relative = entries.iter().filter(|entry| entry.path.is_relative());
        let (mut dotted, mut plain) = (false, false);
        for entry in relative {
            if starts_with_dot(&entry.path) {
                dotted = true;
            } else {
                plain = true;
            }
        }
        match (dotted, plain) {
            (true, false) => Self::Dotted,
            (false, true) => Self::Plain,
            _ => Self::AsWalked,
        }
    }

    /// `path` (as walked) in this form; absolute paths and `../` ones are left as they are.
    fn apply(self, path: PathBuf) -> PathBuf {
        match self {
            Self::Plain if starts_with_dot(&path) => match path.strip_prefix(".") {
                Ok(rest) if !rest.as_os_str().is_empty() => rest.to_path_buf(),
                _ => path,
            },
            Self::Dotted if starts_with_name(&path) => Path::new(".").join(path),
            _ => path,
        }
    }
}

/// `./a.log`, not `a.log` nor `../a.log`.
fn starts_with_dot(path: &Path) -> bool {
    path.components().next() == Some(Component::CurDir)
}

/// `a.log` or `logs/a.log`: a relative path whose first component is a name.
fn starts_with_name(path: &Path) -> bool {
    matches!(path.components().next(), Some(Component::Normal(_)))
}

/// What the walk of `--check`'s directories found that the manifest does not list.
#[derive(Default)]
pub(super) struct NewFiles {
    paths: Vec<PathBuf>,
    /// Entries that could not be examined.
    errors: Vec<String>,
}
