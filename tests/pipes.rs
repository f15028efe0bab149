//! Named pipes given on the command line (`hash <(zcat x.gz)`, `stats p.fifo`,
//! `convert <(…) out.log`) are read as streams, like standard input, as b3sum, wc and zcat read
//! them; inside a walked tree they stay skipped.

mod common;

use std::io::Write as _;
use std::os::fd::AsRawFd as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread::JoinHandle;
use std::time::Duration;

use common::{TestEnv, filter};

/// Makes a FIFO at `rel` and a thread that writes `bytes` into it once a reader opens it.
fn fifo(env: &TestEnv, rel: &str, bytes: &[u8]) -> JoinHandle<()> {
    let path = mkfifo(env, rel);
    let bytes = bytes.to_vec();
    std::thread::spawn(move || feed(&path, &bytes))
}

/// Makes a FIFO at `rel`.
fn mkfifo(env: &TestEnv, rel: &str) -> PathBuf {
    let path = env.path(rel);
    let name = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo(3) with a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o644) }, 0);
    path
}

/// Writes `bytes` into the FIFO at `path` once a reader has opened it (giving up, so that a
/// failing test cannot hang, when none comes).
fn feed(path: &Path, bytes: &[u8]) {
    let mut writer = None;
    common::wait_until(Duration::from_secs(30), "a reader of the FIFO", || {
        // O_NONBLOCK: the open fails (ENXIO) instead of waiting while there is no reader.
        writer = std::fs::File::options()
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path)
            .ok();
        writer.is_some()
    });
    let mut writer = writer.unwrap();
    // SAFETY: fcntl(2) on a descriptor we own; clears O_NONBLOCK so writes wait for the reader.
    assert_eq!(
        unsafe { libc::fcntl(writer.as_raw_fd(), libc::F_SETFL, 0) },
        0
    );
    writer.write_all(bytes).unwrap();
}

fn hex(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

#[test]
fn hash_and_stats_read_a_named_pipe_like_stdin() {
    let env = TestEnv::new();
    env.write("a.log", "a\n");
    let writer = fifo(&env, "p.fifo", b"one\ntwo\n");
    env.run(&["hash", "a.log", "p.fifo"])
        .assert_code(0)
        .assert_stderr(&[])
        .assert_stdout(
            format!("{}  a.log\n{}  p.fifo\n", hex(b"a\n"), hex(b"one\ntwo\n")).as_bytes(),
        );
    writer.join().unwrap();
    let gzipped = filter("gzip", &["-c"], b"one\ntwo\nthree");
    let writer = std::thread::spawn({
        let path = env.path("p.fifo");
        move || feed(&path, &gzipped)
    });
    env.run(&["stats", "p.fifo"])
        .assert_code(0)
        .assert_stderr(&[])
        .assert_stdout(b"3 13 p.fifo\n3 13 total\n");
    writer.join().unwrap();
}

#[test]
fn convert_reads_a_named_pipe_and_detects_its_format() {
    let env = TestEnv::new();
    let gzipped = filter("gzip", &["-c"], b"x\ny\n");
    let writer = fifo(&env, "in.fifo", &gzipped);
    env.run(&["-q", "convert", "--to", "none", "in.fifo", "out.log"])
        .assert_code(0)
        .assert_stderr(&[]);
    writer.join().unwrap();
    assert_eq!(env.read("out.log"), b"x\ny\n");
    let writer = std::thread::spawn({
        let path = env.path("in.fifo");
        move || feed(&path, b"plain\n")
    });
    env.run(&["-q", "convert", "in.fifo", "-"])
        .assert_code(0)
        .assert_stdout(b"plain\n");
    writer.join().unwrap();
}

#[test]
fn process_substitution_is_named_as_given() {
    let env = TestEnv::new();
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_asyncfiles"));
    let output = Command::new("bash")
        .args([
            "-c",
            r#""$0" hash <(printf hi) && "$0" -q convert <(printf 'a\n') out.log"#,
        ])
        .arg(&bin)
        .current_dir(env.root())
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        stdout.starts_with(&format!("{}  /dev/fd/", hex(b"hi"))),
        "{stdout}"
    );
    assert_eq!(env.read("out.log"), b"a\n");
}

#[test]
fn fifos_inside_a_walked_tree_stay_skipped() {
    let env = TestEnv::new();
    env.write("logs/a.log", "a\n");
    mkfifo(&env, "logs/p.fifo");
    env.run(&["hash", "logs"])
        .assert_code(0)
        .assert_stderr(&["asyncfiles: logs/p.fifo: skipped: named pipe"])
        .assert_stdout(format!("{}  logs/a.log\n", hex(b"a\n")).as_bytes());
}
