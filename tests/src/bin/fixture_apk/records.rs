//! apk's text records: the blocks of an `APKINDEX` and of the installed
//! database `lib/apk/db/installed`, one package per block, blocks
//! separated by a blank line, each line `<letter>:<value>`.

/// One package as an index or the installed database describes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Package {
    /// `P:`
    pub name: String,
    /// `V:`
    pub version: String,
    /// `A:`
    pub arch: String,
    /// `I:`, in bytes.
    pub installed_size: u64,
    /// `T:`
    pub description: String,
    /// `U:`
    pub url: String,
    /// `L:`
    pub license: String,
    /// `o:`
    pub origin: Option<String>,
    /// `D:`, dependency specs as written (`musl`, `so:libc.musl-x86_64.so.1`, `zlib>=1.3`).
    pub depends: Vec<String>,
    /// `F:`/`R:` (installed database only): the directories the package
    /// owns, each with the files in it.
    pub dirs: Vec<OwnedDir>,
}

/// A directory a package owns (`F:`) and its files (`R:`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OwnedDir {
    /// Relative to the root, without leading or trailing `/`; empty for the root itself.
    pub path: String,
    /// File names in the directory.
    pub files: Vec<String>,
}

impl Package {
    /// `<name>-<version>`, as apk names a package in messages.
    pub fn label(&self) -> String {
        format!("{}-{}", self.name, self.version)
    }

    /// Same package (name and version) as `other`.
    pub fn same_as(&self, other: &Package) -> bool {
        self.name == other.name && self.version == other.version
    }

    /// The owned files, relative to the root without a leading `/`, in
    /// database order.
    pub fn files(&self) -> Vec<String> {
        self.dirs
            .iter()
            .flat_map(|dir| dir.files.iter().map(move |file| join(&dir.path, file)))
            .collect()
    }

    /// Record `entry` (a path relative to the root as `tar -t` lists it;
    /// directories end with `/`) as owned.
    pub fn own_path(&mut self, entry: &str) {
        let entry = entry.trim_start_matches("./").trim_start_matches('/');
        if let Some(dir) = entry.strip_suffix('/') {
            if !dir.is_empty() {
                self.own_dir(dir);
            }
            return;
        }
        if entry.is_empty() {
            return;
        }
        let (dir, file) = entry.rsplit_once('/').unwrap_or(("", entry));
        let index = self.own_dir(dir);
        self.dirs[index].files.push(file.to_string());
    }

    fn own_dir(&mut self, path: &str) -> usize {
        match self.dirs.iter().position(|dir| dir.path == path) {
            Some(index) => index,
            None => {
                self.dirs.push(OwnedDir {
                    path: path.to_string(),
                    files: Vec::new(),
                });
                self.dirs.len() - 1
            }
        }
    }
}

/// `dir/file`, or `file` in the root.
fn join(dir: &str, file: &str) -> String {
    if dir.is_empty() {
        file.to_string()
    } else {
        format!("{dir}/{file}")
    }
}

/// The name a dependency spec (`zlib`, `zlib>=1.3`, `zlib@edge`) is about;
/// `None` for a conflict (`!zlib`) or an empty spec.
pub fn dependency_name(spec: &str) -> Option<&str> {
    if spec.starts_with('!') {
        return None;
    }
    let end = spec.find(['<', '>', '=', '~', '@']).unwrap_or(spec.len());
    let name = &spec[..end];
    (!name.is_empty()).then_some(name)
}

