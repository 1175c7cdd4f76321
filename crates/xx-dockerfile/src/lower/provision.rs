//! Provisioning: package installs split between the build machine
//! (clang, lld, build tools) and the target (`xx-apt-get`/`xx-apk`), and
//! what to install when a stage installs nothing.

use super::*;

/// Package managers xx lower knows (their installs are split).
pub(super) const INSTALLERS: &[&str] = &["apt-get", "apt", "apk", "dpkg-reconfigure"];

/// The build-machine and target provisioning `RUN`s for a chain that
/// installs nothing itself.
pub(super) fn provision(family: Option<&str>, needs: &Needs) -> Option<(String, String)> {
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

/// A package manager install to split between the build machine and the
/// target.
pub(super) struct Installer {
    pub(super) program: &'static str,
    pub(super) command: &'static str,
    pub(super) xx_tool: &'static str,
    /// Packages that are the C/C++ compiler or runtime.
    pub(super) c_packages: &'static [&'static str],
    pub(super) cxx_packages: &'static [&'static str],
}

pub(super) const APT_GET: Installer = Installer {
    program: "apt-get",
    command: "install",
    xx_tool: "xx-apt-get",
    c_packages: &["gcc", "cc", "build-essential", "libc6-dev", "libc-dev"],
    cxx_packages: &["g++", "c++", "build-essential", "libstdc++-dev"],
};
pub(super) const APT: Installer = Installer {
    program: "apt",
    ..APT_GET
};
pub(super) const APK: Installer = Installer {
    program: "apk",
    command: "add",
    xx_tool: "xx-apk",
    c_packages: &["gcc", "build-base", "musl-dev", "libc-dev"],
    cxx_packages: &["g++", "build-base"],
};

/// apt options that take a value.
pub(super) const OPTIONS_WITH_VALUE: &[&str] = &["-o", "-t", "-c", "--option", "--target-release"];

/// Split `apt-get install`/`apk add`: `-dev` packages (and the C runtime)
/// to the target with the xx tool; clang and lld added for the build
/// machine when the stage builds C.
pub(super) fn split_install(command: &Command, source: &str, needs: Needs, edits: &mut Edits) {
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
