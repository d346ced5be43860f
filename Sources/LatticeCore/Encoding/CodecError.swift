/// Bytes that could not be decoded. Carries the offset where decoding stopped.
public struct CodecError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate let name: String
        public var description: String { name }
        /// The input ended inside a field.
        public static let truncated = Code(name: "truncated")
        /// A field had a value the format does not allow (bad tag, overlong varint, bad UTF-8,
        /// entries out of canonical order, a dot used twice, …).
        public static let malformed = Code(name: "malformed")
        /// A count, length or depth passed its `CoreLimits` bound.
        public static let limitExceeded = Code(name: "limit_exceeded")
        /// The format version or record kind is not one this build reads.
        public static let unsupported = Code(name: "unsupported")
        /// Bytes were left over after a complete record.
        public static let trailingBytes = Code(name: "trailing_bytes")
    }

    public let code: Code
    public let message: String
    public let offset: Int

    public init(_ code: Code, _ message: String, offset: Int) {
        self.code = code
        self.message = message
        self.offset = offset
    }

    public var description: String { "\(code) at byte \(offset): \(message)" }
}
