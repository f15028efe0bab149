//! The `asyncfiles` binary: parse the command line, run, exit with the run's code.

fn main() -> std::process::ExitCode {
    asyncfiles::run(asyncfiles::cli::parse()).into()
}
