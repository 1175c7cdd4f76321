//! `fixture-apk`: a stand-in for Alpine's `apk` (apk-tools 2.14) in the
//! end-to-end tests, installed as `/sbin/apk` in the Alpine fixture (see
//! `xx_e2e::make_alpine_fixture`). Alpine's repositories and apk itself
//! cannot be reached from the machines the tests run on.
//!
//! It implements the part of apk that xx-apk drives, with apk's command
//! line, database files, messages and exit statuses:
//!
//! * `add` (`--initdb`, `-t`/`--virtual`, `-s`), `del`, `info` (`-L`, `-e`,
//!   `-R`, `-d`, `-w`, `-s`, `--license`), `list` (`-I`, `-a`, patterns),
//!   `update`; the global options (`--root`/`-p`, `--arch`, `-q`, `-v`,
//!   `--allow-untrusted`, `-X`, `--repositories-file`, `--keys-dir`,
//!   `--wait`, ...; cache, network and script options are accepted and
//!   change nothing).
//! * The root's `lib/apk/db/installed` (with `F:`/`R:` file lists),
//!   `etc/apk/world`, `etc/apk/arch` and the `lib/apk/db/lock` flock.
//! * Repositories as described in `repository.rs`: plain-text indexes,
//!   packages that are gzip'd tars, a stand-in signature checked against
//!   the root's keys.
//!
//! Not modelled: versions and upgrades (one version per package),
//! `provides`, conflicts, install scripts and triggers, checksums, device
//! nodes made by `--initdb`, mounting `/proc` in the root. Other apk
//! commands and options are refused with a message naming the fixture.
//!
//! Every run appends its arguments (space-joined, without the program
//! name) as one line to [`LOG`], so that tests can check how apk was called.

// The modules live in fixture_apk/ next to this file (a crate root looks
// for them beside itself, hence the paths).
#[path = "fixture_apk/archive.rs"]
mod archive;
#[path = "fixture_apk/commit.rs"]
mod commit;
#[path = "fixture_apk/console.rs"]
mod console;
#[path = "fixture_apk/database.rs"]
mod database;
#[path = "fixture_apk/options.rs"]
mod options;
#[path = "fixture_apk/pattern.rs"]
mod pattern;
#[path = "fixture_apk/query.rs"]
mod query;
#[path = "fixture_apk/records.rs"]
mod records;
#[path = "fixture_apk/repository.rs"]
mod repository;
#[path = "fixture_apk/solver.rs"]
mod solver;

use std::fs::OpenOptions;
use std::io::Write;
use std::process::ExitCode;

use console::Console;
use database::{Database, BUILD_ARCH};
use options::{Applet, Parsed, Settings};

/// Where each run's arguments are logged.
const LOG: &str = "/var/log/fixture-apk.log";

/// The version the fixture stands in for.
const VERSION_LINE: &str = "apk-tools 2.14.4, compiled for x86_64.";

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().collect();
    log_arguments(argv.get(1..).unwrap_or_default());
    ExitCode::from(run(&argv))
}

/// Append the arguments to [`LOG`]; a log that cannot be written does not
/// stop apk.
fn log_arguments(args: &[String]) {
    let line = format!("{}\n", args.join(" "));
    if let Some(dir) = std::path::Path::new(LOG).parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    if let Ok(mut log) = OpenOptions::new().create(true).append(true).open(LOG) {
        let _ = log.write_all(line.as_bytes());
    }
}

/// Run apk on `argv`; returns the exit status.
fn run(argv: &[String]) -> u8 {
    let outcome = options::parse(argv);
    for complaint in &outcome.complaints {
        eprintln!("{complaint}");
    }
    match outcome.parsed {
        Parsed::Usage(applet) => {
            print!("{}", usage(applet));
            1
        }
        Parsed::Version => {
            println!("{VERSION_LINE}");
            0
        }
        Parsed::PrintArch => {
            println!("{BUILD_ARCH}");
            0
        }
        Parsed::NotACommand(arg) => {
            eprintln!("ERROR: '{arg}' is not an apk command. See 'apk --help'.");
            1
        }
        Parsed::Run {
            applet,
            settings,
            args,
        } => run_applet(applet, &settings, &args),
    }
}

