//! Generated documentation: the list of supported platforms, rendered from
//! the tables so that docs/platforms.md cannot drift from the code.

use std::fmt::Write as _;

use crate::host::{HostInfo, OsRelease};
use crate::target::{RustToolchain, Target};
use crate::vars::MapVars;

fn host_for(distro: &str) -> HostInfo {
    HostInfo {
        machine: String::new(),
        os_release: Some(OsRelease {
            id: distro.to_string(),
            version_id: String::new(),
        }),
        alpine_release: false,
        macos_sdk: None,
    }
}

/// The Markdown text of docs/platforms.md.
pub fn platforms_markdown() -> String {
    let vars = MapVars::default();
    let mut text = String::from(
        "# Supported platforms\n\n\
         <!-- Generated from crates/xx-platform (arch.rs, os.rs, distro.rs) by\n\
         `XX_BLESS=1 cargo test -p xx-platform --test docs`; a test fails when it drifts. -->\n\n\
         Every `os/arch[/variant]` xx-rs maps, with the names it derives. Triples are shown for\n\
         a Debian/Ubuntu build stage and for an Alpine one; RHEL-family stages use the Debian\n\
         column's triple. `-` means the target has no such name.\n\n\
         | Platform | Triple (Debian) | Triple (Alpine) | Rust triple | uname -m | Debian | Alpine | RPM | Go | qemu |\n\
         |---|---|---|---|---|---|---|---|---|---|\n",
    );
    for platform in crate::supported_platforms() {
        let debian = Target::for_platform(platform.clone(), &vars, &host_for("debian"));
        let alpine = Target::for_platform(platform.clone(), &vars, &host_for("alpine"));
        let (Ok(debian), Ok(alpine)) = (debian, alpine) else {
            continue;
        };
        let (Ok(d), Ok(a)) = (debian.mapped(), alpine.mapped()) else {
            continue;
        };
        let rust = debian
            .rust_triple(&vars, RustToolchain::Rustup)
            .unwrap_or_else(|_| "-".into());
        let go = debian
            .go_env()
            .map(|env| {
                env.iter()
                    .filter(|(k, _)| **k != "GOOS")
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default();
        let linux = platform.os == "linux";
        let pkg = |name: &str| {
            if linux {
                format!("`{name}`")
            } else {
                "-".into()
            }
        };
        let _ = writeln!(
            text,
            "| `{platform}` | `{}` | `{}` | `{rust}` | `{}` | {} | {} | {} | `{go}` | {} |",
            d.triple,
            a.triple,
            d.march,
            pkg(d.arch.debian),
            pkg(d.arch.alpine),
            pkg(d.arch.rhel),
            if linux {
                format!("`qemu-{}`", d.arch.qemu)
            } else {
                "-".into()
            },
        );
    }
    text.push_str(
        "\nAliases accepted in `TARGETPLATFORM`, `TARGETPAIR` and `TARGETARCH`:\n\n\
         | Alias | Means |\n|---|---|\n",
    );
    for (alias, arch, variant) in crate::arch::ARCH_ALIASES {
        let means = if variant.is_empty() {
            arch.to_string()
        } else {
            format!("{arch}/{variant}")
        };
        let _ = writeln!(text, "| `{alias}` | `{means}` |");
    }
    for (alias, os) in crate::os::OS_ALIASES {
        let _ = writeln!(text, "| `{alias}` (OS) | `{os}` |");
    }
    text
}
