//! `xx-clang` / `xx-clang++` end to end in Debian bookworm sandboxes: for
//! each target, install the C/C++ essentials and zlib for it, build
//! (a) hello.c and hello.cpp with xx-clang/xx-clang++,
//! (b) a zlib program through `<triple>-pkg-config`,
//! (c) a CMake project with `xx-clang --print-cmake-toolchain`,
//! (d) an autoconf project with `./configure --host=<triple>`,
//! (e) a Meson project with `xx-clang --print-meson-cross-file`,
//! check every output with `xx-verify` and run it under qemu-user.
//! windows/amd64 builds against Debian's mingw-w64 and runs under wine.
//!
//! Needs root, debootstrap, qemu-user and network access to Debian's archive.

use std::path::Path;

use anyhow::{bail, ensure, Context, Result};
use xx_e2e::{qemu_run, qemu_suffix, workspace_root, DebianRoot, Sandbox};

struct Cross {
    platform: &'static str,
    triple: &'static str,
    /// Debian's multiarch directory name (`i386-linux-gnu` for 386).
    multiarch: &'static str,
    /// The `-fuse-ld=` xx-clang must choose.
    linker: &'static str,
}

const ARM64: Cross = Cross {
    platform: "linux/arm64",
    triple: "aarch64-linux-gnu",
    multiarch: "aarch64-linux-gnu",
    linker: "lld",
};
const ARMV7: Cross = Cross {
    platform: "linux/arm/v7",
    triple: "arm-linux-gnueabihf",
    multiarch: "arm-linux-gnueabihf",
    linker: "lld",
};
const I386: Cross = Cross {
    platform: "linux/386",
    triple: "i686-linux-gnu",
    multiarch: "i386-linux-gnu",
    linker: "lld",
};
const PPC64LE: Cross = Cross {
    platform: "linux/ppc64le",
    triple: "powerpc64le-linux-gnu",
    multiarch: "powerpc64le-linux-gnu",
    linker: "lld",
};
/// lld cannot link s390x: xx-clang installs `binutils-s390x-linux-gnu`
/// with apt-get on first use and links with its GNU ld.
const S390X: Cross = Cross {
    platform: "linux/s390x",
    triple: "s390x-linux-gnu",
    multiarch: "s390x-linux-gnu",
    linker: "/usr/bin/s390x-linux-gnu-ld",
};
/// lld 14 cannot link C++ with exceptions for MIPS: GNU ld from
/// `binutils-mips64el-linux-gnuabi64`, installed by xx-clang on first use.
const MIPS64LE: Cross = Cross {
    platform: "linux/mips64le",
    triple: "mips64el-linux-gnuabi64",
    multiarch: "mips64el-linux-gnuabi64",
    linker: "/usr/bin/mips64el-linux-gnuabi64-ld",
};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Copy `tests/fixtures/c` to `/src` in the sandbox.
fn copy_fixtures(sandbox: &Sandbox) -> Result<()> {
    let from = workspace_root().join("tests/fixtures/c");
    copy_dir(&from, &sandbox.path().join("src"))
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to).with_context(|| format!("cannot create {}", to.display()))?;
    for entry in
        std::fs::read_dir(from).with_context(|| format!("cannot read {}", from.display()))?
    {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)
                .with_context(|| format!("cannot copy {}", entry.path().display()))?;
        }
    }
    Ok(())
}

/// Run `/out/<name>` of the sandbox under `qemu-<suffix> -L <root>`.
///
/// Some of Debian's loader links are absolute (`/usr/lib64/ld64.so.2 ->
/// /lib/powerpc64le-linux-gnu/ld64.so.2`), which qemu's `-L` cannot
/// follow from the host; then the loader is run explicitly, still from the
/// sandbox root.
fn run_under_qemu(sandbox: &Sandbox, qemu: &str, binary: &str) -> Result<String> {
    let direct = qemu_run(sandbox, qemu, binary, &[])?;
    if direct.status.success() {
        return Ok(text(&direct.stdout));
    }
    let err = text(&direct.stderr);
    if !err.contains("Could not open") {
        bail!("qemu-{qemu} {binary} failed ({}): {err}", direct.status);
    }
    let loader = sandbox.run_ok(&format!(
        "interp=$(llvm-readelf -l {binary} | sed -n 's/.*program interpreter: \\(.*\\)]$/\\1/p'); readlink -f \"$interp\""
    ))?;
    let via_loader = qemu_run(sandbox, qemu, loader.trim(), &[binary])?;
    ensure!(
        via_loader.status.success(),
        "qemu-{qemu} {} {binary} failed ({}): {}",
        loader.trim(),
        via_loader.status,
        text(&via_loader.stderr)
    );
    Ok(text(&via_loader.stdout))
}

