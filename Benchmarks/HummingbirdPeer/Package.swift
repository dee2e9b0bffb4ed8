// swift-tools-version: 6.1
// Benchmark-only peer: a minimal Hummingbird 2 server answering GET /healthz, measured
// against `dpcl serve` by Benchmarks/http.sh. Never a dependency of the product.
import PackageDescription

let package = Package(
    name: "HummingbirdPeer",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
    ],
    targets: [
        .executableTarget(
            name: "HummingbirdPeer",
            dependencies: [.product(name: "Hummingbird", package: "hummingbird")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
