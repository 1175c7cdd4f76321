//! The prerequisite install of `cargo xtask test` (xtask/src/prereq.rs,
//! included unchanged), so that a test can run it chrooted into a sandbox
//! against a local archive with a failing foreign-architecture index.

#[allow(dead_code)]
#[path = "../../xtask/src/prereq.rs"]
mod prereq;

pub use prereq::{install_packages_on, AptHost};
pub use xx_pkg::apt_output::FailedFetch;
