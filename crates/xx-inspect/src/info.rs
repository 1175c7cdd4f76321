//! The description of a binary that inspection produces.

use std::fmt;

use serde::Serialize;

use crate::GlibcVersion;

/// Everything the inspector learned about one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BinaryInfo {
    /// The container format.
    pub format: Format,
    /// The architecture(s) the code is for: one entry, or one per slice of a
    /// Mach-O universal binary, in file order.
    pub arches: Vec<ArchInfo>,
    /// The operating system the binary targets, when the file says. `None`
    /// for an ELF file with neither an OS ABI byte, an OS note, nor a telling
    /// interpreter path; such files are usually static Linux binaries.
    pub os: Option<BinaryOs>,
    /// The raw `e_ident[EI_OSABI]` byte of an ELF file; `None` for other formats.
    pub elf_os_abi: Option<u8>,
    /// What kind of file this is (executable, library, object, ...).
    pub kind: FileKind,
    /// The program interpreter: ELF `PT_INTERP` or Mach-O `LC_LOAD_DYLINKER`.
    pub interpreter: Option<String>,
    /// Shared libraries the file needs at run time: ELF `DT_NEEDED` entries,
    /// Mach-O dylibs (all slices, without duplicates), or PE imported DLLs.
    pub needed: Vec<String>,
    /// `true` when nothing is loaded at run time: no interpreter and no needed
    /// libraries. Also `true` for static-PIE executables and relocatable objects.
    pub is_static: bool,
    /// `true` for an ELF static position-independent executable: `ET_DYN`
    /// with a dynamic section but no interpreter and no needed libraries.
    pub is_static_pie: bool,
    /// `true` for a position-independent executable: ELF `ET_DYN` executables
    /// (including static PIE), Mach-O files with `MH_PIE`, PE images with
    /// `DYNAMIC_BASE` (ASLR) set.
    pub is_pie: bool,
    /// The highest `GLIBC_x.y[.z]` version the ELF file requires (from its
    /// `.gnu.version_r` entries); `None` when it requires none.
    pub max_glibc: Option<GlibcVersion>,
    /// The highest `GLIBCXX_x.y.z` version (libstdc++) the ELF file
    /// requires; `None` when it requires none.
    pub max_glibcxx: Option<GlibcVersion>,
}

/// Container format of a binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Format {
    /// Executable and Linkable Format (Linux, BSDs).
    #[serde(rename = "elf")]
    Elf,
    /// A single-architecture Mach-O file (macOS, iOS).
    #[serde(rename = "macho")]
    MachO,
    /// A Mach-O universal ("fat") file holding one Mach-O per architecture.
    #[serde(rename = "macho-fat")]
    MachOFat,
    /// Portable Executable (Windows).
    #[serde(rename = "pe")]
    Pe,
}

impl Format {
    /// The lower-case name also used when serializing: `elf`, `macho`,
    /// `macho-fat` or `pe`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Format::Elf => "elf",
            Format::MachO => "macho",
            Format::MachOFat => "macho-fat",
            Format::Pe => "pe",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Operating system a binary targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BinaryOs {
    /// Linux (including Android).
    Linux,
    /// FreeBSD.
    FreeBSD,
    /// NetBSD.
    NetBSD,
    /// OpenBSD.
    OpenBSD,
    /// macOS and the other Apple platforms (any Mach-O file).
    Darwin,
    /// Windows (any PE file).
    Windows,
}

impl BinaryOs {
    /// The lower-case name also used when serializing, e.g. `linux`, `freebsd`.
    pub const fn as_str(self) -> &'static str {
        match self {
            BinaryOs::Linux => "linux",
            BinaryOs::FreeBSD => "freebsd",
            BinaryOs::NetBSD => "netbsd",
            BinaryOs::OpenBSD => "openbsd",
            BinaryOs::Darwin => "darwin",
            BinaryOs::Windows => "windows",
        }
    }
}

