//! `--shard K/N`: one run split into N pieces that any machine computes alone.
//!
//! A file's shard is a fixed function of one path, its *shard key*: for `convert` the output
//! path relative to OUT (so that `a.log` and `a.log.gz`, both written as `a.log` with
//! `--to none`, land in the same shard and the conflict check sees both); for `hash` and
//! `stats` the path as printed. The function, for anyone who wants to reproduce it:
//!
//! 1. `h` = the first 8 bytes of the BLAKE3 hash of the key's bytes (`/` between components;
//!    `convert`'s output path has no leading `./`, a printed path is taken byte for byte), read
//!    as a little-endian 64-bit integer
//!    (`printf %s KEY | b3sum -l 8 --no-names`, byte-reversed);
//! 2. shard = the jump consistent hash of `h` into N buckets (Lamping and Veach, "A Fast,
//!    Minimal Memory, Consistent Hash Algorithm", 2014), in IEEE double arithmetic as in their
//!    reference code ([`jump`]).
//!
//! So a file's shard depends on its own name and N alone: adding or removing files never moves
//! another, and going from N to N+1 shards moves about 1/(N+1) of the files, all into the new
//! shard. `--shard auto` takes K and N from a job engine's environment ([`Shard::from_env`]).

use std::ffi::OsStr;
use std::fmt;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use anyhow::{Result, anyhow, bail};

/// The variable that gives N to `--shard auto` where the engine exports only the index.
pub const SHARDS_ENV: &str = "ASYNCFILES_SHARDS";

/// The engines' index variables `--shard auto` looks for, in this order.
pub const INDEX_VARIABLES: [&str; 4] = [
    "SLURM_ARRAY_TASK_ID",
    "JOB_COMPLETION_INDEX",
    "AWS_BATCH_JOB_ARRAY_INDEX",
    "PARALLEL_SEQ",
];

