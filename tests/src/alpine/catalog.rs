//! What the fixture repository offers: for each Alpine architecture, the
//! packages xx-apk's tests need, with Alpine 3.20's versions and file
//! paths, each file's contents naming the package and the architecture
//! (`fixture zlib for aarch64: /usr/lib/libz.so.1.3.1`).

use anyhow::{bail, Result};

/// The Alpine architectures the repository has packages for.
pub const ARCHES: [&str; 7] = [
    "x86_64", "aarch64", "armv7", "ppc64le", "s390x", "riscv64", "x86",
];

/// Name of the key the repository's indexes are "signed" with, and of the
/// key file `alpine-keys` installs (the native root has it too).
pub const KEY_NAME: &str = "alpine-devel@lists.alpinelinux.org-fixture.rsa.pub";

/// What the repository's `DESCRIPTION` says (`apk update` prints it).
pub const DESCRIPTION: &str = "v3.20.3-fixture";

/// A file of a fixture package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A regular file.
    File {
        /// Relative to the root.
        path: String,
        /// Its text.
        contents: String,
        /// Mode 755 rather than 644.
        executable: bool,
    },
    /// A symbolic link (relative target, as in Alpine's packages).
    Link {
        /// Relative to the root.
        path: String,
        /// Where it points.
        target: String,
    },
}

/// One package of the fixture repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixturePackage {
    /// `P:`
    pub name: &'static str,
    /// `V:`
    pub version: &'static str,
    /// `L:`
    pub license: &'static str,
    /// `o:`
    pub origin: &'static str,
    /// `T:`
    pub description: &'static str,
    /// `U:`
    pub url: &'static str,
    /// `D:`
    pub depends: &'static [&'static str],
    /// The files.
    pub entries: Vec<Entry>,
}

/// Per-architecture names in Alpine's paths.
struct ArchNames {
    /// musl's loader: `ld-musl-<musl>.so.1`.
    musl: &'static str,
    /// GCC's and Rust's target: `aarch64-alpine-linux-musl`, ...
    triple: &'static str,
    /// compiler-rt's suffix: `libclang_rt.builtins-<clang_rt>.a`.
    clang_rt: &'static str,
}

fn arch_names(arch: &str) -> Result<ArchNames> {
    let (musl, triple, clang_rt) = match arch {
        "x86_64" => ("x86_64", "x86_64-alpine-linux-musl", "x86_64"),
        "aarch64" => ("aarch64", "aarch64-alpine-linux-musl", "aarch64"),
        "armv7" => ("armhf", "armv7-alpine-linux-musleabihf", "armhf"),
        "ppc64le" => (
            "powerpc64le",
            "powerpc64le-alpine-linux-musl",
            "powerpc64le",
        ),
        "s390x" => ("s390x", "s390x-alpine-linux-musl", "s390x"),
        "riscv64" => ("riscv64", "riscv64-alpine-linux-musl", "riscv64"),
        "x86" => ("i386", "i586-alpine-linux-musl", "i386"),
        other => bail!("the Alpine fixture has no packages for {other:?}"),
    };
    Ok(ArchNames {
        musl,
        triple,
        clang_rt,
    })
}

/// A file whose text names its package and architecture.
fn file(package: &str, arch: &str, path: String) -> Entry {
    let contents = format!("fixture {package} for {arch}: /{path}\n");
    Entry::File {
        path,
        contents,
        executable: false,
    }
}

/// A C header (a comment, so that it is valid C).
fn header(package: &str, arch: &str, path: &str) -> Entry {
    Entry::File {
        path: path.to_string(),
        contents: format!("/* fixture {package} for {arch}: /{path} */\n"),
        executable: false,
    }
}

fn link(path: &str, target: &str) -> Entry {
    Entry::Link {
        path: path.to_string(),
        target: target.to_string(),
    }
}

/// zlib's pkg-config file as Alpine installs it.
fn zlib_pc(arch: &str) -> Entry {
    let contents = format!(
        "# fixture zlib-dev for {arch}: /usr/lib/pkgconfig/zlib.pc\n\
         prefix=/usr\n\
         exec_prefix=${{prefix}}\n\
         libdir=${{exec_prefix}}/lib\n\
         includedir=${{prefix}}/include\n\
         \n\
         Name: zlib\n\
         Description: zlib compression library\n\
         Version: 1.3.1\n\
         Libs: -L${{libdir}} -lz\n\
         Cflags: -I${{includedir}}\n"
    );
    Entry::File {
        path: "usr/lib/pkgconfig/zlib.pc".to_string(),
        contents,
        executable: false,
    }
}

/// A `gcc` that says what it is and fails (the fixture has no compiler).
fn gcc_driver(arch: &str) -> Entry {
    Entry::File {
        path: "usr/bin/gcc".to_string(),
        contents: format!(
            "#!/bin/sh\necho 'fixture gcc for {arch}: /usr/bin/gcc is not a compiler' >&2\nexit 1\n"
        ),
        executable: true,
    }
}

const MUSL_VERSION: &str = "1.2.5-r0";
const ZLIB_VERSION: &str = "1.3.1-r1";
const GCC_VERSION: &str = "13.2.1_git20240309-r0";

