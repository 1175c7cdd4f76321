//! apk's three kinds of output: messages on stdout and warnings on stderr
//! (both silenced by `-q`), errors on stderr (always).

/// Where the fixture's messages go, at the verbosity the options set.
#[derive(Debug, Clone, Copy)]
pub struct Console {
    verbosity: i32,
}

impl Console {
    /// A console at `verbosity` (1 by default, 0 with `-q`, 2 with `-v`).
    pub fn new(verbosity: i32) -> Console {
        Console { verbosity }
    }

    /// The verbosity.
    pub fn verbosity(&self) -> i32 {
        self.verbosity
    }

    /// A line on stdout unless quiet.
    pub fn message(&self, text: &str) {
        if self.verbosity > 0 {
            println!("{text}");
        }
    }

    /// `WARNING: <text>` on stderr unless quiet.
    pub fn warning(&self, text: &str) {
        if self.verbosity > 0 {
            eprintln!("WARNING: {text}");
        }
    }

    /// `ERROR: <text>` on stderr.
    pub fn error(&self, text: &str) {
        eprintln!("ERROR: {text}");
    }
}
