import LatticeCore
import LatticeSync
import Testing

@testable import LatticeStore

#if canImport(Glibc)
import Glibc
#endif

/// Anonymous resident memory of this process in bytes (`RssAnon` in /proc/self/status): the
/// heap, without the pages of LMDB's memory map, which count as file-backed.
func residentAnonymousBytes() -> Int {
    let text = String(decoding: readFile("/proc/self/status"), as: UTF8.self)
    guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("RssAnon:") }) else { return 0 }
    let kilobytes = line.split(separator: " ").compactMap { Int($0) }.first ?? 0
    return kilobytes * 1024
}

@Suite struct ReplicaAnswerMemoryTests {
    static let keyCount = 100_000
    /// Long names, so that holding every name (as a key list would) costs over 20 MB.
    static func name(_ i: Int) -> String { "device/\(i)/" + String(repeating: "s", count: 180) }

    @Test func anAnswerOver100kKeys_holdsACursorAndTheMarks_notTheKeys() async throws {
        let a = try await ReplicaFixture()
        defer { a.close() }
        let me = a.replica.replica
        for chunk in 0..<10 {
            try await a.store.write { w in
                var tx = try ReplicaTransaction(w, tenant: "t")
                for i in chunk * 10_000..<(chunk + 1) * 10_000 {
                    _ = try tx.write(Self.name(i), .increment(by: 1), as: me, at: HLCTimestamp(rawValue: 1))
                }
                try tx.finish()
            }
        }
        var answer = try a.replica.answer(tenant: "t", to: VersionVector())
        let heldAtStart = answer.heldElements
        let baseline = residentAnonymousBytes()
        var peak = baseline
        var heldMax = 0
        var sent = 0
        var batches = 0
        var lastKey = -1
        var inOrder = true
        while !answer.isFinished {
            let batch = try a.replica.nextBatch(of: &answer, limit: 1_024)
            sent += batch.entries.count
            for e in batch.entries {
                let i = Int(e.key.split(separator: "/")[1])!
                inOrder = inOrder && i == lastKey + 1  // one origin: counter order is write order
                lastKey = i
            }
            heldMax = max(heldMax, answer.heldElements)
            batches += 1
            if batches % 16 == 0 { peak = max(peak, residentAnonymousBytes()) }
        }
        peak = max(peak, residentAnonymousBytes())
        let growth = peak - baseline
        print(
            "answer over \(sent) keys in \(batches) batches: holds \(heldMax) elements; RssAnon growth \(growth) bytes"
        )
        #expect(sent == Self.keyCount && inOrder)
        #expect(heldAtStart <= 4, "peer vector, marks: one origin")
        #expect(heldMax <= heldAtStart + ReplicaReader.indexKeyBytes, "a cursor of one index key, whatever the size")
        // Holding 100,000 names of ~190 bytes would take over 20 MB; the answer's own state is a
        // few dozen values. Generous, because other tests share the process.
        #expect(growth < 16 << 20, "anonymous memory grew by \(growth) bytes while answering")
    }
}
