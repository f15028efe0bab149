//! `asyncfiles convert` end to end: layout, bytes, filters, special files, errors and exit codes.

mod common;

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use asyncfiles::report::human_bytes;
use common::{TestEnv, fixtures, tree};

/// The summary line without its timing part, for a run that converted `files` of `bytes` bytes.
fn summary(done: usize, skipped: usize, failed: usize, bytes_in: u64, bytes_out: u64) -> String {
    format!(
        "convert: {done} done, {skipped} skipped, {failed} failed; {} in, {} out",
        human_bytes(bytes_in),
        human_bytes(bytes_out)
    )
}

fn total_bytes(files: &std::collections::BTreeMap<std::path::PathBuf, Vec<u8>>) -> u64 {
    files.values().map(|bytes| bytes.len() as u64).sum()
}

#[test]
fn mirrors_the_fixture_tree_byte_for_byte() {
    let env = TestEnv::new();
    let input = tree(&fixtures());
    let run = env.run(&["convert", fixtures().to_str().unwrap(), "out"]);
    let bytes = total_bytes(&input);
    run.assert_code(0)
        .assert_stdout(b"")
        .assert_stderr(&[&summary(input.len(), 0, 0, bytes, bytes)]);
    assert_eq!(env.tree("out"), input);
    assert!(
        env.path("out/app/.hidden-audit.log").is_file(),
        "hidden files are processed"
    );
    assert!(env.temp_files().is_empty());
}

#[test]
fn odd_inputs_survive_exactly() {
    let env = TestEnv::new();
    let cases: [(&str, &[u8]); 8] = [
        ("crlf.log", b"one\r\ntwo\r\n"),
        ("latin1.log", b"J\xf6rg \xff\xfe\n\x80"),
        ("nul.log", b"a\0b\n\0\0\n"),
        ("no-final-newline.log", b"first\nlast without newline"),
        ("empty.log", b""),
        ("lone-cr.log", b"10%\r20%\r"),
        ("only-newlines.log", b"\n\n\n"),
        ("deep/er/nested.log", b"nested\n"),
    ];
    for (name, bytes) in cases {
        env.write(&format!("in/{name}"), bytes);
    }
    env.run(&["convert", "in", "out"]).assert_code(0);
    assert_eq!(env.tree("out"), env.tree("in"));
}

#[test]
fn eol_lf_and_crlf_rewrite_terminators_only() {
    let env = TestEnv::new();
    env.write("in/mixed.log", b"a\r\nb\nc\rd\r\n\r\nlast\r");
    env.write("in/unterminated.log", b"x\ny");
    env.run(&["convert", "--eol", "lf", "in", "lf"])
        .assert_code(0);
    assert_eq!(env.read("lf/mixed.log"), b"a\nb\nc\rd\n\nlast\r");
    assert_eq!(env.read("lf/unterminated.log"), b"x\ny");
    env.run(&["convert", "--eol", "crlf", "in", "crlf"])
        .assert_code(0);
    assert_eq!(env.read("crlf/mixed.log"), b"a\r\nb\r\nc\rd\r\n\r\nlast\r");
    assert_eq!(env.read("crlf/unterminated.log"), b"x\r\ny");
}

#[test]
fn eol_applies_to_the_fixture_crlf_file() {
    let env = TestEnv::new();
    let source = fixtures().join("windows/u_ex261121.log");
    let run = env.run(&[
        "-q",
        "convert",
        "--eol",
        "lf",
        source.to_str().unwrap(),
        "iis.log",
    ]);
    run.assert_code(0).assert_stderr(&[]);
    let expected: Vec<u8> = String::from_utf8(fs::read(&source).unwrap())
        .unwrap()
        .replace("\r\n", "\n")
        .into_bytes();
    assert_eq!(env.read("iis.log"), expected);
}

#[test]
fn include_exclude_and_max_depth() {
    let env = TestEnv::new();
    for name in [
        "a.log",
        "b.txt",
        "sub/c.log",
        "sub/deeper/d.log",
        "skip/e.log",
        "sub/skip/f.log",
    ] {
        env.write(&format!("in/{name}"), name);
    }
    env.run(&[
        "convert",
        "--include",
        "*.log",
        "--exclude",
        "skip",
        "--exclude",
        "*/skip",
        "in",
        "out",
    ])
    .assert_code(0);
    let names: Vec<_> = env.tree("out").into_keys().collect();
    assert_eq!(
        names,
        ["a.log", "sub/c.log", "sub/deeper/d.log"].map(PathBuf::from)
    );

    env.run(&["convert", "--max-depth", "2", "in", "depth"])
        .assert_code(0);
    let names: Vec<_> = env.tree("depth").into_keys().collect();
    let expected = ["a.log", "b.txt", "skip/e.log", "sub/c.log"].map(PathBuf::from);
    assert_eq!(names, expected);
}

