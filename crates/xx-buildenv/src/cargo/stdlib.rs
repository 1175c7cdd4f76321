//! Where a target's Rust standard library comes from.

use std::path::{Path, PathBuf};

/// How the Rust standard library for a target gets installed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StdSource {
    /// `rustup target add <triple>`.
    Rustup,
    /// A Debian/Ubuntu package through `xx-apt-get` (`libstd-rust-dev`, or
    /// `libstd-rust-web-dev` for the `rustc-web` compiler).
    Apt {
        /// Package name without architecture.
        package: &'static str,
    },
    /// Alpine's `rust-stdlib` through `xx-apk`.
    Apk,
    /// No known way (another distribution, or a compiler no package owns).
    Unknown,
}

/// The Debian package of Debian's `rustc`'s standard library.
pub const DEBIAN_STD: &str = "libstd-rust-dev";
/// The Debian package of the `rustc-web` compiler's standard library.
pub const DEBIAN_WEB_STD: &str = "libstd-rust-web-dev";
/// Alpine's standard library package.
pub const ALPINE_STD: &str = "rust-stdlib";

/// What the caller found out about the compiler in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompilerFacts {
    /// rustc is managed by rustup.
    pub rustup: bool,
    /// The build root is Alpine.
    pub alpine: bool,
    /// The build root is Debian or Ubuntu.
    pub debian_family: bool,
    /// rustc belongs to the `rustc-web` package.
    pub rustc_web: bool,
}

impl StdSource {
    /// The way to install the standard library, as xx chooses it: rustup
    /// when it manages the compiler, else the distribution's package.
    pub fn choose(facts: CompilerFacts) -> StdSource {
        if facts.rustup {
            StdSource::Rustup
        } else if facts.alpine {
            StdSource::Apk
        } else if facts.debian_family {
            StdSource::Apt {
                package: if facts.rustc_web {
                    DEBIAN_WEB_STD
                } else {
                    DEBIAN_STD
                },
            }
        } else {
            StdSource::Unknown
        }
    }

    /// How a person installs it, for error messages
    /// (`xx-apt-get install -y libstd-rust-web-dev` => `libstd-rust-web-dev:arm64`).
    pub fn describe(&self, rust_triple: &str, pkg_arch: &str) -> String {
        match self {
            StdSource::Rustup => format!("rustup target add {rust_triple}"),
            StdSource::Apt { package } => {
                format!("xx-apt-get install -y {package} (the Debian package {package}:{pkg_arch})")
            }
            StdSource::Apk => format!("xx-apk add {ALPINE_STD} (the Alpine package {ALPINE_STD})"),
            StdSource::Unknown => {
                format!("install the Rust standard library for {rust_triple}")
            }
        }
    }
}

/// The `apt-get install` operand for a distribution package of the
/// standard library: pinned to the compiler package's `version` when it is
/// known (`libstd-rust-web-dev=1.85.0+dfsg3-1~deb12u3`), since rustc only
/// loads a standard library built by the very same compiler and the
/// archive's newest one may be newer than the installed rustc.
pub fn apt_operand(package: &str, version: Option<&str>) -> String {
    match version {
        Some(version) if !version.is_empty() => format!("{package}={version}"),
        _ => package.to_string(),
    }
}

/// `<sysroot>/lib/rustlib/<triple>`: where rustc looks for a target's
/// standard library.
pub fn std_dir(rustc_sysroot: &Path, rust_triple: &str) -> PathBuf {
    rustc_sysroot.join("lib/rustlib").join(rust_triple)
}

/// The hint shown when rustup cannot download a target: the distribution
/// packages that provide one without network access.
pub fn rustup_offline_hint(rust_triple: &str, pkg_arch: &str, debian_family: bool) -> String {
    if debian_family {
        format!(
            "rustup could not download the standard library for {rust_triple}; without network access use Debian's compiler instead: `apt-get install rustc-web cargo-web` and `xx-apt-get install -y {DEBIAN_WEB_STD}` (the package {DEBIAN_WEB_STD}:{pkg_arch}; {DEBIAN_STD}:{pkg_arch} for Debian's older rustc), then put /usr/bin before rustup's directory in PATH or set RUSTC=/usr/bin/rustc"
        )
    } else {
        format!(
            "rustup could not download the standard library for {rust_triple}; install a toolchain that has it, or the distribution's rustc and its standard library package for {pkg_arch}"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apt_operands_pin_the_compilers_version() {
        assert_eq!(
            apt_operand(DEBIAN_WEB_STD, Some("1.85.0+dfsg3-1~deb12u3")),
            "libstd-rust-web-dev=1.85.0+dfsg3-1~deb12u3"
        );
        assert_eq!(apt_operand(DEBIAN_STD, None), "libstd-rust-dev");
        assert_eq!(apt_operand(DEBIAN_STD, Some("")), "libstd-rust-dev");
    }

    fn facts(rustup: bool, alpine: bool, debian_family: bool, rustc_web: bool) -> CompilerFacts {
        CompilerFacts {
            rustup,
            alpine,
            debian_family,
            rustc_web,
        }
    }

    #[test]
    fn sources_follow_xx() {
        assert_eq!(
            StdSource::choose(facts(true, false, true, false)),
            StdSource::Rustup
        );
        assert_eq!(
            StdSource::choose(facts(true, true, false, false)),
            StdSource::Rustup
        );
        assert_eq!(
            StdSource::choose(facts(false, true, false, false)),
            StdSource::Apk
        );
        assert_eq!(
            StdSource::choose(facts(false, false, true, false)),
            StdSource::Apt {
                package: "libstd-rust-dev"
            }
        );
        assert_eq!(
            StdSource::choose(facts(false, false, true, true)),
            StdSource::Apt {
                package: "libstd-rust-web-dev"
            }
        );
        assert_eq!(
            StdSource::choose(facts(false, false, false, false)),
            StdSource::Unknown
        );
    }

    #[test]
    fn messages_name_the_packages() {
        let apt = StdSource::Apt {
            package: DEBIAN_WEB_STD,
        };
        assert!(apt
            .describe("aarch64-unknown-linux-gnu", "arm64")
            .contains("libstd-rust-web-dev:arm64"));
        let hint = rustup_offline_hint("aarch64-unknown-linux-gnu", "arm64", true);
        assert!(
            hint.contains("rustc-web") && hint.contains("libstd-rust-web-dev:arm64"),
            "{hint}"
        );
        assert_eq!(
            std_dir(Path::new("/usr"), "aarch64-unknown-linux-gnu"),
            Path::new("/usr/lib/rustlib/aarch64-unknown-linux-gnu")
        );
    }
}
