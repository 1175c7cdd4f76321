//! The distribution table: how the build root's `os-release` `ID` (or
//! `XX_VENDOR`) shapes triples, libc and package architectures.

use std::cmp::Ordering;

use crate::arch::{ArchRow, Releases};
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

impl PackageFamily {
    /// The architecture of `row` in this family's naming (`armhf`,
    /// `armv7`, `armv7hl` for arm/v7).
    pub fn arch_name(self, row: &ArchRow) -> &'static str {
        match self {
            PackageFamily::Debian => row.debian,
            PackageFamily::Alpine => row.alpine,
            PackageFamily::Rhel => row.rhel,
        }
    }
}

/// Which release column of the architecture table
/// ([`ArchRow::debian_releases`], ...) speaks for a distribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReleaseColumn {
    /// [`ArchRow::debian_releases`].
    Debian,
    /// [`ArchRow::ubuntu_releases`].
    Ubuntu,
    /// [`ArchRow::alpine_releases`].
    Alpine,
}

impl ReleaseColumn {
    /// This column of `row`.
    pub fn of(self, row: &ArchRow) -> Releases {
        match self {
            ReleaseColumn::Debian => row.debian_releases,
            ReleaseColumn::Ubuntu => row.ubuntu_releases,
            ReleaseColumn::Alpine => row.alpine_releases,
        }
    }
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
    /// The architecture table's column of releases with packages, if it
    /// has one; other distributions follow
    /// [`ArchRow::other_distro_packages`].
    pub releases: Option<ReleaseColumn>,
    /// Whether a release without a usable number is the newest one
    /// (Debian's testing/unstable `trixie/sid`, Alpine's edge) rather than
    /// one of unknown age (Ubuntu numbers every release).
    pub unnumbered_is_newest: bool,
}

const fn debian_like(
    id: &'static str,
    releases: ReleaseColumn,
    unnumbered_is_newest: bool,
) -> DistroRow {
    DistroRow {
        id,
        family: PackageFamily::Debian,
        vendorless_triple: true,
        default_libc: "gnu",
        releases: Some(releases),
        unnumbered_is_newest,
    }
}

const fn rhel_like(id: &'static str) -> DistroRow {
    DistroRow {
        id,
        family: PackageFamily::Rhel,
        vendorless_triple: true,
        default_libc: "gnu",
        releases: None,
        unnumbered_is_newest: false,
    }
}

