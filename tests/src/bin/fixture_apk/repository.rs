//! The repositories a root reads: the lines of `etc/apk/repositories`
//! (and `etc/apk/repositories.d/*`), each a folder holding, per
//! architecture, a plain-text `APKINDEX`, the packages
//! `<name>-<version>.apk` (gzip'd tars of the files) and, standing in for
//! the index signature, an empty `.SIGN.RSA.<key name>` file: the index is
//! trusted when the root has `etc/apk/keys/<key name>` or with
//! `--allow-untrusted`, otherwise apk's `UNTRUSTED signature` warning and
//! the repository is skipped. An optional `DESCRIPTION` file is what
//! `apk update` prints for it.
//!
//! As in apk, only `<repository>/<root's arch>/` is read. Alpine mirror
//! URLs (`https://<host>/alpine/<release>/<repository>`) are served from
//! [`MIRROR_ROOT`]`/<release>/<repository>`; other URLs are unreachable.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use crate::console::Console;
use crate::database::{error_text, Database};
use crate::options::{Applet, Settings};
use crate::records::{self, dependency_name, Package};

/// Where the fixture keeps its Alpine mirror (the library's
/// `ALPINE_FIXTURE_REPO` is `<MIRROR_ROOT>/v3.20/main`).
pub const MIRROR_ROOT: &str = "/srv/alpine-fixture";

/// Prefix of the files that name the key an index is signed with.
const SIGNATURE_PREFIX: &str = ".SIGN.RSA.";

/// A package a repository offers (or a virtual one made by `add -t`).
#[derive(Debug, Clone)]
pub struct Available {
    /// Its index record.
    pub package: Package,
    /// Its `.apk`; `None` for a virtual package, which has no files.
    pub archive: Option<PathBuf>,
}

/// A repository that was read.
#[derive(Debug, Clone)]
pub struct Repository {
    /// The line of the repositories file.
    pub url: String,
    /// Its `DESCRIPTION`, if any.
    pub description: Option<String>,
}

/// All packages the root's repositories offer.
#[derive(Debug, Clone, Default)]
pub struct Repositories {
    /// The packages, first repository first; a name and version only once.
    pub packages: Vec<Available>,
    /// The repositories that were read.
    pub loaded: Vec<Repository>,
}

/// Every name apk would know: installed and offered packages and the
/// names they depend on.
pub fn known_names(installed: &[Package], repositories: &Repositories) -> BTreeSet<String> {
    let packages = installed
        .iter()
        .chain(repositories.packages.iter().map(|a| &a.package));
    let mut names = BTreeSet::new();
    for package in packages {
        names.insert(package.name.clone());
        names.extend(
            package
                .depends
                .iter()
                .filter_map(|dep| dependency_name(dep))
                .map(str::to_string),
        );
    }
    names
}

/// Where a repository line points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A folder on this machine.
    Local(PathBuf),
    /// An Alpine mirror URL, served from the fixture's mirror folder.
    Mirrored(PathBuf),
    /// Any other URL.
    Unreachable,
}

/// Where the repository line `url` (without its `@tag`) points.
pub fn locate(url: &str) -> Location {
    if let Some(path) = url.strip_prefix("file://") {
        return Location::Local(PathBuf::from(path));
    }
    let Some((_, after_scheme)) = url.split_once("://") else {
        return Location::Local(PathBuf::from(url));
    };
    let path = after_scheme
        .find('/')
        .map_or("", |slash| &after_scheme[slash..]);
    match path.strip_prefix("/alpine/") {
        Some(release_and_repository) if !release_and_repository.is_empty() => Location::Mirrored(
            Path::new(MIRROR_ROOT).join(release_and_repository.trim_end_matches('/')),
        ),
        _ => Location::Unreachable,
    }
}

/// The repository lines a root uses: `-X` ones first, then the
/// repositories file (`--repositories-file` or the root's), then the root's
/// `etc/apk/repositories.d/*`; blank lines, `#` lines and repeats dropped,
/// `@tag` prefixes removed.
pub fn repository_urls(root: &Path, settings: &Settings) -> Vec<String> {
    let mut texts: Vec<String> = settings.repositories.clone();
    let file = match &settings.repositories_file {
        Some(file) => PathBuf::from(file),
        None => root.join("etc/apk/repositories"),
    };
    texts.extend(fs::read_to_string(file).ok());
    if settings.repositories_file.is_none() {
        if let Ok(entries) = fs::read_dir(root.join("etc/apk/repositories.d")) {
            let mut files: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
            files.sort();
            texts.extend(files.iter().filter_map(|f| fs::read_to_string(f).ok()));
        }
    }
    let mut urls: Vec<String> = Vec::new();
    for line in texts.iter().flat_map(|text| text.lines()) {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let url = match line.strip_prefix('@') {
            Some(tagged) => tagged
                .split_once(char::is_whitespace)
                .map_or("", |(_, url)| url.trim()),
            None => line,
        };
        if !url.is_empty() && !urls.iter().any(|known| known == url) {
            urls.push(url.to_string());
        }
    }
    urls
}

