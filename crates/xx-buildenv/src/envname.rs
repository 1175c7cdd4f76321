//! Spelling of per-target environment variable names, and reading an
//! ordered list of variables.

/// The triple as the `cc`, `pkg-config` and `bindgen` crates spell it in
/// variable names: dashes become underscores, case is kept
/// (`CC_aarch64_unknown_linux_gnu`).
pub fn crate_suffix(triple: &str) -> String {
    triple.replace('-', "_")
}

/// `<name>_<triple with underscores>`, e.g. `CC_aarch64_unknown_linux_gnu`.
pub fn for_crates(name: &str, triple: &str) -> String {
    format!("{name}_{}", crate_suffix(triple))
}

/// Cargo's `CARGO_TARGET_<TRIPLE>_<KEY>`: the triple upper-cased with `-`
/// and `.` replaced by `_` (`CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER`).
pub fn cargo_target(triple: &str, key: &str) -> String {
    let upper: String = triple
        .chars()
        .map(|c| match c {
            '-' | '.' => '_',
            other => other.to_ascii_uppercase(),
        })
        .collect();
    format!("CARGO_TARGET_{upper}_{key}")
}

/// The value the last `(name, value)` pair for `name` gives it: the one a
/// process started with these pairs applied in order would see.
pub fn last_value<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .rev()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_cargo_and_the_cc_crate() {
        assert_eq!(
            cargo_target("armv7-unknown-linux-gnueabihf", "LINKER"),
            "CARGO_TARGET_ARMV7_UNKNOWN_LINUX_GNUEABIHF_LINKER"
        );
        assert_eq!(
            for_crates("CC", "aarch64-unknown-linux-gnu"),
            "CC_aarch64_unknown_linux_gnu"
        );
        assert_eq!(
            crate_suffix("x86_64-pc-windows-gnu"),
            "x86_64_pc_windows_gnu"
        );
    }
}
