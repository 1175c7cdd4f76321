//! `xx-apt` and `xx-apt-get`: apt for the target platform, compatible with
//! tonistiigi/xx.
//!
//! When cross-compiling, the target architecture is added to dpkg, the
//! sources are made to serve it, `apt-get update` runs when the lists for
//! it are missing or the sources changed, and package names are rewritten
//! for the target (see [`xx_pkg::packages`]). apt's output and exit status
//! come back unchanged.

use std::io::Write;
use std::path::Path;

use anyhow::{bail, Context, Result};
use xx_pkg::args::{self, AptArgs, Request};
use xx_pkg::packages::{self, TargetNames};
use xx_pkg::sources::{self, SourceFormat};
use xx_pkg::system::{self, Runner};
use xx_platform::{Mapped, Target, Vars};

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
            writeln!(out, "{}", main_sources_file())?;
            Ok(Outcome::Success)
        }
        Request::Apt(apt_args) => run_for_target(program, &apt_args, vars),
    }
}

/// The system's main sources file.
fn main_sources_file() -> &'static str {
    sources::main_sources_file(|path| Path::new(path).is_file())
}

/// Everything after the special flags: resolve the target, prepare apt
/// for it and run apt with rewritten package names.
fn run_for_target(program: &str, apt_args: &AptArgs, vars: &dyn Vars) -> Result<Outcome> {
    let root = crate::host::root(vars);
    let (target, mapped) = match crate::host::resolve_target(vars) {
        Ok(resolved) => resolved,
        Err(outcome) => return Ok(outcome),
    };
    if let Some(what) = unsupported_by_distro(&target, vars, &root) {
        eprintln!("skipping packages installation on {what}");
        return Ok(Outcome::Success);
    }
    let is_linux = target.platform.os == "linux";
    let runner = Runner::apt(vars.non_empty("XX_DEBUG_APT").is_some());

    if apt_args.command.is_none() {
        if !is_linux {
            return Ok(skip_non_linux(&target));
        }
        return Ok(Outcome::like_child(
            runner.passthrough(program, &apt_args.args)?,
        ));
    }

    let native_arch = runner.native_architecture()?;
    let ports_added = add_riscv64_ports_if_forced(&target, vars, &root, &runner)?;
    prepare_apt(&target, &mapped, &root, &runner, &native_arch, ports_added)?;

    let names = TargetNames {
        pkg_arch: mapped.pkg_arch.clone(),
        cross_suffix: packages::cross_suffix(&mapped.triple, &target.platform.os),
        is_linux,
        is_cross: mapped.is_cross,
        prefer_cross: vars.non_empty("XX_APT_PREFER_CROSS").is_some(),
    };
    let essentials = runner.known_packages(
        &packages::essentials_queries(&apt_args.packages, &names.pkg_arch),
        &native_arch,
    )?;
    let expanded = packages::expand_essentials(&apt_args.packages, &names.pkg_arch, &essentials);
    let catalog =
        runner.known_packages(&packages::cross_queries(&expanded, &names), &native_arch)?;
    let rewritten = packages::rewrite(&expanded, &names, &catalog);
    if rewritten.is_empty() && !is_linux {
        return Ok(skip_non_linux(&target));
    }

    let final_args = apt_args.with_packages(&rewritten);
    eprintln!("{}", system::echo_line(program, &final_args));
    Ok(Outcome::like_child(
        runner.passthrough(program, &final_args)?,
    ))
}

/// Debian architectures Debian 12 and older release for MIPS (big-endian
/// `mips` and `mips64` never were, and Debian 13 dropped both).
const DEBIAN_MIPS_ARCHES: &[&str] = &["mipsel", "mips64el"];

/// Targets left alone: MIPS where the distribution has no packages for it
/// (xx skips MIPS everywhere; xx-rs installs Debian 12's `mipsel` and
/// `mips64el` packages) and riscv64 on Debian before 13 / Ubuntu before 20.04
/// (unless `XX_APT_FORCE_RISCV64`). Returns what to name in the skip message.
fn unsupported_by_distro(target: &Target, vars: &dyn Vars, root: &Path) -> Option<String> {
    let arch = target.platform.arch.as_str();
    if arch.starts_with("mips") {
        let debian_has_it = target.vendor == "debian"
            && debian_before_13(root)
            && target
                .mapped()
                .is_ok_and(|mapped| DEBIAN_MIPS_ARCHES.contains(&mapped.arch.debian));
        return (!debian_has_it).then(|| arch.to_string());
    }
    if arch != "riscv64" || vars.non_empty("XX_APT_FORCE_RISCV64").is_some() {
        return None;
    }
    match target.vendor.as_str() {
        "debian" if debian_before_13(root) => {
            Some("riscv64. riscv64 requires debian 13+".to_string())
        }
        "ubuntu" => {
            let os_release =
                std::fs::read_to_string(root.join("etc/os-release")).unwrap_or_default();
            let version = sources::os_release_value(&os_release, "VERSION").unwrap_or_default();
            (!version.starts_with('2'))
                .then(|| "riscv64. riscv64 requires ubuntu 20.04+".to_string())
        }
        _ => None,
    }
}

