//! gzip in blocks, as pigz writes it: one member whose deflate stream is the blocks' streams
//! joined. Each block is deflated on its own with the last 32 KiB before it as a preset
//! dictionary (so the ratio stays within a fraction of a percent of one deflate stream) and
//! ended with a sync flush, which byte-aligns it without ending the stream; the trailer adds
//! an empty final block, the CRC-32 of the whole (combined from the blocks') and its size.

use std::io;

use flate2::{Compress, Compression, FlushCompress, Status};
use tokio_util::sync::CancellationToken;

use super::{BlockCodec, Encoded, Trailer, in_pieces};

/// The block form of gzip at one level.
pub struct GzipBlocks {
    level: u32,
}

impl GzipBlocks {
    /// gzip at `level` (1-9).
    pub fn new(level: i32) -> Self {
        Self {
            level: u32::try_from(level.clamp(1, 9)).unwrap_or(6),
        }
    }
}

/// The member header, as asyncfiles' one-thread gzip writes it (no name, no time; XFL as
/// gzip sets it for -1 and -9; OS unknown).
fn header(level: u32) -> Vec<u8> {
    let xfl = match level {
        9 => 0x02,
        1 => 0x04,
        _ => 0x00,
    };
    vec![0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, xfl, 0xff]
}

impl BlockCodec for GzipBlocks {
    fn header(&self) -> Vec<u8> {
        header(self.level)
    }

    fn uses_dictionary(&self) -> bool {
        true
    }

    fn encode(
        &self,
        block: &[u8],
        dictionary: &[u8],
        cancel: &CancellationToken,
    ) -> io::Result<Encoded> {
        let mut deflate = Compress::new(Compression::new(self.level), false);
        if !dictionary.is_empty() {
            deflate
                .set_dictionary(dictionary)
                .map_err(io::Error::other)?;
        }
        // Logs deflate to well under half; the vector grows if not.
        let mut bytes = Vec::with_capacity(block.len() / 3 + 64);
        in_pieces(block, cancel, |piece| {
            deflate_all(&mut deflate, piece, FlushCompress::None, &mut bytes)
        })?;
        // Byte-aligned, not final: the next block's bits start on a fresh byte.
        deflate_all(&mut deflate, &[], FlushCompress::Sync, &mut bytes)?;
        let mut crc = crc32fast::Hasher::new();
        crc.update(block);
        Ok(Encoded {
            bytes,
            input_len: block.len() as u64,
            crc32: crc.finalize(),
            unpadded_size: 0,
        })
    }

    fn trailer(&self) -> Box<dyn Trailer> {
        Box::new(GzipTrailer {
            crc: crc32fast::Hasher::new(),
            len: 0,
        })
    }
}

/// Runs all of `input` through `deflate` with `flush`, appending to `out`.
fn deflate_all(
    deflate: &mut Compress,
    mut input: &[u8],
    flush: FlushCompress,
    out: &mut Vec<u8>,
) -> io::Result<()> {
    const ROOM: usize = 64 << 10;
    loop {
        if out.capacity() - out.len() < ROOM {
            out.reserve(ROOM.max(input.len() / 2));
        }
        let before = deflate.total_in();
        let status = deflate
            .compress_vec(input, out, flush)
            .map_err(io::Error::other)?;
        let consumed = usize::try_from(deflate.total_in() - before).unwrap_or(input.len());
        input = &input[consumed..];
        // All input taken and room left over: deflate has nothing more to give for this flush.
        if status == Status::StreamEnd || (input.is_empty() && out.len() < out.capacity()) {
            return Ok(());
        }
    }
}

/// The CRC-32 and size of the whole, combined block by block.
struct GzipTrailer {
    crc: crc32fast::Hasher,
    len: u64,
}

impl Trailer for GzipTrailer {
    fn add(&mut self, block: &super::Encoded) {
        let part = crc32fast::Hasher::new_with_initial_len(block.crc32, block.input_len);
        self.crc.combine(&part);
        self.len += block.input_len;
    }

    fn finish(&mut self) -> io::Result<Vec<u8>> {
        let crc = std::mem::replace(&mut self.crc, crc32fast::Hasher::new());
        // The final block: fixed Huffman codes, end of block at once (BFINAL=1, BTYPE=01,
        // then code 256: seven zero bits), padded to a byte.
        let mut trailer = vec![0x03, 0x00];
        trailer.extend_from_slice(&crc.finalize().to_le_bytes());
        // ISIZE: the size modulo 2^32 (RFC 1952).
        trailer.extend_from_slice(&(self.len as u32).to_le_bytes());
        Ok(trailer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn encode_in_blocks(input: &[u8], size: usize, level: i32) -> Vec<u8> {
        let codec = GzipBlocks::new(level);
        let cancel = CancellationToken::new();
        let mut out = codec.header();
        let mut trailer = codec.trailer();
        let mut previous: &[u8] = &[];
        for block in input.chunks(size.max(1)) {
            let dictionary = &previous[previous.len().saturating_sub(super::super::DICTIONARY)..];
            let encoded = codec.encode(block, dictionary, &cancel).unwrap();
            trailer.add(&encoded);
            out.extend_from_slice(&encoded.bytes);
            previous = block;
        }
        out.extend(trailer.finish().unwrap());
        out
    }

    fn gunzip(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(data)
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn blocks_make_one_member_that_inflates_to_the_input() {
        let line =
            b"127.0.0.1 - - [01/Dec/2026:10:00:00 +0000] \"GET /index.html HTTP/1.1\" 200 512\n";
        let input: Vec<u8> = line.iter().copied().cycle().take(300_000).collect();
        for (size, level) in [
            (4096, 1),
            (30_000, 6),
            (100_000, 9),
            (300_000, 6),
            (1 << 20, 6),
        ] {
            let gz = encode_in_blocks(&input, size, level);
            assert_eq!(gunzip(&gz), input, "block size {size}");
        }
        assert_eq!(gunzip(&encode_in_blocks(b"", 10, 6)), b"");
    }
}
