import ArgumentParser
import Foundation
import LatticeCrypto
import LatticeOps

/// `lattice id`: prints the node's public key, the line other nodes put in their
/// `[[peers]] public_key`.
struct Id: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print this node's public key (base64), as peers list it in public_key.",
        discussion: """
            Reads node_key_file from the config (default: $LATTICE_CONFIG, else ./lattice.toml).
            The config is validated as the node would validate it, so this also checks a config.
            """
    )

    @Option(help: ArgumentHelp("The node's config file.", valueName: "file"))
    var config: String?

    func run() async throws {
        try await reportingFailures {
            let loaded = try ConfigFile.load(config, checkOwnKey: true)
            Terminal.line(try Self.publicKey(nodeKeyFile: loaded.nodeKeyFile))
        }
    }

    /// The base64 public key of the node key file at `path`.
    static func publicKey(nodeKeyFile path: String) throws(CommandFailure) -> String {
        do {
            let pair = try X25519KeyPair.load(from: path)
            return Data(pair.publicKey).base64EncodedString()
        } catch {
            throw CommandFailure(.config, error.message)
        }
    }
}
