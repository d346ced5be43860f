import ArgumentParser
import LatticeOps

/// `lattice admin ...`: a running node's status, peers, tenants and metrics.
struct Admin: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Ask a running node about its status, peers and tenants, start a sync, read its metrics.",
        discussion: ClientOptions.exitStatusHelp,
        subcommands: [Status.self, Peers.self, Tenants.self, Sync.self, Metrics.self]
    )
}

/// How `lattice admin` prints a document.
enum OutputFormat: String, CaseIterable, ExpressibleByArgument {
    /// Aligned columns in human units.
    case table
    /// The node's JSON as it sent it (one compact document, keys sorted).
    case json
}

/// The options of the `lattice admin` commands that print a document.
struct AdminOptions: ParsableArguments {
    @OptionGroup var client: ClientOptions

    @Option(help: "table (aligned columns, human units) or json (the node's JSON as sent).")
    var format: OutputFormat = .table

    /// Fetches `path` and prints it as JSON or through `table`.
    func show(_ path: String, table: (JSONValue) -> String) async throws(CommandFailure) {
        let node = try client.client()
        switch format {
        case .json:
            let text = try await node.send(.GET, path).text
            Terminal.raw(text.hasSuffix("\n") ? text : text + "\n")
        case .table:
            Terminal.raw(table(try await node.json(.GET, path)))
        }
    }
}

extension Admin {
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The node's identity, addresses, uptime and peer counts (GET /v1/status)."
        )
        @OptionGroup var options: AdminOptions

        func run() async throws {
            try await reportingFailures { try await options.show("/v1/status", table: AdminTables.status) }
        }
    }

    struct Peers: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Each peer's state, round-trip time, goodput, lag and next sync round (GET /v1/peers)."
        )
        @OptionGroup var options: AdminOptions

        func run() async throws {
            try await reportingFailures { try await options.show("/v1/peers", table: AdminTables.peers) }
        }
    }

    struct Tenants: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Each tenant's key and tombstone counts and its peers (GET /v1/tenants)."
        )
        @OptionGroup var options: AdminOptions

        func run() async throws {
            try await reportingFailures { try await options.show("/v1/tenants", table: AdminTables.tenants) }
        }
    }

    struct Sync: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start an anti-entropy round now with every connected peer, or one (POST /v1/sync)."
        )
        @OptionGroup var options: AdminOptions
        @Option(help: ArgumentHelp("Only this peer: its public key (base64) or its name.", valueName: "peer"))
        var peer: String?
        @Flag(help: "Start digest repair (compare digests, fetch what differs) instead of a round.") var repair = false

        func run() async throws {
            try await reportingFailures {
                var body: [String: JSONValue] = [:]
                if let peer { body["peer"] = .string(peer) }
                if repair { body["repair"] = true }
                let response = try await options.client.client().send(.POST, "/v1/sync", json: .object(body))
                switch options.format {
                case .json:
                    Terminal.raw(response.text.hasSuffix("\n") ? response.text : response.text + "\n")
                case .table:
                    Terminal.line(Self.summary(response.json))
                }
            }
        }

        /// `scheduled 2 sync rounds` or `started 1 repair session`.
        static func summary(_ document: JSONValue?) -> String {
            if let count = document?["repairs"]?.intValue {
                return "started \(count) repair session\(count == 1 ? "" : "s")"
            }
            if let count = document?["scheduled"]?.intValue {
                return "scheduled \(count) sync round\(count == 1 ? "" : "s")"
            }
            return "sync requested"
        }
    }

    struct Metrics: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The node's metrics in Prometheus text format (GET /metrics)."
        )
        @OptionGroup var client: ClientOptions

        func run() async throws {
            try await reportingFailures {
                Terminal.raw(try await client.client().send(.GET, "/metrics").text)
            }
        }
    }
}
