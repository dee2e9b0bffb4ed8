# Builds `dpcl` in the Swift image, converts the default model there, and runs it in slim
# Debian 12 with only the runtime libraries, as a non-root user, data in /data. (libcurl:
# the static Foundation's URLSession, behind `dpcl leaderboard --server`.)
# Deploy/container-check proves the runtime package list without a container engine.
# Build: docker build -t dpcl .   Run: docker run -p 8080:8080 -v dpcl-data:/data dpcl
# Check the libraries first when it misbehaves: docker run --rm dpcl doctor
FROM swift:6.3-bookworm AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends pkg-config python3 python3-venv \
       libopenblas-dev libdnnl-dev libpng-dev libjpeg62-turbo-dev zlib1g-dev libsqlite3-dev libssl-dev libcurl4-openssl-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Package.swift names the plugin and test targets too, so the whole tree (less .dockerignore).
COPY . .
RUN swift build -c release --static-swift-stdlib --product dpcl \
    && install -D .build/release/dpcl /out/dpcl
# The default model, converted once here (the converter needs only onnx and numpy); a
# mounted /models replaces it.
RUN python3 -m venv .venv \
    && .venv/bin/pip install -q --disable-pip-version-check "$(grep '^numpy==' tools/requirements.txt)" "$(grep '^onnx==' tools/requirements.txt)" \
    && DPCL_MODEL_DIR=/out/models scripts/fetch-model \
    && rm /out/models/*.onnx

FROM debian:12-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
       libopenblas0-pthread libdnnl2 libpng16-16 libjpeg62-turbo zlib1g libsqlite3-0 libssl3 libcurl4 curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /data --no-create-home dpcl \
    && install -d -o dpcl -g dpcl /data
COPY --from=build /out/dpcl /usr/local/bin/dpcl
COPY --from=build /out/models /models
COPY Config /etc/dpcl
ENV DPCL_MODEL_DIR=/models
USER dpcl
WORKDIR /data
VOLUME /data
EXPOSE 8080
# dpcl handles SIGTERM itself (drains, checkpoints, exits 0), also as PID 1.
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["/usr/local/bin/dpcl"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8080", "--config", "/etc/dpcl/server.yaml", "--data-dir", "/data"]
