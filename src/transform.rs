//! Byte stages between the reader and the writer of each file, and the chain that runs them.
//!
//! A [`Stage`] sees the decoded content in arbitrary chunks (a line may be split anywhere, even
//! between `\r` and `\n`) and appends its output to a buffer; it keeps whatever state it needs to
//! make the result independent of where the chunks were cut. Stages never hold a whole file (at
//! most one line, up to `--max-line-bytes`). The stages: the line transforms ([`lines`], with
//! [`redact`]), then line-ending normalisation ([`EolStage`]).

use anyhow::Result;

pub mod lines;
pub mod redact;

pub use lines::LineCounts;

/// One step of the per-file chain.
pub trait Stage: Send {
    /// Consumes `input` (any chunk of the content, in order) and appends output to `out`.
    fn process(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<()>;

    /// Called once after the last chunk: appends whatever the stage still holds.
    fn finish(&mut self, out: &mut Vec<u8>) -> Result<()>;

    /// Lines read and written, for a stage that works on lines.
    fn line_counts(&self) -> Option<LineCounts> {
        None
    }
}

/// The stages of one file, in order, with the scratch buffers that connect them.
#[derive(Default)]
pub struct Chain {
    stages: Vec<Box<dyn Stage>>,
    current: Vec<u8>,
    next: Vec<u8>,
}

impl Chain {
    /// The stages of `convert` and `cat`: the line transforms (numbering lines after
    /// `first_line`, for a block that starts mid-file), then the line endings.
    pub fn of(lines: Option<&crate::config::LineTransforms>, eol: Eol, first_line: u64) -> Self {
        let mut chain = Self::default();
        if let Some(lines) = lines {
            let stage = lines::LineStage::new(lines.ops.clone(), lines.max_line);
            chain.push(Box::new(stage.starting_after(first_line)));
        }
        if let Some(stage) = eol.stage() {
            chain.push(stage);
        }
        chain
    }

    /// Appends a stage at the end of the chain.
    pub fn push(&mut self, stage: Box<dyn Stage>) {
        self.stages.push(stage);
    }

    /// Lines read and written by the chain's line transforms, if it has any.
    pub fn line_counts(&self) -> Option<LineCounts> {
        self.stages.iter().find_map(|stage| stage.line_counts())
    }

    /// True when the chain has no stages, so bytes can go from reader to writer untouched.
    pub fn is_passthrough(&self) -> bool {
        self.stages.is_empty()
    }

    /// Runs `input` through every stage, appending the final output to `out`.
    pub fn process(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<()> {
        self.pass(Some(input), out)
    }

    /// Flushes every stage in order (each stage's tail still goes through the stages after it).
    pub fn finish(&mut self, out: &mut Vec<u8>) -> Result<()> {
        self.pass(None, out)
    }

    fn pass(&mut self, input: Option<&[u8]>, out: &mut Vec<u8>) -> Result<()> {
        let finishing = input.is_none();
        let last = match self.stages.len() {
            0 => {
                out.extend_from_slice(input.unwrap_or_default());
                return Ok(());
            }
            n => n - 1,
        };
        for (index, stage) in self.stages.iter_mut().enumerate() {
            self.next.clear();
            let dst = if index == last {
                &mut *out
            } else {
                &mut self.next
            };
            let data = if index == 0 {
                input
            } else {
                Some(self.current.as_slice())
            };
            if let Some(data) = data {
                stage.process(data, dst)?;
            }
            if finishing {
                stage.finish(dst)?;
            }
            std::mem::swap(&mut self.current, &mut self.next);
        }
        Ok(())
    }
}

/// Line-ending normalisation (`--eol`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Eol {
    /// Leave bytes as they are.
    Keep,
    /// Each `\r\n` becomes `\n`.
    Lf,
    /// Each `\n` not already preceded by `\r` becomes `\r\n`.
    Crlf,
}

impl Eol {
    /// The stage implementing this mode, or `None` when nothing changes.
    pub fn stage(self) -> Option<Box<dyn Stage>> {
        match self {
            Eol::Keep => None,
            mode => Some(Box::new(EolStage::new(mode))),
        }
    }
}

/// Rewrites line terminators, never adding one to an unterminated last line and leaving lone `\r`
/// bytes inside lines alone (like `dos2unix`/`unix2dos`).
#[derive(Debug)]
pub struct EolStage {
    mode: Eol,
    /// `Lf`: the previous chunk ended in `\r`, held back until we know whether `\n` follows.
    held_cr: bool,
    /// `Crlf`: the last byte seen was `\r`.
    after_cr: bool,
}

impl EolStage {
    /// A stage for `mode` (`Lf` or `Crlf`).
    pub fn new(mode: Eol) -> Self {
        Self {
            mode,
            held_cr: false,
            after_cr: false,
        }
    }

    fn rewrite_to_lf(&mut self, input: &[u8], out: &mut Vec<u8>) {
        if input.is_empty() {
            return; // a held `\r` waits for real bytes
        }
        let mut rest = input;
        if self.held_cr {
            self.held_cr = false;
            match rest.split_first() {
                Some((&b'\n', tail)) => {
                    out.push(b'\n');
                    rest = tail;
                }
                _ => out.push(b'\r'),
            }
        }
        let mut start = 0;
        for newline in memchr::memchr_iter(b'\n', rest) {
            let line = &rest[start..newline];
            out.extend_from_slice(line.strip_suffix(b"\r").unwrap_or(line));
            out.push(b'\n');
            start = newline + 1;
        }
        let tail = &rest[start..];
        match tail.strip_suffix(b"\r") {
            Some(body) => {
                out.extend_from_slice(body);
                self.held_cr = true;
            }
            None => out.extend_from_slice(tail),
        }
    }

