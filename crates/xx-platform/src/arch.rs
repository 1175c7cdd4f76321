//! The architecture table: the single source of truth for every
//! architecture/variant pair xx-rs knows.
//!
//! Every other name (triples, package architectures, Go settings, ELF machine
//! numbers, qemu binaries) is read from a row of [`ARCHES`]; nothing else in
//! the workspace spells out per-architecture facts.

use serde::Serialize;

/// Byte order of a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Endian {
    /// Least significant byte first.
    Little,
    /// Most significant byte first.
    Big,
}

impl Endian {
    /// `"little"` or `"big"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Endian::Little => "little",
            Endian::Big => "big",
        }
    }
}

/// Which environment variable may replace the architecture part of the GNU
/// triple (as tonistiigi/xx allows for arm and riscv64).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TripleArchOverride {
    /// No override.
    None,
    /// `ARM_TARGET_ARCH`, e.g. `armv7`.
    Arm,
    /// `RISCV64_TARGET_ARCH`, e.g. `riscv64gc`.
    RiscV64,
}

impl TripleArchOverride {
    /// The environment variable that carries the override, if any.
    pub fn env_var(self) -> Option<&'static str> {
        match self {
            TripleArchOverride::None => None,
            TripleArchOverride::Arm => Some("ARM_TARGET_ARCH"),
            TripleArchOverride::RiscV64 => Some("RISCV64_TARGET_ARCH"),
        }
    }

    /// Rust's architecture part for the rows this override applies to
    /// (`armv7`, `riscv64gc`): the value xx-cargo gives the variable unless
    /// the user set it. `None` for [`TripleArchOverride::None`].
    pub fn rust_default(self) -> Option<&'static str> {
        if self == TripleArchOverride::None {
            return None;
        }
        ARCHES
            .iter()
            .find(|row| row.arch_override == self)
            .map(|row| row.rust_arch)
    }
}

