//! Mounting and (reliably) unmounting the pieces of a sandbox.

use std::ffi::CString;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use rustix::mount::{MountFlags, UnmountFlags};

/// Mount an overlay at `merged` with one read-only `lower` layer.
pub(crate) fn mount_overlay(lower: &Path, upper: &Path, work: &Path, merged: &Path) -> Result<()> {
    for dir in [lower, upper, work] {
        let text = dir.to_string_lossy();
        if text.contains([',', ':', '\\']) {
            bail!("overlay layer path {text:?} contains ',', ':' or '\\'");
        }
    }
    let options = format!(
        "lowerdir={},upperdir={},workdir={}",
        lower.display(),
        upper.display(),
        work.display()
    );
    let data = CString::new(options.clone()).context("overlay options contain a NUL byte")?;
    rustix::mount::mount("overlay", merged, "overlay", MountFlags::empty(), &*data)
        .with_context(|| format!("cannot mount overlay ({options}) at {}", merged.display()))
}

/// Mount a fresh procfs at `target`.
pub(crate) fn mount_proc(target: &Path) -> Result<()> {
    rustix::mount::mount(
        "proc",
        target,
        "proc",
        MountFlags::NOSUID | MountFlags::NODEV | MountFlags::NOEXEC,
        None,
    )
    .with_context(|| format!("cannot mount proc at {}", target.display()))
}

/// Bind-mount `source` and its submounts (`/dev/pts`, `/dev/shm`, ...)
/// at `target`.
pub(crate) fn rbind(source: &Path, target: &Path) -> Result<()> {
    rustix::mount::mount_bind_recursive(source, target).with_context(|| {
        format!(
            "cannot bind-mount {} at {}",
            source.display(),
            target.display()
        )
    })
}

/// Unmount `target`, falling back to a lazy (detaching) unmount when it is
/// busy. Returns an error only when both fail.
pub(crate) fn unmount(target: &Path) -> Result<()> {
    if rustix::mount::unmount(target, UnmountFlags::empty()).is_ok() {
        return Ok(());
    }
    rustix::mount::unmount(target, UnmountFlags::DETACH)
        .with_context(|| format!("cannot unmount {}", target.display()))
}

/// Mount points at or below `dir` in this process's mount namespace,
/// deepest first (the order in which they can be unmounted).
pub(crate) fn mounts_under(dir: &Path) -> Vec<PathBuf> {
    let Ok(text) = std::fs::read_to_string("/proc/self/mountinfo") else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = text
        .lines()
        .filter_map(|line| line.split(' ').nth(4))
        .map(|field| PathBuf::from(unescape_mountinfo(field)))
        .filter(|point| point.starts_with(dir))
        .collect();
    found.sort_by_key(|point| std::cmp::Reverse(point.components().count()));
    found.dedup();
    found
}

/// Unmount everything at or below `dir`; true when nothing is left mounted
/// there (so that deleting `dir` cannot reach into a mounted file system).
pub(crate) fn unmount_all_under(dir: &Path) -> bool {
    for _round in 0..4 {
        let points = mounts_under(dir);
        if points.is_empty() {
            return true;
        }
        for point in points {
            let _ = unmount(&point);
        }
    }
    mounts_under(dir).is_empty()
}

/// Remove `dir` recursively, but only after making sure nothing below it
/// is still mounted. Returns false (and leaves `dir`) when something is.
pub(crate) fn remove_unmounted_tree(dir: &Path) -> bool {
    if !unmount_all_under(dir) {
        return false;
    }
    let _ = std::fs::remove_dir_all(dir);
    true
}

/// Undo the octal escapes (`\040` for a space) of a mountinfo path.
fn unescape_mountinfo(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes
            .get(i + 1..i + 4)
            .filter(|digits| bytes[i] == b'\\' && digits.iter().all(|d| (b'0'..=b'7').contains(d)));
        match octal {
            Some(digits) => {
                let value = digits
                    .iter()
                    .fold(0u32, |acc, d| acc * 8 + u32::from(d - b'0'));
                out.push(u8::try_from(value).unwrap_or(b'?'));
                i += 4;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescapes_mountinfo_paths() {
        assert_eq!(unescape_mountinfo("/a\\040b"), "/a b");
        assert_eq!(unescape_mountinfo("/plain"), "/plain");
        assert_eq!(unescape_mountinfo("/x\\"), "/x\\");
    }
}
