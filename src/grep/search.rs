//! The line engine of one file: decoded chunks in, selected lines (and context) out, into the
//! file's buffer. The plain case searches a whole chunk with one regex call and finds the line
//! around each match with memchr (as rg does); `-v` and context walk the lines. A chunk is
//! searched up to its last newline; the rest is carried into the next one, so that a line cut
//! between two chunks is searched whole, and `--max-line-bytes` bounds what is carried.

use std::collections::VecDeque;
use std::time::Instant;

use anyhow::{Result, anyhow};

use crate::config::{GrepConfig, GrepMode};

use super::printer::{Kind, Printer, Stats};
use super::writer::Sink;

/// A line kept for `-B`: its number, offset and bytes.
struct Kept {
    number: u64,
    offset: u64,
    bytes: Vec<u8>,
}

/// What a file's search found, for the run's tally.
#[derive(Debug, Default, Clone, Copy)]
pub struct Found {
    /// Selected lines (up to `-m`; for `-l`, `-L` and `-q`, 0 or 1).
    pub selected: u64,
    /// A binary file had a selected line: `PATH: binary file matches`.
    pub binary_matched: bool,
    /// The counts of `--json`.
    pub stats: Stats,
    /// Standard output was closed (`| head`): the run may stop.
    pub closed: bool,
}

/// One file's search.
pub(super) struct FileSearch<'a> {
    config: &'a GrepConfig,
    printer: Printer<'a>,
    sink: Sink<'a>,
    /// The line carried from one chunk into the next (a lane's buffer, reused).
    carry: &'a mut Vec<u8>,
    /// Decoded offset of the next bytes searched.
    offset: u64,
    /// The number of the next line searched.
    line: u64,
    selected: u64,
    binary_offset: Option<u64>,
    binary_matched: bool,
    /// Nothing more to do: the rest of the file is not read.
    done: bool,
    /// `-m` reached: only trailing context is left to print.
    stopping: bool,
    after_left: usize,
    last_printed: Option<u64>,
    before: VecDeque<Kept>,
    begun: bool,
    stats: Stats,
    started: Instant,
}

impl<'a> FileSearch<'a> {
    pub(super) fn new(
        config: &'a GrepConfig,
        path: &'a [u8],
        sink: Sink<'a>,
        carry: &'a mut Vec<u8>,
    ) -> Self {
        carry.clear();
        Self {
            config,
            printer: Printer::new(config, path),
            sink,
            carry,
            offset: 0,
            line: 1,
            selected: 0,
            binary_offset: None,
            binary_matched: false,
            done: config.max_count == Some(0),
            stopping: false,
            after_left: 0,
            last_printed: None,
            before: VecDeque::new(),
            begun: false,
            stats: Stats {
                searches: 1,
                ..Stats::default()
            },
            started: Instant::now(),
        }
    }

    /// Whether the rest of the file can be left unread.
    pub(super) fn is_done(&self) -> bool {
        self.done
    }

    /// Searches the next decoded bytes. Fails on a line longer than `--max-line-bytes`.
    pub(super) fn feed(&mut self, chunk: &[u8]) -> Result<()> {
        if self.done {
            return Ok(());
        }
        if self.binary_offset.is_none()
            && !self.config.text
            && let Some(at) = memchr::memchr(0, chunk)
        {
            self.binary_offset = Some(self.offset + self.carry.len() as u64 + at as u64);
        }
        let Some(last) = memchr::memrchr(b'\n', chunk) else {
            self.carry.extend_from_slice(chunk);
            return self.check_carry();
        };
        let (whole, rest) = chunk.split_at(last + 1);
        if self.carry.is_empty() {
            self.search(whole)?;
        } else {
            // Only the line the carry starts is copied; the rest is searched where it is.
            let first = memchr::memchr(b'\n', whole).map_or(whole.len(), |at| at + 1);
            let mut joined = std::mem::take(self.carry);
            joined.extend_from_slice(&whole[..first]);
            let searched = self.search(&joined);
            joined.clear();
            *self.carry = joined;
            searched?;
            self.search(&whole[first..])?;
        }
        self.carry.extend_from_slice(rest);
        self.check_carry()
    }

