//! zstd in blocks: each block an independent frame (with its content size and checksum, as
//! `zstd` writes them), the frames concatenated, which every zstd decoder reads as one file
//! (and which a decoder can split again, as pzstd does). A block holds a few windows of the
//! level, so a frame loses little by not seeing the frame before it.

use std::io::{self, Write};

use tokio_util::sync::CancellationToken;

use super::{BLOCK_SIZE, BlockCodec, ENCODE_PIECE, Encoded, StreamsTrailer, Trailer, cancelled};

/// The block form of zstd at one level.
pub struct ZstdBlocks {
    level: i32,
}

impl ZstdBlocks {
    /// zstd at `level` (1-19).
    pub fn new(level: i32) -> Self {
        Self { level }
    }
}

/// The window (log2 of its bytes) libzstd uses at `level` for inputs above 256 KiB
/// (`clevels.h`).
fn window_log(level: i32) -> u32 {
    match level {
        ..=1 => 19,
        2 => 20,
        3..=7 => 21,
        8..=15 => 22,
        _ => 23,
    }
}

impl BlockCodec for ZstdBlocks {
    fn block_size(&self) -> usize {
        // Two windows at least, as libzstd's own workers take four (more memory, no better ratio
        // on logs, whose matches are near).
        BLOCK_SIZE.max(2 << window_log(self.level))
    }

    fn encode(
        &self,
        block: &[u8],
        _dictionary: &[u8],
        cancel: &CancellationToken,
    ) -> io::Result<Encoded> {
        let out = Vec::with_capacity(block.len() / 4 + 1024);
        let mut encoder = zstd::stream::write::Encoder::new(out, self.level)?;
        encoder.include_checksum(true)?;
        encoder.include_contentsize(true)?;
        encoder.set_pledged_src_size(Some(block.len() as u64))?;
        for piece in block.chunks(ENCODE_PIECE) {
            if cancel.is_cancelled() {
                return Err(cancelled());
            }
            encoder.write_all(piece)?;
        }
        let bytes = encoder.finish()?;
        Ok(Encoded {
            bytes,
            input_len: block.len() as u64,
            ..Encoded::default()
        })
    }

    fn trailer(&self) -> Box<dyn Trailer> {
        StreamsTrailer::boxed(Self { level: self.level })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_decode_to_the_input() {
        let input: Vec<u8> = (0..200_000u32)
            .flat_map(|i| format!("{i} GET /\n").into_bytes())
            .collect();
        let codec = ZstdBlocks::new(3);
        let cancel = CancellationToken::new();
        let mut out = Vec::new();
        for block in input.chunks(300_000) {
            out.extend(codec.encode(block, &[], &cancel).unwrap().bytes);
        }
        assert_eq!(zstd::stream::decode_all(&out[..]).unwrap(), input);
        assert_eq!(codec.block_size(), 4 << 20);
        assert_eq!(ZstdBlocks::new(19).block_size(), 16 << 20);
    }
}
