//! Mirror faults, end to end: a local Debian archive on 127.0.0.1
//! (`xx_e2e::LocalRepo`, real `.deb` files) with faults switched on, and
//! chroot sandboxes whose apt sources point at it only. Each test checks
//! the message the user sees and the state left on disk.

use std::process::Output;
use std::time::Instant;

use anyhow::{ensure, Result};
use xx_e2e::prereq_host::{install_packages_on, AptHost};
use xx_e2e::{DebianRoot, Faults, LocalRepo, RepoDebs, Sandbox};

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The test root, the cached packages and a server for them.
fn local_repo() -> Result<(DebianRoot, LocalRepo)> {
    let root = DebianRoot::ensure()?;
    let debs = RepoDebs::ensure(&root)?;
    let repo = LocalRepo::start(&debs)?;
    Ok((root, repo))
}

/// A sandbox whose apt knows only `suites` of `repo`.
fn sandbox_on(root: &DebianRoot, repo: &LocalRepo, name: &str, suites: &[&str]) -> Result<Sandbox> {
    let sandbox = root.sandbox(name)?;
    repo.use_in(&sandbox, suites)?;
    Ok(sandbox)
}

/// Point 0 of issue 17: `cargo xtask test`'s prerequisite install goes on
/// when a foreign architecture's index cannot be fetched, names it, and
/// still installs what is missing.
#[test]
fn prerequisites_install_past_a_failing_foreign_index() -> Result<()> {
    let (root, repo) = local_repo()?;
    repo.set_faults(Faults {
        not_found: vec!["binary-armhf/Packages".into()],
        ..Faults::default()
    });
    let sandbox = sandbox_on(&root, &repo, "prereq-foreign", &["bookworm"])?;
    sandbox.run_ok("dpkg --add-architecture armhf")?;
    let host = AptHost {
        chroot: Some(sandbox.path().to_path_buf()),
        apt_options: Vec::new(),
    };
    let passed_over = install_packages_on(&host, &["zlib1g-dev"])?;
    ensure!(
        passed_over
            .iter()
            .any(|f| f.url.ends_with("binary-armhf/Packages") && f.reason.contains("404")),
        "the failing armhf index was not named: {passed_over:?}"
    );
    ensure!(host.installed("zlib1g-dev"), "zlib1g-dev was not installed");
    // Nothing missing: no apt-get update at all.
    let before = repo.requests().len();
    let again = install_packages_on(&host, &["zlib1g-dev"])?;
    ensure!(
        again.is_empty() && repo.requests().len() == before,
        "a second run fetched"
    );
    let _ = (stdout, stderr, Instant::now);
    Ok(())
}

#[test]
#[ignore]
fn debug_repo() -> Result<()> {
    let (root, repo) = local_repo()?;
    let sandbox = sandbox_on(&root, &repo, "dbg", &["bookworm"])?;
    let out = sandbox.run("apt-get update; ls -la /var/lib/apt/lists; apt-cache policy zlib1g-dev; head -c 600 /var/lib/apt/lists/*amd64_Packages")?;
    println!("{}\n{}", stdout(&out), stderr(&out));
    std::fs::copy(repo.path().join("dists/bookworm/Release"), "/tmp/rel")?;
    Ok(())
}
