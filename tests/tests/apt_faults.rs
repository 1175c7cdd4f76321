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
    Ok(())
}

/// Short network and retry bounds for the fault tests (the defaults are
/// 30 s per fetch, 3 update attempts and a 5 s first pause).
const FAST: &str =
    "XX_APT_TIMEOUT=2 XX_APT_FETCH_RETRIES=0 XX_APT_UPDATE_ATTEMPTS=2 XX_APT_RETRY_DELAY_MS=200";

/// Run `xx-apt-get ARGS` for `platform` in `sandbox` with [`FAST`] bounds;
/// returns the output and the seconds it took.
fn xx_apt_get(sandbox: &Sandbox, platform: &str, args: &str) -> Result<(Output, f64)> {
    let started = Instant::now();
    let output = sandbox.run(&format!(
        "{FAST} TARGETPLATFORM={platform} xx-apt-get {args}"
    ))?;
    Ok((output, started.elapsed().as_secs_f64()))
}

/// The `xx-apt-get:` lines of `output`'s stderr.
fn xx_lines(output: &Output) -> Vec<String> {
    stderr(output)
        .lines()
        .filter(|line| line.starts_with("xx-apt-get: "))
        .map(str::to_string)
        .collect()
}

/// Whether xx's own lock is free in `sandbox`.
fn xx_lock_is_free(sandbox: &Sandbox) -> Result<bool> {
    Ok(sandbox
        .run("flock -n /var/lock/xx-apt true")?
        .status
        .success())
}

/// The armhf fault: the build machine has a Multi-Arch: same
/// package from the security suite, whose armhf index disagrees with its
/// Release (mirror mid-sync). One error names the package, both versions
/// and suites, and the failed index with apt's reason, after retrying.
#[test]
fn security_skew_names_package_versions_and_failed_index() -> Result<()> {
    let (root, repo) = local_repo()?;
    repo.set_faults(Faults {
        truncate: vec![format!(
            "{}/main/binary-armhf/Packages",
            xx_e2e::SECURITY_SUITE
        )],
        ..Faults::default()
    });
    let sandbox = sandbox_on(
        &root,
        &repo,
        "fault-skew",
        &["bookworm", xx_e2e::SECURITY_SUITE],
    )?;
    sandbox.run_ok(
        "apt-get update -q >/dev/null && apt-get install -y -q linux-libc-dev >/dev/null",
    )?;
    let (run, seconds) = xx_apt_get(&sandbox, "linux/arm/v7", "install -y xx-c-essentials")?;
    let lines = xx_lines(&run);
    ensure!(
        !run.status.success(),
        "the install succeeded:\n{}",
        stderr(&run)
    );
    ensure!(
        lines.iter().any(|l| l.contains("retrying")),
        "no retry was said: {lines:#?}\n{}",
        stdout(&run)
    );
    let last = lines.last().cloned().unwrap_or_default();
    for part in [
        "linux-libc-dev",
        xx_e2e::SECURITY_VERSION_SUFFIX,
        "(from bookworm-security)",
        "armhf's candidate is",
        "(from bookworm)",
        "bookworm-security armhf index",
        "File has unexpected size",
    ] {
        ensure!(
            last.contains(part),
            "{part:?} not in the error: {last}\n{}",
            stderr(&run)
        );
    }
    ensure!(xx_lock_is_free(&sandbox)?, "xx's lock is still held");
    let left = sandbox.run_ok("dpkg -l | grep ':armhf' || true")?;
    ensure!(left.trim().is_empty(), "armhf packages installed: {left}");
    eprintln!("security skew: error after {seconds:.1} s: {last}");
    // The mirror has synced: the next run installs.
    repo.set_faults(Faults::default());
    let (again, _) = xx_apt_get(&sandbox, "linux/arm/v7", "install -y xx-c-essentials")?;
    ensure!(
        again.status.success(),
        "{}\n{}",
        stdout(&again),
        stderr(&again)
    );
    sandbox.run_ok(&format!(
        "dpkg -s linux-libc-dev:armhf | grep -q '^Version: .*{}'",
        xx_e2e::SECURITY_VERSION_SUFFIX
    ))?;
    Ok(())
}

