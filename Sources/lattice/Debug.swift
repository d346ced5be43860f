import ArgumentParser
import Dispatch
@_spi(Testing) import LatticeStore

#if canImport(Glibc)
import Glibc
#endif

/// Hidden commands that tests run as child processes.
struct Debug: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Test helpers (child processes for the store's crash and reader tests).",
        shouldDisplay: false,
        subcommands: [StoreWriter.self, StoreReader.self]
    )
}

extension Debug {
    /// Writes with several concurrent writers until killed, printing `ack KEY` once each write is
    /// durable. The crash test kills it with SIGKILL and checks every acknowledged key survived.
    struct StoreWriter: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "store-writer")

        @Option(help: "Data directory.") var dir: String
        @Option(help: "Master key file (0600).") var keyFile: String
        @Option(name: .customLong("run"), help: "A name for this run; keys are RUN/wWRITER/INDEX.") var runName: String
        @Option(help: "Concurrent writers.") var writers: Int = 8
        @Option(help: "Stop after this many writes per writer (0: until killed).") var count: Int = 0

        func run() throws {
            let store = try Store.open(directory: dir, masterKeyFile: keyFile)
            let done = DispatchSemaphore(value: 0)
            let failure = FailureBox()
            let (run, writers, count) = (runName, self.writers, self.count)
            Task {
                do {
                    try await store.createTenant(CrashWorkload.tenant)
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for w in 0..<writers {
                            group.addTask { try await Self.writeLoop(store, run: run, writer: w, count: count) }
                        }
                        try await group.waitForAll()
                    }
                } catch {
                    failure.set("\(error)")
                }
                done.signal()
            }
            done.wait()
            store.close()
            if let message = failure.get() { throw ValidationError("store-writer failed: \(message)") }
        }

        static func writeLoop(_ store: Store, run: String, writer: Int, count: Int) async throws {
            var index = 0
            while count == 0 || index < count {
                let key = CrashWorkload.key(run: run, writer: writer, index: index)
                try await store.put(CrashWorkload.value(for: key), forKey: key, tenant: CrashWorkload.tenant)
                writeLine("ack \(key)\n")
                index += 1
            }
        }
    }

    /// Opens the store, starts a read, prints `reading` and blocks inside the read until killed,
    /// leaving its reader slot behind.
    struct StoreReader: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "store-reader")

        @Option(help: "Data directory.") var dir: String
        @Option(help: "Master key file (0600).") var keyFile: String

        func run() throws {
            let store = try Store.open(directory: dir, masterKeyFile: keyFile)
            try store.read { (_: LatticeStore.StoreReader) -> Void in
                writeLine("reading\n")
                while true { pause() }
            }
        }
    }
}

/// One `write(2)` per line, so lines from concurrent writers never interleave and nothing
/// sits in a buffer when the process is killed.
private func writeLine(_ line: String) {
    var bytes = Array(line.utf8)
    _ = bytes.withUnsafeMutableBytes { write(1, $0.baseAddress, $0.count) }
}

private final class FailureBox: @unchecked Sendable {
    private let lock = DispatchSemaphore(value: 1)
    private var message: String?
    func set(_ m: String) {
        lock.wait()
        message = message ?? m
        lock.signal()
    }
    func get() -> String? {
        lock.wait()
        defer { lock.signal() }
        return message
    }
}
