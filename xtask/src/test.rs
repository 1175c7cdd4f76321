//! `cargo xtask test`: prerequisites, then every check and suite.

use anyhow::{Context, Result};

use crate::docker::{Dockerd, DockerdPaths};
use crate::util::{step, workspace_root};

/// Options of `cargo xtask test`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Do not install prerequisites.
    #[arg(long)]
    pub skip_prereqs: bool,
    /// Skip the end-to-end suites (chroots, real cross builds, Docker) and
    /// the demo.
    #[arg(long)]
    pub quick: bool,
}

/// Run everything.
pub fn run(args: &Args) -> Result<()> {
    let root = workspace_root();
    if !args.skip_prereqs {
        crate::prereq::install()?;
    }
    if !args.quick {
        crate::disk::ensure_room(&root)?;
    }
    step("cargo fmt --check");
    duct::cmd!("cargo", "fmt", "--all", "--check")
        .dir(&root)
        .run()
        .context("cargo fmt --check failed: run cargo fmt --all")?;
    step("cargo clippy");
    duct::cmd!(
        "cargo",
        "clippy",
        "--workspace",
        "--all-targets",
        "--quiet",
        "--",
        "-D",
        "warnings"
    )
    .dir(&root)
    .run()
    .context("cargo clippy found problems")?;
    // One engine for the whole Docker suite: started here (bound to this
    // process, so it cannot outlive it), reused by the tests, stopped after.
    let engine = if args.quick {
        None
    } else {
        step("Docker engine for the end-to-end suite");
        let engine = Dockerd::start_or_reuse(DockerdPaths::from_env()?)?;
        crate::image::report_engine(&engine);
        Some(engine)
    };
    step("cargo test");
    let mut test = vec!["test", "--workspace", "--no-fail-fast"];
    if args.quick {
        test.extend(["--exclude", "xx-e2e"]);
    }
    let tested = duct::cmd("cargo", &test)
        .dir(&root)
        .run()
        .context("tests failed");
    if let Some(mut engine) = engine {
        engine.stop();
    }
    tested?;
    if !args.quick {
        step("the README's main job: cargo xtask demo");
        crate::demo::run(&crate::demo::Args {
            platform: vec!["linux/arm64".to_string()],
            docker: false,
            example: Vec::new(),
        })
        .context("cargo xtask demo failed")?;
    }
    step("all checks and tests passed");
    Ok(())
}