/// Which releases of a distribution publish packages for an architecture,
/// as xx-rs's package tools treat it. Releases are spelled as the
/// distribution numbers them (`13`, `20.04`, `3.20`) and compared to that
/// precision (Debian `12.8` is release `12`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Releases {
    /// Every release.
    All,
    /// No release.
    Never,
    /// This release and every later one.
    From(&'static str),
    /// Every release up to and including this one.
    Until(&'static str),
}

/// One architecture/variant pair and everything derived from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArchRow {
    /// OCI / Go architecture name (`amd64`, `arm`, `mips64le`).
    pub arch: &'static str,
    /// OCI variant (`v7`, `v3`, `softfloat`), empty for the base variant.
    pub variant: &'static str,
    /// Other spellings of the variant that mean this row (`7` for arm/v7,
    /// `v1` for the base amd64, `v8` for the base arm64).
    pub variant_aliases: &'static [&'static str],
    /// `uname -m` on such a machine.
    pub march: &'static str,
    /// `uname -m` as darwin spells it, when it differs.
    pub darwin_march: Option<&'static str>,
    /// Debian/Ubuntu (dpkg) architecture.
    pub debian: &'static str,
    /// Alpine (apk) architecture.
    pub alpine: &'static str,
    /// RPM architecture.
    pub rhel: &'static str,
    /// Architecture part of the GNU triple.
    pub gnu_arch: &'static str,
    /// Architecture part of the GNU triple when the vendor is `alpine`.
    pub alpine_gnu_arch: &'static str,
    /// ABI suffix after the libc (`eabihf`, `abi64`).
    pub abi: &'static str,
    /// ABI suffix when the vendor is `alpine`.
    pub alpine_abi: &'static str,
    /// Environment variable that may replace `gnu_arch`.
    pub arch_override: TripleArchOverride,
    /// Architecture part of the mingw triple, when Windows supports it.
    pub windows_arch: Option<&'static str>,
    /// Architecture part of the darwin triple, when macOS supports it.
    pub darwin_arch: Option<&'static str>,
    /// Oldest macOS the darwin triple targets unless `MACOSX_VERSION_MIN`
    /// says otherwise (`10.6`, `11.0`), when macOS supports the arch.
    pub darwin_min_version: Option<&'static str>,
    /// Architecture part of Rust's triple.
    pub rust_arch: &'static str,
    /// Architecture part of the LLVM target rustc compiles `rust_arch` for,
    /// when it differs (`riscv64` for `riscv64gc`): the spelling clang and
    /// Alpine's toolchain read.
    pub rust_llvm_arch: Option<&'static str>,
    /// Rust's architecture part when the vendor is `alpine` (Alpine's own rustc).
    pub alpine_rust_arch: &'static str,
    /// Environment part of Rust's Windows triple
    /// (`<rust_arch>-pc-windows-<env>`), when Rust has a Windows target for
    /// the arch: `gnu`, or `gnullvm` where only the LLVM mingw target exists.
    pub windows_rust_env: Option<&'static str>,
    /// Further spellings of the architecture part of triples that name this
    /// row and no column above gives (LLVM's `armv7a`).
    pub triple_arch_aliases: &'static [&'static str],
    /// Extra Go environment for this variant (`GOARM=7`, `GOAMD64=v3`).
    pub go_env: &'static [(&'static str, &'static str)],
    /// Suffix of the qemu-user binary (`qemu-<suffix>`).
    pub qemu: &'static str,
    /// Word size in bits.
    pub bits: u8,
    /// Byte order.
    pub endian: Endian,
    /// ELF `e_machine`.
    pub elf_machine: u16,
    /// Mach-O `cputype`, when darwin supports the arch.
    pub macho_cputype: Option<u32>,
    /// PE/COFF machine, when Windows supports the arch.
    pub pe_machine: Option<u16>,
    /// Whether LLVM's `lld` links Linux programs for this architecture
    /// (xx-cc falls back to the GNU cross `ld` where it does not).
    pub lld_links: bool,
    /// Whether `XX_CC_PREFER_STATIC_LINKER` makes xx-cc prefer GNU `ld`.
    pub static_prefers_bfd: bool,
    /// A GNU `ld` emulation (as `ld -V` lists it) that links this architecture.
    pub bfd_emulation: &'static str,
    /// Debian/Ubuntu multiarch tuple: the `/usr/lib/<tuple>` library directory.
    pub debian_multiarch: &'static str,
    /// Meson `cpu_family` of the architecture.
    pub meson_cpu_family: &'static str,
    /// Debian releases (`/etc/debian_version`) with packages for the arch;
    /// xx-apt skips the others.
    pub debian_releases: Releases,
    /// Ubuntu releases (os-release `VERSION`) with packages for the arch.
    pub ubuntu_releases: Releases,
    /// Alpine releases (os-release `VERSION_ID`) with packages for the
    /// arch; a target root on an older one uses the first release's
    /// repositories.
    pub alpine_releases: Releases,
    /// Whether distributions without a release column above (derivatives,
    /// unknown vendors) are taken to publish packages for the arch.
    pub other_distro_packages: bool,
    /// Variable that makes xx-apt install packages on releases older than
    /// the first with packages (xx's `XX_APT_FORCE_RISCV64`, which adds
    /// Debian Ports' unstable on Debian).
    pub apt_force_var: Option<&'static str>,
    /// Whether Ubuntu serves the arch from its primary archive
    /// (`archive.ubuntu.com`) rather than `ports.ubuntu.com`.
    pub ubuntu_primary_archive: bool,
}

const EM_386: u16 = 3;
const EM_MIPS: u16 = 8;
const EM_PPC64: u16 = 21;
const EM_S390: u16 = 22;
const EM_ARM: u16 = 40;
const EM_X86_64: u16 = 62;
const EM_AARCH64: u16 = 183;
const EM_RISCV: u16 = 243;
const EM_LOONGARCH: u16 = 258;

const CPU_TYPE_X86_64: u32 = 0x0100_0007;
const CPU_TYPE_ARM64: u32 = 0x0100_000c;

const PE_AMD64: u16 = 0x8664;
const PE_I386: u16 = 0x14c;
const PE_ARM64: u16 = 0xaa64;
const PE_ARMNT: u16 = 0x1c4;

/// The base row every entry starts from; each field is overridden below.
const BASE: ArchRow = ArchRow {
    arch: "",
    variant: "",
    variant_aliases: &[],
    march: "",
    darwin_march: None,
    debian: "",
    alpine: "",
    rhel: "",
    gnu_arch: "",
    alpine_gnu_arch: "",
    abi: "",
    alpine_abi: "",
    arch_override: TripleArchOverride::None,
    windows_arch: None,
    darwin_arch: None,
    darwin_min_version: None,
    rust_arch: "",
    rust_llvm_arch: None,
    alpine_rust_arch: "",
    windows_rust_env: None,
    triple_arch_aliases: &[],
    go_env: &[],
    qemu: "",
    bits: 64,
    endian: Endian::Little,
    elf_machine: 0,
    macho_cputype: None,
    pe_machine: None,
    lld_links: true,
    static_prefers_bfd: false,
    bfd_emulation: "",
    debian_multiarch: "",
    meson_cpu_family: "",
    debian_releases: Releases::All,
    ubuntu_releases: Releases::All,
    alpine_releases: Releases::All,
    other_distro_packages: true,
    apt_force_var: None,
    ubuntu_primary_archive: false,
};

