//! Docker for the end-to-end tests: one engine per test process, the
//! `xx-rs` image built once, BuildKit builds exported to host folders.
//!
//! The engine code itself ([`Dockerd`], the Debian base import) is shared
//! with `cargo xtask image`: it lives in `xtask/src/docker.rs` and is
//! included here unchanged.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::{Arc, Mutex, OnceLock, Weak};

use anyhow::{anyhow, bail, Context, Result};

use crate::workspace::workspace_root;

#[path = "../../xtask/src/docker.rs"]
mod engine;

pub use engine::*;

/// The tag the examples' `XX_IMAGE` argument defaults to.
pub const XX_IMAGE: &str = "xx-rs";

/// The engine shared by the tests of this process: started (or reused)
/// by the first caller and stopped when the last holder drops it.
pub fn shared_dockerd() -> Result<Arc<Dockerd>> {
    static SHARED: Mutex<Weak<Dockerd>> = Mutex::new(Weak::new());
    let mut shared = SHARED
        .lock()
        .map_err(|_| anyhow!("a test panicked while starting dockerd"))?;
    if let Some(dockerd) = shared.upgrade() {
        return Ok(dockerd);
    }
    let dockerd = Arc::new(Dockerd::start_or_reuse(DockerdPaths::from_env())?);
    *shared = Arc::downgrade(&dockerd);
    Ok(dockerd)
}

/// Make `debian:bookworm` and build `xx-rs` (base-image/Dockerfile) for
/// the build machine, once per test process.
pub fn ensure_xx_image(dockerd: &Dockerd) -> Result<()> {
    static BUILT: OnceLock<Result<(), String>> = OnceLock::new();
    BUILT
        .get_or_init(|| build_xx_image(dockerd).map_err(|err| format!("{err:#}")))
        .clone()
        .map_err(|err| anyhow!(err))
}

fn build_xx_image(dockerd: &Dockerd) -> Result<()> {
    dockerd.ensure_debian_base()?;
    let root = workspace_root();
    let output = build(
        dockerd,
        &root,
        &root.join("base-image/Dockerfile"),
        "linux/amd64",
        &["--tag", XX_IMAGE],
    )?;
    if !output.status.success() {
        bail!(
            "building the xx-rs image failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

/// `DOCKER_BUILDKIT=1 docker build --network host --platform <platform>
/// --file <dockerfile> <extra...> <context>`, output captured (BuildKit
/// writes its progress to stderr in `plain` form).
pub fn build(
    dockerd: &Dockerd,
    context: &Path,
    dockerfile: &Path,
    platform: &str,
    extra: &[&str],
) -> Result<Output> {
    let mut args: Vec<String> = [
        "build",
        "--progress",
        "plain",
        "--network",
        "host",
        "--platform",
        platform,
        "--file",
    ]
    .iter()
    .map(|arg| arg.to_string())
    .collect();
    args.push(dockerfile.display().to_string());
    args.extend(extra.iter().map(|arg| arg.to_string()));
    args.push(context.display().to_string());
    dockerd
        .docker(&args)
        .stdin_null()
        .stdout_capture()
        .stderr_capture()
        .unchecked()
        .run()
        .with_context(|| format!("cannot run {DOCKER_CLIENT} build"))
}

/// Build `dockerfile` with `context` for `platform` and export its final
/// stage (`-o type=local`) into `dest`; fails with BuildKit's log of the
/// failed step on error.
pub fn build_to(
    dockerd: &Dockerd,
    context: &Path,
    dockerfile: &Path,
    platform: &str,
    dest: &Path,
) -> Result<()> {
    if !dockerfile.is_file() {
        bail!("{} is not a file", dockerfile.display());
    }
    let output_spec = format!("type=local,dest={}", dest.display());
    let output = build(
        dockerd,
        context,
        dockerfile,
        platform,
        &["--output", &output_spec],
    )?;
    if !output.status.success() {
        bail!(
            "docker build of {} for {platform} failed:\n{}",
            dockerfile.display(),
            failed_step_log(&String::from_utf8_lossy(&output.stderr))
        );
    }
    Ok(())
}

/// The binfmt_misc handlers that run foreign binaries through qemu (their
/// names in `/proc/sys/fs/binfmt_misc`); empty means nothing can have run
/// emulated.
pub fn qemu_binfmt_handlers() -> Vec<String> {
    let Ok(entries) = std::fs::read_dir("/proc/sys/fs/binfmt_misc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("qemu-"))
        .collect()
}

/// A per-test folder for exported build results, removed on drop.
pub fn export_dir(prefix: &str) -> Result<tempfile::TempDir> {
    tempfile::Builder::new()
        .prefix(prefix)
        .tempdir()
        .context("temporary folder for build results")
}

/// A path below `dir` for a platform (`linux/arm/v7` -> `linux-arm-v7`).
pub fn platform_dir(dir: &Path, platform: &str) -> PathBuf {
    dir.join(platform.replace('/', "-"))
}

/// The last 40 lines of the step that failed in a `--progress plain` log
/// (`#12 ERROR: ...` names step 12), or the log's last 60 lines.
fn failed_step_log(log: &str) -> String {
    let failed_step = log.lines().find_map(|line| {
        let (step, rest) = line.split_once(' ')?;
        rest.starts_with("ERROR").then(|| format!("{step} "))
    });
    let lines: Vec<&str> = match &failed_step {
        Some(step) => log.lines().filter(|line| line.starts_with(step)).collect(),
        None => log.lines().collect(),
    };
    let keep = if failed_step.is_some() { 40 } else { 60 };
    lines[lines.len().saturating_sub(keep)..].join("\n")
}
