//! `xx-cc`, `xx-clang`, `xx-clang++`, `xx-c++`: clang for the target
//! platform, compatible with tonistiigi/xx.
//!
//! On first use for a target the tool sets clang up for it (config file,
//! `<triple>-*` aliases, linker; see `xx_toolchain::setup`), then replaces
//! itself with `clang --config /usr/bin/<triple>.cfg ARGS...`.

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Result};
use xx_pkg::apt_tool::Output;
use xx_platform::{HostInfo, Target, Vars};
use xx_toolchain::args::{CcArgs, Early};
use xx_toolchain::linker::ToolProbe;
use xx_toolchain::probe::SystemProbe;
use xx_toolchain::TargetOs;
use xx_toolchain::{crossfile, layout, linker, wrap, CcTarget, Compiler, Layout};

use crate::exit::Outcome;
use crate::toolchain::ClangEnv;

/// `xx-cc`: `xx-clang` under another name.
pub fn run_cc(args: &[String], vars: &dyn Vars, out: &mut dyn Write) -> Result<Outcome> {
    run(Compiler::Clang, args, vars, out)
}

/// `xx-clang`: clang for the target platform.
pub fn run_clang(args: &[String], vars: &dyn Vars, out: &mut dyn Write) -> Result<Outcome> {
    run(Compiler::Clang, args, vars, out)
}

/// `xx-clang++`: clang++ for the target platform.
pub fn run_clangxx(args: &[String], vars: &dyn Vars, out: &mut dyn Write) -> Result<Outcome> {
    run(Compiler::ClangXX, args, vars, out)
}

/// `xx-c++`: `xx-clang++` under another name.
pub fn run_cxx(args: &[String], vars: &dyn Vars, out: &mut dyn Write) -> Result<Outcome> {
    run(Compiler::ClangXX, args, vars, out)
}

/// The environment's view, read once: the build root and the `TARGET*`
/// target (resolved whether or not this run needs it; an error is kept for
/// the runs that do).
struct Env {
    root: PathBuf,
    host: HostInfo,
    target: std::result::Result<(Target, CcTarget), String>,
}

impl Env {
    fn resolve(vars: &dyn Vars) -> Env {
        let root = crate::host::root(vars);
        let host = crate::host::detect(&root);
        let target = Target::resolve(vars, &host)
            .map_err(|err| err.to_string())
            .and_then(|target| {
                let cc = crate::toolchain::cc_target(
                    &target,
                    target.mapped().map_err(|err| err.to_string())?,
                );
                Ok((target, cc))
            });
        Env { root, host, target }
    }

    /// The target `TARGETPLATFORM` & co. name (`xx-info triple`).
    fn target(&self) -> Result<&(Target, CcTarget)> {
        self.target.as_ref().map_err(|err| anyhow!("{err}"))
    }
}

fn run(
    compiler: Compiler,
    args: &[String],
    vars: &dyn Vars,
    out: &mut dyn Write,
) -> Result<Outcome> {
    let parsed = CcArgs::parse(args);
    let layout = Layout::from_prefix_var(vars.get(layout::PREFIX_VAR).as_deref());
    match parsed.early {
        Some(Early::Config) => return exec(&layout.bin(compiler.program()), &parsed.clang_args),
        Some(Early::Wrap) => {
            wrap::wrap(&layout, &crate::cmd::links::this_binary()?)?;
            return Ok(Outcome::Success);
        }
        Some(Early::Unwrap) => {
            wrap::unwrap(&layout)?;
            return Ok(Outcome::Success);
        }
        None => {}
    }

    let env = Env::resolve(vars);
    // xx-* names always use the target; plain `clang` only when wrapped.
    let wrapped = !parsed.plain || wrap::is_wrapped(&layout);
    let target = match &parsed.target {
        Some(triple) => {
            let fallback = env.target().ok().map(|(_, cc)| cc);
            Some(CcTarget::from_triple(triple, fallback)?)
        }
        None if wrapped || parsed.download_ld => Some(env.target()?.1.clone()),
        None => None,
    };
    let clang = ClangEnv::new(vars, &env.host, &env.root, Output::Shown);
    let invocation = Invocation {
        vars,
        compiler,
        env: &env,
        clang: &clang,
        target,
    };
    invocation.run(&parsed, wrapped, out)
}

/// One run of the tool, after the arguments and the target are known.
struct Invocation<'a> {
    vars: &'a dyn Vars,
    compiler: Compiler,
    env: &'a Env,
    clang: &'a ClangEnv,
    /// `--target=`, else the environment's target when the tool uses it.
    target: Option<CcTarget>,
}

