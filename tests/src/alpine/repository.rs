//! Building the fixture repository on the host: per architecture, one
//! `<name>-<version>.apk` (a gzip'd tar made by the host's `tar`) per
//! package, a plain-text `APKINDEX`, the stand-in signature
//! `.SIGN.RSA.<key>` and a `DESCRIPTION`.

use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::Path;

use anyhow::{bail, Context, Result};

use super::catalog::{self, Entry, FixturePackage, ARCHES, DESCRIPTION, KEY_NAME};

/// Build the whole repository into the (host) folder `dir`.
pub fn build(dir: &Path) -> Result<()> {
    let staging = tempfile::Builder::new()
        .prefix("xx-e2e-alpine-packages-")
        .tempdir()
        .context("cannot make a folder to stage the Alpine fixture packages")?;
    for arch in ARCHES {
        let arch_dir = dir.join(arch);
        create_dir(&arch_dir)?;
        let mut index = String::new();
        for package in catalog::packages(arch)? {
            let stage = staging.path().join(arch).join(package.name);
            stage_files(&package, &stage)?;
            let archive = arch_dir.join(format!("{}-{}.apk", package.name, package.version));
            make_archive(&stage, &archive)?;
            let archive_size = fs::metadata(&archive)
                .with_context(|| format!("cannot stat {}", archive.display()))?
                .len();
            index.push_str(&index_block(&package, arch, archive_size));
        }
        write(&arch_dir.join("APKINDEX"), &index)?;
        write(&arch_dir.join(format!(".SIGN.RSA.{KEY_NAME}")), "")?;
        write(&arch_dir.join("DESCRIPTION"), &format!("{DESCRIPTION}\n"))?;
    }
    Ok(())
}

fn create_dir(dir: &Path) -> Result<()> {
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))
}

fn write(path: &Path, contents: &str) -> Result<()> {
    fs::write(path, contents).with_context(|| format!("cannot write {}", path.display()))
}

/// Write `package`'s files under `stage`.
fn stage_files(package: &FixturePackage, stage: &Path) -> Result<()> {
    for entry in &package.entries {
        let (Entry::File { path, .. } | Entry::Link { path, .. }) = entry;
        let target = stage.join(path);
        if let Some(parent) = target.parent() {
            create_dir(parent)?;
        }
        match entry {
            Entry::File {
                contents,
                executable,
                ..
            } => {
                write(&target, contents)?;
                let mode = if *executable { 0o755 } else { 0o644 };
                fs::set_permissions(&target, fs::Permissions::from_mode(mode))
                    .with_context(|| format!("cannot chmod {}", target.display()))?;
            }
            Entry::Link { target: to, .. } => symlink(to, &target)
                .with_context(|| format!("cannot link {} to {to}", target.display()))?,
        }
    }
    Ok(())
}

/// `tar` the staged files (top-level folders, recursively, so that the
/// archive lists the folders too) reproducibly into `archive`.
pub(super) fn make_archive(stage: &Path, archive: &Path) -> Result<()> {
    let mut tops: Vec<String> = fs::read_dir(stage)
        .with_context(|| format!("cannot read {}", stage.display()))?
        .map(|entry| entry.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<Result<_, _>>()
        .with_context(|| format!("cannot read {}", stage.display()))?;
    tops.sort();
    let mut args: Vec<String> = [
        "--create",
        "--gzip",
        "--sort=name",
        "--owner=0",
        "--group=0",
        "--numeric-owner",
        "--mtime=@0",
    ]
    .iter()
    .map(|arg| arg.to_string())
    .collect();
    args.push(format!("--file={}", archive.display()));
    args.push(format!("--directory={}", stage.display()));
    args.extend(tops);
    let output = duct::cmd("tar", &args)
        .stdout_capture()
        .stderr_capture()
        .unchecked()
        .run()
        .context("cannot run tar")?;
    if !output.status.success() {
        bail!(
            "tar could not make {} ({}): {}",
            archive.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

/// `package`'s `APKINDEX` block, fields in apk's order.
fn index_block(package: &FixturePackage, arch: &str, archive_size: u64) -> String {
    let installed_size: usize = package
        .entries
        .iter()
        .map(|entry| match entry {
            Entry::File { contents, .. } => contents.len(),
            Entry::Link { target, .. } => target.len(),
        })
        .sum();
    let mut block = format!(
        "P:{}\nV:{}\nA:{arch}\nS:{archive_size}\nI:{installed_size}\nT:{}\nU:{}\nL:{}\no:{}\n",
        package.name,
        package.version,
        package.description,
        package.url,
        package.license,
        package.origin
    );
    if !package.depends.is_empty() {
        block.push_str(&format!("D:{}\n", package.depends.join(" ")));
    }
    block.push('\n');
    block
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_has_an_index_and_archives_per_arch() -> Result<()> {
        let dir = tempfile::tempdir()?;
        build(dir.path())?;
        let index = fs::read_to_string(dir.path().join("aarch64/APKINDEX"))?;
        assert!(
            index.starts_with("P:alpine-keys\nV:2.4-r1\nA:aarch64\n"),
            "{index}"
        );
        assert!(index.contains("P:zlib-dev\nV:1.3.1-r1\nA:aarch64\n"));
        assert!(index.contains("o:zlib\nD:zlib\n\n"));
        assert!(dir
            .path()
            .join(format!("x86/.SIGN.RSA.{KEY_NAME}"))
            .is_file());

        let archive = dir.path().join("aarch64/zlib-1.3.1-r1.apk");
        let listing = duct::cmd!("tar", "-tzvf", &archive).read()?;
        assert!(listing.contains(" usr/lib/\n"), "{listing}");
        assert!(
            listing.contains("usr/lib/libz.so.1 -> libz.so.1.3.1"),
            "{listing}"
        );
        assert!(
            listing.contains("root/root") || listing.contains(" 0/0 "),
            "{listing}"
        );
        let contents = duct::cmd!("tar", "-xzOf", &archive, "usr/lib/libz.so.1.3.1").read()?;
        assert_eq!(contents, "fixture zlib for aarch64: /usr/lib/libz.so.1.3.1");
        Ok(())
    }
}
