import LatticeOps

/// The tables `lattice admin` prints from the node's JSON documents (admin-v1 section 3 and the
/// node contract). Fields the node leaves out print as `-`; fields it adds are ignored.
enum AdminTables {
    /// Characters of a base64 public key shown in the ID column: enough to tell peers apart
    /// by eye (48 bits), short enough for the table to fit a terminal.
    static let shortIDCharacters = 8

    /// `GET /v1/peers`: one row per peer, in config order. The scheduler's reason for the next
    /// round is a sentence, left to `--format json`; REASON is why the peer is in its state.
    static func peers(_ document: JSONValue) -> String {
        var table = TextTable(
            ["name", "id", "address", "state", "rtt", "goodput", "in", "out", "lag", "next-round", "reason"]
        )
        guard case .array(let peers)? = document["peers"] else { return table.rendered() }
        for peer in peers {
            table.add([
                peer["name"]?.cellText ?? "",
                shortID((peer["id"] ?? peer["public_key"])?.stringValue),
                peer["address"]?.cellText ?? "",
                peer["state"]?.cellText ?? "",
                HumanUnits.milliseconds(peer["rtt_seconds"]?.numberValue),
                HumanUnits.rate(peer["goodput_bytes_per_second"]?.numberValue),
                HumanUnits.bytes(peer["bytes_in"]?.numberValue),
                HumanUnits.bytes(peer["bytes_out"]?.numberValue),
                lag(peer["lag"]),
                HumanUnits.duration(peer["next_round_in_seconds"]?.numberValue),
                (peer["reason"]?.cellText ?? peer["last_error"]?.cellText) ?? "",
            ])
        }
        return table.rendered()
    }

    /// `GET /v1/tenants`: one row per tenant.
    static func tenants(_ document: JSONValue) -> String {
        var table = TextTable(["tenant", "keys", "tombstones", "readers", "writers"])
        guard case .array(let tenants)? = document["tenants"] else { return table.rendered() }
        for tenant in tenants {
            table.add([
                tenant["id"]?.cellText ?? "",
                tenant["keys"]?.cellText ?? "",
                tenant["tombstones"]?.cellText ?? "",
                tenant["peers"]?["read"]?.cellText ?? "",
                tenant["peers"]?["write"]?.cellText ?? "",
            ])
        }
        return table.rendered()
    }

    /// `GET /v1/status`: one `field  value` line per (flattened) field, identity first.
    static func status(_ document: JSONValue) -> String {
        var fields: [(String, JSONValue)] = []
        flatten(document, prefix: "", into: &fields)
        let first = ["name", "node_id", "network", "listen_address", "listen", "profile", "version", "uptime_seconds"]
        fields.sort { lhs, rhs in
            let (l, r) = (first.firstIndex(of: lhs.0) ?? first.count, first.firstIndex(of: rhs.0) ?? first.count)
            return l != r ? l < r : lhs.0 < rhs.0
        }
        var table = TextTable(["field", "value"])
        for (name, value) in fields {
            table.add([name, cell(name, value)])
        }
        return table.rendered(heading: false)
    }

    /// The first characters of a base64 key and an ellipsis.
    static func shortID(_ key: String?) -> String {
        guard let key else { return "" }
        return key.count <= shortIDCharacters ? key : key.prefix(shortIDCharacters) + "…"
    }

    /// `acme:12 beta:0`, tenants sorted.
    private static func lag(_ value: JSONValue?) -> String {
        guard case .object(let tenants)? = value else { return value?.cellText ?? "" }
        return tenants.keys.sorted().map { "\($0):\(tenants[$0]!.cellText ?? "-")" }.joined(separator: " ")
    }

    /// Nested objects become dotted names: `peers.connected`.
    private static func flatten(_ value: JSONValue, prefix: String, into fields: inout [(String, JSONValue)]) {
        guard case .object(let members) = value else {
            fields.append((prefix, value))
            return
        }
        for (name, member) in members {
            flatten(member, prefix: prefix.isEmpty ? name : prefix + "." + name, into: &fields)
        }
    }

    /// A status value in human units when its name says its unit.
    private static func cell(_ name: String, _ value: JSONValue) -> String {
        if name.hasSuffix("_seconds"), let seconds = value.numberValue { return HumanUnits.duration(seconds) }
        if name.hasSuffix("_bytes"), let bytes = value.numberValue { return HumanUnits.bytes(bytes) }
        return value.cellText ?? "-"
    }
}
