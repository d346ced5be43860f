// swift-tools-version: 6.2
//
// Lattice: an embeddable peer-to-peer replication node.
//
// Dependencies point one way: LatticeCore <- LatticeSync <- LatticeNode <- lattice.
// Each C library is a `.systemLibrary` imported by exactly one wrapper module:
// CLMDB by LatticeStore, CSodium by LatticeCrypto, CZstd by LatticeCompression.

import PackageDescription

/// Every Lattice target builds in Swift 6 mode with warnings as errors.
let strict: [SwiftSetting] = [
    .treatAllWarnings(as: .error),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "Lattice",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "LatticeCore", targets: ["LatticeCore"]),
        .library(name: "LatticeStore", targets: ["LatticeStore"]),
        .library(name: "LatticeWire", targets: ["LatticeWire"]),
        // For the fuzz package under Tests/Fuzz, which depends on this one by path.
        .library(name: "LatticeWireFuzz", targets: ["LatticeWireFuzz"]),
        .executable(name: "lattice", targets: ["lattice"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
    ],
    targets: [
        // MARK: C system libraries (Debian packages; `make deps` installs them)
        .systemLibrary(name: "CLMDB", pkgConfig: "lmdb", providers: [.apt(["liblmdb-dev"])]),
        .systemLibrary(name: "CSodium", pkgConfig: "libsodium", providers: [.apt(["libsodium-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),

        // MARK: Pure modules
        .target(name: "LatticeCore", swiftSettings: strict),
        .target(name: "LatticeSync", dependencies: ["LatticeCore"], swiftSettings: strict),

        // MARK: Wrappers around the C libraries
        .target(name: "LatticeCrypto", dependencies: ["CSodium"], swiftSettings: strict),
        .target(
            name: "LatticeStore",
            dependencies: ["CLMDB", "LatticeCore", "LatticeCrypto", "LatticeSync"],
            swiftSettings: strict
        ),
        .target(name: "LatticeCompression", dependencies: ["CZstd"], swiftSettings: strict),

        // MARK: Operations: config, logs, metrics, admin socket (used by the node)
        .target(
            name: "LatticeOps",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ],
            swiftSettings: strict
        ),

        // MARK: Wire protocol (pure: frames, handshake driver, sessions; no I/O)
        .target(name: "LatticeWire", dependencies: ["LatticeCrypto", "LatticeCompression"], swiftSettings: strict),

        // Bodies of the wire's libFuzzer targets (Tests/Fuzz); `make test` replays crashers through them.
        .target(
            name: "LatticeWireFuzz",
            dependencies: ["LatticeWire", "LatticeCrypto"],
            swiftSettings: strict
        ),

        // MARK: Simulation (no I/O; frames messages with the wire codec to count their bytes)
        .target(
            name: "LatticeSimulation",
            dependencies: ["LatticeCore", "LatticeSync", "LatticeWire"],
            swiftSettings: strict
        ),

        // MARK: The I/O shell
        .target(
            name: "LatticeNode",
            dependencies: [
                "LatticeWire",
                "LatticeCrypto",
                "LatticeCore",
                "LatticeSync",
                "LatticeStore",
                "LatticeOps",
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),

        // MARK: Benchmarks and the CLI
        .target(
            name: "LatticeBenchmarks",
            dependencies: [
                "LatticeCore", "LatticeSync", "LatticeSimulation", "LatticeStore", "LatticeCompression",
                "LatticeWire", "LatticeNode", .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Benchmarks/LatticeBenchmarks",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "lattice",
            dependencies: [
                "LatticeCore",
                "LatticeSimulation",
                "LatticeOps",
                "LatticeBenchmarks",
                "LatticeStore",
                "LatticeNode",
                "LatticeCrypto",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),

        // MARK: Tests
        // Shared by test targets: driving the real `lattice` binary as a child process.
        .target(name: "LatticeTestSupport", path: "Tests/LatticeTestSupport", swiftSettings: strict),
        .testTarget(
            name: "LatticeCoreTests",
            dependencies: [
                "LatticeCore",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: strict
        ),
        .testTarget(name: "LatticeCryptoTests", dependencies: ["LatticeCrypto"], swiftSettings: strict),
        .testTarget(
            name: "LatticeStoreTests",
            dependencies: [
                "LatticeTestSupport",
                "LatticeStore", "LatticeCrypto", "LatticeSync",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "LatticeSyncTests",
            dependencies: [
                "LatticeSync",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "LatticeSimulationTests",
            dependencies: ["LatticeSimulation", "LatticeSync", "LatticeCore"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "LatticeOpsTests",
            dependencies: [
                "LatticeTestSupport",
                "LatticeOps",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strict
        ),
        // The shaping proxy, testnet generation, and (with the real binary) a whole testnet.
        .testTarget(
            name: "LatticeTestnetTests",
            dependencies: [
                "LatticeOps",
                "LatticeCrypto",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "LatticeCompressionTests",
            dependencies: [
                "LatticeCompression",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "LatticeWireTests",
            dependencies: [
                "LatticeWire",
                "LatticeWireFuzz",
                "LatticeCrypto",
                "LatticeCompression",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "LatticeNodeTests",
            dependencies: [
                "LatticeTestSupport",
                "LatticeNode",
                "LatticeCore",
                "LatticeSync",
                "LatticeStore",
                "LatticeOps",
                "LatticeWire",
                "LatticeCrypto",
                "LatticeCompression",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "LatticeCLITests",
            dependencies: [
                "LatticeOps",
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
    ]
)
