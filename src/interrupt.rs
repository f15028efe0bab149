//! Ctrl-C and SIGTERM: the first one drains the run, the second one ends it at once.
//!
//! The first signal cancels the run's token: the pool takes no new file, workers abandon their
//! file between chunks and remove its temp file, the summary is printed, and the exit code is 130
//! (SIGINT) or 143 (SIGTERM). A second signal resolves [`Interrupt::forced`]; the caller then
//! removes every registered temp file and exits without waiting for workers.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use tokio::signal::unix::{SignalKind, signal};
use tokio_util::sync::CancellationToken;

use crate::report::ExitCode;

/// The run's interruption state, shared by the signal listener and the run.
#[derive(Debug, Clone, Default)]
pub struct Interrupt {
    cancel: CancellationToken,
    force: CancellationToken,
    /// The exit code of the first signal received (0: none yet).
    code: Arc<AtomicU8>,
}

impl Interrupt {
    /// Starts listening for SIGINT and SIGTERM. Must be called inside the runtime.
    pub fn install() -> std::io::Result<Self> {
        let interrupt = Self::default();
        let mut sigint = signal(SignalKind::interrupt())?;
        let mut sigterm = signal(SignalKind::terminate())?;
        let listener = interrupt.clone();
        tokio::spawn(async move {
            loop {
                let code = tokio::select! {
                    _ = sigint.recv() => ExitCode::Interrupted,
                    _ = sigterm.recv() => ExitCode::Terminated,
                };
                if listener.cancel.is_cancelled() {
                    listener.force.cancel();
                    return;
                }
                listener.code.store(code as u8, Ordering::SeqCst);
                listener.cancel.cancel();
            }
        });
        Ok(interrupt)
    }

    /// The token workers watch: cancelled by the first signal.
    pub fn token(&self) -> &CancellationToken {
        &self.cancel
    }

    /// Resolves on the second signal.
    pub async fn forced(&self) {
        self.force.cancelled().await;
    }

    /// The exit code owed to the signal that interrupted the run, if one did.
    pub fn exit_code(&self) -> Option<ExitCode> {
        match self.code.load(Ordering::SeqCst) {
            0 => None,
            143 => Some(ExitCode::Terminated),
            _ => Some(ExitCode::Interrupted),
        }
    }
}
