//! The glibc floor's files: fetching Debian 11's glibc for a target
//! architecture and building a floor's stub libraries (see
//! [`crate::glibc_floor`] for the decisions).
//!
//! Everything lives below `<prefix>/var/cache/xx-rs/glibc`:
//! `bullseye-<arch>/{apt,debs,root}` (bullseye's `libc6` and `libc6-dev`,
//! fetched with `apt-get download` under a private apt configuration that
//! leaves the machine's sources alone, unpacked with `dpkg -x`) and
//! `<tuple>/<floor>/` (stubs, linker scripts, start files, the table of
//! left-out symbols, the shims xx-cargo and xx-go point at). Each is built
//! in a temporary folder next to it under a lock and renamed into place
//! with its stamp written last, so concurrent first runs wait for one
//! build and a crash leaves nothing half-written.

use std::path::{Path, PathBuf};
use std::process::Command;

use xx_files::{write_atomic, FileLock};
use xx_inspect::GlibcVersion;

use crate::error::{Result, ToolchainError};
use crate::glibc_floor::{self, FloorPaths, FloorSource, TooNew};
use crate::layout::Layout;

/// Bump when the floor recipe changes: floors built by another recipe are
/// built again.
const RECIPE: &str = "3";

/// The stamp file of a complete floor or bullseye root.
const STAMP: &str = ".xx-rs-glibc";

/// Overrides the Debian archive bullseye's glibc is fetched from.
pub const MIRROR_VAR: &str = "XX_GLIBC_MIRROR";

/// The architectures a suite's `InRelease` in `lists` offers (its
/// `Architectures:` field), empty when unknown.
fn release_architectures(lists: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(lists) else {
        return Vec::new();
    };
    for entry in entries.flatten() {
        if !entry.file_name().to_string_lossy().ends_with("_InRelease") {
            continue;
        }
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        if let Some(line) = text
            .lines()
            .find_map(|line| line.strip_prefix("Architectures:"))
        {
            return line
                .split_whitespace()
                .filter(|arch| *arch != "all")
                .map(str::to_string)
                .collect();
        }
    }
    Vec::new()
}

/// Debian's default archive, when the machine's apt sources name none.
pub const DEFAULT_MIRROR: &str = "http://deb.debian.org/debian";

/// What building a floor needs to know about the target.
#[derive(Debug, Clone)]
pub struct FloorTarget {
    /// Debian's multiarch directory name (`aarch64-linux-gnu`).
    pub tuple: String,
    /// Debian's architecture name (`arm64`).
    pub debian_arch: String,
    /// `--target=` for clang (`aarch64-linux-gnu`).
    pub clang_target: String,
    /// The linker setup chose (`lld`, `/usr/bin/s390x-linux-gnu-ld`).
    pub fuse_ld: String,
}

/// A built floor.
#[derive(Debug, Clone)]
pub struct Floor {
    /// `<cache>/<tuple>/<floor>`.
    pub dir: PathBuf,
    /// The floor.
    pub version: GlibcVersion,
    /// Paths for [`glibc_floor::clang_args`] (C++ include dirs empty; see
    /// [`Floor::paths_for_cxx`]).
    pub paths: FloorPaths,
}

impl Floor {
    /// The left-out symbols (`too-new.tsv`).
    pub fn too_new(&self) -> std::collections::BTreeMap<String, (GlibcVersion, String)> {
        let text = std::fs::read_to_string(self.dir.join("too-new.tsv")).unwrap_or_default();
        glibc_floor::parse_too_new(&text)
    }

