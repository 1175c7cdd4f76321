//! `xx-clang` and friends on this machine, with every file they write moved
//! below a temporary prefix (`XX_CC_PREFIX`): real clang, lld and GNU ld,
//! real cross-compiled objects, real MinGW programs, real CMake and Meson
//! builds for Windows. Linux programs that need a target libc are built in
//! the Debian chroot suite (`tests/tests/c_builds.rs`).
//!
//! Needs on the host: clang, lld, llvm, binutils-s390x-linux-gnu,
//! mingw-w64, cmake, meson, ninja-build, pkg-config.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;

const XX: &str = env!("CARGO_BIN_EXE_xx");

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/c")
}

/// A temporary prefix with `usr/bin/clang{,++}` (links to scripts in
/// `usr/lib/llvm/bin` that run the host's clang, like Debian's
/// `/usr/bin/clang -> ../lib/llvm-14/bin/clang`) and a `PATH` of chosen
/// host programs.
struct Machine {
    dir: TempDir,
    /// Directory of host programs on `PATH`.
    tools: PathBuf,
}

/// Host programs every test gets on `PATH`.
const BASE_TOOLS: &[&str] = &["sh", "pkg-config", "env"];

impl Machine {
    fn new(tools: &[&str]) -> Machine {
        Self::build(tools, true)
    }

    fn without_clang(tools: &[&str]) -> Machine {
        Self::build(tools, false)
    }

    fn build(tools: &[&str], with_clang: bool) -> Machine {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let llvm = root.join("usr/lib/llvm/bin");
        fs::create_dir_all(&llvm).unwrap();
        fs::create_dir_all(root.join("usr/bin")).unwrap();
        if with_clang {
            for compiler in ["clang", "clang++"] {
                let script = llvm.join(compiler);
                fs::write(
                    &script,
                    format!("#!/bin/sh\nexec /usr/bin/{compiler} \"$@\"\n"),
                )
                .unwrap();
                fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
                symlink(
                    format!("../lib/llvm/bin/{compiler}"),
                    root.join("usr/bin").join(compiler),
                )
                .unwrap();
            }
        }
        for tool in [
            "ar", "ranlib", "nm", "strip", "objcopy", "objdump", "readelf", "windres",
        ] {
            let host = format!("/usr/lib/llvm-14/bin/llvm-{tool}");
            if Path::new(&host).exists() {
                symlink(&host, llvm.join(format!("llvm-{tool}"))).unwrap();
            }
        }
        let tools_dir = root.join("host-tools");
        fs::create_dir_all(&tools_dir).unwrap();
        for name in ["xx-clang", "xx-clang++", "xx-cc", "xx-c++", "xx-info"] {
            symlink(XX, tools_dir.join(name)).unwrap();
        }
        for tool in BASE_TOOLS.iter().chain(tools) {
            let host = which::which(tool).unwrap_or_else(|_| panic!("{tool} is not installed"));
            symlink(host, tools_dir.join(tool)).unwrap();
        }
        Machine {
            dir,
            tools: tools_dir,
        }
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root().join(rel)
    }

    fn path_var(&self) -> String {
        format!(
            "{}:{}:{}",
            self.path("usr/local/bin").display(),
            self.path("usr/bin").display(),
            self.tools.display()
        )
    }

    /// `program args` with only PATH, the prefix and `env` set.
    fn command(&self, program: &str, args: &[&str], env: &[(&str, &str)]) -> Command {
        let mut cmd = Command::new(program);
        cmd.args(args)
            .env_clear()
            .env("PATH", self.path_var())
            .env("XX_CC_PREFIX", self.root())
            .env("XX_NO_DOWNLOAD", "1")
            .current_dir(self.root());
        for (key, value) in env {
            cmd.env(key, value);
        }
        cmd
    }

    fn run(&self, program: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
        self.command(program, args, env).output().unwrap()
    }

