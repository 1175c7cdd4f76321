//! `cargo xtask demo`: the main job for one target platform.

use anyhow::{Context, Result};

use crate::util::{build_xx, link_tools, step};

/// Options of `cargo xtask demo`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Target platform (os/arch[/variant]).
    #[arg(long, default_value = "linux/arm64")]
    pub platform: String,
}

/// Run the demo.
pub fn run(args: &Args) -> Result<()> {
    step("building xx (release)");
    let xx = build_xx("release")?;
    let links = link_tools(&xx)?;
    let info = links.path().join("xx-info");

    step(&format!("xx-info for {}", args.platform));
    let json = duct::cmd!(&info, "--json")
        .env("TARGETPLATFORM", &args.platform)
        .read()
        .with_context(|| format!("xx-info --json for {}", args.platform))?;
    println!("{json}");
    Ok(())
}