impl fmt::Display for BinaryOs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What kind of file a binary is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileKind {
    /// A fixed-address executable (ELF `ET_EXEC`, Mach-O `MH_EXECUTE`, PE
    /// executable image that is not a DLL).
    Executable,
    /// A position-independent image: ELF `ET_DYN` (shared libraries and PIE
    /// executables alike), Mach-O dylib or bundle, PE DLL.
    SharedObject,
    /// A relocatable object file (ELF `ET_REL`, Mach-O `MH_OBJECT`).
    Relocatable,
    /// A core dump.
    Core,
    /// Anything else the header allows.
    Other,
}

impl FileKind {
    /// The kebab-case name also used when serializing, e.g. `shared-object`.
    pub const fn as_str(self) -> &'static str {
        match self {
            FileKind::Executable => "executable",
            FileKind::SharedObject => "shared-object",
            FileKind::Relocatable => "relocatable",
            FileKind::Core => "core",
            FileKind::Other => "other",
        }
    }
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The architecture of one piece of code in a binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct ArchInfo {
    /// The CPU family.
    pub machine: Machine,
    /// Address size of the file format, 32 or 64. (An x32 or MIPS n32 ELF
    /// file is 32 even though its machine is 64-bit.)
    pub bits: u8,
    /// Byte order of the code and headers.
    pub endian: Endian,
    /// The machine number exactly as stored: ELF `e_machine`, Mach-O
    /// `cputype`, or PE COFF `Machine`.
    pub raw_machine: u32,
}

/// Byte order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Endian {
    /// Least significant byte first.
    Little,
    /// Most significant byte first.
    Big,
}

impl Endian {
    /// `little` or `big`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Endian::Little => "little",
            Endian::Big => "big",
        }
    }
}

impl fmt::Display for Endian {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// CPU family of a binary. Combine with [`ArchInfo::endian`] and
/// [`ArchInfo::bits`] for the full picture (e.g. `ppc64` little endian is
/// `ppc64le`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Machine {
    /// AMD64 / Intel 64 (also x32 ELF files, with `bits == 32`).
    #[serde(rename = "x86-64")]
    X86_64,
    /// 32-bit x86.
    #[serde(rename = "i386")]
    X86,
    /// 64-bit Arm (also Apple `arm64_32`, with `bits == 32`).
    #[serde(rename = "aarch64")]
    Aarch64,
    /// 32-bit Arm.
    #[serde(rename = "arm")]
    Arm,
    /// 64-bit RISC-V.
    #[serde(rename = "riscv64")]
    RiscV64,
    /// 32-bit RISC-V.
    #[serde(rename = "riscv32")]
    RiscV32,
    /// 64-bit PowerPC (big or little endian).
    #[serde(rename = "ppc64")]
    PowerPc64,
    /// 32-bit PowerPC.
    #[serde(rename = "ppc")]
    PowerPc,
    /// 64-bit IBM Z.
    #[serde(rename = "s390x")]
    S390x,
    /// 64-bit LoongArch.
    #[serde(rename = "loongarch64")]
    LoongArch64,
    /// 32-bit MIPS (including the n32 ABI).
    #[serde(rename = "mips")]
    Mips,
    /// 64-bit MIPS.
    #[serde(rename = "mips64")]
    Mips64,
    /// 64-bit SPARC.
    #[serde(rename = "sparc64")]
    Sparc64,
    /// WebAssembly. Reserved: no container format parsed today yields it.
    #[serde(rename = "wasm")]
    Wasm,
    /// Any other machine; see [`ArchInfo::raw_machine`].
    #[serde(rename = "other")]
    Other,
}

impl Machine {
    /// The readable name also used for [`Display`](fmt::Display) and
    /// serialization, e.g. `x86-64`, `i386`, `aarch64`, `ppc64`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Machine::X86_64 => "x86-64",
            Machine::X86 => "i386",
            Machine::Aarch64 => "aarch64",
            Machine::Arm => "arm",
            Machine::RiscV64 => "riscv64",
            Machine::RiscV32 => "riscv32",
            Machine::PowerPc64 => "ppc64",
            Machine::PowerPc => "ppc",
            Machine::S390x => "s390x",
            Machine::LoongArch64 => "loongarch64",
            Machine::Mips => "mips",
            Machine::Mips64 => "mips64",
            Machine::Sparc64 => "sparc64",
            Machine::Wasm => "wasm",
            Machine::Other => "other",
        }
    }
}

impl fmt::Display for Machine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
