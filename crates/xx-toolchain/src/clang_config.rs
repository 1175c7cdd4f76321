//! The text of the clang configuration files xx-cc writes (pure).

/// Where the target's libraries and headers live, which decides the extra
/// flags of its config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetRoot {
    /// The build machine itself: no extra flags.
    Native,
    /// macOS SDK directory (`-isysroot <sdk> -stdlib=libc++`).
    MacSdk(String),
    /// MinGW headers and libraries below `/usr/<triple>`, plus Debian's
    /// MinGW GCC runtime (`libgcc`, libstdc++ headers), which clang does not
    /// find by itself in `/usr/lib/gcc/<triple>/<version>-win32`.
    Mingw {
        /// GCC's library directory for the target, when installed.
        gcc_lib_dir: Option<String>,
        /// libstdc++ header directories (`-stdlib++-isystem`, C++ only).
        cxx_include_dirs: Vec<String>,
    },
    /// Alpine's per-target root `/<triple>/`.
    AlpineSysroot,
    /// Debian/Ubuntu multiarch: libraries in `/usr/lib/<tuple>` of `/`.
    Multiarch(String),
    /// Anything else: the compiler's defaults.
    Default,
}

/// Everything that goes into `<triple>.cfg`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigSpec {
    /// The triple clang is told to target (`--target=`).
    pub clang_target: String,
    /// The triple the files are named after (the sysroot on Alpine).
    pub triple: String,
    /// The `-fuse-ld=` value.
    pub fuse_ld: String,
    /// Where the target's files are.
    pub root: TargetRoot,
}

/// The one line of `<triple>.cfg`, with its newline.
///
/// Cross targets whose libraries are in a known place also get
/// `-Wl,-rpath-link,...`, so that the linker (lld or GNU ld) resolves the
/// dependencies of the shared libraries a program links.
pub fn target_config_text(spec: &ConfigSpec) -> String {
    let mut flags = vec![
        format!("--target={}", spec.clang_target),
        format!("-fuse-ld={}", spec.fuse_ld),
    ];
    let triple = &spec.triple;
    match &spec.root {
        TargetRoot::Native | TargetRoot::Default => {}
        TargetRoot::MacSdk(sdk) => {
            flags.push(format!("-isysroot {sdk}"));
            flags.push("-stdlib=libc++".into());
        }
        TargetRoot::Mingw {
            gcc_lib_dir,
            cxx_include_dirs,
        } => {
            flags.push(format!("-I/usr/{triple}/include"));
            flags.push(format!("-L/usr/{triple}/lib"));
            if let Some(dir) = gcc_lib_dir {
                flags.push(format!("-L{dir}"));
            }
            for dir in cxx_include_dirs {
                flags.push(format!("-stdlib++-isystem {dir}"));
            }
        }
        TargetRoot::AlpineSysroot => {
            flags.push(format!("--sysroot=/{triple}/"));
            flags.push(format!("-Wl,-rpath-link,/{triple}/usr/lib"));
        }
        TargetRoot::Multiarch(tuple) => {
            flags.push(format!("-Wl,-rpath-link,/usr/lib/{tuple}:/lib/{tuple}"));
        }
    }
    let mut text = flags.join(" ");
    text.push('\n');
    text
}

/// `/etc/llvm/xx-default.cfg`: the linker for builds with no target.
pub fn default_config_text(fuse_ld: &str) -> String {
    format!("-fuse-ld={fuse_ld}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(triple: &str, fuse_ld: &str, root: TargetRoot) -> ConfigSpec {
        ConfigSpec {
            clang_target: triple.into(),
            triple: triple.into(),
            fuse_ld: fuse_ld.into(),
            root,
        }
    }

    #[test]
    fn native_is_exactly_xx() {
        assert_eq!(
            target_config_text(&spec("x86_64-linux-gnu", "lld", TargetRoot::Native)),
            "--target=x86_64-linux-gnu -fuse-ld=lld\n"
        );
        assert_eq!(default_config_text("lld"), "-fuse-ld=lld\n");
    }

    #[test]
    fn windows_and_darwin_are_exactly_xx() {
        assert_eq!(
            target_config_text(&spec(
                "x86_64-w64-mingw32",
                "lld",
                TargetRoot::Mingw {
                    gcc_lib_dir: None,
                    cxx_include_dirs: vec![]
                }
            )),
            "--target=x86_64-w64-mingw32 -fuse-ld=lld -I/usr/x86_64-w64-mingw32/include -L/usr/x86_64-w64-mingw32/lib\n"
        );
        let gcc = "/usr/lib/gcc/x86_64-w64-mingw32/12-win32";
        assert_eq!(
            target_config_text(&spec(
                "x86_64-w64-mingw32",
                "lld",
                TargetRoot::Mingw {
                    gcc_lib_dir: Some(gcc.into()),
                    cxx_include_dirs: vec![format!("{gcc}/include/c++")]
                }
            )),
            format!("--target=x86_64-w64-mingw32 -fuse-ld=lld -I/usr/x86_64-w64-mingw32/include -L/usr/x86_64-w64-mingw32/lib -L{gcc} -stdlib++-isystem {gcc}/include/c++\n")
        );
        assert_eq!(
            target_config_text(&spec(
                "arm64-apple-macos11.0",
                "ld64",
                TargetRoot::MacSdk("/xx-sdk/MacOSX11.1.sdk".into())
            )),
            "--target=arm64-apple-macos11.0 -fuse-ld=ld64 -isysroot /xx-sdk/MacOSX11.1.sdk -stdlib=libc++\n"
        );
    }

    #[test]
    fn cross_linux_gets_rpath_link() {
        assert_eq!(
            target_config_text(&spec(
                "aarch64-linux-gnu",
                "lld",
                TargetRoot::Multiarch("aarch64-linux-gnu".into())
            )),
            "--target=aarch64-linux-gnu -fuse-ld=lld -Wl,-rpath-link,/usr/lib/aarch64-linux-gnu:/lib/aarch64-linux-gnu\n"
        );
        assert_eq!(
            target_config_text(&spec(
                "i686-linux-gnu",
                "lld",
                TargetRoot::Multiarch("i386-linux-gnu".into())
            )),
            "--target=i686-linux-gnu -fuse-ld=lld -Wl,-rpath-link,/usr/lib/i386-linux-gnu:/lib/i386-linux-gnu\n"
        );
        assert_eq!(
            target_config_text(&spec(
                "riscv64-alpine-linux-musl",
                "/usr/bin/riscv64-alpine-linux-musl-ld",
                TargetRoot::AlpineSysroot
            )),
            "--target=riscv64-alpine-linux-musl -fuse-ld=/usr/bin/riscv64-alpine-linux-musl-ld --sysroot=/riscv64-alpine-linux-musl/ -Wl,-rpath-link,/riscv64-alpine-linux-musl/usr/lib\n"
        );
    }

    #[test]
    fn riscv_target_is_spelled_for_clang() {
        let spec = ConfigSpec {
            clang_target: "riscv64-unknown-linux-gnu".into(),
            triple: "riscv64gc-unknown-linux-gnu".into(),
            fuse_ld: "/usr/bin/riscv64gc-unknown-linux-gnu-ld".into(),
            root: TargetRoot::Default,
        };
        assert_eq!(
            target_config_text(&spec),
            "--target=riscv64-unknown-linux-gnu -fuse-ld=/usr/bin/riscv64gc-unknown-linux-gnu-ld\n"
        );
    }
}
