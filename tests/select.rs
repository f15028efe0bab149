//! Selecting files (issue 13): gitignore-style `--include`/`--exclude`, their `-from` files, the
//! warning for a pattern that matched nothing, `--min-size`/`--max-size`, and
//! `--changed-within`/`--changed-before`, for `convert`, `hash` and `stats`, walked and listed.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, SystemTime};

use common::TestEnv;

/// The tree the pattern table selects from.
const TREE: [&str; 10] = [
    "access.log",
    "access.log.1",
    "debug.log",
    "app/access.log",
    "app/logs/x.log",
    "app/logs/keep.tmp",
    "logs/y.txt",
    "logs/deep/z.log",
    "other/logs",
    "docs/readme.txt",
];

fn write_tree(env: &TestEnv, files: &[&str]) {
    for name in files {
        env.write(&format!("in/{name}"), name);
    }
}

/// The files `convert -n` would write (`in/X -> out/X` lines), relative to IN.
fn dry_run_selection(env: &TestEnv, args: &[&str]) -> BTreeSet<String> {
    let mut argv = vec!["convert", "-n"];
    argv.extend(args);
    argv.extend(["in", "out"]);
    let run = env.run(&argv);
    run.assert_code(0);
    String::from_utf8(run.stdout.clone())
        .unwrap()
        .lines()
        .map(|line| {
            let (input, output) = line.split_once(" -> ").expect(line);
            assert_eq!(input.strip_prefix("in/"), output.strip_prefix("out/"));
            input.strip_prefix("in/").unwrap().to_owned()
        })
        .collect()
}

/// The files `hash` prints (b3sum lines: hash, two spaces, path), relative to IN.
fn hash_selection(env: &TestEnv, args: &[&str]) -> BTreeSet<String> {
    let mut argv = vec!["hash"];
    argv.extend(args);
    argv.push("in");
    let run = env.run(&argv);
    run.assert_code(0);
    String::from_utf8(run.stdout.clone())
        .unwrap()
        .lines()
        .map(|line| line[66..].strip_prefix("in/").expect(line).to_owned())
        .collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|name| name.to_string()).collect()
}

#[test]
fn patterns_follow_gitignore_rules_for_convert_and_hash() {
    let env = TestEnv::new();
    write_tree(&env, &TREE);
    let everything: Vec<&str> = TREE.to_vec();
    let table: &[(&[&str], &[&str])] = &[
        // No `/`: the name, at any depth (the old rules matched nothing here).
        (
            &["--include", "access.log*"],
            &["access.log", "access.log.1", "app/access.log"],
        ),
        // A leading `/` anchors to IN.
        (&["--include", "/access.log"], &["access.log"]),
        // A `/` inside anchors too.
        (&["--include", "app/*.log"], &["app/access.log"]),
        // A trailing `/`: directories only, and everything below them (not the file other/logs).
        (
            &["--include", "logs/"],
            &[
                "app/logs/x.log",
                "app/logs/keep.tmp",
                "logs/y.txt",
                "logs/deep/z.log",
            ],
        ),
        // Without it, a file of that name too.
        (
            &["--include", "logs"],
            &[
                "app/logs/x.log",
                "app/logs/keep.tmp",
                "logs/y.txt",
                "logs/deep/z.log",
                "other/logs",
            ],
        ),
        // `**` spans zero or more directories.
        (
            &["--include", "app/**/*.log"],
            &["app/access.log", "app/logs/x.log"],
        ),
        (&["--include", "**/deep/*"], &["logs/deep/z.log"]),
        // `*` does not cross a `/`.
        (&["--include", "/*/*.log"], &["app/access.log"]),
        // `!` takes a match back; the last matching pattern wins.
        (
            &["--include", "*.log", "--include", "!/debug.log"],
            &[
                "access.log",
                "app/access.log",
                "app/logs/x.log",
                "logs/deep/z.log",
            ],
        ),
        // An excluded directory is not entered, a file of its name stays.
        (
            &["--exclude", "logs/"],
            &[
                "access.log",
                "access.log.1",
                "debug.log",
                "app/access.log",
                "other/logs",
                "docs/readme.txt",
            ],
        ),
        (
            &["--exclude", "*.log", "--exclude", "!debug.log"],
            &[
                "access.log.1",
                "debug.log",
                "app/logs/keep.tmp",
                "logs/y.txt",
                "other/logs",
                "docs/readme.txt",
            ],
        ),
        // Exclude wins over include; an anchored directory.
        (
            &["--include", "*.log", "--exclude", "/logs/"],
            &[
                "access.log",
                "debug.log",
                "app/access.log",
                "app/logs/x.log",
            ],
        ),
        // git's rule: nothing below an excluded directory comes back.
        (
            &["--exclude", "logs/", "--exclude", "!logs/y.txt"],
            &[
                "access.log",
                "access.log.1",
                "debug.log",
                "app/access.log",
                "other/logs",
                "docs/readme.txt",
            ],
        ),
        (&[], &everything),
    ];
    for (args, expected) in table {
        let expected = set(expected);
        assert_eq!(
            dry_run_selection(&env, args),
            expected,
            "convert -n {args:?}"
        );
        assert_eq!(hash_selection(&env, args), expected, "hash {args:?}");
    }
}

