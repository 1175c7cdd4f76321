//! Small helpers shared by the tasks.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// The workspace root (the parent of xtask/).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Print a step heading.
pub fn step(message: &str) {
    eprintln!("\n==> {message}");
}

/// Build the `xx` binary with `profile` and return its path.
pub fn build_xx(profile: &str) -> Result<PathBuf> {
    let root = workspace_root();
    duct::cmd!(
        "cargo",
        "build",
        "--quiet",
        "--profile",
        profile,
        "-p",
        "xx",
        "--bin",
        "xx"
    )
    .dir(&root)
    .run()
    .context("cargo build -p xx")?;
    let dir = if profile == "dev" { "debug" } else { profile };
    Ok(root.join("target").join(dir).join("xx"))
}

/// Build a statically linked `xx` (as the base image ships it: no dynamic
/// loader at start-up) for the build machine, and return its path.
pub fn build_static_xx() -> Result<PathBuf> {
    let root = workspace_root();
    let host = duct::cmd!("rustc", "-vV")
        .read()
        .context("rustc -vV")?
        .lines()
        .find_map(|line| line.strip_prefix("host: ").map(str::to_string))
        .context("rustc -vV printed no host")?;
    duct::cmd!(
        "cargo",
        "build",
        "--quiet",
        "--release",
        "-p",
        "xx",
        "--bin",
        "xx",
        "--target",
        &host,
        "--target-dir",
        "target/static"
    )
    .env("RUSTFLAGS", "-C target-feature=+crt-static")
    .dir(&root)
    .run()
    .context("static cargo build -p xx")?;
    Ok(root.join("target/static").join(host).join("release/xx"))
}

/// Make `xx-*` links to `xx` in a fresh temporary directory.
pub fn link_tools(xx: &Path) -> Result<tempfile::TempDir> {
    let dir = tempfile::tempdir().context("temporary directory")?;
    duct::cmd!(xx, "install-links", "--dir", dir.path())
        .stdout_null()
        .run()
        .context("xx install-links")?;
    Ok(dir)
}
