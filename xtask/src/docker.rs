//! The private Docker engine of xx-rs builds, and the Debian base image.
//!
//! Two engines ([`EngineKind`]), chosen by `$XX_DOCKER_ENGINE`:
//!
//! - `buildx` (the default): Debian trixie's `dockerd` 26 with the
//!   containerd image store, its own containerd 1.7 and the buildx 0.13
//!   plugin, unpacked into a project-owned prefix (see `engine_prefix.rs`),
//!   run with Debian 12's `runc`. One `docker buildx build --platform
//!   a,b,c` builds every platform; `--load` stores a multi-platform image.
//!   Run folder `/run/xx-rs-buildx`, state `/var/lib/xx-rs-buildx`.
//! - `classic`: Debian 12's `docker.io` (20.10, `DOCKER_BUILDKIT=1`), for
//!   machines that only have that: one platform per `docker build`.
//!   Run folder `/run/xx-rs-docker`, state `/var/lib/xx-rs-docker`.
//!
//! [`Dockerd::start_or_reuse`] talks to the engine on the xx-rs socket or
//! starts one with its own data root, no iptables and no bridge (builds use
//! `--network host`). The processes started here are bound to the starting
//! process (they get SIGTERM when it dies, even by SIGKILL) and are stopped
//! when the [`Dockerd`] is dropped; a reused engine is left running.
//!
//! The engine's data root belongs to xx-rs, so damage left by a killed run
//! is repaired here, with one line saying so: processes of an earlier run
//! that no longer answer are stopped; an engine that will not start on its
//! data root gets a fresh one; a build cache that cannot be pruned (a cache
//! record whose snapshot is gone) is emptied, and when even that fails the
//! data root is reset.
//!
//! [`Dockerd::ensure_debian_base`] makes `debian:bookworm` and
//! `debian:trixie` available: it
//! pulls it when a registry answers, else builds it with `debootstrap
//! --variant=minbase` and `docker import` (see [`DEBIAN_IMAGE_VERSION`]).
//!
//! This file is shared, unchanged, by `cargo xtask` and the end-to-end
//! tests (`tests/src/docker.rs` includes it and `engine_prefix.rs`), so it
//! only uses `std`, `anyhow`, `duct`, `rustix`, `tempfile` and `xx-files`.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use xx_files::{write_atomic, FileLock};

use super::engine_prefix::EnginePrefix;

/// The mode of the files written here (as a fresh temporary file has it).
const PRIVATE_FILE: u32 = 0o600;

/// The Docker client of Debian 12's `docker.io`, used with the classic
/// engine (the one on `PATH` may be a newer client without buildx that the
/// 20.10 engine does not accept).
pub const DOCKER_CLIENT: &str = "/usr/bin/docker";

/// The engine of Debian 12's `docker.io`.
const CLASSIC_DOCKERD: &str = "/usr/sbin/dockerd";

/// The variable that chooses the engine (`buildx` or `classic`).
pub const ENGINE_VAR: &str = "XX_DOCKER_ENGINE";

/// How long a freshly started engine may take to answer.
const START_TIMEOUT: Duration = Duration::from_secs(90);

/// How long a stopping engine may take before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(30);

/// The Debian release of the base image the Dockerfiles start from.
pub const DEBIAN_SUITE: &str = "bookworm";

/// The tag of the Debian base image the Dockerfiles start from.
#[allow(dead_code)] // used by the tests
pub const DEBIAN_IMAGE: &str = "debian:bookworm";

/// Every Debian release imported as `debian:<release>`: [`DEBIAN_SUITE`],
/// and trixie, the first release with riscv64, which the Dockerfiles use
/// for that target (`DEBIAN_RISCV64_IMAGE`).
pub const DEBIAN_SUITES: &[&str] = &[DEBIAN_SUITE, "trixie"];

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

/// The most the engine may take on disk (data root and containerd root)
/// after [`Dockerd::trim`]: the Docker suite's working set (the xx-rs image
/// for six platforms, the examples, the corpus builds and their stand-in
/// images) with room to spare.
pub const ENGINE_DISK_BOUND: u64 = 24 << 30;

/// One GiB, for messages.
const GIB: f64 = (1u64 << 30) as f64;

/// Which Docker engine builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineKind {
    /// trixie's dockerd + containerd + buildx from the xx-rs prefix: one
    /// invocation builds many platforms.
    Buildx,
    /// Debian 12's docker.io 20.10: one platform per invocation.
    Classic,
}

impl EngineKind {
    /// `$XX_DOCKER_ENGINE`, [`EngineKind::Buildx`] when unset or empty.
    pub fn from_env() -> Result<EngineKind> {
        match std::env::var(ENGINE_VAR) {
            Ok(value) if !value.is_empty() => EngineKind::parse(&value),
            _ => Ok(EngineKind::Buildx),
        }
    }

    /// `buildx` or `classic`.
    pub fn parse(name: &str) -> Result<EngineKind> {
        match name {
            "buildx" => Ok(EngineKind::Buildx),
            "classic" => Ok(EngineKind::Classic),
            other => {
                bail!("unknown Docker engine {other:?} (${ENGINE_VAR}): use buildx or classic")
            }
        }
    }

    /// The engine's name, as [`EngineKind::parse`] reads it.
    pub fn name(self) -> &'static str {
        match self {
            EngineKind::Buildx => "buildx",
            EngineKind::Classic => "classic",
        }
    }

    fn default_run_dir(self) -> &'static str {
        match self {
            EngineKind::Buildx => "/run/xx-rs-buildx",
            EngineKind::Classic => "/run/xx-rs-docker",
        }
    }

    fn default_state_dir(self) -> &'static str {
        match self {
            EngineKind::Buildx => "/var/lib/xx-rs-buildx",
            EngineKind::Classic => "/var/lib/xx-rs-docker",
        }
    }
}

/// Where the engine keeps its files.
#[derive(Debug, Clone)]
pub struct DockerdPaths {
    /// Which engine.
    pub kind: EngineKind,
    /// Sockets, pid files, exec root (kept short: socket paths are limited
    /// to 107 bytes).
    pub run_dir: PathBuf,
    /// Data roots (images, build cache), configuration and logs.
    pub state_dir: PathBuf,
    /// Where the buildx engine's prefix lives (`<state>/engine` unless
    /// `$XX_DOCKER_PREFIX` says otherwise; shared by engines with other
    /// state folders, such as the tests' throwaway ones).
    pub prefix_dir: PathBuf,
}

impl DockerdPaths {
    /// The defaults of the engine `$XX_DOCKER_ENGINE` names, or
    /// `$XX_DOCKER_RUN` / `$XX_DOCKER_STATE` / `$XX_DOCKER_PREFIX`.
    pub fn from_env() -> Result<DockerdPaths> {
        let kind = EngineKind::from_env()?;
        Ok(DockerdPaths::of(kind))
    }

