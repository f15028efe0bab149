//! `TestEnv`: a temp directory plus the built binary, and helpers that compare exactly what a user
//! would see (stdout, stderr, exit code, file bytes) and print both sides when they differ.

#![allow(
    dead_code,
    reason = "each test binary uses a different part of the harness"
)]

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The environment variable that slows each chunk down (testing only).
pub const DELAY_ENV: &str = "ASYNCFILES_TEST_DELAY_MS";

/// The environment variable that makes opening each file hang (testing only).
pub const STALL_ENV: &str = "ASYNCFILES_TEST_STALL_MS";

/// A scratch directory in which the binary runs.
/// The test-only fault injection seam (see `input::TEST_FAULT_ENV`).
pub const FAULT_ENV: &str = "ASYNCFILES_TEST_FAULT";

/// What `--shard auto` reads of a job engine's environment.
pub const SHARD_ENGINE_VARIABLES: [&str; 9] = [
    "SLURM_ARRAY_TASK_ID",
    "SLURM_ARRAY_TASK_MIN",
    "SLURM_ARRAY_TASK_MAX",
    "SLURM_ARRAY_TASK_STEP",
    "SLURM_ARRAY_TASK_COUNT",
    "JOB_COMPLETION_INDEX",
    "AWS_BATCH_JOB_ARRAY_INDEX",
    "PARALLEL_SEQ",
    "ASYNCFILES_SHARDS",
];

pub struct TestEnv {
    dir: tempfile::TempDir,
}

/// What one run of the binary produced.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

impl Run {
    /// What a finished child left.
    pub fn from_output(output: Output) -> Self {
        Self {
            code: output.status.code(),
            stdout: output.stdout,
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Asserts the exit code, showing stderr when it differs.
    #[track_caller]
    pub fn assert_code(&self, expected: i32) -> &Self {
        assert_eq!(
            self.code,
            Some(expected),
            "exit code differs\n--- stderr ---\n{}--- stdout ---\n{}",
            self.stderr,
            String::from_utf8_lossy(&self.stdout)
        );
        self
    }

    /// Asserts stderr: per-file messages in any order (they arrive in completion order, which a
    /// parallel run does not fix), then the summary line, if expected, last. The summary's timing
    /// part is cut off: `convert: 3 done, 0 skipped, 0 failed; 1.0 KB in, 1.0 KB out`.
    #[track_caller]
    pub fn assert_stderr(&self, expected: &[&str]) -> &Self {
        let mut actual: Vec<String> = self.stderr.lines().map(strip_timing).collect();
        let mut expected: Vec<String> = expected.iter().map(|line| line.to_string()).collect();
        let is_summary = |line: &String| line.starts_with("convert");
        let actual_summary = actual.pop_if(|line| is_summary(line));
        let expected_summary = expected.pop_if(|line| is_summary(line));
        actual.sort();
        expected.sort();
        assert!(
            actual == expected && actual_summary == expected_summary,
            "stderr differs\n--- expected (sorted) ---\n{}\n{}\n--- full stderr ---\n{}",
            expected.join("\n"),
            expected_summary.unwrap_or_default(),
            self.stderr
        );
        self
    }

    #[track_caller]
    pub fn assert_stdout(&self, expected: &[u8]) -> &Self {
        assert!(
            self.stdout == expected,
            "stdout differs\n--- expected ---\n{}\n--- actual ---\n{}",
            String::from_utf8_lossy(expected),
            String::from_utf8_lossy(&self.stdout)
        );
        self
    }
}

/// Summary lines end in `; 0.01 s, 12.3 MB/s`, which no test can predict: cut it off.
fn strip_timing(line: &str) -> String {
    match line.rfind("; ") {
        Some(at) if line.ends_with("/s") && line.starts_with("convert") => line[..at].to_string(),
        _ => line.to_string(),
    }
}

impl TestEnv {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// The scratch directory (the binary's working directory).
    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Writes `bytes` at `rel`, creating parent directories.
    pub fn write(&self, rel: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, bytes).unwrap();
        path
    }

    pub fn read(&self, rel: &str) -> Vec<u8> {
        fs::read(self.path(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    /// A command for the binary, run in the scratch directory with a clean environment.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_asyncfiles"));
        command.args(args).current_dir(self.root());
        isolate(&mut command);
        command
    }

    /// Starts the binary with stdin, stdout and stderr all piped (the caller feeds and holds
    /// stdin).
    #[allow(dead_code)] // not every test file uses it
    pub fn spawn_piped(&self, args: &[&str]) -> std::process::Child {
        self.command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn binary")
    }

    /// Runs the binary with empty stdin and waits for it.
    pub fn run(&self, args: &[&str]) -> Run {
        Run::from_output(
            self.command(args)
                .stdin(Stdio::null())
                .output()
                .expect("run binary"),
        )
    }

    /// Runs the binary with `input` on stdin.
    pub fn run_with_stdin(&self, args: &[&str], input: &[u8]) -> Run {
        run_with_stdin(self.command(args), input)
    }

    /// Every regular file below `rel` with its bytes, keyed by path relative to `rel`.
    pub fn tree(&self, rel: &str) -> BTreeMap<PathBuf, Vec<u8>> {
        tree(&self.path(rel))
    }

    /// Every file below the scratch directory whose name marks it as an asyncfiles temp file.
    pub fn temp_files(&self) -> Vec<PathBuf> {
        walk_files(self.root())
            .into_iter()
            .filter(|p| p.to_string_lossy().ends_with(".asyncfiles-tmp"))
            .collect()
    }
}

/// Removes from `command`'s environment what would change the binary's behaviour: the test-only
/// seams, and the job engines' variables (`--shard auto` reads them: a test run inside a Slurm job
/// or GNU parallel must not). For commands that run the binary indirectly (a shell, parallel).
pub fn isolate(command: &mut Command) -> &mut Command {
    command
        .env_remove(DELAY_ENV)
        .env_remove(STALL_ENV)
        .env_remove("ASYNCFILES_REDACT_KEY")
        .env_remove("ASYNCFILES_TEST_TRUNCATE")
        .env_remove("ASYNCFILES_TEST_MEMORY_LIMIT")
        .env_remove("ASYNCFILES_TEST_BLOCK_SIZE")
        .env_remove(FAULT_ENV);
    for engine in SHARD_ENGINE_VARIABLES {
        command.env_remove(engine);
    }
    command
}

/// Runs `command` (one of [`TestEnv::command`], maybe with more set) with `input` on stdin.
pub fn run_with_stdin(mut command: Command, input: &[u8]) -> Run {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn binary");
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let output = child.wait_with_output().expect("wait");
    writer.join().unwrap();
    Run::from_output(output)
}

/// Every regular file below `root` with its bytes, keyed by path relative to `root`.
pub fn tree(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    walk_files(root)
        .into_iter()
        .map(|path| {
            let bytes = fs::read(&path).unwrap();
            (path.strip_prefix(root).unwrap().to_path_buf(), bytes)
        })
        .collect()
}

/// Complete outputs (final names, not temp files) below `root` so far. Safe to call while a run
/// is writing there: it reads names only.
#[allow(dead_code)] // not every test file uses it
pub fn finished_outputs(root: &Path) -> usize {
    walk_files(root)
        .iter()
        .filter(|p| !p.to_string_lossy().ends_with(".asyncfiles-tmp"))
        .count()
}

fn walk_files(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let file_type = entry.file_type().unwrap();
            if file_type.is_dir() {
                stack.push(entry.path());
            } else if file_type.is_file() {
                files.push(entry.path());
            }
        }
    }
    files.sort();
    files
}

/// b3sum's line for `content` named `name` (escaping as b3sum does).
pub fn b3sum_line(content: &[u8], name: &str) -> String {
    let hex = blake3::hash(content).to_hex();
    if name.contains(['\\', '\n']) {
        let escaped = name.replace('\\', "\\\\").replace('\n', "\\n");
        format!("\\{hex}  {escaped}\n")
    } else {
        format!("{hex}  {name}\n")
    }
}

/// What `strace -f -e trace=%file` saw the binary (run with `args` in the scratch directory)
/// examine or open: the trace's text, file names in quotes.
pub fn traced_paths(env: &TestEnv, args: &[&str]) -> String {
    let trace = env.path("trace.txt");
    let status = Command::new("strace")
        .args(["-f", "-qq", "-e", "trace=%file", "-o"])
        .arg(&trace)
        .arg(env!("CARGO_BIN_EXE_asyncfiles"))
        .args(args)
        .current_dir(env.root())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("strace is needed for this test (.ci/run installs it): {e}"));
    assert!(status.success(), "{args:?}");
    fs::read_to_string(trace).unwrap()
}

