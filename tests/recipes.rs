//! The README's "Running across machines" recipes, run for real so that they cannot rot. Each
//! fenced block marked `<!-- recipe: NAME -->` is read from README.md at test time: the shard
//! function (Python) must agree with the binary's plans; the Kubernetes Indexed Job is played
//! index by index, `parallelism` at a time, with `/data` on a temp dir; the GNU parallel block runs
//! in bash, its `--sshlogin` line through a fake ssh that runs each job here. Every run ends in a
//! comparison with one unsharded run: the archive tree and the merged manifest, byte for byte.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{Run, TestEnv, filter, isolate, tool_in};

fn readme() -> String {
    fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap()
}

/// A fenced block of the README and what follows it.
struct Recipe {
    /// The fence's info string: `python`, `yaml`, `sh`.
    lang: String,
    /// The block's lines, each ending in a newline.
    text: String,
    /// The README after the closing fence (the prose that explains the block).
    after: String,
}

/// The names of every `<!-- recipe: NAME -->` marker, in order.
fn markers(readme: &str) -> Vec<String> {
    readme
        .lines()
        .filter_map(|line| line.strip_prefix("<!-- recipe: ")?.strip_suffix(" -->"))
        .map(str::to_owned)
        .collect()
}

/// The fenced block on the line right after the one `<!-- recipe: NAME -->` marker.
fn recipe(readme: &str, name: &str) -> Recipe {
    let marker = format!("<!-- recipe: {name} -->\n");
    let found: Vec<usize> = readme.match_indices(&marker).map(|(at, _)| at).collect();
    assert_eq!(found.len(), 1, "README.md: {marker:?} must appear once");
    let rest = &readme[found[0] + marker.len()..];
    let (fence, body) = rest
        .split_once('\n')
        .unwrap_or_else(|| panic!("README.md: nothing after {marker:?}"));
    let lang = fence
        .strip_prefix("```")
        .unwrap_or_else(|| panic!("README.md: {marker:?} is not followed by a ``` fence"));
    let end = body
        .match_indices("```")
        .map(|(at, _)| at)
        .find(|&at| at == 0 || body[..at].ends_with('\n'))
        .unwrap_or_else(|| panic!("README.md: the {name} block has no closing fence"));
    Recipe {
        lang: lang.to_owned(),
        text: body[..end].to_owned(),
        after: body[end + 3..].to_owned(),
    }
}

#[test]
fn every_recipe_marker_is_followed_by_a_fenced_block() {
    let readme = readme();
    let names = markers(&readme);
    for name in &names {
        let block = recipe(&readme, name);
        assert!(!block.text.trim().is_empty(), "the {name} block is empty");
    }
    for (name, lang) in [
        ("shard-function", "python"),
        ("kubernetes", "yaml"),
        ("gnu-parallel", "sh"),
    ] {
        assert!(names.iter().any(|n| n == name), "no {name} recipe");
        assert_eq!(recipe(&readme, name).lang, lang, "{name}");
    }
}

/// `count` logs below `root` (relative to the scratch directory) in nested directories, every
/// fourth gzipped, plus a name with spaces, one with non-ASCII letters, and an empty directory.
fn sample_logs(env: &TestEnv, root: &str, count: usize) {
    for i in 0..count {
        let text = format!("2026-12-01T08:{:02}:00Z node-{i} job done\n", i % 60).repeat(1 + i % 7);
        let dir = format!("{root}/app{}/day{}", i % 3, i % 2);
        if i % 4 == 0 {
            let gz = filter("gzip", &["-c", "-n"], text.as_bytes());
            env.write(&format!("{dir}/node-{i}.log.gz"), gz);
        } else {
            env.write(&format!("{dir}/node-{i}.log"), text);
        }
    }
    env.write(&format!("{root}/web server/access 1.log"), "GET / 200\n");
    env.write(&format!("{root}/café/menü.log"), "crème brûlée\n");
    fs::create_dir_all(env.path(&format!("{root}/empty/dir"))).unwrap();
}

/// Every directory below `root`, relative to it.
fn dirs(root: &Path) -> BTreeSet<PathBuf> {
    let mut found = BTreeSet::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap().flatten() {
            if entry.file_type().unwrap().is_dir() {
                found.insert(entry.path().strip_prefix(root).unwrap().to_path_buf());
                stack.push(entry.path());
            }
        }
    }
    found
}

