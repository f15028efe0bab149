//! The peers' dialect on the command line: `-1` … `-19` as gzip, zstd, xz and bzip2 users type
//! levels, turned into `--level=N` before clap sees them.
//!
//! clap cannot take `-19` as a short flag (two digits), so the command line is rewritten first.
//! A token is rewritten only where it stands as an option of `convert`: never as the value of an
//! option that takes one (`--grep -1`, `--replace a -1`, `--level -1`), never after `--`, never
//! for another command. Which options take values, and how many, is read from clap's own
//! [`clap::Command`], so a new option is accounted for without a list kept here. `-0` is not a
//! level: it stays `--null` (`find -print0` lists), so xz's and brotli's level 0 is `--level 0`.

use std::ffi::OsString;

/// The subcommand whose options `-N` belongs to.
const LEVEL_COMMAND: &str = "convert";

/// `args` (the program name first) with each `-N` option of `convert` written as `--level=N`.
pub fn expand_levels(
    command: &clap::Command,
    args: impl IntoIterator<Item = OsString>,
) -> Vec<OsString> {
    let mut command = command.clone();
    // Built, every argument knows how many values it takes, and globals reach the subcommands.
    command.build();
    let mut current = &command;
    let mut args = args.into_iter();
    let mut out: Vec<OsString> = args.next().into_iter().collect();
    // Tokens still owed to the option before them as its values.
    let mut owed: usize = 0;
    let mut options_ended = false;
    for arg in args {
        if owed > 0 || options_ended {
            owed = owed.saturating_sub(1);
            out.push(arg);
            continue;
        }
        let Some(text) = arg.to_str() else {
            out.push(arg); // not UTF-8: a path, never an option of ours
            continue;
        };
        if text == "--" {
            options_ended = true;
        } else if let Some(long) = text.strip_prefix("--") {
            owed = long_values(current, long);
        } else if let Some(level) = level(text).filter(|_| current.get_name() == LEVEL_COMMAND) {
            out.push(format!("--level={level}").into());
            continue;
        } else if text.len() > 1 && text.starts_with('-') {
            owed = short_values(current, &text[1..]);
        } else if let Some(subcommand) = current.find_subcommand(text) {
            current = subcommand;
        }
        out.push(arg);
    }
    out
}

/// The level of a `-N` token: a dash and a number that does not start with 0 (`-0` is `--null`).
/// Any such number, so that `-20` meets `--level`'s own range check and message.
fn level(text: &str) -> Option<&str> {
    let digits = text.strip_prefix('-')?;
    let all_digits = !digits.is_empty() && digits.bytes().all(|byte| byte.is_ascii_digit());
    (all_digits && !digits.starts_with('0')).then_some(digits)
}

/// How many of the next tokens `--NAME` (or `--NAME=VALUE`, none) takes as values.
fn long_values(command: &clap::Command, long: &str) -> usize {
    if long.contains('=') {
        return 0;
    }
    command
        .get_arguments()
        .find(|arg| {
            arg.get_long() == Some(long)
                || arg
                    .get_all_aliases()
                    .is_some_and(|aliases| aliases.contains(&long))
        })
        .map_or(0, values_taken)
}

/// How many of the next tokens a cluster of short flags (`vj`, `j4`, `c`) takes: those of its
/// first flag that takes values, unless the value is glued to it (`-j4`).
fn short_values(command: &clap::Command, cluster: &str) -> usize {
    for (at, flag) in cluster.char_indices() {
        let Some(arg) = command
            .get_arguments()
            .find(|arg| arg.get_short() == Some(flag))
        else {
            return 0; // clap will refuse it
        };
        let values = values_taken(arg);
        if values > 0 {
            let glued = at + flag.len_utf8() < cluster.len();
            return values - usize::from(glued);
        }
    }
    0
}

/// The number of values an option takes each time it is given (`--replace`: 2, a flag: 0).
fn values_taken(arg: &clap::Arg) -> usize {
    if !arg.get_action().takes_values() {
        return 0;
    }
    arg.get_num_args().map_or(1, |range| range.min_values())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    use super::*;

    fn expand(args: &[&str]) -> Vec<String> {
        let args = std::iter::once("asyncfiles").chain(args.iter().copied());
        expand_levels(&crate::cli::Cli::command(), args.map(OsString::from))
            .into_iter()
            .skip(1)
            .map(|arg| arg.into_string().unwrap())
            .collect()
    }

    #[test]
    fn levels_of_convert_become_level_options() {
        assert_eq!(
            expand(&["-v", "convert", "--to", "zst", "-19", "in", "out"]),
            ["-v", "convert", "--to", "zst", "--level=19", "in", "out"]
        );
        assert_eq!(
            expand(&["convert", "-1", "-9"]),
            ["convert", "--level=1", "--level=9"]
        );
        assert_eq!(expand(&["convert", "-20"]), ["convert", "--level=20"]);
    }

    #[test]
    fn values_of_options_and_other_commands_are_left_alone() {
        for args in [
            &["convert", "--grep", "-1", "in", "out"][..],
            &["convert", "--grep-v", "-19", "in", "out"],
            &["convert", "--replace", "a", "-1", "in", "out"],
            &["convert", "--replace", "-1", "-2", "in", "out"],
            &["convert", "--level", "-1", "in", "out"],
            &["convert", "--include", "-5", "in", "out"],
            &["convert", "-j", "-3", "in", "out"],
            &["convert", "--", "-1", "out"],
            &["convert", "-0", "--files-from", "-", "in", "out"],
            &["convert", "-05", "in", "out"],
            &["hash", "-1"],
            &["-1", "convert"],
        ] {
            assert_eq!(expand(args), args, "{args:?}");
        }
    }

    #[test]
    fn a_value_glued_to_its_option_takes_no_token() {
        assert_eq!(
            expand(&["convert", "-j4", "-3", "--grep=x", "-6", "in", "out"]),
            [
                "convert",
                "-j4",
                "--level=3",
                "--grep=x",
                "--level=6",
                "in",
                "out"
            ]
        );
        // --trim takes no value: the level after it is an option.
        assert_eq!(
            expand(&["convert", "--trim", "-2"]),
            ["convert", "--trim", "--level=2"]
        );
    }
}
