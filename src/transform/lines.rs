//! Line transforms (`--grep`, `--grep-v`, `--replace`, `--redact`, `--trim`, `--drop-empty`) and
//! the stage that frames a file's chunks into blocks of whole lines for them.
//!
//! Every transform works on a *block* of whole lines at once, never one regex call per line
//! (ripgrep#176): the regex runs over the whole block, and line boundaries are found around its
//! matches. The result must still be what matching each line on its own would give, so a match
//! that leaves its line (a pattern such as `\s` can match the terminator) sends that line back
//! to be done alone. A line's terminator (`\n` or `\r\n`) is never part of what is matched or
//! kept by `--trim`, and is written back as it was.

use std::ops::Range;
use std::sync::Arc;

use anyhow::{Result, bail};
use regex::bytes::{Captures, Match, Regex};

use super::Stage;
use crate::size::Size;

/// One line transform, applied to blocks of whole lines. Shared by every file of a run.
pub trait LineOp: Send + Sync {
    /// Appends to `out` what becomes of `block`: whole lines, each ending in `\n` except
    /// possibly the last line of a file.
    fn apply(&self, block: &[u8], out: &mut Vec<u8>);
}

/// The span of one line in a block: `content` excludes the terminator, `end` includes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Line {
    start: usize,
    content_end: usize,
    end: usize,
}

impl Line {
    /// The line that contains byte `at` of `block` (`at` may be `block.len()` for an
    /// unterminated last line).
    fn around(block: &[u8], at: usize) -> Self {
        let start = memchr::memrchr(b'\n', &block[..at]).map_or(0, |newline| newline + 1);
        let end = memchr::memchr(b'\n', &block[at..]).map_or(block.len(), |i| at + i + 1);
        Self::spanning(block, start, end)
    }

    /// The line from `start` to `end` (just past its `\n`, or the end of the block).
    fn spanning(block: &[u8], start: usize, end: usize) -> Self {
        let line = &block[start..end];
        let content = match line.strip_suffix(b"\n") {
            Some(body) => body.strip_suffix(b"\r").unwrap_or(body),
            None => line,
        };
        Self {
            start,
            content_end: start + content.len(),
            end,
        }
    }

    fn content<'a>(&self, block: &'a [u8]) -> &'a [u8] {
        &block[self.start..self.content_end]
    }

    fn terminator<'a>(&self, block: &'a [u8]) -> &'a [u8] {
        &block[self.content_end..self.end]
    }

    /// Whether a match at `range` lies inside this line's content (an empty match may sit at
    /// its very end).
    fn holds(&self, range: &Range<usize>) -> bool {
        range.start <= self.content_end && range.end <= self.content_end
    }
}

/// The lines of a block, in order.
fn lines(block: &[u8]) -> impl Iterator<Item = Line> + '_ {
    let mut start = 0;
    std::iter::from_fn(move || {
        if start >= block.len() {
            return None;
        }
        let end = memchr::memchr(b'\n', &block[start..]).map_or(block.len(), |i| start + i + 1);
        let line = Line::spanning(block, start, end);
        start = end;
        Some(line)
    })
}

/// Number of lines in a block (an unterminated last line counts).
pub fn count_lines(block: &[u8]) -> u64 {
    let newlines = memchr::memchr_iter(b'\n', block).count() as u64;
    newlines + u64::from(!block.is_empty() && !block.ends_with(b"\n"))
}

/// A regex as line transforms use it: built from `regex::bytes` syntax with Unicode off unless
/// the pattern turns it on (`(?u)`), `^`/`$` at line boundaries (`\n` or `\r\n`; as in the
/// regex crate's CRLF mode, a lone `\r` also counts for `^`/`$`, and `.` does not match it).
pub struct LineRegex {
    /// The compiled regex.
    pub regex: Regex,
    /// The pattern looks at the very start or end of its haystack (`\A`, `\z`): it must be
    /// given one line at a time, not a block.
    pub per_line: bool,
}

/// Compiles `pattern` for line transforms.
pub fn line_regex(pattern: &str) -> Result<LineRegex, regex::Error> {
    let regex = regex::bytes::RegexBuilder::new(pattern)
        .unicode(false)
        .multi_line(true)
        .crlf(true)
        .build()?;
    let per_line = regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .multi_line(true)
        .crlf(true)
        .build()
        .parse(pattern)
        .map_or(true, |hir| {
            let looks = hir.properties().look_set();
            looks.contains(regex_syntax::hir::Look::Start)
                || looks.contains(regex_syntax::hir::Look::End)
        });
    Ok(LineRegex { regex, per_line })
}

