//! digest: prints the SHA-256 (OpenSSL) and Adler-32 (C code built by the
//! `cc` crate) of its arguments, or of a built-in message.

use std::ffi::CStr;
use std::os::raw::c_uchar;

extern "C" {
    fn example_adler32(data: *const c_uchar, len: usize) -> u32;
}

/// SHA-256 of `data` with OpenSSL's one-shot function.
fn sha256(data: &[u8]) -> [u8; 32] {
    let mut digest = [0u8; 32];
    // SAFETY: `data` is valid for `data.len()` bytes and `digest` has room
    // for the 32 bytes SHA256 writes.
    unsafe { openssl_sys::SHA256(data.as_ptr(), data.len(), digest.as_mut_ptr()) };
    digest
}

/// Adler-32 of `data` with the example's C code.
fn adler32(data: &[u8]) -> u32 {
    // SAFETY: `data` is valid for `data.len()` bytes.
    unsafe { example_adler32(data.as_ptr(), data.len()) }
}

/// OpenSSL's version text, e.g. "OpenSSL 3.0.x ...".
fn openssl_version() -> String {
    openssl_sys::init();
    // SAFETY: OpenSSL_version returns a static NUL-terminated string.
    unsafe { CStr::from_ptr(openssl_sys::OpenSSL_version(openssl_sys::OPENSSL_VERSION)) }
        .to_string_lossy()
        .into_owned()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let message = if args.is_empty() {
        "hello from xx-rs".to_string()
    } else {
        args.join(" ")
    };
    let hex: String = sha256(message.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    println!("{}", openssl_version());
    println!("sha256({message:?}) = {hex}");
    println!("adler32({message:?}) = {:08x}", adler32(message.as_bytes()));
}
