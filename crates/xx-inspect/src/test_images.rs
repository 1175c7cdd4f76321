//! Builders for minimal ELF, Mach-O and PE images used by the unit tests.
//!
//! Each builder writes just enough structure for the inspector to find what
//! a test sets; offsets are recorded so tests can corrupt specific fields.

use crate::Endian;

/// Appends integers in a chosen byte order.
pub(crate) struct Writer {
    pub(crate) bytes: Vec<u8>,
    endian: Endian,
}

impl Writer {
    pub(crate) fn new(endian: Endian) -> Self {
        Writer {
            bytes: Vec::new(),
            endian,
        }
    }

    pub(crate) fn u16(&mut self, value: u16) {
        let raw = match self.endian {
            Endian::Little => value.to_le_bytes(),
            Endian::Big => value.to_be_bytes(),
        };
        self.bytes.extend_from_slice(&raw);
    }

    pub(crate) fn u32(&mut self, value: u32) {
        let raw = match self.endian {
            Endian::Little => value.to_le_bytes(),
            Endian::Big => value.to_be_bytes(),
        };
        self.bytes.extend_from_slice(&raw);
    }

    pub(crate) fn u64(&mut self, value: u64) {
        let raw = match self.endian {
            Endian::Little => value.to_le_bytes(),
            Endian::Big => value.to_be_bytes(),
        };
        self.bytes.extend_from_slice(&raw);
    }

    pub(crate) fn word(&mut self, is_64: bool, value: u64) {
        if is_64 {
            self.u64(value);
        } else {
            self.u32(u32::try_from(value).expect("value fits a 32-bit word"));
        }
    }

    pub(crate) fn raw(&mut self, bytes: &[u8]) {
        self.bytes.extend_from_slice(bytes);
    }

    pub(crate) fn pad_to(&mut self, alignment: usize) {
        debug_assert!(alignment.is_power_of_two());
        while self.bytes.len() & (alignment - 1) != 0 {
            self.bytes.push(0);
        }
    }
}

/// Writes `value` at `offset` in `image` with the given byte order and width.
pub(crate) fn patch(image: &mut [u8], offset: usize, endian: Endian, width: usize, value: u64) {
    let raw = match endian {
        Endian::Little => value.to_le_bytes(),
        Endian::Big => value.to_be_bytes(),
    };
    let field = match endian {
        Endian::Little => &raw[..width],
        Endian::Big => &raw[8 - width..],
    };
    image[offset..offset + width].copy_from_slice(field);
}

/// A note to embed in an ELF image.
pub(crate) struct ElfNote {
    pub(crate) name: &'static str,
    pub(crate) note_type: u32,
    pub(crate) desc: Vec<u8>,
}

/// Description of a minimal ELF image.
pub(crate) struct ElfSpec {
    pub(crate) is_64: bool,
    pub(crate) endian: Endian,
    pub(crate) machine: u16,
    pub(crate) e_type: u16,
    pub(crate) os_abi: u8,
    pub(crate) entry: u64,
    pub(crate) interpreter: Option<&'static str>,
    pub(crate) needed: Vec<&'static str>,
    /// Version names such as `GLIBC_2.17`, all required from `libc.so.6`.
    pub(crate) versions: Vec<&'static str>,
    pub(crate) notes: Vec<ElfNote>,
    pub(crate) flags_1: Option<u64>,
    pub(crate) soname: Option<&'static str>,
    /// Emit a dynamic section even when there is nothing else to put in it.
    pub(crate) force_dynamic: bool,
    /// Describe notes and version requirements with section headers only
    /// (no program headers), as in a relocatable object.
    pub(crate) sections_only: bool,
}

impl Default for ElfSpec {
    fn default() -> Self {
        ElfSpec {
            is_64: true,
            endian: Endian::Little,
            machine: goblin::elf::header::EM_X86_64,
            e_type: goblin::elf::header::ET_EXEC,
            os_abi: 0,
            entry: 0x1000,
            interpreter: None,
            needed: Vec::new(),
            versions: Vec::new(),
            notes: Vec::new(),
            flags_1: None,
            soname: None,
            force_dynamic: false,
            sections_only: false,
        }
    }
}

