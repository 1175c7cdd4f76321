//! Pure comparison of an inspected binary with what the target needs.

use std::fmt;

use xx_inspect::{BinaryInfo, BinaryOs, Endian, Format, GlibcVersion};
use xx_platform::arch::Endian as TargetEndian;
use xx_platform::os::BinaryFormat;
use xx_platform::Mapped;

/// What a binary for the target must look like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expectation {
    /// Target OS name (`linux`, `freebsd`, `darwin`, `windows`, ...).
    pub os: String,
    /// Target architecture name (`arm64`), for messages.
    pub arch: String,
    /// Executable format.
    pub format: BinaryFormat,
    /// Machine number in that format (ELF `e_machine`, Mach-O `cputype`, PE machine).
    pub machine: u32,
    /// Word size.
    pub bits: u8,
    /// Byte order.
    pub endian: Endian,
    /// Require a statically linked binary (ELF targets only, as xx).
    pub require_static: bool,
    /// Highest glibc symbol version allowed.
    pub max_glibc: Option<GlibcVersion>,
    /// Highest libstdc++ symbol version (`GLIBCXX_`) allowed.
    pub max_glibcxx: Option<GlibcVersion>,
}

impl Expectation {
    /// The expectation for a mapped target.
    pub fn for_target(
        mapped: &Mapped,
        os: &str,
        arch: &str,
        require_static: bool,
        max_glibc: Option<GlibcVersion>,
        max_glibcxx: Option<GlibcVersion>,
    ) -> Option<Expectation> {
        let row = mapped.arch;
        let machine = match mapped.os.format {
            BinaryFormat::Elf => Some(u32::from(row.elf_machine)),
            BinaryFormat::MachO => row.macho_cputype,
            BinaryFormat::Pe => row.pe_machine.map(u32::from),
        }?;
        Some(Expectation {
            os: os.to_string(),
            arch: arch.to_string(),
            format: mapped.os.format,
            machine,
            bits: row.bits,
            endian: match row.endian {
                TargetEndian::Little => Endian::Little,
                TargetEndian::Big => Endian::Big,
            },
            require_static,
            max_glibc,
            max_glibcxx,
        })
    }
}

/// Why a binary does not fit the target. `Display` gives xx's wording
/// (after `file <name> `).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mismatch {
    /// Wrong format or OS.
    Os {
        /// Expected OS.
        expected: String,
    },
    /// Wrong machine.
    Architecture {
        /// Expected architecture.
        expected: String,
    },
    /// Right machine, wrong word size or byte order.
    Endianness {
        /// Expected architecture.
        arch: String,
        /// Expected `64-bit LSB` style class and order.
        expected: String,
    },
    /// Has an interpreter or needed libraries.
    NotStatic,
    /// Needs a newer libstdc++ than allowed.
    Glibcxx {
        /// What the binary needs.
        required: GlibcVersion,
        /// The limit.
        allowed: GlibcVersion,
    },
    /// Needs a newer glibc than allowed.
    Glibc {
        /// What the binary needs.
        required: GlibcVersion,
        /// The limit.
        allowed: GlibcVersion,
    },
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mismatch::Os { expected } => write!(f, "does not match expected target OS {expected}"),
            Mismatch::Architecture { expected } => {
                write!(f, "does not match expected target architecture {expected}")
            }
            Mismatch::Endianness { arch, expected } => {
                write!(
                    f,
                    "does not match expected endianness for {arch} ({expected})"
                )
            }
            Mismatch::NotStatic => write!(f, "is not statically linked"),
            Mismatch::Glibc { required, allowed } => write!(
                f,
                "requires GLIBC_{required}, newer than the allowed {allowed}"
            ),
            Mismatch::Glibcxx { required, allowed } => write!(
                f,
                "requires GLIBCXX_{required}, newer than the allowed {allowed}"
            ),
        }
    }
}

fn class_name(bits: u8, endian: Endian) -> String {
    let order = match endian {
        Endian::Little => "LSB",
        Endian::Big => "MSB",
    };
    format!("{bits}-bit {order}")
}

