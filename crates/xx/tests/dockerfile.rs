//! `xx lint` and `xx lower` end to end: the real binary on the project's
//! own Dockerfiles (which must be clean), on Dockerfiles with each mistake
//! the lint knows, on Dockerfiles to lower, and on bad input. (The docker
//! suite builds a lowered Dockerfile with BuildKit.)

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

fn xx(command: &str, args: &[&str]) -> Output {
    Command::new(XX)
        .arg(command)
        .args(args)
        .output()
        .expect("run xx")
}

fn lint(args: &[&str]) -> Output {
    xx("lint", args)
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
        // Already cross builds: lowering leaves them as they are.
        let lowered = xx("lower", &[file.to_str().unwrap()]);
        assert!(lowered.status.success());
        assert_eq!(
            text(&lowered.stdout),
            std::fs::read_to_string(&file).unwrap()
        );
        assert!(text(&lowered.stderr).ends_with(": nothing to lower\n"));
    }
}

#[test]
fn emulated_stages_are_explained() {
    let file = fixture("go-emulated.Dockerfile");
    // Warnings only: exit 0, unless --strict.
    let out = lint(&[file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let strict = lint(&["--strict", file.to_str().unwrap()]);
    assert_eq!(strict.status.code(), Some(1));
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
    let out = lint(&[
        "--strict",
        "--ignore",
        "EmulatedRunStage",
        file.to_str().unwrap(),
    ]);
    assert!(out.status.success() && out.stdout.is_empty());

    // SARIF for code-scanning annotations.
    let out = lint(&["--format", "sarif", file.to_str().unwrap()]);
    let log: serde_json::Value = serde_json::from_slice(&out.stdout).expect("SARIF");
    assert_eq!(log["version"], "2.1.0");
    let results = log["runs"][0]["results"].as_array().expect("results");
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["ruleId"], "XX001");
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["region"]["startLine"],
        3
    );

    // Only the stages the chosen target needs.
    let out = lint(&["--target", "build", file.to_str().unwrap()]);
    assert_eq!(text(&out.stdout).matches(": XX001 ").count(), 1);
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
    assert_eq!(out.status.code(), Some(0));
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

#[test]
fn lowering_moves_compile_stages_to_the_build_platform() {
    for name in [
        "go-emulated.Dockerfile",
        "c-naive.Dockerfile",
        "go-host-arch.Dockerfile",
    ] {
        let file = fixture(name);
        let out = xx("lower", &[file.to_str().unwrap()]);
        assert!(out.status.success(), "{name}: {}", text(&out.stderr));
        let lowered = text(&out.stdout);
        // What lowering leaves is only what it cannot change.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("Dockerfile");
        std::fs::write(&path, &lowered).unwrap();
        let lint = lint(&["--ignore", "XX001", path.to_str().unwrap()]);
        if name == "go-host-arch.Dockerfile" {
            // Already on $BUILDPLATFORM: nothing to lower, the lint still
            // says what is wrong.
            assert_eq!(lowered, std::fs::read_to_string(&file).unwrap());
            assert!(text(&out.stderr).ends_with(": nothing to lower\n"));
            assert_eq!(lint.status.code(), Some(1));
        } else {
            assert!(
                lint.status.success(),
                "{name}:\n{lowered}{}",
                text(&lint.stdout)
            );
        }
    }

    let file = fixture("go-emulated.Dockerfile");
    let out = xx("lower", &[file.to_str().unwrap()]);
    let lowered = text(&out.stdout);
    assert!(lowered.contains(
        "FROM --platform=$BUILDPLATFORM xx-rs AS xx\n\nFROM --platform=$BUILDPLATFORM golang:1.22 AS build\nCOPY --from=xx / /\nWORKDIR /src\nCOPY . .\nRUN go mod download\nARG TARGETPLATFORM\n"
    ), "{lowered}");
    assert!(lowered
        .contains("RUN CGO_ENABLED=0 xx-go build -o /out/app . && xx-verify --static /out/app\n"));
    let report = text(&out.stderr);
    let name = file.display();
    assert!(
        report.contains(&format!("{name}:7: `go build` -> `xx-go`\n")),
        "{report}"
    );
    assert!(
        report.contains(&format!("{name}:9: note: stage #1 is the image itself")),
        "{report}"
    );

    // --output writes the file; --json reports in JSON; --xx-image names the image.
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("Dockerfile.cross");
    let out = xx(
        "lower",
        &[
            "--json",
            "--xx-image",
            "tonistiigi/xx:1.6",
            "-o",
            output.to_str().unwrap(),
            file.to_str().unwrap(),
        ],
    );
    assert!(out.status.success() && out.stdout.is_empty());
    let written = std::fs::read_to_string(&output).unwrap();
    assert!(written.contains("FROM --platform=$BUILDPLATFORM tonistiigi/xx:1.6 AS xx\n"));
    let report: serde_json::Value = serde_json::from_slice(&out.stderr).expect("JSON report");
    assert_eq!(report["changes"][3]["line"], 7);
    assert_eq!(report["notes"][0]["line"], 9);
}

#[test]
fn lowering_bad_input_is_one_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let taken = dir.path().join("Dockerfile");
    std::fs::write(&taken, "FROM busybox AS xx\nFROM debian AS b\nRUN gcc -o a a.c\nFROM scratch\nCOPY --from=b /a /a\n").unwrap();
    let dockerfile = fixture("c-naive.Dockerfile");
    let dockerfile = dockerfile.to_str().unwrap();
    // Below a regular file: no folder can be made there.
    let unwritable = taken.join("Dockerfile");
    for (args, wanted) in [
        (
            vec!["/nonexistent/Dockerfile"],
            "cannot read /nonexistent/Dockerfile",
        ),
        (
            vec!["--target", "nope", dockerfile],
            "--target nope: no such stage",
        ),
        (
            vec!["--xx-image", "", dockerfile],
            "--xx-image \"\": not an image reference",
        ),
        (
            vec![taken.to_str().unwrap()],
            "line 1: a stage is already named xx",
        ),
        (
            vec!["-o", unwritable.to_str().unwrap(), dockerfile],
            "does not exist",
        ),
    ] {
        let out = xx("lower", &args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty());
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(wanted), "{stderr}");
    }
    assert!(!unwritable.exists());
}

