//! Reading a Dockerfile into instructions: parser directives, comments,
//! line continuations (with the `escape` directive's character) and
//! here-documents, as BuildKit's Dockerfile frontend reads them.

use crate::error::ParseError;

/// One instruction, its continuation lines joined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    /// 1-based line of the instruction's first line.
    pub line: usize,
    /// 1-based line of its last line (continuations and here-documents
    /// included).
    pub end_line: usize,
    /// The keyword in upper case (`FROM`, `RUN`, ...).
    pub keyword: String,
    /// Leading `--name=value` flags (`--platform=...`, `--from=...`,
    /// `--mount=...`); a flag without `=` has an empty value.
    pub flags: Vec<(String, String)>,
    /// Everything after the flags, continuation lines joined with a space.
    pub args: String,
    /// Bodies of here-documents (`RUN <<EOF`), in order.
    pub heredocs: Vec<String>,
    /// Rules (codes or names, as written) named by `# xx-lint
    /// ignore=CODE[,CODE]` or `# hadolint ignore=CODE[,CODE]` comments
    /// right above the instruction.
    pub ignored: Vec<String>,
    /// The words of an exec-form (JSON array) instruction,
    /// `RUN ["go", "build"]`.
    pub exec: Option<Vec<String>>,
}

impl Instruction {
    /// The value of flag `name` (without the leading `--`), if given.
    pub fn flag(&self, name: &str) -> Option<&str> {
        self.flags
            .iter()
            .find(|(flag, _)| flag == name)
            .map(|(_, value)| value.as_str())
    }

    /// The shell text the instruction runs: its arguments and, for
    /// here-documents, their bodies.
    pub fn script(&self) -> String {
        if let Some(words) = &self.exec {
            return words
                .iter()
                .map(|word| shell_quote(word))
                .collect::<Vec<_>>()
                .join(" ");
        }
        if self.heredoc_problem().is_none() && self.heredocs.len() == 1 {
            // `RUN <<EOF` (or `RUN bash <<EOF`): the body is the script.
            return self.heredocs[0].clone();
        }
        let mut script = self.args.clone();
        for body in &self.heredocs {
            script.push('\n');
            script.push_str(body);
        }
        script
    }

    /// For a `RUN` with here-documents, why its body cannot be read as a
    /// shell script: more than one here-document, a command other than a
    /// shell reading it, or a `#!` line naming another interpreter.
    /// `None` when it can (or there is no here-document).
    pub fn heredoc_problem(&self) -> Option<String> {
        if self.keyword != "RUN" || self.heredocs.is_empty() || self.exec.is_some() {
            return None;
        }
        if self.heredocs.len() > 1 {
            return Some(format!(
                "the RUN has {} here-documents; xx lower reads only one as the script",
                self.heredocs.len()
            ));
        }
        let words: Vec<&str> = self
            .args
            .split_whitespace()
            .filter(|word| !word.starts_with("<<"))
            .collect();
        if let Some((program, options)) = words.split_first() {
            let shell = matches!(
                program.rsplit('/').next().unwrap_or(program),
                "sh" | "bash" | "ash" | "dash"
            );
            let plain_options = options
                .iter()
                .all(|word| word.starts_with('-') || *word == "pipefail");
            if !shell || !plain_options {
                return Some(format!(
                    "the here-document is read by `{}`, not by a shell, so xx lower cannot tell what it runs",
                    words.join(" ")
                ));
            }
        }
        let first = self.heredocs[0].lines().next().unwrap_or("");
        if let Some(interpreter) = first.strip_prefix("#!") {
            let shell = interpreter.split_whitespace().any(|word| {
                matches!(
                    word.rsplit('/').next().unwrap_or(word),
                    "sh" | "bash" | "ash" | "dash"
                )
            });
            if !shell {
                return Some(format!(
                    "the here-document is a `#!{}` script, not a shell script, so xx lower cannot tell what it runs",
                    interpreter.trim()
                ));
            }
        }
        None
    }
}

