import LatticeCore

extension RepairMessage {
    static let infinityFlag: UInt8 = 0x80
    static let kindMask: UInt8 = 0x07

    /// The wire encoding (see the type's documentation).
    public func encoded() -> [UInt8] {
        var w = ByteWriter(capacity: 16 + ranges.count * 8 + syndromeCount * 4)
        w.byte(Self.formatVersion)
        w.varint(ranges.count)
        var previous: [UInt8] = []
        for r in ranges {
            switch r.upperBound {
            case .infinity:
                w.byte(r.payload.tag | Self.infinityFlag)
            case .key(let bound):
                w.byte(r.payload.tag)
                let shared = commonPrefixLength(previous, bound)
                w.varint(shared)
                w.lengthPrefixed(bound[shared...])
                previous = bound
            }
            encodePayload(r.payload, &w)
        }
        return w.bytes
    }

    private func encodePayload(_ p: RepairRange.Payload, _ w: inout ByteWriter) {
        switch p {
        case .skip: break
        case .strata(let items, let capacity, let levels):
            w.varint(items)
            w.varint(capacity)
            w.varint(levels.count)
            for level in levels { for s in level { w.u32(s) } }
        case .sketch(let first, let syndromes):
            w.varint(first)
            w.varint(syndromes.count)
            for s in syndromes { w.u32(s) }
        case .more(let first, let count):
            w.varint(first)
            w.varint(count)
        case .found(let positions):
            w.varint(positions.count)
            let rice = RiceCode.parameter(positions)
            w.byte(UInt8(rice))
            var bits = BitWriter()
            var previous = -1
            for p in positions {
                let gap = UInt64(p - previous - 1)
                for _ in 0..<(gap >> UInt64(rice)) { bits.append(true) }
                bits.append(false)
                for i in 0..<rice { bits.append(gap >> UInt64(i) & 1 == 1) }
                previous = p
            }
            w.raw(bits.bytes)
        }
    }

    /// Decodes untrusted bytes; throws `RepairError` (`.malformed`, `.limitExceeded`)
    /// for anything that is not exactly one canonical message within `RepairLimits`.
    public init(decoding bytes: some Collection<UInt8>) throws(RepairError) {
        var r = ByteReader(bytes)
        do throws(CodecError) {
            let version = try r.byte("repair message version")
            guard version == Self.formatVersion else {
                throw r.error(.unsupported, "repair message version \(version); this build reads \(Self.formatVersion)")
            }
            let n = try r.count("range count", max: RepairLimits.rangesPerMessageMax)
            var decoder = RangeDecoder()
            var ranges: [RepairRange] = []
            ranges.reserveCapacity(n)
            for _ in 0..<n { ranges.append(try decoder.next(&r)) }
            if ranges.last?.payload == .skip { throw r.error(.malformed, "a message must not end with a skip range") }
            guard r.isAtEnd else { throw r.error(.trailingBytes, "\(r.remaining) bytes after the last range") }
            self.init(ranges: ranges)
        } catch {
            throw RepairError(decoding: error)
        }
    }
}

/// Decodes consecutive ranges, checking order and per-message totals as it goes.
private struct RangeDecoder {
    var previous: [UInt8] = []
    var sawInfinity = false
    var previousWasSkip = false
    var syndromes = 0
    var asked = 0
    var found = 0

    mutating func next(_ r: inout ByteReader) throws(CodecError) -> RepairRange {
        let tag = try r.byte("range tag")
        guard !sawInfinity else { throw r.error(.malformed, "a range follows the infinity bound") }
        guard tag & ~(RepairMessage.infinityFlag | RepairMessage.kindMask) == 0, tag & RepairMessage.kindMask <= 4
        else {
            throw r.error(.malformed, "range tag \(tag)")
        }
        let bound: RepairBound
        if tag & RepairMessage.infinityFlag != 0 {
            sawInfinity = true
            bound = .infinity
        } else {
            bound = .key(try nextBound(&r))
        }
        let payload = try decodePayload(tag & RepairMessage.kindMask, &r)
        if payload == .skip && previousWasSkip { throw r.error(.malformed, "two adjacent skip ranges") }
        previousWasSkip = payload == .skip
        return RepairRange(upperBound: bound, payload: payload)
    }

