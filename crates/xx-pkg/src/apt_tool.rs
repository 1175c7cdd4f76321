//! What `xx-apt-get` does, as a library: make apt serve the target's
//! architecture, rewrite package names for it and run apt. The command
//! line tool and every other xx tool that needs target packages (xx-cargo's
//! Rust standard library, xx-clang's GNU cross `ld`) go through [`AptTool`],
//! with the target resolved once by the caller.

use std::path::{Path, PathBuf};
use std::process::ExitStatus;

use xx_platform::arch::{self, ArchRow};
use xx_platform::distro::{self, PackageAvailability};
use xx_platform::{Target, Vars};

use crate::args::AptArgs;
use crate::error::PkgError;
use crate::packages::{self, TargetNames};
use crate::sources::{self, SourceFormat};
use crate::system::{self, Runner};

/// How a run of apt ended.
#[derive(Debug)]
pub enum AptRun {
    /// The target has no packages here; the message (xx's wording,
    /// `skipping packages installation on ...`) was printed.
    Skipped,
    /// apt ran and ended with this status.
    Ran(ExitStatus),
}

/// Where apt's output goes for a library install.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// apt's output goes to stderr as it runs, after xx's `+ apt-get ...` line.
    Shown,
    /// Nothing is shown unless apt fails; then all of its output goes to
    /// stderr (as xx's `execSilent`).
    OnFailure,
}

/// xx-apt-get's settings, read from the environment once at the edge.
#[derive(Debug, Clone)]
pub struct AptTool {
    /// Runs dpkg, apt-cache and apt-get.
    pub runner: Runner,
    /// The root whose `/etc` describes the build machine (`XX_ROOT`, `/`).
    pub root: PathBuf,
    /// `XX_APT_PREFER_CROSS`: prefer `<pkg>-<triple>` cross packages.
    pub prefer_cross: bool,
    /// The force variables of the table (`XX_APT_FORCE_RISCV64`: install
    /// riscv64 packages before Debian 13 from Debian Ports) that are set.
    pub forced_vars: Vec<&'static str>,
}

impl AptTool {
    /// The settings `vars` give (`XX_DEBUG_APT`, `XX_APT_PREFER_CROSS`, the
    /// table's force variables) for the build root `root`.
    pub fn from_vars(vars: &dyn Vars, root: &Path) -> AptTool {
        AptTool {
            runner: Runner::apt(vars.non_empty("XX_DEBUG_APT").is_some()),
            root: root.to_path_buf(),
            prefer_cross: vars.non_empty("XX_APT_PREFER_CROSS").is_some(),
            forced_vars: arch::ARCHES
                .iter()
                .filter_map(|row| row.apt_force_var)
                .filter(|name| vars.non_empty(name).is_some())
                .collect(),
        }
    }

    /// Run `program` (`apt` or `apt-get`) with `apt_args` for `target`, as
    /// xx-apt-get does: prepare apt for the target, rewrite the package
    /// names, print `+ apt-get  ...` and run it with the caller's output.
    /// The caller holds the lock ([`system::lock_apt`]).
    pub fn run(
        &self,
        program: &str,
        apt_args: &AptArgs,
        target: &Target,
    ) -> Result<AptRun, PkgError> {
        let Some(prepared) = self.prepare(apt_args, target, None)? else {
            return Ok(AptRun::Skipped);
        };
        if prepared.rewritten {
            eprintln!("{}", system::echo_line(program, &prepared.args));
        }
        Ok(AptRun::Ran(
            self.runner.passthrough(program, &prepared.args)?,
        ))
    }

    /// `xx-apt-get install -y PACKAGES` for `target`, for tools that need
    /// target packages. Takes the lock for the install; fails with the
    /// command line when apt does. A target without packages here
    /// (non-Linux, a MIPS arch the distribution lacks) installs nothing.
    pub fn install(
        &self,
        target: &Target,
        packages: &[&str],
        output: Output,
    ) -> Result<(), PkgError> {
        let _lock = system::lock_apt()?;
        let apt_args = AptArgs {
            args: system::strings(&["install", "-y"]),
            command: Some("install".to_string()),
            packages: packages.iter().map(|name| name.to_string()).collect(),
        };
        let Some(prepared) = self.prepare(&apt_args, target, Some(output))? else {
            return Ok(());
        };
        let final_args = prepared.args;
        if output == Output::Shown {
            eprintln!("{}", system::echo_line("apt-get", &final_args));
        }
        let args: Vec<&str> = final_args.iter().map(String::as_str).collect();
        self.apt_get(&args, Some(output))
    }

