import ArgumentParser
import LatticeCore

@main
struct Lattice: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lattice",
        abstract: "An embeddable peer-to-peer replication node.",
        discussion: """
            Each node keeps an LMDB-backed CRDT store and gossips encrypted, compressed
            state deltas to the peers in its config. There is no central server.
            """,
        version: LatticeVersion.string,
        subcommands: [NodeCommand.self, Simulate.self, Testnet.self, Bench.self, Debug.self, RenewReplicaID.self]
            + OperatorCommands.all
    )
}