    /// The shim `<dir>/bin/<triple>-<compiler>` that runs xx-clang (or
    /// xx-clang++) for `triple` at this floor, written when missing.
    /// `cc_prefix` is xx-clang's `XX_CC_PREFIX` when it is not `/`.
    pub fn ensure_shim(
        &self,
        xx: &Path,
        triple: &str,
        cxx: bool,
        cc_prefix: Option<&Path>,
    ) -> Result<PathBuf> {
        let (name, tool) = if cxx {
            ("clang++", "xx-clang++")
        } else {
            ("clang", "xx-clang")
        };
        let path = self.dir.join("bin").join(format!("{triple}-{name}"));
        let prefix = cc_prefix
            .map(|prefix| {
                format!(
                    "{}={} ",
                    crate::layout::PREFIX_VAR,
                    crate::shim::shell_quote(&prefix.to_string_lossy())
                )
            })
            .unwrap_or_default();
        // Rewritten when it differs (another xx binary, another prefix).
        let text = format!(
            "#!/bin/sh\n# xx-rs: {tool} for {triple} with the glibc floor {floor}\n{prefix}{var}={floor} exec {xx} {arg}{tool} --target={triple} \"$@\"\n",
            floor = self.version,
            var = glibc_floor::FLOOR_VAR,
            xx = crate::shim::shell_quote(&xx.to_string_lossy()),
            arg = crate::shim::TOOL_ARG,
        );
        write_atomic(&path, &text, 0o755)?;
        Ok(path)
    }
}

/// `<prefix>/var/cache/xx-rs/glibc`.
pub fn cache_dir(layout: &Layout) -> PathBuf {
    layout.prefix.join("var/cache/xx-rs/glibc")
}

/// The build machine's glibc (`getconf GNU_LIBC_VERSION`).
pub fn installed_glibc() -> Result<GlibcVersion> {
    let output = Command::new("getconf")
        .arg("GNU_LIBC_VERSION")
        .output()
        .map_err(|source| ToolchainError::Command {
            command: "getconf GNU_LIBC_VERSION".into(),
            source,
        })?;
    let text = String::from_utf8_lossy(&output.stdout);
    text.split_whitespace()
        .nth(1)
        .and_then(|version| version.parse().ok())
        .ok_or_else(|| {
            ToolchainError::Floor(format!(
                "cannot read the installed glibc version from `getconf GNU_LIBC_VERSION` ({:?})",
                text.trim()
            ))
        })
}

/// The Debian archive of the machine's apt sources (the first `http(s)`
/// URI ending in `/debian`), else [`DEFAULT_MIRROR`].
pub fn debian_mirror(root: &Path) -> String {
    let mut files = vec![root.join("etc/apt/sources.list")];
    if let Ok(entries) = std::fs::read_dir(root.join("etc/apt/sources.list.d")) {
        let mut more: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        more.sort();
        files.extend(more);
    }
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        for line in text.lines() {
            if line.trim_start().starts_with('#') {
                continue;
            }
            for word in line.split_whitespace() {
                let uri = word.trim_end_matches('/');
                if (uri.starts_with("http://") || uri.starts_with("https://"))
                    && uri.ends_with("/debian")
                {
                    return uri.to_string();
                }
            }
        }
    }
    DEFAULT_MIRROR.to_string()
}

