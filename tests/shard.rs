//! `--shard K/N`: N runs split a tree exactly, write into one OUT side by side, and merge into
//! what one run writes; `--shard auto` reads the job engines' variables; bad values are usage
//! errors; a shard never looks at another shard's files.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

use common::{Run, TestEnv, filter};

/// A tree of `count` logs in nested directories, every fifth gzipped, one name with a space,
/// and an empty directory: written below `root` (relative to the scratch directory).
fn sample_tree(env: &TestEnv, root: &str, count: usize) {
    for i in 0..count {
        let text = format!(
            "2026-11-30T10:{:02}:00Z host-{i} GET /api/{i} 200\n",
            i % 60
        )
        .repeat(1 + i % 9);
        let dir = format!("{root}/app{}/day{}", i % 3, i % 4);
        if i % 5 == 0 {
            env.write(
                &format!("{dir}/host-{i}.log.gz"),
                filter("gzip", &["-c"], text.as_bytes()),
            );
        } else {
            env.write(&format!("{dir}/host-{i}.log"), text);
        }
    }
    env.write(&format!("{root}/web server/access 1.log"), "one line\n");
    fs::create_dir_all(env.path(&format!("{root}/empty/dir"))).unwrap();
}

/// The N shards of `args` (with `--shard K/N` added), started together and waited for.
fn run_shards_concurrently(env: &TestEnv, args: &[&str], count: u32) -> Vec<Run> {
    let children: Vec<_> = (0..count)
        .map(|k| {
            let shard = format!("{k}/{count}");
            let mut all = vec![args[0], "--shard", &shard];
            all.extend_from_slice(&args[1..]);
            let mut command = env.command(&all);
            command
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            command.spawn().expect("spawn a shard")
        })
        .collect();
    children
        .into_iter()
        .map(|child| Run::from_output(child.wait_with_output().unwrap()))
        .collect()
}

