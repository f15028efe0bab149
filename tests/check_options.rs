//! `hash --check` with sha256sum's options (`--ignore-missing`, `--status`, `--strict`, and
//! `--quiet` as the global `-q`), alone and together, and NEW files named the way the manifest
//! names its paths: exact stdout, stderr and exit codes.

mod common;

use std::fs;
use std::process::Stdio;

use common::{Run, TestEnv, b3sum_line as line};

/// Runs the binary in `dir` (relative to the scratch directory), with empty stdin.
fn run_in(env: &TestEnv, dir: &str, args: &[&str]) -> Run {
    let output = env
        .command(args)
        .current_dir(env.path(dir))
        .stdin(Stdio::null())
        .output()
        .expect("run binary");
    Run::from_output(output)
}

/// A tree whose manifest `m.b3` lists `same.log` (unchanged), `changed.log` (changed since) and
/// `gone.log` (removed since).
fn changed_tree() -> TestEnv {
    let env = TestEnv::new();
    env.write(
        "m.b3",
        [
            line(b"before\n", "changed.log"),
            line(b"gone\n", "gone.log"),
            line(b"same\n", "same.log"),
        ]
        .concat(),
    );
    env.write("same.log", "same\n");
    env.write("changed.log", "after\n");
    env
}

#[test]
fn ignore_missing_passes_over_missing_files_and_nothing_else() {
    let env = changed_tree();
    env.run(&["hash", "--check", "m.b3"])
        .assert_code(1)
        .assert_stderr(&[])
        .assert_stdout(b"changed.log: FAILED\ngone.log: FAILED (missing)\nsame.log: OK\n");
    env.run(&["hash", "--check", "m.b3", "--ignore-missing"])
        .assert_code(1)
        .assert_stderr(&[])
        .assert_stdout(b"changed.log: FAILED\nsame.log: OK\n");
    // Only a missing file wrong: exit 0, and it is not named.
    env.write("changed.log", "before\n");
    env.run(&["hash", "--ignore-missing", "-c", "m.b3"])
        .assert_code(0)
        .assert_stderr(&[])
        .assert_stdout(b"changed.log: OK\nsame.log: OK\n");
}

#[test]
fn ignore_missing_fails_a_check_that_verified_no_file() {
    let env = changed_tree();
    fs::create_dir(env.path("elsewhere")).unwrap();
    // Run in the wrong directory: every listed file is missing.
    run_in(
        &env,
        "elsewhere",
        &["hash", "-c", "../m.b3", "--ignore-missing"],
    )
    .assert_code(1)
    .assert_stderr(&["asyncfiles: ../m.b3: no file was verified"])
    .assert_stdout(b"");
    // -q prints errors, and this is one.
    run_in(
        &env,
        "elsewhere",
        &["-q", "hash", "-c", "../m.b3", "--ignore-missing"],
    )
    .assert_code(1)
    .assert_stderr(&["asyncfiles: ../m.b3: no file was verified"])
    .assert_stdout(b"");
    // An empty manifest verifies nothing either (without --ignore-missing it passes, as b3sum's).
    env.write("empty.b3", "");
    env.run(&["hash", "-c", "empty.b3", "--ignore-missing"])
        .assert_code(1)
        .assert_stderr(&["asyncfiles: empty.b3: no file was verified"])
        .assert_stdout(b"");
    env.run(&["hash", "-c", "empty.b3"])
        .assert_code(0)
        .assert_stderr(&[])
        .assert_stdout(b"");
    // A mismatch was verified (read and compared): the check fails for it, not for "no file".
    env.write("m2.b3", line(b"other\n", "same.log"));
    env.run(&["hash", "-c", "m2.b3", "--ignore-missing"])
        .assert_code(1)
        .assert_stderr(&[])
        .assert_stdout(b"same.log: FAILED\n");
}

