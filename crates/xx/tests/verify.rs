//! `xx-verify` on real binaries compiled here with clang/lld (and GNU ld for
//! s390x, mingw-w64 for Windows), checked against every target platform.
//!
//! Needs Debian's clang, lld, llvm, binutils-s390x-linux-gnu and mingw-w64
//! (`cargo xtask prereqs` installs them); a missing tool fails the test with
//! the package to install.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

// The end-to-end harness's skip log (std only; see the file).
#[path = "../../../tests/src/skip.rs"]
mod skip;

const XX: &str = env!("CARGO_BIN_EXE_xx");

/// A freestanding program: no libc, so no sysroot is needed for any target.
const START_C: &str = "void _start(void) { for (;;) {} }\n";
const HELLO_C: &str = "#include <stdio.h>\nint main(void) { puts(\"hello\"); return 0; }\n";

/// One compiled fixture and the platform it was built for.
struct Fixture {
    platform: &'static str,
    path: PathBuf,
}

struct Fixtures {
    _dir: tempfile::TempDir,
    binaries: Vec<Fixture>,
    dir: PathBuf,
}

fn run_tool(program: &str, args: &[&str], package: &str) {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program} ({e}); apt-get install {package}"));
    assert!(
        out.status.success(),
        "{program} {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn llvm_tool(name: &str) -> String {
    for candidate in [
        format!("/usr/bin/{name}"),
        format!("/usr/bin/{name}-14"),
        format!("/usr/lib/llvm-14/bin/{name}"),
    ] {
        if Path::new(&candidate).exists() {
            return candidate;
        }
    }
    panic!("{name} not found; apt-get install llvm");
}

