//! PE (Windows) inspection.
//!
//! Reads the COFF file header, the optional header and the section table, and
//! the import directory for the names of imported DLLs. Written by hand rather
//! than with `goblin::pe`, whose full parser reads much more (exports,
//! relocations, debug data) and can index past the end of hostile input.

use goblin::pe::characteristic::{IMAGE_FILE_DLL, IMAGE_FILE_EXECUTABLE_IMAGE};
use goblin::pe::dll_characteristic::IMAGE_DLLCHARACTERISTICS_DYNAMIC_BASE;
use goblin::pe::header::{
    COFF_MACHINE_ARM, COFF_MACHINE_ARM64, COFF_MACHINE_ARMNT, COFF_MACHINE_LOONGARCH64,
    COFF_MACHINE_POWERPC, COFF_MACHINE_RISCV32, COFF_MACHINE_RISCV64, COFF_MACHINE_X86,
    COFF_MACHINE_X86_64,
};

use crate::reader::{c_string, Reader};
use crate::sniff::{PE_POINTER_OFFSET, PE_SIGNATURE};
use crate::{ArchInfo, BinaryInfo, BinaryOs, Endian, FileKind, Format, InspectError, Machine};

/// Thumb-2 code (`IMAGE_FILE_MACHINE_THUMB`).
const COFF_MACHINE_THUMB: u16 = 0x1c2;
const COFF_HEADER_SIZE: u64 = 20;
const SECTION_HEADER_SIZE: u64 = 40;
const IMPORT_DESCRIPTOR_SIZE: u64 = 20;
const OPTIONAL_HEADER_MAGIC_PE32: u16 = 0x10b;
const OPTIONAL_HEADER_MAGIC_PE32_PLUS: u16 = 0x20b;
/// Index of the import table in the optional header's data directories.
const IMPORT_DIRECTORY_INDEX: u64 = 1;
const DATA_DIRECTORY_SIZE: u64 = 8;
/// Upper bound on import descriptors walked.
const MAX_IMPORTED_DLLS: u64 = 65_536;
/// Longest DLL name accepted.
const MAX_NAME_LEN: usize = 4096;

/// Where the fields this module needs sit inside the optional header.
struct OptionalHeaderLayout {
    bits: u8,
    dll_characteristics: u64,
    number_of_rva_and_sizes: u64,
    data_directories: u64,
}

const PE32_LAYOUT: OptionalHeaderLayout = OptionalHeaderLayout {
    bits: 32,
    dll_characteristics: 70,
    number_of_rva_and_sizes: 92,
    data_directories: 96,
};
const PE32_PLUS_LAYOUT: OptionalHeaderLayout = OptionalHeaderLayout {
    bits: 64,
    dll_characteristics: 70,
    number_of_rva_and_sizes: 108,
    data_directories: 112,
};

/// One row of the section table, reduced to address translation.
struct Section {
    virtual_address: u64,
    raw_size: u64,
    raw_offset: u64,
}

/// Inspects a PE image; `bytes` starts with `MZ`.
pub(crate) fn inspect(bytes: &[u8]) -> Result<BinaryInfo, InspectError> {
    let reader = Reader::new(bytes, Endian::Little);
    let pe_offset = reader
        .u32_at(PE_POINTER_OFFSET)
        .map(u64::from)
        .ok_or_else(|| {
            InspectError::truncated(format!(
                "DOS header needs {} bytes, file has {}",
                PE_POINTER_OFFSET + 4,
                bytes.len()
            ))
        })?;
    let coff = pe_offset.saturating_add(PE_SIGNATURE.len() as u64);
    if !reader.contains(pe_offset, PE_SIGNATURE.len() as u64 + COFF_HEADER_SIZE) {
        return Err(InspectError::truncated(format!(
            "PE header at offset {pe_offset:#x} extends past end of file (size {:#x})",
            bytes.len()
        )));
    }
    let field = |offset: u64| reader.u16_at(coff + offset).unwrap_or_default();
    let machine = field(0);
    let section_count = u64::from(field(2));
    let optional_header_size = u64::from(field(16));
    let characteristics = field(18);

    let optional_header_offset = coff + COFF_HEADER_SIZE;
    let optional_header = reader
        .bytes_at(optional_header_offset, optional_header_size)
        .ok_or_else(|| {
            InspectError::truncated(format!(
                "PE optional header ({optional_header_size} bytes at {optional_header_offset:#x}) \
                 extends past end of file (size {:#x})",
                bytes.len()
            ))
        })?;
    let optional_header = Reader::new(optional_header, Endian::Little);
    let layout = match optional_header.u16_at(0) {
        None => None,
        Some(OPTIONAL_HEADER_MAGIC_PE32) => Some(&PE32_LAYOUT),
        Some(OPTIONAL_HEADER_MAGIC_PE32_PLUS) => Some(&PE32_PLUS_LAYOUT),
        Some(magic) => {
            return Err(InspectError::malformed(format!(
                "PE optional header has unknown magic {magic:#x}"
            )));
        }
    };

    let sections = read_section_table(
        reader,
        optional_header_offset + optional_header_size,
        section_count,
    )?;
    let needed = match layout.and_then(|layout| import_directory_address(optional_header, layout)) {
        Some(address) => imported_dlls(reader, &sections, address)?,
        None => Vec::new(),
    };
    let dll_characteristics = layout
        .and_then(|layout| optional_header.u16_at(layout.dll_characteristics))
        .unwrap_or_default();

    let kind = if characteristics & IMAGE_FILE_DLL != 0 {
        FileKind::SharedObject
    } else if characteristics & IMAGE_FILE_EXECUTABLE_IMAGE != 0 {
        FileKind::Executable
    } else {
        FileKind::Other
    };
    let machine_kind = machine_from_coff(machine);
    let bits = layout.map_or_else(|| default_bits(machine_kind), |layout| layout.bits);

    Ok(BinaryInfo {
        format: Format::Pe,
        arches: vec![ArchInfo {
            machine: machine_kind,
            bits,
            endian: Endian::Little,
            raw_machine: u32::from(machine),
        }],
        os: Some(BinaryOs::Windows),
        elf_os_abi: None,
        kind,
        interpreter: None,
        is_static: needed.is_empty(),
        is_static_pie: false,
        is_pie: dll_characteristics & IMAGE_DLLCHARACTERISTICS_DYNAMIC_BASE != 0,
        needed,
        max_glibc: None,
        max_glibcxx: None,
    })
}