fn stdout_lines(run: &Run) -> BTreeSet<String> {
    String::from_utf8(run.stdout.clone())
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Every directory below `root`, relative to it.
fn dirs(root: &Path) -> BTreeSet<std::path::PathBuf> {
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

#[test]
fn shards_together_write_exactly_the_unsharded_tree_and_manifest() {
    let env = TestEnv::new();
    sample_tree(&env, "in", 60);
    fs::create_dir_all(env.path("m")).unwrap();
    env.run(&[
        "convert",
        "--to",
        "zst",
        "--manifest",
        "whole.b3",
        "in",
        "whole",
    ])
    .assert_code(0);
    for count in [1u32, 2, 3, 7] {
        let out = format!("out{count}");
        let manifest = format!("m/{count}-shard-%K-of-%N.b3");
        let runs = run_shards_concurrently(
            &env,
            &[
                "convert",
                "--to",
                "zst",
                "--manifest",
                &manifest,
                "in",
                &out,
            ],
            count,
        );
        for run in &runs {
            run.assert_code(0);
        }
        assert_eq!(
            env.tree(&out),
            env.tree("whole"),
            "N={count}: the trees differ"
        );
        assert_eq!(
            dirs(&env.path(&out)),
            dirs(&env.path("whole")),
            "N={count}: directories"
        );
        let manifests: Vec<String> = (0..count)
            .map(|k| format!("m/{count}-shard-{k}-of-{count}.b3"))
            .collect();
        let mut merge = vec!["hash", "--merge"];
        merge.extend(manifests.iter().map(String::as_str));
        let merged = env.run(&merge);
        merged.assert_code(0);
        assert_eq!(
            String::from_utf8_lossy(&merged.stdout),
            String::from_utf8_lossy(&env.read("whole.b3")),
            "N={count}: the merged manifest differs"
        );
        assert!(env.temp_files().is_empty(), "{:?}", env.temp_files());
    }
}

/// The plan of shard `k` of `count`: its `IN -> OUT` lines.
fn plan(env: &TestEnv, k: u32, count: u32) -> BTreeSet<String> {
    let shard = format!("{k}/{count}");
    let run = env.run(&[
        "convert", "-n", "--shard", &shard, "--to", "none", "in", "out",
    ]);
    run.assert_code(0);
    stdout_lines(&run)
}

#[test]
fn every_file_is_in_one_shard_and_new_files_move_no_other() {
    let env = TestEnv::new();
    sample_tree(&env, "in", 80);
    let whole = {
        let run = env.run(&["convert", "-n", "--to", "none", "in", "out"]);
        run.assert_code(0);
        stdout_lines(&run)
    };
    for count in 1..=9u32 {
        let plans: Vec<BTreeSet<String>> = (0..count).map(|k| plan(&env, k, count)).collect();
        let all: usize = plans.iter().map(BTreeSet::len).sum();
        let union: BTreeSet<String> = plans.iter().flatten().cloned().collect();
        assert_eq!(all, whole.len(), "N={count}: shards overlap");
        assert_eq!(union, whole, "N={count}: shards miss files");
    }
    // Adding files never moves the ones already there.
    let before: Vec<BTreeSet<String>> = (0..4).map(|k| plan(&env, k, 4)).collect();
    for i in 0..40 {
        env.write(&format!("in/new/n{i}.log"), "new\n");
    }
    for (k, old) in before.iter().enumerate() {
        let now = plan(&env, k as u32, 4);
        assert!(now.is_superset(old), "shard {k} lost files to another");
    }
}

#[test]
fn a_shards_dry_run_shows_its_plan_with_files_and_bytes() {
    let env = TestEnv::new();
    env.write("in/a.log", "aaaa\n");
    env.write("in/b.log", "bb\n");
    env.write("in/c/d.log", "d\n");
    // Which shard each file is in follows from the documented function (see src/shard.rs).
    let mut seen = BTreeMap::new();
    for k in 0..2u32 {
        let shard = format!("{k}/2");
        let run = env.run(&["convert", "-n", "--shard", &shard, "in", "out"]);
        run.assert_code(0);
        let lines = stdout_lines(&run);
        let bytes: usize = lines
            .iter()
            .map(|line| {
                fs::metadata(env.path(line.split(" -> ").next().unwrap()))
                    .unwrap()
                    .len() as usize
            })
            .sum();
        let human = if bytes == 0 {
            "0 B".to_owned()
        } else {
            format!("{bytes} B")
        };
        run.assert_stderr(&[&format!(
            "convert --dry-run --shard {k}/2: {} would be written ({human} in), 0 skipped, 0 failed",
            lines.len()
        )]);
        let json = env.run(&["convert", "-n", "--json", "--shard", &shard, "in", "out"]);
        let summary: serde_json::Value = serde_json::from_str(
            String::from_utf8_lossy(&json.stdout)
                .lines()
                .last()
                .unwrap(),
        )
        .unwrap();
        assert_eq!(summary["planned"], lines.len());
        assert_eq!(summary["bytes_in"], bytes);
        assert_eq!(
            (summary["shard"].as_u64(), summary["shards"].as_u64()),
            (Some(k.into()), Some(2))
        );
        seen.insert(k, lines);
    }
    let files: usize = seen.values().map(BTreeSet::len).sum();
    assert_eq!(files, 3);
    assert!(!env.path("out").exists());
}

#[test]
fn rival_names_land_in_one_shard_and_still_fail_there() {
    let env = TestEnv::new();
    sample_tree(&env, "in", 20);
    env.write("in/x/a.log", "plain\n");
    env.write("in/x/a.log.gz", filter("gzip", &["-c"], b"gzipped\n"));
    let runs = run_shards_concurrently(&env, &["convert", "--to", "none", "in", "out"], 3);
    let with_conflict: Vec<&Run> = runs.iter().filter(|run| run.code == Some(1)).collect();
    assert_eq!(with_conflict.len(), 1, "{runs:#?}");
    let mut errors: Vec<&str> = with_conflict[0]
        .stderr
        .lines()
        .filter(|line| line.starts_with("asyncfiles: "))
        .collect();
    errors.sort_unstable();
    assert_eq!(
        errors,
        [
            "asyncfiles: in/x/a.log.gz: output name conflict: in/x/a.log would also be written as a.log",
            "asyncfiles: in/x/a.log: output name conflict: in/x/a.log.gz would also be written as a.log",
        ]
    );
    for run in runs.iter().filter(|run| run.code != Some(1)) {
        run.assert_code(0);
    }
    assert!(!env.path("out/x/a.log").exists());
}

#[test]
fn hash_and_stats_shards_merge_into_the_unsharded_output() {
    let env = TestEnv::new();
    sample_tree(&env, "logs", 50);
    let whole = env.run(&["hash", "logs"]);
    whole.assert_code(0);
    for count in [2u32, 3, 7] {
        let runs = run_shards_concurrently(&env, &["hash", "logs"], count);
        let mut names = Vec::new();
        for (k, run) in runs.iter().enumerate() {
            run.assert_code(0);
            let name = format!("h{count}-{k}.b3");
            env.write(&name, &run.stdout);
            names.push(name);
        }
        let mut merge = vec!["hash", "--merge"];
        merge.extend(names.iter().map(String::as_str));
        let merged = env.run(&merge);
        merged.assert_code(0);
        assert_eq!(
            String::from_utf8_lossy(&merged.stdout),
            String::from_utf8_lossy(&whole.stdout),
            "N={count}"
        );
    }
    // stats: the shards' totals add up to the whole tree's.
    let total = |run: &Run| -> (u64, u64, u64) {
        let last: serde_json::Value =
            serde_json::from_str(String::from_utf8_lossy(&run.stdout).lines().last().unwrap())
                .unwrap();
        assert_eq!(last["total"], true);
        (
            last["files"].as_u64().unwrap(),
            last["lines"].as_u64().unwrap(),
            last["bytes"].as_u64().unwrap(),
        )
    };
    let whole = total(&env.run(&["stats", "--json", "logs"]));
    let runs = run_shards_concurrently(&env, &["stats", "--json", "logs"], 3);
    let mut sum = (0, 0, 0);
    for (k, run) in runs.iter().enumerate() {
        run.assert_code(0);
        let last: serde_json::Value =
            serde_json::from_str(String::from_utf8_lossy(&run.stdout).lines().last().unwrap())
                .unwrap();
        assert_eq!(
            (last["shard"].as_u64(), last["shards"].as_u64()),
            (Some(k as u64), Some(3))
        );
        let (files, lines, bytes) = total(run);
        sum = (sum.0 + files, sum.1 + lines, sum.2 + bytes);
    }
    assert_eq!(sum, whole);
}

#[test]
fn files_named_on_the_command_line_are_sharded_by_name() {
    let env = TestEnv::new();
    let names: Vec<String> = (0..12).map(|i| format!("f{i}.log")).collect();
    for name in &names {
        env.write(name, format!("{name}\n"));
    }
    let mut printed = Vec::new();
    for k in 0..3 {
        let shard = format!("{k}/3");
        let mut args = vec!["hash", "--shard", &shard];
        args.extend(names.iter().map(String::as_str));
        let run = env.run(&args);
        run.assert_code(0);
        printed.extend(stdout_lines(&run));
    }
    let mut args = vec!["hash"];
    args.extend(names.iter().map(String::as_str));
    let whole = env.run(&args);
    assert_eq!(printed.len(), names.len());
    assert_eq!(
        printed.into_iter().collect::<BTreeSet<_>>(),
        stdout_lines(&whole)
    );
}

/// The `--json` summary of `hash --json --shard auto logs` run with `vars` set.
fn auto_summary(env: &TestEnv, extra: &[&str], vars: &[(&str, &str)]) -> Run {
    let mut args = vec!["hash", "--json", "--shard", "auto"];
    args.extend_from_slice(extra);
    args.push("logs");
    let mut command = env.command(&args);
    command.envs(vars.iter().copied());
    Run::from_output(command.stdin(Stdio::null()).output().unwrap())
}

fn shard_of_summary(run: &Run) -> (u64, u64) {
    run.assert_code(0);
    let last: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&run.stdout).lines().last().unwrap()).unwrap();
    assert_eq!(last["type"], "summary");
    (
        last["shard"].as_u64().unwrap(),
        last["shards"].as_u64().unwrap(),
    )
}

