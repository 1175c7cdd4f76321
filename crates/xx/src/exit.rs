//! How a tool ends: success, a plain failure exit, or a one-line error.

use std::fmt::Display;
use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;

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

    /// End as a child program did: its exit code, or 128 + the signal
    /// that killed it (as a shell reports it).
    pub fn like_child(status: ExitStatus) -> Outcome {
        match (status.code(), status.signal()) {
            (Some(0), _) => Outcome::Success,
            (Some(code), _) => Outcome::Exit(u8::try_from(code).unwrap_or(1)),
            (None, Some(signal)) => Outcome::Exit(u8::try_from(128 + signal).unwrap_or(1)),
            (None, None) => Outcome::Exit(1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn child_status_passes_through() {
        assert!(matches!(
            Outcome::like_child(ExitStatus::from_raw(0)),
            Outcome::Success
        ));
        assert!(matches!(
            Outcome::like_child(ExitStatus::from_raw(100 << 8)),
            Outcome::Exit(100)
        ));
        assert!(matches!(
            Outcome::like_child(ExitStatus::from_raw(9)),
            Outcome::Exit(137)
        ));
    }
}
