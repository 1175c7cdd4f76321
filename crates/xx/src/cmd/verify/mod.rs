//! `xx-verify`: check that binaries are built for the target platform,
//! compatible with tonistiigi/xx's xx-verify but reading the headers
//! in-process (no `file`, nothing to install).

mod check;

use std::io::Write;
use std::path::Path;

use anyhow::Result;
use serde::Serialize;
use xx_inspect::{BinaryInfo, GlibcVersion};
use xx_platform::Vars;

use crate::exit::Outcome;
use check::{check, describe, Expectation};

const USAGE: &str = "\
Usage: xx-verify [--static] FILE [FILE]...

Check that each FILE is a binary for the target platform (TARGETPLATFORM, as
xx-info resolves it): format, architecture, word size, byte order and OS.

Options:
  --static           require statically linked binaries (also XX_VERIFY_STATIC=1)
  --all              check every file and report each failure, not just the first
  --json             print one JSON record per file on stdout (implies --all)
  --max-glibc X.Y    fail binaries that need a newer glibc than X.Y
  --max-glibcxx X.Y.Z
                     fail binaries that need a newer libstdc++ (GLIBCXX_X.Y.Z)
  --setup            accepted for compatibility; there is nothing to install
";

/// Parsed command line.
#[derive(Debug, Default)]
struct Options {
    require_static: bool,
    keep_going: bool,
    json: bool,
    setup: bool,
    max_glibc: Option<GlibcVersion>,
    max_glibcxx: Option<GlibcVersion>,
    files: Vec<String>,
}

/// Parse arguments the way xx does (flags anywhere), plus xx-rs's options.
/// `Err` carries the outcome to return (usage, invalid flag).
fn parse(args: &[String], vars: &dyn Vars) -> Result<Options, Outcome> {
    let mut options = Options {
        require_static: vars.get("XX_VERIFY_STATIC").as_deref() == Some("1"),
        ..Options::default()
    };
    let mut args = args.iter();
    let mut only_files = false;
    while let Some(arg) = args.next() {
        if only_files || !arg.starts_with('-') || arg == "-" {
            options.files.push(arg.clone());
            continue;
        }
        let (flag, inline_value) = match arg.split_once('=') {
            Some((flag, value)) => (flag, Some(value.to_string())),
            None => (arg.as_str(), None),
        };
        match flag {
            "--setup" => options.setup = true,
            "--static" => options.require_static = true,
            "--all" => options.keep_going = true,
            "--json" => {
                options.json = true;
                options.keep_going = true;
            }
            "--max-glibc" | "--max-glibcxx" => {
                let example = if flag == "--max-glibc" {
                    "2.31"
                } else {
                    "3.4.28"
                };
                let Some(value) = inline_value.or_else(|| args.next().cloned()) else {
                    return Err(Outcome::fail(format!(
                        "{flag} needs a version, e.g. {example}"
                    )));
                };
                match value.parse::<GlibcVersion>() {
                    Ok(version) if flag == "--max-glibc" => options.max_glibc = Some(version),
                    Ok(version) => options.max_glibcxx = Some(version),
                    Err(err) => {
                        return Err(Outcome::fail(format!(
                            "invalid {flag} value {value:?}: {err}"
                        )))
                    }
                }
            }
            "--help" | "-h" => {
                eprint!("{USAGE}");
                return Err(Outcome::Exit(1));
            }
            "--" => only_files = true,
            _ => return Err(Outcome::fail(format!("invalid flag {arg}"))),
        }
    }
    Ok(options)
}

/// One file's result, as `--json` prints it.
#[derive(Debug, Serialize)]
struct Record<'a> {
    file: &'a str,
    ok: bool,
    problem: Option<String>,
    #[serde(flatten)]
    info: Option<&'a BinaryInfo>,
}

/// Run `xx-verify`.
pub fn run(args: &[String], vars: &dyn Vars, out: &mut dyn Write) -> Result<Outcome> {
    let options = match parse(args, vars) {
        Ok(options) => options,
        Err(outcome) => return Ok(outcome),
    };
    if options.files.is_empty() {
        if options.setup {
            return Ok(Outcome::Success);
        }
        eprint!("{USAGE}");
        return Ok(Outcome::Exit(1));
    }

    let crate::host::TargetContext { target, mapped, .. } =
        match crate::host::TargetContext::resolve(vars) {
            Ok(context) => context,
            Err(outcome) => return Ok(outcome),
        };
    let Some(expected) = Expectation::for_target(
        &mapped,
        &target.platform.os,
        &target.platform.arch,
        options.require_static,
        options.max_glibc,
        options.max_glibcxx,
    ) else {
        return Ok(Outcome::fail(format!(
            "unsupported target architecture {} for xx-verify",
            target.platform
        )));
    };

    let mut failed = false;
    let stderr = std::io::stderr();
    let mut err = stderr.lock();
    for file in &options.files {
        let inspected = xx_inspect::inspect_path(Path::new(file));
        let problem = match &inspected {
            Err(xx_inspect::InspectError::NotFound) => format!("file not found: {file}"),
            Err(e) => format!("file {file}: {e}"),
            Ok(info) => match check(info, &expected) {
                None => String::new(),
                Some(mismatch) => format!("file {file} {mismatch}: {}", describe(info)),
            },
        };
        let ok = problem.is_empty();
        if options.json {
            let record = Record {
                file,
                ok,
                problem: (!ok).then(|| problem.clone()),
                info: inspected.as_ref().ok(),
            };
            serde_json::to_writer(&mut *out, &record)?;
            writeln!(out)?;
        }
        if !ok {
            writeln!(err, "{problem}")?;
            failed = true;
            if !options.keep_going {
                break;
            }
        }
    }
    Ok(if failed {
        Outcome::Exit(1)
    } else {
        Outcome::Success
    })
}