#[test]
fn status_prints_nothing_and_the_exit_code_tells() {
    let env = changed_tree();
    // Failures of every kind: exit 1, not a byte of output.
    for args in [
        &["hash", "--status", "-c", "m.b3"][..],
        &["hash", "--status", "-c", "m.b3", "--ignore-missing"],
        &["hash", "--status", "-c", "m.b3", "."],
        &["-q", "hash", "--status", "-c", "m.b3"],
    ] {
        env.run(args)
            .assert_code(1)
            .assert_stderr(&[])
            .assert_stdout(b"");
    }
    // All good: exit 0, silent.
    env.write("good.b3", line(b"same\n", "same.log"));
    env.run(&["hash", "-c", "good.b3", "--status"])
        .assert_code(0)
        .assert_stderr(&[])
        .assert_stdout(b"");
    // Only NEW files: exit 1, silent.
    env.run(&["hash", "-c", "good.b3", "--status", "."])
        .assert_code(1)
        .assert_stderr(&[])
        .assert_stdout(b"");
    // Nothing verified under --ignore-missing: exit 1, silent.
    env.write("gone.b3", line(b"gone\n", "gone.log"));
    env.run(&["hash", "-c", "gone.b3", "--status", "--ignore-missing"])
        .assert_code(1)
        .assert_stderr(&[])
        .assert_stdout(b"");
}

#[test]
fn status_still_says_why_a_check_could_not_run() {
    let env = TestEnv::new();
    env.write("bad.b3", "not a hash line\n");
    env.run(&["hash", "--status", "-c", "bad.b3"])
        .assert_code(2)
        .assert_stderr(&["asyncfiles: bad.b3:1: expected 64 hex digits, two spaces and a path"])
        .assert_stdout(b"");
    env.run(&["hash", "--status", "-c", "nosuch.b3"])
        .assert_code(2)
        .assert_stderr(&["asyncfiles: nosuch.b3: No such file or directory"])
        .assert_stdout(b"");
}

#[test]
fn strict_is_what_check_always_does() {
    let env = TestEnv::new();
    env.write("a.log", "a\n");
    let good = line(b"a\n", "a.log");
    env.write("bad.b3", format!("{good}{} xy\n", "0".repeat(64)));
    let expected = ["asyncfiles: bad.b3:2: expected two spaces after the hash"];
    // A malformed line stops the check before anything is hashed, with or without --strict.
    for args in [
        &["hash", "-c", "bad.b3"][..],
        &["hash", "-c", "bad.b3", "--strict"],
        &["hash", "-c", "bad.b3", "--strict", "--ignore-missing"],
    ] {
        env.run(args)
            .assert_code(2)
            .assert_stderr(&expected)
            .assert_stdout(b"");
    }
    env.write("good.b3", &good);
    env.run(&["hash", "-c", "good.b3", "--strict"])
        .assert_code(0)
        .assert_stderr(&[])
        .assert_stdout(b"a.log: OK\n");
}

#[test]
fn quiet_leaves_out_ok_lines_as_sha256sum_quiet_does() {
    let env = changed_tree();
    let failures = b"changed.log: FAILED\ngone.log: FAILED (missing)\n";
    // -q is global: before the command, or sha256sum's --quiet after it.
    for args in [
        &["-q", "hash", "-c", "m.b3"][..],
        &["hash", "-c", "m.b3", "--quiet"],
        &["hash", "--quiet", "--check", "m.b3"],
    ] {
        env.run(args)
            .assert_code(1)
            .assert_stderr(&[])
            .assert_stdout(failures);
    }
    env.run(&["hash", "-c", "m.b3", "--quiet", "--ignore-missing"])
        .assert_code(1)
        .assert_stderr(&[])
        .assert_stdout(b"changed.log: FAILED\n");
    // Everything OK and quiet: nothing at all.
    env.write("good.b3", line(b"same\n", "same.log"));
    env.run(&["hash", "-c", "good.b3", "-q"])
        .assert_code(0)
        .assert_stderr(&[])
        .assert_stdout(b"");
}

#[test]
fn the_options_need_check() {
    let env = TestEnv::new();
    for option in ["--ignore-missing", "--status", "--strict"] {
        let run = env.run(&["hash", option, "."]);
        run.assert_code(2).assert_stdout(b"");
        let lines: Vec<&str> = run.stderr.lines().take(2).collect();
        assert_eq!(
            lines,
            [
                "error: the following required arguments were not provided:",
                "  --check <MANIFEST>"
            ],
            "{option}: {}",
            run.stderr
        );
    }
}

