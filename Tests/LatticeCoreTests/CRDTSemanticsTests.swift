import LatticeCore
import Testing

/// What each type means, case by case: the behaviour a user relies on.
@Suite("CRDT semantics")
struct CRDTSemanticsTests {
    let ra = ReplicaID(high: 1, low: 0)
    let rb = ReplicaID(high: 2, low: 0)
    func ts(_ ms: UInt64) -> HLCTimestamp { HLCTimestamp(wallMilliseconds: ms, logical: 0) }

    @Test func counter_sumsIncrementsAndDecrementsAcrossReplicas() throws {
        var a = Causal<CRDTValue>()
        var b = Causal<CRDTValue>()
        try a.apply(.increment(by: 5), as: ra, at: ts(1))
        try a.apply(.increment(by: -2), as: ra, at: ts(2))
        try b.apply(.increment(by: 10), as: rb, at: ts(1))
        a.join(b)
        #expect(a.store.counter.value == 13)
        #expect(a.store.counter.entries.count == 2, "one entry per replica, not one per increment")
    }

    @Test func set_addWinsOverConcurrentRemove() throws {
        var a = Causal<CRDTValue>()
        try a.apply(.add(.string("x")), as: ra, at: ts(1))
        var b = a
        try a.apply(.remove(.string("x")), as: ra, at: ts(2))
        try b.apply(.add(.string("x")), as: rb, at: ts(2))
        #expect(a.joined(b).store.set.elements == [.string("x")])
    }

    @Test func set_removeDropsWhatItObserved() throws {
        var a = Causal<CRDTValue>()
        try a.apply(.add(.int(1)), as: ra, at: ts(1))
        var b = a
        try b.apply(.remove(.int(1)), as: rb, at: ts(2))
        a.join(b)
        #expect(a.store.set.isEmpty)
        #expect(a.store.isEmpty, "no tombstone remains in the store; the removal lives in the context")
    }

    @Test func register_lastWriterWinsByTimestampThenReplica() throws {
        var a = Causal<CRDTValue>()
        var b = Causal<CRDTValue>()
        try a.apply(.assign(.string("early")), as: ra, at: ts(5))
        try b.apply(.assign(.string("late")), as: rb, at: ts(9))
        #expect(a.joined(b).store.register.value == .string("late"))
        #expect(b.joined(a).store.register.value == .string("late"))
        var c = Causal<CRDTValue>()
        var d = Causal<CRDTValue>()
        try c.apply(.assign(.int(1)), as: ra, at: ts(7))
        try d.apply(.assign(.int(2)), as: rb, at: ts(7))
        #expect(c.joined(d).store.register.value == .int(2), "equal timestamps: the greater replica id wins")
    }

    @Test func register_laterWriteReplacesEverythingItSaw() throws {
        var a = Causal<CRDTValue>()
        var b = Causal<CRDTValue>()
        try a.apply(.assign(.int(1)), as: ra, at: ts(1))
        try b.apply(.assign(.int(2)), as: rb, at: ts(2))
        a.join(b)
        try a.apply(.assign(.int(3)), as: ra, at: ts(3))
        #expect(a.store.register.entries.count == 1)
        #expect(a.store.register.value == .int(3))
    }

    @Test func multiValueRegister_keepsConcurrentWritesUntilOverwritten() throws {
        var a = Causal<CRDTValue>()
        var b = Causal<CRDTValue>()
        try a.apply(.assignMultiValue(.string("a")), as: ra, at: ts(1))
        try b.apply(.assignMultiValue(.string("b")), as: rb, at: ts(1))
        a.join(b)
        #expect(Set(a.store.mvRegister.values) == [.string("a"), .string("b")])
        try a.apply(.assignMultiValue(.string("c")), as: ra, at: ts(2))
        #expect(a.store.mvRegister.values == [.string("c")])
    }

    @Test func map_updateConcurrentWithFieldRemovalSurvives() throws {
        var a = Causal<CRDTValue>()
        try a.apply(.update(field: "likes", .increment(by: 1)), as: ra, at: ts(1))
        var b = a
        try a.apply(.removeField("likes"), as: ra, at: ts(2))
        try b.apply(.update(field: "likes", .increment(by: 1)), as: rb, at: ts(2))
        let merged = a.joined(b)
        #expect(merged.store.map["likes"]?.counter.value == 1, "only the concurrent increment survives the removal")
    }

    @Test func map_nestsMapsAndSets() throws {
        var a = Causal<CRDTValue>()
        try a.apply(.update(field: "profile", .update(field: "tags", .add(.string("swift")))), as: ra, at: ts(1))
        try a.apply(.update(field: "profile", .update(field: "name", .assign(.string("Ada")))), as: ra, at: ts(2))
        let profile = try #require(a.store.map["profile"])
        #expect(profile.map["tags"]?.set.elements == [.string("swift")])
        #expect(profile.map["name"]?.register.value == .string("Ada"))
    }

    @Test func clear_deletesTheValueButNotConcurrentWrites() throws {
        var a = Causal<CRDTValue>()
        try a.apply(.add(.int(1)), as: ra, at: ts(1))
        var b = a
        try a.apply(.clear, as: ra, at: ts(2))
        #expect(a.store.isEmpty)
        try b.apply(.add(.int(2)), as: rb, at: ts(2))
        #expect(a.joined(b).store.set.elements == [.int(2)])
    }

