import Foundation
import Synchronization

/// What one run of the `lattice` binary did.
struct RunResult: CustomStringConvertible {
    var status: Int32
    var stdout: String
    var stderr: String

    /// Stdout split into lines (without the final empty one).
    var lines: [String] { stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init) }

    var description: String { "exit \(status)\n--- stdout\n\(stdout)--- stderr\n\(stderr)" }
}

/// Runs the real `lattice` executable, built next to the test binary, as a child process.
enum LatticeRunner {
    /// A hung child is killed after this long, so a bug fails the test instead of hanging it.
    /// Generous: a debug binary on a busy 2-core machine starts slowly.
    static let runSecondsMax = 60

    /// The `lattice` executable next to the test binary, or a failure saying how to build it.
    static func executable() throws -> String {
        let testBinary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var directory = testBinary.deletingLastPathComponent()
        for _ in 0..<3 {
            let candidate = directory.appendingPathComponent("lattice").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        throw RunnerError(
            "no 'lattice' executable near \(testBinary.path); build it with 'swift build --build-tests'"
        )
    }

    /// Runs `lattice ARGUMENTS` in `directory` to completion; see ``RunningLattice``.
    static func run(
        _ arguments: [String],
        in directory: String,
        scratch: TemporaryDirectory,
        environment: [String: String] = [:]
    ) async throws -> RunResult {
        try await RunningLattice(arguments, in: directory, scratch: scratch, environment: environment).result()
    }
}

/// A `lattice` child process, started with the test process's environment minus every
/// `LATTICE_*` variable, plus `environment`. Output goes to files in `scratch`, so a large
/// output never blocks the child on a full pipe. It is killed after `killAfterSeconds`
/// (``LatticeRunner/runSecondsMax`` unless the test keeps it running longer, as a node).
final class RunningLattice {
    private let process = Process()
    private let outputs: (out: String, err: String)
    private let handles: (out: FileHandle, err: FileHandle)
    private let exited: AsyncStream<Int32>

    init(
        _ arguments: [String],
        in directory: String,
        scratch: TemporaryDirectory,
        environment: [String: String] = [:],
        killAfterSeconds: Int = LatticeRunner.runSecondsMax
    ) throws {
        process.executableURL = URL(fileURLWithPath: try LatticeRunner.executable())
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        var childEnvironment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("LATTICE_") }
        childEnvironment.merge(environment) { _, new in new }
        process.environment = childEnvironment
        let name = UUID().uuidString
        outputs = (scratch.file("\(name).out"), scratch.file("\(name).err"))
        guard FileManager.default.createFile(atPath: outputs.out, contents: nil),
            FileManager.default.createFile(atPath: outputs.err, contents: nil),
            let out = FileHandle(forWritingAtPath: outputs.out), let err = FileHandle(forWritingAtPath: outputs.err)
        else { throw RunnerError("cannot create output files in \(scratch.path)") }
        handles = (out, err)
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        let (stream, continuation) = AsyncStream<Int32>.makeStream()
        exited = stream
        let hasExited = ExitFlag()
        process.terminationHandler = { process in
            hasExited.set()
            continuation.yield(process.terminationStatus)
            continuation.finish()
        }
        try process.run()
        let pid = process.processIdentifier
        DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(killAfterSeconds)) {
            // Only a child that is still ours: once reaped, its pid may belong to someone else.
            guard !hasExited.isSet else { return }
            kill(pid, SIGKILL)
        }
    }

    /// Whether the child has not exited yet.
    var isRunning: Bool { process.isRunning }

    /// Asks the child to stop (SIGTERM), as an operator or a service manager would.
    func terminate() { kill(process.processIdentifier, SIGTERM) }

    /// Waits for the child to exit and returns its status and output (a killed child reports
    /// its signal number as Foundation does).
    func result() async throws -> RunResult {
        var status: Int32 = -1
        for await value in exited {
            status = value
            break
        }
        try handles.out.close()
        try handles.err.close()
        defer {
            try? FileManager.default.removeItem(atPath: outputs.out)
            try? FileManager.default.removeItem(atPath: outputs.err)
        }
        return RunResult(
            status: status,
            stdout: try String(contentsOfFile: outputs.out, encoding: .utf8),
            stderr: try String(contentsOfFile: outputs.err, encoding: .utf8)
        )
    }
}

/// Set once a child has exited, so the watchdog never signals a reused pid.
private final class ExitFlag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}

struct RunnerError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A fresh directory under /tmp, removed by `remove()`. Paths stay short because a Unix socket
/// path holds at most 107 bytes.
struct TemporaryDirectory: Sendable {
    let path: String

    init() throws {
        var template = Array("/tmp/lattice-cli-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw RunnerError("mkdtemp failed: errno \(errno)") }
        path = String(cString: made)
    }

    func file(_ name: String) -> String { "\(path)/\(name)" }

    func write(_ name: String, _ text: String) throws {
        try text.write(toFile: file(name), atomically: false, encoding: .utf8)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// The permission bits of `path`, or nil when it does not exist.
func fileMode(_ path: String) -> mode_t? {
    var status = stat()
    guard lstat(path, &status) == 0 else { return nil }
    return status.st_mode & 0o7777
}
