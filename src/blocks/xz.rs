//! xz in blocks: independent LZMA2 blocks of one stream, with the stream's index (what `xz -T`
//! writes). Being written: until then xz has no block form (see [`super::codec`]).

use std::io;

use tokio_util::sync::CancellationToken;

use super::{BlockCodec, Encoded, NoTrailer, Trailer};

/// The block form of xz at one level.
pub struct XzBlocks {
    #[allow(dead_code)]
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
    fn encode(&self, _: &[u8], _: &[u8], _: &CancellationToken) -> io::Result<Encoded> {
        Err(io::Error::other("xz blocks are not written yet"))
    }

    fn trailer(&self) -> Box<dyn Trailer> {
        Box::new(NoTrailer)
    }
}
