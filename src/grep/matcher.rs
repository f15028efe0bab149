//! The patterns of `grep` (`PATTERN`, `-e`, `-f`) and their options (`-F`, `-i`, `-S`, `-w`,
//! `-x`) compiled into one `regex::bytes` regex: Unicode off unless a pattern says `(?u)`, `^`
//! and `$` at line boundaries, so that whole decoded chunks are searched at once.

use anyhow::{Context as _, Result};
use regex::bytes::{Regex, RegexBuilder};

/// How the patterns are read.
#[derive(Debug, Clone, Copy, Default)]
pub struct MatchOptions {
    /// `-F`: fixed strings.
    pub fixed: bool,
    /// `-i`.
    pub ignore_case: bool,
    /// `-S`: `-i` unless a pattern has an upper-case letter.
    pub smart_case: bool,
    /// `-w`: whole words.
    pub word: bool,
    /// `-x`: whole lines.
    pub line: bool,
}

/// The compiled patterns; `None` when there are none (an empty `-f` file): nothing matches.
#[derive(Debug, Clone)]
pub struct Matcher {
    regex: Option<Regex>,
}

impl Matcher {
    /// Compiles `patterns` (a line matches when any of them matches).
    pub fn new(patterns: &[String], options: &MatchOptions) -> Result<Self> {
        if patterns.is_empty() {
            return Ok(Self { regex: None });
        }
        let alternatives: Vec<String> = patterns
            .iter()
            .map(|pattern| match options.fixed {
                true => regex::escape(pattern),
                false => pattern.clone(),
            })
            .map(|pattern| format!("(?:{pattern})"))
            .collect();
        let mut pattern = alternatives.join("|");
        if options.word {
            // GNU grep's -w: no word character just before or just after the match.
            pattern = format!(r"\b{{start-half}}(?:{pattern})\b{{end-half}}");
        }
        if options.line {
            pattern = format!("^(?:{pattern})$");
        }
        let insensitive = options.ignore_case
            || (options.smart_case && !patterns.iter().any(|pattern| has_upper(pattern)));
        let regex = RegexBuilder::new(&pattern)
            .unicode(false)
            .multi_line(true)
            .case_insensitive(insensitive)
            .build()
            .with_context(|| format!("invalid pattern {}", patterns.join(" or ")))?;
        Ok(Self { regex: Some(regex) })
    }

    /// The leftmost match in `haystack` at or after `start`.
    pub fn find_at(&self, haystack: &[u8], start: usize) -> Option<(usize, usize)> {
        let found = self.regex.as_ref()?.find_at(haystack, start)?;
        Some((found.start(), found.end()))
    }

    /// Whether `line` (without its newline) has a match.
    pub fn is_match(&self, line: &[u8]) -> bool {
        self.regex
            .as_ref()
            .is_some_and(|regex| regex.is_match(line))
    }

    /// The matches in `line`, non-empty ones only (what -o, colour and JSON show).
    pub fn each(&self, line: &[u8], mut found: impl FnMut(usize, usize)) {
        if let Some(regex) = &self.regex {
            for hit in regex.find_iter(line).filter(|hit| !hit.is_empty()) {
                found(hit.start(), hit.end());
            }
        }
    }
}

/// Whether `pattern` has an upper-case letter outside an escape (`\S` and `\W` do not count).
fn has_upper(pattern: &str) -> bool {
    let mut escaped = false;
    pattern.chars().any(|c| {
        let upper = !escaped && c.is_uppercase();
        escaped = !escaped && c == '\\';
        upper
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matcher(patterns: &[&str], options: MatchOptions) -> Matcher {
        let patterns: Vec<String> = patterns.iter().map(|p| p.to_string()).collect();
        Matcher::new(&patterns, &options).unwrap()
    }

    #[test]
    fn words_lines_and_case() {
        let word = matcher(
            &["foo"],
            MatchOptions {
                word: true,
                ..Default::default()
            },
        );
        assert!(word.is_match(b"a foo b"));
        assert!(!word.is_match(b"afoo b"));
        let line = matcher(
            &["foo"],
            MatchOptions {
                line: true,
                ..Default::default()
            },
        );
        assert!(line.is_match(b"foo"));
        assert!(!line.is_match(b"foo "));
        let smart = matcher(
            &["foo"],
            MatchOptions {
                smart_case: true,
                ..Default::default()
            },
        );
        assert!(smart.is_match(b"FOO"));
        let smart = matcher(
            &["Foo"],
            MatchOptions {
                smart_case: true,
                ..Default::default()
            },
        );
        assert!(!smart.is_match(b"FOO"));
        let escaped = matcher(
            &[r"\Sx"],
            MatchOptions {
                smart_case: true,
                ..Default::default()
            },
        );
        assert!(escaped.is_match(b"AX"));
        let fixed = matcher(
            &["a.b"],
            MatchOptions {
                fixed: true,
                ..Default::default()
            },
        );
        assert!(!fixed.is_match(b"axb"));
        assert!(!matcher(&[], MatchOptions::default()).is_match(b"x"));
        assert!(matcher(&["x", "y"], MatchOptions::default()).is_match(b"y"));
        // Invalid UTF-8 never fails a search.
        assert!(matcher(&["a.c"], MatchOptions::default()).is_match(b"a\xffc"));
    }
}