#[test]
fn exclude_wins_over_include() {
    let env = TestEnv::new();
    env.write("in/keep.log", "k");
    env.write("in/drop.log", "d");
    env.run(&[
        "convert",
        "--include",
        "*.log",
        "--exclude",
        "drop.log",
        "in",
        "out",
    ])
    .assert_code(0);
    assert_eq!(
        env.tree("out").into_keys().collect::<Vec<_>>(),
        [PathBuf::from("keep.log")]
    );
}

#[test]
fn symlinks_are_skipped_unless_followed() {
    let env = TestEnv::new();
    env.write("target.log", "through the link\n");
    env.write("in/plain.log", "plain\n");
    symlink("../target.log", env.path("in/link.log")).unwrap();

    env.run(&["convert", "in", "out"])
        .assert_code(0)
        .assert_stderr(&[
            "asyncfiles: in/link.log: skipped: symbolic link (use -L to follow)",
            &summary(1, 1, 0, 6, 6),
        ]);
    assert!(!env.path("out/link.log").exists());

    env.run(&["convert", "-L", "in", "followed"]).assert_code(0);
    assert_eq!(env.read("followed/link.log"), b"through the link\n");
    assert!(
        !fs::symlink_metadata(env.path("followed/link.log"))
            .unwrap()
            .is_symlink()
    );
}

#[test]
fn a_symlink_loop_fails_that_entry_only() {
    let env = TestEnv::new();
    env.write("in/sub/ok.log", "ok\n");
    symlink("..", env.path("in/sub/loop")).unwrap();
    env.run(&["convert", "-L", "in", "out"])
        .assert_code(1)
        .assert_stderr(&[
            "asyncfiles: in/sub/loop: symbolic link loop (points to its ancestor in)",
            &summary(1, 0, 1, 3, 3),
        ]);
    assert_eq!(env.read("out/sub/ok.log"), b"ok\n");
}

#[test]
fn fifos_and_sockets_are_skipped_with_a_note() {
    let env = TestEnv::new();
    env.write("in/a.log", "a\n");
    let fifo = std::ffi::CString::new(env.path("in/pipe").to_str().unwrap()).unwrap();
    // SAFETY: mkfifo(3) with a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);
    let _socket = std::os::unix::net::UnixListener::bind(env.path("in/sock")).unwrap();
    let run = env.run(&["convert", "in", "out"]);
    run.assert_code(0);
    let mut lines: Vec<&str> = run.stderr.lines().collect();
    lines.pop(); // the summary
    lines.sort_unstable();
    assert_eq!(
        lines,
        [
            "asyncfiles: in/pipe: skipped: named pipe",
            "asyncfiles: in/sock: skipped: socket"
        ]
    );
    assert_eq!(env.tree("out").len(), 1);
}

#[test]
fn files_from_lists_newline_and_nul_separated_paths() {
    let env = TestEnv::new();
    for name in [
        "a.log",
        "b.log",
        "sub/c.log",
        "with space.log",
        "not-listed.log",
    ] {
        env.write(&format!("in/{name}"), name);
    }
    env.write("list.txt", "a.log\n./sub/c.log\n\nwith space.log\n");
    env.run(&["convert", "--files-from", "list.txt", "in", "out"])
        .assert_code(0);
    let names: Vec<_> = env.tree("out").into_keys().collect();
    assert_eq!(
        names,
        ["a.log", "sub/c.log", "with space.log"].map(PathBuf::from)
    );

    env.run_with_stdin(
        &["convert", "--files-from", "-", "-0", "in", "nul"],
        b"b.log\0sub/c.log\0",
    )
    .assert_code(0);
    let names: Vec<_> = env.tree("nul").into_keys().collect();
    assert_eq!(names, ["b.log", "sub/c.log"].map(PathBuf::from));
}

