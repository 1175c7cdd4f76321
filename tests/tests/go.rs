//! End-to-end tests of `xx-go` with Debian's golang-go (1.19) in a bookworm
//! sandbox: the environment for a range of platforms (no build needed),
//! pure and cgo hellos for linux/arm64 and linux/arm/v7 checked with
//! xx-verify and run under qemu-user, `--wrap`/`--unwrap`, and the error
//! without go.

mod lang_support;

use anyhow::Result;
use lang_support::{assert_contains, fixture, LangSandbox};
use xx_e2e::qemu_suffix;

/// `xx-go env` output without quotes (they changed between Go versions).
fn go_env(sandbox: &LangSandbox, platform: &str, extra: &str) -> Result<String> {
    let text = sandbox.run_ok(&format!(
        "export TARGETPLATFORM={platform} {extra}\nxx-go env"
    ))?;
    Ok(text.replace(['"', '\''], ""))
}

/// `KEY=value` must be a whole line of `env`.
fn assert_line(env: &str, line: &str, context: &str) -> Result<()> {
    if !env.lines().any(|l| l == line) {
        anyhow::bail!("{context}: no line {line:?} in:\n{env}");
    }
    Ok(())
}

#[test]
fn go_env_builds_and_wrap() -> Result<()> {
    let sandbox = LangSandbox::create("go", &[])?;
    let (ok, text) = sandbox.run_both("TARGETPLATFORM=linux/arm64 xx-go env")?;
    assert!(!ok, "xx-go without go succeeded");
    assert_contains(&text, "go: not found", "no go")?;

    sandbox.run_ok("apt-get install -y -qq --no-install-recommends golang-go >/tmp/go.log 2>&1 || { tail -30 /tmp/go.log; exit 1; }")?;
    sandbox.copy_dir(&fixture("go"), "src/go")?;
    sandbox.log("golang-go installed");

    // The environment, as xx's test-go.bats checks it.
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "linux/arm64",
            "",
            &["GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0"],
        ),
        ("linux/arm/v5", "", &["GOARCH=arm", "GOARM=5"]),
        ("linux/arm/v6", "", &["GOARCH=arm", "GOARM=6"]),
        ("linux/arm", "", &["GOARCH=arm", "GOARM=7"]),
        ("linux/arm", "GOARM=6", &["GOARM=6"]),
        ("linux/amd64/v3", "", &["GOARCH=amd64", "GOAMD64=v3"]),
        ("linux/riscv64", "", &["GOARCH=riscv64"]),
        ("linux/ppc64le", "", &["GOARCH=ppc64le"]),
        ("linux/s390x", "", &["GOARCH=s390x"]),
        ("linux/386", "", &["GOARCH=386"]),
        (
            "linux/mips/softfloat",
            "",
            &["GOARCH=mips", "GOMIPS=softfloat"],
        ),
        ("linux/mipsle", "", &["GOARCH=mipsle", "GOMIPS=hardfloat"]),
        (
            "linux/mips64le/softfloat",
            "",
            &["GOARCH=mips64le", "GOMIPS64=softfloat"],
        ),
        ("darwin/arm64", "", &["GOOS=darwin", "GOARCH=arm64"]),
        ("windows/amd64", "", &["GOOS=windows", "GOARCH=amd64"]),
    ];
    for (platform, extra, lines) in cases {
        let env = go_env(&sandbox, platform, extra)?;
        for line in lines.iter().chain(&["GOHOSTOS=linux", "GOHOSTARCH=amd64"]) {
            assert_line(&env, line, platform)?;
        }
    }
    let cgo = go_env(&sandbox, "linux/arm64", "CGO_ENABLED=1")?;
    for line in [
        "CC=aarch64-linux-gnu-clang",
        "CXX=aarch64-linux-gnu-clang++",
        "AR=aarch64-linux-gnu-ar",
        "PKG_CONFIG=aarch64-linux-gnu-pkg-config",
        "CGO_ENABLED=1",
    ] {
        assert_line(&cgo, line, "cgo env")?;
    }
    sandbox.log("xx-go env for 15 platforms");

    // Pure and cgo hellos.
    for platform in ["linux/arm64", "linux/arm/v7"] {
        let qemu = qemu_suffix(platform)?;
        sandbox.run_ok(&format!(
            "export TARGETPLATFORM={platform}\n\
             xx-apt-get install -y xx-c-essentials >/tmp/ess.log 2>&1 || {{ tail -30 /tmp/ess.log; exit 1; }}\n\
             cd /src/go\n\
             xx-go build -o /out/{qemu}/hello ./hello.go\n\
             xx-verify /out/{qemu}/hello\n\
             CGO_ENABLED=1 xx-go build -o /out/{qemu}/hello-cgo ./hello_cgo.go\n\
             xx-verify /out/{qemu}/hello-cgo"
        ))?;
        assert_eq!(
            sandbox.qemu_stdout(qemu, &format!("/out/{qemu}/hello"))?,
            "hello go\n"
        );
        assert_eq!(
            sandbox.qemu_stdout(qemu, &format!("/out/{qemu}/hello-cgo"))?,
            "hello cgo\n"
        );
        sandbox.log(&format!("{platform}: go and cgo hellos verified and run"));
    }

    // --wrap makes plain go build for the target; --unwrap undoes it.
    let wrapped = sandbox.run_ok(
        "go env GOARCH\n\
         TARGETPLATFORM=linux/arm64 xx-go --wrap\n\
         go env GOARCH\n\
         cat \"$(go env GOENV)\"\n\
         TARGETPLATFORM=linux/arm64 xx-go --unwrap\n\
         go env GOARCH\n\
         test ! -e \"$(go env GOENV)\"",
    )?;
    assert_eq!(
        wrapped,
        "amd64\narm64\nGOOS=linux\nGOARCH=arm64\nCC=aarch64-linux-gnu-clang\nCXX=aarch64-linux-gnu-clang++\nAR=aarch64-linux-gnu-ar\nPKG_CONFIG=aarch64-linux-gnu-pkg-config\namd64\n"
    );
    sandbox.log("wrap/unwrap");
    Ok(())
}