    mutating func nextBound(_ r: inout ByteReader) throws(CodecError) -> [UInt8] {
        let shared = try r.varint("bound shared prefix")
        guard shared <= UInt64(previous.count) else {
            throw r.error(.malformed, "bound shares \(shared) bytes of a \(previous.count)-byte previous bound")
        }
        let suffix = try r.lengthPrefixed("bound suffix", max: CoreLimits.keyBytesMax - Int(shared))
        let bound = Array(previous[..<Int(shared)]) + suffix
        guard compareBytes(previous, bound) < 0 else { throw r.error(.malformed, "bounds are not increasing") }
        // One encoding per bound: it shares exactly its common prefix with the previous one.
        guard commonPrefixLength(previous, bound) == Int(shared) else {
            throw r.error(.malformed, "bound shares \(shared) bytes with the previous bound; it shares more")
        }
        previous = bound
        return bound
    }

    /// Counts `n` more syndromes against the message limit, before they are read.
    mutating func addSyndromes(_ n: Int, _ r: inout ByteReader) throws(CodecError) {
        syndromes += n
        guard syndromes <= RepairLimits.syndromesPerMessageMax else {
            throw r.error(.limitExceeded, "message has over \(RepairLimits.syndromesPerMessageMax) syndromes")
        }
        guard r.remaining >= 4 * n else { throw r.error(.truncated, "\(n) syndromes past the end of the message") }
    }

    mutating func decodePayload(_ kind: UInt8, _ r: inout ByteReader) throws(CodecError) -> RepairRange.Payload {
        switch kind {
        case 0:
            return .skip
        case 1:
            let items = try r.varint("strata item count")
            let capacity = try r.varint("strata capacity")
            guard (1...UInt64(RepairLimits.strataCapacityMax)).contains(capacity) else {
                throw r.error(
                    .limitExceeded,
                    "strata capacity \(capacity) is not in 1...\(RepairLimits.strataCapacityMax)"
                )
            }
            let levels = try r.varint("strata levels")
            guard (1...UInt64(RepairLimits.strataLevelsMax)).contains(levels) else {
                throw r.error(.limitExceeded, "strata levels \(levels) is not in 1...\(RepairLimits.strataLevelsMax)")
            }
            try addSyndromes(Int(capacity * levels), &r)
            var out: [[UInt32]] = []
            for _ in 0..<levels {
                var level: [UInt32] = []
                level.reserveCapacity(Int(capacity))
                for _ in 0..<capacity { level.append(try r.u32("strata syndrome")) }
                out.append(level)
            }
            return .strata(items: items, capacity: Int(capacity), levels: out)
        case 2:
            let (first, count) = try syndromeSpan(&r, "sketch")
            try addSyndromes(count, &r)
            var s: [UInt32] = []
            s.reserveCapacity(count)
            for _ in 0..<count { s.append(try r.u32("sketch syndrome")) }
            return .sketch(first: first, syndromes: s)
        case 3:
            let (first, count) = try syndromeSpan(&r, "more")
            asked += count
            guard asked <= RepairLimits.moreSyndromesPerMessageMax else {
                throw r.error(
                    .limitExceeded,
                    "message asks for over \(RepairLimits.moreSyndromesPerMessageMax) more syndromes"
                )
            }
            return .more(first: first, count: count)
        default:
            let n = try r.varint("found count")
            guard n >= 1 else { throw r.error(.malformed, "found with no positions") }
            guard n <= UInt64(RepairLimits.foundPerRangeMax) else {
                throw r.error(.limitExceeded, "found count \(n) is not in 1...\(RepairLimits.foundPerRangeMax)")
            }
            found += Int(n)
            guard found <= RepairLimits.foundPerMessageMax else {
                throw r.error(.limitExceeded, "message has over \(RepairLimits.foundPerMessageMax) found positions")
            }
            let rice = Int(try r.byte("found rice parameter"))
            guard rice < 32 else { throw r.error(.malformed, "found rice parameter \(rice) is over 31") }
            var bits = BitReader()
            var positions: [Int] = []
            positions.reserveCapacity(Int(n))
            var previous: UInt64 = UInt64.max  // -1
            for _ in 0..<n {
                var quotient: UInt64 = 0
                while try bits.next(&r) {
                    quotient += 1
                    guard quotient < 1 << 32 else { throw r.error(.malformed, "found gap over 2^32") }
                }
                var gap = quotient << UInt64(rice)
                for i in 0..<rice where try bits.next(&r) { gap |= 1 << UInt64(i) }
                let p = previous &+ 1 &+ gap
                guard p < 1 << 32 else { throw r.error(.malformed, "found position over 2^32") }
                positions.append(Int(p))
                previous = p
            }
            guard bits.restIsZero else { throw r.error(.malformed, "found padding bits are not zero") }
            guard RiceCode.parameter(positions) == rice else {
                throw r.error(.malformed, "found rice parameter \(rice) is not the canonical one")
            }
            return .found(positions)
        }
    }

