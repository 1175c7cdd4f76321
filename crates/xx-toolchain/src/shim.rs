//! The tiny `exec` shell scripts xx-cc writes where a symlink cannot carry
//! the arguments (pure text generation).
//!
//! Every script starts with [`MARKER`] on its second line so that xx-cc can
//! tell its own scripts from files it must never touch.

use std::path::Path;

/// Second line of every script xx-cc writes.
pub const MARKER: &str = "# written by xx-rs (xx-cc)";

/// Quote `value` for a POSIX shell (single quotes, `'` escaped).
pub fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

fn quoted(path: &Path) -> String {
    shell_quote(&path.to_string_lossy())
}

fn script(body: &str) -> String {
    format!("#!/bin/sh\n{MARKER}\n{body}\n")
}

/// `<triple>-clang`: clang with the target's config file.
pub fn compiler(clang: &Path, config: &Path) -> String {
    script(&format!(
        "exec {} --config {} \"$@\"",
        quoted(clang),
        quoted(config)
    ))
}

/// `<triple>-<tool>` for triples that LLVM tools misread (they contain a dot).
pub fn forward(program: &Path) -> String {
    script(&format!("exec {} \"$@\"", quoted(program)))
}

/// `<triple>-windres` through `xx-windres`, as xx does.
pub fn xx_windres(triple: &str) -> String {
    script(&format!(
        "exec xx-windres {} \"$@\"",
        shell_quote(&format!("--target={triple}"))
    ))
}

/// `<triple>-pkg-config` for Debian multiarch: `.pc` files of the target's
/// `/usr/lib/<tuple>`, unless `PKG_CONFIG_LIBDIR` says otherwise.
pub fn multiarch_pkg_config(tuple: &str) -> String {
    let libdir = [
        format!("/usr/local/lib/{tuple}/pkgconfig"),
        "/usr/local/share/pkgconfig".to_string(),
        format!("/usr/lib/{tuple}/pkgconfig"),
        "/usr/share/pkgconfig".to_string(),
    ]
    .join(":");
    script(&format!(
        ": \"${{PKG_CONFIG_LIBDIR={libdir}}}\"\nexport PKG_CONFIG_LIBDIR\nexec pkg-config \"$@\""
    ))
}

/// `<triple>-pkg-config` for an Alpine per-target root `/<triple>`.
pub fn sysroot_pkg_config(triple: &str) -> String {
    script(&format!(
        "export PKG_CONFIG_SYSROOT_DIR={root}\nexport PKG_CONFIG_LIBDIR={root}/usr/lib/pkgconfig/:{root}/usr/share/pkgconfig/\nexec pkg-config \"$@\"",
        root = shell_quote(&format!("/{triple}"))
    ))
}

/// The first argument that makes the xx-rs binary run the tool it names,
/// whatever the binary's own file name: `<xx> --xx-tool=xx-clang ARGS`.
/// Scripts xx-rs writes call the binary this way, so they work with every
/// install form (a link, a hard link, a copy named after any tool, a
/// renamed binary).
pub const TOOL_ARG: &str = "--xx-tool=";

/// A plain compiler name (`clang`, `gcc`, `c++`) that runs the xx-rs tool
/// `tool` (`xx-clang`, `xx-clang++`) in plain mode: target-aware only with
/// `--target=`, or for every build while wrapped. When `xx` is gone (an xx
/// run from a build directory that was deleted since) the shim runs
/// `fallback`, the real compiler of that name, so it never breaks the
/// machine's compiler.
pub fn plain_compiler(xx: &Path, tool: &str, fallback: &Path) -> String {
    script(&format!(
        "[ -x {xx} ] || exec {fallback} \"$@\"\nexec {xx} {} --xx-cc-plain \"$@\"",
        shell_quote(&format!("{TOOL_ARG}{tool}")),
        xx = quoted(xx),
        fallback = quoted(fallback),
    ))
}

