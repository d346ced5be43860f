import LatticeCore

/// One side of a digest repair (`Protocols/repair-v3.md`): set reconciliation over a
/// `DigestIndex` snapshot with sketches from which a difference can be read back
/// (`PinSketch`). Pure and sans-IO: a message goes in, the next message to send comes out.
///
/// Each item (a key with the hash of its state) gets a 32-bit id salted by the session, so a
/// hash coincidence that hides a difference in one session does not repeat in the next.
/// - The initiator's first message is a **strata** estimator of all its items: per level,
///   a small sketch of the items whose id hash falls in that level (half the items, a
///   quarter, …).
/// - The responder decodes the levels from the sparsest down. If all decode, it knows the
///   whole difference and answers with the positions of the initiator's items it lacks
///   (**found**). Else the levels that decoded estimate the difference's size, and it
///   answers with its key space cut into ranges expected to hold `differencesPerRange`
///   differences each, with a **sketch** of each.
/// - A side that receives a sketch adds its own: if the sum decodes, it knows the range's
///   difference (its own extra items become its to send; the peer's are answered with
///   **found**). If not, it asks for **more** syndromes of that range (kept, not resent),
///   and past `RepairLimits.sketchCapacityMax` splits the range into parts with sketches
///   of its own.
/// A side whose answer is empty sends `done`; the session ends on sending or receiving it.
/// Afterwards `keysToSend` on both sides together are the keys whose states differ or exist
/// on one side only (but for id coincidences, bounded in the specification §8.8).
///
/// Cost: about 4 bytes per differing item plus a few percent (a decode keeps one syndrome
/// as a check; extensions overshoot by part of a step), about 1 byte per position found, a
/// few bytes of bounds per range, and the strata (levels × capacity × 4 bytes, about 1.3 KB
/// at a million keys). Work: each item costs one field product per syndrome of its range.
public struct RepairSession: Sendable {
    /// Local tuning; each side may choose its own within `RepairLimits`.
    public struct Options: Hashable, Sendable {
        /// Syndromes per strata level of the first message.
        public var strataCapacity: Int
        /// Differences a range cut after an estimate is expected to hold.
        public var differencesPerRange: Int
        /// A range's first sketch holds this percentage of its expected differences (plus the
        /// check syndrome): below 100 trades a round for bytes, since extending is exact.
        public var initialCapacityPercent: Int
        /// A failed decode asks for this percentage of the syndromes it has (4 to 32).
        public var extensionPercent: Int

        /// Defaults measured by `lattice bench repair` (n = 1,000,000; see §8.9 of the
        /// specification for the figures).
        public init(
            strataCapacity: Int = 16,
            differencesPerRange: Int = 48,
            initialCapacityPercent: Int = 60,
            extensionPercent: Int = 15
        ) {
            self.strataCapacity = strataCapacity
            self.differencesPerRange = differencesPerRange
            self.initialCapacityPercent = initialCapacityPercent
            self.extensionPercent = extensionPercent
        }

        func validate() throws(RepairError) {
            let checks: [(String, Int, ClosedRange<Int>)] = [
                ("strataCapacity", strataCapacity, 2...RepairLimits.strataCapacityMax),
                ("differencesPerRange", differencesPerRange, 1...(RepairLimits.sketchCapacityMax - 1)),
                ("initialCapacityPercent", initialCapacityPercent, 10...400),
                ("extensionPercent", extensionPercent, 1...100),
            ]
            for (name, value, valid) in checks where !valid.contains(value) {
                throw RepairError(.invalidOptions, "\(name) \(value) must be in \(valid)")
            }
        }
    }

    enum Phase: Sendable { case idle, running, finished }

    /// A range whose sketches this side is decoding: the peer's syndromes so far, and ours.
    struct Pending: Sendable {
        var theirs: [UInt32]
        var ours: [UInt32]
    }

    struct RangeKey: Hashable, Sendable {
        var lower: [UInt8]
        var upper: RepairBound
    }

    public let index: DigestIndex
    public let options: Options
    /// Session item ids by position (`RepairIDs`), and their strata.
    let ids: [UInt32]
    let strata: [UInt8]
    private var phase = Phase.idle
    /// Positions in `index` whose states the peer lacks.
    private var toSend = Set<Int>()
    private var pending: [RangeKey: Pending] = [:]
    /// The peer's syndromes held in `pending`.
    private(set) var pendingSyndromes = 0
    /// Seeds the root finder's choices (`GF32Polynomial.distinctRoots`): a secret of this
    /// node, so a peer cannot craft differences that make our decoding slow.
    let rootSeed: UInt64
    public private(set) var roundsReceived = 0

