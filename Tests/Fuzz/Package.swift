// swift-tools-version: 6.2
//
// libFuzzer targets for the wire protocol. Not part of the root package's build: `make fuzz`
// builds this package with `-sanitize=fuzzer,address` applied to every Swift module (so the
// code under test is instrumented too) and runs each target for a bounded time.
//
// The fuzz bodies live in the root package (`LatticeWireFuzz`) so `make test` replays
// `Tests/Fixtures/crashers/` through the same code.

import PackageDescription

/// The file defines `<Module>_main` itself (with `@_cdecl`), so it must not also get the
/// compiler's top-level-code entry point.
let entryPointByCDecl: [SwiftSetting] = [.unsafeFlags(["-parse-as-library"])]

/// gold crashes (internal error in format_file_lineno) on ASan's local symbols; lld links them.
let linkWithLLD: [LinkerSetting] = [.unsafeFlags(["-use-ld=lld"])]

let package = Package(
    name: "LatticeFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Lattice", path: "../..")
    ],
    targets: [
        // Declares libFuzzer's `LLVMFuzzerRunDriver` for Swift.
        .target(name: "CFuzzerDriver"),
        .executableTarget(
            name: "FrameDecoderFuzz",
            dependencies: ["CFuzzerDriver", .product(name: "LatticeWireFuzz", package: "Lattice")],
            swiftSettings: entryPointByCDecl,
            linkerSettings: linkWithLLD
        ),
        .executableTarget(
            name: "HandshakeResponderFuzz",
            dependencies: ["CFuzzerDriver", .product(name: "LatticeWireFuzz", package: "Lattice")],
            swiftSettings: entryPointByCDecl,
            linkerSettings: linkWithLLD
        ),
    ]
)