/// The packages of `arch`.
pub fn packages(arch: &str) -> Result<Vec<FixturePackage>> {
    let names = arch_names(arch)?;
    let musl = names.musl;
    let triple = names.triple;
    let loader = format!("ld-musl-{musl}.so.1");
    Ok(vec![
        FixturePackage {
            name: "alpine-keys",
            version: "2.4-r1",
            license: "MIT",
            origin: "alpine-keys",
            description: "Public keys for Alpine Linux packages",
            url: "https://alpinelinux.org",
            depends: &[],
            entries: vec![Entry::File {
                path: format!("etc/apk/keys/{KEY_NAME}"),
                contents: format!(
                    "-----BEGIN PUBLIC KEY-----\nfixture alpine-keys for {arch}\n-----END PUBLIC KEY-----\n"
                ),
                executable: false,
            }],
        },
        FixturePackage {
            name: "musl",
            version: MUSL_VERSION,
            license: "MIT",
            origin: "musl",
            description: "the musl c library (libc) implementation",
            url: "https://musl.libc.org/",
            depends: &[],
            entries: vec![
                file("musl", arch, format!("lib/{loader}")),
                link(&format!("lib/libc.musl-{musl}.so.1"), &loader),
            ],
        },
        FixturePackage {
            name: "musl-dev",
            version: MUSL_VERSION,
            license: "MIT",
            origin: "musl",
            description: "the musl c library (libc) implementation (development files)",
            url: "https://musl.libc.org/",
            depends: &["musl"],
            entries: vec![
                header("musl-dev", arch, "usr/include/stdio.h"),
                file("musl-dev", arch, "usr/lib/libc.a".to_string()),
                file("musl-dev", arch, "usr/lib/crt1.o".to_string()),
            ],
        },
        FixturePackage {
            name: "zlib",
            version: ZLIB_VERSION,
            license: "Zlib",
            origin: "zlib",
            description: "A compression/decompression Library",
            url: "https://zlib.net/",
            depends: &[],
            entries: vec![
                file("zlib", arch, "usr/lib/libz.so.1.3.1".to_string()),
                link("usr/lib/libz.so.1", "libz.so.1.3.1"),
            ],
        },
        FixturePackage {
            name: "zlib-dev",
            version: ZLIB_VERSION,
            license: "Zlib",
            origin: "zlib",
            description: "A compression/decompression Library (development files)",
            url: "https://zlib.net/",
            depends: &["zlib"],
            entries: vec![
                header("zlib-dev", arch, "usr/include/zlib.h"),
                link("usr/lib/libz.so", "libz.so.1.3.1"),
                zlib_pc(arch),
            ],
        },
        FixturePackage {
            name: "gcc",
            version: GCC_VERSION,
            license: "GPL-2.0-or-later AND LGPL-2.1-or-later",
            origin: "gcc",
            description: "The GNU Compiler Collection",
            url: "https://gcc.gnu.org",
            depends: &[],
            entries: vec![
                gcc_driver(arch),
                file(
                    "gcc",
                    arch,
                    format!("usr/lib/gcc/{triple}/13.2.1/crtbegin.o"),
                ),
            ],
        },
        FixturePackage {
            name: "g++",
            version: GCC_VERSION,
            license: "GPL-2.0-or-later AND LGPL-2.1-or-later",
            origin: "gcc",
            description: "GNU C++ standard library and compiler",
            url: "https://gcc.gnu.org",
            depends: &["gcc"],
            entries: vec![header("g++", arch, "usr/include/c++/13.2.1/iostream")],
        },
        FixturePackage {
            name: "compiler-rt",
            version: "17.0.6-r1",
            license: "Apache-2.0 WITH LLVM-exception",
            origin: "compiler-rt",
            description: "LLVM compiler-rt runtime libraries",
            url: "https://compiler-rt.llvm.org/",
            depends: &[],
            entries: vec![file(
                "compiler-rt",
                arch,
                format!(
                    "usr/lib/llvm17/lib/clang/17/lib/linux/libclang_rt.builtins-{}.a",
                    names.clang_rt
                ),
            )],
        },
        FixturePackage {
            name: "rust-stdlib",
            version: "1.78.0-r0",
            license: "Apache-2.0 AND MIT",
            origin: "rust",
            description: "Standard library for Rust",
            url: "https://www.rust-lang.org/",
            depends: &[],
            entries: vec![file(
                "rust-stdlib",
                arch,
                format!("usr/lib/rustlib/{triple}/lib/libstd-fixture.rlib"),
            )],
        },
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(arch: &str) -> Vec<String> {
        packages(arch)
            .unwrap()
            .into_iter()
            .flat_map(|package| package.entries)
            .map(|entry| match entry {
                Entry::File { path, .. } | Entry::Link { path, .. } => path,
            })
            .collect()
    }

    #[test]
    fn paths_follow_alpine_per_arch() {
        let armv7 = paths("armv7");
        for expected in [
            "lib/ld-musl-armhf.so.1",
            "usr/lib/gcc/armv7-alpine-linux-musleabihf/13.2.1/crtbegin.o",
            "usr/lib/llvm17/lib/clang/17/lib/linux/libclang_rt.builtins-armhf.a",
            "usr/lib/rustlib/armv7-alpine-linux-musleabihf/lib/libstd-fixture.rlib",
        ] {
            assert!(armv7.iter().any(|p| p == expected), "{expected}");
        }
        let x86 = paths("x86");
        assert!(x86.iter().any(|p| p == "lib/ld-musl-i386.so.1"));
        assert!(x86
            .iter()
            .any(|p| p == "usr/lib/rustlib/i586-alpine-linux-musl/lib/libstd-fixture.rlib"));
        assert!(packages("mips64").is_err());
    }

    #[test]
    fn every_file_names_its_arch() {
        for arch in ARCHES {
            for package in packages(arch).unwrap() {
                for entry in &package.entries {
                    if let Entry::File { contents, .. } = entry {
                        assert!(contents.contains(&format!("for {arch}")), "{contents}");
                    }
                }
            }
        }
    }
}
