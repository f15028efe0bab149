//! liblzma through `liblzma-sys`, for what async-compression does not offer: xz blocks encoded
//! one at a time, with the stream header, index and footer written around them
//! ([`crate::blocks::xz`]), and liblzma's stream decoders, the threaded one included, with the
//! flags `xz -d` uses ([`super::xz`]). All of asyncfiles' unsafe liblzma code is here, behind
//! safe types: a [`Coder`] owns its `lzma_stream` and ends it when dropped; an index lives
//! only inside the function that encodes it.

use std::io;
use std::mem::MaybeUninit;
use std::ptr;

use liblzma_sys as sys;

/// The integrity check of every stream written here: CRC64, as `xz` (and asyncfiles'
/// one-thread xz encoder) writes by default.
const CHECK: sys::lzma_check = sys::LZMA_CHECK_CRC64;

/// What one call of a coder did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Input bytes taken.
    pub consumed: usize,
    /// Output bytes written.
    pub produced: usize,
    /// Whether the stream (or block) ended: nothing more will come out.
    pub end: bool,
}

/// One liblzma coder (an encoder or a decoder).
pub struct Coder {
    raw: sys::lzma_stream,
}

// SAFETY: liblzma keeps no thread-affine state in an lzma_stream (its threaded coders run their
// own threads behind it); `&mut self` on every call means one thread uses it at a time.
unsafe impl Send for Coder {}

impl Coder {
    /// A coder not set up yet (`LZMA_STREAM_INIT`).
    fn new() -> Self {
        // SAFETY: LZMA_STREAM_INIT is all zeros; every field is an integer or a pointer.
        Self {
            raw: unsafe { MaybeUninit::zeroed().assume_init() },
        }
    }

    /// Runs the coder on `input` into the `capacity` bytes at `output`.
    ///
    /// # Safety
    /// `output` must be valid for writes of `capacity` bytes.
    unsafe fn code(
        &mut self,
        input: &[u8],
        output: *mut u8,
        capacity: usize,
        finish: bool,
    ) -> (Progress, sys::lzma_ret) {
        self.raw.next_in = input.as_ptr();
        self.raw.avail_in = input.len();
        self.raw.next_out = output;
        self.raw.avail_out = capacity;
        let action = if finish {
            sys::LZMA_FINISH
        } else {
            sys::LZMA_RUN
        };
        // SAFETY: the coder was set up by liblzma; next_in/avail_in describe `input` and
        // next_out/avail_out memory the caller vouches for, both valid for this call only.
        let ret = unsafe { sys::lzma_code(&mut self.raw, action) };
        let progress = Progress {
            consumed: input.len() - self.raw.avail_in,
            produced: capacity - self.raw.avail_out,
            end: ret == sys::LZMA_STREAM_END,
        };
        // No pointer into the caller's buffers outlives the call.
        self.raw.next_in = ptr::null();
        self.raw.avail_in = 0;
        self.raw.next_out = ptr::null_mut();
        self.raw.avail_out = 0;
        (progress, ret)
    }

    /// Decodes `input` into `output`; `finish` says no input follows. An error comes with what
    /// was decoded before it in the same call; one that can make no progress fails as
    /// `UnexpectedEof` (liblzma's `LZMA_BUF_ERROR`: the input was cut short).
    pub fn decode(
        &mut self,
        input: &[u8],
        output: &mut [u8],
        finish: bool,
    ) -> (Progress, io::Result<()>) {
        // SAFETY: `output` is a writable slice of its length.
        let (progress, ret) =
            unsafe { self.code(input, output.as_mut_ptr(), output.len(), finish) };
        (progress, check(ret))
    }

