//! `inspect_path` on things that are not ordinary binaries, and on a huge one.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::scratch_dir;
use xx_inspect::{inspect_path, Format, InspectError};

fn write_file(name: &str, contents: &[u8]) -> std::path::PathBuf {
    let path = scratch_dir().join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

#[test]
fn empty_file() {
    let path = write_file("empty", b"");
    let error = inspect_path(&path).unwrap_err();
    assert!(matches!(error, InspectError::Empty), "{error:?}");
    assert_eq!(error.to_string(), "empty file");
}

#[test]
fn directory() {
    let error = inspect_path(scratch_dir()).unwrap_err();
    assert!(
        matches!(error, InspectError::NotRegularFile { kind: "directory" }),
        "{error:?}"
    );
    assert_eq!(error.to_string(), "not a regular file (directory)");
}

#[test]
fn fifo_is_rejected_without_blocking() {
    let path = scratch_dir().join("fifo");
    common::run(Command::new("mkfifo").arg(&path));
    let error = inspect_path(&path).unwrap_err();
    assert!(
        matches!(error, InspectError::NotRegularFile { kind: "fifo" }),
        "{error:?}"
    );
}

#[test]
fn missing_file_and_dangling_symlink() {
    let missing = scratch_dir().join("does-not-exist");
    assert!(matches!(
        inspect_path(&missing),
        Err(InspectError::NotFound)
    ));
    let dangling = scratch_dir().join("dangling");
    std::os::unix::fs::symlink(&missing, &dangling).unwrap();
    assert!(matches!(
        inspect_path(&dangling),
        Err(InspectError::NotFound)
    ));
    assert_eq!(InspectError::NotFound.to_string(), "no such file");
}

#[test]
fn symlink_is_followed() {
    let link = scratch_dir().join("ls-link");
    std::os::unix::fs::symlink("/bin/ls", &link).unwrap();
    assert_eq!(
        inspect_path(&link).unwrap(),
        inspect_path(Path::new("/bin/ls")).unwrap()
    );
}

#[test]
fn unreadable_file_reports_io_error() {
    // Root can read anything, so only check the message shape when it fails.
    let path = write_file("unreadable", b"\x7fELF");
    let mut permissions = std::fs::metadata(&path).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o000);
    std::fs::set_permissions(&path, permissions).unwrap();
    match inspect_path(&path) {
        Err(error @ InspectError::Io { .. }) => {
            assert!(
                error.to_string().starts_with("cannot open file: "),
                "{error}"
            );
        }
        // Running as root: the file is readable and simply truncated.
        Err(InspectError::Truncated { .. }) => {}
        other => panic!("unexpected result {other:?}"),
    }
}

#[test]
fn not_binaries() {
    let cases: [(&str, &[u8], &str); 5] = [
        (
            "script.sh",
            b"#!/bin/sh\necho hello\n",
            "not a supported binary: script (#!)",
        ),
        (
            "notes.txt",
            b"just some text\n",
            "not a supported binary: text",
        ),
        (
            "noise.bin",
            &[0x00, 0x9f, 0xfe, 0x13, 0x37, 0x00, 0x42],
            "not a supported binary: data",
        ),
        (
            "lib.a",
            b"!<arch>\n/               0           0     0     0       4         `\n",
            "not a supported binary: ar archive",
        ),
        (
            "Main.class",
            &[0xca, 0xfe, 0xba, 0xbe, 0x00, 0x00, 0x00, 0x41, 0x00],
            "not a supported binary: java class file",
        ),
    ];
    for (name, contents, message) in cases {
        let error = inspect_path(&write_file(name, contents)).unwrap_err();
        assert_eq!(error.to_string(), message, "{name}");
    }
}

#[test]
fn truncated_copy_of_a_real_binary() {
    let full = std::fs::read("/bin/ls").unwrap();
    for length in [
        3,
        16,
        40,
        64,
        100,
        1000,
        4096,
        5000,
        full.len() / 2,
        full.len() - 1,
    ] {
        let path = write_file(&format!("ls-cut-{length}"), &full[..length]);
        let error = inspect_path(&path).unwrap_err();
        let message = error.to_string();
        assert!(
            matches!(
                error,
                InspectError::Truncated { .. } | InspectError::UnknownFormat { .. }
            ),
            "{length}: {message}"
        );
        assert!(!message.contains('\n'));
    }
}

#[test]
fn random_bytes_file() {
    // A simple deterministic generator is enough to make noise.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let noise: Vec<u8> = (0..100_000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    let path = write_file("noise", &noise);
    assert!(matches!(
        inspect_path(&path),
        Err(InspectError::UnknownFormat { .. })
    ));
}

/// A 2 GiB file costs no more than a small one: only the headers are touched.
#[test]
fn huge_sparse_binary_is_cheap() {
    let binary = std::fs::read("/bin/ls").unwrap();
    let path = scratch_dir().join("huge-ls");
    let mut file = std::fs::File::create(&path).unwrap();
    file.write_all(&binary).unwrap();
    file.set_len(2 << 30).unwrap(); // sparse: no disk space used
    drop(file);

    let small = inspect_path(Path::new("/bin/ls")).unwrap();
    let start = Instant::now();
    let huge = inspect_path(&path).unwrap();
    let elapsed = start.elapsed();
    assert_eq!(huge, small);
    assert_eq!(huge.format, Format::Elf);
    // Reading 2 GiB (even of holes) takes far longer than this.
    assert!(elapsed < Duration::from_millis(250), "took {elapsed:?}");
    std::fs::remove_file(&path).unwrap();
}