/// Where the interesting fields of a built ELF image are.
pub(crate) struct ElfLayout {
    pub(crate) phoff_field: usize,
    pub(crate) phnum_field: usize,
    pub(crate) shoff_field: usize,
    pub(crate) program_headers: usize,
    pub(crate) program_header_size: usize,
    pub(crate) dynamic: Option<usize>,
    pub(crate) verneed: Option<usize>,
    pub(crate) notes: Option<usize>,
}

const PT_LOAD: u32 = 1;
const PT_DYNAMIC: u32 = 2;
const PT_INTERP: u32 = 3;
const PT_NOTE: u32 = 4;
const SHT_STRTAB: u32 = 3;
const SHT_NOTE: u32 = 7;
const SHT_GNU_VERNEED: u32 = 0x6fff_fffe;

fn note_bytes(endian: Endian, notes: &[ElfNote]) -> Vec<u8> {
    let mut w = Writer::new(endian);
    for note in notes {
        let name_size = note.name.len() + 1;
        w.u32(name_size as u32);
        w.u32(note.desc.len() as u32);
        w.u32(note.note_type);
        w.raw(note.name.as_bytes());
        w.raw(&[0]);
        w.pad_to(4);
        w.raw(&note.desc);
        w.pad_to(4);
    }
    w.bytes
}

