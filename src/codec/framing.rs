//! What async-compression's decoders leave unchecked and the reference tools check: that an
//! input starts with its format's magic bytes (and is not empty), whether the format came from
//! the file's name or from `--from`; that no gzip member sets reserved header flags (RFC 1952);
//! and what may follow the last gzip member: zero bytes (padding from tapes and preallocated
//! storage, which `gzip -d` accepts), nothing else.
//!
//! [`HeadCheck`] sits between the raw input and a decoder and looks at the first bytes as they
//! pass, before the decoder has made anything of them; it copies at most [`MAGIC_LEN`] bytes, so
//! decoding stays streaming, in one pass. [`GzipMembers`] runs one crate decoder per member
//! and looks between members itself.

use std::fmt;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use async_compression::tokio::bufread::GzipDecoder;
use tokio::io::{AsyncBufRead, AsyncRead, ReadBuf};

use super::{Format, MAGIC_LEN, Reader};

/// A decode error worded in full here (`not gzip data (bad magic bytes)`): the message is the
/// whole cause, passed on as it is.
#[derive(Debug)]
pub struct Rejected(String);

impl fmt::Display for Rejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Rejected {}

impl Rejected {
    /// The message of `error` when it is one of ours.
    pub fn message(error: &io::Error) -> Option<&str> {
        let rejected = error.get_ref()?.downcast_ref::<Rejected>()?;
        Some(&rejected.0)
    }

    fn error(message: String) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, Rejected(message))
    }
}

/// gzip's FLG byte: its offset in a member header, and the bits RFC 1952 reserves (must be 0).
const GZIP_FLG: usize = 3;
const GZIP_RESERVED_FLAGS: u8 = 0xe0;

/// A reader that checks the first bytes of an input for `format`'s magic before passing them
/// on: an empty input and one that starts otherwise fail, in asyncfiles' words. For gzip it
/// also checks each member's header flags.
pub struct HeadCheck {
    inner: Reader,
    format: Format,
    /// At the start of the input (magic checked), not of a later gzip member.
    first: bool,
    /// The first bytes seen so far (`seen` of them), and how many were consumed.
    head: [u8; MAGIC_LEN],
    seen: usize,
    consumed: usize,
    checked: bool,
}

/// What the bytes seen so far say.
enum Verdict {
    /// Not enough bytes yet.
    Wait,
    Good,
    Bad(io::Error),
}

impl HeadCheck {
    /// Checks the start of `inner` as `format`.
    pub fn new(inner: Reader, format: Format) -> Self {
        Self {
            inner,
            format,
            first: true,
            head: [0; MAGIC_LEN],
            seen: 0,
            consumed: 0,
            checked: false,
        }
    }

    /// Starts over at the next gzip member (whose magic the decoder checks).
    fn next_member(&mut self) {
        self.first = false;
        self.seen = 0;
        self.consumed = 0;
        self.checked = false;
    }
}

/// What the first bytes of a `format` stream (or gzip member), `head`, say; `at_end` when no
/// more will come.
fn verdict(format: Format, head: &[u8], first: bool, at_end: bool) -> Verdict {
    let name = format.name();
    if first && head.is_empty() && at_end {
        return Verdict::Bad(Rejected::error(format!("not {name} data (empty file)")));
    }
    if first && !format.signature_matches(head, false) {
        return Verdict::Bad(Rejected::error(format!(
            "not {name} data (bad magic bytes)"
        )));
    }
    let mut needed = 1;
    if first {
        let longest = format.signatures().iter().map(|signature| signature.len());
        needed = longest.max().unwrap_or(0).max(needed);
    }
    // A later member that is no gzip at all is the decoder's to report (trailing garbage).
    if format == Format::Gzip && format.signature_matches(head, false) {
        if let Some(&flags) = head
            .get(GZIP_FLG)
            .filter(|&&flags| flags & GZIP_RESERVED_FLAGS != 0)
        {
            return Verdict::Bad(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "reserved header flags set (0x{:02x})",
                    flags & GZIP_RESERVED_FLAGS
                ),
            ));
        }
        needed = needed.max(GZIP_FLG + 1);
    }
    // A stream cut inside its first bytes is left to the decoder: truncated.
    if head.len() >= needed || at_end {
        Verdict::Good
    } else {
        Verdict::Wait
    }
}

impl AsyncBufRead for HeadCheck {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let this = self.get_mut();
        let chunk = ready!(Pin::new(&mut this.inner).poll_fill_buf(cx))?;
        if !this.checked {
            // The chunk starts at `consumed`; bytes shown again are the same bytes.
            let start = this.consumed.min(MAGIC_LEN);
            let copied = chunk.len().min(MAGIC_LEN - start);
            this.head[start..start + copied].copy_from_slice(&chunk[..copied]);
            this.seen = this.seen.max(start + copied);
            let head = &this.head[..this.seen];
            match verdict(this.format, head, this.first, chunk.is_empty()) {
                Verdict::Wait => {}
                Verdict::Good => this.checked = true,
                Verdict::Bad(error) => return Poll::Ready(Err(error)),
            }
        }
        Poll::Ready(Ok(chunk))
    }

    fn consume(mut self: Pin<&mut Self>, amount: usize) {
        self.consumed = self.consumed.saturating_add(amount);
        Pin::new(&mut self.inner).consume(amount);
    }
}

impl AsyncRead for HeadCheck {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        crate::input::poll_read_buffered(self, cx, buf)
    }
}

