//! How `grep` prints: plain lines (`PATH:LINE:TEXT`, context with `-`), GNU grep's colours, and
//! rg's JSON messages (`begin`, `match`, `context`, `end`, `summary`), into a file's buffer.

use std::time::Duration;

use serde_json::{Value, json};

use crate::config::GrepConfig;

use super::matcher::Matcher;

/// GNU grep's default colours (`GREP_COLORS` `ms=01;31:fn=35:ln=32:se=36`), each followed by
/// `\x1b[K` as grep writes them.
const FILE_NAME: &[u8] = b"\x1b[35m\x1b[K";
const LINE_NUMBER: &[u8] = b"\x1b[32m\x1b[K";
const SEPARATOR: &[u8] = b"\x1b[36m\x1b[K";
const MATCH: &[u8] = b"\x1b[01;31m\x1b[K";
const END: &[u8] = b"\x1b[m\x1b[K";

/// Whether a line was selected or is context around one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Match,
    Context,
}

/// What `--json`'s `end` and `summary` count.
#[derive(Debug, Clone, Copy, Default)]
pub struct Stats {
    /// Files searched.
    pub searches: u64,
    /// Files with a selected line.
    pub searches_with_match: u64,
    /// Decoded bytes searched.
    pub bytes_searched: u64,
    /// Bytes written to stdout.
    pub bytes_printed: u64,
    /// Selected lines.
    pub matched_lines: u64,
    /// Matches in selected lines.
    pub matches: u64,
}

impl Stats {
    /// Adds up a file's counts.
    pub fn add(&mut self, other: &Stats) {
        self.searches += other.searches;
        self.searches_with_match += other.searches_with_match;
        self.bytes_searched += other.bytes_searched;
        self.bytes_printed += other.bytes_printed;
        self.matched_lines += other.matched_lines;
        self.matches += other.matches;
    }

    /// rg's `stats` object.
    pub fn json(&self, elapsed: Duration) -> Value {
        json!({
            "elapsed": elapsed_json(elapsed),
            "searches": self.searches,
            "searches_with_match": self.searches_with_match,
            "bytes_searched": self.bytes_searched,
            "bytes_printed": self.bytes_printed,
            "matched_lines": self.matched_lines,
            "matches": self.matches,
        })
    }
}

/// rg's duration object.
pub fn elapsed_json(elapsed: Duration) -> Value {
    json!({
        "secs": elapsed.as_secs(),
        "nanos": elapsed.subsec_nanos(),
        "human": format!("{:.6}s", elapsed.as_secs_f64()),
    })
}

/// rg's way to put bytes in JSON: `{"text": …}` when they are UTF-8, `{"bytes": base64}` if not.
pub fn data(bytes: &[u8]) -> Value {
    match std::str::from_utf8(bytes) {
        Ok(text) => json!({ "text": text }),
        Err(_) => json!({ "bytes": base64(bytes) }),
    }
}

/// Standard base64 with padding (RFC 4648), as rg writes non-UTF-8 bytes.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The printer of one file's lines.
pub(super) struct Printer<'a> {
    config: &'a GrepConfig,
    /// The path as printed.
    path: &'a [u8],
    /// Matches found in the line being printed (reused).
    spans: Vec<(usize, usize)>,
}

impl<'a> Printer<'a> {
    pub(super) fn new(config: &'a GrepConfig, path: &'a [u8]) -> Self {
        Self {
            config,
            path,
            spans: Vec::new(),
        }
    }

    /// `PATH` and what follows it (`:` or `-`; a NUL with `-0`), if names are printed.
    fn file_name(&self, out: &mut Vec<u8>, separator: u8) {
        if !self.config.with_filename {
            return;
        }
        self.colored(out, FILE_NAME, self.path);
        if self.config.null {
            out.push(0);
        } else {
            self.separator(out, separator);
        }
    }

    fn separator(&self, out: &mut Vec<u8>, separator: u8) {
        self.colored(out, SEPARATOR, &[separator]);
    }

    fn colored(&self, out: &mut Vec<u8>, color: &[u8], text: &[u8]) {
        if self.config.color {
            out.extend_from_slice(color);
            out.extend_from_slice(text);
            out.extend_from_slice(END);
        } else {
            out.extend_from_slice(text);
        }
    }

    /// `--` between groups of context.
    pub(super) fn group_separator(&self, out: &mut Vec<u8>) {
        if !self.config.json {
            self.colored(out, SEPARATOR, b"--");
            out.push(b'\n');
        }
    }

