//! Read-only access to environment variables, injected so that the pure
//! logic can be tested without touching the process environment.

use std::collections::BTreeMap;

/// A source of environment variables.
pub trait Vars {
    /// The value of `key`, if set (possibly empty).
    fn get(&self, key: &str) -> Option<String>;

    /// The value of `key` when set and not empty (shell `[ -n "$KEY" ]`).
    fn non_empty(&self, key: &str) -> Option<String> {
        self.get(key).filter(|value| !value.is_empty())
    }
}

/// The real process environment.
#[derive(Debug, Default, Clone, Copy)]
pub struct ProcessVars;

impl Vars for ProcessVars {
    fn get(&self, key: &str) -> Option<String> {
        std::env::var_os(key).map(|value| value.to_string_lossy().into_owned())
    }
}

/// A fixed set of variables, for tests and for callers that override a few.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct MapVars(pub BTreeMap<String, String>);

impl Vars for MapVars {
    fn get(&self, key: &str) -> Option<String> {
        self.0.get(key).cloned()
    }
}

impl<const N: usize> From<[(&str, &str); N]> for MapVars {
    fn from(pairs: [(&str, &str); N]) -> Self {
        MapVars(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }
}

/// Variables from `base` with some replaced (an empty value unsets).
pub struct Overlay<'a> {
    base: &'a dyn Vars,
    overrides: BTreeMap<&'static str, String>,
}

impl<'a> Overlay<'a> {
    /// Start from `base` with no overrides.
    pub fn new(base: &'a dyn Vars) -> Self {
        Overlay {
            base,
            overrides: BTreeMap::new(),
        }
    }

    /// Replace `key` with `value`.
    pub fn set(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.overrides.insert(key, value.into());
        self
    }
}

impl Vars for Overlay<'_> {
    fn get(&self, key: &str) -> Option<String> {
        match self.overrides.get(key) {
            Some(value) => Some(value.clone()),
            None => self.base.get(key),
        }
    }
}
