//! First-use setup of clang for a target, as xx-cc does it: the linker
//! choice, `<triple>.cfg`, the `<triple>-clang`/`-clang++`/`-cc`/`-c++`
//! shims, `<triple>-pkg-config`, the LLVM tool aliases and the plain
//! `clang` shims in `/usr/local/bin`.
//!
//! Setup runs under the lock file, writes every file atomically and writes
//! `<bin>/<triple>.cfg` last: its existence means the setup is complete, so
//! later runs (and concurrent ones that waited for the lock) return at once.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::clang_config::{self, ConfigSpec, TargetRoot};
use crate::crossfile::CrossSpec;
use crate::error::{Result, ToolchainError};
use crate::layout::Layout;
use crate::linker::{self, LinkerChoice, LinkerPrefs, ToolProbe};
use crate::shim;
use crate::spec::{CcTarget, TargetOs};
use xx_files::{exists_no_follow, symlink_atomic, write_atomic, Change, FileLock};
use xx_platform::HostInfo;

/// LLVM tools aliased as `<triple>-<tool>` when the target has none.
pub const LLVM_TOOL_ALIASES: &[&str] = &[
    "addr2line",
    "ar",
    "ranlib",
    "nm",
    "dlltool",
    "strip",
    "readelf",
    "profdata",
    "objcopy",
    "objdump",
];

/// Compiler front-end names xx-cc writes `<triple>-` shims for, and the
/// compiler each runs.
pub const COMPILER_ALIASES: &[(&str, Compiler)] = &[
    ("clang", Compiler::Clang),
    ("clang++", Compiler::ClangXX),
    ("cc", Compiler::Clang),
    ("c++", Compiler::ClangXX),
];

/// Which clang driver a tool runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compiler {
    /// `clang` (for `xx-clang` and `xx-cc`).
    Clang,
    /// `clang++` (for `xx-clang++` and `xx-c++`).
    ClangXX,
}

impl Compiler {
    /// The program name (`clang`, `clang++`).
    pub fn program(self) -> &'static str {
        match self {
            Compiler::Clang => "clang",
            Compiler::ClangXX => "clang++",
        }
    }

    /// The xx-rs tool that runs it (`xx-clang`, `xx-clang++`).
    pub fn tool(self) -> &'static str {
        match self {
            Compiler::Clang => "xx-clang",
            Compiler::ClangXX => "xx-clang++",
        }
    }
}

/// Everything setup needs besides the target.
pub struct Setup<'a> {
    /// Where files go.
    pub layout: &'a Layout,
    /// The build machine (or root) xx-clang sets up in.
    pub host: &'a HostInfo,
    /// The triple of the build machine itself (`xx-info triple` without
    /// `TARGET*`): setup for it writes the default config.
    pub native_triple: String,
    /// `XX_CC_PREFER_LINKER` / `XX_CC_PREFER_STATIC_LINKER`.
    pub prefs: LinkerPrefs,
    /// Installs a missing GNU ld (`binutils-<triple>`); `None` when nothing
    /// may be installed (`XX_NO_DOWNLOAD`).
    pub installer: Option<&'a dyn PackageInstaller>,
    /// Whether to take the lock (`XX_CC_NOLOCK` unset).
    pub use_lock: bool,
    /// The xx-rs binary the plain `clang`/`clang++` shims in the local bin
    /// directory run, as xx writes them; `None` writes no such shims (see
    /// the `xx` crate for when they are written).
    pub plain_shims: Option<PathBuf>,
    /// What exists on the machine.
    pub probe: &'a dyn ToolProbe,
}

/// Installs packages of the build machine for setup: the GNU cross
/// binutils that link targets lld cannot. The `xx` binary implements it
/// with xx-apt-get's installer (one install path, one lock for every tool).
pub trait PackageInstaller {
    /// Install the build machine's package `package`; progress and errors
    /// go to `log`. The error is one line naming the package.
    fn install_host_package(
        &self,
        package: &str,
        log: &mut dyn Write,
    ) -> std::result::Result<(), String>;
}

