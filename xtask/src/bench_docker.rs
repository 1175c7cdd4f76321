//! `cargo xtask bench --docker`: the headline, measured. The same example
//! (examples/rust: `cc` crate and OpenSSL; `--example c,go` adds
//! examples/c with zlib and examples/go with cgo) built for linux/arm64
//! with BuildKit twice: emulated (xtask/bench/<example>-emulated.Dockerfile,
//! the compile stage on the target platform, run by qemu-user through a
//! binfmt_misc handler) and cross (examples/<example>/Dockerfile, the xx-rs
//! way: compile stage on `$BUILDPLATFORM`). Each cold (build cache pruned:
//! no layers, empty cache mounts) and warm (layers and cache mounts kept,
//! the example's source edited).
//!
//! This is the only place where a binfmt_misc handler may exist: Debian's
//! `qemu-aarch64-static` (unpacked from `qemu-user-static` into the engine
//! prefix's folder, not installed), flags `F`, registered here and
//! unregistered on every way out: return, error, panic, Ctrl-C, SIGTERM
//! and SIGHUP (SIGKILL cannot be caught: then `echo -1 >
//! /proc/sys/fs/binfmt_misc/qemu-aarch64`). A handler registered by
//! someone else makes the bench refuse to run.
//!
//! The arm64 base image is made while the handler is registered
//! (`debootstrap --foreign --arch arm64`, its second stage in a chroot run
//! by qemu), imported with `docker import --platform linux/arm64` as
//! [`ARM64_BASE`] and kept in the engine's image store between runs.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use xx_files::FileLock;

use crate::docker::{BuildOutput, BuildRequest, Dockerd, DockerdPaths, EngineKind};
use crate::docker_demo::qemu_binfmt_handlers;
use crate::util::{step, workspace_root};

/// The binfmt_misc folder.
const BINFMT: &str = "/proc/sys/fs/binfmt_misc";

/// The handler this bench registers.
const HANDLER: &str = "qemu-aarch64";

/// The arm64 Debian base of the emulated build.
pub const ARM64_BASE: &str = "xx-rs-bench/debian-arm64:bookworm-2";

/// The ELF magic and mask of aarch64 programs (as Debian's
/// qemu-user-static registers them).
const AARCH64_MAGIC: &str =
    r"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00";
const AARCH64_MASK: &str =
    r"\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff";

/// The bench engine's run folder.
const BENCH_RUN_DIR: &str = "/run/xx-rs-buildx-bench";

/// The bench engine's state folder (data root, the arm64 base).
const BENCH_STATE_DIR: &str = "/var/lib/xx-rs-buildx-bench";

/// The platform both builds target.
const PLATFORM: &str = "linux/arm64";

/// One measured build.
struct Timing {
    cold: Duration,
    warm: Duration,
}

/// An example the bench can measure.
struct BenchExample {
    /// Its folder below examples/ (and the prefix of its emulated
    /// Dockerfile in xtask/bench/).
    name: &'static str,
    /// The source file edited between the cold and the warm build.
    edited: &'static str,
}

/// The examples `--example` may name.
const EXAMPLES: [BenchExample; 3] = [
    BenchExample {
        name: "rust",
        edited: "src/main.rs",
    },
    BenchExample {
        name: "c",
        edited: "zhello.c",
    },
    BenchExample {
        name: "go",
        edited: "main.go",
    },
];

/// Run the bench for the examples named; prints a Markdown table.
pub fn run(names: &[String]) -> Result<()> {
    let mut examples = Vec::new();
    for name in names {
        let Some(example) = EXAMPLES.iter().find(|example| example.name == name) else {
            bail!(
                "unknown example {name:?}: the bench measures {}",
                EXAMPLES.map(|example| example.name).join(", ")
            );
        };
        examples.push(example);
    }
    let others = qemu_binfmt_handlers();
    if !others.is_empty() {
        bail!(
            "binfmt_misc already has qemu handlers {others:?}, registered by someone else: refusing to run (the bench registers and removes its own)"
        );
    }
    if DockerdPaths::from_env()?.kind != EngineKind::Buildx {
        bail!("the bench needs the buildx engine (unset XX_DOCKER_ENGINE)");
    }
    // Its own engine (the shared prefix, its own data root): the cold
    // builds empty the build cache, which must not cost the other tasks
    // theirs; the arm64 base and the xx-rs image stay in it between runs.
    let paths = DockerdPaths::separate(
        EngineKind::Buildx,
        Path::new(BENCH_RUN_DIR),
        Path::new(BENCH_STATE_DIR),
    );
    let qemu = ensure_qemu_static(&paths.prefix_dir)?;
    step("Docker engine");
    let mut dockerd = Dockerd::start_or_reuse(paths)?;
    crate::image::report_engine(&dockerd);
    let mut results = Vec::new();
    for example in &examples {
        let result = measure(&dockerd, &qemu, example);
        match result {
            Ok(timings) => results.push((example, timings)),
            Err(err) => {
                dockerd.stop();
                return Err(err.context(format!("the bench of examples/{}", example.name)));
            }
        }
    }
    dockerd.stop();
    let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64().max(0.001);
    println!(
        "| example for linux/arm64 | build | emulated (compile stage on arm64, qemu) | cross (xx-rs, compile stage on amd64) | emulated / cross |"
    );
    println!("| --- | --- | --- | --- | --- |");
    for (example, (emulated, cross)) in results {
        println!(
            "| examples/{} | cold | {:.0} s | {:.0} s | {:.1}x |",
            example.name,
            emulated.cold.as_secs_f64(),
            cross.cold.as_secs_f64(),
            ratio(emulated.cold, cross.cold)
        );
        println!(
            "| examples/{} | warm (`{}` edited) | {:.1} s | {:.1} s | {:.1}x |",
            example.name,
            example.edited,
            emulated.warm.as_secs_f64(),
            cross.warm.as_secs_f64(),
            ratio(emulated.warm, cross.warm)
        );
    }
    Ok(())
}

