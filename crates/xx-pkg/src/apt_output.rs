//! Reading what apt says: which index fetches of `apt-get update` failed
//! (per suite and architecture, with apt's reason), why an install failed,
//! and the version tables of `apt-cache policy`. Pure text in, facts out;
//! running apt is [`crate::system`]'s job.

use std::fmt;

/// One file apt could not fetch (`E: Failed to fetch <url>  <reason>` or
/// the `W:` form of older apt).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedFetch {
    /// The URL apt names.
    pub url: String,
    /// apt's reason, without the `[IP: ...]` tail, e.g. `404  Not Found`
    /// or `File has unexpected size (356624 != 356976). Mirror sync in progress?`.
    pub reason: String,
}

/// Which index a URL of an archive's `dists/` folder belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexId {
    /// The suite, e.g. `bookworm-security`.
    pub suite: String,
    /// The component (`main`), `None` for the suite's Release files.
    pub component: Option<String>,
    /// The architecture of a `binary-<arch>` index, `None` for the suite's
    /// Release files and for other indexes (translations, contents).
    pub arch: Option<String>,
}

impl FailedFetch {
    /// The index this fetch was for; `None` for files outside `dists/`
    /// (package files in `pool/`).
    pub fn index(&self) -> Option<IndexId> {
        index_of_url(&self.url)
    }

    /// Whether this is a package file (`.deb`) rather than an index.
    pub fn is_package_file(&self) -> bool {
        self.url.ends_with(".deb")
    }

    /// The failure as one line: `<suite> <arch> index (<url>): <reason>`.
    pub fn describe(&self) -> String {
        match self.index() {
            Some(IndexId {
                suite,
                arch: Some(arch),
                ..
            }) => format!("{suite} {arch} index ({}): {}", self.url, self.reason),
            Some(IndexId { suite, .. }) => {
                format!("{suite} release file ({}): {}", self.url, self.reason)
            }
            None => format!("{}: {}", self.url, self.reason),
        }
    }
}

/// Which index a URL of an archive's `dists/` folder belongs to:
/// `.../dists/<suite>/InRelease`, `.../dists/<suite>/<component>/binary-<arch>/Packages.xz`,
/// `.../binary-<arch>/by-hash/SHA256/<hash>`.
pub fn index_of_url(url: &str) -> Option<IndexId> {
    // apt names a file it already downloaded by its lists path
    // (`store:/var/lib/apt/lists/partial/<host>_debian_dists_<suite>_main_binary-armhf_Packages`).
    let parts: Vec<&str> = match url.split_once("/dists/") {
        Some((_, rest)) => rest.split('/').collect(),
        None => url.split_once("_dists_")?.1.split('_').collect(),
    };
    let suite = parts.first()?.to_string();
    if parts.len() <= 2 {
        return Some(IndexId {
            suite,
            component: None,
            arch: None,
        });
    }
    let component = Some(parts[1].to_string());
    let arch = parts
        .get(2)
        .and_then(|dir| dir.strip_prefix("binary-"))
        .map(str::to_string);
    Some(IndexId {
        suite,
        component,
        arch,
    })
}

/// Every `Failed to fetch` of apt's output (update or install), in order,
/// each URL once.
pub fn failed_fetches(text: &str) -> Vec<FailedFetch> {
    let mut fetches: Vec<FailedFetch> = Vec::new();
    for line in text.lines() {
        let Some(rest) = line
            .strip_prefix("E: Failed to fetch ")
            .or_else(|| line.strip_prefix("W: Failed to fetch "))
            .or_else(|| line.strip_prefix("Err:Failed to fetch "))
        else {
            continue;
        };
        let (url, reason) = match rest.split_once("  ") {
            Some((url, reason)) => (url.trim(), reason.trim()),
            None => (rest.trim(), ""),
        };
        let reason = strip_ip_tail(reason).to_string();
        if fetches.iter().any(|f| f.url == url) {
            continue;
        }
        fetches.push(FailedFetch {
            url: url.to_string(),
            reason,
        });
    }
    fetches
}

/// `404  Not Found [IP: 127.0.0.1 8080]` without its `[IP: ...]` tail.
fn strip_ip_tail(reason: &str) -> &str {
    match reason.rfind(" [IP: ") {
        Some(at) if reason.ends_with(']') => reason[..at].trim_end(),
        _ => reason,
    }
}