    /// Encodes `input` into the spare capacity of `output` (growing it as needed) until all of
    /// it is taken and, when `finish`, the coder has ended.
    fn encode_into(
        &mut self,
        mut input: &[u8],
        output: &mut Vec<u8>,
        finish: bool,
    ) -> io::Result<()> {
        const ROOM: usize = 64 << 10;
        loop {
            if output.capacity() - output.len() < ROOM {
                output.reserve(ROOM.max(input.len() / 2));
            }
            let spare = output.spare_capacity_mut();
            // SAFETY: the spare capacity is writable for its length; liblzma initialises the
            // `produced` bytes it reports, which are then taken into the vector's length.
            let (progress, ret) =
                unsafe { self.code(input, spare.as_mut_ptr().cast(), spare.len(), finish) };
            // SAFETY: liblzma wrote (initialised) these `produced` bytes of the spare capacity.
            unsafe { output.set_len(output.len() + progress.produced) };
            check(ret)?;
            input = &input[progress.consumed..];
            let room_left = output.len() < output.capacity();
            if progress.end || (!finish && input.is_empty() && room_left) {
                return Ok(());
            }
        }
    }
}

impl Drop for Coder {
    fn drop(&mut self) {
        // SAFETY: a zeroed or set-up lzma_stream, ended once.
        unsafe { sys::lzma_end(&mut self.raw) };
    }
}

/// `ret` as a result: liblzma's errors worded as the liblzma crate words them (what
/// async-compression's decoders reported, and what messages about bad xz data say).
fn check(ret: sys::lzma_ret) -> io::Result<()> {
    use io::ErrorKind::{InvalidData, InvalidInput, Other};
    let (kind, message) = match ret {
        sys::LZMA_OK | sys::LZMA_STREAM_END => return Ok(()),
        // No progress possible: at the end of the input, a stream cut short.
        sys::LZMA_BUF_ERROR => return Err(io::ErrorKind::UnexpectedEof.into()),
        sys::LZMA_DATA_ERROR => (InvalidData, "lzma data error"),
        sys::LZMA_FORMAT_ERROR => (InvalidData, "stream/file format not recognized"),
        sys::LZMA_OPTIONS_ERROR => (InvalidInput, "invalid options"),
        sys::LZMA_MEMLIMIT_ERROR => (Other, "memory limit reached"),
        sys::LZMA_MEM_ERROR => (Other, "can't allocate memory"),
        sys::LZMA_NO_CHECK => (InvalidInput, "no integrity check was available"),
        sys::LZMA_UNSUPPORTED_CHECK => (Other, "liblzma not built with check support"),
        _ => (Other, "liblzma internal error"),
    };
    Err(io::Error::new(kind, message))
}

/// liblzma's single-threaded xz stream decoder.
pub fn stream_decoder(memlimit: u64, flags: u32) -> io::Result<Coder> {
    let mut coder = Coder::new();
    // SAFETY: a fresh lzma_stream.
    check(unsafe { sys::lzma_stream_decoder(&mut coder.raw, memlimit, flags) })?;
    Ok(coder)
}

/// liblzma's threaded xz stream decoder on at most `threads` threads: blocks whose headers
/// record their sizes (as threaded encoders write them) are decoded side by side while they fit
/// in `memlimit_threading`, others in the calling thread; more than `memlimit_stop` fails.
/// `lzma_code` blocks until it has made progress (no timeout).
pub fn threaded_decoder(
    threads: u32,
    memlimit_threading: u64,
    memlimit_stop: u64,
    flags: u32,
) -> io::Result<Coder> {
    // SAFETY: lzma_mt is plain data; zero is the default of every field (no filters, no timeout).
    let mut options: sys::lzma_mt = unsafe { MaybeUninit::zeroed().assume_init() };
    options.flags = flags;
    options.threads = threads.max(1);
    options.memlimit_threading = memlimit_threading;
    options.memlimit_stop = memlimit_stop;
    let mut coder = Coder::new();
    // SAFETY: a fresh lzma_stream; liblzma copies what it needs of `options` during the call.
    check(unsafe { sys::lzma_stream_decoder_mt(&mut coder.raw, &options) })?;
    Ok(coder)
}