    /// A session over `index`; `session` is the initiator's session id, which salts the item
    /// ids (both sides use the same).
    public init(
        index: DigestIndex,
        session: UInt64,
        options: Options = Options(),
        secret: UInt64 = 0
    ) throws(RepairError) {
        try options.validate()
        self.index = index
        self.options = options
        self.rootSeed = secret ^ session
        let hasher = RepairIDs.hasher(session: session)
        var ids = [UInt32]()
        var strata = [UInt8]()
        ids.reserveCapacity(index.count)
        strata.reserveCapacity(index.count)
        for h in index.itemHashes {
            let (id, stratum) = RepairIDs.id(itemHash: h, hasher)
            ids.append(id)
            strata.append(stratum)
        }
        self.ids = ids
        self.strata = strata
    }

    public var isFinished: Bool { phase == .finished }

    /// Our keys whose states the peer lacks or holds differently, in bytewise order.
    /// Complete once `isFinished`.
    public var keysToSend: [String] {
        toSend.sorted().map { String(decoding: index.keys[$0], as: UTF8.self) }
    }

    /// The initiator's first message: the strata of all its items.
    public mutating func start() throws(RepairError) -> RepairMessage {
        guard phase == .idle else { throw RepairError(.protocolViolation, "start() on a session already running") }
        phase = .running
        let levels = min(RepairLimits.strataLevelsMax, max(1, Int.bitWidth - index.count.leadingZeroBitCount + 1))
        let strata = ownStrata(0..<index.count, levels: levels, capacity: options.strataCapacity)
        return RepairMessage(ranges: [
            RepairRange(
                upperBound: .infinity,
                payload: .strata(items: UInt64(index.count), capacity: options.strataCapacity, levels: strata)
            )
        ])
    }

    /// Answers the peer's message. Returns the message to send (`.done` when nothing is
    /// left, which also finishes this side), or nil when the peer's message was `done`.
    public mutating func receive(_ message: RepairMessage) throws(RepairError) -> RepairMessage? {
        guard phase != .finished else {
            throw RepairError(.protocolViolation, "a message arrived after the session finished")
        }
        phase = .running
        roundsReceived += 1
        guard roundsReceived <= RepairLimits.roundsMax else {
            throw RepairError(
                .limitExceeded,
                "repair took over \(RepairLimits.roundsMax) rounds; fall back to a full sync"
            )
        }
        if message.isDone {
            phase = .finished
            return nil
        }
        let reply = try answer(message)
        if reply.isDone { phase = .finished }
        return reply
    }

    /// What an answer may still add: ranges beyond one per received range (a cut adds its
    /// parts but one), and syndromes beyond those kept for the `more` requests still to answer.
    struct Budget {
        var extraRanges: Int
        var syndromes: Int
    }

    private mutating func answer(_ message: RepairMessage) throws(RepairError) -> RepairMessage {
        var out = ResponseBuilder()
        var lower: [UInt8] = []
        var lo = 0
        // Each received range is answered with at most one range (its payload, or part of a
        // merged skip), so the answer holds at most as many ranges as the message plus the
        // extra parts of its cuts. Answers to `more` are at most what was asked, which the
        // codec bounds by `moreSyndromesPerMessageMax`; cuts share the rest.
        let asked = message.ranges.reduce(0) { n, r in
            if case .more(_, let count) = r.payload { return n + count }
            return n
        }
        var budget = Budget(
            extraRanges: RepairLimits.rangesPerMessageMax - message.ranges.count,
            syndromes: RepairLimits.syndromesPerMessageMax - asked
        )
        for range in message.ranges {
            let hi = position(of: range.upperBound)
            let key = RangeKey(lower: lower, upper: range.upperBound)
            try respond(to: range.payload, key, lo..<hi, &budget, into: &out)
            out.skip(to: range.upperBound)
            if case .key(let k) = range.upperBound { lower = k }
            lo = hi
        }
        return out.message
    }

    private func position(of bound: RepairBound) -> Int {
        switch bound {
        case .infinity: index.count
        case .key(let k): index.position(of: k)
        }
    }