/// The cross and emulated builds, cold then warm each; the handler exists
/// only during the emulated part (and while the arm64 base is made).
fn measure(dockerd: &Dockerd, qemu: &Path, example: &BenchExample) -> Result<(Timing, Timing)> {
    seed_images(dockerd)?;
    let root = workspace_root();
    let work = tempfile::tempdir().context("temporary folder")?;
    let context = work.path().join(example.name);
    copy_tree(&root.join("examples").join(example.name), &context)?;

    step(&format!(
        "cross: examples/{}/Dockerfile for linux/arm64 (no binfmt handler)",
        example.name
    ));
    let cross = time_cold_and_warm(
        dockerd,
        &context,
        &context.join("Dockerfile"),
        example.edited,
        &[],
    )?;

    let handler = Handler::register(qemu)?;
    let emulated = (|| -> Result<Timing> {
        ensure_arm64_base(dockerd)?;
        step("emulated: the compile stage on linux/arm64, run by qemu-aarch64");
        let dockerfile = root
            .join("xtask/bench")
            .join(format!("{}-emulated.Dockerfile", example.name));
        time_cold_and_warm(
            dockerd,
            &context,
            &dockerfile,
            example.edited,
            &[&format!("--build-arg=DEBIAN_IMAGE={ARM64_BASE}")],
        )
    })();
    handler.unregister()?;
    Ok((emulated?, cross))
}

/// Whether `engine`'s image store has `image`.
fn has_image(engine: &Dockerd, image: &str) -> bool {
    engine
        .docker(["image", "inspect", image])
        .stdout_null()
        .stderr_null()
        .unchecked()
        .run()
        .is_ok_and(|out| out.status.success())
}

/// Give the bench engine the Debian bases and the xx-rs image from the
/// xx-rs engine (`docker save | docker load`; made there first when
/// missing), once.
fn seed_images(bench: &Dockerd) -> Result<()> {
    let xx_image = format!("{}:latest", crate::image::IMAGE_NAME);
    let wanted: Vec<String> = crate::docker::DEBIAN_SUITES
        .iter()
        .map(|suite| format!("debian:{suite}"))
        .chain([xx_image.clone()])
        .collect();
    let missing: Vec<&String> = wanted
        .iter()
        .filter(|image| !has_image(bench, image))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    step("copying the base images and xx-rs from the xx-rs engine");
    let main = Dockerd::start_or_reuse(DockerdPaths::of(EngineKind::Buildx))?;
    main.ensure_debian_base()?;
    if !has_image(&main, &xx_image) {
        crate::image::build_images(&main, &[crate::image::BUILD_PLATFORM])?;
    }
    for image in missing {
        main.docker(["save", image.as_str()])
            .pipe(bench.docker(["load", "--quiet"]))
            .stdout_null()
            .run()
            .with_context(|| format!("docker save {image} | docker load"))?;
    }
    Ok(())
}

/// A cold build (build cache pruned first), then a warm one after an edit
/// of `edited` (a source file below `context`).
fn time_cold_and_warm(
    dockerd: &Dockerd,
    context: &Path,
    dockerfile: &Path,
    edited: &str,
    extra: &[&str],
) -> Result<Timing> {
    dockerd.prune_build_cache()?;
    let out = tempfile::tempdir().context("temporary folder")?;
    let cold = timed_build(dockerd, context, dockerfile, extra, out.path())?;
    eprintln!("cold: {:.1} s", cold.as_secs_f64());
    let main = context.join(edited);
    let mut text = std::fs::read_to_string(&main)
        .with_context(|| format!("cannot read {}", main.display()))?;
    text.push_str("\n// edited by the bench\n");
    std::fs::write(&main, text).with_context(|| format!("cannot write {}", main.display()))?;
    let warm = timed_build(dockerd, context, dockerfile, extra, out.path())?;
    eprintln!("warm: {:.1} s", warm.as_secs_f64());
    Ok(Timing { cold, warm })
}

