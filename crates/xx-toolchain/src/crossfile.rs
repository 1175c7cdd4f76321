//! CMake toolchain files and Meson cross files for a set-up target (pure).

use std::fmt::Write as _;
use std::path::PathBuf;

use xx_platform::os;

/// What a build system needs to know to cross-compile for a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrossSpec {
    /// The triple clang targets.
    pub clang_target: String,
    /// OCI OS (`linux`, `windows`, `darwin`, `freebsd`).
    pub os: String,
    /// `uname -m` of the target (`aarch64`, `armv7l`, `i386`).
    pub processor: String,
    /// Meson `cpu_family` (`aarch64`, `arm`, `x86`, `ppc64`).
    pub cpu_family: String,
    /// `little` or `big`.
    pub endian: String,
    /// C compiler (`/usr/bin/<triple>-clang`).
    pub c_compiler: PathBuf,
    /// C++ compiler (`/usr/bin/<triple>-clang++`).
    pub cxx_compiler: PathBuf,
    /// Archiver, when one exists for the target.
    pub ar: Option<PathBuf>,
    /// `ranlib`, when one exists.
    pub ranlib: Option<PathBuf>,
    /// `nm`, when one exists.
    pub nm: Option<PathBuf>,
    /// `strip`, when one exists.
    pub strip: Option<PathBuf>,
    /// `objcopy`, when one exists.
    pub objcopy: Option<PathBuf>,
    /// Resource compiler (Windows), when one exists.
    pub windres: Option<PathBuf>,
    /// pkg-config for the target's libraries.
    pub pkg_config: Option<PathBuf>,
    /// Sysroot, when the target's files are not below `/`.
    pub sysroot: Option<String>,
    /// Debian multiarch tuple (`CMAKE_LIBRARY_ARCHITECTURE`).
    pub library_architecture: Option<String>,
    /// Command that runs the target's programs (`qemu-aarch64 -L /`).
    pub emulator: Vec<String>,
}

/// CMake's name for the OCI OS `name` (the OS table's), else `name` itself.
fn cmake_system_name(name: &str) -> String {
    os::find(name)
        .map_or(name, |row| row.cmake_system_name)
        .to_string()
}

/// Quote a value for CMake (`"..."` with `\` and `"` escaped).
fn cmake_quote(value: &str) -> String {
    format!(
        "\"{}\"",
        value
            .replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('$', "\\$")
    )
}

fn cmake_path(path: &std::path::Path) -> String {
    cmake_quote(&path.to_string_lossy())
}

/// A complete CMake toolchain file (`-DCMAKE_TOOLCHAIN_FILE=`).
pub fn cmake_toolchain(spec: &CrossSpec) -> String {
    let mut text = String::from(
        "# CMake toolchain file written by xx-rs (xx-clang --print-cmake-toolchain).\n",
    );
    let mut set = |name: &str, value: String| {
        let _ = writeln!(text, "set({name} {value})");
    };
    set("CMAKE_SYSTEM_NAME", cmake_system_name(&spec.os));
    set("CMAKE_SYSTEM_PROCESSOR", cmake_quote(&spec.processor));
    set("CMAKE_C_COMPILER", cmake_path(&spec.c_compiler));
    set("CMAKE_CXX_COMPILER", cmake_path(&spec.cxx_compiler));
    set("CMAKE_ASM_COMPILER", cmake_path(&spec.c_compiler));
    for lang in ["C", "CXX", "ASM"] {
        set(
            &format!("CMAKE_{lang}_COMPILER_TARGET"),
            cmake_quote(&spec.clang_target),
        );
    }
    let tools = [
        ("CMAKE_AR", &spec.ar),
        ("CMAKE_RANLIB", &spec.ranlib),
        ("CMAKE_NM", &spec.nm),
        ("CMAKE_STRIP", &spec.strip),
        ("CMAKE_OBJCOPY", &spec.objcopy),
        ("CMAKE_RC_COMPILER", &spec.windres),
        ("PKG_CONFIG_EXECUTABLE", &spec.pkg_config),
    ];
    for (name, path) in tools {
        if let Some(path) = path {
            set(name, format!("{} CACHE FILEPATH \"\"", cmake_path(path)));
        }
    }
    if let Some(arch) = &spec.library_architecture {
        set("CMAKE_LIBRARY_ARCHITECTURE", cmake_quote(arch));
    }
    if !spec.emulator.is_empty() {
        set(
            "CMAKE_CROSSCOMPILING_EMULATOR",
            cmake_quote(&spec.emulator.join(";")),
        );
    }
    set("CMAKE_FIND_ROOT_PATH_MODE_PROGRAM", "NEVER".into());
    if let Some(sysroot) = &spec.sysroot {
        set("CMAKE_SYSROOT", cmake_quote(sysroot));
        set("CMAKE_FIND_ROOT_PATH", cmake_quote(sysroot));
        for kind in ["LIBRARY", "INCLUDE", "PACKAGE"] {
            set(&format!("CMAKE_FIND_ROOT_PATH_MODE_{kind}"), "ONLY".into());
        }
    }
    text
}

/// Quote a value for a Meson machine file (`'...'`).
fn meson_quote(value: &str) -> String {
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
}

fn meson_path(path: &std::path::Path) -> String {
    meson_quote(&path.to_string_lossy())
}

