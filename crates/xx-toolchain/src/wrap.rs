//! `xx-clang --wrap` / `--unwrap`: make plain `clang`, `clang++`, `gcc`,
//! `g++`, `cc` and `c++` target-aware, and undo exactly that.
//!
//! Wrapping writes xx's marker `/.xx-cc-autowrap` (which makes plain-mode
//! invocations use the target from `TARGETPLATFORM`) and, in
//! `/usr/local/bin`, a shim for each of those names that does not exist
//! yet. The marker lists what it created, one path per line (directories
//! with a trailing `/`), so that unwrapping removes those and nothing else.

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{Result, ToolchainError};
use crate::layout::Layout;
use crate::shim;
use xx_files::{remove_if_exists, write_atomic};

/// Plain names that wrapping takes over, and the xx-rs tool each runs.
pub const WRAPPED_NAMES: &[(&str, &str)] = &[
    ("clang", "xx-clang"),
    ("clang++", "xx-clang++"),
    ("gcc", "xx-clang"),
    ("g++", "xx-clang++"),
    ("cc", "xx-clang"),
    ("c++", "xx-clang++"),
];

/// Whether the machine is wrapped (the marker exists).
pub fn is_wrapped(layout: &Layout) -> bool {
    layout.autowrap_marker.exists()
}

/// One thing wrapping created.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Created {
    /// A shim script.
    Shim(PathBuf),
    /// A directory that did not exist (e.g. `/usr/local/bin` in a bare root).
    Dir(PathBuf),
}

impl Created {
    fn parse(line: &str) -> Option<Created> {
        let line = line.trim();
        if line.is_empty() {
            None
        } else if let Some(dir) = line.strip_suffix('/') {
            Some(Created::Dir(PathBuf::from(dir)))
        } else {
            Some(Created::Shim(PathBuf::from(line)))
        }
    }

    fn line(&self) -> String {
        match self {
            Created::Shim(path) => format!("{}\n", path.display()),
            Created::Dir(path) => format!("{}/\n", path.display()),
        }
    }
}

fn recorded(layout: &Layout) -> Vec<Created> {
    fs::read_to_string(&layout.autowrap_marker)
        .unwrap_or_default()
        .lines()
        .filter_map(Created::parse)
        .collect()
}

/// The missing directories from `dir` up to (excluding) the prefix,
/// outermost first.
fn missing_dirs(layout: &Layout, dir: &Path) -> Vec<PathBuf> {
    let mut missing: Vec<PathBuf> = dir
        .ancestors()
        .take_while(|ancestor| *ancestor != layout.prefix && !ancestor.exists())
        .map(Path::to_path_buf)
        .collect();
    missing.reverse();
    missing
}

/// Wrap: write the shims that are missing and the marker. Running it again
/// changes nothing.
pub fn wrap(layout: &Layout, xx: &Path) -> Result<Vec<PathBuf>> {
    let mut created = recorded(layout);
    for dir in missing_dirs(layout, &layout.local_bin_dir) {
        created.push(Created::Dir(dir));
    }
    for (name, tool) in WRAPPED_NAMES {
        let path = layout.local_bin_dir.join(name);
        if xx_files::exists_no_follow(&path) {
            continue;
        }
        let fallback = layout.bin_dir.join(name);
        write_atomic(&path, &shim::plain_compiler(xx, tool, &fallback), 0o755)?;
        let entry = Created::Shim(path);
        if !created.contains(&entry) {
            created.push(entry);
        }
    }
    let listing: String = created.iter().map(Created::line).collect();
    write_atomic(&layout.autowrap_marker, &listing, 0o644)?;
    Ok(shims(&created))
}

fn shims(created: &[Created]) -> Vec<PathBuf> {
    created
        .iter()
        .filter_map(|entry| match entry {
            Created::Shim(path) => Some(path.clone()),
            Created::Dir(_) => None,
        })
        .collect()
}

/// Unwrap: remove the shims wrapping created (if they are still ours) and
/// the marker. Without a marker there is nothing to do.
pub fn unwrap(layout: &Layout) -> Result<Vec<PathBuf>> {
    let created = recorded(layout);
    let mut removed = Vec::new();
    for path in shims(&created) {
        if shim::is_ours_file(&path)
            && path.starts_with(&layout.local_bin_dir)
            && remove_if_exists(&path)?
        {
            removed.push(path);
        }
    }
    // Directories wrapping made go too, innermost first, if nothing else
    // was put in them since.
    for entry in created.iter().rev() {
        if let Created::Dir(dir) = entry {
            if dir.starts_with(&layout.prefix) && dir != &layout.prefix {
                let _ = fs::remove_dir(dir);
            }
        }
    }
    match fs::remove_file(&layout.autowrap_marker) {
        Ok(()) => {}
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
        Err(err) => {
            return Err(ToolchainError::io(
                "remove",
                layout.autowrap_marker.clone(),
                err,
            ))
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unwrap_restores_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::under(dir.path());
        fs::create_dir_all(&layout.local_bin_dir).unwrap();
        let users_cc = layout.local_bin_dir.join("cc");
        fs::write(&users_cc, "#!/bin/sh\nexec tcc \"$@\"\n").unwrap();

        let created = wrap(&layout, Path::new("/usr/bin/xx")).unwrap();
        assert_eq!(created.len(), 5, "{created:?}");
        assert!(is_wrapped(&layout));
        assert_eq!(
            fs::read_to_string(&users_cc).unwrap(),
            "#!/bin/sh\nexec tcc \"$@\"\n"
        );
        // A second wrap changes nothing.
        assert_eq!(wrap(&layout, Path::new("/usr/bin/xx")).unwrap(), created);

        let removed = unwrap(&layout).unwrap();
        assert_eq!(removed.len(), 5);
        assert!(!is_wrapped(&layout));
        let left: Vec<_> = fs::read_dir(&layout.local_bin_dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, vec![std::ffi::OsString::from("cc")]);
        // Unwrapping again is harmless.
        assert!(unwrap(&layout).unwrap().is_empty());
    }

    #[test]
    fn directories_made_by_wrap_go_away() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::under(dir.path());
        wrap(&layout, Path::new("/usr/bin/xx")).unwrap();
        assert!(layout.local_bin_dir.join("gcc").exists());
        unwrap(&layout).unwrap();
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
