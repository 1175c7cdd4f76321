//! Property test: random corruption of real binaries never makes
//! `inspect_bytes` panic, and every error renders as one line.

mod common;

use std::sync::OnceLock;

use proptest::prelude::*;
use xx_inspect::inspect_bytes;

/// Real binaries of every supported format, built once per test process.
fn corpus() -> &'static [Vec<u8>] {
    static CORPUS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let paths = [
            std::path::PathBuf::from("/bin/ls"),
            common::build_host_executable("mutation-static-pie", &["-static-pie"]),
            common::build_static_executable("arm-linux-gnueabihf"),
            common::build_static_executable("s390x-linux-gnu"),
            common::compile_object("riscv64-linux-gnu", "mutation"),
            common::build_windows_executable(&common::MINGW_X86_64_GCC, "mutation.exe"),
            common::build_macho_object("arm64-apple-macos11", "mutation"),
            common::build_universal_object(),
        ];
        paths
            .iter()
            .map(|path| std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
            .collect()
    })
}

/// One corruption: where (as a fraction of the file or of its first 4 KiB,
/// where the headers live) and what to write there.
#[derive(Debug, Clone)]
enum Mutation {
    Byte {
        position: u32,
        in_header: bool,
        value: u8,
    },
    Word {
        position: u32,
        in_header: bool,
        value: u64,
    },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let interesting = prop_oneof![
        Just(0u64),
        Just(u64::MAX),
        Just(0x7fff_ffff),
        Just(0x8000_0000),
        Just(0xffff),
        Just(1),
        any::<u64>(),
    ];
    prop_oneof![
        (any::<u32>(), any::<bool>(), any::<u8>()).prop_map(|(position, in_header, value)| {
            Mutation::Byte {
                position,
                in_header,
                value,
            }
        }),
        (any::<u32>(), any::<bool>(), interesting).prop_map(|(position, in_header, value)| {
            Mutation::Word {
                position,
                in_header,
                value,
            }
        }),
    ]
}

fn apply(bytes: &mut [u8], mutation: &Mutation) {
    let pick = |position: u32, in_header: bool, width: usize| {
        let span = if in_header {
            bytes.len().min(4096)
        } else {
            bytes.len()
        };
        let span = span.saturating_sub(width).max(1);
        (position as usize % span) & !(width.min(8) - 1)
    };
    match *mutation {
        Mutation::Byte {
            position,
            in_header,
            value,
        } => {
            let at = pick(position, in_header, 1);
            if let Some(byte) = bytes.get_mut(at) {
                *byte = value;
            }
        }
        Mutation::Word {
            position,
            in_header,
            value,
        } => {
            let at = pick(position, in_header, 8);
            let width = if position % 2 == 0 { 4 } else { 8 };
            let raw = value.to_le_bytes();
            if let Some(slot) = bytes.get_mut(at..at + width) {
                slot.copy_from_slice(&raw[..width]);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 2000,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn mutated_binaries_never_panic(
        which in any::<usize>(),
        mutations in prop::collection::vec(mutation(), 1..12),
        cut in prop::option::weighted(0.3, any::<u32>()),
    ) {
        let original = &corpus()[which % corpus().len()];
        let mut bytes = original.clone();
        for mutation in &mutations {
            apply(&mut bytes, mutation);
        }
        if let Some(cut) = cut {
            bytes.truncate(cut as usize % (bytes.len() + 1));
        }
        if let Err(error) = inspect_bytes(&bytes) {
            let message = error.to_string();
            prop_assert!(!message.contains('\n'), "multi-line error: {}", message);
            prop_assert!(!message.is_empty());
        }
    }
}