#[test]
fn pattern_files_take_one_pattern_a_line_with_comments() {
    let env = TestEnv::new();
    write_tree(&env, &TREE);
    env.write(
        "include.txt",
        "# logs and what rotation left\r\n*.log\r\n\r\naccess.log.*\r\n",
    );
    env.write(
        "exclude.txt",
        "# not these\n\n   \n/debug.log\nlogs/\n# trailing blanks are trimmed  \n*.1   \n",
    );
    let expected = set(&["access.log", "app/access.log"]);
    let args = [
        "--include-from",
        "include.txt",
        "--exclude-from",
        "exclude.txt",
    ];
    assert_eq!(dry_run_selection(&env, &args), expected);
    assert_eq!(hash_selection(&env, &args), expected);
    // Command-line patterns come after the file's, so they win as later lines do.
    let args = ["--exclude-from", "exclude.txt", "--exclude", "!debug.log"];
    assert!(dry_run_selection(&env, &args).contains("debug.log"));
    // A `#` on the command line starts a name, not a comment.
    env.write("in/#draft#", "d");
    assert_eq!(
        dry_run_selection(&env, &["--include", "#draft#"]),
        set(&["#draft#"])
    );
}

#[test]
fn a_pattern_that_matched_nothing_is_warned_about_after_the_run() {
    let env = TestEnv::new();
    write_tree(&env, &TREE);
    env.write("rules.txt", "# nothing here matches\n*.gz\n");
    let run = env.run(&[
        "convert",
        "-n",
        "--include",
        "acess*",
        "--include",
        "*.log",
        "--exclude",
        "tmp/",
        "--exclude-from",
        "rules.txt",
        "in",
        "out",
    ]);
    run.assert_code(0);
    assert_eq!(
        run.stderr,
        "convert --dry-run: 5 would be written (62 B in), 0 skipped, 0 failed\n\
         asyncfiles: warning: --include 'acess*' matched nothing\n\
         asyncfiles: warning: --exclude-from rules.txt matched nothing\n\
         asyncfiles: warning: --exclude 'tmp/' matched nothing\n"
    );
    // The exit code is the run's: 0 here, even when nothing at all is selected.
    let run = env.run(&["hash", "--include", "acess*", "in"]);
    run.assert_code(0).assert_stdout(b"");
    assert_eq!(
        run.stderr,
        "asyncfiles: warning: --include 'acess*' matched nothing\n"
    );
    // Not with -q.
    let run = env.run(&["stats", "-q", "--include", "acess*", "in"]);
    run.assert_code(0);
    assert_eq!(run.stderr, "");
    // A directory counts as matched (it selected what is below it, or was not entered).
    let run = env.run(&["hash", "--exclude", "docs/", "in"]);
    run.assert_code(0);
    assert_eq!(run.stderr, "");
}

#[test]
fn the_warning_is_for_the_whole_run_across_paths_and_shards() {
    let env = TestEnv::new();
    env.write("a/one.log", "1");
    env.write("b/two.log", "2");
    // hash a b: `two.log` matched in the second tree.
    let run = env.run(&["hash", "--include", "two.log", "a", "b"]);
    run.assert_code(0);
    assert_eq!(run.stderr, "");
    // Every shard looks at every name, so none warns about a file another shard owns.
    for k in 0..2 {
        let shard = format!("{k}/2");
        let run = env.run(&["hash", "--shard", &shard, "--include", "one.log", "a"]);
        run.assert_code(0);
        assert_eq!(run.stderr, "", "shard {shard}");
    }
}

