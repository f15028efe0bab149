//! `convert A B DIR… OUT`: several sources, each written under its own name in OUT (as rsync
//! does for a source without a trailing slash), and the usage errors that come before anything
//! is written.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use common::TestEnv;

fn files(entries: &[(&str, &str)]) -> BTreeMap<PathBuf, Vec<u8>> {
    entries
        .iter()
        .map(|(path, bytes)| (PathBuf::from(path), bytes.as_bytes().to_vec()))
        .collect()
}

fn sample() -> TestEnv {
    let env = TestEnv::new();
    env.write("logs/app/a.log", "a\n");
    env.write("logs/app/sub/b.log", "b\n");
    env.write("logs/web/w.log", "w\n");
    env.write("single.log", "s\n");
    env
}

#[test]
fn the_shard_key_test_tells_the_keys_apart() {
    // web/x.log and x.log fall in different shards of 3, so the test below tells which is used.
    assert_ne!(owner_of("web/x.log"), owner_of("x.log"));
}

#[test]
fn each_source_keeps_its_name_under_out() {
    let env = sample();
    env.run(&["convert", "logs/app", "logs/web/", "single.log", "out"])
        .assert_code(0)
        .assert_stderr(&["convert: 4 done, 0 skipped, 0 failed; 8 B in, 8 B out"]);
    assert_eq!(
        env.tree("out"),
        files(&[
            ("app/a.log", "a\n"),
            ("app/sub/b.log", "b\n"),
            ("single.log", "s\n"),
            ("web/w.log", "w\n"),
        ])
    );
}

#[test]
fn one_source_still_mirrors_its_contents_into_out() {
    let env = sample();
    env.run(&["convert", "logs/app", "out"]).assert_code(0);
    assert_eq!(
        env.tree("out"),
        files(&[("a.log", "a\n"), ("sub/b.log", "b\n")])
    );
}

#[test]
fn formats_rename_file_sources_and_the_files_of_trees() {
    let env = sample();
    env.run(&["convert", "--to", "gz", "logs/web", "single.log", "out/"])
        .assert_code(0);
    let names: Vec<PathBuf> = env.tree("out").into_keys().collect();
    assert_eq!(
        names,
        [
            PathBuf::from("single.log.gz"),
            PathBuf::from("web/w.log.gz")
        ]
    );
    assert_eq!(
        common::filter("gzip", &["-dc"], &env.read("out/web/w.log.gz")),
        b"w\n"
    );
}

#[test]
fn dry_run_lists_the_outputs_under_their_sources_names() {
    let env = sample();
    let run = env.run(&["convert", "-n", "-j1", "logs/web", "single.log", "out"]);
    run.assert_code(0)
        .assert_stdout(b"logs/web/w.log -> out/web/w.log\nsingle.log -> out/single.log\n")
        .assert_stderr(&["convert --dry-run: 2 would be written (4 B in), 0 skipped, 0 failed"]);
    assert!(!env.path("out").exists(), "a dry run creates nothing");
}

#[test]
fn sources_that_land_on_one_name_are_refused_before_anything_is_written() {
    let env = sample();
    env.write("other/app/x.log", "x\n");
    env.run(&["convert", "logs/app", "other/app", "out"])
        .assert_code(2)
        .assert_stderr(&["asyncfiles: logs/app and other/app would both be written as out/app"]);
    env.write("single.log.gz", "");
    env.run(&[
        "convert",
        "--to",
        "none",
        "single.log",
        "single.log.gz",
        "out",
    ])
    .assert_code(2)
    .assert_stderr(&[
        "asyncfiles: single.log and single.log.gz would both be written as out/single.log",
    ]);
    assert!(!env.path("out").exists());
}

#[test]
fn usage_errors_of_several_sources() {
    let env = sample();
    env.run(&["convert", "-", "logs/app", "out"])
        .assert_code(2)
        .assert_stderr(&[
            "asyncfiles: -: a stream cannot be one of several INs (give it alone, with an output file)",
        ]);
    env.run(&["convert", "logs/app", "single.log", "single.log"])
        .assert_code(2)
        .assert_stderr(&[
            "asyncfiles: single.log: is not a directory (with several INs, OUT must be one)",
        ]);
    env.run(&["convert", "logs/app"])
        .assert_code(2)
        .assert_stderr(&[
            "asyncfiles: give OUT after IN (or --in-place to write each output beside its input)",
        ]);
    env.run(&["convert", "logs/app", "logs/web", "logs/app/out"])
        .assert_code(2)
        .assert_stderr(&[
            "asyncfiles: output directory logs/app/out is inside the input directory logs/app; choose an output outside it",
        ]);
    env.write("list", "a.log\n");
    env.run(&["convert", "--files-from", "list", "logs/app", "logs/web", "out"])
        .assert_code(2)
        .assert_stderr(&[
            "asyncfiles: --files-from needs exactly one IN, a directory (the listed paths are relative to it)",
        ]);
    assert!(!env.path("out").exists());
}

#[test]
fn a_shard_key_starts_with_the_sources_name() {
    let env = sample();
    // Every file lands in exactly one of the shards, and together they make the unsharded run.
    for k in 0..3 {
        let shard = format!("{k}/3");
        env.run(&[
            "convert",
            "-q",
            "--shard",
            &shard,
            "logs/app",
            "logs/web",
            "single.log",
            "out",
        ])
        .assert_code(0);
    }
    env.run(&["convert", "logs/app", "logs/web", "single.log", "whole"])
        .assert_code(0);
    assert_eq!(env.tree("out"), env.tree("whole"));
    // The key is the output path relative to OUT, `web/x.log`: the shard a one-source run
    // gives a file at web/x.log below its IN.
    env.write("logs/web/x.log", "x\n");
    let owner = owner_of("web/x.log");
    for k in 0..3 {
        let shard = format!("{k}/3");
        let run = env.run(&[
            "convert",
            "-n",
            "--shard",
            &shard,
            "logs/web",
            "single.log",
            "o",
        ]);
        let listed = String::from_utf8_lossy(&run.stdout).contains("x.log");
        assert_eq!(listed, k == owner, "shard {shard}");
    }
}

/// The shard of `key` in 3, as `convert -n --shard` decides for a one-file tree named so.
fn owner_of(key: &str) -> u32 {
    let env = TestEnv::new();
    env.write(&format!("t/{key}"), "");
    (0..3)
        .find(|k| {
            let shard = format!("{k}/3");
            let run = env.run(&["convert", "-n", "--shard", &shard, "t", "o"]);
            !run.stdout.is_empty()
        })
        .unwrap()
}
