//! `xx-go`'s environment: Go's target settings from the platform, whether
//! cgo is on, the C toolchain cgo uses, and the file `xx-go --wrap` writes.

use xx_platform::{PlatformError, Target, Vars};

/// Whether cgo builds, and the `CGO_ENABLED` value xx-go exports for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cgo {
    /// cgo will be used (explicitly, or by Go's default for native builds).
    pub enabled: bool,
    /// The value to export, when the caller did not set one.
    pub export: Option<&'static str>,
}

impl Cgo {
    /// `CGO_ENABLED` as the caller set it; otherwise Go's own default made
    /// explicit: off when cross-compiling, left to Go (on when a C compiler
    /// exists) for native builds.
    pub fn decide(vars: &dyn Vars, is_cross: bool) -> Cgo {
        match vars.get("CGO_ENABLED").as_deref() {
            Some("1") => Cgo {
                enabled: true,
                export: None,
            },
            Some(_) => Cgo {
                enabled: false,
                export: None,
            },
            None if is_cross => Cgo {
                enabled: false,
                export: Some("0"),
            },
            None => Cgo {
                enabled: true,
                export: None,
            },
        }
    }
}

/// Which C compiler cgo should prefer (`XX_GO_PREFER_C_COMPILER`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PreferredCompiler {
    /// `clang` (the default): `<triple>-clang` set up by xx-clang.
    Clang,
    /// Anything else (xx knows `zig`): only `<triple>-gcc` is looked for.
    Other(String),
}

impl PreferredCompiler {
    /// Read `XX_GO_PREFER_C_COMPILER` (unset or empty means clang).
    pub fn from_vars(vars: &dyn Vars) -> PreferredCompiler {
        match vars.non_empty("XX_GO_PREFER_C_COMPILER") {
            None => PreferredCompiler::Clang,
            Some(name) if name == "clang" => PreferredCompiler::Clang,
            Some(other) => PreferredCompiler::Other(other),
        }
    }
}

/// The C tools the caller found for the target (all optional).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GoTools {
    /// `<triple>-gcc`, when on `PATH`.
    pub gcc: Option<String>,
    /// `<triple>-g++`, when on `PATH`.
    pub gxx: Option<String>,
    /// The triple `xx-clang --print-target-triple` set up, when clang is
    /// preferred and installed.
    pub clang_triple: Option<String>,
    /// The C and C++ compilers that apply a glibc floor (`XX_GLIBC`); they
    /// replace the `<triple>-clang` ones.
    pub floor_compilers: Option<(String, String)>,
    /// `<triple>-ar`, when on `PATH`.
    pub ar: Option<String>,
    /// `<triple>-pkg-config`, when on `PATH`.
    pub pkg_config: Option<String>,
}

/// What xx-go puts in go's environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GoEnv {
    /// `(name, value)` pairs to export, in order.
    pub set: Vec<(String, String)>,
    /// A directory to put first in `PATH` (`$GOPATH/bin/<os>_<arch>`, where
    /// `go install` puts cross-compiled programs).
    pub path_prefix: Option<String>,
    /// The `KEY=value` lines of the Go environment file `--wrap` writes.
    pub wrap: Vec<(String, String)>,
}

impl GoEnv {
    /// The value this plan gives `name`, if any.
    pub fn get(&self, name: &str) -> Option<&str> {
        crate::envname::last_value(&self.set, name)
    }

    /// The text of the Go environment file (`go env GOENV`) for `--wrap`.
    pub fn wrap_file(&self) -> String {
        self.wrap
            .iter()
            .map(|(key, value)| format!("{key}={value}\n"))
            .collect()
    }
}

/// Go's variant settings the caller may choose themselves (xx leaves a
/// set `GOARM`, `GOAMD64`, `GOMIPS`, `GOMIPS64` alone).
fn keeps_user_value(key: &str) -> bool {
    key != "GOOS" && key != "GOARCH"
}

