//! ELF inspection.
//!
//! Only the file header, the program header table, and what the program
//! headers point at (interpreter, dynamic section, notes) are read. The
//! section header table is consulted only as a fallback: for notes when there
//! is no `PT_NOTE` (relocatable objects) and for `.gnu.version_r` when the
//! dynamic section has no `DT_VERNEED`. Symbol tables and relocations are
//! never touched, so the cost does not depend on the size of the file.

use goblin::container::{Container, Ctx};
use goblin::elf::dynamic::{
    DF_1_PIE, DT_FLAGS_1, DT_NEEDED, DT_NULL, DT_SONAME, DT_STRSZ, DT_STRTAB, DT_VERNEED,
    DT_VERNEEDNUM,
};
use goblin::elf::header::{
    self, EI_OSABI, ELFOSABI_FREEBSD, ELFOSABI_LINUX, ELFOSABI_NETBSD, ELFOSABI_OPENBSD, EM_386,
    EM_AARCH64, EM_ARM, EM_LOONGARCH, EM_MIPS, EM_PPC, EM_PPC64, EM_RISCV, EM_S390, EM_SPARCV9,
    EM_X86_64, ET_CORE, ET_DYN, ET_EXEC, ET_REL,
};
use goblin::elf::note::NT_GNU_ABI_TAG;
use goblin::elf::program_header::{ProgramHeader, PT_DYNAMIC, PT_INTERP, PT_LOAD, PT_NOTE};
use goblin::elf::section_header::{SectionHeader, SHT_GNU_VERNEED, SHT_NOTE};

use crate::reader::{align_up, c_string, Reader};
use crate::{
    ArchInfo, BinaryInfo, BinaryOs, Endian, FileKind, Format, GlibcVersion, InspectError, Machine,
};

/// The highest `GLIBC_` and `GLIBCXX_` versions a file requires.
type VersionMaxima = (Option<GlibcVersion>, Option<GlibcVersion>);

/// `e_ident` is this long; it holds the magic, class, byte order and OS ABI.
const IDENT_SIZE: usize = 16;
const EI_CLASS: usize = 4;
const EI_DATA: usize = 5;
const ELFCLASS32: u8 = 1;
const ELFCLASS64: u8 = 2;
const ELFDATA2LSB: u8 = 1;
const ELFDATA2MSB: u8 = 2;

/// Upper bounds on every count read from a file, so hostile input cannot make
/// the inspector loop or allocate without limit.
const MAX_SECTIONS: u64 = 65_536;
const MAX_DYNAMIC_ENTRIES: u64 = 65_536;
const MAX_NOTES: usize = 65_536;
const MAX_VERNEED_FILES: u64 = 65_536;
const MAX_VERNEED_VERSIONS: usize = 65_536;
/// Longest interpreter path, library name or version name accepted (PATH_MAX).
const MAX_NAME_LEN: usize = 4096;

/// Inspects an ELF file; `bytes` starts with the ELF magic.
pub(crate) fn inspect(bytes: &[u8]) -> Result<BinaryInfo, InspectError> {
    let elf = ElfFile::parse(bytes)?;
    let interpreter = elf.interpreter()?;
    let dynamic = elf.dynamic_section()?;
    let needed = match &dynamic {
        Some(dynamic) => elf.needed_libraries(dynamic)?,
        None => Vec::new(),
    };
    let (max_glibc, max_glibcxx) = elf.max_glibc_version(dynamic.as_ref())?;
    let os_abi = elf.os_abi();
    let os = match os_from_os_abi(os_abi) {
        Some(os) => Some(os),
        None => elf
            .os_from_notes()?
            .or_else(|| interpreter.as_deref().and_then(os_from_interpreter)),
    };

    // ET_DYN covers both shared libraries and PIE executables. DF_1_PIE
    // (set by current linkers) settles it; without it, an executable is
    // recognized by an interpreter (or, for static PIE, an entry point) and
    // a library by its DT_SONAME.
    let e_type = elf.header.e_type;
    let has_interpreter = interpreter.is_some();
    let flags_pie = dynamic.as_ref().is_some_and(|d| d.flags_1 & DF_1_PIE != 0);
    let has_soname = dynamic.as_ref().is_some_and(|d| d.has_soname);
    let is_static_pie = e_type == ET_DYN
        && !has_interpreter
        && needed.is_empty()
        && dynamic.is_some()
        && (flags_pie || (!has_soname && elf.header.e_entry != 0));
    let is_pie =
        e_type == ET_DYN && (flags_pie || is_static_pie || (has_interpreter && !has_soname));

    Ok(BinaryInfo {
        format: Format::Elf,
        arches: vec![elf.arch()],
        os,
        elf_os_abi: Some(os_abi),
        kind: file_kind(e_type),
        is_static: !has_interpreter && needed.is_empty(),
        is_static_pie,
        is_pie,
        interpreter,
        needed,
        max_glibc,
        max_glibcxx,
    })
}

/// A validated ELF header plus its program headers.
struct ElfFile<'a> {
    reader: Reader<'a>,
    ctx: Ctx,
    header: header::Header,
    program_headers: Vec<ProgramHeader>,
}

/// What the inspector needs from the `PT_DYNAMIC` entries.
#[derive(Debug, Default)]
struct DynamicSection {
    needed_name_offsets: Vec<u64>,
    string_table_address: Option<u64>,
    string_table_size: Option<u64>,
    verneed_address: Option<u64>,
    verneed_count: Option<u64>,
    flags_1: u64,
    has_soname: bool,
}

