//! The variables `xx-cargo` gives cargo, and the ones it takes away.
//!
//! Target settings are only ever given under target-specific names
//! (`CARGO_TARGET_<T>_*`, `CC_<t>`, `PKG_CONFIG_<t>`, ...), so that host
//! artifacts (build scripts, proc-macros and the C code they compile) are
//! built for the build machine. The generic `CC`, `CXX`, `AR`, `CFLAGS`,
//! `CXXFLAGS` and `PKG_CONFIG` of a Dockerfile are read as meant for the
//! target: they move to the target's names and are removed from cargo's
//! environment, where the `cc` and `pkg-config` crates would otherwise
//! apply them to host code too.

use xx_platform::Vars;

use super::target::CargoTarget;
use crate::envname::{cargo_target, for_crates};

/// What the caller found on the machine for the target.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tools {
    /// The target's C compiler and linker (`<triple>-clang`, or its
    /// absolute path when it is not on `PATH`).
    pub cc: String,
    /// The target's C++ compiler (`<triple>-clang++`).
    pub cxx: String,
    /// The target's archiver (`<triple>-ar`), when there is one.
    pub ar: Option<String>,
    /// The target's `pkg-config` (`<triple>-pkg-config`), when there is one.
    pub pkg_config: Option<String>,
    /// The qemu-user program for the target, when it is installed.
    pub qemu: Option<String>,
    /// The rustc cargo must use (`RUSTC`), when cargo would not pick the
    /// right one itself (Debian's cargo with rustup's rustc first on `PATH`).
    pub rustc: Option<String>,
    /// The build machine's own compilers, when plain `cc`/`clang` build for
    /// the target (after `xx-clang --wrap`).
    pub host_compilers: Option<HostCompilers>,
}

/// The build machine's C and C++ compilers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostCompilers {
    /// C compiler (also the linker of host artifacts).
    pub cc: String,
    /// C++ compiler.
    pub cxx: String,
}

/// Cargo's environment changes: variables to set, then variables to remove.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CargoEnv {
    /// `(name, value)` pairs, in a stable order.
    pub set: Vec<(String, String)>,
    /// Names removed from the environment.
    pub unset: Vec<String>,
}

impl CargoEnv {
    /// The value this plan gives `name`, if any.
    pub fn get(&self, name: &str) -> Option<&str> {
        crate::envname::last_value(&self.set, name)
    }

    fn put(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.set.push((name.into(), value.into()));
    }

    /// Set `name` unless the caller's environment already does.
    fn set_unless_given(&mut self, vars: &dyn Vars, name: String, value: impl Into<String>) {
        if vars.get(&name).is_none() {
            self.put(name, value);
        }
    }

    fn remove(&mut self, vars: &dyn Vars, name: &str) {
        if vars.get(name).is_some() {
            self.unset.push(name.to_string());
        }
    }
}

/// Plain compiler settings that move to the target's names, with the
/// variable the `cc` crate reads for the target.
const MOVED_PROGRAMS: &[&str] = &["CC", "CXX", "AR"];
/// Flag variables that move to the target's names (their values are
/// added in front of the target's own).
const MOVED_FLAGS: &[&str] = &["CFLAGS", "CXXFLAGS"];

