//! Choosing the linker clang gets with `-fuse-ld=`, following xx: lld where
//! it links the architecture, otherwise a GNU `ld` for the target; never a
//! download (xx-rs installs Debian's `binutils-<triple>` instead).
//!
//! [`plan`] is pure: it asks a [`ToolProbe`] what exists and returns what to
//! use and what (if anything) should be installed first.

use std::path::{Path, PathBuf};

use xx_platform::distro;

use crate::spec::{CcTarget, TargetOs};

/// Which linker `XX_CC_PREFER_LINKER` asks for (default `lld`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PreferLinker {
    /// `lld` (the default).
    Lld,
    /// `gold`: `<triple>-gold`.
    Gold,
    /// `ld`: GNU ld (bfd), installed if missing.
    Ld,
    /// Any other value (including empty): no preference.
    Other,
}

impl PreferLinker {
    /// Interpret `XX_CC_PREFER_LINKER` (unset means `lld`).
    pub fn from_var(value: Option<&str>) -> PreferLinker {
        match value {
            None | Some("lld") => PreferLinker::Lld,
            Some("gold") => PreferLinker::Gold,
            Some("ld") => PreferLinker::Ld,
            Some(_) => PreferLinker::Other,
        }
    }
}

/// The user's linker preferences, from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkerPrefs {
    /// `XX_CC_PREFER_LINKER`.
    pub prefer: PreferLinker,
    /// `XX_CC_PREFER_STATIC_LINKER` is set: GNU ld over lld where the arch
    /// table says static binaries need it (386, ppc64le).
    pub prefer_static: bool,
}

/// What exists on the machine, as far as linker choice needs to know.
pub trait ToolProbe {
    /// `command -v name`.
    fn which(&self, name: &str) -> Option<PathBuf>;
    /// Whether `path` is an existing file.
    fn is_file(&self, path: &Path) -> bool;
    /// The output of `ld -V` (the emulations GNU ld supports), if any.
    fn host_ld_emulations(&self) -> Option<String>;
}

/// A chosen linker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkerChoice {
    /// The value of `-fuse-ld=` (`lld`, `/usr/bin/s390x-linux-gnu-ld`, `ld64`).
    pub fuse_ld: String,
    /// Whether it is GNU ld (bfd), which needs `-rpath-link` to find the
    /// dependencies of shared libraries.
    pub is_bfd: bool,
    /// Link to create first: (`ld` on the PATH, `<bin>/<triple>-ld`), when
    /// the build machine's own `ld` links the target.
    pub link_host_ld: Option<(PathBuf, PathBuf)>,
}

/// The outcome of [`plan`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkerPlan {
    /// What to use as things stand (None: nothing found yet).
    pub choice: Option<LinkerChoice>,
    /// Whether installing `binutils-<triple>` should be tried first (no
    /// linker found, or `XX_CC_PREFER_LINKER=ld` without a GNU ld).
    pub want_binutils: bool,
    /// A warning to print (e.g. darwin without ld64).
    pub warning: Option<String>,
}

impl LinkerPlan {
    fn found(choice: LinkerChoice) -> LinkerPlan {
        LinkerPlan {
            choice: Some(choice),
            want_binutils: false,
            warning: None,
        }
    }
}

fn named(fuse_ld: impl Into<String>, is_bfd: bool) -> LinkerChoice {
    LinkerChoice {
        fuse_ld: fuse_ld.into(),
        is_bfd,
        link_host_ld: None,
    }
}

fn path_choice(path: &Path, is_bfd: bool) -> LinkerChoice {
    named(path.to_string_lossy(), is_bfd)
}

