//! The lint: which stages of a build run under emulation, which builds on
//! the build machine miss the target, and which xx tools run before the
//! stage declares the target.
//!
//! Only the stages a build needs are read (the last stage, or `--target`,
//! and what it is based on, copies from or mounts).

use serde::Serialize;

use crate::shell::{self, Command};
use crate::stages::{Dockerfile, Stage, StagePlatform};

/// What a rule finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Slow but correct: emulation.
    Warning,
    /// Wrong output: binaries for the wrong platform.
    Error,
}

/// One rule of the lint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// `XX001`.
    pub code: &'static str,
    /// The rule's name in BuildKit's style (`EmulatedRunStage`); `#
    /// check=skip=` and `--ignore` take it as well as the code.
    pub name: &'static str,
    /// How bad a finding is.
    pub severity: Severity,
    /// One line for `--help` and the docs.
    pub summary: &'static str,
}

/// A stage on the target platform runs `RUN` steps.
pub const EMULATED_RUN: Rule = Rule {
    code: "XX001",
    name: "EmulatedRunStage",
    severity: Severity::Warning,
    summary: "a stage on the target platform runs RUN steps: they execute under emulation for other architectures",
};

/// A compiler on the build machine builds for the build machine.
pub const BUILDS_FOR_BUILD_MACHINE: Rule = Rule {
    code: "XX002",
    name: "BuildMachineBinaryForTarget",
    severity: Severity::Error,
    summary: "a stage on $BUILDPLATFORM compiles without a target and a target-platform stage takes its files: the image gets a build-machine binary",
};

/// An xx tool runs before the stage declares the target.
pub const XX_BEFORE_TARGET: Rule = Rule {
    code: "XX003",
    name: "XxToolBeforeTargetArg",
    severity: Severity::Error,
    summary: "an xx tool runs before ARG TARGETPLATFORM in its stage: it sees no target",
};

/// A command named like an xx tool that no xx ships.
pub const UNKNOWN_XX_TOOL: Rule = Rule {
    code: "XX004",
    name: "UnknownXxTool",
    severity: Severity::Error,
    summary: "a RUN calls an xx-* command that neither xx nor xx-rs provides",
};

/// The other distribution's installer.
pub const WRONG_INSTALLER: Rule = Rule {
    code: "XX005",
    name: "XxInstallerForOtherDistro",
    severity: Severity::Error,
    summary: "xx-apk on a Debian-based stage, or xx-apt-get on an Alpine-based one",
};

/// Every rule, in code order.
pub const RULES: &[Rule] = &[
    EMULATED_RUN,
    BUILDS_FOR_BUILD_MACHINE,
    XX_BEFORE_TARGET,
    UNKNOWN_XX_TOOL,
    WRONG_INSTALLER,
];

/// The rule with this code or name (case-insensitive).
pub fn rule(code_or_name: &str) -> Option<Rule> {
    RULES.iter().copied().find(|rule| {
        rule.code.eq_ignore_ascii_case(code_or_name) || rule.name.eq_ignore_ascii_case(code_or_name)
    })
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The rule's code.
    pub code: &'static str,
    /// The rule's name.
    pub name: &'static str,
    /// The rule's severity.
    pub severity: Severity,
    /// 1-based line of the instruction.
    pub line: usize,
    /// The stage (`build`, or `#2` when unnamed).
    pub stage: String,
    /// What was found.
    pub message: String,
    /// What to do about it.
    pub hint: String,
}

impl Finding {
    fn new(rule: Rule, stage: &Stage, line: usize, message: String, hint: String) -> Finding {
        Finding {
            code: rule.code,
            name: rule.name,
            severity: rule.severity,
            line,
            stage: stage.label(),
            message,
            hint,
        }
    }
}

/// Variables that tell xx tools the target.
const TARGET_VARIABLES: &[&str] = &[
    "TARGETPLATFORM",
    "TARGETOS",
    "TARGETARCH",
    "TARGETVARIANT",
    "TARGETPAIR",
];

