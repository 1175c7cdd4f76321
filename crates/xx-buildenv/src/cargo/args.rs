//! The command line of `xx-cargo`: its own two flags, and where
//! `--target=<triple>` goes in cargo's arguments.

/// `xx-cargo`'s flags, taken out of the arguments, and the rest for cargo.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CargoArgs {
    /// `--setup-target-triple`: prepare the target, run nothing.
    pub setup_only: bool,
    /// `--print-target-triple`: prepare the target, print the Rust triple.
    pub print_target: bool,
    /// Everything else, in order, for cargo.
    pub cargo: Vec<String>,
}

/// The separator after which arguments belong to the program cargo runs.
const SEPARATOR: &str = "--";

/// Cargo's global options that take their value as the next argument.
const GLOBAL_OPTIONS_WITH_VALUE: &[&str] = &["--color", "--config", "--explain", "-Z", "-C"];

impl CargoArgs {
    /// Take `--setup-target-triple` and `--print-target-triple` out of
    /// `args` (anywhere before a `--`), as xx does.
    pub fn parse(args: &[String]) -> CargoArgs {
        let mut parsed = CargoArgs::default();
        let mut after_separator = false;
        for arg in args {
            if after_separator {
                parsed.cargo.push(arg.clone());
                continue;
            }
            match arg.as_str() {
                "--setup-target-triple" => parsed.setup_only = true,
                "--print-target-triple" => parsed.print_target = true,
                SEPARATOR => {
                    after_separator = true;
                    parsed.cargo.push(arg.clone());
                }
                _ => parsed.cargo.push(arg.clone()),
            }
        }
        parsed
    }

    /// Cargo's arguments with `--target=<rust_triple>` added, as xx does,
    /// except where it would break the command: it goes before a `--` (so
    /// that `xx-cargo run -- ARGS` keeps the program's arguments), and it is
    /// left out when the arguments already choose a target or name no
    /// subcommand (`xx-cargo --version`).
    pub fn with_target(&self, rust_triple: &str) -> Vec<String> {
        let end = self
            .cargo
            .iter()
            .position(|arg| arg == SEPARATOR)
            .unwrap_or(self.cargo.len());
        let own = &self.cargo[..end];
        let chooses_target = own
            .iter()
            .any(|arg| arg == "--target" || arg.starts_with("--target="));
        if chooses_target || subcommand(own).is_none() {
            return self.cargo.clone();
        }
        let mut args = own.to_vec();
        args.push(format!("--target={rust_triple}"));
        args.extend_from_slice(&self.cargo[end..]);
        args
    }
}

/// The cargo subcommand in `args` (the first word that is neither an
/// option, an option's value nor a `+toolchain`).
pub fn subcommand(args: &[String]) -> Option<&str> {
    let mut words = args.iter();
    while let Some(arg) = words.next() {
        if arg.starts_with('+') && arg.len() > 1 {
            continue;
        }
        if arg.starts_with('-') {
            if GLOBAL_OPTIONS_WITH_VALUE.contains(&arg.as_str()) {
                words.next();
            }
            continue;
        }
        return Some(arg);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn takes_out_its_own_flags() {
        let parsed = CargoArgs::parse(&strings(&[
            "build",
            "--print-target-triple",
            "--release",
            "--setup-target-triple",
        ]));
        assert!(parsed.setup_only && parsed.print_target);
        assert_eq!(parsed.cargo, strings(&["build", "--release"]));

        let run = CargoArgs::parse(&strings(&["run", "--", "--print-target-triple"]));
        assert!(!run.print_target);
        assert_eq!(run.cargo, strings(&["run", "--", "--print-target-triple"]));
    }

    #[test]
    fn target_goes_last_or_before_the_separator() {
        let t = "aarch64-unknown-linux-gnu";
        let build = CargoArgs::parse(&strings(&["build", "--release"]));
        assert_eq!(
            build.with_target(t),
            strings(&["build", "--release", "--target=aarch64-unknown-linux-gnu"])
        );
        let run = CargoArgs::parse(&strings(&["run", "-q", "--", "a", "--b"]));
        assert_eq!(
            run.with_target(t),
            strings(&[
                "run",
                "-q",
                "--target=aarch64-unknown-linux-gnu",
                "--",
                "a",
                "--b"
            ])
        );
        let toolchain = CargoArgs::parse(&strings(&["+nightly", "--color", "never", "test"]));
        assert_eq!(
            toolchain.with_target(t).last().map(String::as_str),
            Some("--target=aarch64-unknown-linux-gnu")
        );
    }

    #[test]
    fn no_target_without_a_subcommand_or_with_one_given() {
        let t = "aarch64-unknown-linux-gnu";
        for words in [
            &["--version"][..],
            &[][..],
            &["-Z", "unstable-options", "--list"][..],
            &["build", "--target", "x86_64-unknown-linux-gnu"][..],
            &["build", "--target=x86_64-unknown-linux-gnu"][..],
        ] {
            let parsed = CargoArgs::parse(&strings(words));
            assert_eq!(parsed.with_target(t), strings(words), "{words:?}");
        }
        assert_eq!(subcommand(&strings(&["--config", "a=1", "b"])), Some("b"));
    }
}
