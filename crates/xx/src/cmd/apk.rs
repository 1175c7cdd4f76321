//! `xx-apk`: apk for the target platform, compatible with tonistiigi/xx.
//!
//! On Alpine, a cross target's packages go to a second apk root at
//! `/<triple>` (`/aarch64-alpine-linux-musl`), made once (`xx-apk setup`)
//! with the build machine's repositories, the target's Alpine architecture
//! and Alpine's keys. Every other command runs `apk --root <root> ...` with
//! xx's meta packages expanded; apk's output and exit status come back
//! unchanged. After `compiler-rt` and `rust-stdlib`, links in the build
//! root let clang and rustc find the target's runtime. `xx-apk clean`
//! removes the target root.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use xx_pkg::apk::{self, Link, Request};
use xx_pkg::system::{self, strings, Runner};
use xx_platform::distro::PackageAvailability;
use xx_platform::{Mapped, Overlay, Target, Vars};

use crate::exit::Outcome;

/// The package manager xx-apk drives.
const APK: &str = "apk";

/// Mode of the files xx-apk writes in a target root.
const FILE_MODE: u32 = 0o644;

/// `xx-apk [setup|clean|<apk arguments>]`.
pub fn run(args: &[String], vars: &dyn Vars, out: &mut dyn Write) -> Result<Outcome> {
    // Held until apk has finished, as xx does (nested runs skip it).
    let _lock = match vars.non_empty(apk::NOLOCK_VAR) {
        Some(_) => None,
        None => Some(system::lock_apk()?),
    };
    // Packages are always installed with Alpine's own vendor.
    let vars = Overlay::new(vars).set("XX_VENDOR", "");
    let (target, mapped) = match crate::host::resolve_target(&vars) {
        Ok(resolved) => resolved,
        Err(outcome) => return Ok(outcome),
    };
    if target.platform.os != "linux" {
        eprintln!("skipping packages installation on {}", target.platform.os);
        return Ok(Outcome::Success);
    }
    // Alpine has no packages for some architectures (MIPS).
    if apk::availability(mapped.arch, &target.os_version) == PackageAvailability::Unavailable {
        eprintln!("skipping packages installation on {}", target.platform.arch);
        return Ok(Outcome::Success);
    }
    let runner = Runner::apk(vars.non_empty("XX_DEBUG_APK").is_some());
    match apk::parse(args) {
        Request::Setup => {
            setup(&target, &mapped, &runner)?;
            Ok(Outcome::Success)
        }
        Request::Clean => {
            clean(&mapped)?;
            Ok(Outcome::Success)
        }
        Request::Apk(args) => run_apk(&args, &target, &mapped, &runner, out),
    }
}

/// Prepare the target root, then run apk in it and make the runtime links.
fn run_apk(
    args: &[String],
    target: &Target,
    mapped: &Mapped,
    runner: &Runner,
    out: &mut dyn Write,
) -> Result<Outcome> {
    setup(target, mapped, runner)?;
    let root = if mapped.is_cross {
        apk::target_root(&mapped.triple)
    } else {
        PathBuf::from("/")
    };
    let root_arg = root.display().to_string();
    let rewritten = apk::rewrite(args);
    let apk_args = apk::rooted_args(&root_arg, &rewritten.args);
    if !apk_args.is_empty() {
        writeln!(out, "{}", system::echo_line(APK, &apk_args))?;
    }
    out.flush()?;
    let status = runner.passthrough(APK, &apk_args)?;
    if !status.success() || !mapped.is_cross {
        return Ok(Outcome::like_child(status));
    }
    if let Some(package) = &rewritten.compiler_rt {
        let listing = runner.capture(
            APK,
            &strings(&["--root", &root_arg, "info", "-qL", package]),
        )?;
        for link in apk::compiler_rt_links(&listing, &mapped.triple) {
            // A runtime file the build root already has wins.
            if !link.link.is_file() {
                make_link(&link)?;
            }
        }
    }
    if rewritten.rust_stdlib {
        let link = apk::rust_stdlib_link(&mapped.triple);
        if link.target.is_dir() && !xx_files::exists_no_follow(&link.link) {
            make_link(&link)?;
        }
    }
    Ok(Outcome::Success)
}

/// Make the target root once: its repositories, architecture, keys folder
/// and Alpine's keys (`apk add --initdb alpine-keys`), and its own folder
/// in apk's cache when the build machine keeps one. Nothing for a native
/// target.
fn setup(target: &Target, mapped: &Mapped, runner: &Runner) -> Result<()> {
    if !mapped.is_cross {
        return Ok(());
    }
    let root = apk::target_root(&mapped.triple);
    let done = root.join(apk::SETUP_DONE);
    if done.is_file() {
        return Ok(());
    }
    let apk_dir = root.join("etc/apk");
    let host_repositories = std::fs::read_to_string(apk::REPOSITORIES)
        .with_context(|| format!("cannot read {} (is this Alpine?)", apk::REPOSITORIES))?;
    let repositories = apk::target_repositories(
        &host_repositories,
        &target.platform.arch,
        &target.os_version,
    );
    xx_files::write_atomic(&apk_dir.join("repositories"), &repositories, FILE_MODE)?;
    for dir in ["keys", "protected_paths.d"] {
        xx_files::ensure_dir(&apk_dir.join(dir))?;
    }
    xx_files::write_atomic(
        &apk_dir.join("arch"),
        &format!("{}\n", mapped.pkg_arch),
        FILE_MODE,
    )?;
    let root_arg = root.display().to_string();
    runner.visible(
        APK,
        &strings(&[
            "add",
            "--no-cache",
            "--initdb",
            "-p",
            &root_arg,
            "--allow-untrusted",
            apk::KEYS_PACKAGE,
        ]),
    )?;
    let cache = Path::new(apk::CACHE_DIR);
    if cache.is_dir() {
        let arch_cache = cache.join(format!("_{}", mapped.pkg_arch));
        xx_files::ensure_dir(&arch_cache)?;
        xx_files::symlink_atomic(&arch_cache, &apk_dir.join("cache"))?;
    }
    xx_files::write_atomic(&done, "", FILE_MODE)?;
    Ok(())
}

/// Remove the target root (and the standard-library link into it).
fn clean(mapped: &Mapped) -> Result<()> {
    if !mapped.is_cross {
        return Ok(());
    }
    let rust = apk::rust_stdlib_link(&mapped.triple);
    if std::fs::read_link(&rust.link).is_ok_and(|target| target == rust.target) {
        xx_files::remove_if_exists(&rust.link)?;
    }
    let root = apk::target_root(&mapped.triple);
    match std::fs::remove_dir_all(&root) {
        Ok(()) => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(err) => Err(err).with_context(|| format!("cannot remove {}", root.display())),
    }
}

/// Make `link`, creating its folder.
fn make_link(link: &Link) -> Result<()> {
    xx_files::symlink_atomic(&link.target, &link.link)?;
    Ok(())
}
