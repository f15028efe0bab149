//! `asyncfiles hash`, `hash --check`, `convert --manifest` and `asyncfiles stats`: hashes equal
//! `blake3::hash` of the content (computed here), lines equal the system `b3sum`'s (installed by
//! `.ci/run`), every `--check` verdict, decoded hashes across formats, standard input, and names
//! with spaces, backslashes and newlines.

mod common;

use std::collections::{BTreeSet, VecDeque};
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

use common::{TestEnv, b3sum_line as line, fixtures, tool_in};

fn stdout(run: &common::Run) -> String {
    String::from_utf8(run.stdout.clone()).unwrap()
}

#[test]
fn hashes_are_blake3_sorted_by_path_and_named_as_given() {
    let env = TestEnv::new();
    env.write("logs/b.log", "bee\n");
    env.write("logs/a/z.log", "zed\n");
    env.write("logs/a b.log", "space\n");
    env.write("logs/empty.log", "");
    let run = env.run(&["hash", "logs"]);
    run.assert_code(0).assert_stderr(&[]);
    let expected = [
        line(b"space\n", "logs/a b.log"),
        line(b"zed\n", "logs/a/z.log"),
        line(b"bee\n", "logs/b.log"),
        line(b"", "logs/empty.log"),
    ]
    .concat();
    assert_eq!(stdout(&run), expected);
    // --unsorted: the same lines, in whatever order files finish.
    let unsorted = env.run(&["hash", "--unsorted", "-j", "3", "logs"]);
    let mut lines: Vec<&str> = std::str::from_utf8(&unsorted.stdout)
        .unwrap()
        .lines()
        .collect();
    lines.sort_unstable();
    let mut sorted: Vec<&str> = expected.lines().collect();
    sorted.sort_unstable();
    assert_eq!(lines, sorted);
}

#[test]
fn lines_equal_the_system_b3sums_on_fixtures_and_odd_names() {
    let env = TestEnv::new();
    // The fixtures, copied so that relative names match, plus names b3sum escapes.
    for entry in walk(&fixtures()) {
        let rel = entry.strip_prefix(fixtures()).unwrap();
        env.write(&format!("t/{}", rel.display()), fs::read(&entry).unwrap());
    }
    env.write("t/odd/sp ace.log", "1\n");
    env.write("t/odd/back\\slash.log", "2\n");
    env.write("t/odd/new\nline.log", "3\n");
    env.write("t/odd/carriage\rreturn.log", "4\n");
    let ours = env.run(&["hash", "t"]);
    ours.assert_code(0);
    let mut names: Vec<String> = walk(&env.path("t"))
        .iter()
        .map(|path| {
            path.strip_prefix(env.root())
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort_unstable();
    let mut args: Vec<&str> = vec!["--no-mmap"];
    args.extend(names.iter().map(String::as_str));
    let theirs = tool_in(env.root(), "b3sum", &args, b"");
    assert_eq!(stdout(&ours), String::from_utf8(theirs).unwrap());
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(walk(&path));
        } else {
            found.push(path);
        }
    }
    found
}

#[test]
fn a_file_that_fails_is_reported_and_the_others_printed() {
    let env = TestEnv::new();
    env.write("logs/ok.log", "ok\n");
    std::os::unix::fs::symlink("missing-target", env.path("logs/dangling.log")).unwrap();
    let run = env.run(&["hash", "-L", "logs"]);
    run.assert_code(1);
    assert_eq!(stdout(&run), line(b"ok\n", "logs/ok.log"));
    assert!(
        run.stderr.starts_with("asyncfiles: logs/dangling.log: "),
        "{}",
        run.stderr
    );
}

