//! `convert --in-place`: outputs beside their inputs, inputs removed only once their output is
//! committed and synced, never when it failed, was skipped or is the input itself; conflicts,
//! `--force`, `--keep`, hard links, `--incremental`, `--json`, `--dry-run`, and the kill -9
//! property: whenever the run dies, every file's content is still there in one form.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use common::{FAULT_ENV, TestEnv, filter};

/// Each format: `--to` name, extension, and the system tool's decoding command line.
const FORMATS: [(&str, &str, &str, &[&str]); 6] = [
    ("gz", "gz", "gzip", &["-dc"]),
    ("zst", "zst", "zstd", &["-dc"]),
    ("xz", "xz", "xz", &["-dc"]),
    ("bz2", "bz2", "bzip2", &["-dc"]),
    ("br", "br", "brotli", &["-dc"]),
    ("lzma", "lzma", "xz", &["--format=lzma", "-dc"]),
];

fn names(env: &TestEnv, rel: &str) -> Vec<String> {
    env.tree(rel)
        .into_keys()
        .map(|path| path.to_string_lossy().into_owned())
        .collect()
}

/// The summary line without its byte counts and timing: `convert: 1 done, …, 1 removed`.
fn counts(stderr: &str) -> String {
    let last = stderr.lines().last().unwrap_or_default();
    last.split(';').next().unwrap_or_default().to_owned()
}

#[test]
fn every_format_both_ways_and_the_inputs_go() {
    for (to, extension, tool, decode) in FORMATS {
        let env = TestEnv::new();
        let text = format!("{to}: 2026-11-21T03:15:59Z GET /index.html 200\n").repeat(50);
        env.write("logs/a.log", &text);
        env.write("logs/sub/b.log", "b\n");
        let run = env.run(&["convert", "--in-place", "--to", to, "logs"]);
        run.assert_code(0);
        assert_eq!(
            counts(&run.stderr),
            "convert: 2 done, 0 skipped, 0 failed, 2 removed",
            "{to}"
        );
        let a = format!("a.log.{extension}");
        assert_eq!(
            names(&env, "logs"),
            [a.clone(), format!("sub/b.log.{extension}")]
        );
        let written = env.read(&format!("logs/{a}"));
        assert_eq!(filter(tool, decode, &written), text.as_bytes(), "{to}");
        // And back: the compressed files are the inputs now, plain text the outputs.
        let run = env.run(&["convert", "--in-place", "--to", "none", "logs"]);
        run.assert_code(0);
        assert_eq!(
            counts(&run.stderr),
            "convert: 2 done, 0 skipped, 0 failed, 2 removed"
        );
        let expected: BTreeMap<PathBuf, Vec<u8>> = [
            (PathBuf::from("a.log"), text.clone().into_bytes()),
            (PathBuf::from("sub/b.log"), b"b\n".to_vec()),
        ]
        .into();
        assert_eq!(env.tree("logs"), expected, "{to}");
    }
}

#[test]
fn a_file_that_fails_keeps_its_input_and_leaves_no_output() {
    let env = TestEnv::new();
    env.write("logs/a.log", "a\n");
    env.write("logs/b.log", "b\n");
    env.write("logs/cut.log", "cut short\n");
    let run = common::run_with_stdin(
        {
            let mut command = env.command(&["convert", "--in-place", "--to", "zst", "logs"]);
            command
                .env(FAULT_ENV, "b.log:9:permanent")
                .env("ASYNCFILES_TEST_TRUNCATE", "cut.log:3");
            command
        },
        b"",
    );
    run.assert_code(1).assert_stderr(&[
        "asyncfiles: logs/b.log: cannot open: Permission denied",
        "asyncfiles: logs/cut.log: read error: the file shrank while it was read",
        "convert: 1 done, 0 skipped, 2 failed, 1 removed; 2 B in, 11 B out",
    ]);
    assert_eq!(names(&env, "logs"), ["a.log.zst", "b.log", "cut.log"]);
    assert_eq!(env.read("logs/cut.log"), b"cut");
    // A file that cannot be decoded stays, and nothing is written for it.
    env.write("logs/bad.log.gz", "not gzip at all");
    env.run(&["convert", "--in-place", "--to", "none", "logs/bad.log.gz"])
        .assert_code(1)
        .assert_stderr(&[
            "asyncfiles: logs/bad.log.gz: not gzip data (bad magic bytes)",
            "convert: 0 done, 0 skipped, 1 failed, 0 removed; 0 B in, 0 B out",
        ]);
    assert_eq!(env.read("logs/bad.log.gz"), b"not gzip at all");
    assert!(env.temp_files().is_empty());
}