/// The xx tools: xx-rs's and tonistiigi/xx's.
pub const XX_TOOLS: &[&str] = &[
    "xx-info",
    "xx-verify",
    "xx-apt",
    "xx-apt-get",
    "xx-apk",
    "xx-clang",
    "xx-clang++",
    "xx-cc",
    "xx-c++",
    "xx-cargo",
    "xx-go",
    "xx-windres",
    "xx-dnf",
    "xx-ld-shas",
    "xx-macports",
    "xx-zig",
];

/// A compiler invocation that builds for the machine it runs on, and the
/// xx tool to use instead.
struct NativeBuild {
    what: String,
    instead: &'static str,
}

/// Lint the stages a build of `target` (the last stage when `None`)
/// needs. `None` when `target` names no stage.
pub fn lint(file: &Dockerfile, target: Option<&str>) -> Option<Vec<Finding>> {
    let mut findings = Vec::new();
    let needed = file.needed(target)?;
    let built = *needed.iter().max().unwrap_or(&0);
    let built = match target {
        Some(name) => file.stage_named(name, file.stages.len())?.index,
        None => built,
    };
    for &index in &needed {
        let stage = &file.stages[index];
        match file.effective_platform(stage) {
            StagePlatform::Target => findings.extend(emulated_runs(stage)),
            StagePlatform::Build if reaches_target(file, stage, built) => {
                findings.extend(native_builds(file, stage))
            }
            _ => {}
        }
        findings.extend(xx_before_target(file, stage));
        findings.extend(unknown_tools(stage));
        findings.extend(wrong_installer(file, stage));
    }
    // Rules of other linters (hadolint's DL3008) are not ours to know.
    let skipped: Vec<Rule> = file
        .check_skip
        .iter()
        .chain(&file.global_ignored)
        .filter_map(|name| rule(name))
        .collect();
    let skip_all = file
        .check_skip
        .iter()
        .any(|name| name.eq_ignore_ascii_case("all"));
    findings.retain(|finding| {
        !skip_all
            && !skipped.iter().any(|rule| rule.code == finding.code)
            && !is_ignored(file, finding)
    });
    findings.sort_by_key(|finding| finding.line);
    Some(findings)
}

/// Whether an `# xx-lint ignore=` or `# hadolint ignore=` comment above
/// the finding's instruction names its rule (by code or name).
fn is_ignored(file: &Dockerfile, finding: &Finding) -> bool {
    file.stages
        .iter()
        .flat_map(|stage| std::iter::once(&stage.from).chain(&stage.instructions))
        .find(|instruction| instruction.line == finding.line)
        .is_some_and(|instruction| {
            instruction
                .ignored
                .iter()
                .filter_map(|name| rule(name))
                .any(|named| named.code == finding.code)
        })
}

/// XX001 for a stage on the target platform.
fn emulated_runs(stage: &Stage) -> Option<Finding> {
    let runs: Vec<usize> = stage.runs().map(|run| run.line).collect();
    if runs.is_empty() {
        return None;
    }
    let lines = runs
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let compilers: Vec<&'static str> = {
        let mut tools: Vec<&'static str> = stage
            .runs()
            .flat_map(|run| shell::all_commands(&run.script()))
            .filter_map(|command| {
                compiler_of(&command)
                    .map(|(_, instead)| instead)
                    .or_else(|| build_system(&command).map(|_| "xx-clang"))
            })
            .collect();
        tools.sort_unstable();
        tools.dedup();
        tools
    };
    let hint = if compilers.is_empty() {
        "nothing in it compiles: if it only installs what the final image needs, emulation is the price of installing for the target".to_string()
    } else {
        format!(
            "it compiles: run it natively with FROM --platform=$BUILDPLATFORM, COPY --from=xx / /, ARG TARGETPLATFORM, and cross-compile with {} (`xx lower` rewrites it so)",
            compilers.join(", ")
        )
    };
    Some(Finding::new(
        EMULATED_RUN,
        stage,
        stage.from.line,
        format!(
            "stage {} runs on the target platform: RUN at line{} {lines} execute{} under emulation when building for another architecture",
            stage.label(),
            if runs.len() == 1 { "" } else { "s" },
            if runs.len() == 1 { "s" } else { "" },
        ),
        hint,
    ))
}