/// Asserts that two OUT trees hold the same files with the same bytes, and the same directories.
#[track_caller]
fn assert_same_tree(actual: &Path, expected: &Path) {
    let (files, want) = (common::tree(actual), common::tree(expected));
    assert!(!want.is_empty(), "{}: nothing written", expected.display());
    assert_eq!(
        files.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>(),
        "{} and {}: the files differ",
        actual.display(),
        expected.display()
    );
    assert!(files == want, "the files' bytes differ");
    assert_eq!(dirs(actual), dirs(expected), "the directories differ");
}

/// The counts of a summary line `convert --shard K/N: D done, S skipped, F failed; …`, with its
/// `K/N`.
fn summary_counts(line: &str) -> (String, [u64; 3]) {
    let rest = line
        .strip_prefix("convert --shard ")
        .unwrap_or_else(|| panic!("not a shard's summary line: {line:?}"));
    let (shard, rest) = rest.split_once(": ").unwrap();
    let counts = rest.split(';').next().unwrap().split(", ");
    let mut numbers = [0; 3];
    for ((part, word), number) in counts.zip(["done", "skipped", "failed"]).zip(&mut numbers) {
        let (value, what) = part.split_once(' ').unwrap();
        assert_eq!(what, word, "{line:?}");
        *number = value.parse().unwrap();
    }
    (shard.to_owned(), numbers)
}

/// The output paths relative to OUT (the shard keys) that `convert -n --to none in out` plans,
/// with `--shard K/N` when given.
fn planned_keys(env: &TestEnv, shard: Option<(u32, u32)>) -> BTreeSet<String> {
    let shard = shard.map(|(k, n)| format!("{k}/{n}"));
    let mut args = vec!["convert", "-n", "--to", "none"];
    if let Some(shard) = &shard {
        args.extend(["--shard", shard]);
    }
    args.extend(["in", "out"]);
    let run = env.run(&args);
    run.assert_code(0);
    String::from_utf8(run.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            let (_, output) = line.split_once(" -> ").unwrap();
            output.strip_prefix("out/").unwrap().to_owned()
        })
        .collect()
}

/// Appended to the README's Python: reads the keys as a JSON list on stdin, prints
/// `{key: [shard_of(key, 1), …, shard_of(key, 9)]}`.
const SHARD_DRIVER: &str = r#"
import json, sys
keys = json.load(sys.stdin)
print(json.dumps({key: [shard_of(key.encode(), n) for n in range(1, 10)] for key in keys}))
"#;

#[test]
fn the_documented_shard_function_is_the_one_the_binary_uses() {
    let readme = readme();
    let recipe = recipe(&readme, "shard-function");
    let env = TestEnv::new();
    sample_logs(&env, "in", 30);
    let keys = planned_keys(&env, None);
    // The keys are output names: spaces, subdirectories, non-ASCII bytes, `.gz` dropped.
    for key in [
        "web server/access 1.log",
        "café/menü.log",
        "app0/day0/node-0.log",
        "app1/day1/node-1.log",
    ] {
        assert!(keys.contains(key), "{key} not planned: {keys:?}");
    }
    env.write("shard.py", format!("{}{SHARD_DRIVER}", recipe.text));
    let printed = tool_in(
        env.root(),
        "python3",
        &["shard.py"],
        serde_json::to_string(&keys).unwrap().as_bytes(),
    );
    let shards: BTreeMap<String, Vec<u32>> = serde_json::from_slice(&printed).unwrap();
    assert_eq!(
        shards.keys().collect::<BTreeSet<_>>(),
        keys.iter().collect()
    );
    for n in 1..=9u32 {
        for k in 0..n {
            let expected: BTreeSet<String> = shards
                .iter()
                .filter(|(_, by_n)| by_n[n as usize - 1] == k)
                .map(|(key, _)| key.clone())
                .collect();
            assert_eq!(
                planned_keys(&env, Some((k, n))),
                expected,
                "shard {k}/{n}: the README's shard_of and convert -n --shard disagree"
            );
        }
    }
}

/// What the README's Job manifest says, read without a YAML parser (it is simple enough).
struct Job {
    completions: usize,
    parallelism: usize,
    /// The container's `command:` (a flow list of quoted strings: JSON).
    command: Vec<String>,
    /// The container's `env:` list.
    env: Vec<(String, String)>,
    /// Where the volume is mounted.
    mount: String,
}

