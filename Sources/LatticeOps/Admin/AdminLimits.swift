/// Limits of the admin socket server. Request heads are bounded by NIO's HTTP/1.1 parser
/// (llhttp's 80 KiB header limit); a longer head gets 400 from NIO's error handler and
/// the connection is closed.
public enum AdminLimits {
    /// A request body, in bytes. The largest planned body is a `PUT /v1/kv/...` value: one
    /// scalar of at most `CoreLimits.scalarBytesMax` (1 MiB), which grows by a third when
    /// sent as base64 inside JSON; 2 MiB leaves room for that. Past it the server answers 413.
    public static let requestBodyBytesMax = 2 << 20
    /// Concurrent admin connections. The socket is local and used by one operator's tools;
    /// more than this means a runaway script, which must not exhaust descriptors the node
    /// needs for peers. Connections past it are closed at once.
    public static let connectionsMax = 64
}
