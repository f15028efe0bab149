//! The writer of `hash` and `stats` output, shared by listing and `--check`: stdout and stderr
//! written off the runtime, messages above the progress bar.

use std::io::{self, Write as _};

use crate::config::DigestKind;
use crate::interrupt::Interrupt;
use crate::report::{Progress, Summary};

/// Writes to stdout and stderr off the runtime; stops writing stdout once it is closed or failed
/// (see [`crate::stdout`]).
/// With `--progress`, messages go above the bar, which shows the counts after each write.
#[derive(Default)]
pub(super) struct Output {
    pub(super) closed: bool,
    pub(super) progress: Option<Progress>,
    /// Files done so far, for the bar.
    pub(super) done: u64,
}

impl Output {
    pub(super) fn with_progress(progress: Option<Progress>) -> Self {
        Self {
            progress,
            ..Self::default()
        }
    }

    pub(super) async fn write(&mut self, stdout: Vec<u8>, stderr: Vec<String>) {
        if (stdout.is_empty() || self.closed) && stderr.is_empty() && self.progress.is_none() {
            return;
        }
        let (closed, progress, done) = (self.closed, self.progress.clone(), self.done);
        let written = tokio::task::spawn_blocking(move || {
            if let Some(progress) = &progress {
                progress.above(&stderr);
                progress.show_files(done);
            } else if !stderr.is_empty() {
                let mut err = io::stderr().lock();
                for line in stderr {
                    let _ = writeln!(err, "{line}");
                }
            }
            closed || stdout.is_empty() || crate::stdout::write(&stdout)
        })
        .await;
        self.closed |= !matches!(written, Ok(true));
    }

    /// After an interruption, says so on stderr with the counts, as `convert` does:
    /// `hash interrupted: 3 done, 0 skipped, 0 failed, 1 cancelled`.
    pub(super) async fn write_interrupted(
        &mut self,
        kind: DigestKind,
        interrupt: &Interrupt,
        summary: &Summary,
    ) {
        if interrupt.exit_code().is_none() {
            return;
        }
        let command = match kind {
            DigestKind::Hash => "hash",
            DigestKind::Stats { .. } => "stats",
        };
        let line = format!("{command} interrupted: {}", summary.counts(true));
        self.write(Vec::new(), vec![line]).await;
    }

    /// Removes the progress bar, if any, before the last lines.
    pub(super) async fn clear_progress(&mut self) {
        if let Some(progress) = self.progress.take() {
            let _ = tokio::task::spawn_blocking(move || progress.clear()).await;
        }
    }
}
