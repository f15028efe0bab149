//! Operator options: `--dry-run`, `--incremental` (and `--force`) reruns, resuming after Ctrl-C,
//! and `--fail-fast`.

mod common;

use std::fs;
use std::process::Stdio;
use std::time::Duration;

use common::{DELAY_ENV, TestEnv, generated_tree, send_signal, tree, wait_until};

/// The summary line without its timing part.
fn summary(run: &common::Run) -> String {
    let last = run.stderr.lines().last().unwrap_or_default();
    last[..last.rfind("; ").unwrap_or(last.len())].to_string()
}

#[test]
fn incremental_reruns_skip_finished_outputs_and_force_redoes_them() {
    let env = TestEnv::new();
    env.write("in/a.log", "a\n");
    env.write("in/sub/b.log", "b\n");
    env.write("in/c.log", "c\n");
    env.run(&["convert", "in", "out"]).assert_code(0);

    let rerun = env.run(&["convert", "--incremental", "in", "out"]);
    rerun.assert_code(0);
    // Up-to-date files are counted, not listed one by one.
    assert_eq!(rerun.stderr.lines().count(), 1, "{}", rerun.stderr);
    assert_eq!(
        summary(&rerun),
        "convert: 0 done, 3 skipped, 0 failed; 0 B in, 0 B out"
    );

    // A changed input (new content, new modification time) is converted again.
    std::thread::sleep(Duration::from_millis(20));
    env.write("in/c.log", "c changed\n");
    let changed = env.run(&["convert", "--incremental", "in", "out"]);
    changed.assert_code(0);
    assert_eq!(
        summary(&changed),
        "convert: 1 done, 2 skipped, 0 failed; 10 B in, 10 B out"
    );
    assert_eq!(env.read("out/c.log"), b"c changed\n");

    // -v names the skipped files.
    let verbose = env.run(&["-v", "convert", "--incremental", "in", "out"]);
    assert!(
        verbose
            .stderr
            .contains("in/a.log: skipped: output up to date (--incremental)"),
        "{}",
        verbose.stderr
    );

    let forced = env.run(&["convert", "--incremental", "--force", "in", "out"]);
    forced.assert_code(0);
    assert_eq!(
        summary(&forced),
        "convert: 3 done, 0 skipped, 0 failed; 14 B in, 14 B out"
    );
}

#[test]
fn an_interrupted_run_resumes_with_incremental() {
    let env = TestEnv::new();
    generated_tree(&env.path("in"), 120, 64 * 1024);
    let child = env
        .command(&["convert", "--jobs", "2", "in", "out"])
        .env(DELAY_ENV, "20")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Names only: the run is renaming temp files meanwhile.
    let finished = || common::finished_outputs(&env.path("out"));
    wait_until(Duration::from_secs(20), "first outputs", || finished() >= 4);
    send_signal(&child, libc::SIGINT);
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(130));
    let done_before = finished();
    assert!((4..120).contains(&done_before), "{done_before} outputs");

    let resumed = env.run(&["convert", "--incremental", "in", "out"]);
    resumed.assert_code(0);
    let rest = 120 - done_before;
    assert!(
        summary(&resumed).starts_with(&format!(
            "convert: {rest} done, {done_before} skipped, 0 failed;"
        )),
        "{}",
        resumed.stderr
    );
    assert_eq!(env.tree("out"), env.tree("in"));
}

#[test]
fn fail_fast_stops_taking_files_after_the_first_failure() {
    let env = TestEnv::new();
    let gz = common::filter("gzip", &["-c"], &b"x\n".repeat(1000));
    env.write("in/1-bad.log.gz", &gz[..gz.len() / 2]);
    for name in ["2.log", "3.log", "4.log"] {
        env.write(&format!("in/{name}"), "fine\n");
    }
    fs::write(env.path("list"), "1-bad.log.gz\n2.log\n3.log\n4.log\n").unwrap();
    let run = env.run(&[
        "convert",
        "-j",
        "1",
        "--fail-fast",
        "--to",
        "none",
        "--files-from",
        "list",
        "in",
        "out",
    ]);
    run.assert_code(1);
    // One lane: the failure stopped the run before any other file was taken; the files the walk
    // had found meanwhile are named and counted.
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(
        lines[..lines.len() - 1],
        [
            "asyncfiles: in/1-bad.log.gz: truncated gzip stream",
            "asyncfiles: in/2.log: not started",
            "asyncfiles: in/3.log: not started",
            "asyncfiles: in/4.log: not started",
        ],
        "{}",
        run.stderr
    );
    assert_eq!(
        summary(&run),
        "convert: 0 done, 0 skipped, 1 failed, 3 not started; 0 B in, 0 B out"
    );
    assert!(tree(&env.path("out")).is_empty());
    assert!(env.temp_files().is_empty());

    // Without it, the others are converted.
    env.run(&[
        "-q",
        "convert",
        "-j",
        "1",
        "--to",
        "none",
        "--files-from",
        "list",
        "in",
        "all",
    ])
    .assert_code(1);
    assert_eq!(tree(&env.path("all")).len(), 3);
}

