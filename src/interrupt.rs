//! Ctrl-C, SIGTERM, SIGHUP and SIGQUIT: the first one drains the run, the second one (of any of
//! them) ends it at once.
//!
//! The first signal cancels the run's token: the pool takes no new file, workers abandon their
//! file between chunks and remove its temp file, the summary is printed, and the exit code is
//! 128 + the signal's number: 130 (SIGINT), 143 (SIGTERM), 129 (SIGHUP: a dropped ssh session
//! must not leave temp files behind either), 131 (SIGQUIT: handled, so no core dump). A second
//! signal resolves [`Interrupt::forced`]; the caller then removes every registered temp file and
//! exits without waiting for workers.

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
    /// Starts listening for SIGINT, SIGTERM, SIGHUP and SIGQUIT. Must be called inside the
    /// runtime.
    pub fn install() -> std::io::Result<Self> {
        let interrupt = Self::default();
        let mut sigint = signal(SignalKind::interrupt())?;
        let mut sigterm = signal(SignalKind::terminate())?;
        let mut sighup = signal(SignalKind::hangup())?;
        let mut sigquit = signal(SignalKind::quit())?;
        let listener = interrupt.clone();
        tokio::spawn(async move {
            loop {
                let code = tokio::select! {
                    _ = sigint.recv() => ExitCode::Interrupted,
                    _ = sigterm.recv() => ExitCode::Terminated,
                    _ = sighup.recv() => ExitCode::HungUp,
                    _ = sigquit.recv() => ExitCode::Quit,
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
            code if code == ExitCode::Terminated as u8 => Some(ExitCode::Terminated),
            code if code == ExitCode::HungUp as u8 => Some(ExitCode::HungUp),
            code if code == ExitCode::Quit as u8 => Some(ExitCode::Quit),
            _ => Some(ExitCode::Interrupted),
        }
    }
}
