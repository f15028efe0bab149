//! Compression formats: detection, output names, decoders, encoders and what their errors mean.
//!
//! Input formats are found by magic bytes (gzip, zstd, xz, bzip2), whatever the file is called;
//! brotli and lzma have no magic, so only a `.br` or `.lzma` name makes a file one; a name that claims a format the
//! content does not have makes a damaged file, which fails when decoded ([`framing`] checks the
//! magic bytes the decoders would take on trust). Decoders read every member or
//! frame (`multiple_members(true)`: concatenated gzip and multi-frame zstd are common in log
//! archives). Encoders write through [`KeepOpen`], so their shutdown writes the trailer but leaves
//! finishing the file to the atomic commit. Everything here streams: memory is bounded by buffer
//! sizes and the codecs' own windows, whatever the compression ratio.

use std::ffi::{OsStr, OsString};
use std::io;
use std::ops::RangeInclusive;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::pin::Pin;
use std::task::{Context, Poll};

use anyhow::{Result, anyhow, bail};
use async_compression::Level;
use async_compression::codecs;
use async_compression::codecs::lzma::params::LzmaDecoderParams;
use async_compression::tokio::{bufread, write};
use tokio::io::{AsyncBufRead, AsyncWrite, BufReader};

mod framing;
pub(crate) mod liblzma;
mod xz;

/// Bytes of an input needed to recognise its format (bzip2 needs its block signature too).
pub const MAGIC_LEN: usize = 10;

/// Largest zstd window a decoder accepts: zstd's own default limit (128 MiB per file in flight);
/// a frame that needs more fails instead of growing memory.
const ZSTD_WINDOW_LOG_MAX: u32 = 27;

/// Memory an xz decoder may use (xz -9 needs 65 MiB); a file that needs more fails.
const XZ_MEMORY_LIMIT: u64 = 128 << 20;

/// Decoded bytes buffered per file between a decoder and the stage chain: at most this much,
/// at least [`MIN_DECODED_BUFFER`] (tokio zeroes a `BufReader`'s buffer, which for 10,000 small
/// files at full size is gigabytes of memset).
const DECODED_BUFFER: usize = 256 * 1024;
const MIN_DECODED_BUFFER: usize = 8 * 1024;

/// A compression format asyncfiles reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// gzip (deflate), `.gz`
    Gzip,
    /// Zstandard, `.zst`
    Zstd,
    /// xz (LZMA2), `.xz`
    Xz,
    /// bzip2, `.bz2`
    Bzip2,
    /// brotli, `.br`
    Brotli,
    /// LZMA_Alone, `.lzma` (xz's predecessor, `xz --format=lzma`)
    Lzma,
}

/// Every format, for tables and tests.
pub const ALL_FORMATS: [Format; 6] = [
    Format::Gzip,
    Format::Zstd,
    Format::Xz,
    Format::Bzip2,
    Format::Brotli,
    Format::Lzma,
];

