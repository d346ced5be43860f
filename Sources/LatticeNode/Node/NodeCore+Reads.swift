import LatticeCore
import LatticeSync

// Reads answered inside the actor. Each returns only what was asked for: a caller that held
// a tenant's replica (its key dictionary) across the actor's next write would make that write
// copy the whole dictionary (copy-on-write), O(keys) per read under concurrent writes.
extension NodeCore {
    /// What a read found: `nil` when the tenant is not served here, else the key's value (or
    /// `nil` when absent or deleted).
    func value(tenant: String, key: String) -> CRDTValue?? {
        guard let replica = engine.tenants[tenant] else { return nil }
        return .some(replica[key])
    }

    /// Live keys of `tenant` starting with `prefix` and sorting after `after` (bytewise), in no
    /// particular order; `nil` when the tenant is not served here.
    func liveKeys(tenant: String, prefix: String, after: [UInt8]?) -> [String]? {
        guard let replica = engine.tenants[tenant] else { return nil }
        var out: [String] = []
        for (key, state) in replica.keys where !state.isTombstone && key.hasPrefix(prefix) {
            if let after, !after.lexicographicallyPrecedes(key.utf8) { continue }
            out.append(key)
        }
        return out
    }

    /// Counts and vectors of `tenant` for the admin socket; `nil` when it is not served here.
    func tenantSummary(_ tenant: String) -> (live: Int, tombstones: Int, complete: VersionVector)? {
        guard let replica = engine.tenants[tenant] else { return nil }
        let live = replica.keys.values.reduce(0) { $0 + ($1.isTombstone ? 0 : 1) }
        return (live, replica.keys.count - live, replica.complete)
    }
}