/// Whether `text` is a script xx-cc wrote.
pub fn is_ours(text: &str) -> bool {
    text.lines().nth(1) == Some(MARKER)
}

/// Whether the file at `path` is a script xx-cc wrote. Reads only its first
/// bytes (the marker is on the second line), so asking it of a compiler
/// binary costs nothing.
pub fn is_ours_file(path: &Path) -> bool {
    use std::io::Read;
    let mut head = Vec::with_capacity(HEAD_BYTES);
    std::fs::File::open(path)
        .and_then(|file| file.take(HEAD_BYTES as u64).read_to_end(&mut head))
        .is_ok_and(|_| is_ours(&String::from_utf8_lossy(&head)))
}

/// How much of a file [`is_ours_file`] reads: the `#!` line and the marker.
const HEAD_BYTES: usize = 256;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_are_tiny_exec_shims() {
        let text = compiler(
            Path::new("/usr/bin/clang"),
            Path::new("/usr/bin/aarch64-linux-gnu.cfg"),
        );
        assert_eq!(
            text,
            "#!/bin/sh\n# written by xx-rs (xx-cc)\nexec '/usr/bin/clang' --config '/usr/bin/aarch64-linux-gnu.cfg' \"$@\"\n"
        );
        assert!(is_ours(&text));
        assert!(!is_ours("#!/bin/sh\nexec gcc \"$@\"\n"));
        assert_eq!(
            forward(Path::new("/usr/bin/llvm-ar")),
            "#!/bin/sh\n# written by xx-rs (xx-cc)\nexec '/usr/bin/llvm-ar' \"$@\"\n"
        );
        assert_eq!(
            plain_compiler(
                Path::new("/usr/bin/xx"),
                "xx-clang++",
                Path::new("/usr/bin/clang++")
            ),
            "#!/bin/sh\n# written by xx-rs (xx-cc)\n[ -x '/usr/bin/xx' ] || exec '/usr/bin/clang++' \"$@\"\nexec '/usr/bin/xx' '--xx-tool=xx-clang++' --xx-cc-plain \"$@\"\n"
        );
    }

    #[test]
    fn our_files_are_recognised_by_their_head() {
        let dir = tempfile::tempdir().unwrap();
        let ours = dir.path().join("ours");
        std::fs::write(&ours, forward(Path::new("/usr/bin/llvm-ar"))).unwrap();
        assert!(is_ours_file(&ours));
        let binary = dir.path().join("binary");
        std::fs::write(&binary, [0x7f, b'E', b'L', b'F', 0xff, 0xfe, b'\n']).unwrap();
        assert!(!is_ours_file(&binary));
        assert!(!is_ours_file(&dir.path().join("missing")));
    }

    #[test]
    fn plain_compiler_survives_a_deleted_xx() {
        let dir = tempfile::tempdir().unwrap();
        let shim = dir.path().join("clang");
        let text = plain_compiler(
            &dir.path().join("gone/xx"),
            "xx-clang",
            Path::new("/bin/echo"),
        );
        std::fs::write(&shim, text).unwrap();
        let output = std::process::Command::new("sh")
            .arg(&shim)
            .args(["-c", "x.c"])
            .output()
            .unwrap();
        assert!(output.status.success());
        assert_eq!(String::from_utf8_lossy(&output.stdout), "-c x.c\n");
    }

    #[test]
    fn pkg_config_scripts() {
        let text = multiarch_pkg_config("aarch64-linux-gnu");
        assert!(text.contains(
            ": \"${PKG_CONFIG_LIBDIR=/usr/local/lib/aarch64-linux-gnu/pkgconfig:/usr/local/share/pkgconfig:/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig}\"\n"
        ));
        assert!(text.ends_with("exec pkg-config \"$@\"\n"));
        let alpine = sysroot_pkg_config("aarch64-alpine-linux-musl");
        assert!(alpine.contains("export PKG_CONFIG_SYSROOT_DIR='/aarch64-alpine-linux-musl'\n"));
    }

    #[test]
    fn quoting() {
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }
}
