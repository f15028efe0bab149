//! `hash --merge`: the manifests of disjoint parts of a run (the shards of `--shard K/N`) merged
//! into the one manifest an unsharded run writes, byte for byte.
//!
//! Both writers (`hash` and `convert --manifest`) sort their lines by the bytes of the path, so
//! this is `sort -m`: every input is read line by line, each keeps one pending line in a heap,
//! and the smallest path goes out next. Memory holds a line per input and one output batch,
//! whatever the manifests' sizes. Lines are written back exactly as they were read (they are in
//! b3sum's format already); only their path is parsed, as the ordering key.
//!
//! Inputs are checked as they are read: a malformed line, a line that sorts before the one above
//! it, or a read error stops the merge (exit 2; what was printed is a sorted prefix); a path
//! listed twice (in two inputs, or twice in one) is reported, its first line kept, and the merge
//! goes on (exit 1). Every input is opened, and its first line read, before anything is printed.
//!
//! A name that is not UTF-8 is shown in a manifest with U+FFFD in place of its odd bytes (as
//! b3sum shows it), so where it sorts cannot always be told from the line: a comparison that
//! reaches such a character is "cannot tell" ([`path_order`]), never out of order, never the same
//! path. Such lines are merged by their shown bytes.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read as _};
use std::path::{Path, PathBuf};

use crate::report::{ExitCode, escape_path, io_error_text};

use super::manifest::line_path;

/// The longest line taken (hash, spaces and an escaped path far beyond `PATH_MAX`); a longer one
/// is malformed, so that a file with no newline cannot grow a line without bound.
const MAX_LINE: usize = 64 * 1024;
/// Bytes read from an input at a time.
const READ_BUFFER: usize = 64 * 1024;
/// Output is written in batches of about this size.
const WRITE_BATCH: usize = 64 * 1024;

/// `hash --merge INPUT…`: prints the merged manifest on stdout; returns the exit code.
pub fn merge(inputs: &[PathBuf]) -> ExitCode {
    let Some(opened) = open_all(inputs) else {
        return ExitCode::Fatal;
    };
    let count = opened.len();
    let mut batch = Vec::with_capacity(WRITE_BATCH);
    let mut written = 0u64;
    let code = Merger::new(opened).run(
        |line| {
            batch.extend_from_slice(line);
            written += 1;
            batch.len() < WRITE_BATCH || flush(&mut batch)
        },
        |message| eprintln!("{message}"),
    );
    flush(&mut batch);
    let manifests = if count == 1 { "manifest" } else { "manifests" };
    tracing::info!("hash --merge: {written} lines from {count} {manifests}");
    code
}

/// Writes the batch to stdout and empties it; false once stdout is closed or failed.
fn flush(batch: &mut Vec<u8>) -> bool {
    let open = batch.is_empty() || crate::stdout::write(batch);
    batch.clear();
    open
}

/// Descriptors kept free besides the inputs (standard streams, the runtime's few).
const SPARE_DESCRIPTORS: u64 = 32;

/// Raises the soft limit on open files towards the hard one when `inputs` manifests, all open at
/// once, would not fit under it (often 1024; a job of thousands of shards has as many manifests).
fn make_room_for(inputs: usize) {
    let needed = inputs as u64 + SPARE_DESCRIPTORS;
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit read and write the struct given, nothing else.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 || limit.rlim_cur >= needed {
            return;
        }
        limit.rlim_cur = needed.min(limit.rlim_max);
        libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
    }
}

/// Opens every input (`-`: standard input), naming each that cannot be opened; `None` if any.
fn open_all(paths: &[PathBuf]) -> Option<Vec<Input>> {
    make_room_for(paths.len());
    let mut inputs = Vec::with_capacity(paths.len());
    let mut failed = false;
    for path in paths {
        let name = escape_path(path);
        let reader: Box<dyn BufRead> = if path.as_os_str() == "-" {
            Box::new(BufReader::with_capacity(READ_BUFFER, io::stdin()))
        } else {
            match File::open(path) {
                Ok(file) => Box::new(BufReader::with_capacity(READ_BUFFER, file)),
                Err(error) => {
                    eprintln!("asyncfiles: {name}: {}", io_error_text(&error));
                    failed = true;
                    continue;
                }
            }
        };
        inputs.push(Input::new(name, reader));
    }
    (!failed).then_some(inputs)
}

