//! Man pages and shell completions, generated from the clap definitions so they never drift.
//!
//! `asyncfiles generate man DIR` and `asyncfiles generate completions DIR` write what is committed
//! under `man/` and `completions/`; a test regenerates both and fails when they differ. Every page
//! has NAME, SYNOPSIS, DESCRIPTION, OPTIONS, EXIT STATUS, ENVIRONMENT, EXAMPLES and SEE ALSO:
//! clap_mangen renders the title, NAME and OPTIONS; the rest is written here, from the same
//! definitions (the exit codes from the top-level long help, a command's examples from its
//! own), from the README's "Recipes" block (compiled in, so that the recipes have one home) and
//! from the list of environment variables below. The output depends on nothing but the sources:
//! no date, no machine.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result, bail};
use clap::{Arg, Command};
use clap_complete::Shell;
use clap_mangen::Man;
use clap_mangen::roff::{Inline, Roff, bold, italic, roman};

use crate::cli::{GenerateArgs, GenerateWhat};

/// The README, for its recipes (the top page's EXAMPLES).
const README: &str = include_str!("../README.md");

/// The environment variables asyncfiles reads, and what for (ENVIRONMENT of every page).
pub const ENVIRONMENT: [(&str, &str); 10] = [
    (
        "ASYNCFILES_REDACT_KEY",
        "The key file of convert --redact-key, when the option is not given.",
    ),
    (
        crate::shard::SHARDS_ENV,
        "The number of shards of --shard auto, where the job engine exports only the index \
         (Kubernetes, AWS Batch, GNU parallel); as --shards.",
    ),
    (
        "SLURM_ARRAY_TASK_ID",
        "Read by --shard auto in a Slurm job array: the task's ID is its shard.",
    ),
    (
        "SLURM_ARRAY_TASK_COUNT",
        "Read by --shard auto in a Slurm job array: the number of shards.",
    ),
    (
        "SLURM_ARRAY_TASK_MIN",
        "Read by --shard auto in a Slurm job array: its first task ID.",
    ),
    (
        "SLURM_ARRAY_TASK_MAX",
        "Read by --shard auto in a Slurm job array: its last task ID (the array must be the \
         whole split).",
    ),
    (
        "SLURM_ARRAY_TASK_STEP",
        "Read by --shard auto in a Slurm job array: the step between task IDs.",
    ),
    (
        "JOB_COMPLETION_INDEX",
        "Read by --shard auto in a Kubernetes Indexed Job: the shard.",
    ),
    (
        "AWS_BATCH_JOB_ARRAY_INDEX",
        "Read by --shard auto in an AWS Batch array job: the shard.",
    ),
    (
        "PARALLEL_SEQ",
        "Read by --shard auto under GNU parallel: the job's number, from 1 (shard PARALLEL_SEQ - 1).",
    ),
];

/// What the test-only variables get: one note, not an entry each (they are not for use).
const TEST_ONLY: &str = "Variables named ASYNCFILES_TEST_* exist for the test suite only: they \
    slow down, stall or break a run on purpose, and are not for use.";

/// SEE ALSO's other programs: the peers asyncfiles stands in for or runs under.
const PEERS: [&str; 8] = [
    "gzip", "zstd", "xz", "b3sum", "rsync", "find", "parallel", "sbatch",
];

/// Writes what `args` asks for.
pub fn run(args: GenerateArgs) -> Result<()> {
    match args.what {
        GenerateWhat::Man { dir } => write_man_pages(&dir),
        GenerateWhat::Completions { dir } => write_completions(&dir),
    }
}

/// `asyncfiles.1` plus `asyncfiles-SUBCOMMAND.1` for each visible subcommand.
pub fn write_man_pages(dir: &Path) -> Result<()> {
    fs::create_dir_all(dir).with_context(|| dir.display().to_string())?;
    for (name, page) in man_pages()? {
        let path = dir.join(format!("{name}.1"));
        fs::write(&path, page).with_context(|| path.display().to_string())?;
    }
    Ok(())
}

/// Every man page, by name (`asyncfiles`, `asyncfiles-convert`, …), in roff.
pub fn man_pages() -> Result<Vec<(String, Vec<u8>)>> {
    let mut top = crate::cli::command();
    // Built, the subcommands carry the global -q and -v.
    top.build();
    let exit_status = exit_codes(&top)?;
    let subcommands = visible_subcommands(&top);
    let names: Vec<String> = subcommands.iter().map(|sub| page_name(sub)).collect();
    let mut pages = vec![(
        "asyncfiles".to_owned(),
        top_page(&top, &subcommands, &exit_status)?,
    )];
    for sub in &subcommands {
        let name = page_name(sub);
        let others: Vec<&str> = std::iter::once("asyncfiles")
            .chain(
                names
                    .iter()
                    .map(String::as_str)
                    .filter(|other| **other != name),
            )
            .collect();
        let page = sub_page(sub, &name, &others, &exit_status)?;
        pages.push((name, page));
    }
    Ok(pages)
}

