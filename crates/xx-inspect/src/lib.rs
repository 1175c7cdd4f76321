//! Binary header inspection for `xx-verify`.
//!
//! Reads only the headers of an ELF, Mach-O (thin or universal) or PE file
//! and reports its format, architecture(s), target OS, file kind, dynamic
//! dependencies and required glibc version. Nothing is executed and no
//! external tool (such as `file`) is run.
//!
//! The cost does not grow with the size of the binary: files are memory
//! mapped and only the headers, program headers, dynamic section, notes and
//! version-requirement table are touched. Symbol tables and relocations are
//! never read. All offsets and counts taken from the file are bounds checked
//! and capped, so malformed or hostile input yields an [`InspectError`]
//! instead of a panic or an unbounded allocation.
//!
//! ```no_run
//! let info = xx_inspect::inspect_path(std::path::Path::new("/bin/ls"))?;
//! println!("{} {} {:?}", info.format, info.arches[0].machine, info.max_glibc);
//! # Ok::<(), xx_inspect::InspectError>(())
//! ```

#![warn(missing_docs)]

mod elf;
mod error;
mod exports;
mod glibc;
mod info;
mod macho;
mod pe;
mod reader;
mod sniff;
#[cfg(test)]
mod test_images;

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

pub use error::InspectError;
pub use exports::{read_exports, ExportedSymbol, Exports, SymbolKind};
pub use glibc::{GlibcVersion, GlibcVersionParseError};
pub use info::{ArchInfo, BinaryInfo, BinaryOs, Endian, FileKind, Format, Machine};

/// Inspects the file at `path`, following symlinks.
///
/// The first 4 KiB are read to recognize the format. Files that are not
/// binaries, and files no longer than that, are answered from that read;
/// every other binary is memory mapped, so inspecting a multi-gigabyte binary
/// costs the same as a small one. Directories, FIFOs, devices and sockets are
/// rejected with [`InspectError::NotRegularFile`] without being opened.
pub fn inspect_path(path: &Path) -> Result<BinaryInfo, InspectError> {
    // Check the type before opening: opening a FIFO would block.
    let metadata = std::fs::metadata(path).map_err(|error| io_error("examine file", error))?;
    if !metadata.is_file() {
        return Err(InspectError::NotRegularFile {
            kind: describe_file_type(&metadata.file_type()),
        });
    }
    let length = metadata.len();
    if length == 0 {
        // Mapping a zero-length file fails, so answer before trying.
        return Err(InspectError::Empty);
    }
    let mut file = File::open(path).map_err(|error| io_error("open file", error))?;

    // Reading the first bytes is much cheaper than mapping, so files that are
    // not binaries (scripts and data next to the binaries in /usr/lib) are
    // turned away, and files smaller than one read inspected, without a
    // mapping.
    let mut head = [0u8; SNIFF_LEN];
    let head_len = read_head(&mut file, &mut head).map_err(|error| io_error("read file", error))?;
    let head = &head[..head_len];
    let read_whole_file = head_len < SNIFF_LEN || length <= SNIFF_LEN as u64;
    if read_whole_file || !sniff::is_supported_binary(head) {
        return inspect_bytes(head);
    }

    let length = usize::try_from(length).map_err(|_| InspectError::Io {
        operation: "map file",
        error: io::Error::new(
            io::ErrorKind::OutOfMemory,
            "file too large for address space",
        ),
    })?;
    // SAFETY: the mapping is only read through the `&[u8]` passed to
    // `inspect_bytes`, which bounds checks every access. If another process
    // truncates the file while it is mapped, reads past the new end raise
    // SIGBUS; that is the accepted trade-off of mapping files, and the same
    // risk any mmap-based reader (linkers, `file`) takes.
    let mapping = unsafe { memmap2::MmapOptions::new().len(length).map(&file) }
        .map_err(|error| io_error("map file", error))?;
    inspect_bytes(&mapping)
}

/// How many leading bytes are read to recognize a file before mapping it.
const SNIFF_LEN: usize = 4096;

/// Reads up to `buffer.len()` bytes from the start of `file`, stopping early
/// only at end of file.
fn read_head(file: &mut File, buffer: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match file.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(count) => filled += count,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(filled)
}

/// Inspects a binary held in memory.
///
/// Recognizes ELF, Mach-O, Mach-O universal and PE files by their magic
/// numbers; anything else is [`InspectError::UnknownFormat`] with a short
/// description of what the data looks like.
pub fn inspect_bytes(bytes: &[u8]) -> Result<BinaryInfo, InspectError> {
    if bytes.is_empty() {
        return Err(InspectError::Empty);
    }
    match sniff::detect(bytes) {
        sniff::Detected::Elf => elf::inspect(bytes),
        sniff::Detected::MachO => macho::inspect_thin(bytes),
        sniff::Detected::MachOFat => macho::inspect_fat(bytes),
        sniff::Detected::Pe => pe::inspect(bytes),
        sniff::Detected::Unknown(description) => Err(InspectError::UnknownFormat {
            description: description.to_owned(),
        }),
    }
}

fn io_error(operation: &'static str, error: io::Error) -> InspectError {
    if error.kind() == io::ErrorKind::NotFound {
        InspectError::NotFound
    } else {
        InspectError::Io { operation, error }
    }
}

fn describe_file_type(file_type: &std::fs::FileType) -> &'static str {
    if file_type.is_dir() {
        return "directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "fifo";
        }
        if file_type.is_socket() {
            return "socket";
        }
        if file_type.is_block_device() {
            return "block device";
        }
        if file_type.is_char_device() {
            return "character device";
        }
    }
    "special file"
}
