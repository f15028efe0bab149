//! `asyncfiles grep`: an option table against the system `grep` on decoded copies (a gzip file
//! without extension searched, its plain twin grepped), every input format, context and
//! separators, binary files, colours, JSON parsed with serde_json, exit codes 0/1/2, corrupt
//! input, `--max-line-bytes`, matches across chunk boundaries, `--sort path` with many lanes, and
//! a closed pipe.

mod common;

use std::io::{Read as _, Write as _};
use std::path::Path;
use std::process::{Command, Stdio};

use common::TestEnv;

/// Lines with words, cases, punctuation and a needle, for the option table.
const TEXT: &str = "foo bar\n\
    Foo Bar\n\
    food\n\
    a.b\n\
    axb\n\
    baz foo\n\
    \n\
    needle here\n\
    one\n\
    two\n\
    three\n\
    four needle\n\
    five\n\
    six\n\
    seven\n\
    eight\n\
    needle\n\
    foo bar\n\
    fooo fo foooo\n";

fn gzip(bytes: &[u8]) -> Vec<u8> {
    common::filter("gzip", &["-c"], bytes)
}

fn system_grep_installed() -> bool {
    Command::new("grep")
        .arg("--version")
        .output()
        .is_ok_and(|out| out.status.success())
}

/// The system grep's exit code and stdout, run in `dir`.
fn system_grep(dir: &Path, args: &[&str]) -> (Option<i32>, Vec<u8>) {
    // The regex crate's syntax is close to grep's extended one (-F excludes it).
    let extended = (!args.contains(&"-F")).then_some("-E");
    let out = Command::new("grep")
        .args(extended)
        .args(args)
        .current_dir(dir)
        .env("LC_ALL", "C")
        .env_remove("GREP_COLORS")
        .output()
        .expect("run grep");
    (out.status.code(), out.stdout)
}

/// asyncfiles grep run in `dir` (under the env's root).
fn ours(env: &TestEnv, dir: &str, args: &[&str]) -> common::Run {
    let mut command = env.command(&[&["grep"], args].concat());
    command.current_dir(env.path(dir)).stdin(Stdio::null());
    common::Run::from_output(command.output().expect("run binary"))
}