    fn rewrite_to_crlf(&mut self, input: &[u8], out: &mut Vec<u8>) {
        let mut start = 0;
        for newline in memchr::memchr_iter(b'\n', input) {
            let preceded_by_cr = match newline {
                0 => self.after_cr,
                _ => input[newline - 1] == b'\r',
            };
            out.extend_from_slice(&input[start..newline]);
            out.extend_from_slice(if preceded_by_cr { b"\n" } else { b"\r\n" });
            start = newline + 1;
        }
        out.extend_from_slice(&input[start..]);
        if let Some(&last) = input.last() {
            self.after_cr = last == b'\r';
        }
    }
}

impl Stage for EolStage {
    fn process(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<()> {
        match self.mode {
            Eol::Keep => out.extend_from_slice(input),
            Eol::Lf => self.rewrite_to_lf(input, out),
            Eol::Crlf => self.rewrite_to_crlf(input, out),
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut Vec<u8>) -> Result<()> {
        if std::mem::take(&mut self.held_cr) {
            out.push(b'\r');
        }
        Ok(())
    }
}

/// Test helper: feeds `input` to `chain` cut into chunks at `cuts` (taken modulo the length, in
/// any order), then finishes it; returns everything it wrote.
#[cfg(test)]
pub(crate) fn feed_in_chunks(chain: &mut Chain, input: &[u8], cuts: &[usize]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (input.len() + 1)).collect();
    cuts.sort_unstable();
    for cut in cuts.into_iter().chain([input.len()]) {
        chain
            .process(&input[start..cut.max(start)], &mut out)
            .unwrap();
        start = cut.max(start);
    }
    chain.finish(&mut out).unwrap();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Runs `input` through a fresh chain for `mode`, cut into chunks at `cuts`.
    fn run(mode: Eol, input: &[u8], cuts: &[usize]) -> Vec<u8> {
        let mut chain = Chain::default();
        if let Some(stage) = mode.stage() {
            chain.push(stage);
        }
        feed_in_chunks(&mut chain, input, cuts)
    }

    /// The obvious, whole-buffer definitions the streaming stage must agree with.
    fn reference_lf(input: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < input.len() {
            if input[i..].starts_with(b"\r\n") {
                out.push(b'\n');
                i += 2;
            } else {
                out.push(input[i]);
                i += 1;
            }
        }
        out
    }

    fn reference_crlf(input: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        for (i, &byte) in input.iter().enumerate() {
            if byte == b'\n' && (i == 0 || input[i - 1] != b'\r') {
                out.push(b'\r');
            }
            out.push(byte);
        }
        out
    }

    #[test]
    fn lf_rewrites_terminators_only() {
        assert_eq!(
            run(Eol::Lf, b"a\r\nb\rc\r\n\r\nlast\r", &[]),
            b"a\nb\rc\n\nlast\r"
        );
    }

    #[test]
    fn crlf_adds_cr_once_and_never_a_final_newline() {
        assert_eq!(
            run(Eol::Crlf, b"a\nb\r\n\nlast", &[]),
            b"a\r\nb\r\n\r\nlast"
        );
    }

    #[test]
    fn cr_and_lf_split_across_chunks() {
        assert_eq!(run(Eol::Lf, b"a\r\nb", &[2]), b"a\nb");
        assert_eq!(run(Eol::Crlf, b"a\r\nb", &[2]), b"a\r\nb");
        assert_eq!(run(Eol::Lf, b"a\r", &[2]), b"a\r");
    }

    #[test]
    fn empty_input_stays_empty() {
        for mode in [Eol::Keep, Eol::Lf, Eol::Crlf] {
            assert_eq!(run(mode, b"", &[0, 0]), b"");
        }
    }

    #[test]
    fn chain_feeds_each_stage_the_previous_output() {
        let mut chain = Chain::default();
        chain.push(Box::new(EolStage::new(Eol::Lf)));
        chain.push(Box::new(EolStage::new(Eol::Crlf)));
        let mut out = Vec::new();
        chain.process(b"a\r", &mut out).unwrap();
        chain.finish(&mut out).unwrap();
        assert_eq!(out, b"a\r");
    }

    proptest! {
        #[test]
        fn lf_matches_reference_wherever_chunks_are_cut(
            input in proptest::collection::vec(prop_oneof![Just(b'\r'), Just(b'\n'), any::<u8>()], 0..300),
            cuts in proptest::collection::vec(any::<usize>(), 0..6),
        ) {
            prop_assert_eq!(run(Eol::Lf, &input, &cuts), reference_lf(&input));
        }

        #[test]
        fn crlf_matches_reference_wherever_chunks_are_cut(
            input in proptest::collection::vec(prop_oneof![Just(b'\r'), Just(b'\n'), any::<u8>()], 0..300),
            cuts in proptest::collection::vec(any::<usize>(), 0..6),
        ) {
            prop_assert_eq!(run(Eol::Crlf, &input, &cuts), reference_crlf(&input));
        }

        #[test]
        fn keep_is_identity(input in proptest::collection::vec(any::<u8>(), 0..300)) {
            prop_assert_eq!(run(Eol::Keep, &input, &[7]), input);
        }
    }
}
