//! The Alpine fixture itself (`xx_e2e::make_alpine_fixture`): its markers
//! and its stand-in `apk`, driven with raw `apk` command lines the way
//! tonistiigi/xx's xx-apk drives apk, so that the xx-apk tests can rely on
//! it behaving like apk-tools 2.14.

use std::process::Output;

use anyhow::{ensure, Result};
use xx_e2e::{alpine_sandbox, ALPINE_FIXTURE_REPO};

const ROOT: &str = "/aarch64-alpine-linux-musl";

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn native_root_looks_like_alpine() -> Result<()> {
    let sandbox = alpine_sandbox("alpine-fixture-native")?;
    let os_release = sandbox.run_ok(". /etc/os-release && echo $ID $VERSION_ID")?;
    ensure!(os_release == "alpine 3.20.3\n", "{os_release}");
    let markers = sandbox.run_ok("cat /etc/alpine-release /etc/apk/arch /etc/apk/repositories")?;
    ensure!(
        markers == format!("3.20.3\nx86_64\n{ALPINE_FIXTURE_REPO}\n"),
        "{markers}"
    );
    sandbox.run_ok("ls /etc/apk/keys/*.pub && test -x /sbin/apk")?;

    let bare = sandbox.run("apk")?;
    ensure!(bare.status.code() == Some(1), "{:?}", bare.status);
    ensure!(
        stdout(&bare).starts_with("apk-tools 2.14.4, compiled for x86_64.\n\nusage: apk "),
        "{}",
        stdout(&bare)
    );

    let installed = sandbox.run_ok("apk list --installed")?;
    for line in [
        "alpine-baselayout-3.6.5-r0 x86_64 {alpine-baselayout} (GPL-2.0-only) [installed]",
        "busybox-1.36.1-r29 x86_64 {busybox} (GPL-2.0-only) [installed]",
    ] {
        ensure!(installed.lines().any(|l| l == line), "{installed}");
    }

    // The native repository serves x86_64 packages, signed with the key
    // the root has: no --allow-untrusted needed.
    let listed = sandbox.run_ok("apk --root / list musl-dev gcc g++")?;
    ensure!(
        listed
            == "g++-13.2.1_git20240309-r0 x86_64 {gcc} (GPL-2.0-or-later AND LGPL-2.1-or-later)\n\
                gcc-13.2.1_git20240309-r0 x86_64 {gcc} (GPL-2.0-or-later AND LGPL-2.1-or-later)\n\
                musl-dev-1.2.5-r0 x86_64 {musl} (MIT)\n",
        "{listed}"
    );
    let update = sandbox.run_ok("apk update")?;
    ensure!(
        update
            == format!(
                "v3.20.3-fixture [{ALPINE_FIXTURE_REPO}]\nOK: 12 distinct packages available\n"
            ),
        "{update}"
    );

    let added = sandbox.run_ok("apk add --no-cache compiler-rt")?;
    ensure!(
        added == "(1/1) Installing compiler-rt (17.0.6-r1)\nOK: 1 MiB in 5 packages\n",
        "{added}"
    );
    let builtins = sandbox
        .run_ok("cat /usr/lib/llvm17/lib/clang/17/lib/linux/libclang_rt.builtins-x86_64.a")?;
    ensure!(
        builtins.starts_with("fixture compiler-rt for x86_64:"),
        "{builtins}"
    );
    let world = sandbox.run_ok("cat /etc/apk/world")?;
    ensure!(
        world == "alpine-baselayout\nbusybox\nmusl\napk-tools\ncompiler-rt\n",
        "{world}"
    );
    Ok(())
}

