//! The directory walker: finds the files to process and streams them into a bounded channel.
//!
//! walkdir is synchronous, so the walk runs on a dedicated thread and `blocking_send`s entries,
//! in batches of up to [`TREE_BATCH`] so that the receiver is woken once per batch, not per file,
//! into a bounded `tokio::sync::mpsc` channel: when the pool falls behind, the walker waits; when
//! the receiver is dropped (run finished or interrupted), the next send fails and the walk stops.
//! Memory stays bounded whatever the tree size: walkdir keeps one handle per open directory level
//! and the channel holds a fixed number of entries. Entries that are not regular files are reported
//! here as skipped (symlinks without `-L`, FIFOs, sockets, devices, and for `convert` our own temp
//! files) or failed (a symlink loop, an unreadable directory, a missing `--files-from` entry).
//!
//! For `convert`, the walker also hands each directory of the mirror to a [`DirVisitor`] before
//! passing on any file inside it (see [`WalkConfig::dirs`] for which directories); it holds one
//! pending directory per level of the current path for that. A `--files-from` list is read once,
//! and each file in it is taken once: the walker remembers every path listed (normalised: `./a`,
//! `a//b` and `a/./b` are `a`, `a/b`, `a/b`), and every directory mirrored for the list, so that
//! memory grows with the list.

mod select;
mod settings;

pub use select::{MetaFilter, PatternTally, parse_time_limit};
pub use settings::{DirVisitor, FileList, PathFilter, ShardFilter, ShardKey, WalkConfig};

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::ffi::{OsStr, OsString};
use std::fs;
use std::io::{self, BufRead, Read};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileTypeExt;
use std::path::{Component, Path, PathBuf};
use std::thread;

use anyhow::{Context as _, anyhow};
use tokio::sync::mpsc;
use walkdir::WalkDir;

use crate::output::is_temp_name;

/// Longest record accepted in a `--files-from` list (well above any real path length).
const MAX_LIST_RECORD: u64 = 64 * 1024;

/// Most directory entry names the walker holds for the rival check (see [`SiblingNames`]).
const MAX_SIBLING_NAMES: usize = 100_000;

/// Where one file's bytes come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A file on disk.
    Path(PathBuf),
    /// A stream: standard input (`-`) or a named pipe given on the command line.
    Stream(PathBuf),
}

impl Input {
    /// Whether this is read as a stream (once, as it comes: no size ahead, no retry).
    pub fn is_stream(&self) -> bool {
        matches!(self, Input::Stream(_))
    }
}

/// Why an entry was not processed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// A symbolic link, not followed without `-L`.
    Symlink,
    /// A named pipe.
    Fifo,
    /// A Unix socket.
    Socket,
    /// A block or character device.
    Device,
    /// A directory named in a `--files-from` list (lists name files).
    Directory,
    /// A `--files-from` entry that `--include`, `--exclude` or `--max-depth` rule out.
    Filtered,
    /// A followed link whose target is in the output directory.
    IntoOutput,
    /// `--incremental`: the output exists with the input's modification time.
    UpToDate,
    /// `convert`: a temp file of an asyncfiles run (never taken as input).
    TempFile,
    /// A `--files-from` entry naming a file already listed.
    ListedTwice,
    /// A `--files-from` entry that `--min-size` or `--max-size` rule out.
    Size,
    /// A `--files-from` entry that `--changed-within` or `--changed-before` rule out.
    Age,
    /// `--in-place`: the file already has its output's name (`a.log.zst` with `--to zst`).
    OwnOutput,
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SkipReason::Symlink => "symbolic link (use -L to follow)",
            SkipReason::Fifo => "named pipe",
            SkipReason::Socket => "socket",
            SkipReason::Device => "device file",
            SkipReason::Directory => "directory (--files-from lists files)",
            SkipReason::Filtered => "ruled out by --include, --exclude or --max-depth",
            SkipReason::IntoOutput => "symbolic link into the output directory",
            SkipReason::UpToDate => "output up to date (--incremental)",
            SkipReason::TempFile => "temp file of an asyncfiles run",
            SkipReason::ListedTwice => "listed more than once",
            SkipReason::Size => "ruled out by --min-size or --max-size",
            SkipReason::Age => "ruled out by --changed-within or --changed-before",
            SkipReason::OwnOutput => "already has its output's name (--in-place)",
        })
    }
}