const AMD64: ArchRow = ArchRow {
    arch: "amd64",
    variant_aliases: &["v1"],
    march: "x86_64",
    debian: "amd64",
    alpine: "x86_64",
    rhel: "x86_64",
    gnu_arch: "x86_64",
    alpine_gnu_arch: "x86_64",
    windows_arch: Some("x86_64"),
    darwin_arch: Some("x86_64"),
    darwin_min_version: Some("10.6"),
    rust_arch: "x86_64",
    alpine_rust_arch: "x86_64",
    windows_rust_env: Some("gnu"),
    qemu: "x86_64",
    elf_machine: EM_X86_64,
    macho_cputype: Some(CPU_TYPE_X86_64),
    pe_machine: Some(PE_AMD64),
    bfd_emulation: "elf_x86_64",
    debian_multiarch: "x86_64-linux-gnu",
    meson_cpu_family: "x86_64",
    ubuntu_primary_archive: true,
    ..BASE
};

const ARM64: ArchRow = ArchRow {
    arch: "arm64",
    variant_aliases: &["v8"],
    march: "aarch64",
    darwin_march: Some("arm64"),
    debian: "arm64",
    alpine: "aarch64",
    rhel: "aarch64",
    gnu_arch: "aarch64",
    alpine_gnu_arch: "aarch64",
    windows_arch: Some("aarch64"),
    darwin_arch: Some("arm64"),
    darwin_min_version: Some("11.0"),
    rust_arch: "aarch64",
    alpine_rust_arch: "aarch64",
    windows_rust_env: Some("gnullvm"),
    qemu: "aarch64",
    elf_machine: EM_AARCH64,
    macho_cputype: Some(CPU_TYPE_ARM64),
    pe_machine: Some(PE_ARM64),
    bfd_emulation: "aarch64linux",
    debian_multiarch: "aarch64-linux-gnu",
    meson_cpu_family: "aarch64",
    ..BASE
};

const ARM_V7: ArchRow = ArchRow {
    arch: "arm",
    variant: "v7",
    variant_aliases: &["7"],
    march: "armv7l",
    debian: "armhf",
    alpine: "armv7",
    rhel: "armv7hl",
    gnu_arch: "arm",
    alpine_gnu_arch: "armv7",
    abi: "eabihf",
    alpine_abi: "eabihf",
    arch_override: TripleArchOverride::Arm,
    windows_arch: Some("armv7"),
    rust_arch: "armv7",
    alpine_rust_arch: "armv7",
    triple_arch_aliases: &["armv7a"],
    go_env: &[("GOARM", "7")],
    qemu: "arm",
    bits: 32,
    elf_machine: EM_ARM,
    pe_machine: Some(PE_ARMNT),
    bfd_emulation: "armelf_linux_eabi",
    debian_multiarch: "arm-linux-gnueabihf",
    meson_cpu_family: "arm",
    ..BASE
};

const MIPS: ArchRow = ArchRow {
    arch: "mips",
    march: "mips",
    debian: "mips",
    alpine: "mips",
    rhel: "mips",
    gnu_arch: "mips",
    alpine_gnu_arch: "mips",
    rust_arch: "mips",
    alpine_rust_arch: "mips",
    qemu: "mips",
    bits: 32,
    endian: Endian::Big,
    elf_machine: EM_MIPS,
    // lld 14 rejects C++ with exceptions in MIPS PIEs ("cannot preempt
    // symbol: DW.ref.__gxx_personality_v0"); GNU ld links them.
    lld_links: false,
    bfd_emulation: "elf32btsmip",
    debian_multiarch: "mips-linux-gnu",
    meson_cpu_family: "mips",
    // Debian never released big-endian MIPS; Ubuntu and Alpine have no
    // MIPS at all (xx skips MIPS everywhere).
    debian_releases: Releases::Never,
    ubuntu_releases: Releases::Never,
    alpine_releases: Releases::Never,
    other_distro_packages: false,
    ..BASE
};

