import LatticeCore
import LatticeSync
import PropertyBased
import Testing

@Suite("Repair message codec")
struct RepairMessageCodecTests {
    static func sample() -> RepairMessage {
        RepairMessage(ranges: [
            RepairRange(upperBound: .key(Array("apple".utf8)), payload: .fingerprint(0x0102_0304_0506_0708)),
            RepairRange(upperBound: .key(Array("apricot".utf8)), payload: .skip),
            RepairRange(upperBound: .key(Array("b".utf8)), payload: .items([1, 2, 3])),
            RepairRange(
                upperBound: .key(Array("bz".utf8)),
                payload: .need([true, false, false, true, false, false, false, false, true])
            ),
            RepairRange(upperBound: .infinity, payload: .items([])),
        ])
    }

    @Test func sample_roundTrips() throws {
        let m = Self.sample()
        #expect(try RepairMessage(decoding: m.encoded()) == m)
        #expect(try RepairMessage(decoding: RepairMessage.done.encoded()) == .done)
    }

    @Test("every strict prefix of a valid message throws")
    func truncations_throw() {
        let bytes = Self.sample().encoded()
        for n in 0..<bytes.count {
            #expect(throws: RepairError.self, "prefix of \(n) bytes") { try RepairMessage(decoding: bytes[..<n]) }
        }
    }

    @Test("arbitrary bytes either throw or decode to a message that re-encodes to the same bytes")
    func arbitraryBytes_throwOrAreCanonical() async {
        await propertyCheck(count: 2_000, input: Gen<UInt64>.value()) { seed in
            var rng = SplitMix64(seed: seed)
            var bytes = (0..<Int.random(in: 0...40, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if Bool.random(using: &rng) { bytes.insert(RepairMessage.formatVersion, at: 0) }
            if let m = try? RepairMessage(decoding: bytes) {
                #expect(m.encoded() == bytes, "seed \(seed)")
            }
        }
    }

    @Test("single-byte corruptions of a valid message throw or stay canonical")
    func corruptions_throwOrAreCanonical() {
        let bytes = Self.sample().encoded()
        for i in bytes.indices {
            for flip: UInt8 in [0x01, 0x80, 0xff] {
                var b = bytes
                b[i] ^= flip
                if let m = try? RepairMessage(decoding: b) { #expect(m.encoded() == b, "byte \(i) ^ \(flip)") }
            }
        }
    }

    static func expectCode(_ code: RepairError.Code, _ bytes: [UInt8], _ comment: Comment) {
        let error = #expect(throws: RepairError.self, comment) { try RepairMessage(decoding: bytes) }
        #expect(error?.code == code, comment)
    }

    @Test func invalidMessages_throwNamedCodes() {
        Self.expectCode(.malformed, [2, 0], "unknown version")
        Self.expectCode(.malformed, [1, 0, 0], "trailing bytes")
        Self.expectCode(.limitExceeded, [1, 0xff, 0xff, 0x7f], "range count over the limit")
        // Bounds "b" then "a": not increasing.
        Self.expectCode(
            .malformed,
            [1, 2, 1, 0, 1, 0x62, 0, 0, 0, 1, 0x61, 0, 0, 0, 0, 0, 0, 0, 0],
            "bounds out of order"
        )
        Self.expectCode(.malformed, [1, 1, 0, 0, 0], "empty first bound")
        Self.expectCode(.malformed, [1, 1, 0, 0, 1, 0x61], "trailing skip")
        Self.expectCode(.malformed, [1, 2, 0x80, 0x80], "a range after infinity")
        Self.expectCode(.malformed, [1, 1, 0x84], "unknown tag bits")
        Self.expectCode(.malformed, [1, 1, 0x83, 3, 0xff], "need bits past the bitmap length")
        Self.expectCode(.limitExceeded, [1, 1, 0x82, 0x81, 0x02], "items in a range over the limit")
        Self.expectCode(.limitExceeded, [1, 1, 0x83, 0x81, 0x02], "need bits over the limit")
        Self.expectCode(.malformed, [1, 1, 0x82, 5, 0, 0], "item count larger than the input")
    }

    @Test func itemsPerMessage_areBounded() {
        var w = ByteWriter()
        w.byte(1)
        let perRange = RepairLimits.rangeItemsMax
        let ranges = RepairLimits.itemsPerMessageMax / perRange + 1
        w.varint(ranges)
        for i in 0..<ranges {
            w.byte(2)
            w.varint(0)  // shares nothing with the previous bound
            w.lengthPrefixed([UInt8(i)] + [1])
            w.varint(perRange)
            for _ in 0..<perRange { w.fixed64LittleEndian(7) }
        }
        let error = #expect(throws: RepairError.self) { try RepairMessage(decoding: w.bytes) }
        #expect(error?.code == .limitExceeded)
    }
}
