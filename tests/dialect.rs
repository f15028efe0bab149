//! The peers' dialect (issue 13): levels as `-1` … `-19`, format aliases (`gzip`, `zstd`, …),
//! sizes in binary and decimal units printed back as written, bare durations in seconds, and a
//! filter (OUT `-`) that prints no summary.
//!
//! Outputs at a level are compared with the reference tools at that level (installed by
//! `.ci/run`): xz and bzip2 byte for byte; zstd -1 byte for byte against `zstd --no-check
//! --no-content-size`, the frame header asyncfiles writes. Where the bytes cannot match, the
//! short level is checked against `--level` and the tool's decoder: zstd from level 10 on
//! (asyncfiles fits the window to a small file, the tool does not), gzip (its deflate is its own,
//! not zlib's).

mod common;

use common::{TestEnv, filter};

/// A text that compresses differently at every level.
fn text() -> Vec<u8> {
    (0..4000u32)
        .map(|n| {
            format!(
                "{n} GET /api/v{} {}\n",
                n % 7,
                n.wrapping_mul(2_654_435_761) % 1000
            )
        })
        .collect::<String>()
        .into_bytes()
}

/// `-q convert ARGS in.log OUT` in `env` on one thread (so the file is one stream, as the
/// tools write it), succeeding; the bytes of OUT.
fn convert(env: &TestEnv, args: &[&str], out: &str) -> Vec<u8> {
    let mut all = vec!["-q", "convert", "-T", "1"];
    all.extend(args);
    all.extend(["in.log", out]);
    env.run(&all).assert_code(0).assert_stderr(&[]);
    env.read(out)
}

#[test]
fn short_levels_write_what_the_tools_write_at_that_level() {
    let env = TestEnv::new();
    let text = text();
    env.write("in.log", &text);
    for (to, level, tool, tool_args) in [
        ("xz", "-9", "xz", &["-9", "-c"][..]),
        ("xz", "-1", "xz", &["-1", "-c"]),
        ("bz2", "-1", "bzip2", &["-1", "-c"]),
        (
            "zst",
            "-1",
            "zstd",
            &["-1", "--no-check", "--no-content-size", "-c", "-q"],
        ),
    ] {
        let ours = convert(&env, &["--to", to, level], "out");
        assert!(
            ours == filter(tool, tool_args, &text),
            "{to} {level} differs from {tool}"
        );
    }
    let nineteen = convert(&env, &["--to", "zst", "-19"], "out");
    assert!(nineteen == convert(&env, &["--to", "zst", "--level", "19"], "out"));
    assert!(filter("zstd", &["-d", "-c"], &nineteen) == text);
    assert!(nineteen.len() < convert(&env, &["--to", "zst", "-1"], "out").len());
    // gzip's own deflate is not zlib's: the same level, the same bytes as --level, and levels
    // that differ.
    let fast = convert(&env, &["--to", "gz", "-1"], "fast.gz");
    assert!(fast == convert(&env, &["--to", "gz", "--level", "1"], "out.gz"));
    let best = convert(&env, &["--to", "gz", "-9"], "best.gz");
    assert!(best == convert(&env, &["--to", "gz", "--level", "9"], "out.gz"));
    assert!(best.len() < fast.len());
    assert!(filter("gzip", &["-d", "-c"], &best) == text);
}

#[test]
fn the_last_level_given_wins_as_for_gzip() {
    let env = TestEnv::new();
    let text = text();
    env.write("in.log", &text);
    let nine = convert(&env, &["--to", "xz", "-9"], "nine");
    assert_eq!(convert(&env, &["--to", "xz", "-1", "-9"], "out"), nine);
    assert_eq!(
        convert(&env, &["--to", "xz", "--level", "1", "-9"], "out"),
        nine
    );
    assert_eq!(
        convert(&env, &["--to", "xz", "-1", "--level", "9"], "out"),
        nine
    );
    assert_eq!(
        convert(&env, &["--to", "xz", "--level", "1", "--level=9"], "out"),
        nine
    );
}