/// Build (once) and return the floor `floor` for `target`. `clang` is the
/// compiler that builds the stubs, `ar` the archiver, `mirror` the Debian
/// archive bullseye comes from.
pub fn ensure_floor(
    layout: &Layout,
    target: &FloorTarget,
    floor: GlibcVersion,
    clang: &Path,
    ar: &Path,
    mirror: &str,
) -> Result<Floor> {
    let cache = cache_dir(layout);
    let source = FloorSource::for_floor(floor);
    let bullseye = match source {
        FloorSource::Bullseye => Some(ensure_bullseye(&cache, &target.debian_arch, mirror)?),
        FloorSource::Installed => None,
    };
    let dir = cache.join(&target.tuple).join(floor.to_string());
    let key = source_key(bullseye.as_deref(), &target.tuple);
    let floor_files = Floor {
        version: floor,
        paths: FloorPaths {
            lib_dir: dir.join("lib"),
            cxx_lib_dir: dir.join("lib/cxx"),
            include_dir: bullseye.as_ref().map(|root| root.join("usr/include")),
            tuple: target.tuple.clone(),
            cxx_include_dirs: Vec::new(),
        },
        dir: dir.clone(),
    };
    if stamp_matches(&dir, &key) {
        return Ok(floor_files);
    }
    let parent = cache.join(&target.tuple);
    create_dir(&parent)?;
    let _lock = FileLock::acquire(&parent.join(".lock"))?;
    if stamp_matches(&dir, &key) {
        return Ok(floor_files);
    }
    let staging = tempfile::Builder::new()
        .prefix(&format!(".{floor}."))
        .tempdir_in(&parent)
        .map_err(|err| ToolchainError::io("create a folder in", &parent, err))?;
    let sources = match &bullseye {
        Some(root) => SourceDirs {
            libs: vec![root.join("lib").join(&target.tuple)],
            dev: root.join("usr/lib").join(&target.tuple),
        },
        None => SourceDirs {
            libs: vec![
                PathBuf::from("/lib").join(&target.tuple),
                PathBuf::from("/usr/lib").join(&target.tuple),
            ],
            dev: PathBuf::from("/usr/lib").join(&target.tuple),
        },
    };
    let builder = Builder {
        target,
        floor,
        clang,
        ar,
        final_lib: dir.join("lib"),
        lib: staging.path().join("lib"),
        work: staging.path().join("work"),
        copy_start_files: bullseye.is_some(),
    };
    builder.build(&sources)?;
    remove_dir(&builder.work)?;
    write_atomic(&staging.path().join(STAMP), &key, 0o644)?;
    if dir.exists() {
        let old = parent.join(format!(".{floor}.old"));
        remove_dir(&old)?;
        std::fs::rename(&dir, &old).map_err(|err| ToolchainError::io("move away", &dir, err))?;
        remove_dir(&old)?;
    }
    let staged = staging.keep();
    std::fs::rename(&staged, &dir)
        .map_err(|err| ToolchainError::io("move into place", &dir, err))?;
    Ok(floor_files)
}

fn stamp_matches(dir: &Path, key: &str) -> bool {
    std::fs::read_to_string(dir.join(STAMP)).is_ok_and(|stamp| stamp == key)
}

/// What a floor was built from: the recipe and either bullseye's packages
/// or the installed libc.so.6 (path, size, modification time).
fn source_key(bullseye: Option<&Path>, tuple: &str) -> String {
    match bullseye {
        Some(root) => format!(
            "{RECIPE}\nbullseye\n{}",
            std::fs::read_to_string(root.join(STAMP)).unwrap_or_default()
        ),
        None => {
            let libc = PathBuf::from("/usr/lib").join(tuple).join("libc.so.6");
            let (size, modified) = std::fs::metadata(&libc)
                .map(|m| {
                    (
                        m.len(),
                        m.modified()
                            .ok()
                            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                            .map_or(0, |d| d.as_secs()),
                    )
                })
                .unwrap_or((0, 0));
            format!(
                "{RECIPE}\ninstalled\n{} {size} {modified}\n",
                libc.display()
            )
        }
    }
}

fn create_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|err| ToolchainError::io("create", dir, err))
}

fn remove_dir(dir: &Path) -> Result<()> {
    match std::fs::remove_dir_all(dir) {
        Err(err) if err.kind() != std::io::ErrorKind::NotFound => {
            Err(ToolchainError::io("remove", dir, err))
        }
        _ => Ok(()),
    }
}

struct SourceDirs {
    /// Where the runtime libraries are (`lib/<tuple>`).
    libs: Vec<PathBuf>,
    /// Where start files and libc_nonshared.a are (`usr/lib/<tuple>`).
    dev: PathBuf,
}

struct Builder<'a> {
    target: &'a FloorTarget,
    floor: GlibcVersion,
    clang: &'a Path,
    ar: &'a Path,
    /// Where `lib` will be once in place (linker scripts name it).
    final_lib: PathBuf,
    lib: PathBuf,
    work: PathBuf,
    copy_start_files: bool,
}

