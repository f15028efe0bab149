//! `asyncfiles cat`: decoded content in path order, every format, transforms, per-file failures,
//! stdin, a closed pipe and bounded memory on a large file.

mod common;

use std::fs;
use std::process::Stdio;

use common::{Run, TestEnv, filter};

/// Writes files whose directory listing order (creation order, hashed names) differs from path
/// order; returns the content `cat t` must write.
fn shuffled_tree(env: &TestEnv) -> String {
    let mut names: Vec<String> = (0..40)
        .map(|i| format!("f{:02}.log", (i * 17) % 40))
        .collect();
    // Created in a scrambled order, in a nested directory as well.
    for name in &names {
        env.write(&format!("t/{name}"), format!("top {name}\n"));
        env.write(&format!("t/sub/{name}"), format!("sub {name}\n"));
    }
    names.sort();
    let mut expected: String = names.iter().map(|name| format!("top {name}\n")).collect();
    // `sub` sorts after every `f…` name.
    expected.extend(names.iter().map(|name| format!("sub {name}\n")));
    expected
}

#[test]
fn files_come_in_path_order_whatever_the_walk_order_and_the_jobs() {
    let env = TestEnv::new();
    let expected = shuffled_tree(&env);
    for jobs in ["1", "4"] {
        env.run(&["cat", "-j", jobs, "t"])
            .assert_code(0)
            .assert_stderr(&[])
            .assert_stdout(expected.as_bytes());
    }
}

#[test]
fn several_paths_come_in_the_order_given() {
    let env = TestEnv::new();
    env.write("b/1.log", "b1\n");
    env.write("a/1.log", "a1\n");
    env.write("a/2.log", "a2\n");
    env.write("c.log", "c\n");
    env.run(&["cat", "b", "c.log", "a"])
        .assert_code(0)
        .assert_stdout(b"b1\nc\na1\na2\n");
}

#[test]
fn every_format_is_decoded_and_a_gzip_without_extension_too() {
    let env = TestEnv::new();
    let cases: [(&str, &str, &[&str]); 8] = [
        ("a.gz", "gzip", &["-c"]),
        ("b.zst", "zstd", &["-q", "-c"]),
        ("c.xz", "xz", &["-c"]),
        ("d.bz2", "bzip2", &["-c"]),
        ("e.br", "brotli", &["-c"]),
        ("f.lzma", "lzma", &["-c"]),
        ("g.log", "cat", &[]),
        ("h-rotated", "gzip", &["-c"]),
    ];
    let mut expected = String::new();
    for (name, tool, args) in cases {
        let text = format!("{name} line 1\n{name} line 2\n");
        env.write(&format!("t/{name}"), filter(tool, args, text.as_bytes()));
        expected.push_str(&text);
    }
    env.run(&["cat", "-j", "3", "t"])
        .assert_code(0)
        .assert_stderr(&[])
        .assert_stdout(expected.as_bytes());
    // --from none writes the bytes as they are.
    let raw = env.read("t/g.log");
    env.run(&["cat", "--from", "none", "t/g.log"])
        .assert_stdout(&raw);
}

#[test]
fn line_transforms_apply_in_command_line_order_and_eol_last() {
    let env = TestEnv::new();
    let text = "GET /health 10.0.0.1\nGET /a 10.0.0.2\n\nGET /b 192.168.1.1  \n";
    env.write("t/a.log.gz", filter("gzip", &["-c"], text.as_bytes()));
    env.write("t/b.log", "GET /health x\nlast 1.2.3.4");
    env.run(&[
        "cat",
        "--grep-v",
        "health",
        "--redact",
        "ipv4",
        "--trim",
        "--drop-empty",
        "--eol",
        "crlf",
        "t",
    ])
    .assert_code(0)
    .assert_stdout(b"GET /a [IPV4]\r\nGET /b [IPV4]\r\nlast [IPV4]");
    // Order matters: a replace before the grep feeds it.
    env.run(&[
        "cat",
        "--replace",
        "health",
        "ok",
        "--grep",
        "ok",
        "t/b.log",
    ])
    .assert_stdout(b"GET /ok x\n");
}