#[test]
fn short_levels_meet_the_same_range_checks_as_level() {
    let env = TestEnv::new();
    env.write("in.log", "a\n");
    for (to, level, message) in [
        ("gz", "-19", "--level 19 is out of range for gzip (1-9)"),
        ("zst", "-20", "--level 20 is out of range for zstd (1-19)"),
        ("br", "-12", "--level 12 is out of range for brotli (0-11)"),
    ] {
        env.run(&["convert", "--to", to, level, "in.log", "out"])
            .assert_code(2)
            .assert_stderr(&[&format!("asyncfiles: {message}")]);
    }
    env.run(&["convert", "-6", "in.log", "out"])
        .assert_code(2)
        .assert_stderr(&["asyncfiles: --level needs --to gz, zst, xz, bz2, br or lzma"]);
    assert!(!env.path("out").exists());
}

#[test]
fn values_of_options_are_never_taken_for_levels() {
    let env = TestEnv::new();
    env.write("in.log", "a -1 b\nplain\n");
    // The value of --replace (allow_hyphen_values) and of --grep given with =.
    convert(&env, &["--replace", "-1", "-19"], "replaced.log");
    assert_eq!(env.read("replaced.log"), b"a -19 b\nplain\n");
    convert(&env, &["--grep=-1"], "grepped.log");
    assert_eq!(env.read("grepped.log"), b"a -1 b\n");
    // --level -1 is --level's own value, checked as such.
    env.run(&["convert", "--to", "gz", "--level", "-1", "in.log", "out"])
        .assert_code(2)
        .assert_stderr(&["asyncfiles: --level -1 is out of range for gzip (1-9)"]);
    // After --, -5 is a path (here IN, which does not exist).
    let run = env.run(&["convert", "--to", "gz", "--", "-5", "out"]);
    run.assert_code(2);
    assert!(run.stderr.starts_with("asyncfiles: -5: "), "{}", run.stderr);
    // Levels are convert's: hash has none.
    let run = env.run(&["hash", "-9", "in.log"]);
    run.assert_code(2);
    assert!(
        run.stderr.starts_with("error: unexpected argument '-9'"),
        "{}",
        run.stderr
    );
}

#[test]
fn minus_zero_stays_null() {
    let env = TestEnv::new();
    env.write("in/a.log", "a\n");
    env.write("in/b.log", "b\n");
    env.write("list", "a.log\0");
    env.run(&["-q", "convert", "-0", "--files-from", "list", "in", "out"])
        .assert_code(0);
    assert_eq!(env.tree("out").len(), 1);
    assert_eq!(env.read("out/a.log"), b"a\n");
}

#[test]
fn format_aliases_name_the_same_formats() {
    let env = TestEnv::new();
    let text = text();
    env.write("in.log", &text);
    for (alias, name, extension) in [
        ("gzip", "gz", "gz"),
        ("zstd", "zst", "zst"),
        ("bzip2", "bz2", "bz2"),
        ("brotli", "br", "br"),
        ("xz", "xz", "xz"),
        ("lzma", "lzma", "lzma"),
    ] {
        let by_alias = convert(&env, &["--to", alias], &format!("alias.{extension}"));
        assert_eq!(
            by_alias,
            convert(&env, &["--to", name], &format!("name.{extension}"))
        );
        // --from takes the alias too, and reads it back.
        let back = format!("back-{alias}.log");
        env.run(&[
            "-q",
            "convert",
            "--from",
            alias,
            "--to",
            "none",
            &format!("alias.{extension}"),
            &back,
        ])
        .assert_code(0);
        assert!(env.read(&back) == text, "{alias}");
    }
    let run = env.run(&["convert", "--to", "gzipp", "in.log", "out"]);
    run.assert_code(2);
    assert!(
        run.stderr
            .starts_with("error: invalid value 'gzipp' for '--to <FORMAT>'"),
        "{}",
        run.stderr
    );
}

#[test]
fn the_line_limit_is_printed_back_in_the_units_given() {
    let env = TestEnv::new();
    env.write("in/long.log", format!("{}\n", "x".repeat(5000)));
    for (limit, shown) in [
        ("4K", "4 KiB"),
        ("4KiB", "4 KiB"),
        ("4KB", "4 KB"),
        ("4kb", "4 KB"),
        ("4096", "4096 bytes"),
        ("4000B", "4000 bytes"),
    ] {
        env.run(&["convert", "--trim", "--max-line-bytes", limit, "in", "out"])
            .assert_code(1)
            .assert_stderr(&[
                &format!("asyncfiles: in/long.log: line 1 exceeds {shown}"),
                "convert: 0 done, 0 skipped, 1 failed; 0 B in, 0 B out",
            ]);
    }
    // The limit is the number of bytes the unit says: 5 KB (5000) holds the line, 4 KiB not.
    env.run(&[
        "-q",
        "convert",
        "--trim",
        "--max-line-bytes",
        "5KB",
        "in",
        "out",
    ])
    .assert_code(0);
}

