//! Build stages: where each runs, what it is based on, which stages a
//! build of the last (or a chosen) stage needs.

use std::collections::BTreeSet;

use crate::error::ParseError;
use crate::parse::{self, Instruction};

/// The platform a stage's `RUN` steps execute on.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "value")]
pub enum StagePlatform {
    /// `--platform=$BUILDPLATFORM`: natively on the build machine.
    Build,
    /// No `--platform` (or `$TARGETPLATFORM`): on the target platform,
    /// under emulation when it is not the build machine's.
    Target,
    /// A fixed platform (`--platform=linux/amd64`) or an expression this
    /// reading cannot evaluate.
    Other(String),
}

impl StagePlatform {
    /// Read a `--platform` value.
    fn from_flag(flag: Option<&str>) -> StagePlatform {
        let Some(value) = flag.map(str::trim).filter(|value| !value.is_empty()) else {
            return StagePlatform::Target;
        };
        if names_variable(value, "BUILDPLATFORM") {
            StagePlatform::Build
        } else if names_variable(value, "TARGETPLATFORM") {
            StagePlatform::Target
        } else {
            StagePlatform::Other(value.to_string())
        }
    }
}

/// Whether `value` is `$NAME`, `${NAME}` or `${NAME:-...}`-style.
fn names_variable(value: &str, name: &str) -> bool {
    if let Some(rest) = value.strip_prefix("${") {
        return rest
            .strip_prefix(name)
            .is_some_and(|tail| tail.starts_with('}') || tail.starts_with(':'));
    }
    value.strip_prefix('$') == Some(name)
}

/// One stage: a `FROM` and the instructions up to the next one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    /// Position among the stages, from 0.
    pub index: usize,
    /// `AS <name>`, lower-cased, if given.
    pub name: Option<String>,
    /// The image (or stage) it starts from, with the global `ARG`s'
    /// defaults (and `TARGETOS`/`BUILDOS` = `linux`) put in, as BuildKit
    /// does to find the stage or image.
    pub base: String,
    /// Where its `RUN` steps execute (before following `base` to a stage).
    pub platform: StagePlatform,
    /// The `FROM` instruction.
    pub from: Instruction,
    /// The instructions after `FROM`.
    pub instructions: Vec<Instruction>,
}

impl Stage {
    /// `build` for a named stage, `#2` otherwise (for messages).
    pub fn label(&self) -> String {
        match &self.name {
            Some(name) => name.clone(),
            None => format!("#{}", self.index),
        }
    }

    /// The `RUN` instructions.
    pub fn runs(&self) -> impl Iterator<Item = &Instruction> {
        self.instructions
            .iter()
            .filter(|instruction| instruction.keyword == "RUN")
    }
}

/// A Dockerfile read into stages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dockerfile {
    /// `ARG`s before the first `FROM`.
    pub global_args: Vec<Instruction>,
    /// The stages in order.
    pub stages: Vec<Stage>,
    /// Rules named by a `# check=skip=` parser directive.
    pub check_skip: Vec<String>,
    /// Rules named by `# hadolint global ignore=` or `# xx-lint global
    /// ignore=` comments, as written.
    pub global_ignored: Vec<String>,
}

