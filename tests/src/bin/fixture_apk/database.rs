//! A root's apk database: `etc/apk/world`, `lib/apk/db/installed`, the
//! architecture in `etc/apk/arch` and the lock `lib/apk/db/lock`, opened in
//! the order apk-tools 2.14 opens them so that the same things fail with
//! the same messages.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use rustix::fs::{flock, FlockOperation};

use crate::options::{Applet, Settings};
use crate::records::{self, Package};

/// The architecture apk-tools was built for (it runs on x86_64 here); a
/// root without `etc/apk/arch` gets it.
pub const BUILD_ARCH: &str = "x86_64";

const WORLD: &str = "etc/apk/world";
const INSTALLED: &str = "lib/apk/db/installed";
const ARCH: &str = "etc/apk/arch";
const LOCK: &str = "lib/apk/db/lock";

/// What `--initdb` makes (apk also makes device nodes in `dev/`; the
/// fixture does not).
const INITDB_DIRS: &[(&str, u32)] = &[
    ("tmp", 0o1777),
    ("dev", 0o755),
    ("etc", 0o755),
    ("etc/apk", 0o755),
    ("lib", 0o755),
    ("lib/apk", 0o755),
    ("lib/apk/db", 0o755),
    ("var", 0o755),
    ("var/cache", 0o755),
    ("var/cache/apk", 0o755),
    ("var/cache/misc", 0o755),
];

/// Why the database could not be opened: apk's `<what>: <reason>`.
#[derive(Debug)]
pub struct OpenFailure {
    /// `Unable to lock database`, ...
    pub what: &'static str,
    /// The error text (`No such file or directory`, ...).
    pub reason: String,
}

impl fmt::Display for OpenFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.what, self.reason)
    }
}

fn failure(what: &'static str, err: &io::Error) -> OpenFailure {
    OpenFailure {
        what,
        reason: error_text(err),
    }
}

/// An I/O error as apk words it: `strerror` without Rust's `(os error N)`,
/// and apk's own text for `EAGAIN`.
pub fn error_text(err: &io::Error) -> String {
    if err.raw_os_error() == Some(rustix::io::Errno::AGAIN.raw_os_error()) {
        return "temporary error (try again later)".to_string();
    }
    let text = err.to_string();
    match text.find(" (os error ") {
        Some(end) => text[..end].to_string(),
        None => text,
    }
}

/// An open database.
#[derive(Debug)]
pub struct Database {
    /// The root (`--root`, default `/`).
    pub root: PathBuf,
    /// The root's architecture.
    pub arch: String,
    /// The installed packages with their files.
    pub installed: Vec<Package>,
    /// The world: dependency specs, in order.
    pub world: Vec<String>,
    /// Held (flock'd) while the database is open for writing.
    _lock: Option<File>,
}

impl Database {
    /// Open the database of the root `settings` names for `applet`.
    pub fn open(applet: Applet, settings: &Settings) -> Result<Database, OpenFailure> {
        let root = PathBuf::from(settings.root.as_deref().unwrap_or("/"));
        let create = settings.initdb;
        if !root.is_dir() && create {
            let _ = fs::DirBuilder::new().mode(0o755).create(&root);
        }
        if !root.is_dir() {
            let err = io::Error::from(rustix::io::Errno::NOENT);
            return Err(failure("Unable to open root", &err));
        }

        let given_arch = settings
            .arch
            .as_ref()
            .filter(|_| settings.root.is_some() || applet.allows_arch());
        let (arch, write_arch) = match given_arch {
            Some(arch) => (arch.clone(), settings.root.is_some()),
            None => match fs::read_to_string(root.join(ARCH)) {
                Ok(text) => (text.trim().to_string(), false),
                Err(_) => (BUILD_ARCH.to_string(), true),
            },
        };

        let lock = if applet.writes() {
            let lock = lock(&root, create, settings.wait)?;
            if write_arch {
                let _ = fs::write(root.join(ARCH), format!("{arch}\n"));
            }
            // apk mounts /proc in the root while it works, making the
            // folder if needed; the fixture only makes the folder.
            let proc_dir = root.join("proc");
            if !proc_dir.exists() {
                let _ = fs::DirBuilder::new().mode(0o555).create(&proc_dir);
            }
            Some(lock)
        } else {
            None
        };
        // Without etc/apk/cache apk falls back to var/cache/apk, making it.
        if !root.join("etc/apk/cache").is_dir() {
            for dir in ["var/cache", "var/cache/apk"] {
                let _ = fs::DirBuilder::new().mode(0o755).create(root.join(dir));
            }
        }

        let world = match fs::read_to_string(root.join(WORLD)) {
            Ok(text) => text,
            Err(err) if err.kind() == io::ErrorKind::NotFound && create => {
                create_database(&root)?;
                String::new()
            }
            Err(err) => return Err(failure("Unable to read database state", &err)),
        };
        let installed = match fs::read_to_string(root.join(INSTALLED)) {
            Ok(text) => records::parse(&text),
            Err(err) if err.kind() == io::ErrorKind::NotFound => Vec::new(),
            Err(err) => return Err(failure("Unable to read database state", &err)),
        };
        Ok(Database {
            root,
            arch,
            installed,
            world: world.split_whitespace().map(str::to_string).collect(),
            _lock: lock,
        })
    }

