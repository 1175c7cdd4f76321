//! Faults of the xx-rs Docker engine itself, each on a separate throwaway
//! engine (its own run and state folders, the shared engine prefix), so
//! the suite's engine is never damaged:
//!
//! - a data root whose build cache records point at snapshots that are
//!   gone (what a run killed mid-way left on one machine: `docker builder
//!   prune` then failed with "snapshot ... not found" on every later run)
//!   is repaired when the engine is opened, with one line saying so, and
//!   the next build passes;
//! - a containerd or dockerd that cannot start fails with the last lines
//!   of its own log, and leaves no process behind.
//!
//! The kill-mid-build fault is in docker.rs
//! (`engine_recovers_from_a_build_killed_mid_way`). Needs root and the
//! buildx engine (skipped with the classic one).

use std::path::{Path, PathBuf};

use anyhow::{bail, ensure, Context, Result};
use xx_e2e::docker::{
    copy_image, export_dir, kill_rooted_below, shared_dockerd, unmount_below, BuildOutput,
    BuildRequest, Dockerd, DockerdPaths, EngineKind, DEBIAN_IMAGE,
};

/// A throwaway engine's folders, removed (with anything still running or
/// mounted below them) when dropped.
struct ThrowawayEngine {
    run_dir: PathBuf,
    state: tempfile::TempDir,
}

impl ThrowawayEngine {
    fn new(name: &str) -> Result<ThrowawayEngine> {
        let run_dir = PathBuf::from(format!("/run/xx-rs-buildx-{name}"));
        let _ = std::fs::remove_dir_all(&run_dir);
        let state = tempfile::Builder::new()
            .prefix(&format!("xx-rs-buildx-{name}."))
            .tempdir_in("/var/tmp")
            .context("temporary state folder")?;
        Ok(ThrowawayEngine { run_dir, state })
    }

    fn paths(&self) -> DockerdPaths {
        DockerdPaths::separate(EngineKind::Buildx, &self.run_dir, self.state.path())
    }

    /// Processes still rooted below the engine's folders (killed).
    fn survivors(&self) -> usize {
        kill_rooted_below(&[self.state.path(), &self.run_dir])
    }
}

impl Drop for ThrowawayEngine {
    fn drop(&mut self) {
        kill_rooted_below(&[self.state.path(), &self.run_dir]);
        for dir in [self.state.path(), self.run_dir.as_path()] {
            unmount_below(dir);
        }
        let _ = std::fs::remove_dir_all(&self.run_dir);
    }
}

/// Whether the buildx engine is the one under test (else say why not).
fn buildx_engine() -> bool {
    if !matches!(EngineKind::from_env(), Ok(EngineKind::Buildx)) {
        xx_e2e::skip(
            "docker_faults",
            "the engine fault tests need the buildx engine (XX_DOCKER_ENGINE=classic)",
        );
        return false;
    }
    true
}

/// A build with layers and a cache mount, so the engine's build cache
/// holds records backed by snapshots (through [`Dockerd::build`], which
/// repairs what it can).
fn build_something(engine: &Dockerd, context: &Path, step: &str) -> Result<()> {
    let dockerfile = context.join(format!("Dockerfile.{step}"));
    let text = std::fs::read_to_string(context.join("Dockerfile"))
        .context("cannot read the Dockerfile")?
        .replace("ARG STEP=first", &format!("ARG STEP={step}"));
    std::fs::write(&dockerfile, text).context("cannot write the Dockerfile")?;
    let out = export_dir("xx-docker-damage-out-")?;
    engine.build(&BuildRequest {
        context,
        dockerfile: &dockerfile,
        platforms: &["linux/amd64"],
        output: BuildOutput::Local(out.path()),
        show_progress: false,
    })
}

/// How the data root is damaged between two runs.
#[derive(Debug, Clone, Copy)]
enum Damage {
    /// The snapshots behind the build cache's records are removed from
    /// containerd while the records stay (what a killed run left on one
    /// machine: "failed to get usage ... snapshot ... not found").
    SnapshotsGone,
    /// The snapshot folders are gone from disk, containerd's records of
    /// them stay.
    SnapshotFoldersGone,
    /// BuildKit's cache database is garbled (a write cut short).
    GarbledCacheDatabase,
}

#[test]
fn a_build_cache_without_its_snapshots_is_repaired_with_one_line() -> Result<()> {
    damaged_data_root_is_repaired(Damage::SnapshotsGone)
}

#[test]
fn snapshot_folders_gone_from_disk_are_repaired() -> Result<()> {
    damaged_data_root_is_repaired(Damage::SnapshotFoldersGone)
}

#[test]
fn a_garbled_build_cache_database_is_repaired_with_one_line() -> Result<()> {
    damaged_data_root_is_repaired(Damage::GarbledCacheDatabase)
}

