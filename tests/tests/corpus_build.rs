//! Issue 14's build proof: corpus Dockerfiles (tests/fixtures/dockerfiles/
//! corpus/, from public projects) lowered with `xx lower` and built with
//! BuildKit for real, every artifact checked with xx-verify and run.
//!
//! For each case of [`CASES`]:
//!
//! 1. `xx lower --xx-image xx-rs` writes the lowered Dockerfile;
//! 2. BuildKit builds it for all the case's platforms in ONE invocation
//!    (the xx-rs engine, see docs/docker-engine.md) with the case's stand-in
//!    source tree (tests/fixtures/corpus-src/<case>/) as the context, and
//!    exports the final stage of every platform;
//! 3. the program of every platform is checked with `xx-verify` (`--static`
//!    where the build is static) for that platform and run under
//!    `qemu-<arch> -L <that platform's exported image>` (dynamic programs
//!    take the C library of their own final image); it must print the
//!    case's line and its word size (64, or 32 on arm/v7);
//! 4. the UNLOWERED Dockerfile is built natively for linux/amd64 alone and
//!    its program run the same way: the output must equal the lowered
//!    build's linux/amd64 output.
//!
//! No registry is reachable here: the base images are local stand-ins
//! under the real names, made from the debootstrapped Debian base and
//! Debian packages (tests/fixtures/corpus-images/, see
//! `xx_e2e::corpus_build::STAND_INS`): Go and Rust are Debian trixie's
//! (golang-go 1.24, rustc/cargo without rustup), the final images of
//! foreign platforms are library trees unpacked with `dpkg -x` on the
//! build machine, or an almost empty tree where the program is static.
//!
//! No binfmt_misc handler may exist (checked before and after every build),
//! so a RUN step of a foreign-platform stage cannot run: a case whose final
//! stage RUNs on the target platform (`apt-get install ...` on
//! debian:*-slim or ubuntu) is built for linux/amd64 alone; its table row
//! says so.
//!
//! Read only, not built: the Alpine-based cases (c-autotools-alpine,
//! c-libressl-autoconf-alpine, c-openssl-config-alpine,
//! cpp-cmake-alpine-two-stage, cpp-alpine-gpp, go-cgo-alpine-sqlite,
//! go-fixed-goarch, go-swag-tool-install, rust-alpine-ci-compile and the
//! xx-* files): no Alpine repository is reachable from here, so their
//! outcome is checked by reading the lowered text only
//! (crates/xx/tests/corpus.rs). Also read only: the cases whose builds
//! need the network beyond Debian's mirror (nginx and OpenSSL tarballs,
//! `go install ...@latest`, `cargo install trunk`, cargo-chef), the ones
//! left on the target platform (rust-musl-on-debian, go-url-operator:
//! their RUN steps would need emulation for arm64) and the ones whose
//! only compile stage is the image itself (lowering leaves them as they
//! are).
//!
//! Not built: go-cipin-exec-form. Its `go build -o /testbuild -C ./cipin`
//! is refused by Go itself ("-C flag must be first flag on command line"),
//! lowered or not, with the Go 1.24 stand-in; building it found a lowering
//! bug all the same (`COPY --from=0` named the added xx stage), fixed and
//! covered by crates/xx/tests/corpus.rs and a unit test of
//! crates/xx-dockerfile/src/lower.
//!
//! Time, measured on the 2-core machine while other work ran on it: with
//! the stand-ins and the build cache of an earlier run, 45 s for all
//! cases; from nothing (the stand-ins made, every apt install and build
//! done), about 18 minutes summed over the first runs (Go cases with the
//! golang stand-in 7.4 min, c-concurrent-web-server and the Rust cases
//! 3.4 min, c-meson-precision-mesh 2.2 min, c-gcc-bookworm-slim with the
//! gcc stand-in 4.7 min). The stand-ins and the cache are kept by the
//! engine, so only the first run pays that.
//!
//! Needs root, `debootstrap`, `qemu-user` and Debian's apt repositories.

