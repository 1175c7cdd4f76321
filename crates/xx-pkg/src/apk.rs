//! xx-apk's rules, as text: which request a command line is, how package
//! names are rewritten, the `apk` command line it runs, the repositories of
//! a target root and the links it makes after `compiler-rt` is installed.
//!
//! For a cross target, xx-apk keeps a second apk root at `/<triple>`
//! (`/aarch64-alpine-linux-musl`), initialised once for the target's Alpine
//! architecture, and installs packages there with `apk --root`.

use std::path::{Path, PathBuf};

use xx_platform::arch::{self, ArchRow};
use xx_platform::distro::{self, PackageAvailability};

/// The lock xx-apk holds while it works (shared with tonistiigi/xx).
pub const LOCK_FILE: &str = "/var/lock/xx-apk";

/// Environment variable that tells nested xx-apk runs the lock is held.
pub const NOLOCK_VAR: &str = "XX_APK_NOLOCK";

/// File in a target root that marks it as set up.
pub const SETUP_DONE: &str = ".xx-setup";

/// The build machine's apk repositories file.
pub const REPOSITORIES: &str = "/etc/apk/repositories";

/// apk's download cache; when it exists, each target root gets its own
/// folder in it (`_<arch>`).
pub const CACHE_DIR: &str = "/etc/apk/cache";

/// The package holding Alpine's signing keys, installed first into a new
/// target root.
pub const KEYS_PACKAGE: &str = "alpine-keys";

/// Where Alpine's Rust compiler looks for the standard library of a
/// target (`/usr/lib/rustlib/<triple>`).
pub const RUSTLIB_DIR: &str = "/usr/lib/rustlib";

/// What an xx-apk command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// `xx-apk setup`: prepare the target root only.
    Setup,
    /// `xx-apk clean`: remove the target root.
    Clean,
    /// Anything else: run apk with these arguments for the target.
    Apk(Vec<String>),
}

/// Read an xx-apk command line (the arguments after the program name).
pub fn parse(args: &[String]) -> Request {
    match args.first().map(String::as_str) {
        Some("setup") => Request::Setup,
        Some("clean") => Request::Clean,
        _ => Request::Apk(args.to_vec()),
    }
}

/// apk arguments after xx's rewriting, and what to do after apk succeeds.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Rewritten {
    /// The arguments, essentials expanded.
    pub args: Vec<String>,
    /// `compiler-rt` or `compiler-rt-static` when asked for: its
    /// `clang_rt.*` files get links in the build root.
    pub compiler_rt: Option<String>,
    /// Whether `rust-stdlib` was asked for: the target's standard library
    /// gets a link where the build machine's rustc looks for it.
    pub rust_stdlib: bool,
}

/// Expand xx's meta packages (`xx-c-essentials` is `musl-dev gcc`,
/// `xx-cxx-essentials` is `g++`) and note the packages that need links.
/// Every other argument, options included, stays as it is.
pub fn rewrite(args: &[String]) -> Rewritten {
    let mut rewritten = Rewritten::default();
    for arg in args {
        match arg.as_str() {
            "xx-c-essentials" => rewritten
                .args
                .extend(["musl-dev", "gcc"].map(str::to_string)),
            "xx-cxx-essentials" => rewritten.args.push("g++".to_string()),
            "compiler-rt" | "compiler-rt-static" => {
                rewritten.compiler_rt = Some(arg.clone());
                rewritten.args.push(arg.clone());
            }
            "rust-stdlib" => {
                rewritten.rust_stdlib = true;
                rewritten.args.push(arg.clone());
            }
            _ => rewritten.args.push(arg.clone()),
        }
    }
    rewritten
}

/// The apk command line for `root`: `--root <root>` first whenever there
/// are arguments (as xx does, `/` for a native target); none stays none,
/// so that apk prints its usage.
pub fn rooted_args(root: &str, args: &[String]) -> Vec<String> {
    if args.is_empty() {
        return Vec::new();
    }
    let mut rooted = vec!["--root".to_string(), root.to_string()];
    rooted.extend(args.iter().cloned());
    rooted
}

/// The root folder of a cross target's packages: `/<triple>`.
pub fn target_root(triple: &str) -> PathBuf {
    Path::new("/").join(triple)
}

/// The distribution apk installs packages of: its release column of the
/// architecture table ([`ArchRow::alpine_releases`]) says which targets
/// have packages.
const DISTRO: &str = "alpine";

/// Whether Alpine release `os_version` (os-release `VERSION_ID`, `3.19.1`)
/// publishes packages for `row`: MIPS never has them; riscv64 and loong64
/// came with later releases (`TooOld` names the first). A version that is
/// not `<major>.<minor>...` (`edge`, a snapshot) counts as the newest.
pub fn availability(row: &ArchRow, os_version: &str) -> PackageAvailability {
    distro::package_availability(row, DISTRO, os_version)
}

/// The repositories file of a target root: the build machine's, unless
/// the build machine's Alpine release predates the target architecture
/// (`arch` in the platform's naming: `riscv64`, `loong64`); then the main
/// and community repositories of the first release that has it
/// ([`availability`]).
pub fn target_repositories(host_repositories: &str, arch: &str, os_version: &str) -> String {
    let availability = arch::rows_of(arch)
        .next()
        .map(|row| availability(row, os_version));
    let Some(PackageAvailability::TooOld { first }) = availability else {
        return host_repositories.to_string();
    };
    ["main", "community"]
        .iter()
        .map(|repo| format!("https://dl-cdn.alpinelinux.org/alpine/v{first}/{repo}\n"))
        .collect()
}

/// A symbolic link to make: `link` pointing at `target`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// Where the link goes.
    pub link: PathBuf,
    /// What it points to.
    pub target: PathBuf,
}