impl<'a> ElfFile<'a> {
    fn parse(bytes: &'a [u8]) -> Result<Self, InspectError> {
        let ident = bytes.get(..IDENT_SIZE).ok_or_else(|| {
            InspectError::truncated(format!(
                "ELF identification needs {IDENT_SIZE} bytes, file has {}",
                bytes.len()
            ))
        })?;
        let (container, header_size) = match ident[EI_CLASS] {
            ELFCLASS32 => (Container::Little, 52),
            ELFCLASS64 => (Container::Big, 64),
            class => {
                return Err(InspectError::malformed(format!(
                    "invalid ELF class {class}"
                )));
            }
        };
        let endian = match ident[EI_DATA] {
            ELFDATA2LSB => Endian::Little,
            ELFDATA2MSB => Endian::Big,
            data => {
                return Err(InspectError::malformed(format!(
                    "invalid ELF byte order {data}"
                )));
            }
        };
        if bytes.len() < header_size {
            return Err(InspectError::truncated(format!(
                "ELF header needs {header_size} bytes, file has {}",
                bytes.len()
            )));
        }
        let header = goblin::elf::Elf::parse_header(bytes)
            .map_err(|error| InspectError::malformed(format!("ELF header: {error}")))?;
        let scroll_endian = match endian {
            Endian::Little => goblin::container::Endian::Little,
            Endian::Big => goblin::container::Endian::Big,
        };
        let ctx = Ctx::new(container, scroll_endian);
        let reader = Reader::new(bytes, endian);

        let mut elf = ElfFile {
            reader,
            ctx,
            header,
            program_headers: Vec::new(),
        };
        elf.program_headers = elf.parse_program_headers()?;
        elf.check_loadable_segments()?;
        elf.check_section_header_table()?;
        Ok(elf)
    }

    fn is_64(&self) -> bool {
        self.ctx.container == Container::Big
    }

    fn os_abi(&self) -> u8 {
        self.header.e_ident[EI_OSABI]
    }

    fn arch(&self) -> ArchInfo {
        let is_64 = self.is_64();
        let machine = match self.header.e_machine {
            EM_X86_64 => Machine::X86_64,
            EM_386 => Machine::X86,
            EM_AARCH64 => Machine::Aarch64,
            EM_ARM => Machine::Arm,
            EM_RISCV if is_64 => Machine::RiscV64,
            EM_RISCV => Machine::RiscV32,
            EM_PPC64 => Machine::PowerPc64,
            EM_PPC => Machine::PowerPc,
            EM_S390 if is_64 => Machine::S390x,
            EM_LOONGARCH if is_64 => Machine::LoongArch64,
            EM_MIPS if is_64 => Machine::Mips64,
            EM_MIPS => Machine::Mips,
            EM_SPARCV9 => Machine::Sparc64,
            _ => Machine::Other,
        };
        ArchInfo {
            machine,
            bits: if is_64 { 64 } else { 32 },
            endian: self.reader_endian(),
            raw_machine: u32::from(self.header.e_machine),
        }
    }

    fn reader_endian(&self) -> Endian {
        if self.ctx.is_little_endian() {
            Endian::Little
        } else {
            Endian::Big
        }
    }

    fn parse_program_headers(&self) -> Result<Vec<ProgramHeader>, InspectError> {
        let count = u64::from(self.header.e_phnum);
        if count == 0 {
            return Ok(Vec::new());
        }
        let entry_size = ProgramHeader::size(self.ctx) as u64;
        if u64::from(self.header.e_phentsize) != entry_size {
            return Err(InspectError::malformed(format!(
                "ELF program header entry size is {}, expected {entry_size}",
                self.header.e_phentsize
            )));
        }
        let offset = self.header.e_phoff;
        // `count` is at most 65535 (a u16), so this cannot overflow.
        let table_size = count * entry_size;
        if !self.reader.contains(offset, table_size) {
            return Err(InspectError::truncated(format!(
                "ELF program header table (offset {offset:#x}, {count} entries) extends past \
                 end of file (size {:#x})",
                self.reader.len()
            )));
        }
        let table = self.reader.bytes_at(offset, table_size).unwrap_or_default();
        ProgramHeader::parse(table, 0, count as usize, self.ctx)
            .map_err(|error| InspectError::malformed(format!("ELF program headers: {error}")))
    }

    /// A file cut short almost always loses the end of a loadable segment.
    fn check_loadable_segments(&self) -> Result<(), InspectError> {
        for (index, segment) in self.program_headers.iter().enumerate() {
            if segment.p_type == PT_LOAD
                && !self.reader.contains(segment.p_offset, segment.p_filesz)
            {
                return Err(InspectError::truncated(format!(
                    "ELF loadable segment {index} (offset {:#x}, size {:#x}) extends past end of \
                     file (size {:#x})",
                    segment.p_offset,
                    segment.p_filesz,
                    self.reader.len()
                )));
            }
        }
        Ok(())
    }

    /// The section header table is usually the last thing in a file, so its
    /// presence is the cheapest truncation check there is. Only its extent is
    /// checked here; the entries are read only when needed.
    fn check_section_header_table(&self) -> Result<(), InspectError> {
        let offset = self.header.e_shoff;
        let count = u64::from(self.header.e_shnum);
        if offset == 0 {
            return Ok(());
        }
        let entry_size = SectionHeader::size(self.ctx) as u64;
        if u64::from(self.header.e_shentsize) != entry_size {
            return Err(InspectError::malformed(format!(
                "ELF section header entry size is {}, expected {entry_size}",
                self.header.e_shentsize
            )));
        }
        // With more than 0xff00 sections e_shnum is 0 and the real count is in
        // the first entry; at least that entry must be present.
        let checked_count = count.max(1);
        if !self.reader.contains(offset, checked_count * entry_size) {
            return Err(InspectError::truncated(format!(
                "ELF section header table (offset {offset:#x}, {count} entries) extends past end \
                 of file (size {:#x})",
                self.reader.len()
            )));
        }
        Ok(())
    }

