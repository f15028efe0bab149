//! `asyncfiles hash --merge`: the manifests of disjoint parts of a run merge into the bytes of
//! the whole run's (`hash` over subsets of a tree, `convert --manifest` over disjoint
//! `--files-from` lists into one OUT), names that need escaping, and every refusal with its exact
//! message and exit code: unsorted and malformed inputs, blank lines, a path listed twice, a
//! missing input, standard input, options that make no sense with it, a closed stdout.

mod common;

use std::fs;
use std::io::Read as _;
use std::process::Stdio;

use common::{TestEnv, b3sum_line as line};
use proptest::prelude::*;

/// The lines of `names` (content: the name) sorted as the writers sort: by the name's bytes.
fn manifest<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let mut names: Vec<&str> = names.into_iter().collect();
    names.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    names
        .iter()
        .map(|name| line(name.as_bytes(), name))
        .collect()
}

/// Names whose byte order differs from the order of their escaped lines (`a\nb` sorts before
/// `a b`, its line `\…  a\nb` after), next to plain ones.
const NAMES: [&str; 10] = [
    "a b.log",
    "a.log",
    "a/z.log",
    "a\\b.log",
    "a\nb.log",
    "b/c/d.log",
    "b/c.log",
    "B.log",
    "é.log",
    "z.log",
];

/// Writes `NAMES` below `dir`, each holding its index.
fn tree(env: &TestEnv, dir: &str) {
    for (index, name) in NAMES.iter().enumerate() {
        env.write(&format!("{dir}/{name}"), format!("{index}\n"));
    }
}

/// A NUL-separated `--files-from` list of `names`, written at `rel`.
fn list(env: &TestEnv, rel: &str, names: &[&str]) {
    let text: String = names.iter().map(|name| format!("{name}\0")).collect();
    env.write(rel, text);
}

/// `NAMES` split into `parts` lists (every `parts`-th name, from a different start each).
fn split(parts: usize) -> Vec<Vec<&'static str>> {
    (0..parts)
        .map(|part| NAMES.iter().copied().skip(part).step_by(parts).collect())
        .collect()
}

#[test]
fn merged_hashes_of_disjoint_subsets_equal_the_hash_of_the_whole_tree() {
    let env = TestEnv::new();
    tree(&env, "logs");
    let whole = env.run(&["hash", "logs"]);
    whole.assert_code(0).assert_stderr(&[]);
    for parts in [1, 2, 3] {
        let mut args = vec!["hash".to_owned(), "--merge".to_owned()];
        for (part, names) in split(parts).iter().enumerate() {
            let (names_rel, out) = (format!("list-{part}"), format!("h-{part}.b3"));
            list(&env, &names_rel, names);
            let run = env.run(&["hash", "-0", "--files-from", &names_rel, "logs"]);
            run.assert_code(0);
            fs::write(env.path(&out), &run.stdout).unwrap();
            args.push(out);
        }
        // The last part first: the order of the inputs does not matter.
        args[2..].reverse();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        env.run(&args)
            .assert_code(0)
            .assert_stderr(&[])
            .assert_stdout(&whole.stdout);
    }
}

#[test]
fn merged_hashes_of_subdirectories_equal_the_hash_of_their_parent() {
    let env = TestEnv::new();
    tree(&env, "logs/a");
    tree(&env, "logs/a b");
    tree(&env, "logs/a\nb");
    let whole = env.run(&["hash", "logs"]);
    let mut args = vec!["hash", "--merge"];
    for (dir, out) in [
        ("logs/a", "a.b3"),
        ("logs/a b", "s.b3"),
        ("logs/a\nb", "n.b3"),
    ] {
        let run = env.run(&["hash", dir]);
        run.assert_code(0);
        fs::write(env.path(out), &run.stdout).unwrap();
        args.push(out);
    }
    env.run(&args)
        .assert_code(0)
        .assert_stderr(&[])
        .assert_stdout(&whole.stdout);
}