    @Test func removals_consumeADotSoVectorsAdvance() throws {
        var a = Causal<CRDTValue>()
        try a.apply(.add(.int(1)), as: ra, at: ts(1))
        try a.apply(.remove(.int(1)), as: ra, at: ts(2))
        #expect(a.context.vector[ra] == 2)
    }

    @Test func writeOfAnotherType_isRefusedWithAMessageNamingBothTypes() throws {
        var a = Causal<CRDTValue>()
        try a.apply(.increment(by: 1), as: ra, at: ts(1))
        let error = #expect(throws: CRDTError.self) { try a.apply(.add(.int(1)), as: ra, at: ts(2)) }
        #expect(error?.code == .typeMismatch)
        #expect(error?.message.contains("counter") == true)
        #expect(error?.message.contains("set") == true)
    }

    @Test func concurrentCreationAsDifferentTypes_keepsBothAndReportsTheConflict() throws {
        var a = Causal<CRDTValue>()
        var b = Causal<CRDTValue>()
        try a.apply(.increment(by: 1), as: ra, at: ts(1))
        try b.apply(.add(.int(1)), as: rb, at: ts(1))
        #expect(a.joined(b).store.types == [.counter, .set])
    }

    @Test func operationsNestedPastTheLimit_areRefused() {
        var op = CRDTOperation.increment(by: 1)
        for i in 0..<CoreLimits.nestingDepthMax { op = .update(field: "f\(i)", op) }
        var a = Causal<CRDTValue>()
        #expect(throws: CRDTError.self) { try a.apply(op, as: ra, at: ts(1)) }
    }
}

@Suite("Causality")
struct CausalityTests {
    let r = ReplicaID(high: 7, low: 7)

    @Test func context_compactsOutOfOrderDotsIntoTheVector() {
        var c = CausalContext()
        c.insert(Dot(replica: r, counter: 3))
        c.insert(Dot(replica: r, counter: 1))
        #expect(c.vector[r] == 1)
        #expect(c.cloud == [Dot(replica: r, counter: 3)])
        c.insert(Dot(replica: r, counter: 2))
        #expect(c.vector[r] == 3)
        #expect(c.cloud.isEmpty)
        #expect(c.nextDot(for: r).counter == 4)
    }

    @Test func context_nextDotSkipsPastCloudDots() {
        let c = CausalContext(dots: [Dot(replica: r, counter: 5)])
        #expect(c.nextDot(for: r).counter == 6)
    }

    @Test func versionVector_mergeIsEntrywiseMax() {
        let s = ReplicaID(high: 8, low: 8)
        var a = VersionVector([r: 3, s: 1])
        a.merge(VersionVector([r: 2, s: 5]))
        #expect(a[r] == 3 && a[s] == 5)
        #expect(a.dominates(VersionVector([r: 3])))
        #expect(!VersionVector([r: 3]).dominates(a))
    }

    @Test func replicaID_roundTripsThroughBytes() {
        var rng = SeededRandom(seed: 42)
        let id = ReplicaID.random(using: &rng)
        #expect(ReplicaID(bytes: id.bytes) == id)
        #expect(ReplicaID(bytes: [1, 2, 3]) == nil)
        #expect(id.description.count == 8)
    }
}

@Suite("Hybrid logical clock")
struct HybridLogicalClockTests {
    final class ManualClock: @unchecked Sendable {
        var ms: UInt64 = 1_000
    }

    @Test func now_isStrictlyIncreasingEvenWhenPhysicalTimeStalls() {
        let manual = ManualClock()
        var clock = HybridLogicalClock(physicalMilliseconds: { manual.ms })
        let a = clock.now()
        let b = clock.now()
        manual.ms = 900  // the wall clock stepped back
        let c = clock.now()
        #expect(a < b && b < c)
        #expect(c.wallMilliseconds == 1_000)
    }

    @Test func receive_movesPastTheRemoteTimestamp() throws {
        let manual = ManualClock()
        var clock = HybridLogicalClock(physicalMilliseconds: { manual.ms })
        let remote = HLCTimestamp(wallMilliseconds: 5_000, logical: 9)
        try clock.receive(remote)
        #expect(clock.now() > remote)
    }

    @Test func receive_refusesTimestampsTooFarAhead() {
        let manual = ManualClock()
        var clock = HybridLogicalClock(physicalMilliseconds: { manual.ms })
        let remote = HLCTimestamp(wallMilliseconds: manual.ms + HybridLogicalClock.driftMillisecondsMax + 1, logical: 0)
        let error = #expect(throws: ClockError.self) { try clock.receive(remote) }
        #expect(error?.description.contains("NTP") == true)
        #expect(clock.now().wallMilliseconds == manual.ms, "a refused timestamp does not move the clock")
    }

    @Test func now_borrowsTheNextMillisecondWhenTheLogicalCounterIsFull() {
        let manual = ManualClock()
        var clock = HybridLogicalClock(
            physicalMilliseconds: { manual.ms },
            last: HLCTimestamp(wallMilliseconds: 1_000, logical: .max)
        )
        let t = clock.now()
        #expect(t.wallMilliseconds == 1_001 && t.logical == 0)
    }
}