#[test]
fn auto_takes_the_shard_from_each_job_engine() {
    let env = TestEnv::new();
    sample_tree(&env, "logs", 10);
    let slurm = [
        ("SLURM_ARRAY_TASK_ID", "7"),
        ("SLURM_ARRAY_TASK_MIN", "1"),
        ("SLURM_ARRAY_TASK_STEP", "2"),
        ("SLURM_ARRAY_TASK_COUNT", "8"),
    ];
    assert_eq!(shard_of_summary(&auto_summary(&env, &[], &slurm)), (3, 8));
    let k8s = [("JOB_COMPLETION_INDEX", "4"), ("ASYNCFILES_SHARDS", "6")];
    assert_eq!(shard_of_summary(&auto_summary(&env, &[], &k8s)), (4, 6));
    let aws = [("AWS_BATCH_JOB_ARRAY_INDEX", "0")];
    assert_eq!(
        shard_of_summary(&auto_summary(&env, &["--shards", "3"], &aws)),
        (0, 3)
    );
    let parallel = [("PARALLEL_SEQ", "2"), ("ASYNCFILES_SHARDS", "2")];
    assert_eq!(
        shard_of_summary(&auto_summary(&env, &[], &parallel)),
        (1, 2)
    );
    // The same files as the explicit K/N.
    let explicit = env.run(&["hash", "--json", "--shard", "1/2", "logs"]);
    let auto = auto_summary(&env, &[], &parallel);
    let files = |run: &Run| -> Vec<String> {
        String::from_utf8_lossy(&run.stdout)
            .lines()
            .filter(|line| !line.contains("\"summary\""))
            .map(|line| {
                serde_json::from_str::<serde_json::Value>(line).unwrap()["path"].to_string()
            })
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    };
    assert_eq!(files(&auto), files(&explicit));
}

