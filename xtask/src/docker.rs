//! A private Docker engine for xx-rs builds, and the Debian base image.
//!
//! [`Dockerd::start_or_reuse`] talks to the engine listening on the xx-rs
//! socket (`/run/xx-rs-docker/docker.sock`) or, when none answers, starts
//! Debian's `dockerd` with its own data root, no iptables and no bridge
//! (builds use `--network host`). An engine started here is stopped when
//! the [`Dockerd`] is dropped; a reused one is left running.
//!
//! [`Dockerd::ensure_debian_base`] makes `debian:bookworm` available: it
//! pulls it when a registry answers, else builds it with `debootstrap
//! --variant=minbase` and `docker import` (see [`DEBIAN_IMAGE_VERSION`]).
//!
//! This file is shared, unchanged, by `cargo xtask` and the end-to-end
//! tests (`tests/src/docker.rs` includes it), so it only uses `std`,
//! `anyhow`, `duct`, `tempfile` and `xx-files`.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use xx_files::{write_atomic, FileLock};

/// The mode of the files written here (as a fresh temporary file has it).
const PRIVATE_FILE: u32 = 0o600;

/// The Docker client of Debian's `docker.io` (the one on `PATH` may be a
/// newer client that the 20.10 engine does not accept).
pub const DOCKER_CLIENT: &str = "/usr/bin/docker";

/// The engine of Debian's `docker.io`.
const DOCKERD: &str = "/usr/sbin/dockerd";

/// Folder of the socket, pid file and exec root (kept short: socket paths
/// are limited to 107 bytes).
const DEFAULT_RUN_DIR: &str = "/run/xx-rs-docker";

/// Folder of the engine's data root and log (`XX_DOCKER_STATE` overrides).
const DEFAULT_STATE_DIR: &str = "/var/lib/xx-rs-docker";

/// How long a freshly started engine may take to answer.
const START_TIMEOUT: Duration = Duration::from_secs(90);

/// How long a stopping engine may take before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(30);

/// The Debian release of the base image.
pub const DEBIAN_SUITE: &str = "bookworm";

/// The tag of the Debian base image the Dockerfiles start from.
pub const DEBIAN_IMAGE: &str = "debian:bookworm";

/// Version of the recipe of the debootstrapped [`DEBIAN_IMAGE`], stored in
/// its `xx-rs.base-recipe` label: an imported image with another version is
/// made again. Bump it when the recipe changes.
pub const DEBIAN_IMAGE_VERSION: &str = "2";

/// The label holding [`DEBIAN_IMAGE_VERSION`].
const RECIPE_LABEL: &str = "xx-rs.base-recipe";

/// How much BuildKit cache the engine keeps (its garbage collector's
/// `defaultKeepStorage`, and the cap [`Dockerd::trim`] prunes down to).
/// One run of the Docker suite leaves about 4 GB; every commit changes the
/// xx binary and so adds new layers, and without a cap the cache grew to
/// 63 GB here and filled the disk.
pub const BUILD_CACHE_KEEP: &str = "8GB";

/// Where the engine keeps its files.
#[derive(Debug, Clone)]
pub struct DockerdPaths {
    /// Socket, pid file, exec root.
    pub run_dir: PathBuf,
    /// Data root (images, build cache) and log.
    pub state_dir: PathBuf,
}

impl DockerdPaths {
    /// The xx-rs defaults, or `$XX_DOCKER_RUN` / `$XX_DOCKER_STATE`.
    pub fn from_env() -> DockerdPaths {
        DockerdPaths {
            run_dir: env_dir("XX_DOCKER_RUN", DEFAULT_RUN_DIR),
            state_dir: env_dir("XX_DOCKER_STATE", DEFAULT_STATE_DIR),
        }
    }

    fn socket(&self) -> PathBuf {
        self.run_dir.join("docker.sock")
    }
}

/// A Docker engine reachable on a private socket.
#[derive(Debug)]
pub struct Dockerd {
    paths: DockerdPaths,
    /// The engine process, when this value started it.
    started: Option<duct::Handle>,
}

