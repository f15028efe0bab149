//! `--redact KIND`: finds addresses, identifiers and secrets in lines and masks them, as a label
//! (`[IPV4]`) or, with a key, as a pseudonym (`ipv4-3fa9c1d2e0b4`, the first 12 hex digits of the
//! keyed BLAKE3 hash of the value, as `b3sum --keyed` computes it) that is the same for the same
//! value in every file and run with that key.
//!
//! Each kind is a regex for candidates plus a check that the regex cannot express (no
//! look-around in `regex`): `999.1.1.1` and the `1.2.3.4` of `1.2.3.4.5` are not IPv4 addresses,
//! `12:34:56` is not an IPv6 address. A rejected candidate is written back unchanged. Secrets
//! are one regex of several forms whose named groups say which part is the value: only that
//! part is masked, the key, separator and quotes stay.

use std::fmt;
use std::net::Ipv6Addr;
use std::ops::Range;
use std::path::Path;

use anyhow::{Context, Result, bail};
use regex::bytes::{Captures, Regex, RegexBuilder};

use super::lines::{Found, Rewrite, regex_matches};

/// What `--redact` can find.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Dotted-quad IPv4 addresses.
    Ipv4,
    /// IPv6 addresses, with `::` compression, embedded IPv4 and a `%zone`.
    Ipv6,
    /// E-mail addresses.
    Email,
    /// UUIDs in their 8-4-4-4-12 hex form.
    Uuid,
    /// Credentials: the value of `key=value` / `key: value` pairs whose key names a password,
    /// token, secret, API or private key, authorization or cookie; the password of a URL;
    /// tokens known by their form (AWS access key ids, GitHub, GitLab, Slack, JWT).
    Secret,
}

impl Kind {
    /// The lowercase name, as on the command line and in pseudonyms.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Ipv4 => "ipv4",
            Kind::Ipv6 => "ipv6",
            Kind::Email => "email",
            Kind::Uuid => "uuid",
            Kind::Secret => "secret",
        }
    }

    fn pattern(self) -> &'static str {
        match self {
            Kind::Ipv4 => r"\b(?:[0-9]{1,3}\.){3}[0-9]{1,3}\b",
            // Candidates only: hex digits, colons and dots with at least one colon, and a zone.
            Kind::Ipv6 => r"[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(?:%[0-9A-Za-z_\-]+)?",
            Kind::Email => {
                r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}\b"
            }
            Kind::Uuid => {
                r"\b[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\b"
            }
            Kind::Secret => SECRET,
        }
    }
}