#[test]
fn convert_manifests_of_disjoint_lists_into_one_out_merge_into_the_whole_runs() {
    let env = TestEnv::new();
    tree(&env, "in");
    list(&env, "all", &NAMES);
    let convert = |list: &str, out: &str, manifest: &str| {
        env.run(&[
            "-q",
            "convert",
            "--to",
            "zst",
            "-0",
            "--files-from",
            list,
            "--manifest",
            manifest,
            "in",
            out,
        ])
        .assert_code(0);
    };
    convert("all", "whole", "whole.b3");
    let mut args = vec!["hash".to_owned(), "--merge".to_owned()];
    for (part, names) in split(2).iter().enumerate() {
        let (names_rel, manifest) = (format!("list-{part}"), format!("shard-{part}.b3"));
        list(&env, &names_rel, names);
        convert(&names_rel, "out", &manifest);
        args.push(manifest);
    }
    assert_eq!(env.tree("out"), env.tree("whole"), "the same OUT");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    env.run(&args)
        .assert_code(0)
        .assert_stderr(&[])
        .assert_stdout(&env.read("whole.b3"));
}

#[test]
fn escaped_names_sort_by_their_path_not_by_their_line() {
    let env = TestEnv::new();
    env.write("x.b3", manifest(["a b", "a\\b"]));
    env.write("y.b3", manifest(["a\nb", "a\\\\"]));
    let run = env.run(&["hash", "--merge", "x.b3", "y.b3"]);
    run.assert_code(0)
        .assert_stderr(&[])
        .assert_stdout(manifest(["a\nb", "a b", "a\\\\", "a\\b"]).as_bytes());
}

#[test]
fn an_unsorted_input_stops_the_merge_with_exit_2() {
    let env = TestEnv::new();
    env.write("sorted.b3", manifest(["a", "d"]));
    env.write(
        "unsorted.b3",
        [line(b"b", "b"), line(b"c", "c"), line(b"a\n", "a\nb")].concat(),
    );
    env.run(&["hash", "--merge", "sorted.b3", "unsorted.b3"])
        .assert_code(2)
        .assert_stderr(&[
            "asyncfiles: unsorted.b3:3: not sorted: a\\nb after c (written by hash --unsorted?)",
        ])
        // What was printed is sorted: the lines that came before the bad one's turn.
        .assert_stdout(manifest(["a", "b", "c"]).as_bytes());
}

#[test]
fn a_malformed_or_blank_line_stops_the_merge_with_exit_2() {
    let env = TestEnv::new();
    env.write("good.b3", manifest(["a", "c"]));
    env.write(
        "bad.b3",
        format!("{}{} b.log\n", line(b"b", "b"), "0".repeat(64)),
    );
    env.run(&["hash", "--merge", "good.b3", "bad.b3"])
        .assert_code(2)
        .assert_stderr(&["asyncfiles: bad.b3:2: expected two spaces after the hash"])
        .assert_stdout(manifest(["a", "b"]).as_bytes());
    // A blank line is malformed, as `hash --check` and b3sum take it; an empty file lists nothing.
    env.write("blank.b3", format!("{}\n", line(b"b", "b")));
    env.write("empty.b3", "");
    env.run(&["hash", "--merge", "blank.b3", "empty.b3", "good.b3"])
        .assert_code(2)
        .assert_stderr(&["asyncfiles: blank.b3:2: expected 64 hex digits, two spaces and a path"])
        .assert_stdout(manifest(["a", "b"]).as_bytes());
    env.run(&["hash", "--merge", "empty.b3", "good.b3"])
        .assert_code(0)
        .assert_stdout(manifest(["a", "c"]).as_bytes());
}