#[test]
fn rates_take_both_families_of_units() {
    let env = TestEnv::new();
    env.write("in/a.log", "a\n");
    for rate in ["50M", "50MiB", "50MB", "1G", "1GB", "2T", "2TB", "50000000"] {
        env.run(&[
            "-q",
            "convert",
            "--max-rate",
            rate,
            "in",
            &format!("out-{rate}"),
        ])
        .assert_code(0);
        env.run(&["-q", "hash", "--max-rate", rate, "in"])
            .assert_code(0);
    }
    let run = env.run(&["convert", "--max-rate", "50Mb/s", "in", "out"]);
    run.assert_code(2);
    assert!(
        run.stderr.starts_with(
            "error: invalid value '50Mb/s' for '--max-rate <RATE>': unknown unit \"Mb/s\""
        ),
        "{}",
        run.stderr
    );
    let run = env.run(&["convert", "--max-rate", "5Q", "in", "out"]);
    run.assert_code(2);
    assert!(
        run.stderr.starts_with(
            "error: invalid value '5Q' for '--max-rate <RATE>': unknown unit \"Q\" (use K, M, G, \
             T or KiB, MiB, GiB, TiB for powers of 1024, KB, MB, GB, TB for powers of 1000)"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn a_duration_without_a_unit_is_seconds() {
    let env = TestEnv::new();
    let mut child = env.spawn_piped(&["convert", "--timeout", "1", "-", "out.log"]);
    // A pipe that stays open and silent: the timeout ends it, and names it in seconds.
    let stdin = child.stdin.take().unwrap();
    let output = child.wait_with_output().unwrap();
    drop(stdin);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.starts_with("asyncfiles: -: timed out after 1s\n"),
        "{stderr}"
    );
    env.write("in/a.log", "a\n");
    env.run(&[
        "-q",
        "convert",
        "--retry-delay",
        "2",
        "--timeout",
        "30",
        "in",
        "out",
    ])
    .assert_code(0);
    let run = env.run(&["convert", "--timeout", "5d", "in", "out"]);
    run.assert_code(2);
    assert!(
        run.stderr.starts_with(
            "error: invalid value '5d' for '--timeout <DURATION>': unknown unit \"d\" in \"5d\" \
             (use ms, s, m or h)"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn a_filter_prints_no_summary_unless_verbose() {
    let env = TestEnv::new();
    env.write("in.log", "a\nb\n");
    env.run(&["convert", "--to", "none", "in.log", "-"])
        .assert_code(0)
        .assert_stdout(b"a\nb\n")
        .assert_stderr(&[]);
    env.run_with_stdin(&["convert", "-", "-"], b"from stdin\n")
        .assert_code(0)
        .assert_stdout(b"from stdin\n")
        .assert_stderr(&[]);
    env.run(&["-v", "convert", "in.log", "-"])
        .assert_code(0)
        .assert_stdout(b"a\nb\n")
        .assert_stderr(&[
            "in.log: 4 bytes in, 4 bytes out",
            "convert: 1 done, 0 skipped, 0 failed; 4 B in, 4 B out",
        ]);
    // Errors still show (and no summary after them).
    env.write("long.log", format!("{}\n", "x".repeat(100)));
    env.run(&[
        "convert",
        "--trim",
        "--max-line-bytes",
        "10",
        "long.log",
        "-",
    ])
    .assert_code(1)
    .assert_stderr(&["asyncfiles: long.log: line 1 exceeds 10 bytes"]);
    // A file OUT keeps its summary.
    env.run(&["convert", "in.log", "out.log"])
        .assert_code(0)
        .assert_stderr(&["convert: 1 done, 0 skipped, 0 failed; 4 B in, 4 B out"]);
}