/// Whether `fetch` concerns `arch` or the whole suite (a Release file):
/// a failure a target of `arch` depends on.
pub fn concerns_arch(fetch: &FailedFetch, arch: &str) -> bool {
    match fetch.index() {
        Some(IndexId {
            arch: Some(index_arch),
            ..
        }) => index_arch == arch,
        Some(IndexId {
            component: None, ..
        }) => true,
        // Translations and other per-component files: no architecture.
        Some(_) => false,
        None => false,
    }
}

/// Whether a failed fetch may pass by itself after a pause (a mirror
/// mid-sync: a hash or size mismatch, a 404 of an index, since a mirror
/// updates `Release` and the indexes in two steps; a gateway error), so
/// that running `apt-get update` again is worth it. An unreachable mirror
/// is not: apt's own `Acquire::Retries` has already tried again.
pub fn is_transient(fetch: &FailedFetch) -> bool {
    let reason = fetch.reason.to_ascii_lowercase();
    [
        "unexpected size",
        "mirror sync",
        "hash sum mismatch",
        "404",
        "502",
        "503",
        "504",
    ]
    .iter()
    .any(|word| reason.contains(word))
}

/// Why an apt install failed, as far as its output tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InstallFailure {
    /// `E: Unable to locate package <name>`.
    UnknownPackage(String),
    /// `E: Package '<name>' has no installation candidate`.
    NoCandidate(String),
    /// A package file could not be fetched: the mirror is behind its index
    /// (404) or unreachable.
    PackageFetch(FailedFetch),
    /// The disk filled up (`No space left on device`, `You don't have
    /// enough free space in <dir>`); the folder when apt names one.
    DiskFull(Option<String>),
    /// `E: dpkg was interrupted, you must manually run 'dpkg --configure -a'`.
    DpkgInterrupted,
    /// A lock is held: the lock file and the holder apt names.
    Locked {
        /// The lock file.
        file: String,
        /// `process 1234 (apt-get)`, when apt names it.
        holder: Option<String>,
    },
    /// apt found no way to satisfy the dependencies (`held broken packages`,
    /// `but it is not going to be installed`).
    Unsatisfiable,
}

impl fmt::Display for InstallFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InstallFailure::UnknownPackage(name) => write!(f, "package {name} is unknown to apt"),
            InstallFailure::NoCandidate(name) => {
                write!(f, "package {name} has no installation candidate")
            }
            InstallFailure::PackageFetch(fetch) => write!(f, "{}", fetch.describe()),
            InstallFailure::DiskFull(Some(dir)) => write!(f, "no space left in {dir}"),
            InstallFailure::DiskFull(None) => write!(f, "no space left on the device"),
            InstallFailure::DpkgInterrupted => write!(f, "an earlier dpkg run was interrupted"),
            InstallFailure::Locked {
                file,
                holder: Some(holder),
            } => write!(f, "{file} is held by {holder}"),
            InstallFailure::Locked { file, holder: None } => write!(f, "{file} is held"),
            InstallFailure::Unsatisfiable => write!(f, "apt cannot satisfy the dependencies"),
        }
    }
}

