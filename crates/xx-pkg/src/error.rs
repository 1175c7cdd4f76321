//! Typed errors of package handling.

use std::path::PathBuf;

use thiserror::Error;

/// Why an xx-apt step failed. Every message is one line naming the bad
/// value, file or command.
#[derive(Debug, Error)]
pub enum PkgError {
    /// The command line is malformed.
    #[error("{0}")]
    Usage(String),
    /// A program could not be started at all.
    #[error("cannot run `{command}`: {source}")]
    Spawn {
        /// The command line.
        command: String,
        /// Why it could not start.
        source: std::io::Error,
    },
    /// A program ran and failed.
    #[error("`{command}` failed ({status})")]
    Failed {
        /// The command line.
        command: String,
        /// How it ended, e.g. `exit status: 100`.
        status: std::process::ExitStatus,
    },
    /// A file could not be read, written or locked.
    #[error("{action} {}: {source}", path.display())]
    File {
        /// What was attempted (`cannot read`, `cannot lock`).
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A file could not be written atomically or locked.
    #[error(transparent)]
    Files(#[from] xx_files::FileError),
}

impl PartialEq for PkgError {
    fn eq(&self, other: &Self) -> bool {
        self.to_string() == other.to_string()
    }
}