    fn run_ok(&self, program: &str, args: &[&str], env: &[(&str, &str)]) -> String {
        let output = self.run(program, args, env);
        assert!(
            output.status.success(),
            "{program} {args:?} {env:?} failed: {}\n{}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    fn read(&self, rel: &str) -> String {
        fs::read_to_string(self.path(rel)).unwrap_or_else(|err| panic!("{rel}: {err}"))
    }

    fn link(&self, rel: &str) -> PathBuf {
        fs::read_link(self.path(rel)).unwrap_or_else(|err| panic!("{rel}: {err}"))
    }

    /// Every file and link below the prefix (except the host tools):
    /// relative path -> (kind, mode, content or link target).
    fn snapshot(&self) -> BTreeMap<String, String> {
        let mut map = BTreeMap::new();
        walk(self.root(), self.root(), &mut map);
        map.retain(|path, _| !path.starts_with("host-tools"));
        map
    }
}

fn walk(base: &Path, dir: &Path, map: &mut BTreeMap<String, String>) {
    for entry in fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let path = entry.path();
        let rel = path
            .strip_prefix(base)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let meta = fs::symlink_metadata(&path).unwrap();
        let mode = meta.permissions().mode() & 0o7777;
        if meta.file_type().is_symlink() {
            map.insert(
                rel,
                format!("link {}", fs::read_link(&path).unwrap().display()),
            );
        } else if meta.is_dir() {
            map.insert(rel, format!("dir {mode:o}"));
            walk(base, &path, map);
        } else {
            use std::os::unix::fs::MetadataExt;
            let content = fs::read(&path).unwrap();
            map.insert(
                rel,
                format!(
                    "file {mode:o} ino={} mtime={} {}",
                    meta.ino(),
                    meta.mtime_nsec(),
                    String::from_utf8_lossy(&content)
                ),
            );
        }
    }
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// ELF `e_machine` of an object file.
fn elf_machine(path: &Path) -> u16 {
    let bytes = fs::read(path).unwrap();
    assert_eq!(&bytes[..4], b"\x7fELF", "{} is not ELF", path.display());
    let big_endian = bytes[5] == 2;
    let raw = [bytes[18], bytes[19]];
    if big_endian {
        u16::from_be_bytes(raw)
    } else {
        u16::from_le_bytes(raw)
    }
}

/// PE machine of a Windows program.
fn pe_machine(path: &Path) -> u16 {
    let bytes = fs::read(path).unwrap();
    assert_eq!(&bytes[..2], b"MZ", "{} is not PE", path.display());
    let offset = u32::from_le_bytes(bytes[0x3c..0x40].try_into().unwrap()) as usize;
    assert_eq!(&bytes[offset..offset + 4], b"PE\0\0");
    u16::from_le_bytes([bytes[offset + 4], bytes[offset + 5]])
}

fn no_temp_files(machine: &Machine) {
    let leftovers: Vec<String> = machine
        .snapshot()
        .into_keys()
        .filter(|path| path.contains(".xx-tmp."))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

#[test]
fn first_use_writes_xx_files_for_the_target() {
    let m = Machine::new(&["lld"]);
    let out = m.run_ok(
        "xx-clang",
        &["--print-target-triple"],
        &[("TARGETPLATFORM", "linux/arm64")],
    );
    assert_eq!(out, "aarch64-linux-gnu\n");

    // The config lives next to the real clang, linked from usr/bin (as xx).
    assert_eq!(
        m.link("usr/bin/aarch64-linux-gnu.cfg"),
        m.path("usr/lib/llvm/bin/aarch64-linux-gnu.cfg")
    );
    assert_eq!(
        m.read("usr/lib/llvm/bin/aarch64-linux-gnu.cfg"),
        "--target=aarch64-linux-gnu -fuse-ld=lld -Wl,-rpath-link,/usr/lib/aarch64-linux-gnu:/lib/aarch64-linux-gnu\n"
    );
    for (alias, compiler) in [
        ("clang", "clang"),
        ("clang++", "clang++"),
        ("cc", "clang"),
        ("c++", "clang++"),
    ] {
        assert_eq!(
            m.read(&format!("usr/bin/aarch64-linux-gnu-{alias}")),
            format!(
                "#!/bin/sh\n# written by xx-rs (xx-cc)\nexec '{}' --config '{}' \"$@\"\n",
                m.path(&format!("usr/bin/{compiler}")).display(),
                m.path("usr/bin/aarch64-linux-gnu.cfg").display()
            )
        );
    }
    for tool in [
        "ar", "ranlib", "nm", "strip", "objcopy", "objdump", "readelf",
    ] {
        assert_eq!(
            m.link(&format!("usr/bin/aarch64-linux-gnu-{tool}")),
            m.path(&format!("usr/lib/llvm/bin/llvm-{tool}"))
        );
    }
    let pkg_config = m.read("usr/bin/aarch64-linux-gnu-pkg-config");
    assert!(
        pkg_config.contains("/usr/lib/aarch64-linux-gnu/pkgconfig"),
        "{pkg_config}"
    );
    // Plain `clang` in /usr/local/bin, as xx links it to xx-clang.
    assert!(m
        .read("usr/local/bin/clang")
        .contains("'--xx-tool=xx-clang' --xx-cc-plain"));
    assert!(m
        .read("usr/local/bin/clang++")
        .contains("'--xx-tool=xx-clang++' --xx-cc-plain"));
    // Cross targets do not write the native default config.
    assert!(!m.path("etc/llvm/xx-default.cfg").exists());
    no_temp_files(&m);

    // The aliases work on their own, without xx.
    let obj = m.path("add.o");
    let src = fixtures().join("freestanding.c");
    m.run_ok(
        &m.path("usr/bin/aarch64-linux-gnu-clang").to_string_lossy(),
        &["-c", &src.to_string_lossy(), "-o", &obj.to_string_lossy()],
        &[],
    );
    assert_eq!(elf_machine(&obj), 183);
    // Plain clang with --target= picks up the config, as with xx.
    let verbose = m.run(
        "clang",
        &[
            "--target=aarch64-linux-gnu",
            "-###",
            "-c",
            &src.to_string_lossy(),
        ],
        &[],
    );
    assert!(
        stderr(&verbose).contains("aarch64-linux-gnu.cfg"),
        "{}",
        stderr(&verbose)
    );
}

#[test]
fn native_target_gets_the_default_config() {
    let m = Machine::new(&["lld", "llvm-readelf"]);
    let out = m.run_ok("xx-clang", &["--print-target-triple"], &[]);
    assert_eq!(out, "x86_64-linux-gnu\n");
    assert_eq!(m.read("etc/llvm/xx-default.cfg"), "-fuse-ld=lld\n");
    assert_eq!(
        m.read("usr/bin/x86_64-linux-gnu.cfg"),
        "--target=x86_64-linux-gnu -fuse-ld=lld\n"
    );
    assert_eq!(
        m.link("usr/bin/x86_64-linux-gnu-pkg-config"),
        Path::new("pkg-config")
    );

    // A native hello world, linked with lld, runs.
    let exe = m.path("hello");
    let src = fixtures().join("hello.c");
    m.run_ok(
        "xx-clang",
        &["-o", &exe.to_string_lossy(), &src.to_string_lossy()],
        &[],
    );
    assert_eq!(m.run_ok(&exe.to_string_lossy(), &[], &[]), "hello c\n");
    let comment = m.run_ok(
        "llvm-readelf",
        &["-p", ".comment", &exe.to_string_lossy()],
        &[],
    );
    assert!(
        comment.contains("Linker: "),
        "not linked by lld:\n{comment}"
    );
}

#[test]
fn cross_objects_for_every_linux_arch() {
    let m = Machine::new(&["lld", "s390x-linux-gnu-ld"]);
    // lld cannot link MIPS C++ programs: xx-clang wants GNU ld there. A
    // stand-in is enough for compiling objects (nothing is linked).
    let mips_ld = m.tools.join("mips64el-linux-gnuabi64-ld");
    fs::write(&mips_ld, "#!/bin/sh\nexit 1\n").unwrap();
    fs::set_permissions(&mips_ld, fs::Permissions::from_mode(0o755)).unwrap();
    let src = fixtures().join("freestanding.c");
    for (platform, machine, fuse_ld) in [
        ("linux/arm64", 183, "lld".to_string()),
        ("linux/arm/v7", 40, "lld".to_string()),
        ("linux/386", 3, "lld".to_string()),
        ("linux/ppc64le", 21, "lld".to_string()),
        ("linux/mips64le", 8, mips_ld.display().to_string()),
        (
            "linux/s390x",
            22,
            m.tools.join("s390x-linux-gnu-ld").display().to_string(),
        ),
    ] {
        let obj = m.path("out.o");
        m.run_ok(
            "xx-clang",
            &["-c", &src.to_string_lossy(), "-o", &obj.to_string_lossy()],
            &[("TARGETPLATFORM", platform)],
        );
        assert_eq!(elf_machine(&obj), machine, "{platform}");
        let triple = m.run_ok("xx-info", &[], &[("TARGETPLATFORM", platform)]);
        let cfg = m.read(&format!("usr/bin/{}.cfg", triple.trim()));
        assert!(
            cfg.contains(&format!(" -fuse-ld={fuse_ld} ")),
            "{platform}: {cfg}"
        );
    }
    // lld cannot link s390x: the GNU cross ld is used and gets -rpath-link.
    assert_eq!(
        m.read("usr/bin/s390x-linux-gnu.cfg"),
        format!(
            "--target=s390x-linux-gnu -fuse-ld={} -Wl,-rpath-link,/usr/lib/s390x-linux-gnu:/lib/s390x-linux-gnu\n",
            m.tools.join("s390x-linux-gnu-ld").display()
        )
    );
    // Debian's multiarch directory for 386 is i386-linux-gnu.
    assert!(m
        .read("usr/bin/i686-linux-gnu.cfg")
        .ends_with("-Wl,-rpath-link,/usr/lib/i386-linux-gnu:/lib/i386-linux-gnu\n"));
}

#[test]
fn prefer_static_linker_uses_gnu_ld_for_ppc64le() {
    let m = Machine::new(&["lld"]);
    // A fake GNU ld on PATH, as xx's test does.
    let fake_ld = m.tools.join("powerpc64le-linux-gnu-ld");
    fs::write(&fake_ld, "#!/bin/sh\nexit 1\n").unwrap();
    fs::set_permissions(&fake_ld, fs::Permissions::from_mode(0o755)).unwrap();
    let env = [("TARGETPLATFORM", "linux/ppc64le")];
    m.run_ok(
        "xx-clang",
        &["--setup-target-triple"],
        &[env[0], ("XX_CC_PREFER_STATIC_LINKER", "1")],
    );
    let cfg = m.read("usr/bin/powerpc64le-linux-gnu.cfg");
    assert!(
        cfg.contains(&format!("-fuse-ld={} ", fake_ld.display())),
        "{cfg}"
    );

    let m2 = Machine::new(&["lld"]);
    fs::copy(&fake_ld, m2.tools.join("powerpc64le-linux-gnu-ld")).unwrap();
    m2.run_ok("xx-clang", &["--setup-target-triple"], &env);
    assert!(m2
        .read("usr/bin/powerpc64le-linux-gnu.cfg")
        .contains("-fuse-ld=lld "));
}

#[test]
fn host_ld_is_linked_when_it_links_the_target() {
    // No lld: the host's GNU ld (which has elf_i386) links 386, through a
    // <triple>-ld link as xx makes it.
    let m = Machine::new(&["ld"]);
    m.run_ok(
        "xx-clang",
        &["--setup-target-triple"],
        &[("TARGETPLATFORM", "linux/386")],
    );
    assert_eq!(m.link("usr/bin/i686-linux-gnu-ld"), m.tools.join("ld"));
    assert!(m.read("usr/bin/i686-linux-gnu.cfg").contains(&format!(
        "-fuse-ld={} ",
        m.path("usr/bin/i686-linux-gnu-ld").display()
    )));
}

#[test]
fn no_linker_is_one_clear_line_and_writes_nothing() {
    let m = Machine::new(&["lld"]);
    let before = m.snapshot();
    let output = m.run(
        "xx-clang",
        &["--print-target-triple"],
        &[("TARGETPLATFORM", "linux/s390x")],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    let err = stderr(&output);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("xx-clang: no suitable linker found for s390x-linux-gnu"),
        "{err}"
    );
    assert!(err.contains("binutils-s390x-linux-gnu"), "{err}");
    let mut after = m.snapshot();
    after.remove("var");
    after.remove("var/lock");
    after.remove("var/lock/xx-cc");
    assert_eq!(before, after);

    // Not even lld: any target fails the same way.
    let bare = Machine::new(&[]);
    let output = bare.run(
        "xx-clang",
        &["--print-target-triple"],
        &[("TARGETPLATFORM", "linux/arm64")],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("no suitable linker found for aarch64-linux-gnu"));
    assert!(!bare.path("usr/bin/aarch64-linux-gnu.cfg").exists());
}

#[test]
fn missing_clang_is_one_clear_line_and_writes_nothing() {
    let m = Machine::without_clang(&["lld"]);
    let before = m.snapshot();
    for (tool, args) in [
        ("xx-clang", &["--print-target-triple"][..]),
        ("xx-clang++", &["-c", "x.cc"][..]),
        ("xx-cc", &["--setup-target-triple"][..]),
    ] {
        let output = m.run(tool, args, &[("TARGETPLATFORM", "linux/arm64")]);
        assert_eq!(output.status.code(), Some(1), "{tool}");
        let err = stderr(&output);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("clang") && err.contains("not found"), "{err}");
    }
    let mut after = m.snapshot();
    after.retain(|path, _| !path.starts_with("var"));
    assert_eq!(before, after);
    assert!(!m.path("etc/llvm/xx-default.cfg").exists());
}

#[test]
fn bad_targets_are_one_clear_line() {
    let m = Machine::new(&["lld"]);
    for (args, env, expected) in [
        (
            &["--print-target-triple"][..],
            ("TARGETPLATFORM", "linux/sparc"),
            "xx-clang: unsupported target: os=linux arch=sparc variant=",
        ),
        (
            &["--print-target-triple"][..],
            ("TARGETPLATFORM", "plan9/amd64"),
            "xx-clang: unsupported target: os=plan9 arch=amd64 variant=",
        ),
        (
            &["--target=../../etc/x", "-c", "a.c"][..],
            ("TARGETPLATFORM", "linux/arm64"),
            "xx-clang: invalid target triple \"../../etc/x\"",
        ),
    ] {
        let output = m.run("xx-clang", args, &[env]);
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        let err = stderr(&output);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with(expected), "{err}");
    }
    let written: Vec<String> = m
        .snapshot()
        .into_keys()
        .filter(|path| path.ends_with(".cfg"))
        .collect();
    assert!(written.is_empty(), "{written:?}");
}

