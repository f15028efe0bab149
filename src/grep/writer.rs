//! Standard output of `grep`: each file's output contiguous. A lane collects a file's lines in
//! its buffer and writes them whole when the file is done, holding the writer's turn (a lock)
//! for that write only. A file whose output passes [`HOLD_LIMIT`] takes the turn early and keeps
//! it to its end, streaming its lines as they come (the other lanes wait for the turn with what
//! they hold, so memory stays bounded by lanes × the limit). With `--sort path` the lanes keep
//! their buffers and the run writes them in order ([`write_file`]).

use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::hash::budget::LanePermit;

/// The most output a file holds before it streams.
pub(super) const HOLD_LIMIT: usize = 4 << 20;
/// While a file streams, how much it collects between writes.
const STREAM_CHUNK: usize = 256 << 10;

/// What the writer's turn guards.
#[derive(Default)]
pub(super) struct Shared {
    /// Something was written: with context, the next file starts with `--`.
    wrote: bool,
}

static WRITER: Mutex<Shared> = Mutex::new(Shared { wrote: false });

fn turn() -> MutexGuard<'static, Shared> {
    WRITER.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Writes a whole file's output (`separator`: `--` before it, if something came before).
/// Returns whether stdout still takes output. Blocking.
pub(super) fn write_file(out: &[u8], separator: Option<&[u8]>) -> bool {
    let mut shared = turn();
    write_locked(&mut shared, out, separator)
}

fn write_locked(shared: &mut Shared, out: &[u8], separator: Option<&[u8]>) -> bool {
    if out.is_empty() {
        return true;
    }
    if let Some(separator) = separator.filter(|_| shared.wrote)
        && !crate::stdout::write(separator)
    {
        return false;
    }
    shared.wrote = true;
    crate::stdout::write(out)
}

/// Where a file's output goes: its lane's buffer, written whole at the end (or streamed).
pub(super) struct Sink<'a> {
    out: &'a mut Vec<u8>,
    /// `--sort path`: the buffer is handed to the run, never written here.
    held: bool,
    /// `--` before the file's first line, when something was written before (context).
    separator: Option<Vec<u8>>,
    /// Held while the file streams.
    turn: Option<MutexGuard<'static, Shared>>,
    /// Given back before waiting for the turn (a lane waiting must not keep CPU from the lane
    /// that holds the turn).
    permit: Option<LanePermit>,
    closed: bool,
}

impl<'a> Sink<'a> {
    pub(super) fn new(
        out: &'a mut Vec<u8>,
        held: bool,
        separator: Option<Vec<u8>>,
        permit: Option<LanePermit>,
    ) -> Self {
        out.clear();
        Self {
            out,
            held,
            separator,
            turn: None,
            permit,
            closed: false,
        }
    }

    /// The buffer to print into.
    pub(super) fn buffer(&mut self) -> &mut Vec<u8> {
        self.out
    }

    /// Whether stdout was closed (the search may stop).
    pub(super) fn closed(&self) -> bool {
        self.closed
    }

    /// Streams the buffer once it is over the limit (taking the turn for the rest of the file).
    pub(super) fn maybe_stream(&mut self) {
        if self.held || self.closed {
            return;
        }
        let due = if self.turn.is_some() {
            STREAM_CHUNK
        } else {
            HOLD_LIMIT
        };
        if self.out.len() < due {
            return;
        }
        if self.turn.is_none() {
            let shared = match WRITER.try_lock() {
                Ok(shared) => shared,
                Err(_) => {
                    if let Some(permit) = &self.permit {
                        permit.release();
                    }
                    let shared = turn();
                    if let Some(permit) = &self.permit {
                        permit.hold_blocking();
                    }
                    shared
                }
            };
            self.turn = Some(shared);
        }
        self.write_out();
    }

    fn write_out(&mut self) {
        let Some(shared) = self.turn.as_mut() else {
            return;
        };
        let separator = self.separator.take();
        if !write_locked(shared, self.out, separator.as_deref()) {
            self.closed = true;
        }
        self.out.clear();
    }

    /// The file is done: its output written (unless held for `--sort path`). Returns whether
    /// stdout still takes output.
    pub(super) fn finish(mut self) -> bool {
        if self.held || self.closed {
            return !self.closed;
        }
        if self.turn.is_none() && !self.out.is_empty() {
            if let Some(permit) = &self.permit {
                permit.release();
            }
            self.turn = Some(turn());
        }
        self.write_out();
        !self.closed
    }
}
