//! apk-tools 2.14's command line: the command is the first argument that
//! does not start with `-` and names one; options go anywhere (getopt_long
//! with permutation: short clusters like `-qL`, `-pROOT`, `--root=R`,
//! `--root R`, unique prefixes of long names, `--` ending the options);
//! each command accepts the global options plus its own groups. An unknown
//! option gets musl getopt's one-line complaint on stderr and the usage.

/// The apk commands. The fixture implements the first five; the others are
/// recognised (so that the command line is split as apk splits it) but
/// refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applet {
    /// `apk add`
    Add,
    /// `apk del`
    Del,
    /// `apk info`
    Info,
    /// `apk list`
    List,
    /// `apk update`
    Update,
    /// Another apk-tools 2.14 command, not implemented by the fixture.
    Other(&'static str),
}

/// Every command apk-tools 2.14 has.
const APPLET_NAMES: &[&str] = &[
    "add", "audit", "cache", "del", "dot", "fetch", "fix", "index", "info", "list", "manifest",
    "policy", "search", "stats", "update", "upgrade", "verify", "version",
];

impl Applet {
    fn find(name: &str) -> Option<Applet> {
        let name = *APPLET_NAMES.iter().find(|known| **known == name)?;
        Some(match name {
            "add" => Applet::Add,
            "del" => Applet::Del,
            "info" => Applet::Info,
            "list" => Applet::List,
            "update" => Applet::Update,
            other => Applet::Other(other),
        })
    }

    /// The command's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Applet::Add => "add",
            Applet::Del => "del",
            Applet::Info => "info",
            Applet::List => "list",
            Applet::Update => "update",
            Applet::Other(name) => name,
        }
    }

    /// Whether `--arch` applies without `--root` (apk's `ALLOW_ARCH`).
    pub fn allows_arch(self) -> bool {
        matches!(self, Applet::Info | Applet::List | Applet::Update)
    }

    /// Whether the command changes the root (opens the database for writing).
    pub fn writes(self) -> bool {
        matches!(self, Applet::Add | Applet::Del | Applet::Update)
    }
}

/// What an option does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Effect {
    AllowUntrusted,
    Arch,
    Help,
    KeysDir,
    NoCache,
    PrintArch,
    Quiet,
    RepositoriesFile,
    Repository,
    Root,
    Verbose,
    Version,
    Wait,
    Simulate,
    Initdb,
    Virtual,
    InfoContents,
    InfoDepends,
    InfoDescription,
    InfoExists,
    InfoLicense,
    InfoSize,
    InfoWebpage,
    ListAvailable,
    ListInstalled,
    /// Accepted; changes nothing the fixture models (caches, network,
    /// progress bars, scripts, ownership; `--upgrade`/`--latest` since the
    /// fixture's repositories hold one version per package).
    Ignored,
    /// A real apk option the fixture does not implement.
    NotInFixture,
}

/// One option: long name, short letter, whether it takes an argument.
struct OptionSpec {
    long: &'static str,
    short: Option<char>,
    takes_argument: bool,
    effect: Effect,
}

const fn flag(long: &'static str, short: Option<char>, effect: Effect) -> OptionSpec {
    OptionSpec {
        long,
        short,
        takes_argument: false,
        effect,
    }
}

const fn with_argument(long: &'static str, short: Option<char>, effect: Effect) -> OptionSpec {
    OptionSpec {
        long,
        short,
        takes_argument: true,
        effect,
    }
}

