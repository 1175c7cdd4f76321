//! What the world needs: every world name and, recursively, the names its
//! packages depend on (`D:`), each satisfied by the installed package of
//! that name or else by the first repository that offers it. Installed
//! packages nothing needs any more are purged. There are no versions to
//! choose between (the fixture's repositories hold one version of each
//! package), no `provides` and no conflicts.

use std::collections::HashMap;

use crate::records::{dependency_name, Package};

/// Where the package for a name comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Choice {
    /// Already installed: index into the installed packages.
    Installed(usize),
    /// To install: index into the available packages.
    Available(usize),
}

/// A name nothing offers, and who asked for it (`world[zlib]`,
/// `zlib-dev-1.3.1-r1[zlib]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    /// The name.
    pub name: String,
    /// What needs it, in apk's notation.
    pub required_by: Vec<String>,
}

/// The packages the world needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    /// The chosen packages, each after the packages it depends on.
    pub selected: Vec<Choice>,
    /// Names nothing offers; the world cannot be satisfied if any.
    pub missing: Vec<Missing>,
}

impl Resolution {
    /// Installed packages (indices) the resolution does not keep, each
    /// before the packages it depends on.
    pub fn purged(&self, installed: &[Package]) -> Vec<usize> {
        let kept: Vec<usize> = self
            .selected
            .iter()
            .filter_map(|choice| match choice {
                Choice::Installed(index) => Some(*index),
                Choice::Available(_) => None,
            })
            .collect();
        let purged: Vec<usize> = (0..installed.len())
            .filter(|index| !kept.contains(index))
            .collect();
        // Dependencies first, then reversed.
        let mut order = Vec::new();
        let mut visiting = Vec::new();
        for &index in &purged {
            visit_installed(index, installed, &purged, &mut visiting, &mut order);
        }
        order.reverse();
        order
    }
}

/// Post-order walk of the purged packages' dependencies among themselves.
fn visit_installed(
    index: usize,
    installed: &[Package],
    purged: &[usize],
    visiting: &mut Vec<usize>,
    order: &mut Vec<usize>,
) {
    if order.contains(&index) || visiting.contains(&index) {
        return;
    }
    visiting.push(index);
    for dep in &installed[index].depends {
        let Some(name) = dependency_name(dep) else {
            continue;
        };
        if let Some(&dep_index) = purged.iter().find(|&&i| installed[i].name == name) {
            visit_installed(dep_index, installed, purged, visiting, order);
        }
    }
    order.push(index);
}

/// Resolve `world` against the installed and the available packages.
/// Names in `replaced` take the available package even when one of that
/// name is installed (`add -t` giving a virtual package new dependencies).
pub fn resolve(
    world: &[String],
    installed: &[Package],
    available: &[Package],
    replaced: &[String],
) -> Resolution {
    let mut resolver = Resolver {
        installed,
        available,
        replaced,
        chosen: HashMap::new(),
        resolution: Resolution {
            selected: Vec::new(),
            missing: Vec::new(),
        },
    };
    for spec in world {
        resolver.visit(spec, format!("world[{spec}]"));
    }
    resolver.resolution
}

struct Resolver<'a> {
    installed: &'a [Package],
    available: &'a [Package],
    replaced: &'a [String],
    chosen: HashMap<String, Choice>,
    resolution: Resolution,
}

