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
        Self.expectCode(.malformed, [3, 0], "unknown version")
        Self.expectCode(.malformed, [2, 0, 0], "trailing bytes")
        Self.expectCode(.limitExceeded, [2, 0xff, 0xff, 0x7f], "range count over the limit")
        // Bounds "b" then "a": not increasing (1-byte fingerprints 5).
        Self.expectCode(.malformed, [2, 2, 1, 0, 1, 0x62, 5, 1, 0, 1, 0x61, 5], "bounds out of order")
        Self.expectCode(.malformed, [2, 1, 0, 0, 0], "empty first bound")
        // "apple" then "apz" written as 1 shared byte + "pz": the encoder shares 2 bytes.
        Self.expectCode(
            .malformed,
            [2, 2, 1, 0, 5, 0x61, 0x70, 0x70, 0x6c, 0x65, 5, 1, 1, 2, 0x70, 0x7a, 5],
            "a bound sharing fewer bytes with the previous one than it could"
        )
        Self.expectCode(.malformed, [2, 1, 0, 0, 1, 0x61], "trailing skip")
        Self.expectCode(.malformed, [2, 2, 0x80, 0x80], "a range after infinity")
        Self.expectCode(.malformed, [2, 1, 0xa1, 5], "unknown tag bits")
        Self.expectCode(.malformed, [2, 1, 0x84], "a hash width on a skip")
        Self.expectCode(.malformed, [2, 1, 0x85, 1, 0], "a fingerprint wider than its value")
        Self.expectCode(.malformed, [2, 1, 0x86, 2, 1, 0, 2, 0], "items wider than their largest")
        Self.expectCode(.malformed, [2, 1, 0x86, 0], "empty items with a hash width")
        Self.expectCode(.malformed, [2, 1, 0x83, 3, 0xff], "need bits past the bitmap length")
        Self.expectCode(.limitExceeded, [2, 1, 0x82, 0x81, 0x02], "items in a range over the limit")
        Self.expectCode(.limitExceeded, [2, 1, 0x83, 0x81, 0x02], "need bits over the limit")
        Self.expectCode(.malformed, [2, 1, 0x82, 5, 0, 0], "item count larger than the input")
    }

    @Test("hashes take the fewest bytes that hold the range's largest")
    func hashWidths_areMinimal() throws {
        let m = RepairMessage(ranges: [
            RepairRange(upperBound: .key([0x61]), payload: .fingerprint(0x1234)),
            RepairRange(upperBound: .key([0x62]), payload: .items([1, 0xff_ffff])),
            RepairRange(upperBound: .infinity, payload: .fingerprint(0)),
        ])
        let bytes = m.encoded()
        #expect(bytes == [2, 3, 0x05, 0, 1, 0x61, 0x34, 0x12, 0x0a, 0, 1, 0x62, 2, 1, 0, 0, 0xff, 0xff, 0xff, 0x81, 0])
        #expect(try RepairMessage(decoding: bytes) == m)
    }

    @Test func itemsPerMessage_areBounded() {
        var w = ByteWriter()
        w.byte(RepairMessage.formatVersion)
        let perRange = RepairLimits.rangeItemsMax
        let ranges = RepairLimits.itemsPerMessageMax / perRange + 1
        w.varint(ranges)
        for i in 0..<ranges {
            w.byte(2)  // items of 1-byte hashes
            w.varint(0)  // shares nothing with the previous bound
            w.lengthPrefixed([UInt8(i)] + [1])
            w.varint(perRange)
            for _ in 0..<perRange { w.byte(7) }
        }
        let error = #expect(throws: RepairError.self) { try RepairMessage(decoding: w.bytes) }
        #expect(error?.code == .limitExceeded)
    }
}