const GLOBAL: &[OptionSpec] = &[
    flag("allow-untrusted", None, Effect::AllowUntrusted),
    with_argument("arch", None, Effect::Arch),
    with_argument("cache-dir", None, Effect::Ignored),
    with_argument("cache-max-age", None, Effect::Ignored),
    flag("force", Some('f'), Effect::Ignored),
    flag("force-binary-stdout", None, Effect::Ignored),
    flag("force-broken-world", None, Effect::Ignored),
    flag("force-missing-repositories", None, Effect::Ignored),
    flag("force-non-repository", None, Effect::Ignored),
    flag("force-old-apk", None, Effect::Ignored),
    flag("force-overwrite", None, Effect::Ignored),
    flag("force-refresh", None, Effect::Ignored),
    flag("help", Some('h'), Effect::Help),
    flag("interactive", Some('i'), Effect::Ignored),
    with_argument("keys-dir", None, Effect::KeysDir),
    flag("no-cache", None, Effect::NoCache),
    flag("no-check-certificate", None, Effect::Ignored),
    flag("no-interactive", None, Effect::Ignored),
    flag("no-network", None, Effect::Ignored),
    flag("no-progress", None, Effect::Ignored),
    flag("print-arch", None, Effect::PrintArch),
    flag("progress", None, Effect::Ignored),
    with_argument("progress-fd", None, Effect::Ignored),
    flag("purge", None, Effect::Ignored),
    flag("quiet", Some('q'), Effect::Quiet),
    with_argument("repositories-file", None, Effect::RepositoriesFile),
    with_argument("repository", Some('X'), Effect::Repository),
    with_argument("root", Some('p'), Effect::Root),
    with_argument("timeout", None, Effect::Ignored),
    flag("update-cache", Some('U'), Effect::Ignored),
    flag("verbose", Some('v'), Effect::Verbose),
    flag("version", Some('V'), Effect::Version),
    with_argument("wait", None, Effect::Wait),
];

const COMMIT: &[OptionSpec] = &[
    flag("clean-protected", None, Effect::Ignored),
    flag("initramfs-diskless-boot", None, Effect::NotInFixture),
    flag("no-commit-hooks", None, Effect::Ignored),
    flag("no-scripts", None, Effect::Ignored),
    flag("overlay-from-stdin", None, Effect::NotInFixture),
    flag("simulate", Some('s'), Effect::Simulate),
];

const SOURCE: &[OptionSpec] = &[with_argument("from", None, Effect::NotInFixture)];

const ADD: &[OptionSpec] = &[
    flag("initdb", None, Effect::Initdb),
    flag("latest", Some('l'), Effect::Ignored),
    flag("no-chown", None, Effect::Ignored),
    flag("upgrade", Some('u'), Effect::Ignored),
    with_argument("virtual", Some('t'), Effect::Virtual),
];

const DEL: &[OptionSpec] = &[flag("rdepends", Some('r'), Effect::NotInFixture)];

const INFO: &[OptionSpec] = &[
    flag("all", Some('a'), Effect::NotInFixture),
    flag("contents", Some('L'), Effect::InfoContents),
    flag("depends", Some('R'), Effect::InfoDepends),
    flag("description", Some('d'), Effect::InfoDescription),
    flag("install-if", None, Effect::NotInFixture),
    flag("installed", Some('e'), Effect::InfoExists),
    flag("license", None, Effect::InfoLicense),
    flag("provides", Some('P'), Effect::NotInFixture),
    flag("rdepends", Some('r'), Effect::NotInFixture),
    flag("replaces", None, Effect::NotInFixture),
    flag("rinstall-if", None, Effect::NotInFixture),
    flag("size", Some('s'), Effect::InfoSize),
    flag("triggers", Some('t'), Effect::NotInFixture),
    flag("webpage", Some('w'), Effect::InfoWebpage),
    flag("who-owns", Some('W'), Effect::NotInFixture),
];

const LIST: &[OptionSpec] = &[
    flag("available", Some('a'), Effect::ListAvailable),
    flag("installed", Some('I'), Effect::ListInstalled),
    flag("depends", Some('d'), Effect::NotInFixture),
    flag("origin", Some('o'), Effect::NotInFixture),
    flag("orphaned", Some('O'), Effect::NotInFixture),
    flag("providers", Some('P'), Effect::NotInFixture),
    flag("upgradable", Some('u'), Effect::NotInFixture),
    flag("upgradeable", None, Effect::NotInFixture),
];