/// The `secret` pattern: one regex (one pass over a block, whatever the number of forms).
/// Every form's value is a named group, the part that is masked ([`VALUE_GROUPS`]); no part
/// matches `\n`, so no mask crosses a line end. Alternatives at the same start are tried in
/// order (leftmost-first): a header form is preferred to a key form for an unquoted value.
const SECRET: &str = concat!(
    r"(?i)",
    // Tokens known by their form (case matters), at the start of a line or after a character
    // that cannot be part of a key: AWS access key ids, GitHub, GitLab and Slack tokens (long
    // enough not to be words), JWTs. A token glued to key characters (`token.eyJ...`) would
    // keep the search going to the end of the key-character run, from each such key: on a
    // long line of them, quadratic.
    r"(?-i:(?:(?m:^)|[^A-Za-z0-9_.\-\n])(?P<t>A[KS]IA[0-9A-Z]{16}\b|gh[pousr]_[A-Za-z0-9]{30,}",
    r"|github_pat_[A-Za-z0-9_]{30,}|glpat-[A-Za-z0-9_\-]{20,}",
    r"|xox[bpars]-[A-Za-z0-9\-]{10,}|xapp-[A-Za-z0-9\-]{10,}",
    r"|eyJ[A-Za-z0-9_\-]+\.eyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*))",
    // An authorization or cookie header value (`Bearer xyz`, `Digest username="bob", ...`,
    // `sid=abc; Path=/`) runs to the end of the line, with any `="..."` inside it; a quote that
    // pairs with nothing closes the string the header sits in (`msg="Authorization: xyz"`).
    r#"|(?:authorization[a-z0-9_.\-]*|cookie)\\?["']?[ \t]*[:=][ \t]*"#,
    r#"(?P<line>[^"'\s\\](?:="[^"\r\n]*"|='[^'\r\n]*'|[^"'\r\n])*)"#,
    // A key that names a secret: containing one of these words, or ending in `cookie` or in
    // the word `pass` (`db_pass`, not `bypass`), possibly quoted itself (also with escaped
    // quotes: `{\"password\":\"x\"}` logged inside a string). The match starts at the word:
    // what comes before it in the key is written back anyway.
    r"|(?:(?:authorization|pass(?:word|wd|phrase)|pwd|token|secret|api[_\-]?key",
    r"|private[_\-]?key)[a-z0-9_.\-]*|cookie|(?:\b|_)pass)",
    r#"\\?["']?[ \t]*[:=][ \t]*(?:"#,
    // ... with a quoted value, masked to its closing quote: after an escaped quote, up to the
    // next escaped quote that is not itself escaped (`\\\"` is a quote inside the value);
    // after a quote, up to the next quote not escaped by a backslash. An unclosed quote runs
    // to the end of the line.
    r#"\\"(?P<eq>(?:[^"\\\r\n]|\\[^"\\\r\n]|\\\\(?:[^\\\r\n]|\\[^\r\n]))+)(?:\\")?"#,
    r#"|"(?P<dq>(?:[^"\\\r\n]|\\[^\r\n])+)"?"#,
    r#"|'(?P<sq>(?:[^'\\\r\n]|\\[^\r\n])+)'?"#,
    // ... or a plain one, to the next blank, comma, semicolon, ampersand, quote or escaped
    // quote (a backslash before anything else is part of the value: `ab\cd`); a
    // `Bearer`/`Basic`/`Token` scheme word goes with it.
    r#"|(?P<v>(?:(?:bearer|basic|token)[ \t]+)?(?:[^\s,;&"'\\]|\\[^\s"'])+))"#,
    // The password of a URL: `scheme://user:PASSWORD@host` (up to the last `@` before the path;
    // the match starts at `://`, the scheme plays no part).
    r#"|://[^\s/?#@:]*:(?P<u>[^\s/?#"'\\]+)@"#,
);

/// The groups of [`SECRET`] that hold the value to mask, one per form.
const VALUE_GROUPS: [&str; 7] = ["line", "eq", "dq", "sq", "v", "u", "t"];

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Most of a key file read: more than the longest valid one (64 hex digits and `\r\n`).
const KEY_FILE_READ: usize = 67;

/// A redaction key: 32 bytes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Key([u8; blake3::KEY_LEN]);

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Key(..)") // never print the key
    }
}

impl Key {
    /// Reads a key file: exactly 32 raw bytes, or 64 hex digits optionally followed by a newline.
    pub fn from_file(path: &Path) -> Result<Self> {
        use std::io::Read as _;
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .and_then(|file| file.take(KEY_FILE_READ as u64).read_to_end(&mut bytes))
            .with_context(|| format!("cannot read the redaction key {}", path.display()))?;
        Self::parse(&bytes).with_context(|| format!("redaction key {}", path.display()))
    }

    fn parse(bytes: &[u8]) -> Result<Self> {
        if let Ok(raw) = <[u8; blake3::KEY_LEN]>::try_from(bytes) {
            return Ok(Self(raw));
        }
        let hex = bytes.strip_suffix(b"\n").unwrap_or(bytes);
        let hex = hex.strip_suffix(b"\r").unwrap_or(hex);
        if hex.len() != 2 * blake3::KEY_LEN {
            let size = match bytes.len() {
                len if len >= KEY_FILE_READ => format!("more than {} bytes", KEY_FILE_READ - 1),
                len => format!("{len} bytes"),
            };
            bail!("a key file holds exactly 32 raw bytes or 64 hex digits (this one has {size})");
        }
        let digit = |byte: u8| char::from(byte).to_digit(16);
        let mut key = [0; blake3::KEY_LEN];
        for (byte, pair) in key.iter_mut().zip(hex.chunks(2)) {
            let (Some(high), Some(low)) = (digit(pair[0]), digit(pair[1])) else {
                bail!(
                    "a key file holds exactly 32 raw bytes or 64 hex digits (found a non-hex digit)"
                );
            };
            *byte = u8::try_from(high * 16 + low).expect("two hex digits make a byte");
        }
        Ok(Self(key))
    }
}