/// Decodes every gzip member of an input, one crate decoder each, and between members accepts
/// zero bytes up to the end (as `gzip -d` does) but nothing else after them. The crate's own
/// member loop treats padding as a bad header.
pub struct GzipMembers {
    state: Members,
    /// Zero bytes were skipped: only more of them, or the end, may follow.
    padded: bool,
}

enum Members {
    // Boxed: a member's decoder (its inflate state) is large, the rest small.
    Decoding(Box<GzipDecoder<HeadCheck>>),
    Between(HeadCheck),
    Done,
}

impl GzipMembers {
    /// Decodes `input`, checked from its first byte.
    pub fn new(input: HeadCheck) -> Self {
        Self {
            state: Members::Decoding(member(input)),
            padded: false,
        }
    }

    /// After a member: the end, padding, or the next member.
    fn between(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let Members::Between(input) = &mut self.state else {
            return Poll::Ready(Ok(()));
        };
        let chunk = ready!(Pin::new(&mut *input).poll_fill_buf(cx))?;
        let zeros = chunk.iter().take_while(|&&byte| byte == 0).count();
        let (empty, all_zeros) = (chunk.is_empty(), zeros == chunk.len());
        if empty {
            self.state = Members::Done;
            return Poll::Ready(Ok(()));
        }
        if zeros > 0 {
            Pin::new(&mut *input).consume(zeros);
            self.padded = true;
        }
        if all_zeros {
            return Poll::Ready(Ok(()));
        }
        if self.padded {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "non-zero bytes after zero padding",
            )));
        }
        let Members::Between(mut input) = std::mem::replace(&mut self.state, Members::Done) else {
            unreachable!("matched above");
        };
        input.next_member();
        self.state = Members::Decoding(member(input));
        Poll::Ready(Ok(()))
    }
}

/// A decoder for one member: it stops at the member's end and leaves the rest unread.
fn member(input: HeadCheck) -> Box<GzipDecoder<HeadCheck>> {
    let mut decoder = GzipDecoder::new(input);
    decoder.multiple_members(false);
    Box::new(decoder)
}

impl AsyncRead for GzipMembers {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if buf.remaining() == 0 {
            return Poll::Ready(Ok(()));
        }
        loop {
            match &mut self.state {
                Members::Decoding(decoder) => {
                    let before = buf.filled().len();
                    ready!(Pin::new(&mut **decoder).poll_read(cx, buf))?;
                    if buf.filled().len() > before {
                        return Poll::Ready(Ok(()));
                    }
                    // The member ended (nothing read into a buffer with room).
                    let Members::Decoding(decoder) =
                        std::mem::replace(&mut self.state, Members::Done)
                    else {
                        unreachable!("matched above");
                    };
                    self.state = Members::Between(decoder.into_inner());
                }
                Members::Between(_) => {
                    ready!(self.between(cx))?;
                }
                Members::Done => return Poll::Ready(Ok(())),
            }
        }
    }
}

/// A reader whose first read fails with the error a decoder could not be set up with.
pub struct Failed(Option<io::Error>);

impl Failed {
    /// Fails with `error`, then ends.
    pub fn new(error: io::Error) -> Self {
        Self(Some(error))
    }
}

impl AsyncBufRead for Failed {
    fn poll_fill_buf(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        Poll::Ready(match self.get_mut().0.take() {
            Some(error) => Err(error),
            None => Ok(&[]),
        })
    }

    fn consume(self: Pin<&mut Self>, _: usize) {}
}

impl AsyncRead for Failed {
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        _: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Poll::Ready(self.get_mut().0.take().map_or(Ok(()), Err))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt as _;

    /// `bytes` decoded as `format`, read one byte at a time (every boundary falls everywhere).
    async fn decode_bytewise(format: Format, bytes: &[u8]) -> io::Result<Vec<u8>> {
        let raw = tokio::io::BufReader::with_capacity(1, std::io::Cursor::new(bytes.to_vec()));
        let mut decoder = super::super::decoder(format, Box::new(raw), None);
        let mut out = Vec::new();
        decoder.read_to_end(&mut out).await.map(|_| out)
    }

    fn gzip(text: &[u8]) -> Vec<u8> {
        use std::io::Write as _;
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(text).unwrap();
        encoder.finish().unwrap()
    }

    #[tokio::test]
    async fn gzip_members_padding_and_flags_are_checked_across_any_boundary() {
        let (one, two) = (gzip(b"one\n"), gzip(b"two\n"));
        let padded = [one.clone(), two.clone(), vec![0; 9]].concat();
        assert_eq!(
            decode_bytewise(Format::Gzip, &padded).await.unwrap(),
            b"one\ntwo\n"
        );
        let mut flagged = two.clone();
        flagged[GZIP_FLG] |= 0x40;
        let error = decode_bytewise(Format::Gzip, &[one.clone(), flagged].concat())
            .await
            .unwrap_err();
        assert_eq!(error.to_string(), "reserved header flags set (0x40)");
        let error = decode_bytewise(Format::Gzip, &[one, vec![0, 1]].concat())
            .await
            .unwrap_err();
        assert_eq!(error.to_string(), "non-zero bytes after zero padding");
        let error = decode_bytewise(Format::Xz, b"").await.unwrap_err();
        assert_eq!(error.to_string(), "not xz data (empty file)");
        let error = decode_bytewise(Format::Zstd, &[0x28, 0xb5, 0x2f, 0xfe])
            .await
            .unwrap_err();
        assert_eq!(error.to_string(), "not zstd data (bad magic bytes)");
    }
}
