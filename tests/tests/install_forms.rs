//! Any install form of the `xx` binary works, the same way: `xx-*`
//! symlinks (as `xx install-links` makes), hard links, plain copies (one
//! file per tool), a copy under another name used in the subcommand form
//! (`mytool info`), and the subcommand form of the original binary
//! (`xx info`).
//!
//! One bookworm sandbox with golang-go, rustc-web, cargo-web and qemu-user;
//! root installs linux/arm64's C library and Rust standard library once.
//! Then, for each form, with only that form on `PATH` (the default links in
//! `/usr/local/bin` are not), every tool runs for linux/arm64 from a first
//! run (xx-cc's and xx-cargo's setup files are removed before the steps
//! that make them, so that each form writes its own): `xx-info`,
//! `xx-verify` on a wrong-architecture binary (exit 1), `xx-clang` and the
//! plain `clang`/`clang++` it leaves in `/usr/local/bin`, C and C++ hellos
//! through `xx-clang`, `xx-clang++`, `xx-cc` and `xx-c++`, `xx-go env CC`
//! with cgo and a cgo hello, `xx-cargo` and a hello crate, `xx-apt-get`,
//! `xx-apt` and `xx-apk`. Every program built is checked with `xx-verify`
//! and run under qemu-user; every step's stdout and exit status must be
//! the same in every form.
//!
//! Every step runs in a pids cgroup capped at [`cap`] tasks with a
//! timeout: a tool that runs itself in a loop (a copy named `xx-go` that
//! starts "itself" as `<exe> clang`) fails its step naming the form and
//! the command, with the number of times the cap was hit; one that waits
//! for itself is killed at the timeout and fails the same way.

mod lang_support;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use lang_support::{fixture, tail, LangSandbox};

/// Most tasks (processes and threads) a step may have at once: 64, or 16
/// per core on bigger machines (go, cargo and rustc start threads per
/// core). The busiest step, a cgo build (go, its compile and cgo tools,
/// clang, lld, each with its threads), peaks at 19 on the 2-core reference
/// machine (the `peak` column of the log); a tool that starts itself in a
/// loop passes any cap within a second.
fn cap() -> u64 {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get() as u64);
    (16 * cores).max(64)
}

/// How long a step may take (the slowest, the first cgo build, takes
/// about 10 s on the reference machine). A tool that waits for itself
/// (a copy named `xx-cargo` started as `<exe> clang` waits for its own
/// lock) is killed then.
const STEP_TIMEOUT: Duration = Duration::from_secs(120);

/// The tools every form must provide, as `xx --help` lists them.
const TOOLS: &[&str] = &[
    "xx-info",
    "xx-apt",
    "xx-apt-get",
    "xx-apk",
    "xx-verify",
    "xx-clang",
    "xx-clang++",
    "xx-cc",
    "xx-c++",
    "xx-cargo",
    "xx-go",
];

/// `PATH` of every step: the form's folder and the system's, without
/// `/usr/local/bin` (the default links).
const SYSTEM_PATH: &str = "/usr/sbin:/usr/bin:/sbin:/bin";

/// The name of the renamed copy.
const RENAMED: &str = "mytool";

/// One way of installing the binary.
struct Form {
    /// Short name, also the folder `/opt/forms/<name>`.
    name: &'static str,
    /// How a tool is invoked.
    invoke: Invoke,
}

/// How a form invokes the tool `xx-<name>`.
#[derive(Clone, Copy)]
enum Invoke {
    /// `xx-<name>` from the form's folder.
    Link,
    /// `<program> <name>`: the subcommand form.
    Subcommand(&'static str),
}

const FORMS: &[Form] = &[
    Form {
        name: "symlink",
        invoke: Invoke::Link,
    },
    Form {
        name: "hardlink",
        invoke: Invoke::Link,
    },
    Form {
        name: "copy",
        invoke: Invoke::Link,
    },
    Form {
        name: "renamed",
        invoke: Invoke::Subcommand(RENAMED),
    },
    Form {
        name: "subcommand",
        invoke: Invoke::Subcommand("/usr/local/bin/xx"),
    },
];

impl Form {
    /// The form's folder in the sandbox.
    fn dir(&self) -> String {
        format!("/opt/forms/{}", self.name)
    }

