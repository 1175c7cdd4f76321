//! End-to-end tests of `xx-cargo`: real cross builds with Debian's
//! `rustc-web`/`cargo-web` in a bookworm sandbox, checked with `xx-verify`
//! and run under qemu-user.
//!
//! The crates are in `tests/fixtures/rust` (one workspace, locked to
//! versions rustc-web 1.85 builds). Every architecture Debian bookworm
//! ships rustc-web's standard library for, other than the amd64 build
//! machine itself, gets every scenario (see [`Case`] and [`check_case`]):
//!
//! * (a) hello, release, and the same through `xx-cargo run` (qemu runner);
//! * (b) C code through the `cc` crate (libz-sys's bundled zlib);
//! * (c) openssl-sys through pkg-config against `libssl-dev:<arch>`;
//! * (d) `xx-cargo test` of tests that only pass on the target, run by qemu;
//! * (e) a `+crt-static` build (`XX_RUSTFLAGS`) that passes
//!   `xx-verify --static`;
//! * (f) bindgen (Debian's libclang) on the target's `<fenv.h>` and
//!   `<sys/stat.h>`: `fenv_t` and `struct stat` must have the sizes the
//!   target's C compiler gives them. (Not `jmp_buf`: bindgen 0.72 drops
//!   the alignment of arm's aligned `__jmp_buf` typedef, rust-bindgen
//!   issue 1284, whatever the headers.)
//!
//! linux/arm64, linux/arm/v7 and linux/ppc64le link with lld; linux/s390x
//! with GNU ld, which xx-clang installs (`binutils-s390x-linux-gnu`) on
//! first use; linux/386 runs as a normal user once root has installed the
//! target's packages. linux/arm64 also checks two first runs at once and
//! that target C settings stay off the host side. bookworm has rustc-web's
//! standard library for mips64el only at an older version: xx-cargo says
//! so; Debian's older `rustc` (1.63) builds for linux/mips64le with
//! `libstd-rust-dev:mips64el` at its own version and GNU ld. rustup's
//! cargo (the host's toolchains, mounted read-only): a native build works;
//! a cross build for linux/arm64 fails with a message that names the Debian
//! packages when the toolchain has no aarch64 standard library, and builds
//! an arm64 program when it has one (whichever state the host is in is
//! checked and logged); without any cargo, `cargo: not found`. No rustup
//! on the host is a recorded skip (`xx_e2e::skip`).
//!
//! Arches that share a sandbox share the build machine's artifacts (build
//! scripts, bindgen), as one project's builds for several platforms do.
//! Timings on the 2-core reference machine are logged with `--nocapture`.

mod lang_support;

use anyhow::{Context, Result};
use lang_support::{assert_contains, cache_dir, fixture, LangSandbox};
use xx_e2e::qemu_suffix;

/// What the sandboxes need on top of the cached root.
const RUST_PACKAGES: &[&str] = &["rustc-web", "cargo-web", "qemu-user"];

/// The normal user of [`Case::as_user`] cases.
const USER: &str = "builder";

/// One target of the matrix: the platform and what xx-cargo must produce
/// for it.
struct Case {
    platform: &'static str,
    /// The Rust triple xx-cargo chooses (xx's naming: vendor `unknown`).
    rust_triple: &'static str,
    /// `xx-info arch`, the suffix of xx-cargo's record file.
    arch: &'static str,
    /// `sizeof(fenv_t)` and `sizeof(struct stat)` in the target's C
    /// library (32 and 144 on the x86_64 build machine).
    sizes: (usize, usize),
    /// Build as a normal user: root installs the target's packages first,
    /// then nothing needs root and xx-rs's files go to `~/.cache/xx-rs`.
    as_user: bool,
}

const ARM64: Case = Case {
    platform: "linux/arm64",
    rust_triple: "aarch64-unknown-linux-gnu",
    arch: "arm64",
    sizes: (8, 128),
    as_user: false,
};
const ARMV7: Case = Case {
    platform: "linux/arm/v7",
    rust_triple: "armv7-unknown-linux-gnueabihf",
    arch: "arm",
    sizes: (4, 88),
    as_user: false,
};
const PPC64LE: Case = Case {
    platform: "linux/ppc64le",
    rust_triple: "powerpc64le-unknown-linux-gnu",
    arch: "ppc64le",
    sizes: (8, 144),
    as_user: false,
};
const I386: Case = Case {
    platform: "linux/386",
    rust_triple: "i686-unknown-linux-gnu",
    arch: "386",
    sizes: (28, 88),
    as_user: true,
};
const S390X: Case = Case {
    platform: "linux/s390x",
    rust_triple: "s390x-unknown-linux-gnu",
    arch: "s390x",
    sizes: (16, 144),
    as_user: false,
};

