//! `--timeout`: one file's deadline, as a cancellation token of its own.
//!
//! A file's work looks at its token between chunks of work (a read, a decoded chunk, a piece fed
//! to the encoder, a hashed chunk) and waits on it wherever it waits (a pipe that stays silent, a
//! pause before a retry). Under `--timeout` that token is a child of the run's, cancelled by a
//! timer on the runtime when the time is up, so the checks that make Ctrl-C prompt make the
//! deadline prompt too. A `tokio::time::timeout` around the work would not do: it only fires
//! when the work waits, and CPU-bound work driven from a pool lane (a small file in memory, an
//! encoder that is never short of input) never does. A check costs one lock of the token, no
//! clock read.

use std::time::{Duration, Instant};

use tokio::runtime::Handle;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// The token one file's work obeys, and whether it fired for the file's `--timeout`.
pub struct FileDeadline {
    /// What the file's work checks: the run's token, or under `--timeout` a child of it.
    token: CancellationToken,
    /// The run's token (Ctrl-C, `--fail-fast`).
    run: CancellationToken,
    limit: Option<Duration>,
    /// Cancels `token` at the deadline; aborted when the file is done.
    timer: Option<JoinHandle<()>>,
}

impl FileDeadline {
    /// The deadline of a file taken at `started`, `limit` later (none without `--timeout`).
    /// Must be called within the runtime (a pool lane is).
    pub fn start(run: &CancellationToken, started: Instant, limit: Option<Duration>) -> Self {
        let (token, timer) = match limit {
            None => (run.clone(), None),
            Some(limit) => {
                let token = run.child_token();
                let expired = token.clone();
                let at = tokio::time::Instant::from_std(started + limit);
                let timer = Handle::current().spawn(async move {
                    tokio::time::sleep_until(at).await;
                    expired.cancel();
                });
                (token, Some(timer))
            }
        };
        Self {
            token,
            run: run.clone(),
            limit,
            timer,
        }
    }

    /// The token the file's work checks between chunks and waits on.
    pub fn token(&self) -> &CancellationToken {
        &self.token
    }

    /// Why work that stopped on the token stopped, when it was the deadline rather than the
    /// run: `timed out after DURATION`.
    pub fn timed_out(&self) -> Option<anyhow::Error> {
        let limit = self.limit?;
        (self.token.is_cancelled() && !self.run.is_cancelled())
            .then(|| anyhow::anyhow!("timed out after {}", crate::cli::format_duration(limit)))
    }
}

impl Drop for FileDeadline {
    fn drop(&mut self) {
        if let Some(timer) = self.timer.take() {
            timer.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_deadline_cancels_the_file_and_says_so_but_a_run_cancel_is_not_a_timeout() {
        let run = CancellationToken::new();
        let none = FileDeadline::start(&run, Instant::now(), None);
        assert!(none.timed_out().is_none());

        let limit = Duration::from_millis(20);
        let timed = FileDeadline::start(&run, Instant::now(), Some(limit));
        timed.token().cancelled().await;
        assert!(!run.is_cancelled());
        let error = timed.timed_out().expect("timed out");
        assert_eq!(error.to_string(), "timed out after 20ms");

        let far = FileDeadline::start(&run, Instant::now(), Some(Duration::from_secs(3600)));
        assert!(far.timed_out().is_none());
        run.cancel();
        assert!(far.token().is_cancelled());
        assert!(far.timed_out().is_none(), "Ctrl-C is not a timeout");
    }
}
