//! `cargo xtask <task>`: the project's developer tasks.
//!
//! - `demo`: the main job, end to end, for one target platform.
//! - `test`: install every prerequisite, then run every check and test suite.
//! - `bench`: the speed targets (startup of `xx-info`, `xx-verify` throughput).
//! - `image`: the `COPY --from=xx` image, built with a local Docker engine.
//! - `apt-offline`: the package tests with the public mirror unreachable.

mod apt_offline;
mod bench;
mod bench_docker;
mod demo;
mod disk;
mod docker;
mod docker_demo;
mod engine_prefix;
mod image;
mod prereq;
mod test;
mod util;

use anyhow::Result;
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "cargo xtask", about = "xx-rs developer tasks")]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Debug, Subcommand)]
enum Task {
    /// Cross-compile for a target platform with xx-rs and verify the result.
    Demo(demo::Args),
    /// Install prerequisites (apt packages) and run all checks and tests.
    Test(test::Args),
    /// Install the packages the tests need, and nothing else.
    Prereqs,
    /// Measure the speed targets.
    Bench(bench::Args),
    /// Build the `COPY --from=xx` image (base-image/) with a local dockerd.
    Image(image::Args),
    /// Run the package tests (xx-apt-get, local archive) in a network
    /// namespace where only 127.0.0.1 exists: the public mirror is unreachable.
    AptOffline,
}

fn main() -> Result<()> {
    match Cli::parse().task {
        Task::Demo(args) => demo::run(&args),
        Task::Test(args) => test::run(&args),
        Task::Prereqs => prereq::install(),
        Task::Bench(args) => bench::run(&args),
        Task::Image(args) => image::run(&args),
        Task::AptOffline => apt_offline::run(),
    }
}