impl Format {
    /// The format's usual name, as in messages (`truncated gzip stream`).
    pub fn name(self) -> &'static str {
        match self {
            Format::Gzip => "gzip",
            Format::Zstd => "zstd",
            Format::Xz => "xz",
            Format::Bzip2 => "bzip2",
            Format::Brotli => "brotli",
            Format::Lzma => "lzma",
        }
    }

    /// The file-name extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Gzip => "gz",
            Format::Zstd => "zst",
            Format::Xz => "xz",
            Format::Bzip2 => "bz2",
            Format::Brotli => "br",
            Format::Lzma => "lzma",
        }
    }

    /// Valid `--level` values, on the reference tool's own scale.
    pub fn levels(self) -> std::ops::RangeInclusive<i32> {
        match self {
            Format::Gzip | Format::Bzip2 => 1..=9,
            // 20-22 need zstd's --ultra and hundreds of MiB per file in flight: not offered.
            Format::Zstd => 1..=19,
            Format::Xz | Format::Lzma => 0..=9,
            Format::Brotli => 0..=11,
        }
    }

    /// The level the reference tool uses when none is given.
    pub fn default_level(self) -> i32 {
        match self {
            Format::Gzip | Format::Xz | Format::Lzma => 6,
            Format::Zstd => 3,
            Format::Bzip2 => 9,
            Format::Brotli => 11,
        }
    }

    /// The byte patterns a stream of this format starts with (none for brotli): any one of
    /// them, each byte within its range.
    fn signatures(self) -> &'static [&'static [RangeInclusive<u8>]] {
        match self {
            Format::Gzip => &[&[0x1f..=0x1f, 0x8b..=0x8b]],
            Format::Zstd => &[
                &[0x28..=0x28, 0xb5..=0xb5, 0x2f..=0x2f, 0xfd..=0xfd],
                // A skippable frame first, as pzstd writes.
                &[0x50..=0x5f, 0x2a..=0x2a, 0x4d..=0x4d, 0x18..=0x18],
            ],
            Format::Xz => &[&[
                0xfd..=0xfd,
                b'7'..=b'7',
                b'z'..=b'z',
                b'X'..=b'X',
                b'Z'..=b'Z',
                0x00..=0x00,
            ]],
            // "BZh" and a block size, then a block or the end-of-stream signature: "BZh9" alone
            // is just text.
            Format::Bzip2 => &[
                &[
                    b'B'..=b'B',
                    b'Z'..=b'Z',
                    b'h'..=b'h',
                    b'1'..=b'9',
                    0x31..=0x31,
                    0x41..=0x41,
                    0x59..=0x59,
                    0x26..=0x26,
                    0x53..=0x53,
                    0x59..=0x59,
                ],
                &[
                    b'B'..=b'B',
                    b'Z'..=b'Z',
                    b'h'..=b'h',
                    b'1'..=b'9',
                    0x17..=0x17,
                    0x72..=0x72,
                    0x45..=0x45,
                    0x38..=0x38,
                    0x50..=0x50,
                    0x90..=0x90,
                ],
            ],
            Format::Brotli | Format::Lzma => &[],
        }
    }

    /// Whether `head` (the first bytes of a stream, possibly fewer than a signature) agrees
    /// with one of this format's signatures as far as it goes (any does, for a format without
    /// one). `complete` asks for a whole signature (never there for a format without one).
    fn signature_matches(self, head: &[u8], complete: bool) -> bool {
        let signatures = self.signatures();
        if signatures.is_empty() {
            return !complete;
        }
        signatures.iter().any(|signature| {
            (!complete || head.len() >= signature.len())
                && head
                    .iter()
                    .zip(signature.iter())
                    .all(|(byte, range)| range.contains(byte))
        })
    }

    /// Whether more bytes could still make `head` one of the formats' magic bytes: a stream's
    /// start is read no further than that, so a pipe that pauses after `foo\n` is searched (or
    /// converted) at once instead of after its next write.
    pub fn may_become_magic(head: &[u8]) -> bool {
        ALL_FORMATS.into_iter().any(|format| {
            format.signatures().iter().any(|signature| {
                head.len() < signature.len()
                    && head
                        .iter()
                        .zip(signature.iter())
                        .all(|(byte, range)| range.contains(byte))
            })
        })
    }

    /// The format whose magic bytes start `prefix`, if any (brotli has none).
    pub fn sniff(prefix: &[u8]) -> Option<Format> {
        ALL_FORMATS
            .into_iter()
            .find(|format| format.signature_matches(prefix, true))
    }

    /// The format a file name's extension names (`app.log.gz` → gzip; `x.tgz` → gzip).
    pub fn from_name(name: &OsStr) -> Option<Format> {
        compression_extension(name.as_bytes()).map(|extension| extension.format)
    }
}

/// A compression extension and what removing it leaves (`.tgz` becomes `.tar`).
struct Extension {
    suffix: &'static [u8],
    format: Format,
    replacement: &'static [u8],
}

