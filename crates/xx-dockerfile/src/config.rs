//! The `xx lint` configuration file (`.xx-lint.yaml`): which rules to
//! leave out and when findings fail the lint, in a small subset of YAML
//! with hadolint's key names.
//!
//! The subset: one `key: value` per line at the start of the line;
//! values are `true`/`false`, a word (optionally in single or double
//! quotes, without escapes), a flow list `[A, B]`, or nothing followed by
//! a block list (`  - A` lines); `#` starts a comment at the start of a
//! line or after a blank. Anything else is an error naming its line.
//!
//! ```yaml
//! ignored: [XX001]        # or a block list: "ignored:" then "  - XX001"
//! failure-threshold: warning
//! ```

use crate::lint::{rule, Rule};

/// When findings make the lint fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Threshold {
    /// Error findings fail (the default).
    Error,
    /// Any finding fails (`--strict`).
    Warning,
    /// Nothing fails (findings are still printed).
    Never,
}

impl Threshold {
    /// Read a threshold: `error`, `warning`, or `none`; hadolint's `info`
    /// and `style` (below warning) fail on warnings too, its `ignore` is
    /// `none`.
    pub fn parse(value: &str) -> Option<Threshold> {
        match value.to_ascii_lowercase().as_str() {
            "error" => Some(Threshold::Error),
            "warning" | "info" | "style" => Some(Threshold::Warning),
            "none" | "ignore" => Some(Threshold::Never),
            _ => None,
        }
    }
}

/// A read configuration file. Unset keys are `None`/empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    /// `ignored`: rules whose findings are left out.
    pub ignored: Vec<Rule>,
    /// `failure-threshold`.
    pub failure_threshold: Option<Threshold>,
    /// `strict`: warnings fail too.
    pub strict: Option<bool>,
    /// `no-fail`: nothing fails.
    pub no_fail: Option<bool>,
}

impl Config {
    /// The threshold the file asks for: `failure-threshold`, else
    /// `no-fail: true` (never), else `strict: true` (warning).
    pub fn threshold(&self) -> Option<Threshold> {
        self.failure_threshold
            .or_else(|| (self.no_fail == Some(true)).then_some(Threshold::Never))
            .or_else(|| (self.strict == Some(true)).then_some(Threshold::Warning))
    }
}

/// Why a configuration file could not be read; one line naming the line
/// and the bad text.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    /// A line that is not `key: value`, a list item or a comment.
    #[error("line {line}: expected `key: value`, got {text:?}")]
    Syntax {
        /// 1-based line.
        line: usize,
        /// The line as written.
        text: String,
    },
    /// A key this file does not have.
    #[error(
        "line {line}: unknown key {key:?} (keys: ignored, failure-threshold, strict, no-fail)"
    )]
    UnknownKey {
        /// 1-based line.
        line: usize,
        /// The key as written.
        key: String,
    },
    /// A key given twice.
    #[error("line {line}: {key} is set twice")]
    Repeated {
        /// 1-based line of the second.
        line: usize,
        /// The key.
        key: String,
    },
    /// A value of the wrong kind for its key.
    #[error("line {line}: {key}: {problem}, got {value:?}")]
    BadValue {
        /// 1-based line.
        line: usize,
        /// The key.
        key: String,
        /// What was expected.
        problem: &'static str,
        /// The value as written.
        value: String,
    },
    /// A rule name or code that no rule has.
    #[error("line {line}: ignored: no such rule {rule:?}")]
    UnknownRule {
        /// 1-based line.
        line: usize,
        /// The rule as written.
        rule: String,
    },
}

/// A value as written: a scalar or a list, with its line.
enum Value {
    Scalar(String),
    List(Vec<(usize, String)>),
}

/// Read a configuration file's text.
pub fn parse_config(text: &str) -> Result<Config, ConfigError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut entries: Vec<(usize, String, Value)> = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let content = strip_comment(raw).trim_end();
        if content.trim().is_empty() || content.trim() == "---" {
            continue;
        }
        let syntax = || ConfigError::Syntax {
            line,
            text: raw.trim().to_string(),
        };
        if let Some(item) = content.trim_start().strip_prefix('-') {
            // A block list item belongs to the key above, indented or not.
            let item = item.trim();
            match entries.last_mut() {
                Some((_, _, Value::List(items))) if !item.is_empty() => {
                    items.push((line, unquote(item).ok_or_else(syntax)?));
                }
                _ => return Err(syntax()),
            }
            continue;
        }
        if content.starts_with([' ', '\t']) {
            return Err(syntax());
        }
        let (key, value) = content.split_once(':').ok_or_else(syntax)?;
        let key = key.trim().to_string();
        if key.is_empty() || key.contains(char::is_whitespace) {
            return Err(syntax());
        }
        if entries.iter().any(|(_, known, _)| *known == key) {
            return Err(ConfigError::Repeated { line, key });
        }
        let value = value.trim();
        let value = if value.is_empty() {
            Value::List(Vec::new())
        } else if let Some(inner) = value.strip_prefix('[') {
            let inner = inner.strip_suffix(']').ok_or_else(syntax)?;
            let mut items = Vec::new();
            for item in inner.split(',').map(str::trim).filter(|i| !i.is_empty()) {
                items.push((line, unquote(item).ok_or_else(syntax)?));
            }
            Value::List(items)
        } else {
            Value::Scalar(unquote(value).ok_or_else(syntax)?)
        };
        entries.push((line, key, value));
    }

    let mut config = Config::default();
    for (line, key, value) in entries {
        let bad = |problem: &'static str, value: String| ConfigError::BadValue {
            line,
            key: key.clone(),
            problem,
            value,
        };
        match key.as_str() {
            "ignored" => {
                let items = match value {
                    Value::List(items) => items,
                    Value::Scalar(word) => vec![(line, word)],
                };
                for (line, name) in items {
                    match rule(&name) {
                        Some(found) => config.ignored.push(found),
                        None => return Err(ConfigError::UnknownRule { line, rule: name }),
                    }
                }
            }
            "failure-threshold" => {
                let word = scalar(value).map_err(|shown| {
                    bad("one of error, warning, info, style, none, ignore", shown)
                })?;
                config.failure_threshold = Some(Threshold::parse(&word).ok_or_else(|| {
                    bad("one of error, warning, info, style, none, ignore", word)
                })?);
            }
            "strict" | "no-fail" => {
                let word = scalar(value).map_err(|shown| bad("true or false", shown))?;
                let flag = match word.as_str() {
                    "true" => true,
                    "false" => false,
                    _ => return Err(bad("true or false", word)),
                };
                if key == "strict" {
                    config.strict = Some(flag);
                } else {
                    config.no_fail = Some(flag);
                }
            }
            _ => return Err(ConfigError::UnknownKey { line, key }),
        }
    }
    Ok(config)
}

