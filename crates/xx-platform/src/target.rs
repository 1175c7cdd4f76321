//! Deriving every name of a target from the platform, the tables and the
//! host facts.

use std::collections::BTreeMap;
use std::str::FromStr;

use serde::Serialize;

use crate::arch::{self, ArchRow, Endian};
use crate::distro;
use crate::error::PlatformError;
use crate::host::HostInfo;
use crate::os::{self, BinaryFormat, OsRow, TripleStyle};
use crate::platform::{is_clean_component, Platform};
use crate::vars::Vars;

pub use crate::host::DEFAULT_MACOS_SDK;

/// Which Rust toolchain builds for the target; it decides the Rust triple's
/// vendor on Alpine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RustToolchain {
    /// rustup-managed: upstream target names (`x86_64-unknown-linux-musl`).
    Rustup,
    /// The distribution's own rustc (Alpine's uses `x86_64-alpine-linux-musl`).
    Distro,
}

/// A resolved target: the platform plus what the build root says about
/// vendor, libc and OS version. Mapping-dependent names live in [`Mapped`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The requested platform.
    pub platform: Platform,
    /// `os-release` `VERSION_ID` (or `XX_OS_VERSION` without os-release).
    pub os_version: String,
    /// `XX_VENDOR`: the override, else the distro (`apple` for darwin).
    pub vendor: String,
    /// `XX_LIBC`: the override, else `musl` on Alpine, `mingw32` for
    /// Windows, `gnu` otherwise.
    pub libc: String,
    /// `os-release` `ID` of the build root, empty when unknown.
    pub distro: String,
    mapped: Result<Mapped, PlatformError>,
}

/// The names of a supported target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapped {
    /// The architecture table row.
    pub arch: &'static ArchRow,
    /// The OS table row.
    pub os: &'static OsRow,
    /// GNU/LLVM triple (`aarch64-linux-gnu`, `x86_64-alpine-linux-musl`).
    pub triple: String,
    /// `uname -m` of the target.
    pub march: &'static str,
    /// Architecture in the naming of the build root's package manager.
    pub pkg_arch: String,
    /// Sysroot directory for the target, with a trailing slash.
    pub sysroot: String,
    /// Whether the target differs from the build machine.
    pub is_cross: bool,
}

impl Target {
    /// Resolve the target from environment variables and host facts.
    ///
    /// Fails only for malformed or unsafe input; an unknown but well-formed
    /// platform resolves, and [`Target::mapped`] reports it as unsupported.
    pub fn resolve(vars: &dyn Vars, host: &HostInfo) -> Result<Target, PlatformError> {
        let platform = Platform::from_vars(vars, &host.machine)?;
        Self::for_platform(platform, vars, host)
    }

    /// Resolve a given platform with the environment's overrides.
    pub fn for_platform(
        platform: Platform,
        vars: &dyn Vars,
        host: &HostInfo,
    ) -> Result<Target, PlatformError> {
        let distro = host.distro_id().to_string();
        let os_version = match &host.os_release {
            Some(release) => release.version_id.clone(),
            None => vars.non_empty("XX_OS_VERSION").unwrap_or_default(),
        };
        let os_row = os::find(&platform.os);
        let vendor = match vars.non_empty("XX_VENDOR") {
            Some(vendor) => vendor,
            None => match os_row.and_then(|row| row.triple_vendor) {
                Some(vendor) => vendor.to_string(),
                None if !distro.is_empty() => distro.clone(),
                None => "unknown".to_string(),
            },
        };
        let libc = match vars.non_empty("XX_LIBC") {
            Some(libc) => libc,
            None => os_row
                .and_then(|row| row.triple_libc)
                .or_else(|| distro::find(&distro).map(|row| row.default_libc))
                .unwrap_or("gnu")
                .to_string(),
        };
        for (name, value) in [("XX_VENDOR", &vendor), ("XX_LIBC", &libc)] {
            if !is_clean_component(value) {
                return Err(PlatformError::InvalidCharacters {
                    origin: name,
                    value: value.clone(),
                });
            }
        }
        let mut target = Target {
            platform,
            os_version,
            vendor,
            libc,
            distro,
            mapped: Err(PlatformError::Unsupported {
                os: String::new(),
                arch: String::new(),
                variant: String::new(),
            }),
        };
        target.mapped = target.map(vars, host);
        Ok(target)
    }

