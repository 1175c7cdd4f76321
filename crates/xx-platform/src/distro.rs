//! The distribution table: how the build root's `os-release` `ID` (or
//! `XX_VENDOR`) shapes triples, libc and package architectures.

use crate::os::{self, TripleStyle};

/// Which package-architecture naming a distribution uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PackageFamily {
    /// dpkg names (`armhf`, `ppc64el`).
    Debian,
    /// apk names (`armv7`, `x86`).
    Alpine,
    /// RPM names (`armv7hl`, `aarch64`).
    Rhel,
}

/// One known distribution (as a vendor name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DistroRow {
    /// `os-release` `ID` / `XX_VENDOR` value.
    pub id: &'static str,
    /// Package architecture naming.
    pub family: PackageFamily,
    /// Whether the vendor is left out of the GNU triple (Debian's
    /// `aarch64-linux-gnu`, not `aarch64-debian-linux-gnu`).
    pub vendorless_triple: bool,
    /// The C library its toolchains target by default.
    pub default_libc: &'static str,
}

const fn debian_like(id: &'static str) -> DistroRow {
    DistroRow {
        id,
        family: PackageFamily::Debian,
        vendorless_triple: true,
        default_libc: "gnu",
    }
}

const fn rhel_like(id: &'static str) -> DistroRow {
    DistroRow {
        id,
        family: PackageFamily::Rhel,
        vendorless_triple: true,
        default_libc: "gnu",
    }
}

/// Every distribution with special handling; any other vendor keeps its
/// name in the triple and uses the OCI architecture as package arch.
pub static DISTROS: &[DistroRow] = &[
    debian_like("debian"),
    debian_like("ubuntu"),
    DistroRow {
        id: "alpine",
        family: PackageFamily::Alpine,
        vendorless_triple: false,
        default_libc: "musl",
    },
    rhel_like("rhel"),
    rhel_like("fedora"),
    rhel_like("centos"),
    rhel_like("rocky"),
    rhel_like("ol"),
];

/// The row for a distribution or vendor id.
pub fn find(id: &str) -> Option<&'static DistroRow> {
    DISTROS.iter().find(|row| row.id == id)
}

/// The suffix Debian gives cross-toolchain packages (`gcc-<suffix>`,
/// `binutils-<suffix>`) for `triple` on the OCI OS `os`: the triple, or
/// `mingw-w64-<arch>` for mingw triples, with `_` spelled `-` as Debian
/// package names have no `_` (`x86-64-linux-gnu`, `mingw-w64-x86-64`).
pub fn debian_cross_suffix(triple: &str, os: &str) -> String {
    let mingw = os::find(os).is_some_and(|row| row.triple_style == TripleStyle::Mingw);
    let name = if mingw {
        let arch = triple.split('-').next().unwrap_or(triple);
        format!("mingw-w64-{arch}")
    } else {
        triple.to_string()
    };
    name.replace('_', "-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debian_cross_suffixes() {
        for (triple, os, suffix) in [
            ("x86_64-linux-gnu", "linux", "x86-64-linux-gnu"),
            ("arm-linux-gnueabihf", "linux", "arm-linux-gnueabihf"),
            ("s390x-linux-gnu", "linux", "s390x-linux-gnu"),
            ("x86_64-w64-mingw32", "windows", "mingw-w64-x86-64"),
            ("i686-w64-mingw32", "windows", "mingw-w64-i686"),
            ("aarch64-w64-mingw32", "windows", "mingw-w64-aarch64"),
            ("x86_64-apple-macos10.6", "darwin", "x86-64-apple-macos10.6"),
        ] {
            assert_eq!(debian_cross_suffix(triple, os), suffix, "{triple} {os}");
        }
    }
}