#[test]
fn a_path_listed_twice_is_reported_its_first_line_kept_and_the_merge_goes_on() {
    let env = TestEnv::new();
    env.write("x.b3", manifest(["a", "logs/b.log"]));
    env.write(
        "y.b3",
        [line(b"other", "logs/b.log"), line(b"z", "z")].concat(),
    );
    env.write(
        "z.b3",
        [line(b"d", "d"), line(b"d", "d"), line(b"e", "e")].concat(),
    );
    env.run(&["hash", "--merge", "x.b3", "y.b3", "z.b3"])
        .assert_code(1)
        .assert_stderr(&[
            "asyncfiles: logs/b.log: listed in x.b3 and y.b3",
            "asyncfiles: d: listed twice in z.b3",
        ])
        .assert_stdout(manifest(["a", "d", "e", "logs/b.log", "z"]).as_bytes());
}

#[test]
fn a_missing_input_is_exit_2_before_anything_is_printed() {
    let env = TestEnv::new();
    env.write("good.b3", manifest(["a"]));
    fs::create_dir(env.path("dir")).unwrap();
    env.run(&["hash", "--merge", "good.b3", "nope.b3", "gone.b3"])
        .assert_code(2)
        .assert_stderr(&[
            "asyncfiles: nope.b3: No such file or directory",
            "asyncfiles: gone.b3: No such file or directory",
        ])
        .assert_stdout(b"");
    env.run(&["hash", "--merge", "good.b3", "dir"])
        .assert_code(2)
        .assert_stderr(&["asyncfiles: dir: Is a directory"])
        .assert_stdout(b"");
}

#[test]
fn standard_input_is_one_of_the_inputs_once() {
    let env = TestEnv::new();
    env.write("x.b3", manifest(["a", "c"]));
    env.run_with_stdin(
        &["hash", "--merge", "-", "x.b3"],
        manifest(["b"]).as_bytes(),
    )
    .assert_code(0)
    .assert_stderr(&[])
    .assert_stdout(manifest(["a", "b", "c"]).as_bytes());
    env.run_with_stdin(&["hash", "--merge", "-", "x.b3", "-"], b"")
        .assert_code(2)
        .assert_stderr(&["asyncfiles: - (standard input) can be given once"]);
    env.run_with_stdin(&["hash", "--merge", "x.b3", "-"], b"junk\n")
        .assert_code(2)
        .assert_stderr(&["asyncfiles: -:1: expected 64 hex digits, two spaces and a path"]);
}

#[test]
fn options_that_make_no_sense_with_merge_are_usage_errors() {
    let env = TestEnv::new();
    env.write("x.b3", manifest(["a"]));
    for option in [
        &["--check", "x.b3"][..],
        &["--json"],
        &["--unsorted"],
        &["--decompressed"],
        &["--include", "*.log"],
        &["--files-from", "x.b3"],
        &["-j", "2"],
        &["--progress", "never"],
    ] {
        let mut args = vec!["hash", "--merge", "x.b3"];
        args.extend(option);
        let run = env.run(&args);
        run.assert_code(2);
        assert!(
            run.stderr
                .starts_with("error: the argument '--merge' cannot be used with"),
            "{option:?}: {}",
            run.stderr
        );
    }
    let run = env.run(&["hash", "--merge"]);
    run.assert_code(2);
    assert!(
        run.stderr
            .starts_with("error: the following required arguments were not provided:\n  <PATH>..."),
        "{}",
        run.stderr
    );
}

#[test]
fn verbose_says_how_many_lines_from_how_many_manifests() {
    let env = TestEnv::new();
    env.write("x.b3", manifest(["a", "c"]));
    env.write("y.b3", manifest(["b"]));
    env.run(&["-v", "hash", "--merge", "x.b3", "y.b3"])
        .assert_code(0)
        .assert_stderr(&["hash --merge: 3 lines from 2 manifests"]);
}

