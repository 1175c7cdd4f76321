//! Every field of `xx-info` for every supported platform, on Debian, Ubuntu,
//! Alpine and a RHEL-family (Rocky) root, against a reviewed table.
//!
//! `tests/fixtures/xx-info/reference.tsv` (see info_compat.rs) pins what
//! tonistiigi/xx prints for the platforms it knows; this table also covers
//! what xx-rs adds (BSDs, ppc64, `rust-triple`, `go-env`). Regenerate after
//! a deliberate change with `XX_BLESS=1 cargo test -p xx --test info_table`
//! and review the diff.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

const ROOTS: &[&str] = &["debian", "ubuntu", "alpine", "rocky"];
const COMMANDS: &[&str] = &[
    "triple",
    "os",
    "arch",
    "variant",
    "march",
    "debian-arch",
    "alpine-arch",
    "rhel-arch",
    "pkg-arch",
    "vendor",
    "libc",
    "os-version",
    "sysroot",
    "rust-triple",
    "go-env",
    "env",
];

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn render() -> String {
    let mut table = String::new();
    for root in ROOTS {
        for platform in xx_platform::supported_platforms() {
            let platform = platform.to_string();
            for command in COMMANDS {
                let out = Command::new(env!("CARGO_BIN_EXE_xx"))
                    .args(["info", command])
                    .env_clear()
                    .env("PATH", "/usr/bin:/bin")
                    .env(
                        "XX_ROOT",
                        workspace().join("tests/fixtures/roots").join(root),
                    )
                    .env("TARGETPLATFORM", &platform)
                    .output()
                    .expect("run xx");
                let text = |bytes: &[u8]| {
                    String::from_utf8_lossy(bytes)
                        .trim_end_matches('\n')
                        .replace('\n', "\\n")
                };
                let _ = writeln!(
                    table,
                    "{root}\t{platform}\t{command}\t{}\t{}\t{}",
                    out.status.code().unwrap_or(-1),
                    text(&out.stdout),
                    text(&out.stderr)
                );
            }
        }
    }
    table
}

#[test]
fn every_field_of_every_platform_on_four_distros() {
    assert_eq!(
        std::env::consts::ARCH,
        "x86_64",
        "the table's is-cross/sysroot facts assume an x86_64 build machine"
    );
    let path = workspace().join("tests/fixtures/xx-info/table.tsv");
    let rendered = render();
    if std::env::var_os("XX_BLESS").is_some() {
        std::fs::write(&path, &rendered).expect("write table");
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    let differences: Vec<String> = expected
        .lines()
        .zip(rendered.lines())
        .filter(|(want, got)| want != got)
        .map(|(want, got)| format!("want {want}\n got {got}"))
        .collect();
    assert!(
        differences.is_empty() && expected.lines().count() == rendered.lines().count(),
        "{} rows differ (of {} expected, {} rendered):\n{}",
        differences.len(),
        expected.lines().count(),
        rendered.lines().count(),
        differences.join("\n")
    );
}
