//! `convert` line transforms: each transform against output written by hand for
//! `fixtures/lines/app.log`, their order, redaction (labels and keyed pseudonyms), usage errors,
//! the long-line limit, bytes that are not UTF-8, compressed input and output, and the line
//! counts in the summary.

mod common;

use std::fs;

use common::{TestEnv, filter, fixtures};
use proptest::prelude::*;

/// `fixtures/lines/app.log`, line by line (the fixture is this text, each line ending in `\n`).
const APP: [&str; 6] = [
    "2026-11-20T10:00:01 INFO GET /index.html 200 from 10.0.0.1 user=alice  ",
    "2026-11-20T10:00:02 WARN POST /login 401 from 192.168.1.20 password=hunter2 user=bob",
    "",
    "2026-11-20T10:00:03 INFO GET /health 200 from ::1 req=123e4567-e89b-12d3-a456-426614174000\t",
    "2026-11-20T10:00:04 ERROR GET /api 500 from fe80::1%eth0 mail=ops@example.com token=abc.def",
    "2026-11-20T10:00:05 INFO GET /v 200 version 1.2.3.4.5 not 999.1.1.1 Authorization: Bearer xyz 1",
];

/// `fixtures/lines/app.log` (beside the sample tree `fixtures/logs`).
fn app_log_path() -> std::path::PathBuf {
    fixtures().with_file_name("lines").join("app.log")
}

fn app_log() -> Vec<u8> {
    fs::read(app_log_path()).expect("fixtures/lines/app.log")
}

fn lines(lines: &[&str]) -> Vec<u8> {
    lines
        .iter()
        .flat_map(|line| format!("{line}\n").into_bytes())
        .collect()
}