/// A scalar value, or the list as written for the error.
fn scalar(value: Value) -> Result<String, String> {
    match value {
        Value::Scalar(word) => Ok(word),
        Value::List(items) => Err(format!(
            "[{}]",
            items
                .into_iter()
                .map(|(_, item)| item)
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// The line without a comment: `#` at its start or after a blank,
/// outside quotes.
fn strip_comment(line: &str) -> &str {
    let mut quote: Option<char> = None;
    let mut previous = ' ';
    for (at, c) in line.char_indices() {
        match (quote, c) {
            (None, '#') if previous == ' ' || previous == '\t' => return &line[..at],
            (None, '"' | '\'') => quote = Some(c),
            (Some(open), _) if c == open => quote = None,
            _ => {}
        }
        previous = c;
    }
    line
}

/// A word, without its quotes; `None` for an unclosed quote.
fn unquote(word: &str) -> Option<String> {
    for quote in ['"', '\''] {
        if let Some(inner) = word.strip_prefix(quote) {
            return inner
                .strip_suffix(quote)
                .filter(|inner| !inner.contains(quote))
                .map(str::to_string);
        }
    }
    Some(word.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::{BUILDS_FOR_BUILD_MACHINE, EMULATED_RUN, XX_BEFORE_TARGET};

    #[test]
    fn the_documented_subset_is_read() {
        let config = parse_config(
            "# xx lint settings\n---\nignored: [XX001, 'BuildMachineBinaryForTarget']\nfailure-threshold: warning  # strict\nno-fail: false\n",
        )
        .unwrap();
        assert_eq!(config.ignored, [EMULATED_RUN, BUILDS_FOR_BUILD_MACHINE]);
        assert_eq!(config.failure_threshold, Some(Threshold::Warning));
        assert_eq!(config.threshold(), Some(Threshold::Warning));

        let config = parse_config("ignored:\n  - XX003\n  - \"XX001\"\nstrict: true\n").unwrap();
        assert_eq!(config.ignored, [XX_BEFORE_TARGET, EMULATED_RUN]);
        assert_eq!(config.threshold(), Some(Threshold::Warning));

        let config = parse_config("no-fail: true\nstrict: true\n").unwrap();
        assert_eq!(config.threshold(), Some(Threshold::Never));
        assert_eq!(parse_config("").unwrap(), Config::default());
        assert_eq!(parse_config("ignored: XX004\n").unwrap().ignored.len(), 1);
        assert_eq!(
            parse_config("failure-threshold: ignore\n")
                .unwrap()
                .threshold(),
            Some(Threshold::Never)
        );
    }

    #[test]
    fn mistakes_are_one_line_naming_the_line_and_value() {
        for (text, wanted) in [
            (
                "ignored: [XX009]\n",
                "line 1: ignored: no such rule \"XX009\"",
            ),
            (
                "ignored:\n  - XX001\n  - DL3008\n",
                "line 3: ignored: no such rule \"DL3008\"",
            ),
            (
                "strict: yes\n",
                "line 1: strict: true or false, got \"yes\"",
            ),
            (
                "failure-threshold: fatal\n",
                "line 1: failure-threshold: one of error, warning, info, style, none, ignore, got \"fatal\"",
            ),
            (
                "trustedRegistries: [docker.io]\n",
                "line 1: unknown key \"trustedRegistries\"",
            ),
            ("strict: true\nstrict: false\n", "line 2: strict is set twice"),
            ("ignored [XX001]\n", "line 1: expected `key: value`, got \"ignored [XX001]\""),
            ("- XX001\n", "line 1: expected `key: value`"),
            ("ignored: [XX001\n", "line 1: expected `key: value`"),
            ("strict:\n  true\n", "line 2: expected `key: value`"),
            ("ignored: ['XX001]\n", "line 1: expected `key: value`"),
        ] {
            let err = parse_config(text).unwrap_err().to_string();
            assert!(err.starts_with(wanted), "{text:?}: {err}");
            assert_eq!(err.lines().count(), 1);
        }
    }

    #[test]
    fn thresholds_take_hadolints_names() {
        assert_eq!(Threshold::parse("Error"), Some(Threshold::Error));
        assert_eq!(Threshold::parse("style"), Some(Threshold::Warning));
        assert_eq!(Threshold::parse("none"), Some(Threshold::Never));
        assert_eq!(Threshold::parse("fatal"), None);
    }
}
