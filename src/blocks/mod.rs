//! Block-parallel work on one large file: the file's bytes (decoded, if it is compressed) are
//! cut into blocks of a few MiB, at line boundaries when line transforms or `--eol` apply; each
//! block is transformed and encoded by a job of its own on the blocking pool, holding one CPU
//! permit ([`crate::cpu`]); the lane that owns the file writes the results **in order** through
//! the file's one atomic sink. At most [`Engine::window`] blocks are read and not yet written,
//! so memory grows with `--threads`, never with the file's size.
//!
//! Each output format has its own way of joining blocks into one standard file ([`BlockCodec`]):
//! gzip as pigz does (one member: each block deflated with the previous block's last 32 KiB as a
//! preset dictionary, CRC-32s combined, [`gzip`]), zstd as independent frames ([`zstd`]), xz as
//! independent blocks of one stream with its index ([`xz`]), bzip2 as concatenated streams
//! ([`bzip2`]). Brotli and lzma have no block form: they stay on one thread a file.

use std::collections::VecDeque;
use std::io;
use std::sync::Arc;
use std::sync::mpsc;

use anyhow::anyhow;
use tokio::io::{AsyncBufRead, AsyncBufReadExt};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::codec::Format;
use crate::transform::Chain;
use crate::transform::lines::LineCounts;

pub mod bzip2;
pub mod gzip;
pub mod xz;
pub mod zstd;

/// The input size of a block, for codecs without a preference of their own.
pub const BLOCK_SIZE: usize = 4 << 20;
/// Files from this size on (raw bytes) are worked on in blocks when `--threads` is above 1;
/// standard input always is (its size is unknown).
pub const BLOCK_THRESHOLD: u64 = 8 << 20;
/// The largest preset dictionary a block may use (deflate's window).
pub const DICTIONARY: usize = 32 << 10;
/// Most bytes an encoder takes between two looks at the cancellation token.
pub const ENCODE_PIECE: usize = 256 << 10;

/// One block, encoded: its bytes and what the stream's trailer needs to know of it.
#[derive(Debug, Default)]
pub struct Encoded {
    /// The encoded bytes, written as they are.
    pub bytes: Vec<u8>,
    /// Bytes that went into the encoder.
    pub input_len: u64,
    /// CRC-32 of the input (gzip).
    pub crc32: u32,
    /// The block's size without its padding (xz's index records it).
    pub unpadded_size: u64,
}

impl Encoded {
    /// A block that is a whole stream or frame: `bytes`, from `input_len` bytes.
    pub fn whole(bytes: Vec<u8>, input_len: usize) -> Self {
        Self {
            bytes,
            input_len: input_len as u64,
            ..Self::default()
        }
    }
}

/// How one output format is written in independent blocks. `encode` runs on many threads at
/// once; what joins the blocks (a header, a trailer built from every block) is the stream's.
pub trait BlockCodec: Send + Sync {
    /// Input bytes per block (xz wants three times its dictionary, as `xz -T` does).
    fn block_size(&self) -> usize {
        BLOCK_SIZE
    }

    /// Bytes before the first block.
    fn header(&self) -> Vec<u8> {
        Vec::new()
    }

    /// Whether `encode` uses the bytes before its block (gzip's preset dictionary).
    fn uses_dictionary(&self) -> bool {
        false
    }

    /// Encodes one block. `dictionary` is a suffix (at most [`DICTIONARY`] bytes) of what came
    /// before the block, when [`Self::uses_dictionary`]. Runs on a blocking-pool thread holding a
    /// CPU permit; it looks at `cancel` between pieces of [`ENCODE_PIECE`] and stops early (with
    /// any error) once it fires.
    fn encode(
        &self,
        block: &[u8],
        dictionary: &[u8],
        cancel: &CancellationToken,
    ) -> io::Result<Encoded>;

    /// What follows the last block, built from every block in order (nothing, for a format
    /// whose blocks are whole streams or frames).
    fn trailer(&self) -> Box<dyn Trailer> {
        Box::new(NoTrailer)
    }

