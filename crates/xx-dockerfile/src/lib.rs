//! Dockerfiles for xx-rs: reading them ([`parse`], [`stages`]), the lint
//! ([`lint`]) that tells which stages of a multi-platform build run under
//! emulation, which compile on the build machine without a target, and
//! which use xx tools before the stage declares the target, and lowering
//! ([`lower`]), which rewrites compile stages to cross-compile natively
//! with the xx tools.
//!
//! Pure: text in, findings or text out. The `xx lint` and `xx lower`
//! commands read and write the files.

pub mod config;
pub mod error;
pub mod lint;
pub mod lower;
pub mod parse;
pub mod shell;
pub mod stages;

pub use config::{parse_config, Config as LintConfig, ConfigError, Threshold};
pub use error::ParseError;
pub use lint::{lint, Finding, Rule, Severity, RULES};
pub use lower::{lower, LowerError, Lowered, Options as LowerOptions};
pub use stages::{Dockerfile, Stage, StagePlatform};
