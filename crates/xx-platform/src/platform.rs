//! Parsing and normalising the requested platform from `TARGETPLATFORM`,
//! `TARGETPAIR` or `TARGETOS`/`TARGETARCH`/`TARGETVARIANT`.
//!
//! Precedence follows tonistiigi/xx: `TARGETPLATFORM` wins over `TARGETPAIR`,
//! which wins over the three separate variables; with no architecture at all
//! the machine's own (`uname -m`) is used, and the OS defaults to `linux`.

use std::fmt;

use serde::Serialize;

use crate::error::PlatformError;
use crate::vars::Vars;
use crate::{arch, os};

/// A normalised OCI platform: `os/arch[/variant]`.
///
/// The fields may name an OS or architecture that xx-rs has no mapping for
/// (`foo/bar`): only commands that need a mapping reject those, as in xx.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Platform {
    /// OS (`linux`, `windows`, `darwin`, ...).
    pub os: String,
    /// Architecture (`amd64`, `arm64`, `arm`, ...); empty when it could not be
    /// determined.
    pub arch: String,
    /// Variant (`v7`, `v3`, `softfloat`), empty for none.
    pub variant: String,
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.arch)?;
        if !self.variant.is_empty() {
            write!(f, "/{}", self.variant)?;
        }
        Ok(())
    }
}

/// Whether `value` only holds characters allowed in a platform component.
pub fn is_clean_component(value: &str) -> bool {
    value
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-'))
}

/// Check one component read from `origin`, rejecting unsafe characters.
fn clean(origin: &'static str, value: &str) -> Result<(), PlatformError> {
    if is_clean_component(value) {
        Ok(())
    } else {
        Err(PlatformError::InvalidCharacters {
            origin,
            value: value.to_string(),
        })
    }
}

impl Platform {
    /// Parse an OCI platform string (`linux/arm64`, `linux/arm/v7`) and
    /// normalise it.
    pub fn parse(spec: &str) -> Result<Platform, PlatformError> {
        Self::parse_from("TARGETPLATFORM", spec)
    }

    fn parse_from(origin: &'static str, spec: &str) -> Result<Platform, PlatformError> {
        let parts: Vec<&str> = spec.split('/').collect();
        if parts.iter().any(|part| !is_clean_component(part)) {
            return Err(PlatformError::InvalidCharacters {
                origin,
                value: spec.to_string(),
            });
        }
        match parts.as_slice() {
            [os, arch] if !os.is_empty() && !arch.is_empty() => Ok(Self::normalize(os, arch, "")),
            [os, arch, variant] if !os.is_empty() && !arch.is_empty() && !variant.is_empty() => {
                Ok(Self::normalize(os, arch, variant))
            }
            _ => Err(PlatformError::Malformed {
                origin,
                value: spec.to_string(),
                expected: "os/arch[/variant]",
            }),
        }
    }

    /// Parse a `TARGETPAIR` value (`linux-amd64`, `linux-armv7`).
    pub fn parse_pair(pair: &str) -> Result<Platform, PlatformError> {
        clean("TARGETPAIR", pair)?;
        match pair.split('-').collect::<Vec<_>>().as_slice() {
            [os, arch] if !os.is_empty() && !arch.is_empty() => Ok(Self::normalize(os, arch, "")),
            _ => Err(PlatformError::Malformed {
                origin: "TARGETPAIR",
                value: pair.to_string(),
                expected: "os-arch[variant], e.g. linux-armv7",
            }),
        }
    }

    /// The platform of a machine whose `uname -m` is `machine`, running Linux.
    /// An unknown machine gives an empty architecture.
    pub fn from_machine(machine: &str) -> Platform {
        if is_clean_component(machine) && !machine.is_empty() {
            let platform = Self::normalize("linux", machine, "");
            if arch::is_known_arch(&platform.arch) {
                return platform;
            }
        }
        Platform {
            os: "linux".into(),
            arch: String::new(),
            variant: String::new(),
        }
    }

