//! Typed errors of Dockerfile reading.

use thiserror::Error;

/// Why a Dockerfile could not be read. Every message is one line naming
/// the line and the bad text.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ParseError {
    /// A line that does not start with an instruction keyword.
    #[error("line {line}: not an instruction: {text:?}")]
    BadInstruction {
        /// 1-based line.
        line: usize,
        /// The start of the line.
        text: String,
    },
    /// A keyword BuildKit does not know (`RUNN`, `COPPY`).
    #[error("line {line}: unknown instruction {keyword}")]
    UnknownInstruction {
        /// 1-based line.
        line: usize,
        /// The keyword as written.
        keyword: String,
    },
    /// An `escape` parser directive with another character than `\` or `` ` ``.
    #[error("line {line}: escape directive must be \\ or `, not {value:?}")]
    BadEscape {
        /// 1-based line.
        line: usize,
        /// The value given.
        value: String,
    },
    /// A here-document without its terminating line.
    #[error("line {line}: here-document {word} is never closed")]
    UnterminatedHeredoc {
        /// 1-based line of the instruction.
        line: usize,
        /// The terminator word.
        word: String,
    },
    /// Instructions before the first `FROM` other than `ARG`.
    #[error("line {line}: {keyword} before the first FROM")]
    BeforeFrom {
        /// 1-based line.
        line: usize,
        /// The instruction keyword.
        keyword: String,
    },
    /// A `FROM` without an image.
    #[error("line {line}: FROM needs an image")]
    EmptyFrom {
        /// 1-based line.
        line: usize,
    },
    /// No `FROM` at all.
    #[error("no FROM instruction: not a Dockerfile")]
    NoStages,
}
