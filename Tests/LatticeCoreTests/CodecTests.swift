import Foundation
import LatticeCore
import PropertyBased
import Testing

@Suite("CRDT encoding v1")
struct CodecTests {
    @Test("values, contexts and deltas round-trip", arguments: OpFamily.allCases)
    func roundTrips(family: OpFamily) async {
        await propertyCheck(count: 150, input: Gen<UInt64>.value()) { seed in
            let s = Scenario(seed: seed, family: family)
            for state in s.replicas.map(\.state) + s.deltas {
                #expect((try? CRDTCodec.decodeCausal(CRDTCodec.encode(state))) == state, "seed \(seed)")
                #expect((try? CRDTCodec.decodeValue(CRDTCodec.encode(state.store))) == state.store, "seed \(seed)")
                #expect(
                    (try? CRDTCodec.decodeContext(CRDTCodec.encode(state.context))) == state.context,
                    "seed \(seed)"
                )
            }
        }
    }

    @Test("equal states encode to identical bytes, whatever order they were built in")
    func encodingIsCanonical() async {
        await propertyCheck(count: 150, input: Gen<UInt64>.value()) { seed in
            let s = Scenario(seed: seed, family: .mixedKey, replicas: 3, steps: 40)
            var rng = SeededRandom(seed: seed)
            let a = s.deltas.reduce(Causal()) { $0.joined($1) }
            let b = s.deltas.shuffled(using: &rng).reduce(Causal()) { $0.joined($1) }
            #expect(CRDTCodec.encode(a) == CRDTCodec.encode(b), "seed \(seed)")
        }
    }

    @Test("every truncation of a valid encoding throws; none traps")
    func truncationsThrow() async {
        await propertyCheck(count: 60, input: Gen<UInt64>.value()) { seed in
            let s = Scenario(seed: seed, family: .mixedKey)
            let bytes = CRDTCodec.encode(s.joined)
            for cut in 0..<bytes.count {
                #expect(throws: CodecError.self, "seed \(seed), cut \(cut)") {
                    try CRDTCodec.decodeCausal(bytes[0..<cut])
                }
            }
        }
    }

    @Test("random bytes and bit-flipped encodings either decode to a valid state or throw")
    func randomBytesNeverTrap() async {
        await propertyCheck(count: 300, input: Gen<UInt64>.value()) { seed in
            var rng = SeededRandom(seed: seed)
            let noise = (0..<Int.random(in: 0...64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            for candidate in [[1, 3] + noise, noise] {
                if let decoded = try? CRDTCodec.decodeCausal(candidate) {
                    #expect(CRDTCodec.encode(decoded) == candidate, "accepted input must be canonical; seed \(seed)")
                }
            }
            var flipped = CRDTCodec.encode(Scenario(seed: seed, family: .map).joined)
            let i = Int.random(in: 0..<flipped.count, using: &rng)
            flipped[i] ^= UInt8(1 << Int.random(in: 0...7, using: &rng))
            if let decoded = try? CRDTCodec.decodeCausal(flipped) {
                #expect(CRDTCodec.encode(decoded) == flipped, "accepted input must be canonical; seed \(seed)")
            }
        }
    }

    // MARK: Specific malformed inputs

    /// version 1, causal, one replica (id 0x01 repeated), vector {r0: 2}, no cloud, then a value.
    func causal(value: [UInt8]) -> [UInt8] {
        [1, 3, 1] + [UInt8](repeating: 1, count: 16) + [1, 0, 2, 0] + value
    }

    @Test func decode_rejectsADotUsedTwice() {
        // register flag, 2 entries with the same dot (r0:1) and null values.
        let bytes = causal(value: [0b10, 2, 0, 1, 5, 0, 0, 1, 6, 0])
        let e = #expect(throws: CodecError.self) { try CRDTCodec.decodeCausal(bytes) }
        #expect(e?.code == .malformed)
    }

    @Test func decode_rejectsADotOutsideItsContext() {
        // counter flag, 1 entry, dot r0:3 (context covers only 1...2), 1 increment, 0 decrements.
        let e = #expect(throws: CodecError.self) { try CRDTCodec.decodeCausal(causal(value: [0b1, 1, 0, 3, 1, 0])) }
        #expect(e?.message.contains("not in its causal context") == true)
    }

    @Test func decode_rejectsCountsLargerThanTheInput() {
        // set flag, then a member count of 2^20 with 3 bytes left.
        let e = #expect(throws: CodecError.self) {
            try CRDTCodec.decodeCausal(causal(value: [0b1000, 0x80, 0x80, 0x40, 0, 0, 0]))
        }
        #expect(e?.code == .truncated)
    }

    @Test func decode_rejectsCountsPastTheirLimit() {
        let tooMany = UInt64(CoreLimits.collectionCountMax) + 1
        var w = ByteWriter()
        w.varint(tooMany)
        let e = #expect(throws: CodecError.self) { try CRDTCodec.decodeCausal(causal(value: [0b1000] + w.bytes)) }
        #expect(e?.code == .limitExceeded)
    }

    @Test func decode_rejectsOverlongVarints() {
        // The vector counter 2 written as 0x82 0x00.
        let bytes: [UInt8] = [1, 2, 1] + [UInt8](repeating: 1, count: 16) + [1, 0, 0x82, 0x00, 0]
        let e = #expect(throws: CodecError.self) { try CRDTCodec.decodeContext(bytes) }
        #expect(e?.code == .malformed)
    }

    @Test func decode_rejectsMapsNestedPastTheLimit() {
        // Each level: map flag, 1 field, name "f", then the nested value.
        var value: [UInt8] = [0b1, 1, 0, 1, 1, 0]  // innermost: a counter entry r0:1
        for _ in 0..<CoreLimits.nestingDepthMax { value = [0b10000, 1, 1, UInt8(ascii: "f")] + value }
        let e = #expect(throws: CodecError.self) { try CRDTCodec.decodeCausal(causal(value: value)) }
        #expect(e?.code == .limitExceeded)
    }

    @Test func decode_rejectsUnknownVersionsAndKinds() {
        #expect(throws: CodecError.self) { try CRDTCodec.decodeContext([2, 2, 0, 0, 0]) }
        #expect(throws: CodecError.self) { try CRDTCodec.decodeContext([1, 1, 0, 0]) }
        #expect(throws: CodecError.self) { try CRDTCodec.decodeContext([1, 2, 0, 0, 0, 0]) }  // trailing byte
    }

    @Test func decode_rejectsInvalidUTF8() {
        // set flag, 1 member: string of 1 byte 0xFF, 1 dot r0:1.
        let e = #expect(throws: CodecError.self) {
            try CRDTCodec.decodeCausal(causal(value: [0b1000, 1, 5, 1, 0xFF, 1, 0, 1]))
        }
        #expect(e?.message.contains("UTF-8") == true)
    }

    // MARK: Published vectors

    @Test("Protocols/vectors/crdt-encoding-v1.json matches what this build encodes and decodes")
    func publishedVectorsMatch() throws {
        let rendered = CRDTVectors.render()
        let published = try String(contentsOfFile: CRDTVectors.path, encoding: .utf8)
        #expect(published == rendered, "regenerate with LATTICE_WRITE_VECTORS=1 swift test --filter publishedVectors")
        for vector in CRDTVectors.all() {
            #expect(try CRDTCodec.decodeCausal(vector.bytes) == vector.state, "\(vector.name)")
        }
    }
}