/// Decide the linker for `target`; `bin_dir` is where a link to the host
/// `ld` would go.
pub fn plan(
    target: &CcTarget,
    prefs: &LinkerPrefs,
    probe: &dyn ToolProbe,
    bin_dir: &Path,
) -> LinkerPlan {
    let triple = &target.triple;
    let lld_links = match target.arch {
        Some(row) => row.lld_links && !(prefs.prefer_static && row.static_prefers_bfd),
        None => true,
    };
    let lld = || probe.which("lld").map(|_| named("lld", false));

    if target.os == TargetOs::Darwin {
        return match probe.which("ld64.signed") {
            Some(path) => LinkerPlan::found(path_choice(&path, false)),
            None => LinkerPlan {
                choice: Some(named("ld64", false)),
                want_binutils: false,
                warning: probe
                    .which("ld64")
                    .is_none()
                    .then(|| "error: building for darwin requires ld64 linker".to_string()),
            },
        };
    }

    if lld_links && prefs.prefer == PreferLinker::Lld {
        if let Some(choice) = lld() {
            return LinkerPlan::found(choice);
        }
    }
    if prefs.prefer == PreferLinker::Gold {
        let gold = probe.which(&format!("{triple}-gold")).or_else(|| {
            let path = PathBuf::from(format!("/{triple}/bin/gold"));
            probe.is_file(&path).then_some(path)
        });
        if let Some(path) = gold {
            return LinkerPlan::found(path_choice(&path, false));
        }
    }
    if let Some(path) = gnu_cross_ld(target, probe) {
        return LinkerPlan::found(path_choice(&path, true));
    }
    let sysroot_ld = PathBuf::from(format!("/{triple}/bin/ld"));
    if probe.is_file(&sysroot_ld) {
        return LinkerPlan::found(path_choice(&sysroot_ld, true));
    }
    if let Some(choice) = host_ld(target, probe, bin_dir) {
        return LinkerPlan::found(choice);
    }
    let fallback = if lld_links { lld() } else { None };
    LinkerPlan {
        want_binutils: fallback.is_none() || prefs.prefer == PreferLinker::Ld,
        choice: fallback,
        warning: None,
    }
}

/// A GNU cross `ld` on `PATH`: `<triple>-ld`, else the one Debian's
/// `binutils-<binutils triple>` installs (`s390x-linux-gnu-ld` serves
/// `s390x-unknown-linux-gnu`, the triple xx-cargo sets up with
/// `XX_VENDOR=unknown`).
pub fn gnu_cross_ld(target: &CcTarget, probe: &dyn ToolProbe) -> Option<PathBuf> {
    probe.which(&format!("{}-ld", target.triple)).or_else(|| {
        let debian = target.binutils_triple()?;
        (debian != target.triple)
            .then(|| probe.which(&format!("{debian}-ld")))
            .flatten()
    })
}

/// The build machine's `ld`, when it lists an emulation for the target.
fn host_ld(target: &CcTarget, probe: &dyn ToolProbe, bin_dir: &Path) -> Option<LinkerChoice> {
    let emulation = target.arch?.bfd_emulation;
    if target.os != TargetOs::Linux || emulation.is_empty() {
        return None;
    }
    let ld = probe.which("ld")?;
    let listed = probe.host_ld_emulations()?;
    if !listed.split_whitespace().any(|word| word == emulation) {
        return None;
    }
    let link = bin_dir.join(format!("{}-ld", target.triple));
    Some(LinkerChoice {
        fuse_ld: link.to_string_lossy().into_owned(),
        is_bfd: true,
        link_host_ld: Some((ld, link)),
    })
}