/// What a setup did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SetupReport {
    /// Files and links written, in order.
    pub written: Vec<PathBuf>,
}

impl Setup<'_> {
    /// Whether `triple` is set up already (its config file exists).
    pub fn is_done(&self, triple: &str) -> bool {
        self.layout.target_config(triple).is_file()
    }

    /// Set up `target` unless that was done before. `log` receives
    /// warnings and the output of package installs.
    pub fn ensure(
        &self,
        target: &CcTarget,
        compiler: Compiler,
        log: &mut dyn Write,
    ) -> Result<SetupReport> {
        if self.is_done(&target.triple) {
            return Ok(SetupReport::default());
        }
        let _lock = if self.use_lock {
            Some(FileLock::acquire(&self.layout.lock_file)?)
        } else {
            None
        };
        if self.is_done(&target.triple) {
            return Ok(SetupReport::default());
        }
        self.run(target, compiler, log)
    }

    fn run(
        &self,
        target: &CcTarget,
        compiler: Compiler,
        log: &mut dyn Write,
    ) -> Result<SetupReport> {
        let layout = self.layout;
        let compiler_path = layout.bin(compiler.program());
        if !compiler_path.is_file() {
            return Err(ToolchainError::CompilerMissing {
                path: compiler_path,
            });
        }
        let mut report = SetupReport::default();
        let mut record = |path: &Path, change: Change| {
            if change != Change::Unchanged {
                report.written.push(path.to_path_buf());
            }
        };

        let linker = self.choose_linker(target, log)?;
        if let Some((ld, link)) = &linker.link_host_ld {
            record(link, symlink_atomic(ld, link)?);
        }

        let triple = target.triple.as_str();
        let native = triple == self.native_triple;
        if native && !layout.default_config.is_file() {
            let text = clang_config::default_config_text(&linker.fuse_ld);
            record(
                &layout.default_config,
                write_atomic(&layout.default_config, &text, 0o644)?,
            );
        }

        let plain_clang = layout.local_bin_dir.join("clang");
        if let (Some(xx), false) = (&self.plain_shims, exists_no_follow(&plain_clang)) {
            for compiler in [Compiler::Clang, Compiler::ClangXX] {
                let path = layout.local_bin_dir.join(compiler.program());
                if !exists_no_follow(&path) {
                    let fallback = layout.bin_dir.join(compiler.program());
                    let text = shim::plain_compiler(xx, compiler.tool(), &fallback);
                    record(&path, write_atomic(&path, &text, 0o755)?);
                }
            }
        }

        let root = self.target_root(target, native);
        self.write_pkg_config(target, &root, &mut record)?;

        let config_link = layout.target_config(triple);
        for (name, compiler) in COMPILER_ALIASES {
            let program = layout.bin(compiler.program());
            if !program.is_file() {
                let _ = writeln!(log, "{} not found: skipping", program.display());
                continue;
            }
            let path = layout.alias(triple, name);
            // xx rewrites <triple>-clang{,++}; the extra -cc/-c++ names are
            // left alone when something else provides them.
            let foreign =
                !name.starts_with("clang") && exists_no_follow(&path) && !shim::is_ours_file(&path);
            if foreign {
                continue;
            }
            let text = shim::compiler(&program, &config_link);
            record(&path, write_atomic(&path, &text, 0o755)?);
        }

        let clang_dir = self.clang_dir();
        for tool in LLVM_TOOL_ALIASES {
            let alias = format!("{triple}-{tool}");
            if self.probe.which(&alias).is_some() {
                continue;
            }
            let Some(program) = self.llvm_tool(&clang_dir, tool) else {
                continue;
            };
            let path = layout.bin_dir.join(&alias);
            if target.has_dot() {
                record(&path, write_atomic(&path, &shim::forward(&program), 0o755)?);
            } else {
                let relative = self.relative_to_bin(&program);
                record(&path, symlink_atomic(&relative, &path)?);
            }
        }
        if target.os == TargetOs::Windows {
            self.write_windres(target, &clang_dir, &mut record)?;
        }
        if self.host.alpine_release {
            self.link_alpine_vendor(target, &mut record)?;
        }

        let spec = ConfigSpec {
            clang_target: target.clang_target(),
            triple: triple.to_string(),
            fuse_ld: linker.fuse_ld.clone(),
            root,
        };
        let text = clang_config::target_config_text(&spec);
        let real_config = clang_dir.join(format!("{triple}.cfg"));
        record(&real_config, write_atomic(&real_config, &text, 0o644)?);
        if real_config != config_link {
            record(&config_link, symlink_atomic(&real_config, &config_link)?);
        }
        Ok(report)
    }

    /// Pick the linker, installing `binutils-<triple>` with apt-get when
    /// nothing suitable exists (or `XX_CC_PREFER_LINKER=ld` asks for it).
    pub fn choose_linker(&self, target: &CcTarget, log: &mut dyn Write) -> Result<LinkerChoice> {
        let bin_dir = &self.layout.bin_dir;
        let mut plan = linker::plan(target, &self.prefs, self.probe, bin_dir);
        if let (true, Some(installer)) = (plan.want_binutils, self.installer) {
            if let Some(package) = linker::binutils_package(target) {
                match installer.install_host_package(&package, log) {
                    Ok(()) => plan = linker::plan(target, &self.prefs, self.probe, bin_dir),
                    Err(err) => {
                        let _ = writeln!(log, "{err}");
                    }
                }
            }
        }
        if let Some(warning) = &plan.warning {
            let _ = writeln!(log, "{warning}");
        }
        plan.choice.ok_or_else(|| ToolchainError::NoLinker {
            triple: target.triple.clone(),
            hint: match linker::binutils_package(target) {
                Some(package) => {
                    format!(" (e.g. `xx-apt-get install -y binutils`, Debian package {package})")
                }
                None => String::new(),
            },
        })
    }

    fn target_root(&self, target: &CcTarget, native: bool) -> TargetRoot {
        if native {
            return TargetRoot::Native;
        }
        match target.os {
            TargetOs::Darwin => TargetRoot::MacSdk(self.host.macos_sdk_path().to_string()),
            TargetOs::Windows => mingw_root(&target.triple),
            _ if self.host.alpine_release => TargetRoot::AlpineSysroot,
            TargetOs::Linux if self.host.is_debian_family() && target.is_glibc() => {
                match target.arch {
                    Some(row) => TargetRoot::Multiarch(row.debian_multiarch.to_string()),
                    None => TargetRoot::Default,
                }
            }
            _ => TargetRoot::Default,
        }
    }

    fn write_pkg_config(
        &self,
        target: &CcTarget,
        root: &TargetRoot,
        record: &mut dyn FnMut(&Path, Change),
    ) -> Result<()> {
        let path = self.layout.alias(&target.triple, "pkg-config");
        match root {
            TargetRoot::Native if !exists_no_follow(&path) => {
                record(&path, symlink_atomic(Path::new("pkg-config"), &path)?);
            }
            TargetRoot::AlpineSysroot => {
                let text = shim::sysroot_pkg_config(&target.triple);
                record(&path, write_atomic(&path, &text, 0o755)?);
            }
            TargetRoot::Multiarch(tuple) if !exists_no_follow(&path) => {
                let text = shim::multiarch_pkg_config(tuple);
                record(&path, write_atomic(&path, &text, 0o755)?);
            }
            _ => {}
        }
        Ok(())
    }

    fn write_windres(
        &self,
        target: &CcTarget,
        clang_dir: &Path,
        record: &mut dyn FnMut(&Path, Change),
    ) -> Result<()> {
        let path = self.layout.alias(&target.triple, "windres");
        if exists_no_follow(&path) {
            return Ok(());
        }
        if let Some(windres) = self.llvm_tool(clang_dir, "windres") {
            // llvm-windres reads the target from the triple in its name.
            let relative = self.relative_to_bin(&windres);
            record(&path, symlink_atomic(&relative, &path)?);
        } else if self.probe.which("llvm-rc").is_some() && self.probe.which("xx-windres").is_some()
        {
            let text = shim::xx_windres(&target.triple);
            record(&path, write_atomic(&path, &text, 0o755)?);
        }
        Ok(())
    }

    /// On Alpine, a triple with another vendor (`aarch64-unknown-linux-musl`)
    /// gets links to the Alpine-named directories of its root.
    fn link_alpine_vendor(
        &self,
        target: &CcTarget,
        record: &mut dyn FnMut(&Path, Change),
    ) -> Result<()> {
        let alpine = alpine_triple(&target.triple);
        if alpine == target.triple {
            return Ok(());
        }
        let root = self.layout.prefix.join(&alpine);
        let mut found = Vec::new();
        if root.is_dir() {
            found.push(root.clone());
            find_dirs_named(&root, &alpine, 6, &mut found);
        }
        for dir in found {
            let link = dir.with_file_name(&target.triple);
            if !exists_no_follow(&link) {
                record(&link, symlink_atomic(Path::new(&alpine), &link)?);
            }
        }
        Ok(())
    }

    /// The directory of the real clang binary (`/usr/lib/llvm-14/bin`),
    /// where xx keeps `<triple>.cfg`; the bin directory when that is
    /// outside the prefix.
    pub fn clang_dir(&self) -> PathBuf {
        let clang = self.layout.bin("clang");
        clang
            .canonicalize()
            .ok()
            .and_then(|real| real.parent().map(Path::to_path_buf))
            .filter(|dir| self.layout.contains(dir))
            .unwrap_or_else(|| self.layout.bin_dir.clone())
    }

    /// `llvm-<tool>` in the bin directory, else next to the real clang.
    fn llvm_tool(&self, clang_dir: &Path, tool: &str) -> Option<PathBuf> {
        let name = format!("llvm-{tool}");
        [self.layout.bin_dir.join(&name), clang_dir.join(&name)]
            .into_iter()
            .find(|path| path.is_file())
    }

    fn relative_to_bin(&self, program: &Path) -> PathBuf {
        match program.strip_prefix(&self.layout.bin_dir) {
            Ok(name) => name.to_path_buf(),
            Err(_) => program.to_path_buf(),
        }
    }

    /// What CMake and Meson need for `target` (set up before).
    pub fn cross_spec(&self, target: &CcTarget, oci_os: &str) -> CrossSpec {
        let triple = &target.triple;
        let native = *triple == self.native_triple;
        let tool = |name: &str| {
            let path = self.layout.alias(triple, name);
            if path.exists() {
                Some(path)
            } else {
                self.probe.which(&format!("{triple}-{name}"))
            }
        };
        let row = target.arch;
        let processor = match (row, target.os) {
            (Some(row), TargetOs::Darwin) => row.darwin_march.unwrap_or(row.march),
            (Some(row), _) => row.march,
            (None, _) => triple.split('-').next().unwrap_or_default(),
        };
        let sysroot = match self.target_root(target, native) {
            TargetRoot::AlpineSysroot => Some(format!("/{triple}/")),
            TargetRoot::MacSdk(sdk) => Some(sdk),
            _ => None,
        };
        let library_architecture = match self.target_root(target, native) {
            TargetRoot::Multiarch(tuple) => Some(tuple),
            TargetRoot::Native if self.host.is_debian_family() => {
                row.map(|row| row.debian_multiarch.to_string())
            }
            _ => None,
        };
        let emulator = match row {
            Some(row) if !native && target.os == TargetOs::Linux => self
                .probe
                .which(&format!("qemu-{}", row.qemu))
                .map(|qemu| {
                    vec![
                        qemu.to_string_lossy().into_owned(),
                        "-L".to_string(),
                        sysroot.clone().unwrap_or_else(|| "/".to_string()),
                    ]
                })
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        CrossSpec {
            clang_target: target.clang_target(),
            os: if oci_os.is_empty() {
                "linux".into()
            } else {
                oci_os.into()
            },
            processor: processor.to_string(),
            cpu_family: row
                .map_or(processor, |row| row.meson_cpu_family)
                .to_string(),
            endian: row.map_or("little", |row| row.endian.as_str()).to_string(),
            c_compiler: self.layout.alias(triple, "clang"),
            cxx_compiler: self.layout.alias(triple, "clang++"),
            ar: tool("ar"),
            ranlib: tool("ranlib"),
            nm: tool("nm"),
            strip: tool("strip"),
            objcopy: tool("objcopy"),
            windres: (target.os == TargetOs::Windows)
                .then(|| tool("windres"))
                .flatten(),
            pkg_config: tool("pkg-config"),
            sysroot,
            library_architecture,
            emulator,
        }
    }

    /// `--print-prog-name=pkg-config` as clang answers it for the target.
    pub fn pkg_config_program(&self, triple: &str) -> String {
        let alias = self.layout.alias(triple, "pkg-config");
        if alias.exists() {
            return alias.to_string_lossy().into_owned();
        }
        self.probe
            .which(&format!("{triple}-pkg-config"))
            .or_else(|| self.probe.which("pkg-config"))
            .map_or_else(
                || "pkg-config".to_string(),
                |p| p.to_string_lossy().into_owned(),
            )
    }
}