/// The `RUN` that `xx lower` adds to check what later stages copy, with
/// its paths moved under `root`.
fn copied_check(dockerfile: &str, root: &Path) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("Dockerfile");
    std::fs::write(&path, dockerfile).unwrap();
    let out = xx("lower", &[path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lowered = text(&out.stdout);
    let line = lowered
        .lines()
        .find_map(|line| line.strip_prefix("RUN xx_elf()"))
        .unwrap_or_else(|| panic!("no check in\n{lowered}"));
    let root = root.to_str().unwrap();
    format!("xx_elf(){line}")
        .replace(" /opt/app", &format!(" {root}/opt/app"))
        .replace(" /src/app", &format!(" {root}/src/app"))
}

/// Run a check script with `xx-verify` (this xx) for `platform`.
fn run_check(script: &str, bin: &Path, platform: &str) -> Output {
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    Command::new("sh")
        .args(["-c", script])
        .env("PATH", path)
        .env("TARGETPLATFORM", platform)
        .output()
        .expect("run sh")
}

#[test]
fn the_copied_files_check_passes_the_targets_binaries_and_fails_others() {
    use std::os::unix::fs::PermissionsExt;
    let (native, other) = match std::env::consts::ARCH {
        "x86_64" => ("linux/amd64", "linux/arm64"),
        "aarch64" => ("linux/arm64", "linux/amd64"),
        _ => return,
    };
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    std::os::unix::fs::symlink(XX, bin.join("xx-verify")).unwrap();
    // An install prefix: an executable ELF file (this xx, built for this
    // machine), an executable script and a data file that are no binaries,
    // and a non-executable ELF file (a folder's are checked only when
    // executable).
    let root = dir.path().join("root");
    let prefix = root.join("opt/app");
    std::fs::create_dir_all(prefix.join("bin")).unwrap();
    std::fs::create_dir_all(prefix.join("share")).unwrap();
    std::fs::copy(XX, prefix.join("bin/app")).unwrap();
    std::fs::write(prefix.join("bin/run.sh"), "#!/bin/sh\nexec app\n").unwrap();
    std::fs::set_permissions(
        prefix.join("bin/run.sh"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    std::fs::write(prefix.join("share/data"), b"\x7fEL").unwrap();
    std::fs::copy(XX, prefix.join("share/object")).unwrap();
    std::fs::set_permissions(
        prefix.join("share/object"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();

    let cmake = "FROM debian:bookworm AS build\nRUN apt-get update && apt-get install -y cmake g++\n\
                 RUN cmake -B b -DCMAKE_INSTALL_PREFIX=/opt/app . && cmake --build b && cmake --install b\n\
                 FROM debian:bookworm-slim\nCOPY --from=build /opt/app /opt/app\nCOPY --from=build /src/app.conf /etc/app.conf\n";
    let script = copied_check(cmake, &root);
    // The target's binaries pass; scripts, data and a missing path (left
    // to the COPY) are no failure.
    let out = run_check(&script, &bin, native);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // A binary for another machine fails the build, naming the file.
    let out = run_check(&script, &bin, other);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("opt/app/bin/app does not match expected target architecture"),
        "{stderr}"
    );
    assert!(!stderr.contains("share/object"), "{stderr}");

    // A static build's file is checked with --static (which a debug
    // build of xx, linked dynamically, fails).
    std::fs::create_dir_all(root.join("src")).unwrap();
    std::fs::copy(XX, root.join("src/app")).unwrap();
    let go = "FROM golang:1.22 AS build\nWORKDIR /src\nCOPY . .\nRUN CGO_ENABLED=0 go build\n\
              FROM scratch\nCOPY --from=build /src/app /app\n";
    let script = copied_check(go, &root);
    let out = run_check(&script, &bin, native);
    let static_binary = Command::new(bin.join("xx-verify"))
        .args(["--static", XX])
        .env("TARGETPLATFORM", native)
        .output()
        .expect("run xx-verify")
        .status
        .success();
    if !static_binary {
        assert_eq!(out.status.code(), Some(1));
        assert!(
            text(&out.stderr).contains("is not statically linked"),
            "{}",
            text(&out.stderr)
        );
    }
}

#[test]
fn checkstyle_reports_each_finding_for_ci() {
    let file = fixture("go-emulated.Dockerfile");
    let name = file.to_str().unwrap();
    let out = lint(&["--format", "checkstyle", name]);
    assert_eq!(out.status.code(), Some(0));
    let xml = text(&out.stdout);
    assert!(
        xml.starts_with(&format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<checkstyle version=\"4.3\">\n  <file name=\"{name}\">\n    <error line=\"3\" column=\"1\" severity=\"warning\" message=\"stage build runs on the target platform: "
        )),
        "{xml}"
    );
    assert_eq!(xml.matches("<error ").count(), 2, "{xml}");
    assert_eq!(xml.matches("source=\"XX001\"/>").count(), 2, "{xml}");
    assert!(xml.ends_with("  </file>\n</checkstyle>\n"));
    // Errors say so.
    let file = fixture("go-host-arch.Dockerfile");
    let out = lint(&["--format", "checkstyle", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains("<error line=\"6\" column=\"1\" severity=\"error\""));
}

#[test]
fn hadolint_ignore_comments_silence_xx_rules() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("Dockerfile");
    std::fs::write(
        &path,
        "FROM golang:1.22 AS build\n# hadolint ignore=XX001,DL3006 # emulation accepted\nFROM debian AS tools\nRUN make\n\
         # hadolint ignore=DL3008\nFROM debian\nCOPY --from=build /a /a\nCOPY --from=tools /b /b\nRUN apt-get install -y curl\n",
    )
    .unwrap();
    let out = lint(&[path.to_str().unwrap()]);
    let stdout = text(&out.stdout);
    // The tools stage is silenced; the final stage (DL3008 only) is not.
    assert_eq!(stdout.matches(": XX001 ").count(), 1, "{stdout}");
    assert!(stdout.contains("Dockerfile:6: XX001 warning"), "{stdout}");
    std::fs::write(
        &path,
        "# hadolint global ignore=XX001\nFROM debian AS tools\nRUN make\nFROM debian\nCOPY --from=tools /b /b\nRUN make\n",
    )
    .unwrap();
    let out = lint(&[path.to_str().unwrap()]);
    assert!(
        out.status.success() && out.stdout.is_empty(),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn a_config_file_next_to_the_dockerfile_or_named_sets_ignores_and_threshold() {
    let dir = tempfile::tempdir().unwrap();
    let dockerfile = dir.path().join("Dockerfile");
    std::fs::copy(fixture("go-emulated.Dockerfile"), &dockerfile).unwrap();
    let dockerfile = dockerfile.to_str().unwrap();
    let config = dir.path().join(".xx-lint.yaml");

    // Warnings fail with failure-threshold: warning (or strict: true).
    std::fs::write(&config, "# CI settings\nfailure-threshold: warning\n").unwrap();
    assert_eq!(lint(&[dockerfile]).status.code(), Some(1));
    std::fs::write(&config, "strict: true\n").unwrap();
    assert_eq!(lint(&[dockerfile]).status.code(), Some(1));
    // The command line wins.
    let out = lint(&["--failure-threshold", "error", dockerfile]);
    assert_eq!(out.status.code(), Some(0));

    // ignored: by code or name, as a block list.
    std::fs::write(&config, "ignored:\n  - EmulatedRunStage\nstrict: true\n").unwrap();
    let out = lint(&[dockerfile]);
    assert!(
        out.status.success() && out.stdout.is_empty(),
        "{}",
        text(&out.stdout)
    );
    std::fs::remove_file(&config).unwrap();
    // .yml works too.
    std::fs::write(dir.path().join(".xx-lint.yml"), "ignored: [XX001]\n").unwrap();
    assert!(lint(&[dockerfile]).stdout.is_empty());

    // --config names a file anywhere; errors are still printed with
    // failure-threshold none, and exit 0.
    let other = tempfile::tempdir().unwrap();
    let named = other.path().join("lint.yaml");
    std::fs::write(&named, "failure-threshold: none\n").unwrap();
    let host_arch = fixture("go-host-arch.Dockerfile");
    let out = lint(&[
        "--config",
        named.to_str().unwrap(),
        host_arch.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).contains(": XX002 error: "));
    let out = lint(&["--failure-threshold", "ignore", host_arch.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));

    // A bad or missing file cannot be linted with: exit 2, one line.
    std::fs::write(&named, "ignored: [XX001]\nstrict: maybe\n").unwrap();
    let missing = other.path().join("missing.yaml");
    for (config, wanted) in [
        (
            named.to_str().unwrap().to_string(),
            format!(
                "{}: line 2: strict: true or false, got \"maybe\"",
                named.display()
            ),
        ),
        (
            missing.to_str().unwrap().to_string(),
            format!("cannot read {}", missing.display()),
        ),
    ] {
        let out = lint(&["--config", &config, dockerfile]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(out.stdout.is_empty());
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(&wanted), "{stderr}");
    }
}