/// The LZMA2 options of xz's preset `level` (0-9).
fn preset(level: u32) -> io::Result<sys::lzma_options_lzma> {
    // SAFETY: lzma_options_lzma is plain data (a null preset dictionary is none).
    let mut options: sys::lzma_options_lzma = unsafe { MaybeUninit::zeroed().assume_init() };
    // SAFETY: `options` is a valid, writable lzma_options_lzma.
    if unsafe { sys::lzma_lzma_preset(&mut options, level) } != 0 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("no xz preset {level}"),
        ));
    }
    Ok(options)
}

/// The dictionary size of xz's preset `level`.
pub fn dictionary_size(level: u32) -> io::Result<u32> {
    Ok(preset(level)?.dict_size)
}

/// The stream header of an xz stream with asyncfiles' check.
pub fn stream_header() -> io::Result<Vec<u8>> {
    let flags = stream_flags(0);
    let mut header = vec![0; sys::LZMA_STREAM_HEADER_SIZE as usize];
    // SAFETY: `header` has the 12 bytes liblzma writes.
    check(unsafe { sys::lzma_stream_header_encode(&flags, header.as_mut_ptr()) })?;
    Ok(header)
}

fn stream_flags(backward_size: u64) -> sys::lzma_stream_flags {
    // SAFETY: lzma_stream_flags is plain data; version 0 and zeroed reserved fields are required.
    let mut flags: sys::lzma_stream_flags = unsafe { MaybeUninit::zeroed().assume_init() };
    flags.check = CHECK;
    flags.backward_size = backward_size;
    flags
}

/// What ends an xz stream whose blocks were, in order, `blocks` (unpadded size, uncompressed
/// size): the index and the stream footer. No blocks make the empty stream `xz` writes for an
/// empty file.
pub fn index_and_footer(blocks: &[(u64, u64)]) -> io::Result<Vec<u8>> {
    /// Frees the index whatever happens.
    struct Index(*mut sys::lzma_index);
    impl Drop for Index {
        fn drop(&mut self) {
            // SAFETY: made by lzma_index_init, freed once, with the default allocator.
            unsafe { sys::lzma_index_end(self.0, ptr::null()) };
        }
    }
    // SAFETY: the default allocator.
    let index = unsafe { sys::lzma_index_init(ptr::null()) };
    if index.is_null() {
        return Err(io::Error::other("can't allocate memory"));
    }
    let index = Index(index);
    for &(unpadded, uncompressed) in blocks {
        // SAFETY: a live index, the default allocator.
        check(unsafe { sys::lzma_index_append(index.0, ptr::null(), unpadded, uncompressed) })?;
    }
    // SAFETY: a live index.
    let index_size = unsafe { sys::lzma_index_size(index.0) };
    let index_len = usize::try_from(index_size).map_err(io::Error::other)?;
    let footer_len = sys::LZMA_STREAM_HEADER_SIZE as usize;
    let mut out = vec![0; index_len + footer_len];
    let mut pos = 0;
    // SAFETY: `out` holds index_len writable bytes at its start.
    check(unsafe {
        sys::lzma_index_buffer_encode(index.0, out.as_mut_ptr(), &mut pos, index_len)
    })?;
    let flags = stream_flags(index_size);
    // SAFETY: the footer's 12 bytes follow the index in `out`.
    check(unsafe { sys::lzma_stream_footer_encode(&flags, out[index_len..].as_mut_ptr()) })?;
    Ok(out)
}

/// The encoder of one xz block (LZMA2 at an xz preset, CRC64): its header is written after its
/// data, in room left for it at the start, so that it records the block's compressed and
/// uncompressed sizes, as `xz -T` writes blocks (a threaded decoder needs them).
pub struct BlockEncoder {
    /// Declared first, so dropped first: it points at `block`.
    coder: Coder,
    /// Owned here (from `Box::into_raw`), read and written by liblzma while it encodes.
    block: *mut sys::lzma_block,
    /// What `block` points at; liblzma reads them when the encoder is set up.
    _filters: Box<[sys::lzma_filter; 2]>,
    _options: Box<sys::lzma_options_lzma>,
    /// Room for the header at the start of `bytes`.
    room: usize,
    /// The block so far: the header's room, then the encoded data.
    bytes: Vec<u8>,
}