/// An index that fails once (a mirror sync that passes) is fetched again,
/// and the run says it retried.
#[test]
fn update_retries_until_a_mirror_sync_passes() -> Result<()> {
    let (root, repo) = local_repo()?;
    let mut faults = Faults::default();
    faults
        .not_found_times
        .insert("bookworm/main/binary-arm64/Packages".into(), 1);
    repo.set_faults(faults);
    let sandbox = sandbox_on(&root, &repo, "fault-retry", &["bookworm"])?;
    let (run, _) = xx_apt_get(&sandbox, "linux/arm64", "install -y zlib1g-dev")?;
    ensure!(run.status.success(), "{}\n{}", stdout(&run), stderr(&run));
    let lines = xx_lines(&run).join("\n");
    ensure!(lines.contains("retrying in"), "{lines}");
    ensure!(lines.contains("succeeded on attempt 2"), "{lines}");
    sandbox.run_ok("test -f /usr/include/zlib.h && dpkg -s zlib1g-dev:arm64 >/dev/null")?;
    Ok(())
}

/// A first `dpkg --add-architecture` whose update fails installs nothing
/// and is undone; xx's lock is free afterwards.
#[test]
fn first_added_arch_is_rolled_back_when_its_index_fails() -> Result<()> {
    let (root, repo) = local_repo()?;
    repo.set_faults(Faults {
        not_found: vec!["binary-armhf/Packages".into()],
        ..Faults::default()
    });
    let sandbox = sandbox_on(&root, &repo, "fault-rollback", &["bookworm"])?;
    let (run, seconds) = xx_apt_get(&sandbox, "linux/arm/v7", "install -y zlib1g-dev")?;
    ensure!(run.status.code() == Some(1), "{}", stderr(&run));
    let last = xx_lines(&run).last().cloned().unwrap_or_default();
    for part in [
        "no package list for armhf",
        "bookworm armhf index",
        "404",
        "dpkg --add-architecture armhf undone",
    ] {
        ensure!(last.contains(part), "{part:?} not in: {last}");
    }
    let foreign = sandbox.run_ok("dpkg --print-foreign-architectures")?;
    ensure!(!foreign.contains("armhf"), "armhf still added: {foreign}");
    ensure!(xx_lock_is_free(&sandbox)?, "xx's lock is still held");
    eprintln!("rollback: error after {seconds:.1} s");
    Ok(())
}

/// The mirror refuses connections, resets them, or stalls: one line naming
/// the mirror, within a bounded time.
#[test]
fn unreachable_mirror_is_one_line_in_bounded_time() -> Result<()> {
    let (root, repo) = local_repo()?;
    let sandbox = sandbox_on(&root, &repo, "fault-unreachable", &["bookworm"])?;
    for (what, faults) in [
        (
            "reset",
            Faults {
                reset_all: true,
                ..Faults::default()
            },
        ),
        (
            "stall",
            Faults {
                stall_all: true,
                ..Faults::default()
            },
        ),
    ] {
        repo.set_faults(faults);
        let (run, seconds) = xx_apt_get(&sandbox, "linux/arm64", "install -y zlib1g-dev")?;
        let last = xx_lines(&run).last().cloned().unwrap_or_default();
        ensure!(run.status.code() == Some(1), "{what}: {}", stderr(&run));
        ensure!(
            last.contains("cannot be reached") && last.contains("127.0.0.1"),
            "{what}: {last}\n{}",
            stderr(&run)
        );
        ensure!(seconds < 60.0, "{what}: took {seconds:.0} s");
        eprintln!("{what}: error after {seconds:.1} s: {last}");
    }
    repo.set_faults(Faults::default());
    let url = repo.url();
    drop(repo);
    sandbox.run_ok(&format!(
        "echo 'deb [trusted=yes] {url} bookworm main' > /etc/apt/sources.list"
    ))?;
    let (run, seconds) = xx_apt_get(&sandbox, "linux/arm64", "install -y zlib1g-dev")?;
    let last = xx_lines(&run).last().cloned().unwrap_or_default();
    ensure!(
        last.contains("cannot be reached") && last.contains("Connection refused"),
        "refused: {last}\n{}",
        stderr(&run)
    );
    eprintln!("refused: error after {seconds:.1} s: {last}");
    ensure!(xx_lock_is_free(&sandbox)?, "xx's lock is still held");
    Ok(())
}

