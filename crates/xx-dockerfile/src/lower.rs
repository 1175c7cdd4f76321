//! Lowering: rewrite a Dockerfile so that its compile stages run natively
//! on `$BUILDPLATFORM` and cross-compile for `$TARGETPLATFORM` with the xx
//! tools, the way a person would by hand:
//!
//! * an `xx` stage (`FROM --platform=$BUILDPLATFORM <xx image> AS xx`)
//!   before the first stage;
//! * each compile stage (a stage on the target platform whose `RUN` steps
//!   compile: go, cargo, a C/C++ compiler, make, cmake, configure) gets
//!   `--platform=$BUILDPLATFORM`, `COPY --from=xx / /` and
//!   `ARG TARGETPLATFORM`; stages based on it get `ARG TARGETPLATFORM`;
//! * in those stages: `go build` -> `xx-go build`, `cargo build` ->
//!   `xx-cargo build` (with `target/release` paths following cargo's
//!   per-target folder), `gcc`/`cc`/`clang` -> `xx-clang`, `g++`/`c++`/
//!   `clang++` -> `xx-clang++`, `make CC=xx-clang CXX=xx-clang++`,
//!   `cmake $(xx-clang --print-cmake-defines)`,
//!   `./configure --host=$(xx-clang --print-target-triple)`; a binary
//!   written with `-o` is checked with `xx-verify` (`--static` when the
//!   build is static for certain), and what later stages copy from a
//!   lowered stage is checked by a last `RUN` in that stage (ELF files,
//!   and the executable ELF files of copied folders);
//! * package installs split: build tools (and clang, lld) for the build
//!   machine, `-dev` packages and the C runtime (`xx-c-essentials`) for
//!   the target with `xx-apt-get` / `xx-apk`.
//!
//! The stage that is built (the last, or `--target`) is the image itself
//! and stays on the target platform, as do stages that do not compile and
//! stages the image is based on; the report says so.

use std::ops::Range;

use serde::Serialize;

use crate::error::ParseError;
use crate::lint::{base_family, build_system, compiler_of};
use crate::parse::Instruction;
use crate::shell::{self, Command};
use crate::stages::{Dockerfile, Stage, StagePlatform};

/// Why a Dockerfile could not be lowered.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LowerError {
    /// Not a readable Dockerfile.
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// `--target` names no stage.
    #[error("--target {0}: no such stage")]
    UnknownTarget(String),
    /// A stage named `xx` exists and is not built from an xx image.
    #[error("line {0}: a stage is already named xx; rename it to lower this Dockerfile")]
    XxNameTaken(usize),
}

/// What to lower for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// The image holding the xx tools (`xx-rs`, `tonistiigi/xx`).
    pub xx_image: String,
    /// The stage that is built (default: the last).
    pub target: Option<String>,
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportLine {
    /// 1-based line in the input.
    pub line: usize,
    /// What was done, or why nothing was.
    pub text: String,
}

/// The lowered Dockerfile and what changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Lowered {
    /// The new Dockerfile.
    pub text: String,
    /// The changes, by input line.
    pub changes: Vec<ReportLine>,
    /// What was left as it was, and why.
    pub notes: Vec<ReportLine>,
}

/// The name of the stage holding the xx tools.
const XX_STAGE: &str = "xx";

/// Rewrite `text` (see the module docs).
pub fn lower(text: &str, options: &Options) -> Result<Lowered, LowerError> {
    let file = Dockerfile::parse(text)?;
    let needed = file
        .needed(options.target.as_deref())
        .ok_or_else(|| LowerError::UnknownTarget(options.target.clone().unwrap_or_default()))?;
    let built = target_index(&file, options).unwrap_or(file.stages.len() - 1);
    let image_root = chain_root(&file, &file.stages[built]);
    let mut plan = Plan::default();

    // A compile stage is lowered with the stages of its chain (the stage
    // with the FROM image and those based on it), unless the image itself
    // is built on that chain.
    let mut roots: Vec<usize> = Vec::new();
    for &index in &needed {
        let stage = &file.stages[index];
        if file.effective_platform(stage) != StagePlatform::Target || !stage_compiles(stage) {
            continue;
        }
        let root = chain_root(&file, stage);
        if root == image_root {
            plan.note(
                stage.from.line,
                format!(
                    "stage {} compiles, but the image is built on it: left on the target platform",
                    stage.label()
                ),
            );
        } else if !roots.contains(&root) {
            roots.push(root);
        }
    }
    // A chain with anything lowering cannot make right stays as it is.
    roots.retain(|&root| {
        let chain: Vec<usize> = needed
            .iter()
            .copied()
            .filter(|&index| chain_root(&file, &file.stages[index]) == root)
            .collect();
        match chain_refusal(&file, &chain) {
            Some(refusal) => {
                plan.note(
                    refusal.line,
                    format!(
                        "stage {} left on the target platform: {}",
                        file.stages[refusal.stage].label(),
                        refusal.reason
                    ),
                );
                false
            }
            None => true,
        }
    });
    let lowered: Vec<usize> = needed
        .iter()
        .copied()
        .filter(|&index| roots.contains(&chain_root(&file, &file.stages[index])))
        .collect();
    for &index in &needed {
        let stage = &file.stages[index];
        let emulated = file.effective_platform(stage) == StagePlatform::Target
            && stage.runs().next().is_some();
        if !emulated || lowered.contains(&index) {
            continue;
        }
        if index == built {
            plan.note(
                stage.from.line,
                format!(
                    "stage {} is the image itself: its RUN steps stay on the target platform",
                    stage.label()
                ),
            );
        } else if !stage_compiles(stage) && !roots.is_empty() {
            plan.note(
                stage.from.line,
                format!(
                    "stage {} compiles nothing: left on the target platform",
                    stage.label()
                ),
            );
        }
    }
    if lowered.is_empty() {
        return Ok(Lowered {
            text: text.to_string(),
            changes: Vec::new(),
            notes: plan.notes,
        });
    }

    let mut inserted_xx = true;
    if let Some(taken) = file
        .stages
        .iter()
        .find(|stage| stage.name.as_deref() == Some(XX_STAGE))
    {
        if !taken.base.contains("xx") {
            return Err(LowerError::XxNameTaken(taken.from.line));
        }
        inserted_xx = false;
    } else {
        let first = &file.stages[0].from;
        plan.insert_before(
            first.line,
            format!(
                "FROM --platform=$BUILDPLATFORM {} AS {XX_STAGE}\n\n",
                options.xx_image
            ),
        );
        plan.change(
            first.line,
            format!(
                "added stage {XX_STAGE} ({}) for the xx tools",
                options.xx_image
            ),
        );
    }

    // The xx stage comes first: stages referred to by number (`COPY
    // --from=0`, `RUN --mount=from=0`) are one further on.
    let shifted = match inserted_xx {
        true => shift_stage_numbers(text, &file, &mut plan),
        false => text.to_string(),
    };
    let lines: Vec<&str> = shifted.lines().collect();
    for &index in &lowered {
        let stage = &file.stages[index];
        let is_root = roots.contains(&index);
        let chain: Vec<&Stage> = lowered
            .iter()
            .map(|&other| &file.stages[other])
            .filter(|other| chain_root(&file, other) == chain_root(&file, stage))
            .collect();
        let needs = Needs::of(&chain);
        let family = chain_family(&file, &chain);
        let mut header = String::new();
        if is_root {
            header.push_str(&format!(
                "FROM --platform=$BUILDPLATFORM {}\n",
                stage.from.args
            ));
            header.push_str(&format!("COPY --from={XX_STAGE} / /\n"));
            plan.change(
                stage.from.line,
                format!(
                    "stage {} runs on $BUILDPLATFORM, with the xx tools",
                    stage.label()
                ),
            );
        } else {
            header.push_str(&raw(&lines, &stage.from));
            header.push('\n');
        }
        let chain_installs = chain.iter().any(|member| stage_installs(member));
        if is_root && needs.c && !chain_installs {
            if let Some((host, _)) = provision(family, &needs) {
                header.push_str(&host);
                plan.change(
                    stage.from.line,
                    "clang and lld installed for the build machine (the image has no cross toolchain)"
                        .to_string(),
                );
            }
        }
        plan.replace(stage.from.line, stage.from.end_line, header);
        // ARG TARGETPLATFORM right before the first step that depends on
        // the target, so that the steps before it are shared by every
        // platform of a build.
        let copies_cargo_output = cargo_output_folders(&file, stage);
        let mut declared = false;
        let declare = |plan: &mut Plan, line: usize, declared: &mut bool| {
            if *declared {
                return;
            }
            *declared = true;
            let mut text = "ARG TARGETPLATFORM\n".to_string();
            if is_root && needs.c && !chain_installs {
                if let Some((_, target)) = provision(family, &needs) {
                    text.push_str(&target);
                }
            }
            plan.insert_before(line, text);
            plan.change(line, format!("ARG TARGETPLATFORM declared in stage {} before its first target-dependent step", stage.label()));
        };
        for instruction in &stage.instructions {
            if instruction.keyword != "RUN" {
                continue;
            }
            let source = match &instruction.exec {
                Some(_) => format!("RUN {}", instruction.script()),
                None => raw(&lines, instruction),
            };
            let (new, changes, target_run) = rewrite_run(
                &source,
                needs,
                &copies_cargo_output,
                instruction.line,
                !instruction.heredocs.is_empty() && instruction.exec.is_none(),
                sets_go_target(&file, stage, instruction.line),
                env_cgo_off(&file, stage, instruction.line),
            );
            if let Some(target_run) = target_run {
                for change in changes {
                    plan.change(instruction.line, change);
                }
                plan.replace(instruction.line, instruction.end_line, format!("{new}\n"));
                declare(&mut plan, instruction.end_line + 1, &mut declared);
                plan.insert_before(instruction.end_line + 1, target_run);
            } else if new != source {
                declare(&mut plan, instruction.line, &mut declared);
                for change in changes {
                    plan.change(instruction.line, change);
                }
                plan.replace(instruction.line, instruction.end_line, format!("{new}\n"));
            }
        }
        if !declared {
            let at = stage.from.end_line + 1;
            if at <= lines.len() {
                declare(&mut plan, at, &mut declared);
            } else {
                plan.edits
                    .push((at, at - 1, "ARG TARGETPLATFORM\n".to_string()));
            }
        }
        // What later stages take from this one is the target's: checked
        // when the stage ends, whatever step wrote it.
        let builds_here = std::iter::once(stage)
            .chain(file.ancestors(stage))
            .any(builds_for_target);
        let copied = copied_outputs(&file, stage, &needed, &chain);
        if builds_here && !copied.is_empty() {
            let last = stage.instructions.last().unwrap_or(&stage.from);
            let static_build = chain_static(&file, &chain);
            plan.insert_before(
                last.end_line + 1,
                format!("RUN {}\n", check_copied(&copied, static_build)),
            );
            plan.change(
                last.line,
                format!(
                    "what later stages take from stage {} ({}) checked with {} when the stage ends (ELF files; executables in folders)",
                    stage.label(),
                    copied.join(", "),
                    if static_build { "xx-verify --static" } else { "xx-verify" }
                ),
            );
        }
    }
    Ok(Lowered {
        text: plan.apply(&lines),
        changes: plan.changes,
        notes: plan.notes,
    })
}

/// The first stage of `stage`'s chain: following `FROM <stage>` up to the
/// stage that starts from an image.
fn chain_root(file: &Dockerfile, stage: &Stage) -> usize {
    file.ancestors(stage).last().unwrap_or(stage).index
}

/// The index of the `--target` stage, if given.
fn target_index(file: &Dockerfile, options: &Options) -> Option<usize> {
    let target = options.target.as_deref()?;
    file.stage_named(target, file.stages.len())
        .map(|stage| stage.index)
}

/// The instruction's lines as written.
fn raw(lines: &[&str], instruction: &Instruction) -> String {
    lines[instruction.line - 1..instruction.end_line].join("\n")
}

/// Whether a stage's `RUN` steps compile something (for the target, or
/// to WebAssembly, which is the same on every platform).
fn stage_compiles(stage: &Stage) -> bool {
    stage
        .runs()
        .flat_map(|run| shell::commands(&run.script()))
        .any(|command| {
            compiler_of(&command).is_some()
                || build_system(&command).is_some()
                || builds_wasm(&command)
        })
}

/// Whether a stage's `RUN` steps build code for the target: a compiler
/// (not for WebAssembly) or a build system. A stage that only plans
/// (`cargo chef prepare`) or builds WebAssembly makes no target binary.
fn builds_for_target(stage: &Stage) -> bool {
    stage
        .runs()
        .flat_map(|run| shell::all_commands(&run.script()))
        .any(|command| {
            let wasm = cargo_target(&command).is_some_and(|triple| triple.starts_with("wasm32"));
            (compiler_of(&command).is_some() && !wasm) || build_system(&command).is_some()
        })
}

