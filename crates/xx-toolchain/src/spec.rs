//! What xx-cc needs to know about a target triple: its OS and its row in
//! the architecture table, whether it came from the environment
//! (`TARGETPLATFORM`, ...) or from an explicit `--target=`.

use xx_platform::arch::{self, ArchRow};

use crate::error::{Result, ToolchainError};

/// The OS family a triple targets, as far as xx-cc cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetOs {
    /// `*-linux-*`.
    Linux,
    /// `*-apple-macos*` / `*-darwin*`.
    Darwin,
    /// `*-w64-mingw32` / `*-windows-*`.
    Windows,
    /// Anything else (the BSDs, bare metal).
    Other,
}

impl TargetOs {
    /// The OS of an OCI platform name (`linux`, `darwin`, `windows`, ...).
    pub fn from_oci(os: &str) -> TargetOs {
        match os {
            "linux" => TargetOs::Linux,
            "darwin" => TargetOs::Darwin,
            "windows" => TargetOs::Windows,
            _ => TargetOs::Other,
        }
    }

    /// The OS a triple names, if it names one xx-cc knows.
    pub fn from_triple(triple: &str) -> Option<TargetOs> {
        if triple.contains("-linux-") || triple.ends_with("-linux") {
            Some(TargetOs::Linux)
        } else if triple.contains("-apple-")
            || triple.contains("-macos")
            || triple.contains("-darwin")
        {
            Some(TargetOs::Darwin)
        } else if triple.contains("-mingw32") || triple.contains("-windows") {
            Some(TargetOs::Windows)
        } else {
            None
        }
    }
}

/// A target as xx-cc sets it up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CcTarget {
    /// The triple, as given (`aarch64-linux-gnu`, `riscv64gc-unknown-linux-gnu`).
    pub triple: String,
    /// Its OS.
    pub os: TargetOs,
    /// Its architecture row, when the triple (or the environment) names one.
    pub arch: Option<&'static ArchRow>,
}

impl CcTarget {
    /// A target whose facts are known (the environment's target).
    pub fn known(triple: impl Into<String>, os: TargetOs, arch: &'static ArchRow) -> CcTarget {
        CcTarget {
            triple: triple.into(),
            os,
            arch: Some(arch),
        }
    }

    /// Read OS and architecture from an explicit triple; parts the triple
    /// does not name come from `fallback` (the environment's target), as xx
    /// does.
    pub fn from_triple(triple: &str, fallback: Option<&CcTarget>) -> Result<CcTarget> {
        validate_triple(triple)?;
        if let Some(known) = fallback.filter(|known| known.triple == triple) {
            return Ok(known.clone());
        }
        let os = TargetOs::from_triple(triple)
            .or_else(|| fallback.map(|known| known.os))
            .unwrap_or(TargetOs::Other);
        let arch = arch::find_by_triple(triple).or_else(|| fallback.and_then(|known| known.arch));
        Ok(CcTarget {
            triple: triple.to_string(),
            os,
            arch,
        })
    }

    /// The value clang gets for `--target=`: the triple with the
    /// architecture spelled as LLVM reads it (`riscv64` even when the
    /// triple says `riscv64gc`; see [`arch::clang_triple`]).
    pub fn clang_target(&self) -> String {
        arch::clang_triple(&self.triple)
    }

    /// The triple Debian's GNU cross binutils use for this Linux target: no
    /// vendor and the table's plain GNU architecture (`s390x-linux-gnu` for
    /// `s390x-unknown-linux-gnu`, `arm-linux-gnueabihf` for
    /// `armv7-unknown-linux-gnueabihf`), so `binutils-<it>` names the
    /// package and `<it>-ld` its linker. `None` off Linux or when no
    /// architecture row is known.
    pub fn binutils_triple(&self) -> Option<String> {
        if self.os != TargetOs::Linux {
            return None;
        }
        let row = self.arch?;
        let (_, system) = self.triple.split_once("-linux-")?;
        Some(format!("{}-linux-{system}", row.gnu_arch))
    }