/// One manifest being read.
struct Input {
    /// How messages name it.
    name: String,
    reader: Box<dyn BufRead>,
    /// The number of the last line read.
    number: u64,
    /// The path of the last line taken, to check the order.
    previous: Option<String>,
    buffer: Vec<u8>,
}

/// A line read, waiting for its turn.
struct Pending {
    /// Its path: the ordering key.
    path: String,
    /// Which input it came from (ties go to the earlier input).
    input: usize,
    /// The line as read, with its newline.
    line: Vec<u8>,
}

impl Pending {
    fn key(&self) -> (&[u8], usize) {
        (self.path.as_bytes(), self.input)
    }
}

impl PartialEq for Pending {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl Eq for Pending {}

impl PartialOrd for Pending {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Pending {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key().cmp(&other.key())
    }
}

/// What reading an input gave.
enum Next {
    /// The next line.
    Line { path: String, line: Vec<u8> },
    /// A path the input already listed on the line before: reported, left out.
    Twice(String),
    /// The end of the input.
    End,
}

impl Input {
    fn new(name: String, reader: Box<dyn BufRead>) -> Self {
        Self {
            name,
            reader,
            number: 0,
            previous: None,
            buffer: Vec::new(),
        }
    }

    /// Reads and checks the next line; `Err` is the message that stops the merge.
    fn next(&mut self) -> Result<Next, String> {
        self.buffer.clear();
        let read = (&mut self.reader)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut self.buffer)
            .map_err(|error| format!("asyncfiles: {}: {}", self.name, io_error_text(&error)))?;
        if read == 0 {
            return Ok(Next::End);
        }
        self.number += 1;
        let body = match self.buffer.strip_suffix(b"\n") {
            Some(body) => body,
            None if self.buffer.len() > MAX_LINE => {
                return Err(self.at(&format!("line longer than {MAX_LINE} bytes")));
            }
            // A last line without its newline gets one, as `sort` gives it.
            None => &self.buffer,
        };
        let path = line_path(body).map_err(|error| self.at(&error.to_string()))?;
        let order = self
            .previous
            .as_deref()
            .and_then(|previous| path_order(previous, &path));
        match order {
            Some(Ordering::Greater) => {
                let previous = self.previous.as_deref().unwrap_or_default();
                return Err(self.at(&format!(
                    "not sorted: {} after {} (written by hash --unsorted?)",
                    escape_path(Path::new(&path)),
                    escape_path(Path::new(previous)),
                )));
            }
            Some(Ordering::Equal) => return Ok(Next::Twice(path)),
            _ => {}
        }
        let mut line = std::mem::take(&mut self.buffer);
        if !line.ends_with(b"\n") {
            line.push(b'\n');
        }
        self.previous = Some(path.clone());
        Ok(Next::Line { path, line })
    }

    /// `asyncfiles: NAME:N: what`, for the line just read.
    fn at(&self, what: &str) -> String {
        format!("asyncfiles: {}:{}: {what}", self.name, self.number)
    }
}

/// The k-way merge of the inputs' lines.
struct Merger {
    inputs: Vec<Input>,
    heap: BinaryHeap<Reverse<Pending>>,
    /// The path and input of the last line written (a path listed again is a duplicate).
    last: Option<(String, usize)>,
    code: ExitCode,
}

impl Merger {
    fn new(inputs: Vec<Input>) -> Self {
        Self {
            heap: BinaryHeap::with_capacity(inputs.len()),
            inputs,
            last: None,
            code: ExitCode::Success,
        }
    }

