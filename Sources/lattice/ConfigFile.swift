import Foundation
import LatticeCrypto
import LatticeOps

/// Finding and loading the node's `lattice.toml` for the commands that read it (`id` and the
/// client commands): `--config FILE`, else `$LATTICE_CONFIG`, else `./lattice.toml`.
enum ConfigFile {
    /// The file name `lattice init` writes and commands look for in the working directory.
    static let defaultName = "lattice.toml"
    /// The environment variable naming the config file when `--config` is not given.
    static let environmentVariable = "LATTICE_CONFIG"

    /// The config path to use and a phrase saying where it came from (for messages).
    static func locate(_ explicit: String?) -> (path: String, origin: String) {
        if let explicit { return (explicit, "--config") }
        if let fromEnvironment = ProcessInfo.processInfo.environment[environmentVariable], !fromEnvironment.isEmpty {
            return (fromEnvironment, "$\(environmentVariable)")
        }
        return ("./\(defaultName)", "the default")
    }

    /// Loads and validates the config, printing its warnings (unknown keys, risky settings) to
    /// stderr. With `checkOwnKey`, a config listing this node's own key as a peer is refused.
    static func load(_ explicit: String?, checkOwnKey: Bool = false) throws(CommandFailure) -> LatticeConfig {
        let (path, origin) = locate(explicit)
        guard FileManager.default.fileExists(atPath: path) else {
            throw CommandFailure(
                .config,
                "no config file at \(path) (\(origin)); pass --config FILE (or --socket PATH to a running node),"
                    + " set \(environmentVariable), or create one with `lattice init`"
            )
        }
        let loader = ConfigLoader(
            environment: ProcessInfo.processInfo.environment,
            workingDirectory: FileManager.default.currentDirectoryPath,
            ownPublicKey: checkOwnKey ? ownPublicKey : nil
        )
        do {
            let loaded = try loader.load(file: path)
            for warning in loaded.warnings {
                Terminal.warning(warning.message)
            }
            return loaded.config
        } catch {
            throw CommandFailure(.config, error.message)
        }
    }

    /// The public key in the node key file at `path`, or nil when it cannot be read (the
    /// loader then skips the own-key check; reading the key later reports why).
    @Sendable static func ownPublicKey(nodeKeyFile path: String) -> [UInt8]? {
        try? X25519KeyPair.load(from: path).publicKey
    }
}