    /// `script` with `{xx-<tool>}` replaced by this form's invocation and
    /// `{out}` by the form's output folder.
    fn expand(&self, script: &str) -> String {
        let mut text = script.replace("{out}", &format!("/out/{}", self.name));
        for tool in TOOLS {
            let invocation = match self.invoke {
                Invoke::Link => tool.to_string(),
                Invoke::Subcommand(program) => {
                    format!("{program} {}", tool.trim_start_matches("xx-"))
                }
            };
            text = text.replace(&format!("{{{tool}}}"), &invocation);
        }
        text
    }
}

/// What a step's stdout must be.
#[derive(Clone, Copy)]
enum Expect {
    /// Exactly this, with exit status 0.
    Stdout(&'static str),
    /// Exit status 0, every line of stdout one of these.
    EachLineOneOf(&'static [&'static str]),
    /// This exit status (stdout is only compared between forms).
    Status(i32),
    /// Whatever the symlink form does (compared between forms only).
    SameAsSymlinks,
}

/// One command run in every form.
struct Step {
    /// What the log and the failures call it.
    name: &'static str,
    /// Remove xx-cc's and xx-cargo's setup for linux/arm64 first, so that
    /// this step's tool does the setup in this form.
    first_run: bool,
    /// The script (`{xx-<tool>}` and `{out}` are replaced per form).
    script: &'static str,
    expect: Expect,
    /// Whether stdout must be the same in every form (exit status always
    /// must).
    same_stdout: bool,
}

const STEPS: &[Step] = &[
    Step {
        name: "xx-info triple",
        first_run: false,
        script: "{xx-info} triple",
        expect: Expect::Stdout("aarch64-linux-gnu\n"),
        same_stdout: true,
    },
    Step {
        name: "xx-info fields",
        first_run: false,
        script: "for field in march arch debian-arch rust-triple; do {xx-info} $field; done\n{xx-info} is-cross && echo cross",
        expect: Expect::Stdout("aarch64\narm64\narm64\naarch64-unknown-linux-gnu\ncross\n"),
        same_stdout: true,
    },
    Step {
        name: "xx-info --json and env",
        first_run: false,
        script: "{xx-info} --json\n{xx-info} env",
        expect: Expect::Status(0),
        same_stdout: true,
    },
    Step {
        name: "xx-verify of an amd64 binary",
        first_run: false,
        script: "{xx-verify} /bin/true",
        expect: Expect::Status(1),
        same_stdout: true,
    },
    Step {
        name: "xx-clang --print-target-triple (first run)",
        first_run: true,
        script: "{xx-clang} --print-target-triple",
        expect: Expect::Stdout("aarch64-linux-gnu\n"),
        same_stdout: true,
    },
    Step {
        name: "plain clang and clang++ with --target",
        first_run: false,
        script: r#"mkdir -p {out}
for pair in clang:hello.c clang++:hello.cpp; do
  cc=${pair%%:*} src=${pair#*:}
  if [ ! -e /usr/local/bin/$cc ]; then echo "$cc: no shim"; continue; fi
  /usr/local/bin/$cc --target=aarch64-linux-gnu -o {out}/plain-$cc /src/c/$src
  {xx-verify} {out}/plain-$cc
  qemu-aarch64 {out}/plain-$cc
done"#,
        expect: Expect::EachLineOneOf(&["hello c", "hello c++", "clang: no shim", "clang++: no shim"]),
        same_stdout: false,
    },
    Step {
        name: "xx-clang, xx-clang++, xx-cc, xx-c++ hellos",
        first_run: false,
        script: "mkdir -p {out}
{xx-clang} -o {out}/clang /src/c/hello.c
{xx-clang++} -o {out}/clangxx /src/c/hello.cpp
{xx-cc} -o {out}/cc /src/c/hello.c
{xx-c++} -o {out}/cxx /src/c/hello.cpp
{xx-verify} {out}/clang {out}/clangxx {out}/cc {out}/cxx
for program in clang clangxx cc cxx; do qemu-aarch64 {out}/$program; done",
        expect: Expect::Stdout("hello c\nhello c++\nhello c\nhello c++\n"),
        same_stdout: true,
    },
    Step {
        name: "CGO_ENABLED=1 xx-go env CC (first run)",
        first_run: true,
        script: "CGO_ENABLED=1 {xx-go} env CC",
        expect: Expect::Stdout("aarch64-linux-gnu-clang\n"),
        same_stdout: true,
    },
    Step {
        name: "xx-go build of a cgo hello",
        first_run: false,
        script: "mkdir -p {out}
cd /src/go
CGO_ENABLED=1 {xx-go} build -o {out}/cgo ./hello_cgo.go
{xx-verify} {out}/cgo
qemu-aarch64 {out}/cgo",
        expect: Expect::Stdout("hello cgo\n"),
        same_stdout: true,
    },
    Step {
        name: "xx-cargo --print-target-triple (first run)",
        first_run: true,
        script: "cd /src/crate\n{xx-cargo} --print-target-triple",
        expect: Expect::Stdout("aarch64-unknown-linux-gnu\n"),
        same_stdout: true,
    },
    Step {
        name: "xx-cargo build of a hello crate (first run)",
        first_run: true,
        script: "cd /src/crate
{xx-cargo} build -q --target-dir {out}/cargo
{xx-verify} {out}/cargo/aarch64-unknown-linux-gnu/debug/hello
qemu-aarch64 {out}/cargo/aarch64-unknown-linux-gnu/debug/hello",
        expect: Expect::Stdout("hello crate\n"),
        same_stdout: true,
    },
    Step {
        name: "xx-apt-get install -y zlib1g-dev",
        first_run: false,
        script: "{xx-apt-get} install -y zlib1g-dev >/tmp/apt.log 2>&1 || { tail -30 /tmp/apt.log; exit 1; }
dpkg -s zlib1g-dev:arm64 >/dev/null && echo installed",
        expect: Expect::Stdout("installed\n"),
        same_stdout: true,
    },
    Step {
        name: "xx-apt-get and xx-apt --print-source-file",
        first_run: false,
        script: "{xx-apt-get} --print-source-file\n{xx-apt} --print-source-file",
        expect: Expect::Status(0),
        same_stdout: true,
    },
    Step {
        name: "xx-apk add on Debian",
        first_run: false,
        script: "{xx-apk} add zlib-dev",
        expect: Expect::SameAsSymlinks,
        same_stdout: true,
    },
];

/// Removes what xx-cc and xx-cargo set up for linux/arm64 (never the
/// packages): the config files, xx-cargo's record, and the plain
/// `clang`/`clang++` scripts xx-cc wrote in `/usr/local/bin`.
const FORGET_SETUP: &str =
    "rm -f /usr/bin/aarch64-linux-gnu.cfg /usr/bin/aarch64-unknown-linux-gnu.cfg /.xx-cargo.arm64
for cc in clang clang++; do
  if grep -qs '^# written by xx-rs' /usr/local/bin/$cc; then rm -f /usr/local/bin/$cc; fi
done";

/// One step's result in one form.
struct Outcome {
    code: Option<i32>,
    stdout: String,
    peak: String,
}

#[test]
fn every_install_form_runs_every_tool() -> Result<()> {
    let sandbox = LangSandbox::create(
        "install-forms",
        &["golang-go", "rustc-web", "cargo-web", "qemu-user"],
    )?;
    sandbox.copy_dir(&fixture("c"), "src/c")?;
    sandbox.copy_dir(&fixture("go"), "src/go")?;
    sandbox.run_ok(
        "mkdir -p /src/crate/src
printf '[package]\\nname = \"hello\"\\nversion = \"0.1.0\"\\nedition = \"2021\"\\n' > /src/crate/Cargo.toml
printf 'fn main() { println!(\"hello crate\"); }\\n' > /src/crate/src/main.rs",
    )?;

    // The binary's own list of tools is the one tested here.
    let help = sandbox.run_ok("xx --help")?;
    let listed: Vec<&str> = help
        .lines()
        .filter_map(|line| line.strip_prefix("  xx-"))
        .filter_map(|rest| rest.split_whitespace().next())
        .collect();
    let listed: Vec<String> = listed.iter().map(|name| format!("xx-{name}")).collect();
    for tool in TOOLS {
        assert!(
            listed.iter().any(|name| name == tool),
            "`xx --help` does not list {tool}: {listed:?}"
        );
    }
    let untested: Vec<&String> = listed
        .iter()
        .filter(|name| !TOOLS.contains(&name.as_str()))
        .collect();
    assert!(
        untested.is_empty(),
        "`xx --help` lists tools this test does not run: {untested:?}"
    );

    // Root installs the target's C library and Rust standard library once,
    // through the default links.
    sandbox.run_ok(
        "TARGETPLATFORM=linux/arm64 xx-apt-get install -y xx-c-essentials xx-cxx-essentials libstd-rust-web-dev >/tmp/pkgs.log 2>&1 || { tail -30 /tmp/pkgs.log; exit 1; }",
    )?;
    sandbox.log("linux/arm64 packages installed");

    // The forms.
    let tools = TOOLS.join(" ");
    sandbox.run_ok(&format!(
        "mkdir -p /opt/forms/symlink /opt/forms/hardlink /opt/forms/copy /opt/forms/renamed /opt/forms/subcommand
xx install-links --dir /opt/forms/symlink >/dev/null
for tool in {tools}; do
  ln /usr/local/bin/xx /opt/forms/hardlink/$tool
  cp /usr/local/bin/xx /opt/forms/copy/$tool
done
cp /usr/local/bin/xx /opt/forms/{RENAMED}
mv /opt/forms/{RENAMED} /opt/forms/renamed/{RENAMED}"
    ))?;
    let listing = sandbox.run_ok(
        "for dir in /opt/forms/*; do echo \"$dir: $(ls $dir | wc -l) files, $(find $dir -type l | wc -l) links, link count of xx-info $(stat -c %h $dir/xx-info 2>/dev/null || echo -)\"; done",
    )?;
    sandbox.log(&format!("forms:\n{listing}"));

    let mut outcomes: BTreeMap<(&str, &str), Outcome> = BTreeMap::new();
    let mut failures: Vec<String> = Vec::new();
    let started = Instant::now();
    for form in FORMS {
        let form_started = Instant::now();
        for step in STEPS {
            if step.first_run {
                sandbox.run_ok(FORGET_SETUP)?;
            }
            let script = format!(
                "export TARGETPLATFORM=linux/arm64 PATH={}:{SYSTEM_PATH}\n{}",
                form.dir(),
                form.expand(step.script)
            );
            let run = sandbox.sandbox().run_capped(
                &format!("forms-{}", form.name),
                &script,
                cap(),
                STEP_TIMEOUT,
            )?;
            let what = format!("form {}: step `{}`", form.name, step.name);
            let stdout = run.stdout();
            let code = run.code();
            let expected = match step.expect {
                Expect::Stdout(text) => (code == Some(0) && stdout == text)
                    .then_some(())
                    .ok_or_else(|| format!("exit 0 and stdout {text:?}")),
                Expect::EachLineOneOf(lines) => (code == Some(0)
                    && !stdout.is_empty()
                    && stdout.lines().all(|line| lines.contains(&line)))
                .then_some(())
                .ok_or_else(|| format!("exit 0 and each stdout line one of {lines:?}")),
                Expect::SameAsSymlinks => Ok(()),
                Expect::Status(status) => (code == Some(status))
                    .then_some(())
                    .ok_or_else(|| format!("exit {status}")),
            };
            let unexpected = expected.err().map(|wanted| {
                format!("expected {wanted}, got exit {code:?} and stdout {stdout:?}")
            });
            match (run.ensure_bounded(&what), unexpected) {
                (Err(err), unexpected) => failures.push(format!(
                    "{err:#}\n({})",
                    unexpected.as_deref().unwrap_or("output as expected")
                )),
                (Ok(()), Some(unexpected)) => failures.push(format!(
                    "{what}: {unexpected}\n--- script\n{script}\n--- stderr (last 30 lines)\n{}",
                    tail(&run.stderr(), 30)
                )),
                (Ok(()), None) => {}
            }
            sandbox.log(&format!(
                "{:<10} {:<45} exit {:<4} {:>5.1?} {}{}",
                form.name,
                step.name,
                code.map_or("sig".to_string(), |c| c.to_string()),
                run.elapsed,
                run.peak_text(),
                if run.times_hit > 0 {
                    format!(" CAP HIT {} times", run.times_hit)
                } else {
                    String::new()
                }
            ));
            outcomes.insert(
                (form.name, step.name),
                Outcome {
                    code,
                    stdout,
                    peak: run.peak_text(),
                },
            );
        }
        sandbox.log(&format!(
            "form {} done in {:.0?}",
            form.name,
            form_started.elapsed()
        ));
    }

    // The same command gives the same exit status (and, where meaningful,
    // stdout) in every form; the symlinks are the reference.
    for step in STEPS {
        let reference = &outcomes[&("symlink", step.name)];
        for form in &FORMS[1..] {
            let other = &outcomes[&(form.name, step.name)];
            if other.code != reference.code
                || (step.same_stdout && other.stdout != reference.stdout)
            {
                failures.push(format!(
                    "step `{}`: form {} differs from form symlink: exit {:?} vs {:?}, stdout {:?} vs {:?}",
                    step.name, form.name, other.code, reference.code, other.stdout, reference.stdout
                ));
            }
        }
    }

    let mut table = String::new();
    for step in STEPS {
        let _ = write!(table, "{:<45}", step.name);
        for form in FORMS {
            let outcome = &outcomes[&(form.name, step.name)];
            let code = outcome.code.map_or("sig".to_string(), |c| c.to_string());
            let _ = write!(table, " {:>10}:{code:<3} {:<12}", form.name, outcome.peak);
        }
        table.push('\n');
    }
    sandbox.log(&format!(
        "{} forms x {} steps in {:.0?}:\n{table}",
        FORMS.len(),
        STEPS.len(),
        started.elapsed()
    ));
    if !failures.is_empty() {
        bail!(
            "{} failures across the install forms:\n\n{}",
            failures.len(),
            failures.join("\n\n")
        );
    }
    Ok(())
}
