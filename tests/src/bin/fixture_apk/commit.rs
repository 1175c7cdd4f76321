//! `apk add` and `apk del`: change the world, resolve it, purge and
//! install what changed, write the database, and report it as apk does:
//! `(i/n) Installing <name> (<version>)`, `(i/n) Purging ...`, then
//! `OK: <size> MiB in <count> packages`.

use std::cmp::Reverse;
use std::fs;
use std::io;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::archive;
use crate::console::Console;
use crate::database::{error_text, Database};
use crate::options::Settings;
use crate::pattern;
use crate::records::{dependency_name, Package};
use crate::repository::{known_names, Available, Repositories};
use crate::solver::{self, Choice, Missing, Resolution};

/// `apk add <args>`: add the names to the world (or, with `-t NAME`, a
/// virtual package `NAME` depending on them) and commit.
pub fn add(
    db: &mut Database,
    repositories: &Repositories,
    settings: &Settings,
    args: &[String],
    console: &Console,
) -> i32 {
    let mut available = repositories.packages.clone();
    let mut world = db.world.clone();
    let mut replaced = Vec::new();
    if let Some(spec) = &settings.virtual_package {
        let (name, version) = match spec.split_once('=') {
            Some((name, version)) if !version.is_empty() => (name, version.to_string()),
            None => (spec.as_str(), virtual_version(SystemTime::now())),
            Some(_) => ("", String::new()),
        };
        if name.is_empty() || dependency_name(name) != Some(name) {
            console.error(&format!("{spec}: bad package specifier"));
            return -1;
        }
        if args.is_empty() {
            console.warning("creating empty virtual package");
        }
        available.insert(
            0,
            Available {
                package: Package {
                    name: name.to_string(),
                    version,
                    arch: "noarch".to_string(),
                    description: "virtual meta package".to_string(),
                    depends: args.to_vec(),
                    ..Package::default()
                },
                archive: None,
            },
        );
        replaced.push(name.to_string());
        add_to_world(&mut world, name);
    } else {
        for arg in args {
            if dependency_name(arg).is_none() {
                console.error(&format!(
                    "'{arg}' is not a valid world dependency, format is name(@tag)([<>~=]version)"
                ));
                return -1;
            }
            add_to_world(&mut world, arg);
        }
    }
    let packages: Vec<Package> = available.iter().map(|a| a.package.clone()).collect();
    let resolution = solver::resolve(&world, &db.installed, &packages, &replaced);
    if !resolution.missing.is_empty() {
        return unsatisfiable(&resolution.missing, console);
    }
    apply(db, &available, world, &resolution, settings, console)
}

/// `apk del <args>`: drop the names from the world and commit, which
/// purges them and whatever only they needed. A name no index nor the
/// database knows is `ERROR: No such package`; a name still needed by
/// another world package stays, with apk's note saying why.
pub fn del(
    db: &mut Database,
    repositories: &Repositories,
    settings: &Settings,
    args: &[String],
    console: &Console,
) -> i32 {
    let known = known_names(&db.installed, repositories);
    let mut names: Vec<String> = Vec::new();
    let mut errors = 0;
    for arg in args.iter().filter(|arg| !arg.is_empty()) {
        if pattern::is_pattern(arg) {
            names.extend(
                known
                    .iter()
                    .filter(|name| pattern::matches(arg, name))
                    .cloned(),
            );
        } else if known.contains(arg) {
            names.push(arg.clone());
        } else {
            console.error(&format!("No such package: {arg}"));
            errors += 1;
        }
    }
    if errors > 0 {
        return errors;
    }
    let mut world = db.world.clone();
    world.retain(|spec| !names.iter().any(|name| dependency_name(spec) == Some(name)));

    let packages: Vec<Package> = repositories
        .packages
        .iter()
        .map(|a| a.package.clone())
        .collect();
    let resolution = solver::resolve(&world, &db.installed, &packages, &[]);
    if !resolution.missing.is_empty() {
        return unsatisfiable(&resolution.missing, console);
    }
    report_not_deleted(db, &packages, &resolution, &world, &names, console);
    apply(
        db,
        &repositories.packages,
        world,
        &resolution,
        settings,
        console,
    )
}

/// apk's `apk_deps_add`: a spec replaces the world entry of the same name,
/// or is appended.
fn add_to_world(world: &mut Vec<String>, spec: &str) {
    let name = dependency_name(spec);
    match world
        .iter_mut()
        .find(|entry| dependency_name(entry) == name)
    {
        Some(entry) => *entry = spec.to_string(),
        None => world.push(spec.to_string()),
    }
}

/// apk's solver error for names nothing offers; the exit status is the
/// number of such names.
fn unsatisfiable(missing: &[Missing], console: &Console) -> i32 {
    console.error("unable to select packages:");
    for entry in missing {
        eprintln!("  {} (no such package):", entry.name);
        eprintln!("    required by: {}", entry.required_by.join(" "));
    }
    i32::try_from(missing.len()).unwrap_or(i32::MAX)
}