    /// Reads the section header table. Used only for fallbacks.
    fn section_headers(&self) -> Result<Vec<SectionHeader>, InspectError> {
        let offset = self.header.e_shoff;
        if offset == 0 {
            return Ok(Vec::new());
        }
        let entry_size = SectionHeader::size(self.ctx) as u64;
        let table = |count: u64| {
            // `count` is at most MAX_SECTIONS, so the product cannot overflow.
            self.reader
                .bytes_at(offset, count * entry_size)
                .ok_or_else(|| {
                    InspectError::truncated(format!(
                        "ELF section header table (offset {offset:#x}, {count} entries) extends \
                         past end of file (size {:#x})",
                        self.reader.len()
                    ))
                })
        };
        let parse = |count: u64| {
            SectionHeader::parse_from(table(count)?, 0, count as usize, self.ctx)
                .map_err(|error| InspectError::malformed(format!("ELF section headers: {error}")))
        };
        let mut count = u64::from(self.header.e_shnum);
        if count == 0 {
            // Extended numbering: the real count is in the first entry.
            count = parse(1)?.first().map_or(0, |first| first.sh_size);
            if count == 0 {
                return Ok(Vec::new());
            }
        }
        if count > MAX_SECTIONS {
            return Err(InspectError::malformed(format!(
                "ELF file claims {count} sections (limit {MAX_SECTIONS})"
            )));
        }
        parse(count)
    }

