import LatticeCore

extension RepairMessage {
    static let infinityFlag: UInt8 = 0x80

    /// The wire encoding (see the type's documentation).
    public func encoded() -> [UInt8] {
        var w = ByteWriter(capacity: 16 + ranges.count * 12)
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
        case .fingerprint(let f): w.fixed64LittleEndian(f)
        case .items(let hashes):
            w.varint(hashes.count)
            for h in hashes { w.fixed64LittleEndian(h) }
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
        guard tag & ~(RepairMessage.infinityFlag | 3) == 0 else { throw r.error(.malformed, "range tag \(tag)") }
        let bound: RepairBound
        if tag & RepairMessage.infinityFlag != 0 {
            sawInfinity = true
            bound = .infinity
        } else {
            bound = .key(try nextBound(&r))
        }
        let payload = try decodePayload(tag & 3, &r)
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
        previous = bound
        return bound
    }

    mutating func decodePayload(_ kind: UInt8, _ r: inout ByteReader) throws(CodecError) -> RepairRange.Payload {
        switch kind {
        case 0: return .skip
        case 1: return .fingerprint(try r.fixed64LittleEndian("fingerprint"))
        case 2:
            let n = try r.count("range item count", max: RepairLimits.rangeItemsMax, minimumItemBytes: 8)
            items += n
            guard items <= RepairLimits.itemsPerMessageMax else {
                throw r.error(.limitExceeded, "message has over \(RepairLimits.itemsPerMessageMax) items")
            }
            var hashes: [UInt64] = []
            hashes.reserveCapacity(n)
            for _ in 0..<n { hashes.append(try r.fixed64LittleEndian("item hash")) }
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