/// The keys folder: `--keys-dir` (relative to the root unless absolute)
/// or the root's `etc/apk/keys`.
fn keys_dir(root: &Path, settings: &Settings) -> PathBuf {
    match &settings.keys_dir {
        Some(dir) => root.join(dir),
        None => root.join("etc/apk/keys"),
    }
}

/// Whether the index in `arch_dir` is signed with a key in `keys`.
fn signed_with_known_key(arch_dir: &Path, keys: &Path) -> bool {
    let Ok(entries) = fs::read_dir(arch_dir) else {
        return false;
    };
    entries.flatten().any(|entry| {
        let name = entry.file_name().to_string_lossy().into_owned();
        name.strip_prefix(SIGNATURE_PREFIX)
            .is_some_and(|key| !key.is_empty() && keys.join(key).is_file())
    })
}

/// Read the indexes of the root's repositories for the root's arch,
/// warning (as apk does) about those that cannot be used.
pub fn load(db: &Database, settings: &Settings, applet: Applet, console: &Console) -> Repositories {
    let keys = keys_dir(&db.root, settings);
    let mut repositories = Repositories::default();
    for url in repository_urls(&db.root, settings) {
        let location = locate(&url);
        let remote = !matches!(location, Location::Local(_));
        let fetching = remote && (settings.no_cache || applet.writes());
        if fetching {
            console.message(&format!(
                "fetch {}/{}/APKINDEX.tar.gz",
                url.trim_end_matches('/'),
                db.arch
            ));
        }
        let action = match (remote, fetching) {
            (false, _) => "opening",
            (true, true) => "fetching",
            (true, false) => "opening from cache",
        };
        let dir = match location {
            Location::Local(dir) | Location::Mirrored(dir) => dir,
            Location::Unreachable => {
                let reason = if fetching {
                    "DNS lookup error"
                } else {
                    "No such file or directory"
                };
                console.warning(&format!("{action} {url}: {reason}"));
                continue;
            }
        };
        let arch_dir = dir.join(&db.arch);
        let index = match fs::read_to_string(arch_dir.join("APKINDEX")) {
            Ok(index) => index,
            Err(err) => {
                console.warning(&format!("{action} {url}: {}", error_text(&err)));
                continue;
            }
        };
        if !settings.allow_untrusted && !signed_with_known_key(&arch_dir, &keys) {
            console.warning(&format!("{action} {url}: UNTRUSTED signature"));
            continue;
        }
        for package in records::parse(&index) {
            if repositories
                .packages
                .iter()
                .any(|known| known.package.same_as(&package))
            {
                continue;
            }
            let archive = dir
                .join(&package.arch)
                .join(format!("{}.apk", package.label()));
            repositories.packages.push(Available {
                package,
                archive: Some(archive),
            });
        }
        let description = fs::read_to_string(arch_dir.join("DESCRIPTION"))
            .ok()
            .map(|text| text.trim().to_string())
            .filter(|text| !text.is_empty());
        repositories.loaded.push(Repository { url, description });
    }
    repositories
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_lines_point_to_folders_or_the_mirror() {
        assert_eq!(
            locate("/srv/alpine-fixture/v3.20/main"),
            Location::Local("/srv/alpine-fixture/v3.20/main".into())
        );
        assert_eq!(
            locate("file:///srv/repo"),
            Location::Local("/srv/repo".into())
        );
        assert_eq!(
            locate("https://dl-cdn.alpinelinux.org/alpine/v3.20/community/"),
            Location::Mirrored("/srv/alpine-fixture/v3.20/community".into())
        );
        assert_eq!(
            locate("http://mirror.example/alpine/edge/main"),
            Location::Mirrored("/srv/alpine-fixture/edge/main".into())
        );
        assert_eq!(locate("https://example.com/repo"), Location::Unreachable);
        assert_eq!(locate("https://example.com/alpine/"), Location::Unreachable);
    }

    #[test]
    fn repository_files_are_read_like_apk() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("etc/apk/repositories.d")).unwrap();
        fs::write(
            root.join("etc/apk/repositories"),
            "# comment\n\n/srv/a\n@edge https://dl-cdn.alpinelinux.org/alpine/edge/main\n/srv/a\n",
        )
        .unwrap();
        fs::write(root.join("etc/apk/repositories.d/extra.list"), "/srv/b\n").unwrap();
        let settings = Settings {
            repositories: vec!["/srv/x".into()],
            ..Settings::default()
        };
        assert_eq!(
            repository_urls(root, &settings),
            [
                "/srv/x",
                "/srv/a",
                "https://dl-cdn.alpinelinux.org/alpine/edge/main",
                "/srv/b"
            ]
        );
    }

    #[test]
    fn signatures_need_the_key_in_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let arch_dir = dir.path().join("repo/aarch64");
        let keys = dir.path().join("root/etc/apk/keys");
        fs::create_dir_all(&arch_dir).unwrap();
        fs::create_dir_all(&keys).unwrap();
        assert!(!signed_with_known_key(&arch_dir, &keys));
        fs::write(arch_dir.join(".SIGN.RSA.test.rsa.pub"), "").unwrap();
        assert!(!signed_with_known_key(&arch_dir, &keys));
        fs::write(keys.join("test.rsa.pub"), "key").unwrap();
        assert!(signed_with_known_key(&arch_dir, &keys));
    }
}