/// The option groups `applet` accepts, as in apk-tools 2.14.
fn option_groups(applet: Option<Applet>) -> Vec<&'static [OptionSpec]> {
    match applet {
        Some(Applet::Add) => vec![GLOBAL, COMMIT, ADD],
        Some(Applet::Del) => vec![GLOBAL, COMMIT, DEL],
        Some(Applet::Info) => vec![GLOBAL, SOURCE, INFO],
        Some(Applet::List) => vec![GLOBAL, SOURCE, LIST],
        Some(Applet::Update | Applet::Other(_)) | None => vec![GLOBAL],
    }
}

/// Which `apk info` fields to print.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InfoFields {
    /// `-d`
    pub description: bool,
    /// `-w`
    pub webpage: bool,
    /// `-s`
    pub size: bool,
    /// `-R`
    pub depends: bool,
    /// `-L`
    pub contents: bool,
    /// `--license`
    pub license: bool,
}

impl InfoFields {
    /// No field asked for: apk then prints description, webpage and size.
    pub fn none(&self) -> bool {
        *self == InfoFields::default()
    }
}

/// Everything the options set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `--root`/`-p`.
    pub root: Option<String>,
    /// `--arch`.
    pub arch: Option<String>,
    /// 1, minus one per `-q`, plus one per `-v`.
    pub verbosity: i32,
    /// `--allow-untrusted`.
    pub allow_untrusted: bool,
    /// `--initdb` (add).
    pub initdb: bool,
    /// `--simulate`/`-s` (add, del).
    pub simulate: bool,
    /// `--wait`: wait for the database lock instead of failing.
    pub wait: bool,
    /// `--no-cache`.
    pub no_cache: bool,
    /// `--keys-dir`.
    pub keys_dir: Option<String>,
    /// `--repositories-file`.
    pub repositories_file: Option<String>,
    /// `--repository`/`-X`, in order.
    pub repositories: Vec<String>,
    /// `--virtual`/`-t` (add).
    pub virtual_package: Option<String>,
    /// `apk info` fields.
    pub info: InfoFields,
    /// `apk info -e`: the last info option given was `-e` (any other info
    /// option cancels it, as in apk).
    pub info_exists: bool,
    /// `apk list -I`.
    pub list_installed: bool,
    /// `apk list -a`.
    pub list_available: bool,
    /// The first option given that the fixture does not implement.
    pub not_in_fixture: Option<String>,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            root: None,
            arch: None,
            verbosity: 1,
            allow_untrusted: false,
            initdb: false,
            simulate: false,
            wait: false,
            no_cache: false,
            keys_dir: None,
            repositories_file: None,
            repositories: Vec::new(),
            virtual_package: None,
            info: InfoFields::default(),
            info_exists: false,
            list_installed: false,
            list_available: false,
            not_in_fixture: None,
        }
    }
}

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    /// Run `applet` on `args`.
    Run {
        /// The command.
        applet: Applet,
        /// The options.
        settings: Box<Settings>,
        /// The arguments after the command.
        args: Vec<String>,
    },
    /// Print the usage (of `applet` if known) and exit 1.
    Usage(Option<Applet>),
    /// `-V`: print the version line, exit 0.
    Version,
    /// `--print-arch`: print apk's own arch, exit 0.
    PrintArch,
    /// Arguments but no command: `ERROR: '<first argument>' is not an apk command`.
    NotACommand(String),
}

/// The outcome of parsing plus getopt's complaints, in order, for stderr.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseOutcome {
    /// musl getopt lines (`apk: unrecognized option: foo`).
    pub complaints: Vec<String>,
    /// What to do.
    pub parsed: Parsed,
}

/// The result of one option for apk's parse loop.
enum Step {
    Ok,
    /// Unknown or malformed option (getopt's `?`): apk's `-ENOTSUP`.
    Unsupported,
    Help,
    /// `-V` or `--print-arch`: apk acts at once and exits 0.
    Stop(Parsed),
}