/// For each deleted name that stays installed, the world names that still
/// need it.
fn report_not_deleted(
    db: &Database,
    available: &[Package],
    resolution: &Resolution,
    world: &[String],
    names: &[String],
    console: &Console,
) {
    let selected: Vec<&Package> = resolution
        .selected
        .iter()
        .map(|choice| match *choice {
            Choice::Installed(index) => &db.installed[index],
            Choice::Available(index) => &available[index],
        })
        .collect();
    let mut sorted: Vec<&String> = names.iter().collect();
    sorted.sort();
    sorted.dedup();
    let mut header = false;
    for name in sorted {
        if !selected.iter().any(|package| &package.name == name) {
            continue;
        }
        // Everything that needs `name`, directly or not.
        let mut needing: Vec<&str> = vec![name];
        loop {
            let before = needing.len();
            for package in &selected {
                let depends_on_needed = package
                    .depends
                    .iter()
                    .filter_map(|dep| dependency_name(dep))
                    .any(|dep| needing.contains(&dep));
                if depends_on_needed && !needing.contains(&package.name.as_str()) {
                    needing.push(&package.name);
                }
            }
            if needing.len() == before {
                break;
            }
        }
        let in_world: Vec<&str> = needing[1..]
            .iter()
            .copied()
            .filter(|n| world.iter().any(|spec| dependency_name(spec) == Some(n)))
            .collect();
        if !header {
            console.message("World updated, but the following packages are not removed due to:");
            header = true;
        }
        console.message(&format!("  {name}: {}", in_world.join(" ")));
    }
    if header {
        console.message("");
    }
}

/// Purge and install what `resolution` changes, record the new state and
/// print the summary. Returns the number of errors.
fn apply(
    db: &mut Database,
    available: &[Available],
    world: Vec<String>,
    resolution: &Resolution,
    settings: &Settings,
    console: &Console,
) -> i32 {
    let purged = resolution.purged(&db.installed);
    let installs: Vec<usize> = resolution
        .selected
        .iter()
        .filter_map(|choice| match choice {
            Choice::Available(index) => Some(*index),
            Choice::Installed(_) => None,
        })
        .collect();
    let total = purged.len() + installs.len();
    let mut step = 0;
    let mut errors = 0;

    let remaining: Vec<Package> = db
        .installed
        .iter()
        .enumerate()
        .filter(|(index, _)| !purged.contains(index))
        .map(|(_, package)| package.clone())
        .collect();
    for &index in &purged {
        step += 1;
        let package = &db.installed[index];
        console.message(&format!(
            "({step}/{total}) Purging {} ({})",
            package.name, package.version
        ));
        if !settings.simulate {
            remove_files(&db.root, package, &remaining);
        }
    }

    let mut installed = remaining;
    for index in installs {
        step += 1;
        let offered = &available[index];
        let package = &offered.package;
        console.message(&format!(
            "({step}/{total}) Installing {} ({})",
            package.name, package.version
        ));
        if settings.simulate {
            installed.push(package.clone());
            continue;
        }
        match install(&db.root, offered) {
            Ok(package) => installed.push(package),
            Err(err) => {
                console.error(&format!("{}: {}", package.label(), error_text(&err)));
                errors += 1;
            }
        }
    }

    db.installed = installed;
    db.world = world;
    if !settings.simulate {
        if let Err(err) = db.write() {
            console.error(&format!(
                "Failed to write the database: {}",
                error_text(&err)
            ));
            errors += 1;
        }
    }
    let prefix = match errors {
        0 => "OK:".to_string(),
        1 => "1 error;".to_string(),
        n => format!("{n} errors;"),
    };
    let bytes: u64 = db.installed.iter().map(|p| p.installed_size).sum();
    console.message(&format!(
        "{prefix} {} MiB in {} packages",
        bytes / (1024 * 1024),
        db.installed.len()
    ));
    errors
}

/// Extract `offered` into `root` and return its installed record.
fn install(root: &Path, offered: &Available) -> io::Result<Package> {
    let mut package = offered.package.clone();
    package.dirs.clear();
    if let Some(archive) = &offered.archive {
        let entries = archive::entries(archive)?;
        archive::extract(archive, root)?;
        for entry in entries {
            package.own_path(&entry);
        }
    }
    Ok(package)
}

/// Remove `package`'s files, then its folders that no `remaining` package
/// owns and that are empty, deepest first.
fn remove_files(root: &Path, package: &Package, remaining: &[Package]) {
    for file in package.files() {
        let path = root.join(&file);
        if path.symlink_metadata().is_ok() {
            let _ = fs::remove_file(&path);
        }
    }
    let mut dirs: Vec<&str> = package
        .dirs
        .iter()
        .map(|dir| dir.path.as_str())
        .filter(|dir| !dir.is_empty())
        .collect();
    dirs.sort_by_key(|dir| Reverse(dir.matches('/').count()));
    for dir in dirs {
        let shared = remaining
            .iter()
            .any(|other| other.dirs.iter().any(|owned| owned.path == dir));
        if !shared {
            // Fails, as it should, for folders that are not empty and for
            // links to folders.
            let _ = fs::remove_dir(root.join(dir));
        }
    }
}

/// The version apk gives a virtual package: the UTC time as
/// `YYYYMMDD.HHMMSS`.
fn virtual_version(now: SystemTime) -> String {
    let seconds = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let days = i64::try_from(seconds / 86_400).unwrap_or(0);
    let time = seconds % 86_400;
    // Civil date from days since 1970-01-01 (proleptic Gregorian).
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}.{:02}{:02}{:02}",
        time / 3600,
        time % 3600 / 60,
        time % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn virtual_versions_are_utc_timestamps() {
        let at = |seconds| virtual_version(UNIX_EPOCH + Duration::from_secs(seconds));
        assert_eq!(at(0), "19700101.000000");
        assert_eq!(at(951_782_400), "20000229.000000");
        assert_eq!(at(1_718_454_896), "20240615.123456");
    }

    #[test]
    fn world_entries_are_replaced_by_name() {
        let mut world = vec!["musl".to_string(), "zlib>=1.2".to_string()];
        add_to_world(&mut world, "zlib");
        add_to_world(&mut world, "gcc");
        assert_eq!(world, ["musl", "zlib", "gcc"]);
    }
}
