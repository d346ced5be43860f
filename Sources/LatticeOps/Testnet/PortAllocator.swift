#if canImport(Glibc)
import Glibc
#endif

/// Picks free TCP ports on 127.0.0.1 by binding port 0 and reading the port the kernel chose.
/// All sockets stay open until every port is picked, so the ports are distinct; they are
/// closed before returning, so another program could take one before the testnet binds it
/// (the proxy and the nodes then fail with a message naming the port).
public enum PortAllocator {
    /// Ports one testnet asks for: a listen port per node and a proxy port per directed link
    /// (64 nodes, full mesh: 64 + 4,032).
    public static let portsMax = TestnetLimits.nodesMax * TestnetLimits.nodesMax

    /// `count` distinct free ports.
    public static func freePorts(_ count: Int) throws(TestnetError) -> [Int] {
        precondition(count <= portsMax, "a testnet needs at most \(portsMax) ports")
        var sockets: [Int32] = []
        defer { for fd in sockets { close(fd) } }
        var ports: [Int] = []
        for _ in 0..<count {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw failure("socket") }
            sockets.append(fd)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = 0
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                    bind(fd, generic, length) == 0 && getsockname(fd, generic, &length) == 0
                }
            }
            guard bound else { throw failure("bind 127.0.0.1:0") }
            ports.append(Int(UInt16(bigEndian: address.sin_port)))
        }
        return ports
    }

    private static func failure(_ call: String) -> TestnetError {
        TestnetError(.system, "cannot pick a free port (\(call): \(String(cString: strerror(errno))))")
    }
}