/// Flags, environment variables, and the message they get.
type UsageCase<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);

#[test]
fn bad_shards_are_usage_errors_before_anything_is_written() {
    let env = TestEnv::new();
    sample_tree(&env, "in", 5);
    let cases: [UsageCase; 8] = [
        (
            &["--shard", "3/3"],
            &[],
            "asyncfiles: --shard \"3/3\": K must be from 0 to 2 (shards count from 0)",
        ),
        (
            &["--shard", "0/0"],
            &[],
            "asyncfiles: --shard \"0/0\": the number of shards must be at least 1",
        ),
        (
            &["--shard", "half"],
            &[],
            "asyncfiles: --shard \"half\": expected K/N (shard K of N, from 0), or auto",
        ),
        (
            &["--shard", "auto"],
            &[],
            "asyncfiles: --shard auto: no job engine's index in the environment (looked for SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX, AWS_BATCH_JOB_ARRAY_INDEX, PARALLEL_SEQ); give --shard K/N",
        ),
        (
            &["--shard", "auto"],
            &[("JOB_COMPLETION_INDEX", "2")],
            "asyncfiles: --shard auto: JOB_COMPLETION_INDEX gives the shard's index but not the number of shards: give --shards N or set ASYNCFILES_SHARDS",
        ),
        (
            &["--shard", "auto", "--shards", "2"],
            &[("JOB_COMPLETION_INDEX", "2")],
            "asyncfiles: --shard auto: JOB_COMPLETION_INDEX gives shard 2, but there are only 2 shards (0 to 1)",
        ),
        (
            &["--shard", "auto"],
            &[("SLURM_ARRAY_TASK_ID", "x")],
            "asyncfiles: --shard auto: SLURM_ARRAY_TASK_ID=\"x\" is not a number",
        ),
        (
            &["--shard", "1/4"],
            &[("ASYNCFILES_SHARDS", "8")],
            "asyncfiles: --shard 1/4 but ASYNCFILES_SHARDS is 8: give the number of shards once",
        ),
    ];
    for (flags, vars, message) in cases {
        let mut args = vec!["convert", "--manifest", "m.b3"];
        args.extend_from_slice(flags);
        args.extend(["in", "out"]);
        let mut command = env.command(&args);
        command.envs(vars.iter().copied());
        let run = Run::from_output(command.stdin(Stdio::null()).output().unwrap());
        run.assert_code(2).assert_stderr(&[message]);
        assert!(run.stdout.is_empty());
        assert!(
            !env.path("out").exists() && !env.path("m.b3").exists(),
            "{flags:?}"
        );
    }
    env.run(&[
        "convert",
        "--shard",
        "0/2",
        "in/app0/day0/host-0.log.gz",
        "x.log",
    ])
    .assert_code(2)
    .assert_stderr(&[
        "asyncfiles: --shard splits the files of a directory tree: IN must be a directory",
    ]);
    env.run_with_stdin(&["hash", "--shard", "0/2", "-"], b"x")
        .assert_code(2)
        .assert_stderr(&[
            "asyncfiles: --shard splits files by name: - is a stream, which cannot be split",
        ]);
    let mut same_name = env.command(&[
        "convert",
        "--shard",
        "auto",
        "--manifest",
        "m.b3",
        "in",
        "out",
    ]);
    same_name
        .env("JOB_COMPLETION_INDEX", "1")
        .env("ASYNCFILES_SHARDS", "2");
    Run::from_output(same_name.stdin(Stdio::null()).output().unwrap())
        .assert_code(2)
        .assert_stderr(&[
            "asyncfiles: --manifest m.b3: every shard would write this file: put %K in its name \
             (e.g. manifests/shard-%K.b3), and merge them with `asyncfiles hash --merge`",
        ]);
    assert!(!env.path("out").exists());
    // A line written per shard (GNU parallel's {}) names its manifest itself.
    env.run(&[
        "convert",
        "--shard",
        "1/2",
        "--manifest",
        "m-1.b3",
        "in",
        "out",
    ])
    .assert_code(0);
    let shards_alone = env.run(&["hash", "--shards", "2", "in"]);
    shards_alone.assert_code(2);
    assert!(
        shards_alone.stderr.contains("--shard <K/N|auto>"),
        "{}",
        shards_alone.stderr
    );
}

