//! `hash --check`: every manifest entry hashed and compared, and NEW files under the checked
//! directories.

use std::collections::HashSet;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use anyhow::Result;
use tokio_stream::StreamExt;
use tokio_util::sync::CancellationToken;

use crate::config::DigestConfig;
use crate::interrupt::Interrupt;
use crate::report::{ExitCode, Progress, Summary, error_chain, escape_path};
use crate::walk::{self, Entry};

use super::manifest::{ManifestEntry, manifest_line, read_manifest};
use super::writer::Output;
use super::{DigestItem, DigestOutcome, start_pool, walked};

/// `hash --check`: every manifest entry is hashed and compared; with directories, files under
/// them that the manifest does not list are NEW.
pub(super) async fn check(
    config: &Arc<DigestConfig>,
    roots: Vec<walk::Root>,
    manifest: PathBuf,
    interrupt: &Interrupt,
    quiet: bool,
) -> ExitCode {
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
    let mut out = Output::default();
    let (new, walk_failed) = if config.check_dirs {
        match new_files(roots, &entries, interrupt.token()).await {
            Ok(found) => {
                let failed = !found.errors.is_empty();
                out.write(Vec::new(), found.errors).await;
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
    let mut counts = Summary::default();
    let mut verdicts: Vec<Option<String>> = vec![None; entries.len()];
    let mut all_ok = new.is_empty() && !walk_failed;
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
                all_ok = false;
                continue;
            };
            let entry = &entries[index];
            let (ok, verdict) = match report.outcome {
                DigestOutcome::Done(digest) if digest.hash == Some(entry.expected) => {
                    (true, "OK".to_owned())
                }
                DigestOutcome::Done(_) => (false, "FAILED".to_owned()),
                DigestOutcome::Failed(error) if is_missing(&error) => {
                    (false, "FAILED (missing)".to_owned())
                }
                DigestOutcome::Failed(error) => {
                    (false, format!("FAILED ({})", error_chain(&error)))
                }
                DigestOutcome::Skipped(reason) => (false, format!("FAILED ({reason})")),
                DigestOutcome::Cancelled => {
                    counts.cancelled += 1;
                    if !quiet {
                        let message = format!("asyncfiles: {}: cancelled", entry.shown);
                        out.write(Vec::new(), vec![message]).await;
                    }
                    continue;
                }
            };
            if ok {
                counts.done += 1;
            } else {
                counts.failed += 1;
            }
            all_ok &= ok;
            if config.fail_fast && !ok {
                stop.cancel(); // a mismatch is a failure too
            }
            if !(ok && quiet) {
                verdicts[index] = Some(format!("{}: {verdict}\n", entry.shown));
            }
        }
    }
    out.clear_progress().await;
    let mut lines: Vec<u8> = verdicts
        .into_iter()
        .flatten()
        .flat_map(String::into_bytes)
        .collect();
    for path in new {
        lines.extend(format!("{}: NEW\n", shown_path(&path)).into_bytes());
    }
    out.write(lines, Vec::new()).await;
    if !quiet {
        out.write_interrupted(config.kind, interrupt, &counts).await;
    }
    if interrupt.exit_code().is_some() || all_ok {
        ExitCode::Success
    } else {
        ExitCode::Failure
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
            .filter(|part| *part != std::path::Component::CurDir)
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
    found
        .paths
        .sort_by(|a, b| a.as_os_str().as_bytes().cmp(b.as_os_str().as_bytes()));
    Ok(found)
}

/// What the walk of `--check`'s directories found that the manifest does not list.
#[derive(Default)]
pub(super) struct NewFiles {
    paths: Vec<PathBuf>,
    /// Entries that could not be examined.
    errors: Vec<String>,
}
