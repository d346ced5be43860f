import LatticeOps
import NIOHTTP1

#if canImport(Glibc)
import Glibc
#endif

/// The CLI's view of a node's admin socket (`Protocols/admin-v1.md`): a request either answers
/// 2xx or becomes a ``CommandFailure`` carrying the node's own error message.
struct NodeClient {
    let admin: AdminClient
    /// The config file the socket path came from, or nil when it was given with `--socket`.
    let configPath: String?

    init(socketPath: String, configPath: String?) {
        self.admin = AdminClient(socketPath: socketPath)
        self.configPath = configPath
    }

    /// Sends one request and returns a 2xx response. Throws `.unreachable` when no node answers
    /// and `.nodeError` with the node's message for any other status.
    func send(
        _ method: HTTPMethod,
        _ path: String,
        json body: JSONValue? = nil
    ) async throws(CommandFailure)
        -> AdminClient.Response
    {
        let response: AdminClient.Response
        do {
            response = try await admin.request(method, path, json: body)
        } catch let error as AdminClientError {
            throw error.code == .unreachable ? unreachable() : CommandFailure(.unreachable, error.message)
        } catch {
            throw CommandFailure(.unreachable, "the request to the admin socket \(admin.socketPath) failed: \(error)")
        }
        guard (200..<300).contains(response.status) else {
            throw CommandFailure(.nodeError, response.errorMessage)
        }
        return response
    }

    /// Sends one request and returns the 2xx response's JSON document.
    func json(
        _ method: HTTPMethod,
        _ path: String,
        json body: JSONValue? = nil
    ) async throws(CommandFailure) -> JSONValue {
        let response = try await send(method, path, json: body)
        guard let document = response.json else {
            throw CommandFailure(
                .unreachable,
                "the node at \(admin.socketPath) answered \(method) \(path) with a body that is not JSON;"
                    + " is this a Lattice admin socket?"
            )
        }
        return document
    }

    /// Nobody answered on the socket: say which socket, where its path came from, and what to do.
    private func unreachable() -> CommandFailure {
        let path = admin.socketPath
        let origin = configPath.map { "admin_socket of \($0)" } ?? "given with --socket"
        var status = stat()
        let reason: String
        if lstat(path, &status) != 0 {
            reason = "there is no socket file, so no node is running with this admin_socket"
        } else if status.st_mode & S_IFMT != S_IFSOCK {
            reason = "that file is not a socket"
        } else {
            reason = "nothing accepted the connection (a node that stopped abruptly leaves its socket file behind)"
        }
        let start = "lattice node --config \(configPath.map(shellQuoted) ?? "FILE")"
        return CommandFailure(
            .unreachable,
            "cannot connect to the admin socket \(path) (\(origin)): \(reason). Start the node with `\(start)`,"
                + " or point --socket or --config at a running node"
        )
    }
}

/// Building request targets: path segments and query values percent-encoded (RFC 3986
/// section 2.1), so a key holding `/`, `?` or spaces reaches the node intact.
enum RequestTarget {
    /// `/v1/kv/{tenant}/{key}` style: each segment is encoded, literal parts too.
    /// A segment that is exactly `.` or `..` is fully escaped so nothing treats it as a dot-segment.
    static func path(_ segments: String...) -> String {
        segments.map { segment in
            segment == "." || segment == ".."
                ? "/" + String(repeating: "%2E", count: segment.count) : "/" + encode(segment)
        }.joined()
    }

    /// `path?name=value&...`, values encoded; pairs with a nil value are left out.
    static func with(_ path: String, query: [(String, String?)]) -> String {
        let pairs = query.compactMap { name, value in value.map { "\(encode(name))=\(encode($0))" } }
        return pairs.isEmpty ? path : path + "?" + pairs.joined(separator: "&")
    }

    /// Every byte outside RFC 3986's unreserved set as `%XX`.
    static func encode(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.append(byte)
            default:
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
