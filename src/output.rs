//! Where converted bytes land: atomic output files and standard output.
//!
//! An output file is written to a temp file beside its destination (`.NAME.<id>.asyncfiles-tmp`,
//! same directory so the final rename cannot cross filesystems), then given the source's
//! permission bits and times and renamed over the destination. A reader of the destination sees
//! the old file or the complete new one, never a partial one. Every live temp file is registered
//! in a [`TempRegistry`] so that an interrupted run can remove them all, even when it exits at
//! once on a second Ctrl-C. The directories of an output tree are [`DirMirror`]'s; what
//! `--archive` keeps besides mode and times is [`Archived`]'s.

use std::collections::HashSet;
use std::ffi::OsString;
use std::fs::{self, File, FileTimes, OpenOptions, Permissions};
use std::io::{self, Write as _};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, TryLockError};
use std::task::{Context as TaskContext, Poll};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, Result};
use tokio::io::{AsyncWrite, AsyncWriteExt, BufWriter};

mod archive;
mod dirs;

pub use archive::Archived;
pub use dirs::DirMirror;

/// Suffix of every temp file asyncfiles writes; the walker never takes such a file as input.
pub const TEMP_SUFFIX: &str = ".asyncfiles-tmp";

/// Longest part of the destination's name kept in a temp name (names are limited to 255 bytes).
const TEMP_NAME_STEM_MAX: usize = 200;

/// Whether `name` is one of our temp files (possibly left behind by a killed run): exactly
/// `.NAME.ID.asyncfiles-tmp`, where `NAME` is not empty and `ID` is one to three runs of hex
/// digits joined by `-` (`.<host tag>-<pid>-<counter>` now; older versions wrote `.<pid>-<n>`
/// and `.<pid>`).
pub fn is_temp_name(name: &std::ffi::OsStr) -> bool {
    let Some(rest) = name
        .as_bytes()
        .strip_prefix(b".")
        .and_then(|rest| rest.strip_suffix(TEMP_SUFFIX.as_bytes()))
    else {
        return false;
    };
    let Some(dot) = rest.iter().rposition(|&byte| byte == b'.') else {
        return false;
    };
    let (stem, id) = (&rest[..dot], &rest[dot + 1..]);
    let hex = |part: &[u8]| !part.is_empty() && part.iter().all(u8::is_ascii_hexdigit);
    let parts = id.split(|&byte| byte == b'-');
    let id_matches = parts.clone().count() <= 3 && parts.into_iter().all(hex);
    !stem.is_empty() && id_matches
}

/// The temp files that exist right now, so that an interrupted run can remove them.
///
/// Holds at most one path per file in flight, so it is as bounded as the pool. Once
/// [`TempRegistry::remove_all`] has run, it is closed: a temp file created later (by a worker
/// that raced a forced exit) is refused and removed at once instead of being left behind.
#[derive(Debug, Clone, Default)]
pub struct TempRegistry {
    live: Arc<Mutex<LiveTemps>>,
}

#[derive(Debug, Default)]
struct LiveTemps {
    paths: HashSet<PathBuf>,
    closed: bool,
}

impl TempRegistry {
    /// Runs `create` (which makes the temp file at `path`) while holding the registry, so that a
    /// concurrent [`TempRegistry::remove_all`] either runs first (and nothing is created) or
    /// after (and removes the file): no temp file can slip past a forced exit.
    fn create_registered(
        &self,
        path: &Path,
        create: impl FnOnce() -> io::Result<File>,
    ) -> io::Result<File> {
        let mut live = self.lock();
        if live.closed {
            return Err(io::Error::new(io::ErrorKind::Interrupted, "interrupted"));
        }
        let file = create()?;
        live.paths.insert(path.to_path_buf());
        Ok(file)
    }

    fn remove(&self, path: &Path) {
        self.lock().paths.remove(path);
    }