const MIPSLE: ArchRow = ArchRow {
    arch: "mipsle",
    march: "mipsle",
    debian: "mipsel",
    alpine: "mipsle",
    rhel: "mipsel",
    gnu_arch: "mipsel",
    alpine_gnu_arch: "mipsel",
    rust_arch: "mipsel",
    alpine_rust_arch: "mipsel",
    qemu: "mipsel",
    endian: Endian::Little,
    bfd_emulation: "elf32ltsmip",
    debian_multiarch: "mipsel-linux-gnu",
    // Debian 13 dropped the little-endian MIPS ports.
    debian_releases: Releases::Until("12"),
    ..MIPS
};

const MIPS64: ArchRow = ArchRow {
    arch: "mips64",
    march: "mips64",
    debian: "mips64",
    alpine: "mips64",
    rhel: "mips64",
    gnu_arch: "mips64",
    alpine_gnu_arch: "mips64",
    abi: "abi64",
    alpine_abi: "abi64",
    rust_arch: "mips64",
    alpine_rust_arch: "mips64",
    qemu: "mips64",
    bits: 64,
    bfd_emulation: "elf64btsmip",
    debian_multiarch: "mips64-linux-gnuabi64",
    meson_cpu_family: "mips64",
    ..MIPS
};

const MIPS64LE: ArchRow = ArchRow {
    arch: "mips64le",
    march: "mips64le",
    debian: "mips64el",
    alpine: "mips64le",
    rhel: "mips64el",
    gnu_arch: "mips64el",
    alpine_gnu_arch: "mips64el",
    rust_arch: "mips64el",
    alpine_rust_arch: "mips64el",
    qemu: "mips64el",
    endian: Endian::Little,
    bfd_emulation: "elf64ltsmip",
    debian_multiarch: "mips64el-linux-gnuabi64",
    // Debian 13 dropped the little-endian MIPS ports.
    debian_releases: Releases::Until("12"),
    ..MIPS64
};