    private mutating func respond(
        to payload: RepairRange.Payload,
        _ key: RangeKey,
        _ own: Range<Int>,
        _ budget: inout Budget,
        into out: inout ResponseBuilder
    ) throws(RepairError) {
        switch payload {
        case .skip:
            break
        case .strata(let items, let capacity, let levels):
            forget(key)
            let ours = ownStrata(own, levels: levels.count, capacity: capacity)
            var decoded: [(roots: [UInt32], level: Int)] = []
            var failed: Int?
            for j in levels.indices.reversed() {
                guard let r = PinSketch(syndromes: zip(levels[j], ours[j]).map { $0 ^ $1 }).decode(seed: rootSeed)
                else {
                    failed = j
                    break
                }
                decoded.append((r, j))
            }
            guard let failed else {
                resolved(decoded, levels: levels.count, key, own, into: &out)
                return
            }
            // The levels above the failed one hold 2^-(failed + 1) of the items. Counts are
            // capped (`estimateMax`): a peer's item count is a number it chose.
            let peerItems = Int(min(items, UInt64(Self.estimateMax)))
            let decodedCount = decoded.reduce(0) { $0 + $1.roots.count }
            var estimate = max(decodedCount, 1) << min(failed + 1, 32)
            if failed == levels.count - 1 { estimate = max(peerItems, own.count) }
            estimate = min(max(estimate, abs(peerItems - own.count)), Self.estimateMax)
            cut(own, key, expected: estimate, &budget, into: &out)
        case .sketch(let first, let syndromes):
            var p: Pending
            if first == 0 {
                p = Pending(theirs: syndromes, ours: ownSyndromes(own, first: 0, count: syndromes.count))
            } else {
                guard var existing = pending[key], existing.theirs.count == first else {
                    throw RepairError(
                        .protocolViolation,
                        "sketch syndromes from \(first) for a range where we hold \(pending[key]?.theirs.count ?? 0)"
                    )
                }
                existing.theirs += syndromes
                existing.ours += ownSyndromes(own, first: first, count: syndromes.count)
                p = existing
            }
            forget(key)
            if let roots = PinSketch(syndromes: zip(p.theirs, p.ours).map { $0 ^ $1 }).decode(seed: rootSeed) {
                resolved([(roots, 0)], levels: nil, key, own, into: &out)
                return
            }
            let total = p.theirs.count
            if total < RepairLimits.sketchCapacityMax {
                try keep(p, for: key)
                let step = min(max(4, (total * options.extensionPercent + 99) / 100), Self.extensionMax)
                out.emit(key.upper, .more(first: total, count: min(step, RepairLimits.sketchCapacityMax - total)))
                return
            }
            split(own, key, ours: p.ours, &budget, into: &out)
        case .more(let first, let count):
            out.emit(key.upper, .sketch(first: first, syndromes: ownSyndromes(own, first: first, count: count)))
        case .found(let positions):
            guard let last = positions.last, last < own.count else {
                throw RepairError(
                    .protocolViolation,
                    "found position \(positions.last ?? 0) in a range where we hold \(own.count) items"
                )
            }
            let byID = own.sorted { (ids[$0], $0) < (ids[$1], $1) }
            for p in positions { toSend.insert(byID[p]) }
        }
    }

    /// Keeps a range's syndromes until its next extension, within the session's bounds.
    private mutating func keep(_ p: Pending, for key: RangeKey) throws(RepairError) {
        guard pending.count < Self.pendingRangesMax,
            pendingSyndromes + p.theirs.count <= Self.pendingSyndromesMax
        else {
            throw RepairError(
                .protocolViolation,
                "the peer keeps over \(Self.pendingRangesMax) ranges or \(Self.pendingSyndromesMax) syndromes undecided"
            )
        }
        pending[key] = p
        pendingSyndromes += p.theirs.count
    }

    private mutating func forget(_ key: RangeKey) {
        if let old = pending.removeValue(forKey: key) { pendingSyndromes -= old.theirs.count }
    }

    /// A decoded difference of a range: our items among the roots are ours to send; the
    /// peer's are answered with their positions among the peer's items ordered by id, which
    /// we know: ours, less one of ours per root that is ours, plus the peer's. A root decoded
    /// from a strata level is ours only if one of our items with that id is in that level.
    private mutating func resolved(
        _ decoded: [(roots: [UInt32], level: Int)],
        levels: Int?,
        _ key: RangeKey,
        _ own: Range<Int>,
        into out: inout ResponseBuilder
    ) {
        guard decoded.contains(where: { !$0.roots.isEmpty }) else { return }
        struct Slot: Hashable {
            var id: UInt32
            var level: Int
        }
        func level(_ p: Int) -> Int { levels.map { min(Int(strata[p]), $0 - 1) } ?? 0 }
        var wanted = Set<Slot>()
        for (roots, l) in decoded { for r in roots { wanted.insert(Slot(id: r, level: l)) } }
        var mine: [Slot: [Int]] = [:]
        for p in own {
            let slot = Slot(id: ids[p], level: level(p))
            if wanted.contains(slot) { mine[slot, default: []].append(p) }
        }
        var theirs: [UInt32] = []
        var oursRemoved: [UInt32] = []
        for (roots, l) in decoded {
            for r in roots {
                if let positions = mine[Slot(id: r, level: l)] {
                    toSend.formUnion(positions)
                    oursRemoved.append(r)  // the peer holds one fewer item with this id than we do
                } else {
                    theirs.append(r)
                }
            }
        }
        guard !theirs.isEmpty else { return }
        let sortedOwn = own.map { ids[$0] }.sorted()
        oursRemoved.sort()
        theirs.sort()
        let found = theirs.enumerated().map { i, id in
            lowerBound(sortedOwn, id) - lowerBound(oursRemoved, id) + i
        }
        // Coincidences of ids can only make this model wrong, never invalid; should it be (a
        // crafted difference), the peer's items of this range are left to the next session.
        guard found.first! >= 0, zip(found, found.dropFirst()).allSatisfy({ $0 < $1 }) else { return }
        out.emit(key.upper, .found(found))
    }