fn read_section_table(
    reader: Reader<'_>,
    offset: u64,
    count: u64,
) -> Result<Vec<Section>, InspectError> {
    // `count` is a u16, so the table is at most 65535 * 40 bytes.
    if !reader.contains(offset, count * SECTION_HEADER_SIZE) {
        return Err(InspectError::truncated(format!(
            "PE section table ({count} entries at {offset:#x}) extends past end of file \
             (size {:#x})",
            reader.len()
        )));
    }
    let sections = (0..count)
        .map(|index| {
            let row = offset + index * SECTION_HEADER_SIZE;
            let field = |at: u64| u64::from(reader.u32_at(row + at).unwrap_or_default());
            Section {
                virtual_address: field(12),
                raw_size: field(16),
                raw_offset: field(20),
            }
        })
        .collect();
    Ok(sections)
}

/// The RVA of the import table, if the image has one.
fn import_directory_address(
    optional_header: Reader<'_>,
    layout: &OptionalHeaderLayout,
) -> Option<u64> {
    let directory_count = u64::from(optional_header.u32_at(layout.number_of_rva_and_sizes)?);
    if directory_count <= IMPORT_DIRECTORY_INDEX {
        return None;
    }
    let entry = layout.data_directories + IMPORT_DIRECTORY_INDEX * DATA_DIRECTORY_SIZE;
    let address = optional_header.u32_at(entry)?;
    (address != 0).then_some(u64::from(address))
}

/// Translates a relative virtual address to a file offset.
fn rva_to_offset(sections: &[Section], rva: u64) -> Option<u64> {
    sections.iter().find_map(|section| {
        let delta = rva.checked_sub(section.virtual_address)?;
        (delta < section.raw_size).then(|| section.raw_offset.checked_add(delta))?
    })
}

/// Names of the DLLs listed in the import directory, in order.
fn imported_dlls(
    reader: Reader<'_>,
    sections: &[Section],
    directory_rva: u64,
) -> Result<Vec<String>, InspectError> {
    let directory = rva_to_offset(sections, directory_rva).ok_or_else(|| {
        InspectError::malformed(format!(
            "PE import directory address {directory_rva:#x} is not inside any section"
        ))
    })?;
    let mut dlls = Vec::new();
    for index in 0..=MAX_IMPORTED_DLLS {
        if index == MAX_IMPORTED_DLLS {
            return Err(InspectError::malformed(format!(
                "PE import directory has more than {MAX_IMPORTED_DLLS} entries"
            )));
        }
        let descriptor_offset = directory + index * IMPORT_DESCRIPTOR_SIZE;
        let descriptor = reader
            .bytes_at(descriptor_offset, IMPORT_DESCRIPTOR_SIZE)
            .ok_or_else(|| {
                InspectError::truncated(format!(
                    "PE import descriptor {index} at {descriptor_offset:#x} extends past end of \
                     file"
                ))
            })?;
        let name_rva = u64::from(reader.u32_at(descriptor_offset + 12).unwrap_or_default());
        if name_rva == 0 || descriptor.iter().all(|&byte| byte == 0) {
            break;
        }
        let name = rva_to_offset(sections, name_rva)
            .and_then(|offset| reader.bytes_at(offset, reader.len().saturating_sub(offset)))
            .and_then(|tail| c_string(tail, MAX_NAME_LEN))
            .ok_or_else(|| {
                InspectError::malformed(format!(
                    "PE import descriptor {index} has an invalid DLL name address {name_rva:#x}"
                ))
            })?;
        dlls.push(String::from_utf8_lossy(name).into_owned());
    }
    Ok(dlls)
}

