//! Deterministic log corpus generator for the fixtures and the benchmarks.
//!
//! `cargo run --release --example gen-corpus -- fixtures DIR` writes the small sample tree that is
//! committed under `fixtures/logs`; `tree DIR [FILES]` writes the benchmark tree (10,000 files of
//! 2–60 KiB by default); `big FILE MIB` writes one large access log. The same seed always yields the
//! same bytes, so benchmark runs on different days compare like with like.

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// xorshift64*: tiny, fast and reproducible; statistical quality is irrelevant here.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

const PATHS: &[&str] = &[
    "/",
    "/index.html",
    "/api/v1/items",
    "/api/v1/items/42",
    "/api/v1/login",
    "/static/app.js",
    "/static/style.css",
    "/healthz",
    "/metrics",
    "/search?q=logs&page=2",
];
const METHODS: &[&str] = &["GET", "GET", "GET", "POST", "PUT", "DELETE", "HEAD"];
const AGENTS: &[&str] = &[
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    "curl/8.5.0",
    "Prometheus/2.51.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 Safari/605.1.15",
];
const USERS: &[&str] = &["alice", "bob", "carol", "dave", "erin", "mallory"];
const LEVELS: &[&str] = &["debug", "info", "info", "info", "warn", "error"];
const DAEMONS: &[&str] = &["sshd", "cron", "systemd", "kernel", "nginx", "dockerd"];

fn ipv4(rng: &mut Rng) -> String {
    format!(
        "{}.{}.{}.{}",
        rng.below(223) + 1,
        rng.below(256),
        rng.below(256),
        rng.below(254) + 1
    )
}

fn uuid(rng: &mut Rng) -> String {
    let (a, b) = (rng.next(), rng.next());
    format!(
        "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        b >> 52,
        b & 0xffff_ffff_ffff
    )
}

fn access_line(rng: &mut Rng, second: u64) -> String {
    format!(
        "{} - - [21/Nov/2026:{:02}:{:02}:{:02} +0000] \"{} {} HTTP/1.1\" {} {} \"-\" \"{}\"\n",
        ipv4(rng),
        (second / 3600) % 24,
        (second / 60) % 60,
        second % 60,
        rng.pick(METHODS),
        rng.pick(PATHS),
        [200, 200, 200, 201, 304, 404, 500][rng.below(7) as usize],
        rng.below(50_000),
        rng.pick(AGENTS)
    )
}

fn json_line(rng: &mut Rng, second: u64) -> String {
    let user = rng.pick(USERS);
    format!(
        "{{\"ts\":\"2026-11-21T{:02}:{:02}:{:02}.{:03}Z\",\"level\":\"{}\",\"msg\":\"request done\",\"user\":\"{}@example.com\",\"req_id\":\"{}\",\"ip\":\"{}\",\"latency_ms\":{}}}\n",
        (second / 3600) % 24,
        (second / 60) % 60,
        second % 60,
        rng.below(1000),
        rng.pick(LEVELS),
        user,
        uuid(rng),
        ipv4(rng),
        rng.below(900)
    )
}

fn syslog_line(rng: &mut Rng, second: u64) -> String {
    let daemon = rng.pick(DAEMONS);
    let message = match daemon {
        "sshd" => format!(
            "Accepted publickey for {} from {} port {} ssh2",
            rng.pick(USERS),
            ipv4(rng),
            rng.below(60_000) + 1024
        ),
        "cron" => format!(
            "({}) CMD (/usr/local/bin/rotate-logs --keep 7)",
            rng.pick(USERS)
        ),
        "kernel" => format!(
            "[{}.{:06}] eth0: link up, 1000Mbps, full duplex",
            second,
            rng.below(1_000_000)
        ),
        _ => format!(
            "Started session {} of user {}.",
            rng.below(9999),
            rng.pick(USERS)
        ),
    };
    format!(
        "Nov 21 {:02}:{:02}:{:02} web-01 {}[{}]: {}\n",
        (second / 3600) % 24,
        (second / 60) % 60,
        second % 60,
        daemon,
        rng.below(30_000) + 100,
        message
    )
}

/// Makes one log line for a given second of the day.
type LineFn = fn(&mut Rng, u64) -> String;