/// Install the target's C and C++ libraries and zlib, plus autoconf.
fn install_packages(sandbox: &Sandbox, cross: &Cross) -> Result<()> {
    sandbox.run_ok(&format!(
        "TARGETPLATFORM={} xx-apt-get install -y xx-c-essentials xx-cxx-essentials zlib1g-dev",
        cross.platform
    ))?;
    sandbox.run_ok("apt-get install -y --no-install-recommends autoconf >/dev/null")?;
    Ok(())
}

/// The build steps, run in the sandbox with `TARGETPLATFORM` set.
const BUILD_SCRIPT: &str = r#"
t=$(xx-info triple)
mkdir -p /out
cd /src
xx-clang -o /out/hello-c hello.c
xx-clang++ -o /out/hello-cpp hello.cpp
xx-clang -o /out/zlib zlib.c $($t-pkg-config --cflags --libs zlib)

xx-clang --print-cmake-toolchain > /tmp/toolchain.cmake
cmake -S /src/cmake -B /tmp/build-cmake -DCMAKE_TOOLCHAIN_FILE=/tmp/toolchain.cmake >/tmp/cmake.log
cmake --build /tmp/build-cmake >>/tmp/cmake.log
cp /tmp/build-cmake/hello-cmake /out/

xx-clang --print-meson-cross-file > /tmp/cross.meson
meson setup --cross-file /tmp/cross.meson /tmp/build-meson /src/meson >/tmp/meson.log
ninja -C /tmp/build-meson >>/tmp/meson.log
cp /tmp/build-meson/hello-meson /out/

(cd /src/autotools && autoconf)
mkdir -p /tmp/build-autotools
cd /tmp/build-autotools
/src/autotools/configure --host=$t >/tmp/configure.log
make >/tmp/make.log
cp hello-autotools /out/
"#;

/// What each program prints; `{zlib}` is zlib's version.
const EXPECTED: &[(&str, &str)] = &[
    ("hello-c", "hello c\n"),
    ("hello-cpp", "hello c++\n"),
    ("zlib", "zlib {zlib}: hello zlib hello zlib hello zlib\n"),
    ("hello-cmake", "hello cmake (c++) zlib {zlib}\n"),
    ("hello-meson", "hello meson zlib {zlib}\n"),
    ("hello-autotools", "hello autotools zlib {zlib}\n"),
];

