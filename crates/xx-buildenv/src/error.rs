//! Typed errors of the build-environment planning.

use thiserror::Error;
use xx_platform::PlatformError;

/// Why no build environment could be planned.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BuildEnvError {
    /// The target platform is malformed, unsupported or has no Rust target.
    #[error(transparent)]
    Platform(#[from] PlatformError),
    /// A record file line is not `<rust triple> <rustc>`.
    #[error("malformed line {line:?} in the xx-cargo record")]
    MalformedRecord {
        /// The offending line.
        line: String,
    },
}
