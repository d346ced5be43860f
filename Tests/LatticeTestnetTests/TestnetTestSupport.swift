import Foundation
import LatticeCrypto
import LatticeOps

/// The repository root (this file is Tests/LatticeTestnetTests/TestnetTestSupport.swift).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

func loadTopology(_ name: String) throws -> (TestnetTopology, String) {
    let file = "\(repositoryRoot)/testnets/\(name).toml"
    return (try TopologyLoader().load(contents: String(contentsOfFile: file, encoding: .utf8), sourceName: file), file)
}

/// The same key files the CLI makes (LatticeCrypto, 0600).
let testKeyMaker: TestnetKeyMaker = { nodeKeyFile, masterKeyFile in
    let files = FileManager.default
    let pair =
        files.fileExists(atPath: nodeKeyFile)
        ? try X25519KeyPair.load(from: nodeKeyFile) : try X25519KeyPair.generate(at: nodeKeyFile)
    if !files.fileExists(atPath: masterKeyFile) { _ = try MasterKey.generate(at: masterKeyFile) }
    return pair.publicKey
}

/// A fresh directory under /tmp (short: socket paths hold 107 bytes), removed by `remove()`.
struct TemporaryDirectory {
    let path: String

    init() throws {
        var template = Array("/tmp/lattice-tn-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        path = String(cString: made)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// The `lattice` executable built next to the test bundle.
func latticeExecutable() throws -> String {
    var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    for _ in 0..<4 {
        let candidate = dir.appendingPathComponent("lattice").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        dir = dir.deletingLastPathComponent()
    }
    throw POSIXError(.ENOENT, userInfo: [NSLocalizedDescriptionKey: "build lattice first: swift build --build-tests"])
}

/// What a `lattice` run printed and its exit status.
struct CommandResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs `lattice ARGUMENTS` in the repository root and waits for it.
func runLattice(_ arguments: [String]) throws -> CommandResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try latticeExecutable())
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: repositoryRoot)
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return CommandResult(
        status: process.terminationStatus,
        stdout: String(decoding: stdout, as: UTF8.self),
        stderr: String(decoding: stderr, as: UTF8.self)
    )
}

/// Polls `condition` every 50 ms until it holds or `seconds` pass; returns whether it held.
func eventually(within seconds: Int, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(50))
    }
    return try await condition()
}
