//! zstd in blocks: each block an independent frame (with its content size and checksum, as
//! `zstd` writes them), the frames concatenated, which every zstd decoder reads as one file
//! (and which a decoder can split again, as pzstd does). A block holds a few windows of the
//! level, so a frame loses little by not seeing the frame before it.

use std::io;
use std::sync::Mutex;

use tokio_util::sync::CancellationToken;
use zstd::zstd_safe::zstd_sys::ZSTD_EndDirective;
use zstd::zstd_safe::{CCtx, CParameter, InBuffer, OutBuffer, ResetDirective};

use super::{BLOCK_SIZE, BlockCodec, Encoded, in_pieces};

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

/// Compression contexts not in use: as many as block jobs ever ran at once (CPU permits).
static CONTEXTS: Mutex<Vec<CCtx<'static>>> = Mutex::new(Vec::new());

/// `block` as one frame at `level`, with its content size and checksum.
fn compress_frame(
    context: &mut CCtx<'static>,
    level: i32,
    block: &[u8],
    cancel: &CancellationToken,
) -> io::Result<Vec<u8>> {
    context
        .reset(ResetDirective::SessionAndParameters)
        .map_err(zstd_error)?;
    for parameter in [
        CParameter::CompressionLevel(level),
        CParameter::ChecksumFlag(true),
        CParameter::ContentSizeFlag(true),
    ] {
        context.set_parameter(parameter).map_err(zstd_error)?;
    }
    context
        .set_pledged_src_size(Some(block.len() as u64))
        .map_err(zstd_error)?;
    // Room for the worst case: no reallocation, and pages are touched only as they are written.
    let mut out = Vec::with_capacity(zstd::zstd_safe::compress_bound(block.len()));
    in_pieces(block, cancel, |piece| {
        let mut input = InBuffer::around(piece);
        while input.pos < piece.len() {
            step(
                context,
                &mut out,
                &mut input,
                ZSTD_EndDirective::ZSTD_e_continue,
            )?;
        }
        Ok(())
    })?;
    let mut nothing = InBuffer::around(&[]);
    while step(
        context,
        &mut out,
        &mut nothing,
        ZSTD_EndDirective::ZSTD_e_end,
    )? > 0
    {}
    Ok(out)
}

/// One call of the streaming compressor, appending to `out` (grown when full); returns what
/// is left to flush.
fn step(
    context: &mut CCtx<'static>,
    out: &mut Vec<u8>,
    input: &mut InBuffer<'_>,
    directive: ZSTD_EndDirective,
) -> io::Result<usize> {
    if out.len() == out.capacity() {
        out.reserve(64 << 10);
    }
    let pos = out.len();
    let mut output = OutBuffer::around_pos(out, pos);
    context
        .compress_stream2(&mut output, input, directive)
        .map_err(zstd_error)
}

fn zstd_error(code: usize) -> io::Error {
    io::Error::other(zstd::zstd_safe::get_error_name(code))
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
        // Contexts are kept between blocks (a fresh one would allocate, and fault in, its
        // window and tables for every block): at most one per busy thread.
        let mut context = CONTEXTS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .pop()
            .unwrap_or_else(CCtx::create);
        let bytes = compress_frame(&mut context, self.level, block, cancel)?;
        // A frame cut short (an error) leaves its context mid-frame: it is dropped.
        CONTEXTS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(context);
        Ok(Encoded::whole(bytes, block.len()))
    }

    fn needs_a_block(&self) -> bool {
        true
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
