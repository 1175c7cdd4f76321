//! Running target binaries of a sandbox under qemu-user on the host.

use std::process::Output;

use anyhow::{bail, Context, Result};

use crate::sandbox::Sandbox;

/// Run `qemu-<qemu_suffix> -L <sandbox root> <sandbox root>/<binary_in_root>
/// args...` on the host (no binfmt_misc needed) and capture its output.
/// `binary_in_root` is a path inside the sandbox, e.g. `/out/hello`.
pub fn qemu_run(
    sandbox: &Sandbox,
    qemu_suffix: &str,
    binary_in_root: &str,
    args: &[&str],
) -> Result<Output> {
    qemu_run_in_sysroot(sandbox, qemu_suffix, "/", binary_in_root, args)
}

/// [`qemu_run`] with the target's libraries taken from `sysroot_in_root`, a
/// folder inside the sandbox (Alpine's `/aarch64-alpine-linux-musl`).
pub fn qemu_run_in_sysroot(
    sandbox: &Sandbox,
    qemu_suffix: &str,
    sysroot_in_root: &str,
    binary_in_root: &str,
    args: &[&str],
) -> Result<Output> {
    if qemu_suffix.is_empty()
        || !qemu_suffix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        bail!("qemu suffix {qemu_suffix:?} is not a qemu-user binary suffix");
    }
    let qemu = format!("qemu-{qemu_suffix}");
    let root = sandbox.path();
    let binary = root.join(binary_in_root.trim_start_matches('/'));
    let sysroot = root.join(sysroot_in_root.trim_start_matches('/'));
    let mut argv = vec![
        "-L".to_string(),
        sysroot.display().to_string(),
        binary.display().to_string(),
    ];
    argv.extend(args.iter().map(|arg| arg.to_string()));
    duct::cmd(&qemu, &argv)
        .stdin_null()
        .stdout_capture()
        .stderr_capture()
        .unchecked()
        .run()
        .with_context(|| format!("cannot run {qemu} (is qemu-user installed?)"))
}
