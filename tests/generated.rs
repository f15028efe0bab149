//! The committed man pages and completions are exactly what the binary generates today.

mod common;

use common::{TestEnv, tree};
use std::path::Path;

fn committed(dir: &str) -> std::collections::BTreeMap<std::path::PathBuf, Vec<u8>> {
    tree(&Path::new(env!("CARGO_MANIFEST_DIR")).join(dir))
}

/// Regenerates `what` into a scratch `dir` and compares it with the committed `dir/`.
fn assert_up_to_date(what: &str, dir: &str) {
    let env = TestEnv::new();
    env.run(&["generate", what, dir]).assert_code(0);
    assert!(
        env.tree(dir) == committed(dir),
        "{dir}/ is stale: run `cargo run -- generate {what} {dir}` and commit the result"
    );
}

#[test]
fn man_pages_are_up_to_date() {
    assert_up_to_date("man", "man");
}

#[test]
fn completions_are_up_to_date() {
    assert_up_to_date("completions", "completions");
}

#[test]
fn generate_is_hidden_from_the_main_help() {
    let env = TestEnv::new();
    let run = env.run(&["--help"]);
    run.assert_code(0);
    let help = String::from_utf8_lossy(&run.stdout);
    assert!(help.contains("convert"), "{help}");
    assert!(!help.contains("generate"), "{help}");
}
