# examples/go written the naive way, for the emulated-vs-cross bench
# (`cargo xtask bench --docker --example go`): the compile stage runs on
# the TARGET platform, so for linux/arm64 on an amd64 machine every RUN
# (apt, dpkg, the Go toolchain, cgo's clang) runs under qemu-user through a
# binfmt_misc handler. Same packages, flags and output as
# examples/go/Dockerfile.
ARG DEBIAN_IMAGE=debian:bookworm

FROM ${DEBIAN_IMAGE} AS build
RUN rm -f /etc/apt/apt.conf.d/docker-clean && \
    echo 'Binary::apt::APT::Keep-Downloaded-Packages "true";' >/etc/apt/apt.conf.d/keep-cache
ARG TARGETPLATFORM
RUN --mount=type=cache,target=/var/cache/apt,id=apt-emulated-$TARGETPLATFORM,sharing=locked \
    apt-get update && \
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        clang golang-go lld libc6-dev zlib1g-dev
WORKDIR /src
COPY . .
ENV CGO_ENABLED=1 CC=clang
RUN --mount=type=cache,target=/root/.cache/go-build,id=go-build-emulated-$TARGETPLATFORM \
    mkdir -p /out && \
    go build -trimpath -ldflags '-s -w -linkmode external -extldflags "-static -fuse-ld=lld"' -o /out/zgo .

FROM scratch
COPY --from=build /out/ /
ENTRYPOINT ["/zgo"]