fn visible_subcommands(top: &Command) -> Vec<&Command> {
    top.get_subcommands()
        .filter(|sub| !sub.is_hide_set() && sub.get_name() != "help")
        .collect()
}

fn page_name(sub: &Command) -> String {
    format!("asyncfiles-{}", sub.get_name())
}

/// `asyncfiles(1)`: the commands, the global options, the README's recipes.
fn top_page(top: &Command, subcommands: &[&Command], exit_status: &Roff) -> Result<Vec<u8>> {
    let man = man_of(top.clone());
    let mut page = Page::default();
    page.title("asyncfiles");
    page.clap(|w| man.render_name_section(w))?;
    let mut synopsis = Roff::new();
    synopsis.control("SH", ["SYNOPSIS"]);
    for (index, sub) in subcommands.iter().enumerate() {
        if index > 0 {
            synopsis.control("br", []);
        }
        synopsis.text(sub_synopsis(sub, false));
    }
    synopsis.control("br", []);
    synopsis.text([
        bold("asyncfiles"),
        roman(" "),
        bold("-h"),
        roman("|"),
        bold("-V"),
    ]);
    page.roff(&synopsis);
    page.roff(&description(top));
    page.clap(|w| man.render_options_section(w))?;
    page.roff(&commands(subcommands));
    page.roff(exit_status);
    page.roff(&environment());
    page.roff(&recipes()?);
    let names: Vec<String> = subcommands.iter().map(|sub| page_name(sub)).collect();
    page.roff(&see_also(
        &names.iter().map(String::as_str).collect::<Vec<_>>(),
    ));
    Ok(page.bytes)
}

/// `asyncfiles-NAME(1)`: one command, its options with the global ones, its examples.
fn sub_page(sub: &Command, name: &str, others: &[&str], exit_status: &Roff) -> Result<Vec<u8>> {
    // The global -q and -v under their own heading, apart from the command's options.
    let command = sub.clone().display_name(name).mut_args(|arg| {
        if arg.is_global_set() {
            arg.help_heading("Global options")
        } else {
            arg
        }
    });
    let man = man_of(command);
    let mut page = Page::default();
    page.title(name);
    page.clap(|w| man.render_name_section(w))?;
    let mut synopsis = Roff::new();
    synopsis.control("SH", ["SYNOPSIS"]);
    // No hyphenation: `--fol-low` cannot be typed.
    synopsis.control("nh", []);
    synopsis.text(sub_synopsis(sub, true));
    if sub.get_name() == "convert" {
        synopsis.control("br", []);
        synopsis.text(in_place_synopsis());
    }
    synopsis.control("hy", []);
    page.roff(&synopsis);
    page.roff(&description(sub));
    page.clap(|w| man.render_options_section(w))?;
    page.roff(exit_status);
    page.roff(&environment());
    page.roff(&own_examples(sub, name)?);
    page.roff(&see_also(others));
    Ok(page.bytes)
}

fn man_of(command: Command) -> Man {
    Man::new(command)
}

/// A page being put together from clap_mangen's sections and ours.
#[derive(Default)]
struct Page {
    bytes: Vec<u8>,
}

impl Page {
    /// `.TH`, written here: clap_mangen drops an empty date, which shifts the source into the
    /// date's place. No date: the page depends on the sources only.
    fn title(&mut self, name: &str) {
        let mut roff = Roff::new();
        roff.control("TH", [name, "1"]);
        let mut part = Vec::new();
        roff.to_writer(&mut part)
            .expect("writing to a Vec does not fail");
        let line = format!(
            " \"\" \"asyncfiles {}\" \"User Commands\"\n",
            env!("CARGO_PKG_VERSION")
        );
        part.pop(); // the newline
        part.extend_from_slice(line.as_bytes());
        self.append(&part);
    }

    /// Appends what `render` writes, without the apostrophe preamble every render repeats (the
    /// first one stays).
    fn clap(&mut self, render: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>) -> Result<()> {
        let mut part = Vec::new();
        render(&mut part)?;
        self.append(&part);
        Ok(())
    }

    fn roff(&mut self, roff: &Roff) {
        let mut part = Vec::new();
        roff.to_writer(&mut part)
            .expect("writing to a Vec does not fail");
        self.append(&part);
    }