/// XX002 for a stage on the build machine.
fn native_builds(file: &Dockerfile, stage: &Stage) -> Vec<Finding> {
    let mut stage_env = inherited_names(file, stage);
    let mut findings = Vec::new();
    for run in &stage.instructions {
        if run.keyword == "ENV" {
            stage_env.extend(declared_names(&run.args));
        }
        if run.keyword != "RUN" {
            continue;
        }
        let script = run.script();
        for command in shell::commands(&script) {
            let Some(build) = native_build(&command, &script, &stage_env) else {
                continue;
            };
            findings.push(Finding::new(
                BUILDS_FOR_BUILD_MACHINE,
                stage,
                run.line,
                format!(
                    "`{}` in stage {}, which runs on $BUILDPLATFORM, builds for the build machine, not the target",
                    build.what,
                    stage.label()
                ),
                format!(
                    "use {} (after ARG TARGETPLATFORM); if a build-machine tool is meant, add `# xx-lint ignore={}` above the RUN",
                    build.instead, BUILDS_FOR_BUILD_MACHINE.code
                ),
            ));
        }
    }
    findings
}

/// `make`, `cmake` (configuring), `meson setup`, `configure` scripts and
/// OpenSSL's `config`/`Configure`: what builds C without naming a
/// compiler.
pub(crate) fn build_system(command: &Command) -> Option<&'static str> {
    let first = command.args().first().map(String::as_str).unwrap_or("");
    match command.program() {
        "make" | "gmake" => Some("make"),
        "cmake" if !matches!(first, "--build" | "--install" | "-E" | "--version" | "-P") => {
            Some("cmake")
        }
        "meson" if !matches!(first, "compile" | "install" | "test" | "--version") => Some("meson"),
        "configure" => Some("configure"),
        "config" | "Configure" if command.words[0].contains('/') => Some("openssl-config"),
        _ => None,
    }
}

/// Whether `go install ARGS` installs a module at a version
/// (`pkg@v1.2.3`): a build-machine tool, not the project.
fn installs_remote_go_tool(command: &Command) -> bool {
    command
        .args()
        .iter()
        .skip(1)
        .any(|arg| !arg.starts_with('-') && arg.contains('@'))
}

/// Whether `cargo install ARGS` installs a crate from a registry or git
/// (no `--path`): a build-machine tool.
fn installs_remote_crate(command: &Command) -> bool {
    !command
        .args()
        .iter()
        .any(|arg| arg == "--path" || arg.starts_with("--path="))
}

/// The compiler `command` runs, as (`go build`, `xx-go`), if it is one
/// that builds the project (tools installed with `go install pkg@v` or
/// `cargo install <crate>` are for the build machine and not counted).
pub(crate) fn compiler_of(command: &Command) -> Option<(String, &'static str)> {
    let program = command.program();
    let first = command.args().first().map(String::as_str).unwrap_or("");
    match program {
        "go" if first == "install" && installs_remote_go_tool(command) => None,
        "go" if matches!(first, "build" | "install") => Some((format!("go {first}"), "xx-go")),
        "cargo" if first == "install" && installs_remote_crate(command) => None,
        "cargo" if matches!(first, "build" | "install" | "rustc") => {
            Some((format!("cargo {first}"), "xx-cargo"))
        }
        "gcc" | "cc" | "clang" if compiles_sources(command) => {
            Some((program.to_string(), "xx-clang"))
        }
        "g++" | "c++" | "clang++" if compiles_sources(command) => {
            Some((program.to_string(), "xx-clang++"))
        }
        _ => None,
    }
}

/// Whether a C compiler command line produces something (`-o`, `-c` or a
/// source file), as opposed to `gcc --version`.
fn compiles_sources(command: &Command) -> bool {
    const SOURCES: &[&str] = &[".c", ".cc", ".cpp", ".cxx", ".o", ".s", ".S"];
    command
        .args()
        .iter()
        .any(|arg| arg == "-o" || arg == "-c" || SOURCES.iter().any(|ext| arg.ends_with(ext)))
}

