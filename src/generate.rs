//! Man pages and shell completions, generated from the clap definitions so they never drift.
//!
//! `asyncfiles generate man DIR` and `asyncfiles generate completions DIR` write what is committed
//! under `man/` and `completions/`; a test regenerates both and fails when they differ.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result};
use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::{Cli, GenerateArgs, GenerateWhat};

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
    let command = Cli::command();
    write_man_page(dir, "asyncfiles", command.clone())?;
    for sub in command.get_subcommands().filter(|sub| !sub.is_hide_set()) {
        let name = format!("asyncfiles-{}", sub.get_name());
        write_man_page(
            dir,
            &name,
            sub.clone()
                .name(name.clone())
                .version(env!("CARGO_PKG_VERSION")),
        )?;
    }
    Ok(())
}

fn write_man_page(dir: &Path, name: &str, command: clap::Command) -> Result<()> {
    let mut page = Vec::new();
    clap_mangen::Man::new(command).render(&mut page)?;
    let path = dir.join(format!("{name}.1"));
    fs::write(&path, page).with_context(|| path.display().to_string())
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
        clap_complete::generate(shell, &mut Cli::command(), "asyncfiles", &mut script);
        let path = dir.join(format!("asyncfiles.{extension}"));
        fs::write(&path, script).with_context(|| path.display().to_string())?;
    }
    Ok(())
}
