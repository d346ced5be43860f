import LatticeCompression
import PropertyBased
import Testing

@Suite struct ZstdRoundTripTests {
    /// Bytes from a small alphabet, so that the data is compressible and matches occur.
    static let compressibleBytes = Gen.uint8(in: 97...100).array(of: 0...20_000)

    @Test func roundTrip_returnsTheInputAtEveryLevel() async {
        await propertyCheck(count: 60, input: Self.compressibleBytes, Gen.int(in: -10...22)) { bytes, level in
            let frame = Zstd.compress(bytes, level: level)
            #expect((try? Zstd.decompress(frame, outputBytesMax: bytes.count)) == bytes)
        }
    }

    @Test func roundTrip_ofRandomBytes() async {
        await propertyCheck(count: 40, input: Gen.uint8().array(of: 0...5_000)) { bytes in
            let frame = Zstd.compress(bytes, level: 3)
            #expect((try? Zstd.decompress(frame, outputBytesMax: bytes.count)) == bytes)
        }
    }

    @Test func reusedContexts_roundTripManyFramesWithAndWithoutDictionary() throws {
        let dictionary = try ZstdDictionary(Array(String(repeating: "tenant alpha key value ", count: 200).utf8))
        let compressor = ZstdCompressor()
        let decompressor = ZstdDecompressor()
        for index in 0..<20 {
            let bytes = Array("tenant alpha key \(index) value \(index * index)".utf8)
            let useDictionary = index % 2 == 0 ? dictionary : nil
            let frame = compressor.compress(bytes, level: index % 5, dictionary: useDictionary)
            #expect(try decompressor.decompress(frame, outputBytesMax: 1_000, dictionary: useDictionary) == bytes)
        }
    }

    @Test func repetitiveData_getsSmaller() {
        let bytes = Array(String(repeating: "lattice ", count: 10_000).utf8)
        #expect(Zstd.compress(bytes, level: 1).count < bytes.count / 50)
    }

    @Test func outputLimit_equalToTheContentSizeIsEnough() throws {
        let bytes = [UInt8](repeating: 7, count: 4_096)
        let frame = Zstd.compress(bytes, level: 3)
        #expect(try Zstd.decompress(frame, outputBytesMax: 4_096) == bytes)
        #expect(throws: CompressionError.self) { try Zstd.decompress(frame, outputBytesMax: 4_095) }
    }

    /// Inputs larger than the biggest window (8 MiB, what level 19 uses) become frames whose
    /// back-references span the whole window; they decode under `ZstdLimits.windowLogMax`.
    @Test(arguments: [1, 3, ZstdLimits.levelMax])
    func largeInput_beyondTheWindow_roundTrips(level: Int) throws {
        let size = 9 << 20
        var bytes: [UInt8] = []
        bytes.reserveCapacity(size + 64)
        var counter = 0
        while bytes.count < size {
            bytes += Array("key/\(counter) = a value that repeats with a counter\n".utf8)
            counter += 1
        }
        let frame = Zstd.compress(bytes, level: level)
        #expect(try Zstd.decompress(frame, outputBytesMax: 16 << 20) == bytes)
    }

    @Test func unboundedLimit_isAccepted() throws {
        let bytes = Array("no practical limit".utf8)
        #expect(try Zstd.decompress(Zstd.compress(bytes, level: 3), outputBytesMax: Int.max) == bytes)
    }

    @Test func anyCollection_isAccepted() throws {
        let bytes = Array("a frame that arrives as a slice or a lazy collection".utf8)
        let frame = [0xff, 0xff] + Zstd.compress(bytes, level: 3)
        #expect(try Zstd.decompress(frame[2...], outputBytesMax: 100) == bytes)
        #expect(try Zstd.decompress(frame.dropFirst(2).lazy.map { $0 }, outputBytesMax: 100) == bytes)
    }

    @Test func emptyInput_roundTrips() throws {
        let frame = Zstd.compress([], level: 3)
        #expect(!frame.isEmpty)
        #expect(try Zstd.decompress(frame, outputBytesMax: 0) == [])
    }

    // MARK: Dictionaries

    static let dictionaryText = Array(
        String(
            repeating: "{\"tenant\":\"alpha\",\"key\":\"users/\",\"value\":{\"name\":\"\",\"email\":\"\"}}\n",
            count: 50
        )
        .utf8
    )

    @Test func dictionary_roundTripsAndHelpsSmallRecords() throws {
        let dictionary = try ZstdDictionary(Self.dictionaryText)
        #expect(dictionary.count == Self.dictionaryText.count)
        #expect(dictionary.id == 0, "raw-content dictionaries have no ID")
        let record = Array(
            "{\"tenant\":\"alpha\",\"key\":\"users/42\",\"value\":{\"name\":\"Ada\",\"email\":\"a@x\"}}".utf8
        )
        let plain = Zstd.compress(record, level: 3)
        let withDictionary = Zstd.compress(record, level: 3, dictionary: dictionary)
        #expect(withDictionary.count < plain.count)
        #expect(try Zstd.decompress(withDictionary, outputBytesMax: 1_000, dictionary: dictionary) == record)
    }

    @Test func dictionary_isRequiredToDecompress() throws {
        let dictionary = try ZstdDictionary(Self.dictionaryText)
        let other = try ZstdDictionary(Array(String(repeating: "unrelated words here ", count: 100).utf8))
        let record = Array(
            "{\"tenant\":\"alpha\",\"key\":\"users/7\",\"value\":{\"name\":\"Bo\",\"email\":\"b@y\"}}".utf8
        )
        let frame = Zstd.compress(record, level: 3, dictionary: dictionary)
        #expect(throws: CompressionError.self) { try Zstd.decompress(frame, outputBytesMax: 1_000) }
        #expect((try? Zstd.decompress(frame, outputBytesMax: 1_000, dictionary: other)) != record)
    }

    @Test func dictionary_refusesEmptyAndOversizedBytes() {
        for size in [0, ZstdLimits.dictionaryBytesMax + 1] {
            do {
                _ = try ZstdDictionary([UInt8](repeating: 1, count: size))
                Issue.record("a \(size)-byte dictionary was accepted")
            } catch {
                #expect(error.code == .invalidDictionary)
                #expect(error.message.contains("dictionaryBytesMax"))
            }
        }
    }
}