/// A compiler run for the build machine: no xx tool, no target option, no
/// target variable in the command, the script or the stage's `ENV`.
fn native_build(command: &Command, script: &str, stage_env: &[String]) -> Option<NativeBuild> {
    let (what, instead) = compiler_of(command)?;
    let sets = |name: &str| {
        command.assigns(name)
            || script.contains(&format!("{name}="))
            || stage_env.iter().any(|env| env == name)
    };
    let targeted = match instead {
        "xx-go" => sets("GOARCH") || script.contains("xx-go --wrap"),
        "xx-cargo" => {
            sets("CARGO_BUILD_TARGET")
                || command
                    .args()
                    .iter()
                    .any(|arg| arg == "--target" || arg.starts_with("--target="))
        }
        _ => {
            script.contains("xx-clang --wrap")
                || command.args().iter().any(|arg| {
                    arg == "-target" || arg == "--target" || arg.starts_with("--target=")
                })
        }
    };
    (!targeted).then_some(NativeBuild { what, instead })
}

/// Whether files of `stage` (on the build platform) reach a stage of
/// the target platform: it is the built stage (or the built stage is
/// based on it), or a target-platform stage copies from it, mounts it or
/// is based on it. A tool built for a later build-platform step is not.
fn reaches_target(file: &Dockerfile, stage: &Stage, built: usize) -> bool {
    if stage.index == built {
        return true;
    }
    file.users(stage).any(|user| {
        let based_on = file
            .parent(user)
            .is_some_and(|parent| parent.index == stage.index);
        file.effective_platform(user) != StagePlatform::Build
            || based_on && reaches_target(file, user, built)
    })
}

/// XX004: `xx-setup` and other names no xx has.
fn unknown_tools(stage: &Stage) -> Vec<Finding> {
    let mut findings = Vec::new();
    for run in stage.runs() {
        for command in shell::all_commands(&run.script()) {
            let program = command.program();
            if program.starts_with("xx-") && !XX_TOOLS.contains(&program) {
                findings.push(Finding::new(
                    UNKNOWN_XX_TOOL,
                    stage,
                    run.line,
                    format!("{program} is not an xx tool: the RUN fails with `not found`"),
                    format!("the xx tools are {}", XX_TOOLS.join(", ")),
                ));
            }
        }
    }
    findings
}

/// The package family of the image a stage's chain starts from, by its
/// name: `alpine` for Alpine-based images, `debian` for Debian/Ubuntu
/// ones, `None` when the name does not say.
pub fn base_family(file: &Dockerfile, stage: &Stage) -> Option<&'static str> {
    let root = file.ancestors(stage).last().unwrap_or(stage);
    image_family(&root.base)
}

/// The package family of an image name (see [`base_family`]).
pub fn image_family(image: &str) -> Option<&'static str> {
    let image = image.to_ascii_lowercase();
    let image = image.split('@').next().unwrap_or(&image);
    let (name, tag) = match image.rsplit_once(':') {
        Some((name, tag)) if !tag.contains('/') => (name, tag),
        _ => (image, "latest"),
    };
    let short = name.rsplit('/').next().unwrap_or(name);
    if short == "alpine" || tag.contains("alpine") {
        return Some("alpine");
    }
    const DEBIAN: &[&str] = &[
        "debian",
        "ubuntu",
        "golang",
        "rust",
        "gcc",
        "buildpack-deps",
        "python",
        "node",
        "openjdk",
        "eclipse-temurin",
        "ruby",
        "php",
        "perl",
        "haskell",
        "swift",
        // cargo-chef's images are built on rust's (Alpine only with an
        // alpine tag).
        "cargo-chef",
    ];
    if DEBIAN.contains(&short) {
        return Some("debian");
    }
    None
}

/// XX005: the installer of the other distribution.
fn wrong_installer(file: &Dockerfile, stage: &Stage) -> Vec<Finding> {
    let Some(family) = base_family(file, stage) else {
        return Vec::new();
    };
    let mut findings = Vec::new();
    for run in stage.runs() {
        for command in shell::all_commands(&run.script()) {
            let wrong = match (command.program(), family) {
                ("xx-apk", "debian") => "xx-apt-get",
                ("xx-apt-get" | "xx-apt", "alpine") => "xx-apk",
                _ => continue,
            };
            findings.push(Finding::new(
                WRONG_INSTALLER,
                stage,
                run.line,
                format!(
                    "{} in stage {}, whose base is {}-based",
                    command.program(),
                    stage.label(),
                    family
                ),
                format!("use {wrong}"),
            ));
        }
    }
    findings
}

