//! `xx lower`: rewrite a Dockerfile so that its compile stages run natively
//! on `$BUILDPLATFORM` and cross-compile with the xx tools (see
//! [`xx_dockerfile::lower`]).

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use xx_dockerfile::{LowerOptions, Lowered};

use crate::exit::Outcome;

/// Exit status when the Dockerfile could not be lowered.
const CANNOT_LOWER: u8 = 2;

/// The mode of a lowered Dockerfile written with `--output`.
const OUTPUT_MODE: u32 = 0o644;

/// Options of `xx lower`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The Dockerfile (`-` reads standard input).
    #[arg(default_value = "Dockerfile")]
    pub dockerfile: PathBuf,
    /// Write the lowered Dockerfile here (atomically) instead of to
    /// standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The image with the xx tools, for the added `xx` stage.
    #[arg(long, default_value = "xx-rs", value_name = "IMAGE")]
    pub xx_image: String,
    /// The stage that is built (default: the last).
    #[arg(long)]
    pub target: Option<String>,
    /// Print the report (changes and notes) as JSON on standard error.
    #[arg(long)]
    pub json: bool,
}

/// Lower `args.dockerfile`: the new text to `--output` or `out`, the
/// report to stderr.
pub fn run(args: &Args, out: &mut dyn Write) -> Result<Outcome> {
    let name = args.dockerfile.display().to_string();
    if args.xx_image.is_empty() || args.xx_image.contains(char::is_whitespace) {
        return Ok(cannot_lower(format!(
            "--xx-image {:?}: not an image reference",
            args.xx_image
        )));
    }
    let text = match crate::cmd::lint::read(&args.dockerfile) {
        Ok(text) => text,
        Err(err) => return Ok(cannot_lower(format!("cannot read {name}: {err}"))),
    };
    let options = LowerOptions {
        xx_image: args.xx_image.clone(),
        target: args.target.clone(),
    };
    let lowered = match xx_dockerfile::lower(&text, &options) {
        Ok(lowered) => lowered,
        Err(err) => return Ok(cannot_lower(format!("{name}: {err}"))),
    };
    match &args.output {
        Some(path) => {
            let parent = path
                .parent()
                .filter(|dir| !dir.as_os_str().is_empty())
                .unwrap_or(std::path::Path::new("."));
            if !parent.is_dir() {
                return Ok(cannot_lower(format!(
                    "-o {}: directory {} does not exist",
                    path.display(),
                    parent.display()
                )));
            }
            if let Err(err) = xx_files::write_atomic(path, &lowered.text, OUTPUT_MODE) {
                return Ok(cannot_lower(err.to_string()));
            }
        }
        None => out.write_all(lowered.text.as_bytes())?,
    }
    eprint!("{}", report(&name, &lowered, args.json)?);
    Ok(Outcome::Success)
}

/// `Dockerfile:7: ...` per change and note, or the JSON report.
fn report(name: &str, lowered: &Lowered, json: bool) -> Result<String> {
    if json {
        let report = serde_json::json!({
            "file": name,
            "changes": lowered.changes,
            "notes": lowered.notes,
        });
        return Ok(format!("{}\n", serde_json::to_string_pretty(&report)?));
    }
    let mut text = String::new();
    for change in &lowered.changes {
        text.push_str(&format!("{name}:{}: {}\n", change.line, change.text));
    }
    for note in &lowered.notes {
        text.push_str(&format!("{name}:{}: note: {}\n", note.line, note.text));
    }
    if lowered.changes.is_empty() {
        text.push_str(&format!("{name}: nothing to lower\n"));
    }
    Ok(text)
}

fn cannot_lower(message: String) -> Outcome {
    eprintln!("xx lower: {message}");
    Outcome::Exit(CANNOT_LOWER)
}