/// One entry found by the walk.
#[derive(Debug)]
pub enum Entry {
    /// A file to process: `path` as the user would name it, `rel` relative to the source root.
    File { path: PathBuf, rel: PathBuf },
    /// An entry that is not processed, and why.
    Skipped { path: PathBuf, reason: SkipReason },
    /// An entry that could not be examined.
    Failed { path: PathBuf, error: anyhow::Error },
}

/// Entries sent at once while walking a tree. A `--files-from` list is passed on an entry at a
/// time instead: it may arrive slowly through a pipe, and each entry should start at once.
pub const TREE_BATCH: usize = 64;
/// Batches of entries (of up to [`TREE_BATCH`]) a walk's channel holds ahead of the pool.
pub const ENTRY_QUEUE: usize = 4;

/// Starts the walk on its own thread; batches of entries arrive on `tx` until the walk ends or
/// the receiver is dropped.
pub fn spawn(
    config: WalkConfig,
    tx: mpsc::Sender<Vec<Entry>>,
) -> io::Result<thread::JoinHandle<()>> {
    spawn_roots(vec![Root::Tree(Box::new(config))], tx)
}

/// One thing a walk goes through: a directory tree, or one path given as it is.
#[derive(Debug)]
pub enum Root {
    /// Walk this tree (boxed: a configuration is large beside a path).
    Tree(Box<WalkConfig>),
    /// Pass on this path (a file, or `-` for standard input) as a file entry.
    Path(PathBuf),
    /// Pass on this file, named on the command line, if its size and age pass these tests (a
    /// file that cannot be examined is passed on: opening it reports why).
    File(PathBuf, MetaFilter),
    /// Pass on this file as a file entry whose path relative to the output is `rel` (`convert`
    /// with several INs: its name), if its size and age pass `meta`.
    Named {
        path: PathBuf,
        rel: PathBuf,
        meta: MetaFilter,
    },
}

/// Starts one walker thread that goes through `roots` in order, sending batches of entries to
/// `tx` until the last root is done or the receiver is dropped.
pub fn spawn_roots(
    roots: Vec<Root>,
    tx: mpsc::Sender<Vec<Entry>>,
) -> io::Result<thread::JoinHandle<()>> {
    // The trees of one run share one tally (`hash a b`): its warnings hold once all are walked.
    let tallies: Vec<_> = roots
        .iter()
        .filter_map(|root| match root {
            Root::Tree(config) => Some(config.filter.tally().clone()),
            _ => None,
        })
        .collect();
    thread::Builder::new().name("walker".into()).spawn(move || {
        for root in roots {
            let walked = match root {
                Root::Tree(config) => walk_one(*config, tx.clone()),
                Root::Path(path) => send_path(&tx, path),
                Root::File(path, meta) => match named_file_verdict(&path, meta) {
                    Some(reason) => {
                        tracing::debug!("{}: not selected: {reason}", path.display());
                        Ok(())
                    }
                    None => send_path(&tx, path),
                },
                Root::Named { path, rel, meta } => match named_file_verdict(&path, meta) {
                    Some(reason) => {
                        tracing::debug!("{}: not selected: {reason}", path.display());
                        Ok(())
                    }
                    None => tx
                        .blocking_send(vec![Entry::File { path, rel }])
                        .map_err(|_| Stop),
                },
            };
            if walked.is_err() {
                return;
            }
        }
        for tally in tallies {
            tally.finish();
        }
    })
}

fn send_path(tx: &mpsc::Sender<Vec<Entry>>, path: PathBuf) -> Result<(), Stop> {
    let entry = Entry::File {
        rel: path.clone(),
        path,
    };
    tx.blocking_send(vec![entry]).map_err(|_| Stop)
}

/// Why a file named on the command line is left out by the size and age tests (as find applies
/// its tests to the paths it is given); `None` when it is taken or cannot be examined.
pub fn named_file_verdict(path: &Path, meta: MetaFilter) -> Option<SkipReason> {
    if !meta.is_active() {
        return None;
    }
    fs::metadata(path).ok().and_then(|stat| meta.verdict(&stat))
}