    /// Merges: each line goes to `write` (which returns false when its reader is gone: the
    /// merge ends quietly), each message to `say`. Returns the exit code.
    fn run(
        mut self,
        mut write: impl FnMut(&[u8]) -> bool,
        mut say: impl FnMut(String),
    ) -> ExitCode {
        // Every input's first line before any output: a bad input fails the run before it starts.
        for input in 0..self.inputs.len() {
            if let Err(message) = self.refill(input, &mut say) {
                say(message);
                return ExitCode::Fatal;
            }
        }
        while let Some(Reverse(next)) = self.heap.pop() {
            let input = next.input;
            if self.is_duplicate(&next, &mut say) {
                self.code = ExitCode::Failure;
            } else {
                if !write(&next.line) {
                    break;
                }
                self.last = Some((next.path, input));
            }
            if let Err(message) = self.refill(input, &mut say) {
                say(message);
                return ExitCode::Fatal;
            }
        }
        self.code
    }

    /// Whether `next` names the path of the last line written, from another input; says so.
    fn is_duplicate(&self, next: &Pending, say: &mut impl FnMut(String)) -> bool {
        let Some((path, input)) = &self.last else {
            return false;
        };
        if path_order(path, &next.path) != Some(Ordering::Equal) {
            return false;
        }
        say(format!(
            "asyncfiles: {}: listed in {} and {}",
            escape_path(Path::new(&next.path)),
            self.inputs[*input].name,
            self.inputs[next.input].name,
        ));
        true
    }

    /// Puts the next line of `input` in the heap, if it has one.
    fn refill(&mut self, input: usize, say: &mut impl FnMut(String)) -> Result<(), String> {
        loop {
            match self.inputs[input].next()? {
                Next::Line { path, line } => {
                    self.heap.push(Reverse(Pending { path, input, line }));
                    return Ok(());
                }
                Next::Twice(path) => {
                    self.code = ExitCode::Failure;
                    let name = &self.inputs[input].name;
                    say(format!(
                        "asyncfiles: {}: listed twice in {name}",
                        escape_path(Path::new(&path))
                    ));
                }
                Next::End => return Ok(()),
            }
        }
    }
}

