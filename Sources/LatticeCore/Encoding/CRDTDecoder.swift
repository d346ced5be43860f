extension CRDTCodec {
    public static func decodeValue(_ bytes: some Collection<UInt8>) throws(CodecError) -> CRDTValue {
        var d = try Decoder(bytes, expecting: .value)
        let v = try d.value(depth: 0)
        try d.finish()
        return v
    }

    public static func decodeContext(_ bytes: some Collection<UInt8>) throws(CodecError) -> CausalContext {
        var d = try Decoder(bytes, expecting: .context)
        let c = try d.context()
        try d.finish()
        return c
    }

    /// Decodes a delta or a whole state. Every dot in the store must be in the context.
    public static func decodeCausal(_ bytes: some Collection<UInt8>) throws(CodecError) -> Causal<CRDTValue> {
        var d = try Decoder(bytes, expecting: .causal)
        let c = try d.context()
        let v = try d.value(depth: 0)
        try d.finish()
        var uncovered: Dot?
        v.forEachDot { if uncovered == nil && !c.contains($0) { uncovered = $0 } }
        if let uncovered {
            throw d.reader.error(.malformed, "dot \(uncovered) is in the value but not in its causal context")
        }
        return Causal(store: v, context: c)
    }
}

/// One decoding pass. Tracks the replica table and every dot seen, so a dot used twice
/// (which would break the join laws) is rejected.
private struct Decoder {
    var reader: ByteReader
    var replicas: [ReplicaID] = []
    var seenDots = Set<Dot>()

    init(_ bytes: some Collection<UInt8>, expecting kind: CRDTCodec.Kind) throws(CodecError) {
        guard bytes.count <= CoreLimits.encodedBytesMax else {
            throw CodecError(
                .limitExceeded,
                "record is \(bytes.count) bytes; the limit is \(CoreLimits.encodedBytesMax)",
                offset: 0
            )
        }
        reader = ByteReader(bytes)
        let version = try reader.byte("format version")
        guard version == CRDTCodec.formatVersion else {
            throw reader.error(
                .unsupported,
                "format version \(version); this build reads version \(CRDTCodec.formatVersion)"
            )
        }
        let k = try reader.byte("record kind")
        guard k == kind.rawValue else {
            throw reader.error(.unsupported, "record kind \(k); expected \(kind.rawValue) (\(kind))")
        }
        let n = try reader.count(
            "replica table size",
            max: CoreLimits.replicasMax,
            minimumItemBytes: ReplicaID.byteCount
        )
        replicas.reserveCapacity(n)
        for _ in 0..<n {
            let id = ReplicaID(bytes: try reader.lengthFixed(ReplicaID.byteCount, "replica id"))!
            if let last = replicas.last, !(last < id) {
                throw reader.error(.malformed, "replica table is not in strictly ascending order")
            }
            replicas.append(id)
        }
    }

    func finish() throws(CodecError) {
        guard reader.isAtEnd else { throw reader.error(.trailingBytes, "\(reader.remaining) bytes after the record") }
    }

    mutating func replica(_ what: String) throws(CodecError) -> ReplicaID {
        let i = try reader.varint(what)
        guard i < UInt64(replicas.count) else {
            throw reader.error(.malformed, "\(what) \(i) is outside the replica table of \(replicas.count)")
        }
        return replicas[Int(i)]
    }

    mutating func dot() throws(CodecError) -> Dot {
        let r = try replica("dot replica index")
        let c = try reader.varint("dot counter")
        guard c >= 1 else { throw reader.error(.malformed, "dot counter is 0; counters start at 1") }
        guard c <= CoreLimits.counterMax else {
            throw reader.error(.limitExceeded, "dot counter \(c) is past the limit of \(CoreLimits.counterMax)")
        }
        return Dot(replica: r, counter: c)
    }

    /// A dot of a value: must be new in this record.
    mutating func uniqueDot() throws(CodecError) -> Dot {
        let d = try dot()
        guard seenDots.count < CoreLimits.dotsMax else {
            throw reader.error(.limitExceeded, "more than \(CoreLimits.dotsMax) dots in one record")
        }
        guard seenDots.insert(d).inserted else { throw reader.error(.malformed, "dot \(d) appears twice") }
        return d
    }

    mutating func context() throws(CodecError) -> CausalContext {
        var vector = VersionVector()
        let n = try reader.count("version vector size", max: CoreLimits.replicasMax, minimumItemBytes: 2)
        var previous: ReplicaID?
        for _ in 0..<n {
            let r = try replica("vector replica index")
            let c = try reader.varint("vector counter")
            guard previous.map({ $0 < r }) ?? true else {
                throw reader.error(.malformed, "version vector entries are not in strictly ascending replica order")
            }
            guard c >= 1 else { throw reader.error(.malformed, "version vector entry is 0; omit it instead") }
            guard c <= CoreLimits.counterMax else {
                throw reader.error(
                    .limitExceeded,
                    "version vector entry \(c) is past the limit of \(CoreLimits.counterMax)"
                )
            }
            vector[r] = c
            previous = r
        }
        let m = try reader.count("dot cloud size", max: CoreLimits.dotsMax, minimumItemBytes: 2)
        var cloud = Set<Dot>(minimumCapacity: m)
        var last: Dot?
        for _ in 0..<m {
            let d = try dot()
            guard last.map({ $0 < d }) ?? true else {
                throw reader.error(.malformed, "dot cloud is not in strictly ascending order")
            }
            guard d.counter - 1 > vector[d.replica] else {
                throw reader.error(.malformed, "cloud dot \(d) is covered by or adjacent to the vector (not compact)")
            }
            cloud.insert(d)
            last = d
        }
        let context = CausalContext(vector: vector, cloud: cloud)
        guard context.cloud.count == cloud.count else {
            throw reader.error(.malformed, "dot cloud is not compact: some dots extend the vector")
        }
        return context
    }
}

