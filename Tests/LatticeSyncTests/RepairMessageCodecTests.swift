import LatticeCore
import LatticeSync
import PropertyBased
import Testing

@Suite("Repair message codec")
struct RepairMessageCodecTests {
    static func sample() -> RepairMessage {
        RepairMessage(ranges: [
            RepairRange(
                upperBound: .key(Array("apple".utf8)),
                payload: .sketch(first: 0, syndromes: [0x0102_0304, 7])
            ),
            RepairRange(upperBound: .key(Array("apricot".utf8)), payload: .skip),
            RepairRange(upperBound: .key(Array("b".utf8)), payload: .more(first: 2, count: 5)),
            RepairRange(upperBound: .key(Array("bz".utf8)), payload: .found([0, 3, 4, 200])),
            RepairRange(
                upperBound: .infinity,
                payload: .strata(items: 1_000, capacity: 2, levels: [[1, 2], [0, 0xffff_ffff]])
            ),
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
        Self.expectCode(.malformed, [3, 0, 0], "trailing bytes")
        Self.expectCode(.limitExceeded, [3, 0xff, 0xff, 0x7f], "range count over the limit")
        // Bounds "b" then "a": not increasing (more 0, 1).
        Self.expectCode(.malformed, [3, 2, 3, 0, 1, 0x62, 0, 1, 3, 0, 1, 0x61, 0, 1], "bounds out of order")
        Self.expectCode(.malformed, [3, 1, 3, 0, 0, 0, 1], "empty first bound")
        Self.expectCode(.malformed, [3, 1, 0, 0, 1, 0x61], "trailing skip")
        Self.expectCode(.malformed, [3, 2, 0x80, 0x80], "a range after infinity")
        Self.expectCode(.malformed, [3, 1, 0x85], "unknown payload kind")
        Self.expectCode(.malformed, [3, 1, 0x8b, 0, 1], "unknown tag bits")
        Self.expectCode(.malformed, [3, 1, 0x83, 0, 0], "more of no syndromes")
        Self.expectCode(.limitExceeded, [3, 1, 0x83, 0x7f, 2], "more past the largest sketch (128)")
        Self.expectCode(.limitExceeded, [3, 1, 0x82, 0, 0x81, 0x01], "a sketch over 128 syndromes")
        Self.expectCode(.malformed, [3, 1, 0x82, 0, 2, 1, 2, 3, 4], "sketch syndromes past the end")
        Self.expectCode(.limitExceeded, [3, 1, 0x81, 5, 0x41, 1], "strata capacity over 64")
        Self.expectCode(.limitExceeded, [3, 1, 0x81, 5, 1, 33], "strata over 32 levels")
        Self.expectCode(.malformed, [3, 1, 0x84, 0, 0], "found with no positions")
        Self.expectCode(.malformed, [3, 1, 0x84, 1, 0, 0x02], "found padding bits set")
        Self.expectCode(.malformed, [3, 1, 0x84, 1, 1, 0x00], "found with a rice parameter that is not canonical")
        Self.expectCode(.malformed, [3, 1, 0x84, 1, 32, 0x00], "found rice parameter over 31")
    }

    @Test("found positions are Rice coded: gaps in unary quotient and r low bits, least significant bit first")
    func foundPositions_areRiceCoded() throws {
        // 4 positions, last 200: r = floor(log2(201 / 4)) = 5. Gaps 0, 2, 0, 195.
        let m = RepairMessage(ranges: [RepairRange(upperBound: .infinity, payload: .found([0, 3, 4, 200]))])
        let bytes = m.encoded()
        // In stream order: gap 0 = 0 00000; gap 2 = 0 01000; gap 0 = 0 00000; gap 195 = 6·32 + 3 =
        // 111111 0 11000; 30 bits, two zero bits of padding.
        #expect(bytes == [3, 1, 0x84, 4, 5, 0x00, 0x01, 0xfc, 0x06])
        #expect(try RepairMessage(decoding: bytes) == m)
    }

    @Test func syndromesPerMessage_areBounded() {
        var w = ByteWriter()
        w.byte(RepairMessage.formatVersion)
        let ranges = RepairLimits.syndromesPerMessageMax / RepairLimits.sketchCapacityMax + 1
        w.varint(ranges)
        var previous: [UInt8] = []
        for i in 0..<ranges {
            let bound = [UInt8(i >> 8), UInt8(i & 0xff), 1]
            let shared = zip(previous, bound).prefix { $0 == $1 }.count
            w.byte(2)  // sketch
            w.varint(shared)
            w.lengthPrefixed(bound[shared...])
            previous = bound
            w.varint(0)
            w.varint(RepairLimits.sketchCapacityMax)
            for _ in 0..<(4 * RepairLimits.sketchCapacityMax) { w.byte(7) }
        }
        let error = #expect(throws: RepairError.self) { try RepairMessage(decoding: w.bytes) }
        #expect(error?.code == .limitExceeded)
    }
}