#[test]
fn an_incremental_rerun_of_a_shard_redoes_only_its_unfinished_files() {
    let env = TestEnv::new();
    sample_tree(&env, "in", 30);
    let first = env.run(&[
        "convert", "--json", "--shard", "1/2", "--to", "gz", "in", "out",
    ]);
    first.assert_code(0);
    let mine: Vec<serde_json::Value> = String::from_utf8_lossy(&first.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .filter(|object: &serde_json::Value| object["status"] == "ok")
        .collect();
    assert!(mine.len() > 5, "{}", mine.len());
    // The shard's node died after its first outputs: two are missing.
    let lost: Vec<String> = mine[..2]
        .iter()
        .map(|o| o["output"].as_str().unwrap().to_owned())
        .collect();
    for output in &lost {
        fs::remove_file(env.path(output)).unwrap();
    }
    let rerun = env.run(&[
        "convert",
        "--json",
        "--incremental",
        "--shard",
        "1/2",
        "--to",
        "gz",
        "in",
        "out",
    ]);
    rerun.assert_code(0);
    let objects: Vec<serde_json::Value> = String::from_utf8_lossy(&rerun.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let redone: BTreeSet<String> = objects
        .iter()
        .filter(|o| o["status"] == "ok")
        .map(|o| o["output"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(redone, lost.into_iter().collect());
    let skipped = objects.iter().filter(|o| o["status"] == "skipped").count();
    assert_eq!(
        skipped,
        mine.len() - 2,
        "only this shard's files are looked at"
    );
}

#[test]
fn a_shard_never_opens_or_stats_another_shards_files() {
    let env = TestEnv::new();
    sample_tree(&env, "in", 40);
    // With --to none, rival names are looked up: the check must stay within the shard too.
    for (command, key_of) in [("convert", "output"), ("hash", "path")] {
        for k in 0..3u32 {
            let shard = format!("{k}/3");
            let args: Vec<&str> = match command {
                "convert" => vec![
                    "convert", "--json", "--shard", &shard, "--to", "none", "in", "out",
                ],
                _ => vec!["hash", "--json", "--shard", &shard, "in"],
            };
            let run = env.run(&args);
            run.assert_code(0);
            let ours: BTreeSet<String> = String::from_utf8_lossy(&run.stdout)
                .lines()
                .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
                .filter(|o| o["status"] == "ok")
                .map(|o| o["path"].as_str().unwrap().to_owned())
                .collect();
            assert!(!ours.is_empty(), "{key_of}");
            let trace = common::traced_paths(&env, &args);
            let everything = common::tree(&env.path("in"));
            let mut checked = 0;
            for rel in everything.keys() {
                let path = format!("in/{}", rel.display());
                let file_name = rel.file_name().unwrap().to_string_lossy().into_owned();
                if ours.contains(&path) {
                    assert!(
                        trace.contains(&format!("/{file_name}\"")),
                        "{path} is ours but never opened"
                    );
                } else {
                    checked += 1;
                    assert!(
                        !trace.contains(&format!("/{file_name}\"")),
                        "{command} --shard {shard} looked at {path}, another shard's:\n{}",
                        trace
                            .lines()
                            .filter(|l| l.contains(&file_name))
                            .collect::<Vec<_>>()
                            .join("\n")
                    );
                }
            }
            assert!(checked > 10);
        }
        let _ = fs::remove_dir_all(env.path("out"));
    }
}

#[test]
fn shards_run_by_gnu_parallel_match_the_unsharded_run() {
    let env = TestEnv::new();
    sample_tree(&env, "in", 40);
    env.run(&[
        "convert",
        "--to",
        "xz",
        "--manifest",
        "whole.b3",
        "in",
        "whole",
    ])
    .assert_code(0);
    fs::create_dir_all(env.path("m")).unwrap();
    let binary = env!("CARGO_BIN_EXE_asyncfiles");
    // As the README's recipe: one job per shard, K from GNU parallel's own job number.
    let mut parallel = Command::new("parallel");
    let status = common::isolate(&mut parallel)
        .args([
            "--will-cite",
            "--halt",
            "now,fail=1",
            "-j",
            "4",
            "-N0",
            "--env",
            "ASYNCFILES_SHARDS",
        ])
        .arg(format!(
            "{binary} convert --shard auto --to xz --manifest m/shard-%K.b3 in out"
        ))
        .args([":::", "1", "2", "3", "4", "5"])
        .env("ASYNCFILES_SHARDS", "5")
        .current_dir(env.root())
        .stdin(Stdio::null())
        .status()
        .unwrap_or_else(|e| {
            panic!("GNU parallel is needed for this test (.ci/run installs it): {e}")
        });
    assert!(status.success());
    assert_eq!(env.tree("out"), env.tree("whole"));
    let merged = env.run(&[
        "hash",
        "--merge",
        "m/shard-0.b3",
        "m/shard-1.b3",
        "m/shard-2.b3",
        "m/shard-3.b3",
        "m/shard-4.b3",
    ]);
    merged.assert_code(0).assert_stdout(&env.read("whole.b3"));
}

#[test]
fn a_finished_shard_leaves_read_only_directories_writable_for_the_others() {
    use std::os::unix::fs::PermissionsExt;
    let env = TestEnv::new();
    for i in 0..12 {
        env.write(&format!("in/ro/f{i}.log"), format!("{i}\n"));
    }
    let mode = |path: &Path| fs::metadata(path).unwrap().permissions().mode() & 0o7777;
    fs::set_permissions(env.path("in/ro"), fs::Permissions::from_mode(0o555)).unwrap();
    // One shard after the other, as when one node is faster: the first must not lock the
    // second out of out/ro (0555 without --shard).
    for k in 0..2 {
        let shard = format!("{k}/2");
        env.run(&["convert", "--shard", &shard, "in", "out"])
            .assert_code(0);
        assert_eq!(mode(&env.path("out/ro")), 0o755, "after shard {k}");
    }
    assert_eq!(env.tree("out"), env.tree("in"));
    env.run(&["convert", "in", "whole"]).assert_code(0);
    assert_eq!(
        mode(&env.path("whole/ro")),
        0o555,
        "one run gives the exact mode"
    );
    fs::set_permissions(env.path("in/ro"), fs::Permissions::from_mode(0o755)).unwrap();
    fs::set_permissions(env.path("whole/ro"), fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn a_files_from_list_is_sharded_like_the_walk() {
    let env = TestEnv::new();
    sample_tree(&env, "in", 30);
    let walked: Vec<BTreeSet<String>> = (0..3).map(|k| plan(&env, k, 3)).collect();
    let list: String = common::tree(&env.path("in"))
        .keys()
        .map(|rel| format!("./{}\n", rel.display()))
        .collect();
    env.write("list.txt", list);
    for (k, walked) in walked.iter().enumerate() {
        let shard = format!("{k}/3");
        let run = env.run(&[
            "convert",
            "-n",
            "--shard",
            &shard,
            "--to",
            "none",
            "--files-from",
            "list.txt",
            "in",
            "out",
        ]);
        run.assert_code(0);
        assert_eq!(&stdout_lines(&run), walked, "shard {k}");
    }
    // A bad entry is one shard's too: reported once across the shards, not N times.
    env.write("bad.txt", "../outside.log\nmissing.log\n");
    let mut reports = Vec::new();
    for k in 0..3u32 {
        let shard = format!("{k}/3");
        let run = env.run(&[
            "convert",
            "-q",
            "--shard",
            &shard,
            "--files-from",
            "bad.txt",
            "in",
            "out",
        ]);
        reports.extend(run.stderr.lines().map(str::to_owned));
    }
    reports.sort();
    assert_eq!(
        reports,
        [
            "asyncfiles: ../outside.log: listed paths must be relative to IN and stay inside it",
            "asyncfiles: in/missing.log: No such file or directory",
        ]
    );
}

#[test]
fn the_manifests_directory_is_created_before_the_work_and_a_bad_one_is_fatal() {
    let env = TestEnv::new();
    sample_tree(&env, "in", 6);
    for k in 0..2 {
        let shard = format!("{k}/2");
        env.run(&[
            "convert",
            "--shard",
            &shard,
            "--manifest",
            "runs/m/shard-%K-of-%N.b3",
            "in",
            "out",
        ])
        .assert_code(0);
    }
    let merged = env.run(&[
        "hash",
        "--merge",
        "runs/m/shard-0-of-2.b3",
        "runs/m/shard-1-of-2.b3",
    ]);
    merged.assert_code(0);
    env.run(&["convert", "--manifest", "whole.b3", "in", "whole"])
        .assert_code(0);
    merged.assert_stdout(&env.read("whole.b3"));
    env.write("file", "not a directory\n");
    env.run(&[
        "convert",
        "--shard",
        "0/2",
        "--manifest",
        "file/m-%K.b3",
        "in",
        "out2",
    ])
    .assert_code(2)
    .assert_stderr(&[
        "asyncfiles: file: cannot create the manifest's directory: File exists (os error 17)",
    ]);
    assert!(!env.path("out2").exists(), "nothing written");
    env.run(&["convert", "-n", "--manifest", "dry/m.b3", "in", "out3"])
        .assert_code(0);
    assert!(!env.path("dry").exists(), "a dry run creates nothing");
}
