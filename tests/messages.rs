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
