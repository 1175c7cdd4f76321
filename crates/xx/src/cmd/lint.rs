//! `xx lint`: read a Dockerfile and say which stages of a multi-platform
//! build run under emulation, which compile on the build machine without a
//! target, and which use xx tools before declaring the target.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::Result;
use xx_dockerfile::{Dockerfile, Finding, LintConfig, Severity, Threshold};

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
    /// Checkstyle XML, as CI tools read it (Jenkins warnings-ng, reviewdog).
    Checkstyle,
}

/// `--failure-threshold` values (hadolint's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailureThreshold {
    /// Error findings fail (the default).
    Error,
    /// Any finding fails (same as `--strict`).
    Warning,
    /// As `warning` (hadolint's level below warning).
    Info,
    /// As `warning` (hadolint's lowest level).
    Style,
    /// Nothing fails; findings are still printed.
    None,
    /// As `none`.
    Ignore,
}

impl From<FailureThreshold> for Threshold {
    fn from(value: FailureThreshold) -> Threshold {
        match value {
            FailureThreshold::Error => Threshold::Error,
            FailureThreshold::Warning | FailureThreshold::Info | FailureThreshold::Style => {
                Threshold::Warning
            }
            FailureThreshold::None | FailureThreshold::Ignore => Threshold::Never,
        }
    }
}

/// The configuration files looked for next to the Dockerfile.
const CONFIG_NAMES: &[&str] = &[".xx-lint.yaml", ".xx-lint.yml"];

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
    /// Exit 1 for warnings too (errors always do); `--failure-threshold
    /// warning`.
    #[arg(long)]
    pub strict: bool,
    /// Which findings make the exit status 1: `error` (default),
    /// `warning` (any), `none`; hadolint's `info`/`style` are `warning`,
    /// `ignore` is `none`. Overrides `--strict` and the config file.
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub failure_threshold: Option<FailureThreshold>,
    /// The configuration file (default: `.xx-lint.yaml` or `.xx-lint.yml`
    /// next to the Dockerfile, if there is one).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// The configuration: `--config FILE`, else the first of
/// [`CONFIG_NAMES`] next to the Dockerfile (the current folder for
/// standard input), else none. `Err` is the one-line message.
fn load_config(args: &Args) -> Result<LintConfig, String> {
    let path = match &args.config {
        Some(path) => path.clone(),
        None => {
            let dir = if args.dockerfile.as_os_str() == "-" {
                Path::new(".")
            } else {
                match args.dockerfile.parent() {
                    Some(dir) if !dir.as_os_str().is_empty() => dir,
                    _ => Path::new("."),
                }
            };
            match CONFIG_NAMES
                .iter()
                .map(|name| dir.join(name))
                .find(|path| path.is_file())
            {
                Some(path) => path,
                None => return Ok(LintConfig::default()),
            }
        }
    };
    let shown = path.display();
    let text =
        std::fs::read_to_string(&path).map_err(|err| format!("cannot read {shown}: {err}"))?;
    xx_dockerfile::parse_config(&text).map_err(|err| format!("{shown}: {err}"))
}

/// Lint `args.dockerfile`, printing the findings to `out`.
pub fn run(args: &Args, out: &mut dyn Write) -> Result<Outcome> {
    let config = match load_config(args) {
        Ok(config) => config,
        Err(message) => return Ok(cannot_lint(message)),
    };
    let mut ignored: Vec<&str> = config.ignored.iter().map(|rule| rule.code).collect();
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
        Format::Checkstyle => write!(out, "{}", checkstyle(&name, &findings))?,
        Format::Text => {
            for finding in &findings {
                write!(out, "{}", format_finding(&name, finding))?;
            }
        }
    }
    let threshold = args
        .failure_threshold
        .map(Threshold::from)
        .or(args.strict.then_some(Threshold::Warning))
        .or(config.threshold())
        .unwrap_or(Threshold::Error);
    let failing = findings.iter().any(|finding| match threshold {
        Threshold::Error => finding.severity == Severity::Error,
        Threshold::Warning => true,
        Threshold::Never => false,
    });
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

/// A Checkstyle XML report of `findings` in `file`: one `<file>`, one
/// `<error>` per finding with its line, severity, message (and hint) and
/// the rule's code as `source`.
pub(crate) fn checkstyle(file: &str, findings: &[Finding]) -> String {
    let mut xml =
        String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<checkstyle version=\"4.3\">\n");
    xml.push_str(&format!("  <file name=\"{}\">\n", xml_escape(file)));
    for finding in findings {
        xml.push_str(&format!(
            "    <error line=\"{}\" column=\"1\" severity=\"{}\" message=\"{}\" source=\"{}\"/>\n",
            finding.line,
            level(finding.severity),
            xml_escape(&format!("{} ({})", finding.message, finding.hint)),
            finding.code
        ));
    }
    xml.push_str("  </file>\n</checkstyle>\n");
    xml
}

/// `text` for an XML attribute value.
fn xml_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            '\n' => escaped.push_str("&#10;"),
            '\t' => escaped.push_str("&#9;"),
            // Not allowed in XML 1.0.
            c if (c as u32) < 0x20 && c != '\r' => escaped.push('?'),
            '\r' => escaped.push_str("&#13;"),
            c => escaped.push(c),
        }
    }
    escaped
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

    #[test]
    fn checkstyle_is_escaped_xml_with_one_error_per_finding() {
        let file = Dockerfile::parse("FROM debian\nRUN make\n").unwrap();
        let findings = xx_dockerfile::lint(&file, None).unwrap();
        let xml = checkstyle("dir/<a&b>\"Dockerfile\"", &findings);
        assert!(xml.starts_with(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<checkstyle version=\"4.3\">\n  <file name=\"dir/&lt;a&amp;b&gt;&quot;Dockerfile&quot;\">\n    <error line=\"1\" column=\"1\" severity=\"warning\" message=\"stage #0 runs on the target platform: RUN at line 2 executes"
        ), "{xml}");
        assert!(
            xml.ends_with("source=\"XX001\"/>\n  </file>\n</checkstyle>\n"),
            "{xml}"
        );
        assert!(xml.contains("(`xx lower` rewrites it so)"));
        assert_eq!(xml_escape("a'b\n\u{1}"), "a&apos;b&#10;?");
        assert_eq!(
            checkstyle("Dockerfile", &[]),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<checkstyle version=\"4.3\">\n  <file name=\"Dockerfile\">\n  </file>\n</checkstyle>\n"
        );
    }
}