impl Invocation<'_> {
    fn ensure(&self, target: &CcTarget) -> Result<()> {
        let report = self.clang.ensure(target, self.compiler)?;
        if self.clang.plain_shims_requested {
            for path in report
                .written
                .iter()
                .filter(|path| path.starts_with(&self.clang.layout.local_bin_dir))
            {
                eprintln!("xx-clang: wrote {}", path.display());
            }
        }
        Ok(())
    }

    fn ensure_given(&self) -> Result<()> {
        match &self.target {
            Some(target) => self.ensure(target),
            None => Ok(()),
        }
    }

    /// xx's order: each informational flag sets up and exits; otherwise
    /// clang runs with the target's config.
    fn run(&self, parsed: &CcArgs, wrapped: bool, out: &mut dyn Write) -> Result<Outcome> {
        if parsed.download_ld {
            let target = self.target.as_ref().ok_or_else(|| anyhow!("no target"))?;
            let stderr = std::io::stderr();
            return Ok(download_ld(target, self.clang, &mut stderr.lock()));
        }
        if let (true, Some(target)) = (parsed.print_target, &self.target) {
            self.ensure(target)?;
            writeln!(out, "{}", target.triple)?;
            return Ok(Outcome::Success);
        }
        if parsed.cmake_defines {
            self.ensure_given()?;
            writeln!(out, "{}", self.cmake_defines()?)?;
            return Ok(Outcome::Success);
        }
        if parsed.cmake_toolchain || parsed.meson_cross {
            let spec = self.cross_spec()?;
            let text = if parsed.cmake_toolchain {
                crossfile::cmake_toolchain(&spec)
            } else {
                crossfile::meson_cross_file(&spec)
            };
            out.write_all(text.as_bytes())?;
            return Ok(Outcome::Success);
        }
        if parsed.print_sysroot {
            self.ensure_given()?;
            let sysroot = print_sysroot(self.env, self.target.as_ref())?;
            writeln!(out, "{sysroot}")?;
            return Ok(Outcome::Success);
        }
        if parsed.setup {
            self.ensure_given()?;
            return Ok(Outcome::Success);
        }
        if wrapped {
            self.ensure_given()?;
        }
        self.exec_compiler(&parsed.clang_args)
    }

    /// `--print-cmake-defines`: xx's `-D` flags for the environment's target.
    fn cmake_defines(&self) -> Result<String> {
        let (_, env_target) = self.env.target()?;
        self.ensure(env_target)?;
        let triple = &env_target.triple;
        Ok(format!(
            "-DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_ASM_COMPILER=clang -DPKG_CONFIG_EXECUTABLE={} -DCMAKE_C_COMPILER_TARGET={triple} -DCMAKE_CXX_COMPILER_TARGET={triple} -DCMAKE_ASM_COMPILER_TARGET={triple}",
            self.clang.with_setup(|setup| setup.pkg_config_program(triple))
        ))
    }

    /// What `--print-cmake-toolchain` / `--print-meson-cross-file` describe.
    fn cross_spec(&self) -> Result<crossfile::CrossSpec> {
        let env_target = self.env.target();
        let target = match (&self.target, &env_target) {
            (Some(target), _) => target.clone(),
            (None, Ok((_, env_cc))) => env_cc.clone(),
            (None, Err(err)) => return Err(anyhow!("{err}")),
        };
        self.ensure(&target)?;
        let oci_os = match target.os {
            TargetOs::Linux => "linux".to_string(),
            TargetOs::Windows => "windows".to_string(),
            TargetOs::Darwin => "darwin".to_string(),
            TargetOs::Other => env_target
                .map(|(platform_target, _)| platform_target.platform.os.clone())
                .unwrap_or_default(),
        };
        let mut spec = self
            .clang
            .with_setup(|setup| setup.cross_spec(&target, &oci_os));
        if let Some((cc, cxx)) =
            crate::glibc::floor_compilers(self.vars, self.clang, &target, self.compiler.tool())?
        {
            spec.c_compiler = cc.into();
            spec.cxx_compiler = cxx.into();
        }
        Ok(spec)
    }

    /// Replace this process with clang, with the target's config (or the
    /// default config when no target is given).
    fn exec_compiler(&self, clang_args: &[String]) -> Result<Outcome> {
        let static_link = clang_args
            .iter()
            .any(|arg| arg == "-static" || arg == "-static-pie");
        if static_link {
            if let Some(value) = crate::glibc::requested(self.vars) {
                // A static binary needs no glibc at run time; its libc.a is
                // the installed one, which the floor's headers do not fit.
                eprintln!(
                    "{}: warning: XX_GLIBC={value} ignored for a static link",
                    self.compiler.tool()
                );
            }
        } else if let Some((floor, target)) = self.floor()? {
            return self.run_at_floor(&floor, &target, clang_args);
        }
        let layout = &self.clang.layout;
        let program = layout.bin(self.compiler.program());
        if !program.is_file() {
            return Err(anyhow!(
                "{} not found. Make sure package is installed. xx doesn't currently support binaries in custom location",
                program.display()
            ));
        }
        let config = match &self.target {
            None => Some(layout.default_config.clone()),
            Some(target) => Some(layout.target_config(&target.triple)),
        }
        .filter(|config| config.is_file());
        let mut args = Vec::with_capacity(clang_args.len() + 2);
        if let Some(config) = config {
            args.push("--config".to_string());
            args.push(config.to_string_lossy().into_owned());
        }
        args.extend_from_slice(clang_args);
        exec(&program, &args)
    }
}