/// Builds an ELF image. Virtual addresses equal file offsets (one `PT_LOAD`
/// maps the whole file at address 0).
pub(crate) fn build_elf(spec: &ElfSpec) -> (Vec<u8>, ElfLayout) {
    let is_64 = spec.is_64;
    let header_size = if is_64 { 64 } else { 52 };
    let ph_size = if is_64 { 56 } else { 32 };
    let sh_size = if is_64 { 64 } else { 40 };

    // Data blob first, at offsets computed from a provisional header count.
    let has_dynamic = spec.force_dynamic
        || !spec.needed.is_empty()
        || !spec.versions.is_empty()
        || spec.flags_1.is_some()
        || spec.soname.is_some();
    let mut program_header_count = 0;
    if !spec.sections_only {
        program_header_count = 1
            + usize::from(spec.interpreter.is_some())
            + usize::from(!spec.notes.is_empty())
            + usize::from(has_dynamic);
    }
    let data_start = header_size + program_header_count * ph_size;
    let mut w = Writer::new(spec.endian);
    w.raw(&vec![0; data_start]);

    let interp_offset = spec.interpreter.map(|path| {
        let offset = w.bytes.len();
        w.raw(path.as_bytes());
        w.raw(&[0]);
        w.pad_to(8);
        (offset, path.len() + 1)
    });
    let notes_range = (!spec.notes.is_empty()).then(|| {
        let offset = w.bytes.len();
        w.raw(&note_bytes(spec.endian, &spec.notes));
        (offset, w.bytes.len() - offset)
    });

    // String table: "\0", needed names, "libc.so.6", versions, soname.
    let strtab_offset = w.bytes.len();
    let mut strings = vec![0u8];
    let mut add_string = |s: &str| {
        let at = strings.len();
        strings.extend_from_slice(s.as_bytes());
        strings.push(0);
        at as u64
    };
    let needed_offsets: Vec<u64> = spec.needed.iter().map(|n| add_string(n)).collect();
    let libc_offset = add_string("libc.so.6");
    let version_offsets: Vec<u64> = spec.versions.iter().map(|v| add_string(v)).collect();
    let soname_offset = spec.soname.map(&mut add_string);
    w.raw(&strings);
    w.pad_to(8);
    let strtab_size = strings.len();

    let verneed_offset = (!spec.versions.is_empty()).then(|| {
        let offset = w.bytes.len();
        w.u16(1); // vn_version
        w.u16(spec.versions.len() as u16); // vn_cnt
        w.u32(libc_offset as u32); // vn_file
        w.u32(16); // vn_aux
        w.u32(0); // vn_next
        for (index, name) in version_offsets.iter().enumerate() {
            w.u32(0x1234); // vna_hash
            w.u16(0); // vna_flags
            w.u16(index as u16 + 2); // vna_other
            w.u32(*name as u32); // vna_name
            let last = index + 1 == version_offsets.len();
            w.u32(if last { 0 } else { 16 }); // vna_next
        }
        offset
    });

    let dynamic_range = has_dynamic.then(|| {
        let offset = w.bytes.len();
        let mut entry = |tag: u64, value: u64| {
            w.word(is_64, tag);
            w.word(is_64, value);
        };
        for name in &needed_offsets {
            entry(1, *name); // DT_NEEDED
        }
        if let Some(soname) = soname_offset {
            entry(14, soname); // DT_SONAME
        }
        entry(5, strtab_offset as u64); // DT_STRTAB
        entry(10, strtab_size as u64); // DT_STRSZ
        if let Some(verneed) = verneed_offset {
            entry(0x6fff_fffe, verneed as u64); // DT_VERNEED
            entry(0x6fff_ffff, 1); // DT_VERNEEDNUM
        }
        if let Some(flags) = spec.flags_1 {
            entry(0x6fff_fffb, flags); // DT_FLAGS_1
        }
        entry(0, 0); // DT_NULL
        (offset, w.bytes.len() - offset)
    });

    // Section headers (only for the sections-only layout).
    let mut section_table_offset = 0;
    let mut section_count = 0;
    if spec.sections_only {
        w.pad_to(8);
        section_table_offset = w.bytes.len();
        let section =
            |w: &mut Writer, kind: u32, offset: usize, size: usize, link: u32, info: u32| {
                w.u32(0); // sh_name
                w.u32(kind);
                w.word(is_64, 0); // sh_flags
                w.word(is_64, 0); // sh_addr
                w.word(is_64, offset as u64);
                w.word(is_64, size as u64);
                w.u32(link);
                w.u32(info);
                w.word(is_64, 4); // sh_addralign
                w.word(is_64, 0); // sh_entsize
            };
        section(&mut w, 0, 0, 0, 0, 0);
        section(&mut w, SHT_STRTAB, strtab_offset, strtab_size, 0, 0);
        section_count = 2;
        if let Some((offset, size)) = notes_range {
            section(&mut w, SHT_NOTE, offset, size, 0, 0);
            section_count += 1;
        }
        if let Some(offset) = verneed_offset {
            let size = 16 + 16 * spec.versions.len();
            section(&mut w, SHT_GNU_VERNEED, offset, size, 1, 1);
            section_count += 1;
        }
    }
    let file_size = w.bytes.len();

    // ELF header.
    let mut h = Writer::new(spec.endian);
    h.raw(b"\x7fELF");
    h.raw(&[if is_64 { 2 } else { 1 }]);
    h.raw(&[if spec.endian == Endian::Little { 1 } else { 2 }]);
    h.raw(&[1, spec.os_abi]);
    h.raw(&[0; 8]);
    h.u16(spec.e_type);
    h.u16(spec.machine);
    h.u32(1); // e_version
    h.word(is_64, spec.entry);
    let phoff_field = h.bytes.len();
    h.word(
        is_64,
        if program_header_count > 0 {
            header_size as u64
        } else {
            0
        },
    );
    let shoff_field = h.bytes.len();
    h.word(is_64, section_table_offset as u64);
    h.u32(0); // e_flags
    h.u16(header_size as u16);
    h.u16(ph_size as u16);
    let phnum_field = h.bytes.len();
    h.u16(program_header_count as u16);
    h.u16(sh_size as u16);
    h.u16(section_count);
    h.u16(if section_count > 0 { 1 } else { 0 }); // e_shstrndx
    assert_eq!(h.bytes.len(), header_size);

    // Program headers.
    let mut program_header = |kind: u32, offset: usize, size: usize, align: u64| {
        h.u32(kind);
        if is_64 {
            h.u32(5); // p_flags
        }
        h.word(is_64, offset as u64); // p_offset
        h.word(is_64, offset as u64); // p_vaddr
        h.word(is_64, offset as u64); // p_paddr
        h.word(is_64, size as u64); // p_filesz
        h.word(is_64, size as u64); // p_memsz
        if !is_64 {
            h.u32(5); // p_flags
        }
        h.word(is_64, align);
    };
    if !spec.sections_only {
        program_header(PT_LOAD, 0, file_size, 0x1000);
        if let Some((offset, size)) = interp_offset {
            program_header(PT_INTERP, offset, size, 1);
        }
        if let Some((offset, size)) = notes_range {
            program_header(PT_NOTE, offset, size, 4);
        }
        if let Some((offset, size)) = dynamic_range {
            program_header(PT_DYNAMIC, offset, size, 8);
        }
    }
    assert_eq!(h.bytes.len(), data_start);

    let mut image = w.bytes;
    image[..data_start].copy_from_slice(&h.bytes);
    let layout = ElfLayout {
        phoff_field,
        phnum_field,
        shoff_field,
        program_headers: header_size,
        program_header_size: ph_size,
        dynamic: dynamic_range.map(|(offset, _)| offset),
        verneed: verneed_offset,
        notes: notes_range.map(|(offset, _)| offset),
    };
    (image, layout)
}

