//! Building corpus Dockerfiles (tests/fixtures/dockerfiles/corpus/) for
//! real: local stand-ins for the public base images they name, `xx lower`,
//! BuildKit builds of many platforms, and runs of what they produce.
//!
//! No registry is reachable here, so every base image a built case names
//! (`golang:1.21`, `gcr.io/distroless/static-debian12`, ...) is made
//! locally from the debootstrapped `debian:bookworm`/`debian:trixie` and
//! Debian packages, from the recipes in tests/fixtures/corpus-images/, and
//! tagged with the real names ([`STAND_INS`]). Stand-ins for final images
//! of foreign platforms are made without running anything on that
//! platform (a library tree unpacked with `dpkg -x` on the build machine,
//! or an almost empty tree), since no binfmt_misc handler may exist.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::{anyhow, bail, Context, Result};

use crate::docker::{BuildOutput, BuildRequest, Dockerd};
use crate::platforms::qemu_suffix;
use crate::workspace::workspace_root;

/// The label that records which recipe a stand-in image was built from.
pub const STAND_IN_LABEL: &str = "org.xx-rs.corpus-stand-in";

/// One stand-in image: a recipe in tests/fixtures/corpus-images/, built
/// for some platforms and tagged with the names of the images it stands
/// in for.
#[derive(Debug)]
pub struct StandIn {
    /// The recipe's file name in tests/fixtures/corpus-images/.
    pub recipe: &'static str,
    /// Text replaced in the recipe before the build (the default of a
    /// global `ARG`), as `(from, to)`.
    pub replace: Option<(&'static str, &'static str)>,
    /// The platforms it is built for.
    pub platforms: &'static [&'static str],
    /// The names it is tagged with (the first is the one built).
    pub tags: &'static [&'static str],
}

const ALL_TARGETS: &[&str] = &["linux/amd64", "linux/arm64", "linux/arm/v7"];

/// Every stand-in image of the corpus builds.
pub const STAND_INS: &[StandIn] = &[
    StandIn {
        recipe: "golang.Dockerfile",
        replace: None,
        platforms: &["linux/amd64"],
        // 192.168.1.1 is the (private) Go image of go-bms-contact.
        tags: &[
            "golang:latest",
            "golang:1",
            "golang:1.21",
            "golang:1.20.3-bullseye",
            "192.168.1.1",
        ],
    },
    StandIn {
        recipe: "rust.Dockerfile",
        replace: None,
        platforms: &["linux/amd64"],
        tags: &["rust:latest", "rust:1.80"],
    },
    StandIn {
        recipe: "gcc.Dockerfile",
        replace: None,
        platforms: &["linux/amd64"],
        tags: &["gcc:latest", "gcc:12"],
    },
    StandIn {
        recipe: "static-tree.Dockerfile",
        replace: None,
        platforms: ALL_TARGETS,
        // The alpine names are final images of cases whose final stage
        // runs nothing: their programs are static, so the tree is enough.
        tags: &[
            "gcr.io/distroless/static:latest",
            "gcr.io/distroless/static-debian12",
            "alpine:latest",
            "192.168.1.1/alpine",
        ],
    },
    StandIn {
        recipe: "libc-tree.Dockerfile",
        replace: None,
        platforms: ALL_TARGETS,
        tags: &[
            "gcr.io/distroless/base",
            "gcr.io/distroless/base-debian11",
            "ubuntu:22.10",
        ],
    },
    StandIn {
        recipe: "libc-tree.Dockerfile",
        replace: Some(("ARG FULL_AMD64=0", "ARG FULL_AMD64=1")),
        platforms: ALL_TARGETS,
        // ubuntu:22.04 is the build image of c-meson-precision-mesh,
        // whose final stage runs apt-get too: Debian stands in for it.
        tags: &[
            "debian:bookworm-slim",
            "debian:bullseye-slim",
            "ubuntu:22.04",
        ],
    },
];