/// Every distribution with special handling; any other vendor keeps its
/// name in the triple and uses the OCI architecture as package arch.
pub static DISTROS: &[DistroRow] = &[
    debian_like("debian", ReleaseColumn::Debian, true),
    debian_like("ubuntu", ReleaseColumn::Ubuntu, false),
    DistroRow {
        id: "alpine",
        family: PackageFamily::Alpine,
        vendorless_triple: false,
        default_libc: "musl",
        releases: Some(ReleaseColumn::Alpine),
        unnumbered_is_newest: true,
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

/// Whether a distribution release publishes packages for an architecture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PackageAvailability {
    /// It does.
    Available,
    /// Releases from `first` on do; this one is older (or its number is
    /// unknown where that cannot mean newest).
    TooOld {
        /// The first release with packages, as the table spells it (`13`).
        first: &'static str,
    },
    /// It does not, and no later release does either (never, or dropped).
    Unavailable,
}

/// Whether release `version` of `distro` (an os-release `ID` or vendor)
/// publishes packages for `row`.
///
/// `version` is the distribution's own text for its release:
/// `/etc/debian_version` (`12.8`), os-release `VERSION` on Ubuntu
/// (`24.04 LTS (Noble Numbat)`) or `VERSION_ID` on Alpine (`3.19.1`); its
/// first word is compared with the table to the table's precision. A
/// version without such a number (`trixie/sid`, `edge`, empty) is the
/// newest release where [`DistroRow::unnumbered_is_newest`] says so and of
/// unknown age otherwise.
pub fn package_availability(row: &ArchRow, distro: &str, version: &str) -> PackageAvailability {
    match find(distro) {
        Some(DistroRow {
            releases: Some(column),
            unnumbered_is_newest,
            ..
        }) => in_releases(column.of(row), version, *unnumbered_is_newest),
        _ if row.other_distro_packages => PackageAvailability::Available,
        _ => PackageAvailability::Unavailable,
    }
}

/// Whether the release `version` is one of `releases` (see
/// [`package_availability`]).
fn in_releases(releases: Releases, version: &str, newest: bool) -> PackageAvailability {
    match releases {
        Releases::All => PackageAvailability::Available,
        Releases::Never => PackageAvailability::Unavailable,
        Releases::From(first) => match compare_release(version, first) {
            Some(Ordering::Less) => PackageAvailability::TooOld { first },
            Some(_) => PackageAvailability::Available,
            None if newest => PackageAvailability::Available,
            None => PackageAvailability::TooOld { first },
        },
        Releases::Until(last) => match compare_release(version, last) {
            Some(Ordering::Less | Ordering::Equal) => PackageAvailability::Available,
            Some(Ordering::Greater) | None => PackageAvailability::Unavailable,
        },
    }
}

/// `version` (its first word) against the table's release `bound`,
/// compared on as many numbers as `bound` has (`12.8` is `12`); `None`
/// when `version` does not start with that many numbers.
fn compare_release(version: &str, bound: &str) -> Option<Ordering> {
    let bound = leading_numbers(bound, usize::MAX)?;
    let word = version.split_whitespace().next().unwrap_or_default();
    let version = leading_numbers(word, bound.len())?;
    (version.len() == bound.len()).then(|| version.cmp(&bound))
}

/// The first `count` `.`-separated numbers of a release (all of them
/// when it has fewer); `None` when one of those is not a number
/// (`trixie/sid`, `21_alpha20240807`).
fn leading_numbers(release: &str, count: usize) -> Option<Vec<u32>> {
    release
        .split('.')
        .take(count)
        .map(|part| part.parse().ok())
        .collect()
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

    fn availability(arch: &str, variant: &str, distro: &str, version: &str) -> PackageAvailability {
        let row = crate::arch::find(arch, variant).expect("a table row");
        package_availability(row, distro, version)
    }

    #[test]
    fn debian_mips_ends_with_12_and_riscv64_starts_with_13() {
        use PackageAvailability::*;
        for version in ["11.9\n", "12.8\n", "12\n"] {
            assert_eq!(availability("mipsle", "", "debian", version), Available);
            assert_eq!(
                availability("mips64le", "softfloat", "debian", version),
                Available
            );
            assert_eq!(availability("mips", "", "debian", version), Unavailable);
            assert_eq!(availability("mips64", "", "debian", version), Unavailable);
            assert_eq!(
                availability("riscv64", "", "debian", version),
                TooOld { first: "13" }
            );
        }
        // 13 and testing/unstable (or no debian_version) are the newest.
        for version in ["13.1\n", "14", "trixie/sid\n", ""] {
            assert_eq!(availability("mipsle", "", "debian", version), Unavailable);
            assert_eq!(availability("riscv64", "", "debian", version), Available);
            assert_eq!(availability("arm64", "", "debian", version), Available);
        }
    }

    #[test]
    fn ubuntu_riscv64_starts_with_20_04_and_has_no_mips() {
        use PackageAvailability::*;
        let riscv = |version| availability("riscv64", "", "ubuntu", version);
        assert_eq!(riscv("24.04 LTS (Noble Numbat)"), Available);
        assert_eq!(riscv("20.04.6 LTS (Focal Fossa)"), Available);
        assert_eq!(
            riscv("18.04.6 LTS (Bionic Beaver)"),
            TooOld { first: "20.04" }
        );
        // Every Ubuntu release has a number: none read is no proof.
        assert_eq!(riscv(""), TooOld { first: "20.04" });
        assert_eq!(availability("mipsle", "", "ubuntu", "22.04"), Unavailable);
        assert_eq!(availability("s390x", "", "ubuntu", ""), Available);
    }

    #[test]
    fn alpine_releases_and_other_distros() {
        use PackageAvailability::*;
        assert_eq!(
            availability("riscv64", "", "alpine", "3.19.1"),
            TooOld { first: "3.20" }
        );
        assert_eq!(availability("riscv64", "", "alpine", "3.20.0"), Available);
        assert_eq!(
            availability("loong64", "", "alpine", "3.20.3"),
            TooOld { first: "3.21" }
        );
        assert_eq!(
            availability("loong64", "", "alpine", "3.21_alpha20240807"),
            Available
        );
        assert_eq!(availability("riscv64", "", "alpine", "edge"), Available);
        assert_eq!(
            availability("mips64le", "", "alpine", "3.20.0"),
            Unavailable
        );
        // Derivatives and unknown vendors: everything but MIPS.
        for distro in ["raspbian", "unknown", "rhel", ""] {
            assert_eq!(availability("riscv64", "", distro, ""), Available);
            assert_eq!(availability("mipsle", "", distro, "12"), Unavailable);
        }
    }

    #[test]
    fn table_releases_are_numbers() {
        for row in crate::arch::ARCHES {
            for releases in [
                row.debian_releases,
                row.ubuntu_releases,
                row.alpine_releases,
            ] {
                if let Releases::From(bound) | Releases::Until(bound) = releases {
                    assert!(
                        leading_numbers(bound, usize::MAX).is_some(),
                        "{}/{}: {bound}",
                        row.arch,
                        row.variant
                    );
                }
            }
            assert!(
                row.apt_force_var.is_none() || matches!(row.debian_releases, Releases::From(_)),
                "{}: a force variable without a first Debian release",
                row.arch
            );
        }
    }

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
