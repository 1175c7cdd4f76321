//! Benchmark: the first `xx-cargo build` for a target pays xx-cargo's
//! one-time setup. This times that setup for linux/arm64 in a Debian
//! bookworm sandbox with rustc-web, for this build of xx and, when
//! `XX_BENCH_BASELINE` names another xx binary (an older commit's
//! `target/debug/xx` or `target/release/xx`), for that one too, in
//! alternating rounds.
//!
//! Run with `cargo bench -p xx-e2e --bench first_setup` (root, like the
//! end-to-end tests). Two cases, each from a state where xx-rs never ran
//! for the target (`/.xx-cargo.arm64`, the clang config and the
//! `<triple>-*` aliases removed before every round):
//! * warm: the target's packages (`libc6-dev:arm64`,
//!   `libstd-rust-web-dev:arm64`) are installed, so the setup is xx-rs's
//!   own work: clang's config and aliases, the standard-library check, the
//!   record;
//! * cold: `libstd-rust-web-dev:arm64` is removed first, so the setup also
//!   installs it through apt (from apt's local archive cache: no download
//!   is timed).
//!
//! `XX_BENCH_ROUNDS` (default 5) sets the rounds; the medians are printed.

#[path = "../tests/lang_support/mod.rs"]
mod lang_support;

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use lang_support::LangSandbox;

/// Everything xx-rs writes when it first runs for linux/arm64.
const XX_STATE: &str = "rm -f /.xx-cargo.arm64 /usr/bin/aarch64-unknown-linux-gnu* /usr/lib/llvm-14/bin/aarch64-unknown-linux-gnu.cfg";

/// The command timed.
const SETUP: &str =
    "TARGETPLATFORM=linux/arm64 RUSTC=/usr/bin/rustc xx-cargo --setup-target-triple";

fn main() -> Result<()> {
    let rounds: usize = std::env::var("XX_BENCH_ROUNDS")
        .ok()
        .and_then(|value| value.parse().ok())
        .filter(|rounds| *rounds > 0)
        .unwrap_or(5);
    let baseline = std::env::var_os("XX_BENCH_BASELINE").map(PathBuf::from);
    let mut sandbox = LangSandbox::create("bench-first-setup", &["rustc-web", "cargo-web"])?;
    // Every build under test gets a folder of xx-* links; PATH picks one.
    let mut builds = vec![("this build", "/usr/local/bin".to_string())];
    if let Some(binary) = &baseline {
        if !binary.is_file() {
            bail!("XX_BENCH_BASELINE={} is not a file", binary.display());
        }
        let folder = binary.parent().context("baseline has no folder")?;
        sandbox.share_read_only(folder, "opt/baseline-build")?;
        let name = binary
            .file_name()
            .context("baseline has no name")?
            .to_string_lossy()
            .into_owned();
        sandbox.run_ok(&format!(
            "mkdir -p /opt/baseline && cp /opt/baseline-build/{name} /opt/baseline/xx && /opt/baseline/xx install-links --dir /opt/baseline >/dev/null"
        ))?;
        builds.push(("baseline", "/opt/baseline".to_string()));
    }
    sandbox.run_ok(
        "export TARGETPLATFORM=linux/arm64\nxx-apt-get install -y xx-c-essentials libstd-rust-web-dev >/tmp/pkgs.log 2>&1 || { tail -30 /tmp/pkgs.log; exit 1; }",
    )?;
    println!("rustc: {}", sandbox.run_ok("rustc --version")?.trim());
    for (case, prepare) in [
        ("warm (target packages installed)", ""),
        (
            "cold (installs libstd-rust-web-dev:arm64 from apt's cache)",
            "apt-get remove -y -qq libstd-rust-web-dev:arm64 >/dev/null 2>&1",
        ),
    ] {
        let mut times: Vec<Vec<f64>> = vec![Vec::new(); builds.len()];
        for round in 0..rounds {
            // Alternate which build goes first.
            let order: Vec<usize> = if round % 2 == 0 {
                (0..builds.len()).collect()
            } else {
                (0..builds.len()).rev().collect()
            };
            for index in order {
                let (_, bin) = &builds[index];
                sandbox.run_ok(&format!("{XX_STATE}\n{prepare}"))?;
                let started = Instant::now();
                sandbox
                    .run_ok(&format!("export PATH={bin}:$PATH\n{SETUP} >/tmp/setup.log 2>&1 || {{ cat /tmp/setup.log; exit 1; }}"))
                    .with_context(|| format!("{SETUP} with {bin}"))?;
                times[index].push(started.elapsed().as_secs_f64());
            }
        }
        println!("{case}, {rounds} rounds:");
        for ((name, _), samples) in builds.iter().zip(&mut times) {
            samples.sort_by(f64::total_cmp);
            println!(
                "  {name:<10} median {:.3}s  min {:.3}s  max {:.3}s",
                samples[samples.len() / 2],
                samples[0],
                samples[samples.len() - 1]
            );
        }
    }
    Ok(())
}
