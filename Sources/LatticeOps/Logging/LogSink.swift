import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where formatted log lines go. `write(line:)` receives one complete event, without the
/// trailing newline, and may be called from any thread.
public protocol LogSink: Sendable {
    /// Writes one line.
    func write(line: String)
}

/// Writes each line to standard error with one `write(2)` call (looping only on a short
/// write), under a lock, so lines from concurrent tasks never interleave.
public struct StandardErrorLogSink: LogSink {
    private static let lock = Mutex(())

    /// Makes the sink; all instances share one lock because they share the descriptor.
    public init() {}

    /// Writes `line` and a newline to file descriptor 2.
    public func write(line: String) {
        var bytes = Array(line.utf8)
        bytes.append(UInt8(ascii: "\n"))
        Self.lock.withLock { _ in
            var offset = 0
            while offset < bytes.count {
                let written = bytes.withUnsafeBytes { POSIX.write(2, $0.baseAddress! + offset, $0.count - offset) }
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { return }
                offset += written
            }
        }
    }
}

/// Keeps lines in memory; for tests and for printing captured logs when a test fails.
public final class MemoryLogSink: LogSink {
    private let storage = Mutex<[String]>([])

    /// Makes an empty sink.
    public init() {}

    /// Appends `line`.
    public func write(line: String) {
        storage.withLock { $0.append(line) }
    }

    /// The lines written so far, oldest first.
    public var lines: [String] { storage.withLock { $0 } }
}
