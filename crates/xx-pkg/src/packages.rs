//! Rewriting package names for the target, as xx-apt does:
//!
//! * `xx-c-essentials` becomes `libc6-dev libgcc-<N>-dev` and
//!   `xx-cxx-essentials` becomes `libstdc++-<N>-dev`, for the first GCC
//!   version `N` whose package exists for the target architecture;
//! * when cross-compiling, a package `p` becomes its cross-toolchain
//!   variant `p-<triple>` when that exists (`gcc-aarch64-linux-gnu`), else
//!   `p-<arch>-cross` when `XX_APT_PREFER_CROSS` is set and that exists
//!   (`libc6-dev-arm64-cross`), else `p:<arch>` on Linux (`zlib1g-dev:arm64`);
//!   for other OSes packages without a cross variant are skipped.
//!
//! Whether a package exists is asked of a [`Catalog`], built from apt's
//! answers by the caller.

use std::collections::BTreeSet;

use xx_platform::distro;

/// The pseudo-package for a C cross sysroot.
pub const C_ESSENTIALS: &str = "xx-c-essentials";
/// The pseudo-package for a C++ cross sysroot.
pub const CXX_ESSENTIALS: &str = "xx-cxx-essentials";

/// GCC versions tried for the essentials, in order; the first whose
/// package exists wins. xx tries 12, 11, 10, 9; newer releases come after
/// them so that distributions without those still resolve.
pub const GCC_VERSIONS: &[u32] = &[12, 11, 10, 9, 15, 14, 13];

/// The GCC version used when none of [`GCC_VERSIONS`] exists (as xx).
pub const FALLBACK_GCC_VERSION: u32 = 8;

/// What the rewriting needs to know about the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetNames {
    /// The target's package architecture (`arm64`, `armhf`).
    pub pkg_arch: String,
    /// Suffix of cross-toolchain package names ([`cross_suffix`]).
    pub cross_suffix: String,
    /// Whether the target OS is Linux.
    pub is_linux: bool,
    /// Whether the target differs from the build machine.
    pub is_cross: bool,
    /// `XX_APT_PREFER_CROSS`: prefer `p-<arch>-cross` over `p:<arch>`.
    pub prefer_cross: bool,
}

/// The suffix Debian gives cross-toolchain packages for `triple`:
/// the triple with `_` spelled `-` (`x86-64-linux-gnu`), or
/// `mingw-w64-<arch>` for Windows (`mingw-w64-x86-64`); see
/// [`distro::debian_cross_suffix`].
pub fn cross_suffix(triple: &str, os: &str) -> String {
    distro::debian_cross_suffix(triple, os)
}

/// Package names apt knows, with and without architecture qualifiers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Catalog {
    names: BTreeSet<String>,
}

impl Catalog {
    /// A catalog of exactly these names (`name` or `name:arch`).
    pub fn from_names<I: IntoIterator<Item = S>, S: Into<String>>(names: I) -> Catalog {
        Catalog {
            names: names.into_iter().map(Into::into).collect(),
        }
    }

    /// Read the output of `apt-cache policy <names...>`: one unindented
    /// `name:` (native architecture) or `name:arch:` header per package apt
    /// knows, real or virtual; names it does not know are left out.
    pub fn from_policy_output(text: &str, native_arch: &str) -> Catalog {
        let mut names = BTreeSet::new();
        for line in text.lines() {
            if line.starts_with(char::is_whitespace) {
                continue;
            }
            let Some(header) = line.strip_suffix(':') else {
                continue;
            };
            if header.is_empty() || header.contains(char::is_whitespace) {
                continue;
            }
            match header.split_once(':') {
                Some((name, arch)) => {
                    names.insert(name.to_string());
                    names.insert(format!("{name}:{arch}"));
                }
                None => {
                    names.insert(header.to_string());
                    names.insert(format!("{header}:{native_arch}"));
                }
            }
        }
        Catalog { names }
    }

    /// Whether apt knows `name` (`zlib1g-dev`, `libgcc-12-dev:arm64`).
    pub fn contains(&self, name: &str) -> bool {
        self.names.contains(name)
    }
}

/// A package operand: `name[:arch][=version | /release]`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PackageSpec<'a> {
    name: &'a str,
    arch: Option<&'a str>,
    /// `=version` or `/release`, kept as given.
    selector: &'a str,
}

