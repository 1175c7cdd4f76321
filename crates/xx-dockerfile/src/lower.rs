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
//!   written with `-o` is checked with `xx-verify`;
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
use crate::lint::compiler_of;
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
        } else if !stage_compiles(stage) {
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

    if let Some(taken) = file
        .stages
        .iter()
        .find(|stage| stage.name.as_deref() == Some(XX_STAGE))
    {
        if !taken.base.contains("xx") {
            return Err(LowerError::XxNameTaken(taken.from.line));
        }
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

    let lines: Vec<&str> = text.lines().collect();
    for &index in &lowered {
        let stage = &file.stages[index];
        let is_root = roots.contains(&index);
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
                    "stage {} runs on $BUILDPLATFORM, with the xx tools and ARG TARGETPLATFORM",
                    stage.label()
                ),
            );
        } else {
            header.push_str(&raw(&lines, &stage.from));
            header.push('\n');
            plan.change(
                stage.from.line,
                format!(
                    "stage {} (based on a lowered stage) gets ARG TARGETPLATFORM",
                    stage.label()
                ),
            );
        }
        header.push_str("ARG TARGETPLATFORM\n");
        plan.replace(stage.from.line, stage.from.end_line, header);
        let copies_cargo_output = file.stages[index + 1..].iter().any(|later| {
            later.instructions.iter().any(|instruction| {
                instruction.keyword == "COPY"
                    && instruction.flag("from").is_some_and(|from| {
                        file.stage_named(from, later.index)
                            .is_some_and(|used| used.index == index)
                    })
                    && (instruction.args.contains("target/release/")
                        || instruction.args.contains("target/debug/"))
            })
        });
        let uses_c = stage_uses_c(stage);
        for run in stage.runs() {
            let source = raw(&lines, run);
            let (new, changes) = rewrite_run(&source, uses_c, copies_cargo_output);
            if new != source {
                for change in changes {
                    plan.change(run.line, change);
                }
                plan.replace(run.line, run.end_line, format!("{new}\n"));
            }
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

/// Whether a stage's `RUN` steps compile something.
fn stage_compiles(stage: &Stage) -> bool {
    stage
        .runs()
        .flat_map(|run| shell::commands(&run.script()))
        .any(|command| compiler_of(&command).is_some() || build_system(&command).is_some())
}

/// Whether the stage builds C (a C compiler, a build system, cgo or cargo,
/// which links with clang): then it needs clang, lld and the target's C
/// runtime.
fn stage_uses_c(stage: &Stage) -> bool {
    stage.runs().any(|run| {
        let script = run.script();
        script.contains("CGO_ENABLED=1")
            || shell::commands(&script).iter().any(|command| {
                build_system(command).is_some()
                    || compiler_of(command).is_some_and(|(_, tool)| tool != "xx-go")
            })
    })
}

/// `make`, `cmake` (configuring) or `configure`.
fn build_system(command: &Command) -> Option<&'static str> {
    let first = command.args().first().map(String::as_str).unwrap_or("");
    match command.program() {
        "make" => Some("make"),
        "cmake" if !matches!(first, "--build" | "--install" | "-E" | "--version" | "-P") => {
            Some("cmake")
        }
        "configure" => Some("configure"),
        _ => None,
    }
}