    fn segment_bytes(&self, segment: &ProgramHeader, what: &str) -> Result<&'a [u8], InspectError> {
        self.reader
            .bytes_at(segment.p_offset, segment.p_filesz)
            .ok_or_else(|| {
                InspectError::truncated(format!(
                    "ELF {what} (offset {:#x}, size {:#x}) extends past end of file (size {:#x})",
                    segment.p_offset,
                    segment.p_filesz,
                    self.reader.len()
                ))
            })
    }

    fn interpreter(&self) -> Result<Option<String>, InspectError> {
        let Some(segment) = self
            .program_headers
            .iter()
            .find(|ph| ph.p_type == PT_INTERP)
        else {
            return Ok(None);
        };
        let raw = self.segment_bytes(segment, "interpreter segment")?;
        let path = raw.split(|&byte| byte == 0).next().unwrap_or_default();
        if path.len() > MAX_NAME_LEN {
            return Err(InspectError::malformed(format!(
                "ELF interpreter path is {} bytes long (limit {MAX_NAME_LEN})",
                path.len()
            )));
        }
        Ok(Some(String::from_utf8_lossy(path).into_owned()))
    }

    fn dynamic_section(&self) -> Result<Option<DynamicSection>, InspectError> {
        let Some(segment) = self
            .program_headers
            .iter()
            .find(|ph| ph.p_type == PT_DYNAMIC)
        else {
            return Ok(None);
        };
        let data = self.segment_bytes(segment, "dynamic segment")?;
        let entries = Reader::new(data, self.reader_endian());
        let word_size: u64 = if self.is_64() { 8 } else { 4 };
        let entry_size = 2 * word_size;
        let entry_count = entries.len() / entry_size;
        let mut dynamic = DynamicSection::default();
        for index in 0..entry_count {
            if index >= MAX_DYNAMIC_ENTRIES {
                return Err(InspectError::malformed(format!(
                    "ELF dynamic section has more than {MAX_DYNAMIC_ENTRIES} entries"
                )));
            }
            let offset = index * entry_size;
            let (Some(tag), Some(value)) = (
                entries.word_at(offset, self.is_64()),
                entries.word_at(offset + word_size, self.is_64()),
            ) else {
                break;
            };
            match tag {
                DT_NULL => break,
                DT_NEEDED => dynamic.needed_name_offsets.push(value),
                DT_STRTAB => dynamic.string_table_address = Some(value),
                DT_STRSZ => dynamic.string_table_size = Some(value),
                DT_VERNEED => dynamic.verneed_address = Some(value),
                DT_VERNEEDNUM => dynamic.verneed_count = Some(value),
                DT_FLAGS_1 => dynamic.flags_1 = value,
                DT_SONAME => dynamic.has_soname = true,
                _ => {}
            }
        }
        Ok(Some(dynamic))
    }

    /// Translates a virtual address to a file offset through the loadable
    /// segments, returning the offset and how many file bytes follow it
    /// within that segment.
    fn address_to_offset(&self, address: u64) -> Option<(u64, u64)> {
        self.program_headers
            .iter()
            .filter(|ph| ph.p_type == PT_LOAD)
            .find_map(|segment| {
                let delta = address.checked_sub(segment.p_vaddr)?;
                if delta >= segment.p_filesz {
                    return None;
                }
                Some((
                    segment.p_offset.checked_add(delta)?,
                    segment.p_filesz - delta,
                ))
            })
    }

    /// The dynamic string table (`DT_STRTAB`, `DT_STRSZ`).
    fn dynamic_strings(&self, dynamic: &DynamicSection) -> Result<&'a [u8], InspectError> {
        let address = dynamic.string_table_address.ok_or_else(|| {
            InspectError::malformed("ELF dynamic section names libraries but has no DT_STRTAB")
        })?;
        let (offset, available) = self.address_to_offset(address).ok_or_else(|| {
            InspectError::malformed(format!(
                "ELF dynamic string table address {address:#x} is not in any loadable segment"
            ))
        })?;
        let size = dynamic
            .string_table_size
            .unwrap_or(available)
            .min(available);
        self.reader.bytes_at(offset, size).ok_or_else(|| {
            InspectError::truncated(format!(
                "ELF dynamic string table (offset {offset:#x}, size {size:#x}) extends past end \
                 of file"
            ))
        })
    }

    fn needed_libraries(&self, dynamic: &DynamicSection) -> Result<Vec<String>, InspectError> {
        if dynamic.needed_name_offsets.is_empty() {
            return Ok(Vec::new());
        }
        let strings = self.dynamic_strings(dynamic)?;
        dynamic
            .needed_name_offsets
            .iter()
            .map(|&offset| {
                string_at(strings, offset, "DT_NEEDED library name")
                    .map(|name| String::from_utf8_lossy(name).into_owned())
            })
            .collect()
    }

    /// The highest `GLIBC_*` and `GLIBCXX_*` versions in the
    /// version-requirement table, found through `DT_VERNEED` or, failing
    /// that, an `SHT_GNU_verneed` section.
    fn max_glibc_version(
        &self,
        dynamic: Option<&DynamicSection>,
    ) -> Result<VersionMaxima, InspectError> {
        if let Some(dynamic) = dynamic {
            if let Some(address) = dynamic.verneed_address {
                let (offset, _) = self.address_to_offset(address).ok_or_else(|| {
                    InspectError::malformed(format!(
                        "ELF version requirements address {address:#x} is not in any loadable \
                         segment"
                    ))
                })?;
                let strings = self.dynamic_strings(dynamic)?;
                let count = dynamic.verneed_count.unwrap_or(MAX_VERNEED_FILES);
                return self.scan_version_requirements(offset, count, strings);
            }
        }
        let sections = self.section_headers()?;
        let Some(table) = sections.iter().find(|s| s.sh_type == SHT_GNU_VERNEED) else {
            return Ok((None, None));
        };
        let strings = usize::try_from(table.sh_link)
            .ok()
            .and_then(|index| sections.get(index))
            .and_then(|section| self.reader.bytes_at(section.sh_offset, section.sh_size))
            .ok_or_else(|| {
                InspectError::malformed("ELF .gnu.version_r section has no valid string table")
            })?;
        self.scan_version_requirements(table.sh_offset, u64::from(table.sh_info), strings)
    }

    /// Walks `Elf_Verneed` entries (and their `Elf_Vernaux` lists) starting at
    /// file offset `offset`. Both structures are 16 bytes in either class.
    fn scan_version_requirements(
        &self,
        offset: u64,
        count: u64,
        strings: &[u8],
    ) -> Result<VersionMaxima, InspectError> {
        if count > MAX_VERNEED_FILES {
            return Err(InspectError::malformed(format!(
                "ELF version requirements claim {count} files (limit {MAX_VERNEED_FILES})"
            )));
        }
        let reader = self.reader;
        let truncated = |what: &str, at: u64| {
            InspectError::malformed(format!(
                "ELF version requirement {what} at offset {at:#x} is outside the file"
            ))
        };
        let mut highest: Option<GlibcVersion> = None;
        let mut highest_cxx: Option<GlibcVersion> = None;
        let mut versions_seen = 0usize;
        let mut entry_offset = offset;
        for _ in 0..count {
            let (Some(version_count), Some(aux_delta), Some(next_delta)) = (
                reader.u16_at(entry_offset.saturating_add(2)),
                reader.u32_at(entry_offset.saturating_add(8)),
                reader.u32_at(entry_offset.saturating_add(12)),
            ) else {
                return Err(truncated("entry", entry_offset));
            };
            let mut aux_offset = entry_offset.saturating_add(u64::from(aux_delta));
            for _ in 0..version_count {
                versions_seen += 1;
                if versions_seen > MAX_VERNEED_VERSIONS {
                    return Err(InspectError::malformed(format!(
                        "ELF version requirements list more than {MAX_VERNEED_VERSIONS} versions"
                    )));
                }
                let (Some(name_offset), Some(aux_next)) = (
                    reader.u32_at(aux_offset.saturating_add(8)),
                    reader.u32_at(aux_offset.saturating_add(12)),
                ) else {
                    return Err(truncated("version", aux_offset));
                };
                let name = string_at(strings, u64::from(name_offset), "version requirement name")?;
                let version = std::str::from_utf8(name)
                    .ok()
                    .and_then(GlibcVersion::from_symbol_version);
                if let Some(version) = version {
                    highest = highest.max(Some(version));
                }
                let cxx = std::str::from_utf8(name)
                    .ok()
                    .and_then(|name| name.strip_prefix("GLIBCXX_"))
                    .and_then(|version| version.parse::<GlibcVersion>().ok());
                if let Some(version) = cxx {
                    highest_cxx = highest_cxx.max(Some(version));
                }
                if aux_next == 0 {
                    break;
                }
                aux_offset = aux_offset.saturating_add(u64::from(aux_next));
            }
            if next_delta == 0 {
                break;
            }
            entry_offset = entry_offset.saturating_add(u64::from(next_delta));
        }
        Ok((highest, highest_cxx))
    }

    /// The OS named by `PT_NOTE` segments, or by `SHT_NOTE` sections when the
    /// file has no `PT_NOTE` (relocatable objects).
    fn os_from_notes(&self) -> Result<Option<BinaryOs>, InspectError> {
        let mut budget = MAX_NOTES;
        let mut saw_note_segment = false;
        for segment in self
            .program_headers
            .iter()
            .filter(|ph| ph.p_type == PT_NOTE)
        {
            saw_note_segment = true;
            let data = self.segment_bytes(segment, "note segment")?;
            if let Some(os) = self.os_from_note_data(data, segment.p_align, &mut budget) {
                return Ok(Some(os));
            }
        }
        if saw_note_segment {
            return Ok(None);
        }
        for section in self.section_headers()? {
            if section.sh_type != SHT_NOTE {
                continue;
            }
            let data = self
                .reader
                .bytes_at(section.sh_offset, section.sh_size)
                .ok_or_else(|| {
                    InspectError::truncated(format!(
                        "ELF note section (offset {:#x}, size {:#x}) extends past end of file",
                        section.sh_offset, section.sh_size
                    ))
                })?;
            if let Some(os) = self.os_from_note_data(data, section.sh_addralign, &mut budget) {
                return Ok(Some(os));
            }
        }
        Ok(None)
    }

    /// Scans the notes in `data` for one that names an OS. Stops quietly at
    /// the first malformed note; notes are advisory.
    fn os_from_note_data(
        &self,
        data: &[u8],
        alignment: u64,
        budget: &mut usize,
    ) -> Option<BinaryOs> {
        let align = if alignment == 8 { 8 } else { 4 };
        let notes = Reader::new(data, self.reader_endian());
        let mut offset = 0u64;
        while *budget > 0 {
            *budget -= 1;
            let name_size = u64::from(notes.u32_at(offset)?);
            let desc_size = u64::from(notes.u32_at(offset + 4)?);
            let note_type = notes.u32_at(offset + 8)?;
            let name_start = offset + 12;
            let name = notes.bytes_at(name_start, name_size)?;
            let desc_start = align_up(name_start.checked_add(name_size)?, align)?;
            let desc = notes.bytes_at(desc_start, desc_size)?;
            if let Some(os) = os_from_note(name, note_type, desc, self.reader_endian()) {
                return Some(os);
            }
            offset = align_up(desc_start.checked_add(desc_size)?, align)?;
        }
        None
    }
}