    /// `first` and `count` of a sketch or more: count at least 1, within the capacity limit.
    private func syndromeSpan(_ r: inout ByteReader, _ what: String) throws(CodecError) -> (Int, Int) {
        let first = try r.varint("\(what) first syndrome")
        let count = try r.varint("\(what) syndrome count")
        guard count >= 1 else { throw r.error(.malformed, "\(what) of no syndromes") }
        guard first < UInt64(RepairLimits.sketchCapacityMax),
            count <= UInt64(RepairLimits.sketchCapacityMax) - first
        else {
            throw r.error(
                .limitExceeded,
                "\(what) of syndromes \(first) + \(count); a sketch holds 1...\(RepairLimits.sketchCapacityMax)"
            )
        }
        return (Int(first), Int(count))
    }
}

/// The Rice (Golomb power-of-two) code of `found` positions: each gap to the previous
/// position (minus one) as its quotient by 2^r in unary (ones, then a zero) and its low r
/// bits, least significant first, bits packed from each byte's least significant bit.
enum RiceCode {
    /// The canonical parameter: ⌊log2((last + 1) / count)⌋, 0 when that is below 1.
    static func parameter(_ positions: [Int]) -> Int {
        guard let last = positions.last, !positions.isEmpty else { return 0 }
        let q = (last + 1) / positions.count
        return q <= 1 ? 0 : Int.bitWidth - 1 - q.leadingZeroBitCount
    }
}

struct BitWriter {
    private(set) var bytes: [UInt8] = []
    private var used = 8

    mutating func append(_ bit: Bool) {
        if used == 8 {
            bytes.append(0)
            used = 0
        }
        if bit { bytes[bytes.count - 1] |= 1 << UInt8(used) }
        used += 1
    }
}

/// Reads bits from a `ByteReader`, a byte at a time, least significant first.
private struct BitReader {
    private var current: UInt8 = 0
    private var left = 0

    mutating func next(_ r: inout ByteReader) throws(CodecError) -> Bool {
        if left == 0 {
            current = try r.byte("found bits")
            left = 8
        }
        let bit = current & 1 == 1
        current >>= 1
        left -= 1
        return bit
    }

    /// Whether the unread bits of the last byte are zero.
    var restIsZero: Bool { current == 0 }
}

func commonPrefixLength(_ a: [UInt8], _ b: [UInt8]) -> Int {
    let n = min(a.count, b.count)
    var i = 0
    while i < n && a[i] == b[i] { i += 1 }
    return i
}

extension ByteWriter {
    fileprivate mutating func u32(_ value: UInt32) {
        for i in 0..<4 { byte(UInt8(truncatingIfNeeded: value >> (8 * UInt32(i)))) }
    }
}

extension ByteReader {
    fileprivate mutating func u32(_ what: String) throws(CodecError) -> UInt32 {
        let raw = try lengthFixed(4, what)
        var value: UInt32 = 0
        for (i, b) in raw.enumerated() { value |= UInt32(b) << (8 * UInt32(i)) }
        return value
    }
}