/// What a redacted value becomes.
#[derive(Debug, Clone, Copy)]
pub enum Mask {
    /// `[KIND]`.
    Label,
    /// `kind-` and 12 hex digits of the keyed hash of the value.
    Pseudonym(Key),
}

/// One `--redact KIND` transform.
pub struct Redact {
    kind: Kind,
    regex: Regex,
    mask: Mask,
    label: Vec<u8>,
}

impl Redact {
    /// A redaction of `kind` with `mask`.
    pub fn new(kind: Kind, mask: Mask) -> Self {
        let regex = RegexBuilder::new(kind.pattern())
            .unicode(false)
            .build()
            .expect("built-in redaction patterns are valid");
        Self {
            kind,
            regex,
            mask,
            label: format!("[{}]", kind.name().to_ascii_uppercase()).into_bytes(),
        }
    }

    fn write_mask(&self, value: &[u8], out: &mut Vec<u8>) {
        match self.mask {
            Mask::Label => out.extend_from_slice(&self.label),
            Mask::Pseudonym(Key(key)) => {
                let hash = blake3::keyed_hash(&key, value);
                out.extend_from_slice(self.kind.name().as_bytes());
                out.push(b'-');
                out.extend_from_slice(&hash.to_hex().as_bytes()[..12]);
            }
        }
    }

    /// The part of a candidate match that is really a value of this kind (`None`: not one).
    fn valid_span(&self, hay: &[u8], range: &Range<usize>) -> Option<Range<usize>> {
        match self.kind {
            Kind::Ipv4 => valid_ipv4(hay, range).then(|| range.clone()),
            Kind::Ipv6 => valid_ipv6(hay, range),
            Kind::Email | Kind::Uuid | Kind::Secret => Some(range.clone()),
        }
    }
}

impl Rewrite for Redact {
    fn matches<'h>(&'h self, hay: &'h [u8]) -> Box<dyn Iterator<Item = Found<'h>> + 'h> {
        match self.kind {
            // The regex's prefilter fires on every digit of a log line (times, sizes, status
            // codes); looking from each dot is several times faster, with the same matches.
            Kind::Ipv4 => Box::new(Ipv4Candidates { hay, at: 0 }.map(|range| (range, None))),
            kind => regex_matches(&self.regex, hay, kind == Kind::Secret),
        }
    }

    fn emit(
        &self,
        hay: &[u8],
        range: Range<usize>,
        captures: Option<&Captures>,
        out: &mut Vec<u8>,
    ) {
        if self.kind == Kind::Secret {
            // Only the value is masked; the key, separator and quotes stay.
            let value = captures.and_then(|caps| {
                VALUE_GROUPS
                    .iter()
                    .find_map(|&name| caps.name(name).map(|value| (name, value.range())))
            });
            match value {
                Some((name, value)) => {
                    // A header value runs to the end of the line: not its trailing blanks.
                    let end = if name == "line" {
                        let bytes = &hay[value.clone()];
                        let blanks = bytes.iter().rev().take_while(|b| matches!(b, b' ' | b'\t'));
                        value.end - blanks.count()
                    } else {
                        value.end
                    };
                    out.extend_from_slice(&hay[range.start..value.start]);
                    self.write_mask(&hay[value.start..end], out);
                    out.extend_from_slice(&hay[end..range.end]);
                }
                None => out.extend_from_slice(&hay[range]),
            }
            return;
        }
        match self.valid_span(hay, &range) {
            Some(span) => {
                out.extend_from_slice(&hay[range.start..span.start]);
                self.write_mask(&hay[span.clone()], out);
                out.extend_from_slice(&hay[span.end..range.end]);
            }
            None => out.extend_from_slice(&hay[range]),
        }
    }
}

