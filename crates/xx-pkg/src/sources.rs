//! apt source lists as text: choosing the main sources file, making
//! entries serve (or only serve) an architecture, and the extra lists xx
//! adds for Ubuntu targets and Debian riscv64. Pure functions; reading and
//! writing the files is the caller's business.

use xx_platform::{arch, OsRelease};

/// Debian's deb822 sources file (Debian 12+ images).
pub const DEBIAN_SOURCES: &str = "/etc/apt/sources.list.d/debian.sources";
/// Ubuntu's deb822 sources file (Ubuntu 24.04+ images).
pub const UBUNTU_SOURCES: &str = "/etc/apt/sources.list.d/ubuntu.sources";
/// The classic one-line sources file.
pub const SOURCES_LIST: &str = "/etc/apt/sources.list";

/// The sources file xx treats as the system's main one: `debian.sources`,
/// else `ubuntu.sources`, else `sources.list`. `exists` tells which exist.
pub fn main_sources_file(exists: impl Fn(&str) -> bool) -> &'static str {
    [DEBIAN_SOURCES, UBUNTU_SOURCES]
        .into_iter()
        .find(|path| exists(path))
        .unwrap_or(SOURCES_LIST)
}

/// The syntax of a sources file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceFormat {
    /// deb822 stanzas (`*.sources`).
    Deb822,
    /// One `deb [options] uri suite components` entry per line (`*.list`).
    OneLine,
}

impl SourceFormat {
    /// The format apt expects from a file's name.
    pub fn of_path(path: &str) -> SourceFormat {
        if path.ends_with(".sources") {
            SourceFormat::Deb822
        } else {
            SourceFormat::OneLine
        }
    }

    /// The file-name extension of this format.
    pub fn extension(self) -> &'static str {
        match self {
            SourceFormat::Deb822 => "sources",
            SourceFormat::OneLine => "list",
        }
    }
}

/// Restrict every entry that names no architecture to `arch` (xx's
/// `--fix-source-file`): deb822 stanzas without `Architectures:` get
/// `Architectures: <arch>` after their `Types:` line; one-line entries
/// (commented-out `# deb` ones too) without an `arch=` option get one.
/// Running it again changes nothing.
pub fn restrict_to_arch(text: &str, format: SourceFormat, arch: &str) -> String {
    match format {
        SourceFormat::Deb822 => map_stanzas(text, |stanza| {
            if find_field(stanza, "Architectures").is_some() {
                return owned(stanza);
            }
            let Some(types) = find_field(stanza, "Types") else {
                return owned(stanza);
            };
            let mut lines = owned(stanza);
            // Only the file's last line can lack an ending; the new field
            // then becomes the last line.
            let ending = line_ending(stanza[types]);
            if ending.is_empty() {
                lines[types].push('\n');
            }
            lines.insert(types + 1, format!("Architectures: {arch}{ending}"));
            lines
        }),
        SourceFormat::OneLine => map_lines(text, |line| {
            let Some(entry) = OneLineEntry::parse(line, true) else {
                return line.to_string();
            };
            if line.contains("arch=") {
                return line.to_string();
            }
            entry.with_options(&match entry.options {
                Some(options) => format!("arch={arch} {}", options.trim()),
                None => format!("arch={arch}"),
            })
        }),
    }
}

/// Make entries that are restricted to some architectures also serve
/// `arch`: an `Architectures:` field or `arch=` option that lacks it gets
/// it appended. Unrestricted entries already serve every architecture
/// dpkg knows and are left alone. Running it again changes nothing.
pub fn add_arch(text: &str, format: SourceFormat, arch: &str) -> String {
    match format {
        SourceFormat::Deb822 => map_stanzas(text, |stanza| {
            let mut lines = owned(stanza);
            if let Some(index) = find_field(stanza, "Architectures") {
                let line = stanza[index];
                let ending = line_ending(line);
                let body = &line[..line.len() - ending.len()];
                let value = body.split_once(':').map_or("", |(_, value)| value);
                if !value.split_whitespace().any(|a| a == arch) {
                    lines[index] = format!("{} {arch}{ending}", body.trim_end());
                }
            }
            lines
        }),
        SourceFormat::OneLine => map_lines(text, |line| {
            let Some(entry) = OneLineEntry::parse(line, false) else {
                return line.to_string();
            };
            let Some(options) = entry.options else {
                return line.to_string();
            };
            let mut changed = false;
            let rewritten: Vec<String> = options
                .split_whitespace()
                .map(|option| match option.strip_prefix("arch=") {
                    Some(list) if !list.split(',').any(|a| a == arch) => {
                        changed = true;
                        format!("arch={list},{arch}")
                    }
                    _ => option.to_string(),
                })
                .collect();
            if changed {
                entry.with_options(&rewritten.join(" "))
            } else {
                line.to_string()
            }
        }),
    }
}