const EXTENSIONS: [Extension; 7] = [
    Extension {
        suffix: b".gz",
        format: Format::Gzip,
        replacement: b"",
    },
    Extension {
        suffix: b".tgz",
        format: Format::Gzip,
        replacement: b".tar",
    },
    Extension {
        suffix: b".zst",
        format: Format::Zstd,
        replacement: b"",
    },
    Extension {
        suffix: b".xz",
        format: Format::Xz,
        replacement: b"",
    },
    Extension {
        suffix: b".bz2",
        format: Format::Bzip2,
        replacement: b"",
    },
    Extension {
        suffix: b".br",
        format: Format::Brotli,
        replacement: b"",
    },
    Extension {
        suffix: b".lzma",
        format: Format::Lzma,
        replacement: b"",
    },
];

/// The compression extension `name` ends with, if any. Letter case counts, as for gzip on
/// Unix (`gzip -d a.GZ`: "unknown suffix"), so that names map one way only.
fn compression_extension(name: &[u8]) -> Option<&'static Extension> {
    EXTENSIONS
        .iter()
        .find(|extension| name.len() > extension.suffix.len() && name.ends_with(extension.suffix))
}

/// `name` with its compression extension removed (`a.log.gz` → `a.log`, `x.tgz` → `x.tar`).
pub fn strip_compression_extension(name: &OsStr) -> Option<OsString> {
    let bytes = name.as_bytes();
    let extension = compression_extension(bytes)?;
    let mut stripped = bytes[..bytes.len() - extension.suffix.len()].to_vec();
    stripped.extend_from_slice(extension.replacement);
    Some(OsString::from_vec(stripped))
}

/// `--from`: how inputs are decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decoding {
    /// By magic bytes (and `.br` by name).
    Auto,
    /// Never: bytes as they are.
    None,
    /// Always as this format.
    Format(Format),
}

/// `--to`: how outputs are encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Each file in the format it came in, under its own name.
    Keep,
    /// Plain, decoded bytes.
    None,
    /// This format, at this level.
    Format(Format, i32),
}

/// What happens to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FilePlan {
    /// Decode the input as this format.
    pub decode: Option<Format>,
    /// Encode the output as this format, at this level.
    pub encode: Option<(Format, i32)>,
}

impl FilePlan {
    /// Bytes go from input to output untouched (no codec at all).
    pub fn is_copy(&self) -> bool {
        self.decode.is_none() && self.encode.is_none()
    }
}

/// The checked `--from`/`--to`/`--level` of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodecConfig {
    /// `--from`.
    pub decoding: Decoding,
    /// `--to` (with `--level`).
    pub encoding: Encoding,
}

impl Default for CodecConfig {
    fn default() -> Self {
        Self {
            decoding: Decoding::Auto,
            encoding: Encoding::Keep,
        }
    }
}

impl CodecConfig {
    /// Checks `--level` against the output format's own scale.
    pub fn new(
        decoding: Decoding,
        to: Option<Format>,
        keep: bool,
        level: Option<i32>,
    ) -> Result<Self> {
        let encoding = match (to, keep, level) {
            (Some(format), _, level) => {
                let level = level.unwrap_or_else(|| format.default_level());
                let valid = format.levels();
                if !valid.contains(&level) {
                    bail!(
                        "--level {level} is out of range for {} ({}-{})",
                        format.name(),
                        valid.start(),
                        valid.end()
                    );
                }
                Encoding::Format(format, level)
            }
            (None, _, Some(_)) => bail!("--level needs --to gz, zst, xz, bz2, br or lzma"),
            (None, true, None) => Encoding::Keep,
            (None, false, None) => Encoding::None,
        };
        Ok(Self { decoding, encoding })
    }

    /// The format an input is in: by magic bytes (`prefix`), else by its `name`.
    pub fn detect(&self, prefix: &[u8], name: Option<&OsStr>) -> Option<Format> {
        match self.decoding {
            Decoding::None => None,
            Decoding::Format(format) => Some(format),
            // Content first (a misnamed file is what it is), then the name: brotli is known by
            // name only, and a `.gz` without gzip's magic is damaged gzip, which fails when
            // decoded (as it does for `gzip -d`) rather than pass for plain text.
            Decoding::Auto => Format::sniff(prefix).or_else(|| name.and_then(Format::from_name)),
        }
    }

