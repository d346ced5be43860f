import LatticeCore

extension RepairMessage {
    static let infinityFlag: UInt8 = 0x80
    /// Tag bits 2-4 hold the byte width of the range's hashes, minus one.
    static let widthShift: UInt8 = 2
    static let widthMask: UInt8 = 0x1c

    /// The wire encoding (see the type's documentation).
    public func encoded() -> [UInt8] {
        var w = ByteWriter(capacity: 16 + ranges.count * 10)
        w.byte(Self.formatVersion)
        w.varint(ranges.count)
        var previous: [UInt8] = []
        for r in ranges {
            let width = r.payload.hashWidth
            let tag = r.payload.tag | UInt8(width - 1) << Self.widthShift
            switch r.upperBound {
            case .infinity:
                w.byte(tag | Self.infinityFlag)
            case .key(let bound):
                w.byte(tag)
                let shared = commonPrefixLength(previous, bound)
                w.varint(shared)
                w.lengthPrefixed(bound[shared...])
                previous = bound
            }
            encodePayload(r.payload, width: width, &w)
        }
        return w.bytes
    }

    private func encodePayload(_ p: RepairRange.Payload, width: Int, _ w: inout ByteWriter) {
        switch p {
        case .skip: break
        case .fingerprint(let f): w.littleEndian(f, width: width)
        case .items(let hashes):
            w.varint(hashes.count)
            for h in hashes { w.littleEndian(h, width: width) }
        case .need(let bits):
            w.varint(bits.count)
            var byte: UInt8 = 0
            for (i, b) in bits.enumerated() {
                if b { byte |= 1 << UInt8(i % 8) }
                if i % 8 == 7 || i == bits.count - 1 {
                    w.byte(byte)
                    byte = 0
                }
            }
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
    var items = 0

    mutating func next(_ r: inout ByteReader) throws(CodecError) -> RepairRange {
        let tag = try r.byte("range tag")
        guard !sawInfinity else { throw r.error(.malformed, "a range follows the infinity bound") }
        guard tag & ~(RepairMessage.infinityFlag | RepairMessage.widthMask | 3) == 0 else {
            throw r.error(.malformed, "range tag \(tag)")
        }
        let bound: RepairBound
        if tag & RepairMessage.infinityFlag != 0 {
            sawInfinity = true
            bound = .infinity
        } else {
            bound = .key(try nextBound(&r))
        }
        let width = Int((tag & RepairMessage.widthMask) >> RepairMessage.widthShift) + 1
        let payload = try decodePayload(tag & 3, width: width, &r)
        guard payload.hashWidth == width else {
            throw r.error(.malformed, "hash width \(width) is not the least that holds the range's hashes")
        }
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

    mutating func decodePayload(
        _ kind: UInt8,
        width: Int,
        _ r: inout ByteReader
    ) throws(CodecError) -> RepairRange.Payload {
        switch kind {
        case 0: return .skip
        case 1: return .fingerprint(try r.littleEndian(width: width, "fingerprint"))
        case 2:
            let n = try r.count("range item count", max: RepairLimits.rangeItemsMax, minimumItemBytes: width)
            items += n
            guard items <= RepairLimits.itemsPerMessageMax else {
                throw r.error(.limitExceeded, "message has over \(RepairLimits.itemsPerMessageMax) items")
            }
            var hashes: [UInt64] = []
            hashes.reserveCapacity(n)
            for _ in 0..<n { hashes.append(try r.littleEndian(width: width, "item hash")) }
            return .items(hashes)
        default:
            let n = try r.varint("need bit count")
            guard n <= UInt64(RepairLimits.rangeItemsMax) else {
                throw r.error(.limitExceeded, "need bitmap of \(n) bits; the limit is \(RepairLimits.rangeItemsMax)")
            }
            let raw = try r.lengthFixed((Int(n) + 7) / 8, "need bitmap")
            let bits = (0..<Int(n)).map { raw[raw.startIndex + $0 / 8] & (1 << UInt8($0 % 8)) != 0 }
            if n % 8 != 0, let last = raw.last, last >> UInt8(n % 8) != 0 {
                throw r.error(.malformed, "need bitmap has bits set past its length")
            }
            return .need(bits)
        }
    }
}

func commonPrefixLength(_ a: [UInt8], _ b: [UInt8]) -> Int {
    let n = min(a.count, b.count)
    var i = 0
    while i < n && a[i] == b[i] { i += 1 }
    return i
}

extension RepairRange.Payload {
    /// Bytes each hash of this payload takes on the wire: the fewest that hold its largest
    /// hash (at least one; one for payloads without hashes). One width per range keeps the
    /// encoding canonical and lets a sender shorten hashes without a format change.
    var hashWidth: Int {
        let largest: UInt64
        switch self {
        case .fingerprint(let f): largest = f
        case .items(let hashes): largest = hashes.max() ?? 0
        case .skip, .need: largest = 0
        }
        return max(1, (UInt64.bitWidth - largest.leadingZeroBitCount + 7) / 8)
    }
}

extension ByteWriter {
    /// The low `width` bytes of `value`, least significant first.
    fileprivate mutating func littleEndian(_ value: UInt64, width: Int) {
        for i in 0..<width { byte(UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))) }
    }
}

extension ByteReader {
    /// A `width`-byte little-endian unsigned integer (`width` in 1...8).
    fileprivate mutating func littleEndian(width: Int, _ what: String) throws(CodecError) -> UInt64 {
        let raw = try lengthFixed(width, what)
        var value: UInt64 = 0
        for (i, b) in raw.enumerated() { value |= UInt64(b) << (8 * UInt64(i)) }
        return value
    }
}
