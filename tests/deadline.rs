//! Deadlines during CPU-bound work and files that shrink: `--timeout` and Ctrl-C stop a file
//! within about one chunk's work (on the small-file path, the streaming path, `hash` and `stats`),
//! and a file cut short after it was opened fails instead of passing for complete.
//!
//! No test here holds a wall-clock threshold: a run cut short is compared with the same run left
//! to finish, on the same machine, at the same time.

mod common;

use std::process::Stdio;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use common::{Run, TestEnv, send_signal, wait_until};

/// The test-only seam that cuts a file short right after it is opened (see the README).
const TRUNCATE_ENV: &str = "ASYNCFILES_TEST_TRUNCATE";

/// Files up to this size are converted on the small-file path, larger ones streamed
/// (`input::MAX_BUFFER`: the first chunk holds all of a small file).
const SMALL_FILE: usize = 1 << 20;

/// `len` bytes of log lines that compress slowly (a pseudo-random field on every line), the
/// same on every call.
fn costly_log(len: usize) -> Vec<u8> {
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut out = Vec::with_capacity(len + 100);
    let mut line = 0u64;
    while out.len() < len {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let text = format!(
            "2026-11-21T03:15:{:02}Z host{:02} req={:016x} line {line} took {}ms\n",
            line % 60,
            state >> 59,
            state,
            (state >> 40) % 1000
        );
        out.extend_from_slice(text.as_bytes());
        line += 1;
    }
    out.truncate(len);
    out
}

/// Held by each test that compares timings, so that they do not run at once and slow one
/// another's runs unevenly.
static TIMING: Mutex<()> = Mutex::new(());

/// Runs the binary with `args` and how long it took.
fn timed(env: &TestEnv, args: &[&str]) -> (Run, Duration) {
    let started = Instant::now();
    let run = env.run(args);
    (run, started.elapsed())
}

/// Runs `asyncfiles -q COMMAND ARGS` once to the end and once with `--timeout 50ms`: the second
/// run fails `file` with the timeout message, leaves no output and no temp file, and ends in
/// well under a quarter of the time the file needs. Returns the second run.
fn assert_times_out_promptly(env: &TestEnv, command: &str, args: &[&str], file: &str) -> Run {
    let _alone = TIMING.lock().unwrap_or_else(PoisonError::into_inner);
    let full: Vec<&str> = ["-q", command].iter().chain(args).copied().collect();
    let (run, needed) = timed(env, &full);
    run.assert_code(0);
    for leftover in ["out.gz", "out.xz"] {
        let _ = std::fs::remove_file(env.path(leftover));
    }
    let cut: Vec<&str> = ["-q", command, "--timeout", "50ms"]
        .iter()
        .chain(args)
        .copied()
        .collect();
    let (run, took) = timed(env, &cut);
    run.assert_code(1)
        .assert_stderr(&[&format!("asyncfiles: {file}: timed out after 50ms")]);
    assert!(!env.path("out.gz").exists() && !env.path("out.xz").exists());
    assert!(env.temp_files().is_empty(), "{:?}", env.temp_files());
    assert!(
        took < needed / 4,
        "{cut:?} took {took:?}; the whole file takes {needed:?}"
    );
    run
}

#[test]
fn a_timeout_stops_encoding_on_the_small_file_path() {
    let env = TestEnv::new();
    env.write("in.log", costly_log(SMALL_FILE));
    let args = ["--to", "xz", "in.log", "out.xz"];
    assert_times_out_promptly(&env, "convert", &args, "in.log").assert_stdout(b"");
}

#[test]
fn a_timeout_stops_encoding_on_the_streaming_path() {
    let env = TestEnv::new();
    env.write("in.log", costly_log(2 * SMALL_FILE));
    let args = ["--to", "gz", "--level", "9", "in.log", "out.gz"];
    assert_times_out_promptly(&env, "convert", &args, "in.log").assert_stdout(b"");
}

/// `members` gzip (or xz) members of 1 MiB of zeros each, concatenated: a small file that takes
/// long to decode.
fn bomb(tool: &str, members: usize) -> Vec<u8> {
    let member = common::filter(tool, &["-c"], &vec![0; 1 << 20]);
    member.repeat(members)
}

#[test]
fn a_timeout_stops_hashing_a_large_file_while_it_decodes() {
    let env = TestEnv::new();
    // More than a first chunk of compressed bytes (so it is read ahead), then much to decode.
    let mut file = common::filter("gzip", &["-c"], &costly_log(5 << 20));
    assert!(file.len() > SMALL_FILE, "{}", file.len());
    file.extend(bomb("gzip", 35));
    env.write("big.log.gz", file);
    let args = ["--decompressed", "big.log.gz"];
    assert_times_out_promptly(&env, "hash", &args, "big.log.gz").assert_stdout(b"");
}

