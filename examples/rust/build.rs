//! Compiles the C part of the example (csrc/checksum.c) with the target's
//! C compiler, which xx-cargo points the `cc` crate at.

fn main() {
    println!("cargo:rerun-if-changed=csrc/checksum.c");
    cc::Build::new().file("csrc/checksum.c").compile("checksum");
}
