//! Mach-O inspection, thin and universal ("fat").
//!
//! Reads the Mach-O header and walks the load commands, which sit right after
//! it, for the dylibs and the dynamic linker. Segment contents, symbol tables
//! and dyld info are never touched.

use goblin::mach::constants::cputype::{
    CPU_TYPE_ARM, CPU_TYPE_ARM64, CPU_TYPE_ARM64_32, CPU_TYPE_POWERPC, CPU_TYPE_POWERPC64,
    CPU_TYPE_X86, CPU_TYPE_X86_64,
};
use goblin::mach::header::{
    MH_BUNDLE, MH_CORE, MH_DYLIB, MH_EXECUTE, MH_MAGIC, MH_MAGIC_64, MH_OBJECT, MH_PIE,
};
use goblin::mach::load_command::{
    LC_LAZY_LOAD_DYLIB, LC_LOAD_DYLIB, LC_LOAD_DYLINKER, LC_LOAD_UPWARD_DYLIB, LC_LOAD_WEAK_DYLIB,
    LC_REEXPORT_DYLIB,
};

use crate::reader::{c_string, Reader};
use crate::sniff::MAX_FAT_SLICES;
use crate::{ArchInfo, BinaryInfo, BinaryOs, Endian, FileKind, Format, InspectError, Machine};

/// Upper bound on load commands walked in one image.
const MAX_LOAD_COMMANDS: u32 = 65_536;
/// Longest dylib or dynamic-linker path accepted.
const MAX_NAME_LEN: usize = 4096;
/// Smallest possible load command: `cmd` and `cmdsize`.
const LOAD_COMMAND_HEADER_SIZE: u64 = 8;

const FAT_MAGIC_64: u32 = 0xcafe_babf;
const FAT_HEADER_SIZE: u64 = 8;
const FAT_ARCH_SIZE: u64 = 20;
const FAT_ARCH_64_SIZE: u64 = 32;

/// What one Mach-O image (a thin file or one slice) says about itself.
struct MachImage {
    arch: ArchInfo,
    kind: FileKind,
    is_pie: bool,
    dylibs: Vec<String>,
    dynamic_linker: Option<String>,
}

/// Inspects a single-architecture Mach-O file.
pub(crate) fn inspect_thin(bytes: &[u8]) -> Result<BinaryInfo, InspectError> {
    let image = parse_image(bytes)?;
    Ok(BinaryInfo {
        format: Format::MachO,
        arches: vec![image.arch],
        os: Some(BinaryOs::Darwin),
        elf_os_abi: None,
        kind: image.kind,
        is_static: image.dylibs.is_empty(),
        is_static_pie: false,
        is_pie: image.is_pie,
        interpreter: image.dynamic_linker,
        needed: image.dylibs,
        max_glibc: None,
        max_glibcxx: None,
    })
}

