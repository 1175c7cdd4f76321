//! `xx-apk` end to end, in a chroot made to look like an Alpine 3.20 build
//! stage.
//!
//! Alpine's repositories cannot be reached from the machines these tests
//! run on, and Debian has no apk. The fixture (`xx_e2e::make_alpine_fixture`)
//! is a bookworm sandbox with Alpine's `os-release`, `alpine-release`, apk
//! configuration and package database, a local stand-in for `apk`
//! (`tests/src/bin/fixture_apk.rs`, apk-tools' command line and database
//! format) and a local repository whose packages hold, per architecture,
//! files that name their architecture. The tests check what xx-apk does
//! with it: the target root it makes, the exact apk command lines (the
//! stand-in logs them), which architecture's files land where, the links it
//! makes, and xx-cargo installing the Rust standard library through it.
//! For arm64 and arm/v7 the fixture's C runtime can be made of Debian's
//! real musl and GCC runtime (`xx_e2e::use_real_musl`): a C hello built
//! with xx-clang against the target root runs under qemu-user.

use std::process::Output;

use anyhow::{ensure, Result};
use xx_e2e::{alpine_sandbox, qemu_run_in_sysroot, qemu_suffix, use_real_musl, Sandbox};

/// Where the stand-in apk logs its command lines.
const APK_LOG: &str = "/var/log/fixture-apk.log";

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The apk command lines run so far.
fn apk_calls(sandbox: &Sandbox) -> Result<Vec<String>> {
    let log = sandbox.run_ok(&format!("cat {APK_LOG} 2>/dev/null || true"))?;
    Ok(log.lines().map(str::to_string).collect())
}

/// One cross target: platform, target root, Alpine arch, a file of the
/// target's `musl` package.
struct Cross {
    platform: &'static str,
    root: &'static str,
    alpine_arch: &'static str,
    loader: &'static str,
}

const CROSS: &[Cross] = &[
    Cross {
        platform: "linux/arm64",
        root: "/aarch64-alpine-linux-musl",
        alpine_arch: "aarch64",
        loader: "lib/ld-musl-aarch64.so.1",
    },
    Cross {
        platform: "linux/arm/v7",
        root: "/armv7-alpine-linux-musleabihf",
        alpine_arch: "armv7",
        loader: "lib/ld-musl-armhf.so.1",
    },
    Cross {
        platform: "linux/386",
        root: "/i586-alpine-linux-musl",
        alpine_arch: "x86",
        loader: "lib/ld-musl-i386.so.1",
    },
    Cross {
        platform: "linux/ppc64le",
        root: "/powerpc64le-alpine-linux-musl",
        alpine_arch: "ppc64le",
        loader: "lib/ld-musl-powerpc64le.so.1",
    },
    Cross {
        platform: "linux/s390x",
        root: "/s390x-alpine-linux-musl",
        alpine_arch: "s390x",
        loader: "lib/ld-musl-s390x.so.1",
    },
];

/// xx's own checks (its `test-apk.bats`): no command, native list,
/// essentials, non-Linux skip; plus MIPS skip and apk's status passing
/// through.
#[test]
fn native_commands_and_skips() -> Result<()> {
    let sandbox = alpine_sandbox("apk-native")?;

    let bare = sandbox.run("xx-apk")?;
    ensure!(!bare.status.success(), "xx-apk with no command succeeded");
    ensure!(
        stdout(&bare).contains("apk-tools"),
        "no apk usage:\n{}{}",
        stdout(&bare),
        stderr(&bare)
    );

    let listed = sandbox.run_ok("xx-apk list --installed")?;
    ensure!(
        listed.starts_with("+ apk  --root / list --installed\n"),
        "{listed}"
    );
    ensure!(
        listed.contains("busybox") && listed.contains("alpine-baselayout"),
        "{listed}"
    );

    let essentials = sandbox.run_ok("xx-apk list xx-c-essentials xx-cxx-essentials")?;
    for package in ["musl-dev", "gcc", "g++"] {
        ensure!(
            essentials.contains(&format!("\n{package}-")),
            "{package} not listed:\n{essentials}"
        );
    }
    ensure!(
        apk_calls(&sandbox)?
            .iter()
            .any(|call| call == "--root / list musl-dev gcc g++"),
        "essentials not expanded: {:?}",
        apk_calls(&sandbox)?
    );

    for (env, what) in [
        ("TARGETOS=darwin TARGETARCH=amd64", "darwin"),
        ("TARGETPLATFORM=windows/amd64", "windows"),
        ("TARGETPLATFORM=linux/mips64le", "mips64le"),
    ] {
        let calls_before = apk_calls(&sandbox)?.len();
        let skipped = sandbox.run(&format!("{env} xx-apk add foo"))?;
        ensure!(skipped.status.success(), "{env}: {}", stderr(&skipped));
        ensure!(
            stderr(&skipped).contains(&format!("skipping packages installation on {what}")),
            "{env}: {}",
            stderr(&skipped)
        );
        ensure!(apk_calls(&sandbox)?.len() == calls_before, "{env}: apk ran");
    }

    let unknown = sandbox.run("xx-apk add no-such-package")?;
    ensure!(
        unknown.status.code() == Some(1),
        "unknown package: {:?}",
        unknown.status
    );
    ensure!(stderr(&unknown).contains("no such package"));

    let bad = sandbox.run("TARGETPLATFORM=linux/arm/v9 xx-apk add zlib")?;
    ensure!(!bad.status.success());
    ensure!(
        stderr(&bad).trim().lines().count() == 1 && stderr(&bad).contains("variant=v9"),
        "{}",
        stderr(&bad)
    );
    Ok(())
}

