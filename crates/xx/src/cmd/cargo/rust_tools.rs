//! Finding the cargo and rustc a build will use, and what kind they are.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use xx_platform::{RustToolchain, Vars};

/// dpkg's per-package file lists.
const DPKG_INFO: &str = "/var/lib/dpkg/info";
/// Debian's packages that install a `rustc`, newest first.
const DEBIAN_RUSTC_PACKAGES: &[&str] = &["rustc-web", "rustc"];

/// The Rust programs of the build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RustTools {
    /// `cargo` on `PATH`, when there is one.
    pub cargo: Option<PathBuf>,
    /// The rustc cargo will run: `RUSTC`, else the `rustc` installed next
    /// to cargo, else `rustc` on `PATH`.
    pub rustc: String,
    /// `RUSTC` to give cargo, when cargo would otherwise run another rustc
    /// (Debian's `/usr/bin/cargo` with rustup's `rustc` first on `PATH`).
    pub export_rustc: Option<String>,
    /// rustc is managed by rustup (a proxy or a rustup toolchain).
    pub rustup: bool,
    /// The Debian package rustc belongs to (`rustc-web` or `rustc`), by
    /// dpkg's file lists.
    pub debian_package: Option<&'static str>,
    /// rustup's `+toolchain` from cargo's first argument (`+nightly`).
    pub toolchain_override: Option<String>,
}

impl RustTools {
    /// Look at `PATH`, `RUSTC` and the installed packages; `cargo_args`
    /// may start with rustup's `+toolchain`.
    pub fn detect(vars: &dyn Vars, cargo_args: &[String]) -> RustTools {
        let cargo = on_path(vars, "cargo");
        let cargo_dir = cargo.as_deref().and_then(Path::parent);
        let cargo_is_rustup = cargo_dir.is_some_and(|dir| dir.join("rustup").is_file());
        let path_rustc = on_path(vars, "rustc");

        let (rustc, export_rustc) = match vars.non_empty("RUSTC") {
            Some(rustc) => (rustc, None),
            None => {
                let sibling = cargo_dir
                    .map(|dir| dir.join("rustc"))
                    .filter(|path| path.is_file() && !cargo_is_rustup);
                match sibling {
                    Some(sibling) if path_rustc.as_deref() != Some(sibling.as_path()) => {
                        let text = sibling.display().to_string();
                        (text.clone(), Some(text))
                    }
                    Some(sibling) => (sibling.display().to_string(), None),
                    None => (
                        path_rustc
                            .as_ref()
                            .map_or_else(|| "rustc".to_string(), |p| p.display().to_string()),
                        None,
                    ),
                }
            }
        };
        let resolved = resolve(vars, &rustc);
        let rustup = match &resolved {
            Some(path) => is_rustup_managed(path),
            None => cargo_is_rustup,
        };
        let debian_package = resolved.as_deref().and_then(debian_package_of);
        let toolchain_override = cargo_args
            .first()
            .filter(|arg| rustup && arg.len() > 1 && arg.starts_with('+'))
            .cloned();
        RustTools {
            cargo,
            rustc,
            export_rustc,
            rustup,
            debian_package,
            toolchain_override,
        }
    }

    /// How the setup names the compiler: the rustc, with rustup's
    /// `+toolchain` when one was given.
    pub fn identity(&self) -> String {
        match &self.toolchain_override {
            Some(toolchain) => format!("{}{toolchain}", self.rustc),
            None => self.rustc.clone(),
        }
    }

    /// rustc belongs to Debian's `rustc-web` package.
    pub fn rustc_web(&self) -> bool {
        self.debian_package == Some("rustc-web")
    }

    /// The installed version of the Debian package rustc belongs to: the
    /// target's standard library package must have the same one. Asks dpkg,
    /// so only the standard library's installation calls it.
    pub fn package_version(&self) -> Option<String> {
        self.debian_package.and_then(installed_version)
    }

    /// Which naming the Rust triple follows.
    pub fn toolchain(&self) -> RustToolchain {
        if self.rustup {
            RustToolchain::Rustup
        } else {
            RustToolchain::Distro
        }
    }

