//! The b3sum manifest format: writing a line, parsing one back (or only its path, for
//! `--merge`), reading a whole manifest.

use std::io::{self};
use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow, bail};

use crate::report::{escape_path, io_error_text};

/// A line in b3sum's format: `<64 hex>  <path>`. As b3sum does, a path holding a backslash or a
/// newline is escaped (`\\`, `\n`) and the line starts with `\`. (A carriage return is left as it
/// is: b3sum's `--check` refuses a `\r` escape; parsing accepts one.)
pub fn manifest_line(hash: &blake3::Hash, path: &Path) -> String {
    let name = path.to_string_lossy();
    if name.contains(['\\', '\n']) {
        let escaped = name.replace('\\', "\\\\").replace('\n', "\\n");
        format!("\\{}  {escaped}\n", hash.to_hex())
    } else {
        format!("{}  {name}\n", hash.to_hex())
    }
}

/// One line of a manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestEntry {
    /// The path as the line shows it (escaped, with the leading `\` if it had one): how
    /// `--check` names it.
    pub shown: String,
    /// The file it names.
    pub path: PathBuf,
    /// The hash it should have.
    pub expected: blake3::Hash,
}

/// Parses one manifest line (without its newline), by b3sum's rules.
pub fn parse_manifest_line(line: &[u8]) -> Result<ManifestEntry> {
    let fields = Fields::of(line)?;
    let expected = blake3::Hash::from_hex(fields.hex).map_err(|error| anyhow!("{error}"))?;
    let path = fields.path()?;
    if path.contains('\u{FFFD}') {
        bail!("Unicode replacement character in the path (a name that is not UTF-8)");
    }
    let shown = if fields.escaped {
        format!("\\{}", fields.shown_path)
    } else {
        fields.shown_path.to_owned()
    };
    Ok(ManifestEntry {
        shown,
        path: PathBuf::from(path),
        expected,
    })
}

/// The path a manifest line names (without its newline), unescaped, for `--merge`: the line is
/// checked as [`parse_manifest_line`] checks it, except that a name shown with U+FFFD (one that
/// is not UTF-8, as `hash` and b3sum print it) is taken too: merging copies the line, it never
/// opens the file.
pub(super) fn line_path(line: &[u8]) -> Result<String> {
    Fields::of(line)?.path()
}

/// The parts of a well-formed manifest line.
struct Fields<'a> {
    /// The line starts with `\`: the path is escaped.
    escaped: bool,
    /// 64 lowercase hex digits.
    hex: &'a str,
    /// The path as the line shows it (after the two spaces).
    shown_path: &'a str,
}

impl<'a> Fields<'a> {
    fn of(line: &'a [u8]) -> Result<Self> {
        let line = std::str::from_utf8(line).map_err(|_| anyhow!("not UTF-8"))?;
        let (escaped, rest) = match line.strip_prefix('\\') {
            Some(rest) => (true, rest),
            None => (false, line),
        };
        const HEX: usize = 2 * blake3::OUT_LEN;
        if rest.len() <= HEX + 2 || !rest.is_char_boundary(HEX) || !rest.is_char_boundary(HEX + 2) {
            bail!("expected 64 hex digits, two spaces and a path");
        }
        let (hex, tail) = rest.split_at(HEX);
        if !hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            bail!("the hash is not 64 lowercase hex digits");
        }
        let Some(shown_path) = tail.strip_prefix("  ") else {
            bail!("expected two spaces after the hash");
        };
        Ok(Self {
            escaped,
            hex,
            shown_path,
        })
    }

    /// The path, unescaped; a NUL byte cannot be in a path.
    fn path(&self) -> Result<String> {
        let path = if self.escaped {
            unescape(self.shown_path)?
        } else {
            self.shown_path.to_owned()
        };
        if path.contains('\0') {
            bail!("NUL byte in the path");
        }
        Ok(path)
    }
}

pub(super) fn unescape(text: &str) -> Result<String> {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('\\') => out.push('\\'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            _ => bail!("invalid backslash escape"),
        }
    }
    Ok(out)
}

