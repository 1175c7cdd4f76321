//! Installing what the tests need on a fresh Debian 12 machine (as root).

use anyhow::{bail, Context, Result};

use crate::util::step;

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

/// Whether a Debian package is installed.
fn installed(package: &str) -> bool {
    duct::cmd!("dpkg-query", "-W", "-f=${Status}", package)
        .stdout_capture()
        .stderr_null()
        .unchecked()
        .run()
        .map(|out| String::from_utf8_lossy(&out.stdout).contains("install ok installed"))
        .unwrap_or(false)
}

/// Install every missing package of [`PACKAGES`] with apt-get.
pub fn install() -> Result<()> {
    let all: Vec<&str> = PACKAGES.iter().map(|(name, _)| *name).collect();
    install_packages(&all)
}

/// Install those of `packages` that are missing, with apt-get.
pub fn install_packages(packages: &[&str]) -> Result<()> {
    let missing: Vec<&str> = packages
        .iter()
        .copied()
        .filter(|name| !installed(name))
        .collect();
    if missing.is_empty() {
        step("prerequisites: all installed");
        return Ok(());
    }
    if !is_root() {
        bail!(
            "missing packages {} and not root; run as root or install them",
            missing.join(" ")
        );
    }
    step(&format!("prerequisites: installing {}", missing.join(" ")));
    duct::cmd!("apt-get", "update", "-q")
        .run()
        .context("apt-get update")?;
    let mut args = vec!["install", "-y", "-q", "--no-install-recommends"];
    args.extend(&missing);
    duct::cmd("apt-get", &args)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .run()
        .context("apt-get install")?;
    Ok(())
}

fn is_root() -> bool {
    duct::cmd!("id", "-u")
        .read()
        .map(|uid| uid.trim() == "0")
        .unwrap_or(false)
}
