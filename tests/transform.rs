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

/// Runs `convert --redact secret ARGS - -` once over every case's line and checks what each
/// line became (all in one input, so the cases also show that no mask crosses a line end).
fn check_secrets(args: &[&str], cases: &[(&str, &str)]) {
    let env = TestEnv::new();
    let input: Vec<&str> = cases.iter().map(|(line, _)| *line).collect();
    let mut all = vec!["-q", "convert", "--redact", "secret"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["-", "-"]);
    let run = env.run_with_stdin(&all, &lines(&input));
    run.assert_code(0);
    let out = text(&run.stdout);
    let got: Vec<&str> = out.lines().collect();
    assert_eq!(got.len(), cases.len(), "{out}");
    for ((line, expected), got) in cases.iter().zip(got) {
        assert_eq!(got, *expected, "from {line:?}");
    }
}

#[test]
fn secret_quoted_values_are_masked_to_their_closing_quote() {
    check_secrets(
        &[],
        &[
            (
                r#"password="two words here" user=bob"#,
                r#"password="[SECRET]" user=bob"#,
            ),
            ("api_key='x y' next", "api_key='[SECRET]' next"),
            (
                r#"{"password":"a \"b\" c","user":"x"}"#,
                r#"{"password":"[SECRET]","user":"x"}"#,
            ),
            (
                r#"{"token": "it's, fine; & ok"}"#,
                r#"{"token": "[SECRET]"}"#,
            ),
            (r#"secret='say "hi" now' x"#, "secret='[SECRET]' x"),
            (
                "{'password': 'a b', 'user': 'x'}",
                "{'password': '[SECRET]', 'user': 'x'}",
            ),
            // JSON logged inside a string: the value ends at the escaped quote that closes it.
            (
                r#"msg="{\"password\":\"two \\\"words\\\" \\\\\"}" next=1"#,
                r#"msg="{\"password\":\"[SECRET]\"}" next=1"#,
            ),
            // An unclosed quote runs to the end of the line.
            (r#"password="abc def"#, r#"password="[SECRET]"#),
            // A backslash inside a plain value is part of it; an escaped quote ends it.
            (r"password=ab\cd next=1", "password=[SECRET] next=1"),
            (
                r#"msg="{\"pwd\":x\y\"}" next=1"#,
                r#"msg="{\"pwd\":[SECRET]\"}" next=1"#,
            ),
            (
                r#""Authorization": "Bearer it's""#,
                r#""Authorization": "[SECRET]""#,
            ),
            (
                r#"Authorization: Digest username="bob", response="6629fa""#,
                "Authorization: [SECRET]",
            ),
            (
                r#"msg="Authorization: Bearer xyz" next="1""#,
                r#"msg="Authorization: [SECRET]" next="1""#,
            ),
            (r#"Cookie: a="b c"; d=e"#, "Cookie: [SECRET]"),
            // Not masked: an empty value, a key word without a value.
            (r#"password="" user=bob"#, r#"password="" user=bob"#),
            (
                r#"note="the password is not here""#,
                r#"note="the password is not here""#,
            ),
        ],
    );
}

#[test]
fn secret_url_passwords_are_masked() {
    check_secrets(
        &[],
        &[
            (
                "url=https://user:hunter2@db.example.com/x",
                "url=https://user:[SECRET]@db.example.com/x",
            ),
            (
                "postgres://app:p@ss:w0rd@db:5432/app",
                "postgres://app:[SECRET]@db:5432/app",
            ),
            (
                "redis://:s3cret@cache:6379 up",
                "redis://:[SECRET]@cache:6379 up",
            ),
            (
                r#"{"dsn":"mysql://root:pw@tcp(db)/x"}"#,
                r#"{"dsn":"mysql://root:[SECRET]@tcp(db)/x"}"#,
            ),
            // Not masked: no password, a port, an @ after the path, no scheme.
            ("https://user@host/ ok", "https://user@host/ ok"),
            (
                "http://example.com:80/a?b=c@d",
                "http://example.com:80/a?b=c@d",
            ),
            ("ssh bob:x@host", "ssh bob:x@host"),
        ],
    );
}

#[test]
fn secret_key_names_cover_pwd_pass_cookies_and_private_keys() {
    let aws = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    check_secrets(
        &[],
        &[
            ("pwd=abc DB_PWD: x", "pwd=[SECRET] DB_PWD: [SECRET]"),
            (
                "passwd=abc passphrase=abc",
                "passwd=[SECRET] passphrase=[SECRET]",
            ),
            (
                "db_pass=abc smtp-pass: abc pass=abc --pass=abc",
                "db_pass=[SECRET] smtp-pass: [SECRET] pass=[SECRET] --pass=[SECRET]",
            ),
            (
                "smtp_password=a client_secret=b refresh_token=c",
                "smtp_password=[SECRET] client_secret=[SECRET] refresh_token=[SECRET]",
            ),
            (
                "private_key=abc privateKey: abc",
                "private_key=[SECRET] privateKey: [SECRET]",
            ),
            (
                &format!("aws_secret_access_key = {aws}"),
                "aws_secret_access_key = [SECRET]",
            ),
            (
                &format!(r#"{{"SecretAccessKey": "{aws}"}}"#),
                r#"{"SecretAccessKey": "[SECRET]"}"#,
            ),
            ("Cookie: sid=abc; theme=dark", "Cookie: [SECRET]"),
            (
                "Set-Cookie: sid=abc; Path=/; HttpOnly",
                "Set-Cookie: [SECRET]",
            ),
            // Documented: the rule errs on the safe side.
            ("max_tokens=100", "max_tokens=[SECRET]"),
            // Not masked: words that only contain "pass", prose, a bare AWS-like run or hash.
            (
                "bypass=1 compass=north passes=3 passenger=x",
                "bypass=1 compass=north passes=3 passenger=x",
            ),
            ("the tokenizer splits words", "the tokenizer splits words"),
            (
                "cookies are set, see cookie policy",
                "cookies are set, see cookie policy",
            ),
            (&format!("key {aws}"), &format!("key {aws}")),
            (
                "commit 2fd4e1c67a2d28fced849ee1bb76e7391b93eb12",
                "commit 2fd4e1c67a2d28fced849ee1bb76e7391b93eb12",
            ),
        ],
    );
}

#[test]
fn secret_token_formats_are_masked_wherever_they_stand() {
    let pat = format!("github_pat_11ABCDEFG0_{}", "a1B2".repeat(15));
    check_secrets(
        &[],
        &[
            (
                "aws_access_key_id=AKIAIOSFODNN7EXAMPLE",
                "aws_access_key_id=[SECRET]",
            ),
            (
                "id AKIAIOSFODNN7EXAMPLE, temp ASIAY34FZKBOKMUTVV7A",
                "id [SECRET], temp [SECRET]",
            ),
            (
                "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 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",
                "[SECRET] [SECRET]",
            ),
            (
                "ghu_wWPw5k4aXcaT4fNP0UcnZwJUVFk6LO0pINUx ghs_wWPw5k4aXcaT4fNP0UcnZwJUVFk6LO0pINUx 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",
                "[SECRET] [SECRET] [SECRET]",
            ),
            (&format!("clone with {pat}."), "clone with [SECRET]."),
            ("glpat-xxxxxxxxxxxxxxxxxxxx ok", "[SECRET] ok"),
            (
                "slack xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx xoxp-1234567890-abc",
                "slack [SECRET] [SECRET]",
            ),
            (
                "xoxa-2-123456789012 xoxr-123456789012 xoxs-123456789012 xapp-1-A0123456789-01",
                "[SECRET] [SECRET] [SECRET] [SECRET]",
            ),
            (
                "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc_DEF-123 ok",
                "jwt [SECRET] ok",
            ),
            (
                "unsigned eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0. ok",
                "unsigned [SECRET] ok",
            ),
            (
                "see /t/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?x=1",
                "see /t/[SECRET]?x=1",
            ),
            // Not masked: too short, glued to a longer run or to key characters (which keeps
            // the search linear), lowercase, a bare prefix, not a JWT.
            (
                "v.eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig id-AKIAIOSFODNN7EXAMPLE",
                "v.eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig id-AKIAIOSFODNN7EXAMPLE",
            ),
            (
                "AKIA1234 AKIAIOSFODNN7EXAMPLEX XAKIAIOSFODNN7EXAMPLE akiaiosfodnn7example",
                "AKIA1234 AKIAIOSFODNN7EXAMPLEX XAKIAIOSFODNN7EXAMPLE akiaiosfodnn7example",
            ),
            (
                "ghp_short the ghp_ prefix glpat-abc xoxb-1 xapp-",
                "ghp_short the ghp_ prefix glpat-abc xoxb-1 xapp-",
            ),
            (
                "eyJ eyJhbGciOiJIUzI1NiJ9.payload.sig eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0",
                "eyJ eyJhbGciOiJIUzI1NiJ9.payload.sig eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0",
            ),
        ],
    );
}

#[test]
fn secret_masks_stop_at_line_ends_and_pseudonyms_cover_every_form() {
    check_secrets(
        &[],
        &[
            (r#"password="abc"#, r#"password="[SECRET]"#),
            (r#"next line" ok"#, r#"next line" ok"#),
            ("Cookie: a=b", "Cookie: [SECRET]"),
            ("user=x", "user=x"),
        ],
    );
    let env = TestEnv::new();
    let key = [0x33; 32];
    fs::write(env.path("k.key"), key).unwrap();
    let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig";
    let input = format!(
        "password=\"two words\" dsn=https://u:pw@h/ AKIAIOSFODNN7EXAMPLE {jwt}\r\nCookie: a=b; c=d \r\n"
    );
    let run = env.run_with_stdin(
        &[
            "-q",
            "convert",
            "--redact",
            "secret",
            "--redact-key",
            "k.key",
            "-",
            "-",
        ],
        input.as_bytes(),
    );
    run.assert_code(0);
    let p = |value: &str| pseudonym("secret", &key, value);
    assert_eq!(
        text(&run.stdout),
        format!(
            "password=\"{}\" dsn=https://u:{}@h/ {} {}\r\nCookie: {} \r\n",
            p("two words"),
            p("pw"),
            p("AKIAIOSFODNN7EXAMPLE"),
            p(jwt),
            p("a=b; c=d"),
        )
    );
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
