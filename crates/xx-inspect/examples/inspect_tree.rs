//! Inspects every regular file under the given directories (recursively,
//! not following symlinks, so each file is inspected once) and reports how
//! many were ELF files and how long inspection took.
//!
//! ```text
//! cargo run --release -p xx-inspect --example inspect_tree -- /usr/bin /usr/lib/x86_64-linux-gnu
//! ```
//!
//! Pass `--verbose` first to print one line per file.

use std::path::{Path, PathBuf};
use std::time::Instant;

use xx_inspect::{inspect_path, Format, InspectError};

fn collect_files(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let Ok(file_type) = entry.file_type() else {
            continue;
        };
        if file_type.is_dir() {
            collect_files(&entry.path(), files);
        } else if file_type.is_file() {
            files.push(entry.path());
        }
    }
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let verbose = args.first().is_some_and(|arg| arg == "--verbose");
    if verbose {
        args.remove(0);
    }
    let mut files = Vec::new();
    for dir in &args {
        collect_files(Path::new(dir), &mut files);
    }
    files.sort();

    let start = Instant::now();
    let results: Vec<_> = files.iter().map(|path| inspect_path(path)).collect();
    let elapsed = start.elapsed();

    let (mut elf, mut other_binary, mut not_binary, mut errors) = (0, 0, 0, 0);
    for (path, result) in files.iter().zip(&results) {
        match result {
            Ok(info) if info.format == Format::Elf => elf += 1,
            Ok(_) => other_binary += 1,
            Err(InspectError::UnknownFormat { .. }) => not_binary += 1,
            Err(error) => {
                errors += 1;
                if !verbose {
                    println!("file {}: {error}", path.display());
                }
            }
        }
        if verbose {
            match result {
                Ok(info) => println!(
                    "{}: {} {} {:?} {} pie={} static={} static_pie={} glibc={:?} \
                     interp={:?} needed={:?}",
                    path.display(),
                    info.format,
                    info.arches[0].machine,
                    info.os,
                    info.kind,
                    info.is_pie,
                    info.is_static,
                    info.is_static_pie,
                    info.max_glibc.map(|v| v.to_string()),
                    info.interpreter,
                    info.needed
                ),
                Err(error) => println!("file {}: {error}", path.display()),
            }
        }
    }
    println!(
        "{} files: {elf} ELF, {other_binary} other binaries, {not_binary} not binaries, \
         {errors} errors; {:.1} ms total",
        files.len(),
        elapsed.as_secs_f64() * 1000.0
    );
}
