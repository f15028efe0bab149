//! What async-compression's decoders leave unchecked and the reference tools check: that an
//! input starts with its format's magic bytes (and is not empty), whether the format came from
//! the file's name or from `--from`.
//!
//! [`HeadCheck`] sits between the raw input and a decoder and looks at the first bytes as they
//! pass, before the decoder has made anything of them; it copies at most [`MAGIC_LEN`] bytes, so
//! decoding stays streaming, in one pass.

use std::fmt;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

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

/// A reader that checks the first bytes of an input for `format`'s magic before passing them
/// on: an empty input and one that starts otherwise fail, in asyncfiles' words.
pub struct HeadCheck {
    inner: Reader,
    format: Format,
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
    Bad(String),
}

impl HeadCheck {
    /// Checks the start of `inner` as `format`.
    pub fn new(inner: Reader, format: Format) -> Self {
        Self {
            inner,
            format,
            head: [0; MAGIC_LEN],
            seen: 0,
            consumed: 0,
            checked: false,
        }
    }
}

/// What the first bytes of a `format` stream, `head`, say; `at_end` when no more will come.
fn verdict(format: Format, head: &[u8], at_end: bool) -> Verdict {
    let name = format.name();
    if head.is_empty() && at_end {
        return Verdict::Bad(format!("not {name} data (empty file)"));
    }
    if !format.signature_matches(head, false) {
        return Verdict::Bad(format!("not {name} data (bad magic bytes)"));
    }
    let needed = format
        .signatures()
        .iter()
        .map(|signature| signature.len())
        .max()
        .unwrap_or(0)
        .max(1);
    // A stream cut inside its magic bytes is left to the decoder: truncated.
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
            match verdict(this.format, &this.head[..this.seen], chunk.is_empty()) {
                Verdict::Wait => {}
                Verdict::Good => this.checked = true,
                Verdict::Bad(message) => return Poll::Ready(Err(Rejected::error(message))),
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
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let available = ready!(self.as_mut().poll_fill_buf(cx))?;
        let take = available.len().min(buf.remaining());
        buf.put_slice(&available[..take]);
        self.consume(take);
        Poll::Ready(Ok(()))
    }
}
