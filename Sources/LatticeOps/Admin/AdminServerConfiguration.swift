#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Settings of the admin socket server.
public struct AdminServerConfiguration: Sendable {
    /// The socket file. Its directory is created with mode 0700 when missing and must not be
    /// reachable by other users when it exists.
    public var socketPath: String
    /// The only uid allowed to talk to the server (default: this process's effective uid).
    /// Others get 403 and a warning log line.
    public var allowedUID: UInt32
    /// The largest request body accepted; larger ones get 413 and the connection closes.
    public var requestBodyBytesMax: Int
    /// The most concurrent connections; more are closed at once.
    public var connectionsMax: Int

    /// Makes a configuration with the default limits.
    public init(
        socketPath: String,
        allowedUID: UInt32 = UInt32(geteuid()),
        requestBodyBytesMax: Int = AdminLimits.requestBodyBytesMax,
        connectionsMax: Int = AdminLimits.connectionsMax
    ) {
        self.socketPath = socketPath
        self.allowedUID = allowedUID
        self.requestBodyBytesMax = requestBodyBytesMax
        self.connectionsMax = connectionsMax
    }
}

/// What `GET /readyz` reports: ready, or not with the reasons (for example "LMDB not open",
/// "no peer reachable yet").
public struct AdminReadiness: Sendable, Hashable {
    /// Whether the node serves requests.
    public var isReady: Bool
    /// Why it does not, empty when ready.
    public var reasons: [String]

    /// Makes a readiness report.
    public init(isReady: Bool, reasons: [String] = []) {
        self.isReady = isReady
        self.reasons = reasons
    }
}
