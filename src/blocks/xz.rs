//! xz in blocks, as `xz -T` writes it: one stream (its header with a CRC64 check, as `xz` and
//! asyncfiles' one-thread encoder write), then independent LZMA2 blocks, each with its
//! compressed and uncompressed sizes in its header (what lets a threaded decoder, `xz -T` or
//! asyncfiles', decode them side by side), then the stream's index of every block and its
//! footer. A block holds three dictionaries of input, as xz's threaded encoder's do, so that it
//! loses little by not seeing the block before it. The liblzma calls are in
//! [`crate::codec::liblzma`].

use std::io;

use tokio_util::sync::CancellationToken;

use super::{BLOCK_SIZE, BlockCodec, Encoded, Trailer};
use crate::codec::liblzma::{self, BlockEncoder};

/// The block form of xz at one level.
pub struct XzBlocks {
    level: u32,
}

impl XzBlocks {
    /// xz at `level` (0-9).
    pub fn new(level: i32) -> Self {
        Self {
            level: u32::try_from(level.clamp(0, 9)).unwrap_or(6),
        }
    }
}

impl BlockCodec for XzBlocks {
    fn block_size(&self) -> usize {
        // Every level 0-9 has a preset; 8 MiB is -6's dictionary.
        let dictionary = liblzma::dictionary_size(self.level).unwrap_or(8 << 20);
        usize::try_from(dictionary)
            .map_or(BLOCK_SIZE, |dictionary| dictionary.saturating_mul(3))
            .max(BLOCK_SIZE)
    }

    fn header(&self) -> Vec<u8> {
        liblzma::stream_header().expect("the stream flags are constant and valid")
    }

    fn encode(
        &self,
        block: &[u8],
        _dictionary: &[u8],
        cancel: &CancellationToken,
    ) -> io::Result<Encoded> {
        let mut encoder = BlockEncoder::new(self.level, block.len())?;
        super::in_pieces(block, cancel, |piece| encoder.feed(piece))?;
        let (bytes, unpadded_size) = encoder.finish()?;
        Ok(Encoded {
            bytes,
            input_len: block.len() as u64,
            unpadded_size,
            ..Encoded::default()
        })
    }

    fn trailer(&self) -> Box<dyn Trailer> {
        Box::new(XzTrailer { blocks: Vec::new() })
    }
}

/// The index and footer, from each block's unpadded and uncompressed sizes (16 bytes a block
/// of several MiB).
struct XzTrailer {
    blocks: Vec<(u64, u64)>,
}

impl Trailer for XzTrailer {
    fn add(&mut self, block: &Encoded) {
        self.blocks.push((block.unpadded_size, block.input_len));
    }

    fn finish(&mut self) -> io::Result<Vec<u8>> {
        liblzma::index_and_footer(&self.blocks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode_in_blocks(input: &[u8], size: usize, level: i32) -> Vec<u8> {
        let codec = XzBlocks::new(level);
        let cancel = CancellationToken::new();
        let mut out = codec.header();
        let mut trailer = codec.trailer();
        for block in input.chunks(size.max(1)) {
            let encoded = codec.encode(block, &[], &cancel).unwrap();
            assert_eq!(encoded.input_len, block.len() as u64);
            trailer.add(&encoded);
            out.extend_from_slice(&encoded.bytes);
        }
        out.extend(trailer.finish().unwrap());
        out
    }

    /// Decodes `xz` whole with liblzma's stream decoder and its threaded one, which check the
    /// index against the blocks and the footer against the index.
    fn unxz(xz: &[u8]) -> Vec<u8> {
        let single = liblzma::stream_decoder(u64::MAX, 0).unwrap();
        let threaded = liblzma::threaded_decoder(2, u64::MAX, u64::MAX, 0).unwrap();
        let decoded = [single, threaded].map(|mut decoder| {
            let mut out = vec![0; 64 << 20];
            let (progress, result) = decoder.decode(xz, &mut out, true);
            result.unwrap();
            assert!(progress.end && progress.consumed == xz.len());
            out.truncate(progress.produced);
            out
        });
        assert_eq!(decoded[0], decoded[1]);
        decoded[0].clone()
    }

    #[test]
    fn blocks_make_one_stream_that_decodes_to_the_input() {
        let input: Vec<u8> = (0..60_000u32)
            .flat_map(|i| {
                format!("{i} 10.0.{}.{} GET /a/{} 200\n", i % 256, i % 7, i * 31).into_bytes()
            })
            .collect();
        for (size, level) in [(1, 0), (4096, 1), (100_000, 6), (1 << 20, 6), (4 << 20, 9)] {
            let data = &input[..input.len().min(size * 40)];
            let xz = encode_in_blocks(data, size, level);
            assert_eq!(unxz(&xz), data, "block size {size}");
        }
        // One byte, and no block at all: an empty stream, as `xz` writes for an empty file.
        assert_eq!(unxz(&encode_in_blocks(b"x", 10, 6)), b"x");
        // What `xz -c </dev/null` writes, byte for byte (`xz -t` passes it).
        let empty = encode_in_blocks(b"", 10, 6);
        let xz_empty = [
            0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0x00, 0x04, 0xe6, 0xd6, 0xb4, 0x46, // header
            0x00, 0x00, 0x00, 0x00, 0x1c, 0xdf, 0x44, 0x21, // index: no records
            0x1f, 0xb6, 0xf3, 0x7d, 0x01, 0x00, 0x00, 0x00, 0x00, 0x04, 0x59, 0x5a, // footer
        ];
        assert_eq!(empty, xz_empty);
        assert_eq!(unxz(&empty), b"");
    }

    #[test]
    fn blocks_hold_three_dictionaries() {
        assert_eq!(XzBlocks::new(6).block_size(), 24 << 20);
        assert_eq!(XzBlocks::new(9).block_size(), 192 << 20);
        assert_eq!(XzBlocks::new(0).block_size(), BLOCK_SIZE);
    }

    #[test]
    fn a_cancelled_block_stops() {
        let cancel = CancellationToken::new();
        cancel.cancel();
        let error = XzBlocks::new(6).encode(b"data", &[], &cancel).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::Interrupted);
    }
}
