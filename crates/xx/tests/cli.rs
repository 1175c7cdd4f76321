//! Tests of the real `xx` binary: dispatch, links, errors, JSON.

use std::path::Path;
use std::process::{Command, Output};

const XX: &str = env!("CARGO_BIN_EXE_xx");

fn fixture_root(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/roots")
        .join(name)
}

/// Run `program` with a clean environment plus `vars`, on the Debian fixture.
fn run(program: &Path, args: &[&str], vars: &[(&str, &str)]) -> Output {
    Command::new(program)
        .args(args)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("XX_ROOT", fixture_root("debian"))
        .envs(vars.iter().copied())
        .output()
        .expect("run xx")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn dispatches_on_argv0_and_subcommand() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("xx-info");
    std::os::unix::fs::symlink(XX, &link).unwrap();
    let vars = [("TARGETPLATFORM", "linux/arm64")];
    let via_link = run(&link, &["triple"], &vars);
    let via_sub = run(Path::new(XX), &["info", "triple"], &vars);
    let via_long = run(Path::new(XX), &["xx-info", "triple"], &vars);
    for out in [&via_link, &via_sub, &via_long] {
        assert!(out.status.success(), "{}", stderr(out));
        assert_eq!(stdout(out), "aarch64-linux-gnu\n");
    }
}

/// Every install form runs the tool it is named for, and `--xx-tool=`
/// (the form xx-rs's own scripts use) runs the tool it names whatever the
/// binary is called: a plain copy named `xx-go` or `xx-clang` included.
#[test]
fn every_install_form_and_the_tool_argument() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("copy");
    let hard = dir.path().join("hard");
    std::fs::create_dir_all(&copy).unwrap();
    std::fs::create_dir_all(&hard).unwrap();
    // A hard link needs the same file system: copy the binary first.
    let own = dir.path().join("xx");
    std::fs::copy(XX, &own).unwrap();
    for name in ["xx-info", "xx-go", "xx-clang", "xx-verify"] {
        std::fs::copy(XX, copy.join(name)).unwrap();
        std::fs::hard_link(&own, hard.join(name)).unwrap();
    }
    let renamed = dir.path().join("my-tool");
    std::fs::copy(XX, &renamed).unwrap();
    let vars = [("TARGETPLATFORM", "linux/arm64")];
    let forms: Vec<(String, std::path::PathBuf, Vec<&str>)> = vec![
        ("copy".into(), copy.join("xx-info"), vec!["triple"]),
        ("hard link".into(), hard.join("xx-info"), vec!["triple"]),
        ("renamed".into(), renamed.clone(), vec!["info", "triple"]),
        (
            "copy named xx-go, --xx-tool".into(),
            copy.join("xx-go"),
            vec!["--xx-tool=xx-info", "triple"],
        ),
        (
            "copy named xx-clang, --xx-tool".into(),
            copy.join("xx-clang"),
            vec!["--xx-tool=info", "triple"],
        ),
        (
            "renamed, --xx-tool".into(),
            renamed.clone(),
            vec!["--xx-tool=xx-info", "triple"],
        ),
    ];
    for (form, program, args) in &forms {
        let out = run(program, args, &vars);
        assert!(out.status.success(), "{form}: {}", stderr(&out));
        assert_eq!(stdout(&out), "aarch64-linux-gnu\n", "{form}");
    }
    // A copy runs its own tool, not the one another copy is named for.
    let out = run(&copy.join("xx-verify"), &[], &vars);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("Usage"), "{}", stderr(&out));
    let out = run(&copy.join("xx-go"), &["--xx-tool=nope"], &vars);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("unknown tool \"nope\""),
        "{}",
        stderr(&out)
    );
}

#[test]
fn unknown_tools_are_named() {
    let out = run(Path::new(XX), &["frobnicate"], &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("unknown tool \"frobnicate\""), "{err}");
    assert!(err.contains("xx-info"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("xx-nope");
    std::os::unix::fs::symlink(XX, &link).unwrap();
    let out = run(&link, &[], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("unknown tool \"xx-nope\""));
}

#[test]
fn help_lists_tools() {
    let out = run(Path::new(XX), &["--help"], &[]);
    assert!(out.status.success());
    assert!(stdout(&out).contains("xx-info"));
    assert!(stdout(&out).contains("install-links"));
}

#[test]
fn install_links_is_idempotent_and_safe() {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    let dir_arg = bin.to_str().unwrap();
    for _ in 0..2 {
        let out = run(Path::new(XX), &["install-links", "--dir", dir_arg], &[]);
        assert!(out.status.success(), "{}", stderr(&out));
        let target = std::fs::read_link(bin.join("xx-info")).unwrap();
        assert_eq!(target, Path::new(XX).canonicalize().unwrap());
    }
    let linked = run(
        &bin.join("xx-info"),
        &["arch"],
        &[("TARGETPLATFORM", "linux/s390x")],
    );
    assert_eq!(stdout(&linked), "s390x\n");
    // No temporary links are left behind.
    let names: Vec<_> = std::fs::read_dir(&bin)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| n.starts_with("xx-")), "{names:?}");

    // A regular file of the same name is not replaced.
    std::fs::remove_file(bin.join("xx-info")).unwrap();
    std::fs::write(bin.join("xx-info"), "mine").unwrap();
    let out = run(Path::new(XX), &["install-links", "--dir", dir_arg], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("is not a link"), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(bin.join("xx-info")).unwrap(),
        "mine"
    );
}

