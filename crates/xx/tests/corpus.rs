//! The Dockerfile corpus (tests/fixtures/dockerfiles/corpus/): Dockerfiles
//! from public projects (each names its source in a header comment), with
//! the outcome `xx lower` must give for each and, for those that already
//! use xx, no lint error. Issue 14's contract: a stage is lowered so that
//! it builds what the emulated build would, or left on the target platform
//! with a note naming the line and why.

use std::path::{Path, PathBuf};
use std::process::Command;

const XX: &str = env!("CARGO_BIN_EXE_xx");

/// What `xx lower` must do with a corpus file.
enum Expect {
    /// Lowered: the new text contains each of these.
    Lowered(&'static [&'static str]),
    /// Left on the target platform: a note at this line containing this.
    Left(usize, &'static str),
    /// The only compile stage is the image itself: nothing lowered, and
    /// the note says so.
    ImageItself,
    /// Uses xx already: nothing to lower, and no lint error.
    CorrectXx,
}

use Expect::*;

/// How the check that `xx lower` adds at the end of a stage whose files
/// later stages copy ends: a file that is an ELF binary is checked with
/// xx-verify, `--static` when every link of the stage is static.
const DYNAMIC_CHECK: &str = "elif xx_elf \"$p\"; then xx-verify \"$p\" || exit 1; fi; done\n";
const STATIC_CHECK: &str =
    "elif xx_elf \"$p\"; then xx-verify --static \"$p\" || exit 1; fi; done\n";

