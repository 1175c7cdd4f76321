//! `cargo xtask demo`: the main job for one target platform.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::util::{build_xx, link_tools, step};

/// Options of `cargo xtask demo`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Target platform (os/arch[/variant]); with --docker, a
    /// comma-separated list built in one invocation per example.
    #[arg(long, value_delimiter = ',', default_value = "linux/arm64")]
    pub platform: Vec<String>,
    /// The Docker path: build the xx-rs image and the examples/ with
    /// BuildKit (buildx) on the xx-rs engine, then verify and run every
    /// artifact under qemu-user.
    #[arg(long)]
    pub docker: bool,
    /// The examples the Docker path builds (comma-separated: c, cpp-cmake,
    /// rust, go; all when not given).
    #[arg(long, value_delimiter = ',', requires = "docker")]
    pub example: Vec<String>,
}

/// Run the demo.
pub fn run(args: &Args) -> Result<()> {
    if args.docker {
        return crate::docker_demo::run(&args.platform, &args.example);
    }
    let [platform] = args.platform.as_slice() else {
        anyhow::bail!(
            "the demo without --docker takes one platform, not {}",
            args.platform.join(",")
        );
    };
    crate::prereq::install_packages(crate::prereq::DEMO_PACKAGES)?;
    step("building xx (release)");
    let xx = build_xx("release")?;
    let links = link_tools(&xx)?;
    let info = links.path().join("xx-info");

    step(&format!("xx-info for {platform}"));
    let json = duct::cmd!(&info, "--json")
        .env("TARGETPLATFORM", platform)
        .read()
        .with_context(|| format!("xx-info --json for {platform}"))?;
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
    let platform = platform.as_str();
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

    xx_verify(links.path(), platform, &hello)?;

    if field("os") != "linux" {
        step(&format!(
            "built a {} program; no emulator here runs it (the Rust part needs a Linux target)",
            field("os")
        ));
        return Ok(());
    }
    let qemu = field("qemu");
    run_under_qemu(&qemu, &hello)?;

    // The Rust hello: Debian's cargo and rustc (rustup cannot download a
    // target's standard library here; xx-cargo installs Debian's package
    // of it for the target instead).
    let rust_hello = write_rust_hello(work.path())?;
    step(
        "xx-cargo build --release (Debian's rustc-web; installs the target's libstd-rust-web-dev)",
    );
    let rust_path = format!("{}:/usr/bin:/bin:{}", links.path().display(), path);
    let xx_cargo = |args: &[&str]| {
        duct::cmd(links.path().join("xx-cargo"), args)
            .env("TARGETPLATFORM", platform)
            .env("PATH", &rust_path)
            .env("RUSTC", "/usr/bin/rustc")
            .env("XX_DEMO_PLATFORM", platform)
            .env_remove("RUSTUP_TOOLCHAIN")
            .env_remove("CARGO")
            .env_remove("CARGO_TARGET_DIR")
            .env_remove("RUSTFLAGS")
    };
    let target_dir = work.path().join("target");
    xx_cargo(&[
        "build",
        "--release",
        "--manifest-path",
        rust_hello.join("Cargo.toml").to_str().context("path")?,
        "--target-dir",
        target_dir.to_str().context("path")?,
    ])
    .run()
    .context("xx-cargo build")?;
    let rust_triple = xx_cargo(&["--print-target-triple"])
        .read()
        .context("xx-cargo --print-target-triple")?;
    let rust_binary = target_dir
        .join(rust_triple.trim())
        .join("release/hello-xx-rs");
    xx_verify(links.path(), platform, &rust_binary)?;
    run_under_qemu(&qemu, &rust_binary)?;
    report_written(&field("triple"), rust_triple.trim(), &field("arch"));
    Ok(())
}

/// Whether xx-clang wrote `path`: its config file, a link to an LLVM tool,
/// or one of its scripts (they carry "written by xx-rs" on line two).
fn written_by_xx(path: &Path) -> bool {
    if path.extension().is_some_and(|ext| ext == "cfg") {
        return true;
    }
    if let Ok(target) = std::fs::read_link(path) {
        return target.to_string_lossy().contains("llvm-");
    }
    std::fs::read(path).is_ok_and(|bytes| {
        let head = String::from_utf8_lossy(&bytes[..bytes.len().min(256)]).into_owned();
        head.lines()
            .nth(1)
            .is_some_and(|line| line.contains("written by xx-rs"))
    })
}

/// Say what the tools left on this machine outside the temporary build
/// folder: the target's packages (dpkg's foreign architecture, the target
/// libc and Rust standard library) and xx's own files next to clang. The
/// xx binary runs from the build tree, so no plain `clang` scripts are
/// written to `/usr/local/bin` (see docs/xx-clang.md).
fn report_written(triple: &str, rust_triple: &str, arch: &str) {
    let mut written: Vec<String> = Vec::new();
    for dir in ["/usr/bin", "/usr/lib/llvm-14/bin"] {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut names: Vec<String> = entries
            .flatten()
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .filter(|name| name.starts_with(triple) || name.starts_with(rust_triple))
            .filter(|name| written_by_xx(&Path::new(dir).join(name)))
            .collect();
        names.sort();
        if !names.is_empty() {
            written.push(format!("{dir}: {}", names.join(" ")));
        }
    }
    let record = format!("/.xx-cargo.{arch}");
    if Path::new(&record).is_file() {
        written.push(format!(
            "{record} (xx-cargo's record of the finished setup)"
        ));
    }
    step("what the xx tools wrote outside the build folder");
    for line in written {
        println!("  {line}");
    }
    println!("  and, through apt, the target's packages (dpkg --print-foreign-architectures)");
}

/// `xx-verify --json` of a program built for `platform`; prints the report.
fn xx_verify(links: &Path, platform: &str, program: &Path) -> Result<()> {
    let name = file_name(program);
    step(&format!("xx-verify {name}"));
    let report = duct::cmd!(links.join("xx-verify"), "--json", program)
        .env("TARGETPLATFORM", platform)
        .read()
        .with_context(|| format!("xx-verify rejected {name}"))?;
    println!("{report}");
    Ok(())
}

/// Run a target program with `qemu-<arch> -L /` and print its output.
fn run_under_qemu(qemu: &str, program: &Path) -> Result<()> {
    let name = file_name(program);
    step(&format!("{qemu} -L / {name}"));
    let output = duct::cmd!(qemu, "-L", "/", program)
        .read()
        .with_context(|| format!("{qemu} could not run {name}"))?;
    println!("{output}");
    Ok(())
}

/// The file name of `program`, for step headings and errors.
fn file_name(program: &Path) -> String {
    program
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// A Rust hello crate in `dir/hello-xx-rs`; it names the platform it was
/// built for (`XX_DEMO_PLATFORM` at build time).
fn write_rust_hello(dir: &Path) -> Result<PathBuf> {
    let root = dir.join("hello-xx-rs");
    std::fs::create_dir_all(root.join("src")).context("creating the Rust hello crate")?;
    std::fs::write(
        root.join("Cargo.toml"),
        "[package]\nname = \"hello-xx-rs\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
    )?;
    std::fs::write(
        root.join("src/main.rs"),
        "fn main() {\n    println!(\"hello from Rust, cross-compiled by xx-cargo for {} ({})\", env!(\"XX_DEMO_PLATFORM\"), std::env::consts::ARCH);\n}\n",
    )?;
    Ok(root)
}