/// One timed build for [`PLATFORM`], exported to `out`.
fn timed_build(
    dockerd: &Dockerd,
    context: &Path,
    dockerfile: &Path,
    extra: &[&str],
    out: &Path,
) -> Result<Duration> {
    let started = Instant::now();
    if extra.is_empty() {
        dockerd.build(&BuildRequest {
            context,
            dockerfile,
            platforms: &[PLATFORM],
            output: BuildOutput::Local(out),
            show_progress: false,
        })?;
    } else {
        let mut args = vec![
            "buildx".to_string(),
            "build".to_string(),
            "--progress=plain".to_string(),
            "--network=host".to_string(),
            format!("--platform={PLATFORM}"),
            format!("--output=type=local,dest={}", out.display()),
            format!("--file={}", dockerfile.display()),
        ];
        args.extend(extra.iter().map(|arg| arg.to_string()));
        args.push(context.display().to_string());
        let output = dockerd
            .docker(&args)
            .stdout_null()
            .stderr_capture()
            .unchecked()
            .run()
            .context("cannot run docker buildx build")?;
        if !output.status.success() {
            bail!(
                "the emulated build failed:\n{}",
                crate::docker::failed_step_log(&String::from_utf8_lossy(&output.stderr))
            );
        }
    }
    Ok(started.elapsed())
}

/// A registered binfmt_misc handler, removed on drop and by the signal
/// handler thread.
struct Handler {
    done: bool,
    /// Whether binfmt_misc was mounted here (and so is unmounted again).
    mounted_here: bool,
}

impl Handler {
    /// Register [`HANDLER`] for `qemu` with flags F, after installing a
    /// handler of SIGINT, SIGTERM and SIGHUP that removes it and exits.
    fn register(qemu: &Path) -> Result<Handler> {
        let register = Path::new(BINFMT).join("register");
        let mounted_here = !register.exists();
        if mounted_here {
            duct::cmd!("mount", "-t", "binfmt_misc", "binfmt_misc", BINFMT)
                .run()
                .context("cannot mount binfmt_misc")?;
        }
        let mut signals = signal_hook::iterator::Signals::new([
            signal_hook::consts::SIGINT,
            signal_hook::consts::SIGTERM,
            signal_hook::consts::SIGHUP,
        ])
        .context("cannot install the signal handler")?;
        std::thread::spawn(move || {
            if let Some(signal) = signals.forever().next() {
                remove_handler();
                if mounted_here {
                    unmount_binfmt();
                }
                eprintln!("signal {signal}: removed the {HANDLER} binfmt_misc handler");
                std::process::exit(130);
            }
        });
        let line = format!(
            ":{HANDLER}:M::{AARCH64_MAGIC}:{AARCH64_MASK}:{}:F",
            qemu.display()
        );
        step(&format!(
            "registering the {HANDLER} binfmt_misc handler (flags F)"
        ));
        std::fs::write(&register, line)
            .with_context(|| format!("cannot register {HANDLER} in {}", register.display()))?;
        Ok(Handler {
            done: false,
            mounted_here,
        })
    }

    /// Remove the handler, failing when it stays.
    fn unregister(mut self) -> Result<()> {
        self.done = true;
        remove_handler();
        if Path::new(BINFMT).join(HANDLER).exists() {
            bail!("cannot remove the {HANDLER} binfmt_misc handler: echo -1 > {BINFMT}/{HANDLER}");
        }
        if self.mounted_here {
            unmount_binfmt();
        }
        eprintln!("removed the {HANDLER} binfmt_misc handler");
        Ok(())
    }
}

impl Drop for Handler {
    fn drop(&mut self) {
        if !self.done {
            remove_handler();
            if self.mounted_here {
                unmount_binfmt();
            }
        }
    }
}

/// Unmount binfmt_misc (mounted by [`Handler::register`]).
fn unmount_binfmt() {
    let _ = duct::cmd!("umount", BINFMT).stderr_null().unchecked().run();
}

/// `echo -1 > /proc/sys/fs/binfmt_misc/qemu-aarch64`, if it exists.
fn remove_handler() {
    let entry = Path::new(BINFMT).join(HANDLER);
    if entry.exists() {
        let _ = std::fs::write(&entry, "-1");
    }
}

