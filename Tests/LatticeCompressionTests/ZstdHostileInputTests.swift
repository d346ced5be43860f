import Glibc
import PropertyBased
import Testing

@testable import LatticeCompression

/// Decompression of input an attacker controls: every case throws a typed error and never
/// holds more than the caller's limit.
@Suite struct ZstdHostileInputTests {
    static let mebibyte = 1 << 20
    static let gibibyte = 1 << 30

    /// Runs `body`, requiring a `CompressionError` with `code`; returns its message.
    @discardableResult
    func expectError(
        _ code: CompressionError.Code,
        sourceLocation: SourceLocation = #_sourceLocation,
        _ body: () throws -> [UInt8]
    ) -> String {
        do {
            let output = try body()
            Issue.record("expected \(code), got \(output.count) bytes", sourceLocation: sourceLocation)
        } catch let error as CompressionError {
            #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
            return error.message
        } catch {
            Issue.record("expected a CompressionError, got \(error)", sourceLocation: sourceLocation)
        }
        return ""
    }

    // MARK: Decompression bomb

    /// 1 GiB of zeros, compressed by streaming 1 MiB chunks so the plaintext never exists.
    /// zstd blocks hold at most 128 KiB each and a run-length block costs 4 bytes, so the
    /// smallest possible frame for 1 GiB is about 32 KiB (ratio ~32,768:1); no 1 KiB frame
    /// can expand to 1 GiB.
    static let bomb: [UInt8] = {
        let zeros = [UInt8](repeating: 0, count: mebibyte)
        return ZstdCompressor().compressStream(repeatElement(zeros, count: gibibyte / mebibyte), level: 1)
    }()

    @Test func bomb_stopsAtTheLimitWithoutAllocatingBeyondIt() throws {
        let bomb = Self.bomb
        print("zstd bomb: \(bomb.count) compressed bytes declare no size and expand to \(Self.gibibyte)")
        #expect(bomb.count < 64 * 1024)
        let residentBefore = Self.peakResidentBytes()
        let clock = ContinuousClock()
        let started = clock.now
        let message = expectError(.outputLimitExceeded) { try Zstd.decompress(bomb, outputBytesMax: Self.mebibyte) }
        print("zstd bomb: refused after \(started.duration(to: clock.now)) with: \(message)")
        #expect(message.contains("1048576"))
        // Decoding the whole bomb would touch 1 GiB. Peak RSS is per process and other tests
        // run alongside, so this only catches gross overallocation (half the bomb or more).
        let grown = Self.peakResidentBytes() - residentBefore
        #expect(grown < Self.gibibyte / 2, "peak RSS grew by \(grown) bytes")
    }

    @Test func bomb_prefix_isTruncatedNotExpanded() {
        // The first 1 KiB of the bomb holds ~256 blocks (~32 MiB of zeros) and then ends.
        let prefix = Array(Self.bomb.prefix(1_024))
        expectError(.outputLimitExceeded) { try Zstd.decompress(prefix, outputBytesMax: Self.mebibyte) }
        expectError(.truncated) { try Zstd.decompress(prefix, outputBytesMax: 64 * Self.mebibyte) }
    }

