//! xz decoding, on several threads when a file can use them. liblzma's stream decoder with
//! `LZMA_CONCATENATED` decodes as `xz -d` does (streams and their padding checked by liblzma);
//! with `--threads` above 1, a file whose first block records its sizes (what `xz -T` and
//! asyncfiles' block engine write) and that goes on past that block is decoded by liblzma's
//! threaded decoder instead, which decodes such blocks side by side and checks the same.
//!
//! liblzma's threads are its own, outside the run's permits: the decoder takes as many more
//! permits as are free when it starts (no more than its blocks fit in the memory limit) and
//! holds them until it is dropped. A single-block file decodes on one thread whatever the
//! decoder, so it takes none.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncBufRead, AsyncRead, ReadBuf};

use super::framing::HeadCheck;
use super::liblzma::{self, Coder};
use crate::cpu::Permit;

/// liblzma's `LZMA_CONCATENATED` decoder flag: every stream of the file, and the padding
/// between them, as `xz -d` reads them.
const FLAGS: u32 = liblzma_sys::LZMA_CONCATENATED;

/// Bytes of the input looked at before choosing the decoder: the stream header (12), then the
/// first block header's size and flags bytes and its two sizes (at most 9 bytes each), then its
/// first filter's id, properties size and properties (an LZMA2 dictionary size).
const HEAD_LEN: usize = 12 + 2 + 9 + 9 + 3;

/// A reader of the decoded bytes of an xz input.
pub struct XzReader {
    input: HeadCheck,
    input_len: Option<u64>,
    memlimit: u64,
    /// The first bytes of the input: gathered to choose the decoder, then fed to it first.
    head: Vec<u8>,
    state: State,
}

enum State {
    /// Gathering [`HEAD_LEN`] bytes.
    Starting,
    Decoding {
        coder: Coder,
        /// The extra CPU permits of liblzma's threads.
        _permits: Vec<Permit>,
    },
    /// An error that came with decoded bytes, reported on the next read.
    Failed(io::Error),
    Done,
}

impl XzReader {
    /// Decodes `input` (`input_len` bytes, when known) with at most `memlimit` bytes of decoder
    /// memory.
    pub fn new(input: HeadCheck, input_len: Option<u64>, memlimit: u64) -> Self {
        Self {
            input,
            input_len,
            memlimit,
            head: Vec::with_capacity(HEAD_LEN),
            state: State::Starting,
        }
    }

    /// Sets up the decoder the first bytes call for.
    fn start(&mut self) -> io::Result<State> {
        let most = FirstBlock::parse(&self.head)
            .filter(|block| block.more_follow(self.input_len))
            .map_or(1, |block| block.threads_within(self.memlimit));
        let wanted = crate::cpu::threads().min(most).saturating_sub(1);
        let permits = crate::cpu::try_acquire_up_to(wanted);
        let coder = if permits.is_empty() {
            liblzma::stream_decoder(self.memlimit, FLAGS)?
        } else {
            let threads = permits.len() + 1;
            tracing::debug!("xz: decoding on {threads} threads");
            let threads = u32::try_from(threads).unwrap_or(u32::MAX);
            liblzma::threaded_decoder(threads, self.memlimit, self.memlimit, FLAGS)?
        };
        Ok(State::Decoding {
            coder,
            _permits: permits,
        })
    }
}

impl AsyncRead for XzReader {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            match &mut this.state {
                State::Starting => {
                    let chunk = ready!(Pin::new(&mut this.input).poll_fill_buf(cx))?;
                    let take = chunk.len().min(HEAD_LEN - this.head.len());
                    this.head.extend_from_slice(&chunk[..take]);
                    Pin::new(&mut this.input).consume(take);
                    if take == 0 || this.head.len() == HEAD_LEN {
                        this.state = this.start()?;
                    }
                }
                State::Decoding { coder, .. } => {
                    let output = buf.initialize_unfilled();
                    let (progress, result, finish) = if this.head.is_empty() {
                        let chunk = ready!(Pin::new(&mut this.input).poll_fill_buf(cx))?;
                        let finish = chunk.is_empty();
                        let (progress, result) = coder.decode(chunk, output, finish);
                        Pin::new(&mut this.input).consume(progress.consumed);
                        (progress, result, finish)
                    } else {
                        let (progress, result) = coder.decode(&this.head, output, false);
                        this.head.drain(..progress.consumed);
                        (progress, result, false)
                    };
                    buf.advance(progress.produced);
                    let produced = progress.produced > 0;
                    match result {
                        Err(error) if produced => this.state = State::Failed(error),
                        Err(error) => {
                            this.state = State::Done;
                            return Poll::Ready(Err(error));
                        }
                        Ok(()) if progress.end => this.state = State::Done,
                        // At the end of the input and no way on: the stream was cut short.
                        Ok(()) if finish && !produced && progress.consumed == 0 => {
                            this.state = State::Done;
                            return Poll::Ready(Err(io::ErrorKind::UnexpectedEof.into()));
                        }
                        Ok(()) => {}
                    }
                    if produced || matches!(this.state, State::Done) {
                        return Poll::Ready(Ok(()));
                    }
                }
                State::Failed(_) => {
                    let State::Failed(error) = std::mem::replace(&mut this.state, State::Done)
                    else {
                        unreachable!("matched above")
                    };
                    return Poll::Ready(Err(error));
                }
                State::Done => return Poll::Ready(Ok(())),
            }
        }
    }
}