/// `--grep RE` (keep matching lines) and `--grep-v RE` (drop them).
pub struct Grep {
    regex: Regex,
    per_line: bool,
    keep_matching: bool,
}

impl Grep {
    /// Keeps the lines that match (`keep_matching`) or those that do not.
    pub fn new(regex: LineRegex, keep_matching: bool) -> Self {
        Self {
            regex: regex.regex,
            per_line: regex.per_line,
            keep_matching,
        }
    }
}

impl LineOp for Grep {
    fn apply(&self, block: &[u8], out: &mut Vec<u8>) {
        if self.per_line {
            for line in lines(block) {
                if self.regex.is_match(line.content(block)) == self.keep_matching {
                    out.extend_from_slice(&block[line.start..line.end]);
                }
            }
            return;
        }
        let mut undecided = 0; // lines before this have been kept or dropped
        while undecided < block.len() {
            let Some(found) = self.regex.find_at(block, undecided) else {
                break;
            };
            if found.start() == block.len() && block.ends_with(b"\n") {
                break; // an empty match after the last line: no line there
            }
            let line = Line::around(block, found.start());
            // Lines between had no match: the regex would have found it first.
            if !self.keep_matching {
                out.extend_from_slice(&block[undecided..line.start]);
            }
            let matched = line.holds(&found.range()) || self.regex.is_match(line.content(block));
            if matched == self.keep_matching {
                out.extend_from_slice(&block[line.start..line.end]);
            }
            undecided = line.end;
        }
        if !self.keep_matching {
            out.extend_from_slice(&block[undecided..]);
        }
    }
}

/// A match to rewrite: its span, with its capture groups when the rewrite needs them.
pub type Found<'h> = (Range<usize>, Option<Captures<'h>>);

/// The matches of a regex in `hay`, leftmost first, with capture groups if `captures`.
pub fn regex_matches<'h>(
    regex: &'h Regex,
    hay: &'h [u8],
    captures: bool,
) -> Box<dyn Iterator<Item = Found<'h>> + 'h> {
    if captures {
        Box::new(regex.captures_iter(hay).map(|caps| {
            let range = caps.get(0).map_or(0..0, |m| m.range());
            (range, Some(caps))
        }))
    } else {
        Box::new(regex.find_iter(hay).map(|m: Match| (m.range(), None)))
    }
}

/// How the matches of a rewriting transform are found and replaced.
pub trait Rewrite: Send + Sync {
    /// The matches in `hay`, leftmost first and not overlapping, as a regex's `find_iter` gives
    /// them (with capture groups where [`Rewrite::emit`] needs them).
    fn matches<'h>(&'h self, hay: &'h [u8]) -> Box<dyn Iterator<Item = Found<'h>> + 'h>;

    /// Appends the replacement for the match at `range` of `hay`. May write the matched bytes
    /// back unchanged, e.g. for a candidate that turns out not to be an address.
    fn emit(&self, hay: &[u8], range: Range<usize>, captures: Option<&Captures>, out: &mut Vec<u8>);

    /// Whether matches must be looked for one line at a time (see [`LineRegex::per_line`]).
    fn per_line(&self) -> bool {
        false
    }
}

/// Any [`Rewrite`] is a line transform: every match in every line is replaced.
pub struct Rewriter<R>(pub R);

impl<R: Rewrite> LineOp for Rewriter<R> {
    fn apply(&self, block: &[u8], out: &mut Vec<u8>) {
        if self.0.per_line() {
            for line in lines(block) {
                rewrite_alone(&self.0, line.content(block), out);
                out.extend_from_slice(line.terminator(block));
            }
        } else {
            rewrite_block(&self.0, block, self.0.matches(block), out);
        }
    }
}

