import LatticeCore
import LatticeCrypto
import LatticeTestSupport
import Testing

@_spi(Testing) @testable import LatticeStore

#if canImport(Glibc)
import Glibc
#endif

func environmentInteger(_ name: String) -> UInt64? {
    getenv(name).flatMap { UInt64(String(cString: $0)) }
}

@Suite(.serialized) struct CrashTests {
    /// A child writes with 8 concurrent writers and prints each acknowledged key; it is killed
    /// with SIGKILL at a random moment; after every restart each acknowledged write must be there.
    /// `LATTICE_SOAK_CYCLES` sets the cycle count (`make soak`: 1,000), `LATTICE_CRASH_SEED` replays.
    @Test func killedWriter_neverLosesAnAcknowledgedWrite() async throws {
        let cycles = Int(environmentInteger("LATTICE_SOAK_CYCLES") ?? 50)
        let seed = environmentInteger("LATTICE_CRASH_SEED") ?? Random.uint64()
        print("crash test: \(cycles) cycles, seed \(seed) (replay with LATTICE_CRASH_SEED=\(seed))")
        var rng = SplitMix64(seed: seed)
        let executable = try ChildProcess.latticeExecutable()
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        var acknowledged: [String] = []
        var cyclesWithAcks = 0
        for cycle in 0..<cycles {
            // Each cycle blocks on a child process; yield so other tests' async work runs.
            await Task.yield()
            let acks = try runAndKill(executable, fixture, run: "c\(cycle)", afterMs: Int(rng.next() % 120))
            if !acks.isEmpty { cyclesWithAcks += 1 }
            // Restart: the environment must open cleanly and hold every acknowledged write.
            let store = try fixture.open()
            defer { store.close() }
            let earlier = (0..<min(200, acknowledged.count)).map { _ in
                acknowledged[Int(rng.next() % UInt64(acknowledged.count))]
            }
            for key in acks + earlier {
                let value = try store.get(key, tenant: CrashWorkload.tenant)
                #expect(value == CrashWorkload.value(for: key), "seed \(seed) cycle \(cycle): lost \(key)")
                if value != CrashWorkload.value(for: key) { return }
            }
            acknowledged += acks
        }
        let store = try fixture.open()
        defer { store.close() }
        for key in acknowledged {
            #expect(try store.get(key, tenant: CrashWorkload.tenant) == CrashWorkload.value(for: key), "seed \(seed)")
        }
        print("crash test: \(acknowledged.count) acknowledged writes survived \(cycles) kills")
        #expect(cyclesWithAcks >= cycles / 4, "seed \(seed): too few cycles got as far as acknowledging a write")
    }

    /// Starts the writer child, lets it run `afterMs` after its first acknowledgement, kills
    /// it, and returns every key it acknowledged.
    private func runAndKill(
        _ executable: String,
        _ fixture: StoreFixture,
        run: String,
        afterMs: Int
    ) throws
        -> [String]
    {
        let child = try ChildProcess(
            executable,
            ["debug", "store-writer", "--dir", fixture.dataDirectory, "--key-file", fixture.keyFile, "--run", run]
        )
        var lines: [String] = []
        if let first = child.firstLine(timeoutMs: 20_000) { lines.append(first) }
        let (more, closed) = child.readLines(timeoutMs: afterMs)
        lines += more
        if closed && !lines.isEmpty {
            throw ChildError("store-writer exited by itself (status \(child.waitForExit())) in run \(run)")
        }
        child.killNow()
        while true {
            let (rest, done) = child.readLines(timeoutMs: 1000)
            lines += rest
            if done || rest.isEmpty { break }
        }
        return lines.compactMap { $0.hasPrefix("ack ") ? String($0.dropFirst(4)) : nil }
    }

    /// LMDB resets the reader table when the first process opens an environment, so a stale slot
    /// only matters while another process keeps it open: a live reader stays, a second is killed.
    @Test func readerSlotOfAKilledProcess_isClearedWhenTheStoreOpens() throws {
        let executable = try ChildProcess.latticeExecutable()
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        try fixture.open().close()
        let arguments = ["debug", "store-reader", "--dir", fixture.dataDirectory, "--key-file", fixture.keyFile]
        let survivor = try ChildProcess(executable, arguments)
        #expect(survivor.firstLine(timeoutMs: 20_000) == "reading")
        let victim = try ChildProcess(executable, arguments)
        #expect(victim.firstLine(timeoutMs: 20_000) == "reading")
        victim.killNow()
        let store = try fixture.open()
        defer { store.close() }
        #expect(store.staleReadersCleared >= 1)
        #expect(try store.read { _ in true })
        survivor.killNow()
    }
}
