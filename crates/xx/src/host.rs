//! Gathering the build machine's facts ([`HostInfo`]) from the filesystem.

use std::path::{Path, PathBuf};

use xx_platform::{HostInfo, Mapped, OsRelease, Target, Vars};

use crate::exit::Outcome;

/// The root whose `/etc` describes the build environment: `XX_ROOT` when
/// set (an xx-rs extension for chroots and tests), `/` otherwise.
pub fn root(vars: &dyn Vars) -> PathBuf {
    vars.non_empty("XX_ROOT")
        .map_or_else(|| PathBuf::from("/"), PathBuf::from)
}

/// `uname -m` of the running kernel.
pub fn machine() -> String {
    rustix::system::uname()
        .machine()
        .to_string_lossy()
        .into_owned()
}

/// Read the host facts below `root`.
pub fn detect(root: &Path) -> HostInfo {
    // Only /etc/os-release, as xx: without it the vendor is `unknown`.
    let os_release = std::fs::read_to_string(root.join("etc/os-release"))
        .ok()
        .map(|text| OsRelease::parse(&text));
    HostInfo {
        machine: machine(),
        os_release,
        alpine_release: root.join("etc/alpine-release").exists(),
        macos_sdk: first_macos_sdk(&root.join("xx-sdk")),
    }
}

/// The target every tool works for: `TARGETPLATFORM` & co. resolved
/// against the build machine below [`root`], with its names. A target the
/// tables cannot map is the tool's one-line failure (`Err` holds it).
pub fn resolve_target(vars: &dyn Vars) -> Result<(Target, Mapped), Outcome> {
    let host = detect(&root(vars));
    let target = Target::resolve(vars, &host).map_err(Outcome::fail)?;
    let mapped = target.mapped().map_err(Outcome::fail)?.clone();
    Ok((target, mapped))
}

/// The first `MacOSX*.sdk` directory under `dir` in name order, as a path
/// rooted at `/xx-sdk` (where xx keeps SDKs).
fn first_macos_sdk(dir: &Path) -> Option<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("MacOSX") && name.ends_with(".sdk"))
        .collect();
    names.sort();
    names
        .into_iter()
        .next()
        .map(|name| format!("/xx-sdk/{name}"))
}
