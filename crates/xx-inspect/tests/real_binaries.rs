//! Inspects real binaries built with the installed cross toolchains, and
//! binaries that ship with the system.

mod common;

use std::path::Path;

use common::*;
use xx_inspect::{inspect_path, BinaryOs, Endian, FileKind, Format, GlibcVersion, Machine};

/// Triples linked with `-nostdlib -static`, and what the result must be.
const LINUX_TARGETS: &[(&str, Machine, u8, Endian)] = &[
    ("x86_64-linux-gnu", Machine::X86_64, 64, Endian::Little),
    ("aarch64-linux-gnu", Machine::Aarch64, 64, Endian::Little),
    ("arm-linux-gnueabihf", Machine::Arm, 32, Endian::Little),
    ("i686-linux-gnu", Machine::X86, 32, Endian::Little),
    ("riscv64-linux-gnu", Machine::RiscV64, 64, Endian::Little),
    (
        "powerpc64le-linux-gnu",
        Machine::PowerPc64,
        64,
        Endian::Little,
    ),
    (
        "mips64el-linux-gnuabi64",
        Machine::Mips64,
        64,
        Endian::Little,
    ),
    ("s390x-linux-gnu", Machine::S390x, 64, Endian::Big),
];

#[test]
fn cross_compiled_static_executables() {
    for &(triple, machine, bits, endian) in LINUX_TARGETS {
        let path = build_static_executable(triple);
        let info = inspect_path(&path).unwrap_or_else(|e| panic!("{triple}: {e}"));
        assert_eq!(info.format, Format::Elf, "{triple}");
        assert_eq!(info.arches.len(), 1, "{triple}");
        let arch = info.arches[0];
        assert_eq!(
            (arch.machine, arch.bits, arch.endian),
            (machine, bits, endian),
            "{triple}"
        );
        assert_eq!(info.kind, FileKind::Executable, "{triple}");
        // No libc, so no ABI note: the file says nothing about its OS.
        assert_eq!(info.os, None, "{triple}");
        assert_eq!(info.elf_os_abi, Some(0), "{triple}");
        assert!(info.is_static, "{triple}");
        assert!(!info.is_static_pie, "{triple}");
        assert!(!info.is_pie, "{triple}");
        assert_eq!(info.interpreter, None, "{triple}");
        assert!(info.needed.is_empty(), "{triple}");
        assert_eq!(info.max_glibc, None, "{triple}");
    }
}

#[test]
fn cross_compiled_objects() {
    for &(triple, machine, bits, endian) in LINUX_TARGETS {
        let path = compile_object(triple, "object");
        let info = inspect_path(&path).unwrap_or_else(|e| panic!("{triple}: {e}"));
        let arch = info.arches[0];
        assert_eq!(
            (arch.machine, arch.bits, arch.endian),
            (machine, bits, endian),
            "{triple}"
        );
        assert_eq!(info.kind, FileKind::Relocatable, "{triple}");
        assert!(info.is_static, "{triple}");
    }
}

