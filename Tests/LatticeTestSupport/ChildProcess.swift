import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A child process with its standard output (and optionally standard error) on a pipe: the
/// store's crash tests and the CLI and node tests that drive the real `lattice` binary.
public final class ChildProcess: @unchecked Sendable {
    public let pid: pid_t
    private let output: Int32
    private var buffer: [UInt8] = []
    public private(set) var isExited = false

    /// The `lattice` executable built next to the test binary, or a clear failure.
    public static func latticeExecutable() throws -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { throw ChildError("cannot read /proc/self/exe") }
        var dir = String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        while let last = dir.last, last != "/" { dir.removeLast() }
        // The test binary is .build/<triple>/debug/LatticePackageTests.xctest (maybe a bundle dir).
        for candidate in [dir + "lattice", dir + "../lattice", dir + "../../lattice"] where access(candidate, X_OK) == 0
        {
            return candidate
        }
        throw ChildError(
            "the 'lattice' executable is not next to the test binary in \(dir); build it first with "
                + "'swift build --build-tests' (make test does)"
        )
    }

    /// Starts `executable`; with `mergeStandardError` its standard error goes to the same pipe.
    /// `environment` entries are added to (or replace) this process's environment.
    public init(
        _ executable: String,
        _ arguments: [String],
        mergeStandardError: Bool = false,
        environment: [String: String] = [:]
    ) throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw ChildError("pipe failed: errno \(errno)") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        if mergeStandardError { posix_spawn_file_actions_adddup2(&actions, fds[1], 2) }
        posix_spawn_file_actions_addclose(&actions, fds[0])
        posix_spawn_file_actions_addclose(&actions, fds[1])
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var child = pid_t()
        var merged = [String: String]()
        var e = environ
        while let entry = e.pointee {
            let text = String(cString: entry)
            if let eq = text.firstIndex(of: "=") {
                merged[String(text[..<eq])] = String(text[text.index(after: eq)...])
            }
            e += 1
        }
        for (k, v) in environment { merged[k] = v }
        let envp = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for p in envp { free(p) } }
        let rc = posix_spawn(&child, executable, &actions, nil, argv, envp)
        close(fds[1])
        guard rc == 0 else {
            close(fds[0])
            throw ChildError("cannot start \(executable): \(String(cString: strerror(rc)))")
        }
        pid = child
        output = fds[0]
    }

    deinit {
        if !isExited {
            kill(pid, SIGKILL)
            _ = waitForExit()
        }
        close(output)
    }

    /// Complete lines read within `timeoutMs` (fewer if the pipe closes). Partial lines stay buffered.
    public func readLines(timeoutMs: Int) -> (lines: [String], closed: Bool) {
        let deadline = monotonicNanoseconds() + UInt64(timeoutMs) * 1_000_000
        var closed = false
        while true {
            let now = monotonicNanoseconds()
            let waitMs = now >= deadline ? 0 : Int32((deadline - now) / 1_000_000)
            var pfd = pollfd(fd: output, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, waitMs)
            if ready > 0 {
                var chunk = [UInt8](repeating: 0, count: 1 << 16)
                let n = chunk.withUnsafeMutableBytes { read(output, $0.baseAddress, $0.count) }
                if n <= 0 {
                    closed = true
                    break
                }
                buffer += chunk[..<n]
            }
            if ready <= 0 && now >= deadline { break }
        }
        return (takeLines(), closed)
    }

    /// Reads until a full line arrives or `timeoutMs` passes.
    public func firstLine(timeoutMs: Int) -> String? {
        let deadline = monotonicNanoseconds() + UInt64(timeoutMs) * 1_000_000
        while monotonicNanoseconds() < deadline {
            let (lines, closed) = readLines(timeoutMs: 20)
            if let line = lines.first { return line }
            if closed { return nil }
        }
        return nil
    }

    private func takeLines() -> [String] {
        guard let lastNewline = buffer.lastIndex(of: 0x0a) else { return [] }
        let complete = buffer[...lastNewline]
        buffer.removeFirst(lastNewline + 1)
        return complete.split(separator: 0x0a).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Kills the child with SIGKILL and reaps it.
    public func killNow() {
        kill(pid, SIGKILL)
        _ = waitForExit()
    }

    /// Waits for the child and returns its wait status.
    @discardableResult
    public func waitForExit() -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        isExited = true
        return status
    }
}

extension ChildProcess {
    /// ``waitForExit()`` on a thread of its own, so an async test never blocks one of the few
    /// threads of Swift's cooperative pool (on a 2-core machine that starves every other test).
    public func exitStatus() async -> Int32 {
        await Self.onThread { self.waitForExit() }
    }

    /// ``readLines(timeoutMs:)`` on a thread of its own (see ``exitStatus()``).
    public func lines(timeoutMs: Int) async -> (lines: [String], closed: Bool) {
        await Self.onThread { self.readLines(timeoutMs: timeoutMs) }
    }

    private static func onThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            let thread = Thread { continuation.resume(returning: body()) }
            thread.start()
        }
    }
}

public struct ChildError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Nanoseconds of CLOCK_MONOTONIC.
func monotonicNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}
