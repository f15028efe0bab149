//! The committed man pages and completions are exactly what the binary generates today.

mod common;

use common::{TestEnv, tree};
use std::path::Path;

fn committed(dir: &str) -> std::collections::BTreeMap<std::path::PathBuf, Vec<u8>> {
    tree(&Path::new(env!("CARGO_MANIFEST_DIR")).join(dir))
}

#[test]
fn man_pages_are_up_to_date() {
    let env = TestEnv::new();
    env.run(&["generate", "man", "man"]).assert_code(0);
    assert!(
        env.tree("man") == committed("man"),
        "man/ is stale: run `cargo run -- generate man man` and commit the result"
    );
}

#[test]
fn completions_are_up_to_date() {
    let env = TestEnv::new();
    env.run(&["generate", "completions", "completions"])
        .assert_code(0);
    assert!(
        env.tree("completions") == committed("completions"),
        "completions/ is stale: run `cargo run -- generate completions completions` and commit the result"
    );
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