fn run_applet(applet: Applet, settings: &Settings, args: &[String]) -> u8 {
    if let Applet::Other(name) = applet {
        eprintln!("fixture-apk: `apk {name}` is not implemented by the Alpine test fixture");
        return 1;
    }
    if let Some(option) = &settings.not_in_fixture {
        eprintln!(
            "fixture-apk: `apk {} {option}` is not implemented by the Alpine test fixture",
            applet.name()
        );
        return 1;
    }
    let console = Console::new(settings.verbosity);
    let mut db = match Database::open(applet, settings) {
        Ok(db) => db,
        Err(failure) => {
            console.error(&failure.to_string());
            console.error(&format!("Failed to open apk database: {}", failure.reason));
            return 99;
        }
    };
    let repositories = repository::load(&db, settings, applet, &console);
    let verbosity = console.verbosity();
    let status = match applet {
        Applet::Add => commit::add(&mut db, &repositories, settings, args, &console),
        Applet::Del => commit::del(&mut db, &repositories, settings, args, &console),
        Applet::Info => {
            let (out, errors) = query::info(&db, &repositories, settings, args, verbosity);
            print!("{out}");
            errors
        }
        Applet::List => {
            let known = query::known_packages(&db.installed, &repositories);
            print!("{}", query::list(&known, settings, args, verbosity));
            0
        }
        Applet::Update => {
            print!("{}", query::update(&db, &repositories, verbosity));
            0
        }
        Applet::Other(_) => 1,
    };
    // apk: negative statuses become 250, everything is capped at 99.
    if status < 0 {
        99
    } else {
        u8::try_from(status.min(99)).unwrap_or(99)
    }
}

/// The version line and a short usage, for `applet` if known.
fn usage(applet: Option<Applet>) -> String {
    let synopsis = match applet {
        Some(Applet::Add) => "usage: apk add [<OPTIONS>...] PACKAGES...",
        Some(Applet::Del) => "usage: apk del [<OPTIONS>...] PACKAGES...",
        Some(Applet::Info) => "usage: apk info [<OPTIONS>...] PACKAGES...",
        Some(Applet::List) => "usage: apk list [<OPTIONS>...] PATTERN...",
        Some(Applet::Update) => "usage: apk update [<OPTIONS>...]",
        Some(Applet::Other(_)) | None => "usage: apk [<OPTIONS>...] COMMAND [<ARGUMENTS>...]",
    };
    format!(
        "{VERSION_LINE}\n\n{synopsis}\n\n\
         Alpine test fixture standing in for apk; commands:\n  \
         add     install packages and add them to the world\n  \
         del     remove packages from the world and purge them\n  \
         info    show installed or available packages (-L: their files)\n  \
         list    list packages (-I: installed only)\n  \
         update  read the repository indexes\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_starts_with_the_version_and_a_blank_line() {
        let text = usage(None);
        assert!(text.starts_with(
            "apk-tools 2.14.4, compiled for x86_64.\n\nusage: apk [<OPTIONS>...] COMMAND [<ARGUMENTS>...]\n"
        ));
        assert!(usage(Some(Applet::Add)).contains("usage: apk add "));
    }

    #[test]
    fn bare_apk_and_bad_commands_fail() {
        let argv =
            |line: &str| -> Vec<String> { line.split_whitespace().map(str::to_string).collect() };
        assert_eq!(run(&argv("apk")), 1);
        assert_eq!(run(&argv("apk frobnicate")), 1);
        assert_eq!(run(&argv("apk add --frobnicate")), 1);
        assert_eq!(run(&argv("apk --version")), 0);
        assert_eq!(run(&argv("apk upgrade")), 1);
    }
}