#[test]
fn keep_keeps_the_inputs() {
    for keep in ["--keep", "-k"] {
        let env = TestEnv::new();
        env.write("logs/a.log", "a\n");
        let run = env.run(&["convert", "--in-place", keep, "--to", "gz", "logs"]);
        run.assert_code(0)
            .assert_stderr(&["convert: 1 done, 0 skipped, 0 failed; 2 B in, 22 B out"]);
        assert_eq!(names(&env, "logs"), ["a.log", "a.log.gz"]);
        assert_eq!(filter("gzip", &["-dc"], &env.read("logs/a.log.gz")), b"a\n");
    }
}

#[test]
fn an_existing_output_fails_the_file_and_keeps_both_unless_force() {
    let env = TestEnv::new();
    env.write("logs/a.log", "new\n");
    env.write("logs/a.log.zst", "old output");
    env.run(&["convert", "--in-place", "--to", "zst", "logs"])
        .assert_code(1)
        .assert_stderr(&[
            "asyncfiles: logs/a.log: logs/a.log.zst already exists (use --force to replace it)",
            "convert: 0 done, 1 skipped, 1 failed, 0 removed; 0 B in, 0 B out",
        ]);
    assert_eq!(env.read("logs/a.log"), b"new\n");
    assert_eq!(env.read("logs/a.log.zst"), b"old output");
    // --force replaces it; the .zst that keeps its name is an output, skipped (-v says so).
    let run = env.run(&[
        "-v",
        "convert",
        "--in-place",
        "--force",
        "--to",
        "zst",
        "logs",
    ]);
    run.assert_code(0);
    assert!(
        run.stderr
            .contains("logs/a.log.zst: skipped: already has its output's name (--in-place)\n"),
        "{}",
        run.stderr
    );
    assert_eq!(names(&env, "logs"), ["a.log.zst"]);
    assert_eq!(
        filter("zstd", &["-dc"], &env.read("logs/a.log.zst")),
        b"new\n"
    );
}

#[test]
fn rivals_that_would_both_be_written_are_refused() {
    let env = TestEnv::new();
    env.write("logs/a.log.gz", filter("gzip", &["-c"], b"gz\n"));
    env.write("logs/a.log.zst", filter("zstd", &["-c"], b"zst\n"));
    env.run(&["convert", "--in-place", "--to", "none", "logs"])
        .assert_code(1)
        .assert_stderr(&[
            "asyncfiles: logs/a.log.gz: output name conflict: logs/a.log.zst would also be written as a.log",
            "asyncfiles: logs/a.log.zst: output name conflict: logs/a.log.gz would also be written as a.log",
            "convert: 0 done, 0 skipped, 2 failed, 0 removed; 0 B in, 0 B out",
        ]);
    assert_eq!(names(&env, "logs"), ["a.log.gz", "a.log.zst"]);
}