    /// Whether an empty input still needs one (empty) block: a zstd file is at least one
    /// frame, a bzip2 file at least one stream.
    fn needs_a_block(&self) -> bool {
        false
    }
}

/// The end of a block stream, built block by block.
pub trait Trailer: Send {
    /// Takes note of the next block, in order.
    fn add(&mut self, block: &Encoded);
    /// The bytes after the last block.
    fn finish(&mut self) -> io::Result<Vec<u8>>;
}

/// The trailer of a format whose blocks are whole streams or frames: nothing.
pub struct NoTrailer;

impl Trailer for NoTrailer {
    fn add(&mut self, _: &Encoded) {}
    fn finish(&mut self) -> io::Result<Vec<u8>> {
        Ok(Vec::new())
    }
}

/// The block form of `format` at `level`, if it has one (brotli and lzma have none).
pub fn codec(format: Format, level: i32) -> Option<Arc<dyn BlockCodec>> {
    match format {
        Format::Gzip => Some(Arc::new(gzip::GzipBlocks::new(level))),
        Format::Zstd => Some(Arc::new(zstd::ZstdBlocks::new(level))),
        Format::Bzip2 => Some(Arc::new(bzip2::Bzip2Blocks::new(level))),
        Format::Xz => Some(Arc::new(xz::XzBlocks::new(level))),
        Format::Brotli | Format::Lzma => None,
    }
}

/// The error an encoder returns when the file's token fired under it.
pub fn cancelled() -> io::Error {
    io::Error::new(io::ErrorKind::Interrupted, "cancelled")
}

/// Feeds `block` to `feed` in pieces of [`ENCODE_PIECE`], looking at `cancel` before each: an
/// encoder's loop, which stops with [`cancelled`] once the token fires.
pub fn in_pieces(
    block: &[u8],
    cancel: &CancellationToken,
    mut feed: impl FnMut(&[u8]) -> io::Result<()>,
) -> io::Result<()> {
    for piece in block.chunks(ENCODE_PIECE) {
        if cancel.is_cancelled() {
            return Err(cancelled());
        }
        feed(piece)?;
    }
    Ok(())
}

/// Block buffers given back once their bytes are done with, for the next block to fill: a
/// buffer that is filled again costs no allocation and no page faults (a fresh 4 MiB one costs
/// a thousand), and memory stays that of the blocks in flight. Only buffers at least the block
/// size are kept, at most `most` of them.
pub struct Spares {
    free: std::sync::Mutex<Vec<Vec<u8>>>,
    size: usize,
    most: usize,
}

impl Spares {
    /// A pool for blocks of `size`, keeping at most `most` buffers.
    pub fn new(size: usize, most: usize) -> Self {
        Self {
            free: std::sync::Mutex::new(Vec::new()),
            size,
            most,
        }
    }

    /// An empty buffer with room for a block.
    pub fn take(&self) -> Vec<u8> {
        let spare = self.lock().pop();
        spare.unwrap_or_else(|| Vec::with_capacity(self.size))
    }

