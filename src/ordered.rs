//! Ordered output with bounded memory: files are worked on in parallel by the pool's lanes, and
//! the bytes each one produces reach the writer in the files' order (their sequence numbers, the
//! places they have in the walk).
//!
//! Each file's output is its own bounded stream of chunks (a `sync_channel` of
//! `chunks_per_file` chunks). The writer takes the streams strictly in sequence order and passes
//! on the current file's chunks as they come, so a large file streams and is never held whole;
//! lanes working on later files produce ahead until their stream is full, then wait. A lane may
//! only begin file N once N is within `window` files of the one being written, so finished but
//! unwritten files are bounded too: memory is `window × chunks_per_file × largest chunk`,
//! whatever the files' sizes and however slow the current one is. The head of the window (the
//! file being written) may always begin, so no wait can close a cycle.
//!
//! Every sequence number from 0 up must be begun once (a file with nothing to say begins and
//! finishes at once): the writer waits for each in turn. Blocking throughout: producers run on
//! lanes, the reader on its own thread.

use std::collections::BTreeMap;
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, sync_channel};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

/// What a file's stream carries: bytes, then how the file ended.
enum Piece<T> {
    Bytes(Vec<u8>),
    End(T),
}

/// What the reader receives, in sequence order.
#[derive(Debug, PartialEq, Eq)]
pub enum Event<T> {
    /// The next bytes of file `seq`.
    Bytes(u64, Vec<u8>),
    /// File `seq` is complete: `Some` with what its producer said at [`FileOutput::finish`],
    /// `None` if the producer went away without finishing (a crashed lane).
    End(u64, Option<T>),
}

struct State<T> {
    /// The file being written (or waited for).
    next: u64,
    /// The streams of files begun and not yet taken by the reader, by sequence number.
    streams: BTreeMap<u64, Receiver<Piece<T>>>,
    /// No more output is taken (the reader is gone, or [`Ordered::close`]).
    closed: bool,
    /// Producer handles alive: when none is left, a missing file never comes.
    producers: usize,
}

struct Shared<T> {
    state: Mutex<State<T>>,
    /// Signalled when `next` moves, a stream is registered, the run closes or a producer leaves.
    changed: Condvar,
    window: u64,
    chunks_per_file: usize,
}

impl<T> Shared<T> {
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        // A panicking lane cannot leave the state half-changed: each change is one assignment.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The producers' side: cheap to clone, one per lane (or shared). Dropping every clone tells the
/// reader that no file beyond those begun will come.
pub struct Ordered<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Clone for Ordered<T> {
    fn clone(&self) -> Self {
        self.shared.lock().producers += 1;
        Self {
            shared: self.shared.clone(),
        }
    }
}

impl<T> Drop for Ordered<T> {
    fn drop(&mut self) {
        self.shared.lock().producers -= 1;
        self.shared.changed.notify_all();
    }
}

/// Creates an ordered output: at most `window` files begun ahead of the writer (at least 1),
/// each holding at most `chunks_per_file` chunks (at least 1) that the reader has not taken.
pub fn ordered<T>(window: usize, chunks_per_file: usize) -> (Ordered<T>, OrderedReader<T>) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            next: 0,
            streams: BTreeMap::new(),
            closed: false,
            producers: 1,
        }),
        changed: Condvar::new(),
        window: window.max(1) as u64,
        chunks_per_file: chunks_per_file.max(1),
    });
    let reader = OrderedReader {
        shared: shared.clone(),
        current: None,
    };
    (Ordered { shared }, reader)
}

