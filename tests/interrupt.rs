//! Signals and resource bounds: Ctrl-C, SIGTERM, SIGHUP and SIGQUIT leave only complete outputs
//! and no temp files; the pool never holds more files open than `--jobs` allows, whatever the
//! tree size.

mod common;

use std::fs;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::{
    DELAY_ENV, STALL_ENV, TestEnv, finished_outputs, generated_tree, send_signal, wait_until,
};

/// Starts `convert --jobs 2 in out` on a generated tree, with a test seam set (`variable=ms`).
fn start_run(env: &TestEnv, files: usize, size: usize, seam: (&str, u32)) -> Child {
    generated_tree(&env.path("in"), files, size);
    env.command(&["convert", "--jobs", "2", "in", "out"])
        .env(seam.0, seam.1.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn binary")
}

/// After an interruption: every output present is complete and identical to its input.
fn assert_outputs_complete(env: &TestEnv) -> usize {
    let input = env.tree("in");
    let output = env.tree("out");
    for (path, bytes) in &output {
        assert_eq!(
            Some(bytes),
            input.get(path),
            "{} is incomplete or unexpected",
            path.display()
        );
    }
    assert!(
        env.temp_files().is_empty(),
        "temp files left: {:?}",
        env.temp_files()
    );
    output.len()
}

#[test]
fn ctrl_c_drains_removes_temp_files_and_exits_130() {
    let env = TestEnv::new();
    let child = start_run(&env, 300, 64 * 1024, (DELAY_ENV, 20));
    wait_until(Duration::from_secs(20), "first outputs", || {
        finished_outputs(&env.path("out")) >= 4
    });
    send_signal(&child, libc::SIGINT);
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    let written = assert_outputs_complete(&env);
    assert!((4..300).contains(&written), "{written} outputs");
    // The files in flight (one per lane at most) are named, then counted.
    let mut lines: Vec<&str> = stderr.lines().collect();
    let last = lines.pop().unwrap_or_default();
    let named = lines.len();
    assert!(named <= 2, "{stderr}");
    for line in lines {
        assert!(
            line.starts_with("asyncfiles: in/") && line.ends_with(".log: cancelled"),
            "{stderr}"
        );
    }
    assert!(
        last.starts_with(&format!(
            "convert interrupted: {written} done, 0 skipped, 0 failed, {named} cancelled; "
        )),
        "{stderr}"
    );
}

#[test]
fn a_second_signal_exits_at_once_and_still_cleans_up() {
    // Opening each file hangs for a minute where no cancellation reaches (a hung file system), so
    // the first signal cannot drain; only the second one (of any kind) can end the run, and it
    // must clean up. The exit code is the first signal's.
    let pairs = [
        (libc::SIGINT, libc::SIGINT, 130),
        (libc::SIGHUP, libc::SIGQUIT, 129),
    ];
    for (first, then, code) in pairs {
        let env = TestEnv::new();
        let child = start_run(&env, 20, 1024, (STALL_ENV, 60_000));
        wait_until(Duration::from_secs(20), "two temp files", || {
            env.temp_files().len() == 2
        });
        send_signal(&child, first);
        std::thread::sleep(Duration::from_millis(300));
        let pid = child.id();
        assert!(
            Path::new(&format!("/proc/{pid}")).exists(),
            "the first signal cannot drain a hung open"
        );
        let second = Instant::now();
        send_signal(&child, then);
        let output = child.wait_with_output().unwrap();
        assert!(
            second.elapsed() < Duration::from_secs(10),
            "took {:?}",
            second.elapsed()
        );
        assert_eq!(
            output.status.code(),
            Some(code),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            env.temp_files().is_empty(),
            "temp files left: {:?}",
            env.temp_files()
        );
        assert_eq!(env.tree("out").len(), 0);
    }
}

#[test]
fn sigterm_sighup_and_sigquit_clean_up_like_ctrl_c_and_exit_128_plus_the_signal() {
    // SIGHUP: a dropped ssh session; SIGQUIT: Ctrl-\ in a terminal.
    for (signal, code) in [
        (libc::SIGTERM, 143),
        (libc::SIGHUP, 129),
        (libc::SIGQUIT, 131),
    ] {
        let env = TestEnv::new();
        let child = start_run(&env, 300, 64 * 1024, (DELAY_ENV, 20));
        wait_until(Duration::from_secs(20), "first outputs", || {
            finished_outputs(&env.path("out")) >= 2
        });
        send_signal(&child, signal);
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(code),
            "signal {signal}: {stderr}"
        );
        let last = stderr.lines().last().unwrap_or_default();
        assert!(last.starts_with("convert interrupted: "), "{stderr}");
        assert_outputs_complete(&env);
    }
}

#[test]
fn ctrl_c_while_stdin_never_ends_exits_130_without_output() {
    let env = TestEnv::new();
    let mut child = env.spawn_piped(&["convert", "-", "out.log"]);
    let mut stdin = child.stdin.take().unwrap();
    std::io::Write::write_all(&mut stdin, b"partial line that never ends").unwrap();
    wait_until(Duration::from_secs(10), "the temp file", || {
        !env.temp_files().is_empty()
    });
    send_signal(&child, libc::SIGINT);
    let output = child.wait_with_output().unwrap();
    drop(stdin);
    assert_eq!(output.status.code(), Some(130));
    assert!(!env.path("out.log").exists());
    assert!(env.temp_files().is_empty(), "{:?}", env.temp_files());
}

/// What one look at `/proc/PID/fd` found.
#[derive(Debug, Default, Clone, Copy)]
struct FdSample {
    total: usize,
    inputs: usize,
    temps: usize,
}