/// Walks one tree (or `--files-from` list) on the current thread.
fn walk_one(mut config: WalkConfig, tx: mpsc::Sender<Vec<Entry>>) -> Result<(), Stop> {
    let batch_size = if config.list.is_some() { 1 } else { TREE_BATCH };
    let list = config.list.take();
    let mut walker = Walker {
        config,
        tx,
        batch: Vec::with_capacity(batch_size),
        batch_size,
        siblings: None,
        chain: Vec::new(),
        listed: HashSet::new(),
        listed_dirs: HashSet::new(),
    };
    match list {
        Some(list) => walker.walk_list(list)?,
        None => {
            walker.siblings = Some(RefCell::default());
            walker.walk_tree()?;
        }
    }
    walker.flush()
}

/// The receiving end of the walk, one entry at a time.
pub struct EntryStream {
    rx: mpsc::Receiver<Vec<Entry>>,
    current: std::vec::IntoIter<Entry>,
    found: Option<std::sync::Arc<std::sync::atomic::AtomicU64>>,
}

impl EntryStream {
    /// Wraps the receiver that [`spawn`] sends to.
    pub fn new(rx: mpsc::Receiver<Vec<Entry>>) -> Self {
        Self {
            rx,
            current: Vec::new().into_iter(),
            found: None,
        }
    }

    /// Also counts the entries into `found` as each batch arrives (a progress bar's total runs
    /// ahead of the work by a batch).
    pub fn counted(
        rx: mpsc::Receiver<Vec<Entry>>,
        found: std::sync::Arc<std::sync::atomic::AtomicU64>,
    ) -> Self {
        Self {
            found: Some(found),
            ..Self::new(rx)
        }
    }
}

impl tokio_stream::Stream for EntryStream {
    type Item = Entry;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Entry>> {
        loop {
            if let Some(entry) = self.current.next() {
                return std::task::Poll::Ready(Some(entry));
            }
            match std::task::ready!(self.rx.poll_recv(cx)) {
                Some(batch) => {
                    if let Some(found) = &self.found {
                        found.fetch_add(batch.len() as u64, std::sync::atomic::Ordering::Relaxed);
                    }
                    self.current = batch.into_iter();
                }
                None => return std::task::Poll::Ready(None),
            }
        }
    }
}

struct Walker {
    config: WalkConfig,
    tx: mpsc::Sender<Vec<Entry>>,
    batch: Vec<Entry>,
    batch_size: usize,
    /// Directory listings for the rival check (tree walks only).
    siblings: Option<RefCell<SiblingNames>>,
    /// Tree walks with a [`DirVisitor`]: the directories of the current path, by depth (the
    /// first is at depth 1), and whether each was mirrored.
    chain: Vec<ChainDir>,
    /// `--files-from`: every path listed so far (each file is taken once).
    listed: HashSet<PathBuf>,
    /// `--files-from` with a [`DirVisitor`]: the directories mirrored so far.
    listed_dirs: HashSet<PathBuf>,
}

/// A directory on the walk's current path, for the [`DirVisitor`].
struct ChainDir {
    path: PathBuf,
    rel: PathBuf,
    meta: fs::Metadata,
    state: Mirrored,
}

/// Where a directory of the current path stands with the [`DirVisitor`].
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mirrored {
    /// Not yet (with `--include`, a directory waits for its first file).
    Pending,
    Done,
    /// Its failure was reported; nothing below it is passed on.
    Failed,
}

/// The walk stops when the pool hung up.
struct Stop;

impl Walker {
    fn send(&mut self, entry: Entry) -> Result<(), Stop> {
        let entry = match entry {
            Entry::File { path, rel } if !self.config.prefix.as_os_str().is_empty() => {
                let rel = self.config.prefix.join(rel);
                Entry::File { path, rel }
            }
            entry => entry,
        };
        self.batch.push(entry);
        if self.batch.len() >= self.batch_size {
            self.flush()
        } else {
            Ok(())
        }
    }