/// The causes apt's install output names, most specific first.
pub fn install_failures(text: &str) -> Vec<InstallFailure> {
    let mut causes = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if let Some(name) = line.strip_prefix("E: Unable to locate package ") {
            causes.push(InstallFailure::UnknownPackage(name.trim().to_string()));
        } else if let Some(rest) = line.strip_prefix("E: Package '") {
            if let Some((name, _)) = rest.split_once("' has no installation candidate") {
                causes.push(InstallFailure::NoCandidate(name.to_string()));
            }
        } else if line.contains("dpkg was interrupted") {
            causes.push(InstallFailure::DpkgInterrupted);
        } else if let Some(rest) = line.strip_prefix("E: You don't have enough free space in ") {
            let dir = rest.trim_end_matches('.').trim().to_string();
            causes.push(InstallFailure::DiskFull(Some(dir)));
        } else if line.contains("No space left on device") {
            let dir = disk_full_path(line);
            if !causes
                .iter()
                .any(|c| matches!(c, InstallFailure::DiskFull(_)))
            {
                causes.push(InstallFailure::DiskFull(dir));
            }
        } else if let Some(rest) = line
            .strip_prefix("E: Could not get lock ")
            .or_else(|| line.strip_prefix("Waiting for cache lock: Could not get lock "))
        {
            let (file, holder) = match rest.split_once(". It is held by ") {
                Some((file, holder)) => (
                    file.to_string(),
                    Some(holder.trim_end_matches('.').to_string()),
                ),
                None => (rest.trim_end_matches('.').to_string(), None),
            };
            let cause = InstallFailure::Locked { file, holder };
            if !causes.contains(&cause) {
                causes.push(cause);
            }
        } else if (line.contains("held broken packages")
            || line.contains("but it is not going to be installed")
            || line.contains("but it is not installable"))
            && !causes.contains(&InstallFailure::Unsatisfiable)
        {
            causes.push(InstallFailure::Unsatisfiable);
        }
    }
    for fetch in failed_fetches(text) {
        if fetch.is_package_file() {
            causes.push(InstallFailure::PackageFetch(fetch));
        }
    }
    causes
}

/// The folder of the file named in dpkg's `... to '/usr/lib/x.a.dpkg-new':
/// failed to write (No space left on device)`.
fn disk_full_path(line: &str) -> Option<String> {
    let quoted: Vec<&str> = line.split('\'').collect();
    quoted
        .iter()
        .skip(1)
        .step_by(2)
        .rev()
        .find(|part| part.starts_with('/'))
        .map(|path| match path.rsplit_once('/') {
            Some(("", _)) | None => "/".to_string(),
            Some((dir, _)) => dir.to_string(),
        })
}

/// One package of `apt-cache policy` output.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Policy {
    /// The name as apt prints it (`libssl3` or `libssl3:armhf`).
    pub name: String,
    /// `Installed:` (`None` for `(none)`).
    pub installed: Option<String>,
    /// `Candidate:` (`None` for `(none)`).
    pub candidate: Option<String>,
    /// The version table: each version with the suites that offer it
    /// (`bookworm-security/main`; `/var/lib/dpkg/status` for the
    /// installed copy).
    pub versions: Vec<(String, Vec<String>)>,
}

impl Policy {
    /// The suites (`bookworm-security`) that offer `version`, without the
    /// status file.
    pub fn suites_of(&self, version: &str) -> Vec<String> {
        self.versions
            .iter()
            .filter(|(v, _)| v == version)
            .flat_map(|(_, origins)| origins.iter())
            .filter(|origin| !origin.starts_with('/'))
            .map(|origin| origin.split('/').next().unwrap_or(origin).to_string())
            .collect()
    }

    /// Whether any source (not only the status file) offers `version`.
    pub fn offers(&self, version: &str) -> bool {
        !self.suites_of(version).is_empty()
    }
}

/// Read `apt-cache policy NAMES...`: a header `name:` per package apt knows,
/// then `Installed:`, `Candidate:` and the `Version table:` whose version
/// lines (`*** 1.2 500` or `1.2 500`) are followed by origin lines
/// (`500 http://deb.debian.org/debian bookworm/main amd64 Packages`).
pub fn parse_policy(text: &str) -> Vec<Policy> {
    let mut all: Vec<Policy> = Vec::new();
    for line in text.lines() {
        if !line.starts_with(char::is_whitespace) {
            if let Some(name) = line.strip_suffix(':') {
                if !name.is_empty() && !name.contains(char::is_whitespace) {
                    all.push(Policy {
                        name: name.to_string(),
                        ..Policy::default()
                    });
                }
            }
            continue;
        }
        let Some(current) = all.last_mut() else {
            continue;
        };
        let trimmed = line.trim();
        if let Some(value) = trimmed.strip_prefix("Installed:") {
            current.installed = version_value(value);
        } else if let Some(value) = trimmed.strip_prefix("Candidate:") {
            current.candidate = version_value(value);
        } else if trimmed == "Version table:" {
            continue;
        } else {
            let words: Vec<&str> = trimmed
                .trim_start_matches("*** ")
                .split_whitespace()
                .collect();
            match words.as_slice() {
                // An origin: `500 http://... bookworm/main amd64 Packages`
                // or `100 /var/lib/dpkg/status`.
                [priority, uri, rest @ ..] if priority.parse::<i32>().is_ok() => {
                    let origin = if uri.starts_with('/') {
                        uri.to_string()
                    } else {
                        rest.first()
                            .map_or_else(|| uri.to_string(), |s| s.to_string())
                    };
                    if let Some((_, origins)) = current.versions.last_mut() {
                        origins.push(origin);
                    }
                }
                // A version line: `1.2-3 500`.
                [version, priority] if priority.parse::<i32>().is_ok() => {
                    current.versions.push((version.to_string(), Vec::new()));
                }
                _ => {}
            }
        }
    }
    all
}