/// Where Ubuntu publishes packages for an architecture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UbuntuArchive {
    /// The main archive URL.
    pub main: &'static str,
    /// The security archive URL.
    pub security: &'static str,
}

/// The Ubuntu archive that serves `debian_arch`: the primary one
/// (`archive.ubuntu.com`) for the arches the table says
/// ([`ArchRow::ubuntu_primary_archive`](xx_platform::arch::ArchRow::ubuntu_primary_archive)),
/// `ports.ubuntu.com` for every other one.
pub fn ubuntu_archive(debian_arch: &str) -> UbuntuArchive {
    let primary = arch::ARCHES
        .iter()
        .any(|row| row.debian == debian_arch && row.ubuntu_primary_archive);
    if primary {
        UbuntuArchive {
            main: "http://archive.ubuntu.com/ubuntu/",
            security: "http://security.ubuntu.com/ubuntu/",
        }
    } else {
        UbuntuArchive {
            main: "http://ports.ubuntu.com/ubuntu-ports/",
            security: "http://ports.ubuntu.com/ubuntu-ports/",
        }
    }
}

/// The extra list xx-rs writes on Ubuntu for a foreign architecture:
/// its path (`/etc/apt/sources.list.d/xx-<arch>.list` or `.sources`, in
/// the format of the main sources file) and contents.
pub fn ubuntu_target_list(
    format: SourceFormat,
    debian_arch: &str,
    codename: &str,
) -> (String, String) {
    let path = format!(
        "/etc/apt/sources.list.d/xx-{debian_arch}.{}",
        format.extension()
    );
    let archive = ubuntu_archive(debian_arch);
    let components = "main restricted universe multiverse";
    let text = match format {
        SourceFormat::OneLine => {
            let mut text = String::new();
            for (uri, suite) in [
                (archive.main, codename.to_string()),
                (archive.main, format!("{codename}-updates")),
                (archive.main, format!("{codename}-backports")),
                (archive.security, format!("{codename}-security")),
            ] {
                text.push_str(&format!(
                    "deb [arch={debian_arch}] {uri} {suite} {components}\n"
                ));
            }
            text
        }
        SourceFormat::Deb822 => {
            let keyring = "/usr/share/keyrings/ubuntu-archive-keyring.gpg";
            format!(
                "Types: deb\nArchitectures: {debian_arch}\nURIs: {}\nSuites: {codename} {codename}-updates {codename}-backports\nComponents: {components}\nSigned-By: {keyring}\n\nTypes: deb\nArchitectures: {debian_arch}\nURIs: {}\nSuites: {codename}-security\nComponents: {components}\nSigned-By: {keyring}\n",
                archive.main, archive.security
            )
        }
    };
    (path, text)
}

/// The list xx adds on Debian releases before 13 for riscv64 (only when
/// `XX_APT_FORCE_RISCV64` is set): Debian Ports' unstable.
pub const RISCV64_PORTS_LIST: &str = "/etc/apt/sources.list.d/riscv64-sid.list";
/// The entry of [`RISCV64_PORTS_LIST`].
pub const RISCV64_PORTS_ENTRY: &str =
    "deb [ arch=riscv64 ] http://ftp.ports.debian.org/debian-ports sid main";

/// The major version in `/etc/debian_version` (`12` for `12.8`), or None
/// for testing/unstable (`trixie/sid`).
pub fn debian_major(debian_version: &str) -> Option<u32> {
    debian_version.trim().split('.').next()?.parse().ok()
}

/// The value of `key` in an os-release text, unquoted (xx-platform's
/// parser: [`OsRelease::value`]).
pub fn os_release_value(text: &str, key: &str) -> Option<String> {
    OsRelease::value(text, key)
}

/// One `deb`/`deb-src` line, split around its `[options]`.
struct OneLineEntry<'a> {
    /// `deb `, `# deb-src ` ...: everything before the options.
    head: &'a str,
    /// The text inside `[...]`, if present.
    options: Option<&'a str>,
    /// Everything after the options (URI, suite, components, line end).
    tail: &'a str,
}

