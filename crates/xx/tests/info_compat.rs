//! `xx-info` must print exactly what tonistiigi/xx's xx-info prints.
//!
//! `tests/fixtures/xx-info/reference.tsv` was recorded by running xx's own
//! xx-info script (upstream master) on this project's fixture roots
//! (`tests/fixtures/roots/<distro>/etc`, mounted over /etc in a private mount
//! namespace) on an x86_64 machine: one row per (root, environment, command)
//! with exit code, stdout and stderr. Here the same requests go to our
//! binary with `XX_ROOT` pointing at the same fixture root.

use std::path::{Path, PathBuf};
use std::process::Command;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

struct Row {
    root: String,
    vars: Vec<(String, String)>,
    command: Vec<String>,
    code: i32,
    stdout: String,
    stderr: String,
}

fn unescape(field: &str) -> String {
    field.replace("\\n", "\n")
}

fn rows() -> Vec<Row> {
    let text = std::fs::read_to_string(workspace().join("tests/fixtures/xx-info/reference.tsv"))
        .expect("reference table");
    text.lines()
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            assert_eq!(f.len(), 6, "bad row {line:?}");
            Row {
                root: f[0].to_string(),
                vars: f[1]
                    .split_whitespace()
                    .map(|kv| {
                        let (k, v) = kv.split_once('=').expect("k=v");
                        (k.to_string(), v.to_string())
                    })
                    .collect(),
                command: f[2].split_whitespace().map(String::from).collect(),
                code: f[3].parse().expect("exit code"),
                stdout: unescape(f[4]),
                stderr: unescape(f[5]),
            }
        })
        .collect()
}

#[test]
fn matches_tonistiigi_xx_byte_for_byte() {
    if std::env::consts::ARCH != "x86_64" {
        panic!("the reference table was recorded on x86_64; record it again for this machine");
    }
    let rows = rows();
    assert!(rows.len() > 2500, "reference table too small");
    let mut failures = Vec::new();
    for row in &rows {
        // Our --help text is our own; both exit 0 with usage on stderr.
        let is_help = row.command == ["--help"];
        let output = Command::new(env!("CARGO_BIN_EXE_xx"))
            .arg("info")
            .args(&row.command)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env(
                "XX_ROOT",
                workspace().join("tests/fixtures/roots").join(&row.root),
            )
            .envs(row.vars.iter().map(|(k, v)| (k, v)))
            .output()
            .expect("run xx");
        let code = output.status.code().unwrap_or(-1);
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stdout = stdout.strip_suffix('\n').unwrap_or(&stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let stderr = stderr.strip_suffix('\n').unwrap_or(&stderr);
        let stderr_ok = if is_help {
            stderr.starts_with("Usage: xx-info")
        } else {
            stderr == row.stderr
        };
        if code != row.code || stdout != row.stdout || !stderr_ok {
            failures.push(format!(
                "{} {:?} {:?}: want ({}, {:?}, {:?}) got ({code}, {stdout:?}, {stderr:?})",
                row.root, row.vars, row.command, row.code, row.stdout, row.stderr
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows differ from xx:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}
