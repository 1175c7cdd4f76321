//! The one-time setup of a target: the C toolchain (xx-clang's setup, in
//! process, with xx-cargo's settings) and the Rust standard library
//! (installed through xx-apt-get's or xx-apk's installer, in process).

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use xx_buildenv::cargo::stdlib::{self, CompilerFacts, StdSource};
use xx_buildenv::cargo::{CargoTarget, HostCompilers, Tools};
use xx_pkg::apk_tool::ApkTool;
use xx_pkg::apt_tool::{AptTool, Output};
use xx_platform::{Overlay, Target, Vars};

use super::rust_tools::RustTools;
use crate::host::TargetContext;
use crate::toolchain::ClangEnv;
use xx_files::{ensure_dir, symlink_atomic};
use xx_toolchain::shim::is_ours_file;
use xx_toolchain::{CcTarget, Compiler, TargetOs};

use super::state::is_writable;

/// xx-cc's variable that moves its files below a directory.
const CC_PREFIX_VAR: &str = "XX_CC_PREFIX";
/// xx-cc's marker of `xx-clang --wrap`, relative to its prefix.
const AUTOWRAP_MARKER: &str = ".xx-cc-autowrap";
/// dpkg's database: installing packages needs to write here.
const DPKG_DIR: &str = "/var/lib/dpkg";

/// Where the target's `<triple>-clang` & co. are (or go).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CcPlace {
    /// The prefix xx-cc works below (`/`, the user's `XX_CC_PREFIX`, or a
    /// directory in the cache for a user who cannot write `/usr/bin`).
    pub prefix: PathBuf,
    /// Whether xx-cargo chose the prefix (and must pass `XX_CC_PREFIX`).
    pub private: bool,
}

impl CcPlace {
    /// `/` when the target is set up there already or `/usr/bin` is
    /// writable; the user's `XX_CC_PREFIX`; else `<cache>/cc`.
    pub fn choose(
        vars: &dyn Vars,
        cc_triple: &str,
        cache: impl FnOnce() -> Result<PathBuf>,
    ) -> Result<CcPlace> {
        if let Some(prefix) = vars.non_empty(CC_PREFIX_VAR) {
            return Ok(CcPlace {
                prefix: PathBuf::from(prefix),
                private: false,
            });
        }
        let system_bin = Path::new("/usr/bin");
        if system_bin.join(format!("{cc_triple}.cfg")).is_file() || is_writable(system_bin) {
            return Ok(CcPlace {
                prefix: PathBuf::from("/"),
                private: false,
            });
        }
        Ok(CcPlace {
            prefix: cache()?.join("cc"),
            private: true,
        })
    }

    /// `<prefix>/usr/bin`, where the `<triple>-*` programs are.
    pub fn bin_dir(&self) -> PathBuf {
        self.prefix.join("usr/bin")
    }

    /// Set the C toolchain up for the target, as `xx-clang
    /// --setup-target-triple` does with xx-cargo's settings (its tuning,
    /// and the private prefix when there is one).
    pub fn setup(
        &self,
        target: &CargoTarget,
        vars: &dyn Vars,
        context: &TargetContext,
    ) -> Result<()> {
        if self.private {
            link_system_compilers(&self.bin_dir())?;
        }
        let (clang, cc) = self.clang_env(target, vars, context);
        clang
            .ensure(&cc, Compiler::Clang)
            .with_context(|| format!("cannot set clang up for {}", target.cc_triple))?;
        Ok(())
    }

    /// xx-clang's settings for the target with xx-cargo's tuning (and
    /// private prefix), and the target as clang sees it.
    fn clang_env(
        &self,
        target: &CargoTarget,
        vars: &dyn Vars,
        context: &TargetContext,
    ) -> (ClangEnv, CcTarget) {
        let mut tuned = Overlay::new(vars);
        for (key, value) in &target.tuning {
            tuned = tuned.set(key, value.clone());
        }
        if self.private {
            tuned = tuned.set(CC_PREFIX_VAR, self.prefix.display().to_string());
        }
        let clang = ClangEnv::new(&tuned, &context.host, &context.root, Output::OnFailure);
        let cc = CcTarget::known(
            target.cc_triple.clone(),
            TargetOs::from_oci(&target.platform.os),
            target.arch,
        );
        (clang, cc)
    }

    /// With `XX_GLIBC`: the C and C++ compilers (and so the linker) that
    /// apply the glibc floor, after the floor is built.
    pub fn floor_compilers(
        &self,
        target: &CargoTarget,
        vars: &dyn Vars,
        context: &TargetContext,
    ) -> Result<Option<(String, String)>> {
        if crate::glibc::requested(vars).is_none() {
            return Ok(None);
        }
        let (clang, cc) = self.clang_env(target, vars, context);
        clang.ensure(&cc, Compiler::Clang)?;
        crate::glibc::floor_compilers(vars, &clang, &cc, "xx-cargo")
    }

    /// What exists for the target after setup.
    pub fn tools(&self, target: &CargoTarget, rust: &RustTools) -> Tools {
        let program = |tool: &str| self.program(&target.cc_triple, tool);
        let name = |tool: &str| format!("{}-{tool}", target.cc_triple);
        let qemu = target.qemu_program();
        Tools {
            cc: program("clang").unwrap_or_else(|| name("clang")),
            cxx: program("clang++").unwrap_or_else(|| name("clang++")),
            ar: program("ar"),
            pkg_config: program("pkg-config"),
            qemu: (target.is_cross && which::which(&qemu).is_ok()).then_some(qemu),
            rustc: rust.export_rustc.clone(),
            host_compilers: self.host_compilers(),
        }
    }