#[test]
fn a_second_setup_changes_nothing() {
    let m = Machine::new(&["lld", "s390x-linux-gnu-ld"]);
    let env_arm = [("TARGETPLATFORM", "linux/arm64")];
    m.run_ok("xx-clang", &["--setup-target-triple"], &env_arm);
    m.run_ok("xx-clang", &["--print-target-triple"], &[]);
    let first = m.snapshot();
    for tool in ["xx-clang", "xx-clang++", "xx-cc", "xx-c++"] {
        m.run_ok(tool, &["--setup-target-triple"], &env_arm);
        m.run_ok(tool, &["--print-target-triple"], &[]);
        m.run_ok(tool, &["--print-cmake-defines"], &env_arm);
    }
    assert_eq!(first, m.snapshot(), "a repeated setup changed files");
}

#[test]
fn twenty_parallel_first_uses_all_succeed() {
    let m = Machine::new(&["lld", "s390x-linux-gnu-ld"]);
    let src = fixtures().join("freestanding.c");
    let platforms = [
        "linux/arm64",
        "linux/s390x",
        "linux/ppc64le",
        "linux/arm/v7",
    ];
    let children: Vec<_> = (0..20)
        .map(|i| {
            let platform = platforms[i % platforms.len()];
            let obj = m.path(&format!("obj-{i}.o"));
            let tool = if i % 2 == 0 { "xx-clang" } else { "xx-cc" };
            let child = m
                .command(
                    tool,
                    &["-c", &src.to_string_lossy(), "-o", &obj.to_string_lossy()],
                    &[("TARGETPLATFORM", platform)],
                )
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            (platform, obj, child)
        })
        .collect();
    for (platform, obj, child) in children {
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "{platform}: {}", stderr(&output));
        assert!(output.stderr.is_empty(), "{platform}: {}", stderr(&output));
        let expected = match platform {
            "linux/arm64" => 183,
            "linux/s390x" => 22,
            "linux/ppc64le" => 21,
            _ => 40,
        };
        assert_eq!(elf_machine(&obj), expected, "{platform}");
    }
    no_temp_files(&m);
    let after_parallel = m.snapshot();
    for triple in [
        "aarch64-linux-gnu",
        "s390x-linux-gnu",
        "powerpc64le-linux-gnu",
        "arm-linux-gnueabihf",
    ] {
        let cfg = m.read(&format!("usr/bin/{triple}.cfg"));
        assert!(
            cfg.starts_with(&format!("--target={triple} -fuse-ld=")),
            "{cfg}"
        );
        assert!(cfg.ends_with(&format!(":/lib/{triple}\n")), "{cfg}");
        assert!(m
            .read(&format!("usr/bin/{triple}-clang"))
            .ends_with("\"$@\"\n"));
    }
    // A sequential setup afterwards finds everything in place.
    for platform in platforms {
        m.run_ok(
            "xx-clang",
            &["--setup-target-triple"],
            &[("TARGETPLATFORM", platform)],
        );
    }
    assert_eq!(after_parallel, m.snapshot());
}