impl Builder<'_> {
    fn build(&self, sources: &SourceDirs) -> Result<()> {
        create_dir(&self.lib.join("cxx"))?;
        create_dir(&self.work)?;
        let find = |name: &str| {
            sources
                .libs
                .iter()
                .map(|dir| dir.join(name))
                .find(|path| path.is_file())
        };
        let libc = find("libc.so.6").ok_or_else(|| {
            ToolchainError::Floor(format!(
                "no libc.so.6 for {} in {}: install the target's C library first (`xx-apt-get install libc6-dev`)",
                self.target.tuple,
                sources.libs.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(" or ")
            ))
        })?;
        let mut libraries = vec![("libc.so.6".to_string(), libc)];
        for soname in &glibc_floor::STUB_SONAMES[1..] {
            if let Some(path) = find(soname) {
                libraries.push((soname.to_string(), path));
            }
        }
        let loader = sources
            .libs
            .iter()
            .filter_map(|dir| std::fs::read_dir(dir).ok())
            .flat_map(|entries| entries.flatten())
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .find(|name| glibc_floor::is_loader_name(name))
            .ok_or_else(|| {
                ToolchainError::Floor(format!(
                    "no dynamic loader (ld-linux*.so.*) for {}",
                    self.target.tuple
                ))
            })?;
        let loader_path = find(&loader).unwrap_or_default();
        libraries.push((loader.clone(), loader_path));

        let mut provided = std::collections::BTreeSet::new();
        let mut too_new: Vec<TooNew> = Vec::new();
        for (soname, path) in &libraries {
            let bytes = std::fs::read(path).map_err(|err| ToolchainError::io("read", path, err))?;
            let exports = xx_inspect::read_exports(&bytes).map_err(|err| {
                ToolchainError::Floor(format!(
                    "cannot read the symbols of {}: {err}",
                    path.display()
                ))
            })?;
            let plan = glibc_floor::plan_stubs(soname, &exports, self.floor);
            provided.extend(plan.symbols.iter().map(|s| s.name.clone()));
            too_new.extend(plan.too_new.iter().cloned());
            self.build_stub(&plan)?;
            if soname != "libc.so.6" && !glibc_floor::is_loader_name(soname) {
                let link_name = format!("{}.so", soname.split(".so").next().unwrap_or(soname));
                write_atomic(
                    &self.lib.join(&link_name),
                    &glibc_floor::render_input_script(&self.final_lib.join(soname)),
                    0o644,
                )?;
            }
        }
        // Functions newer than the source (arc4random, 2.36, for a
        // bullseye floor) are named from the installed glibc, if any.
        for soname in glibc_floor::STUB_SONAMES {
            let installed = PathBuf::from("/usr/lib")
                .join(&self.target.tuple)
                .join(soname);
            if sources.libs.iter().any(|dir| installed.starts_with(dir)) {
                continue;
            }
            if let Ok(bytes) = std::fs::read(&installed) {
                if let Ok(exports) = xx_inspect::read_exports(&bytes) {
                    let plan = glibc_floor::plan_stubs(soname, &exports, self.floor);
                    too_new.extend(plan.too_new);
                }
            }
        }
        too_new.retain(|entry| !provided.contains(&entry.name));
        too_new.sort();
        too_new.dedup_by(|a, b| a.name == b.name);
        write_atomic(
            &self.lib.parent().unwrap_or(&self.lib).join("too-new.tsv"),
            &glibc_floor::render_too_new(&too_new),
            0o644,
        )?;

        let mut files = vec!["libc_nonshared.a"];
        if self.copy_start_files {
            files.extend([
                "crt1.o", "Scrt1.o", "crti.o", "crtn.o", "gcrt1.o", "rcrt1.o", "grcrt1.o",
                "Mcrt1.o",
            ]);
        }
        for name in files {
            let from = sources.dev.join(name);
            if from.is_file() {
                std::fs::copy(&from, self.lib.join(name))
                    .map_err(|err| ToolchainError::io("copy", &from, err))?;
            } else if name == "libc_nonshared.a" || name == "crt1.o" {
                return Err(ToolchainError::Floor(format!(
                    "no {} for {}: install the target's libc6-dev (`xx-apt-get install libc6-dev`)",
                    from.display(),
                    self.target.tuple
                )));
            }
        }

        let merged: Vec<&str> = glibc_floor::MERGED_SONAMES
            .iter()
            .copied()
            .filter(|soname| libraries.iter().any(|(name, _)| name == soname))
            .collect();
        for (cxx, dir, archive) in [
            (false, self.lib.clone(), "libxx_glibc_compat.a"),
            (true, self.lib.join("cxx"), "libxx_glibcxx_compat.a"),
        ] {
            let built = self.build_compat(cxx, &self.lib.join(archive))?;
            let archives: Vec<&str> = if built { vec![archive] } else { vec![] };
            let mut text =
                glibc_floor::render_libc_script(&self.final_lib, &loader, &archives, &merged);
            if cxx {
                // The C++ script lives in lib/cxx; its parts are in lib.
                text = text.replace("/* xx-rs glibc floor */", "/* xx-rs glibc floor (C++) */");
            }
            write_atomic(&dir.join("libc.so"), &text, 0o644)?;
        }
        Ok(())
    }

    fn build_stub(&self, plan: &glibc_floor::StubPlan) -> Result<()> {
        let asm = self.work.join(format!("{}.s", plan.soname));
        let map = self.work.join(format!("{}.map", plan.soname));
        write_atomic(&asm, &glibc_floor::render_stub_asm(plan), 0o644)?;
        write_atomic(&map, &glibc_floor::render_version_script(plan), 0o644)?;
        let mut command = Command::new(self.clang);
        command
            .arg(format!("--target={}", self.target.clang_target))
            .args(["-shared", "-nostdlib", "-Wno-unused-command-line-argument"])
            .arg(format!("-fuse-ld={}", self.target.fuse_ld))
            .arg(format!("-Wl,--version-script={}", map.display()))
            .arg(format!("-Wl,-soname,{}", plan.soname))
            .arg("-o")
            .arg(self.lib.join(&plan.soname))
            .arg(&asm);
        run(&mut command)
    }

    /// Build the compatibility archive for C (or C++); false when the
    /// floor needs none.
    fn build_compat(&self, cxx: bool, archive: &Path) -> Result<bool> {
        let sources = glibc_floor::compat_sources(self.floor, cxx);
        if sources.is_empty() {
            return Ok(false);
        }
        let suffix = if cxx { "cxx" } else { "c" };
        let mut objects = Vec::new();
        for (name, source) in sources {
            let c = self.work.join(format!("{name}-{suffix}.c"));
            let object = self.work.join(format!("xx_{name}.o"));
            write_atomic(&c, source, 0o644)?;
            let mut command = Command::new(self.clang);
            command
                .arg(format!("--target={}", self.target.clang_target))
                .args(["-c", "-O2", "-fPIC", "-nostdlibinc", "-w", "-o"])
                .arg(&object)
                .arg(&c);
            run(&mut command)?;
            objects.push(object);
        }
        let mut command = Command::new(self.ar);
        command.arg("rcs").arg(archive).args(&objects);
        run(&mut command)?;
        Ok(true)
    }
}

