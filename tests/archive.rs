//! `convert -a/--archive`: owner, group, extended attributes and ACLs kept for files and the
//! mirror's directories, as `cp -a`; without it, only mode and times (issue 13).
//!
//! The tests run as root (as CI does) and give sources away with `chown` to 1234:1234; they set
//! `user.*` attributes and ACLs (the `system.posix_acl_*` attributes, bytes written here, so the
//! `acl` package is not needed) with libc on the scratch directory's file system (ext4 or tmpfs,
//! which have both). A test that finds it is not root, or no extended attributes, says so on
//! stderr and checks nothing.

mod common;

use std::ffi::CString;
use std::fs;
use std::os::unix::ffi::OsStrExt as _;
use std::os::unix::fs::MetadataExt as _;
use std::path::Path;

use common::TestEnv;

fn c_path(path: &Path) -> CString {
    CString::new(path.as_os_str().as_bytes()).unwrap()
}

/// Sets the attribute `name` of `path` (not following a link); false when refused.
fn set_xattr(path: &Path, name: &str, value: &[u8]) -> bool {
    let (path, name) = (c_path(path), CString::new(name).unwrap());
    // SAFETY: both strings are NUL-terminated, the value valid for its length.
    unsafe {
        libc::lsetxattr(
            path.as_ptr(),
            name.as_ptr(),
            value.as_ptr().cast(),
            value.len(),
            0,
        ) == 0
    }
}

/// The attribute `name` of `path`, `None` when it has none.
fn xattr(path: &Path, name: &str) -> Option<Vec<u8>> {
    let (path, name) = (c_path(path), CString::new(name).unwrap());
    let mut value = vec![0u8; 65536];
    // SAFETY: as above; the buffer is valid for its length.
    let read = unsafe {
        libc::lgetxattr(
            path.as_ptr(),
            name.as_ptr(),
            value.as_mut_ptr().cast(),
            value.len(),
        )
    };
    (read >= 0).then(|| {
        value.truncate(read as usize);
        value
    })
}

/// An ACL in the kernel's `system.posix_acl_*` format: version 2, then (tag, perm, id) entries,
/// sorted by tag: owner rw-, user 1234 with `named`, group r--, mask r--, other r--.
fn acl(named: u16) -> Vec<u8> {
    const UNDEFINED: u32 = u32::MAX;
    let entries = [
        (0x01, 6, UNDEFINED), // ACL_USER_OBJ
        (0x02, named, 1234),  // ACL_USER
        (0x04, 4, UNDEFINED), // ACL_GROUP_OBJ
        (0x10, 4, UNDEFINED), // ACL_MASK
        (0x20, 4, UNDEFINED), // ACL_OTHER
    ];
    let mut bytes = 2u32.to_le_bytes().to_vec();
    for (tag, perm, id) in entries {
        bytes.extend(u16::to_le_bytes(tag));
        bytes.extend(u16::to_le_bytes(perm));
        bytes.extend(u32::to_le_bytes(id));
    }
    bytes
}

fn owner(path: &Path) -> (u32, u32) {
    let meta = fs::metadata(path).unwrap();
    (meta.uid(), meta.gid())
}

fn chown(path: &Path, uid: u32, gid: u32) {
    std::os::unix::fs::chown(path, Some(uid), Some(gid)).unwrap();
}

/// Whether this test can check anything here: root, and user attributes on the scratch disk.
fn can_test(env: &TestEnv) -> bool {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("not root: owners cannot be given away here; nothing checked");
        return false;
    }
    let probe = env.write("probe", "");
    let supported = set_xattr(&probe, "user.probe", b"1");
    fs::remove_file(probe).unwrap();
    // As root (CI runs as root, on ext4 or tmpfs, which have them) a file system without them
    // must not let these tests pass without checking anything.
    assert!(
        supported,
        "no user extended attributes on {}: these tests need a file system with them",
        env.root().display()
    );
    supported
}

/// in/app/a.log and in/app given to 1234:1234 with a user attribute each, an access ACL on the
/// file and a default ACL on the directory.
fn archived_source(env: &TestEnv) {
    let file = env.write("in/app/a.log", "a\n");
    env.write("in/app/plain.log", "plain\n");
    let dir = env.path("in/app");
    assert!(set_xattr(&file, "user.origin", b"web-1"));
    assert!(set_xattr(&dir, "user.retention", b"90d"));
    assert!(set_xattr(&file, "system.posix_acl_access", &acl(4)));
    // Set after the files were written: plain.log has no ACL, and its mirror must not inherit one.
    assert!(set_xattr(&dir, "system.posix_acl_default", &acl(6)));
    chown(&file, 1234, 1234);
    chown(&dir, 1234, 1234);
}

