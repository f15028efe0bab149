//! Sizes as users write them (`64M`, `50MB`, `4096`), and printed back in the same family of
//! units: what `--max-rate`, `--max-line-bytes`, `--min-size` and `--max-size` accept.
//!
//! `K`, `M`, `G`, `T` and `KiB` … `TiB` are binary (1024), as for `ls -h`, rsync and `--level`'s
//! peers; `KB` … `TB` are decimal (1000), as for `df -H`. Case does not matter (`64m`, `10kib`).
//! A message that names a size the user gave (`line 2 exceeds 64 MiB`) writes it in the family
//! the user wrote, so that `50MB` never comes back as `47.68 MiB`.

use std::fmt;

/// The family of units a size was written in, so that it is printed back in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Units {
    /// A bare number (or `B`): printed as bytes.
    Bytes,
    /// `K`, `KiB`, `M`, `MiB`, …: powers of 1024.
    Binary,
    /// `KB`, `MB`, `GB`, `TB`: powers of 1000.
    Decimal,
}

/// A size in bytes and the family of units it was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    /// The number of bytes.
    pub bytes: u64,
    /// How to print it back.
    pub units: Units,
}

/// The suffixes [`Size::parse`] accepts (lower case), with their family and multiplier.
const SUFFIXES: [(&str, Units, u64); 14] = [
    ("", Units::Bytes, 1),
    ("b", Units::Bytes, 1),
    ("k", Units::Binary, 1 << 10),
    ("kib", Units::Binary, 1 << 10),
    ("m", Units::Binary, 1 << 20),
    ("mib", Units::Binary, 1 << 20),
    ("g", Units::Binary, 1 << 30),
    ("gib", Units::Binary, 1 << 30),
    ("t", Units::Binary, 1 << 40),
    ("tib", Units::Binary, 1 << 40),
    ("kb", Units::Decimal, 1_000),
    ("mb", Units::Decimal, 1_000_000),
    ("gb", Units::Decimal, 1_000_000_000),
    ("tb", Units::Decimal, 1_000_000_000_000),
];

impl Size {
    /// Reads `64M`, `10KiB`, `50MB`, `4096`: a whole number of at least 1 byte, with an
    /// optional unit. The error is a message for clap (`unknown unit "x" …`).
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let unit_at = text
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len());
        let (digits, unit) = (&text[..unit_at], text[unit_at..].trim_start());
        if digits.is_empty() {
            return Err(format!(
                "{text:?} is not a size (a number, then maybe a unit: 64M, 50MB)"
            ));
        }
        let lower = unit.to_ascii_lowercase();
        let Some(&(_, units, multiplier)) = SUFFIXES.iter().find(|(name, ..)| *name == lower)
        else {
            return Err(format!(
                "unknown unit {unit:?} (use K, M, G, T or KiB, MiB, GiB, TiB for powers of \
                 1024, KB, MB, GB, TB for powers of 1000)"
            ));
        };
        let number: u64 = digits
            .parse()
            .map_err(|_| format!("{text:?} is not a size"))?;
        match number.checked_mul(multiplier) {
            Some(0) | None => Err(format!("{text:?} is not a size from 1 byte to 16 EiB")),
            Some(bytes) => Ok(Self { bytes, units }),
        }
    }

    /// A size of `bytes` bytes, printed as bytes.
    pub fn bytes(bytes: u64) -> Self {
        Self {
            bytes,
            units: Units::Bytes,
        }
    }
}

impl From<u64> for Size {
    fn from(bytes: u64) -> Self {
        Self::bytes(bytes)
    }
}

/// `64 MiB`, `50 MB`, `4096 bytes`: the largest unit of the size's family that divides it
/// exactly, else bytes (a size is never rounded in a message).
impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let units: &[(&str, u64)] = match self.units {
            Units::Bytes => &[],
            Units::Binary => &[
                ("TiB", 1 << 40),
                ("GiB", 1 << 30),
                ("MiB", 1 << 20),
                ("KiB", 1 << 10),
            ],
            Units::Decimal => &[
                ("TB", 1_000_000_000_000),
                ("GB", 1_000_000_000),
                ("MB", 1_000_000),
                ("KB", 1_000),
            ],
        };
        match units
            .iter()
            .find(|(_, size)| self.bytes >= *size && self.bytes % size == 0)
        {
            Some((unit, size)) => write!(f, "{} {unit}", self.bytes / size),
            None if self.bytes == 1 => write!(f, "1 byte"),
            None => write!(f, "{} bytes", self.bytes),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_of_both_families_are_read() {
        for (text, bytes) in [
            ("100", 100),
            ("100B", 100),
            ("4K", 4 << 10),
            ("10kib", 10 << 10),
            ("64M", 64 << 20),
            ("2GiB", 2 << 30),
            ("1T", 1 << 40),
            ("50MB", 50_000_000),
            ("3kb", 3_000),
            ("1GB", 1_000_000_000),
            ("2TB", 2_000_000_000_000),
        ] {
            assert_eq!(
                Size::parse(text).map(|size| size.bytes),
                Ok(bytes),
                "{text}"
            );
        }
        assert_eq!(Size::parse("50 MB").map(|size| size.bytes), Ok(50_000_000));
        for bad in [
            "0",
            "0K",
            "x",
            "5Q",
            "-1",
            "1.5M",
            "99999999999T",
            "50Mb/s",
            "",
        ] {
            assert!(Size::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sizes_print_back_in_the_family_they_were_written_in() {
        for (text, shown) in [
            ("64M", "64 MiB"),
            ("64MiB", "64 MiB"),
            ("64MB", "64 MB"),
            ("1024K", "1 MiB"),
            ("1000KB", "1 MB"),
            ("1500KB", "1500 KB"),
            ("4096", "4096 bytes"),
            ("1", "1 byte"),
            ("3T", "3 TiB"),
            ("3TB", "3 TB"),
        ] {
            assert_eq!(Size::parse(text).unwrap().to_string(), shown, "{text}");
        }
    }
}