impl Resolver<'_> {
    fn choose(&self, name: &str) -> Option<Choice> {
        let installed = self.installed.iter().position(|p| p.name == name);
        let available = self.available.iter().position(|p| p.name == name);
        let prefer_available = self.replaced.iter().any(|r| r == name);
        match (installed, available) {
            (_, Some(index)) if prefer_available => Some(Choice::Available(index)),
            (Some(index), _) => Some(Choice::Installed(index)),
            (None, Some(index)) => Some(Choice::Available(index)),
            (None, None) => None,
        }
    }

    fn package(&self, choice: Choice) -> &Package {
        match choice {
            Choice::Installed(index) => &self.installed[index],
            Choice::Available(index) => &self.available[index],
        }
    }

    fn visit(&mut self, spec: &str, required_by: String) {
        let Some(name) = dependency_name(spec) else {
            return;
        };
        if self.chosen.contains_key(name) {
            return;
        }
        let Some(choice) = self.choose(name) else {
            let missing = &mut self.resolution.missing;
            match missing.iter_mut().find(|m| m.name == name) {
                Some(entry) if !entry.required_by.contains(&required_by) => {
                    entry.required_by.push(required_by)
                }
                Some(_) => {}
                None => missing.push(Missing {
                    name: name.to_string(),
                    required_by: vec![required_by],
                }),
            }
            return;
        };
        self.chosen.insert(name.to_string(), choice);
        let package = self.package(choice);
        let label = package.label();
        let depends = package.depends.clone();
        for dep in depends {
            self.visit(&dep, format!("{label}[{dep}]"));
        }
        self.resolution.selected.push(choice);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package(name: &str, depends: &[&str]) -> Package {
        Package {
            name: name.into(),
            version: "1.0-r0".into(),
            depends: depends.iter().map(|d| d.to_string()).collect(),
            ..Package::default()
        }
    }

    fn world(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn dependencies_come_first_and_installed_packages_are_kept() {
        let installed = [package("alpine-keys", &[])];
        let available = [
            package("zlib", &[]),
            package("zlib-dev", &["zlib>=1.0"]),
            package("alpine-keys", &[]),
        ];
        let resolution = resolve(
            &world(&["alpine-keys", "zlib-dev"]),
            &installed,
            &available,
            &[],
        );
        assert!(resolution.missing.is_empty());
        assert_eq!(
            resolution.selected,
            [
                Choice::Installed(0),
                Choice::Available(0),
                Choice::Available(1)
            ]
        );
        assert!(resolution.purged(&installed).is_empty());
    }

    #[test]
    fn missing_names_say_who_needs_them() {
        let available = [package("gcc", &["binutils"])];
        let resolution = resolve(
            &world(&["nosuchpkg", "gcc", "binutils"]),
            &[],
            &available,
            &[],
        );
        assert_eq!(
            resolution.missing,
            [
                Missing {
                    name: "nosuchpkg".into(),
                    required_by: vec!["world[nosuchpkg]".into()],
                },
                Missing {
                    name: "binutils".into(),
                    required_by: vec!["gcc-1.0-r0[binutils]".into(), "world[binutils]".into()],
                },
            ]
        );
    }

    #[test]
    fn packages_nothing_needs_are_purged_dependents_first() {
        let installed = [
            package("zlib", &[]),
            package("musl", &[]),
            package("zlib-dev", &["zlib"]),
            package("a", &["b"]),
            package("b", &["a"]),
        ];
        let resolution = resolve(&world(&["musl"]), &installed, &[], &[]);
        let purged: Vec<&str> = resolution
            .purged(&installed)
            .into_iter()
            .map(|i| installed[i].name.as_str())
            .collect();
        assert_eq!(purged.len(), 4);
        let position = |name| purged.iter().position(|p| *p == name).unwrap();
        assert!(position("zlib-dev") < position("zlib"), "{purged:?}");
    }

    #[test]
    fn replaced_names_take_the_available_package() {
        let installed = [package(".build-deps", &["zlib"]), package("zlib", &[])];
        let available = [package(".build-deps", &["musl"]), package("musl", &[])];
        let replaced = [".build-deps".to_string()];
        let resolution = resolve(&world(&[".build-deps"]), &installed, &available, &replaced);
        assert_eq!(
            resolution.selected,
            [Choice::Available(1), Choice::Available(0)]
        );
        assert_eq!(resolution.purged(&installed), [0, 1]);
    }
}
