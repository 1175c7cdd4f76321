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
//!
//! The modules, one concern each: `analysis` (what a stage compiles and
//! needs, what keeps it on the target platform), `run` (`RUN` rewriting
//! per language), `provision` (package installs for the build machine
//! and the target), `verify` (xx-verify of what later stages copy),
//! `renumber` (stage numbers after the added xx stage) and `report`
//! (the line edits and the report); `lower` puts them together.

use std::ops::Range;

use serde::Serialize;

use crate::error::ParseError;
use crate::lint::{base_family, build_system, compiler_of};
use crate::parse::Instruction;
use crate::shell::{self, Command};
use crate::stages::{Dockerfile, Stage, StagePlatform};

mod analysis;
mod provision;
mod renumber;
mod report;
mod run;
mod verify;

use analysis::*;
use provision::*;
use renumber::*;
use report::*;
use run::*;
use verify::*;

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
                // In shell form, keeping the instruction's flags
                // (`--mount=type=cache,...`, `--network=...`).
                Some(_) => {
                    let flags: String = instruction
                        .flags
                        .iter()
                        .map(|(name, value)| match value.is_empty() {
                            true => format!("--{name} "),
                            false => format!("--{name}={value} "),
                        })
                        .collect();
                    format!("RUN {flags}{}", instruction.script())
                }
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
    fn exec_form_runs_keep_their_flags() {
        let lowered = lower_text(
            "FROM golang:1.22 AS build\nCOPY . .\nRUN --mount=type=cache,target=/root/.cache/go-build --network=host [\"go\", \"build\", \"-o\", \"/out/app\", \".\"]\nFROM scratch\nCOPY --from=build /out/app /app\n",
        );
        assert!(
            lowered.text.contains(
                "RUN --mount=type=cache,target=/root/.cache/go-build --network=host CGO_ENABLED="
            ) && lowered.text.contains("xx-go build -o /out/app ."),
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