    /// Writes `bytes` to `dest` atomically: a registered temp file beside it (so that a forced
    /// exit removes it too), synced with `fsync` (and its directory after the rename), then
    /// renamed over `dest`. For small whole files such as a manifest. Blocking.
    pub fn write_atomically(&self, dest: &Path, bytes: &[u8], fsync: bool) -> io::Result<()> {
        let temp = temp_path_for(dest);
        // create_new: never truncate a file someone else made under this name.
        let create = || OpenOptions::new().write(true).create_new(true).open(&temp);
        let mut file = self.create_registered(&temp, create)?;
        let mut write = || -> io::Result<()> {
            io::Write::write_all(&mut file, bytes)?;
            if fsync {
                file.sync_all()?;
            }
            fs::rename(&temp, dest)?;
            if fsync {
                let dir = dest.parent().filter(|dir| !dir.as_os_str().is_empty());
                File::open(dir.unwrap_or(Path::new(".")))?.sync_all()?;
            }
            Ok(())
        };
        let written = write();
        if written.is_err() {
            let _ = fs::remove_file(&temp);
        }
        self.remove(&temp);
        written
    }

    /// Removes every registered temp file and closes the registry (blocking; used on the way out
    /// of an interrupted run). Waits at most a second for a worker that holds the registry in a
    /// hung `open()`: a forced exit must not hang on a dead file system.
    pub fn remove_all(&self) {
        let deadline = Instant::now() + Duration::from_secs(1);
        let mut live = loop {
            match self.live.try_lock() {
                Ok(live) => break live,
                Err(TryLockError::Poisoned(poisoned)) => break poisoned.into_inner(),
                Err(TryLockError::WouldBlock) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(1));
                }
                Err(TryLockError::WouldBlock) => return,
            }
        };
        live.closed = true;
        for path in live.paths.drain() {
            let _ = fs::remove_file(path);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LiveTemps> {
        // A panic elsewhere cannot leave the set inconsistent: keep using it.
        self.live.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// What the output keeps of its source: permission bits and times.
#[derive(Debug, Clone, Copy)]
pub struct SourceMeta {
    /// Permission bits (`0o777`; set-id bits are dropped, as `cp` does when it cannot keep the owner).
    pub mode: u32,
    /// Last modification time.
    pub modified: Option<SystemTime>,
    /// Last access time.
    pub accessed: Option<SystemTime>,
    /// Size when opened, used to size buffers.
    pub len: u64,
    /// Device and inode, and the number of hard links (`--in-place`: an input is removed only
    /// if it is still the file that was converted, and never when other names share its data).
    pub dev: u64,
    /// See [`Self::dev`].
    pub ino: u64,
    /// See [`Self::dev`].
    pub nlink: u64,
}

impl SourceMeta {
    /// Takes what we keep from the source's metadata.
    pub fn from_metadata(meta: &fs::Metadata) -> Self {
        Self {
            mode: meta.permissions().mode() & 0o777,
            modified: meta.modified().ok(),
            accessed: meta.accessed().ok(),
            len: meta.len(),
            dev: std::os::unix::fs::MetadataExt::dev(meta),
            ino: std::os::unix::fs::MetadataExt::ino(meta),
            nlink: std::os::unix::fs::MetadataExt::nlink(meta),
        }
    }

    /// Standard input has no mode or times of its own: the output gets a new file's mode
    /// (`0o666` less the umask, as a shell redirection would) and the current time. Blocking.
    pub fn for_stdin() -> Self {
        Self {
            mode: 0o666 & !*UMASK,
            modified: None,
            accessed: None,
            len: 0,
            dev: 0,
            ino: 0,
            nlink: 1,
        }
    }
}

/// The process umask, read once (the first use is on the blocking pool).
static UMASK: std::sync::LazyLock<u32> = std::sync::LazyLock::new(umask);

/// The process umask, read without changing it (Linux reports it in `/proc/self/status`).
fn umask() -> u32 {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.split('\n').find(|line| line.starts_with("Umask:"))?;
            u32::from_str_radix(line["Umask:".len()..].trim(), 8).ok()
        })
        .unwrap_or(0o022)
}

/// Per-run settings for atomic outputs.
#[derive(Debug, Clone)]
pub struct OutputOptions {
    /// fsync each file and its directory before and after the rename.
    pub fsync: bool,
    /// Where live temp files are registered.
    pub temps: TempRegistry,
    /// Rename over an existing destination (always, but for `--in-place` without `--force`:
    /// then an output name that exists fails the file, atomically, and nothing is replaced).
    pub replace: bool,
}

