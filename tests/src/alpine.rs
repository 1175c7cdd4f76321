//! The Alpine fixture: a Debian sandbox made to look like an Alpine 3.20
//! build stage, for testing xx-apk and the other tools on "Alpine".
//!
//! Alpine's package repositories cannot be reached from the machines these
//! tests run on, and Debian has no `apk`, so both are faked:
//!
//! * **Alpine markers**, which are all xx-rs tools read to tell the
//!   distribution: `/etc/os-release` (and `/usr/lib/os-release`) of Alpine
//!   3.20.3, `/etc/alpine-release`, `/etc/apk/arch` (`x86_64`),
//!   `/etc/apk/repositories` (one line, [`ALPINE_FIXTURE_REPO`]) and
//!   `/etc/apk/keys/` with the fixture's (dummy) key.
//! * **A native apk database**: `/lib/apk/db/installed` and
//!   `/etc/apk/world` with `alpine-baselayout`, `busybox`, `musl` and
//!   `apk-tools` (x86_64). Only their records are there: of their files,
//!   only `/sbin/apk` exists; busybox and musl's loader do not.
//! * **`/sbin/apk`**: the `fixture-apk` binary of this package
//!   (`src/bin/fixture_apk.rs`), a stand-in for apk-tools 2.14 with apk's
//!   command line, database format, messages and exit statuses for `add`,
//!   `del`, `info`, `list` and `update`. It logs each run's arguments to
//!   `/var/log/fixture-apk.log`.
//! * **A local repository** at [`ALPINE_FIXTURE_REPO`] with, for `x86_64`,
//!   `aarch64`, `armv7`, `ppc64le`, `s390x`, `riscv64` and `x86`, the
//!   packages `alpine-keys`, `musl`, `musl-dev`, `zlib`, `zlib-dev`, `gcc`,
//!   `g++`, `compiler-rt` and `rust-stdlib` at Alpine 3.20's versions and
//!   paths. Their files are text naming the package, the architecture and
//!   the path (`fixture zlib for aarch64: /usr/lib/libz.so.1.3.1`; C headers
//!   as comments, `/usr/bin/gcc` a script that fails), so tests can tell
//!   which architecture's files landed where. Indexes are plain text
//!   (`<arch>/APKINDEX`), packages gzip'd tars, and an empty
//!   `<arch>/.SIGN.RSA.<key>` stands in for the signature: apk trusts the
//!   index when the root has that key in `etc/apk/keys/` (as after
//!   installing `alpine-keys`) or with `--allow-untrusted`. URLs of Alpine
//!   mirrors (`https://<host>/alpine/v3.20/main`) are served from the same
//!   folder; other URLs are unreachable.
//!
//! Debian's own tools stay. Installing packages into the native root
//! really writes their files there (e.g. `musl-dev`'s
//! `/usr/include/stdio.h` over glibc's), as apk would.

mod catalog;
mod repository;

use std::fs;
use std::path::{Component, Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::sandbox::Sandbox;
use crate::workspace::fixture_apk_binary;

/// Where the fixture repository lives inside the chroot.
pub const ALPINE_FIXTURE_REPO: &str = "/srv/alpine-fixture/v3.20/main";

/// Folder in the chroot where files are staged before being installed.
const STAGING: &str = "/srv/alpine-fixture/.staging";

const OS_RELEASE: &str = "NAME=\"Alpine Linux\"\n\
ID=alpine\n\
VERSION_ID=3.20.3\n\
PRETTY_NAME=\"Alpine Linux v3.20\"\n\
HOME_URL=\"https://alpinelinux.org/\"\n\
BUG_REPORT_URL=\"https://gitlab.alpinelinux.org/alpine/aports/-/issues\"\n";

/// The native packages: name, version, installed size, description,
/// license, dependencies, owned folders and files.
struct NativePackage {
    name: &'static str,
    version: &'static str,
    size: u32,
    description: &'static str,
    license: &'static str,
    depends: &'static str,
    files: &'static [(&'static str, &'static [&'static str])],
}