/// Parse `argv` (with the program name first) the way apk does.
pub fn parse(argv: &[String]) -> ParseOutcome {
    let program = argv.first().map_or("apk", String::as_str);
    let rest = argv.get(1..).unwrap_or_default();
    let applet = rest
        .iter()
        .filter(|arg| !arg.starts_with('-'))
        .find_map(|arg| Applet::find(arg));
    let groups = option_groups(applet);

    let mut parser = Parser {
        program,
        groups: &groups,
        settings: Settings::default(),
        complaints: Vec::new(),
    };
    let mut positional = Vec::new();
    // apk keeps only the result of the last option: an unknown option
    // followed by a good one goes unnoticed (after getopt's complaint).
    let mut last = Step::Ok;
    let mut help = false;
    let mut index = 0;
    while index < rest.len() {
        let arg = &rest[index];
        index += 1;
        if arg == "--" {
            positional.extend(rest[index..].iter().cloned());
            break;
        }
        let steps = if let Some(long) = arg.strip_prefix("--") {
            vec![parser.long_option(long, rest, &mut index)]
        } else if arg.len() > 1 && arg.starts_with('-') {
            parser.short_cluster(&arg[1..], rest, &mut index)
        } else {
            positional.push(arg.clone());
            continue;
        };
        for step in steps {
            match step {
                Step::Stop(parsed) => {
                    return ParseOutcome {
                        complaints: parser.complaints,
                        parsed,
                    }
                }
                Step::Help => {
                    help = true;
                    last = Step::Ok;
                }
                other => last = other,
            }
        }
    }
    let complaints = parser.complaints;
    let settings = parser.settings;
    if help || matches!(last, Step::Unsupported) {
        return ParseOutcome {
            complaints,
            parsed: Parsed::Usage(applet),
        };
    }
    let parsed = match applet {
        None if !rest.is_empty() => Parsed::NotACommand(rest[0].clone()),
        None => Parsed::Usage(None),
        Some(applet) => {
            if positional.first().map(String::as_str) == Some(applet.name()) {
                positional.remove(0);
            }
            Parsed::Run {
                applet,
                settings: Box::new(settings),
                args: positional,
            }
        }
    };
    ParseOutcome { complaints, parsed }
}

struct Parser<'a> {
    program: &'a str,
    groups: &'a [&'static [OptionSpec]],
    settings: Settings,
    complaints: Vec<String>,
}

