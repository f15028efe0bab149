//! bzip2 in blocks: each block a whole bzip2 stream, the streams concatenated, as pbzip2 and
//! lbzip2 write them; `bzip2 -d` and every multi-stream decoder read them as one file. bzip2's
//! own blocks (100-900 kB) never see each other, so the ratio is that of one stream.

use std::io::{self, Write};

use tokio_util::sync::CancellationToken;

use super::{BlockCodec, Encoded, in_pieces};

/// The block form of bzip2 at one level.
pub struct Bzip2Blocks {
    level: u32,
}

impl Bzip2Blocks {
    /// bzip2 at `level` (1-9: blocks of 100-900 kB).
    pub fn new(level: i32) -> Self {
        Self {
            level: u32::try_from(level.clamp(1, 9)).unwrap_or(9),
        }
    }
}

impl BlockCodec for Bzip2Blocks {
    fn encode(
        &self,
        block: &[u8],
        _dictionary: &[u8],
        cancel: &CancellationToken,
    ) -> io::Result<Encoded> {
        let out = Vec::with_capacity(block.len() / 4 + 1024);
        let mut encoder = bzip2::write::BzEncoder::new(out, bzip2::Compression::new(self.level));
        in_pieces(block, cancel, |piece| encoder.write_all(piece))?;
        let bytes = encoder.finish()?;
        Ok(Encoded::whole(bytes, block.len()))
    }

    fn needs_a_block(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn streams_decode_to_the_input() {
        let input: Vec<u8> = (0..100_000u32)
            .flat_map(|i| format!("{i} GET /\n").into_bytes())
            .collect();
        let codec = Bzip2Blocks::new(9);
        let cancel = CancellationToken::new();
        let mut out = Vec::new();
        for block in input.chunks(250_000) {
            out.extend(codec.encode(block, &[], &cancel).unwrap().bytes);
        }
        let mut decoded = Vec::new();
        bzip2::read::MultiBzDecoder::new(&out[..])
            .read_to_end(&mut decoded)
            .unwrap();
        assert_eq!(decoded, input);
    }
}
