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
//! `/var/lock/xx-apk` locks. [`apt_tool`] and [`apk_tool`] are what
//! `xx-apt-get` and `xx-apk` do, as libraries that take a resolved
//! [`xx_platform::Target`]: the command-line tools and every other tool that
//! needs target packages (xx-cargo, xx-clang) install through them, so
//! there is one install path and one lock per package manager.

pub mod apk;
pub mod apk_tool;
pub mod apt_output;
pub mod apt_tool;
pub mod args;
pub mod error;
pub mod packages;
pub mod sources;
pub mod system;

pub use error::PkgError;
