import Foundation
import LatticeCrypto

/// The JSON test-vector format shared by cacophony, snow and Lattice's own vectors.
struct NoiseVectorFile: Codable, Equatable {
    var comment: String?
    var vectors: [NoiseVector]
}

struct NoiseVector: Codable, Equatable {
    struct Message: Codable, Equatable {
        var payload: String
        var ciphertext: String
    }

    var protocol_name: String
    var init_prologue: String
    var init_static: String
    var init_ephemeral: String
    var resp_prologue: String
    var resp_static: String
    var resp_ephemeral: String
    var handshake_hash: String?
    var messages: [Message]
}

/// Paths of committed fixtures, found relative to this file so tests need no resources.
enum Fixtures {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func url(_ relativePath: String) -> URL { packageRoot.appendingPathComponent(relativePath) }

    static func vectorFile(_ relativePath: String) throws -> NoiseVectorFile {
        try JSONDecoder().decode(NoiseVectorFile.self, from: Data(contentsOf: url(relativePath)))
    }
}

func bytes(hex: String) -> [UInt8] {
    var out: [UInt8] = []
    var index = hex.startIndex
    while index < hex.endIndex {
        let next = hex.index(index, offsetBy: 2)
        out.append(UInt8(hex[index..<next], radix: 16)!)
        index = next
    }
    return out
}

func keyPair(hex: String) throws -> X25519KeyPair {
    try X25519KeyPair(privateKey: SecretBytes(bytes(hex: hex)))
}

/// What replaying a vector through `NoiseHandshake` produced.
struct NoiseReplay {
    var messages: [NoiseVector.Message] = []
    var initiatorHash: [UInt8] = []
    var responderHash: [UInt8] = []
    var payloadsReceived: [[UInt8]] = []
}

/// Plays a vector's keys and payloads through both sides. Handshake messages follow XX;
/// transport messages alternate as in the published vectors: even indexes are sent by the
/// initiator, odd ones by the responder.
func replay(_ vector: NoiseVector) throws -> NoiseReplay {
    var initiator = NoiseHandshake(
        role: .initiator,
        prologue: bytes(hex: vector.init_prologue),
        staticKeyPair: try keyPair(hex: vector.init_static),
        ephemeralKeyPair: try keyPair(hex: vector.init_ephemeral)
    )
    var responder = NoiseHandshake(
        role: .responder,
        prologue: bytes(hex: vector.resp_prologue),
        staticKeyPair: try keyPair(hex: vector.resp_static),
        ephemeralKeyPair: try keyPair(hex: vector.resp_ephemeral)
    )
    var result = NoiseReplay()
    let handshakeMessages = min(3, vector.messages.count)
    for index in 0..<handshakeMessages {
        let payload = bytes(hex: vector.messages[index].payload)
        let ciphertext: [UInt8]
        if index % 2 == 0 {
            ciphertext = try initiator.writeMessage(payload: payload)
            result.payloadsReceived.append(try responder.readMessage(ciphertext))
        } else {
            ciphertext = try responder.writeMessage(payload: payload)
            result.payloadsReceived.append(try initiator.readMessage(ciphertext))
        }
        result.messages.append(.init(payload: hexString(payload), ciphertext: hexString(ciphertext)))
    }
    result.initiatorHash = initiator.handshakeHash
    result.responderHash = responder.handshakeHash
    guard vector.messages.count > 3 else { return result }
    var initiatorKeys = try initiator.split()
    var responderKeys = try responder.split()
    for index in 3..<vector.messages.count {
        let payload = bytes(hex: vector.messages[index].payload)
        let ciphertext: [UInt8]
        if index % 2 == 0 {
            ciphertext = try initiatorKeys.send.encrypt(plaintext: payload)
            result.payloadsReceived.append(try responderKeys.receive.decrypt(ciphertext: ciphertext))
        } else {
            ciphertext = try responderKeys.send.encrypt(plaintext: payload)
            result.payloadsReceived.append(try initiatorKeys.receive.decrypt(ciphertext: ciphertext))
        }
        result.messages.append(.init(payload: hexString(payload), ciphertext: hexString(ciphertext)))
    }
    return result
}

func hexString(_ bytes: [UInt8]) -> String { hex(bytes) }