fn machine_from_coff(machine: u16) -> Machine {
    match machine {
        COFF_MACHINE_X86_64 => Machine::X86_64,
        COFF_MACHINE_X86 => Machine::X86,
        COFF_MACHINE_ARM64 => Machine::Aarch64,
        COFF_MACHINE_ARMNT | COFF_MACHINE_ARM | COFF_MACHINE_THUMB => Machine::Arm,
        COFF_MACHINE_RISCV64 => Machine::RiscV64,
        COFF_MACHINE_RISCV32 => Machine::RiscV32,
        COFF_MACHINE_LOONGARCH64 => Machine::LoongArch64,
        COFF_MACHINE_POWERPC => Machine::PowerPc,
        _ => Machine::Other,
    }
}

/// Address size implied by the machine when there is no optional header.
fn default_bits(machine: Machine) -> u8 {
    match machine {
        Machine::X86_64 | Machine::Aarch64 | Machine::RiscV64 | Machine::LoongArch64 => 64,
        _ => 32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect_bytes;
    use crate::test_images::{build_pe, patch, PeSpec, PE_HEADER_OFFSET};

    #[test]
    fn pe32_plus_executable_with_imports() {
        let image = build_pe(&PeSpec {
            imports: vec!["KERNEL32.dll", "msvcrt.dll"],
            ..PeSpec::default()
        });
        let info = inspect_bytes(&image).unwrap();
        assert_eq!(info.format, Format::Pe);
        assert_eq!(
            info.arches,
            vec![ArchInfo {
                machine: Machine::X86_64,
                bits: 64,
                endian: Endian::Little,
                raw_machine: 0x8664
            }]
        );
        assert_eq!(info.os, Some(BinaryOs::Windows));
        assert_eq!(info.kind, FileKind::Executable);
        assert_eq!(info.needed, vec!["KERNEL32.dll", "msvcrt.dll"]);
        assert!(info.is_pie);
        assert!(!info.is_static);
        assert_eq!(info.interpreter, None);
    }

    #[test]
    fn machines_and_dlls() {
        for (machine, pe32_plus, expected, bits) in [
            (0x14c, false, Machine::X86, 32),
            (0xaa64, true, Machine::Aarch64, 64),
            (0x1c4, false, Machine::Arm, 32),
            (0x5064, true, Machine::RiscV64, 64),
            (0x9041, false, Machine::Other, 32),
        ] {
            let image = build_pe(&PeSpec {
                machine,
                pe32_plus,
                characteristics: 0x2102, // DLL, executable image, 32-bit
                dll_characteristics: 0,
                imports: vec!["ntdll.dll"],
            });
            let info = inspect_bytes(&image).unwrap();
            assert_eq!(info.arches[0].machine, expected);
            assert_eq!(info.arches[0].bits, bits);
            assert_eq!(info.arches[0].raw_machine, u32::from(machine));
            assert_eq!(info.kind, FileKind::SharedObject);
            assert!(!info.is_pie);
            assert_eq!(info.needed, vec!["ntdll.dll"]);
        }
    }

    #[test]
    fn image_without_imports_is_static() {
        let info = inspect_bytes(&build_pe(&PeSpec::default())).unwrap();
        assert!(info.needed.is_empty());
        assert!(info.is_static);
    }

    #[test]
    fn truncated_and_hostile_images() {
        let image = build_pe(&PeSpec {
            imports: vec!["KERNEL32.dll"],
            ..PeSpec::default()
        });
        for length in [0x3e, 0x90, 0x100, 0x190, 0x200, 0x410] {
            assert!(
                matches!(
                    inspect_bytes(&image[..length]),
                    Err(InspectError::Truncated { .. })
                ),
                "prefix {length}"
            );
        }
        let mut far_header = image.clone();
        patch(&mut far_header, 0x3c, Endian::Little, 4, 0xffff_fff0);
        assert!(matches!(
            inspect_bytes(&far_header),
            Err(InspectError::Truncated { .. })
        ));

        let coff = PE_HEADER_OFFSET + 4;
        let mut many_sections = image.clone();
        patch(&mut many_sections, coff + 2, Endian::Little, 2, 0xffff);
        assert!(matches!(
            inspect_bytes(&many_sections),
            Err(InspectError::Truncated { .. })
        ));

        let mut bad_magic = image.clone();
        patch(&mut bad_magic, coff + 20, Endian::Little, 2, 0x1234);
        assert!(matches!(
            inspect_bytes(&bad_magic),
            Err(InspectError::Malformed { .. })
        ));

        // Import directory RVA (data directory 1 of PE32+) outside all sections.
        let import_rva = coff + 20 + 112 + 8;
        let mut far_imports = image.clone();
        patch(&mut far_imports, import_rva, Endian::Little, 4, 0x7fff_0000);
        assert!(matches!(
            inspect_bytes(&far_imports),
            Err(InspectError::Malformed { .. })
        ));

        // DLL name RVA of the first descriptor outside all sections.
        let mut far_name = image.clone();
        patch(&mut far_name, 0x400 + 12, Endian::Little, 4, 0x7fff_0000);
        assert!(matches!(
            inspect_bytes(&far_name),
            Err(InspectError::Malformed { .. })
        ));

        for length in 0..image.len() {
            let _ = inspect_bytes(&image[..length]);
        }
    }
}