    /// Resolve the requested platform from the environment, as xx does.
    /// `host_machine` is the build machine's `uname -m`.
    pub fn from_vars(vars: &dyn Vars, host_machine: &str) -> Result<Platform, PlatformError> {
        if let Some(spec) = vars.non_empty("TARGETPLATFORM") {
            return Self::parse(&spec);
        }
        if let Some(pair) = vars.non_empty("TARGETPAIR") {
            return Self::parse_pair(&pair);
        }
        let os = vars.non_empty("TARGETOS").unwrap_or_default();
        let arch = vars.non_empty("TARGETARCH").unwrap_or_default();
        let variant = vars.non_empty("TARGETVARIANT").unwrap_or_default();
        clean("TARGETOS", &os)?;
        clean("TARGETARCH", &arch)?;
        clean("TARGETVARIANT", &variant)?;
        let os = if os.is_empty() {
            "linux".to_string()
        } else {
            os
        };
        if arch.is_empty() {
            let host = Self::from_machine(host_machine);
            return Ok(Self::normalize(&os, &host.arch, &host.variant));
        }
        Ok(Self::normalize(&os, &arch, &variant))
    }

    /// Apply aliases and default variants. Unknown names are kept as given so
    /// that `xx-info os`/`arch` can still echo them.
    pub fn normalize(os: &str, arch: &str, variant: &str) -> Platform {
        let os = os::resolve_alias(os).unwrap_or(os).to_string();
        let (arch, variant) = match arch::resolve_alias(arch) {
            Some((real, implied)) if variant.is_empty() => (real, implied.to_string()),
            Some((real, implied)) if implied.is_empty() || implied == variant => {
                (real, variant.to_string())
            }
            // Not an alias, or an alias that already names a variant (armhf)
            // plus a different explicit one: keep it raw, so it stays unmapped.
            _ => (arch, variant.to_string()),
        };
        let variant = normalize_variant(arch, &variant);
        Platform {
            os,
            arch: arch.to_string(),
            variant,
        }
    }
}

