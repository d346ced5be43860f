/// The hashes a repair session puts on the wire, and how it resolves a range that differs
/// by a single item without splitting it.
extension RepairSession {
    /// Item hashes travel as their low 48 bits (6 bytes instead of 8); fingerprints are 48
    /// bits by construction (`DigestIndex`).
    ///
    /// Why 48 bits is safe: a difference is missed only if two different sets of a range
    /// agree on 48 bits (about 2^-48 per comparison of differing ranges), if two different
    /// items of one small range agree on 48 bits, or if a range with several differences
    /// passes for one differing by a sole item of ours (both lanes must match that item:
    /// about range size / 2^48 per attempt). A session over 10^6 keys with 10^4 differences
    /// makes about 10^5 comparisons and attempts over at most ~10^7 positions: under 10^-7
    /// per session. A miss hides a difference until a write changes that range; it can
    /// never alter data (states are joined as CRDTs).
    static let hashMask: UInt64 = (1 << 48) - 1

    /// Ranges of at most this many items are searched directly for a located key; larger
    /// ones through `positionsByLocator` (built once per session, O(n), only on a difference).
    static let scanItemsMax = 64

    func wireFingerprint(_ positions: Range<Int>) -> UInt64 { index.fingerprint(positions) }

    func wireItems(_ positions: Range<Int>) -> [UInt64] {
        index.itemHashes[positions].map { $0 & Self.hashMask }
    }

    /// Refuses hashes that cannot come from a conforming peer (item hashes over 48 bits,
    /// fingerprint lanes that are not residues): comparing them with ours would make every
    /// range look different.
    static func checkHashWidths(_ message: RepairMessage) throws(RepairError) {
        for range in message.ranges {
            let valid: Bool
            switch range.payload {
            case .fingerprint(let f): valid = Lanes.isCanonical(f)
            case .items(let hashes): valid = hashes.allSatisfy { $0 <= hashMask }
            case .skip, .need: valid = true
            }
            guard valid else {
                throw RepairError(
                    .protocolViolation,
                    "a repair hash out of range arrived; the peer speaks another repair version, close the session"
                )
            }
        }
    }

    /// What the fingerprint difference of a range says, when it names one of our keys.
    enum Located {
        /// The range differs only by this item of ours, which the peer lacks.
        case soleExtra(Int)
        /// The difference names this key of ours, but not as a sole extra item: most likely
        /// its state differs on the two sides (or several differences fooled the quotient).
        case key(Int)
    }

    /// Reads `difference` (our fingerprint minus the peer's, lane by lane) as one differing
    /// key: the high lane over the low lane is its locator. A sole extra item of ours is
    /// confirmed by both lanes (48 bits); a located key is only a guess, checked by the
    /// split around it that the caller sends.
    mutating func locate(difference: UInt64, in own: Range<Int>) -> Located? {
        let dv = Lanes.low(difference)
        guard dv != 0, let p = position(locator: Lanes.divide(Lanes.high(difference), by: dv), in: own) else {
            return nil
        }
        return index.itemHashes[p] % Lanes.prime == dv ? .soleExtra(p) : .key(p)
    }

    private mutating func position(locator: UInt64, in own: Range<Int>) -> Int? {
        if own.count <= Self.scanItemsMax { return own.first { index.locator(at: $0) == locator } }
        if positionsByLocator == nil {
            var map: [UInt64: Int] = [:]
            map.reserveCapacity(index.count)
            for i in 0..<index.count { map[index.locator(at: i)] = i }
            positionsByLocator = map
        }
        guard let p = positionsByLocator?[locator], own.contains(p) else { return nil }
        return p
    }
}