#[test]
fn size_bounds_are_inclusive() {
    let env = TestEnv::new();
    for size in [1023, 1024, 1025] {
        env.write(&format!("in/{size}.log"), vec![b'x'; size]);
    }
    let table: &[(&[&str], &[&str])] = &[
        (&["--max-size", "1K"], &["1023.log", "1024.log"]),
        (&["--max-size", "1024"], &["1023.log", "1024.log"]),
        (&["--min-size", "1K"], &["1024.log", "1025.log"]),
        (&["--min-size", "1KiB", "--max-size", "1KiB"], &["1024.log"]),
        (&["--min-size", "1025", "--max-size", "1023"], &[]),
    ];
    for (args, expected) in table {
        let expected = set(expected);
        assert_eq!(
            dry_run_selection(&env, args),
            expected,
            "convert -n {args:?}"
        );
        assert_eq!(hash_selection(&env, args), expected, "hash {args:?}");
    }
    // stats of what is left: one file of 1024 bytes, one line (unterminated).
    let run = env.run(&[
        "stats",
        "--json",
        "--min-size",
        "1K",
        "--max-size",
        "1K",
        "in",
    ]);
    run.assert_code(0).assert_stdout(
        b"{\"bytes\":1024,\"lines\":1,\"path\":\"in/1024.log\"}\n\
          {\"bytes\":1024,\"files\":1,\"lines\":1,\"total\":true}\n",
    );
}

fn set_mtime(path: &Path, time: SystemTime) {
    let file = fs::File::options().write(true).open(path).unwrap();
    file.set_times(fs::FileTimes::new().set_modified(time).set_accessed(time))
        .unwrap();
}

#[test]
fn age_from_a_duration_back_from_now() {
    let env = TestEnv::new();
    let now = SystemTime::now();
    for (name, age) in [
        ("new.log", 30 * 60),
        ("old.log", 2 * 3600),
        ("older.log", 3 * 86400),
    ] {
        let path = env.write(&format!("in/{name}"), name);
        set_mtime(&path, now - Duration::from_secs(age));
    }
    let table: &[(&[&str], &[&str])] = &[
        (&["--changed-within", "1h"], &["new.log"]),
        (&["--changed-within", "60m"], &["new.log"]),
        (&["--changed-before", "1h"], &["old.log", "older.log"]),
        (&["--changed-before", "1d"], &["older.log"]),
        (
            &["--changed-within", "1w", "--changed-before", "1h"],
            &["old.log", "older.log"],
        ),
        (
            &["--changed-within", "1d", "--changed-before", "1h"],
            &["old.log"],
        ),
        (&["--changed-within", "12h"], &["new.log", "old.log"]),
    ];
    for (args, expected) in table {
        let expected = set(expected);
        assert_eq!(
            dry_run_selection(&env, args),
            expected,
            "convert -n {args:?}"
        );
        assert_eq!(hash_selection(&env, args), expected, "hash {args:?}");
    }
}

/// 2026-11-30T12:00:00Z.
const NOON_UTC: u64 = 1_796_040_000;