/// Runs `convert ARGS fixtures/lines/app.log -` and returns stdout, asserting exit 0.
fn transform(env: &TestEnv, args: &[&str]) -> Vec<u8> {
    let input = app_log_path();
    let mut all: Vec<&str> = vec!["-q", "convert"];
    all.extend_from_slice(args);
    all.extend_from_slice(&[input.to_str().unwrap(), "-"]);
    let run = env.run(&all);
    run.assert_code(0);
    run.stdout
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn the_fixture_is_what_the_tests_expect() {
    assert_eq!(text(&app_log()), text(&lines(&APP)));
}

#[test]
fn grep_and_grep_v_keep_and_drop_whole_lines() {
    let env = TestEnv::new();
    assert_eq!(
        text(&transform(&env, &["--grep", " (4|5)[0-9]{2} "])),
        text(&lines(&[APP[1], APP[4]]))
    );
    assert_eq!(
        text(&transform(&env, &["--grep-v", "INFO", "--grep-v", "^$"])),
        text(&lines(&[APP[1], APP[4]]))
    );
}

#[test]
fn replace_uses_capture_groups_names_and_dollars() {
    let env = TestEnv::new();
    let out = transform(
        &env,
        &[
            "--grep",
            "user=",
            "--replace",
            r"user=(?P<name>\w+)",
            "user=<${name}> $$1=$1",
        ],
    );
    assert_eq!(
        text(&out),
        text(&lines(&[
            "2026-11-20T10:00:01 INFO GET /index.html 200 from 10.0.0.1 user=<alice> $1=alice  ",
            "2026-11-20T10:00:02 WARN POST /login 401 from 192.168.1.20 password=hunter2 user=<bob> $1=bob",
        ]))
    );
}

#[test]
fn order_on_the_command_line_is_the_order_applied() {
    let env = TestEnv::new();
    // Keep the ERROR line, then rewrite it: one line out.
    let grep_first = transform(&env, &["--grep", "ERROR", "--replace", "ERROR|WARN", "BAD"]);
    assert_eq!(
        text(&grep_first),
        text(&lines(&[
            "2026-11-20T10:00:04 BAD GET /api 500 from fe80::1%eth0 mail=ops@example.com token=abc.def"
        ]))
    );
    // Rewrite first: there is no ERROR left to keep.
    let replace_first = transform(&env, &["--replace", "ERROR|WARN", "BAD", "--grep", "ERROR"]);
    assert_eq!(text(&replace_first), "");
}

#[test]
fn trim_and_drop_empty() {
    let env = TestEnv::new();
    let out = transform(&env, &["--trim", "--drop-empty"]);
    let mut expected: Vec<&str> = APP.to_vec();
    expected.remove(2);
    expected[0] = "2026-11-20T10:00:01 INFO GET /index.html 200 from 10.0.0.1 user=alice";
    expected[2] = "2026-11-20T10:00:03 INFO GET /health 200 from ::1 req=123e4567-e89b-12d3-a456-426614174000";
    assert_eq!(text(&out), text(&lines(&expected)));
}

#[test]
fn every_redact_kind_on_the_fixture() {
    let env = TestEnv::new();
    let out = transform(
        &env,
        &[
            "--redact", "ipv4", "--redact", "ipv6", "--redact", "email", "--redact", "uuid",
            "--redact", "secret",
        ],
    );
    assert_eq!(
        text(&out),
        text(&lines(&[
            "2026-11-20T10:00:01 INFO GET /index.html 200 from [IPV4] user=alice  ",
            "2026-11-20T10:00:02 WARN POST /login 401 from [IPV4] password=[SECRET] user=bob",
            "",
            "2026-11-20T10:00:03 INFO GET /health 200 from [IPV6] req=[UUID]\t",
            "2026-11-20T10:00:04 ERROR GET /api 500 from [IPV6] mail=[EMAIL] token=[SECRET]",
            "2026-11-20T10:00:05 INFO GET /v 200 version 1.2.3.4.5 not 999.1.1.1 Authorization: [SECRET]",
        ]))
    );
}

/// The pseudonym `b3sum --keyed` semantics give for `value`.
fn pseudonym(kind: &str, key: &[u8; 32], value: &str) -> String {
    format!(
        "{kind}-{}",
        &blake3::keyed_hash(key, value.as_bytes()).to_hex()[..12]
    )
}

#[test]
fn pseudonyms_are_stable_across_files_and_runs_and_differ_across_keys() {
    let env = TestEnv::new();
    let key = [0x5a; 32];
    fs::write(env.path("raw.key"), key).unwrap();
    fs::write(env.path("hex.key"), format!("{}\n", "5a".repeat(32))).unwrap();
    fs::write(env.path("other.key"), [1; 32]).unwrap();
    env.write("in/a.log", "from 10.0.0.1\n");
    env.write("in/sub/b.log", "to 10.0.0.1 and 10.0.0.2\n");
    let a = pseudonym("ipv4", &key, "10.0.0.1");
    let b = pseudonym("ipv4", &key, "10.0.0.2");
    for run in ["raw.key", "hex.key"] {
        let out = format!("out-{run}");
        env.run(&[
            "-q",
            "convert",
            "--redact",
            "ipv4",
            "--redact-key",
            run,
            "in",
            &out,
        ])
        .assert_code(0);
        assert_eq!(
            text(&env.read(&format!("{out}/a.log"))),
            format!("from {a}\n")
        );
        assert_eq!(
            text(&env.read(&format!("{out}/sub/b.log"))),
            format!("to {a} and {b}\n")
        );
    }
    // The key may come from the environment too.
    let run = env
        .command(&["-q", "convert", "--redact", "ipv4", "in/a.log", "-"])
        .env("ASYNCFILES_REDACT_KEY", "other.key")
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0));
    let other = pseudonym("ipv4", &[1; 32], "10.0.0.1");
    assert_ne!(other, a);
    assert_eq!(text(&run.stdout), format!("from {other}\n"));
}

#[test]
fn a_bad_key_file_is_a_usage_error() {
    let env = TestEnv::new();
    fs::write(env.path("short.key"), "abc\n").unwrap();
    env.write("a.log", "x\n");
    env.run(&["convert", "--redact", "ipv4", "--redact-key", "short.key", "a.log", "out/"])
        .assert_code(2)
        .assert_stderr(&[
            "asyncfiles: redaction key short.key: a key file holds exactly 32 raw bytes or 64 hex digits (this one has 4 bytes)",
        ]);
    assert!(!env.path("out").exists());
}