/// Every architecture/variant pair xx-rs supports. The first row of an
/// architecture is its default variant.
pub static ARCHES: &[ArchRow] = &[
    AMD64,
    ArchRow {
        variant: "v2",
        variant_aliases: &[],
        go_env: &[("GOAMD64", "v2")],
        ..AMD64
    },
    ArchRow {
        variant: "v3",
        variant_aliases: &[],
        go_env: &[("GOAMD64", "v3")],
        ..AMD64
    },
    ArchRow {
        variant: "v4",
        variant_aliases: &[],
        go_env: &[("GOAMD64", "v4")],
        ..AMD64
    },
    ARM64,
    ARM_V7,
    ArchRow {
        variant: "v6",
        variant_aliases: &["6"],
        march: "armv6l",
        debian: "armel",
        alpine: "armhf",
        rhel: "armv6hl",
        alpine_gnu_arch: "armv6",
        abi: "eabi",
        alpine_abi: "eabihf",
        arch_override: TripleArchOverride::None,
        windows_arch: None,
        rust_arch: "arm",
        alpine_rust_arch: "armv6",
        triple_arch_aliases: &[],
        go_env: &[("GOARM", "6")],
        pe_machine: None,
        debian_multiarch: "arm-linux-gnueabi",
        ..ARM_V7
    },
    ArchRow {
        variant: "v5",
        variant_aliases: &["5"],
        march: "armv5l",
        debian: "armel",
        alpine: "armel",
        rhel: "armv5tel",
        alpine_gnu_arch: "armv5",
        abi: "eabi",
        alpine_abi: "eabi",
        arch_override: TripleArchOverride::None,
        windows_arch: None,
        rust_arch: "armv5te",
        alpine_rust_arch: "armv5te",
        triple_arch_aliases: &[],
        go_env: &[("GOARM", "5")],
        pe_machine: None,
        debian_multiarch: "arm-linux-gnueabi",
        ..ARM_V7
    },
    ArchRow {
        variant: "v8",
        variant_aliases: &["8"],
        ..ARM_V7
    },
    ArchRow {
        arch: "386",
        march: "i386",
        debian: "i386",
        alpine: "x86",
        rhel: "i386",
        gnu_arch: "i686",
        alpine_gnu_arch: "i586",
        windows_arch: Some("i686"),
        rust_arch: "i686",
        alpine_rust_arch: "i586",
        windows_rust_env: Some("gnu"),
        qemu: "i386",
        bits: 32,
        elf_machine: EM_386,
        pe_machine: Some(PE_I386),
        static_prefers_bfd: true,
        bfd_emulation: "elf_i386",
        debian_multiarch: "i386-linux-gnu",
        meson_cpu_family: "x86",
        ubuntu_primary_archive: true,
        ..BASE
    },
    ArchRow {
        arch: "riscv64",
        march: "riscv64",
        debian: "riscv64",
        alpine: "riscv64",
        rhel: "riscv64",
        gnu_arch: "riscv64",
        alpine_gnu_arch: "riscv64",
        arch_override: TripleArchOverride::RiscV64,
        rust_arch: "riscv64gc",
        rust_llvm_arch: Some("riscv64"),
        alpine_rust_arch: "riscv64",
        qemu: "riscv64",
        elf_machine: EM_RISCV,
        // lld 14 cannot link objects with linker relaxation (R_RISCV_ALIGN).
        lld_links: false,
        bfd_emulation: "elf64lriscv",
        debian_multiarch: "riscv64-linux-gnu",
        meson_cpu_family: "riscv64",
        debian_releases: Releases::From("13"),
        ubuntu_releases: Releases::From("20.04"),
        alpine_releases: Releases::From("3.20"),
        apt_force_var: Some("XX_APT_FORCE_RISCV64"),
        ..BASE
    },
    ArchRow {
        arch: "ppc64le",
        march: "ppc64le",
        debian: "ppc64el",
        alpine: "ppc64le",
        rhel: "ppc64le",
        gnu_arch: "powerpc64le",
        alpine_gnu_arch: "powerpc64le",
        rust_arch: "powerpc64le",
        alpine_rust_arch: "powerpc64le",
        qemu: "ppc64le",
        elf_machine: EM_PPC64,
        static_prefers_bfd: true,
        bfd_emulation: "elf64lppc",
        debian_multiarch: "powerpc64le-linux-gnu",
        meson_cpu_family: "ppc64",
        ..BASE
    },
    ArchRow {
        arch: "ppc64",
        march: "ppc64",
        debian: "ppc64",
        alpine: "ppc64",
        rhel: "ppc64",
        gnu_arch: "powerpc64",
        alpine_gnu_arch: "powerpc64",
        rust_arch: "powerpc64",
        alpine_rust_arch: "powerpc64",
        qemu: "ppc64",
        endian: Endian::Big,
        elf_machine: EM_PPC64,
        bfd_emulation: "elf64ppc",
        debian_multiarch: "powerpc64-linux-gnu",
        meson_cpu_family: "ppc64",
        ..BASE
    },
    ArchRow {
        arch: "s390x",
        march: "s390x",
        debian: "s390x",
        alpine: "s390x",
        rhel: "s390x",
        gnu_arch: "s390x",
        alpine_gnu_arch: "s390x",
        rust_arch: "s390x",
        alpine_rust_arch: "s390x",
        qemu: "s390x",
        endian: Endian::Big,
        elf_machine: EM_S390,
        // lld has no s390x support (`unknown emulation: elf64_s390`).
        lld_links: false,
        bfd_emulation: "elf64_s390",
        debian_multiarch: "s390x-linux-gnu",
        meson_cpu_family: "s390x",
        ..BASE
    },
    ArchRow {
        arch: "loong64",
        march: "loongarch64",
        debian: "loong64",
        alpine: "loongarch64",
        rhel: "loongarch64",
        gnu_arch: "loongarch64",
        alpine_gnu_arch: "loongarch64",
        rust_arch: "loongarch64",
        alpine_rust_arch: "loongarch64",
        qemu: "loongarch64",
        elf_machine: EM_LOONGARCH,
        bfd_emulation: "elf64loongarch",
        debian_multiarch: "loongarch64-linux-gnu",
        meson_cpu_family: "loongarch64",
        alpine_releases: Releases::From("3.21"),
        ..BASE
    },
    MIPS,
    ArchRow {
        variant: "hardfloat",
        go_env: &[("GOMIPS", "hardfloat")],
        ..MIPS
    },
    ArchRow {
        variant: "softfloat",
        go_env: &[("GOMIPS", "softfloat")],
        ..MIPS
    },
    MIPSLE,
    ArchRow {
        variant: "hardfloat",
        go_env: &[("GOMIPS", "hardfloat")],
        ..MIPSLE
    },
    ArchRow {
        variant: "softfloat",
        go_env: &[("GOMIPS", "softfloat")],
        ..MIPSLE
    },
    MIPS64,
    ArchRow {
        variant: "hardfloat",
        go_env: &[("GOMIPS64", "hardfloat")],
        ..MIPS64
    },
    ArchRow {
        variant: "softfloat",
        go_env: &[("GOMIPS64", "softfloat")],
        ..MIPS64
    },
    MIPS64LE,
    ArchRow {
        variant: "hardfloat",
        go_env: &[("GOMIPS64", "hardfloat")],
        ..MIPS64LE
    },
    ArchRow {
        variant: "softfloat",
        go_env: &[("GOMIPS64", "softfloat")],
        ..MIPS64LE
    },
];