/// Description of one thin Mach-O image.
pub(crate) struct MachOSpec {
    pub(crate) is_64: bool,
    pub(crate) endian: Endian,
    pub(crate) cputype: u32,
    pub(crate) filetype: u32,
    pub(crate) flags: u32,
    pub(crate) dylibs: Vec<&'static str>,
    pub(crate) dylinker: Option<&'static str>,
}

impl Default for MachOSpec {
    fn default() -> Self {
        MachOSpec {
            is_64: true,
            endian: Endian::Little,
            cputype: 0x0100_000c, // arm64
            filetype: 2,          // MH_EXECUTE
            flags: 0x0020_0000,   // MH_PIE
            dylibs: Vec::new(),
            dylinker: None,
        }
    }
}

/// Builds a thin Mach-O image with dylib and dylinker load commands.
pub(crate) fn build_macho(spec: &MachOSpec) -> Vec<u8> {
    let mut commands = Writer::new(spec.endian);
    let mut command_count = 0u32;
    let path_command = |commands: &mut Writer, cmd: u32, header_len: usize, path: &str| {
        let size = (header_len + path.len() + 1).div_ceil(8) * 8;
        commands.u32(cmd);
        commands.u32(size as u32);
        commands.u32(header_len as u32); // name offset
        commands.raw(&vec![0; header_len - 12]);
        commands.raw(path.as_bytes());
        commands.raw(&vec![0; size - header_len - path.len()]);
    };
    if let Some(path) = spec.dylinker {
        path_command(&mut commands, 0xe, 12, path);
        command_count += 1;
    }
    for path in &spec.dylibs {
        // dylib_command: cmd, cmdsize, name offset, timestamp, versions.
        path_command(&mut commands, 0xc, 24, path);
        command_count += 1;
    }
    let mut w = Writer::new(spec.endian);
    w.u32(if spec.is_64 { 0xfeed_facf } else { 0xfeed_face });
    w.u32(spec.cputype);
    w.u32(0); // cpusubtype
    w.u32(spec.filetype);
    w.u32(command_count);
    w.u32(commands.bytes.len() as u32);
    w.u32(spec.flags);
    if spec.is_64 {
        w.u32(0); // reserved
    }
    w.raw(&commands.bytes);
    w.pad_to(16);
    w.bytes
}

/// Builds a universal (fat, 32-bit table) file from slices.
pub(crate) fn build_fat(slices: &[(u32, Vec<u8>)]) -> Vec<u8> {
    let mut w = Writer::new(Endian::Big);
    w.u32(0xcafe_babe);
    w.u32(slices.len() as u32);
    let mut offset = 0x1000usize;
    let mut placed = Vec::new();
    for (cputype, slice) in slices {
        w.u32(*cputype);
        w.u32(0);
        w.u32(offset as u32);
        w.u32(slice.len() as u32);
        w.u32(12); // align 2^12
        placed.push((offset, slice));
        offset = (offset + slice.len()).div_ceil(0x1000) * 0x1000;
    }
    for (at, slice) in placed {
        w.bytes.resize(at, 0);
        w.raw(slice);
    }
    w.bytes
}

