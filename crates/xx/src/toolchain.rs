//! Setting clang up for a target, in process, for every tool that needs it
//! (xx-clang itself, xx-cargo's linker, xx-go's cgo compiler): the
//! toolchain library ([`xx_toolchain::Setup`]) with the settings read from
//! the environment once, the build machine's facts, and xx-apt-get's
//! installer for the GNU cross `ld` (one install path, one lock).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Result;
use xx_pkg::apt_tool::{AptTool, Output};
use xx_platform::{HostInfo, Mapped, Overlay, Target, Vars};
use xx_toolchain::linker::{LinkerPrefs, PreferLinker};
use xx_toolchain::probe::SystemProbe;
use xx_toolchain::{layout, CcTarget, Compiler, Layout, PackageInstaller, Setup};
use xx_toolchain::{SetupReport, TargetOs};

/// `XX_CC_PLAIN_SHIMS=1` writes the plain `clang`/`clang++` scripts in
/// `/usr/local/bin` whatever runs xx-clang; `0` never writes them.
pub const PLAIN_SHIMS_VAR: &str = "XX_CC_PLAIN_SHIMS";

/// Directories where an installed xx-rs binary lives (a Dockerfile's
/// `COPY --from=xx / /`, a package, `xx install-links`).
const SYSTEM_BIN_DIRS: &[&str] = &[
    "/usr/bin",
    "/usr/local/bin",
    "/bin",
    "/usr/sbin",
    "/usr/local/sbin",
    "/sbin",
];

/// xx-clang's settings and the build machine's facts, read once.
pub struct ClangEnv {
    /// Where xx-clang's files are (`XX_CC_PREFIX`).
    pub layout: Layout,
    /// The build machine (or root) setup works in.
    pub host: HostInfo,
    /// Its own triple as `vars` name it ([`native_triple`]).
    pub native_triple: String,
    /// `XX_CC_PREFER_LINKER` / `XX_CC_PREFER_STATIC_LINKER`.
    pub prefs: LinkerPrefs,
    /// Whether a missing GNU ld may be installed (`XX_NO_DOWNLOAD` unset).
    pub may_install: bool,
    /// Whether setups take the lock (`XX_CC_NOLOCK` unset).
    pub use_lock: bool,
    /// What the plain `clang` scripts run, when they are written.
    pub plain_shims: Option<PathBuf>,
    /// Whether the user asked for those scripts (`XX_CC_PLAIN_SHIMS=1`):
    /// then xx-clang says which it wrote.
    pub plain_shims_requested: bool,
    /// `XX_GLIBC_MIRROR`: the Debian archive a glibc floor's bullseye
    /// files come from (default: the machine's apt sources).
    pub mirror_override: Option<String>,
    /// Installs build-machine packages through xx-apt-get's installer.
    installer: HostApt,
}

impl ClangEnv {
    /// Read the settings from `vars` for the build machine `host` below
    /// `root`. `output` says where the output of a GNU ld install goes.
    pub fn new(vars: &dyn Vars, host: &HostInfo, root: &Path, output: Output) -> ClangEnv {
        let layout = Layout::from_prefix_var(vars.get(layout::PREFIX_VAR).as_deref());
        let plain_shims = plain_shims(vars, &layout);
        let plain_shims_requested = vars
            .non_empty(PLAIN_SHIMS_VAR)
            .is_some_and(|value| value != "0");
        ClangEnv {
            plain_shims_requested,
            host: host.clone(),
            native_triple: native_triple(vars, host),
            prefs: LinkerPrefs {
                prefer: PreferLinker::from_var(vars.get("XX_CC_PREFER_LINKER").as_deref()),
                prefer_static: vars.non_empty("XX_CC_PREFER_STATIC_LINKER").is_some(),
            },
            may_install: vars.non_empty("XX_NO_DOWNLOAD").is_none(),
            use_lock: vars.non_empty("XX_CC_NOLOCK").is_none(),
            plain_shims,
            mirror_override: vars.non_empty(xx_toolchain::glibc_sysroot::MIRROR_VAR),
            installer: HostApt {
                tool: AptTool::from_vars(vars, root),
                output,
            },
            layout,
        }
    }

