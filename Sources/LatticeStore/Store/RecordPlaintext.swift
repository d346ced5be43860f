/// The plaintext inside a sealed record in the `records` table:
///
/// ```
/// kind (1 byte) | name length (2 bytes, big-endian) | key name (UTF-8) | payload
/// ```
///
/// The name is stored (sealed) so the store can list keys and detect a hash collision: a read
/// checks that the sealed name is the one asked for.
struct RecordPlaintext {
    /// What the payload holds.
    enum Kind: UInt8 {
        /// Opaque bytes written through ``Store/put(_:forKey:tenant:)``.
        case bytes = 1
        /// Replicated CRDT state written through the replica store.
        case crdt = 2
    }

    let kind: Kind
    let name: String
    let payload: ArraySlice<UInt8>

    static func encode(kind: Kind, name: String, payload: some Collection<UInt8>) -> [UInt8] {
        let nameBytes = Array(name.utf8)
        var out = [UInt8]()
        out.reserveCapacity(3 + nameBytes.count + payload.count)
        out.append(kind.rawValue)
        out.append(UInt8(nameBytes.count >> 8))
        out.append(UInt8(nameBytes.count & 0xff))
        out.append(contentsOf: nameBytes)
        out.append(contentsOf: payload)
        return out
    }

    /// Where the parts of a decrypted record are, without copying them.
    struct Header {
        let kind: Kind
        let name: Range<Int>
        let payload: Range<Int>

        init(_ bytes: [UInt8], what: @autoclosure () -> String) throws(StoreError) {
            let header = bytes.withUnsafeBytes { raw in
                Result { () throws(StoreError) in try Header(raw, what: what()) }
            }
            self = try header.get()
        }

        init(_ bytes: UnsafeRawBufferPointer, what: @autoclosure () -> String) throws(StoreError) {
            guard bytes.count >= 3, let kind = Kind(rawValue: bytes[0]) else {
                throw StoreError(.corrupted, "\(what()) has an unknown record header")
            }
            let nameCount = Int(bytes[1]) << 8 | Int(bytes[2])
            guard nameCount <= StoreLimits.keyBytesMax, 3 + nameCount <= bytes.count else {
                throw StoreError(.corrupted, "\(what()) has a malformed key name")
            }
            self.kind = kind
            name = 3..<3 + nameCount
            payload = 3 + nameCount..<bytes.count
        }
    }

    /// Parses a decrypted record; malformed input is `corrupted` naming `what`.
    static func decode(_ bytes: [UInt8], what: @autoclosure () -> String) throws(StoreError) -> RecordPlaintext {
        guard bytes.count >= 3, let kind = Kind(rawValue: bytes[0]) else {
            throw StoreError(.corrupted, "\(what()) has an unknown record header")
        }
        let nameCount = Int(bytes[1]) << 8 | Int(bytes[2])
        guard nameCount <= StoreLimits.keyBytesMax, 3 + nameCount <= bytes.count,
            let name = String(validating: bytes[3..<3 + nameCount], as: UTF8.self)
        else {
            throw StoreError(.corrupted, "\(what()) has a malformed key name")
        }
        return RecordPlaintext(kind: kind, name: name, payload: bytes[(3 + nameCount)...])
    }
}
