# syntax=docker/dockerfile:1
# swr-sync-exporter: Prometheus exporter for Huawei Cloud SWR image auto-sync jobs.
# Build:  docker build -t swr-sync-exporter .      (or buildah bud; scripts/test-image.sh does that)
# Run:    docker run -p 10220:10220 -v "$PWD/config.toml:/etc/swr-sync-exporter/config.toml:ro" \
#           swr-sync-exporter
# BASE_IMAGE must be Debian 12 (bookworm): the runtime stage installs the same library
# packages the builder linked against.
#
# BINARY picks where the binary comes from:
#   builder   (default) compiled here, in the builder stage, for the base image's architecture;
#   prebuilt  taken from the build context's prebuilt/ folder: out/usr/bin/swr-sync-exporter and
#             out-packages.txt (the Debian packages owning the libraries it links), as
#             scripts/cross-build-arm64.sh makes them; the builder stage is then skipped. That is
#             how scripts/test-image.sh makes the arm64 image without compiling under emulation:
#             only the runtime stage's RUN runs on the arm64 base, under qemu-user-static.
#             (A builder that skips unused stages is needed either way: BuildKit or buildah.)
# Optional provenance, recorded in labels: CREATED (RFC 3339 time of the build) and BASE_DIGEST
# (the base image's manifest digest).
ARG BASE_IMAGE=debian:12-slim
ARG BINARY

FROM ${BASE_IMAGE} AS builder
WORKDIR /src
# The dependency layer first, so source edits do not reinstall the toolchain.
COPY scripts/install-deps.sh scripts/
RUN scripts/install-deps.sh --build-only && rm -rf /var/lib/apt/lists/*
COPY . .
# The build context has no .git, so the revision for --version comes in as an argument.
ARG REVISION=unknown
# The exporter only: swr-sim and the benchmarks are not in the image.
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DSWR_BUILD_TESTS=OFF \
      -DSWR_REVISION="${REVISION}" >/dev/null \
    && cmake --build build --target swr-sync-exporter -j"$(nproc)" \
    && install -D -m 0755 build/swr-sync-exporter /out/usr/bin/swr-sync-exporter \
    && strip --strip-unneeded /out/usr/bin/swr-sync-exporter \
    && install -D -m 0644 LICENSE /out/usr/share/doc/swr-sync-exporter/LICENSE
# The runtime stage installs the packages that own the libraries the binary links, and no more:
# each path ldd resolves, looked up in dpkg's database under its /lib or /usr/lib name.
RUN set -eu; \
    libs="$(ldd /out/usr/bin/swr-sync-exporter | awk '$2 == "=>" && $3 ~ /^\// { print $3 }')"; \
    for lib in $libs; do \
      owner=""; \
      for path in "$lib" "/usr$lib" "${lib#/usr}" "$(readlink -f "$lib")"; do \
        owner="$(dpkg-query -S "$path" 2>/dev/null | head -n 1 | cut -d: -f1)"; \
        [ -n "$owner" ] && break; \
      done; \
      [ -n "$owner" ] || { echo "no package owns $lib" >&2; exit 1; }; \
      echo "$owner"; \
    done | sort -u > /out-packages.txt; \
    cat /out-packages.txt

FROM scratch AS prebuilt
COPY prebuilt/ /

# ${BINARY:-builder}, not an ARG default: buildah resolves the stage a FROM names only this way.
FROM ${BINARY:-builder} AS binary

FROM ${BASE_IMAGE}
# The libraries' packages (libprometheus-cpp-core1.0, libcpp-httplib0.11, libssl3, libyaml-0-2
# and libcrypt1 for --web.config.file, ...), and the CA bundle for the cloud's TLS endpoints.
COPY --from=binary /out-packages.txt /tmp/runtime-packages.txt
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
         ca-certificates $(cat /tmp/runtime-packages.txt) \
    && rm -rf /tmp/runtime-packages.txt /var/lib/apt/lists/* /var/cache/apt/archives/*.deb \
         /var/log/apt /var/log/dpkg.log \
    && groupadd --gid 65532 swr-sync-exporter \
    && useradd --uid 65532 --gid 65532 --home-dir /nonexistent --no-create-home \
         --shell /usr/sbin/nologin swr-sync-exporter \
    && install -d -m 0755 /etc/swr-sync-exporter
COPY --from=binary /out/ /
# Last, so that a new revision does not invalidate the cached layers above.
ARG BASE_IMAGE
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=
ARG BASE_DIGEST=
LABEL org.opencontainers.image.title="swr-sync-exporter" \
      org.opencontainers.image.description="Prometheus exporter for Huawei Cloud SWR image auto-sync jobs" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/swr-sync-exporter/swr-sync-exporter" \
      org.opencontainers.image.url="https://github.com/swr-sync-exporter/swr-sync-exporter" \
      org.opencontainers.image.documentation="https://github.com/swr-sync-exporter/swr-sync-exporter/blob/main/README.md" \
      org.opencontainers.image.base.name="${BASE_IMAGE}" \
      org.opencontainers.image.base.digest="${BASE_DIGEST}"
USER 65532:65532
EXPOSE 10220
ENTRYPOINT ["/usr/bin/swr-sync-exporter"]
CMD ["--config", "/etc/swr-sync-exporter/config.toml"]