#[test]
fn archive_keeps_owner_group_attributes_and_acls_of_files_and_directories() {
    let env = TestEnv::new();
    if !can_test(&env) {
        return;
    }
    archived_source(&env);
    env.run(&["convert", "-a", "--to", "gz", "in", "out"])
        .assert_code(0)
        .assert_stderr(&["convert: 2 done, 0 skipped, 0 failed; 8 B in, 48 B out"]);
    let (file, dir) = (env.path("out/app/a.log.gz"), env.path("out/app"));
    assert_eq!(owner(&file), (1234, 1234));
    assert_eq!(owner(&dir), (1234, 1234));
    assert_eq!(xattr(&file, "user.origin").as_deref(), Some(&b"web-1"[..]));
    assert_eq!(xattr(&dir, "user.retention").as_deref(), Some(&b"90d"[..]));
    assert_eq!(xattr(&file, "system.posix_acl_access"), Some(acl(4)));
    assert_eq!(xattr(&dir, "system.posix_acl_default"), Some(acl(6)));
    // The mode is the source's, ACL or not.
    let mode = |path: &Path| fs::metadata(path).unwrap().mode() & 0o7777;
    assert_eq!(mode(&file), mode(&env.path("in/app/a.log")));
    assert_eq!(mode(&dir), mode(&env.path("in/app")));
    // Written into a directory with a default ACL, plain.log does not inherit one it never had.
    let plain = env.path("out/app/plain.log.gz");
    assert_eq!(xattr(&plain, "system.posix_acl_access"), None);
    assert_eq!(mode(&plain), mode(&env.path("in/app/plain.log")));
    assert_eq!(owner(&plain), owner(&env.path("in/app/plain.log")));
}

#[test]
fn without_archive_only_mode_and_times_are_kept() {
    let env = TestEnv::new();
    if !can_test(&env) {
        return;
    }
    archived_source(&env);
    env.run(&["-q", "convert", "in", "out"]).assert_code(0);
    let (file, dir) = (env.path("out/app/a.log"), env.path("out/app"));
    assert_eq!(owner(&file), (0, 0));
    assert_eq!(owner(&dir), (0, 0));
    assert_eq!(xattr(&file, "user.origin"), None);
    assert_eq!(xattr(&dir, "user.retention"), None);
    assert_eq!(xattr(&dir, "system.posix_acl_default"), None);
    assert_eq!(
        fs::metadata(&file).unwrap().modified().unwrap(),
        fs::metadata(env.path("in/app/a.log"))
            .unwrap()
            .modified()
            .unwrap()
    );
}

#[test]
fn archive_keeps_a_single_files_attributes_and_ignores_standard_input() {
    let env = TestEnv::new();
    if !can_test(&env) {
        return;
    }
    let file = env.write("a.log", "a\n");
    assert!(set_xattr(&file, "user.origin", b"db-2"));
    chown(&file, 1234, 4321);
    env.run(&[
        "-q",
        "convert",
        "--archive",
        "-9",
        "--to",
        "xz",
        "a.log",
        "a.log.xz",
    ])
    .assert_code(0);
    assert_eq!(owner(&env.path("a.log.xz")), (1234, 4321));
    assert_eq!(
        xattr(&env.path("a.log.xz"), "user.origin").as_deref(),
        Some(&b"db-2"[..])
    );
    // Standard input has nothing to keep: the output is the user's, as without -a.
    env.run_with_stdin(&["-q", "convert", "-a", "-", "stdin.log"], b"s\n")
        .assert_code(0);
    assert_eq!(owner(&env.path("stdin.log")), (0, 0));
}

/// An attribute OUT's file system refuses is a warning, and the file is still written: here a
/// value larger than an ext4 block, set on tmpfs (/dev/shm), which takes it, and converted to
/// the scratch directory's disk. Checked only where the two file systems are so.
#[test]
fn an_attribute_the_output_cannot_hold_is_a_warning_and_the_file_is_written() {
    let env = TestEnv::new();
    if !can_test(&env) {
        return;
    }
    let Ok(shm) = tempfile::tempdir_in("/dev/shm") else {
        eprintln!("no /dev/shm: nothing checked");
        return;
    };
    let source = shm.path().join("a.log");
    fs::write(&source, "a\n").unwrap();
    let big = vec![b'x'; 16 << 10];
    let out = env.path("out.log");
    if !set_xattr(&source, "user.big", &big) || !set_xattr(&out_probe(&env), "user.small", b"1") {
        eprintln!("/dev/shm takes no 16 KiB attribute: nothing checked");
        return;
    }
    if set_xattr(&out_probe(&env), "user.big", &big) {
        eprintln!(
            "{} takes a 16 KiB attribute: nothing checked",
            env.root().display()
        );
        return;
    }
    assert!(set_xattr(&source, "user.small", b"kept"));
    let run = env.run(&["convert", "-a", source.to_str().unwrap(), "out.log"]);
    run.assert_code(0);
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{}", run.stderr);
    assert!(
        lines[0].starts_with("asyncfiles: out.log: cannot keep extended attribute user.big: "),
        "{}",
        run.stderr
    );
    assert!(
        lines[1].starts_with("convert: 1 done, 0 skipped, 0 failed"),
        "{}",
        run.stderr
    );
    assert_eq!(env.read("out.log"), b"a\n");
    assert_eq!(xattr(&out, "user.small").as_deref(), Some(&b"kept"[..]));
    assert_eq!(xattr(&out, "user.big"), None);
    // -q: errors only, and this is not one.
    let run = env.run(&["-q", "convert", "-a", source.to_str().unwrap(), "out.log"]);
    run.assert_code(0).assert_stderr(&[]);
}

/// A file on the scratch disk to probe what it accepts.
fn out_probe(env: &TestEnv) -> std::path::PathBuf {
    let probe = env.path("probe.log");
    if !probe.exists() {
        fs::write(&probe, "").unwrap();
    }
    probe
}
