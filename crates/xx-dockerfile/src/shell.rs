//! The simple commands of a `RUN` script, as far as a lint needs them:
//! words split on blanks with quotes honoured, commands split on `&&`,
//! `||`, `;`, `|`, `&`, newlines and parentheses, leading variable
//! assignments kept apart, and wrappers (`env`, `sudo`, `exec`, `time`,
//! `nice`) looked through.

/// One simple command.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Command {
    /// `NAME=value` words before the command name (and `env`'s).
    pub assignments: Vec<String>,
    /// The command name and its arguments.
    pub words: Vec<String>,
    /// Where each of [`Command::words`] is in the script: byte ranges,
    /// quotes included.
    pub spans: Vec<std::ops::Range<usize>>,
    /// Where the command starts in the script (its first assignment or
    /// word).
    pub start: usize,
}

impl Command {
    /// The program name without its directory (`/usr/bin/gcc` -> `gcc`).
    pub fn program(&self) -> &str {
        self.words
            .first()
            .map(|word| word.rsplit('/').next().unwrap_or(word))
            .unwrap_or("")
    }

    /// The arguments after the program name.
    pub fn args(&self) -> &[String] {
        self.words.get(1..).unwrap_or(&[])
    }

    /// Whether a leading assignment sets `name`.
    pub fn assigns(&self, name: &str) -> bool {
        self.assignments.iter().any(|assignment| {
            assignment
                .split_once('=')
                .is_some_and(|(key, _)| key == name)
        })
    }
}

/// Programs that run the command after them.
const WRAPPERS: &[&str] = &["env", "sudo", "exec", "time", "nice", "nohup", "command"];

/// Shell reserved words that come before a command (`if make; then
/// make install; fi`).
const LEADING_KEYWORDS: &[&str] = &[
    "if", "then", "else", "elif", "do", "while", "until", "!", "{",
];