    /// Run `apt-get ARGS`, failing unless it exits 0. Its output goes to
    /// stdout as xx-apt-get's own (`None`), or as `output` says for a
    /// library install (never to stdout: the calling tool's stdout is its
    /// answer, e.g. `xx-cargo --print-target-triple`).
    fn apt_get(&self, args: &[&str], output: Option<Output>) -> Result<(), PkgError> {
        let args = system::strings(args);
        match output {
            None => self.runner.visible("apt-get", &args),
            Some(Output::Shown) => self.runner.visible_on_stderr("apt-get", &args),
            Some(Output::OnFailure) => self.runner.quiet("apt-get", &args),
        }
    }

    /// The apt arguments that do what `apt_args` asks for `target`, after
    /// making apt ready for it; `None` when the target is skipped.
    fn prepare(
        &self,
        apt_args: &AptArgs,
        target: &Target,
        output: Option<Output>,
    ) -> Result<Option<Prepared>, PkgError> {
        let mapped = target
            .mapped()
            .map_err(|err| PkgError::Usage(err.to_string()))?;
        if let Some(what) = self.unsupported_by_distro(target) {
            eprintln!("skipping packages installation on {what}");
            return Ok(None);
        }
        let is_linux = target.platform.os == "linux";
        if apt_args.command.is_none() {
            if !is_linux {
                return Ok(skip_non_linux(target));
            }
            return Ok(Some(Prepared {
                args: apt_args.args.clone(),
                rewritten: false,
            }));
        }

        let native_arch = self.runner.native_architecture()?;
        let ports_added = self.add_riscv64_ports_if_forced(target, output)?;
        self.prepare_sources(target, &native_arch, ports_added, output)?;

        let names = TargetNames {
            pkg_arch: mapped.pkg_arch.clone(),
            cross_suffix: packages::cross_suffix(&mapped.triple, &target.platform.os),
            is_linux,
            is_cross: mapped.is_cross,
            prefer_cross: self.prefer_cross,
        };
        let essentials = self.runner.known_packages(
            &packages::essentials_queries(&apt_args.packages, &names.pkg_arch),
            &native_arch,
        )?;
        let expanded =
            packages::expand_essentials(&apt_args.packages, &names.pkg_arch, &essentials);
        let catalog = self
            .runner
            .known_packages(&packages::cross_queries(&expanded, &names), &native_arch)?;
        let rewritten = packages::rewrite(&expanded, &names, &catalog);
        if rewritten.is_empty() && !is_linux {
            return Ok(skip_non_linux(target));
        }
        Ok(Some(Prepared {
            args: apt_args.with_packages(&rewritten),
            rewritten: true,
        }))
    }

    /// Targets left alone, as the table's release columns say: MIPS where
    /// the distribution has no packages for it (xx skips MIPS everywhere;
    /// xx-rs installs Debian 12's `mipsel` and `mips64el` packages) and
    /// riscv64 on Debian before 13 / Ubuntu before 20.04 (unless
    /// `XX_APT_FORCE_RISCV64`). Returns what to name in the skip message.
    fn unsupported_by_distro(&self, target: &Target) -> Option<String> {
        let mapped = target.mapped().ok()?;
        let arch = target.platform.arch.as_str();
        let vendor = target.vendor.as_str();
        match distro::package_availability(mapped.arch, vendor, &self.release(vendor)) {
            PackageAvailability::Available => None,
            PackageAvailability::TooOld { .. } if self.forced(mapped.arch) => None,
            PackageAvailability::TooOld { first } => {
                Some(format!("{arch}. {arch} requires {vendor} {first}+"))
            }
            PackageAvailability::Unavailable => Some(arch.to_string()),
        }
    }

    /// The build root's release as the distribution `vendor` numbers it:
    /// `/etc/debian_version` on Debian, os-release's `VERSION` on Ubuntu.
    fn release(&self, vendor: &str) -> String {
        let read = |path: &str| std::fs::read_to_string(self.root.join(path)).unwrap_or_default();
        match vendor {
            "debian" => read("etc/debian_version"),
            "ubuntu" => {
                sources::os_release_value(&read("etc/os-release"), "VERSION").unwrap_or_default()
            }
            _ => String::new(),
        }
    }

    /// Whether the user forces packages for `row` from a newer release
    /// (`XX_APT_FORCE_RISCV64`).
    fn forced(&self, row: &ArchRow) -> bool {
        row.apt_force_var
            .is_some_and(|name| self.forced_vars.contains(&name))
    }

    /// On Debian before 13 with `XX_APT_FORCE_RISCV64`, add Debian Ports'
    /// unstable for riscv64 (and its keyring), as xx does. Returns whether
    /// the sources changed.
    fn add_riscv64_ports_if_forced(
        &self,
        target: &Target,
        output: Option<Output>,
    ) -> Result<bool, PkgError> {
        let Ok(mapped) = target.mapped() else {
            return Ok(false);
        };
        let forced = target.vendor == "debian"
            && mapped.arch.arch == "riscv64"
            && self.forced(mapped.arch)
            && matches!(
                distro::package_availability(mapped.arch, "debian", &self.release("debian")),
                PackageAvailability::TooOld { .. }
            );
        let list = Path::new(sources::RISCV64_PORTS_LIST);
        let present = std::fs::read_to_string(list).is_ok_and(|text| {
            text.lines()
                .any(|line| line == sources::RISCV64_PORTS_ENTRY)
        });
        if !forced || present {
            return Ok(false);
        }
        self.apt_get(&["update"], output)?;
        self.apt_get(&["install", "-y", "debian-ports-archive-keyring"], output)?;
        system::edit_file(list, |old| {
            format!("{old}{}\n", sources::RISCV64_PORTS_ENTRY)
        })?;
        Ok(true)
    }

