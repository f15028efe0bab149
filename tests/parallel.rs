//! One big file on several threads (`-T/--threads`): block-parallel encoding and decoding, and
//! what the output looks like to the reference tools.

mod common;

use common::{TestEnv, filter};

/// `lines` deterministic, varied access-log lines (xorshift64*, as `bench/gen_corpus.rs`).
fn log_lines(lines: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.max(1);
    let mut next = move || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    };
    let paths = [
        "/",
        "/index.html",
        "/api/v1/items",
        "/api/v1/login",
        "/static/app.js",
    ];
    let mut out = Vec::with_capacity(lines * 96);
    for i in 0..lines {
        let r = next();
        out.extend_from_slice(
            format!(
                "10.{}.{}.{} - - [21/Nov/2026:03:{:02}:{:02} +0000] \"GET {}?id={} HTTP/1.1\" {} {}\n",
                r % 256,
                (r >> 8) % 256,
                (r >> 16) % 256,
                (i / 60) % 60,
                i % 60,
                paths[(r >> 24) as usize % paths.len()],
                (r >> 32) % 100_000,
                [200, 200, 200, 304, 404, 500][(r >> 40) as usize % 6],
                (r >> 44) % 50_000,
            )
            .as_bytes(),
        );
    }
    out
}

mod xz {
    use super::*;

    /// What `xz --robot -lvv` says of a file: its lines starting with `block`.
    fn xz_blocks(env: &TestEnv, rel: &str) -> usize {
        let listing = filter(
            "xz",
            &["--robot", "-lvv", &env.path(rel).to_string_lossy()],
            b"",
        );
        String::from_utf8(listing)
            .unwrap()
            .lines()
            .filter(|line| line.starts_with("block\t"))
            .count()
    }

    #[test]
    fn a_big_file_is_written_in_blocks_that_xz_reads() {
        let env = TestEnv::new();
        let input = log_lines(60_000, 7);
        assert!(input.len() > 2 << 20, "{}", input.len());
        env.write("in/big.log", &input);
        // Blocks of 512 KiB (the test seam) at level 1: several blocks from a few MiB.
        let output = env
            .command(&[
                "-q",
                "convert",
                "--to",
                "xz",
                "--level",
                "1",
                "--threads",
                "2",
                "in",
                "out",
            ])
            .env("ASYNCFILES_TEST_BLOCK_SIZE", "524288")
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{output:?}");
        assert!(output.stderr.is_empty(), "{output:?}");
        let xz = env.read("out/big.log.xz");
        assert_eq!(filter("xz", &["-dc"], &xz), input);
        filter("xz", &["-t"], &xz);
        assert!(xz_blocks(&env, "out/big.log.xz") > 1);
    }

    /// A file of `xz -T2 -6 --block-size=1MiB`: several blocks with their sizes in their headers.
    fn multi_block(env: &TestEnv, rel: &str) -> Vec<u8> {
        let input = log_lines(60_000, 11);
        env.write(
            rel,
            filter("xz", &["-T2", "-6", "--block-size=1MiB", "-c"], &input),
        );
        assert!(xz_blocks(env, rel) > 4);
        input
    }

    #[test]
    fn a_multi_block_file_decodes_on_two_threads_as_on_one() {
        let env = TestEnv::new();
        let input = multi_block(&env, "in/big.log.xz");
        for threads in ["1", "2"] {
            let out = format!("out-{threads}");
            let run = env.run(&[
                "-vv",
                "convert",
                "--to",
                "none",
                "--threads",
                threads,
                "in",
                &out,
            ]);
            run.assert_code(0);
            assert_eq!(
                env.read(&format!("{out}/big.log")),
                input,
                "--threads {threads}"
            );
            let threaded = run
                .stderr
                .lines()
                .any(|line| line == "xz: decoding on 2 threads");
            assert_eq!(
                threaded,
                threads == "2",
                "--threads {threads}:\n{}",
                run.stderr
            );
        }
    }

    #[test]
    fn a_damaged_multi_block_file_fails_alike_on_one_thread_and_two() {
        let env = TestEnv::new();
        multi_block(&env, "in/big.log.xz");
        let mut damaged = env.read("in/big.log.xz");
        // Inside the third block's compressed data.
        let at = damaged.len() / 2;
        damaged[at] ^= 0x55;
        env.write("in/big.log.xz", damaged);
        let mut messages = Vec::new();
        for threads in ["1", "2"] {
            let run = env.run(&["convert", "--to", "none", "--threads", threads, "in", "out"]);
            run.assert_code(1);
            messages.push(run.stderr.lines().next().unwrap_or_default().to_owned());
        }
        assert!(
            messages[0].starts_with("asyncfiles: in/big.log.xz: invalid xz data after "),
            "{messages:?}"
        );
        assert_eq!(messages[0], messages[1]);
    }
}