    static func peakResidentBytes() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss * 1024
    }

    // MARK: Frame headers that lie

    /// 100,000 bytes of text: the header's content size is a 4-byte field.
    static let text = Array(
        (0..<5_000).map { "line \($0) of a replicated value\n" }.joined().utf8.prefix(100_000)
    )

    @Test func header_claimingMoreThanTheLimit_isRefusedBeforeDecoding() {
        let frame = Self.rewritingDeclaredSize(Zstd.compress(Self.text, level: 3), to: 4_000_000_000)
        let message = expectError(.outputLimitExceeded) { try Zstd.decompress(frame, outputBytesMax: Self.mebibyte) }
        #expect(message.contains("declares 4000000000"))
    }

    @Test func header_claimingMoreThanTheData_isMalformed() {
        let frame = Self.rewritingDeclaredSize(Zstd.compress(Self.text, level: 3), to: 200_000)
        expectError(.malformed) { try Zstd.decompress(frame, outputBytesMax: Self.mebibyte) }
    }

    @Test func header_claimingLessThanTheData_isMalformed() {
        let frame = Self.rewritingDeclaredSize(Zstd.compress(Self.text, level: 3), to: 70_000)
        expectError(.malformed) { try Zstd.decompress(frame, outputBytesMax: Self.mebibyte) }
    }

    /// Rewrites the Frame_Content_Size field (RFC 8878 section 3.1.1.1), which must be 4 bytes.
    static func rewritingDeclaredSize(_ frame: [UInt8], to size: UInt32) -> [UInt8] {
        let descriptor = frame[4]
        let singleSegment = descriptor & 0x20 != 0
        let dictionaryIDBytes = [0, 1, 2, 4][Int(descriptor & 0x03)]
        precondition(descriptor >> 6 == 2, "test frame must carry a 4-byte content size")
        let offset = 5 + (singleSegment ? 0 : 1) + dictionaryIDBytes
        var out = frame
        for index in 0..<4 { out[offset + index] = UInt8(truncatingIfNeeded: size >> (8 * UInt32(index))) }
        return out
    }

    // MARK: Truncated, trailing and random input

    @Test func everyProperPrefix_isTruncated() {
        let frame = Zstd.compress(Array(Self.text.prefix(3_000)), level: 3)
        for length in 0..<frame.count {
            let prefix = Array(frame.prefix(length))
            expectError(.truncated) { try Zstd.decompress(prefix, outputBytesMax: Self.mebibyte) }
        }
    }

    @Test func bytesAfterTheFrame_areMalformed() {
        let frame = Zstd.compress(Array("one frame only".utf8), level: 3)
        let message = expectError(.malformed) { try Zstd.decompress(frame + [0], outputBytesMax: 100) }
        #expect(message.contains("exactly one frame"))
        expectError(.malformed) { try Zstd.decompress(frame + frame, outputBytesMax: 100) }
    }

    @Test func randomBytes_areRejected() async {
        await propertyCheck(count: 200, input: Gen.uint8().array(of: 1...2_000)) { noise in
            #expect(throws: CompressionError.self) { try Zstd.decompress(noise, outputBytesMax: Self.mebibyte) }
            // Behind a valid magic number the bytes reach the block decoder.
            let magic: [UInt8] = [0x28, 0xb5, 0x2f, 0xfd]
            do {
                let output = try Zstd.decompress(magic + noise, outputBytesMax: 4_096)
                #expect(output.count <= 4_096)
            } catch {
                // Any typed error is fine; `decompress` cannot throw anything else.
            }
        }
    }

    @Test func flippedBits_neverExceedTheLimit() async {
        let frame = Zstd.compress(Array(Self.text.prefix(10_000)), level: 3)
        await propertyCheck(count: 300, input: Gen.int(in: 0...(frame.count * 8 - 1))) { bit in
            var damaged = frame
            damaged[bit / 8] ^= UInt8(1 << (bit % 8))
            // zstd frames carry no checksum here (the Noise AEAD authenticates the bytes), so a
            // flipped literal may decode to other bytes; it must still stay within the limit.
            if let output = try? Zstd.decompress(damaged, outputBytesMax: 10_000) {
                #expect(output.count <= 10_000)
            }
        }
    }

    // MARK: Window limit

    /// A minimal frame: magic, descriptor 0 (no content size, not single-segment), a window
    /// descriptor, and one raw last block holding "a" (RFC 8878 sections 3.1.1 and 3.1.1.2).
    static func frame(windowLog: Int) -> [UInt8] {
        let windowDescriptor = UInt8((windowLog - 10) << 3)
        return [0x28, 0xb5, 0x2f, 0xfd, 0x00, windowDescriptor, 0x09, 0x00, 0x00, 0x61]
    }

    @Test func window_atTheLimit_decodes() throws {
        #expect(try Zstd.decompress(Self.frame(windowLog: 20), outputBytesMax: 1) == [0x61])
        #expect(try Zstd.decompress(Self.frame(windowLog: ZstdLimits.windowLogMax), outputBytesMax: 1) == [0x61])
    }

    @Test func window_aboveTheLimit_isRefused() {
        for windowLog in [ZstdLimits.windowLogMax + 1, 27, 31] {
            let message = expectError(.windowTooLarge) {
                try Zstd.decompress(Self.frame(windowLog: windowLog), outputBytesMax: Self.mebibyte)
            }
            #expect(message.contains("windowLogMax"))
        }
    }
}
