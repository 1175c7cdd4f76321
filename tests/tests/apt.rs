//! `xx-apt-get` / `xx-apt` end to end, in bookworm sandboxes with real
//! dpkg and apt-get.
//!
//! The sysroot installs run against the local archive of real Debian
//! packages on 127.0.0.1 (`xx_e2e::LocalRepo`), so that a public mirror in
//! the middle of a sync cannot turn them red. The tests that need packages
//! the local archive does not carry (s390x, the cross toolchains named by
//! `XX_APT_PREFER_CROSS`) use the public mirror and skip, saying so, when it
//! cannot be reached.
//!
//! Ubuntu's archives (and their ports mirror) cannot be reached from the
//! machines these tests run on, so the Ubuntu source rewriting is covered
//! as a pure text transformation by the unit tests of `xx-pkg`
//! (`sources::tests::ubuntu_foreign_arches_use_the_right_archive`).

use std::process::Output;

use anyhow::{ensure, Result};
use xx_e2e::{qemu_run, qemu_suffix, skip, DebianRoot, LocalRepo, RepoDebs, Sandbox};

/// A sandbox named `name` whose apt uses the local archive's `bookworm`
/// only; the server lives as long as the returned [`LocalRepo`].
fn local_sandbox(name: &str) -> Result<(LocalRepo, Sandbox)> {
    let root = DebianRoot::ensure()?;
    let repo = LocalRepo::start(&RepoDebs::ensure(&root)?)?;
    let sandbox = root.sandbox(name)?;
    repo.use_in(&sandbox, &["bookworm"])?;
    Ok((repo, sandbox))
}

/// Whether the public mirror the sandbox names answers on its port within
/// a few seconds; when not, the skip is recorded for `test`.
fn public_mirror_reachable(sandbox: &Sandbox, test: &str) -> Result<bool> {
    let mirror = sandbox_mirror(sandbox)?;
    let host_port = mirror
        .split_once("://")
        .map_or(mirror.as_str(), |(_, rest)| rest)
        .split('/')
        .next()
        .unwrap_or_default()
        .to_string();
    let with_port = if host_port.contains(':') {
        host_port
    } else {
        format!("{host_port}:80")
    };
    use std::net::ToSocketAddrs;
    let reachable = with_port.to_socket_addrs().ok().is_some_and(|mut addrs| {
        addrs.any(|addr| {
            std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_secs(5)).is_ok()
        })
    });
    if !reachable {
        skip(
            test,
            &format!("the public Debian mirror {mirror} cannot be reached"),
        );
    }
    Ok(reachable)
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// One cross target: platform, dpkg arch, multiarch triple and how clang
/// links for it.
struct Cross {
    platform: &'static str,
    pkg_arch: &'static str,
    triple: &'static str,
    /// clang's linker flag (lld 14 cannot link s390x).
    linker: &'static str,
    /// Extra tools installed with xx-apt-get before linking.
    tools: &'static str,
}

const ARM64: Cross = Cross {
    platform: "linux/arm64",
    pkg_arch: "arm64",
    triple: "aarch64-linux-gnu",
    linker: "-fuse-ld=lld",
    tools: "",
};
const ARMV7: Cross = Cross {
    platform: "linux/arm/v7",
    pkg_arch: "armhf",
    triple: "arm-linux-gnueabihf",
    linker: "-fuse-ld=lld",
    tools: "",
};
const S390X: Cross = Cross {
    platform: "linux/s390x",
    pkg_arch: "s390x",
    triple: "s390x-linux-gnu",
    linker: "",
    tools: "binutils",
};

const ZLIB_PROGRAM: &str = r#"cat > /tmp/z.c <<'EOF'
#include <stdio.h>
#include <zlib.h>
int main(void) { printf("zlib %s\n", zlibVersion()); return 0; }
EOF"#;

