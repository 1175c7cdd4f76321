//! Real BuildKit builds of the `xx-rs` image and of every example in
//! examples/, with the xx-rs engine: by default Debian trixie's dockerd 26,
//! containerd 1.7 and buildx 0.13 from the project's prefix (see
//! xtask/src/engine_prefix.rs), `XX_DOCKER_ENGINE=classic` for Debian 12's
//! docker.io 20.10, which builds one platform per invocation.
//!
//! Each build covers all its platforms in ONE `docker buildx build`
//! invocation with the final stage exported (`-o type=local`, one folder
//! per platform); every artifact is checked with `xx-verify --static` for
//! its platform and run under qemu-user on the host (the artifacts are
//! static, so no sysroot is needed: `-L` points at an empty folder).
//!
//! The matrix is full: the image and every example for all six platforms
//! (linux/amd64, arm64, arm/v7, ppc64le, s390x, riscv64), one invocation
//! each. Measured on 2 busy cores with an empty build cache: the four
//! examples took 2 to 3 minutes each, about 9 minutes together; with the
//! cache of an earlier run, seconds.
//!
//! No binfmt_misc handler is registered (checked before and after every
//! build): a RUN step of a foreign-platform stage could not have started,
//! so these builds prove that every build stage ran natively on
//! $BUILDPLATFORM.
//!
//! Needs root, `debootstrap`, `qemu-user` and Debian's apt repositories
//! (trixie for the engine); the classic engine needs Debian's `docker.io`.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use xx_e2e::docker::{
    assert_no_emulation, build_to, copy_image, ensure_xx_image, export_dir, image_platforms,
    kill_rooted_below, platform_export_dir, run_static_under_qemu, shared_dockerd, tree_size,
    unmount_below, Dockerd, DockerdPaths, EngineKind, DEBIAN_IMAGE, PLATFORMS, XX_IMAGE,
};
use xx_e2e::{qemu_suffix, workspace_root, xx_binary};

const ARM64: &str = "linux/arm64";
const ARMV7: &str = "linux/arm/v7";

/// Build `examples/<example>` for all `platforms` in one invocation; check
/// and run `binary` of each platform's export with `args`, and hand its
/// stdout to `check`.
fn build_check_run(
    example: &str,
    platforms: &[&str],
    binary: &str,
    args: &[&str],
    check: impl Fn(&str, &str) -> Result<()>,
) -> Result<()> {
    let context = workspace_root().join("examples").join(example);
    let dockerfile = context.join("Dockerfile");
    build_dockerfile_check_run(&context, &dockerfile, platforms, binary, args, check)
        .with_context(|| format!("examples/{example}"))
}

/// [`build_check_run`] for any `dockerfile` and `context`.
fn build_dockerfile_check_run(
    context: &Path,
    dockerfile: &Path,
    platforms: &[&str],
    binary: &str,
    args: &[&str],
    check: impl Fn(&str, &str) -> Result<()>,
) -> Result<()> {
    assert_no_emulation()?;
    let dockerd = shared_dockerd()?;
    ensure_xx_image(&dockerd)?;
    let exports = export_dir("xx-docker-exports-")?;
    let started = Instant::now();
    build_to(&dockerd, context, dockerfile, platforms, exports.path())?;
    eprintln!(
        "{}: {} platforms in one invocation: {:.0} s",
        dockerfile.display(),
        platforms.len(),
        started.elapsed().as_secs_f64()
    );
    assert_no_emulation()?;
    for platform in platforms {
        let artifact = platform_export_dir(exports.path(), platform).join(binary);
        xx_verify_static(platform, &artifact)?;
        let stdout =
            run_static_under_qemu(&format!("qemu-{}", qemu_suffix(platform)?), &artifact, args)?;
        check(platform, &stdout).with_context(|| format!("{platform}: output {stdout:?}"))?;
    }
    Ok(())
}

