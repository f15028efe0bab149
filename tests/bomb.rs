//! A decompression bomb streams through in bounded memory. Its own test binary, because peak
//! RSS is read with `getrusage(RUSAGE_CHILDREN)`, which covers every child this process waited
//! for.

mod common;

use std::fs::File;
use std::process::{Command, Stdio};

use common::TestEnv;

/// The largest resident set of any child waited for so far, in KiB (Linux reports KiB).
fn peak_child_rss_kib() -> i64 {
    // SAFETY: getrusage(2) fills the struct we pass; zeroed is a valid starting value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    assert_eq!(
        unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) },
        0
    );
    usage.ru_maxrss
}

#[test]
fn a_gigabyte_of_zeros_decodes_in_bounded_memory() {
    let env = TestEnv::new();
    // 1 GiB of zeros, about 32 KiB of zstd: a ratio of over 30,000.
    let status = Command::new("sh")
        .arg("-c")
        .arg("head -c 1073741824 /dev/zero | zstd -q -1 -c > bomb.zst")
        .current_dir(env.root())
        .status()
        .expect("sh with zstd (.ci/run installs zstd)");
    assert!(status.success());
    assert!(std::fs::metadata(env.path("bomb.zst")).unwrap().len() < 1 << 20);

    let sink = File::create("/dev/null").unwrap();
    let output = env
        .command(&["-q", "convert", "--to", "none", "bomb.zst", "-"])
        .stdin(Stdio::null())
        .stdout(sink)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let peak_mib = peak_child_rss_kib() / 1024;
    assert!(peak_mib <= 64, "peak RSS {peak_mib} MiB");
}
