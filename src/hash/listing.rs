//! `hash` and `stats` without `--check`: the printer of b3sum lines, JSON objects and `stats`
//! columns, what it counts of failures.

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use crate::config::{DigestConfig, DigestKind};
use crate::interrupt::Interrupt;
use crate::report::{ExitCode, Progress, Summary, error_chain, escape_path};
use crate::walk::{self};

use super::manifest::manifest_line;
use super::writer::Output;
use super::{Digest, DigestOutcome, DigestReport, start_pool, walked};

/// What the printer tells stderr about a file that has no digest, and how it counts.
#[derive(Default)]
pub(super) struct Tally {
    ok: u64,
    skipped: u64,
    failed: u64,
    cancelled: u64,
    bytes: u64,
}

impl Tally {
    /// Notes a result without a digest; returns the digest otherwise.
    fn note(
        &mut self,
        report: DigestReport,
        quiet: bool,
        errors: &mut Vec<String>,
    ) -> Option<(PathBuf, Digest)> {
        if matches!(report.outcome, DigestOutcome::Skipped(_)) {
            self.skipped += 1;
        }
        match report.outcome {
            DigestOutcome::Done(digest) => {
                self.ok += 1;
                self.bytes += digest.bytes;
                return Some((report.path, digest));
            }
            DigestOutcome::Skipped(reason) if !quiet => errors.push(format!(
                "asyncfiles: {}: skipped: {reason}",
                escape_path(&report.path)
            )),
            DigestOutcome::Skipped(_) => {}
            DigestOutcome::Failed(error) => {
                self.failed += 1;
                errors.push(format!(
                    "asyncfiles: {}: {}",
                    escape_path(&report.path),
                    error_chain(&error)
                ));
            }
            DigestOutcome::Cancelled => {
                self.cancelled += 1;
                if !quiet {
                    let path = escape_path(&report.path);
                    errors.push(format!("asyncfiles: {path}: cancelled"));
                }
            }
        }
        None
    }

    /// The counts as a run's [`Summary`] (for the line of an interrupted run).
    fn summary(&self) -> Summary {
        Summary {
            done: self.ok,
            skipped: self.skipped,
            failed: self.failed,
            cancelled: self.cancelled,
            bytes_in: self.bytes,
            ..Summary::default()
        }
    }
}

/// `hash` and `stats` without `--check`: a line per file, sorted unless `--unsorted`.
pub(super) async fn list(
    config: &Arc<DigestConfig>,
    roots: Vec<walk::Root>,
    interrupt: &Interrupt,
    quiet: bool,
) -> ExitCode {
    let started = std::time::Instant::now();
    let found = Arc::new(AtomicU64::new(0));
    let items = match walked(roots, found.clone()) {
        Ok(items) => items,
        Err(error) => {
            eprintln!("asyncfiles: {}", error_chain(&error));
            return ExitCode::Fatal;
        }
    };
    // What stops taking new files: a signal, or (--fail-fast) the first failure.
    let stop = interrupt.token().child_token();
    let mut results = start_pool(config, items, &stop);
    let mut tally = Tally::default();
    let mut held: Vec<(PathBuf, Digest)> = Vec::new();
    let mut held_json: Vec<(PathBuf, String)> = Vec::new();
    let mut out = Output::with_progress(config.progress.then(|| Progress::new(found)));
    while let Some(batch) = results.recv().await {
        let mut errors = Vec::new();
        let mut lines = Vec::new();
        for report in batch {
            let json = config
                .json
                .then(|| (report.path.clone(), json_line(&report)));
            let digested = tally.note(report, quiet, &mut errors);
            match json {
                Some((_, Some(line))) if config.unsorted => {
                    lines.extend(format!("{line}\n").into_bytes());
                }
                Some((path, Some(line))) => held_json.push((path, line)),
                Some((_, None)) => {}
                None => match digested {
                    Some((path, digest)) if config.unsorted => {
                        lines.extend(render(config.kind, &path, &digest));
                    }
                    Some(done) => held.push(done),
                    None => {}
                },
            }
        }
        let processed = tally.ok + tally.skipped + tally.failed + tally.cancelled;
        out.done = processed;
        out.write(lines, errors).await;
    }
    out.clear_progress().await;
    if config.json {
        held_json.sort_by(|(a, _), (b, _)| a.as_os_str().as_bytes().cmp(b.as_os_str().as_bytes()));
        let mut lines: Vec<u8> = held_json
            .into_iter()
            .flat_map(|(_, line)| format!("{line}\n").into_bytes())
            .collect();
        let code = interrupt.exit_code().unwrap_or(exit_code(&tally));
        let mut summary = serde_json::json!({
            "type": "summary",
            "ok": tally.ok,
            "skipped": tally.skipped,
            "failed": tally.failed,
            "cancelled": tally.cancelled,
            "bytes": tally.bytes,
            "elapsed_ms": started.elapsed().as_millis() as u64,
            "exit_code": code as u8,
        });
        crate::report::add_shard(&mut summary, config.shard);
        lines.extend(format!("{summary}\n").into_bytes());
        out.write(lines, Vec::new()).await;
    } else if !config.unsorted {
        held.sort_by(|(a, _), (b, _)| a.as_os_str().as_bytes().cmp(b.as_os_str().as_bytes()));
        let mut lines: Vec<u8> = Vec::new();
        if let DigestKind::Stats { json: false } = config.kind {
            // `0 0 total` would read as an empty input when nothing could be read at all.
            if !(held.is_empty() && tally.failed > 0) {
                lines = stats_table(&held);
            }
        } else {
            for (path, digest) in &held {
                lines.extend(render(config.kind, path, digest));
            }
            if let DigestKind::Stats { json: true } = config.kind {
                lines.extend(stats_total_json(&held, config.shard));
            }
        }
        out.write(lines, Vec::new()).await;
    }
    if !quiet {
        out.write_interrupted(config.kind, interrupt, &tally.summary())
            .await;
    }
    exit_code(&tally)
}

