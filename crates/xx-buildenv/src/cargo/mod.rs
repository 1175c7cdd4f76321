//! Planning for `xx-cargo`: which triple cargo builds for, which C
//! toolchain links it, what goes into cargo's environment.

pub mod args;
pub mod env;
pub mod record;
pub mod stdlib;
pub mod target;

pub use args::CargoArgs;
pub use env::{CargoEnv, HostCompilers, Tools};
pub use target::CargoTarget;