    fn check_carry(&self) -> Result<()> {
        if self.carry.len() as u64 > self.config.max_line_bytes.bytes {
            return Err(self.too_long());
        }
        Ok(())
    }

    fn too_long(&self) -> anyhow::Error {
        anyhow!(
            "a line exceeds --max-line-bytes ({})",
            self.config.max_line_bytes
        )
    }

    /// The end of the file: the last line, if it has no newline, and the per-file lines of
    /// `-c`, `-l`, `-L` and `--json`.
    /// The file failed (a decode error, a line too long): the lines found before the failure
    /// are still written, whole and in place, as zgrep and `cat` show what came before a cut.
    pub(super) fn abandon(self) {
        let _ = self.sink.finish();
    }

    pub(super) fn finish(mut self) -> Result<Found> {
        if !self.done && !self.carry.is_empty() {
            let last = std::mem::take(self.carry);
            let searched = self.search(&last);
            *self.carry = last;
            searched?;
        }
        let out = self.sink.buffer();
        match self.config.mode {
            // -m 0 reads nothing, and GNU grep prints no count for it.
            GrepMode::Count if self.config.max_count != Some(0) => {
                self.printer.count(out, self.selected)
            }
            GrepMode::FilesWithMatches if self.selected > 0 => self.printer.name(out),
            GrepMode::FilesWithoutMatch if self.selected == 0 => self.printer.name(out),
            _ => {}
        }
        self.stats.matched_lines = self.selected;
        self.stats.searches_with_match = u64::from(self.selected > 0);
        if self.begun && self.config.json {
            let elapsed = self.started.elapsed();
            self.printer
                .end(out, self.binary_offset, &self.stats, elapsed);
        }
        let stats = self.stats;
        let open = self.sink.finish();
        Ok(Found {
            selected: self.selected,
            binary_matched: self.binary_matched,
            stats,
            closed: !open,
        })
    }

    /// Searches `lines`: whole lines (the last one may lack its newline at the end of a file).
    fn search(&mut self, lines: &[u8]) -> Result<()> {
        if lines.len() as u64 > self.config.max_line_bytes.bytes
            && longest_line(lines) > self.config.max_line_bytes.bytes
        {
            return Err(self.too_long());
        }
        self.stats.bytes_searched += lines.len() as u64;
        if self.config.invert || self.config.before > 0 || self.config.after > 0 {
            self.walk_lines(lines);
        } else {
            self.find_lines(lines);
        }
        self.offset += lines.len() as u64;
        if self.sink.closed() {
            self.done = true;
        }
        Ok(())
    }

    /// The plain case: one regex call finds the next match in the rest of the chunk; memchr
    /// finds its line. A match that runs past its line (`\s` over a newline) is checked against
    /// the line alone. Lines are counted (for `-n`) only up to the lines printed.
    fn find_lines(&mut self, lines: &[u8]) {
        // Separators between groups need the line numbers too (`-A 0`).
        let numbers = self.config.line_number || self.config.json || self.config.context;
        let (mut at, mut counted) = (0, 0);
        while at < lines.len() && !self.done {
            let Some((start, end)) = self.config.matcher.find_at(lines, at) else {
                break;
            };
            if start == lines.len() && lines.ends_with(b"\n") {
                break; // `^` after the last newline: no line there
            }
            let line_start = memchr::memrchr(b'\n', &lines[at..start]).map_or(at, |i| at + i + 1);
            let line_end =
                memchr::memchr(b'\n', &lines[start..]).map_or(lines.len(), |i| start + i + 1);
            let content_end = line_end - usize::from(lines[..line_end].ends_with(b"\n"));
            at = line_end;
            if end > content_end
                && !self
                    .config
                    .matcher
                    .is_match(&lines[line_start..content_end])
            {
                continue;
            }
            if numbers {
                self.line += memchr::memchr_iter(b'\n', &lines[counted..line_start]).count() as u64;
                counted = line_start;
            }
            let offset = self.offset + line_start as u64;
            self.selected_line(&lines[line_start..line_end], offset);
        }
        if numbers {
            self.line += memchr::memchr_iter(b'\n', &lines[counted..]).count() as u64;
        }
    }