pub(super) fn exit_code(tally: &Tally) -> ExitCode {
    if tally.failed > 0 {
        ExitCode::Failure
    } else {
        ExitCode::Success
    }
}

/// `hash --json`'s object for one file (none for one abandoned by an interruption).
pub(super) fn json_line(report: &DigestReport) -> Option<String> {
    use serde_json::json;
    let path = report.path.to_string_lossy();
    let object = match &report.outcome {
        DigestOutcome::Done(digest) => json!({
            "path": path,
            "status": "ok",
            "blake3": digest.hash.map(|hash| hash.to_hex().to_string()),
            "bytes": digest.bytes,
            "ms": digest.elapsed.as_millis() as u64,
        }),
        DigestOutcome::Skipped(reason) => {
            json!({"path": path, "status": "skipped", "reason": reason.to_string()})
        }
        DigestOutcome::Failed(error) => {
            json!({"path": path, "status": "failed", "error": error_chain(error)})
        }
        DigestOutcome::Cancelled => return None,
    };
    Some(object.to_string())
}

/// One output line for a file: b3sum's, or a JSON object for `stats --json`.
pub(super) fn render(kind: DigestKind, path: &Path, digest: &Digest) -> Vec<u8> {
    match (kind, digest.hash) {
        (DigestKind::Hash, Some(hash)) => manifest_line(&hash, path).into_bytes(),
        (DigestKind::Stats { .. }, _) => {
            let object = serde_json::json!({
                "path": path.to_string_lossy(),
                "lines": digest.lines,
                "bytes": digest.bytes,
            });
            format!("{object}\n").into_bytes()
        }
        (DigestKind::Hash, None) => Vec::new(),
    }
}

/// `stats` columns: lines and bytes right-aligned, then the path; a total line last.
pub(super) fn stats_table(rows: &[(PathBuf, Digest)]) -> Vec<u8> {
    let (lines, bytes) = totals(rows);
    let lines_width = lines.to_string().len();
    let bytes_width = bytes.to_string().len();
    let mut out = String::new();
    for (path, digest) in rows {
        out.push_str(&format!(
            "{:>lines_width$} {:>bytes_width$} {}\n",
            digest.lines,
            digest.bytes,
            escape_path(path)
        ));
    }
    out.push_str(&format!(
        "{lines:>lines_width$} {bytes:>bytes_width$} total\n"
    ));
    out.into_bytes()
}

pub(super) fn stats_total_json(
    rows: &[(PathBuf, Digest)],
    shard: Option<crate::shard::Shard>,
) -> Vec<u8> {
    let (lines, bytes) = totals(rows);
    let mut object = serde_json::json!({
        "total": true,
        "files": rows.len(),
        "lines": lines,
        "bytes": bytes,
    });
    crate::report::add_shard(&mut object, shard);
    format!("{object}\n").into_bytes()
}

pub(super) fn totals(rows: &[(PathBuf, Digest)]) -> (u64, u64) {
    rows.iter().fold((0, 0), |(lines, bytes), (_, digest)| {
        (lines + digest.lines, bytes + digest.bytes)
    })
}
