//! `cargo xtask demo --docker`: the product's one command, for real.
//!
//! Builds the `xx-rs` image for the requested platforms in one `docker
//! buildx build` and loads it as one multi-platform image, then builds
//! each example of examples/ for all those platforms in ONE invocation per
//! example (compile stages on `$BUILDPLATFORM`, `FROM --platform=
//! $BUILDPLATFORM xx-rs AS xx`), exports the final stages (`-o
//! type=local`, one folder per platform), checks every artifact with
//! `xx-verify --static` for its platform and runs it under qemu-user.
//! Prints one line per platform and artifact; fails unless all are ok.
//!
//! No binfmt_misc handler for qemu may exist (checked before and after the
//! builds): then no RUN step of a foreign platform could have run, which
//! proves that every compile stage ran natively.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::docker::{
    platform_export_dir, run_static_under_qemu, BuildOutput, BuildRequest, Dockerd, DockerdPaths,
    EngineKind,
};
use crate::image::{build_images, checked_platforms, report_engine, BUILD_PLATFORM};
use crate::util::{step, workspace_root};

/// The examples, with the program each exports.
pub const EXAMPLES: &[(&str, &str)] = &[
    ("c", "zhello"),
    ("cpp-cmake", "wordfreq"),
    ("rust", "digest"),
    ("go", "zgo"),
];

/// The binfmt_misc handlers that run foreign programs through qemu (their
/// names in `/proc/sys/fs/binfmt_misc`).
pub fn qemu_binfmt_handlers() -> Vec<String> {
    let Ok(entries) = std::fs::read_dir("/proc/sys/fs/binfmt_misc") else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("qemu-"))
        .collect();
    names.sort();
    names
}

/// Fail when a qemu binfmt_misc handler exists (`when`: before or after
/// the builds).
fn assert_no_emulation(when: &str) -> Result<()> {
    let handlers = qemu_binfmt_handlers();
    if !handlers.is_empty() {
        bail!(
            "{when} the builds, binfmt_misc has qemu handlers {handlers:?}: with them a foreign stage could run emulated; remove them (echo -1 > /proc/sys/fs/binfmt_misc/<name>)"
        );
    }
    Ok(())
}

/// One line of the report.
struct Row {
    platform: String,
    artifact: String,
    verified: Result<()>,
    ran: Result<String>,
}