fn damaged_data_root_is_repaired(damage: Damage) -> Result<()> {
    if !buildx_engine() {
        return Ok(());
    }
    // Held for the whole test: the Debian base comes from it.
    let shared = shared_dockerd()?;
    shared.ensure_debian_base()?;
    let name = match damage {
        Damage::SnapshotsGone => "snapshots-test",
        Damage::SnapshotFoldersGone => "folders-test",
        Damage::GarbledCacheDatabase => "cachedb-test",
    };
    let throwaway = ThrowawayEngine::new(name)?;
    let paths = throwaway.paths();

    let context = export_dir("xx-docker-damage-")?;
    std::fs::write(
        context.path().join("Dockerfile"),
        format!(
            "FROM {DEBIAN_IMAGE}\n\
             ARG STEP=first\n\
             RUN --mount=type=cache,target=/cache,id=xx-damage-test \\\n    \
             dd if=/dev/zero of=/cache/$STEP bs=1M count=8 status=none\n\
             RUN echo $STEP > /step && dd if=/dev/zero of=/layer bs=1M count=4 status=none\n"
        ),
    )
    .context("cannot write the Dockerfile")?;
    {
        let first = Dockerd::start_or_reuse(paths.clone())?;
        ensure!(
            first.started_here(),
            "no engine may answer on the test's socket yet"
        );
        ensure!(
            first.repairs().is_empty(),
            "a fresh engine needed repairs: {:?}",
            first.repairs()
        );
        copy_image(&shared, &first, DEBIAN_IMAGE)?;
        build_something(&first, context.path(), "first")?;
        if let Damage::SnapshotsGone = damage {
            remove_snapshots(&first, &paths)?;
        }
        // Dropped here: the engine stops, its data stays.
    }
    if let Damage::SnapshotFoldersGone = damage {
        let snapshots = paths
            .state_dir
            .join("containerd/io.containerd.snapshotter.v1.overlayfs/snapshots");
        let mut removed = 0;
        for entry in std::fs::read_dir(&snapshots)
            .with_context(|| format!("no snapshots at {}", snapshots.display()))?
        {
            let entry = entry?;
            std::fs::remove_dir_all(entry.path())
                .with_context(|| format!("cannot remove {}", entry.path().display()))?;
            removed += 1;
        }
        ensure!(
            removed > 0,
            "no snapshot folders at {}",
            snapshots.display()
        );
    }
    if let Damage::GarbledCacheDatabase = damage {
        let db = paths.data_root().join("buildkit/cache.db");
        ensure!(
            db.is_file(),
            "no BuildKit cache database at {}",
            db.display()
        );
        std::fs::write(&db, vec![0x5a; 64 * 1024]).context("cannot garble cache.db")?;
    }

    // The next run repairs it, says so in one line per repair, and the
    // same build (and a new one) passes. Some damage only shows when a
    // build uses the lost snapshots: that build empties the cache and
    // retries, or marks the data root for a reset at the next opening.
    let mut repairs = Vec::new();
    let mut next = Dockerd::start_or_reuse(paths.clone())?;
    let mut reopened = false;
    loop {
        ensure_debian_base_in(&shared, &next)?;
        let built = build_something(&next, context.path(), "first");
        repairs.extend(next.repairs());
        match built {
            Ok(()) => break,
            Err(err) if !reopened => {
                eprintln!(
                    "the first build after {damage:?} failed; the next run must recover:\n{err:#}"
                );
                drop(next);
                next = Dockerd::start_or_reuse(paths.clone())?;
                reopened = true;
            }
            Err(err) => return Err(err.context(format!("the second run after {damage:?}"))),
        }
    }
    build_something(&next, context.path(), "second")?;
    eprintln!("repairs said after {damage:?}: {repairs:#?}");
    ensure!(
        !repairs.is_empty(),
        "the damaged data root at {} ({damage:?}) was used without a repair",
        paths.data_root().display()
    );
    for line in &repairs {
        ensure!(
            !line.contains('\n') && line.starts_with("xx-rs engine: "),
            "a repair must be one line starting with 'xx-rs engine: ': {line:?}"
        );
        ensure!(
            line.contains(&paths.data_root().display().to_string()),
            "the repair line must name the data root: {line:?}"
        );
    }
    next.trim().context("pruning after the repair")?;
    drop(next);
    ensure!(
        throwaway.survivors() == 0,
        "engine processes outlived the test"
    );
    Ok(())
}

/// Load the Debian base into `to` unless it has it (a reset data root
/// has nothing).
fn ensure_debian_base_in(from: &Dockerd, to: &Dockerd) -> Result<()> {
    let has_base = to
        .docker(["image", "inspect", DEBIAN_IMAGE])
        .stdout_null()
        .stderr_null()
        .unchecked()
        .run()
        .is_ok_and(|out| out.status.success());
    if has_base {
        return Ok(());
    }
    copy_image(from, to, DEBIAN_IMAGE)
}

