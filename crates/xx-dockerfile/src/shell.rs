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

/// The simple commands of `script`, in order.
pub fn commands(script: &str) -> Vec<Command> {
    let mut commands = Vec::new();
    let mut current: Vec<String> = Vec::new();
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
fn command_from(words: Vec<String>) -> Option<Command> {
    let mut command = Command::default();
    let mut words = words.into_iter().peekable();
    loop {
        let word = words.next()?;
        if is_assignment(&word) {
            command.assignments.push(word);
            continue;
        }
        if WRAPPERS.contains(&word.as_str()) {
            while words.peek().is_some_and(|next| next.starts_with('-')) {
                words.next();
            }
            continue;
        }
        command.words.push(word);
        break;
    }
    command.words.extend(words);
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

enum Token {
    Word(String),
    Separator,
}

/// Words and command separators. Quotes group (and are removed), a
/// backslash escapes the next character, `$(...)` and backquotes stay
/// inside their word.
fn tokens(script: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = script.chars().peekable();
    let finish = |word: &mut String, in_word: &mut bool, tokens: &mut Vec<Token>| {
        if *in_word {
            tokens.push(Token::Word(std::mem::take(word)));
            *in_word = false;
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for inner in chars.by_ref() {
                    if inner == '\'' {
                        break;
                    }
                    word.push(inner);
                }
            }
            '"' => {
                in_word = true;
                while let Some(inner) = chars.next() {
                    match inner {
                        '"' => break,
                        '\\' => {
                            if let Some(escaped) = chars.next() {
                                word.push(escaped);
                            }
                        }
                        _ => word.push(inner),
                    }
                }
            }
            '\\' => {
                if let Some(escaped) = chars.next() {
                    if escaped != '\n' {
                        in_word = true;
                        word.push(escaped);
                    }
                }
            }
            '$' if chars.peek() == Some(&'(') => {
                in_word = true;
                word.push(c);
                let mut depth = 0;
                for inner in chars.by_ref() {
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
                in_word = true;
                word.push(c);
                for inner in chars.by_ref() {
                    word.push(inner);
                    if inner == '`' {
                        break;
                    }
                }
            }
            '#' if !in_word => {
                // A comment runs to the end of the line.
                for inner in chars.by_ref() {
                    if inner == '\n' {
                        break;
                    }
                }
                finish(&mut word, &mut in_word, &mut tokens);
                tokens.push(Token::Separator);
            }
            ';' | '&' | '|' | '\n' | '(' | ')' => {
                finish(&mut word, &mut in_word, &mut tokens);
                tokens.push(Token::Separator);
            }
            c if c.is_whitespace() => finish(&mut word, &mut in_word, &mut tokens),
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    finish(&mut word, &mut in_word, &mut tokens);
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