/// Build everything for `cross` in a new sandbox and run it; the sandbox
/// is returned for further checks.
fn builds_and_runs(root: &DebianRoot, cross: &Cross) -> Result<Sandbox> {
    let qemu = qemu_suffix(cross.platform)?;
    let name = format!("c-builds-{qemu}");
    let sandbox = root.sandbox(&name)?;
    copy_fixtures(&sandbox)?;
    install_packages(&sandbox, cross)?;

    let platform = cross.platform;
    let triple = sandbox.run_ok(&format!(
        "TARGETPLATFORM={platform} xx-clang --print-target-triple"
    ))?;
    ensure!(triple == format!("{}\n", cross.triple), "triple {triple:?}");
    let config = sandbox.run_ok(&format!("cat /usr/bin/{}.cfg", cross.triple))?;
    let tuple = cross.triple;
    let multiarch = cross.multiarch;
    ensure!(
        config
            == format!(
                "--target={tuple} -fuse-ld={} -Wl,-rpath-link,/usr/lib/{multiarch}:/lib/{multiarch}\n",
                cross.linker
            ),
        "unexpected config: {config}"
    );

    let build = sandbox.run(&format!("export TARGETPLATFORM={platform}\n{BUILD_SCRIPT}"))?;
    if !build.status.success() {
        let logs =
            sandbox.run("tail -n 30 /tmp/*.log /tmp/build-autotools/config.log 2>/dev/null")?;
        bail!(
            "build for {platform} failed:\n{}\n{}\n--- logs\n{}",
            text(&build.stdout),
            text(&build.stderr),
            text(&logs.stdout)
        );
    }

    // ./configure found the target's tools by their <triple>- names.
    let configure = sandbox.run_ok("cat /tmp/configure.log")?;
    // The x86_64 kernel runs i386 programs, so configure's test program
    // runs and autoconf decides it is not cross compiling.
    let cross_compiling = if cross.platform == "linux/386" {
        "no"
    } else {
        "yes"
    };
    for line in [
        format!("checking for {tuple}-cc... {tuple}-cc"),
        format!("checking whether we are cross compiling... {cross_compiling}"),
        format!("checking for {tuple}-ranlib... {tuple}-ranlib"),
        format!("checking for {tuple}-pkg-config... /usr/bin/{tuple}-pkg-config"),
    ] {
        ensure!(
            configure.contains(&line),
            "configure did not say {line:?}:\n{configure}"
        );
    }

    let zlib = sandbox
        .run_ok(&format!("{tuple}-pkg-config --modversion zlib"))?
        .trim()
        .to_string();
    for (program, expected) in EXPECTED {
        let binary = format!("/out/{program}");
        sandbox
            .run_ok(&format!("TARGETPLATFORM={platform} xx-verify {binary}"))
            .with_context(|| format!("xx-verify rejects {binary} for {platform}"))?;
        let printed = run_under_qemu(&sandbox, qemu, &binary)?;
        let expected = expected.replace("{zlib}", &zlib);
        ensure!(
            printed == expected,
            "{platform} {program} printed {printed:?}, expected {expected:?}"
        );
    }
    Ok(sandbox)
}

/// Also builds the CMake project the way xx documents it: `cmake
/// $(xx-clang --print-cmake-defines)`, which relies on the plain `clang` in
/// /usr/local/bin picking up the target's config from `--target=`.
#[test]
fn arm64_builds_and_runs() -> Result<()> {
    let root = DebianRoot::ensure()?;
    let sandbox = builds_and_runs(&root, &ARM64)?;
    sandbox.run_ok(
        "export TARGETPLATFORM=linux/arm64\n\
         cmake -S /src/cmake -B /tmp/build-defines $(xx-clang --print-cmake-defines) >/dev/null\n\
         cmake --build /tmp/build-defines >/dev/null\n\
         cp /tmp/build-defines/hello-cmake /out/hello-cmake-defines\n\
         xx-verify /out/hello-cmake-defines",
    )?;
    let printed = run_under_qemu(
        &sandbox,
        qemu_suffix(ARM64.platform)?,
        "/out/hello-cmake-defines",
    )?;
    ensure!(
        printed.starts_with("hello cmake (c++) zlib "),
        "{printed:?}"
    );
    Ok(())
}

#[test]
fn armv7_builds_and_runs() -> Result<()> {
    builds_and_runs(&DebianRoot::ensure()?, &ARMV7).map(drop)
}

#[test]
fn i386_builds_and_runs() -> Result<()> {
    builds_and_runs(&DebianRoot::ensure()?, &I386).map(drop)
}

#[test]
fn ppc64le_builds_and_runs() -> Result<()> {
    builds_and_runs(&DebianRoot::ensure()?, &PPC64LE).map(drop)
}

#[test]
fn mips64le_builds_and_runs() -> Result<()> {
    builds_and_runs(&DebianRoot::ensure()?, &MIPS64LE).map(drop)
}