/// Build every fixture once per test process.
fn fixtures() -> &'static Fixtures {
    static FIXTURES: OnceLock<Fixtures> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path().to_path_buf();
        std::fs::write(d.join("start.c"), START_C).unwrap();
        std::fs::write(d.join("hello.c"), HELLO_C).unwrap();
        let start = d.join("start.c");
        let start = start.to_str().unwrap();
        let mut binaries = Vec::new();

        // ELF executables linked by lld, one per (platform, clang triple).
        for (platform, triple, extra) in [
            ("linux/amd64", "x86_64-linux-gnu", ""),
            ("linux/arm64", "aarch64-linux-gnu", ""),
            ("linux/arm/v7", "armv7a-linux-gnueabihf", ""),
            ("linux/386", "i686-linux-gnu", ""),
            ("linux/riscv64", "riscv64-linux-gnu", ""),
            ("linux/ppc64le", "powerpc64le-linux-gnu", ""),
            ("linux/ppc64", "powerpc64-linux-gnu", ""),
            ("linux/mips64le", "mips64el-linux-gnuabi64", ""),
            ("linux/mips", "mips-linux-gnu", ""),
            (
                "linux/loong64",
                "loongarch64-linux-gnu",
                "skip-if-unsupported",
            ),
            ("freebsd/amd64", "x86_64-unknown-freebsd", ""),
            ("freebsd/arm64", "aarch64-unknown-freebsd", ""),
        ] {
            let out = d.join(platform.replace('/', "-"));
            let result = Command::new("clang")
                .args([
                    &format!("--target={triple}"),
                    "-nostdlib",
                    "-static",
                    "-fuse-ld=lld",
                    "-O1",
                    "-o",
                    out.to_str().unwrap(),
                    start,
                ])
                .output()
                .expect("clang not found; apt-get install clang lld");
            if !result.status.success() && extra == "skip-if-unsupported" {
                // clang 14 has no LoongArch backend.
                skip::skip(
                    "xx/tests/verify.rs fixtures",
                    &format!("this clang cannot build for {triple}: {platform} is not checked"),
                );
                continue;
            }
            assert!(
                result.status.success(),
                "clang for {triple}: {}",
                String::from_utf8_lossy(&result.stderr)
            );
            binaries.push(Fixture {
                platform,
                path: out,
            });
        }

        // s390x: clang compiles, GNU ld from binutils-s390x-linux-gnu links.
        let obj = d.join("s390x.o");
        run_tool(
            "clang",
            &[
                "--target=s390x-linux-gnu",
                "-c",
                "-o",
                obj.to_str().unwrap(),
                start,
            ],
            "clang",
        );
        let s390x = d.join("linux-s390x");
        run_tool(
            "s390x-linux-gnu-ld",
            &[
                "-static",
                "-o",
                s390x.to_str().unwrap(),
                obj.to_str().unwrap(),
            ],
            "binutils-s390x-linux-gnu",
        );
        binaries.push(Fixture {
            platform: "linux/s390x",
            path: s390x,
        });

        // Windows PE, with mingw-w64's C runtime.
        let exe = d.join("windows-amd64.exe");
        run_tool(
            "x86_64-w64-mingw32-gcc",
            &[
                "-o",
                exe.to_str().unwrap(),
                d.join("hello.c").to_str().unwrap(),
            ],
            "mingw-w64",
        );
        binaries.push(Fixture {
            platform: "windows/amd64",
            path: exe,
        });
        let exe32 = d.join("windows-386.exe");
        run_tool(
            "i686-w64-mingw32-gcc",
            &[
                "-o",
                exe32.to_str().unwrap(),
                d.join("hello.c").to_str().unwrap(),
            ],
            "mingw-w64",
        );
        binaries.push(Fixture {
            platform: "windows/386",
            path: exe32,
        });

        // Mach-O objects (no macOS SDK here, so objects, not executables),
        // and a universal binary of both made with llvm-lipo.
        for (platform, triple) in [
            ("darwin/arm64", "arm64-apple-macos11"),
            ("darwin/amd64", "x86_64-apple-macos10.12"),
        ] {
            let out = d.join(format!("{}.o", platform.replace('/', "-")));
            run_tool(
                "clang",
                &[
                    &format!("--target={triple}"),
                    "-c",
                    "-o",
                    out.to_str().unwrap(),
                    start,
                ],
                "clang",
            );
            binaries.push(Fixture {
                platform,
                path: out,
            });
        }
        let fat = d.join("darwin-universal.o");
        run_tool(
            &llvm_tool("llvm-lipo"),
            &[
                "-create",
                "-output",
                fat.to_str().unwrap(),
                d.join("darwin-arm64.o").to_str().unwrap(),
                d.join("darwin-amd64.o").to_str().unwrap(),
            ],
            "llvm",
        );

        // Native glibc programs: dynamic, static and static-pie.
        let hello = d.join("hello.c");
        for (name, flags) in [
            ("host-dynamic", &[][..]),
            ("host-static", &["-static"][..]),
            ("host-static-pie", &["-static-pie"][..]),
        ] {
            let out = d.join(name);
            let mut args: Vec<&str> = flags.to_vec();
            args.extend(["-o", out.to_str().unwrap(), hello.to_str().unwrap()]);
            run_tool("clang", &args, "clang libc6-dev");
        }

        // A native C++ program linked against the shared libstdc++.
        let hello_cpp = d.join("hello.cpp");
        std::fs::write(
            &hello_cpp,
            "#include <iostream>\nint main() { std::cout << \"hi\" << std::endl; }\n",
        )
        .unwrap();
        let out = d.join("host-cpp");
        run_tool(
            "clang++",
            &["-o", out.to_str().unwrap(), hello_cpp.to_str().unwrap()],
            "clang libstdc++-12-dev",
        );

        Fixtures {
            dir: d,
            _dir: dir,
            binaries,
        }
    })
}

fn verify(platform: &str, args: &[&str]) -> Output {
    verify_env(platform, args, &[])
}