impl Case {
    /// Where the fixture workspace is for this case.
    fn workspace(&self) -> String {
        if self.as_user {
            format!("/home/{USER}/rust")
        } else {
            "/src/rust".to_string()
        }
    }

    /// The path of a built program.
    fn binary(&self, target_dir: &str, profile: &str, package: &str) -> String {
        format!("{target_dir}/{}/{profile}/{package}", self.rust_triple)
    }

    /// Where xx-cargo records the target's setup.
    fn record(&self) -> String {
        if self.as_user {
            format!("/home/{USER}/.cache/xx-rs/.xx-cargo.{}", self.arch)
        } else {
            format!("/.xx-cargo.{}", self.arch)
        }
    }
}

/// A sandbox with rustc-web, cargo-web, qemu-user, the fixtures in
/// `/src/rust` and a cargo home shared between runs (crates.io downloads).
fn rust_sandbox(name: &str) -> Result<LangSandbox> {
    let mut sandbox = LangSandbox::create(name, RUST_PACKAGES)?;
    sandbox.share(&cache_dir()?.join("cargo-home"), "root/.cargo")?;
    sandbox.copy_dir(&fixture("rust"), "src/rust")?;
    Ok(sandbox)
}

/// Run `script` as root in `/src/rust` with `TARGETPLATFORM` set.
fn as_root(sandbox: &LangSandbox, case: &Case, script: &str) -> Result<String> {
    sandbox.run_ok(&format!(
        "cd /src/rust\nexport TARGETPLATFORM={}\n{script}",
        case.platform
    ))
}

/// Run `script` in the case's workspace, as the case's user.
fn in_crates(sandbox: &LangSandbox, case: &Case, script: &str) -> Result<String> {
    if !case.as_user {
        return as_root(sandbox, case, script);
    }
    sandbox.run_ok(&format!(
        "cat >/tmp/as-user.sh <<'XX_EOF'\nset -e\ncd {}\nexport TARGETPLATFORM={}\n{script}\nXX_EOF\nrunuser -u {USER} -- env HOME=/home/{USER} sh /tmp/as-user.sh",
        case.workspace(),
        case.platform
    ))
}

/// Root installs what the target needs from the distribution: its C
/// library (`xx-c-essentials`, as in xx's tests) and OpenSSL; for a
/// normal-user case also the Rust standard library, and the user and a
/// copy of the fixtures.
fn prepare(sandbox: &LangSandbox, case: &Case) -> Result<()> {
    let std = if case.as_user {
        "libstd-rust-web-dev"
    } else {
        ""
    };
    as_root(
        sandbox,
        case,
        &format!("xx-apt-get install -y xx-c-essentials libssl-dev {std} >/tmp/pkgs.log 2>&1 || {{ tail -30 /tmp/pkgs.log; exit 1; }}"),
    )?;
    if case.as_user {
        sandbox.run_ok(&format!(
            "id {USER} >/dev/null 2>&1 || useradd -m {USER}\nrm -rf /home/{USER}/rust\ncp -r /src/rust /home/{USER}/rust\nrm -rf /home/{USER}/rust/target\nchown -R {USER}: /home/{USER}/rust"
        ))?;
    }
    Ok(())
}

/// Build `package` with `cargo_args`, check it with xx-verify and run it
/// under qemu-user; returns its output.
fn build_verify_run(
    sandbox: &LangSandbox,
    case: &Case,
    package: &str,
    release: bool,
) -> Result<String> {
    let (flag, profile) = if release {
        ("--release", "release")
    } else {
        ("", "debug")
    };
    let binary = case.binary(&format!("{}/target", case.workspace()), profile, package);
    in_crates(
        sandbox,
        case,
        &format!("xx-cargo build --locked -q {flag} -p {package}\nxx-verify {binary}"),
    )
    .with_context(|| format!("{} {package}", case.platform))?;
    let output = sandbox.qemu_stdout_inside(qemu_suffix(case.platform)?, &binary)?;
    sandbox.log(&format!("{} {package}: {}", case.platform, output.trim()));
    Ok(output)
}

