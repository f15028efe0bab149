//! What users read when something goes wrong: write errors on standard output (a full disk is
//! an error, a closed pipe is not), and messages that name the right thing in coreutils' words.

mod common;

use std::fs;
use std::process::Stdio;

use common::{Run, TestEnv};

/// Runs the binary with standard output on `/dev/full` (every write fails with ENOSPC).
fn run_into_full_disk(env: &TestEnv, args: &[&str]) -> Run {
    let full = fs::File::options().write(true).open("/dev/full").unwrap();
    let output = env
        .command(args)
        .stdin(Stdio::null())
        .stdout(full)
        .output()
        .unwrap();
    Run {
        code: output.status.code(),
        stdout: Vec::new(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[test]
fn a_full_stdout_is_a_write_error_for_every_command() {
    let env = TestEnv::new();
    env.write("logs/a.log", "a\n");
    env.write("logs/b.log", "bb\n");
    let listed = env.run(&["hash", "logs"]);
    env.write("m.b3", &listed.stdout);
    let commands: [&[&str]; 9] = [
        &["hash", "logs"],
        &["hash", "--unsorted", "logs"],
        &["hash", "--json", "logs"],
        &["hash", "--check", "m.b3"],
        &["stats", "logs"],
        &["stats", "--json", "logs"],
        &["-q", "convert", "--json", "logs", "out-json"],
        &["-q", "convert", "-n", "logs", "out-plan"],
        &["-q", "convert", "-n", "logs/a.log", "-"],
    ];
    for args in commands {
        let run = run_into_full_disk(&env, args);
        assert_eq!(
            (run.code, run.stderr.as_str()),
            (
                Some(1),
                "asyncfiles: write error: No space left on device\n"
            ),
            "{args:?}"
        );
    }
    // convert --json still converted every file: only its report could not be written.
    assert_eq!(env.tree("out-json").len(), 2);
}

#[test]
fn a_full_stdout_fails_convert_to_stdout_without_os_error_numbers() {
    let env = TestEnv::new();
    env.write("a.log", "a\n".repeat(100_000));
    let run = run_into_full_disk(&env, &["-q", "convert", "a.log", "-"]);
    run.assert_code(1);
    assert_eq!(
        run.stderr,
        "asyncfiles: a.log: write error: No space left on device\n"
    );
}

#[test]
fn a_stdout_closed_by_its_reader_ends_quietly() {
    let env = TestEnv::new();
    common::generated_tree(&env.path("logs"), 300, 100);
    for args in [
        &["hash", "logs"][..],
        &["hash", "--unsorted", "logs"],
        &["stats", "logs"],
        &["convert", "--json", "logs", "out"],
    ] {
        let mut child = env
            .command(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take()); // the reader is gone before the first line
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(!stderr.contains("error"), "{args:?}: {stderr}");
    }
}

#[test]
fn system_errors_read_as_coreutils_print_them() {
    let env = TestEnv::new();
    env.write("logs/a.log", "a\n");
    env.run(&["hash", "logs/a.log", "nosuch"])
        .assert_code(1)
        .assert_stderr(&["asyncfiles: nosuch: cannot open: No such file or directory"]);
    env.run(&["convert", "nosuch", "out.log"])
        .assert_code(2)
        .assert_stderr(&["asyncfiles: nosuch: No such file or directory"]);
    env.run(&["hash", "--check", "nosuch.b3"])
        .assert_code(2)
        .assert_stderr(&["asyncfiles: nosuch.b3: No such file or directory"]);
    let json = env.run(&["hash", "--json", "nosuch"]);
    json.assert_code(1);
    let first = String::from_utf8(json.stdout).unwrap();
    assert!(
        first.starts_with(
            r#"{"error":"cannot open: No such file or directory","path":"nosuch","status":"failed"}"#
        ),
        "{first}"
    );
}

#[test]
fn a_backslash_and_a_newline_in_names_print_apart() {
    let env = TestEnv::new();
    env.write("logs/real.log", "x\n");
    fs::create_dir_all(env.path("links")).unwrap();
    for name in ["a\nb", "a\\nb"] {
        std::os::unix::fs::symlink("../logs/real.log", env.path("links").join(name)).unwrap();
    }
    env.run(&["hash", "links"]).assert_code(0).assert_stderr(&[
        "asyncfiles: links/a\\nb: skipped: symbolic link (use -L to follow)",
        "asyncfiles: links/a\\\\nb: skipped: symbolic link (use -L to follow)",
    ]);
    // stats names files as messages do; hash's own lines stay byte-identical to b3sum's.
    let stats = env.run(&["stats", "-L", "links"]);
    stats
        .assert_code(0)
        .assert_stdout(b"1 2 links/a\\nb\n1 2 links/a\\\\nb\n2 4 total\n");
    let hash = env.run(&["hash", "-L", "links"]);
    let b3sum = std::process::Command::new("b3sum")
        .args(["links/a\nb", "links/a\\nb"])
        .current_dir(env.root())
        .output()
        .unwrap();
    let mut ours: Vec<&[u8]> = hash.stdout.split_inclusive(|&b| b == b'\n').collect();
    let mut theirs: Vec<&[u8]> = b3sum.stdout.split_inclusive(|&b| b == b'\n').collect();
    ours.sort();
    theirs.sort();
    assert_eq!(ours, theirs);
}

#[test]
fn a_manifest_of_one_empty_line_is_malformed() {
    let env = TestEnv::new();
    env.write("one.b3", "\n");
    env.run(&["hash", "--check", "one.b3"])
        .assert_code(2)
        .assert_stderr(&["asyncfiles: one.b3:1: expected 64 hex digits, two spaces and a path"])
        .assert_stdout(b"");
    // An empty file lists nothing, as b3sum takes it.
    env.write("empty.b3", "");
    env.run(&["hash", "--check", "empty.b3"])
        .assert_code(0)
        .assert_stdout(b"");
}

#[test]
fn stats_of_a_missing_path_names_it_and_prints_no_total() {
    let env = TestEnv::new();
    env.run(&["stats", "nosuch"])
        .assert_code(1)
        .assert_stderr(&["asyncfiles: nosuch: cannot open: No such file or directory"])
        .assert_stdout(b"");
    // With something counted, the total is there, as wc prints it.
    env.write("a.log", "x\n");
    env.run(&["stats", "a.log", "nosuch"])
        .assert_code(1)
        .assert_stderr(&["asyncfiles: nosuch: cannot open: No such file or directory"])
        .assert_stdout(b"1 2 a.log\n1 2 total\n");
}

#[test]
fn a_failed_create_names_the_output_not_the_temp_file() {
    let env = TestEnv::new();
    env.write("a.log", "x\n");
    // /sys refuses new files, even to root.
    env.run(&["-q", "convert", "a.log", "/sys/a.log"])
        .assert_code(1)
        .assert_stderr(&["asyncfiles: a.log: cannot create /sys/a.log: Permission denied"]);
}

#[test]
fn out_equal_to_in_is_named_as_such() {
    let env = TestEnv::new();
    env.write("in/a.log", "x\n");
    for out in ["in", "in/", "./in"] {
        env.run(&["convert", "in", out]).assert_code(2).assert_stderr(&[&format!(
            "asyncfiles: output directory {out} is the input directory itself; choose an output outside it"
        )]);
    }
}