/// The OS a single note names, if it names one.
fn os_from_note(name: &[u8], note_type: u32, desc: &[u8], endian: Endian) -> Option<BinaryOs> {
    let name = name.split(|&byte| byte == 0).next().unwrap_or_default();
    match name {
        b"FreeBSD" => Some(BinaryOs::FreeBSD),
        b"NetBSD" => Some(BinaryOs::NetBSD),
        b"OpenBSD" => Some(BinaryOs::OpenBSD),
        b"Android" => Some(BinaryOs::Linux),
        b"GNU" if note_type == NT_GNU_ABI_TAG => {
            // The first descriptor word names the kernel: 0 is Linux.
            let kernel = Reader::new(desc, endian).u32_at(0)?;
            (kernel == 0).then_some(BinaryOs::Linux)
        }
        _ => None,
    }
}

fn os_from_os_abi(os_abi: u8) -> Option<BinaryOs> {
    match os_abi {
        ELFOSABI_LINUX => Some(BinaryOs::Linux),
        ELFOSABI_FREEBSD => Some(BinaryOs::FreeBSD),
        ELFOSABI_NETBSD => Some(BinaryOs::NetBSD),
        ELFOSABI_OPENBSD => Some(BinaryOs::OpenBSD),
        _ => None,
    }
}

/// Recognizes the dynamic loaders of Linux (glibc, musl, Android) and the BSDs.
fn os_from_interpreter(path: &str) -> Option<BinaryOs> {
    let file_name = path.rsplit('/').next().unwrap_or(path);
    if file_name.starts_with("ld-linux")
        || file_name.starts_with("ld-musl")
        || file_name.starts_with("ld64.so")
        || path == "/system/bin/linker"
        || path == "/system/bin/linker64"
    {
        Some(BinaryOs::Linux)
    } else if file_name.starts_with("ld-elf") {
        Some(BinaryOs::FreeBSD)
    } else if file_name == "ld.elf_so" {
        Some(BinaryOs::NetBSD)
    } else {
        None
    }
}

fn file_kind(e_type: u16) -> FileKind {
    match e_type {
        ET_EXEC => FileKind::Executable,
        ET_DYN => FileKind::SharedObject,
        ET_REL => FileKind::Relocatable,
        ET_CORE => FileKind::Core,
        _ => FileKind::Other,
    }
}