/// Scenarios (a) to (f) for `case` (see the module documentation).
fn check_case(sandbox: &LangSandbox, case: &Case) -> Result<()> {
    prepare(sandbox, case)?;
    let qemu = qemu_suffix(case.platform)?;

    // The triple, and the record of the one-time setup.
    assert_eq!(
        in_crates(
            sandbox,
            case,
            &format!("xx-cargo --print-target-triple\ncat {}", case.record())
        )?,
        format!("{0}\n{0} /usr/bin/rustc\n", case.rust_triple),
        "{}: triple and record",
        case.platform
    );

    // (a) hello, release, as xx's test does; and through the qemu runner.
    assert_eq!(
        build_verify_run(sandbox, case, "hello", true)?,
        "hello cargo\n"
    );
    let run = in_crates(sandbox, case, "xx-cargo run --locked -q -p hello")?;
    assert_eq!(run, "hello cargo\n", "{}: xx-cargo run", case.platform);

    // (b) C code through the cc crate: libz-sys's bundled zlib.
    let zlib = build_verify_run(sandbox, case, "with-zlib", false)?;
    assert_contains(&zlib, "round trip ok", case.platform)?;

    // (c) openssl-sys through pkg-config against libssl-dev:<arch>.
    let openssl = build_verify_run(sandbox, case, "with-openssl", false)?;
    assert_contains(&openssl, "OpenSSL 3.", case.platform)?;
    assert_contains(
        &openssl,
        "sha256(xx-cargo)=6f404ab67962710db4e3e6b5c32c0098ef45fede15b3444fe6fb1cadfba574cb",
        case.platform,
    )?;

    // (d) tests that only pass on the target, run by qemu-user.
    let tests = in_crates(
        sandbox,
        case,
        "xx-cargo test --locked -q -p with-tests 2>&1",
    )?;
    assert_contains(&tests, "test result: ok. 3 passed", case.platform)?;
    sandbox.log(&format!(
        "{} xx-cargo test: 3 passed under qemu-{qemu}",
        case.platform
    ));

    // (e) a static build through XX_RUSTFLAGS.
    let static_hello = case.binary("/tmp/static", "release", "hello");
    in_crates(
        sandbox,
        case,
        &format!("XX_RUSTFLAGS='-C target-feature=+crt-static' xx-cargo build --locked -q --release -p hello --target-dir /tmp/static\nxx-verify --static {static_hello}"),
    )
    .with_context(|| format!("{} static hello", case.platform))?;
    assert_eq!(
        sandbox.qemu_stdout_inside(qemu, &static_hello)?,
        "hello cargo\n"
    );
    sandbox.log(&format!(
        "{} static hello: xx-verify --static ok",
        case.platform
    ));

    // (f) bindgen on the target's headers, checked against the target's C
    // compiler.
    let bindgen = build_verify_run(sandbox, case, "with-bindgen", false)?;
    let (fenv, stat) = case.sizes;
    assert_eq!(
        bindgen,
        format!(
            "fenv_t: bindgen {fenv} bytes, C {fenv} bytes; struct stat: bindgen {stat} bytes, C {stat} bytes\n"
        ),
        "{}: bindgen",
        case.platform
    );
    Ok(())
}