    /// What to do with a file in `detected` format. `transforms` is true when the stage chain
    /// changes bytes, which needs the decoded content even when the format is kept.
    pub fn plan(&self, detected: Option<Format>, transforms: bool) -> FilePlan {
        match self.encoding {
            // The fast path: same format, no transforms: copy the bytes, decode nothing.
            Encoding::Keep if !transforms => FilePlan {
                decode: None,
                encode: None,
            },
            Encoding::Keep => FilePlan {
                decode: detected,
                encode: detected.map(|format| (format, format.default_level())),
            },
            Encoding::None => FilePlan {
                decode: detected,
                encode: None,
            },
            Encoding::Format(format, level) => FilePlan {
                decode: detected,
                encode: Some((format, level)),
            },
        }
    }

    /// The output name of an input called `name`: decoding removes its compression extension,
    /// encoding appends the output format's. It depends on the name alone, never on what is
    /// inside (zstd in an `a.gz` decoded `--to none` is still written as `a`), so that the walker
    /// can see every conflict from names and the setup check can see an output that would
    /// replace its input.
    pub fn output_name(&self, name: &OsStr) -> OsString {
        if self.encoding == Encoding::Keep {
            return name.to_owned();
        }
        let mut output = match self.decoding {
            Decoding::None => name.to_owned(),
            _ => strip_compression_extension(name).unwrap_or_else(|| name.to_owned()),
        };
        if let Encoding::Format(format, _) = self.encoding {
            output.push(".");
            output.push(format.extension());
        }
        output
    }

    /// The encoder of a run that needs the most memory: `--to`'s; with `--to keep` and
    /// `transforms`, a file is encoded again in its own format at its default level, so the
    /// largest of those. `None` when nothing is encoded.
    pub fn largest_encoder(&self, transforms: bool) -> Option<(Format, i32)> {
        match self.encoding {
            Encoding::Format(format, level) => Some((format, level)),
            Encoding::Keep if transforms && self.decoding != Decoding::None => ALL_FORMATS
                .into_iter()
                .map(|format| (format, format.default_level()))
                // Reversed so that a tie (xz and lzma share presets) names the first format.
                .rev()
                .max_by_key(|&(format, level)| encoder_memory(format, level)),
            Encoding::Keep | Encoding::None => None,
        }
    }

    /// Whether two input names can map to one output name (only when names change).
    pub fn can_conflict(&self) -> bool {
        !matches!(self.encoding, Encoding::Keep) && self.decoding != Decoding::None
    }

    /// Other input names in the same directory that would be written under the same output
    /// name as `name` (`a.log` and `a.log.gz` with `--to none`). Empty when names do not change.
    pub fn rivals(&self, name: &OsStr) -> Vec<OsString> {
        if !self.can_conflict() {
            return Vec::new();
        }
        let output = self.output_name(name);
        let base = match self.encoding {
            Encoding::Format(format, _) => {
                let suffix = format!(".{}", format.extension());
                match output.as_bytes().strip_suffix(suffix.as_bytes()) {
                    Some(base) => OsString::from_vec(base.to_vec()),
                    None => return Vec::new(),
                }
            }
            _ => output.clone(),
        };
        let mut candidates = vec![base.clone()];
        for Extension {
            suffix,
            replacement,
            ..
        } in &EXTENSIONS
        {
            let bytes = base.as_bytes();
            let candidate = if replacement.is_empty() {
                [bytes, suffix].concat()
            } else {
                match bytes.strip_suffix(*replacement) {
                    Some(stem) => [stem, suffix].concat(),
                    None => continue,
                }
            };
            candidates.push(OsString::from_vec(candidate));
        }
        candidates
            .into_iter()
            .filter(|candidate| candidate != name && self.output_name(candidate) == output)
            .collect()
    }
}

/// A reader of decoded bytes.
pub type Reader = Box<dyn AsyncBufRead + Unpin + Send>;

