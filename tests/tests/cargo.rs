//! End-to-end tests of `xx-cargo`: real cross builds with Debian's
//! `rustc-web`/`cargo-web` in a bookworm sandbox, checked with `xx-verify`
//! and run under qemu-user.
//!
//! The crates are in `tests/fixtures/rust` (one workspace, locked to
//! versions rustc-web 1.85 builds). The matrix is chosen for time (the
//! whole suite of the project must stay well under 40 minutes on 2 cores):
//!
//! * linux/arm64 gets every scenario: hello, the `cc` crate (libz-sys's
//!   bundled zlib), openssl-sys through pkg-config, `xx-cargo test` under
//!   qemu, a `+crt-static` build, bindgen against a target header, target
//!   C settings kept away from host code, and two first runs at once.
//! * linux/arm/v7 and linux/ppc64le get the three scenarios that differ per
//!   architecture (linking, C code through `cc`, running tests under qemu);
//!   the rest only exercises what arm64 already covers.
//! * linux/386 and linux/s390x (the other arches bookworm ships rustc-web's
//!   standard library for) get the hello build, 386 as a normal user, s390x
//!   through Debian's GNU linker (lld cannot link s390x).
//! * rustup's cargo (the host's toolchains, mounted read-only): a native
//!   build works and a cross build fails with a message that names the
//!   Debian packages; without any cargo, `cargo: not found`.
//!
//! Timings on the 2-core reference machine are logged with `--nocapture`.

mod lang_support;

use anyhow::Result;
use lang_support::{assert_contains, cache_dir, fixture, LangSandbox};

/// What the sandboxes need on top of the cached root.
const RUST_PACKAGES: &[&str] = &["rustc-web", "cargo-web", "qemu-user"];

/// One target of the matrix.
struct Arch {
    platform: &'static str,
    rust_triple: &'static str,
    qemu: &'static str,
    /// `xx-info arch`, the suffix of the record file.
    arch: &'static str,
}

const ARM64: Arch = Arch {
    platform: "linux/arm64",
    rust_triple: "aarch64-unknown-linux-gnu",
    qemu: "aarch64",
    arch: "arm64",
};
const ARMV7: Arch = Arch {
    platform: "linux/arm/v7",
    rust_triple: "armv7-unknown-linux-gnueabihf",
    qemu: "arm",
    arch: "arm",
};
const PPC64LE: Arch = Arch {
    platform: "linux/ppc64le",
    rust_triple: "powerpc64le-unknown-linux-gnu",
    qemu: "ppc64le",
    arch: "ppc64le",
};
const I386: Arch = Arch {
    platform: "linux/386",
    rust_triple: "i686-unknown-linux-gnu",
    qemu: "i386",
    arch: "386",
};
const S390X: Arch = Arch {
    platform: "linux/s390x",
    rust_triple: "s390x-unknown-linux-gnu",
    qemu: "s390x",
    arch: "s390x",
};

/// A sandbox with rustc-web, cargo-web, qemu-user, the fixtures in
/// `/src/rust` and a cargo home shared between runs (crates.io downloads).
fn rust_sandbox(name: &str) -> Result<LangSandbox> {
    let mut sandbox = LangSandbox::create(name, RUST_PACKAGES)?;
    sandbox.share(&cache_dir()?.join("cargo-home"), "root/.cargo")?;
    sandbox.copy_dir(&fixture("rust"), "src/rust")?;
    Ok(sandbox)
}

/// Run `script` in `/src/rust` with `TARGETPLATFORM` set for `arch`.
fn in_crates(sandbox: &LangSandbox, arch: &Arch, script: &str) -> Result<String> {
    sandbox.run_ok(&format!(
        "cd /src/rust\nexport TARGETPLATFORM={}\n{script}",
        arch.platform
    ))
}

/// The target's C library for linking (`xx-c-essentials`, as in xx's tests).
fn install_c_essentials(sandbox: &LangSandbox, arch: &Arch) -> Result<()> {
    in_crates(
        sandbox,
        arch,
        "xx-apt-get install -y xx-c-essentials >/tmp/essentials.log 2>&1 || { tail -30 /tmp/essentials.log; exit 1; }",
    )?;
    Ok(())
}

