import LatticeCore

/// A tenant's repair items: every key (tombstones included) with the hash of its state,
/// sorted by the key's UTF-8 bytes. A repair session (`RepairSession`) takes one as its
/// snapshot and sketches ranges of it.
///
/// The item of a key is `itemHash(key, stateHash(state))`: equal states under equal keys give
/// equal items on every node. Complexity of this in-memory index (honestly): building from
/// sorted items O(n); locating a bound O(log n) comparisons; changing the state of an existing
/// key O(1) after the lookup; inserting or removing a key O(n) (array shift).
public struct DigestIndex: Sendable {
    /// Keys as UTF-8 bytes, strictly increasing bytewise.
    public private(set) var keys: [[UInt8]]
    /// `itemHashes[i]` belongs to `keys[i]`.
    public private(set) var itemHashes: [UInt64]

    /// An empty index.
    public init() {
        keys = []
        itemHashes = []
    }

    /// An index over items already sorted by key bytes, keys unique (checked).
    public init(sortedKeys: [[UInt8]], itemHashes: [UInt64]) {
        precondition(sortedKeys.count == itemHashes.count, "one item hash per key")
        for i in sortedKeys.indices.dropFirst() {
            precondition(compareBytes(sortedKeys[i - 1], sortedKeys[i]) < 0, "keys must be sorted and unique")
        }
        keys = sortedKeys
        self.itemHashes = itemHashes
    }

    /// The index of every key (tombstones included) of `replica`.
    public init(_ replica: TenantReplica) {
        let items = replica.keys.map { key, state in
            (key: Array(key.utf8), hash: Self.itemHash(key: Array(key.utf8), stateHash: Self.stateHash(state)))
        }.sorted { compareBytes($0.key, $1.key) < 0 }
        self.init(sortedKeys: items.map(\.key), itemHashes: items.map(\.hash))
    }

    public var count: Int { keys.count }

    // MARK: Hashes

    /// The digest of one key's state: SipHash-2-4 of the canonical encoding of its value
    /// followed by the canonical encoding of its key version (as a causal context).
    /// Equal states encode to identical bytes (`CRDTCodec`), so equal states hash equal.
    public static func stateHash(_ state: KeyState) -> UInt64 {
        var bytes = CRDTCodec.encode(state.value)
        bytes += CRDTCodec.encode(CausalContext(vector: state.version))
        return SipHash24.repair.hash(bytes)
    }

    /// The reconciled item: the key (length-prefixed) bound to its state hash.
    public static func itemHash(key: [UInt8], stateHash: UInt64) -> UInt64 {
        var w = ByteWriter(capacity: key.count + 10)
        w.lengthPrefixed(key)
        w.fixed64LittleEndian(stateHash)
        return SipHash24.repair.hash(w.bytes)
    }

    // MARK: Updates

    /// Records `state` for `key`, or removes the key when `state` is nil (purged).
    public mutating func update(_ key: String, state: KeyState?) {
        let k = Array(key.utf8)
        let i = position(of: k)
        let present = i < keys.count && keys[i] == k
        switch (present, state) {
        case (true, let s?):
            itemHashes[i] = Self.itemHash(key: k, stateHash: Self.stateHash(s))
        case (false, let s?):
            keys.insert(k, at: i)
            itemHashes.insert(Self.itemHash(key: k, stateHash: Self.stateHash(s)), at: i)
        case (true, nil):
            keys.remove(at: i)
            itemHashes.remove(at: i)
        case (false, nil):
            return
        }
    }

    // MARK: Queries

    /// The first position whose key is at or above `bound` (bytewise).
    public func position(of bound: [UInt8]) -> Int {
        var lo = 0
        var hi = keys.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if compareBytes(keys[mid], bound) < 0 { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}

/// Bytewise comparison: negative, zero or positive.
func compareBytes(_ a: [UInt8], _ b: [UInt8]) -> Int {
    let n = min(a.count, b.count)
    var i = 0
    while i < n {
        if a[i] != b[i] { return a[i] < b[i] ? -1 : 1 }
        i += 1
    }
    return a.count - b.count
}
