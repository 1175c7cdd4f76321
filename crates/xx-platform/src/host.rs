//! Facts about the build machine that the mapping depends on, gathered by
//! the caller (the effectful shell) and injected here.

use serde::Serialize;

/// What xx-rs knows about the machine (or root) it runs in.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct HostInfo {
    /// `uname -m` of the build machine.
    pub machine: String,
    /// `/etc/os-release` of the root, when readable.
    pub os_release: Option<OsRelease>,
    /// Whether `/etc/alpine-release` exists (Alpine keeps per-target roots).
    pub alpine_release: bool,
    /// The first `/xx-sdk/MacOSX*.sdk` directory, when present.
    pub macos_sdk: Option<String>,
}

/// The fields of `os-release(5)` xx-rs uses.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OsRelease {
    /// `ID`, e.g. `debian`, `ubuntu`, `alpine`, `rhel`.
    pub id: String,
    /// `VERSION_ID`, e.g. `12`; empty on rolling releases.
    pub version_id: String,
}

impl OsRelease {
    /// Parse the shell-style `KEY=value` text of an os-release file.
    /// Unknown keys, comments and malformed lines are ignored.
    pub fn parse(text: &str) -> OsRelease {
        let mut release = OsRelease::default();
        for line in text.lines() {
            let line = line.trim();
            if line.starts_with('#') {
                continue;
            }
            let Some((key, raw)) = line.split_once('=') else {
                continue;
            };
            let value = unquote(raw.trim());
            match key.trim() {
                "ID" => release.id = value,
                "VERSION_ID" => release.version_id = value,
                _ => {}
            }
        }
        release
    }
}

/// Undo shell quoting of an os-release value: `"a\"b"`, `'a b'` or bare.
fn unquote(raw: &str) -> String {
    if let Some(inner) = raw.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')) {
        return inner.to_string();
    }
    let Some(inner) = raw.strip_prefix('"').and_then(|r| r.strip_suffix('"')) else {
        return raw.to_string();
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_os_release_files() {
        let debian = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nID=debian\n";
        assert_eq!(
            OsRelease::parse(debian),
            OsRelease {
                id: "debian".into(),
                version_id: "12".into()
            }
        );
        let alpine = "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.20.3\n";
        assert_eq!(OsRelease::parse(alpine).version_id, "3.20.3");
        let quoted = "# comment\nID='rocky'\nVERSION_ID=\"9.\\\"4\"\ngarbage line\n";
        let parsed = OsRelease::parse(quoted);
        assert_eq!(parsed.id, "rocky");
        assert_eq!(parsed.version_id, "9.\"4");
        assert_eq!(OsRelease::parse(""), OsRelease::default());
    }
}
