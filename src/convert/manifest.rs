//! `convert --manifest`: the b3sum manifest of a run's outputs, and with `--incremental` the lines
//! of the outputs found up to date.
//!
//! An incremental run writes only what changed, but its manifest must still list every output of
//! the plan, as a full run's does. A file skipped as up to date keeps its line from the previous
//! manifest (its output did not change since); an output that manifest does not list (no
//! previous manifest, an unreadable one, a malformed or missing line) is hashed as it is in OUT,
//! on the lane that skipped it. So is an output changed since the previous manifest was written
//! (its status change time is later than the manifest's modification time): an interrupted run,
//! or one without `--manifest`, rewrote it and left the old line behind. Lines of files that are no longer in the plan are dropped with the
//! rest of the old manifest. The manifest is written at the end, sorted, atomically.

use std::collections::HashMap;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Context as _;

use crate::config::Dest;
use crate::hash::{manifest_line, parse_manifest_line};
use crate::output::TempRegistry;
use crate::report::escape_path;

/// Outputs paired with the hash of their bytes.
pub(super) type Hashed = Vec<(PathBuf, blake3::Hash)>;

/// The directory manifest paths are relative to: OUT, or the output file's directory.
fn base_of(dest: &Dest) -> PathBuf {
    match dest {
        Dest::Dir(dir) => dir.clone(),
        Dest::File(file) => file.parent().map(Path::to_path_buf).unwrap_or_default(),
        // No manifest in place (clap refuses --manifest with --in-place).
        Dest::Stdout | Dest::InPlace => PathBuf::new(),
    }
}

/// `--incremental --manifest`: the previous manifest, and the lines kept so far for the outputs
/// found up to date. Shared by the lanes.
pub(super) struct UpToDate {
    base: PathBuf,
    /// The previous manifest's hashes, by path relative to `base`.
    previous: HashMap<PathBuf, blake3::Hash>,
    /// Why the previous manifest could not be read, if it exists but could not.
    unreadable: Option<String>,
    /// When the previous manifest was written: a line describes an output only if the output
    /// has not changed since (its ctime is not later).
    written: Option<(i64, i64)>,
    kept: Mutex<Hashed>,
    /// Outputs the previous manifest did not list, hashed from OUT.
    hashed: AtomicU64,
}

impl UpToDate {
    /// Reads the previous manifest at `manifest`, if any, line by line: a malformed line is
    /// left out (its output gets hashed instead). Blocking.
    pub(super) fn load(manifest: &Path, dest: &Dest) -> Self {
        let written = std::fs::metadata(manifest)
            .ok()
            .map(|meta| (meta.mtime(), meta.mtime_nsec()));
        let (bytes, unreadable) = match std::fs::read(manifest) {
            Ok(bytes) => (bytes, None),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => (Vec::new(), None),
            Err(error) => (Vec::new(), Some(error.to_string())),
        };
        let previous = bytes
            .split(|&byte| byte == b'\n')
            .filter_map(|line| parse_manifest_line(line).ok())
            .map(|entry| (entry.path, entry.expected))
            .collect();
        Self {
            base: base_of(dest),
            previous,
            unreadable,
            written,
            kept: Mutex::default(),
            hashed: AtomicU64::new(0),
        }
    }

    /// Keeps the line of `output`, found up to date: its hash in the previous manifest, or its
    /// bytes' hash as they are now. Blocking (it may read the whole output).
    pub(super) fn keep(&self, output: &Path) -> anyhow::Result<()> {
        let rel = output.strip_prefix(&self.base).unwrap_or(output);
        let hash = match self
            .previous
            .get(rel)
            .filter(|_| self.unchanged_since(output))
        {
            Some(hash) => *hash,
            None => {
                let hash = hash_file(output).with_context(|| {
                    format!(
                        "cannot hash its up-to-date output {} for the manifest",
                        escape_path(output)
                    )
                })?;
                self.hashed.fetch_add(1, Ordering::Relaxed);
                hash
            }
        };
        self.kept
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push((output.to_path_buf(), hash));
        Ok(())
    }

    /// Whether `output` has not changed since the previous manifest was written (its last
    /// status change, a rename into place included, is not later). Blocking.
    fn unchanged_since(&self, output: &Path) -> bool {
        let changed = std::fs::metadata(output).map(|meta| (meta.ctime(), meta.ctime_nsec()));
        matches!((changed, self.written), (Ok(changed), Some(written)) if changed <= written)
    }

    /// The lines kept; says with `-v` how many outputs had to be hashed, and why.
    pub(super) fn finish(&self, manifest: &Path) -> Hashed {
        let hashed = self.hashed.load(Ordering::Relaxed);
        if hashed > 0 {
            let shown = escape_path(manifest);
            let why = match &self.unreadable {
                Some(cause) => format!("the previous manifest cannot be read ({cause})"),
                None => "the previous manifest does not list them as they are".to_owned(),
            };
            let outputs = if hashed == 1 { "output" } else { "outputs" };
            tracing::info!("{shown}: hashed {hashed} up-to-date {outputs} from OUT: {why}");
        }
        std::mem::take(
            &mut *self
                .kept
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }
}

/// BLAKE3 of a file's bytes, read in 64 KiB pieces. Blocking.
fn hash_file(path: &Path) -> std::io::Result<blake3::Hash> {
    let mut hasher = blake3::Hasher::new();
    hasher.update_reader(std::fs::File::open(path)?)?;
    Ok(hasher.finalize())
}

/// Writes the `--manifest` of a run: one b3sum line per output (written, or kept up to date),
/// paths relative to OUT, sorted; atomically (temp file beside it, then rename).
pub(super) async fn write_manifest(
    manifest: PathBuf,
    dest: &Dest,
    mut outputs: Hashed,
    fsync: bool,
    temps: TempRegistry,
) -> anyhow::Result<()> {
    let base = base_of(dest);
    for (path, _) in &mut outputs {
        if let Ok(rel) = path.strip_prefix(&base) {
            *path = rel.to_path_buf();
        }
    }
    outputs.sort_by(|(a, _), (b, _)| {
        use std::os::unix::ffi::OsStrExt as _;
        a.as_os_str().as_bytes().cmp(b.as_os_str().as_bytes())
    });
    tokio::task::spawn_blocking(move || {
        let text: String = outputs
            .iter()
            .map(|(path, hash)| manifest_line(hash, path))
            .collect();
        temps
            .write_atomically(&manifest, text.as_bytes(), fsync)
            .context("cannot write the manifest")
    })
    .await
    .context("internal error: the manifest task failed")?
}
