//! What `xx-apk` does, as a library: on Alpine, a cross target's packages
//! go to a second apk root at `/<triple>` (`/aarch64-alpine-linux-musl`),
//! made once with the build machine's repositories, the target's Alpine
//! architecture and Alpine's keys; apk then runs with `--root` there, xx's
//! meta packages expanded, and links in the build root let clang and rustc
//! find the target's runtime. The command-line tool and xx-cargo (Alpine's
//! `rust-stdlib`) both go through [`ApkTool`], with the target resolved once
//! by the caller (with Alpine's own vendor).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitStatus;

use xx_platform::distro::PackageAvailability;
use xx_platform::{Mapped, Target, Vars};

use crate::apk::{self, Link};
use crate::apt_tool::Output;
use crate::error::PkgError;
use crate::system::{self, strings, Runner};

/// The package manager xx-apk drives.
const APK: &str = "apk";

/// Mode of the files xx-apk writes in a target root.
const FILE_MODE: u32 = 0o644;

/// How a run of apk ended.
#[derive(Debug)]
pub enum ApkRun {
    /// The target has no Alpine packages; xx's message was printed.
    Skipped,
    /// Nothing to run (`setup`, `clean`, or no arguments after setup).
    Done,
    /// apk ran and ended with this status.
    Ran(ExitStatus),
}

/// xx-apk's settings, read from the environment once at the edge.
#[derive(Debug, Clone, Copy)]
pub struct ApkTool {
    /// Runs apk.
    pub runner: Runner,
}

impl ApkTool {
    /// The settings `vars` give (`XX_DEBUG_APK`).
    pub fn from_vars(vars: &dyn Vars) -> ApkTool {
        ApkTool {
            runner: Runner::apk(vars.non_empty("XX_DEBUG_APK").is_some()),
        }
    }

    /// Whether `target` has Alpine packages at all; prints xx's skip
    /// message when it has not (non-Linux, MIPS).
    fn supported(target: &Target) -> bool {
        if target.platform.os != "linux" {
            eprintln!("skipping packages installation on {}", target.platform.os);
            return false;
        }
        // Alpine has no packages for some architectures (MIPS).
        let unavailable = target.mapped().is_ok_and(|mapped| {
            apk::availability(mapped.arch, &target.os_version) == PackageAvailability::Unavailable
        });
        if unavailable {
            eprintln!("skipping packages installation on {}", target.platform.arch);
            return false;
        }
        true
    }

    /// `xx-apk setup`: make the target root (nothing for a native target).
    /// The caller holds the lock ([`system::lock_apk`]).
    pub fn setup(&self, target: &Target) -> Result<ApkRun, PkgError> {
        if !Self::supported(target) {
            return Ok(ApkRun::Skipped);
        }
        setup_root(target, mapped(target)?, &self.runner, None)?;
        Ok(ApkRun::Done)
    }

    /// `xx-apk clean`: remove the target root (and the standard-library
    /// link into it). The caller holds the lock.
    pub fn clean(&self, target: &Target) -> Result<ApkRun, PkgError> {
        if !Self::supported(target) {
            return Ok(ApkRun::Skipped);
        }
        clean_root(mapped(target)?)?;
        Ok(ApkRun::Done)
    }

    /// `xx-apk ARGS`: prepare the target root, run apk in it (echoing
    /// `+ apk  --root ...` to `echo`) and make the runtime links. The
    /// caller holds the lock.
    pub fn run(
        &self,
        args: &[String],
        target: &Target,
        echo: &mut dyn Write,
    ) -> Result<ApkRun, PkgError> {
        if !Self::supported(target) {
            return Ok(ApkRun::Skipped);
        }
        let mapped = mapped(target)?;
        setup_root(target, mapped, &self.runner, None)?;
        let (root_arg, rewritten, apk_args) = rooted(mapped, args);
        if !apk_args.is_empty() {
            writeln!(echo, "{}", system::echo_line(APK, &apk_args))
                .and_then(|()| echo.flush())
                .map_err(|source| PkgError::Spawn {
                    command: "echo".into(),
                    source,
                })?;
        }
        let status = self.runner.passthrough(APK, &apk_args)?;
        if status.success() && mapped.is_cross {
            self.link_runtimes(mapped, &root_arg, &rewritten)?;
        }
        Ok(ApkRun::Ran(status))
    }

