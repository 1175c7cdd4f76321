//! `cargo xtask bench`: the speed targets, measured as real processes.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::util::{build_static_xx, link_tools, step};

/// Options of `cargo xtask bench`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Process runs per measurement.
    #[arg(long, default_value_t = 2000)]
    pub runs: usize,
    /// Exit non-zero when a target is missed.
    #[arg(long)]
    pub check: bool,
    /// Instead: the emulated-vs-cross Docker bench (examples for
    /// linux/arm64, cold and warm; registers a qemu binfmt_misc handler
    /// for its duration only).
    #[arg(long)]
    pub docker: bool,
    /// With --docker: the examples measured (comma-separated: rust, c, go).
    #[arg(long, value_delimiter = ',', default_value = "rust")]
    pub example: Vec<String>,
}

/// Summary statistics of a set of timings.
struct Stats {
    min: Duration,
    median: Duration,
    p90: Duration,
}

impl Stats {
    fn of(mut samples: Vec<Duration>) -> Stats {
        samples.sort();
        let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
        Stats {
            min: samples[0],
            median: at(0.5),
            p90: at(0.9),
        }
    }
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

/// Time `runs` executions of `program args` (stdout discarded), after a
/// few warm-up runs.
fn time_process(
    program: &Path,
    args: &[&str],
    envs: &[(&str, &str)],
    runs: usize,
) -> Result<Stats> {
    let mut samples = Vec::with_capacity(runs);
    for i in 0..runs + 20 {
        let start = Instant::now();
        let status = Command::new(program)
            .args(args)
            .envs(envs.iter().copied())
            .stdout(Stdio::null())
            .status()
            .with_context(|| format!("run {}", program.display()))?;
        let elapsed = start.elapsed();
        if !status.success() {
            bail!("{} {args:?} failed: {status}", program.display());
        }
        if i >= 20 {
            samples.push(elapsed);
        }
    }
    Ok(Stats::of(samples))
}

/// Regular files (not links) under `dirs`, recursively, that start with the
/// ELF magic.
fn elf_files(dirs: &[&str]) -> Result<Vec<String>> {
    let mut found = Vec::new();
    let mut pending: Vec<std::path::PathBuf> = dirs.iter().map(Into::into).collect();
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let path = entry.path();
            if kind.is_dir() {
                pending.push(path);
            } else if kind.is_file() {
                let mut magic = [0u8; 4];
                let is_elf = std::fs::File::open(&path)
                    .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut magic))
                    .is_ok()
                    && magic == *b"\x7fELF";
                if is_elf {
                    found.push(path.to_string_lossy().into_owned());
                }
            }
        }
    }
    found.sort();
    Ok(found)
}

/// Run the benchmarks.
pub fn run(args: &Args) -> Result<()> {
    if args.docker {
        return crate::bench_docker::run(&args.example);
    }
    step("building a static xx (release, +crt-static), as the image ships it");
    let xx = build_static_xx()?;
    let links = link_tools(&xx)?;
    let mut missed = Vec::new();

    step(&format!(
        "xx-info triple: process start to exit, {} runs",
        args.runs
    ));
    let info = time_process(
        &links.path().join("xx-info"),
        &["triple"],
        &[("TARGETPLATFORM", "linux/arm64")],
        args.runs,
    )?;
    println!(
        "xx-info triple: median {} p90 {} min {} (target: median <= 1 ms)",
        ms(info.median),
        ms(info.p90),
        ms(info.min)
    );
    let true_bin = time_process(Path::new("/bin/true"), &[], &[], args.runs)?;
    println!(
        "/bin/true (process spawn floor): median {} p90 {}",
        ms(true_bin.median),
        ms(true_bin.p90)
    );
    println!(
        "xx-info triple above the spawn floor: median {}",
        ms(info.median.saturating_sub(true_bin.median))
    );
    if info.median > Duration::from_millis(1) {
        missed.push("xx-info triple median above 1 ms");
    }

    step("xx-verify: every ELF file under /usr/bin and /usr/lib/x86_64-linux-gnu, one process");
    let elfs = elf_files(&["/usr/bin", "/usr/lib/x86_64-linux-gnu"])?;
    let mut verify_args: Vec<&str> = vec!["--all"];
    verify_args.extend(elfs.iter().map(String::as_str));
    let many = time_process(
        &links.path().join("xx-verify"),
        &verify_args,
        &[("TARGETPLATFORM", "linux/amd64")],
        args.runs.clamp(5, 50),
    )?;
    println!(
        "xx-verify over {} ELF files: median {} p90 {} min {} (target: < 100 ms)",
        elfs.len(),
        ms(many.median),
        ms(many.p90),
        ms(many.min)
    );
    if many.median >= Duration::from_millis(100) {
        missed.push("xx-verify over all ELF files at or above 100 ms");
    }
    let one = time_process(
        &links.path().join("xx-verify"),
        &["/usr/bin/ls"],
        &[("TARGETPLATFORM", "linux/amd64")],
        args.runs,
    )?;
    println!(
        "xx-verify /usr/bin/ls: median {} p90 {} min {} (target: < 2 ms)",
        ms(one.median),
        ms(one.p90),
        ms(one.min)
    );
    if one.median >= Duration::from_millis(2) {
        missed.push("single-file xx-verify at or above 2 ms");
    }

    if args.check && !missed.is_empty() {
        bail!("missed targets: {}", missed.join("; "));
    }
    Ok(())
}