    /// Make apt ready for the target: sources serving its architecture,
    /// the architecture added to dpkg, and `apt-get update` when the
    /// package lists are missing or out of date with the sources.
    fn prepare_sources(
        &self,
        target: &Target,
        native_arch: &str,
        sources_changed: bool,
        output: Option<Output>,
    ) -> Result<(), PkgError> {
        let mapped = target
            .mapped()
            .map_err(|err| PkgError::Usage(err.to_string()))?;
        let lists = system::list_files();
        let mut needs_update = sources_changed || !system::has_packages_list(&lists, native_arch);
        let arch = mapped.pkg_arch.as_str();
        let wants_target_arch =
            target.platform.os == "linux" && mapped.is_cross && arch != native_arch;
        if wants_target_arch {
            needs_update |= self.serve_arch(target, arch, native_arch)?;
            if !self
                .runner
                .foreign_architectures()?
                .iter()
                .any(|a| a == arch)
            {
                self.runner.add_architecture(arch)?;
                needs_update = true;
            }
            needs_update |= !system::has_packages_list(&lists, arch);
        }
        if !needs_update {
            return Ok(());
        }
        self.apt_get(&["update"], output)?;
        // apt-get update exits 0 when fetches fail; without the lists the
        // install would only say the packages cannot be found.
        let lists = system::list_files();
        let wanted = if wants_target_arch { arch } else { native_arch };
        if !system::has_packages_list(&lists, wanted) {
            return Err(PkgError::Usage(format!(
                "apt-get update fetched no package list for {wanted}; check that the sources in {} serve it",
                main_sources_file()
            )));
        }
        Ok(())
    }

    /// Edit the sources so that they serve `arch`. Returns whether
    /// anything changed.
    ///
    /// Debian's archive serves every architecture: only entries restricted
    /// to other architectures get `arch` added. Ubuntu serves most
    /// architectures from a separate ports archive: the system's entries
    /// are pinned to the native architecture and a list for `arch` is added.
    fn serve_arch(&self, target: &Target, arch: &str, native_arch: &str) -> Result<bool, PkgError> {
        let main = main_sources_file();
        let format = SourceFormat::of_path(main);
        if target.vendor != "ubuntu" {
            if !Path::new(main).is_file() {
                return Ok(false);
            }
            return system::edit_file(Path::new(main), |text| {
                sources::add_arch(text, format, arch)
            });
        }
        let pinned = system::edit_file(Path::new(main), |text| {
            sources::restrict_to_arch(text, format, native_arch)
        })?;
        let os_release_path = self.root.join("etc/os-release");
        let os_release =
            std::fs::read_to_string(&os_release_path).map_err(|source| PkgError::File {
                action: "cannot read",
                path: os_release_path.clone(),
                source,
            })?;
        let codename = sources::os_release_value(&os_release, "UBUNTU_CODENAME")
            .filter(|name| !name.is_empty())
            .ok_or_else(|| {
                PkgError::Usage(format!(
                    "no UBUNTU_CODENAME in {}",
                    os_release_path.display()
                ))
            })?;
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

    /// Install packages of the build machine itself (no architecture
    /// rewriting), e.g. `binutils-s390x-linux-gnu`, under the lock; the
    /// package lists are refreshed when the first attempt fails. Output
    /// as `output` says.
    pub fn install_native(&self, packages: &[&str], output: Output) -> Result<(), PkgError> {
        let _lock = system::lock_apt()?;
        let mut args = vec!["install", "-y", "--no-install-recommends"];
        args.extend(packages);
        if self.apt_get(&args, Some(output)).is_ok() {
            return Ok(());
        }
        self.apt_get(&["update"], Some(Output::OnFailure))?;
        self.apt_get(&args, Some(output))
    }
}

/// The system's main sources file.
pub fn main_sources_file() -> &'static str {
    sources::main_sources_file(|path| Path::new(path).is_file())
}

/// apt's final arguments for a run.
struct Prepared {
    /// The arguments, package names rewritten for the target.
    args: Vec<String>,
    /// Whether a package command was rewritten (xx then echoes the line).
    rewritten: bool,
}

/// xx's message for targets without Linux packages.
fn skip_non_linux(target: &Target) -> Option<Prepared> {
    eprintln!("skipping packages installation on {}", target.platform.os);
    None
}