#[test]
fn arm64_every_scenario_and_first_runs() -> Result<()> {
    let sandbox = rust_sandbox("cargo-arm64")?;
    let case = &ARM64;

    // Two first runs at once: both wait for one setup, one record line.
    let both = as_root(
        &sandbox,
        case,
        &format!("for n in 1 2; do ( xx-cargo --print-target-triple >/tmp/first-$n 2>&1; echo \"exit $?\" >>/tmp/first-$n ) & done\nwait\ncat /tmp/first-1 /tmp/first-2\necho ---\ncat {}", case.record()),
    )?;
    let expected = format!(
        "{0}\nexit 0\n{0}\nexit 0\n---\n{0} /usr/bin/rustc\n",
        case.rust_triple
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

    check_case(&sandbox, case)?;

    // CC/CFLAGS in the environment reach the target only: the build script
    // (host) sees no flag, the target sees it.
    let binary = case.binary("/src/rust/target", "debug", "host-shield");
    as_root(
        &sandbox,
        case,
        &format!("CC=aarch64-unknown-linux-gnu-clang CFLAGS=-DXX_TARGET_FLAG=42 xx-cargo build --locked -q -p host-shield\nxx-verify {binary}"),
    )?;
    let shield = sandbox.qemu_stdout_inside(qemu_suffix(case.platform)?, &binary)?;
    assert_eq!(shield, "target flag 42 host flag 0\n");
    sandbox.log("host-shield: target CFLAGS stayed on the target side");
    Ok(())
}

#[test]
fn armv7_and_ppc64le_every_scenario() -> Result<()> {
    let sandbox = rust_sandbox("cargo-armv7-ppc64le")?;
    for case in [&ARMV7, &PPC64LE] {
        check_case(&sandbox, case)?;
    }
    Ok(())
}

#[test]
fn i386_every_scenario_as_a_normal_user() -> Result<()> {
    let sandbox = rust_sandbox("cargo-i386-user")?;
    let case = &I386;
    check_case(&sandbox, case)?;
    // Nothing was written outside the user's files.
    sandbox.run_ok(&format!(
        "test -e /home/{USER}/.cache/xx-rs/cc/usr/bin/i686-unknown-linux-gnu-clang\n\
         test ! -e /usr/bin/i686-unknown-linux-gnu.cfg\n\
         test ! -e /.xx-cargo.386"
    ))?;
    sandbox.log("linux/386 as a normal user: files in ~/.cache/xx-rs");
    Ok(())
}

/// lld cannot link s390x: xx-clang installs Debian's
/// `binutils-s390x-linux-gnu` on first use and links with its GNU ld, also
/// for the vendor-`unknown` triple xx-cargo sets up. Then linux/mips64le,
/// for which bookworm has rustc-web's standard library only at 1.70:
/// xx-cargo refuses to install a standard library rustc 1.85 cannot load,
/// and says why.
#[test]
fn s390x_through_gnu_ld_and_no_std_for_mips64le() -> Result<()> {
    let sandbox = rust_sandbox("cargo-s390x")?;
    check_case(&sandbox, &S390X)?;
    let config = sandbox.run_ok("cat /usr/bin/s390x-unknown-linux-gnu.cfg")?;
    assert_contains(
        &config,
        "-fuse-ld=/usr/bin/s390x-linux-gnu-ld",
        "s390x config",
    )?;

    let (ok, text) = sandbox.run_both(
        "cd /src/rust
TARGETPLATFORM=linux/mips64le xx-cargo build --locked -p hello",
    )?;
    assert!(!ok, "xx-cargo built mips64le without a matching std");
    for needle in [
        "the archive has no libstd-rust-web-dev:mips64el at the compiler's version 1.85",
        "use a Rust compiler that has a standard library for mips64el-unknown-linux-gnuabi64",
    ] {
        assert_contains(&text, needle, "mips64le error")?;
    }
    sandbox.log("linux/mips64le with rustc-web 1.85: refused with the reason");
    Ok(())
}

/// Debian's own `rustc` (1.63 in bookworm, package `rustc`, not
/// `rustc-web`), for linux/mips64le, which bookworm builds it for: xx-cargo
/// installs `libstd-rust-dev:mips64el` at the compiler's version and
/// xx-clang links with Debian's GNU ld (lld cannot link MIPS). A crate
/// without dependencies: the fixtures' lock file is newer than cargo 1.63
/// reads.
#[test]
fn debian_rustc_for_mips64le_through_gnu_ld() -> Result<()> {
    let sandbox = LangSandbox::create("cargo-debian-rustc", &["rustc", "cargo", "qemu-user"])?;
    let platform = "linux/mips64le";
    let triple = "mips64el-unknown-linux-gnuabi64";
    let version = sandbox.run_ok("dpkg-query -W -f='${Version}' rustc")?;
    let script = r#"export TARGETPLATFORM=@PLATFORM@
xx-apt-get install -y xx-c-essentials >/tmp/pkgs.log 2>&1 || { tail -30 /tmp/pkgs.log; exit 1; }
mkdir -p /src/old/src && cd /src/old
printf '[package]\nname = "old"\nversion = "0.1.0"\nedition = "2021"\n' > Cargo.toml
printf 'fn main() { println!("hello from rustc 1.63"); }\n' > src/main.rs
xx-cargo build -q >/tmp/build.log 2>&1 || { cat /tmp/build.log; exit 1; }
xx-verify target/@TRIPLE@/debug/old
dpkg-query -W -f='${Version}' libstd-rust-dev:mips64el"#;
    let built = sandbox.run_ok(
        &script
            .replace("@PLATFORM@", platform)
            .replace("@TRIPLE@", triple),
    )?;
    assert_eq!(
        built, version,
        "libstd-rust-dev:mips64el has the version of rustc"
    );
    let config = sandbox.run_ok(&format!("cat /usr/bin/{triple}.cfg"))?;
    assert_contains(
        &config,
        "-fuse-ld=/usr/bin/mips64el-linux-gnuabi64-ld",
        "mips64le config",
    )?;
    let binary = format!("/src/old/target/{triple}/debug/old");
    assert_eq!(
        sandbox.qemu_stdout_inside(qemu_suffix(platform)?, &binary)?,
        "hello from rustc 1.63\n"
    );
    sandbox.log(&format!(
        "Debian's rustc {version} for {platform}: libstd-rust-dev:mips64el at the same version, GNU ld"
    ));
    Ok(())
}

/// rustup's toolchains from the host, mounted read-only (so that `rustup
/// target add` cannot change them from inside): a native build works; a
/// cross build for linux/arm64 depends on whether the host's toolchain has
/// the aarch64 standard library, and both states are checked for what
/// they must do. Without it the build fails with a message naming
/// `rustup target add` and the Debian packages; with it the build
/// succeeds and the program is an arm64 one that runs under qemu-user.
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
        xx_e2e::skip(
            "cargo::rustup_cargo_and_no_cargo",
            &format!(
                "no rustup on the host ({} or {} missing): xx-cargo with rustup's cargo not checked",
                rustup_bin.join("rustup").display(),
                rustup_home.display()
            ),
        );
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

    // Which state is the host's toolchain in? Asked of the toolchain the
    // sandbox runs.
    let sysroot = sandbox.run_ok(&format!("{env}\nrustc --print sysroot"))?;
    let sysroot = sysroot.trim();
    let has_std = sandbox
        .run_both(&format!(
            "test -d {sysroot}/lib/rustlib/aarch64-unknown-linux-gnu/lib"
        ))?
        .0;
    sandbox.log(&format!(
        "rustup toolchain {sysroot}: {} the aarch64-unknown-linux-gnu standard library",
        if has_std { "has" } else { "does not have" }
    ));

    if has_std {
        sandbox.run_ok(&format!(
            "{env}\nexport TARGETPLATFORM=linux/arm64\nxx-apt-get install -y xx-c-essentials >/tmp/ess.log 2>&1 || {{ tail -30 /tmp/ess.log; exit 1; }}\nxx-cargo build --locked -q -p hello\nxx-verify target/aarch64-unknown-linux-gnu/debug/hello"
        ))?;
        assert_eq!(
            sandbox.qemu_stdout(
                "aarch64",
                "/src/rust/target/aarch64-unknown-linux-gnu/debug/hello"
            )?,
            "hello cargo\n",
            "rustup's arm64 hello under qemu"
        );
        sandbox.log("rustup with the aarch64 std: native and cross builds ok");
    } else {
        let (ok, text) = sandbox.run_both(&format!(
            "{env}\nTARGETPLATFORM=linux/arm64 xx-cargo build -p hello"
        ))?;
        assert!(
            !ok,
            "cross build without the target's std succeeded:\n{text}"
        );
        for needle in [
            "rustup target add aarch64-unknown-linux-gnu",
            "rustc-web",
            "libstd-rust-web-dev:arm64",
        ] {
            assert_contains(&text, needle, "rustup error")?;
        }
        sandbox.log("rustup without the aarch64 std: native build ok, cross build names the Debian packages");
    }
    Ok(())
}
