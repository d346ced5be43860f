import LatticeCrypto
import LatticeWire
import PropertyBased
import Testing

@Suite struct FrameCodecTests {
    let plain = FrameEncoder(compressor: nil)

    @Test func header_roundTripsEveryField() async {
        await propertyCheck(input: Gen.int(in: 1...0xFFFF), Gen.int(in: 0...WireLimits.frameBytesMax)) {
            type,
            length throws in
            let header = FrameHeader(type: FrameType(rawValue: UInt16(type)), flags: .compressed, payloadLength: length)
            var bytes: [UInt8] = []
            header.encode(into: &bytes)
            #expect(bytes.count == FrameHeader.byteCount)
            #expect(try FrameHeader.decode(bytes, frameBytesMax: WireLimits.frameBytesMax) == header)
        }
    }

    @Test func header_rejectsReservedTypeUnknownFlagsAndOversizedLength() {
        let cases: [([UInt8], WireError.Code)] = [
            ([0, 0, 0, 0, 0, 0, 1], .frameHeader),
            ([0, 1, 0x02, 0, 0, 0, 1], .frameHeader),
            ([0, 1, 0x80, 0, 0, 0, 1], .frameHeader),
            ([0, 1, 0, 0x01, 0x01, 0, 1], .frameTooLarge),
            ([0, 1, 0, 0xFF, 0xFF, 0xFF, 0xFF], .frameTooLarge),
        ]
        for (bytes, code) in cases {
            #expect(throws: WireError.self) { try FrameHeader.decode(bytes, frameBytesMax: WireLimits.frameBytesMax) }
            do {
                _ = try FrameHeader.decode(bytes, frameBytesMax: WireLimits.frameBytesMax)
            } catch {
                #expect(error.code == code, "\(bytes)")
            }
        }
    }

    @Test func reassembler_rebuildsFramesFromAnyCutOfTheStream() async {
        let frames = Gen.uint8().array(of: 0...300).array(of: 1...6)
        await propertyCheck(count: 200, input: frames, Gen.int(in: 1...97)) { payloads, cut throws in
            let sent = payloads.enumerated().map { WireFrame(type: FrameType(rawValue: UInt16($0 + 1)), payload: $1) }
            var stream: [UInt8] = []
            for frame in sent { stream += try plain.encode(frame) }
            var reassembler = FrameReassembler(decompressor: nil)
            var received: [WireFrame] = []
            for start in stride(from: 0, to: stream.count, by: cut) {
                received += try reassembler.append(stream[start..<min(start + cut, stream.count)])
            }
            #expect(received == sent)
            #expect(reassembler.isAtFrameBoundary)
        }
    }

    @Test func reassembler_deliversEmptyFramesAndReportsPartialOnes() throws {
        var reassembler = FrameReassembler(decompressor: nil)
        let empty = try plain.encode(WireFrame(type: .ping, payload: []))
        #expect(try reassembler.append(empty) == [WireFrame(type: .ping, payload: [])])
        let one = try plain.encode(WireFrame(type: .pong, payload: [42]))
        #expect(try reassembler.append(one.prefix(3)).isEmpty)
        #expect(!reassembler.isAtFrameBoundary)
        #expect(try reassembler.append(one.dropFirst(3).dropLast()).isEmpty)
        #expect(reassembler.bufferedBytes == 0)
        #expect(try reassembler.append(one.suffix(1)) == [WireFrame(type: .pong, payload: [42])])
    }

    @Test func encoder_compressesOnlyWhenThatSavesBytes() throws {
        let zipping = FrameEncoder(compressor: ZstdPayloadCompressor())
        let repetitive = [UInt8](repeating: 7, count: 1000)
        let random = Random.bytesForTest(count: 1000)
        let small = [UInt8](repeating: 7, count: WireLimits.compressionBytesMin - 1)
        let packed = try zipping.encode(WireFrame(type: .ping, payload: repetitive))
        #expect(packed[2] == FrameFlags.compressed.rawValue)
        #expect(packed.count < 100)
        #expect(try zipping.encode(WireFrame(type: .ping, payload: random))[2] == 0)
        #expect(try zipping.encode(WireFrame(type: .ping, payload: small))[2] == 0)
        var reassembler = FrameReassembler(decompressor: ZstdPayloadCompressor())
        #expect(try reassembler.append(packed) == [WireFrame(type: .ping, payload: repetitive)])
    }