#[test]
fn bad_platforms_give_one_line_and_exit_1() {
    for (var, value, needle) in [
        ("TARGETPLATFORM", "linux/arm64;rm -rf /", "TARGETPLATFORM"),
        ("TARGETPLATFORM", "linux/AMD64", "TARGETPLATFORM"),
        ("TARGETPLATFORM", "linux", "os/arch[/variant]"),
        ("TARGETPLATFORM", "linux/arm/v7/extra", "os/arch[/variant]"),
        ("TARGETARCH", "$(id)", "TARGETARCH"),
        ("TARGETPAIR", "linux-arm-v7", "TARGETPAIR"),
        ("XX_VENDOR", "../etc", "XX_VENDOR"),
        (
            "TARGETPLATFORM",
            "linux/sparc",
            "os=linux arch=sparc variant=",
        ),
        (
            "TARGETPLATFORM",
            "linux/arm/v9",
            "os=linux arch=arm variant=v9",
        ),
        ("TARGETPLATFORM", "plan9/amd64", "os=plan9 arch=amd64"),
    ] {
        let out = run(Path::new(XX), &["info"], &[(var, value)]);
        assert_eq!(out.status.code(), Some(1), "{var}={value}");
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{var}={value}: {err}");
        assert!(err.starts_with("unsupported target: "), "{err}");
        assert!(err.contains(needle), "{var}={value}: {err}");
        assert!(stdout(&out).is_empty());
    }
}

#[test]
fn newline_in_a_value_stays_on_one_line() {
    let out = run(
        Path::new(XX),
        &["info"],
        &[("TARGETPLATFORM", "linux/arm64\nmore")],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr(&out).lines().count(), 1);
}

#[test]
fn json_has_every_field() {
    let out = run(
        Path::new(XX),
        &["info", "--json"],
        &[("TARGETPLATFORM", "linux/arm/v7")],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    for needle in [
        "\"platform\": \"linux/arm/v7\"",
        "\"triple\": \"arm-linux-gnueabihf\"",
        "\"rust_triple\": \"armv7-unknown-linux-gnueabihf\"",
        "\"march\": \"armv7l\"",
        "\"debian_arch\": \"armhf\"",
        "\"alpine_arch\": \"armv7\"",
        "\"rhel_arch\": \"armv7hl\"",
        "\"pkg_arch\": \"armhf\"",
        "\"vendor\": \"debian\"",
        "\"libc\": \"gnu\"",
        "\"os_version\": \"12\"",
        "\"sysroot\": \"/\"",
        "\"is_cross\": true",
        "\"GOARM\": \"7\"",
        "\"qemu\": \"qemu-arm\"",
        "\"elf_machine\": 40",
        "\"endian\": \"little\"",
        "\"bits\": 32",
    ] {
        assert!(text.contains(needle), "missing {needle} in {text}");
    }
}

#[test]
fn is_cross_exit_codes() {
    let host_arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => panic!("add {other} here"),
    };
    let other_arch = if host_arch == "amd64" {
        "arm64"
    } else {
        "amd64"
    };
    let native = run(
        Path::new(XX),
        &["info", "is-cross"],
        &[("TARGETARCH", host_arch)],
    );
    assert_eq!(native.status.code(), Some(1));
    let cross = run(
        Path::new(XX),
        &["info", "is-cross"],
        &[("TARGETARCH", other_arch)],
    );
    assert_eq!(cross.status.code(), Some(0));
    let windows = run(
        Path::new(XX),
        &["info", "is-cross"],
        &[("TARGETOS", "windows"), ("TARGETARCH", host_arch)],
    );
    assert_eq!(windows.status.code(), Some(0));
}

#[test]
fn go_env_and_rust_triple() {
    let out = run(
        Path::new(XX),
        &["info", "go-env"],
        &[("TARGETPLATFORM", "linux/amd64/v3")],
    );
    assert_eq!(stdout(&out), "GOAMD64=v3\nGOARCH=amd64\nGOOS=linux\n");
    let out = run(
        Path::new(XX),
        &["info", "rust-triple"],
        &[("TARGETPLATFORM", "linux/riscv64")],
    );
    assert_eq!(stdout(&out), "riscv64gc-unknown-linux-gnu\n");
    let out = run(
        Path::new(XX),
        &["info", "rust-triple"],
        &[("TARGETPLATFORM", "windows/arm")],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr(&out), "no Rust target for windows/arm/v7\n");
}

#[test]
fn extra_arguments_are_rejected() {
    let out = run(Path::new(XX), &["info", "triple", "extra"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("\"extra\""));
}
