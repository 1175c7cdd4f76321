//! The glibc floor (`XX_GLIBC=2.17`): pure logic.
//!
//! A floor makes clang link against *stub* copies of the target's C
//! libraries whose default version of every symbol is the highest one at
//! or below the floor, and which leave out symbols that only appear later.
//! Binaries linked that way bind `memcpy@GLIBC_2.2.5` rather than
//! `memcpy@GLIBC_2.14` and need no glibc newer than the floor; a call of a
//! function that is newer fails at link time, and [`explain_link_errors`]
//! names the function, the version it needs and the floor.
//!
//! This module decides the floor ([`parse_floor`]), where the headers and
//! start files come from ([`FloorSource`]), which version each stub symbol
//! gets ([`plan_stubs`]) and renders the files (assembly, version script,
//! linker scripts, clang arguments). Fetching and building is
//! [`crate::glibc_sysroot`].

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use xx_inspect::{Exports, GlibcVersion, SymbolKind};

/// The environment variable that sets the floor (`XX_GLIBC=2.17`).
pub const FLOOR_VAR: &str = "XX_GLIBC";

/// The lowest floor: manylinux2014 / RHEL 7, and Rust's own minimum.
pub const MIN_FLOOR: GlibcVersion = GlibcVersion::new(2, 17, 0);

/// glibc of Debian 11 (bullseye), whose headers, start files and libraries
/// serve every floor below [`INSTALLED_SOURCE_FROM`].
pub const BULLSEYE_GLIBC: GlibcVersion = GlibcVersion::new(2, 31, 0);

/// From this floor on the build machine's own (Debian 12) files serve:
/// glibc 2.34 merged libpthread, libdl, librt and libutil into libc.so.6
/// and its start files call `__libc_start_main@GLIBC_2.34`, so older floors
/// need the older layout that bullseye provides.
pub const INSTALLED_SOURCE_FROM: GlibcVersion = GlibcVersion::new(2, 34, 0);

/// The sonames stubs are generated for (the dynamic loader is found by
/// its own name pattern, see [`is_loader_name`]).
pub const STUB_SONAMES: &[&str] = &[
    "libc.so.6",
    "libm.so.6",
    "libpthread.so.0",
    "libdl.so.2",
    "librt.so.1",
    "libutil.so.1",
    "libanl.so.1",
    "libresolv.so.2",
];

/// Libraries that glibc 2.34 merged into libc.so.6: the `libc.so` linker
/// script links their stubs `AS_NEEDED`, so programs written for a newer
/// glibc (no `-lpthread`) link at old floors too.
pub const MERGED_SONAMES: &[&str] = &[
    "libpthread.so.0",
    "libdl.so.2",
    "librt.so.1",
    "libutil.so.1",
];

/// Why an `XX_GLIBC` value is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FloorError {
    /// Not `<major>.<minor>`.
    #[error("invalid XX_GLIBC value {0:?}: expected a glibc version such as 2.17 or 2.31")]
    Invalid(String),
    /// Outside 2.17 ..= the installed glibc.
    #[error("XX_GLIBC={value} is out of range: xx-rs supports glibc floors from {MIN_FLOOR} to {installed} (the installed glibc)")]
    OutOfRange {
        /// The value given.
        value: String,
        /// The installed glibc.
        installed: GlibcVersion,
    },
}

/// Read an `XX_GLIBC` value: `<major>.<minor>`, from [`MIN_FLOOR`] to
/// `installed`.
pub fn parse_floor(value: &str, installed: GlibcVersion) -> Result<GlibcVersion, FloorError> {
    let value = value.trim();
    let parts: Vec<&str> = value.split('.').collect();
    let ok = parts.len() == 2
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    let version: GlibcVersion = match ok.then(|| value.parse().ok()).flatten() {
        Some(version) => version,
        None => return Err(FloorError::Invalid(value.to_string())),
    };
    if version < MIN_FLOOR || version > installed {
        return Err(FloorError::OutOfRange {
            value: value.to_string(),
            installed,
        });
    }
    Ok(version)
}

/// Where the headers, start files and libraries a floor's stubs are made
/// from come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FloorSource {
    /// Debian 11's libc6 and libc6-dev for the target architecture
    /// (glibc 2.31; floors below 2.34).
    Bullseye,
    /// The target's installed (Debian 12) glibc (floors 2.34 and up).
    Installed,
}