    /// The default folders of `kind` (or the variables' folders).
    pub fn of(kind: EngineKind) -> DockerdPaths {
        let state_dir = env_dir("XX_DOCKER_STATE", kind.default_state_dir());
        let default_prefix = Path::new(EngineKind::Buildx.default_state_dir()).join("engine");
        DockerdPaths {
            kind,
            run_dir: env_dir("XX_DOCKER_RUN", kind.default_run_dir()),
            prefix_dir: env_dir("XX_DOCKER_PREFIX", &default_prefix.display().to_string()),
            state_dir,
        }
    }

    /// Folders for a separate engine of `kind` below `run_dir` and
    /// `state_dir`, sharing the default engine prefix (the tests' engine of
    /// the kill-and-recover test).
    #[allow(dead_code)]
    pub fn separate(kind: EngineKind, run_dir: &Path, state_dir: &Path) -> DockerdPaths {
        DockerdPaths {
            run_dir: run_dir.to_path_buf(),
            state_dir: state_dir.to_path_buf(),
            ..DockerdPaths::of(kind)
        }
    }

    fn socket(&self) -> PathBuf {
        self.run_dir.join("docker.sock")
    }

    fn containerd_socket(&self) -> PathBuf {
        self.run_dir.join("containerd.sock")
    }

    /// The engine's data root (images, build cache).
    pub fn data_root(&self) -> PathBuf {
        self.state_dir.join("data")
    }

    fn containerd_root(&self) -> PathBuf {
        self.state_dir.join("containerd")
    }

    fn dockerd_pid_file(&self) -> PathBuf {
        self.run_dir.join("dockerd.pid")
    }

    fn containerd_pid_file(&self) -> PathBuf {
        self.run_dir.join("containerd.pid")
    }
}

/// The processes a [`Dockerd`] started.
#[derive(Debug)]
struct Started {
    dockerd: Child,
    containerd: Option<Child>,
}

/// How a build's result leaves BuildKit.
#[derive(Debug, Clone, Copy)]
pub enum BuildOutput<'a> {
    /// Into the engine's image store under this tag (`--load`; one
    /// multi-platform image with the buildx engine).
    Load(&'a str),
    /// The final stage's files, one folder per platform below this folder
    /// (see [`platform_export_dir`]).
    Local(&'a Path),
}

/// The folder of `platform`'s files in a [`BuildOutput::Local`] export:
/// `<dest>/linux_arm_v7` (the buildx local exporter's name for it).
pub fn platform_export_dir(dest: &Path, platform: &str) -> PathBuf {
    dest.join(platform.replace('/', "_"))
}

/// One build: a Dockerfile, its context and its platforms.
#[derive(Debug, Clone, Copy)]
pub struct BuildRequest<'a> {
    /// The build context.
    pub context: &'a Path,
    /// The Dockerfile.
    pub dockerfile: &'a Path,
    /// The target platforms (`linux/arm64`, ...).
    pub platforms: &'a [&'a str],
    /// Where the result goes.
    pub output: BuildOutput<'a>,
    /// Whether BuildKit's progress is copied to stderr as it comes (it is
    /// kept for the error message either way).
    pub show_progress: bool,
}

/// A Docker engine reachable on a private socket.
#[derive(Debug)]
pub struct Dockerd {
    paths: DockerdPaths,
    /// The buildx engine's prefix (None for the classic engine).
    prefix: Option<EnginePrefix>,
    /// The engine's processes, when this value started them.
    started: Option<Started>,
    /// Whether started processes are bound to this process (SIGTERM when it
    /// dies); false for an engine meant to outlive it.
    bound: bool,
    /// The repairs said (one line each) since the engine was opened.
    repairs: Mutex<Vec<String>>,
    /// The most the engine may take on disk after a trim (bytes).
    disk_bound: u64,
}

impl Dockerd {
    /// Reuse the engine answering on the xx-rs socket, or start one whose
    /// processes die with this process.
    ///
    /// Concurrent callers are serialised by a lock file, so at most one
    /// engine is started.
    pub fn start_or_reuse(paths: DockerdPaths) -> Result<Dockerd> {
        Dockerd::open(paths, true)
    }

    /// [`Dockerd::start_or_reuse`] for an engine that may outlive this
    /// process (`cargo xtask image --keep-daemon`).
    pub fn start_or_reuse_detached(paths: DockerdPaths) -> Result<Dockerd> {
        Dockerd::open(paths, false)
    }

