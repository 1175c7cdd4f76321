//! `cargo xtask image`: build the `COPY --from=xx` image (base-image/) with
//! the xx-rs Docker engine for the requested platforms: with the buildx
//! engine in one `docker buildx build`, loaded as one multi-platform image
//! `xx-rs:latest`; with the classic engine one platform at a time, tagged
//! `xx-rs:<arch>` (and `xx-rs:latest` for the build machine's).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::docker::{
    platform_export_dir, tree_size, BuildOutput, BuildRequest, Dockerd, DockerdPaths, EngineKind,
    PLATFORMS,
};
use crate::util::{step, workspace_root};

/// Image repository name the builds are tagged with.
pub const IMAGE_NAME: &str = "xx-rs";

/// The platform of the build machine (and of the `latest` tag).
pub const BUILD_PLATFORM: &str = "linux/amd64";

/// The content-size budget of the image.
const SIZE_BUDGET: u64 = 3 * 1024 * 1024;

/// Options of `cargo xtask image`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Platforms to build the image for (comma-separated list).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "linux/amd64,linux/arm64,linux/arm/v7,linux/ppc64le,linux/s390x,linux/riscv64"
    )]
    pub platform: Vec<String>,
    /// Leave a Docker engine that this task started running afterwards.
    #[arg(long)]
    pub keep_daemon: bool,
}

/// One built image.
#[derive(Debug)]
pub struct Built {
    /// The platform it is for.
    pub platform: String,
    /// Its tag: `xx-rs:latest` (buildx) or `xx-rs:<arch>` (classic).
    pub tag: String,
    /// Its content size in bytes.
    pub size: u64,
    /// Where its files were exported (`target/xx-image/linux_<arch>`).
    pub files: PathBuf,
}

/// Run the task.
pub fn run(args: &Args) -> Result<()> {
    let platforms = checked_platforms(&args.platform)?;
    step("Docker engine");
    let paths = DockerdPaths::from_env()?;
    let mut dockerd = if args.keep_daemon {
        Dockerd::start_or_reuse_detached(paths)?
    } else {
        Dockerd::start_or_reuse(paths)?
    };
    report_engine(&dockerd);
    let built = build_images(&dockerd, &platforms);
    if args.keep_daemon {
        eprintln!("leaving the engine running; its client:");
        for (name, value) in dockerd.client_env() {
            eprintln!("  export {name}={value}");
        }
        eprintln!("  {} buildx build ...", dockerd.client().display());
        dockerd.leave_running();
    } else {
        dockerd.stop();
    }
    let built = built?;
    for image in &built {
        println!(
            "{}\t{}\t{} bytes ({:.2} MiB)\t{}",
            image.platform,
            image.tag,
            image.size,
            image.size as f64 / (1024.0 * 1024.0),
            image.files.display()
        );
    }
    Ok(())
}

/// Say which engine runs and whether this task started it.
pub fn report_engine(dockerd: &Dockerd) {
    let versions = dockerd
        .prefix()
        .map(|prefix| format!(" ({})", prefix.packages().join(", ")))
        .unwrap_or_default();
    eprintln!(
        "{} the {} engine at {}{versions}",
        if dockerd.started_here() {
            "started"
        } else {
            "reusing"
        },
        dockerd.kind().name(),
        dockerd.host()
    );
}

/// The platforms of a `--platform` list, each one of [`PLATFORMS`]; an
/// unknown or repeated one fails with one line naming it, before any build.
pub fn checked_platforms(list: &[String]) -> Result<Vec<&'static str>> {
    let mut checked: Vec<&'static str> = Vec::new();
    for platform in list {
        let platform = platform.trim();
        let Some(known) = PLATFORMS.iter().find(|known| **known == platform) else {
            bail!(
                "unknown platform {platform:?}: xx-rs builds {}",
                PLATFORMS.join(", ")
            );
        };
        if checked.contains(known) {
            bail!("platform {platform:?} is listed twice");
        }
        checked.push(known);
    }
    if checked.is_empty() {
        bail!("no platform given");
    }
    Ok(checked)
}

