//! Recognizing the container format from the first bytes of a file.

use crate::reader::Reader;
use crate::Endian;

/// What the leading bytes of a file say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Detected {
    Elf,
    MachO,
    MachOFat,
    Pe,
    /// Not a supported binary; the text describes what it appears to be.
    Unknown(&'static str),
}

const ELF_MAGIC: &[u8] = b"\x7fELF";
const MACHO_MAGICS: [[u8; 4]; 4] = [
    [0xfe, 0xed, 0xfa, 0xce], // 32-bit, big endian
    [0xfe, 0xed, 0xfa, 0xcf], // 64-bit, big endian
    [0xce, 0xfa, 0xed, 0xfe], // 32-bit, little endian
    [0xcf, 0xfa, 0xed, 0xfe], // 64-bit, little endian
];
const FAT_MAGIC: [u8; 4] = [0xca, 0xfe, 0xba, 0xbe];
const FAT_MAGIC_64: [u8; 4] = [0xca, 0xfe, 0xba, 0xbf];

/// Java class files share the `0xcafebabe` magic with Mach-O universal files.
/// In a class file the next word is the class-file version, at least 45
/// (`0x2d`); in a universal file it is the slice count, which is small.
pub(crate) const MAX_FAT_SLICES: u32 = 44;

/// Offset of `e_lfanew`, the pointer to the PE signature, in the DOS header.
pub(crate) const PE_POINTER_OFFSET: u64 = 0x3c;
pub(crate) const PE_SIGNATURE: &[u8] = b"PE\0\0";

/// Whether `bytes` (the start of a file) looks like a format this crate
/// parses, so that mapping the whole file is worthwhile.
pub(crate) fn is_supported_binary(bytes: &[u8]) -> bool {
    !matches!(detect(bytes), Detected::Unknown(_))
}

/// Classifies `bytes` by magic number.
pub(crate) fn detect(bytes: &[u8]) -> Detected {
    if bytes.starts_with(ELF_MAGIC) {
        return Detected::Elf;
    }
    let Some(magic) = crate::reader::magic(bytes) else {
        return describe_other(bytes);
    };
    if MACHO_MAGICS.contains(&magic) {
        return Detected::MachO;
    }
    if magic == FAT_MAGIC_64 {
        return Detected::MachOFat;
    }
    if magic == FAT_MAGIC {
        return match Reader::new(bytes, Endian::Big).u32_at(4) {
            None => Detected::MachOFat,
            Some(count) if count <= MAX_FAT_SLICES => Detected::MachOFat,
            Some(_) => Detected::Unknown("java class file"),
        };
    }
    if bytes.starts_with(b"MZ") {
        return detect_dos_or_pe(bytes);
    }
    describe_other(bytes)
}

/// An `MZ` file is PE when `e_lfanew` points at a `PE\0\0` signature. When
/// the file ends before the signature it is treated as a (truncated) PE file,
/// so the error says "truncated" rather than "not a binary".
fn detect_dos_or_pe(bytes: &[u8]) -> Detected {
    let reader = Reader::new(bytes, Endian::Little);
    let Some(pe_offset) = reader.u32_at(PE_POINTER_OFFSET) else {
        return Detected::Pe;
    };
    let pe_offset = u64::from(pe_offset);
    match reader.bytes_at(pe_offset, PE_SIGNATURE.len() as u64) {
        Some(signature) if signature == PE_SIGNATURE => Detected::Pe,
        Some(_) => Detected::Unknown("ms-dos executable"),
        None => Detected::Pe,
    }
}

fn describe_other(bytes: &[u8]) -> Detected {
    const KNOWN_PREFIXES: &[(&[u8], &str)] = &[
        (b"#!", "script (#!)"),
        (b"!<arch>\n", "ar archive"),
        (b"!<thin>\n", "thin ar archive"),
        (b"\0asm", "webassembly module"),
        (b"\x1f\x8b", "gzip data"),
        (b"\xfd7zXZ\0", "xz data"),
        (b"\x28\xb5\x2f\xfd", "zstd data"),
        (b"BZh", "bzip2 data"),
        (b"PK\x03\x04", "zip archive"),
    ];
    for (prefix, description) in KNOWN_PREFIXES {
        if bytes.starts_with(prefix) {
            return Detected::Unknown(description);
        }
    }
    if looks_like_text(bytes) {
        Detected::Unknown("text")
    } else {
        Detected::Unknown("data")
    }
}

/// Whether the first kilobyte is valid UTF-8 without control characters
/// other than common whitespace.
fn looks_like_text(bytes: &[u8]) -> bool {
    let sample = &bytes[..bytes.len().min(1024)];
    let valid_prefix = match std::str::from_utf8(sample) {
        Ok(text) => text,
        // A multi-byte character cut by the sample window is fine.
        Err(error) if error.error_len().is_none() => {
            match std::str::from_utf8(&sample[..error.valid_up_to()]) {
                Ok(text) => text,
                Err(_) => return false,
            }
        }
        Err(_) => return false,
    };
    valid_prefix
        .chars()
        .all(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t' | '\x0c'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognizes_magics() {
        assert_eq!(detect(b"\x7fELF\x02\x01"), Detected::Elf);
        assert_eq!(detect(&[0xcf, 0xfa, 0xed, 0xfe, 0, 0]), Detected::MachO);
        assert_eq!(detect(&[0xfe, 0xed, 0xfa, 0xce]), Detected::MachO);
        assert_eq!(
            detect(&[0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 2]),
            Detected::MachOFat
        );
        assert_eq!(
            detect(&[0xca, 0xfe, 0xba, 0xbf, 0, 0, 0, 2]),
            Detected::MachOFat
        );
    }

    #[test]
    fn tells_java_classes_from_universal_binaries() {
        // Java 17 class file: minor 0, major 61.
        assert_eq!(
            detect(&[0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 61]),
            Detected::Unknown("java class file")
        );
    }

    #[test]
    fn describes_non_binaries() {
        assert_eq!(
            detect(b"#!/bin/sh\necho hi\n"),
            Detected::Unknown("script (#!)")
        );
        assert_eq!(detect(b"!<arch>\nfoo"), Detected::Unknown("ar archive"));
        assert_eq!(detect(b"hello world\n"), Detected::Unknown("text"));
        assert_eq!(detect("héllo\n".as_bytes()), Detected::Unknown("text"));
        assert_eq!(
            detect(&[0x00, 0x01, 0xff, 0x80, 0x13]),
            Detected::Unknown("data")
        );
        assert_eq!(detect(b"\x7fEL"), Detected::Unknown("data"));
    }

    #[test]
    fn distinguishes_dos_from_pe() {
        let mut image = vec![0u8; 0x100];
        image[..2].copy_from_slice(b"MZ");
        image[0x3c] = 0x80;
        assert_eq!(detect(&image), Detected::Unknown("ms-dos executable"));
        image[0x80..0x84].copy_from_slice(PE_SIGNATURE);
        assert_eq!(detect(&image), Detected::Pe);
        // Cut before the signature: still PE, so the error says "truncated".
        assert_eq!(detect(&image[..0x70]), Detected::Pe);
        assert_eq!(detect(&image[..0x20]), Detected::Pe);
    }
}