#[test]
fn files_from_missing_and_escaping_entries_fail_alone() {
    let env = TestEnv::new();
    env.write("in/a.log", "a\n");
    env.write("outside.log", "secret\n");
    env.write("list.txt", "missing.log\n../outside.log\na.log\nsub\n");
    fs::create_dir_all(env.path("in/sub")).unwrap();
    env.run(&["convert", "--files-from", "list.txt", "in", "out"])
        .assert_code(1)
        .assert_stderr(&[
            "asyncfiles: in/missing.log: No such file or directory",
            "asyncfiles: ../outside.log: listed paths must be relative to IN and stay inside it",
            "asyncfiles: in/sub: skipped: directory (--files-from lists files)",
            &summary(1, 1, 2, 2, 2),
        ]);
    assert_eq!(
        env.tree("out").into_keys().collect::<Vec<_>>(),
        [PathBuf::from("a.log")]
    );
    assert!(!env.path("outside.log.out").exists());
}

#[test]
fn stdin_to_stdout_streams() {
    let env = TestEnv::new();
    let input = b"line one\r\nline two\n\xff\xfe no newline";
    env.run_with_stdin(&["-q", "convert", "-", "-"], input)
        .assert_code(0)
        .assert_stdout(input)
        .assert_stderr(&[]);
    env.run_with_stdin(&["-q", "convert", "--eol", "lf", "-", "-"], input)
        .assert_code(0)
        .assert_stdout(b"line one\nline two\n\xff\xfe no newline");
}

#[test]
fn single_file_to_file_directory_and_trailing_slash() {
    let env = TestEnv::new();
    env.write("in/app.log", "app\n");
    env.run(&["convert", "in/app.log", "renamed.log"])
        .assert_code(0);
    assert_eq!(env.read("renamed.log"), b"app\n");

    fs::create_dir(env.path("existing")).unwrap();
    env.run(&["convert", "in/app.log", "existing"])
        .assert_code(0);
    assert_eq!(env.read("existing/app.log"), b"app\n");

    env.run(&["convert", "in/app.log", "new/dir/"])
        .assert_code(0);
    assert_eq!(env.read("new/dir/app.log"), b"app\n");

    env.run(&["convert", "in/app.log", "-"])
        .assert_code(0)
        .assert_stdout(b"app\n");
}

#[test]
fn output_inside_input_is_refused_before_anything_is_written() {
    let env = TestEnv::new();
    env.write("in/a.log", "a\n");
    env.run(&["convert", "in", "in/out"]).assert_code(2).assert_stderr(&[
        "asyncfiles: output directory in/out is inside the input directory in; choose an output outside it",
    ]);
    assert!(!env.path("in/out").exists());

    let run = env
        .command(&["convert", ".", "./out"])
        .current_dir(env.path("in"))
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    assert!(!env.path("in/out").exists());

    env.run(&["convert", "in", "in"]).assert_code(2);
    env.run(&["convert", "in/a.log", "in/a.log"])
        .assert_code(2)
        .assert_stderr(&[
            "asyncfiles: output in/a.log is the input file itself; choose another output",
        ]);
    env.run(&["convert", "in/a.log", "in/"]).assert_code(2);
    assert_eq!(env.tree("in").len(), 1);
    assert_eq!(env.read("in/a.log"), b"a\n");
}

#[test]
fn setup_errors_exit_2_and_write_nothing() {
    let env = TestEnv::new();
    env.run(&["convert", "missing", "out"])
        .assert_code(2)
        .assert_stderr(&["asyncfiles: missing: No such file or directory"]);
    env.write("in/a.log", "a\n");
    env.write("file-not-dir", "x");
    env.run(&["convert", "in", "file-not-dir"])
        .assert_code(2)
        .assert_stderr(&["asyncfiles: file-not-dir: exists and is not a directory"]);
    env.run(&["convert", "in", "-"]).assert_code(2).assert_stderr(&[
        "asyncfiles: cannot write a directory tree to standard output; give an output directory",
    ]);
    env.run(&["convert", "--files-from", "no-such-list", "in", "out"])
        .assert_code(2)
        .assert_stderr(&["asyncfiles: --files-from no-such-list: No such file or directory"]);
    env.run(&["convert", "--include", "a[", "in", "out"])
        .assert_code(2);
    env.run(&["convert", "--jobs", "0", "in", "out"])
        .assert_code(2);
    env.run(&["convert", "in"]).assert_code(2);
    assert!(!env.path("out").exists());
}