/// Replaces the matches of one block; a line that a match leaves (or enters) is redone alone.
fn rewrite_block<'h, R: Rewrite>(
    rewrite: &R,
    block: &'h [u8],
    matches: impl Iterator<Item = (Range<usize>, Option<Captures<'h>>)>,
    out: &mut Vec<u8>,
) {
    let mut copied = 0; // block[..copied] is in `out`
    let mut current: Option<(Line, usize)> = None; // the line being rewritten, and where its output starts
    for (range, captures) in matches {
        if range.start < copied {
            // Found from inside lines already redone; if it reaches past them (or to the start of
            // the next line), the lines it reaches cannot trust the block's matches either.
            if range.end >= copied && copied < block.len() {
                copied = redo_alone(rewrite, block, copied, range.end, out);
            }
            continue;
        }
        if range.start == block.len() && (block.is_empty() || block.ends_with(b"\n")) {
            break; // an empty match after the last line: no line there
        }
        let (line, line_out) = match current {
            Some((line, line_out)) if range.start < line.end || line.end == block.len() => {
                (line, line_out)
            }
            _ => {
                let line = Line::around(block, range.start);
                out.extend_from_slice(&block[copied..line.start]);
                copied = line.start;
                current = Some((line, out.len()));
                (line, out.len())
            }
        };
        if line.holds(&range) {
            out.extend_from_slice(&block[copied..range.start]);
            rewrite.emit(block, range.clone(), captures.as_ref(), out);
            copied = range.end;
            continue;
        }
        // The match leaves its line: undo this line and redo it, and every line the match
        // reached, each on its own.
        out.truncate(line_out);
        copied = redo_alone(rewrite, block, line.start, range.end, out);
        current = None;
    }
    out.extend_from_slice(&block[copied..]);
}

/// Rewrites each line from the one starting at `from` to the one holding byte `to` (or starting
/// there) on its own; returns where the next line starts.
fn redo_alone<R: Rewrite>(
    rewrite: &R,
    block: &[u8],
    from: usize,
    to: usize,
    out: &mut Vec<u8>,
) -> usize {
    let reach = if to < block.len() {
        Line::around(block, to).end
    } else {
        block.len()
    };
    let span = &block[from..reach]; // `from` is a line start
    for alone in lines(span) {
        rewrite_alone(rewrite, alone.content(span), out);
        out.extend_from_slice(alone.terminator(span));
    }
    reach
}

/// Replaces the matches in one line's content (which holds no `\n`).
fn rewrite_alone<R: Rewrite>(rewrite: &R, content: &[u8], out: &mut Vec<u8>) {
    let mut copied = 0;
    let mut emit = |range: Range<usize>, captures: Option<&Captures>, out: &mut Vec<u8>| {
        out.extend_from_slice(&content[copied..range.start]);
        copied = range.end;
        rewrite.emit(content, range, captures, out);
    };
    for (range, captures) in rewrite.matches(content) {
        emit(range, captures.as_ref(), out);
    }
    out.extend_from_slice(&content[copied..]);
}

/// `--replace RE REPL`: every match becomes REPL, with `$1`, `${name}` and `$$` expanded.
pub struct Replace {
    regex: Regex,
    per_line: bool,
    template: Vec<u8>,
    /// REPL refers to no group: the replacement is the same for every match.
    literal: Option<Vec<u8>>,
}

impl Replace {
    /// A replacement of `regex`'s matches by `template` (`regex` crate expansion syntax).
    pub fn new(regex: LineRegex, template: &[u8]) -> Self {
        let literal = (!template.contains(&b'$')).then(|| template.to_vec());
        Self {
            regex: regex.regex,
            per_line: regex.per_line,
            template: template.to_vec(),
            literal,
        }
    }
}

impl Rewrite for Replace {
    fn matches<'h>(&'h self, hay: &'h [u8]) -> Box<dyn Iterator<Item = Found<'h>> + 'h> {
        regex_matches(&self.regex, hay, self.literal.is_none())
    }

    fn per_line(&self) -> bool {
        self.per_line
    }

    fn emit(&self, _: &[u8], _: Range<usize>, captures: Option<&Captures>, out: &mut Vec<u8>) {
        match (&self.literal, captures) {
            (Some(literal), _) => out.extend_from_slice(literal),
            (None, Some(captures)) => captures.expand(&self.template, out),
            (None, None) => unreachable!("captures are asked for when the template has groups"),
        }
    }
}

/// `--trim`: removes spaces and tabs at the end of each line.
pub struct Trim;