/// Spellings users and `uname -m` give for an architecture, mapped to the
/// OCI `(arch, variant)` they mean. An empty variant keeps what the platform
/// string said (or the default).
pub static ARCH_ALIASES: &[(&str, &str, &str)] = &[
    ("x86_64", "amd64", ""),
    ("x86-64", "amd64", ""),
    ("x64", "amd64", ""),
    ("aarch64", "arm64", ""),
    ("armhf", "arm", "v7"),
    ("armv7", "arm", "v7"),
    ("armv7l", "arm", "v7"),
    ("armv7hl", "arm", "v7"),
    ("armel", "arm", "v6"),
    ("armv6", "arm", "v6"),
    ("armv6l", "arm", "v6"),
    ("armv5", "arm", "v5"),
    ("armv5l", "arm", "v5"),
    ("armv5tel", "arm", "v5"),
    ("armv8l", "arm", "v8"),
    ("i386", "386", ""),
    ("i486", "386", ""),
    ("i586", "386", ""),
    ("i686", "386", ""),
    ("x86", "386", ""),
    ("ppc64el", "ppc64le", ""),
    ("powerpc64le", "ppc64le", ""),
    ("powerpc64", "ppc64", ""),
    ("mipsel", "mipsle", ""),
    ("mips64el", "mips64le", ""),
    ("loongarch64", "loong64", ""),
    ("riscv64gc", "riscv64", ""),
];

/// The rows of one architecture, default variant first.
pub fn rows_of(arch: &str) -> impl Iterator<Item = &'static ArchRow> + '_ {
    ARCHES.iter().filter(move |row| row.arch == arch)
}

/// The row for `arch` + `variant`; an empty variant selects the default.
pub fn find(arch: &str, variant: &str) -> Option<&'static ArchRow> {
    let mut rows = rows_of(arch);
    if variant.is_empty() {
        rows.next()
    } else {
        rows.find(|row| row.variant == variant)
    }
}

/// Whether `arch` is an architecture name in the table (not an alias).
pub fn is_known_arch(arch: &str) -> bool {
    rows_of(arch).next().is_some()
}

/// The default variant of `arch` (`v7` for arm, empty for the rest).
pub fn default_variant(arch: &str) -> &'static str {
    rows_of(arch).next().map_or("", |row| row.variant)
}

impl ArchRow {
    /// The architecture parts of triples that name this row, each with the
    /// ABI suffix such triples end in: the GNU, Alpine, Rust, mingw and
    /// darwin spellings, then [`ArchRow::triple_arch_aliases`].
    pub fn triple_arches(&self) -> impl Iterator<Item = (&'static str, &'static str)> + '_ {
        [
            (Some(self.gnu_arch), self.abi),
            (Some(self.alpine_gnu_arch), self.alpine_abi),
            (Some(self.rust_arch), self.abi),
            (Some(self.alpine_rust_arch), self.alpine_abi),
            (self.windows_arch, ""),
            (self.darwin_arch, ""),
        ]
        .into_iter()
        .filter_map(|(arch, abi)| Some((arch?, abi)))
        .chain(
            self.triple_arch_aliases
                .iter()
                .map(|arch| (*arch, self.abi)),
        )
    }
}

/// Whether an ABI suffix (`eabihf`, `musleabihf`) is the hard-float one.
fn is_hard_float(abi: &str) -> bool {
    abi.ends_with("hf")
}