impl Dockerfile {
    /// Read Dockerfile text.
    pub fn parse(text: &str) -> Result<Dockerfile, ParseError> {
        let mut global_args = Vec::new();
        let mut stages: Vec<Stage> = Vec::new();
        let mut defaults: Vec<(String, String)> = vec![
            ("TARGETOS".to_string(), "linux".to_string()),
            ("BUILDOS".to_string(), "linux".to_string()),
        ];
        let parsed = parse::read(text)?;
        for instruction in parsed.instructions {
            if instruction.keyword == "FROM" {
                let mut stage = stage_from(stages.len(), instruction)?;
                stage.base = expand(&stage.base, &defaults);
                stages.push(stage);
                continue;
            }
            if stages.is_empty() && instruction.keyword == "ARG" {
                for word in instruction.args.split_whitespace() {
                    if let Some((name, value)) = word.split_once('=') {
                        let value = value.trim_matches(['"', '\'']);
                        let value = expand(value, &defaults);
                        defaults.retain(|(known, _)| known != name);
                        defaults.push((name.to_string(), value));
                    }
                }
            }
            match stages.last_mut() {
                Some(stage) => stage.instructions.push(instruction),
                None if instruction.keyword == "ARG" => global_args.push(instruction),
                None => {
                    return Err(ParseError::BeforeFrom {
                        line: instruction.line,
                        keyword: instruction.keyword,
                    })
                }
            }
        }
        if stages.is_empty() {
            return Err(ParseError::NoStages);
        }
        Ok(Dockerfile {
            global_args,
            stages,
            check_skip: parse::directives(text)?.check_skip,
            global_ignored: parsed.global_ignored,
        })
    }

    /// The stage that `reference` (a name, case-insensitive, or an index)
    /// names among the stages before `before`.
    pub fn stage_named(&self, reference: &str, before: usize) -> Option<&Stage> {
        let reference = reference.to_ascii_lowercase();
        self.stages[..before.min(self.stages.len())]
            .iter()
            .rev()
            .find(|stage| stage.name.as_deref() == Some(reference.as_str()))
            .or_else(|| {
                reference
                    .parse::<usize>()
                    .ok()
                    .filter(|index| *index < before)
                    .and_then(|index| self.stages.get(index))
            })
    }

    /// The stage a stage is based on, when its `FROM` names a stage. For
    /// `FROM base-${TARGETARCH}` (one stage per target architecture), the
    /// first such stage stands for them all.
    pub fn parent(&self, stage: &Stage) -> Option<&Stage> {
        self.stage_named(&stage.base, stage.index).or_else(|| {
            target_arch_expansions(&stage.base)
                .iter()
                .find_map(|name| self.stage_named(name, stage.index))
        })
    }

    /// The stages that copy from or mount `stage`, or are based on it.
    pub fn users<'a>(&'a self, stage: &'a Stage) -> impl Iterator<Item = &'a Stage> + 'a {
        self.stages[stage.index + 1..].iter().filter(move |later| {
            self.parent(later)
                .is_some_and(|parent| parent.index == stage.index)
                || later.instructions.iter().any(|instruction| {
                    instruction
                        .flag("from")
                        .map(str::to_string)
                        .into_iter()
                        .chain(
                            instruction
                                .flags
                                .iter()
                                .filter(|(flag, _)| flag == "mount")
                                .filter_map(|(_, value)| mount_source(value)),
                        )
                        .any(|reference| {
                            self.stage_named(&reference, later.index)
                                .is_some_and(|used| used.index == stage.index)
                        })
                })
        })
    }

    /// The stages `stage` is based on, nearest first (`FROM <stage>`
    /// followed up to the stage that starts from an image).
    pub fn ancestors<'a>(&'a self, stage: &'a Stage) -> impl Iterator<Item = &'a Stage> + 'a {
        std::iter::successors(self.parent(stage), move |current| self.parent(current))
    }

    /// Where a stage's `RUN` steps execute: its own `--platform`, or, for a
    /// stage based on another stage without one, that stage's.
    pub fn effective_platform(&self, stage: &Stage) -> StagePlatform {
        std::iter::once(stage)
            .chain(self.ancestors(stage))
            .find(|current| {
                current.from.flag("platform").is_some() || self.parent(current).is_none()
            })
            .unwrap_or(stage)
            .platform
            .clone()
    }

    /// The stages a build of `target` (a stage name; the last stage when
    /// `None`) needs, in order: `target`, the stages it is based on, and
    /// those it copies from or mounts, transitively. `None` when `target`
    /// names no stage.
    pub fn needed(&self, target: Option<&str>) -> Option<Vec<usize>> {
        let last = self.stages.len() - 1;
        let start = match target {
            None => last,
            Some(name) => self.stage_named(name, self.stages.len())?.index,
        };
        let mut needed = BTreeSet::new();
        let mut queue = vec![start];
        while let Some(index) = queue.pop() {
            if !needed.insert(index) {
                continue;
            }
            let stage = &self.stages[index];
            let mut references = vec![stage.base.clone()];
            for instruction in &stage.instructions {
                if let Some(from) = instruction.flag("from") {
                    references.push(from.to_string());
                }
                for (flag, value) in &instruction.flags {
                    if flag == "mount" {
                        references.extend(mount_source(value));
                    }
                }
            }
            for reference in references {
                let mut names = target_arch_expansions(&reference);
                names.push(reference);
                for name in names {
                    if let Some(used) = self.stage_named(&name, index) {
                        queue.push(used.index);
                    }
                }
            }
        }
        Some(needed.into_iter().collect())
    }
}