/// s390x links with GNU ld, which xx-clang installed on first use
/// (`binutils-s390x-linux-gnu`). GNU ld checks the dependencies of shared
/// libraries: libpng16.so needs libz.so.1, found through the config's
/// `-rpath-link` (and Debian's multiarch search path).
#[test]
fn s390x_builds_and_runs_with_gnu_ld() -> Result<()> {
    let root = DebianRoot::ensure()?;
    ensure!(
        !root
            .path()
            .join("var/lib/dpkg/info/binutils-s390x-linux-gnu.list")
            .exists(),
        "the cached root already has s390x binutils"
    );
    let sandbox = builds_and_runs(&root, &S390X)?;
    sandbox.run_ok("dpkg -s binutils-s390x-linux-gnu >/dev/null")?;
    sandbox.run_ok("TARGETPLATFORM=linux/s390x xx-apt-get install -y libpng-dev >/dev/null")?;
    sandbox.run_ok("TARGETPLATFORM=linux/s390x xx-clang -o /out/png /src/png.c -lpng16")?;
    sandbox.run_ok("TARGETPLATFORM=linux/s390x xx-verify /out/png")?;
    let printed = run_under_qemu(&sandbox, qemu_suffix(S390X.platform)?, "/out/png")?;
    ensure!(printed.starts_with("libpng 1.6."), "{printed:?}");
    // With a vendor (as xx-cargo sets up), Debian's s390x-linux-gnu-ld
    // serves the triple, and --download-prog=ld gives it the triple's name.
    let linked = sandbox.run_ok(
        "export TARGETPLATFORM=linux/s390x XX_VENDOR=unknown\n\
         xx-clang --print-target-triple >/dev/null\n\
         grep -o -- '-fuse-ld=[^ ]*' /usr/bin/s390x-unknown-linux-gnu.cfg\n\
         xx-clang --download-prog=ld\n\
         readlink /usr/bin/s390x-unknown-linux-gnu-ld",
    )?;
    ensure!(
        linked == "-fuse-ld=/usr/bin/s390x-linux-gnu-ld\n/usr/bin/s390x-linux-gnu-ld\n",
        "vendor triple: {linked:?}"
    );
    Ok(())
}

#[test]
fn xx_no_download_without_gnu_ld_is_a_clear_error() -> Result<()> {
    let root = DebianRoot::ensure()?;
    let sandbox = root.sandbox("c-builds-nold")?;
    let output = sandbox
        .run("TARGETPLATFORM=linux/s390x XX_NO_DOWNLOAD=1 xx-clang --print-target-triple")?;
    ensure!(output.status.code() == Some(1), "{}", text(&output.stderr));
    let err = text(&output.stderr);
    ensure!(err.lines().count() == 1, "{err}");
    ensure!(
        err.contains("no suitable linker found for s390x-linux-gnu")
            && err.contains("xx-apt-get install -y binutils"),
        "{err}"
    );
    ensure!(!sandbox.path().join("usr/bin/s390x-linux-gnu.cfg").exists());
    Ok(())
}

/// windows/amd64 against Debian's mingw-w64, verified as PE and run under
/// Debian's wine.
#[test]
fn windows_amd64_builds_with_mingw_and_runs_under_wine() -> Result<()> {
    let root = DebianRoot::ensure()?;
    let sandbox = root.sandbox("c-builds-windows")?;
    copy_fixtures(&sandbox)?;
    sandbox.run_ok("apt-get update -qq && apt-get install -y --no-install-recommends mingw-w64 wine64 >/dev/null")?;
    let env = "export TARGETPLATFORM=windows/amd64";
    sandbox.run_ok(&format!(
        "{env}\nmkdir -p /out\nxx-clang -o /out/hello-c.exe /src/hello.c\nxx-clang++ -static -o /out/hello-cpp.exe /src/hello.cpp"
    ))?;
    for (program, expected) in [
        ("hello-c.exe", "hello c\n"),
        ("hello-cpp.exe", "hello c++\n"),
    ] {
        let binary = format!("/out/{program}");
        sandbox
            .run_ok(&format!("{env}\nxx-verify {binary}"))
            .with_context(|| format!("xx-verify rejects {binary}"))?;
        let printed = sandbox.run_ok(&format!(
            "WINEDEBUG=-all timeout 300 /usr/lib/wine/wine64 {binary} 2>/dev/null"
        ))?;
        let printed = printed.replace("\r\n", "\n");
        ensure!(
            printed == expected,
            "{program} printed {printed:?} under wine"
        );
    }
    Ok(())
}
