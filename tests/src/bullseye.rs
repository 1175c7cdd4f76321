//! Debian 11 (bullseye, glibc 2.31) roots for the glibc floor tests, made
//! with `debootstrap --variant=minbase bullseye` from the host's Debian
//! mirror and cached under `<cache>/bullseye-<arch>`, once:
//!
//! - for the build machine's architecture (amd64) a complete, configured
//!   root: programs run in it with `chroot`;
//! - for the others the first stage of `debootstrap --foreign --arch
//!   <arch>`: every package of a minimal bullseye system unpacked (libc6,
//!   libgcc-s1 and libstdc++6 among them, as apt needs them), not
//!   configured (that would run the target's programs, which needs a
//!   binfmt_misc handler): programs run under `qemu-<arch> -L <root>`
//!   through bullseye's own loader.

use std::path::{Path, PathBuf};
use std::process::Output;

use anyhow::{bail, Context, Result};
use xx_files::{write_atomic, FileLock};

/// Marks a complete root.
const STAMP: &str = ".xx-rs-bullseye-debootstrap";

/// A bullseye run-time root for one architecture.
#[derive(Debug, Clone)]
pub struct BullseyeRoot {
    path: PathBuf,
    tuple: String,
}

impl BullseyeRoot {
    /// The root for Debian architecture `arch` (`arm64`) whose multiarch
    /// directory is `tuple` (`aarch64-linux-gnu`), made when missing.
    pub fn ensure(arch: &str, tuple: &str) -> Result<BullseyeRoot> {
        let parent = crate::debian_root::cache_parent();
        let dir = parent.join(format!("bullseye-{arch}"));
        let root = BullseyeRoot {
            path: dir.join("root"),
            tuple: tuple.to_string(),
        };
        if root.path.join(STAMP).is_file() {
            return Ok(root);
        }
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        let _lock = FileLock::acquire(&dir.join(".lock"))?;
        if root.path.join(STAMP).is_file() {
            return Ok(root);
        }
        let mirror = crate::mirror::mirror_below(Path::new("/"));
        let staging = tempfile::Builder::new().prefix(".root.").tempdir_in(&dir)?;
        let native = duct::cmd!("dpkg", "--print-architecture")
            .read()
            .context("dpkg --print-architecture")?;
        let mut args = vec!["--variant=minbase".to_string()];
        if native.trim() != arch {
            args.extend(["--foreign".to_string(), format!("--arch={arch}")]);
        }
        args.extend([
            "bullseye".to_string(),
            staging.path().display().to_string(),
            mirror.clone(),
        ]);
        let out = duct::cmd("debootstrap", &args)
            .stdout_capture()
            .stderr_to_stdout()
            .unchecked()
            .run()
            .context("cannot run debootstrap (is it installed?)")?;
        if !out.status.success() {
            let log = String::from_utf8_lossy(&out.stdout);
            let tail: Vec<&str> = log.lines().rev().take(5).collect();
            bail!(
                "debootstrap {} failed:\n{}",
                args.join(" "),
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            );
        }
        for library in ["libc.so.6", "libstdc++.so.6", "libgcc_s.so.1"] {
            let found = ["lib", "usr/lib"]
                .iter()
                .any(|dir| staging.path().join(dir).join(tuple).join(library).exists());
            if !found {
                bail!("the bullseye root for {arch} has no {library} below lib/{tuple} or usr/lib/{tuple}");
            }
        }
        write_atomic(&staging.path().join(STAMP), "bullseye\n", 0o644)?;
        let _ = std::fs::remove_dir_all(&root.path);
        std::fs::rename(staging.keep(), &root.path)?;
        Ok(root)
    }

    /// The root's folder.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Run the program `binary` (a host path) with bullseye's glibc: for
    /// amd64 copied into the root and run with `chroot`, otherwise under
    /// `qemu-<qemu_suffix> -L <root>` through bullseye's loader, named
    /// directly (some loader links are absolute, which `-L` cannot follow).
    pub fn run(&self, qemu_suffix: &str, binary: &Path) -> Result<Output> {
        if qemu_suffix == "x86_64" {
            let name = format!(
                "xx-run-{}-{}",
                std::process::id(),
                binary.file_name().unwrap_or_default().to_string_lossy()
            );
            let inside = self.path.join("tmp").join(&name);
            std::fs::create_dir_all(self.path.join("tmp"))?;
            std::fs::copy(binary, &inside)?;
            let output = duct::cmd!("chroot", &self.path, format!("/tmp/{name}"))
                .stdout_capture()
                .stderr_capture()
                .unchecked()
                .run();
            let _ = std::fs::remove_file(&inside);
            return Ok(output?);
        }
        let libdir = self.path.join("lib").join(&self.tuple);
        let loader = std::fs::read_dir(&libdir)?
            .flatten()
            .map(|entry| entry.path())
            .find(|path| {
                path.file_name()
                    .is_some_and(|name| name.to_string_lossy().starts_with("ld-2."))
            })
            .with_context(|| format!("no ld-2.*.so in {}", libdir.display()))?;
        Ok(duct::cmd!(
            format!("qemu-{qemu_suffix}"),
            "-L",
            &self.path,
            &loader,
            binary
        )
        .stdout_capture()
        .stderr_capture()
        .unchecked()
        .run()?)
    }
}