fn sample_fds(pid: u32) -> Option<FdSample> {
    let entries = fs::read_dir(format!("/proc/{pid}/fd")).ok()?;
    let mut sample = FdSample::default();
    for entry in entries.flatten() {
        sample.total += 1;
        let Ok(target) = fs::read_link(entry.path()) else {
            continue;
        };
        let target = target.to_string_lossy();
        // A temp file renamed to its final name may still be open for an instant: its
        // descriptor then names the output. Tell inputs from outputs by their directory.
        // (The walker's directory handles are neither.)
        let file = target.ends_with(".log") || target.ends_with(".asyncfiles-tmp");
        if file && target.contains("/out/") {
            sample.temps += 1;
        } else if file && target.contains("/in/") {
            sample.inputs += 1;
        }
    }
    Some(sample)
}

#[test]
fn open_files_stay_within_the_pool_on_a_5000_file_tree() {
    let env = TestEnv::new();
    let mut child = start_run(&env, 5000, 1024, (DELAY_ENV, 1));
    let pid = child.id();
    let (mut samples, mut peak) = (0, FdSample::default());
    while child.try_wait().unwrap().is_none() {
        if let Some(sample) = sample_fds(pid) {
            samples += 1;
            peak.total = peak.total.max(sample.total);
            peak.inputs = peak.inputs.max(sample.inputs);
            peak.temps = peak.temps.max(sample.temps);
        }
    }
    let output = child.wait_with_output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(env.tree("out").len(), 5000);
    assert!(samples >= 50, "too few samples ({samples}) to say anything");
    assert!(peak.inputs >= 1, "never saw a file in flight: {peak:?}");
    // Two jobs: two inputs and two temp outputs at most. The rest is fixed: stdio, the runtime's
    // epoll/eventfd/signal fds, one handle per directory level the walker has open.
    assert!(peak.inputs <= 2 && peak.temps <= 2, "{peak:?}");
    assert!(peak.total <= 2 * 2 + 16, "{peak:?}");
}

/// Interrupts `convert ARGS big.log out.log` (8 MiB, slowed) once its temp file exists.
fn interrupt_one_large_file(env: &TestEnv, args: &[&str]) -> std::process::Output {
    env.write("big.log", b"0123456789abcde\n".repeat(1 << 19));
    let mut all = vec!["convert"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["big.log", "out.log"]);
    let child = env
        .command(&all)
        .env(DELAY_ENV, "50")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_until(Duration::from_secs(20), "the temp file", || {
        !env.temp_files().is_empty()
    });
    send_signal(&child, libc::SIGINT);
    child.wait_with_output().unwrap()
}

#[test]
fn an_interrupted_run_names_and_counts_the_cancelled_file() {
    let env = TestEnv::new();
    let output = interrupt_one_large_file(&env, &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    assert_eq!(lines[0], "asyncfiles: big.log: cancelled");
    assert!(
        lines[1].starts_with(
            "convert interrupted: 0 done, 0 skipped, 0 failed, 1 cancelled; 0 B in, 0 B out; "
        ),
        "{stderr}"
    );
    assert!(!env.path("out.log").exists());
    assert!(env.temp_files().is_empty(), "{:?}", env.temp_files());

    // --json: the summary object has the same counts.
    let output = interrupt_one_large_file(&env, &["--json"]);
    assert_eq!(output.status.code(), Some(130));
    let stdout = String::from_utf8(output.stdout).unwrap();
    let summary: serde_json::Value = serde_json::from_str(stdout.trim_end()).unwrap();
    assert_eq!(summary["type"], "summary", "{stdout}");
    assert_eq!(summary["ok"], 0);
    assert_eq!(summary["cancelled"], 1);
    assert_eq!(summary["not_started"], 0);
    assert_eq!(summary["exit_code"], 130);
}

/// Bytes the process `pid` has read so far (`rchar` of `/proc/PID/io`).
fn bytes_read_by(pid: u32) -> u64 {
    let io = fs::read_to_string(format!("/proc/{pid}/io")).unwrap_or_default();
    io.lines()
        .find_map(|line| line.strip_prefix("rchar: "))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[test]
fn hash_and_stats_say_they_were_interrupted() {
    // One small file, one large one read slowly (--max-rate): once the large one's first chunk
    // is read, Ctrl-C catches it in flight. What was done is still printed.
    let env = TestEnv::new();
    env.write("logs/a.log", "alpha\n");
    env.write("logs/big.log", vec![b'x'; 8 << 20]);
    let hash_a = format!("{}  logs/a.log\n", blake3::hash(b"alpha\n").to_hex());
    for (command, stdout) in [
        ("hash", hash_a.as_str()),
        ("stats", "1 6 logs/a.log\n1 6 total\n"),
    ] {
        let child = env
            .command(&[command, "-j", "2", "--max-rate", "1M", "logs"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        wait_until(Duration::from_secs(20), "the first chunk", || {
            bytes_read_by(child.id()) >= 1 << 20
        });
        send_signal(&child, libc::SIGINT);
        let output = child.wait_with_output().unwrap();
        assert_eq!(output.status.code(), Some(130), "{command}");
        assert_eq!(
            String::from_utf8_lossy(&output.stderr),
            format!(
                "asyncfiles: logs/big.log: cancelled\n\
                 {command} interrupted: 1 done, 0 skipped, 0 failed, 1 cancelled\n"
            ),
            "{command}"
        );
        assert_eq!(String::from_utf8_lossy(&output.stdout), stdout, "{command}");
    }
}