/// Wraps `input` in a streaming decoder for `format`. gzip, zstd, xz and bzip2 read every member
/// or frame; brotli and lzma have no members, so anything after their stream is left unread (and
/// reported by the caller as trailing data). Window and memory limits bound what one file may demand.
pub fn decoder(format: Format, input: Reader, input_len: Option<u64>) -> Reader {
    // Logs compress about 4:1 or better; a buffer much larger than the decoded file is waste.
    let capacity = input_len.map_or(DECODED_BUFFER, |len| {
        usize::try_from(len.saturating_mul(4)).unwrap_or(DECODED_BUFFER)
    });
    let capacity = capacity.clamp(MIN_DECODED_BUFFER, DECODED_BUFFER);
    let input = framing::HeadCheck::new(input, format);
    macro_rules! buffered {
        ($decoder:expr, $members:expr) => {{
            let mut decoder = $decoder;
            decoder.multiple_members($members);
            Box::new(BufReader::with_capacity(capacity, decoder))
        }};
    }
    match format {
        Format::Gzip => Box::new(BufReader::with_capacity(
            capacity,
            framing::GzipMembers::new(input),
        )),
        Format::Zstd => {
            let limit = [async_compression::zstd::DParameter::window_log_max(
                ZSTD_WINDOW_LOG_MAX,
            )];
            buffered!(bufread::ZstdDecoder::with_params(input, &limit), true)
        }
        // liblzma's own stream decoder with LZMA_CONCATENATED, as `xz -d` decodes: streams and
        // their padding checked by liblzma (the crate's XzDecoder uses the auto decoder, which
        // takes an LZMA_Alone stream after an xz one, and its own padding loop accepts padding
        // of any length at the end); its threaded decoder for multi-block files (see [`xz`]).
        Format::Xz => Box::new(BufReader::with_capacity(
            capacity,
            xz::XzReader::new(input, input_len, XZ_MEMORY_LIMIT),
        )),
        Format::Bzip2 => buffered!(bufread::BzDecoder::new(input), true),
        Format::Brotli => buffered!(bufread::BrotliDecoder::new(input), false),
        // One stream, no members (`xz --format=lzma -d` reads no more either).
        Format::Lzma => {
            let params = LzmaDecoderParams::Lzma {
                mem_limit: XZ_MEMORY_LIMIT,
            };
            liblzma_decoder(input, params, capacity)
        }
    }
}

/// A liblzma decoder set up as `params` say (in the crate's pass-through LZMA codec), which
/// stops where liblzma says its input ends. A decoder liblzma cannot set up fails the first read.
fn liblzma_decoder(
    input: framing::HeadCheck,
    params: LzmaDecoderParams,
    capacity: usize,
) -> Reader {
    match codecs::Xz2Decoder::try_from(params) {
        Ok(codec) => {
            let codec = codecs::LzmaDecoder::from(codec);
            let mut decoder = bufread::LzmaDecoder::with_codec(input, codec);
            decoder.multiple_members(false);
            Box::new(BufReader::with_capacity(capacity, decoder))
        }
        Err(error) => Box::new(framing::Failed::new(io::Error::other(error))),
    }
}

/// A writer that compresses into `output` as `format` at `level`; `size`, when known, lets a
/// small input use a small zstd window (and so small tables) instead of the level's default.
/// Shut it down exactly once: that writes the format's trailer.
pub fn encoder<'a, W: AsyncWrite + Unpin + Send + 'a>(
    format: Format,
    level: i32,
    size: Option<u64>,
    output: W,
) -> Box<dyn AsyncWrite + Unpin + Send + 'a> {
    let quality = Level::Precise(level);
    match format {
        Format::Gzip => Box::new(write::GzipEncoder::with_quality(output, quality)),
        Format::Zstd => match size.and_then(small_window_log).filter(|_| level >= 10) {
            // Without a pledged size zstd sizes its tables for an endless stream (~80 MiB at
            // level 19) and clamps them to the window only when the size is pledged, which
            // async-compression does not expose: clamp them here. Below level 10 the default
            // tables are a few MiB and are left alone.
            Some(window_log) => {
                use async_compression::zstd::CParameter;
                let tables = window_log + 1;
                let params = [
                    CParameter::window_log(window_log),
                    CParameter::hash_log(tables),
                    CParameter::chain_log(tables),
                ];
                Box::new(write::ZstdEncoder::with_quality_and_params(
                    output, quality, &params,
                ))
            }
            None => Box::new(write::ZstdEncoder::with_quality(output, quality)),
        },
        Format::Xz => Box::new(write::XzEncoder::with_quality(output, quality)),
        Format::Bzip2 => Box::new(write::BzEncoder::with_quality(output, quality)),
        Format::Brotli => Box::new(write::BrotliEncoder::with_quality(output, quality)),
        Format::Lzma => Box::new(write::LzmaEncoder::with_quality(output, quality)),
    }
}