const NATIVE_PACKAGES: &[NativePackage] = &[
    NativePackage {
        name: "alpine-baselayout",
        version: "3.6.5-r0",
        size: 8192,
        description: "Alpine base dir structure and init scripts",
        license: "GPL-2.0-only",
        depends: "",
        files: &[
            ("dev", &[]),
            ("etc", &[]),
            ("etc/apk", &[]),
            ("home", &[]),
            ("lib", &[]),
            ("lib/apk", &[]),
            ("lib/apk/db", &[]),
            ("media", &[]),
            ("mnt", &[]),
            ("opt", &[]),
            ("proc", &[]),
            ("root", &[]),
            ("run", &[]),
            ("sbin", &[]),
            ("srv", &[]),
            ("sys", &[]),
            ("tmp", &[]),
            ("usr", &[]),
            ("usr/bin", &[]),
            ("usr/lib", &[]),
            ("usr/local", &[]),
            ("usr/sbin", &[]),
            ("usr/share", &[]),
            ("var", &[]),
            ("var/cache", &[]),
            ("var/lib", &[]),
            ("var/log", &[]),
        ],
    },
    NativePackage {
        name: "apk-tools",
        version: "2.14.4-r1",
        size: 319_488,
        description: "Alpine Package Keeper - package manager for alpine",
        license: "GPL-2.0-only",
        depends: "musl",
        files: &[("sbin", &["apk"])],
    },
    NativePackage {
        name: "busybox",
        version: "1.36.1-r29",
        size: 954_368,
        description: "Size optimized toolbox of many common UNIX utilities",
        license: "GPL-2.0-only",
        depends: "musl",
        files: &[],
    },
    NativePackage {
        name: "musl",
        version: "1.2.5-r0",
        size: 643_072,
        description: "the musl c library (libc) implementation",
        license: "MIT",
        depends: "",
        files: &[],
    },
];

/// The native `lib/apk/db/installed`.
fn native_database() -> String {
    let mut text = String::new();
    for package in NATIVE_PACKAGES {
        text.push_str(&format!(
            "P:{}\nV:{}\nA:x86_64\nI:{}\nT:{}\nL:{}\no:{}\n",
            package.name,
            package.version,
            package.size,
            package.description,
            package.license,
            package.name
        ));
        if !package.depends.is_empty() {
            text.push_str(&format!("D:{}\n", package.depends));
        }
        for (dir, files) in package.files {
            text.push_str(&format!("F:{dir}\n"));
            for file in *files {
                text.push_str(&format!("R:{file}\n"));
            }
        }
        text.push('\n');
    }
    text
}

/// A file to put into the chroot: path there, contents, mode.
struct Marker {
    path: String,
    contents: Vec<u8>,
    mode: u32,
}

fn markers(apk_binary: &Path) -> Result<Vec<Marker>> {
    let text = |path: &str, contents: &str| Marker {
        path: path.to_string(),
        contents: contents.as_bytes().to_vec(),
        mode: 0o644,
    };
    let apk =
        fs::read(apk_binary).with_context(|| format!("cannot read {}", apk_binary.display()))?;
    Ok(vec![
        text("/etc/os-release", OS_RELEASE),
        text("/usr/lib/os-release", OS_RELEASE),
        text("/etc/alpine-release", "3.20.3\n"),
        text("/etc/apk/arch", "x86_64\n"),
        text("/etc/apk/repositories", &format!("{ALPINE_FIXTURE_REPO}\n")),
        text(
            &format!("/etc/apk/keys/{}", catalog::KEY_NAME),
            "-----BEGIN PUBLIC KEY-----\nfixture key of the Alpine test fixture\n-----END PUBLIC KEY-----\n",
        ),
        text("/etc/apk/world", "alpine-baselayout\nbusybox\nmusl\napk-tools\n"),
        text("/lib/apk/db/installed", &native_database()),
        Marker {
            path: "/sbin/apk".to_string(),
            contents: apk,
            mode: 0o755,
        },
    ])
}

/// A fresh sandbox named `name` of the cached Debian root, made into the
/// Alpine fixture.
pub fn alpine_sandbox(name: &str) -> Result<Sandbox> {
    let sandbox = crate::DebianRoot::ensure()?.sandbox(name)?;
    make_alpine_fixture(&sandbox)?;
    Ok(sandbox)
}