#[test]
fn hard_linked_inputs_are_refused_unless_kept() {
    let env = TestEnv::new();
    env.write("logs/a.log", "a\n");
    std::fs::hard_link(env.path("logs/a.log"), env.path("elsewhere.log")).unwrap();
    env.run(&["convert", "--in-place", "--to", "gz", "logs"])
        .assert_code(1)
        .assert_stderr(&[
            "asyncfiles: logs/a.log: has 1 other hard links: removing this name would not free its data (not converted in place; --keep converts it and keeps it)",
            "convert: 0 done, 0 skipped, 1 failed, 0 removed; 0 B in, 0 B out",
        ]);
    assert_eq!(names(&env, "logs"), ["a.log"]);
    env.run(&[
        "convert",
        "-q",
        "--in-place",
        "--keep",
        "--to",
        "gz",
        "logs",
    ])
    .assert_code(0);
    assert_eq!(names(&env, "logs"), ["a.log", "a.log.gz"]);
}

#[test]
fn dry_run_says_what_would_be_removed_and_touches_nothing() {
    let env = TestEnv::new();
    env.write("logs/a.log", "a\n");
    env.write("logs/b.log", "bb\n");
    env.write("logs/b.log.zst", "taken");
    let run = env.run(&["convert", "-n", "-j1", "--in-place", "--to", "zst", "logs"]);
    run.assert_code(1)
        .assert_stdout(b"logs/a.log -> logs/a.log.zst (input removed)\n")
        .assert_stderr(&[
            "asyncfiles: logs/b.log: logs/b.log.zst already exists (use --force to replace it)",
            "convert --dry-run: 1 would be written (2 B in), 1 would be removed, 1 skipped, 1 failed",
        ]);
    let run = env.run(&[
        "convert",
        "-n",
        "--in-place",
        "-k",
        "--to",
        "zst",
        "logs/a.log",
    ]);
    run.assert_code(0)
        .assert_stdout(b"logs/a.log -> logs/a.log.zst\n")
        .assert_stderr(&["convert --dry-run: 1 would be written (2 B in), 0 skipped, 0 failed"]);
    assert_eq!(names(&env, "logs"), ["a.log", "b.log", "b.log.zst"]);
}

#[test]
fn json_says_what_became_of_each_input() {
    let env = TestEnv::new();
    env.write("logs/a.log", "a\n");
    env.write("logs/b.log", "b\n");
    env.write("logs/b.log.gz", "taken");
    let run = env.run(&["convert", "--json", "--in-place", "--to", "gz", "logs"]);
    run.assert_code(1);
    let mut objects: Vec<serde_json::Value> = String::from_utf8(run.stdout.clone())
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    for object in &mut objects {
        let fields = object.as_object_mut().unwrap();
        fields.remove("ms");
        fields.remove("elapsed_ms");
        fields.remove("blake3");
    }
    let summary = objects.pop().unwrap();
    objects.sort_by_key(|object| object["path"].as_str().unwrap_or_default().to_owned());
    let expected = [
        r#"{"bytes_in":2,"bytes_out":22,"output":"logs/a.log.gz","path":"logs/a.log","removed":true,"status":"ok"}"#,
        r#"{"error":"logs/b.log.gz already exists (use --force to replace it)","output":"logs/b.log.gz","path":"logs/b.log","removed":false,"status":"failed"}"#,
        r#"{"output":"logs/b.log.gz","path":"logs/b.log.gz","reason":"already has its output's name (--in-place)","removed":false,"status":"skipped"}"#,
    ];
    let actual: Vec<String> = objects.iter().map(ToString::to_string).collect();
    assert_eq!(actual, expected);
    assert_eq!(
        summary.to_string(),
        r#"{"bytes_in":2,"bytes_out":22,"cancelled":0,"exit_code":1,"failed":1,"lines_in":0,"lines_out":0,"not_started":0,"ok":1,"planned":0,"removed":1,"skipped":1,"type":"summary"}"#
    );
}

