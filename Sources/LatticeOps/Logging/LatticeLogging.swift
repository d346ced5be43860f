import Logging

/// The log line formats Lattice writes.
public enum LogFormat: String, CaseIterable, Sendable {
    /// `key=value` pairs, one event per line (the default: greppable and readable).
    case logfmt
    /// One JSON object per line, for log shippers.
    case json
}

/// Builds Lattice's log handlers and installs them process-wide.
public enum LatticeLogging {
    /// A handler factory for `LoggingSystem.bootstrap` or for a `Logger(label:factory:)` in tests.
    public static func handlerFactory(
        format: LogFormat,
        level: Logger.Level,
        sink: any LogSink = StandardErrorLogSink(),
        now: @escaping @Sendable () -> Int64 = RFC3339.nowNanoseconds
    ) -> @Sendable (String, Logger.MetadataProvider?) -> any LogHandler {
        { label, provider in
            LineLogHandler(
                label: label,
                format: format,
                logLevel: level,
                sink: sink,
                metadataProvider: provider,
                now: now
            )
        }
    }

    /// Installs the handlers for the whole process. swift-log allows this once per process;
    /// call it from `main` only, never from library code or tests.
    public static func bootstrap(format: LogFormat, level: Logger.Level) {
        LoggingSystem.bootstrap(handlerFactory(format: format, level: level), metadataProvider: nil)
    }
}
