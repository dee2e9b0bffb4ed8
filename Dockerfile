# Builds `dpcl` in the Swift image and runs it in slim Debian 12 with only the runtime
# libraries. Build: docker build -t dpcl .   Run: docker run -p 8080:8080 dpcl
# Check the libraries first when it misbehaves: docker run --rm dpcl doctor
FROM swift:6.3-bookworm AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends pkg-config \
       libopenblas-dev libpng-dev libjpeg62-turbo-dev zlib1g-dev libsqlite3-dev libssl-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Package.swift names the plugin and test targets too, so the whole tree (less .dockerignore).
COPY . .
RUN swift build -c release --static-swift-stdlib --product dpcl \
    && install -D .build/release/dpcl /out/dpcl

FROM debian:12-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
       libopenblas0-pthread libpng16-16 libjpeg62-turbo zlib1g libsqlite3-0 libssl3 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/dpcl --create-home dpcl
COPY --from=build /out/dpcl /usr/local/bin/dpcl
COPY Config /etc/dpcl
USER dpcl
WORKDIR /var/lib/dpcl
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/dpcl"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8080", "--config", "/etc/dpcl/server.yaml", "--data-dir", "/var/lib/dpcl"]
