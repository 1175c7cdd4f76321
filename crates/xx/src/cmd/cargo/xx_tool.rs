//! Running other xx-rs tools (`xx clang ...`, `xx apt-get ...`) as child
//! processes of this same binary, the way xx's scripts call each other.

use std::path::PathBuf;

use anyhow::{anyhow, bail, Context, Result};

/// This binary (`/usr/local/bin/xx`, whatever link started it).
pub fn xx_exe() -> Result<PathBuf> {
    std::env::current_exe().context("cannot locate the xx binary")
}

/// Run `xx <tool> <args>` with `env` added to this process's environment.
/// Returns its stdout. On failure its output goes to stderr (as xx's
/// `execSilent` does) and the error names the command.
pub fn run_quiet(tool: &str, args: &[&str], env: &[(String, String)]) -> Result<String> {
    let exe = xx_exe()?;
    let mut command = duct::cmd(&exe, std::iter::once(tool).chain(args.iter().copied()));
    for (key, value) in env {
        command = command.env(key, value);
    }
    let output = command
        .stdin_null()
        .stdout_capture()
        .stderr_capture()
        .unchecked()
        .run()
        .with_context(|| format!("cannot run {} {tool}", exe.display()))?;
    let shown = || format!("xx-{tool} {}", args.join(" "));
    if !output.status.success() {
        eprint!("{}", String::from_utf8_lossy(&output.stdout));
        eprint!("{}", String::from_utf8_lossy(&output.stderr));
        bail!("`{}` failed ({})", shown(), output.status);
    }
    String::from_utf8(output.stdout).map_err(|_| anyhow!("`{}` printed non-UTF-8 output", shown()))
}