/// This process's piece of the run: shard `index` of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    index: u32,
    count: u32,
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    /// Shard `index` of `count`; `None` unless `index < count`.
    pub fn new(index: u32, count: u32) -> Option<Self> {
        (index < count).then_some(Self { index, count })
    }

    /// K, from 0.
    pub fn index(&self) -> u32 {
        self.index
    }

    /// N.
    pub fn count(&self) -> u32 {
        self.count
    }

    /// Checks `--shard`'s value (`K/N` or `auto`) with `--shards` (or [`SHARDS_ENV`]) and, for
    /// `auto`, the environment `var` reads. Every error is a usage error.
    pub fn from_args(
        value: &str,
        shards: Option<&str>,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<Self> {
        let shards = match shards {
            Some(text) => Some(("--shards", text.to_owned())),
            None => var(SHARDS_ENV).map(|text| (SHARDS_ENV, text)),
        };
        let shards = match shards {
            Some((from, text)) => Some((
                from,
                parse_count(&text).map_err(|e| anyhow!("{from}: {e}"))?,
            )),
            None => None,
        };
        if value == "auto" {
            return Self::from_env(shards, var);
        }
        let shard = parse_fraction(value).map_err(|e| anyhow!("--shard {value:?}: {e}"))?;
        if let Some((from, count)) = shards.filter(|(_, count)| *count != shard.count) {
            bail!("--shard {shard} but {from} is {count}: give the number of shards once");
        }
        Ok(shard)
    }

    /// `--shard auto`: the first engine whose index variable is set (see [`INDEX_VARIABLES`]);
    /// N from Slurm's own count, else from `shards` (`--shards` or [`SHARDS_ENV`]).
    fn from_env(
        shards: Option<(&'static str, u32)>,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<Self> {
        let number = |name: &str| -> Result<Option<u32>> {
            match var(name) {
                None => Ok(None),
                Some(text) => text
                    .trim()
                    .parse::<u32>()
                    .map(Some)
                    .map_err(|_| anyhow!("--shard auto: {name}={text:?} is not a number")),
            }
        };
        let count_from_flag = |engine_var: &str| {
            shards.map(|(_, count)| count).ok_or_else(|| {
                anyhow!(
                    "--shard auto: {engine_var} gives the shard's index but not the number of \
                     shards: give --shards N or set {SHARDS_ENV}"
                )
            })
        };
        let (index, count, what) = if let Some(id) = number("SLURM_ARRAY_TASK_ID")? {
            let (index, count) = slurm_shard(id, &number, shards)?;
            (index, count, "SLURM_ARRAY_TASK_ID")
        } else if let Some(index) = number("JOB_COMPLETION_INDEX")? {
            (
                index,
                count_from_flag("JOB_COMPLETION_INDEX")?,
                "JOB_COMPLETION_INDEX",
            )
        } else if let Some(index) = number("AWS_BATCH_JOB_ARRAY_INDEX")? {
            let count = count_from_flag("AWS_BATCH_JOB_ARRAY_INDEX")?;
            (index, count, "AWS_BATCH_JOB_ARRAY_INDEX")
        } else if let Some(seq) = number("PARALLEL_SEQ")? {
            // GNU parallel counts its jobs from 1.
            let count = count_from_flag("PARALLEL_SEQ")?;
            if seq == 0 {
                bail!("--shard auto: PARALLEL_SEQ=0: GNU parallel counts jobs from 1");
            }
            (seq - 1, count, "PARALLEL_SEQ")
        } else {
            bail!(
                "--shard auto: no job engine's index in the environment (looked for {}); \
                 give --shard K/N",
                INDEX_VARIABLES.join(", ")
            );
        };
        if count == 0 {
            bail!("--shard auto: the number of shards is 0");
        }
        Self::new(index, count).ok_or_else(|| {
            anyhow!("--shard auto: {what} gives shard {index}, but there are only {count} shards (0 to {})", count - 1)
        })
    }

    /// Whether the file whose shard key is `key` belongs to this shard.
    pub fn owns(&self, key: &Path) -> bool {
        self.count == 1 || shard_of(key.as_os_str(), self.count) == self.index
    }
}

/// K and N of Slurm array task `id`.
///
/// Without N given (`shards`), K is the task's place in the array (`(ID - MIN) / STEP`) and N
/// the array's size (`SLURM_ARRAY_TASK_COUNT`), so the array must be the whole split, evenly
/// spaced to its end: some tasks resubmitted (`sbatch --array=3`, `--array=3,7`) are told of a
/// smaller array, and would silently take the shards of another split. They are refused.
///
/// With N given, the task ID is K (the array numbered from 0), so that resubmitted tasks take
/// the shards they had. `number` reads a variable.
fn slurm_shard(
    id: u32,
    number: &dyn Fn(&str) -> Result<Option<u32>>,
    shards: Option<(&'static str, u32)>,
) -> Result<(u32, u32)> {
    let min = number("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
    let array = number("SLURM_ARRAY_TASK_COUNT")?;
    if let Some((from, count)) = shards {
        if array == Some(count) && min != 0 {
            bail!(
                "--shard auto: {from} is {count} and the array has {count} tasks from {min}: \
                 with the number of shards given, SLURM_ARRAY_TASK_ID is the shard, so number \
                 the array from 0 (--array=0-{})",
                count - 1
            );
        }
        if id >= count {
            bail!(
                "--shard auto: SLURM_ARRAY_TASK_ID={id}, but {from} is {count}: with the number \
                 of shards given, the task ID is the shard, from 0 to {}",
                count - 1
            );
        }
        return Ok((id, count));
    }
    let Some(count) = array else {
        bail!(
            "--shard auto: SLURM_ARRAY_TASK_ID is set but not SLURM_ARRAY_TASK_COUNT: give \
             --shards N or set {SHARDS_ENV}"
        );
    };
    let max = number("SLURM_ARRAY_TASK_MAX")?;
    let step = number("SLURM_ARRAY_TASK_STEP")?.unwrap_or(1).max(1);
    let last = u64::from(min) + u64::from(count.saturating_sub(1)) * u64::from(step);
    let whole_split = count > 1 && max.is_none_or(|max| u64::from(max) == last);
    if id < min || (id - min) % step != 0 || !whole_split {
        bail!(
            "--shard auto: SLURM_ARRAY_TASK_ID={id} is in an array of {count} task(s) from {min} \
             by {step}{}, which is not a whole split (tasks resubmitted?): give the number of \
             shards (--shards N or {SHARDS_ENV}; the task ID is then the shard), or --shard K/N",
            max.map_or_else(String::new, |max| format!(" to {max}"))
        );
    }
    Ok(((id - min) / step, count))
}

/// `K/N` with 0 <= K < N.
fn parse_fraction(text: &str) -> Result<Shard> {
    let Some((index, count)) = text.split_once('/') else {
        bail!("expected K/N (shard K of N, from 0), or auto");
    };
    let count = parse_count(count)?;
    let index: u32 = index
        .trim()
        .parse()
        .map_err(|_| anyhow!("K is not a number from 0 to {}", count - 1))?;
    Shard::new(index, count)
        .ok_or_else(|| anyhow!("K must be from 0 to {} (shards count from 0)", count - 1))
}

/// N: a number from 1.
fn parse_count(text: &str) -> Result<u32> {
    match text.trim().parse::<u32>() {
        Ok(0) => bail!("the number of shards must be at least 1"),
        Ok(count) => Ok(count),
        Err(_) => bail!("{text:?} is not a number of shards"),
    }
}

/// The shard, of `count`, of the file with shard key `key` (see the module doc).
pub fn shard_of(key: &OsStr, count: u32) -> u32 {
    jump(key_hash(key.as_bytes()), count)
}

/// The first 8 bytes of the key's BLAKE3 hash, little-endian.
fn key_hash(key: &[u8]) -> u64 {
    let hash = blake3::hash(key);
    let mut first = [0; 8];
    first.copy_from_slice(&hash.as_bytes()[..8]);
    u64::from_le_bytes(first)
}

/// Jump consistent hash: the bucket of `key` among `buckets` (Lamping and Veach, 2014).
fn jump(mut key: u64, buckets: u32) -> u32 {
    let (mut bucket, mut next): (i64, i64) = (-1, 0);
    while next < i64::from(buckets) {
        bucket = next;
        key = key.wrapping_mul(2_862_933_555_777_941_757).wrapping_add(1);
        next = ((bucket + 1) as f64 * ((1u64 << 31) as f64 / ((key >> 33) + 1) as f64)) as i64;
    }
    bucket as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    fn parse(value: &str, shards: Option<&str>, pairs: &[(&str, &str)]) -> Result<Shard, String> {
        Shard::from_args(value, shards, env(pairs)).map_err(|e| format!("{e:#}"))
    }

    #[test]
    fn jump_matches_the_reference_implementation() {
        // Printed by the paper's C++ function compiled with gcc.
        let known: [(u64, u32, u32); 12] = [
            (1, 1, 0),
            (1, 10, 6),
            (1, 100, 55),
            (1, 1000, 549),
            (0xDEAD_BEEF, 10, 5),
            (0xDEAD_BEEF, 100, 87),
            (0xDEAD_BEEF, 1000, 285),
            (0x0DDC_0FFE_EBAD_F00D, 10, 2),
            (0x0DDC_0FFE_EBAD_F00D, 1000, 113),
            (u64::MAX, 10, 9),
            (u64::MAX, 1000, 313),
            (u64::MAX, 7, 2),
        ];
        for (key, buckets, bucket) in known {
            assert_eq!(jump(key, buckets), bucket, "jump({key:#x}, {buckets})");
        }
    }

    #[test]
    fn key_hash_is_blake3s_first_eight_bytes_little_endian() {
        // printf %s app/a.log | b3sum: its first 16 hex digits, read as bytes in order.
        let hex = blake3::hash(b"app/a.log").to_hex();
        let bytes: Vec<u8> = (0..8)
            .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
            .collect();
        assert_eq!(
            key_hash(b"app/a.log"),
            u64::from_le_bytes(bytes.try_into().unwrap())
        );
    }

    #[test]
    fn fractions_are_checked() {
        assert_eq!(parse("0/1", None, &[]), Ok(Shard::new(0, 1).unwrap()));
        assert_eq!(parse("6/7", None, &[]), Ok(Shard::new(6, 7).unwrap()));
        for (bad, message) in [
            (
                "7/7",
                "--shard \"7/7\": K must be from 0 to 6 (shards count from 0)",
            ),
            (
                "0/0",
                "--shard \"0/0\": the number of shards must be at least 1",
            ),
            (
                "3",
                "--shard \"3\": expected K/N (shard K of N, from 0), or auto",
            ),
            ("a/4", "--shard \"a/4\": K is not a number from 0 to 3"),
            ("-1/4", "--shard \"-1/4\": K is not a number from 0 to 3"),
            ("1/x", "--shard \"1/x\": \"x\" is not a number of shards"),
        ] {
            assert_eq!(parse(bad, None, &[]).unwrap_err(), message);
        }
        assert_eq!(
            parse("1/4", Some("8"), &[]).unwrap_err(),
            "--shard 1/4 but --shards is 8: give the number of shards once"
        );
        assert_eq!(
            parse("1/4", None, &[(SHARDS_ENV, "8")]).unwrap_err(),
            "--shard 1/4 but ASYNCFILES_SHARDS is 8: give the number of shards once"
        );
        assert_eq!(parse("1/4", Some("4"), &[]), Ok(Shard::new(1, 4).unwrap()));
    }

    #[test]
    fn auto_reads_each_engine() {
        let slurm = [
            ("SLURM_ARRAY_TASK_ID", "14"),
            ("SLURM_ARRAY_TASK_MIN", "10"),
            ("SLURM_ARRAY_TASK_STEP", "2"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ];
        assert_eq!(parse("auto", None, &slurm), Ok(Shard::new(2, 4).unwrap()));
        let k8s = [("JOB_COMPLETION_INDEX", "3")];
        assert_eq!(
            parse("auto", Some("5"), &k8s),
            Ok(Shard::new(3, 5).unwrap())
        );
        let aws = [("AWS_BATCH_JOB_ARRAY_INDEX", "0"), (SHARDS_ENV, "2")];
        assert_eq!(parse("auto", None, &aws), Ok(Shard::new(0, 2).unwrap()));
        let parallel = [("PARALLEL_SEQ", "3"), (SHARDS_ENV, "3")];
        assert_eq!(
            parse("auto", None, &parallel),
            Ok(Shard::new(2, 3).unwrap())
        );
    }

    #[test]
    fn auto_without_a_usable_environment_says_what_it_looked_for() {
        assert_eq!(
            parse("auto", None, &[]).unwrap_err(),
            "--shard auto: no job engine's index in the environment (looked for \
             SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX, AWS_BATCH_JOB_ARRAY_INDEX, PARALLEL_SEQ); \
             give --shard K/N"
        );
        assert_eq!(
            parse("auto", None, &[("JOB_COMPLETION_INDEX", "1")]).unwrap_err(),
            "--shard auto: JOB_COMPLETION_INDEX gives the shard's index but not the number of \
             shards: give --shards N or set ASYNCFILES_SHARDS"
        );
        assert_eq!(
            parse("auto", Some("4"), &[("JOB_COMPLETION_INDEX", "4")]).unwrap_err(),
            "--shard auto: JOB_COMPLETION_INDEX gives shard 4, but there are only 4 shards (0 to 3)"
        );
        assert_eq!(
            parse("auto", None, &[("JOB_COMPLETION_INDEX", "x")]).unwrap_err(),
            "--shard auto: JOB_COMPLETION_INDEX=\"x\" is not a number"
        );
        assert_eq!(
            parse("auto", Some("0"), &[("JOB_COMPLETION_INDEX", "0")]).unwrap_err(),
            "--shards: the number of shards must be at least 1"
        );
        let uneven = [
            ("SLURM_ARRAY_TASK_ID", "3"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_STEP", "2"),
            ("SLURM_ARRAY_TASK_COUNT", "3"),
        ];
        assert_eq!(parse("auto", None, &uneven), Ok(Shard::new(1, 3).unwrap()));
        let off_step = [("SLURM_ARRAY_TASK_ID", "2"), ("SLURM_ARRAY_TASK_MIN", "1")]
            .into_iter()
            .chain([
                ("SLURM_ARRAY_TASK_STEP", "2"),
                ("SLURM_ARRAY_TASK_COUNT", "3"),
            ])
            .collect::<Vec<_>>();
        let refused = |text: String| {
            assert!(
                text.contains(
                    "which is not a whole split (tasks resubmitted?): give the \
                number of shards (--shards N or ASYNCFILES_SHARDS; the task ID is then the \
                shard), or --shard K/N"
                ),
                "{text}"
            );
            text
        };
        assert!(
            refused(parse("auto", None, &off_step).unwrap_err()).starts_with(
                "--shard auto: SLURM_ARRAY_TASK_ID=2 is in an array of 3 task(s) from 1 by 2, "
            )
        );
        // `sbatch --array=3 convert.sh`, even `--array=0`: one task of a larger split, alone.
        for id in ["3", "0"] {
            let alone = [
                ("SLURM_ARRAY_TASK_ID", id),
                ("SLURM_ARRAY_TASK_MIN", id),
                ("SLURM_ARRAY_TASK_MAX", id),
                ("SLURM_ARRAY_TASK_STEP", "1"),
                ("SLURM_ARRAY_TASK_COUNT", "1"),
            ];
            let message = refused(parse("auto", None, &alone).unwrap_err());
            assert!(
                message.contains(&format!("an array of 1 task(s) from {id} by 1 to {id},")),
                "{message}"
            );
            // With N given, the task ID is the shard: the resubmitted task takes its own.
            assert_eq!(
                parse("auto", Some("16"), &alone),
                Ok(Shard::new(id.parse().unwrap(), 16).unwrap())
            );
        }
        // `--array=3,7`: not evenly spaced to its end; with N given, shards 3 and 7.
        let list = [
            ("SLURM_ARRAY_TASK_ID", "7"),
            ("SLURM_ARRAY_TASK_MIN", "3"),
            ("SLURM_ARRAY_TASK_MAX", "7"),
            ("SLURM_ARRAY_TASK_STEP", "1"),
            ("SLURM_ARRAY_TASK_COUNT", "2"),
        ];
        refused(parse("auto", None, &list).unwrap_err());
        let pinned = [(SHARDS_ENV, "16")];
        let list_pinned: Vec<_> = list.iter().chain(&pinned).copied().collect();
        assert_eq!(
            parse("auto", None, &list_pinned),
            Ok(Shard::new(7, 16).unwrap())
        );
        // A throttled range (`--array=0-15%4`) is a whole split.
        let throttled = [
            ("SLURM_ARRAY_TASK_ID", "15"),
            ("SLURM_ARRAY_TASK_MIN", "0"),
            ("SLURM_ARRAY_TASK_MAX", "15"),
            ("SLURM_ARRAY_TASK_STEP", "1"),
            ("SLURM_ARRAY_TASK_COUNT", "16"),
        ];
        assert_eq!(
            parse("auto", None, &throttled),
            Ok(Shard::new(15, 16).unwrap())
        );
        assert_eq!(
            parse("auto", Some("16"), &throttled),
            Ok(Shard::new(15, 16).unwrap())
        );
        // With N given, a whole array numbered from 1 would skip shard 0: refused.
        let from_one = [
            ("SLURM_ARRAY_TASK_ID", "1"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_MAX", "16"),
            ("SLURM_ARRAY_TASK_COUNT", "16"),
        ];
        assert_eq!(
            parse("auto", Some("16"), &from_one).unwrap_err(),
            "--shard auto: --shards is 16 and the array has 16 tasks from 1: with the number of \
             shards given, SLURM_ARRAY_TASK_ID is the shard, so number the array from 0 \
             (--array=0-15)"
        );
        assert_eq!(
            parse("auto", None, &from_one),
            Ok(Shard::new(0, 16).unwrap())
        );
        let beyond = [
            ("SLURM_ARRAY_TASK_ID", "8"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ];
        assert_eq!(
            parse("auto", Some("8"), &beyond).unwrap_err(),
            "--shard auto: SLURM_ARRAY_TASK_ID=8, but --shards is 8: with the number of shards \
             given, the task ID is the shard, from 0 to 7"
        );
        assert_eq!(
            parse("auto", None, &[("SLURM_ARRAY_TASK_ID", "0")]).unwrap_err(),
            "--shard auto: SLURM_ARRAY_TASK_ID is set but not SLURM_ARRAY_TASK_COUNT: give \
             --shards N or set ASYNCFILES_SHARDS"
        );
    }

    fn path_set() -> impl Strategy<Value = Vec<String>> {
        proptest::collection::hash_set("[a-z]{1,3}(/[a-z0-9._-]{1,8}){0,3}", 1..200)
            .prop_map(|set| set.into_iter().collect())
    }

    proptest! {
        #[test]
        fn shards_are_disjoint_and_cover_everything_and_grow_minimally(
            paths in path_set(),
            count in 1u32..=9,
        ) {
            let shards: Vec<Shard> = (0..count).map(|k| Shard::new(k, count).unwrap()).collect();
            for path in &paths {
                let owners = shards.iter().filter(|s| s.owns(Path::new(path))).count();
                prop_assert_eq!(owners, 1, "{} has {} owners", path, owners);
            }
            // One more shard: files only ever move into the new one.
            for path in &paths {
                let (old, new) = (shard_of(OsStr::new(path), count), shard_of(OsStr::new(path), count + 1));
                prop_assert!(new == old || new == count, "{} moved from {} to {}", path, old, new);
            }
        }
    }

    #[test]
    fn one_more_shard_moves_about_one_file_in_n_plus_one() {
        let paths: Vec<String> = (0..20_000).map(|i| format!("app/{i}/x.log.gz")).collect();
        for count in 1..=9u32 {
            let moved = paths
                .iter()
                .filter(|p| shard_of(OsStr::new(p), count) != shard_of(OsStr::new(p), count + 1))
                .count();
            let expected = paths.len() as f64 / f64::from(count + 1);
            let off = (moved as f64 - expected).abs() / expected;
            assert!(
                off < 0.1,
                "N={count}: {moved} moved, {expected:.0} expected"
            );
            // And the shards are balanced.
            let mut sizes = vec![0usize; count as usize];
            for path in &paths {
                sizes[shard_of(OsStr::new(path), count) as usize] += 1;
            }
            let mean = paths.len() as f64 / f64::from(count);
            for size in sizes {
                assert!(
                    (size as f64 - mean).abs() / mean < 0.1,
                    "N={count}: {size} vs {mean}"
                );
            }
        }
    }
}