    /// Run `with` on the setup these settings describe.
    pub fn with_setup<R>(&self, with: impl FnOnce(&Setup) -> R) -> R {
        let probe = SystemProbe;
        let setup = Setup {
            layout: &self.layout,
            host: &self.host,
            native_triple: self.native_triple.clone(),
            prefs: self.prefs.clone(),
            installer: self
                .may_install
                .then_some(&self.installer as &dyn PackageInstaller),
            use_lock: self.use_lock,
            plain_shims: self.plain_shims.clone(),
            probe: &probe,
        };
        with(&setup)
    }

    /// Set clang up for `target` unless that was done before; warnings and
    /// install output go to stderr. Reports the scripts written when the
    /// user asked for the plain ones explicitly.
    pub fn ensure(&self, target: &CcTarget, compiler: Compiler) -> Result<SetupReport> {
        let stderr = std::io::stderr();
        let report = self.with_setup(|setup| setup.ensure(target, compiler, &mut stderr.lock()))?;
        Ok(report)
    }

    /// Install a build-machine package (`binutils-<triple>`) the way setup
    /// does.
    pub fn install_host_package(&self, package: &str, log: &mut dyn Write) -> Result<(), String> {
        self.installer.install_host_package(package, log)
    }
}

/// The target clang is set up for, from a resolved target's names.
pub fn cc_target(target: &Target, mapped: &Mapped) -> CcTarget {
    CcTarget::known(
        mapped.triple.clone(),
        TargetOs::from_oci(&target.platform.os),
        mapped.arch,
    )
}

/// The build machine's own triple (`xx-info triple` with no `TARGET*`),
/// with the overrides `vars` hold (xx-cargo's `XX_VENDOR=unknown`, as xx's
/// nested `xx-info triple` sees it).
fn native_triple(vars: &dyn Vars, host: &HostInfo) -> String {
    let cleared = Overlay::new(vars)
        .set("TARGETPLATFORM", "")
        .set("TARGETPAIR", "")
        .set("TARGETOS", "")
        .set("TARGETARCH", "")
        .set("TARGETVARIANT", "");
    Target::resolve(&cleared, host)
        .ok()
        .and_then(|target| target.mapped().ok().map(|m| m.triple.clone()))
        .unwrap_or_default()
}

/// Whether, and for which binary, setup writes the plain `clang` and
/// `clang++` scripts in the local bin directory (xx writes them on first
/// use). They name this binary by path, so they are written only where
/// that is lasting and expected: when xx-rs is installed in a system bin
/// directory (a Dockerfile's `COPY --from=xx / /`), when xx-clang works
/// below its own prefix (`XX_CC_PREFIX`), or when `XX_CC_PLAIN_SHIMS=1`
/// asks; never for a binary run from a build tree, and never with
/// `XX_CC_PLAIN_SHIMS=0`.
fn plain_shims(vars: &dyn Vars, layout: &Layout) -> Option<PathBuf> {
    let exe = crate::cmd::links::this_binary().ok()?;
    let wanted = match vars.non_empty(PLAIN_SHIMS_VAR).as_deref() {
        Some("0") => false,
        Some(_) => true,
        None => {
            layout.prefix != Path::new("/")
                || exe
                    .parent()
                    .is_some_and(|dir| SYSTEM_BIN_DIRS.iter().any(|bin| dir == Path::new(bin)))
        }
    };
    wanted.then_some(exe)
}

/// xx-apt-get's installer for the build machine's own packages.
struct HostApt {
    tool: AptTool,
    output: Output,
}

impl PackageInstaller for HostApt {
    fn install_host_package(&self, package: &str, log: &mut dyn Write) -> Result<(), String> {
        let _ = writeln!(log, "xx-cc: installing {package} for its GNU ld");
        self.tool
            .install_native(&[package], self.output)
            .map_err(|err| format!("xx-cc: {err}"))
    }
}
