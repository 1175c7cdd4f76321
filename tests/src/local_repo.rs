//! A local Debian archive on 127.0.0.1 for the package tests, so that a
//! public mirror in the middle of a sync (or unreachable) cannot turn them
//! red, and so that the mirror faults xx-apt-get must diagnose can be made
//! on purpose.
//!
//! * [`RepoDebs::ensure`] downloads, once per machine, real Debian `.deb`
//!   files: what `xx-apt-get install xx-c-essentials zlib1g-dev` needs for
//!   arm64 and armhf (and a few amd64 packages), resolved by apt itself in
//!   a sandbox of the test root against the public mirror, and cached
//!   under `<cache>/local-repo-debs-<hash>`.
//! * [`LocalRepo::start`] lays out an archive from them (`dists/`, `pool/`,
//!   `Packages` written from `dpkg-deb -f`, a `Release` with sizes and
//!   SHA256 sums; sources use `[trusted=yes]`) and serves it with a small
//!   HTTP/1.1 server on a thread, until dropped.
//! * [`Faults`] changes what the server does while it runs: 404 for some
//!   paths, a stalled or reset connection, a count of failures before a
//!   path is served (a mirror sync that passes).
//! * The archive has two suites: `bookworm` (everything) and
//!   `bookworm-security`, which carries a newer `linux-libc-dev` (repacked
//!   with a version suffix) for amd64 and armhf: with [`Faults::truncate`]
//!   on its armhf index, the mirror-sync fault of issue 17. `bookworm` also
//!   has a made-up amd64-only package `libxxonlyamd64-dev` ("no armhf
//!   build").

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{ensure, Context, Result};
use xx_files::FileLock;

use crate::debian_root::{cache_parent, DebianRoot, SUITE};
use crate::sandbox::Sandbox;

/// Packages (with architecture) whose closure the archive carries.
pub const REPO_PACKAGES: &[&str] = &[
    "libc6-dev:arm64",
    "libgcc-12-dev:arm64",
    "zlib1g-dev:arm64",
    "libc6-dev:armhf",
    "libgcc-12-dev:armhf",
    "zlib1g-dev:armhf",
    "zlib1g-dev:amd64",
];

/// The foreign architectures of the archive.
pub const REPO_ARCHES: &[&str] = &["arm64", "armhf"];

/// The security suite of the archive.
pub const SECURITY_SUITE: &str = "bookworm-security";

/// The made-up package that exists for amd64 only.
pub const AMD64_ONLY_PACKAGE: &str = "libxxonlyamd64-dev";

/// Suffix of the version of the security suite's `linux-libc-dev`.
pub const SECURITY_VERSION_SUFFIX: &str = "+xxsec1";

/// Bump when the download list or the way it is made changes.
const DEBS_RECIPE: &str = "1";

/// The cached `.deb` files of the archive.
#[derive(Debug, Clone)]
pub struct RepoDebs {
    dir: PathBuf,
}

