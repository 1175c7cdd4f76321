//! `xx lint`: read a Dockerfile and say which stages of a multi-platform
//! build run under emulation, which compile on the build machine without a
//! target, and which use xx tools before declaring the target.

use std::io::{Read, Write};
use std::path::PathBuf;

use anyhow::Result;
use xx_dockerfile::{Dockerfile, Finding, Severity};

use crate::exit::Outcome;

/// Exit status when the Dockerfile could not be linted at all (errors
/// exit 1, as other linters do; warnings exit 0 unless `--strict`).
const CANNOT_LINT: u8 = 2;

/// Where the rule pages are, in the xx-rs source tree.
const DOCS_BASE: &str = "docs/lint/";

/// Output formats of `xx lint`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// `file:line: CODE severity: message`, a hint below.
    Text,
    /// `{"file", "findings": [...]}`.
    Json,
    /// SARIF 2.1.0, for code-scanning annotations.
    Sarif,
}

/// Options of `xx lint`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The Dockerfile (`-` reads standard input).
    #[arg(default_value = "Dockerfile")]
    pub dockerfile: PathBuf,
    /// Lint the stages a build of this stage needs (default: the last).
    #[arg(long)]
    pub target: Option<String>,
    /// Leave out findings of this rule (repeatable), by code or name,
    /// e.g. `--ignore XX001` or `--ignore EmulatedRunStage`.
    #[arg(long, value_name = "RULE")]
    pub ignore: Vec<String>,
    /// Print the findings as JSON (same as `--format json`).
    #[arg(long)]
    pub json: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Exit 1 for warnings too (errors always do).
    #[arg(long)]
    pub strict: bool,
}

/// Lint `args.dockerfile`, printing the findings to `out`.
pub fn run(args: &Args, out: &mut dyn Write) -> Result<Outcome> {
    let mut ignored = Vec::new();
    for code in &args.ignore {
        match xx_dockerfile::lint::rule(code) {
            Some(rule) => ignored.push(rule.code),
            None => {
                return Ok(cannot_lint(format!(
                    "--ignore {code}: no such rule (rules: {})",
                    rule_codes()
                )))
            }
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
    findings.retain(|finding| !ignored.contains(&finding.code));
    let format = if args.json { Format::Json } else { args.format };
    match format {
        Format::Json => {
            let report = serde_json::json!({ "file": name, "findings": findings });
            writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
        }
        Format::Sarif => {
            writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&sarif(&name, &findings))?
            )?;
        }
        Format::Text => {
            for finding in &findings {
                write!(out, "{}", format_finding(&name, finding))?;
            }
        }
    }
    let failing = findings
        .iter()
        .any(|finding| finding.severity == Severity::Error || args.strict);
    Ok(if failing {
        Outcome::Exit(1)
    } else {
        Outcome::Success
    })
}

/// A SARIF 2.1.0 log of `findings` in `file`: one run, the rules with
/// their docs pages, one result per finding with its line.
pub(crate) fn sarif(file: &str, findings: &[Finding]) -> serde_json::Value {
    let rules: Vec<serde_json::Value> = xx_dockerfile::RULES
        .iter()
        .map(|rule| {
            serde_json::json!({
                "id": rule.code,
                "name": rule.name,
                "shortDescription": { "text": rule.summary },
                "helpUri": format!("{DOCS_BASE}{}.md", rule.code),
                "defaultConfiguration": { "level": level(rule.severity) },
            })
        })
        .collect();
    let results: Vec<serde_json::Value> = findings
        .iter()
        .map(|finding| {
            serde_json::json!({
                "ruleId": finding.code,
                "level": level(finding.severity),
                "message": { "text": format!("{} ({})", finding.message, finding.hint) },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": file },
                        "region": { "startLine": finding.line },
                    }
                }],
            })
        })
        .collect();
    serde_json::json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "xx lint",
                "informationUri": format!("{DOCS_BASE}README.md"),
                "rules": rules,
            }},
            "results": results,
        }],
    })
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Warning => "warning",
        Severity::Error => "error",
    }
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
        "{name}:{}: {} {severity}: {}\n  hint: {}\n  see: {DOCS_BASE}{}.md ({})\n",
        finding.line, finding.code, finding.message, finding.hint, finding.code, finding.name
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
            "Dockerfile:1: XX001 warning: stage #0 runs on the target platform: RUN at line 2 executes under emulation when building for another architecture\n  hint: it compiles: run it natively with FROM --platform=$BUILDPLATFORM, COPY --from=xx / /, ARG TARGETPLATFORM, and cross-compile with xx-clang (`xx lower` rewrites it so)\n  see: docs/lint/XX001.md (EmulatedRunStage)\n"
        );
        let log = sarif("Dockerfile", &findings);
        assert_eq!(log["version"], "2.1.0");
        assert_eq!(log["runs"][0]["results"][0]["ruleId"], "XX001");
        assert_eq!(log["runs"][0]["results"][0]["level"], "warning");
        assert_eq!(
            log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"],
            1
        );
        assert_eq!(
            log["runs"][0]["tool"]["driver"]["rules"]
                .as_array()
                .map(Vec::len),
            Some(5)
        );
    }
}
