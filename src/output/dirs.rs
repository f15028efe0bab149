//! The directories of `convert`'s output tree: each gets its source directory's mode, without
//! ever being more open than that mode, and its times once every file in it is written.
//!
//! A directory is created `0700` (whatever the umask) and at once given its source's mode with
//! the owner's `rwx` added, so that its files can be written; nobody but the owner can list it
//! in between. Setgid and sticky bits are kept (the kernel drops setgid when the user is not in
//! the directory's group), setuid is not, as for files. A rename into a directory changes its
//! modification time, so the exact mode and the times are set at the end of a complete run,
//! deepest directories first ([`DirMirror::finish`]): one entry per directory is held until then.
//! A directory that already exists in OUT is part of the mirror and gets the same treatment
//! (as `rsync -a`); OUT itself only when this run creates it. An existing OUT is the user's and
//! keeps its mode and times, but one without the owner's `rwx` (a read-only source's mirror made
//! by an earlier run) gets them for the run, and then its own mode and times back, at the end of
//! any run that gets that far, complete or not ([`DirMirror::abandon`]).
//!
//! With `--archive` ([`DirMirror::archiving`]), each directory the mirror creates or takes over
//! (not an existing OUT) also gets its source's owner, group and extended attributes (ACLs, a
//! default ACL included) when it is mirrored, by the rules of [`Archived`].