/// `out/` as `convert --manifest` leaves it: `m.b3` beside it lists `a.log` and `sub/b.log`
/// (no `./`), and `new.log` and `sub/new.log` have been added since.
fn shipped_tree() -> TestEnv {
    let env = TestEnv::new();
    env.write("out/a.log", "a\n");
    env.write("out/sub/b.log", "b\n");
    env.write(
        "m.b3",
        [line(b"a\n", "a.log"), line(b"b\n", "sub/b.log")].concat(),
    );
    env.write("out/new.log", "n\n");
    env.write("out/sub/new.log", "n\n");
    env
}

#[test]
fn new_files_have_no_dot_slash_when_the_manifest_has_none() {
    let env = shipped_tree();
    let expected = b"a.log: OK\nsub/b.log: OK\nnew.log: NEW\nsub/new.log: NEW\n";
    for dir in [".", "./"] {
        run_in(&env, "out", &["hash", "--check", "../m.b3", dir])
            .assert_code(1)
            .assert_stderr(&[])
            .assert_stdout(expected);
    }
    // A subdirectory, as the manifest writes it or with ./: named as the manifest would.
    for dir in ["sub", "./sub"] {
        run_in(&env, "out", &["hash", "-q", "--check", "../m.b3", dir])
            .assert_code(1)
            .assert_stderr(&[])
            .assert_stdout(b"sub/new.log: NEW\n");
    }
    // `.` and `sub` both given: a file under both is one NEW line.
    run_in(
        &env,
        "out",
        &["hash", "-q", "--check", "../m.b3", ".", "sub"],
    )
    .assert_code(1)
    .assert_stderr(&[])
    .assert_stdout(b"new.log: NEW\nsub/new.log: NEW\n");
}

#[test]
fn new_files_have_dot_slash_when_the_manifest_has_it() {
    let env = shipped_tree();
    // `hash .` writes ./ paths.
    fs::remove_file(env.path("out/new.log")).unwrap();
    fs::remove_file(env.path("out/sub/new.log")).unwrap();
    let dotted = run_in(&env, "out", &["hash", "."]);
    dotted.assert_code(0);
    env.write("dotted.b3", &dotted.stdout);
    env.write("out/new.log", "n\n");
    env.write("out/sub/new.log", "n\n");
    for dir in [".", "sub"] {
        let expected: &[u8] = if dir == "." {
            b"./new.log: NEW\n./sub/new.log: NEW\n"
        } else {
            b"./sub/new.log: NEW\n"
        };
        run_in(&env, "out", &["hash", "-q", "-c", "../dotted.b3", dir])
            .assert_code(1)
            .assert_stderr(&[])
            .assert_stdout(expected);
    }
}

#[test]
fn new_files_under_a_named_directory_are_named_as_its_manifest_lines() {
    let env = TestEnv::new();
    env.write("logs/a.log", "a\n");
    env.write("m.b3", line(b"a\n", "logs/a.log"));
    env.write("logs/b.log", "b\n");
    for dir in ["logs", "./logs"] {
        env.run(&["hash", "--check", "m.b3", dir])
            .assert_code(1)
            .assert_stderr(&[])
            .assert_stdout(b"logs/a.log: OK\nlogs/b.log: NEW\n");
    }
    // A manifest that mixes both forms gives no rule: names stay as walked.
    env.write("other/c.log", "c\n");
    env.write(
        "mixed.b3",
        [line(b"a\n", "./logs/a.log"), line(b"c\n", "other/c.log")].concat(),
    );
    env.run(&["hash", "-q", "--check", "mixed.b3", "./logs"])
        .assert_code(1)
        .assert_stderr(&[])
        .assert_stdout(b"./logs/b.log: NEW\n");
    env.run(&["hash", "-q", "--check", "mixed.b3", "logs"])
        .assert_code(1)
        .assert_stderr(&[])
        .assert_stdout(b"logs/b.log: NEW\n");
    // A manifest of absolute paths, an absolute directory: names stay absolute.
    let abs = env.root().canonicalize().unwrap().join("logs");
    env.write("abs.b3", line(b"a\n", abs.join("a.log").to_str().unwrap()));
    let expected = format!("{}: NEW\n", abs.join("b.log").display());
    env.run(&["hash", "-q", "--check", "abs.b3", abs.to_str().unwrap()])
        .assert_code(1)
        .assert_stderr(&[])
        .assert_stdout(expected.as_bytes());
}
