# examples/c written the naive way, for the emulated-vs-cross bench
# (`cargo xtask bench --docker --example c`): the compile stage runs on the
# TARGET platform, so for linux/arm64 on an amd64 machine every RUN (apt,
# dpkg, clang, lld) runs under qemu-user through a binfmt_misc handler.
# Same packages, flags and output as examples/c/Dockerfile.
ARG DEBIAN_IMAGE=debian:bookworm

FROM ${DEBIAN_IMAGE} AS build
RUN rm -f /etc/apt/apt.conf.d/docker-clean && \
    echo 'Binary::apt::APT::Keep-Downloaded-Packages "true";' >/etc/apt/apt.conf.d/keep-cache
ARG TARGETPLATFORM
RUN --mount=type=cache,target=/var/cache/apt,id=apt-emulated-$TARGETPLATFORM,sharing=locked \
    apt-get update && \
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        clang lld libc6-dev zlib1g-dev
WORKDIR /src
COPY zhello.c .
RUN mkdir -p /out && \
    clang -fuse-ld=lld -O2 -static -o /out/zhello zhello.c -lz

FROM scratch
COPY --from=build /out/ /
ENTRYPOINT ["/zhello"]