/// XX003 for any stage.
fn xx_before_target(file: &Dockerfile, stage: &Stage) -> Vec<Finding> {
    let mut declared = inherited_names(file, stage)
        .iter()
        .any(|name| TARGET_VARIABLES.contains(&name.as_str()));
    let mut findings = Vec::new();
    for instruction in &stage.instructions {
        match instruction.keyword.as_str() {
            "ARG" | "ENV" => {
                declared |= declared_names(&instruction.args)
                    .iter()
                    .any(|name| TARGET_VARIABLES.contains(&name.as_str()));
            }
            "RUN" if !declared => {
                if let Some(tool) = first_xx_tool(&instruction.script()) {
                    findings.push(Finding::new(
                        XX_BEFORE_TARGET,
                        stage,
                        instruction.line,
                        format!(
                            "{tool} runs before ARG TARGETPLATFORM in stage {}: it sees no target and works for the build machine",
                            stage.label()
                        ),
                        "declare ARG TARGETPLATFORM in the stage before the first RUN that uses an xx tool".to_string(),
                    ));
                }
            }
            _ => {}
        }
    }
    findings
}

/// The first xx tool `script` runs: as a command, or in a command
/// substitution or `sh -c`; a tool named in a string or as an argument
/// (`ln -s xx-cc cc`) is not run.
fn first_xx_tool(script: &str) -> Option<&'static str> {
    shell::all_commands(script).iter().find_map(|command| {
        XX_TOOLS
            .iter()
            .copied()
            .find(|tool| *tool == command.program())
    })
}

/// Names declared by `ENV` and `ARG` in the stages a stage is based on:
/// BuildKit gives a stage its base stage's environment and build
/// arguments.
fn inherited_names(file: &Dockerfile, stage: &Stage) -> Vec<String> {
    file.ancestors(stage)
        .flat_map(|parent| &parent.instructions)
        .filter(|instruction| matches!(instruction.keyword.as_str(), "ENV" | "ARG"))
        .flat_map(|instruction| declared_names(&instruction.args))
        .collect()
}

