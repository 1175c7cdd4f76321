//! The project-owned prefix of the buildx engine: Debian trixie's Docker
//! engine, client, containerd, buildx plugin and tini, unpacked from their
//! `.deb` files so that the host's packages are left alone.
//!
//! Debian 12 packages neither buildx nor an engine with the containerd
//! image store (needed to `--load` a multi-platform image); trixie's do, and
//! its Go programs run on Debian 12. Only trixie's `runc` does not (it needs
//! glibc 2.38): the engine uses Debian 12's `runc` from `PATH`.
//!
//! The `.deb` files are fetched with `apt-get download` under a private apt
//! configuration: a one-line sources list for trixie and private list and
//! cache folders (`-o Dir::Etc::SourceList=... -o Dir::State::Lists=...`).
//! The host's apt sources, preferences and package states are not changed,
//! so no pin priority is needed: the host never sees trixie. The files are
//! kept in `<state>/engine/debs` and unpacked (`dpkg -x`) into
//! `<state>/engine/root`; later runs reuse both.
//!
//! Shared, unchanged, by `cargo xtask` and the end-to-end tests (through
//! `docker.rs`), so it only uses `std`, `anyhow`, `duct`, `tempfile` and
//! `xx-files`.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use xx_files::{write_atomic, FileLock};

/// The Debian release the engine comes from.
pub const ENGINE_SUITE: &str = "trixie";

/// The packages unpacked into the prefix: the engine (`dockerd`), the
/// client, containerd with its runc shim, the buildx CLI plugin and tini
/// (the engine's `docker-init`).
pub const ENGINE_PACKAGES: &[&str] = &[
    "docker.io",
    "docker-cli",
    "containerd",
    "docker-buildx",
    "tini",
];

/// Bump when the prefix's recipe changes: a prefix made by another recipe
/// is made again (the downloaded `.deb` files are reused when they fit).
const PREFIX_RECIPE: &str = "1";

/// The mode of the files written here.
const PRIVATE_FILE: u32 = 0o644;

/// An unpacked engine prefix.
#[derive(Debug, Clone)]
pub struct EnginePrefix {
    root: PathBuf,
}

impl EnginePrefix {
    /// The prefix below `dir` (`<dir>/root`), made from trixie's packages
    /// (fetched from `mirror`) when it is missing or incomplete.
    ///
    /// Concurrent callers are serialised by a lock file.
    pub fn ensure(dir: &Path, mirror: &str) -> Result<EnginePrefix> {
        let prefix = EnginePrefix {
            root: dir.join("root"),
        };
        if prefix.is_complete() {
            return Ok(prefix);
        }
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let _lock = FileLock::acquire(&dir.join("prefix.lock"))?;
        if prefix.is_complete() {
            return Ok(prefix);
        }
        let debs = download(dir, mirror)?;
        eprintln!(
            "unpacking {} into {}",
            ENGINE_PACKAGES.join(" "),
            prefix.root.display()
        );
        let staging = tempfile::Builder::new()
            .prefix(".root.")
            .tempdir_in(dir)
            .context("temporary folder for the engine prefix")?;
        for deb in &debs {
            duct::cmd!("dpkg", "-x", deb, staging.path())
                .run()
                .with_context(|| format!("dpkg -x {} failed", deb.display()))?;
        }
        let names: Vec<String> = debs
            .iter()
            .filter_map(|deb| deb.file_name())
            .map(|name| name.to_string_lossy().into_owned())
            .collect();
        write_atomic(
            &staging.path().join(STAMP),
            &format!("{PREFIX_RECIPE}\n{}\n", names.join("\n")),
            PRIVATE_FILE,
        )?;
        if prefix.root.exists() {
            std::fs::remove_dir_all(&prefix.root)
                .with_context(|| format!("cannot remove {}", prefix.root.display()))?;
        }
        let staging = staging.keep();
        std::fs::rename(&staging, &prefix.root)
            .with_context(|| format!("cannot move {} into place", staging.display()))?;
        if !prefix.is_complete() {
            bail!(
                "{} lacks dockerd, docker, containerd or docker-buildx after unpacking {}",
                prefix.root.display(),
                names.join(" ")
            );
        }
        Ok(prefix)
    }

    /// Whether the prefix was unpacked by this recipe and holds every
    /// program the engine needs.
    fn is_complete(&self) -> bool {
        let stamp = std::fs::read_to_string(self.root.join(STAMP)).unwrap_or_default();
        stamp.lines().next() == Some(PREFIX_RECIPE)
            && [
                self.dockerd(),
                self.client(),
                self.containerd(),
                self.buildx_plugin(),
            ]
            .iter()
            .all(|program| program.is_file())
    }

    /// The folder the packages were unpacked into.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The engine.
    pub fn dockerd(&self) -> PathBuf {
        self.root.join("usr/sbin/dockerd")
    }

    /// The client (26.x; it runs the buildx plugin).
    pub fn client(&self) -> PathBuf {
        self.root.join("usr/bin/docker")
    }

