import LatticeCore

/// One side of a digest repair: range-based set reconciliation (Meyer, "Range-Based Set
/// Reconciliation", SRDS 2023) over a `DigestIndex` snapshot. Pure and sans-IO: a
/// message goes in, the next message to send comes out.
///
/// The initiator calls `start()`; the responder begins with `receive(_:)`. Each side
/// answers every range of the peer's message:
/// - `fingerprint`: equal to ours — skip. Else the difference of the two fingerprints
///   may name one of our keys (`DigestIndex`): if the range differs only by that item of
///   ours, it becomes ours to send and the range is done; if it names a key of ours
///   otherwise, we answer the range cut around that key (its item alone, fingerprints
///   either side). Else our items if we hold at most `itemsThreshold` there, else our
///   range split into `branching` parts by our own key positions, each with its
///   fingerprint (parts of at most one item as items).
/// - `items`: our items the peer lacks become ours to send; peer items we lack are
///   answered with a `need` bitmap, which makes them the peer's to send.
/// - `need`: the marked items we listed become ours to send.
/// A side whose answer is empty sends `done`; the session ends on sending or receiving
/// it. Afterwards `keysToSend` on both sides together are exactly the keys whose states
/// differ or exist on one side only; each side sends those states.
///
/// Cost: ranges are split until each holds about one difference, which the fingerprints
/// then name: O(branching · d) ranges plus a few per difference, not O(d · log n). A message is cut at the local budget:
/// the rest of the key space is then sent as one fingerprint and resolved next round.
public struct RepairSession: Sendable {
    /// Local tuning; each side may choose its own within `RepairLimits`.
    public struct Options: Hashable, Sendable {
        /// Parts a mismatching range is split into.
        public var branching: Int
        /// A mismatching range holding at most this many of our items is answered with them.
        public var itemsThreshold: Int
        /// Budget of one outgoing message.
        public var rangesPerMessage: Int
        public var itemsPerMessage: Int

        /// Defaults measured by `lattice bench repair` (n = 1,000,000, splits at short bounds):
        /// total bytes at d = 100 for branching 2, 3, 4 and 8 were 5.6, 5.3, 5.7 and 7.2 KB,
        /// and at d = 10,000 471, 470, 576 and 738 KB; branching 3 takes 13 messages at
        /// d = 100 where 4 takes 10. The items threshold barely matters (leaves are mostly
        /// reached by a located key).
        public init(
            branching: Int = 3,
            itemsThreshold: Int = 4,
            rangesPerMessage: Int = RepairLimits.rangesPerMessageMax,
            itemsPerMessage: Int = RepairLimits.itemsPerMessageMax
        ) {
            self.branching = branching
            self.itemsThreshold = itemsThreshold
            self.rangesPerMessage = rangesPerMessage
            self.itemsPerMessage = itemsPerMessage
        }

        /// Room an answer keeps before answering one more range: that answer (a split into
        /// `branching` parts, or a cut around a key: three ranges) with the skip before it, then
        /// the skip and the fingerprint of a cut.
        var rangesReserved: Int { max(branching, 3) + 3 }

        func validate() throws(RepairError) {
            guard (2...RepairLimits.branchingMax).contains(branching) else {
                throw RepairError(.invalidOptions, "branching \(branching) must be in 2...\(RepairLimits.branchingMax)")
            }
            guard (0...RepairLimits.rangeItemsMax).contains(itemsThreshold) else {
                throw RepairError(
                    .invalidOptions,
                    "itemsThreshold \(itemsThreshold) must be in 0...\(RepairLimits.rangeItemsMax)"
                )
            }
            guard (rangesReserved...RepairLimits.rangesPerMessageMax).contains(rangesPerMessage) else {
                throw RepairError(
                    .invalidOptions,
                    "rangesPerMessage \(rangesPerMessage) must be in \(rangesReserved)...\(RepairLimits.rangesPerMessageMax)"
                )
            }
            guard (max(itemsThreshold, branching)...RepairLimits.itemsPerMessageMax).contains(itemsPerMessage) else {
                throw RepairError(
                    .invalidOptions,
                    "itemsPerMessage \(itemsPerMessage) must be in \(max(itemsThreshold, branching))...\(RepairLimits.itemsPerMessageMax)"
                )
            }
        }
    }