/// The Debian package with GNU binutils for `target`
/// (`binutils-s390x-linux-gnu`, `binutils-mingw-w64-x86-64`).
pub fn binutils_package(target: &CcTarget) -> Option<String> {
    let (triple, os) = match target.os {
        TargetOs::Linux => (
            target
                .binutils_triple()
                .unwrap_or_else(|| target.triple.clone()),
            "linux",
        ),
        TargetOs::Windows => (target.triple.clone(), "windows"),
        _ => return None,
    };
    Some(format!(
        "binutils-{}",
        distro::debian_cross_suffix(&triple, os)
    ))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[derive(Default)]
    struct FakeProbe {
        path: BTreeMap<&'static str, &'static str>,
        files: Vec<&'static str>,
        emulations: Option<&'static str>,
    }

    impl ToolProbe for FakeProbe {
        fn which(&self, name: &str) -> Option<PathBuf> {
            self.path.get(name).map(PathBuf::from)
        }
        fn is_file(&self, path: &Path) -> bool {
            self.files.iter().any(|file| Path::new(file) == path)
        }
        fn host_ld_emulations(&self) -> Option<String> {
            self.emulations.map(str::to_string)
        }
    }

    fn target(triple: &str) -> CcTarget {
        CcTarget::from_triple(triple, None).unwrap()
    }

    fn prefs(prefer: Option<&str>, prefer_static: bool) -> LinkerPrefs {
        LinkerPrefs {
            prefer: PreferLinker::from_var(prefer),
            prefer_static,
        }
    }

    fn fuse_ld(plan: &LinkerPlan) -> Option<&str> {
        plan.choice.as_ref().map(|c| c.fuse_ld.as_str())
    }

    const BIN: &str = "/usr/bin";

    #[test]
    fn lld_when_it_links_the_arch() {
        let probe = FakeProbe {
            path: [("lld", "/usr/bin/lld")].into(),
            ..Default::default()
        };
        let plan = plan(
            &target("aarch64-linux-gnu"),
            &prefs(None, false),
            &probe,
            BIN.as_ref(),
        );
        assert_eq!(fuse_ld(&plan), Some("lld"));
        assert!(!plan.want_binutils);
        assert!(!plan.choice.unwrap().is_bfd);
    }

    #[test]
    fn s390x_needs_gnu_ld_under_debians_name() {
        // With or without a vendor in the triple, Debian's
        // s390x-linux-gnu-ld links; lld cannot.
        for triple in ["s390x-linux-gnu", "s390x-unknown-linux-gnu"] {
            let mut probe = FakeProbe {
                path: [("lld", "/usr/bin/lld")].into(),
                ..Default::default()
            };
            let s390x = target(triple);
            let nothing = plan(&s390x, &prefs(None, false), &probe, BIN.as_ref());
            assert_eq!(nothing.choice, None, "{triple}");
            assert!(nothing.want_binutils, "{triple}");

            probe
                .path
                .insert("s390x-linux-gnu-ld", "/usr/bin/s390x-linux-gnu-ld");
            let found = plan(&s390x, &prefs(None, false), &probe, BIN.as_ref());
            assert_eq!(
                fuse_ld(&found),
                Some("/usr/bin/s390x-linux-gnu-ld"),
                "{triple}"
            );
            assert!(found.choice.unwrap().is_bfd, "{triple}");
        }
        // The target's own name wins when both exist.
        let probe = FakeProbe {
            path: [
                ("lld", "/usr/bin/lld"),
                ("s390x-linux-gnu-ld", "/usr/bin/s390x-linux-gnu-ld"),
                (
                    "s390x-unknown-linux-gnu-ld",
                    "/opt/cross/bin/s390x-unknown-linux-gnu-ld",
                ),
            ]
            .into(),
            ..Default::default()
        };
        let own = plan(
            &target("s390x-unknown-linux-gnu"),
            &prefs(None, false),
            &probe,
            BIN.as_ref(),
        );
        assert_eq!(
            fuse_ld(&own),
            Some("/opt/cross/bin/s390x-unknown-linux-gnu-ld")
        );
    }

    #[test]
    fn mips_needs_gnu_ld() {
        let probe = FakeProbe {
            path: [("lld", "/usr/bin/lld")].into(),
            ..Default::default()
        };
        for triple in [
            "mips64el-linux-gnuabi64",
            "mipsel-linux-gnu",
            "mips-linux-gnu",
        ] {
            let plan = plan(&target(triple), &prefs(None, false), &probe, BIN.as_ref());
            assert_eq!(plan.choice, None, "{triple}");
            assert!(plan.want_binutils, "{triple}");
        }
    }

    #[test]
    fn prefer_static_linker_picks_ld_for_ppc64le_and_386() {
        let probe = FakeProbe {
            path: [
                ("lld", "/usr/bin/lld"),
                (
                    "powerpc64le-linux-gnu-ld",
                    "/usr/bin/powerpc64le-linux-gnu-ld",
                ),
            ]
            .into(),
            ..Default::default()
        };
        let ppc = target("powerpc64le-linux-gnu");
        let with_static = plan(&ppc, &prefs(None, true), &probe, BIN.as_ref());
        assert_eq!(
            fuse_ld(&with_static),
            Some("/usr/bin/powerpc64le-linux-gnu-ld")
        );
        let without = plan(&ppc, &prefs(None, false), &probe, BIN.as_ref());
        assert_eq!(fuse_ld(&without), Some("lld"));
        // arm64 is not affected.
        let arm64 = plan(
            &target("aarch64-linux-gnu"),
            &prefs(None, true),
            &probe,
            BIN.as_ref(),
        );
        assert_eq!(fuse_ld(&arm64), Some("lld"));
    }

    #[test]
    fn host_ld_is_linked_when_it_has_the_emulation() {
        let probe = FakeProbe {
            path: [("ld", "/usr/bin/ld")].into(),
            emulations: Some("GNU ld 2.40\n  Supported emulations:\n   elf_x86_64\n   elf_i386\n"),
            ..Default::default()
        };
        let plan_386 = plan(
            &target("i686-linux-gnu"),
            &prefs(None, false),
            &probe,
            BIN.as_ref(),
        );
        let choice = plan_386.choice.unwrap();
        assert_eq!(choice.fuse_ld, "/usr/bin/i686-linux-gnu-ld");
        assert_eq!(
            choice.link_host_ld,
            Some(("/usr/bin/ld".into(), "/usr/bin/i686-linux-gnu-ld".into()))
        );
        let arm = plan(
            &target("aarch64-linux-gnu"),
            &prefs(None, false),
            &probe,
            BIN.as_ref(),
        );
        assert_eq!(arm.choice, None);
        assert!(arm.want_binutils);
    }

    #[test]
    fn prefer_ld_uses_gnu_ld_and_otherwise_asks_for_binutils() {
        let mut probe = FakeProbe {
            path: [("lld", "/usr/bin/lld")].into(),
            ..Default::default()
        };
        let arm64 = target("aarch64-linux-gnu");
        let plan_lld = plan(&arm64, &prefs(Some("ld"), false), &probe, BIN.as_ref());
        assert_eq!(fuse_ld(&plan_lld), Some("lld"));
        assert!(plan_lld.want_binutils);
        probe
            .path
            .insert("aarch64-linux-gnu-ld", "/usr/bin/aarch64-linux-gnu-ld");
        let plan_ld = plan(&arm64, &prefs(Some("ld"), false), &probe, BIN.as_ref());
        assert_eq!(fuse_ld(&plan_ld), Some("/usr/bin/aarch64-linux-gnu-ld"));
        assert!(!plan_ld.want_binutils);
    }

    #[test]
    fn gold_when_asked_for() {
        let probe = FakeProbe {
            path: [
                ("lld", "/usr/bin/lld"),
                ("aarch64-linux-gnu-ld", "/usr/bin/aarch64-linux-gnu-ld"),
            ]
            .into(),
            files: vec!["/aarch64-linux-gnu/bin/gold"],
            ..Default::default()
        };
        let plan = plan(
            &target("aarch64-linux-gnu"),
            &prefs(Some("gold"), false),
            &probe,
            BIN.as_ref(),
        );
        assert_eq!(fuse_ld(&plan), Some("/aarch64-linux-gnu/bin/gold"));
    }

    #[test]
    fn darwin_uses_ld64() {
        let none = FakeProbe::default();
        let mac = target("arm64-apple-macos11.0");
        let plan_none = plan(&mac, &prefs(None, false), &none, BIN.as_ref());
        assert_eq!(fuse_ld(&plan_none), Some("ld64"));
        assert!(plan_none.warning.is_some());
        let signed = FakeProbe {
            path: [("ld64.signed", "/usr/bin/ld64.signed")].into(),
            ..Default::default()
        };
        let plan_signed = plan(&mac, &prefs(None, false), &signed, BIN.as_ref());
        assert_eq!(fuse_ld(&plan_signed), Some("/usr/bin/ld64.signed"));
        assert!(plan_signed.warning.is_none());
    }

    #[test]
    fn binutils_package_names() {
        let cases = [
            ("s390x-linux-gnu", Some("binutils-s390x-linux-gnu")),
            ("x86_64-linux-gnu", Some("binutils-x86-64-linux-gnu")),
            ("x86_64-w64-mingw32", Some("binutils-mingw-w64-x86-64")),
            ("i686-w64-mingw32", Some("binutils-mingw-w64-i686")),
            ("arm64-apple-macos11.0", None),
            // Vendor triples (xx-cargo's) name Debian's packages: no vendor,
            // the plain GNU architecture.
            ("s390x-unknown-linux-gnu", Some("binutils-s390x-linux-gnu")),
            (
                "armv7-unknown-linux-gnueabihf",
                Some("binutils-arm-linux-gnueabihf"),
            ),
            (
                "riscv64gc-unknown-linux-gnu",
                Some("binutils-riscv64-linux-gnu"),
            ),
            (
                "mips64el-unknown-linux-gnuabi64",
                Some("binutils-mips64el-linux-gnuabi64"),
            ),
            ("i686-unknown-linux-gnu", Some("binutils-i686-linux-gnu")),
        ];
        for (triple, package) in cases {
            assert_eq!(
                binutils_package(&target(triple)).as_deref(),
                package,
                "{triple}"
            );
        }
    }
}