#[test]
fn a_failed_file_in_the_middle_is_reported_and_the_others_written_in_order() {
    let env = TestEnv::new();
    env.write("t/a.log", "A\n");
    env.write("t/b.log.gz", "not gzip at all\n");
    let mut truncated = filter("gzip", &["-c"], &b"C\n".repeat(1000));
    truncated.truncate(truncated.len() / 2);
    env.write("t/c.log.gz", truncated);
    env.write("t/d.log", "D\n");
    let run = env.run(&["cat", "-j", "4", "t"]);
    run.assert_code(1);
    // What the truncated file held before its cut is written, as zcat does, in its place.
    let middle = run.stdout.strip_prefix(b"A\n").unwrap();
    let middle = middle.strip_suffix(b"D\n").unwrap();
    assert!(b"C\n".repeat(1000).starts_with(middle), "{middle:?}");
    assert_eq!(
        run.stderr,
        "asyncfiles: t/b.log.gz: not gzip data (bad magic bytes)\n\
         asyncfiles: t/c.log.gz: truncated gzip stream\n"
    );
    env.run(&["cat", "missing.log", "t/a.log"])
        .assert_code(1)
        .assert_stdout(b"A\n")
        .assert_stderr(&["asyncfiles: missing.log: cannot open: No such file or directory"]);
}

#[test]
fn stdin_is_read_where_dash_stands_and_decoded() {
    let env = TestEnv::new();
    env.write("a.log", "A\n");
    env.write("c.log", "C\n");
    let gz = filter("gzip", &["-c"], b"from stdin\n");
    env.run_with_stdin(&["cat", "a.log", "-", "c.log"], &gz)
        .assert_code(0)
        .assert_stdout(b"A\nfrom stdin\nC\n");
    env.run_with_stdin(&["cat", "--grep", "in", "-"], b"in\nout\n")
        .assert_stdout(b"in\n");
}

#[test]
fn a_closed_stdout_ends_the_run_quietly() {
    let env = TestEnv::new();
    for i in 0..50 {
        env.write(&format!("t/{i:02}.log"), "some log line\n".repeat(20_000));
    }
    common::assert_quiet_after_hang_up(env.command(&["cat", "t"]), b"some log line\n");
}

/// The budget of resident memory for `cat` of one large file.
const RSS_BUDGET_KIB: u64 = 64 << 10;

/// Peak RSS (KiB) of `asyncfiles ARGS` with stdout into a pipe that the test drains, checking
/// that `expected_len` bytes came out.
fn peak_rss(env: &TestEnv, args: &[&str], expected_len: u64) -> u64 {
    let mut child = std::process::Command::new("/usr/bin/time")
        .args([
            "-f",
            "%M",
            "-o",
            "rss.txt",
            env!("CARGO_BIN_EXE_asyncfiles"),
        ])
        .args(args)
        .current_dir(env.root())
        .env_remove(common::DELAY_ENV)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("/usr/bin/time is needed for this test (.ci/run installs it)");
    let mut stdout = child.stdout.take().unwrap();
    let drained = std::io::copy(&mut stdout, &mut std::io::sink()).unwrap();
    let run = Run::from_output(child.wait_with_output().unwrap());
    run.assert_code(0).assert_stderr(&[]);
    assert_eq!(drained, expected_len);
    String::from_utf8(env.read("rss.txt"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn a_large_file_streams_in_bounded_memory() {
    let env = TestEnv::new();
    let len = 256u64 << 20;
    // Sparse zeros: nothing written to disk.
    fs::File::create(env.path("big.log"))
        .unwrap()
        .set_len(len)
        .unwrap();
    let zst = std::process::Command::new("zstd")
        .args(["-q", "-1", "big.log", "-o", "big.zst"])
        .current_dir(env.root())
        .status()
        .expect("zstd is needed for this test (.ci/run installs it)");
    assert!(zst.success());
    for args in [["cat", "-j", "2", "big.log"], ["cat", "-j", "2", "big.zst"]] {
        let rss = peak_rss(&env, &args, len);
        assert!(
            rss <= RSS_BUDGET_KIB,
            "{args:?}: peak RSS {rss} KiB, over {RSS_BUDGET_KIB} KiB"
        );
    }
}