/// Inspects a Mach-O universal file, parsing the header of every slice.
pub(crate) fn inspect_fat(bytes: &[u8]) -> Result<BinaryInfo, InspectError> {
    let header = Reader::new(bytes, Endian::Big);
    let (Some(magic), Some(slice_count)) = (header.u32_at(0), header.u32_at(4)) else {
        return Err(InspectError::truncated(format!(
            "Mach-O universal header needs {FAT_HEADER_SIZE} bytes, file has {}",
            bytes.len()
        )));
    };
    if slice_count == 0 || slice_count > MAX_FAT_SLICES {
        return Err(InspectError::malformed(format!(
            "Mach-O universal header claims {slice_count} slices (expected 1 to {MAX_FAT_SLICES})"
        )));
    }
    // Anything but the 64-bit magic is read as the classic 32-bit table.
    let is_fat_64 = magic == FAT_MAGIC_64;
    let entry_size = if is_fat_64 {
        FAT_ARCH_64_SIZE
    } else {
        FAT_ARCH_SIZE
    };
    let table_size = u64::from(slice_count) * entry_size;
    if !header.contains(FAT_HEADER_SIZE, table_size) {
        return Err(InspectError::truncated(format!(
            "Mach-O universal slice table ({slice_count} entries) extends past end of file \
             (size {:#x})",
            bytes.len()
        )));
    }

    let mut images = Vec::with_capacity(slice_count as usize);
    for index in 0..u64::from(slice_count) {
        let entry = FAT_HEADER_SIZE + index * entry_size;
        let fat_cputype = header.u32_at(entry).unwrap_or_default();
        let (offset, size) = if is_fat_64 {
            (header.u64_at(entry + 8), header.u64_at(entry + 16))
        } else {
            (
                header.u32_at(entry + 8).map(u64::from),
                header.u32_at(entry + 12).map(u64::from),
            )
        };
        let (offset, size) = (offset.unwrap_or_default(), size.unwrap_or_default());
        let slice = header.bytes_at(offset, size).ok_or_else(|| {
            InspectError::truncated(format!(
                "Mach-O universal slice {index} (offset {offset:#x}, size {size:#x}) extends \
                 past end of file (size {:#x})",
                bytes.len()
            ))
        })?;
        if slice.starts_with(b"!<arch>\n") {
            return Err(InspectError::UnknownFormat {
                description: "universal ar archive".to_owned(),
            });
        }
        let image = parse_image(slice).map_err(|error| match error {
            InspectError::UnknownFormat { .. } => InspectError::malformed(format!(
                "Mach-O universal slice {index} is not a Mach-O file"
            )),
            other => other,
        })?;
        if image.arch.raw_machine != fat_cputype {
            return Err(InspectError::malformed(format!(
                "Mach-O universal slice {index} is listed as cputype {fat_cputype:#x} but its \
                 header says {:#x}",
                image.arch.raw_machine
            )));
        }
        images.push(image);
    }
    Ok(merge_slices(images))
}

fn merge_slices(images: Vec<MachImage>) -> BinaryInfo {
    let kind = images.first().map_or(FileKind::Other, |image| image.kind);
    let is_pie = !images.is_empty() && images.iter().all(|image| image.is_pie);
    let mut arches = Vec::with_capacity(images.len());
    let mut needed: Vec<String> = Vec::new();
    let mut interpreter = None;
    for image in images {
        arches.push(image.arch);
        interpreter = interpreter.or(image.dynamic_linker);
        for dylib in image.dylibs {
            if !needed.contains(&dylib) {
                needed.push(dylib);
            }
        }
    }
    BinaryInfo {
        format: Format::MachOFat,
        arches,
        os: Some(BinaryOs::Darwin),
        elf_os_abi: None,
        kind,
        is_static: needed.is_empty(),
        is_static_pie: false,
        is_pie,
        interpreter,
        needed,
        max_glibc: None,
        max_glibcxx: None,
    }
}