#[test]
fn check_reports_ok_failed_missing_and_new() {
    let env = TestEnv::new();
    env.write("logs/same.log", "same\n");
    env.write("logs/changed.log", "before\n");
    env.write("logs/gone.log", "gone\n");
    let manifest = env.run(&["hash", "logs"]);
    manifest.assert_code(0);
    fs::write(env.path("logs.b3"), &manifest.stdout).unwrap();
    env.write("logs/changed.log", "after\n");
    fs::remove_file(env.path("logs/gone.log")).unwrap();
    env.write("logs/added.log", "new\n");

    let run = env.run(&["hash", "--check", "logs.b3", "logs"]);
    run.assert_code(1).assert_stderr(&[]);
    assert_eq!(
        stdout(&run),
        "logs/changed.log: FAILED\nlogs/gone.log: FAILED (missing)\nlogs/same.log: OK\nlogs/added.log: NEW\n"
    );
    // --quiet: failures only; without a directory no NEW is looked for.
    let quiet = env.run(&["hash", "-q", "-c", "logs.b3"]);
    quiet.assert_code(1);
    assert_eq!(
        stdout(&quiet),
        "logs/changed.log: FAILED\nlogs/gone.log: FAILED (missing)\n"
    );
    // An explicit `.` is a directory to look in too (this manifest is new there as well); NEW
    // files are named as the manifest names its paths, without `./`.
    let here = env.run(&["hash", "-q", "--check", "logs.b3", "."]);
    here.assert_code(1);
    assert_eq!(
        stdout(&here),
        "logs/changed.log: FAILED\nlogs/gone.log: FAILED (missing)\nlogs.b3: NEW\nlogs/added.log: NEW\n"
    );
    // All good: exit 0.
    let good = env.run(&["hash", "logs"]);
    fs::write(env.path("good.b3"), &good.stdout).unwrap();
    let ok = env.run(&["hash", "--check", "good.b3", "logs"]);
    ok.assert_code(0);
    assert_eq!(
        stdout(&ok),
        "logs/added.log: OK\nlogs/changed.log: OK\nlogs/same.log: OK\n"
    );
}

#[test]
fn check_reads_manifests_b3sum_wrote_and_escaped_names() {
    let env = TestEnv::new();
    env.write("d/plain.log", "p\n");
    env.write("d/back\\slash.log", "b\n");
    env.write("d/new\nline.log", "n\n");
    let theirs = tool_in(
        env.root(),
        "b3sum",
        &["d/plain.log", "d/back\\slash.log", "d/new\nline.log"],
        b"",
    );
    fs::write(env.path("theirs.b3"), &theirs).unwrap();
    let run = env.run(&["hash", "--check", "theirs.b3"]);
    run.assert_code(0);
    assert_eq!(
        stdout(&run),
        "d/plain.log: OK\n\\d/back\\\\slash.log: OK\n\\d/new\\nline.log: OK\n"
    );
}

#[test]
fn a_malformed_manifest_is_exit_2_with_line_numbers() {
    let env = TestEnv::new();
    env.write("a.log", "a\n");
    let good = line(b"a\n", "a.log");
    env.write(
        "bad.b3",
        format!("{good}not a hash line\n{good}{}  x\n", "A".repeat(64)),
    );
    env.run(&["hash", "--check", "bad.b3"])
        .assert_code(2)
        .assert_stderr(&[
            "asyncfiles: bad.b3:2: expected 64 hex digits, two spaces and a path",
            "asyncfiles: bad.b3:4: the hash is not 64 lowercase hex digits",
        ]);
}

#[test]
fn decompressed_hashes_agree_across_formats() {
    let env = TestEnv::new();
    let text = fs::read(fixtures().join("system/syslog")).unwrap();
    env.write("d/app.log", &text);
    for (tool_name, ext) in [
        ("gzip", "gz"),
        ("zstd", "zst"),
        ("xz", "xz"),
        ("bzip2", "bz2"),
        ("brotli", "br"),
    ] {
        let compressed = tool_in(env.root(), tool_name, &["-c"], &text);
        env.write(&format!("d/app.log.{ext}"), compressed);
    }
    let run = env.run(&["hash", "--decompressed", "d"]);
    run.assert_code(0);
    let hex = blake3::hash(&text).to_hex().to_string();
    let out = stdout(&run);
    assert_eq!(out.lines().count(), 6, "{out}");
    for row in out.lines() {
        assert!(row.starts_with(&hex), "{row}");
    }
    // Without --decompressed the compressed files hash as they are.
    let raw = env.run(&["hash", "d/app.log.gz"]);
    assert_eq!(
        stdout(&raw),
        line(&fs::read(env.path("d/app.log.gz")).unwrap(), "d/app.log.gz")
    );
}