/// The cross root for every arch: made once with the target's Alpine
/// arch and Alpine's keys, packages of that arch installed into it and
/// removed again, and `xx-apk clean` removing it (xx's `cross` test).
#[test]
fn cross_root_per_arch() -> Result<()> {
    let sandbox = alpine_sandbox("apk-cross")?;
    for cross in CROSS {
        let env = format!("TARGETPLATFORM={}", cross.platform);
        let root = cross.root;
        ensure!(
            sandbox.run(&format!("test ! -e {root}"))?.status.success(),
            "{root} exists before xx-apk ran"
        );

        let listed = sandbox.run_ok(&format!("{env} xx-apk list --installed"))?;
        ensure!(
            listed.contains("alpine-keys") && !listed.contains("alpine-baselayout"),
            "{}: {listed}",
            cross.platform
        );
        let arch = sandbox.run_ok(&format!("cat {root}/etc/apk/arch"))?;
        let info_arch = sandbox.run_ok(&format!("{env} xx-info alpine-arch"))?;
        ensure!(
            arch.trim() == cross.alpine_arch && info_arch.trim() == cross.alpine_arch,
            "{root}/etc/apk/arch {arch:?}, xx-info alpine-arch {info_arch:?}"
        );
        sandbox.run_ok(&format!(
            "cmp /etc/apk/repositories {root}/etc/apk/repositories && test -d {root}/etc/apk/keys && test -f {root}/.xx-setup"
        ))?;

        let added = sandbox.run_ok(&format!("{env} xx-apk add --no-cache zlib-dev musl"))?;
        ensure!(
            added.starts_with(&format!(
                "+ apk  --root {root} add --no-cache zlib-dev musl\n"
            )),
            "{added}"
        );
        for file in ["usr/lib/libz.so.1", cross.loader] {
            let content = sandbox.run_ok(&format!("cat {root}/{file}"))?;
            ensure!(
                content.contains(&format!("for {}:", cross.alpine_arch)),
                "{root}/{file} is not {}'s: {content:?}",
                cross.alpine_arch
            );
        }
        // The build root is untouched.
        ensure!(sandbox
            .run("test ! -e /usr/lib/libz.so.1")?
            .status
            .success());

        sandbox.run_ok(&format!("{env} xx-apk del zlib-dev zlib"))?;
        ensure!(
            sandbox
                .run(&format!("test ! -e {root}/usr/lib/libz.so.1"))?
                .status
                .success(),
            "zlib still in {root} after del"
        );

        // Set up once: one `--initdb` for all the runs above.
        let initdb = format!("add --no-cache --initdb -p {root} --allow-untrusted alpine-keys");
        let calls = apk_calls(&sandbox)?;
        ensure!(
            calls.iter().filter(|call| **call == initdb).count() == 1,
            "{root} not set up exactly once: {calls:?}"
        );

        sandbox.run_ok(&format!("{env} xx-apk clean"))?;
        ensure!(
            sandbox.run(&format!("test ! -e {root}"))?.status.success(),
            "{root} left after clean"
        );
    }
    Ok(())
}