    /// The target's names, or `unsupported target: ...` when xx-rs has no
    /// mapping for the platform.
    pub fn mapped(&self) -> Result<&Mapped, PlatformError> {
        self.mapped.as_ref().map_err(Clone::clone)
    }

    fn unsupported(&self) -> PlatformError {
        let or_unknown = |s: &str| {
            if s.is_empty() {
                "unknown".to_string()
            } else {
                s.to_string()
            }
        };
        PlatformError::Unsupported {
            os: or_unknown(&self.platform.os),
            arch: or_unknown(&self.platform.arch),
            variant: self.platform.variant.clone(),
        }
    }

    fn map(&self, vars: &dyn Vars, host: &HostInfo) -> Result<Mapped, PlatformError> {
        let Platform { os, arch, variant } = &self.platform;
        let os_row = os::find(os).ok_or_else(|| self.unsupported())?;
        if !os_row.supports(arch) {
            return Err(self.unsupported());
        }
        let row = arch::find(arch, variant).ok_or_else(|| self.unsupported())?;
        let triple = self.gnu_triple(row, os_row, vars)?;
        let march = match os_row.format {
            BinaryFormat::MachO => row.darwin_march.unwrap_or(row.march),
            _ => row.march,
        };
        let pkg_arch = match distro::find(&self.vendor) {
            Some(distro) => distro.family.arch_name(row).to_string(),
            None => arch.clone(),
        };
        let is_cross = !(march == host.machine && os == "linux");
        let sysroot = if os_row.format == BinaryFormat::MachO {
            format!("{}/", host.macos_sdk_path())
        } else if host.alpine_release && march != host.machine && os == "linux" {
            format!("/{triple}/")
        } else {
            "/".to_string()
        };
        Ok(Mapped {
            arch: row,
            os: os_row,
            triple,
            march,
            pkg_arch,
            sysroot,
            is_cross,
        })
    }

    /// The vendor part of a GNU triple: empty for distributions whose
    /// toolchains leave it out, `-<vendor>` otherwise.
    fn triple_vendor(&self) -> String {
        match distro::find(&self.vendor) {
            Some(row) if row.vendorless_triple => String::new(),
            _ => format!("-{}", self.vendor),
        }
    }

    fn is_alpine_vendor(&self) -> bool {
        self.vendor == "alpine"
    }

    fn gnu_triple(
        &self,
        row: &ArchRow,
        os_row: &OsRow,
        vars: &dyn Vars,
    ) -> Result<String, PlatformError> {
        let unsupported = || self.unsupported();
        Ok(match os_row.triple_style {
            TripleStyle::Mingw => {
                format!("{}-w64-mingw32", row.windows_arch.ok_or_else(unsupported)?)
            }
            TripleStyle::Darwin => {
                let arch = row.darwin_arch.ok_or_else(unsupported)?;
                let min = self.macos_version_min(row, vars)?;
                format!("{arch}{}-macos{min}", self.triple_vendor())
            }
            TripleStyle::Bsd => format!("{}-unknown-{}", row.gnu_arch, os_row.name),
            TripleStyle::Linux => {
                let alpine = self.is_alpine_vendor();
                let arch = match override_value(row, vars)? {
                    Some(value) => value,
                    None if alpine => row.alpine_gnu_arch.to_string(),
                    None => row.gnu_arch.to_string(),
                };
                let abi = if alpine { row.alpine_abi } else { row.abi };
                format!("{arch}{}-linux-{}{abi}", self.triple_vendor(), self.libc)
            }
        })
    }

    fn macos_version_min(&self, row: &ArchRow, vars: &dyn Vars) -> Result<String, PlatformError> {
        match vars.non_empty("MACOSX_VERSION_MIN") {
            Some(min)
                if !min.is_empty() && min.bytes().all(|b| b.is_ascii_digit() || b == b'.') =>
            {
                Ok(min)
            }
            Some(min) => Err(PlatformError::Malformed {
                origin: "MACOSX_VERSION_MIN",
                value: min,
                expected: "a version such as 11.0",
            }),
            None => row
                .darwin_min_version
                .map(str::to_string)
                .ok_or_else(|| self.unsupported()),
        }
    }

