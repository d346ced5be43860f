import Foundation

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

    /// Runs `lattice ARGUMENTS` in `directory` with the test process's environment minus every
    /// `LATTICE_*` variable, plus `environment`. Output goes to files in `scratch`, so a large
    /// output never blocks the child on a full pipe.
    static func run(
        _ arguments: [String],
        in directory: String,
        scratch: TemporaryDirectory,
        environment: [String: String] = [:]
    ) async throws -> RunResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try executable())
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        var childEnvironment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("LATTICE_") }
        childEnvironment.merge(environment) { _, new in new }
        process.environment = childEnvironment
        let name = UUID().uuidString
        let (outPath, errPath) = (scratch.file("\(name).out"), scratch.file("\(name).err"))
        guard FileManager.default.createFile(atPath: outPath, contents: nil),
            FileManager.default.createFile(atPath: errPath, contents: nil),
            let out = FileHandle(forWritingAtPath: outPath), let err = FileHandle(forWritingAtPath: errPath)
        else { throw RunnerError("cannot create output files in \(scratch.path)") }
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
                return
            }
            DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(runSecondsMax)) { [process] in
                if process.isRunning { process.terminate() }
            }
        }
        try out.close()
        try err.close()
        defer {
            try? FileManager.default.removeItem(atPath: outPath)
            try? FileManager.default.removeItem(atPath: errPath)
        }
        return RunResult(
            status: status,
            stdout: try String(contentsOfFile: outPath, encoding: .utf8),
            stderr: try String(contentsOfFile: errPath, encoding: .utf8)
        )
    }
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
