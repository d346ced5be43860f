import LatticeCore

/// A tenant's repair digest: every key (tombstones included) with the hash of its state,
/// sorted by the key's UTF-8 bytes, with range fingerprints for range-based set
/// reconciliation (Aljoscha Meyer, "Range-Based Set Reconciliation", SRDS 2023).
///
/// The item of a key is `itemHash(key, stateHash(state))`. The fingerprint of a key range
/// is two sums modulo the prime p = 2^24 - 3, packed in 48 bits: the low lane sums
/// `v = itemHash mod p` over the range's items, the high lane sums `locator(key) · v`.
/// Sums are incrementally maintainable, so a Fenwick tree over sorted positions gives any
/// range's fingerprint in O(log n); and they are linear, so when two sides' ranges differ
/// in one key only (a key one side lacks, or one key whose states differ), the lanes of
/// the fingerprint difference are `Δv` and `locator(key) · Δv`: their quotient names the
/// key (`RepairSession` uses this to resolve the range without descending to it).
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
    /// `locators[i]` is `locator(keys[i])`.
    private var locators: [UInt64]
    /// Fenwick tree (1-based) of lane sums (`Lanes`) of the items.
    private var tree: [UInt64]

    /// An empty index.
    public init() {
        keys = []
        itemHashes = []
        locators = []
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
        locators = sortedKeys.map(Self.locator)
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

    /// The key's locator: a hash of the key alone, reduced modulo `Lanes.prime`.
    static func locator(_ key: [UInt8]) -> UInt64 {
        SipHash24.repair.hash([0xff] + key) % Lanes.prime
    }

    /// The packed lanes of one item.
    static func lanes(itemHash: UInt64, locator: UInt64) -> UInt64 {
        let v = itemHash % Lanes.prime
        return Lanes.pack(v, locator * v % Lanes.prime)
    }

    /// The locator of the key at `position`.
    func locator(at position: Int) -> UInt64 { locators[position] }

    // MARK: Updates

    /// Records `state` for `key`, or removes the key when `state` is nil (purged).
    public mutating func update(_ key: String, state: KeyState?) {
        let k = Array(key.utf8)
        let i = position(of: k)
        let present = i < keys.count && keys[i] == k
        switch (present, state) {
        case (true, let s?):
            let h = Self.itemHash(key: k, stateHash: Self.stateHash(s))
            let old = Self.lanes(itemHash: itemHashes[i], locator: locators[i])
            add(Lanes.subtract(Self.lanes(itemHash: h, locator: locators[i]), old), at: i)
            itemHashes[i] = h
        case (false, let s?):
            keys.insert(k, at: i)
            itemHashes.insert(Self.itemHash(key: k, stateHash: Self.stateHash(s)), at: i)
            locators.insert(Self.locator(k), at: i)
            rebuildTree()
        case (true, nil):
            keys.remove(at: i)
            itemHashes.remove(at: i)
            locators.remove(at: i)
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

    /// The fingerprint of positions `range` (48 bits; 0 when empty). Two different sets
    /// agree on both lanes with probability about p^-2 = 2^-48 (random item hashes); peers
    /// are authenticated and repaired states are joined, so even a crafted collision can
    /// at most hide a difference, never alter data.
    public func fingerprint(_ range: Range<Int>) -> UInt64 {
        Lanes.subtract(prefixSum(range.upperBound), prefixSum(range.lowerBound))
    }

    private func prefixSum(_ n: Int) -> UInt64 {
        var sum: UInt64 = 0
        var i = n
        while i > 0 {
            sum = Lanes.add(sum, tree[i])
            i &= i - 1
        }
        return sum
    }

    private mutating func add(_ delta: UInt64, at position: Int) {
        var i = position + 1
        while i < tree.count {
            tree[i] = Lanes.add(tree[i], delta)
            i += i & -i
        }
    }

    private mutating func rebuildTree() {
        tree = [0] + zip(itemHashes, locators).map { Self.lanes(itemHash: $0, locator: $1) }
        for i in 1..<tree.count {
            let parent = i + (i & -i)
            if parent < tree.count { tree[parent] = Lanes.add(tree[parent], tree[i]) }
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

/// Two residues modulo `prime` packed in one word (low lane in bits 0-23, high lane in
/// bits 24-47), added and subtracted lane by lane.
enum Lanes {
    /// The largest prime below 2^24: each lane fits 24 bits, products of two fit 48.
    static let prime: UInt64 = 16_777_213
    static let laneBits: UInt64 = 24
    static let laneMask: UInt64 = (1 << 24) - 1

    static func pack(_ low: UInt64, _ high: UInt64) -> UInt64 { low | high << laneBits }
    static func low(_ x: UInt64) -> UInt64 { x & laneMask }
    static func high(_ x: UInt64) -> UInt64 { x >> laneBits & laneMask }

    static func add(_ a: UInt64, _ b: UInt64) -> UInt64 {
        pack((low(a) + low(b)) % prime, (high(a) + high(b)) % prime)
    }

    static func subtract(_ a: UInt64, _ b: UInt64) -> UInt64 {
        pack((low(a) + prime - low(b)) % prime, (high(a) + prime - high(b)) % prime)
    }

    /// Whether both lanes are residues (below `prime`): what a peer's fingerprint must be.
    static func isCanonical(_ x: UInt64) -> Bool {
        x >> (2 * laneBits) == 0 && low(x) < prime && high(x) < prime
    }

    /// a / b modulo `prime` (b non-zero), by Fermat: b^(p-2) is b's inverse.
    static func divide(_ a: UInt64, by b: UInt64) -> UInt64 {
        var result: UInt64 = 1
        var base = b % prime
        var e = prime - 2
        while e > 0 {
            if e & 1 == 1 { result = result * base % prime }
            base = base * base % prime
            e >>= 1
        }
        return a * result % prime
    }
}
