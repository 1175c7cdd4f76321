//! `RUN` rewriting per language: go, cargo, C/C++ compilers, make, cmake,
//! meson and configure calls turned into their xx-* forms, with xx-verify
//! after what they write.

use super::*;

/// `cargo test`/`run`/`bench`: lowered to xx-cargo, which runs what it
/// builds under qemu-user.
pub(super) fn runs_target_programs(command: &Command) -> bool {
    command.program() == "cargo"
        && command
            .args()
            .first()
            .is_some_and(|arg| matches!(arg.as_str(), "test" | "run" | "bench"))
}

/// Whether cgo is certainly off for `go build`: `CGO_ENABLED=0` on the
/// command, in the script or in the stage's `ENV`/`ARG`.
pub(super) fn cgo_off(stage: &Stage, command: &Command, script: &str) -> bool {
    command.assignments.iter().any(|a| a == "CGO_ENABLED=0")
        || script.contains("CGO_ENABLED=0")
        || stage.instructions.iter().any(|i| {
            matches!(i.keyword.as_str(), "ENV" | "ARG") && i.args.contains("CGO_ENABLED=0")
        })
}

/// Whether a `go build`/`go install` certainly links a static binary:
/// cgo off (`CGO_ENABLED=0` on the command, or in the stage's `ENV` with
/// nothing in the script setting it for later commands), or `-extldflags` with `-static`;
/// and no build mode, race detector or link mode that links dynamically.
pub(super) fn go_static(command: &Command, script: &str, env_cgo_off: bool) -> bool {
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

/// The `--target` of a cargo command line, if given.
pub(super) fn cargo_target(command: &Command) -> Option<String> {
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
pub(super) struct Edits {
    /// (range of the source, replacement), non-overlapping.
    pub(super) edits: Vec<(Range<usize>, String)>,
    pub(super) changes: Vec<String>,
    /// How many of `edits` only change what a package install installs
    /// for the build machine.
    pub(super) host_install_edits: usize,
    /// The target's installs (`xx-apt-get install ...`) split off package
    /// installs: (where they follow the install, the command).
    pub(super) target_installs: Vec<(usize, String)>,
}

impl Edits {
    pub(super) fn replace(&mut self, range: Range<usize>, with: impl Into<String>) {
        self.edits.push((range, with.into()));
    }

    pub(super) fn insert(&mut self, at: usize, text: impl Into<String>) {
        self.edits.push((at..at, text.into()));
    }

    /// Apply the edits from the end of the text, so that earlier offsets
    /// stay valid. Insertions at one offset land in the order they were
    /// made, before a replacement that starts there.
    pub(super) fn apply(self, source: &str) -> (String, Vec<String>) {
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
pub(super) fn rewrite_run(
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
pub(super) fn profile_of(command: &Command) -> String {
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
pub(super) fn script_start(source: &str) -> usize {
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
pub(super) fn output_file(command: &Command) -> Option<&str> {
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
