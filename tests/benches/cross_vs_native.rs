//! Benchmark: a cross build of ripgrep (a real crate with 30+ dependencies
//! from crates.io) for linux/arm64 with `xx-cargo`, against a native build
//! of the same crate, in a Debian bookworm sandbox with rustc-web.
//!
//! Run with `cargo bench -p xx-e2e --bench cross_vs_native` (root, like the
//! end-to-end tests). Prints both times (elapsed and CPU) and their ratios
//! for each round and the mean ratios; the goal is a ratio of at most 1.05.
//!
//! What is timed:
//! * native: `cargo build --release --locked --offline`;
//! * cross: `xx-cargo build --release --locked --offline` for
//!   `TARGETPLATFORM=linux/arm64`, from a state where xx-rs has never run
//!   for the target: xx-cargo's first-time setup (xx-clang's config and
//!   aliases, the standard-library check, the record) is included.
//!
//! Not timed, reported separately: downloading the crates (`cargo fetch`,
//! both builds use them) and installing the target's Debian packages
//! (`xx-c-essentials`, `libstd-rust-web-dev:arm64`), which are the target's
//! sysroot, needed by any cross toolchain.
//!
//! `XX_BENCH_ROUNDS` (default 2) sets the number of rounds; rounds alternate
//! which build goes first, and each round starts from empty target
//! directories and no xx-rs state.

#[path = "../tests/lang_support/mod.rs"]
mod lang_support;

use std::time::Instant;

use anyhow::{Context, Result};
use lang_support::{assert_contains, cache_dir, LangSandbox};

/// The crate built, as published on crates.io (its Cargo.lock included).
const CRATE: &str = "ripgrep";
/// A version rustc-web 1.85 builds with its own lock file.
const VERSION: &str = "14.1.1";
/// Where the source is unpacked in the sandbox.
const SOURCE: &str = "/src/ripgrep-14.1.1";

/// Everything xx-rs writes when it first runs for linux/arm64 (removed
/// between rounds so that each cross build pays its first-time setup).
const XX_STATE: &str = "rm -f /.xx-cargo.arm64 /usr/bin/aarch64-unknown-linux-gnu* /usr/lib/llvm-14/bin/aarch64-unknown-linux-gnu.cfg";

