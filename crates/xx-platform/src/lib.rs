//! The xx-rs platform model.
//!
//! Pure logic only: parse the requested OCI platform (`TARGETPLATFORM`,
//! `TARGETPAIR`, `TARGETOS`/`TARGETARCH`/`TARGETVARIANT`), normalise it, and
//! derive every name a cross build needs from one architecture table
//! ([`arch::ARCHES`]), one OS table ([`os::OSES`]) and one distribution
//! table ([`distro::DISTROS`]). Facts about the machine come in through
//! [`HostInfo`] and environment variables through [`Vars`]; nothing here
//! reads files or runs commands.

pub mod arch;
pub mod distro;
pub mod docs;
pub mod error;
pub mod host;
pub mod os;
pub mod platform;
pub mod target;
pub mod vars;

pub use error::PlatformError;
pub use host::{HostInfo, OsRelease};
pub use platform::Platform;
pub use target::{Mapped, RustToolchain, Summary, Target};
pub use vars::{MapVars, Overlay, ProcessVars, Vars};

/// Every supported platform, one per OS/arch/variant row, in table order.
pub fn supported_platforms() -> Vec<Platform> {
    os::OSES
        .iter()
        .flat_map(|os_row| {
            os_row.arches.iter().flat_map(move |arch_name| {
                arch::rows_of(arch_name).map(move |row| Platform {
                    os: os_row.name.to_string(),
                    arch: row.arch.to_string(),
                    variant: row.variant.to_string(),
                })
            })
        })
        .filter(|platform| {
            // Windows has no arm v5/v6.
            let host = HostInfo::default();
            Target::for_platform(platform.clone(), &MapVars::default(), &host)
                .map(|t| t.mapped().is_ok())
                .unwrap_or(false)
        })
        .collect()
}
