//! How a tool ends: success, a plain failure exit, or a one-line error.

use std::fmt::Display;

/// The result of running a tool.
#[derive(Debug)]
pub enum Outcome {
    /// Exit 0.
    Success,
    /// Exit with this status, having printed whatever was needed
    /// (1 for xx's plain failures, or a child's status passed through).
    Exit(u8),
    /// Print one line to stderr and exit 1.
    Error(String),
}

impl Outcome {
    /// A one-line failure message.
    pub fn fail(message: impl Display) -> Outcome {
        Outcome::Error(message.to_string())
    }
}
