//! Where xx-cargo keeps its record of finished setups and its lock: xx's
//! `/.xx-cargo.<arch>` and `/var/lock/xx-cargo` when the root is writable,
//! the user's cache directory (`$XDG_CACHE_HOME/xx-rs`, `~/.cache/xx-rs`)
//! otherwise. Files are written and locked with the shared helpers
//! ([`xx_files`]), as xx-clang's setup is.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Result};
use rustix::fs::{Access, AtFlags, CWD};
use xx_buildenv::cargo::record::{self, Entry, Record};
use xx_files::write_atomic;
use xx_platform::Vars;

/// xx's lock file.
const SYSTEM_LOCK: &str = "/var/lock/xx-cargo";
/// The record's file mode.
const RECORD_MODE: u32 = 0o644;

/// The files of one architecture's setup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatePaths {
    /// The record this run writes.
    pub record: PathBuf,
    /// The lock serialising setups.
    pub lock: PathBuf,
    /// Records written by others that also count (the system one, for a
    /// user whose own record is in the cache).
    pub others: Vec<PathBuf>,
}

impl StatePaths {
    /// The system locations when `/` is writable, the cache otherwise.
    pub fn locate(vars: &dyn Vars, arch: &str) -> Result<StatePaths> {
        let name = record::file_name(arch);
        let system_record = Path::new("/").join(&name);
        if is_writable(Path::new("/")) {
            return Ok(StatePaths {
                record: system_record,
                lock: PathBuf::from(SYSTEM_LOCK),
                others: Vec::new(),
            });
        }
        let cache = cache_dir(vars)?;
        Ok(StatePaths {
            record: cache.join(&name),
            lock: cache.join("xx-cargo.lock"),
            others: vec![system_record],
        })
    }

    /// Whether any record lists `entry`.
    pub fn is_done(&self, entry: &Entry) -> bool {
        std::iter::once(&self.record)
            .chain(&self.others)
            .any(|path| read_record(path).is_some_and(|record| record.contains(entry)))
    }

    /// Add `entry` to this run's record (atomically).
    pub fn mark_done(&self, entry: Entry) -> Result<()> {
        let record = read_record(&self.record).unwrap_or_default();
        write_atomic(&self.record, &record.with(entry), RECORD_MODE)?;
        Ok(())
    }
}

fn read_record(path: &Path) -> Option<Record> {
    let text = fs::read_to_string(path).ok()?;
    // A marker xx wrote (empty) or a damaged file: set up again.
    Record::parse(&text).ok()
}

/// `$XDG_CACHE_HOME/xx-rs` or `$HOME/.cache/xx-rs` (absolute paths only).
pub fn cache_dir(vars: &dyn Vars) -> Result<PathBuf> {
    let absolute = |value: String| Some(PathBuf::from(value)).filter(|path| path.is_absolute());
    vars.non_empty("XDG_CACHE_HOME")
        .and_then(absolute)
        .or_else(|| {
            vars.non_empty("HOME")
                .and_then(absolute)
                .map(|home| home.join(".cache"))
        })
        .map(|dir| dir.join("xx-rs"))
        .ok_or_else(|| {
            anyhow!("/ is not writable and neither XDG_CACHE_HOME nor HOME names a directory for xx-rs's files")
        })
}

/// Whether this process may create files in `dir` (effective ids).
pub fn is_writable(dir: &Path) -> bool {
    rustix::fs::accessat(CWD, dir, Access::WRITE_OK, AtFlags::EACCESS).is_ok()
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use xx_files::FileLock;
    use xx_platform::MapVars;

    use super::*;

    #[test]
    fn records_accumulate_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let paths = StatePaths {
            record: dir.path().join("sub/.xx-cargo.arm"),
            lock: dir.path().join("lock/xx-cargo"),
            others: vec![dir.path().join("missing")],
        };
        let entry = |triple: &str| Entry {
            rust_triple: triple.into(),
            rustc: "/usr/bin/rustc".into(),
        };
        let _lock = FileLock::acquire(&paths.lock).unwrap();
        assert!(!paths.is_done(&entry("armv7-unknown-linux-gnueabihf")));
        paths
            .mark_done(entry("armv7-unknown-linux-gnueabihf"))
            .unwrap();
        paths.mark_done(entry("arm-unknown-linux-gnueabi")).unwrap();
        assert!(paths.is_done(&entry("armv7-unknown-linux-gnueabihf")));
        assert!(paths.is_done(&entry("arm-unknown-linux-gnueabi")));
        let files: Vec<_> = fs::read_dir(dir.path().join("sub")).unwrap().collect();
        assert_eq!(files.len(), 1, "temporary files left behind");
        let mode = fs::metadata(&paths.record).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o644);

        // xx's empty marker does not count as a finished setup.
        fs::write(&paths.record, "").unwrap();
        assert!(!paths.is_done(&entry("armv7-unknown-linux-gnueabihf")));
    }

    #[test]
    fn cache_dir_prefers_xdg() {
        let vars = MapVars::from([("XDG_CACHE_HOME", "/c"), ("HOME", "/h")]);
        assert_eq!(cache_dir(&vars).unwrap(), Path::new("/c/xx-rs"));
        let vars = MapVars::from([("XDG_CACHE_HOME", "relative"), ("HOME", "/h")]);
        assert_eq!(cache_dir(&vars).unwrap(), Path::new("/h/.cache/xx-rs"));
        assert!(cache_dir(&MapVars::default()).is_err());
    }

    #[test]
    fn dangling_lock_dir_is_created() {
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink("run/lock", dir.path().join("lock")).unwrap();
        FileLock::acquire(&dir.path().join("lock/xx-cargo")).unwrap();
        assert!(dir.path().join("run/lock/xx-cargo").is_file());
    }
}
