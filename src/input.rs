//! Where input bytes come from: opening a source file (with what its output keeps of it), its
//! first chunk (all of a small file), and for the rest of a large one a reader that keeps the next
//! chunk's read in flight on tokio's blocking pool while the caller works on the current one.
//!
//! `tokio::fs::File` reads on request: each `fill_buf` waits for a blocking read, so the time to
//! copy a file out of the page cache adds to the time spent decoding, filtering or hashing it.
//! [`Prefetch`] overlaps the two (two buffers per file: the one being worked on, the one being
//! filled), and reads straight into the buffer it hands out, without `tokio::fs::File`'s
//! intermediate copy.

use std::fs::{File, OpenOptions};
use std::future::Future as _;
use std::io::{self, Read};
use std::os::fd::AsRawFd as _;
use std::os::unix::fs::OpenOptionsExt;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, ready};

use anyhow::{Context as _, bail};
use tokio::io::{AsyncBufRead, AsyncRead, ReadBuf};
use tokio::task::JoinHandle;

use crate::codec::{self, Reader};
use crate::output::SourceMeta;

/// Smallest and largest I/O buffer per file. Every `tokio::fs` call is a trip to the blocking
/// pool, so a trip should move as much as possible; small files get small buffers so that 10,000
/// files do not each allocate a megabyte.
pub const MIN_BUFFER: usize = 64 * 1024;
pub const MAX_BUFFER: usize = 1024 * 1024;

/// An input as the open trip leaves it.
pub enum Opened {
    /// The whole file (up to its size when opened) was read; it is already closed.
    Whole(Vec<u8>),
    /// Its first chunk, and the open file for the rest.
    Partial(Vec<u8>, File),
    /// A stream (standard input or a named pipe, see [`open_stream`]): nothing read yet.
    Stream(Reader),
}

impl Opened {
    /// The first bytes, for magic detection (empty for a stream, which is peeked at later).
    pub fn prefix(&self) -> &[u8] {
        let chunk = match self {
            Opened::Whole(chunk) | Opened::Partial(chunk, _) => chunk.as_slice(),
            Opened::Stream(_) => &[],
        };
        &chunk[..chunk.len().min(codec::MAGIC_LEN)]
    }

    /// Reads up to one buffer of `file` (whose size was `len` when opened). Blocking.
    pub fn read_first_chunk(file: File, len: u64) -> anyhow::Result<Self> {
        // Size 0 may mean "unknown" (`/proc`): read a buffer's worth and see.
        let want = if len > 0 {
            buffer_size(Some(len)).min(len as usize)
        } else {
            MAX_BUFFER
        };
        let mut chunk = Vec::new();
        if len > 0 {
            // Reads of exactly what is left (`read_to_end` would start at 8 KiB and grow: two
            // reads for most logs).
            chunk.resize(want, 0);
            let mut filled = 0;
            while filled < want {
                match (&file).read(&mut chunk[filled..]) {
                    // Fewer bytes than the size seen at open (and no more than it is ever read):
                    // the file was cut short before or while this chunk was read.
                    Ok(0) => return Err(anyhow::Error::new(shrank()).context("read error")),
                    Ok(read) => filled += read,
                    Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(error) => return Err(anyhow::Error::new(error).context("read error")),
                }
            }
        } else {
            (&file)
                .take(want as u64)
                .read_to_end(&mut chunk)
                .context("read error")?;
        }
        count_started(len);
        throttle(chunk.len());
        // With a known size, `want` bytes were read: all of the file when that is its size.
        let complete = chunk.len() < want || (len > 0 && chunk.len() as u64 >= len);
        Ok(if complete {
            Self::Whole(chunk)
        } else {
            Self::Partial(chunk, file)
        })
    }
}

/// Opens a regular file for reading, with what the output keeps of it. Blocking.
pub fn open_source(path: &std::path::Path) -> anyhow::Result<(File, SourceMeta)> {
    if let Some(fault) = injected_fault(path) {
        return Err(anyhow::Error::new(fault).context("cannot open"));
    }
    // O_NONBLOCK: should the file have been replaced by a FIFO since the walk saw it, the open
    // must not hang waiting for a writer. It has no effect on regular files.
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .context("cannot open")?;
    let meta = file.metadata().context("cannot read metadata")?;
    if !meta.is_file() {
        bail!("not a regular file");
    }
    injected_truncation(path)?;
    Ok((file, SourceMeta::from_metadata(&meta)))
}

