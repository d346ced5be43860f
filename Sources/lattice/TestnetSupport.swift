import ArgumentParser
import Foundation
import LatticeCrypto
import LatticeOps

/// A testnet command failed at run time: the message goes to stderr, the exit status is 1.
struct TestnetFailure: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

/// Runs `body`; testnet errors become `TestnetFailure` with their message alone.
@discardableResult
func runTestnet<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as TestnetError {
        throw TestnetFailure(error.message)
    }
}

/// Creates `node.key` and `master.key` (0600) unless they exist; returns the node's public key.
@Sendable
func makeKeys(nodeKeyFile: String, masterKeyFile: String) throws -> [UInt8] {
    let files = FileManager.default
    let pair =
        files.fileExists(atPath: nodeKeyFile)
        ? try X25519KeyPair.load(from: nodeKeyFile) : try X25519KeyPair.generate(at: nodeKeyFile)
    if !files.fileExists(atPath: masterKeyFile) {
        _ = try MasterKey.generate(at: masterKeyFile)
    }
    return pair.publicKey
}

/// Finds the topology file: a path, or a bare name under ./testnets/.
enum TopologyResolution {
    static func resolve(_ argument: String) throws -> String {
        let files = FileManager.default
        if files.fileExists(atPath: argument) { return absolutePath(argument) }
        let named = "testnets/\(argument).toml"
        if !argument.contains("/"), files.fileExists(atPath: named) { return absolutePath(named) }
        let available = ((try? files.contentsOfDirectory(atPath: "testnets")) ?? [])
            .filter { $0.hasSuffix(".toml") }.map { String($0.dropLast(5)) }.sorted()
        let hint =
            available.isEmpty
            ? "run from the repository root (where testnets/ is) or pass a topology file's path"
            : "topologies in ./testnets: \(available.joined(separator: ", "))"
        throw TestnetFailure("no topology file \(argument) (nor \(named)); \(hint)")
    }
}

/// `path` made absolute against the working directory.
func absolutePath(_ path: String) -> String {
    let url = URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
    return url.standardizedFileURL.path
}

/// `path` relative to the working directory when it is inside it (shorter to copy).
func relativePath(_ path: String) -> String {
    let cwd = FileManager.default.currentDirectoryPath
    return path.hasPrefix(cwd + "/") ? String(path.dropFirst(cwd.count + 1)) : path
}

/// This executable (`/proc/self/exe`), which also runs the nodes and the proxy.
func ownExecutable() throws -> String {
    var buffer = [CChar](repeating: 0, count: 4096)
    let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    guard count > 0 else { throw TestnetFailure("cannot find this executable (/proc/self/exe)") }
    return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