    /// `<triple>-<tool>`: its bare name when `PATH` finds this very file
    /// (as xx exports it), else its absolute path.
    fn program(&self, triple: &str, tool: &str) -> Option<String> {
        let name = format!("{triple}-{tool}");
        let path = self.bin_dir().join(&name);
        let on_path = which::which(&name).ok();
        if !path.exists() {
            return on_path.map(|_| name);
        }
        if on_path.as_deref() == Some(path.as_path()) {
            Some(name)
        } else {
            Some(path.display().to_string())
        }
    }

    /// After `xx-clang --wrap` plain `cc` builds for the target; host
    /// artifacts then need the real compilers.
    fn host_compilers(&self) -> Option<HostCompilers> {
        if !self.prefix.join(AUTOWRAP_MARKER).exists() {
            return None;
        }
        let bin = Path::new("/usr/bin");
        let first = |names: &[&str]| {
            names
                .iter()
                .map(|name| bin.join(name))
                .find(|path| path.is_file() && !is_ours_file(path))
                .map(|path| path.display().to_string())
        };
        Some(HostCompilers {
            cc: first(&["cc", "clang", "gcc"])?,
            cxx: first(&["c++", "clang++", "g++"])?,
        })
    }
}

/// Give a private xx-cc prefix the system's clang and LLVM tools, as links
/// in `<prefix>/usr/bin` (where xx-cc expects them).
fn link_system_compilers(bin_dir: &Path) -> Result<()> {
    let clang = ["/usr/bin/clang"]
        .iter()
        .map(PathBuf::from)
        .find(|path| path.is_file() && !is_ours_file(path))
        .or_else(|| {
            which::which("clang")
                .ok()
                .filter(|path| !is_ours_file(path))
        })
        .ok_or_else(|| {
            anyhow!("clang: not found (xx-cargo links with clang; install clang and lld)")
        })?;
    let real = clang
        .canonicalize()
        .with_context(|| format!("cannot resolve {}", clang.display()))?;
    let llvm_bin = real
        .parent()
        .ok_or_else(|| anyhow!("{} has no directory", real.display()))?;
    ensure_dir(bin_dir)?;
    let entries = std::fs::read_dir(llvm_bin)
        .with_context(|| format!("cannot list {}", llvm_bin.display()))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let wanted = name == "clang"
            || name == "clang++"
            || name.starts_with("llvm-")
            || name.starts_with("ld.lld")
            || name == "lld";
        if wanted {
            symlink_atomic(&entry.path(), &bin_dir.join(&name))?;
        }
    }
    Ok(())
}

/// Make sure rustc has the target's standard library, installing it the
/// way xx does when it is missing (through the package installers, for the
/// target of `context`).
pub fn ensure_std(
    rust: &RustTools,
    target: &CargoTarget,
    facts: CompilerFacts,
    vars: &dyn Vars,
    context: &TargetContext,
) -> Result<()> {
    let sysroot = rust.sysroot()?;
    let dir = stdlib::std_dir(&sysroot, &target.rust_triple);
    if dir.is_dir() {
        return Ok(());
    }
    let triple = target.rust_triple.as_str();
    let source = StdSource::choose(facts);
    match &source {
        StdSource::Rustup => {
            let rustup = rust.rustup_program();
            let mut args = vec!["target", "add", triple];
            if let Some(toolchain) = &rust.toolchain_override {
                args.extend(["--toolchain", &toolchain[1..]]);
            }
            let output = duct::cmd(&rustup, &args)
                .stdin_null()
                .stdout_capture()
                .stderr_capture()
                .unchecked()
                .run()
                .with_context(|| format!("cannot run {}", rustup.display()))?;
            if !output.status.success() {
                eprint!("{}", String::from_utf8_lossy(&output.stderr));
                bail!(
                    "`rustup target add {triple}` failed ({}): {}",
                    output.status,
                    stdlib::rustup_offline_hint(triple, &target.pkg_arch, facts.debian_family)
                );
            }
        }
        StdSource::Apt { package } => {
            if !is_writable(Path::new(DPKG_DIR)) {
                bail!(
                    "the Rust standard library for {triple} is not installed ({} is missing) and installing it needs root: run `{}` as root",
                    dir.display(),
                    source.describe(triple, &target.pkg_arch)
                );
            }
            let version = rust.package_version();
            let version = version.as_deref();
            let operand = stdlib::apt_operand(package, version);
            let installed = AptTool::from_vars(vars, &context.root)
                .install(&context.target, &[&operand], Output::OnFailure)
                .map_err(|err| anyhow!("xx-apt-get install -y {operand}: {err}"));
            if let (Err(err), Some(version)) = (&installed, version) {
                bail!(
                    "{err}: the archive has no {package}:{} at the compiler's version {version}, and rustc only loads a standard library built by itself; use a Rust compiler that has a standard library for {triple}",
                    target.pkg_arch
                );
            }
            installed?;
        }
        StdSource::Apk => {
            // Packages are always installed with Alpine's own vendor.
            let alpine_vendor = Overlay::new(vars).set("XX_VENDOR", "");
            let alpine_target = Target::for_platform(
                context.target.platform.clone(),
                &alpine_vendor,
                &context.host,
            )?;
            ApkTool::from_vars(vars)
                .install(&alpine_target, &[stdlib::ALPINE_STD], Output::OnFailure)
                .with_context(|| format!("xx-apk add {}", stdlib::ALPINE_STD))?;
        }
        StdSource::Unknown => bail!(
            "the Rust standard library for {triple} is not installed ({} is missing): {}",
            dir.display(),
            source.describe(triple, &target.pkg_arch)
        ),
    }
    if !dir.is_dir() {
        bail!(
            "the Rust standard library for {triple} is still missing ({}) after `{}`: this compiler has no {triple} target",
            dir.display(),
            source.describe(triple, &target.pkg_arch)
        );
    }
    Ok(())
}
