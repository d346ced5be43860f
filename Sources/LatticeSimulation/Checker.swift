import LatticeCore
import LatticeSync

/// Invariants checked after every event, and convergence at the end.
struct Checker {
    let secretReaders: Set<Int>
    /// The join of every acknowledged write's delta, per tenant and key: what every
    /// replica must hold once the network heals.
    var oracle: [String: [String: Causal<CRDTValue>]] = [:]
    /// Per node and tenant, dots that were live here and then went away.
    var removed: [[String: Set<Dot>]]
    var live: [[String: Set<Dot>]]
    var violations: [String] = []

    init(nodes: Int, secretReaders: Set<Int>) {
        self.secretReaders = secretReaders
        removed = Array(repeating: [:], count: nodes)
        live = Array(repeating: [:], count: nodes)
    }

    mutating func acknowledged(_ tenant: String, _ delta: KeyDelta) {
        oracle[tenant, default: [:]][delta.key, default: Causal()].join(delta.delta)
    }

    mutating func sent(_ message: SyncMessage, to node: Int, at time: UInt64) {
        if message.tenant == "secret" && !secretReaders.contains(node) {
            violations.append(
                "t=\(time): a message about tenant secret was sent to n\(node + 1), which may not read it"
            )
        }
    }

    /// No resurrection: a dot that went away at a node never comes back there.
    mutating func check(_ engines: [SyncEngine], at time: UInt64) {
        for (i, e) in engines.enumerated() {
            for (tenant, replica) in e.tenants {
                var now = Set<Dot>()
                for state in replica.keys.values { state.value.forEachDot { now.insert($0) } }
                let before = live[i][tenant] ?? []
                let back = now.intersection(removed[i][tenant] ?? [])
                if let d = back.first {
                    violations.append(
                        "t=\(time): dot \(d) came back at n\(i + 1) in \(tenant) after it was removed there"
                    )
                }
                removed[i][tenant, default: []].formUnion(before.subtracting(now))
                live[i][tenant] = now
            }
        }
    }

    /// Whether every node holds exactly the oracle's values for every tenant it serves.
    func converged(_ engines: [SyncEngine]) -> Bool {
        for e in engines {
            for (tenant, replica) in e.tenants {
                let expected = (oracle[tenant] ?? [:]).filter { !$0.value.store.isEmpty }
                let have = replica.liveKeys
                guard have.count == expected.count else { return false }
                for (key, state) in expected where replica[key] != state.store { return false }
            }
        }
        return true
    }

    /// The first difference from the oracle, for the failure report.
    func firstDifference(_ engines: [SyncEngine]) -> String? {
        for (i, e) in engines.enumerated() {
            for (tenant, replica) in e.tenants {
                for (key, state) in oracle[tenant] ?? [:]
                where replica[key] != (state.store.isEmpty ? nil : state.store) {
                    return
                        "n\(i + 1) \(tenant)/\(key): has \(replica[key].map(String.init(describing:)) ?? "nothing"), "
                        + "every acknowledged write gives \(state.store)"
                }
                for key in replica.liveKeys where oracle[tenant]?[key] == nil {
                    return "n\(i + 1) \(tenant)/\(key): holds a value nobody wrote"
                }
            }
        }
        return nil
    }
}