/// Every corpus file and its outcome.
const CASES: &[(&str, Expect)] = &[
    (
        "go-activitypub-spam-filter.Dockerfile",
        Lowered(&[
            "FROM --platform=$BUILDPLATFORM golang:latest as gobuilder\nCOPY --from=xx / /\n",
            "RUN go mod download\nCOPY main.go ./\nARG TARGETPLATFORM\n",
            "RUN CGO_ENABLED=0 xx-go build -o /go/bin/app && xx-verify --static /go/bin/app\n",
        ]),
    ),
    (
        "go-ud-co2s-exporter.Dockerfile",
        Lowered(&["RUN CGO_ENABLED=0 xx-go build -o /app && xx-verify --static /app\n"]),
    ),
    (
        "go-qiscus-integration.Dockerfile",
        // The relative -o output is checked again where the final stage
        // copies it from, when the stage ends.
        Lowered(&[
            "RUN CGO_ENABLED=0 xx-go build -o binary main.go && xx-verify --static binary\nRUN xx_elf() {",
            "for p in /app/binary; do ",
            STATIC_CHECK,
        ]),
    ),
    (
        "go-notverycash.Dockerfile",
        Lowered(&["RUN CGO_ENABLED=0 xx-go build -o /go/bin/app && xx-verify --static /go/bin/app\n"]),
    ),
    (
        // cgo at the image's default (gcc is in golang:*-bullseye): the
        // build decides as go would, with clang and the target's libc.
        "go-cipin-exec-form.Dockerfile",
        Lowered(&[
            "apt-get install -y --no-install-recommends clang lld pkg-config\n",
            "xx-apt-get install -y --no-install-recommends xx-c-essentials\n",
            "RUN CGO_ENABLED=\"${CGO_ENABLED:-$(command -v gcc >/dev/null 2>&1 && echo 1 || echo 0)}\" xx-go build -o /testbuild -C ./cipin && xx-verify /testbuild\n",
            // Stage 0 is the xx stage now: the build stage is #1.
            "FROM ubuntu:22.10\nCOPY --from=1 /testbuild .\n",
        ]),
    ),
    (
        "go-bms-contact.Dockerfile",
        Lowered(&["RUN set -x && CGO_ENABLED=0 GOOS=linux xx-go build -a -o /app && xx-verify --static /app\n"]),
    ),
    (
        "go-url-operator.Dockerfile",
        Left(3, "cannot tell how to install clang"),
    ),
    ("go-verifier-single-stage.Dockerfile", ImageItself),
    (
        "rust-musl-on-debian.Dockerfile",
        Left(6, "xx-cargo builds musl targets only on Alpine-based stages"),
    ),
    ("rust-bitcoin-indexer.Dockerfile", ImageItself),
    ("rust-ikigai-base.Dockerfile", ImageItself),
    ("rust-oxford-bot-gnu-target.Dockerfile", ImageItself),
    ("rust-alacritty-single.Dockerfile", ImageItself),
    ("rust-cargo-chef-planner.Dockerfile", ImageItself),
    ("rust-alpine-ci-compile.Dockerfile", ImageItself),
    (
        "c-concurrent-web-server.Dockerfile",
        Lowered(&[
            "apt-get install -y build-essential clang lld llvm && \\\n    rm -rf /var/lib/apt/lists/*\nARG TARGETPLATFORM\nRUN xx-apt-get install -y xx-c-essentials xx-cxx-essentials\n",
            "RUN xx-clang --wrap && make CC=xx-clang CXX=xx-clang++ AR=\"$(xx-clang --print-target-triple)-ar\" RANLIB=\"$(xx-clang --print-target-triple)-ranlib\" all && xx-clang --unwrap\n",
            "xx-clang --unwrap\nRUN xx_elf() {",
            "for p in /app/bin; do ",
            DYNAMIC_CHECK,
        ]),
    ),
    (
        // gcc on the gcc image, which has no clang: provisioned for the
        // build machine, the target's C runtime with xx-apt-get.
        "c-gcc-bookworm-slim.Dockerfile",
        Lowered(&[
            "FROM --platform=$BUILDPLATFORM gcc:latest AS builder\nCOPY --from=xx / /\nRUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends clang lld pkg-config\n",
            "ARG TARGETPLATFORM\nRUN DEBIAN_FRONTEND=noninteractive xx-apt-get install -y --no-install-recommends xx-c-essentials\nRUN xx-clang -o main main.c && xx-verify main\n",
            "for p in /app/main; do ",
            DYNAMIC_CHECK,
        ]),
    ),
    (
        // nginx's configure is its own: the guard stops the build with a
        // message naming the line rather than configuring for the build
        // machine.
        "c-nginx-from-source.Dockerfile",
        Lowered(&[
            "{ grep -q 'Generated by GNU Autoconf' ./configure || { echo 'xx lower: ./configure (Dockerfile line 9) is not a GNU autoconf script",
            "--host=$(xx-clang --print-target-triple) CC=xx-clang CXX=xx-clang++",
            "xx-clang --unwrap\nRUN xx_elf() {",
            "for p in /usr/sbin/nginx; do ",
            DYNAMIC_CHECK,
        ]),
    ),
    ("c-nginx-single-stage.Dockerfile", ImageItself),
    ("c-nginx-openssl-single.Dockerfile", ImageItself),
    ("cpp-cmake-single.Dockerfile", ImageItself),
    ("cpp-alpine-gpp.Dockerfile", ImageItself),
    (
        // Meson on Ubuntu: the -dev libraries go to the target in a RUN
        // of their own after ARG TARGETPLATFORM (each was on its own
        // continuation line, removed with its line), meson setup
        // gets xx-clang's cross file; meson compile needs nothing.
        "c-meson-precision-mesh.Dockerfile",
        Lowered(&[
            "        meson \\\n        wget clang lld \\\n    && rm -rf /var/lib/apt/lists/*\nARG TARGETPLATFORM\nRUN xx-apt-get install -y --no-install-recommends xx-c-essentials xx-cxx-essentials libboost-dev libfontconfig-dev libgmp3-dev libmpfr-dev libtbb-dev libx11-dev\n",
            "xx-clang --print-meson-cross-file >/tmp/xx-meson-cross.ini && meson setup --cross-file /tmp/xx-meson-cross.ini --prefix=/usr builddir\n",
            "RUN cd project/builddir && \\\n    meson compile\n",
            "    meson compile\nRUN xx_elf() {",
            "for p in /project/builddir/precision_mesh; do ",
            DYNAMIC_CHECK,
        ]),
    ),
    (
        "c-autotools-alpine.Dockerfile",
        Lowered(&[
            "RUN apk add --no-cache build-base automake autoconf clang lld llvm\nARG TARGETPLATFORM\nRUN xx-apk add --no-cache xx-c-essentials xx-cxx-essentials\n",
            "RUN autoreconf --install && \\\n    { grep -q 'Generated by GNU Autoconf' ./configure ||",
            "./configure --host=$(xx-clang --print-target-triple) CC=xx-clang CXX=xx-clang++ && \\\n    xx-clang --wrap && make CC=xx-clang",
            "xx-clang --unwrap\nRUN xx_elf() {",
            "for p in /home/optima/funcA; do ",
            DYNAMIC_CHECK,
        ]),
    ),
    (
        "c-openssl-config-alpine.Dockerfile",
        Left(8, "`./config` is OpenSSL's configure"),
    ),
    (
        "c-libressl-autoconf-alpine.Dockerfile",
        Lowered(&[
            "RUN cd libressl-3.4.2 && { grep -q 'Generated by GNU Autoconf' ./configure ||",
            "./configure --prefix=/opt/libressl --host=$(xx-clang --print-target-triple) CC=xx-clang CXX=xx-clang++\n",
            "RUN cd libressl-3.4.2 && xx-clang --wrap && make CC=xx-clang CXX=xx-clang++ AR=\"$(xx-clang --print-target-triple)-ar\" RANLIB=\"$(xx-clang --print-target-triple)-ranlib\" install && xx-clang --unwrap\n",
            "install && xx-clang --unwrap\nRUN xx_elf() {",
            "for p in /opt/libressl; do ",
            DYNAMIC_CHECK,
        ]),
    ),
    (
        "cpp-cmake-alpine-two-stage.Dockerfile",
        Lowered(&[
            "        cmake clang lld\nARG TARGETPLATFORM\nRUN xx-apk add --no-cache xx-c-essentials xx-cxx-essentials\n",
            "RUN cmake $(xx-clang --print-cmake-defines) -S source -G Ninja && \\\n    cmake --build\n",
            "    cmake --build\nRUN xx_elf() {",
            "for p in /build/clsqrt; do ",
            DYNAMIC_CHECK,
        ]),
    ),
    (
        "go-ldflags-distroless.Dockerfile",
        Lowered(&["RUN CGO_ENABLED=0 GOOS=linux xx-go build -ldflags=\"-s -w\" -o /go/bin/app /go/src/app/ && xx-verify --static /go/bin/app\n"]),
    ),
    (
        // cgo on Alpine: gcc and musl-dev stay (clang, lld added), the
        // -dev library and the C runtime go to the target, split into a
        // RUN after ARG TARGETPLATFORM.
        "go-cgo-alpine-sqlite.Dockerfile",
        Lowered(&[
            "RUN apk add --no-cache gcc musl-dev clang lld\nARG TARGETPLATFORM\nRUN xx-apk add --no-cache xx-c-essentials sqlite-dev\n",
            "RUN CGO_ENABLED=1 GOOS=linux xx-go build -a -installsuffix cgo -o main . && xx-verify main\n",
            "xx-verify main\nRUN xx_elf() {",
            "for p in /app/first; do ",
            DYNAMIC_CHECK,
        ]),
    ),
    (
        "go-fixed-goarch.Dockerfile",
        Left(7, "GOARCH=arm64 names a fixed target"),
    ),
    (
        // The build-machine tool stays native, before ARG TARGETPLATFORM.
        "go-swag-tool-install.Dockerfile",
        Lowered(&[
            "RUN go install github.com/swaggo/swag/cmd/swag@latest\n",
            "RUN swag init --parseDependency --parseInternal\n\nARG TARGETPLATFORM\nRUN CGO_ENABLED=0 GOOS=linux xx-go build -o myapp . && xx-verify --static myapp\n",
            "xx-verify --static myapp\nRUN xx_elf() {",
            "for p in /app/myapp; do ",
            STATIC_CHECK,
        ]),
    ),
    (
        "go-final-from-base-stage.Dockerfile",
        Lowered(&[
            "FROM --platform=$BUILDPLATFORM golang:latest AS build\nCOPY --from=xx / /\n",
            "ARG TARGETPLATFORM\nRUN CGO_ENABLED=0 xx-go build -o /build/app main.go && xx-verify --static /build/app\n",
        ]),
    ),
    (
        // cargo-chef in full: the cargo-chef image is rust's (Debian),
        // the dependencies are cooked for the target like the build.
        "rust-cargo-chef-distroless.Dockerfile",
        Lowered(&[
            "FROM --platform=$BUILDPLATFORM lukemathwalker/cargo-chef:0.1.33-rust-1.56.1-bullseye AS chef\nCOPY --from=xx / /\nRUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends clang lld pkg-config\n",
            "RUN cargo chef prepare --recipe-path recipe.json\n",
            "RUN xx-cargo chef cook --release --recipe-path recipe.json\n",
            "RUN xx-cargo build --release && for f in",
            "mkdir -p target/release && for f in",
        ]),
    ),
    (
        "rust-cargo-chef-bookworm.Dockerfile",
        Lowered(&[
            "FROM --platform=$BUILDPLATFORM lukemathwalker/cargo-chef:latest-rust-1 AS chef\n",
            "RUN xx-cargo chef cook --release --recipe-path recipe.json\n",
            "RUN xx-cargo build --release && for f in",
        ]),
    ),
    (
        // WebAssembly is the same for every platform: the stage moves to
        // the build machine and builds what it did.
        "rust-wasm-trunk-nginx.Dockerfile",
        Lowered(&[
            "FROM --platform=$BUILDPLATFORM rust:latest AS build\n",
            "RUN cargo install wasm-bindgen-cli\nRUN cargo install trunk\nCOPY . .\nRUN trunk build --release\n",
        ]),
    ),
    (
        "rust-wasm-trunk-subdir.Dockerfile",
        Lowered(&[
            "FROM --platform=$BUILDPLATFORM rust:latest AS build\n",
            "RUN cd showcase && trunk build --release\n",
        ]),
    ),
    (
        // One workspace package; the whole target/release folder is
        // copied later, so the target's executables are put there.
        "rust-workspace-package.Dockerfile",
        Lowered(&[
            "RUN xx-cargo build --release -p server && for f in",
            "mkdir -p target/release && for f in",
        ]),
    ),
    (
        "rust-bin-bookworm-slim.Dockerfile",
        Lowered(&["RUN xx-cargo build --release --bin rust-ok-api && for f in"]),
    ),
    ("xx-docker-buildx.Dockerfile", CorrectXx),
    ("xx-docker-compose.Dockerfile", CorrectXx),
    ("xx-docker-cli.Dockerfile", CorrectXx),
    ("xx-oxipng.Dockerfile", CorrectXx),
];

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/dockerfiles/corpus")
}

fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(XX).args(args).output().expect("run xx");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn every_corpus_file_has_an_expected_outcome_and_a_source() {
    let mut files: Vec<String> = std::fs::read_dir(corpus())
        .expect("corpus folder")
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut listed: Vec<String> = CASES.iter().map(|(name, _)| name.to_string()).collect();
    listed.sort();
    assert_eq!(files, listed);
    assert!(files.len() >= 41, "{} files", files.len());
    for name in &files {
        let text = std::fs::read_to_string(corpus().join(name)).unwrap();
        assert!(
            text.starts_with("# Source: github.com/"),
            "{name}: no source header"
        );
    }
}

#[test]
fn lowering_gives_the_expected_outcome() {
    for (name, expect) in CASES {
        let path = corpus().join(name);
        let path = path.to_str().unwrap();
        let original = std::fs::read_to_string(path).unwrap();
        let (code, lowered, report) = run(&["lower", path]);
        assert_eq!(code, Some(0), "{name}: {report}");
        match expect {
            Lowered(wanted) => {
                for text in *wanted {
                    assert!(lowered.contains(text), "{name}: no {text:?} in\n{lowered}");
                }
                // The result lints without errors.
                let dir = tempfile::tempdir().unwrap();
                let out = dir.path().join("Dockerfile");
                std::fs::write(&out, &lowered).unwrap();
                let (code, findings, _) = run(&["lint", out.to_str().unwrap()]);
                assert_eq!(code, Some(0), "{name}:\n{lowered}\n{findings}");
            }
            Left(line, why) => {
                assert_eq!(lowered, original, "{name}");
                let note = format!("{path}:{line}: note: ");
                let found = report.lines().any(|l| {
                    l.starts_with(&note)
                        && l.contains("left on the target platform:")
                        && l.contains(why)
                });
                assert!(found, "{name}: wanted {note}...{why}, got\n{report}");
            }
            ImageItself => {
                assert_eq!(lowered, original, "{name}");
                assert!(report.contains("is the image itself"), "{name}: {report}");
            }
            CorrectXx => {
                assert_eq!(lowered, original, "{name}");
                assert!(report.ends_with(": nothing to lower\n"), "{name}: {report}");
            }
        }
    }
}

#[test]
fn the_correct_xx_subset_has_no_lint_errors() {
    for (name, expect) in CASES {
        if !matches!(expect, CorrectXx) {
            continue;
        }
        let path = corpus().join(name);
        let (code, findings, stderr) = run(&["lint", "--format", "json", path.to_str().unwrap()]);
        assert_eq!(code, Some(0), "{name}: {findings}{stderr}");
        let report: serde_json::Value = serde_json::from_str(&findings).unwrap();
        let errors: Vec<&serde_json::Value> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|finding| finding["severity"] == "error")
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:?}");
    }
}