/// Read the packages of an `APKINDEX` or an installed database. Fields the
/// fixture does not use (checksums, sizes of the archive, ACLs, ...) are
/// skipped; blocks without `P:` are dropped.
pub fn parse(text: &str) -> Vec<Package> {
    let mut packages = Vec::new();
    let mut current = Package::default();
    for line in text.lines() {
        if line.trim().is_empty() {
            finish(&mut packages, &mut current);
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        match key {
            "P" => current.name = value.to_string(),
            "V" => current.version = value.to_string(),
            "A" => current.arch = value.to_string(),
            "I" => current.installed_size = value.trim().parse().unwrap_or(0),
            "T" => current.description = value.to_string(),
            "U" => current.url = value.to_string(),
            "L" => current.license = value.to_string(),
            "o" => current.origin = Some(value.to_string()),
            "D" => current.depends = value.split_whitespace().map(str::to_string).collect(),
            "F" => current.dirs.push(OwnedDir {
                path: value.to_string(),
                files: Vec::new(),
            }),
            "R" => {
                if current.dirs.is_empty() {
                    current.dirs.push(OwnedDir::default());
                }
                if let Some(dir) = current.dirs.last_mut() {
                    dir.files.push(value.to_string());
                }
            }
            _ => {}
        }
    }
    finish(&mut packages, &mut current);
    packages
}

fn finish(packages: &mut Vec<Package>, current: &mut Package) {
    let package = std::mem::take(current);
    if !package.name.is_empty() {
        packages.push(package);
    }
}

/// One package's block with its `F:`/`R:` lines, apk's field order,
/// ending with the blank line.
pub fn write_block(package: &Package) -> String {
    let mut block = format!(
        "P:{}\nV:{}\nA:{}\n",
        package.name, package.version, package.arch
    );
    if package.installed_size > 0 {
        block.push_str(&format!("I:{}\n", package.installed_size));
    }
    for (key, value) in [("T", &package.description), ("U", &package.url)] {
        if !value.is_empty() {
            block.push_str(&format!("{key}:{value}\n"));
        }
    }
    block.push_str(&format!("L:{}\n", package.license));
    if let Some(origin) = &package.origin {
        block.push_str(&format!("o:{origin}\n"));
    }
    if !package.depends.is_empty() {
        block.push_str(&format!("D:{}\n", package.depends.join(" ")));
    }
    for dir in &package.dirs {
        block.push_str(&format!("F:{}\n", dir.path));
        for file in &dir.files {
            block.push_str(&format!("R:{file}\n"));
        }
    }
    block.push('\n');
    block
}

/// The installed database: the packages sorted by name, as apk writes it.
pub fn write_installed(packages: &[Package]) -> String {
    let mut sorted: Vec<&Package> = packages.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.version.cmp(&b.version)));
    sorted.into_iter().map(write_block).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const INDEX: &str = "C:Q1abc=\nP:zlib-dev\nV:1.3.1-r1\nA:aarch64\nS:1234\nI:4096\nT:zlib headers\nU:https://zlib.net/\nL:Zlib\no:zlib\nm:Someone <x@y>\nt:1700000000\nD:zlib pkgconfig so:libz.so.1\n\nP:zlib\nV:1.3.1-r1\nA:aarch64\nL:Zlib\n\n";

    #[test]
    fn index_blocks_are_read_with_their_dependencies() {
        let packages = parse(INDEX);
        assert_eq!(packages.len(), 2);
        let dev = &packages[0];
        assert_eq!(dev.label(), "zlib-dev-1.3.1-r1");
        assert_eq!(dev.arch, "aarch64");
        assert_eq!(dev.installed_size, 4096);
        assert_eq!(dev.description, "zlib headers");
        assert_eq!(dev.origin.as_deref(), Some("zlib"));
        assert_eq!(dev.depends, ["zlib", "pkgconfig", "so:libz.so.1"]);
        assert_eq!(packages[1].origin, None);
        assert!(packages[1].depends.is_empty());
    }

    #[test]
    fn installed_database_round_trips_with_its_files() {
        let text = "P:zlib\nV:1.3.1-r1\nA:x86_64\nL:Zlib\no:zlib\nF:usr\nF:usr/lib\nR:libz.so.1\nR:libz.so.1.3.1\n\nP:musl\nV:1.2.5-r0\nA:x86_64\nL:MIT\nF:lib\nR:ld-musl-x86_64.so.1\n\n";
        let packages = parse(text);
        assert_eq!(
            packages[0].files(),
            ["usr/lib/libz.so.1", "usr/lib/libz.so.1.3.1"]
        );
        assert_eq!(packages[0].dirs[0].path, "usr");
        let written = write_installed(&packages);
        // Sorted by name, as apk writes it.
        assert!(written.starts_with(
            "P:musl\nV:1.2.5-r0\nA:x86_64\nL:MIT\nF:lib\nR:ld-musl-x86_64.so.1\n\nP:zlib\n"
        ));
        assert_eq!(parse(&written), {
            let mut sorted = packages.clone();
            sorted.reverse();
            sorted
        });
    }

    #[test]
    fn tar_listings_become_owned_dirs_and_files() {
        let mut package = Package::default();
        for entry in [
            "usr/",
            "usr/lib/",
            "usr/lib/libz.so.1",
            "usr/lib/pkgconfig/",
            "usr/lib/pkgconfig/zlib.pc",
            "./etc/apk/keys/key.pub",
            "top",
        ] {
            package.own_path(entry);
        }
        let dirs: Vec<&str> = package.dirs.iter().map(|d| d.path.as_str()).collect();
        assert_eq!(
            dirs,
            ["usr", "usr/lib", "usr/lib/pkgconfig", "etc/apk/keys", ""]
        );
        assert_eq!(
            package.files(),
            [
                "usr/lib/libz.so.1",
                "usr/lib/pkgconfig/zlib.pc",
                "etc/apk/keys/key.pub",
                "top"
            ]
        );
    }

    #[test]
    fn dependency_specs_name_their_package() {
        assert_eq!(dependency_name("zlib"), Some("zlib"));
        assert_eq!(dependency_name("zlib>=1.3"), Some("zlib"));
        assert_eq!(dependency_name("musl~1.2"), Some("musl"));
        assert_eq!(dependency_name("busybox@edge"), Some("busybox"));
        assert_eq!(
            dependency_name("so:libc.musl-x86_64.so.1"),
            Some("so:libc.musl-x86_64.so.1")
        );
        assert_eq!(dependency_name("!foo"), None);
        assert_eq!(dependency_name(""), None);
    }
}