impl RepoDebs {
    /// The cached downloads for `root`, fetched (once per machine and root,
    /// under a lock) when missing.
    pub fn ensure(root: &DebianRoot) -> Result<RepoDebs> {
        let parent = cache_parent();
        // The closure is resolved against the root's installed versions:
        // a rebuilt root gets its own downloads.
        let recipe = format!(
            "{DEBS_RECIPE}\n{}\n{}",
            REPO_PACKAGES.join(","),
            root.path().display()
        );
        let dir = parent.join(format!(
            "local-repo-debs-{:012x}",
            crate::debian_root::fnv1a(recipe.as_bytes()) & 0xffff_ffff_ffff
        ));
        if dir.is_dir() {
            return Ok(RepoDebs { dir });
        }
        std::fs::create_dir_all(&parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
        let _lock = FileLock::acquire(&dir.with_extension("lock"))?;
        if !dir.is_dir() {
            download(root, &dir)?;
        }
        Ok(RepoDebs { dir })
    }

    /// The folder of `.deb` files.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// Let apt resolve [`REPO_PACKAGES`] in a sandbox of the test root and
/// download the closure (with `--download-only`), then move the files to
/// `dir` (through a temporary folder beside it).
fn download(root: &DebianRoot, dir: &Path) -> Result<()> {
    eprintln!(
        "xx-e2e: downloading the local archive's packages into {} (one-time)",
        dir.display()
    );
    let sandbox = root.sandbox("repo-download")?;
    let arches: String = REPO_ARCHES
        .iter()
        .map(|arch| format!("dpkg --add-architecture {arch}\n"))
        .collect();
    sandbox.run_ok(&format!(
        "{arches}apt-get update -q >/dev/null\n\
         apt-get install -q -y --download-only --no-install-recommends {} >/dev/null\n\
         apt-get download -q linux-libc-dev:amd64 >/dev/null\n\
         mv linux-libc-dev_*.deb /var/cache/apt/archives/",
        REPO_PACKAGES.join(" ")
    ))?;
    let parent = dir.parent().context("cache folder without parent")?;
    let scratch = tempfile::Builder::new()
        .prefix(".local-repo-debs-")
        .tempdir_in(parent)?;
    let archives = sandbox.path().join("var/cache/apt/archives");
    let mut count = 0;
    for entry in std::fs::read_dir(&archives)? {
        let path = entry?.path();
        if path.extension().is_some_and(|ext| ext == "deb") {
            let name = path.file_name().context("no file name")?;
            std::fs::copy(&path, scratch.path().join(name))?;
            count += 1;
        }
    }
    ensure!(count > 0, "apt downloaded no packages");
    std::fs::rename(scratch.keep(), dir)
        .with_context(|| format!("cannot move the downloads to {}", dir.display()))?;
    eprintln!("xx-e2e: {count} packages cached");
    Ok(())
}

/// What the server does wrong, changeable while it runs. A fault applies
/// to the request paths (decoded) containing one of its strings
/// (`binary-armhf/Packages`, `zlib1g-dev_1%3a1.2.13.dfsg-1_armhf.deb`: pool
/// files keep the `%3a` of apt's download names).
#[derive(Debug, Default, Clone)]
pub struct Faults {
    /// Answer 404.
    pub not_found: Vec<String>,
    /// Answer 404 the first N times, then serve (a mirror sync that passes).
    pub not_found_times: BTreeMap<String, usize>,
    /// Read the request, then send nothing until the server stops.
    pub stall: Vec<String>,
    /// Close the connection with a reset without answering.
    pub reset: Vec<String>,
    /// Serve the file without its last byte: its size no longer matches
    /// what `Release` promises (a mirror in the middle of a sync).
    pub truncate: Vec<String>,
    /// Stall every request.
    pub stall_all: bool,
    /// Reset every connection.
    pub reset_all: bool,
}

/// The local archive and its HTTP server; the server stops when dropped.
#[derive(Debug)]
pub struct LocalRepo {
    dir: tempfile::TempDir,
    port: u16,
    faults: Arc<Mutex<Faults>>,
    requests: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl LocalRepo {
    /// Lay out the archive from `debs` and start serving it on a free port
    /// of 127.0.0.1.
    pub fn start(debs: &RepoDebs) -> Result<LocalRepo> {
        let dir = tempfile::Builder::new().prefix("xx-e2e-repo-").tempdir()?;
        build_archive(debs.dir(), dir.path())?;
        let listener = TcpListener::bind("127.0.0.1:0").context("cannot listen on 127.0.0.1")?;
        let port = listener.local_addr()?.port();
        let faults = Arc::new(Mutex::new(Faults::default()));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let served = dir.path().to_path_buf();
        let thread = {
            let (faults, requests, stop) = (faults.clone(), requests.clone(), stop.clone());
            std::thread::spawn(move || serve(listener, &served, &faults, &requests, &stop))
        };
        Ok(LocalRepo {
            dir,
            port,
            faults,
            requests,
            stop,
            thread: Some(thread),
        })
    }

    /// The archive's URL, `http://127.0.0.1:<port>/debian`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/debian", self.port)
    }

    /// The archive on disk.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Change the faults.
    pub fn set_faults(&self, faults: Faults) {
        *self.faults.lock().unwrap_or_else(|e| e.into_inner()) = faults;
    }

    /// Every request path served so far.
    pub fn requests(&self) -> Vec<String> {
        self.requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// A one-line sources.list for `suites` of the archive.
    pub fn sources_list(&self, suites: &[&str]) -> String {
        suites
            .iter()
            .map(|suite| format!("deb [trusted=yes] {} {suite} main\n", self.url()))
            .collect()
    }

    /// Point `sandbox`'s apt at this archive only (`suites`), with no
    /// package lists yet and short network timeouts.
    pub fn use_in(&self, sandbox: &Sandbox, suites: &[&str]) -> Result<()> {
        sandbox.run_ok(&format!(
            "rm -f /etc/apt/sources.list.d/*\n\
             cat > /etc/apt/sources.list <<'EOF'\n{}EOF\n\
             rm -rf /var/lib/apt/lists/*\n\
             mkdir -p /var/lib/apt/lists/partial",
            self.sources_list(suites)
        ))?;
        Ok(())
    }
}

impl Drop for LocalRepo {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Accept connections until `stop`, one thread each.
fn serve(
    listener: TcpListener,
    dir: &Path,
    faults: &Arc<Mutex<Faults>>,
    requests: &Arc<Mutex<Vec<String>>>,
    stop: &Arc<AtomicBool>,
) {
    for stream in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else { continue };
        let (dir, faults, requests, stop) = (
            dir.to_path_buf(),
            faults.clone(),
            requests.clone(),
            stop.clone(),
        );
        std::thread::spawn(move || {
            let _ = handle(stream, &dir, &faults, &requests, &stop);
        });
    }
}

/// Serve the requests of one (keep-alive) connection.
fn handle(
    stream: TcpStream,
    dir: &Path,
    faults: &Mutex<Faults>,
    requests: &Mutex<Vec<String>>,
    stop: &AtomicBool,
) -> Result<()> {
    if faults.lock().map(|f| f.reset_all).unwrap_or(false) {
        return reset(stream);
    }
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line)? == 0 {
            return Ok(());
        }
        let mut line = String::new();
        loop {
            line.clear();
            if reader.read_line(&mut line)? == 0 || line == "\r\n" || line == "\n" {
                break;
            }
        }
        let mut words = request_line.split_whitespace();
        let method = words.next().unwrap_or_default().to_string();
        let path = words.next().unwrap_or_default().to_string();
        requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(path.clone());
        let fault = {
            let mut faults = faults.lock().unwrap_or_else(|e| e.into_inner());
            let decoded = percent_decoded(&path);
            let matches = |list: &[String]| list.iter().any(|s| decoded.contains(s.as_str()));
            if faults.stall_all || matches(&faults.stall) {
                Some("stall")
            } else if matches(&faults.reset) {
                Some("reset")
            } else if matches(&faults.not_found) {
                Some("404")
            } else if matches(&faults.truncate) {
                Some("truncate")
            } else if let Some(left) = faults
                .not_found_times
                .iter_mut()
                .find(|(part, left)| decoded.contains(part.as_str()) && **left > 0)
                .map(|(_, left)| left)
            {
                *left -= 1;
                Some("404")
            } else {
                None
            }
        };
        match fault {
            Some("stall") => {
                while !stop.load(Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_millis(100));
                }
                return Ok(());
            }
            Some("reset") => return reset(writer),
            Some("404") => respond(&mut writer, "404 Not Found", b"not found\n", &method)?,
            _ => {
                let decoded = percent_decoded(&path);
                let relative = decoded
                    .trim_start_matches("/debian/")
                    .trim_start_matches('/');
                let file = dir.join(relative);
                if relative.contains("..") || !file.is_file() {
                    respond(&mut writer, "404 Not Found", b"not found\n", &method)?;
                } else {
                    let mut body = std::fs::read(&file)?;
                    if fault == Some("truncate") {
                        body.pop();
                    }
                    respond(&mut writer, "200 OK", &body, &method)?;
                }
            }
        }
    }
}