#[test]
fn options_give_what_system_grep_gives_on_the_decoded_copy() {
    if !system_grep_installed() {
        eprintln!("grep is not installed: skipped");
        return;
    }
    let env = TestEnv::new();
    // The same name in both: a gzip file without extension here, its plain twin there.
    env.write("gz/x.log", gzip(TEXT.as_bytes()));
    env.write("gz/y.log", gzip(b"needle y\nfoo y\n"));
    env.write("plain/x.log", TEXT);
    env.write("plain/y.log", "needle y\nfoo y\n");
    let table: &[&[&str]] = &[
        &["foo", "x.log"],
        &["-n", "foo", "x.log"],
        &["-i", "foo", "x.log"],
        &["-w", "foo", "x.log"],
        &["-x", "foo bar", "x.log"],
        &["-v", "foo", "x.log"],
        &["-v", "-n", "o", "x.log"],
        &["-c", "foo", "x.log"],
        &["-c", "-v", "foo", "x.log"],
        &["-o", "fo*", "x.log"],
        &["-o", "-n", "-i", "foo", "x.log"],
        &["-m", "2", "foo", "x.log"],
        &["-m", "1", "-c", "foo", "x.log"],
        &["-F", "a.b", "x.log"],
        &["a.b", "x.log"],
        &["-e", "food", "-e", "baz", "x.log"],
        &["-n", "-C", "1", "needle", "x.log"],
        &["-A", "1", "needle", "x.log"],
        &["-B", "2", "-n", "needle", "x.log"],
        &["-C", "3", "needle", "x.log"],
        &["-C", "1", "-v", "o", "x.log"],
        &["-H", "-n", "foo", "x.log"],
        &["-l", "foo", "x.log", "y.log"],
        &["-L", "Bar", "x.log", "y.log"],
        &["-c", "needle", "x.log", "y.log"],
        &["-n", "-C", "1", "needle", "x.log", "y.log"],
        &["-i", "-w", "-n", "bar", "x.log"],
        &["-x", "", "x.log"],
        &["^$", "-n", "x.log"],
        &["-o", "-w", "fo+", "x.log"],
        &["--color=always", "foo", "x.log"],
        &["--color=always", "-n", "-H", "-i", "foo", "x.log", "y.log"],
        &[
            "--color=always",
            "-C",
            "1",
            "-n",
            "needle",
            "x.log",
            "y.log",
        ],
        &["--color=always", "-c", "foo", "x.log", "y.log"],
        &["--color=always", "-l", "foo", "x.log", "y.log"],
        &["--color=always", "-o", "-n", "fo+", "x.log"],
        &["zzz", "x.log"],
        &["-c", "zzz", "x.log"],
        &["-q", "foo", "x.log"],
        &["-q", "zzz", "x.log"],
        &["-m", "1", "-A", "2", "needle", "x.log"],
        &["-m", "2", "-v", "-n", "foo", "x.log"],
        &["-m", "1", "-C", "1", "-n", "needle", "x.log", "y.log"],
        &["-w", "-e", "foo", "-e", "bar", "x.log"],
        &["-x", "-e", "food", "-e", "needle", "x.log"],
        &["-c", "-e", "", "x.log"],
        &["-o", "o*", "x.log"],
        &["-n", "-o", "-e", "fo", "-e", "oo", "x.log"],
        &["-i", "-c", "FOO", "x.log", "y.log"],
        &["--color=always", "-v", "-n", "o", "x.log"],
        &["--color=always", "-C", "1", "-v", "needle", "x.log"],
        &["--color=always", "-i", "-o", "FOO", "x.log"],
        &["--color=always", "-w", "-n", "-H", "fo+", "x.log"],
        &["--color=always", "-x", "foo bar", "x.log"],
        &["--color=always", "-L", "Bar", "x.log", "y.log"],
        &["-A", "0", "needle", "x.log"],
        &["-B", "20", "-n", "two", "x.log"],
        &["-C", "1", "-c", "needle", "x.log"],
        &["-l", "-v", "needle", "x.log", "y.log"],
        &["-H", "-c", "needle", "x.log"],
        // Found in review: GNU grep's -L exit code, -o with context, -m's context uncoloured.
        &["-L", "foo", "x.log"],
        &["-L", "zzz", "x.log"],
        &["-o", "-A", "1", "foo", "x.log"],
        &["-o", "-B", "1", "-n", "foo", "x.log"],
        &["-o", "-C", "1", "needle", "x.log"],
        &[
            "--color=always",
            "-n",
            "-H",
            "-m",
            "1",
            "-A",
            "2",
            "foo",
            "x.log",
        ],
        &["-c", "-m", "0", "foo", "x.log"],
    ];
    for args in table {
        let (code, expected) = system_grep(&env.path("plain"), args);
        // Lanes finish in any order: several files are printed sorted, as grep lists them.
        let sorted: Vec<&str> = [&["--sort", "path"], *args].concat();
        let run = ours(&env, "gz", &sorted);
        assert_eq!(run.code, code, "{args:?}: exit code\n{}", run.stderr);
        assert_eq!(
            String::from_utf8_lossy(&run.stdout),
            String::from_utf8_lossy(&expected),
            "{args:?}"
        );
        assert_eq!(run.stderr, "", "{args:?}");
    }
}

