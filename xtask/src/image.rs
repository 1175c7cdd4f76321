//! `cargo xtask image`: build the `COPY --from=xx` image (base-image/) with
//! a local Docker engine, for each requested platform.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::docker::{Dockerd, DockerdPaths};
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
    #[arg(long, value_delimiter = ',', default_value = "linux/amd64,linux/arm64")]
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
    /// Its tag, `xx-rs:<arch>`.
    pub tag: String,
    /// Its content size in bytes.
    pub size: u64,
    /// Where its files were exported (`target/xx-image/<arch>`).
    pub files: PathBuf,
}

/// Run the task.
pub fn run(args: &Args) -> Result<()> {
    step("Docker engine");
    let mut dockerd = Dockerd::start_or_reuse(DockerdPaths::from_env())?;
    eprintln!(
        "{} engine at {}",
        if dockerd.started_here() {
            "started an"
        } else {
            "reusing the"
        },
        dockerd.host()
    );
    let built = build_images(&dockerd, &args.platform);
    if args.keep_daemon {
        eprintln!(
            "leaving the engine running: export DOCKER_HOST={}",
            dockerd.host()
        );
        std::mem::forget(dockerd);
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

/// Make the Debian base, then build, tag, export and check the image for
/// every platform; `xx-rs:latest` is the [`BUILD_PLATFORM`] one.
pub fn build_images(dockerd: &Dockerd, platforms: &[String]) -> Result<Vec<Built>> {
    step("Debian base image");
    dockerd.ensure_debian_base()?;
    let mut built = Vec::new();
    for platform in platforms {
        let image = build_image(dockerd, platform)?;
        if platform == BUILD_PLATFORM {
            dockerd
                .docker(["tag", image.tag.as_str(), &format!("{IMAGE_NAME}:latest")])
                .run()
                .context("docker tag")?;
        }
        built.push(image);
    }
    Ok(built)
}

/// Build the image for one platform, tagged `xx-rs:<arch>`, and export its
/// files to check them.
pub fn build_image(dockerd: &Dockerd, platform: &str) -> Result<Built> {
    let tag = format!("{IMAGE_NAME}:{}", tag_suffix(platform)?);
    let root = workspace_root();
    step(&format!("building {tag} for {platform}"));
    docker_build(dockerd, &root, platform, &["--tag", &tag])?;
    let size = dockerd.image_size(&tag)?;

    let files = root.join("target/xx-image").join(tag_suffix(platform)?);
    if files.exists() {
        std::fs::remove_dir_all(&files)
            .with_context(|| format!("cannot remove {}", files.display()))?;
    }
    let output = format!("type=local,dest={}", files.display());
    docker_build(dockerd, &root, platform, &["--output", &output])?;
    check_files(&files)?;
    if size > SIZE_BUDGET {
        bail!("{tag} is {size} bytes, over the {SIZE_BUDGET}-byte budget");
    }
    Ok(Built {
        platform: platform.to_string(),
        tag,
        size,
        files,
    })
}

/// `docker build` of base-image/Dockerfile with the workspace as context.
fn docker_build(dockerd: &Dockerd, root: &Path, platform: &str, extra: &[&str]) -> Result<()> {
    let dockerfile = root.join("base-image/Dockerfile");
    let mut args: Vec<String> = vec![
        "build".into(),
        "--network".into(),
        "host".into(),
        "--platform".into(),
        platform.into(),
        "--file".into(),
        dockerfile.display().to_string(),
    ];
    args.extend(extra.iter().map(|arg| arg.to_string()));
    args.push(root.display().to_string());
    dockerd
        .docker(&args)
        .run()
        .with_context(|| format!("docker build of base-image/Dockerfile for {platform}"))?;
    Ok(())
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

/// `cargo xtask demo --docker`: the Docker path of the demo. Builds the
/// `xx-rs` image for the build machine, then `examples/<example>` for
/// `platform` with BuildKit (build stages on the build machine, no
/// emulation), exports it, checks it with `xx-verify --static` and runs it
/// under qemu-user.
pub fn demo(platform: &str, example: &str) -> Result<()> {
    let root = workspace_root();
    let context = root.join("examples").join(example);
    if !context.join("Dockerfile").is_file() {
        bail!(
            "example {example:?} not found: no {}/Dockerfile",
            context.display()
        );
    }
    let xx = crate::util::build_xx("dev")?;
    let info = duct::cmd!(&xx, "info", "--json")
        .env("TARGETPLATFORM", platform)
        .read()
        .with_context(|| format!("xx-info --json for {platform}"))?;
    let info: serde_json::Value =
        serde_json::from_str(&info).context("xx-info --json printed invalid JSON")?;
    let qemu = info["qemu"]
        .as_str()
        .with_context(|| format!("xx-info knows no qemu for {platform}"))?
        .to_string();

    step("Docker engine");
    let mut dockerd = Dockerd::start_or_reuse(DockerdPaths::from_env())?;
    let result = (|| -> Result<PathBuf> {
        build_images(&dockerd, &[BUILD_PLATFORM.to_string()])?;
        step(&format!("examples/{example} for {platform} (BuildKit)"));
        let out = root
            .join("target/xx-demo")
            .join(example)
            .join(tag_suffix(platform)?);
        let output = format!("type=local,dest={}", out.display());
        dockerd
            .docker([
                "build",
                "--network",
                "host",
                "--platform",
                platform,
                "--output",
                &output,
                &context.display().to_string(),
            ])
            .run()
            .with_context(|| format!("docker build of examples/{example} for {platform}"))?;
        Ok(out)
    })();
    dockerd.stop();
    let out = result?;

    let artifacts: Vec<PathBuf> = std::fs::read_dir(&out)
        .with_context(|| format!("cannot list {}", out.display()))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.is_file())
        .collect();
    for artifact in artifacts {
        step(&format!("xx-verify --static {}", artifact.display()));
        duct::cmd!(&xx, "verify", "--static", &artifact)
            .env("TARGETPLATFORM", platform)
            .run()
            .with_context(|| format!("xx-verify --static {}", artifact.display()))?;
        step(&format!("{qemu} {}", artifact.display()));
        duct::cmd!(&qemu, &artifact)
            .run()
            .with_context(|| format!("{qemu} {}", artifact.display()))?;
    }
    Ok(())
}
