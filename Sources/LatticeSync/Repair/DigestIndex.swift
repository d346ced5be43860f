import LatticeCore

/// A tenant's repair digest: every key (tombstones included) with the hash of its state,
/// sorted by the key's UTF-8 bytes, with range fingerprints for range-based set
/// reconciliation (Aljoscha Meyer, "Range-Based Set Reconciliation", SRDS 2023).
///
/// The item of a key is `itemHash(key, stateHash(state))`; the fingerprint of a key range
/// is a hash of the wrapping sum (mod 2^64) of its item hashes and its item count. A sum
/// is incrementally maintainable, so a Fenwick tree over sorted positions gives any
/// range's fingerprint in O(log n).
///
/// Complexity of this in-memory index (honestly): building from sorted items O(n);
/// fingerprint of a range O(log n); locating a bound O(log n) comparisons; changing the
/// state of an existing key O(log n); inserting or removing a key O(n) (array shift and
/// Fenwick rebuild). The LMDB store is expected to keep the same sums in a B-tree's
/// interior pages (O(log n) for every update); the protocol only needs `fingerprint`.
public struct DigestIndex: Sendable {
    /// Keys as UTF-8 bytes, strictly increasing bytewise.
    public private(set) var keys: [[UInt8]]
    /// `itemHashes[i]` belongs to `keys[i]`.
    public private(set) var itemHashes: [UInt64]
    /// Fenwick tree (1-based) of wrapping sums of `itemHashes`.
    private var tree: [UInt64]

    /// An empty index.
    public init() {
        keys = []
        itemHashes = []
        tree = [0]
    }

    /// An index over items already sorted by key bytes, keys unique (checked).
    public init(sortedKeys: [[UInt8]], itemHashes: [UInt64]) {
        precondition(sortedKeys.count == itemHashes.count, "one item hash per key")
        for i in sortedKeys.indices.dropFirst() {
            precondition(compareBytes(sortedKeys[i - 1], sortedKeys[i]) < 0, "keys must be sorted and unique")
        }
        keys = sortedKeys
        self.itemHashes = itemHashes
        tree = []
        rebuildTree()
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

    /// Hash of a range's (wrapping sum, count): distinguishes sets whose sums collide
    /// only by chance, and makes the empty range's fingerprint a fixed non-zero value.
    static func fingerprint(sum: UInt64, count: Int) -> UInt64 {
        var w = ByteWriter(capacity: 18)
        w.fixed64LittleEndian(sum)
        w.varint(count)
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
            let h = Self.itemHash(key: k, stateHash: Self.stateHash(s))
            add(h &- itemHashes[i], at: i)
            itemHashes[i] = h
        case (false, let s?):
            keys.insert(k, at: i)
            itemHashes.insert(Self.itemHash(key: k, stateHash: Self.stateHash(s)), at: i)
            rebuildTree()
        case (true, nil):
            keys.remove(at: i)
            itemHashes.remove(at: i)
            rebuildTree()
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

    /// The fingerprint of positions `range`.
    public func fingerprint(_ range: Range<Int>) -> UInt64 {
        Self.fingerprint(sum: prefixSum(range.upperBound) &- prefixSum(range.lowerBound), count: range.count)
    }

    private func prefixSum(_ n: Int) -> UInt64 {
        var sum: UInt64 = 0
        var i = n
        while i > 0 {
            sum &+= tree[i]
            i &= i - 1
        }
        return sum
    }

    private mutating func add(_ delta: UInt64, at position: Int) {
        var i = position + 1
        while i < tree.count {
            tree[i] &+= delta
            i += i & -i
        }
    }

    private mutating func rebuildTree() {
        tree = [0] + itemHashes
        for i in 1..<tree.count {
            let parent = i + (i & -i)
            if parent < tree.count { tree[parent] &+= tree[i] }
        }
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