/// The memory one encoder of `format` at `level` needs, in bytes, by level band (the table in
/// the README, "Memory"): at or above the peak RSS measured with one job on a 16 MiB log less
/// that of a plain copy (~10 MiB). xz -7 to -9 fill their dictionaries only on larger files:
/// their figures are xz's own for its presets (lzma uses the same presets). A file smaller than
/// the encoder's window needs less (zstd's window shrinks to fit it); this is for a large file.
pub fn encoder_memory(format: Format, level: i32) -> u64 {
    let mib = match (format, level) {
        (Format::Gzip, _) => 2,
        (Format::Zstd, ..=2) => 3,
        (Format::Zstd, ..=4) => 6,
        (Format::Zstd, ..=8) => 9,
        (Format::Zstd, 9) => 16,
        (Format::Zstd, ..=11) => 27,
        (Format::Zstd, ..=13) => 46,
        (Format::Zstd, ..=18) => 70,
        (Format::Zstd, _) => 91,
        (Format::Xz | Format::Lzma, ..=0) => 4,
        (Format::Xz | Format::Lzma, 1) => 10,
        (Format::Xz | Format::Lzma, 2) => 17,
        (Format::Xz | Format::Lzma, 3) => 32,
        (Format::Xz | Format::Lzma, 4) => 48,
        (Format::Xz | Format::Lzma, ..=6) => 94,
        (Format::Xz | Format::Lzma, 7) => 186,
        (Format::Xz | Format::Lzma, 8) => 370,
        (Format::Xz | Format::Lzma, _) => 674,
        (Format::Bzip2, _) => 8,
        (Format::Brotli, ..=1) => 3,
        (Format::Brotli, ..=3) => 11,
        (Format::Brotli, 4) => 31,
        (Format::Brotli, ..=7) => 40,
        (Format::Brotli, ..=9) => 48,
        (Format::Brotli, 10) => 64,
        (Format::Brotli, _) => 77,
    };
    mib << 20
}

/// A zstd window just large enough for `size` bytes, when that is below every level's default
/// (2^19 for level 1): zstd then shrinks its tables to match, as it does for a pledged size.
fn small_window_log(size: u64) -> Option<u32> {
    const MIN_WINDOW_LOG: u32 = 10;
    const SMALLEST_DEFAULT: u32 = 19;
    let needed = u64::BITS - size.saturating_sub(1).leading_zeros();
    (needed < SMALLEST_DEFAULT).then_some(needed.max(MIN_WINDOW_LOG))
}

/// What a failed read of a decoded stream means for the user: the file's own I/O error, a
/// truncated stream, or data that is not valid `format`. `decoded` bytes came out before the
/// error: after a complete member, bad data is trailing garbage, and the count says where.
pub fn describe_read_error(
    format: Option<Format>,
    error: io::Error,
    decoded: u64,
) -> anyhow::Error {
    // OS errors and a file that shrank are the input's, not the format's.
    let input_error = error.raw_os_error().is_some() || crate::input::is_shrank(&error);
    let Some(format) = format.filter(|_| !input_error) else {
        return anyhow::Error::new(error).context("read error");
    };
    if let Some(message) = framing::Rejected::message(&error) {
        return anyhow!("{message}");
    }
    let name = format.name();
    match error.kind() {
        io::ErrorKind::UnexpectedEof => anyhow!("truncated {name} stream"),
        _ if decoded > 0 => anyhow!("invalid {name} data after {decoded} decoded bytes: {error}"),
        _ if format == Format::Zstd => anyhow!("invalid zstd frame: {error}"),
        _ => anyhow!("invalid {name} data: {error}"),
    }
}