    /// The Rust target triple for this target, as xx-cargo chooses it:
    /// vendor `unknown` (or the distro's on Alpine's own rustc), `armv7` for
    /// arm/v7 and `riscv64gc` unless `ARM_TARGET_ARCH`/`RISCV64_TARGET_ARCH`
    /// say otherwise. Checked with `target-lexicon`.
    pub fn rust_triple(
        &self,
        vars: &dyn Vars,
        toolchain: RustToolchain,
    ) -> Result<String, PlatformError> {
        let mapped = self.mapped()?;
        let row = mapped.arch;
        let no_target = || PlatformError::NoRustTarget {
            platform: self.platform.to_string(),
        };
        let triple = match mapped.os.triple_style {
            TripleStyle::Mingw => {
                let env = row.windows_rust_env.ok_or_else(no_target)?;
                format!("{}-pc-windows-{env}", row.rust_arch)
            }
            TripleStyle::Darwin => format!("{}-apple-darwin", row.rust_arch),
            TripleStyle::Bsd => format!("{}-unknown-{}", row.rust_arch, mapped.os.name),
            TripleStyle::Linux => {
                let alpine_rustc = toolchain == RustToolchain::Distro && self.distro == "alpine";
                let vendor = if alpine_rustc {
                    self.triple_vendor()
                } else {
                    "-unknown".to_string()
                };
                let alpine_names = alpine_rustc && self.is_alpine_vendor();
                let arch = match override_value(row, vars)? {
                    Some(value) => value,
                    None if alpine_names => row.alpine_rust_arch.to_string(),
                    None => row.rust_arch.to_string(),
                };
                let abi = if alpine_names {
                    row.alpine_abi
                } else {
                    row.abi
                };
                format!("{arch}{vendor}-linux-{}{abi}", self.libc)
            }
        };
        target_lexicon::Triple::from_str(&triple).map_err(|err| {
            PlatformError::InvalidRustTriple {
                triple: triple.clone(),
                platform: self.platform.to_string(),
                reason: err.to_string(),
            }
        })?;
        Ok(triple)
    }

    /// Go's environment for the target: `GOOS`, `GOARCH` and the variant
    /// settings (`GOARM`, `GOAMD64`, `GOMIPS`, `GOMIPS64`).
    pub fn go_env(&self) -> Result<BTreeMap<&'static str, String>, PlatformError> {
        let mapped = self.mapped()?;
        let mut env = BTreeMap::new();
        env.insert("GOOS", self.platform.os.clone());
        env.insert("GOARCH", self.platform.arch.clone());
        for (key, value) in mapped.arch.go_env {
            env.insert(*key, value.to_string());
        }
        Ok(env)
    }

    /// The `XX_*`/`TARGET*` lines of `xx-info env`, in xx's order.
    pub fn env_lines(&self) -> Result<Vec<(&'static str, String)>, PlatformError> {
        let mapped = self.mapped()?;
        let mut lines = vec![
            ("XX_OS", self.platform.os.clone()),
            ("XX_OS_VERSION", self.os_version.clone()),
            ("XX_ARCH", self.platform.arch.clone()),
            ("XX_MARCH", mapped.march.to_string()),
            ("XX_VENDOR", self.vendor.clone()),
        ];
        if self.platform.os == "linux" {
            lines.push(("XX_PKG_ARCH", mapped.pkg_arch.clone()));
        }
        lines.extend([
            ("XX_TRIPLE", mapped.triple.clone()),
            ("XX_LIBC", self.libc.clone()),
            ("TARGETOS", self.platform.os.clone()),
            ("TARGETARCH", self.platform.arch.clone()),
            ("TARGETVARIANT", self.platform.variant.clone()),
        ]);
        Ok(lines)
    }

    /// Every field for the target as one serialisable record.
    pub fn summary(
        &self,
        vars: &dyn Vars,
        toolchain: RustToolchain,
    ) -> Result<Summary, PlatformError> {
        let mapped = self.mapped()?;
        let row = mapped.arch;
        Ok(Summary {
            platform: self.platform.to_string(),
            os: self.platform.os.clone(),
            arch: self.platform.arch.clone(),
            variant: self.platform.variant.clone(),
            os_version: self.os_version.clone(),
            vendor: self.vendor.clone(),
            libc: self.libc.clone(),
            triple: mapped.triple.clone(),
            rust_triple: self.rust_triple(vars, toolchain).ok(),
            march: mapped.march.to_string(),
            debian_arch: row.debian.to_string(),
            alpine_arch: row.alpine.to_string(),
            rhel_arch: row.rhel.to_string(),
            pkg_arch: mapped.pkg_arch.clone(),
            sysroot: mapped.sysroot.clone(),
            is_cross: mapped.is_cross,
            go_env: self
                .go_env()?
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            qemu: format!("qemu-{}", row.qemu),
            binary: BinarySpec {
                format: mapped.os.format,
                bits: row.bits,
                endian: row.endian,
                elf_machine: (mapped.os.format == BinaryFormat::Elf).then_some(row.elf_machine),
                macho_cputype: (mapped.os.format == BinaryFormat::MachO)
                    .then_some(row.macho_cputype)
                    .flatten(),
                pe_machine: (mapped.os.format == BinaryFormat::Pe)
                    .then_some(row.pe_machine)
                    .flatten(),
            },
        })
    }
}

