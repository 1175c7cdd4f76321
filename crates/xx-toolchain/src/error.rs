//! Typed errors of the toolchain setup.

use std::path::PathBuf;

use thiserror::Error;

/// Why setting up or using a toolchain failed.
#[derive(Debug, Error)]
pub enum ToolchainError {
    /// The compiler xx-cc wraps is not installed where xx expects it.
    #[error("{} not found; install clang (e.g. `apt-get install -y clang lld` or `apk add clang lld`)", path.display())]
    CompilerMissing {
        /// The path that was looked up (`/usr/bin/clang`).
        path: PathBuf,
    },
    /// Neither lld (for an architecture lld links) nor a GNU `ld` exists.
    #[error(
        "no suitable linker found for {triple}. Please install lld or ld for your target{hint}"
    )]
    NoLinker {
        /// The target triple.
        triple: String,
        /// What to install, e.g. ` (xx-apt-get install -y binutils)`.
        hint: String,
    },
    /// A `--target=` value with characters that cannot be a triple.
    #[error("invalid target triple {0:?}: only a-z, A-Z, 0-9, '.', '_' and '-' are allowed")]
    InvalidTriple(String),
    /// The glibc floor (`XX_GLIBC`) cannot be applied.
    #[error("glibc floor: {0}")]
    Floor(String),
    /// A filesystem operation failed.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What was attempted (`write`, `lock`, `create directory`).
        action: &'static str,
        /// The path it was attempted on.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A file could not be written, linked or locked.
    #[error(transparent)]
    File(#[from] xx_files::FileError),
    /// An external program failed.
    #[error("`{command}` failed: {source}")]
    Command {
        /// The command line that was run.
        command: String,
        /// The underlying error (exit status or spawn failure).
        #[source]
        source: std::io::Error,
    },
}

impl ToolchainError {
    /// An I/O error on `path` while doing `action`.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        ToolchainError::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

/// Result alias for this crate.
pub type Result<T, E = ToolchainError> = std::result::Result<T, E>;