#[test]
fn age_from_a_local_date_splits_the_tree_at_the_instant() {
    let env = TestEnv::new();
    let noon = SystemTime::UNIX_EPOCH + Duration::from_secs(NOON_UTC);
    for (name, time) in [
        ("before.log", noon - Duration::from_secs(1)),
        ("at.log", noon),
        ("after.log", noon + Duration::from_secs(1)),
        ("midnight.log", noon - Duration::from_secs(12 * 3600)),
    ] {
        set_mtime(&env.write(&format!("in/{name}"), name), time);
    }
    let selection = |tz: &str, args: &[&str]| {
        let mut command = env.command(&[]);
        let mut argv = vec!["hash"];
        argv.extend(args);
        argv.push("in");
        let output = command
            .args(&argv)
            .env("TZ", tz)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{args:?}");
        String::from_utf8(output.stdout)
            .unwrap()
            .lines()
            .map(|line| line[66..].strip_prefix("in/").unwrap().to_owned())
            .collect::<BTreeSet<_>>()
    };
    // A file exactly at the limit is changed within it, not before it: every file is in one.
    for date in ["2026-11-30 12:00:00", "2026-11-30T12:00:00"] {
        assert_eq!(
            selection("UTC", &["--changed-within", date]),
            set(&["at.log", "after.log"]),
            "{date}"
        );
        assert_eq!(
            selection("UTC", &["--changed-before", date]),
            set(&["before.log", "midnight.log"]),
            "{date}"
        );
    }
    // A date alone is its midnight; in local time (here two hours east of UTC).
    assert_eq!(
        selection("UTC", &["--changed-before", "2026-11-30"]),
        set(&[])
    );
    assert_eq!(
        selection("UTC", &["--changed-within", "2026-11-30"]),
        set(&["before.log", "at.log", "after.log", "midnight.log"])
    );
    assert_eq!(
        selection("<+02>-2", &["--changed-within", "2026-11-30 14:00:00"]),
        set(&["at.log", "after.log"])
    );
    // An instant with an offset is that instant in any time zone.
    assert_eq!(
        selection("<+02>-2", &["--changed-before", "2026-11-30T12:00:00Z"]),
        set(&["before.log", "midnight.log"])
    );
}

#[test]
fn listed_files_meet_the_same_selection_and_are_reported() {
    let env = TestEnv::new();
    let now = SystemTime::now();
    env.write("in/a.log", "small\n");
    env.write("in/big.log", vec![b'x'; 2048]);
    set_mtime(
        &env.write("in/old.log", "old\n"),
        now - Duration::from_secs(3 * 86400),
    );
    env.write("in/tmp/b.log", "in an excluded directory\n");
    env.write("in/c.txt", "not included\n");
    env.write("list.txt", "a.log\nbig.log\nold.log\ntmp/b.log\nc.txt\n");
    let run = env.run(&[
        "convert",
        "--files-from",
        "list.txt",
        "--include",
        "*.log",
        "--exclude",
        "tmp/",
        "--max-size",
        "1K",
        "--changed-within",
        "1d",
        "in",
        "out",
    ]);
    run.assert_code(0).assert_stderr(&[
        "asyncfiles: in/big.log: skipped: ruled out by --min-size or --max-size",
        "asyncfiles: in/old.log: skipped: ruled out by --changed-within or --changed-before",
        "asyncfiles: in/tmp/b.log: skipped: ruled out by --include, --exclude or --max-depth",
        "asyncfiles: in/c.txt: skipped: ruled out by --include, --exclude or --max-depth",
        "convert: 1 done, 4 skipped, 0 failed; 6 B in, 6 B out",
    ]);
    assert_eq!(env.tree("out").into_keys().count(), 1);
    assert_eq!(env.read("out/a.log"), b"small\n");
    // hash reads the list the same way.
    let run = env.run(&[
        "hash",
        "--files-from",
        "list.txt",
        "--max-size",
        "1K",
        "--changed-within",
        "1d",
        "--exclude",
        "tmp/",
        "in",
    ]);
    run.assert_code(0);
    let printed: Vec<_> = String::from_utf8_lossy(&run.stdout)
        .lines()
        .map(|line| line[66..].to_owned())
        .collect();
    assert_eq!(printed, ["in/a.log", "in/c.txt"]);
}

#[test]
fn files_named_on_the_command_line_meet_size_and_age_tests() {
    let env = TestEnv::new();
    env.write("small.log", "s\n");
    env.write("big.log", vec![b'x'; 2048]);
    let run = env.run(&["hash", "--max-size", "1K", "small.log", "big.log"]);
    run.assert_code(0);
    assert!(
        String::from_utf8_lossy(&run.stdout).ends_with("  small.log\n"),
        "{}",
        String::from_utf8_lossy(&run.stdout)
    );
    assert_eq!(run.stdout.iter().filter(|&&b| b == b'\n').count(), 1);
    // Name patterns are for the paths below a directory: a named file is taken as named.
    env.run(&["stats", "--include", "*.txt", "small.log"])
        .assert_code(0)
        .assert_stdout(b"1 2 small.log\n1 2 total\n");
    // A missing file is still reported when it is opened.
    env.run(&["hash", "--min-size", "1", "missing.log"])
        .assert_code(1);
}

