import Dispatch
import Synchronization

/// Options every suite understands.
public struct BenchOptions: Sendable {
    /// Shrinks every size so a suite finishes in seconds (for smoke tests).
    public var quick: Bool
    /// A directory for on-disk benchmarks; the suite creates and removes files inside it.
    public var workDirectory: String

    public init(quick: Bool = false, workDirectory: String = "/tmp") {
        self.quick = quick
        self.workDirectory = workDirectory
    }
}

/// A named group of benchmarks run by `lattice bench NAME`.
public struct BenchSuite: Sendable {
    public let name: String
    public let summary: String
    public let run: @Sendable (BenchOptions, (BenchMeasurement) -> Void) throws -> Void

    public init(
        name: String,
        summary: String,
        run: @escaping @Sendable (BenchOptions, (BenchMeasurement) -> Void) throws -> Void
    ) {
        self.name = name
        self.summary = summary
        self.run = run
    }

    /// Every suite, in the order `lattice bench all` runs them.
    public static let all: [BenchSuite] = [crdt, StoreBench.suite, sync, repair, WireBench.suite]

    public static func named(_ name: String) -> BenchSuite? { all.first { $0.name == name } }
}

/// Wall-clock timing on the monotonic clock.
public enum Stopwatch {
    /// Seconds taken by `body`.
    public static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let clock = ContinuousClock()
        let start = clock.now
        try body()
        return start.duration(to: clock.now).benchSeconds
    }
}

extension Duration {
    /// The duration in seconds, for benchmark rates.
    var benchSeconds: Double {
        let c = components
        return Double(c.seconds) + Double(c.attoseconds) * 1e-18
    }
}

/// Runs async benchmark code from a synchronous suite, on a thread of its own.
func benchBlocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let result = Mutex<Result<T, any Error>?>(nil)
    let done = DispatchSemaphore(value: 0)
    Task.detached {
        let r: Result<T, any Error>
        do { r = .success(try await body()) } catch { r = .failure(error) }
        result.withLock { $0 = r }
        done.signal()
    }
    done.wait()
    return try result.withLock { $0! }.get()
}
