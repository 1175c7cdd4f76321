//! Concurrent first runs of xx-clang, xx-cargo and xx-apt-get, for the
//! same target and for different targets, all succeed.
//!
//! A fresh bookworm sandbox (rustc-web, cargo-web, qemu-user; no target set
//! up, no foreign architecture added) runs eight jobs at once, each a short
//! Dockerfile-like sequence that starts with a first run:
//!
//! * linux/arm64: `xx-clang --setup-target-triple`;
//! * linux/arm64: `xx-apt-get install -y libz-dev`;
//! * linux/arm64: `xx-cargo --setup-target-triple` (which installs
//!   `libstd-rust-web-dev:arm64` itself), the C library, `xx-cargo build`
//!   of a hello crate;
//! * linux/arm64: `xx-clang++ --print-target-triple`, the C and C++
//!   libraries, a C++ hello;
//! * linux/s390x: `xx-clang --setup-target-triple` (lld cannot link s390x:
//!   xx-clang installs `binutils-s390x-linux-gnu` with apt), the C library,
//!   a C hello;
//! * linux/riscv64: `xx-clang --setup-target-triple` (GNU ld again:
//!   `binutils-riscv64-linux-gnu`);
//! * linux/arm/v7: `xx-apt-get install -y xx-c-essentials`, a C hello;
//! * linux/ppc64le: `xx-cargo --setup-target-triple`.
//!
//! All eight must exit 0 with the expected output; afterwards every program
//! passes `xx-verify` for its platform and runs under qemu-user, every
//! target's clang config exists (GNU ld for s390x and riscv64), xx-cargo's
//! records exist, and dpkg is consistent (`dpkg --audit` prints nothing,
//! every package is installed). The whole run is capped at [`CAP`] tasks;
//! the timings of each job are logged.

mod lang_support;

use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use lang_support::{assert_contains, fixture, tail, LangSandbox};
use xx_e2e::qemu_suffix;

/// Most tasks (processes and threads) the eight jobs may have at once:
/// eight jobs of up to about 40 tasks each (a cargo build with rustc's
/// threads, an apt-get with its download methods, clang and lld), with
/// room to spare; a tool that starts itself in a loop passes it at once.
const CAP: u64 = 512;

/// How long the eight jobs may take together (apt downloads the C
/// libraries of three architectures from the network).
const TIMEOUT: Duration = Duration::from_secs(1800);

/// One of the concurrent jobs.
struct Job {
    /// Log name.
    name: &'static str,
    platform: &'static str,
    /// The script, run with `sh -e` in `/src/jobs/<n>` (apt's output goes
    /// to stderr).
    script: &'static str,
    /// Its whole stdout.
    stdout: &'static str,
}

/// Install the target's C library quietly (apt's output to stderr).
const ESSENTIALS: &str = "xx-apt-get install -y xx-c-essentials 1>&2";