#[test]
fn wrap_and_unwrap_restore_the_machine_exactly() {
    let m = Machine::new(&["lld", "gcc", "as", "ld"]);
    let env = [("TARGETPLATFORM", "linux/arm64")];
    let src = fixtures().join("freestanding.c");
    let obj = m.path("w.o");
    let compile = |compiler: &str| {
        m.run_ok(
            compiler,
            &["-c", &src.to_string_lossy(), "-o", &obj.to_string_lossy()],
            &env,
        );
        elf_machine(&obj)
    };
    // Set up first (as any earlier xx-clang call would), then record.
    m.run_ok("xx-clang", &["--setup-target-triple"], &env);
    assert_eq!(compile("gcc"), 62, "gcc is the host compiler before --wrap");
    assert_eq!(
        compile("clang"),
        62,
        "plain clang without --target is native"
    );
    let before = m.snapshot();

    m.run_ok("xx-clang", &["--wrap"], &[]);
    assert!(m.path(".xx-cc-autowrap").exists());
    for compiler in ["gcc", "cc", "clang", "g++", "c++", "clang++"] {
        assert_eq!(
            compile(compiler),
            183,
            "{compiler} is not target-aware after --wrap"
        );
    }
    assert_eq!(
        m.run_ok("clang", &["--print-target-triple"], &env),
        "aarch64-linux-gnu\n"
    );
    // Wrapping twice is harmless.
    m.run_ok("xx-clang", &["--wrap"], &[]);

    m.run_ok("xx-clang", &["--unwrap"], &[]);
    let _ = fs::remove_file(&obj);
    let mut after = m.snapshot();
    after.remove("w.o");
    let mut before = before;
    before.remove("w.o");
    assert_eq!(before, after, "--unwrap did not restore the machine");
    assert_eq!(compile("gcc"), 62, "gcc is the host compiler again");
    assert_eq!(compile("clang"), 62);
    // Unwrapping an unwrapped machine succeeds and changes nothing.
    m.run_ok("xx-clang", &["--unwrap"], &[]);
}

