//! `xx install-links`: make `xx-*` links to this binary for a standalone
//! install on a host.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::tools::TOOLS;

/// The running xx-rs binary, for the two things that must name it: the
/// links `xx install-links` makes and the plain `clang`/`clang++` scripts
/// xx-clang writes (which run it as `<binary> --xx-tool=xx-clang ...`, see
/// `xx_toolchain::shim::TOOL_ARG`). No tool runs it to call another tool.
pub fn this_binary() -> Result<PathBuf> {
    std::env::current_exe()
        .and_then(|p| p.canonicalize())
        .context("cannot locate the xx binary")
}

/// Create (or refresh) one link per tool in `dir`, pointing at the running
/// binary. Existing links are replaced atomically; a regular file of the
/// same name is left alone and reported as an error.
pub fn install(dir: &Path) -> Result<String> {
    let exe = this_binary()?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut report = String::new();
    for tool in TOOLS {
        let link = dir.join(tool.name);
        if link == exe {
            continue;
        }
        replace_link(&exe, &link)?;
        let _ = writeln!(report, "{} -> {}", link.display(), exe.display());
    }
    Ok(report)
}

/// Point `link` at `target`, via a temporary link renamed into place.
fn replace_link(target: &Path, link: &Path) -> Result<()> {
    match std::fs::symlink_metadata(link) {
        Ok(meta) if !meta.file_type().is_symlink() => {
            bail!(
                "{} exists and is not a link; not replacing it",
                link.display()
            )
        }
        _ => {}
    }
    let tmp: PathBuf = link.with_file_name(format!(
        ".{}.tmp{}",
        link.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default(),
        std::process::id()
    ));
    let _ = std::fs::remove_file(&tmp);
    std::os::unix::fs::symlink(target, &tmp)
        .with_context(|| format!("cannot create link {}", tmp.display()))?;
    std::fs::rename(&tmp, link).with_context(|| {
        let _ = std::fs::remove_file(&tmp);
        format!("cannot move link into place at {}", link.display())
    })
}
