import ArgumentParser
import LatticeOps

/// The admin paths of a key (admin-v1 sections 3.7 to 3.11).
enum KeyPaths {
    static func key(_ tenant: String, _ key: String) -> String { RequestTarget.path("v1", "kv", tenant, key) }
    static func ops(_ tenant: String, _ key: String) -> String { RequestTarget.path("v1", "kv", tenant, key, "ops") }
    static func tenant(_ tenant: String) -> String { RequestTarget.path("v1", "kv", tenant) }
}

/// `lattice put TENANT KEY VALUE`: sets a register.
struct Put: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Set a register to VALUE (a string; with --json, a JSON scalar). Prints nothing on success.",
        discussion: "Answers once the write is durable on the node (with durability = \"durable\").\n\n"
            + ClientOptions.exitStatusHelp
    )

    @OptionGroup var options: ClientOptions
    @Argument(help: "The tenant.") var tenant: String
    @Argument(help: "The key.") var key: String
    @Argument(help: "The value.") var value: String
    @Flag(help: "Read VALUE as JSON: 17, 2.5, true, null, \"text\" or {\"base64\": \"...\"}.") var json = false

    func validate() throws { _ = try ValueText.argument(value, json: json, name: "VALUE") }

    func run() async throws {
        try await reportingFailures {
            let body: JSONValue = [
                "type": "register", "value": try ValueText.argument(value, json: json, name: "VALUE"),
            ]
            _ = try await options.client().send(.PUT, KeyPaths.key(tenant, key), json: body)
        }
    }
}

/// `lattice get TENANT KEY`: prints the value alone on one line.
struct Get: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a key's value alone on one line.",
        discussion: """
            A register's string prints raw (no quotes), a counter as its number, a set's members and \
            a multi-value register's values as a JSON array, a map as a JSON object. A missing key \
            exits with status 1 and a message on stderr.
            """ + "\n\n" + ClientOptions.exitStatusHelp
    )

    @OptionGroup var options: ClientOptions
    @Argument(help: "The tenant.") var tenant: String
    @Argument(help: "The key.") var key: String

    func run() async throws {
        try await reportingFailures {
            let document = try await options.client().json(.GET, KeyPaths.key(tenant, key))
            // A key created concurrently as two types keeps both; the node shows the first.
            if case .array(let types)? = document["types"], types.count > 1 {
                let names = types.compactMap(\.stringValue).joined(separator: ", ")
                Terminal.warning("\(key) holds several types (\(names)); showing the first")
            }
            Terminal.line(ValueText.line(type: document["type"]?.stringValue, value: document["value"] ?? .null))
        }
    }
}

/// `lattice delete TENANT KEY`.
struct Delete: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Remove a key (observed-remove: concurrent writes elsewhere survive). Prints nothing on success.",
        discussion: ClientOptions.exitStatusHelp
    )

    @OptionGroup var options: ClientOptions
    @Argument(help: "The tenant.") var tenant: String
    @Argument(help: "The key.") var key: String

    func run() async throws {
        try await reportingFailures {
            _ = try await options.client().send(.DELETE, KeyPaths.key(tenant, key))
        }
    }
}

extension ClientOptions {
    /// Applies one CRDT op (admin-v1 section 3.11) and prints the key's new value.
    func apply(_ op: JSONValue, tenant: String, key: String) async throws(CommandFailure) {
        let document = try await client().json(.POST, KeyPaths.ops(tenant, key), json: op)
        if let value = document["value"] {
            Terminal.line(ValueText.line(type: document["type"]?.stringValue, value: value))
        }
    }
}

