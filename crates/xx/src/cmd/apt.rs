//! `xx-apt` and `xx-apt-get`: apt for the target platform, compatible with
//! tonistiigi/xx.
//!
//! The command line (`--fix-source-file`, `--print-source-file`, apt's own
//! arguments); the work is [`xx_pkg::apt_tool`]'s, with the target resolved
//! here once. apt's output and exit status come back unchanged.

use std::io::Write;
use std::path::Path;

use anyhow::Result;
use xx_pkg::apt_tool::{self, AptRun, AptTool};
use xx_pkg::args::{self, Request};
use xx_pkg::sources::{self, SourceFormat};
use xx_pkg::system;
use xx_platform::Vars;

use crate::exit::Outcome;

/// `xx-apt`: runs `apt`.
pub fn run_apt(args: &[String], vars: &dyn Vars, out: &mut dyn Write) -> Result<Outcome> {
    run("apt", args, vars, out)
}

/// `xx-apt-get`: runs `apt-get`.
pub fn run_apt_get(args: &[String], vars: &dyn Vars, out: &mut dyn Write) -> Result<Outcome> {
    run("apt-get", args, vars, out)
}

fn run(program: &str, argv: &[String], vars: &dyn Vars, out: &mut dyn Write) -> Result<Outcome> {
    let request = match args::parse(argv) {
        Ok(request) => request,
        Err(err) => return Ok(Outcome::fail(err)),
    };
    // Held until apt has finished, as xx does (nested runs skip it).
    let _lock = match vars.non_empty(system::NOLOCK_VAR) {
        Some(_) => None,
        None => Some(system::lock_apt()?),
    };
    match request {
        Request::FixSourceFile { file, arch } => {
            if !Path::new(&file).is_file() {
                return Ok(Outcome::fail(format!(
                    "--fix-source-file: {file} is not a file"
                )));
            }
            let format = SourceFormat::of_path(&file);
            system::edit_file(Path::new(&file), |text| {
                sources::restrict_to_arch(text, format, &arch)
            })?;
            Ok(Outcome::Success)
        }
        Request::PrintSourceFile => {
            writeln!(out, "{}", apt_tool::main_sources_file())?;
            Ok(Outcome::Success)
        }
        Request::Apt(apt_args) => {
            let context = match crate::host::TargetContext::resolve(vars) {
                Ok(context) => context,
                Err(outcome) => return Ok(outcome),
            };
            let tool = AptTool::from_vars(vars, &context.root);
            Ok(match tool.run(program, &apt_args, &context.target)? {
                AptRun::Skipped => Outcome::Success,
                AptRun::Ran(status) => Outcome::like_child(status),
            })
        }
    }
}
