//! Reading an `xx-apt` / `xx-apt-get` command line: which arguments are
//! apt's own and which are package names to rewrite for the target.

use crate::error::PkgError;

/// apt commands whose operands are package names (these get rewritten for
/// the target). xx rewrites the first six; `purge`, `reinstall` and
/// `download` take package names just the same.
pub const PACKAGE_COMMANDS: &[&str] = &[
    "install",
    "remove",
    "search",
    "show",
    "list",
    "info",
    "purge",
    "reinstall",
    "download",
];

/// apt options that take their value as the next argument (so that value
/// is never mistaken for a package name).
const OPTIONS_WITH_VALUE: &[&str] = &[
    "-o",
    "--option",
    "-c",
    "--config-file",
    "-t",
    "--target-release",
    "--default-release",
    "-a",
    "--host-architecture",
];

/// What an `xx-apt` command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// `--fix-source-file FILE ARCH`: restrict every entry of a sources
    /// file to one architecture (xx's test helper).
    FixSourceFile {
        /// The sources file to edit.
        file: String,
        /// The architecture to restrict it to.
        arch: String,
    },
    /// `--print-source-file` (anywhere): print the main apt sources file.
    PrintSourceFile,
    /// Run apt with these arguments.
    Apt(AptArgs),
}

/// An apt command line split into apt's arguments and package names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AptArgs {
    /// Options and the command, in the order given.
    pub args: Vec<String>,
    /// The package-taking command (`install`, `show`, ...), if any.
    pub command: Option<String>,
    /// Package operands after that command, in the order given.
    pub packages: Vec<String>,
}

impl AptArgs {
    /// The command line to run: apt's arguments, then `packages`
    /// (as xx does, packages go last).
    pub fn with_packages(&self, packages: &[String]) -> Vec<String> {
        self.args.iter().chain(packages).cloned().collect()
    }
}

/// Parse the arguments after argv[0].
pub fn parse(argv: &[String]) -> Result<Request, PkgError> {
    if argv.first().map(String::as_str) == Some("--fix-source-file") {
        return match argv {
            [_, file, arch] => Ok(Request::FixSourceFile {
                file: file.clone(),
                arch: arch.clone(),
            }),
            _ => Err(PkgError::Usage(
                "--fix-source-file takes a file and an architecture".into(),
            )),
        };
    }
    if argv.iter().any(|arg| arg == "--print-source-file") {
        return Ok(Request::PrintSourceFile);
    }
    let mut parsed = AptArgs::default();
    let mut takes_value = false;
    for arg in argv {
        if takes_value {
            takes_value = false;
            parsed.args.push(arg.clone());
        } else if arg.starts_with('-') {
            takes_value = OPTIONS_WITH_VALUE.contains(&arg.as_str());
            parsed.args.push(arg.clone());
        } else if PACKAGE_COMMANDS.contains(&arg.as_str()) {
            parsed.command = Some(arg.clone());
            parsed.args.push(arg.clone());
        } else if parsed.command.is_some() {
            parsed.packages.push(arg.clone());
        } else {
            parsed.args.push(arg.clone());
        }
    }
    Ok(Request::Apt(parsed))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    fn apt(words: &[&str]) -> AptArgs {
        match parse(&strings(words)) {
            Ok(Request::Apt(args)) => args,
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn splits_options_command_and_packages() {
        let args = apt(&[
            "-y",
            "install",
            "zlib1g-dev",
            "--no-install-recommends",
            "libssl-dev",
        ]);
        assert_eq!(args.command.as_deref(), Some("install"));
        assert_eq!(
            args.args,
            strings(&["-y", "install", "--no-install-recommends"])
        );
        assert_eq!(args.packages, strings(&["zlib1g-dev", "libssl-dev"]));
        assert_eq!(
            args.with_packages(&strings(&["a:arm64"])),
            strings(&["-y", "install", "--no-install-recommends", "a:arm64"])
        );
    }

    #[test]
    fn option_values_are_not_packages() {
        let args = apt(&[
            "install",
            "-o",
            "Debug::pkgProblemResolver=1",
            "-t",
            "bookworm",
            "zlib1g-dev",
        ]);
        assert_eq!(args.packages, strings(&["zlib1g-dev"]));
        assert_eq!(
            args.args,
            strings(&[
                "install",
                "-o",
                "Debug::pkgProblemResolver=1",
                "-t",
                "bookworm"
            ])
        );
        // Attached values stay one argument.
        let args = apt(&["install", "-oAPT::Get::Assume-Yes=1", "x"]);
        assert_eq!(args.packages, strings(&["x"]));
    }

    #[test]
    fn commands_without_packages_pass_through() {
        let args = apt(&["-q", "update"]);
        assert_eq!(args.command, None);
        assert_eq!(args.args, strings(&["-q", "update"]));
        assert!(args.packages.is_empty());
        assert_eq!(apt(&[]), AptArgs::default());
    }

    #[test]
    fn special_flags() {
        assert_eq!(
            parse(&strings(&["install", "--print-source-file"])),
            Ok(Request::PrintSourceFile)
        );
        assert_eq!(
            parse(&strings(&["--fix-source-file", "/f", "arm64"])),
            Ok(Request::FixSourceFile {
                file: "/f".into(),
                arch: "arm64".into()
            })
        );
        assert!(parse(&strings(&["--fix-source-file", "/f"])).is_err());
    }
}