#[test]
fn mingw_executables() {
    for (compiler, name, machine, bits) in [
        (MINGW_X86_64_GCC, "hosted-x86_64.exe", Machine::X86_64, 64),
        (MINGW_I686_GCC, "hosted-i686.exe", Machine::X86, 32),
    ] {
        let path = build_windows_executable(&compiler, name);
        let info = inspect_path(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(info.format, Format::Pe, "{name}");
        assert_eq!(info.os, Some(BinaryOs::Windows), "{name}");
        assert_eq!(info.arches[0].machine, machine, "{name}");
        assert_eq!(info.arches[0].bits, bits, "{name}");
        assert_eq!(info.kind, FileKind::Executable, "{name}");
        assert!(
            info.needed
                .iter()
                .any(|dll| dll.eq_ignore_ascii_case("kernel32.dll")),
            "{name}: {:?}",
            info.needed
        );
        assert!(!info.is_static, "{name}");
    }
}

#[test]
fn macho_object() {
    let path = build_macho_object("arm64-apple-macos11", "thin");
    let info = inspect_path(&path).unwrap();
    assert_eq!(info.format, Format::MachO);
    assert_eq!(info.os, Some(BinaryOs::Darwin));
    assert_eq!(info.kind, FileKind::Relocatable);
    assert_eq!(info.arches.len(), 1);
    assert_eq!(info.arches[0].machine, Machine::Aarch64);
    assert_eq!(info.arches[0].bits, 64);
    assert_eq!(info.arches[0].raw_machine, 0x0100_000c);
}

#[test]
fn macho_universal_object() {
    let path = build_universal_object();
    let info = inspect_path(&path).unwrap();
    assert_eq!(info.format, Format::MachOFat);
    assert_eq!(info.os, Some(BinaryOs::Darwin));
    let machines: Vec<Machine> = info.arches.iter().map(|arch| arch.machine).collect();
    assert_eq!(machines, vec![Machine::X86_64, Machine::Aarch64]);
    assert!(info.arches.iter().all(|arch| arch.bits == 64));
}

#[test]
fn system_ls_is_a_dynamic_pie() {
    let info = inspect_path(Path::new("/bin/ls")).unwrap();
    assert_eq!(info.format, Format::Elf);
    assert_eq!(info.os, Some(BinaryOs::Linux));
    assert!(info.is_pie);
    assert!(!info.is_static);
    assert!(!info.is_static_pie);
    let interpreter = info.interpreter.expect("ls has an interpreter");
    assert!(interpreter.contains("ld-linux"), "{interpreter}");
    assert!(
        info.needed.iter().any(|lib| lib == "libc.so.6"),
        "{:?}",
        info.needed
    );
    let glibc = info.max_glibc.expect("ls requires versioned glibc symbols");
    assert!(glibc >= GlibcVersion::new(2, 2, 5), "{glibc}");
}

#[test]
fn glibc_static_executable() {
    let path = build_host_executable("hosted-static", &["-static"]);
    let info = inspect_path(&path).unwrap();
    assert_eq!(info.kind, FileKind::Executable);
    assert_eq!(info.os, Some(BinaryOs::Linux));
    assert!(info.is_static);
    assert!(!info.is_static_pie);
    assert!(!info.is_pie);
    assert_eq!(info.interpreter, None);
    assert!(info.needed.is_empty());
    assert_eq!(info.max_glibc, None);
}

#[test]
fn glibc_static_pie_executable() {
    let path = build_host_executable("hosted-static-pie", &["-static-pie"]);
    let info = inspect_path(&path).unwrap();
    assert_eq!(info.kind, FileKind::SharedObject);
    assert_eq!(info.os, Some(BinaryOs::Linux));
    assert!(info.is_static);
    assert!(info.is_static_pie);
    assert!(info.is_pie);
    assert_eq!(info.interpreter, None);
}

#[test]
fn glibc_dynamic_executable() {
    let path = build_host_executable("hosted-dynamic", &["-fPIE", "-pie"]);
    let info = inspect_path(&path).unwrap();
    assert!(info.is_pie);
    assert!(!info.is_static);
    assert!(!info.is_static_pie);
    assert!(info.max_glibc.is_some());
    assert_eq!(info.needed, vec!["libc.so.6"]);
}

#[test]
fn serializes_to_json() {
    let path = build_universal_object();
    let info = inspect_path(&path).unwrap();
    let json = serde_json::to_value(&info).unwrap();
    assert_eq!(json["format"], "macho-fat");
    assert_eq!(json["os"], "darwin");
    assert_eq!(json["kind"], "relocatable");
    assert_eq!(json["arches"][0]["machine"], "x86-64");
    assert_eq!(json["arches"][1]["machine"], "aarch64");
    assert_eq!(json["arches"][1]["endian"], "little");
    assert_eq!(json["arches"][1]["bits"], 64);
    assert_eq!(json["elf_os_abi"], serde_json::Value::Null);

    let info = inspect_path(Path::new("/bin/ls")).unwrap();
    let json = serde_json::to_value(&info).unwrap();
    assert_eq!(json["format"], "elf");
    assert_eq!(json["os"], "linux");
    assert_eq!(json["kind"], "shared-object");
    let glibc = json["max_glibc"]
        .as_str()
        .expect("glibc version as a string");
    assert!(glibc.starts_with("2."), "{glibc}");
}

#[test]
fn every_file_in_usr_bin_inspects_without_panicking() {
    let mut elf_files = 0;
    for entry in std::fs::read_dir("/usr/bin").unwrap().flatten() {
        if let Ok(info) = inspect_path(&entry.path()) {
            if info.format == Format::Elf {
                elf_files += 1;
            }
        }
    }
    assert!(elf_files > 50, "only {elf_files} ELF files in /usr/bin");
}