/// The values of every `key: value` line (list items' `- ` dropped).
fn yaml_values<'a>(text: &'a str, key: &str) -> Vec<&'a str> {
    let prefix = format!("{key}:");
    text.lines()
        .map(|line| line.trim_start().trim_start_matches("- "))
        .filter_map(|line| line.strip_prefix(&prefix))
        .map(str::trim)
        .collect()
}

/// The value of the one `key:` line.
#[track_caller]
fn yaml_value<'a>(text: &'a str, key: &str) -> &'a str {
    match yaml_values(text, key)[..] {
        [value] => value,
        ref values => panic!("the manifest has {} `{key}:` lines", values.len()),
    }
}

/// A scalar without its quotes, if it has them.
fn unquote(value: &str) -> String {
    if value.starts_with('"') {
        serde_json::from_str(value).unwrap()
    } else {
        value.to_owned()
    }
}

/// The first list item's `- name:` below the `section:` line.
fn first_item_name<'a>(text: &'a str, section: &str) -> &'a str {
    let mut lines = text.lines().skip_while(|line| line.trim() != section);
    assert!(lines.next().is_some(), "no {section}");
    let item = lines.next().unwrap().trim();
    item.strip_prefix("- name: ")
        .unwrap_or_else(|| panic!("{section} does not start with `- name:`: {item:?}"))
}

/// The `env:` list: its `- name:`/`value:` pairs, up to the next line indented as `env:`.
fn yaml_env(text: &str) -> Vec<(String, String)> {
    let indent = |line: &str| line.len() - line.trim_start().len();
    let mut lines = text.lines().skip_while(|line| line.trim() != "env:");
    let env_indent = indent(lines.next().expect("the container has an env: list"));
    let mut pairs = Vec::new();
    let mut name = None;
    for line in lines.take_while(|line| indent(line) > env_indent) {
        let line = line.trim();
        if let Some(n) = line.strip_prefix("- name: ") {
            name = Some(n.to_owned());
        } else if let Some(value) = line.strip_prefix("value: ") {
            pairs.push((name.take().expect("value: before name:"), unquote(value)));
        }
    }
    pairs
}

/// Reads the Job and checks what Kubernetes would require of it and what the README promises.
fn parse_job(text: &str) -> Job {
    assert_eq!(yaml_value(text, "apiVersion"), "batch/v1");
    assert_eq!(yaml_value(text, "kind"), "Job");
    assert_eq!(yaml_value(text, "completionMode"), "Indexed");
    // A retried index is a new Pod, which `--incremental` is there for.
    assert_eq!(yaml_value(text, "restartPolicy"), "Never");
    let number = |key| yaml_value(text, key).parse::<usize>().unwrap();
    let command: Vec<String> = serde_json::from_str(yaml_value(text, "command"))
        .expect("command: is a flow list of quoted strings");
    let env = yaml_env(text);
    let shards = env
        .iter()
        .find(|(name, _)| name == "ASYNCFILES_SHARDS")
        .map(|(_, value)| value.parse::<usize>().unwrap())
        .expect("ASYNCFILES_SHARDS in env:");
    let completions = number("completions");
    assert_eq!(
        shards, completions,
        "ASYNCFILES_SHARDS must equal completions"
    );
    assert!(
        command.windows(2).any(|pair| pair == ["--shard", "auto"]),
        "{command:?}"
    );
    // The Pods mount one claim (the ReadWriteMany volume) where the command's paths are.
    let claim = yaml_value(text, "claimName");
    assert!(!claim.is_empty());
    assert_eq!(yaml_values(text, "persistentVolumeClaim").len(), 1);
    assert_eq!(
        first_item_name(text, "volumeMounts:"),
        first_item_name(text, "volumes:")
    );
    Job {
        completions,
        parallelism: number("parallelism"),
        command,
        env,
        mount: yaml_value(text, "mountPath").to_owned(),
    }
}

/// `args` with the mount path's prefix replaced by `root` (the volume, here).
fn on_volume(args: &[String], mount: &str, root: &Path) -> Vec<String> {
    args.iter()
        .map(|arg| match arg.strip_prefix(mount) {
            Some(rest) if rest.is_empty() || rest.starts_with('/') => {
                format!("{}{rest}", root.display())
            }
            _ => arg.clone(),
        })
        .collect()
}

