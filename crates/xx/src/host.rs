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

/// What a tool works with, resolved once at its edge from the environment
/// and the build root, then passed by reference to the libraries: the
/// build machine's facts and the target with its names. Nothing below the
/// edge parses `TARGETPLATFORM` & co. again.
#[derive(Debug, Clone)]
pub struct TargetContext {
    /// The root whose `/etc` describes the build machine ([`root`]).
    pub root: PathBuf,
    /// The build machine's facts, read below [`TargetContext::root`].
    pub host: HostInfo,
    /// The target (`TARGETPLATFORM` & co.), supported by the tables.
    pub target: Target,
    /// The target's names (the tables' mapping of [`TargetContext::target`]).
    pub mapped: Mapped,
}

impl TargetContext {
    /// Resolve the target `vars` name against the build machine. A target
    /// the tables cannot map is the tool's one-line failure (`Err` holds it).
    pub fn resolve(vars: &dyn Vars) -> Result<TargetContext, Outcome> {
        let root = root(vars);
        let host = detect(&root);
        let target = Target::resolve(vars, &host).map_err(Outcome::fail)?;
        let mapped = target.mapped().map_err(Outcome::fail)?.clone();
        Ok(TargetContext {
            root,
            host,
            target,
            mapped,
        })
    }
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