#[test]
fn standard_input_is_hashed_and_decoded() {
    let env = TestEnv::new();
    let text = b"from stdin\n".repeat(1000);
    let plain = env.run_with_stdin(&["hash", "-"], &text);
    plain.assert_code(0);
    assert_eq!(stdout(&plain), line(&text, "-"));
    let gz = tool_in(env.root(), "gzip", &["-c"], &text);
    let decoded = env.run_with_stdin(&["hash", "--decompressed", "-"], &gz);
    decoded.assert_code(0);
    assert_eq!(stdout(&decoded), line(&text, "-"));
}

#[test]
fn a_compressed_stdin_is_recognised_when_it_trickles_in() {
    let env = TestEnv::new();
    let text = b"slow\n".repeat(100);
    let gz = tool_in(env.root(), "gzip", &["-c"], &text);
    let mut child = Command::new(env!("CARGO_BIN_EXE_asyncfiles"))
        .args(["hash", "--decompressed", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    {
        use std::io::Write;
        stdin.write_all(&gz[..1]).unwrap();
        stdin.flush().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(200));
        stdin.write_all(&gz[1..]).unwrap();
    }
    drop(stdin);
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(String::from_utf8(output.stdout).unwrap(), line(&text, "-"));
}

#[test]
fn convert_manifest_lists_the_outputs_and_checks_clean() {
    let env = TestEnv::new();
    env.write("in/a.log", "alpha\n");
    env.write("in/sub/b.log", "beta\n");
    let gz = tool_in(env.root(), "gzip", &["-c"], &b"gamma\n".repeat(100));
    env.write("in/bad.log.gz", &gz[..gz.len() / 2]); // truncated: fails
    env.run(&[
        "-q",
        "convert",
        "--to",
        "zst",
        "--manifest",
        "out.b3",
        "in",
        "out",
    ])
    .assert_code(1);
    // The failed file is absent; the others are listed, hashed as written, relative to OUT.
    let manifest = fs::read_to_string(env.path("out.b3")).unwrap();
    let expected = [
        line(&env.read("out/a.log.zst"), "a.log.zst"),
        line(&env.read("out/sub/b.log.zst"), "sub/b.log.zst"),
    ]
    .concat();
    assert_eq!(manifest, expected);
    let check = Command::new(env!("CARGO_BIN_EXE_asyncfiles"))
        .args(["hash", "--check", "../out.b3", "."])
        .current_dir(env.path("out"))
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(check.stdout).unwrap(),
        "a.log.zst: OK\nsub/b.log.zst: OK\n"
    );
    assert_eq!(check.status.code(), Some(0));
}

#[test]
fn stats_count_decoded_lines_and_bytes() {
    let env = TestEnv::new();
    env.write("s/two.log", "a\nb\n");
    env.write("s/open.log", "a\nno newline");
    env.write("s/empty.log", "");
    env.write(
        "s/z.log.gz",
        tool_in(env.root(), "gzip", &["-c"], b"1\n2\n3\n"),
    );
    let run = env.run(&["stats", "s"]);
    run.assert_code(0);
    assert_eq!(
        stdout(&run),
        "0  0 s/empty.log\n2 12 s/open.log\n2  4 s/two.log\n3  6 s/z.log.gz\n7 22 total\n"
    );
    let json = env.run(&["stats", "--json", "s/two.log", "s/z.log.gz"]);
    json.assert_code(0);
    assert_eq!(
        stdout(&json),
        "{\"bytes\":4,\"lines\":2,\"path\":\"s/two.log\"}\n\
         {\"bytes\":6,\"lines\":3,\"path\":\"s/z.log.gz\"}\n\
         {\"bytes\":10,\"files\":2,\"lines\":5,\"total\":true}\n"
    );
}