/// The value of `flag` in `args`.
#[track_caller]
fn flag_value<'a, S: AsRef<str>>(args: &'a [S], flag: &str) -> &'a str {
    let at = args
        .iter()
        .position(|arg| arg.as_ref() == flag)
        .unwrap_or_else(|| panic!("no {flag}"));
    args[at + 1].as_ref()
}

/// A path that the recipe's shell text can hold without quoting.
#[track_caller]
fn assert_shell_safe(path: &Path) {
    let text = path.to_str().unwrap();
    assert!(
        text.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-".contains(&b)),
        "{text}"
    );
}

/// Plays Kubernetes' part in an Indexed Job: `pod(index)` for every index below `completions`,
/// `parallelism` at a time (a new one starts when one ends), each Pod's run by index.
fn run_indexed(
    completions: usize,
    parallelism: usize,
    pod: impl Fn(usize) -> Run + Sync,
) -> BTreeMap<usize, Run> {
    let next = AtomicUsize::new(0);
    let runs = Mutex::new(BTreeMap::new());
    std::thread::scope(|scope| {
        for _ in 0..parallelism {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, Ordering::SeqCst);
                    if index >= completions {
                        break;
                    }
                    let run = pod(index);
                    runs.lock().unwrap().insert(index, run);
                }
            });
        }
    });
    runs.into_inner().unwrap()
}

/// The merge command in the prose after the Job's block: its first `asyncfiles hash --merge …`
/// code span.
fn documented_merge(prose: &str) -> String {
    prose
        .split('`')
        .find(|span| span.starts_with("asyncfiles hash --merge "))
        .expect("the README says how to merge the Job's manifests")
        .to_owned()
}

/// `PATH` with the built binary's directory first, so that recipes find `asyncfiles`.
fn path_with_the_binary() -> String {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_asyncfiles"))
        .parent()
        .unwrap();
    format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap())
}

#[test]
fn the_kubernetes_indexed_job_equals_one_unsharded_run() {
    let readme = readme();
    let recipe = recipe(&readme, "kubernetes");
    let job = parse_job(&recipe.text);
    assert_eq!(job.command[0], "asyncfiles");
    let env = TestEnv::new();
    let (volume, whole) = (env.path("data"), env.path("whole"));
    assert_shell_safe(&volume);
    let count = 40;
    sample_logs(&env, "data/logs", count);
    let args = on_volume(&job.command[1..], &job.mount, &volume);
    let moved = args.iter().zip(&job.command[1..]).filter(|(a, b)| a != b);
    assert!(
        moved.count() >= 3,
        "IN, OUT and the manifest are on the volume: {args:?}"
    );
    let out = PathBuf::from(args.last().unwrap());
    let manifest_of = |k: usize| flag_value(&args, "--manifest").replace("%K", &k.to_string());

    // Kubernetes: one Pod per index, `parallelism` of them at a time, the manifest's env.
    let pod = |index: usize| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_asyncfiles"));
        isolate(&mut command)
            .args(&args)
            .envs(job.env.iter().map(|(k, v)| (k, v)))
            .env("JOB_COMPLETION_INDEX", index.to_string())
            .current_dir(env.root())
            .stdin(Stdio::null());
        Run::from_output(command.output().unwrap())
    };
    let runs = run_indexed(job.completions, job.parallelism, pod);
    assert_eq!(runs.len(), job.completions);
    let mut done = BTreeMap::new();
    for (index, run) in &runs {
        run.assert_code(0);
        let [line] = run.stderr.lines().collect::<Vec<_>>()[..] else {
            panic!("index {index}: {}", run.stderr);
        };
        let (shard, [written, skipped, failed]) = summary_counts(line);
        assert_eq!(shard, format!("{index}/{}", job.completions));
        assert_eq!((skipped, failed), (0, 0), "{line}");
        done.insert(*index, written);
    }
    assert_eq!(done.values().sum::<u64>(), count as u64 + 2);

    // The merge the README describes after the Job, in a shell for its glob.
    let merge = documented_merge(&recipe.after).replace(
        &format!("{}/", job.mount),
        &format!("{}/", volume.display()),
    );
    let merged_path = merge.rsplit_once("> ").expect("the merge writes a file").1;
    let mut shell = Command::new("sh");
    isolate(&mut shell)
        .args(["-c", &merge])
        .env("PATH", path_with_the_binary())
        .current_dir(env.root());
    Run::from_output(shell.output().unwrap())
        .assert_code(0)
        .assert_stderr(&[]);

    // One run of the same command without --shard (%K is then 0).
    sample_logs(&env, "whole/logs", count);
    let unsharded: Vec<String> = on_volume(&job.command[1..], &job.mount, &whole)
        .into_iter()
        .filter(|arg| arg != "--shard" && arg != "auto")
        .collect();
    let unsharded: Vec<&str> = unsharded.iter().map(String::as_str).collect();
    env.run(&unsharded).assert_code(0);
    assert_same_tree(&out, &whole.join(out.strip_prefix(&volume).unwrap()));
    let whole_manifest =
        flag_value(&on_volume(&job.command, &job.mount, &whole), "--manifest").replace("%K", "0");
    assert!(
        fs::read(merged_path).unwrap() == fs::read(whole_manifest).unwrap(),
        "the merged manifest differs from the unsharded run's"
    );

    // A retried Pod of an index that had files: everything of it is up to date.
    let (&retried, &files) = done.iter().max_by_key(|(_, files)| **files).unwrap();
    let (tree_before, manifest_before) = (common::tree(&out), fs::read(manifest_of(retried)));
    pod(retried).assert_code(0).assert_stderr(&[&format!(
        "convert --shard {retried}/{}: 0 done, {files} skipped, 0 failed; 0 B in, 0 B out",
        job.completions
    )]);
    assert!(common::tree(&out) == tree_before, "the retry changed OUT");
    assert_eq!(
        fs::read(manifest_of(retried)).unwrap(),
        manifest_before.unwrap()
    );
}