    /// `-v` and context: every line tested on its own.
    fn walk_lines(&mut self, lines: &[u8]) {
        let mut start = 0;
        while start < lines.len() && !self.done {
            let end = memchr::memchr(b'\n', &lines[start..]).map_or(lines.len(), |i| start + i + 1);
            let line = &lines[start..end];
            let content = line.strip_suffix(b"\n").unwrap_or(line);
            let offset = self.offset + start as u64;
            if !self.stopping && self.config.matcher.is_match(content) != self.config.invert {
                self.selected_line(line, offset);
            } else {
                self.other_line(line, offset);
            }
            self.line += 1;
            start = end;
        }
    }

    /// A selected line, number `self.line`.
    fn selected_line(&mut self, line: &[u8], offset: u64) {
        self.selected += 1;
        let limit = self
            .config
            .max_count
            .is_some_and(|most| self.selected >= most);
        match self.config.mode {
            GrepMode::Quiet | GrepMode::FilesWithMatches | GrepMode::FilesWithoutMatch => {
                self.done = true;
                return;
            }
            GrepMode::Count => {
                self.done = limit;
                return;
            }
            GrepMode::Lines => {}
        }
        if self.binary_offset.is_some() {
            self.binary_matched = true;
            self.done = true;
            return;
        }
        self.flush_before();
        self.print(Kind::Match, self.line, offset, line);
        self.after_left = self.config.after;
        if limit {
            self.stopping = true;
            self.done = self.after_left == 0;
        }
    }

    /// A line not selected: context after a selected line, or kept for the next one's `-B`.
    fn other_line(&mut self, line: &[u8], offset: u64) {
        if self.config.mode != GrepMode::Lines || self.binary_offset.is_some() {
            return;
        }
        if self.after_left > 0 {
            self.after_left -= 1;
            self.print(Kind::Context, self.line, offset, line);
            self.done = self.stopping && self.after_left == 0;
        } else if self.stopping {
            self.done = true;
        } else if self.config.before > 0 {
            let mut kept = if self.before.len() == self.config.before {
                self.before
                    .pop_front()
                    .map(|kept| kept.bytes)
                    .unwrap_or_default()
            } else {
                Vec::new()
            };
            kept.clear();
            kept.extend_from_slice(line);
            self.before.push_back(Kept {
                number: self.line,
                offset,
                bytes: kept,
            });
        }
    }

    fn flush_before(&mut self) {
        while let Some(kept) = self.before.pop_front() {
            self.print(Kind::Context, kept.number, kept.offset, &kept.bytes);
        }
    }

    fn print(&mut self, kind: Kind, number: u64, offset: u64, line: &[u8]) {
        // -o shows no context line, but the context still joins groups (no `--` between
        // matches that a context line links), as GNU grep does.
        if kind == Kind::Context && self.config.only_matching {
            let gap = self.last_printed.is_some_and(|last| number > last + 1);
            if self.config.context && gap && !self.config.json {
                self.printer.group_separator(self.sink.buffer());
            }
            self.last_printed = Some(number);
            return;
        }
        let context = self.config.context;
        if self.config.json && !self.begun {
            self.printer.begin(self.sink.buffer());
        }
        let out = self.sink.buffer();
        if context && self.last_printed.is_some_and(|last| number > last + 1) {
            self.printer.group_separator(out);
        }
        self.begun = true;
        self.last_printed = Some(number);
        let before = out.len();
        let matches = self
            .printer
            .line(out, kind, &self.config.matcher, number, offset, line);
        if kind == Kind::Match {
            self.stats.matches += matches;
        }
        self.stats.bytes_printed += (out.len() - before) as u64;
        self.sink.maybe_stream();
    }
}

