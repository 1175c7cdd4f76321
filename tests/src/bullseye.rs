//! Debian 11 (bullseye, glibc 2.31) run-time roots for the glibc floor
//! tests: bullseye's `libc6`, `libgcc-s1` and `libstdc++6` of one
//! architecture, fetched with `apt-get download` under a private apt
//! configuration (the host's sources and package states are not touched)
//! and unpacked with `dpkg -x` into `<cache>/bullseye-run-<arch>`, once.
//!
//! That is exactly the set of libraries a C, C++, Rust or cgo program
//! loads, as a bullseye system has them: amd64 programs run in it with
//! `chroot`, others under `qemu-<arch> -L <root>` through bullseye's own
//! loader. (A full `debootstrap` of bullseye would add nothing these
//! programs load, and take minutes.)

use std::path::{Path, PathBuf};
use std::process::Output;

use anyhow::{bail, Context, Result};
use xx_files::{write_atomic, FileLock};

/// The packages of a run-time root.
const PACKAGES: &[&str] = &["libc6", "libgcc-s1", "libstdc++6"];

/// Marks a complete root.
const STAMP: &str = ".xx-rs-bullseye-run";

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
        let dir = parent.join(format!("bullseye-run-{arch}"));
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
        let apt = dir.join("apt");
        for sub in ["lists/partial", "cache/archives/partial", "parts"] {
            std::fs::create_dir_all(apt.join(sub))?;
        }
        let mirror = crate::mirror::mirror_below(Path::new("/"));
        write_atomic(
            &apt.join("sources.list"),
            &format!("deb [arch={arch} signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] {mirror} bullseye main\n"),
            0o644,
        )?;
        write_atomic(&apt.join("status"), "", 0o644)?;
        let mut options = Vec::new();
        for option in [
            format!(
                "Dir::Etc::SourceList={}",
                apt.join("sources.list").display()
            ),
            format!("Dir::Etc::SourceParts={}", apt.join("parts").display()),
            format!("Dir::State::Lists={}", apt.join("lists").display()),
            format!("Dir::State::status={}", apt.join("status").display()),
            format!("Dir::Cache={}", apt.join("cache").display()),
            format!("APT::Architecture={arch}"),
            format!("APT::Architectures::={arch}"),
            "Acquire::Languages=none".to_string(),
            "APT::Sandbox::User=root".to_string(),
        ] {
            options.push("-o".to_string());
            options.push(option);
        }
        let mut update = options.clone();
        update.extend(["update".to_string(), "-q".to_string()]);
        duct::cmd("apt-get", &update)
            .stdout_null()
            .run()
            .context("apt-get update (bullseye, private lists)")?;
        let debs = tempfile::Builder::new().prefix(".debs.").tempdir_in(&dir)?;
        let mut download = options.clone();
        download.extend(["download".to_string(), "-q".to_string()]);
        download.extend(PACKAGES.iter().map(|p| format!("{p}:{arch}")));
        duct::cmd("apt-get", &download)
            .dir(debs.path())
            .stdout_null()
            .run()
            .context("apt-get download (bullseye)")?;
        let staging = tempfile::Builder::new().prefix(".root.").tempdir_in(&dir)?;
        let mut count = 0;
        for entry in std::fs::read_dir(debs.path())? {
            let deb = entry?.path();
            duct::cmd!("dpkg", "-x", &deb, staging.path()).run()?;
            count += 1;
        }
        if count != PACKAGES.len() {
            bail!(
                "fetched {count} of bullseye's {} for {arch}",
                PACKAGES.join(" ")
            );
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