/// A `.deb` the index names is missing (the mirror is behind its index);
/// a package built for amd64 only; a name that exists nowhere.
#[test]
fn missing_debs_and_packages_name_their_cause() -> Result<()> {
    let (root, repo) = local_repo()?;
    let sandbox = sandbox_on(&root, &repo, "fault-missing", &["bookworm"])?;
    repo.set_faults(Faults {
        not_found: vec!["zlib1g-dev_1%3a1.2.13.dfsg-1_arm64.deb".into()],
        ..Faults::default()
    });
    let (run, _) = xx_apt_get(&sandbox, "linux/arm64", "install -y zlib1g-dev")?;
    let last = xx_lines(&run).last().cloned().unwrap_or_default();
    ensure!(!run.status.success(), "{}", stderr(&run));
    ensure!(
        last.contains("behind its own index") && last.contains("zlib1g-dev_"),
        "{last}\n{}",
        stderr(&run)
    );
    repo.set_faults(Faults::default());
    let (run, _) = xx_apt_get(
        &sandbox,
        "linux/arm/v7",
        &format!("install -y {}", xx_e2e::AMD64_ONLY_PACKAGE),
    )?;
    let last = xx_lines(&run).last().cloned().unwrap_or_default();
    ensure!(
        last == format!(
            "xx-apt-get: {} has no armhf build (apt knows it for amd64 only)",
            xx_e2e::AMD64_ONLY_PACKAGE
        ),
        "{last}\n{}",
        stderr(&run)
    );
    let (run, _) = xx_apt_get(&sandbox, "linux/arm64", "install -y libnowhere-xyz-dev")?;
    let last = xx_lines(&run).last().cloned().unwrap_or_default();
    ensure!(
        last == "xx-apt-get: package libnowhere-xyz-dev exists in none of the configured sources; check its name",
        "{last}\n{}",
        stderr(&run)
    );
    Ok(())
}

/// The disk fills up while dpkg unpacks: one line saying so and what to
/// clean; once there is room the next run finishes the install.
#[test]
fn disk_full_while_unpacking_then_recovered() -> Result<()> {
    let (root, repo) = local_repo()?;
    let sandbox = sandbox_on(&root, &repo, "fault-diskfull", &["bookworm"])?;
    let full = sandbox.path().join("usr/lib/aarch64-linux-gnu");
    std::fs::create_dir_all(&full)?;
    duct::cmd!(
        "mount",
        "-t",
        "tmpfs",
        "-o",
        "size=32k",
        "xx-e2e-full",
        &full
    )
    .run()?;
    let (run, _) = xx_apt_get(&sandbox, "linux/arm64", "install -y zlib1g-dev")?;
    duct::cmd!("umount", &full).run()?;
    let last = xx_lines(&run).last().cloned().unwrap_or_default();
    ensure!(!run.status.success(), "{}", stderr(&run));
    ensure!(
        last.contains("the disk is full")
            && last.contains("no space left in /")
            && last.contains("apt-get clean"),
        "{last}\n{}",
        stderr(&run)
    );
    let (again, _) = xx_apt_get(&sandbox, "linux/arm64", "install -y zlib1g-dev")?;
    ensure!(
        again.status.success(),
        "{}\n{}",
        stdout(&again),
        stderr(&again)
    );
    sandbox.run_ok("dpkg -s zlib1g-dev:arm64 | grep -q 'Status: install ok installed'")?;
    Ok(())
}

/// Processes of `sandbox` (their root is the sandbox) named `name`.
fn sandbox_pids(sandbox: &Sandbox, name: &str) -> Vec<i32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_string_lossy().parse::<i32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == name)
                && std::fs::read_link(format!("/proc/{pid}/root"))
                    .is_ok_and(|root| root == sandbox.path())
        })
        .collect()
}

/// Whether process `pid` runs with `word` among its arguments.
fn has_argument(pid: i32, word: &str) -> bool {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .is_ok_and(|cmdline| cmdline.split(|b| *b == 0).any(|arg| arg == word.as_bytes()))
}

