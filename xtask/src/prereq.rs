//! Installing what the tests need on a fresh Debian 12 machine (as root).
//!
//! Nothing is fetched when everything is installed. Otherwise `apt-get
//! update` runs once, and an index it cannot fetch (a foreign
//! architecture's mirror mid-sync, a source the host has for other
//! reasons) is named in one line and passed over: only a package that
//! still cannot be installed fails the step.
//!
//! `tests/src/prereq_host.rs` includes this file to run the same logic in
//! a chroot sandbox against a local faulty mirror: effects go through
//! [`AptHost`], apt's output is read by `xx_pkg::apt_output`.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use xx_pkg::apt_output::{self, FailedFetch};

/// Debian packages the test suites use, with why.
pub const PACKAGES: &[(&str, &str)] = &[
    ("clang", "cross C/C++ compiler driven by xx-clang"),
    ("lld", "cross linker"),
    ("llvm", "llvm-ar, llvm-lipo and friends"),
    (
        "qemu-user",
        "runs the cross-built programs (qemu-<arch> -L)",
    ),
    (
        "debootstrap",
        "the Debian bookworm root of the chroot tests",
    ),
    (
        "binutils-s390x-linux-gnu",
        "GNU ld for s390x, which lld cannot link",
    ),
    ("mingw-w64", "Windows headers and import libraries"),
    ("pkg-config", "pkg-config wrapper tests"),
    ("cmake", "CMake toolchain-file tests"),
    ("meson", "Meson cross-file tests"),
    ("ninja-build", "Meson's backend"),
    ("make", "autotools-style builds"),
    ("hyperfine", "benchmarks"),
    (
        "rustc-web",
        "Debian's Rust compiler, whose target standard libraries are Debian packages (demo)",
    ),
    ("cargo-web", "Debian's cargo for rustc-web (demo)"),
    (
        "runc",
        "the container runtime of the xx-rs Docker engine (trixie's dockerd, containerd and buildx, which the xtask unpacks into its own prefix)",
    ),
];

/// The packages `cargo xtask demo` needs: clang and lld for the C hello,
/// Debian's Rust for the Rust hello, qemu-user to run both.
pub const DEMO_PACKAGES: &[&str] = &[
    "clang",
    "lld",
    "llvm",
    "qemu-user",
    "rustc-web",
    "cargo-web",
];

/// The private lists folder of the native-only retry.
const NATIVE_LISTS: &str = "/var/lib/apt/lists-xx-rs-native";

/// Where apt runs: this machine, or a root entered with `chroot` (tests).
#[derive(Debug, Clone, Default)]
pub struct AptHost {
    /// The root to `chroot` into; `None` for this machine.
    pub chroot: Option<PathBuf>,
    /// Extra `-o Option=value` settings for every apt-get run.
    pub apt_options: Vec<String>,
}

impl AptHost {
    /// `program args` on this host (through `chroot` when it is a root).
    fn command(&self, program: &str, args: &[String]) -> duct::Expression {
        match &self.chroot {
            None => duct::cmd(program, args),
            Some(root) => {
                let mut all = vec![root.display().to_string(), program.to_string()];
                all.extend(args.iter().cloned());
                duct::cmd("chroot", all)
            }
        }
    }

    /// `apt-get` with the host's options before `args`.
    fn apt_get(&self, args: &[&str]) -> duct::Expression {
        let mut all: Vec<String> = self
            .apt_options
            .iter()
            .flat_map(|option| ["-o".to_string(), option.clone()])
            .collect();
        all.extend(args.iter().map(|arg| arg.to_string()));
        self.command("apt-get", &all)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdin_null()
    }

    /// `apt-get install` of `missing`; whether it succeeded.
    fn install_missing(&self, missing: &[&str]) -> Result<bool> {
        let mut args = vec!["install", "-y", "-q", "--no-install-recommends"];
        args.extend(missing);
        let installed = self
            .apt_get(&args)
            .stdout_to_stderr()
            .unchecked()
            .run()
            .context("cannot run apt-get install")?;
        Ok(installed.status.success())
    }

    /// dpkg's native architecture.
    fn native_architecture(&self) -> Result<String> {
        let args = ["--print-architecture".to_string()];
        let out = self
            .command("dpkg", &args)
            .read()
            .context("dpkg --print-architecture")?;
        Ok(out.trim().to_string())
    }

    /// The host path of `path` of this host's root.
    fn host_path(&self, path: &str) -> PathBuf {
        match &self.chroot {
            None => PathBuf::from(path),
            Some(root) => root.join(path.trim_start_matches('/')),
        }
    }

