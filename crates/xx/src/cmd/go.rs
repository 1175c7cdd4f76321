//! `xx-go`: go for the target platform, compatible with tonistiigi/xx.
//!
//! Exports `xx-info env`, `GOOS`/`GOARCH` and the variant settings
//! (`GOARM`, `GOAMD64`, `GOMIPS`, `GOMIPS64`), `CGO_ENABLED=0` for cross
//! builds unless set, and when cgo is on the target's C toolchain (`CC`,
//! `CXX`, `AR`, `PKG_CONFIG`), then runs go. `--wrap` writes those settings
//! into go's environment file (`go env GOENV`) so that plain `go` builds for
//! the target; `--unwrap` removes that file.

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use xx_buildenv::go::{self, Cgo, GoTools, PreferredCompiler};
use xx_platform::Vars;

use crate::exit::Outcome;
use crate::host::TargetContext;
use crate::toolchain::{cc_target, ClangEnv};
use xx_files::write_atomic;
use xx_pkg::apt_tool::Output;
use xx_toolchain::Compiler;

/// Run `xx-go` with its arguments (without argv[0]).
pub fn run(args: &[String], vars: &dyn Vars, _out: &mut dyn Write) -> Result<Outcome> {
    let Ok(go_program) = which::which("go") else {
        return Ok(Outcome::fail("go: not found"));
    };
    let context = match crate::host::TargetContext::resolve(vars) {
        Ok(context) => context,
        Err(outcome) => return Ok(outcome),
    };
    let (target, mapped) = (&context.target, &context.mapped);
    let mode = args.first().map(String::as_str);
    if mode == Some("--unwrap") {
        if let Some(file) = go_env_file(&go_program)? {
            match std::fs::remove_file(&file) {
                Ok(()) => {}
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
                Err(err) => bail!("cannot remove {}: {err}", file.display()),
            }
        }
        return Ok(Outcome::Success);
    }
    let wrap = mode == Some("--wrap");

    let cgo = Cgo::decide(vars, mapped.is_cross);
    let tools = if cgo.enabled || wrap {
        c_tools(&context, vars)
    } else {
        GoTools::default()
    };
    let plan = go::plan(target, vars, &tools, cgo)?;

    if wrap {
        if let Some(file) = go_env_file(&go_program)? {
            write_atomic(&file, &plan.wrap_file(), 0o644)?;
        }
        return Ok(Outcome::Success);
    }

    let mut command = std::process::Command::new(&go_program);
    command.args(args);
    for (key, value) in &plan.set {
        command.env(key, value);
    }
    if let Some(prefix) = &plan.path_prefix {
        let path = vars.get("PATH").unwrap_or_default();
        command.env("PATH", format!("{prefix}:{path}"));
    }
    let err = command.exec();
    Ok(Outcome::fail(format!(
        "cannot run {}: {err}",
        go_program.display()
    )))
}

/// The target's C tools, as xx finds them: `<triple>-gcc`/`-g++` when
/// installed, replaced by the xx-clang aliases when clang is preferred and
/// installed (clang is set up for the target here, in process, as
/// xx-clang does), then `<triple>-ar` and `<triple>-pkg-config`. When that
/// setup fails, xx-go says why and keeps gcc, as xx does.
fn c_tools(context: &TargetContext, vars: &dyn Vars) -> GoTools {
    let triple = context.mapped.triple.as_str();
    let found = |tool: &str| {
        let name = format!("{triple}-{tool}");
        which::which(&name).ok().map(|_| name)
    };
    let mut tools = GoTools {
        gcc: found("gcc"),
        gxx: found("g++"),
        ..GoTools::default()
    };
    match PreferredCompiler::from_vars(vars) {
        PreferredCompiler::Clang if which::which("clang").is_ok() => {
            let clang = ClangEnv::new(vars, &context.host, &context.root, Output::OnFailure);
            let target = cc_target(&context.target, &context.mapped);
            match clang.ensure(&target, Compiler::Clang) {
                Ok(_) => {
                    match crate::glibc::floor_compilers(vars, &clang, &target, "xx-go") {
                        Ok(floor) => tools.floor_compilers = floor,
                        Err(err) => {
                            eprintln!("xx-go: {err:#}");
                            std::process::exit(1);
                        }
                    }
                    tools.clang_triple = Some(target.triple);
                }
                Err(err) => eprintln!(
                    "xx-go: cannot set clang up for {triple} ({err:#}); using {}",
                    tools.gcc.as_deref().unwrap_or("go's default C compiler")
                ),
            }
        }
        PreferredCompiler::Clang => {}
        PreferredCompiler::Other(name) => {
            eprintln!("xx-go: XX_GO_PREFER_C_COMPILER={name} is not supported by xx-rs; using {triple}-gcc when installed");
        }
    }
    tools.ar = found("ar");
    tools.pkg_config = found("pkg-config");
    tools
}

/// `go env GOENV`: go's per-user environment file (none when empty or `off`).
fn go_env_file(go_program: &Path) -> Result<Option<PathBuf>> {
    let output = duct::cmd(go_program, ["env", "GOENV"])
        .stdout_capture()
        .stderr_capture()
        .unchecked()
        .run()
        .with_context(|| format!("cannot run {}", go_program.display()))?;
    if !output.status.success() {
        bail!(
            "`go env GOENV` failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let text = String::from_utf8_lossy(&output.stdout).trim().to_string();
    Ok((!text.is_empty() && text != "off").then(|| PathBuf::from(text)))
}