impl<T> Ordered<T> {
    /// Begins file `seq`: waits until it is within the window of the file being written, then
    /// returns its output. `None` once the output is closed (nothing more is taken: stop).
    pub fn begin(&self, seq: u64) -> Option<FileOutput<T>> {
        let mut state = self.shared.lock();
        while !state.closed && seq >= state.next + self.shared.window {
            state = self
                .shared
                .changed
                .wait(state)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
        if state.closed {
            return None;
        }
        let (tx, rx) = sync_channel(self.shared.chunks_per_file);
        state.streams.insert(seq, rx);
        drop(state);
        self.shared.changed.notify_all();
        Some(FileOutput { tx })
    }

    /// Closes the output (Ctrl-C): producers waiting in [`Ordered::begin`] get `None`, writes
    /// fail, the reader ends.
    pub fn close(&self) {
        close(&self.shared);
    }

    /// Whether the output is closed (the reader left, or [`Ordered::close`]).
    pub fn is_closed(&self) -> bool {
        self.shared.lock().closed
    }
}

fn close<T>(shared: &Shared<T>) {
    let mut state = shared.lock();
    state.closed = true;
    // Dropping the receivers wakes producers blocked on a full stream.
    state.streams.clear();
    drop(state);
    shared.changed.notify_all();
}

/// One file's output stream. Dropped without [`FileOutput::finish`], the file ends with
/// [`Event::End`]`(seq, None)`.
pub struct FileOutput<T> {
    tx: SyncSender<Piece<T>>,
}

impl<T> FileOutput<T> {
    /// Passes on the file's next bytes (empty ones are dropped), waiting while the stream is
    /// full. `false` when the output is closed: the file should stop.
    pub fn write(&self, bytes: Vec<u8>) -> bool {
        bytes.is_empty() || self.tx.send(Piece::Bytes(bytes)).is_ok()
    }

    /// Ends the file with `end` (how it went), waiting while the stream is full.
    pub fn finish(self, end: T) {
        let _ = self.tx.send(Piece::End(end));
    }
}

/// The writer's side: yields every file's bytes and end, in sequence order. Dropping it closes
/// the output (a reader that left: producers stop at their next write).
pub struct OrderedReader<T> {
    shared: Arc<Shared<T>>,
    /// The stream of file `next`, taken out of the map.
    current: Option<Receiver<Piece<T>>>,
}

impl<T> Drop for OrderedReader<T> {
    fn drop(&mut self) {
        close(&self.shared);
    }
}

/// Blocking: each event is waited for.
impl<T> Iterator for OrderedReader<T> {
    type Item = Event<T>;

    /// The next event, waiting for it; `None` when every file begun is written and no producer
    /// is left, or the output was closed.
    fn next(&mut self) -> Option<Event<T>> {
        loop {
            let receiver = match &self.current {
                Some(receiver) => receiver,
                None => {
                    self.current = Some(self.take_next()?);
                    continue;
                }
            };
            // In slices, so that a close while the producer is stuck is seen.
            match receiver.recv_timeout(Duration::from_millis(100)) {
                Ok(Piece::Bytes(bytes)) => return Some(Event::Bytes(self.seq(), bytes)),
                Ok(Piece::End(end)) => return Some(self.advance(Some(end))),
                Err(RecvTimeoutError::Disconnected) => return Some(self.advance(None)),
                Err(RecvTimeoutError::Timeout) if self.shared.lock().closed => return None,
                Err(RecvTimeoutError::Timeout) => {}
            }
        }
    }
}

impl<T> OrderedReader<T> {
    fn seq(&self) -> u64 {
        self.shared.lock().next
    }

    /// The file being written is done: the window moves on.
    fn advance(&mut self, end: Option<T>) -> Event<T> {
        self.current = None;
        let mut state = self.shared.lock();
        let seq = state.next;
        state.next += 1;
        drop(state);
        self.shared.changed.notify_all();
        Event::End(seq, end)
    }