#[test]
fn names_shown_with_replacement_characters_are_merged_not_refused() {
    use std::os::unix::ffi::OsStrExt as _;
    let env = TestEnv::new();
    // Sorted by their bytes, `a\xc0` comes before `aé` (0xc0 < 0xc3); shown as `a\u{FFFD}`, after.
    let odd = std::ffi::OsStr::from_bytes(b"logs/x/a\xc0");
    fs::create_dir_all(env.path("logs/x")).unwrap();
    fs::write(env.path("").join(odd), "odd\n").unwrap();
    env.write("logs/x/aé", "e\n");
    env.write("logs/y/b", "b\n");
    let whole = env.run(&["hash", "logs"]);
    whole.assert_code(0);
    for dir in ["x", "y"] {
        let run = env.run(&["hash", &format!("logs/{dir}")]);
        fs::write(env.path(&format!("{dir}.b3")), &run.stdout).unwrap();
    }
    env.run(&["hash", "--merge", "x.b3", "y.b3"])
        .assert_code(0)
        .assert_stderr(&[])
        .assert_stdout(&whole.stdout);
}

#[test]
fn a_closed_stdout_ends_the_merge_quietly() {
    let env = TestEnv::new();
    // Far more than a pipe holds, so that writing blocks until the reader leaves.
    let names: Vec<String> = (0..20_000)
        .map(|i| format!("logs/file-{i:06}.log"))
        .collect();
    let (even, odd): (Vec<_>, Vec<_>) = names.iter().partition(|name| name.ends_with('0'));
    env.write("x.b3", manifest(even.iter().map(|name| name.as_str())));
    env.write("y.b3", manifest(odd.iter().map(|name| name.as_str())));
    let mut child = env
        .command(&["hash", "--merge", "x.b3", "y.b3"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0; 100];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let output = child.wait_with_output().unwrap();
    let run = common::Run::from_output(output);
    run.assert_code(0).assert_stderr(&[]);
    assert_eq!(
        &first[..],
        &manifest(names.iter().map(String::as_str)).as_bytes()[..100]
    );
}

/// A name of 1 to 3 characters, some of which need escaping or sort unlike their line.
fn name() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop::sample::select(vec!['a', 'B', ' ', '/', '.', '\\', '\n', 'é', '~']),
        1..4,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Any set of names cut into any number of parts at random merges back into its manifest.
    #[test]
    fn random_sets_split_at_random_merge_back(
        names in proptest::collection::btree_set(name(), 0..40),
        parts in proptest::collection::vec(0..4usize, 40),
    ) {
        let env = TestEnv::new();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let mut args = vec!["hash".to_owned(), "--merge".to_owned()];
        for part in 0..4 {
            let mine = names
                .iter()
                .zip(&parts)
                .filter(|(_, of)| **of == part)
                .map(|(name, _)| *name);
            let file = format!("part-{part}.b3");
            env.write(&file, manifest(mine));
            args.push(file);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = env.run(&args);
        prop_assert_eq!(run.code, Some(0), "{}", run.stderr);
        prop_assert_eq!(String::from_utf8(run.stdout).unwrap(), manifest(names));
    }
}

#[test]
fn more_manifests_than_the_soft_open_file_limit_still_merge() {
    let env = TestEnv::new();
    let mut expected = String::new();
    let mut names = Vec::new();
    for i in 0..300 {
        let name = format!("f{i:03}.log");
        let text = line(name.as_bytes(), &name);
        expected.push_str(&text);
        env.write(&format!("m/{i:03}.b3"), &text);
        names.push(format!("m/{i:03}.b3"));
    }
    // A soft limit of 128 descriptors (the hard one is higher): the merge raises it for itself.
    let script = format!(
        "ulimit -Sn 128 && exec \"$0\" hash --merge {}",
        names.join(" ")
    );
    let mut shell = std::process::Command::new("sh");
    common::isolate(&mut shell)
        .args(["-c", &script, env!("CARGO_BIN_EXE_asyncfiles")])
        .current_dir(env.root())
        .stdin(Stdio::null());
    let run = common::Run::from_output(shell.output().unwrap());
    run.assert_code(0);
    assert_eq!(String::from_utf8(run.stdout).unwrap(), expected);
}