/// `compiler-rt` and `rust-stdlib` get their links in the build root;
/// the cache folder and the riscv64 repositories of old releases.
#[test]
fn runtime_links_cache_and_new_arches() -> Result<()> {
    let sandbox = alpine_sandbox("apk-links")?;
    let env = "TARGETPLATFORM=linux/arm64";
    let root = "/aarch64-alpine-linux-musl";
    sandbox.run_ok("mkdir -p /etc/apk/cache")?;

    sandbox.run_ok(&format!("{env} xx-apk add compiler-rt rust-stdlib"))?;
    let builtins = "usr/lib/llvm17/lib/clang/17/lib/linux/libclang_rt.builtins-aarch64.a";
    let link = sandbox.run_ok(&format!("readlink /{builtins}"))?;
    ensure!(link.trim() == format!("{root}/{builtins}"), "{link}");
    let rustlib = "usr/lib/rustlib/aarch64-alpine-linux-musl";
    let link = sandbox.run_ok(&format!("readlink /{rustlib}"))?;
    ensure!(link.trim() == format!("{root}/{rustlib}"), "{link}");
    sandbox.run_ok(&format!("test -f /{rustlib}/lib/libstd-fixture.rlib"))?;
    let cache = sandbox.run_ok(&format!("readlink {root}/etc/apk/cache"))?;
    ensure!(cache.trim() == "/etc/apk/cache/_aarch64", "{cache}");
    sandbox.run_ok("test -d /etc/apk/cache/_aarch64")?;

    sandbox.run_ok(&format!("{env} xx-apk clean"))?;
    ensure!(
        sandbox
            .run(&format!("test ! -e /{rustlib}"))?
            .status
            .success(),
        "rust-stdlib link left after clean"
    );

    // riscv64 came with Alpine 3.20: an older stage gets 3.20's
    // repositories for the target root.
    sandbox.run_ok("sed -i 's/^VERSION_ID=.*/VERSION_ID=3.19.1/' /etc/os-release")?;
    sandbox.run_ok("TARGETPLATFORM=linux/riscv64 xx-apk setup")?;
    let repositories = sandbox.run_ok("cat /riscv64-alpine-linux-musl/etc/apk/repositories")?;
    ensure!(
        repositories
            == "https://dl-cdn.alpinelinux.org/alpine/v3.20/main\n\
                https://dl-cdn.alpinelinux.org/alpine/v3.20/community\n",
        "{repositories}"
    );
    Ok(())
}

/// xx-cargo on Alpine without rustup installs `rust-stdlib` through
/// xx-apk and finds it through the link (Debian's rustc-web stands in for
/// Alpine's rustc: both live in /usr, so both look in /usr/lib/rustlib).
#[test]
fn xx_cargo_installs_rust_stdlib_through_xx_apk() -> Result<()> {
    let sandbox = alpine_sandbox("apk-cargo")?;
    sandbox.run_ok(
        "apt-get update -qq && apt-get install -y --no-install-recommends rustc-web >/dev/null",
    )?;
    let triple = sandbox.run_ok("TARGETPLATFORM=linux/arm64 xx-cargo --print-target-triple")?;
    ensure!(triple.trim() == "aarch64-alpine-linux-musl", "{triple}");
    let calls = apk_calls(&sandbox)?;
    ensure!(
        calls
            .iter()
            .any(|call| call == "--root /aarch64-alpine-linux-musl add rust-stdlib"),
        "rust-stdlib not installed through xx-apk: {calls:?}"
    );
    sandbox.run_ok("test -f /usr/lib/rustlib/aarch64-alpine-linux-musl/lib/libstd-fixture.rlib")?;
    Ok(())
}

/// C for Alpine for real: with the fixture's C runtime made of Debian's
/// musl and GCC runtime (`use_real_musl`), `xx-apk add xx-c-essentials`
/// fills the target root and xx-clang builds a dynamic and a static hello
/// against it that xx-verify accepts and that run under qemu-user with the
/// target root as their library root.
#[test]
fn c_hello_against_the_target_root_runs_under_qemu() -> Result<()> {
    let sandbox = alpine_sandbox("apk-c")?;
    sandbox.run_ok(
        "printf '#include <stdio.h>\\nint main(void) { printf(\"hello from musl\\\\n\"); return 0; }\\n' >/tmp/hello.c",
    )?;
    for (platform, root) in [
        ("linux/arm64", "/aarch64-alpine-linux-musl"),
        ("linux/arm/v7", "/armv7-alpine-linux-musleabihf"),
    ] {
        use_real_musl(&sandbox, platform)?;
        let env = format!("TARGETPLATFORM={platform}");
        sandbox.run_ok(&format!("{env} xx-apk add xx-c-essentials"))?;
        let out = format!("/tmp/hello-{}", platform.replace('/', "-"));
        sandbox.run_ok(&format!(
            "{env} xx-clang -o {out} /tmp/hello.c && {env} xx-verify {out}\n\
             {env} xx-clang -static -o {out}-static /tmp/hello.c && {env} xx-verify --static {out}-static"
        ))?;
        let qemu = qemu_suffix(platform)?;
        for binary in [out.clone(), format!("{out}-static")] {
            let ran = qemu_run_in_sysroot(&sandbox, qemu, root, &binary, &[])?;
            ensure!(
                ran.status.success() && stdout(&ran) == "hello from musl\n",
                "{binary} under qemu-{qemu}: {:?} {}{}",
                ran.status,
                stdout(&ran),
                stderr(&ran)
            );
        }
    }
    Ok(())
}