    fn append(&mut self, part: &[u8]) {
        let preamble = Roff::new().render();
        let part = match part.strip_prefix(preamble.as_bytes()) {
            Some(rest) if !self.bytes.is_empty() => rest,
            _ => part,
        };
        self.bytes
            .extend_from_slice(ascii_roff(&String::from_utf8_lossy(part)).as_bytes());
    }
}

/// `text` (roff) with its non-ASCII characters as groff escapes that every output device has:
/// under `LC_ALL=C`, groff's ascii device has no glyph for `…` and warns.
fn ascii_roff(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            // `\&` first: `...` at the start of a line would be a control line.
            '…' => out.push_str("\\&..."),
            '–' => out.push_str("\\(en"),
            '—' => out.push_str("\\(em"),
            '→' => out.push_str("\\(->"),
            '×' => out.push_str("\\(mu"),
            c if c.is_ascii() => out.push(c),
            // Anything else by its code point (a test checks the pages for groff warnings).
            c => out.push_str(&format!("\\[u{:04X}]", u32::from(c))),
        }
    }
    out
}

/// `asyncfiles [-q|-v] NAME [options…] ARGS…`, each option with its value's name.
fn sub_synopsis(sub: &Command, with_options: bool) -> Vec<Inline> {
    let mut line = vec![
        bold("asyncfiles"),
        roman(" ["),
        bold("-q"),
        roman("|"),
        bold("-v"),
        roman("...] "),
        bold(sub.get_name()),
    ];
    if with_options {
        for arg in sub.get_arguments().filter(|arg| shown_in_synopsis(arg)) {
            line.push(roman(" ["));
            line.extend(option_spelling(arg));
            line.push(roman("]"));
        }
    } else {
        line.push(roman(" ["));
        line.push(italic("options"));
        line.push(roman("]"));
    }
    if sub.get_name() == "convert" {
        // One list of PATHs to clap; to the reader, inputs and then the output.
        line.extend([roman(" "), italic("IN"), roman("... "), italic("OUT")]);
        return line;
    }
    for arg in sub.get_positionals().filter(|arg| !arg.is_hide_set()) {
        line.push(roman(" "));
        line.extend(positional_spelling(arg));
    }
    line
}

/// `convert`'s second form, in place: no OUT.
fn in_place_synopsis() -> Vec<Inline> {
    vec![
        bold("asyncfiles"),
        roman(" ["),
        bold("-q"),
        roman("|"),
        bold("-v"),
        roman("...] "),
        bold("convert"),
        roman(" "),
        bold("--in-place"),
        roman(" ["),
        italic("options"),
        roman("] "),
        italic("IN"),
        roman("..."),
    ]
}

/// The options a command's SYNOPSIS lists: its own (the global ones are in the first words;
/// -h and -V go without saying).
fn shown_in_synopsis(arg: &Arg) -> bool {
    !(arg.is_positional()
        || arg.is_hide_set()
        || arg.is_global_set()
        || arg.get_help_heading() == Some(crate::cli::GLOBAL_HEADING)
        || ["help", "version"].contains(&arg.get_id().as_str()))
}

/// `-c|--check MANIFEST`, `--replace RE REPL`, `--fsync`.
fn option_spelling(arg: &Arg) -> Vec<Inline> {
    let mut words = Vec::new();
    if let Some(short) = arg.get_short() {
        words.push(bold(format!("-{short}")));
    }
    if let Some(long) = arg.get_long() {
        if !words.is_empty() {
            words.push(roman("|"));
        }
        words.push(bold(format!("--{long}")));
    }
    let takes_values = arg.get_num_args().is_some_and(|range| range.takes_values());
    if takes_values {
        for name in arg.get_value_names().unwrap_or_default() {
            words.push(roman(" "));
            words.push(italic(name.as_str()));
        }
    }
    words
}

/// `IN`, `[PATH]...`.
fn positional_spelling(arg: &Arg) -> Vec<Inline> {
    let name = arg
        .get_value_names()
        .and_then(|names| names.first())
        .map_or_else(|| arg.get_id().to_string(), |name| name.to_string());
    let many = arg
        .get_num_args()
        .is_some_and(|range| range.max_values() > 1);
    let dots = if many { "..." } else { "" };
    if arg.is_required_set() {
        vec![italic(name), roman(dots)]
    } else {
        vec![roman("["), italic(name), roman(format!("]{dots}"))]
    }
}