/// Longest wait for a named pipe's writer before the cancellation token is looked at again.
const WRITER_POLL_MS: libc::c_int = 100;

/// Opens a stream, read once and as it comes like standard input (no size known ahead, no retry,
/// its format found by peeking at its first bytes): standard input for `-`, else the named pipe
/// given on the command line at `path` (waiting, as `cat` does, for a writer, unless the run is
/// cancelled meanwhile: then `None`). Blocking.
pub fn open_stream(
    path: &std::path::Path,
    cancel: &tokio_util::sync::CancellationToken,
) -> anyhow::Result<Option<Reader>> {
    if path.as_os_str() == "-" {
        let stdin = tokio::io::stdin();
        return Ok(Some(Box::new(tokio::io::BufReader::with_capacity(
            MAX_BUFFER, stdin,
        ))));
    }
    let Some(pipe) = open_pipe(path, cancel).context("cannot open")? else {
        return Ok(None);
    };
    let mut pipe = tokio::fs::File::from_std(pipe);
    pipe.set_max_buf_size(MAX_BUFFER);
    Ok(Some(Box::new(tokio::io::BufReader::with_capacity(
        MAX_BUFFER, pipe,
    ))))
}

/// Opens the pipe at `path` and waits until it has a writer (or data, or its end) as a blocking
/// open would, but looks at `cancel` every [`WRITER_POLL_MS`]: a signal must end a run whose
/// pipe never gets a writer, and a blocking open is out of its reach. `None` when cancelled.
/// Blocking.
fn open_pipe(
    path: &std::path::Path,
    cancel: &tokio_util::sync::CancellationToken,
) -> io::Result<Option<File>> {
    // O_NONBLOCK: the open returns at once, writer or not.
    let pipe = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)?;
    let fd = pipe.as_raw_fd();
    loop {
        if cancel.is_cancelled() {
            return Ok(None);
        }
        let mut wanted = libc::pollfd {
            fd,
            events: libc::POLLIN | libc::POLLHUP,
            revents: 0,
        };
        // SAFETY: poll(2) on one pollfd that lives across the call, for a descriptor we own.
        match unsafe { libc::poll(&mut wanted, 1, WRITER_POLL_MS) } {
            // Nothing yet: Linux reports POLLHUP on a FIFO only once a writer came and went, so
            // this means no writer so far (or one that has not written).
            0 => {}
            -1 => {
                let error = io::Error::last_os_error();
                if error.kind() != io::ErrorKind::Interrupted {
                    return Err(error);
                }
            }
            _ => break,
        }
    }
    // From here on reads wait for data, as a pipe's reader does.
    // SAFETY: fcntl(2) on a descriptor we own, no pointers.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    // SAFETY: as above.
    if flags == -1 || unsafe { libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK) } == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(Some(pipe))
}

/// A buffer as large as the file (plus one byte, so one read also sees the end), within bounds.
pub fn buffer_size(len: Option<u64>) -> usize {
    len.map_or(MAX_BUFFER, |len| {
        usize::try_from(len.saturating_add(1)).unwrap_or(MAX_BUFFER)
    })
    .clamp(MIN_BUFFER, MAX_BUFFER)
}

/// `raw` decoded as `format` (read as it is for `None`), and the count of raw bytes it has
/// handed out (what a summary reports as bytes in, whatever the decoder makes of them).
pub fn counted_decoder(
    raw: Reader,
    format: Option<codec::Format>,
    size: Option<u64>,
) -> (Reader, Arc<AtomicU64>) {
    let count = Arc::new(AtomicU64::new(0));
    let raw: Reader = Box::new(CountingReader {
        inner: raw,
        count: count.clone(),
    });
    let reader = match format {
        Some(format) => codec::decoder(format, raw, size),
        None => raw,
    };
    (reader, count)
}