#[test]
fn incremental_skips_an_up_to_date_output_and_keeps_its_input_force_finishes() {
    let env = TestEnv::new();
    env.write("logs/a.log", "a\nERROR x\n");
    env.write("logs/b.log", "b\n");
    // As a run killed after committing a.log.zst and before removing a.log leaves it; or an
    // earlier run that kept only some lines: the output's time alone proves neither.
    env.run(&[
        "convert",
        "-q",
        "--in-place",
        "-k",
        "--to",
        "zst",
        "--grep",
        "ERROR",
        "logs/a.log",
    ])
    .assert_code(0);
    let output = env.read("logs/a.log.zst");
    env.run(&[
        "convert",
        "--in-place",
        "--incremental",
        "--to",
        "zst",
        "logs",
    ])
    .assert_code(0)
    .assert_stderr(&["convert: 1 done, 2 skipped, 0 failed, 1 removed; 2 B in, 11 B out"]);
    assert_eq!(names(&env, "logs"), ["a.log", "a.log.zst", "b.log.zst"]);
    assert_eq!(
        env.read("logs/a.log.zst"),
        output,
        "an up-to-date output is left as it is"
    );
    assert_eq!(
        env.read("logs/a.log"),
        b"a\nERROR x\n",
        "and its input kept"
    );
    // --force converts it again, replaces the output, and then removes the input.
    env.run(&[
        "convert",
        "-q",
        "--in-place",
        "--force",
        "--to",
        "zst",
        "logs",
    ])
    .assert_code(0);
    assert_eq!(names(&env, "logs"), ["a.log.zst", "b.log.zst"]);
    assert_eq!(
        filter("zstd", &["-dc"], &env.read("logs/a.log.zst")),
        b"a\nERROR x\n"
    );
    // An output that is a link to its input is not a finished output either.
    env.write("links/a.log", "precious\n");
    std::os::unix::fs::symlink("a.log", env.path("links/a.log.zst")).unwrap();
    env.run(&[
        "convert",
        "-q",
        "--in-place",
        "--incremental",
        "--to",
        "zst",
        "links",
    ])
    .assert_code(0);
    assert_eq!(env.read("links/a.log"), b"precious\n");
    // An input changed since (another modification time) is not up to date: a conflict.
    env.write("logs/c.log", "c\n");
    env.run(&[
        "convert",
        "-q",
        "--in-place",
        "-k",
        "--to",
        "zst",
        "logs/c.log",
    ])
    .assert_code(0);
    env.write("logs/c.log", "c, longer now\n");
    env.run(&[
        "convert",
        "-q",
        "--in-place",
        "--incremental",
        "--to",
        "zst",
        "logs",
    ])
    .assert_code(1)
    .assert_stderr(&[
        "asyncfiles: logs/c.log: logs/c.log.zst already exists (use --force to replace it)",
    ]);
    assert_eq!(env.read("logs/c.log"), b"c, longer now\n");
}

#[test]
fn outputs_written_into_the_walked_tree_are_never_taken_as_inputs() {
    // --to keep with a transform rewrites each file under its own name: were the walk to list
    // a rewritten file again, it would be transformed twice.
    let env = TestEnv::new();
    for i in 0..300 {
        env.write(&format!("logs/d{}/f{i:03}.log", i % 3), "a\n");
    }
    let run = env.run(&[
        "convert",
        "-q",
        "--in-place",
        "--replace",
        "a",
        "aa",
        "logs",
    ]);
    run.assert_code(0);
    let tree = env.tree("logs");
    assert_eq!(tree.len(), 300);
    assert!(tree.values().all(|bytes| bytes == b"aa\n"));
    // Rewritten in place, never removed; the summary counts no removal then.
    env.write("x/one.log", "a\n");
    env.run(&["convert", "--in-place", "--replace", "a", "b", "x"])
        .assert_code(0)
        .assert_stderr(&[
            "convert: 1 done, 0 skipped, 0 failed, 0 removed; 2 B in, 2 B out; 1 lines in, 1 lines out",
        ]);
}

