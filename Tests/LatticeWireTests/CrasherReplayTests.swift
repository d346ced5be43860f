import LatticeWireFuzz
import Testing

/// Replays every input that ever crashed a wire fuzz target (`Tests/Fixtures/crashers/`),
/// and the seed corpus, through the fuzz bodies: each must now return normally.
@Suite struct CrasherReplayTests {
    static let fixtures = repositoryRoot() + "/Tests/Fixtures"

    static let targets: [(folder: String, body: @Sendable ([UInt8]) -> Void)] = [
        ("frame-decoder", WireFuzzHarness.frameDecoder),
        ("handshake-responder", WireFuzzHarness.handshakeResponder),
    ]

    @Test(arguments: 0..<targets.count)
    func crashersAndSeeds_replayWithoutTrapping(target: Int) throws {
        let (folder, body) = Self.targets[target]
        let crashers = listFiles(Self.fixtures + "/crashers/" + folder)
        let seeds = listFiles(Self.fixtures + "/fuzz-seeds/" + folder)
        #expect(!seeds.isEmpty, "no seeds found for \(folder): is the repository root right?")
        for path in crashers + seeds {
            body(try readBytes(path))
        }
    }
}