// SAFETY: the raw pointers point at memory this value owns alone; see `Coder`.
unsafe impl Send for BlockEncoder {}

impl BlockEncoder {
    /// An encoder of a block of `len` bytes at preset `level`.
    pub fn new(level: u32, len: usize) -> io::Result<Self> {
        let mut options = Box::new(preset(level)?);
        let mut filters = Box::new([
            sys::lzma_filter {
                id: sys::LZMA_FILTER_LZMA2,
                options: ptr::from_mut(&mut *options).cast(),
            },
            sys::lzma_filter {
                id: sys::LZMA_VLI_UNKNOWN,
                options: ptr::null_mut(),
            },
        ]);
        // SAFETY: lzma_block is plain data; version 0 and zeroed reserved fields are required.
        let mut block: Box<sys::lzma_block> =
            Box::new(unsafe { MaybeUninit::zeroed().assume_init() });
        block.check = CHECK;
        block.filters = filters.as_mut_ptr();
        // The room is sized as xz's threaded encoder sizes it: for the largest sizes the block
        // can have, so that the header with the real ones fits in it (padded if smaller).
        // SAFETY: a pure function.
        let bound = unsafe { sys::lzma_block_buffer_bound(len) };
        if bound == 0 {
            return Err(io::Error::other("block too large for xz"));
        }
        block.compressed_size = bound as u64;
        block.uncompressed_size = len as u64;
        let mut encoder = Self {
            coder: Coder::new(),
            block: Box::into_raw(block),
            _filters: filters,
            _options: options,
            room: 0,
            bytes: Vec::new(),
        };
        // SAFETY: `block` is live until `encoder` is dropped, which ends the coder first; so are
        // its filters and their options.
        check(unsafe { sys::lzma_block_header_size(encoder.block) })?;
        // SAFETY: as above, and a fresh lzma_stream.
        check(unsafe { sys::lzma_block_encoder(&mut encoder.coder.raw, encoder.block) })?;
        // SAFETY: as above; liblzma has set the header size.
        encoder.room = unsafe { (*encoder.block).header_size } as usize;
        encoder.bytes = Vec::with_capacity(encoder.room + len / 4 + 1024);
        encoder.bytes.resize(encoder.room, 0);
        Ok(encoder)
    }

    /// Encodes the next piece of the block.
    pub fn feed(&mut self, piece: &[u8]) -> io::Result<()> {
        self.coder.encode_into(piece, &mut self.bytes, false)
    }

    /// Ends the block: its bytes (header, data, padding, check) and its unpadded size (what
    /// the index records).
    pub fn finish(mut self) -> io::Result<(Vec<u8>, u64)> {
        self.coder.encode_into(&[], &mut self.bytes, true)?;
        // SAFETY: the encoder has ended and wrote the block's real sizes into `block`; nothing
        // else uses it now.
        let block = unsafe { &mut *self.block };
        // SAFETY: a complete lzma_block (its filters still live).
        check(unsafe { sys::lzma_block_header_size(block) })?;
        block.header_size = block.header_size.max(self.room as u32);
        let mut header = vec![0; block.header_size as usize];
        // SAFETY: `header` has header_size writable bytes.
        check(unsafe { sys::lzma_block_header_encode(block, header.as_mut_ptr()) })?;
        // SAFETY: `block` is complete.
        let unpadded = unsafe { sys::lzma_block_unpadded_size(block) };
        if unpadded == 0 {
            return Err(io::Error::other("liblzma internal error"));
        }
        let mut bytes = std::mem::take(&mut self.bytes);
        bytes.splice(..self.room, header);
        Ok((bytes, unpadded))
    }
}

impl Drop for BlockEncoder {
    fn drop(&mut self) {
        // The coder points at the block: end it first.
        drop(std::mem::replace(&mut self.coder, Coder::new()));
        // SAFETY: made by Box::into_raw in `new`, freed once, no longer used by liblzma.
        drop(unsafe { Box::from_raw(self.block) });
    }
}
