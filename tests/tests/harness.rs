//! Smoke test of the end-to-end harness: the cached root, two sandboxes at
//! once, isolation between them, and `xx-info` inside.

use anyhow::Result;
use xx_e2e::DebianRoot;

#[test]
fn sandboxes_are_isolated_copies_of_the_cached_root() -> Result<()> {
    let root = DebianRoot::ensure()?;
    let first = root.sandbox("harness-first")?;
    let second = root.sandbox("harness-second")?;

    first.run_ok("echo written-in-first > /root/marker")?;
    assert_eq!(first.run_ok("cat /root/marker")?, "written-in-first\n");
    assert!(first.path().join("root/marker").is_file());

    let in_second = second.run("test -e /root/marker")?;
    assert!(!in_second.status.success(), "second sandbox sees the file");
    assert!(!second.path().join("root/marker").exists());
    assert!(
        !root.path().join("root/marker").exists(),
        "cache was written"
    );

    // The root has what the other suites rely on, and not `file`.
    first.run_ok("command -v clang ld.lld llvm-ar pkg-config make cmake meson ninja")?;
    assert!(!first.run("command -v file")?.status.success());

    let triple = first.run_ok("TARGETPLATFORM=linux/arm64 xx-info")?;
    assert_eq!(triple, "aarch64-linux-gnu\n");
    let native = second.run_ok("xx-info march")?;
    assert_eq!(native, "x86_64\n");

    let sandbox_dir = first.path().to_path_buf();
    drop(first);
    assert!(!sandbox_dir.exists(), "sandbox folder left behind");
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo")?;
    assert!(
        !mountinfo.contains(&*sandbox_dir.to_string_lossy()),
        "mounts leaked"
    );
    Ok(())
}