/// `text` with `$NAME`, `${NAME}` and `${NAME:-default}` replaced by the
/// values in `defaults`; a name without a value stays as written.
pub fn expand(text: &str, defaults: &[(String, String)]) -> String {
    let lookup = |name: &str| {
        defaults
            .iter()
            .find(|(known, _)| known == name)
            .map(|(_, value)| value.clone())
    };
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(braced) = after.strip_prefix('{') {
            let Some(end) = braced.find('}') else {
                out.push_str(&rest[at..]);
                return out;
            };
            let inner = &braced[..end];
            let (name, fallback) = match inner.split_once(":-") {
                Some((name, fallback)) => (name, Some(fallback)),
                None => (inner, None),
            };
            match lookup(name).or(fallback.map(str::to_string)) {
                Some(value) => out.push_str(&value),
                None => out.push_str(&rest[at..at + 2 + end + 1]),
            }
            rest = &braced[end + 1..];
        } else {
            let len = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            match lookup(&after[..len]).filter(|_| len > 0) {
                Some(value) => out.push_str(&value),
                None => out.push_str(&rest[at..at + 1 + len]),
            }
            rest = &after[len..];
        }
    }
    out.push_str(rest);
    out
}

/// The `from=` of a `--mount` value, if any.
/// The architectures `$TARGETARCH` takes (Docker's names).
const TARGET_ARCHES: &[&str] = &[
    "amd64", "arm64", "arm", "386", "ppc64le", "s390x", "riscv64", "mips64le", "mips64", "mipsle",
    "mips", "loong64",
];

/// `reference` with `$TARGETARCH` / `${TARGETARCH}` replaced by each
/// architecture of [`TARGET_ARCHES`]; empty when it names no such variable.
fn target_arch_expansions(reference: &str) -> Vec<String> {
    let pattern = if reference.contains("${TARGETARCH}") {
        "${TARGETARCH}"
    } else if reference.contains("$TARGETARCH") {
        "$TARGETARCH"
    } else {
        return Vec::new();
    };
    TARGET_ARCHES
        .iter()
        .map(|arch| reference.replace(pattern, arch))
        .collect()
}

fn mount_source(value: &str) -> Option<String> {
    value
        .split(',')
        .find_map(|part| part.strip_prefix("from="))
        .map(str::to_string)
}