/// `path` with `%XX` escapes decoded (apt escapes the `%` of `1%3a1.2`).
fn percent_decoded(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn respond(writer: &mut TcpStream, status: &str, body: &[u8], method: &str) -> Result<()> {
    write!(
        writer,
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\n\r\n",
        body.len()
    )?;
    if method != "HEAD" {
        writer.write_all(body)?;
    }
    writer.flush()?;
    Ok(())
}

/// Close `stream` with a TCP reset: unread data in the receive buffer at
/// close makes the kernel send RST instead of FIN.
fn reset(stream: TcpStream) -> Result<()> {
    std::thread::sleep(Duration::from_millis(100));
    let mut peek = [0u8; 1];
    stream.set_nonblocking(true)?;
    let _ = stream.peek(&mut peek);
    drop(stream);
    Ok(())
}

/// One `.deb` of the archive: its control fields and where it goes.
struct Deb {
    control: String,
    arch: String,
    file_name: String,
    size: u64,
    sha256: String,
}

/// Write `dists/` and `pool/` of the archive into `out`.
fn build_archive(debs_dir: &Path, out: &Path) -> Result<()> {
    let pool = out.join("pool/main");
    std::fs::create_dir_all(&pool)?;
    let mut main = Vec::new();
    let mut security = Vec::new();
    for entry in std::fs::read_dir(debs_dir)? {
        let path = entry?.path();
        if path.extension().is_none_or(|ext| ext != "deb") {
            continue;
        }
        let name = path.file_name().context("no name")?.to_owned();
        let pooled = pool.join(&name);
        std::fs::hard_link(&path, &pooled).or_else(|_| std::fs::copy(&path, &pooled).map(drop))?;
        let deb = read_deb(&pooled)?;
        if deb.file_name.starts_with("linux-libc-dev_")
            && ["amd64", "armhf"].contains(&deb.arch.as_str())
        {
            security.push(repack_with_version_suffix(&pooled, &pool)?);
        }
        main.push(deb);
    }
    main.push(make_amd64_only_package(&pool)?);
    let mut all_arches = vec!["amd64"];
    all_arches.extend(REPO_ARCHES);
    write_suite(out, SUITE, &main, &all_arches)?;
    write_suite(out, SECURITY_SUITE, &security, &all_arches)?;
    Ok(())
}

fn read_deb(path: &Path) -> Result<Deb> {
    let control = duct::cmd!("dpkg-deb", "-f", path)
        .read()
        .with_context(|| format!("dpkg-deb -f {}", path.display()))?;
    let arch = control
        .lines()
        .find_map(|line| line.strip_prefix("Architecture: "))
        .context("no Architecture")?
        .trim()
        .to_string();
    let sha = duct::cmd!("sha256sum", path).read()?;
    Ok(Deb {
        arch,
        file_name: path
            .file_name()
            .context("no name")?
            .to_string_lossy()
            .into_owned(),
        size: std::fs::metadata(path)?.len(),
        sha256: sha
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string(),
        control,
    })
}

/// `deb` rebuilt with [`SECURITY_VERSION_SUFFIX`] appended to its version,
/// into `pool`.
fn repack_with_version_suffix(deb: &Path, pool: &Path) -> Result<Deb> {
    let work = tempfile::tempdir()?;
    let tree = work.path().join("tree");
    duct::cmd!("dpkg-deb", "-R", deb, &tree).run()?;
    let control_path = tree.join("DEBIAN/control");
    let control = std::fs::read_to_string(&control_path)?;
    let version = control
        .lines()
        .find_map(|line| line.strip_prefix("Version: "))
        .context("no Version")?
        .trim()
        .to_string();
    let new_version = format!("{version}{SECURITY_VERSION_SUFFIX}");
    std::fs::write(
        &control_path,
        control.replace(
            &format!("Version: {version}\n"),
            &format!("Version: {new_version}\n"),
        ),
    )?;
    let arch = read_deb(deb)?.arch;
    let out = pool.join(format!("linux-libc-dev_{new_version}_{arch}.deb").replace(':', "%3a"));
    duct::cmd!("dpkg-deb", "-Zxz", "-z1", "-b", &tree, &out)
        .stdout_null()
        .run()?;
    read_deb(&out)
}

/// A tiny made-up amd64-only development package.
fn make_amd64_only_package(pool: &Path) -> Result<Deb> {
    let work = tempfile::tempdir()?;
    let tree = work.path().join("tree");
    std::fs::create_dir_all(tree.join("DEBIAN"))?;
    std::fs::create_dir_all(tree.join("usr/include"))?;
    std::fs::write(tree.join("usr/include/xxonlyamd64.h"), "#define XX 1\n")?;
    std::fs::write(
        tree.join("DEBIAN/control"),
        format!(
            "Package: {AMD64_ONLY_PACKAGE}\nVersion: 1.0-1\nArchitecture: amd64\nMulti-Arch: same\n\
             Maintainer: xx-rs tests <tests@invalid>\nDescription: made-up package built for amd64 only\n"
        ),
    )?;
    let out = pool.join(format!("{AMD64_ONLY_PACKAGE}_1.0-1_amd64.deb"));
    duct::cmd!("dpkg-deb", "-b", &tree, &out)
        .stdout_null()
        .run()?;
    read_deb(&out)
}

/// `dists/<suite>/main/binary-<arch>/Packages` for each of `arches` and a
/// `Release` listing their sizes and SHA256 sums.
fn write_suite(out: &Path, suite: &str, debs: &[Deb], arches: &[&str]) -> Result<()> {
    let dists = out.join("dists").join(suite);
    let mut sums = String::new();
    for arch in arches {
        let mut text = String::new();
        for deb in debs.iter().filter(|d| d.arch == *arch || d.arch == "all") {
            text.push_str(deb.control.trim_end());
            text.push_str(&format!(
                "\nFilename: pool/main/{}\nSize: {}\nSHA256: {}\n\n",
                deb.file_name, deb.size, deb.sha256
            ));
        }
        let relative = format!("main/binary-{arch}/Packages");
        let path = dists.join(&relative);
        std::fs::create_dir_all(path.parent().context("no parent")?)?;
        std::fs::write(&path, &text)?;
        let sha = duct::cmd!("sha256sum", &path).read()?;
        sums.push_str(&format!(
            " {} {} {relative}\n",
            sha.split_whitespace().next().unwrap_or_default(),
            text.len()
        ));
    }
    let release = format!(
        "Origin: xx-rs tests\nLabel: xx-rs tests\nSuite: {suite}\nCodename: {suite}\n\
         Date: Thu, 01 Jan 2026 00:00:00 UTC\nArchitectures: {}\nComponents: main\n\
         Description: local archive of the xx-rs package tests\nSHA256:\n{sums}",
        arches.join(" ")
    );
    std::fs::write(dists.join("Release"), release)?;
    Ok(())
}