    enum Phase: Sendable { case idle, running, finished }

    public let index: DigestIndex
    public let options: Options
    private var phase = Phase.idle
    /// Positions in `index` whose states the peer lacks.
    private var toSend = Set<Int>()
    /// Positions by key locator, built on the first difference in a large range.
    var positionsByLocator: [UInt64: Int]?
    public private(set) var roundsReceived = 0

    public init(index: DigestIndex, options: Options = Options()) throws(RepairError) {
        try options.validate()
        self.index = index
        self.options = options
    }

    public var isFinished: Bool { phase == .finished }

    /// Our keys whose states the peer lacks or holds differently, in bytewise order.
    /// Complete once `isFinished`.
    public var keysToSend: [String] {
        toSend.sorted().map { String(decoding: index.keys[$0], as: UTF8.self) }
    }

    /// The initiator's first message: the whole key space, split or as items.
    public mutating func start() throws(RepairError) -> RepairMessage {
        guard phase == .idle else { throw RepairError(.protocolViolation, "start() on a session already running") }
        phase = .running
        var out = ResponseBuilder()
        resolveMismatch(0..<index.count, lower: [], upper: .infinity, into: &out)
        return out.message
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

    private mutating func answer(_ message: RepairMessage) throws(RepairError) -> RepairMessage {
        try Self.checkHashWidths(message)
        var out = ResponseBuilder()
        var lower: [UInt8] = []
        var lo = 0
        var cut: Int?
        for range in message.ranges {
            let hi = position(of: range.upperBound)
            if case .need(let bits) = range.payload {
                try markNeeded(bits, lo..<hi)
            } else if cut == nil && range.payload != .skip {
                if out.ranges.count + options.rangesReserved > options.rangesPerMessage
                    || out.items + max(options.itemsThreshold, options.branching) > options.itemsPerMessage
                {
                    cut = lo
                } else {
                    respond(to: range, lo..<hi, lower: lower, into: &out)
                }
            }
            if cut == nil { out.skip(to: range.upperBound) }
            if case .key(let k) = range.upperBound { lower = k }
            lo = hi
        }
        if let cut { out.emit(.infinity, .fingerprint(wireFingerprint(cut..<index.count))) }
        return out.message
    }

    private func position(of bound: RepairBound) -> Int {
        switch bound {
        case .infinity: index.count
        case .key(let k): index.position(of: k)
        }
    }

    private mutating func respond(
        to range: RepairRange,
        _ own: Range<Int>,
        lower: [UInt8],
        into out: inout ResponseBuilder
    ) {
        switch range.payload {
        case .fingerprint(let theirs):
            let mine = index.fingerprint(own)
            guard theirs != mine else { return }
            switch locate(difference: Lanes.subtract(mine, theirs), in: own) {
            case .soleExtra(let p): toSend.insert(p)  // the range differs by this item of ours only
            case .key(let p): split(own, around: p, lower: lower, upper: range.upperBound, into: &out)
            case nil: resolveMismatch(own, lower: lower, upper: range.upperBound, into: &out)
            }
        case .items(let theirs):
            let their = Set(theirs)
            for i in own where !their.contains(index.itemHashes[i] & Self.hashMask) { toSend.insert(i) }
            let ours = Set(index.itemHashes[own].lazy.map { $0 & Self.hashMask })
            let bits = theirs.map { !ours.contains($0) }
            if bits.contains(true) { out.emit(range.upperBound, .need(bits)) }
        case .skip, .need:
            break
        }
    }

    private mutating func markNeeded(_ bits: [Bool], _ own: Range<Int>) throws(RepairError) {
        guard bits.count == own.count else {
            throw RepairError(
                .protocolViolation,
                "need bitmap of \(bits.count) bits for a range where we listed \(own.count) items"
            )
        }
        for (i, needed) in zip(own, bits) where needed { toSend.insert(i) }
    }

    /// Our answer to a range whose fingerprints differ: our items, or our range split.
    private func resolveMismatch(_ own: Range<Int>, lower: [UInt8], upper: RepairBound, into out: inout ResponseBuilder)
    {
        if own.count <= options.itemsThreshold {
            out.emit(upper, .items(wireItems(own)))
            return
        }
        let parts = min(options.branching, own.count)
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
                i == parts ? upper : .key(separator(after: index.keys[end - 1], upTo: index.keys[end]))
            let part = start..<end
            out.emit(
                bound,
                part.count <= 1 ? .items(wireItems(part)) : .fingerprint(wireFingerprint(part))
            )
            start = end
        }
    }

