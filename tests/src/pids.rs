//! Running sandbox commands under a cap on their number of tasks (a pids
//! cgroup, v1 hierarchy at `/sys/fs/cgroup/pids`) and a timeout, so that a
//! tool that runs itself in a loop fails the test with a clear message
//! instead of filling the machine or hanging.

use std::path::PathBuf;
use std::process::Output;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::sandbox::Sandbox;

/// Where the v1 pids controller is mounted.
const PIDS_HIERARCHY: &str = "/sys/fs/cgroup/pids";

/// A pids cgroup of its own, removed (after killing whatever is left in
/// it) when dropped.
#[derive(Debug)]
pub struct PidsCap {
    dir: PathBuf,
    max: u64,
}

impl PidsCap {
    /// A new cgroup `xx-e2e-<label>-<test pid>-<n>` allowing at most `max`
    /// tasks (processes and threads) at once.
    pub fn create(label: &str, max: u64) -> Result<PidsCap> {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let hierarchy = PathBuf::from(PIDS_HIERARCHY);
        if !hierarchy.join("cgroup.procs").is_file() {
            bail!("no cgroup v1 pids hierarchy at {PIDS_HIERARCHY}: the pids cap cannot be set");
        }
        let name = format!(
            "xx-e2e-{label}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let dir = hierarchy.join(name);
        std::fs::create_dir(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        // From here on, Drop removes the cgroup.
        let cap = PidsCap { dir, max };
        cap.write("pids.max", &max.to_string())?;
        Ok(cap)
    }

    /// The cap.
    pub fn max(&self) -> u64 {
        self.max
    }

    /// The cgroup's `cgroup.procs`: writing a pid there moves that process
    /// (and its future children) into the cgroup.
    pub fn procs_file(&self) -> PathBuf {
        self.dir.join("cgroup.procs")
    }

    /// How many times a fork or clone failed at the cap (`pids.events`).
    pub fn times_hit(&self) -> Result<u64> {
        let text = self.read("pids.events")?;
        text.lines()
            .find_map(|line| line.strip_prefix("max "))
            .and_then(|count| count.trim().parse().ok())
            .with_context(|| format!("no `max N` line in pids.events: {text:?}"))
    }

    /// The most tasks the cgroup held at once (`pids.peak`; `None` on
    /// kernels without it).
    pub fn peak(&self) -> Option<u64> {
        self.read("pids.peak").ok()?.trim().parse().ok()
    }

    fn read(&self, file: &str) -> Result<String> {
        let path = self.dir.join(file);
        std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))
    }

    fn write(&self, file: &str, value: &str) -> Result<()> {
        let path = self.dir.join(file);
        std::fs::write(&path, value).with_context(|| format!("cannot write {}", path.display()))
    }

    /// Pids still in the cgroup.
    fn members(&self) -> Vec<i32> {
        self.read("cgroup.procs")
            .unwrap_or_default()
            .lines()
            .filter_map(|line| line.trim().parse().ok())
            .collect()
    }
}

impl Drop for PidsCap {
    fn drop(&mut self) {
        // Leftovers (a runaway that outlived `timeout`'s process group)
        // are killed until the cgroup is empty, for at most ten seconds.
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let members = self.members();
            if members.is_empty() && std::fs::remove_dir(&self.dir).is_ok() {
                return;
            }
            if Instant::now() > deadline {
                eprintln!(
                    "xx-e2e: cannot remove the cgroup {} (still holds {members:?})",
                    self.dir.display()
                );
                return;
            }
            for pid in members {
                if let Some(pid) = rustix::process::Pid::from_raw(pid) {
                    let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// What a capped command did.
#[derive(Debug)]
pub struct CappedRun {
    /// Its exit status and captured output.
    pub output: Output,
    /// The cap it ran under.
    pub max: u64,
    /// How many task creations failed at the cap (0 for a good run).
    pub times_hit: u64,
    /// The most tasks it had at once, when the kernel reports it.
    pub peak: Option<u64>,
    /// Whether it ran out of time and was killed.
    pub timed_out: bool,
    /// How long it took.
    pub elapsed: Duration,
}

impl CappedRun {
    /// Stdout as text.
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    /// Stderr as text.
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    /// The exit code (`None` when killed by a signal).
    pub fn code(&self) -> Option<i32> {
        self.output.status.code()
    }

    /// `peak 12/64`, or `peak ?/64`.
    pub fn peak_text(&self) -> String {
        match self.peak {
            Some(peak) => format!("peak {peak}/{}", self.max),
            None => format!("peak ?/{}", self.max),
        }
    }

    /// An error naming `what` when the run hit the cap or the timeout.
    pub fn ensure_bounded(&self, what: &str) -> Result<()> {
        if self.times_hit > 0 {
            bail!(
                "{what}: runaway process creation: the cap of {} tasks was hit {} times ({}), exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
                self.max,
                self.times_hit,
                self.peak_text(),
                self.code(),
                tail(&self.stdout(), 20),
                tail(&self.stderr(), 20),
            );
        }
        if self.timed_out {
            bail!(
                "{what}: still running after {:.0?} (hung, or waiting for itself): killed\n--- stdout\n{}\n--- stderr\n{}",
                self.elapsed,
                tail(&self.stdout(), 20),
                tail(&self.stderr(), 20),
            );
        }
        Ok(())
    }
}

/// The last `lines` lines of `text`.
fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

impl Sandbox {
    /// [`Sandbox::run`] with at most `max` tasks at once (a fresh pids
    /// cgroup named after `label`, removed afterwards) and killed after
    /// `timeout`. The cgroup is joined on the host before `chroot`, so
    /// everything the script starts counts.
    pub fn run_capped(
        &self,
        label: &str,
        script: &str,
        max: u64,
        timeout: Duration,
    ) -> Result<CappedRun> {
        let cap = PidsCap::create(label, max)?;
        let procs = cap.procs_file().display().to_string();
        let root = self.path().display().to_string();
        let seconds = timeout.as_secs().max(1).to_string();
        let started = Instant::now();
        let output = self
            .command(
                "sh",
                &[
                    "-c",
                    r#"echo $$ > "$1" && exec timeout -k 10 "$2" chroot "$3" /bin/sh -ec "$4""#,
                    "sh",
                    &procs,
                    &seconds,
                    &root,
                    script,
                ],
            )
            .run()
            .with_context(|| format!("cannot run a capped script in sandbox {}", self.name()))?;
        let elapsed = started.elapsed();
        Ok(CappedRun {
            timed_out: elapsed >= timeout,
            times_hit: cap.times_hit()?,
            peak: cap.peak(),
            max: cap.max(),
            output,
            elapsed,
        })
    }
}