/// Passes writes through (counting them) but ignores shutdown: an encoder's shutdown must
/// write the trailer, not finish the file, which the atomic commit does.
pub struct KeepOpen<'a> {
    /// The output.
    pub inner: &'a mut (dyn AsyncWrite + Unpin + Send),
    /// Bytes written so far.
    pub written: &'a mut u64,
    /// Hashes what is written (`convert --manifest`); runs where the writer runs, which is a
    /// pool lane, never a runtime worker.
    pub hasher: Option<&'a mut blake3::Hasher>,
}

impl AsyncWrite for KeepOpen<'_> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut *self.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(written)) = polled {
            *self.written += written as u64;
            if let Some(hasher) = &mut self.hasher {
                hasher.update(&buf[..written]);
            }
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    #[test]
    fn magic_bytes_name_the_format() {
        assert_eq!(Format::sniff(&[0x1f, 0x8b, 8, 0]), Some(Format::Gzip));
        assert_eq!(
            Format::sniff(&[0x28, 0xb5, 0x2f, 0xfd, 0]),
            Some(Format::Zstd)
        );
        assert_eq!(Format::sniff(b"\xfd7zXZ\0"), Some(Format::Xz));
        assert_eq!(Format::sniff(b"BZh91AY&SY"), Some(Format::Bzip2));
        assert_eq!(
            Format::sniff(b"BZh9\x17\x72\x45\x38\x50\x90"),
            Some(Format::Bzip2)
        );
        assert_eq!(Format::sniff(b"BZh9"), None);
        assert!(Format::may_become_magic(&[0x1f]) && Format::may_become_magic(b"BZh9"));
        assert!(!Format::may_become_magic(b"foo\n") && !Format::may_become_magic(&[0x1f, 0x8b]));
        assert_eq!(Format::sniff(b"BZh0"), None);
        assert_eq!(
            Format::sniff(&[0x50, 0x2a, 0x4d, 0x18, 4, 0, 0, 0]),
            Some(Format::Zstd)
        );
        assert_eq!(Format::sniff(b"2026-11-21 log line"), None);
        assert_eq!(Format::sniff(&[0x1f]), None);
    }

    #[test]
    fn names_follow_decoding_and_encoding() {
        let to_none = CodecConfig::new(Decoding::Auto, None, false, None).unwrap();
        assert_eq!(to_none.output_name(OsStr::new("app.log.gz")), "app.log");
        assert_eq!(
            to_none.output_name(OsStr::new("access.log.1")),
            "access.log.1"
        );
        assert_eq!(to_none.output_name(OsStr::new("backup.tgz")), "backup.tar");
        assert_eq!(to_none.output_name(OsStr::new("upper.GZ")), "upper.GZ");
        assert_eq!(to_none.output_name(OsStr::new(".gz")), ".gz");

        let to_zst = CodecConfig::new(Decoding::Auto, Some(Format::Zstd), false, None).unwrap();
        assert_eq!(to_zst.output_name(OsStr::new("app.log.gz")), "app.log.zst");
        assert_eq!(to_zst.output_name(OsStr::new("app.log")), "app.log.zst");

        let raw = CodecConfig::new(Decoding::None, Some(Format::Gzip), false, None).unwrap();
        assert_eq!(raw.output_name(OsStr::new("app.log.gz")), "app.log.gz.gz");

        let keep = CodecConfig::default();
        assert!(keep.plan(Some(Format::Gzip), false).is_copy());
        assert_eq!(keep.output_name(OsStr::new("app.log.gz")), "app.log.gz");
    }

    #[test]
    fn encoder_memory_grows_with_the_level_and_the_largest_default_is_xz() {
        for format in ALL_FORMATS {
            let levels: Vec<u64> = format
                .levels()
                .map(|level| encoder_memory(format, level))
                .collect();
            assert!(levels.is_sorted(), "{format:?}: {levels:?}");
        }
        assert_eq!(encoder_memory(Format::Xz, 9), 674 << 20);
        let keep = CodecConfig::default();
        assert_eq!(keep.largest_encoder(false), None);
        assert_eq!(keep.largest_encoder(true), Some((Format::Xz, 6)));
        let to_xz = CodecConfig::new(Decoding::Auto, Some(Format::Xz), false, Some(9)).unwrap();
        assert_eq!(to_xz.largest_encoder(false), Some((Format::Xz, 9)));
        let to_none = CodecConfig::new(Decoding::Auto, None, false, None).unwrap();
        assert_eq!(to_none.largest_encoder(true), None);
    }

    #[test]
    fn small_inputs_get_small_zstd_windows() {
        assert_eq!(small_window_log(0), Some(10));
        assert_eq!(small_window_log(12), Some(10));
        assert_eq!(small_window_log(4096), Some(12));
        assert_eq!(small_window_log(4097), Some(13));
        assert_eq!(small_window_log(1 << 18), Some(18));
        assert_eq!(small_window_log((1 << 18) + 1), None);
    }

    #[test]
    fn rivals_are_the_other_names_for_the_same_output() {
        let to_none = CodecConfig::new(Decoding::Auto, None, false, None).unwrap();
        assert_eq!(
            to_none.rivals(OsStr::new("a.log")),
            names(&[
                "a.log.gz",
                "a.log.zst",
                "a.log.xz",
                "a.log.bz2",
                "a.log.br",
                "a.log.lzma"
            ])
        );
        assert_eq!(
            to_none.rivals(OsStr::new("a.log.gz")),
            names(&[
                "a.log",
                "a.log.zst",
                "a.log.xz",
                "a.log.bz2",
                "a.log.br",
                "a.log.lzma"
            ])
        );
        assert!(
            to_none
                .rivals(OsStr::new("x.tar"))
                .contains(&OsString::from("x.tgz"))
        );

        let to_gz = CodecConfig::new(Decoding::Auto, Some(Format::Gzip), false, None).unwrap();
        assert!(
            to_gz
                .rivals(OsStr::new("a.log.zst"))
                .contains(&OsString::from("a.log"))
        );
        assert!(
            to_gz
                .rivals(OsStr::new("a.log.zst"))
                .contains(&OsString::from("a.log.gz"))
        );
        assert!(
            CodecConfig::default()
                .rivals(OsStr::new("a.log"))
                .is_empty()
        );
    }

    #[test]
    fn levels_are_checked_on_the_formats_own_scale() {
        let error =
            CodecConfig::new(Decoding::Auto, Some(Format::Gzip), false, Some(12)).unwrap_err();
        assert_eq!(
            error.to_string(),
            "--level 12 is out of range for gzip (1-9)"
        );
        assert!(CodecConfig::new(Decoding::Auto, Some(Format::Zstd), false, Some(19)).is_ok());
        let error =
            CodecConfig::new(Decoding::Auto, Some(Format::Zstd), false, Some(20)).unwrap_err();
        assert_eq!(
            error.to_string(),
            "--level 20 is out of range for zstd (1-19)"
        );
        let error = CodecConfig::new(Decoding::Auto, None, true, Some(3)).unwrap_err();
        assert_eq!(
            error.to_string(),
            "--level needs --to gz, zst, xz, bz2, br or lzma"
        );
    }

    #[test]
    fn decode_errors_name_the_format() {
        let eof = io::Error::new(io::ErrorKind::UnexpectedEof, "eof");
        assert_eq!(
            describe_read_error(Some(Format::Gzip), eof, 0).to_string(),
            "truncated gzip stream"
        );
        let os = io::Error::from_raw_os_error(5);
        assert_eq!(
            format!("{:#}", describe_read_error(Some(Format::Gzip), os, 0)),
            "read error: Input/output error (os error 5)"
        );
    }
}