#[test]
fn dry_run_prints_the_plan_and_writes_nothing() {
    let env = TestEnv::new();
    env.write("in/a.log", "a\n");
    env.write("in/sub/b.log", "b\n");
    std::os::unix::fs::symlink("a.log", env.path("in/link.log")).unwrap();
    let run = env.run(&[
        "convert",
        "-n",
        "--to",
        "gz",
        "--manifest",
        "m.b3",
        "in",
        "out",
    ]);
    run.assert_code(0);
    // Lines come as lanes finish: compare them as a set.
    let mut plan: Vec<&str> = std::str::from_utf8(&run.stdout).unwrap().lines().collect();
    plan.sort_unstable();
    assert_eq!(
        plan,
        [
            "in/a.log -> out/a.log.gz",
            "in/sub/b.log -> out/sub/b.log.gz"
        ]
    );
    run.assert_stderr(&[
        "asyncfiles: in/link.log: skipped: symbolic link (use -L to follow)",
        "convert --dry-run: 2 would be written (4 B in), 1 skipped, 0 failed",
    ]);
    assert!(!env.path("out").exists(), "no output directory");
    assert!(!env.path("m.b3").exists(), "no manifest");
    // With --json, stdout holds only JSON: the plan is in the objects.
    let json = env.run(&["convert", "-n", "--json", "in", "out"]);
    json.assert_code(0);
    let statuses: Vec<String> = std::str::from_utf8(&json.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            let object: serde_json::Value = serde_json::from_str(line).unwrap();
            object["status"].as_str().unwrap_or("summary").to_owned()
        })
        .collect();
    assert_eq!(statuses.iter().filter(|s| *s == "planned").count(), 2);
    assert_eq!(statuses.last().map(String::as_str), Some("summary"));
    assert!(!env.path("out").exists());

    // With --incremental it tells what a rerun would skip.
    env.run(&["-q", "convert", "in", "done"]).assert_code(0);
    env.write("in/c.log", "c\n");
    let rerun = env.run(&["-q", "convert", "-n", "--incremental", "in", "done"]);
    rerun
        .assert_code(0)
        .assert_stdout(b"in/c.log -> done/c.log\n");
    assert!(!env.path("done/c.log").exists());
}

#[test]
fn a_timeout_fails_an_input_that_never_ends() {
    let env = TestEnv::new();
    let mut child = env.spawn_piped(&["convert", "--timeout", "300ms", "-", "out.log"]);
    // Some bytes, then a pipe that stays open and silent.
    let mut stdin = child.stdin.take().unwrap();
    std::io::Write::write_all(&mut stdin, b"partial line").unwrap();
    let output = child.wait_with_output().unwrap();
    drop(stdin);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.starts_with("asyncfiles: -: timed out after 300ms\n"),
        "{stderr}"
    );
    assert!(!env.path("out.log").exists());
    assert!(env.temp_files().is_empty());
}

#[test]
fn a_timeout_fails_slow_files_and_the_run_goes_on() {
    let env = TestEnv::new();
    env.write("in/a.log", "a\n");
    env.write("in/b.log", "b\n");
    let output = env
        .command(&["convert", "--timeout", "50ms", "in", "out"])
        .env(DELAY_ENV, "2000")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let mut lines: Vec<&str> = stderr.lines().collect();
    let last = lines.pop().unwrap();
    lines.sort_unstable();
    assert_eq!(
        lines,
        [
            "asyncfiles: in/a.log: timed out after 50ms",
            "asyncfiles: in/b.log: timed out after 50ms"
        ]
    );
    assert!(
        last.starts_with("convert: 0 done, 0 skipped, 2 failed;"),
        "{last}"
    );
    assert!(tree(&env.path("out")).is_empty());
    assert!(env.temp_files().is_empty());
}