/// The row a triple's architecture (its first component) names.
///
/// The table's triple spellings ([`ArchRow::triple_arches`]) come first;
/// where several rows share one (`arm` is arm/v7, v6 and v5), the first
/// whose ABI is as hard- or soft-float as the triple's end wins
/// (`arm-linux-gnueabihf` is arm/v7, `arm-linux-gnueabi` arm/v6). Then OCI
/// architecture names (default variant) and [`ARCH_ALIASES`].
pub fn find_by_triple(triple: &str) -> Option<&'static ArchRow> {
    let first = triple.split('-').next().unwrap_or_default();
    let hard_float = is_hard_float(triple);
    let spelled = ARCHES.iter().flat_map(|row| {
        row.triple_arches()
            .filter(|(arch, _)| *arch == first)
            .map(move |(_, abi)| (row, abi))
    });
    let mut first_spelled = None;
    for (row, abi) in spelled {
        if is_hard_float(abi) == hard_float {
            return Some(row);
        }
        first_spelled.get_or_insert(row);
    }
    first_spelled.or_else(|| {
        let (arch, variant) = if is_known_arch(first) {
            (first, "")
        } else {
            resolve_alias(first)?
        };
        find(arch, variant)
    })
}

/// The architecture part of a triple as clang (and Alpine's toolchain)
/// spell it: Rust's own spellings that LLVM does not read become the LLVM
/// target's (`riscv64gc` -> `riscv64`); every other name is kept
/// (`armv7`, `aarch64`, names the table does not know).
pub fn clang_triple_arch(first: &str) -> &str {
    ARCHES
        .iter()
        .find(|row| row.rust_arch == first)
        .and_then(|row| row.rust_llvm_arch)
        .unwrap_or(first)
}

/// `triple` with its architecture part spelled as clang reads it
/// ([`clang_triple_arch`]): `riscv64gc-unknown-linux-gnu` ->
/// `riscv64-unknown-linux-gnu`.
pub fn clang_triple(triple: &str) -> String {
    match triple.split_once('-') {
        Some((first, rest)) => format!("{}-{rest}", clang_triple_arch(first)),
        None => triple.to_string(),
    }
}