fn version_value(value: &str) -> Option<String> {
    let value = value.trim();
    (!value.is_empty() && value != "(none)").then(|| value.to_string())
}

/// A Multi-Arch: same package whose build-machine copy and target
/// candidate differ: apt cannot install the target's copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionSkew {
    /// The package name without architecture.
    pub package: String,
    /// The version installed for the build machine.
    pub host_version: String,
    /// The suites that offer the host's version (empty: none does any more).
    pub host_suites: Vec<String>,
    /// The target architecture.
    pub target_arch: String,
    /// The target's candidate (`None`: no candidate at all).
    pub target_candidate: Option<String>,
    /// The suites that offer the target's candidate.
    pub target_suites: Vec<String>,
}

/// The skews between installed Multi-Arch: same packages (`host`, the
/// policy of `name` on the build machine) and their copies for
/// `target_arch` (`target`, the policy of `name:<arch>`): the target's
/// sources do not offer the host's version.
pub fn version_skews(host: &[Policy], target: &[Policy], target_arch: &str) -> Vec<VersionSkew> {
    let mut skews = Vec::new();
    for installed in host {
        let Some(host_version) = &installed.installed else {
            continue;
        };
        let package = installed
            .name
            .split(':')
            .next()
            .unwrap_or(&installed.name)
            .to_string();
        let target_name = format!("{package}:{target_arch}");
        let Some(copy) = target.iter().find(|p| p.name == target_name) else {
            continue;
        };
        if copy.offers(host_version) || copy.installed.as_deref() == Some(host_version.as_str()) {
            continue;
        }
        let target_suites = copy
            .candidate
            .as_deref()
            .map(|v| copy.suites_of(v))
            .unwrap_or_default();
        skews.push(VersionSkew {
            package,
            host_version: host_version.clone(),
            host_suites: installed.suites_of(host_version),
            target_arch: target_arch.to_string(),
            target_candidate: copy.candidate.clone(),
            target_suites,
        });
    }
    skews
}

/// Read `dpkg-query -W -f '${Package}\t${Architecture}\t${Multi-Arch}\t${db:Status-Abbrev}\n'`:
/// the installed Multi-Arch: same packages of `arch`.
pub fn installed_multiarch_same(text: &str, arch: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            match fields.as_slice() {
                [name, a, "same", status, ..] if *a == arch && status.starts_with("ii") => {
                    Some(name.to_string())
                }
                _ => None,
            }
        })
        .collect()
}

/// Whether apt's list file names hold the `binary-<arch>` index of
/// `suite` (`..._dists_bookworm-security_main_binary-armhf_Packages`).
pub fn lists_have_index(file_names: &[String], suite: &str, arch: &str) -> bool {
    let suite_part = format!("_dists_{suite}_");
    let arch_part = format!("_binary-{arch}_Packages");
    file_names
        .iter()
        .any(|name| name.contains(&suite_part) && name.contains(&arch_part))
}

