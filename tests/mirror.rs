//! What the mirror of a tree contains: directories with their source's mode and times (empty ones
//! too), our own temp files skipped and said so (`convert` only), and each `--files-from` file
//! taken once however it is spelled.

mod common;

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use asyncfiles::report::human_bytes;
use common::{Run, TestEnv, tool_in};

/// The summary line without its timing part.
fn summary(done: usize, skipped: usize, failed: usize, bytes: u64) -> String {
    format!(
        "convert: {done} done, {skipped} skipped, {failed} failed; {} in, {} out",
        human_bytes(bytes),
        human_bytes(bytes)
    )
}

/// Runs `command` with umask `mask` (so that the umask cannot explain a mode it gets).
fn run_with_umask(mut command: Command, mask: libc::mode_t) -> Run {
    // SAFETY: umask(2) is async-signal-safe and touches no memory.
    unsafe {
        command.pre_exec(move || {
            libc::umask(mask);
            Ok(())
        });
    }
    let output = command.output().expect("run binary");
    Run {
        code: output.status.code(),
        stdout: output.stdout,
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().mode() & 0o7777
}

fn set_mode(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

fn set_mtime(path: &Path, time: SystemTime) {
    fs::File::open(path)
        .unwrap()
        .set_times(fs::FileTimes::new().set_modified(time))
        .unwrap();
}

/// Every directory below `root`, relative to it, sorted.
fn dirs(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap().flatten() {
            if entry.file_type().unwrap().is_dir() {
                found.push(entry.path().strip_prefix(root).unwrap().to_path_buf());
                stack.push(entry.path());
            }
        }
    }
    found.sort();
    found
}

fn paths(names: &[&str]) -> Vec<PathBuf> {
    names.iter().map(PathBuf::from).collect()
}

#[test]
fn directory_modes_are_mirrored_whatever_the_umask() {
    let env = TestEnv::new();
    env.write("in/private/a.log", "a\n");
    env.write("in/shared/b.log", "b\n");
    env.write("in/read-only/c.log", "c\n");
    env.write("in/sticky/d.log", "d\n");
    fs::create_dir_all(env.path("in/group")).unwrap();
    set_mode(&env.path("in"), 0o750);
    set_mode(&env.path("in/private"), 0o700);
    set_mode(&env.path("in/shared"), 0o775);
    set_mode(&env.path("in/sticky"), 0o1777);
    // Kept when the user could set it (the kernel drops it for a group the user is not in).
    set_mode(&env.path("in/group"), 0o2750);
    // No write bit: its file must still be written, and the mode set after it.
    set_mode(&env.path("in/read-only"), 0o555);
    // umask 0: a directory created as mkdir -p does would be 0777.
    let run = run_with_umask(env.command(&["convert", "in", "out"]), 0);
    run.assert_code(0).assert_stderr(&[&summary(4, 0, 0, 8)]);
    for (dir, expected) in [
        ("out", 0o750),
        ("out/private", 0o700),
        ("out/shared", 0o775),
        ("out/sticky", 0o1777),
        ("out/group", mode(&env.path("in/group"))),
        ("out/read-only", 0o555),
    ] {
        assert_eq!(
            mode(&env.path(dir)),
            expected,
            "{dir}: {:o}",
            mode(&env.path(dir))
        );
    }
    assert_eq!(env.read("out/read-only/c.log"), b"c\n");
    set_mode(&env.path("out/read-only"), 0o755); // so that the temp dir can be removed
    set_mode(&env.path("in/read-only"), 0o755);
}

#[test]
fn existing_directories_of_out_get_the_source_mode_but_out_itself_is_left_alone() {
    let env = TestEnv::new();
    env.write("in/private/a.log", "a\n");
    set_mode(&env.path("in"), 0o700);
    set_mode(&env.path("in/private"), 0o700);
    // What an earlier version left: a mirror readable by everyone.
    fs::create_dir_all(env.path("out/private")).unwrap();
    set_mode(&env.path("out"), 0o755);
    set_mode(&env.path("out/private"), 0o755);
    env.run(&["convert", "in", "out"]).assert_code(0);
    assert_eq!(mode(&env.path("out/private")), 0o700);
    assert_eq!(
        mode(&env.path("out")),
        0o755,
        "OUT was the user's, not ours"
    );
}

#[test]
fn directory_times_are_set_once_their_files_are_written() {
    let env = TestEnv::new();
    let then = SystemTime::UNIX_EPOCH + Duration::from_secs(1_600_000_000);
    let later = then + Duration::from_secs(86_400);
    env.write("in/a/b/deep.log", "deep\n");
    env.write("in/a/top.log", "top\n");
    fs::create_dir_all(env.path("in/a/empty")).unwrap();
    for (dir, time) in [
        ("in/a/b", then),
        ("in/a/empty", then),
        ("in/a", later),
        ("in", then),
    ] {
        set_mtime(&env.path(dir), time);
    }
    env.run(&["convert", "in", "out"]).assert_code(0);
    for (dir, time) in [
        ("out/a/b", then),
        ("out/a/empty", then),
        ("out/a", later),
        ("out", then),
    ] {
        let modified = fs::metadata(env.path(dir)).unwrap().modified().unwrap();
        assert_eq!(modified, time, "{dir}");
    }
}

#[test]
fn empty_directories_are_mirrored_unless_include_names_the_files() {
    let env = TestEnv::new();
    env.write("in/logs/a.log", "a\n");
    env.write("in/notes/readme.txt", "r\n");
    env.write("in/excluded/x.log", "x\n");
    fs::create_dir_all(env.path("in/empty/emptier")).unwrap();
    fs::create_dir_all(env.path("in/logs/deeper/empty")).unwrap();

    env.run(&["convert", "--exclude", "excluded", "in", "all"])
        .assert_code(0);
    let all = [
        "empty",
        "empty/emptier",
        "logs",
        "logs/deeper",
        "logs/deeper/empty",
        "notes",
    ];
    assert_eq!(dirs(&env.path("all")), paths(&all));

    // With --include, only directories on the way to a file written.
    env.run(&["convert", "--include", "*.log", "in", "included"])
        .assert_code(0);
    assert_eq!(dirs(&env.path("included")), paths(&["excluded", "logs"]));

    // --max-depth 1 walks no directory's files: none is mirrored.
    env.run(&["convert", "--max-depth", "1", "in", "shallow"])
        .assert_code(0);
    assert_eq!(dirs(&env.path("shallow")), paths(&[]));

    env.run(&["convert", "--dry-run", "in", "dry"])
        .assert_code(0);
    assert!(!env.path("dry").exists(), "a dry run creates nothing");
}

#[test]
fn files_from_creates_only_the_parents_of_listed_files_with_their_modes() {
    let env = TestEnv::new();
    env.write("in/private/deeper/a.log", "a\n");
    env.write("in/other/b.log", "b\n");
    fs::create_dir_all(env.path("in/empty")).unwrap();
    set_mode(&env.path("in/private"), 0o700);
    set_mode(&env.path("in/private/deeper"), 0o750);
    env.write("list.txt", "private/deeper/a.log\n");
    let run = run_with_umask(
        env.command(&["convert", "--files-from", "list.txt", "in", "out"]),
        0,
    );
    run.assert_code(0);
    assert_eq!(
        dirs(&env.path("out")),
        paths(&["private", "private/deeper"])
    );
    assert_eq!(mode(&env.path("out/private")), 0o700);
    assert_eq!(mode(&env.path("out/private/deeper")), 0o750);
}

#[test]
fn temp_files_of_a_run_are_skipped_with_a_note_and_look_alikes_converted() {
    let env = TestEnv::new();
    env.write("in/a.log", "a\n");
    env.write("in/.keep.1-1.asyncfiles-tmp", "half-written\n");
    // Not our pattern: a file like any other.
    env.write("in/.notes.asyncfiles-tmp", "n\n");
    env.run(&["convert", "in", "out"])
        .assert_code(0)
        .assert_stderr(&[
            "asyncfiles: in/.keep.1-1.asyncfiles-tmp: skipped: temp file of an asyncfiles run",
            &summary(2, 1, 0, 4),
        ]);
    assert_eq!(
        env.tree("out").into_keys().collect::<Vec<_>>(),
        paths(&[".notes.asyncfiles-tmp", "a.log"])
    );

    // Listed, it is skipped the same way, and counted.
    env.write("list.txt", ".keep.1-1.asyncfiles-tmp\na.log\n");
    let run = env.run(&[
        "convert",
        "--json",
        "--files-from",
        "list.txt",
        "in",
        "listed",
    ]);
    run.assert_code(0).assert_stderr(&[
        "asyncfiles: in/.keep.1-1.asyncfiles-tmp: skipped: temp file of an asyncfiles run",
        &summary(1, 1, 0, 2),
    ]);
    let stdout = String::from_utf8(run.stdout).unwrap();
    assert!(
        stdout.contains(
            r#""path":"in/.keep.1-1.asyncfiles-tmp","reason":"temp file of an asyncfiles run","status":"skipped""#
        ),
        "{stdout}"
    );
    assert!(stdout.contains(r#""skipped":1"#), "{stdout}");
}

#[test]
fn hash_and_stats_read_temp_named_files_as_b3sum_and_wc_do() {
    let env = TestEnv::new();
    env.write("in/a.log", "a\n");
    env.write("in/.keep.1-1.asyncfiles-tmp", "half\nwritten\n");
    let names = ["in/.keep.1-1.asyncfiles-tmp", "in/a.log"];
    let run = env.run(&["hash", "in"]);
    run.assert_code(0).assert_stderr(&[]);
    assert_eq!(run.stdout, tool_in(env.root(), "b3sum", &names, b""));

    let run = env.run(&["stats", "in"]);
    run.assert_code(0).assert_stderr(&[]);
    assert_eq!(
        String::from_utf8(run.stdout).unwrap(),
        "2 13 in/.keep.1-1.asyncfiles-tmp\n1  2 in/a.log\n3 15 total\n"
    );
}

#[test]
fn files_listed_more_than_once_are_taken_once() {
    let env = TestEnv::new();
    env.write("in/a.log", "a\n");
    env.write("in/sub/b.log", "b\n");
    env.write(
        "list.txt",
        "a.log\n./a.log\nsub//b.log\nsub/./b.log\n.//a.log\nsub/b.log/\n",
    );
    env.run(&[
        "convert",
        "--manifest",
        "m.b3",
        "--files-from",
        "list.txt",
        "in",
        "out",
    ])
    .assert_code(0)
    .assert_stderr(&[
        "asyncfiles: in/a.log: skipped: listed more than once",
        "asyncfiles: in/a.log: skipped: listed more than once",
        "asyncfiles: in/sub/b.log: skipped: listed more than once",
        "asyncfiles: in/sub/b.log: skipped: listed more than once",
        &summary(2, 4, 0, 4),
    ]);
    let manifest = tool_in(&env.path("out"), "b3sum", &["a.log", "sub/b.log"], b"");
    assert_eq!(env.read("m.b3"), manifest);

    let run = env.run(&["hash", "--files-from", "list.txt", "in"]);
    run.assert_code(0).assert_stderr(&[
        "asyncfiles: in/a.log: skipped: listed more than once",
        "asyncfiles: in/a.log: skipped: listed more than once",
        "asyncfiles: in/sub/b.log: skipped: listed more than once",
        "asyncfiles: in/sub/b.log: skipped: listed more than once",
    ]);
    let names = ["in/a.log", "in/sub/b.log"];
    assert_eq!(run.stdout, tool_in(env.root(), "b3sum", &names, b""));
}

/// `command` run as an unprivileged user, for whom modes stop writes as they stop a user's:
/// when the tests run as root, as `nobody` (uid and gid 65534, no other groups), after giving
/// `env`'s tree to that user; otherwise as the user running them. Root alone when that user
/// cannot be taken on (a note says so).
fn unprivileged(env: &TestEnv, mut command: Command) -> Command {
    // SAFETY: geteuid(2) has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return command;
    }
    let nobody = 65534;
    let given = common::tree(env.root())
        .into_keys()
        .map(|file| env.root().join(file))
        .chain(dirs(env.root()).into_iter().map(|dir| env.root().join(dir)))
        .chain([env.root().to_path_buf()])
        .try_for_each(|path| std::os::unix::fs::chown(path, Some(nobody), Some(nobody)));
    match given {
        Ok(()) => {
            command.uid(nobody).gid(nobody);
        }
        Err(error) => eprintln!("note: running as root, modes cannot stop writes: {error}"),
    }
    command
}

#[test]
fn a_rerun_into_a_read_only_out_writes_into_it_and_gives_out_its_mode_back() {
    let env = TestEnv::new();
    env.write("in/a.log", "a\n");
    set_mode(&env.path("in"), 0o555);
    let first = unprivileged(&env, env.command(&["convert", "in", "out"]));
    run_with_umask(first, 0o022)
        .assert_code(0)
        .assert_stderr(&[&summary(1, 0, 0, 2)]);
    assert_eq!(mode(&env.path("out")), 0o555);

    // OUT is the user's now, with a mode of its own: the run needs to write in it, then leaves
    // it as it was.
    set_mode(&env.path("out"), 0o500);
    env.write("in2/a.log", "again\n");
    env.write("in2/b.log", "b\n");
    let second = unprivileged(&env, env.command(&["convert", "in2", "out"]));
    run_with_umask(second, 0o022)
        .assert_code(0)
        .assert_stderr(&[&summary(2, 0, 0, 8)]);
    assert_eq!(mode(&env.path("out")), 0o500);
    set_mode(&env.path("out"), 0o700);
    assert_eq!(env.read("out/a.log"), b"again\n");
    assert_eq!(env.read("out/b.log"), b"b\n");
    set_mode(&env.path("out"), 0o500);

    // A run that stops early (here --fail-fast) gives it back too.
    let gz = common::filter("gzip", &["-c"], &b"x\n".repeat(1000));
    env.write("in3/bad.log.gz", &gz[..gz.len() / 2]);
    let args = ["convert", "--fail-fast", "--to", "none", "in3", "out"];
    run_with_umask(unprivileged(&env, env.command(&args)), 0o022)
        .assert_code(1)
        .assert_stderr(&[
            "asyncfiles: in3/bad.log.gz: truncated gzip stream",
            "convert: 0 done, 0 skipped, 1 failed; 0 B in, 0 B out",
        ]);
    assert_eq!(mode(&env.path("out")), 0o500);
    set_mode(&env.path("out"), 0o755); // so that the temp dir can be removed
    set_mode(&env.path("in"), 0o755);
}
