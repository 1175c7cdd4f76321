//! Facts about the build machine that the mapping depends on, gathered by
//! the caller (the effectful shell) and injected here.

use serde::Serialize;

use crate::distro::{self, PackageFamily};

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

/// Default macOS SDK path when no `/xx-sdk/MacOSX*.sdk` exists (as xx).
pub const DEFAULT_MACOS_SDK: &str = "/xx-sdk/MacOSX11.1.sdk";

impl HostInfo {
    /// The os-release `ID` of the build root, empty when unknown.
    pub fn distro_id(&self) -> &str {
        self.os_release
            .as_ref()
            .map_or("", |release| release.id.as_str())
    }

    /// The package-architecture naming of the build root's distribution
    /// (dpkg, apk, RPM), when the distribution table knows it.
    pub fn package_family(&self) -> Option<PackageFamily> {
        distro::find(self.distro_id()).map(|row| row.family)
    }

    /// Whether the build root is Debian or Ubuntu: dpkg with multiarch
    /// `/usr/lib/<tuple>` library directories.
    pub fn is_debian_family(&self) -> bool {
        self.package_family() == Some(PackageFamily::Debian)
    }

    /// The macOS SDK darwin targets use: the first one found, else xx's
    /// default path.
    pub fn macos_sdk_path(&self) -> &str {
        self.macos_sdk.as_deref().unwrap_or(DEFAULT_MACOS_SDK)
    }
}

impl OsRelease {
    /// Parse the shell-style `KEY=value` text of an os-release file.
    /// Unknown keys, comments and malformed lines are ignored.
    pub fn parse(text: &str) -> OsRelease {
        let mut release = OsRelease::default();
        for (key, value) in fields(text) {
            match key {
                "ID" => release.id = value,
                "VERSION_ID" => release.version_id = value,
                _ => {}
            }
        }
        release
    }

    /// The value of any `key` of an os-release text (`VERSION`,
    /// `UBUNTU_CODENAME`), unquoted; the last assignment wins, as when a
    /// shell reads the file. `None` when the key is not set.
    pub fn value(text: &str, key: &str) -> Option<String> {
        fields(text)
            .filter(|(name, _)| *name == key)
            .last()
            .map(|(_, value)| value)
    }
}

/// The `KEY=value` assignments of an os-release text, values unquoted;
/// comments and lines without `=` are skipped.
fn fields(text: &str) -> impl Iterator<Item = (&str, String)> {
    text.lines().filter_map(|line| {
        let line = line.trim();
        if line.starts_with('#') {
            return None;
        }
        let (key, raw) = line.split_once('=')?;
        Some((key.trim(), unquote(raw.trim())))
    })
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

    #[test]
    fn reads_any_key() {
        let ubuntu = "NAME=\"Ubuntu\"\nVERSION=\"24.04 LTS (Noble Numbat)\"\n# UBUNTU_CODENAME=old\nUBUNTU_CODENAME=noble\nID=ubuntu\n";
        assert_eq!(
            OsRelease::value(ubuntu, "VERSION").as_deref(),
            Some("24.04 LTS (Noble Numbat)")
        );
        assert_eq!(
            OsRelease::value(ubuntu, "UBUNTU_CODENAME").as_deref(),
            Some("noble")
        );
        assert_eq!(OsRelease::value(ubuntu, "VERSION_ID"), None);
        assert_eq!(OsRelease::value("A=1\nA='2'\n", "A").as_deref(), Some("2"));
        assert_eq!(OsRelease::value("A=\n", "A").as_deref(), Some(""));
    }
}