    /// The file's name alone (`-l`, `-L`).
    pub(super) fn name(&self, out: &mut Vec<u8>) {
        self.colored(out, FILE_NAME, self.path);
        out.push(if self.config.null { 0 } else { b'\n' });
    }

    /// `PATH:COUNT` (`-c`).
    pub(super) fn count(&self, out: &mut Vec<u8>, count: u64) {
        self.file_name(out, b':');
        out.extend_from_slice(count.to_string().as_bytes());
        out.push(b'\n');
    }

    /// rg's `begin` message.
    pub(super) fn begin(&self, out: &mut Vec<u8>) {
        push_json(out, "begin", &json!({"path": data(self.path)}));
    }

    /// rg's `end` message.
    pub(super) fn end(
        &self,
        out: &mut Vec<u8>,
        binary_offset: Option<u64>,
        stats: &Stats,
        elapsed: Duration,
    ) {
        let data = json!({
            "path": data(self.path),
            "binary_offset": binary_offset,
            "stats": stats.json(elapsed),
        });
        push_json(out, "end", &data);
    }

    /// One line (`line` with its newline, if it has one), number `number`, at decoded byte
    /// `offset`; returns the matches it showed.
    pub(super) fn line(
        &mut self,
        out: &mut Vec<u8>,
        kind: Kind,
        matcher: &Matcher,
        number: u64,
        offset: u64,
        line: &[u8],
    ) -> u64 {
        let content = line.strip_suffix(b"\n").unwrap_or(line);
        self.spans.clear();
        // Matches are shown in selected lines; colour marks them there, and in context lines
        // only with -v (where the context lines are the ones that match), as GNU grep does.
        let shown = kind == Kind::Match && !self.config.invert;
        let coloured = self.config.color && ((kind == Kind::Match) != self.config.invert);
        if (shown && (self.config.only_matching || self.config.json)) || coloured {
            let spans = &mut self.spans;
            matcher.each(content, |start, end| spans.push((start, end)));
        }
        if !shown && !coloured {
            self.spans.clear();
        }
        if self.config.json {
            if !shown {
                self.spans.clear();
            }
            self.json_line(out, kind, number, offset, line);
            return self.spans.len() as u64;
        }
        let separator = if kind == Kind::Match { b':' } else { b'-' };
        if self.config.only_matching {
            if !shown {
                return 0;
            }
            for &(start, end) in &self.spans {
                self.file_name(out, separator);
                self.number(out, number, separator);
                self.colored(out, MATCH, &content[start..end]);
                out.push(b'\n');
            }
            return self.spans.len() as u64;
        }
        self.file_name(out, separator);
        self.number(out, number, separator);
        let mut at = 0;
        for &(start, end) in &self.spans {
            out.extend_from_slice(&content[at..start]);
            self.colored(out, MATCH, &content[start..end]);
            at = end;
        }
        out.extend_from_slice(&content[at..]);
        out.push(b'\n');
        self.spans.len().max(1) as u64
    }

    fn number(&self, out: &mut Vec<u8>, number: u64, separator: u8) {
        if self.config.line_number {
            self.colored(out, LINE_NUMBER, number.to_string().as_bytes());
            self.separator(out, separator);
        }
    }

    fn json_line(&self, out: &mut Vec<u8>, kind: Kind, number: u64, offset: u64, line: &[u8]) {
        let submatches: Vec<Value> = self
            .spans
            .iter()
            .map(|&(start, end)| json!({"match": data(&line[start..end]), "start": start, "end": end}))
            .collect();
        let data = json!({
            "path": data(self.path),
            "lines": data(line),
            "line_number": number,
            "absolute_offset": offset,
            "submatches": submatches,
        });
        let kind = if kind == Kind::Match {
            "match"
        } else {
            "context"
        };
        push_json(out, kind, &data);
    }
}

/// One message, `type` first as rg writes it (`{"type":"match","data":{…}}`): tools that look
/// for `"type":"match"` at the start of a line see it there.
pub(super) fn push_json(out: &mut Vec<u8>, kind: &str, data: &Value) {
    out.extend_from_slice(b"{\"type\":");
    // Writing into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, kind);
    out.extend_from_slice(b",\"data\":");
    let _ = serde_json::to_writer(&mut *out, data);
    out.extend_from_slice(b"}\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_as_rfc_4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foob\xff"), "Zm9vYv8=");
    }
}