/// The matches of the IPv4 pattern `\b(?:[0-9]{1,3}\.){3}[0-9]{1,3}\b`, found from the dots:
/// a match is four runs of one to three digits joined by dots, at a word boundary on both
/// sides. (Each quantifier can only take a whole digit run: a shorter one would be followed by a
/// digit, not by the dot or boundary the pattern needs, so no backtracking can find another.)
struct Ipv4Candidates<'h> {
    hay: &'h [u8],
    /// Where the search goes on.
    at: usize,
}

impl Iterator for Ipv4Candidates<'_> {
    type Item = Range<usize>;

    fn next(&mut self) -> Option<Range<usize>> {
        let hay = self.hay;
        let word = |i: usize| hay[i].is_ascii_alphanumeric() || hay[i] == b'_';
        // The digit run ending just before `end`, when it is one to three digits long.
        let run_before = |end: usize, floor: usize| {
            let start = (floor..end)
                .rev()
                .take_while(|&i| hay[i].is_ascii_digit())
                .last()?;
            (end - start <= 3 && (start == floor || !hay[start - 1].is_ascii_digit()))
                .then_some(start)
        };
        // The end of the digit run starting at `start`, when it is one to three digits long.
        let run_after = |start: usize| {
            let len = hay[start..]
                .iter()
                .take(4)
                .take_while(|byte| byte.is_ascii_digit())
                .count();
            (1..=3).contains(&len).then_some(start + len)
        };
        while let Some(offset) = memchr::memchr(b'.', &hay[self.at..]) {
            // A match starts no earlier than where the search resumed (the end of the last one).
            let floor = self.at;
            let dot = floor + offset;
            self.at = dot + 1;
            let Some(start) = run_before(dot, floor) else {
                continue;
            };
            if start > 0 && word(start - 1) {
                continue; // no word boundary before the first digit
            }
            let mut end = dot;
            let mut complete = true;
            for group in 0..3 {
                match run_after(end + 1) {
                    Some(run_end) if group == 2 || hay.get(run_end) == Some(&b'.') => end = run_end,
                    _ => {
                        complete = false;
                        break;
                    }
                }
            }
            if complete && (end == hay.len() || !word(end)) {
                self.at = end;
                return Some(start..end);
            }
        }
        self.at = hay.len();
        None
    }
}

/// Every octet at most 255, and not part of a longer dotted run (`1.2.3.4.5`, `9.1.2.3.4`).
fn valid_ipv4(hay: &[u8], range: &Range<usize>) -> bool {
    // The pattern lets only one to three digits through per octet.
    let octets_ok = hay[range.clone()].split(|&byte| byte == b'.').all(|octet| {
        let value = octet
            .iter()
            .fold(0u32, |value, digit| value * 10 + u32::from(digit - b'0'));
        value <= 255
    });
    let before = range.start.checked_sub(2).map(|i| &hay[i..range.start]);
    let after = hay.get(range.end..range.end + 2);
    let dotted_digit = |pair: &[u8], dot_first: bool| {
        let (dot, digit) = if dot_first {
            (pair[0], pair[1])
        } else {
            (pair[1], pair[0])
        };
        dot == b'.' && digit.is_ascii_digit()
    };
    octets_ok
        && !before.is_some_and(|pair| dotted_digit(pair, false))
        && !after.is_some_and(|pair| dotted_digit(pair, true))
}

