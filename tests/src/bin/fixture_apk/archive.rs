//! The fixture's `.apk` files are plain gzip'd tars of a package's files
//! (paths relative to the root, directories included); `tar` lists and
//! extracts them.

use std::io;
use std::path::Path;
use std::process::{Command, Output};

fn tar(args: &[&std::ffi::OsStr]) -> io::Result<Output> {
    let output = Command::new("tar").args(args).output()?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(io::Error::other(format!(
            "tar {}: {}",
            output.status,
            stderr.trim()
        )));
    }
    Ok(output)
}

/// The entries of `archive` as `tar -t` lists them (directories end with `/`).
pub fn entries(archive: &Path) -> io::Result<Vec<String>> {
    // Checked first so that a missing package reads like apk's error.
    std::fs::metadata(archive)?;
    let output = tar(&["-tzf".as_ref(), archive.as_os_str()])?;
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|line| !line.is_empty())
        .map(str::to_string)
        .collect())
}

/// Extract `archive` into `root`. Links to folders already there (the
/// merged-/usr `lib -> usr/lib` of the Debian root under the fixture) are
/// kept, existing folders keep their permissions, and nothing gets the
/// archive's timestamps (which would back-date folders like `/usr`).
pub fn extract(archive: &Path, root: &Path) -> io::Result<()> {
    tar(&[
        "-xzf".as_ref(),
        archive.as_os_str(),
        "-C".as_ref(),
        root.as_os_str(),
        "--keep-directory-symlink".as_ref(),
        "--no-overwrite-dir".as_ref(),
        "--touch".as_ref(),
    ])?;
    Ok(())
}