/// The names an `ARG` or `ENV` declares: `A`, `A=1 B=2`, or the legacy
/// `ENV A value with spaces` (one name).
fn declared_names(args: &str) -> Vec<String> {
    let words: Vec<&str> = args.split_whitespace().collect();
    match words.first() {
        None => Vec::new(),
        Some(first) if !first.contains('=') => vec![first.to_string()],
        Some(_) => words
            .iter()
            .map(|word| word.split_once('=').map_or(*word, |(name, _)| name))
            .map(str::to_string)
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn findings(text: &str) -> Vec<(&'static str, usize)> {
        let file = Dockerfile::parse(text).unwrap();
        lint(&file, None)
            .unwrap()
            .iter()
            .map(|finding| (finding.code, finding.line))
            .collect()
    }

    #[test]
    fn a_clean_xx_dockerfile_has_no_findings() {
        let text = "FROM --platform=$BUILDPLATFORM tonistiigi/xx AS xx\n\
            FROM --platform=$BUILDPLATFORM golang:1.22 AS build\n\
            COPY --from=xx / /\n\
            RUN apt-get update && apt-get install -y clang lld\n\
            ARG TARGETPLATFORM\n\
            RUN xx-apt-get install -y gcc libc6-dev\n\
            RUN xx-go build -o /out/app . && xx-verify /out/app\n\
            FROM scratch\n\
            COPY --from=build /out/app /app\n";
        assert_eq!(findings(text), []);
    }

    #[test]
    fn emulated_stages_are_reported_once_with_their_runs() {
        let file = Dockerfile::parse(
            "FROM golang:1.22 AS build\nRUN go mod download\nRUN go build -o /app .\n\
             FROM alpine AS unused\nRUN make\n\
             FROM debian:bookworm\nRUN apt-get update\nCOPY --from=build /app /app\n",
        )
        .unwrap();
        let found = lint(&file, None).unwrap();
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].code, "XX001");
        assert_eq!(found[0].line, 1);
        assert_eq!(
            found[0].message,
            "stage build runs on the target platform: RUN at lines 2, 3 execute under emulation when building for another architecture"
        );
        assert!(
            found[0].hint.contains("cross-compile with xx-go"),
            "{}",
            found[0].hint
        );
        assert_eq!(found[1].line, 6);
        assert!(found[1].message.contains("RUN at line 7 executes"));
        assert!(found[1].hint.starts_with("nothing in it compiles"));
        // The unused stage is not built, so not linted; as the target it is.
        assert_eq!(lint(&file, Some("unused")).unwrap()[0].line, 4);
        assert!(lint(&file, Some("missing")).is_none());
    }

    #[test]
    fn native_compilers_on_the_build_platform_are_errors() {
        let text = "FROM --platform=$BUILDPLATFORM rust AS build\n\
            RUN cargo build --release\n\
            RUN cargo build --target aarch64-unknown-linux-gnu\n\
            RUN GOARCH=arm64 go build . && go build -o x .\n\
            RUN gcc --version && gcc -o hello hello.c\n\
            RUN clang --target=aarch64-linux-gnu -o h h.c\n\
            ENV CARGO_BUILD_TARGET=x\n\
            RUN cargo build\n\
            FROM --platform=$BUILDPLATFORM rust AS tool\n\
            # xx-lint ignore=XX002\n\
            RUN cargo install --path .\n\
            FROM scratch\n\
            COPY --from=build /a /a\n\
            COPY --from=tool /b /b\n";
        // GOARCH in the script counts for the whole RUN.
        assert_eq!(findings(text), [("XX002", 2), ("XX002", 5)]);
    }

    #[test]
    fn xx_tools_need_the_target_declared_first() {
        let text = "FROM --platform=$BUILDPLATFORM debian AS base\n\
            COPY --from=xx / /\n\
            RUN xx-apt-get install -y libssl-dev\n\
            RUN mkdir -p /out/$(xx-info triple)\n\
            ARG TARGETARCH\n\
            RUN xx-apt-get install -y zlib1g-dev\n\
            FROM base AS build\n\
            RUN xx-cargo build\n\
            FROM base AS build2\n\
            ENV TARGETPLATFORM=linux/arm64\n\
            RUN xx-go build\n\
            FROM scratch\n\
            COPY --from=build /a /a\n\
            COPY --from=build2 /b /b\n";
        // The ARG of `base` reaches `build` (BuildKit copies a base
        // stage's build arguments), as an ENV does.
        assert_eq!(findings(text), [("XX003", 3), ("XX003", 4)]);
    }

    #[test]
    fn xx_tools_are_found_only_where_they_run() {
        let text = "FROM --platform=$BUILDPLATFORM tonistiigi/xx AS xx\n\
            FROM --platform=$BUILDPLATFORM alpine AS build\n\
            COPY --from=xx / /\n\
            RUN ln -s xx-cc /usr/bin/cc && echo 'use xx-clang' && mkdir xx-go\n\
            RUN out=$(xx-info march)\n\
            FROM scratch\nCOPY --from=build /a /a\n";
        assert_eq!(findings(text), [("XX003", 5)]);
    }

    #[test]
    fn stage_names_from_args_inherit_their_parents_args() {
        // docker/cli's pattern: the ARG is in build-alpine, the xx tool in
        // a stage whose FROM names it through ${BASE_VARIANT}.
        let text = "ARG BASE_VARIANT=alpine\n\
            FROM --platform=$BUILDPLATFORM tonistiigi/xx AS xx\n\
            FROM --platform=$BUILDPLATFORM golang:1.22-alpine AS build-base-alpine\n\
            COPY --from=xx / /\n\
            FROM build-base-alpine AS build-alpine\n\
            ARG TARGETPLATFORM\n\
            RUN xx-apk add musl-dev gcc\n\
            FROM build-${BASE_VARIANT} AS build\n\
            RUN xx-go --wrap && go build -o /out/app . && xx-verify /out/app\n\
            FROM scratch AS bin-linux\nCOPY --from=build /out/app /app\n\
            FROM bin-${TARGETOS}\n";
        assert_eq!(findings(text), []);
    }

    #[test]
    fn build_machine_tools_are_not_target_builds() {
        let text = "FROM --platform=$BUILDPLATFORM golang:1.22 AS tools\n\
            RUN go install golang.org/x/tools/cmd/stringer@v0.20.0\n\
            RUN cargo install cargo-chef && cargo binstall trunk && rustup target add wasm32-unknown-unknown\n\
            RUN go build -o /out/gen ./cmd/gen\n\
            FROM --platform=$BUILDPLATFORM golang:1.22 AS gen\n\
            COPY --from=tools /out/gen /usr/bin/gen\n\
            RUN gen > /out/code.go\n\
            FROM scratch\nCOPY --from=gen /out/code.go /\n";
        // /out/gen goes to another build-platform stage that runs it: a tool.
        assert_eq!(findings(text), []);
    }

    #[test]
    fn unknown_tools_and_the_other_distros_installer() {
        let text = "FROM --platform=$BUILDPLATFORM tonistiigi/xx AS xx\n\
            FROM --platform=$BUILDPLATFORM golang:1.22-bookworm AS build\n\
            COPY --from=xx / /\n\
            ARG TARGETPLATFORM\n\
            RUN xx-setup && xx-apk add musl-dev\n\
            FROM --platform=$BUILDPLATFORM alpine:3.20 AS other\n\
            COPY --from=xx / /\n\
            ARG TARGETPLATFORM\n\
            RUN xx-apt-get install -y libc6-dev\n\
            FROM scratch\nCOPY --from=build /a /a\nCOPY --from=other /b /b\n";
        assert_eq!(findings(text), [("XX004", 5), ("XX005", 5), ("XX005", 9)]);
    }

    #[test]
    fn hadolint_ignore_comments_silence_our_rules() {
        // Inline, above the finding's instruction, by code or name, next
        // to hadolint's own rules and with a remark.
        let text =
            "# hadolint ignore=DL3006,XX001 # emulation is fine here\nFROM debian\nRUN make\n";
        assert_eq!(findings(text), []);
        let text = "# hadolint ignore=EmulatedRunStage\nFROM debian\nRUN make\n";
        assert_eq!(findings(text), []);
        // Only the next instruction.
        let text = "# hadolint ignore=XX001\nFROM debian AS a\nRUN make\nFROM debian\nCOPY --from=a /a /a\nRUN make\n";
        assert_eq!(findings(text), [("XX001", 4)]);
        // File-wide, anywhere in the file.
        let text = "FROM debian\n# hadolint global ignore=DL3008,XX001\nRUN make\n";
        assert_eq!(findings(text), []);
        let text = "FROM debian\n# xx-lint global ignore=XX002\nRUN make\n";
        assert_eq!(findings(text), [("XX001", 1)]);
    }

    #[test]
    fn check_skip_directive_silences_rules_by_code_or_name() {
        let text = "# check=skip=EmulatedRunStage\nFROM debian\nRUN make\n";
        assert_eq!(findings(text), []);
        let text = "# check=skip=all\nFROM debian\nRUN make\n";
        assert_eq!(findings(text), []);
        assert_eq!(findings("FROM debian\nRUN make\n"), [("XX001", 1)]);
        assert_eq!(
            rule("xx002").map(|rule| rule.name),
            Some("BuildMachineBinaryForTarget")
        );
    }

    #[test]
    fn tool_names_are_found_as_words_only() {
        assert_eq!(first_xx_tool("a && xx-clang++ -o x"), Some("xx-clang++"));
        assert_eq!(
            first_xx_tool("cp \"$(xx-cargo --print-target-triple)\""),
            Some("xx-cargo")
        );
        assert_eq!(first_xx_tool("/usr/bin/xx-info"), Some("xx-info"));
        assert_eq!(first_xx_tool("echo my-xx-info-file"), None);
        assert_eq!(first_xx_tool("xx-go build && xx-verify a"), Some("xx-go"));
    }

    #[test]
    fn declared_names_of_arg_and_env() {
        assert_eq!(declared_names("TARGETPLATFORM"), ["TARGETPLATFORM"]);
        assert_eq!(declared_names("A=1 B=\"x\""), ["A", "B"]);
        assert_eq!(declared_names("GOARCH arm64"), ["GOARCH"]);
    }
}