/// Build `package` (debug, or release when `release`), check it with
/// xx-verify and run it under qemu-user; returns its output.
fn build_verify_run(
    sandbox: &LangSandbox,
    arch: &Arch,
    package: &str,
    release: bool,
) -> Result<String> {
    let (flag, dir) = if release {
        ("--release", "release")
    } else {
        ("", "debug")
    };
    let binary = format!("/src/rust/target/{}/{dir}/{package}", arch.rust_triple);
    in_crates(
        sandbox,
        arch,
        &format!("xx-cargo build --locked {flag} -p {package}\nxx-verify {binary}"),
    )?;
    let output = sandbox.qemu_stdout_inside(arch.qemu, &binary)?;
    sandbox.log(&format!("{} {package}: {}", arch.platform, output.trim()));
    Ok(output)
}

/// `xx-cargo test` of the crate whose tests only pass on the target.
fn test_under_qemu(sandbox: &LangSandbox, arch: &Arch) -> Result<()> {
    let output = in_crates(sandbox, arch, "xx-cargo test --locked -p with-tests 2>&1")?;
    assert_contains(&output, "test result: ok. 3 passed", "xx-cargo test")?;
    sandbox.log(&format!(
        "{} xx-cargo test: 3 passed under qemu-{}",
        arch.platform, arch.qemu
    ));
    Ok(())
}

#[test]
fn arm64_every_scenario() -> Result<()> {
    let sandbox = rust_sandbox("cargo-arm64")?;
    let arch = &ARM64;
    install_c_essentials(&sandbox, arch)?;

    // Two first runs at once: both wait for one setup, one record line.
    let both = in_crates(
        &sandbox,
        arch,
        &format!("for n in 1 2; do ( xx-cargo --print-target-triple >/tmp/first-$n 2>&1; echo \"exit $?\" >>/tmp/first-$n ) & done\nwait\ncat /tmp/first-1 /tmp/first-2\necho ---\ncat /.xx-cargo.{}", arch.arch),
    )?;
    let expected = format!(
        "{0}\nexit 0\n{0}\nexit 0\n---\n{0} /usr/bin/rustc\n",
        arch.rust_triple
    );
    assert_eq!(both, expected, "concurrent first runs");
    assert!(
        sandbox
            .sandbox()
            .path()
            .join("usr/lib/rustlib/aarch64-unknown-linux-gnu/lib")
            .is_dir(),
        "xx-cargo did not install libstd-rust-web-dev:arm64"
    );
    sandbox.log("setup: two concurrent first runs, one setup");

    // (a) hello, release, as xx's test does.
    let hello = build_verify_run(&sandbox, arch, "hello", true)?;
    assert_eq!(hello, "hello cargo\n");
    let run = in_crates(&sandbox, arch, "xx-cargo run --locked -q -p hello")?;
    assert_eq!(run, "hello cargo\n", "xx-cargo run through the qemu runner");

    // (b) C code through the cc crate: libz-sys's bundled zlib.
    let zlib = build_verify_run(&sandbox, arch, "with-zlib", false)?;
    assert_contains(&zlib, "round trip ok", "with-zlib")?;

    // (c) openssl-sys through pkg-config against libssl-dev:arm64.
    in_crates(
        &sandbox,
        arch,
        "xx-apt-get install -y libssl-dev >/tmp/ssl.log 2>&1 || { tail -30 /tmp/ssl.log; exit 1; }",
    )?;
    let openssl = build_verify_run(&sandbox, arch, "with-openssl", false)?;
    assert_contains(&openssl, "OpenSSL 3.", "with-openssl")?;
    assert_contains(
        &openssl,
        "sha256(xx-cargo)=6f404ab67962710db4e3e6b5c32c0098ef45fede15b3444fe6fb1cadfba574cb",
        "with-openssl",
    )?;

    // (d) tests that only pass on the target, run by qemu-user.
    test_under_qemu(&sandbox, arch)?;

    // (e) a static build through XX_RUSTFLAGS.
    in_crates(
        &sandbox,
        arch,
        "XX_RUSTFLAGS='-C target-feature=+crt-static' xx-cargo build --locked --release -p hello --target-dir /tmp/static\nxx-verify --static /tmp/static/aarch64-unknown-linux-gnu/release/hello",
    )?;
    let static_hello = sandbox.qemu_stdout_inside(
        arch.qemu,
        "/tmp/static/aarch64-unknown-linux-gnu/release/hello",
    )?;
    assert_eq!(static_hello, "hello cargo\n");
    sandbox.log("static hello: xx-verify --static ok");

    // (f) bindgen on the target's <sys/user.h> (272 bytes on arm64, 216 on
    // the x86_64 build machine).
    let bindgen = build_verify_run(&sandbox, arch, "with-bindgen", false)?;
    assert_eq!(bindgen, "user_regs_struct: 272 bytes\n");

    // (g) CC/CFLAGS in the environment reach the target only: the build
    // script (host) sees no flag, the target sees it.
    let binary = "/src/rust/target/aarch64-unknown-linux-gnu/debug/host-shield";
    in_crates(
        &sandbox,
        arch,
        &format!("CC=aarch64-unknown-linux-gnu-clang CFLAGS=-DXX_TARGET_FLAG=42 xx-cargo build --locked -p host-shield\nxx-verify {binary}"),
    )?;
    let shield = sandbox.qemu_stdout_inside(arch.qemu, binary)?;
    assert_eq!(shield, "target flag 42 host flag 0\n");
    sandbox.log("host-shield: target CFLAGS stayed on the target side");
    Ok(())
}

