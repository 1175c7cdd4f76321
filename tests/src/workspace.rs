//! Where the workspace is and how to get the `xx` binary under test.

use std::path::PathBuf;
use std::sync::OnceLock;

use anyhow::{anyhow, Result};

/// The root of the xx-rs Cargo workspace (the parent of `tests/`).
pub fn workspace_root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map_or_else(|| manifest_dir.clone(), PathBuf::from)
}

/// The `xx` binary under test.
///
/// `XX_BIN` names a prebuilt binary; otherwise `cargo build -p xx --bin xx`
/// runs once per test process and the debug binary is returned.
pub fn xx_binary() -> Result<PathBuf> {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BUILT
        .get_or_init(|| locate_or_build().map_err(|err| format!("{err:#}")))
        .clone()
        .map_err(|err| anyhow!(err))
}

fn locate_or_build() -> Result<PathBuf> {
    prebuilt_or_build("XX_BIN", "xx", "xx")
}

/// The `fixture-apk` binary, the Alpine fixture's stand-in for apk (see
/// [`crate::make_alpine_fixture`]).
///
/// `XX_E2E_FIXTURE_APK` names a prebuilt binary; otherwise
/// `cargo build -p xx-e2e --bin fixture-apk` runs once per test process
/// and the debug binary is returned.
pub(crate) fn fixture_apk_binary() -> Result<PathBuf> {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            prebuilt_or_build("XX_E2E_FIXTURE_APK", "xx-e2e", "fixture-apk")
                .map_err(|err| format!("{err:#}"))
        })
        .clone()
        .map_err(|err| anyhow!(err))
}

/// The file the environment variable `variable` names, or the debug build
/// of `bin` from `package`.
fn prebuilt_or_build(variable: &str, package: &str, bin: &str) -> Result<PathBuf> {
    if let Some(prebuilt) = std::env::var_os(variable).filter(|v| !v.is_empty()) {
        let path = PathBuf::from(prebuilt);
        if !path.is_file() {
            return Err(anyhow!("{variable}={} is not a file", path.display()));
        }
        return Ok(path);
    }
    let root = workspace_root();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = duct::cmd(&cargo, ["build", "--quiet", "-p", package, "--bin", bin])
        .dir(&root)
        .stdout_capture()
        .stderr_capture()
        .unchecked()
        .run()
        .map_err(|err| anyhow!("cannot run {}: {err}", cargo.to_string_lossy()))?;
    if !output.status.success() {
        return Err(anyhow!(
            "`cargo build -p {package} --bin {bin}` failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let target_dir =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let binary = target_dir.join("debug").join(bin);
    if !binary.is_file() {
        return Err(anyhow!(
            "cargo built {bin} but {} does not exist",
            binary.display()
        ));
    }
    Ok(binary)
}
