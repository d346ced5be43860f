import CLMDB

#if canImport(Glibc)
import Glibc
#endif

/// An error from the store. The code is stable and can be matched; the message names the
/// data directory, key or limit involved and says what to do.
public struct StoreError: Error, Hashable, CustomStringConvertible, Sendable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Hashable, Sendable {
            case mapFull = "map_full"
            case storeFull = "store_full"
            case readersFull = "readers_full"
            case notFound = "not_found"
            case corrupted = "corrupted"
            case transactionFull = "transaction_full"
            case alreadyOpen = "already_open"
            case closed = "closed"
            case limitExceeded = "limit_exceeded"
            case unknownTenant = "unknown_tenant"
            case wrongMasterKey = "wrong_master_key"
            case keyFile = "key_file"
            case wrongKind = "wrong_kind"
            case unsupportedFormat = "unsupported_format"
            case io = "io"
            case lmdb = "lmdb"
        }
        fileprivate let base: Base
        public var description: String { base.rawValue }

        /// The LMDB map ran out of pages. The store grows the map and retries by itself, so
        /// callers see this only from the raw wrapper.
        public static let mapFull = Code(base: .mapFull)
        /// The map reached its configured maximum; writes fail, reads keep working.
        public static let storeFull = Code(base: .storeFull)
        /// Every reader slot in the lock file is taken.
        public static let readersFull = Code(base: .readersFull)
        /// A key or named database does not exist.
        public static let notFound = Code(base: .notFound)
        /// Bytes on disk are damaged: a page, or a record that fails authentication.
        public static let corrupted = Code(base: .corrupted)
        /// One transaction dirtied more pages than LMDB can hold; the batch is split and retried.
        public static let transactionFull = Code(base: .transactionFull)
        /// The environment is already open in this process.
        public static let alreadyOpen = Code(base: .alreadyOpen)
        /// The store was closed.
        public static let closed = Code(base: .closed)
        /// A key, value or queue exceeded a named limit.
        public static let limitExceeded = Code(base: .limitExceeded)
        /// The tenant does not exist (or was shredded).
        public static let unknownTenant = Code(base: .unknownTenant)
        /// The master key does not open this data directory.
        public static let wrongMasterKey = Code(base: .wrongMasterKey)
        /// The master key file is missing, malformed or has unsafe permissions.
        public static let keyFile = Code(base: .keyFile)
        /// The record holds another kind of value (raw bytes versus CRDT state).
        public static let wrongKind = Code(base: .wrongKind)
        /// The data directory was written in a store format this build does not read; the
        /// message says which and what to do.
        public static let unsupportedFormat = Code(base: .unsupportedFormat)
        /// The operating system refused a file operation.
        public static let io = Code(base: .io)
        /// Another LMDB error; the message carries LMDB's own text.
        public static let lmdb = Code(base: .lmdb)
    }

    public let code: Code
    public let message: String
    /// The LMDB or errno return code behind this error, when there is one.
    public let returnCode: Int32?

    public init(_ code: Code, _ message: String, returnCode: Int32? = nil) {
        self.code = code
        self.message = message
        self.returnCode = returnCode
    }

    public var description: String { "\(code): \(message)" }
}

/// Turns an LMDB (or errno) return code into a ``StoreError``. `what` names the operation and
/// its input, e.g. "opening /var/lib/lattice"; it is built only when `rc` is an error.
@inline(__always)
func lmdbCheck(_ rc: Int32, _ what: @autoclosure () -> String) throws(StoreError) {
    guard rc == 0 else { throw StoreError(lmdb: rc, what()) }
}

extension StoreError {
    /// The typed error for LMDB (negative) or errno (positive) return code `rc`.
    init(lmdb rc: Int32, _ what: String) {
        let text = String(cString: mdb_strerror(rc))
        switch rc {
        case MDB_MAP_FULL:
            self.init(.mapFull, "\(what): the map is full (\(text))", returnCode: rc)
        case MDB_READERS_FULL:
            self.init(
                .readersFull,
                "\(what): every reader slot is in use; close idle readers or raise Configuration.readersMax",
                returnCode: rc
            )
        case MDB_NOTFOUND:
            self.init(.notFound, "\(what): not found", returnCode: rc)
        case MDB_CORRUPTED, MDB_PAGE_NOTFOUND, MDB_INVALID, MDB_PANIC, MDB_VERSION_MISMATCH:
            self.init(
                .corrupted,
                "\(what): the data file is damaged or not an LMDB file (\(text)); restore it from a peer or a backup",
                returnCode: rc
            )
        case MDB_TXN_FULL:
            self.init(.transactionFull, "\(what): transaction has too many dirty pages (\(text))", returnCode: rc)
        case EACCES, EPERM, ENOSPC, EIO, EROFS, ENOENT:
            self.init(.io, "\(what): \(text)", returnCode: rc)
        default:
            self.init(.lmdb, "\(what): \(text) (LMDB code \(rc))", returnCode: rc)
        }
    }
}