/// Install the C essentials and zlib for `cross`, check the sysroot files,
/// build and run a zlib program for it, then show that a second identical
/// run does not update the package lists again. `fresh`: nothing was
/// installed for the target before, so the first run must set apt up.
fn installs_c_sysroot(sandbox: &Sandbox, cross: &Cross, fresh: bool) -> Result<()> {
    let install = format!(
        "TARGETPLATFORM={} XX_DEBUG_APT=1 xx-apt-get install -y xx-c-essentials zlib1g-dev",
        cross.platform
    );
    let first = sandbox.run(&install)?;
    let log = stderr(&first);
    ensure!(
        first.status.success(),
        "first run failed:\n{log}\n{}",
        stdout(&first)
    );
    let arch = cross.pkg_arch;
    if fresh {
        ensure!(
            log.contains(&format!("+ dpkg --add-architecture {arch}")),
            "{log}"
        );
        ensure!(
            log.contains("+ apt-get update"),
            "first run did not update:\n{log}"
        );
    }
    ensure!(
        log.contains(&format!(
            "+ apt-get  install -y libc6-dev:{arch} libgcc-12-dev:{arch} zlib1g-dev:{arch}"
        )),
        "packages not rewritten:\n{log}"
    );

    for file in [
        format!("usr/lib/{}/libz.so", cross.triple),
        format!("usr/lib/{}/libc.so", cross.triple),
        "usr/include/zlib.h".to_string(),
        format!("usr/include/{}/sys/types.h", cross.triple),
        format!("usr/include/{}/asm/types.h", cross.triple),
        format!("usr/include/{}/bits/types.h", cross.triple),
        format!("usr/lib/gcc/{}/12/libgcc.a", cross.triple),
    ] {
        // Checked inside the root: links there may be absolute.
        let present = sandbox.run(&format!("test -e /{file}"))?;
        ensure!(present.status.success(), "/{file} missing after install");
    }

    // Tools become their cross variants (binutils-s390x-linux-gnu).
    if !cross.tools.is_empty() {
        let tools = sandbox.run(&format!(
            "TARGETPLATFORM={} xx-apt-get install -y {}",
            cross.platform, cross.tools
        ))?;
        let log = stderr(&tools);
        ensure!(tools.status.success(), "{log}");
        let suffix = cross.triple.replace('_', "-");
        ensure!(log.contains(&format!("{}-{suffix}", cross.tools)), "{log}");
    }

    // The sysroot is usable: clang builds a zlib program for it that runs
    // under qemu-user.
    sandbox.run_ok(&format!(
        "{ZLIB_PROGRAM}\nclang --target={} {} -o /tmp/z /tmp/z.c -lz",
        cross.triple, cross.linker
    ))?;
    let qemu = qemu_suffix(cross.platform)?;
    let ran = qemu_run(sandbox, qemu, "/tmp/z", &[])?;
    ensure!(
        ran.status.success() && stdout(&ran).starts_with("zlib 1.2.13"),
        "zlib program under qemu-{qemu}: {}{}",
        stdout(&ran),
        stderr(&ran)
    );

    let lists_before = sandbox.run_ok("ls -l --time-style=full-iso /var/lib/apt/lists")?;
    let second = sandbox.run(&install)?;
    let log = stderr(&second);
    ensure!(second.status.success(), "second run failed:\n{log}");
    ensure!(
        !log.contains("+ apt-get update"),
        "second run updated again:\n{log}"
    );
    ensure!(!log.contains("+ dpkg --add-architecture"), "{log}");
    ensure!(!stdout(&second).contains("Hit:"), "{}", stdout(&second));
    let lists_after = sandbox.run_ok("ls -l --time-style=full-iso /var/lib/apt/lists")?;
    ensure!(
        lists_before == lists_after,
        "package lists changed on the second run"
    );
    Ok(())
}

#[test]
fn arm64_sysroot_and_apt_failures_pass_through() -> Result<()> {
    let (_repo, sandbox) = local_sandbox("apt-arm64")?;
    installs_c_sysroot(&sandbox, &ARM64, true)?;

    // apt's own failure: its status (100) and its message, unchanged.
    let missing =
        sandbox.run("TARGETPLATFORM=linux/arm64 xx-apt-get install -y no-such-package-xyz")?;
    assert_eq!(missing.status.code(), Some(100), "{}", stderr(&missing));
    assert!(
        stderr(&missing).contains("E: Unable to locate package no-such-package-xyz:arm64"),
        "{}",
        stderr(&missing)
    );
    Ok(())
}