/// Description of a minimal PE image.
pub(crate) struct PeSpec {
    pub(crate) machine: u16,
    pub(crate) pe32_plus: bool,
    pub(crate) characteristics: u16,
    pub(crate) dll_characteristics: u16,
    pub(crate) imports: Vec<&'static str>,
}

impl Default for PeSpec {
    fn default() -> Self {
        PeSpec {
            machine: 0x8664,
            pe32_plus: true,
            characteristics: 0x0022, // executable image, large address aware
            dll_characteristics: 0x0160, // dynamic base, NX, high-entropy VA
            imports: Vec::new(),
        }
    }
}

/// File offset of the PE signature in images from [`build_pe`].
pub(crate) const PE_HEADER_OFFSET: usize = 0x80;

/// Builds a PE image with one `.idata` section holding the import table.
pub(crate) fn build_pe(spec: &PeSpec) -> Vec<u8> {
    const SECTION_RVA: u32 = 0x1000;
    const SECTION_FILE_OFFSET: usize = 0x400;

    // Import section: descriptors, terminator, then names.
    let mut idata = Writer::new(Endian::Little);
    let names_start = (spec.imports.len() + 1) * 20;
    let mut name_offsets = Vec::new();
    let mut names = Vec::new();
    for name in &spec.imports {
        name_offsets.push(names_start + names.len());
        names.extend_from_slice(name.as_bytes());
        names.push(0);
    }
    for name_offset in &name_offsets {
        idata.u32(SECTION_RVA + 0x800); // OriginalFirstThunk (unused here)
        idata.u32(0);
        idata.u32(0);
        idata.u32(SECTION_RVA + *name_offset as u32); // Name
        idata.u32(SECTION_RVA + 0x800); // FirstThunk
    }
    idata.raw(&[0; 20]);
    idata.raw(&names);
    idata.pad_to(0x200);

    let mut w = Writer::new(Endian::Little);
    w.raw(b"MZ");
    w.bytes.resize(0x3c, 0);
    w.u32(PE_HEADER_OFFSET as u32);
    w.bytes.resize(PE_HEADER_OFFSET, 0);
    w.raw(b"PE\0\0");
    // COFF header.
    let optional_header_size: u16 = if spec.pe32_plus { 240 } else { 224 };
    w.u16(spec.machine);
    w.u16(1); // NumberOfSections
    w.u32(0); // TimeDateStamp
    w.u32(0); // PointerToSymbolTable
    w.u32(0); // NumberOfSymbols
    w.u16(optional_header_size);
    w.u16(spec.characteristics);
    // Optional header.
    let optional_start = w.bytes.len();
    w.u16(if spec.pe32_plus { 0x20b } else { 0x10b });
    w.bytes.resize(optional_start + 70, 0);
    w.u16(spec.dll_characteristics);
    let directory_count_at = if spec.pe32_plus { 108 } else { 92 };
    w.bytes.resize(optional_start + directory_count_at, 0);
    w.u32(16); // NumberOfRvaAndSizes
    w.u32(0); // export table
    w.u32(0);
    let has_imports = !spec.imports.is_empty();
    w.u32(if has_imports { SECTION_RVA } else { 0 }); // import table RVA
    w.u32(if has_imports { names_start as u32 } else { 0 });
    w.bytes
        .resize(optional_start + usize::from(optional_header_size), 0);
    // Section table.
    w.raw(b".idata\0\0");
    w.u32(idata.bytes.len() as u32); // VirtualSize
    w.u32(SECTION_RVA); // VirtualAddress
    w.u32(idata.bytes.len() as u32); // SizeOfRawData
    w.u32(SECTION_FILE_OFFSET as u32); // PointerToRawData
    w.raw(&[0; 12]);
    w.u32(0xc000_0040); // Characteristics
    w.bytes.resize(SECTION_FILE_OFFSET, 0);
    w.raw(&idata.bytes);
    w.bytes
}
