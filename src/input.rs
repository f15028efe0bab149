//! Reading large inputs: a reader that keeps the next chunk's read in flight on tokio's blocking
//! pool while the caller works on the current one.
//!
//! `tokio::fs::File` reads on request: each `fill_buf` waits for a blocking read, so the time to
//! copy a file out of the page cache adds to the time spent decoding, filtering or hashing it.
//! [`Prefetch`] overlaps the two (two buffers per file: the one being worked on, the one being
//! filled), and reads straight into the buffer it hands out, without `tokio::fs::File`'s
//! intermediate copy.

use std::fs::File;
use std::future::Future as _;
use std::io::{self, Read};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncBufRead, AsyncRead, ReadBuf};
use tokio::task::JoinHandle;

/// A read on the blocking pool: the file and the buffer travel there and back.
type ReadAhead = JoinHandle<io::Result<(File, Vec<u8>)>>;

/// A buffered reader over a blocking file that reads one chunk ahead.
pub struct Prefetch {
    /// The chunk being handed out, and how much of it was consumed.
    current: Vec<u8>,
    consumed: usize,
    /// The read in flight.
    next: Option<ReadAhead>,
    /// Bytes still to read (`None`: read to the end of the file).
    left: Option<u64>,
    chunk: usize,
    done: bool,
}

impl Prefetch {
    /// Starts reading `file` in chunks of `chunk` bytes: at most `limit` bytes (the size it had
    /// when opened; `None` to read to its end). Must be called on the runtime.
    pub fn new(file: File, chunk: usize, limit: Option<u64>) -> Self {
        let mut reader = Self {
            current: Vec::new(),
            consumed: 0,
            next: None,
            left: limit,
            chunk,
            done: false,
        };
        reader.read_ahead(file, Vec::with_capacity(chunk));
        reader
    }

    /// Sends the next read to the blocking pool, into `buffer`.
    fn read_ahead(&mut self, file: File, mut buffer: Vec<u8>) {
        let want = match self.left {
            Some(left) => usize::try_from(left).unwrap_or(usize::MAX).min(self.chunk),
            None => self.chunk,
        };
        if want == 0 {
            self.done = true;
            return;
        }
        self.next = Some(tokio::task::spawn_blocking(move || {
            buffer.resize(want, 0);
            let mut file = file;
            let mut filled = 0;
            while filled < want {
                match file.read(&mut buffer[filled..]) {
                    Ok(0) => break,
                    Ok(read) => filled += read,
                    Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                    Err(error) => return Err(error),
                }
            }
            buffer.truncate(filled);
            Ok((file, buffer))
        }));
    }
}

impl AsyncBufRead for Prefetch {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let this = self.get_mut();
        if this.consumed == this.current.len() && !this.done {
            let Some(next) = this.next.as_mut() else {
                this.done = true;
                return Poll::Ready(Ok(&[]));
            };
            let joined = ready!(Pin::new(next).poll(cx));
            this.next = None;
            let (file, filled) = match joined {
                Ok(result) => result?,
                Err(error) => return Poll::Ready(Err(io::Error::other(error))),
            };
            let spare = std::mem::replace(&mut this.current, filled);
            this.consumed = 0;
            let read = this.current.len() as u64;
            if let Some(left) = &mut this.left {
                *left -= read.min(*left);
            }
            if read == 0 {
                this.done = true;
            } else {
                // The chunk just read goes to the caller; the next one is read meanwhile.
                this.read_ahead(file, spare);
            }
        }
        Poll::Ready(Ok(&this.current[this.consumed..]))
    }

    fn consume(self: Pin<&mut Self>, amount: usize) {
        let this = self.get_mut();
        this.consumed = (this.consumed + amount).min(this.current.len());
    }
}

impl AsyncRead for Prefetch {
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

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    async fn read_all(reader: &mut Prefetch) -> Vec<u8> {
        let mut out = Vec::new();
        reader.read_to_end(&mut out).await.unwrap();
        out
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn reads_everything_or_up_to_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data");
        let data: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &data).unwrap();
        for chunk in [1, 7, 4096, 20_000] {
            let mut whole = Prefetch::new(File::open(&path).unwrap(), chunk, None);
            assert_eq!(read_all(&mut whole).await, data, "chunk {chunk}");
            let mut limited = Prefetch::new(File::open(&path).unwrap(), chunk, Some(5_000));
            assert_eq!(
                read_all(&mut limited).await,
                &data[..5_000],
                "chunk {chunk}"
            );
        }
        let mut empty = Prefetch::new(File::open(&path).unwrap(), 64, Some(0));
        assert_eq!(read_all(&mut empty).await, b"");
    }
}