fn verify_env(platform: &str, args: &[&str], vars: &[(&str, &str)]) -> Output {
    Command::new(XX)
        .arg("verify")
        .args(args)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("TARGETPLATFORM", platform)
        .envs(vars.iter().copied())
        .output()
        .expect("run xx verify")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The OS, ELF machine family and class/endianness of a platform, to decide
/// which message a mismatch must give.
fn identity(platform: &str) -> (&str, &str, &str) {
    let mut parts = platform.split('/');
    let os = parts.next().unwrap();
    let arch = parts.next().unwrap();
    let (family, class) = match arch {
        "amd64" => ("x86-64", "64L"),
        "386" => ("x86", "32L"),
        "arm64" => ("aarch64", "64L"),
        "arm" => ("arm", "32L"),
        "riscv64" => ("riscv", "64L"),
        "ppc64le" => ("ppc64", "64L"),
        "ppc64" => ("ppc64", "64B"),
        "s390x" => ("s390", "64B"),
        "mips" => ("mips", "32B"),
        "mipsle" => ("mips", "32L"),
        "mips64" => ("mips", "64B"),
        "mips64le" => ("mips", "64L"),
        "loong64" => ("loongarch", "64L"),
        other => panic!("add {other}"),
    };
    (os, family, class)
}

#[test]
fn each_binary_passes_for_its_platform_and_fails_for_the_others() {
    let fixtures = fixtures();
    let platforms: Vec<&str> = fixtures.binaries.iter().map(|f| f.platform).collect();
    let mut checked = 0;
    for fixture in &fixtures.binaries {
        let file = fixture.path.to_str().unwrap();
        for target in &platforms {
            let out = verify(target, &[file]);
            let (b_os, b_family, b_class) = identity(fixture.platform);
            let (t_os, t_family, t_class) = identity(target);
            let err = stderr(&out);
            checked += 1;
            if (b_os, b_family, b_class) == (t_os, t_family, t_class) {
                assert!(
                    out.status.success(),
                    "{} should pass for {target}: {err}",
                    fixture.platform
                );
                assert!(err.is_empty());
                continue;
            }
            assert_eq!(
                out.status.code(),
                Some(1),
                "{} for {target}",
                fixture.platform
            );
            assert_eq!(err.lines().count(), 1, "{err}");
            assert!(err.starts_with(&format!("file {file} ")), "{err}");
            let target_arch = target.split('/').nth(1).unwrap();
            let expected = if b_os != t_os {
                format!("does not match expected target OS {t_os}: ")
            } else if b_family != t_family {
                format!("does not match expected target architecture {target_arch}: ")
            } else {
                format!("does not match expected endianness for {target_arch}")
            };
            assert!(
                err.contains(&expected),
                "{} for {target}: want {expected:?} in {err:?}",
                fixture.platform
            );
        }
    }
    assert!(checked >= 15 * 15, "only {checked} combinations checked");
}

#[test]
fn variants_share_their_architecture() {
    let f = fixtures();
    let arm = f.dir.join("linux-arm-v7");
    for target in ["linux/arm/v7", "linux/arm/v6", "linux/arm/v5", "linux/arm"] {
        let out = verify(target, &[arm.to_str().unwrap()]);
        assert!(out.status.success(), "{target}: {}", stderr(&out));
    }
    let amd64 = f.dir.join("linux-amd64");
    let out = verify("linux/amd64/v3", &[amd64.to_str().unwrap()]);
    assert!(out.status.success());
}

#[test]
fn universal_mach_o_passes_for_each_slice() {
    let fat = fixtures().dir.join("darwin-universal.o");
    let fat = fat.to_str().unwrap();
    assert!(verify("darwin/arm64", &[fat]).status.success());
    assert!(verify("darwin/amd64", &[fat]).status.success());
    let out = verify("linux/arm64", &[fat]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("does not match expected target OS linux"));
}

#[test]
fn static_checks() {
    let d = &fixtures().dir;
    let file = |name: &str| d.join(name).to_str().unwrap().to_string();
    let out = verify("linux/amd64", &["--static", &file("host-dynamic")]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("is not statically linked: "), "{err}");
    assert!(
        err.contains("interpreter /lib64/ld-linux-x86-64.so.2"),
        "{err}"
    );
    for name in ["host-static", "host-static-pie", "linux-amd64"] {
        let out = verify("linux/amd64", &["--static", &file(name)]);
        assert!(out.status.success(), "{name}: {}", stderr(&out));
    }
    let out = verify_env(
        "linux/amd64",
        &[&file("host-dynamic")],
        &[("XX_VERIFY_STATIC", "1")],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("is not statically linked"));
    // The dynamic program passes without --static.
    assert!(verify("linux/amd64", &[&file("host-dynamic")])
        .status
        .success());
}

#[test]
fn symlinks_are_followed() {
    let d = &fixtures().dir;
    let link = d.join("link-to-arm64");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(d.join("linux-arm64"), &link).unwrap();
    assert!(verify("linux/arm64", &[link.to_str().unwrap()])
        .status
        .success());
    assert_eq!(
        verify("linux/amd64", &[link.to_str().unwrap()])
            .status
            .code(),
        Some(1)
    );
}

#[test]
fn first_failure_stops_unless_all() {
    let d = &fixtures().dir;
    let a = d.join("linux-arm64");
    let b = d.join("linux-riscv64");
    let args = [a.to_str().unwrap(), b.to_str().unwrap()];
    let out = verify("linux/amd64", &args);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr(&out).lines().count(), 1);
    let out = verify("linux/amd64", &["--all", args[0], args[1]]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr(&out).lines().count(), 2);
}

