//! Docker for the end-to-end tests: one engine for the suite, the `xx-rs`
//! image built once for every platform in one invocation, BuildKit builds
//! of many platforms exported to host folders.
//!
//! The engine code itself ([`Dockerd`], the Debian base import) is shared
//! with `cargo xtask image`: it lives in `xtask/src/docker.rs` and is
//! included here unchanged.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, Weak};

use anyhow::{anyhow, Context, Result};

use crate::workspace::workspace_root;

#[path = "../../xtask/src/docker.rs"]
mod engine;
#[path = "../../xtask/src/engine_prefix.rs"]
mod engine_prefix;

pub use engine::*;

/// The tag the examples' `XX_IMAGE` argument defaults to (`xx-rs:latest`).
pub const XX_IMAGE: &str = "xx-rs";

/// The engine shared by the tests of this process: reused when one answers
/// (`cargo xtask test` starts one for the whole suite), else started by the
/// first caller and stopped when the last holder drops it.
pub fn shared_dockerd() -> Result<Arc<Dockerd>> {
    static SHARED: Mutex<Weak<Dockerd>> = Mutex::new(Weak::new());
    let mut shared = SHARED
        .lock()
        .map_err(|_| anyhow!("a test panicked while starting dockerd"))?;
    if let Some(dockerd) = shared.upgrade() {
        return Ok(dockerd);
    }
    let dockerd = Arc::new(Dockerd::start_or_reuse(DockerdPaths::from_env()?)?);
    *shared = Arc::downgrade(&dockerd);
    Ok(dockerd)
}

/// Fail when a qemu binfmt_misc handler exists: with one, a stage of a
/// foreign platform could run emulated, and a build meant to show that
/// every stage ran natively on the build machine would prove nothing.
pub fn assert_no_emulation() -> Result<()> {
    let handlers = qemu_binfmt_handlers();
    if !handlers.is_empty() {
        anyhow::bail!(
            "binfmt_misc has qemu handlers {handlers:?}: remove them, these builds must run without emulation"
        );
    }
    Ok(())
}

/// Copy `image` from one engine's store into another's (`docker save |
/// docker load`), as the throwaway engines of the fault tests get the
/// Debian base.
pub fn copy_image(from: &Dockerd, to: &Dockerd, image: &str) -> Result<()> {
    from.docker(["save", image])
        .pipe(to.docker(["load", "--quiet"]))
        .stdout_null()
        .run()
        .with_context(|| format!("docker save {image} | docker load"))?;
    Ok(())
}

/// The platforms `ensure_xx_image` builds the image for: all of
/// [`PLATFORMS`] in one invocation with the buildx engine; the build
/// machine's alone with the classic engine (it loads one platform per tag).
pub fn image_platforms(dockerd: &Dockerd) -> &'static [&'static str] {
    match dockerd.kind() {
        EngineKind::Buildx => &PLATFORMS,
        EngineKind::Classic => &PLATFORMS[..1],
    }
}

/// Make `debian:bookworm`, then build `xx-rs` (base-image/Dockerfile) for
/// [`image_platforms`] in one invocation, loaded as one multi-platform
/// image, and export its files for each platform (a second invocation,
/// from the cache) into `target/xx-e2e/xx-image`; once per test process. Returns that folder (see [`platform_export_dir`]).
pub fn ensure_xx_image(dockerd: &Dockerd) -> Result<PathBuf> {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BUILT
        .get_or_init(|| build_xx_image(dockerd).map_err(|err| format!("{err:#}")))
        .clone()
        .map_err(|err| anyhow!(err))
}

fn build_xx_image(dockerd: &Dockerd) -> Result<PathBuf> {
    dockerd.ensure_debian_base()?;
    let root = workspace_root();
    let dockerfile = root.join("base-image/Dockerfile");
    let platforms = image_platforms(dockerd);
    let exports = root.join("target/xx-e2e/xx-image");
    if exports.exists() {
        std::fs::remove_dir_all(&exports)
            .with_context(|| format!("cannot remove {}", exports.display()))?;
    }
    for output in [BuildOutput::Load(XX_IMAGE), BuildOutput::Local(&exports)] {
        dockerd
            .build(&BuildRequest {
                context: &root,
                dockerfile: &dockerfile,
                platforms,
                output,
                show_progress: false,
            })
            .context("building the xx-rs image")?;
    }
    Ok(exports)
}

/// Build `dockerfile` with `context` for `platforms` in one invocation
/// (buildx engine) and export its final stage (`-o type=local`) into
/// `dest`, one folder per platform ([`platform_export_dir`]); a failure
/// names the platform and shows the failed step's log.
pub fn build_to(
    dockerd: &Dockerd,
    context: &Path,
    dockerfile: &Path,
    platforms: &[&str],
    dest: &Path,
) -> Result<()> {
    dockerd.build(&BuildRequest {
        context,
        dockerfile,
        platforms,
        output: BuildOutput::Local(dest),
        show_progress: false,
    })
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
