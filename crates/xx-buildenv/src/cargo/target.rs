//! The names of an `xx-cargo` target: the Rust triple cargo builds for, the
//! triple of the C toolchain that links it, and where its files live.

use xx_platform::arch::{self, ArchRow, TripleArchOverride};
use xx_platform::{HostInfo, Overlay, Platform, RustToolchain, Target, Vars};

use crate::error::BuildEnvError;

/// The triple overrides xx-cargo sets, in the order it exports them; each
/// defaults to Rust's name for its architecture
/// ([`TripleArchOverride::rust_default`]).
const OVERRIDES: [TripleArchOverride; 2] = [TripleArchOverride::RiscV64, TripleArchOverride::Arm];

/// The platform variables whose clearing selects the build machine.
const TARGET_VARS: &[&str] = &[
    "TARGETPLATFORM",
    "TARGETPAIR",
    "TARGETOS",
    "TARGETARCH",
    "TARGETVARIANT",
];

/// Everything xx-cargo needs to know about its target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CargoTarget {
    /// The requested platform.
    pub platform: Platform,
    /// Its row in the architecture table.
    pub arch: &'static ArchRow,
    /// The triple cargo builds for (`--target=`), e.g.
    /// `armv7-unknown-linux-gnueabihf`.
    pub rust_triple: String,
    /// The triple of the C toolchain xx-clang sets up for it, named in
    /// `<triple>-clang`; equal to the Rust triple on Linux except for the
    /// few arches whose names differ (arm/v5: `arm-...` vs `armv5te-...`).
    pub cc_triple: String,
    /// The triple clang itself understands (`riscv64`, not `riscv64gc`),
    /// for tools that drive libclang directly (bindgen).
    pub clang_target: String,
    /// The build machine's Rust triple (host artifacts: build scripts,
    /// proc-macros), when it is a platform xx-rs knows.
    pub host_rust_triple: Option<String>,
    /// Whether the target differs from the build machine.
    pub is_cross: bool,
    /// The target's root directory (`/` with Debian multiarch, `/<triple>/`
    /// on Alpine), with a trailing slash.
    pub sysroot: String,
    /// Where qemu-user finds the target's dynamic loader and libraries.
    pub qemu_ld_prefix: String,
    /// The package architecture of the build root (`arm64`, `aarch64`).
    pub pkg_arch: String,
    /// The settings xx-cargo chooses for the target tools and exports to
    /// everything it runs, as xx does (`XX_VENDOR=unknown`,
    /// `ARM_TARGET_ARCH=armv7`, `RISCV64_TARGET_ARCH=riscv64gc`).
    pub tuning: Vec<(&'static str, String)>,
}

impl CargoTarget {
    /// Resolve the target named by `TARGETPLATFORM` & co. in `vars` for a
    /// Rust toolchain of kind `toolchain` on the machine `host`.
    ///
    /// As xx: the triple's vendor is `unknown` unless the distribution's own
    /// Alpine rustc builds (its targets are `<arch>-alpine-linux-musl`);
    /// arm/v7 is `armv7` and riscv64 `riscv64gc` unless `ARM_TARGET_ARCH` /
    /// `RISCV64_TARGET_ARCH` say otherwise.
    pub fn resolve(
        vars: &dyn Vars,
        host: &HostInfo,
        toolchain: RustToolchain,
    ) -> Result<CargoTarget, BuildEnvError> {
        let requested = Target::resolve(vars, host)?;
        Self::derive(&requested, vars, host, toolchain)
    }

    /// [`CargoTarget::resolve`] for a target already resolved from `vars`
    /// (at a tool's edge): its platform is used as it is, and only the
    /// names that xx-cargo's settings change are derived again from it.
    pub fn derive(
        requested: &Target,
        vars: &dyn Vars,
        host: &HostInfo,
        toolchain: RustToolchain,
    ) -> Result<CargoTarget, BuildEnvError> {
        let tuning = tuning(vars, host, toolchain);
        let tuned = overlay(vars, &tuning);
        let platform = &requested.platform;
        let target = Target::for_platform(platform.clone(), &tuned, host)?;
        let mapped = target.mapped()?;
        let rust_triple = target.rust_triple(&tuned, toolchain)?;

        // qemu wants the architecture's plain names.
        let plain = OVERRIDES
            .iter()
            .filter_map(|kind| kind.env_var())
            .fold(Overlay::new(&tuned), |plain, name| plain.set(name, ""));
        let plain_target = Target::for_platform(platform.clone(), &plain, host)?;
        let plain_mapped = plain_target.mapped()?;
        let clang_target = arch::clang_triple(&mapped.triple);

        // The build machine itself: no TARGET* variables.
        let native = TARGET_VARS
            .iter()
            .fold(Overlay::new(&tuned), |native, name| native.set(name, ""));
        let host_rust_triple = Target::resolve(&native, host)
            .ok()
            .and_then(|t| t.rust_triple(&native, toolchain).ok());

        Ok(CargoTarget {
            platform: target.platform.clone(),
            arch: mapped.arch,
            rust_triple,
            cc_triple: mapped.triple.clone(),
            clang_target,
            host_rust_triple,
            is_cross: mapped.is_cross,
            sysroot: mapped.sysroot.clone(),
            qemu_ld_prefix: plain_mapped.sysroot.clone(),
            pkg_arch: pkg_arch(&target, host, mapped.arch),
            tuning,
        })
    }