#[test]
fn json_records() {
    let d = &fixtures().dir;
    let good = d.join("linux-arm64");
    let bad = d.join("linux-s390x");
    let out = verify(
        "linux/arm64",
        &["--json", good.to_str().unwrap(), bad.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    let records: Vec<&str> = text.lines().collect();
    assert_eq!(records.len(), 2, "{text}");
    assert!(records[0].contains("\"ok\":true"), "{}", records[0]);
    assert!(
        records[0].contains("\"machine\":\"aarch64\""),
        "{}",
        records[0]
    );
    assert!(records[0].contains("\"is_static\":true"), "{}", records[0]);
    assert!(records[1].contains("\"ok\":false"), "{}", records[1]);
    assert!(records[1].contains("\"endian\":\"big\""), "{}", records[1]);
}

#[test]
fn max_glibc() {
    let dynamic = fixtures().dir.join("host-dynamic");
    let file = dynamic.to_str().unwrap();
    let needed = {
        let out = verify("linux/amd64", &["--json", file]);
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let at = text.find("\"max_glibc\":\"").expect("max_glibc in json") + 13;
        text[at..].split('"').next().unwrap().to_string()
    };
    assert!(verify("linux/amd64", &["--max-glibc", &needed, file])
        .status
        .success());
    let out = verify("linux/amd64", &["--max-glibc=2.0", file]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains(&format!(
            "requires GLIBC_{needed}, newer than the allowed 2.0"
        )),
        "{}",
        stderr(&out)
    );
    let out = verify("linux/amd64", &["--max-glibc", "two", file]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("invalid --max-glibc value \"two\""));
}

#[test]
fn max_glibcxx() {
    let cpp = fixtures().dir.join("host-cpp");
    let file = cpp.to_str().unwrap();
    let out = verify("linux/amd64", &["--json", file]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let at = text
        .find("\"max_glibcxx\":\"")
        .expect("max_glibcxx in json")
        + 15;
    let needed = text[at..].split('"').next().unwrap().to_string();
    assert!(needed.starts_with("3.4"), "{needed}");
    assert!(verify("linux/amd64", &["--max-glibcxx", &needed, file])
        .status
        .success());
    let out = verify("linux/amd64", &["--max-glibcxx=3.3", file]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains(&format!(
            "requires GLIBCXX_{needed}, newer than the allowed 3.3"
        )),
        "{}",
        stderr(&out)
    );
    // A C program needs no GLIBCXX version.
    let c = fixtures().dir.join("host-dynamic");
    assert!(verify(
        "linux/amd64",
        &["--max-glibcxx", "3.4.0", c.to_str().unwrap()]
    )
    .status
    .success());
    let out = verify("linux/amd64", &["--max-glibcxx", file, "x"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("invalid --max-glibcxx value"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn usage_flags_and_bad_files() {
    let out = verify("linux/amd64", &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).starts_with("Usage: xx-verify"));
    assert!(verify("linux/amd64", &["--setup"]).status.success());
    let out = verify("linux/amd64", &["--frob", "x"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr(&out), "invalid flag --frob\n");
    let out = verify("linux/amd64", &["/no/such/file"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr(&out), "file not found: /no/such/file\n");

    let d = tempfile::tempdir().unwrap();
    let mut random = vec![0u8; 4096];
    let mut x: u32 = 12345;
    for byte in random.iter_mut() {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        *byte = (x >> 16) as u8;
    }
    let arm64 = std::fs::read(fixtures().dir.join("linux-arm64")).unwrap();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", vec![]),
        ("script", b"#!/bin/sh\necho hi\n".to_vec()),
        ("random", random),
        ("truncated", arm64[..40].to_vec()),
        ("elf-magic-only", b"\x7fELF".to_vec()),
    ];
    for (name, bytes) in &cases {
        let path = d.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let out = verify("linux/arm64", &[path.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1), "{name}");
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{name}: {err}");
        assert!(
            err.starts_with(&format!("file {}", path.display())),
            "{err}"
        );
    }
    let out = verify("linux/arm64", &[d.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("not a regular file"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn unsupported_target() {
    let file = fixtures().dir.join("linux-arm64");
    let out = verify("linux/sparc", &[file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "unsupported target: os=linux arch=sparc variant=\n"
    );
}