/// Normalise a variant for `arch`: none is the arch's default variant
/// (`v7` for arm), and the table's variant aliases name their rows
/// (`arm/7` is `arm/v7`; `amd64/v1` and `arm64/v8` are the base variant).
fn normalize_variant(arch: &str, variant: &str) -> String {
    if variant.is_empty() {
        return arch::default_variant(arch).to_string();
    }
    arch::rows_of(arch)
        .find(|row| row.variant_aliases.contains(&variant))
        .map_or(variant, |row| row.variant)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vars::MapVars;

    fn p(os: &str, arch: &str, variant: &str) -> Platform {
        Platform {
            os: os.into(),
            arch: arch.into(),
            variant: variant.into(),
        }
    }

    #[test]
    fn parses_and_normalises_platform_strings() {
        let cases = [
            ("linux/amd64", p("linux", "amd64", "")),
            ("linux/amd64/v1", p("linux", "amd64", "")),
            ("linux/amd64/v3", p("linux", "amd64", "v3")),
            ("linux/x86_64", p("linux", "amd64", "")),
            ("linux/x86-64", p("linux", "amd64", "")),
            ("linux/aarch64", p("linux", "arm64", "")),
            ("linux/arm64/v8", p("linux", "arm64", "")),
            ("linux/arm", p("linux", "arm", "v7")),
            ("linux/arm/7", p("linux", "arm", "v7")),
            ("linux/arm/5", p("linux", "arm", "v5")),
            ("linux/arm/8", p("linux", "arm", "v8")),
            ("linux/amd64/2", p("linux", "amd64", "2")),
            ("linux/arm64/v9", p("linux", "arm64", "v9")),
            ("linux/arm/v6", p("linux", "arm", "v6")),
            ("linux/armhf", p("linux", "arm", "v7")),
            ("linux/armel", p("linux", "arm", "v6")),
            ("linux/armv7l", p("linux", "arm", "v7")),
            ("linux/i386", p("linux", "386", "")),
            ("linux/i686", p("linux", "386", "")),
            ("linux/ppc64el", p("linux", "ppc64le", "")),
            ("linux/mips64el", p("linux", "mips64le", "")),
            ("linux/mips/softfloat", p("linux", "mips", "softfloat")),
            ("macos/arm64", p("darwin", "arm64", "")),
            ("foo/bar", p("foo", "bar", "")),
        ];
        for (spec, want) in cases {
            assert_eq!(Platform::parse(spec).unwrap(), want, "{spec}");
        }
    }

    #[test]
    fn rejects_malformed_and_unclean_strings() {
        for spec in [
            "",
            "linux",
            "linux/",
            "/amd64",
            "linux//v7",
            "linux/arm/v7/x",
            "Linux/amd64",
            "linux/amd 64",
            "linux/$(id)",
            "linux/amd64\n",
        ] {
            assert!(Platform::parse(spec).is_err(), "{spec:?} accepted");
        }
    }

    #[test]
    fn pairs() {
        assert_eq!(
            Platform::parse_pair("linux-armv7").unwrap(),
            p("linux", "arm", "v7")
        );
        assert_eq!(
            Platform::parse_pair("linux-armv5").unwrap(),
            p("linux", "arm", "v5")
        );
        assert_eq!(
            Platform::parse_pair("linux-amd64").unwrap(),
            p("linux", "amd64", "")
        );
        // xx leaves amd64v3 unsplit, so it is an unknown arch.
        assert_eq!(
            Platform::parse_pair("linux-amd64v3").unwrap(),
            p("linux", "amd64v3", "")
        );
        assert!(Platform::parse_pair("linux").is_err());
        assert!(Platform::parse_pair("linux-arm-v7").is_err());
    }

    #[test]
    fn precedence_follows_xx() {
        let vars = MapVars::from([
            ("TARGETPLATFORM", "linux/arm64"),
            ("TARGETPAIR", "linux-s390x"),
            ("TARGETOS", "windows"),
            ("TARGETARCH", "386"),
        ]);
        assert_eq!(
            Platform::from_vars(&vars, "x86_64").unwrap(),
            p("linux", "arm64", "")
        );
        let vars = MapVars::from([
            ("TARGETPAIR", "linux-s390x"),
            ("TARGETOS", "windows"),
            ("TARGETARCH", "386"),
        ]);
        assert_eq!(
            Platform::from_vars(&vars, "x86_64").unwrap(),
            p("linux", "s390x", "")
        );
        let vars = MapVars::from([
            ("TARGETOS", "windows"),
            ("TARGETARCH", "arm"),
            ("TARGETVARIANT", "v6"),
        ]);
        assert_eq!(
            Platform::from_vars(&vars, "x86_64").unwrap(),
            p("windows", "arm", "v6")
        );
        let vars = MapVars::from([("TARGETARCH", "arm")]);
        assert_eq!(
            Platform::from_vars(&vars, "x86_64").unwrap(),
            p("linux", "arm", "v7")
        );
    }

    #[test]
    fn falls_back_to_the_machine() {
        let none = MapVars::default();
        assert_eq!(
            Platform::from_vars(&none, "x86_64").unwrap(),
            p("linux", "amd64", "")
        );
        assert_eq!(
            Platform::from_vars(&none, "armv7l").unwrap(),
            p("linux", "arm", "v7")
        );
        assert_eq!(
            Platform::from_vars(&none, "not-a-machine").unwrap(),
            p("linux", "", "")
        );
        let os_only = MapVars::from([("TARGETOS", "windows")]);
        assert_eq!(
            Platform::from_vars(&os_only, "aarch64").unwrap(),
            p("windows", "arm64", "")
        );
    }

    #[test]
    fn display() {
        assert_eq!(p("linux", "arm", "v7").to_string(), "linux/arm/v7");
        assert_eq!(p("linux", "amd64", "").to_string(), "linux/amd64");
    }
}

#[cfg(test)]
mod property_tests {
    use super::*;
    use crate::host::HostInfo;
    use crate::target::{RustToolchain, Target};
    use crate::vars::MapVars;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]

        /// No string, however odd, makes parsing or mapping panic.
        #[test]
        fn never_panics(spec in "\\PC{0,40}", pair in "[a-z0-9/_.\\-]{0,20}", arch in "\\PC{0,12}") {
            let _ = Platform::parse(&spec);
            let _ = Platform::parse_pair(&pair);
            let _ = Platform::from_machine(&arch);
            let vars = MapVars::from([
                ("TARGETPLATFORM", spec.as_str()),
                ("ARM_TARGET_ARCH", arch.as_str()),
                ("MACOSX_VERSION_MIN", arch.as_str()),
            ]);
            if let Ok(target) = Target::resolve(&vars, &HostInfo::default()) {
                let _ = target.rust_triple(&vars, RustToolchain::Rustup);
                let _ = target.go_env();
                let _ = target.env_lines();
            }
        }

        /// Whatever parses only holds clean components.
        #[test]
        fn accepted_platforms_are_clean(spec in "[a-zA-Z0-9/_. $;\\-]{0,30}") {
            if let Ok(platform) = Platform::parse(&spec) {
                prop_assert!(is_clean_component(&platform.os));
                prop_assert!(is_clean_component(&platform.arch));
                prop_assert!(is_clean_component(&platform.variant));
            }
        }
    }
}
