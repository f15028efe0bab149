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

/// Whether process `pid` is waiting for a writer of the FIFO `fifo`: it has it open (and polls
/// it), or one of its threads is stuck in a blocking open of a FIFO (`wait_for_partner`). Either
/// way the file has been taken by the run, and its signal handlers are in place.
fn waits_for_writer(pid: u32, fifo: &Path) -> bool {
    let has_open = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .into_iter()
        .flatten()
        .flatten()
        .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|target| target == fifo));
    let in_open = std::fs::read_dir(format!("/proc/{pid}/task"))
        .into_iter()
        .flatten()
        .flatten()
        .any(|task| {
            std::fs::read_to_string(task.path().join("wchan"))
                .is_ok_and(|wchan| wchan == "wait_for_partner")
        });
    has_open || in_open
}

/// Waits for `child` to exit (killing it and failing, so that a failing test cannot hang, when
/// it does not).
fn wait_for_exit(mut child: std::process::Child, what: &str) -> std::process::Output {
    let start = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(30) {
            child.kill().unwrap();
            let output = child.wait_with_output().unwrap();
            panic!(
                "{what} did not end\n--- stderr ---\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn one_sighup_ends_a_run_whose_named_pipe_never_gets_a_writer() {
    // The pipe is abandoned as a file in flight is: cancelled, no output, nothing left behind.
    let cases: [(&[&str], &str, [&str; 2]); 3] = [
        (
            &["convert", "p.fifo", "out.log"],
            "",
            [
                "asyncfiles: p.fifo: cancelled",
                "convert interrupted: 0 done, 0 skipped, 0 failed, 1 cancelled; 0 B in, 0 B out",
            ],
        ),
        (
            &["hash", "p.fifo"],
            "",
            [
                "asyncfiles: p.fifo: cancelled",
                "hash interrupted: 0 done, 0 skipped, 0 failed, 1 cancelled",
            ],
        ),
        (
            &["stats", "p.fifo"],
            "0 0 total\n",
            [
                "asyncfiles: p.fifo: cancelled",
                "stats interrupted: 0 done, 0 skipped, 0 failed, 1 cancelled",
            ],
        ),
    ];
    for (args, stdout, stderr) in cases {
        let env = TestEnv::new();
        let fifo = mkfifo(&env, "p.fifo");
        let child = env.spawn_piped(args);
        common::wait_until(Duration::from_secs(30), "the run to open the FIFO", || {
            waits_for_writer(child.id(), &fifo)
        });
        common::send_signal(&child, libc::SIGHUP);
        let output = wait_for_exit(child, &format!("{args:?} after one SIGHUP"));
        let run = common::Run {
            code: output.status.code(),
            stdout: output.stdout,
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        };
        run.assert_code(129)
            .assert_stderr(&stderr)
            .assert_stdout(stdout.as_bytes());
        assert!(!env.path("out.log").exists(), "{args:?}");
        assert!(env.temp_files().is_empty(), "{:?}", env.temp_files());
    }
}

#[test]
fn a_writer_that_leaves_without_writing_gives_an_empty_stream() {
    let env = TestEnv::new();
    let writer = fifo(&env, "p.fifo", b"");
    env.run(&["hash", "p.fifo"])
        .assert_code(0)
        .assert_stderr(&[])
        .assert_stdout(format!("{}  p.fifo\n", hex(b"")).as_bytes());
    writer.join().unwrap();
}
