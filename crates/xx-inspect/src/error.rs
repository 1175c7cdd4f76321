//! The error type returned by every inspection function.

use std::io;

/// Why a file could not be inspected.
///
/// The [`Display`](std::fmt::Display) form is a single lower-case line meant to
/// follow a file name, as in `file /usr/bin/foo: truncated file: ...`. It never
/// contains the path itself; the caller adds that.
#[derive(Debug, thiserror::Error)]
pub enum InspectError {
    /// An operating-system error other than "not found" while opening,
    /// examining or mapping the file.
    #[error("cannot {operation}: {error}")]
    Io {
        /// What was being attempted, e.g. `"open file"` or `"map file"`.
        operation: &'static str,
        /// The underlying error (kept as a plain field, its text is already
        /// part of this error's message).
        error: io::Error,
    },

    /// The path (or the target of a symlink) does not exist.
    #[error("no such file")]
    NotFound,

    /// The path exists but is not a regular file.
    #[error("not a regular file ({kind})")]
    NotRegularFile {
        /// What it is instead: `"directory"`, `"fifo"`, `"socket"`,
        /// `"block device"`, `"character device"` or `"special file"`.
        kind: &'static str,
    },

    /// The file has zero length.
    #[error("empty file")]
    Empty,

    /// The file is recognized, but a structure it needs lies (partly) past the
    /// end of the data, which is what a cut-off download or copy looks like.
    #[error("truncated file: {detail}")]
    Truncated {
        /// Which structure is incomplete, with offsets and sizes.
        detail: String,
    },

    /// The file is recognized, but its headers are inconsistent.
    #[error("malformed binary: {detail}")]
    Malformed {
        /// What is inconsistent, with the offending values.
        detail: String,
    },

    /// The data is not an ELF, Mach-O or PE binary.
    #[error("not a supported binary: {description}")]
    UnknownFormat {
        /// A short guess at what the data is instead, e.g. `"script (#!)"`,
        /// `"text"`, `"ar archive"` or `"data"`.
        description: String,
    },
}

impl InspectError {
    pub(crate) fn truncated(detail: impl Into<String>) -> Self {
        InspectError::Truncated {
            detail: detail.into(),
        }
    }

    pub(crate) fn malformed(detail: impl Into<String>) -> Self {
        InspectError::Malformed {
            detail: detail.into(),
        }
    }
}