/// How path `a` sorts against path `b` in the writers' order (the bytes of the name), from
/// their manifest form; `None` when that cannot be told. A U+FFFD stands for bytes of a name
/// that is not UTF-8, which the line no longer holds: past one, nothing is known, and against a
/// non-ASCII character it could go either way; every such byte is above ASCII, though.
fn path_order(a: &str, b: &str) -> Option<Ordering> {
    const LOST: char = char::REPLACEMENT_CHARACTER;
    let (mut left, mut right) = (a.chars(), b.chars());
    let mut blind = false;
    loop {
        let known = match (left.next(), right.next()) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (Some(x), Some(y)) if x == y => {
                blind |= x == LOST;
                continue;
            }
            (Some(x), Some(y)) if x == LOST || y == LOST => {
                let other = if x == LOST { y } else { x };
                if !other.is_ascii() {
                    return None;
                }
                // UTF-8 keeps the order of code points, so chars compare as their bytes do.
                if x == LOST {
                    Ordering::Greater
                } else {
                    Ordering::Less
                }
            }
            (Some(x), Some(y)) => x.cmp(&y),
        };
        return (!blind).then_some(known);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(path: &str) -> String {
        let hash = blake3::hash(path.as_bytes());
        super::super::manifest_line(&hash, Path::new(path))
    }

    fn input(name: &str, text: &str) -> Input {
        Input::new(
            name.to_owned(),
            Box::new(io::Cursor::new(text.as_bytes().to_vec())),
        )
    }

    /// Merges the texts; returns stdout, the messages and the exit code.
    fn merged(texts: &[(&str, &str)]) -> (String, Vec<String>, ExitCode) {
        let inputs = texts.iter().map(|(name, text)| input(name, text)).collect();
        let (mut out, mut said) = (Vec::new(), Vec::new());
        let code = Merger::new(inputs).run(
            |line| {
                out.extend_from_slice(line);
                true
            },
            |message| said.push(message),
        );
        (String::from_utf8(out).unwrap(), said, code)
    }

    #[test]
    fn lines_come_out_in_path_byte_order_whatever_the_input() {
        let names = ["a b", "a.log", "a/z", "a\\b", "a\nb", "b", "é", "z"];
        let mut sorted = names.to_vec();
        sorted.sort_by(|x, y| x.as_bytes().cmp(y.as_bytes()));
        let all: String = sorted.iter().map(|name| line(name)).collect();
        let odd: String = sorted.iter().step_by(2).map(|name| line(name)).collect();
        let even: String = sorted
            .iter()
            .skip(1)
            .step_by(2)
            .map(|name| line(name))
            .collect();
        let (out, said, code) = merged(&[("1", &even), ("2", ""), ("3", &odd)]);
        assert_eq!((out, said, code), (all, vec![], ExitCode::Success));
    }

    #[test]
    fn duplicates_keep_the_first_line_and_fail() {
        let a = format!("{}{}", line("a"), line("b"));
        let b = format!("{}{}", line("b"), line("c"));
        let (out, said, code) = merged(&[("x.b3", &a), ("y.b3", &b)]);
        assert_eq!(out, [line("a"), line("b"), line("c")].concat());
        assert_eq!(said, ["asyncfiles: b: listed in x.b3 and y.b3"]);
        assert_eq!(code, ExitCode::Failure);
        let twice = [line("a"), line("a"), line("b")].concat();
        let (out, said, _) = merged(&[("x.b3", &twice)]);
        assert_eq!(out, [line("a"), line("b")].concat());
        assert_eq!(said, ["asyncfiles: a: listed twice in x.b3"]);
    }

    #[test]
    fn an_unsorted_or_malformed_input_stops_the_merge() {
        let unsorted = [line("b"), line("a")].concat();
        let (out, said, code) = merged(&[("u.b3", &unsorted), ("v.b3", &line("c"))]);
        assert_eq!(out, line("b"), "the sorted prefix is written");
        assert_eq!(
            said,
            ["asyncfiles: u.b3:2: not sorted: a after b (written by hash --unsorted?)"]
        );
        assert_eq!(code, ExitCode::Fatal);
        let (out, said, code) = merged(&[("v.b3", &line("c")), ("w.b3", "\n")]);
        assert_eq!(out, "", "nothing before every first line is read");
        assert_eq!(
            said,
            ["asyncfiles: w.b3:1: expected 64 hex digits, two spaces and a path"]
        );
        assert_eq!(code, ExitCode::Fatal);
    }

    #[test]
    fn a_last_line_without_newline_gets_one_and_long_lines_are_refused() {
        let text = line("b");
        let (out, _, code) = merged(&[("1", text.trim_end()), ("2", &line("a"))]);
        assert_eq!(
            (out, code),
            ([line("a"), line("b")].concat(), ExitCode::Success)
        );
        let long = "x".repeat(MAX_LINE + 1);
        let (_, said, code) = merged(&[("l.b3", &long)]);
        assert_eq!(
            said,
            [format!(
                "asyncfiles: l.b3:1: line longer than {MAX_LINE} bytes"
            )]
        );
        assert_eq!(code, ExitCode::Fatal);
    }

    #[test]
    fn path_order_is_byte_order_unless_a_lost_byte_decides() {
        use Ordering::{Equal, Greater, Less};
        assert_eq!(path_order("a", "b"), Some(Less));
        assert_eq!(path_order("a/b", "a b"), Some(Greater));
        assert_eq!(path_order("a", "a"), Some(Equal));
        assert_eq!(path_order("a", "ab"), Some(Less));
        assert_eq!(path_order("z", "é"), Some(Less));
        // A lost byte is above ASCII; against é (or another lost byte's) it could be either.
        assert_eq!(path_order("a\u{FFFD}", "az"), Some(Greater));
        assert_eq!(path_order("a", "a\u{FFFD}"), Some(Less));
        assert_eq!(path_order("a\u{FFFD}", "aé"), None);
        assert_eq!(path_order("\u{FFFD}a", "\u{FFFD}b"), None);
        assert_eq!(path_order("\u{FFFD}", "\u{FFFD}"), None);
    }
}
