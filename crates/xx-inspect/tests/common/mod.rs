//! Shared helpers for the integration tests: finding toolchain programs and
//! building small test binaries with them.
//!
//! A missing tool fails the test with the Debian package to install; nothing
//! is skipped silently.

#![allow(dead_code)] // Each test binary uses a different subset.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// A program the tests need and the Debian package that provides it.
pub struct Tool {
    /// Names to try, in order, on `PATH` and in `/usr/lib/llvm-14/bin`.
    pub names: &'static [&'static str],
    pub package: &'static str,
}

pub const CLANG: Tool = Tool {
    names: &["clang", "clang-14"],
    package: "clang",
};
pub const LLD: Tool = Tool {
    names: &["ld.lld", "ld.lld-14"],
    package: "lld",
};
pub const LLVM_LIPO: Tool = Tool {
    names: &["llvm-lipo", "llvm-lipo-14"],
    package: "llvm",
};
pub const MINGW_X86_64_GCC: Tool = Tool {
    names: &["x86_64-w64-mingw32-gcc"],
    package: "gcc-mingw-w64-x86-64",
};
pub const MINGW_I686_GCC: Tool = Tool {
    names: &["i686-w64-mingw32-gcc"],
    package: "gcc-mingw-w64-i686",
};
pub const S390X_LD: Tool = Tool {
    names: &["s390x-linux-gnu-ld"],
    package: "binutils-s390x-linux-gnu",
};

/// Finds `tool`, or fails the test saying which package to install.
pub fn find_tool(tool: &Tool) -> PathBuf {
    let mut directories: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect())
        .unwrap_or_default();
    directories.push(PathBuf::from("/usr/lib/llvm-14/bin"));
    for name in tool.names {
        for directory in &directories {
            let candidate = directory.join(name);
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    panic!(
        "required tool {} not found; install it with `apt-get install {}`",
        tool.names.join(" or "),
        tool.package
    );
}

/// Runs `command`, failing the test with its output if it does not succeed.
pub fn run(command: &mut Command) {
    let output = command
        .output()
        .unwrap_or_else(|error| panic!("cannot run {command:?}: {error}"));
    assert!(
        output.status.success(),
        "{command:?} failed with {}:\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A scratch directory for this test binary, created fresh once per process.
pub fn scratch_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let exe = std::env::current_exe().expect("test executable path");
        let name = exe
            .file_stem()
            .and_then(|stem| stem.to_str())
            .unwrap_or("test")
            .to_owned();
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join("xx-inspect")
            .join(format!("{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create scratch directory");
        dir
    })
}

/// Writes a source file into the scratch directory and returns its path.
pub fn write_source(name: &str, text: &str) -> PathBuf {
    let path = scratch_dir().join(name);
    std::fs::write(&path, text).expect("write source file");
    path
}

/// A freestanding program: no libc, its own entry point.
pub const FREESTANDING_SOURCE: &str = "void _start(void) { for (;;) {} }\n";
/// A hosted program.
pub const HOSTED_SOURCE: &str = "int main(void) { return 0; }\n";

/// Compiles the freestanding program for `triple` into an object file.
/// `stem` names the files, so tests running in parallel do not collide.
pub fn compile_object(triple: &str, stem: &str) -> PathBuf {
    let source = write_source(&format!("{stem}-{triple}.c"), FREESTANDING_SOURCE);
    let object = scratch_dir().join(format!("{stem}-{triple}.o"));
    run(Command::new(find_tool(&CLANG))
        .arg(format!("--target={triple}"))
        .args(["-O1", "-c"])
        .arg(&source)
        .arg("-o")
        .arg(&object));
    object
}

/// Compiles and statically links the freestanding program for `triple`.
/// s390x is linked with GNU ld because lld 14 has no SystemZ support.
pub fn build_static_executable(triple: &str) -> PathBuf {
    let object = compile_object(triple, "static-exe");
    let executable = scratch_dir().join(format!("static-exe-{triple}"));
    if triple.starts_with("s390x") {
        run(Command::new(find_tool(&S390X_LD))
            .args(["-static", "-e", "_start"])
            .arg(&object)
            .arg("-o")
            .arg(&executable));
    } else {
        find_tool(&LLD);
        run(Command::new(find_tool(&CLANG))
            .arg(format!("--target={triple}"))
            .args(["-fuse-ld=lld", "-nostdlib", "-static", "-Wl,--entry=_start"])
            .arg(&object)
            .arg("-o")
            .arg(&executable));
    }
    executable
}

/// Builds the hosted program as a Windows executable with a MinGW compiler.
pub fn build_windows_executable(compiler: &Tool, name: &str) -> PathBuf {
    let source = write_source(&format!("{name}.c"), HOSTED_SOURCE);
    let executable = scratch_dir().join(name);
    run(Command::new(find_tool(compiler))
        .arg("-O1")
        .arg(&source)
        .arg("-o")
        .arg(&executable));
    executable
}

/// Compiles the hosted program into a Mach-O object for `triple`; `stem`
/// names the files.
pub fn build_macho_object(triple: &str, stem: &str) -> PathBuf {
    let source = write_source(&format!("{stem}-{triple}.c"), HOSTED_SOURCE);
    let object = scratch_dir().join(format!("{stem}-{triple}.o"));
    run(Command::new(find_tool(&CLANG))
        .arg(format!("--target={triple}"))
        .arg("-c")
        .arg(&source)
        .arg("-o")
        .arg(&object));
    object
}

/// Combines x86_64 and arm64 macOS objects into a universal file.
pub fn build_universal_object() -> PathBuf {
    let x86_64 = build_macho_object("x86_64-apple-macos11", "universal-part");
    let arm64 = build_macho_object("arm64-apple-macos11", "universal-part");
    let universal = scratch_dir().join("universal.o");
    run(Command::new(find_tool(&LLVM_LIPO))
        .arg("-create")
        .arg(&x86_64)
        .arg(&arm64)
        .arg("-output")
        .arg(&universal));
    universal
}

/// Builds the hosted program for the host with glibc, with extra flags such
/// as `-static` or `-static-pie`.
pub fn build_host_executable(name: &str, flags: &[&str]) -> PathBuf {
    let source = write_source(&format!("{name}.c"), HOSTED_SOURCE);
    let executable = scratch_dir().join(name);
    let mut command = Command::new(find_tool(&CLANG));
    command.args(flags).arg(&source).arg("-o").arg(&executable);
    let output = command
        .output()
        .unwrap_or_else(|error| panic!("cannot run {command:?}: {error}"));
    assert!(
        output.status.success(),
        "{command:?} failed (static glibc needs `apt-get install libc6-dev`):\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    executable
}