    fn flush(&mut self) -> Result<(), Stop> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(self.batch_size));
        self.tx.blocking_send(batch).map_err(|_| Stop)
    }

    fn walk_tree(&mut self) -> Result<(), Stop> {
        let root = self.config.root.clone();
        let mut walk = WalkDir::new(&root)
            .min_depth(1)
            .follow_links(self.config.follow);
        if let Some(depth) = self.config.max_depth {
            walk = walk.max_depth(depth);
        }
        if self.config.in_place || self.config.sorted {
            // walkdir then reads a directory whole when it enters it, before passing on any
            // entry inside: outputs this run writes there come later and are never listed.
            // Names compare as bytes (`OsStr` order on Unix): path order for `cat`.
            walk = walk.sort_by_file_name();
        }
        let mut entries = walk.into_iter();
        while let Some(next) = entries.next() {
            let entry = match next {
                Ok(entry) => entry,
                Err(error) => {
                    let path = error.path().unwrap_or(&root).to_path_buf();
                    self.send(Entry::Failed {
                        path,
                        error: describe_walk_error(&error),
                    })?;
                    continue;
                }
            };
            let rel = entry.path().strip_prefix(&root).unwrap_or(entry.path());
            let file_type = entry.file_type();
            // Names only: every shard sees every name, so that each warns as the whole run would.
            self.config.filter.tally().note(rel, file_type.is_dir());
            // Before anything looks at the file (a followed link's target is resolved below).
            if !file_type.is_dir() && !self.is_ours(entry.path(), rel) {
                tracing::debug!("{}: another shard's", entry.path().display());
                continue;
            }
            if entry.path_is_symlink() && self.leads_into_output(entry.path()) {
                if file_type.is_dir() {
                    entries.skip_current_dir();
                }
                let path = entry.path().to_path_buf();
                self.send(Entry::Skipped {
                    path,
                    reason: SkipReason::IntoOutput,
                })?;
                continue;
            }
            if file_type.is_dir() {
                if self.config.filter.excludes(rel) {
                    tracing::debug!(
                        "{}: excluded directory, not entered",
                        entry.path().display()
                    );
                    entries.skip_current_dir();
                } else if let Err(failure) = self.enter_dir(&entry) {
                    entries.skip_current_dir();
                    if let Some(failure) = failure {
                        self.send(failure)?;
                    }
                }
                continue;
            }
            if !self.config.filter.accepts_file(rel) {
                tracing::debug!("{}: filtered out", entry.path().display());
                continue;
            }
            let found = self.classify(entry.path(), rel, file_type);
            if matches!(found, Entry::File { .. }) && !self.meta_selects(&entry) {
                continue;
            }
            if matches!(found, Entry::File { .. }) {
                match self.mirror_chain(entry.depth()) {
                    Ok(()) => {}
                    Err(Some(failure)) => {
                        self.send(failure)?;
                        continue;
                    }
                    Err(None) => continue,
                }
            }
            self.send(self.refuse_conflict(found))?;
        }
        Ok(())
    }

    /// Whether a walked file passes the size and age tests (a file that cannot be examined does:
    /// opening it reports why). Only this shard's files get here, so only they are `stat`ed.
    fn meta_selects(&self, entry: &walkdir::DirEntry) -> bool {
        let meta = self.config.meta;
        if !meta.is_active() {
            return true;
        }
        let Some(reason) = entry.metadata().ok().and_then(|stat| meta.verdict(&stat)) else {
            return true;
        };
        tracing::debug!("{}: not selected: {reason}", entry.path().display());
        false
    }

    /// Puts a directory the walk enters on the chain of the mirror (if there is one, and its
    /// files are walked); without `--include` it is mirrored at once, so that empty ones are
    /// too. An error (as for [`Walker::mirror_chain`]): the directory is not entered.
    fn enter_dir(&mut self, entry: &walkdir::DirEntry) -> Result<(), Option<Entry>> {
        let depth = entry.depth();
        let beyond = self.config.max_depth.is_some_and(|max| depth >= max);
        if self.config.dirs.is_none() || beyond {
            return Ok(());
        }
        let meta = entry.metadata().map_err(|error| {
            Some(Entry::Failed {
                path: entry.path().to_path_buf(),
                error: describe_walk_error(&error),
            })
        })?;
        let rel = entry.path().strip_prefix(&self.config.root);
        self.chain.truncate(depth - 1);
        self.chain.push(ChainDir {
            path: entry.path().to_path_buf(),
            rel: rel.unwrap_or(entry.path()).to_path_buf(),
            meta,
            state: Mirrored::Pending,
        });
        if self.config.filter.has_include() {
            return Ok(());
        }
        self.mirror_chain(depth + 1)
    }

    /// Mirrors the directories a file at `depth` is in that are not mirrored yet. `Err(Some)`:
    /// one failed now (the entry to report); `Err(None)`: one failed before (reported then).
    fn mirror_chain(&mut self, depth: usize) -> Result<(), Option<Entry>> {
        let Some(visitor) = self.config.dirs.as_mut() else {
            return Ok(());
        };
        self.chain.truncate(depth - 1);
        for dir in &mut self.chain {
            match dir.state {
                Mirrored::Done => continue,
                Mirrored::Failed => return Err(None),
                Mirrored::Pending => {}
            }
            if let Err(error) = visitor.visit(&dir.rel, &dir.meta) {
                dir.state = Mirrored::Failed;
                let path = dir.path.clone();
                return Err(Some(Entry::Failed { path, error }));
            }
            dir.state = Mirrored::Done;
        }
        Ok(())
    }

    /// Turns a file into a failure when a sibling would be written under the same output name
    /// (`a.log` and `a.log.gz` with `--to none`). Both are refused, each when its turn comes, so
    /// neither output is written. Names are looked up in the directory listings of
    /// [`SiblingNames`] (bounded), or asked of the file system.
    fn refuse_conflict(&self, entry: Entry) -> Entry {
        let Entry::File { path, rel } = entry else {
            return entry;
        };
        let Some(name) = path.file_name() else {
            return Entry::File { path, rel };
        };
        let codec = &self.config.codec;
        // In place, a file that keeps its name is an output already (the job skips it).
        let own_output = self.config.in_place && codec.output_name(name) == name;
        if !codec.can_conflict() || own_output {
            return Entry::File { path, rel };
        }
        let dir = path.parent().unwrap_or(Path::new(""));
        let depth = rel.components().count().saturating_sub(1);
        let alone = self.siblings.as_ref().is_some_and(|siblings| {
            siblings
                .borrow_mut()
                .alone(dir, depth, name, |name| codec.output_name(name))
        });
        if alone {
            return Entry::File { path, rel };
        }
        // In place, a rival that keeps its own name is the output itself, already there.
        let in_place = self.config.in_place;
        let rival = codec.rivals(name).into_iter().find(|rival| {
            !(in_place && codec.output_name(rival) == *rival)
                && self.config.filter.accepts_file(&rel.with_file_name(rival))
                && self.is_processed_file(&path.with_file_name(rival))
        });
        match rival {
            None => Entry::File { path, rel },
            Some(rival) => {
                let output = self.config.codec.output_name(name);
                let error = anyhow!(
                    "output name conflict: {} would also be written as {}",
                    path.with_file_name(rival).display(),
                    output.to_string_lossy()
                );
                Entry::Failed { path, error }
            }
        }
    }

    /// Whether the file at `path` (`rel` below the root) is in this run's shard: decided from
    /// the names alone, before the file is examined.
    fn is_ours(&self, path: &Path, rel: &Path) -> bool {
        let Some(ShardFilter { shard, key }) = self.config.shard else {
            return true;
        };
        match key {
            ShardKey::Printed => shard.owns(path),
            ShardKey::OutputPath => {
                let name = rel.file_name().unwrap_or_default();
                let output = rel.with_file_name(self.config.codec.output_name(name));
                shard.owns(&self.config.prefix.join(output))
            }
        }
    }

    /// Whether `path` is a file the run processes (a regular file, or a link to one with `-L`).
    fn is_processed_file(&self, path: &Path) -> bool {
        match fs::symlink_metadata(path) {
            Ok(meta) if meta.is_file() => true,
            Ok(meta) if meta.is_symlink() && self.config.follow => {
                fs::metadata(path).is_ok_and(|meta| meta.is_file())
            }
            _ => false,
        }
    }

    /// Whether a followed link's real path lies in the output directory (only `-L` follows links,
    /// and the output directory is outside the input, so only a link can lead there).
    fn leads_into_output(&self, path: &Path) -> bool {
        let Some(output_root) = &self.config.output_root else {
            return false;
        };
        self.config.follow && fs::canonicalize(path).is_ok_and(|real| real.starts_with(output_root))
    }

    /// Turns a non-directory entry into what the pool receives.
    fn classify(&self, path: &Path, rel: &Path, file_type: fs::FileType) -> Entry {
        let path = path.to_path_buf();
        let skip = |reason| Entry::Skipped {
            path: path.clone(),
            reason,
        };
        if self.config.skip_temp_files && path.file_name().is_some_and(is_temp_name) {
            skip(SkipReason::TempFile)
        } else if file_type.is_file() {
            Entry::File {
                path: path.clone(),
                rel: rel.to_path_buf(),
            }
        } else if file_type.is_symlink() {
            skip(SkipReason::Symlink)
        } else if file_type.is_fifo() {
            skip(SkipReason::Fifo)
        } else if file_type.is_socket() {
            skip(SkipReason::Socket)
        } else if file_type.is_dir() {
            skip(SkipReason::Directory)
        } else {
            skip(SkipReason::Device)
        }
    }

    fn walk_list(&mut self, mut list: FileList) -> Result<(), Stop> {
        let mut record = Vec::new();
        loop {
            record.clear();
            let read = Read::take(&mut *list.reader, MAX_LIST_RECORD)
                .read_until(list.separator, &mut record);
            let entry = match read {
                Ok(0) => return Ok(()),
                Ok(_)
                    if record.last() != Some(&list.separator)
                        && record.len() as u64 >= MAX_LIST_RECORD =>
                {
                    let error = anyhow!(
                        "entry longer than {MAX_LIST_RECORD} bytes; stopped reading the list"
                    );
                    return self.send(Entry::Failed {
                        path: list.name.clone(),
                        error,
                    });
                }
                Ok(_) => {
                    let mut name = record.strip_suffix(&[list.separator]).unwrap_or(&record);
                    if list.separator == b'\n' {
                        // Lists written on Windows end lines in CRLF; no real log name ends in CR.
                        name = name.strip_suffix(b"\r").unwrap_or(name);
                    }
                    if name.is_empty() {
                        continue;
                    }
                    let entry = self.listed_entry(OsStr::from_bytes(name));
                    entry.map(|entry| self.mirror_listed_parents(entry))
                }
                Err(error) => {
                    let error = anyhow::Error::new(error).context("cannot read the list");
                    return self.send(Entry::Failed {
                        path: list.name.clone(),
                        error,
                    });
                }
            };
            if let Some(entry) = entry {
                self.send(entry)?;
            }
        }
    }

    /// Mirrors the directories of a listed file that are not mirrored yet (if the walk has a
    /// [`DirVisitor`]); the file fails with the first one that cannot be.
    fn mirror_listed_parents(&mut self, entry: Entry) -> Entry {
        let Entry::File { path, rel } = entry else {
            return entry;
        };
        let Some(visitor) = self.config.dirs.as_mut() else {
            return Entry::File { path, rel };
        };
        let mut dirs: Vec<&Path> = parents(&rel).collect();
        dirs.reverse();
        for dir in dirs {
            if self.listed_dirs.contains(dir) {
                continue;
            }
            let source = self.config.root.join(dir);
            let visited = fs::metadata(&source)
                .with_context(|| format!("cannot read {}", source.display()))
                .and_then(|meta| visitor.visit(dir, &meta));
            if let Err(error) = visited {
                return Entry::Failed { path, error };
            }
            self.listed_dirs.insert(dir.to_path_buf());
        }
        Entry::File { path, rel }
    }

    /// Examines one `--files-from` entry (relative to the root; it may not climb out of it, nor,
    /// without `-L`, pass through a symlinked directory). A path listed before (normalised) is
    /// skipped.
    fn listed_entry(&mut self, name: &OsStr) -> Option<Entry> {
        let listed = Path::new(name);
        // Every entry, even one refused below, is one shard's: reported once across the shards.
        let rel: PathBuf = listed
            .components()
            .filter(|c| !matches!(c, Component::CurDir))
            .collect();
        self.config.filter.tally().note_with_parents(&rel);
        if !self.is_ours(&self.config.root.join(&rel), &rel) {
            tracing::debug!("{}: another shard's", listed.display());
            return None;
        }
        let escapes = listed.is_absolute()
            || listed
                .components()
                .any(|c| matches!(c, Component::ParentDir));
        if escapes {
            let error = anyhow!("listed paths must be relative to IN and stay inside it");
            return Some(Entry::Failed {
                path: listed.to_path_buf(),
                error,
            });
        }
        let path = self.config.root.join(&rel);
        let skip = |reason| {
            Some(Entry::Skipped {
                path: path.clone(),
                reason,
            })
        };
        if !self.listed.insert(rel.clone()) {
            return skip(SkipReason::ListedTwice);
        }
        if !self.listed_path_passes_filters(&rel) {
            return skip(SkipReason::Filtered);
        }
        if !self.config.follow && self.has_symlinked_parent(&rel) {
            return skip(SkipReason::Symlink);
        }
        let (file_type, meta) = match self.listed_file_type(&path) {
            Ok(found) => found,
            Err(error) => {
                return Some(Entry::Failed {
                    path,
                    error: error.into(),
                });
            }
        };
        if self.leads_into_output(&path) {
            return skip(SkipReason::IntoOutput);
        }
        let entry = self.classify(&path, &rel, file_type);
        if let (Entry::File { .. }, Some(reason)) = (&entry, self.config.meta.verdict(&meta)) {
            return skip(reason);
        }
        Some(self.refuse_conflict(entry))
    }

    /// A listed file meets the same rules as a walked one: depth, include/exclude, and no
    /// excluded directory on its way.
    fn listed_path_passes_filters(&self, rel: &Path) -> bool {
        let filter = &self.config.filter;
        let too_deep = self
            .config
            .max_depth
            .is_some_and(|depth| rel.components().count() > depth);
        let in_excluded_dir = parents(rel).any(|dir| filter.excludes(dir));
        !too_deep && !in_excluded_dir && filter.accepts_file(rel)
    }

    fn has_symlinked_parent(&self, rel: &Path) -> bool {
        parents(rel).any(|dir| {
            fs::symlink_metadata(self.config.root.join(dir)).is_ok_and(|meta| meta.is_symlink())
        })
    }

    /// The type of a listed path and the metadata it was read from (a followed link's target's).
    fn listed_file_type(&self, path: &Path) -> io::Result<(fs::FileType, fs::Metadata)> {
        let meta = fs::symlink_metadata(path)?;
        if meta.file_type().is_symlink() && self.config.follow {
            let meta = fs::metadata(path)?;
            Ok((meta.file_type(), meta))
        } else {
            Ok((meta.file_type(), meta))
        }
    }
}

