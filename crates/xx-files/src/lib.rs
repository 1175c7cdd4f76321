//! Atomic, idempotent file operations and exclusive locks, shared by the
//! tools (xx-clang's setup, xx-cargo's record, xx-apt-get's sources) and by
//! the developer tasks.
//!
//! Files and links are created under a temporary name in the same directory
//! and renamed into place, so a concurrent reader sees either nothing or the
//! complete file; content that is already right is left untouched.

use std::fs::{self, File};
use std::io::Write;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};

use rustix::fs::{flock, FlockOperation};

/// A filesystem operation that failed, with the path it was tried on.
#[derive(Debug, thiserror::Error)]
#[error("cannot {action} {}: {source}", path.display())]
pub struct FileError {
    /// What was attempted (`write`, `lock`, `create directory`).
    pub action: &'static str,
    /// The path it was attempted on.
    pub path: PathBuf,
    /// The underlying error.
    #[source]
    pub source: std::io::Error,
}

impl FileError {
    fn new(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> FileError {
        FileError {
            action,
            path: path.into(),
            source,
        }
    }
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, FileError>;

/// What an idempotent write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// The file did not exist and was created.
    Created,
    /// The file existed with other content and was replaced.
    Replaced,
    /// The file already had this content; nothing was written.
    Unchanged,
}

fn parent_of(path: &Path) -> Result<&Path> {
    path.parent().ok_or_else(|| {
        FileError::new(
            "find the directory of",
            path,
            std::io::Error::other("no parent directory"),
        )
    })
}

/// Create `dir` and its parents; a dangling symlink (Debian's
/// `/var/lock -> /run/lock` in a fresh chroot) gets its target created.
pub fn ensure_dir(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    if let Ok(target) = fs::read_link(dir) {
        let base = dir.parent().unwrap_or(Path::new("/"));
        let resolved = base.join(target);
        return fs::create_dir_all(&resolved)
            .map_err(|err| FileError::new("create directory", resolved, err));
    }
    fs::create_dir_all(dir).map_err(|err| FileError::new("create directory", dir, err))
}

/// Write `contents` to `path` with `mode` unless it already holds exactly
/// that (content and mode); otherwise write a temporary file next to it and
/// rename it into place.
pub fn write_atomic(path: &Path, contents: &str, mode: u32) -> Result<Change> {
    let existed = match fs::symlink_metadata(path) {
        Ok(meta) => {
            let same_mode = meta.permissions().mode() & 0o7777 == mode;
            if meta.is_file()
                && same_mode
                && fs::read(path).ok().as_deref() == Some(contents.as_bytes())
            {
                return Ok(Change::Unchanged);
            }
            true
        }
        Err(_) => false,
    };
    let dir = parent_of(path)?;
    ensure_dir(dir)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(&temp_prefix(path))
        .tempfile_in(dir)
        .map_err(|err| FileError::new("create a temporary file in", dir, err))?;
    tmp.write_all(contents.as_bytes())
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(|err| FileError::new("write", tmp.path().to_path_buf(), err))?;
    fs::set_permissions(tmp.path(), fs::Permissions::from_mode(mode))
        .map_err(|err| FileError::new("set permissions of", tmp.path().to_path_buf(), err))?;
    tmp.persist(path)
        .map_err(|err| FileError::new("write", path, err.error))?;
    Ok(if existed {
        Change::Replaced
    } else {
        Change::Created
    })
}

/// [`write_atomic`] with the mode `path` has now (`new_mode` when it does
/// not exist yet): for files other tools own, such as apt's sources.
pub fn write_atomic_keeping_mode(path: &Path, contents: &str, new_mode: u32) -> Result<Change> {
    let mode = fs::metadata(path).map_or(new_mode, |meta| meta.permissions().mode() & 0o7777);
    write_atomic(path, contents, mode)
}

/// Make `link` a symlink to `target` unless it already is one; the new link
/// is created under a temporary name and renamed over `link`.
pub fn symlink_atomic(target: &Path, link: &Path) -> Result<Change> {
    let existed = match fs::read_link(link) {
        Ok(current) if current == target => return Ok(Change::Unchanged),
        Ok(_) => true,
        Err(_) => fs::symlink_metadata(link).is_ok(),
    };
    let dir = parent_of(link)?;
    ensure_dir(dir)?;
    let tmp = unique_temp_path(link);
    symlink(target, &tmp).map_err(|err| FileError::new("create link", tmp.clone(), err))?;
    if let Err(err) = fs::rename(&tmp, link) {
        let _ = fs::remove_file(&tmp);
        return Err(FileError::new("create link", link, err));
    }
    Ok(if existed {
        Change::Replaced
    } else {
        Change::Created
    })
}

/// Remove `path` if it exists (a missing file is not an error).
pub fn remove_if_exists(path: &Path) -> Result<bool> {
    match fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(err) => Err(FileError::new("remove", path, err)),
    }
}