    /// This host with apt limited to `native` and reading lists from
    /// [`NATIVE_LISTS`], freshly updated.
    fn native_only(&self, native: &str) -> Result<AptHost> {
        let lists = self.host_path(NATIVE_LISTS);
        let _ = std::fs::remove_dir_all(&lists);
        std::fs::create_dir_all(lists.join("partial"))
            .with_context(|| format!("cannot create {}", lists.display()))?;
        let mut host = self.clone();
        host.apt_options
            .push(format!("Dir::State::Lists={NATIVE_LISTS}"));
        host.apt_options
            .push(format!("APT::Architectures={native}"));
        let failed = update(&host)?;
        if !failed.is_empty() {
            bail!("the {native} package lists cannot be fetched either");
        }
        Ok(host)
    }

    /// Remove [`NATIVE_LISTS`].
    fn remove_native_lists(&self) {
        let _ = std::fs::remove_dir_all(self.host_path(NATIVE_LISTS));
    }

    /// Whether a Debian package is installed.
    pub fn installed(&self, package: &str) -> bool {
        let args = ["-W", "-f=${Status}", package].map(String::from);
        self.command("dpkg-query", &args)
            .stdout_capture()
            .stderr_null()
            .unchecked()
            .run()
            .map(|out| String::from_utf8_lossy(&out.stdout).contains("install ok installed"))
            .unwrap_or(false)
    }
}

/// Install every missing package of [`PACKAGES`] with apt-get.
pub fn install() -> Result<()> {
    let all: Vec<&str> = PACKAGES.iter().map(|(name, _)| *name).collect();
    install_packages(&all)
}

/// Install those of `packages` that are missing, with apt-get.
pub fn install_packages(packages: &[&str]) -> Result<()> {
    install_packages_on(&AptHost::host(), packages).map(drop)
}

impl AptHost {
    /// This machine, waiting up to two minutes for a dpkg lock other
    /// tools hold, and at most 30 s on a silent mirror connection.
    pub fn host() -> AptHost {
        AptHost {
            chroot: None,
            apt_options: vec![
                "DPkg::Lock::Timeout=120".to_string(),
                "Acquire::http::Timeout=30".to_string(),
            ],
        }
    }
}

/// Install those of `packages` that are missing on `host`. `apt-get update`
/// runs only when something is missing; indexes it cannot fetch are named
/// (one line each) and passed over, and the step fails only when the
/// install itself does. Returns the fetches passed over.
pub fn install_packages_on(host: &AptHost, packages: &[&str]) -> Result<Vec<FailedFetch>> {
    let missing: Vec<&str> = packages
        .iter()
        .copied()
        .filter(|name| !host.installed(name))
        .collect();
    if missing.is_empty() {
        step("prerequisites: all installed");
        return Ok(Vec::new());
    }
    if host.chroot.is_none() && !is_root() {
        bail!(
            "missing packages {} and not root; run as root or install them",
            missing.join(" ")
        );
    }
    step(&format!("prerequisites: installing {}", missing.join(" ")));
    let failed = update(host)?;
    let installed = host.install_missing(&missing)?;
    if installed {
        return Ok(failed);
    }
    // apt drops the whole update of a suite when one of its indexes fails
    // (old lists are kept, but there may be none): when only foreign
    // architectures failed, fetch the native ones alone into a private
    // lists folder and install from it, leaving the shared lists alone.
    let native = host.native_architecture()?;
    let foreign_only = !failed.is_empty()
        && failed.iter().all(|fetch| {
            fetch
                .index()
                .and_then(|index| index.arch)
                .is_some_and(|arch| arch != native)
        });
    if foreign_only {
        eprintln!(
            "prerequisites: retrying with {native} package lists only, in {NATIVE_LISTS} (the shared lists are left as they are)"
        );
        let native_host = host.native_only(&native)?;
        let installed = native_host.install_missing(&missing);
        native_host.remove_native_lists();
        if installed? {
            return Ok(failed);
        }
    }
    let because = if failed.is_empty() {
        String::new()
    } else {
        format!(
            "; apt-get update could not fetch: {}",
            failed
                .iter()
                .map(FailedFetch::describe)
                .collect::<Vec<_>>()
                .join("; ")
        )
    };
    bail!("apt-get install {} failed{because}", missing.join(" "))
}

/// `apt-get update`, going on past indexes it cannot fetch: returns them,
/// after naming each on one line. Fails only when apt fails for another
/// reason (it names no failed fetch).
fn update(host: &AptHost) -> Result<Vec<FailedFetch>> {
    let output = host
        .apt_get(&["update", "-q"])
        .stderr_to_stdout()
        .stdout_capture()
        .unchecked()
        .run()
        .context("cannot run apt-get update")?;
    let text = String::from_utf8_lossy(&output.stdout);
    let failed = apt_output::failed_fetches(&text);
    for fetch in &failed {
        eprintln!(
            "prerequisites: apt-get update could not fetch the {}; going on without it",
            fetch.describe()
        );
    }
    if !output.status.success() && failed.is_empty() {
        bail!("apt-get update failed ({}):\n{text}", output.status);
    }
    Ok(failed)
}

/// Print a step heading.
fn step(message: &str) {
    eprintln!("\n==> {message}");
}

fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}