/// Debian's MinGW GCC runtime for `triple`: the newest
/// `/usr/lib/gcc/<triple>/<version>[-win32|-posix]` holding `libgcc.a`
/// (the `-win32` flavour, Debian's default, first) and its libstdc++
/// header directories.
fn mingw_root(triple: &str) -> TargetRoot {
    let base = PathBuf::from(format!("/usr/lib/gcc/{triple}"));
    let mut candidates: Vec<(u32, u8, PathBuf)> = std::fs::read_dir(&base)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            let (version, flavour) = match name.split_once('-') {
                Some((version, "win32")) => (version.to_string(), 2),
                Some((version, _)) => (version.to_string(), 0),
                None => (name.clone(), 1),
            };
            let major = version.split('.').next()?.parse::<u32>().ok()?;
            let path = entry.path();
            path.join("libgcc.a")
                .is_file()
                .then_some((major, flavour, path))
        })
        .collect();
    candidates.sort();
    let Some((_, _, dir)) = candidates.pop() else {
        return TargetRoot::Mingw {
            gcc_lib_dir: None,
            cxx_include_dirs: Vec::new(),
        };
    };
    let cxx = dir.join("include/c++");
    let cxx_include_dirs = [cxx.clone(), cxx.join(triple), cxx.join("backward")]
        .into_iter()
        .filter(|dir| dir.is_dir())
        .map(|dir| dir.to_string_lossy().into_owned())
        .collect();
    TargetRoot::Mingw {
        gcc_lib_dir: Some(dir.to_string_lossy().into_owned()),
        cxx_include_dirs,
    }
}