extension Decoder {
    mutating func value(depth: Int) throws(CodecError) -> CRDTValue {
        guard depth < CoreLimits.nestingDepthMax else {
            throw reader.error(.limitExceeded, "maps nest deeper than \(CoreLimits.nestingDepthMax)")
        }
        let flags = try reader.byte("value flags")
        guard flags & 0b1110_0000 == 0 else { throw reader.error(.malformed, "value flags \(flags) set unknown bits") }
        guard flags != 0 || depth == 0 else { throw reader.error(.malformed, "a map field holds an empty value") }
        var v = CRDTValue()
        if flags & 1 != 0 {
            v.counter = PNCounter(
                fun: try entries("counter") { (d: inout Decoder) throws(CodecError) in
                    PNCounter.Entry(
                        increments: try d.reader.varint("counter increments"),
                        decrements: try d.reader.varint("counter decrements")
                    )
                }
            )
        }
        if flags & 2 != 0 {
            v.register = LWWRegister(
                fun: try entries("register") { (d: inout Decoder) throws(CodecError) in
                    let ts = HLCTimestamp(rawValue: try d.reader.varint("register timestamp"))
                    return LWWRegister.Stamped(timestamp: ts, value: try d.scalar())
                }
            )
        }
        if flags & 4 != 0 {
            v.mvRegister = MVRegister(
                fun: try entries("mvregister") { (d: inout Decoder) throws(CodecError) in
                    try d.scalar()
                }
            )
        }
        if flags & 8 != 0 { v.set = try set() }
        if flags & 16 != 0 { v.map = try map(depth: depth) }
        return v
    }

    mutating func entries<V>(
        _ what: String,
        _ body: (inout Decoder) throws(CodecError) -> V
    ) throws(CodecError)
        -> DotFun<V>
    {
        let n = try reader.count("\(what) entry count", max: CoreLimits.collectionCountMax, minimumItemBytes: 3)
        guard n > 0 else { throw reader.error(.malformed, "\(what) is flagged present but has no entries") }
        var out = [Dot: V](minimumCapacity: n)
        var last: Dot?
        for _ in 0..<n {
            let d = try uniqueDot()
            guard last.map({ $0 < d }) ?? true else {
                throw reader.error(.malformed, "\(what) entries are not in ascending dot order")
            }
            out[d] = try body(&self)
            last = d
        }
        return DotFun(out)
    }

    mutating func set() throws(CodecError) -> ORSet {
        let n = try reader.count("set member count", max: CoreLimits.collectionCountMax, minimumItemBytes: 4)
        guard n > 0 else { throw reader.error(.malformed, "set is flagged present but has no members") }
        var out = ORSet()
        var last: Scalar?
        for _ in 0..<n {
            let e = try scalar()
            guard last.map({ $0 < e }) ?? true else {
                throw reader.error(.malformed, "set members are not in strictly ascending order")
            }
            let m = try reader.count("dots of a set member", max: CoreLimits.dotsMax, minimumItemBytes: 2)
            guard m > 0 else { throw reader.error(.malformed, "set member \(e) has no dots") }
            var dots = [Dot]()
            dots.reserveCapacity(m)
            for _ in 0..<m {
                let d = try uniqueDot()
                guard dots.last.map({ $0 < d }) ?? true else {
                    throw reader.error(.malformed, "dots of set member \(e) are not in ascending order")
                }
                dots.append(d)
            }
            out.insert(e, dots: dots)
            last = e
        }
        return out
    }

    mutating func map(depth: Int) throws(CodecError) -> ORMap {
        let n = try reader.count("map field count", max: CoreLimits.collectionCountMax, minimumItemBytes: 3)
        guard n > 0 else { throw reader.error(.malformed, "map is flagged present but has no fields") }
        var out = ORMap()
        var last: String?
        for _ in 0..<n {
            let name = try reader.string("map field name", max: CoreLimits.fieldBytesMax)
            guard last.map({ $0.utf8.lexicographicallyPrecedes(name.utf8) }) ?? true else {
                throw reader.error(.malformed, "map fields are not in strictly ascending byte order")
            }
            guard out.fields[name] == nil else {
                throw reader.error(
                    .malformed,
                    "map field \(name.debugDescription) repeats (canonically equivalent names)"
                )
            }
            out.setField(name, try value(depth: depth + 1))
            last = name
        }
        return out
    }

    mutating func scalar() throws(CodecError) -> Scalar {
        let tag = try reader.byte("scalar tag")
        switch CRDTCodec.ScalarTag(rawValue: tag) {
        case .null: return .null
        case .false: return .bool(false)
        case .true: return .bool(true)
        case .int: return .int(try reader.signedVarint("integer scalar"))
        case .double: return .double(Double(bitPattern: try reader.fixed64LittleEndian("double scalar")))
        case .string: return .string(try reader.string("string scalar", max: CoreLimits.scalarBytesMax))
        case .bytes: return .bytes(Array(try reader.lengthPrefixed("bytes scalar", max: CoreLimits.scalarBytesMax)))
        case nil: throw reader.error(.malformed, "unknown scalar tag \(tag)")
        }
    }
}