/// Counts the raw bytes a reader hands out (what the summary reports as bytes in, whatever
/// the decoder makes of them).
pub struct CountingReader {
    /// The reader counted.
    pub inner: Reader,
    /// Bytes handed out so far.
    pub count: Arc<AtomicU64>,
}

impl AsyncRead for CountingReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        let read = buf.filled().len() - before;
        self.count.fetch_add(read as u64, Ordering::Relaxed);
        polled
    }
}

impl AsyncBufRead for CountingReader {
    fn poll_fill_buf(
        self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<&[u8]>> {
        Pin::new(&mut self.get_mut().inner).poll_fill_buf(cx)
    }

    fn consume(mut self: Pin<&mut Self>, amt: usize) {
        self.count.fetch_add(amt as u64, Ordering::Relaxed);
        Pin::new(&mut self.inner).consume(amt);
    }
}

/// Reads the first [`codec::MAGIC_LEN`] bytes of `raw` (fewer at its end; a pipe may deliver
/// them one at a time) and puts them back in front. `None` when the run was cancelled first.
pub async fn peek_magic(
    mut raw: Reader,
    cancel: &tokio_util::sync::CancellationToken,
) -> io::Result<Option<(Reader, Vec<u8>)>> {
    use tokio::io::AsyncBufReadExt as _;
    let mut prefix = Vec::with_capacity(codec::MAGIC_LEN);
    while prefix.len() < codec::MAGIC_LEN {
        let chunk = tokio::select! {
            biased;
            () = cancel.cancelled() => return Ok(None),
            chunk = raw.fill_buf() => chunk?,
        };
        if chunk.is_empty() {
            break;
        }
        let take = chunk.len().min(codec::MAGIC_LEN - prefix.len());
        prefix.extend_from_slice(&chunk[..take]);
        raw.consume(take);
        if !codec::Format::may_become_magic(&prefix) {
            break;
        }
    }
    let again = std::io::Cursor::new(prefix.clone());
    Ok(Some((
        Box::new(tokio::io::AsyncReadExt::chain(again, raw)),
        prefix,
    )))
}

/// Test-only fault injection (see the README's "Testing only"): `SUBSTRING:COUNT` makes the first
/// COUNT opens of files whose path contains SUBSTRING fail with a transient error (ESTALE, as a
/// network file system gives); `SUBSTRING:COUNT:permanent` with a permanent one (EACCES).
pub const TEST_FAULT_ENV: &str = "ASYNCFILES_TEST_FAULT";

struct Fault {
    substring: String,
    count: u64,
    permanent: bool,
    given: AtomicU64,
}

static FAULT: std::sync::LazyLock<Option<Fault>> = std::sync::LazyLock::new(|| {
    let spec = std::env::var(TEST_FAULT_ENV).ok()?;
    let mut parts = spec.split(':');
    let substring = parts.next()?.to_owned();
    let count = parts.next()?.parse().ok()?;
    let permanent = parts.next() == Some("permanent");
    Some(Fault {
        substring,
        count,
        permanent,
        given: AtomicU64::new(0),
    })
});

fn injected_fault(path: &std::path::Path) -> Option<io::Error> {
    let fault = FAULT.as_ref()?;
    if !path.to_string_lossy().contains(&fault.substring) {
        return None;
    }
    if fault.given.fetch_add(1, Ordering::Relaxed) >= fault.count {
        return None;
    }
    Some(io::Error::from_raw_os_error(if fault.permanent {
        libc::EACCES
    } else {
        libc::ESTALE
    }))
}

/// Test-only shrinking file (see the README's "Testing only"): `SUBSTRING:LEN` cuts every file
/// whose path contains SUBSTRING to LEN bytes right after it is opened and its size taken, before
/// anything is read from it (a log truncated by its rotation at that moment).
pub const TEST_TRUNCATE_ENV: &str = "ASYNCFILES_TEST_TRUNCATE";

static TRUNCATE: std::sync::LazyLock<Option<(String, u64)>> = std::sync::LazyLock::new(|| {
    let spec = std::env::var(TEST_TRUNCATE_ENV).ok()?;
    let (substring, len) = spec.rsplit_once(':')?;
    Some((substring.to_owned(), len.parse().ok()?))
});

/// Applies [`TEST_TRUNCATE_ENV`] to `path`, if it names it. Blocking.
fn injected_truncation(path: &std::path::Path) -> anyhow::Result<()> {
    match TRUNCATE.as_ref() {
        Some((substring, len)) if path.to_string_lossy().contains(substring.as_str()) => {
            OpenOptions::new()
                .write(true)
                .open(path)
                .and_then(|file| file.set_len(*len))
                .context("test seam: cannot truncate")
        }
        _ => Ok(()),
    }
}

/// Whether an error is worth another try: interrupted, would block (EAGAIN), timed out, stale
/// NFS handle. Not found, permission denied, corrupt data and the like never are.
pub fn is_transient(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause.downcast_ref::<io::Error>().is_some_and(|io| {
            matches!(
                io.kind(),
                io::ErrorKind::Interrupted | io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
            ) || io.raw_os_error() == Some(libc::ESTALE)
        })
    })
}

