//! `cargo xtask apt-offline`: the package tests with the public mirror
//! unreachable. They run in a new network namespace that has only a
//! loopback interface (`unshare --net`, then `ip link set lo up`): the
//! local archive on 127.0.0.1 is served there, every other address is
//! unreachable. Tests that need the public mirror skip, saying so.
//!
//! Needs root, the cached test root and the cached package downloads (run
//! the package tests once with the network first); builds before leaving
//! the network, then runs `cargo test --offline`.

use anyhow::{Context, Result};

use crate::util::{step, workspace_root};

/// The variable naming the tests' skip log (tests/src/skip.rs).
const SKIP_LOG_VAR: &str = "XX_E2E_SKIP_LOG";

/// The package test targets of the xx-e2e crate.
const TESTS: &[&str] = &["apt_faults", "apt"];

/// Build the package tests, then run them without a network.
pub fn run() -> Result<()> {
    let root = workspace_root();
    let mut build = vec!["test", "--no-run", "-p", "xx-e2e"];
    for test in TESTS {
        build.extend(["--test", test]);
    }
    step("building the package tests (with the network)");
    duct::cmd("cargo", &build)
        .dir(&root)
        .run()
        .context("cargo test --no-run")?;
    let mut test = "cargo test --offline -p xx-e2e".to_string();
    for name in TESTS {
        test.push_str(&format!(" --test {name}"));
    }
    test.push_str(" -- --test-threads=2");
    step(&format!(
        "the package tests in a network namespace with only 127.0.0.1: {test}"
    ));
    let script = format!(
        "ip link set lo up\n\
         if getent hosts deb.debian.org >/dev/null 2>&1 && timeout 5 bash -c 'exec 3<>/dev/tcp/deb.debian.org/80' 2>/dev/null; then\n\
           echo 'the public mirror is reachable: not an offline run' >&2; exit 1\n\
         fi\n\
         echo 'xtask: deb.debian.org cannot be reached from here' >&2\n\
         exec {test}"
    );
    let skips = tempfile::NamedTempFile::new().context("cannot make the skip log")?;
    let result = duct::cmd!("unshare", "--net", "--", "bash", "-ec", script)
        .dir(&root)
        .env(SKIP_LOG_VAR, skips.path())
        .run()
        .context("the package tests failed without a network");
    let skipped = std::fs::read_to_string(skips.path()).unwrap_or_default();
    step(&format!(
        "skipped (they need the public mirror): {}",
        skipped.lines().count()
    ));
    eprint!("{skipped}");
    result?;
    step("the package tests passed with the public mirror unreachable");
    Ok(())
}
