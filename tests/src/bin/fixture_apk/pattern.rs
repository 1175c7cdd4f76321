//! Package name patterns as apk matches them (`fnmatch`): `*` any run of
//! characters, `?` one character, everything else itself.

/// Whether `pattern` contains a wildcard.
pub fn is_pattern(pattern: &str) -> bool {
    pattern.contains(['*', '?'])
}

/// Whether `name` matches `pattern`.
pub fn matches(pattern: &str, name: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let name: Vec<char> = name.chars().collect();
    matches_from(&pattern, &name)
}

fn matches_from(pattern: &[char], name: &[char]) -> bool {
    match pattern.split_first() {
        None => name.is_empty(),
        Some(('*', rest)) => (0..=name.len()).any(|skip| matches_from(rest, &name[skip..])),
        Some(('?', rest)) => !name.is_empty() && matches_from(rest, &name[1..]),
        Some((first, rest)) => name.first() == Some(first) && matches_from(rest, &name[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(matches("zlib", "zlib"));
        assert!(!matches("zlib", "zlib-dev"));
        assert!(matches("zlib*", "zlib-dev"));
        assert!(matches("*-dev", "musl-dev"));
        assert!(matches("g?c", "gcc"));
        assert!(!matches("g?c", "g++"));
        assert!(is_pattern("busy*") && !is_pattern("busybox"));
    }
}