    /// `qemu-<arch>`: the qemu-user program that runs the target's binaries.
    pub fn qemu_program(&self) -> String {
        format!("qemu-{}", self.arch.qemu)
    }
}

/// xx-cargo's settings for the target tools: the user's value or xx's
/// default for the arch overrides, and `XX_VENDOR=unknown` except for
/// Alpine's own rustc.
fn tuning(
    vars: &dyn Vars,
    host: &HostInfo,
    toolchain: RustToolchain,
) -> Vec<(&'static str, String)> {
    let mut tuning: Vec<(&'static str, String)> = OVERRIDES
        .iter()
        .filter_map(|kind| {
            let name = kind.env_var()?;
            let default = kind.rust_default()?;
            Some((
                name,
                vars.non_empty(name).unwrap_or_else(|| default.to_string()),
            ))
        })
        .collect();
    if toolchain == RustToolchain::Rustup || !host.alpine_release {
        tuning.push(("XX_VENDOR", "unknown".to_string()));
    }
    tuning
}

fn overlay<'a>(vars: &'a dyn Vars, tuning: &[(&'static str, String)]) -> Overlay<'a> {
    tuning
        .iter()
        .fold(Overlay::new(vars), |overlay, (key, value)| {
            overlay.set(key, value.clone())
        })
}

/// The package architecture of the build root's package manager, which
/// the vendor override must not change (Debian stays `arm64`).
fn pkg_arch(target: &Target, host: &HostInfo, row: &ArchRow) -> String {
    match host.package_family() {
        Some(family) => family.arch_name(row).to_string(),
        None => target.platform.arch.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use xx_platform::{MapVars, OsRelease};

    pub(crate) fn host(distro: &str) -> HostInfo {
        HostInfo {
            machine: "x86_64".into(),
            os_release: Some(OsRelease {
                id: distro.into(),
                version_id: "12".into(),
            }),
            alpine_release: distro == "alpine",
            macos_sdk: None,
        }
    }

    fn resolve(
        platform: &str,
        distro: &str,
        toolchain: RustToolchain,
        extra: &[(&str, &str)],
    ) -> CargoTarget {
        let mut vars = MapVars::from([("TARGETPLATFORM", platform)]);
        for (key, value) in extra {
            vars.0.insert(key.to_string(), value.to_string());
        }
        CargoTarget::resolve(&vars, &host(distro), toolchain).unwrap()
    }

    #[test]
    fn debian_triples_follow_xx() {
        let d = RustToolchain::Distro;
        let arm64 = resolve("linux/arm64", "debian", d, &[]);
        assert_eq!(arm64.rust_triple, "aarch64-unknown-linux-gnu");
        assert_eq!(arm64.cc_triple, "aarch64-unknown-linux-gnu");
        assert_eq!(
            arm64.host_rust_triple.as_deref(),
            Some("x86_64-unknown-linux-gnu")
        );
        assert_eq!(arm64.sysroot, "/");
        assert_eq!(arm64.qemu_ld_prefix, "/");
        assert_eq!(arm64.pkg_arch, "arm64");
        assert_eq!(arm64.qemu_program(), "qemu-aarch64");
        assert!(arm64.is_cross);

        let armv7 = resolve("linux/arm/v7", "debian", d, &[]);
        assert_eq!(armv7.rust_triple, "armv7-unknown-linux-gnueabihf");
        assert_eq!(armv7.cc_triple, "armv7-unknown-linux-gnueabihf");
        assert_eq!(armv7.pkg_arch, "armhf");
        assert_eq!(armv7.clang_target, "armv7-unknown-linux-gnueabihf");

        let riscv = resolve("linux/riscv64", "debian", d, &[]);
        assert_eq!(riscv.rust_triple, "riscv64gc-unknown-linux-gnu");
        assert_eq!(riscv.clang_target, "riscv64-unknown-linux-gnu");
        let riscv_plain = resolve(
            "linux/riscv64",
            "debian",
            d,
            &[("RISCV64_TARGET_ARCH", "riscv64")],
        );
        assert_eq!(riscv_plain.rust_triple, "riscv64-unknown-linux-gnu");
        assert_eq!(riscv_plain.clang_target, "riscv64-unknown-linux-gnu");
        let riscv_alpine = resolve("linux/riscv64", "alpine", d, &[]);
        assert_eq!(riscv_alpine.cc_triple, "riscv64gc-alpine-linux-musl");
        assert_eq!(riscv_alpine.clang_target, "riscv64-alpine-linux-musl");

        assert_eq!(
            resolve("linux/386", "debian", d, &[]).rust_triple,
            "i686-unknown-linux-gnu"
        );
        assert_eq!(
            resolve("linux/ppc64le", "debian", d, &[]).rust_triple,
            "powerpc64le-unknown-linux-gnu"
        );
        let v5 = resolve("linux/arm/v5", "debian", d, &[]);
        assert_eq!(v5.rust_triple, "armv5te-unknown-linux-gnueabi");
        assert_eq!(v5.cc_triple, "arm-unknown-linux-gnueabi");
        assert_eq!(v5.pkg_arch, "armel");

        let native = resolve("linux/amd64", "debian", d, &[]);
        assert!(!native.is_cross);
        assert_eq!(native.rust_triple, "x86_64-unknown-linux-gnu");
    }

    #[test]
    fn tuning_names_rust_arches_in_xx_order() {
        let owned = |pairs: &[(&'static str, &str)]| -> Vec<(&'static str, String)> {
            pairs.iter().map(|(k, v)| (*k, v.to_string())).collect()
        };
        let default = resolve("linux/arm64", "debian", RustToolchain::Rustup, &[]);
        assert_eq!(
            default.tuning,
            owned(&[
                ("RISCV64_TARGET_ARCH", "riscv64gc"),
                ("ARM_TARGET_ARCH", "armv7"),
                ("XX_VENDOR", "unknown"),
            ])
        );
        let user = resolve(
            "linux/arm",
            "alpine",
            RustToolchain::Distro,
            &[
                ("ARM_TARGET_ARCH", "armv7a"),
                ("RISCV64_TARGET_ARCH", "riscv64"),
            ],
        );
        assert_eq!(
            user.tuning,
            owned(&[
                ("RISCV64_TARGET_ARCH", "riscv64"),
                ("ARM_TARGET_ARCH", "armv7a")
            ])
        );
    }

    #[test]
    fn vendor_is_unknown_except_for_alpine_rustc() {
        let rustup = resolve("linux/arm64", "alpine", RustToolchain::Rustup, &[]);
        assert_eq!(rustup.rust_triple, "aarch64-unknown-linux-musl");
        assert_eq!(rustup.sysroot, "/aarch64-unknown-linux-musl/");
        assert_eq!(rustup.pkg_arch, "aarch64");
        assert!(rustup
            .tuning
            .contains(&("XX_VENDOR", "unknown".to_string())));

        let distro = resolve("linux/arm64", "alpine", RustToolchain::Distro, &[]);
        assert_eq!(distro.rust_triple, "aarch64-alpine-linux-musl");
        assert_eq!(distro.cc_triple, "aarch64-alpine-linux-musl");
        assert_eq!(distro.qemu_ld_prefix, "/aarch64-alpine-linux-musl/");
        assert!(!distro.tuning.iter().any(|(key, _)| *key == "XX_VENDOR"));

        // On Debian XX_VENDOR is always replaced, as xx does.
        let vendor = resolve(
            "linux/arm64",
            "debian",
            RustToolchain::Distro,
            &[("XX_VENDOR", "debian")],
        );
        assert_eq!(vendor.rust_triple, "aarch64-unknown-linux-gnu");
    }

    #[test]
    fn windows_uses_rust_names_and_the_mingw_toolchain() {
        let win = resolve("windows/amd64", "debian", RustToolchain::Distro, &[]);
        assert_eq!(win.rust_triple, "x86_64-pc-windows-gnu");
        assert_eq!(win.cc_triple, "x86_64-w64-mingw32");
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        let vars = MapVars::from([
            ("TARGETPLATFORM", "linux/arm64"),
            ("ARM_TARGET_ARCH", "x y"),
        ]);
        let arm = MapVars::from([("TARGETPLATFORM", "linux/arm"), ("ARM_TARGET_ARCH", "x y")]);
        assert!(CargoTarget::resolve(&vars, &host("debian"), RustToolchain::Distro).is_ok());
        assert!(CargoTarget::resolve(&arm, &host("debian"), RustToolchain::Distro).is_err());
        let unknown = MapVars::from([("TARGETPLATFORM", "linux/sparc")]);
        let err =
            CargoTarget::resolve(&unknown, &host("debian"), RustToolchain::Distro).unwrap_err();
        assert!(err.to_string().contains("unsupported target"), "{err}");
    }
}