/// Reads and parses a whole manifest (`-`: standard input); every malformed line is reported
/// with its number.
pub(super) fn read_manifest(name: &Path) -> Result<Vec<ManifestEntry>, Vec<String>> {
    let bytes = if name.as_os_str() == "-" {
        let mut bytes = Vec::new();
        io::Read::read_to_end(&mut io::stdin().lock(), &mut bytes).map(|_| bytes)
    } else {
        std::fs::read(name)
    };
    let shown = escape_path(name);
    let bytes =
        bytes.map_err(|error| vec![format!("asyncfiles: {shown}: {}", io_error_text(&error))])?;
    let mut entries = Vec::new();
    let mut errors = Vec::new();
    // An empty file lists nothing (as b3sum takes it); a lone newline is an empty line.
    if bytes.is_empty() {
        return Ok(entries);
    }
    let body = bytes.strip_suffix(b"\n").unwrap_or(&bytes);
    for (number, line) in body.split(|&byte| byte == b'\n').enumerate() {
        match parse_manifest_line(line) {
            Ok(entry) => entries.push(entry),
            Err(error) => errors.push(format!("asyncfiles: {shown}:{}: {error}", number + 1)),
        }
    }
    if errors.is_empty() {
        Ok(entries)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_lines_escape_like_b3sum() {
        let hash = blake3::hash(b"x");
        let hex = hash.to_hex();
        assert_eq!(
            manifest_line(&hash, Path::new("a b.log")),
            format!("{hex}  a b.log\n")
        );
        assert_eq!(
            manifest_line(&hash, Path::new("a\\b\nc")),
            format!("\\{hex}  a\\\\b\\nc\n")
        );
    }

    #[test]
    fn manifest_lines_parse_back() {
        let hash = blake3::hash(b"x");
        for name in ["plain.log", "sp ace", "back\\slash", "new\nline", "cr\rx"] {
            let line = manifest_line(&hash, Path::new(name));
            let entry = parse_manifest_line(line.trim_end_matches('\n').as_bytes()).unwrap();
            assert_eq!(entry.path, PathBuf::from(name));
            assert_eq!(entry.expected, hash);
            assert_eq!(format!("{}\n", entry.shown), shown_line_tail(&line));
        }
    }

    fn shown_line_tail(line: &str) -> String {
        let escaped = line.starts_with('\\');
        let tail = &line[usize::from(escaped) + 66..];
        if escaped {
            format!("\\{tail}")
        } else {
            tail.to_owned()
        }
    }

    #[test]
    fn merging_takes_the_path_of_a_name_that_is_not_utf8() {
        let hash = blake3::hash(b"x");
        let line = manifest_line(&hash, Path::new("a\u{FFFD}\\b"));
        let body = line.trim_end_matches('\n').as_bytes();
        assert_eq!(line_path(body).unwrap(), "a\u{FFFD}\\b");
        let refused = parse_manifest_line(body).unwrap_err().to_string();
        assert!(
            refused.starts_with("Unicode replacement character"),
            "{refused}"
        );
        assert_eq!(
            line_path(b"x").unwrap_err().to_string(),
            "expected 64 hex digits, two spaces and a path"
        );
    }

    #[test]
    fn malformed_lines_say_why() {
        let hex = blake3::hash(b"x").to_hex().to_string();
        let cases = [
            ("", "expected 64 hex digits, two spaces and a path"),
            (
                &format!("{hex} xy")[..],
                "expected two spaces after the hash",
            ),
            (
                &format!("{}  x", hex.to_uppercase())[..],
                "the hash is not 64 lowercase hex digits",
            ),
            (&format!("\\{hex}  a\\qb")[..], "invalid backslash escape"),
            (
                &format!("{hex}  ")[..],
                "expected 64 hex digits, two spaces and a path",
            ),
        ];
        for (line, message) in cases {
            let error = parse_manifest_line(line.as_bytes()).unwrap_err();
            assert_eq!(error.to_string(), message, "{line:?}");
        }
    }
}
