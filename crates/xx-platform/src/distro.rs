//! The distribution table: how the build root's `os-release` `ID` (or
//! `XX_VENDOR`) shapes triples, libc and package architectures.

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