/// Make every stand-in of [`STAND_INS`] whose image is missing or was
/// built from another recipe (once per test process; needs the Debian
/// bases, made here if missing).
pub fn ensure_stand_ins(dockerd: &Dockerd) -> Result<()> {
    static DONE: OnceLock<Result<(), String>> = OnceLock::new();
    DONE.get_or_init(|| make_stand_ins(dockerd).map_err(|err| format!("{err:#}")))
        .clone()
        .map_err(|err| anyhow!(err))
}

fn make_stand_ins(dockerd: &Dockerd) -> Result<()> {
    dockerd.ensure_debian_base()?;
    for stand_in in STAND_INS {
        ensure_stand_in(dockerd, stand_in)
            .with_context(|| format!("stand-in image {}", stand_in.tags[0]))?;
    }
    Ok(())
}

fn ensure_stand_in(dockerd: &Dockerd, stand_in: &StandIn) -> Result<()> {
    let path = workspace_root()
        .join("tests/fixtures/corpus-images")
        .join(stand_in.recipe);
    let mut recipe = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    if let Some((from, to)) = stand_in.replace {
        if !recipe.contains(from) {
            bail!("{} has no {from:?} to replace", path.display());
        }
        recipe = recipe.replace(from, to);
    }
    let fingerprint = format!(
        "{:016x}-{}",
        fnv1a(recipe.as_bytes()),
        stand_in.platforms.join(",")
    );
    let [first, others @ ..] = stand_in.tags else {
        bail!("a stand-in without a tag");
    };
    if label_of(dockerd, first).as_deref() != Some(fingerprint.as_str()) {
        eprintln!("making the stand-in image {first} from {}", path.display());
        let work = tempfile::tempdir().context("temporary build folder")?;
        let dockerfile = work.path().join("Dockerfile");
        std::fs::write(
            &dockerfile,
            format!("{recipe}\nLABEL {STAND_IN_LABEL}={fingerprint}\n"),
        )
        .context("cannot write the stand-in recipe")?;
        dockerd.build(&BuildRequest {
            context: work.path(),
            dockerfile: &dockerfile,
            platforms: stand_in.platforms,
            output: BuildOutput::Load(first),
            show_progress: false,
        })?;
    }
    for tag in others {
        if label_of(dockerd, tag).as_deref() != Some(fingerprint.as_str()) {
            dockerd
                .docker(["tag", first, tag])
                .stdout_null()
                .run()
                .with_context(|| format!("docker tag {first} {tag}"))?;
        }
    }
    Ok(())
}

/// The stand-in label of `image`, if it exists.
fn label_of(dockerd: &Dockerd, image: &str) -> Option<String> {
    let format = format!("{{{{ index .Config.Labels \"{STAND_IN_LABEL}\" }}}}");
    let out = dockerd
        .docker(["image", "inspect", "--format", &format, image])
        .stderr_null()
        .stdout_capture()
        .unchecked()
        .run()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// FNV-1a, a hash that stays the same across Rust releases (the recipe
/// fingerprint outlives the test process).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The corpus Dockerfile of `case`.
pub fn corpus_dockerfile(case: &str) -> PathBuf {
    workspace_root()
        .join("tests/fixtures/dockerfiles/corpus")
        .join(format!("{case}.Dockerfile"))
}

/// The stand-in source tree (build context) of `case`.
pub fn corpus_source(case: &str) -> PathBuf {
    workspace_root()
        .join("tests/fixtures/corpus-src")
        .join(case)
}

/// Run `binary` (a file of `sysroot`, a platform's exported final image)
/// under `qemu-<arch> -L <sysroot>`, so that a dynamic program finds the
/// image's own C library; its standard output.
pub fn run_in_export(platform: &str, sysroot: &Path, binary: &Path) -> Result<String> {
    let qemu = format!("qemu-{}", qemu_suffix(platform)?);
    crate::docker::run_under_qemu(&qemu, sysroot, binary, &[])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_is_stable() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn every_recipe_exists() {
        for stand_in in STAND_INS {
            let path = workspace_root()
                .join("tests/fixtures/corpus-images")
                .join(stand_in.recipe);
            assert!(path.is_file(), "{} is missing", path.display());
        }
    }
}