#[test]
fn armv7_sysroot_with_concurrent_first_runs() -> Result<()> {
    let (_repo, sandbox) = local_sandbox("apt-armv7")?;
    // Three first runs at once: the xx-apt lock serialises them, so none
    // meets apt's own lock or half-prepared sources.
    let parallel = sandbox.run(
        "for i in 1 2 3; do (TARGETPLATFORM=linux/arm/v7 xx-apt-get install -y zlib1g-dev >/tmp/run$i.log 2>&1; echo $? >/tmp/run$i.rc) & done; wait; cat /tmp/run1.rc /tmp/run2.rc /tmp/run3.rc",
    )?;
    let codes = stdout(&parallel);
    if codes != "0\n0\n0\n" {
        let logs = sandbox.run("cat /tmp/run*.log")?;
        panic!("parallel runs exited {codes:?}:\n{}", stdout(&logs));
    }
    assert_eq!(
        sandbox.run_ok("dpkg --print-foreign-architectures")?,
        "armhf\n"
    );
    installs_c_sysroot(&sandbox, &ARMV7, false)
}

#[test]
fn s390x_sysroot() -> Result<()> {
    let sandbox = DebianRoot::ensure()?.sandbox("apt-s390x")?;
    if !public_mirror_reachable(&sandbox, "apt::s390x_sysroot")? {
        return Ok(());
    }
    installs_c_sysroot(&sandbox, &S390X, true)
}

#[test]
fn native_target_is_plain_apt_get() -> Result<()> {
    let (_repo, sandbox) = local_sandbox("apt-native")?;
    sandbox.run_ok("apt-get update -q >/dev/null")?;
    let run = sandbox
        .run("TARGETPLATFORM=linux/amd64 XX_DEBUG_APT=1 xx-apt-get install -y zlib1g-dev")?;
    let log = stderr(&run);
    assert!(run.status.success(), "{log}");
    assert!(log.contains("+ apt-get  install -y zlib1g-dev\n"), "{log}");
    assert!(!log.contains(":amd64"), "{log}");
    assert!(!log.contains("--add-architecture"), "{log}");
    // The lists there are enough: no update.
    assert!(!log.contains("+ apt-get update"), "{log}");
    assert_eq!(sandbox.run_ok("dpkg --print-foreign-architectures")?, "");
    sandbox.run_ok("test -e /usr/lib/x86_64-linux-gnu/libz.so")?;

    // A failing apt-get: same stdout, same stderr after xx's echo line,
    // same exit status as apt-get itself.
    let plain = sandbox.run("apt-get install -y no-such-package-xyz")?;
    let wrapped = sandbox.run("xx-apt-get install -y no-such-package-xyz")?;
    assert_eq!(plain.status.code(), Some(100));
    assert_eq!(wrapped.status.code(), Some(100));
    assert_eq!(stdout(&wrapped), stdout(&plain));
    // ... then xx-rs's one line naming the cause.
    assert_eq!(
        stderr(&wrapped),
        format!(
            "+ apt-get  install -y no-such-package-xyz\n{}xx-apt-get: package no-such-package-xyz exists in none of the configured sources; check its name\n",
            stderr(&plain)
        )
    );
    assert!(stderr(&plain).contains("E: Unable to locate package no-such-package-xyz"));

    // Commands without packages pass straight through.
    let check = sandbox.run("xx-apt-get -q check")?;
    assert!(check.status.success(), "{}", stderr(&check));
    Ok(())
}