#[test]
fn smart_case_patterns_files_and_null_names() {
    let env = TestEnv::new();
    env.write("a.log", "Error one\nerror two\nERROR three\n");
    env.write("pats", "two\nthree\n");
    env.write("empty", "");
    env.run(&["grep", "-S", "error", "a.log"])
        .assert_code(0)
        .assert_stdout(b"Error one\nerror two\nERROR three\n");
    env.run(&["grep", "-S", "Error", "a.log"])
        .assert_code(0)
        .assert_stdout(b"Error one\n");
    env.run(&["grep", "-f", "pats", "a.log"])
        .assert_code(0)
        .assert_stdout(b"error two\nERROR three\n");
    env.run(&["grep", "-i", "-f", "pats", "-e", "one", "a.log"])
        .assert_code(0)
        .assert_stdout(b"Error one\nerror two\nERROR three\n");
    // An empty pattern file matches nothing, as grep's.
    env.run(&["grep", "-f", "empty", "a.log"])
        .assert_code(1)
        .assert_stdout(b"");
    env.run(&["grep", "-0", "-H", "two", "a.log"])
        .assert_code(0)
        .assert_stdout(b"a.log\0error two\n");
    env.run(&["grep", "--null", "-l", "two", "a.log"])
        .assert_code(0)
        .assert_stdout(b"a.log\0");
    // -L is grep's here; the walk's --follow keeps its long name, -0's --files-from
    // separator is --files-null.
    // (Exit 1: no line was selected, as GNU grep 3.8 says with -L.)
    env.run(&["grep", "-L", "zzz", "--follow", "a.log"])
        .assert_code(1)
        .assert_stdout(b"a.log\n");
    env.write("list", "a.log\0");
    env.run(&[
        "grep",
        "-c",
        "--files-from",
        "list",
        "--files-null",
        "two",
        ".",
    ])
    .assert_code(0)
    .assert_stdout(b"./a.log:1\n");
}

#[test]
fn every_format_is_searched_decoded_and_a_tree_names_its_files() {
    let env = TestEnv::new();
    env.write("src/app.log", "start\nGET /x 500 slow\nend\n");
    for format in ["gz", "zst", "xz", "bz2", "br", "lzma"] {
        env.run(&[
            "convert",
            "-q",
            "--to",
            format,
            "src",
            &format!("tree/{format}"),
        ])
        .assert_code(0);
    }
    env.write("tree/plain/app.log", "GET /y 500 fast\n");
    let line = |format: &str| format!("tree/{format}/app.log.{format}:2:GET /x 500 slow\n");
    let expected: String = ["br", "bz2", "gz", "lzma"]
        .iter()
        .map(|format| line(format))
        .chain(["tree/plain/app.log:1:GET /y 500 fast\n".to_string()])
        .chain(["xz", "zst"].iter().map(|format| line(format)))
        .collect();
    env.run(&["grep", "-n", "--sort", "path", " 500 ", "tree"])
        .assert_code(0)
        .assert_stdout(expected.as_bytes());
    // Without PATH: `.`, the names without ./ (as rg prints them).
    let mut command = env.command(&["grep", "-c", "500", "--sort", "path"]);
    command.current_dir(env.path("tree"));
    let run = common::Run::from_output(command.output().unwrap());
    run.assert_code(0).assert_stdout(
        b"br/app.log.br:1\nbz2/app.log.bz2:1\ngz/app.log.gz:1\nlzma/app.log.lzma:1\n\
          plain/app.log:1\nxz/app.log.xz:1\nzst/app.log.zst:1\n",
    );
    // Standard input, decoded by its content; --from none searches the bytes as they are.
    env.run_with_stdin(&["grep", "-H", "500", "-"], &gzip(b"a 500\nb\n"))
        .assert_code(0)
        .assert_stdout(b"(standard input):a 500\n");
    env.run(&["grep", "-c", "--from", "none", "500", "tree/gz/app.log.gz"])
        .assert_code(1)
        .assert_stdout(b"0\n");
}

#[test]
fn corrupt_input_is_reported_and_exits_2_even_when_others_matched() {
    let env = TestEnv::new();
    env.write("logs/good.log", "hit\n");
    let mut bad = gzip(b"hit\nhit\n");
    let middle = bad.len() / 2;
    bad[middle..].iter_mut().for_each(|byte| *byte ^= 0x55);
    env.write("logs/bad.log.gz", &bad);
    let run = env.run(&["grep", "hit", "logs"]);
    run.assert_code(2);
    assert!(
        String::from_utf8_lossy(&run.stdout).contains("logs/good.log:hit\n"),
        "{run:?}"
    );
    assert!(
        run.stderr.starts_with("asyncfiles: logs/bad.log.gz: "),
        "{run:?}"
    );
    assert_eq!(run.stderr.lines().count(), 1, "{run:?}");
    env.run(&["grep", "hit", "missing.log"])
        .assert_code(2)
        .assert_stdout(b"")
        .assert_stderr(&["asyncfiles: missing.log: cannot open: No such file or directory"]);
    let run = env.run(&["grep", "(", "logs"]);
    run.assert_code(2).assert_stdout(b"");
    assert!(
        run.stderr.starts_with("asyncfiles: invalid pattern ("),
        "{run:?}"
    );
    env.run(&["grep", "nothing", "logs/good.log"])
        .assert_code(1)
        .assert_stdout(b"")
        .assert_stderr(&[]);
    // -q: exit 0 at a match, whatever failed.
    env.run(&["grep", "-q", "hit", "logs/good.log", "missing.log"])
        .assert_code(0)
        .assert_stdout(b"");
}

