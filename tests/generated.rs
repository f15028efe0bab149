//! The committed man pages and completions are exactly what the binary generates today.

mod common;

use common::{TestEnv, tree};
use std::fs;
use std::path::Path;
use std::process::Command;

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

/// The committed pages, by file name.
fn pages() -> Vec<(String, String)> {
    committed("man")
        .into_iter()
        .map(|(path, bytes)| {
            let name = path.to_string_lossy().into_owned();
            (name, String::from_utf8(bytes).unwrap())
        })
        .collect()
}

#[test]
fn there_is_a_page_for_asyncfiles_and_each_command_and_none_for_hidden_ones() {
    let names: Vec<String> = pages().into_iter().map(|(name, _)| name).collect();
    assert_eq!(
        names,
        [
            "asyncfiles-cat.1",
            "asyncfiles-convert.1",
            "asyncfiles-grep.1",
            "asyncfiles-hash.1",
            "asyncfiles-stats.1",
            "asyncfiles.1"
        ]
    );
}

#[test]
fn every_page_has_the_sections_of_a_man_page_in_order() {
    let sections = [
        "NAME",
        "SYNOPSIS",
        "DESCRIPTION",
        "OPTIONS",
        "EXIT STATUS",
        "ENVIRONMENT",
        "EXAMPLES",
        "SEE ALSO",
    ];
    for (name, page) in pages() {
        let headings: Vec<&str> = page
            .lines()
            .filter_map(|line| line.strip_prefix(".SH "))
            .map(|heading| heading.trim_matches('"'))
            .filter(|heading| sections.contains(heading))
            .collect();
        assert_eq!(headings, sections, "{name}");
        let title = format!(
            ".TH {} 1 \"\" \"asyncfiles {}\" \"User Commands\"\n",
            name.trim_end_matches(".1"),
            env!("CARGO_PKG_VERSION")
        );
        assert!(page.contains(&title), "{name}: no {title}");
        for variable in [
            "ASYNCFILES_REDACT_KEY",
            "ASYNCFILES_SHARDS",
            "SLURM_ARRAY_TASK_ID",
        ] {
            assert!(
                page.contains(&format!("\\fB{variable}\\fR")),
                "{name}: {variable}"
            );
        }
        for code in ["0", "1", "2", "130", "143"] {
            assert!(
                page.contains(&format!(".TP\n\\fB{code}\\fR\n")),
                "{name}: {code}"
            );
        }
        for peer in [
            "gzip", "zstd", "xz", "b3sum", "rsync", "find", "parallel", "sbatch",
        ] {
            assert!(
                page.contains(&format!("\\fB{peer}\\fR(1)")),
                "{name}: {peer}"
            );
        }
        assert!(
            !page.contains("generate"),
            "{name} mentions the hidden command"
        );
    }
}

#[test]
fn command_pages_carry_the_global_options_and_a_synopsis_with_argument_names() {
    for (name, page) in pages() {
        // grep's -q and -v are its own (quiet search, inverted match), on its page's options.
        if name == "asyncfiles.1" || name == "asyncfiles-grep.1" {
            continue;
        }
        let global = page
            .split(".SH \"GLOBAL OPTIONS\"\n")
            .nth(1)
            .unwrap_or_else(|| panic!("{name}: no GLOBAL OPTIONS"));
        let global = &global[..global.find(".SH ").unwrap()];
        assert!(
            global.contains("\\fB\\-q\\fR, \\fB\\-\\-quiet\\fR"),
            "{name}"
        );
        assert!(
            global.contains("\\fB\\-v\\fR, \\fB\\-\\-verbose\\fR"),
            "{name}"
        );
        assert!(
            page.contains("\\fBasyncfiles\\fR [\\fB\\-q\\fR|\\fB\\-v\\fR...] "),
            "{name}"
        );
    }
    let page = |wanted: &str| {
        pages()
            .into_iter()
            .find(|(name, _)| name == wanted)
            .unwrap()
            .1
    };
    let hash = &page("asyncfiles-hash.1");
    assert!(hash.contains("[\\fB\\-c\\fR|\\fB\\-\\-check\\fR \\fIMANIFEST\\fR]"));
    assert!(hash.contains("[\\fIPATH\\fR]..."));
    let convert = &page("asyncfiles-convert.1");
    assert!(convert.contains("[\\fB\\-\\-replace\\fR \\fIRE\\fR \\fIREPL\\fR]"));
    assert!(convert.contains(" \\fIIN\\fR... \\fIOUT\\fR\n"));
    assert!(
        convert
            .contains("\\fBconvert\\fR \\fB\\-\\-in\\-place\\fR [\\fIoptions\\fR] \\fIIN\\fR...\n")
    );
}

/// The shell lines of the README's Recipes block, comments and blank lines left out.
fn readme_recipe_lines() -> Vec<String> {
    let readme =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let recipes = readme.split("\n## Recipes\n").nth(1).unwrap();
    let block = recipes.split("```sh\n").nth(1).unwrap();
    let block = &block[..block.find("\n```").unwrap()];
    block
        .lines()
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

/// `man -l PAGE` in `locale` at `width` columns: (stdout, stderr).
fn man(page: &str, locale: &str, width: &str, warnings: bool) -> (String, String) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("man").join(page);
    let mut command = Command::new("man");
    if warnings {
        command.arg("--warnings");
    }
    let output = command
        .arg("-l")
        .arg(&path)
        .env("LC_ALL", locale)
        .env("MANWIDTH", width)
        .env_remove("MANPAGER")
        .env_remove("PAGER")
        .output()
        .unwrap_or_else(|e| panic!("man (man-db, installed by .ci/run) is needed: {e}"));
    assert!(output.status.success(), "man -l {page}");
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn groff_has_no_warning_about_any_page() {
    for (name, _) in pages() {
        for locale in ["C", "C.UTF-8"] {
            let (_, stderr) = man(&name, locale, "80", true);
            assert_eq!(stderr, "", "{name} in {locale}");
        }
    }
}

#[test]
fn the_top_page_shows_every_readme_recipe_as_written() {
    let (text, _) = man("asyncfiles.1", "C", "250", false);
    for line in readme_recipe_lines() {
        assert!(
            text.lines()
                .any(|shown| shown.trim_start() == line.trim_start()),
            "asyncfiles(1) EXAMPLES lacks {line:?}\n{text}"
        );
    }
}

#[test]
fn every_command_prints_asyncfiles_and_the_version() {
    let env = TestEnv::new();
    let expected = format!("asyncfiles {}\n", env!("CARGO_PKG_VERSION"));
    for args in [
        &["-V"][..],
        &["--version"],
        &["convert", "-V"],
        &["hash", "-V"],
        &["stats", "--version"],
    ] {
        env.run(args)
            .assert_code(0)
            .assert_stderr(&[])
            .assert_stdout(expected.as_bytes());
    }
}

#[test]
fn completions_offer_the_commands_but_not_generate() {
    for (path, bytes) in committed("completions") {
        let script = String::from_utf8(bytes).unwrap();
        for command in ["convert", "hash", "stats", "check", "ignore-missing"] {
            assert!(script.contains(command), "{}: {command}", path.display());
        }
        assert!(!script.contains("generate"), "{}", path.display());
    }
}
