//! The Debian mirror the host's apt uses, so the test root is fetched from
//! the same (reachable) place.

use std::path::Path;

/// The mirror used when the host's apt configuration names none.
pub const DEFAULT_MIRROR: &str = "http://deb.debian.org/debian";

/// The host's Debian mirror URL: the first main-archive URI of
/// `/etc/apt/sources.list.d/debian.sources`, else of
/// `/etc/apt/sources.list`, else [`DEFAULT_MIRROR`].
pub fn debian_mirror() -> String {
    mirror_below(Path::new("/"))
}

/// [`debian_mirror`] for the apt configuration under `root`.
pub(crate) fn mirror_below(root: &Path) -> String {
    let deb822 = std::fs::read_to_string(root.join("etc/apt/sources.list.d/debian.sources"))
        .ok()
        .and_then(|text| first_deb822_mirror(&text));
    deb822
        .or_else(|| {
            std::fs::read_to_string(root.join("etc/apt/sources.list"))
                .ok()
                .and_then(|text| first_one_line_mirror(&text))
        })
        .unwrap_or_else(|| DEFAULT_MIRROR.to_string())
}

/// Whether `uri` is a Debian main archive (not the security or ports one).
fn is_main_archive(uri: &str) -> bool {
    let uri = uri.trim_end_matches('/');
    (uri.starts_with("http://") || uri.starts_with("https://")) && uri.ends_with("/debian")
}

/// The first main-archive URI of a deb822 `.sources` text.
pub(crate) fn first_deb822_mirror(text: &str) -> Option<String> {
    text.lines()
        .filter_map(|line| line.strip_prefix("URIs:"))
        .flat_map(str::split_whitespace)
        .find(|uri| is_main_archive(uri))
        .map(|uri| uri.trim_end_matches('/').to_string())
}

/// The first main-archive URI of a one-line-style `sources.list` text.
pub(crate) fn first_one_line_mirror(text: &str) -> Option<String> {
    text.lines()
        .map(str::trim)
        .filter_map(|line| line.strip_prefix("deb "))
        .filter_map(|rest| {
            let rest = rest.trim_start();
            let rest = match rest.strip_prefix('[') {
                Some(options) => options.split_once(']')?.1,
                None => rest,
            };
            rest.split_whitespace().next()
        })
        .find(|uri| is_main_archive(uri))
        .map(|uri| uri.trim_end_matches('/').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_deb822_sources() {
        let text = "Types: deb\n# http://snapshot.debian.org/archive/debian/2025\nURIs: http://deb.debian.org/debian-security\nSuites: bookworm-security\n\nTypes: deb\nURIs: http://mirror.example/debian/\nSuites: bookworm\n";
        assert_eq!(
            first_deb822_mirror(text).as_deref(),
            Some("http://mirror.example/debian")
        );
        assert_eq!(first_deb822_mirror("Types: deb\n"), None);
    }

    #[test]
    fn reads_one_line_sources() {
        let text = "# deb http://old.example/debian bookworm main\ndeb [arch=amd64 signed-by=/k.gpg] http://m.example/debian bookworm main\ndeb http://deb.debian.org/debian bookworm main\n";
        assert_eq!(
            first_one_line_mirror(text).as_deref(),
            Some("http://m.example/debian")
        );
        assert_eq!(
            first_one_line_mirror("deb-src http://x/debian b main"),
            None
        );
    }

    #[test]
    fn falls_back_to_the_default() {
        let empty = tempfile::tempdir().expect("tempdir");
        assert_eq!(mirror_below(empty.path()), DEFAULT_MIRROR);
    }
}