/// The triple with Alpine's vendor (`aarch64-unknown-linux-musl` ->
/// `aarch64-alpine-linux-musl`, `riscv64gc-` -> `riscv64-`).
pub fn alpine_triple(triple: &str) -> String {
    let parts: Vec<&str> = triple.split('-').collect();
    let mut out: Vec<String> = parts.iter().map(|s| s.to_string()).collect();
    if let Some(index) = (1..parts.len().saturating_sub(1))
        .find(|&i| !parts[i].is_empty() && parts[i].bytes().all(|b| b.is_ascii_alphabetic()))
    {
        out[index] = "alpine".into();
    }
    xx_platform::arch::clang_triple(&out.join("-"))
}

fn find_dirs_named(dir: &Path, name: &str, depth: usize, found: &mut Vec<PathBuf>) {
    if depth == 0 {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if !kind.is_dir() {
            continue;
        }
        let path = entry.path();
        if entry.file_name() == name {
            found.push(path.clone());
        }
        find_dirs_named(&path, name, depth - 1, found);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alpine_vendor_rewrite() {
        assert_eq!(
            alpine_triple("aarch64-unknown-linux-musl"),
            "aarch64-alpine-linux-musl"
        );
        assert_eq!(
            alpine_triple("aarch64-alpine-linux-musl"),
            "aarch64-alpine-linux-musl"
        );
        assert_eq!(
            alpine_triple("riscv64gc-unknown-linux-musl"),
            "riscv64-alpine-linux-musl"
        );
    }
}