impl FloorSource {
    /// The source for `floor`.
    pub fn for_floor(floor: GlibcVersion) -> FloorSource {
        if floor < INSTALLED_SOURCE_FROM {
            FloorSource::Bullseye
        } else {
            FloorSource::Installed
        }
    }
}

/// Whether a file name is a glibc dynamic loader (`ld-linux-x86-64.so.2`,
/// `ld-linux-aarch64.so.1`, `ld64.so.2`, `ld-linux.so.2`).
pub fn is_loader_name(name: &str) -> bool {
    (name.starts_with("ld-linux") || name.starts_with("ld64.so.")) && name.contains(".so.")
}

/// One symbol of a stub library.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct StubSymbol {
    /// Name.
    pub name: String,
    /// Its default version in the stub (`GLIBC_2.2.5`).
    pub version: String,
    /// Function, object or TLS.
    pub kind: SymbolKind,
    /// Size (objects).
    pub size: u64,
}

/// A symbol the floor leaves out.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct TooNew {
    /// Name (`getrandom`).
    pub name: String,
    /// The oldest version that has it (`2.25`).
    pub needs: GlibcVersion,
    /// The library (`libc.so.6`).
    pub soname: String,
}

/// What a stub library holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StubPlan {
    /// Its soname.
    pub soname: String,
    /// The symbols, sorted by name.
    pub symbols: Vec<StubSymbol>,
    /// The symbols left out.
    pub too_new: Vec<TooNew>,
}

/// Choose, for each symbol of a library, the highest `GLIBC_` version at
/// or below the floor. The floor is raised to the library's lowest version
/// (an architecture's glibc starts at its port: `GLIBC_2.17` for arm64,
/// `GLIBC_2.27` for riscv64), so no symbol is lost to a floor below it.
/// Other version names (`GLIBC_PRIVATE`) are never exported by stubs.
pub fn plan_stubs(soname: &str, exports: &Exports, floor: GlibcVersion) -> StubPlan {
    let lowest = exports
        .versions
        .iter()
        .filter_map(|v| GlibcVersion::from_symbol_version(v))
        .min();
    let effective = lowest.map_or(floor, |lowest| floor.max(lowest));
    let mut by_name: BTreeMap<&str, Vec<(GlibcVersion, &xx_inspect::ExportedSymbol)>> =
        BTreeMap::new();
    for symbol in &exports.symbols {
        if let Some(version) = GlibcVersion::from_symbol_version(&symbol.version) {
            by_name
                .entry(&symbol.name)
                .or_default()
                .push((version, symbol));
        }
    }
    let mut symbols = Vec::new();
    let mut too_new = Vec::new();
    for (name, mut versions) in by_name {
        versions.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.is_default.cmp(&b.1.is_default)));
        match versions.iter().rev().find(|(v, _)| *v <= effective) {
            Some((_, chosen)) => symbols.push(StubSymbol {
                name: name.to_string(),
                version: chosen.version.clone(),
                kind: chosen.kind,
                size: chosen.size,
            }),
            None => too_new.push(TooNew {
                name: name.to_string(),
                needs: versions[0].0,
                soname: soname.to_string(),
            }),
        }
    }
    StubPlan {
        soname: soname.to_string(),
        symbols,
        too_new,
    }
}

/// A symbol name quoted for the assembler.
fn asm_name(name: &str) -> String {
    format!("\"{name}\"")
}

/// The assembly source of a stub: every symbol defined, functions in
/// `.text`, objects with their size in `.data`, TLS in `.tbss`. Versions
/// come from the version script ([`render_version_script`]).
pub fn render_stub_asm(plan: &StubPlan) -> String {
    let mut text = format!("/* xx-rs glibc floor stub for {} */\n", plan.soname);
    for symbol in &plan.symbols {
        let name = asm_name(&symbol.name);
        let (section, kind) = match symbol.kind {
            SymbolKind::Function => (".text", "%function"),
            SymbolKind::Object => (".data", "%object"),
            SymbolKind::Tls => (".section .tbss,\"awT\",%nobits", "%tls_object"),
        };
        let size = symbol.size.max(1);
        let _ = writeln!(text, "{section}\n.globl {name}\n.type {name}, {kind}");
        if symbol.kind != SymbolKind::Function {
            let _ = writeln!(text, ".size {name}, {}\n.balign 8", symbol.size);
        }
        let _ = writeln!(text, "{name}:\n.zero {size}");
    }
    text
}

