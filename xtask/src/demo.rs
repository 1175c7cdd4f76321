//! `cargo xtask demo`: the main job for one target platform.

use anyhow::{Context, Result};

use crate::util::{build_xx, link_tools, step};

/// Options of `cargo xtask demo`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Target platform (os/arch[/variant]).
    #[arg(long, default_value = "linux/arm64")]
    pub platform: String,
    /// The Docker path: build the xx-rs image and examples/<example> with
    /// BuildKit on a local dockerd, then verify and run the result.
    #[arg(long)]
    pub docker: bool,
    /// The example the Docker path builds (c, cpp-cmake, rust, go).
    #[arg(long, default_value = "c", requires = "docker")]
    pub example: String,
}

/// Run the demo.
pub fn run(args: &Args) -> Result<()> {
    if args.docker {
        return crate::image::demo(&args.platform, &args.example);
    }
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
    let summary: serde_json::Value = serde_json::from_str(&json).context("xx-info --json")?;
    let field = |name: &str| summary[name].as_str().unwrap_or_default().to_string();

    // Everything below runs the xx-* tools from the links directory, for the
    // target, on this machine, as a Dockerfile's build stage would.
    let path = format!(
        "{}:{}",
        links.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let work = tempfile::tempdir().context("temporary directory")?;
    let hello_c = work.path().join("hello.c");
    std::fs::write(
        &hello_c,
        "#include <stdio.h>\nint main(void) { printf(\"hello from %s\\n\", XX_TARGET); return 0; }\n",
    )?;
    let platform = args.platform.as_str();
    let run_tool = |name: &str, tool_args: &[&str]| -> Result<()> {
        duct::cmd(links.path().join(name), tool_args)
            .env("TARGETPLATFORM", platform)
            .env("PATH", &path)
            .run()
            .with_context(|| format!("{name} {}", tool_args.join(" ")))?;
        Ok(())
    };

    step(&format!(
        "xx-apt-get install -y xx-c-essentials (target libc for {})",
        field("triple")
    ));
    run_tool("xx-apt-get", &["install", "-y", "-q", "xx-c-essentials"])?;

    step("xx-clang -o hello hello.c");
    let hello = work.path().join("hello");
    let define = format!("-DXX_TARGET=\"{platform}\"");
    run_tool(
        "xx-clang",
        &[
            "-O2",
            &define,
            "-o",
            hello.to_str().context("path")?,
            hello_c.to_str().context("path")?,
        ],
    )?;

    step("xx-verify hello");
    let verify = duct::cmd!(links.path().join("xx-verify"), "--json", &hello)
        .env("TARGETPLATFORM", platform)
        .read()
        .context("xx-verify rejected the program")?;
    println!("{verify}");

    if field("os") == "linux" {
        let qemu = field("qemu");
        step(&format!("{qemu} -L / hello"));
        let output = duct::cmd!(&qemu, "-L", "/", &hello)
            .read()
            .with_context(|| format!("{qemu} could not run the program"))?;
        println!("{output}");
    } else {
        step(&format!(
            "built a {} program; no emulator here runs it",
            field("os")
        ));
    }
    Ok(())
}