/// The wait before retry number `retry` (1, 2, …): `first`, doubled each time, give or take a
/// quarter (so that files failing together do not retry in step).
fn backoff(first: std::time::Duration, retry: u32) -> std::time::Duration {
    let base = first
        .saturating_mul(1 << (retry - 1).min(16))
        .min(std::time::Duration::from_secs(3600));
    let noise = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |now| now.subsec_nanos());
    let factor = 0.75 + f64::from(noise % 1000) / 2000.0; // 0.75 ..= 1.25
    base.mul_f64(factor)
}

/// The pause before retry number `retry` of `retries` of `path` after `error`: logged (`-v`),
/// then slept on this thread (a pool lane) unless the run is cancelled meanwhile. `false` when
/// it was. Blocking.
pub fn wait_before_retry(
    path: &std::path::Path,
    (retry, retries): (u32, u32),
    first: std::time::Duration,
    error: &anyhow::Error,
    cancel: &tokio_util::sync::CancellationToken,
) -> bool {
    let delay = backoff(first, retry);
    tracing::info!(
        "{}: retry {retry} of {retries} in {}: {}",
        crate::report::escape_path(path),
        crate::cli::format_duration(delay),
        crate::report::error_chain(error)
    );
    tokio::runtime::Handle::current().block_on(async {
        tokio::select! {
            () = cancel.cancelled() => false,
            () = tokio::time::sleep(delay) => true,
        }
    })
}

/// `--max-rate`: input bytes per second, across every reader of the run. A leaky bucket: each
/// read moves the time the budget is free again forward; at most one second of unused budget
/// is kept (no burst after an idle spell).
struct RateLimit {
    bytes_per_second: u64,
    free_at: std::sync::Mutex<std::time::Instant>,
    /// The run's cancellation: a waiting reader gives up when it fires.
    cancel: tokio_util::sync::CancellationToken,
}

static MAX_RATE: std::sync::OnceLock<RateLimit> = std::sync::OnceLock::new();

/// Longest a throttled reader sleeps before it looks at the cancellation token again.
const THROTTLE_SLICE: std::time::Duration = std::time::Duration::from_millis(50);

/// Limits the rate at which this run reads input (`--max-rate`, like rsync's `--bwlimit`).
pub fn set_max_rate(bytes_per_second: u64, cancel: tokio_util::sync::CancellationToken) {
    let _ = MAX_RATE.set(RateLimit {
        bytes_per_second: bytes_per_second.max(1),
        free_at: std::sync::Mutex::new(std::time::Instant::now()),
        cancel,
    });
}

/// What the process has read from input files so far, for the progress bar (every read of a
/// file goes through [`throttle`], which counts it as it happens, not when the file is done).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadTotals {
    /// Bytes read.
    pub bytes: u64,
    /// Files whose reading started.
    pub files: u64,
    /// The sizes those files had when opened.
    pub sizes: u64,
}