#[test]
fn cross_root_like_xx_apk_makes_it() -> Result<()> {
    let sandbox = alpine_sandbox("alpine-fixture-cross")?;

    // Without --initdb there is no database to open.
    let missing = sandbox.run(&format!("mkdir -p {ROOT} && apk --root {ROOT} add zlib"))?;
    ensure!(missing.status.code() == Some(99), "{:?}", missing.status);
    ensure!(
        stderr(&missing)
            == "ERROR: Unable to lock database: No such file or directory\n\
                ERROR: Failed to open apk database: No such file or directory\n",
        "{}",
        stderr(&missing)
    );

    // xx-apk's setup.
    let setup = sandbox.run_ok(&format!(
        "mkdir -p {ROOT}/etc/apk/keys
cp /etc/apk/repositories {ROOT}/etc/apk/
echo aarch64 > {ROOT}/etc/apk/arch
apk add --no-cache --initdb -p {ROOT} --allow-untrusted alpine-keys"
    ))?;
    ensure!(
        setup.starts_with("(1/1) Installing alpine-keys (2.4-r1)\nOK: "),
        "{setup}"
    );
    let listed = sandbox.run_ok(&format!("apk --root {ROOT} list --installed"))?;
    ensure!(
        listed == "alpine-keys-2.4-r1 aarch64 {alpine-keys} (MIT) [installed]\n",
        "{listed}"
    );

    // Trusted through the key alpine-keys installed; zlib comes with zlib-dev.
    let added = sandbox.run_ok(&format!("apk --root {ROOT} add zlib-dev"))?;
    ensure!(
        added.starts_with(
            "(1/2) Installing zlib (1.3.1-r1)\n(2/2) Installing zlib-dev (1.3.1-r1)\nOK: 0 MiB in 3 packages"
        ),
        "{added}"
    );
    let libz = sandbox.run_ok(&format!("cat {ROOT}/usr/lib/libz.so.1"))?;
    ensure!(
        libz == "fixture zlib for aarch64: /usr/lib/libz.so.1.3.1\n",
        "{libz}"
    );
    sandbox.run_ok("test ! -e /usr/lib/libz.so.1")?;
    let files = sandbox.run_ok(&format!("apk --root {ROOT} info -qL zlib"))?;
    ensure!(
        files == "usr/lib/libz.so.1\nusr/lib/libz.so.1.3.1\n\n",
        "{files:?}"
    );
    let world = sandbox.run_ok(&format!("cat {ROOT}/etc/apk/world"))?;
    ensure!(world == "alpine-keys\nzlib-dev\n", "{world}");

    let deleted = sandbox.run_ok(&format!("apk --root {ROOT} del zlib-dev zlib"))?;
    ensure!(
        deleted.starts_with("(1/2) Purging zlib-dev (1.3.1-r1)\n(2/2) Purging zlib (1.3.1-r1)\n"),
        "{deleted}"
    );
    sandbox.run_ok(&format!(
        "test ! -e {ROOT}/usr/lib/libz.so.1 && test ! -e {ROOT}/usr/lib/pkgconfig"
    ))?;
    ensure!(
        sandbox
            .run_ok(&format!("apk --root {ROOT} info -qL zlib"))?
            .is_empty(),
        "zlib still listed"
    );

    let unknown = sandbox.run(&format!("apk --root {ROOT} add nosuchpkg"))?;
    ensure!(unknown.status.code() == Some(1), "{:?}", unknown.status);
    ensure!(
        stderr(&unknown)
            == "ERROR: unable to select packages:\n  nosuchpkg (no such package):\n    required by: world[nosuchpkg]\n",
        "{}",
        stderr(&unknown)
    );
    let world = sandbox.run_ok(&format!("cat {ROOT}/etc/apk/world"))?;
    ensure!(
        world == "alpine-keys\n",
        "failed add changed the world: {world}"
    );

    let bad_option = sandbox.run(&format!("apk --root {ROOT} add --frobnicate zlib"))?;
    ensure!(
        bad_option.status.code() == Some(1),
        "{:?}",
        bad_option.status
    );
    ensure!(
        stderr(&bad_option) == "apk: unrecognized option: frobnicate\n",
        "{}",
        stderr(&bad_option)
    );

    let log = sandbox.run_ok("cat /var/log/fixture-apk.log")?;
    let calls: Vec<&str> = log.lines().collect();
    ensure!(
        calls
            == [
                "--root /aarch64-alpine-linux-musl add zlib",
                "add --no-cache --initdb -p /aarch64-alpine-linux-musl --allow-untrusted alpine-keys",
                "--root /aarch64-alpine-linux-musl list --installed",
                "--root /aarch64-alpine-linux-musl add zlib-dev",
                "--root /aarch64-alpine-linux-musl info -qL zlib",
                "--root /aarch64-alpine-linux-musl del zlib-dev zlib",
                "--root /aarch64-alpine-linux-musl info -qL zlib",
                "--root /aarch64-alpine-linux-musl add nosuchpkg",
                "--root /aarch64-alpine-linux-musl add --frobnicate zlib",
            ],
        "{log}"
    );
    Ok(())
}

/// A root without the key needs --allow-untrusted, as with apk.
#[test]
fn untrusted_repository_is_skipped() -> Result<()> {
    let sandbox = alpine_sandbox("alpine-fixture-untrusted")?;
    let run = sandbox.run(&format!(
        "mkdir -p {ROOT}/etc/apk && cp /etc/apk/repositories {ROOT}/etc/apk/ && echo aarch64 > {ROOT}/etc/apk/arch
apk add --initdb -p {ROOT} alpine-keys"
    ))?;
    ensure!(run.status.code() == Some(1), "{:?}", run.status);
    ensure!(
        stderr(&run).starts_with(&format!(
            "WARNING: opening {ALPINE_FIXTURE_REPO}: UNTRUSTED signature\nERROR: unable to select packages:\n  alpine-keys (no such package):"
        )),
        "{}",
        stderr(&run)
    );
    Ok(())
}
