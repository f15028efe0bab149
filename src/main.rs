//! The `asyncfiles` binary: parse the command line, run, exit with the run's code.

use clap::Parser;

fn main() -> std::process::ExitCode {
    asyncfiles::run(asyncfiles::cli::Cli::parse()).into()
}