/// `trunk build`, `wasm-pack build`: WebAssembly frontends, whose output
/// does not depend on the machine that builds them.
fn builds_wasm(command: &Command) -> bool {
    matches!(command.program(), "trunk" | "wasm-pack")
        && command.args().first().is_some_and(|arg| arg == "build")
}

/// Why a chain of stages stays on the target platform.
struct Refusal {
    /// The stage it is about.
    stage: usize,
    /// The input line that makes it so.
    line: usize,
    /// Why, in words.
    reason: String,
}

/// Commands whose result does not depend on the machine they run on.
const NEUTRAL: &[&str] = &[
    "",
    "[",
    "[[",
    "test",
    "true",
    "false",
    ":",
    "fi",
    "done",
    "esac",
    "}",
    "for",
    "case",
    "set",
    "export",
    "unset",
    "exit",
    "return",
    "source",
    ".",
    "shift",
    "trap",
    "umask",
    "cd",
    "pwd",
    "mkdir",
    "rmdir",
    "cp",
    "mv",
    "rm",
    "ln",
    "echo",
    "printf",
    "cat",
    "touch",
    "chmod",
    "chown",
    "chgrp",
    "ls",
    "sed",
    "awk",
    "gawk",
    "grep",
    "egrep",
    "fgrep",
    "find",
    "xargs",
    "tar",
    "gzip",
    "gunzip",
    "zcat",
    "bzip2",
    "xz",
    "unxz",
    "zstd",
    "unzip",
    "zip",
    "git",
    "curl",
    "wget",
    "tee",
    "sort",
    "uniq",
    "head",
    "tail",
    "cut",
    "tr",
    "wc",
    "dirname",
    "basename",
    "realpath",
    "readlink",
    "stat",
    "du",
    "df",
    "sleep",
    "date",
    "id",
    "whoami",
    "install",
    "patch",
    "diff",
    "cmp",
    "sha256sum",
    "sha512sum",
    "sha1sum",
    "md5sum",
    "gpg",
    "envsubst",
    "useradd",
    "adduser",
    "addgroup",
    "groupadd",
    "usermod",
    "update-ca-certificates",
    "ldconfig",
    "locale-gen",
    "apt-key",
    "file",
    "which",
    "type",
    "wait",
    "nproc",
    "protoc",
    "autoreconf",
    "autoconf",
    "automake",
    "aclocal",
    "libtoolize",
    "autoheader",
    "rustup",
    "rustc",
    "trunk",
    "wasm-pack",
    "wasm-bindgen",
    "wasm-opt",
    "go-licenses",
    "swag",
    "sqlc",
    "templ",
    "buf",
    "upx-ucl",
];

/// Package managers xx lower knows (their installs are split).
const INSTALLERS: &[&str] = &["apt-get", "apt", "apk", "dpkg-reconfigure"];

/// Install directories of build-machine toolchains and system files: a
/// copy out of a lowered stage would ship the build machine's files.
const BUILD_MACHINE_PATHS: &[&str] = &[
    "/usr/local/go",
    "/usr/local/cargo",
    "/usr/local/rustup",
    "/root/.cargo",
    "/root/.rustup",
    "/usr/lib/",
    "/lib/",
    "/lib64",
    "/usr/lib64",
    "/usr/bin/",
    "/bin/",
    "/sbin/",
    "/usr/sbin/",
    "/usr/libexec",
    "/usr/local/lib/",
    "/usr/local/bin/",
    "/go/bin/",
    "/usr/lib",
    "/usr/bin",
];

/// What a lowered chain needs on the build machine.
#[derive(Debug, Default, Clone, Copy)]
struct Needs {
    /// clang, lld and the target's C runtime.
    c: bool,
    /// C++ runtime too.
    cxx: bool,
    /// LLVM's binutils (`<triple>-ar`, `-strip`).
    llvm: bool,
    /// qemu-user, for xx-cargo to run the target's tests and programs.
    qemu: bool,
}

impl Needs {
    fn of(chain: &[&Stage]) -> Needs {
        let mut needs = Needs::default();
        for stage in chain {
            for run in stage.runs() {
                let script = run.script();
                for command in shell::all_commands(&script) {
                    let program = command.program();
                    match compiler_of(&command).map(|(_, tool)| tool) {
                        Some("xx-go") => {
                            needs.c |= !cgo_off(stage, &command, &script);
                        }
                        Some("xx-clang++") => {
                            needs.c = true;
                            needs.cxx = true;
                        }
                        Some(_) => needs.c = true,
                        None => {}
                    }
                    if let Some(system) = build_system(&command) {
                        needs.c = true;
                        needs.cxx |= system == "cmake" || system == "meson";
                        needs.llvm |= system == "make" || system == "configure";
                    }
                    if matches!(program, "strip" | "objcopy" | "ar" | "ranlib") {
                        needs.c = true;
                        needs.llvm = true;
                    }
                    if program == "cargo" && command.args().first().is_some_and(|arg| arg == "chef")
                    {
                        needs.c = true;
                    }
                    if runs_target_programs(&command) {
                        needs.c = true;
                        needs.qemu = true;
                    }
                }
            }
        }
        needs
    }
}

/// `cargo test`/`run`/`bench`: lowered to xx-cargo, which runs what it
/// builds under qemu-user.
fn runs_target_programs(command: &Command) -> bool {
    command.program() == "cargo"
        && command
            .args()
            .first()
            .is_some_and(|arg| matches!(arg.as_str(), "test" | "run" | "bench"))
}

/// Whether cgo is certainly off for `go build`: `CGO_ENABLED=0` on the
/// command, in the script or in the stage's `ENV`/`ARG`.
fn cgo_off(stage: &Stage, command: &Command, script: &str) -> bool {
    command.assignments.iter().any(|a| a == "CGO_ENABLED=0")
        || script.contains("CGO_ENABLED=0")
        || stage.instructions.iter().any(|i| {
            matches!(i.keyword.as_str(), "ENV" | "ARG") && i.args.contains("CGO_ENABLED=0")
        })
}

/// The package family of a chain: its base image's, else what its
/// installs use.
fn chain_family(file: &Dockerfile, chain: &[&Stage]) -> Option<&'static str> {
    if let Some(family) = chain.first().and_then(|stage| base_family(file, stage)) {
        return Some(family);
    }
    for stage in chain {
        for run in stage.runs() {
            for command in shell::all_commands(&run.script()) {
                match command.program() {
                    "apt-get" | "apt" => return Some("debian"),
                    "apk" => return Some("alpine"),
                    _ => {}
                }
            }
        }
    }
    None
}

/// Whether a stage installs packages with apt or apk.
fn stage_installs(stage: &Stage) -> bool {
    stage.runs().any(|run| {
        shell::all_commands(&run.script()).iter().any(|command| {
            let first = command.args().iter().find(|arg| !arg.starts_with('-'));
            matches!(
                (command.program(), first.map(String::as_str)),
                ("apt-get" | "apt", Some("install")) | ("apk", Some("add"))
            )
        })
    })
}

/// The build-machine and target provisioning `RUN`s for a chain that
/// installs nothing itself.
fn provision(family: Option<&str>, needs: &Needs) -> Option<(String, String)> {
    let mut host = vec!["clang", "lld"];
    if needs.llvm {
        host.push("llvm");
    }
    if needs.qemu {
        host.push("qemu-user");
    }
    let mut target = vec!["xx-c-essentials"];
    if needs.cxx {
        target.push("xx-cxx-essentials");
    }
    match family? {
        "debian" => Some((
            format!(
                "RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends {} pkg-config\n",
                host.join(" ")
            ),
            format!(
                "RUN DEBIAN_FRONTEND=noninteractive xx-apt-get install -y --no-install-recommends {}\n",
                target.join(" ")
            ),
        )),
        "alpine" => Some((
            format!("RUN apk add --no-cache {} pkgconf\n", host.join(" ")),
            format!("RUN xx-apk add --no-cache {}\n", target.join(" ")),
        )),
        _ => None,
    }
}

/// Folders (`target/release/`, `target/x86_64-unknown-linux-musl/release/`)
/// that later stages copy cargo's output from, out of `stage`.
fn cargo_output_folders(file: &Dockerfile, stage: &Stage) -> Vec<String> {
    let mut folders = Vec::new();
    for user in file.users(stage) {
        for instruction in &user.instructions {
            let from_here = instruction.flag("from").is_some_and(|from| {
                file.stage_named(from, user.index)
                    .is_some_and(|used| used.index == stage.index)
            });
            if instruction.keyword != "COPY" || !from_here {
                continue;
            }
            for word in instruction.args.split_whitespace() {
                if let Some(folder) = cargo_folder_of(word) {
                    if !folders.contains(&folder) {
                        folders.push(folder);
                    }
                }
            }
        }
    }
    folders
}

/// The cargo output folder (`target/release`, `target/<triple>/debug`)
/// a copied path is in, if any.
fn cargo_folder_of(word: &str) -> Option<String> {
    let at = word.find("target/")?;
    let rest = &word[at + "target/".len()..];
    let parts: Vec<&str> = rest.split('/').collect();
    match parts.as_slice() {
        [profile @ ("release" | "debug"), ..] => Some(format!("target/{profile}")),
        [triple, profile @ ("release" | "debug"), ..] if is_triple(triple) => {
            Some(format!("target/{triple}/{profile}"))
        }
        _ => None,
    }
}

/// A path a `COPY --from` or `RUN --mount=from=` takes from a stage, as
/// an absolute path in that stage (a relative one is from its root, not
/// its `WORKDIR`), when it names one thing for certain: no variables, no
/// wildcards, no `..`, not the root itself.
fn copied_path(source: &str) -> Option<String> {
    if source.is_empty()
        || source.starts_with('[')
        || source
            .chars()
            .any(|c| matches!(c, '$' | '*' | '?' | '[' | '\\' | '"' | '\''))
    {
        return None;
    }
    let segments: Vec<&str> = source
        .split('/')
        .filter(|segment| !segment.is_empty() && *segment != ".")
        .collect();
    if segments.is_empty() || segments.contains(&"..") {
        return None;
    }
    Some(format!("/{}", segments.join("/")))
}

