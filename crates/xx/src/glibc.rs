//! `XX_GLIBC`: the glibc floor, for every tool that runs clang (xx-clang,
//! xx-cargo's linker, xx-go's cgo): whether it applies to a target, the
//! floor's files ([`xx_toolchain::glibc_sysroot`]) and the compiler
//! arguments ([`xx_toolchain::glibc_floor`]).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{anyhow, Result};
use xx_inspect::GlibcVersion;
use xx_platform::Vars;
use xx_toolchain::glibc_floor::{self, FloorSource, FLOOR_VAR};
use xx_toolchain::glibc_sysroot::{self, Floor, FloorTarget};
use xx_toolchain::{CcTarget, TargetOs};

use crate::exit::Outcome;
use crate::toolchain::ClangEnv;

/// The `XX_GLIBC` value, when set and not empty.
pub fn requested(vars: &dyn Vars) -> Option<String> {
    vars.non_empty(FLOOR_VAR)
}

/// The floor in effect for `target`: `None` without `XX_GLIBC`, or (with a
/// warning on stderr from `tool`) for targets that do not use glibc; an
/// error for a value outside 2.17 ..= the installed glibc.
pub fn floor_for(vars: &dyn Vars, target: &CcTarget, tool: &str) -> Result<Option<GlibcVersion>> {
    let Some(value) = requested(vars) else {
        return Ok(None);
    };
    if !applies_to(target) {
        eprintln!(
            "{tool}: warning: {FLOOR_VAR}={value} ignored for {}: a glibc floor applies to Linux glibc targets only",
            target.triple
        );
        return Ok(None);
    }
    let installed = glibc_sysroot::installed_glibc()?;
    Ok(Some(glibc_floor::parse_floor(&value, installed)?))
}

/// Whether a floor means anything for `target` (Linux, glibc).
pub fn applies_to(target: &CcTarget) -> bool {
    target.os == TargetOs::Linux && target.is_glibc() && target.arch.is_some()
}

/// Build (once) the floor's files for `target` (set up before).
pub fn ensure(clang: &ClangEnv, target: &CcTarget, floor: GlibcVersion) -> Result<Floor> {
    let row = target
        .arch
        .ok_or_else(|| anyhow!("{FLOOR_VAR}: unknown architecture of {}", target.triple))?;
    let stderr = std::io::stderr();
    let linker = clang.with_setup(|setup| setup.choose_linker(target, &mut stderr.lock()))?;
    let clang_program = clang.layout.bin("clang");
    let ar = clang.with_setup(|setup| setup.clang_dir()).join("llvm-ar");
    let ar = if ar.is_file() {
        ar
    } else {
        which::which("llvm-ar").unwrap_or_else(|_| PathBuf::from("ar"))
    };
    let floor_target = FloorTarget {
        tuple: row.debian_multiarch.to_string(),
        debian_arch: row.debian.to_string(),
        clang_target: target.clang_target(),
        fuse_ld: linker.fuse_ld,
    };
    let mirror = clang
        .mirror_override
        .clone()
        .unwrap_or_else(|| glibc_sysroot::debian_mirror(Path::new("/")));
    Ok(glibc_sysroot::ensure_floor(
        &clang.layout,
        &floor_target,
        floor,
        &clang_program,
        &ar,
        &mirror,
    )?)
}

/// The arguments that apply `floor` after `--config <config>`; for C++ at
/// bullseye floors the C++ include directories clang would use are asked
/// from clang first (`-nostdlibinc` drops them).
pub fn clang_args(floor: &Floor, cxx: bool, clangxx: &Path, config: Option<&Path>) -> Vec<String> {
    let mut paths = floor.paths.clone();
    if cxx && FloorSource::for_floor(floor.version) == FloorSource::Bullseye {
        let mut command = Command::new(clangxx);
        if let Some(config) = config {
            command.arg("--config").arg(config);
        }
        let output = command
            .args(["-E", "-x", "c++", "-v", "/dev/null", "-o", "/dev/null"])
            .output();
        if let Ok(output) = output {
            paths.cxx_include_dirs =
                glibc_floor::cxx_include_dirs(&String::from_utf8_lossy(&output.stderr));
        }
    }
    glibc_floor::clang_args(&paths, cxx)
}

/// Run `program ARGS` with stdout and stdin inherited; its stderr is
/// passed on, followed by an explanation for each undefined symbol the
/// floor left out. Exits as the compiler did.
pub fn run_explaining(program: &Path, args: &[String], floor: &Floor) -> Result<Outcome> {
    let mut child = Command::new(program)
        .args(args)
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|err| anyhow!("cannot run {}: {err}", program.display()))?;
    // Pass each line on as it comes, keeping a copy to explain.
    let mut text = Vec::new();
    if let Some(pipe) = child.stderr.take() {
        let stderr = std::io::stderr();
        for line in BufReader::new(pipe).split(b'\n') {
            let Ok(mut line) = line else { break };
            line.push(b'\n');
            let _ = stderr.lock().write_all(&line);
            text.extend_from_slice(&line);
        }
    }
    let status = child.wait()?;
    let text = String::from_utf8_lossy(&text);
    if !status.success() {
        for line in glibc_floor::explain_link_errors(&text, &floor.too_new(), floor.version) {
            eprintln!("{line}");
        }
    }
    Ok(Outcome::like_child(status))
}

/// For xx-cargo and xx-go: when `XX_GLIBC` applies to `target` (set up
/// before), build the floor and return the C and C++ compilers that apply
/// it (scripts in the floor's folder that run xx-clang with the floor).
pub fn floor_compilers(
    vars: &dyn Vars,
    clang: &ClangEnv,
    target: &CcTarget,
    tool: &str,
) -> Result<Option<(String, String)>> {
    let Some(version) = floor_for(vars, target, tool)? else {
        return Ok(None);
    };
    let floor = ensure(clang, target, version)?;
    let xx = crate::cmd::links::this_binary()?;
    let prefix = (clang.layout.prefix != Path::new("/")).then_some(clang.layout.prefix.as_path());
    let cc = floor.ensure_shim(&xx, &target.triple, false, prefix)?;
    let cxx = floor.ensure_shim(&xx, &target.triple, true, prefix)?;
    Ok(Some((cc.display().to_string(), cxx.display().to_string())))
}