#[test]
fn armv7_ppc64le_and_i386_as_user() -> Result<()> {
    let sandbox = rust_sandbox("cargo-arches")?;
    for arch in [&ARMV7, &PPC64LE] {
        install_c_essentials(&sandbox, arch)?;
        assert_eq!(
            in_crates(
                &sandbox,
                arch,
                &format!(
                    "xx-cargo --print-target-triple\ncat /.xx-cargo.{}",
                    arch.arch
                )
            )?,
            format!("{0}\n{0} /usr/bin/rustc\n", arch.rust_triple)
        );
        assert_eq!(
            build_verify_run(&sandbox, arch, "hello", false)?,
            "hello cargo\n"
        );
        let zlib = build_verify_run(&sandbox, arch, "with-zlib", false)?;
        assert_contains(&zlib, "round trip ok", arch.platform)?;
        test_under_qemu(&sandbox, arch)?;
    }

    // 386 as a normal user, once root has installed the target's std and
    // C library: nothing needs root, xx-rs's files go to ~/.cache/xx-rs.
    let arch = &I386;
    in_crates(
        &sandbox,
        arch,
        "xx-apt-get install -y xx-c-essentials libstd-rust-web-dev >/tmp/i386.log 2>&1 || { tail -30 /tmp/i386.log; exit 1; }\nuseradd -m builder\ncp -r /src/rust /home/builder/rust\nrm -rf /home/builder/rust/target\nchown -R builder: /home/builder/rust",
    )?;
    let user = sandbox.run_ok(
        "runuser -u builder -- env HOME=/home/builder TARGETPLATFORM=linux/386 sh -ec '\n\
         cd ~/rust\n\
         xx-cargo build -p hello 2>&1 | tail -1\n\
         xx-verify target/i686-unknown-linux-gnu/debug/hello\n\
         cat ~/.cache/xx-rs/.xx-cargo.386\n\
         ls ~/.cache/xx-rs/cc/usr/bin/i686-unknown-linux-gnu-clang'\n\
         test ! -e /usr/bin/i686-unknown-linux-gnu.cfg\n\
         test ! -e /.xx-cargo.386",
    )?;
    assert_contains(
        &user,
        "i686-unknown-linux-gnu /usr/bin/rustc",
        "user record",
    )?;
    let hello = sandbox.qemu_stdout_inside(
        arch.qemu,
        "/home/builder/rust/target/i686-unknown-linux-gnu/debug/hello",
    )?;
    assert_eq!(hello, "hello cargo\n");
    sandbox.log("linux/386 as a normal user: files in ~/.cache/xx-rs");
    Ok(())
}