/// The NUL-terminated string at `offset` in a string table.
fn string_at<'s>(strings: &'s [u8], offset: u64, what: &str) -> Result<&'s [u8], InspectError> {
    usize::try_from(offset)
        .ok()
        .and_then(|start| strings.get(start..))
        .and_then(|tail| c_string(tail, MAX_NAME_LEN))
        .ok_or_else(|| {
            InspectError::malformed(format!(
                "ELF {what} at string table offset {offset:#x} is outside the table or \
                 unterminated"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect_bytes;
    use crate::test_images::{build_elf, patch, ElfNote, ElfSpec};

    fn gnu_abi_tag(kernel: u32) -> ElfNote {
        let mut desc = Vec::new();
        for word in [kernel, 3, 2, 0] {
            desc.extend_from_slice(&word.to_le_bytes());
        }
        ElfNote {
            name: "GNU",
            note_type: 1,
            desc,
        }
    }

    fn dynamic_pie_spec() -> ElfSpec {
        ElfSpec {
            e_type: ET_DYN,
            interpreter: Some("/lib64/ld-linux-x86-64.so.2"),
            needed: vec!["libm.so.6", "libc.so.6"],
            versions: vec!["GLIBC_2.2.5", "GLIBC_2.34", "GLIBC_2.17", "GLIBC_PRIVATE"],
            flags_1: Some(DF_1_PIE),
            ..ElfSpec::default()
        }
    }

    #[test]
    fn dynamic_pie_executable() {
        let (image, _) = build_elf(&dynamic_pie_spec());
        let info = inspect_bytes(&image).unwrap();
        assert_eq!(info.format, Format::Elf);
        assert_eq!(
            info.arches,
            vec![ArchInfo {
                machine: Machine::X86_64,
                bits: 64,
                endian: Endian::Little,
                raw_machine: 62
            }]
        );
        assert_eq!(info.os, Some(BinaryOs::Linux));
        assert_eq!(info.elf_os_abi, Some(0));
        assert_eq!(info.kind, FileKind::SharedObject);
        assert_eq!(
            info.interpreter.as_deref(),
            Some("/lib64/ld-linux-x86-64.so.2")
        );
        assert_eq!(info.needed, vec!["libm.so.6", "libc.so.6"]);
        assert!(info.is_pie);
        assert!(!info.is_static);
        assert!(!info.is_static_pie);
        assert_eq!(info.max_glibc, Some(GlibcVersion::new(2, 34, 0)));
    }

    #[test]
    fn every_class_and_byte_order() {
        let cases = [
            (true, Endian::Little, EM_X86_64, Machine::X86_64),
            (true, Endian::Little, EM_AARCH64, Machine::Aarch64),
            (true, Endian::Little, EM_RISCV, Machine::RiscV64),
            (false, Endian::Little, EM_RISCV, Machine::RiscV32),
            (true, Endian::Little, EM_LOONGARCH, Machine::LoongArch64),
            (false, Endian::Little, EM_ARM, Machine::Arm),
            (false, Endian::Little, EM_386, Machine::X86),
            (true, Endian::Big, EM_S390, Machine::S390x),
            (true, Endian::Big, EM_PPC64, Machine::PowerPc64),
            (true, Endian::Little, EM_PPC64, Machine::PowerPc64),
            (false, Endian::Big, EM_PPC, Machine::PowerPc),
            (false, Endian::Big, EM_MIPS, Machine::Mips),
            (true, Endian::Little, EM_MIPS, Machine::Mips64),
            (true, Endian::Big, EM_SPARCV9, Machine::Sparc64),
            (false, Endian::Little, 0x1234, Machine::Other),
        ];
        for (is_64, endian, machine, expected) in cases {
            let spec = ElfSpec {
                is_64,
                endian,
                machine,
                interpreter: Some("/lib/ld-linux.so.3"),
                needed: vec!["libc.so.6"],
                versions: vec!["GLIBC_2.4"],
                ..ElfSpec::default()
            };
            let (image, _) = build_elf(&spec);
            let info = inspect_bytes(&image).unwrap();
            let arch = info.arches[0];
            assert_eq!(arch.machine, expected, "{machine} {is_64} {endian:?}");
            assert_eq!(arch.bits, if is_64 { 64 } else { 32 });
            assert_eq!(arch.endian, endian);
            assert_eq!(arch.raw_machine, u32::from(machine));
            assert_eq!(info.needed, vec!["libc.so.6"]);
            assert_eq!(info.max_glibc, Some(GlibcVersion::new(2, 4, 0)));
            assert_eq!(info.os, Some(BinaryOs::Linux));
        }
    }

    #[test]
    fn os_from_os_abi_byte() {
        for (os_abi, expected) in [
            (3, Some(BinaryOs::Linux)),
            (9, Some(BinaryOs::FreeBSD)),
            (2, Some(BinaryOs::NetBSD)),
            (12, Some(BinaryOs::OpenBSD)),
            (0, None),
            (97, None),
        ] {
            let (image, _) = build_elf(&ElfSpec {
                os_abi,
                ..ElfSpec::default()
            });
            let info = inspect_bytes(&image).unwrap();
            assert_eq!(info.os, expected, "os_abi {os_abi}");
            assert_eq!(info.elf_os_abi, Some(os_abi));
        }
    }

    #[test]
    fn os_from_notes() {
        let bsd_note = |name| ElfNote {
            name,
            note_type: 1,
            desc: 1_400_000u32.to_le_bytes().to_vec(),
        };
        let cases = [
            (vec![bsd_note("FreeBSD")], Some(BinaryOs::FreeBSD)),
            (vec![bsd_note("NetBSD")], Some(BinaryOs::NetBSD)),
            (vec![bsd_note("OpenBSD")], Some(BinaryOs::OpenBSD)),
            (vec![gnu_abi_tag(0)], Some(BinaryOs::Linux)),
            // GNU/Hurd tag: not Linux, and nothing else to go on.
            (vec![gnu_abi_tag(1)], None),
            // A build ID alone says nothing about the OS.
            (
                vec![ElfNote {
                    name: "GNU",
                    note_type: 3,
                    desc: vec![0xab; 20],
                }],
                None,
            ),
            (
                vec![
                    ElfNote {
                        name: "GNU",
                        note_type: 3,
                        desc: vec![0xab; 20],
                    },
                    gnu_abi_tag(0),
                ],
                Some(BinaryOs::Linux),
            ),
        ];
        for (notes, expected) in cases {
            let (image, _) = build_elf(&ElfSpec {
                notes,
                ..ElfSpec::default()
            });
            assert_eq!(inspect_bytes(&image).unwrap().os, expected);
        }
    }

    #[test]
    fn os_from_interpreter_path() {
        for (path, expected) in [
            ("/lib/ld-musl-aarch64.so.1", Some(BinaryOs::Linux)),
            ("/lib/ld-linux-armhf.so.3", Some(BinaryOs::Linux)),
            ("/lib64/ld64.so.2", Some(BinaryOs::Linux)),
            ("/libexec/ld-elf.so.1", Some(BinaryOs::FreeBSD)),
            ("/usr/libexec/ld.elf_so", Some(BinaryOs::NetBSD)),
            ("/opt/custom/loader", None),
        ] {
            let (image, _) = build_elf(&ElfSpec {
                interpreter: Some(path),
                ..ElfSpec::default()
            });
            let info = inspect_bytes(&image).unwrap();
            assert_eq!(info.os, expected, "{path}");
            assert_eq!(info.interpreter.as_deref(), Some(path));
        }
    }

    #[test]
    fn os_abi_wins_over_notes() {
        let (image, _) = build_elf(&ElfSpec {
            os_abi: 9,
            notes: vec![gnu_abi_tag(0)],
            ..ElfSpec::default()
        });
        assert_eq!(inspect_bytes(&image).unwrap().os, Some(BinaryOs::FreeBSD));
    }

    #[test]
    fn static_executable() {
        let (image, _) = build_elf(&ElfSpec {
            notes: vec![gnu_abi_tag(0)],
            ..ElfSpec::default()
        });
        let info = inspect_bytes(&image).unwrap();
        assert_eq!(info.kind, FileKind::Executable);
        assert!(info.is_static);
        assert!(!info.is_static_pie);
        assert!(!info.is_pie);
        assert_eq!(info.interpreter, None);
        assert!(info.needed.is_empty());
        assert_eq!(info.max_glibc, None);
    }

    #[test]
    fn static_pie_with_pie_flag() {
        let (image, _) = build_elf(&ElfSpec {
            e_type: ET_DYN,
            flags_1: Some(DF_1_PIE),
            ..ElfSpec::default()
        });
        let info = inspect_bytes(&image).unwrap();
        assert!(info.is_static_pie);
        assert!(info.is_pie);
        assert!(info.is_static);
        assert_eq!(info.kind, FileKind::SharedObject);
    }

    #[test]
    fn static_pie_without_pie_flag_is_told_from_a_library_by_soname() {
        let (image, _) = build_elf(&ElfSpec {
            e_type: ET_DYN,
            force_dynamic: true,
            ..ElfSpec::default()
        });
        let info = inspect_bytes(&image).unwrap();
        assert!(info.is_static_pie);
        assert!(info.is_pie);

        let (image, _) = build_elf(&ElfSpec {
            e_type: ET_DYN,
            soname: Some("libself.so.1"),
            entry: 0,
            ..ElfSpec::default()
        });
        let info = inspect_bytes(&image).unwrap();
        assert!(!info.is_static_pie);
        assert!(!info.is_pie);
        assert!(
            info.is_static,
            "a library without dependencies loads nothing"
        );
    }

    #[test]
    fn shared_library_is_not_pie() {
        let (image, _) = build_elf(&ElfSpec {
            e_type: ET_DYN,
            soname: Some("libfoo.so.1"),
            needed: vec!["libc.so.6"],
            versions: vec!["GLIBC_2.3.4"],
            entry: 0,
            ..ElfSpec::default()
        });
        let info = inspect_bytes(&image).unwrap();
        assert_eq!(info.kind, FileKind::SharedObject);
        assert!(!info.is_pie);
        assert!(!info.is_static);
        assert!(!info.is_static_pie);
        assert_eq!(info.max_glibc, Some(GlibcVersion::new(2, 3, 4)));
    }

    #[test]
    fn relocatable_object_uses_section_headers() {
        let (image, _) = build_elf(&ElfSpec {
            e_type: ET_REL,
            notes: vec![gnu_abi_tag(0)],
            versions: vec!["GLIBC_2.28"],
            sections_only: true,
            ..ElfSpec::default()
        });
        let info = inspect_bytes(&image).unwrap();
        assert_eq!(info.kind, FileKind::Relocatable);
        assert_eq!(info.os, Some(BinaryOs::Linux));
        assert_eq!(info.max_glibc, Some(GlibcVersion::new(2, 28, 0)));
        assert!(info.is_static);
    }

    #[test]
    fn big_endian_relocatable_object() {
        let (image, _) = build_elf(&ElfSpec {
            e_type: ET_REL,
            is_64: false,
            endian: Endian::Big,
            machine: EM_MIPS,
            notes: vec![ElfNote {
                name: "NetBSD",
                note_type: 1,
                desc: vec![0, 0, 0, 1],
            }],
            sections_only: true,
            ..ElfSpec::default()
        });
        let info = inspect_bytes(&image).unwrap();
        assert_eq!(info.os, Some(BinaryOs::NetBSD));
        assert_eq!(info.arches[0].endian, Endian::Big);
    }

    #[test]
    fn every_strict_prefix_is_an_error() {
        let (image, _) = build_elf(&dynamic_pie_spec());
        for length in 0..image.len() {
            let result = inspect_bytes(&image[..length]);
            assert!(result.is_err(), "prefix of {length} bytes was accepted");
        }
    }

    fn expect_truncated(image: &[u8]) {
        match inspect_bytes(image) {
            Err(InspectError::Truncated { .. }) => {}
            other => panic!("expected a truncation error, got {other:?}"),
        }
    }

    fn expect_malformed(image: &[u8]) {
        match inspect_bytes(image) {
            Err(InspectError::Malformed { .. }) => {}
            other => panic!("expected a malformed error, got {other:?}"),
        }
    }

    #[test]
    fn short_and_invalid_headers() {
        expect_truncated(b"\x7fELF\x02\x01\x01");
        let (image, _) = build_elf(&ElfSpec::default());
        expect_truncated(&image[..40]);
        let mut bad_class = image.clone();
        bad_class[4] = 7;
        expect_malformed(&bad_class);
        let mut bad_order = image.clone();
        bad_order[5] = 0;
        expect_malformed(&bad_order);
    }

    #[test]
    fn hostile_program_header_table() {
        let (image, layout) = build_elf(&dynamic_pie_spec());
        let mut far = image.clone();
        patch(
            &mut far,
            layout.phoff_field,
            Endian::Little,
            8,
            u64::MAX - 8,
        );
        expect_truncated(&far);
        let mut many = image.clone();
        patch(&mut many, layout.phnum_field, Endian::Little, 2, 0xffff);
        expect_truncated(&many);
        let mut wrong_size = image.clone();
        patch(
            &mut wrong_size,
            layout.phnum_field - 2,
            Endian::Little,
            2,
            12,
        );
        expect_malformed(&wrong_size);
    }

    #[test]
    fn hostile_segments() {
        let (image, layout) = build_elf(&dynamic_pie_spec());
        // Headers are LOAD, INTERP, DYNAMIC; p_offset is at +8 and p_filesz
        // at +32 in ELF64.
        let dynamic_header = layout.program_headers + 2 * layout.program_header_size;
        assert_eq!(image[dynamic_header], 2, "PT_DYNAMIC");
        let mut huge_dynamic = image.clone();
        patch(
            &mut huge_dynamic,
            dynamic_header + 32,
            Endian::Little,
            8,
            u64::MAX,
        );
        expect_truncated(&huge_dynamic);
        let mut far_dynamic = image.clone();
        patch(
            &mut far_dynamic,
            dynamic_header + 8,
            Endian::Little,
            8,
            u64::MAX - 4,
        );
        expect_truncated(&far_dynamic);
        // The PT_LOAD (header 0) claiming more file bytes than exist.
        let mut long_load = image.clone();
        patch(
            &mut long_load,
            layout.program_headers + 32,
            Endian::Little,
            8,
            1 << 40,
        );
        expect_truncated(&long_load);
    }

    #[test]
    fn hostile_dynamic_entries() {
        let (image, layout) = build_elf(&dynamic_pie_spec());
        let dynamic = layout.dynamic.unwrap();
        // First entry is DT_NEEDED: point its name far outside the table.
        let mut bad_name = image.clone();
        patch(&mut bad_name, dynamic + 8, Endian::Little, 8, u64::MAX);
        expect_malformed(&bad_name);
        let strtab_entry = (0..8)
            .map(|index| dynamic + index * 16)
            .find(|&at| image[at] == 5)
            .unwrap();
        let mut bad_strtab = image.clone();
        patch(
            &mut bad_strtab,
            strtab_entry + 8,
            Endian::Little,
            8,
            0xdead_0000_0000,
        );
        expect_malformed(&bad_strtab);
    }

    #[test]
    fn hostile_version_requirements() {
        let (image, layout) = build_elf(&dynamic_pie_spec());
        let verneed = layout.verneed.unwrap();
        let dynamic = layout.dynamic.unwrap();
        let entry_with_tag = |tag: u64| {
            (0..16)
                .map(|index| dynamic + index * 16)
                .find(|&at| image[at..at + 8] == tag.to_le_bytes())
                .unwrap()
        };

        let mut huge_count = image.clone();
        patch(
            &mut huge_count,
            entry_with_tag(DT_VERNEEDNUM) + 8,
            Endian::Little,
            8,
            u64::MAX,
        );
        expect_malformed(&huge_count);

        let mut far_aux = image.clone();
        patch(
            &mut far_aux,
            verneed + 8,
            Endian::Little,
            4,
            u64::from(u32::MAX),
        );
        expect_malformed(&far_aux);

        let mut many_versions = image.clone();
        patch(&mut many_versions, verneed + 2, Endian::Little, 2, 0xffff);
        // The last aux entry ends the list with vna_next == 0, so this is fine.
        assert!(inspect_bytes(&many_versions).is_ok());

        let mut bad_name = image.clone();
        patch(
            &mut bad_name,
            verneed + 16 + 8,
            Endian::Little,
            4,
            0xffff_fff0,
        );
        expect_malformed(&bad_name);

        let mut far_table = image.clone();
        patch(
            &mut far_table,
            entry_with_tag(DT_VERNEED) + 8,
            Endian::Little,
            8,
            u64::MAX,
        );
        expect_malformed(&far_table);
    }

    #[test]
    fn hostile_notes_are_ignored() {
        let (image, layout) = build_elf(&ElfSpec {
            notes: vec![gnu_abi_tag(0)],
            ..ElfSpec::default()
        });
        let notes = layout.notes.unwrap();
        for (field, value) in [(0, u64::from(u32::MAX)), (4, u64::from(u32::MAX))] {
            let mut hostile = image.clone();
            patch(&mut hostile, notes + field, Endian::Little, 4, value);
            assert_eq!(inspect_bytes(&hostile).unwrap().os, None);
        }
    }

    #[test]
    fn hostile_section_headers() {
        let (image, layout) = build_elf(&ElfSpec {
            e_type: ET_REL,
            notes: vec![gnu_abi_tag(0)],
            sections_only: true,
            ..ElfSpec::default()
        });
        let mut far = image.clone();
        patch(
            &mut far,
            layout.shoff_field,
            Endian::Little,
            8,
            u64::MAX - 8,
        );
        expect_truncated(&far);
        // e_shnum = 0 means "the count is in section 0's sh_size".
        let shnum_field = layout.shoff_field + 8 + 4 + 2 + 2 + 2 + 2;
        let mut extended = image.clone();
        patch(&mut extended, shnum_field, Endian::Little, 2, 0);
        let section_table = usize::try_from(u64::from_le_bytes(
            image[layout.shoff_field..layout.shoff_field + 8]
                .try_into()
                .unwrap(),
        ))
        .unwrap();
        patch(
            &mut extended,
            section_table + 32,
            Endian::Little,
            8,
            u64::MAX,
        );
        expect_malformed(&extended);
    }

    #[test]
    fn error_messages_are_single_lowercase_lines() {
        let (image, layout) = build_elf(&dynamic_pie_spec());
        let mut far = image.clone();
        patch(
            &mut far,
            layout.phoff_field,
            Endian::Little,
            8,
            u64::MAX - 8,
        );
        for bytes in [
            &far[..],
            &image[..30],
            &image[..200],
            b"#!/bin/sh\n",
            &[0xff; 64],
        ] {
            let message = inspect_bytes(bytes).unwrap_err().to_string();
            assert!(!message.contains('\n'), "{message}");
            assert!(
                message.starts_with(|c: char| c.is_ascii_lowercase()),
                "{message}"
            );
        }
    }
}