impl<'a> PackageSpec<'a> {
    fn parse(operand: &'a str) -> PackageSpec<'a> {
        let selector_at = operand.find(['=', '/']).unwrap_or(operand.len());
        let (head, selector) = operand.split_at(selector_at);
        match head.split_once(':') {
            Some((name, arch)) => PackageSpec {
                name,
                arch: Some(arch),
                selector,
            },
            None => PackageSpec {
                name: head,
                arch: None,
                selector,
            },
        }
    }
}

/// The essentials' version probes: `libgcc-<N>-dev:<arch>` and
/// `libstdc++-<N>-dev:<arch>` for every `N` in [`GCC_VERSIONS`], as needed
/// by the requested packages (empty when no essentials are requested).
pub fn essentials_queries(packages: &[String], pkg_arch: &str) -> Vec<String> {
    let mut queries = Vec::new();
    for (essential, library) in [(C_ESSENTIALS, "libgcc"), (CXX_ESSENTIALS, "libstdc++")] {
        if packages.iter().any(|p| p == essential) {
            queries.extend(
                GCC_VERSIONS
                    .iter()
                    .map(|version| format!("{library}-{version}-dev:{pkg_arch}")),
            );
        }
    }
    queries
}

/// Replace the essentials pseudo-packages by the real packages.
pub fn expand_essentials(packages: &[String], pkg_arch: &str, catalog: &Catalog) -> Vec<String> {
    let gcc_version = |library: &str| {
        GCC_VERSIONS
            .iter()
            .copied()
            .find(|version| catalog.contains(&format!("{library}-{version}-dev:{pkg_arch}")))
            .unwrap_or(FALLBACK_GCC_VERSION)
    };
    let mut expanded = Vec::with_capacity(packages.len() + 1);
    for package in packages {
        match package.as_str() {
            C_ESSENTIALS => {
                expanded.push("libc6-dev".to_string());
                expanded.push(format!("libgcc-{}-dev", gcc_version("libgcc")));
            }
            CXX_ESSENTIALS => {
                expanded.push(format!("libstdc++-{}-dev", gcc_version("libstdc++")));
            }
            _ => expanded.push(package.clone()),
        }
    }
    expanded
}

/// The cross-variant names to look up for `packages` (after
/// [`expand_essentials`]); empty when not cross-compiling.
pub fn cross_queries(packages: &[String], target: &TargetNames) -> Vec<String> {
    if !target.is_cross {
        return Vec::new();
    }
    let mut queries = Vec::new();
    for package in packages {
        let spec = PackageSpec::parse(package);
        if spec.arch.is_some() {
            continue;
        }
        queries.push(format!("{}-{}", spec.name, target.cross_suffix));
        if target.is_linux && target.prefer_cross {
            queries.push(format!("{}-{}-cross", spec.name, target.pkg_arch));
        }
    }
    queries
}

/// The packages to hand to apt for `packages` (after [`expand_essentials`]).
/// Packages with no form for a non-Linux target are left out.
pub fn rewrite(packages: &[String], target: &TargetNames, catalog: &Catalog) -> Vec<String> {
    if !target.is_cross {
        return packages.to_vec();
    }
    packages
        .iter()
        .filter_map(|package| rewrite_one(package, target, catalog))
        .collect()
}

fn rewrite_one(package: &str, target: &TargetNames, catalog: &Catalog) -> Option<String> {
    let spec = PackageSpec::parse(package);
    if spec.arch.is_some() {
        // Already qualified by the user: theirs to decide.
        return Some(package.to_string());
    }
    let PackageSpec { name, selector, .. } = spec;
    let toolchain = format!("{name}-{}", target.cross_suffix);
    if catalog.contains(&toolchain) {
        return Some(format!("{toolchain}{selector}"));
    }
    if !target.is_linux {
        return None;
    }
    let cross = format!("{name}-{}-cross", target.pkg_arch);
    if target.prefer_cross && catalog.contains(&cross) {
        return Some(format!("{cross}{selector}"));
    }
    Some(format!("{name}:{}{selector}", target.pkg_arch))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    fn arm64(prefer_cross: bool) -> TargetNames {
        TargetNames {
            pkg_arch: "arm64".into(),
            cross_suffix: cross_suffix("aarch64-linux-gnu", "linux"),
            is_linux: true,
            is_cross: true,
            prefer_cross,
        }
    }

    /// A few names of Debian bookworm on amd64 with arm64 added.
    fn bookworm() -> Catalog {
        Catalog::from_names([
            "gcc-aarch64-linux-gnu",
            "binutils-aarch64-linux-gnu",
            "libc6-dev-arm64-cross",
            "libgcc-12-dev:arm64",
            "libgcc-11-dev:arm64",
            "libstdc++-12-dev:arm64",
            "libc6-dev:arm64",
            "zlib1g-dev:arm64",
        ])
    }

    #[test]
    fn cross_suffixes() {
        assert_eq!(
            cross_suffix("x86_64-linux-gnu", "linux"),
            "x86-64-linux-gnu"
        );
        assert_eq!(
            cross_suffix("arm-linux-gnueabihf", "linux"),
            "arm-linux-gnueabihf"
        );
        assert_eq!(
            cross_suffix("x86_64-w64-mingw32", "windows"),
            "mingw-w64-x86-64"
        );
        assert_eq!(
            cross_suffix("i686-w64-mingw32", "windows"),
            "mingw-w64-i686"
        );
    }

    #[test]
    fn essentials_pick_the_first_available_gcc() {
        let packages = strings(&["xx-c-essentials", "xx-cxx-essentials", "zlib1g-dev"]);
        let queries = essentials_queries(&packages, "arm64");
        assert_eq!(queries.len(), 2 * GCC_VERSIONS.len());
        assert!(queries.contains(&"libgcc-12-dev:arm64".to_string()));
        assert!(queries.contains(&"libstdc++-9-dev:arm64".to_string()));
        assert_eq!(
            expand_essentials(&packages, "arm64", &bookworm()),
            strings(&[
                "libc6-dev",
                "libgcc-12-dev",
                "libstdc++-12-dev",
                "zlib1g-dev"
            ])
        );
        let older = Catalog::from_names(["libgcc-10-dev:armhf"]);
        assert_eq!(
            expand_essentials(&packages, "armhf", &older),
            strings(&[
                "libc6-dev",
                "libgcc-10-dev",
                "libstdc++-8-dev",
                "zlib1g-dev"
            ])
        );
        let newer = Catalog::from_names(["libgcc-14-dev:arm64", "libgcc-13-dev:arm64"]);
        assert_eq!(
            expand_essentials(&strings(&["xx-c-essentials"]), "arm64", &newer),
            strings(&["libc6-dev", "libgcc-14-dev"])
        );
        assert!(essentials_queries(&strings(&["gcc"]), "arm64").is_empty());
    }

    #[test]
    fn cross_rewriting_follows_xx() {
        let packages = strings(&["gcc", "libc6-dev", "zlib1g-dev", "file"]);
        assert_eq!(
            rewrite(&packages, &arm64(false), &bookworm()),
            strings(&[
                "gcc-aarch64-linux-gnu",
                "libc6-dev:arm64",
                "zlib1g-dev:arm64",
                "file:arm64"
            ])
        );
        assert_eq!(
            rewrite(&packages, &arm64(true), &bookworm()),
            strings(&[
                "gcc-aarch64-linux-gnu",
                "libc6-dev-arm64-cross",
                "zlib1g-dev:arm64",
                "file:arm64"
            ])
        );
        assert_eq!(
            cross_queries(&strings(&["gcc"]), &arm64(true)),
            strings(&["gcc-aarch64-linux-gnu", "gcc-arm64-cross"])
        );
    }

    #[test]
    fn native_targets_keep_names() {
        let native = TargetNames {
            pkg_arch: "amd64".into(),
            cross_suffix: "x86-64-linux-gnu".into(),
            is_linux: true,
            is_cross: false,
            prefer_cross: true,
        };
        let packages = strings(&["gcc", "zlib1g-dev"]);
        assert!(cross_queries(&packages, &native).is_empty());
        assert_eq!(rewrite(&packages, &native, &Catalog::default()), packages);
    }

    #[test]
    fn qualified_and_versioned_operands() {
        let packages = strings(&["zlib1g-dev:armhf", "zlib1g-dev=1:1.2.13", "gcc/bookworm"]);
        assert_eq!(
            cross_queries(&packages, &arm64(false)),
            strings(&["zlib1g-dev-aarch64-linux-gnu", "gcc-aarch64-linux-gnu"])
        );
        assert_eq!(
            rewrite(&packages, &arm64(false), &bookworm()),
            strings(&[
                "zlib1g-dev:armhf",
                "zlib1g-dev:arm64=1:1.2.13",
                "gcc-aarch64-linux-gnu/bookworm"
            ])
        );
    }

    #[test]
    fn non_linux_targets_only_get_toolchains() {
        let windows = TargetNames {
            pkg_arch: "amd64".into(),
            cross_suffix: "mingw-w64-x86-64".into(),
            is_linux: false,
            is_cross: true,
            prefer_cross: false,
        };
        let catalog = Catalog::from_names(["gcc-mingw-w64-x86-64"]);
        assert_eq!(
            rewrite(&strings(&["gcc", "zlib1g-dev"]), &windows, &catalog),
            strings(&["gcc-mingw-w64-x86-64"])
        );
        assert!(rewrite(&strings(&["zlib1g-dev"]), &windows, &catalog).is_empty());
    }

    #[test]
    fn reads_apt_cache_policy_output() {
        let text = "libgcc-12-dev:arm64:\n  Installed: (none)\n  Candidate: 12.2.0-14\n  Version table:\n     12.2.0-14 500\n        500 http://deb.debian.org/debian bookworm/main arm64 Packages\nlibc-dev:\n  Installed: (none)\n  Candidate: (none)\n  Version table:\nmake:\n  Installed: 4.3-4.1\n";
        let catalog = Catalog::from_policy_output(text, "amd64");
        for known in [
            "libgcc-12-dev:arm64",
            "libgcc-12-dev",
            "libc-dev",
            "libc-dev:amd64",
            "make:amd64",
        ] {
            assert!(catalog.contains(known), "{known}");
        }
        for unknown in ["libgcc-12-dev:armhf", "make:arm64", "Installed", "500 http"] {
            assert!(!catalog.contains(unknown), "{unknown}");
        }
    }
}
