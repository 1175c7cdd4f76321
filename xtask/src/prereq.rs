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
        "docker.io",
        "dockerd + BuildKit for the image and examples/ builds",
    ),
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

/// Install every missing package with apt-get.
pub fn install() -> Result<()> {
    let missing: Vec<&str> = PACKAGES
        .iter()
        .map(|(name, _)| *name)
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
