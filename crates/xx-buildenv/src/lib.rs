//! What `xx-cargo` and `xx-go` put in a build's environment, as pure
//! functions of the target, the caller's variables and a few probed facts.
//!
//! * [`cargo`]: the Rust triple and the C toolchain names for it
//!   ([`cargo::CargoTarget`]), the variables cargo and the `cc`,
//!   `pkg-config` and `bindgen` crates read ([`cargo::env`]), the argument
//!   handling of `xx-cargo` ([`cargo::args`]), where the target's standard
//!   library comes from ([`cargo::stdlib`]) and the record of finished
//!   setups ([`cargo::record`]).
//! * [`go`]: `GOOS`, `GOARCH`, the variant settings, `CGO_ENABLED`, the C
//!   compilers and the `go env -w`-style file of `xx-go --wrap`.
//!
//! Nothing here reads files, looks at `PATH` or runs programs: the `xx`
//! binary probes the machine and passes the results in (see
//! `crates/xx/src/cmd/cargo` and `crates/xx/src/cmd/go.rs`).

pub mod cargo;
pub mod envname;
pub mod error;
pub mod go;

pub use error::BuildEnvError;
