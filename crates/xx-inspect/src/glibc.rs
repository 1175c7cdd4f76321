//! glibc symbol-version numbers such as `2.34` or `2.3.4`.

use std::fmt;
use std::str::FromStr;

/// A glibc version as used in symbol versions (`GLIBC_2.34`, `GLIBC_2.3.4`).
///
/// Ordering is numeric by major, then minor, then patch, so `2.3.4 < 2.17 <
/// 2.34`. A missing patch component is zero: `"2.31"` and `"2.31.0"` parse to
/// equal values, and both display as `2.31`. Serializes as that string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GlibcVersion {
    major: u32,
    minor: u32,
    patch: u32,
}

impl GlibcVersion {
    /// Builds a version from its numeric components.
    pub const fn new(major: u32, minor: u32, patch: u32) -> Self {
        GlibcVersion {
            major,
            minor,
            patch,
        }
    }

    /// The first component (`2` in `2.34`).
    pub const fn major(&self) -> u32 {
        self.major
    }

    /// The second component (`34` in `2.34`).
    pub const fn minor(&self) -> u32 {
        self.minor
    }

    /// The third component (`4` in `2.3.4`), zero when absent.
    pub const fn patch(&self) -> u32 {
        self.patch
    }

    /// Parses a symbol-version name such as `GLIBC_2.34`; returns `None` for
    /// anything else, including `GLIBC_PRIVATE` and `GLIBC_ABI_DT_RELR`.
    pub fn from_symbol_version(name: &str) -> Option<Self> {
        name.strip_prefix("GLIBC_")?.parse().ok()
    }
}

impl fmt::Display for GlibcVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.patch == 0 {
            write!(f, "{}.{}", self.major, self.minor)
        } else {
            write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
        }
    }
}

/// Why a string is not a glibc version.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GlibcVersionParseError {
    /// The string has fewer than two or more than three dot-separated parts.
    #[error("glibc version {input:?} must look like 2.31 or 2.3.4")]
    WrongComponentCount {
        /// The rejected input.
        input: String,
    },
    /// A part is empty, is not plain decimal digits, or does not fit in `u32`.
    #[error("glibc version {input:?} has an invalid number {component:?}")]
    InvalidComponent {
        /// The rejected input.
        input: String,
        /// The part that is not a number.
        component: String,
    },
}

impl FromStr for GlibcVersion {
    type Err = GlibcVersionParseError;

    /// Accepts `MAJOR.MINOR` or `MAJOR.MINOR.PATCH` with decimal digits only
    /// (no sign, no spaces, no `GLIBC_` prefix).
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = input.split('.').collect();
        if !(2..=3).contains(&parts.len()) {
            return Err(GlibcVersionParseError::WrongComponentCount {
                input: input.to_owned(),
            });
        }
        let mut numbers = [0u32; 3];
        for (slot, part) in numbers.iter_mut().zip(&parts) {
            *slot =
                parse_component(part).ok_or_else(|| GlibcVersionParseError::InvalidComponent {
                    input: input.to_owned(),
                    component: (*part).to_owned(),
                })?;
        }
        Ok(GlibcVersion::new(numbers[0], numbers[1], numbers[2]))
    }
}

fn parse_component(part: &str) -> Option<u32> {
    if part.is_empty() || !part.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    part.parse().ok()
}

impl serde::Serialize for GlibcVersion {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_two_and_three_components() {
        assert_eq!("2.31".parse(), Ok(GlibcVersion::new(2, 31, 0)));
        assert_eq!("2.3.4".parse(), Ok(GlibcVersion::new(2, 3, 4)));
        assert_eq!("2.31.0".parse(), Ok(GlibcVersion::new(2, 31, 0)));
    }

    #[test]
    fn rejects_malformed_input() {
        for bad in [
            "",
            "2",
            "2.",
            ".3",
            "2.3.4.5",
            "2.x",
            "2.+3",
            " 2.3",
            "2.99999999999",
        ] {
            assert!(bad.parse::<GlibcVersion>().is_err(), "{bad:?} should fail");
        }
        assert_eq!(
            "2".parse::<GlibcVersion>(),
            Err(GlibcVersionParseError::WrongComponentCount { input: "2".into() })
        );
        assert!(matches!(
            "2.x".parse::<GlibcVersion>(),
            Err(GlibcVersionParseError::InvalidComponent { component, .. }) if component == "x"
        ));
    }

    #[test]
    fn orders_numerically() {
        let parse = |s: &str| s.parse::<GlibcVersion>().unwrap();
        assert!(parse("2.3.4") < parse("2.17"));
        assert!(parse("2.17") < parse("2.34"));
        assert!(parse("2.34") < parse("2.34.1"));
        assert!(parse("2.9") < parse("2.10"));
    }

    #[test]
    fn displays_without_zero_patch() {
        assert_eq!(GlibcVersion::new(2, 34, 0).to_string(), "2.34");
        assert_eq!(GlibcVersion::new(2, 3, 4).to_string(), "2.3.4");
    }

    #[test]
    fn reads_symbol_version_names() {
        assert_eq!(
            GlibcVersion::from_symbol_version("GLIBC_2.2.5"),
            Some(GlibcVersion::new(2, 2, 5))
        );
        assert_eq!(GlibcVersion::from_symbol_version("GLIBC_PRIVATE"), None);
        assert_eq!(GlibcVersion::from_symbol_version("GLIBC_ABI_DT_RELR"), None);
        assert_eq!(GlibcVersion::from_symbol_version("GCC_3.0"), None);
    }
}