/// A temp file being written, not yet visible under its final name. Open it with
/// [`TempFile::create`] (blocking), then wrap it with [`TempFile::into_async`] for a writer on the
/// runtime or [`TempFile::into_blocking`] for one on a blocking-pool thread.
#[derive(Debug)]
pub struct TempFile {
    file: File,
    guard: TempGuard,
}

/// Removes the temp file if it was neither committed nor discarded, which only happens when a
/// worker task is aborted or panics: the normal paths remove it explicitly and off the runtime.
#[derive(Debug)]
struct TempGuard {
    temp: PathBuf,
    dest: PathBuf,
    registry: TempRegistry,
    armed: bool,
    /// The permission bits the file got when created (the requested mode less the umask).
    created_mode: u32,
    /// See [`OutputOptions::replace`].
    replace: bool,
    /// `--archive`: the source's owner and extended attributes, given at the commit.
    archived: Option<Box<Archived>>,
}

impl TempGuard {
    fn disarm(&mut self) {
        self.armed = false;
        self.registry.remove(&self.temp);
    }
}

impl Drop for TempGuard {
    fn drop(&mut self) {
        if self.armed {
            let _ = fs::remove_file(&self.temp);
            self.registry.remove(&self.temp);
        }
    }
}

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// The run's part of every temp name: a tag of this host and process, then the process id.
/// Shards of one run write into the same OUT from many machines (NFS, Lustre, a Kubernetes
/// volume), where process ids repeat: the tag is 32 bits of the BLAKE3 hash of the host name
/// and a random number drawn once per process, so that two processes' names do not collide
/// even with the same host name and pid (containers). `create_new` guards the rest.
static RUN_ID: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    use std::hash::{BuildHasher, Hasher};
    let random = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    let mut hasher = blake3::Hasher::new();
    hasher.update(&host_name());
    hasher.update(&random.to_le_bytes());
    let tag = hasher.finalize();
    let tag = u32::from_le_bytes([0, 1, 2, 3].map(|i| tag.as_bytes()[i]));
    format!("{tag:08x}-{:x}", std::process::id())
});

/// This machine's host name (empty if it cannot be read).
fn host_name() -> Vec<u8> {
    let mut name = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname writes at most that much.
    let read = unsafe { libc::gethostname(name.as_mut_ptr().cast(), name.len()) };
    if read != 0 {
        return Vec::new();
    }
    let end = name
        .iter()
        .position(|&byte| byte == 0)
        .unwrap_or(name.len());
    name[..end].to_vec()
}

fn temp_path_for(dest: &Path) -> PathBuf {
    let name = dest
        .file_name()
        .map(OsStrExt::as_bytes)
        .unwrap_or(b"output");
    let stem = &name[..name.len().min(TEMP_NAME_STEM_MAX)];
    let id = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut temp = Vec::with_capacity(stem.len() + 40);
    temp.push(b'.');
    temp.extend_from_slice(stem);
    temp.extend_from_slice(format!(".{}-{id:x}{TEMP_SUFFIX}", *RUN_ID).as_bytes());
    dest.with_file_name(OsString::from_vec(temp))
}

impl TempFile {
    /// Creates a fresh temp file beside `dest` with permission bits `mode` (as far as the umask
    /// allows; the commit fixes the rest), creating `dest`'s directory if needed. Blocking.
    ///
    /// Creating it with the final mode, rather than 0600 and a `chmod` at the end, saves a
    /// journaled inode change per file; the temp file is never more readable than its output.
    pub fn create(dest: &Path, mode: u32, options: &OutputOptions) -> Result<Self> {
        loop {
            let temp = temp_path_for(dest);
            match Self::create_at(&temp, dest, mode, options) {
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                // The directory is made only when it is missing (or a file is in its way, which
                // create_parent reports by name): no mkdir per file.
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
                    ) =>
                {
                    create_parent(dest)?;
                    match Self::create_at(&temp, dest, mode, options) {
                        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                        created => return created.with_context(|| cannot_create(dest)),
                    }
                }
                created => return created.with_context(|| cannot_create(dest)),
            }
        }
    }

    fn create_at(temp: &Path, dest: &Path, mode: u32, options: &OutputOptions) -> io::Result<Self> {
        // create_new: never reuse or clobber an existing file, whoever made it.
        let create = || {
            OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(mode)
                .open(temp)
        };
        let file = options.temps.create_registered(temp, create)?;
        let guard = TempGuard {
            temp: temp.to_path_buf(),
            dest: dest.to_path_buf(),
            registry: options.temps.clone(),
            armed: true,
            created_mode: mode & !*UMASK,
            replace: options.replace,
            archived: None,
        };
        Ok(Self { file, guard })
    }

    /// Gives the output `archived` (the source's owner and extended attributes, `--archive`)
    /// when it is committed.
    pub fn keeping(mut self, archived: Option<Archived>) -> Self {
        self.guard.archived = archived.map(Box::new);
        self
    }

    /// Keeps the file for blocking writes, buffered with `buffer` bytes (see [`BlockingTempFile`]).
    pub fn into_blocking(self, buffer: usize) -> BlockingTempFile {
        BlockingTempFile {
            writer: BlockingWriter(io::BufWriter::with_capacity(buffer, self.file)),
            guard: self.guard,
        }
    }

    /// Hands the file to the async writer, buffered with `buffer` bytes.
    pub fn into_async(self, buffer: usize) -> AsyncTempFile {
        let mut file = tokio::fs::File::from_std(self.file);
        file.set_max_buf_size(buffer);
        AsyncTempFile {
            writer: BufWriter::with_capacity(buffer, file),
            guard: self.guard,
        }
    }
}

