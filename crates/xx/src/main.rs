//! `xx`: the xx-rs multicall binary.
//!
//! Invoked through a link named after a tool (`xx-info`, `xx-verify`, ...)
//! it runs that tool with xx-compatible arguments; invoked as `xx` it takes
//! the tool as its first argument (`xx info triple`) and offers
//! `xx install-links` for standalone installs. A first argument
//! `--xx-tool=<tool>` names the tool whatever the binary is called: the
//! scripts xx-rs writes use it, so that they work with a copy of the binary
//! named after another tool. No tool runs this binary again to call
//! another tool: they call the libraries.

mod cmd;
mod exit;
mod glibc;
mod host;
mod toolchain;
mod tools;

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use xx_platform::ProcessVars;

use exit::Outcome;

/// The `xx` command line (when not invoked through a tool link).
#[derive(Debug, Parser)]
#[command(
    name = "xx",
    version,
    about = "Cross-compilation helpers for Dockerfiles and hosts",
    after_help = tools_help()
)]
enum Cli {
    /// Create the xx-* links to this binary in a directory.
    InstallLinks {
        /// Directory for the links.
        #[arg(long, default_value = "/usr/local/bin")]
        dir: PathBuf,
    },
    /// Lint a Dockerfile: stages that run under emulation (XX001), builds
    /// on $BUILDPLATFORM without a target (XX002), xx tools used before
    /// ARG TARGETPLATFORM (XX003). Exits 1 with findings, 2 when the file
    /// cannot be read.
    Lint(cmd::lint::Args),
    /// Rewrite a Dockerfile so that its compile stages run on
    /// $BUILDPLATFORM and cross-compile with the xx tools; the report goes
    /// to stderr. Exits 2 when the file cannot be lowered.
    Lower(cmd::lower::Args),
    /// Run a tool: `xx info triple` is `xx-info triple`.
    #[command(external_subcommand)]
    Tool(Vec<OsString>),
}

fn tools_help() -> String {
    let mut text = String::from("Tools (run as `xx <tool>` or through an `xx-<tool>` link):\n");
    for tool in tools::TOOLS {
        text.push_str(&format!("  {:<12} {}\n", tool.name, tool.about));
    }
    text
}

fn main() -> ExitCode {
    let mut args = std::env::args_os();
    let argv0 = args.next().unwrap_or_default();
    let invoked_as = Path::new(&argv0)
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut rest: Vec<OsString> = args.collect();

    // `<xx> --xx-tool=<tool> ARGS`: the form scripts written by xx-rs use,
    // which runs the named tool whatever this binary is called.
    let named = rest
        .first()
        .and_then(|first| first.to_str())
        .and_then(|first| first.strip_prefix(xx_toolchain::shim::TOOL_ARG))
        .map(str::to_string);
    let outcome = if let Some(tool) = named {
        rest.remove(0);
        run_tool(&tool, rest)
    } else if invoked_as.starts_with("xx-") {
        run_tool(&invoked_as, rest)
    } else {
        run_xx()
    };
    finish(outcome)
}

/// `xx <subcommand>`.
fn run_xx() -> Outcome {
    match Cli::parse() {
        Cli::InstallLinks { dir } => match cmd::links::install(&dir) {
            Ok(report) => {
                print!("{report}");
                Outcome::Success
            }
            Err(err) => Outcome::fail(format!("{err:#}")),
        },
        Cli::Lint(args) => run_subcommand("lint", |out| cmd::lint::run(&args, out)),
        Cli::Lower(args) => run_subcommand("lower", |out| cmd::lower::run(&args, out)),
        Cli::Tool(mut argv) => {
            let name = argv.remove(0).to_string_lossy().into_owned();
            run_tool(&name, argv)
        }
    }
}

/// Run `xx <name>` writing to stdout; an error is one `xx <name>: ...` line.
fn run_subcommand(
    name: &str,
    run: impl FnOnce(&mut dyn Write) -> anyhow::Result<Outcome>,
) -> Outcome {
    let stdout = std::io::stdout();
    match run(&mut stdout.lock()) {
        Ok(outcome) => outcome,
        Err(err) => Outcome::fail(format!("xx {name}: {err:#}")),
    }
}

/// Run the tool called `name` with `args`.
fn run_tool(name: &str, args: Vec<OsString>) -> Outcome {
    let Some(tool) = tools::find(name) else {
        return Outcome::fail(format!(
            "unknown tool {name:?}; available: {}",
            tools::names()
        ));
    };
    let mut args_utf8 = Vec::with_capacity(args.len());
    for arg in args {
        match arg.into_string() {
            Ok(arg) => args_utf8.push(arg),
            Err(arg) => {
                return Outcome::fail(format!("{}: argument {arg:?} is not UTF-8", tool.name))
            }
        }
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match (tool.main)(&args_utf8, &ProcessVars, &mut out) {
        Ok(outcome) => outcome,
        Err(err) if is_broken_pipe(&err) => Outcome::Success,
        Err(err) => Outcome::fail(format!("{}: {err:#}", tool.name)),
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.downcast_ref::<std::io::Error>()
        .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
}

fn finish(outcome: Outcome) -> ExitCode {
    let _ = std::io::stdout().flush();
    match outcome {
        Outcome::Success => ExitCode::SUCCESS,
        Outcome::Exit(code) => ExitCode::from(code),
        Outcome::Error(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}