/// The version script of a stub: one node per version, listing the symbols
/// whose default it is.
pub fn render_version_script(plan: &StubPlan) -> String {
    let mut nodes: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for symbol in &plan.symbols {
        nodes.entry(&symbol.version).or_default().push(&symbol.name);
    }
    let mut text = String::new();
    for (version, names) in nodes {
        let _ = writeln!(text, "{version} {{\n  global:");
        for name in names {
            let _ = writeln!(text, "    \"{name}\";");
        }
        text.push_str("};\n");
    }
    if text.is_empty() {
        text.push_str("{ local: *; };\n");
    }
    text
}

/// The `libc.so` linker script of a floor: the libc stub, libc_nonshared
/// and the compatibility archives, and `AS_NEEDED` the loader and the
/// libraries glibc 2.34 merged into libc.
pub fn render_libc_script(
    lib_dir: &Path,
    loader: &str,
    archives: &[&str],
    merged: &[&str],
) -> String {
    let path = |name: &str| lib_dir.join(name).display().to_string();
    let mut inputs = vec![path("libc.so.6"), path("libc_nonshared.a")];
    inputs.extend(archives.iter().map(|name| path(name)));
    let mut needed = vec![path(loader)];
    needed.extend(merged.iter().map(|name| path(name)));
    format!(
        "/* xx-rs glibc floor */\nGROUP ( {} AS_NEEDED ( {} ) )\n",
        inputs.join(" "),
        needed.join(" ")
    )
}

/// The `lib<name>.so` script that links one stub.
pub fn render_input_script(stub: &Path) -> String {
    format!("/* xx-rs glibc floor */\nINPUT ( {} )\n", stub.display())
}

/// The table of left-out symbols, one `name<TAB>version<TAB>soname` a line.
pub fn render_too_new(entries: &[TooNew]) -> String {
    let mut text = String::new();
    for entry in entries {
        let _ = writeln!(text, "{}\t{}\t{}", entry.name, entry.needs, entry.soname);
    }
    text
}

/// Read [`render_too_new`]'s table (bad lines are skipped).
pub fn parse_too_new(text: &str) -> BTreeMap<String, (GlibcVersion, String)> {
    text.lines()
        .filter_map(|line| {
            let mut parts = line.split('\t');
            let name = parts.next()?;
            let needs = parts.next()?.parse().ok()?;
            let soname = parts.next()?;
            Some((name.to_string(), (needs, soname.to_string())))
        })
        .collect()
}

/// Undefined symbols named in a linker's error output: lld's
/// `undefined symbol: NAME` and GNU ld's ``undefined reference to `NAME'``.
pub fn undefined_symbols(stderr: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in stderr.lines() {
        let name = if let Some((_, rest)) = line.split_once("undefined symbol: ") {
            rest.split_whitespace().next()
        } else if let Some((_, rest)) = line.split_once("undefined reference to `") {
            rest.split('\'').next()
        } else {
            None
        };
        if let Some(name) = name {
            // lld may print `name@VERSION` or `name (demangled)`.
            let name = name.split('@').next().unwrap_or(name).to_string();
            if !found.contains(&name) {
                found.push(name);
            }
        }
    }
    found
}

/// One line per undefined symbol of `stderr` that the floor left out:
/// `xx-clang: getrandom needs glibc 2.25 (GLIBC_2.25 in libc.so.6), newer
/// than the glibc floor 2.17 (XX_GLIBC)`.
pub fn explain_link_errors(
    stderr: &str,
    too_new: &BTreeMap<String, (GlibcVersion, String)>,
    floor: GlibcVersion,
) -> Vec<String> {
    undefined_symbols(stderr)
        .into_iter()
        .filter_map(|name| {
            let (needs, soname) = too_new.get(&name)?;
            Some(format!(
                "xx-clang: {name} needs glibc {needs} (GLIBC_{needs} in {soname}), newer than the glibc floor {floor} ({FLOOR_VAR}={floor}); raise {FLOOR_VAR} or avoid {name}"
            ))
        })
        .collect()
}