#[test]
fn a_timeout_stops_stats_while_it_decodes() {
    let env = TestEnv::new();
    env.write("small.log.xz", bomb("xz", 80));
    assert_times_out_promptly(&env, "stats", &["small.log.xz"], "small.log.xz").assert_stdout(b"");
}

#[test]
fn ctrl_c_stops_encoding_within_a_piece() {
    // The small-file path feeds the encoder from memory: all of the file in one call, which
    // Ctrl-C had to wait out, until the encoder was fed in pieces.
    let env = TestEnv::new();
    env.write("in.log", costly_log(SMALL_FILE));
    let args = [
        "-q", "convert", "--to", "zst", "--level", "19", "in.log", "out.zst",
    ];
    let _alone = TIMING.lock().unwrap_or_else(PoisonError::into_inner);
    let (run, needed) = timed(&env, &args);
    run.assert_code(0);
    std::fs::remove_file(env.path("out.zst")).unwrap();
    let child = env
        .command(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The temp output exists once the file is read and its encoding starts.
    wait_until(Duration::from_secs(20), "the temp output", || {
        env.temp_files().len() == 1
    });
    let signalled = Instant::now();
    send_signal(&child, libc::SIGINT);
    let output = child.wait_with_output().unwrap();
    let took = signalled.elapsed();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(!env.path("out.zst").exists());
    assert!(env.temp_files().is_empty(), "{:?}", env.temp_files());
    assert!(
        took < needed / 4,
        "stopping took {took:?}; the whole file takes {needed:?}"
    );
}

/// Runs `asyncfiles -q ARGS` on `file` (written with `bytes`) cut to `cut` bytes right after it
/// is opened, before anything is read: the file fails as shrunk, and no output is left.
fn assert_shrinks(args: &[&str], file: &str, bytes: &[u8], cut: u64) -> Run {
    assert!(cut < bytes.len() as u64);
    let env = TestEnv::new();
    env.write(file, bytes);
    let output = env
        .command(&[&["-q"], args].concat())
        .env(TRUNCATE_ENV, format!("{file}:{cut}"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let run = Run {
        code: output.status.code(),
        stdout: output.stdout,
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    run.assert_code(1).assert_stderr(&[&format!(
        "asyncfiles: {file}: read error: the file shrank while it was read"
    )]);
    assert_eq!(std::fs::metadata(env.path(file)).unwrap().len(), cut);
    assert!(!env.path("out").exists());
    assert!(env.temp_files().is_empty(), "{:?}", env.temp_files());
    run
}

#[test]
fn a_file_cut_short_before_its_first_read_fails_in_convert() {
    // Small (read in one go), and large (cut within its first chunk, or after it).
    for (len, cut) in [(10_000, 4_000), (3 << 20, 100_000), (3 << 20, 2 << 20)] {
        let bytes = costly_log(len);
        assert_shrinks(&["convert", "a.log", "out"], "a.log", &bytes, cut).assert_stdout(b"");
        let args = ["convert", "--to", "gz", "a.log", "out"];
        assert_shrinks(&args, "a.log", &bytes, cut).assert_stdout(b"");
    }
}

#[test]
fn a_file_cut_short_before_its_first_read_fails_in_hash_and_stats() {
    // Small, large (read ahead), and wide (hashed on two threads) files.
    for (len, cut) in [
        (10_000, 0),
        (3 << 20, 100_000),
        (3 << 20, 2 << 20),
        (20 << 20, 1 << 20),
    ] {
        let bytes = costly_log(len);
        assert_shrinks(&["hash", "a.log"], "a.log", &bytes, cut).assert_stdout(b"");
        // No file could be read: no `0 0 total` line.
        assert_shrinks(&["stats", "a.log"], "a.log", &bytes, cut).assert_stdout(b"");
    }
}

#[test]
fn a_compressed_file_cut_short_fails_as_shrunk_not_as_invalid_data() {
    let gz = common::filter("gzip", &["-c"], &costly_log(6 << 20));
    assert!(gz.len() > SMALL_FILE + 100_000, "{}", gz.len());
    // Within the first chunk, and after it (while the decoder reads ahead).
    for cut in [100_000, SMALL_FILE as u64 + 100_000] {
        let args = ["convert", "--to", "none", "a.log.gz", "out"];
        assert_shrinks(&args, "a.log.gz", &gz, cut).assert_stdout(b"");
        let args = ["hash", "--decompressed", "a.log.gz"];
        assert_shrinks(&args, "a.log.gz", &gz, cut).assert_stdout(b"");
    }
}