/// Parses one thin Mach-O image: header and load commands.
fn parse_image(bytes: &[u8]) -> Result<MachImage, InspectError> {
    let magic_bytes = crate::reader::magic(bytes).ok_or_else(|| {
        InspectError::truncated(format!(
            "Mach-O header needs at least 4 bytes, file has {}",
            bytes.len()
        ))
    })?;
    let (endian, is_64) = if u32::from_le_bytes(magic_bytes) == MH_MAGIC {
        (Endian::Little, false)
    } else if u32::from_le_bytes(magic_bytes) == MH_MAGIC_64 {
        (Endian::Little, true)
    } else if u32::from_be_bytes(magic_bytes) == MH_MAGIC {
        (Endian::Big, false)
    } else if u32::from_be_bytes(magic_bytes) == MH_MAGIC_64 {
        (Endian::Big, true)
    } else {
        return Err(InspectError::UnknownFormat {
            description: "data".to_owned(),
        });
    };
    let reader = Reader::new(bytes, endian);
    let header_size: u64 = if is_64 { 32 } else { 28 };
    let (Some(cputype), Some(filetype), Some(command_count), Some(commands_size), Some(flags)) = (
        reader.u32_at(4),
        reader.u32_at(12),
        reader.u32_at(16),
        reader.u32_at(20),
        reader.u32_at(24),
    ) else {
        return Err(InspectError::truncated(format!(
            "Mach-O header needs {header_size} bytes, file has {}",
            bytes.len()
        )));
    };
    if !reader.contains(0, header_size) {
        return Err(InspectError::truncated(format!(
            "Mach-O header needs {header_size} bytes, file has {}",
            bytes.len()
        )));
    }
    let commands = reader
        .bytes_at(header_size, u64::from(commands_size))
        .ok_or_else(|| {
            InspectError::truncated(format!(
                "Mach-O load commands ({commands_size} bytes) extend past end of file (size {:#x})",
                bytes.len()
            ))
        })?;
    if command_count > MAX_LOAD_COMMANDS
        || u64::from(command_count) * LOAD_COMMAND_HEADER_SIZE > u64::from(commands_size)
    {
        return Err(InspectError::malformed(format!(
            "Mach-O header claims {command_count} load commands in {commands_size} bytes"
        )));
    }
    let (dylibs, dynamic_linker) =
        walk_load_commands(Reader::new(commands, endian), command_count)?;

    Ok(MachImage {
        arch: ArchInfo {
            machine: machine_from_cputype(cputype),
            bits: if is_64 { 64 } else { 32 },
            endian,
            raw_machine: cputype,
        },
        kind: match filetype {
            MH_OBJECT => FileKind::Relocatable,
            MH_EXECUTE => FileKind::Executable,
            MH_DYLIB | MH_BUNDLE => FileKind::SharedObject,
            MH_CORE => FileKind::Core,
            _ => FileKind::Other,
        },
        is_pie: flags & MH_PIE != 0,
        dylibs,
        dynamic_linker,
    })
}

/// Collects dylib names and the dynamic linker from the load commands.
fn walk_load_commands(
    commands: Reader<'_>,
    command_count: u32,
) -> Result<(Vec<String>, Option<String>), InspectError> {
    let mut dylibs = Vec::new();
    let mut dynamic_linker = None;
    let mut offset = 0u64;
    for index in 0..command_count {
        let (Some(command), Some(command_size)) =
            (commands.u32_at(offset), commands.u32_at(offset + 4))
        else {
            return Err(InspectError::malformed(format!(
                "Mach-O load command {index} starts past the end of the load command area"
            )));
        };
        let command_size = u64::from(command_size);
        let body = commands
            .bytes_at(offset, command_size)
            .filter(|_| command_size >= LOAD_COMMAND_HEADER_SIZE)
            .ok_or_else(|| {
                InspectError::malformed(format!(
                    "Mach-O load command {index} has invalid size {command_size}"
                ))
            })?;
        match command {
            LC_LOAD_DYLIB | LC_LOAD_WEAK_DYLIB | LC_REEXPORT_DYLIB | LC_LAZY_LOAD_DYLIB
            | LC_LOAD_UPWARD_DYLIB => dylibs.push(command_string(body, commands, index)?),
            LC_LOAD_DYLINKER if dynamic_linker.is_none() => {
                dynamic_linker = Some(command_string(body, commands, index)?);
            }
            _ => {}
        }
        offset += command_size;
    }
    Ok((dylibs, dynamic_linker))
}

/// The path a dylib or dylinker command points at: an offset (from the
/// command's start) stored right after `cmd` and `cmdsize`.
fn command_string(body: &[u8], commands: Reader<'_>, index: u32) -> Result<String, InspectError> {
    let body_reader = Reader::new(body, commands.endian());
    let name = body_reader
        .u32_at(LOAD_COMMAND_HEADER_SIZE)
        .and_then(|name_offset| usize::try_from(name_offset).ok())
        .and_then(|name_offset| body.get(name_offset..))
        .and_then(|tail| {
            // Names are NUL padded, but tolerate one that fills the command.
            c_string(tail, MAX_NAME_LEN).or((tail.len() <= MAX_NAME_LEN).then_some(tail))
        })
        .ok_or_else(|| {
            InspectError::malformed(format!("Mach-O load command {index} has an invalid path"))
        })?;
    Ok(String::from_utf8_lossy(name).into_owned())
}

