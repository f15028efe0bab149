//! What `convert --archive` keeps of a source beyond mode and times: its owner and group, and its
//! extended attributes, POSIX ACLs among them (`system.posix_acl_access`, and a directory's
//! `system.posix_acl_default`), as `cp -a` and `rsync -a` do.
//!
//! They are read from the open source and given to the open temp file (or mirrored directory)
//! before it is renamed into place, as cp does, so the output never appears without them. The
//! rules, like cp's:
//! - The owner and group are set with `fchown`. Only root may give a file away; anyone else gets
//!   the group kept when they are a member of it (`fchown(-1, gid)`), and else silently keeps
//!   their own, as `cp -a` does. A failure as root (a root-squashed NFS export) is a warning.
//! - Every extended attribute the source lists is set; one that OUT's file system refuses
//!   (unsupported, too large) is a warning naming the output and the attribute, and the file is
//!   still written: the exit code does not change (`cp -a` goes on too).
//! - An ACL the output inherited from its directory's default ACL, which the source does not
//!   have, is removed: the output's permissions are the source's, not the directory's.
//! - The caller sets the mode afterwards: setting an access ACL changes the mode bits.

use std::ffi::{CStr, CString};
use std::fs::File;
use std::io;
use std::os::fd::AsRawFd as _;
use std::os::unix::fs::MetadataExt as _;
use std::path::Path;

/// The ACLs held in extended attributes: removed from an output that inherited them.
const ACL_NAMES: [&CStr; 2] = [c"system.posix_acl_access", c"system.posix_acl_default"];

/// A source's owner, group and extended attributes, to give to its output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Archived {
    uid: u32,
    gid: u32,
    /// Names and values, in the order the file system lists them.
    xattrs: Vec<(CString, Vec<u8>)>,
}

impl Archived {
    /// Reads what `source` (an open file or directory) has. A file system without extended
    /// attributes has none to read. Blocking.
    pub fn read(source: &File) -> io::Result<Self> {
        let meta = source.metadata()?;
        let mut xattrs = Vec::new();
        for name in list(source)? {
            // Removed since it was listed: nothing to keep.
            if let Some(value) = get(source, &name)? {
                xattrs.push((name, value));
            }
        }
        Ok(Self {
            uid: meta.uid(),
            gid: meta.gid(),
            xattrs,
        })
    }

    /// Gives `target` (shown as `shown` in messages) the owner, group and extended attributes
    /// read, and removes ACLs it inherited that the source lacks. Returns the warnings, each an
    /// `asyncfiles: PATH: cause` line, for what could not be kept. Blocking.
    pub fn apply(&self, target: &File, shown: &Path) -> Vec<String> {
        let warn =
            |cause: String| format!("asyncfiles: {}: {cause}", crate::report::escape_path(shown));
        let mut warnings = Vec::new();
        if let Err(error) = self.chown(target) {
            warnings.push(warn(format!(
                "cannot keep owner {}:{}: {error}",
                self.uid, self.gid
            )));
        }
        for (name, value) in &self.xattrs {
            if let Err(error) = set(target, name, value) {
                warnings.push(warn(format!(
                    "cannot keep extended attribute {}: {error}",
                    name.to_string_lossy()
                )));
            }
        }
        if let Err(error) = self.drop_inherited_acls(target) {
            warnings.push(warn(format!("cannot remove an inherited ACL: {error}")));
        }
        warnings
    }

    /// Owner and group as root; else the group at least, where allowed, as `cp -a`.
    fn chown(&self, target: &File) -> io::Result<()> {
        let fd = target.as_raw_fd();
        // SAFETY: `fd` is open for the duration of the call.
        if unsafe { libc::fchown(fd, self.uid, self.gid) } == 0 {
            return Ok(());
        }
        let error = io::Error::last_os_error();
        // SAFETY: geteuid has no preconditions.
        let root = unsafe { libc::geteuid() } == 0;
        let refused = matches!(error.raw_os_error(), Some(libc::EPERM | libc::EINVAL));
        if root || !refused {
            return Err(error);
        }
        // -1 (as uid_t): leave the owner as it is. Not a member of the group: keep ours.
        // SAFETY: as above.
        let _ = unsafe { libc::fchown(fd, u32::MAX, self.gid) };
        Ok(())
    }