    /// The installed package called `name`.
    pub fn installed_named(&self, name: &str) -> Option<&Package> {
        self.installed.iter().find(|package| package.name == name)
    }

    /// Write the world and the installed database (each through a `.new`
    /// file renamed into place, as apk does).
    pub fn write(&self) -> io::Result<()> {
        let mut world = self.world.join("\n");
        world.push('\n');
        replace(&self.root.join(WORLD), &world)?;
        replace(
            &self.root.join(INSTALLED),
            &records::write_installed(&self.installed),
        )
    }
}

/// Open and flock `lib/apk/db/lock`; with `--initdb`, a root without
/// `lib/apk/db` gets a new database first.
fn lock(root: &Path, create: bool, wait: bool) -> Result<File, OpenFailure> {
    let path = root.join(LOCK);
    let open = || {
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&path)
    };
    let file = match open() {
        Err(err) if err.kind() == io::ErrorKind::NotFound && create => {
            create_database(root)?;
            open()
        }
        other => other,
    }
    .map_err(|err| failure("Unable to lock database", &err))?;
    let operation = if wait {
        FlockOperation::LockExclusive
    } else {
        FlockOperation::NonBlockingLockExclusive
    };
    flock(&file, operation).map_err(|errno| failure("Unable to lock database", &errno.into()))?;
    Ok(file)
}

/// apk's `--initdb`: the base folders, an empty world and an empty
/// installed database (emptied if they exist).
fn create_database(root: &Path) -> Result<(), OpenFailure> {
    for (dir, mode) in INITDB_DIRS {
        let path = root.join(dir);
        if fs::DirBuilder::new().mode(*mode).create(&path).is_ok() {
            let _ = fs::set_permissions(&path, fs::Permissions::from_mode(*mode));
        }
    }
    for file in [WORLD, INSTALLED] {
        File::create(root.join(file)).map_err(|err| failure("Unable to create database", &err))?;
    }
    Ok(())
}

fn replace(path: &Path, contents: &str) -> io::Result<()> {
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".new");
    fs::write(&temporary, contents)?;
    fs::rename(&temporary, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(root: &Path, initdb: bool) -> Settings {
        Settings {
            root: Some(root.display().to_string()),
            initdb,
            ..Settings::default()
        }
    }

    #[test]
    fn missing_database_fails_like_apk_and_initdb_creates_it() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("cross");
        let err = Database::open(Applet::Add, &settings(&root, false)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Unable to open root: No such file or directory"
        );

        fs::create_dir_all(root.join("etc/apk")).unwrap();
        fs::write(root.join("etc/apk/arch"), "aarch64\n").unwrap();
        let err = Database::open(Applet::Add, &settings(&root, false)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Unable to lock database: No such file or directory"
        );
        let err = Database::open(Applet::List, &settings(&root, false)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Unable to read database state: No such file or directory"
        );

        let mut db = Database::open(Applet::Add, &settings(&root, true)).unwrap();
        assert_eq!(db.arch, "aarch64");
        assert!(db.world.is_empty() && db.installed.is_empty());
        for dir in ["tmp", "lib/apk/db", "var/cache/apk", "proc"] {
            assert!(root.join(dir).is_dir(), "{dir}");
        }
        // A second writer cannot lock while the first holds the database.
        let err = Database::open(Applet::Del, &settings(&root, false)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Unable to lock database: temporary error (try again later)"
        );

        db.world.push("alpine-keys".into());
        db.installed.push(Package {
            name: "alpine-keys".into(),
            version: "2.4-r1".into(),
            arch: "aarch64".into(),
            ..Package::default()
        });
        db.write().unwrap();
        drop(db);
        let db = Database::open(Applet::Info, &settings(&root, false)).unwrap();
        assert_eq!(db.world, ["alpine-keys"]);
        assert_eq!(db.installed_named("alpine-keys").unwrap().version, "2.4-r1");
        assert_eq!(
            fs::read_to_string(root.join("etc/apk/world")).unwrap(),
            "alpine-keys\n"
        );
    }

    #[test]
    fn arch_comes_from_the_option_with_a_root_or_the_file_or_apk_itself() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("etc/apk")).unwrap();
        fs::create_dir_all(root.join("lib/apk/db")).unwrap();
        fs::write(root.join("etc/apk/world"), "").unwrap();

        let db = Database::open(Applet::List, &settings(root, false)).unwrap();
        assert_eq!(db.arch, BUILD_ARCH);
        // A writer records the arch it used.
        let with_arch = Settings {
            arch: Some("s390x".into()),
            ..settings(root, false)
        };
        let db = Database::open(Applet::Update, &with_arch).unwrap();
        assert_eq!(db.arch, "s390x");
        drop(db);
        assert_eq!(
            fs::read_to_string(root.join("etc/apk/arch")).unwrap(),
            "s390x\n"
        );
    }
}
