//! Where xx-cc keeps its files: xx's fixed locations, below a prefix that
//! tests (and chroot users) may move with `XX_CC_PREFIX`.

use std::path::{Path, PathBuf};

/// Environment variable that moves every xx-cc path below a directory (an
/// xx-rs extension; unset means `/`, xx's locations).
pub const PREFIX_VAR: &str = "XX_CC_PREFIX";

/// The files and directories xx-cc reads and writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// The prefix every other path is below (`/` normally).
    pub prefix: PathBuf,
    /// Where `clang`/`clang++` are expected and where `<triple>.cfg` and the
    /// `<triple>-*` aliases go (`/usr/bin`).
    pub bin_dir: PathBuf,
    /// Where the plain `clang`/`clang++` (and, wrapped, `gcc`, `cc`, ...)
    /// shims go (`/usr/local/bin`).
    pub local_bin_dir: PathBuf,
    /// Clang config used for the build machine when no target is given
    /// (`/etc/llvm/xx-default.cfg`).
    pub default_config: PathBuf,
    /// Lock serialising setups (`/var/lock/xx-cc`).
    pub lock_file: PathBuf,
    /// Marker that makes plain `clang` target-aware (`/.xx-cc-autowrap`).
    pub autowrap_marker: PathBuf,
}

impl Layout {
    /// xx's locations below `prefix` (`/` for the real ones).
    pub fn under(prefix: impl Into<PathBuf>) -> Layout {
        let prefix = prefix.into();
        Layout {
            bin_dir: prefix.join("usr/bin"),
            local_bin_dir: prefix.join("usr/local/bin"),
            default_config: prefix.join("etc/llvm/xx-default.cfg"),
            lock_file: prefix.join("var/lock/xx-cc"),
            autowrap_marker: prefix.join(".xx-cc-autowrap"),
            prefix,
        }
    }

    /// The layout for an optional prefix override (empty or unset: `/`).
    pub fn from_prefix_var(value: Option<&str>) -> Layout {
        match value {
            Some(prefix) if !prefix.is_empty() => Layout::under(prefix),
            _ => Layout::under("/"),
        }
    }

    /// `<bin_dir>/<name>`, e.g. the compiler `/usr/bin/clang`.
    pub fn bin(&self, name: &str) -> PathBuf {
        self.bin_dir.join(name)
    }

    /// `<bin_dir>/<triple>.cfg`: the config file (or link) xx-cc passes to clang.
    pub fn target_config(&self, triple: &str) -> PathBuf {
        self.bin_dir.join(format!("{triple}.cfg"))
    }

    /// `<bin_dir>/<triple>-<tool>`, e.g. `/usr/bin/aarch64-linux-gnu-clang`.
    pub fn alias(&self, triple: &str, tool: &str) -> PathBuf {
        self.bin_dir.join(format!("{triple}-{tool}"))
    }

    /// Whether `path` lies below the prefix (always true for `/`).
    pub fn contains(&self, path: &Path) -> bool {
        path.starts_with(&self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_paths_are_xx_paths() {
        let layout = Layout::from_prefix_var(None);
        assert_eq!(layout.bin("clang"), Path::new("/usr/bin/clang"));
        assert_eq!(
            layout.target_config("aarch64-linux-gnu"),
            Path::new("/usr/bin/aarch64-linux-gnu.cfg")
        );
        assert_eq!(
            layout.alias("aarch64-linux-gnu", "clang++"),
            Path::new("/usr/bin/aarch64-linux-gnu-clang++")
        );
        assert_eq!(layout.default_config, Path::new("/etc/llvm/xx-default.cfg"));
        assert_eq!(layout.lock_file, Path::new("/var/lock/xx-cc"));
        assert_eq!(layout.autowrap_marker, Path::new("/.xx-cc-autowrap"));
        assert_eq!(layout.local_bin_dir, Path::new("/usr/local/bin"));
        assert_eq!(Layout::from_prefix_var(Some("")), layout);
    }

    #[test]
    fn prefix_moves_everything() {
        let layout = Layout::from_prefix_var(Some("/tmp/p"));
        assert_eq!(layout.bin_dir, Path::new("/tmp/p/usr/bin"));
        assert_eq!(layout.autowrap_marker, Path::new("/tmp/p/.xx-cc-autowrap"));
        assert!(layout.contains(Path::new("/tmp/p/usr/lib/llvm/bin")));
        assert!(!layout.contains(Path::new("/usr/lib/llvm-14/bin")));
    }
}