/// Remove, behind dockerd's back, every snapshot of the engine's
/// containerd namespace that nothing else depends on, leaves first.
fn remove_snapshots(engine: &Dockerd, paths: &DockerdPaths) -> Result<()> {
    let prefix = engine.prefix().context("the buildx engine has a prefix")?;
    let ctr = prefix.root().join("usr/bin/ctr");
    let socket = paths.run_dir.join("containerd.sock");
    let ctr = |args: &[&str]| {
        duct::cmd(
            &ctr,
            [
                "--address",
                socket.to_str().unwrap_or_default(),
                "-n",
                "moby",
            ]
            .iter()
            .copied()
            .chain(args.iter().copied()),
        )
        .stderr_to_stdout()
        .stdout_capture()
        .unchecked()
        .run()
    };
    let mut removed = 0;
    for _round in 0..16 {
        let listed = ctr(&["snapshots", "ls"]).context("ctr snapshots ls")?;
        let listed = String::from_utf8_lossy(&listed.stdout).into_owned();
        let keys: Vec<&str> = listed
            .lines()
            .skip(1)
            .filter_map(|line| line.split_whitespace().next())
            .collect();
        if keys.is_empty() {
            break;
        }
        let mut progress = false;
        for key in keys {
            if ctr(&["snapshots", "rm", key]).is_ok_and(|out| out.status.success()) {
                removed += 1;
                progress = true;
            }
        }
        if !progress {
            break;
        }
    }
    ensure!(
        removed > 0,
        "no snapshot could be removed: the engine's layout changed"
    );
    eprintln!("removed {removed} snapshots behind the engine's back");
    Ok(())
}

#[test]
fn a_data_root_marked_damaged_by_a_build_is_reset_at_the_next_opening() -> Result<()> {
    if !buildx_engine() {
        return Ok(());
    }
    // What a build leaves when its retry on an emptied build cache failed
    // on missing snapshots again (Dockerd::build): the marker file.
    let throwaway = ThrowawayEngine::new("marker-test")?;
    let paths = throwaway.paths();
    std::fs::create_dir_all(paths.data_root().join("leftover"))?;
    std::fs::write(
        paths.state_dir.join("data-root-damaged"),
        "#7 ERROR: failed to prepare x as y: parent snapshot x does not exist: not found\n",
    )?;
    let engine = Dockerd::start_or_reuse(paths.clone())?;
    let repairs = engine.repairs();
    ensure!(
        repairs.len() == 1
            && repairs[0].contains("an earlier build found the data root")
            && repairs[0].contains("parent snapshot x does not exist"),
        "one repair line naming the cause expected: {repairs:?}"
    );
    ensure!(
        !paths.data_root().join("leftover").exists(),
        "the data root was not reset"
    );
    ensure!(
        !paths.state_dir.join("data-root-damaged").exists(),
        "the marker stays after the reset"
    );
    drop(engine);
    ensure!(
        throwaway.survivors() == 0,
        "engine processes outlived the test"
    );
    Ok(())
}

/// The error of a failed start: names the program, points at its log and
/// shows the log's last lines (which hold `needle`).
fn check_start_error(err: &anyhow::Error, program: &str, needle: &str) -> Result<()> {
    let text = format!("{err:#}");
    eprintln!("start error:\n{text}");
    ensure!(
        text.contains(program) && text.contains("did not start") && text.contains("(see "),
        "the error must name {program} and its log: {text}"
    );
    ensure!(
        text.contains(needle),
        "the error must show the log's last lines (with {needle:?}): {text}"
    );
    Ok(())
}

#[test]
fn a_containerd_that_cannot_start_shows_its_log() -> Result<()> {
    if !buildx_engine() {
        return Ok(());
    }
    // A run folder whose socket path is longer than a unix socket address
    // may be (108 bytes): containerd fails to listen and exits.
    let throwaway = ThrowawayEngine::new(&format!("start-test-{}", "x".repeat(100)))?;
    let err = match Dockerd::start_or_reuse(throwaway.paths()) {
        Ok(_) => bail!("an engine started on a socket path longer than 108 bytes"),
        Err(err) => err,
    };
    check_start_error(&err, "containerd", "containerd.sock")?;
    ensure!(
        throwaway.survivors() == 0,
        "processes outlived the failed start"
    );
    Ok(())
}