/// The scripts of the command substitutions in `word`: `$(...)` and
/// backquotes, outermost first.
pub fn substitutions(word: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = word;
    loop {
        let dollar = rest.find("$(");
        let tick = rest.find('`');
        match (dollar, tick) {
            (Some(at), tick) if tick.is_none_or(|tick| at < tick) => {
                let inner = &rest[at + 2..];
                let mut depth = 1;
                let mut end = inner.len();
                for (offset, c) in inner.char_indices() {
                    match c {
                        '(' => depth += 1,
                        ')' => {
                            depth -= 1;
                            if depth == 0 {
                                end = offset;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                found.push(inner[..end].to_string());
                rest = &inner[(end + 1).min(inner.len())..];
            }
            (_, Some(at)) => {
                let inner = &rest[at + 1..];
                let end = inner.find('`').unwrap_or(inner.len());
                found.push(inner[..end].to_string());
                rest = &inner[(end + 1).min(inner.len())..];
            }
            _ => return found,
        }
    }
}

/// The simple commands of `script` and, recursively, of the command
/// substitutions in their words and of `sh -c SCRIPT`.
pub fn all_commands(script: &str) -> Vec<Command> {
    let mut out = Vec::new();
    for command in commands(script) {
        let mut nested = Vec::new();
        for word in command.words.iter().chain(&command.assignments) {
            for inner in substitutions(word) {
                nested.extend(all_commands(&inner));
            }
        }
        if matches!(command.program(), "sh" | "bash" | "ash" | "dash") {
            if let Some(at) = command
                .args()
                .iter()
                .position(|arg| arg == "-c" || arg == "-ec" || arg == "-exc")
            {
                if let Some(inner) = command.args().get(at + 1) {
                    nested.extend(all_commands(inner));
                }
            }
        }
        out.push(command);
        out.extend(nested);
    }
    out
}

/// The simple commands of `script`, in order.
pub fn commands(script: &str) -> Vec<Command> {
    let mut commands = Vec::new();
    let mut current: Vec<Word> = Vec::new();
    for token in tokens(script) {
        match token {
            Token::Word(word) => current.push(word),
            Token::Separator => commands.extend(command_from(std::mem::take(&mut current))),
        }
    }
    commands.extend(command_from(current));
    commands
}

/// Turn a run of words into a command: assignments first, wrappers
/// skipped (with their options).
fn command_from(words: Vec<Word>) -> Option<Command> {
    let mut command = Command::default();
    let mut words = words.into_iter().peekable();
    loop {
        let Some(word) = words.next() else {
            // `A=$(cmd)` alone: kept for the substitutions in it.
            return (!command.assignments.is_empty()).then_some(command);
        };
        if command.assignments.is_empty() && command.words.is_empty() {
            command.start = word.span.start;
        }
        if is_assignment(&word.text) {
            command.assignments.push(word.text);
            continue;
        }
        if command.assignments.is_empty() && LEADING_KEYWORDS.contains(&word.text.as_str()) {
            continue;
        }
        if WRAPPERS.contains(&word.text.as_str()) {
            while words.peek().is_some_and(|next| next.text.starts_with('-')) {
                words.next();
            }
            continue;
        }
        command.words.push(word.text);
        command.spans.push(word.span);
        break;
    }
    for word in words {
        command.words.push(word.text);
        command.spans.push(word.span);
    }
    Some(command)
}

/// `NAME=value` with a shell variable name.
fn is_assignment(word: &str) -> bool {
    word.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !name.starts_with(|c: char| c.is_ascii_digit())
    })
}

/// A word and where it is in the script.
struct Word {
    text: String,
    span: std::ops::Range<usize>,
}

enum Token {
    Word(Word),
    Separator,
}

/// Words and command separators. Quotes group (and are removed), a
/// backslash escapes the next character, `$(...)` and backquotes stay
/// inside their word.
fn tokens(script: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut word = String::new();
    let mut start: Option<usize> = None;
    let mut chars = script.char_indices().peekable();
    let finish =
        |word: &mut String, start: &mut Option<usize>, end: usize, tokens: &mut Vec<Token>| {
            if let Some(begin) = start.take() {
                tokens.push(Token::Word(Word {
                    text: std::mem::take(word),
                    span: begin..end,
                }));
            }
        };
    while let Some((at, c)) = chars.next() {
        match c {
            '\'' => {
                start.get_or_insert(at);
                for (_, inner) in chars.by_ref() {
                    if inner == '\'' {
                        break;
                    }
                    word.push(inner);
                }
            }
            '"' => {
                start.get_or_insert(at);
                while let Some((_, inner)) = chars.next() {
                    match inner {
                        '"' => break,
                        '\\' => {
                            if let Some((_, escaped)) = chars.next() {
                                word.push(escaped);
                            }
                        }
                        _ => word.push(inner),
                    }
                }
            }
            '\\' => {
                if let Some((_, escaped)) = chars.next() {
                    if escaped != '\n' {
                        start.get_or_insert(at);
                        word.push(escaped);
                    }
                }
            }
            '$' if chars.peek().map(|(_, next)| *next) == Some('(') => {
                start.get_or_insert(at);
                word.push(c);
                let mut depth = 0;
                for (_, inner) in chars.by_ref() {
                    word.push(inner);
                    match inner {
                        '(' => depth += 1,
                        ')' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                }
            }
            '`' => {
                start.get_or_insert(at);
                word.push(c);
                for (_, inner) in chars.by_ref() {
                    word.push(inner);
                    if inner == '`' {
                        break;
                    }
                }
            }
            '#' if start.is_none() => {
                // A comment runs to the end of the line.
                for (_, inner) in chars.by_ref() {
                    if inner == '\n' {
                        break;
                    }
                }
                tokens.push(Token::Separator);
            }
            ';' | '&' | '|' | '\n' | '(' | ')' => {
                finish(&mut word, &mut start, at, &mut tokens);
                tokens.push(Token::Separator);
            }
            c if c.is_whitespace() => finish(&mut word, &mut start, at, &mut tokens),
            c => {
                start.get_or_insert(at);
                word.push(c);
            }
        }
        // A quote or substitution may have run to the end.
        if chars.peek().is_none() {
            finish(&mut word, &mut start, script.len(), &mut tokens);
        }
    }
    finish(&mut word, &mut start, script.len(), &mut tokens);
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    fn programs(script: &str) -> Vec<String> {
        commands(script)
            .iter()
            .map(|command| command.program().to_string())
            .collect()
    }

    #[test]
    fn commands_split_on_operators() {
        assert_eq!(
            programs("apt-get update && apt-get install -y gcc; make || true | tee x & wait"),
            ["apt-get", "apt-get", "make", "true", "tee", "wait"]
        );
        assert_eq!(
            programs("(cd src && /usr/bin/gcc -o a a.c)\nstrip a"),
            ["cd", "gcc", "strip"]
        );
    }

    #[test]
    fn assignments_and_wrappers() {
        let parsed = commands("GOOS=linux GOARCH=arm64 go build . && sudo -E env CC=x make");
        assert_eq!(parsed[0].assignments, ["GOOS=linux", "GOARCH=arm64"]);
        assert!(parsed[0].assigns("GOARCH"));
        assert_eq!(parsed[0].words, ["go", "build", "."]);
        assert_eq!(parsed[1].program(), "make");
        assert!(parsed[1].assigns("CC"));
    }

    #[test]
    fn keywords_substitutions_and_sh_c() {
        assert_eq!(
            programs("if [ -f x ]; then make; else ! cmake .; fi"),
            ["[", "make", "cmake", "fi"]
        );
        assert_eq!(
            substitutions("a$(xx-info march)-`uname -m`$(echo $(id))"),
            ["xx-info march", "uname -m", "echo $(id)"]
        );
        let all: Vec<String> =
            all_commands("cp a \"$(xx-cargo --print-target-triple)\" && sh -c 'go build .'")
                .iter()
                .map(|command| command.program().to_string())
                .collect();
        assert_eq!(all, ["cp", "xx-cargo", "sh", "go"]);
    }

    #[test]
    fn words_know_where_they_are() {
        let script = "CC=x  gcc -o 'a b' \\\n  a.c && echo $(xx-info)";
        let parsed = commands(script);
        let spans: Vec<&str> = parsed[0]
            .spans
            .iter()
            .map(|span| &script[span.clone()])
            .collect();
        assert_eq!(spans, ["gcc", "-o", "'a b'", "a.c"]);
        assert_eq!(&script[parsed[1].spans[1].clone()], "$(xx-info)");
    }

    #[test]
    fn quotes_substitutions_and_comments() {
        let parsed = commands(
            "echo 'a && b' \"c; d\" $(xx-cargo --print-target-triple) # go build\ncargo build",
        );
        assert_eq!(parsed.len(), 2);
        assert_eq!(
            parsed[0].words,
            [
                "echo",
                "a && b",
                "c; d",
                "$(xx-cargo --print-target-triple)"
            ]
        );
        assert_eq!(parsed[1].program(), "cargo");
    }
}