fn stage_from(index: usize, from: Instruction) -> Result<Stage, ParseError> {
    let words: Vec<&str> = from.args.split_whitespace().collect();
    let Some(base) = words.first() else {
        return Err(ParseError::EmptyFrom { line: from.line });
    };
    let name = match words.as_slice() {
        [_, keyword, name, ..] if keyword.eq_ignore_ascii_case("as") => {
            Some(name.to_ascii_lowercase())
        }
        _ => None,
    };
    Ok(Stage {
        index,
        name,
        base: base.to_string(),
        platform: StagePlatform::from_flag(from.flag("platform")),
        from,
        instructions: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MULTI: &str = "ARG BASE=debian:bookworm\n\
        FROM --platform=$BUILDPLATFORM tonistiigi/xx AS xx\n\
        FROM --platform=${BUILDPLATFORM} ${BASE} AS build\n\
        COPY --from=xx / /\n\
        RUN --mount=type=cache,target=/c,from=cache go build\n\
        FROM build AS test\n\
        RUN go test\n\
        FROM alpine AS cache\n\
        FROM --platform=linux/amd64 alpine AS fixed\n\
        FROM ${BASE}\n\
        COPY --from=build /out /\n";

    #[test]
    fn stages_platforms_and_names() {
        let file = Dockerfile::parse(MULTI).unwrap();
        assert_eq!(file.global_args.len(), 1);
        let labels: Vec<String> = file.stages.iter().map(Stage::label).collect();
        assert_eq!(labels, ["xx", "build", "test", "cache", "fixed", "#5"]);
        assert_eq!(file.stages[1].platform, StagePlatform::Build);
        assert_eq!(file.stages[2].platform, StagePlatform::Target);
        assert_eq!(
            file.effective_platform(&file.stages[2]),
            StagePlatform::Build
        );
        assert_eq!(
            file.stages[4].platform,
            StagePlatform::Other("linux/amd64".to_string())
        );
        assert_eq!(file.stages[5].platform, StagePlatform::Target);
    }

    #[test]
    fn needed_follows_bases_copies_and_mounts() {
        let file = Dockerfile::parse(MULTI).unwrap();
        // The last stage copies from build, which copies from xx, and
        // build mounts from cache, which comes later: not a reference.
        assert_eq!(file.needed(None), Some(vec![0, 1, 5]));
        assert_eq!(file.needed(Some("TEST")), Some(vec![0, 1, 2]));
        assert_eq!(file.needed(Some("nope")), None);
    }

    #[test]
    fn stage_names_built_from_args_resolve() {
        let file = Dockerfile::parse(
            "ARG VARIANT=alpine\nARG IMG=golang:1.22\n\
             FROM ${IMG} AS dev-alpine\nFROM dev-${VARIANT} AS build\n\
             FROM scratch AS bin-linux\nFROM bin-$TARGETOS\nFROM ${NOPE:-debian}\nFROM $UNSET\n",
        )
        .unwrap();
        assert_eq!(file.stages[0].base, "golang:1.22");
        assert_eq!(file.parent(&file.stages[1]).map(|s| s.index), Some(0));
        assert_eq!(file.parent(&file.stages[3]).map(|s| s.index), Some(2));
        assert_eq!(file.stages[4].base, "debian");
        assert_eq!(file.stages[5].base, "$UNSET");
    }

    #[test]
    fn a_stage_per_target_arch_is_followed() {
        let file = Dockerfile::parse(
            "FROM --platform=$BUILDPLATFORM debian:bookworm AS debian\n\
             FROM --platform=$BUILDPLATFORM debian:trixie AS debian-riscv64\n\
             FROM debian AS debian-amd64\n\
             FROM debian-${TARGETARCH} AS build\n\
             RUN make\n",
        )
        .unwrap();
        let build = &file.stages[3];
        assert_eq!(file.parent(build).map(|stage| stage.index), Some(2));
        assert_eq!(file.effective_platform(build), StagePlatform::Build);
        assert_eq!(file.needed(None).unwrap(), vec![0, 1, 2, 3]);
    }

    #[test]
    fn files_that_are_not_dockerfiles_are_refused() {
        assert_eq!(Dockerfile::parse("# nothing\n"), Err(ParseError::NoStages));
        assert_eq!(
            Dockerfile::parse("RUN true\nFROM x\n"),
            Err(ParseError::BeforeFrom {
                line: 1,
                keyword: "RUN".to_string()
            })
        );
    }
}
