import LatticeCore

/// Binary encoding of `SyncMessage` (`Protocols/sync-v1.md` §4). Values, contexts and
/// vectors are embedded as length-prefixed records of the CRDT encoding v1.
public enum SyncCodec {
    public static let version: UInt8 = 1

    public static func encode(_ m: SyncMessage) -> [UInt8] {
        var w = ByteWriter()
        w.byte(version)
        w.byte(m.kind.rawValue)
        w.lengthPrefixed(Array(m.tenant.utf8))
        switch m {
        case let .summary(_, round, complete):
            w.varint(round)
            w.lengthPrefixed(CRDTCodec.encode(CausalContext(vector: complete)))
        case let .batch(_, round, sequence, b):
            w.varint(round)
            w.varint(UInt64(sequence))
            w.varint(b.entries.count)
            for e in b.entries {
                w.lengthPrefixed(Array(e.key.utf8))
                w.lengthPrefixed(CRDTCodec.encode(e.state.value))
                w.lengthPrefixed(CRDTCodec.encode(CausalContext(vector: e.state.version)))
            }
            w.lengthPrefixed(CRDTCodec.encode(b.senderContext))
            if let mark = b.mark {
                w.byte(1)
                w.lengthPrefixed(CRDTCodec.encode(mark.context))
                w.lengthPrefixed(CRDTCodec.encode(CausalContext(vector: mark.complete)))
            } else {
                w.byte(0)
            }
        case let .push(_, d):
            writePush(d, &w)
        case let .pushes(_, deltas):
            precondition(
                (1...SyncLimits.pushesPerMessageMax).contains(deltas.count),
                "a pushes message carries 1 to \(SyncLimits.pushesPerMessageMax) deltas; use SyncMessage.coalescing"
            )
            w.varint(deltas.count)
            for d in deltas { writePush(d, &w) }
        case let .refused(_, code, message):
            w.lengthPrefixed(truncated(code))
            w.lengthPrefixed(truncated(message))
        case let .repair(_, session, message):
            w.varint(session)
            w.lengthPrefixed(message.encoded())
        case let .repairEntries(_, session, entries, last):
            w.varint(session)
            w.byte(last ? 1 : 0)
            w.varint(entries.count)
            for e in entries { w.lengthPrefixed(e.encoded()) }
        }
        return w.bytes
    }

    public static func decode(_ bytes: some Collection<UInt8>) throws(CodecError) -> SyncMessage {
        guard bytes.count <= SyncLimits.messageBytesMax else {
            throw CodecError(
                .limitExceeded,
                "sync message is \(bytes.count) bytes; the limit is \(SyncLimits.messageBytesMax)",
                offset: 0
            )
        }
        var r = ByteReader(bytes)
        let v = try r.byte("sync message version")
        guard v == version else {
            throw r.error(.unsupported, "sync message version \(v); this build reads \(version)")
        }
        let kindByte = try r.byte("sync message kind")
        guard let kind = SyncMessage.Kind(rawValue: kindByte) else {
            throw r.error(.unsupported, "unknown sync message kind \(kindByte)")
        }
        let tenant = try r.string("tenant", max: SyncLimits.tenantBytesMax)
        let m: SyncMessage
        switch kind {
        case .summary:
            let round = try r.varint("round")
            m = .summary(tenant: tenant, round: round, complete: try vector(&r, "complete vector"))
        case .batch:
            let round = try r.varint("round")
            let sequence = try r.varint("batch sequence")
            guard sequence <= UInt64(SyncLimits.batchesPerAnswerMax) else {
                throw r.error(
                    .limitExceeded,
                    "batch sequence \(sequence); the limit is \(SyncLimits.batchesPerAnswerMax)"
                )
            }
            m = .batch(tenant: tenant, round: round, sequence: UInt32(sequence), try batch(&r))
        case .push:
            m = .push(tenant: tenant, try readPush(&r))
        case .pushes:
            // Key length, replica, counter and delta length: at least 19 bytes each.
            let n = try r.count("push count", max: SyncLimits.pushesPerMessageMax, minimumItemBytes: 19)
            guard n >= 1 else { throw r.error(.malformed, "a pushes message with no delta; send nothing instead") }
            var deltas = [KeyDelta]()
            deltas.reserveCapacity(n)
            for _ in 0..<n { deltas.append(try readPush(&r)) }
            m = .pushes(tenant: tenant, deltas)
        case .refused:
            m = .refused(
                tenant: tenant,
                code: try r.string("refusal code", max: SyncLimits.refusalTextBytesMax),
                message: try r.string("refusal message", max: SyncLimits.refusalTextBytesMax)
            )
        case .repair:
            let session = try r.varint("repair session")
            let bytes = try r.lengthPrefixed("repair message", max: SyncLimits.messageBytesMax)
            do {
                m = .repair(tenant: tenant, session: session, try RepairMessage(decoding: bytes))
            } catch {
                throw r.error(.malformed, "repair message: \(error.message)")
            }
        case .repairEntries:
            let session = try r.varint("repair session")
            let last = try r.byte("repair last flag")
            guard last <= 1 else { throw r.error(.malformed, "repair last flag \(last); expected 0 or 1") }
            let n = try r.count("repair entry count", max: SyncLimits.batchKeysMax, minimumItemBytes: 5)
            var entries = [RepairEntry]()
            entries.reserveCapacity(n)
            for _ in 0..<n {
                var er = ByteReader(try r.lengthPrefixed("repair entry", max: SyncLimits.messageBytesMax))
                entries.append(try RepairEntry(reading: &er))
                guard er.isAtEnd else { throw er.error(.trailingBytes, "\(er.remaining) bytes after a repair entry") }
            }
            m = .repairEntries(tenant: tenant, session: session, entries: entries, last: last == 1)
        }
        guard r.isAtEnd else { throw r.error(.trailingBytes, "\(r.remaining) bytes after the sync message") }
        return m
    }

