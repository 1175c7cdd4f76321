//! The table of tools the multicall binary provides, by link name.

use std::io::Write;

use anyhow::Result;
use xx_platform::Vars;

use crate::cmd;
use crate::exit::Outcome;

/// Entry point of one tool: arguments after argv[0], environment, stdout.
pub type ToolMain = fn(&[String], &dyn Vars, &mut dyn Write) -> Result<Outcome>;

/// One tool: the name it is invoked as and its entry point.
pub struct Tool {
    /// Link name, e.g. `xx-info`.
    pub name: &'static str,
    /// What it does, for `xx --help`.
    pub about: &'static str,
    /// Entry point.
    pub main: ToolMain,
}

/// Every tool, in the order `xx --help` lists them.
pub static TOOLS: &[Tool] = &[
    Tool {
        name: "xx-info",
        about: "print the target platform's triple, arch names, env",
        main: cmd::info::run,
    },
    Tool {
        name: "xx-apt",
        about: "apt for the target platform (adds its arch, rewrites package names)",
        main: cmd::apt::run_apt,
    },
    Tool {
        name: "xx-apt-get",
        about: "apt-get for the target platform (adds its arch, rewrites package names)",
        main: cmd::apt::run_apt_get,
    },
    Tool {
        name: "xx-apk",
        about: "apk for the target platform (a second apk root at /<triple>)",
        main: cmd::apk::run,
    },
    Tool {
        name: "xx-verify",
        about: "check that binaries are built for the target platform",
        main: cmd::verify::run,
    },
    Tool {
        name: "xx-clang",
        about: "clang for the target platform (sets up <triple>.cfg, aliases, linker)",
        main: cmd::cc::run_clang,
    },
    Tool {
        name: "xx-clang++",
        about: "clang++ for the target platform",
        main: cmd::cc::run_clangxx,
    },
    Tool {
        name: "xx-cc",
        about: "alias of xx-clang",
        main: cmd::cc::run_cc,
    },
    Tool {
        name: "xx-c++",
        about: "alias of xx-clang++",
        main: cmd::cc::run_cxx,
    },
    Tool {
        name: "xx-cargo",
        about: "cargo for the target platform (Rust std, linker, cc/pkg-config env, qemu runner)",
        main: cmd::cargo::run,
    },
    Tool {
        name: "xx-go",
        about: "go for the target platform (GOOS/GOARCH/GOARM..., cgo with the target clang)",
        main: cmd::go::run,
    },
];

/// Find a tool by link name (`xx-info`) or short name (`info`).
pub fn find(name: &str) -> Option<&'static Tool> {
    TOOLS
        .iter()
        .find(|tool| tool.name == name || tool.name.strip_prefix("xx-") == Some(name))
}

/// Comma-separated tool names, for error messages.
pub fn names() -> String {
    TOOLS
        .iter()
        .map(|tool| tool.name)
        .collect::<Vec<_>>()
        .join(", ")
}