#[test]
fn stats_totals_on_the_fixtures_match_wc() {
    let env = TestEnv::new();
    let run = env.run(&["stats", fixtures().to_str().unwrap()]);
    run.assert_code(0);
    let (mut lines, mut bytes) = (0u64, 0u64);
    for path in walk(&fixtures()) {
        let content = fs::read(&path).unwrap();
        bytes += content.len() as u64;
        lines += content.iter().filter(|&&b| b == b'\n').count() as u64;
        lines += u64::from(!content.is_empty() && !content.ends_with(b"\n"));
    }
    let out = stdout(&run);
    let total = out.lines().last().unwrap();
    let fields: Vec<&str> = total.split_whitespace().collect();
    assert_eq!(
        fields,
        [lines.to_string(), bytes.to_string(), "total".into()]
    );
}

/// The manifest a full `convert --to zst` of `in/` writes, made in a fresh OUT of its own.
fn full_run_manifest(env: &TestEnv, name: &str) -> String {
    let (out, manifest) = (format!("fresh-{name}"), format!("fresh-{name}.b3"));
    env.run(&[
        "-q",
        "convert",
        "--to",
        "zst",
        "--manifest",
        &manifest,
        "in",
        &out,
    ])
    .assert_code(0);
    fs::read_to_string(env.path(&manifest)).unwrap()
}

/// `b3sum --check` of `manifest` run inside `out`: every line OK.
fn assert_b3sum_checks(env: &TestEnv, manifest: &str, out: &str) {
    let check = Command::new("b3sum")
        .args(["--check", &env.path(manifest).to_string_lossy()])
        .current_dir(env.path(out))
        .output()
        .unwrap();
    let report = String::from_utf8(check.stdout).unwrap();
    assert_eq!(check.status.code(), Some(0), "{report}");
    assert!(
        report.lines().all(|line| line.ends_with(": OK")),
        "{report}"
    );
}

/// Regression (hardening #13): `--incremental --manifest` replaced the manifest with the files of
/// that run only. The lines of up-to-date files are kept (or hashed from OUT when the old manifest
/// lacks them), so the result equals a full run's manifest.
#[test]
fn incremental_manifest_equals_a_full_runs_manifest() {
    let env = TestEnv::new();
    env.write("in/a.log", "alpha\n");
    env.write("in/sub/b.log", "beta\n");
    env.write("in/c.log", "gamma\n");
    env.write("in/gone.log", "removed before the rerun\n");
    let convert = |manifest: &str| {
        let args = [
            "-q",
            "convert",
            "--incremental",
            "--to",
            "zst",
            "--manifest",
            manifest,
        ];
        env.run(&[&args[..], &["in", "out"]].concat())
            .assert_code(0);
        fs::read_to_string(env.path(manifest)).unwrap()
    };
    convert("m.b3");

    std::thread::sleep(std::time::Duration::from_millis(20));
    env.write("in/c.log", "gamma, changed\n");
    env.write("in/new.log", "new\n");
    fs::remove_file(env.path("in/gone.log")).unwrap();
    let merged = convert("m.b3");
    let expected = [
        line(&env.read("out/a.log.zst"), "a.log.zst"),
        line(&env.read("out/c.log.zst"), "c.log.zst"),
        line(&env.read("out/new.log.zst"), "new.log.zst"),
        line(&env.read("out/sub/b.log.zst"), "sub/b.log.zst"),
    ]
    .concat();
    assert_eq!(merged, expected);
    assert_eq!(merged, full_run_manifest(&env, "first"));
    assert_b3sum_checks(&env, "m.b3", "out");

    // Nothing to convert: every line comes from the old manifest.
    assert_eq!(convert("m.b3"), expected);
    // No old manifest, or one that lacks lines or has malformed ones: the outputs are hashed.
    assert_eq!(convert("absent.b3"), expected);
    let partial = format!(
        "not a manifest line\n{}",
        &expected[expected.find('\n').unwrap() + 1..]
    );
    fs::write(env.path("partial.b3"), partial).unwrap();
    assert_eq!(convert("partial.b3"), expected);
    assert_b3sum_checks(&env, "partial.b3", "out");
    // -v says when outputs had to be hashed.
    let args = [
        "-v",
        "convert",
        "--incremental",
        "--to",
        "zst",
        "--manifest",
        "v.b3",
        "in",
        "out",
    ];
    let verbose = env.run(&args);
    verbose.assert_code(0);
    let note = "v.b3: hashed 4 up-to-date outputs from OUT: the previous manifest does not list them as they are";
    assert!(
        verbose.stderr.lines().any(|l| l == note),
        "{}",
        verbose.stderr
    );
}