#[test]
fn json_lines_describe_every_file_and_the_run() {
    let env = TestEnv::new();
    env.write("in/a.log", "a 10.0.0.1\n");
    env.write("in/sub/b.log", "b\nb\n");
    env.write("in/bad.log.gz", b"\x1f\x8b\x08\x00broken");
    std::os::unix::fs::symlink("a.log", env.path("in/link.log")).unwrap();
    let run = env.run(&[
        "convert", "--json", "--to", "zst", "--redact", "ipv4", "in", "out",
    ]);
    run.assert_code(1);
    let objects: Vec<serde_json::Value> = std::str::from_utf8(&run.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).expect("every line is JSON"))
        .collect();
    let (summary, files) = objects.split_last().unwrap();
    assert_eq!(files.len(), 4, "{objects:?}");
    let by_path = |path: &str| {
        files
            .iter()
            .find(|object| object["path"] == path)
            .unwrap_or_else(|| panic!("no object for {path}"))
    };
    let a = by_path("in/a.log");
    assert_eq!(a["status"], "ok");
    assert_eq!(a["output"], "out/a.log.zst");
    assert_eq!(a["bytes_in"], 11);
    assert_eq!(a["lines_in"], 1);
    assert_eq!(a["lines_out"], 1);
    let written = env.read("out/a.log.zst");
    assert_eq!(a["bytes_out"], written.len() as u64);
    assert_eq!(a["blake3"], blake3::hash(&written).to_hex().as_str());
    assert!(a["ms"].is_u64());
    assert_eq!(by_path("in/sub/b.log")["lines_in"], 2);
    let bad = by_path("in/bad.log.gz");
    assert_eq!(bad["status"], "failed");
    assert!(bad["error"].as_str().unwrap().contains("gzip"), "{bad}");
    assert_eq!(by_path("in/link.log")["status"], "skipped");
    assert_eq!(summary["type"], "summary");
    assert_eq!(summary["ok"], 2);
    assert_eq!(summary["skipped"], 1);
    assert_eq!(summary["failed"], 1);
    assert_eq!(summary["bytes_in"], 11 + 4);
    assert_eq!(summary["lines_in"], 3);
    assert_eq!(summary["exit_code"], 1);
    // Human messages stayed on stderr.
    assert!(
        run.stderr.contains("asyncfiles: in/bad.log.gz: "),
        "{}",
        run.stderr
    );

    env.run(&["convert", "--json", "in/a.log", "-"])
        .assert_code(2);
}

#[test]
fn max_rate_keeps_reading_under_the_limit() {
    // A limit, not a speed target: the run may be slower, never faster than the rate allows.
    let env = TestEnv::new();
    let data: Vec<u8> = (0..3u32 << 20).map(|i| b'a' + (i % 26) as u8).collect();
    env.write("big.log", &data);
    for args in [
        &["-q", "convert", "--max-rate", "6M", "big.log", "out.log"][..],
        &["hash", "--max-rate", "6M", "big.log"][..],
    ] {
        let started = std::time::Instant::now();
        env.run(args).assert_code(0);
        let rate = data.len() as f64 / started.elapsed().as_secs_f64();
        assert!(
            rate <= 6.0 * 1024.0 * 1024.0 * 1.05,
            "{args:?}: {rate:.0} B/s"
        );
    }
    assert_eq!(env.read("out.log"), data);
}

