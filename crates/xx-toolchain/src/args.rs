//! The arguments xx-cc understands itself; everything else goes to clang
//! (pure parsing, following xx's rules).

/// Internal first argument of the plain `clang`/`gcc` shims: the tool runs
/// as plain `clang` (target-aware only with `--target=` or when wrapped).
pub const PLAIN_FLAG: &str = "--xx-cc-plain";

/// An argument that ends xx-cc's own handling at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Early {
    /// `--config` given: run clang untouched.
    Config,
    /// `--wrap`: make plain compilers target-aware.
    Wrap,
    /// `--unwrap`: undo `--wrap`.
    Unwrap,
}

/// Parsed command line of `xx-clang` and friends.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CcArgs {
    /// Invoked through a plain `clang`/`gcc` shim.
    pub plain: bool,
    /// The first of `--config`, `--wrap`, `--unwrap`.
    pub early: Option<Early>,
    /// `--print-target-triple`.
    pub print_target: bool,
    /// `--setup-target-triple`.
    pub setup: bool,
    /// `--print-cmake-defines`.
    pub cmake_defines: bool,
    /// `--print-cmake-toolchain` (xx-rs).
    pub cmake_toolchain: bool,
    /// `--print-meson-cross-file` (xx-rs).
    pub meson_cross: bool,
    /// `--print-sysroot`.
    pub print_sysroot: bool,
    /// `--download-prog=ld`.
    pub download_ld: bool,
    /// `--target=T` or `-target T` (the last one wins).
    pub target: Option<String>,
    /// The arguments to pass to clang.
    pub clang_args: Vec<String>,
}

fn is_flag(arg: &str, name: &str) -> bool {
    arg.strip_prefix('-')
        .is_some_and(|rest| rest == name || rest.strip_prefix('-') == Some(name))
}

impl CcArgs {
    /// Parse the arguments after argv\[0\].
    pub fn parse(args: &[String]) -> CcArgs {
        let mut parsed = CcArgs::default();
        let mut rest = args;
        if let Some((first, tail)) = args.split_first() {
            if first == PLAIN_FLAG {
                parsed.plain = true;
                rest = tail;
            }
        }
        parsed.clang_args = rest.to_vec();
        let mut next_is_target = false;
        for arg in rest {
            if next_is_target {
                parsed.target = Some(arg.clone());
                next_is_target = false;
                continue;
            }
            if parsed.early.is_none() {
                if arg == "--config" || arg.starts_with("--config=") {
                    parsed.early = Some(Early::Config);
                } else if arg == "--wrap" && !parsed.plain {
                    parsed.early = Some(Early::Wrap);
                } else if arg == "--unwrap" && !parsed.plain {
                    parsed.early = Some(Early::Unwrap);
                }
            }
            if is_flag(arg, "print-target-triple") {
                parsed.print_target = true;
            } else if is_flag(arg, "setup-target-triple") {
                parsed.setup = true;
            } else if is_flag(arg, "print-cmake-defines") {
                parsed.cmake_defines = true;
            } else if is_flag(arg, "print-sysroot") {
                parsed.print_sysroot = true;
            } else if arg == "--print-cmake-toolchain" {
                parsed.cmake_toolchain = true;
            } else if arg == "--print-meson-cross-file" {
                parsed.meson_cross = true;
            } else if arg == "--download-prog=ld" {
                parsed.download_ld = true;
            } else if arg == "-target" {
                next_is_target = true;
            } else if let Some(value) = arg.strip_prefix("--target=") {
                parsed.target = Some(value.to_string());
            }
        }
        parsed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> CcArgs {
        CcArgs::parse(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn xx_flags() {
        let p = parse(&["--print-target-triple"]);
        assert!(p.print_target && !p.plain && p.target.is_none());
        assert!(parse(&["-print-target-triple"]).print_target);
        assert!(parse(&["--setup-target-triple"]).setup);
        assert!(parse(&["-print-cmake-defines"]).cmake_defines);
        assert!(parse(&["--print-sysroot"]).print_sysroot);
        assert!(parse(&["--download-prog=ld"]).download_ld);
        assert!(parse(&["--print-cmake-toolchain"]).cmake_toolchain);
        assert!(parse(&["--print-meson-cross-file"]).meson_cross);
        assert!(!parse(&["---print-sysroot"]).print_sysroot);
    }

    #[test]
    fn targets() {
        assert_eq!(
            parse(&["-target", "aarch64-linux-gnu", "-c", "x.c"])
                .target
                .as_deref(),
            Some("aarch64-linux-gnu")
        );
        assert_eq!(
            parse(&["--target=s390x-linux-gnu"]).target.as_deref(),
            Some("s390x-linux-gnu")
        );
        assert_eq!(
            parse(&["--target=a", "--target=b"]).target.as_deref(),
            Some("b")
        );
    }

    #[test]
    fn early_exits_follow_argument_order() {
        assert_eq!(
            parse(&["--config", "x.cfg", "--wrap"]).early,
            Some(Early::Config)
        );
        assert_eq!(parse(&["--wrap", "--config", "x"]).early, Some(Early::Wrap));
        assert_eq!(parse(&["--unwrap"]).early, Some(Early::Unwrap));
        assert_eq!(parse(&["--config=x.cfg"]).early, Some(Early::Config));
        // Plain `clang --wrap` is clang's business.
        assert_eq!(parse(&[PLAIN_FLAG, "--wrap"]).early, None);
    }

    #[test]
    fn plain_flag_is_stripped() {
        let p = parse(&[PLAIN_FLAG, "-c", "x.c"]);
        assert!(p.plain);
        assert_eq!(p.clang_args, vec!["-c", "x.c"]);
        // Only as the first argument.
        let q = parse(&["-c", PLAIN_FLAG]);
        assert!(!q.plain);
        assert_eq!(q.clang_args.len(), 2);
    }
}