impl Invocation<'_> {
    /// The glibc floor (`XX_GLIBC`) for this run's target, built, with
    /// the target (set up first).
    fn floor(&self) -> Result<Option<(xx_toolchain::glibc_sysroot::Floor, CcTarget)>> {
        let Some(target) = &self.target else {
            if let Some(value) = crate::glibc::requested(self.env_vars()) {
                eprintln!(
                    "{}: warning: XX_GLIBC={value} ignored: no target",
                    self.compiler.tool()
                );
            }
            return Ok(None);
        };
        let Some(version) = crate::glibc::floor_for(self.env_vars(), target, self.compiler.tool())?
        else {
            return Ok(None);
        };
        self.ensure(target)?;
        let floor = crate::glibc::ensure(self.clang, target, version)?;
        Ok(Some((floor, target.clone())))
    }

    /// Run clang with the target's config and the floor's arguments,
    /// explaining link errors about symbols newer than the floor.
    fn run_at_floor(
        &self,
        floor: &xx_toolchain::glibc_sysroot::Floor,
        target: &CcTarget,
        clang_args: &[String],
    ) -> Result<Outcome> {
        let layout = &self.clang.layout;
        let program = layout.bin(self.compiler.program());
        let config = layout.target_config(&target.triple);
        let config = config.is_file().then_some(config);
        let mut args = Vec::new();
        if let Some(config) = &config {
            args.push("--config".to_string());
            args.push(config.to_string_lossy().into_owned());
        }
        let cxx = self.compiler == Compiler::ClangXX;
        args.extend(crate::glibc::clang_args(
            floor,
            cxx,
            &layout.bin("clang++"),
            config.as_deref(),
        ));
        args.extend_from_slice(clang_args);
        crate::glibc::run_explaining(&program, &args, floor)
    }

    fn env_vars(&self) -> &dyn Vars {
        self.vars
    }
}

/// `--print-sysroot`, as xx: the target's root when cross-compiling on
/// Alpine (`/<triple>/`) or for darwin (the SDK), `/` otherwise.
fn print_sysroot(env: &Env, target: Option<&CcTarget>) -> Result<String> {
    let (platform_target, env_target) = env.target()?;
    if platform_target.mapped()?.is_cross {
        if env.host.alpine_release {
            let triple = target.map_or(&env_target.triple, |t| &t.triple);
            return Ok(format!("/{triple}/"));
        }
        if platform_target.platform.os == "darwin" {
            return Ok(env.host.macos_sdk_path().to_string());
        }
    }
    Ok("/".to_string())
}

/// `--download-prog=ld`: xx downloads a prebuilt ld; xx-rs installs the
/// distribution's `binutils-<triple>` instead. Exit 0 when a GNU `ld` for
/// the target exists afterwards; when Debian names it differently
/// (`s390x-linux-gnu-ld` for `s390x-unknown-linux-gnu`), `<bin>/<triple>-ld`
/// becomes a link to it, so the name xx promises works.
fn download_ld(target: &CcTarget, clang: &ClangEnv, log: &mut dyn Write) -> Outcome {
    let probe = &SystemProbe;
    let bin_dir = &clang.layout.bin_dir;
    if linker::gnu_cross_ld(target, probe).is_none() {
        if let Some(package) = linker::binutils_package(target) {
            if let Err(err) = clang.install_host_package(&package, log) {
                let _ = writeln!(log, "{err}");
            }
        }
    }
    let Some(found) = linker::gnu_cross_ld(target, probe) else {
        return Outcome::Exit(1);
    };
    let own_name = bin_dir.join(format!("{}-ld", target.triple));
    if probe.which(&format!("{}-ld", target.triple)).is_none() {
        if let Err(err) = xx_files::symlink_atomic(&found, &own_name) {
            let _ = writeln!(log, "xx-clang: {err}");
            return Outcome::Exit(1);
        }
    }
    Outcome::Success
}

/// Replace this process with `program ARGS...`.
fn exec(program: &Path, args: &[String]) -> Result<Outcome> {
    if !program.is_file() {
        return Err(anyhow!(
            "{} not found. Make sure package is installed",
            program.display()
        ));
    }
    let err = std::process::Command::new(program).args(args).exec();
    Err(anyhow!("cannot run {}: {err}", program.display()))
}