/// The summary line is the last word of a run: a manifest that cannot be written is reported
/// before it, and the run exits 1 with every file written.
#[test]
fn a_manifest_that_cannot_be_written_is_reported_before_the_summary() {
    let env = TestEnv::new();
    env.write("in/a.log", b"hi\n");
    // A directory in the manifest's place: found only when the manifest is renamed into place.
    fs::create_dir(env.path("m.b3")).unwrap();
    env.run(&["convert", "in", "out", "--manifest", "m.b3"])
        .assert_code(1)
        .assert_stderr(&[
            "asyncfiles: m.b3: cannot write the manifest: Is a directory",
            "convert: 1 done, 0 skipped, 0 failed; 3 B in, 3 B out",
        ]);
    assert_eq!(fs::read(env.path("out/a.log")).unwrap(), b"hi\n");
}

/// An interrupted `--incremental` run (or one without `--manifest`) rewrites outputs and leaves
/// the old manifest behind; the next `--incremental --manifest` run must not keep the old lines of
/// those outputs (they are up to date now, but not the bytes the old line describes).
#[test]
fn incremental_manifest_rehashes_outputs_rewritten_since_it_was_written() {
    let env = TestEnv::new();
    env.write("in/a.log", "v1\n");
    env.write("in/b.log", "stays\n");
    let convert = |extra: &[&str]| {
        let args = [
            &["-q", "convert", "--incremental"][..],
            extra,
            &["in", "out"],
        ]
        .concat();
        env.run(&args).assert_code(0);
    };
    convert(&["--manifest", "m.b3"]);
    // Timestamps must differ between the runs (a coarse file system clock ticks in ms).
    std::thread::sleep(std::time::Duration::from_millis(20));
    env.write("in/a.log", "v2, longer\n");
    convert(&[]);
    convert(&["--manifest", "m.b3"]);
    let expected = [
        line(&env.read("out/a.log"), "a.log"),
        line(&env.read("out/b.log"), "b.log"),
    ]
    .concat();
    assert_eq!(env.read("out/a.log"), b"v2, longer\n");
    assert_eq!(fs::read_to_string(env.path("m.b3")).unwrap(), expected);
    assert_b3sum_checks(&env, "m.b3", "out");
}

/// `size` bytes of log-like text, different for each `seed` (fast to make: one line repeated).
fn big_log(size: usize, seed: usize) -> Vec<u8> {
    let line = format!("2026-11-21T03:15:59Z seed {seed} a line of log text to hash\n");
    let mut data = line.repeat(size / line.len() + 1).into_bytes(); // copies, doubling
    data.truncate(size);
    data
}

/// A 40 MiB file (hashed wide, as BLAKE3 subtrees) gives b3sum's line on one thread and on two.
#[test]
fn a_wide_file_hashes_as_b3sum_on_one_thread_and_on_two() {
    let env = TestEnv::new();
    let data = big_log((40 << 20) + 12_345, 0);
    env.write("big.log", &data);
    let b3sum = Command::new("b3sum")
        .arg("big.log")
        .current_dir(env.root())
        .output()
        .expect("b3sum is needed for these tests (.ci/run installs it)");
    assert!(b3sum.status.success());
    assert_eq!(b3sum.stdout, line(&data, "big.log").as_bytes());
    for threads in ["1", "2"] {
        let run = env.run(&["hash", "--threads", threads, "big.log"]);
        run.assert_code(0)
            .assert_stderr(&[])
            .assert_stdout(&b3sum.stdout);
    }
}

/// The state letter of a `/proc/PID/task/TID/stat` line (after the command name, which may hold
/// spaces and parentheses).
fn task_state(stat: &str) -> Option<char> {
    stat[stat.rfind(')')? + 1..].trim_start().chars().next()
}

