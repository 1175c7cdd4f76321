//! `xx lint` end to end: the real binary on the project's own Dockerfiles
//! (which must be clean), on Dockerfiles with each mistake the lint knows,
//! and on bad input.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const XX: &str = env!("CARGO_BIN_EXE_xx");

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixture(name: &str) -> PathBuf {
    workspace().join("tests/fixtures/dockerfiles").join(name)
}

fn lint(args: &[&str]) -> Output {
    Command::new(XX)
        .arg("lint")
        .args(args)
        .output()
        .expect("run xx lint")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn the_projects_own_dockerfiles_are_clean() {
    let mut files = vec![workspace().join("base-image/Dockerfile")];
    for example in ["c", "cpp-cmake", "go", "rust"] {
        files.push(
            workspace()
                .join("examples")
                .join(example)
                .join("Dockerfile"),
        );
    }
    for file in files {
        let out = lint(&[file.to_str().unwrap()]);
        assert!(
            out.status.success(),
            "{}: {}{}",
            file.display(),
            text(&out.stdout),
            text(&out.stderr)
        );
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn emulated_stages_are_explained() {
    let file = fixture("go-emulated.Dockerfile");
    let out = lint(&[file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    let name = file.display();
    assert!(
        stdout.starts_with(&format!(
            "{name}:3: XX001 warning: stage build runs on the target platform: RUN at lines 6, 7 execute under emulation"
        )),
        "{stdout}"
    );
    assert!(stdout.contains("cross-compile with xx-go"), "{stdout}");
    assert!(
        stdout.contains(&format!("{name}:9: XX001 warning: stage #1 runs on the target platform: RUN at line 10 executes")),
        "{stdout}"
    );

    // Machine-readable, and rules can be left out.
    let out = lint(&["--json", file.to_str().unwrap()]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let findings = report["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 2);
    assert_eq!(findings[0]["code"], "XX001");
    assert_eq!(findings[0]["severity"], "warning");
    assert_eq!(findings[0]["line"], 3);
    assert_eq!(findings[0]["stage"], "build");
    let out = lint(&["--ignore", "XX001", file.to_str().unwrap()]);
    assert!(out.status.success() && out.stdout.is_empty());

    // Only the stages the chosen target needs.
    let out = lint(&["--target", "build", file.to_str().unwrap()]);
    assert_eq!(text(&out.stdout).matches("XX001").count(), 1);
}

#[test]
fn builds_for_the_build_machine_are_errors() {
    let file = fixture("go-host-arch.Dockerfile");
    let out = lint(&[file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with(&format!(
            "{}:6: XX002 error: `go build` in stage build, which runs on $BUILDPLATFORM, builds for the build machine, not the target\n  hint: use xx-go",
            file.display()
        )),
        "{stdout}"
    );
}

#[test]
fn xx_tools_before_the_target_are_errors() {
    let file = fixture("xx-before-arg.Dockerfile");
    let out = lint(&[file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert_eq!(stdout.matches(": XX").count(), 1, "{stdout}");
    assert!(
        stdout.starts_with(&format!(
            "{}:8: XX003 error: xx-apt-get runs before ARG TARGETPLATFORM in stage build",
            file.display()
        )),
        "{stdout}"
    );
}

#[test]
fn standard_input_is_read_with_a_dash() {
    let mut child = Command::new(XX)
        .args(["lint", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn xx lint -");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"FROM debian\nRUN gcc -o a a.c\n")
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).starts_with("-:1: XX001 warning"));
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let missing = lint(&["/nonexistent/Dockerfile"]);
    let dockerfile = fixture("go-emulated.Dockerfile");
    let dockerfile = dockerfile.to_str().unwrap();
    let unknown_stage = lint(&["--target", "nope", dockerfile]);
    let unknown_rule = lint(&["--ignore", "XX999", dockerfile]);
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("Dockerfile");
    std::fs::write(&broken, "FROM debian\n--oops\n").unwrap();
    let malformed = lint(&[broken.to_str().unwrap()]);
    for (out, wanted) in [
        (missing, "cannot read /nonexistent/Dockerfile"),
        (unknown_stage, "--target nope: no such stage"),
        (unknown_rule, "--ignore XX999: no such rule"),
        (malformed, "line 2: not an instruction: \"--oops\""),
    ] {
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(out.stdout.is_empty());
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(wanted), "{stderr}");
    }
}