/// A complete Meson cross file (`meson setup --cross-file`).
pub fn meson_cross_file(spec: &CrossSpec) -> String {
    let mut text = String::from(
        "# Meson cross file written by xx-rs (xx-clang --print-meson-cross-file).\n[binaries]\n",
    );
    let mut line = |key: &str, value: String| {
        let _ = writeln!(text, "{key} = {value}");
    };
    line("c", meson_path(&spec.c_compiler));
    line("cpp", meson_path(&spec.cxx_compiler));
    let tools = [
        ("ar", &spec.ar),
        ("ranlib", &spec.ranlib),
        ("nm", &spec.nm),
        ("strip", &spec.strip),
        ("objcopy", &spec.objcopy),
        ("windres", &spec.windres),
        // Meson before 1.3 reads `pkgconfig`, later versions `pkg-config`.
        ("pkgconfig", &spec.pkg_config),
        ("pkg-config", &spec.pkg_config),
    ];
    for (key, path) in tools {
        if let Some(path) = path {
            line(key, meson_path(path));
        }
    }
    if !spec.emulator.is_empty() {
        let items: Vec<String> = spec.emulator.iter().map(|s| meson_quote(s)).collect();
        line("exe_wrapper", format!("[{}]", items.join(", ")));
    }
    text.push_str("\n[properties]\n");
    if let Some(sysroot) = &spec.sysroot {
        let _ = writeln!(text, "sys_root = {}", meson_quote(sysroot));
    }
    text.push_str("\n[host_machine]\n");
    let _ = writeln!(text, "system = {}", meson_quote(&spec.os));
    let _ = writeln!(text, "cpu_family = {}", meson_quote(&spec.cpu_family));
    let _ = writeln!(text, "cpu = {}", meson_quote(&spec.processor));
    let _ = writeln!(text, "endian = {}", meson_quote(&spec.endian));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arm64() -> CrossSpec {
        let bin = |name: &str| Some(PathBuf::from(format!("/usr/bin/aarch64-linux-gnu-{name}")));
        CrossSpec {
            clang_target: "aarch64-linux-gnu".into(),
            os: "linux".into(),
            processor: "aarch64".into(),
            cpu_family: "aarch64".into(),
            endian: "little".into(),
            c_compiler: "/usr/bin/aarch64-linux-gnu-clang".into(),
            cxx_compiler: "/usr/bin/aarch64-linux-gnu-clang++".into(),
            ar: bin("ar"),
            ranlib: bin("ranlib"),
            nm: None,
            strip: bin("strip"),
            objcopy: None,
            windres: None,
            pkg_config: bin("pkg-config"),
            sysroot: None,
            library_architecture: Some("aarch64-linux-gnu".into()),
            emulator: vec!["/usr/bin/qemu-aarch64".into(), "-L".into(), "/".into()],
        }
    }

    #[test]
    fn cmake_toolchain_for_debian_multiarch() {
        let text = cmake_toolchain(&arm64());
        for line in [
            "set(CMAKE_SYSTEM_NAME Linux)",
            "set(CMAKE_SYSTEM_PROCESSOR \"aarch64\")",
            "set(CMAKE_C_COMPILER \"/usr/bin/aarch64-linux-gnu-clang\")",
            "set(CMAKE_CXX_COMPILER \"/usr/bin/aarch64-linux-gnu-clang++\")",
            "set(CMAKE_C_COMPILER_TARGET \"aarch64-linux-gnu\")",
            "set(CMAKE_AR \"/usr/bin/aarch64-linux-gnu-ar\" CACHE FILEPATH \"\")",
            "set(PKG_CONFIG_EXECUTABLE \"/usr/bin/aarch64-linux-gnu-pkg-config\" CACHE FILEPATH \"\")",
            "set(CMAKE_LIBRARY_ARCHITECTURE \"aarch64-linux-gnu\")",
            "set(CMAKE_CROSSCOMPILING_EMULATOR \"/usr/bin/qemu-aarch64;-L;/\")",
            "set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)",
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line}\n{text}");
        }
        assert!(!text.contains("CMAKE_SYSROOT"));
        assert!(!text.contains("CMAKE_NM"));
    }

    #[test]
    fn cmake_toolchain_with_sysroot() {
        let mut spec = arm64();
        spec.sysroot = Some("/aarch64-alpine-linux-musl/".into());
        let text = cmake_toolchain(&spec);
        assert!(text.contains("set(CMAKE_SYSROOT \"/aarch64-alpine-linux-musl/\")\n"));
        assert!(text.contains("set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)\n"));
        spec.os = "windows".into();
        assert!(cmake_toolchain(&spec).contains("set(CMAKE_SYSTEM_NAME Windows)\n"));
    }

    #[test]
    fn meson_cross_file_for_debian_multiarch() {
        let text = meson_cross_file(&arm64());
        for line in [
            "[binaries]",
            "c = '/usr/bin/aarch64-linux-gnu-clang'",
            "cpp = '/usr/bin/aarch64-linux-gnu-clang++'",
            "ar = '/usr/bin/aarch64-linux-gnu-ar'",
            "pkgconfig = '/usr/bin/aarch64-linux-gnu-pkg-config'",
            "pkg-config = '/usr/bin/aarch64-linux-gnu-pkg-config'",
            "exe_wrapper = ['/usr/bin/qemu-aarch64', '-L', '/']",
            "[host_machine]",
            "system = 'linux'",
            "cpu_family = 'aarch64'",
            "cpu = 'aarch64'",
            "endian = 'little'",
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line}\n{text}");
        }
        assert!(!text.contains("sys_root"));
    }

    #[test]
    fn quoting_is_safe() {
        assert_eq!(meson_quote("it's"), r"'it\'s'");
        assert_eq!(cmake_quote("a\"b$c"), r#""a\"b\$c""#);
    }
}