/// What the first block header of an xz file says, when it records the block's sizes.
#[derive(Debug, PartialEq, Eq)]
struct FirstBlock {
    /// Where the block's compressed data ends in the file.
    data_end: u64,
    compressed: u64,
    uncompressed: u64,
    /// The LZMA2 dictionary size, when LZMA2 is the first filter.
    dictionary: Option<u64>,
}

impl FirstBlock {
    /// The first block of `head` (the file's first bytes), if its header records both sizes.
    fn parse(head: &[u8]) -> Option<Self> {
        /// Block flags: compressed size present, uncompressed size present.
        const SIZES: u8 = 0x40 | 0x80;
        const LZMA2: u64 = 0x21;
        let header = head.get(12..)?;
        let (&size_byte, rest) = header.split_first()?;
        let (&flags, rest) = rest.split_first()?;
        // A zero size byte is the index: a stream without blocks.
        if size_byte == 0 || flags & SIZES != SIZES {
            return None;
        }
        let (compressed, rest) = vli(rest)?;
        let (uncompressed, rest) = vli(rest)?;
        let dictionary = match vli(rest) {
            Some((LZMA2, [1, properties, ..])) => lzma2_dictionary(*properties),
            _ => None,
        };
        let header_size = (u64::from(size_byte) + 1) * 4;
        Some(Self {
            data_end: 12 + header_size + compressed,
            compressed,
            uncompressed,
            dictionary,
        })
    }

    /// Whether a file of `input_len` bytes (unknown: may be any) has room for more blocks after
    /// this one: more than its padding, check, index and footer (under 128 bytes).
    fn more_follow(&self, input_len: Option<u64>) -> bool {
        input_len.is_none_or(|len| len > self.data_end.saturating_add(128))
    }

    /// How many blocks like this one liblzma's threaded decoder keeps in `memlimit` at once:
    /// each needs its dictionary and both its buffers (without a known dictionary, one as large
    /// as the block).
    fn threads_within(&self, memlimit: u64) -> usize {
        let dictionary = self.dictionary.unwrap_or(self.uncompressed);
        let each = dictionary
            .saturating_add(self.uncompressed)
            .saturating_add(self.compressed)
            .max(1);
        usize::try_from(memlimit / each).unwrap_or(usize::MAX)
    }
}

/// An xz variable-length integer at the start of `bytes`, and what follows it.
fn vli(bytes: &[u8]) -> Option<(u64, &[u8])> {
    let mut value = 0;
    for (i, &byte) in bytes.iter().enumerate().take(9) {
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((value, &bytes[i + 1..]));
        }
    }
    None
}

/// The dictionary size an LZMA2 properties byte encodes (xz's file format, 5.3.1).
fn lzma2_dictionary(properties: u8) -> Option<u64> {
    match properties {
        0..40 => Some((2 | u64::from(properties & 1)) << (properties / 2 + 11)),
        40 => Some(u64::from(u32::MAX)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_block_header_says_whether_threads_can_help() {
        // What `xz -T2 -6 --block-size=1MiB` writes for 3 MB of one letter: a block header of
        // 16 bytes recording both sizes (225 and 1 MiB), LZMA2 with an 8 MiB dictionary.
        let mut head = vec![
            0xfd, b'7', b'z', b'X', b'Z', 0, 0, 4, 0xe6, 0xd6, 0xb4, 0x46,
        ];
        head.extend([0x03, 0xc0, 0xe1, 0x01, 0x80, 0x80, 0x40, 0x21, 0x01, 0x16]);
        let block = FirstBlock::parse(&head).unwrap();
        assert_eq!(
            block,
            FirstBlock {
                data_end: 12 + 16 + 225,
                compressed: 225,
                uncompressed: 1 << 20,
                dictionary: Some(8 << 20),
            }
        );
        assert!(block.more_follow(None));
        assert!(block.more_follow(Some(500)));
        assert!(!block.more_follow(Some(300)));
        assert_eq!(block.threads_within(128 << 20), 14);
        // One-thread xz: no sizes in the header.
        head[13] = 0x00;
        assert_eq!(FirstBlock::parse(&head), None);
        // An empty stream: the index at once.
        assert_eq!(FirstBlock::parse(&[&head[..12], &[0, 0]].concat()), None);
        assert_eq!(lzma2_dictionary(0), Some(4096));
        assert_eq!(lzma2_dictionary(41), None);
    }
}
