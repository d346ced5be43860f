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
        .executable(name: "lattice", targets: ["lattice"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
    ],
    targets: [
        // MARK: C system libraries (Debian packages; `make deps` installs them)
        .systemLibrary(name: "CLMDB", pkgConfig: "lmdb", providers: [.apt(["liblmdb-dev"])]),
        .systemLibrary(name: "CSodium", pkgConfig: "libsodium", providers: [.apt(["libsodium-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),

        // MARK: Pure modules
        .target(name: "LatticeCore", swiftSettings: strict),

        // MARK: Wrappers around the C libraries
        .target(name: "LatticeCrypto", dependencies: ["CSodium"], swiftSettings: strict),

        // MARK: Wire protocol (pure: frames, handshake driver, sessions; no I/O)
        .target(name: "LatticeWire", dependencies: ["LatticeCrypto"], swiftSettings: strict),

        // MARK: The I/O shell
        .target(
            name: "LatticeNode",
            dependencies: [
                "LatticeWire",
                "LatticeCrypto",
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
            dependencies: ["LatticeCore"],
            path: "Benchmarks/LatticeBenchmarks",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "lattice",
            dependencies: [
                "LatticeCore",
                "LatticeBenchmarks",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),

        // MARK: Tests
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
            name: "LatticeWireTests",
            dependencies: [
                "LatticeWire",
                "LatticeCrypto",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "LatticeNodeTests",
            dependencies: [
                "LatticeNode",
                "LatticeWire",
                "LatticeCrypto",
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
    ]
)
