import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The uid of the process on the other end of a Unix socket connection.
enum PeerCredentials {
    struct Unavailable: Error {}

    /// Reads `SO_PEERCRED` (Linux) from the accepted socket: the credentials the kernel
    /// recorded when the peer called `connect`, which the peer cannot forge.
    static func uid(of channel: any Channel) -> EventLoopFuture<UInt32> {
        #if os(Linux)
        guard let provider = channel as? any SocketOptionProvider else {
            return channel.eventLoop.makeFailedFuture(Unavailable())
        }
        // `struct ucred { pid_t pid; uid_t uid; gid_t gid; }`; glibc only declares it under _GNU_SOURCE,
        // so a tuple with the same layout (tuples are laid out in order) stands in for it.
        let future: EventLoopFuture<(Int32, UInt32, UInt32)> = provider.unsafeGetSocketOption(
            level: SocketOptionLevel(SOL_SOCKET),
            name: SocketOptionName(SO_PEERCRED)
        )
        return future.map { $0.1 }
        #else
        return channel.eventLoop.makeFailedFuture(Unavailable())
        #endif
    }
}
