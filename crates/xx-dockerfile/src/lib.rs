//! Dockerfiles for xx-rs: reading them ([`parse`], [`stages`]) and the
//! lint ([`lint`]) that tells which stages of a multi-platform build run
//! under emulation, which compile on the build machine without a target,
//! and which use xx tools before the stage declares the target.
//!
//! Pure: text in, findings out. The `xx lint` command reads the file and
//! prints them.

pub mod error;
pub mod lint;
pub mod parse;
pub mod shell;
pub mod stages;

pub use error::ParseError;
pub use lint::{lint, Finding, Rule, Severity, RULES};
pub use stages::{Dockerfile, Stage, StagePlatform};