fn main() -> Result<()> {
    let rounds: usize = std::env::var("XX_BENCH_ROUNDS")
        .ok()
        .and_then(|value| value.parse().ok())
        .filter(|rounds| *rounds > 0)
        .unwrap_or(2);
    let mut sandbox = LangSandbox::create(
        "bench-ripgrep",
        &["rustc-web", "cargo-web", "curl", "qemu-user"],
    )?;
    sandbox.share(&cache_dir()?.join("cargo-home"), "root/.cargo")?;

    let started = Instant::now();
    sandbox.run_ok(&format!(
        "mkdir -p /src && curl -sSfL https://static.crates.io/crates/{CRATE}/{CRATE}-{VERSION}.crate | tar xz -C /src\ncd {SOURCE} && cargo fetch --locked -q"
    ))?;
    println!("crates downloaded (not timed): {:.1?}", started.elapsed());

    let started = Instant::now();
    sandbox.run_ok(
        "export TARGETPLATFORM=linux/arm64\nxx-apt-get install -y xx-c-essentials libstd-rust-web-dev >/tmp/pkgs.log 2>&1 || { tail -30 /tmp/pkgs.log; exit 1; }",
    )?;
    println!(
        "target packages xx-c-essentials libstd-rust-web-dev:arm64 (not timed): {:.1?}",
        started.elapsed()
    );
    println!("rustc: {}", sandbox.run_ok("rustc --version")?.trim());
    let setup = timed(
        &sandbox,
        &format!("{XX_STATE} && TARGETPLATFORM=linux/arm64 xx-cargo --setup-target-triple"),
    )?;
    println!(
        "xx-cargo first-time setup alone (included in every cross time below): {:.2}s wall",
        setup.wall
    );

    let mut wall_ratios = Vec::new();
    let mut cpu_ratios = Vec::new();
    for round in 1..=rounds {
        sandbox.run_ok(&format!("rm -rf /tmp/native /tmp/cross\n{XX_STATE}"))?;
        let cross_first = round % 2 == 0;
        let (native, cross) = if cross_first {
            let cross = cross_build(&sandbox)?;
            (native_build(&sandbox)?, cross)
        } else {
            let native = native_build(&sandbox)?;
            (native, cross_build(&sandbox)?)
        };
        let wall = cross.wall / native.wall;
        let cpu = cross.cpu / native.cpu;
        println!(
            "round {round}{}: native {:.1}s wall / {:.1}s CPU, cross linux/arm64 {:.1}s wall / {:.1}s CPU, ratio {wall:.3} wall / {cpu:.3} CPU",
            if cross_first { " (cross first)" } else { "" },
            native.wall,
            native.cpu,
            cross.wall,
            cross.cpu,
        );
        wall_ratios.push(wall);
        cpu_ratios.push(cpu);
    }

    // The cross-built program is a real arm64 ripgrep.
    let binary = "/tmp/cross/aarch64-unknown-linux-gnu/release/rg";
    sandbox.run_ok(&format!("TARGETPLATFORM=linux/arm64 xx-verify {binary}"))?;
    let version = sandbox.qemu_stdout_inside("aarch64", &format!("{binary} --version"))?;
    assert_contains(
        &version,
        &format!("ripgrep {VERSION}"),
        "rg --version under qemu",
    )?;
    println!(
        "cross-built rg under qemu-aarch64: {}",
        version.lines().next().unwrap_or_default()
    );

    let mean = |ratios: &[f64]| ratios.iter().sum::<f64>() / ratios.len() as f64;
    println!(
        "mean ratio cross/native over {rounds} round(s): {:.3} wall, {:.3} CPU (goal: at most 1.05)",
        mean(&wall_ratios),
        mean(&cpu_ratios)
    );
    Ok(())
}

/// Elapsed and CPU (user + system, the build's whole process tree) seconds
/// of one build. CPU time is the steadier measure when other work shares the
/// machine.
struct Times {
    wall: f64,
    cpu: f64,
}

/// Time a native release build.
fn native_build(sandbox: &LangSandbox) -> Result<Times> {
    timed(
        sandbox,
        &format!(
            "cd {SOURCE} && cargo build --release --locked --offline --target-dir /tmp/native"
        ),
    )
}

/// Time a linux/arm64 release build with xx-cargo, first-time setup included.
fn cross_build(sandbox: &LangSandbox) -> Result<Times> {
    timed(
        sandbox,
        &format!("cd {SOURCE} && TARGETPLATFORM=linux/arm64 xx-cargo build --release --locked --offline --target-dir /tmp/cross"),
    )
}

/// Run `command` under bash's `time` (wall, user, system seconds).
fn timed(sandbox: &LangSandbox, command: &str) -> Result<Times> {
    let script = format!(
        "set +e\nbash -c 'TIMEFORMAT=\"%R %U %S\"; time ( {command} >/tmp/build.log 2>&1 )' 2>/tmp/time.txt\nif [ $? -ne 0 ]; then tail -40 /tmp/build.log; exit 1; fi\ncat /tmp/time.txt"
    );
    let text = sandbox
        .run_ok(&script)
        .with_context(|| format!("benchmark build failed: {command}"))?;
    let numbers: Vec<f64> = text
        .split_whitespace()
        .filter_map(|word| word.parse().ok())
        .collect();
    match numbers[..] {
        [wall, user, system] => Ok(Times {
            wall,
            cpu: user + system,
        }),
        _ => anyhow::bail!("unexpected output of bash's time: {text:?}"),
    }
}