    /// Cuts `own` into ranges expected to hold `differencesPerRange` of `expected`
    /// differences each, with a first sketch of each, within the answer's budget. Returns
    /// false, emitting nothing, when the budget allows fewer than `minimumParts` parts.
    @discardableResult
    private func cut(
        _ own: Range<Int>,
        _ key: RangeKey,
        expected: Int,
        minimumParts: Int = 1,
        _ budget: inout Budget,
        into out: inout ResponseBuilder
    ) -> Bool {
        let wanted = (expected + options.differencesPerRange - 1) / options.differencesPerRange
        let parts = max(1, min(wanted, own.count, budget.extraRanges + 1, Self.partsMax, budget.syndromes))
        guard parts >= minimumParts else { return false }
        let perPart = (expected + parts - 1) / parts
        let capacity = min(
            max(2, (perPart * options.initialCapacityPercent + 99) / 100 + 1),
            RepairLimits.sketchCapacityMax,
            budget.syndromes / parts
        )
        guard capacity >= 1 else { return false }
        budget.extraRanges -= parts - 1
        budget.syndromes -= parts * capacity
        emitParts(own, key, parts: parts, capacity: capacity, into: &out)
        return true
    }

    /// A range whose difference outgrew the largest sketch: cut it as for an estimate of
    /// twice that. Holding too few items to cut (or with no room left in the answer), send our
    /// own sketch instead (the syndromes we hold, as many as the budget allows), so that the
    /// peer, which holds the differing items, cuts it; with no syndromes left either, the range
    /// is left to the next session.
    private func split(
        _ own: Range<Int>,
        _ key: RangeKey,
        ours: [UInt32],
        _ budget: inout Budget,
        into out: inout ResponseBuilder
    ) {
        if cut(own, key, expected: 2 * RepairLimits.sketchCapacityMax, minimumParts: 2, &budget, into: &out) {
            return
        }
        let count = min(ours.count, budget.syndromes)
        guard count >= 1 else { return }
        budget.syndromes -= count
        out.emit(key.upper, .sketch(first: 0, syndromes: Array(ours.prefix(count))))
    }

    private func emitParts(
        _ own: Range<Int>,
        _ key: RangeKey,
        parts: Int,
        capacity: Int,
        into out: inout ResponseBuilder
    ) {
        var start = own.lowerBound
        for i in 1...parts {
            let ideal = own.lowerBound + own.count * i / parts
            let end =
                i == parts
                ? ideal
                : cheapCut(
                    near: ideal,
                    slack: own.count / parts / 2,
                    within: (start + 1)...(own.upperBound - (parts - i))
                )
            let bound: RepairBound =
                i == parts ? key.upper : .key(separator(after: index.keys[end - 1], upTo: index.keys[end]))
            out.emit(bound, .sketch(first: 0, syndromes: ownSyndromes(start..<end, first: 0, count: capacity)))
            start = end
        }
    }

    // MARK: Sketches of our items

    func ownSyndromes(_ own: Range<Int>, first: Int, count: Int) -> [UInt32] {
        var s = [UInt32](repeating: 0, count: count)
        for p in own { PinSketch.accumulate(ids[p], first: first, into: &s) }
        return s
    }

    func ownStrata(_ own: Range<Int>, levels: Int, capacity: Int) -> [[UInt32]] {
        var out = [[UInt32]](repeating: [UInt32](repeating: 0, count: capacity), count: levels)
        for p in own { PinSketch.accumulate(ids[p], first: 0, into: &out[min(Int(strata[p]), levels - 1)]) }
        return out
    }

    // MARK: Bounds

