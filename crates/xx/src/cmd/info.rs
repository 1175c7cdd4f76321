//! `xx-info`: print the target's names, compatible with tonistiigi/xx.

use std::io::Write;

use anyhow::Result;
use xx_platform::{RustToolchain, Target, Vars};

use crate::exit::Outcome;

const USAGE: &str = "\
Usage: xx-info [COMMAND]

Print facts about the target platform (TARGETPLATFORM, TARGETPAIR or
TARGETOS/TARGETARCH/TARGETVARIANT; the build machine when none is set).

Commands:
  triple         GNU/LLVM target triple (the default command)
  os             Target OS (linux, windows, darwin, freebsd, ...)
  arch           Target architecture as Docker names it
  variant        Target variant, e.g. v7 for arm
  march          Target machine name, as uname -m prints it
  debian-arch    Architecture name for Debian/Ubuntu packages
  alpine-arch    Architecture name for Alpine packages
  rhel-arch      Architecture name for RPM packages
  pkg-arch       Architecture name for the package manager of this system
  vendor         Vendor part of the triple (the distribution)
  libc           C library: gnu, musl or mingw32
  os-version     Version of this system (os-release VERSION_ID)
  sysroot        Sysroot directory for the target
  env            XX_* and TARGET* variables describing the target
  is-cross       Succeed when the target differs from this machine
  rust-triple    Rust target triple, as xx-cargo uses it (xx-rs)
  go-env         GOOS, GOARCH and variant settings for Go (xx-rs)
  --json         Every field above as one JSON object, with glibc_floor:
                 the XX_GLIBC floor in effect, or null (xx-rs)
  --help         This text
";

/// Commands that only echo the request and so work for unmapped platforms.
const UNMAPPED_OK: &[&str] = &["arch", "variant", "os", "os-version", "vendor", "libc"];

/// Whether a Rust triple should be chosen for rustup or for the distro's rustc.
pub fn rust_toolchain() -> RustToolchain {
    if which::which("rustup").is_ok() {
        RustToolchain::Rustup
    } else {
        RustToolchain::Distro
    }
}

/// Run `xx-info` with its arguments (without argv[0]).
pub fn run(args: &[String], vars: &dyn Vars, out: &mut dyn Write) -> Result<Outcome> {
    let command = match args {
        [] => "",
        [command] => command.as_str(),
        [_, extra, ..] => return Ok(Outcome::fail(format!("unexpected argument {extra:?}"))),
    };
    if command == "--help" || command == "-h" {
        eprint!("{USAGE}");
        return Ok(Outcome::Success);
    }
    let host = crate::host::detect(&crate::host::root(vars));
    let target = match Target::resolve(vars, &host) {
        Ok(target) => target,
        Err(err) => return Ok(Outcome::fail(err)),
    };
    let unmapped_ok = UNMAPPED_OK.contains(&command);
    let mapped = match (target.mapped(), unmapped_ok) {
        (Ok(mapped), _) => Some(mapped),
        (Err(_), true) => None,
        (Err(err), false) => return Ok(Outcome::fail(err)),
    };
    // `mapped` is Some for every command outside UNMAPPED_OK.
    let m = || mapped.ok_or_else(|| anyhow::anyhow!("no mapping"));
    let text = match command {
        "" | "triple" => m()?.triple.clone(),
        "os" => target.platform.os.clone(),
        "arch" => target.platform.arch.clone(),
        "variant" => target.platform.variant.clone(),
        "os-version" => target.os_version.clone(),
        "vendor" => target.vendor.clone(),
        "libc" => target.libc.clone(),
        "march" => m()?.march.to_string(),
        "debian-arch" => m()?.arch.debian.to_string(),
        "alpine-arch" => m()?.arch.alpine.to_string(),
        "rhel-arch" => m()?.arch.rhel.to_string(),
        "pkg-arch" => m()?.pkg_arch.clone(),
        "sysroot" => m()?.sysroot.clone(),
        "is-cross" => {
            return Ok(if m()?.is_cross {
                Outcome::Success
            } else {
                Outcome::Exit(1)
            })
        }
        "env" => key_values(target.env_lines()?),
        "go-env" => key_values(target.go_env()?),
        "rust-triple" => match target.rust_triple(vars, rust_toolchain()) {
            Ok(triple) => triple,
            Err(err) => return Ok(Outcome::fail(err)),
        },
        "--json" => {
            let mut summary = serde_json::to_value(target.summary(vars, rust_toolchain())?)?;
            let floor = match glibc_floor(vars, &target) {
                Ok(floor) => floor,
                Err(err) => return Ok(Outcome::fail(err)),
            };
            if let serde_json::Value::Object(fields) = &mut summary {
                fields.insert(
                    "glibc_floor".to_string(),
                    floor.map_or(serde_json::Value::Null, serde_json::Value::String),
                );
            }
            serde_json::to_string_pretty(&summary)?
        }
        other => {
            // xx prints this on stdout.
            writeln!(out, "unknown command {other}")?;
            return Ok(Outcome::Exit(1));
        }
    };
    writeln!(out, "{text}")?;
    Ok(Outcome::Success)
}

/// The glibc floor in effect (`XX_GLIBC`, checked): none without it or
/// for targets that do not use glibc.
fn glibc_floor(vars: &dyn Vars, target: &Target) -> Result<Option<String>> {
    let Some(value) = crate::glibc::requested(vars) else {
        return Ok(None);
    };
    if target.platform.os != "linux" || target.libc != "gnu" {
        return Ok(None);
    }
    let installed = xx_toolchain::glibc_sysroot::installed_glibc()?;
    let floor = xx_toolchain::glibc_floor::parse_floor(&value, installed)?;
    Ok(Some(floor.to_string()))
}

/// `KEY=value` lines without the final newline.
fn key_values<K: std::fmt::Display, V: std::fmt::Display>(
    pairs: impl IntoIterator<Item = (K, V)>,
) -> String {
    pairs
        .into_iter()
        .map(|(key, value)| format!("{key}={value}"))
        .collect::<Vec<_>>()
        .join("\n")
}