/// An open temp file with an async writer on it.
#[derive(Debug)]
pub struct AsyncTempFile {
    writer: BufWriter<tokio::fs::File>,
    guard: TempGuard,
}

impl AsyncTempFile {
    /// The writer that output bytes go to.
    pub fn writer(&mut self) -> &mut BufWriter<tokio::fs::File> {
        &mut self.writer
    }

    /// The final path this file will be renamed to.
    pub fn dest(&self) -> &Path {
        &self.guard.dest
    }

    /// Flushes, applies the source's mode and times, and renames the temp file over the
    /// destination. On error the temp file is removed.
    pub async fn commit(mut self, source: SourceMeta, fsync: bool) -> Result<()> {
        let dest = self.guard.dest.clone();
        // The buffered tail is written in the same trip to the blocking pool as the mode, times
        // and rename: a small file costs one trip here, not two. The file itself is flushed
        // first, which waits for a write still in flight and surfaces its error (`into_std`
        // alone would swallow it and commit a truncated file).
        let tail = self.writer.buffer().to_vec();
        if let Err(e) = self.writer.get_mut().flush().await {
            self.discard().await;
            return Err(e).with_context(|| format!("cannot write {}", dest.display()));
        }
        let Self { writer, guard } = self;
        let file = writer.into_inner().into_std().await;
        tokio::task::spawn_blocking(move || commit_blocking(file, &tail, guard, source, fsync))
            .await
            .context("internal error: the commit task failed")?
    }

    /// Removes the temp file: the output is abandoned.
    pub async fn discard(self) {
        let Self { writer, mut guard } = self;
        drop(writer);
        // Unlink first, unregister after: until the file is gone, a forced exit must still see it.
        let _ = tokio::task::spawn_blocking(move || {
            let _ = fs::remove_file(&guard.temp);
            guard.disarm();
        })
        .await;
    }
}

/// Writes the tail of a temp file, gives it the source's mode and times and renames it into
/// place; on error the temp file is removed. Blocking.
fn commit_blocking(
    mut file: File,
    tail: &[u8],
    mut guard: TempGuard,
    source: SourceMeta,
    fsync: bool,
) -> Result<()> {
    let result = file
        .write_all(tail)
        .with_context(|| format!("cannot write {}", guard.dest.display()))
        .and_then(|()| finalize(&file, &guard, source, fsync));
    drop(file);
    if result.is_ok() {
        guard.disarm();
    } // else: dropping the armed guard removes the temp file
    result
}

/// A temp file written with plain blocking writes, for a file converted from start to finish on
/// one blocking-pool thread: no trip to the pool per write, none for the commit.
#[derive(Debug)]
pub struct BlockingTempFile {
    writer: BlockingWriter<io::BufWriter<File>>,
    guard: TempGuard,
}

impl BlockingTempFile {
    /// Flushes, applies the source's mode and times, and renames the temp file over the
    /// destination. On error the temp file is removed. Blocking.
    pub fn commit(self, source: SourceMeta, fsync: bool) -> Result<()> {
        let Self { writer, guard } = self;
        let (file, tail) = writer.0.into_parts();
        let tail = tail.unwrap_or_default(); // a failed write left no poisoned data behind
        commit_blocking(file, &tail, guard, source, fsync)
    }