fn os_matches(expected: &Expectation, actual: Option<BinaryOs>) -> bool {
    match (expected.os.as_str(), actual) {
        // A static ELF without notes says nothing about its OS; xx (`file`)
        // accepts those for Linux but wants the BSD marker for BSDs.
        ("linux", None | Some(BinaryOs::Linux)) => true,
        ("freebsd", Some(BinaryOs::FreeBSD)) => true,
        ("netbsd", Some(BinaryOs::NetBSD)) => true,
        ("openbsd", Some(BinaryOs::OpenBSD)) => true,
        ("darwin", Some(BinaryOs::Darwin)) => true,
        ("windows", Some(BinaryOs::Windows)) => true,
        _ => false,
    }
}

fn format_matches(expected: BinaryFormat, actual: Format) -> bool {
    matches!(
        (expected, actual),
        (BinaryFormat::Elf, Format::Elf)
            | (BinaryFormat::MachO, Format::MachO | Format::MachOFat)
            | (BinaryFormat::Pe, Format::Pe)
    )
}

/// The first reason `info` does not fit `expected`, in xx's order: OS,
/// architecture, endianness, static linking; then the glibc limit.
pub fn check(info: &BinaryInfo, expected: &Expectation) -> Option<Mismatch> {
    if !format_matches(expected.format, info.format) || !os_matches(expected, info.os) {
        return Some(Mismatch::Os {
            expected: expected.os.clone(),
        });
    }
    // A universal binary passes when any slice is for the target.
    let same_machine: Vec<_> = info
        .arches
        .iter()
        .filter(|arch| arch.raw_machine == expected.machine)
        .collect();
    if same_machine.is_empty() {
        return Some(Mismatch::Architecture {
            expected: expected.arch.clone(),
        });
    }
    // PE and Mach-O machine numbers already fix the class and byte order.
    if expected.format == BinaryFormat::Elf
        && !same_machine
            .iter()
            .any(|arch| arch.bits == expected.bits && arch.endian == expected.endian)
    {
        return Some(Mismatch::Endianness {
            arch: expected.arch.clone(),
            expected: class_name(expected.bits, expected.endian),
        });
    }
    if expected.require_static
        && expected.format == BinaryFormat::Elf
        && !(info.is_static || info.is_static_pie)
    {
        return Some(Mismatch::NotStatic);
    }
    if let (Some(allowed), Some(required)) = (expected.max_glibc, info.max_glibc) {
        if required > allowed {
            return Some(Mismatch::Glibc { required, allowed });
        }
    }
    if let (Some(allowed), Some(required)) = (expected.max_glibcxx, info.max_glibcxx) {
        if required > allowed {
            return Some(Mismatch::Glibcxx { required, allowed });
        }
    }
    None
}

/// A one-line description of the binary, in the spirit of `file`:
/// `ELF 64-bit LSB executable, aarch64, linux, dynamically linked, interpreter ...`.
pub fn describe(info: &BinaryInfo) -> String {
    let mut parts = Vec::new();
    let format = match info.format {
        Format::Elf => "ELF",
        Format::MachO => "Mach-O",
        Format::MachOFat => "Mach-O universal",
        Format::Pe => "PE",
    };
    let arches: Vec<String> = info
        .arches
        .iter()
        .map(|arch| format!("{} {}", class_name(arch.bits, arch.endian), arch.machine))
        .collect();
    let kind = if info.is_pie {
        "pie executable".to_string()
    } else {
        info.kind.to_string()
    };
    parts.push(format!("{format} {} {kind}", arches.join(" + ")));
    parts.push(info.os.map_or("no OS marker", |os| os.as_str()).to_string());
    if info.format == Format::Elf {
        parts.push(
            if info.is_static_pie {
                "static-pie linked"
            } else if info.is_static {
                "statically linked"
            } else {
                "dynamically linked"
            }
            .to_string(),
        );
    }
    if let Some(interpreter) = &info.interpreter {
        parts.push(format!("interpreter {interpreter}"));
    }
    if let Some(glibc) = info.max_glibc {
        parts.push(format!("needs GLIBC_{glibc}"));
    }
    if let Some(glibcxx) = info.max_glibcxx {
        parts.push(format!("needs GLIBCXX_{glibcxx}"));
    }
    parts.join(", ")
}