/// Make the Debian base, then build, load, export and check the image for
/// every platform (see the module's documentation for the tags).
pub fn build_images(dockerd: &Dockerd, platforms: &[&str]) -> Result<Vec<Built>> {
    step("Debian base image");
    dockerd.ensure_debian_base()?;
    let root = workspace_root();
    let dockerfile = root.join("base-image/Dockerfile");
    let exports = root.join("target/xx-image");
    if exports.exists() {
        std::fs::remove_dir_all(&exports)
            .with_context(|| format!("cannot remove {}", exports.display()))?;
    }
    let tags: Vec<String> = match dockerd.kind() {
        EngineKind::Buildx => {
            let tag = format!("{IMAGE_NAME}:latest");
            step(&format!(
                "docker buildx build --platform {} --load -t {tag} (one invocation)",
                platforms.join(",")
            ));
            dockerd.build(&image_request(
                &root,
                &dockerfile,
                platforms,
                BuildOutput::Load(&tag),
            ))?;
            let loaded = dockerd.image_platforms(&tag)?;
            let missing: Vec<&&str> = platforms
                .iter()
                .filter(|platform| !loaded.iter().any(|loaded| loaded == **platform))
                .collect();
            if !missing.is_empty() {
                bail!("{tag} was loaded without {missing:?} (it has {loaded:?})");
            }
            eprintln!("loaded {tag} for {}", loaded.join(", "));
            vec![tag; platforms.len()]
        }
        EngineKind::Classic => {
            let mut tags = Vec::new();
            for platform in platforms {
                let tag = format!("{IMAGE_NAME}:{}", tag_suffix(platform)?);
                step(&format!("docker build --platform {platform} -t {tag}"));
                dockerd.build(&image_request(
                    &root,
                    &dockerfile,
                    &[platform],
                    BuildOutput::Load(&tag),
                ))?;
                if *platform == BUILD_PLATFORM {
                    dockerd
                        .docker(["tag", tag.as_str(), &format!("{IMAGE_NAME}:latest")])
                        .run()
                        .context("docker tag")?;
                }
                tags.push(tag);
            }
            tags
        }
    };
    step(&format!(
        "exporting the image's files to {}",
        exports.display()
    ));
    dockerd.build(&image_request(
        &root,
        &dockerfile,
        platforms,
        BuildOutput::Local(&exports),
    ))?;
    let mut built = Vec::new();
    for (platform, tag) in platforms.iter().zip(tags) {
        let files = platform_export_dir(&exports, platform);
        check_files(&files)?;
        let size = tree_size(&files)?;
        if size > SIZE_BUDGET {
            bail!("{tag} for {platform} is {size} bytes, over the {SIZE_BUDGET}-byte budget");
        }
        built.push(Built {
            platform: platform.to_string(),
            tag,
            size,
            files,
        });
    }
    Ok(built)
}

/// A build of base-image/Dockerfile with the workspace as context.
fn image_request<'a>(
    root: &'a Path,
    dockerfile: &'a Path,
    platforms: &'a [&'a str],
    output: BuildOutput<'a>,
) -> BuildRequest<'a> {
    BuildRequest {
        context: root,
        dockerfile,
        platforms,
        output,
        show_progress: true,
    }
}

/// The exported image must hold `/usr/bin/xx`, its `xx-*` links (relative,
/// to `xx`) and the licence, and nothing else.
fn check_files(files: &Path) -> Result<()> {
    let bin = files.join("usr/bin");
    if !bin.join("xx").is_file() {
        bail!("{} has no usr/bin/xx", files.display());
    }
    let links = std::fs::read_dir(&bin)
        .with_context(|| format!("cannot list {}", bin.display()))?
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.file_name().to_string_lossy().starts_with("xx-"))
        .count();
    if links == 0 {
        bail!("{} has no xx-* links", bin.display());
    }
    let licence = files.join("usr/share/doc/xx-rs/LICENSE");
    if !licence.is_file() {
        bail!("{} is missing", licence.display());
    }
    Ok(())
}

/// `linux/arm/v7` -> `arm-v7`, `linux/arm64` -> `arm64`.
pub fn tag_suffix(platform: &str) -> Result<String> {
    let mut parts = platform.split('/');
    let (Some("linux"), Some(arch)) = (parts.next(), parts.next()) else {
        bail!("platform {platform:?} is not linux/<arch>[/<variant>]");
    };
    let suffix = match parts.next() {
        Some(variant) => format!("{arch}-{variant}"),
        None => arch.to_string(),
    };
    if suffix.is_empty()
        || !suffix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        bail!("platform {platform:?} is not linux/<arch>[/<variant>]");
    }
    Ok(suffix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_platform_is_named() {
        let list = |items: &[&str]| {
            items
                .iter()
                .map(|item| item.to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            checked_platforms(&list(&["linux/arm64", "linux/riscv64"])).unwrap(),
            ["linux/arm64", "linux/riscv64"]
        );
        let err = checked_platforms(&list(&["linux/arm64", "linux/sparc"]))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("unknown platform \"linux/sparc\""), "{err}");
        assert!(!err.contains('\n'), "{err}");
        assert!(checked_platforms(&list(&["linux/arm64", "linux/arm64"])).is_err());
    }
}