#[test]
fn usage_errors_of_in_place() {
    let env = TestEnv::new();
    env.write("logs/a.log", "a\n");
    let refused = [
        (
            vec!["convert", "--in-place", "logs"],
            "asyncfiles: --in-place with --to keep and no transform has nothing to do: give --to FORMAT (or a line transform)",
        ),
        (
            vec!["convert", "--in-place", "--to", "gz", "-"],
            "asyncfiles: -: --in-place writes each output beside its input: a stream has no place (give an OUT)",
        ),
        (
            vec!["convert", "--in-place", "--to", "gz", "logs", "logs/a.log"],
            "asyncfiles: logs and logs/a.log overlap: each file would be converted twice at once; give each once",
        ),
    ];
    for (args, message) in refused {
        env.run(&args).assert_code(2).assert_stderr(&[message]);
    }
    let run = env.run(&[
        "convert",
        "--in-place",
        "--manifest",
        "m.b3",
        "--to",
        "gz",
        "logs",
    ]);
    run.assert_code(2);
    let run = env.run(&["convert", "--keep", "--to", "gz", "logs", "out"]);
    run.assert_code(2);
    assert_eq!(names(&env, "logs"), ["a.log"]);
    assert!(!env.path("out").exists());
}

#[test]
fn several_in_place_sources_files_and_trees() {
    let env = TestEnv::new();
    env.write("one/a.log", "a\n");
    env.write("two/b.log", "b\n");
    env.write("c.log", "c\n");
    env.run(&[
        "convert",
        "-q",
        "--in-place",
        "--to",
        "xz",
        "one",
        "two",
        "c.log",
    ])
    .assert_code(0);
    let all: Vec<String> = names(&env, ".");
    assert_eq!(all, ["c.log.xz", "one/a.log.xz", "two/b.log.xz"]);
}

/// A small random number generator for the kill -9 test (no dependency for it): xorshift,
/// seeded from the clock so that each test run tries other instants.
struct Random(u64);

impl Random {
    fn new() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        Self(u64::from(nanos) | 1)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % bound
    }
}

#[test]
fn kill_9_at_any_instant_leaves_every_files_content_in_one_form() {
    let mut random = Random::new();
    println!("seed {}", random.0);
    for round in 0..20 {
        let env = TestEnv::new();
        let texts: Vec<String> = (0..8)
            .map(|i| format!("round {round} file {i} line of log text\n").repeat(2000 + i * 300))
            .collect();
        for (i, text) in texts.iter().enumerate() {
            env.write(&format!("logs/d{}/f{i}.log", i % 2), text);
        }
        let mut child = env
            .command(&["convert", "-q", "-j2", "--in-place", "--to", "zst", "logs"])
            .env(common::DELAY_ENV, "15")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(random.below(120)));
        common::send_signal(&child, libc::SIGKILL);
        child.wait().unwrap();
        for (i, text) in texts.iter().enumerate() {
            let input = env.path(&format!("logs/d{}/f{i}.log", i % 2));
            let output = input.with_file_name(format!("f{i}.log.zst"));
            let kept = std::fs::read(&input).ok();
            let written = std::fs::read(&output).ok();
            assert!(
                kept.is_some() || written.is_some(),
                "round {round}: neither {} nor its output is left",
                input.display()
            );
            if let Some(kept) = kept {
                assert_eq!(kept, text.as_bytes(), "round {round}: input changed");
            }
            if let Some(written) = written {
                let decoded = filter("zstd", &["-dc"], &written);
                assert!(
                    decoded == text.as_bytes(),
                    "round {round}: {}",
                    output.display()
                );
            }
        }
        // Nothing else stands under a final name: only inputs, outputs and temp files.
        for path in env.tree("logs").into_keys() {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let known = name.ends_with(".log")
                || name.ends_with(".log.zst")
                || name.ends_with(".asyncfiles-tmp");
            assert!(known, "round {round}: {}", path.display());
        }
        // A rerun with --force finishes the job (an input beside its output, from a kill
        // between commit and removal, is converted again); leftover temp files are skipped.
        let run = env.run(&["convert", "--in-place", "--force", "--to", "zst", "logs"]);
        run.assert_code(0);
        let mut outputs = env.tree("logs");
        outputs.retain(|path, _| !path.to_string_lossy().ends_with(".asyncfiles-tmp"));
        assert_eq!(
            outputs.len(),
            texts.len(),
            "round {round}: {:?}",
            outputs.keys()
        );
        for (path, bytes) in outputs {
            let i: usize = name_index(&path);
            assert_eq!(filter("zstd", &["-dc"], &bytes), texts[i].as_bytes());
        }
    }
}