/// The environment for building `target` with `tools`, given the caller's
/// variables `vars`.
///
/// Settings the caller already made under the target's own names
/// (`CARGO_TARGET_<T>_LINKER`, `CC_<t>`, ...) are kept.
pub fn plan(target: &CargoTarget, tools: &Tools, vars: &dyn Vars) -> CargoEnv {
    let mut env = CargoEnv::default();
    let rust = target.rust_triple.as_str();

    for (name, value) in &target.tuning {
        env.put(*name, value.clone());
    }
    if let Some(rustc) = &tools.rustc {
        env.set_unless_given(vars, "RUSTC".to_string(), rustc.clone());
    }

    env.set_unless_given(vars, cargo_target(rust, "LINKER"), tools.cc.clone());
    if let Some(flags) = vars.non_empty("XX_RUSTFLAGS") {
        env.put(cargo_target(rust, "RUSTFLAGS"), flags);
    }

    // The C toolchain for the cc crate (and cmake, which asks cc).
    env.set_unless_given(vars, for_crates("CC", rust), tools.cc.clone());
    env.set_unless_given(vars, for_crates("CXX", rust), tools.cxx.clone());
    if let Some(ar) = &tools.ar {
        env.set_unless_given(vars, for_crates("AR", rust), ar.clone());
    }
    for name in MOVED_PROGRAMS {
        env.remove(vars, name);
    }
    for name in MOVED_FLAGS {
        let Some(generic) = vars.non_empty(name) else {
            env.remove(vars, name);
            continue;
        };
        let specific = for_crates(name, rust);
        let value = match vars.non_empty(&specific) {
            Some(own) => format!("{generic} {own}"),
            None => generic,
        };
        env.put(specific, value);
        env.remove(vars, name);
    }

    // pkg-config: the target's wrapper, allowed to cross-compile.
    let pkg_config_name = for_crates("PKG_CONFIG", rust);
    let pkg_config = tools
        .pkg_config
        .clone()
        .or_else(|| vars.non_empty("PKG_CONFIG"));
    if let Some(program) = pkg_config {
        env.set_unless_given(vars, pkg_config_name, program);
        env.set_unless_given(vars, for_crates("PKG_CONFIG_ALLOW_CROSS", rust), "1");
        if target.sysroot != "/" {
            env.set_unless_given(
                vars,
                for_crates("PKG_CONFIG_SYSROOT_DIR", rust),
                target.sysroot.trim_end_matches('/'),
            );
        }
    }
    env.remove(vars, "PKG_CONFIG");

    // bindgen parses headers with libclang, which reads no clang config.
    let bindgen_name = for_crates("BINDGEN_EXTRA_CLANG_ARGS", rust);
    let mut bindgen = format!(
        "--target={} --sysroot={}",
        target.clang_target, target.sysroot
    );
    if let Some(generic) = vars.non_empty("BINDGEN_EXTRA_CLANG_ARGS") {
        bindgen = format!("{bindgen} {generic}");
    }
    env.set_unless_given(vars, bindgen_name, bindgen);

    // Running target programs: `cargo test`, `cargo run`.
    if let (Some(qemu), true) = (&tools.qemu, target.is_cross) {
        env.set_unless_given(vars, cargo_target(rust, "RUNNER"), qemu.clone());
        env.set_unless_given(
            vars,
            "QEMU_LD_PREFIX".to_string(),
            target.qemu_ld_prefix.clone(),
        );
    }

    // Host artifacts when plain `cc` would build for the target.
    if let (Some(host), Some(host_triple)) = (&tools.host_compilers, &target.host_rust_triple) {
        if host_triple != rust {
            env.set_unless_given(vars, cargo_target(host_triple, "LINKER"), host.cc.clone());
            env.set_unless_given(vars, for_crates("CC", host_triple), host.cc.clone());
            env.set_unless_given(vars, for_crates("CXX", host_triple), host.cxx.clone());
        }
    }
    env
}

#[cfg(test)]
mod tests {
    use super::*;
    use xx_platform::{HostInfo, MapVars, OsRelease, RustToolchain};

    fn debian() -> HostInfo {
        HostInfo {
            machine: "x86_64".into(),
            os_release: Some(OsRelease {
                id: "debian".into(),
                version_id: "12".into(),
            }),
            ..HostInfo::default()
        }
    }

    fn tools(triple: &str) -> Tools {
        Tools {
            cc: format!("{triple}-clang"),
            cxx: format!("{triple}-clang++"),
            ar: Some(format!("{triple}-ar")),
            pkg_config: Some(format!("{triple}-pkg-config")),
            qemu: Some("qemu-aarch64".into()),
            rustc: None,
            host_compilers: None,
        }
    }

    fn planned(extra: &[(&str, &str)], edit: impl FnOnce(&mut Tools)) -> CargoEnv {
        let mut vars = MapVars::from([("TARGETPLATFORM", "linux/arm64")]);
        for (key, value) in extra {
            vars.0.insert(key.to_string(), value.to_string());
        }
        let target = CargoTarget::resolve(&vars, &debian(), RustToolchain::Distro).unwrap();
        let mut tools = tools(&target.cc_triple);
        edit(&mut tools);
        plan(&target, &tools, &vars)
    }

    #[test]
    fn exports_what_xx_exports() {
        let env = planned(&[], |_| {});
        let t = "aarch64-unknown-linux-gnu";
        assert_eq!(
            env.get("CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER"),
            Some(&*format!("{t}-clang"))
        );
        assert_eq!(
            env.get("CC_aarch64_unknown_linux_gnu"),
            Some(&*format!("{t}-clang"))
        );
        assert_eq!(
            env.get("CXX_aarch64_unknown_linux_gnu"),
            Some(&*format!("{t}-clang++"))
        );
        assert_eq!(
            env.get("AR_aarch64_unknown_linux_gnu"),
            Some(&*format!("{t}-ar"))
        );
        assert_eq!(
            env.get("PKG_CONFIG_aarch64_unknown_linux_gnu"),
            Some(&*format!("{t}-pkg-config"))
        );
        assert_eq!(
            env.get("PKG_CONFIG_ALLOW_CROSS_aarch64_unknown_linux_gnu"),
            Some("1")
        );
        assert_eq!(
            env.get("PKG_CONFIG_SYSROOT_DIR_aarch64_unknown_linux_gnu"),
            None
        );
        assert_eq!(
            env.get("CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER"),
            Some("qemu-aarch64")
        );
        assert_eq!(env.get("QEMU_LD_PREFIX"), Some("/"));
        assert_eq!(
            env.get("BINDGEN_EXTRA_CLANG_ARGS_aarch64_unknown_linux_gnu"),
            Some("--target=aarch64-unknown-linux-gnu --sysroot=/")
        );
        assert_eq!(env.get("XX_VENDOR"), Some("unknown"));
        assert_eq!(env.get("ARM_TARGET_ARCH"), Some("armv7"));
        assert_eq!(env.get("RUSTC"), None);
        assert!(env
            .get("CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUSTFLAGS")
            .is_none());
        assert!(env.unset.is_empty());
    }

