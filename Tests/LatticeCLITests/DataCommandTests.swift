import Foundation
import LatticeOps
import NIOHTTP1
import Testing

/// The data commands against a stub node: what they send, what they print, how they fail.
@Suite("lattice put/get/delete/incr/sadd/srem/keys")
struct DataCommandTests {
    /// Runs `lattice ARGUMENTS --socket STUB`.
    static func lattice(_ stub: StubNode, _ arguments: [String]) async throws -> RunResult {
        try await LatticeRunner.run(
            arguments + ["--socket", stub.socketPath],
            in: stub.directory.path,
            scratch: stub.directory
        )
    }

    @Test(
        "get prints the value alone: strings raw, counters as numbers, collections as compact JSON",
        arguments: [
            ("greeting", "hello world"), ("ratio", "2.5"), ("hits", "42"), ("tags", "[\"a\",\"b\"]"),
            ("profile", "{\"n\":1,\"name\":\"x\"}"), ("conflict", "[\"x\",\"y\"]"),
        ]
    )
    func test_get_printsValueByType(key: String, expected: String) async throws {
        let stub = try StubNode()
        try await stub.run {
            let result = try await Self.lattice(stub, ["get", "app", key])
            #expect(result.status == 0, "\(result)")
            #expect(result.stdout == expected + "\n", "\(result)")
            #expect(result.stderr.isEmpty, "\(result)")
        }
    }

    @Test("get of a missing key exits 1 with the node's message on stderr and nothing on stdout")
    func test_get_missingKey_exitsOne() async throws {
        let stub = try StubNode()
        try await stub.run {
            let result = try await Self.lattice(stub, ["get", "app", "nope"])
            #expect(result.status == 1, "\(result)")
            #expect(result.stdout.isEmpty)
            #expect(result.stderr == "Error: no value under key \"nope\" in app\n", "\(result)")
            let tenant = try await Self.lattice(stub, ["get", "other", "k"])
            #expect(tenant.status == 1)
            #expect(tenant.stderr.contains("tenant \"other\" is not configured"), "\(tenant)")
            let twoTypes = try await Self.lattice(stub, ["get", "app", "both"])
            #expect(twoTypes.stdout == "7\n", "\(twoTypes)")
            #expect(twoTypes.stderr == "warning: both holds several types (counter, set); showing the first\n")
        }
    }

    @Test("put sends a register (string, or a JSON scalar with --json); keys with / are escaped; delete")
    func test_put_andDelete_sendTheSpecifiedBodies() async throws {
        let stub = try StubNode()
        try await stub.run {
            let text = try await Self.lattice(stub, ["put", "app", "dir/file name", "hello world"])
            #expect(text.status == 0, "\(text)")
            #expect(text.stdout.isEmpty)
            let number = try await Self.lattice(stub, ["put", "app", "n", "17", "--json"])
            #expect(number.status == 0, "\(number)")
            let badJSON = try await Self.lattice(stub, ["put", "app", "n", "[1]", "--json"])
            #expect(badJSON.status == 64, "a usage error: \(badJSON)")
            #expect(badJSON.stderr.contains("JSON scalar"), "\(badJSON)")
            let deleted = try await Self.lattice(stub, ["delete", "app", "n"])
            #expect(deleted.status == 0, "\(deleted)")

            let requests = stub.requests
            #expect(requests.map(\.method) == [.PUT, .PUT, .DELETE])
            #expect(requests.map(\.key) == ["dir/file name", "n", "n"])
            #expect(requests[0].body == ["type": "register", "value": "hello world"])
            #expect(requests[1].body == ["type": "register", "value": 17])
        }
    }