/// Turn a fresh Debian sandbox into the Alpine fixture (see module docs).
pub fn make_alpine_fixture(sandbox: &Sandbox) -> Result<()> {
    let apk_binary = fixture_apk_binary()?;
    let repo = host_path(sandbox.path(), ALPINE_FIXTURE_REPO)?;
    repository::build(&repo).context("cannot build the Alpine fixture repository")?;

    // Staged on the host, then installed from inside the chroot, where the
    // root's own links (/lib -> usr/lib, /sbin -> usr/sbin) resolve.
    let staging = host_path(sandbox.path(), STAGING)?;
    fs::create_dir_all(&staging).with_context(|| format!("cannot create {}", staging.display()))?;
    let mut script = String::new();
    for (number, marker) in markers(&apk_binary)?.iter().enumerate() {
        let staged = staging.join(number.to_string());
        fs::write(&staged, &marker.contents)
            .with_context(|| format!("cannot write {}", staged.display()))?;
        script.push_str(&format!(
            "rm -f {path}\ninstall -D -m {mode:o} {STAGING}/{number} {path}\n",
            path = marker.path,
            mode = marker.mode
        ));
    }
    script.push_str(&format!("rm -rf {STAGING}\n"));
    sandbox
        .run_ok(&script)
        .context("cannot install the Alpine markers in the sandbox")?;
    Ok(())
}

/// A target whose fixture C runtime can be made real from Debian's packages.
struct RealMusl {
    /// The platform, as `TARGETPLATFORM`.
    platform: &'static str,
    /// Debian's architecture.
    debian_arch: &'static str,
    /// Debian's multiarch folder of its glibc packages (libgcc).
    gnu_multiarch: &'static str,
    /// Debian's multiarch folder of its musl packages.
    musl_multiarch: &'static str,
    /// Alpine's architecture (the repository folder).
    alpine_arch: &'static str,
    /// Alpine's triple (the GCC folder in the target root).
    alpine_triple: &'static str,
    /// musl's dynamic loader in `/lib`.
    loader: &'static str,
}

const REAL_MUSL: &[RealMusl] = &[
    RealMusl {
        platform: "linux/arm64",
        debian_arch: "arm64",
        gnu_multiarch: "aarch64-linux-gnu",
        musl_multiarch: "aarch64-linux-musl",
        alpine_arch: "aarch64",
        alpine_triple: "aarch64-alpine-linux-musl",
        loader: "ld-musl-aarch64.so.1",
    },
    RealMusl {
        platform: "linux/arm/v7",
        debian_arch: "armhf",
        gnu_multiarch: "arm-linux-gnueabihf",
        musl_multiarch: "arm-linux-musleabihf",
        alpine_arch: "armv7",
        alpine_triple: "armv7-alpine-linux-musleabihf",
        loader: "ld-musl-armhf.so.1",
    },
];

/// Make the fixture's `musl`, `musl-dev` and `gcc` packages for `platform`
/// real: Debian's musl 1.2.3 (`musl`, `musl-dev`) and GCC 12 runtime
/// (`libgcc-12-dev`, `libgcc-s1`), downloaded with apt in the sandbox and
/// repacked in Alpine's layout (`/lib/ld-musl-<arch>.so.1`, headers and
/// crt files in `/usr/include` and `/usr/lib`, libgcc in
/// `/usr/lib/gcc/<alpine triple>/12`). A C program built against a target
/// root holding them is a real musl program. Only `linux/arm64` and
/// `linux/arm/v7` are offered.
pub fn use_real_musl(sandbox: &Sandbox, platform: &str) -> Result<()> {
    let Some(target) = REAL_MUSL.iter().find(|target| target.platform == platform) else {
        bail!("no real musl for {platform} in the Alpine fixture");
    };
    let RealMusl {
        debian_arch: deb,
        gnu_multiarch: gnu,
        musl_multiarch: musl,
        alpine_triple: triple,
        loader,
        ..
    } = target;
    let work = "/tmp/real-musl";
    sandbox
        .run_ok(&format!(
            "dpkg --add-architecture {deb}
apt-get update -qq
rm -rf {work} && mkdir -p {work}/x && cd {work}
apt-get download -qq musl:{deb} musl-dev:{deb} libgcc-12-dev:{deb} libgcc-s1:{deb}
for deb in *.deb; do dpkg-deb -x $deb x; done
P={work}/pkg
mkdir -p $P/musl/lib $P/musl-dev/usr/include $P/musl-dev/usr/lib $P/gcc/usr/lib/gcc/{triple}/12
cp x/lib/{musl}/libc.so $P/musl/lib/{loader}
cp -a x/usr/include/{musl}/. $P/musl-dev/usr/include/
cp -a x/usr/lib/{musl}/. $P/musl-dev/usr/lib/
rm -f $P/musl-dev/usr/lib/musl-gcc.specs
ln -s ../../lib/{loader} $P/musl-dev/usr/lib/libc.so
G=x/usr/lib/gcc/{gnu}/12
cp $G/crtbegin.o $G/crtbeginS.o $G/crtbeginT.o $G/crtend.o $G/crtendS.o $G/libgcc.a $G/libgcc_eh.a $P/gcc/usr/lib/gcc/{triple}/12/
cp x/lib/{gnu}/libgcc_s.so.1 $P/gcc/usr/lib/
ln -s libgcc_s.so.1 $P/gcc/usr/lib/libgcc_s.so"
        ))
        .with_context(|| format!("cannot repack Debian's musl for {platform}"))?;
    let arch_dir = host_path(sandbox.path(), ALPINE_FIXTURE_REPO)?.join(target.alpine_arch);
    let index_path = arch_dir.join("APKINDEX");
    let index = fs::read_to_string(&index_path)
        .with_context(|| format!("cannot read {}", index_path.display()))?;
    for name in ["musl", "musl-dev", "gcc"] {
        let version = index_version(&index, name)
            .with_context(|| format!("{name} is not in {}", index_path.display()))?;
        let stage = host_path(sandbox.path(), &format!("{work}/pkg/{name}"))?;
        repository::make_archive(&stage, &arch_dir.join(format!("{name}-{version}.apk")))?;
    }
    Ok(())
}