    /// Waits for the stream of the next file to be begun.
    fn take_next(&self) -> Option<Receiver<Piece<T>>> {
        let mut state = self.shared.lock();
        loop {
            if state.closed {
                return None;
            }
            let next = state.next;
            if let Some(receiver) = state.streams.remove(&next) {
                return Some(receiver);
            }
            if state.producers == 0 {
                return None;
            }
            state = self
                .shared
                .changed
                .wait(state)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    /// Collects every event into the bytes written and the ends seen, in order.
    fn drain(reader: OrderedReader<u32>) -> (Vec<u8>, Vec<(u64, Option<u32>)>) {
        let (mut bytes, mut ends) = (Vec::new(), Vec::new());
        for event in reader {
            match event {
                Event::Bytes(_, chunk) => bytes.extend(chunk),
                Event::End(seq, end) => ends.push((seq, end)),
            }
        }
        (bytes, ends)
    }

    #[test]
    fn files_come_out_in_sequence_order_whatever_order_they_finish() {
        let (ordered, reader) = ordered::<u32>(4, 2);
        let next = Arc::new(AtomicU64::new(0));
        let lanes: Vec<_> = (0..3)
            .map(|lane| {
                let (ordered, next) = (ordered.clone(), next.clone());
                std::thread::spawn(move || {
                    loop {
                        let seq = next.fetch_add(1, Ordering::SeqCst);
                        if seq >= 20 {
                            return;
                        }
                        let out = ordered.begin(seq).unwrap();
                        // Later files sometimes finish first.
                        std::thread::sleep(Duration::from_millis(lane * 3 + seq % 2));
                        for part in 0..3 {
                            assert!(out.write(format!("{seq}.{part} ").into_bytes()));
                        }
                        out.finish(seq as u32 * 10);
                    }
                })
            })
            .collect();
        drop(ordered);
        let (bytes, ends) = drain(reader);
        for lane in lanes {
            lane.join().unwrap();
        }
        let expected: String = (0..20)
            .flat_map(|seq| (0..3).map(move |part| format!("{seq}.{part} ")))
            .collect();
        assert_eq!(String::from_utf8(bytes).unwrap(), expected);
        let expected_ends: Vec<_> = (0..20).map(|seq| (seq, Some(seq as u32 * 10))).collect();
        assert_eq!(ends, expected_ends);
    }

    #[test]
    fn a_large_file_streams_while_later_files_wait_within_the_window() {
        let (ordered, mut reader) = ordered::<u32>(2, 1);
        let producer = ordered.clone();
        let big = std::thread::spawn(move || {
            let out = producer.begin(0).unwrap();
            // Far more chunks than the stream holds: only possible if the reader takes them.
            for _ in 0..1000 {
                assert!(out.write(vec![b'x'; 1024]));
            }
            out.finish(0);
        });
        let later = ordered.clone();
        let begun = Arc::new(AtomicU64::new(0));
        let seen = begun.clone();
        let small = std::thread::spawn(move || {
            for seq in 1..4 {
                let out = later.begin(seq).unwrap();
                seen.store(seq, Ordering::SeqCst);
                out.write(vec![b'0' + seq as u8]);
                out.finish(seq as u32);
            }
        });
        drop(ordered);
        let mut total = 0;
        while let Some(Event::Bytes(0, chunk)) = reader.next() {
            total += chunk.len();
            assert!(
                begun.load(Ordering::SeqCst) <= 1,
                "file 2 is beyond the window while file 0 is written"
            );
            if total == 1023 * 1024 {
                break;
            }
        }
        let (rest, ends) = drain(reader);
        big.join().unwrap();
        small.join().unwrap();
        assert_eq!(total + rest.len(), 1000 * 1024 + 3);
        assert!(rest.ends_with(b"123"));
        assert_eq!(ends.len(), 3, "file 0's end was in the drained part");
    }

    #[test]
    fn a_producer_that_vanishes_ends_its_file_with_none() {
        let (ordered, reader) = ordered::<u32>(2, 2);
        let out = ordered.begin(0).unwrap();
        assert!(out.write(b"partial".to_vec()));
        drop(out);
        ordered.begin(1).unwrap().finish(7);
        drop(ordered);
        let (bytes, ends) = drain(reader);
        assert_eq!(bytes, b"partial");
        assert_eq!(ends, [(0, None), (1, Some(7))]);
    }

    #[test]
    fn a_reader_that_leaves_stops_the_producers() {
        let (ordered, reader) = ordered::<u32>(1, 1);
        let out = ordered.begin(0).unwrap();
        let waiting = ordered.clone();
        let blocked = std::thread::spawn(move || waiting.begin(1).is_none());
        drop(reader);
        assert!(!out.write(b"a".to_vec()) || !out.write(b"b".to_vec()));
        assert!(blocked.join().unwrap(), "begin beyond the window gives up");
        assert!(ordered.is_closed());
        assert!(ordered.begin(0).is_none());
    }

    #[test]
    fn close_ends_the_reader() {
        let (ordered, mut reader) = ordered::<u32>(2, 2);
        let _out = ordered.begin(0).unwrap();
        let closer = ordered.clone();
        let handle = std::thread::spawn(move || closer.close());
        assert_eq!(reader.next(), None);
        handle.join().unwrap();
    }
}