/// `xx-verify --static <file>` for `platform`, with the xx under test.
fn xx_verify_static(platform: &str, file: &Path) -> Result<()> {
    let output = duct::cmd!(xx_binary()?, "verify", "--static", file)
        .env("TARGETPLATFORM", platform)
        .stdout_capture()
        .stderr_capture()
        .unchecked()
        .run()
        .context("cannot run xx verify")?;
    if !output.status.success() {
        bail!(
            "xx-verify --static {} for {platform} failed: {}",
            file.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(())
}

fn expect_contains(stdout: &str, wanted: &str) -> Result<()> {
    if !stdout.contains(wanted) {
        bail!("expected {wanted:?}");
    }
    Ok(())
}

/// The image for every platform in one invocation, loaded as one
/// multi-platform image; each platform's files are static, small and
/// complete, and its tool links work under qemu.
#[test]
fn xx_image_for_every_platform_in_one_invocation() -> Result<()> {
    assert_no_emulation()?;
    let dockerd = shared_dockerd()?;
    let exports = ensure_xx_image(&dockerd)?;
    assert_no_emulation()?;
    let platforms = image_platforms(&dockerd);
    if dockerd.kind() == EngineKind::Buildx {
        let loaded = dockerd.image_platforms(XX_IMAGE)?;
        for platform in platforms {
            assert!(
                loaded.iter().any(|loaded| loaded == platform),
                "{XX_IMAGE} was loaded without {platform}: it has {loaded:?}"
            );
        }
    }
    for platform in platforms {
        let dest = platform_export_dir(&exports, platform);
        let xx = dest.join("usr/bin/xx");
        xx_verify_static(platform, &xx)?;
        let size = tree_size(&dest)?;
        assert!(
            size <= 3 * 1024 * 1024,
            "xx-rs image for {platform} holds {size} bytes, over 3 MiB"
        );
        assert!(dest.join("usr/share/doc/xx-rs/LICENSE").is_file());
        for tool in ["xx-info", "xx-verify", "xx-apt-get", "xx-clang"] {
            let link = std::fs::read_link(dest.join("usr/bin").join(tool))
                .with_context(|| format!("usr/bin/{tool} is not a link"))?;
            assert_eq!(link, Path::new("xx"), "usr/bin/{tool} points elsewhere");
        }
        // The links work under qemu: argv[0] selects the tool.
        let triple = duct::cmd!(
            format!("qemu-{}", qemu_suffix(platform)?),
            dest.join("usr/bin/xx-info")
        )
        .env("TARGETPLATFORM", "linux/arm/v7")
        .read()
        .with_context(|| format!("xx-info of the {platform} image"))?;
        assert_eq!(triple, "arm-linux-gnueabihf");
    }
    Ok(())
}

#[test]
fn c_example_with_zlib() -> Result<()> {
    build_check_run("c", &PLATFORMS, "zhello", &[], |_, stdout| {
        expect_contains(
            stdout,
            ": hello from xx-rs, compressed and restored by zlib (crc32 cc3ec3c1)",
        )
    })
}

#[test]
fn cpp_cmake_example() -> Result<()> {
    build_check_run("cpp-cmake", &PLATFORMS, "wordfreq", &[], |_, stdout| {
        expect_contains(
            stdout,
            "wordfreq 1.0.0: most frequent \"and\" x3, 9 distinct words",
        )
    })
}

#[test]
fn rust_example_with_cc_and_openssl() -> Result<()> {
    build_check_run("rust", &PLATFORMS, "digest", &[], |_, stdout| {
        expect_contains(stdout, "OpenSSL 3.")?;
        expect_contains(
            stdout,
            "sha256(\"hello from xx-rs\") = 23e95d9217b8078d781240514e5dc7c40ef53a9832ceb616df3cf918b51c746e",
        )?;
        expect_contains(stdout, "adler32(\"hello from xx-rs\") = 33ba060b")
    })
}

#[test]
fn go_example_with_cgo_and_zlib() -> Result<()> {
    build_check_run("go", &PLATFORMS, "zgo", &[], |platform, stdout| {
        let goarch = match platform {
            "linux/arm/v7" => "arm",
            name => name.trim_start_matches("linux/"),
        };
        expect_contains(stdout, &format!("zgo linux/{goarch}, zlib "))?;
        expect_contains(stdout, "crc32(\"hello from xx-rs\") = 5c786ba6")
    })
}

/// `xx lower` on the C example written for emulation
/// (tests/fixtures/dockerfiles/c-naive.Dockerfile): the lowered Dockerfile
/// lints clean and builds for arm64 and arm/v7 (one invocation) with no
/// emulation available,
/// and its binaries are the target's and run under qemu-user.
#[test]
fn lowered_naive_dockerfile_builds_without_emulation() -> Result<()> {
    let root = workspace_root();
    let context = export_dir("xx-docker-lowered-context-")?;
    std::fs::copy(
        root.join("examples/c/zhello.c"),
        context.path().join("zhello.c"),
    )
    .context("cannot copy zhello.c")?;
    let lowered = context.path().join("Dockerfile");
    let xx = xx_binary()?;
    duct::cmd!(
        &xx,
        "lower",
        "--xx-image",
        XX_IMAGE,
        "--output",
        &lowered,
        root.join("tests/fixtures/dockerfiles/c-naive.Dockerfile")
    )
    .stderr_null()
    .run()
    .context("xx lower failed")?;
    duct::cmd!(&xx, "lint", &lowered)
        .run()
        .context("the lowered Dockerfile does not lint clean")?;
    build_dockerfile_check_run(
        context.path(),
        &lowered,
        &[ARM64, ARMV7],
        "zhello",
        &[],
        |_, stdout| {
            expect_contains(
                stdout,
                ": hello from xx-rs, compressed and restored by zlib (crc32 cc3ec3c1)",
            )
        },
    )
}

/// A build killed mid-way (SIGKILL to the client and to dockerd, its
/// containerd left running, as an interrupted run leaves them) does not
/// break the next run: the next start stops the leftovers, repairs what
/// needs it, and a build with the same cache mount passes.
///
/// Runs on its own buildx engine (own run and state folders, the shared
/// prefix) so that the other tests' engine is not disturbed; the Debian
/// base is copied from the shared engine (`docker save | docker load`).
#[test]
fn engine_recovers_from_a_build_killed_mid_way() -> Result<()> {
    let shared = shared_dockerd()?;
    if shared.kind() != EngineKind::Buildx {
        eprintln!("skipped: the kill-and-recover test needs the buildx engine");
        return Ok(());
    }
    shared.ensure_debian_base()?;
    let run_dir = Path::new("/run/xx-rs-buildx-kill-test");
    let state = tempfile::Builder::new()
        .prefix("xx-rs-buildx-kill-test.")
        .tempdir_in("/var/tmp")
        .context("temporary state folder")?;
    let paths = DockerdPaths::separate(EngineKind::Buildx, run_dir, state.path());
    let result = kill_and_recover(&shared, &paths);
    // Nothing of either engine may stay: no process, no mount.
    let left = kill_rooted_below(&[state.path(), run_dir]);
    for dir in [state.path(), run_dir] {
        unmount_below(dir);
    }
    let _ = std::fs::remove_dir_all(run_dir);
    result?;
    assert_eq!(left, 0, "{left} build processes outlived the engines");
    Ok(())
}

fn kill_and_recover(shared: &Dockerd, paths: &DockerdPaths) -> Result<()> {
    let first = Dockerd::start_or_reuse(paths.clone())?;
    assert!(
        first.started_here(),
        "no engine may answer on {run:?} yet",
        run = paths.run_dir
    );
    copy_image(shared, &first, DEBIAN_IMAGE)?;
    let context = export_dir("xx-docker-kill-")?;
    std::fs::write(
        context.path().join("Dockerfile"),
        format!(
            "FROM {DEBIAN_IMAGE}\n\
             ARG STEP=kill\n\
             ARG SLEEP=0\n\
             RUN --mount=type=cache,target=/cache,id=xx-kill-test \\\n    \
             dd if=/dev/zero of=/cache/$STEP bs=1M count=32 status=none && \\\n    \
             echo xx-marker-$STEP && sleep $SLEEP\n"
        ),
    )
    .context("cannot write the Dockerfile")?;

    // The first run: a build stuck in its RUN step is killed.
    let mut client = Command::new(first.client());
    client
        .args(["buildx", "build", "--progress=plain", "--network=host"])
        .args([
            "--build-arg=STEP=kill",
            "--build-arg=SLEEP=120",
            "--output=type=cacheonly",
        ])
        .arg(context.path())
        .envs(first.client_env())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut client = client.spawn().context("cannot start the build")?;
    let stderr = client.stderr.take().context("no stderr")?;
    let deadline = Instant::now() + Duration::from_secs(300);
    let mut seen = String::new();
    for line in BufReader::new(stderr).lines().map_while(Result::ok) {
        seen.push_str(&line);
        seen.push('\n');
        if line.contains("xx-marker-kill") || Instant::now() > deadline {
            break;
        }
    }
    if !seen.contains("xx-marker-kill") {
        let _ = client.kill();
        bail!("the build to kill never reached its RUN step:\n{seen}");
    }
    let dockerd_pid: i32 = std::fs::read_to_string(paths.run_dir.join("dockerd.pid"))
        .context("no dockerd.pid")?
        .trim()
        .parse()
        .context("dockerd.pid")?;
    client.kill().context("SIGKILL to the client")?;
    let _ = client.wait();
    duct::cmd!("kill", "-KILL", dockerd_pid.to_string())
        .run()
        .context("SIGKILL to dockerd")?;
    // As an interrupted run leaves it: containerd still runs, the socket,
    // pid files and mounts are still there.
    first.leave_running();

    // The next run starts over on the same folders and builds.
    let next = Dockerd::start_or_reuse(paths.clone())?;
    assert!(next.started_here(), "the killed engine cannot answer");
    let exports = export_dir("xx-docker-kill-out-")?;
    let output = format!("--output=type=local,dest={}", exports.path().display());
    let build = next
        .docker([
            "buildx".to_string(),
            "build".to_string(),
            "--progress=plain".to_string(),
            "--network=host".to_string(),
            "--build-arg=STEP=next".to_string(),
            output.clone(),
            context.path().display().to_string(),
        ])
        .stdout_capture()
        .stderr_capture()
        .unchecked()
        .run()
        .context("cannot run the next build")?;
    if !build.status.success() {
        bail!(
            "the build after the killed one failed:\n{}",
            String::from_utf8_lossy(&build.stderr)
        );
    }
    next.trim().context("pruning after the killed build")?;
    Ok(())
}