/// The files of a built floor, as the compiler arguments need them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FloorPaths {
    /// Stubs, `libc.so`, start files, libc_nonshared (`<dir>/lib`).
    pub lib_dir: PathBuf,
    /// `libc.so` that also links the C++ compatibility archive.
    pub cxx_lib_dir: PathBuf,
    /// The glibc headers to use (bullseye's `usr/include`), `None` for the
    /// installed ones.
    pub include_dir: Option<PathBuf>,
    /// Debian's multiarch directory name (`aarch64-linux-gnu`).
    pub tuple: String,
    /// The C++ standard library include directories (bullseye floors
    /// only: `-nostdlibinc` drops them).
    pub cxx_include_dirs: Vec<String>,
}

/// Clang arguments that apply a floor, placed after the target's config.
///
/// Bullseye floors replace the glibc headers (`-nostdlibinc`, then
/// bullseye's headers before the build machine's, which still provide
/// Linux's and other libraries' headers) and the start files (`-B`); every
/// floor puts its stubs first on the library path. `--allow-shlib-undefined`
/// because the target's other shared libraries (libgcc_s, libstdc++) were
/// linked against a newer glibc: at run time the target's own copies are
/// used. C++ links libstdc++ statically: its `GLIBCXX_` versions are a
/// second floor that old systems do not meet.
pub fn clang_args(paths: &FloorPaths, cxx: bool) -> Vec<String> {
    // The link arguments are unused when only compiling; say nothing.
    let mut args = vec!["-Wno-unused-command-line-argument".to_string()];
    if let Some(include) = &paths.include_dir {
        let tuple = &paths.tuple;
        args.push("-nostdlibinc".to_string());
        if cxx {
            for dir in &paths.cxx_include_dirs {
                args.push("-isystem".to_string());
                args.push(dir.clone());
            }
        }
        for dir in [
            include.join(tuple).display().to_string(),
            include.display().to_string(),
            "/usr/local/include".to_string(),
            format!("/usr/include/{tuple}"),
            "/usr/include".to_string(),
        ] {
            args.push("-idirafter".to_string());
            args.push(dir);
        }
        args.push(format!("-B{}", paths.lib_dir.display()));
    }
    if cxx {
        args.push(format!("-L{}", paths.cxx_lib_dir.display()));
    }
    args.push(format!("-L{}", paths.lib_dir.display()));
    args.push("-Wl,--allow-shlib-undefined".to_string());
    if cxx {
        args.push("-static-libstdc++".to_string());
    }
    args
}

/// The C++ include directories of `clang++ -v -E` output (the search list
/// entries before clang's own resource directory).
pub fn cxx_include_dirs(verbose_output: &str) -> Vec<String> {
    let mut dirs = Vec::new();
    let mut inside = false;
    for line in verbose_output.lines() {
        if line.starts_with("#include <...> search starts here") {
            inside = true;
            continue;
        }
        if line.starts_with("End of search list") {
            break;
        }
        if inside {
            let dir = line.trim();
            if dir.contains("/c++/") || dir.ends_with("/c++") {
                dirs.push(dir.to_string());
            }
        }
    }
    dirs
}

/// C source of the compatibility archive every floor link gets, one
/// member per entry (name, source): definitions the floor's glibc lacks
/// but Debian 12's headers or static libraries refer to.
pub fn compat_sources(floor: GlibcVersion, cxx: bool) -> Vec<(&'static str, &'static str)> {
    let mut sources = Vec::new();
    if floor < GlibcVersion::new(2, 28, 0) {
        // Headers since 2.28 redirect fcntl to fcntl64 under
        // _FILE_OFFSET_BITS=64; before, they called fcntl, which took the
        // 64-bit lock commands as well.
        sources.push(("fcntl64", COMPAT_FCNTL64));
    }
    if cxx && floor < GlibcVersion::new(2, 32, 0) {
        // GCC 12's libstdc++ reads it to skip atomics; 0 means "maybe
        // threaded", always correct.
        sources.push(("single_threaded", COMPAT_SINGLE_THREADED));
    }
    if cxx && floor < GlibcVersion::new(2, 36, 0) {
        // GCC 12's std::random_device uses arc4random (2.36) and
        // getentropy (2.25) where glibc has them.
        sources.push(("random", COMPAT_RANDOM));
    }
    sources
}

