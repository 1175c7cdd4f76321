//! `cargo xtask test`: prerequisites, then every check and suite.

use std::path::Path;

use anyhow::{Context, Result};

use crate::util::{step, workspace_root};

// The tests' skip log (std only; see the file).
#[path = "../../tests/src/skip.rs"]
#[allow(dead_code)] // Only the log's location is used here.
mod skip;

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
    step("cargo test");
    let mut test = vec!["test", "--workspace", "--no-fail-fast"];
    if args.quick {
        test.extend(["--exclude", "xx-e2e"]);
    }
    let skip_log = skip::skip_log_path();
    match std::fs::remove_file(&skip_log) {
        Ok(()) => {}
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
        Err(err) => {
            return Err(err).with_context(|| format!("cannot remove {}", skip_log.display()))
        }
    }
    let tested = duct::cmd("cargo", &test)
        .dir(&root)
        .env(skip::SKIP_LOG_VAR, &skip_log)
        .run()
        .context("tests failed");
    print_skips(&skip_log);
    tested?;
    if !args.quick {
        step("the README's main job: cargo xtask demo");
        crate::demo::run(&crate::demo::Args {
            platform: "linux/arm64".to_string(),
            docker: false,
            example: "c".to_string(),
        })
        .context("cargo xtask demo failed")?;
    }
    step("all checks and tests passed");
    Ok(())
}

/// `skipped: N`, then each line of the tests' skip log (what a test could
/// not check on this machine, and why).
fn print_skips(log: &Path) {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().filter(|line| !line.is_empty()).collect();
    println!("skipped: {}", lines.len());
    for line in lines {
        println!("  {line}");
    }
}