/// Whether anything (file, directory, link, even dangling) exists at `path`.
pub fn exists_no_follow(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok()
}

fn temp_prefix(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!(".{name}.xx-tmp.")
}

fn unique_temp_path(path: &Path) -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    path.with_file_name(format!(
        "{}{}-{n}-{nanos}",
        temp_prefix(path),
        std::process::id()
    ))
}

/// An exclusive advisory lock on a file, released on drop.
#[derive(Debug)]
pub struct FileLock {
    _file: File,
}

impl FileLock {
    /// Block until the exclusive lock on `path` is held (creating the file
    /// and its directory as needed).
    pub fn acquire(path: &Path) -> Result<FileLock> {
        ensure_dir(parent_of(path)?)?;
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(|err| FileError::new("open lock file", path, err))?;
        flock(&file, FlockOperation::LockExclusive)
            .map_err(|err| FileError::new("lock", path, err.into()))?;
        Ok(FileLock { _file: file })
    }

    /// Take the exclusive lock on `path`, waiting at most `timeout` when
    /// another process holds it (calling `on_wait` once, when the wait
    /// starts); `None` when the lock is still held then. The holder's pid
    /// is written into the file.
    pub fn acquire_within(
        path: &Path,
        timeout: std::time::Duration,
        on_wait: impl FnOnce(),
    ) -> Result<Option<FileLock>> {
        ensure_dir(parent_of(path)?)?;
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(path)
            .map_err(|err| FileError::new("open lock file", path, err))?;
        let deadline = std::time::Instant::now() + timeout;
        let mut on_wait = Some(on_wait);
        loop {
            match flock(&file, FlockOperation::NonBlockingLockExclusive) {
                Ok(()) => break,
                Err(err) if err == rustix::io::Errno::WOULDBLOCK => {
                    if let Some(on_wait) = on_wait.take() {
                        on_wait();
                    }
                    if std::time::Instant::now() >= deadline {
                        return Ok(None);
                    }
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
                Err(err) => return Err(FileError::new("lock", path, err.into())),
            }
        }
        let _ = file.set_len(0);
        let _ = (&file).write_all(format!("{}\n", std::process::id()).as_bytes());
        Ok(Some(FileLock { _file: file }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeping_the_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("debian.sources");
        write_atomic_keeping_mode(&path, "a\n", 0o644).unwrap();
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o7777,
            0o644
        );
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        write_atomic_keeping_mode(&path, "b\n", 0o644).unwrap();
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o7777,
            0o600
        );
        assert_eq!(fs::read_to_string(&path).unwrap(), "b\n");
    }

    #[test]
    fn writes_are_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/a.cfg");
        assert_eq!(write_atomic(&path, "x\n", 0o644).unwrap(), Change::Created);
        assert_eq!(
            write_atomic(&path, "x\n", 0o644).unwrap(),
            Change::Unchanged
        );
        assert_eq!(write_atomic(&path, "x\n", 0o755).unwrap(), Change::Replaced);
        assert_eq!(write_atomic(&path, "y\n", 0o755).unwrap(), Change::Replaced);
        assert_eq!(fs::read_to_string(&path).unwrap(), "y\n");
        let leftovers: Vec<_> = fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "temporary files left behind");
    }

    #[test]
    fn symlinks_are_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("x-ar");
        assert_eq!(
            symlink_atomic(Path::new("llvm-ar"), &link).unwrap(),
            Change::Created
        );
        assert_eq!(
            symlink_atomic(Path::new("llvm-ar"), &link).unwrap(),
            Change::Unchanged
        );
        assert_eq!(
            symlink_atomic(Path::new("llvm-ar-14"), &link).unwrap(),
            Change::Replaced
        );
        assert_eq!(fs::read_link(&link).unwrap(), Path::new("llvm-ar-14"));
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn dangling_lock_directory_is_created() {
        let dir = tempfile::tempdir().unwrap();
        symlink("run/lock", dir.path().join("lock")).unwrap();
        let lock = FileLock::acquire(&dir.path().join("lock/xx-cc")).unwrap();
        assert!(dir.path().join("run/lock/xx-cc").exists());
        drop(lock);
        assert!(remove_if_exists(&dir.path().join("run/lock/xx-cc")).unwrap());
        assert!(!remove_if_exists(&dir.path().join("run/lock/xx-cc")).unwrap());
    }
}