    /// A split position near `equal` whose bound is short, as prefix B-trees pick separators
    /// (Bayer and Unterauer, 1977): `equal` clamped into `allowed`, then among the positions of
    /// `allowed` at most `min(slack, cutSlackMax)` away from it, the one whose keys either side
    /// share the shortest prefix; the closest wins a tie, the lower of two equally close.
    /// *(local)*
    private func cheapCut(near equal: Int, slack: Int, within allowed: ClosedRange<Int>) -> Int {
        let ideal = min(max(equal, allowed.lowerBound), allowed.upperBound)
        let reach = min(slack, Self.cutSlackMax)
        guard reach > 0 else { return ideal }
        let keys = index.keys
        var best = ideal
        var bestShared = commonPrefixLength(keys[ideal - 1], keys[ideal])
        for distance in 1...reach {
            let below = ideal - distance
            if below >= allowed.lowerBound {
                let shared = commonPrefixLength(keys[below - 1], keys[below])
                if shared < bestShared { (best, bestShared) = (below, shared) }
            }
            let above = ideal + distance
            if above <= allowed.upperBound {
                let shared = commonPrefixLength(keys[above - 1], keys[above])
                if shared < bestShared { (best, bestShared) = (above, shared) }
            }
        }
        return best
    }

    /// How far a split may move from an equal split to find a shorter bound.
    static let cutSlackMax = 65_536
    /// A cut's parts: half the ranges of a message, so the answer to it has room to cut too.
    static let partsMax = RepairLimits.rangesPerMessageMax / 2
    /// Syndromes one `more` asks for: with at most 4,096 ranges a message's requests stay
    /// within `RepairLimits.moreSyndromesPerMessageMax`.
    static let extensionMax = RepairLimits.moreSyndromesPerMessageMax / RepairLimits.rangesPerMessageMax
    /// The largest difference an estimate claims (a peer's item count is its word).
    static let estimateMax = 1 << 40
    /// Ranges and peer syndromes a session keeps undecided: what a conforming peer reaches
    /// with two messages of the largest cut, far below what a looping peer would make us hold.
    static let pendingRangesMax = 4 * RepairLimits.rangesPerMessageMax
    static let pendingSyndromesMax = 4 * RepairLimits.syndromesPerMessageMax

    /// The shortest prefix of `next` that sorts after `previous` (`previous < next`).
    private func separator(after previous: [UInt8], upTo next: [UInt8]) -> [UInt8] {
        Array(next[..<(commonPrefixLength(previous, next) + 1)])
    }
}

/// Session item ids: SipHash-2-4 of the item hash keyed with the session id, its low 32 bits
/// the id (0 read as 1: sketches cannot hold 0) and the leading zeros of its high 32 bits
/// the stratum.
enum RepairIDs {
    /// The ASCII bytes "lattice-repair-3" as two little-endian words; k0 is XORed with the
    /// session id.
    static let k0: UInt64 = 0x2d65_6369_7474_616c
    static let k1: UInt64 = 0x332d_7269_6170_6572

    static func hasher(session: UInt64) -> SipHash24 { SipHash24(k0: k0 ^ session, k1: k1) }

    @inline(__always)
    static func id(itemHash: UInt64, _ hasher: SipHash24) -> (id: UInt32, stratum: UInt8) {
        let h = hasher.hash(word: itemHash)
        let low = UInt32(truncatingIfNeeded: h)
        return (low == 0 ? 1 : low, UInt8(UInt32(truncatingIfNeeded: h >> 32).leadingZeroBitCount))
    }
}

/// The first index of sorted `a` whose element is not below `x`.
private func lowerBound(_ a: [UInt32], _ x: UInt32) -> Int {
    var lo = 0
    var hi = a.count
    while lo < hi {
        let mid = (lo + hi) / 2
        if a[mid] < x { lo = mid + 1 } else { hi = mid }
    }
    return lo
}

/// Collects an answer's ranges, merging adjacent skips and dropping a trailing one.
struct ResponseBuilder {
    private(set) var ranges: [RepairRange] = []
    private var pendingSkip: RepairBound?

    mutating func skip(to bound: RepairBound) {
        if ranges.last?.upperBound == bound { return }
        pendingSkip = bound
    }

    mutating func emit(_ upper: RepairBound, _ payload: RepairRange.Payload) {
        if let s = pendingSkip, s < upper { ranges.append(RepairRange(upperBound: s, payload: .skip)) }
        pendingSkip = nil
        ranges.append(RepairRange(upperBound: upper, payload: payload))
    }

    var message: RepairMessage { RepairMessage(ranges: ranges) }
}