    /// Removes the temp file: the output is abandoned. Blocking.
    pub fn discard(self) {
        let Self { writer, mut guard } = self;
        // Not `drop(writer)`: a `BufWriter` would write out its buffer on the way.
        let (file, _) = writer.0.into_parts();
        drop(file);
        // Unlink first, unregister after: until the file is gone, a forced exit must still see it.
        let _ = fs::remove_file(&guard.temp);
        guard.disarm();
    }
}

/// An [`AsyncWrite`] over a blocking writer: every poll completes at once, by blocking the thread.
/// Only for futures driven on a blocking-pool thread (`Handle::block_on` inside
/// `spawn_blocking`), never on a runtime worker.
#[derive(Debug)]
pub struct BlockingWriter<W>(pub W);

impl<W: io::Write + Unpin> AsyncWrite for BlockingWriter<W> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _: &mut TaskContext<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(self.0.write(buf))
    }

    fn poll_flush(mut self: Pin<&mut Self>, _: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.0.flush())
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, _: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.0.flush())
    }
}

/// The context of a failed create: it names the output the user asked for, not our temp name.
fn cannot_create(dest: &Path) -> String {
    format!("cannot create {}", dest.display())
}

/// Creates the directory an output goes in, naming a file that stands in the way.
fn create_parent(dest: &Path) -> Result<()> {
    let Some(dir) = dest.parent().filter(|dir| !dir.as_os_str().is_empty()) else {
        return Ok(());
    };
    fs::create_dir_all(dir).map_err(|error| match blocking_file(dir) {
        Some(file) if file == dir => {
            anyhow::anyhow!(
                "cannot create directory {}: a file of that name exists",
                dir.display()
            )
        }
        Some(file) => anyhow::anyhow!(
            "cannot create directory {}: {} is a file",
            dir.display(),
            file.display()
        ),
        None => anyhow::Error::new(error).context(format!("cannot create {}", dir.display())),
    })
}

/// The nearest ancestor of `dir` (itself included) that exists but is not a directory.
fn blocking_file(dir: &Path) -> Option<&Path> {
    dir.ancestors()
        .find(|ancestor| ancestor.exists() && !ancestor.is_dir())
}

/// The blocking tail of a commit, in one trip to the blocking pool.
fn finalize(file: &File, guard: &TempGuard, source: SourceMeta, fsync: bool) -> Result<()> {
    let (temp, dest) = (guard.temp.as_path(), guard.dest.as_path());
    let describe = || dest.display().to_string();
    if let Some(archived) = &guard.archived {
        for warning in archived.apply(file, dest) {
            tracing::warn!("{warning}");
        }
    }
    // An access ACL set (or an inherited one removed) changes the mode bits: set them again.
    if guard.created_mode != source.mode || guard.archived.is_some() {
        file.set_permissions(Permissions::from_mode(source.mode))
            .with_context(describe)?;
    }
    let mut times = FileTimes::new();
    if let Some(modified) = source.modified {
        times = times.set_modified(modified);
    }
    if let Some(accessed) = source.accessed {
        times = times.set_accessed(accessed);
    }
    file.set_times(times).with_context(describe)?;
    if fsync {
        file.sync_all().with_context(describe)?;
    }
    if guard.replace {
        fs::rename(temp, dest).with_context(|| format!("cannot rename to {}", dest.display()))?;
    } else {
        rename_noreplace(temp, dest)?;
    }
    if fsync {
        // The rename is durable only once the directory entry is on disk.
        let dir = dest
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        File::open(dir)
            .and_then(|d| d.sync_all())
            .with_context(|| dir.display().to_string())?;
    }
    Ok(())
}