    fn open(paths: DockerdPaths, bound: bool) -> Result<Dockerd> {
        for dir in [&paths.run_dir, &paths.state_dir] {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let prefix = match paths.kind {
            EngineKind::Buildx => Some(EnginePrefix::ensure(
                &paths.prefix_dir,
                &host_debian_mirror(Path::new("/")),
            )?),
            EngineKind::Classic => None,
        };
        let _lock = FileLock::acquire(&paths.run_dir.join("start.lock"))?;
        let mut dockerd = Dockerd {
            paths,
            prefix,
            started: None,
            bound,
            repairs: Mutex::new(Vec::new()),
            disk_bound: ENGINE_DISK_BOUND,
        };
        if !dockerd.answers() {
            // A data root that a build found damaged is reset before the
            // engine starts on it (never under a running engine).
            let marker = dockerd.damaged_marker();
            if let Ok(reason) = std::fs::read_to_string(&marker) {
                dockerd.say_repair(format!(
                    "xx-rs engine: an earlier build found the data root {} damaged ({}): resetting it",
                    dockerd.paths.data_root().display(),
                    first_line(reason.trim())
                ));
                dockerd.stop_leftovers();
                dockerd.reset_data_root()?;
                std::fs::remove_file(&marker)
                    .with_context(|| format!("cannot remove {}", marker.display()))?;
            }
            dockerd.start_repairing()?;
        }
        dockerd.trim_repairing()?;
        Ok(dockerd)
    }

    /// Another bound of what the engine may take on disk after a
    /// [`Dockerd::trim`] than [`ENGINE_DISK_BOUND`] (the tests' small one).
    #[allow(dead_code)]
    pub fn set_disk_bound(&mut self, bytes: u64) {
        self.disk_bound = bytes;
    }

    /// Say a repair on stderr (one line) and remember it.
    fn say_repair(&self, line: String) {
        eprintln!("{line}");
        if let Ok(mut repairs) = self.repairs.lock() {
            repairs.push(line);
        }
    }

    /// The repairs said since this engine was opened (one line each; empty
    /// when nothing was damaged).
    #[allow(dead_code)]
    pub fn repairs(&self) -> Vec<String> {
        self.repairs
            .lock()
            .map(|repairs| repairs.clone())
            .unwrap_or_default()
    }

    /// Which engine this is.
    pub fn kind(&self) -> EngineKind {
        self.paths.kind
    }

    /// Its folders.
    #[allow(dead_code)]
    pub fn paths(&self) -> &DockerdPaths {
        &self.paths
    }

    /// The buildx engine's prefix (None for the classic engine).
    pub fn prefix(&self) -> Option<&EnginePrefix> {
        self.prefix.as_ref()
    }

    /// Start the engine; when it does not start on an existing data root,
    /// say so, reset the data root and start once more.
    fn start_repairing(&mut self) -> Result<()> {
        self.stop_leftovers();
        match self.start() {
            Ok(()) => Ok(()),
            Err(err) if has_entries(&self.paths.data_root()) => {
                self.say_repair(format!(
                    "xx-rs engine: it did not start on {} ({}): resetting that data root",
                    self.paths.data_root().display(),
                    last_line(&format!("{err:#}"))
                ));
                self.stop_leftovers();
                self.reset_data_root()?;
                self.start()
            }
            Err(err) => Err(err),
        }
    }

    /// Prune the build cache ([`Dockerd::trim`]); when the cache is damaged
    /// (prune or usage errors), empty it, and when that fails too, reset
    /// the data root. Each repair is said in one line.
    fn trim_repairing(&mut self) -> Result<()> {
        let Err(err) = self.trim() else {
            return Ok(());
        };
        if lost_snapshots(&format!("{err:#}")) {
            // Snapshots of the cache are gone from disk: those of the
            // images may be too; nothing in the store can be trusted.
            self.say_repair(format!(
                "xx-rs engine: the build cache in {} lost snapshots ({}): resetting the data root",
                self.paths.data_root().display(),
                first_line(&format!("{err:#}"))
            ));
            return self.reset_and_restart();
        }
        self.say_repair(format!(
            "xx-rs engine: the build cache in {} is damaged ({}): removing the whole build cache",
            self.paths.data_root().display(),
            first_line(&format!("{err:#}"))
        ));
        let Err(err) = self.prune_build_cache() else {
            return Ok(());
        };
        self.say_repair(format!(
            "xx-rs engine: removing the build cache failed too ({}): resetting the data root {}",
            first_line(&format!("{err:#}")),
            self.paths.data_root().display()
        ));
        self.reset_and_restart()
    }

    /// Stop the engine, reset its data root, start it again.
    fn reset_and_restart(&mut self) -> Result<()> {
        self.stop();
        self.stop_leftovers();
        self.reset_data_root()?;
        self.start()?;
        self.trim()
    }

    /// The file that marks the data root as damaged for the next opening
    /// (written by a build that found snapshots missing twice).
    fn damaged_marker(&self) -> PathBuf {
        self.paths.state_dir.join("data-root-damaged")
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
            run_captured(self.docker(args))
                .with_context(|| format!("docker {} failed", args.join(" ")))?;
        }
        self.bound_disk_usage()
    }

    /// Keep what the engine takes on disk under its bound
    /// ([`ENGINE_DISK_BOUND`] unless set otherwise).
    ///
    /// `--keep-storage` does not bound it: BuildKit leaves out of its sum
    /// every record whose snapshot it counts as shared, and with the
    /// containerd image store that was most of them (seen here: a 51 GB
    /// snapshot store with `docker system df` reporting 5 GB of build
    /// cache). So the real usage is measured, and records are pruned by age
    /// (unused for 6 hours, then for 1 hour, then all) until it fits; each
    /// step says so in one line.
    fn bound_disk_usage(&self) -> Result<()> {
        let mut used = self.disk_usage();
        for (filter, unused_for) in [
            (Some("until=6h"), "unused for 6 hours"),
            (Some("until=1h"), "unused for 1 hour"),
            (None, "all"),
        ] {
            if used <= self.disk_bound {
                break;
            }
            eprintln!(
                "xx-rs engine: it takes {:.1} GiB on disk (more than {:.1} GiB): pruning build cache records ({unused_for})",
                used as f64 / GIB,
                self.disk_bound as f64 / GIB
            );
            let mut args = vec!["builder", "prune", "--force", "--all"];
            if let Some(filter) = filter {
                args.extend(["--filter", filter]);
            }
            run_captured(self.docker(&args))
                .with_context(|| format!("docker {} failed", args.join(" ")))?;
            used = self.disk_usage();
        }
        Ok(())
    }

    /// What the engine's data root and containerd root take on disk
    /// (allocated blocks; files that vanish while counting are skipped).
    pub fn disk_usage(&self) -> u64 {
        disk_usage_below(&self.paths.data_root()) + disk_usage_below(&self.paths.containerd_root())
    }