#[test]
fn bad_targets_fail_cleanly_and_skips_follow_xx() -> Result<()> {
    let sandbox = DebianRoot::ensure()?.sandbox("apt-bad")?;
    let sources_before = sandbox.run_ok("cat /etc/apt/sources.list")?;

    let bad = sandbox.run("TARGETPLATFORM=linux/foo xx-apt-get install -y zlib1g-dev")?;
    let message = stderr(&bad);
    assert_eq!(bad.status.code(), Some(1), "{message}");
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(message.starts_with("unsupported target"), "{message}");
    assert!(message.contains("foo"), "{message}");
    assert_eq!(sandbox.run_ok("dpkg --print-foreign-architectures")?, "");
    assert_eq!(sandbox.run_ok("cat /etc/apt/sources.list")?, sources_before);
    assert_eq!(sandbox.run_ok("ls -A /etc/apt/sources.list.d")?, "");

    let darwin = sandbox.run("TARGETOS=darwin TARGETARCH=amd64 xx-apt install foo")?;
    assert!(darwin.status.success(), "{}", stderr(&darwin));
    assert_eq!(
        stderr(&darwin),
        "skipping packages installation on darwin\n"
    );

    // Big-endian MIPS has no Debian 12 packages: skipped, as xx skips all
    // MIPS. (Little-endian mipsel/mips64el are installed; see c_builds.rs.)
    let mips = sandbox.run("TARGETPLATFORM=linux/mips64 xx-apt-get install -y zlib1g-dev")?;
    assert!(mips.status.success(), "{}", stderr(&mips));
    assert_eq!(stderr(&mips), "skipping packages installation on mips64\n");

    assert_eq!(
        sandbox.run_ok("xx-apt-get --print-source-file")?,
        "/etc/apt/sources.list\n"
    );

    // xx's --fix-source-file helper, run twice (test-apt.bats).
    let fixed = sandbox.run_ok(
        "printf 'deb http://archive.ubuntu.com/ubuntu/ noble main\\ndeb [arch=riscv64] http://ports.ubuntu.com/ubuntu-ports/ noble main\\n' > /tmp/s.list
xx-apt --fix-source-file /tmp/s.list arm64
xx-apt --fix-source-file /tmp/s.list arm64
cat /tmp/s.list",
    )?;
    assert_eq!(
        fixed,
        "deb [arch=arm64] http://archive.ubuntu.com/ubuntu/ noble main\ndeb [arch=riscv64] http://ports.ubuntu.com/ubuntu-ports/ noble main\n"
    );
    let missing = sandbox.run("xx-apt --fix-source-file /tmp/none.sources arm64")?;
    assert_eq!(missing.status.code(), Some(1));
    assert_eq!(
        stderr(&missing),
        "--fix-source-file: /tmp/none.sources is not a file\n"
    );
    Ok(())
}

/// The mirror the sandbox's debootstrap sources.list names.
fn sandbox_mirror(sandbox: &Sandbox) -> Result<String> {
    let list = sandbox.run_ok("cat /etc/apt/sources.list")?;
    let uri = list
        .split_whitespace()
        .nth(1)
        .ok_or_else(|| anyhow::anyhow!("unexpected sources.list: {list}"))?;
    Ok(uri.to_string())
}

#[test]
fn deb822_sources_restricted_to_amd64_end_up_serving_the_target() -> Result<()> {
    let sandbox = DebianRoot::ensure()?.sandbox("apt-deb822")?;
    if !public_mirror_reachable(
        &sandbox,
        "apt::deb822_sources_restricted_to_amd64_end_up_serving_the_target",
    )? {
        return Ok(());
    }
    let mirror = sandbox_mirror(&sandbox)?;
    sandbox.run_ok(&format!(
        "rm /etc/apt/sources.list
cat > /etc/apt/sources.list.d/debian.sources <<EOF
Types: deb
URIs: {mirror}
Suites: bookworm
Components: main
Architectures: amd64
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF"
    ))?;
    assert_eq!(
        sandbox.run_ok("xx-apt --print-source-file")?,
        "/etc/apt/sources.list.d/debian.sources\n"
    );

    let show = sandbox.run("TARGETPLATFORM=linux/arm64 xx-apt show zlib1g-dev")?;
    assert!(show.status.success(), "{}", stderr(&show));
    let text = stdout(&show);
    assert!(text.contains("Package: zlib1g-dev:arm64\n"), "{text}");
    let sources = sandbox.run_ok("cat /etc/apt/sources.list.d/debian.sources")?;
    assert!(
        sources.contains("Architectures: amd64 arm64\n"),
        "{sources}"
    );
    assert_eq!(
        sandbox.run_ok("ls -A /etc/apt/sources.list.d")?,
        "debian.sources\n",
        "temporary files left behind"
    );
    sandbox.run_ok("ls /var/lib/apt/lists/*_binary-arm64_Packages*")?;

    // xx's own expectations for arm64 (test-apt.bats).
    let prefer =
        sandbox.run_ok("TARGETPLATFORM=linux/arm64 XX_APT_PREFER_CROSS=1 xx-apt show libc6-dev")?;
    assert!(
        prefer.contains("Package: libc6-dev-arm64-cross\n"),
        "{prefer}"
    );
    let gcc = sandbox.run_ok("TARGETPLATFORM=linux/arm64 xx-apt show gcc")?;
    assert!(gcc.contains("Package: gcc-aarch64-linux-gnu\n"), "{gcc}");
    let essentials = sandbox.run_ok("TARGETPLATFORM=linux/arm64 xx-apt show xx-c-essentials")?;
    assert!(
        essentials.contains("Package: libgcc-12-dev:arm64\n"),
        "{essentials}"
    );
    Ok(())
}