#[test]
fn a_dockerd_that_cannot_start_shows_its_log() -> Result<()> {
    if !buildx_engine() {
        return Ok(());
    }
    // A data root that is a file: containerd starts, dockerd cannot.
    let throwaway = ThrowawayEngine::new("dockerd-start-test")?;
    let paths = throwaway.paths();
    std::fs::write(paths.data_root(), "not a folder\n").context("cannot write the file")?;
    let err = match Dockerd::start_or_reuse(paths.clone()) {
        Ok(_) => bail!("dockerd started with a file as its data root"),
        Err(err) => err,
    };
    check_start_error(&err, "dockerd", "points to a file")?;
    ensure!(
        paths.data_root().is_file(),
        "a data root that is not the engine's own folder must not be reset"
    );
    ensure!(
        throwaway.survivors() == 0,
        "processes outlived the failed start"
    );
    // Its containerd was stopped as well.
    let containerd_pid = std::fs::read_to_string(paths.run_dir.join("containerd.pid"))
        .ok()
        .and_then(|text| text.trim().parse::<i32>().ok());
    if let Some(pid) = containerd_pid {
        ensure!(
            !Path::new(&format!("/proc/{pid}")).exists()
                || std::fs::read_to_string(format!("/proc/{pid}/stat"))
                    .is_ok_and(|stat| stat.contains(") Z ")),
            "containerd (pid {pid}) still runs after dockerd failed to start"
        );
    }
    Ok(())
}

#[test]
fn a_build_that_fails_on_one_platform_names_it() -> Result<()> {
    if !buildx_engine() {
        return Ok(());
    }
    let shared = shared_dockerd()?;
    shared.ensure_debian_base()?;
    let context = export_dir("xx-docker-one-fails-")?;
    let dockerfile = context.path().join("Dockerfile");
    std::fs::write(
        &dockerfile,
        format!(
            "FROM --platform=$BUILDPLATFORM {DEBIAN_IMAGE} AS build\n\
             ARG TARGETARCH\n\
             RUN echo building for $TARGETARCH && test \"$TARGETARCH\" != riscv64\n\
             FROM scratch\n\
             COPY --from=build /etc/debian_version /\n"
        ),
    )?;
    let out = export_dir("xx-docker-one-fails-out-")?;
    let err = match shared.build(&BuildRequest {
        context: context.path(),
        dockerfile: &dockerfile,
        platforms: &["linux/amd64", "linux/riscv64", "linux/arm64"],
        output: BuildOutput::Local(out.path()),
        show_progress: false,
    }) {
        Ok(()) => bail!("a build whose RUN fails for riscv64 passed"),
        Err(err) => format!("{err:#}"),
    };
    let first = err.lines().next().unwrap_or_default();
    ensure!(
        first.contains("failed for linux/riscv64"),
        "the error's first line must name the platform: {err}"
    );
    ensure!(
        err.contains("building for riscv64") && err.contains("did not complete successfully"),
        "the error must show the failed step: {err}"
    );
    Ok(())
}

#[test]
fn trim_bounds_what_the_engine_takes_on_disk() -> Result<()> {
    if !buildx_engine() {
        return Ok(());
    }
    let shared = shared_dockerd()?;
    shared.ensure_debian_base()?;
    let throwaway = ThrowawayEngine::new("disk-test")?;
    let mut engine = Dockerd::start_or_reuse(throwaway.paths())?;
    copy_image(&shared, &engine, DEBIAN_IMAGE)?;
    let context = export_dir("xx-docker-disk-")?;
    std::fs::write(
        context.path().join("Dockerfile"),
        format!(
            "FROM {DEBIAN_IMAGE}\n\
             ARG STEP=first\n\
             RUN --mount=type=cache,target=/cache,id=xx-disk-test \\\n    \
             dd if=/dev/zero of=/cache/$STEP bs=1M count=64 status=none\n\
             RUN echo $STEP > /step && dd if=/dev/zero of=/layer bs=1M count=64 status=none\n"
        ),
    )?;
    build_something(&engine, context.path(), "first")?;
    let before = engine.disk_usage();
    let records = |engine: &Dockerd| -> Result<usize> {
        let out = engine
            .docker(["buildx", "du", "--verbose"])
            .stdout_capture()
            .run()
            .context("docker buildx du")?;
        Ok(String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|line| line.starts_with("ID:"))
            .count())
    };
    let records_before = records(&engine)?;
    // A bound below what the base image alone takes: every record goes
    // (the recent ones last), the images stay.
    engine.set_disk_bound(1 << 20);
    engine.trim()?;
    let after = engine.disk_usage();
    eprintln!(
        "disk usage {before} -> {after} bytes, build cache records {records_before} -> {}",
        records(&engine)?
    );
    ensure!(records_before > 0, "the build left no cache record");
    ensure!(
        records(&engine)? == 0,
        "records survived a trim over the bound"
    );
    ensure!(
        after + (100 << 20) < before,
        "the trim freed less than the build's 128 MiB ({before} -> {after} bytes)"
    );
    drop(engine);
    ensure!(
        throwaway.survivors() == 0,
        "engine processes outlived the test"
    );
    Ok(())
}
