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

use crate::apt_output::{self, FailedFetch, InstallFailure};
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
    /// How long apt may wait for the network and locks, and how often
    /// xx-apt-get retries a failed `apt-get update`.
    pub limits: AptLimits,
}

/// Bounds on xx-apt-get's waits, so that a stalled mirror or a held lock
/// ends in an error instead of a hang.
#[derive(Debug, Clone)]
pub struct AptLimits {
    /// apt's `Acquire::http::Timeout` in seconds (`XX_APT_TIMEOUT`, 20).
    pub net_timeout: u64,
    /// apt's `Acquire::Retries` (`XX_APT_FETCH_RETRIES`, 1).
    pub fetch_retries: u64,
    /// Runs of `apt-get update` when an index fetch fails in a way that may
    /// pass (`XX_APT_UPDATE_ATTEMPTS`, 3).
    pub update_attempts: u64,
    /// Pause before the first retry, doubled each time, in milliseconds
    /// (`XX_APT_RETRY_DELAY_MS`, 5000).
    pub retry_delay_ms: u64,
    /// apt's `DPkg::Lock::Timeout` and the wait for xx's own lock, in
    /// seconds (`XX_APT_LOCK_TIMEOUT`, 900).
    pub lock_timeout: u64,
}

impl AptLimits {
    /// The limits `vars` set, defaults for the rest.
    pub fn from_vars(vars: &dyn Vars) -> AptLimits {
        let number = |name: &str, default: u64| {
            vars.non_empty(name)
                .and_then(|value| value.trim().parse().ok())
                .unwrap_or(default)
        };
        AptLimits {
            net_timeout: number("XX_APT_TIMEOUT", 20),
            fetch_retries: number("XX_APT_FETCH_RETRIES", 1),
            update_attempts: number("XX_APT_UPDATE_ATTEMPTS", 3).max(1),
            retry_delay_ms: number("XX_APT_RETRY_DELAY_MS", 5000),
            lock_timeout: number(system::LOCK_TIMEOUT_VAR, system::DEFAULT_LOCK_TIMEOUT),
        }
    }

