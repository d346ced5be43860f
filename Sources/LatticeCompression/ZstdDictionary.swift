import CZstd
import Synchronization

/// A zstd dictionary, digested once for decompression and once per compression level.
///
/// Either zstd's trained-dictionary format or raw content (any bytes used as shared history)
/// works. Both sides must use the same bytes: frames made with a dictionary only decompress
/// with it. Safe to share between threads: digested dictionaries are read-only in zstd.
public final class ZstdDictionary: Sendable {
    /// zstd's dictionary ID (from a trained dictionary's header), or 0 for raw content.
    public let id: UInt32
    /// Bytes of the dictionary.
    public let count: Int

    private let bytes: [UInt8]
    private let decompressionHandle: Handle
    private let compressionHandles = Mutex<[Int: Handle]>([:])

    /// Throws `.invalidDictionary` for empty input or more than `ZstdLimits.dictionaryBytesMax` bytes.
    public init(_ bytes: [UInt8]) throws(CompressionError) {
        guard !bytes.isEmpty, bytes.count <= ZstdLimits.dictionaryBytesMax else {
            throw CompressionError(
                .invalidDictionary,
                "dictionary is \(bytes.count) bytes; it must hold 1 to \(ZstdLimits.dictionaryBytesMax) "
                    + "(ZstdLimits.dictionaryBytesMax)"
            )
        }
        guard let ddict = bytes.withUnsafeBytes({ ZSTD_createDDict($0.baseAddress, $0.count) }) else {
            throw CompressionError(.invalidDictionary, "zstd could not load the \(bytes.count)-byte dictionary")
        }
        self.bytes = bytes
        self.count = bytes.count
        self.id = bytes.withUnsafeBytes { UInt32(ZSTD_getDictID_fromDict($0.baseAddress, $0.count)) }
        self.decompressionHandle = Handle(ddict) { ZSTD_freeDDict($0) }
    }

    /// The digested dictionary for decompression.
    var decompressionDictionary: OpaquePointer { decompressionHandle.pointer }

    /// The digested dictionary for compressing at `level` (already clamped), made on first use.
    func compressionDictionary(level: Int) -> OpaquePointer {
        compressionHandles.withLock { handles in
            if let handle = handles[level] { return handle.pointer }
            let cdict = bytes.withUnsafeBytes { ZSTD_createCDict($0.baseAddress, $0.count, Int32(level)) }
            // Only allocation can fail here: the same bytes already loaded as a DDict.
            precondition(cdict != nil, "ZSTD_createCDict failed (out of memory)")
            let handle = Handle(cdict!) { ZSTD_freeCDict($0) }
            handles[level] = handle
            return handle.pointer
        }
    }

    /// Owns one zstd object and frees it when the dictionary goes away.
    private final class Handle: @unchecked Sendable {
        // zstd documents CDict and DDict as read-only after creation, usable from many threads.
        let pointer: OpaquePointer
        private let free: (OpaquePointer) -> Int

        init(_ pointer: OpaquePointer, free: @escaping (OpaquePointer) -> Int) {
            self.pointer = pointer
            self.free = free
        }

        deinit { _ = free(pointer) }
    }
}
