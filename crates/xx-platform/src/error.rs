//! Typed errors of the platform model.

use thiserror::Error;

/// Why a platform could not be parsed or mapped.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PlatformError {
    /// A value holds characters outside `[a-z0-9._-]`.
    #[error("unsupported target: {origin} {value:?} may only contain a-z, 0-9, '.', '_' and '-'")]
    InvalidCharacters {
        /// The variable or flag the value came from.
        origin: &'static str,
        /// The offending value.
        value: String,
    },
    /// A value does not have the expected shape.
    #[error("unsupported target: {origin} {value:?} is not of the form {expected}")]
    Malformed {
        /// The variable or flag the value came from.
        origin: &'static str,
        /// The offending value.
        value: String,
        /// The shape that was expected.
        expected: &'static str,
    },
    /// The platform is well-formed but xx-rs has no mapping for it.
    #[error("unsupported target: os={os} arch={arch} variant={variant}")]
    Unsupported {
        /// Requested OS (or `unknown`).
        os: String,
        /// Requested architecture (or `unknown`).
        arch: String,
        /// Requested variant.
        variant: String,
    },
    /// The platform is supported but has no Rust target.
    #[error("no Rust target for {platform}")]
    NoRustTarget {
        /// The platform.
        platform: String,
    },
    /// A derived Rust triple is not one `target-lexicon` understands.
    #[error("invalid Rust triple {triple:?} for {platform}: {reason}")]
    InvalidRustTriple {
        /// The triple that was built.
        triple: String,
        /// The platform.
        platform: String,
        /// target-lexicon's complaint.
        reason: String,
    },
}