    /// Our answer to a range whose fingerprint difference names our key at `p`: the range
    /// cut around that key, the key's item alone in the middle and fingerprints on either
    /// side. When the key is the only difference the sides agree at once; when the guess
    /// was wrong, the side ranges still differ and are resolved as usual (each smaller).
    private func split(
        _ own: Range<Int>,
        around p: Int,
        lower: [UInt8],
        upper: RepairBound,
        into out: inout ResponseBuilder
    ) {
        let keys = index.keys
        if p > own.lowerBound {
            let left = own.lowerBound..<p
            out.emit(.key(separator(after: keys[p - 1], upTo: keys[p])), .fingerprint(wireFingerprint(left)))
        }
        guard p + 1 < own.upperBound else {
            out.emit(upper, .items(wireItems(p..<p + 1)))
            return
        }
        out.emit(.key(separator(after: keys[p], upTo: keys[p + 1])), .items(wireItems(p..<p + 1)))
        out.emit(upper, .fingerprint(wireFingerprint(p + 1..<own.upperBound)))
    }

    /// A split position near `equal` whose bound is short, as prefix B-trees pick separators
    /// (Bayer and Unterauer, 1977): `equal` clamped into `allowed`, then among the positions of
    /// `allowed` at most `min(slack, cutSlackMax)` away from it, the one whose keys either side
    /// share the shortest prefix; the closest wins a tie, the lower of two equally close. With
    /// `slack` half a part, every part keeps between half and one and a half of an equal share,
    /// and a bound such as "user/0025" replaces "user/00249731". *(local)*
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

    /// How far a split may move from an equal split to find a shorter bound: bounds the scan
    /// (one common-prefix comparison per position) at the top of a large index.
    static let cutSlackMax = 65_536

    /// The shortest prefix of `next` that sorts after `previous` (`previous < next`): a
    /// bound that splits our keys exactly between the two, in as few bytes as possible.
    private func separator(after previous: [UInt8], upTo next: [UInt8]) -> [UInt8] {
        Array(next[..<(commonPrefixLength(previous, next) + 1)])
    }
}

/// Collects an answer's ranges, merging adjacent skips and dropping a trailing one.
struct ResponseBuilder {
    private(set) var ranges: [RepairRange] = []
    private var pendingSkip: RepairBound?
    private(set) var items = 0

    mutating func skip(to bound: RepairBound) {
        if ranges.last?.upperBound == bound { return }
        pendingSkip = bound
    }

    mutating func emit(_ upper: RepairBound, _ payload: RepairRange.Payload) {
        if let s = pendingSkip, s < upper { ranges.append(RepairRange(upperBound: s, payload: .skip)) }
        pendingSkip = nil
        if case .items(let h) = payload { items += h.count }
        ranges.append(RepairRange(upperBound: upper, payload: payload))
    }

    var message: RepairMessage { RepairMessage(ranges: ranges) }
}
