//! Standard output: every line asyncfiles prints there (b3sum lines, `stats` columns, `--json`
//! objects, `--dry-run`'s plan) goes through [`write`], which tells a reader that left (a closed
//! pipe: the run goes on quietly, as `| head` expects) from a real write error (a full disk: said
//! once, and the run exits 1 however the files went). A file converted to stdout (`convert IN -`)
//! is streamed by its own sink instead: there a write error fails that file, as for any output.
//!
//! The state is process-wide because standard output is: once it failed, no later line may be
//! written after the gap, whichever task prints it.

use std::io::{self, Write as _};
use std::sync::atomic::{AtomicU8, Ordering};

use crate::report::{ExitCode, io_error_text};

const OPEN: u8 = 0;
/// The reader closed the pipe: nothing more is written, and that is not an error.
const CLOSED: u8 = 1;
/// A write failed otherwise: nothing more is written, and the run fails.
const FAILED: u8 = 2;

static STATE: AtomicU8 = AtomicU8::new(OPEN);

/// Writes `bytes` to stdout and flushes them. Blocking: call it off the runtime's workers.
/// Returns whether stdout still takes output (false once it was closed or failed).
pub fn write(bytes: &[u8]) -> bool {
    let mut stdout = io::stdout().lock();
    if STATE.load(Ordering::Relaxed) != OPEN {
        return false;
    }
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => true,
        Err(error) => {
            failed(&error);
            false
        }
    }
}

/// Notes a failed write to stdout: a closed pipe quietly, any other error with
/// `asyncfiles: write error: CAUSE` on stderr (once per run).
fn failed(error: &io::Error) {
    if error.kind() == io::ErrorKind::BrokenPipe {
        let _ = STATE.compare_exchange(OPEN, CLOSED, Ordering::Relaxed, Ordering::Relaxed);
    } else if STATE.swap(FAILED, Ordering::Relaxed) != FAILED {
        let _ = writeln!(
            io::stderr().lock(),
            "asyncfiles: write error: {}",
            io_error_text(error)
        );
    }
}

/// Whether writing standard output failed (not: its reader went away).
pub fn has_failed() -> bool {
    STATE.load(Ordering::Relaxed) == FAILED
}

/// The run's exit code once stdout has had its say: a write error turns success into failure.
pub fn exit_code(code: ExitCode) -> ExitCode {
    match code {
        ExitCode::Success if STATE.load(Ordering::Relaxed) == FAILED => ExitCode::Failure,
        code => code,
    }
}