/// Links for the compiler runtime installed into a target root, from the
/// output of `apk --root <root> info -qL <package>` (paths relative to the
/// root): each `clang_rt.*` file is linked from the same path in the
/// build root, where clang's resource directory looks for it.
pub fn compiler_rt_links(listing: &str, triple: &str) -> Vec<Link> {
    let root = target_root(triple);
    listing
        .lines()
        .map(str::trim)
        .filter(|file| file.contains("clang_rt."))
        .map(|file| {
            let relative = file.trim_start_matches('/');
            Link {
                link: Path::new("/").join(relative),
                target: root.join(relative),
            }
        })
        .collect()
}

/// The link that lets the build machine's rustc find the target's standard
/// library installed into the target root: `/usr/lib/rustlib/<triple>` ->
/// `/<triple>/usr/lib/rustlib/<triple>`.
pub fn rust_stdlib_link(triple: &str) -> Link {
    let relative = Path::new(RUSTLIB_DIR.trim_start_matches('/')).join(triple);
    Link {
        link: Path::new(RUSTLIB_DIR).join(triple),
        target: target_root(triple).join(relative),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|item| item.to_string()).collect()
    }

    #[test]
    fn setup_and_clean_are_requests_of_their_own() {
        assert_eq!(parse(&strings(&["setup"])), Request::Setup);
        assert_eq!(parse(&strings(&["clean"])), Request::Clean);
        assert_eq!(
            parse(&strings(&["add", "setup"])),
            Request::Apk(strings(&["add", "setup"]))
        );
        assert_eq!(parse(&[]), Request::Apk(Vec::new()));
    }

    #[test]
    fn essentials_expand_as_in_xx() {
        let rewritten = rewrite(&strings(&[
            "add",
            "--no-cache",
            "xx-c-essentials",
            "xx-cxx-essentials",
            "zlib-dev",
        ]));
        assert_eq!(
            rewritten.args,
            strings(&["add", "--no-cache", "musl-dev", "gcc", "g++", "zlib-dev"])
        );
        assert_eq!(rewritten.compiler_rt, None);
        assert!(!rewritten.rust_stdlib);
    }

    #[test]
    fn runtime_packages_are_noted() {
        let rewritten = rewrite(&strings(&["add", "compiler-rt-static", "rust-stdlib"]));
        assert_eq!(
            rewritten.args,
            strings(&["add", "compiler-rt-static", "rust-stdlib"])
        );
        assert_eq!(rewritten.compiler_rt.as_deref(), Some("compiler-rt-static"));
        assert!(rewritten.rust_stdlib);
    }

    #[test]
    fn root_goes_first_and_only_with_arguments() {
        assert_eq!(
            rooted_args("/aarch64-alpine-linux-musl", &strings(&["add", "zlib"])),
            strings(&["--root", "/aarch64-alpine-linux-musl", "add", "zlib"])
        );
        assert!(rooted_args("/", &[]).is_empty());
    }

    #[test]
    fn new_architectures_get_the_first_release_that_has_them() {
        let host = "https://dl-cdn.alpinelinux.org/alpine/v3.19/main\n";
        let riscv = target_repositories(host, "riscv64", "3.19.1");
        assert_eq!(
            riscv,
            "https://dl-cdn.alpinelinux.org/alpine/v3.20/main\n\
             https://dl-cdn.alpinelinux.org/alpine/v3.20/community\n"
        );
        assert!(target_repositories(host, "loong64", "3.20.3").contains("/v3.21/community"));
        assert_eq!(target_repositories(host, "riscv64", "3.20.0"), host);
        assert_eq!(target_repositories(host, "riscv64", "3.21.2"), host);
        assert_eq!(target_repositories(host, "riscv64", "edge"), host);
        assert_eq!(target_repositories(host, "arm64", "3.12.0"), host);
        assert_eq!(target_repositories(host, "riscv64", "3.19_rc1"), host);
        assert_eq!(target_repositories(host, "mips64le", "3.19.1"), host);
        assert_eq!(target_repositories(host, "sparc", "3.19.1"), host);
    }

    #[test]
    fn alpine_has_no_mips_packages() {
        for row in arch::ARCHES {
            let none = availability(row, "3.21.0") == PackageAvailability::Unavailable;
            assert_eq!(none, row.arch.starts_with("mips"), "{}", row.arch);
        }
    }

    #[test]
    fn compiler_rt_files_are_linked_from_the_build_root() {
        let listing = "usr/lib/llvm17/lib/clang/17/lib/linux/libclang_rt.builtins-aarch64.a\n\
                       usr/share/doc/compiler-rt/README\n";
        assert_eq!(
            compiler_rt_links(listing, "aarch64-alpine-linux-musl"),
            vec![Link {
                link: PathBuf::from(
                    "/usr/lib/llvm17/lib/clang/17/lib/linux/libclang_rt.builtins-aarch64.a"
                ),
                target: PathBuf::from(
                    "/aarch64-alpine-linux-musl/usr/lib/llvm17/lib/clang/17/lib/linux/libclang_rt.builtins-aarch64.a"
                ),
            }]
        );
    }

    #[test]
    fn rust_stdlib_is_linked_into_rustc_sysroot() {
        assert_eq!(
            rust_stdlib_link("armv7-alpine-linux-musleabihf"),
            Link {
                link: PathBuf::from("/usr/lib/rustlib/armv7-alpine-linux-musleabihf"),
                target: PathBuf::from(
                    "/armv7-alpine-linux-musleabihf/usr/lib/rustlib/armv7-alpine-linux-musleabihf"
                ),
            }
        );
    }
}