/// Run the Docker demo for `platforms` (a `--platform` list) and
/// `examples` (names of examples/ folders; empty for all).
pub fn run(platforms: &[String], examples: &[String]) -> Result<()> {
    let platforms = checked_platforms(platforms)?;
    let examples: Vec<(&str, &str)> = if examples.is_empty() {
        EXAMPLES.to_vec()
    } else {
        examples
            .iter()
            .map(|name| {
                EXAMPLES
                    .iter()
                    .find(|(known, _)| known == name)
                    .copied()
                    .with_context(|| {
                        format!(
                            "unknown example {name:?}: examples/ has {}",
                            EXAMPLES
                                .iter()
                                .map(|(name, _)| *name)
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    })
            })
            .collect::<Result<_>>()?
    };
    assert_no_emulation("before")?;
    let xx = crate::util::build_xx("dev")?;
    let mut qemu = Vec::new();
    for platform in &platforms {
        qemu.push(qemu_of(&xx, platform)?);
    }

    step("Docker engine");
    let mut dockerd = Dockerd::start_or_reuse(DockerdPaths::from_env()?)?;
    report_engine(&dockerd);
    let root = workspace_root();
    let built = build_all(&dockerd, &root, &platforms, &examples);
    dockerd.stop();
    let built = built?;
    assert_no_emulation("after")?;

    step("xx-verify --static and a qemu-user run of every artifact");
    let mut rows = Vec::new();
    let mut failures = Vec::new();
    for (example, program, result) in &built {
        if let Err(err) = result {
            failures.push(format!("examples/{example}: {err:#}"));
            continue;
        }
        for (platform, qemu) in platforms.iter().zip(&qemu) {
            let dir = platform_export_dir(&export_root(&root, example), platform);
            let artifact = dir.join(program);
            let verified = xx_verify(&xx, platform, &artifact);
            let ran = match &verified {
                Ok(()) => run_static_under_qemu(qemu, &artifact, &[]),
                Err(_) => Err(anyhow::anyhow!("not run")),
            };
            rows.push(Row {
                platform: platform.to_string(),
                artifact: format!("{example}/{program}"),
                verified,
                ran,
            });
        }
    }
    println!(
        "{:<14} {:<20} {:<9} {:<9} output",
        "platform", "artifact", "verified", "ran"
    );
    for row in &rows {
        let verified = if row.verified.is_ok() { "yes" } else { "NO" };
        let (ran, output) = match &row.ran {
            Ok(stdout) => ("ok", first_line(stdout)),
            Err(err) => ("FAILED", format!("{err:#}")),
        };
        println!(
            "{:<14} {:<20} {:<9} {:<9} {output}",
            row.platform, row.artifact, verified, ran
        );
        if let Err(err) = &row.verified {
            failures.push(format!("{} {}: {err:#}", row.platform, row.artifact));
        } else if let Err(err) = &row.ran {
            failures.push(format!("{} {}: {err:#}", row.platform, row.artifact));
        }
    }
    if !failures.is_empty() {
        bail!("{} failed:\n{}", failures.len(), failures.join("\n"));
    }
    eprintln!(
        "all {} artifacts verified and ran; no binfmt_misc handler existed",
        rows.len()
    );
    Ok(())
}

/// Where `example`'s build results are exported.
fn export_root(root: &Path, example: &str) -> PathBuf {
    root.join("target/xx-demo").join(example)
}

/// Build the image, then every example (one invocation each); an
/// example's failure is kept in its entry so the others still build.
#[allow(clippy::type_complexity)]
fn build_all<'a>(
    dockerd: &Dockerd,
    root: &Path,
    platforms: &[&str],
    examples: &[(&'a str, &'a str)],
) -> Result<Vec<(&'a str, &'a str, Result<()>)>> {
    let mut image_platforms: Vec<&str> = platforms.to_vec();
    if !image_platforms.contains(&BUILD_PLATFORM) {
        // The examples take xx from the image for the build machine.
        image_platforms.insert(0, BUILD_PLATFORM);
    }
    let started = std::time::Instant::now();
    build_images(dockerd, &image_platforms)?;
    eprintln!(
        "xx-rs image: {} platforms built, loaded and exported in {:.0} s",
        image_platforms.len(),
        started.elapsed().as_secs_f64()
    );
    let mut built = Vec::new();
    for (example, program) in examples {
        let context = root.join("examples").join(example);
        let dockerfile = context.join("Dockerfile");
        let dest = export_root(root, example);
        if dest.exists() {
            std::fs::remove_dir_all(&dest)
                .with_context(|| format!("cannot remove {}", dest.display()))?;
        }
        let invocations = match dockerd.kind() {
            EngineKind::Buildx => "one docker buildx build",
            EngineKind::Classic => "one docker build per platform (classic engine)",
        };
        step(&format!(
            "examples/{example}: {invocations} for {}",
            platforms.join(",")
        ));
        let started = std::time::Instant::now();
        let result = dockerd.build(&BuildRequest {
            context: &context,
            dockerfile: &dockerfile,
            platforms,
            output: BuildOutput::Local(&dest),
            show_progress: true,
        });
        match &result {
            Ok(()) => eprintln!(
                "examples/{example}: {} platforms built in {:.0} s",
                platforms.len(),
                started.elapsed().as_secs_f64()
            ),
            Err(err) => eprintln!("examples/{example} failed: {err:#}"),
        }
        built.push((*example, *program, result));
    }
    Ok(built)
}

/// The qemu-user program of `platform` (`qemu-aarch64`), from `xx-info`.
fn qemu_of(xx: &Path, platform: &str) -> Result<String> {
    let info = duct::cmd!(xx, "info", "--json")
        .env("TARGETPLATFORM", platform)
        .read()
        .with_context(|| format!("xx-info --json for {platform}"))?;
    let info: serde_json::Value =
        serde_json::from_str(&info).context("xx-info --json printed invalid JSON")?;
    info["qemu"]
        .as_str()
        .map(str::to_string)
        .with_context(|| format!("xx-info knows no qemu for {platform}"))
}

/// `xx-verify --static` of `artifact` for `platform`.
fn xx_verify(xx: &Path, platform: &str, artifact: &Path) -> Result<()> {
    if !artifact.is_file() {
        bail!("{} was not exported", artifact.display());
    }
    let output = duct::cmd!(xx, "verify", "--static", artifact)
        .env("TARGETPLATFORM", platform)
        .stdout_capture()
        .stderr_capture()
        .unchecked()
        .run()
        .context("cannot run xx verify")?;
    if !output.status.success() {
        bail!(
            "xx-verify --static: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(())
}

/// The first line of a program's output.
fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().to_string()
}