use std::path::Path;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use xx_e2e::corpus_build::{corpus_dockerfile, corpus_source, ensure_stand_ins, run_in_export};
use xx_e2e::docker::{
    assert_no_emulation, build_to, ensure_xx_image, export_dir, platform_export_dir,
    shared_dockerd, Dockerd, XX_IMAGE,
};
use xx_e2e::xx_binary;

const AMD64: &str = "linux/amd64";
const ARM64: &str = "linux/arm64";
const ARMV7: &str = "linux/arm/v7";

/// One built corpus case.
struct Case {
    /// The corpus file's name without `.Dockerfile`, also the folder of
    /// its stand-in source tree.
    name: &'static str,
    /// The stand-in images it uses (see `STAND_INS`), for the record.
    stand_ins: &'static [&'static str],
    /// The platforms the lowered Dockerfile is built for, in one
    /// invocation.
    platforms: &'static [&'static str],
    /// Why only linux/amd64, if so.
    amd64_only_because: Option<&'static str>,
    /// The program's path in the final stage.
    artifact: &'static str,
    /// Whether it is linked statically (`xx-verify --static`).
    static_link: bool,
    /// What it prints before its word size.
    line: &'static str,
}

const FINAL_RUNS_APT: &str = "the final stage runs apt-get for the target platform, which needs emulation (no binfmt_misc handler here)";

/// The corpus cases built here.
const CASES: &[Case] = &[
    Case {
        name: "go-activitypub-spam-filter",
        stand_ins: &["golang:latest", "gcr.io/distroless/base"],
        platforms: &[AMD64, ARM64, ARMV7],
        amd64_only_because: None,
        artifact: "app",
        static_link: true,
        line: "go-activitypub-spam-filter ok",
    },
    Case {
        name: "go-ud-co2s-exporter",
        stand_ins: &["golang:latest", "gcr.io/distroless/static:latest"],
        platforms: &[AMD64, ARM64, ARMV7],
        amd64_only_because: None,
        artifact: "app",
        static_link: true,
        line: "go-ud-co2s-exporter ok",
    },
    Case {
        name: "go-qiscus-integration",
        stand_ins: &["golang:1.21", "gcr.io/distroless/base-debian11"],
        platforms: &[AMD64, ARM64],
        amd64_only_because: None,
        artifact: "binary",
        static_link: true,
        line: "go-qiscus-integration ok",
    },
    Case {
        name: "go-notverycash",
        stand_ins: &["golang:1", "gcr.io/distroless/static-debian12"],
        platforms: &[AMD64, ARM64],
        amd64_only_because: None,
        artifact: "app",
        static_link: true,
        line: "go-notverycash ok",
    },
    Case {
        name: "go-ldflags-distroless",
        stand_ins: &["golang:latest", "gcr.io/distroless/base"],
        platforms: &[AMD64, ARM64],
        amd64_only_because: None,
        artifact: "app",
        static_link: true,
        line: "go-ldflags-distroless ok",
    },
    Case {
        name: "go-bms-contact",
        stand_ins: &["192.168.1.1", "192.168.1.1/alpine"],
        platforms: &[AMD64, ARM64],
        amd64_only_because: None,
        artifact: "app",
        static_link: true,
        line: "go-bms-contact ok",
    },
    Case {
        name: "go-final-from-base-stage",
        stand_ins: &["golang:latest", "alpine:latest"],
        platforms: &[AMD64, ARM64],
        amd64_only_because: None,
        artifact: "app/app",
        static_link: true,
        line: "go-final-from-base-stage ok",
    },
    Case {
        // The Makefile names gcc itself: xx-clang --wrap makes it the
        // target's compiler.
        name: "c-concurrent-web-server",
        stand_ins: &["debian:bullseye-slim"],
        platforms: &[AMD64, ARM64, ARMV7],
        amd64_only_because: None,
        artifact: "app/c-web-serever",
        static_link: false,
        line: "c-concurrent-web-server ok",
    },
    Case {
        // gcc on the gcc image (no cross toolchain): clang and lld for
        // the build machine, the target's C runtime with xx-apt-get.
        name: "c-gcc-bookworm-slim",
        stand_ins: &["gcc:latest", "debian:bookworm-slim"],
        platforms: &[AMD64, ARM64, ARMV7],
        amd64_only_because: None,
        artifact: "app/main",
        static_link: false,
        line: "c-gcc-bookworm-slim ok",
    },
    Case {
        // Meson with xx-clang's cross file; the -dev libraries of the
        // original go to the target with xx-apt-get.
        name: "c-meson-precision-mesh",
        stand_ins: &["ubuntu:22.04"],
        platforms: &[AMD64],
        amd64_only_because: Some(FINAL_RUNS_APT),
        artifact: "usr/bin/precision_mesh",
        static_link: false,
        line: "c-meson-precision-mesh ok",
    },
    Case {
        name: "rust-bin-bookworm-slim",
        stand_ins: &["rust:1.80", "debian:bookworm-slim"],
        platforms: &[AMD64],
        amd64_only_because: Some(FINAL_RUNS_APT),
        artifact: "usr/local/bin/rust-ok-api",
        static_link: false,
        line: "rust-bin-bookworm-slim ok",
    },
    Case {
        name: "rust-workspace-package",
        stand_ins: &["rust:latest", "debian:bullseye-slim"],
        platforms: &[AMD64],
        amd64_only_because: Some(FINAL_RUNS_APT),
        artifact: "app/server",
        static_link: false,
        line: "rust-workspace-package ok",
    },
];

