//! `convert --from/--to/--level`: every format pair against the reference tools, detection by
//! content, multi-member inputs, output names and conflicts, corrupt and truncated inputs.
//!
//! The reference tools (gzip, zstd, xz, bzip2, brotli) are installed by `.ci/run`.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{TestEnv, filter, fixtures, tree};

/// A format as the tests see it: its `--to` name, extension and reference tool.
#[derive(Debug, Clone, Copy)]
struct Format {
    flag: &'static str,
    extension: &'static str,
    tool: &'static str,
}

const FORMATS: [Format; 5] = [
    Format {
        flag: "gz",
        extension: "gz",
        tool: "gzip",
    },
    Format {
        flag: "zst",
        extension: "zst",
        tool: "zstd",
    },
    Format {
        flag: "xz",
        extension: "xz",
        tool: "xz",
    },
    Format {
        flag: "bz2",
        extension: "bz2",
        tool: "bzip2",
    },
    Format {
        flag: "br",
        extension: "br",
        tool: "brotli",
    },
];

fn compress(format: Format, bytes: &[u8]) -> Vec<u8> {
    filter(format.tool, &["-c"], bytes)
}

fn decompress(format: Format, bytes: &[u8]) -> Vec<u8> {
    filter(format.tool, &["-d", "-c"], bytes)
}

