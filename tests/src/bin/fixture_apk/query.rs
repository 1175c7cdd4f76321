//! The commands that only read: `apk info`, `apk list`, `apk update`.
//! Each builds its stdout as text (so that the formats are unit-tested)
//! and returns it with the exit status.

use std::fmt::Write as _;

use crate::database::Database;
use crate::options::{InfoFields, Settings};
use crate::pattern;
use crate::records::{dependency_name, Package};
use crate::repository::{known_names, Repositories};

/// A package apk knows of: installed, offered by a repository, or both.
#[derive(Debug, Clone, Copy)]
pub struct Known<'a> {
    /// Its record (the installed one, with files, when installed).
    pub package: &'a Package,
    /// In the installed database.
    pub installed: bool,
    /// In a repository index.
    pub offered: bool,
}

/// Installed and offered packages, each name and version once, sorted.
pub fn known_packages<'a>(
    installed: &'a [Package],
    repositories: &'a Repositories,
) -> Vec<Known<'a>> {
    let mut known: Vec<Known> = installed
        .iter()
        .map(|package| Known {
            package,
            installed: true,
            offered: repositories
                .packages
                .iter()
                .any(|a| a.package.same_as(package)),
        })
        .collect();
    for offered in &repositories.packages {
        if !known.iter().any(|k| k.package.same_as(&offered.package)) {
            known.push(Known {
                package: &offered.package,
                installed: false,
                offered: true,
            });
        }
    }
    known.sort_by(|a, b| {
        (&a.package.name, &a.package.version).cmp(&(&b.package.name, &b.package.version))
    });
    known
}

/// `apk info`: with `-e`, which names are installed (status: how many are
/// not); with no names, the installed names; otherwise the asked-for
/// fields of each named package (description, webpage and size when none
/// is asked for). Files (`-L`) only for installed packages. Status: how
/// many names apk does not know at all.
pub fn info(
    db: &Database,
    repositories: &Repositories,
    settings: &Settings,
    args: &[String],
    verbosity: i32,
) -> (String, i32) {
    let mut out = String::new();
    if settings.info_exists {
        let mut errors = 0;
        for arg in args {
            match dependency_name(arg).and_then(|name| db.installed_named(name)) {
                Some(package) if verbosity > 1 => _ = writeln!(out, "{}", package.label()),
                Some(package) if verbosity > 0 => _ = writeln!(out, "{}", package.name),
                Some(_) => {}
                None => errors += 1,
            }
        }
        return (out, errors);
    }
    if args.is_empty() {
        let mut installed: Vec<&Package> = db.installed.iter().collect();
        installed.sort_by(|a, b| a.name.cmp(&b.name));
        for package in installed {
            let shown = if verbosity > 1 {
                package.label()
            } else {
                package.name.clone()
            };
            _ = writeln!(out, "{shown}");
        }
        return (out, 0);
    }

    let known = known_packages(&db.installed, repositories);
    let names = known_names(&db.installed, repositories);
    let mut errors = 0;
    let mut results: Vec<Known> = Vec::new();
    for arg in args {
        if !pattern::is_pattern(arg) && !names.contains(arg) {
            errors += 1;
            continue;
        }
        for entry in known
            .iter()
            .filter(|k| pattern::matches(arg, &k.package.name))
        {
            if !results.iter().any(|r| r.package.same_as(entry.package)) {
                results.push(*entry);
            }
        }
    }
    results.sort_by(|a, b| {
        (&a.package.name, &a.package.version).cmp(&(&b.package.name, &b.package.version))
    });
    let fields = if settings.info.none() {
        InfoFields {
            description: true,
            webpage: true,
            size: true,
            ..InfoFields::default()
        }
    } else {
        settings.info
    };
    for entry in results {
        write_info_fields(&mut out, entry, fields, verbosity);
    }
    (out, errors)
}

