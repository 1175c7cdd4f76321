//! Stage analysis for lowering: what a stage compiles and needs, which
//! base family it has, and what keeps a chain on the target platform.

use super::*;

/// Whether a stage's `RUN` steps compile something (for the target, or
/// to WebAssembly, which is the same on every platform).
pub(super) fn stage_compiles(stage: &Stage) -> bool {
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
pub(super) fn builds_for_target(stage: &Stage) -> bool {
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
pub(super) fn builds_wasm(command: &Command) -> bool {
    matches!(command.program(), "trunk" | "wasm-pack")
        && command.args().first().is_some_and(|arg| arg == "build")
}

/// Why a chain of stages stays on the target platform.
pub(super) struct Refusal {
    /// The stage it is about.
    pub(super) stage: usize,
    /// The input line that makes it so.
    pub(super) line: usize,
    /// Why, in words.
    pub(super) reason: String,
}

/// Commands whose result does not depend on the machine they run on.
pub(super) const NEUTRAL: &[&str] = &[
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

/// Install directories of build-machine toolchains and system files: a
/// copy out of a lowered stage would ship the build machine's files.
pub(super) const BUILD_MACHINE_PATHS: &[&str] = &[
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
pub(super) struct Needs {
    /// clang, lld and the target's C runtime.
    pub(super) c: bool,
    /// C++ runtime too.
    pub(super) cxx: bool,
    /// LLVM's binutils (`<triple>-ar`, `-strip`).
    pub(super) llvm: bool,
    /// qemu-user, for xx-cargo to run the target's tests and programs.
    pub(super) qemu: bool,
}

impl Needs {
    pub(super) fn of(chain: &[&Stage]) -> Needs {
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

/// The package family of a chain: its base image's, else what its
/// installs use.
pub(super) fn chain_family(file: &Dockerfile, chain: &[&Stage]) -> Option<&'static str> {
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
pub(super) fn stage_installs(stage: &Stage) -> bool {
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

/// Folders (`target/release/`, `target/x86_64-unknown-linux-musl/release/`)
/// that later stages copy cargo's output from, out of `stage`.
pub(super) fn cargo_output_folders(file: &Dockerfile, stage: &Stage) -> Vec<String> {
    let mut folders = Vec::new();
    for (_, instruction) in copies_from(file, stage) {
        for word in instruction.args.split_whitespace() {
            if let Some(folder) = cargo_folder_of(word) {
                if !folders.contains(&folder) {
                    folders.push(folder);
                }
            }
        }
    }
    folders
}

/// The `COPY --from=<stage>` instructions of later stages that take files
/// from `stage`, with the stage each is in.
pub(super) fn copies_from<'a>(
    file: &'a Dockerfile,
    stage: &'a Stage,
) -> impl Iterator<Item = (&'a Stage, &'a Instruction)> + 'a {
    file.users(stage).flat_map(move |user| {
        user.instructions
            .iter()
            .filter(move |instruction| {
                instruction.keyword == "COPY"
                    && instruction.flag("from").is_some_and(|from| {
                        file.stage_named(from, user.index)
                            .is_some_and(|used| used.index == stage.index)
                    })
            })
            .map(move |instruction| (user, instruction))
    })
}

/// The cargo output folder (`target/release`, `target/<triple>/debug`)
/// a copied path is in, if any.
pub(super) fn cargo_folder_of(word: &str) -> Option<String> {
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

/// Whether every binary the chain links is static for certain: its go
/// builds are (see [`go_static`]), its C links pass `-static`, its cargo
/// builds ask for `crt-static`; no build system (whose link lines are not
/// seen); at least one link.
pub(super) fn chain_static(file: &Dockerfile, chain: &[&Stage]) -> bool {
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

/// `x86_64-unknown-linux-musl`-like.
pub(super) fn is_triple(word: &str) -> bool {
    word.split('-').count() >= 3
        && ["linux", "windows", "darwin", "wasi", "unknown"]
            .iter()
            .any(|part| word.contains(part))
}

/// Why the chain (stage indices, root first) cannot be lowered without
/// changing what it builds, if anything.
pub(super) fn chain_refusal(file: &Dockerfile, chain: &[usize]) -> Option<Refusal> {
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
        for (user, instruction) in copies_from(file, stage) {
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
    None
}

/// The `NAME=value` pairs of an `ENV` or `ARG` (and `ENV NAME value`).
pub(super) fn env_pairs(instruction: &Instruction) -> Vec<(String, String)> {
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
pub(super) fn names_target_arch(value: &str) -> bool {
    matches!(value, "$TARGETARCH" | "${TARGETARCH}")
}

/// Whether `stage` (or a stage it is based on) sets `GOOS` or `GOARCH`
/// with `ENV` before `line`.
pub(super) fn sets_go_target(file: &Dockerfile, stage: &Stage, line: usize) -> bool {
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
pub(super) fn env_cgo_off(file: &Dockerfile, stage: &Stage, line: usize) -> bool {
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

/// Whether `path` is written by a compile or install step of the chain
/// (`-o path`, `--prefix`, `DESTDIR`, `install ... path`, `cargo install
/// --path`), so that after lowering it is the target's.
pub(super) fn produced_by(stages: &[&Stage], path: &str) -> bool {
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
pub(super) fn classify(
    command: &Command,
    family: Option<&str>,
    tools: &[String],
) -> Result<(), String> {
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