/// The reference tool's own integrity test of a file.
fn passes_tool_test(format: Format, path: &Path) -> bool {
    Command::new(format.tool)
        .arg("-t")
        .arg(path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap()
        .success()
}

/// The fixture tree compressed file by file with `format`'s reference tool (`name.ext`).
fn compressed_fixtures(
    env: &TestEnv,
    root: &str,
    format: Option<Format>,
) -> BTreeMap<PathBuf, Vec<u8>> {
    let originals = tree(&fixtures());
    for (rel, bytes) in &originals {
        let (name, bytes) = match format {
            Some(format) => (
                format!("{}.{}", rel.display(), format.extension),
                compress(format, bytes),
            ),
            None => (rel.display().to_string(), bytes.clone()),
        };
        env.write(&format!("{root}/{name}"), bytes);
    }
    originals
}

#[test]
fn every_format_pair_round_trips_through_the_reference_tools() {
    let env = TestEnv::new();
    let inputs: Vec<Option<Format>> = std::iter::once(None).chain(FORMATS.map(Some)).collect();
    for input in &inputs {
        let in_dir = format!("in-{}", input.map_or("plain", |f| f.flag));
        let originals = compressed_fixtures(&env, &in_dir, *input);
        for output in &inputs {
            let out_dir = format!("{in_dir}-to-{}", output.map_or("none", |f| f.flag));
            let to = output.map_or("none", |f| f.flag);
            env.run(&["-q", "convert", "--to", to, &in_dir, &out_dir])
                .assert_code(0)
                .assert_stderr(&[]);
            let written = env.tree(&out_dir);
            assert_eq!(written.len(), originals.len(), "{out_dir}");
            for (rel, original) in &originals {
                let (name, content) = match output {
                    Some(format) => {
                        let name = PathBuf::from(format!("{}.{}", rel.display(), format.extension));
                        let bytes = written
                            .get(&name)
                            .unwrap_or_else(|| panic!("{out_dir}/{}", name.display()));
                        assert!(
                            passes_tool_test(*format, &env.path(&out_dir).join(&name)),
                            "{out_dir}/{}",
                            name.display()
                        );
                        (name, decompress(*format, bytes))
                    }
                    None => (rel.clone(), written[rel].clone()),
                };
                assert!(
                    content == *original,
                    "{out_dir}/{} differs from the fixture",
                    name.display()
                );
            }
        }
    }
}

#[test]
fn keep_copies_compressed_files_byte_for_byte_without_decoding() {
    let env = TestEnv::new();
    env.write("in/a.log.gz", compress(FORMATS[0], b"one\n"));
    env.write("in/corrupt.gz", b"\x1f\x8b but not really gzip");
    env.run(&["convert", "in", "out"]).assert_code(0);
    assert_eq!(env.tree("out"), env.tree("in"));
}

#[test]
fn keep_with_a_transform_reencodes_in_the_same_format_and_name() {
    let env = TestEnv::new();
    for format in FORMATS {
        env.write(
            &format!("in/a.log.{}", format.extension),
            compress(format, b"one\r\ntwo\r\n"),
        );
    }
    env.run(&["-q", "convert", "--eol", "lf", "in", "out"])
        .assert_code(0);
    for format in FORMATS {
        let path = env.path(&format!("out/a.log.{}", format.extension));
        assert!(passes_tool_test(format, &path), "{}", path.display());
        assert_eq!(
            decompress(format, &fs::read(&path).unwrap()),
            b"one\ntwo\n",
            "{}",
            format.tool
        );
    }
}

#[test]
fn misnamed_files_are_detected_by_their_content() {
    let env = TestEnv::new();
    let text = b"2026-11-21 rotated log\n";
    env.write("in/access.log.1", compress(FORMATS[0], text));
    env.write("in/data.bin", compress(FORMATS[1], text));
    env.write("in/messages", compress(FORMATS[2], text));
    env.write("in/old", compress(FORMATS[3], text));
    env.run(&["-q", "convert", "--to", "none", "in", "out"])
        .assert_code(0);
    for name in ["access.log.1", "data.bin", "messages", "old"] {
        assert_eq!(env.read(&format!("out/{name}")), text, "{name}");
    }
}

#[test]
fn brotli_is_decoded_by_name_only() {
    let env = TestEnv::new();
    let brotli = compress(FORMATS[4], b"brotli text\n");
    env.write("in/a.log.br", &brotli);
    env.write("in/b.log", &brotli);
    env.run(&["-q", "convert", "--to", "none", "in", "out"])
        .assert_code(0);
    assert_eq!(env.read("out/a.log"), b"brotli text\n");
    assert_eq!(env.read("out/b.log"), brotli);
    env.run(&[
        "-q",
        "convert",
        "--from",
        "br",
        "--to",
        "none",
        "in/b.log",
        "forced.log",
    ])
    .assert_code(0);
    assert_eq!(env.read("forced.log"), b"brotli text\n");
}

#[test]
fn concatenated_gzip_members_and_zstd_frames_decode_completely() {
    let env = TestEnv::new();
    let (gzip, zstd) = (FORMATS[0], FORMATS[1]);
    env.write(
        "in/multi.gz",
        [
            compress(gzip, b"first member\n"),
            compress(gzip, b"second member\n"),
        ]
        .concat(),
    );
    env.write(
        "in/frames.zst",
        [
            compress(zstd, b"frame one\n"),
            compress(zstd, b"frame two\n"),
        ]
        .concat(),
    );
    env.run(&["-q", "convert", "--to", "none", "in", "out"])
        .assert_code(0);
    assert_eq!(env.read("out/multi"), b"first member\nsecond member\n");
    assert_eq!(env.read("out/frames"), b"frame one\nframe two\n");
}

#[test]
fn names_lose_and_gain_compression_extensions() {
    let env = TestEnv::new();
    env.write("in/app.log.gz", compress(FORMATS[0], b"app\n"));
    env.write("in/backup.tgz", compress(FORMATS[0], b"tar bytes"));
    env.write("in/plain.log", b"plain\n");
    env.run(&["-q", "convert", "--to", "zst", "in", "zst"])
        .assert_code(0);
    let names: Vec<PathBuf> = env.tree("zst").into_keys().collect();
    assert_eq!(
        names,
        ["app.log.zst", "backup.tar.zst", "plain.log.zst"].map(PathBuf::from)
    );
    env.run(&["-q", "convert", "--to", "none", "in", "none"])
        .assert_code(0);
    let names: Vec<PathBuf> = env.tree("none").into_keys().collect();
    assert_eq!(
        names,
        ["app.log", "backup.tar", "plain.log"].map(PathBuf::from)
    );
    // A single file into a directory follows the same rule; a named output file is kept as named.
    fs::create_dir(env.path("dir")).unwrap();
    env.run(&["-q", "convert", "--to", "none", "in/app.log.gz", "dir"])
        .assert_code(0);
    assert_eq!(env.read("dir/app.log"), b"app\n");
    env.run(&["-q", "convert", "--to", "none", "in/app.log.gz", "named.gz"])
        .assert_code(0);
    assert_eq!(env.read("named.gz"), b"app\n");
}

#[test]
fn two_inputs_with_the_same_output_name_both_fail() {
    let env = TestEnv::new();
    env.write("in/a.log", b"plain\n");
    env.write("in/a.log.gz", compress(FORMATS[0], b"compressed\n"));
    env.write("in/b.log.gz", compress(FORMATS[0], b"b\n"));
    env.run(&["convert", "--to", "none", "in", "out"]).assert_code(1).assert_stderr(&[
        "asyncfiles: in/a.log: output name conflict: in/a.log.gz would also be written as a.log",
        "asyncfiles: in/a.log.gz: output name conflict: in/a.log would also be written as a.log",
        "convert: 1 done, 0 skipped, 2 failed; 22 B in, 2 B out",
    ]);
    assert_eq!(
        env.tree("out").into_keys().collect::<Vec<_>>(),
        [PathBuf::from("b.log")]
    );
    assert!(env.temp_files().is_empty());
}

#[test]
fn corrupt_and_truncated_inputs_fail_alone_with_the_format_named() {
    let env = TestEnv::new();
    let text: Vec<u8> = b"a line of log text that compresses\n".repeat(200);
    let mut expected = Vec::new();
    for format in FORMATS {
        let compressed = compress(format, &text);
        let cut = &compressed[..compressed.len() / 2];
        env.write(
            &format!("in/truncated-{}.{}", format.tool, format.extension),
            cut,
        );
        expected.push(format!(
            "asyncfiles: in/truncated-{}.{}: truncated {} stream",
            format.tool, format.extension, format.tool
        ));
    }
    env.write("in/good.log", b"fine\n");
    env.write(
        "in/garbage-after.gz",
        [compress(FORMATS[0], b"ok\n"), b"trailing garbage".to_vec()].concat(),
    );
    let mut bad_frame = compress(FORMATS[1], &text);
    bad_frame[4] ^= 0xff; // the frame header descriptor
    env.write("in/bad-frame.zst", bad_frame);
    let run = env.run(&["convert", "--to", "none", "in", "out"]);
    run.assert_code(1);
    let mut lines: Vec<&str> = run.stderr.lines().collect();
    let summary = lines.pop().unwrap();
    assert!(
        summary.starts_with("convert: 1 done, 0 skipped, 7 failed;"),
        "{summary}"
    );
    lines.sort_unstable();
    let (garbage, rest): (Vec<&str>, Vec<&str>) =
        lines.iter().partition(|l| l.contains("garbage-after"));
    assert_eq!(
        garbage,
        [
            "asyncfiles: in/garbage-after.gz: invalid gzip data after 3 decoded bytes: Invalid gzip header"
        ]
    );
    let (frame, truncated): (Vec<&str>, Vec<&str>) =
        rest.iter().partition(|l| l.contains("bad-frame"));
    assert_eq!(frame.len(), 1);
    assert!(
        frame[0].starts_with("asyncfiles: in/bad-frame.zst: invalid zstd frame: "),
        "{}",
        frame[0]
    );
    expected.sort_unstable();
    assert_eq!(truncated, expected);
    assert_eq!(
        env.tree("out").into_keys().collect::<Vec<_>>(),
        [PathBuf::from("good.log")]
    );
    assert!(env.temp_files().is_empty());
}

#[test]
fn levels_are_checked_against_each_formats_scale() {
    let env = TestEnv::new();
    env.write("in/a.log", b"a\n");
    let cases = [
        ("gz", "0", "gzip (1-9)"),
        ("gz", "10", "gzip (1-9)"),
        ("zst", "20", "zstd (1-19)"),
        ("xz", "10", "xz (0-9)"),
        ("bz2", "0", "bzip2 (1-9)"),
        ("br", "12", "brotli (0-11)"),
    ];
    for (to, level, range) in cases {
        env.run(&["convert", "--to", to, "--level", level, "in", "out"])
            .assert_code(2)
            .assert_stderr(&[&format!(
                "asyncfiles: --level {level} is out of range for {range}"
            )]);
    }
    env.run(&["convert", "--level", "3", "in", "out"])
        .assert_code(2)
        .assert_stderr(&["asyncfiles: --level needs --to gz, zst, xz, bz2, br or lzma"]);
    assert!(!env.path("out").exists());
    env.run(&["-q", "convert", "--to", "zst", "--level", "19", "in", "out"])
        .assert_code(0);
    assert_eq!(decompress(FORMATS[1], &env.read("out/a.log.zst")), b"a\n");
}

#[test]
fn stdin_is_detected_and_encoded_too() {
    let env = TestEnv::new();
    let gzip = compress(FORMATS[0], b"from a pipe\n");
    env.run_with_stdin(&["-q", "convert", "--to", "none", "-", "-"], &gzip)
        .assert_code(0)
        .assert_stdout(b"from a pipe\n");
    // keep: untouched, not even looked at.
    env.run_with_stdin(&["-q", "convert", "-", "-"], &gzip)
        .assert_code(0)
        .assert_stdout(&gzip);
    let run = env.run_with_stdin(&["-q", "convert", "--to", "xz", "-", "-"], b"to xz\n");
    run.assert_code(0);
    assert_eq!(decompress(FORMATS[2], &run.stdout), b"to xz\n");
    // Shorter than any magic: plain.
    env.run_with_stdin(&["-q", "convert", "--to", "none", "-", "-"], b"x")
        .assert_code(0)
        .assert_stdout(b"x");
}

#[test]
fn summary_counts_raw_bytes_in_and_out() {
    let env = TestEnv::new();
    let compressed = compress(FORMATS[0], &b"0123456789\n".repeat(100));
    env.write("in/a.log.gz", &compressed);
    let run = env.run(&["convert", "--to", "none", "in", "out"]);
    run.assert_code(0);
    let expected = format!(
        "convert: 1 done, 0 skipped, 0 failed; {} B in, 1.1 KB out",
        compressed.len()
    );
    assert!(run.stderr.starts_with(&expected), "{}", run.stderr);
}

#[test]
fn a_file_that_reports_size_zero_is_read_to_its_end() {
    // /proc files report size 0; /proc/kallsyms holds several MiB, well past the first chunk.
    let env = TestEnv::new();
    let expected = fs::read("/proc/kallsyms").unwrap();
    assert!(
        expected.len() > 2 << 20,
        "needs a /proc file larger than the first chunk"
    );
    env.run(&["-q", "convert", "/proc/kallsyms", "kallsyms.txt"])
        .assert_code(0);
    assert_eq!(env.read("kallsyms.txt").len(), expected.len());
}

#[test]
fn files_larger_than_one_chunk_round_trip_in_every_format() {
    // 3 MiB: the first chunk is read in the open trip, the rest through the async reader.
    let env = TestEnv::new();
    let text: Vec<u8> = (0..3u32 << 20)
        .map(|i| b"abcdefgh\n"[(i % 9) as usize] ^ (i / 9 % 7) as u8)
        .collect();
    env.write("in/big.log", &text);
    for format in FORMATS {
        let out = format!("out-{}", format.flag);
        env.run(&["-q", "convert", "--to", format.flag, "in", &out])
            .assert_code(0);
        let path = env.path(&format!("{out}/big.log.{}", format.extension));
        assert!(passes_tool_test(format, &path), "{}", path.display());
        let tool_dir = format!("tool-{}", format.flag);
        env.write(
            &format!("{tool_dir}/big.log.{}", format.extension),
            compress(format, &text),
        );
        let back = format!("back-{}", format.flag);
        env.run(&["-q", "convert", "--to", "none", &tool_dir, &back])
            .assert_code(0);
        assert!(
            env.read(&format!("{back}/big.log")) == text,
            "{} decode differs",
            format.tool
        );
    }
}

#[test]
fn names_never_depend_on_content_so_conflicts_are_exact() {
    let env = TestEnv::new();
    let gzip = FORMATS[0];
    // Upper case is not a compression extension (as for gzip on Unix): no conflict, no strip.
    env.write("upper/a.log.GZ", compress(gzip, b"upper\n"));
    env.write("upper/a.log.Zst", compress(FORMATS[1], b"zst\n"));
    env.write("upper/a.log", b"plain\n");
    env.run(&["-q", "convert", "--to", "none", "upper", "upper-out"])
        .assert_code(0);
    assert_eq!(env.read("upper-out/a.log.GZ"), b"upper\n");
    assert_eq!(env.read("upper-out/a.log.Zst"), b"zst\n");
    assert_eq!(env.read("upper-out/a.log"), b"plain\n");

    // gzip misnamed a.xz is written as a; a real a.xz.gz as a.xz: two names, no conflict.
    env.write("mixed/a.xz", compress(gzip, b"gzip named xz\n"));
    env.write("mixed/a.xz.gz", compress(gzip, b"gzip inside\n"));
    env.run(&["-q", "convert", "--to", "none", "mixed", "mixed-out"])
        .assert_code(0);
    assert_eq!(env.read("mixed-out/a"), b"gzip named xz\n");
    assert_eq!(env.read("mixed-out/a.xz"), b"gzip inside\n");

    // A plain a.gz and a: both would be a: both refused.
    env.write("clash/a.gz", b"plain named gz\n");
    env.write("clash/a", b"plain\n");
    env.run(&["convert", "--to", "none", "clash", "clash-out"])
        .assert_code(1)
        .assert_stderr(&[
            "asyncfiles: clash/a: output name conflict: clash/a.gz would also be written as a",
            "asyncfiles: clash/a.gz: output name conflict: clash/a would also be written as a",
            "convert: 0 done, 0 skipped, 2 failed; 0 B in, 0 B out",
        ]);
}

#[test]
fn an_input_is_never_replaced_by_its_own_output() {
    let env = TestEnv::new();
    let gzip = compress(FORMATS[0], b"a\r\nb\r\n");
    env.write("dir/p.gz", &gzip);
    env.run(&[
        "-q", "convert", "--to", "none", "--eol", "lf", "dir/p.gz", "dir/",
    ])
    .assert_code(0);
    assert_eq!(env.read("dir/p.gz"), gzip);
    assert_eq!(env.read("dir/p"), b"a\nb\n");
    env.write("dir/q.log.gz", b"plain text\n");
    env.run(&["convert", "--to", "gz", "dir/q.log.gz", "dir"])
        .assert_code(2)
        .assert_stderr(&[
            "asyncfiles: output dir/q.log.gz is the input file itself; choose another output",
        ]);
    assert_eq!(env.read("dir/q.log.gz"), b"plain text\n");
}

#[test]
fn zstd_after_a_skippable_frame_is_detected() {
    // pzstd starts its output with a skippable frame.
    let env = TestEnv::new();
    let mut pzstd_like = vec![0x50, 0x2a, 0x4d, 0x18, 4, 0, 0, 0, 1, 2, 3, 4];
    pzstd_like.extend(compress(FORMATS[1], b"after the skippable frame\n"));
    env.write("in/t.log.zst", &pzstd_like);
    env.run(&["-q", "convert", "--to", "none", "in", "out"])
        .assert_code(0);
    assert_eq!(env.read("out/t.log"), b"after the skippable frame\n");
}

#[test]
fn data_after_a_brotli_stream_is_an_error() {
    let env = TestEnv::new();
    let brotli = FORMATS[4];
    env.write(
        "in/extra.br",
        [compress(brotli, b"one\n"), vec![0x06]].concat(),
    );
    env.write(
        "in/two.br",
        [compress(brotli, b"one\n"), compress(brotli, b"two\n")].concat(),
    );
    let run = env.run(&["convert", "--to", "none", "in", "out"]);
    run.assert_code(1);
    let mut lines: Vec<&str> = run.stderr.lines().take(2).collect();
    lines.sort_unstable();
    assert_eq!(
        lines[0],
        "asyncfiles: in/extra.br: trailing data after the brotli stream (1 bytes)"
    );
    assert!(
        lines[1].starts_with("asyncfiles: in/two.br: trailing data after the brotli stream ("),
        "{}",
        lines[1]
    );
    assert!(!env.path("out/extra").exists() && !env.path("out/two").exists());
}

#[test]
fn text_that_merely_starts_like_bzip2_is_plain() {
    let env = TestEnv::new();
    env.write("in/notes", b"BZh9");
    env.run(&["-q", "convert", "--to", "none", "in", "out"])
        .assert_code(0);
    assert_eq!(env.read("out/notes"), b"BZh9");
}

#[test]
fn a_high_zstd_level_on_tiny_files_stays_small() {
    // Without a window fitted to the input, level 19 sizes its tables for an endless stream
    // (~90 MiB per file in flight).
    let env = TestEnv::new();
    for i in 0..20 {
        env.write(&format!("in/tiny-{i}.log"), format!("line {i}\n"));
    }
    let output = Command::new("/usr/bin/time")
        .args(["-f", "%M"])
        .arg(env!("CARGO_BIN_EXE_asyncfiles"))
        .args(["-q", "convert", "--to", "zst", "--level", "19", "in", "out"])
        .current_dir(env.root())
        .output()
        .expect("/usr/bin/time (.ci/run installs time)");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let peak_kib: u64 = String::from_utf8_lossy(&output.stderr)
        .trim()
        .parse()
        .unwrap();
    assert!(peak_kib < 48 * 1024, "peak RSS {peak_kib} KiB");
    assert_eq!(
        decompress(FORMATS[1], &env.read("out/tiny-7.log.zst")),
        b"line 7\n"
    );
}

/// Runs `args` expecting exit 1 and returns the per-file error lines, sorted (the summary,
/// last, is left out).
fn failures(env: &TestEnv, args: &[&str]) -> Vec<String> {
    let run = env.run(args);
    run.assert_code(1);
    let mut lines: Vec<String> = run.stderr.lines().map(str::to_owned).collect();
    if args.contains(&"convert") {
        lines.pop();
    }
    lines.sort_unstable();
    lines
}

#[test]
fn a_name_that_claims_a_format_the_content_lacks_fails_when_decoded() {
    let env = TestEnv::new();
    let mut damaged = compress(FORMATS[0], b"one\n");
    damaged[0] = 0x1e;
    env.write("in/a.log.gz", &damaged);
    for name in ["b.log.zst", "c.log.xz", "d.log.bz2", "e.tgz"] {
        env.write(&format!("in/{name}"), b"plain text\n");
    }
    env.write("in/f.log", b"plain\n");
    assert_eq!(
        failures(&env, &["convert", "--to", "none", "in", "out"]),
        [
            "asyncfiles: in/a.log.gz: not gzip data (bad magic bytes)",
            "asyncfiles: in/b.log.zst: not zstd data (bad magic bytes)",
            "asyncfiles: in/c.log.xz: not xz data (bad magic bytes)",
            "asyncfiles: in/d.log.bz2: not bzip2 data (bad magic bytes)",
            "asyncfiles: in/e.tgz: not gzip data (bad magic bytes)",
        ]
    );
    assert_eq!(
        env.tree("out").into_keys().collect::<Vec<_>>(),
        [PathBuf::from("f.log")]
    );
    // Nothing decoded, nothing checked: --from none, and --to keep without transforms.
    env.run(&[
        "-q", "convert", "--from", "none", "--to", "none", "in", "raw",
    ])
    .assert_code(0);
    assert_eq!(env.tree("raw"), env.tree("in"));
    env.run(&["-q", "convert", "in", "kept"]).assert_code(0);
    assert_eq!(env.tree("kept"), env.tree("in"));
    // The same decoding serves hash --decompressed and stats.
    assert_eq!(
        failures(&env, &["hash", "--decompressed", "in/a.log.gz"]),
        ["asyncfiles: in/a.log.gz: not gzip data (bad magic bytes)"]
    );
    // Content that is another format is decoded as what it is.
    env.write("in/zst-inside.gz", compress(FORMATS[1], b"zstd\n"));
    env.run(&[
        "-q",
        "convert",
        "--to",
        "none",
        "in/zst-inside.gz",
        "zst-inside",
    ])
    .assert_code(0);
    assert_eq!(env.read("zst-inside"), b"zstd\n");
}

#[test]
fn forcing_a_format_checks_its_magic_bytes_too() {
    let env = TestEnv::new();
    env.write("in/app.log", compress(FORMATS[1], b"zstd, not gzip\n"));
    env.write(
        "in/alone.xz",
        filter("xz", &["--format=lzma", "-c"], b"lzma\n"),
    );
    assert_eq!(
        failures(
            &env,
            &["convert", "--from", "gz", "--to", "none", "in/app.log", "x"]
        ),
        ["asyncfiles: in/app.log: not gzip data (bad magic bytes)"]
    );
    assert_eq!(
        failures(
            &env,
            &[
                "convert",
                "--from",
                "xz",
                "--to",
                "none",
                "in/alone.xz",
                "y"
            ]
        ),
        ["asyncfiles: in/alone.xz: not xz data (bad magic bytes)"]
    );
}

#[test]
fn an_empty_input_is_not_data_of_the_format_it_is_decoded_as() {
    // As for every reference tool (`gzip -t`, `xz -t`, `brotli -t` … of an empty file fail),
    // whether the format comes from the name or from --from.
    let env = TestEnv::new();
    env.write("in/x.log.gz", b"");
    env.write("in/y.log.br", b"");
    env.write("in/z.log", b"");
    assert_eq!(
        failures(&env, &["convert", "--to", "none", "in", "out"]),
        [
            "asyncfiles: in/x.log.gz: not gzip data (empty file)",
            "asyncfiles: in/y.log.br: not brotli data (empty file)",
        ]
    );
    assert_eq!(env.read("out/z.log"), b"");
    for (flag, name) in [
        ("gz", "gzip"),
        ("zst", "zstd"),
        ("xz", "xz"),
        ("bz2", "bzip2"),
        ("br", "brotli"),
    ] {
        assert_eq!(
            failures(
                &env,
                &["convert", "--from", flag, "--to", "none", "in/z.log", "z"]
            ),
            [format!(
                "asyncfiles: in/z.log: not {name} data (empty file)"
            )]
        );
    }
    let run = env.run_with_stdin(&["convert", "--from", "xz", "--to", "none", "-", "-"], b"");
    run.assert_code(1);
    assert_eq!(
        run.stderr.lines().next(),
        Some("asyncfiles: -: not xz data (empty file)")
    );
    // Copied as they are when nothing is decoded.
    env.run(&["-q", "convert", "in", "kept"]).assert_code(0);
    assert_eq!(env.tree("kept"), env.tree("in"));
}

/// The reference tool's own test fails every file under `bad/` and passes every one under
/// `good/`: the expectations below are the tool's, not ours.
fn assert_tool_agrees(env: &TestEnv, format: Format) {
    for (dir, pass) in [("bad", false), ("good", true)] {
        for name in env.tree(dir).into_keys() {
            let path = env.path(dir).join(&name);
            assert_eq!(passes_tool_test(format, &path), pass, "{}", path.display());
        }
    }
}

#[test]
fn gzip_reserved_flags_fail_and_trailing_zero_bytes_are_padding() {
    // GNU gzip's tests: hdr-reserved-flag.gz fails; trailing-nul and trailing-zeros pass.
    let env = TestEnv::new();
    let gzip = FORMATS[0];
    let one = compress(gzip, b"one\n");
    let two = compress(gzip, b"two\n");
    let mut reserved = one.clone();
    reserved[3] |= 0x20;
    let mut second_reserved = two.clone();
    second_reserved[3] |= 0x80;
    env.write("bad/reserved.gz", &reserved);
    env.write("bad/second.gz", [one.clone(), second_reserved].concat());
    env.write("bad/garbage.gz", [one.clone(), vec![0, 0, b'x']].concat());
    env.write("good/nul.gz", [one.clone(), vec![0]].concat());
    env.write(
        "good/zeros.gz",
        [one.clone(), two.clone(), vec![0; 4099]].concat(),
    );
    assert_tool_agrees(&env, gzip);
    assert_eq!(
        failures(&env, &["convert", "--to", "none", "bad", "bad-out"]),
        [
            "asyncfiles: bad/garbage.gz: invalid gzip data after 4 decoded bytes: non-zero bytes after zero padding",
            "asyncfiles: bad/reserved.gz: invalid gzip data: reserved header flags set (0x20)",
            "asyncfiles: bad/second.gz: invalid gzip data after 4 decoded bytes: reserved header flags set (0x80)",
        ]
    );
    env.run(&["-q", "convert", "--to", "none", "good", "good-out"])
        .assert_code(0);
    assert_eq!(env.read("good-out/nul"), b"one\n");
    assert_eq!(env.read("good-out/zeros"), b"one\ntwo\n");
    env.run(&["stats", "good/zeros.gz"])
        .assert_code(0)
        .assert_stdout(b"2 8 good/zeros.gz\n2 8 total\n");
}

#[test]
fn xz_padding_and_concatenation_are_as_strict_as_xz() {
    // XZ Utils' tests: bad-0pad-empty.xz (padding not a multiple of four) and bad-0cat-alone.xz
    // (an LZMA_Alone stream after an xz stream) fail `xz -t`; four bytes of padding pass.
    let env = TestEnv::new();
    let xz = FORMATS[2];
    let empty_stream = compress(xz, b"");
    let first = compress(xz, b"xz\n");
    let alone = filter("xz", &["--format=lzma", "-c"], b"alone\n");
    env.write("bad/pad5.xz", [empty_stream.clone(), vec![0; 5]].concat());
    env.write("bad/alone.xz", [first.clone(), alone].concat());
    env.write("good/pad4.xz", [first.clone(), vec![0; 4]].concat());
    env.write("good/two.xz", [first.clone(), vec![0; 8], first].concat());
    assert_tool_agrees(&env, xz);
    assert_eq!(
        failures(&env, &["convert", "--to", "none", "bad", "bad-out"]),
        [
            // The first stream's three bytes came out before the error (as `xz -dc` writes
            // them), at every thread count.
            "asyncfiles: bad/alone.xz: invalid xz data after 3 decoded bytes: lzma data error",
            "asyncfiles: bad/pad5.xz: invalid xz data: lzma data error",
        ]
    );
    env.run(&["-q", "convert", "--to", "none", "good", "good-out"])
        .assert_code(0);
    assert_eq!(env.read("good-out/pad4"), b"xz\n");
    assert_eq!(env.read("good-out/two"), b"xz\nxz\n");
}

#[test]
fn lzma_is_a_format_of_its_own_known_by_name() {
    // LZMA_Alone has no magic bytes: like brotli, only a .lzma name (or --from lzma) makes a file
    // lzma; --from xz rejects it (see forcing_a_format_checks_its_magic_bytes_too).
    let env = TestEnv::new();
    let text = b"lzma line\n".repeat(100);
    let lzma = filter("lzma", &["-c"], &text);
    env.write("in/a.log.lzma", &lzma);
    env.write("in/b.log", &lzma);
    env.run(&["-q", "convert", "--to", "none", "in", "out"])
        .assert_code(0);
    assert_eq!(env.read("out/a.log"), text);
    assert_eq!(env.read("out/b.log"), lzma);
    env.run(&[
        "-q", "convert", "--from", "lzma", "--to", "none", "in/b.log", "b",
    ])
    .assert_code(0);
    assert_eq!(env.read("b"), text);
    env.run(&["-q", "convert", "--to", "lzma", "--level", "9", "out", "re"])
        .assert_code(0);
    let encoded = env.path("re/a.log.lzma");
    assert!(
        Command::new("lzma")
            .arg("-t")
            .arg(&encoded)
            .status()
            .unwrap()
            .success()
    );
    assert_eq!(
        filter("lzma", &["-d", "-c"], &env.read("re/a.log.lzma")),
        text
    );
    // An LZMA_Alone stream has no members: anything after it is trailing data, as for `xz`.
    env.write("bad/two.lzma", [lzma.clone(), lzma].concat());
    env.write("bad/empty.lzma", b"");
    let lines = failures(&env, &["convert", "--to", "none", "bad", "bad-out"]);
    assert_eq!(
        lines[0],
        "asyncfiles: bad/empty.lzma: not lzma data (empty file)"
    );
    assert!(
        lines[1].starts_with("asyncfiles: bad/two.lzma: trailing data after the lzma stream ("),
        "{}",
        lines[1]
    );
}

/// Regression (hardening #17): `--jobs` encoders of a high level could need more memory than the
/// machine has. A run whose encoders would not fit in the limit (half of memory; set here by the
/// test-only variable) converts fewer files at once, says so with -v, and still succeeds.
#[test]
fn jobs_are_lowered_when_the_encoders_would_not_fit_in_memory() {
    let env = TestEnv::new();
    let content = |i: usize| format!("line {i}\n").repeat(200);
    for i in 0..6 {
        env.write(&format!("in/{i}.log"), content(i));
    }
    let run = |limit_mib: u64, args: &[&str]| {
        let output = env
            .command(
                &[
                    &["-v", "convert", "--to", "zst", "--level", "19"],
                    args,
                    &["in", "out"],
                ]
                .concat(),
            )
            .env(
                "ASYNCFILES_TEST_MEMORY_LIMIT",
                (limit_mib << 20).to_string(),
            )
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0));
        String::from_utf8(output.stderr).unwrap()
    };
    let stderr = run(200, &["-j", "8"]);
    let note = "--jobs 8 lowered to 2 files in flight: zstd -19 needs ~91 MiB per file, \
                the limit is 200 MiB (ASYNCFILES_TEST_MEMORY_LIMIT)";
    assert_eq!(stderr.lines().next(), Some(note), "{stderr}");
    for i in 0..6 {
        let written = env.read(&format!("out/{i}.log.zst"));
        assert_eq!(filter("zstd", &["-dc"], &written), content(i).as_bytes());
    }
    // Never below one file at a time; nothing to say when the encoders fit.
    let stderr = run(10, &["-j", "3"]);
    assert!(
        stderr.starts_with("--jobs 3 lowered to 1 file in flight"),
        "{stderr}"
    );
    let stderr = run(1000, &["-j", "8"]);
    assert!(!stderr.contains("lowered"), "{stderr}");
}