#[test]
fn an_invalid_regex_is_a_usage_error_before_anything_is_written() {
    let env = TestEnv::new();
    env.write("in/a.log", "x\n");
    let run = env.run(&["convert", "--grep", "a(b", "in", "out"]);
    run.assert_code(2);
    assert!(
        run.stderr
            .starts_with("asyncfiles: invalid regex: regex parse error:"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("unclosed group"), "{}", run.stderr);
    assert!(!env.path("out").exists(), "no output directory is created");
}

#[test]
fn a_line_over_the_limit_fails_its_file_and_only_it() {
    let env = TestEnv::new();
    env.write("in/ok.log", "short\nlines\n");
    env.write("in/long.log", format!("fine\n{}\nfine\n", "x".repeat(2000)));
    env.run(&["convert", "--trim", "--max-line-bytes", "1K", "in", "out"])
        .assert_code(1)
        .assert_stderr(&[
            "asyncfiles: in/long.log: line 2 exceeds 1 KiB",
            "convert: 1 done, 0 skipped, 1 failed; 12 B in, 12 B out; 2 lines in, 2 lines out",
        ]);
    assert!(!env.path("out/long.log").exists());
    assert_eq!(env.read("out/ok.log"), b"short\nlines\n");
    assert!(env.temp_files().is_empty());
    // Without transforms, line length does not matter.
    env.run(&["-q", "convert", "--max-line-bytes", "1K", "in", "plain"])
        .assert_code(0);
    assert_eq!(env.read("plain/long.log"), env.read("in/long.log"));
}

#[test]
fn bytes_that_are_not_utf8_pass_through() {
    let env = TestEnv::new();
    let input = b"caf\xe9 10.0.0.1 \xff\xfe\nplain \xc3\x28\n\xff\n".to_vec();
    env.write("latin1.log", &input);
    let run = env.run(&[
        "-q",
        "convert",
        "--redact",
        "ipv4",
        "--replace",
        "plain",
        "PLAIN",
        "latin1.log",
        "-",
    ]);
    run.assert_code(0)
        .assert_stdout(b"caf\xe9 [IPV4] \xff\xfe\nPLAIN \xc3\x28\n\xff\n");
}

#[test]
fn every_line_dropped_leaves_an_empty_file() {
    let env = TestEnv::new();
    env.write("in/a.log", "one\ntwo\n");
    env.run(&["-q", "convert", "--grep", "three", "in", "out"])
        .assert_code(0);
    assert_eq!(env.read("out/a.log"), b"");
}

#[test]
fn transforms_work_between_compressed_formats() {
    let env = TestEnv::new();
    env.write("in/app.log.gz", filter("gzip", &["-c"], &app_log()));
    env.run(&[
        "-q", "convert", "--grep", "GET", "--redact", "ipv4", "--to", "zst", "in", "out",
    ])
    .assert_code(0);
    let decoded = filter("zstd", &["-dc"], &env.read("out/app.log.zst"));
    assert_eq!(
        text(&decoded),
        text(&lines(&[
            "2026-11-20T10:00:01 INFO GET /index.html 200 from [IPV4] user=alice  ",
            APP[3],
            APP[4],
            APP[5],
        ]))
    );
}

#[test]
fn summary_and_verbose_lines_count_lines() {
    let env = TestEnv::new();
    env.write("in/a.log", "keep 1\ndrop\nkeep 2");
    let run = env.run(&["-v", "convert", "--grep", "keep", "in", "out"]);
    run.assert_code(0);
    assert!(
        run.stderr
            .contains("in/a.log -> out/a.log: 18 bytes in, 13 bytes out, 3 lines in, 2 lines out"),
        "{}",
        run.stderr
    );
    assert_eq!(env.read("out/a.log"), b"keep 1\nkeep 2");
    let quiet = env.run(&["convert", "--grep", "keep", "in", "out2"]);
    quiet.assert_code(0).assert_stderr(&[
        "convert: 1 done, 0 skipped, 0 failed; 18 B in, 13 B out; 3 lines in, 2 lines out",
    ]);
}

#[test]
fn eol_applies_after_the_transforms() {
    let env = TestEnv::new();
    env.write("a.log", "a  \r\nb\n");
    env.run(&["-q", "convert", "--trim", "--eol", "lf", "a.log", "-"])
        .assert_code(0)
        .assert_stdout(b"a\nb\n");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// A `--replace` whose regex never matches writes exactly its input, whatever the bytes.
    #[test]
    fn a_replace_that_never_matches_is_byte_identical(input in proptest::collection::vec(any::<u8>(), 0..3000)) {
        let env = TestEnv::new();
        env.write("in.bin", &input);
        let run = env.run(&["-q", "convert", "--from", "none", "--replace", r"\x00NEVER\x00", "x", "in.bin", "-"]);
        prop_assert_eq!(run.code, Some(0));
        prop_assert_eq!(run.stdout, input);
    }
}
