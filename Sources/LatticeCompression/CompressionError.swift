import CZstd

/// An error from compression or decompression. The code is stable; the message names the
/// input or the limit involved and what to do.
public struct CompressionError: Error, Hashable, CustomStringConvertible, Sendable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Hashable, Sendable {
            case outputLimitExceeded = "output_limit_exceeded"
            case windowTooLarge = "window_too_large"
            case truncated = "truncated"
            case malformed = "malformed"
            case dictionaryMismatch = "dictionary_mismatch"
            case invalidDictionary = "invalid_dictionary"
        }
        fileprivate let base: Base
        public var description: String { base.rawValue }

        /// The data decompresses to more bytes than the caller's `outputBytesMax`.
        public static let outputLimitExceeded = Code(base: .outputLimitExceeded)
        /// The frame needs a back-reference window larger than `ZstdLimits.windowLogMax` allows.
        public static let windowTooLarge = Code(base: .windowTooLarge)
        /// The input ends before the frame does.
        public static let truncated = Code(base: .truncated)
        /// The input is not one well-formed zstd frame (bad magic, corrupt block, size mismatch,
        /// trailing bytes).
        public static let malformed = Code(base: .malformed)
        /// The frame was compressed with another dictionary, or with one and none was given.
        public static let dictionaryMismatch = Code(base: .dictionaryMismatch)
        /// Dictionary bytes were rejected (empty, too large, or unusable).
        public static let invalidDictionary = Code(base: .invalidDictionary)
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }

    /// The error for a failed zstd decompression call, classified by zstd's error code.
    static func decoding(_ result: Int) -> CompressionError {
        let name = String(cString: ZSTD_getErrorName(result))
        switch ZSTD_getErrorCode(result) {
        case ZSTD_error_frameParameter_windowTooLarge:
            return CompressionError(
                .windowTooLarge,
                "zstd frame needs a window above 2^\(ZstdLimits.windowLogMax) bytes (ZstdLimits.windowLogMax); "
                    + "the sender must compress at level \(ZstdLimits.levelMax) or lower"
            )
        case ZSTD_error_dictionary_wrong:
            return CompressionError(
                .dictionaryMismatch,
                "zstd frame was compressed with a different dictionary (\(name))"
            )
        case ZSTD_error_prefix_unknown:
            return CompressionError(.malformed, "input is not a zstd frame (unknown magic number)")
        default:
            return CompressionError(.malformed, "zstd frame is corrupt: \(name)")
        }
    }
}