impl Dockerd {
    /// Reuse the engine answering on the xx-rs socket, or start one.
    ///
    /// Concurrent callers are serialised by a lock file, so at most one
    /// engine is started.
    pub fn start_or_reuse(paths: DockerdPaths) -> Result<Dockerd> {
        for dir in [&paths.run_dir, &paths.state_dir] {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let _lock = FileLock::acquire(&paths.run_dir.join("start.lock"))?;
        let mut dockerd = Dockerd {
            paths,
            started: None,
        };
        if !dockerd.answers() {
            dockerd.start()?;
        }
        dockerd.trim()?;
        Ok(dockerd)
    }

    /// Prune the build cache down to [`BUILD_CACHE_KEEP`] (least recently
    /// used first) and drop dangling images (earlier builds of a tag).
    ///
    /// An engine reused from before the garbage-collection policy existed
    /// (or one started with another `daemon.json`) is bounded this way too.
    pub fn trim(&self) -> Result<()> {
        for args in [
            &[
                "builder",
                "prune",
                "--force",
                "--keep-storage",
                BUILD_CACHE_KEEP,
            ][..],
            &["image", "prune", "--force"][..],
        ] {
            self.docker(args)
                .stdout_null()
                .stderr_capture()
                .run()
                .with_context(|| format!("docker {} failed", args.join(" ")))?;
        }
        Ok(())
    }

    /// Remove the whole build cache (it is made again by the next builds).
    pub fn prune_build_cache(&self) -> Result<()> {
        self.docker(["builder", "prune", "--all", "--force"])
            .stdout_null()
            .stderr_capture()
            .run()
            .context("docker builder prune --all --force failed")?;
        Ok(())
    }

    /// The `DOCKER_HOST` value of this engine.
    pub fn host(&self) -> String {
        format!("unix://{}", self.paths.socket().display())
    }

    /// Whether this value started the engine (and so stops it on drop).
    pub fn started_here(&self) -> bool {
        self.started.is_some()
    }

    /// The engine's log file.
    pub fn log_path(&self) -> PathBuf {
        self.paths.state_dir.join("dockerd.log")
    }

    /// `docker <args>` against this engine, with BuildKit on.
    pub fn docker<I, S>(&self, args: I) -> duct::Expression
    where
        I: IntoIterator<Item = S>,
        S: Into<std::ffi::OsString>,
    {
        duct::cmd(DOCKER_CLIENT, args)
            .env("DOCKER_HOST", self.host())
            .env("DOCKER_BUILDKIT", "1")
    }

    /// Whether the engine answers `docker version`.
    fn answers(&self) -> bool {
        self.docker(["version", "--format", "{{.Server.Version}}"])
            .stdout_null()
            .stderr_null()
            .unchecked()
            .run()
            .is_ok_and(|out| out.status.success())
    }

    /// The size in bytes of image `reference`'s content.
    pub fn image_size(&self, reference: &str) -> Result<u64> {
        let text = self
            .docker(["image", "inspect", "--format", "{{.Size}}", reference])
            .read()
            .with_context(|| format!("docker image inspect {reference}"))?;
        text.trim()
            .parse()
            .with_context(|| format!("docker image inspect {reference}: size {text:?}"))
    }

    fn start(&mut self) -> Result<()> {
        if !Path::new(DOCKERD).is_file() {
            bail!("{DOCKERD} not found: install Debian's docker.io (apt-get install docker.io)");
        }
        let socket = self.paths.socket();
        let _ = std::fs::remove_file(&socket);
        let config = self.paths.state_dir.join("daemon.json");
        write_atomic(&config, &daemon_config(), PRIVATE_FILE)?;
        let log_path = self.log_path();
        let log = File::create(&log_path)
            .with_context(|| format!("cannot create {}", log_path.display()))?;
        let args: Vec<String> = vec![
            format!("--host=unix://{}", socket.display()),
            format!(
                "--data-root={}",
                self.paths.state_dir.join("data").display()
            ),
            format!("--exec-root={}", self.paths.run_dir.join("exec").display()),
            format!(
                "--pidfile={}",
                self.paths.run_dir.join("dockerd.pid").display()
            ),
            format!("--config-file={}", config.display()),
            "--iptables=false".into(),
            "--ip-masq=false".into(),
            "--bridge=none".into(),
        ];
        eprintln!("starting {DOCKERD} (log: {})", log_path.display());
        let log_for_stderr = log
            .try_clone()
            .with_context(|| format!("cannot reopen {}", log_path.display()))?;
        let handle = duct::cmd(DOCKERD, &args)
            .stdin_null()
            .stdout_file(log)
            .stderr_file(log_for_stderr)
            .unchecked()
            .start()
            .with_context(|| format!("cannot start {DOCKERD}"))?;
        self.started = Some(handle);
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if self.answers() {
                return Ok(());
            }
            let exited = self
                .started
                .as_ref()
                .map(|handle| handle.try_wait().ok().flatten().is_some())
                .unwrap_or(true);
            if exited || Instant::now() > deadline {
                self.stop();
                bail!(
                    "{DOCKERD} did not start (see {}):\n{}",
                    log_path.display(),
                    tail(&log_path, 15)
                );
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// Stop the engine if this value started it: SIGTERM, then SIGKILL
    /// after [`STOP_TIMEOUT`].
    pub fn stop(&mut self) {
        let Some(handle) = self.started.take() else {
            return;
        };
        if let Some(pid) = handle.pids().first() {
            let _ = duct::cmd!("kill", "-TERM", pid.to_string())
                .stderr_null()
                .unchecked()
                .run();
        }
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            if handle.try_wait().ok().flatten().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        let _ = handle.kill();
    }

    /// Make sure [`DEBIAN_IMAGE`] exists: pull it if a registry answers,
    /// else debootstrap it from the host's Debian mirror and import it.
    pub fn ensure_debian_base(&self) -> Result<()> {
        if self.debian_base_is_current() {
            return Ok(());
        }
        let _lock = FileLock::acquire(&self.paths.state_dir.join("debian-base.lock"))?;
        if self.debian_base_is_current() {
            return Ok(());
        }
        let pulled = self
            .docker(["pull", "--quiet", DEBIAN_IMAGE])
            .stdout_null()
            .stderr_capture()
            .unchecked()
            .run()
            .is_ok_and(|out| out.status.success());
        if pulled {
            return Ok(());
        }
        eprintln!("no registry reachable: making {DEBIAN_IMAGE} with debootstrap");
        self.import_debootstrapped_base()
    }

    /// Whether [`DEBIAN_IMAGE`] exists and is either pulled (no recipe
    /// label) or imported with the current recipe.
    fn debian_base_is_current(&self) -> bool {
        let format = format!("{{{{ index .Config.Labels \"{RECIPE_LABEL}\" }}}}");
        let label = self
            .docker(["image", "inspect", "--format", &format, DEBIAN_IMAGE])
            .stderr_null()
            .unchecked()
            .stdout_capture()
            .run();
        match label {
            Ok(out) if out.status.success() => {
                let label = String::from_utf8_lossy(&out.stdout);
                let label = label.trim();
                label == DEBIAN_IMAGE_VERSION || label.is_empty() || label == "<no value>"
            }
            _ => false,
        }
    }

    fn import_debootstrapped_base(&self) -> Result<()> {
        let work = tempfile::Builder::new()
            .prefix("debian-base.")
            .tempdir_in(&self.paths.state_dir)
            .context("temporary folder for debootstrap")?;
        let root = work.path().join("root");
        let mirror = host_debian_mirror(Path::new("/"));
        duct::cmd!(
            "debootstrap",
            "--variant=minbase",
            DEBIAN_SUITE,
            &root,
            &mirror
        )
        .stdout_null()
        .stderr_capture()
        .run()
        .with_context(|| {
            format!("debootstrap --variant=minbase {DEBIAN_SUITE} {mirror} failed (is debootstrap installed?)")
        })?;
        configure_apt_sources(&root, &mirror)?;
        copy_site_certificates(Path::new(SITE_CERTIFICATES), &root)?;
        for dir in ["var/cache/apt/archives", "var/lib/apt/lists"] {
            clear_files(&root.join(dir))?;
        }
        let tar = duct::cmd!("tar", "--numeric-owner", "-C", &root, "-c", ".");
        let label = format!("LABEL {RECIPE_LABEL}={DEBIAN_IMAGE_VERSION}");
        tar.pipe(self.docker([
            "import",
            "--change",
            "CMD [\"bash\"]",
            "--change",
            &label,
            "--message",
            "debootstrap --variant=minbase",
            "-",
            DEBIAN_IMAGE,
        ]))
        .stdout_null()
        .run()
        .with_context(|| format!("docker import of the debootstrapped root as {DEBIAN_IMAGE}"))?;
        Ok(())
    }
}

impl Drop for Dockerd {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The folder `$var` names, or `default` when it is unset or empty.
pub fn env_dir(var: &str, default: &str) -> PathBuf {
    std::env::var_os(var)
        .filter(|value| !value.is_empty())
        .map_or_else(|| PathBuf::from(default), PathBuf::from)
}

/// The engine's `daemon.json`: BuildKit on, and its garbage collector
/// keeping at most [`BUILD_CACHE_KEEP`] of build cache.
fn daemon_config() -> String {
    format!(
        "{{\"features\": {{\"buildkit\": true}}, \
         \"builder\": {{\"gc\": {{\"enabled\": true, \"defaultKeepStorage\": \"{BUILD_CACHE_KEEP}\"}}}}}}\n"
    )
}

/// The first main-archive URI of the host apt configuration under `root`
/// (deb822 `debian.sources`, then `sources.list`), else deb.debian.org.
pub fn host_debian_mirror(root: &Path) -> String {
    let is_main = |uri: &&str| {
        let uri = uri.trim_end_matches('/');
        (uri.starts_with("http://") || uri.starts_with("https://")) && uri.ends_with("/debian")
    };
    let deb822 = std::fs::read_to_string(root.join("etc/apt/sources.list.d/debian.sources"))
        .unwrap_or_default();
    let from_deb822 = deb822
        .lines()
        .filter_map(|line| line.strip_prefix("URIs:"))
        .flat_map(str::split_whitespace)
        .find(is_main)
        .map(str::to_string);
    let one_line = std::fs::read_to_string(root.join("etc/apt/sources.list")).unwrap_or_default();
    let from_one_line = || {
        one_line
            .lines()
            .filter_map(|line| line.trim().strip_prefix("deb "))
            .flat_map(str::split_whitespace)
            .find(is_main)
            .map(str::to_string)
    };
    from_deb822
        .or_else(from_one_line)
        .map(|uri| uri.trim_end_matches('/').to_string())
        .unwrap_or_else(|| "http://deb.debian.org/debian".to_string())
}

/// The suites of the image: the release and its updates, from the mirror
/// the host reaches.
///
/// The security suite (which the official image also lists) is left out on
/// purpose: a build that adds a foreign architecture needs the suite's
/// indexes for that architecture too, and where a mirror serves security
/// indexes that disagree with their Release file (seen for armhf and
/// ppc64el) `apt-get update` fails; worse, packages that exist in both
/// suites at different versions (`libssl3`) would then differ between the
/// build machine's architecture and the target's, which multiarch forbids.
/// Release + updates is consistent across architectures (the test roots
/// of tests/ use the same).
fn configure_apt_sources(root: &Path, mirror: &str) -> Result<()> {
    let text = format!(
        "Types: deb\nURIs: {mirror}\nSuites: {DEBIAN_SUITE} {DEBIAN_SUITE}-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
    );
    let list = root.join("etc/apt/sources.list");
    if list.exists() {
        std::fs::remove_file(&list).with_context(|| format!("cannot remove {}", list.display()))?;
    }
    let dir = root.join("etc/apt/sources.list.d");
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    write_atomic(&dir.join("debian.sources"), &text, PRIVATE_FILE)?;
    Ok(())
}

/// Where Debian keeps locally added CA certificates.
const SITE_CERTIFICATES: &str = "/usr/local/share/ca-certificates";

/// Copy the host's locally added CA certificates (`*.crt` in
/// [`SITE_CERTIFICATES`], e.g. of a TLS-intercepting proxy) into the same
/// folder of `root`, so that installing `ca-certificates` in a build stage
/// trusts them too, as a site's own base image would.
fn copy_site_certificates(from: &Path, root: &Path) -> Result<()> {
    let Ok(entries) = std::fs::read_dir(from) else {
        return Ok(());
    };
    let to = root.join(SITE_CERTIFICATES.trim_start_matches('/'));
    std::fs::create_dir_all(&to).with_context(|| format!("cannot create {}", to.display()))?;
    for entry in entries.filter_map(|entry| entry.ok()) {
        let path = entry.path();
        if path.extension().is_some_and(|ext| ext == "crt") && path.is_file() {
            std::fs::copy(&path, to.join(entry.file_name()))
                .with_context(|| format!("cannot copy {}", path.display()))?;
        }
    }
    Ok(())
}

/// Remove the regular files directly in `dir` (keeps sub-folders).
fn clear_files(dir: &Path) -> Result<()> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot list {}", dir.display()))?;
        if entry.file_type().is_ok_and(|kind| kind.is_file()) {
            std::fs::remove_file(entry.path())
                .with_context(|| format!("cannot remove {}", entry.path().display()))?;
        }
    }
    Ok(())
}

/// The last `lines` lines of a text file, for error messages.
fn tail(path: &Path, lines: usize) -> String {
    let Ok(file) = File::open(path) else {
        return String::new();
    };
    let all: Vec<String> = BufReader::new(file).lines().map_while(Result::ok).collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