/// The version of package `name` in an `APKINDEX`.
fn index_version<'a>(index: &'a str, name: &str) -> Option<&'a str> {
    index.split("\n\n").find_map(|block| {
        let mut lines = block.lines();
        (lines.next()? == format!("P:{name}")).then_some(())?;
        lines.find_map(|line| line.strip_prefix("V:"))
    })
}

/// The host path of `path` (absolute, inside the chroot) in the sandbox
/// whose root is `root`, refusing paths whose existing components are
/// links (they would resolve on the host, not in the chroot).
fn host_path(root: &Path, path: &str) -> Result<PathBuf> {
    let mut host = root.to_path_buf();
    for component in Path::new(path).components() {
        match component {
            Component::RootDir => {}
            Component::Normal(name) => {
                host.push(name);
                if host
                    .symlink_metadata()
                    .is_ok_and(|m| m.file_type().is_symlink())
                {
                    bail!("{path}: {} is a link in the sandbox", host.display());
                }
            }
            _ => bail!("{path} is not a plain absolute path"),
        }
    }
    Ok(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_come_from_the_package_block() {
        let index = "P:musl\nV:1.2.5-r0\nA:aarch64\n\nP:musl-dev\nV:1.2.5-r1\nD:musl\n\n";
        assert_eq!(index_version(index, "musl"), Some("1.2.5-r0"));
        assert_eq!(index_version(index, "musl-dev"), Some("1.2.5-r1"));
        assert_eq!(index_version(index, "gcc"), None);
    }

    #[test]
    fn native_database_lists_the_base_packages_sorted() {
        let db = native_database();
        let names: Vec<&str> = db.lines().filter_map(|l| l.strip_prefix("P:")).collect();
        assert_eq!(names, ["alpine-baselayout", "apk-tools", "busybox", "musl"]);
        assert!(db.contains("P:apk-tools\nV:2.14.4-r1\nA:x86_64\n"));
        assert!(db.contains("F:sbin\nR:apk\n\n"));
        assert!(db.ends_with("\n\n"));
    }

    #[test]
    fn host_paths_refuse_links() -> Result<()> {
        let dir = tempfile::tempdir()?;
        fs::create_dir(dir.path().join("srv"))?;
        std::os::unix::fs::symlink("usr/lib", dir.path().join("lib"))?;
        assert_eq!(
            host_path(dir.path(), "/srv/alpine-fixture/v3.20/main")?,
            dir.path().join("srv/alpine-fixture/v3.20/main")
        );
        assert!(host_path(dir.path(), "/lib/apk").is_err());
        assert!(host_path(dir.path(), "/srv/../lib").is_err());
        Ok(())
    }
}