fn run(command: &mut Command) -> Result<()> {
    let line = format!("{command:?}");
    let output = command.output().map_err(|source| ToolchainError::Command {
        command: line.clone(),
        source,
    })?;
    if output.status.success() {
        return Ok(());
    }
    Err(ToolchainError::Floor(format!(
        "{line} failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr).trim()
    )))
}

/// The bullseye packages a floor below 2.34 is built from.
const BULLSEYE_PACKAGES: &[&str] = &["libc6", "libc6-dev"];

/// `<cache>/bullseye-<arch>/root`: bullseye's libc6 and libc6-dev for
/// `debian_arch`, fetched and unpacked once.
pub fn ensure_bullseye(cache: &Path, debian_arch: &str, mirror: &str) -> Result<PathBuf> {
    let dir = cache.join(format!("bullseye-{debian_arch}"));
    let root = dir.join("root");
    if root.join(STAMP).is_file() {
        return Ok(root);
    }
    create_dir(&dir)?;
    let _lock = FileLock::acquire(&dir.join(".lock"))?;
    if root.join(STAMP).is_file() {
        return Ok(root);
    }
    let apt = dir.join("apt");
    for sub in ["lists/partial", "cache/archives/partial", "parts"] {
        create_dir(&apt.join(sub))?;
    }
    let sources = apt.join("sources.list");
    write_atomic(
        &sources,
        &format!("deb [arch={debian_arch} signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] {mirror} bullseye main\n"),
        0o644,
    )?;
    write_atomic(&apt.join("status"), "", 0o644)?;
    let options = [
        format!("Dir::Etc::SourceList={}", sources.display()),
        format!("Dir::Etc::SourceParts={}", apt.join("parts").display()),
        format!("Dir::State::Lists={}", apt.join("lists").display()),
        format!("Dir::State::status={}", apt.join("status").display()),
        format!("Dir::Cache={}", apt.join("cache").display()),
        format!("APT::Architecture={debian_arch}"),
        format!("APT::Architectures::={debian_arch}"),
        "Acquire::Languages=none".to_string(),
        "APT::Sandbox::User=root".to_string(),
    ];
    let apt_get = |args: &[String], dir: &Path| -> Result<()> {
        let mut command = Command::new("apt-get");
        for option in &options {
            command.arg("-o").arg(option);
        }
        command.args(args).current_dir(dir);
        run(&mut command)
    };
    eprintln!("xx-clang: fetching Debian bullseye's glibc 2.31 for {debian_arch} from {mirror} (once; private apt lists in {})", apt.display());
    apt_get(&["update".into(), "-q".into()], &dir)?;
    let debs = tempfile::Builder::new()
        .prefix(".debs.")
        .tempdir_in(&dir)
        .map_err(|err| ToolchainError::io("create a folder in", &dir, err))?;
    let mut args = vec!["download".to_string(), "-q".to_string()];
    args.extend(
        BULLSEYE_PACKAGES
            .iter()
            .map(|p| format!("{p}:{debian_arch}")),
    );
    if let Err(err) = apt_get(&args, debs.path()) {
        let offered = release_architectures(&apt.join("lists"));
        if !offered.is_empty() && !offered.iter().any(|arch| arch == debian_arch) {
            return Err(ToolchainError::Floor(format!(
                "floors below {} need Debian 11 (bullseye)'s glibc for {debian_arch}, which {mirror} does not carry (its bullseye has {}); use XX_GLIBC={} or newer, or set {MIRROR_VAR} to a Debian archive that has bullseye for {debian_arch} (e.g. http://archive.debian.org/debian)",
                glibc_floor::INSTALLED_SOURCE_FROM,
                offered.join(" "),
                glibc_floor::INSTALLED_SOURCE_FROM,
            )));
        }
        return Err(err);
    }
    let staging = tempfile::Builder::new()
        .prefix(".root.")
        .tempdir_in(&dir)
        .map_err(|err| ToolchainError::io("create a folder in", &dir, err))?;
    let mut names = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(debs.path())
        .map_err(|err| ToolchainError::io("read", debs.path(), err))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "deb"))
        .collect();
    entries.sort();
    if entries.len() != BULLSEYE_PACKAGES.len() {
        return Err(ToolchainError::Floor(format!(
            "apt-get download fetched {} of bullseye's {} for {debian_arch}",
            entries.len(),
            BULLSEYE_PACKAGES.join(" ")
        )));
    }
    for deb in &entries {
        let mut command = Command::new("dpkg");
        command.arg("-x").arg(deb).arg(staging.path());
        run(&mut command)?;
        names.push(
            deb.file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned(),
        );
    }
    write_atomic(
        &staging.path().join(STAMP),
        &format!("{}\n", names.join("\n")),
        0o644,
    )?;
    remove_dir(&root)?;
    let staged = staging.keep();
    std::fs::rename(&staged, &root)
        .map_err(|err| ToolchainError::io("move into place", &root, err))?;
    // The package lists and apt's caches (~100 MB) are not needed again.
    remove_dir(&apt)?;
    Ok(root)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_architectures_come_from_in_release() {
        let lists = tempfile::tempdir().unwrap();
        assert!(release_architectures(lists.path()).is_empty());
        std::fs::write(
            lists
                .path()
                .join("deb.debian.org_debian_dists_bullseye_InRelease"),
            "Origin: Debian\nArchitectures: all amd64 arm64 armhf i386\nComponents: main\n",
        )
        .unwrap();
        assert_eq!(
            release_architectures(lists.path()),
            ["amd64", "arm64", "armhf", "i386"]
        );
    }

    /// A real floor from the build machine's own glibc (Debian 12 amd64;
    /// skipped elsewhere): stubs built with clang and lld in a temporary
    /// prefix, a program linked against them needs no newer glibc than the
    /// floor, and one calling a newer function does not link. Network-free:
    /// floors from 2.34 use the installed glibc.
    #[test]
    fn installed_floor_links_real_programs() {
        let tuple = "x86_64-linux-gnu";
        let libc = Path::new("/usr/lib/x86_64-linux-gnu/libc.so.6");
        // Debian's clang itself (not a wrapper another tool may have put
        // first on PATH).
        let clang = PathBuf::from("/usr/bin/clang");
        let Ok(ar) = which::which("llvm-ar") else {
            return;
        };
        let installed = installed_glibc().ok();
        if !libc.is_file()
            || which::which("ld.lld").is_err()
            || installed < Some(GlibcVersion::new(2, 35, 0))
        {
            return;
        }
        let prefix = tempfile::tempdir().unwrap();
        let layout = Layout::under(prefix.path());
        let target = FloorTarget {
            tuple: tuple.into(),
            debian_arch: "amd64".into(),
            clang_target: tuple.into(),
            fuse_ld: "lld".into(),
        };
        let floor = GlibcVersion::new(2, 34, 0);
        let built = ensure_floor(&layout, &target, floor, &clang, &ar, DEFAULT_MIRROR).unwrap();
        // A second call finds it complete.
        let again = ensure_floor(&layout, &target, floor, &clang, &ar, DEFAULT_MIRROR).unwrap();
        assert_eq!(again.dir, built.dir);
        assert!(built.dir.join("lib/libc.so.6").is_file());
        // _dl_find_object is GLIBC_2.35: left out at 2.34.
        assert!(built.too_new().contains_key("_dl_find_object"));

        let work = tempfile::tempdir().unwrap();
        let source = work.path().join("hello.c");
        std::fs::write(&source, "#include <stdio.h>\n#include <math.h>\nint main(int c, char **v) { printf(\"%f\\n\", sqrt((double)c)); return 0; }\n").unwrap();
        let out = work.path().join("hello");
        let status = Command::new(&clang)
            .arg(format!("--target={tuple}"))
            .arg("-fuse-ld=lld")
            .args(glibc_floor::clang_args(&built.paths, false))
            .arg("-o")
            .arg(&out)
            .arg(&source)
            .arg("-lm")
            .status()
            .unwrap();
        assert!(status.success());
        let info = xx_inspect::inspect_path(&out).unwrap();
        assert!(info.max_glibc <= Some(floor), "{:?}", info.max_glibc);
        assert!(Command::new(&out).status().unwrap().success());

        let newer = work.path().join("newer.c");
        std::fs::write(&newer, "extern void *_dl_find_object(void *, void *);\nint main(void) { return _dl_find_object(0, 0) != 0; }\n").unwrap();
        let output = Command::new(&clang)
            .arg(format!("--target={tuple}"))
            .arg("-fuse-ld=lld")
            .args(glibc_floor::clang_args(&built.paths, false))
            .arg("-o")
            .arg(work.path().join("newer"))
            .arg(&newer)
            .output()
            .unwrap();
        assert!(!output.status.success());
        let lines = glibc_floor::explain_link_errors(
            &String::from_utf8_lossy(&output.stderr),
            &built.too_new(),
            floor,
        );
        assert_eq!(
            lines.len(),
            1,
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            lines[0].contains("_dl_find_object needs glibc 2.35"),
            "{}",
            lines[0]
        );
    }

    #[test]
    fn mirror_comes_from_the_sources() {
        let root = tempfile::tempdir().unwrap();
        assert_eq!(debian_mirror(root.path()), DEFAULT_MIRROR);
        std::fs::create_dir_all(root.path().join("etc/apt/sources.list.d")).unwrap();
        std::fs::write(
            root.path().join("etc/apt/sources.list.d/debian.sources"),
            "Types: deb\n# http://snapshot.debian.org/archive/debian/2025\nURIs: http://mirror.example/debian/\nSuites: bookworm\n",
        )
        .unwrap();
        assert_eq!(debian_mirror(root.path()), "http://mirror.example/debian");
    }
}