/// Whether `/etc/debian_version` names a release before 13.
fn debian_before_13(root: &Path) -> bool {
    std::fs::read_to_string(root.join("etc/debian_version"))
        .ok()
        .and_then(|text| sources::debian_major(&text))
        .is_some_and(|major| major < 13)
}

/// On Debian before 13 with `XX_APT_FORCE_RISCV64`, add Debian Ports'
/// unstable for riscv64 (and its keyring), as xx does. Returns whether the
/// sources changed.
fn add_riscv64_ports_if_forced(
    target: &Target,
    vars: &dyn Vars,
    root: &Path,
    runner: &Runner,
) -> Result<bool> {
    let forced = target.platform.arch == "riscv64"
        && target.vendor == "debian"
        && vars.non_empty("XX_APT_FORCE_RISCV64").is_some()
        && debian_before_13(root);
    let list = Path::new(sources::RISCV64_PORTS_LIST);
    let present = std::fs::read_to_string(list).is_ok_and(|text| {
        text.lines()
            .any(|line| line == sources::RISCV64_PORTS_ENTRY)
    });
    if !forced || present {
        return Ok(false);
    }
    runner.apt_get_update()?;
    runner.apt_get_install(&["debian-ports-archive-keyring"])?;
    system::edit_file(list, |old| {
        format!("{old}{}\n", sources::RISCV64_PORTS_ENTRY)
    })?;
    Ok(true)
}

/// Make apt ready for the target: sources serving its architecture, the
/// architecture added to dpkg, and `apt-get update` when the package lists
/// are missing or out of date with the sources.
fn prepare_apt(
    target: &Target,
    mapped: &Mapped,
    root: &Path,
    runner: &Runner,
    native_arch: &str,
    sources_changed: bool,
) -> Result<()> {
    let lists = system::list_files();
    let mut needs_update = sources_changed || !system::has_packages_list(&lists, native_arch);
    let arch = mapped.pkg_arch.as_str();
    let wants_target_arch = target.platform.os == "linux" && mapped.is_cross && arch != native_arch;
    if wants_target_arch {
        needs_update |= serve_arch(target, root, arch, native_arch)?;
        if !runner.foreign_architectures()?.iter().any(|a| a == arch) {
            runner.add_architecture(arch)?;
            needs_update = true;
        }
        needs_update |= !system::has_packages_list(&lists, arch);
    }
    if !needs_update {
        return Ok(());
    }
    runner.apt_get_update()?;
    // apt-get update exits 0 when fetches fail; without the lists the
    // install would only say the packages cannot be found.
    let lists = system::list_files();
    let wanted = if wants_target_arch { arch } else { native_arch };
    if !system::has_packages_list(&lists, wanted) {
        bail!(
            "apt-get update fetched no package list for {wanted}; check that the sources in {} serve it",
            main_sources_file()
        );
    }
    Ok(())
}

/// Edit the sources so that they serve `arch`. Returns whether anything
/// changed.
///
/// Debian's archive serves every architecture: only entries restricted to
/// other architectures get `arch` added. Ubuntu serves most architectures
/// from a separate ports archive: the system's entries are pinned to the
/// native architecture and a list for `arch` is added.
fn serve_arch(target: &Target, root: &Path, arch: &str, native_arch: &str) -> Result<bool> {
    let main = main_sources_file();
    let format = SourceFormat::of_path(main);
    if target.vendor != "ubuntu" {
        if !Path::new(main).is_file() {
            return Ok(false);
        }
        return Ok(system::edit_file(Path::new(main), |text| {
            sources::add_arch(text, format, arch)
        })?);
    }
    let pinned = system::edit_file(Path::new(main), |text| {
        sources::restrict_to_arch(text, format, native_arch)
    })?;
    let os_release_path = root.join("etc/os-release");
    let os_release = std::fs::read_to_string(&os_release_path)
        .with_context(|| format!("cannot read {}", os_release_path.display()))?;
    let codename = sources::os_release_value(&os_release, "UBUNTU_CODENAME")
        .filter(|name| !name.is_empty())
        .with_context(|| format!("no UBUNTU_CODENAME in {}", os_release_path.display()))?;
    let (list, text) = sources::ubuntu_target_list(format, arch, &codename);
    let added = system::edit_file(Path::new(&list), |old| {
        if old.is_empty() {
            text.clone()
        } else {
            old.to_string()
        }
    })?;
    Ok(pinned || added)
}

/// xx's message for targets without Linux packages; exits 0.
fn skip_non_linux(target: &Target) -> Outcome {
    eprintln!("skipping packages installation on {}", target.platform.os);
    Outcome::Success
}