/// The one-line explanation of Multi-Arch: same `skews` blocking an
/// install for their architecture: package, the build machine's version
/// and suite, the target's candidate, and what happened to the index that
/// should have offered the build machine's version (`failed`: this run's
/// failed fetches; `lists`: the names in apt's lists folder).
pub fn skew_message(skews: &[VersionSkew], failed: &[FailedFetch], lists: &[String]) -> String {
    let parts: Vec<String> = skews
        .iter()
        .map(|skew| {
            let arch = &skew.target_arch;
            let from = |suites: &[String]| {
                if suites.is_empty() {
                    "no configured suite any more".to_string()
                } else {
                    suites.join(", ")
                }
            };
            let candidate = match &skew.target_candidate {
                Some(version) => format!(
                    "{arch}'s candidate is {version} (from {})",
                    from(&skew.target_suites)
                ),
                None => format!("{arch} has no candidate"),
            };
            let index = skew
                .host_suites
                .iter()
                .find_map(|suite| {
                    failed
                        .iter()
                        .find(|fetch| {
                            fetch.index().is_some_and(|id| {
                                id.suite == *suite
                                    && id.arch.as_deref().is_none_or(|a| a == arch)
                            })
                        })
                        .map(|fetch| format!("apt-get update could not fetch the {}", fetch.describe()))
                        .or_else(|| {
                            (!lists_have_index(lists, suite, arch)).then(|| {
                                format!(
                                    "the {suite} {arch} index is missing from /var/lib/apt/lists (apt-get update could not fetch it)"
                                )
                            })
                        })
                })
                .unwrap_or_else(|| {
                    format!(
                        "{} offers no {arch} build of {}",
                        from(&skew.host_suites),
                        skew.host_version
                    )
                });
            format!(
                "{package} {host} (from {host_from}) is installed for the build machine but {candidate}; {index}",
                package = skew.package,
                host = skew.host_version,
                host_from = from(&skew.host_suites),
            )
        })
        .collect();
    format!(
        "cannot install for {}: Multi-Arch: same packages need one version on every architecture: {}; retry when the mirror has synced",
        skews.first().map_or("the target", |s| s.target_arch.as_str()),
        parts.join("; also ")
    )
}

/// The host of a URL (`http://127.0.0.1:4000/debian/...` → `127.0.0.1:4000`).
pub fn url_host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.split('/').next().unwrap_or(rest)
}

/// Whether apt's reason says the server could not be reached or dropped
/// the connection (as opposed to answering with an error).
pub fn is_unreachable(reason: &str) -> bool {
    let reason = reason.to_ascii_lowercase();
    [
        "could not connect",
        "connection refused",
        "connection reset",
        "connection failed",
        "timed out",
        "temporary failure resolving",
        "could not resolve",
        "error reading from server",
        "unable to connect",
        "network is unreachable",
    ]
    .iter()
    .any(|word| reason.contains(word))
}

#[cfg(test)]
mod tests {
    use super::*;

    const UPDATE: &str = "\
Hit:1 http://127.0.0.1:4000/debian bookworm InRelease
Get:2 http://127.0.0.1:4000/debian bookworm-security InRelease [1000 B]
Err:3 http://127.0.0.1:4000/debian bookworm-security/main armhf Packages
  File has unexpected size (356624 != 356976). Mirror sync in progress? [IP: 127.0.0.1 4000]
  Hashes of expected file:
   - Filesize:356976 [weak]
Err:4 http://127.0.0.1:4000/debian bookworm/main s390x Packages
  404  Not Found [IP: 127.0.0.1 4000]
E: Failed to fetch http://127.0.0.1:4000/debian/dists/bookworm-security/main/binary-armhf/Packages.xz  File has unexpected size (356624 != 356976). Mirror sync in progress? [IP: 127.0.0.1 4000]
   Hashes of expected file:
    - Filesize:356976 [weak]
E: Failed to fetch http://127.0.0.1:4000/debian/dists/bookworm/main/binary-s390x/Packages  404  Not Found [IP: 127.0.0.1 4000]
W: Failed to fetch http://127.0.0.1:1/debian/dists/bookworm/InRelease  Could not connect to 127.0.0.1:1 (127.0.0.1). - connect (111: Connection refused)
E: Some index files failed to download. They have been ignored, or old ones used instead.
";