/// The paths that the stages a build needs take from `stage` with `COPY
/// --from` or a bind `RUN --mount=from=`, less those already checked
/// where they are built: absolute `-o` outputs and cargo's output
/// folders (`chain`: the lowered stages of `stage`'s chain).
fn copied_outputs(
    file: &Dockerfile,
    stage: &Stage,
    needed: &[usize],
    chain: &[&Stage],
) -> Vec<String> {
    let mut checked: Vec<String> = Vec::new();
    let mut cargo_builds = false;
    for member in chain {
        for run in member.runs() {
            for command in shell::commands(&run.script()) {
                match compiler_of(&command) {
                    Some((_, "xx-cargo")) => cargo_builds = true,
                    Some((what, _)) if what != "go install" => {
                        if let Some(output) = output_file(&command) {
                            checked.extend(copied_path(output).filter(|_| output.starts_with('/')));
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    let mut sources: Vec<String> = Vec::new();
    for user in file
        .users(stage)
        .filter(|user| needed.contains(&user.index))
    {
        let names_stage = |reference: &str| {
            file.stage_named(reference, user.index)
                .is_some_and(|used| used.index == stage.index)
        };
        for instruction in &user.instructions {
            if instruction.keyword == "COPY"
                && instruction.exec.is_none()
                && instruction.flag("from").is_some_and(names_stage)
            {
                let words: Vec<&str> = instruction.args.split_whitespace().collect();
                if words.first().is_some_and(|word| word.starts_with('[')) {
                    continue;
                }
                sources.extend(
                    words[..words.len().saturating_sub(1)]
                        .iter()
                        .map(|word| word.to_string()),
                );
            }
            for (flag, value) in &instruction.flags {
                if flag != "mount" {
                    continue;
                }
                let parts: Vec<(&str, &str)> = value
                    .split(',')
                    .filter_map(|part| part.split_once('='))
                    .collect();
                let get = |key: &str| parts.iter().find(|(k, _)| *k == key).map(|(_, v)| *v);
                let bind = get("type").is_none_or(|kind| kind == "bind");
                if bind && get("from").is_some_and(names_stage) {
                    sources.extend(get("source").or(get("src")).map(str::to_string));
                }
            }
        }
    }
    let mut paths: Vec<String> = Vec::new();
    for source in sources {
        if cargo_builds && cargo_folder_of(&source).is_some() {
            continue;
        }
        if let Some(path) = copied_path(&source) {
            if !checked.contains(&path) && !paths.contains(&path) {
                paths.push(path);
            }
        }
    }
    paths
}

/// Whether every binary the chain links is static for certain: its go
/// builds are (see [`go_static`]), its C links pass `-static`, its cargo
/// builds ask for `crt-static`; no build system (whose link lines are not
/// seen); at least one link.
fn chain_static(file: &Dockerfile, chain: &[&Stage]) -> bool {
    let mut links = false;
    for stage in chain {
        for run in stage.runs() {
            let script = run.script();
            for command in shell::all_commands(&script) {
                if build_system(&command).is_some() {
                    return false;
                }
                let args = command.args();
                let static_link = match compiler_of(&command).map(|(_, tool)| tool) {
                    None => continue,
                    Some("xx-go") => {
                        go_static(&command, &script, env_cgo_off(file, stage, run.line))
                    }
                    Some("xx-cargo") => script.contains("crt-static"),
                    Some(_) if args.iter().any(|arg| arg == "-c") => continue,
                    Some(_) => args.iter().any(|arg| arg == "-static"),
                };
                if !static_link {
                    return false;
                }
                links = true;
            }
        }
    }
    links
}

/// The `RUN` script that checks `paths` with xx-verify when its stage
/// ends: a file that is an ELF binary is checked (`--static` with
/// `static_build`); in a folder, every executable ELF file is (without
/// `--static`: a folder may hold shared libraries). Anything else (text,
/// scripts, data, a path that is not there) is left to the `COPY`.
/// Only `xx-verify [--static] FILE`, which every xx has, and POSIX sh,
/// `find`, `head -c` and `printf`.
fn check_copied(paths: &[String], static_build: bool) -> String {
    let list: Vec<String> = paths
        .iter()
        .map(|path| crate::parse::shell_quote(path))
        .collect();
    let file_check = if static_build {
        "xx-verify --static"
    } else {
        "xx-verify"
    };
    format!(
        "xx_elf() {{ [ -f \"$1\" ] && [ \"$(head -c 4 \"$1\")\" = \"$(printf '\\177ELF')\" ]; }}; for p in {}; do if [ -d \"$p\" ]; then find \"$p\" -type f -perm -100 | while IFS= read -r f; do if xx_elf \"$f\"; then xx-verify \"$f\" || exit 1; fi; done || exit 1; elif xx_elf \"$p\"; then {file_check} \"$p\" || exit 1; fi; done",
        list.join(" ")
    )
}

/// `x86_64-unknown-linux-musl`-like.
fn is_triple(word: &str) -> bool {
    word.split('-').count() >= 3
        && ["linux", "windows", "darwin", "wasi", "unknown"]
            .iter()
            .any(|part| word.contains(part))
}

/// Why the chain (stage indices, root first) cannot be lowered without
/// changing what it builds, if anything.
fn chain_refusal(file: &Dockerfile, chain: &[usize]) -> Option<Refusal> {
    let stages: Vec<&Stage> = chain.iter().map(|&index| &file.stages[index]).collect();
    let family = chain_family(file, &stages);
    let needs = Needs::of(&stages);
    // Tools installed for the build machine may be run.
    let mut tools: Vec<String> = Vec::new();
    for stage in &stages {
        for run in stage.runs() {
            for command in shell::all_commands(&run.script()) {
                let first = command.args().first().map(String::as_str);
                let installs_tool = matches!(
                    (command.program(), first),
                    ("go", Some("install")) | ("cargo", Some("install" | "binstall"))
                ) && compiler_of(&command).is_none();
                if installs_tool {
                    for arg in command
                        .args()
                        .iter()
                        .skip(1)
                        .filter(|a| !a.starts_with('-'))
                    {
                        let path = arg.split('@').next().unwrap_or(arg);
                        let mut parts = path.rsplit('/');
                        let mut name = parts.next().unwrap_or(path);
                        if name.len() >= 2
                            && name.starts_with('v')
                            && name[1..].chars().all(|c| c.is_ascii_digit())
                        {
                            name = parts.next().unwrap_or(name);
                        }
                        tools.push(name.to_string());
                    }
                }
            }
        }
    }
    for stage in &stages {
        let refuse = |line: usize, reason: String| Refusal {
            stage: stage.index,
            line,
            reason,
        };
        if family.is_none() && needs.c {
            return Some(refuse(
                stage.from.line,
                format!(
                    "it builds C (or cgo, or links Rust) and xx lower cannot tell how to install clang and the target's C library in {} (neither a Debian- nor an Alpine-based image, and no apt-get/apk in the stage)",
                    stage.base
                ),
            ));
        }
        for instruction in &stage.instructions {
            if matches!(instruction.keyword.as_str(), "ENV" | "ARG") {
                for (name, value) in env_pairs(instruction) {
                    // GOARCH=$TARGETARCH is what xx-go sets itself.
                    if name == "GOARCH" && names_target_arch(&value) {
                        continue;
                    }
                    if matches!(
                        name.as_str(),
                        "GOARCH" | "CC" | "CXX" | "CARGO_BUILD_TARGET" | "CROSS_COMPILE"
                    ) && !value.is_empty()
                    {
                        return Some(refuse(
                            instruction.line,
                            format!(
                                "{} {name}={value} names a fixed target or compiler",
                                instruction.keyword
                            ),
                        ));
                    }
                }
            }
            if instruction.keyword != "RUN" {
                continue;
            }
            if let Some(problem) = instruction.heredoc_problem() {
                return Some(refuse(instruction.line, problem));
            }
            let script = instruction.script();
            for variable in ["TARGETARCH", "TARGETPLATFORM", "TARGETOS", "TARGETVARIANT"] {
                if script.contains(&format!("${variable}"))
                    || script.contains(&format!("${{{variable}"))
                {
                    return Some(refuse(
                        instruction.line,
                        format!("the RUN reads ${variable}, which names the machine that runs it on the target platform; after lowering the RUN would run on the build machine"),
                    ));
                }
            }
            for command in shell::all_commands(&script) {
                if let Err(reason) = classify(&command, family, &tools) {
                    return Some(refuse(instruction.line, reason));
                }
            }
        }
        // Build-machine files copied into other stages.
        for user in file.users(stage) {
            for instruction in &user.instructions {
                let from_here = instruction.flag("from").is_some_and(|from| {
                    file.stage_named(from, user.index)
                        .is_some_and(|used| used.index == stage.index)
                });
                if instruction.keyword != "COPY" || !from_here {
                    continue;
                }
                let words: Vec<&str> = instruction.args.split_whitespace().collect();
                let sources = &words[..words.len().saturating_sub(1)];
                for source in sources {
                    let produced = produced_by(&stages, source);
                    if !produced
                        && BUILD_MACHINE_PATHS
                            .iter()
                            .any(|path| source.starts_with(path))
                    {
                        return Some(refuse(
                            instruction.line,
                            format!("stage {} copies {source} from it: after lowering that would be the build machine's (a toolchain or system file), not the target's", user.label()),
                        ));
                    }
                }
            }
        }
    }
    None
}

/// The `NAME=value` pairs of an `ENV` or `ARG` (and `ENV NAME value`).
fn env_pairs(instruction: &Instruction) -> Vec<(String, String)> {
    let words: Vec<&str> = instruction.args.split_whitespace().collect();
    if instruction.keyword == "ENV" && words.len() >= 2 && !words[0].contains('=') {
        return vec![(words[0].to_string(), words[1..].join(" "))];
    }
    words
        .iter()
        .filter_map(|word| word.split_once('='))
        .map(|(name, value)| (name.to_string(), value.trim_matches('"').to_string()))
        .collect()
}

/// `$TARGETARCH` or `${TARGETARCH}`.
fn names_target_arch(value: &str) -> bool {
    matches!(value, "$TARGETARCH" | "${TARGETARCH}")
}

/// Whether `stage` (or a stage it is based on) sets `GOOS` or `GOARCH`
/// with `ENV` before `line`.
fn sets_go_target(file: &Dockerfile, stage: &Stage, line: usize) -> bool {
    let own = stage
        .instructions
        .iter()
        .filter(|instruction| instruction.line < line);
    let inherited = file
        .ancestors(stage)
        .flat_map(|member| member.instructions.iter());
    own.chain(inherited)
        .filter(|instruction| instruction.keyword == "ENV")
        .flat_map(env_pairs)
        .any(|(name, _)| name == "GOOS" || name == "GOARCH")
}

/// Whether the `ENV` of `stage` (or of a stage it is based on) before
/// `line` turns cgo off: its last `CGO_ENABLED` is `0`. An `ARG` does not
/// count: `--build-arg` may change it.
fn env_cgo_off(file: &Dockerfile, stage: &Stage, line: usize) -> bool {
    let mut chain: Vec<&Stage> = file.ancestors(stage).collect();
    chain.reverse();
    chain.push(stage);
    chain
        .iter()
        .flat_map(|member| member.instructions.iter())
        .filter(|instruction| instruction.keyword == "ENV" && instruction.line < line)
        .flat_map(env_pairs)
        .rfind(|(name, _)| name == "CGO_ENABLED")
        .is_some_and(|(_, value)| value == "0")
}

/// Whether a `go build`/`go install` certainly links a static binary:
/// cgo off (`CGO_ENABLED=0` on the command, or in the stage's `ENV` with
/// nothing in the script setting it for later commands), or `-extldflags` with `-static`;
/// and no build mode, race detector or link mode that links dynamically.
fn go_static(command: &Command, script: &str, env_cgo_off: bool) -> bool {
    let args = command.args();
    let dynamic = args.iter().any(|arg| {
        arg.starts_with("-buildmode")
            || arg.contains("linkmode")
            || matches!(arg.as_str(), "-linkshared" | "-race" | "-msan" | "-asan")
    });
    if dynamic {
        return false;
    }
    if args
        .iter()
        .any(|arg| arg.contains("-extldflags") && arg.contains("-static"))
    {
        return true;
    }
    let own = command
        .assignments
        .iter()
        .find_map(|assignment| assignment.strip_prefix("CGO_ENABLED="));
    match own {
        Some(value) => value == "0",
        // `CGO_ENABLED=1 go build` sets it for that command only; an
        // `export` or a bare assignment sets it for what follows.
        None => {
            env_cgo_off
                && !shell::all_commands(script).iter().any(|other| {
                    (other.words.is_empty() && other.assigns("CGO_ENABLED"))
                        || other.words.iter().any(|word| word.contains("CGO_ENABLED"))
                })
        }
    }
}

/// Whether `path` is written by a compile or install step of the chain
/// (`-o path`, `--prefix`, `DESTDIR`, `install ... path`, `cargo install
/// --path`), so that after lowering it is the target's.
fn produced_by(stages: &[&Stage], path: &str) -> bool {
    let path = path.trim_end_matches('/');
    let parent = path.rsplit_once('/').map_or("", |(dir, _)| dir);
    stages.iter().any(|stage| {
        stage.runs().any(|run| {
            shell::all_commands(&run.script()).iter().any(|command| {
                let builds = compiler_of(command).is_some()
                    || build_system(command).is_some()
                    || matches!(command.program(), "ninja" | "cp" | "mv" | "install")
                    || (command.program() == "cmake"
                        && command.args().first().is_some_and(|a| a == "--install"));
                builds
                    && command.words.iter().any(|word| {
                        let word = word.split_once('=').map_or(word.as_str(), |(_, v)| v);
                        let word = word.trim_end_matches('/');
                        !word.is_empty()
                            && word.starts_with('/')
                            && (word == path
                                || word == parent
                                || path.starts_with(&format!("{word}/")))
                    })
            })
        })
    })
}

/// Whether xx lower can run `command` on the build machine and get what
/// the target platform would have: `Err` says why not.
fn classify(command: &Command, family: Option<&str>, tools: &[String]) -> Result<(), String> {
    let program = command.program();
    let args = command.args();
    let first = args.first().map(String::as_str).unwrap_or("");
    let shown = command
        .words
        .iter()
        .take(3)
        .cloned()
        .collect::<Vec<_>>()
        .join(" ");
    for assignment in &command.assignments {
        let (name, value) = assignment.split_once('=').unwrap_or((assignment, ""));
        if matches!(
            name,
            "GOARCH" | "CC" | "CXX" | "CARGO_BUILD_TARGET" | "CROSS_COMPILE"
        ) && !value.is_empty()
        {
            return Err(format!("{name}={value} names a fixed target or compiler"));
        }
    }
    if let Some(arch_arg) = args.iter().find(|arg| {
        arg.starts_with("-march=")
            || arg.starts_with("-mcpu=")
            || arg.starts_with("-mtune=")
            || *arg == "-m32"
    }) {
        if compiler_of(command).is_some() || build_system(command).is_some() {
            return Err(format!(
                "`{shown}` passes {arch_arg}, an architecture-specific option"
            ));
        }
    }
    let foreign_tool = program.ends_with("-gcc")
        || program.ends_with("-g++")
        || program.ends_with("-ld")
        || program.ends_with("-strip");
    if foreign_tool && program != "xx-clang" {
        return Err(format!("`{program}` is a fixed cross toolchain"));
    }
    if NEUTRAL.contains(&program)
        || tools.iter().any(|tool| tool == program)
        || INSTALLERS.contains(&program)
    {
        return Ok(());
    }
    if program.starts_with("xx-") {
        return Err(format!("`{program}` already uses xx: lower it by hand"));
    }
    match program {
        "uname" | "arch" | "dpkg-architecture" | "getconf" => {
            return Err(format!(
                "`{shown}` reads the architecture of the machine it runs on"
            ))
        }
        "dpkg" if args.iter().any(|arg| arg.contains("architecture")) => {
            return Err(format!(
                "`{shown}` reads the architecture of the machine it runs on"
            ))
        }
        "dnf" | "yum" | "microdnf" | "zypper" | "pacman" => {
            return Err(format!(
                "`{program}`: xx lower splits installs only for apt and apk"
            ))
        }
        "ldd" => {
            return Err(
                "`ldd` runs the program's dynamic loader, which after lowering is the target's"
                    .to_string(),
            )
        }
        "strip" | "objcopy" | "ar" | "ranlib" | "pkg-config" | "pkgconf" => return Ok(()),
        _ => {}
    }
    match (program, first) {
        ("go", "build" | "install") => {
            if args.iter().any(|arg| arg == "-buildmode=plugin") {
                return Err("`go build -buildmode=plugin` loads into a host program".to_string());
            }
            Ok(())
        }
        ("go", "mod" | "env" | "version" | "get" | "generate" | "run" | "vet" | "list" | "clean" | "work" | "fmt" | "tool" | "download") => Ok(()),
        ("go", "test") => Err("`go test` runs the target's tests; after lowering they would run on the build machine and test another build".to_string()),
        ("cargo", "build" | "rustc" | "install" | "chef") => {
            if first == "chef" && args.get(1).is_some_and(|a| a != "cook" && a != "prepare") {
                return Err(format!("`{shown}` is not a cargo-chef step xx lower knows"));
            }
            match cargo_target(command) {
                Some(triple) if triple.starts_with("wasm32") => Ok(()),
                Some(triple) if triple.contains("-linux-gnu") => Ok(()),
                Some(triple) if triple.contains("-linux-musl") && family == Some("alpine") => Ok(()),
                Some(triple) if triple.contains("-linux-musl") => Err(format!(
                    "`cargo --target {triple}`: xx-cargo builds musl targets only on Alpine-based stages, and this one is not"
                )),
                Some(triple) => Err(format!("`cargo --target {triple}` names a target xx lower cannot map")),
                None => Ok(()),
            }
        }
        ("cargo", "fetch" | "check" | "clippy" | "fmt" | "doc" | "metadata" | "vendor" | "update" | "tree" | "generate-lockfile" | "binstall" | "version" | "--version" | "-V" | "leptos" | "sqlx") => Ok(()),
        ("cargo", "test" | "bench" | "run") if family == Some("debian") => Ok(()),
        ("cargo", "test" | "bench" | "run") => Err(format!("`cargo {first}` runs what it builds: xx-cargo runs it under qemu-user, which xx lower installs only on Debian-based stages, and this one is not")),
        ("cargo", "nextest") => Err("`cargo nextest` runs what it builds; after lowering that is a target program on the build machine".to_string()),
        ("gcc" | "cc" | "clang" | "g++" | "c++" | "clang++", _) => {
            if args.iter().any(|arg| arg == "-target" || arg == "--target" || arg.starts_with("--target=")) {
                return Err(format!("`{shown}` names its own target"));
            }
            Ok(())
        }
        ("make" | "gmake", _) => {
            if let Some(goal) = args.iter().find(|arg| matches!(arg.as_str(), "check" | "test" | "tests" | "distcheck" | "installcheck")) {
                return Err(format!("`make {goal}` runs what was built; after lowering that is a target program on the build machine"));
            }
            if let Some(var) = args.iter().find(|arg| {
                ["CC=", "CXX=", "LD=", "AR=", "HOSTCC="].iter().any(|p| arg.starts_with(p))
            }) {
                return Err(format!("`make {var}` names a fixed compiler or tool"));
            }
            Ok(())
        }
        ("cmake", _) => {
            if let Some(define) = args.iter().find(|arg| arg.contains("CMAKE_C_COMPILER") || arg.contains("CMAKE_CXX_COMPILER") || arg.contains("CMAKE_TOOLCHAIN_FILE") || arg.contains("CMAKE_SYSTEM_PROCESSOR")) {
                return Err(format!("`cmake {define}` names a fixed compiler or target"));
            }
            Ok(())
        }
        ("ctest", _) => Err("`ctest` runs what was built; after lowering that is a target program on the build machine".to_string()),
        ("meson", "test") => Err("`meson test` runs what was built".to_string()),
        ("meson", _) => {
            if args.iter().any(|arg| arg.starts_with("--cross-file") || arg.starts_with("--native-file")) {
                return Err("`meson` already names a cross or native file".to_string());
            }
            Ok(())
        }
        ("ninja", goal) if matches!(goal, "test" | "check") => Err(format!("`ninja {goal}` runs what was built")),
        ("ninja", _) => Ok(()),
        ("configure", _) => {
            if let Some(host) = args.iter().find(|arg| arg.starts_with("--host") || arg.starts_with("--target=")) {
                return Err(format!("`configure {host}` names a fixed target"));
            }
            if let Some(var) = args.iter().find(|arg| ["CC=", "CXX="].iter().any(|p| arg.starts_with(p))) {
                return Err(format!("`configure {var}` names a fixed compiler"));
            }
            Ok(())
        }
        ("config" | "Configure", _) => Err(format!("`{}` is OpenSSL's configure: it needs its own target name (linux-aarch64, linux-armv4, ...), which xx lower does not map", command.words[0])),
        _ => Err(format!("`{shown}` is not a command xx lower knows: it may build for, or run on, the machine it runs on")),
    }
}

/// The `--target` of a cargo command line, if given.
fn cargo_target(command: &Command) -> Option<String> {
    let args = command.args();
    args.iter().enumerate().find_map(|(at, arg)| {
        if arg == "--target" {
            args.get(at + 1).cloned()
        } else {
            arg.strip_prefix("--target=").map(str::to_string)
        }
    })
}

/// Edits to one `RUN` instruction's text.
#[derive(Default)]
struct Edits {
    /// (range of the source, replacement), non-overlapping.
    edits: Vec<(Range<usize>, String)>,
    changes: Vec<String>,
    /// How many of `edits` only change what a package install installs
    /// for the build machine.
    host_install_edits: usize,
    /// The target's installs (`xx-apt-get install ...`) split off package
    /// installs: (where they follow the install, the command).
    target_installs: Vec<(usize, String)>,
}

impl Edits {
    fn replace(&mut self, range: Range<usize>, with: impl Into<String>) {
        self.edits.push((range, with.into()));
    }

    fn insert(&mut self, at: usize, text: impl Into<String>) {
        self.edits.push((at..at, text.into()));
    }

    /// Apply the edits from the end of the text, so that earlier offsets
    /// stay valid. Insertions at one offset land in the order they were
    /// made, before a replacement that starts there.
    fn apply(self, source: &str) -> (String, Vec<String>) {
        let mut edits: Vec<(usize, (Range<usize>, String))> =
            self.edits.into_iter().enumerate().collect();
        edits.sort_by(|(first, (a, _)), (second, (b, _))| {
            b.start
                .cmp(&a.start)
                .then(a.is_empty().cmp(&b.is_empty()))
                .then(second.cmp(first))
        });
        let mut text = source.to_string();
        for (_, (range, with)) in edits {
            text.replace_range(range, &with);
        }
        (text, self.changes)
    }
}

/// Rewrite one `RUN` (its text as written; `heredoc`: its script is the
/// body of its one here-document; `go_target_env`: the stage's `ENV`
/// sets `GOOS`/`GOARCH`): compilers, build systems, package installs,
/// cargo output paths, binutils, build-machine `go install pkg@v`.
/// `env_cgo_off`: the stage's `ENV` turns cgo off.
fn rewrite_run(
    source: &str,
    needs: Needs,
    cargo_folders: &[String],
    line: usize,
    heredoc: bool,
    go_target_env: bool,
    env_cgo_off: bool,
) -> (String, Vec<String>, Option<String>) {
    let mut edits = Edits::default();
    // The keyword and the instruction's flags are not the script: blank
    // them (offsets stay those of `source`). In a here-document RUN the
    // script is the body: the first line (keyword, `<<EOF`) and the
    // terminator line are blanked too.
    let script_start = if heredoc {
        source.find('\n').unwrap_or(source.len())
    } else {
        script_start(source)
    };
    let script_end = if heredoc {
        source.rfind('\n').unwrap_or(source.len())
    } else {
        source.len()
    };
    let masked = format!(
        "{}{}{}",
        " ".repeat(script_start),
        &source[script_start..script_end],
        " ".repeat(source.len() - script_end)
    );
    let commands = shell::commands(&masked);
    let mut cargo_build: Option<(usize, String, bool)> = None;
    let mut wrapped = false;
    let mut dropped_triples: Vec<String> = Vec::new();
    for command in &commands {
        let Some(program_span) = command.spans.first().cloned() else {
            continue;
        };
        let end = command
            .spans
            .last()
            .map_or(program_span.end, |span| span.end);
        if let Some((what, tool)) = compiler_of(command) {
            if tool == "xx-cargo" {
                if let Some(triple) = cargo_target(command) {
                    if triple.starts_with("wasm32") {
                        continue;
                    }
                    // The target comes from TARGETPLATFORM; the libc
                    // family stays (musl only on Alpine, checked before).
                    let at = command
                        .words
                        .iter()
                        .position(|w| w == "--target" || w.starts_with("--target="));
                    if let Some(at) = at {
                        let last = if command.words[at] == "--target" {
                            at + 1
                        } else {
                            at
                        };
                        let from = source[..command.spans[at].start]
                            .trim_end_matches([' ', '\t'])
                            .len();
                        edits.replace(from..command.spans[last].end, "");
                        edits.changes.push(format!(
                            "`--target {triple}` dropped: xx-cargo targets $TARGETPLATFORM"
                        ));
                        dropped_triples.push(triple);
                    }
                }
            }
            edits.replace(program_span.clone(), tool);
            edits.changes.push(format!("`{what}` -> `{tool}`"));
            if tool == "xx-go"
                && !command
                    .assignments
                    .iter()
                    .any(|a| a.starts_with("CGO_ENABLED="))
            {
                // cgo is on by default where the image has gcc: keep the
                // emulated build's choice when cross-compiling.
                edits.insert(
                    command.start,
                    "CGO_ENABLED=\"${CGO_ENABLED:-$(command -v gcc >/dev/null 2>&1 && echo 1 || echo 0)}\" ",
                );
            }
            if tool == "xx-cargo" {
                let static_build = source.contains("crt-static")
                    || dropped_triples.iter().any(|t| t.contains("musl"));
                let first = command.args().first().map(String::as_str).unwrap_or("");
                if first == "build" {
                    cargo_build = Some((end, profile_of(command), static_build));
                }
            } else if tool == "xx-go" && command.args().first().is_some_and(|a| a == "install") {
                edits.insert(
                    end,
                    " && { d=\"$(go env GOPATH)/bin/$(xx-info os)_$(xx-info arch)\"; if [ -d \"$d\" ]; then mv \"$d\"/* \"$(go env GOPATH)/bin/\" && rmdir \"$d\"; fi; }",
                );
                edits.changes.push("cross-compiled `go install` output moved to $GOPATH/bin, where the emulated build put it".to_string());
            } else if let Some(output) = output_file(command) {
                let static_build = if tool == "xx-go" {
                    go_static(command, &masked, env_cgo_off)
                } else {
                    command.args().iter().any(|arg| arg == "-static")
                };
                let check = if static_build {
                    "xx-verify --static"
                } else {
                    "xx-verify"
                };
                edits.insert(end, format!(" && {check} {output}"));
                edits.changes.push(format!("{output} checked with {check}"));
            }
            continue;
        }
        let go_tool = command.program() == "go"
            && command.args().first().is_some_and(|a| a == "install")
            && compiler_of(command).is_none();
        if go_tool && go_target_env {
            edits.insert(command.start, "env -u GOOS -u GOARCH ");
            edits.changes.push(
                "`go install` of a build-machine tool runs without the stage's GOOS/GOARCH, so that it runs here"
                    .to_string(),
            );
            continue;
        }
        let cooks = command.program() == "cargo"
            && command.args().first().is_some_and(|a| a == "chef")
            && command.args().get(1).is_some_and(|a| a == "cook");
        if runs_target_programs(command) || cooks {
            let what = if cooks {
                "cargo chef cook".to_string()
            } else {
                format!("cargo {}", command.args()[0])
            };
            edits.replace(program_span.clone(), "xx-cargo");
            edits.changes.push(if cooks {
                format!(
                    "`{what}` -> `xx-cargo chef cook`: the dependencies are cooked for the target"
                )
            } else {
                format!("`{what}` -> `xx-cargo`: it runs what it builds under qemu-user")
            });
            continue;
        }
        match command.program() {
            "strip" | "objcopy" | "ar" | "ranlib" | "pkg-config" | "pkgconf" => {
                let tool = if command.program() == "pkgconf" {
                    "pkg-config"
                } else {
                    command.program()
                };
                edits.replace(
                    program_span.clone(),
                    format!("\"$(xx-clang --print-target-triple)-{tool}\""),
                );
                edits
                    .changes
                    .push(format!("`{}` -> the target's {tool}", command.program()));
                continue;
            }
            _ => {}
        }
        match build_system(command) {
            Some("make") => {
                edits.insert(
                    program_span.end,
                    " CC=xx-clang CXX=xx-clang++ AR=\"$(xx-clang --print-target-triple)-ar\" RANLIB=\"$(xx-clang --print-target-triple)-ranlib\"",
                );
                edits
                    .changes
                    .push("`make` builds with xx-clang and the target's ar".to_string());
                if !wrapped {
                    // A Makefile may name gcc or cc itself: while it runs,
                    // those compile for the target too.
                    wrapped = true;
                    edits.insert(command.start, "xx-clang --wrap && ");
                    let last_end = commands
                        .iter()
                        .filter_map(|other| other.spans.last().map(|span| span.end))
                        .max()
                        .unwrap_or(end);
                    edits.insert(last_end, " && xx-clang --unwrap");
                    edits.changes.push(
                        "plain gcc/cc/clang compile for the target while make runs (xx-clang --wrap)"
                            .to_string(),
                    );
                }
            }
            Some("cmake") => {
                edits.insert(program_span.end, " $(xx-clang --print-cmake-defines)");
                edits
                    .changes
                    .push("`cmake` configures for the target".to_string());
            }
            Some("meson") => {
                edits.insert(
                    command.start,
                    "xx-clang --print-meson-cross-file >/tmp/xx-meson-cross.ini && ",
                );
                let after_setup = if command.args().first().is_some_and(|a| a == "setup") {
                    command.spans[1].end
                } else {
                    program_span.end
                };
                edits.insert(after_setup, " --cross-file /tmp/xx-meson-cross.ini");
                edits.changes.push(
                    "`meson` configures for the target with xx-clang's cross file".to_string(),
                );
            }
            Some("configure") => {
                let script = crate::parse::shell_quote(&command.words[0]);
                edits.insert(
                    command.start,
                    format!(
                        "{{ grep -q 'Generated by GNU Autoconf' {script} || {{ echo 'xx lower: {script} (Dockerfile line {line}) is not a GNU autoconf script, so it cannot be told the target; build this stage on the target platform instead' >&2; exit 1; }}; }} && "
                    ),
                );
                edits.insert(
                    end,
                    " --host=$(xx-clang --print-target-triple) CC=xx-clang CXX=xx-clang++",
                );
                edits
                    .changes
                    .push("`configure` configures for the target (--host, CC, CXX), after a check that it is GNU autoconf's".to_string());
            }
            _ => {}
        }
        let before = edits.edits.len();
        split_install(command, source, needs, &mut edits);
        edits.host_install_edits += edits.edits.len() - before;
    }
    // cargo writes to target/<triple>/ with a target.
    let mut folders: Vec<String> = vec!["target/release/".to_string(), "target/debug/".to_string()];
    for triple in &dropped_triples {
        folders.push(format!("target/{triple}/release/"));
        folders.push(format!("target/{triple}/debug/"));
    }
    let cargo_here = cargo_build.is_some() || source.contains("xx-cargo");
    for folder in &folders {
        // Where the executables are copied to, the old path stays right.
        if cargo_build.is_some()
            && cargo_folders
                .iter()
                .any(|copied| format!("{copied}/") == *folder)
        {
            continue;
        }
        let profile = folder
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or("release");
        for (at, _) in source.match_indices(folder.as_str()) {
            let cargo_before = cargo_build.as_ref().is_some_and(|(end, _, _)| *end <= at)
                || source[..at].contains("xx-cargo");
            // `target/release/` inside a longer path such as
            // `target/x86_64-unknown-linux-gnu/release/` is not this one.
            let inside_longer = folder.matches('/').count() == 2
                && source[..at].ends_with('/')
                && !source[..at].ends_with(' ');
            if cargo_here && cargo_before && !inside_longer {
                edits.replace(
                    at..at + folder.len(),
                    format!("target/$(xx-cargo --print-target-triple)/{profile}/"),
                );
            }
        }
    }
    if let Some((end, profile, static_build)) = &cargo_build {
        let dir = format!(
            "\"${{CARGO_TARGET_DIR:-target}}/$(xx-cargo --print-target-triple)/{profile}\""
        );
        let verify = if *static_build {
            "xx-verify --static"
        } else {
            "xx-verify"
        };
        let mut tail = format!(
            " && for f in {dir}/*; do if [ -f \"$f\" ] && [ -x \"$f\" ]; then {verify} \"$f\"; fi; done"
        );
        edits
            .changes
            .push(format!("the target's executables checked with {verify}"));
        for folder in cargo_folders {
            tail.push_str(&format!(
                " && mkdir -p {folder} && for f in {dir}/*; do if [ -f \"$f\" ] && [ -x \"$f\" ] && ! [ \"$f\" -ef {folder}/\"${{f##*/}}\" ]; then cp \"$f\" {folder}/; fi; done"
            ));
            edits.changes.push(format!(
                "the target's executables copied to {folder}/ for a later COPY --from"
            ));
        }
        edits.insert(*end, tail);
    }
    // A RUN that only installs for the build machine stays shared by
    // every platform: the target's packages go to a RUN of their own.
    let host_only = edits.edits.len() == edits.host_install_edits && !heredoc;
    let mut target_run = None;
    if host_only && !edits.target_installs.is_empty() {
        let commands: Vec<String> = edits
            .target_installs
            .drain(..)
            .map(|(_, command)| command.trim_start_matches(" && ").to_string())
            .collect();
        target_run = Some(format!("RUN {}\n", commands.join(" && ")));
        edits.changes.push(
            "the build machine's packages stay in this RUN, shared by every platform; the target's get a RUN of their own after ARG TARGETPLATFORM".to_string(),
        );
    }
    for (end, command) in std::mem::take(&mut edits.target_installs) {
        edits.insert(end, command);
    }
    let (text, changes) = edits.apply(source);
    (text, changes, target_run)
}

/// The cargo profile folder of a build: `release` for `--release`,
/// the named profile for `--profile`, `debug` otherwise.
fn profile_of(command: &Command) -> String {
    let args = command.args();
    for (at, arg) in args.iter().enumerate() {
        if arg == "--release" || arg == "-r" {
            return "release".to_string();
        }
        let named = if arg == "--profile" {
            args.get(at + 1).cloned()
        } else {
            arg.strip_prefix("--profile=").map(str::to_string)
        };
        if let Some(name) = named {
            return match name.as_str() {
                "dev" | "test" => "debug".to_string(),
                "bench" => "release".to_string(),
                other => other.to_string(),
            };
        }
    }
    "debug".to_string()
}

/// Where the script starts in an instruction's text: after the keyword,
/// the `--flags` and the blanks (and line continuations) between them.
fn script_start(source: &str) -> usize {
    let skip_blanks = |at: usize| {
        let rest = &source[at..];
        let mut trimmed = rest;
        loop {
            let next = trimmed.trim_start_matches([' ', '\t', '\n']);
            let next = next.strip_prefix('\\').unwrap_or(next);
            if next.len() == trimmed.len() {
                break;
            }
            trimmed = next;
        }
        at + rest.len() - trimmed.len()
    };
    let word_end = |at: usize| {
        source[at..]
            .find(char::is_whitespace)
            .map_or(source.len(), |end| at + end)
    };
    let mut at = word_end(skip_blanks(0));
    loop {
        let next = skip_blanks(at);
        if !source[next..].starts_with("--") {
            return next;
        }
        at = word_end(next);
    }
}

/// The `-o FILE` of a compiler command, when it is a plain path (not a
/// folder: `go build -o bin/` writes into it).
fn output_file(command: &Command) -> Option<&str> {
    if command.args().iter().any(|arg| arg == "-c") {
        return None;
    }
    let at = command.words.iter().position(|word| word == "-o")?;
    let output = command.words.get(at + 1)?;
    let plain = !output.ends_with('/')
        && output
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+".contains(c));
    plain.then_some(output.as_str())
}

/// A package manager install to split between the build machine and the
/// target.
struct Installer {
    program: &'static str,
    command: &'static str,
    xx_tool: &'static str,
    /// Packages that are the C/C++ compiler or runtime.
    c_packages: &'static [&'static str],
    cxx_packages: &'static [&'static str],
}

const APT_GET: Installer = Installer {
    program: "apt-get",
    command: "install",
    xx_tool: "xx-apt-get",
    c_packages: &["gcc", "cc", "build-essential", "libc6-dev", "libc-dev"],
    cxx_packages: &["g++", "c++", "build-essential", "libstdc++-dev"],
};
const APT: Installer = Installer {
    program: "apt",
    ..APT_GET
};
const APK: Installer = Installer {
    program: "apk",
    command: "add",
    xx_tool: "xx-apk",
    c_packages: &["gcc", "build-base", "musl-dev", "libc-dev"],
    cxx_packages: &["g++", "build-base"],
};

/// apt options that take a value.
const OPTIONS_WITH_VALUE: &[&str] = &["-o", "-t", "-c", "--option", "--target-release"];

/// Split `apt-get install`/`apk add`: `-dev` packages (and the C runtime)
/// to the target with the xx tool; clang and lld added for the build
/// machine when the stage builds C.
fn split_install(command: &Command, source: &str, needs: Needs, edits: &mut Edits) {
    let uses_c = needs.c;
    let Some(installer) = [APT_GET, APT, APK]
        .into_iter()
        .find(|installer| installer.program == command.program())
    else {
        return;
    };
    let args = command.args();
    let Some(at) = args.iter().position(|arg| arg == installer.command) else {
        return;
    };
    let mut options: Vec<&str> = Vec::new();
    let mut native: Vec<&str> = Vec::new();
    let mut target: Vec<String> = Vec::new();
    let mut moved: Vec<Range<usize>> = Vec::new();
    let mut skip_value = false;
    for (offset, arg) in args[at + 1..].iter().enumerate() {
        let span = command.spans[at + 2 + offset].clone();
        if skip_value {
            skip_value = false;
            options.push(arg);
            continue;
        }
        if arg.starts_with('-') {
            skip_value = OPTIONS_WITH_VALUE.contains(&arg.as_str());
            options.push(arg);
            continue;
        }
        let name = arg.split([':', '=']).next().unwrap_or(arg);
        let target_package = name.ends_with("-dev") || name.ends_with("-static");
        if target_package && !installer.c_packages.contains(&name) {
            target.push(arg.clone());
            moved.push(span);
        } else {
            native.push(arg);
        }
    }
    let all: Vec<&str> = args[at + 1..].iter().map(String::as_str).collect();
    let wants_c = uses_c
        || all
            .iter()
            .any(|arg| installer.c_packages.contains(arg) || installer.cxx_packages.contains(arg));
    if target.is_empty() && !wants_c {
        return;
    }
    let mut essentials = Vec::new();
    if wants_c {
        essentials.push("xx-c-essentials".to_string());
        if needs.cxx || all.iter().any(|arg| installer.cxx_packages.contains(arg)) {
            essentials.push("xx-cxx-essentials".to_string());
        }
    }
    target.splice(0..0, essentials);
    // Remove the moved packages (with the blank before each); a package
    // alone on a continuation line goes with its line.
    for span in &moved {
        let before = source[..span.start].trim_end_matches([' ', '\t']);
        let after = source[span.end..].trim_start_matches([' ', '\t']);
        if before.ends_with('\n') && after.starts_with("\\\n") {
            let line_end = source.len() - after.len() + 2;
            edits.replace(before.len()..line_end, "");
        } else {
            edits.replace(before.len()..span.end, "");
        }
    }
    let end = command.spans.last().map_or(0, |span| span.end);
    let mut tools = Vec::new();
    if wants_c {
        let llvm: &[&str] = if needs.llvm { &["llvm"] } else { &[] };
        let qemu: &[&str] = if needs.qemu && installer.xx_tool == "xx-apt-get" {
            &["qemu-user"]
        } else {
            &[]
        };
        for &tool in ["clang", "lld"].iter().chain(llvm).chain(qemu) {
            if !native.contains(&tool) {
                tools.push(tool);
            }
        }
    }
    let last_kept = command.spans[at + 1..]
        .iter()
        .rfind(|span| !moved.contains(span))
        .map_or(end, |span| span.end);
    if !tools.is_empty() {
        edits.insert(last_kept, format!(" {}", tools.join(" ")));
    }
    let assignments: String = command
        .assignments
        .iter()
        .map(|assignment| format!("{assignment} "))
        .collect();
    let mut xx_line = format!(
        " && {assignments}{} {}",
        installer.xx_tool, installer.command
    );
    for option in &options {
        xx_line.push(' ');
        xx_line.push_str(option);
    }
    for package in &target {
        xx_line.push(' ');
        xx_line.push_str(package);
    }
    edits.target_installs.push((end, xx_line));
    edits.changes.push(format!(
        "{} for the target with {}{}",
        target.join(" "),
        installer.xx_tool,
        if tools.is_empty() {
            String::new()
        } else {
            format!("; {} for the build machine", tools.join(" "))
        }
    ));
}

/// `text` with every stage number in a `COPY --from=<n>` or a
/// `RUN --mount=...,from=<n>` flag one higher, for the `xx` stage put
/// before the first stage; the lines stay where they are (only the flags
/// of those instructions change), and each change is reported.
fn shift_stage_numbers(text: &str, file: &Dockerfile, plan: &mut Plan) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let instructions = file
        .stages
        .iter()
        .flat_map(|stage| stage.instructions.iter())
        .filter(|instruction| matches!(instruction.keyword.as_str(), "COPY" | "RUN"));
    for instruction in instructions {
        let mut in_flags = true;
        let mut first_word = true;
        for number in instruction.line..=instruction.end_line {
            let Some(line) = lines.get_mut(number - 1) else {
                break;
            };
            if !in_flags {
                break;
            }
            let (new, still_flags) = shift_flags_of_line(line, first_word, &mut |old, new| {
                plan.change(
                    instruction.line,
                    format!(
                        "stage #{old} is #{new} now (the xx stage comes first): {} --from renumbered",
                        instruction.keyword
                    ),
                )
            });
            first_word = false;
            in_flags = still_flags;
            *line = new;
        }
    }
    let mut out = lines.join("\n");
    if text.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// One line of an instruction's flags with the stage numbers shifted
/// ([`shift_stage_numbers`]); whether the flags go on past this line.
/// `keyword_first` when the line starts with the instruction's keyword.
fn shift_flags_of_line(
    line: &str,
    keyword_first: bool,
    report: &mut dyn FnMut(usize, usize),
) -> (String, bool) {
    let mut out = String::with_capacity(line.len() + 2);
    let mut rest = line;
    let mut skip_keyword = keyword_first;
    loop {
        let spaces = rest.len() - rest.trim_start().len();
        out.push_str(&rest[..spaces]);
        rest = &rest[spaces..];
        if rest.is_empty() {
            return (out, true);
        }
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let word = &rest[..end];
        if skip_keyword {
            skip_keyword = false;
            out.push_str(word);
        } else if word == "\\" || word == "`" {
            out.push_str(word);
        } else if let Some(value) = word.strip_prefix("--from=") {
            match value.parse::<usize>() {
                Ok(old) if value.bytes().all(|byte| byte.is_ascii_digit()) => {
                    report(old, old + 1);
                    out.push_str(&format!("--from={}", old + 1));
                }
                _ => out.push_str(word),
            }
        } else if let Some(value) = word.strip_prefix("--mount=") {
            let fields: Vec<String> = value
                .split(',')
                .map(|field| match field.strip_prefix("from=") {
                    Some(number)
                        if !number.is_empty()
                            && number.bytes().all(|byte| byte.is_ascii_digit()) =>
                    {
                        let old: usize = number.parse().unwrap_or(0);
                        report(old, old + 1);
                        format!("from={}", old + 1)
                    }
                    _ => field.to_string(),
                })
                .collect();
            out.push_str("--mount=");
            out.push_str(&fields.join(","));
        } else if word.starts_with("--") {
            out.push_str(word);
        } else {
            out.push_str(rest);
            return (out, false);
        }
        rest = &rest[end..];
    }
}

/// Line edits to the whole file, and the report.
#[derive(Default)]
struct Plan {
    /// (first line, last line, new text) of replaced instructions; an
    /// insertion has last line = first line - 1.
    edits: Vec<(usize, usize, String)>,
    changes: Vec<ReportLine>,
    notes: Vec<ReportLine>,
}

impl Plan {
    fn replace(&mut self, first: usize, last: usize, text: String) {
        self.edits.push((first, last, text));
    }

    fn insert_before(&mut self, line: usize, text: String) {
        self.edits.push((line, line - 1, text));
    }

    fn change(&mut self, line: usize, text: String) {
        self.changes.push(ReportLine { line, text });
    }

    fn note(&mut self, line: usize, text: String) {
        self.notes.push(ReportLine { line, text });
    }

    fn apply(&mut self, lines: &[&str]) -> String {
        self.edits.sort_by_key(|(first, last, _)| (*first, *last));
        self.changes.sort_by_key(|line| line.line);
        let mut out = String::new();
        let mut next = 1;
        for (first, last, text) in &self.edits {
            while next < *first {
                out.push_str(lines[next - 1]);
                out.push('\n');
                next += 1;
            }
            out.push_str(text);
            next = next.max(last + 1);
        }
        while next <= lines.len() {
            out.push_str(lines[next - 1]);
            out.push('\n');
            next += 1;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lower_text(text: &str) -> Lowered {
        lower(
            text,
            &Options {
                xx_image: "xx-rs".to_string(),
                target: None,
            },
        )
        .unwrap()
    }

    #[test]
    fn a_go_service_is_lowered() {
        let lowered = lower_text(
            "ARG GO=1.22\n\
             FROM golang:${GO} AS build\n\
             WORKDIR /src\n\
             COPY . .\n\
             RUN CGO_ENABLED=0 go build -o /out/app .\n\
             FROM scratch\n\
             COPY --from=build /out/app /app\n",
        );
        assert_eq!(
            lowered.text,
            "ARG GO=1.22\n\
             FROM --platform=$BUILDPLATFORM xx-rs AS xx\n\
             \n\
             FROM --platform=$BUILDPLATFORM golang:${GO} AS build\n\
             COPY --from=xx / /\n\
             WORKDIR /src\n\
             COPY . .\n\
             ARG TARGETPLATFORM\n\
             RUN CGO_ENABLED=0 xx-go build -o /out/app . && xx-verify --static /out/app\n\
             FROM scratch\n\
             COPY --from=build /out/app /app\n"
        );
        let changes: Vec<(usize, &str)> = lowered
            .changes
            .iter()
            .map(|change| (change.line, change.text.as_str()))
            .collect();
        assert_eq!(
            changes,
            [
                (2, "added stage xx (xx-rs) for the xx tools"),
                (2, "stage build runs on $BUILDPLATFORM, with the xx tools"),
                (
                    5,
                    "ARG TARGETPLATFORM declared in stage build before its first target-dependent step"
                ),
                (5, "`go build` -> `xx-go`"),
                (5, "/out/app checked with xx-verify --static"),
            ]
        );
        // The lowered file lints clean.
        let file = Dockerfile::parse(&lowered.text).unwrap();
        assert_eq!(crate::lint(&file, None).unwrap(), []);
    }

    #[test]
    fn c_packages_split_between_build_machine_and_target() {
        let lowered = lower_text(
            "FROM debian:bookworm AS build\n\
             RUN apt-get update && \\\n    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \\\n        gcc libc6-dev zlib1g-dev make\n\
             COPY . .\n\
             RUN make && gcc -static -o /out/zhello zhello.c -lz\n\
             FROM scratch\n\
             COPY --from=build /out/zhello /zhello\n",
        );
        assert_eq!(
            lowered.text,
            "FROM --platform=$BUILDPLATFORM xx-rs AS xx\n\
             \n\
             FROM --platform=$BUILDPLATFORM debian:bookworm AS build\n\
             COPY --from=xx / /\n\
             RUN apt-get update && \\\n    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \\\n        gcc libc6-dev make clang lld llvm\n\
             ARG TARGETPLATFORM\n\
             RUN DEBIAN_FRONTEND=noninteractive xx-apt-get install -y --no-install-recommends xx-c-essentials zlib1g-dev\n\
             COPY . .\n\
             RUN xx-clang --wrap && make CC=xx-clang CXX=xx-clang++ AR=\"$(xx-clang --print-target-triple)-ar\" RANLIB=\"$(xx-clang --print-target-triple)-ranlib\" && xx-clang -static -o /out/zhello zhello.c -lz && xx-clang --unwrap && xx-verify --static /out/zhello\n\
             FROM scratch\n\
             COPY --from=build /out/zhello /zhello\n"
        );
        let file = Dockerfile::parse(&lowered.text).unwrap();
        assert_eq!(crate::lint(&file, None).unwrap(), []);
    }

    #[test]
    fn cargo_output_follows_the_target_folder() {
        let lowered = lower_text(
            "FROM rust:1 AS build\n\
             COPY . .\n\
             RUN cargo build --release && strip target/release/app\n\
             FROM debian:bookworm-slim\n\
             RUN apt-get update && apt-get install -y libssl3\n\
             COPY --from=build /target/release/app /app\n",
        );
        // The executables are verified and copied where the later COPY
        // takes them from, before strip (the target's) strips that copy.
        assert!(lowered.text.contains(
            "RUN xx-cargo build --release && for f in \"${CARGO_TARGET_DIR:-target}/$(xx-cargo --print-target-triple)/release\"/*; do if [ -f \"$f\" ] && [ -x \"$f\" ]; then xx-verify \"$f\"; fi; done && mkdir -p target/release && for f in \"${CARGO_TARGET_DIR:-target}/$(xx-cargo --print-target-triple)/release\"/*; do if [ -f \"$f\" ] && [ -x \"$f\" ] && ! [ \"$f\" -ef target/release/\"${f##*/}\" ]; then cp \"$f\" target/release/; fi; done && \"$(xx-clang --print-target-triple)-strip\" target/release/app\n"
        ), "{}", lowered.text);
        // rust images have no clang: provisioned before the target is declared.
        assert!(lowered.text.contains(
            "COPY --from=xx / /\nRUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends clang lld llvm pkg-config\nCOPY . .\nARG TARGETPLATFORM\nRUN DEBIAN_FRONTEND=noninteractive xx-apt-get install -y --no-install-recommends xx-c-essentials\n"
        ), "{}", lowered.text);
        assert_eq!(lowered.notes.len(), 1);
        assert_eq!(lowered.notes[0].line, 4);
        assert!(lowered.notes[0].text.contains("is the image itself"));
    }

    #[test]
    fn nothing_to_lower_is_said_and_changes_nothing() {
        let text = "FROM debian\nRUN apt-get update && apt-get install -y curl\n";
        let lowered = lower_text(text);
        assert_eq!(lowered.text, text);
        assert!(lowered.changes.is_empty());
        assert_eq!(lowered.notes[0].line, 1);

        let image_on_build = "FROM debian AS build\nRUN gcc -o /a a.c\nFROM build\nCMD [\"/a\"]\n";
        let lowered = lower_text(image_on_build);
        assert_eq!(lowered.text, image_on_build);
        assert!(lowered.notes[0].text.contains("the image is built on it"));
    }

    #[test]
    fn derived_stages_and_cmake_and_configure() {
        let lowered = lower_text(
            "FROM alpine AS deps\n\
             RUN apk add --no-cache build-base cmake openssl-dev\n\
             FROM deps AS build\n\
             RUN cmake -B out . && cmake --build out\n\
             RUN ./configure --prefix=/usr && make\n\
             FROM scratch\n\
             COPY --from=build /out /\n",
        );
        assert!(lowered.text.contains(
            "RUN apk add --no-cache build-base cmake clang lld llvm\nARG TARGETPLATFORM\nRUN xx-apk add --no-cache xx-c-essentials xx-cxx-essentials openssl-dev\n"
        ), "{}", lowered.text);
        assert!(lowered
            .text
            .contains("FROM deps AS build\nARG TARGETPLATFORM\n"));
        assert!(lowered.text.contains(
            "RUN cmake $(xx-clang --print-cmake-defines) -B out . && cmake --build out\n"
        ));
        assert!(lowered.text.contains("RUN { grep -q 'Generated by GNU Autoconf' ./configure || { echo 'xx lower: ./configure (Dockerfile line 5) is not a GNU autoconf script, so it cannot be told the target; build this stage on the target platform instead' >&2; exit 1; }; } && ./configure --prefix=/usr --host=$(xx-clang --print-target-triple) CC=xx-clang CXX=xx-clang++ && xx-clang --wrap && make CC=xx-clang"), "{}", lowered.text);
    }

    /// The note for a Dockerfile that must be left, or the lowered text.
    fn left(text: &str) -> Option<(usize, String)> {
        let lowered = lower_text(text);
        if lowered.changes.is_empty() {
            assert_eq!(lowered.text, text);
            lowered
                .notes
                .iter()
                .find(|note| note.text.contains("left on the target platform:"))
                .map(|note| (note.line, note.text.clone()))
        } else {
            None
        }
    }

    #[test]
    fn build_machine_tools_stay_native() {
        let lowered = lower_text(
            "FROM golang:1.22 AS build\n\
             RUN go install github.com/a-h/templ/cmd/templ@v0.2.543\n\
             COPY . .\n\
             RUN templ generate && CGO_ENABLED=0 go build -o /app .\n\
             FROM scratch\nCOPY --from=build /app /app\n",
        );
        assert!(lowered
            .text
            .contains("RUN go install github.com/a-h/templ/cmd/templ@v0.2.543\n"));
        assert!(lowered.text.contains(
            "RUN templ generate && CGO_ENABLED=0 xx-go build -o /app . && xx-verify --static /app\n"
        ));
        // The host-only step comes before ARG TARGETPLATFORM (shared layer).
        let arg = lowered.text.find("ARG TARGETPLATFORM").unwrap();
        assert!(lowered.text.find("go install").unwrap() < arg);
    }

    #[test]
    fn cgo_follows_the_images_default_and_gets_a_toolchain() {
        let lowered = lower_text(
            "FROM golang:1.22 AS build\nCOPY . .\nRUN go build -o /app .\nFROM debian:bookworm-slim\nCOPY --from=build /app /app\n",
        );
        assert!(
            lowered.text.contains("clang lld pkg-config\n"),
            "{}",
            lowered.text
        );
        assert!(lowered
            .text
            .contains("xx-apt-get install -y --no-install-recommends xx-c-essentials\n"));
        assert!(lowered.text.contains("RUN CGO_ENABLED=\"${CGO_ENABLED:-$(command -v gcc >/dev/null 2>&1 && echo 1 || echo 0)}\" xx-go build -o /app . && xx-verify /app\n"), "{}", lowered.text);
        // golang:alpine has no gcc: with CGO_ENABLED=0 nothing is installed.
        let alpine = lower_text(
            "FROM golang:1.22-alpine AS build\nENV CGO_ENABLED=0\nRUN go build -o /app .\nFROM scratch\nCOPY --from=build /app /app\n",
        );
        assert!(!alpine.text.contains("clang"), "{}", alpine.text);
        // An image of unknown family that needs a C toolchain is left.
        let (line, why) = left("FROM myorg/builder AS build\nRUN gcc -o /a a.c\nFROM scratch\nCOPY --from=build /a /a\n").unwrap();
        assert_eq!(line, 1);
        assert!(why.contains("cannot tell how to install clang"), "{why}");
    }

    #[test]
    fn hard_coded_targets_are_mapped_or_refused() {
        let lowered = lower_text(
            "FROM rust:1.80-alpine AS build\nRUN apk add musl-dev\nCOPY . .\n\
             RUN cargo build --release --target x86_64-unknown-linux-musl\n\
             FROM scratch\nCOPY --from=build /target/x86_64-unknown-linux-musl/release/app /app\n",
        );
        assert!(
            lowered
                .text
                .contains("RUN xx-cargo build --release && for f in"),
            "{}",
            lowered.text
        );
        assert!(lowered.text.contains("xx-verify --static"));
        assert!(lowered
            .text
            .contains("mkdir -p target/x86_64-unknown-linux-musl/release"));
        assert!(!lowered.text.contains("--target x86_64"));
        let (line, why) = left("FROM rust:1.80 AS build\nCOPY . .\nRUN cargo build --release --target x86_64-unknown-linux-musl\nFROM scratch\nCOPY --from=build /target/x86_64-unknown-linux-musl/release/app /app\n").unwrap();
        assert_eq!(line, 3);
        assert!(why.contains("musl targets only on Alpine"), "{why}");
        for (text, wanted) in [
            (
                "RUN GOARCH=amd64 go build -o /a .",
                "GOARCH=amd64 names a fixed target",
            ),
            ("RUN make CC=x86_64-linux-gnu-gcc", "names a fixed compiler"),
            ("RUN gcc -march=x86-64 -o /a a.c", "-march=x86-64"),
            ("ENV GOARCH=amd64\nRUN go build -o /a .", "ENV GOARCH=amd64"),
            (
                "RUN ./configure --host=x86_64-linux-gnu && make",
                "--host=x86_64-linux-gnu",
            ),
        ] {
            let file = format!(
                "FROM golang:1.22 AS build\n{text}\nFROM scratch\nCOPY --from=build /a /a\n"
            );
            let (_, why) = left(&file).unwrap_or_else(|| panic!("{text}: lowered"));
            assert!(why.contains(wanted), "{text}: {why}");
        }
    }

    #[test]
    fn running_what_was_built_and_unknown_scripts_are_left() {
        for (run, wanted) in [
            ("go test ./...", "`go test` runs the target's tests"),
            ("make && make check", "`make check` runs what was built"),
            (
                "cargo build --release && cargo nextest run",
                "`cargo nextest` runs what it builds",
            ),
            (
                "gcc -o /a a.c && /a --version",
                "`/a --version` is not a command xx lower knows",
            ),
            ("./build.sh", "`./build.sh` is not a command"),
            ("ldd /a", "`ldd` runs the program's dynamic loader"),
            (
                "curl -o x https://e/$(uname -m)/tool && make",
                "reads the architecture",
            ),
            ("./Configure linux-x86_64 && make", "OpenSSL's configure"),
            (
                "wget https://e/tool-$TARGETARCH && make",
                "reads $TARGETARCH",
            ),
        ] {
            let file = format!("FROM gcc:12 AS build\nRUN gcc -o /a a.c\nRUN {run}\nFROM scratch\nCOPY --from=build /a /a\n");
            let (line, why) = left(&file).unwrap_or_else(|| panic!("{run}: lowered"));
            assert_eq!(line, 3, "{run}");
            assert!(why.contains(wanted), "{run}: {why}");
        }
    }

    #[test]
    fn cargo_test_and_run_use_xx_cargo_under_qemu_on_debian() {
        let lowered = lower_text(
            "FROM rust:1 AS build\nCOPY . .\nRUN cargo build --release && cargo test --release\n\
             RUN cargo run --release --bin gen -- out.txt\n\
             FROM scratch\nCOPY --from=build /target/release/app /app\n",
        );
        // qemu-user for the build machine, so that xx-cargo sets the runner.
        assert!(
            lowered
                .text
                .contains("install -y --no-install-recommends clang lld qemu-user pkg-config\n"),
            "{}",
            lowered.text
        );
        assert!(
            lowered.text.contains(" && xx-cargo test --release\n"),
            "{}",
            lowered.text
        );
        assert!(lowered
            .text
            .contains("RUN xx-cargo run --release --bin gen -- out.txt\n"));
        // An install in the stage gets qemu-user next to clang.
        let lowered = lower_text(
            "FROM debian:bookworm AS build\nRUN apt-get update && apt-get install -y cargo libssl-dev\n\
             COPY . .\nRUN cargo build --release && cargo test\nFROM scratch\nCOPY --from=build /target/release/app /app\n",
        );
        assert!(
            lowered
                .text
                .contains("apt-get install -y cargo clang lld qemu-user\nARG TARGETPLATFORM\nRUN xx-apt-get install -y xx-c-essentials libssl-dev\n"),
            "{}",
            lowered.text
        );
        // Alpine: no qemu-user package to install; left.
        let (line, why) = left(
            "FROM rust:1-alpine AS build\nCOPY . .\nRUN cargo build --release\nRUN cargo test\nFROM scratch\nCOPY --from=build /target/release/app /app\n",
        )
        .unwrap();
        assert_eq!(line, 4);
        assert!(why.contains("only on Debian-based stages"), "{why}");
    }

    #[test]
    fn heredoc_runs_are_lowered_as_scripts_or_left_with_a_reason() {
        let lowered = lower_text(
            "FROM golang:1.22 AS build\nCOPY . .\nRUN <<EOF\nset -e\ngo mod download\nCGO_ENABLED=0 go build -o /out/app .\nEOF\n\
             FROM scratch\nCOPY --from=build /out/app /app\n",
        );
        assert!(
            lowered.text.contains("ARG TARGETPLATFORM\nRUN <<EOF\nset -e\ngo mod download\nCGO_ENABLED=0 xx-go build -o /out/app . && xx-verify --static /out/app\nEOF\nFROM scratch\n"),
            "{}",
            lowered.text
        );
        let (line, why) = left(
            "FROM golang:1.22 AS build\nRUN CGO_ENABLED=0 go build -o /out/app .\nRUN python3 <<EOF\nprint(1)\nEOF\nFROM scratch\nCOPY --from=build /out/app /app\n",
        )
        .unwrap();
        assert_eq!(line, 3);
        assert!(why.contains("read by `python3`, not by a shell"), "{why}");
    }

    #[test]
    fn stage_goos_goarch_from_the_target_are_kept_and_unset_for_tools() {
        let lowered = lower_text(
            "FROM golang:1.22 AS build\nARG TARGETOS TARGETARCH\nENV CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH\n\
             RUN go install github.com/a-h/templ/cmd/templ@v0.2.543\nCOPY . .\n\
             RUN templ generate && go build -o /app .\nFROM scratch\nCOPY --from=build /app /app\n",
        );
        assert!(
            lowered.text.contains(
                "RUN env -u GOOS -u GOARCH go install github.com/a-h/templ/cmd/templ@v0.2.543\n"
            ),
            "{}",
            lowered.text
        );
        assert!(lowered
            .text
            .contains(" xx-go build -o /app . && xx-verify --static /app\n"));
        // Before the ENV, nothing to unset.
        let lowered = lower_text(
            "FROM golang:1.22 AS build\nRUN go install github.com/a-h/templ/cmd/templ@v0.2.543\n\
             ARG TARGETARCH\nENV GOARCH=${TARGETARCH}\nRUN CGO_ENABLED=0 go build -o /app .\nFROM scratch\nCOPY --from=build /app /app\n",
        );
        assert!(lowered
            .text
            .contains("RUN go install github.com/a-h/templ/cmd/templ@v0.2.543\n"));
        // A fixed GOARCH builds that architecture on every platform: left.
        let (line, why) = left(
            "FROM golang:1.22 AS build\nENV GOARCH=amd64\nRUN CGO_ENABLED=0 go build -o /a .\nFROM scratch\nCOPY --from=build /a /a\n",
        )
        .unwrap();
        assert_eq!(line, 2);
        assert!(
            why.contains("ENV GOARCH=amd64 names a fixed target"),
            "{why}"
        );
    }

    #[test]
    fn build_machine_files_copied_out_are_refused() {
        let (line, why) = left(
            "FROM golang:1.22 AS build\nRUN CGO_ENABLED=0 go build -o /out/app .\n\
             FROM debian:bookworm-slim\nCOPY --from=build /usr/local/go /usr/local/go\nCOPY --from=build /out/app /app\n",
        )
        .unwrap();
        assert_eq!(line, 4);
        assert!(why.contains("copies /usr/local/go"), "{why}");
        // What the stage built, even below /usr/local/bin, is the target's.
        let lowered = lower_text(
            "FROM golang:1.22 AS build\nRUN CGO_ENABLED=0 go build -o /usr/local/bin/app .\n\
             FROM debian:bookworm-slim\nCOPY --from=build /usr/local/bin/app /app\n",
        );
        assert!(!lowered.changes.is_empty());
    }

    #[test]
    fn meson_configure_and_binutils_use_the_targets_tools() {
        let lowered = lower_text(
            "FROM debian:bookworm AS build\nRUN apt-get update && apt-get install -y gcc meson ninja-build libz-dev\n\
             RUN meson setup build && ninja -C build && strip build/app && pkg-config --libs zlib\n\
             FROM scratch\nCOPY --from=build /build/app /app\n",
        );
        assert!(lowered.text.contains("RUN xx-clang --print-meson-cross-file >/tmp/xx-meson-cross.ini && meson setup --cross-file /tmp/xx-meson-cross.ini build && ninja -C build && \"$(xx-clang --print-target-triple)-strip\" build/app && \"$(xx-clang --print-target-triple)-pkg-config\" --libs zlib\n"), "{}", lowered.text);
        assert!(
            lowered
                .text
                .contains("xx-apt-get install -y xx-c-essentials xx-cxx-essentials libz-dev"),
            "{}",
            lowered.text
        );
    }

    #[test]
    fn exec_form_runs_are_lowered_in_shell_form() {
        let lowered = lower_text(
            "FROM golang:1.20.3-bullseye\nCOPY . ./cipin\nRUN [\"go\",\"build\",\"-o\",\"/testbuild\",\"-C\",\"./cipin\"]\nFROM ubuntu:22.10\nCOPY --from=0 /testbuild .\n",
        );
        assert!(
            lowered
                .text
                .contains("xx-go build -o /testbuild -C ./cipin && xx-verify /testbuild\n"),
            "{}",
            lowered.text
        );
    }

    #[test]
    fn stage_numbers_follow_the_xx_stage_put_first() {
        // Stage 0 is the xx stage once lowered: COPY --from=<n> and
        // RUN --mount=...,from=<n> name the stage they named before, in
        // lowered and in untouched stages, on continuation lines too; a
        // stage name, an image and a command's text stay as they are.
        let lowered = lower_text(
            "FROM golang:1.22\nCOPY . .\nRUN CGO_ENABLED=0 go build -o /app .\n\
             FROM debian:bookworm AS tools\nRUN echo --from=0\n\
             FROM scratch\nCOPY --from=0 /app /app\nCOPY --chown=1:1 \\\n    --from=1 /etc/os-release /\n\
             COPY --from=tools /etc/hostname /\nCOPY --from=busybox:1 /bin/sh /sh\n\
             RUN --mount=type=bind,from=0,source=/app,target=/a --mount=type=cache,target=/c cp /a /b from=0\n",
        );
        let text = &lowered.text;
        assert!(text.contains("COPY --from=1 /app /app\n"), "{text}");
        assert!(text.contains("    --from=2 /etc/os-release /\n"), "{text}");
        assert!(
            text.contains("COPY --from=tools /etc/hostname /\n"),
            "{text}"
        );
        assert!(
            text.contains("COPY --from=busybox:1 /bin/sh /sh\n"),
            "{text}"
        );
        assert!(text.contains("RUN echo --from=0\n"), "{text}");
        assert!(
            text.contains("RUN --mount=type=bind,from=1,source=/app,target=/a --mount=type=cache,target=/c cp /a /b from=0\n"),
            "{text}"
        );
        assert!(lowered
            .changes
            .iter()
            .any(|change| change.text.contains("stage #0 is #1 now")));
        // Without an added stage (one named xx exists), nothing moves.
        let kept = lower_text(
            "FROM xx-rs AS xx\nFROM golang:1.22\nCOPY --from=xx / /\nRUN CGO_ENABLED=0 go build -o /app .\n\
             FROM scratch\nCOPY --from=1 /app /app\n",
        );
        assert!(
            kept.text.contains("COPY --from=1 /app /app\n"),
            "{}",
            kept.text
        );
    }

    /// The check [`check_copied`] writes for `paths`, as a `RUN` line.
    fn check_run(paths: &[&str], static_build: bool) -> String {
        let paths: Vec<String> = paths.iter().map(|path| path.to_string()).collect();
        format!("RUN {}\n", check_copied(&paths, static_build))
    }

    #[test]
    fn what_later_stages_copy_is_checked_when_the_stage_ends() {
        // CMake, an install prefix, a relative COPY source (from the
        // stage's root, not its WORKDIR) and a bind mount.
        let lowered = lower_text(
            "FROM debian:bookworm AS build\nRUN apt-get update && apt-get install -y cmake g++\nWORKDIR /src\nCOPY . .\n\
             RUN cmake -B build -DCMAKE_INSTALL_PREFIX=/opt/app . && cmake --build build && cmake --install build\n\n\
             FROM debian:bookworm-slim\nCOPY --from=build /src/build/app /usr/bin/app\nCOPY --from=build /opt/app/ /opt/app\n\
             COPY --from=build src/build/app.conf ./build/*.so /etc/\n\
             RUN --mount=from=build,source=/src/build/tool,target=/t cp /t /usr/bin/tool\n",
        );
        let check = check_run(
            &[
                "/src/build/app",
                "/opt/app",
                "/src/build/app.conf",
                "/src/build/tool",
            ],
            false,
        );
        assert!(
            lowered.text.contains(&format!(
                "cmake --install build\n{check}\nFROM debian:bookworm-slim\n"
            )),
            "{}",
            lowered.text
        );
        assert!(check
            .contains("for p in /src/build/app /opt/app /src/build/app.conf /src/build/tool; do"));
        assert!(lowered.changes.iter().any(|change| change.line == 5
            && change.text.contains("stage build (/src/build/app, /opt/app, /src/build/app.conf, /src/build/tool) checked with xx-verify when the stage ends")));
        // The lowered file has no lint error (the image's own RUN runs
        // on the target platform: a warning).
        let file = Dockerfile::parse(&lowered.text).unwrap();
        let findings = crate::lint(&file, None).unwrap();
        assert!(
            findings
                .iter()
                .all(|finding| finding.severity == crate::Severity::Warning),
            "{findings:?}"
        );
    }

    #[test]
    fn go_build_without_o_is_checked_where_it_is_copied_from() {
        let lowered = lower_text(
            "FROM golang:1.22 AS build\nWORKDIR /src\nCOPY . .\nRUN CGO_ENABLED=0 go build\n\
             FROM scratch\nCOPY --from=build /src/app /app\n",
        );
        // cgo off: the binary is static, and checked so.
        assert!(
            lowered.text.contains(&format!(
                "RUN CGO_ENABLED=0 xx-go build\n{}FROM scratch\n",
                check_run(&["/src/app"], true)
            )),
            "{}",
            lowered.text
        );
        assert!(check_run(&["/src/app"], true)
            .contains("elif xx_elf \"$p\"; then xx-verify --static \"$p\" || exit 1; fi; done"));
        // cgo at the image's default: not static.
        let lowered = lower_text(
            "FROM golang:1.22 AS build\nWORKDIR /src\nCOPY . .\nRUN go build -o bin/ ./cmd/...\n\
             FROM debian\nCOPY --from=build /src/bin /usr/local/bin\n",
        );
        // `-o bin/` is a folder: no inline check; its executables are
        // checked when the stage ends.
        assert!(
            lowered.text.contains(&format!(
                "xx-go build -o bin/ ./cmd/...\n{}FROM debian\n",
                check_run(&["/src/bin"], false)
            )),
            "{}",
            lowered.text
        );
    }

    #[test]
    fn what_is_checked_where_it_is_built_is_not_checked_again() {
        // An absolute -o output and cargo's output folder are checked in
        // the RUN that builds them; wildcards and variables name nothing
        // certain and are left to the COPY.
        for text in [
            "FROM golang:1.22 AS build\nRUN CGO_ENABLED=0 go build -o /out/app .\nFROM scratch\nCOPY --from=build /out/app /app\n",
            "FROM rust:1 AS build\nCOPY . .\nRUN cargo build --release\nFROM debian\nCOPY --from=build /target/release/app /app\n",
            "FROM gcc:12 AS build\nARG OUT=/out\nRUN make\nFROM debian\nCOPY --from=build /out/*.so ${OUT}/app /usr/lib/\nCOPY --from=build [\"/out/app\", \"/app\"]\n",
            // Stages that build nothing for the target: WebAssembly, and
            // cargo chef's planner (its recipe is copied).
            "FROM rust:1 AS build\nRUN cargo install trunk\nCOPY . .\nRUN trunk build --release\nFROM nginx\nCOPY --from=build /dist /usr/share/nginx/html\n",
            "FROM rust:1 AS chef\nRUN cargo install cargo-chef\nFROM chef AS planner\nCOPY . .\nRUN cargo chef prepare --recipe-path recipe.json\n\
             FROM chef AS builder\nCOPY --from=planner /recipe.json recipe.json\nRUN cargo chef cook --release --recipe-path recipe.json\nCOPY . .\nRUN cargo build --release\n\
             FROM debian\nCOPY --from=builder /target/release/app /app\n",
        ] {
            let lowered = lower_text(text);
            assert!(!lowered.changes.is_empty(), "{text}");
            assert!(!lowered.text.contains("xx_elf"), "{}", lowered.text);
        }
        // A relative -o output is checked again by its absolute path:
        // where it lands depends on the RUN's folder.
        let lowered = lower_text(
            "FROM golang:1.22 AS build\nWORKDIR /src\nRUN CGO_ENABLED=0 go build -o app .\nFROM scratch\nCOPY --from=build /src/app /app\n",
        );
        assert!(lowered.text.contains("xx-verify --static app\n"));
        assert!(lowered.text.contains(&check_run(&["/src/app"], true)));
    }

    #[test]
    fn static_is_required_only_when_every_link_is_static() {
        let cases = [
            // C linked with -static, moved by a later command.
            ("FROM alpine AS build\nRUN apk add gcc musl-dev\nRUN gcc -static -o /tmp/a a.c && mv /tmp/a /out/a\n", true),
            // cgo off in the stage's ENV.
            ("FROM golang:1.22 AS build\nENV CGO_ENABLED=0\nRUN go build -o /tmp/a . && cp /tmp/a /out/a\n", true),
            // cgo on with a static external link.
            ("FROM golang:1.22 AS build\nRUN go build -ldflags '-extldflags \"-static\"' -o /tmp/a . && cp /tmp/a /out/a\n", true),
            // An ARG can be changed with --build-arg.
            ("FROM golang:1.22 AS build\nARG CGO_ENABLED=0\nRUN go build -o /tmp/a . && cp /tmp/a /out/a\n", false),
            // PIE links dynamically.
            ("FROM golang:1.22 AS build\nRUN CGO_ENABLED=0 go build -buildmode=pie -o /tmp/a . && cp /tmp/a /out/a\n", false),
            // One dynamic link among static ones.
            ("FROM alpine AS build\nRUN apk add gcc musl-dev\nRUN gcc -static -o /tmp/a a.c && gcc -o /tmp/b b.c && cp /tmp/a /tmp/b /out/\n", false),
            // make's link lines are not seen.
            ("FROM alpine AS build\nRUN apk add gcc make musl-dev\nRUN make LDFLAGS=-static && cp a /out/a\n", false),
        ];
        for (build, static_build) in cases {
            let text = format!("{build}FROM scratch\nCOPY --from=build /out/a /a\n");
            let lowered = lower_text(&text);
            assert!(
                lowered.text.contains(&check_run(&["/out/a"], static_build)),
                "{text}\n{}",
                lowered.text
            );
        }
        // The inline check of a go -o output follows the same rule.
        let lowered = lower_text(
            "FROM golang:1.22 AS build\nENV CGO_ENABLED=0\nRUN go build -o /a . && CGO_ENABLED=1 go build -o /b ./b\nFROM scratch\nCOPY --from=build /a /a\n",
        );
        assert!(
            lowered.text.contains("xx-go build -o /a . && xx-verify --static /a && CGO_ENABLED=1 xx-go build -o /b ./b && xx-verify /b\n"),
            "{}",
            lowered.text
        );
    }

    #[test]
    fn copied_paths_name_one_thing_or_nothing() {
        assert_eq!(copied_path("out/app").as_deref(), Some("/out/app"));
        assert_eq!(copied_path("/opt/app/").as_deref(), Some("/opt/app"));
        assert_eq!(copied_path("./a//b/./c").as_deref(), Some("/a/b/c"));
        for source in [
            "/", ".", "/out/*", "/out/a?", "$OUT/a", "${OUT}", "/a/../b", "[\"/a\"",
        ] {
            assert_eq!(copied_path(source), None, "{source}");
        }
    }

    #[test]
    fn the_script_starts_after_keyword_and_flags() {
        let source = "RUN --mount=type=cache,target=/c \\\n    --network=none \\\n    A=1 go build";
        assert_eq!(&source[script_start(source)..], "A=1 go build");
        assert_eq!(script_start("RUN make"), 4);
    }

    #[test]
    fn an_xx_stage_of_another_image_is_refused() {
        let err = lower(
            "FROM busybox AS xx\nFROM debian AS b\nRUN gcc -o a a.c\nFROM scratch\nCOPY --from=b /a /a\n",
            &Options {
                xx_image: "xx-rs".into(),
                target: None,
            },
        )
        .unwrap_err();
        assert_eq!(err, LowerError::XxNameTaken(1));
    }
}