/// A stand-in for ssh: `ssh [OPTIONS] HOST [--] COMMAND…` drops the options, logs the host, and
/// runs the command here as sshd would, with the words joined by spaces, in a fresh login-like
/// environment (only HOME, PATH and SHELL), so that nothing else crosses to the "remote" job.
fn fake_ssh(log: &Path) -> String {
    format!(
        r#"#!/bin/sh
while [ $# -gt 0 ]; do
  case $1 in
    -[BbcDEeFIiJLlmOopQRSWw]) shift 2 ;;
    -*) shift ;;
    *) break ;;
  esac
done
host=$1
shift
if [ "${{1-}}" = -- ]; then shift; fi
printf '%s\n' "$host" >> '{}'
exec env -i HOME="$HOME" PATH="$PATH" SHELL=/bin/sh /bin/sh -c "$*"
"#,
        log.display()
    )
}

/// The README's GNU parallel lines, split into words (they hold no quotes).
struct ParallelRecipe {
    /// The `parallel` line that runs on this machine.
    local: String,
    /// The `parallel --sshlogin` line.
    remote: String,
    /// The file the `hash --merge` line writes.
    merged: String,
}

fn parallel_recipe(text: &str) -> ParallelRecipe {
    assert!(!text.contains(['"', '\'']), "{text}");
    let lines: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    let find = |what: &dyn Fn(&str) -> bool| {
        let found: Vec<&str> = lines.iter().copied().filter(|l| what(l)).collect();
        assert_eq!(found.len(), 1, "{found:?}");
        found[0].to_owned()
    };
    let merge = find(&|l| l.contains("asyncfiles hash --merge"));
    ParallelRecipe {
        local: find(&|l| l.contains("| parallel ") && !l.contains("--sshlogin")),
        remote: find(&|l| l.contains("| parallel ") && l.contains("--sshlogin")),
        merged: merge.rsplit_once("> ").unwrap().1.trim().to_owned(),
    }
}

/// The asyncfiles command of a `parallel` line, from `asyncfiles` on.
fn asyncfiles_words(line: &str) -> Vec<&str> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let at = words.iter().position(|w| *w == "asyncfiles").unwrap();
    words[at..].to_vec()
}