    @Test("incr takes N, -- -N or --by N and prints the counter; sadd and srem send their ops")
    func test_ops_sendTheSpecifiedBodies() async throws {
        let stub = try StubNode()
        try await stub.run {
            let one = try await Self.lattice(stub, ["incr", "app", "hits"])
            #expect(one.stdout == "43\n", "\(one)")
            let negative = try await LatticeRunner.run(
                ["incr", "--socket", stub.socketPath, "app", "hits", "--", "-5"],
                in: stub.directory.path,
                scratch: stub.directory
            )
            #expect(negative.stdout == "37\n", "\(negative)")
            let option = try await Self.lattice(stub, ["incr", "app", "hits", "--by", "-7"])
            #expect(option.stdout == "35\n", "\(option)")
            let added = try await Self.lattice(stub, ["sadd", "app", "tags", "c"])
            #expect(added.stdout == "[\"a\",\"b\",\"c\"]\n", "\(added)")
            let removed = try await Self.lattice(stub, ["srem", "app", "tags", "true", "--json"])
            #expect(removed.status == 0, "\(removed)")

            let bodies = stub.requests.map(\.body)
            #expect(
                bodies == [
                    ["op": "incr", "by": 1], ["op": "incr", "by": -5], ["op": "incr", "by": -7],
                    ["op": "add", "member": "c"], ["op": "remove", "member": true],
                ]
            )
        }
    }

    @Test("keys follows next across pages and prints one key per line; --prefix is passed on")
    func test_keys_followsPagination() async throws {
        let stub = try StubNode()
        try await stub.run {
            let result = try await Self.lattice(stub, ["keys", "app", "--prefix", "k"])
            #expect(result.status == 0, "\(result)")
            #expect(result.stdout == "k1\nk2\nk3\nk4\nk5\n", "\(result)")
            let queries = stub.requests.map(\.query)
            #expect(queries.map { $0["after"] } == [nil, "k2", "k4"])
            #expect(queries.allSatisfy { $0["prefix"] == "k" && $0["limit"] == "1000" })
            let all = try await Self.lattice(stub, ["keys", "app"])
            #expect(all.lines == StubNode.listedKeys)
        }
    }

    @Test("an unreachable socket fails with exit 2, naming the socket, why, and how to start the node")
    func test_unreachableSocket_saysWhatToDo() async throws {
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let socket = scratch.file("lattice.sock")
        let missing = try await LatticeRunner.run(
            ["get", "app", "k", "--socket", socket],
            in: scratch.path,
            scratch: scratch
        )
        #expect(missing.status == 2, "\(missing)")
        #expect(
            missing.stderr.contains("cannot connect to the admin socket \(socket) (given with --socket)"),
            "\(missing)"
        )
        #expect(missing.stderr.contains("no socket file"), "\(missing)")
        #expect(missing.stderr.contains("lattice node --config FILE"), "\(missing)")

        try leaveStaleSocket(at: socket)
        let stale = try await LatticeRunner.run(
            ["get", "app", "k", "--socket", socket],
            in: scratch.path,
            scratch: scratch
        )
        #expect(stale.status == 2, "\(stale)")
        #expect(stale.stderr.contains("nothing accepted the connection"), "\(stale)")
    }

    /// Binds a Unix socket at `path` and closes it without listening or unlinking: the file a
    /// node that was killed leaves behind.
    private func leaveStaleSocket(at path: String) throws {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RunnerError("socket failed: errno \(errno)") }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw RunnerError("path too long") }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            buffer.copyBytes(from: bytes)
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0 else { throw RunnerError("bind \(path) failed: errno \(errno)") }
    }

    @Test("--config finds the socket through the config's admin_socket, and says so when nobody listens")
    func test_config_givesTheSocket() async throws {
        let stub = try StubNode()
        try await stub.run {
            try stub.directory.write(
                "lattice.toml",
                "network = \"t\"\nlisten = \"127.0.0.1:0\"\nadmin_socket = \"admin/lattice.sock\"\n"
            )
            let scratch = stub.directory
            let result = try await LatticeRunner.run(
                ["get", "app", "hits", "--config", scratch.file("lattice.toml")],
                in: "/",
                scratch: scratch
            )
            #expect(result.stdout == "42\n", "\(result)")
            try scratch.write(
                "other.toml",
                "network = \"t\"\nlisten = \"127.0.0.1:0\"\nadmin_socket = \"nobody.sock\"\n"
            )
            let nobody = try await LatticeRunner.run(
                ["get", "app", "hits", "--config", "other.toml"],
                in: scratch.path,
                scratch: scratch
            )
            #expect(nobody.status == 2, "\(nobody)")
            #expect(nobody.stderr.contains("\(scratch.path)/nobody.sock (admin_socket of other.toml)"), "\(nobody)")
            #expect(nobody.stderr.contains("`lattice node --config other.toml`"), "\(nobody)")
        }
    }
}