/// One package's `apk info` fields, each followed by a blank line.
fn write_info_fields(out: &mut String, entry: Known, fields: InfoFields, verbosity: i32) {
    let package = entry.package;
    let label = package.label();
    let name = &package.name;
    let titled = |out: &mut String, title: &str, value: &str| {
        if verbosity > 1 {
            _ = writeln!(out, "{name}: {value}");
        } else {
            _ = writeln!(out, "{label} {title}:\n{value}\n");
        }
    };
    if fields.description {
        titled(out, "description", &package.description);
    }
    if fields.webpage {
        titled(out, "webpage", &package.url);
    }
    if fields.size {
        let (size, unit) = human_size(package.installed_size);
        titled(out, "installed size", &format!("{size} {unit}"));
    }
    if fields.depends {
        if verbosity == 1 {
            _ = writeln!(out, "{label} depends on:");
        }
        if verbosity > 1 {
            _ = write!(out, "{name}: ");
        }
        let separator = if verbosity > 1 { " " } else { "\n" };
        for dep in &package.depends {
            _ = write!(out, "{dep}{separator}");
        }
        out.push('\n');
    }
    if fields.contents && entry.installed {
        if verbosity == 1 {
            _ = writeln!(out, "{label} contains:");
        }
        for file in package.files() {
            if verbosity > 1 {
                _ = write!(out, "{name}: ");
            }
            _ = writeln!(out, "{file}");
        }
        out.push('\n');
    }
    if fields.license {
        titled(out, "license", &package.license);
    }
}

/// apk's human-readable size: divided by 1024 while 10000 or more.
fn human_size(bytes: u64) -> (u64, &'static str) {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut size = bytes;
    let mut unit = 0;
    while size >= 10_000 && unit < UNITS.len() - 1 {
        size /= 1024;
        unit += 1;
    }
    (size, UNITS[unit])
}

/// `apk list`: the known packages whose names match one of `args` (all
/// with none), only installed ones with `-I`, only offered ones with `-a`;
/// one line each: `<name>-<version> <arch> {<origin>} (<license>)` plus
/// ` [installed]`; just the name with `-q`.
pub fn list(known: &[Known], settings: &Settings, args: &[String], verbosity: i32) -> String {
    let mut out = String::new();
    for entry in known {
        let package = entry.package;
        if !args.is_empty() && !args.iter().any(|a| pattern::matches(a, &package.name)) {
            continue;
        }
        if (settings.list_installed && !entry.installed)
            || (settings.list_available && !entry.offered)
        {
            continue;
        }
        if verbosity <= 0 {
            _ = writeln!(out, "{}", package.name);
            continue;
        }
        let origin = package.origin.as_deref().unwrap_or(&package.name);
        _ = write!(
            out,
            "{} {} {{{origin}}} ({})",
            package.label(),
            package.arch,
            package.license
        );
        if entry.installed {
            out.push_str(" [installed]");
        }
        if verbosity > 1 {
            _ = write!(out, "\n  {}", package.description);
            if verbosity > 2 {
                _ = write!(out, "\n  <{}>", package.url);
            }
        }
        out.push('\n');
    }
    out
}