/// The value of the arch row's triple override variable, validated.
fn override_value(row: &ArchRow, vars: &dyn Vars) -> Result<Option<String>, PlatformError> {
    let Some(name) = row.arch_override.env_var() else {
        return Ok(None);
    };
    match vars.non_empty(name) {
        Some(value) if is_clean_component(&value) && !value.contains('-') => Ok(Some(value)),
        Some(value) => Err(PlatformError::InvalidCharacters {
            origin: name,
            value,
        }),
        None => Ok(None),
    }
}

/// What a binary for the target looks like.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BinarySpec {
    /// Executable format.
    pub format: BinaryFormat,
    /// Word size.
    pub bits: u8,
    /// Byte order.
    pub endian: Endian,
    /// ELF `e_machine` (ELF targets).
    pub elf_machine: Option<u16>,
    /// Mach-O `cputype` (darwin targets).
    pub macho_cputype: Option<u32>,
    /// PE machine (Windows targets).
    pub pe_machine: Option<u16>,
}

/// Every field of a target, as `xx-info --json` prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// `os/arch[/variant]`.
    pub platform: String,
    /// OS.
    pub os: String,
    /// Architecture.
    pub arch: String,
    /// Variant.
    pub variant: String,
    /// Build root's OS version.
    pub os_version: String,
    /// Vendor.
    pub vendor: String,
    /// libc.
    pub libc: String,
    /// GNU/LLVM triple.
    pub triple: String,
    /// Rust triple, when Rust has a target for the platform.
    pub rust_triple: Option<String>,
    /// `uname -m`.
    pub march: String,
    /// dpkg architecture.
    pub debian_arch: String,
    /// apk architecture.
    pub alpine_arch: String,
    /// RPM architecture.
    pub rhel_arch: String,
    /// The build root's package architecture.
    pub pkg_arch: String,
    /// Sysroot.
    pub sysroot: String,
    /// Whether the build cross-compiles.
    pub is_cross: bool,
    /// Go environment.
    pub go_env: BTreeMap<String, String>,
    /// qemu-user binary that runs the target's programs.
    pub qemu: String,
    /// What the target's binaries look like.
    pub binary: BinarySpec,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::OsRelease;
    use crate::vars::MapVars;

    fn host(distro: Option<&str>) -> HostInfo {
        HostInfo {
            machine: "x86_64".into(),
            os_release: distro.map(|id| OsRelease {
                id: id.into(),
                version_id: "1".into(),
            }),
            alpine_release: distro == Some("alpine"),
            macos_sdk: None,
        }
    }

    fn triple(platform: &str, distro: Option<&str>, extra: &[(&str, &str)]) -> String {
        let mut vars = MapVars::from([("TARGETPLATFORM", platform)]);
        for (k, v) in extra {
            vars.0.insert(k.to_string(), v.to_string());
        }
        let target = Target::resolve(&vars, &host(distro)).unwrap();
        target.mapped().unwrap().triple.clone()
    }

    #[test]
    fn triples_follow_xx() {
        let d = Some("debian");
        let a = Some("alpine");
        assert_eq!(triple("linux/arm64", d, &[]), "aarch64-linux-gnu");
        assert_eq!(
            triple("linux/arm64", None, &[]),
            "aarch64-unknown-linux-gnu"
        );
        assert_eq!(triple("linux/arm", d, &[]), "arm-linux-gnueabihf");
        assert_eq!(
            triple(
                "linux/arm",
                d,
                &[("ARM_TARGET_ARCH", "armv7"), ("XX_VENDOR", "unknown")]
            ),
            "armv7-unknown-linux-gnueabihf"
        );
        assert_eq!(
            triple("linux/arm/v6", a, &[]),
            "armv6-alpine-linux-musleabihf"
        );
        assert_eq!(triple("linux/386", a, &[]), "i586-alpine-linux-musl");
        assert_eq!(
            triple("linux/mips64le", a, &[]),
            "mips64el-alpine-linux-muslabi64"
        );
        assert_eq!(
            triple("linux/riscv64", a, &[("XX_VENDOR", "unknown")]),
            "riscv64-unknown-linux-musl"
        );
        assert_eq!(
            triple("linux/arm64", a, &[("XX_LIBC", "gnu")]),
            "aarch64-alpine-linux-gnu"
        );
        assert_eq!(triple("darwin/amd64", d, &[]), "x86_64-apple-macos10.6");
        assert_eq!(triple("darwin/arm64", d, &[]), "arm64-apple-macos11.0");
        assert_eq!(triple("windows/arm", d, &[]), "armv7-w64-mingw32");
        assert_eq!(triple("freebsd/amd64", d, &[]), "x86_64-unknown-freebsd");
    }

    #[test]
    fn unsupported_targets_name_the_request() {
        let vars = MapVars::from([("TARGETPLATFORM", "linux/amd64v3")]);
        let target = Target::resolve(&vars, &host(Some("debian"))).unwrap();
        assert_eq!(
            target.mapped().unwrap_err().to_string(),
            "unsupported target: os=linux arch=amd64v3 variant="
        );
        let vars = MapVars::from([("TARGETPLATFORM", "windows/arm/v6")]);
        let target = Target::resolve(&vars, &host(Some("debian"))).unwrap();
        assert!(target.mapped().is_err());
    }

    #[test]
    fn rust_triples_parse_with_target_lexicon() {
        for os_row in os::OSES {
            for arch_name in os_row.arches {
                for row in arch::rows_of(arch_name) {
                    for distro in [Some("debian"), Some("alpine"), None] {
                        for toolchain in [RustToolchain::Rustup, RustToolchain::Distro] {
                            let platform = Platform {
                                os: os_row.name.into(),
                                arch: row.arch.into(),
                                variant: row.variant.into(),
                            };
                            let target =
                                Target::for_platform(platform, &MapVars::default(), &host(distro))
                                    .unwrap();
                            if target.mapped().is_err() {
                                continue;
                            }
                            match target.rust_triple(&MapVars::default(), toolchain) {
                                Ok(_) | Err(PlatformError::NoRustTarget { .. }) => {}
                                Err(err) => panic!("{err}"),
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn rejects_unsafe_overrides() {
        let vars = MapVars::from([("TARGETPLATFORM", "linux/arm"), ("ARM_TARGET_ARCH", "a b")]);
        let target = Target::resolve(&vars, &host(Some("debian"))).unwrap();
        assert!(target.mapped().is_err());
        let vars = MapVars::from([("XX_VENDOR", "../x")]);
        assert!(Target::resolve(&vars, &host(Some("debian"))).is_err());
    }
}