/// The environment for `go` building for `target`.
pub fn plan(
    target: &Target,
    vars: &dyn Vars,
    tools: &GoTools,
    cgo: Cgo,
) -> Result<GoEnv, PlatformError> {
    let mut env = GoEnv::default();
    for (key, value) in target.env_lines()? {
        env.set.push((key.to_string(), value));
    }
    for (key, value) in target.go_env()? {
        let value = match vars.non_empty(key) {
            Some(own) if keeps_user_value(key) => own,
            _ => value,
        };
        env.set.push((key.to_string(), value.clone()));
        env.wrap.push((key.to_string(), value));
    }
    // GOOS and GOARCH first, as xx writes them.
    env.wrap.sort_by_key(|(key, _)| match key.as_str() {
        "GOOS" => 0,
        "GOARCH" => 1,
        _ => 2,
    });
    if let Some(value) = cgo.export {
        env.set.push(("CGO_ENABLED".into(), value.into()));
    }

    let mut c_tools: Vec<(&str, String)> = Vec::new();
    if let Some(gcc) = &tools.gcc {
        c_tools.push(("CC", gcc.clone()));
    }
    if let Some(gxx) = &tools.gxx {
        c_tools.push(("CXX", gxx.clone()));
    }
    if let Some(triple) = &tools.clang_triple {
        c_tools.retain(|(key, _)| *key != "CC" && *key != "CXX");
        c_tools.push(("CC", format!("{triple}-clang")));
        c_tools.push(("CXX", format!("{triple}-clang++")));
    }
    if let Some((cc, cxx)) = &tools.floor_compilers {
        c_tools.retain(|(key, _)| *key != "CC" && *key != "CXX");
        c_tools.push(("CC", cc.clone()));
        c_tools.push(("CXX", cxx.clone()));
    }
    if let Some(ar) = &tools.ar {
        c_tools.push(("AR", ar.clone()));
    }
    if let Some(pkg_config) = &tools.pkg_config {
        c_tools.push(("PKG_CONFIG", pkg_config.clone()));
    }
    for (key, value) in c_tools {
        env.set.push((key.to_string(), value.clone()));
        env.wrap.push((key.to_string(), value));
    }

    if vars.non_empty("GOBIN").is_none() {
        if let Some(gopath) = vars.non_empty("GOPATH") {
            env.path_prefix = Some(format!(
                "{gopath}/bin/{}_{}",
                target.platform.os, target.platform.arch
            ));
        }
    }
    Ok(env)
}

#[cfg(test)]
mod tests {
    use super::*;
    use xx_platform::{HostInfo, MapVars, OsRelease};

    fn target(vars: &MapVars) -> Target {
        let host = HostInfo {
            machine: "x86_64".into(),
            os_release: Some(OsRelease {
                id: "debian".into(),
                version_id: "12".into(),
            }),
            ..HostInfo::default()
        };
        Target::resolve(vars, &host).unwrap()
    }

    fn planned(pairs: &[(&str, &str)], tools: &GoTools) -> GoEnv {
        let mut vars = MapVars::default();
        for (key, value) in pairs {
            vars.0.insert(key.to_string(), value.to_string());
        }
        let target = target(&vars);
        let cgo = Cgo::decide(&vars, target.mapped().unwrap().is_cross);
        plan(&target, &vars, tools, cgo).unwrap()
    }

    #[test]
    fn go_settings_follow_the_platform() {
        let arm = planned(&[("TARGETPLATFORM", "linux/arm/v6")], &GoTools::default());
        assert_eq!(arm.get("GOOS"), Some("linux"));
        assert_eq!(arm.get("GOARCH"), Some("arm"));
        assert_eq!(arm.get("GOARM"), Some("6"));
        assert_eq!(arm.get("CGO_ENABLED"), Some("0"));
        assert_eq!(arm.get("XX_TRIPLE"), Some("arm-linux-gnueabi"));
        assert_eq!(arm.get("TARGETVARIANT"), Some("v6"));
        assert_eq!(arm.get("CC"), None);

        let arm7 = planned(&[("TARGETARCH", "arm")], &GoTools::default());
        assert_eq!(arm7.get("GOARM"), Some("7"));
        let own = planned(
            &[("TARGETARCH", "arm"), ("GOARM", "6")],
            &GoTools::default(),
        );
        assert_eq!(own.get("GOARM"), Some("6"));

        let amd = planned(&[("TARGETPLATFORM", "linux/amd64/v3")], &GoTools::default());
        assert_eq!(amd.get("GOAMD64"), Some("v3"));
        assert_eq!(
            amd.get("CGO_ENABLED"),
            None,
            "native builds keep Go's default"
        );

        let mips = planned(
            &[("TARGETPLATFORM", "linux/mips64le/softfloat")],
            &GoTools::default(),
        );
        assert_eq!(mips.get("GOMIPS64"), Some("softfloat"));
        let win = planned(&[("TARGETPLATFORM", "windows/arm64")], &GoTools::default());
        assert_eq!(
            (win.get("GOOS"), win.get("GOARCH")),
            (Some("windows"), Some("arm64"))
        );
    }