/// Edits to one `RUN` instruction's text.
#[derive(Default)]
struct Edits {
    /// (range of the source, replacement), non-overlapping.
    edits: Vec<(Range<usize>, String)>,
    changes: Vec<String>,
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

/// Rewrite one `RUN` (its text as written): compilers, build systems,
/// package installs, cargo output paths.
fn rewrite_run(source: &str, uses_c: bool, copies_cargo_output: bool) -> (String, Vec<String>) {
    let mut edits = Edits::default();
    // The keyword and the instruction's flags are not the script: blank
    // them (offsets stay those of `source`).
    let script_start = script_start(source);
    let masked = format!("{}{}", " ".repeat(script_start), &source[script_start..]);
    let commands = shell::commands(&masked);
    let mut cargo_build_end = None;
    for command in &commands {
        let Some(program_span) = command.spans.first().cloned() else {
            continue;
        };
        let end = command
            .spans
            .last()
            .map_or(program_span.end, |span| span.end);
        if let Some((what, tool)) = compiler_of(command) {
            edits.replace(program_span.clone(), tool);
            edits.changes.push(format!("`{what}` -> `{tool}`"));
            if tool == "xx-cargo" {
                cargo_build_end = Some(end);
            } else if let Some(output) = output_file(command) {
                let check = if command.args().iter().any(|arg| arg == "-static") {
                    "xx-verify --static"
                } else {
                    "xx-verify"
                };
                edits.insert(end, format!(" && {check} {output}"));
                edits
                    .changes
                    .push(format!("{output} checked with xx-verify"));
            }
            continue;
        }
        match build_system(command) {
            Some("make") if !command.args().iter().any(|arg| arg.starts_with("CC=")) => {
                edits.insert(program_span.end, " CC=xx-clang CXX=xx-clang++");
                edits
                    .changes
                    .push("`make` builds with xx-clang".to_string());
            }
            Some("cmake") => {
                edits.insert(program_span.end, " $(xx-clang --print-cmake-defines)");
                edits
                    .changes
                    .push("`cmake` configures for the target".to_string());
            }
            Some("configure") if !command.args().iter().any(|arg| arg.starts_with("--host")) => {
                edits.insert(end, " --host=$(xx-clang --print-target-triple)");
                edits
                    .changes
                    .push("`configure` configures for the target".to_string());
            }
            _ => {}
        }
        split_install(command, source, uses_c, &mut edits);
    }
    // cargo writes to target/<triple>/ with a target.
    for folder in ["target/release/", "target/debug/"] {
        let profile = &folder["target/".len()..];
        for (at, _) in source.match_indices(folder) {
            if cargo_build_end.is_some() || source[..at].contains("xx-cargo") {
                edits.replace(
                    at..at + folder.len(),
                    format!("target/$(xx-cargo --print-target-triple)/{profile}"),
                );
            }
        }
    }
    if let (Some(end), true) = (cargo_build_end, copies_cargo_output) {
        edits.insert(
            end,
            " && mkdir -p target/release && find \"target/$(xx-cargo --print-target-triple)/release\" -maxdepth 1 -type f -perm -u+x -exec cp {} target/release/ \\;",
        );
        edits.changes.push(
            "the target's executables copied to target/release/ for later COPY --from".to_string(),
        );
    }
    edits.apply(source)
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

/// The `-o FILE` of a compiler command, when it is a plain path.
fn output_file(command: &Command) -> Option<&str> {
    if command.args().iter().any(|arg| arg == "-c") {
        return None;
    }
    let at = command.words.iter().position(|word| word == "-o")?;
    let output = command.words.get(at + 1)?;
    let plain = output
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
fn split_install(command: &Command, source: &str, uses_c: bool, edits: &mut Edits) {
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
        if name.ends_with("-dev") && !installer.c_packages.contains(&name) {
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
        if all.iter().any(|arg| installer.cxx_packages.contains(arg)) {
            essentials.push("xx-cxx-essentials".to_string());
        }
    }
    target.splice(0..0, essentials);
    // Remove the moved packages (with the blank before each).
    for span in &moved {
        let start = source[..span.start].trim_end_matches([' ', '\t']).len();
        edits.replace(start..span.end, "");
    }
    let end = command.spans.last().map_or(0, |span| span.end);
    let mut tools = Vec::new();
    if wants_c {
        for tool in ["clang", "lld"] {
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
    edits.insert(end, xx_line);
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
             ARG TARGETPLATFORM\n\
             WORKDIR /src\n\
             COPY . .\n\
             RUN CGO_ENABLED=0 xx-go build -o /out/app . && xx-verify /out/app\n\
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
                (
                    2,
                    "stage build runs on $BUILDPLATFORM, with the xx tools and ARG TARGETPLATFORM"
                ),
                (5, "`go build` -> `xx-go`"),
                (5, "/out/app checked with xx-verify"),
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
             ARG TARGETPLATFORM\n\
             RUN apt-get update && \\\n    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \\\n        gcc libc6-dev make clang lld && DEBIAN_FRONTEND=noninteractive xx-apt-get install -y --no-install-recommends xx-c-essentials zlib1g-dev\n\
             COPY . .\n\
             RUN make CC=xx-clang CXX=xx-clang++ && xx-clang -static -o /out/zhello zhello.c -lz && xx-verify --static /out/zhello\n\
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
        assert!(lowered.text.contains(
            "RUN xx-cargo build --release && mkdir -p target/release && find \"target/$(xx-cargo --print-target-triple)/release\" -maxdepth 1 -type f -perm -u+x -exec cp {} target/release/ \\; && strip target/$(xx-cargo --print-target-triple)/release/app\n"
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
            "RUN apk add --no-cache build-base cmake clang lld && xx-apk add --no-cache xx-c-essentials xx-cxx-essentials openssl-dev\n"
        ), "{}", lowered.text);
        assert!(lowered
            .text
            .contains("FROM deps AS build\nARG TARGETPLATFORM\n"));
        assert!(lowered.text.contains(
            "RUN cmake $(xx-clang --print-cmake-defines) -B out . && cmake --build out\n"
        ));
        assert!(lowered.text.contains("RUN ./configure --prefix=/usr --host=$(xx-clang --print-target-triple) && make CC=xx-clang CXX=xx-clang++\n"));
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