/// The block run by bash in a fresh scratch directory holding `logs` (and one unsharded run of
/// the local line's command into `whole`, with `whole.b3`): the scratch directory, bash's run,
/// and the hosts the fake ssh was asked for, one line per call.
fn run_parallel_block(script: &str, local: &str, count: usize) -> (TestEnv, Run, Vec<String>) {
    let env = TestEnv::new();
    sample_logs(&env, "logs", count);
    let log = env.path("ssh.log");
    let ssh = env.write("fake-ssh", fake_ssh(&log));
    fs::set_permissions(&ssh, fs::Permissions::from_mode(0o755)).unwrap();
    // A HOME of its own: parallel keeps state in ~/.parallel; will-cite keeps it quiet.
    env.write("home/.parallel/will-cite", "");
    let mut bash = Command::new("bash");
    isolate(&mut bash)
        .arg("-c")
        .arg(format!("set -euo pipefail\n{script}"))
        .env("PATH", path_with_the_binary())
        .env("HOME", env.path("home"))
        .env("PARALLEL_SSH", &ssh)
        .env_remove("PARALLEL")
        .current_dir(env.root())
        .stdin(Stdio::null());
    let run = Run::from_output(bash.output().expect("bash"));
    // The local line's command once, without --shard, into whole (and whole.b3).
    let mut unsharded = Vec::new();
    let mut words = asyncfiles_words(local).into_iter().skip(1);
    while let Some(word) = words.next() {
        match word {
            "--shard" => {
                words.next();
            }
            "--manifest" => {
                words.next();
                unsharded.extend(["--manifest", "whole.b3"]);
            }
            _ => unsharded.push(word),
        }
    }
    *unsharded.last_mut().unwrap() = "whole";
    env.run(&unsharded).assert_code(0);
    let hosts = fs::read_to_string(&log)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect();
    (env, run, hosts)
}

/// Checks a parallel block's results against the unsharded run: OUT, the merged manifest, one
/// ssh call per job spread over the `--sshlogin` hosts, and the shards' summary lines, whose
/// done and skipped counts are returned, summed.
fn check_parallel_run(
    recipe: &ParallelRecipe,
    env: &TestEnv,
    run: &Run,
    hosts: &[String],
) -> [u64; 2] {
    run.assert_code(0);
    let local = asyncfiles_words(&recipe.local);
    assert_same_tree(&env.path(local.last().unwrap()), &env.path("whole"));
    assert!(
        env.read(&recipe.merged) == env.read("whole.b3"),
        "{} differs from the unsharded run's manifest",
        recipe.merged
    );
    let words: Vec<&str> = recipe.remote.split_whitespace().collect();
    let logins = flag_value(&words, "--sshlogin");
    let shards: usize = flag_value(&asyncfiles_words(&recipe.remote), "--shard")
        .strip_prefix("{}/")
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(hosts.len(), shards, "one ssh call per job: {hosts:?}");
    assert_eq!(
        hosts.iter().map(String::as_str).collect::<BTreeSet<_>>(),
        logins.split(',').collect(),
        "the jobs are spread over the hosts"
    );
    // Every line on stderr is a shard's summary (no notice from parallel, no error).
    let mut sums = [0; 2];
    for line in run.stderr.lines() {
        let (_, [done, skipped, failed]) = summary_counts(line);
        assert_eq!(failed, 0, "{line}");
        sums = [sums[0] + done, sums[1] + skipped];
    }
    assert!(env.temp_files().is_empty(), "{:?}", env.temp_files());
    sums
}

#[test]
fn the_gnu_parallel_recipe_as_written_equals_one_unsharded_run() {
    let readme = readme();
    let block = recipe(&readme, "gnu-parallel");
    let recipe = parallel_recipe(&block.text);
    let count = 30;
    let (env, run, hosts) = run_parallel_block(&block.text, &recipe.local, count);
    let files = count as u64 + 2;
    // The local line writes everything; the ssh line's jobs, --incremental, find it up to date.
    assert_eq!(
        check_parallel_run(&recipe, &env, &run, &hosts),
        [files, files]
    );
    assert_eq!(
        run.stderr.lines().count(),
        2 * hosts.len(),
        "{}",
        run.stderr
    );
}

#[test]
fn the_gnu_parallel_recipes_ssh_line_alone_converts_everything_over_ssh() {
    let readme = readme();
    let block = recipe(&readme, "gnu-parallel");
    let recipe = parallel_recipe(&block.text);
    let script: String = block
        .text
        .lines()
        .filter(|line| *line != recipe.local)
        .map(|line| format!("{line}\n"))
        .collect();
    let count = 30;
    let (env, run, hosts) = run_parallel_block(&script, &recipe.local, count);
    assert_eq!(
        check_parallel_run(&recipe, &env, &run, &hosts),
        [count as u64 + 2, 0]
    );
}