impl Parser<'_> {
    fn complain(&mut self, what: &str, subject: &str) -> Step {
        self.complaints
            .push(format!("{}: {what}: {subject}", self.program));
        Step::Unsupported
    }

    fn specs(&self) -> impl Iterator<Item = &'static OptionSpec> + use<'_> {
        let groups: &[&'static [OptionSpec]] = self.groups;
        groups.iter().flat_map(|group| group.iter())
    }

    /// The long option `name` or, failing that, the only one it is a
    /// prefix of; else getopt's complaint.
    fn find_long(&self, name: &str) -> Result<&'static OptionSpec, &'static str> {
        if let Some(spec) = self.specs().find(|spec| spec.long == name) {
            return Ok(spec);
        }
        let mut prefixed = self
            .specs()
            .filter(|spec| !name.is_empty() && spec.long.starts_with(name));
        match (prefixed.next(), prefixed.next()) {
            (Some(spec), None) => Ok(spec),
            (None, _) => Err("unrecognized option"),
            (Some(_), Some(_)) => Err("option is ambiguous"),
        }
    }

    /// `--name`, `--name=value`, `--name value`; unique prefixes match.
    fn long_option(&mut self, text: &str, rest: &[String], index: &mut usize) -> Step {
        let (name, inline) = match text.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (text, None),
        };
        let spec = match self.find_long(name) {
            Ok(spec) => spec,
            Err(complaint) => return self.complain(complaint, text),
        };
        let value = match (spec.takes_argument, inline) {
            (false, Some(_)) => {
                return self.complain("option does not take an argument", spec.long)
            }
            (false, None) => None,
            (true, Some(value)) => Some(value.to_string()),
            (true, None) => match rest.get(*index) {
                Some(value) => {
                    *index += 1;
                    Some(value.clone())
                }
                None => return self.complain("option requires an argument", spec.long),
            },
        };
        self.apply(spec, value)
    }

    /// `-abc`, `-pROOT`, `-p ROOT`.
    fn short_cluster(&mut self, cluster: &str, rest: &[String], index: &mut usize) -> Vec<Step> {
        let mut steps = Vec::new();
        for (position, letter) in cluster.char_indices() {
            let found = self.specs().find(|spec| spec.short == Some(letter));
            let Some(spec) = found else {
                steps.push(self.complain("unrecognized option", &letter.to_string()));
                continue;
            };
            if !spec.takes_argument {
                steps.push(self.apply(spec, None));
                continue;
            }
            let attached = &cluster[position + letter.len_utf8()..];
            let value = if !attached.is_empty() {
                Some(attached.to_string())
            } else if let Some(value) = rest.get(*index) {
                *index += 1;
                Some(value.clone())
            } else {
                steps.push(self.complain("option requires an argument", &letter.to_string()));
                return steps;
            };
            steps.push(self.apply(spec, value));
            return steps;
        }
        steps
    }

    fn apply(&mut self, spec: &OptionSpec, value: Option<String>) -> Step {
        let settings = &mut self.settings;
        let info_option = matches!(
            spec.effect,
            Effect::InfoContents
                | Effect::InfoDepends
                | Effect::InfoDescription
                | Effect::InfoExists
                | Effect::InfoLicense
                | Effect::InfoSize
                | Effect::InfoWebpage
        );
        if info_option {
            settings.info_exists = false;
        }
        match spec.effect {
            Effect::AllowUntrusted => settings.allow_untrusted = true,
            Effect::Arch => settings.arch = value,
            Effect::Help => return Step::Help,
            Effect::KeysDir => settings.keys_dir = value,
            Effect::NoCache => settings.no_cache = true,
            Effect::PrintArch => return Step::Stop(Parsed::PrintArch),
            Effect::Quiet => settings.verbosity -= 1,
            Effect::RepositoriesFile => settings.repositories_file = value,
            Effect::Repository => settings.repositories.extend(value),
            Effect::Root => settings.root = value,
            Effect::Verbose => settings.verbosity += 1,
            Effect::Version => return Step::Stop(Parsed::Version),
            Effect::Wait => settings.wait = true,
            Effect::Simulate => settings.simulate = true,
            Effect::Initdb => settings.initdb = true,
            Effect::Virtual => settings.virtual_package = value,
            Effect::InfoContents => settings.info.contents = true,
            Effect::InfoDepends => settings.info.depends = true,
            Effect::InfoDescription => settings.info.description = true,
            Effect::InfoExists => settings.info_exists = true,
            Effect::InfoLicense => settings.info.license = true,
            Effect::InfoSize => settings.info.size = true,
            Effect::InfoWebpage => settings.info.webpage = true,
            Effect::ListAvailable => settings.list_available = true,
            Effect::ListInstalled => settings.list_installed = true,
            Effect::Ignored => {}
            Effect::NotInFixture => {
                if settings.not_in_fixture.is_none() {
                    settings.not_in_fixture = Some(format!("--{}", spec.long));
                }
            }
        }
        Step::Ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_line(line: &str) -> ParseOutcome {
        let argv: Vec<String> = std::iter::once("apk")
            .chain(line.split_whitespace())
            .map(str::to_string)
            .collect();
        parse(&argv)
    }

    fn run(line: &str) -> (Applet, Settings, Vec<String>) {
        let outcome = parse_line(line);
        assert!(outcome.complaints.is_empty(), "{outcome:?}");
        match outcome.parsed {
            Parsed::Run {
                applet,
                settings,
                args,
            } => (applet, *settings, args),
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn options_go_anywhere_and_the_command_is_found() {
        let (applet, settings, args) = run(
            "add --no-cache --initdb -p /aarch64-alpine-linux-musl --allow-untrusted alpine-keys",
        );
        assert_eq!(applet, Applet::Add);
        assert_eq!(settings.root.as_deref(), Some("/aarch64-alpine-linux-musl"));
        assert!(settings.initdb && settings.allow_untrusted);
        assert_eq!(args, ["alpine-keys"]);

        let (applet, settings, args) = run("--root /x add --no-cache zlib-dev musl");
        assert_eq!(applet, Applet::Add);
        assert_eq!(settings.root.as_deref(), Some("/x"));
        assert_eq!(args, ["zlib-dev", "musl"]);

        let (_, settings, _) = run("--root=/y --arch aarch64 -U -q list");
        assert_eq!(settings.root.as_deref(), Some("/y"));
        assert_eq!(settings.arch.as_deref(), Some("aarch64"));
        assert_eq!(settings.verbosity, 0);

        let (_, settings, _) = run("-p/z -vv update");
        assert_eq!(settings.root.as_deref(), Some("/z"));
        assert_eq!(settings.verbosity, 3);
    }

    #[test]
    fn short_clusters_and_command_options() {
        let (applet, settings, args) = run("--root / info -qL zlib");
        assert_eq!(applet, Applet::Info);
        assert_eq!(settings.verbosity, 0);
        assert!(settings.info.contents && !settings.info_exists);
        assert_eq!(args, ["zlib"]);

        let (_, settings, _) = run("info -L -e zlib");
        assert!(settings.info_exists);
        let (_, settings, _) = run("info -e -L zlib");
        assert!(!settings.info_exists && settings.info.contents);

        let (applet, settings, args) = run("list -I busy*");
        assert_eq!(applet, Applet::List);
        assert!(settings.list_installed);
        assert_eq!(args, ["busy*"]);

        let (_, settings, _) = run("list --inst");
        assert!(settings.list_installed, "unique prefix");

        let (_, settings, args) = run("add -t .build-deps zlib -- -notanoption");
        assert_eq!(settings.virtual_package.as_deref(), Some(".build-deps"));
        assert_eq!(args, ["zlib", "-notanoption"]);
    }

    #[test]
    fn unknown_options_get_getopt_complaints_and_the_usage() {
        let outcome = parse_line("add --frobnicate zlib");
        assert_eq!(outcome.complaints, ["apk: unrecognized option: frobnicate"]);
        assert_eq!(outcome.parsed, Parsed::Usage(Some(Applet::Add)));

        // --initdb belongs to add only.
        let outcome = parse_line("list --initdb");
        assert_eq!(outcome.complaints, ["apk: unrecognized option: initdb"]);
        assert_eq!(outcome.parsed, Parsed::Usage(Some(Applet::List)));

        let outcome = parse_line("info -Z zlib");
        assert_eq!(outcome.complaints, ["apk: unrecognized option: Z"]);

        let outcome = parse_line("add --root");
        assert_eq!(
            outcome.complaints,
            ["apk: option requires an argument: root"]
        );
        assert_eq!(outcome.parsed, Parsed::Usage(Some(Applet::Add)));

        let outcome = parse_line("add --quiet=yes");
        assert_eq!(
            outcome.complaints,
            ["apk: option does not take an argument: quiet"]
        );

        let outcome = parse_line("add --force-");
        assert_eq!(outcome.complaints, ["apk: option is ambiguous: force-"]);

        // As in apk, only the last option's result counts.
        let outcome = parse_line("add --frobnicate -q zlib");
        assert_eq!(outcome.complaints.len(), 1);
        assert!(matches!(outcome.parsed, Parsed::Run { .. }));
    }

    #[test]
    fn no_command() {
        assert_eq!(parse_line("").parsed, Parsed::Usage(None));
        assert_eq!(parse_line("-q").parsed, Parsed::NotACommand("-q".into()));
        assert_eq!(
            parse_line("frobnicate zlib").parsed,
            Parsed::NotACommand("frobnicate".into())
        );
        assert_eq!(parse_line("--help").parsed, Parsed::Usage(None));
        assert_eq!(
            parse_line("add -h").parsed,
            Parsed::Usage(Some(Applet::Add))
        );
        assert_eq!(parse_line("-V add").parsed, Parsed::Version);
        assert_eq!(parse_line("--print-arch").parsed, Parsed::PrintArch);
    }

    #[test]
    fn unimplemented_commands_and_options_are_noted() {
        let (applet, _, args) = run("upgrade");
        assert_eq!(applet, Applet::Other("upgrade"));
        assert!(args.is_empty());
        let (_, settings, _) = run("info --who-owns /bin/sh");
        assert_eq!(settings.not_in_fixture.as_deref(), Some("--who-owns"));
    }
}