impl<'a> OneLineEntry<'a> {
    /// Split `line` when it is an entry; `allow_commented` also accepts
    /// `# deb ...` (as xx's fixer does).
    fn parse(line: &'a str, allow_commented: bool) -> Option<OneLineEntry<'a>> {
        let uncommented = match line.strip_prefix("# ") {
            Some(rest) if allow_commented => rest,
            Some(_) => return None,
            None => line,
        };
        let after_type = uncommented
            .strip_prefix("deb-src")
            .or_else(|| uncommented.strip_prefix("deb"))?;
        let rest = after_type.trim_start_matches([' ', '\t']);
        if rest.len() == after_type.len() {
            return None; // `debfoo`, not an entry type
        }
        let head = &line[..line.len() - rest.len()];
        match rest.strip_prefix('[') {
            Some(inner) => {
                let (options, after) = inner.split_once(']')?;
                Some(OneLineEntry {
                    head,
                    options: Some(options),
                    tail: after.trim_start_matches([' ', '\t']),
                })
            }
            None => Some(OneLineEntry {
                head,
                options: None,
                tail: rest,
            }),
        }
    }

    /// The line with its options replaced by `options`.
    fn with_options(&self, options: &str) -> String {
        format!("{}[{options}] {}", self.head, self.tail)
    }
}

/// The line ending (`\n`, `\r\n` or nothing) of a line.
fn line_ending(line: &str) -> &str {
    if line.ends_with("\r\n") {
        "\r\n"
    } else if line.ends_with('\n') {
        "\n"
    } else {
        ""
    }
}

/// Apply `edit` to every line (with its ending) of `text`.
fn map_lines(text: &str, edit: impl Fn(&str) -> String) -> String {
    text.split_inclusive('\n').map(edit).collect()
}

/// Apply `edit` to every deb822 stanza (its lines, with endings) of
/// `text`; blank lines between stanzas are kept as they are.
fn map_stanzas(text: &str, edit: impl Fn(&[&str]) -> Vec<String>) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    let mut stanza: Vec<&str> = Vec::new();
    let flush = |stanza: &mut Vec<&str>, out: &mut String| {
        if !stanza.is_empty() {
            out.extend(edit(stanza));
            stanza.clear();
        }
    };
    for line in text.split_inclusive('\n') {
        if line.trim().is_empty() {
            flush(&mut stanza, &mut out);
            out.push_str(line);
        } else {
            stanza.push(line);
        }
    }
    flush(&mut stanza, &mut out);
    out
}

/// Owned copies of borrowed lines.
fn owned(lines: &[&str]) -> Vec<String> {
    lines.iter().map(|line| line.to_string()).collect()
}