const COMPAT_FCNTL64: &str = "\
/* xx-rs glibc floor: fcntl64 (glibc 2.28) as the older fcntl. */
#include <stdarg.h>
extern int fcntl(int fd, int cmd, ...);
int fcntl64(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  void *arg = va_arg(ap, void *);
  va_end(ap);
  return fcntl(fd, cmd, arg);
}
";

const COMPAT_SINGLE_THREADED: &str = "\
/* xx-rs glibc floor: __libc_single_threaded (glibc 2.32). */
__attribute__((weak)) char __libc_single_threaded = 0;
";

const COMPAT_RANDOM: &str = "\
/* xx-rs glibc floor: arc4random (glibc 2.36) and getentropy (2.25) for
   libstdc++'s random_device, from the getrandom system call (Linux 3.17)
   or /dev/urandom. Weak: a program's own definitions win. */
typedef unsigned int u32;
typedef unsigned long size_t;
extern long syscall(long number, ...);
extern int open(const char *path, int flags, ...);
extern long read(int fd, void *buf, size_t count);
extern int close(int fd);
#if defined(__x86_64__)
#define XX_SYS_getrandom 318
#elif defined(__aarch64__) || defined(__riscv)
#define XX_SYS_getrandom 278
#elif defined(__arm__)
#define XX_SYS_getrandom 384
#elif defined(__i386__)
#define XX_SYS_getrandom 355
#elif defined(__powerpc__)
#define XX_SYS_getrandom 359
#elif defined(__s390__)
#define XX_SYS_getrandom 349
#elif defined(__mips__) && defined(__LP64__)
#define XX_SYS_getrandom 5313
#elif defined(__mips__)
#define XX_SYS_getrandom 4353
#endif
static int xx_fill(void *buffer, size_t length) {
  unsigned char *out = buffer;
  size_t done = 0;
#ifdef XX_SYS_getrandom
  while (done < length) {
    long got = syscall(XX_SYS_getrandom, out + done, length - done, 0);
    if (got <= 0)
      break;
    done += (size_t)got;
  }
#endif
  if (done < length) {
    int fd = open(\"/dev/urandom\", 0);
    if (fd < 0)
      return -1;
    while (done < length) {
      long got = read(fd, out + done, length - done);
      if (got <= 0)
        break;
      done += (size_t)got;
    }
    close(fd);
  }
  return done == length ? 0 : -1;
}
__attribute__((weak)) int getentropy(void *buffer, size_t length) {
  if (length > 256)
    return -1;
  return xx_fill(buffer, length);
}
__attribute__((weak)) u32 arc4random(void) {
  u32 value = 0;
  xx_fill(&value, sizeof value);
  return value;
}
";

#[cfg(test)]
mod tests {
    use super::*;
    use xx_inspect::ExportedSymbol;

    fn v(text: &str) -> GlibcVersion {
        text.parse().unwrap()
    }

    fn sym(name: &str, version: &str, is_default: bool) -> ExportedSymbol {
        ExportedSymbol {
            name: name.into(),
            version: version.into(),
            is_default,
            kind: SymbolKind::Function,
            size: 0,
        }
    }

    fn libc() -> Exports {
        Exports {
            soname: Some("libc.so.6".into()),
            versions: [
                "GLIBC_2.2.5",
                "GLIBC_2.14",
                "GLIBC_2.25",
                "GLIBC_2.34",
                "GLIBC_PRIVATE",
            ]
            .map(String::from)
            .to_vec(),
            symbols: vec![
                sym("memcpy", "GLIBC_2.2.5", false),
                sym("memcpy", "GLIBC_2.14", true),
                sym("getrandom", "GLIBC_2.25", true),
                sym("pthread_create", "GLIBC_2.2.5", false),
                sym("pthread_create", "GLIBC_2.34", true),
                sym("__libc_secret", "GLIBC_PRIVATE", true),
                ExportedSymbol {
                    kind: SymbolKind::Object,
                    size: 8,
                    ..sym("stdout", "GLIBC_2.2.5", true)
                },
            ],
        }
    }

    #[test]
    fn floors_parse_and_range_check() {
        let installed = v("2.36");
        assert_eq!(parse_floor("2.17", installed), Ok(v("2.17")));
        assert_eq!(parse_floor(" 2.31 ", installed), Ok(v("2.31")));
        assert_eq!(parse_floor("2.36", installed), Ok(v("2.36")));
        for bad in ["", "2", "2.x", "2.17.1", "latest", "2..17", "-2.17"] {
            assert_eq!(
                parse_floor(bad, installed),
                Err(FloorError::Invalid(bad.trim().into())),
                "{bad}"
            );
        }
        for out in ["2.16", "2.37", "3.0", "1.99"] {
            let err = parse_floor(out, installed).unwrap_err();
            assert!(matches!(err, FloorError::OutOfRange { .. }), "{out}");
            assert!(err.to_string().contains("from 2.17 to 2.36"), "{err}");
        }
    }

    #[test]
    fn sources_follow_the_2_34_split() {
        assert_eq!(FloorSource::for_floor(v("2.17")), FloorSource::Bullseye);
        assert_eq!(FloorSource::for_floor(v("2.33")), FloorSource::Bullseye);
        assert_eq!(FloorSource::for_floor(v("2.34")), FloorSource::Installed);
    }

    #[test]
    fn each_symbol_gets_the_highest_version_at_the_floor() {
        let plan = plan_stubs("libc.so.6", &libc(), v("2.17"));
        let chosen: Vec<(&str, &str)> = plan
            .symbols
            .iter()
            .map(|s| (s.name.as_str(), s.version.as_str()))
            .collect();
        assert_eq!(
            chosen,
            [
                ("memcpy", "GLIBC_2.14"),
                ("pthread_create", "GLIBC_2.2.5"),
                ("stdout", "GLIBC_2.2.5")
            ]
        );
        assert_eq!(
            plan.too_new,
            [TooNew {
                name: "getrandom".into(),
                needs: v("2.25"),
                soname: "libc.so.6".into()
            }]
        );
        let newer = plan_stubs("libc.so.6", &libc(), v("2.34"));
        assert!(newer.too_new.is_empty());
        assert!(newer
            .symbols
            .iter()
            .any(|s| s.name == "pthread_create" && s.version == "GLIBC_2.34"));
        let old = plan_stubs("libc.so.6", &libc(), v("2.13"));
        assert!(old
            .symbols
            .iter()
            .any(|s| s.name == "memcpy" && s.version == "GLIBC_2.2.5"));
    }

    #[test]
    fn floor_below_the_ports_first_version_is_raised() {
        let riscv = Exports {
            soname: Some("libc.so.6".into()),
            versions: vec!["GLIBC_2.27".into(), "GLIBC_2.28".into()],
            symbols: vec![
                sym("printf", "GLIBC_2.27", true),
                sym("fcntl64", "GLIBC_2.28", true),
            ],
        };
        let plan = plan_stubs("libc.so.6", &riscv, v("2.17"));
        assert_eq!(plan.symbols.len(), 1);
        assert_eq!(plan.too_new[0].name, "fcntl64");
    }

    #[test]
    fn renders_stub_source_and_version_script() {
        let plan = plan_stubs("libc.so.6", &libc(), v("2.17"));
        let asm = render_stub_asm(&plan);
        assert!(
            asm.contains(".globl \"memcpy\"\n.type \"memcpy\", %function\n\"memcpy\":"),
            "{asm}"
        );
        assert!(
            asm.contains(".type \"stdout\", %object\n.size \"stdout\", 8"),
            "{asm}"
        );
        assert!(!asm.contains("getrandom"));
        assert_eq!(
            render_version_script(&plan),
            "GLIBC_2.14 {\n  global:\n    \"memcpy\";\n};\nGLIBC_2.2.5 {\n  global:\n    \"pthread_create\";\n    \"stdout\";\n};\n"
        );
    }

    #[test]
    fn linker_scripts_name_every_part() {
        let text = render_libc_script(
            Path::new("/f/lib"),
            "ld-linux-aarch64.so.1",
            &["libxx_glibc_compat.a"],
            &["libpthread.so.0"],
        );
        assert_eq!(
            text,
            "/* xx-rs glibc floor */\nGROUP ( /f/lib/libc.so.6 /f/lib/libc_nonshared.a /f/lib/libxx_glibc_compat.a AS_NEEDED ( /f/lib/ld-linux-aarch64.so.1 /f/lib/libpthread.so.0 ) )\n"
        );
        assert_eq!(
            render_input_script(Path::new("/f/lib/libm.so.6")),
            "/* xx-rs glibc floor */\nINPUT ( /f/lib/libm.so.6 )\n"
        );
    }

    #[test]
    fn link_errors_are_explained() {
        let table = parse_too_new(&render_too_new(&[TooNew {
            name: "getrandom".into(),
            needs: v("2.25"),
            soname: "libc.so.6".into(),
        }]));
        let lld = "ld.lld: error: undefined symbol: getrandom\n>>> referenced by neg.c\nld.lld: error: undefined symbol: my_own\n";
        let lines = explain_link_errors(lld, &table, v("2.17"));
        assert_eq!(
            lines,
            ["xx-clang: getrandom needs glibc 2.25 (GLIBC_2.25 in libc.so.6), newer than the glibc floor 2.17 (XX_GLIBC=2.17); raise XX_GLIBC or avoid getrandom"]
        );
        let bfd = "/usr/bin/s390x-linux-gnu-ld: neg.o: in function `main':\nneg.c:(.text+0x1c): undefined reference to `getrandom'\n";
        assert_eq!(undefined_symbols(bfd), ["getrandom"]);
        assert_eq!(explain_link_errors(bfd, &table, v("2.17")).len(), 1);
    }

    #[test]
    fn bullseye_floors_swap_headers_and_start_files() {
        let paths = FloorPaths {
            lib_dir: "/f/lib".into(),
            cxx_lib_dir: "/f/lib/cxx".into(),
            include_dir: Some("/b/usr/include".into()),
            tuple: "aarch64-linux-gnu".into(),
            cxx_include_dirs: vec!["/usr/include/c++/12".into()],
        };
        let c = clang_args(&paths, false).join(" ");
        assert_eq!(c, "-Wno-unused-command-line-argument -nostdlibinc -idirafter /b/usr/include/aarch64-linux-gnu -idirafter /b/usr/include -idirafter /usr/local/include -idirafter /usr/include/aarch64-linux-gnu -idirafter /usr/include -B/f/lib -L/f/lib -Wl,--allow-shlib-undefined");
        let cxx = clang_args(&paths, true).join(" ");
        assert!(
            cxx.starts_with("-Wno-unused-command-line-argument -nostdlibinc -isystem /usr/include/c++/12 -idirafter"),
            "{cxx}"
        );
        assert!(
            cxx.ends_with("-L/f/lib/cxx -L/f/lib -Wl,--allow-shlib-undefined -static-libstdc++"),
            "{cxx}"
        );
        let installed = FloorPaths {
            include_dir: None,
            ..paths
        };
        assert_eq!(
            clang_args(&installed, false).join(" "),
            "-Wno-unused-command-line-argument -L/f/lib -Wl,--allow-shlib-undefined"
        );
    }

    #[test]
    fn cxx_dirs_come_from_the_search_list() {
        let out = "ignoring nonexistent directory \"/x\"\n#include \"...\" search starts here:\n#include <...> search starts here:\n /usr/lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12\n /usr/lib/gcc/x86_64-linux-gnu/12/../../../../include/x86_64-linux-gnu/c++/12\n /usr/lib/llvm-14/lib/clang/14.0.6/include\n /usr/include\nEnd of search list.\n";
        assert_eq!(cxx_include_dirs(out).len(), 2);
    }

    #[test]
    fn loader_names() {
        for name in [
            "ld-linux-x86-64.so.2",
            "ld-linux-aarch64.so.1",
            "ld64.so.2",
            "ld-linux.so.2",
            "ld-linux-armhf.so.3",
        ] {
            assert!(is_loader_name(name), "{name}");
        }
        for name in ["ld-2.31.so", "libc.so.6", "ld.so.conf"] {
            assert!(!is_loader_name(name), "{name}");
        }
    }

    #[test]
    fn compat_members_depend_on_floor_and_language() {
        let names = |floor, cxx| {
            compat_sources(v(floor), cxx)
                .into_iter()
                .map(|(n, _)| n)
                .collect::<Vec<_>>()
        };
        assert_eq!(names("2.17", false), ["fcntl64"]);
        assert_eq!(
            names("2.17", true),
            ["fcntl64", "single_threaded", "random"]
        );
        assert_eq!(names("2.31", true), ["single_threaded", "random"]);
        assert!(names("2.36", true).is_empty());
    }
}
