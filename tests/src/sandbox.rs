//! Throwaway writable copies of the cached root, each on its own overlay.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use anyhow::{bail, Context, Result};

use crate::mounts;
use crate::workspace::xx_binary;

/// Prefix of sandbox folders in the temporary directory:
/// `xx-e2e-<pid>-<name>-<random>`.
const DIR_PREFIX: &str = "xx-e2e-";

/// `PATH` inside the sandbox.
const SANDBOX_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// A writable copy of a [`crate::DebianRoot`]: an overlay whose changes go
/// to a temporary folder, with `/proc` and `/dev` (with its submounts) mounted. Dropping it
/// unmounts everything and deletes the changes.
#[derive(Debug)]
pub struct Sandbox {
    name: String,
    dir: PathBuf,
    merged: PathBuf,
    /// Mount points in the order they were made.
    mounts: Vec<PathBuf>,
}

impl Sandbox {
    /// Make the sandbox `name` on top of the root at `lower`.
    pub(crate) fn create(lower: &Path, name: &str) -> Result<Sandbox> {
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            bail!("sandbox name {name:?} may only contain letters, digits, '-' and '_'");
        }
        let xx = xx_binary()?;
        remove_abandoned_sandboxes();
        let dir = tempfile::Builder::new()
            .prefix(&format!("{DIR_PREFIX}{}-{name}-", std::process::id()))
            .tempdir()
            .context("cannot make a sandbox folder")?
            .keep();
        let merged = dir.join("root");
        // From here on, Drop cleans up whatever was done.
        let mut sandbox = Sandbox {
            name: name.to_string(),
            dir,
            merged,
            mounts: Vec::new(),
        };
        sandbox.assemble(lower, &xx)?;
        Ok(sandbox)
    }

    fn assemble(&mut self, lower: &Path, xx: &Path) -> Result<()> {
        let upper = self.dir.join("upper");
        let work = self.dir.join("work");
        for dir in [&upper, &work, &self.merged] {
            std::fs::create_dir(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        }
        mounts::mount_overlay(lower, &upper, &work, &self.merged)?;
        self.mounts.push(self.merged.clone());

        let proc_dir = self.merged.join("proc");
        mounts::mount_proc(&proc_dir)?;
        self.mounts.push(proc_dir);

        let dev_dir = self.merged.join("dev");
        mounts::rbind(Path::new("/dev"), &dev_dir)?;
        self.mounts.push(dev_dir);

        self.install_host_file(Path::new("/etc/resolv.conf"), "etc/resolv.conf", 0o644)?;
        self.install_host_file(xx, "usr/local/bin/xx", 0o755)?;
        // The copy's write descriptor can live on for a moment in a child
        // that another test thread is forking (until its exec closes it):
        // executing the copy then fails with ETXTBSY. Retry briefly.
        let mut tries = 0;
        loop {
            match self.run_ok("xx install-links --dir /usr/local/bin >/dev/null") {
                Ok(_) => return Ok(()),
                Err(err) if tries < 20 && format!("{err:#}").contains("Text file busy") => {
                    tries += 1;
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                Err(err) => {
                    return Err(err.context("cannot install the xx tool links in the sandbox"))
                }
            }
        }
    }

    /// Copy the host file `source` to `dest` (relative to the root),
    /// replacing whatever is there (a link included).
    fn install_host_file(&self, source: &Path, dest: &str, mode: u32) -> Result<()> {
        let target = self.merged.join(dest);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        let _ = std::fs::remove_file(&target);
        std::fs::copy(source, &target)
            .with_context(|| format!("cannot copy {} to {}", source.display(), target.display()))?;
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(mode))
            .with_context(|| format!("cannot chmod {}", target.display()))
    }

    /// The sandbox's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Host path of the sandbox's root (the merged overlay), e.g. for
    /// `qemu-aarch64 -L <path>` or for inspecting files from the host.
    pub fn path(&self) -> &Path {
        &self.merged
    }

    /// Run `script` with `/bin/sh -ec` chrooted into the sandbox, with an
    /// environment of only `PATH`, `HOME=/root`, `LANG=C.UTF-8` and
    /// `DEBIAN_FRONTEND=noninteractive`. Stdout and stderr are captured;
    /// a failing script is not an error here (see [`Sandbox::run_ok`]).
    pub fn run(&self, script: &str) -> Result<Output> {
        let root = self.merged.display().to_string();
        self.command("chroot", &[root.as_str(), "/bin/sh", "-ec", script])
            .run()
            .with_context(|| format!("cannot run chroot {root} (sandbox {})", self.name))
    }

    /// `program args` on the host with the environment of [`Sandbox::run`],
    /// no stdin, output captured, any exit status accepted.
    pub(crate) fn command(&self, program: &str, args: &[&str]) -> duct::Expression {
        duct::cmd(program, args)
            .full_env([
                ("PATH", SANDBOX_PATH),
                ("HOME", "/root"),
                ("LANG", "C.UTF-8"),
                ("DEBIAN_FRONTEND", "noninteractive"),
            ])
            .stdin_null()
            .stdout_capture()
            .stderr_capture()
            .unchecked()
    }

    /// [`Sandbox::run`], failing unless the script exits 0; returns stdout.
    /// The error shows the script, its exit status, stdout and stderr.
    pub fn run_ok(&self, script: &str) -> Result<String> {
        let output = self.run(script)?;
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        if !output.status.success() {
            bail!(
                "script failed in sandbox {} ({}):\n--- script\n{script}\n--- stdout\n{stdout}\n--- stderr\n{}",
                self.name,
                output.status,
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(stdout)
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        // Reverse order of mounting; submounts (of the /dev bind) first.
        for point in self.mounts.iter().rev() {
            for sub in mounts::mounts_under(point) {
                if let Err(err) = mounts::unmount(&sub) {
                    eprintln!("xx-e2e: {err:#}");
                }
            }
        }
        if !mounts::remove_unmounted_tree(&self.dir) {
            eprintln!(
                "xx-e2e: leaving {} behind: something is still mounted below it",
                self.dir.display()
            );
        }
    }
}

/// Unmount and delete sandboxes of test processes that died without
/// cleaning up (killed before `Drop` ran).
fn remove_abandoned_sandboxes() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_prefix(DIR_PREFIX)
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            mounts::remove_unmounted_tree(&entry.path());
        }
    }
}