    #[test]
    fn reads_failed_index_fetches_per_suite_and_arch() {
        let failed = failed_fetches(UPDATE);
        assert_eq!(failed.len(), 3);
        assert_eq!(
            failed[0].reason,
            "File has unexpected size (356624 != 356976). Mirror sync in progress?"
        );
        assert_eq!(
            failed[0].index(),
            Some(IndexId {
                suite: "bookworm-security".into(),
                component: Some("main".into()),
                arch: Some("armhf".into()),
            })
        );
        assert_eq!(failed[1].reason, "404  Not Found");
        assert_eq!(
            failed[1].index().and_then(|i| i.arch).as_deref(),
            Some("s390x")
        );
        assert_eq!(failed[2].index().map(|i| i.component), Some(None));
        assert!(concerns_arch(&failed[0], "armhf"));
        assert!(!concerns_arch(&failed[0], "amd64"));
        assert!(
            concerns_arch(&failed[2], "amd64"),
            "a Release file concerns every arch"
        );
        assert!(
            !is_transient(&failed[2]),
            "an unreachable mirror is not retried"
        );
        assert!(is_transient(&failed[0]));
        assert_eq!(
            failed[0].describe(),
            "bookworm-security armhf index (http://127.0.0.1:4000/debian/dists/bookworm-security/main/binary-armhf/Packages.xz): File has unexpected size (356624 != 356976). Mirror sync in progress?"
        );
    }

    #[test]
    fn by_hash_urls_belong_to_their_index() {
        let id =
            index_of_url("http://m/debian/dists/bookworm/main/binary-arm64/by-hash/SHA256/abc")
                .expect("index");
        assert_eq!(id.arch.as_deref(), Some("arm64"));
        assert_eq!(index_of_url("http://m/debian/pool/main/z/zlib/z.deb"), None);
        let stored = index_of_url(
            "store:/var/lib/apt/lists/partial/127.0.0.1:4000_debian_dists_bookworm-security_main_binary-armhf_Packages",
        )
        .expect("index");
        assert_eq!(stored.suite, "bookworm-security");
        assert_eq!(stored.arch.as_deref(), Some("armhf"));
    }

    #[test]
    fn classifies_install_failures() {
        let text = "\
E: Unable to locate package libnothing-dev:armhf
E: Package 'libfoo-dev:armhf' has no installation candidate
E: Failed to fetch http://127.0.0.1:4000/debian/pool/main/z/zlib/zlib1g-dev_1.2.13_armhf.deb  404  Not Found [IP: 127.0.0.1 4000]
E: Unable to fetch some archives, maybe run apt-get update or try with --fix-missing?
E: dpkg was interrupted, you must manually run 'dpkg --configure -a' to correct the problem.
E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4242 (apt-get)
 libc6-dev:armhf : Depends: linux-libc-dev:armhf but it is not going to be installed
E: Unable to correct problems, you have held broken packages.
dpkg: error processing archive /var/cache/apt/archives/x.deb (--unpack):
 cannot copy extracted data for './usr/lib/x.a' to '/usr/lib/x.a.dpkg-new': failed to write (No space left on device)
";
        let causes = install_failures(text);
        assert_eq!(
            causes[0],
            InstallFailure::UnknownPackage("libnothing-dev:armhf".into())
        );
        assert_eq!(
            causes[1],
            InstallFailure::NoCandidate("libfoo-dev:armhf".into())
        );
        assert!(causes.contains(&InstallFailure::DpkgInterrupted));
        assert!(causes.contains(&InstallFailure::Unsatisfiable));
        assert!(causes.contains(&InstallFailure::DiskFull(Some("/usr/lib".into()))));
        assert!(causes.contains(&InstallFailure::Locked {
            file: "/var/lib/dpkg/lock-frontend".into(),
            holder: Some("process 4242 (apt-get)".into()),
        }));
        assert!(causes.iter().any(|c| matches!(
            c,
            InstallFailure::PackageFetch(f) if f.reason == "404  Not Found" && f.is_package_file()
        )));
        assert_eq!(
            install_failures("E: You don't have enough free space in /var/cache/apt/archives/."),
            vec![InstallFailure::DiskFull(Some(
                "/var/cache/apt/archives/".into()
            ))]
        );
    }