    /// The `-o` options that bound apt's network and lock waits.
    pub fn apt_options(&self) -> Vec<String> {
        [
            format!("Acquire::http::Timeout={}", self.net_timeout),
            format!("Acquire::https::Timeout={}", self.net_timeout),
            format!("Acquire::Retries={}", self.fetch_retries),
            format!("DPkg::Lock::Timeout={}", self.lock_timeout),
        ]
        .into_iter()
        .flat_map(|option| ["-o".to_string(), option])
        .collect()
    }
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
            limits: AptLimits::from_vars(vars),
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
        if apt_args.command.is_some() {
            self.repair_interrupted_install()?;
        }
        let Some(mut prepared) = self.prepare(apt_args, target, None)? else {
            return Ok(AptRun::Skipped);
        };
        if prepared.rewritten {
            eprintln!("{}", system::echo_line(program, &prepared.args));
        }
        if !prepared.rewritten {
            return Ok(AptRun::Ran(
                self.runner.passthrough(program, &prepared.args)?,
            ));
        }
        if apt_args.command.as_deref() == Some("install") {
            if let Some(line) = self.skew_after_refresh(&mut prepared, None)? {
                return Err(PkgError::Usage(line));
            }
        }
        let mut args = prepared.args.clone();
        args.extend(self.limits.apt_options());
        let (status, text) = self.runner.tee(program, &args, false)?;
        if !status.success() {
            if let Some(line) = self.explain_failure(&text, &prepared)? {
                eprintln!("xx-apt-get: {line}");
            }
        }
        Ok(AptRun::Ran(status))
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
        self.repair_interrupted_install()?;
        let apt_args = AptArgs {
            args: system::strings(&["install", "-y"]),
            command: Some("install".to_string()),
            packages: packages.iter().map(|name| name.to_string()).collect(),
        };
        let Some(mut prepared) = self.prepare(&apt_args, target, Some(output))? else {
            return Ok(());
        };
        if output == Output::Shown {
            eprintln!("{}", system::echo_line("apt-get", &prepared.args));
        }
        if let Some(line) = self.skew_after_refresh(&mut prepared, Some(output))? {
            return Err(PkgError::Usage(line));
        }
        let mut args = prepared.args.clone();
        args.extend(self.limits.apt_options());
        let (status, text) = match output {
            Output::Shown => self.runner.tee("apt-get", &args, true)?,
            Output::OnFailure => self.runner.collect("apt-get", &args)?,
        };
        if status.success() {
            return Ok(());
        }
        if output == Output::OnFailure {
            eprint!("{text}");
        }
        match self.explain_failure(&text, &prepared)? {
            Some(line) => Err(PkgError::Usage(line)),
            None => Err(PkgError::Failed {
                command: system::command_line("apt-get", &prepared.args),
                status,
            }),
        }
    }

    /// Finish what an interrupted install left (dpkg killed mid-way: its
    /// journal in `/var/lib/dpkg/updates`, packages `dpkg --audit` names)
    /// with `dpkg --configure -a`, saying so; a repair that fails is one
    /// line naming what is left.
    fn repair_interrupted_install(&self) -> Result<(), PkgError> {
        let journal = std::fs::read_dir("/var/lib/dpkg/updates")
            .map(|entries| entries.flatten().count())
            .unwrap_or(0);
        let audit = if journal == 0 {
            self.runner.dpkg_audit()?
        } else {
            String::new()
        };
        if journal == 0 && audit.is_empty() {
            return Ok(());
        }
        let what = if journal > 0 {
            "dpkg's journal in /var/lib/dpkg/updates is not empty".to_string()
        } else {
            format!(
                "dpkg --audit: {}",
                audit.lines().next().unwrap_or_default().trim()
            )
        };
        eprintln!(
            "xx-apt-get: an earlier install was interrupted ({what}); finishing it with dpkg --configure -a"
        );
        // A dpkg that outlived its apt-get (killed) may still hold dpkg's
        // lock: wait for it, within the lock bound.
        let deadline =
            std::time::Instant::now() + std::time::Duration::from_secs(self.limits.lock_timeout);
        let mut said = false;
        loop {
            let (status, text) = self
                .runner
                .collect("dpkg", &system::strings(&["--configure", "-a"]))?;
            if status.success() {
                break;
            }
            let locked = text.contains("locked by another process");
            if locked && std::time::Instant::now() < deadline {
                if !said {
                    said = true;
                    eprintln!(
                        "xx-apt-get: waiting for dpkg's lock ({}) before repairing (up to {} s, {})",
                        text.lines()
                            .find(|l| l.contains("locked by another process"))
                            .unwrap_or_default()
                            .trim(),
                        self.limits.lock_timeout,
                        system::LOCK_TIMEOUT_VAR
                    );
                }
                std::thread::sleep(std::time::Duration::from_millis(500));
                continue;
            }
            let why = text
                .lines()
                .find(|l| l.starts_with("dpkg: error") || l.contains("locked"))
                .or_else(|| text.lines().find(|l| !l.trim().is_empty()))
                .unwrap_or_default()
                .trim();
            return Err(PkgError::Usage(format!(
                "an earlier install was interrupted and dpkg --configure -a failed ({status}): {why}"
            )));
        }
        let left = self.runner.dpkg_audit()?;
        if !left.is_empty() {
            eprintln!("xx-apt-get: packages left half-installed; apt-get will reinstall them");
        }
        Ok(())
    }

    /// [`AptTool::multiarch_skew`]; when it finds a skew and this run has
    /// not updated the package lists, they are refreshed (the mirror may
    /// have synced since) and the check made again.
    fn skew_after_refresh(
        &self,
        prepared: &mut Prepared,
        output: Option<Output>,
    ) -> Result<Option<String>, PkgError> {
        let line = self.multiarch_skew(prepared, false)?;
        if line.is_none() || prepared.updated {
            return Ok(line);
        }
        let Some(arch) = prepared.target_arch.clone() else {
            return Ok(line);
        };
        eprintln!("xx-apt-get: Multi-Arch: same versions differ between {} and {arch}; refreshing the package lists", prepared.native_arch);
        let native = prepared.native_arch.clone();
        prepared.failed = self.update(&[native.as_str(), arch.as_str()], output)?.0;
        prepared.updated = true;
        self.multiarch_skew(prepared, false)
    }

    /// The Multi-Arch: same skew check: when packages installed for the
    /// build machine have a version the target's sources do not offer, and
    /// apt (simulating the install) cannot satisfy the dependencies, the one
    /// line naming package, versions, suites and the failed index. `force`:
    /// skip the simulation (the real install already failed so).
    fn multiarch_skew(&self, prepared: &Prepared, force: bool) -> Result<Option<String>, PkgError> {
        let Some(arch) = prepared.target_arch.as_deref() else {
            return Ok(None);
        };
        let native = &prepared.native_arch;
        let installed = self.runner.capture(
            "dpkg-query",
            &system::strings(&[
                "-W",
                "-f=${Package}\t${Architecture}\t${Multi-Arch}\t${db:Status-Abbrev}\n",
            ]),
        )?;
        let names = apt_output::installed_multiarch_same(&installed, native);
        if names.is_empty() {
            return Ok(None);
        }
        let target_names: Vec<String> = names.iter().map(|n| format!("{n}:{arch}")).collect();
        let host = apt_output::parse_policy(&self.runner.policy(&names)?);
        let target = apt_output::parse_policy(&self.runner.policy(&target_names)?);
        let skews = apt_output::version_skews(&host, &target, arch);
        if skews.is_empty() {
            return Ok(None);
        }
        let text = if force {
            String::new()
        } else {
            let mut args = system::strings(&["install", "-s", "-y"]);
            args.extend(prepared.packages.iter().cloned());
            let (status, text) = self.runner.collect("apt-get", &args)?;
            if status.success()
                || !apt_output::install_failures(&text).contains(&InstallFailure::Unsatisfiable)
            {
                return Ok(None);
            }
            text
        };
        let named: Vec<_> = skews
            .iter()
            .filter(|skew| text.contains(&format!("{}:{arch}", skew.package)))
            .cloned()
            .collect();
        let shown = if named.is_empty() { skews } else { named };
        Ok(Some(apt_output::skew_message(
            &shown,
            &prepared.failed,
            &system::list_files(),
        )))
    }

    /// One line naming why an install failed, from apt's output; `None`
    /// when apt's own words are all there is.
    fn explain_failure(&self, text: &str, prepared: &Prepared) -> Result<Option<String>, PkgError> {
        let native = &prepared.native_arch;
        for cause in apt_output::install_failures(text) {
            let line = match cause {
                InstallFailure::UnknownPackage(name) | InstallFailure::NoCandidate(name) => {
                    Some(self.explain_missing_package(&name, native)?)
                }
                InstallFailure::PackageFetch(fetch) if apt_output::is_unreachable(&fetch.reason) => {
                    Some(format!(
                        "the mirror {} cannot be reached: {} (while fetching {})",
                        apt_output::url_host(&fetch.url),
                        fetch.reason,
                        fetch.url
                    ))
                }
                InstallFailure::PackageFetch(fetch) if fetch.reason.contains("404") => {
                    Some(format!(
                        "the mirror {} is behind its own index: {} is not there (404); run apt-get update, or retry when the mirror has synced",
                        apt_output::url_host(&fetch.url),
                        fetch.url
                    ))
                }
                InstallFailure::PackageFetch(fetch) => Some(format!(
                    "cannot fetch {}: {}",
                    fetch.url, fetch.reason
                )),
                InstallFailure::DiskFull(dir) => Some(format!(
                    "the disk is full ({}): free space there (apt-get clean removes the downloaded packages in /var/cache/apt/archives), then run the same command again: it finishes the interrupted install with dpkg --configure -a",
                    dir.map_or_else(|| "no space left on device".to_string(), |d| format!("no space left in {d}"))
                )),
                InstallFailure::Locked { file, holder } => Some(format!(
                    "{file} is held by {} (waited {} s, {})",
                    holder.unwrap_or_else(|| "another process".to_string()),
                    self.limits.lock_timeout,
                    system::LOCK_TIMEOUT_VAR
                )),
                InstallFailure::DpkgInterrupted => Some(
                    "an earlier install was interrupted; dpkg --configure -a did not finish it".to_string(),
                ),
                InstallFailure::Unsatisfiable => self.multiarch_skew(prepared, true)?,
            };
            if line.is_some() {
                return Ok(line);
            }
        }
        Ok(None)
    }

    /// `<name> has no <arch> build` when apt knows the package for the build
    /// machine only; else that no source has it at all.
    fn explain_missing_package(&self, name: &str, native: &str) -> Result<String, PkgError> {
        let (base, arch) = match name.split_once(':') {
            Some((base, arch)) => (base, Some(arch)),
            None => (name, None),
        };
        if let Some(arch) = arch.filter(|a| *a != native) {
            // A name apt knows only from other packages' relations has a
            // policy header but no version: that is no build either.
            let policy = apt_output::parse_policy(&self.runner.policy(&[base.to_string()])?);
            let built = policy
                .iter()
                .any(|p| p.candidate.is_some() || !p.versions.is_empty());
            if built {
                return Ok(format!(
                    "{base} has no {arch} build (apt knows it for {native} only)"
                ));
            }
        }
        Ok(format!(
            "package {base} exists in none of the configured sources; check its name"
        ))
    }

    /// Run `apt-get ARGS`, failing unless it exits 0. Its output goes to
    /// stdout as xx-apt-get's own (`None`), or as `output` says for a
    /// library install (never to stdout: the calling tool's stdout is its
    /// answer, e.g. `xx-cargo --print-target-triple`).
    fn apt_get(&self, args: &[&str], output: Option<Output>) -> Result<(), PkgError> {
        let mut args = system::strings(args);
        args.extend(self.limits.apt_options());
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
                ..Prepared::default()
            }));
        }

        let native_arch = self.runner.native_architecture()?;
        let ports_added = self.add_riscv64_ports_if_forced(target, output)?;
        let update = self.prepare_sources(target, &native_arch, ports_added, output)?;

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
        let target_arch = (is_linux && mapped.is_cross && names.pkg_arch != native_arch)
            .then(|| names.pkg_arch.clone());
        Ok(Some(Prepared {
            args: apt_args.with_packages(&rewritten),
            rewritten: true,
            packages: rewritten,
            target_arch,
            native_arch,
            updated: update.is_some(),
            failed: update.unwrap_or_default(),
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
    /// package lists are missing or out of date with the sources. Returns
    /// the index fetches the update gave up on (after retrying). When the
    /// update fetched nothing for the target, an architecture this run
    /// added is removed again and the error names the failed indexes.
    fn prepare_sources(
        &self,
        target: &Target,
        native_arch: &str,
        sources_changed: bool,
        output: Option<Output>,
    ) -> Result<Option<Vec<FailedFetch>>, PkgError> {
        let mapped = target
            .mapped()
            .map_err(|err| PkgError::Usage(err.to_string()))?;
        let lists = system::list_files();
        let mut needs_update = sources_changed || !system::has_packages_list(&lists, native_arch);
        let arch = mapped.pkg_arch.as_str();
        let wants_target_arch =
            target.platform.os == "linux" && mapped.is_cross && arch != native_arch;
        let mut added_arch = false;
        if wants_target_arch {
            needs_update |= self.serve_arch(target, arch, native_arch)?;
            if !self
                .runner
                .foreign_architectures()?
                .iter()
                .any(|a| a == arch)
            {
                self.runner.add_architecture(arch)?;
                added_arch = true;
                needs_update = true;
            }
            needs_update |= !system::has_packages_list(&lists, arch);
        }
        if !needs_update {
            return Ok(None);
        }
        let wanted = if wants_target_arch { arch } else { native_arch };
        let (failed, others) = self.update(&[native_arch, wanted], output)?;
        // apt-get update may end without the lists the install needs.
        let lists = system::list_files();
        if !system::has_packages_list(&lists, wanted) {
            let undone = if added_arch && self.runner.remove_architecture(arch).is_ok() {
                format!(" (dpkg --add-architecture {arch} undone)")
            } else {
                String::new()
            };
            let foreign: Vec<String> = others
                .iter()
                .filter_map(|fetch| fetch.index().and_then(|index| index.arch))
                .collect();
            let line = if failed.is_empty() && !foreign.is_empty() {
                format!(
                    "apt-get update fetched no package list for {wanted}: apt drops a suite's whole update when one of its indexes fails, and {} (an architecture added for another target); remove it with dpkg --remove-architecture {} if it is no longer needed, or retry when the mirror has synced{undone}",
                    describe_failures(&others),
                    foreign[0]
                )
            } else if failed.is_empty() {
                format!(
                    "apt-get update fetched no package list for {wanted}; check that the sources in {} serve it{undone}",
                    main_sources_file()
                )
            } else {
                format!(
                    "apt-get update fetched no package list for {wanted}: {}{undone}",
                    describe_failures(&failed)
                )
            };
            return Err(PkgError::Usage(line));
        }
        for fetch in &failed {
            eprintln!(
                "xx-apt-get: warning: the {}; using the package lists apt already has",
                fetch.describe()
            );
        }
        Ok(Some(failed))
    }

    /// `apt-get update`, run again (up to [`AptLimits::update_attempts`],
    /// with a doubling pause, saying so) while an index that `arches` need
    /// fails in a way that may pass. Returns the fetches of those indexes
    /// that still fail, and the failed fetches no target of `arches` needs
    /// (named in `note:` lines); fails when apt does without naming any.
    fn update(
        &self,
        arches: &[&str],
        output: Option<Output>,
    ) -> Result<(Vec<FailedFetch>, Vec<FailedFetch>), PkgError> {
        let mut args = system::strings(&["update"]);
        args.extend(self.limits.apt_options());
        let mut delay = self.limits.retry_delay_ms;
        for attempt in 1..=self.limits.update_attempts {
            let (status, text) = self.runner.collect("apt-get", &args)?;
            match output {
                None => print!("{text}"),
                Some(Output::Shown) => eprint!("{text}"),
                Some(Output::OnFailure) => {}
            }
            let all = apt_output::failed_fetches(&text);
            let (needed, other): (Vec<_>, Vec<_>) = all
                .into_iter()
                .partition(|fetch| arches.iter().any(|a| apt_output::concerns_arch(fetch, a)));
            if needed.is_empty() {
                for fetch in &other {
                    eprintln!(
                        "xx-apt-get: note: the {} (not needed for this target)",
                        fetch.describe()
                    );
                }
                if !status.success() && other.is_empty() {
                    if output == Some(Output::OnFailure) {
                        eprint!("{text}");
                    }
                    return Err(PkgError::Failed {
                        command: system::command_line("apt-get", &args),
                        status,
                    });
                }
                if attempt > 1 {
                    eprintln!("xx-apt-get: apt-get update succeeded on attempt {attempt}");
                }
                return Ok((Vec::new(), other));
            }
            let transient = needed.iter().any(apt_output::is_transient);
            if attempt < self.limits.update_attempts && transient {
                eprintln!(
                    "xx-apt-get: apt-get update could not fetch {}; retrying in {:.1} s (attempt {} of {})",
                    describe_failures(&needed),
                    delay as f64 / 1000.0,
                    attempt + 1,
                    self.limits.update_attempts
                );
                std::thread::sleep(std::time::Duration::from_millis(delay));
                delay = delay.saturating_mul(2);
                continue;
            }
            if attempt > 1 {
                eprintln!("xx-apt-get: apt-get update still failing after {attempt} attempts");
            }
            return Ok((needed, other));
        }
        Ok((Vec::new(), Vec::new()))
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

/// apt's final arguments for a run, and what was learnt preparing it.
#[derive(Debug, Default)]
struct Prepared {
    /// The arguments, package names rewritten for the target.
    args: Vec<String>,
    /// Whether a package command was rewritten (xx then echoes the line).
    rewritten: bool,
    /// The rewritten package names.
    packages: Vec<String>,
    /// The target's dpkg architecture when it is not the build machine's.
    target_arch: Option<String>,
    /// The build machine's dpkg architecture.
    native_arch: String,
    /// Index fetches this run's `apt-get update` gave up on.
    failed: Vec<FailedFetch>,
    /// Whether this run ran `apt-get update`.
    updated: bool,
}

/// Failed fetches as one clause: `the <suite> <arch> index (<url>): <reason>; ...`.
fn describe_failures(failed: &[FailedFetch]) -> String {
    if let Some(first) = failed.first() {
        let host = apt_output::url_host(&first.url);
        if failed.iter().all(|fetch| {
            apt_output::is_unreachable(&fetch.reason) && apt_output::url_host(&fetch.url) == host
        }) {
            return format!("the mirror {host} cannot be reached ({})", first.reason);
        }
    }
    failed
        .iter()
        .map(|fetch| format!("the {}", fetch.describe()))
        .collect::<Vec<_>>()
        .join("; ")
}

/// xx's message for targets without Linux packages.
fn skip_non_linux(target: &Target) -> Option<Prepared> {
    eprintln!("skipping packages installation on {}", target.platform.os);
    None
}