/// SIGKILL to `victims` (process names) of `sandbox` once dpkg unpacks
/// there, during `xx-apt-get install` of the C essentials for arm64;
/// returns the killed run's output.
fn kill_during_install(sandbox: &Sandbox, victims: &[&str]) -> Result<Output> {
    std::thread::scope(|scope| {
        let run = scope.spawn(|| {
            xx_apt_get(
                sandbox,
                "linux/arm64",
                "install -y xx-c-essentials zlib1g-dev",
            )
        });
        let deadline = Instant::now() + std::time::Duration::from_secs(120);
        let mut killed = 0;
        while killed == 0 && Instant::now() < deadline && !run.is_finished() {
            let unpacking = sandbox_pids(sandbox, "dpkg")
                .into_iter()
                .any(|pid| has_argument(pid, "--unpack"));
            if unpacking {
                for victim in victims {
                    for pid in sandbox_pids(sandbox, victim) {
                        let Some(pid) = rustix::process::Pid::from_raw(pid) else {
                            continue;
                        };
                        if rustix::process::kill_process(pid, rustix::process::Signal::KILL).is_ok()
                        {
                            killed += 1;
                        }
                    }
                }
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        let output = run.join().map_err(|_| anyhow::anyhow!("run panicked"))??.0;
        ensure!(killed > 0, "nothing was killed:\n{}", stderr(&output));
        Ok(output)
    })
}

/// dpkg (or apt-get, or xx-apt-get itself) killed mid-install: the next
/// run finishes the job.
#[test]
fn killed_installs_are_finished_by_the_next_run() -> Result<()> {
    let (root, repo) = local_repo()?;
    for (name, victims) in [
        ("kill-dpkg", vec!["dpkg"]),
        ("kill-aptget", vec!["apt-get"]),
        ("kill-xx", vec!["xx-apt-get", "apt-get"]),
    ] {
        let sandbox = sandbox_on(&root, &repo, name, &["bookworm"])?;
        let killed = kill_during_install(&sandbox, &victims)?;
        ensure!(!killed.status.success(), "{name}: the killed run succeeded");
        // Whatever survived (dpkg after apt-get died) finishes first.
        let (again, seconds) = xx_apt_get(
            &sandbox,
            "linux/arm64",
            "install -y xx-c-essentials zlib1g-dev",
        )?;
        ensure!(
            again.status.success(),
            "{name}: {}\n{}",
            stdout(&again),
            stderr(&again)
        );
        sandbox.run_ok("dpkg --audit | grep . && exit 1 || true; dpkg -s libc6-dev:arm64 zlib1g-dev:arm64 >/dev/null")?;
        ensure!(
            xx_lock_is_free(&sandbox)?,
            "{name}: xx's lock is still held"
        );
        eprintln!(
            "{name}: next run recovered in {seconds:.1} s: {:?}",
            xx_lines(&again)
        );
    }
    Ok(())
}

/// xx's lock held by a live process is waited for with a message, up to
/// the bound, then one line.
#[test]
fn held_lock_is_waited_for_within_a_bound() -> Result<()> {
    let (root, repo) = local_repo()?;
    let sandbox = sandbox_on(&root, &repo, "fault-lock", &["bookworm"])?;
    let waited = sandbox.run(&format!(
        "flock /var/lock/xx-apt sleep 2 & sleep 0.3; XX_APT_LOCK_TIMEOUT=30 {FAST} xx-apt-get update >/dev/null"
    ))?;
    ensure!(waited.status.success(), "{}", stderr(&waited));
    ensure!(
        stderr(&waited).contains("xx-apt-get: waiting for /var/lock/xx-apt"),
        "{}",
        stderr(&waited)
    );
    let started = Instant::now();
    let gave_up = sandbox.run(&format!(
        "flock /var/lock/xx-apt sleep 5 & sleep 0.3; XX_APT_LOCK_TIMEOUT=1 {FAST} xx-apt-get update; s=$?; wait; exit $s"
    ))?;
    let seconds = started.elapsed().as_secs_f64();
    ensure!(gave_up.status.code() == Some(1), "{}", stderr(&gave_up));
    ensure!(
        stderr(&gave_up).contains("/var/lock/xx-apt is still held by")
            && stderr(&gave_up).contains("XX_APT_LOCK_TIMEOUT"),
        "{}",
        stderr(&gave_up)
    );
    eprintln!("held lock: gave up after {seconds:.1} s");
    Ok(())
}

/// How long a stalled mirror takes to fail with the default bounds (not
/// run by default: it waits on purpose; `cargo test -p xx-e2e --test
/// apt_faults -- --ignored stall_with_default_bounds --nocapture`).
#[test]
#[ignore]
fn stall_with_default_bounds() -> Result<()> {
    let (root, repo) = local_repo()?;
    let sandbox = sandbox_on(&root, &repo, "fault-stall-default", &["bookworm"])?;
    repo.set_faults(Faults {
        stall_all: true,
        ..Faults::default()
    });
    let started = Instant::now();
    let run = sandbox.run("TARGETPLATFORM=linux/arm64 xx-apt-get install -y zlib1g-dev")?;
    let seconds = started.elapsed().as_secs_f64();
    let last = xx_lines(&run).last().cloned().unwrap_or_default();
    ensure!(
        last.contains("cannot be reached"),
        "{last}\n{}",
        stderr(&run)
    );
    eprintln!("stall with default bounds: error after {seconds:.0} s: {last}");
    Ok(())
}