const JOBS: &[Job] = &[
    Job {
        name: "arm64 xx-clang setup",
        platform: "linux/arm64",
        script: "xx-clang --setup-target-triple\nxx-clang --print-target-triple",
        stdout: "aarch64-linux-gnu\n",
    },
    Job {
        name: "arm64 xx-apt-get libz-dev",
        platform: "linux/arm64",
        script:
            "xx-apt-get install -y libz-dev 1>&2\ndpkg -s zlib1g-dev:arm64 >/dev/null && echo zlib",
        stdout: "zlib\n",
    },
    Job {
        name: "arm64 xx-cargo build",
        platform: "linux/arm64",
        script: "xx-cargo --setup-target-triple
@ESSENTIALS@
cp -r /src/crate crate && cd crate
xx-cargo build -q
xx-verify target/aarch64-unknown-linux-gnu/debug/hello
cp target/aarch64-unknown-linux-gnu/debug/hello /out/arm64-cargo
echo built",
        stdout: "built\n",
    },
    Job {
        name: "arm64 xx-clang++ hello",
        platform: "linux/arm64",
        script: "xx-clang++ --print-target-triple
xx-apt-get install -y xx-c-essentials xx-cxx-essentials 1>&2
xx-clang++ -o /out/arm64-cpp /src/c/hello.cpp
xx-verify /out/arm64-cpp",
        stdout: "aarch64-linux-gnu\n",
    },
    Job {
        name: "s390x xx-clang hello (GNU ld)",
        platform: "linux/s390x",
        script: "xx-clang --setup-target-triple
@ESSENTIALS@
xx-clang -o /out/s390x-c /src/c/hello.c
xx-verify /out/s390x-c
echo built",
        stdout: "built\n",
    },
    Job {
        name: "riscv64 xx-clang setup (GNU ld)",
        platform: "linux/riscv64",
        script: "xx-clang --setup-target-triple\nxx-clang --print-target-triple",
        stdout: "riscv64-linux-gnu\n",
    },
    Job {
        name: "arm/v7 xx-apt-get xx-c-essentials",
        platform: "linux/arm/v7",
        script: "@ESSENTIALS@
xx-clang -o /out/armv7-c /src/c/hello.c
xx-verify /out/armv7-c
echo built",
        stdout: "built\n",
    },
    Job {
        name: "ppc64le xx-cargo setup",
        platform: "linux/ppc64le",
        script: "xx-cargo --setup-target-triple\nxx-cargo --print-target-triple",
        stdout: "powerpc64le-unknown-linux-gnu\n",
    },
];

/// The programs the jobs leave in `/out`, their platform and output.
const PROGRAMS: &[(&str, &str, &str)] = &[
    ("/out/arm64-cargo", "linux/arm64", "hello crate\n"),
    ("/out/arm64-cpp", "linux/arm64", "hello c++\n"),
    ("/out/s390x-c", "linux/s390x", "hello c\n"),
    ("/out/armv7-c", "linux/arm/v7", "hello c\n"),
];

/// The clang configs the jobs set up, and the linker each must name.
const CONFIGS: &[(&str, &str)] = &[
    ("aarch64-linux-gnu", "-fuse-ld=lld"),
    ("aarch64-unknown-linux-gnu", "-fuse-ld=lld"),
    ("s390x-linux-gnu", "-fuse-ld=/usr/bin/s390x-linux-gnu-ld"),
    (
        "riscv64-linux-gnu",
        "-fuse-ld=/usr/bin/riscv64-linux-gnu-ld",
    ),
    ("arm-linux-gnueabihf", "-fuse-ld=lld"),
    ("powerpc64le-unknown-linux-gnu", "-fuse-ld=lld"),
];

/// Packages the jobs install, one way or another.
const PACKAGES: &[&str] = &[
    "zlib1g-dev:arm64",
    "libc6-dev:arm64",
    "libstdc++-12-dev:arm64",
    "libstd-rust-web-dev:arm64",
    "libc6-dev:s390x",
    "binutils-s390x-linux-gnu",
    "binutils-riscv64-linux-gnu",
    "libc6-dev:armhf",
    "libstd-rust-web-dev:ppc64el",
];

