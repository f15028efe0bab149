//! The README and the build agree with what CI does: the one-line install of the reference tools
//! comes before the two commands and names every package `.ci/run` installs, and the release
//! profile ships a stripped binary while `profiling` keeps line tables.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

fn read(name: &str) -> String {
    fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(name)).unwrap()
}

/// The Debian packages of `.ci/run`'s `packages=(tool:package …)` list.
fn ci_packages() -> BTreeSet<String> {
    let ci = read(".ci/run");
    let list = ci
        .lines()
        .find_map(|line| line.strip_prefix("packages=("))
        .expect(".ci/run has a packages=(…) line");
    list.trim_end_matches(')')
        .split_whitespace()
        .map(|pair| pair.rsplit(':').next().unwrap().to_string())
        .collect()
}

#[test]
fn readme_installs_what_ci_installs_before_the_two_commands() {
    let readme = read("README.md");
    let install = readme
        .lines()
        .position(|line| line.starts_with("sudo apt-get install "))
        .expect("README has a `sudo apt-get install` line");
    let line = readme.lines().nth(install).unwrap();
    let listed: BTreeSet<String> = line
        .trim_start_matches("sudo apt-get install ")
        .split_whitespace()
        .map(str::to_string)
        .collect();
    assert_eq!(listed, ci_packages(), "README: {line}");
    let test_command = readme
        .lines()
        .position(|line| line == "cargo test --locked")
        .expect("README gives the test command");
    assert!(install < test_command, "the install line must come first");
    assert!(readme.contains("cargo install --locked --path ."));
}

/// The `[profile.NAME]` table of Cargo.toml, up to the next table.
fn profile(name: &str) -> String {
    let manifest = read("Cargo.toml");
    let header = format!("[profile.{name}]\n");
    let start = manifest
        .find(&header)
        .unwrap_or_else(|| panic!("no {header}"));
    let body = &manifest[start + header.len()..];
    body[..body.find("\n[").unwrap_or(body.len())].to_string()
}

#[test]
fn release_is_stripped_and_profiling_keeps_line_tables() {
    let release = profile("release");
    assert!(release.contains("strip = true"), "{release}");
    assert!(!release.contains("debug ="), "{release}");
    let profiling = profile("profiling");
    assert!(profiling.contains("inherits = \"release\""), "{profiling}");
    assert!(
        profiling.contains("debug = \"line-tables-only\""),
        "{profiling}"
    );
}
