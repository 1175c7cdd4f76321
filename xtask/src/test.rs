//! `cargo xtask test`: prerequisites, then every check and suite.

use std::path::Path;

use anyhow::{Context, Result};

use crate::docker::{Dockerd, DockerdPaths};
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
    if let Some(mut engine) = engine {
        engine.stop();
    }
    print_skips(&skip_log);
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

/// Print the summary of the tests' skip log (see [`skips_summary`]).
fn print_skips(log: &Path) {
    print!(
        "{}",
        skips_summary(&std::fs::read_to_string(log).unwrap_or_default())
    );
}

/// `skipped: N`, then each line of the skip log (what a test could not
/// check on this machine, and why), indented.
fn skips_summary(log: &str) -> String {
    let lines: Vec<&str> = log.lines().filter(|line| !line.is_empty()).collect();
    let mut text = format!("skipped: {}\n", lines.len());
    for line in lines {
        text.push_str(&format!("  {line}\n"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_counts_and_lists_the_skips() {
        assert_eq!(skips_summary(""), "skipped: 0\n");
        assert_eq!(
            skips_summary("a: no rustup\n\nb: no loong64\n"),
            "skipped: 2\n  a: no rustup\n  b: no loong64\n"
        );
    }
}
