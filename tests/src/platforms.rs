//! Facts about target platforms, taken from xx-platform's architecture
//! table (the same table the tools use), so the tests never re-spell them.

use anyhow::{bail, Context, Result};
use xx_platform::{arch, Platform};

/// The table row of an OCI platform (`linux/arm/v7`).
fn row(platform: &str) -> Result<&'static arch::ArchRow> {
    let parsed = Platform::parse(platform).with_context(|| format!("platform {platform:?}"))?;
    match arch::find(&parsed.arch, &parsed.variant) {
        Some(row) => Ok(row),
        None => bail!("platform {platform:?} has no row in the architecture table"),
    }
}

/// The suffix of the qemu-user binary that runs `platform`'s programs
/// (`aarch64` for `linux/arm64`, `arm` for `linux/arm/v7`).
pub fn qemu_suffix(platform: &str) -> Result<&'static str> {
    Ok(row(platform)?.qemu)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes_come_from_the_table() {
        assert_eq!(qemu_suffix("linux/arm64").unwrap(), "aarch64");
        assert_eq!(qemu_suffix("linux/arm/v7").unwrap(), "arm");
        assert_eq!(qemu_suffix("linux/386").unwrap(), "i386");
        assert_eq!(qemu_suffix("linux/amd64").unwrap(), "x86_64");
        assert_eq!(qemu_suffix("linux/mips64le").unwrap(), "mips64el");
        assert!(qemu_suffix("linux/nonsense").is_err());
    }
}
