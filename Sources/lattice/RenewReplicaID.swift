import ArgumentParser
import LatticeCrypto
import LatticeOps
import LatticeStore

/// `lattice renew-replica-id`: after restoring a data directory from a backup.
struct RenewReplicaID: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "renew-replica-id",
        abstract: "Give a data directory restored from a backup a new replica id (node stopped).",
        discussion: """
            A node writes under its data directory's replica id, numbering its writes. A directory
            restored from a backup has forgotten the numbers it issued after the backup; writing on
            under the same id would reuse them, and peers that saw the originals would drop the new
            writes. Run this once after a restore, before starting the node: the data stays, the
            node pulls what it lost from its peers, and its new writes get fresh numbers.
            """
    )

    @Option(name: .long, help: "Config file (default: $LATTICE_CONFIG, else ./lattice.toml).")
    var config: String?

    func run() async throws {
        try await reportingFailures {
            let config = try ConfigFile.load(self.config)
            let probe = try await NodeProbe.isListening(config.adminSocket)
            guard !probe else {
                throw CommandFailure(
                    .config,
                    "a node is running on \(config.adminSocket); stop it first (SIGTERM), then run this again"
                )
            }
            let store: Store
            do {
                store = try Store.open(directory: config.dataDirectory, masterKeyFile: config.masterKeyFile)
            } catch {
                throw CommandFailure(.localFiles, "cannot open the data directory \(config.dataDirectory): \(error)")
            }
            defer { store.close() }
            let (old, new) = try await ReplicaStore.renewReplicaID(store)
            Terminal.line("replica id of \(config.dataDirectory): \(old.map { "\($0)" } ?? "none") -> \(new)")
            Terminal.line("start the node as usual; it pulls from its peers what the backup lacked")
        }
    }
}

/// Whether a node answers on an admin socket.
enum NodeProbe {
    static func isListening(_ socket: String) async throws -> Bool {
        do {
            _ = try await AdminClient(socketPath: socket, timeout: .seconds(5)).request(.GET, "/livez")
            return true
        } catch is AdminClientError {
            return false
        }
    }
}
