//! Recording what a test could not check on this machine: nothing is
//! skipped silently.
//!
//! [`skip`] prints the reason and appends one line to the skip log, which
//! `cargo xtask test` empties before `cargo test` and summarises after it
//! (`skipped: N` and every line).
//!
//! Only `std` is used here, so that test crates outside this package
//! (`crates/xx/tests`) and xtask can include the file with
//! `#[path = ".../tests/src/skip.rs"] mod skip;` instead of depending on
//! the whole harness.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Environment variable naming the skip log file.
pub const SKIP_LOG_VAR: &str = "XX_E2E_SKIP_LOG";

/// The skip log: `$XX_E2E_SKIP_LOG`, else
/// `<workspace>/target/xx-e2e-skips.log`.
pub fn skip_log_path() -> PathBuf {
    match std::env::var_os(SKIP_LOG_VAR).filter(|value| !value.is_empty()) {
        Some(path) => PathBuf::from(path),
        None => workspace_of(Path::new(env!("CARGO_MANIFEST_DIR")))
            .join("target")
            .join("xx-e2e-skips.log"),
    }
}

/// The workspace a package folder belongs to: the nearest folder at or
/// above it with a `Cargo.lock`.
fn workspace_of(manifest_dir: &Path) -> PathBuf {
    manifest_dir
        .ancestors()
        .find(|dir| dir.join("Cargo.lock").is_file())
        .unwrap_or(manifest_dir)
        .to_path_buf()
}

/// Record that `test` skipped a check, and why: a `SKIPPED` line on stderr
/// and the line `<test>: <reason>` appended to [`skip_log_path`]. A log that
/// cannot be written is reported on stderr (the skip itself stands).
pub fn skip(test: &str, reason: &str) {
    let line = format!("{test}: {}", reason.replace('\n', " "));
    eprintln!("SKIPPED {line}");
    let path = skip_log_path();
    if let Some(parent) = path.parent() {
        let _ = std::fs::create_dir_all(parent);
    }
    let appended = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut file| file.write_all(format!("{line}\n").as_bytes()));
    if let Err(err) = appended {
        eprintln!("cannot append to the skip log {}: {err}", path.display());
    }
}
