# examples/rust written the naive way, for the emulated-vs-cross bench
# (`cargo xtask bench --docker`): the compile stage runs on the TARGET
# platform, so for linux/arm64 on an amd64 machine every RUN (apt, dpkg,
# rustc, cc) runs under qemu-user through a binfmt_misc handler. Same
# packages, flags and output as examples/rust/Dockerfile.
ARG DEBIAN_IMAGE=debian:bookworm

FROM ${DEBIAN_IMAGE} AS build
RUN rm -f /etc/apt/apt.conf.d/docker-clean && \
    echo 'Binary::apt::APT::Keep-Downloaded-Packages "true";' >/etc/apt/apt.conf.d/keep-cache
ARG TARGETPLATFORM
RUN --mount=type=cache,target=/var/cache/apt,id=apt-emulated-$TARGETPLATFORM,sharing=locked \
    apt-get update && \
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        ca-certificates cargo-web clang lld pkg-config rustc-web libc6-dev libssl-dev \
        libzstd-dev zlib1g-dev
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/root/.cargo/registry,id=cargo-registry-emulated-$TARGETPLATFORM \
    --mount=type=cache,target=/src/target,id=rust-emulated-target-$TARGETPLATFORM \
    export OPENSSL_STATIC=1 OPENSSL_LIB_DIR="$(dirname /usr/lib/*/libssl.a)" OPENSSL_INCLUDE_DIR=/usr/include \
        OPENSSL_LIBS=ssl:crypto:zstd:z && \
    RUSTFLAGS="-C target-feature=+crt-static" cargo build --release --locked && \
    mkdir -p /out && \
    cp target/release/digest /out/digest

FROM scratch
COPY --from=build /out/ /
ENTRYPOINT ["/digest"]
