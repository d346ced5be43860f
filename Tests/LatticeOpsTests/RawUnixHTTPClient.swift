import Foundation

@testable import LatticeOps

/// A deliberately small HTTP/1.1 client over a Unix socket, like `curl --unix-socket`:
/// it writes the request bytes as given and reads until the server closes. Blocking calls
/// run on their own thread so they never occupy Swift's cooperative pool.
enum RawUnixHTTPClient {
    struct Response {
        var status: Int
        var headers: [String: String]
        var body: String
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Sends `request` and returns every response the server wrote before closing.
    static func exchange(_ socketPath: String, _ request: String) async throws -> [Response] {
        let bytes = try await onThread { try sendAndReadAll(socketPath, Array(request.utf8)) }
        return try parse(bytes)
    }

    /// One `GET` (or other method) with `Connection: close`.
    static func request(
        _ socketPath: String,
        _ method: String,
        _ path: String,
        body: String? = nil,
        headers: [String] = []
    ) async throws -> Response {
        var text = "\(method) \(path) HTTP/1.1\r\nHost: lattice\r\nConnection: close\r\n"
        for header in headers { text += header + "\r\n" }
        if let body { text += "Content-Length: \(body.utf8.count)\r\n" }
        text += "\r\n" + (body ?? "")
        guard let response = try await exchange(socketPath, text).first else {
            throw Failure(description: "no response")
        }
        return response
    }

    /// Runs `body` on a new thread and resumes with its result.
    static func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try body() }) }.start()
        }
    }

    /// Connects (failing with the errno text), writes everything, reads to EOF. The 60 s receive
    /// deadline only catches a hung server: a loaded 2-core CI machine can take seconds to answer.
    static func sendAndReadAll(_ path: String, _ request: [UInt8]) throws -> [UInt8] {
        let fd = try connectedSocket(path)
        defer { close(fd) }
        var timeout = timeval(tv_sec: 60, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var offset = 0
        while offset < request.count {
            let written = request.withUnsafeBytes {
                send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
            }
            guard written > 0 else { break }  // the server may close early (413); read what it said
            offset += written
        }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
            if count < 0 && errno == ECONNRESET { break }
            guard count >= 0 else { throw Failure(description: "recv: \(String(cString: strerror(errno)))") }
            if count == 0 { break }
            received += buffer[0..<count]
        }
        return received
    }

    static func connectedSocket(_ path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        _ = UnixAddress.fill(&address, path: path)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw Failure(description: "connect \(path): \(reason)")
        }
        return fd
    }

    /// Splits a byte stream into responses using `Content-Length`.
    static func parse(_ bytes: [UInt8]) throws -> [Response] {
        var responses: [Response] = []
        var rest = bytes[...]
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        while !rest.isEmpty {
            guard let end = rest.firstRange(of: separator) else { throw Failure(description: "truncated head") }
            let head = String(decoding: rest[..<end.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
            let statusParts = head[0].split(separator: " ")
            guard statusParts.count >= 2, let status = Int(statusParts[1]) else {
                throw Failure(description: "bad status line \(head[0])")
            }
            var headers: [String: String] = [:]
            for line in head.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(
                    in: .whitespaces
                )
            }
            let length = Int(headers["content-length"] ?? "0") ?? 0
            let bodyStart = end.upperBound
            guard rest.endIndex - bodyStart >= length else { throw Failure(description: "truncated body") }
            let body = String(decoding: rest[bodyStart..<(bodyStart + length)], as: UTF8.self)
            responses.append(Response(status: status, headers: headers, body: body))
            rest = rest[(bodyStart + length)...]
        }
        return responses
    }
}