    #[test]
    fn rustflags_and_rustc() {
        let env = planned(
            &[("XX_RUSTFLAGS", "-C target-feature=+crt-static")],
            |tools| {
                tools.rustc = Some("/usr/bin/rustc".into());
            },
        );
        assert_eq!(
            env.get("CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUSTFLAGS"),
            Some("-C target-feature=+crt-static")
        );
        assert_eq!(env.get("RUSTC"), Some("/usr/bin/rustc"));
        let own = planned(&[("RUSTC", "/opt/rustc")], |tools| {
            tools.rustc = Some("/usr/bin/rustc".into());
        });
        assert_eq!(own.get("RUSTC"), None);
    }

    #[test]
    fn generic_c_settings_move_to_the_target() {
        let env = planned(
            &[
                ("CC", "gcc"),
                ("CFLAGS", "-O1 -g"),
                ("CFLAGS_aarch64_unknown_linux_gnu", "-DX"),
                ("CXXFLAGS", "-O3"),
                ("PKG_CONFIG", "/opt/pc"),
            ],
            |_| {},
        );
        assert_eq!(
            env.get("CC_aarch64_unknown_linux_gnu"),
            Some("aarch64-unknown-linux-gnu-clang")
        );
        assert_eq!(
            env.get("CFLAGS_aarch64_unknown_linux_gnu"),
            Some("-O1 -g -DX")
        );
        assert_eq!(env.get("CXXFLAGS_aarch64_unknown_linux_gnu"), Some("-O3"));
        assert_eq!(
            env.get("PKG_CONFIG_aarch64_unknown_linux_gnu"),
            Some("aarch64-unknown-linux-gnu-pkg-config")
        );
        let mut unset = env.unset.clone();
        unset.sort();
        assert_eq!(unset, ["CC", "CFLAGS", "CXXFLAGS", "PKG_CONFIG"]);

        let no_wrapper = planned(&[("PKG_CONFIG", "/opt/pc")], |tools| {
            tools.pkg_config = None
        });
        assert_eq!(
            no_wrapper.get("PKG_CONFIG_aarch64_unknown_linux_gnu"),
            Some("/opt/pc")
        );
        let none = planned(&[], |tools| tools.pkg_config = None);
        assert_eq!(
            none.get("PKG_CONFIG_ALLOW_CROSS_aarch64_unknown_linux_gnu"),
            None
        );
    }

    #[test]
    fn explicit_target_settings_win() {
        let env = planned(
            &[
                ("CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER", "mold-cc"),
                ("CC_aarch64_unknown_linux_gnu", "my-cc"),
                ("QEMU_LD_PREFIX", "/sysroot"),
                ("BINDGEN_EXTRA_CLANG_ARGS", "-DFOO"),
            ],
            |_| {},
        );
        assert_eq!(
            env.get("CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER"),
            None
        );
        assert_eq!(env.get("CC_aarch64_unknown_linux_gnu"), None);
        assert_eq!(env.get("QEMU_LD_PREFIX"), None);
        assert_eq!(
            env.get("BINDGEN_EXTRA_CLANG_ARGS_aarch64_unknown_linux_gnu"),
            Some("--target=aarch64-unknown-linux-gnu --sysroot=/ -DFOO")
        );
    }

    #[test]
    fn no_runner_without_qemu_or_when_native() {
        let env = planned(&[], |tools| tools.qemu = None);
        assert_eq!(
            env.get("CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER"),
            None
        );
        let vars = MapVars::from([("TARGETPLATFORM", "linux/amd64")]);
        let target = CargoTarget::resolve(&vars, &debian(), RustToolchain::Distro).unwrap();
        let native = plan(&target, &tools(&target.cc_triple), &vars);
        assert_eq!(
            native.get("CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUNNER"),
            None
        );
        assert_eq!(native.get("QEMU_LD_PREFIX"), None);
    }

    #[test]
    fn host_compilers_when_wrapped() {
        let env = planned(&[], |tools| {
            tools.host_compilers = Some(HostCompilers {
                cc: "/usr/bin/clang".into(),
                cxx: "/usr/bin/clang++".into(),
            })
        });
        assert_eq!(
            env.get("CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER"),
            Some("/usr/bin/clang")
        );
        assert_eq!(
            env.get("CC_x86_64_unknown_linux_gnu"),
            Some("/usr/bin/clang")
        );
        assert_eq!(
            env.get("CXX_x86_64_unknown_linux_gnu"),
            Some("/usr/bin/clang++")
        );
    }
}
