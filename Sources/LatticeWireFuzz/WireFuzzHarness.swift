import LatticeCrypto
import LatticeWire

/// The bodies of the wire's libFuzzer targets (`Tests/Fuzz`), kept in the main package so
/// `make test` builds them and replays `Tests/Fixtures/crashers/` through the same code.
///
/// Each entry point takes arbitrary bytes and must return normally: malformed input is
/// expected to throw inside and be dropped, never to trap or allocate past a limit.
public enum WireFuzzHarness {
    /// The frame limit while fuzzing: small enough that a fuzzed length cannot make each
    /// iteration reserve 16 MiB, large enough to span several transport messages.
    public static let frameBytesMax = 1 << 20

    /// Feeds the frame decoder (header parsing, reassembly, bounded zstd) with `data`, cut
    /// into plaintexts whose sizes come from the input itself.
    ///
    /// Layout: `cut: u8 | stream…`; the stream is fed in pieces of `cut + 1` bytes.
    public static func frameDecoder(_ data: [UInt8]) {
        guard let cut = data.first else { return }
        let stream = data.dropFirst()
        var reassembler = FrameReassembler(decompressor: ZstdPayloadCompressor(), frameBytesMax: frameBytesMax)
        var start = stream.startIndex
        while start < stream.endIndex {
            let end = min(start + Int(cut) + 1, stream.endIndex)
            do {
                for frame in try reassembler.append(stream[start..<end]) {
                    precondition(frame.payload.count <= frameBytesMax, "a frame exceeded frameBytesMax")
                }
            } catch {
                return
            }
            precondition(reassembler.bufferedBytes <= frameBytesMax, "the reassembler held more than a frame")
            start = end
        }
    }

    /// Plays the responder of a handshake against input-driven messages.
    ///
    /// Layout: `mode: u8 | messages…`, each message as on the wire (`u16 length | body`).
    /// - mode 0: the messages are raw handshake and transport messages.
    /// - mode 1: an honest initiator (fixed keys) sends message 1 and 3 with the first two
    ///   messages as payloads; the rest are raw transport messages.
    /// - mode 2: an honest, admitted initiator; the messages are transport plaintexts it
    ///   encrypts, so the responder's session and frame decoder see them decrypted.
    public static func handshakeResponder(_ data: [UInt8]) {
        guard let mode = data.first else { return }
        var messages = WireMessages(data.dropFirst())
        var responder = FuzzKeys.driver(.responder)
        switch mode % 3 {
        case 0:
            guard case .established(_, var established)? = rawHandshake(&responder, &messages) else { return }
            openAll(&established.session, &messages)
        case 1:
            let payloads = (messages.next() ?? [], messages.next() ?? [])
            guard var pair = honestHandshake(&responder, payloads: payloads) else { return }
            openAll(&pair.responder, &messages)
        default:
            let payloads = (InitiatorHello(versions: WireVersion.supported).encoded(), [UInt8]())
            guard var pair = honestHandshake(&responder, payloads: payloads, confirm: true) else { return }
            while let plaintext = messages.next() {
                let chunk = Array(plaintext.prefix(WireLimits.transportPlaintextBytesMax))
                guard let ciphertext = try? pair.initiator.sealMessage(chunk) else { return }
                guard (try? pair.responder.open(ciphertext)) != nil else { return }
            }
        }
    }

    private static func rawHandshake(
        _ responder: inout HandshakeDriver,
        _ messages: inout WireMessages
    )
        -> HandshakeStep?
    {
        while let message = messages.next() {
            guard let step = try? responder.receive(message) else { return nil }
            if case .established = step { return step }
            if case .refuse = step { return nil }
        }
        return nil
    }

    private static func openAll(_ session: inout TransportSession, _ messages: inout WireMessages) {
        while let message = messages.next() {
            guard (try? session.open(message)) != nil else { return }
        }
    }
}