/// A command's long help as paragraphs, without the parts that have their own section (its
/// examples, the exit codes).
fn description(command: &Command) -> Roff {
    let mut roff = Roff::new();
    roff.control("SH", ["DESCRIPTION"]);
    let text = long_about(command);
    let paragraphs = text
        .split("\n\n")
        .filter(|paragraph| !is_examples(paragraph) && !is_exit_codes(paragraph));
    for (index, paragraph) in paragraphs.enumerate() {
        if index > 0 {
            roff.control("PP", []);
        }
        roff.text([roman(paragraph.replace('\n', " "))]);
    }
    roff
}

fn long_about(command: &Command) -> String {
    command
        .get_long_about()
        .or_else(|| command.get_about())
        .map(ToString::to_string)
        .unwrap_or_default()
}

fn is_examples(paragraph: &str) -> bool {
    paragraph.starts_with("Examples:\n")
}

fn is_exit_codes(paragraph: &str) -> bool {
    paragraph.starts_with("Exit codes: ")
}

/// COMMANDS of the top page: each with its page (no `help`, nothing hidden).
fn commands(subcommands: &[&Command]) -> Roff {
    let mut roff = Roff::new();
    roff.control("SH", ["COMMANDS"]);
    for sub in subcommands {
        roff.control("TP", []);
        roff.text([bold(page_name(sub)), roman("(1)")]);
        if let Some(about) = sub.get_about() {
            roff.text([roman(about.to_string())]);
        }
    }
    roff
}

/// EXIT STATUS, from the `Exit codes: 0 all files ok, 1 …, 131 quit (SIGQUIT).` paragraph of
/// the top-level long help (one list of codes for `--help` and the pages).
fn exit_codes(top: &Command) -> Result<Roff> {
    let text = long_about(top);
    let Some(list) = text
        .split("\n\n")
        .find_map(|paragraph| paragraph.strip_prefix("Exit codes: "))
    else {
        bail!("the top-level long help has no `Exit codes: ` paragraph");
    };
    let mut roff = Roff::new();
    roff.control("SH", ["EXIT STATUS"]);
    for item in list.replace('\n', " ").trim_end_matches('.').split(", ") {
        let Some((code, meaning)) = item.split_once(' ') else {
            bail!("exit code without a meaning: {item:?}");
        };
        if code.parse::<u8>().is_err() {
            bail!("not an exit code: {item:?}");
        }
        roff.control("TP", []);
        roff.text([bold(code)]);
        roff.text([roman(capitalised(meaning))]);
    }
    Ok(roff)
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect::<String>() + "."
    })
}

fn environment() -> Roff {
    let mut roff = Roff::new();
    roff.control("SH", ["ENVIRONMENT"]);
    for (name, meaning) in ENVIRONMENT {
        roff.control("TP", []);
        roff.text([bold(name)]);
        roff.text([roman(meaning)]);
    }
    roff.control("PP", []);
    roff.text([roman(TEST_ONLY)]);
    roff
}

/// EXAMPLES of the top page: the README's "Recipes" block, each recipe with its comment.
fn recipes() -> Result<Roff> {
    let mut roff = Roff::new();
    roff.control("SH", ["EXAMPLES"]);
    for recipe in readme_recipes()? {
        roff.control("PP", []);
        roff.text([roman(capitalised(&recipe.about))]);
        code_block(&mut roff, &recipe.lines);
    }
    Ok(roff)
}

/// EXAMPLES of a command's page: the `Examples:` paragraph of its long help.
fn own_examples(sub: &Command, name: &str) -> Result<Roff> {
    let text = long_about(sub);
    let Some(examples) = text.split("\n\n").find(|paragraph| is_examples(paragraph)) else {
        bail!("{name}: the long help has no `Examples:` paragraph");
    };
    let lines: Vec<String> = examples
        .lines()
        .skip(1)
        .map(|line| line.trim().to_owned())
        .collect();
    let mut roff = Roff::new();
    roff.control("SH", ["EXAMPLES"]);
    code_block(&mut roff, &lines);
    roff.control("PP", []);
    roff.text([
        roman("More, for cron, shipping, resuming and scripting, in "),
        bold("asyncfiles"),
        roman("(1)."),
    ]);
    Ok(roff)
}

/// Lines as they are, indented, unfilled.
fn code_block(roff: &mut Roff, lines: &[String]) {
    roff.control("RS", ["4"]);
    roff.control("nf", []);
    for line in lines {
        roff.text([roman(line.as_str())]);
    }
    roff.control("fi", []);
    roff.control("RE", []);
}

/// One recipe of the README: what its comment says, and its command lines.
#[derive(Debug, PartialEq, Eq)]
pub struct Recipe {
    /// The comment above it, without `# `.
    pub about: String,
    /// The command lines, as written.
    pub lines: Vec<String>,
}