    const HOST_POLICY: &str = "\
linux-libc-dev:
  Installed: 6.1.192-3
  Candidate: 6.1.192-3
  Version table:
 *** 6.1.192-3 500
        500 http://127.0.0.1:4000/debian bookworm-security/main amd64 Packages
        100 /var/lib/dpkg/status
     6.1.140-1 500
        500 http://127.0.0.1:4000/debian bookworm/main amd64 Packages
zlib1g:
  Installed: 1:1.2.13.dfsg-1
  Candidate: 1:1.2.13.dfsg-1
  Version table:
 *** 1:1.2.13.dfsg-1 500
        500 http://127.0.0.1:4000/debian bookworm/main amd64 Packages
        100 /var/lib/dpkg/status
";
    const TARGET_POLICY: &str = "\
linux-libc-dev:armhf:
  Installed: (none)
  Candidate: 6.1.140-1
  Version table:
     6.1.140-1 500
        500 http://127.0.0.1:4000/debian bookworm/main armhf Packages
zlib1g:armhf:
  Installed: (none)
  Candidate: 1:1.2.13.dfsg-1
  Version table:
     1:1.2.13.dfsg-1 500
        500 http://127.0.0.1:4000/debian bookworm/main armhf Packages
";

    #[test]
    fn reads_policy_version_tables() {
        let host = parse_policy(HOST_POLICY);
        assert_eq!(host.len(), 2);
        assert_eq!(host[0].installed.as_deref(), Some("6.1.192-3"));
        assert_eq!(host[0].suites_of("6.1.192-3"), vec!["bookworm-security"]);
        assert_eq!(host[0].suites_of("6.1.140-1"), vec!["bookworm"]);
        let target = parse_policy(TARGET_POLICY);
        assert_eq!(target[0].installed, None);
        assert_eq!(target[0].candidate.as_deref(), Some("6.1.140-1"));
    }

    #[test]
    fn finds_multiarch_same_skews() {
        let skews = version_skews(
            &parse_policy(HOST_POLICY),
            &parse_policy(TARGET_POLICY),
            "armhf",
        );
        assert_eq!(
            skews,
            vec![VersionSkew {
                package: "linux-libc-dev".into(),
                host_version: "6.1.192-3".into(),
                host_suites: vec!["bookworm-security".into()],
                target_arch: "armhf".into(),
                target_candidate: Some("6.1.140-1".into()),
                target_suites: vec!["bookworm".into()],
            }]
        );
    }

    #[test]
    fn skew_message_names_package_versions_and_failed_index() {
        let skews = version_skews(
            &parse_policy(HOST_POLICY),
            &parse_policy(TARGET_POLICY),
            "armhf",
        );
        let failed = failed_fetches(UPDATE);
        let message = skew_message(&skews, &failed, &[]);
        assert!(!message.contains('\n'));
        for part in [
            "linux-libc-dev 6.1.192-3 (from bookworm-security)",
            "armhf's candidate is 6.1.140-1 (from bookworm)",
            "the bookworm-security armhf index",
            "File has unexpected size (356624 != 356976). Mirror sync in progress?",
        ] {
            assert!(message.contains(part), "{part:?} not in {message}");
        }
        let missing = skew_message(&skews, &[], &[]);
        assert!(
            missing.contains("the bookworm-security armhf index is missing"),
            "{missing}"
        );
        let lists = vec!["m_debian_dists_bookworm-security_main_binary-armhf_Packages".to_string()];
        let offered = skew_message(&skews, &[], &lists);
        assert!(
            offered.contains("bookworm-security offers no armhf build of 6.1.192-3"),
            "{offered}"
        );
    }

    #[test]
    fn hosts_and_unreachable_reasons() {
        assert_eq!(
            url_host("http://127.0.0.1:4000/debian/pool/x.deb"),
            "127.0.0.1:4000"
        );
        assert!(is_unreachable(
            "Could not connect to 127.0.0.1:9 (127.0.0.1). - connect (111: Connection refused)"
        ));
        assert!(is_unreachable(
            "Error reading from server - read (104: Connection reset by peer)"
        ));
        assert!(!is_unreachable("404  Not Found"));
    }

    #[test]
    fn reads_installed_multiarch_same_packages() {
        let text = "libc6\tamd64\tsame\tii \nlibc6\tarm64\tsame\tii \nmake\tamd64\t\tii \nlibssl3\tamd64\tsame\trc \n";
        assert_eq!(installed_multiarch_same(text, "amd64"), vec!["libc6"]);
    }
}