/// `d1/f3.log.zst` → 3.
fn name_index(path: &Path) -> usize {
    let name = path.file_name().unwrap().to_string_lossy();
    name.trim_start_matches('f')
        .trim_end_matches(".log.zst")
        .parse()
        .unwrap_or_else(|_| panic!("unexpected {}", path.display()))
}

#[test]
fn a_large_directory_is_listed_before_its_outputs_appear() {
    // Many long names: the directory is read in several getdents calls, between which this
    // run's outputs (new names, hashed anywhere in the listing) are written.
    let env = TestEnv::new();
    let stem = "x".repeat(200);
    for i in 0..700 {
        env.write(&format!("logs/{stem}-{i:04}.log"), "a\n");
    }
    let run = env.run(&["convert", "--in-place", "--to", "zst", "logs"]);
    run.assert_code(0);
    assert_eq!(
        counts(&run.stderr),
        "convert: 700 done, 0 skipped, 0 failed, 700 removed"
    );
}

#[test]
fn named_rivals_links_and_own_name_increments_are_refused() {
    let env = TestEnv::new();
    env.write("a.log", "current\n");
    env.write("a.log.gz", filter("gzip", &["-c"], b"older\n"));
    // Two named files with one output name: refused before anything, even with --force.
    for force in [false, true] {
        let mut args = vec!["convert", "--in-place", "--to", "zst", "a.log", "a.log.gz"];
        if force {
            args.insert(2, "--force");
        }
        env.run(&args).assert_code(2).assert_stderr(&[
            "asyncfiles: a.log and a.log.gz would both be written as a.log.zst: give one of them",
        ]);
    }
    assert_eq!(names(&env, "."), ["a.log", "a.log.gz"]);
    // A link as input: removing it would free nothing; with --keep, its file is converted.
    env.write("real/x.log", "x\n");
    std::os::unix::fs::symlink("real/x.log", env.path("x.log")).unwrap();
    env.run(&["convert", "-q", "--in-place", "--to", "zst", "x.log"])
        .assert_code(1)
        .assert_stderr(&[
            "asyncfiles: x.log: is a symbolic link: removing it would not remove its file (not \
             converted in place; --keep converts the file it points to and keeps both)",
        ]);
    assert!(!env.path("x.log.zst").exists());
    env.run(&["convert", "-q", "--in-place", "-k", "--to", "zst", "x.log"])
        .assert_code(0);
    assert_eq!(filter("zstd", &["-dc"], &env.read("x.log.zst")), b"x\n");
    // Rewriting under its own name, --incremental could not tell done from not done.
    env.run(&[
        "convert",
        "--in-place",
        "--incremental",
        "--eol",
        "lf",
        "real",
    ])
    .assert_code(2)
    .assert_stderr(&[
        "asyncfiles: --in-place with --to keep rewrites each file under its own name: \
             --incremental cannot tell a rewritten file from one still to rewrite",
    ]);
    // A hard-linked file rewritten under its own name loses nothing: converted.
    env.write("crlf/h.log", "h\r\n");
    std::fs::hard_link(env.path("crlf/h.log"), env.path("h-link.log")).unwrap();
    env.run(&["convert", "-q", "--in-place", "--eol", "lf", "crlf"])
        .assert_code(0);
    assert_eq!(env.read("crlf/h.log"), b"h\n");
}