/// Quote `word` for a POSIX shell when it needs it.
pub fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+=:,@%".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// The instructions BuildKit's Dockerfile frontend knows; any other
/// keyword is an error there, so it is one here.
pub const KEYWORDS: &[&str] = &[
    "ADD",
    "ARG",
    "CMD",
    "COPY",
    "ENTRYPOINT",
    "ENV",
    "EXPOSE",
    "FROM",
    "HEALTHCHECK",
    "LABEL",
    "MAINTAINER",
    "ONBUILD",
    "RUN",
    "SHELL",
    "STOPSIGNAL",
    "USER",
    "VOLUME",
    "WORKDIR",
];

/// Parser directives at the top of a Dockerfile (`# escape=`,
/// `# check=skip=...`, `# syntax=`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Directives {
    /// The line-continuation character (`\` unless `# escape=`` ` ``).
    pub escape: char,
    /// Rules named by `# check=skip=A,B` (BuildKit's build checks
    /// directive), as written; `all` skips every rule.
    pub check_skip: Vec<String>,
}

/// Instructions whose leading `--flags` are flags, not arguments.
const FLAGGED: &[&str] = &["FROM", "RUN", "COPY", "ADD"];

/// Instructions that may carry here-documents.
const HEREDOC_KEYWORDS: &[&str] = &["RUN", "COPY", "ADD"];

/// The tools whose ignore comments name lint rules: ours, and hadolint's
/// spelling, so that one comment can silence both linters.
const PRAGMA_TOOLS: &[&str] = &["xx-lint", "hadolint"];

/// An ignore comment (the text after `#`): `xx-lint ignore=A,B` or
/// `hadolint ignore=A,B` for the next instruction, `... global ignore=A,B`
/// for the whole file; a `#` after the list starts a remark. Returns
/// (global, the rules as written).
pub fn ignore_pragma(comment: &str) -> Option<(bool, Vec<String>)> {
    let comment = comment.trim();
    let rest = PRAGMA_TOOLS
        .iter()
        .find_map(|tool| comment.strip_prefix(tool))?;
    if !rest.starts_with([' ', '\t']) {
        return None;
    }
    let rest = rest.trim_start();
    let (global, rest) = match rest.strip_prefix("global") {
        Some(after) if after.starts_with([' ', '\t']) => (true, after.trim_start()),
        _ => (false, rest),
    };
    let list = rest.strip_prefix("ignore=")?;
    let list = list.split('#').next().unwrap_or_default();
    let rules = list
        .split([',', ' ', '\t'])
        .filter(|rule| !rule.is_empty())
        .map(str::to_string)
        .collect();
    Some((global, rules))
}

/// A Dockerfile's instructions and its file-wide ignore comments.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    /// The instructions, in order.
    pub instructions: Vec<Instruction>,
    /// Rules named by `# hadolint global ignore=` or `# xx-lint global
    /// ignore=` comments anywhere in the file, as written.
    pub global_ignored: Vec<String>,
}

/// Read `text` into its instructions.
pub fn parse(text: &str) -> Result<Vec<Instruction>, ParseError> {
    read(text).map(|parsed| parsed.instructions)
}