/// Runs `-v convert --retry-delay 10ms ARGS in out` with the fault seam set to `fault`.
fn run_with_fault(env: &TestEnv, fault: &str, args: &[&str]) -> (Option<i32>, String) {
    let mut all = vec!["-v", "convert", "--retry-delay", "10ms"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["in", "out"]);
    let output = env
        .command(&all)
        .env(common::FAULT_ENV, fault)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn transient_errors_are_retried_and_permanent_ones_are_not() {
    let env = TestEnv::new();
    env.write("in/flaky.log", "eventually\n");
    env.write("in/fine.log", "fine\n");

    // Two transient failures, two retries (the default): the file makes it.
    let (code, stderr) = run_with_fault(&env, "flaky:2", &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        stderr.matches("in/flaky.log: retry ").count(),
        2,
        "{stderr}"
    );
    assert!(stderr.contains("retry 1 of 2 in "), "{stderr}");
    assert!(stderr.contains("Stale file handle"), "{stderr}");
    assert_eq!(env.read("out/flaky.log"), b"eventually\n");

    // One retry is not enough.
    fs::remove_dir_all(env.path("out")).unwrap();
    let (code, stderr) = run_with_fault(&env, "flaky:2", &["--retries", "1"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("asyncfiles: in/flaky.log: cannot open: Stale file handle"),
        "{stderr}"
    );
    assert!(!env.path("out/flaky.log").exists());
    assert_eq!(env.read("out/fine.log"), b"fine\n");

    // A permanent error is never retried.
    fs::remove_dir_all(env.path("out")).unwrap();
    let (code, stderr) = run_with_fault(&env, "flaky:1:permanent", &[]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(!stderr.contains("retry"), "{stderr}");
    assert!(
        stderr.contains("asyncfiles: in/flaky.log: cannot open: Permission denied"),
        "{stderr}"
    );
}

/// Runs `convert ARGS in out` under a pseudo-terminal (`script`), returning what it printed.
fn under_a_terminal(env: &TestEnv, args: &str) -> String {
    slowly_under_a_terminal(env, args, 30)
}

/// [`under_a_terminal`] with each chunk slowed by `delay_ms`.
fn slowly_under_a_terminal(env: &TestEnv, args: &str, delay_ms: u32) -> String {
    let command = format!("{} convert {args} in out", env!("CARGO_BIN_EXE_asyncfiles"));
    let output = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(env.root())
        .env(DELAY_ENV, delay_ms.to_string())
        .stdin(Stdio::null())
        .output()
        .expect("script (util-linux) runs a command under a pseudo-terminal");
    assert!(output.status.success());
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn the_progress_bar_shows_on_a_terminal_only() {
    let env = TestEnv::new();
    for i in 0..20 {
        env.write(&format!("in/f{i:02}.log"), format!("line {i}\n"));
    }
    let shown = under_a_terminal(&env, "--progress auto");
    assert!(shown.contains("/20 files"), "{shown:?}");
    assert!(shown.contains("convert: 20 done"), "{shown:?}");
    fs::remove_dir_all(env.path("out")).unwrap();
    let never = under_a_terminal(&env, "--progress never");
    assert!(!never.contains(" files "), "{never:?}");
    fs::remove_dir_all(env.path("out")).unwrap();
    // Not a terminal (a pipe): auto draws nothing; always does.
    let piped = env.run(&["convert", "in", "out"]);
    assert_eq!(piped.stderr.lines().count(), 1, "{}", piped.stderr);
    fs::remove_dir_all(env.path("out")).unwrap();
    let forced = env
        .command(&["convert", "--progress", "always", "in", "out"])
        .env(DELAY_ENV, "30")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&forced.stderr).contains("/20 files"));
}

/// The values drawn before each occurrence of `suffix` (`"12.6 MB in"` gives 12.6), in order.
fn drawn_numbers(shown: &str, suffix: &str) -> Vec<String> {
    shown
        .match_indices(suffix)
        .filter_map(|(at, _)| shown[..at].trim_end().rsplit(' ').next())
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_progress_bar_ticks_and_counts_bytes_during_a_large_file() {
    // One 12 MiB file, 1 MiB chunks slowed by 100 ms: the bar is redrawn while the file is read,
    // with the bytes read so far, and an estimate of the time left from bytes.
    let env = TestEnv::new();
    env.write("in/big.log", b"0123456789abcde\n".repeat(12 << 16));
    let shown = slowly_under_a_terminal(&env, "--progress auto", 100);
    let (during, summary) = shown.split_once("convert: 1 done").expect("a summary");
    assert!(
        summary.starts_with(", 0 skipped, 0 failed; 12.6 MB in"),
        "{shown:?}"
    );
    let mut bytes = drawn_numbers(during, " MB in,");
    bytes.dedup();
    assert!(bytes.len() >= 3, "bytes drawn: {bytes:?} in {during:?}");
    let values: Vec<f64> = bytes.iter().map(|b| b.parse().unwrap()).collect();
    assert!(values.is_sorted(), "{bytes:?}");
    assert!(during.contains("0/1 files"), "{during:?}");
    // The estimate is a time left from bytes, not always 0 (nor unknown) while the file is read.
    let etas: Vec<&str> = during
        .split("ETA ")
        .skip(1)
        .filter_map(|rest| rest.split_whitespace().next())
        .collect();
    assert!(
        etas.iter().any(|eta| *eta != "0s" && *eta != "?"),
        "{etas:?}"
    );
}

#[test]
fn hash_and_stats_take_the_same_operator_options() {
    let env = TestEnv::new();
    env.write("logs/a.log", "alpha\n");
    env.write("logs/b.log", "beta\n");
    std::os::unix::fs::symlink("a.log", env.path("logs/link.log")).unwrap();

    // --json: an object per file, sorted by path, then the summary.
    let json = env.run(&["hash", "--json", "logs"]);
    json.assert_code(0);
    let objects: Vec<serde_json::Value> = std::str::from_utf8(&json.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(objects.len(), 4, "{objects:?}");
    assert_eq!(objects[0]["path"], "logs/a.log");
    assert_eq!(objects[0]["status"], "ok");
    assert_eq!(
        objects[0]["blake3"],
        blake3::hash(b"alpha\n").to_hex().as_str()
    );
    assert_eq!(objects[0]["bytes"], 6);
    assert_eq!(objects[2]["status"], "skipped");
    assert_eq!(objects[3]["type"], "summary");
    assert_eq!(objects[3]["ok"], 2);
    assert_eq!(objects[3]["skipped"], 1);
    assert_eq!(objects[3]["exit_code"], 0);

    // --retries with the fault seam.
    let retried = env
        .command(&["-v", "hash", "--retry-delay", "10ms", "logs"])
        .env(common::FAULT_ENV, "b.log:2")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&retried.stderr);
    assert_eq!(retried.status.code(), Some(0), "{stderr}");
    assert_eq!(stderr.matches("logs/b.log: retry ").count(), 2, "{stderr}");

    // --timeout on standard input that never ends.
    let mut child = env.spawn_piped(&["hash", "--timeout", "200ms", "-"]);
    let mut stdin = child.stdin.take().unwrap();
    std::io::Write::write_all(&mut stdin, b"never ends").unwrap();
    let output = child.wait_with_output().unwrap();
    drop(stdin);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "asyncfiles: -: timed out after 200ms\n"
    );
    assert!(output.stdout.is_empty());

    // --progress: drawn under a terminal, for stats as well.
    let command = format!(
        "{} stats --progress auto logs",
        env!("CARGO_BIN_EXE_asyncfiles")
    );
    let shown = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(env.root())
        .env(DELAY_ENV, "30")
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&shown.stdout);
    assert!(shown.contains("/3 files"), "{shown:?}");
    assert!(shown.contains(" total"), "{shown:?}");
}

#[test]
fn a_slow_large_file_times_out_in_hash_too() {
    // 3 MiB read at 1 MiB/s: the timeout comes first, whichever thread is reading.
    let env = TestEnv::new();
    env.write("big.log", vec![b'x'; 3 << 20]);
    let run = env.run(&["hash", "--max-rate", "1M", "--timeout", "300ms", "big.log"]);
    run.assert_code(1)
        .assert_stderr(&["asyncfiles: big.log: timed out after 300ms"]);
    assert!(run.stdout.is_empty());
}

/// Regression (hardening #15): a failed file was reported with its input's name as `output`.
#[test]
fn json_names_the_output_a_failed_file_would_have_written() {
    let env = TestEnv::new();
    env.write("in/a.log.gz", b"\x1f\x8b\x08\x00broken");
    env.write("in/ok.log", "ok\n");
    // Two inputs for one output name: failed by the walk, before any output is named.
    env.write("in/c.log", "c\n");
    env.write("in/c.log.zst", "c\n");
    let run = env.run(&["convert", "--json", "--to", "zst", "in", "out"]);
    run.assert_code(1);
    let outputs: std::collections::BTreeMap<String, (String, serde_json::Value)> =
        std::str::from_utf8(&run.stdout)
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
            .filter(|object| object["type"] != "summary")
            .map(|object| {
                let path = object["path"].as_str().unwrap().to_owned();
                let status = object["status"].as_str().unwrap().to_owned();
                (path, (status, object["output"].clone()))
            })
            .collect();
    let failed = |output: serde_json::Value| ("failed".to_owned(), output);
    assert_eq!(outputs["in/a.log.gz"], failed("out/a.log.zst".into()));
    assert_eq!(outputs["in/c.log"], failed(serde_json::Value::Null));
    assert_eq!(outputs["in/c.log.zst"], failed(serde_json::Value::Null));
    assert_eq!(outputs["in/ok.log"], ("ok".into(), "out/ok.log.zst".into()));
    assert_eq!(outputs.len(), 4);

    // An up-to-date skip names its output too.
    let rerun = env.run(&[
        "convert",
        "--json",
        "--incremental",
        "--to",
        "zst",
        "in",
        "out",
    ]);
    rerun.assert_code(1);
    let ok = std::str::from_utf8(&rerun.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
        .find(|object| object["path"] == "in/ok.log")
        .unwrap();
    assert_eq!(ok["status"], "skipped");
    assert_eq!(ok["output"], "out/ok.log.zst");
}