#[test]
fn one_line_sources_restricted_to_amd64_end_up_serving_the_target() -> Result<()> {
    let sandbox = DebianRoot::ensure()?.sandbox("apt-one-line")?;
    if !public_mirror_reachable(
        &sandbox,
        "apt::one_line_sources_restricted_to_amd64_end_up_serving_the_target",
    )? {
        return Ok(());
    }
    let mirror = sandbox_mirror(&sandbox)?;
    sandbox.run_ok(&format!(
        "echo 'deb [arch=amd64] {mirror} bookworm main' > /etc/apt/sources.list"
    ))?;
    let show = sandbox.run(
        "TARGETPLATFORM=linux/s390x xx-apt-get install -y --no-install-recommends zlib1g-dev",
    )?;
    assert!(show.status.success(), "{}", stderr(&show));
    assert_eq!(
        sandbox.run_ok("cat /etc/apt/sources.list")?,
        format!("deb [arch=amd64,s390x] {mirror} bookworm main\n")
    );
    sandbox.run_ok("test -e /usr/lib/s390x-linux-gnu/libz.so")?;
    assert!(!sandbox.run_ok("ls -A /etc/apt")?.contains(".xx-apt-"));
    Ok(())
}

#[test]
fn failing_apt_update_gives_one_clear_line() -> Result<()> {
    let sandbox = DebianRoot::ensure()?.sandbox("apt-offline")?;
    // Nothing listens on port 9: the update for the new arch must fail.
    sandbox.run_ok("echo 'deb http://127.0.0.1:9/debian bookworm main' > /etc/apt/sources.list")?;
    let run = sandbox.run(
        "XX_APT_UPDATE_ATTEMPTS=2 XX_APT_RETRY_DELAY_MS=100 TARGETPLATFORM=linux/arm64 xx-apt-get install -y zlib1g-dev",
    )?;
    let log = stderr(&run);
    assert_eq!(run.status.code(), Some(1), "{log}");
    let last = log.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("xx-apt-get: apt-get update fetched no package list for arm64: the mirror 127.0.0.1:9 cannot be reached (")
            && last.contains("Connection refused")
            && last.ends_with("(dpkg --add-architecture arm64 undone)"),
        "{log}"
    );
    // apt's own fetch retries have tried again: xx-apt-get does not.
    assert!(!log.contains("retrying"), "{log}");
    // Nothing half-done that a rerun would trip over: the next run tries
    // the update again instead of trusting missing lists.
    let again = sandbox.run(
        "XX_APT_UPDATE_ATTEMPTS=1 TARGETPLATFORM=linux/arm64 XX_DEBUG_APT=1 xx-apt-get install -y zlib1g-dev",
    )?;
    assert!(
        stderr(&again).contains("+ apt-get update"),
        "{}",
        stderr(&again)
    );
    Ok(())
}
