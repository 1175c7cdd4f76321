//! The cached Debian bookworm root every sandbox starts from.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use xx_files::FileLock;

use crate::mirror::debian_mirror;
use crate::mounts;
use crate::sandbox::Sandbox;

/// The Debian release of the root.
pub const SUITE: &str = "bookworm";

/// Packages installed into the root on top of `--variant=minbase`.
/// (`file` is left out on purpose: tests check xx-rs does not need it.)
pub const ROOT_PACKAGES: &[&str] = &[
    "clang",
    "lld",
    "llvm",
    "pkg-config",
    "make",
    "cmake",
    "meson",
    "ninja-build",
    "ca-certificates",
];

/// Default parent folder of cached roots (`XX_E2E_CACHE` overrides it).
const DEFAULT_CACHE_PARENT: &str = "/var/cache/xx-rs-e2e";

/// Bump when the way the root is made changes, to get a fresh cache.
const RECIPE_VERSION: &str = "1";

/// A complete Debian root on the host, shared read-only by all sandboxes.
#[derive(Debug, Clone)]
pub struct DebianRoot {
    path: PathBuf,
}

impl DebianRoot {
    /// The cached root, made with `debootstrap --variant=minbase` when it
    /// does not exist yet.
    ///
    /// The root lives at `<cache>/bookworm-<hash of the package list>`
    /// (`<cache>` is `$XX_E2E_CACHE` or `/var/cache/xx-rs-e2e`). It is built
    /// in a temporary folder next to it and renamed into place only when
    /// complete, under an exclusive `flock` so that concurrent test
    /// processes build it once.
    pub fn ensure() -> Result<DebianRoot> {
        let parent = cache_parent();
        let path = parent.join(format!("{SUITE}-{}", recipe_hash()));
        if path.is_dir() {
            return Ok(DebianRoot { path });
        }
        std::fs::create_dir_all(&parent)
            .with_context(|| format!("cannot create the cache folder {}", parent.display()))?;
        let _lock = FileLock::acquire(&path.with_extension("lock"))?;
        if !path.is_dir() {
            build(&path)?;
        }
        Ok(DebianRoot { path })
    }

    /// Host path of the (read-only, shared) root.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A throwaway writable copy of the root named `name` (letters, digits,
    /// `-`, `_`), with `/proc` and `/dev` mounted, the host's
    /// `/etc/resolv.conf`, and `xx` plus its tool links in `/usr/local/bin`.
    pub fn sandbox(&self, name: &str) -> Result<Sandbox> {
        Sandbox::create(&self.path, name)
    }
}

/// `$XX_E2E_CACHE` or the default cache folder.
pub(crate) fn cache_parent() -> PathBuf {
    std::env::var_os("XX_E2E_CACHE")
        .filter(|value| !value.is_empty())
        .map_or_else(|| PathBuf::from(DEFAULT_CACHE_PARENT), PathBuf::from)
}

/// Short stable hash of everything that decides the root's contents.
fn recipe_hash() -> String {
    let recipe = format!(
        "{RECIPE_VERSION}\n{SUITE}\nminbase\n{}",
        ROOT_PACKAGES.join(",")
    );
    format!("{:016x}", fnv1a(recipe.as_bytes()))[..12].to_string()
}

/// 64-bit FNV-1a.
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// debootstrap the root into a temporary folder beside `path`, then rename
/// it into place. The caller holds the lock.
fn build(path: &Path) -> Result<()> {
    let parent = path
        .parent()
        .context("the cache path has no parent folder")?;
    let file_name = path
        .file_name()
        .context("the cache path has no file name")?
        .to_string_lossy()
        .into_owned();
    let build_prefix = format!(".{file_name}.build-");
    remove_stale_builds(parent, &build_prefix);

    let debs = parent.join("debs");
    std::fs::create_dir_all(&debs).with_context(|| format!("cannot create {}", debs.display()))?;
    let scratch = tempfile::Builder::new()
        .prefix(&build_prefix)
        .tempdir_in(parent)
        .with_context(|| format!("cannot make a build folder in {}", parent.display()))?
        .keep();
    let result = debootstrap(&scratch.join("root"), &debs).and_then(|()| {
        std::fs::rename(scratch.join("root"), path)
            .with_context(|| format!("cannot move the finished root to {}", path.display()))
    });
    if !mounts::remove_unmounted_tree(&scratch) {
        eprintln!(
            "xx-e2e: leaving {} behind: something is still mounted below it",
            scratch.display()
        );
    }
    result
}

/// Run debootstrap into `target`, reusing downloaded packages from `debs`.
fn debootstrap(target: &Path, debs: &Path) -> Result<()> {
    let mirror = debian_mirror();
    let started = Instant::now();
    eprintln!(
        "xx-e2e: debootstrap {SUITE} from {mirror} into {} (one-time, several minutes)",
        target.display()
    );
    let output = duct::cmd(
        "debootstrap",
        [
            "--variant=minbase".into(),
            format!("--include={}", ROOT_PACKAGES.join(",")),
            format!("--cache-dir={}", debs.display()),
            SUITE.into(),
            target.display().to_string(),
            mirror.clone(),
        ],
    )
    .stdin_null()
    .stdout_capture()
    .stderr_capture()
    .unchecked()
    .run()
    .context("cannot run debootstrap (is the `debootstrap` package installed?)")?;
    if !output.status.success() {
        let log =
            std::fs::read_to_string(target.join("debootstrap/debootstrap.log")).unwrap_or_default();
        bail!(
            "debootstrap of {SUITE} from {mirror} failed ({}):\n{}\n{}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
            tail(&log, 40)
        );
    }
    eprintln!("xx-e2e: debootstrap finished in {:.0?}", started.elapsed());
    Ok(())
}

/// The last `lines` lines of `text`.
fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Remove build folders left by an interrupted build (the caller holds the
/// lock, so no build is running).
fn remove_stale_builds(parent: &Path, prefix: &str) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(prefix) {
            mounts::remove_unmounted_tree(&entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipe_hash_is_short_and_stable() {
        let hash = recipe_hash();
        assert_eq!(hash.len(), 12);
        assert_eq!(hash, recipe_hash());
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
    }
}