impl LineOp for Trim {
    fn apply(&self, block: &[u8], out: &mut Vec<u8>) {
        for line in lines(block) {
            let content = line.content(block);
            let kept = content
                .iter()
                .rposition(|&byte| byte != b' ' && byte != b'\t')
                .map_or(0, |last| last + 1);
            out.extend_from_slice(&content[..kept]);
            out.extend_from_slice(line.terminator(block));
        }
    }
}

/// `--drop-empty`: drops lines with nothing before their terminator.
pub struct DropEmpty;

impl LineOp for DropEmpty {
    fn apply(&self, block: &[u8], out: &mut Vec<u8>) {
        for line in lines(block) {
            if line.content_end > line.start {
                out.extend_from_slice(&block[line.start..line.end]);
            }
        }
    }
}

/// Lines read and written by a file's line transforms.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LineCounts {
    /// Lines that came in (an unterminated last line counts).
    pub read: u64,
    /// Lines that went out.
    pub written: u64,
}

/// The stage that runs a file's line transforms: it cuts the chunks it is given at their last
/// newline, carries the partial line over to the next chunk, and hands whole-line blocks to
/// each transform in command-line order.
pub struct LineStage {
    ops: Arc<[Box<dyn LineOp>]>,
    max_line: u64,
    /// `max_line` as the user wrote it (`64 MiB`, `50 MB`), for the message.
    limit: Size,
    /// Lines of the file before the first one this stage sees (a block of a large file starts
    /// past them): messages name lines by their number in the file.
    first_line: u64,
    /// The start of a line whose end has not arrived yet.
    carry: Vec<u8>,
    counts: LineCounts,
    scratch: [Vec<u8>; 2],
}

impl LineStage {
    /// A stage running `ops` in order; a line longer than `limit` fails the file.
    pub fn new(ops: Arc<[Box<dyn LineOp>]>, limit: impl Into<Size>) -> Self {
        let limit = limit.into();
        Self {
            ops,
            max_line: limit.bytes,
            limit,
            first_line: 0,
            carry: Vec::new(),
            counts: LineCounts::default(),
            scratch: [Vec::new(), Vec::new()],
        }
    }

    /// The same stage for a part of a file that starts after `lines` lines.
    pub fn starting_after(mut self, lines: u64) -> Self {
        self.first_line = lines;
        self
    }

    /// Runs a block of whole lines through every transform, appending the result to `out`.
    fn run(&mut self, block: &[u8], out: &mut Vec<u8>) -> Result<()> {
        self.check_line_lengths(block)?;
        self.counts.read += count_lines(block);
        let before = out.len();
        let [current, next] = &mut self.scratch;
        let last = self.ops.len().saturating_sub(1);
        for (index, op) in self.ops.iter().enumerate() {
            let input: &[u8] = if index == 0 { block } else { current };
            if index == last {
                op.apply(input, out);
            } else {
                next.clear();
                op.apply(input, next);
                std::mem::swap(current, next);
            }
        }
        if self.ops.is_empty() {
            out.extend_from_slice(block);
        }
        self.counts.written += count_lines(&out[before..]);
        Ok(())
    }

    /// Fails on a line longer than the limit; only a block longer than the limit can hold one.
    fn check_line_lengths(&self, block: &[u8]) -> Result<()> {
        if (block.len() as u64) <= self.max_line {
            return Ok(());
        }
        for (index, line) in lines(block).enumerate() {
            if (line.content_end - line.start) as u64 > self.max_line {
                return Err(self.too_long(index as u64));
            }
        }
        Ok(())
    }

    /// Whether the line being carried is already over the limit (a `\r` at its end may be
    /// the first half of its terminator).
    fn carry_too_long(&self) -> bool {
        let content = self.carry.strip_suffix(b"\r").unwrap_or(&self.carry);
        content.len() as u64 > self.max_line
    }

    fn too_long(&self, index_in_block: u64) -> anyhow::Error {
        anyhow::anyhow!(
            "line {} exceeds {}",
            self.first_line + self.counts.read + index_in_block + 1,
            self.limit
        )
    }

    /// What the transforms have read and written so far.
    pub fn counts(&self) -> LineCounts {
        self.counts
    }
}

