//! `xx-cargo`: cargo for the target platform, compatible with
//! tonistiigi/xx.
//!
//! On first use for a target (recorded in `/.xx-cargo.<arch>`, under the
//! lock `/var/lock/xx-cargo`; in the user's cache when `/` is not
//! writable) it sets clang up for the target and makes sure rustc has the
//! target's standard library. Then it runs cargo with `--target=<triple>`
//! and an environment that links with `<triple>-clang`, gives the `cc`,
//! `pkg-config` and `bindgen` crates the target's tools and runs target
//! programs under qemu-user (see `xx_buildenv::cargo::env`).

mod rust_tools;
mod setup;
pub(crate) mod state;

use std::io::Write;
use std::os::unix::process::CommandExt;

use anyhow::Result;
use xx_buildenv::cargo::record::Entry;
use xx_buildenv::cargo::stdlib::CompilerFacts;
use xx_buildenv::cargo::{env, CargoArgs, CargoEnv, CargoTarget};
use xx_platform::{HostInfo, Vars};

use crate::exit::Outcome;
use rust_tools::RustTools;
use setup::CcPlace;
use state::StatePaths;
use xx_files::FileLock;

/// Run `xx-cargo` with its arguments (without argv[0]).
pub fn run(args: &[String], vars: &dyn Vars, out: &mut dyn Write) -> Result<Outcome> {
    let args = CargoArgs::parse(args);
    let rust = RustTools::detect(vars, &args.cargo);
    let runs_cargo = !args.setup_only && !args.print_target;
    if runs_cargo && rust.cargo.is_none() {
        return Ok(Outcome::fail("cargo: not found"));
    }
    let context = match crate::host::TargetContext::resolve(vars) {
        Ok(context) => context,
        Err(outcome) => return Ok(outcome),
    };
    let host = &context.host;
    let target = match CargoTarget::derive(&context.target, vars, host, rust.toolchain()) {
        Ok(target) => target,
        Err(err) => return Ok(Outcome::fail(err)),
    };

    let cache = || state::cache_dir(vars);
    let place = CcPlace::choose(vars, &target.cc_triple, cache)?;
    let paths = StatePaths::locate(vars, &target.platform.arch)?;
    let entry = Entry {
        rust_triple: target.rust_triple.clone(),
        rustc: rust.identity(),
    };
    if !paths.is_done(&entry) {
        let _lock = match vars.non_empty("XX_CARGO_NOLOCK") {
            Some(_) => None,
            None => Some(FileLock::acquire(&paths.lock)?),
        };
        if !paths.is_done(&entry) {
            place.setup(&target, vars, &context)?;
            setup::ensure_std(&rust, &target, compiler_facts(&rust, host), vars, &context)?;
            paths.mark_done(entry)?;
        }
    }

    if args.print_target {
        writeln!(out, "{}", target.rust_triple)?;
        return Ok(Outcome::Success);
    }
    if args.setup_only {
        return Ok(Outcome::Success);
    }
    let Some(cargo) = rust.cargo.clone() else {
        return Ok(Outcome::fail("cargo: not found"));
    };
    let mut tools = place.tools(&target, &rust);
    if let Some((cc, cxx)) = place.floor_compilers(&target, vars, &context)? {
        tools.cc = cc;
        tools.cxx = cxx;
    }
    let cargo_env = env::plan(&target, &tools, vars);
    let cargo_args = args.with_target(&target.rust_triple);
    if vars.non_empty("XX_DEBUG_CARGO").is_some() {
        debug_print(&cargo_env, &cargo.display().to_string(), &cargo_args);
    }
    let mut command = std::process::Command::new(&cargo);
    command.args(&cargo_args);
    for (key, value) in &cargo_env.set {
        command.env(key, value);
    }
    for key in &cargo_env.unset {
        command.env_remove(key);
    }
    let err = command.exec();
    Ok(Outcome::fail(format!(
        "cannot run {}: {err}",
        cargo.display()
    )))
}

/// What decides where the standard library comes from.
fn compiler_facts(rust: &RustTools, host: &HostInfo) -> CompilerFacts {
    CompilerFacts {
        rustup: rust.rustup,
        alpine: host.alpine_release,
        debian_family: host.is_debian_family(),
        rustc_web: rust.rustc_web(),
    }
}

/// `XX_DEBUG_CARGO`: show the environment and the command, like xx's `set -x`.
fn debug_print(cargo_env: &CargoEnv, cargo: &str, args: &[String]) {
    let mut err = std::io::stderr().lock();
    for (key, value) in &cargo_env.set {
        let _ = writeln!(err, "+ export {key}={value}");
    }
    for key in &cargo_env.unset {
        let _ = writeln!(err, "+ unset {key}");
    }
    let _ = writeln!(err, "+ exec {cargo} {}", args.join(" "));
}