/// The directories on the walker's current path, listed, so that the rival check costs no system
/// call for a file that has none (the usual case: five failed lookups per file otherwise, a
/// tenth of a small-file run's CPU time). The walk is depth-first, so one listing per depth serves
/// a directory's files however they interleave with its subdirectories, and is dropped once the
/// walk leaves it. Bounded by [`MAX_SIBLING_NAMES`] names in all; beyond that, and for
/// `--files-from` lists (which may jump anywhere), every rival is looked up instead.
#[derive(Default)]
struct SiblingNames {
    /// By depth: a directory and its listing (`None`: too large or unreadable).
    path: Vec<(PathBuf, Option<Listing>)>,
    /// Names held in all.
    held: usize,
}

/// One directory's names, and how many of them map to each output name.
struct Listing {
    names: HashSet<OsString>,
    outputs: HashMap<OsString, u32>,
}

impl SiblingNames {
    /// `true` when `own`, an entry of `dir` (at `depth` below the root), is certainly the only
    /// one written under its output name (`output_of` maps a name to its output name). A
    /// listing without `own` is older than the file, and is read again so that rivals created
    /// with it are seen. `false` means "look closer".
    fn alone(
        &mut self,
        dir: &Path,
        depth: usize,
        own: &OsStr,
        output_of: impl Fn(&OsStr) -> OsString,
    ) -> bool {
        let current = self.path.get(depth).is_some_and(|(listed, listing)| {
            listed == dir && listing.as_ref().is_none_or(|l| l.names.contains(own))
        });
        if !current {
            for (_, listing) in self.path.drain(depth.min(self.path.len())..) {
                self.held -= listing.map_or(0, |listing| listing.names.len());
            }
            // Levels above that were never listed (files only deeper down) hold nothing.
            while self.path.len() < depth {
                self.path.push((PathBuf::new(), None));
            }
            let listing = list_names(dir, MAX_SIBLING_NAMES - self.held, &output_of);
            self.held += listing.as_ref().map_or(0, |listing| listing.names.len());
            self.path.push((dir.to_path_buf(), listing));
        }
        self.path[depth]
            .1
            .as_ref()
            .is_some_and(|listing| listing.outputs.get(output_of(own).as_os_str()) == Some(&1))
    }
}

