import Foundation
import LatticeCrypto
import LatticeOps
import LatticeTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `lattice node` as an operator runs it: the real binary, a config file, SIGTERM.
@Suite("lattice node process", .serialized)
struct NodeProcessTests {
    /// A directory with node.key, master.key and a lattice.toml (no peers, port 0).
    static func makeNodeDirectory(extra: String = "") throws -> String {
        var template = Array("/tmp/lattice-proc-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw ChildError("mkdtemp failed") }
        let dir = String(cString: made)
        _ = try X25519KeyPair.generate(at: "\(dir)/node.key")
        try MasterKey.generate(at: "\(dir)/master.key")
        let toml = """
            network = "proc-test"
            listen = "127.0.0.1:0"
            profile = "loopback"
            \(extra)

            [[tenants]]
            id = "default"
            """
        try toml.write(toFile: "\(dir)/lattice.toml", atomically: true, encoding: .utf8)
        return dir
    }

    /// Reads the child's output until a line containing `text`, or fails after `seconds`.
    static func waitForLine(_ child: ChildProcess, containing text: String, seconds: Int = 60) async throws -> [String]
    {
        var seen = [String]()
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            let (lines, closed) = await child.lines(timeoutMs: 100)
            seen += lines
            if lines.contains(where: { $0.contains(text) }) { return seen }
            if closed { break }
        }
        throw ChildError("no line containing \(text.debugDescription); output:\n\(seen.joined(separator: "\n"))")
    }

    @Test("node starts, answers on its admin socket, and SIGTERM exits 0 leaving no socket file")
    func startServeAndTerminate() async throws {
        let dir = try Self.makeNodeDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let exe = try ChildProcess.latticeExecutable()
        let child = try ChildProcess(exe, ["node", "--config", "\(dir)/lattice.toml"], mergeStandardError: true)
        let banner = try await Self.waitForLine(child, containing: "admin socket")
        #expect(banner.contains { $0.contains("listening on  127.0.0.1:") })
        let socket = "\(dir)/data/admin/lattice.sock"
        var info = stat()
        #expect(stat(socket, &info) == 0 && info.st_mode & 0o777 == 0o600, "socket must be 0600")
        let client = AdminClient(socketPath: socket)
        let put = try await client.request(.PUT, "/v1/kv/default/k", json: ["type": "register", "value": "v"])
        #expect(put.status == 200)
        let get = try await client.request(.GET, "/v1/kv/default/k")
        #expect(get.json?["value"] == "v")

        // A second node given the same admin socket refuses to start and says why.
        let other = try Self.makeNodeDirectory(extra: "admin_socket = \"\(socket)\"")
        defer { try? FileManager.default.removeItem(atPath: other) }
        let second = try ChildProcess(exe, ["node", "--config", "\(other)/lattice.toml"], mergeStandardError: true)
        let status = await second.exitStatus()
        let (lines, _) = await second.lines(timeoutMs: 1_000)
        #expect(status != 0, "a second node on the same socket must not start")
        #expect(lines.joined(separator: "\n").contains(socket), "the refusal names the socket:\n\(lines)")

        // /metrics of the running node: every family has HELP and TYPE, `lattice_` names, `_total`
        // counters; Python's prometheus_client parses it where it is installed (`make deps` tries).
        let metrics = try await client.request(.GET, "/metrics")
        #expect(metrics.headers.contains { $0.name.lowercased() == "content-type" && $0.value.contains("0.0.4") })
        #expect(metrics.text.contains("# HELP lattice_sync_rounds_completed_total "))
        #expect(metrics.text.contains("# TYPE lattice_peers_connected gauge"))
        if PythonPrometheus.isAvailable {
            let families = try PythonPrometheus.parse(metrics.body)
            #expect(families.contains("lattice_sync_keys_sent counter"), "\(families)")
            #expect(families.contains("lattice_admin_request_duration_seconds histogram"), "\(families)")
        }

        // A replica id is renewed only with the node stopped.
        let busy = try ChildProcess(
            exe,
            ["renew-replica-id", "--config", "\(dir)/lattice.toml"],
            mergeStandardError: true
        )
        #expect(await busy.exitStatus() != 0)
        #expect(await busy.lines(timeoutMs: 1_000).lines.joined().contains("stop it first"))

        kill(child.pid, SIGTERM)
        let exit = await child.exitStatus()
        #expect(exit == 0, "SIGTERM must drain and exit 0 (wait status \(exit))")
        #expect(access(socket, F_OK) != 0, "the admin socket file must be gone after SIGTERM")
        let renew = try ChildProcess(
            exe,
            ["renew-replica-id", "--config", "\(dir)/lattice.toml"],
            mergeStandardError: true
        )
        #expect(await renew.exitStatus() == 0)
        #expect(await renew.lines(timeoutMs: 1_000).lines.joined().contains(" -> "))

        // The data is durable: a restarted node still has the key.
        let again = try ChildProcess(exe, ["node", "--config", "\(dir)/lattice.toml"], mergeStandardError: true)
        _ = try await Self.waitForLine(again, containing: "admin socket")
        #expect(try await client.request(.GET, "/v1/kv/default/k").json?["value"] == "v")
        kill(again.pid, SIGTERM)
        #expect(await again.exitStatus() == 0)
    }

    @Test("a config error names the file, line, field and expected type")
    func configErrors() async throws {
        let dir = try Self.makeNodeDirectory(extra: "profile_typo = 1")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try """
        network = 5
        listen = "127.0.0.1:0"
        [[tenants]]
        id = "default"
        """.write(toFile: "\(dir)/lattice.toml", atomically: true, encoding: .utf8)
        let child = try ChildProcess(
            try ChildProcess.latticeExecutable(),
            ["node", "--config", "\(dir)/lattice.toml"],
            mergeStandardError: true
        )
        #expect(await child.exitStatus() != 0)
        let text = await child.lines(timeoutMs: 1_000).lines.joined(separator: "\n")
        #expect(text.contains("lattice.toml:1"), "names the line: \(text)")
        #expect(text.contains("network"), "names the field: \(text)")
        #expect(text.contains("string"), "names the expected type: \(text)")
    }

    @Test("a key file others can read refuses to start with the chmod fix")
    func looseKeyFile() async throws {
        let dir = try Self.makeNodeDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        chmod("\(dir)/master.key", 0o644)
        let child = try ChildProcess(
            try ChildProcess.latticeExecutable(),
            ["node", "--config", "\(dir)/lattice.toml"],
            mergeStandardError: true
        )
        #expect(await child.exitStatus() != 0)
        let text = await child.lines(timeoutMs: 1_000).lines.joined(separator: "\n")
        #expect(text.contains("chmod 600"), "says how to fix it: \(text)")
    }
}