    /// The body of a `push`, also each entry of `pushes`: key, dot, delta (sync-v1.md §4).
    /// The encoded size of a push's body (without the message header): what coalescing counts.
    static func pushBytes(_ d: KeyDelta) -> Int {
        var w = ByteWriter()
        writePush(d, &w)
        return w.bytes.count
    }

    static func writePush(_ d: KeyDelta, _ w: inout ByteWriter) {
        w.lengthPrefixed(Array(d.key.utf8))
        w.raw(d.dot.replica.bytes)
        w.varint(d.dot.counter)
        w.lengthPrefixed(CRDTCodec.encode(d.delta))
    }

    static func readPush(_ r: inout ByteReader) throws(CodecError) -> KeyDelta {
        let key = try r.string("key", max: CoreLimits.keyBytesMax)
        let replica = ReplicaID(bytes: try r.lengthFixed(ReplicaID.byteCount, "push dot replica"))!
        let counter = try r.varint("push dot counter")
        guard counter >= 1 else { throw r.error(.malformed, "push dot counter is 0") }
        let delta = try CRDTCodec.decodeCausal(try r.lengthPrefixed("push delta", max: SyncLimits.messageBytesMax))
        return KeyDelta(key: key, dot: Dot(replica: replica, counter: counter), delta: delta)
    }

    /// At most `refusalTextBytesMax` bytes, cut at a character boundary so the peer's
    /// UTF-8 check accepts it.
    static func truncated(_ text: String) -> [UInt8] {
        var out = [UInt8]()
        for ch in text {
            let bytes = Array(String(ch).utf8)
            guard out.count + bytes.count <= SyncLimits.refusalTextBytesMax else { break }
            out += bytes
        }
        return out
    }

    private static func vector(_ r: inout ByteReader, _ what: String) throws(CodecError) -> VersionVector {
        let c = try CRDTCodec.decodeContext(try r.lengthPrefixed(what, max: SyncLimits.messageBytesMax))
        guard c.cloud.isEmpty else { throw r.error(.malformed, "\(what) carries out-of-order dots") }
        return c.vector
    }

    private static func batch(_ r: inout ByteReader) throws(CodecError) -> SyncBatch {
        let n = try r.count("batch entry count", max: SyncLimits.batchKeysMax, minimumItemBytes: 3)
        var entries = [SyncEntry]()
        entries.reserveCapacity(n)
        for _ in 0..<n {
            let key = try r.string("key", max: CoreLimits.keyBytesMax)
            let value = try CRDTCodec.decodeValue(try r.lengthPrefixed("value", max: SyncLimits.messageBytesMax))
            let version = try vector(&r, "key version")
            entries.append(SyncEntry(key: key, state: KeyState(value: value, version: version)))
        }
        let sender = try CRDTCodec.decodeContext(
            try r.lengthPrefixed("sender context", max: SyncLimits.messageBytesMax)
        )
        var mark: SyncBatch.Mark?
        switch try r.byte("mark flag") {
        case 0: mark = nil
        case 1:
            let ctx = try CRDTCodec.decodeContext(try r.lengthPrefixed("mark context", max: SyncLimits.messageBytesMax))
            mark = SyncBatch.Mark(context: ctx, complete: try vector(&r, "mark complete vector"))
        case let f: throw r.error(.malformed, "mark flag \(f); expected 0 or 1")
        }
        return SyncBatch(entries: entries, senderContext: sender, mark: mark)
    }
}