/// The index of the line holding field `name` (case-insensitive) in a
/// deb822 stanza.
fn find_field(stanza: &[&str], name: &str) -> Option<usize> {
    stanza.iter().position(|line| {
        !line.starts_with([' ', '\t', '#'])
            && line
                .split_once(':')
                .is_some_and(|(key, _)| key.trim().eq_ignore_ascii_case(name))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const UBUNTU_DEB822: &str = "Types: deb deb-src\nURIs: http://archive.ubuntu.com/ubuntu/\nSuites: noble noble-updates\nComponents: main universe\n\nTypes: deb\nURIs: http://security.ubuntu.com/ubuntu/\nSuites: noble-security\nComponents: main universe\n";

    #[test]
    fn picks_the_main_sources_file() {
        assert_eq!(main_sources_file(|_| false), SOURCES_LIST);
        assert_eq!(main_sources_file(|p| p == UBUNTU_SOURCES), UBUNTU_SOURCES);
        assert_eq!(main_sources_file(|_| true), DEBIAN_SOURCES);
        assert_eq!(SourceFormat::of_path(DEBIAN_SOURCES), SourceFormat::Deb822);
        assert_eq!(SourceFormat::of_path(SOURCES_LIST), SourceFormat::OneLine);
    }

    #[test]
    fn restricts_deb822_like_xx() {
        let fixed = restrict_to_arch(UBUNTU_DEB822, SourceFormat::Deb822, "arm64");
        assert_eq!(
            fixed,
            "Types: deb deb-src\nArchitectures: arm64\nURIs: http://archive.ubuntu.com/ubuntu/\nSuites: noble noble-updates\nComponents: main universe\n\nTypes: deb\nArchitectures: arm64\nURIs: http://security.ubuntu.com/ubuntu/\nSuites: noble-security\nComponents: main universe\n"
        );
        assert_eq!(
            restrict_to_arch(&fixed, SourceFormat::Deb822, "arm64"),
            fixed
        );
        assert_eq!(
            restrict_to_arch("Types: deb\nURIs: x", SourceFormat::Deb822, "amd64"),
            "Types: deb\nArchitectures: amd64\nURIs: x"
        );
    }

    #[test]
    fn restricts_one_line_lists_like_xx() {
        let text = "deb http://archive.ubuntu.com/ubuntu/ noble main universe\ndeb-src http://archive.ubuntu.com/ubuntu/ noble main universe\n# deb http://archive.ubuntu.com/ubuntu/ noble-backports main\ndeb [arch=riscv64] http://ports.ubuntu.com/ubuntu-ports/ noble main\n# a comment\n";
        let fixed = restrict_to_arch(text, SourceFormat::OneLine, "arm64");
        assert_eq!(
            fixed,
            "deb [arch=arm64] http://archive.ubuntu.com/ubuntu/ noble main universe\ndeb-src [arch=arm64] http://archive.ubuntu.com/ubuntu/ noble main universe\n# deb [arch=arm64] http://archive.ubuntu.com/ubuntu/ noble-backports main\ndeb [arch=riscv64] http://ports.ubuntu.com/ubuntu-ports/ noble main\n# a comment\n"
        );
        assert_eq!(
            restrict_to_arch(&fixed, SourceFormat::OneLine, "arm64"),
            fixed
        );
        // Existing options are kept in the same brackets.
        assert_eq!(
            restrict_to_arch(
                "deb [signed-by=/k.gpg] http://x/ s main\n",
                SourceFormat::OneLine,
                "amd64"
            ),
            "deb [arch=amd64 signed-by=/k.gpg] http://x/ s main\n"
        );
    }

    #[test]
    fn adds_the_arch_to_restricted_entries_only() {
        let deb822 = "Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm\nComponents: main\n\nTypes: deb\nArchitectures: amd64\nURIs: http://deb.debian.org/debian-security\nSuites: bookworm-security\nComponents: main\n";
        let added = add_arch(deb822, SourceFormat::Deb822, "arm64");
        assert_eq!(
            added,
            deb822.replace("Architectures: amd64\n", "Architectures: amd64 arm64\n")
        );
        assert_eq!(add_arch(&added, SourceFormat::Deb822, "arm64"), added);

        let list = "deb http://deb.debian.org/debian bookworm main\ndeb [arch=amd64 signed-by=/k] http://deb.debian.org/debian bookworm-updates main\n# deb [arch=amd64] http://old/debian buster main\n";
        let added = add_arch(list, SourceFormat::OneLine, "armhf");
        assert_eq!(
            added,
            "deb http://deb.debian.org/debian bookworm main\ndeb [arch=amd64,armhf signed-by=/k] http://deb.debian.org/debian bookworm-updates main\n# deb [arch=amd64] http://old/debian buster main\n"
        );
        assert_eq!(add_arch(&added, SourceFormat::OneLine, "armhf"), added);
    }

    /// Ubuntu's archive cannot be reached from the test machines, so the
    /// ports rewriting is checked here as text.
    #[test]
    fn ubuntu_foreign_arches_use_the_right_archive() {
        for arch in ["i386", "amd64"] {
            assert_eq!(
                ubuntu_archive(arch).main,
                "http://archive.ubuntu.com/ubuntu/"
            );
            assert_eq!(
                ubuntu_archive(arch).security,
                "http://security.ubuntu.com/ubuntu/"
            );
        }
        for arch in [
            "arm64", "armhf", "armel", "ppc64el", "s390x", "riscv64", "sparc64",
        ] {
            assert_eq!(
                ubuntu_archive(arch).main,
                "http://ports.ubuntu.com/ubuntu-ports/"
            );
            assert_eq!(ubuntu_archive(arch).security, ubuntu_archive(arch).main);
        }
        let (path, text) = ubuntu_target_list(SourceFormat::OneLine, "arm64", "jammy");
        assert_eq!(path, "/etc/apt/sources.list.d/xx-arm64.list");
        assert_eq!(text.lines().count(), 4);
        assert!(text.starts_with(
            "deb [arch=arm64] http://ports.ubuntu.com/ubuntu-ports/ jammy main restricted universe multiverse\n"
        ));
        assert!(text.contains(" jammy-security "));
        let (path, text) = ubuntu_target_list(SourceFormat::Deb822, "s390x", "noble");
        assert_eq!(path, "/etc/apt/sources.list.d/xx-s390x.sources");
        assert!(text.contains("Architectures: s390x\nURIs: http://ports.ubuntu.com/ubuntu-ports/\nSuites: noble noble-updates noble-backports\n"));
        assert!(text.contains("Suites: noble-security\n"));
        // The host's own (amd64) entries are pinned so they stop asking
        // archive.ubuntu.com for s390x.
        let pinned = restrict_to_arch(UBUNTU_DEB822, SourceFormat::Deb822, "amd64");
        assert_eq!(pinned.matches("Architectures: amd64\n").count(), 2);
    }

    #[test]
    fn release_files() {
        assert_eq!(debian_major("12.8\n"), Some(12));
        assert_eq!(debian_major("trixie/sid\n"), None);
        let os_release =
            "NAME=\"Ubuntu\"\nVERSION=\"24.04 LTS (Noble Numbat)\"\nUBUNTU_CODENAME=noble\n";
        assert_eq!(
            os_release_value(os_release, "UBUNTU_CODENAME").as_deref(),
            Some("noble")
        );
        assert_eq!(
            os_release_value(os_release, "VERSION").as_deref(),
            Some("24.04 LTS (Noble Numbat)")
        );
        assert_eq!(os_release_value(os_release, "ID"), None);
    }
}