    #[test]
    fn clang_wins_over_gcc_and_everything_is_wrapped() {
        let tools = GoTools {
            gcc: Some("aarch64-linux-gnu-gcc".into()),
            gxx: Some("aarch64-linux-gnu-g++".into()),
            clang_triple: Some("aarch64-linux-gnu".into()),
            floor_compilers: None,
            ar: Some("aarch64-linux-gnu-ar".into()),
            pkg_config: Some("aarch64-linux-gnu-pkg-config".into()),
        };
        let env = planned(&[("TARGETARCH", "arm64"), ("CGO_ENABLED", "1")], &tools);
        assert_eq!(env.get("CC"), Some("aarch64-linux-gnu-clang"));
        assert_eq!(env.get("CXX"), Some("aarch64-linux-gnu-clang++"));
        assert_eq!(env.get("CGO_ENABLED"), None);
        assert_eq!(
            env.wrap_file(),
            "GOOS=linux\nGOARCH=arm64\nCC=aarch64-linux-gnu-clang\nCXX=aarch64-linux-gnu-clang++\nAR=aarch64-linux-gnu-ar\nPKG_CONFIG=aarch64-linux-gnu-pkg-config\n"
        );
        let gcc_only = GoTools {
            clang_triple: None,
            ..tools
        };
        let env = planned(&[("TARGETARCH", "arm64")], &gcc_only);
        assert_eq!(env.get("CC"), Some("aarch64-linux-gnu-gcc"));
        // A glibc floor's compilers replace clang's.
        let floor = GoTools {
            floor_compilers: Some((
                "/f/bin/aarch64-linux-gnu-clang".into(),
                "/f/bin/aarch64-linux-gnu-clang++".into(),
            )),
            ..gcc_only
        };
        let env = planned(&[("TARGETARCH", "arm64"), ("CGO_ENABLED", "1")], &floor);
        assert_eq!(env.get("CC"), Some("/f/bin/aarch64-linux-gnu-clang"));
        assert_eq!(env.get("CXX"), Some("/f/bin/aarch64-linux-gnu-clang++"));
    }

    #[test]
    fn cgo_and_gopath() {
        let vars = MapVars::from([("CGO_ENABLED", "0")]);
        assert!(!Cgo::decide(&vars, false).enabled);
        assert!(Cgo::decide(&MapVars::default(), false).enabled);
        assert!(!Cgo::decide(&MapVars::default(), true).enabled);
        let env = planned(
            &[("TARGETARCH", "arm64"), ("GOPATH", "/go")],
            &GoTools::default(),
        );
        assert_eq!(env.path_prefix.as_deref(), Some("/go/bin/linux_arm64"));
        let env = planned(
            &[("TARGETARCH", "arm64"), ("GOPATH", "/go"), ("GOBIN", "/b")],
            &GoTools::default(),
        );
        assert_eq!(env.path_prefix, None);
        assert_eq!(
            PreferredCompiler::from_vars(&MapVars::default()),
            PreferredCompiler::Clang
        );
        assert_eq!(
            PreferredCompiler::from_vars(&MapVars::from([("XX_GO_PREFER_C_COMPILER", "zig")])),
            PreferredCompiler::Other("zig".into())
        );
    }
}