    /// `xx-apk add PACKAGES` for `target`, for tools that need target
    /// packages (xx-cargo's `rust-stdlib`): takes the lock, fails naming the
    /// command when apk does.
    pub fn install(
        &self,
        target: &Target,
        packages: &[&str],
        output: Output,
    ) -> Result<(), PkgError> {
        let _lock = system::lock_apk()?;
        if !Self::supported(target) {
            return Ok(());
        }
        let mapped = mapped(target)?;
        setup_root(target, mapped, &self.runner, Some(output))?;
        let mut args = vec!["add".to_string()];
        args.extend(packages.iter().map(|name| name.to_string()));
        let (root_arg, rewritten, apk_args) = rooted(mapped, &args);
        match output {
            Output::Shown => {
                eprintln!("{}", system::echo_line(APK, &apk_args));
                self.runner.visible_on_stderr(APK, &apk_args)?;
            }
            Output::OnFailure => self.runner.quiet(APK, &apk_args)?,
        }
        if mapped.is_cross {
            self.link_runtimes(mapped, &root_arg, &rewritten)?;
        }
        Ok(())
    }

    /// After `compiler-rt` and `rust-stdlib`, the links that let clang and
    /// rustc of the build root find the target's runtime.
    fn link_runtimes(
        &self,
        mapped: &Mapped,
        root_arg: &str,
        rewritten: &apk::Rewritten,
    ) -> Result<(), PkgError> {
        if let Some(package) = &rewritten.compiler_rt {
            let listing = self
                .runner
                .capture(APK, &strings(&["--root", root_arg, "info", "-qL", package]))?;
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
        Ok(())
    }
}

fn mapped(target: &Target) -> Result<&Mapped, PkgError> {
    target
        .mapped()
        .map_err(|err| PkgError::Usage(err.to_string()))
}

/// The root apk works in, xx's rewriting of `args` and apk's command line.
fn rooted(mapped: &Mapped, args: &[String]) -> (String, apk::Rewritten, Vec<String>) {
    let root = if mapped.is_cross {
        apk::target_root(&mapped.triple)
    } else {
        PathBuf::from("/")
    };
    let root_arg = root.display().to_string();
    let rewritten = apk::rewrite(args);
    let apk_args = apk::rooted_args(&root_arg, &rewritten.args);
    (root_arg, rewritten, apk_args)
}

/// Make the target root once: its repositories, architecture, keys folder
/// and Alpine's keys (`apk add --initdb alpine-keys`), and its own folder
/// in apk's cache when the build machine keeps one. Nothing for a native
/// target.
/// apk's output goes to stdout as xx-apk's own (`None`), or as `output` says
/// for a library install.
fn setup_root(
    target: &Target,
    mapped: &Mapped,
    runner: &Runner,
    output: Option<Output>,
) -> Result<(), PkgError> {
    if !mapped.is_cross {
        return Ok(());
    }
    let root = apk::target_root(&mapped.triple);
    let done = root.join(apk::SETUP_DONE);
    if done.is_file() {
        return Ok(());
    }
    let apk_dir = root.join("etc/apk");
    let host_repositories = std::fs::read_to_string(apk::REPOSITORIES).map_err(|err| {
        PkgError::Usage(format!(
            "cannot read {} (is this Alpine?): {err}",
            apk::REPOSITORIES
        ))
    })?;
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
    let init = strings(&[
        "add",
        "--no-cache",
        "--initdb",
        "-p",
        &root_arg,
        "--allow-untrusted",
        apk::KEYS_PACKAGE,
    ]);
    match output {
        None => runner.visible(APK, &init)?,
        Some(Output::Shown) => runner.visible_on_stderr(APK, &init)?,
        Some(Output::OnFailure) => runner.quiet(APK, &init)?,
    }
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
fn clean_root(mapped: &Mapped) -> Result<(), PkgError> {
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
        Err(source) => Err(PkgError::File {
            action: "cannot remove",
            path: root,
            source,
        }),
    }
}

/// Make `link`, creating its folder.
fn make_link(link: &Link) -> Result<(), PkgError> {
    xx_files::symlink_atomic(&link.target, &link.link)?;
    Ok(())
}
