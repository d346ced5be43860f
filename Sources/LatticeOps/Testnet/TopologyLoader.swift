/// Reads a testnet topology file with the same line-numbered, field-naming errors as
/// `ConfigLoader` (`three-node.toml:14: links[2].between: node "n9" is not in [[nodes]]`).
public struct TopologyLoader: Sendable {
    public init() {}

    public func load(contents text: String, sourceName: String) throws(ConfigError) -> TestnetTopology {
        guard text.utf8.count <= ConfigLimits.fileBytesMax else {
            throw ConfigError(.tooLarge, "\(sourceName): larger than the \(ConfigLimits.fileBytesMax)-byte limit")
        }
        let table = try ConfigTable.parse(text, sourceName: sourceName)
        let root = TableReader(
            source: ConfigSource(name: sourceName, map: ConfigSourceMap(text: text)),
            path: "",
            table: table
        )
        var warnings: [ConfigWarning] = root.unknownKeyWarnings(
            known: ["name", "description", "profile", "nodes", "mesh", "default_link", "links", "link_profiles"])
        let name = try Self.name(root.requiredString("name", expected: "a string", hint: "name the testnet"))
        let description = try root.string("description", expected: "a string")?.value ?? ""
        let profile = try Self.profile(root)
        let profiles = try Self.linkProfiles(root, warnings: &warnings)
        let nodes = try Self.nodes(root, warnings: &warnings)
        let links = try Self.links(root, nodes: nodes, profiles: profiles, warnings: &warnings)
        return TestnetTopology(
            name: name.value,
            description: description,
            profile: profile,
            nodes: nodes,
            links: links,
            linkProfiles: profiles
        )
    }

    private static func name(_ located: Located<String>) throws(ConfigError) -> Located<String> {
        let ok =
            !located.value.isEmpty && located.value.utf8.count <= TestnetLimits.nameBytesMax
            && located.value.unicodeScalars.allSatisfy {
                $0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == "_"
            }
        guard ok else {
            throw ConfigError(
                .invalidValue,
                "\(located.location): \(located.value.debugDescription) is not a usable name; use 1 to "
                    + "\(TestnetLimits.nameBytesMax) letters, digits, '-' or '_'"
            )
        }
        return located
    }

    private static func profile(_ root: TableReader) throws(ConfigError) -> NetworkProfile {
        guard let p = try root.string("profile", expected: "a string") else { return .loopback }
        guard let profile = NetworkProfile(rawValue: p.value) else {
            throw ConfigError(
                .invalidValue,
                "\(p.location): unknown profile \(p.value.debugDescription); use loopback, lan, wan or edge"
            )
        }
        return profile
    }

    private static func nodes(_ root: TableReader, warnings: inout [ConfigWarning]) throws(ConfigError) -> [String] {
        let tables = try root.arrayOfTables("nodes", countMax: TestnetLimits.nodesMax)
        guard tables.count >= 2 else {
            throw ConfigError(.missingKey, "\(root.location("nodes")): a testnet needs at least two [[nodes]] entries")
        }
        var names: [String] = []
        for t in tables {
            warnings += t.unknownKeyWarnings(known: ["name"])
            let n = try name(
                t.requiredString("name", expected: "a string", hint: "give each node a name such as \"n1\"")
            )
            guard !names.contains(n.value) else {
                throw ConfigError(.duplicate, "\(n.location): node \(n.value.debugDescription) is listed twice")
            }
            names.append(n.value)
        }
        return names
    }
}
