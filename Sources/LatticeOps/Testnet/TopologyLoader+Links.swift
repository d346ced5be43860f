extension TopologyLoader {
    static func linkProfiles(
        _ root: TableReader,
        warnings: inout [ConfigWarning]
    ) throws(ConfigError)
        -> [String: TestnetLinkProfile]
    {
        var profiles = ["loopback": TestnetLinkProfile.loopback]
        guard let table = try root.table("link_profiles") else { return profiles }
        guard table.table.entries.count <= TestnetLimits.linkProfilesMax else {
            throw ConfigError(
                .tooLarge,
                "\(root.location("link_profiles")): more than \(TestnetLimits.linkProfilesMax) profiles"
            )
        }
        for entry in table.table.entries {
            guard let t = try table.table(entry.key) else { continue }
            warnings += t.unknownKeyWarnings(known: ["delay_ms", "jitter_ms", "loss_percent", "bandwidth_mbit"])
            var p = TestnetLinkProfile()
            p.delayMilliseconds = try milliseconds(t, "delay_ms")
            p.jitterMilliseconds = try milliseconds(t, "jitter_ms")
            if let loss = try number(t, "loss_percent") {
                guard (0...100).contains(loss) else {
                    throw ConfigError(
                        .invalidValue,
                        "\(t.location("loss_percent")): \(loss) is not a percentage (0 to 100)"
                    )
                }
                p.lossPermille = Int((loss * 10).rounded())
            }
            if let mbit = try number(t, "bandwidth_mbit"), mbit > 0 {
                p.bandwidthBitsPerSecond = UInt64(mbit * 1_000_000)
            }
            profiles[entry.key] = p
        }
        return profiles
    }

    static func links(
        _ root: TableReader,
        nodes: [String],
        profiles: [String: TestnetLinkProfile],
        warnings: inout [ConfigWarning]
    ) throws(ConfigError) -> [TestnetLink] {
        var links: [TestnetLink] = []
        let mesh: Bool
        switch root.table["mesh"] {
        case nil: mesh = false
        case .boolean(let b): mesh = b
        case let other?: throw root.wrongType("mesh", expected: "a boolean", found: other)
        }
        if mesh {
            let d = try root.string("default_link", expected: "a string")
            let profile = try known(d?.value ?? "loopback", profiles, at: d?.location ?? root.location("default_link"))
            for (i, a) in nodes.enumerated() {
                for b in nodes[(i + 1)...] { links.append(TestnetLink(a: a, b: b, profile: profile)) }
            }
        }
        for t in try root.arrayOfTables("links", countMax: TestnetLimits.nodesMax * TestnetLimits.nodesMax / 2) {
            warnings += t.unknownKeyWarnings(known: ["between", "profile"])
            guard case .array(let ends)? = t.table["between"], ends.count == 2,
                case .string(let a) = ends[0], case .string(let b) = ends[1]
            else {
                throw ConfigError(
                    .wrongType,
                    "\(t.location("between")): expected two node names, such as [\"n1\", \"n2\"]"
                )
            }
            for end in [a, b] where !nodes.contains(end) {
                throw ConfigError(
                    .invalidValue,
                    "\(t.location("between")): node \(end.debugDescription) is not in [[nodes]]"
                )
            }
            guard a != b else {
                throw ConfigError(.invalidValue, "\(t.location("between")): a link needs two different nodes")
            }
            let p = try t.requiredString("profile", expected: "a string", hint: "name a [link_profiles] entry")
            let profile = try known(p.value, profiles, at: p.location)
            // A [[links]] entry overrides the mesh's link for its pair.
            links.removeAll { ($0.a == a && $0.b == b) || ($0.a == b && $0.b == a) }
            links.append(TestnetLink(a: a, b: b, profile: profile))
        }
        return links
    }

    private static func known(
        _ name: String,
        _ profiles: [String: TestnetLinkProfile],
        at location: String
    )
        throws(ConfigError) -> String
    {
        guard profiles[name] != nil else {
            let names = profiles.keys.sorted().joined(separator: ", ")
            throw ConfigError(.invalidValue, "\(location): no link profile \(name.debugDescription); defined: \(names)")
        }
        return name
    }

    private static func number(_ t: TableReader, _ key: String) throws(ConfigError) -> Double? {
        switch t.table[key] {
        case nil: return nil
        case .integer(let i): return Double(i)
        case .float(let f): return f
        case let other?: throw t.wrongType(key, expected: "a number", found: other)
        }
    }

    private static func milliseconds(_ t: TableReader, _ key: String) throws(ConfigError) -> UInt64 {
        guard let v = try number(t, key) else { return 0 }
        guard v >= 0, v <= Double(TestnetLimits.delayMillisecondsMax) else {
            throw ConfigError(
                .invalidValue,
                "\(t.location(key)): \(v) ms is outside 0 to \(TestnetLimits.delayMillisecondsMax)"
            )
        }
        return UInt64(v.rounded())
    }
}