    /// Keeps `buffer` for a later block, if it is large enough and the pool not full.
    pub fn give(&self, mut buffer: Vec<u8>) {
        if buffer.capacity() < self.size {
            return;
        }
        let mut free = self.lock();
        if free.len() < self.most {
            buffer.clear();
            free.push(buffer);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Vec<u8>>> {
        self.free
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Cuts a stream into blocks of `size` bytes (but the last). With `lines` set, a block ends
/// just after its last newline instead, so that no line straddles two blocks: it is shorter by
/// the partial line, which starts the next one; a block without a newline grows until one
/// comes, and a line longer than `size + max_line` is cut anyway (the line stage then fails
/// it, as it would unblocked).
pub struct BlockReader {
    size: usize,
    lines: bool,
    max_line: usize,
    /// The start of the next block (the bytes after the last cut).
    carry: Vec<u8>,
    /// Decoded bytes read so far (for messages about read errors).
    pub decoded: u64,
    done: bool,
    /// Where the next block's buffer comes from.
    spares: Option<Arc<Spares>>,
}

impl BlockReader {
    /// A reader of blocks of `size`, cut at lines when `lines` is set.
    pub fn new(size: usize, lines: bool, max_line: u64) -> Self {
        Self {
            size: size.max(1),
            lines,
            max_line: usize::try_from(max_line).unwrap_or(usize::MAX),
            carry: Vec::new(),
            decoded: 0,
            done: false,
            spares: None,
        }
    }

    /// The same reader, filling buffers that `spares` gives back.
    pub fn with_spares(mut self, spares: Arc<Spares>) -> Self {
        self.spares = Some(spares);
        self
    }

    /// The next block of `reader`; `None` at the end. Cancel-safe: bytes consumed from the reader
    /// are held here until a block is handed out.
    pub async fn next(
        &mut self,
        reader: &mut (dyn AsyncBufRead + Unpin + Send),
    ) -> io::Result<Option<Vec<u8>>> {
        if self.done {
            return Ok(self.take_rest());
        }
        let hard_limit = self.size.saturating_add(self.max_line).saturating_add(1);
        loop {
            if self.carry.len() >= self.size {
                if !self.lines {
                    return Ok(Some(self.cut(self.size)));
                }
                // The last newline of what is there; none yet means a long line: read on.
                if let Some(newline) = memchr::memrchr(b'\n', &self.carry) {
                    return Ok(Some(self.cut(newline + 1)));
                }
                if self.carry.len() >= hard_limit {
                    return Ok(Some(self.cut(hard_limit)));
                }
            }
            // A block is allocated at its size once; only a line longer than the rest of the
            // block makes it grow.
            if self.carry.capacity() < self.size {
                self.carry.reserve_exact(self.size - self.carry.len());
            }
            let chunk = reader.fill_buf().await?;
            if chunk.is_empty() {
                self.done = true;
                return Ok(self.take_rest());
            }
            let room = self.size.saturating_sub(self.carry.len());
            let take = if room > 0 {
                chunk.len().min(room)
            } else {
                chunk.len()
            };
            let chunk = &chunk[..take];
            self.carry.extend_from_slice(chunk);
            self.decoded += take as u64;
            reader.consume(take);
        }
    }

    /// The first `len` bytes held, as a block; the rest stays for the next one.
    fn cut(&mut self, len: usize) -> Vec<u8> {
        let mut rest = match &self.spares {
            Some(spares) => spares.take(),
            None => Vec::new(),
        };
        rest.extend_from_slice(&self.carry[len..]);
        let mut block = std::mem::replace(&mut self.carry, rest);
        block.truncate(len);
        block
    }

    fn take_rest(&mut self) -> Option<Vec<u8>> {
        (!self.carry.is_empty()).then(|| std::mem::take(&mut self.carry))
    }
}

/// A block after its job: its output, and the line counts of its transforms.
pub struct Done {
    /// What the block became.
    pub encoded: Encoded,
    /// Lines read and written by the block's line transforms.
    pub lines: Option<LineCounts>,
}

/// Builds the stage chain of a block whose first line is line `first_line + 1` of the file.
pub type ChainFactory = Arc<dyn Fn(u64) -> Chain + Send + Sync>;

/// The block jobs of one file, in the order they were read: started as CPU permits come free,
/// finished in any order, handed back in order.
pub struct Engine {
    codec: Option<Arc<dyn BlockCodec>>,
    chain: Option<ChainFactory>,
    cancel: CancellationToken,
    window: usize,
    jobs: VecDeque<JoinHandle<anyhow::Result<Done>>>,
    /// Where the next block's job gets its dictionary: the tail of the last block started.
    previous_tail: Option<mpsc::Receiver<Vec<u8>>>,
    trailer: Option<Box<dyn Trailer>>,
    lines: Option<LineCounts>,
    spares: Arc<Spares>,
}

impl Engine {
    /// The engine of one file: blocks go through `chain` (when it has stages) and `codec` (when
    /// the output is encoded), at most `window` of them read and not yet handed back.
    pub fn new(
        codec: Option<Arc<dyn BlockCodec>>,
        chain: Option<ChainFactory>,
        (window, block_size): (usize, usize),
        cancel: CancellationToken,
    ) -> Self {
        let trailer = codec.as_ref().map(|codec| codec.trailer());
        // A buffer given back is soon filled again (the lane reads the next block as a job
        // ends): a few spares are enough, and more would only hold memory.
        let spares = Arc::new(Spares::new(block_size, 3));
        Self {
            codec,
            chain,
            cancel,
            window: window.max(1),
            jobs: VecDeque::new(),
            previous_tail: None,
            trailer,
            lines: None,
            spares,
        }
    }

    /// The buffers blocks are read into and given back to.
    pub fn spares(&self) -> Arc<Spares> {
        self.spares.clone()
    }

    /// Gives back the bytes of a block once they are written, for a later block to fill.
    pub fn give_back(&self, bytes: Vec<u8>) {
        self.spares.give(bytes);
    }

    /// Blocks in flight for a run of `threads`, blocks of `block_size`: two per thread, enough
    /// to keep every permit busy while the lane reads the next block and writes the oldest; for
    /// large blocks (xz's 24 MiB at -6) as few as keep the threads busy, one more than there are.
    pub fn window(threads: usize, block_size: usize) -> usize {
        const LARGE: usize = 32 << 20;
        let fit = LARGE / block_size.max(1);
        threads.saturating_mul(2).min(fit.max(threads + 1)).max(2)
    }

    /// Bytes before the first block.
    pub fn header(&self) -> Vec<u8> {
        self.codec
            .as_ref()
            .map_or_else(Vec::new, |codec| codec.header())
    }

    /// Whether an input that gave no block at all still needs an empty one.
    pub fn needs_a_block(&self) -> bool {
        self.codec
            .as_ref()
            .is_some_and(|codec| codec.needs_a_block())
    }

    /// Whether as many blocks are in flight as the window allows.
    pub fn is_full(&self) -> bool {
        self.jobs.len() >= self.window
    }

    /// Whether the oldest block is done (handing it back does not wait).
    pub fn head_is_done(&self) -> bool {
        self.jobs.front().is_some_and(JoinHandle::is_finished)
    }

    /// Starts the job of the next block once a CPU permit is free. `first_line` counts the
    /// lines of the blocks before it (for messages naming a line).
    pub async fn submit(&mut self, block: Vec<u8>, first_line: u64) {
        let permit = crate::cpu::acquire().await;
        let codec = self.codec.clone();
        let chain = self.chain.clone();
        let cancel = self.cancel.clone();
        // gzip's dictionary: this block's tail goes to the next block's job.
        let (tail_tx, previous) = match &codec {
            Some(codec) if codec.uses_dictionary() => {
                let (tail_tx, tail_rx) = mpsc::sync_channel(1);
                (Some(tail_tx), self.previous_tail.replace(tail_rx))
            }
            _ => (None, None),
        };
        let spares = self.spares.clone();
        let job = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let (output, lines) = match chain {
                Some(chain) => {
                    let mut chain = chain(first_line);
                    let mut output = spares.take();
                    chain.process(&block, &mut output)?;
                    chain.finish(&mut output)?;
                    spares.give(block);
                    let lines = chain.line_counts();
                    (output, lines)
                }
                None => (block, None),
            };
            if let Some(tail_tx) = tail_tx {
                // Sent before waiting for the previous block's tail, so that no job waits on
                // one that waits in turn: a chain of waits ends at a job that only transforms.
                let tail = &output[output.len().saturating_sub(DICTIONARY)..];
                let _ = tail_tx.send(tail.to_vec());
            }
            let encoded = match codec {
                Some(codec) => {
                    // No tail (the first block, or a previous block that failed): no dictionary.
                    let dictionary = previous.and_then(|rx| rx.recv().ok()).unwrap_or_default();
                    let encoded = codec.encode(&output, &dictionary, &cancel)?;
                    spares.give(output);
                    encoded
                }
                None => {
                    let len = output.len();
                    Encoded::whole(output, len)
                }
            };
            Ok(Done { encoded, lines })
        });
        self.jobs.push_back(job);
    }

    /// The oldest block, once its job is done; `None` when no block is in flight. The block is
    /// taken into the trailer and the line counts. A job's error (the first in file order) is
    /// the file's.
    pub async fn next(&mut self) -> Option<anyhow::Result<Vec<u8>>> {
        let job = self.jobs.pop_front()?;
        let done = match job.await {
            Ok(Ok(done)) => done,
            Ok(Err(error)) => return Some(Err(error)),
            Err(error) => return Some(Err(anyhow!("internal error: a block job failed: {error}"))),
        };
        if let Some(trailer) = &mut self.trailer {
            trailer.add(&done.encoded);
        }
        if let Some(lines) = done.lines {
            let total = self.lines.get_or_insert_with(LineCounts::default);
            total.read += lines.read;
            total.written += lines.written;
        }
        Some(Ok(done.encoded.bytes))
    }

    /// The bytes after the last block (call once every block was handed back).
    pub fn trailer(&mut self) -> io::Result<Vec<u8>> {
        match &mut self.trailer {
            Some(trailer) => trailer.finish(),
            None => Ok(Vec::new()),
        }
    }

    /// Lines read and written by the blocks handed back so far.
    pub fn line_counts(&self) -> Option<LineCounts> {
        self.lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn blocks(input: &[u8], size: usize, lines: bool, max_line: u64) -> Vec<Vec<u8>> {
        let mut reader: Box<dyn AsyncBufRead + Unpin + Send> =
            Box::new(tokio::io::BufReader::with_capacity(7, input));
        let mut cutter = BlockReader::new(size, lines, max_line);
        let mut out = Vec::new();
        while let Some(block) = cutter.next(&mut reader).await.unwrap() {
            out.push(block);
        }
        out
    }

    #[test]
    fn the_window_is_two_blocks_a_thread_unless_blocks_are_large() {
        assert_eq!(Engine::window(1, BLOCK_SIZE), 2);
        assert_eq!(Engine::window(2, BLOCK_SIZE), 4);
        assert_eq!(Engine::window(16, BLOCK_SIZE), 17);
        // xz -6: 24 MiB blocks.
        assert_eq!(Engine::window(2, 24 << 20), 3);
        assert_eq!(Engine::window(8, 24 << 20), 9);
    }

    #[tokio::test]
    async fn blocks_are_cut_after_newlines_and_join_to_the_input() {
        let input = b"one\ntwo two\nthree three three\nfour\n\nlast";
        let cut = blocks(input, 8, true, 100).await;
        assert_eq!(cut.concat(), input);
        for block in &cut[..cut.len() - 1] {
            assert!(block.ends_with(b"\n"), "{block:?}");
        }
        // A line longer than a block makes its block longer.
        let cut = blocks(b"a\nbbbbbbbbbbbb\ncc\n", 4, true, 100).await;
        assert_eq!(cut, [&b"a\n"[..], b"bbbbbbbbbbbb\ncc\n"]);
        let raw = blocks(input, 8, false, 100).await;
        assert_eq!(raw.concat(), input);
        assert!(raw[..raw.len() - 1].iter().all(|block| block.len() == 8));
        assert!(blocks(b"", 8, true, 100).await.is_empty());
        // A line without end past size + max_line is cut anyway.
        let long = vec![b'x'; 50];
        let cut = blocks(&long, 8, true, 10).await;
        assert_eq!(cut.concat(), long);
        assert_eq!(cut[0].len(), 19);
    }
}