#[test]
fn a_file_that_cannot_be_read_fails_alone_and_leaves_no_temp_file() {
    // Runs as root in CI, where permissions block nothing: /proc/self/mem opens but every read
    // at offset 0 fails with EIO, a real read error.
    let env = TestEnv::new();
    env.write("in/a.log", "a\n");
    env.write("in/z.log", "z\n");
    symlink("/proc/self/mem", env.path("in/mem")).unwrap();
    env.run(&["convert", "-L", "in", "out"])
        .assert_code(1)
        .assert_stderr(&[
            "asyncfiles: in/mem: read error: Input/output error",
            &summary(2, 0, 1, 4, 4),
        ]);
    assert_eq!(env.read("out/a.log"), b"a\n");
    assert_eq!(env.read("out/z.log"), b"z\n");
    assert!(!env.path("out/mem").exists());
    assert!(env.temp_files().is_empty(), "{:?}", env.temp_files());
}

#[test]
fn permission_bits_and_modification_time_are_kept() {
    use std::os::unix::process::CommandExt;
    let env = TestEnv::new();
    let then = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    // 0666 is wider than the umask below lets a new file be: the output must still get it.
    for (name, mode) in [
        ("a.log", 0o640),
        ("wide.log", 0o666),
        ("read-only.log", 0o444),
    ] {
        let path = env.write(&format!("in/{name}"), "a\n");
        fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_times(fs::FileTimes::new().set_modified(then))
            .unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
    }
    let mut command = env.command(&["convert", "in", "out"]);
    // SAFETY: umask(2) is async-signal-safe and touches no memory.
    unsafe {
        command.pre_exec(|| {
            libc::umask(0o077);
            Ok(())
        });
    }
    assert_eq!(command.output().unwrap().status.code(), Some(0));
    for (name, mode) in [
        ("a.log", 0o640),
        ("wide.log", 0o666),
        ("read-only.log", 0o444),
    ] {
        let meta = fs::metadata(env.path(&format!("out/{name}"))).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, mode, "{name}");
        assert_eq!(meta.modified().unwrap(), then, "{name}");
    }
}

#[test]
fn existing_outputs_are_replaced_and_unrelated_files_left_alone() {
    let env = TestEnv::new();
    env.write("in/a.log", "new\n");
    env.write("out/a.log", "old contents that are longer\n");
    env.write("out/unrelated.log", "keep me\n");
    env.run(&["convert", "in", "out"]).assert_code(0);
    assert_eq!(env.read("out/a.log"), b"new\n");
    assert_eq!(env.read("out/unrelated.log"), b"keep me\n");
}

#[test]
fn temp_files_of_an_earlier_run_are_never_taken_as_input() {
    let env = TestEnv::new();
    env.write("in/a.log", "a\n");
    env.write("in/.a.log.1f-0.asyncfiles-tmp", "half-written\n");
    env.run(&["convert", "in", "out"]).assert_code(0);
    assert_eq!(
        env.tree("out").into_keys().collect::<Vec<_>>(),
        [PathBuf::from("a.log")]
    );
}

#[test]
fn an_output_that_cannot_be_written_fails_that_file() {
    let env = TestEnv::new();
    env.write("in/a.log", "a\n");
    env.write("in/sub/b.log", "b\n");
    env.write("out/sub", "a file where a directory is needed");
    let run = env.run(&["convert", "in", "out"]);
    // The directory fails (once), and nothing below it is tried.
    run.assert_code(1).assert_stderr(&[
        "asyncfiles: in/sub: cannot create directory out/sub: a file of that name exists",
        &summary(1, 0, 1, 2, 2),
    ]);
    assert_eq!(env.read("out/a.log"), b"a\n");
}

#[test]
fn quiet_silences_notes_and_summary_but_not_errors() {
    let env = TestEnv::new();
    env.write("in/a.log", "a\n");
    symlink("a.log", env.path("in/link")).unwrap();
    symlink("/proc/self/mem", env.path("in/mem")).unwrap();
    env.run(&["-q", "convert", "in", "out"])
        .assert_code(0)
        .assert_stderr(&[]);
    env.run(&["convert", "-q", "-L", "in", "out2"])
        .assert_code(1)
        .assert_stderr(&["asyncfiles: in/mem: read error: Input/output error"]);
}