/// The recipes of the README's "Recipes" section: its ```sh block, a recipe per group of lines
/// (separated by a blank line) that starts with a `# ` comment.
pub fn readme_recipes() -> Result<Vec<Recipe>> {
    let Some(section) = README.split("\n## Recipes\n").nth(1) else {
        bail!("README.md has no `## Recipes` section");
    };
    let Some(block) = section
        .split_once("```sh\n")
        .and_then(|(_, rest)| rest.split_once("\n```"))
        .map(|(block, _)| block)
    else {
        bail!("README.md's Recipes section has no ```sh block");
    };
    let mut recipes = Vec::new();
    for group in block.split("\n\n") {
        let mut lines = group.lines();
        let Some(about) = lines.next().and_then(|line| line.strip_prefix("# ")) else {
            bail!("README.md: a recipe without a `# ` comment first: {group:?}");
        };
        recipes.push(Recipe {
            about: about.to_owned(),
            lines: lines.map(str::to_owned).collect(),
        });
    }
    Ok(recipes)
}

/// SEE ALSO: the other asyncfiles pages, then the peers.
fn see_also(pages: &[&str]) -> Roff {
    let mut roff = Roff::new();
    roff.control("SH", ["SEE ALSO"]);
    let mut line = Vec::new();
    for (index, name) in pages.iter().chain(PEERS.iter()).enumerate() {
        if index > 0 {
            line.push(roman(", "));
        }
        line.push(bold(*name));
        line.push(roman("(1)"));
    }
    roff.text(line);
    roff
}

/// `asyncfiles.{bash,zsh,fish,ps1,elv}`.
pub fn write_completions(dir: &Path) -> Result<()> {
    fs::create_dir_all(dir).with_context(|| dir.display().to_string())?;
    let shells = [
        (Shell::Bash, "bash"),
        (Shell::Zsh, "zsh"),
        (Shell::Fish, "fish"),
        (Shell::PowerShell, "ps1"),
        (Shell::Elvish, "elv"),
    ];
    for (shell, extension) in shells {
        let mut script = Vec::new();
        clap_complete::generate(shell, &mut completed_command(), "asyncfiles", &mut script);
        let path = dir.join(format!("asyncfiles.{extension}"));
        fs::write(&path, script).with_context(|| path.display().to_string())?;
    }
    Ok(())
}

/// The command the completions describe: asyncfiles without its hidden commands (clap_complete
/// offers hidden subcommands; `generate` is for building the package, not for users).
pub fn completed_command() -> Command {
    let full = crate::cli::command();
    let visible: Vec<Command> = full
        .get_subcommands()
        .filter(|sub| !sub.is_hide_set())
        .cloned()
        .collect();
    let mut command = Command::new(full.get_name().to_owned())
        .version(env!("CARGO_PKG_VERSION"))
        .propagate_version(true)
        .args(full.get_arguments().cloned())
        .subcommands(visible);
    if let Some(about) = full.get_about() {
        command = command.about(about.clone());
    }
    command
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shard_engine_variable_is_in_environment() {
        let names: Vec<&str> = ENVIRONMENT.iter().map(|(name, _)| *name).collect();
        for variable in crate::shard::INDEX_VARIABLES {
            assert!(names.contains(&variable), "{variable}");
        }
        assert!(names.contains(&crate::shard::SHARDS_ENV));
    }

    #[test]
    fn every_option_that_reads_the_environment_is_in_environment() {
        let names: Vec<&str> = ENVIRONMENT.iter().map(|(name, _)| *name).collect();
        let mut top = crate::cli::command();
        top.build();
        for sub in top.get_subcommands() {
            for arg in sub.get_arguments() {
                if let Some(variable) = arg.get_env() {
                    let variable = variable.to_str().unwrap();
                    assert!(names.contains(&variable), "{variable}");
                }
            }
        }
    }

    #[test]
    fn the_exit_codes_are_every_exit_code() {
        let mut top = crate::cli::command();
        top.build();
        let page = exit_codes(&top).unwrap().to_roff();
        for code in [0, 1, 2, 129, 130, 131, 143] {
            assert!(
                page.contains(&format!("\n\\fB{code}\\fR\n")),
                "{code}: {page}"
            );
        }
    }

    #[test]
    fn recipes_have_a_comment_and_commands() {
        let recipes = readme_recipes().unwrap();
        assert!(recipes.len() >= 5, "{recipes:?}");
        for recipe in recipes {
            assert!(!recipe.lines.is_empty(), "{recipe:?}");
            assert!(
                recipe.lines.iter().any(|line| line.contains("asyncfiles ")),
                "{recipe:?}"
            );
        }
    }
}