/// `lattice incr TENANT KEY [N]`.
struct Incr: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Add N (default 1) to a counter and print its new value.",
        discussion: "To subtract, give a negative amount after --, or with --by: lattice incr T K -- -5, --by -5.\n\n"
            + ClientOptions.exitStatusHelp
    )

    @OptionGroup var options: ClientOptions
    @Argument(help: "The tenant.") var tenant: String
    @Argument(help: "The key.") var key: String
    @Argument(help: "The amount (default 1).") var amount: Int64?
    @Option(parsing: .unconditional, help: "The amount, as an option (accepts negative numbers).") var by: Int64?

    func validate() throws {
        if amount != nil && by != nil { throw ValidationError("give the amount as N or with --by, not both") }
    }

    func run() async throws {
        try await reportingFailures {
            try await options.apply(["op": "incr", "by": .int(amount ?? by ?? 1)], tenant: tenant, key: key)
        }
    }
}

/// `lattice sadd TENANT KEY MEMBER`.
struct SAdd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sadd",
        abstract: "Add MEMBER to a set and print the set's members.",
        discussion: ClientOptions.exitStatusHelp
    )

    @OptionGroup var options: ClientOptions
    @OptionGroup var target: SetMemberArguments

    func run() async throws {
        try await reportingFailures { try await target.apply("add", options) }
    }
}

/// `lattice srem TENANT KEY MEMBER`.
struct SRem: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "srem",
        abstract: "Remove MEMBER from a set and print the set's members.",
        discussion: ClientOptions.exitStatusHelp
    )

    @OptionGroup var options: ClientOptions
    @OptionGroup var target: SetMemberArguments

    func run() async throws {
        try await reportingFailures { try await target.apply("remove", options) }
    }
}

/// The arguments `sadd` and `srem` share.
struct SetMemberArguments: ParsableArguments {
    @Argument(help: "The tenant.") var tenant: String
    @Argument(help: "The key.") var key: String
    @Argument(help: "The member (a string; with --json, a JSON scalar).") var member: String
    @Flag(help: "Read MEMBER as JSON.") var json = false

    func validate() throws { _ = try ValueText.argument(member, json: json, name: "MEMBER") }

    /// Sends the set operation `op` (`add` or `remove`) for this member.
    func apply(_ op: String, _ options: ClientOptions) async throws {
        let member = try ValueText.argument(member, json: json, name: "MEMBER")
        try await options.apply(["op": .string(op), "member": member], tenant: tenant, key: key)
    }
}

/// `lattice keys TENANT [--prefix P]`: every key, one per line, in byte order.
struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List a tenant's keys, one per line, in byte order (all pages).",
        discussion: ClientOptions.exitStatusHelp
    )

    /// Keys asked for per request: the admin API's largest page (admin-v1 section 3.7), so a
    /// big tenant takes the fewest round trips while each response stays bounded.
    static let pageKeysMax = 1000

    @OptionGroup var options: ClientOptions
    @Argument(help: "The tenant.") var tenant: String
    @Option(help: "Only keys starting with this.") var prefix: String?

    func run() async throws {
        try await reportingFailures {
            let client = try options.client()
            var after: String?
            while true {
                let query = [("prefix", prefix), ("limit", String(Self.pageKeysMax)), ("after", after)]
                let page = try await client.json(.GET, RequestTarget.with(KeyPaths.tenant(tenant), query: query))
                for key in try Self.keys(of: page) {
                    Terminal.line(key)
                }
                guard let next = page["next"]?.stringValue else { return }
                // A node whose cursor does not advance would loop forever: refuse it.
                if let after, !after.utf8.lexicographicallyPrecedes(next.utf8) {
                    throw CommandFailure(
                        .unreachable,
                        "the node's key listing did not advance past \"\(after)\"; stopped"
                    )
                }
                after = next
            }
        }
    }

    private static func keys(of page: JSONValue) throws(CommandFailure) -> [String] {
        guard case .array(let entries)? = page["keys"] else {
            throw CommandFailure(
                .unreachable,
                "the node's key listing has no \"keys\" array; is the node a newer version?"
            )
        }
        var keys: [String] = []
        for entry in entries {
            guard let key = entry["key"]?.stringValue else {
                throw CommandFailure(
                    .unreachable,
                    "the node's key listing has an entry without a \"key\" string: \(entry)"
                )
            }
            keys.append(key)
        }
        return keys
    }
}