/// Debian 12's `qemu-aarch64-static`, unpacked from `qemu-user-static`
/// (`apt-get download`, `dpkg -x`) below `dir` once: installing the
/// package could register handlers for every architecture.
fn ensure_qemu_static(dir: &Path) -> Result<PathBuf> {
    let root = dir.join("qemu-user-static");
    let qemu = root.join("usr/bin/qemu-aarch64-static");
    if qemu.is_file() {
        return Ok(qemu);
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let _lock = FileLock::acquire(&dir.join("qemu-user-static.lock"))?;
    if qemu.is_file() {
        return Ok(qemu);
    }
    step("fetching Debian's qemu-user-static (unpacked, not installed)");
    let download = tempfile::tempdir_in(dir).context("temporary folder")?;
    duct::cmd!(
        "apt-get",
        "download",
        "-q",
        "-o",
        "APT::Sandbox::User=root",
        "qemu-user-static"
    )
    .dir(download.path())
    .stdout_null()
    .run()
    .context("apt-get download qemu-user-static failed")?;
    let deb = std::fs::read_dir(download.path())?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .find(|path| path.extension().is_some_and(|ext| ext == "deb"))
        .context("apt-get download left no .deb")?;
    let staging = tempfile::tempdir_in(dir).context("temporary folder")?;
    duct::cmd!("dpkg", "-x", &deb, staging.path())
        .run()
        .context("dpkg -x qemu-user-static failed")?;
    let staging = staging.keep();
    if root.exists() {
        std::fs::remove_dir_all(&root)?;
    }
    std::fs::rename(&staging, &root)
        .with_context(|| format!("cannot move {} into place", staging.display()))?;
    if !qemu.is_file() {
        bail!("qemu-user-static has no {}", qemu.display());
    }
    Ok(qemu)
}

/// Make [`ARM64_BASE`] unless the image store has it: `debootstrap
/// --foreign --arch arm64`, the second stage in a chroot (run by qemu
/// through the registered handler), `docker import --platform
/// linux/arm64`. Needs the handler.
fn ensure_arm64_base(dockerd: &Dockerd) -> Result<()> {
    let exists = dockerd
        .docker(["image", "inspect", ARM64_BASE])
        .stdout_null()
        .stderr_null()
        .unchecked()
        .run()
        .is_ok_and(|out| out.status.success());
    if exists {
        return Ok(());
    }
    step(&format!(
        "making {ARM64_BASE}: debootstrap --foreign --arch arm64, second stage under qemu"
    ));
    let mirror = crate::docker::host_debian_mirror(Path::new("/"));
    let work = tempfile::tempdir_in(&dockerd.paths().state_dir).context("temporary folder")?;
    let root = work.path().join("root");
    duct::cmd!(
        "debootstrap",
        "--foreign",
        "--arch=arm64",
        "--variant=minbase",
        crate::docker::DEBIAN_SUITE,
        &root,
        &mirror
    )
    .stdout_null()
    .run()
    .context("debootstrap --foreign --arch=arm64 failed")?;
    duct::cmd!(
        "chroot",
        &root,
        "/debootstrap/debootstrap",
        "--second-stage"
    )
    .stdout_null()
    .run()
    .context("the second stage of debootstrap (arm64, under qemu) failed")?;
    let sources = format!(
        "Types: deb\nURIs: {mirror}\nSuites: {suite} {suite}-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n",
        suite = crate::docker::DEBIAN_SUITE
    );
    crate::docker::copy_site_certificates(Path::new(crate::docker::SITE_CERTIFICATES), &root)?;
    let _ = std::fs::remove_file(root.join("etc/apt/sources.list"));
    std::fs::create_dir_all(root.join("etc/apt/sources.list.d"))?;
    std::fs::write(root.join("etc/apt/sources.list.d/debian.sources"), sources)?;
    for dir in ["var/cache/apt/archives", "var/lib/apt/lists"] {
        if let Ok(entries) = std::fs::read_dir(root.join(dir)) {
            for entry in entries.flatten() {
                if entry.file_type().is_ok_and(|kind| kind.is_file()) {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
    }
    duct::cmd!("tar", "--numeric-owner", "-C", &root, "-c", ".")
        .pipe(dockerd.docker([
            "import",
            "--platform",
            "linux/arm64",
            "--change",
            "CMD [\"bash\"]",
            "-",
            ARM64_BASE,
        ]))
        .stdout_null()
        .run()
        .with_context(|| format!("docker import of {ARM64_BASE}"))?;
    Ok(())
}

/// Copy the files of `from` into `to` (no `target/`).
fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to).with_context(|| format!("cannot create {}", to.display()))?;
    for entry in
        std::fs::read_dir(from).with_context(|| format!("cannot list {}", from.display()))?
    {
        let entry = entry?;
        if entry.file_name() == "target" {
            continue;
        }
        let path = entry.path();
        let dest = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&path, &dest)?;
        } else {
            std::fs::copy(&path, &dest)
                .with_context(|| format!("cannot copy {}", path.display()))?;
        }
    }
    Ok(())
}