    @Test func encoder_usesTheFramesCompressionLevel_zeroSendsRaw() throws {
        let zipping = FrameEncoder(compressor: ZstdPayloadCompressor())
        // Text-like and long enough that zstd's levels differ.
        var text: [UInt8] = []
        var i = 0
        while text.count < 60_000 {
            text += Array("key-\(i * 7_919 % 5_000)=value-\(i * 104_729 % 300);".utf8)
            i += 1
        }
        let raw = try zipping.encode(WireFrame(type: .sync, payload: text, compressionLevel: 0))
        let fast = try zipping.encode(WireFrame(type: .sync, payload: text, compressionLevel: 1))
        let strong = try zipping.encode(WireFrame(type: .sync, payload: text, compressionLevel: 19))
        let byDefault = try zipping.encode(WireFrame(type: .sync, payload: text))
        #expect(raw[2] == 0 && raw.count == text.count + FrameHeader.byteCount, "level 0 sends the payload as is")
        #expect(fast[2] == FrameFlags.compressed.rawValue && strong[2] == FrameFlags.compressed.rawValue)
        #expect(strong.count < fast.count, "level 19 (\(strong.count) B) packs tighter than level 1 (\(fast.count) B)")
        #expect(byDefault == fast, "no level: the connection's default, \(WireLimits.compressionLevelDefault)")
        var reassembler = FrameReassembler(decompressor: ZstdPayloadCompressor())
        #expect(try reassembler.append(strong) == [WireFrame(type: .sync, payload: text)])
    }

    @Test func prepare_skipsCompressionTrialsAfterIncompressibleSamples_doublingTheGap() throws {
        var encoder = FrameEncoder(compressor: ZstdPayloadCompressor())
        let random = WireFrame(type: .sync, payload: Random.bytesForTest(count: 65_536))
        let repetitive = WireFrame(type: .sync, payload: [UInt8](repeating: 3, count: 65_536))
        func compressed(_ frame: WireFrame) throws -> Bool {
            try encoder.prepare(frame).header[2] == FrameFlags.compressed.rawValue
        }
        #expect(try !compressed(random))  // trial fails: skip 1 frame
        #expect(try !compressed(repetitive))  // skipped
        #expect(try compressed(repetitive))  // tried again: compresses, gap back to 1
        #expect(try !compressed(random))  // skip 1
        #expect(try !compressed(random))  // skipped
        #expect(try !compressed(random))  // trial fails again: skip 2
        #expect(try !compressed(repetitive) && !compressed(repetitive))
        #expect(try compressed(repetitive))
    }

    @Test func prepare_triesCompressionAgainWithinCompressionSkipFramesMax() throws {
        var encoder = FrameEncoder(compressor: ZstdPayloadCompressor())
        let random = WireFrame(type: .sync, payload: Random.bytesForTest(count: 65_536))
        let repetitive = WireFrame(type: .sync, payload: [UInt8](repeating: 3, count: 65_536))
        for _ in 0..<300 { _ = try encoder.prepare(random) }
        var uncompressed = 0
        while try encoder.prepare(repetitive).header[2] == 0 {
            uncompressed += 1
            try #require(uncompressed <= WireLimits.compressionSkipFramesMax, "compression never tried again")
        }
        #expect(uncompressed > 0)
    }

    @Test func reassembler_refusesCompressedFramesWhenZstdWasNotNegotiated() throws {
        let packed = try FrameEncoder(compressor: ZstdPayloadCompressor()).encode(
            WireFrame(type: .ping, payload: [UInt8](repeating: 1, count: 500))
        )
        var reassembler = FrameReassembler(decompressor: nil)
        #expect(throws: WireError.self) { try reassembler.append(packed) }
    }

    @Test func reassembler_capsDecompressionAtFrameBytesMax() throws {
        let bomb = try FrameEncoder(compressor: ZstdPayloadCompressor()).encode(
            WireFrame(type: .ping, payload: [UInt8](repeating: 1, count: 10_000))
        )
        var reassembler = FrameReassembler(decompressor: ZstdPayloadCompressor(), frameBytesMax: 4096)
        do {
            _ = try reassembler.append(bomb)
            Issue.record("a payload expanding past frameBytesMax was accepted")
        } catch {
            #expect(error.code == .decompression)
        }
    }

    @Test func encoder_refusesPayloadsAboveFrameBytesMax() {
        let encoder = FrameEncoder(compressor: nil, frameBytesMax: 100)
        #expect(throws: WireError.self) {
            try encoder.encode(WireFrame(type: .ping, payload: Array(repeating: 0, count: 101)))
        }
    }

    @Test func plaintexts_cutFramesAtTheTransportLimitWithTheHeaderFirst() throws {
        let payload = Random.bytesForTest(count: 2 * WireLimits.transportPlaintextBytesMax)
        let chunks = try plain.plaintexts(for: WireFrame(type: .ping, payload: payload))
        #expect(
            chunks.map { $0.count } == [
                WireLimits.transportPlaintextBytesMax, WireLimits.transportPlaintextBytesMax, 7,
            ]
        )
        #expect(Array(chunks.joined()) == (try plain.encode(WireFrame(type: .ping, payload: payload))))
        #expect(try plain.plaintexts(for: WireFrame(type: .ping, payload: [])) == [[0, 1, 0, 0, 0, 0, 0]])
    }
}

extension Random {
    /// Random test bytes (content does not matter, only that it does not compress).
    static func bytesForTest(count: Int) -> [UInt8] { bytes(count: count) }
}