/// The longest line in `lines`, without its newline.
fn longest_line(lines: &[u8]) -> u64 {
    let mut start = 0;
    let mut longest = 0;
    for newline in memchr::memchr_iter(b'\n', lines).chain(std::iter::once(lines.len())) {
        longest = longest.max(newline.saturating_sub(start));
        start = newline + 1;
    }
    longest as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Command, parse_from};
    use crate::ordered::{Event, ordered};

    fn config(args: &[&str]) -> GrepConfig {
        let argv = [&["asyncfiles", "grep"], args, &["/nonexistent/file"]].concat();
        match parse_from(argv).unwrap().command {
            Command::Grep(args) => GrepConfig::from_args(*args).unwrap(),
            _ => unreachable!(),
        }
    }

    /// What a search of `text` fed in chunks of `size` prints (through an ordered output, so
    /// that nothing reaches the test's stdout).
    fn searched(config: &GrepConfig, text: &[u8], size: usize) -> Vec<u8> {
        let (output, reader) = ordered::<()>(1, 1 << 20);
        let (mut out, mut carry) = (Vec::new(), Vec::new());
        let sink = Sink::new(&mut out, output.begin(0), None, None);
        let mut search = FileSearch::new(config, b"p", sink, &mut carry);
        for chunk in text.chunks(size) {
            search.feed(chunk).unwrap();
        }
        search.finish().unwrap();
        drop(output);
        let mut printed = Vec::new();
        for event in reader {
            if let Event::Bytes(_, bytes) = event {
                printed.extend(bytes);
            }
        }
        printed
    }

    #[test]
    fn chunks_cut_anywhere_find_the_same_lines() {
        let text = b"a needle\nhay\nhay ne\nedle no\nneedle\nhay\nhay\nlast needle";
        let cases: [(&[&str], &str); 5] = [
            (&["-n", "needle"], "1:a needle\n5:needle\n8:last needle\n"),
            (
                &["-n", "-v", "needle"],
                "2:hay\n3:hay ne\n4:edle no\n6:hay\n7:hay\n",
            ),
            (
                &["-n", "-A", "1", "ne+dle$"],
                "1:a needle\n2-hay\n--\n5:needle\n6-hay\n--\n8:last needle\n",
            ),
            (
                &["-o", "-n", "e+"],
                "1:ee\n1:e\n3:e\n4:e\n4:e\n5:ee\n5:e\n8:ee\n8:e\n",
            ),
            (&["-c", "hay"], "4\n"),
        ];
        for (args, expected) in cases {
            let config = config(args);
            for size in [1, 2, 3, 7, 64, text.len()] {
                let printed = searched(&config, text, size);
                assert_eq!(
                    String::from_utf8_lossy(&printed),
                    expected,
                    "{args:?}, chunks of {size}"
                );
            }
        }
    }

    #[test]
    fn a_carried_line_over_the_limit_fails() {
        let config = config(&["--max-line-bytes", "8", "x"]);
        let (mut out, mut carry) = (Vec::new(), Vec::new());
        let (output, _reader) = ordered::<()>(1, 16);
        let sink = Sink::new(&mut out, output.begin(0), None, None);
        let mut search = FileSearch::new(&config, b"p", sink, &mut carry);
        search.feed(b"short\nxxxx").unwrap();
        let error = search.feed(b"xxxxxxxx").unwrap_err();
        assert_eq!(
            error.to_string(),
            "a line exceeds --max-line-bytes (8 bytes)"
        );
    }
}
