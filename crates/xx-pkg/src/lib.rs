//! Package handling for xx-rs (`xx-apt`, `xx-apt-get`, `xx-apk`).
//!
//! The pure parts, unit-tested on their own:
//! * [`args`]: which arguments are apt's and which are package names;
//! * [`packages`]: rewriting package names for a cross target
//!   (`xx-c-essentials`, `p:<arch>`, `p-<triple>`, `p-<arch>-cross`);
//! * [`sources`]: apt source lists as text (serving or pinning an
//!   architecture, Ubuntu's ports archive);
//! * [`apk`]: xx-apk's requests, package names, `apk --root` command line,
//!   target-root repositories and runtime links.
//!
//! The effects live in [`system`]: running dpkg/apt through `duct` with
//! clear errors, atomic file writes and the `/var/lock/xx-apt` and
//! `/var/lock/xx-apk` locks.

pub mod apk;
pub mod args;
pub mod error;
pub mod packages;
pub mod sources;
pub mod system;

pub use error::PkgError;