/// The names in `dir`; `None` if it cannot be read or has more than `most` entries.
fn list_names(dir: &Path, most: usize, output_of: &impl Fn(&OsStr) -> OsString) -> Option<Listing> {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let mut listing = Listing {
        names: HashSet::new(),
        outputs: HashMap::new(),
    };
    for entry in fs::read_dir(dir).ok()? {
        if listing.names.len() == most {
            return None;
        }
        let name = entry.ok()?.file_name();
        *listing.outputs.entry(output_of(&name)).or_default() += 1;
        listing.names.insert(name);
    }
    Some(listing)
}

/// The directories on the way to `rel`, nearest first (`a/b/c.log` → `a/b`, `a`).
fn parents(rel: &Path) -> impl Iterator<Item = &Path> {
    rel.ancestors()
        .skip(1)
        .filter(|dir| !dir.as_os_str().is_empty())
}

fn describe_walk_error(error: &walkdir::Error) -> anyhow::Error {
    if let Some(ancestor) = error.loop_ancestor() {
        anyhow!(
            "symbolic link loop (points to its ancestor {})",
            ancestor.display()
        )
    } else if let Some(io) = error.io_error() {
        anyhow!("{io}")
    } else {
        anyhow!("{error}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sibling_names_follow_the_walk_and_see_late_files() {
        let temp = tempfile::tempdir().unwrap();
        let top = temp.path().join("top");
        let sub = top.join("sub");
        fs::create_dir_all(&sub).unwrap();
        fs::write(top.join("a.log"), "").unwrap();
        fs::write(sub.join("b.log"), "").unwrap();
        // As `--to none` names outputs: without a `.gz`.
        let output_of = |name: &OsStr| {
            let name = name.to_string_lossy();
            OsString::from(name.strip_suffix(".gz").unwrap_or(&name))
        };
        let mut names = SiblingNames::default();
        let name = OsStr::new;
        assert!(names.alone(&top, 0, name("a.log"), output_of));
        assert!(names.alone(&sub, 1, name("b.log"), output_of));
        // Back in the parent after its subdirectory: its listing is still there, so a rival
        // created since is not seen...
        assert_eq!(names.path.len(), 2);
        fs::write(top.join("a.log.gz"), "").unwrap();
        assert!(names.alone(&top, 0, name("a.log"), output_of));
        // ...unless the file checked is newer than the listing: then it is read again.
        fs::write(top.join("c.log"), "").unwrap();
        assert!(names.alone(&top, 0, name("c.log"), output_of));
        assert!(!names.alone(&top, 0, name("a.log"), output_of));
        assert!(!names.alone(&top, 0, name("a.log.gz"), output_of));
        assert_eq!(
            names.path.len(),
            1,
            "deeper listings go with their parent's"
        );
        assert_eq!(names.held, 4, "sub, a.log, a.log.gz, c.log");
        // An unreadable directory answers "look closer".
        let missing = temp.path().join("missing");
        assert!(!names.alone(&missing, 0, name("x"), output_of));
        assert_eq!(names.held, 0);
    }
}
