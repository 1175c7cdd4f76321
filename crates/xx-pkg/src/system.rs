//! The effectful side of xx-apt: running dpkg, apt-cache and apt-get,
//! reading apt's state, writing source lists atomically, and the
//! `/var/lock/xx-apt` lock.

use std::ffi::OsStr;
use std::path::Path;

use crate::error::PkgError;
use crate::packages::Catalog;

/// The lock xx-apt holds while it works (shared with tonistiigi/xx).
pub const LOCK_FILE: &str = "/var/lock/xx-apt";

/// Environment variable that tells nested xx-apt runs the lock is held.
pub const NOLOCK_VAR: &str = "XX_APT_NOLOCK";

/// Where apt keeps downloaded package lists.
pub const LISTS_DIR: &str = "/var/lib/apt/lists";

/// Runs the package tools, echoing each command to stderr (`+ cmd args`)
/// when debugging is on (`XX_DEBUG_APT`, `XX_DEBUG_APK`). Children see the
/// tool's no-lock variable (`XX_APT_NOLOCK=1`, `XX_APK_NOLOCK=1`), so that
/// the xx tools they run do not wait for the lock their parent holds.
#[derive(Debug, Clone, Copy)]
pub struct Runner {
    /// Echo commands before running them.
    pub debug: bool,
    /// The variable set to `1` for children.
    pub nolock_var: &'static str,
}

impl Runner {
    /// The runner of xx-apt and xx-apt-get.
    pub fn apt(debug: bool) -> Runner {
        Runner {
            debug,
            nolock_var: NOLOCK_VAR,
        }
    }

    /// The runner of xx-apk.
    pub fn apk(debug: bool) -> Runner {
        Runner {
            debug,
            nolock_var: crate::apk::NOLOCK_VAR,
        }
    }

    fn command(&self, program: &str, args: &[String]) -> duct::Expression {
        if self.debug {
            eprintln!("+ {}", command_line(program, args));
        }
        duct::cmd(program, args).env(self.nolock_var, "1")
    }