#[test]
fn verbose_prints_a_line_per_file() {
    let env = TestEnv::new();
    env.write("in/a.log", "abc\n");
    env.run(&["convert", "-v", "in", "out"])
        .assert_code(0)
        .assert_stderr(&[
            "in/a.log -> out/a.log: 4 bytes in, 4 bytes out",
            &summary(1, 0, 0, 4, 4),
        ]);
}

#[test]
fn writing_to_a_full_stdout_fails_with_exit_1() {
    let env = TestEnv::new();
    env.write("a.log", "a\n".repeat(100_000));
    let full = fs::File::options().write(true).open("/dev/full").unwrap();
    let output = env
        .command(&["-q", "convert", "a.log", "-"])
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "asyncfiles: a.log: write error: No space left on device\n"
    );
}

#[test]
fn a_closed_stdout_pipe_ends_quietly() {
    let env = TestEnv::new();
    env.write("big.log", "some log line\n".repeat(2_000_000));
    common::assert_quiet_after_hang_up(
        env.command(&["convert", "big.log", "-"]),
        b"some log line\n",
    );
}

#[test]
fn usage_errors_from_the_parser_exit_2() {
    let env = TestEnv::new();
    env.run(&["convert", "--eol", "mac", "a", "b"])
        .assert_code(2);
    env.run(&["frobnicate"]).assert_code(2);
    env.run(&["--help"]).assert_code(0);
}

