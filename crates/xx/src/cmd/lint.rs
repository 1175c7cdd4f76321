//! `xx lint`: read a Dockerfile and say which stages of a multi-platform
//! build run under emulation, which compile on the build machine without a
//! target, and which use xx tools before declaring the target.

use std::io::{Read, Write};
use std::path::PathBuf;

use anyhow::Result;
use xx_dockerfile::{Dockerfile, Finding, Severity};

use crate::exit::Outcome;

/// Exit status when the Dockerfile could not be linted at all (findings
/// exit 1, as other linters do).
const CANNOT_LINT: u8 = 2;

/// Options of `xx lint`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The Dockerfile (`-` reads standard input).
    #[arg(default_value = "Dockerfile")]
    pub dockerfile: PathBuf,
    /// Lint the stages a build of this stage needs (default: the last).
    #[arg(long)]
    pub target: Option<String>,
    /// Leave out findings of this rule (repeatable), e.g. `--ignore XX001`.
    #[arg(long, value_name = "CODE")]
    pub ignore: Vec<String>,
    /// Print the findings as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Lint `args.dockerfile`, printing the findings to `out`.
pub fn run(args: &Args, out: &mut dyn Write) -> Result<Outcome> {
    for code in &args.ignore {
        if !xx_dockerfile::RULES.iter().any(|rule| rule.code == code) {
            return Ok(cannot_lint(format!(
                "--ignore {code}: no such rule (rules: {})",
                rule_codes()
            )));
        }
    }
    let name = args.dockerfile.display().to_string();
    let text = match read(&args.dockerfile) {
        Ok(text) => text,
        Err(err) => return Ok(cannot_lint(format!("cannot read {name}: {err}"))),
    };
    let file = match Dockerfile::parse(&text) {
        Ok(file) => file,
        Err(err) => return Ok(cannot_lint(format!("{name}: {err}"))),
    };
    let Some(mut findings) = xx_dockerfile::lint(&file, args.target.as_deref()) else {
        let target = args.target.as_deref().unwrap_or_default();
        return Ok(cannot_lint(format!(
            "{name}: --target {target}: no such stage"
        )));
    };
    findings.retain(|finding| !args.ignore.iter().any(|code| code == finding.code));
    if args.json {
        let report = serde_json::json!({ "file": name, "findings": findings });
        writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        for finding in &findings {
            write!(out, "{}", format_finding(&name, finding))?;
        }
    }
    Ok(if findings.is_empty() {
        Outcome::Success
    } else {
        Outcome::Exit(1)
    })
}

/// The text of `path`, or of standard input for `-`.
pub(crate) fn read(path: &PathBuf) -> std::io::Result<String> {
    if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text)?;
        return Ok(text);
    }
    std::fs::read_to_string(path)
}

/// `Dockerfile:3: XX002 error: ...` and an indented hint line.
fn format_finding(name: &str, finding: &Finding) -> String {
    let severity = match finding.severity {
        Severity::Warning => "warning",
        Severity::Error => "error",
    };
    format!(
        "{name}:{}: {} {severity}: {}\n  hint: {}\n",
        finding.line, finding.code, finding.message, finding.hint
    )
}

fn rule_codes() -> String {
    xx_dockerfile::RULES
        .iter()
        .map(|rule| rule.code)
        .collect::<Vec<_>>()
        .join(", ")
}

fn cannot_lint(message: String) -> Outcome {
    eprintln!("xx lint: {message}");
    Outcome::Exit(CANNOT_LINT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn findings_read_like_compiler_messages() {
        let file = Dockerfile::parse("FROM debian\nRUN make\n").unwrap();
        let findings = xx_dockerfile::lint(&file, None).unwrap();
        assert_eq!(
            format_finding("Dockerfile", &findings[0]),
            "Dockerfile:1: XX001 warning: stage #0 runs on the target platform: RUN at line 2 executes under emulation when building for another architecture\n  hint: nothing in it compiles: if it only installs what the final image needs, emulation is the price of installing for the target\n"
        );
    }
}