use std::fs::{self, DirBuilder, File, FileTimes, Permissions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use anyhow::{Context, Result, bail};

use super::Archived;
use crate::walk::DirVisitor;

/// The mode bits a mirrored directory keeps: permissions, setgid and sticky.
const KEPT_BITS: u32 = 0o3777;

/// Creates and records the directories of one output tree. Clones share the record, so the walker
/// can hold one while the run keeps another for [`DirMirror::finish`].
#[derive(Debug, Clone)]
pub struct DirMirror {
    /// OUT.
    root: PathBuf,
    mirrored: Arc<Mutex<Vec<MirroredDir>>>,
    /// `--shard`: other processes may still be writing into these directories when this one
    /// finishes, so the owner's `rwx` is never taken away (see [`DirMirror::shared`]).
    shared: bool,
    /// `--archive`: IN, whose directories' owners and extended attributes are kept.
    archive_from: Option<PathBuf>,
}

/// What is left to do for a directory at the end of the run.
#[derive(Debug)]
struct MirroredDir {
    path: PathBuf,
    /// The source's mode.
    mode: u32,
    /// The mode it has now (`mode` with the owner's `rwx`).
    interim: u32,
    modified: Option<SystemTime>,
    accessed: Option<SystemTime>,
    /// An existing OUT, whose own mode comes back however the run ends.
    existing_root: bool,
}

impl DirMirror {
    /// A mirror written into `root` (OUT).
    pub fn new(root: PathBuf) -> Self {
        Self {
            root,
            mirrored: Arc::default(),
            shared: false,
            archive_from: None,
        }
    }

    /// A mirror that gives each directory the owner, group and extended attributes of its
    /// source under `source_root` (IN) too (`--archive`).
    pub fn archiving(self, source_root: PathBuf) -> Self {
        Self {
            archive_from: Some(source_root),
            ..self
        }
    }

    /// A mirror that other runs (the other shards of `--shard`) write into at the same time:
    /// [`DirMirror::finish`] gives directories their source's times and mode, but keeps the
    /// owner's `rwx` on them, so that a shard that finishes first cannot lock the others out of
    /// a read-only source's mirror.
    pub fn shared(self) -> Self {
        Self {
            shared: true,
            ..self
        }
    }

    /// The mirror of the subdirectory `sub` of this one (this one itself when `sub` is empty),
    /// sharing its record, so that [`DirMirror::finish`] on either settles both: with several
    /// INs, each tree is mirrored into `OUT/NAME`.
    pub fn under(&self, sub: &Path) -> Self {
        if sub.as_os_str().is_empty() {
            return self.clone();
        }
        Self {
            root: self.root.join(sub),
            ..self.clone()
        }
    }

    /// Creates OUT for the tree `source` if it does not exist (its parents as `mkdir -p` would),
    /// with the source's mode; an existing one is made writable for the run if need be. Blocking.
    pub fn create_root(&self, source: &Path) -> Result<()> {
        match fs::symlink_metadata(&self.root) {
            Ok(meta) if meta.is_dir() => return self.open_existing_root(&meta),
            Ok(meta) if meta.is_symlink() => return Ok(()),
            Ok(_) => bail!("not a directory"),
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(error) => return Err(error.into()),
        }
        if let Some(parent) = self.root.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(parent)?;
        }
        let meta = fs::metadata(source).with_context(|| source.display().to_string())?;
        self.mirror(&self.root, &meta, Path::new(""))
    }

    /// Gives the existing OUT (`meta`) the owner's `rwx` for the run when it lacks them, and
    /// records its own mode and times to restore. Blocking.
    fn open_existing_root(&self, meta: &fs::Metadata) -> Result<()> {
        let mode = meta.mode() & 0o7777;
        if mode & 0o700 == 0o700 {
            return Ok(());
        }
        self.hold(&self.root, Some(mode), mode, meta, true)
    }

    /// Creates (or takes over) the directory `dir` of OUT with the source's mode as described in
    /// the module doc, and records it; `rel` is its path relative to OUT. Blocking.
    fn mirror(&self, dir: &Path, source: &fs::Metadata, rel: &Path) -> Result<()> {
        let current = match DirBuilder::new().mode(0o700).create(dir) {
            Ok(()) => None,
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
                match fs::symlink_metadata(dir) {
                    Ok(meta) if meta.is_dir() => Some(meta.mode() & 0o7777),
                    // A link the user put in OUT: followed, as before, and left as it is.
                    Ok(meta) if meta.is_symlink() => return Ok(()),
                    _ => bail!(
                        "cannot create directory {}: a file of that name exists",
                        dir.display()
                    ),
                }
            }
            Err(error) => {
                return Err(error)
                    .with_context(|| format!("cannot create directory {}", dir.display()));
            }
        };
        let mode = source.mode() & KEPT_BITS;
        self.hold(dir, current, mode, source, false)?;
        match &self.archive_from {
            Some(root) => keep_archived(dir, &root.join(rel), mode | 0o700),
            None => Ok(()),
        }
    }

    /// Gives `dir`, of mode `current` (`None`: just made), its interim mode (`mode` with the
    /// owner's `rwx`) and records that it gets `mode` and the times of `times` at the end.
    /// Blocking.
    fn hold(
        &self,
        dir: &Path,
        current: Option<u32>,
        mode: u32,
        times: &fs::Metadata,
        existing_root: bool,
    ) -> Result<()> {
        let interim = mode | 0o700;
        // Always for a new directory: it may have inherited a setgid bit its source lacks.
        if current != Some(interim) {
            fs::set_permissions(dir, Permissions::from_mode(interim))
                .with_context(|| format!("cannot set the mode of {}", dir.display()))?;
        }
        self.record().push(MirroredDir {
            path: dir.to_path_buf(),
            mode,
            interim,
            modified: times.modified().ok(),
            accessed: times.accessed().ok(),
            existing_root,
        });
        Ok(())
    }

    /// Gives every directory recorded its source's exact mode and times, deepest first (a
    /// parent's mode may forbid reaching its children). Returns the messages of those that
    /// failed. Call it once the last file is written. Blocking.
    pub fn finish(&self) -> Vec<String> {
        self.settle(|_| true)
    }

    /// The end of a run that stopped early (a signal, `--fail-fast`): the directories it
    /// mirrored keep their interim modes (not all of their files were written), but an existing
    /// OUT gets its own mode and times back, as always. Returns the messages of failures.
    /// Blocking.
    pub fn abandon(&self) -> Vec<String> {
        self.settle(|dir| dir.existing_root)
    }

    /// Finishes the recorded directories that `which` picks, deepest first, and forgets all.
    fn settle(&self, which: fn(&MirroredDir) -> bool) -> Vec<String> {
        let mut dirs = std::mem::take(&mut *self.record());
        dirs.retain(which);
        dirs.sort_by_key(|dir| std::cmp::Reverse(dir.path.components().count()));
        let shared = self.shared;
        dirs.iter()
            .filter_map(|dir| {
                finish_one(dir, shared).err().map(|error| {
                    let cause = crate::report::error_chain(&error);
                    format!("asyncfiles: {}: {cause}", dir.path.display())
                })
            })
            .collect()
    }

    fn record(&self) -> std::sync::MutexGuard<'_, Vec<MirroredDir>> {
        // A panic elsewhere cannot leave the list inconsistent: keep using it.
        self.mirrored.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Gives `dir` the owner, group and extended attributes of `source` (warnings for what OUT's
/// file system refuses), then its interim mode `interim` again: an access ACL set or removed
/// changes the mode bits. Blocking.
fn keep_archived(dir: &Path, source: &Path, interim: u32) -> Result<()> {
    let archived = File::open(source)
        .and_then(|source| Archived::read(&source))
        .with_context(|| format!("{}: cannot read owner and attributes", source.display()))?;
    let target = File::open(dir).with_context(|| format!("cannot open {}", dir.display()))?;
    for warning in archived.apply(&target, dir) {
        tracing::warn!("{warning}");
    }
    target
        .set_permissions(Permissions::from_mode(interim))
        .with_context(|| format!("cannot set the mode of {}", dir.display()))
}

/// The end of the run for one directory: times first (the interim mode lets the owner open
/// it), then the exact mode (with the owner's `rwx` kept when the mirror is `shared`).
fn finish_one(dir: &MirroredDir, shared: bool) -> Result<()> {
    let file = File::open(&dir.path).context("cannot open")?;
    let mut times = FileTimes::new();
    if let Some(modified) = dir.modified {
        times = times.set_modified(modified);
    }
    if let Some(accessed) = dir.accessed {
        times = times.set_accessed(accessed);
    }
    file.set_times(times).context("cannot set times")?;
    let mode = if shared { dir.interim } else { dir.mode };
    if mode != dir.interim {
        file.set_permissions(Permissions::from_mode(mode))
            .context("cannot set the mode")?;
    }
    Ok(())
}

impl DirVisitor for DirMirror {
    fn visit(&mut self, rel: &Path, meta: &fs::Metadata) -> Result<()> {
        self.mirror(&self.root.join(rel), meta, rel)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().mode() & 0o7777
    }

    #[test]
    fn the_owner_can_write_until_the_end_then_the_mode_is_exact() {
        let temp = tempfile::tempdir().unwrap();
        let source = temp.path().join("source");
        fs::create_dir(&source).unwrap();
        fs::set_permissions(&source, Permissions::from_mode(0o555)).unwrap();
        let meta = fs::metadata(&source).unwrap();
        let mut mirror = DirMirror::new(temp.path().join("out"));
        mirror.create_root(&source).unwrap();
        mirror.visit(Path::new("sub"), &meta).unwrap();
        // Whoever runs the test (root ignores modes), the interim mode lets the owner write.
        assert_eq!(mode(&temp.path().join("out")), 0o755);
        assert_eq!(mode(&temp.path().join("out/sub")), 0o755);
        assert_eq!(mirror.finish(), Vec::<String>::new());
        assert_eq!(mode(&temp.path().join("out")), 0o555);
        assert_eq!(mode(&temp.path().join("out/sub")), 0o555);
        assert!(mirror.finish().is_empty(), "nothing is left to finish");
        // So that the temp dir can be removed.
        fs::set_permissions(temp.path().join("out"), Permissions::from_mode(0o755)).unwrap();
    }

    #[test]
    fn an_existing_out_is_writable_for_the_run_and_gets_its_own_mode_and_times_back() {
        let temp = tempfile::tempdir().unwrap();
        let (source, out) = (temp.path().join("source"), temp.path().join("out"));
        fs::create_dir(&source).unwrap();
        fs::create_dir(&out).unwrap();
        let then = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_600_000_000);
        File::open(&out)
            .unwrap()
            .set_times(FileTimes::new().set_modified(then))
            .unwrap();
        fs::set_permissions(&out, Permissions::from_mode(0o500)).unwrap();
        let meta = fs::metadata(&source).unwrap();
        let mut mirror = DirMirror::new(out.clone());
        mirror.create_root(&source).unwrap();
        mirror.visit(Path::new("sub"), &meta).unwrap();
        assert_eq!(mode(&out), 0o700);
        fs::write(out.join("a.log"), "a\n").unwrap();
        // Stopped early: only OUT is settled.
        assert_eq!(mirror.abandon(), Vec::<String>::new());
        assert_eq!(mode(&out), 0o500);
        assert_eq!(fs::metadata(&out).unwrap().modified().unwrap(), then);
        assert!(mirror.finish().is_empty(), "nothing is left to finish");
        fs::set_permissions(&out, Permissions::from_mode(0o755)).unwrap();
    }
}
