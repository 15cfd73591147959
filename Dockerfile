# syntax=docker/dockerfile:1
# swr-sync-exporter: Prometheus exporter for Huawei Cloud SWR image auto-sync jobs.
# Build:  docker build -t swr-sync-exporter .      (or buildah bud; scripts/test-image.sh does that)
# Run:    docker run -p 10220:10220 -v "$PWD/config.toml:/etc/swr-sync-exporter/config.toml:ro" \
#           swr-sync-exporter
# BASE_IMAGE must be Debian 12 (bookworm): the runtime stage installs the same library
# packages the builder linked against.
ARG BASE_IMAGE=debian:12-slim

FROM ${BASE_IMAGE} AS builder
WORKDIR /src
# The dependency layer first, so source edits do not reinstall the toolchain.
COPY scripts/install-deps.sh scripts/
RUN scripts/install-deps.sh --build-only && rm -rf /var/lib/apt/lists/*
COPY . .
# The build context has no .git, so the revision for --version comes in as an argument.
ARG REVISION=unknown
RUN scripts/build.sh -DSWR_BUILD_TESTS=OFF -DSWR_REVISION="${REVISION}" \
    && install -D -m 0755 build/swr-sync-exporter /out/usr/bin/swr-sync-exporter \
    && strip --strip-unneeded /out/usr/bin/swr-sync-exporter
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

FROM ${BASE_IMAGE}
# The libraries' packages (libprometheus-cpp-core1.0, libcpp-httplib0.11, libssl3, libyaml-0-2
# and libcrypt1 for --web.config.file, ...), and the CA bundle for the cloud's TLS endpoints.
COPY --from=builder /out-packages.txt /tmp/runtime-packages.txt
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
         ca-certificates $(cat /tmp/runtime-packages.txt) \
    && rm -rf /tmp/runtime-packages.txt /var/lib/apt/lists/* /var/cache/apt/archives/*.deb \
         /var/log/apt /var/log/dpkg.log \
    && groupadd --gid 65532 swr-sync-exporter \
    && useradd --uid 65532 --gid 65532 --home-dir /nonexistent --no-create-home \
         --shell /usr/sbin/nologin swr-sync-exporter \
    && install -d -m 0755 /etc/swr-sync-exporter
COPY --from=builder /out/ /
# Last, so that a new revision does not invalidate the cached layers above.
ARG BASE_IMAGE
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="swr-sync-exporter" \
      org.opencontainers.image.description="Prometheus exporter for Huawei Cloud SWR image auto-sync jobs" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.base.name="${BASE_IMAGE}"
USER 65532:65532
EXPOSE 10220
ENTRYPOINT ["/usr/bin/swr-sync-exporter"]
CMD ["--config", "/etc/swr-sync-exporter/config.toml"]