#[test]
fn rustup_cargo_and_no_cargo() -> Result<()> {
    let mut sandbox = LangSandbox::create("cargo-rustup", &[])?;
    let (ok, text) =
        sandbox.run_both("cd /tmp && TARGETPLATFORM=linux/arm64 xx-cargo --version")?;
    assert!(!ok, "xx-cargo without cargo succeeded");
    assert_contains(&text, "cargo: not found", "no cargo")?;

    let home = std::env::var_os("HOME")
        .map(std::path::PathBuf::from)
        .unwrap_or_default();
    let rustup_home = std::env::var_os("RUSTUP_HOME")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| home.join(".rustup"));
    let rustup_bin = std::env::var_os("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| home.join(".cargo"))
        .join("bin");
    if !rustup_bin.join("rustup").is_file() || !rustup_home.is_dir() {
        eprintln!("no rustup on the host: skipping the rustup part");
        return Ok(());
    }
    sandbox.share_read_only(&rustup_home, "opt/rustup")?;
    sandbox.share_read_only(&rustup_bin, "opt/rustup-bin")?;
    sandbox.share(&cache_dir()?.join("cargo-home"), "root/.cargo")?;
    sandbox.copy_dir(&fixture("rust"), "src/rust")?;
    let env = "export RUSTUP_HOME=/opt/rustup PATH=/opt/rustup-bin:$PATH\ncd /src/rust";

    let native = sandbox.run_ok(&format!(
        "{env}\nexport TARGETPLATFORM=linux/amd64\nxx-cargo build --locked -p hello 2>/dev/null\n./target/x86_64-unknown-linux-gnu/debug/hello\ncat /.xx-cargo.amd64"
    ))?;
    assert_eq!(
        native, "hello cargo\nx86_64-unknown-linux-gnu /opt/rustup-bin/rustc\n",
        "native build with rustup's cargo"
    );

    let (ok, text) = sandbox.run_both(&format!(
        "{env}\nTARGETPLATFORM=linux/arm64 xx-cargo build -p hello"
    ))?;
    assert!(!ok, "cross build without the target's std succeeded");
    for needle in [
        "rustup target add aarch64-unknown-linux-gnu",
        "rustc-web",
        "libstd-rust-web-dev:arm64",
    ] {
        assert_contains(&text, needle, "rustup error")?;
    }
    sandbox.log("rustup: native build ok, cross build names the Debian packages");
    Ok(())
}

/// s390x: lld cannot link it, so xx-clang links with GNU ld from Debian's
/// `binutils-s390x-linux-gnu` (installed here the way xx documents it).
///
/// Ignored until xx-clang finds Debian's `s390x-linux-gnu-ld` for the
/// vendor-`unknown` triple xx-cargo sets up (it looks for
/// `s390x-unknown-linux-gnu-ld` and the package
/// `binutils-s390x-unknown-linux-gnu`); run with `--ignored`.
#[test]
#[ignore = "xx-clang does not yet use Debian's s390x-linux-gnu-ld for s390x-unknown-linux-gnu"]
fn s390x_through_gnu_ld() -> Result<()> {
    let sandbox = rust_sandbox("cargo-s390x")?;
    let arch = &S390X;
    install_c_essentials(&sandbox, arch)?;
    in_crates(
        &sandbox,
        arch,
        "xx-apt-get install -y binutils >/tmp/binutils.log 2>&1 || { tail -30 /tmp/binutils.log; exit 1; }",
    )?;
    assert_eq!(
        build_verify_run(&sandbox, arch, "hello", false)?,
        "hello cargo\n"
    );
    Ok(())
}