    /// Whether the triple uses glibc (`-linux-gnu*`), so Debian multiarch
    /// directories hold its libraries.
    pub fn is_glibc(&self) -> bool {
        self.triple.contains("-linux-gnu")
    }

    /// Whether the triple contains a dot (`x86_64-apple-macos10.6`); LLVM
    /// tools reached through such a name misread their own name, so xx-cc
    /// aliases them with scripts rather than links.
    pub fn has_dot(&self) -> bool {
        self.triple.contains('.')
    }
}

/// Reject triples that could not be a file name component.
pub fn validate_triple(triple: &str) -> Result<()> {
    let ok = !triple.is_empty()
        && !triple.starts_with(['-', '.'])
        && triple
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(ToolchainError::InvalidTriple(triple.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(triple: &str) -> (TargetOs, Option<(&'static str, &'static str)>) {
        let target = CcTarget::from_triple(triple, None).unwrap();
        (target.os, target.arch.map(|row| (row.arch, row.variant)))
    }

    #[test]
    fn reads_os_and_arch_from_triples() {
        use TargetOs::*;
        assert_eq!(parsed("aarch64-linux-gnu"), (Linux, Some(("arm64", ""))));
        assert_eq!(parsed("arm-linux-gnueabihf"), (Linux, Some(("arm", "v7"))));
        assert_eq!(parsed("arm-linux-gnueabi"), (Linux, Some(("arm", "v6"))));
        assert_eq!(
            parsed("armv6-alpine-linux-musleabihf"),
            (Linux, Some(("arm", "v6")))
        );
        assert_eq!(parsed("i686-linux-gnu"), (Linux, Some(("386", ""))));
        assert_eq!(parsed("i586-alpine-linux-musl"), (Linux, Some(("386", ""))));
        assert_eq!(parsed("s390x-linux-gnu"), (Linux, Some(("s390x", ""))));
        assert_eq!(
            parsed("powerpc64le-linux-gnu"),
            (Linux, Some(("ppc64le", "")))
        );
        assert_eq!(
            parsed("mips64el-linux-gnuabi64"),
            (Linux, Some(("mips64le", "")))
        );
        assert_eq!(
            parsed("riscv64gc-unknown-linux-gnu"),
            (Linux, Some(("riscv64", "")))
        );
        assert_eq!(
            parsed("x86_64-apple-macos10.6"),
            (Darwin, Some(("amd64", "")))
        );
        assert_eq!(
            parsed("arm64-apple-macos11.0"),
            (Darwin, Some(("arm64", "")))
        );
        assert_eq!(parsed("x86_64-w64-mingw32"), (Windows, Some(("amd64", ""))));
        assert_eq!(parsed("sparc-sun-solaris"), (Other, None));
    }

    #[test]
    fn unknown_parts_come_from_the_environment() {
        let row = arch::find("arm", "v6").unwrap();
        let env = CcTarget::known("arm-linux-gnueabi", TargetOs::Linux, row);
        assert_eq!(
            CcTarget::from_triple("arm-linux-gnueabi", Some(&env)).unwrap(),
            env
        );
        let odd = CcTarget::from_triple("weird-thing", Some(&env)).unwrap();
        assert_eq!(odd.os, TargetOs::Linux);
        assert_eq!(odd.arch, Some(row));
    }

    #[test]
    fn clang_target_drops_gc() {
        let target = CcTarget::from_triple("riscv64gc-unknown-linux-gnu", None).unwrap();
        assert_eq!(target.clang_target(), "riscv64-unknown-linux-gnu");
        let target = CcTarget::from_triple("aarch64-linux-gnu", None).unwrap();
        assert_eq!(target.clang_target(), "aarch64-linux-gnu");
    }

    #[test]
    fn rejects_unsafe_triples() {
        for bad in ["", "a b", "../x", "a/b", "x;rm", "-x", ".hidden", "a$b"] {
            assert!(CcTarget::from_triple(bad, None).is_err(), "{bad:?}");
        }
        assert!(CcTarget::from_triple("x86_64-apple-macos10.6", None).is_ok());
    }
}
