//! Free disk space before the end-to-end suites.
//!
//! The suites write a lot: the workspace's `target/`, one overlay per
//! sandbox under the temporary folder (each installs clang, a Rust
//! toolchain and target libraries, then builds), the cached Debian root and
//! the private Docker engine's images and build cache. On a full disk they
//! fail deep inside `apt-get` or `dpkg` with messages that do not say why;
//! [`ensure_room`] says it up front, after first giving back the space the
//! engine's build cache holds.

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::docker::{env_dir, Dockerd, DockerdPaths};

const GIB: u64 = 1 << 30;

/// A folder the suites write to, and how much they add to it in one run.
#[derive(Debug)]
struct Place {
    /// What the suites keep there.
    what: &'static str,
    /// The folder (it may not exist yet).
    path: PathBuf,
    /// Peak growth in one `cargo xtask test` run, with a margin.
    need: u64,
}

/// The folders the suites write to, with what one run may add to each.
///
/// Measured here: a clean clone's `cargo xtask test` with warm caches grew
/// the disk by at most 5.2 GiB (`target/` 1.4 GiB, the rest sandboxes at
/// their busiest; the Docker suite reuses its cached layers). The needs
/// below are about twice that; a cold machine also needs room for the
/// Debian root (1.2 GiB) and the Docker cache (capped at
/// [`crate::docker::BUILD_CACHE_KEEP`]).
fn places(workspace: &Path, docker: &DockerdPaths) -> Vec<Place> {
    let e2e_cache = env_dir("XX_E2E_CACHE", "/var/cache/xx-rs-e2e");
    let root_need = if has_entries(&e2e_cache) { 0 } else { 2 * GIB };
    vec![
        Place {
            what: "build output",
            path: workspace.join("target"),
            need: 2 * GIB,
        },
        Place {
            what: "sandboxes",
            path: std::env::temp_dir(),
            need: 5 * GIB,
        },
        Place {
            what: "the cached Debian root",
            path: e2e_cache,
            need: root_need,
        },
        Place {
            what: "Docker images and build cache",
            path: docker.state_dir.clone(),
            need: 3 * GIB,
        },
    ]
}

/// The places on one file system, and its free space.
#[derive(Debug)]
struct FileSystem {
    device: u64,
    free: u64,
    need: u64,
    places: Vec<String>,
}

/// Fail with one line when a file system the suites write to has less free
/// space than they need, after pruning the private Docker engine's whole
/// build cache when that could help.
pub fn ensure_room(workspace: &Path) -> Result<()> {
    let docker = DockerdPaths::from_env()?;
    let places = places(workspace, &docker);
    let Some(short) = short_file_system(&places)? else {
        return Ok(());
    };
    let docker_data = docker.data_root();
    let docker_on_short =
        std::fs::metadata(&docker_data).is_ok_and(|meta| meta.dev() == short.device);
    if docker_on_short {
        eprintln!("low on disk space: emptying the xx-rs Docker engine's build cache");
        Dockerd::start_or_reuse(docker)?.prune_build_cache()?;
    }
    if let Some(short) = short_file_system(&places)? {
        bail!(
            "only {} free on the file system of {}; the end-to-end suites need {} there \
             (free some space, or point TMPDIR, XX_E2E_CACHE or XX_DOCKER_STATE at another disk)",
            gib(short.free),
            short.places.join(", "),
            gib(short.need),
        );
    }
    Ok(())
}

/// The first file system whose free space is below what the places on it
/// need together.
fn short_file_system(places: &[Place]) -> Result<Option<FileSystem>> {
    let mut by_device: BTreeMap<u64, FileSystem> = BTreeMap::new();
    for place in places {
        let existing = nearest_existing(&place.path);
        let device = std::fs::metadata(&existing)
            .with_context(|| format!("cannot stat {}", existing.display()))?
            .dev();
        let stats = rustix::fs::statvfs(&existing)
            .with_context(|| format!("cannot read the free space of {}", existing.display()))?;
        let entry = by_device.entry(device).or_insert_with(|| FileSystem {
            device,
            free: stats.f_bavail.saturating_mul(stats.f_frsize),
            need: 0,
            places: Vec::new(),
        });
        entry.need += place.need;
        entry
            .places
            .push(format!("{} ({})", place.path.display(), place.what));
    }
    Ok(by_device.into_values().find(|fs| fs.free < fs.need))
}

/// `path`, or its nearest ancestor that exists.
fn nearest_existing(path: &Path) -> PathBuf {
    path.ancestors()
        .find(|dir| dir.exists())
        .unwrap_or(Path::new("/"))
        .to_path_buf()
}

/// Whether `dir` exists and holds anything.
fn has_entries(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some())
}

/// `12.3 GiB`.
fn gib(bytes: u64) -> String {
    format!("{:.1} GiB", bytes as f64 / GIB as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(path: &Path, need: u64) -> Place {
        Place {
            what: "test",
            path: path.to_path_buf(),
            need,
        }
    }

    #[test]
    fn needs_on_one_file_system_add_up() {
        let dir = tempfile::tempdir().unwrap();
        let free = {
            let stats = rustix::fs::statvfs(dir.path()).unwrap();
            stats.f_bavail * stats.f_frsize
        };
        // Far from the edges, so that other writers cannot flip the result.
        let one = [place(dir.path(), free / 2)];
        assert!(short_file_system(&one).unwrap().is_none());
        let two = [
            place(dir.path(), free),
            place(&dir.path().join("not/yet"), free),
        ];
        let short = short_file_system(&two).unwrap().expect("short");
        assert_eq!(short.need, 2 * free);
        assert_eq!(short.places.len(), 2);
    }

    #[test]
    fn a_missing_folder_counts_on_its_parent() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(nearest_existing(&dir.path().join("a/b/c")), dir.path());
    }

    #[test]
    fn sizes_read_in_gib() {
        assert_eq!(gib(3 * GIB / 2), "1.5 GiB");
    }
}
