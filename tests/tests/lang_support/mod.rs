//! Sandboxes for the language-toolchain suites (`cargo.rs`, `go.rs`): a
//! sandbox of the cached Debian root plus the host's CA bundle (for
//! crates.io behind a TLS-inspecting proxy), a cargo registry cache shared
//! between sandboxes (cargo locks it itself), and the packages a suite
//! needs.

#![allow(dead_code)] // Each suite uses a different part.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use rustix::mount::{MountFlags, UnmountFlags};
use xx_e2e::{qemu_run, DebianRoot, Sandbox};

/// A sandbox with bind mounts of shared caches; the mounts are removed
/// before the sandbox itself goes away.
pub struct LangSandbox {
    /// Mount points made here, in order.
    mounts: Vec<PathBuf>,
    sandbox: Sandbox,
    started: Instant,
}

impl LangSandbox {
    /// A fresh sandbox `name` with the host CA bundle, `apt-get update`
    /// done and `packages` installed (without recommends: `qemu-user` must
    /// not pull in binfmt registration). Downloaded `.deb` files are not
    /// shared between sandboxes: apt does not wait for another apt's lock
    /// on a shared archive directory.
    pub fn create(name: &str, packages: &[&str]) -> Result<LangSandbox> {
        let root = DebianRoot::ensure()?;
        let sandbox = root.sandbox(name)?;
        let lang = LangSandbox {
            mounts: Vec::new(),
            sandbox,
            started: Instant::now(),
        };
        lang.use_host_ca_bundle()?;
        lang.run_ok("apt-get update -qq")?;
        if !packages.is_empty() {
            lang.run_ok(&format!(
                "apt-get install -y -qq --no-install-recommends {} >/tmp/apt.log 2>&1 || {{ tail -30 /tmp/apt.log; exit 1; }}",
                packages.join(" ")
            ))?;
        }
        lang.log(&format!("ready with {}", packages.join(" ")));
        Ok(lang)
    }

    /// The host's CA bundle replaces the sandbox's (TLS-inspecting proxies
    /// add their own CA on the host).
    fn use_host_ca_bundle(&self) -> Result<()> {
        let bundle = Path::new("/etc/ssl/certs/ca-certificates.crt");
        if bundle.is_file() {
            let target = self
                .sandbox
                .path()
                .join("etc/ssl/certs/ca-certificates.crt");
            std::fs::create_dir_all(target.parent().context("no parent")?)?;
            let _ = std::fs::remove_file(&target);
            std::fs::copy(bundle, &target)
                .with_context(|| format!("cannot copy the CA bundle to {}", target.display()))?;
        }
        Ok(())
    }

    /// Bind-mount the host directory `host_dir` (created if missing) at
    /// `in_root` (relative to the sandbox root).
    pub fn share(&mut self, host_dir: &Path, in_root: &str) -> Result<()> {
        std::fs::create_dir_all(host_dir)
            .with_context(|| format!("cannot create {}", host_dir.display()))?;
        let target = self.sandbox.path().join(in_root);
        std::fs::create_dir_all(&target)
            .with_context(|| format!("cannot create {}", target.display()))?;
        rustix::mount::mount_bind(host_dir, &target).with_context(|| {
            format!(
                "cannot bind-mount {} at {}",
                host_dir.display(),
                target.display()
            )
        })?;
        self.mounts.push(target);
        Ok(())
    }

    /// Bind-mount the host directory `host_dir` read-only at `in_root`.
    pub fn share_read_only(&mut self, host_dir: &Path, in_root: &str) -> Result<()> {
        self.share(host_dir, in_root)?;
        let target = self.sandbox.path().join(in_root);
        rustix::mount::mount_remount(&target, MountFlags::BIND | MountFlags::RDONLY, "")
            .with_context(|| format!("cannot make {} read-only", target.display()))
    }

    /// Copy the host directory `source` to `in_root` in the sandbox.
    pub fn copy_dir(&self, source: &Path, in_root: &str) -> Result<()> {
        let target = self.sandbox.path().join(in_root);
        copy_tree(source, &target)
    }

    /// The sandbox.
    pub fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }

    /// [`Sandbox::run_ok`].
    pub fn run_ok(&self, script: &str) -> Result<String> {
        self.sandbox.run_ok(script)
    }

    /// Run `script`, returning (exit success, stdout + stderr).
    pub fn run_both(&self, script: &str) -> Result<(bool, String)> {
        let output = self.sandbox.run(script)?;
        let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
        text.push_str(&String::from_utf8_lossy(&output.stderr));
        Ok((output.status.success(), text))
    }

    /// Run the sandbox's `binary` (a path inside it) under qemu-user on the
    /// host and return its stdout; it must exit 0.
    pub fn qemu_stdout(&self, qemu_suffix: &str, binary: &str) -> Result<String> {
        let output = qemu_run(&self.sandbox, qemu_suffix, binary, &[])?;
        if !output.status.success() {
            bail!(
                "qemu-{qemu_suffix} {binary} failed ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// Run `binary` under the sandbox's own qemu-user (package `qemu-user`)
    /// inside the chroot and return its stdout; it must exit 0. Unlike
    /// [`LangSandbox::qemu_stdout`] this follows the absolute links some
    /// loaders are reached by (`/lib64/ld64.so.2` on ppc64el).
    pub fn qemu_stdout_inside(&self, qemu_suffix: &str, binary: &str) -> Result<String> {
        self.run_ok(&format!("qemu-{qemu_suffix} {binary}"))
    }

    /// Print `what` with the time since the sandbox was made (shown with
    /// `--nocapture`; the suites' timing notes come from these lines).
    pub fn log(&self, what: &str) {
        eprintln!(
            "[{} +{:.0?}] {what}",
            self.sandbox.name(),
            self.started.elapsed()
        );
    }
}

impl Drop for LangSandbox {
    fn drop(&mut self) {
        for point in self.mounts.iter().rev() {
            if rustix::mount::unmount(point, UnmountFlags::empty()).is_err() {
                let _ = rustix::mount::unmount(point, UnmountFlags::DETACH);
            }
        }
    }
}

/// Copy a directory tree (files and folders; links are followed).
fn copy_tree(source: &Path, target: &Path) -> Result<()> {
    std::fs::create_dir_all(target)
        .with_context(|| format!("cannot create {}", target.display()))?;
    for entry in
        std::fs::read_dir(source).with_context(|| format!("cannot list {}", source.display()))?
    {
        let entry = entry?;
        let from = entry.path();
        let to = target.join(entry.file_name());
        if from.is_dir() {
            if entry.file_name() == "target" {
                continue;
            }
            copy_tree(&from, &to)?;
        } else {
            std::fs::copy(&from, &to)
                .with_context(|| format!("cannot copy {} to {}", from.display(), to.display()))?;
        }
    }
    Ok(())
}

/// The folder that holds the cached root, where the shared cargo home
/// lives (`cargo-home/`).
pub fn cache_dir() -> Result<PathBuf> {
    let root = DebianRoot::ensure()?;
    root.path()
        .parent()
        .map(Path::to_path_buf)
        .context("the cached root has no parent folder")
}

/// The workspace's `tests/fixtures/<name>` folder.
pub fn fixture(name: &str) -> PathBuf {
    xx_e2e::workspace_root().join("tests/fixtures").join(name)
}

/// Fail with `context` and the text unless `text` contains `needle`.
pub fn assert_contains(text: &str, needle: &str, context: &str) -> Result<()> {
    if !text.contains(needle) {
        bail!("{context}: expected {needle:?} in:\n{text}");
    }
    Ok(())
}

/// The last `lines` lines of `text`.
pub fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