    /// Remove the whole build cache (it is made again by the next builds).
    pub fn prune_build_cache(&self) -> Result<()> {
        run_captured(self.docker(["builder", "prune", "--all", "--force"]))
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

    /// containerd's log file (buildx engine).
    pub fn containerd_log_path(&self) -> PathBuf {
        self.paths.state_dir.join("containerd.log")
    }

    /// The Docker client of this engine.
    pub fn client(&self) -> PathBuf {
        match &self.prefix {
            Some(prefix) => prefix.client(),
            None => PathBuf::from(DOCKER_CLIENT),
        }
    }

    /// The `DOCKER_CONFIG` folder holding `cli-plugins/docker-buildx`
    /// (buildx engine).
    pub fn docker_config(&self) -> PathBuf {
        self.paths.state_dir.join("docker-config")
    }

    /// The environment a client of this engine needs, as `NAME=value`
    /// pairs (for users' shells and the tests).
    pub fn client_env(&self) -> Vec<(String, String)> {
        let mut env = vec![("DOCKER_HOST".to_string(), self.host())];
        match self.kind() {
            EngineKind::Buildx => {
                env.push((
                    "DOCKER_CONFIG".to_string(),
                    self.docker_config().display().to_string(),
                ));
                // No provenance attestations: the image and the exports
                // hold the build result only.
                env.push((
                    "BUILDX_NO_DEFAULT_ATTESTATIONS".to_string(),
                    "1".to_string(),
                ));
            }
            EngineKind::Classic => env.push(("DOCKER_BUILDKIT".to_string(), "1".to_string())),
        }
        env
    }

    /// `docker <args>` against this engine.
    pub fn docker<I, S>(&self, args: I) -> duct::Expression
    where
        I: IntoIterator<Item = S>,
        S: Into<std::ffi::OsString>,
    {
        let mut expression = duct::cmd(self.client(), args);
        for (name, value) in self.client_env() {
            expression = expression.env(name, value);
        }
        expression
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

    /// The platforms of image `reference` in the image store, sorted
    /// (`linux/arm/v7`, ...; a multi-platform image has several).
    pub fn image_platforms(&self, reference: &str) -> Result<Vec<String>> {
        let mut platforms: Vec<String> = match self.kind() {
            EngineKind::Buildx => self.containerd_image_platforms(reference)?,
            EngineKind::Classic => {
                let text = self
                    .docker([
                        "image",
                        "inspect",
                        "--format",
                        "{{.Os}}/{{.Architecture}}{{if .Variant}}/{{.Variant}}{{end}}",
                        reference,
                    ])
                    .read()
                    .with_context(|| format!("docker image inspect {reference}"))?;
                vec![text.trim().to_string()]
            }
        };
        platforms.sort();
        platforms.dedup();
        Ok(platforms)
    }

    /// The platforms of `reference`'s index, read from containerd (`ctr
    /// images ls` in the engine's `moby` namespace).
    fn containerd_image_platforms(&self, reference: &str) -> Result<Vec<String>> {
        let prefix = self
            .prefix
            .as_ref()
            .context("the classic engine has no private containerd")?;
        let name = if reference.contains(':') {
            format!("docker.io/library/{reference}")
        } else {
            format!("docker.io/library/{reference}:latest")
        };
        let text = duct::cmd!(
            prefix.root().join("usr/bin/ctr"),
            "--address",
            self.paths.containerd_socket(),
            "--namespace",
            "moby",
            "images",
            "ls"
        )
        .read()
        .context("ctr images ls")?;
        let line = text
            .lines()
            .find(|line| line.split_whitespace().next() == Some(name.as_str()))
            .with_context(|| format!("containerd has no image {name}"))?;
        // REF TYPE DIGEST SIZE PLATFORMS LABELS, SIZE being "2.3 MiB".
        let platforms = line
            .split_whitespace()
            .find(|field| field.starts_with("linux/"))
            .with_context(|| format!("containerd lists no platform for {name}: {line}"))?;
        Ok(platforms.split(',').map(str::to_string).collect())
    }

    /// Build `request` with BuildKit.
    ///
    /// The buildx engine builds every platform in one `docker buildx
    /// build`; the classic engine builds them one by one (and can `--load`
    /// only one platform per tag). A failed build names the platform whose
    /// step failed and shows that step's log.
    pub fn build(&self, request: &BuildRequest) -> Result<()> {
        if !request.dockerfile.is_file() {
            bail!("{} is not a file", request.dockerfile.display());
        }
        if request.platforms.is_empty() {
            bail!("no platform to build {} for", request.dockerfile.display());
        }
        match self.kind() {
            EngineKind::Buildx => {
                let output = match request.output {
                    BuildOutput::Load(tag) => vec!["--load".to_string(), format!("--tag={tag}")],
                    BuildOutput::Local(dest) => vec![format!(
                        "--output=type=local,dest={},platform-split=true",
                        dest.display()
                    )],
                };
                let mut args = vec!["buildx".to_string(), "build".to_string()];
                args.push(format!("--platform={}", request.platforms.join(",")));
                args.extend(output);
                self.run_build_repairing(request, args, request.platforms)
            }
            EngineKind::Classic => {
                if let (BuildOutput::Load(tag), [_, _, ..]) = (request.output, request.platforms) {
                    bail!(
                        "the classic engine cannot load {tag} for several platforms ({}): use the buildx engine",
                        request.platforms.join(",")
                    );
                }
                for platform in request.platforms {
                    let output = match request.output {
                        BuildOutput::Load(tag) => format!("--tag={tag}"),
                        BuildOutput::Local(dest) => format!(
                            "--output=type=local,dest={}",
                            platform_export_dir(dest, platform).display()
                        ),
                    };
                    let args = vec![
                        "build".to_string(),
                        format!("--platform={platform}"),
                        output,
                    ];
                    self.run_build(request, args, &[platform])?;
                }
                Ok(())
            }
        }
    }

    /// [`Dockerd::run_build`]; when the build fails because snapshots of
    /// the build cache are missing (a record whose snapshot is gone: no
    /// usage probe finds those before a build uses them), say so, empty the
    /// build cache and build once more. When that fails the same way, the
    /// images' own snapshots are damaged: the data root is marked, so the
    /// next opening of the engine resets it, and the error says so.
    fn run_build_repairing(
        &self,
        request: &BuildRequest,
        args: Vec<String>,
        platforms: &[&str],
    ) -> Result<()> {
        let err = match self.run_build(request, args.clone(), platforms) {
            Ok(()) => return Ok(()),
            Err(err) => err,
        };
        let text = format!("{err:#}");
        let Some(cause) = text.lines().find(|line| lost_snapshots(line)) else {
            return Err(err);
        };
        self.say_repair(format!(
            "xx-rs engine: a build found snapshots missing in {} ({}): removing the whole build cache and building once more",
            self.paths.data_root().display(),
            cause.trim()
        ));
        self.prune_build_cache()?;
        let err = match self.run_build(request, args, platforms) {
            Ok(()) => return Ok(()),
            Err(err) => err,
        };
        let text = format!("{err:#}");
        let Some(cause) = text.lines().find(|line| lost_snapshots(line)) else {
            return Err(err);
        };
        write_atomic(
            &self.damaged_marker(),
            &format!("{}\n", cause.trim()),
            0o644,
        )?;
        Err(err.context(format!(
            "the data root {} is damaged beyond its build cache: it is reset when the engine is next opened (run again)",
            self.paths.data_root().display()
        )))
    }

    /// Run one build command (`args` then the common options), streaming
    /// or keeping its progress log.
    fn run_build(
        &self,
        request: &BuildRequest,
        mut args: Vec<String>,
        platforms: &[&str],
    ) -> Result<()> {
        args.extend([
            "--progress=plain".to_string(),
            "--network=host".to_string(),
            format!("--file={}", request.dockerfile.display()),
            request.context.display().to_string(),
        ]);
        let mut command = Command::new(self.client());
        command
            .args(&args)
            .envs(self.client_env())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = command
            .spawn()
            .with_context(|| format!("cannot run {}", self.client().display()))?;
        let mut log = String::new();
        if let Some(stderr) = child.stderr.take() {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if request.show_progress {
                    eprintln!("{line}");
                }
                log.push_str(&line);
                log.push('\n');
            }
        }
        let status = child.wait().context("waiting for docker build")?;
        if status.success() {
            return Ok(());
        }
        let failed = failed_platform(&log).or_else(|| match platforms {
            [one] => Some(one.to_string()),
            _ => None,
        });
        let which = match failed {
            Some(platform) => format!("failed for {platform}"),
            None => format!("failed ({status})"),
        };
        bail!(
            "docker build of {} {which}:\n{}",
            request.dockerfile.display(),
            failed_step_log(&log)
        )
    }

    /// Start the engine's processes (containerd first for buildx) and wait
    /// until it answers; on failure, stop what was started and show the
    /// last lines of the log of the process that failed.
    fn start(&mut self) -> Result<()> {
        let socket = self.paths.socket();
        let _ = std::fs::remove_file(&socket);
        let containerd = match self.paths.kind {
            EngineKind::Buildx => Some(self.start_containerd()?),
            EngineKind::Classic => None,
        };
        let (dockerd_program, args, search_path) = self.dockerd_command(containerd.is_some())?;
        let log_path = self.log_path();
        let mut command = Command::new(&dockerd_program);
        command.args(&args);
        if let Some(path) = search_path {
            command.env("PATH", path);
        }
        eprintln!(
            "starting {} (log: {})",
            dockerd_program.display(),
            log_path.display()
        );
        let dockerd = match spawn_logged(command, &log_path, self.bound) {
            Ok(child) => child,
            Err(err) => {
                if let Some(containerd) = containerd {
                    stop_child(containerd);
                }
                return Err(err);
            }
        };
        self.started = Some(Started {
            dockerd,
            containerd,
        });
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if self.answers() {
                return Ok(());
            }
            let exited = self
                .started
                .as_mut()
                .map(|started| started.dockerd.try_wait().ok().flatten().is_some())
                .unwrap_or(true);
            if exited || Instant::now() > deadline {
                self.stop();
                bail!(
                    "{} did not start (see {}):\n{}",
                    dockerd_program.display(),
                    log_path.display(),
                    tail(&log_path, 15)
                );
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// The engine program, its arguments and (buildx) its `PATH`.
    fn dockerd_command(
        &self,
        own_containerd: bool,
    ) -> Result<(PathBuf, Vec<String>, Option<String>)> {
        let config = self.paths.state_dir.join("daemon.json");
        let mut args: Vec<String> = vec![
            format!("--host=unix://{}", self.paths.socket().display()),
            format!("--data-root={}", self.paths.data_root().display()),
            format!("--exec-root={}", self.paths.run_dir.join("exec").display()),
            format!("--pidfile={}", self.paths.dockerd_pid_file().display()),
            format!("--config-file={}", config.display()),
        ];
        match &self.prefix {
            Some(prefix) => {
                write_atomic(&config, &buildx_daemon_config(), PRIVATE_FILE)?;
                if own_containerd {
                    args.push(format!(
                        "--containerd={}",
                        self.paths.containerd_socket().display()
                    ));
                }
                let plugins = self.docker_config().join("cli-plugins");
                std::fs::create_dir_all(&plugins)
                    .with_context(|| format!("cannot create {}", plugins.display()))?;
                let link = plugins.join("docker-buildx");
                let _ = std::fs::remove_file(&link);
                std::os::unix::fs::symlink(prefix.buildx_plugin(), &link)
                    .with_context(|| format!("cannot link {}", link.display()))?;
                Ok((prefix.dockerd(), args, Some(prefix.search_path())))
            }
            None => {
                if !Path::new(CLASSIC_DOCKERD).is_file() {
                    bail!("{CLASSIC_DOCKERD} not found: install Debian's docker.io (apt-get install docker.io)");
                }
                write_atomic(&config, &classic_daemon_config(), PRIVATE_FILE)?;
                args.extend([
                    "--iptables=false".to_string(),
                    "--ip-masq=false".to_string(),
                    "--bridge=none".to_string(),
                ]);
                Ok((PathBuf::from(CLASSIC_DOCKERD), args, None))
            }
        }
    }

    /// Start the buildx engine's containerd on its own socket and root,
    /// and wait until its socket answers.
    fn start_containerd(&self) -> Result<Child> {
        let prefix = self
            .prefix
            .as_ref()
            .context("the classic engine has no private containerd")?;
        let socket = self.paths.containerd_socket();
        let _ = std::fs::remove_file(&socket);
        let config = self.paths.state_dir.join("containerd.toml");
        write_atomic(&config, &containerd_config(&self.paths), PRIVATE_FILE)?;
        let log_path = self.containerd_log_path();
        let mut command = Command::new(prefix.containerd());
        command
            .arg(format!("--config={}", config.display()))
            .env("PATH", prefix.search_path());
        let mut child = spawn_logged(command, &log_path, self.bound)?;
        write_atomic(
            &self.paths.containerd_pid_file(),
            &format!("{}\n", child.id()),
            0o644,
        )?;
        let deadline = Instant::now() + START_TIMEOUT;
        let ctr = prefix.root().join("usr/bin/ctr");
        loop {
            let answers = duct::cmd!(&ctr, "--address", &socket, "version")
                .stdout_null()
                .stderr_null()
                .unchecked()
                .run()
                .is_ok_and(|out| out.status.success());
            if answers {
                return Ok(child);
            }
            let exited = child.try_wait().ok().flatten().is_some();
            if exited || Instant::now() > deadline {
                stop_child(child);
                bail!(
                    "{} did not start (see {}):\n{}",
                    prefix.containerd().display(),
                    log_path.display(),
                    tail(&log_path, 15)
                );
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Stop engine processes of an earlier run that no longer answer: the
    /// pid files in the run folder name them, and a process is only
    /// stopped when it runs this engine's program.
    fn stop_leftovers(&self) {
        let dockerd_program = match &self.prefix {
            Some(prefix) => prefix.dockerd(),
            None => PathBuf::from(CLASSIC_DOCKERD),
        };
        let mut leftovers = vec![(self.paths.dockerd_pid_file(), dockerd_program)];
        if let Some(prefix) = &self.prefix {
            leftovers.push((self.paths.containerd_pid_file(), prefix.containerd()));
        }
        for (pid_file, program) in leftovers {
            let Some(pid) = std::fs::read_to_string(&pid_file)
                .ok()
                .and_then(|text| text.trim().parse::<i32>().ok())
            else {
                continue;
            };
            if runs_program(pid, &program) {
                eprintln!(
                    "xx-rs engine: stopping {} (pid {pid}) left by an earlier run",
                    program.display()
                );
                terminate_pid(pid);
            }
            let _ = std::fs::remove_file(&pid_file);
        }
        self.kill_build_processes();
    }

    /// SIGKILL the processes of build containers that an engine killed
    /// mid-build left running (their root is below the engine's folders).
    fn kill_build_processes(&self) {
        let killed = kill_rooted_below(&[&self.paths.state_dir, &self.paths.run_dir]);
        if killed > 0 {
            eprintln!("xx-rs engine: killed {killed} build process(es) left by an earlier engine");
        }
    }

    /// Remove the data root (and containerd's root), unmounting what a
    /// killed engine left mounted below them first.
    fn reset_data_root(&self) -> Result<()> {
        for dir in [
            self.paths.run_dir.join("exec"),
            self.paths.run_dir.join("containerd"),
            self.paths.data_root(),
            self.paths.containerd_root(),
        ] {
            unmount_below(&dir);
            if dir.exists() {
                std::fs::remove_dir_all(&dir)
                    .with_context(|| format!("cannot remove {}", dir.display()))?;
            }
        }
        Ok(())
    }

    /// Stop the engine if this value started it: SIGTERM, then SIGKILL
    /// after [`STOP_TIMEOUT`]; dockerd first, then its containerd.
    pub fn stop(&mut self) {
        let Some(started) = self.started.take() else {
            return;
        };
        stop_child(started.dockerd);
        if let Some(containerd) = started.containerd {
            stop_child(containerd);
            let _ = std::fs::remove_file(self.paths.containerd_pid_file());
        }
        self.kill_build_processes();
    }

    /// Leave the engine running when this value is dropped (it was started
    /// detached, see [`Dockerd::start_or_reuse_detached`]).
    pub fn leave_running(mut self) {
        self.started = None;
    }

    /// Make sure `debian:<release>` exists for every release of
    /// [`DEBIAN_SUITES`]: pull it if a registry answers, else debootstrap
    /// it from the host's Debian mirror and import it.
    pub fn ensure_debian_base(&self) -> Result<()> {
        for suite in DEBIAN_SUITES {
            self.ensure_debian_release(suite)?;
        }
        Ok(())
    }

    fn ensure_debian_release(&self, suite: &str) -> Result<()> {
        let image = format!("debian:{suite}");
        if self.debian_base_is_current(&image) {
            return Ok(());
        }
        let _lock = FileLock::acquire(&self.paths.state_dir.join("debian-base.lock"))?;
        if self.debian_base_is_current(&image) {
            return Ok(());
        }
        let pulled = self
            .docker(["pull", "--quiet", &image])
            .stdout_null()
            .stderr_capture()
            .unchecked()
            .run()
            .is_ok_and(|out| out.status.success());
        if pulled {
            return Ok(());
        }
        eprintln!("no registry reachable: making {image} with debootstrap");
        self.import_debootstrapped_base(suite, &image)
    }

    /// Whether `image` exists and is either pulled (no recipe label) or
    /// imported with the current recipe.
    fn debian_base_is_current(&self, image: &str) -> bool {
        let format = format!("{{{{ index .Config.Labels \"{RECIPE_LABEL}\" }}}}");
        let label = self
            .docker(["image", "inspect", "--format", &format, image])
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

    fn import_debootstrapped_base(&self, suite: &str, image: &str) -> Result<()> {
        let work = tempfile::Builder::new()
            .prefix("debian-base.")
            .tempdir_in(&self.paths.state_dir)
            .context("temporary folder for debootstrap")?;
        let root = work.path().join("root");
        let mirror = host_debian_mirror(Path::new("/"));
        duct::cmd!(
            "debootstrap",
            "--variant=minbase",
            suite,
            &root,
            &mirror
        )
        .stdout_null()
        .stderr_capture()
        .run()
        .with_context(|| {
            format!("debootstrap --variant=minbase {suite} {mirror} failed (is debootstrap installed?)")
        })?;
        configure_apt_sources(&root, suite, &mirror)?;
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
            image,
        ]))
        .stdout_null()
        .run()
        .with_context(|| format!("docker import of the debootstrapped root as {image}"))?;
        Ok(())
    }
}

impl Drop for Dockerd {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Spawn `command` with stdin closed and stdout and stderr appended to
/// `log_path`. When `bound`, the process gets SIGTERM when this process
/// dies: it is spawned from a thread that lives as long as the process
/// (the kernel's parent-death signal follows the spawning thread).
fn spawn_logged(mut command: Command, log_path: &Path, bound: bool) -> Result<Child> {
    let log =
        File::create(log_path).with_context(|| format!("cannot create {}", log_path.display()))?;
    let log_for_stderr = log
        .try_clone()
        .with_context(|| format!("cannot reopen {}", log_path.display()))?;
    command
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_for_stderr);
    let program = command.get_program().to_string_lossy().into_owned();
    if !bound {
        // Its own session: a Ctrl-C of this process does not reach it.
        unsafe {
            command.pre_exec(|| {
                rustix::process::setsid()?;
                Ok(())
            });
        }
        return command
            .spawn()
            .with_context(|| format!("cannot start {program}"));
    }
    unsafe {
        command.pre_exec(|| {
            rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::TERM))?;
            Ok(())
        });
    }
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("xx-rs-engine-parent".to_string())
        .spawn(move || {
            let spawned = command.spawn();
            if spawned.is_err() {
                let _ = sender.send(spawned);
                return;
            }
            let _ = sender.send(spawned);
            loop {
                std::thread::park();
            }
        })
        .context("cannot start the engine's parent thread")?;
    receiver
        .recv()
        .context("the engine's parent thread ended early")?
        .with_context(|| format!("cannot start {program}"))
}

/// SIGTERM `child`, wait up to [`STOP_TIMEOUT`], then SIGKILL it.
fn stop_child(mut child: Child) {
    if let Ok(pid) = i32::try_from(child.id()) {
        send_signal(pid, rustix::process::Signal::TERM);
    }
    let deadline = Instant::now() + STOP_TIMEOUT;
    while Instant::now() < deadline {
        if child.try_wait().ok().flatten().is_some() {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// SIGTERM process `pid` (not a child of this process), wait up to
/// [`STOP_TIMEOUT`] for it to go, then SIGKILL it.
fn terminate_pid(pid: i32) {
    send_signal(pid, rustix::process::Signal::TERM);
    let deadline = Instant::now() + STOP_TIMEOUT;
    while Instant::now() < deadline {
        if !Path::new(&format!("/proc/{pid}")).exists() || is_zombie(pid) {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    send_signal(pid, rustix::process::Signal::KILL);
    std::thread::sleep(Duration::from_millis(500));
}

fn send_signal(pid: i32, signal: rustix::process::Signal) {
    if let Some(pid) = rustix::process::Pid::from_raw(pid) {
        let _ = rustix::process::kill_process(pid, signal);
    }
}

/// Whether process `pid` has exited and waits for its parent.
fn is_zombie(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            let after_name = stat.rsplit_once(')')?.1.to_string();
            after_name
                .split_whitespace()
                .next()
                .map(|state| state == "Z")
        })
        .unwrap_or(false)
}

/// Whether process `pid` runs `program` (its `/proc/<pid>/exe`; a program
/// replaced on disk since it started reads `<path> (deleted)`).
pub fn runs_program(pid: i32, program: &Path) -> bool {
    let Ok(exe) = std::fs::read_link(format!("/proc/{pid}/exe")) else {
        return false;
    };
    let exe = exe.to_string_lossy();
    let exe = exe.trim_end_matches(" (deleted)");
    Path::new(exe) == program
}

/// SIGKILL every process whose root folder is below one of `dirs` (a
/// build container's); the number killed.
pub fn kill_rooted_below(dirs: &[&Path]) -> usize {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0;
    };
    let mut killed = 0;
    for entry in entries.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(root) = std::fs::read_link(entry.path().join("root")) else {
            continue;
        };
        if root != Path::new("/") && dirs.iter().any(|dir| root.starts_with(dir)) {
            send_signal(pid, rustix::process::Signal::KILL);
            killed += 1;
        }
    }
    killed
}

/// Lazily unmount every mount point at or below `dir`, deepest first.
pub fn unmount_below(dir: &Path) {
    let Ok(mounts) = std::fs::read_to_string("/proc/self/mountinfo") else {
        return;
    };
    let mut points: Vec<PathBuf> = mounts
        .lines()
        .filter_map(|line| line.split(' ').nth(4))
        .map(|point| PathBuf::from(point.replace("\\040", " ")))
        .filter(|point| point.starts_with(dir))
        .collect();
    points.sort_by_key(|point| std::cmp::Reverse(point.components().count()));
    for point in points {
        let _ = rustix::mount::unmount(&point, rustix::mount::UnmountFlags::DETACH);
    }
}

/// Run `expression` with its output captured; on failure the error holds
/// the first line of its stderr.
fn run_captured(expression: duct::Expression) -> Result<()> {
    let output = expression
        .stdout_null()
        .stderr_capture()
        .unchecked()
        .run()?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        bail!("{}", first_line(stderr.trim()));
    }
    Ok(())
}

/// Whether an engine error says that snapshots behind the store are gone:
/// a record whose snapshot was removed ("parent snapshot ... does not
/// exist", "snapshot ... not found") or whose files were
/// ("failed to get usage ... no such file or directory", "failed to stat
/// parent").
pub fn lost_snapshots(text: &str) -> bool {
    let text = text.to_ascii_lowercase();
    let names_snapshot = text.contains("snapshot");
    names_snapshot
        && (text.contains("does not exist")
            || text.contains("not found")
            || text.contains("no such file or directory"))
}

/// The last non-empty line of `text` (of a start error: the log's last
/// line, which says why).
fn last_line(text: &str) -> &str {
    text.lines()
        .rev()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .unwrap_or("")
}

/// The first non-empty line of `text`.
fn first_line(text: &str) -> &str {
    text.lines()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .unwrap_or("")
}

/// Whether `dir` exists and holds anything.
fn has_entries(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some())
}

/// The platform of the step that failed in a multi-platform `--progress
/// plain` log, from the step header of the first `#12 ERROR` line:
/// `#12 [linux/amd64->riscv64 build 5/6] RUN ...` (a stage on the build
/// platform, for target `linux/riscv64`) or `#12 [linux/arm64 build 2/3]`.
pub fn failed_platform(log: &str) -> Option<String> {
    let step = failed_step(log)?;
    log.lines().find_map(|line| {
        let rest = line.strip_prefix(&step)?.strip_prefix('[')?;
        let platform = rest.split_whitespace().next()?;
        let (os, _) = platform.split_once('/')?;
        if !matches!(os, "linux" | "windows" | "darwin" | "freebsd") {
            return None;
        }
        Some(match platform.split_once("->") {
            Some((_, target)) if target.contains('/') && target.starts_with(os) => {
                target.to_string()
            }
            Some((_, target)) => format!("{os}/{target}"),
            None => platform.to_string(),
        })
    })
}

/// `#12 ` for the first `#12 ERROR` line of a `--progress plain` log.
fn failed_step(log: &str) -> Option<String> {
    log.lines().find_map(|line| {
        let (step, rest) = line.split_once(' ')?;
        (step.starts_with('#') && rest.starts_with("ERROR")).then(|| format!("{step} "))
    })
}

/// The last 40 lines of the step that failed in a `--progress plain` log,
/// or the log's last 60 lines.
pub fn failed_step_log(log: &str) -> String {
    let failed = failed_step(log);
    let lines: Vec<&str> = match &failed {
        Some(step) => log.lines().filter(|line| line.starts_with(step)).collect(),
        None => log.lines().collect(),
    };
    let keep = if failed.is_some() { 40 } else { 60 };
    let mut text = lines[lines.len().saturating_sub(keep)..].join("\n");
    if let Some(summary) = log.lines().rev().find(|line| line.starts_with("ERROR:")) {
        text.push('\n');
        text.push_str(summary);
    }
    text
}

/// The folder `$var` names, or `default` when it is unset or empty.
pub fn env_dir(var: &str, default: &str) -> PathBuf {
    std::env::var_os(var)
        .filter(|value| !value.is_empty())
        .map_or_else(|| PathBuf::from(default), PathBuf::from)
}

/// The garbage collector's part of `daemon.json`: keep at most
/// [`BUILD_CACHE_KEEP`] of build cache.
fn gc_config() -> String {
    format!(
        "\"builder\": {{\"gc\": {{\"enabled\": true, \"defaultKeepStorage\": \"{BUILD_CACHE_KEEP}\"}}}}"
    )
}

/// The classic engine's `daemon.json`: BuildKit on, bounded cache.
fn classic_daemon_config() -> String {
    format!(
        "{{\"features\": {{\"buildkit\": true}}, {}}}\n",
        gc_config()
    )
}

/// The buildx engine's `daemon.json`: the containerd image store (which
/// holds multi-platform images), no iptables, no bridge, bounded cache.
fn buildx_daemon_config() -> String {
    format!(
        "{{\"features\": {{\"containerd-snapshotter\": true}}, \"iptables\": false, \
         \"ip6tables\": false, \"ip-masq\": false, \"bridge\": \"none\", {}}}\n",
        gc_config()
    )
}

/// containerd's configuration: its own root, state folder and sockets,
/// and no Kubernetes (CRI) plugin.
fn containerd_config(paths: &DockerdPaths) -> String {
    let socket = paths.containerd_socket();
    format!(
        "version = 2\nroot = \"{}\"\nstate = \"{}\"\ndisabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n\n\
         [grpc]\n  address = \"{}\"\n\n[ttrpc]\n  address = \"{}.ttrpc\"\n\n\
         [debug]\n  address = \"\"\n\n[metrics]\n  address = \"\"\n",
        paths.containerd_root().display(),
        paths.run_dir.join("containerd").display(),
        socket.display(),
        socket.display()
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
fn configure_apt_sources(root: &Path, suite: &str, mirror: &str) -> Result<()> {
    let text = format!(
        "Types: deb\nURIs: {mirror}\nSuites: {suite} {suite}-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
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
pub const SITE_CERTIFICATES: &str = "/usr/local/share/ca-certificates";

/// Copy the host's locally added CA certificates (`*.crt` in
/// [`SITE_CERTIFICATES`], e.g. of a TLS-intercepting proxy) into the same
/// folder of `root`, so that installing `ca-certificates` in a build stage
/// trusts them too, as a site's own base image would.
pub fn copy_site_certificates(from: &Path, root: &Path) -> Result<()> {
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

/// The platforms the image and every example in examples/ are built and
/// tested for.
pub const PLATFORMS: [&str; 6] = [
    "linux/amd64",
    "linux/arm64",
    "linux/arm/v7",
    "linux/ppc64le",
    "linux/s390x",
    "linux/riscv64",
];

/// Blocks allocated below `dir` (in bytes), not following links, not
/// crossing into other file systems' mounts, skipping what cannot be read.
fn disk_usage_below(dir: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let Ok(top) = std::fs::symlink_metadata(dir) else {
        return 0;
    };
    let device = top.dev();
    let mut total = 0;
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(meta) = entry.metadata() else {
                continue;
            };
            if meta.dev() != device {
                continue;
            }
            total += meta.blocks() * 512;
            if meta.is_dir() {
                pending.push(entry.path());
            }
        }
    }
    total
}

/// Total size of the regular files below `dir` (links count as nothing).
pub fn tree_size(dir: &Path) -> Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_dir() {
            total += tree_size(&entry.path())?;
        } else if kind.is_file() {
            total += entry.metadata()?.len();
        }
    }
    Ok(total)
}

/// Run a static target program with `qemu -L <empty folder> binary ARGS`
/// and return its stdout. The examples link statically (xx-verify --static
/// checked it), so the program needs no sysroot: the empty `-L` folder
/// proves that no library of the host is picked up.
pub fn run_static_under_qemu(qemu: &str, binary: &Path, args: &[&str]) -> Result<String> {
    let empty = tempfile::tempdir().context("temporary folder")?;
    run_under_qemu(qemu, empty.path(), binary, args)
}

/// Run a target program with `qemu -L <sysroot> binary ARGS` (stdin
/// closed) and return its stdout; a failure names the command, its status
/// and its stderr.
pub fn run_under_qemu(qemu: &str, sysroot: &Path, binary: &Path, args: &[&str]) -> Result<String> {
    let mut argv = vec![
        "-L".to_string(),
        sysroot.display().to_string(),
        binary.display().to_string(),
    ];
    argv.extend(args.iter().map(|arg| arg.to_string()));
    let output = duct::cmd(qemu, &argv)
        .stdin_null()
        .stdout_capture()
        .stderr_capture()
        .unchecked()
        .run()
        .with_context(|| format!("cannot run {qemu} (is qemu-user installed?)"))?;
    if !output.status.success() {
        bail!(
            "{qemu} {} failed ({}): {}",
            argv.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "#12 [linux/amd64 toolchain 3/3] RUN apt-get update\n\
                       #12 DONE 3.1s\n\
                       #20 [linux/amd64->riscv64 build 2/2] RUN xx-cargo build\n\
                       #21 [linux/amd64->arm/v7 build 2/2] RUN xx-cargo build\n\
                       #20 0.36 error: no target\n\
                       #20 ERROR: process \"/bin/sh -c xx-cargo build\" did not complete successfully: exit code: 1\n\
                       #21 CANCELED\n\
                       ERROR: failed to solve: process did not complete successfully\n";

    #[test]
    fn the_failed_platform_comes_from_the_failed_step_header() {
        assert_eq!(failed_platform(LOG).as_deref(), Some("linux/riscv64"));
        let arm = LOG.replace("#20 ERROR", "#21 ERROR");
        assert_eq!(failed_platform(&arm).as_deref(), Some("linux/arm/v7"));
        let native = "#5 [linux/arm64 build 1/2] RUN make\n#5 ERROR: exit code: 2\n";
        assert_eq!(failed_platform(native).as_deref(), Some("linux/arm64"));
        assert_eq!(
            failed_platform("#5 [build 1/2] RUN make\n#5 ERROR: x\n"),
            None
        );
    }

    #[test]
    fn the_failed_step_log_keeps_that_step_and_the_summary() {
        let text = failed_step_log(LOG);
        assert!(text.contains("#20 0.36 error: no target"));
        assert!(!text.contains("#21"));
        assert!(text.ends_with("ERROR: failed to solve: process did not complete successfully"));
    }

    #[test]
    fn disk_usage_counts_allocated_blocks() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(disk_usage_below(&dir.path().join("missing")), 0);
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let data: Vec<u8> = (0..(1 << 20)).map(|i| (i % 251) as u8).collect();
        std::fs::write(dir.path().join("sub/a"), &data).unwrap();
        std::os::unix::fs::symlink("/usr", dir.path().join("link")).unwrap();
        let used = disk_usage_below(dir.path());
        assert!((1 << 20..2 << 20).contains(&used), "{used}");
    }

    #[test]
    fn lost_snapshots_are_recognised() {
        for seen in [
            "ERROR: rpc error: code = Unknown desc = failed to get usage for mp3lb: lstat /x/io.containerd.snapshotter.v1.overlayfs/snapshots/2/fs: no such file or directory: unknown",
            "ERROR: failed to solve: failed to prepare s9gn as kpp4: parent snapshot s9gn does not exist: not found",
            "failed to prepare sha256:895d as w229: failed to stat parent: stat /x/snapshots/1/fs: no such file or directory: unknown",
            "failed to get usage for abc: snapshot abc not found",
        ] {
            assert!(lost_snapshots(seen), "{seen}");
        }
        for other in [
            "ERROR: failed to solve: process \"/bin/sh -c make\" did not complete successfully: exit code: 2",
            "open /src/main.c: no such file or directory",
            "docker.io/library/golang:1.22: not found",
        ] {
            assert!(!lost_snapshots(other), "{other}");
        }
    }

    #[test]
    fn engines_are_named() {
        assert_eq!(EngineKind::parse("buildx").unwrap(), EngineKind::Buildx);
        assert_eq!(EngineKind::parse("classic").unwrap(), EngineKind::Classic);
        let err = EngineKind::parse("podman").unwrap_err().to_string();
        assert!(err.contains("\"podman\""), "{err}");
    }

    #[test]
    fn exports_are_one_folder_per_platform() {
        assert_eq!(
            platform_export_dir(Path::new("/out"), "linux/arm/v7"),
            Path::new("/out/linux_arm_v7")
        );
    }
}
