import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Starting, probing and stopping the testnet's processes. Each runs in its own session
/// (`setsid`), so it outlives the `lattice testnet up` that started it and a Ctrl-C in that
/// terminal does not reach it; its stdout and stderr are appended to a log file.
public enum DetachedProcess {
    /// glibc's `POSIX_SPAWN_SETSID` (`spawn.h`, glibc 2.26+): the child calls `setsid()`. The
    /// header hides it behind `_GNU_SOURCE`, so Swift does not see it.
    static let spawnSetSID: Int16 = 0x80
    /// How often `stop` looks whether the processes exited.
    static let pollMilliseconds = 50
    /// How long `stop` waits after SIGKILL before it says a process survived.
    public static let killWaitSecondsMax = 5

    /// Starts `executable` with `arguments` in a new session, stdin from /dev/null and
    /// stdout + stderr appended to `logFile`.
    public static func spawn(
        executable: String,
        arguments: [String],
        logFile: String
    ) throws(TestnetError) -> ProcessRecord {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // Nothing but the three standard streams is inherited: a pipe or socket of the caller
        // held open by a long-lived child would keep whoever reads it (a test harness, a
        // `$(lattice testnet up)`) waiting until the testnet stops.
        // (glibc ignores a close action on a descriptor closed meanwhile.)
        for fd in openDescriptors() where fd > 2 { posix_spawn_file_actions_addclose(&actions, fd) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logFile, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, spawnSetSID)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid = pid_t()
        let rc = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        guard rc == 0 else {
            throw TestnetError(.startFailed, "cannot start \(executable): \(String(cString: strerror(rc)))")
        }
        // The child exists from here on; its start time is readable at once.
        return ProcessRecord(pid: pid, startTicks: processInfo(pid)?.startTicks ?? 0)
    }

    /// Whether the recorded process still runs (a zombie, or another process that reuses
    /// the pid, does not count). Reaps it when it is our exited child.
    public static func isAlive(_ record: ProcessRecord) -> Bool {
        var status: Int32 = 0
        _ = waitpid(record.pid, &status, WNOHANG)
        guard let info = processInfo(record.pid) else { return false }
        return info.state != "Z" && info.state != "X"
            && (record.startTicks == 0 || info.startTicks == record.startTicks)
    }

    /// Sends `signal` to the process if it is still the one recorded.
    public static func send(_ signal: Int32, to record: ProcessRecord) {
        if isAlive(record) { kill(record.pid, signal) }
    }

    /// What `stop` did.
    public struct StopReport: Sendable {
        /// Labels of processes that ignored SIGTERM within the grace period and got SIGKILL.
        public var killed: [String]
        /// Labels of processes still alive after SIGKILL (should be empty).
        public var survivors: [String]
    }

    /// Sends SIGTERM to every live process, waits up to `graceSeconds` for all to exit,
    /// SIGKILLs the rest and waits for those too.
    public static func stop(
        _ processes: [(label: String, process: ProcessRecord)],
        graceSeconds: Int
    ) async -> StopReport {
        for entry in processes { send(SIGTERM, to: entry.process) }
        var alive = await waitForExit(processes, seconds: graceSeconds)
        let killed = alive.map(\.label)
        for entry in alive { send(SIGKILL, to: entry.process) }
        alive = await waitForExit(alive, seconds: killWaitSecondsMax)
        return StopReport(killed: killed, survivors: alive.map(\.label))
    }

    /// Polls until every process exited or `seconds` passed; returns those still alive.
    static func waitForExit(
        _ processes: [(label: String, process: ProcessRecord)],
        seconds: Int
    ) async -> [(label: String, process: ProcessRecord)] {
        let deadline = ContinuousClock.now + .seconds(seconds)
        var alive = processes.filter { isAlive($0.process) }
        while !alive.isEmpty && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(pollMilliseconds))
            alive = alive.filter { isAlive($0.process) }
        }
        return alive
    }

    /// The state letter and start time of `pid` from `/proc/PID/stat`; nil when it is gone.
    static func processInfo(_ pid: Int32) -> (state: Character, startTicks: UInt64)? {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/stat"),
            let text = String(data: data, encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return nil }
        // After "PID (COMM) " come the fields from 3 (state) on; the start time is field 22.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 19, let state = fields[0].first, let ticks = UInt64(fields[19]) else { return nil }
        return (state, ticks)
    }

    /// This process's open file descriptors (`/proc/self/fd`).
    static func openDescriptors() -> [Int32] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).compactMap { Int32($0) }
    }

    /// The last `lines` lines of a log file, for error messages.
    public static func tail(of logFile: String, lines: Int = 15) -> String {
        guard let data = FileManager.default.contents(atPath: logFile) else { return "(no log at \(logFile))" }
        let text = String(decoding: data.suffix(64 * 1024), as: UTF8.self)
        let last = text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines + 1)
        return last.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
