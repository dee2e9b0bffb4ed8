// swift-tools-version: 6.1
// The DPCL service: modules and which may import which (see docs/ARCHITECTURE.md, "Layout").
import PackageDescription

/// System libraries: a module map each, provided by Debian's `-dev` packages.
func systemLibrary(_ name: String, pkgConfig: String, apt: String) -> Target {
    .systemLibrary(
        name: name,
        path: "Sources/CLibraries/\(name)",
        pkgConfig: pkgConfig,
        providers: [.apt([apt])]
    )
}

let package = Package(
    name: "dpcl",
    products: [
        .executable(name: "dpcl", targets: ["dpcl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        systemLibrary("COpenBLAS", pkgConfig: "openblas", apt: "libopenblas-dev"),
        systemLibrary("CPNG", pkgConfig: "libpng", apt: "libpng-dev"),
        systemLibrary("CJPEG", pkgConfig: "libjpeg", apt: "libjpeg62-turbo-dev"),
        systemLibrary("CZlib", pkgConfig: "zlib", apt: "zlib1g-dev"),
        systemLibrary("CSQLite", pkgConfig: "sqlite3", apt: "libsqlite3-dev"),
        systemLibrary("CCrypto", pkgConfig: "libcrypto", apt: "libssl-dev"),
        // epoll from glibc: no package, so no pkg-config.
        .systemLibrary(name: "CEpoll", path: "Sources/CLibraries/CEpoll"),
        // oneDNN's C API (Debian ships no pkg-config file for it) and its OpenMP runtime.
        .systemLibrary(name: "CDNNL", path: "Sources/CLibraries/CDNNL", providers: [.apt(["libdnnl-dev"])]),

        // The only C code of the project: what Swift cannot express (setjmp/longjmp error
        // handling for libjpeg and libpng).
        .target(
            name: "CShim",
            dependencies: ["CJPEG", "CPNG"],
            linkerSettings: [.linkedLibrary("jpeg"), .linkedLibrary("png16")]
        ),

        // Proves that every system library links and works (`dpcl doctor`).
        .target(
            name: "Diagnostics",
            dependencies: ["COpenBLAS", "CZlib", "CSQLite", "CCrypto", "CShim", "Imaging", "Tensor"]
        ),

        // Image decode/encode, resize, COCO masks and match pictures; knows nothing of HTTP
        // or models.
        .target(name: "Imaging", dependencies: ["CShim"]),

        // The metric (mPCK / recall / F1 / mIoU), the Hungarian solver and the streaming
        // readers of benchmark and prediction files; no HTTP, SQL or model code.
        .target(name: "Evaluation", dependencies: ["Imaging", "CZlib"]),

        // COCO keypoint files to misc-pairs/v1 splits: reading, the pairing rule, sampling,
        // source/target sides and the streamed writer. No HTTP, models or evaluation.
        .target(name: "Datasets", dependencies: ["Imaging"]),

        // The inference engine: tensors, safetensors weights, the ViT backbone; the backbone's
        // products on oneDNN (fp32, bf16 or int8), the rest of the engine's on OpenBLAS.
        // Knows nothing of HTTP or images: its input is an already normalised float array.
        // Optimised in debug builds too: its SIMD kernels are ~50x slower unoptimised, which
        // would make the test suite's real-weight forwards take minutes.
        .target(
            name: "Tensor",
            dependencies: ["COpenBLAS", "CDNNL"],
            swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]
        ),

        // The DPCL pipeline: features (cached by pixel hash), optional decoder, cost volume,
        // heatmaps, peaks, co-segmentation and grouping. No HTTP, SQL or evaluation code.
        // Optimised in debug builds too, as Tensor is: the tests run whole pairs through it.
        .target(
            name: "Matching",
            dependencies: ["Tensor", "Imaging", "COpenBLAS", "CCrypto"],
            swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]
        ),

        // The leaderboard's storage and jobs: benchmarks with hidden ground truth, teams and
        // hashed tokens, submissions, the evaluation worker, scores and rankings, in SQLite
        // through GRDB. No HTTP.
        .target(
            name: "Leaderboard",
            dependencies: ["Evaluation", "CCrypto", .product(name: "GRDB", package: "GRDB.swift")]
        ),

        // The hand-rolled HTTP/1.1 server: sockets, Dispatch, parser, router; libcrypto hashes
        // streamed uploads. No DPCL here.
        .target(
            name: "HTTP",
            dependencies: [
                "CEpoll",
                "CCrypto",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),

        // Turns a text file into a Swift string constant at build time (openapi.yaml).
        .executableTarget(name: "embed-file", path: "Plugins/EmbedFileTool"),
        .plugin(
            name: "EmbedOpenAPI",
            capability: .buildTool(),
            dependencies: ["embed-file"],
            path: "Plugins/EmbedOpenAPI"
        ),

        // The HTTP API of the service: routes, JSON errors, configuration.
        .target(
            name: "Service",
            dependencies: [
                "HTTP",
                "Matching",
                "Imaging",
                "Tensor",
                "Leaderboard",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ],
            plugins: ["EmbedOpenAPI"]
        ),

        .executableTarget(
            name: "dpcl",
            dependencies: [
                "Datasets",
                "Diagnostics",
                "Evaluation",
                "Imaging",
                "Tensor",
                "Matching",
                "Service",
                "HTTP",
                "Leaderboard",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        .testTarget(name: "DiagnosticsTests", dependencies: ["Diagnostics"]),
        // Evaluation, Leaderboard and Matching to read the imported splits as `dpcl eval`, the
        // leaderboard and `dpcl match` do; dpcl for the command-line test.
        .testTarget(name: "DatasetsTests", dependencies: [
            "Datasets", "Evaluation", "Leaderboard", "Matching", "Imaging", "TestSupport", "dpcl",
        ], exclude: ["Fixtures"]),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "EvaluationTests", dependencies: ["Evaluation", "CZlib", "dpcl", "TestSupport"]),
        // Imaging only to decode the dev images that the parity test feeds to both engines.
        .testTarget(name: "TensorTests", dependencies: ["Tensor", "Imaging", "TestSupport"], exclude: ["Fixtures"]),
        // Helpers shared by the test targets: child processes without Foundation's Process, the
        // repository's paths and tooling venv, one seeded random generator.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        // dpcl for the blind-target test, which runs `dpcl match` on a split.
        .testTarget(name: "MatchingTests", dependencies: ["Matching", "Imaging", "Tensor", "TestSupport", "dpcl"],
                    exclude: ["Fixtures"]),
        .testTarget(name: "LeaderboardTests", dependencies: [
            // dpcl for the command-line test.
            "Leaderboard", "Evaluation", "TestSupport", "dpcl", .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        // The command line's own work: split runs with bad pairs, shards and their merge.
        .testTarget(name: "dpclTests", dependencies: ["dpcl", "TestSupport"]),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP", "TestSupport", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "ServiceTests", dependencies: [
            "Service", "HTTP", "Matching", "Imaging", "Leaderboard", "TestSupport",
            .product(name: "Logging", package: "swift-log"), .product(name: "Yams", package: "Yams"),
        ], exclude: ["html_tables.py", "browser_check.py", "deploy_check.py", "label_studio_check.py"]),
    ],
    swiftLanguageModes: [.v6]
)