#[test]
fn binary_files_say_so_once_unless_text() {
    let env = TestEnv::new();
    env.write("bin.dat", b"foo\0bar\nfoo again\n");
    env.write("bin.gz", gzip(b"x\0y\nfoo\n"));
    env.run(&["grep", "foo", "bin.dat"])
        .assert_code(0)
        .assert_stdout(b"")
        .assert_stderr(&["asyncfiles: bin.dat: binary file matches"]);
    env.run(&["grep", "foo", "bin.gz"])
        .assert_code(0)
        .assert_stdout(b"")
        .assert_stderr(&["asyncfiles: bin.gz: binary file matches"]);
    env.run(&["grep", "-a", "-n", "foo", "bin.dat"])
        .assert_code(0)
        .assert_stdout(b"1:foo\0bar\n2:foo again\n")
        .assert_stderr(&[]);
    env.run(&["grep", "-c", "foo", "bin.dat"])
        .assert_code(0)
        .assert_stdout(b"2\n");
    env.run(&["grep", "zzz", "bin.dat"])
        .assert_code(1)
        .assert_stderr(&[]);
    if system_grep_installed() {
        let out = Command::new("grep")
            .args(["foo", "bin.dat"])
            .current_dir(env.root())
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            "grep: bin.dat: binary file matches\n"
        );
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn json_has_rg_messages_and_fields() {
    let env = TestEnv::new();
    env.write("a.log", b"one foo\ntwo\nfoo foo\xff\n");
    env.write("b.log", b"nothing\n");
    let run = env.run(&[
        "grep", "--json", "--sort", "path", "-C", "1", "foo", "a.log", "b.log",
    ]);
    run.assert_code(0).assert_stderr(&[]);
    let messages: Vec<serde_json::Value> = String::from_utf8(run.stdout.clone())
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let types: Vec<&str> = messages
        .iter()
        .map(|m| m["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        ["begin", "match", "context", "match", "end", "summary"]
    );
    assert_eq!(messages[0]["data"]["path"]["text"], "a.log");
    let first = &messages[1]["data"];
    assert_eq!(first["path"]["text"], "a.log");
    assert_eq!(first["lines"]["text"], "one foo\n");
    assert_eq!(first["line_number"], 1);
    assert_eq!(first["absolute_offset"], 0);
    assert_eq!(
        first["submatches"],
        serde_json::json!([{"match": {"text": "foo"}, "start": 4, "end": 7}])
    );
    assert_eq!(messages[2]["data"]["lines"]["text"], "two\n");
    assert_eq!(messages[2]["data"]["submatches"], serde_json::json!([]));
    let third = &messages[3]["data"];
    // Not UTF-8: base64, as rg writes it.
    assert_eq!(third["lines"]["bytes"], "Zm9vIGZvb/8K");
    assert_eq!(third["absolute_offset"], 12);
    assert_eq!(third["line_number"], 3);
    assert_eq!(third["submatches"].as_array().unwrap().len(), 2);
    let end = &messages[4]["data"];
    assert_eq!(end["binary_offset"], serde_json::Value::Null);
    assert_eq!(end["stats"]["matched_lines"], 2);
    assert_eq!(end["stats"]["matches"], 3);
    assert_eq!(end["stats"]["bytes_searched"], 21);
    let stats = &messages[5]["data"]["stats"];
    assert_eq!(stats["searches"], 2);
    assert_eq!(stats["searches_with_match"], 1);
    assert_eq!(stats["matched_lines"], 2);
    assert!(messages[5]["data"]["elapsed_total"]["human"].is_string());
    // No match: only the summary, exit 1.
    let run = env.run(&["grep", "--json", "zzz", "b.log"]);
    run.assert_code(1);
    let summary: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(summary["type"], "summary");
}

/// A text of `lines` numbered lines, `needle` on the ones `hit` picks.
fn numbered(lines: usize, hit: impl Fn(usize) -> bool) -> (String, String) {
    let (mut text, mut expected) = (String::new(), String::new());
    for n in 1..=lines {
        let line = if hit(n) {
            format!("line {n} has the needle in it\n")
        } else {
            format!(
                "line {n} is filler text, nothing to see {}\n",
                "x".repeat(n % 50)
            )
        };
        if hit(n) {
            expected.push_str(&format!("{n}:{line}"));
        }
        text.push_str(&line);
    }
    (text, expected)
}

#[test]
fn large_files_find_every_match_across_chunks_plain_and_compressed() {
    let env = TestEnv::new();
    // About 6 MiB: read in chunks, decoded ahead of the search; lines cut between chunks.
    let (text, expected) = numbered(120_000, |n| n % 997 == 0 || n == 120_000);
    env.write("big.log", &text);
    env.write("big.log.gz", gzip(text.as_bytes()));
    env.write(
        "big.zst",
        common::filter("zstd", &["-c", "-q"], text.as_bytes()),
    );
    for file in ["big.log", "big.log.gz", "big.zst"] {
        env.run(&["grep", "-n", "needle", file])
            .assert_code(0)
            .assert_stdout(expected.as_bytes());
    }
    let count = expected.lines().count();
    env.run(&["grep", "-c", "-v", "needle", "big.log.gz"])
        .assert_code(0)
        .assert_stdout(format!("{}\n", 120_000 - count).as_bytes());
    // Output beyond what a file holds (4 MiB) streams, still whole and in order.
    let all: String = text
        .lines()
        .enumerate()
        .map(|(i, line)| format!("{}:{line}\n", i + 1))
        .collect();
    env.run(&["grep", "-n", "line", "big.log.gz"])
        .assert_code(0)
        .assert_stdout(all.as_bytes());
    // The same through the ordered output of --sort path, in chunks.
    env.run(&["grep", "-n", "--sort", "path", "line", "big.log.gz"])
        .assert_code(0)
        .assert_stdout(all.as_bytes());
}

#[test]
fn a_line_longer_than_max_line_bytes_fails_its_file() {
    let env = TestEnv::new();
    env.write("long.log", format!("short\n{}\n", "y".repeat(5000)));
    env.write("ok.log", "short\n");
    let run = env.run(&[
        "grep",
        "--max-line-bytes",
        "1K",
        "--sort",
        "path",
        "short",
        "long.log",
        "ok.log",
    ]);
    run.assert_code(2)
        .assert_stderr(&["asyncfiles: long.log: a line exceeds --max-line-bytes (1 KiB)"]);
    assert!(
        String::from_utf8_lossy(&run.stdout).contains("ok.log:short\n"),
        "{run:?}"
    );
    // One line of 3 MiB without a newline, compressed: carried from chunk to chunk, then
    // refused at the limit.
    env.write("one.gz", gzip("z".repeat(3 << 20).as_bytes()));
    env.run(&["grep", "--max-line-bytes", "1M", "z", "one.gz"])
        .assert_code(2)
        .assert_stderr(&["asyncfiles: one.gz: a line exceeds --max-line-bytes (1 MiB)"]);
    env.run(&["grep", "-c", "z", "one.gz"])
        .assert_code(0)
        .assert_stdout(b"1\n");
}

#[test]
fn sort_path_orders_files_searched_by_many_lanes_and_context_separates_them() {
    let env = TestEnv::new();
    let mut expected = String::new();
    for i in 0..60 {
        let name = format!("t/{:02}/f{i}.log", i % 7);
        let body = format!("a\nmatch {i}\nb\nc\nd\nmatch again {i}\n");
        env.write(
            &name,
            if i % 2 == 0 {
                gzip(body.as_bytes())
            } else {
                body.into_bytes()
            },
        );
    }
    let mut names: Vec<String> = (0..60)
        .map(|i| format!("t/{:02}/f{i}.log", i % 7))
        .collect();
    names.sort();
    for name in &names {
        let i: usize = name
            .rsplit('f')
            .next()
            .unwrap()
            .trim_end_matches(".log")
            .parse()
            .unwrap();
        expected.push_str(&format!("{name}:match {i}\n{name}:match again {i}\n"));
    }
    env.run(&["grep", "--jobs", "8", "--sort", "path", "match", "t"])
        .assert_code(0)
        .assert_stdout(expected.as_bytes());
    // Unsorted: each file's lines together, whatever the order of files.
    let run = env.run(&["grep", "--jobs", "8", "match", "t"]);
    let out = String::from_utf8(run.stdout.clone()).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 120);
    for pair in lines.chunks(2) {
        assert_eq!(
            pair[0].split(':').next(),
            pair[1].split(':').next(),
            "{out}"
        );
    }
    // Context: `--` between groups, and between files, as grep prints them.
    env.write("c/a.log", "1\nx\n3\n4\n5\n6\nx\n");
    env.write("c/b.log", "x\n2\n");
    env.run(&["grep", "-n", "-A", "1", "--sort", "path", "x", "c"])
        .assert_code(0)
        .assert_stdout(
            b"c/a.log:2:x\nc/a.log-3-3\n--\nc/a.log:7:x\n--\nc/b.log:1:x\nc/b.log-2-2\n",
        );
}

#[test]
fn quiet_stops_at_the_first_match_and_a_closed_pipe_ends_quietly() {
    let env = TestEnv::new();
    for i in 0..200 {
        env.write(
            &format!("q/{i}.log"),
            if i == 150 { "hit\n" } else { "miss\n" },
        );
    }
    env.run(&["grep", "-q", "hit", "q"])
        .assert_code(0)
        .assert_stdout(b"")
        .assert_stderr(&[]);
    env.run(&["grep", "-q", "zzz", "q"])
        .assert_code(1)
        .assert_stdout(b"");
    // Far more output than a pipe holds; the reader leaves after a few bytes.
    let (text, _) = numbered(400_000, |_| true);
    env.write("many.log.gz", gzip(text.as_bytes()));
    let mut child = env
        .command(&["grep", "needle", "many.log.gz"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 100];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(stderr, "");
    assert_eq!(status.code(), Some(0));
    assert!(first.starts_with(b"line 1 has the needle"));
}

#[test]
fn verbosity_flags_work_before_and_after_the_command_name() {
    let env = TestEnv::new();
    env.write("a.log", "x\n");
    for args in [
        &["-q", "stats", "a.log"][..],
        &["stats", "-q", "a.log"],
        &["hash", "-q", "a.log"],
    ] {
        env.run(args).assert_code(0).assert_stderr(&[]);
    }
    // convert prints a summary line: -q, before or after the command name, takes it away.
    let summary = env.run(&["convert", "a.log", "b.log"]);
    assert!(
        summary.stderr.starts_with("convert: 1 done"),
        "{}",
        summary.stderr
    );
    for args in [
        &["-q", "convert", "a.log", "c.log"][..],
        &["convert", "-q", "a.log", "d.log"],
    ] {
        env.run(args).assert_code(0).assert_stderr(&[]);
    }
    // -v, after the name too, adds a line per file.
    let verbose = env.run(&["convert", "-v", "a.log", "e.log"]);
    assert!(
        verbose.stderr.starts_with("a.log -> e.log"),
        "{}",
        verbose.stderr
    );
    let mut child = env
        .command(&["grep", "-v", "y", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"x\ny\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.stdout, b"x\n");
}

#[test]
fn a_tree_gives_the_lines_grep_r_gives_on_its_decoded_twin() {
    if !system_grep_installed() {
        eprintln!("grep is not installed: skipped");
        return;
    }
    let env = TestEnv::new();
    for i in 0..30 {
        let body: String = (0..40)
            .map(|n| {
                format!(
                    "{i} {n} {}\n",
                    if (i + n) % 7 == 0 {
                        "GET /a 500"
                    } else {
                        "GET /b 200"
                    }
                )
            })
            .collect();
        let name = format!("{}/sub{}/f{i}.log", i % 3, i % 2);
        // Compressed, under the plain file's own name.
        env.write(&format!("gz/t/{name}"), gzip(body.as_bytes()));
        env.write(&format!("plain/t/{name}"), body);
    }
    for args in [
        &["-n", " 500"][..],
        &["-c", "500"],
        &["-l", "/a 500"],
        &["-v", "-c", "200"],
        &["-o", "-n", "[0-9]+ 500"],
    ] {
        let (code, expected) = system_grep(&env.path("plain"), &[&["-r"], args, &["t"]].concat());
        let run = ours(&env, "gz", &[args, &["t"]].concat());
        assert_eq!(run.code, code, "{args:?}");
        let sorted = |bytes: &[u8]| {
            let mut lines: Vec<String> = String::from_utf8_lossy(bytes)
                .lines()
                .map(str::to_owned)
                .collect();
            lines.sort();
            lines
        };
        assert_eq!(sorted(&run.stdout), sorted(&expected), "{args:?}");
    }
}

#[test]
fn a_write_error_exits_2_and_a_failed_file_keeps_the_lines_before_its_failure() {
    let env = TestEnv::new();
    let text: String = (0..60_000).map(|i| format!("line {i} needle\n")).collect();
    let whole = gzip(text.as_bytes());
    env.write("cut.log.gz", &whole[..whole.len() / 2]);
    let expected = common::Run::from_output(
        Command::new("sh")
            .args(["-c", "gzip -dc cut.log.gz 2>/dev/null | grep -c needle"])
            .current_dir(env.root())
            .output()
            .unwrap(),
    );
    let count: usize = String::from_utf8_lossy(&expected.stdout)
        .trim()
        .parse()
        .unwrap();
    assert!(count > 1000, "{count}");
    for sort in [false, true] {
        let mut args = vec!["-N", "needle", "cut.log.gz"];
        if sort {
            args.insert(0, "--sort=path");
        }
        let run = ours(&env, ".", &args);
        run.assert_code(2)
            .assert_stderr(&["asyncfiles: cut.log.gz: truncated gzip stream"]);
        let printed = String::from_utf8(run.stdout.clone()).unwrap();
        assert_eq!(printed.lines().count(), count, "--sort {sort}");
        assert!(text.starts_with(&printed), "whole lines, in order");
    }
    // stdout full: an error, not "no line selected".
    env.write("a.log", "foo\n");
    let full = std::fs::File::create("/dev/full").expect("/dev/full");
    let mut command = env.command(&["grep", "foo", "a.log"]);
    let run = common::Run::from_output(command.stdout(full).output().unwrap());
    run.assert_code(2)
        .assert_stderr(&["asyncfiles: write error: No space left on device"]);
}

#[test]
fn standard_input_is_searched_as_it_comes() {
    let env = TestEnv::new();
    let mut child = env.spawn_piped(&["grep", "ERROR", "-"]);
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    // One line, and the input stays open: the line must come out before the input ends.
    stdin.write_all(b"ok\nERROR disk full\n").unwrap();
    stdin.flush().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = Vec::new();
        let mut byte = [0u8; 1];
        while stdout.read(&mut byte).unwrap_or(0) == 1 {
            line.push(byte[0]);
            if byte[0] == b'\n' {
                break;
            }
        }
        let _ = tx.send(line);
    });
    // A generous bound: only a run that holds the line until the end of input misses it.
    let line = rx
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("the line was held back until the end of input");
    assert_eq!(line, b"ERROR disk full\n");
    drop(stdin);
    assert!(child.wait().unwrap().success());
}

#[test]
fn json_messages_start_with_their_type_as_rg_writes_them() {
    let env = TestEnv::new();
    env.write("a.log", "one foo\n");
    let run = ours(&env, ".", &["--json", "foo", "a.log"]);
    run.assert_code(0);
    let kinds: Vec<String> = String::from_utf8(run.stdout)
        .unwrap()
        .lines()
        .map(|line| line.split('"').nth(3).unwrap_or_default().to_owned())
        .collect();
    assert_eq!(kinds, ["begin", "match", "end", "summary"]);
    let first = String::from_utf8(ours(&env, ".", &["--json", "foo", "a.log"]).stdout).unwrap();
    assert!(
        first.starts_with("{\"type\":\"begin\",\"data\":{"),
        "{first}"
    );
}
