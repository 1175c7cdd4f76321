//! The operating-system table: which binary format and triple shape each
//! target OS uses, and which architectures it supports.

use serde::Serialize;

/// Executable format a target OS loads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BinaryFormat {
    /// ELF (Linux and the BSDs).
    Elf,
    /// Mach-O (darwin).
    MachO,
    /// PE/COFF (Windows).
    Pe,
}

impl BinaryFormat {
    /// Human name as used in messages (`ELF`, `Mach-O`, `PE`).
    pub fn display_name(self) -> &'static str {
        match self {
            BinaryFormat::Elf => "ELF",
            BinaryFormat::MachO => "Mach-O",
            BinaryFormat::Pe => "PE",
        }
    }
}

/// How the GNU/LLVM triple is spelled for an OS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TripleStyle {
    /// `<arch>[-<vendor>]-linux-<libc><abi>`.
    Linux,
    /// `<arch>-apple-macos<min>`.
    Darwin,
    /// `<arch>-w64-mingw32`.
    Mingw,
    /// `<arch>-unknown-<os>`.
    Bsd,
}

/// One target operating system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OsRow {
    /// OCI / Go OS name.
    pub name: &'static str,
    /// Executable format.
    pub format: BinaryFormat,
    /// Triple shape.
    pub triple_style: TripleStyle,
    /// ELF `EI_OSABI` values a binary for this OS may carry (ELF only).
    pub elf_os_abis: &'static [u8],
    /// Architectures (OCI names) this OS supports; all variants of each.
    pub arches: &'static [&'static str],
    /// The vendor every triple for the OS names (`apple`), whatever the
    /// build root; `None`: the build root's distribution.
    pub triple_vendor: Option<&'static str>,
    /// The C library part of the OS's triples (`mingw32`), whatever the
    /// build root; `None`: the distribution's default.
    pub triple_libc: Option<&'static str>,
    /// CMake's `CMAKE_SYSTEM_NAME` for the OS.
    pub cmake_system_name: &'static str,
}

const LINUX_ARCHES: &[&str] = &[
    "amd64", "arm64", "arm", "386", "riscv64", "ppc64le", "ppc64", "s390x", "loong64", "mips",
    "mipsle", "mips64", "mips64le",
];

/// Every OS xx-rs supports.
pub static OSES: &[OsRow] = &[
    OsRow {
        name: "linux",
        format: BinaryFormat::Elf,
        triple_style: TripleStyle::Linux,
        // SYSV (0) and GNU/Linux (3).
        elf_os_abis: &[0, 3],
        arches: LINUX_ARCHES,
        triple_vendor: None,
        triple_libc: None,
        cmake_system_name: "Linux",
    },
    OsRow {
        name: "windows",
        format: BinaryFormat::Pe,
        triple_style: TripleStyle::Mingw,
        elf_os_abis: &[],
        arches: &["amd64", "386", "arm64", "arm"],
        triple_vendor: None,
        triple_libc: Some("mingw32"),
        cmake_system_name: "Windows",
    },
    OsRow {
        name: "darwin",
        format: BinaryFormat::MachO,
        triple_style: TripleStyle::Darwin,
        elf_os_abis: &[],
        arches: &["amd64", "arm64"],
        triple_vendor: Some("apple"),
        triple_libc: None,
        cmake_system_name: "Darwin",
    },
    OsRow {
        name: "freebsd",
        format: BinaryFormat::Elf,
        triple_style: TripleStyle::Bsd,
        elf_os_abis: &[0, 9],
        arches: &["amd64", "arm64", "386", "riscv64", "ppc64le", "ppc64"],
        triple_vendor: None,
        triple_libc: None,
        cmake_system_name: "FreeBSD",
    },
    OsRow {
        name: "netbsd",
        format: BinaryFormat::Elf,
        triple_style: TripleStyle::Bsd,
        elf_os_abis: &[0, 2],
        arches: &["amd64", "arm64", "386"],
        triple_vendor: None,
        triple_libc: None,
        cmake_system_name: "NetBSD",
    },
    OsRow {
        name: "openbsd",
        format: BinaryFormat::Elf,
        triple_style: TripleStyle::Bsd,
        elf_os_abis: &[0, 12],
        arches: &["amd64", "arm64", "386", "riscv64"],
        triple_vendor: None,
        triple_libc: None,
        cmake_system_name: "OpenBSD",
    },
];

/// Spellings of an OS users type, mapped to the OCI name.
pub static OS_ALIASES: &[(&str, &str)] = &[("macos", "darwin"), ("macosx", "darwin")];

/// The row for an OS name.
pub fn find(name: &str) -> Option<&'static OsRow> {
    OSES.iter().find(|row| row.name == name)
}

/// Resolve an OS alias to its OCI name.
pub fn resolve_alias(name: &str) -> Option<&'static str> {
    OS_ALIASES
        .iter()
        .find(|(alias, _)| *alias == name)
        .map(|(_, os)| *os)
}

impl OsRow {
    /// Whether this OS supports `arch`.
    pub fn supports(&self, arch: &str) -> bool {
        self.arches.contains(&arch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arch;

    #[test]
    fn every_os_arch_is_in_the_arch_table() {
        for os in OSES {
            for a in os.arches {
                assert!(arch::is_known_arch(a), "{}: {a}", os.name);
            }
        }
    }

    #[test]
    fn windows_and_darwin_arches_have_their_machine_numbers() {
        for os in OSES {
            for a in os.arches {
                for row in arch::rows_of(a) {
                    match os.format {
                        BinaryFormat::Pe if row.windows_arch.is_some() => {
                            assert!(row.pe_machine.is_some(), "{a}/{}", row.variant)
                        }
                        BinaryFormat::MachO => {
                            assert!(row.macho_cputype.is_some(), "{a}/{}", row.variant)
                        }
                        _ => {}
                    }
                }
            }
        }
    }
}