    /// containerd.
    pub fn containerd(&self) -> PathBuf {
        self.root.join("usr/bin/containerd")
    }

    /// The buildx CLI plugin.
    pub fn buildx_plugin(&self) -> PathBuf {
        self.root
            .join("usr/libexec/docker/cli-plugins/docker-buildx")
    }

    /// The package versions the prefix was made from (`.deb` file names).
    pub fn packages(&self) -> Vec<String> {
        std::fs::read_to_string(self.root.join(STAMP))
            .unwrap_or_default()
            .lines()
            .skip(1)
            .map(str::to_string)
            .collect()
    }

    /// `PATH` for the engine's processes: the prefix's programs first
    /// (containerd's shim, tini as `docker-init`), then the host's, which
    /// provide Debian 12's `runc`.
    pub fn search_path(&self) -> String {
        let bin = self.root.join("usr/bin");
        let sbin = self.root.join("usr/sbin");
        format!(
            "{}:{}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            bin.display(),
            sbin.display()
        )
    }
}

/// The stamp file of a complete prefix: the recipe, then the `.deb` names.
const STAMP: &str = ".xx-rs-engine";

/// The `.deb` files of [`ENGINE_PACKAGES`] in `<dir>/debs`, downloaded
/// with a private apt configuration unless a complete set is there.
fn download(dir: &Path, mirror: &str) -> Result<Vec<PathBuf>> {
    let debs = dir.join("debs");
    let cached = debs_in(&debs);
    if cached.len() == ENGINE_PACKAGES.len() {
        return Ok(cached);
    }
    let arch = duct::cmd!("dpkg", "--print-architecture")
        .read()
        .context("dpkg --print-architecture")?;
    let apt = dir.join("apt");
    for sub in ["lists/partial", "cache/archives/partial", "parts"] {
        let path = apt.join(sub);
        std::fs::create_dir_all(&path)
            .with_context(|| format!("cannot create {}", path.display()))?;
    }
    let sources = apt.join("sources.list");
    write_atomic(
        &sources,
        &format!(
            "deb [arch={} signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] {mirror} {ENGINE_SUITE} main\n",
            arch.trim()
        ),
        PRIVATE_FILE,
    )?;
    let options = [
        format!("Dir::Etc::SourceList={}", sources.display()),
        format!("Dir::Etc::SourceParts={}", apt.join("parts").display()),
        format!("Dir::State::Lists={}", apt.join("lists").display()),
        format!("Dir::Cache={}", apt.join("cache").display()),
        "Acquire::Languages=none".to_string(),
        "APT::Sandbox::User=root".to_string(),
    ];
    let apt_args = |command: &[&str]| -> Vec<String> {
        let mut args: Vec<String> = options
            .iter()
            .flat_map(|option| ["-o".to_string(), option.clone()])
            .collect();
        args.extend(command.iter().map(|arg| arg.to_string()));
        args
    };
    eprintln!("fetching Debian {ENGINE_SUITE}'s {} (private apt lists in {}; the host's apt is not changed)", ENGINE_PACKAGES.join(" "), apt.display());
    duct::cmd("apt-get", apt_args(&["update", "-q"]))
        .stdout_null()
        .stderr_capture()
        .run()
        .with_context(|| format!("apt-get update of {ENGINE_SUITE} from {mirror} failed"))?;
    let download_dir = tempfile::Builder::new()
        .prefix(".debs.")
        .tempdir_in(dir)
        .context("temporary folder for the .deb files")?;
    let mut command = vec!["download", "-q"];
    command.extend(ENGINE_PACKAGES);
    duct::cmd("apt-get", apt_args(&command))
        .dir(download_dir.path())
        .stdout_null()
        .stderr_capture()
        .run()
        .with_context(|| {
            format!(
                "apt-get download {} from {ENGINE_SUITE} failed",
                ENGINE_PACKAGES.join(" ")
            )
        })?;
    let fetched = debs_in(download_dir.path());
    if fetched.len() != ENGINE_PACKAGES.len() {
        bail!(
            "apt-get download fetched {} of the {} packages {}",
            fetched.len(),
            ENGINE_PACKAGES.len(),
            ENGINE_PACKAGES.join(" ")
        );
    }
    if debs.exists() {
        std::fs::remove_dir_all(&debs)
            .with_context(|| format!("cannot remove {}", debs.display()))?;
    }
    let staged = download_dir.keep();
    std::fs::rename(&staged, &debs)
        .with_context(|| format!("cannot move {} into place", staged.display()))?;
    Ok(debs_in(&debs))
}

/// The `.deb` files in `dir` whose package is one of [`ENGINE_PACKAGES`]
/// (one each), sorted; fewer than all when the set is incomplete.
fn debs_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| {
            let name = path
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default();
            name.ends_with(".deb")
                && name
                    .split_once('_')
                    .is_some_and(|(package, _)| ENGINE_PACKAGES.contains(&package))
        })
        .collect();
    found.sort();
    found.dedup_by_key(|path| {
        path.file_name()
            .map(|name| name.to_string_lossy().split('_').next().map(str::to_string))
    });
    found
}