@Suite("Counter limits")
struct CounterLimitTests {
    @Test func decode_rejectsCountersPastTheLimit_insteadOfTrapping() {
        var w = ByteWriter()
        w.varint(UInt64.max)
        // Context: one replica, vector {r0: UInt64.max}, then a cloud dot r0:5.
        let vector: [UInt8] = [1, 2, 1] + [UInt8](repeating: 1, count: 16) + [1, 0] + w.bytes + [1, 0, 5]
        let e = #expect(throws: CodecError.self) { try CRDTCodec.decodeContext(vector) }
        #expect(e?.code == .limitExceeded)
        var d = ByteWriter()
        d.varint(CoreLimits.counterMax + 1)
        let cloud: [UInt8] = [1, 2, 1] + [UInt8](repeating: 1, count: 16) + [0, 1, 0] + d.bytes
        #expect(throws: CodecError.self) { try CRDTCodec.decodeContext(cloud) }
    }

    @Test func nextDot_atTheTopOfTheCounterSpace_isRefusedNotTrapped() {
        let r = ReplicaID(high: 3, low: 3)
        var s = Causal<CRDTValue>(
            store: .empty,
            context: CausalContext(vector: VersionVector([r: CoreLimits.counterMax]))
        )
        let e = #expect(throws: CRDTError.self) {
            try s.apply(.increment(by: 1), as: r, at: HLCTimestamp(wallMilliseconds: 1, logical: 0))
        }
        #expect(e?.message.contains("new replica id") == true)
        #expect(CausalContext(vector: VersionVector([r: .max])).nextDot(for: r).counter == .max, "no overflow trap")
    }
}