    /// Run a command quietly and return its stdout; fail unless it exits 0.
    pub fn capture(&self, program: &str, args: &[String]) -> Result<String, PkgError> {
        let output = self
            .command(program, args)
            .stdout_capture()
            .stderr_capture()
            .unchecked()
            .run()
            .map_err(|source| spawn_error(program, args, source))?;
        if !output.status.success() {
            return Err(PkgError::Failed {
                command: command_line(program, args),
                status: output.status,
            });
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// Run a command with the caller's stdin/stdout/stderr; fail unless
    /// it exits 0.
    pub fn visible(&self, program: &str, args: &[String]) -> Result<(), PkgError> {
        let status = self.passthrough(program, args)?;
        if status.success() {
            Ok(())
        } else {
            Err(PkgError::Failed {
                command: command_line(program, args),
                status,
            })
        }
    }

    /// Run a command with its stdout sent to stderr (so that a tool's own
    /// stdout stays clean) and no stdin; fail unless it exits 0.
    pub fn visible_on_stderr(&self, program: &str, args: &[String]) -> Result<(), PkgError> {
        let output = self
            .command(program, args)
            .stdin_null()
            .stdout_to_stderr()
            .unchecked()
            .run()
            .map_err(|source| spawn_error(program, args, source))?;
        if output.status.success() {
            Ok(())
        } else {
            Err(PkgError::Failed {
                command: command_line(program, args),
                status: output.status,
            })
        }
    }

    /// Run a command with no stdin and its output kept; when it fails, show
    /// all of its output on stderr and fail naming the command.
    pub fn quiet(&self, program: &str, args: &[String]) -> Result<(), PkgError> {
        let output = self
            .command(program, args)
            .stdin_null()
            .stderr_to_stdout()
            .stdout_capture()
            .unchecked()
            .run()
            .map_err(|source| spawn_error(program, args, source))?;
        if output.status.success() {
            return Ok(());
        }
        eprint!("{}", String::from_utf8_lossy(&output.stdout));
        Err(PkgError::Failed {
            command: command_line(program, args),
            status: output.status,
        })
    }

    /// Run a command with the caller's stdin/stdout/stderr and return how
    /// it ended, whatever that was.
    pub fn passthrough(
        &self,
        program: &str,
        args: &[String],
    ) -> Result<std::process::ExitStatus, PkgError> {
        self.command(program, args)
            .unchecked()
            .run()
            .map(|output| output.status)
            .map_err(|source| spawn_error(program, args, source))
    }

    /// Run a command with no stdin, stdout and stderr merged and kept;
    /// return how it ended and what it printed, whatever that was.
    pub fn collect(
        &self,
        program: &str,
        args: &[String],
    ) -> Result<(std::process::ExitStatus, String), PkgError> {
        let output = self
            .command(program, args)
            .stdin_null()
            .stderr_to_stdout()
            .stdout_capture()
            .unchecked()
            .run()
            .map_err(|source| spawn_error(program, args, source))?;
        Ok((
            output.status,
            String::from_utf8_lossy(&output.stdout).into_owned(),
        ))
    }

    /// Run a command with the caller's stdin; its stdout goes to ours (or
    /// to our stderr with `stdout_to_stderr`) and its stderr to ours as it
    /// runs, and both are also kept. Returns how it ended and the kept
    /// output (stdout then stderr).
    pub fn tee(
        &self,
        program: &str,
        args: &[String],
        stdout_to_stderr: bool,
    ) -> Result<(std::process::ExitStatus, String), PkgError> {
        use std::io::{Read, Write};
        use std::os::fd::AsFd;
        use std::process::{Command, Stdio};
        if self.debug {
            eprintln!("+ {}", command_line(program, args));
        }
        let mut child = Command::new(program)
            .args(args)
            .env(self.nolock_var, "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| spawn_error(program, args, source))?;
        /// Copy `from` to `to` as it comes, keeping a copy.
        fn pump(mut from: impl Read, mut to: Option<std::fs::File>) -> Vec<u8> {
            let mut kept = Vec::new();
            let mut buf = [0u8; 8192];
            while let Ok(n) = from.read(&mut buf) {
                if n == 0 {
                    break;
                }
                kept.extend_from_slice(&buf[..n]);
                if let Some(to) = to.as_mut() {
                    let _ = to.write_all(&buf[..n]);
                }
            }
            kept
        }
        // Copies of our own descriptors, written to directly: the caller
        // may hold the lock of Rust's stdout while the child runs.
        let _ = std::io::stdout().flush();
        let our =
            |fd: std::os::fd::BorrowedFd<'_>| fd.try_clone_to_owned().ok().map(std::fs::File::from);
        let out_to = if stdout_to_stderr {
            our(std::io::stderr().as_fd())
        } else {
            our(std::io::stdout().as_fd())
        };
        let err_to = our(std::io::stderr().as_fd());
        let out = child
            .stdout
            .take()
            .map(|stdout| std::thread::spawn(move || pump(stdout, out_to)));
        let err = child
            .stderr
            .take()
            .map(|stderr| std::thread::spawn(move || pump(stderr, err_to)));
        let status = child
            .wait()
            .map_err(|source| spawn_error(program, args, source))?;
        let mut text = Vec::new();
        for handle in [out, err].into_iter().flatten() {
            text.extend(handle.join().unwrap_or_default());
        }
        Ok((status, String::from_utf8_lossy(&text).into_owned()))
    }

    /// `dpkg --remove-architecture <arch>`.
    pub fn remove_architecture(&self, arch: &str) -> Result<(), PkgError> {
        self.capture("dpkg", &strings(&["--remove-architecture", arch]))
            .map(drop)
    }

    /// What `dpkg --audit` reports (packages left half-installed or
    /// unconfigured), empty when all is well.
    pub fn dpkg_audit(&self) -> Result<String, PkgError> {
        let (_, text) = self.collect("dpkg", &strings(&["--audit"]))?;
        Ok(text.trim().to_string())
    }

    /// The `apt-cache policy` of `names` (unknown names left out).
    pub fn policy(&self, names: &[String]) -> Result<String, PkgError> {
        if names.is_empty() {
            return Ok(String::new());
        }
        let output = self
            .command("apt-cache", &prefixed("policy", names))
            .stdout_capture()
            .stderr_null()
            .unchecked()
            .run()
            .map_err(|source| spawn_error("apt-cache", &prefixed("policy", names), source))?;
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// dpkg's native architecture (`dpkg --print-architecture`).
    pub fn native_architecture(&self) -> Result<String, PkgError> {
        let out = self.capture("dpkg", &strings(&["--print-architecture"]))?;
        Ok(out.trim().to_string())
    }

    /// The architectures added with `dpkg --add-architecture`.
    pub fn foreign_architectures(&self) -> Result<Vec<String>, PkgError> {
        let out = self.capture("dpkg", &strings(&["--print-foreign-architectures"]))?;
        Ok(out.split_whitespace().map(str::to_string).collect())
    }

    /// `dpkg --add-architecture <arch>`.
    pub fn add_architecture(&self, arch: &str) -> Result<(), PkgError> {
        self.capture("dpkg", &strings(&["--add-architecture", arch]))
            .map(drop)
    }

    /// Which of `names` (`name` or `name:arch`) apt knows, with one
    /// `apt-cache policy` run.
    pub fn known_packages(&self, names: &[String], native_arch: &str) -> Result<Catalog, PkgError> {
        if names.is_empty() {
            return Ok(Catalog::default());
        }
        // apt-cache leaves unknown names out (and fails when it knows none
        // of them): the output is the answer either way.
        let text = self.policy(names)?;
        Ok(Catalog::from_policy_output(&text, native_arch))
    }
}

/// Names of the files in apt's lists folder (empty when it is missing).
pub fn list_files() -> Vec<String> {
    std::fs::read_dir(LISTS_DIR)
        .map(|entries| {
            entries
                .flatten()
                .map(|entry| entry.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Whether apt has downloaded a package list for `arch`.
pub fn has_packages_list(file_names: &[String], arch: &str) -> bool {
    let marker = format!("_binary-{arch}_Packages");
    file_names.iter().any(|name| name.contains(&marker))
}

/// Read `path` (empty when missing), apply `edit`, and write the result
/// atomically when it differs. Returns whether the file changed.
pub fn edit_file(path: &Path, edit: impl FnOnce(&str) -> String) -> Result<bool, PkgError> {
    let old = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(source) => return Err(file_error("cannot read", path, source)),
    };
    let new = edit(&old);
    if new == old {
        return Ok(false);
    }
    xx_files::write_atomic_keeping_mode(path, &new, NEW_FILE_MODE)?;
    Ok(true)
}

/// The mode of a sources file xx-apt creates (an existing one keeps its own).
const NEW_FILE_MODE: u32 = 0o644;

/// An exclusive hold on [`LOCK_FILE`]; released when dropped.
pub type AptLock = xx_files::FileLock;

/// Wait for and take xx-apk's lock ([`crate::apk::LOCK_FILE`]).
pub fn lock_apk() -> Result<xx_files::FileLock, PkgError> {
    Ok(xx_files::FileLock::acquire(Path::new(
        crate::apk::LOCK_FILE,
    ))?)
}

/// Wait for and take [`LOCK_FILE`], making `/var/lock` (or the folder it
/// links to) first when it is missing. A lock held by another process is
/// waited for with a message naming it, up to [`lock_timeout`] seconds;
/// a lock of a process that died is free (the kernel drops it).
pub fn lock_apt() -> Result<AptLock, PkgError> {
    let path = Path::new(LOCK_FILE);
    let timeout = lock_timeout();
    let waited = std::cell::Cell::new(false);
    let lock = xx_files::FileLock::acquire_within(
        path,
        std::time::Duration::from_secs(timeout),
        || {
            waited.set(true);
            eprintln!(
                "xx-apt-get: waiting for {LOCK_FILE}, held by {} (up to {timeout} s, {LOCK_TIMEOUT_VAR})",
                lock_holder(path)
            );
        },
    )?;
    lock.ok_or_else(|| {
        PkgError::Usage(format!(
            "{LOCK_FILE} is still held by {} after {timeout} s; wait for it to finish or raise {LOCK_TIMEOUT_VAR}",
            lock_holder(path)
        ))
    })
}

/// Seconds to wait for a lock another process holds (xx's own and dpkg's):
/// `XX_APT_LOCK_TIMEOUT`, default 900.
pub fn lock_timeout() -> u64 {
    std::env::var(LOCK_TIMEOUT_VAR)
        .ok()
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(DEFAULT_LOCK_TIMEOUT)
}

/// Seconds a lock wait lasts unless `XX_APT_LOCK_TIMEOUT` says otherwise:
/// long enough for several queued first installs (concurrent build stages).
pub const DEFAULT_LOCK_TIMEOUT: u64 = 900;

/// The variable bounding lock waits.
pub const LOCK_TIMEOUT_VAR: &str = "XX_APT_LOCK_TIMEOUT";

/// `process <pid> (<name>)` of the lock file's holder, as written in it.
fn lock_holder(path: &Path) -> String {
    let pid = std::fs::read_to_string(path)
        .ok()
        .and_then(|text| text.trim().parse::<u32>().ok());
    match pid {
        Some(pid) => {
            let name = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
            format!("process {pid} ({})", name.trim())
        }
        None => "another process".to_string(),
    }
}

/// The line xx prints before running the package manager: `+ apt-get
/// install -y zlib1g-dev:arm64` with xx's two spaces after the program
/// (`echo "+ apt-get " "$@"`), and `+ apt ` for no arguments.
pub fn echo_line(program: &str, args: &[String]) -> String {
    if args.is_empty() {
        format!("+ {program} ")
    } else {
        format!("+ {program}  {}", args.join(" "))
    }
}

/// `program args...` as one line, for messages.
pub fn command_line(program: impl AsRef<OsStr>, args: &[String]) -> String {
    let mut line = program.as_ref().to_string_lossy().into_owned();
    for arg in args {
        line.push(' ');
        line.push_str(arg);
    }
    line
}

fn spawn_error(program: &str, args: &[String], source: std::io::Error) -> PkgError {
    PkgError::Spawn {
        command: command_line(program, args),
        source,
    }
}

fn file_error(action: &'static str, path: &Path, source: std::io::Error) -> PkgError {
    PkgError::File {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// Owned copies of `words`, for the command lines the runner takes.
pub fn strings(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

fn prefixed(first: &str, rest: &[String]) -> Vec<String> {
    std::iter::once(first.to_string())
        .chain(rest.iter().cloned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_package_lists_by_arch() {
        let files: Vec<String> = [
            "deb.debian.org_debian_dists_bookworm_InRelease",
            "deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages",
            "deb.debian.org_debian_dists_bookworm_main_binary-arm64_Packages.lz4",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert!(has_packages_list(&files, "amd64"));
        assert!(has_packages_list(&files, "arm64"));
        assert!(!has_packages_list(&files, "armhf"));
        assert!(!has_packages_list(&[], "amd64"));
    }

    #[test]
    fn edits_files_atomically_and_only_when_changed() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("x.list");
        assert!(edit_file(&path, |old| format!("{old}deb a b c\n")).expect("create"));
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o644);
        assert!(!edit_file(&path, |old| old.to_string()).expect("unchanged"));
        assert!(edit_file(&path, |old| old.replace('a', "z")).expect("edit"));
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "deb z b c\n");
        let leftovers = std::fs::read_dir(dir.path()).expect("dir").count();
        assert_eq!(leftovers, 1, "temporary files left behind");
    }

    #[test]
    fn command_lines_for_messages() {
        assert_eq!(
            command_line("apt-get", &strings(&["update"])),
            "apt-get update"
        );
    }

    #[test]
    fn echo_matches_xx() {
        assert_eq!(
            echo_line("apt-get", &strings(&["install", "-y"])),
            "+ apt-get  install -y"
        );
        assert_eq!(echo_line("apt", &[]), "+ apt ");
        assert_eq!(
            echo_line("apk", &strings(&["--root", "/", "add", "zlib"])),
            "+ apk  --root / add zlib"
        );
    }
}