impl Stage for LineStage {
    fn process(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<()> {
        let Some(last_newline) = memchr::memrchr(b'\n', input) else {
            self.carry.extend_from_slice(input);
            if self.carry_too_long() {
                return Err(self.too_long(0));
            }
            return Ok(());
        };
        let (mut whole, rest) = input.split_at(last_newline + 1);
        if !self.carry.is_empty() {
            // Only the line that the carry starts is joined (copied); the rest of the chunk is
            // matched where it lies.
            let first_end = memchr::memchr(b'\n', whole).map_or(whole.len(), |i| i + 1);
            let mut line = std::mem::take(&mut self.carry);
            line.extend_from_slice(&whole[..first_end]);
            self.run(&line, out)?;
            line.clear();
            self.carry = line;
            whole = &whole[first_end..];
        }
        if !whole.is_empty() {
            self.run(whole, out)?;
        }
        self.carry.extend_from_slice(rest);
        if self.carry_too_long() {
            bail!(self.too_long(0));
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut Vec<u8>) -> Result<()> {
        let last = std::mem::take(&mut self.carry);
        if !last.is_empty() {
            self.run(&last, out)?;
        }
        Ok(())
    }

    fn line_counts(&self) -> Option<LineCounts> {
        Some(self.counts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ops(list: Vec<Box<dyn LineOp>>) -> Arc<[Box<dyn LineOp>]> {
        list.into()
    }

    /// Runs `input` through a stage of `ops`, cut into chunks at `cuts`.
    fn run(ops: &Arc<[Box<dyn LineOp>]>, input: &[u8], cuts: &[usize]) -> (Vec<u8>, LineCounts) {
        let mut chain = crate::transform::Chain::default();
        chain.push(Box::new(LineStage::new(ops.clone(), 1 << 20)));
        let out = crate::transform::feed_in_chunks(&mut chain, input, cuts);
        (out, chain.line_counts().unwrap())
    }

    fn grep(pattern: &str, keep: bool) -> Box<dyn LineOp> {
        Box::new(Grep::new(line_regex(pattern).unwrap(), keep))
    }

    fn replace(pattern: &str, template: &str) -> Box<dyn LineOp> {
        Box::new(Rewriter(Replace::new(
            line_regex(pattern).unwrap(),
            template.as_bytes(),
        )))
    }

    /// The per-line definition the block engine must agree with.
    fn reference(input: &[u8], each: impl Fn(&[u8]) -> Option<Vec<u8>>) -> Vec<u8> {
        let mut out = Vec::new();
        for line in lines(input) {
            if let Some(content) = each(line.content(input)) {
                out.extend_from_slice(&content);
                out.extend_from_slice(line.terminator(input));
            }
        }
        out
    }

    #[test]
    fn grep_keeps_or_drops_whole_lines_with_their_terminators() {
        let grep_get = ops(vec![grep("GET", true)]);
        let input = b"GET /a\r\nPOST /b\nGET /c";
        assert_eq!(run(&grep_get, input, &[]).0, b"GET /a\r\nGET /c");
        let drop_get = ops(vec![grep("GET", false)]);
        assert_eq!(run(&drop_get, input, &[]).0, b"POST /b\n");
        assert_eq!(
            run(&drop_get, input, &[]).1,
            LineCounts {
                read: 3,
                written: 1
            }
        );
    }

    #[test]
    fn anchors_work_at_line_boundaries_and_before_crlf() {
        let ends = ops(vec![grep("b$", true)]);
        assert_eq!(run(&ends, b"ab\r\nba\nb", &[]).0, b"ab\r\nb");
        let starts = ops(vec![grep("^b", true)]);
        assert_eq!(run(&starts, b"ab\nba\n", &[]).0, b"ba\n");
    }

    #[test]
    fn a_match_across_lines_does_not_count() {
        // `a\sb` could match "a\nb" across the line break; no single line holds it.
        let across = ops(vec![grep(r"a\sb", true)]);
        assert_eq!(run(&across, b"xa\nbx\na b\n", &[]).0, b"a b\n");
        let replace_space = ops(vec![replace(r"\s+", "_")]);
        assert_eq!(
            run(&replace_space, b"a b \n\nc\td\n", &[]).0,
            b"a_b_\n\nc_d\n"
        );
    }

    #[test]
    fn replace_expands_groups_names_and_dollars() {
        let swap = ops(vec![replace(r"(\w+)=(?P<v>\w+)", "${v}=$1 $$")]);
        assert_eq!(run(&swap, b"a=1 b=2\n", &[]).0, b"1=a $ 2=b $\n");
    }

    #[test]
    fn empty_matches_never_land_inside_a_crlf() {
        let marks = ops(vec![replace("x*", "-")]);
        assert_eq!(run(&marks, b"ab\r\n\r\n", &[]).0, b"-a-b-\r\n-\r\n");
    }

    #[test]
    fn haystack_anchors_see_each_line() {
        let starts = ops(vec![grep(r"\Afoo", true)]);
        assert_eq!(run(&starts, b"foo1\nfoo2\nxfoo\n", &[]).0, b"foo1\nfoo2\n");
        let ends = ops(vec![grep(r"ok\z", true)]);
        assert_eq!(run(&ends, b"x ok\r\nok y\n", &[]).0, b"x ok\r\n");
        let quote = ops(vec![replace(r"\A", "> ")]);
        assert_eq!(run(&quote, b"a\nb\n", &[]).0, b"> a\n> b\n");
    }

    #[test]
    fn a_crlf_split_between_chunks_is_not_part_of_the_length() {
        let mut chain = crate::transform::Chain::default();
        chain.push(Box::new(LineStage::new(ops(vec![Box::new(Trim)]), 4)));
        assert_eq!(
            crate::transform::feed_in_chunks(&mut chain, b"abcd\r\n", &[5]),
            b"abcd\r\n"
        );
    }

    #[test]
    fn trim_and_drop_empty_leave_terminators_alone() {
        let tidy = ops(vec![Box::new(Trim), Box::new(DropEmpty)]);
        assert_eq!(run(&tidy, b"a \t\r\n \t\n\nb\t", &[]).0, b"a\r\nb");
    }

    #[test]
    fn every_line_dropped_leaves_nothing() {
        let none = ops(vec![grep("x", true)]);
        assert_eq!(run(&none, b"a\nb\n", &[1]).0, b"");
    }

    #[test]
    fn a_line_longer_than_the_limit_fails_with_its_number() {
        let mut stage = LineStage::new(ops(vec![Box::new(Trim)]), 4);
        let mut out = Vec::new();
        stage.process(b"ok\nfine\n", &mut out).unwrap();
        let error = stage.process(b"toolong", &mut out).unwrap_err();
        assert_eq!(error.to_string(), "line 3 exceeds 4 bytes");
        let mut stage = LineStage::new(ops(vec![Box::new(Trim)]), 4);
        let error = stage.process(b"ok\ntoolong\nok\n", &mut out).unwrap_err();
        assert_eq!(error.to_string(), "line 2 exceeds 4 bytes");
    }

    fn bytes() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(
            prop_oneof![
                Just(b'\r'),
                Just(b'\n'),
                Just(b' '),
                Just(b'a'),
                Just(b'b'),
                any::<u8>()
            ],
            0..200,
        )
    }

    proptest! {
        #[test]
        fn replace_matches_the_per_line_definition(
            input in bytes(),
            cuts in proptest::collection::vec(any::<usize>(), 0..5),
            pattern in prop_oneof![Just(r"\s"), Just(r"a\s*b"), Just("b*"), Just("^a|b$"), Just(r"[^a]+"), Just(r"\Aa|b\z")],
        ) {
            let regex = line_regex(pattern).unwrap().regex;
            let expected = reference(&input, |content| Some(regex.replace_all(content, &b"<$0>"[..]).into_owned()));
            prop_assert_eq!(run(&ops(vec![replace(pattern, "<$0>")]), &input, &cuts).0, expected);
        }

        #[test]
        fn grep_matches_the_per_line_definition(
            input in bytes(),
            cuts in proptest::collection::vec(any::<usize>(), 0..5),
            pattern in prop_oneof![Just(r"\s"), Just(r"a\s*b"), Just("b*"), Just("^a|b$"), Just(r"[^a]+"), Just("^$"), Just(r"\Aa|b\z")],
            keep in any::<bool>(),
        ) {
            let regex = line_regex(pattern).unwrap().regex;
            let expected = reference(&input, |content| (regex.is_match(content) == keep).then(|| content.to_vec()));
            prop_assert_eq!(run(&ops(vec![grep(pattern, keep)]), &input, &cuts).0, expected);
        }

        #[test]
        fn a_regex_that_never_matches_changes_nothing(input in proptest::collection::vec(any::<u8>(), 0..400)) {
            let never = ops(vec![replace(r"\x00never\xff", "X")]);
            prop_assert_eq!(run(&never, &input, &[13, 77]).0, input);
        }
    }
}
