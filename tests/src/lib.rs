//! Harness for xx-rs end-to-end tests (see the tests in `tests/tests/`).
//!
//! * [`xx_binary`] builds the `xx` multicall binary once per test process.
//! * [`DebianRoot::ensure`] makes (once per machine, cached) a Debian
//!   bookworm root with clang, lld, llvm and build tools.
//! * [`DebianRoot::sandbox`] gives each test a throwaway writable copy of
//!   that root (overlayfs) with `xx` and its tool links installed, in which
//!   [`Sandbox::run`] runs shell scripts under `chroot`.
//! * [`qemu_run`] runs a target binary from a sandbox under qemu-user.
//! * [`Sandbox::run_capped`] runs a script under a pids cgroup cap and a
//!   timeout, for tools that could run themselves in a loop.
//! * [`LocalRepo`] serves a local Debian archive (real `.deb` files,
//!   cached by [`RepoDebs`]) on 127.0.0.1 with switchable [`Faults`].
//! * [`prereq_host`] is `cargo xtask test`'s prerequisite install, run
//!   in a sandbox.
//! * [`skip`] records a check a test could not make on this machine
//!   (`cargo xtask test` lists them all at the end).
//! * [`make_alpine_fixture`] makes a sandbox look like an Alpine build
//!   stage, with a stand-in `apk` and a local repository (Alpine's cannot
//!   be reached from here).
//!
//! Everything here needs root (mount, chroot) and, on the host, the Debian
//! packages `debootstrap` and `qemu-user` (plus `coreutils` for `chroot`).

mod alpine;
mod bullseye;
pub mod corpus_build;
mod debian_root;
pub mod docker;
mod local_repo;
mod mirror;
mod mounts;
mod pids;
mod platforms;
pub mod prereq_host;
mod qemu;
mod sandbox;
mod skip;
mod workspace;

pub use alpine::{alpine_sandbox, make_alpine_fixture, use_real_musl, ALPINE_FIXTURE_REPO};
pub use bullseye::BullseyeRoot;
pub use debian_root::{DebianRoot, ROOT_PACKAGES, SUITE};
pub use local_repo::{
    Faults, LocalRepo, RepoDebs, AMD64_ONLY_PACKAGE, REPO_ARCHES, REPO_PACKAGES, SECURITY_SUITE,
    SECURITY_VERSION_SUFFIX,
};
pub use mirror::{debian_mirror, DEFAULT_MIRROR};
pub use pids::{CappedRun, PidsCap};
pub use platforms::qemu_suffix;
pub use qemu::{qemu_run, qemu_run_in_sysroot};
pub use sandbox::Sandbox;
pub use skip::{skip, skip_log_path, SKIP_LOG_VAR};
pub use workspace::{workspace_root, xx_binary};