/// Resolve an alias (`aarch64`, `armhf`, `i686`) to `(arch, implied variant)`.
pub fn resolve_alias(name: &str) -> Option<(&'static str, &'static str)> {
    ARCH_ALIASES
        .iter()
        .find(|(alias, _, _)| *alias == name)
        .map(|(_, arch, variant)| (*arch, *variant))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_arch_has_exactly_one_row_per_variant() {
        for row in ARCHES {
            let same = ARCHES
                .iter()
                .filter(|r| r.arch == row.arch && r.variant == row.variant)
                .count();
            assert_eq!(same, 1, "{}/{} listed twice", row.arch, row.variant);
        }
    }

    #[test]
    fn every_row_is_filled_in() {
        for row in ARCHES {
            let id = format!("{}/{}", row.arch, row.variant);
            for (name, value) in [
                ("march", row.march),
                ("debian", row.debian),
                ("alpine", row.alpine),
                ("rhel", row.rhel),
                ("gnu_arch", row.gnu_arch),
                ("alpine_gnu_arch", row.alpine_gnu_arch),
                ("rust_arch", row.rust_arch),
                ("alpine_rust_arch", row.alpine_rust_arch),
                ("qemu", row.qemu),
                ("bfd_emulation", row.bfd_emulation),
                ("debian_multiarch", row.debian_multiarch),
                ("meson_cpu_family", row.meson_cpu_family),
            ] {
                assert!(!value.is_empty(), "{id}: {name} is empty");
            }
            assert_ne!(row.elf_machine, 0, "{id}: no ELF machine");
            assert!(row.bits == 32 || row.bits == 64, "{id}: bits");
        }
    }

    #[test]
    fn os_specific_columns_come_together() {
        for row in ARCHES {
            let id = format!("{}/{}", row.arch, row.variant);
            assert_eq!(
                row.darwin_arch.is_some(),
                row.darwin_min_version.is_some(),
                "{id}: darwin_arch without darwin_min_version or the reverse"
            );
            assert!(
                row.windows_rust_env.is_none() || row.windows_arch.is_some(),
                "{id}: a Rust Windows target without a mingw one"
            );
        }
    }

    #[test]
    fn variant_aliases_do_not_shadow_variants() {
        for row in ARCHES {
            for alias in row.variant_aliases {
                assert!(
                    find(row.arch, alias).is_none(),
                    "{}/{alias} is both a variant and an alias",
                    row.arch
                );
                let named = ARCHES
                    .iter()
                    .filter(|r| r.arch == row.arch && r.variant_aliases.contains(alias))
                    .count();
                assert_eq!(named, 1, "{}/{alias} names several rows", row.arch);
            }
        }
    }

    #[test]
    fn aliases_point_at_real_rows() {
        for (alias, arch, variant) in ARCH_ALIASES {
            assert!(find(arch, variant).is_some(), "{alias} -> {arch}/{variant}");
            assert!(!is_known_arch(alias), "{alias} shadows a real arch");
        }
    }

    #[test]
    fn clang_spells_rust_triples_the_llvm_way() {
        assert_eq!(
            clang_triple("riscv64gc-unknown-linux-gnu"),
            "riscv64-unknown-linux-gnu"
        );
        assert_eq!(clang_triple_arch("riscv64gc"), "riscv64");
        for kept in [
            "armv7-unknown-linux-gnueabihf",
            "armv5te-unknown-linux-gnueabi",
            "arm-unknown-linux-gnueabi",
            "i686-unknown-linux-gnu",
            "riscv64-alpine-linux-musl",
            "sparc-sun-solaris",
            "riscv64gc",
        ] {
            assert_eq!(clang_triple(kept), kept);
        }
        // Only spellings LLVM cannot read differ; each is a real Rust name.
        for row in ARCHES {
            if let Some(llvm) = row.rust_llvm_arch {
                assert_ne!(llvm, row.rust_arch, "{}/{}", row.arch, row.variant);
            }
        }
    }

    #[test]
    fn overrides_default_to_rust_names() {
        assert_eq!(TripleArchOverride::Arm.rust_default(), Some("armv7"));
        assert_eq!(
            TripleArchOverride::RiscV64.rust_default(),
            Some("riscv64gc")
        );
        assert_eq!(TripleArchOverride::None.rust_default(), None);
        for row in ARCHES
            .iter()
            .filter(|row| row.arch_override.env_var().is_some())
        {
            assert_eq!(
                row.arch_override.rust_default(),
                Some(row.rust_arch),
                "{}/{}: rows sharing an override disagree on its Rust name",
                row.arch,
                row.variant
            );
        }
    }

    #[test]
    fn triples_name_their_rows() {
        let named = |triple: &str| find_by_triple(triple).map(|row| (row.arch, row.variant));
        assert_eq!(named("arm-linux-gnueabihf"), Some(("arm", "v7")));
        assert_eq!(named("arm-linux-gnueabi"), Some(("arm", "v6")));
        assert_eq!(named("arm-unknown-linux-musl"), Some(("arm", "v6")));
        assert_eq!(named("armv7-unknown-linux-gnueabihf"), Some(("arm", "v7")));
        assert_eq!(named("armv7a-linux-gnueabihf"), Some(("arm", "v7")));
        assert_eq!(named("armv7l-linux-gnueabihf"), Some(("arm", "v7")));
        assert_eq!(named("armv5te-unknown-linux-gnueabi"), Some(("arm", "v5")));
        assert_eq!(named("armv6-alpine-linux-musleabihf"), Some(("arm", "v6")));
        assert_eq!(named("x86_64-linux-gnu"), Some(("amd64", "")));
        assert_eq!(named("i586-alpine-linux-musl"), Some(("386", "")));
        assert_eq!(named("riscv64gc-unknown-linux-gnu"), Some(("riscv64", "")));
        assert_eq!(named("arm64-apple-macos11.0"), Some(("arm64", "")));
        assert_eq!(named("mips64el-linux-gnuabi64"), Some(("mips64le", "")));
        assert_eq!(named("loong64-linux-gnu"), Some(("loong64", "")));
        assert_eq!(named("sparc-sun-solaris"), None);
        // Every spelling the table gives leads back to its architecture.
        for row in ARCHES {
            for (arch, abi) in row.triple_arches() {
                let triple = format!("{arch}-unknown-linux-gnu{abi}");
                assert_eq!(
                    find_by_triple(&triple).map(|found| found.arch),
                    Some(row.arch),
                    "{triple}"
                );
            }
        }
    }

    #[test]
    fn defaults() {
        assert_eq!(default_variant("arm"), "v7");
        assert_eq!(default_variant("amd64"), "");
        assert_eq!(find("arm", "").map(|r| r.variant), Some("v7"));
        assert_eq!(find("amd64", "v3").map(|r| r.march), Some("x86_64"));
        assert!(find("amd64", "v9").is_none());
    }
}