/// Runs `command`, reads `first` from its stdout, then hangs up, as `| head -1` does: the run
/// must end at once with exit 0 and nothing on stderr.
pub fn assert_quiet_after_hang_up(mut command: Command, first: &[u8]) {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut read = vec![0u8; first.len()];
    std::io::Read::read_exact(&mut stdout, &mut read).unwrap();
    assert_eq!(read, first);
    drop(stdout);
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
}

/// The committed sample tree.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/logs")
}

/// Sends `signal` to a running child.
pub fn send_signal(child: &Child, signal: i32) {
    let pid = i32::try_from(child.id()).unwrap();
    // SAFETY: kill(2) on our own child's pid has no memory-safety preconditions.
    let rc = unsafe { libc::kill(pid, signal) };
    assert_eq!(rc, 0, "kill failed");
}

/// Polls `condition` every few milliseconds until it holds, failing after `limit`.
#[track_caller]
pub fn wait_until(limit: Duration, what: &str, mut condition: impl FnMut() -> bool) {
    let start = Instant::now();
    while !condition() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Writes `count` files of `size` bytes (distinct contents) below `root`, in nested directories.
pub fn generated_tree(root: &Path, count: usize, size: usize) {
    for i in 0..count {
        let path = root.join(format!("d{:02}/e{:02}/file-{i:05}.log", i % 7, i % 5));
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        let line = format!("2026-11-21T03:15:59Z file {i} line of log text\n");
        let bytes: Vec<u8> = line.bytes().cycle().take(size).collect();
        fs::write(path, bytes).unwrap();
    }
}

/// Runs a reference tool (gzip, zstd, b3sum…) in `dir` as a filter: `input` on stdin, its stdout
/// returned. The tools are installed by `.ci/run`.
#[allow(dead_code)] // not every test file uses it
pub fn tool_in(dir: &Path, tool: &str, args: &[&str], input: &[u8]) -> Vec<u8> {
    let mut child = Command::new(tool)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{tool} is needed for these tests (.ci/run installs it): {e}"));
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(
        output.status.success(),
        "{tool} {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// [`tool_in`] in the current directory.
#[allow(dead_code)] // not every test file uses it
pub fn filter(tool: &str, args: &[&str], input: &[u8]) -> Vec<u8> {
    tool_in(Path::new("."), tool, args, input)
}
