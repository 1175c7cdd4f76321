//! Verify insertion: what later stages copy out of a lowered stage,
//! checked with xx-verify when the stage ends.

use super::*;

/// A path a `COPY --from` or `RUN --mount=from=` takes from a stage, as
/// an absolute path in that stage (a relative one is from its root, not
/// its `WORKDIR`), when it names one thing for certain: no variables, no
/// wildcards, no `..`, not the root itself.
pub(super) fn copied_path(source: &str) -> Option<String> {
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
pub(super) fn copied_outputs(
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

/// The `RUN` script that checks `paths` with xx-verify when its stage
/// ends: a file that is an ELF binary is checked (`--static` with
/// `static_build`); in a folder, every executable ELF file is (without
/// `--static`: a folder may hold shared libraries). Anything else (text,
/// scripts, data, a path that is not there) is left to the `COPY`.
/// Only `xx-verify [--static] FILE`, which every xx has, and POSIX sh,
/// `find`, `head -c` and `printf`.
pub(super) fn check_copied(paths: &[String], static_build: bool) -> String {
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
