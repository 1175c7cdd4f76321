//! Toolchain setup for xx-rs's `xx-cc`/`xx-clang`/`xx-clang++`/`xx-c++`.
//!
//! Pure parts: the linker decision ([`linker::plan`]), the clang config
//! text ([`clang_config`]), CMake toolchain and Meson cross files
//! ([`crossfile`]) and the shim scripts ([`shim`]). Effectful parts: atomic,
//! idempotent file writes under a lock ([`files`]), the first-use setup
//! ([`setup`]) and wrap/unwrap ([`wrap`]).

pub mod args;
pub mod clang_config;
pub mod crossfile;
pub mod error;
pub mod glibc_floor;
pub mod glibc_sysroot;
pub mod layout;
pub mod linker;
pub mod probe;
pub mod setup;
pub mod shim;
pub mod spec;
pub mod wrap;

pub use error::{Result, ToolchainError};
pub use layout::Layout;
pub use setup::{Compiler, PackageInstaller, Setup, SetupReport};
pub use spec::{CcTarget, TargetOs};