/// The address (with its zone) at the start of a candidate, if it is one: trailing dots and
/// colons (end of a sentence, a `host:port` separator) are left out; a candidate glued to a
/// word (`std::io`) is none.
fn valid_ipv6(hay: &[u8], range: &Range<usize>) -> Option<Range<usize>> {
    let word = |byte: &u8| byte.is_ascii_alphanumeric() || *byte == b'_';
    let mut range = range.clone();
    if range.start > 0 && word(&hay[range.start - 1]) {
        // `peer:fe80::1`: the colon after a word is a separator, not part of the address.
        if hay[range.start] != b':' || hay.get(range.start + 1) == Some(&b':') {
            return None;
        }
        range.start += 1;
    }
    if hay.get(range.end).is_some_and(word) {
        return None;
    }
    let candidate = &hay[range.clone()];
    if !candidate.iter().any(u8::is_ascii_hexdigit) {
        return None; // `::` alone (as in `x :: Int`) is not worth a mask
    }
    let (address, zone) = match candidate.iter().position(|&byte| byte == b'%') {
        Some(percent) => candidate.split_at(percent),
        None => (candidate, &b""[..]),
    };
    let mut end = address.len();
    loop {
        let text = std::str::from_utf8(&address[..end]).ok()?;
        if text.parse::<Ipv6Addr>().is_ok() {
            let len = if end == address.len() {
                end + zone.len()
            } else {
                end
            };
            return Some(range.start..range.start + len);
        }
        match address[..end].last() {
            Some(b'.' | b':') if end > 2 => end -= 1,
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transform::lines::{LineOp, Rewriter};

    fn redact(kind: Kind, mask: Mask, line: &str) -> String {
        let mut out = Vec::new();
        Rewriter(Redact::new(kind, mask)).apply(line.as_bytes(), &mut out);
        String::from_utf8(out).unwrap()
    }

    fn label(kind: Kind, line: &str) -> String {
        redact(kind, Mask::Label, line)
    }

    /// Each line with what it becomes.
    fn check(kind: Kind, cases: &[(&str, &str)]) {
        for (line, expected) in cases {
            assert_eq!(label(kind, line), *expected, "{line:?}");
        }
    }

    #[test]
    fn ipv4_addresses_and_what_is_not_one() {
        check(
            Kind::Ipv4,
            &[
                (
                    "from 10.0.0.1 to 192.168.1.255\n",
                    "from [IPV4] to [IPV4]\n",
                ),
                (
                    "999.1.1.1 1.2.3.4.5 1.2.3 v1.2.3.4.5\n",
                    "999.1.1.1 1.2.3.4.5 1.2.3 v1.2.3.4.5\n",
                ),
                ("ip=8.8.8.8, next\n", "ip=[IPV4], next\n"),
                ("1.2.3.4.", "[IPV4]."),
            ],
        );
    }

    #[test]
    fn ipv6_forms() {
        check(
            Kind::Ipv6,
            &[
                ("lo ::1 up\n", "lo [IPV6] up\n"),
                ("link fe80::1%eth0.\n", "link [IPV6].\n"),
                ("mapped ::ffff:192.0.2.1 ok\n", "mapped [IPV6] ok\n"),
                ("full 2001:db8:0:0:0:0:2:1\n", "full [IPV6]\n"),
                ("at 12:34:56 std::io a:b\n", "at 12:34:56 std::io a:b\n"),
                ("[2001:db8::1]:8080\n", "[[IPV6]]:8080\n"),
                (
                    "peer:fe80::1 addr:2001:db8::1\n",
                    "peer:[IPV6] addr:[IPV6]\n",
                ),
                ("x :: Int, y::1\n", "x :: Int, y::1\n"),
            ],
        );
    }

    #[test]
    fn emails_and_uuids() {
        assert_eq!(
            label(Kind::Email, "to <Jane.Doe+x@mail.example.org>, cc a@b\n"),
            "to <[EMAIL]>, cc a@b\n"
        );
        assert_eq!(
            label(
                Kind::Uuid,
                "id=123e4567-e89b-12d3-a456-426614174000 x123e4567-e89b-12d3-a456-426614174000\n"
            ),
            "id=[UUID] x123e4567-e89b-12d3-a456-426614174000\n"
        );
    }

    #[test]
    fn secrets_keep_their_keys() {
        assert_eq!(
            label(
                Kind::Secret,
                "password=hunter2&user=bob; api_key: abc123,x DB_PASSWD='p w'\n"
            ),
            "password=[SECRET]&user=bob; api_key: [SECRET],x DB_PASSWD='[SECRET]'\n"
        );
        assert_eq!(
            label(
                Kind::Secret,
                r#"{"token": "t0k", "Authorization": "Bearer a b"} "#
            ),
            r#"{"token": "[SECRET]", "Authorization": "[SECRET]"} "#
        );
        assert_eq!(
            label(
                Kind::Secret,
                "Authorization: Bearer xyz.abc\r\nnext token = q\n"
            ),
            "Authorization: [SECRET]\r\nnext token = [SECRET]\n"
        );
        assert_eq!(
            label(Kind::Secret, "tokens are fine, password= \n"),
            "tokens are fine, password= \n"
        );
    }

    #[test]
    fn secrets_in_escaped_json_headers_and_schemes() {
        let cases = [
            (
                r#"msg="{\"password\":\"hunter2\"}""#,
                r#"msg="{\"password\":\"[SECRET]\"}""#,
            ),
            (
                "X-Api-Key: abc api-key=def\n",
                "X-Api-Key: [SECRET] api-key=[SECRET]\n",
            ),
            (
                "X-Auth-Token: Bearer xyz next\n",
                "X-Auth-Token: [SECRET] next\n",
            ),
            ("Authorization: \n", "Authorization: \n"),
            (
                "Authorization: Basic dXNlcg== \t\n",
                "Authorization: [SECRET] \t\n",
            ),
            ("GET /a?token=abc&x=1\n", "GET /a?token=[SECRET]&x=1\n"),
        ];
        for (line, expected) in cases {
            assert_eq!(label(Kind::Secret, line), expected, "{line:?}");
        }
    }

    /// A token right after a key's characters would make each search run to the end of the
    /// line (a key form that started earlier is still alive): quadratic in a long line of
    /// them. Such tokens are not looked for, so this takes milliseconds, not minutes.
    #[test]
    fn a_long_line_of_keys_glued_to_tokens_is_searched_in_linear_time() {
        for unit in [
            "token.eyJa.eyJb.c.",
            "token-glpat-xxxxxxxxxxxxxxxxxxxxxxxx-",
        ] {
            let line = unit.repeat((256 << 10) / unit.len());
            assert_eq!(label(Kind::Secret, &line), line);
        }
    }

    #[test]
    fn pseudonyms_are_keyed_hashes_of_the_value() {
        let key = Key([7; 32]);
        let expected = blake3::keyed_hash(&[7; 32], b"10.0.0.1").to_hex();
        assert_eq!(
            redact(Kind::Ipv4, Mask::Pseudonym(key), "a 10.0.0.1 b 10.0.0.1\n"),
            format!("a ipv4-{0} b ipv4-{0}\n", &expected[..12])
        );
        let other = redact(Kind::Ipv4, Mask::Pseudonym(Key([8; 32])), "10.0.0.1");
        assert_ne!(other, format!("ipv4-{}", &expected[..12]));
    }

    proptest::proptest! {
        /// The dot-driven IPv4 finder finds exactly what the IPv4 regex finds.
        #[test]
        fn ipv4_candidates_are_the_regex_matches(
            hay in proptest::collection::vec(proptest::sample::select(b"0123456789.a_ :".to_vec()), 0..80),
        ) {
            let regex = RegexBuilder::new(Kind::Ipv4.pattern()).unicode(false).build().unwrap();
            let expected: Vec<_> = regex.find_iter(&hay).map(|m| m.range()).collect();
            let found: Vec<_> = Ipv4Candidates { hay: &hay, at: 0 }.collect();
            proptest::prop_assert_eq!(found, expected);
        }
    }

    #[test]
    fn key_files_are_raw_or_hex() {
        assert_eq!(Key::parse(&[1; 32]).unwrap(), Key([1; 32]));
        let hex = "ab".repeat(32);
        assert_eq!(Key::parse(hex.as_bytes()).unwrap(), Key([0xab; 32]));
        assert_eq!(
            Key::parse(format!("{hex}\n").as_bytes()).unwrap(),
            Key([0xab; 32])
        );
        assert_eq!(
            Key::parse(format!("{hex}\r\n").as_bytes()).unwrap(),
            Key([0xab; 32])
        );
        let signed = format!("+f{}", "ab".repeat(31));
        assert!(Key::parse(signed.as_bytes()).is_err());
        for bad in [
            &b"short"[..],
            &[0; 33],
            "zz".repeat(32).as_bytes(),
            format!("{hex}\n\n").as_bytes(),
        ] {
            assert!(Key::parse(bad).is_err(), "{bad:?}");
        }
    }
}