/// Read `text` into its instructions and file-wide ignore comments.
pub fn read(text: &str) -> Result<Parsed, ParseError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines: Vec<&str> = text.lines().collect();
    let escape = directives(text)?.escape;
    let mut instructions = Vec::new();
    let mut global_ignored: Vec<String> = Vec::new();
    let mut ignored: Vec<String> = Vec::new();
    let mut index = 0;
    while index < lines.len() {
        let trimmed = lines[index].trim();
        if trimmed.is_empty() {
            index += 1;
            continue;
        }
        if let Some(comment) = trimmed.strip_prefix('#') {
            match ignore_pragma(comment) {
                Some((true, rules)) => global_ignored.extend(rules),
                Some((false, rules)) => ignored.extend(rules),
                None => {}
            }
            index += 1;
            continue;
        }
        let start = index;
        let mut joined = String::new();
        loop {
            let line = lines[index];
            index += 1;
            let content = line.trim_end();
            match content.strip_suffix(escape) {
                Some(head) => {
                    joined.push_str(head);
                    joined.push(' ');
                    // Comment and empty lines inside a continuation are
                    // dropped, as BuildKit does.
                    while index < lines.len() {
                        let next = lines[index].trim();
                        if next.is_empty() || next.starts_with('#') {
                            index += 1;
                        } else {
                            break;
                        }
                    }
                    if index >= lines.len() {
                        break;
                    }
                }
                None => {
                    joined.push_str(content);
                    break;
                }
            }
        }
        let mut instruction = split_instruction(start + 1, &joined)?;
        if HEREDOC_KEYWORDS.contains(&instruction.keyword.as_str()) && instruction.exec.is_none() {
            for (word, strip_tabs) in heredoc_markers(&instruction.args) {
                let mut body = Vec::new();
                loop {
                    let Some(line) = lines.get(index) else {
                        return Err(ParseError::UnterminatedHeredoc {
                            line: start + 1,
                            word,
                        });
                    };
                    index += 1;
                    let line = if strip_tabs {
                        line.trim_start_matches('\t')
                    } else {
                        line
                    };
                    if line == word {
                        break;
                    }
                    body.push(line);
                }
                instruction.heredocs.push(body.join("\n"));
            }
        }
        instruction.end_line = index;
        instruction.ignored = std::mem::take(&mut ignored);
        instructions.push(instruction);
    }
    Ok(Parsed {
        instructions,
        global_ignored,
    })
}

/// The parser directives of `text`: comments of the form `# name=value`
/// before anything else (BuildKit stops reading them at the first other
/// line). A UTF-8 byte-order mark is skipped.
pub fn directives(text: &str) -> Result<Directives, ParseError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut found = Directives {
        escape: '\\',
        check_skip: Vec::new(),
    };
    for (number, line) in text.lines().enumerate() {
        let Some(comment) = line.trim().strip_prefix('#') else {
            break;
        };
        let Some((name, value)) = comment.split_once('=') else {
            break;
        };
        let name = name.trim();
        if name.is_empty() || name.contains(char::is_whitespace) {
            break;
        }
        if name.eq_ignore_ascii_case("escape") {
            found.escape = match value.trim() {
                "\\" => '\\',
                "`" => '`',
                other => {
                    return Err(ParseError::BadEscape {
                        line: number + 1,
                        value: other.to_string(),
                    })
                }
            };
        } else if name.eq_ignore_ascii_case("check") {
            // `skip=A,B;error=true`
            for part in value.split(';') {
                if let Some(skip) = part.trim().strip_prefix("skip=") {
                    found.check_skip.extend(
                        skip.split(',')
                            .map(str::trim)
                            .filter(|rule| !rule.is_empty())
                            .map(str::to_string),
                    );
                }
            }
        }
    }
    Ok(found)
}

/// Split `KEYWORD [--flag=value...] args`.
fn split_instruction(line: usize, text: &str) -> Result<Instruction, ParseError> {
    let text = text.trim();
    let (keyword, mut rest) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
    if keyword.is_empty() || !keyword.chars().all(|c| c.is_ascii_alphabetic()) {
        return Err(ParseError::BadInstruction {
            line,
            text: text.chars().take(60).collect(),
        });
    }
    let keyword = keyword.to_ascii_uppercase();
    if !KEYWORDS.contains(&keyword.as_str()) {
        return Err(ParseError::UnknownInstruction {
            line,
            keyword: text
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_string(),
        });
    }
    let mut flags = Vec::new();
    if FLAGGED.contains(&keyword.as_str()) {
        loop {
            rest = rest.trim_start();
            let Some(flag) = rest.strip_prefix("--") else {
                break;
            };
            let end = flag.find(char::is_whitespace).unwrap_or(flag.len());
            let (name, value) = flag[..end].split_once('=').unwrap_or((&flag[..end], ""));
            flags.push((name.to_string(), value.to_string()));
            rest = &flag[end..];
        }
    }
    let args = rest.trim().to_string();
    let exec = if matches!(keyword.as_str(), "RUN" | "CMD" | "ENTRYPOINT") {
        json_words(&args)
    } else {
        None
    };
    Ok(Instruction {
        line,
        end_line: line,
        keyword,
        flags,
        args,
        heredocs: Vec::new(),
        ignored: Vec::new(),
        exec,
    })
}

