//! The record of finished setups: xx's `/.xx-cargo.<arch>` marker, which
//! xx-rs fills with one `<rust triple> <rustc>` line per setup so that a
//! different variant or compiler of the same architecture is set up too.

use crate::error::BuildEnvError;

/// One finished setup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The Rust triple that was set up.
    pub rust_triple: String,
    /// The rustc it was set up for (its path, or `rustc` from `PATH`).
    pub rustc: String,
}

impl Entry {
    fn line(&self) -> String {
        format!("{} {}", self.rust_triple, self.rustc)
    }
}

/// The entries of a record file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record {
    entries: Vec<Entry>,
}

impl Record {
    /// Parse a record file. An empty file (xx's marker, or one from an
    /// older xx-rs) has no entries, so every setup runs once more.
    pub fn parse(text: &str) -> Result<Record, BuildEnvError> {
        let mut entries = Vec::new();
        for line in text.lines().map(str::trim).filter(|line| !line.is_empty()) {
            let Some((triple, rustc)) = line.split_once(' ') else {
                return Err(BuildEnvError::MalformedRecord {
                    line: line.to_string(),
                });
            };
            entries.push(Entry {
                rust_triple: triple.to_string(),
                rustc: rustc.trim().to_string(),
            });
        }
        Ok(Record { entries })
    }

    /// Whether `entry` was set up.
    pub fn contains(&self, entry: &Entry) -> bool {
        self.entries.contains(entry)
    }

    /// The file text with `entry` added (once).
    pub fn with(mut self, entry: Entry) -> String {
        if !self.contains(&entry) {
            self.entries.push(entry);
        }
        self.entries
            .iter()
            .map(|entry| entry.line() + "\n")
            .collect()
    }
}

/// The record file's name: xx's `.xx-cargo.<arch>`.
pub fn file_name(arch: &str) -> String {
    format!(".xx-cargo.{arch}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(triple: &str, rustc: &str) -> Entry {
        Entry {
            rust_triple: triple.into(),
            rustc: rustc.into(),
        }
    }

    #[test]
    fn round_trips_and_adds_once() {
        let empty = Record::parse("").unwrap();
        let a = entry("armv7-unknown-linux-gnueabihf", "/usr/bin/rustc");
        assert!(!empty.contains(&a));
        let text = empty.with(a.clone());
        assert_eq!(text, "armv7-unknown-linux-gnueabihf /usr/bin/rustc\n");
        let record = Record::parse(&text).unwrap();
        assert!(record.contains(&a));
        assert!(!record.contains(&entry("arm-unknown-linux-gnueabi", "/usr/bin/rustc")));
        assert_eq!(record.clone().with(a), text);
        let two = record.with(entry("arm-unknown-linux-gnueabi", "rustc"));
        assert_eq!(two.lines().count(), 2);
        assert_eq!(file_name("arm"), ".xx-cargo.arm");
    }

    #[test]
    fn rejects_garbage() {
        assert!(Record::parse("nonsense\n").is_err());
        assert!(Record::parse("a b c\n").is_ok());
    }
}
