//! The versioned symbols a shared library defines: its `.dynsym` with the
//! names of `.gnu.version_d`, as xx-clang's glibc floor needs them to write
//! link-time stubs. Unlike the rest of this crate this reads the symbol
//! table; it is meant for the few C libraries of a target, not for
//! arbitrary binaries.

use goblin::elf::sym::{STB_GLOBAL, STB_WEAK, STT_FUNC, STT_GNU_IFUNC, STT_OBJECT, STT_TLS};
use goblin::elf::Elf;

use crate::error::InspectError;

/// What kind of thing a symbol names, as a stub has to define it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SymbolKind {
    /// Code (functions, including IFUNC resolvers).
    Function,
    /// Data, with its size (copy relocations need it).
    Object,
    /// Thread-local data.
    Tls,
}

/// One symbol a library defines, under one version.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ExportedSymbol {
    /// The symbol name (`memcpy`).
    pub name: String,
    /// The version it is defined under (`GLIBC_2.14`).
    pub version: String,
    /// Whether that is the default version (`memcpy@@GLIBC_2.14`) rather
    /// than a compatibility one (`memcpy@GLIBC_2.2.5`).
    pub is_default: bool,
    /// Function, object or TLS.
    pub kind: SymbolKind,
    /// `st_size`.
    pub size: u64,
}

/// A shared library's name and versioned exports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exports {
    /// `DT_SONAME` (`libc.so.6`), when it has one.
    pub soname: Option<String>,
    /// Every version it defines, base version excluded (`GLIBC_2.2.5`, ...).
    pub versions: Vec<String>,
    /// Defined global and weak symbols that carry a version.
    pub symbols: Vec<ExportedSymbol>,
}

/// Read the versioned exports of the ELF shared library `bytes`.
pub fn read_exports(bytes: &[u8]) -> Result<Exports, InspectError> {
    let elf = Elf::parse(bytes).map_err(|err| InspectError::Malformed {
        detail: err.to_string(),
    })?;
    let mut names: Vec<(u16, String)> = Vec::new();
    let mut versions = Vec::new();
    if let Some(verdef) = &elf.verdef {
        for def in verdef.iter() {
            let Some(aux) = def.iter().next() else {
                continue;
            };
            let Some(name) = elf.dynstrtab.get_at(aux.vda_name) else {
                continue;
            };
            // VER_FLG_BASE: the file's own name, not a version.
            if def.vd_flags & 1 == 0 {
                versions.push(name.to_string());
            }
            names.push((def.vd_ndx, name.to_string()));
        }
    }
    let mut symbols = Vec::new();
    for (index, sym) in elf.dynsyms.iter().enumerate() {
        if sym.st_shndx == 0 || !matches!(sym.st_bind(), STB_GLOBAL | STB_WEAK) {
            continue;
        }
        let kind = match sym.st_type() {
            STT_FUNC | STT_GNU_IFUNC => SymbolKind::Function,
            STT_OBJECT => SymbolKind::Object,
            STT_TLS => SymbolKind::Tls,
            _ => continue,
        };
        let Some(versym) = elf.versym.as_ref().and_then(|v| v.get_at(index)) else {
            continue;
        };
        let Some((_, version)) = names.iter().find(|(ndx, _)| *ndx == versym.version()) else {
            continue;
        };
        let Some(name) = elf.dynstrtab.get_at(sym.st_name) else {
            continue;
        };
        if name.is_empty() {
            continue;
        }
        symbols.push(ExportedSymbol {
            name: name.to_string(),
            version: version.clone(),
            is_default: !versym.is_hidden(),
            kind,
            size: sym.st_size,
        });
    }
    Ok(Exports {
        soname: elf.soname.map(str::to_string),
        versions,
        symbols,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The build machine's own libc (a real Debian 12 one on this project's
    /// machines); skipped where there is none.
    #[test]
    fn reads_the_hosts_libc() {
        let Some(bytes) = [
            "/lib/x86_64-linux-gnu/libc.so.6",
            "/lib/aarch64-linux-gnu/libc.so.6",
        ]
        .iter()
        .find_map(|path| std::fs::read(path).ok()) else {
            return;
        };
        let exports = read_exports(&bytes).unwrap();
        assert_eq!(exports.soname.as_deref(), Some("libc.so.6"));
        assert!(exports.versions.iter().any(|v| v == "GLIBC_2.17"));
        let printf: Vec<_> = exports
            .symbols
            .iter()
            .filter(|s| s.name == "printf")
            .collect();
        assert!(!printf.is_empty());
        assert!(printf
            .iter()
            .any(|s| s.is_default && s.kind == SymbolKind::Function));
        let stdout = exports.symbols.iter().find(|s| s.name == "stdout").unwrap();
        assert_eq!(stdout.kind, SymbolKind::Object);
        assert!(stdout.size >= 4);
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(read_exports(b"not an elf").is_err());
    }
}