    /// Removes the ACLs `target` has (inherited from a default ACL) that the source has not.
    fn drop_inherited_acls(&self, target: &File) -> io::Result<()> {
        let has = list(target)?;
        for name in ACL_NAMES {
            let kept = self.xattrs.iter().any(|(kept, _)| kept.as_c_str() == name);
            if !kept && has.iter().any(|present| present.as_c_str() == name) {
                // SAFETY: `name` is NUL-terminated and the descriptor open.
                if unsafe { libc::fremovexattr(target.as_raw_fd(), name.as_ptr()) } != 0 {
                    return Err(io::Error::last_os_error());
                }
            }
        }
        Ok(())
    }
}

/// Whether `error` says the file system has no extended attributes at all.
fn unsupported(error: &io::Error) -> bool {
    error.raw_os_error() == Some(libc::ENOTSUP)
}

/// The names of `file`'s extended attributes (none where the file system has none).
fn list(file: &File) -> io::Result<Vec<CString>> {
    let fd = file.as_raw_fd();
    let names = read_sized(|buffer: &mut [u8]| {
        // SAFETY: the buffer is valid for its length (a null pointer with 0 asks for the size).
        unsafe { libc::flistxattr(fd, buffer.as_mut_ptr().cast(), buffer.len()) }
    });
    let names = match names {
        Ok(names) => names.unwrap_or_default(),
        Err(error) if unsupported(&error) => Vec::new(),
        Err(error) => return Err(error),
    };
    Ok(names
        .split(|&byte| byte == 0)
        .filter(|name| !name.is_empty())
        .filter_map(|name| CString::new(name).ok())
        .collect())
}

/// The value of `file`'s attribute `name`; `None` when it is gone.
fn get(file: &File, name: &CStr) -> io::Result<Option<Vec<u8>>> {
    let fd = file.as_raw_fd();
    read_sized(|buffer: &mut [u8]| {
        // SAFETY: as in `list`; `name` is NUL-terminated.
        unsafe { libc::fgetxattr(fd, name.as_ptr(), buffer.as_mut_ptr().cast(), buffer.len()) }
    })
}

/// Sets `file`'s attribute `name` to `value`.
fn set(file: &File, name: &CStr, value: &[u8]) -> io::Result<()> {
    // SAFETY: the value is valid for its length; `name` is NUL-terminated.
    let set = unsafe {
        libc::fsetxattr(
            file.as_raw_fd(),
            name.as_ptr(),
            value.as_ptr().cast(),
            value.len(),
            0,
        )
    };
    if set == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Calls `call` with an empty buffer for the size, then with a buffer of that size, again if
/// the value grew in between (`ERANGE`). `None` when there is no such attribute (`ENODATA`).
fn read_sized(mut call: impl FnMut(&mut [u8]) -> isize) -> io::Result<Option<Vec<u8>>> {
    loop {
        let size = call(&mut []);
        if size < 0 {
            return absent_or(io::Error::last_os_error());
        }
        let mut buffer = vec![0; size.unsigned_abs()];
        let read = call(&mut buffer);
        if read >= 0 {
            buffer.truncate(read.unsigned_abs());
            return Ok(Some(buffer));
        }
        let error = io::Error::last_os_error();
        if error.raw_os_error() != Some(libc::ERANGE) {
            return absent_or(error);
        }
    }
}

fn absent_or(error: io::Error) -> io::Result<Option<Vec<u8>>> {
    match error.raw_os_error() {
        Some(libc::ENODATA) => Ok(None),
        _ => Err(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_attributes_are_read_and_given_back() {
        let temp = tempfile::tempdir().unwrap();
        let (source, target) = (temp.path().join("source"), temp.path().join("target"));
        std::fs::write(&source, "a\n").unwrap();
        std::fs::write(&target, "a\n").unwrap();
        let source = File::open(&source).unwrap();
        if set(&source, c"user.origin", b"ci").is_err() {
            eprintln!(
                "no user extended attributes on {}: skipped",
                temp.path().display()
            );
            return;
        }
        let archived = Archived::read(&source).unwrap();
        assert!(
            archived
                .xattrs
                .contains(&(c"user.origin".into(), b"ci".to_vec()))
        );
        let target = File::open(&target).unwrap();
        assert_eq!(
            archived.apply(&target, Path::new("target")),
            Vec::<String>::new()
        );
        assert_eq!(get(&target, c"user.origin").unwrap(), Some(b"ci".to_vec()));
        assert_eq!(get(&target, c"user.none").unwrap(), None);
    }
}
