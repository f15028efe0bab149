//! Standard output of `grep`: each file's output contiguous. A lane collects a file's lines in
//! its buffer and writes them whole when the file is done, holding the writer's turn (a lock)
//! for that write only. A file whose output passes [`hold_limit`] takes the turn early and keeps
//! it to its end, streaming its lines as they come (the other lanes wait for the turn with what
//! they hold, so memory stays bounded by lanes × the limit). With `--sort path` each file's
//! output goes to its stream of an [`crate::ordered`] output instead, in chunks, and one writer
//! thread takes the streams in path order ([`write_in_order`]).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::hash::budget::LanePermit;
use crate::ordered::{Event, FileOutput, OrderedReader};

/// The output all lanes together hold before they stream: each lane's share of it is
/// [`hold_limit`], so memory does not grow with `--jobs`.
const HOLD_BUDGET: usize = 16 << 20;
/// The most output one file holds before it streams (see [`set_lanes`]).
static HOLD_LIMIT: AtomicUsize = AtomicUsize::new(4 << 20);

/// Shares [`HOLD_BUDGET`] among `lanes` (from 256 KiB to 4 MiB each). Call before the run.
pub(super) fn set_lanes(lanes: usize) {
    let share = (HOLD_BUDGET / lanes.max(1)).clamp(STREAM_CHUNK, 4 << 20);
    HOLD_LIMIT.store(share, Ordering::Relaxed);
}

/// The most output one file holds before it streams.
pub(super) fn hold_limit() -> usize {
    HOLD_LIMIT.load(Ordering::Relaxed)
}
/// While a file streams, how much it collects between writes.
pub(super) const STREAM_CHUNK: usize = 256 << 10;

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
    /// `--sort path`: the file's stream of the ordered output.
    ordered: Option<FileOutput<()>>,
    /// `--` before the file's first line, when something was written before (context).
    separator: Option<Vec<u8>>,
    /// Held while the file streams.
    turn: Option<MutexGuard<'static, Shared>>,
    /// Given back before waiting for the turn (a lane waiting must not keep CPU from the lane
    /// that holds the turn).
    permit: Option<LanePermit>,
    closed: bool,
    /// A stream (stdin, a pipe): lines go out as each chunk is searched, as
    /// `grep --line-buffered` and rg write them (`tail -f log | asyncfiles grep ERROR -`).
    eager: bool,
}

impl<'a> Sink<'a> {
    pub(super) fn new(
        out: &'a mut Vec<u8>,
        ordered: Option<FileOutput<()>>,
        separator: Option<Vec<u8>>,
        permit: Option<LanePermit>,
    ) -> Self {
        out.clear();
        Self {
            out,
            ordered,
            separator,
            turn: None,
            permit,
            closed: false,
            eager: false,
        }
    }

    /// Writes lines as they are found (for a stream), holding the writer's turn to the end.
    pub(super) fn set_eager(&mut self) {
        self.eager = true;
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
        if self.closed {
            return;
        }
        if self.ordered.is_some() {
            if self.out.len() >= STREAM_CHUNK {
                self.pass_on();
            }
            return;
        }
        let due = match (self.eager, self.turn.is_some()) {
            (true, _) => 1,
            (false, true) => STREAM_CHUNK,
            (false, false) => hold_limit(),
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

    /// `--sort path`: the buffer to the file's stream, waiting (without a CPU permit) while the
    /// stream is full.
    fn pass_on(&mut self) {
        let Some(output) = &self.ordered else {
            return;
        };
        if self.out.is_empty() {
            return;
        }
        if let Some(permit) = &self.permit {
            permit.release();
        }
        if !output.write(std::mem::take(self.out)) {
            self.closed = true;
        }
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
        if self.closed {
            return false;
        }
        if self.ordered.is_some() {
            self.pass_on();
            if let Some(output) = self.ordered.take() {
                output.finish(());
            }
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

/// The writer thread of `--sort path`: every file's bytes in order, `separator` (context's `--`)
/// between files. A closed stdout closes the output (the lanes stop) and returns false.
pub(super) fn write_in_order(reader: OrderedReader<()>, separator: Option<&[u8]>) -> bool {
    let mut shared = turn();
    let mut started = false;
    for event in reader {
        match event {
            Event::Bytes(_, bytes) => {
                let separator = separator.filter(|_| !started);
                started = true;
                if !write_locked(&mut shared, &bytes, separator) {
                    return false;
                }
            }
            Event::End(..) => started = false,
        }
    }
    true
}