/// `apk update`: each repository's description, then the number of
/// distinct packages known.
pub fn update(db: &Database, repositories: &Repositories, verbosity: i32) -> String {
    let mut out = String::new();
    if verbosity <= 0 {
        return out;
    }
    for repository in &repositories.loaded {
        if let Some(description) = &repository.description {
            _ = writeln!(out, "{description} [{}]", repository.url);
        }
    }
    let count = known_packages(&db.installed, repositories).len();
    _ = writeln!(out, "OK: {count} distinct packages available");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::OwnedDir;
    use crate::repository::Available;

    fn package(name: &str, license: &str, origin: Option<&str>) -> Package {
        Package {
            name: name.into(),
            version: "1.3.1-r1".into(),
            arch: "aarch64".into(),
            license: license.into(),
            origin: origin.map(str::to_string),
            installed_size: 123_456,
            description: format!("{name} things"),
            ..Package::default()
        }
    }

    fn fixture() -> (Vec<Package>, Repositories) {
        let mut zlib = package("zlib", "Zlib", Some("zlib"));
        zlib.dirs = vec![
            OwnedDir {
                path: "usr".into(),
                files: vec![],
            },
            OwnedDir {
                path: "usr/lib".into(),
                files: vec!["libz.so.1".into(), "libz.so.1.3.1".into()],
            },
        ];
        let mut dev = package("zlib-dev", "Zlib", Some("zlib"));
        dev.depends = vec!["zlib".into()];
        let offered = [
            package("zlib", "Zlib", Some("zlib")),
            dev,
            package("musl", "MIT", None),
        ];
        let repositories = Repositories {
            packages: offered
                .into_iter()
                .map(|package| Available {
                    package,
                    archive: None,
                })
                .collect(),
            loaded: Vec::new(),
        };
        (vec![zlib], repositories)
    }

    #[test]
    fn list_lines_look_like_apk() {
        let (installed, repositories) = fixture();
        let known = known_packages(&installed, &repositories);
        let everything = list(&known, &Settings::default(), &[], 1);
        assert_eq!(
            everything,
            "musl-1.3.1-r1 aarch64 {musl} (MIT)\n\
             zlib-1.3.1-r1 aarch64 {zlib} (Zlib) [installed]\n\
             zlib-dev-1.3.1-r1 aarch64 {zlib} (Zlib)\n"
        );
        let installed_only = Settings {
            list_installed: true,
            ..Settings::default()
        };
        assert_eq!(
            list(&known, &installed_only, &[], 1),
            "zlib-1.3.1-r1 aarch64 {zlib} (Zlib) [installed]\n"
        );
        let named = ["zlib-dev".to_string(), "nosuch".to_string()];
        assert_eq!(list(&known, &Settings::default(), &named, 0), "zlib-dev\n");
        assert_eq!(
            list(&known, &Settings::default(), &["z*".into()], 0),
            "zlib\nzlib-dev\n"
        );
    }

    /// A database in a temporary root holding `installed`.
    fn db(installed: Vec<Package>) -> (tempfile::TempDir, Database) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("etc/apk")).unwrap();
        std::fs::write(dir.path().join("etc/apk/world"), "").unwrap();
        let settings = Settings {
            root: Some(dir.path().display().to_string()),
            ..Settings::default()
        };
        let mut db = Database::open(crate::options::Applet::Info, &settings).unwrap();
        db.installed = installed;
        (dir, db)
    }

    #[test]
    fn info_contents_and_exists() {
        let (installed, repositories) = fixture();
        let (_root, db) = db(installed);
        let contents = Settings {
            info: InfoFields {
                contents: true,
                ..InfoFields::default()
            },
            ..Settings::default()
        };
        let (out, errors) = info(&db, &repositories, &contents, &["zlib".into()], 0);
        assert_eq!(out, "usr/lib/libz.so.1\nusr/lib/libz.so.1.3.1\n\n");
        assert_eq!(errors, 0);
        let (out, _) = info(&db, &repositories, &contents, &["zlib".into()], 1);
        assert!(
            out.starts_with("zlib-1.3.1-r1 contains:\nusr/lib/libz.so.1\n"),
            "{out}"
        );
        // Known but not installed: nothing; unknown: nothing and an error.
        let (out, errors) = info(&db, &repositories, &contents, &["zlib-dev".into()], 0);
        assert_eq!((out.as_str(), errors), ("", 0));
        let (out, errors) = info(&db, &repositories, &contents, &["nosuch".into()], 0);
        assert_eq!((out.as_str(), errors), ("", 1));

        let exists = Settings {
            info_exists: true,
            ..Settings::default()
        };
        let (out, errors) = info(
            &db,
            &repositories,
            &exists,
            &["zlib".into(), "musl".into()],
            1,
        );
        assert_eq!((out.as_str(), errors), ("zlib\n", 1));
    }

    #[test]
    fn info_default_fields_and_sizes() {
        let (installed, repositories) = fixture();
        let (_root, db) = db(installed);
        let (out, _) = info(
            &db,
            &repositories,
            &Settings::default(),
            &["zlib-dev".into()],
            1,
        );
        assert_eq!(
            out,
            "zlib-dev-1.3.1-r1 description:\nzlib-dev things\n\n\
             zlib-dev-1.3.1-r1 webpage:\n\n\n\
             zlib-dev-1.3.1-r1 installed size:\n120 KiB\n\n"
        );
        assert_eq!(human_size(9_999), (9_999, "B"));
        assert_eq!(human_size(10_000), (9, "KiB"));
        assert_eq!(human_size(50 * 1024 * 1024), (50, "MiB"));
    }
}