#[test]
fn bad_selection_options_are_usage_errors() {
    let env = TestEnv::new();
    env.write("in/a.log", "a\n");
    let cases: &[(&[&str], &str)] = &[
        (
            &["--min-size", "10X"],
            "error: invalid value '10X' for '--min-size <SIZE>': unknown unit \"X\" (use K, M, G, T or KiB, MiB, GiB, TiB for powers of 1024, KB, MB, GB, TB for powers of 1000)",
        ),
        (
            &["--max-size", "big"],
            "error: invalid value 'big' for '--max-size <SIZE>': \"big\" is not a size (a number, then maybe a unit: 64M, 50MB)",
        ),
        (
            &["--changed-before", "yesterday"],
            "error: invalid value 'yesterday' for '--changed-before <DURATION|DATE>': \"yesterday\" \
             is neither a duration (1d, 12h, 30m, 2w) nor a date (2026-11-30, 2026-11-30T12:00:00, \
             2026-11-30 12:00:00)",
        ),
        (
            &["--changed-within", "2026-13-01"],
            "error: invalid value '2026-13-01' for '--changed-within <DURATION|DATE>': \"2026-13-01\" \
             is neither a duration (1d, 12h, 30m, 2w) nor a date (2026-11-30, 2026-11-30T12:00:00, \
             2026-11-30 12:00:00)",
        ),
        (
            &["--include-from", "no-such-rules"],
            "asyncfiles: --include-from no-such-rules: No such file or directory",
        ),
        (
            &["--exclude-from", "in"],
            "asyncfiles: --exclude-from in: Is a directory",
        ),
        (
            &["--include", "a["],
            "asyncfiles: --include 'a[': unclosed character class; missing ']'",
        ),
        (
            &["--exclude", ""],
            "asyncfiles: --exclude '': an empty pattern matches nothing",
        ),
    ];
    for (args, message) in cases {
        for command in ["convert", "hash"] {
            let mut argv = vec![command];
            argv.extend(*args);
            argv.push("in");
            if command == "convert" {
                argv.push("out");
            }
            let run = env.run(&argv);
            run.assert_code(2);
            let first = run.stderr.lines().next().unwrap_or_default();
            assert_eq!(first, *message, "{command} {args:?}");
        }
    }
    env.write("rules.txt", "ok/\n\n[z\n");
    let run = env.run(&["hash", "--exclude-from", "rules.txt", "in"]);
    run.assert_code(2);
    assert_eq!(
        run.stderr,
        "asyncfiles: --exclude-from rules.txt:3: unclosed character class; missing ']'\n"
    );
    assert!(!env.path("out").exists());
}

#[test]
fn size_and_age_tests_stat_only_this_shards_files() {
    let env = TestEnv::new();
    for i in 0..30 {
        env.write(&format!("in/d{}/file-{i}.log", i % 3), format!("{i}\n"));
    }
    for k in 0..2 {
        let shard = format!("{k}/2");
        let args = [
            "hash",
            "--shard",
            &shard,
            "--min-size",
            "1",
            "--changed-within",
            "1w",
            "in",
        ];
        let run = env.run(&args);
        run.assert_code(0);
        let ours: BTreeSet<String> = String::from_utf8_lossy(&run.stdout)
            .lines()
            .map(|line| line[66..].rsplit('/').next().unwrap().to_owned())
            .collect();
        assert!((5..25).contains(&ours.len()), "{ours:?}");
        let trace = common::traced_paths(&env, &args);
        for i in 0..30 {
            let name = format!("file-{i}.log");
            let seen = trace.contains(&format!("/{name}\""));
            assert_eq!(seen, ours.contains(&name), "shard {shard}: {name}");
        }
    }
}

#[test]
fn a_bare_number_of_seconds_is_a_duration_back_from_now() {
    let env = TestEnv::new();
    let path = env.write("logs/a.log", "a\n");
    let when = std::time::SystemTime::now() - std::time::Duration::from_secs(100);
    fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_times(fs::FileTimes::new().set_modified(when))
        .unwrap();
    let within = |seconds: &str| {
        let run = env.run(&["hash", "--changed-within", seconds, "logs"]);
        run.assert_code(0);
        String::from_utf8(run.stdout).unwrap().lines().count()
    };
    assert_eq!(within("30"), 0);
    assert_eq!(within("3600"), 1);
}
