//! The real [`ToolProbe`]: `PATH` lookups, file checks and `ld -V`.

use std::path::{Path, PathBuf};

use crate::linker::ToolProbe;

/// Looks at the running system.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemProbe;

impl ToolProbe for SystemProbe {
    fn which(&self, name: &str) -> Option<PathBuf> {
        which::which(name).ok()
    }

    fn is_file(&self, path: &Path) -> bool {
        path.is_file()
    }

    fn host_ld_emulations(&self) -> Option<String> {
        let output = duct::cmd!("ld", "-V")
            .stdout_capture()
            .stderr_null()
            .unchecked()
            .run()
            .ok()?;
        Some(String::from_utf8_lossy(&output.stdout).into_owned())
    }
}