static BYTES_READ: AtomicU64 = AtomicU64::new(0);
static FILES_STARTED: AtomicU64 = AtomicU64::new(0);
static SIZES_STARTED: AtomicU64 = AtomicU64::new(0);

/// Counts a file of `len` bytes (its size when opened) whose reading starts, for the progress
/// bar's totals (its bytes are counted as they are read, by [`throttle`]).
pub fn count_started(len: u64) {
    FILES_STARTED.fetch_add(1, Ordering::Relaxed);
    SIZES_STARTED.fetch_add(len, Ordering::Relaxed);
}

/// The process's [`ReadTotals`] now.
pub fn read_totals() -> ReadTotals {
    ReadTotals {
        bytes: BYTES_READ.load(Ordering::Relaxed),
        files: FILES_STARTED.load(Ordering::Relaxed),
        sizes: SIZES_STARTED.load(Ordering::Relaxed),
    }
}

/// Accounts for `bytes` just read (counted for the progress bar) and waits as long as it takes
/// to stay under `--max-rate` (in slices, so that Ctrl-C is not held up). Blocking: called by
/// readers on tokio's blocking pool, never on the runtime.
pub fn throttle(bytes: usize) {
    BYTES_READ.fetch_add(bytes as u64, Ordering::Relaxed);
    let Some(limit) = MAX_RATE.get() else {
        return;
    };
    let now = std::time::Instant::now();
    let cost = std::time::Duration::from_secs_f64(bytes as f64 / limit.bytes_per_second as f64);
    let due = {
        let mut free_at = limit
            .free_at
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let floor = now
            .checked_sub(std::time::Duration::from_secs(1))
            .unwrap_or(now);
        *free_at = (*free_at).max(floor) + cost;
        *free_at
    };
    while !limit.cancel.is_cancelled() {
        let now = std::time::Instant::now();
        if due <= now {
            break;
        }
        std::thread::sleep((due - now).min(THROTTLE_SLICE));
    }
}

/// The error for a file that ended before the size it had when opened.
pub fn shrank() -> io::Error {
    io::Error::other(Shrank)
}

/// Whether a read error is [`shrank`] (which no decoder should describe as invalid data).
pub fn is_shrank(error: &io::Error) -> bool {
    error.get_ref().is_some_and(|inner| inner.is::<Shrank>())
}

/// What [`shrank`] carries.
#[derive(Debug, thiserror::Error)]
#[error("the file shrank while it was read")]
struct Shrank;

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
            throttle(filled);
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
            if filled.is_empty() && this.left.is_some_and(|left| left > 0) {
                // Read up to the size seen at open: a file cut short meanwhile (a log truncated
                // by its rotation) fails rather than pass for complete.
                return Poll::Ready(Err(shrank()));
            }
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
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        poll_read_buffered(self, cx, buf)
    }
}

/// `AsyncRead::poll_read` of a reader whose bytes come from its own `poll_fill_buf`: copies what
/// the buffer holds and consumes it.
pub fn poll_read_buffered<R: AsyncBufRead + ?Sized>(
    mut reader: Pin<&mut R>,
    cx: &mut Context<'_>,
    buf: &mut ReadBuf<'_>,
) -> Poll<io::Result<()>> {
    let available = ready!(reader.as_mut().poll_fill_buf(cx))?;
    let take = available.len().min(buf.remaining());
    buf.put_slice(&available[..take]);
    reader.consume(take);
    Poll::Ready(Ok(()))
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

    #[test]
    fn buffers_fit_small_files_and_cap_large_ones() {
        assert_eq!(buffer_size(Some(0)), MIN_BUFFER);
        assert_eq!(buffer_size(Some(100_000)), 100_001);
        assert_eq!(buffer_size(Some(50 << 30)), MAX_BUFFER);
        assert_eq!(buffer_size(None), MAX_BUFFER);
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
        // Fewer bytes than the size seen at open: the file shrank.
        let mut short = Prefetch::new(File::open(&path).unwrap(), 4096, Some(20_000));
        let mut out = Vec::new();
        let error = short.read_to_end(&mut out).await.unwrap_err();
        assert_eq!(error.to_string(), "the file shrank while it was read");
    }
}