/// Writes lines from `line` until at least `bytes` bytes are written.
fn write_lines(path: &Path, bytes: u64, rng: &mut Rng, line: LineFn) -> io::Result<()> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    let mut out = BufWriter::with_capacity(1 << 20, fs::File::create(path)?);
    let (mut written, mut second) = (0u64, 0u64);
    while written < bytes {
        let text = line(rng, second);
        out.write_all(text.as_bytes())?;
        written += text.len() as u64;
        second += rng.below(3);
    }
    out.flush()
}

fn write_bytes(path: &Path, bytes: &[u8]) -> io::Result<()> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    fs::write(path, bytes)
}

/// The committed sample tree: a few hundred KB covering every input oddity the pipeline must keep.
fn fixtures(dir: &Path) -> io::Result<()> {
    let rng = &mut Rng(0x5eed_0001);
    write_lines(&dir.join("nginx/access.log"), 150_000, rng, access_line)?;
    write_lines(&dir.join("nginx/access.log.1"), 60_000, rng, access_line)?;
    write_lines(&dir.join("app/events.jsonl"), 80_000, rng, json_line)?;
    write_lines(&dir.join("system/syslog"), 50_000, rng, syslog_line)?;
    write_lines(
        &dir.join("archive/2026/11/20/syslog"),
        20_000,
        rng,
        syslog_line,
    )?;

    let mut crlf = String::new();
    for i in 0..400 {
        crlf.push_str(&format!(
            "2026-11-21 03:{:02}:{:02} W3SVC1 {} GET /default.aspx - 443 - 200 0 0 {}\r\n",
            (i / 60) % 60,
            i % 60,
            ipv4(rng),
            rng.below(400)
        ));
    }
    write_bytes(&dir.join("windows/u_ex261121.log"), crlf.as_bytes())?;

    // Invalid UTF-8 (Latin-1 and stray continuation bytes), a NUL byte, a lone CR and no final
    // newline: every byte of this file must survive a conversion untouched.
    let mut odd = Vec::new();
    odd.extend_from_slice(b"2026-11-21 03:15:59 user=J\xf6rg action=login\n");
    odd.extend_from_slice(b"2026-11-21 03:16:00 payload=\xff\xfe\x00\x01 binary\n");
    odd.extend_from_slice(b"2026-11-21 03:16:01 progress 10%\r20%\r30%\n");
    odd.extend_from_slice(b"2026-11-21 03:16:02 caf\xc3\xa9 \x80\x81 truncated");
    write_bytes(&dir.join("app/legacy-latin1.log"), &odd)?;

    write_bytes(&dir.join("app/empty.log"), b"")?;
    write_bytes(
        &dir.join("app/.hidden-audit.log"),
        b"2026-11-21T03:15:59Z audit user=alice action=sudo\n",
    )?;
    Ok(())
}

/// The benchmark tree: `files` logs of 2–60 KiB spread over nested directories.
fn tree(dir: &Path, files: u64) -> io::Result<()> {
    let rng = &mut Rng(0x5eed_0002);
    let kinds: [(&str, LineFn); 3] = [
        ("access", access_line),
        ("events", json_line),
        ("syslog", syslog_line),
    ];
    for i in 0..files {
        let (name, line) = kinds[(i % 3) as usize];
        let path = dir.join(format!(
            "host{:02}/{}/day{:02}/{}-{:05}.log",
            i % 20,
            name,
            (i / 20) % 25,
            name,
            i
        ));
        let size = 2048 + rng.below(58 * 1024);
        write_lines(&path, size, rng, line)?;
    }
    Ok(())
}

fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["fixtures", dir] => fixtures(Path::new(dir)),
        ["tree", dir] => tree(Path::new(dir), 10_000),
        ["tree", dir, files] => tree(Path::new(dir), files.parse().expect("FILES is a number")),
        ["big", file, mib] => {
            let mib: u64 = mib.parse().expect("MIB is a number");
            write_lines(
                Path::new(file),
                mib << 20,
                &mut Rng(0x5eed_0003),
                access_line,
            )
        }
        _ => {
            eprintln!("usage: gen-corpus fixtures DIR | tree DIR [FILES] | big FILE MIB");
            std::process::exit(2);
        }
    }
}