/// The line a case's program prints on `platform`.
fn expected_output(case: &Case, platform: &str) -> String {
    let bits = if platform == ARMV7 { 32 } else { 64 };
    format!("{} {bits}\n", case.line)
}

/// `xx verify [--static] <file>` for `platform`, with the xx under test.
fn xx_verify(platform: &str, file: &Path, static_link: bool) -> Result<()> {
    let mut args = vec!["verify".to_string()];
    if static_link {
        args.push("--static".to_string());
    }
    args.push(file.display().to_string());
    let output = duct::cmd(xx_binary()?, &args)
        .env("TARGETPLATFORM", platform)
        .stdout_capture()
        .stderr_capture()
        .unchecked()
        .run()
        .context("cannot run xx verify")?;
    if !output.status.success() {
        bail!(
            "xx {} for {platform} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(())
}

/// Build `dockerfile` for `platforms` (one invocation) and return the run
/// output of the case's program of each platform, checked with xx-verify
/// when `verify`.
fn build_and_run(
    dockerd: &Dockerd,
    case: &Case,
    dockerfile: &Path,
    platforms: &[&str],
    verify: bool,
) -> Result<Vec<String>> {
    assert_no_emulation()?;
    let exports = export_dir(&format!("xx-corpus-{}-", case.name))?;
    let started = Instant::now();
    build_to(
        dockerd,
        &corpus_source(case.name),
        dockerfile,
        platforms,
        exports.path(),
    )?;
    eprintln!(
        "{}: {} built for {} in one invocation: {:.0} s",
        case.name,
        dockerfile.display(),
        platforms.join(","),
        started.elapsed().as_secs_f64()
    );
    assert_no_emulation()?;
    let mut outputs = Vec::new();
    for platform in platforms {
        // BuildKit splits the export into platform folders only when
        // there are several platforms.
        let image = match platforms {
            [_] => exports.path().to_path_buf(),
            _ => platform_export_dir(exports.path(), platform),
        };
        let artifact = image.join(case.artifact);
        if !artifact.is_file() {
            bail!("{platform}: the final image has no {}", case.artifact);
        }
        if verify {
            xx_verify(platform, &artifact, case.static_link)?;
        }
        let stdout = run_in_export(platform, &image, &artifact)?;
        outputs.push(stdout);
    }
    Ok(outputs)
}

/// Lower, build and run `case` as the module comment says.
fn build_case(name: &str) -> Result<()> {
    let case = CASES
        .iter()
        .find(|case| case.name == name)
        .with_context(|| format!("{name} is not in CASES"))?;
    assert_eq!(
        case.platforms == [AMD64],
        case.amd64_only_because.is_some(),
        "{name}: a case built for linux/amd64 alone must say why"
    );
    let dockerd = shared_dockerd()?;
    ensure_xx_image(&dockerd)?;
    ensure_stand_ins(&dockerd)?;

    let original = corpus_dockerfile(case.name);
    let work = export_dir(&format!("xx-corpus-{}-lowered-", case.name))?;
    let lowered = work.path().join("Dockerfile");
    duct::cmd!(
        xx_binary()?,
        "lower",
        "--xx-image",
        XX_IMAGE,
        "--output",
        &lowered,
        &original
    )
    .stderr_null()
    .run()
    .with_context(|| format!("xx lower {}", original.display()))?;
    let text = std::fs::read_to_string(&lowered).context("the lowered Dockerfile")?;
    assert!(
        text.contains(&format!("FROM --platform=$BUILDPLATFORM {XX_IMAGE} AS xx")),
        "{name}: the lowered Dockerfile has no xx stage:\n{text}"
    );

    let outputs = build_and_run(&dockerd, case, &lowered, case.platforms, true)
        .with_context(|| format!("{name}: the lowered Dockerfile"))?;
    for (platform, stdout) in case.platforms.iter().zip(&outputs) {
        assert_eq!(
            stdout,
            &expected_output(case, platform),
            "{name}: the lowered build's program for {platform} (stand-ins {:?})",
            case.stand_ins
        );
    }
    let native = build_and_run(&dockerd, case, &original, &[AMD64], false)
        .with_context(|| format!("{name}: the unlowered Dockerfile, natively"))?;
    let amd64 = case
        .platforms
        .iter()
        .position(|platform| *platform == AMD64)
        .context("every case is built for linux/amd64")?;
    assert_eq!(
        native[0], outputs[amd64],
        "{name}: the lowered and the unlowered linux/amd64 programs differ"
    );
    Ok(())
}

#[test]
fn every_case_has_its_source_tree_and_a_unique_name() {
    for (index, case) in CASES.iter().enumerate() {
        assert!(corpus_dockerfile(case.name).is_file(), "{}", case.name);
        assert!(corpus_source(case.name).is_dir(), "{}", case.name);
        assert!(
            CASES[..index].iter().all(|other| other.name != case.name),
            "{} twice",
            case.name
        );
    }
}

macro_rules! corpus_build_tests {
    ($($test:ident => $case:literal,)*) => {
        $(
            #[test]
            fn $test() -> Result<()> {
                build_case($case)
            }
        )*

        #[test]
        fn every_case_has_a_test() {
            let tested = [$($case),*];
            for case in CASES {
                assert!(tested.contains(&case.name), "{} has no test", case.name);
            }
        }
    };
}

corpus_build_tests! {
    go_activitypub_spam_filter => "go-activitypub-spam-filter",
    go_ud_co2s_exporter => "go-ud-co2s-exporter",
    go_qiscus_integration => "go-qiscus-integration",
    go_notverycash => "go-notverycash",
    go_ldflags_distroless => "go-ldflags-distroless",
    go_bms_contact => "go-bms-contact",
    go_final_from_base_stage => "go-final-from-base-stage",
    c_concurrent_web_server => "c-concurrent-web-server",
    c_meson_precision_mesh => "c-meson-precision-mesh",
    c_gcc_bookworm_slim => "c-gcc-bookworm-slim",
    rust_bin_bookworm_slim => "rust-bin-bookworm-slim",
    rust_workspace_package => "rust-workspace-package",
}