fn machine_from_cputype(cputype: u32) -> Machine {
    match cputype {
        CPU_TYPE_X86_64 => Machine::X86_64,
        CPU_TYPE_X86 => Machine::X86,
        CPU_TYPE_ARM64 | CPU_TYPE_ARM64_32 => Machine::Aarch64,
        CPU_TYPE_ARM => Machine::Arm,
        CPU_TYPE_POWERPC64 => Machine::PowerPc64,
        CPU_TYPE_POWERPC => Machine::PowerPc,
        _ => Machine::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect_bytes;
    use crate::test_images::{build_fat, build_macho, patch, MachOSpec};

    fn arm64_executable() -> MachOSpec {
        MachOSpec {
            dylibs: vec!["/usr/lib/libSystem.B.dylib", "/usr/lib/libc++.1.dylib"],
            dylinker: Some("/usr/lib/dyld"),
            ..MachOSpec::default()
        }
    }

    #[test]
    fn thin_executable() {
        let info = inspect_bytes(&build_macho(&arm64_executable())).unwrap();
        assert_eq!(info.format, Format::MachO);
        assert_eq!(
            info.arches,
            vec![ArchInfo {
                machine: Machine::Aarch64,
                bits: 64,
                endian: Endian::Little,
                raw_machine: CPU_TYPE_ARM64
            }]
        );
        assert_eq!(info.os, Some(BinaryOs::Darwin));
        assert_eq!(info.elf_os_abi, None);
        assert_eq!(info.kind, FileKind::Executable);
        assert_eq!(info.interpreter.as_deref(), Some("/usr/lib/dyld"));
        assert_eq!(
            info.needed,
            vec!["/usr/lib/libSystem.B.dylib", "/usr/lib/libc++.1.dylib"]
        );
        assert!(info.is_pie);
        assert!(!info.is_static);
        assert!(!info.is_static_pie);
        assert_eq!(info.max_glibc, None);
    }

    #[test]
    fn thin_object_and_big_endian() {
        let object = build_macho(&MachOSpec {
            cputype: CPU_TYPE_X86_64,
            filetype: MH_OBJECT,
            flags: 0,
            ..MachOSpec::default()
        });
        let info = inspect_bytes(&object).unwrap();
        assert_eq!(info.kind, FileKind::Relocatable);
        assert_eq!(info.arches[0].machine, Machine::X86_64);
        assert!(info.is_static);
        assert!(!info.is_pie);

        let powerpc = build_macho(&MachOSpec {
            is_64: false,
            endian: Endian::Big,
            cputype: CPU_TYPE_POWERPC,
            filetype: MH_DYLIB,
            dylibs: vec!["/usr/lib/libSystem.B.dylib"],
            ..MachOSpec::default()
        });
        let info = inspect_bytes(&powerpc).unwrap();
        assert_eq!(info.arches[0].machine, Machine::PowerPc);
        assert_eq!(info.arches[0].bits, 32);
        assert_eq!(info.arches[0].endian, Endian::Big);
        assert_eq!(info.kind, FileKind::SharedObject);
        assert_eq!(info.needed, vec!["/usr/lib/libSystem.B.dylib"]);
    }

    #[test]
    fn universal_binary_lists_every_slice() {
        let arm64 = build_macho(&arm64_executable());
        let x86_64 = build_macho(&MachOSpec {
            cputype: CPU_TYPE_X86_64,
            dylibs: vec!["/usr/lib/libSystem.B.dylib", "/usr/lib/libx86only.dylib"],
            dylinker: Some("/usr/lib/dyld"),
            ..MachOSpec::default()
        });
        let fat = build_fat(&[(CPU_TYPE_X86_64, x86_64), (CPU_TYPE_ARM64, arm64)]);
        let info = inspect_bytes(&fat).unwrap();
        assert_eq!(info.format, Format::MachOFat);
        let machines: Vec<Machine> = info.arches.iter().map(|a| a.machine).collect();
        assert_eq!(machines, vec![Machine::X86_64, Machine::Aarch64]);
        assert_eq!(
            info.needed,
            vec![
                "/usr/lib/libSystem.B.dylib",
                "/usr/lib/libx86only.dylib",
                "/usr/lib/libc++.1.dylib"
            ]
        );
        assert_eq!(info.os, Some(BinaryOs::Darwin));
        assert!(info.is_pie);
    }

    #[test]
    fn universal_binary_errors() {
        let arm64 = build_macho(&arm64_executable());
        let fat = build_fat(&[(CPU_TYPE_ARM64, arm64.clone())]);

        let mismatched = build_fat(&[(CPU_TYPE_X86_64, arm64.clone())]);
        assert!(matches!(
            inspect_bytes(&mismatched),
            Err(InspectError::Malformed { .. })
        ));

        assert!(matches!(
            inspect_bytes(&fat[..fat.len() - 1]),
            Err(InspectError::Truncated { .. })
        ));

        let mut far_slice = fat.clone();
        patch(&mut far_slice, 8 + 8, Endian::Big, 4, 0xffff_fff0);
        assert!(matches!(
            inspect_bytes(&far_slice),
            Err(InspectError::Truncated { .. })
        ));

        let mut no_slices = fat.clone();
        patch(&mut no_slices, 4, Endian::Big, 4, 0);
        assert!(matches!(
            inspect_bytes(&no_slices),
            Err(InspectError::Malformed { .. })
        ));

        let nested = build_fat(&[(CPU_TYPE_ARM64, fat.clone())]);
        assert!(matches!(
            inspect_bytes(&nested),
            Err(InspectError::Malformed { .. })
        ));

        let archive = build_fat(&[(CPU_TYPE_ARM64, b"!<arch>\nmember".to_vec())]);
        assert!(matches!(
            inspect_bytes(&archive),
            Err(InspectError::UnknownFormat { .. })
        ));
    }

    #[test]
    fn hostile_load_commands() {
        let image = build_macho(&arm64_executable());
        // ncmds far larger than sizeofcmds allows.
        let mut many = image.clone();
        patch(&mut many, 16, Endian::Little, 4, u64::from(u32::MAX));
        assert!(matches!(
            inspect_bytes(&many),
            Err(InspectError::Malformed { .. })
        ));
        // sizeofcmds past the end of the file.
        let mut long = image.clone();
        patch(&mut long, 20, Endian::Little, 4, u64::from(u32::MAX));
        assert!(matches!(
            inspect_bytes(&long),
            Err(InspectError::Truncated { .. })
        ));
        // First command with cmdsize 0 (would loop forever if accepted).
        let mut zero = image.clone();
        patch(&mut zero, 32 + 4, Endian::Little, 4, 0);
        assert!(matches!(
            inspect_bytes(&zero),
            Err(InspectError::Malformed { .. })
        ));
        // Name offset pointing outside the command.
        let mut name = image.clone();
        patch(&mut name, 32 + 8, Endian::Little, 4, 0xffff);
        assert!(matches!(
            inspect_bytes(&name),
            Err(InspectError::Malformed { .. })
        ));
        // Every prefix shorter than header plus load commands fails.
        let commands_size = u32::from_le_bytes(image[20..24].try_into().unwrap());
        for length in 0..32 + commands_size as usize {
            assert!(inspect_bytes(&image[..length]).is_err(), "prefix {length}");
        }
    }
}