    /// `rustc --print sysroot`.
    pub fn sysroot(&self) -> Result<PathBuf> {
        let mut args: Vec<&str> = self.toolchain_override.iter().map(String::as_str).collect();
        args.extend(["--print", "sysroot"]);
        let output = duct::cmd(&self.rustc, &args)
            .stdout_capture()
            .stderr_capture()
            .unchecked()
            .run()
            .with_context(|| format!("{}: not found", self.rustc))?;
        if !output.status.success() {
            bail!(
                "`{} --print sysroot` failed ({}): {}",
                self.rustc,
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        let text = String::from_utf8_lossy(&output.stdout).trim().to_string();
        if text.is_empty() {
            bail!("`{} --print sysroot` printed nothing", self.rustc);
        }
        Ok(PathBuf::from(text))
    }

    /// The `rustup` program that manages rustc (next to it, else on `PATH`).
    pub fn rustup_program(&self) -> PathBuf {
        resolve(&xx_platform::ProcessVars, &self.rustc)
            .and_then(|rustc| rustc.parent().map(|dir| dir.join("rustup")))
            .filter(|path| path.is_file())
            .or_else(|| which::which("rustup").ok())
            .unwrap_or_else(|| PathBuf::from("rustup"))
    }
}

/// `program` as the `PATH` of `vars` finds it.
fn on_path(vars: &dyn Vars, program: &str) -> Option<PathBuf> {
    match vars.get("PATH") {
        Some(path) => which::which_in(program, Some(path), "/").ok(),
        None => which::which(program).ok(),
    }
}

/// A program name or path as the file it runs.
fn resolve(vars: &dyn Vars, program: &str) -> Option<PathBuf> {
    if program.contains('/') {
        Some(PathBuf::from(program)).filter(|path| path.is_file())
    } else {
        on_path(vars, program)
    }
}

/// rustup's proxies sit next to `rustup`; its toolchains live in
/// `.../toolchains/<name>/bin`.
fn is_rustup_managed(rustc: &Path) -> bool {
    let beside_rustup = rustc
        .parent()
        .is_some_and(|dir| dir.join("rustup").is_file());
    let in_toolchain = rustc
        .parent()
        .and_then(Path::parent)
        .and_then(Path::parent)
        .is_some_and(|dir| dir.file_name().is_some_and(|name| name == "toolchains"));
    beside_rustup || in_toolchain
}

/// The Debian package (`rustc-web` or `rustc`) that installed this rustc,
/// by dpkg's file lists.
fn debian_package_of(rustc: &Path) -> Option<&'static str> {
    let real = rustc.canonicalize().unwrap_or_else(|_| rustc.to_path_buf());
    DEBIAN_RUSTC_PACKAGES.iter().copied().find(|package| {
        let list = Path::new(DPKG_INFO).join(format!("{package}.list"));
        std::fs::read_to_string(list).is_ok_and(|listing| {
            listing
                .lines()
                .any(|line| Path::new(line) == rustc || Path::new(line) == real)
        })
    })
}

/// The installed version of a Debian package (`dpkg-query -W`).
fn installed_version(package: &str) -> Option<String> {
    let output = duct::cmd!("dpkg-query", "-W", "-f=${Version}", package)
        .stdout_capture()
        .stderr_null()
        .unchecked()
        .run()
        .ok()?;
    let version = String::from_utf8_lossy(&output.stdout).trim().to_string();
    (output.status.success() && !version.is_empty()).then_some(version)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use xx_platform::MapVars;

    use super::*;

    /// An executable file `dir/name`.
    fn program(dir: &Path, name: &str) -> PathBuf {
        std::fs::create_dir_all(dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    fn vars(pairs: &[(&str, String)]) -> MapVars {
        MapVars(
            pairs
                .iter()
                .map(|(key, value)| (key.to_string(), value.clone()))
                .collect(),
        )
    }

    #[test]
    fn debians_cargo_gets_its_own_rustc_when_rustups_comes_first() {
        let dir = tempfile::tempdir().unwrap();
        // rustup's proxies (rustc only, as when cargo is called by path or
        // rustup's cargo is absent) first on PATH, then Debian's cargo+rustc.
        let rustup_bin = dir.path().join("rustup/bin");
        program(&rustup_bin, "rustc");
        program(&rustup_bin, "rustup");
        let debian_bin = dir.path().join("usr/bin");
        let cargo = program(&debian_bin, "cargo");
        let rustc = program(&debian_bin, "rustc");
        let path = format!("{}:{}", rustup_bin.display(), debian_bin.display());

        let tools = RustTools::detect(&vars(&[("PATH", path.clone())]), &[]);
        assert_eq!(tools.cargo.as_deref(), Some(cargo.as_path()));
        assert_eq!(tools.rustc, rustc.display().to_string());
        assert_eq!(tools.export_rustc, Some(rustc.display().to_string()));
        assert!(!tools.rustup);
        assert_eq!(tools.toolchain(), RustToolchain::Distro);

        // RUSTC given: used as is, nothing exported on top.
        let given = RustTools::detect(
            &vars(&[("PATH", path), ("RUSTC", rustc.display().to_string())]),
            &[],
        );
        assert_eq!(given.rustc, rustc.display().to_string());
        assert_eq!(given.export_rustc, None);
    }

    #[test]
    fn rustups_cargo_keeps_rustups_rustc() {
        let dir = tempfile::tempdir().unwrap();
        let rustup_bin = dir.path().join("cargo/bin");
        program(&rustup_bin, "cargo");
        let rustc = program(&rustup_bin, "rustc");
        program(&rustup_bin, "rustup");
        let debian_bin = dir.path().join("usr/bin");
        program(&debian_bin, "cargo");
        program(&debian_bin, "rustc");
        let path = format!("{}:{}", rustup_bin.display(), debian_bin.display());

        let tools = RustTools::detect(&vars(&[("PATH", path)]), &["+nightly".to_string()]);
        assert!(tools.rustup);
        assert_eq!(tools.rustc, rustc.display().to_string());
        assert_eq!(tools.export_rustc, None);
        assert_eq!(tools.toolchain_override.as_deref(), Some("+nightly"));
        assert_eq!(tools.identity(), format!("{}+nightly", rustc.display()));
    }

    #[test]
    fn rustup_layouts() {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("cargo/bin");
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::write(bin.join("rustup"), "").unwrap();
        assert!(is_rustup_managed(&bin.join("rustc")));
        let toolchain = dir
            .path()
            .join("rustup/toolchains/stable-x86_64-unknown-linux-gnu/bin/rustc");
        assert!(is_rustup_managed(&toolchain));
        assert!(!is_rustup_managed(Path::new("/usr/bin/rustc")));
    }
}