#[test]
fn eight_concurrent_first_runs_all_succeed() -> Result<()> {
    let sandbox = LangSandbox::create("concurrency", &["rustc-web", "cargo-web", "qemu-user"])?;
    sandbox.copy_dir(&fixture("c"), "src/c")?;
    let mut setup = String::from(
        "mkdir -p /src/crate/src /out
printf '[package]\\nname = \"hello\"\\nversion = \"0.1.0\"\\nedition = \"2021\"\\n' > /src/crate/Cargo.toml
printf 'fn main() { println!(\"hello crate\"); }\\n' > /src/crate/src/main.rs
test \"$(dpkg --print-foreign-architectures)\" = ''
test ! -e /usr/bin/aarch64-linux-gnu.cfg
",
    );
    for (n, job) in JOBS.iter().enumerate() {
        setup.push_str(&format!(
            "mkdir -p /src/jobs/{n}\ncat > /src/jobs/{n}/job.sh <<'XX_EOF'\nexport TARGETPLATFORM={}\n{}\nXX_EOF\n",
            job.platform,
            job.script.replace("@ESSENTIALS@", ESSENTIALS)
        ));
    }
    sandbox.run_ok(&setup)?;

    // All eight at once; each records its exit status and start/end times.
    let mut runner = String::new();
    for n in 0..JOBS.len() {
        runner.push_str(&format!(
            "( set +e; cd /src/jobs/{n}; date +%s.%N > start; sh -e job.sh > stdout 2> stderr; echo $? > status; date +%s.%N > end ) &\n"
        ));
    }
    runner.push_str("wait\n");
    let started = Instant::now();
    let run = sandbox
        .sandbox()
        .run_capped("concurrency", &runner, CAP, TIMEOUT)?;
    sandbox.log(&format!(
        "{} jobs at once: {:.1?}, {}",
        JOBS.len(),
        started.elapsed(),
        run.peak_text()
    ));

    let read = |n: usize, file: &str| -> String {
        std::fs::read_to_string(
            sandbox
                .sandbox()
                .path()
                .join(format!("src/jobs/{n}/{file}")),
        )
        .unwrap_or_default()
    };
    let seconds = |text: String| text.trim().parse::<f64>().ok();
    let first_start = (0..JOBS.len())
        .filter_map(|n| seconds(read(n, "start")))
        .fold(f64::INFINITY, f64::min);
    let mut failures = Vec::new();
    for (n, job) in JOBS.iter().enumerate() {
        let status = read(n, "status");
        let stdout = read(n, "stdout");
        let timing = match (seconds(read(n, "start")), seconds(read(n, "end"))) {
            (Some(start), Some(end)) => format!(
                "started +{:.1}s, took {:.1}s",
                start - first_start,
                end - start
            ),
            _ => "did not finish".to_string(),
        };
        sandbox.log(&format!(
            "job {n} {:<36} exit {:<3} {timing}",
            job.name,
            status.trim()
        ));
        if status.trim() != "0" || stdout != job.stdout {
            failures.push(format!(
                "job {n} ({}, TARGETPLATFORM={}): exit {:?}, stdout {stdout:?} (expected exit 0, stdout {:?})\n--- stderr (last 40 lines)\n{}",
                job.name,
                job.platform,
                status.trim(),
                job.stdout,
                tail(&read(n, "stderr"), 40)
            ));
        }
    }
    run.ensure_bounded(&format!("{} concurrent first runs", JOBS.len()))?;
    if !failures.is_empty() {
        bail!(
            "{} of {} concurrent jobs failed:\n\n{}",
            failures.len(),
            JOBS.len(),
            failures.join("\n\n")
        );
    }

    // What they left behind.
    for (program, platform, output) in PROGRAMS {
        sandbox
            .run_ok(&format!("TARGETPLATFORM={platform} xx-verify {program}"))
            .with_context(|| format!("xx-verify {program} for {platform}"))?;
        assert_eq!(
            sandbox.qemu_stdout_inside(qemu_suffix(platform)?, program)?,
            *output,
            "{program} under qemu"
        );
    }
    for (triple, linker) in CONFIGS {
        let config = sandbox.run_ok(&format!("cat /usr/bin/{triple}.cfg"))?;
        assert_contains(&config, linker, &format!("{triple}.cfg"))?;
    }
    sandbox.run_ok("test -s /.xx-cargo.arm64\ntest -s /.xx-cargo.ppc64le")?;
    let audit = sandbox.run_ok("dpkg --audit")?;
    assert_eq!(audit, "", "dpkg --audit after the concurrent runs");
    let states = sandbox.run_ok(&format!(
        "dpkg-query -W -f='${{Package}}:${{Architecture}} ${{db:Status-Abbrev}}\\n' {}",
        PACKAGES.join(" ")
    ))?;
    for line in states.lines() {
        assert!(
            line.ends_with(" ii "),
            "not cleanly installed after the concurrent runs: {line}\n{states}"
        );
    }
    assert_eq!(
        states.lines().count(),
        PACKAGES.len(),
        "package states:\n{states}"
    );
    sandbox.log("programs verified and run, configs and records present, dpkg consistent");
    Ok(())
}