#[test]
fn wrap_then_unwrap_on_a_fresh_machine_leaves_no_trace() {
    let m = Machine::new(&["lld"]);
    let before = m.snapshot();
    m.run_ok("xx-clang++", &["--wrap"], &[]);
    assert!(m.path("usr/local/bin/gcc").exists());
    m.run_ok("xx-clang++", &["--unwrap"], &[]);
    assert_eq!(before, m.snapshot());
}

#[test]
fn config_flag_passes_through_untouched() {
    let m = Machine::new(&["lld"]);
    let cfg = m.path("my.cfg");
    fs::write(&cfg, "--target=riscv64-linux-gnu\n").unwrap();
    let src = fixtures().join("freestanding.c");
    let obj = m.path("c.o");
    m.run_ok(
        "xx-clang",
        &[
            "--config",
            &cfg.to_string_lossy(),
            "-c",
            &src.to_string_lossy(),
            "-o",
            &obj.to_string_lossy(),
        ],
        &[("TARGETPLATFORM", "linux/arm64")],
    );
    assert_eq!(elf_machine(&obj), 243);
    assert!(
        !m.path("usr/bin/aarch64-linux-gnu.cfg").exists(),
        "--config must skip setup"
    );
}

#[test]
fn print_flags_match_xx() {
    let m = Machine::new(&["lld"]);
    let env = [("TARGETPLATFORM", "linux/arm64")];
    let defines = m.run_ok("xx-clang", &["--print-cmake-defines"], &env);
    assert_eq!(
        defines,
        format!(
            "-DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_ASM_COMPILER=clang -DPKG_CONFIG_EXECUTABLE={} -DCMAKE_C_COMPILER_TARGET=aarch64-linux-gnu -DCMAKE_CXX_COMPILER_TARGET=aarch64-linux-gnu -DCMAKE_ASM_COMPILER_TARGET=aarch64-linux-gnu\n",
            m.path("usr/bin/aarch64-linux-gnu-pkg-config").display()
        )
    );
    assert_eq!(m.run_ok("xx-clang", &["--print-sysroot"], &env), "/\n");
    assert_eq!(
        m.run_ok("xx-c++", &["--print-target-triple"], &env),
        "aarch64-linux-gnu\n"
    );
    assert_eq!(
        m.run_ok("xx-cc", &["-print-target-triple"], &env),
        "aarch64-linux-gnu\n"
    );
    // An explicit -target wins over TARGETPLATFORM.
    assert_eq!(
        m.run_ok(
            "xx-clang",
            &["-target", "powerpc64le-linux-gnu", "--print-target-triple"],
            &env
        ),
        "powerpc64le-linux-gnu\n"
    );
    let toolchain = m.run_ok("xx-clang", &["--print-cmake-toolchain"], &env);
    assert!(
        toolchain.contains("set(CMAKE_SYSTEM_NAME Linux)\n"),
        "{toolchain}"
    );
    assert!(toolchain.contains(&format!(
        "set(CMAKE_C_COMPILER \"{}\")\n",
        m.path("usr/bin/aarch64-linux-gnu-clang").display()
    )));
    let meson = m.run_ok("xx-clang", &["--print-meson-cross-file"], &env);
    assert!(meson.contains("cpu_family = 'aarch64'\n"), "{meson}");
}