/// The words of a JSON array of strings (`["sh", "-c", "make"]`), as
/// BuildKit reads the exec form; `None` when `args` is not one (then it is
/// the shell form).
fn json_words(args: &str) -> Option<Vec<String>> {
    let inner = args.trim().strip_prefix('[')?.strip_suffix(']')?;
    let mut words = Vec::new();
    let mut chars = inner.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        match chars.next() {
            None if words.is_empty() => return Some(words),
            Some('"') => {}
            _ => return None,
        }
        let mut word = String::new();
        loop {
            match chars.next()? {
                '"' => break,
                '\\' => match chars.next()? {
                    'n' => word.push('\n'),
                    't' => word.push('\t'),
                    'u' => {
                        let hex: String = chars.by_ref().take(4).collect();
                        word.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                    }
                    other => word.push(other),
                },
                c => word.push(c),
            }
        }
        words.push(word);
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        match chars.next() {
            Some(',') => continue,
            None => return Some(words),
            _ => return None,
        }
    }
}

/// Here-document markers in an instruction's arguments: `<<WORD`,
/// `<<-WORD`, `<<"WORD"`, `<<'WORD'`, with whether leading tabs are
/// stripped (`<<-`).
fn heredoc_markers(args: &str) -> Vec<(String, bool)> {
    let mut markers = Vec::new();
    let mut rest = args;
    while let Some(at) = rest.find("<<") {
        rest = &rest[at + 2..];
        let strip_tabs = rest.starts_with('-');
        let word_start = if strip_tabs { &rest[1..] } else { rest };
        let unquoted = word_start.trim_start_matches(['"', '\'']);
        let word: String = unquoted
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !word.is_empty() {
            markers.push((word, strip_tabs));
        }
    }
    markers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_flags_and_arguments() {
        let parsed = parse(
            "from --platform=$BUILDPLATFORM golang:1.22 AS build\n\
             RUN --mount=type=cache,target=/root/.cache go build -o /out/app .\n\
             COPY --from=build /out/ /\n",
        )
        .unwrap();
        assert_eq!(parsed.len(), 3);
        assert_eq!(parsed[0].keyword, "FROM");
        assert_eq!(parsed[0].flag("platform"), Some("$BUILDPLATFORM"));
        assert_eq!(parsed[0].args, "golang:1.22 AS build");
        assert_eq!(
            parsed[1].flag("mount"),
            Some("type=cache,target=/root/.cache")
        );
        assert_eq!(parsed[1].args, "go build -o /out/app .");
        assert_eq!(parsed[2].flag("from"), Some("build"));
        assert_eq!(parsed[2].line, 3);
    }

    #[test]
    fn continuations_skip_comments_and_keep_the_first_line() {
        let parsed = parse(
            "# a comment\n\nRUN apt-get update && \\\n    # inside\n\n    apt-get install -y gcc\nENV A=1\n",
        )
        .unwrap();
        assert_eq!(parsed[0].line, 3);
        assert_eq!(
            parsed[0].args,
            "apt-get update &&      apt-get install -y gcc"
        );
        assert_eq!(parsed[1].line, 7);
    }

    #[test]
    fn escape_directive_changes_the_continuation_character() {
        let parsed = parse("# escape=`\nRUN dir `\n  C:\\\\x\n").unwrap();
        assert_eq!(parsed[0].args, "dir    C:\\\\x");
        let err = parse("# escape=x\nRUN a\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 1: escape directive must be \\ or `, not \"x\""
        );
    }

    #[test]
    fn heredoc_bodies_are_the_script_when_a_shell_reads_them() {
        let parsed =
            parse("FROM a\nRUN <<EOF\nset -e\nmake\nEOF\nRUN bash -e <<-EOT\n\tgo build\nEOT\n")
                .unwrap();
        assert_eq!(parsed[1].script(), "set -e\nmake");
        assert_eq!(parsed[1].heredoc_problem(), None);
        assert_eq!(parsed[2].script(), "go build");
        let python = parse("FROM a\nRUN python3 <<EOF\nprint(1)\nEOF\n").unwrap();
        assert!(python[1]
            .heredoc_problem()
            .unwrap()
            .contains("read by `python3`"));
        let shebang = parse("FROM a\nRUN <<EOF\n#!/usr/bin/env python3\nprint(1)\nEOF\n").unwrap();
        assert!(shebang[1]
            .heredoc_problem()
            .unwrap()
            .contains("`#!/usr/bin/env python3` script"));
    }

    #[test]
    fn heredocs_are_read_as_the_script() {
        let parsed =
            parse("RUN <<EOF\ncargo build\nEOF\nRUN <<-'END'\n\tgo build\n\tEND\nCMD x\n").unwrap();
        assert_eq!(parsed.len(), 3);
        assert_eq!(parsed[0].script(), "cargo build");
        assert_eq!(parsed[1].heredocs, vec!["go build".to_string()]);
        assert_eq!((parsed[1].line, parsed[1].end_line), (4, 6));
        assert_eq!(parsed[2].keyword, "CMD");
        let err = parse("RUN <<EOF\nmake\n").unwrap_err();
        assert_eq!(err.to_string(), "line 1: here-document EOF is never closed");
    }

    #[test]
    fn ignore_comments_attach_to_the_next_instruction() {
        let parsed = parse("# xx-lint ignore=XX002, XX003\nRUN cargo build\nRUN make\n").unwrap();
        assert_eq!(parsed[0].ignored, vec!["XX002", "XX003"]);
        assert!(parsed[1].ignored.is_empty());
    }

    #[test]
    fn hadolint_ignore_comments_are_read_too() {
        let parsed = read(
            "# hadolint global ignore=DL3006,XX001 # we accept these\nFROM debian\n\
             # hadolint ignore=DL3008,XX002 # built on purpose\n# xx-lint ignore=EmulatedRunStage\nRUN make\n\
             # hadolintignore=XX003\n# xx-lint ignore XX004\nRUN make\n",
        )
        .unwrap();
        assert_eq!(parsed.global_ignored, ["DL3006", "XX001"]);
        assert_eq!(
            parsed.instructions[1].ignored,
            ["DL3008", "XX002", "EmulatedRunStage"]
        );
        assert!(parsed.instructions[2].ignored.is_empty());
        assert_eq!(
            ignore_pragma(" xx-lint global ignore=XX005"),
            Some((true, vec!["XX005".to_string()]))
        );
        assert_eq!(ignore_pragma(" hadolint shell=powershell"), None);
    }

    #[test]
    fn bom_crlf_and_unknown_instructions() {
        let parsed = parse("\u{feff}FROM debian\r\nRUN a && \\\r\n  b\r\n").unwrap();
        assert_eq!(parsed[0].keyword, "FROM");
        assert_eq!(parsed[1].args, "a &&    b");
        let err = parse("FROM debian\nRUNN make\n").unwrap_err();
        assert_eq!(err.to_string(), "line 2: unknown instruction RUNN");
        let onbuild = parse("FROM debian\nONBUILD RUN make\n").unwrap();
        assert_eq!(onbuild[1].keyword, "ONBUILD");
    }

    #[test]
    fn exec_form_is_read_as_words() {
        let parsed =
            parse("FROM x\nRUN [\"go\", \"build\", \"-o\", \"/a b\"]\nRUN [not json\n").unwrap();
        assert_eq!(
            parsed[1].exec.as_deref(),
            Some(&["go".to_string(), "build".into(), "-o".into(), "/a b".into()][..])
        );
        assert_eq!(parsed[1].script(), "go build -o '/a b'");
        assert_eq!(parsed[2].exec, None);
    }

    #[test]
    fn check_directive_names_rules_to_skip() {
        let found = directives("# syntax=docker/dockerfile:1\n# check=skip=XX001,JSONArgsRecommended;error=true\nFROM x\n# check=skip=XX002\n").unwrap();
        assert_eq!(found.check_skip, ["XX001", "JSONArgsRecommended"]);
        assert_eq!(found.escape, '\\');
    }

    #[test]
    fn malformed_lines_are_named() {
        let err = parse("FROM debian\n--platform=x RUN\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 2: not an instruction: \"--platform=x RUN\""
        );
    }
}