#[test]
fn output_that_contains_the_input_is_refused() {
    // `cd p/logs && convert . ..` would write logs/a.log (an input) from logs/logs/a.log.
    let env = TestEnv::new();
    env.write("p/logs/a.log", "TOP\n");
    env.write("p/logs/logs/a.log", "INNER\n");
    let output = env
        .command(&["convert", ".", ".."])
        .current_dir(env.path("p/logs"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "asyncfiles: input directory . is inside the output directory ..; outputs could replace inputs, choose an output outside it\n"
    );
    assert_eq!(env.read("p/logs/a.log"), b"TOP\n");
}

#[test]
fn a_followed_link_into_the_output_is_not_walked() {
    let env = TestEnv::new();
    env.write("in/a.log", "a\n");
    fs::create_dir(env.path("out")).unwrap();
    symlink("../out", env.path("in/link")).unwrap();
    for _ in 0..3 {
        env.run(&["convert", "-L", "in", "out"])
            .assert_code(0)
            .assert_stderr(&[
                "asyncfiles: in/link: skipped: symbolic link into the output directory",
                &summary(1, 1, 0, 2, 2),
            ]);
    }
    assert_eq!(
        env.tree("out").into_keys().collect::<Vec<_>>(),
        [PathBuf::from("a.log")]
    );
}

#[test]
fn files_from_follows_the_walks_rules() {
    let env = TestEnv::new();
    env.write("secret/key", "SECRET\n");
    env.write("in/a.log", "a\n");
    env.write("in/sub/x/deep.log", "deep\n");
    env.write("in/skip/e.log", "e\n");
    symlink("../secret", env.path("in/dirlink")).unwrap();
    env.write(
        "list.txt",
        "a.log\r\ndirlink/key\r\nskip/e.log\r\nsub/x/deep.log\r\n",
    );
    env.run(&[
        "convert",
        "--files-from",
        "list.txt",
        "--exclude",
        "skip",
        "--max-depth",
        "2",
        "in",
        "out",
    ])
    .assert_code(0)
    .assert_stderr(&[
        "asyncfiles: in/dirlink/key: skipped: symbolic link (use -L to follow)",
        "asyncfiles: in/skip/e.log: skipped: ruled out by --include, --exclude or --max-depth",
        "asyncfiles: in/sub/x/deep.log: skipped: ruled out by --include, --exclude or --max-depth",
        &summary(1, 3, 0, 2, 2),
    ]);
    assert_eq!(
        env.tree("out").into_keys().collect::<Vec<_>>(),
        [PathBuf::from("a.log")]
    );
}

#[test]
fn more_setup_errors_are_refused_before_writing() {
    let env = TestEnv::new();
    env.write("in/a.log", "a\n");
    fs::create_dir(env.path("listdir")).unwrap();
    env.run(&["convert", "--files-from", "listdir", "in", "out"])
        .assert_code(2)
        .assert_stderr(&["asyncfiles: --files-from listdir: is a directory, not a list of files"]);
    assert!(!env.path("out").exists());
    env.write("afile", "x");
    env.run(&["convert", "in/a.log", "afile/out.log"])
        .assert_code(2)
        .assert_stderr(&["asyncfiles: afile: exists and is not a directory"]);
    symlink("nowhere", env.path("dangling")).unwrap();
    env.run(&["convert", "in", "dangling"])
        .assert_code(2)
        .assert_stderr(&["asyncfiles: dangling: is a symbolic link to nothing"]);
}

#[test]
fn devices_are_skipped_with_a_note() {
    let env = TestEnv::new();
    env.write("in/a.log", "a\n");
    symlink("/dev/null", env.path("in/null")).unwrap();
    env.run(&["convert", "-L", "in", "out"])
        .assert_code(0)
        .assert_stderr(&[
            "asyncfiles: in/null: skipped: device file",
            &summary(1, 1, 0, 2, 2),
        ]);
}

#[test]
fn a_failed_rename_fails_that_file_and_removes_its_temp_file() {
    let env = TestEnv::new();
    env.write("in/a.log", "a\n");
    env.write("in/b.log", "b\n");
    fs::create_dir_all(env.path("out/a.log")).unwrap();
    env.run(&["convert", "in", "out"])
        .assert_code(1)
        .assert_stderr(&[
            "asyncfiles: in/a.log: cannot rename to out/a.log: Is a directory",
            &summary(1, 0, 1, 2, 2),
        ]);
    assert_eq!(env.read("out/b.log"), b"b\n");
    assert!(env.temp_files().is_empty(), "{:?}", env.temp_files());
}

#[test]
fn fsync_writes_the_same_outputs() {
    let env = TestEnv::new();
    env.run(&["convert", "--fsync", fixtures().to_str().unwrap(), "out"])
        .assert_code(0);
    assert_eq!(env.tree("out"), tree(&fixtures()));
    env.write("one.log", "one\n");
    env.run(&["convert", "--fsync", "one.log", "single.log"])
        .assert_code(0);
    assert_eq!(env.read("single.log"), b"one\n");
}

#[test]
fn eol_is_exact_across_megabyte_chunk_boundaries() {
    // The reader moves at most 1 MiB per chunk: put a CRLF across each boundary.
    let env = TestEnv::new();
    let mut input = Vec::new();
    for boundary in 1..=3usize {
        input.resize((boundary << 20) - 1, b'x');
        input.extend_from_slice(b"\r\n");
    }
    input.extend_from_slice(b"tail\nno newline\r");
    env.write("in/big.log", &input);
    env.run(&["convert", "--eol", "lf", "in", "lf"])
        .assert_code(0);
    let expected_lf: Vec<u8> = String::from_utf8(input.clone())
        .unwrap()
        .replace("\r\n", "\n")
        .into_bytes();
    assert!(env.read("lf/big.log") == expected_lf, "lf output differs");
    env.run(&["convert", "--eol", "crlf", "lf/big.log", "crlf.log"])
        .assert_code(0);
    let expected_crlf = String::from_utf8(expected_lf)
        .unwrap()
        .replace('\n', "\r\n")
        .into_bytes();
    assert!(env.read("crlf.log") == expected_crlf, "crlf output differs");
}

#[test]
fn names_with_control_characters_stay_on_one_message_line() {
    let env = TestEnv::new();
    env.write("in/a.log", "a\n");
    symlink("a.log", env.path("in/two\nlines")).unwrap();
    env.run(&["convert", "in", "out"])
        .assert_code(0)
        .assert_stderr(&[
            "asyncfiles: in/two\\nlines: skipped: symbolic link (use -L to follow)",
            &summary(1, 1, 0, 2, 2),
        ]);
}

#[test]
fn stdin_output_mode_follows_the_umask() {
    use std::os::unix::process::CommandExt;
    let env = TestEnv::new();
    let mut command = env.command(&["convert", "-", "from-stdin.log"]);
    // SAFETY: umask(2) is async-signal-safe and touches no memory.
    unsafe {
        command.pre_exec(|| {
            libc::umask(0o027);
            Ok(())
        });
    }
    let output = command.stdin(std::process::Stdio::null()).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let mode = fs::metadata(env.path("from-stdin.log"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o640, "{mode:o}");
}
