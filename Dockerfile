# Builds `dpcl` in the Swift image and runs it in slim Debian 12 with only the runtime
# libraries. Build: docker build -t dpcl .   Check: docker run --rm dpcl doctor
FROM swift:6.3-bookworm AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends pkg-config \
       libopenblas-dev libpng-dev libjpeg62-turbo-dev zlib1g-dev libsqlite3-dev libssl-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources Sources
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
ENTRYPOINT ["/usr/local/bin/dpcl"]
CMD ["doctor"]