#[test]
fn windows_programs_link_against_mingw() {
    assert!(
        Path::new("/usr/x86_64-w64-mingw32/include/stdio.h").exists(),
        "install mingw-w64 on the host"
    );
    let m = Machine::new(&["lld"]);
    for (platform, machine, source, tool) in [
        ("windows/amd64", 0x8664, "hello.c", "xx-clang"),
        ("windows/386", 0x14c, "hello.c", "xx-clang"),
        ("windows/amd64", 0x8664, "hello.cpp", "xx-clang++"),
    ] {
        let exe = m.path("hello.exe");
        let src = fixtures().join(source);
        m.run_ok(
            tool,
            &[
                "-static",
                "-o",
                &exe.to_string_lossy(),
                &src.to_string_lossy(),
            ],
            &[("TARGETPLATFORM", platform)],
        );
        assert_eq!(pe_machine(&exe), machine, "{platform} {source}");
    }
    let cfg = m.read("usr/bin/x86_64-w64-mingw32.cfg");
    assert!(
        cfg.starts_with("--target=x86_64-w64-mingw32 -fuse-ld=lld -I/usr/x86_64-w64-mingw32/include -L/usr/x86_64-w64-mingw32/lib"),
        "{cfg}"
    );
}

#[test]
fn cmake_and_meson_build_for_windows_with_the_generated_files() {
    let m = Machine::new(&["lld", "cmake", "meson", "ninja", "python3", "make", "cc"]);
    let env = [("TARGETPLATFORM", "windows/amd64")];
    let toolchain = m.path("windows.cmake");
    fs::write(
        &toolchain,
        m.run_ok("xx-clang", &["--print-cmake-toolchain"], &env),
    )
    .unwrap();
    assert!(m
        .read("windows.cmake")
        .contains("set(CMAKE_SYSTEM_NAME Windows)\n"));
    let build = m.path("build-cmake");
    m.run_ok(
        "cmake",
        &[
            "-S",
            &fixtures().join("cmake").to_string_lossy(),
            "-B",
            &build.to_string_lossy(),
            &format!("-DCMAKE_TOOLCHAIN_FILE={}", toolchain.display()),
            "-DWITH_ZLIB=OFF",
            "-DCMAKE_EXE_LINKER_FLAGS=-static",
        ],
        &[],
    );
    m.run_ok("cmake", &["--build", &build.to_string_lossy()], &[]);
    assert_eq!(pe_machine(&build.join("hello-cmake.exe")), 0x8664);

    let cross = m.path("windows.meson");
    fs::write(
        &cross,
        m.run_ok("xx-clang", &["--print-meson-cross-file"], &env),
    )
    .unwrap();
    let meson_build = m.path("build-meson");
    m.run_ok(
        "meson",
        &[
            "setup",
            "--cross-file",
            &cross.to_string_lossy(),
            &meson_build.to_string_lossy(),
            &fixtures().join("meson").to_string_lossy(),
        ],
        &[],
    );
    m.run_ok("ninja", &["-C", &meson_build.to_string_lossy()], &[]);
    assert_eq!(pe_machine(&meson_build.join("hello-meson.exe")), 0x8664);
}

#[test]
fn foreign_cc_aliases_are_left_alone() {
    let m = Machine::new(&["lld"]);
    let theirs = "#!/bin/sh\nexec aarch64-linux-gnu-gcc \"$@\"\n";
    fs::write(m.path("usr/bin/aarch64-linux-gnu-cc"), theirs).unwrap();
    m.run_ok(
        "xx-clang",
        &["--setup-target-triple"],
        &[("TARGETPLATFORM", "linux/arm64")],
    );
    assert_eq!(m.read("usr/bin/aarch64-linux-gnu-cc"), theirs);
    assert!(m.read("usr/bin/aarch64-linux-gnu-c++").contains("--config"));
}