/// Renames `temp` to `dest` unless `dest` exists, in one step (`renameat2(RENAME_NOREPLACE)`),
/// or, where the file system cannot do that, by a hard link and an unlink (a crash in between
/// leaves the temp file too, which no run takes as input). Blocking.
fn rename_noreplace(temp: &Path, dest: &Path) -> Result<()> {
    use std::os::unix::ffi::OsStrExt as _;
    let exists = || {
        anyhow::anyhow!(
            "{} already exists (use --force to replace it)",
            dest.display()
        )
    };
    let c_path = |path: &Path| std::ffi::CString::new(path.as_os_str().as_bytes());
    let (from, to) = (c_path(temp)?, c_path(dest)?);
    // SAFETY: both are valid NUL-terminated paths; AT_FDCWD resolves them as relative paths.
    let renamed = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            from.as_ptr(),
            libc::AT_FDCWD,
            to.as_ptr(),
            libc::RENAME_NOREPLACE,
        )
    };
    if renamed == 0 {
        return Ok(());
    }
    let error = io::Error::last_os_error();
    match error.raw_os_error() {
        Some(libc::EEXIST) => Err(exists()),
        Some(libc::EINVAL | libc::ENOSYS | libc::ENOTSUP) => match fs::hard_link(temp, dest) {
            Ok(()) => fs::remove_file(temp).context("cannot remove the temp file"),
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => Err(exists()),
            Err(error) => {
                Err(error).with_context(|| format!("cannot rename to {}", dest.display()))
            }
        },
        _ => Err(error).with_context(|| format!("cannot rename to {}", dest.display())),
    }
}

/// The destination of one file's bytes.
#[derive(Debug)]
pub enum Sink {
    /// An atomic output file.
    File(AsyncTempFile),
    /// An atomic output file written from a blocking-pool thread.
    Blocking(BlockingTempFile),
    /// Standard output (`-`).
    Stdout(tokio::io::Stdout),
}

impl Sink {
    /// The final path of an output file (`None` for stdout).
    pub fn dest(&self) -> Option<&Path> {
        match self {
            Sink::File(file) => Some(file.dest()),
            Sink::Blocking(file) => Some(&file.guard.dest),
            Sink::Stdout(_) => None,
        }
    }

    /// The writer for the file's bytes.
    pub fn writer(&mut self) -> &mut (dyn AsyncWrite + Unpin + Send) {
        match self {
            Sink::File(file) => file.writer(),
            Sink::Blocking(file) => &mut file.writer,
            Sink::Stdout(stdout) => stdout,
        }
    }

    /// Completes the output: rename into place, or flush stdout.
    pub async fn commit(self, source: SourceMeta, fsync: bool) -> Result<()> {
        match self {
            Sink::File(file) => file.commit(source, fsync).await,
            Sink::Blocking(file) => file.commit(source, fsync),
            Sink::Stdout(mut stdout) => stdout.flush().await.context("write error"),
        }
    }

    /// Abandons the output (temp file removed; stdout left as it is).
    pub async fn discard(self) {
        match self {
            Sink::File(file) => file.discard().await,
            Sink::Blocking(file) => file.discard(),
            Sink::Stdout(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_names_are_recognised_and_bounded() {
        let temp = temp_path_for(Path::new("out/app.log"));
        assert_eq!(temp.parent(), Some(Path::new("out")));
        assert!(
            is_temp_name(temp.file_name().unwrap()),
            "{}",
            temp.display()
        );
        assert!(!is_temp_name(std::ffi::OsStr::new("app.log")));
        for (name, ours) in [
            (".keep.1-1.asyncfiles-tmp", true),
            (".app.log.1f3a-0.asyncfiles-tmp", true),
            (".manifest.b3.4711.asyncfiles-tmp", true),
            (".asyncfiles-tmp", false),
            (".x.asyncfiles-tmp", false),
            ("..1-1.asyncfiles-tmp", false),
            (".keep.1-.asyncfiles-tmp", false),
            (".keep.-1.asyncfiles-tmp", false),
            (".keep.1-1-1.asyncfiles-tmp", true),
            (".keep.1-1-1-1.asyncfiles-tmp", false),
            (".keep.1--1.asyncfiles-tmp", false),
            (".keep.pid-1.asyncfiles-tmp", false),
            ("keep.1-1.asyncfiles-tmp", false),
            (".keep.1-1.asyncfiles-tmp.gz", false),
        ] {
            assert_eq!(is_temp_name(std::ffi::OsStr::new(name)), ours, "{name}");
        }

        let long = "x".repeat(255);
        let temp = temp_path_for(&Path::new("out").join(&long));
        assert!(temp.file_name().unwrap().len() <= 255);
    }
}
