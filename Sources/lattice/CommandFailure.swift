import ArgumentParser

#if canImport(Glibc)
import Glibc
#endif

/// A failure of a `lattice` command that a person can act on. The message names the input
/// (file, socket, key) and what to do; it goes to stderr and the process exits with the code's
/// ``exitStatus``, so scripts can tell "the node said no" from "no node to ask".
struct CommandFailure: Error, CustomStringConvertible {
    /// What kind of failure this is; each kind has its own exit status.
    struct Code: Hashable, CustomStringConvertible {
        fileprivate enum Base: String {
            case nodeError = "node_error"
            case unreachable = "unreachable"
            case config = "config"
            case localFiles = "local_files"
        }
        fileprivate let base: Base
        var description: String { base.rawValue }

        /// The node answered with an error (a missing key, an unknown tenant, a type mismatch).
        static let nodeError = Code(base: .nodeError)
        /// The admin socket could not be reached, or the node did not answer properly.
        static let unreachable = Code(base: .unreachable)
        /// The config file or a key file it names is missing, malformed or unsafe.
        static let config = Code(base: .config)
        /// `lattice init` could not create its files (they exist, or the directory is not writable).
        static let localFiles = Code(base: .localFiles)

        /// The process exit status for this code (64, a usage error, is ArgumentParser's).
        var exitStatus: Int32 {
            switch base {
            case .nodeError: 1
            case .unreachable: 2
            case .config: 3
            case .localFiles: 4
            }
        }
    }

    let code: Code
    let message: String

    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    var description: String { message }
}

/// Where command output goes: results to stdout, one line each; errors and warnings to stderr.
enum Terminal {
    /// Writes `text` and a newline to stdout.
    static func line(_ text: String) {
        print(text)
    }

    /// Writes `text` to stdout exactly as given.
    static func raw(_ text: String) {
        print(text, terminator: "")
    }

    /// Writes `Error: message` to stderr.
    static func error(_ message: String) {
        standardError("Error: \(message)\n")
    }

    /// Writes `warning: message` to stderr.
    static func warning(_ message: String) {
        standardError("warning: \(message)\n")
    }

    /// Flushes stdout first, so output and errors appear in the order they happened.
    private static func standardError(_ text: String) {
        fflush(nil)
        var bytes = Array(text.utf8)
        _ = bytes.withUnsafeMutableBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }
}

/// Runs a command body; a ``CommandFailure`` is printed to stderr and becomes its exit status.
func reportingFailures(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as CommandFailure {
        Terminal.error(error.message)
        throw ExitCode(error.code.exitStatus)
    }
}