/// The threads of process `pid` running or ready to run (state R) right now.
fn busy_threads(pid: u32) -> BTreeSet<String> {
    let Ok(tasks) = fs::read_dir(format!("/proc/{pid}/task")) else {
        return BTreeSet::new(); // it has just ended
    };
    tasks
        .filter_map(|task| {
            let task = task.ok()?;
            let stat = fs::read_to_string(task.path().join("stat")).ok()?;
            (task_state(&stat) == Some('R')).then(|| task.file_name().to_string_lossy().into())
        })
        .collect()
}

/// Samples in a row (2 ms apart, or more) a thread must be busy in to count as busy.
const BUSY_SAMPLES: usize = 8;

/// Runs `env`'s binary with `args` (whose output must be `expected`, with no message) and
/// returns the most threads it kept busy at once, sampled from /proc. A thread counts when it is
/// busy in [`BUSY_SAMPLES`] samples in a row: on this 2-core machine anything woken waits in
/// state R while two threads work, so brief turns (six lanes starting at once, a lane handing on
/// a result, the runtime waking a helper) would count too, the more so while other tests load
/// the machine.
fn most_busy_threads(env: &TestEnv, args: &[&str], expected: &str) -> usize {
    let mut child = env.spawn_piped(args);
    drop(child.stdin.take()); // nothing to read there
    let mut last: VecDeque<BTreeSet<String>> = VecDeque::new();
    let mut most = 0;
    while child.try_wait().unwrap().is_none() {
        last.push_back(busy_threads(child.id()));
        if last.len() > BUSY_SAMPLES {
            last.pop_front();
        }
        if last.len() == BUSY_SAMPLES {
            let busy = last[0]
                .iter()
                .filter(|tid| last.iter().all(|sample| sample.contains(*tid)));
            most = most.max(busy.count());
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let output = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
    assert_eq!(String::from_utf8(output.stdout).unwrap(), expected);
    assert_eq!(output.status.code(), Some(0));
    most
}

/// Six logs of `size` bytes (made fast), each written as `tree/f{i}.log{suffix}` from `encode(content)`;
/// returns each name (less the suffix) with its content.
fn six_big_logs(
    env: &TestEnv,
    size: usize,
    suffix: &str,
    encode: fn(&[u8]) -> Vec<u8>,
) -> Vec<(String, Vec<u8>)> {
    let files: Vec<(String, Vec<u8>)> = (0..6)
        .map(|i| (format!("tree/f{i}.log"), big_log(size, i)))
        .collect();
    for (name, data) in &files {
        env.write(&format!("{name}{suffix}"), encode(data));
    }
    files
}

/// `--threads` caps the busy threads however many lanes hash wide files at once: six lanes,
/// each on a file that could be hashed on several threads, keep at most `--threads` threads
/// hashing (`+ 2` leaves room for two brief turns of others at once). Without the budget (each
/// lane hashing on itself and a helper), 12 threads are busy throughout.
#[test]
fn hash_keeps_busy_threads_within_the_cpu_budget() {
    let env = TestEnv::new();
    let files = six_big_logs(&env, 64 << 20, "", <[u8]>::to_vec);
    let expected: String = files.iter().map(|(name, data)| line(data, name)).collect();
    let most = most_busy_threads(&env, &["hash", "-j", "6", "-T", "2", "tree"], &expected);
    assert!(
        most <= 4,
        "{most} threads busy at once, more than --threads 2 + 2"
    );
}

/// The same cap while lanes decode (`--decompressed`): decoding and hashing hold permits, the
/// reads ahead do not. Without the budget, all six lanes decode at once.
#[test]
fn decompressed_hash_keeps_busy_threads_within_the_cpu_budget() {
    let env = TestEnv::new();
    let files = six_big_logs(&env, 16 << 20, ".zst", |data| {
        common::filter("zstd", &["-q", "-1", "-c"], data)
    });
    let expected: String = files
        .iter()
        .map(|(name, data)| line(data, &format!("{name}.zst")))
        .collect();
    let args = ["hash", "--decompressed", "-j", "6", "-T", "2", "tree"];
    let most = most_busy_threads(&env, &args, &expected);
    assert!(
        most <= 4,
        "{most} threads busy at once, more than --threads 2 + 2"
    );
}
